// The planner against generated months of footage: several cameras of 60 s segments with
// outages, clock splits, recovered and damaged rows and tombstones; schedules with holidays,
// make-up days and DST (America/New_York, Asia/Shanghai); a schedule edited half-way (rows
// closed before the edit keep the protection the old schedule gave them); rows closed before
// any policy existed; holds on cameras and zones. For every generated case and many random
// storage states and clocks (fixed seeds), every invariant of PRODUCT.md §4 is checked
// against an independent oracle, row by row.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "retention/planner.hpp"
#include "unit/retention/helpers.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using namespace carekeep::test;
using index::RetentionRow;
using index::SegmentId;
using index::SegmentState;
using retention::DeletionReason;

namespace {

constexpr std::int64_t kMB = 1'000'000;

struct Scenario {
  std::string name;
  const char* zone;
  config::CareHours old_hours;  // in force until edit_day
  config::CareHours new_hours;  // from edit_day on
  const char* first_day;        // local date of the first footage
  int days = 0;
  int cameras = 0;
  int legacy_days = 0;      // rows of the first days were closed before a policy existed: no protect_until
  int edit_after_days = 0;  // the schedule changes this many days after first_day
  std::uint64_t seed = 0;
};

struct Generated {
  std::vector<RetentionRow> rows;
  std::vector<index::HoldRow> holds;
  retention::ZoneCameras zones;
  UtcTime first;
  UtcTime last;
  // By id: rows whose stored protection came from the old schedule, which the new one does not cover.
  std::vector<bool> kept_by_old_schedule;
  std::int64_t kept_by_old_schedule_count = 0;
};

std::string camera_name(int i) { return "cam-" + std::to_string(i); }

Generated generate(const Scenario& s) {
  std::mt19937_64 rng(s.seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  TimeZone zone = TimeZone::locate(s.zone).value();
  care::CareCalendar old_calendar(s.old_hours, zone);
  care::CareCalendar new_calendar(s.new_hours, zone);
  config::Retention retention;
  auto old_policy = retention::make_protection_policy(retention, old_calendar);
  auto new_policy = retention::make_protection_policy(retention, new_calendar);

  Generated g;
  g.first = zone.to_utc(LocalTime{day(s.first_day)});
  g.last = g.first + date::days{s.days};
  const UtcTime legacy_end = g.first + date::days{s.legacy_days};
  const UtcTime edit = g.first + date::days{s.edit_after_days};
  SegmentId id = 0;
  for (int c = 0; c < s.cameras; ++c) {
    const std::string camera = camera_name(c);
    UtcTime t = g.first + Micros{uniform(0, 59'000'000)};
    while (t < g.last) {
      if (chance(0.0005)) t += std::chrono::minutes{uniform(1, 180)};  // camera offline
      Micros length = 60s + Micros{uniform(-40'000, 40'000)};
      if (chance(0.002)) length = Micros{uniform(1'000'000, 59'000'000)};  // cut short: clock step, stream end
      RetentionRow r;
      r.id = ++id;
      r.camera_id = camera;
      r.start = t;
      r.end = t + length;
      r.path = camera + "/" + std::to_string(r.id) + ".mp4";
      r.size_bytes = uniform(2 * kMB, 9 * kMB);
      r.state = SegmentState::Closed;
      if (chance(0.01)) r.state = SegmentState::Recovered;
      if (chance(0.003)) {
        r.state = SegmentState::Damaged;
        if (chance(0.5)) {
          r.size_bytes = 0;  // nothing kept (file missing)
          r.end = r.start;
        }
      }
      if (r.end > legacy_end) {
        const auto& policy = r.end <= edit ? old_policy : new_policy;
        r.protect_until = policy(camera, r.start, r.end);
        if (r.protect_until && r.end <= edit && !new_policy(camera, r.start, r.end)) {
          g.kept_by_old_schedule.resize(static_cast<std::size_t>(r.id) + 1);
          g.kept_by_old_schedule[static_cast<std::size_t>(r.id)] = true;
          ++g.kept_by_old_schedule_count;
        }
      }
      if (chance(0.002)) r.state = chance(0.8) ? SegmentState::Deleted : SegmentState::Deleting;
      t = r.end + Micros{uniform(0, 20'000)};
      g.rows.push_back(std::move(r));
    }
    // The segment being written now.
    RetentionRow open;
    open.id = ++id;
    open.camera_id = camera;
    open.start = open.end = g.rows.back().end;
    open.path = camera + "/open.mp4";
    open.state = SegmentState::Open;
    g.rows.push_back(open);
  }
  g.kept_by_old_schedule.resize(static_cast<std::size_t>(id) + 1);
  // Zones: pairs of cameras.
  for (int c = 0; c < s.cameras; c += 2) {
    auto& cams = g.zones["zone-" + std::to_string(c / 2)];
    cams.push_back(camera_name(c));
    if (c + 1 < s.cameras) cams.push_back(camera_name(c + 1));
  }
  // Holds: a few on cameras, one on a zone, one on a zone no longer configured, one released.
  const std::int64_t span = to_us(g.last) - to_us(g.first);
  std::int64_t hold_id = 0;
  auto add_hold = [&](std::optional<std::string> camera, std::optional<std::string> zone_id,
                      std::optional<UtcTime> released) {
    UtcTime from = g.first + Micros{uniform(0, span)};
    UtcTime to = from + std::chrono::minutes{uniform(1, 3 * 24 * 60)};
    g.holds.push_back(
        {++hold_id, std::move(camera), std::move(zone_id), from, to, "case", g.first, 0, "root", released});
  };
  for (int i = 0; i < 4; ++i) add_hold(camera_name(static_cast<int>(uniform(0, s.cameras - 1))), std::nullopt, {});
  add_hold(std::nullopt, "zone-0", {});
  add_hold(std::nullopt, "zone-gone", {});
  add_hold(camera_name(0), std::nullopt, g.last);
  return g;
}

// What each row is, by the rules written out independently of the planner.
enum class Expect { Untouchable, Held, Protected, ExpiredProtected, Expired, Early };

struct Oracle {
  std::vector<Expect> expect;                   // per row, in input order
  std::vector<std::optional<UtcTime>> protect;  // the protection the oracle found
  std::vector<std::size_t> early_oldest_first;  // indexes of Early rows, by (start, id)
};

// What does not depend on the time or the disk, computed once per generated index: which
// rows without a stored protection overlap care hours (care_intervals of the whole span once,
// then a linear merge against the rows sorted by start: no code shared with
// retention::CareOverlap), and the rows in oldest-first order.
struct Prepared {
  std::vector<bool> in_care;
  std::vector<std::size_t> oldest_first;
};

Prepared prepare(const std::vector<RetentionRow>& rows, const care::CareCalendar& calendar, UtcTime first,
                 UtcTime last) {
  const auto care = calendar.care_intervals(first - date::days{2}, last + date::days{2});
  Prepared p;
  p.oldest_first.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) p.oldest_first[i] = i;
  std::sort(p.oldest_first.begin(), p.oldest_first.end(), [&](auto a, auto b) {
    return rows[a].start != rows[b].start ? rows[a].start < rows[b].start : rows[a].id < rows[b].id;
  });
  p.in_care.assign(rows.size(), false);
  std::size_t k = 0;
  for (auto i : p.oldest_first) {
    if (rows[i].protect_until) continue;
    UtcTime start = rows[i].start;
    UtcTime end = rows[i].end <= start ? start + Micros{1} : rows[i].end;
    while (k < care.size() && care[k].end <= start) ++k;
    // Segments are at most a minute long, far shorter than any gap between care intervals in
    // these schedules, so the next two intervals are the only candidates.
    bool hit = false;
    for (std::size_t j = k; j < std::min(care.size(), k + 2); ++j)
      hit = hit || (care[j].begin < end && care[j].end > start);
    p.in_care[i] = hit;
  }
  return p;
}

// Every row, judged by the rules written out independently of the planner.
Oracle judge(const std::vector<RetentionRow>& rows, const Prepared& prepared, const std::vector<index::HoldRow>& holds,
             const retention::ZoneCameras& zones, const TimeZone& zone, int care_days, int other_days, UtcTime now) {
  auto held = [&](const RetentionRow& r) {
    for (const auto& h : holds) {
      if (h.released) continue;
      bool camera_matches = false;
      if (h.camera_id) {
        camera_matches = *h.camera_id == r.camera_id;
      } else {
        auto z = zones.find(*h.zone_id);
        camera_matches =
            z == zones.end() || std::find(z->second.begin(), z->second.end(), r.camera_id) != z->second.end();
      }
      if (!camera_matches) continue;
      bool overlap = r.end <= r.start ? (h.from <= r.start && r.start < h.to) : (r.start < h.to && h.from < r.end);
      if (overlap) return true;
    }
    return false;
  };
  Oracle o;
  o.expect.resize(rows.size());
  o.protect.resize(rows.size());
  const Micros other = date::days{other_days};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.state != SegmentState::Closed && r.state != SegmentState::Recovered && r.state != SegmentState::Damaged) {
      o.expect[i] = Expect::Untouchable;
      continue;
    }
    if (held(r)) {
      o.expect[i] = Expect::Held;
      continue;
    }
    std::optional<UtcTime> p = r.protect_until;
    if (!p && prepared.in_care[i]) p = retention::care_protect_until(std::max(r.start, r.end), care_days, zone);
    o.protect[i] = p;
    if (p) {
      o.expect[i] = *p <= now ? Expect::ExpiredProtected : Expect::Protected;
    } else if (r.end + other <= now) {
      o.expect[i] = Expect::Expired;
    } else {
      o.expect[i] = Expect::Early;
    }
  }
  for (auto i : prepared.oldest_first) {
    if (o.expect[i] == Expect::Early) o.early_oldest_first.push_back(i);
  }
  return o;
}

std::uint64_t needed_bytes(const retention::StorageState& st, const config::Retention& r) {
  // Small enough disks in these tests for total × percent to fit in 64 bits.
  std::uint64_t target = (st.total_bytes * static_cast<std::uint64_t>(r.min_free_percent) + 99) / 100;
  std::uint64_t need = target > st.free_bytes ? target - st.free_bytes : 0;
  if (r.max_bytes && st.footage_bytes > *r.max_bytes) need = std::max(need, st.footage_bytes - *r.max_bytes);
  return need;
}

// Every invariant, for one plan. Violations are collected as text (a REQUIRE per row would
// make a million assertions); the caller requires the list to be empty.
std::vector<std::string> violations(const std::vector<RetentionRow>& rows, const Oracle& o,
                                    const retention::PlanInput& in, const retention::Plan& p) {
  std::vector<std::string> bad;
  auto add = [&](std::string what) {
    if (bad.size() < 20) bad.push_back(std::move(what));
  };
  const std::uint64_t need = needed_bytes(in.storage, in.retention);
  if (p.summary.bytes_needed != need)
    add("bytes_needed " + std::to_string(p.summary.bytes_needed) + " != " + std::to_string(need));
  if (p.summary.under_pressure != (need > 0)) add("under_pressure wrong");

  if (!in.clock.trusted) {
    if (!p.deletions.empty()) add("untrusted clock, yet " + std::to_string(p.deletions.size()) + " deletions");
    if (!p.paused || p.paused_reason != in.clock.reason) add("untrusted clock, but not paused with its reason");
    if (p.summary.shortfall_bytes != need || p.summary.stop_recording_outside_care != (need > 0))
      add("paused shortfall");
    return bad;
  }
  if (p.paused) add("paused with a trusted clock");

  // Ids are small and dense in these tests: vectors instead of maps keep a check linear.
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  SegmentId max_id = 0;
  for (const auto& r : rows) max_id = std::max(max_id, r.id);
  std::vector<std::size_t> index_of(static_cast<std::size_t>(max_id) + 1, kNone);
  for (std::size_t i = 0; i < rows.size(); ++i) index_of[static_cast<std::size_t>(rows[i].id)] = i;
  std::vector<bool> seen(index_of.size(), false);
  std::uint64_t freed = 0;
  std::vector<std::size_t> pressure;  // row indexes of DiskPressure deletions, in plan order
  bool pressure_started = false;
  std::optional<std::pair<UtcTime, SegmentId>> previous_expired;
  for (const auto& d : p.deletions) {
    if (d.id < 0 || d.id > max_id || index_of[static_cast<std::size_t>(d.id)] == kNone) {
      add("deletion of unknown id " + std::to_string(d.id));
      continue;
    }
    const std::size_t at = index_of[static_cast<std::size_t>(d.id)];
    if (seen[static_cast<std::size_t>(d.id)]) add("segment " + std::to_string(d.id) + " planned twice");
    seen[static_cast<std::size_t>(d.id)] = true;
    const auto& r = rows[at];
    const Expect e = o.expect[at];
    freed += r.size_bytes > 0 ? static_cast<std::uint64_t>(r.size_bytes) : 0;
    if (d.camera_id != r.camera_id || d.path != r.path || d.size_bytes != r.size_bytes || d.start != r.start) {
      add("deletion " + std::to_string(d.id) + " does not describe its row");
    }
    switch (e) {
      case Expect::Untouchable:
        add("open/deleting/deleted row " + std::to_string(d.id) + " planned");
        break;
      case Expect::Held:
        add("held row " + std::to_string(d.id) + " planned");
        break;
      case Expect::Protected:
        add("protected row " + std::to_string(d.id) + " planned");
        break;
      case Expect::ExpiredProtected:
        if (d.reason != DeletionReason::ExpiredProtected || d.protect_until != o.protect[at]) {
          add("row " + std::to_string(d.id) + " should be expired_protected");
        }
        break;
      case Expect::Expired:
        if (d.reason != DeletionReason::Expired) add("row " + std::to_string(d.id) + " should be expired");
        break;
      case Expect::Early:
        if (d.reason != DeletionReason::DiskPressure) add("row " + std::to_string(d.id) + " should be disk_pressure");
        break;
    }
    if (d.reason == DeletionReason::DiskPressure) {
      pressure_started = true;
      pressure.push_back(at);
      // Non-care before care: nothing with protection, stored or by schedule, goes early.
      if (r.protect_until || o.protect[at]) add("care footage " + std::to_string(d.id) + " deleted early");
    } else {
      if (pressure_started) add("an expired deletion after the pressure ones");
      std::pair<UtcTime, SegmentId> key{r.start, r.id};
      if (previous_expired && key < *previous_expired) add("expired deletions not oldest first");
      previous_expired = key;
    }
  }
  // Expired footage always goes, pressure or not.
  std::uint64_t expired_bytes = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (o.expect[i] == Expect::Expired || o.expect[i] == Expect::ExpiredProtected) {
      expired_bytes += rows[i].size_bytes > 0 ? static_cast<std::uint64_t>(rows[i].size_bytes) : 0;
      if (!seen[static_cast<std::size_t>(rows[i].id)])
        add("expired row " + std::to_string(rows[i].id) + " not planned");
    }
  }
  // Pressure deletions are exactly the oldest unprotected rows, and no more than needed.
  if (pressure.size() > o.early_oldest_first.size() ||
      !std::equal(pressure.begin(), pressure.end(), o.early_oldest_first.begin())) {
    add("pressure deletions are not the oldest unprotected rows, in order");
  }
  std::uint64_t missing = need > expired_bytes ? need - expired_bytes : 0;
  std::uint64_t before_last = 0;
  for (std::size_t j = 0; j + 1 < pressure.size(); ++j) {
    before_last += rows[pressure[j]].size_bytes > 0 ? static_cast<std::uint64_t>(rows[pressure[j]].size_bytes) : 0;
  }
  if (!pressure.empty() && before_last >= missing) add("more deleted under pressure than needed");
  if (need == 0 && !pressure.empty()) add("early deletions without pressure");
  // The shortfall is what nothing deletable could cover, and only then does recording stop.
  const std::uint64_t shortfall = need > freed ? need - freed : 0;
  if (p.summary.bytes_freed != freed) add("bytes_freed wrong");
  if (p.summary.shortfall_bytes != shortfall)
    add("shortfall " + std::to_string(p.summary.shortfall_bytes) + " != " + std::to_string(shortfall));
  if (shortfall > 0 && pressure.size() != o.early_oldest_first.size()) add("shortfall while deletable rows remain");
  if (p.summary.stop_recording_outside_care != (shortfall > 0)) add("stop_recording_outside_care wrong");
  return bad;
}

