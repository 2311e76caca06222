#include <catch2/catch.hpp>

#include "care/calendar.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using care::CareCalendar;
using care::DaySource;
using care::Interval;

namespace {

UtcTime utc(const char* iso) { return parse_cli_time(iso, TimeZone::utc()).value(); }
LocalDays day(const char* text) { return parse_date(text).value(); }
TimeZone zone(const char* name) { return TimeZone::locate(name).value(); }

std::vector<config::HourRange> ranges(std::initializer_list<const char*> texts) {
  std::vector<config::HourRange> out;
  for (const char* t : texts) out.push_back(config::parse_hour_range(t).value());
  return out;
}

// The same ranges on every day of the week.
config::CareHours every_day(std::initializer_list<const char*> texts) {
  config::CareHours hours;
  for (auto& d : hours.weekly) d = ranges(texts);
  return hours;
}

// Monday to Friday 07:30-12:00 and 13:00-18:30, Saturday 08:00-12:00, Sunday closed.
config::CareHours weekdays() {
  config::CareHours hours;
  for (int d = 0; d < 5; ++d) hours.weekly[d] = ranges({"07:30-12:00", "13:00-18:30"});
  hours.weekly[5] = ranges({"08:00-12:00"});
  return hours;
}

config::Exception closed(const char* date, const char* note = "") {
  return config::Exception{day(date), true, {}, note};
}
config::Exception open(const char* date, std::initializer_list<const char*> texts, const char* note = "") {
  return config::Exception{day(date), false, ranges(texts), note};
}

// "begin/end" in UTC, comma-separated: exact instants, easy to read in a failure.
std::string show(const std::vector<Interval>& intervals) {
  std::string out;
  for (const auto& i : intervals) {
    if (!out.empty()) out += ", ";
    out += format_utc_iso(i.begin) + "/" + format_utc_iso(i.end);
  }
  return out;
}

std::string show_day(const CareCalendar& calendar, const char* date) {
  return show(calendar.days(day(date), day(date)).at(0).intervals);
}

}  // namespace

TEST_CASE("weekly hours in Shanghai become exact UTC intervals", "[care]") {
  CareCalendar calendar(weekdays(), zone("Asia/Shanghai"));
  // Monday 2026-11-23 .. Sunday 2026-11-29, local midnight to local midnight.
  auto week = calendar.care_intervals(utc("2026-11-22T16:00Z"), utc("2026-11-29T16:00Z"));
  REQUIRE(week.size() == 11);
  CHECK(show({week[0], week[1]}) ==
        "2026-11-22T23:30:00Z/2026-11-23T04:00:00Z, 2026-11-23T05:00:00Z/2026-11-23T10:30:00Z");
  CHECK(show({week[10]}) == "2026-11-28T00:00:00Z/2026-11-28T04:00:00Z");  // Saturday 08:00-12:00
  CHECK(show_day(calendar, "2026-11-29").empty());                       // Sunday: closed
}

TEST_CASE("in_care: begin is inclusive, end exclusive", "[care]") {
  CareCalendar calendar(weekdays(), zone("Asia/Shanghai"));
  // Monday 2026-11-23 07:30 local = 2026-11-22T23:30Z.
  CHECK_FALSE(calendar.in_care(utc("2026-11-22T23:30Z") - 1us));
  CHECK(calendar.in_care(utc("2026-11-22T23:30Z")));
  CHECK(calendar.in_care(utc("2026-11-23T04:00Z") - 1us));
  CHECK_FALSE(calendar.in_care(utc("2026-11-23T04:00Z")));  // 12:00: lunch break
  CHECK(calendar.in_care(utc("2026-11-23T05:00Z")));
  CHECK_FALSE(calendar.in_care(utc("2026-11-29T03:00Z")));  // Sunday 11:00
}

TEST_CASE("query ranges clip intervals and inverted ranges are empty", "[care]") {
  CareCalendar calendar(weekdays(), zone("Asia/Shanghai"));
  CHECK(show(calendar.care_intervals(utc("2026-11-23T01:00Z"), utc("2026-11-23T06:00Z"))) ==
        "2026-11-23T01:00:00Z/2026-11-23T04:00:00Z, 2026-11-23T05:00:00Z/2026-11-23T06:00:00Z");
  CHECK(show(calendar.care_intervals(utc("2026-11-23T02:00Z"), utc("2026-11-23T02:00:01Z"))) ==
        "2026-11-23T02:00:00Z/2026-11-23T02:00:01Z");
  CHECK(calendar.care_intervals(utc("2026-11-23T04:00Z"), utc("2026-11-23T05:00Z")).empty());
  CHECK(calendar.care_intervals(utc("2026-11-23T06:00Z"), utc("2026-11-23T01:00Z")).empty());
  CHECK(calendar.care_intervals(utc("2026-11-23T02:00Z"), utc("2026-11-23T02:00Z")).empty());
}

