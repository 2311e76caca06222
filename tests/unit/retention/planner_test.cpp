// The planner's rules one by one, on small hand-made inputs (PRODUCT.md §4 invariants 1-6).
// planner_property_test.cpp checks the same rules on generated months of footage.
#include <catch2/catch.hpp>

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
using retention::HeldRange;
using retention::Plan;
using retention::PlanInput;
using retention::StorageState;

namespace {

constexpr std::int64_t kMB = 1'000'000;
const UtcTime kNow = utc("2026-12-01T00:00Z");
constexpr date::days kDay{1};

// A roomy disk: 1 TB, half free, no pressure at 5 %.
StorageState roomy() { return {1'000'000 * kMB, 500'000 * kMB, 400'000 * kMB}; }
// `free` bytes free of 1 TB: below 5 % (50 GB) means pressure.
StorageState with_free(std::int64_t free) { return {1'000'000 * kMB, static_cast<std::uint64_t>(free), 900'000 * kMB}; }

struct Case {
  std::vector<RetentionRow> rows;
  std::vector<HeldRange> holds;
  PlanInput input;

  Case() {
    input.storage = roomy();
    input.now = kNow;
  }
  Plan run() {
    input.segments = rows;
    input.holds = holds;
    return retention::plan(input);
  }
};

std::vector<SegmentId> ids(const Plan& p, std::optional<DeletionReason> only = std::nullopt) {
  std::vector<SegmentId> out;
  for (const auto& d : p.deletions) {
    if (!only || d.reason == *only) out.push_back(d.id);
  }
  return out;
}

}  // namespace

TEST_CASE("footage outside care hours goes after other_days, care footage at its protect_until", "[retention]") {
  Case c;
  c.rows = {
      row(1, "nap-1", kNow - 8 * kDay, 60s, 5 * kMB),                                 // other_days passed
      row(2, "nap-1", kNow - 7 * kDay - 60s, 60s, 5 * kMB),                           // ends exactly 7 days ago
      row(3, "nap-1", kNow - 7 * kDay, 60s, 5 * kMB),                                 // 60 s short of it
      row(4, "nap-1", kNow - 100 * kDay, 60s, 5 * kMB, kNow - 1s),                    // protection ended
      row(5, "nap-1", kNow - 100 * kDay, 60s, 5 * kMB, kNow),                         // ends now: may go
      row(6, "nap-1", kNow - 100 * kDay, 60s, 5 * kMB, kNow + 1us),                   // protected
      row(7, "nap-1", kNow - 1 * kDay, 60s, 0, std::nullopt, SegmentState::Damaged),  // kept 7 days too
      row(8, "nap-1", kNow - 9 * kDay, 0s, 0, std::nullopt, SegmentState::Damaged),   // nothing kept, still a row
      row(9, "nap-1", kNow - 9 * kDay, 60s, 3 * kMB, std::nullopt, SegmentState::Recovered),
  };
  auto p = c.run();
  CHECK_FALSE(p.paused);
  CHECK_FALSE(p.summary.under_pressure);
  // Oldest first: 4 and 5 started 100 days ago, then 8/9 (9 days), 1, 2.
  CHECK(ids(p) == std::vector<SegmentId>{4, 5, 8, 9, 1, 2});
  CHECK(ids(p, DeletionReason::ExpiredProtected) == std::vector<SegmentId>{4, 5});
  CHECK(p.deletions[0].protect_until == kNow - 1s);
  CHECK(p.deletions[2].path == "nap-1/8.mp4");
  CHECK(p.summary.expired == 4);
  CHECK(p.summary.expired_protected == 2);
  CHECK(p.summary.kept_protected == 1);
  CHECK(p.summary.bytes_freed == 23 * kMB);
  CHECK(p.summary.shortfall_bytes == 0);
  CHECK_FALSE(p.summary.stop_recording_outside_care);

  c.input.retention.other_days = 30;
  CHECK(ids(c.run()) == std::vector<SegmentId>{4, 5});
}

TEST_CASE("protected footage is never deleted, not even when the disk is full", "[retention]") {
  Case c;
  for (SegmentId id = 1; id <= 50; ++id) {
    c.rows.push_back(row(id, "nap-1", kNow - 30 * kDay + id * 60s, 60s, 5 * kMB, kNow + 60 * kDay));
  }
  c.input.storage = with_free(0);
  c.input.retention.max_bytes = 0;
  auto p = c.run();
  CHECK(p.deletions.empty());
  CHECK(p.summary.under_pressure);
  CHECK(p.summary.bytes_needed == 900'000 * kMB);  // max(50 GB to reach 5 % free, 900 GB over a 0-byte quota)
  CHECK(p.summary.shortfall_bytes == 900'000 * kMB);
  CHECK(p.summary.stop_recording_outside_care);
  CHECK(p.summary.kept_protected == 50);
}

TEST_CASE("under disk pressure, unprotected footage goes oldest first and only as much as needed", "[retention]") {
  Case c;
  c.rows = {
      row(10, "nap-1", kNow - 3 * kDay, 60s, 10 * kMB),  // unprotected, recent
      row(11, "play", kNow - 5 * kDay, 60s, 10 * kMB),   // the oldest unprotected
      row(12, "nap-1", kNow - 4 * kDay, 60s, 10 * kMB),
      row(13, "nap-1", kNow - 6 * kDay, 60s, 10 * kMB, kNow + 80 * kDay),  // care: never early
      row(14, "nap-1", kNow - 10 * kDay, 60s, 4 * kMB),                    // expired anyway
      row(15, "play", kNow - 4 * kDay, 60s, 10 * kMB),                     // same start as 12: id decides
  };
  // 5 % of 1 TB is 50,000 MB; 50,000 MB - 25 MB free means 25 MB are needed.
  c.input.storage = with_free(50'000 * kMB - 25 * kMB);
  auto p = c.run();
  CHECK(p.summary.under_pressure);
  CHECK(p.summary.bytes_needed == 25 * kMB);
  // The expired 4 MB first, then 21 MB more: 11 (10 MB), 12 (10 MB), 15 (10 MB).
  CHECK(ids(p) == std::vector<SegmentId>{14, 11, 12, 15});
  CHECK(ids(p, DeletionReason::DiskPressure) == std::vector<SegmentId>{11, 12, 15});
  CHECK(p.summary.bytes_freed == 34 * kMB);
  CHECK(p.summary.disk_pressure == 3);
  CHECK(p.summary.shortfall_bytes == 0);
  CHECK_FALSE(p.summary.stop_recording_outside_care);

  SECTION("exactly enough stops there") {
    c.input.storage = with_free(50'000 * kMB - 24 * kMB);
    CHECK(ids(c.run()) == std::vector<SegmentId>{14, 11, 12});
  }
  SECTION("expired footage alone may be enough") {
    c.input.storage = with_free(50'000 * kMB - 4 * kMB);
    CHECK(ids(c.run()) == std::vector<SegmentId>{14});
  }
  SECTION("not enough: everything unprotected goes, the rest is a shortfall") {
    c.input.storage = with_free(50'000 * kMB - 100 * kMB);
    auto all = c.run();
    CHECK(ids(all) == std::vector<SegmentId>{14, 11, 12, 15, 10});
    CHECK(all.summary.bytes_freed == 44 * kMB);
    CHECK(all.summary.shortfall_bytes == 56 * kMB);
    CHECK(all.summary.stop_recording_outside_care);
    CHECK(all.summary.kept_protected == 1);
  }
  SECTION("a footage quota is pressure too") {
    c.input.storage = roomy();
    c.input.retention.max_bytes = c.input.storage.footage_bytes - 15 * kMB;
    CHECK(ids(c.run()) == std::vector<SegmentId>{14, 11, 12});
  }
  SECTION("no pressure, no early deletion") {
    c.input.storage = with_free(50'000 * kMB);  // exactly 5 % free is enough
    CHECK(ids(c.run()) == std::vector<SegmentId>{14});
  }
}

TEST_CASE("held footage stays whatever its age and the disk", "[retention]") {
  Case c;
  c.rows = {
      row(1, "nap-1", kNow - 200 * kDay, 60s, kMB, kNow - 110 * kDay),  // long expired, held by camera
      row(2, "nap-2", kNow - 200 * kDay, 60s, kMB, kNow - 110 * kDay),  // held through zone "nap"
      row(3, "play", kNow - 200 * kDay, 60s, kMB, kNow - 110 * kDay),   // not in the zone: goes
      row(4, "nap-1", kNow - 200 * kDay + 60s, 60s, kMB),               // touches the hold's end: goes
      row(5, "nap-1", kNow - 2 * kDay, 60s, kMB),                       // would go early; held
  };
  std::vector<index::HoldRow> rows{
      {7, "nap-1", std::nullopt, kNow - 200 * kDay - 1h, kNow - 200 * kDay + 60s, "case 1", kNow, 0, "root", {}},
      {8, std::nullopt, "nap", kNow - 200 * kDay, kNow - 200 * kDay + 1s, "case 2", kNow, 0, "root", {}},
      {9, "nap-1", std::nullopt, kNow - 2 * kDay + 59s, kNow - 2 * kDay + 61s, "case 3", kNow, 0, "root", {}},
      {10, "play", std::nullopt, kNow - 300 * kDay, kNow, "released", kNow, 0, "root", kNow - 1h},  // released
  };
  c.holds = retention::resolve_holds(rows, {{"nap", {"nap-1", "nap-2"}}});
  REQUIRE(c.holds.size() == 4);  // camera, zone × 2 cameras, camera; the released one is gone
  c.input.storage = with_free(0);
  auto p = c.run();
  CHECK(ids(p) == std::vector<SegmentId>{3, 4});
  CHECK(p.summary.kept_held == 3);
  CHECK(p.summary.stop_recording_outside_care);

  SECTION("a hold on a zone the configuration no longer names keeps every camera") {
    c.holds = retention::resolve_holds(rows, {});
    REQUIRE(c.holds[1].camera_id == std::nullopt);
    CHECK(ids(c.run()) == std::vector<SegmentId>{4});
  }
}

TEST_CASE("open, deleting and deleted rows are never planned", "[retention]") {
  Case c;
  c.rows = {
      row(1, "nap-1", kNow - 300 * kDay, 0s, 0, std::nullopt, SegmentState::Open),  // a writer stuck since
      row(2, "nap-1", kNow - 300 * kDay, 60s, kMB, kNow - 200 * kDay, SegmentState::Deleting),
      row(3, "nap-1", kNow - 300 * kDay, 60s, kMB, kNow - 200 * kDay, SegmentState::Deleted),
      row(4, "nap-1", kNow - 300 * kDay, 60s, kMB, kNow - 200 * kDay, SegmentState::Closed),
  };
  c.input.storage = with_free(0);
  auto p = c.run();
  CHECK(ids(p) == std::vector<SegmentId>{4});
  CHECK(p.summary.kept_unfinished == 2);
}

TEST_CASE("a wall clock that jumped pauses deletion", "[retention]") {
  Case c;
  c.rows = {row(1, "nap-1", kNow - 300 * kDay, 60s, kMB, kNow - 200 * kDay),
            row(2, "play", kNow - 30 * kDay, 60s, kMB)};
  c.input.storage = with_free(0);
  c.input.clock = {false, "wall clock jumped 3 years forward at 2026-12-01T00:00:00Z"};
  auto p = c.run();
  CHECK(p.deletions.empty());
  CHECK(p.paused);
  CHECK(p.paused_reason == "wall clock jumped 3 years forward at 2026-12-01T00:00:00Z");
  CHECK(p.summary.bytes_freed == 0);
  CHECK(p.summary.shortfall_bytes == p.summary.bytes_needed);
  CHECK(p.summary.stop_recording_outside_care);

  c.input.storage = roomy();
  c.input.clock = {false, ""};
  auto quiet = c.run();
  CHECK(quiet.deletions.empty());
  CHECK(quiet.paused_reason == "the wall clock is not trusted");
  CHECK_FALSE(quiet.summary.stop_recording_outside_care);
}

TEST_CASE("rows without a stored protection are asked of today's schedule", "[retention]") {
  // Footage closed before any policy existed (protect_until null) that overlaps care hours
  // is care footage all the same: the planner's policy protects it.
  care::CareCalendar calendar(week({"07:30-18:30"}), zone("Asia/Shanghai"));
  Case c;
  const UtcTime monday_morning = utc("2026-11-23T01:00Z");  // 09:00 local
  const UtcTime monday_night = utc("2026-11-23T15:00Z");    // 23:00 local
  c.input.now = monday_morning + 30 * kDay;
  c.rows = {row(1, "nap-1", monday_morning, 60s, kMB), row(2, "nap-1", monday_night, 60s, kMB)};
  c.input.protection = retention::make_protection_policy(config::Retention{}, calendar);
  CHECK(ids(c.run()) == std::vector<SegmentId>{2});
  c.input.now = monday_morning + 60s + 90 * kDay;
  auto later = c.run();
  CHECK(ids(later) == std::vector<SegmentId>{1, 2});
  CHECK(later.deletions[0].reason == DeletionReason::ExpiredProtected);
  CHECK(later.deletions[0].protect_until == monday_morning + 60s + 90 * kDay);

  // A stored protect_until is used as it is: the schedule is not asked again, so a later
  // edit that removes these hours does not shorten it (and one that adds hours cannot
  // un-protect footage stored as outside care).
  c.input.now = monday_morning + 30 * kDay;
  c.rows[1].protect_until = monday_night + 40 * kDay;  // stored under an older, longer schedule
  CHECK(ids(c.run()).empty());
}

TEST_CASE("the pressure threshold is exact and safe for any disk size", "[retention]") {
  config::Retention r;
  r.min_free_percent = 5;
  CHECK(retention::bytes_needed({1000, 50, 0}, r) == 0);
  CHECK(retention::bytes_needed({1000, 49, 0}, r) == 1);
  CHECK(retention::bytes_needed({1001, 50, 0}, r) == 1);  // 5 % of 1001 is 50.05: 51 bytes free needed
  CHECK(retention::bytes_needed({0, 0, 0}, r) == 0);
  const std::uint64_t huge = 18'000'000'000'000'000'000ULL;  // 18 EB: total × 5 overflows 64 bits
  CHECK(retention::bytes_needed({huge, 0, 0}, r) == huge / 20);
  r.min_free_percent = 0;
  CHECK(retention::bytes_needed({1000, 0, 0}, r) == 0);
  r.max_bytes = 500;
  CHECK(retention::bytes_needed({1000, 0, 700}, r) == 200);
  CHECK(retention::bytes_needed({1000, 0, 500}, r) == 0);
  r.min_free_percent = 50;
  CHECK(retention::bytes_needed({1000, 100, 700}, r) == 400);  // the larger of 400 (free) and 200 (quota)
}

TEST_CASE("footage of an ad-hoc care session is kept until the session's protection, whatever the row stored",
          "[retention]") {
  Case c;
  // A session 10 days ago, 09:00-11:00 UTC; its footage is kept until 90 days after it ended.
  const UtcTime begin = kNow - 10 * kDay + 9h;
  const UtcTime end = begin + 2h;
  const std::vector<retention::AdhocKeep> keeps{{begin, end, end + 90 * kDay}};
  c.input.adhoc = keeps;
  c.input.retention.other_days = 7;
  c.rows = {
      row(1, "nap-1", begin - 60s, 60s, 5 * kMB),  // ends as the session starts: not care
      row(2, "nap-1", begin - 30s, 60s, 5 * kMB),  // 30 s inside: care
      row(3, "nap-1", begin + 1h, 60s, 5 * kMB),   // closed before the daemon saw the session: no protection stored
      row(4, "nap-1", begin + 1h + 60s, 60s, 5 * kMB, kNow - 1s),  // a protection that was shorter (forged or older)
      row(5, "nap-1", end, 60s, 5 * kMB),          // starts as the session ends: not care
      row(6, "nap-1", begin + 30min, 0s, 0, std::nullopt, SegmentState::Damaged),  // nothing kept, in the session
  };
  auto p = c.run();
  CHECK(ids(p) == std::vector<SegmentId>{1, 5});
  CHECK(p.summary.kept_protected == 4);
  // Under full pressure the session's footage stays; the rest goes.
  c.input.storage = with_free(0);
  c.input.retention.max_bytes = 0;
  CHECK(ids(c.run()) == std::vector<SegmentId>{1, 5});
  // Once the session's protection has passed, its footage goes as expired protected footage.
  c.input.storage = roomy();
  c.input.now = end + 90 * kDay;
  auto later = c.run();
  CHECK(ids(later, DeletionReason::ExpiredProtected) == std::vector<SegmentId>{2, 6, 3, 4});
}

TEST_CASE("ad-hoc sessions given in any order, overlapping or not, each keep only their own footage", "[retention]") {
  Case c;
  const UtcTime t = kNow - 10 * kDay;
  // Given out of order; the last two overlap (a clock stepped between them) and merge.
  const std::vector<retention::AdhocKeep> keeps{{t + 5h, t + 6h, t + 96 * kDay},
                                                 {t + 1h, t + 2h, t + 92 * kDay},
                                                 {t + 8h, t + 10h, t + 100 * kDay},
                                                 {t + 9h, t + 11h, t + 95 * kDay}};
  c.input.adhoc = keeps;
  for (int h = 0; h < 12; ++h) c.rows.push_back(row(h + 1, "nap-1", t + h * 1h + 10min, 60s, kMB));
  auto p = c.run();
  // Rows at 1, 5, 8, 9 and 10 h (+10 min) lie in sessions; the others expired (other_days 7).
  CHECK(ids(p) == std::vector<SegmentId>{1, 3, 4, 5, 7, 8, 12});
  c.input.now = t + 96 * kDay;  // the 1 h and 5 h sessions' protection has ended, not the merged one's
  CHECK(ids(c.run(), DeletionReason::ExpiredProtected) == std::vector<SegmentId>{2, 6});
}
