#include "coverage/compute.hpp"

#include <algorithm>
#include <map>
#include <thread>

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
// Reading a long range is mostly SQLite walking segment_span (2 M rows for 90 days at 16
// cameras, ~0.5 us each); cameras are independent, so beyond this length they are read on up
// to kMaxReaders read-only connections at once (WAL readers do not block each other or the
// writer). A day (the daemon's hourly recompute) is read on the caller's connection alone.
constexpr Micros kParallelFrom = std::chrono::duration_cast<Micros>(std::chrono::days{2});
constexpr unsigned kMaxReaders = 4;

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

// The site's evidence over [from, to), and how far back camera evidence must reach: rule 6
// needs the camera's last down event since the daemon run holding `from` started.
struct SiteWindow {
  SiteEvidence site;
  UtcTime evidence_from;
};

Result<SiteWindow> load_site(index::Index& index, UtcTime from, UtcTime to, UtcTime now) {
  SiteWindow w;
  auto runs = index.daemon_runs({from, to});
  if (!runs) return tl::unexpected(std::move(runs.error()));
  for (auto& run : *runs) {
    if (!run.stopped && now - run.alive > kAliveStale) run.stopped = run.alive;
  }
  w.site.daemon_runs = std::move(*runs);
  // A forward step at any later time may have jumped over the range; the table is tiny.
  auto clock = index.clock_events({from, UtcTime::max()});
  if (!clock) return tl::unexpected(std::move(clock.error()));
  w.site.clock_events = std::move(*clock);
  w.evidence_from = from;
  for (const auto& run : w.site.daemon_runs) w.evidence_from = std::min(w.evidence_from, run.started);
  w.evidence_from = std::max(w.evidence_from, from - kMaxLookBack);
  return w;
}

Result<CameraEvidence> load_camera(index::Index& index, const std::string& id, UtcTime from, UtcTime to,
                                   UtcTime evidence_from) {
  CameraEvidence e;
  e.camera_id = id;
  auto segments = index.segment_spans(id, {from, to});
  if (!segments) return tl::unexpected(std::move(segments.error()));
  e.segments = std::move(*segments);
  auto runs = index.runs(id, {evidence_from, to});
  if (!runs) return tl::unexpected(std::move(runs.error()));
  e.runs = std::move(*runs);
  auto events = index.camera_events({evidence_from, to}, id);
  if (!events) return tl::unexpected(std::move(events.error()));
  e.events = std::move(*events);
  auto faults = index.content_faults(id, {from, to});
  if (!faults) return tl::unexpected(std::move(faults.error()));
  for (auto& f : *faults) e.content_faults.push_back({std::move(f.kind), f.start, f.end, std::move(f.detail)});
  return e;
}

Result<std::vector<const CameraEvidence*>> zone_cameras(const RangeEvidence& evidence, const config::Zone& zone) {
  std::vector<const CameraEvidence*> out;
  for (const auto& id : zone.cameras) {
    auto it = evidence.cameras.find(id);
    if (it == evidence.cameras.end()) return fail(ErrorKind::Internal, "no evidence loaded for camera " + id);
    out.push_back(&it->second);
  }
  return out;
}

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

namespace {

// The zones of every span, each id once (first the current definitions' order, then zones only
// older versions had), or `zone` alone; NotFound when no span knows it.
Result<std::vector<std::string>> zone_ids_in(std::span<const care::ConfigSpan> spans,
                                             std::optional<std::string_view> zone) {
  std::vector<std::string> ids;
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    for (const auto& z : it->config->zones) {
      if ((!zone || z.id == *zone) && std::find(ids.begin(), ids.end(), z.id) == ids.end()) ids.push_back(z.id);
    }
  }
  if (zone && ids.empty()) {
    if (spans.empty()) return fail(ErrorKind::NotFound, "unknown zone \"" + std::string(*zone) + "\"");
    auto found = selected_zones(*spans.back().config, zone);  // its message names the closest zone
    if (!found) return tl::unexpected(std::move(found.error()));
  }
  return ids;
}

// Each camera once, however many zones (and versions) share it.
void add_cameras(std::vector<std::string>& ids, const config::Zone& zone) {
  for (const auto& id : zone.cameras) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
}

