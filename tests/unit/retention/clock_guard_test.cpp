// The clock guard (PRODUCT.md §4 invariant 5; issue 15): deletion pauses when the wall clock
// jumps against the monotonic clock or against the last trusted time saved by the previous run,
// small steps add up, and trust returns by NTP, by the clock coming back, or by an operator.
#include <catch2/catch.hpp>

#include "retention/clock_guard.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using retention::ClockGuard;
using retention::NtpSync;

namespace {
const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18
constexpr auto kTenYears = std::chrono::days(3652);
constexpr auto kUnsynced = NtpSync::Unsynchronized;
constexpr auto kSynced = NtpSync::Synchronized;

// What the previous run saved (the index's clock_trust row): it last trusted the clock at `reference`.
index::ClockTrustRow saved(UtcTime reference, bool trusted = true, Micros drift = Micros::zero()) {
  return {reference, drift, trusted, "consistent"};
}
}  // namespace

TEST_CASE("a steady clock stays trusted, slow drift included", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, saved(kT0 - 10s), kUnsynced);
  CHECK(guard.check(kUnsynced).trusted);
  for (int i = 0; i < 1000; ++i) {
    clock.advance(60s);
    clock.step_wall_clock(100ms);  // NTP slewing: 100 s in total, never a jump
    REQUIRE(guard.check(kUnsynced).trusted);
  }
}

TEST_CASE("a wall clock jumped 10 years forward is not trusted until it comes back", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, saved(kT0), kUnsynced);
  REQUIRE(guard.check(kUnsynced).trusted);
  clock.advance(30s);
  clock.step_wall_clock(kTenYears);
  auto trust = guard.check(kUnsynced);
  CHECK_FALSE(trust.trusted);
  CHECK(trust.reason.find("later than it should be") != std::string::npos);
  CHECK(trust.reason.find("3652 days") != std::string::npos);
  // Stable at the wrong time is still wrong: no amount of waiting makes it trusted.
  for (int i = 0; i < 100; ++i) {
    clock.advance(std::chrono::hours(1));
    REQUIRE_FALSE(guard.check(kUnsynced).trusted);
  }
  clock.step_wall_clock(-kTenYears);
  CHECK(guard.check(kUnsynced).trusted);
}

TEST_CASE("a wall clock stepped back is not trusted", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, saved(kT0), kUnsynced);
  clock.advance(10min);
  clock.step_wall_clock(-std::chrono::hours(2));
  auto trust = guard.check(kUnsynced);
  CHECK_FALSE(trust.trusted);
  CHECK(trust.reason.find("earlier than it should be") != std::string::npos);
  clock.step_wall_clock(std::chrono::hours(2));
  CHECK(guard.check(kUnsynced).trusted);
}

TEST_CASE("at start the clock is checked against the last trusted time the previous run saved", "[retention][clock]") {
  SECTION("a restart after a short stop is trusted") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0 - std::chrono::days(3)), kUnsynced);
    CHECK(guard.trusted());
  }
  SECTION("a clock earlier than the last trusted time is not") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0 + std::chrono::days(1)), kUnsynced);
    CHECK_FALSE(guard.trusted());
  }
  SECTION("a box that boots 10 years after the last trusted time is not") {
    FakeClock clock{kT0 + kTenYears};
    ClockGuard guard(clock, saved(kT0), kUnsynced);
    CHECK_FALSE(guard.trusted());
    // ... until the clock is set right, while the daemon runs.
    clock.advance(5min);
    clock.step_wall_clock(-kTenYears);
    CHECK(guard.check(kUnsynced).trusted);
  }
  SECTION("an operator may confirm a date far past the last trusted time") {
    FakeClock clock{kT0 + std::chrono::days(200)};
    ClockGuard guard(clock, saved(kT0), kUnsynced);
    REQUIRE_FALSE(guard.trusted());
    guard.confirm();
    clock.advance(1min);
    CHECK(guard.check(kUnsynced).trusted);
  }
  SECTION("an empty index has nothing to compare and nothing to delete") {
    FakeClock clock{kT0 + kTenYears};
    ClockGuard guard(clock, std::nullopt, kUnsynced);
    CHECK(guard.trusted());
  }
}

