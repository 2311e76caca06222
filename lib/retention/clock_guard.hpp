// retention/clock_guard: may retention trust the wall clock? (PRODUCT.md §4 invariant 5;
// docs/retention.md, Retention / Clock guard; issue 15). Deletion decides on wall-clock time, so a
// clock jumped 10 years forward would make all footage look expired, and one jumped back would
// keep footage past its time or stamp new footage before old. The guard compares the wall clock
// with what the monotonic clock predicts from the last time it trusted it; across restarts it
// starts from the state it saved (the index's clock_trust row), never from footage or
// heartbeats, which are written whatever the clock says. Pure state machine over a Clock and
// the NTP status the caller reads: one thread (the daemon's loop), no I/O, never blocks. It
// pauses deletion only: recording goes on whatever the clock says.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"
#include "index/rows.hpp"
#include "retention/planner.hpp"

namespace carekeep::retention {

struct ClockGuardLimits {
  // The sum of wall-clock steps (against the monotonic clock) tolerated since the last NTP
  // synchronisation or operator confirmation. NTP's first correction of a box without RTC
  // battery is seconds to a minute, and an error this small cannot make protected footage (90
  // days) look expired. Summed, not per step: twenty steps of 4 min are 80 min.
  Micros step_tolerance = std::chrono::minutes(5);
  // At start, how far past the last trusted time the clock may be and still be believed
  // without NTP: a box switched off for a holiday is fine; longer needs NTP or an operator.
  Micros max_offline = std::chrono::days(30);
  // The same with the kernel reporting NTP synchronisation: a box off for months comes back
  // trusted once NTP has set it. Not unbounded: a "synchronised" clock can still be years off
  // (a rogue or broken time server, GPS week-number rollover = 19.6 years, NTP era wrap), and
  // a box off for over a year is something an operator confirms.
  Micros max_offline_synced = std::chrono::days(366);
};

// The kernel's NTP state (adjtimex: synchronised unless TIME_ERROR or STA_UNSYNC), read by the
// caller. Unknown (adjtimex failed) counts as not synchronised.
enum class NtpSync { Unknown, Unsynchronized, Synchronized };

// clock_trust.source: what set the guard's reference.
namespace trust_source {
inline constexpr std::string_view kFirstStart = "first_start";  // an index without a reference
inline constexpr std::string_view kConsistent = "consistent";   // the clock agreed with the last trusted time
inline constexpr std::string_view kNtp = "ntp";                 // the kernel reported NTP synchronisation
inline constexpr std::string_view kOperator = "operator";       // an operator confirmed the date
inline constexpr std::string_view kUnreadable = "unreadable";   // the saved state could not be read
inline constexpr std::string_view kEvidence = "evidence";       // no saved state yet: an index's older footage
}  // namespace trust_source

class ClockGuard {
 public:
  // `saved`: the state saved by the previous run (index clock_trust), nullopt for an index
  // that never had one: a fresh index has nothing to compare and nothing to delete, so its clock
  // is trusted as it is. With a saved state the clock must be at or after its reference (less
  // the step tolerance) and at most max_offline later (max_offline_synced with NTP). If the
  // previous run left the clock untrusted, only NTP synchronisation (with the clock in that
  // window) or an operator's confirmation restores trust: how far off the clock was is not
  // known across a restart, so "it looks plausible" is not enough.
  ClockGuard(const Clock& clock, std::optional<index::ClockTrustRow> saved, NtpSync ntp,
             ClockGuardLimits limits = {});

  // Re-evaluates the clock. Expected = reference + monotonic time since. Trusted when
  //  - NTP is synchronised and the clock is within [expected - step_tolerance,
  //    expected + max_offline_synced]: drift is reset, NTP is the reference; or
  //  - (unless the previous run left it untrusted) the drift, which is the sum of earlier
  //    steps plus the clock's distance from [expected, expected + offline allowance], is within
  //    ±step_tolerance.
  // Each trusted check moves the reference to now and keeps the drift. Once untrusted, the
  // reference and drift stay where trust ended, so nothing recorded or written meanwhile moves
  // them: trust returns when the clock comes back, NTP vouches for it, or confirm().
  ClockTrust check(NtpSync ntp);
  // An operator says the wall clock is right now (a box off for months, a corrected RTC):
  // the reference becomes now and the drift 0.
  void confirm();
  bool trusted() const { return trusted_; }
  // Where the guard expects the wall clock to be, at the earliest, from the monotonic clock.
  UtcTime expected() const;
  // What to save (index clock_trust): reference, drift, trust, source.
  index::ClockTrustRow state() const;
  // Whether state() differs from `saved` in a way worth a write: trust or drift changed, or
  // the reference moved by a minute or more (the reference lags by that much after a crash,
  // which only widens the window by a minute).
  bool should_save(const std::optional<index::ClockTrustRow>& saved) const;

 private:
  void trust(UtcTime now, Micros drift, std::string_view source);

  const Clock& clock_;
  ClockGuardLimits limits_;
  UtcTime reference_wall_;
  std::chrono::steady_clock::time_point reference_steady_;
  Micros offline_{0};  // how far ahead of expected() the clock may be with no drift (unknown downtime)
  Micros drift_{0};    // steps accepted since the last NTP synchronisation or confirmation
  bool trusted_ = true;
  bool needs_vouch_ = false;  // the previous run left the clock untrusted: only NTP or an operator
  std::string source_;
  std::string reason_;
};

}  // namespace carekeep::retention