Result<RangeEvidence> load_cameras(index::Index& index, const std::vector<std::string>& ids, index::TimeRange range,
                                   UtcTime now);

// The gaps of `zones` over `care`, appended to `gaps`.
Status add_zone_gaps(const RangeEvidence& evidence, const std::vector<const config::Zone*>& zones,
                           const std::vector<care::Interval>& care, Micros tolerance, std::vector<Gap>& gaps) {
  for (const auto* z : zones) {
    auto cameras = zone_cameras(evidence, *z);
    if (!cameras) return tl::unexpected(std::move(cameras.error()));
    ZoneQuery query{z->id, care, tolerance, evidence.now};
    auto found = find_gaps(query, *cameras, evidence.site);
    gaps.insert(gaps.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  return ok();
}

void sort_gaps(std::vector<Gap>& gaps) {
  std::stable_sort(gaps.begin(), gaps.end(), [](const Gap& a, const Gap& b) {
    if (a.zone_id != b.zone_id) return a.zone_id < b.zone_id;
    return a.start < b.start;
  });
}

Status store_gaps(index::Index& index, const RangeEvidence& evidence, const std::vector<Gap>& gaps,
                  std::optional<std::string_view> zone) {
  const index::TimeRange clipped = evidence.range;
  if (clipped.to <= clipped.from) return ok();
  auto old = index.zone_gaps(clipped, zone);
  if (!old) return tl::unexpected(std::move(old.error()));
  auto rows = rows_to_store(*old, gaps, clipped, evidence.now);
  return index.replace_zone_gaps(clipped, zone, rows);
}

}  // namespace

Result<RangeEvidence> load_evidence(index::Index& index, const config::Config& config, index::TimeRange range,
                                    std::optional<std::string_view> zone, UtcTime now) {
  auto zones = selected_zones(config, zone);
  if (!zones) return tl::unexpected(std::move(zones.error()));
  std::vector<std::string> ids;
  for (const auto* z : *zones) add_cameras(ids, *z);
  return load_cameras(index, ids, range, now);
}

Result<RangeEvidence> load_evidence(index::Index& index, std::span<const care::ConfigSpan> spans,
                                    index::TimeRange range, std::optional<std::string_view> zone, UtcTime now) {
  auto zone_ids = zone_ids_in(spans, zone);
  if (!zone_ids) return tl::unexpected(std::move(zone_ids.error()));
  std::vector<std::string> ids;
  for (const auto& piece : care::pieces_in_force(spans, range.from, std::min(range.to, now))) {
    for (const auto& z : piece.span->config->zones) {
      if (std::find(zone_ids->begin(), zone_ids->end(), z.id) != zone_ids->end()) add_cameras(ids, z);
    }
  }
  return load_cameras(index, ids, range, now);
}

namespace {

Result<RangeEvidence> load_cameras(index::Index& index, const std::vector<std::string>& ids, index::TimeRange range,
                                   UtcTime now) {
  RangeEvidence out;
  out.range = {range.from, std::min(range.to, now)};
  out.now = now;
  if (out.range.to <= out.range.from) return out;
  auto window = load_site(index, out.range.from, out.range.to, now);
  if (!window) return tl::unexpected(std::move(window.error()));
  out.site = std::move(window->site);
  std::vector<std::optional<Result<CameraEvidence>>> loaded(ids.size());
  auto load = [&](index::Index& reader, std::size_t first, std::size_t step) {
    for (std::size_t i = first; i < ids.size(); i += step) {
      loaded[i] = load_camera(reader, ids[i], out.range.from, out.range.to, window->evidence_from);
    }
  };
  // Other connections cannot see what the caller's open transaction wrote: read on it alone then.
  unsigned readers = std::min<unsigned>({std::max(1u, std::thread::hardware_concurrency()), kMaxReaders,
                                         static_cast<unsigned>(ids.size())});
  if (out.range.to - out.range.from < kParallelFrom || index.connection().in_transaction()) readers = 1;
  {
    std::vector<std::jthread> threads;
    for (unsigned t = 1; t < readers; ++t) {
      threads.emplace_back([&, t] {
        // A reader that cannot be opened leaves its cameras to the caller's connection below.
        auto reader = index::Index::open_reader(index.connection().path());
        if (reader) load(*reader, t, readers);
      });
    }
    load(index, 0, readers);
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!loaded[i]) loaded[i] = load_camera(index, ids[i], out.range.from, out.range.to, window->evidence_from);
    if (!*loaded[i]) return tl::unexpected(std::move(loaded[i]->error()));
    out.cameras.emplace(ids[i], std::move(**loaded[i]));
  }
  return out;
}

}  // namespace

