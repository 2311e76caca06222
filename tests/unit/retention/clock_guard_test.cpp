// The clock guard (PRODUCT.md §4 invariant 5; issue 15): deletion pauses when the wall clock
// jumps against the monotonic clock or against the last trusted time saved by the previous run,
// small steps add up, and trust returns by NTP, by the clock coming back, or by an operator.
#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "index/index.hpp"
#include "index/schema.hpp"
#include "retention/clock_guard.hpp"
#include "sqlite/connection.hpp"
#include "support/temp_dir.hpp"

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

// The kernel's boot as the daemon reads it at a start: its id and CLOCK_BOOTTIME, for which the
// FakeClock's monotonic time stands (both advance with advance(); a wall-clock step moves neither).
Micros since_epoch(const FakeClock& clock) {
  return std::chrono::duration_cast<Micros>(clock.steady_now().time_since_epoch());
}
BootStamp boot(const FakeClock& clock, const std::string& id) { return {id, since_epoch(clock)}; }

// A start after a reboot: a boot id no start has seen before.
BootStamp rebooted(const FakeClock& clock) {
  static int boots = 0;
  return boot(clock, "reboot-" + std::to_string(++boots));
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("a steady clock stays trusted, slow drift included", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, saved(kT0 - 10s), kUnsynced, rebooted(clock));
  CHECK(guard.check(kUnsynced).trusted);
  for (int i = 0; i < 1000; ++i) {
    clock.advance(60s);
    clock.step_wall_clock(100ms);  // NTP slewing: 100 s in total, never a jump
    REQUIRE(guard.check(kUnsynced).trusted);
  }
}

TEST_CASE("a wall clock jumped 10 years forward is not trusted until it comes back", "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, saved(kT0), kUnsynced, rebooted(clock));
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
  ClockGuard guard(clock, saved(kT0), kUnsynced, rebooted(clock));
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
    ClockGuard guard(clock, saved(kT0 - std::chrono::days(3)), kUnsynced, rebooted(clock));
    CHECK(guard.trusted());
  }
  SECTION("a clock earlier than the last trusted time is not") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0 + std::chrono::days(1)), kUnsynced, rebooted(clock));
    CHECK_FALSE(guard.trusted());
  }
  SECTION("a box that boots 10 years after the last trusted time is not") {
    FakeClock clock{kT0 + kTenYears};
    ClockGuard guard(clock, saved(kT0), kUnsynced, rebooted(clock));
    CHECK_FALSE(guard.trusted());
    // ... until the clock is set right, while the daemon runs.
    clock.advance(5min);
    clock.step_wall_clock(-kTenYears);
    CHECK(guard.check(kUnsynced).trusted);
  }
  SECTION("an operator may confirm a date far past the last trusted time") {
    FakeClock clock{kT0 + std::chrono::days(200)};
    ClockGuard guard(clock, saved(kT0), kUnsynced, rebooted(clock));
    REQUIRE_FALSE(guard.trusted());
    guard.confirm();
    clock.advance(1min);
    CHECK(guard.check(kUnsynced).trusted);
  }
  SECTION("an empty index has nothing to compare and nothing to delete") {
    FakeClock clock{kT0 + kTenYears};
    ClockGuard guard(clock, std::nullopt, kUnsynced, rebooted(clock));
    CHECK(guard.trusted());
  }
}

// Issue 15: the second start on a clock 10 years ahead trusted it, because the footage and
// heartbeats written by the first had become the "evidence". The saved state is all a start sees.
TEST_CASE("a restart on a clock 10 years ahead, twice, stays untrusted until NTP or an operator vouches",
          "[retention][clock]") {
  FakeClock clock{kT0 + kTenYears};
  ClockGuard first(clock, saved(kT0), kUnsynced, rebooted(clock));
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
  ClockGuard second(clock, left, kUnsynced, rebooted(clock));
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
    ClockGuard third(clock, second.state(), kUnsynced, rebooted(clock));  // and it holds across the next restart
    CHECK(third.trusted());
  }
}

