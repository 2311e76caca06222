// report/gather: reads what the report shows. Coverage is delegated to lib/coverage so the
// report and `carekeep gaps` can never disagree; the rest are read-only queries of the index.
// Queries the index API does not offer (ranges of alerts, access log, anchors, whole-history
// retention aggregates) live here beside their only caller.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "base/sha256.hpp"
#include "care/in_force.hpp"
#include "coverage/compute.hpp"
#include "history/history.hpp"
#include "report/report.hpp"
#include "retention/forecast.hpp"
#include "health/smart.hpp"
#include "retention/storage.hpp"

namespace carekeep::report {

namespace {

using sqlite::Statement;

double secs(Micros d) { return std::chrono::duration<double>(d).count(); }

template <class T>
Result<T> with(Result<T> r, std::string_view what) {
  if (!r) return tl::unexpected(std::move(r.error()).with_context(what));
  return r;
}

std::string hex_blob(const sqlite::Bytes& bytes) { return to_hex(bytes); }

// The oldest live care footage of each camera: walks segment_retention (live rows only) from
// the earliest protect_until and stops once every camera has been seen, so it reads a handful
// of rows instead of the history. protect_until is the end plus care_days, so its order is
// the order of the footage (a change of care_days can reorder them by at most that change).
constexpr std::string_view kOldestCareSql = R"sql(
  select camera_id, start_us from segment
  where state in ('closed', 'recovered', 'damaged') and protect_until_us is not null
  order by protect_until_us, end_us
)sql";

// Live rows that are not plainly closed: the partial index segment_unusual holds exactly these
// (migration 0004), so the cost follows the rows found, not the 2 M closed ones.
constexpr std::string_view kUnusualLiveSql = R"sql(
  select camera_id, state, start_us from segment
  where state in ('recovered', 'damaged')
)sql";

// Protected footage whose file went (or is going) before its protection ended. The index
// refuses to mark such a row deleting, so a row here means something bypassed carekeep.
// Every history, not only the period. The first three conditions are the definition of the
// partial index segment_early_deletion (migration 0004), spelled as there so SQLite uses it;
// SQLite keeps that index up to date on every write to segment, through carekeep or not.
constexpr std::string_view kProtectedDeletionsSql = R"sql(
  select id, camera_id, start_us, end_us, protect_until_us, deleted_us, state, state_detail
  from segment
  where state in ('deleting', 'deleted') and protect_until_us is not null
    and (deleted_us is null or deleted_us < protect_until_us)
    and coalesce(deleted_us, :now_us) < protect_until_us
  order by id
)sql";

// Protected footage whose file vanished (review scenario R): startup recovery marks a closed or
// recovered row whose file is gone damaged with this detail. Listed while its protection is
// still in force at the report's time: the law's retention was broken, not merely a crash
// (a crash damages open rows, which carry no protection yet). `state in (...)` as in the
// partial index segment_unusual, so only the few damaged and recovered rows are read.
constexpr std::string_view kProtectedLostSql = R"sql(
  select id, camera_id, start_us, end_us, protect_until_us, state, state_detail
  from segment
  where state in ('recovered', 'damaged') and state = 'damaged' and protect_until_us > :now_us
    and state_detail like 'file missing at startup%'
  order by id
)sql";

constexpr std::string_view kAlertsSql = R"sql(
  select id, kind, subject, severity, message, raised_us, last_seen_us, resolved_us, acknowledged_us,
         coalesce(acknowledged_by, '')
  from alert
  where raised_us < :to_us and (resolved_us is null or resolved_us >= :from_us)
  order by raised_us, id
)sql";

constexpr std::string_view kAccessSql = R"sql(
  select id, time_us, uid, user, action, arguments, result, hash
  from access_log where time_us >= :from_us and time_us < :to_us order by id
)sql";

constexpr std::string_view kLastVerifySql = R"sql(
  select id, time_us, user, arguments, result from access_log where action = 'verify' order by id desc limit 1
)sql";

constexpr std::string_view kAnchorCountSql = R"sql(
  select count(*) from integrity_anchor where time_us >= :from_us and time_us < :to_us
)sql";

