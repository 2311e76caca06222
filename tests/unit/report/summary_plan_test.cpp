// When carekeepd sends the daily summary (report::plan_summary): at summary_time local every
// day; a time passed while the daemon was down is made up once at start, however many days
// were missed; a box that never sent one waits for its time; a restart right after sending
// sends nothing more.
#include <catch2/catch.hpp>

#include "report/summary.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

UtcTime at(std::string_view iso) { return parse_cli_time(iso, TimeZone::locate("UTC").value()).value(); }

}  // namespace

TEST_CASE("the daily summary is due at its local time and a missed one is sent once", "[report][summary]") {
  const auto shanghai = TimeZone::locate("Asia/Shanghai").value();
  const auto eight_pm = std::chrono::seconds(20 * 3600);
  // 2026-11-18 19:00 in Shanghai (11:00 UTC): today's is ahead.
  const UtcTime now = at("2026-11-18T11:00:00Z");
  auto never = report::plan_summary(now, std::nullopt, eight_pm, shanghai);
  CHECK_FALSE(never.send_now);  // a new box waits for its time
  CHECK(format_utc_iso(never.next) == "2026-11-18T12:00:00Z");

  // Yesterday's went out at its time: nothing now.
  auto on_time = report::plan_summary(now, at("2026-11-17T12:00:00Z"), eight_pm, shanghai);
  CHECK_FALSE(on_time.send_now);
  // The box was down three days: one now, not three; the next at today's time.
  auto missed = report::plan_summary(now, at("2026-11-15T12:00:01Z"), eight_pm, shanghai);
  CHECK(missed.send_now);
  CHECK(format_utc_iso(missed.next) == "2026-11-18T12:00:00Z");
  // Restarted a minute after today's: sent already, nothing again.
  const UtcTime after = at("2026-11-18T12:01:00Z");
  CHECK_FALSE(report::plan_summary(after, at("2026-11-18T12:00:00Z"), eight_pm, shanghai).send_now);
  CHECK(format_utc_iso(report::plan_summary(after, at("2026-11-18T12:00:00Z"), eight_pm, shanghai).next) ==
        "2026-11-19T12:00:00Z");
  // Down across today's time: made up at start.
  CHECK(report::plan_summary(after, at("2026-11-17T12:00:00Z"), eight_pm, shanghai).send_now);
  // Seconds count: 20:00:30.
  CHECK(format_utc_iso(report::plan_summary(now, std::nullopt, eight_pm + 30s, shanghai).next) == "2026-11-18T12:00:30Z");
}

TEST_CASE("the summary's time follows the local clock across a DST change", "[report][summary]") {
  const auto berlin = TimeZone::locate("Europe/Berlin").value();
  // Saturday 2026-10-24 22:00 local (CEST, UTC+2); Sunday is CET (UTC+1).
  const UtcTime saturday_night = at("2026-10-24T20:00:00Z");
  auto plan = report::plan_summary(saturday_night, at("2026-10-24T18:00:00Z"), std::chrono::seconds(20 * 3600), berlin);
  CHECK_FALSE(plan.send_now);
  CHECK(format_utc_iso(plan.next) == "2026-10-25T19:00:00Z");
  CHECK(format_utc_iso(previous_time_of_day(saturday_night, std::chrono::seconds(20 * 3600), berlin)) ==
        "2026-10-24T18:00:00Z");
}
