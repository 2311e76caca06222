#include "coverage/compute.hpp"

#include <algorithm>
#include <map>

#include "base/text.hpp"

namespace carekeep::coverage {

namespace {

using namespace std::chrono_literals;

// Rule 6 of the timeline needs the camera's last down event since its daemon run started; a
// daemon runs for months, so the look-back is capped (a month-old "refused" explains nothing
// a later run start did not reset).
constexpr Micros kMaxLookBack = std::chrono::duration_cast<Micros>(std::chrono::days{30});
// The daemon proves it is alive every 5 s; a run with no stop time that has not done so for
// this long is a crash the next start has not recorded yet (the box may still be down).
constexpr Micros kAliveStale = 60s;

Micros tolerance_of(const config::Config& config) {
  return std::chrono::duration_cast<Micros>(std::chrono::duration<double>(config.coverage.gap_tolerance_seconds));
}

Result<std::vector<const config::Zone*>> selected_zones(const config::Config& config,
                                                        std::optional<std::string_view> zone) {
  std::vector<const config::Zone*> zones;
  if (!zone) {
    for (const auto& z : config.zones) zones.push_back(&z);
    return zones;
  }
  if (const auto* z = config.find_zone(*zone)) {
    zones.push_back(z);
    return zones;
  }
  std::vector<std::string> ids;
  for (const auto& z : config.zones) ids.push_back(z.id);
  std::string message = "unknown zone \"" + std::string(*zone) + "\"";
  if (auto near = text::closest(*zone, ids)) message += "; did you mean \"" + *near + "\"?";
  else if (!ids.empty()) message += "; zones are configured in carekeep.toml [[zone]]";
  return fail(ErrorKind::NotFound, std::move(message));
}

// The evidence of the site and of each camera of the selected zones over [from, to).
class Evidence {
 public:
  Evidence(index::Index& index, UtcTime now) : index_(index), now_(now) {}

  Status load_site(UtcTime from, UtcTime to) {
    auto runs = index_.daemon_runs({from, to});
    if (!runs) return tl::unexpected(std::move(runs.error()));
    for (auto& run : *runs) {
      if (!run.stopped && now_ - run.alive > kAliveStale) run.stopped = run.alive;
    }
    site_.daemon_runs = std::move(*runs);
    // A forward step at any later time may have jumped over the range; the table is tiny.
    auto clock = index_.clock_events({from, UtcTime::max()});
    if (!clock) return tl::unexpected(std::move(clock.error()));
    site_.clock_events = std::move(*clock);
    evidence_from_ = from;
    for (const auto& run : site_.daemon_runs) evidence_from_ = std::min(evidence_from_, run.started);
    evidence_from_ = std::max(evidence_from_, from - kMaxLookBack);
    from_ = from;
    to_ = to;
    return ok();
  }

  Result<const CameraEvidence*> camera(const std::string& id) {
    if (auto it = cameras_.find(id); it != cameras_.end()) return &it->second;
    CameraEvidence e;
    e.camera_id = id;
    auto segments = index_.segment_spans(id, {from_, to_});
    if (!segments) return tl::unexpected(std::move(segments.error()));
    e.segments = std::move(*segments);
    auto runs = index_.runs(id, {evidence_from_, to_});
    if (!runs) return tl::unexpected(std::move(runs.error()));
    e.runs = std::move(*runs);
    auto events = index_.camera_events({evidence_from_, to_}, id);
    if (!events) return tl::unexpected(std::move(events.error()));
    e.events = std::move(*events);
    auto faults = index_.content_faults(id, {from_, to_});
    if (!faults) return tl::unexpected(std::move(faults.error()));
    for (auto& f : *faults) e.content_faults.push_back({std::move(f.kind), f.start, f.end, std::move(f.detail)});
    return &cameras_.emplace(id, std::move(e)).first->second;
  }

  Result<std::vector<const CameraEvidence*>> zone(const config::Zone& zone) {
    std::vector<const CameraEvidence*> out;
    for (const auto& id : zone.cameras) {
      auto e = camera(id);
      if (!e) return tl::unexpected(std::move(e.error()));
      out.push_back(*e);
    }
    return out;
  }

  const SiteEvidence& site() const { return site_; }