std::string show(const std::vector<std::string>& problems) {
  std::ostringstream out;
  for (const auto& p : problems) out << p << "\n";
  return out.str();
}

// A storage state somewhere between roomy and hopeless, drawn around the footage's size.
retention::StorageState random_storage(std::mt19937_64& rng, std::uint64_t live_bytes, config::Retention& r) {
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  retention::StorageState st;
  st.footage_bytes = live_bytes;
  st.total_bytes = live_bytes + pick(0, live_bytes);
  r.min_free_percent = static_cast<int>(pick(0, 25));
  switch (pick(0, 4)) {
    case 0:
      st.free_bytes = st.total_bytes - live_bytes;
      break;  // nothing else on the disk
    case 1:
      st.free_bytes = 0;
      break;  // full
    case 2:
      st.free_bytes = pick(0, st.total_bytes / 10);
      break;  // near the threshold
    default:
      st.free_bytes = pick(0, st.total_bytes - live_bytes);
      break;
  }
  r.max_bytes.reset();
  switch (pick(0, 5)) {
    case 0:
      r.max_bytes = pick(live_bytes / 2, live_bytes + live_bytes / 10);
      break;  // near the quota
    case 1:
      r.max_bytes = pick(0, live_bytes / 5);
      break;  // hopeless: a shortfall
    default:
      break;
  }
  return st;
}