// Issue 15: the second start on a clock 10 years ahead trusted it, because the footage and
// heartbeats written by the first had become the "evidence". The saved state is all a start sees.
TEST_CASE("a restart on a clock 10 years ahead, twice, stays untrusted until NTP or an operator vouches",
          "[retention][clock]") {
  FakeClock clock{kT0 + kTenYears};
  ClockGuard first(clock, saved(kT0), kUnsynced);
  REQUIRE_FALSE(first.trusted());
  // An hour of recording on the wrong clock moves nothing the next start compares with.
  for (int i = 0; i < 60; ++i) {
    clock.advance(1min);
    REQUIRE_FALSE(first.check(kUnsynced).trusted);
  }
  auto left = first.state();
  CHECK(left.reference == kT0);
  CHECK_FALSE(left.trusted);
  CHECK(first.should_save(saved(kT0)));

  clock.advance(10s);  // the restart
  ClockGuard second(clock, left, kUnsynced);
  CHECK_FALSE(second.trusted());
  CHECK(second.state().reference == kT0);
  SECTION("the clock set right by hand is not enough after a restart: nothing says how far off it was") {
    clock.step_wall_clock(-kTenYears);
    auto trust = second.check(kUnsynced);
    CHECK_FALSE(trust.trusted);
    CHECK(trust.reason.find("not trusted when carekeepd last ran") != std::string::npos);
    // ... until NTP reports synchronisation with the clock in the window.
    clock.advance(1min);
    CHECK(second.check(kSynced).trusted);
    CHECK(second.state().source == "ntp");
    CHECK(second.state().drift == Micros::zero());
  }
  SECTION("NTP synchronised on a clock 10 years ahead is still not believed") {
    CHECK_FALSE(second.check(kSynced).trusted);
  }
  SECTION("an operator's confirmation is") {
    second.confirm();
    CHECK(second.trusted());
    CHECK(second.state().source == "operator");
    CHECK(second.state().reference == clock.now());
    clock.advance(10s);
    ClockGuard third(clock, second.state(), kUnsynced);  // and it holds across the next restart
    CHECK(third.trusted());
  }
}

TEST_CASE("small steps under the tolerance add up, within a run and across restarts", "[retention][clock]") {
  SECTION("three forward steps of 2 min") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0), kUnsynced);
    REQUIRE(guard.trusted());
    clock.advance(10min);
    clock.step_wall_clock(2min);
    REQUIRE(guard.check(kUnsynced).trusted);
    clock.advance(10min);
    clock.step_wall_clock(2min);
    REQUIRE(guard.check(kUnsynced).trusted);
    CHECK(guard.state().drift == 4min);
    clock.advance(10min);
    clock.step_wall_clock(2min);
    auto trust = guard.check(kUnsynced);
    CHECK_FALSE(trust.trusted);
    CHECK(trust.reason.find("6 min later than it should be") != std::string::npos);
    CHECK(trust.reason.find("in steps that add up") != std::string::npos);
    // Stepped back by one of them: 4 min in all, trusted again.
    clock.step_wall_clock(-2min);
    CHECK(guard.check(kUnsynced).trusted);
  }
  SECTION("steps back at each restart") {
    FakeClock clock{kT0};
    std::optional<index::ClockTrustRow> state = saved(kT0);
    clock.step_wall_clock(-3min);  // an RTC that loses 3 min over each power cycle
    {
      ClockGuard guard(clock, state, kUnsynced);
      REQUIRE(guard.trusted());
      clock.advance(1h);
      REQUIRE(guard.check(kUnsynced).trusted);
      state = guard.state();
    }
    CHECK(state->drift == -3min);
    // The guard keeps the sum: 6 min back in all is over the tolerance.
    clock.step_wall_clock(-3min);
    ClockGuard guard(clock, state, kUnsynced);
    CHECK_FALSE(guard.trusted());
    CHECK(guard.check(kUnsynced).reason.find("6 min earlier than it should be") != std::string::npos);
    // NTP is a fresh reference: the budget starts again.
    CHECK(guard.check(kSynced).trusted);
    CHECK(guard.state().drift == Micros::zero());
  }
  SECTION("once synchronised, NTP's own corrections are not counted") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0), kSynced);
    for (int i = 0; i < 10; ++i) {
      clock.advance(1h);
      clock.step_wall_clock(2min);
      REQUIRE(guard.check(kSynced).trusted);
    }
  }
}