 private:
  index::Index& index_;
  UtcTime now_;
  UtcTime from_{};
  UtcTime to_{};
  UtcTime evidence_from_{};
  SiteEvidence site_;
  std::map<std::string, CameraEvidence> cameras_;
};

// Old gaps that stick out of the recomputed range keep their outside parts; a part that
// touches a new gap of the same zone and cause becomes one row with it again.
std::vector<index::ZoneGapRow> rows_to_store(const std::vector<index::ZoneGapRow>& old, const std::vector<Gap>& gaps,
                                             index::TimeRange range, UtcTime computed) {
  std::vector<index::ZoneGapRow> rows;
  for (const auto& g : gaps) rows.push_back({0, g.zone_id, g.start, g.end, g.cause, g.detail, computed});
  for (const auto& o : old) {
    if (o.start < range.from) {
      index::ZoneGapRow left = o;
      left.end = range.from;
      auto joined = std::find_if(rows.begin(), rows.end(), [&](const index::ZoneGapRow& r) {
        return r.zone_id == o.zone_id && r.start == range.from && r.cause == o.cause;
      });
      if (joined != rows.end()) joined->start = o.start;
      else rows.push_back(left);
    }
    if (o.end > range.to) {
      index::ZoneGapRow right = o;
      right.start = range.to;
      auto joined = std::find_if(rows.begin(), rows.end(), [&](const index::ZoneGapRow& r) {
        return r.zone_id == o.zone_id && r.end == range.to && r.cause == o.cause;
      });
      if (joined != rows.end()) joined->end = o.end;
      else rows.push_back(right);
    }
  }
  return rows;
}

}  // namespace

Result<std::vector<Gap>> compute_gaps(index::Index& index, const config::Config& config,
                                      const care::CareCalendar& calendar, index::TimeRange range,
                                      std::optional<std::string_view> zone, bool store, std::optional<UtcTime> now) {
  UtcTime at = now.value_or(SystemClock{}.now());
  auto zones = selected_zones(config, zone);
  if (!zones) return tl::unexpected(std::move(zones.error()));
  index::TimeRange clipped{range.from, std::min(range.to, at)};
  std::vector<Gap> gaps;
  if (clipped.to > clipped.from) {
    Evidence evidence(index, at);
    if (auto st = evidence.load_site(clipped.from, clipped.to); !st) return tl::unexpected(std::move(st.error()));
    auto care = calendar.care_intervals(clipped.from, clipped.to);
    for (const auto* z : *zones) {
      auto cameras = evidence.zone(*z);
      if (!cameras) return tl::unexpected(std::move(cameras.error()));
      ZoneQuery query{z->id, care, tolerance_of(config), at};
      auto found = find_gaps(query, *cameras, evidence.site());
      gaps.insert(gaps.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    }
  }
  std::stable_sort(gaps.begin(), gaps.end(), [](const Gap& a, const Gap& b) {
    if (a.zone_id != b.zone_id) return a.zone_id < b.zone_id;
    return a.start < b.start;
  });
  if (store && clipped.to > clipped.from) {
    auto old = index.zone_gaps(clipped, zone);
    if (!old) return tl::unexpected(std::move(old.error()));
    auto rows = rows_to_store(*old, gaps, clipped, at);
    if (auto st = index.replace_zone_gaps(clipped, zone, rows); !st)
      return tl::unexpected(std::move(st.error()));
  }
  return gaps;
}

Result<std::vector<ZoneDay>> coverage_by_day(index::Index& index, const config::Config& config,
                                             const care::CareCalendar& calendar, index::TimeRange range,
                                             std::optional<std::string_view> zone, bool store,
                                             std::optional<UtcTime> now) {
  UtcTime at = now.value_or(SystemClock{}.now());
  auto zones = selected_zones(config, zone);
  if (!zones) return tl::unexpected(std::move(zones.error()));
  auto gaps = compute_gaps(index, config, calendar, range, zone, store, at);
  if (!gaps) return tl::unexpected(std::move(gaps.error()));
  std::vector<ZoneDay> days;
  if (range.to <= range.from) return days;
  const TimeZone& tz = calendar.zone();
  UtcTime end = std::min(range.to, at);
  for (const auto* z : *zones) {
    LocalDays day = date::floor<date::days>(tz.to_local(range.from));
    for (;; day += date::days{1}) {
      UtcTime day_begin = std::max(tz.to_utc(LocalTime{day}), range.from);
      UtcTime day_end = std::min(tz.to_utc(LocalTime{day + date::days{1}}), range.to);
      if (day_begin >= range.to) break;
      Micros care{0};
      Micros uncovered{0};
      if (day_end > day_begin) {
        for (const auto& c : calendar.care_intervals(day_begin, std::min(day_end, std::max(end, day_begin))))
          care += c.length();
        for (const auto& g : *gaps) {
          if (g.zone_id != z->id) continue;
          UtcTime b = std::max(g.start, day_begin);
          UtcTime e = std::min(g.end, day_end);
          if (e > b) uncovered += e - b;
        }
      }
      days.push_back({z->id, format_date(day), std::chrono::duration_cast<std::chrono::seconds>(care),
                      std::chrono::duration_cast<std::chrono::seconds>(care - uncovered)});
    }
  }
  return days;
}

Result<std::vector<ZoneNow>> zones_now(index::Index& index, const config::Config& config, UtcTime now) {
  // Ten minutes of history are enough to name why a camera is not covering; the timeline's
  // last piece is the state at `now`.
  UtcTime from = now - std::chrono::minutes{10};
  Evidence evidence(index, now);
  if (auto st = evidence.load_site(from, now); !st) return tl::unexpected(std::move(st.error()));
  Micros lag = std::max(tolerance_of(config), Micros{2s});
  std::vector<ZoneNow> out;
  for (const auto& z : config.zones) {
    ZoneNow zn{z.id, false, {}};
    for (const auto& id : z.cameras) {
      auto e = evidence.camera(id);
      if (!e) return tl::unexpected(std::move(e.error()));
      auto pieces = camera_timeline(**e, evidence.site(), from, now, now);
      CameraNow cn{id, false, std::nullopt};
      if (!pieces.empty()) {
        const Piece& last = pieces.back();
        // The index lags the recorder by up to a commit interval: a short unusable tail right
        // after usable footage is the segment being rotated, not an outage.
        bool lagging = last.end - last.begin <= lag && pieces.size() >= 2 && pieces[pieces.size() - 2].usable();
        cn.covering = last.usable() || lagging;
        if (!cn.covering) cn.reason = last.reason;
      }
      zn.covered = zn.covered || cn.covering;
      zn.cameras.push_back(std::move(cn));
    }
    out.push_back(std::move(zn));
  }
  return out;
}

}  // namespace carekeep::coverage