void run_scenario(const Scenario& s, int states) {
  Generated g = generate(s);
  TimeZone zone = TimeZone::locate(s.zone).value();
  care::CareCalendar calendar(s.new_hours, zone);  // the schedule in force when retention runs
  auto holds = retention::resolve_holds(g.holds, g.zones);
  std::uint64_t live_bytes = 0;
  for (const auto& r : g.rows) {
    if (r.state != SegmentState::Deleted) live_bytes += static_cast<std::uint64_t>(r.size_bytes);
  }
  INFO(s.name << ": " << g.rows.size() << " rows");
  REQUIRE(g.rows.size() > 50'000);
  REQUIRE(g.kept_by_old_schedule_count > 0);

  const Prepared prepared = prepare(g.rows, calendar, g.first, g.last);
  std::mt19937_64 rng(s.seed ^ 0x5eed);
  std::int64_t checked_deletions = 0;
  std::int64_t old_schedule_kept = 0;
  int pressure_plans = 0;
  int shortfall_plans = 0;
  for (int k = 0; k < states; ++k) {
    retention::PlanInput in;
    in.segments = g.rows;
    in.holds = holds;
    in.retention.other_days = std::uniform_int_distribution<int>(1, 30)(rng);
    in.storage = random_storage(rng, live_bytes, in.retention);
    if (k % 6 == 1) {  // hopeless: a full disk and a zero quota
      in.storage.free_bytes = 0;
      in.retention.max_bytes = 0;
    }
    in.protection = retention::make_protection_policy(in.retention, calendar);
    // Now: during the footage, at its end, or up to 150 days later (all care footage
    // expired); now and then before it (a clock set back) or untrusted (a jump).
    const std::int64_t span_days = s.days + 150;
    in.now = g.first + std::chrono::hours{std::uniform_int_distribution<std::int64_t>(0, span_days * 24)(rng)};
    if (k % 7 == 3) in.now = g.first - date::days{400};
    if (k % 5 == 4) in.clock = {false, "wall clock jumped back 2 h"};
    const Oracle o =
        judge(g.rows, prepared, g.holds, g.zones, zone, in.retention.care_days, in.retention.other_days, in.now);
    const auto plan = retention::plan(in);
    auto problems = violations(g.rows, o, in, plan);
    INFO("state " << k << ": now " << format_utc_iso(in.now) << ", free " << in.storage.free_bytes << " of "
                  << in.storage.total_bytes << ", min_free " << in.retention.min_free_percent << " %, needed "
                  << plan.summary.bytes_needed);
    INFO(show(problems));
    REQUIRE(problems.empty());
    checked_deletions += static_cast<std::int64_t>(plan.deletions.size());
    pressure_plans += plan.summary.disk_pressure > 0 ? 1 : 0;
    shortfall_plans += plan.summary.shortfall_bytes > 0 && in.clock.trusted ? 1 : 0;
    // The edited schedule: footage the old schedule protected stays until its stored date.
    for (const auto& d : plan.deletions) {
      if (g.kept_by_old_schedule[static_cast<std::size_t>(d.id)] && d.reason != DeletionReason::ExpiredProtected) {
        FAIL("segment " << d.id << " lost the protection the old schedule gave it");
      }
    }
    for (std::size_t i = 0; i < g.rows.size(); ++i) {
      if (g.kept_by_old_schedule[static_cast<std::size_t>(g.rows[i].id)] && o.expect[i] == Expect::Protected) {
        ++old_schedule_kept;
      }
    }
  }
  // The generated states did reach every interesting branch.
  CHECK(checked_deletions > 0);
  CHECK(pressure_plans > 0);
  CHECK(shortfall_plans > 0);
  CHECK(old_schedule_kept > 0);
}

}  // namespace

