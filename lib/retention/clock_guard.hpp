// retention/clock_guard: may retention trust the wall clock? (PRODUCT.md §4 invariant 5;
// docs/design.md, Retention / Clock guard). Deletion decides on wall-clock time, so a clock
// jumped 10 years forward would make all footage look expired, and one jumped back would
// keep footage past its time or stamp new footage before old. The guard compares the wall
// clock with what the monotonic clock predicts from the last time it was trusted, and, at
// start, with the newest footage and the daemon's last proof of life. Pure state machine over
// a Clock; one thread (the daemon's loop); never blocks. It pauses deletion only: recording
// goes on whatever the clock says.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/time.hpp"
#include "retention/planner.hpp"

namespace carekeep::retention {

struct ClockGuardLimits {
  // A wall-clock step (against the monotonic clock) up to this is not a jump: NTP's first
  // correction of a box without RTC battery is seconds to a minute, and an error this small
  // cannot make protected footage (90 days) look expired.
  Micros step_tolerance = std::chrono::minutes(5);
  // At start, how far past the last proof of life (newest footage end, last daemon alive) the
  // clock may be and still be believed: a box switched off for a holiday is fine; longer needs
  // an operator to confirm the date (acknowledge the clock_untrusted alert).
  Micros max_offline = std::chrono::days(30);
};

class ClockGuard {
 public:
  // `last_evidence`: the latest wall-clock time the index proves was real (max of the newest
  // segment end and previous daemon runs' alive time); nullopt for an empty index, which
  // is trusted as it is (nothing to delete, nothing to compare).
  ClockGuard(const Clock& clock, std::optional<UtcTime> last_evidence, ClockGuardLimits limits = {});

  // Re-evaluates the clock. Trusted while the wall clock is within
  // [expected - step_tolerance, expected + allowance], expected being the last trusted wall
  // time plus the monotonic time since; each trusted check moves that reference to now, so
  // slow NTP slewing never accumulates into a "jump". Once untrusted, the reference stays
  // where trust ended: trust returns by itself when the clock comes back (stepped back,
  // fixed by NTP or by hand), or when an operator confirms the date (accept_current_time).
  ClockTrust check();
  // The operator says the wall clock is right now (a box off for months, a corrected RTC).
  void accept_current_time();
  bool trusted() const { return trusted_; }
  // Where the guard expects the wall clock to be, from the monotonic clock.
  UtcTime expected() const;

 private:
  const Clock& clock_;
  ClockGuardLimits limits_;
  UtcTime reference_wall_;
  std::chrono::steady_clock::time_point reference_steady_;
  Micros allowance_;  // how far ahead of expected() the clock may be
  bool trusted_ = true;
  std::string reason_;
};

}  // namespace carekeep::retention