constexpr std::string_view kLatestAnchorSql = R"sql(
  select id, time_us, camera_id, tip_segment_id, chain_sha256, access_log_id, key_fingerprint
  from integrity_anchor where camera_id = :camera_id and time_us < :to_us
  order by time_us desc limit 1
)sql";

Result<Statement> prepared(index::Index& index, std::string_view sql, const index::TimeRange& range) {
  auto q = index.connection().prepare(sql);
  if (!q) return q;
  q->bind(":from_us", to_us(range.from)).bind(":to_us", to_us(range.to));
  return q;
}

template <class F>
Status each_row(Statement& q, F&& f) {
  for (;;) {
    auto more = q.step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) return ok();
    f(q);
  }
}

std::optional<UtcTime> opt_time(const Statement& q, int col) {
  auto v = q.column<std::optional<std::int64_t>>(col);
  if (!v) return std::nullopt;
  return from_us(*v);
}

Site gather_site(index::Index& index, const config::Config& config, const care::CareCalendar& calendar,
                 LocalDays first, LocalDays last, const std::vector<index::CameraRow>& rows) {
  Site site;
  site.name = config.site.name;
  site.address = config.site.address;
  site.timezone = config.site.timezone;
  site.care_days = config.retention.care_days;
  site.other_days = config.retention.other_days;
  std::set<std::string> configured;
  for (const auto& c : config.cameras) {
    CameraInfo info{c.id, c.name, true, c.enabled, std::nullopt, std::nullopt};
    for (const auto& r : rows) {
      if (r.id == c.id) {
        info.first_seen = r.first_seen;
        info.removed = r.removed;
      }
    }
    configured.insert(c.id);
    site.cameras.push_back(std::move(info));
  }
  // Cameras removed from the configuration still own footage of the period.
  for (const auto& r : rows) {
    if (configured.count(r.id) == 0) site.cameras.push_back({r.id, r.name, false, false, r.first_seen, r.removed});
  }
  for (const auto& z : config.zones) site.zones.push_back({z.id, z.name, z.cameras});
  for (std::size_t d = 0; d < 7; ++d) {
    for (const auto& h : config.care_hours.weekly[d]) site.weekly_hours[d].push_back(config::format_hour_range(h));
  }
  for (const auto& plan : calendar.days(first, last)) {
    if (plan.source == care::DaySource::Weekly) continue;
    ScheduleException e;
    e.date = format_date(plan.date);
    e.closed = plan.source == care::DaySource::ExceptionClosed;
    for (const auto& h : plan.ranges) e.hours.push_back(config::format_hour_range(h));
    e.note = plan.note;
    site.exceptions.push_back(std::move(e));
  }
  (void)index;
  return site;
}

// Care intervals cut at local midnights, as minutes of each local day (for the timeline).
std::vector<DayCare> day_care(const care::CareCalendar& calendar, std::span<const care::ConfigSpan> spans,
                              index::TimeRange range, LocalDays first, LocalDays last) {
  const auto& zone = calendar.zone();
  std::map<std::string, DayCare> by_date;
  for (auto d = first; d <= last; d += date::days{1}) by_date[format_date(d)].date = format_date(d);
  for (const auto& iv : care::care_intervals(spans, range.from, range.to)) {
    auto lb = zone.to_local(iv.begin);
    auto le = zone.to_local(iv.end);
    while (lb < le) {
      auto day = date::floor<date::days>(lb);
      LocalTime midnight{day};
      LocalTime next = midnight + date::days{1};
      auto stop = std::min(le, next);
      auto& dc = by_date[format_date(day)];
      dc.date = format_date(day);
      double b = std::chrono::duration<double, std::ratio<60>>(lb - midnight).count();
      double e = std::chrono::duration<double, std::ratio<60>>(stop - midnight).count();
      dc.minutes.emplace_back(b, std::min(e, 1440.0));
      lb = stop;
    }
  }
  std::vector<DayCare> out;
  for (auto& [_, dc] : by_date) {
    if (dc.date >= format_date(first) && dc.date <= format_date(last)) out.push_back(std::move(dc));
  }
  return out;
}