TEST_CASE("a long query returns every day's intervals in order", "[care]") {
  CareCalendar calendar(weekdays(), zone("Asia/Shanghai"));
  // 90 days from Monday 2026-01-05: 12 full weeks and 6 days (Mon-Sat) of week 13.
  auto from = zone("Asia/Shanghai").to_utc(LocalTime{day("2026-01-05")});
  auto intervals = calendar.care_intervals(from, from + date::days{90});
  CHECK(intervals.size() == 13 * 11);
  CHECK(std::is_sorted(intervals.begin(), intervals.end(),
                       [](const Interval& a, const Interval& b) { return a.begin < b.begin; }));
  for (std::size_t i = 1; i < intervals.size(); ++i) CHECK(intervals[i - 1].end < intervals[i].begin);
}

TEST_CASE("New York: whole days are 23 and 25 hours long on DST days", "[care]") {
  CareCalendar calendar(every_day({"00:00-24:00"}), zone("America/New_York"));
  // Every day is one interval, and consecutive days touch, so any span merges into one.
  auto spring = calendar.days(day("2026-03-08"), day("2026-03-08")).at(0).intervals;
  CHECK(show(spring) == "2026-03-08T05:00:00Z/2026-03-09T04:00:00Z");
  CHECK(spring.at(0).length() == 23h);
  auto autumn = calendar.days(day("2026-11-01"), day("2026-11-01")).at(0).intervals;
  CHECK(show(autumn) == "2026-11-01T04:00:00Z/2026-11-02T05:00:00Z");
  CHECK(autumn.at(0).length() == 25h);
  CHECK(show(calendar.care_intervals(utc("2026-03-07T00:00Z"), utc("2026-03-10T00:00Z"))) ==
        "2026-03-07T00:00:00Z/2026-03-10T00:00:00Z");
}

TEST_CASE("New York: ranges inside and around the DST changes", "[care]") {
  config::CareHours hours;
  hours.weekly[6] = ranges({"01:30-03:00", "09:00-10:00"});  // Sundays
  CareCalendar calendar(hours, zone("America/New_York"));
  // Spring forward 2026-03-08: 02:00 EST jumps to 03:00 EDT. 01:30 EST = 06:30Z, and 03:00
  // EDT = 07:00Z: the range lasts 30 minutes of real time.
  CHECK(show_day(calendar, "2026-03-08") ==
        "2026-03-08T06:30:00Z/2026-03-08T07:00:00Z, 2026-03-08T13:00:00Z/2026-03-08T14:00:00Z");
  // Fall back 2026-11-01: 01:30 happens twice; the range starts at the first (EDT, 05:30Z)
  // and ends at 03:00 EST (08:00Z): two and a half hours.
  CHECK(show_day(calendar, "2026-11-01") ==
        "2026-11-01T05:30:00Z/2026-11-01T08:00:00Z, 2026-11-01T14:00:00Z/2026-11-01T15:00:00Z");
  CHECK(calendar.in_care(utc("2026-11-01T06:45Z")));  // 01:45 EST, the second 01:45
  // On an ordinary Sunday the same range is 90 minutes.
  CHECK(show_day(calendar, "2026-03-15") ==
        "2026-03-15T05:30:00Z/2026-03-15T07:00:00Z, 2026-03-15T13:00:00Z/2026-03-15T14:00:00Z");
}

TEST_CASE("New York: a range entirely inside the spring-forward gap is empty", "[care]") {
  config::CareHours hours;
  hours.weekly[6] = ranges({"02:00-02:30", "02:30-04:00"});
  CareCalendar calendar(hours, zone("America/New_York"));
  // 02:00 and 02:30 do not exist: both mean 03:00 EDT (07:00Z).
  auto plan = calendar.days(day("2026-03-08"), day("2026-03-08")).at(0);
  CHECK(plan.ranges.size() == 2);
  CHECK(show(plan.intervals) == "2026-03-08T07:00:00Z/2026-03-08T08:00:00Z");
  CHECK(show(calendar.care_intervals(utc("2026-03-08T00:00Z"), utc("2026-03-09T00:00Z"))) ==
        "2026-03-08T07:00:00Z/2026-03-08T08:00:00Z");
}