TEST_CASE("small steps under the tolerance add up, within a run and across restarts", "[retention][clock]") {
  SECTION("three forward steps of 2 min") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0), kUnsynced, rebooted(clock));
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
      ClockGuard guard(clock, state, kUnsynced, rebooted(clock));
      REQUIRE(guard.trusted());
      clock.advance(1h);
      REQUIRE(guard.check(kUnsynced).trusted);
      state = guard.state();
    }
    CHECK(state->drift == -3min);
    // The guard keeps the sum: 6 min back in all is over the tolerance.
    clock.step_wall_clock(-3min);
    ClockGuard guard(clock, state, kUnsynced, rebooted(clock));
    CHECK_FALSE(guard.trusted());
    CHECK(guard.check(kUnsynced).reason.find("6 min earlier than it should be") != std::string::npos);
    // NTP is a fresh reference: the budget starts again.
    CHECK(guard.check(kSynced).trusted);
    CHECK(guard.state().drift == Micros::zero());
  }
  SECTION("once synchronised, NTP's own corrections are not counted") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0), kSynced, rebooted(clock));
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
    ClockGuard guard(clock, saved(kT0), kSynced, rebooted(clock));
    CHECK(guard.trusted());
  }
  SECTION("not synchronised at start, synchronised a minute later") {
    FakeClock clock{kT0 + six_months};
    ClockGuard guard(clock, saved(kT0), kUnsynced, rebooted(clock));
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
    ClockGuard before(clock, saved(kT0), kSynced, rebooted(clock));
    CHECK_FALSE(before.trusted());
    clock.step_wall_clock(std::chrono::days(1) + std::chrono::days(400));
    ClockGuard later(clock, saved(kT0), kSynced, rebooted(clock));
    CHECK_FALSE(later.trusted());
  }
  SECTION("NTP stepping the clock forward while the daemon runs (a box without RTC after boot)") {
    FakeClock clock{kT0};
    ClockGuard guard(clock, saved(kT0 - 1h), kUnsynced, rebooted(clock));
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
    ClockGuard running(clock, saved(kT0 - 1min), kUnsynced, rebooted(clock));
    REQUIRE(running.trusted());
    clock.advance(10min);
    clock.step_wall_clock(step);
    REQUIRE_FALSE(running.check(kUnsynced).trusted);
    auto left = running.state();
    CHECK(left.reference == kT0);  // where trust ended, not the wrong clock
    clock.advance(30s);
    ClockGuard restarted(clock, left, kUnsynced, rebooted(clock));
    CHECK_FALSE(restarted.trusted());
    clock.advance(1h);
    CHECK_FALSE(restarted.check(kUnsynced).trusted);
  }
}