// Every zone of the period: the current file's first, in its order, then zones only an older
// configuration in force during the period had (a zone removed since keeps its past gaps).
std::vector<const config::Zone*> period_zones(const config::Config& config, std::span<const care::ConfigSpan> spans) {
  std::vector<const config::Zone*> zones;
  auto add = [&](const config::Zone& z) {
    for (const auto* known : zones) {
      if (known->id == z.id) return;
    }
    zones.push_back(&z);
  };
  for (const auto& z : config.zones) add(z);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    for (const auto& z : it->config->zones) add(z);
  }
  return zones;
}

// Whether `zone` is configured at some instant of [from, to).
bool zone_in_force(std::span<const care::ConfigSpan> spans, const std::string& zone, UtcTime from, UtcTime to) {
  for (const auto& piece : care::pieces_in_force(spans, from, to)) {
    if (piece.span->config->find_zone(zone) != nullptr) return true;
  }
  return false;
}

Result<Coverage> gather_coverage(index::Index& index, const config::Config& config,
                                 const care::CareCalendar& calendar, std::span<const care::ConfigSpan> spans,
                                 index::TimeRange range, LocalDays first, LocalDays last, UtcTime now) {
  Coverage out;
  auto gaps = coverage::compute_gaps(index, spans, range, std::nullopt, false, now);
  if (!gaps) return tl::unexpected(std::move(gaps.error()).with_context("computing gaps"));
  const auto zones = period_zones(config, spans);
  std::map<std::string, std::size_t> order;
  for (std::size_t i = 0; i < zones.size(); ++i) {
    order[zones[i]->id] = i;
    out.zones.push_back({zones[i]->id, 0, 0, 0, 0});
  }
  auto rank = [&](const std::string& zone) {
    auto it = order.find(zone);
    return it == order.end() ? order.size() : it->second;
  };
  // Per zone and local day: care time (up to now) minus the gaps in it. This is the
  // definition coverage::coverage_by_day uses (a test compares the two); computing it here
  // from the gaps already in hand saves a second pass over every segment of the period.
  const auto& tz = calendar.zone();
  const UtcTime end = std::min(range.to, now);
  for (const auto* zp : zones) {
    const auto& z = *zp;
    for (LocalDays day = first; day <= last; day += date::days{1}) {
      UtcTime day_begin = std::max(tz.to_utc(LocalTime{day}), range.from);
      UtcTime day_end = std::min(tz.to_utc(LocalTime{day + date::days{1}}), range.to);
      Micros care{0};
      Micros uncovered{0};
      if (day_end > day_begin) {
        // The zone's care time: the care hours in force at each instant, while the zone existed.
        UtcTime care_end = std::min(day_end, std::max(end, day_begin));
        for (const auto& piece : care::pieces_in_force(spans, day_begin, care_end)) {
          if (piece.span->config->find_zone(z.id) == nullptr) continue;
          for (const auto& c : care::calendar_of(*piece.span).care_intervals(piece.from, piece.to)) care += c.length();
        }
        for (const auto& g : *gaps) {
          if (g.zone_id != z.id) continue;
          UtcTime b = std::max(g.start, day_begin);
          UtcTime e = std::min(g.end, day_end);
          if (e > b) uncovered += e - b;
        }
      }
      // Whole seconds, as coverage_by_day reports them.
      auto care_s = std::chrono::duration_cast<std::chrono::seconds>(care);
      auto covered_s = std::chrono::duration_cast<std::chrono::seconds>(care - uncovered);
      out.days.push_back({z.id, format_date(day), static_cast<double>(care_s.count()),
                          static_cast<double>(covered_s.count())});
    }
  }
  std::stable_sort(out.days.begin(), out.days.end(), [&](const ZoneDay& a, const ZoneDay& b) {
    return std::pair(rank(a.zone_id), a.date) < std::pair(rank(b.zone_id), b.date);
  });
  for (const auto& g : *gaps) out.gaps.push_back({g.zone_id, g.start, g.end, g.cause, g.detail});
  std::stable_sort(out.gaps.begin(), out.gaps.end(), [&](const Gap& a, const Gap& b) {
    return std::pair(rank(a.zone_id), a.start) < std::pair(rank(b.zone_id), b.start);
  });
  for (const auto& d : out.days) {
    if (auto r = rank(d.zone_id); r < out.zones.size()) {
      out.zones[r].care_seconds += d.care_seconds;
      out.zones[r].covered_seconds += d.covered_seconds;
    }
  }
  for (const auto& g : out.gaps) {
    if (auto r = rank(g.zone_id); r < out.zones.size()) {
      out.zones[r].gaps += 1;
      out.zones[r].gap_seconds += g.seconds();
    }
  }
  // A zone that existed only outside the period's days adds no rows.
  std::erase_if(out.days, [&](const ZoneDay& d) {
    return std::none_of(zones.begin(), zones.end(), [&](const config::Zone* z) {
      return z->id == d.zone_id && zone_in_force(spans, z->id, range.from, range.to);
    });
  });
  out.care = day_care(calendar, spans, range, first, last);
  return out;
}