TEST_CASE("Berlin: DST days in March and October", "[care]") {
  config::CareHours hours = every_day({"00:00-24:00"});
  hours.exceptions = {open("2026-03-29", {"02:30-04:00", "08:00-09:00"}),
                      open("2026-10-25", {"02:30-03:00"})};
  CareCalendar whole(every_day({"00:00-24:00"}), zone("Europe/Berlin"));
  CHECK(show_day(whole, "2026-03-29") == "2026-03-28T23:00:00Z/2026-03-29T22:00:00Z");
  CHECK(show_day(whole, "2026-10-25") == "2026-10-24T22:00:00Z/2026-10-25T23:00:00Z");
  CareCalendar calendar(hours, zone("Europe/Berlin"));
  // 02:30 does not exist on 2026-03-29 (02:00 CET -> 03:00 CEST = 01:00Z).
  CHECK(show_day(calendar, "2026-03-29") ==
        "2026-03-29T01:00:00Z/2026-03-29T02:00:00Z, 2026-03-29T06:00:00Z/2026-03-29T07:00:00Z");
  // 02:30 happens twice on 2026-10-25; the earlier is 02:30 CEST = 00:30Z. 03:00 is CET = 02:00Z.
  CHECK(show_day(calendar, "2026-10-25") == "2026-10-25T00:30:00Z/2026-10-25T02:00:00Z");
}

TEST_CASE("Kathmandu: a +05:45 offset", "[care]") {
  CareCalendar calendar(weekdays(), zone("Asia/Kathmandu"));
  CHECK(show_day(calendar, "2026-11-23") ==
        "2026-11-23T01:45:00Z/2026-11-23T06:15:00Z, 2026-11-23T07:15:00Z/2026-11-23T12:45:00Z");
  CHECK(calendar.in_care(utc("2026-11-23T01:45Z")));
  CHECK_FALSE(calendar.in_care(utc("2026-11-23T01:44:59Z")));
}

TEST_CASE("exceptions: holiday, make-up Sunday and changed hours", "[care]") {
  config::CareHours hours = weekdays();
  hours.exceptions = {closed("2026-10-01", "国庆节"), open("2026-10-11", {"07:30-18:30"}, "调休"),
                      open("2026-12-31", {"07:30-16:00"})};
  CareCalendar calendar(hours, zone("Asia/Shanghai"));
  // Thursday 2026-10-01 is closed; Friday 2026-10-02 keeps its weekly hours.
  CHECK(calendar.care_intervals(utc("2026-09-30T16:00Z"), utc("2026-10-01T16:00Z")).empty());
  CHECK(show_day(calendar, "2026-10-02") ==
        "2026-10-01T23:30:00Z/2026-10-02T04:00:00Z, 2026-10-02T05:00:00Z/2026-10-02T10:30:00Z");
  // Sunday 2026-10-11 is a working day.
  CHECK(show(calendar.care_intervals(utc("2026-10-10T16:00Z"), utc("2026-10-11T16:00Z"))) ==
        "2026-10-10T23:30:00Z/2026-10-11T10:30:00Z");
  CHECK(calendar.in_care(utc("2026-10-11T04:30Z")));  // 12:30: no lunch break that day
  // New Year's Eve ends at 16:00 (08:00Z).
  CHECK(show_day(calendar, "2026-12-31") == "2026-12-30T23:30:00Z/2026-12-31T08:00:00Z");

  auto plans = calendar.days(day("2026-10-01"), day("2026-10-11"));
  REQUIRE(plans.size() == 11);
  CHECK(plans[0].source == DaySource::ExceptionClosed);
  CHECK(plans[0].note == "国庆节");
  CHECK(plans[0].weekday == date::Thursday);
  CHECK(plans[0].intervals.empty());
  CHECK(plans[1].source == DaySource::Weekly);
  CHECK(plans[1].ranges == ranges({"07:30-12:00", "13:00-18:30"}));
  CHECK(plans[3].source == DaySource::Weekly);  // Sunday 2026-10-04
  CHECK(plans[3].ranges.empty());
  CHECK(plans[10].source == DaySource::ExceptionHours);
  CHECK(plans[10].weekday == date::Sunday);
  CHECK(plans[10].note == "调休");
  CHECK(care::to_string(plans[10].source) == "exception-hours");
  CHECK(care::to_string(plans[0].source) == "exception-closed");
  CHECK(care::to_string(plans[1].source) == "weekly");
}