TEST_CASE("the saved state is written on every change of trust and once a minute while trusted",
          "[retention][clock]") {
  FakeClock clock{kT0};
  ClockGuard guard(clock, std::nullopt, kUnsynced, rebooted(clock));
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

// Issue 15, H2 of the hostile review (docs/evidence.md): with a fresh 30-day allowance at every
// start, four restarts with the clock set +23, +46, +69 and +92 days were each "under 30 days
// past the last trusted time", and retention then deleted care footage kept for 90 days.
namespace {

// A run of carekeepd started at `clock`'s time in `boot`, checking the clock every minute for an
// hour (or until it does not trust it); returns whether the start trusted the clock, and leaves
// what it saved in `state`.
bool start_and_run(FakeClock& clock, std::optional<index::ClockTrustRow>& state, BootStamp boot,
                   std::string* reason = nullptr) {
  ClockGuard guard(clock, state, kUnsynced, std::move(boot));
  bool trusted = guard.trusted();
  if (reason != nullptr) *reason = guard.check(kUnsynced).reason;
  for (int i = 0; i < 60; ++i) {
    clock.advance(1min);
    guard.check(kUnsynced);
  }
  state = guard.state();
  return trusted;
}

}  // namespace

TEST_CASE("restarts at +23, +46, +69 and +92 days after reboots: the offline allowance is spent once, "
          "untrusted by the second",
          "[retention][clock]") {
  FakeClock clock{kT0};
  std::optional<index::ClockTrustRow> state;
  REQUIRE(start_and_run(clock, state, boot(clock, "installed")));  // a fresh index: trusted as it is
  REQUIRE(state->offline_used == Micros::zero());
  std::vector<bool> trusted;
  std::vector<std::string> reasons;
  for (int i = 0; i < 4; ++i) {
    clock.advance(2min);  // a reboot takes real time ...
    clock.step_wall_clock(std::chrono::days(23));  // ... and the operator sets the clock 23 days on
    std::string reason;
    trusted.push_back(start_and_run(clock, state, rebooted(clock), &reason));
    reasons.push_back(reason);
  }
  CAPTURE(reasons[0], reasons[1]);
  CHECK(trusted[0]);  // 23 days off is a holiday: believed, but spent
  CHECK_FALSE(trusted[1]);
  CHECK_FALSE(trusted[2]);
  CHECK_FALSE(trusted[3]);
  CHECK(contains(reasons[1], "offline allowance used up: 23 of 30 days already used since the last NTP or operator "
                             "confirmation"));
  CHECK(contains(reasons[1], "plus the 6 days 23 h left"));
  // What the last start saved is still the time the first one trusted: nothing done on the
  // wrong clock moved it, and the budget stays spent.
  CHECK_FALSE(state->trusted);
  CHECK(state->offline_used >= std::chrono::days(23));
  CHECK(state->reference < kT0 + std::chrono::days(24));
}

TEST_CASE("the same four restarts in one boot are untrusted at the first: the boot clock says how much time passed",
          "[retention][clock]") {
  FakeClock clock{kT0};
  std::optional<index::ClockTrustRow> state;
  REQUIRE(start_and_run(clock, state, boot(clock, "this-boot")));
  std::vector<bool> trusted;
  std::string first_reason;
  for (int i = 0; i < 4; ++i) {
    clock.advance(2h + 5min);  // carekeepd stopped for 2 h 5 min, the box kept running
    clock.step_wall_clock(std::chrono::days(23));
    std::string reason;
    trusted.push_back(start_and_run(clock, state, boot(clock, "this-boot"), &reason));
    if (i == 0) first_reason = reason;
  }
  CAPTURE(first_reason);
  CHECK(trusted == std::vector<bool>{false, false, false, false});
  CHECK(contains(first_reason, "restarted in the same boot: the wall clock"));
  CHECK(contains(first_reason, "is 23 days 0 h later than the 2 h 5 min that passed since the last trusted time"));
  CHECK(state->offline_used == Micros::zero());
  CHECK(state->boot_id == "this-boot");

  SECTION("a step smaller than the old allowance, a day, is refused in the same boot too") {
    FakeClock other{kT0};
    std::optional<index::ClockTrustRow> left;
    REQUIRE(start_and_run(other, left, boot(other, "b")));
    other.advance(10s);
    other.step_wall_clock(std::chrono::days(1));
    CHECK_FALSE(start_and_run(other, left, boot(other, "b")));
  }
}

TEST_CASE("in the same boot NTP vouches for no more than the boot clock measured plus the allowance spent",
          "[retention][clock]") {
  // Review H2's remaining gap: a kernel reporting NTP synchronisation (a rogue time server run by
  // root) made a clock up to 366 days ahead trusted at a restart in the same boot.
  FakeClock clock{kT0};
  std::optional<index::ClockTrustRow> state;
  REQUIRE(start_and_run(clock, state, boot(clock, "b")));
  clock.advance(10min);  // carekeepd stopped 10 min, the box running
  SECTION("+100 days with NTP synchronised: refused, and said why") {
    clock.step_wall_clock(std::chrono::days(100));
    ClockGuard guard(clock, state, kSynced, boot(clock, "b"));
    CHECK_FALSE(guard.trusted());
    auto trust = guard.check(kSynced);
    CHECK_FALSE(trust.trusted);
    CAPTURE(trust.reason);
    CHECK(contains(trust.reason, "restarted in the same boot"));
    CHECK(contains(trust.reason, "which vouches in the same boot for no more than the boot clock measured plus the 0 s "
                                 "of offline allowance spent and the step tolerance"));
    // After a reboot the same clock with NTP is believed, as before (the box may have been off).
    ClockGuard after_reboot(clock, state, kSynced, rebooted(clock));
    CHECK(after_reboot.trusted());
  }
  SECTION("NTP correcting within the step tolerance is still believed, and resets the drift") {
    clock.step_wall_clock(4min);
    ClockGuard guard(clock, state, kSynced, boot(clock, "b"));
    CHECK(guard.trusted());
    CHECK(guard.state().source == "ntp");
  }
  SECTION("what this boot's reference took on trust may be corrected by NTP, no more") {
    // A reboot after 20 days off, the clock believed on the offline allowance (20 days spent);
    // then a restart in that boot, with NTP now setting the clock 15 days further on (the box
    // was off longer than its RTC said): within the 20 days spent, believed; 25 days is not.
    clock.advance(std::chrono::days(20));
    REQUIRE(start_and_run(clock, state, boot(clock, "b2")));
    REQUIRE(state->offline_used >= std::chrono::days(20));
    clock.advance(10min);
    auto restarted = state;
    SECTION("15 days") {
      clock.step_wall_clock(std::chrono::days(15));
      CHECK(ClockGuard(clock, restarted, kSynced, boot(clock, "b2")).trusted());
    }
    SECTION("25 days") {
      clock.step_wall_clock(std::chrono::days(25));
      CHECK_FALSE(ClockGuard(clock, restarted, kSynced, boot(clock, "b2")).trusted());
    }
  }
}

TEST_CASE("a restart in the same boot trusts the time the boot clock measured, however long carekeepd was stopped",
          "[retention][clock]") {
  FakeClock clock{kT0};
  std::optional<index::ClockTrustRow> state;
  REQUIRE(start_and_run(clock, state, boot(clock, "b")));
  clock.advance(std::chrono::days(40));  // stopped for 40 days, box running: more than any allowance
  CHECK(start_and_run(clock, state, boot(clock, "b")));
  CHECK(state->offline_used == Micros::zero());  // nothing was taken on trust
  // A step back within the tolerance across the restart is the summed drift, as in a run.
  clock.advance(1min);
  clock.step_wall_clock(-4min);
  CHECK(start_and_run(clock, state, boot(clock, "b")));
  CHECK(state->drift == -4min);
  clock.advance(1min);
  clock.step_wall_clock(-2min);
  std::string reason;
  CHECK_FALSE(start_and_run(clock, state, boot(clock, "b"), &reason));
  CHECK(contains(reason, "6 min earlier than it should be"));
}

TEST_CASE("legitimate power-offs: 20 days off is trusted, twice only with NTP or an operator between",
          "[retention][clock]") {
  FakeClock clock{kT0};
  std::optional<index::ClockTrustRow> state;
  REQUIRE(start_and_run(clock, state, boot(clock, "b0")));
  clock.advance(std::chrono::days(20));  // switched off for 20 days: the clock (RTC) keeps real time
  REQUIRE(start_and_run(clock, state, rebooted(clock)));
  CHECK(state->offline_used >= std::chrono::days(20));
  CHECK(state->offline_used < std::chrono::days(20) + 1min);

  SECTION("without NTP between, the second 20 days are more than the 10 left") {
    clock.advance(std::chrono::days(20));
    std::string reason;
    CHECK_FALSE(start_and_run(clock, state, rebooted(clock), &reason));
    CHECK(contains(reason, "offline allowance used up: 20 of 30 days"));
  }
  SECTION("NTP synchronisation in between resets the allowance") {
    {
      ClockGuard running(clock, state, kUnsynced, rebooted(clock));
      REQUIRE(running.trusted());
      clock.advance(1h);
      REQUIRE(running.check(kSynced).trusted);
      CHECK(running.state().offline_used == Micros::zero());
      CHECK(running.state().source == "ntp");
      CHECK(running.should_save(state));
      state = running.state();
    }
    clock.advance(std::chrono::days(20));
    CHECK(start_and_run(clock, state, rebooted(clock)));
    CHECK(state->offline_used >= std::chrono::days(20));
  }
  SECTION("so does an operator's confirmation") {
    {
      ClockGuard running(clock, state, kUnsynced, rebooted(clock));
      running.confirm();
      CHECK(running.state().offline_used == Micros::zero());
      state = running.state();
    }
    clock.advance(std::chrono::days(20));
    CHECK(start_and_run(clock, state, rebooted(clock)));
  }
  SECTION("NTP at the start after the second power-off vouches for it") {
    clock.advance(std::chrono::days(20));
    ClockGuard guard(clock, state, kSynced, rebooted(clock));
    CHECK(guard.trusted());
    CHECK(guard.state().offline_used == Micros::zero());
  }
}

TEST_CASE("a saved state without a boot (an index from before migration 0010) is a reboot with nothing used",
          "[retention][clock]") {
  SECTION("29 days past it: trusted, as version 8 did, and spent") {
    FakeClock clock{kT0 + std::chrono::days(29)};
    ClockGuard guard(clock, saved(kT0), kUnsynced, boot(clock, "b"));
    CHECK(guard.trusted());
    CHECK(guard.state().offline_used == std::chrono::days(29));
    CHECK(guard.state().boot_id == "b");
    CHECK(guard.state().boottime == since_epoch(clock));
  }
  SECTION("31 days past it: not") {
    FakeClock clock{kT0 + std::chrono::days(31)};
    ClockGuard guard(clock, saved(kT0), kUnsynced, boot(clock, "b"));
    CHECK_FALSE(guard.trusted());
  }
  SECTION("a boot clock earlier than the saved one cannot be the same boot: a reboot") {
    FakeClock clock{kT0 + std::chrono::days(2)};
    auto row = saved(kT0);
    row.boot_id = "b";
    row.boottime = since_epoch(clock) + std::chrono::days(365);
    ClockGuard guard(clock, row, kUnsynced, boot(clock, "b"));
    CHECK(guard.trusted());
    CHECK(guard.state().offline_used == std::chrono::days(2));
  }
  SECTION("a boot id that could not be read: a reboot, and none saved") {
    FakeClock clock{kT0 + std::chrono::days(2)};
    ClockGuard guard(clock, saved(kT0), kUnsynced, BootStamp{});
    CHECK(guard.trusted());
    CHECK(guard.state().boot_id.empty());
    CHECK_FALSE(guard.state().boottime);
  }
}

TEST_CASE("the boot, boottime and offline allowance used survive the index, and migration 0010 leaves them unknown",
          "[retention][clock][db]") {
  test::TempDir dir;
  SECTION("round trip") {
    auto index = index::Index::open_writer(dir / "index.db").value();
    CHECK_FALSE(index.clock_trust().value());
    index::ClockTrustRow row{kT0, -3min, true, "consistent", "5f0c-boot", 123'456'789us, std::chrono::days(23)};
    REQUIRE(index.save_clock_trust(row));
    auto back = index.clock_trust().value();
    REQUIRE(back);
    CHECK(back->reference == kT0);
    CHECK(back->drift == -3min);
    CHECK(back->boot_id == "5f0c-boot");
    CHECK(back->boottime == Micros(123'456'789));
    CHECK(back->offline_used == std::chrono::days(23));
    row.boot_id.clear();  // a boottime without its boot means nothing: neither is stored
    REQUIRE(index.save_clock_trust(row));
    back = index.clock_trust().value();
    CHECK(back->boot_id.empty());
    CHECK_FALSE(back->boottime);
    // The index refuses a negative allowance used (a hand-edited or corrupted row).
    CHECK_FALSE(index.connection().exec("update clock_trust set offline_used_us = -1"));
  }
  SECTION("a version 8 index's row") {
    auto path = dir / "v8.db";
    {
      auto db = sqlite::Connection::open_writer(path).value();
      REQUIRE(db.exec(test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "tests/data/schema/v8.sql")));
      REQUIRE(db.exec("pragma user_version = 8"));
      REQUIRE(db.exec("pragma application_id = " + std::to_string(index::kApplicationId)));
      REQUIRE(db.exec("insert into clock_trust (id, reference_us, drift_us, trusted, source) values (1, " +
                      std::to_string(to_us(kT0)) + ", 60000000, 1, 'consistent')"));
    }
    auto index = index::Index::open_writer(path).value();
    auto row = index.clock_trust().value();
    REQUIRE(row);
    CHECK(row->reference == kT0);
    CHECK(row->drift == 1min);
    CHECK(row->boot_id.empty());
    CHECK_FALSE(row->boottime);
    CHECK(row->offline_used == Micros::zero());
  }
}
