// retention/clock_guard: may retention trust the wall clock? (PRODUCT.md §4 invariant 5;
// docs/retention.md, Retention / Clock guard; issue 15). Deletion decides on wall-clock time, so a
// clock jumped 10 years forward would make all footage look expired, and one jumped back would
// keep footage past its time or stamp new footage before old. The guard compares the wall clock
// with what the monotonic clock predicts from the last time it trusted it; across restarts it
// starts from the state it saved (the index's clock_trust row), never from footage or
// heartbeats, which are written whatever the clock says. A restart in the same boot of the
// kernel (same boot id) knows the real time elapsed since the reference from CLOCK_BOOTTIME and
// allows no downtime; after a reboot the offline allowance is spent once across starts, not
// granted afresh at each. Pure state machine over a Clock and the NTP status and boot the
// caller reads: one thread (the daemon's loop), no I/O, never blocks. It pauses deletion only:
// recording goes on whatever the clock says.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/boot.hpp"
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
  // At a start after a reboot, how far past the last trusted time the clock may be and still be
  // believed without NTP: a box switched off for a holiday is fine; longer needs NTP or an
  // operator. Cumulative: what earlier starts accepted as downtime since the last NTP
  // synchronisation or operator confirmation is spent (clock_trust.offline_used_us), so
  // restarts at +23, +46, +69 days are not each "under 30 days". No allowance at a restart in
  // the same boot, where CLOCK_BOOTTIME says how much time really passed.
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
  // is trusted as it is. `boot`: this boot's id and CLOCK_BOOTTIME now (read_boot(); tests
  // make them up), and `clock`'s monotonic time must advance with CLOCK_BOOTTIME from here on.
  // With a saved state the clock must be at or after its reference plus the time known to have
  // passed (less the step tolerance), and
  //  - in the same boot as the saved reference: no later than that (plus the step tolerance):
  //    the real time elapsed is boot.since_boot - saved boottime, and no downtime is possible;
  //  - after a reboot (or a saved state without a boot, before migration 0010): at most the
  //    offline allowance left later, max_offline - saved offline_used (max_offline_synced with
  //    NTP, which also resets offline_used).
  // If the previous run left the clock untrusted, only NTP synchronisation (with the clock in
  // that window) or an operator's confirmation restores trust: "it looks plausible" is not enough.
  ClockGuard(const Clock& clock, std::optional<index::ClockTrustRow> saved, NtpSync ntp, BootStamp boot,
             ClockGuardLimits limits = {});

  // Re-evaluates the clock. Expected = reference + real time known to have passed since (the
  // boot clock up to this start when the reference is from this boot, then the monotonic clock).
  // Trusted when
  //  - NTP is synchronised and the clock is within [expected - step_tolerance,
  //    expected + max_offline_synced]: drift is reset, NTP is the reference; or
  //  - (unless the previous run left it untrusted) the drift, which is the sum of earlier
  //    steps plus the clock's distance from [expected, expected + offline allowance], is within
  //    ±step_tolerance.
  // A clock accepted past expected() within the offline allowance adds that distance to
  // offline_used. Each trusted check moves the reference to now and keeps the drift. Once
  // untrusted, the reference and drift stay where trust ended, so nothing recorded or written
  // meanwhile moves them: trust returns when the clock comes back, NTP vouches for it, or confirm().
  ClockTrust check(NtpSync ntp);
  // An operator says the wall clock is right now (a box off for months, a corrected RTC):
  // the reference becomes now, the drift and offline_used 0.
  void confirm();
  bool trusted() const { return trusted_; }
  // Where the guard expects the wall clock to be, at the earliest, from the monotonic clock.
  UtcTime expected() const;
  // What to save (index clock_trust): reference, drift, trust, source, the boot and
  // CLOCK_BOOTTIME at the reference, offline_used.
  index::ClockTrustRow state() const;
  // Whether state() differs from `saved` in a way worth a write: trust, drift, offline_used or
  // the boot changed, or the reference moved by a minute or more (the reference lags by that
  // much after a crash, which only widens the window by a minute).
  bool should_save(const std::optional<index::ClockTrustRow>& saved) const;

 private:
  // How the reference in force came to this run: taken in it, or carried over a restart.
  enum class Carried { No, SameBoot, Reboot };

  void trust(UtcTime now, Micros drift, std::string_view source, Micros offline_used);
  Micros boottime_now() const;

  const Clock& clock_;
  ClockGuardLimits limits_;
  std::string boot_id_;                                   // this boot's
  Micros boot_at_start_{0};                               // CLOCK_BOOTTIME at construction
  std::chrono::steady_clock::time_point steady_at_start_;  // clock_.steady_now() then
  UtcTime reference_wall_;
  std::chrono::steady_clock::time_point reference_steady_;
  Micros known_before_{0};  // real time known to have passed between the reference and reference_steady_
                            // (a restart in the same boot: CLOCK_BOOTTIME since the saved reference)
  std::string reference_boot_id_;         // the boot the reference was taken in; empty: unknown
  std::optional<Micros> reference_boottime_;  // CLOCK_BOOTTIME then
  Carried carried_ = Carried::No;
  Micros offline_{0};  // how far ahead of expected() the clock may be with no drift (unknown downtime)
  Micros offline_used_{0};  // downtime accepted since the last NTP synchronisation or confirmation
  Micros drift_{0};    // steps accepted since the last NTP synchronisation or confirmation
  bool trusted_ = true;
  bool needs_vouch_ = false;  // the previous run left the clock untrusted: only NTP or an operator
  std::string source_;
  std::string reason_;
};

}  // namespace carekeep::retention