TEST_CASE("ranges crossing midnight end on the next day and merge with what follows", "[care]") {
  config::CareHours hours;
  hours.weekly[4] = ranges({"20:00-07:00"});   // Friday night
  hours.weekly[5] = ranges({"07:00-12:00"});   // Saturday morning, touching it
  hours.weekly[1] = ranges({"22:00-08:00"});   // Tuesday night
  hours.weekly[2] = ranges({"07:00-09:00"});   // Wednesday, overlapping it
  CareCalendar calendar(hours, zone("Asia/Shanghai"));
  // Friday 2026-11-27 20:00 (12:00Z) to Saturday 12:00 (04:00Z): one interval.
  CHECK(show(calendar.care_intervals(utc("2026-11-27T00:00Z"), utc("2026-11-29T00:00Z"))) ==
        "2026-11-27T12:00:00Z/2026-11-28T04:00:00Z");
  CHECK(show(calendar.care_intervals(utc("2026-11-24T00:00Z"), utc("2026-11-26T00:00Z"))) ==
        "2026-11-24T14:00:00Z/2026-11-25T01:00:00Z");
  // A query starting after midnight still sees the range that began the day before.
  CHECK(show(calendar.care_intervals(utc("2026-11-27T18:00Z"), utc("2026-11-27T20:00Z"))) ==
        "2026-11-27T18:00:00Z/2026-11-27T20:00:00Z");
  CHECK(calendar.in_care(utc("2026-11-27T22:59:59Z")));  // Saturday 06:59:59 local
  // The day plan lists the range on the day it starts.
  auto friday = calendar.days(day("2026-11-27"), day("2026-11-28"));
  CHECK(show(friday[0].intervals) == "2026-11-27T12:00:00Z/2026-11-27T23:00:00Z");
  CHECK(show(friday[1].intervals) == "2026-11-27T23:00:00Z/2026-11-28T04:00:00Z");
}

TEST_CASE("a closed day does not cut short the night that began the day before", "[care]") {
  config::CareHours hours;
  hours.weekly[4] = ranges({"20:00-07:00"});
  hours.weekly[5] = ranges({"20:00-07:00"});
  hours.exceptions = {closed("2026-11-28")};  // Saturday
  CareCalendar calendar(hours, zone("Asia/Shanghai"));
  // Friday night runs to Saturday 07:00; Saturday night does not happen.
  CHECK(show(calendar.care_intervals(utc("2026-11-27T00:00Z"), utc("2026-11-30T00:00Z"))) ==
        "2026-11-27T12:00:00Z/2026-11-27T23:00:00Z");
}

TEST_CASE("an exception may cross midnight, and overlaps across days merge", "[care]") {
  config::CareHours hours = every_day({"06:00-18:00"});
  hours.exceptions = {open("2026-12-31", {"08:00-02:00"}, "跨年")};
  CareCalendar calendar(hours, zone("Asia/Shanghai"));
  // 2026-12-31 08:00 to 2027-01-01 02:00, then 2027-01-01 06:00-18:00.
  CHECK(show(calendar.care_intervals(utc("2026-12-30T16:00Z"), utc("2027-01-01T16:00Z"))) ==
        "2026-12-31T00:00:00Z/2026-12-31T18:00:00Z, 2026-12-31T22:00:00Z/2027-01-01T10:00:00Z");
}

TEST_CASE("ad-hoc care sessions are care beside the schedule, merged where they meet it", "[care]") {
  auto hours = weekdays();
  // Sunday 2026-11-29 10:00-12:30 local (closed by the schedule); Monday 11:00-12:30 local,
  // which runs from the morning range into the lunch break.
  hours.adhoc = {{utc("2026-11-29T02:00Z"), utc("2026-11-29T04:30Z")},
                 {utc("2026-11-23T03:00Z"), utc("2026-11-23T04:30Z")},
                 {utc("2026-11-24T03:00Z"), utc("2026-11-24T03:00Z")}};  // empty: ignored
  CareCalendar calendar(hours, zone("Asia/Shanghai"));
  CHECK(calendar.in_care(utc("2026-11-29T02:00Z")));
  CHECK_FALSE(calendar.in_care(utc("2026-11-29T04:30Z")));
  CHECK(calendar.in_care(utc("2026-11-23T04:15Z")));  // Monday 12:15: in the session, not the schedule
  CHECK(show(calendar.care_intervals(utc("2026-11-23T00:00Z"), utc("2026-11-23T06:00Z"))) ==
        "2026-11-23T00:00:00Z/2026-11-23T04:30:00Z, 2026-11-23T05:00:00Z/2026-11-23T06:00:00Z");
  CHECK(show(calendar.care_intervals(utc("2026-11-28T16:00Z"), utc("2026-11-29T16:00Z"))) ==
        "2026-11-29T02:00:00Z/2026-11-29T04:30:00Z");
  // The day's plan is the schedule's: a session is not part of the weekly hours.
  CHECK(show_day(calendar, "2026-11-29").empty());
}
