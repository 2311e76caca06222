#include <catch2/catch.hpp>

#include "base/time.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {
UtcTime utc(const char* iso) { return parse_cli_time(iso, TimeZone::utc()).value(); }
}  // namespace

TEST_CASE("unknown time zones are refused with a hint", "[base]") {
  auto zone = TimeZone::locate("Asia/Shangai");
  REQUIRE_FALSE(zone);
  CHECK(zone.error().message.find("IANA") != std::string::npos);
  CHECK(TimeZone::locate("Asia/Kathmandu"));
}

TEST_CASE("CLI times: offset, local, Z and date alone", "[base]") {
  auto shanghai = TimeZone::locate("Asia/Shanghai").value();
  CHECK(format_utc_iso(parse_cli_time("2026-11-20T08:00", shanghai).value()) == "2026-11-20T00:00:00Z");
  CHECK(format_utc_iso(parse_cli_time("2026-11-20T08:00:30+08:00", shanghai).value()) ==
        "2026-11-20T00:00:30Z");
  CHECK(format_utc_iso(parse_cli_time("2026-11-20T08:00Z", shanghai).value()) == "2026-11-20T08:00:00Z");
  CHECK(format_utc_iso(parse_cli_time("2026-11-20T08:00-0130", shanghai).value()) ==
        "2026-11-20T09:30:00Z");
  CHECK(format_utc_iso(parse_cli_time("2026-11-20", shanghai).value()) == "2026-11-19T16:00:00Z");
  CHECK(format_utc_iso(parse_cli_time("2026-11-20", shanghai, DateBoundary::EndOfDay).value()) ==
        "2026-11-20T16:00:00Z");
  CHECK(to_us(parse_cli_time("2026-11-20T08:00:00.25Z", shanghai).value()) % 1000000 == 250000);
  for (const char* bad : {"2026-13-01", "yesterday", "2026-11-20T25:00", "2026-11-20T08", "2026-02-30",
                          "2026-11-20T08:00+8"}) {
    INFO(bad);
    auto r = parse_cli_time(bad, shanghai);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("ISO 8601") != std::string::npos);
  }
}

TEST_CASE("local times across DST map to the first matching instant", "[base]") {
  auto ny = TimeZone::locate("America/New_York").value();
  // 2026-03-08 02:30 does not exist in New York: the gap ends at 03:00 EDT = 07:00Z.
  CHECK(format_utc_iso(parse_cli_time("2026-03-08T02:30", ny).value()) == "2026-03-08T07:00:00Z");
  // 2026-11-01 01:30 happens twice; the earlier (EDT, -04:00) is chosen.
  CHECK(format_utc_iso(parse_cli_time("2026-11-01T01:30", ny).value()) == "2026-11-01T05:30:00Z");
  CHECK(format_local_iso(utc("2026-11-01T06:30Z"), ny) == "2026-11-01T01:30:00-05:00");
  auto kathmandu = TimeZone::locate("Asia/Kathmandu").value();
  CHECK(format_local_iso(utc("2026-11-20T00:00Z"), kathmandu) == "2026-11-20T05:45:00+05:45");
}

TEST_CASE("fake clock steps the wall clock without moving the monotonic one", "[base]") {
  FakeClock clock{utc("2026-11-20T00:00Z")};
  auto steady = clock.steady_now();
  clock.advance(5s);
  CHECK(clock.steady_now() - steady == 5s);
  clock.step_wall_clock(-3600s);
  CHECK(format_utc_iso(clock.now()) == "2026-11-19T23:00:05Z");
  CHECK(clock.steady_now() - steady == 5s);
}
