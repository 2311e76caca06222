// The clock guard (PRODUCT.md §4 invariant 5): deletion pauses when the wall clock jumps
// against the monotonic clock or against the index's evidence, and resumes by itself.
#include <catch2/catch.hpp>

#include "retention/clock_guard.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using retention::ClockGuard;

namespace {
const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18
constexpr auto kTenYears = std::chrono::days(3652);
}  // namespace

TEST_CASE("a steady clock stays trusted, slow drift included", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, kT0 - 10s);
  CHECK(guard.check().trusted);
  for (int i = 0; i < 1000; ++i) {
    clock.advance(60s);
    clock.step_wall_clock(100ms);  // NTP slewing: 100 s in total, never a jump
    REQUIRE(guard.check().trusted);
  }
}

TEST_CASE("a wall clock jumped 10 years forward is not trusted until it comes back", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, kT0);
  REQUIRE(guard.check().trusted);
  clock.advance(30s);
  clock.step_wall_clock(kTenYears);
  auto trust = guard.check();
  CHECK_FALSE(trust.trusted);
  CHECK(trust.reason.find("later than it should be") != std::string::npos);
  CHECK(trust.reason.find("3652 days") != std::string::npos);
  // Stable at the wrong time is still wrong: no amount of waiting makes it trusted.
  for (int i = 0; i < 100; ++i) {
    clock.advance(std::chrono::hours(1));
    REQUIRE_FALSE(guard.check().trusted);
  }
  clock.step_wall_clock(-kTenYears);
  CHECK(guard.check().trusted);
}

TEST_CASE("a wall clock stepped back is not trusted", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, kT0);
  clock.advance(10min);
  clock.step_wall_clock(-std::chrono::hours(2));
  auto trust = guard.check();
  CHECK_FALSE(trust.trusted);
  CHECK(trust.reason.find("earlier than it should be") != std::string::npos);
  clock.step_wall_clock(std::chrono::hours(2));
  CHECK(guard.check().trusted);
}

TEST_CASE("at start the clock is checked against the newest footage and the last proof of life", "[retention][clock]") {
  SECTION("a restart after a short stop is trusted") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, kT0 - std::chrono::days(3));
    CHECK(guard.trusted());
  }
  SECTION("a clock earlier than footage already recorded is not") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, kT0 + std::chrono::days(1));
    CHECK_FALSE(guard.trusted());
  }
  SECTION("a box that boots 10 years later than its last footage is not") {
    FakeClock clock{kT0 + kTenYears};
    ClockGuard guard(clock, kT0);
    CHECK_FALSE(guard.trusted());
    // ... until the clock is set right, while the daemon runs.
    clock.advance(5min);
    clock.step_wall_clock(-kTenYears);
    CHECK(guard.check().trusted);
  }
  SECTION("an operator may confirm a date far past the evidence") {
    FakeClock clock{kT0 + std::chrono::days(200)};
    ClockGuard guard(clock, kT0);
    REQUIRE_FALSE(guard.trusted());
    guard.accept_current_time();
    clock.advance(1min);
    CHECK(guard.check().trusted);
  }
  SECTION("an empty index has nothing to compare and nothing to delete") {
    FakeClock clock{kT0 + kTenYears};
    ClockGuard guard(clock, std::nullopt);
    CHECK(guard.trusted());
  }
}