TEST_CASE("with NTP synchronised a box off for 6 months is trusted, without NTP an operator confirms",
          "[retention][clock]") {
  const auto six_months = std::chrono::days(182);
  SECTION("synchronised at start") {
    FakeClock clock{kT0 + six_months};
    ClockGuard guard(clock, saved(kT0), kSynced);
    CHECK(guard.trusted());
  }
  SECTION("not synchronised at start, synchronised a minute later") {
    FakeClock clock{kT0 + six_months};
    ClockGuard guard(clock, saved(kT0), kUnsynced);
    CHECK_FALSE(guard.trusted());
    clock.advance(1min);
    CHECK_FALSE(guard.check(NtpSync::Unknown).trusted);
    CHECK(guard.check(kSynced).trusted);
    // From then on the reference is the synchronised time: it needs NTP no more.
    clock.advance(1h);
    CHECK(guard.check(kUnsynced).trusted);
  }
  SECTION("synchronised but before the last trusted time, or years past it") {
    FakeClock clock{kT0 - std::chrono::days(1)};
    ClockGuard before(clock, saved(kT0), kSynced);
    CHECK_FALSE(before.trusted());
    clock.step_wall_clock(std::chrono::days(1) + std::chrono::days(400));
    ClockGuard later(clock, saved(kT0), kSynced);
    CHECK_FALSE(later.trusted());
  }
  SECTION("NTP stepping the clock forward while the daemon runs (a box without RTC after boot)") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0 - 1h), kUnsynced);
    REQUIRE(guard.trusted());
    clock.advance(1min);
    clock.step_wall_clock(std::chrono::days(20));
    CHECK_FALSE(guard.check(kUnsynced).trusted);
    CHECK(guard.check(kSynced).trusted);
  }
}

TEST_CASE("a clock an hour off, then a restart while still wrong, stays untrusted", "[retention][clock]") {
  for (auto step : {Micros(1h), Micros(-1h)}) {
    CAPTURE(step.count());
    FakeClock clock{kT0};
    ClockGuard running(clock, saved(kT0 - 1min), kUnsynced);
    REQUIRE(running.trusted());
    clock.advance(10min);
    clock.step_wall_clock(step);
    REQUIRE_FALSE(running.check(kUnsynced).trusted);
    auto left = running.state();
    CHECK(left.reference == kT0);  // where trust ended, not the wrong clock
    clock.advance(30s);
    ClockGuard restarted(clock, left, kUnsynced);
    CHECK_FALSE(restarted.trusted());
    clock.advance(1h);
    CHECK_FALSE(restarted.check(kUnsynced).trusted);
  }
}

TEST_CASE("the saved state is written on every change of trust and once a minute while trusted",
          "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, std::nullopt, kUnsynced);
  CHECK(guard.should_save(std::nullopt));
  auto written = guard.state();
  CHECK(written.source == "first_start");
  clock.advance(30s);
  guard.check(kUnsynced);
  CHECK_FALSE(guard.should_save(written));
  clock.advance(31s);
  guard.check(kUnsynced);
  CHECK(guard.should_save(written));
  written = guard.state();
  clock.advance(2s);
  clock.step_wall_clock(kTenYears);
  guard.check(kUnsynced);
  CHECK(guard.should_save(written));
  written = guard.state();
  for (int i = 0; i < 100; ++i) {
    clock.advance(1min);
    guard.check(kUnsynced);
    REQUIRE_FALSE(guard.should_save(written));  // untrusted: nothing moves
  }
}
