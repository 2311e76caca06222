#include <catch2/catch.hpp>

#include <random>

#include "retention/protection.hpp"
#include "unit/retention/helpers.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using namespace carekeep::test;
using retention::make_protection_policy;

namespace {

constexpr date::days kDays90{90};

}  // namespace

TEST_CASE("footage overlapping care hours is protected for care_days after its end", "[retention]") {
  care::CareCalendar calendar(week({"07:30-12:00", "13:00-18:30"}), zone("Asia/Shanghai"));
  config::Retention retention;  // care_days = 90
  auto policy = make_protection_policy(retention, calendar);
  // Monday 2026-11-23 07:30 local = 2026-11-22T23:30Z.
  const UtcTime opening = utc("2026-11-22T23:30Z");
  CHECK(policy("nap-1", opening, opening + 60s) == opening + 60s + kDays90);
  // One microsecond of care is enough; the segment's end is what counts.
  CHECK(policy("nap-1", opening - 59s - 999'999us, opening + 1us) == opening + 1us + kDays90);
  // Touching the start of care from before is not overlapping it (half-open ranges) ...
  CHECK_FALSE(policy("nap-1", opening - 60s, opening));
  // ... and nor is the lunch break, the night or the closed Sunday.
  CHECK_FALSE(policy("nap-1", utc("2026-11-23T04:00Z"), utc("2026-11-23T05:00Z")));
  CHECK_FALSE(policy("nap-1", utc("2026-11-23T15:00Z"), utc("2026-11-23T15:01Z")));
  CHECK_FALSE(policy("nap-1", utc("2026-11-29T03:00Z"), utc("2026-11-29T03:01Z")));
  // Lunch break spanned: overlaps both halves.
  CHECK(policy("nap-1", utc("2026-11-23T03:59Z"), utc("2026-11-23T05:01Z")));
  // A segment with nothing kept (damaged, length 0) counts as its start instant.
  CHECK(policy("nap-1", opening, opening) == opening + kDays90);
  CHECK_FALSE(policy("nap-1", opening - 1us, opening - 1us));

  retention.care_days = 180;
  CHECK(make_protection_policy(retention, calendar)("nap-1", opening, opening + 60s) ==
        opening + 60s + date::days{180});
}

TEST_CASE("protection counts local calendar days when DST makes them longer", "[retention]") {
  // New York falls back on 2026-11-01: 90 local days after 2026-08-10 10:00 EDT is
  // 2026-11-08 10:00 EST, one hour more than 90 × 24 h.
  care::CareCalendar calendar(week({"08:00-17:00"}), zone("America/New_York"));
  auto policy = make_protection_policy(config::Retention{}, calendar);
  const UtcTime end = utc("2026-08-10T14:00Z");  // Monday 10:00 EDT
  CHECK(policy("c", end - 60s, end) == utc("2026-11-08T15:00Z"));
  CHECK(retention::care_protect_until(end, 90, zone("America/New_York")) == end + kDays90 + 1h);
  // Across spring-forward the 24-hour count is the later one.
  const UtcTime winter = utc("2026-01-12T15:00Z");  // Monday 10:00 EST
  CHECK(policy("c", winter - 60s, winter) == winter + kDays90);
  CHECK(retention::care_protect_until(winter, 90, zone("Asia/Shanghai")) == winter + kDays90);
}

TEST_CASE("the schedule in force at close is what protects, and a later edit cannot shorten it", "[retention]") {
  // Saturdays were care days; the operator then closes Saturdays. The protection stored at
  // close comes from the old policy and stays what it was: nothing asks the new one again.
  auto shanghai = zone("Asia/Shanghai");
  care::CareCalendar before(week({"07:30-18:30"}, {"08:00-12:00"}), shanghai);
  care::CareCalendar after(week({"07:30-18:30"}), shanghai);
  const UtcTime saturday = utc("2026-11-28T01:00Z");  // Saturday 09:00
  auto stored = make_protection_policy(config::Retention{}, before)("nap-1", saturday, saturday + 60s);
  REQUIRE(stored == saturday + 60s + kDays90);
  CHECK_FALSE(make_protection_policy(config::Retention{}, after)("nap-1", saturday, saturday + 60s));
  // (The planner uses a stored protect_until as it is; see planner_test.cpp.)
}

TEST_CASE("CareOverlap answers exactly what the calendar answers, holidays and DST included", "[retention]") {
  for (const char* name : {"America/New_York", "Asia/Shanghai"}) {
    CAPTURE(name);
    config::CareHours hours = week({"07:30-12:00", "13:00-18:30"}, {"22:00-06:00"});
    hours.weekly[6] = ranges({"01:30-03:00"});  // Sunday, inside New York's DST changes
    hours.exceptions = {closed_on("2026-10-01"), closed_on("2026-10-02"), hours_on("2026-10-11", {"07:30-18:30"}),
                        hours_on("2026-03-08", {"00:00-24:00"}), hours_on("2026-11-01", {"00:30-02:30"})};
    care::CareCalendar calendar(hours, zone(name));
    retention::CareOverlap overlap(calendar);
    std::mt19937_64 rng(20261101);
    auto check = [&](UtcTime start, Micros length) {
      bool expected =
          length == Micros{0} ? calendar.in_care(start) : !calendar.care_intervals(start, start + length).empty();
      CAPTURE(format_utc_iso(start), length.count());
      REQUIRE(overlap(start, start + length) == expected);
      return expected ? 1 : 0;
    };
    int in_care = 0;
    // Anywhere in the year, in random order (the cache window moves every time) ...
    const std::int64_t from = to_us(utc("2026-01-01T00:00Z"));
    const std::int64_t span = to_us(utc("2027-01-01T00:00Z")) - from;
    for (int i = 0; i < 2'000; ++i) {
      UtcTime start = from_us(from + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(span)));
      Micros length = Micros{static_cast<std::int64_t>(rng() % 7'200'000'000ULL)};  // up to 2 h
      if (rng() % 10 == 0) length = Micros{0};
      in_care += check(start, length);
    }
    // ... and minute by minute, as segments come, through both DST changes and the holidays.
    for (const char* first : {"2026-03-06T00:00Z", "2026-09-29T00:00Z", "2026-10-30T00:00Z"}) {
      for (UtcTime t = utc(first); t < utc(first) + std::chrono::days{3}; t += 60s) {
        in_care += check(t + Micros{static_cast<std::int64_t>(rng() % 1'000'000)}, 60s);
      }
    }
    CHECK(in_care > 1'000);  // both answers were exercised
  }
}