Micros overlap(UtcTime b1, UtcTime e1, const std::vector<care::Interval>& care) {
  Micros total{0};
  auto it = std::lower_bound(care.begin(), care.end(), b1, [](const care::Interval& iv, UtcTime t) { return iv.end <= t; });
  for (; it != care.end() && it->begin < e1; ++it) {
    auto b = std::max(b1, it->begin);
    auto e = std::min(e1, it->end);
    if (e > b) total += e - b;
  }
  return total;
}

Result<std::vector<CameraUptime>> gather_uptime(index::Index& index, const std::vector<CameraInfo>& cameras,
                                                std::span<const care::ConfigSpan> spans, index::TimeRange range,
                                                UtcTime now) {
  auto care = care::care_intervals(spans, range.from, range.to);
  Micros care_total{0};
  for (const auto& iv : care) care_total += iv.length();
  auto events = index.camera_events(range);
  if (!events) return tl::unexpected(std::move(events.error()).with_context("reading camera events"));
  auto period_end = std::min(range.to, std::max(range.from, now));
  std::vector<CameraUptime> out;
  for (const auto& cam : cameras) {
    CameraUptime u;
    u.camera_id = cam.id;
    u.period_seconds = secs(range.to - range.from);
    u.care_seconds = secs(care_total);
    auto runs = index.runs(cam.id, range);
    if (!runs) return tl::unexpected(std::move(runs.error()).with_context("reading runs of camera " + cam.id));
    Micros rec{0};
    Micros care_rec{0};
    for (const auto& r : *runs) {
      // A run without an end is live (or its daemon crashed and recovery has not run yet):
      // count it up to now, never past the period.
      auto b = std::max(r.started, range.from);
      auto e = std::min(r.ended.value_or(period_end), range.to);
      if (e <= b) continue;
      ++u.runs;
      rec += e - b;
      care_rec += overlap(b, e, care);
    }
    u.recording_seconds = secs(rec);
    u.care_recording_seconds = secs(care_rec);
    std::map<std::string, std::int64_t> causes;
    for (const auto& ev : *events) {
      if (ev.camera_id != cam.id || ev.kind != index::CameraEventKind::Down) continue;
      ++u.down_events;
      ++causes[ev.cause.empty() ? "unknown" : ev.cause];
    }
    for (auto& [c, n] : causes) u.down_causes.emplace_back(c, n);
    std::stable_sort(u.down_causes.begin(), u.down_causes.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    out.push_back(std::move(u));
  }
  return out;
}

Result<Retention> gather_retention(index::Index& index, const config::Config& config,
                                   const care::CareCalendar& calendar, index::TimeRange range,
                                   const GatherOptions& options, Integrity& integrity,
                                   const std::vector<CameraInfo>& cameras) {
  Retention out;
  std::map<std::string, CameraRetention> by_camera;
  for (const auto& cam : cameras) by_camera[cam.id].camera_id = cam.id;
  {
    auto q = index.connection().prepare(kOldestCareSql);
    if (!q) return tl::unexpected(q.error());
    std::size_t found = 0;
    for (;;) {
      auto more = q->step();
      if (!more) return tl::unexpected(more.error());
      if (!*more) break;
      auto& r = by_camera[q->column<std::string>(0)];
      if (r.oldest_care_footage) continue;
      r.oldest_care_footage = from_us(q->column<std::int64_t>(1));
      if (++found == by_camera.size()) break;
    }
  }
  {
    auto q = index.connection().prepare(kUnusualLiveSql);
    if (!q) return tl::unexpected(q.error());
    auto st = each_row(*q, [&](Statement& s) {
      auto state = s.column<std::string>(1);
      auto start = from_us(s.column<std::int64_t>(2));
      bool in_period = start >= range.from && start < range.to;
      if (state == "damaged") {
        ++by_camera[s.column<std::string>(0)].damaged_segments;
        if (in_period) ++integrity.damaged_in_period;
      } else if (state == "recovered" && in_period) {
        ++integrity.recovered_in_period;
      }
    });
    if (!st) return tl::unexpected(st.error());
  }
  {
    auto q = index.connection().prepare(kProtectedDeletionsSql);
    if (!q) return tl::unexpected(q.error());
    q->bind(":now_us", to_us(options.now));
    auto st = each_row(*q, [&](Statement& s) {
      out.protected_deletions.push_back({s.column<std::int64_t>(0), s.column<std::string>(1), from_us(s.column<std::int64_t>(2)),
                                         from_us(s.column<std::int64_t>(3)), from_us(s.column<std::int64_t>(4)),
                                         opt_time(s, 5), s.column<std::string>(6), s.column<std::string>(7)});
    });
    if (!st) return tl::unexpected(st.error());
  }
  {
    auto q = index.connection().prepare(kProtectedLostSql);
    if (!q) return tl::unexpected(q.error());
    q->bind(":now_us", to_us(options.now));
    auto st = each_row(*q, [&](Statement& s) {
      out.protected_deletions.push_back({s.column<std::int64_t>(0), s.column<std::string>(1), from_us(s.column<std::int64_t>(2)),
                                         from_us(s.column<std::int64_t>(3)), from_us(s.column<std::int64_t>(4)),
                                         std::nullopt, s.column<std::string>(5), s.column<std::string>(6)});
    });
    if (!st) return tl::unexpected(st.error());
  }
  // Held as of when the report is made, which is what an inspector asks about.
  const UtcTime end = options.now;
  for (const auto& cam : cameras) {
    CameraRetention r = by_camera[cam.id];
    if (r.oldest_care_footage) {
      // Held continuously since the oldest care footage, unless protected footage of this
      // camera was deleted after it: then only since the end of the last such deletion.
      UtcTime since = *r.oldest_care_footage;
      for (const auto& d : out.protected_deletions) {
        if (d.camera_id == cam.id && d.end > since) since = d.end;
      }
      r.continuous_days = std::max(0.0, secs(end - since) / 86400.0);
    }
    out.cameras.push_back(std::move(r));
  }

  // The forecast `carekeep status` and the daemon's capacity_short alert use, over the same
  // 14-day window, so the report says what the box says.
  Capacity& cap = out.capacity;
  if (options.measure_storage) {
    auto storage = retention::measure(config.site.storage, index);
    auto rates = index.footage_rates({options.now - std::chrono::days(14), options.now});
    if (storage && rates) {
      cap.measured = true;
      cap.total_bytes = storage->total_bytes;
      cap.free_bytes = storage->free_bytes;
      cap.footage_bytes = storage->footage_bytes;
      auto f = retention::forecast(*rates, *storage, config.retention, calendar, options.now);
      cap.bytes_per_care_day = f.care_bytes_per_day;
      cap.days_capacity = f.care_days;
      cap.below_target = f.care_days && *f.care_days < config.retention.care_days;
    }
  }
  if (!cap.measured) {
    if (auto bytes = index.footage_bytes()) cap.footage_bytes = static_cast<std::uint64_t>(*bytes);
  }
  // Disk health as the hourly SMART check last saw it; the alerts section has its history.
  if (options.measure_storage) {
    if (auto smart = health::read_state(health::state_path(config.site.database)); smart && *smart) {
      cap.smart_checked = (*smart)->checked;
      cap.smart_reason = (*smart)->reason;
      for (const auto& d : (*smart)->disks) {
        std::string detail = d.reason;
        for (const auto& f : d.findings) detail += (detail.empty() ? "" : "; ") + f.attribute + ": " + f.detail;
        cap.disks.push_back({d.device, d.model, std::string(health::to_string(d.verdict)), detail});
      }
    }
  }
  return out;
}

Status gather_integrity(index::Index& index, index::TimeRange range, const std::vector<CameraInfo>& cameras,
                        Integrity& out) {
  {
    auto q = index.connection().prepare(kLastVerifySql);
    if (!q) return tl::unexpected(q.error());
    auto st = each_row(*q, [&](Statement& s) {
      out.last_verification = Verification{s.column<std::int64_t>(0), from_us(s.column<std::int64_t>(1)),
                                           s.column<std::string>(2), s.column<std::string>(3), s.column<std::string>(4)};
    });
    if (!st) return st;
  }
  {
    auto q = prepared(index, kAnchorCountSql, range);
    if (!q) return tl::unexpected(q.error());
    auto st = each_row(*q, [&](Statement& s) { out.anchors_in_period = s.column<std::int64_t>(0); });
    if (!st) return st;
  }
  for (const auto& cam : cameras) {
    auto q = index.connection().prepare(kLatestAnchorSql);
    if (!q) return tl::unexpected(q.error());
    q->bind(":camera_id", std::string_view(cam.id)).bind(":to_us", to_us(range.to));
    auto st = each_row(*q, [&](Statement& s) {
      out.latest_anchors.push_back({s.column<std::int64_t>(0), from_us(s.column<std::int64_t>(1)),
                                    s.column<std::string>(2), s.column<std::optional<std::int64_t>>(3),
                                    hex_blob(s.column<sqlite::Bytes>(4)), s.column<std::optional<std::int64_t>>(5),
                                    s.column<std::string>(6)});
    });
    if (!st) return st;
  }
  return ok();
}

}  // namespace

