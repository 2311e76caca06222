#include "retention/clock_guard.hpp"

#include <string>

namespace carekeep::retention {
namespace {

// "3650 days 0 h", "5 min": the size of a jump in words an operator reads in the alert.
std::string describe(Micros d) {
  auto abs = d < Micros::zero() ? -d : d;
  auto days = std::chrono::duration_cast<std::chrono::days>(abs);
  auto hours = std::chrono::duration_cast<std::chrono::hours>(abs - days);
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(abs - days - hours);
  if (days.count() > 0) return std::to_string(days.count()) + " days " + std::to_string(hours.count()) + " h";
  if (hours.count() > 0) return std::to_string(hours.count()) + " h " + std::to_string(minutes.count()) + " min";
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(abs);
  if (minutes.count() > 0) return std::to_string(minutes.count()) + " min";
  return std::to_string(seconds.count()) + " s";
}

}  // namespace

ClockGuard::ClockGuard(const Clock& clock, std::optional<UtcTime> last_evidence, ClockGuardLimits limits)
    : clock_(clock), limits_(limits), reference_steady_(clock.steady_now()) {
  if (last_evidence) {
    // The daemon was off for an unknown time after its last proof of life: allow up to
    // max_offline beyond it, but nothing before it.
    reference_wall_ = *last_evidence;
    allowance_ = limits_.max_offline;
  } else {
    reference_wall_ = clock.now();
    allowance_ = limits_.step_tolerance;
  }
  check();
}

UtcTime ClockGuard::expected() const {
  return reference_wall_ + std::chrono::duration_cast<Micros>(clock_.steady_now() - reference_steady_);
}

ClockTrust ClockGuard::check() {
  auto now = clock_.now();
  auto expect = expected();
  Micros off = now - expect;
  bool ok = off >= -limits_.step_tolerance && off <= allowance_;
  if (ok) {
    trusted_ = true;
    reason_.clear();
    reference_wall_ = now;
    reference_steady_ = clock_.steady_now();
    allowance_ = limits_.step_tolerance;
    return {true, {}};
  }
  trusted_ = false;
  std::string was = format_utc_iso(expect);
  if (off < Micros::zero()) {
    reason_ = "the wall clock (" + format_utc_iso(now) + ") is " + describe(off) +
              " earlier than it should be (" + was + ", from footage already recorded and the monotonic clock)";
  } else {
    reason_ = "the wall clock (" + format_utc_iso(now) + ") is " + describe(off) +
              " later than it should be (" + was + ", from the last footage or proof of life and the monotonic clock)";
  }
  return {false, reason_};
}

void ClockGuard::accept_current_time() {
  reference_wall_ = clock_.now();
  reference_steady_ = clock_.steady_now();
  allowance_ = limits_.step_tolerance;
  trusted_ = true;
  reason_.clear();
}

}  // namespace carekeep::retention