Result<std::vector<Gap>> find_gaps(const RangeEvidence& evidence, const config::Config& config,
                                   const care::CareCalendar& calendar, std::optional<std::string_view> zone) {
  auto zones = selected_zones(config, zone);
  if (!zones) return tl::unexpected(std::move(zones.error()));
  std::vector<Gap> gaps;
  if (evidence.range.to > evidence.range.from) {
    auto care = calendar.care_intervals(evidence.range.from, evidence.range.to);
    if (auto st = add_zone_gaps(evidence, *zones, care, tolerance_of(config), gaps); !st)
      return tl::unexpected(std::move(st.error()));
  }
  sort_gaps(gaps);
  return gaps;
}

Result<std::vector<Gap>> find_gaps(const RangeEvidence& evidence, std::span<const care::ConfigSpan> spans,
                                   std::optional<std::string_view> zone) {
  auto zone_ids = zone_ids_in(spans, zone);
  if (!zone_ids) return tl::unexpected(std::move(zone_ids.error()));
  std::vector<Gap> gaps;
  for (const auto& piece : care::pieces_in_force(spans, evidence.range.from, evidence.range.to)) {
    const config::Config& config = *piece.span->config;
    std::vector<const config::Zone*> zones;
    for (const auto& z : config.zones) {
      if (std::find(zone_ids->begin(), zone_ids->end(), z.id) != zone_ids->end()) zones.push_back(&z);
    }
    auto care = care::calendar_of(*piece.span).care_intervals(piece.from, piece.to);
    if (auto st = add_zone_gaps(evidence, zones, care, tolerance_of(config), gaps); !st)
      return tl::unexpected(std::move(st.error()));
  }
  sort_gaps(gaps);
  return gaps;
}

Result<std::vector<Gap>> compute_gaps(index::Index& index, std::span<const care::ConfigSpan> spans,
                                      index::TimeRange range, std::optional<std::string_view> zone, bool store,
                                      std::optional<UtcTime> now) {
  UtcTime at = now.value_or(SystemClock{}.now());
  auto evidence = load_evidence(index, spans, range, zone, at);
  if (!evidence) return tl::unexpected(std::move(evidence.error()));
  auto gaps = find_gaps(*evidence, spans, zone);
  if (!gaps) return tl::unexpected(std::move(gaps.error()));
  if (store) {
    if (auto st = store_gaps(index, *evidence, *gaps, zone); !st) return tl::unexpected(std::move(st.error()));
  }
  return gaps;
}

Result<std::vector<Gap>> compute_gaps(index::Index& index, const config::Config& config,
                                      const care::CareCalendar& calendar, index::TimeRange range,
                                      std::optional<std::string_view> zone, bool store, std::optional<UtcTime> now) {
  UtcTime at = now.value_or(SystemClock{}.now());
  auto evidence = load_evidence(index, config, range, zone, at);
  if (!evidence) return tl::unexpected(std::move(evidence.error()));
  auto gaps = find_gaps(*evidence, config, calendar, zone);
  if (!gaps) return tl::unexpected(std::move(gaps.error()));
  if (store) {
    if (auto st = store_gaps(index, *evidence, *gaps, zone); !st) return tl::unexpected(std::move(st.error()));
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
  auto evidence = load_evidence(index, config, {from, now}, std::nullopt, now);
  if (!evidence) return tl::unexpected(std::move(evidence.error()));
  Micros lag = std::max(tolerance_of(config), Micros{2s});
  std::vector<ZoneNow> out;
  for (const auto& z : config.zones) {
    ZoneNow zn{z.id, false, {}};
    auto cameras = zone_cameras(*evidence, z);
    if (!cameras) return tl::unexpected(std::move(cameras.error()));
    for (const auto* e : *cameras) {
      auto pieces = camera_timeline(*e, evidence->site, from, now, now);
      CameraNow cn{e->camera_id, false, std::nullopt};
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