TEST_CASE("generated months in Shanghai: holidays, make-up days, a schedule edit", "[retention]") {
  Scenario s;
  s.name = "shanghai";
  s.zone = "Asia/Shanghai";
  s.old_hours = week({"07:30-12:00", "13:00-18:30"}, {"08:00-12:00"});
  s.old_hours.exceptions = {closed_on("2026-10-01"), closed_on("2026-10-02"), closed_on("2026-10-05"),
                            hours_on("2026-10-11", {"07:30-18:30"})};
  s.new_hours = week({"07:30-18:30"});  // Saturdays closed, lunch covered
  s.new_hours.exceptions = {closed_on("2026-10-01"), closed_on("2026-10-02"), closed_on("2026-10-05"),
                            hours_on("2026-10-11", {"07:30-18:30"}), hours_on("2026-12-12", {"09:00-11:00"})};
  s.first_day = "2026-09-15";
  s.days = 100;
  s.cameras = 4;
  s.legacy_days = 6;
  s.edit_after_days = 55;
  s.seed = 86;
  run_scenario(s, 14);
}

TEST_CASE("generated months in New York across both DST changes", "[retention]") {
  Scenario spring;
  spring.name = "new-york-spring";
  spring.zone = "America/New_York";
  spring.old_hours = week({"07:00-18:00"}, {"22:00-06:00"});  // Saturday night care crosses midnight
  spring.old_hours.weekly[6] = ranges({"01:30-03:00"});       // Sunday: inside the 2026-03-08 gap
  spring.new_hours = week({"08:00-17:00"});
  spring.new_hours.exceptions = {closed_on("2026-04-03"), hours_on("2026-03-08", {"00:00-24:00"})};
  spring.first_day = "2026-02-20";
  spring.days = 55;
  spring.cameras = 3;
  spring.legacy_days = 3;
  spring.edit_after_days = 20;
  spring.seed = 308;
  run_scenario(spring, 12);

  Scenario fall = spring;
  fall.name = "new-york-fall";
  fall.old_hours.exceptions = {hours_on("2026-11-01", {"00:30-02:30"})};  // through the repeated hour
  fall.new_hours.exceptions = {closed_on("2026-11-26"), hours_on("2026-11-28", {"09:00-13:00"})};
  fall.first_day = "2026-10-10";
  fall.edit_after_days = 30;
  fall.seed = 1101;
  run_scenario(fall, 12);
}