Result<ReportData> gather(index::Index& index, const config::Config& given_config,
                          const care::CareCalendar& given_calendar, index::TimeRange range, const GatherOptions& options) {
  if (range.to <= range.from) return fail(ErrorKind::InvalidArgument, "report period is empty; --to must be after --from");
  // Ad-hoc care sessions of the period are care in every figure (history::in_force gives them
  // to the configuration versions; the current file and its calendar get them here).
  config::Config config = given_config;
  if (auto st = history::add_adhoc_care(index, config, range); !st)
    return tl::unexpected(std::move(st.error()).with_context("reading care sessions"));
  const care::CareCalendar calendar(config.care_hours, given_calendar.zone());
  const auto& zone = calendar.zone();
  ReportData data;
  data.version = options.version;
  data.generated = options.now;
  data.from = range.from;
  data.to = range.to;
  data.lang = options.lang;
  auto first = date::floor<date::days>(zone.to_local(range.from));
  auto last = date::floor<date::days>(zone.to_local(range.to - Micros{1}));
  data.from_date = format_date(first);
  data.to_date = format_date(last);

  auto camera_rows = with(index.cameras(), "reading cameras");
  if (!camera_rows) return tl::unexpected(camera_rows.error());
  data.site = gather_site(index, config, calendar, first, last, *camera_rows);
  data.site.hostname = options.hostname;

  auto retention = gather_retention(index, config, calendar, range, options, data.integrity, data.site.cameras);
  if (!retention) return tl::unexpected(std::move(retention.error()).with_context("reading retention"));
  data.retention = std::move(*retention);

  auto versions = history::in_force(index, config, range);
  if (!versions) return tl::unexpected(std::move(versions.error()).with_context("reading the configuration history"));
  data.config_history.current_file_used = versions->current_file_used;
  data.config_history.notes = versions->notes;
  data.config_history.first_version = versions->first_version;
  for (const auto& c : versions->changes) {
    data.config_history.changes.push_back({c.version, c.loaded, c.source, c.user.value_or(""), c.sha256_hex,
                                           c.first ? "first stored configuration" : c.changes.summary(),
                                           c.first || c.changes.schedule_or_zones()});
  }

  auto coverage = gather_coverage(index, config, calendar, versions->spans, range, first, last, options.now);
  if (!coverage) return tl::unexpected(coverage.error());
  data.coverage = std::move(*coverage);

  auto uptime = gather_uptime(index, data.site.cameras, versions->spans, range, options.now);
  if (!uptime) return tl::unexpected(uptime.error());
  data.uptime = std::move(*uptime);

  if (auto st = gather_integrity(index, range, data.site.cameras, data.integrity); !st) {
    return tl::unexpected(std::move(st.error()).with_context("reading integrity anchors"));
  }

  auto holds = with(index.holds(), "reading holds");
  if (!holds) return tl::unexpected(holds.error());
  for (const auto& r : *holds) {
    const auto& h = r.hold;
    bool overlaps = h.from < range.to && h.to > range.from;
    bool in_force = h.created < range.to && (!h.released || *h.released >= range.from);
    if (!overlaps && !in_force) continue;
    data.holds.push_back({h.id, h.camera_id ? "camera:" + *h.camera_id : "zone:" + h.zone_id.value_or(""), h.from, h.to,
                          h.reason, h.created, h.created_user, h.released, r.released_user.value_or(""),
                          h.case_number, h.by_inspector});
  }

  auto clock = with(index.clock_events(range), "reading clock events");
  if (!clock) return tl::unexpected(clock.error());
  for (const auto& c : *clock) data.clock_events.push_back({c.time, secs(c.step), c.ntp_synced, c.detail});
  // One lookup per camera in the partial index segment_suspect_clock: free on a healthy box.
  for (const auto& camera : data.site.cameras) {
    auto suspect = with(index.suspect_clock_segments(camera.id, range), "counting footage on an untrusted clock");
    if (!suspect) return tl::unexpected(suspect.error());
    if (*suspect > 0) data.suspect_clock.push_back({camera.id, *suspect});
  }

  {
    auto q = prepared(index, kAlertsSql, range);
    if (!q) return tl::unexpected(q.error());
    auto st = each_row(*q, [&](Statement& s) {
      data.alerts.push_back({s.column<std::int64_t>(0), s.column<std::string>(1), s.column<std::string>(2),
                             s.column<std::string>(3), s.column<std::string>(4), from_us(s.column<std::int64_t>(5)),
                             from_us(s.column<std::int64_t>(6)), opt_time(s, 7), opt_time(s, 8),
                             s.column<std::string>(9)});
    });
    if (!st) return tl::unexpected(std::move(st.error()).with_context("reading alerts"));
  }
  {
    auto q = prepared(index, kAccessSql, range);
    if (!q) return tl::unexpected(q.error());
    auto st = each_row(*q, [&](Statement& s) {
      data.access.push_back({s.column<std::int64_t>(0), from_us(s.column<std::int64_t>(1)), s.column<std::int64_t>(2),
                             s.column<std::string>(3), s.column<std::string>(4), s.column<std::string>(5),
                             s.column<std::string>(6), hex_blob(s.column<sqlite::Bytes>(7))});
    });
    if (!st) return tl::unexpected(std::move(st.error()).with_context("reading the access log"));
  }

  auto runs = with(index.daemon_runs(range), "reading daemon runs");
  if (!runs) return tl::unexpected(runs.error());
  for (const auto& r : *runs) {
    data.daemon_runs.push_back({r.id, r.started, r.stopped, r.stop_reason.value_or(""), r.version, r.hostname});
  }
  return data;
}

std::string_view to_string(Lang lang) { return lang == Lang::Zh ? "zh" : "en"; }

std::optional<Lang> parse_lang(std::string_view text) {
  if (text == "zh") return Lang::Zh;
  if (text == "en") return Lang::En;
  return std::nullopt;
}

Lang default_lang(std::string_view timezone) {
  static constexpr std::string_view kChina[] = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin",
                                                "Asia/Urumqi",   "Asia/Kashgar",   "PRC",            "Asia/Hong_Kong",
                                                "Asia/Macau",    "Asia/Macao",     "Hongkong"};
  for (auto z : kChina) {
    if (timezone == z) return Lang::Zh;
  }
  return Lang::En;
}

std::optional<Lang> lang_option(std::string_view option, std::string_view timezone) {
  return option.empty() ? std::optional<Lang>(default_lang(timezone)) : parse_lang(option);
}

}  // namespace carekeep::report