TEST_CASE("small random indexes: every rule on every edge", "[retention]") {
  // Hundreds of tiny cases where ties, zero sizes, exact thresholds and every state meet
  // often: few cameras, few distinct start times, sizes from a short list.
  std::mt19937_64 rng(42);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  care::CareCalendar calendar(week({"08:00-12:00", "14:00-17:00"}), zone("Asia/Shanghai"));
  const UtcTime base = utc("2026-06-01T00:00Z");
  const std::array<SegmentState, 6> states{SegmentState::Open,    SegmentState::Closed,   SegmentState::Recovered,
                                           SegmentState::Damaged, SegmentState::Deleting, SegmentState::Deleted};
  int shortfalls = 0;
  int exact = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::vector<RetentionRow> rows;
    const int n = static_cast<int>(pick(0, 60));
    for (int i = 0; i < n; ++i) {
      UtcTime start = base + std::chrono::hours{pick(0, 24 * 40)};
      std::optional<UtcTime> protect;
      if (pick(0, 2) == 0) protect = start + std::chrono::days{pick(0, 120)};
      rows.push_back(row(i + 1, "cam-" + std::to_string(pick(0, 2)), start, std::chrono::seconds{pick(0, 1) * 60},
                         pick(0, 3) * kMB, protect, states[static_cast<std::size_t>(pick(0, 5))]));
    }
    std::vector<index::HoldRow> hold_rows;
    for (int h = static_cast<int>(pick(0, 2)); h > 0; --h) {
      UtcTime from = base + std::chrono::hours{pick(0, 24 * 40)};
      hold_rows.push_back({h, "cam-" + std::to_string(pick(0, 2)), std::nullopt, from,
                           from + std::chrono::hours{pick(1, 72)}, "case", base, 0, "root", std::nullopt});
    }
    retention::ZoneCameras zones;
    auto holds = retention::resolve_holds(hold_rows, zones);
    std::uint64_t live = 0;
    for (const auto& r : rows) live += r.state == SegmentState::Deleted ? 0 : static_cast<std::uint64_t>(r.size_bytes);

    retention::PlanInput in;
    in.segments = rows;
    in.holds = holds;
    in.retention.other_days = static_cast<int>(pick(1, 10));
    in.retention.min_free_percent = static_cast<int>(pick(0, 10));
    in.storage = {100 * kMB, static_cast<std::uint64_t>(pick(0, 12)) * kMB, live};
    if (pick(0, 3) == 0) in.retention.max_bytes = static_cast<std::uint64_t>(pick(0, 40)) * kMB;
    in.now = base + std::chrono::hours{pick(0, 24 * 160)};
    in.clock.trusted = pick(0, 9) != 0;
    in.clock.reason = in.clock.trusted ? "" : "clock step";
    if (pick(0, 1) == 0) in.protection = retention::make_protection_policy(in.retention, calendar);
    // Without a policy, rows without protection are all outside care: an empty schedule says so.
    care::CareCalendar oracle_calendar = in.protection ? calendar : care::CareCalendar({}, zone("Asia/Shanghai"));
    auto prepared = prepare(rows, oracle_calendar, base - std::chrono::days{1}, base + std::chrono::days{45});
    auto o = judge(rows, prepared, hold_rows, zones, oracle_calendar.zone(), in.retention.care_days,
                   in.retention.other_days, in.now);
    auto p = retention::plan(in);
    auto problems = violations(rows, o, in, p);
    INFO("iteration " << iteration);
    INFO(show(problems));
    REQUIRE(problems.empty());
    shortfalls += p.summary.shortfall_bytes > 0 && !p.paused ? 1 : 0;
    exact +=
        p.summary.under_pressure && p.summary.shortfall_bytes == 0 && p.summary.bytes_freed == p.summary.bytes_needed;
  }
  CHECK(shortfalls > 100);
  CHECK(exact > 0);
}
