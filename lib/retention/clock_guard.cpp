#include "retention/clock_guard.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace carekeep::retention {
namespace {

// How far the reference may move before it is worth a write (should_save): once a minute is
// nothing for the index, and a reference a minute old only widens the next start's window.
constexpr Micros kSaveEvery = std::chrono::minutes(1);

Micros abs_of(Micros d) { return d < Micros::zero() ? -d : d; }

// "3650 days 0 h", "5 min": the size of a jump in words an operator reads in the alert.
std::string describe(Micros d) {
  auto abs = abs_of(d);
  auto days = std::chrono::duration_cast<std::chrono::days>(abs);
  auto hours = std::chrono::duration_cast<std::chrono::hours>(abs - days);
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(abs - days - hours);
  if (days.count() > 0) return std::to_string(days.count()) + " days " + std::to_string(hours.count()) + " h";
  if (hours.count() > 0) return std::to_string(hours.count()) + " h " + std::to_string(minutes.count()) + " min";
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(abs);
  if (minutes.count() > 0) return std::to_string(minutes.count()) + " min";
  return std::to_string(seconds.count()) + " s";
}

// "28 of 30 days" (used rounded down to days) when the whole is whole days and the part at
// least one, else "5 min of 10 min".
std::string describe_part(Micros part, Micros whole) {
  using std::chrono::days;
  if (whole % days(1) == Micros::zero() && part >= days(1))
    return std::to_string(part / days(1)) + " of " + std::to_string(whole / days(1)) + " days";
  return describe(part) + " of " + describe(whole);
}

}  // namespace

ClockGuard::ClockGuard(const Clock& clock, std::optional<index::ClockTrustRow> saved, NtpSync ntp, BootStamp boot,
                       ClockGuardLimits limits)
    : clock_(clock),
      limits_(limits),
      boot_id_(std::move(boot.id)),
      boot_at_start_(boot.since_boot),
      steady_at_start_(clock.steady_now()),
      reference_steady_(steady_at_start_) {
  if (saved) {
    // The first check decides; until then, not trusted.
    reference_wall_ = saved->reference;
    drift_ = saved->drift;
    offline_used_ = std::max(Micros::zero(), saved->offline_used);
    needs_vouch_ = !saved->trusted;
    source_ = saved->source;
    trusted_ = false;
    reference_boot_id_ = saved->boot_id;
    reference_boottime_ = saved->boottime;
    if (!boot_id_.empty() && saved->boot_id == boot_id_ && saved->boottime && *saved->boottime <= boot_at_start_) {
      // Restarted in the boot the reference was taken in: CLOCK_BOOTTIME says exactly how much
      // real time passed since (a daemon stopped for a month in one boot included), so the box
      // cannot have been switched off meanwhile, and nothing is allowed for it.
      carried_ = Carried::SameBoot;
      known_before_ = boot_at_start_ - *saved->boottime;
    } else {
      // Rebooted (or the boot is unknown: a state saved before migration 0010, a boot id that
      // could not be read): the box was off for an unknown time after the reference. Allow what
      // is left of max_offline, but nothing before the reference. Time since this boot started
      // is not counted as known: the reference might be from another machine's boot (an index
      // moved), and the daemon starts seconds after boot anyway.
      carried_ = Carried::Reboot;
      offline_ = std::max(Micros::zero(), limits_.max_offline - offline_used_);
    }
  } else {
    reference_wall_ = clock.now();
    if (!boot_id_.empty()) {
      reference_boot_id_ = boot_id_;
      reference_boottime_ = boot_at_start_;
    }
    source_ = trust_source::kFirstStart;
  }
  check(ntp);
}

Micros ClockGuard::boottime_now() const {
  return boot_at_start_ + std::chrono::duration_cast<Micros>(clock_.steady_now() - steady_at_start_);
}

UtcTime ClockGuard::expected() const {
  return reference_wall_ + known_before_ +
         std::chrono::duration_cast<Micros>(clock_.steady_now() - reference_steady_);
}

void ClockGuard::trust(UtcTime now, Micros drift, std::string_view source, Micros offline_used) {
  reference_wall_ = now;
  reference_steady_ = clock_.steady_now();
  known_before_ = Micros::zero();
  reference_boot_id_ = boot_id_;
  reference_boottime_ = boot_id_.empty() ? std::nullopt : std::optional<Micros>(boottime_now());
  carried_ = Carried::No;
  offline_ = Micros::zero();
  offline_used_ = offline_used;
  drift_ = drift;
  needs_vouch_ = false;
  source_ = std::string(source);
  trusted_ = true;
  reason_.clear();
}

ClockTrust ClockGuard::check(NtpSync ntp) {
  const auto now = clock_.now();
  const auto low = expected();
  const auto high = low + offline_;
  // The clock's distance from where it may be; 0 inside [low, high] (downtime is not a step).
  Micros off = now < low ? now - low : now > high ? now - high : Micros::zero();
  Micros total = drift_ + off;
  bool synced = ntp == NtpSync::Synchronized;
  // NTP vouches for a clock that is not before the last trusted time and not implausibly far
  // past it; the steps summed so far were NTP's (or are corrected by it), so the drift restarts.
  // NTP also resets the offline allowance: the time it set is not downtime taken on trust.
  // Restarted in the boot the reference was taken in, the boot clock measured the real time
  // since, so NTP cannot have a year to add: only what this boot's reference itself took on
  // trust (the offline allowance spent since the last NTP or operator confirmation) and the step
  // tolerance. A rogue time server cannot then vouch for a clock set far ahead (review H2).
  const Micros synced_max = carried_ == Carried::SameBoot
                                ? std::min(limits_.max_offline_synced, offline_used_ + limits_.step_tolerance)
                                : limits_.max_offline_synced;
  if (synced && now >= low - limits_.step_tolerance && now - low <= synced_max) {
    trust(now, Micros::zero(), trust_source::kNtp, Micros::zero());
    return {true, {}};
  }
  if (!needs_vouch_ && abs_of(total) <= limits_.step_tolerance) {
    // What of the allowance this acceptance spends: how far past expected the clock is, up to
    // the allowance (beyond it, the rest went into the drift above).
    Micros spent = std::clamp(now - low, Micros::zero(), offline_);
    trust(now, total, trusted_ ? std::string_view(source_) : trust_source::kConsistent, offline_used_ + spent);
    return {true, {}};
  }
  trusted_ = false;
  std::string ntp_text = synced ? "the kernel reports NTP synchronised"
                                : ntp == NtpSync::Unsynchronized ? "the kernel reports NTP not synchronised"
                                                                 : "the kernel's NTP state is unknown";
  std::string was = format_utc_iso(low);
  if (needs_vouch_ && abs_of(total) <= limits_.step_tolerance) {
    reason_ = "the clock was not trusted when carekeepd last ran, and neither NTP nor an operator has confirmed it "
              "since (the wall clock is " + format_utc_iso(now) + ", the last trusted time " + was + "; " + ntp_text +
              ")";
  } else if (total < Micros::zero()) {
    reason_ = "the wall clock (" + format_utc_iso(now) + ") is " + describe(total) +
              " earlier than it should be (" + was + ", from the last trusted time and the monotonic clock" +
              (abs_of(off) <= limits_.step_tolerance ? ", in steps that add up" : "") + "; " + ntp_text + ")";
  } else if (carried_ == Carried::SameBoot) {
    reason_ = "restarted in the same boot: the wall clock (" + format_utc_iso(now) + ") is " + describe(total) +
              " later than the " + describe(low - reference_wall_) + " that passed since the last trusted time (" +
              format_utc_iso(reference_wall_) +
              ", measured by the kernel's boot clock, so the box was not switched off meanwhile" +
              (abs_of(off) <= limits_.step_tolerance ? ", in steps that add up" : "") + "; " + ntp_text +
              (synced ? ", which vouches in the same boot for no more than the boot clock measured plus the " +
                            describe(offline_used_) + " of offline allowance spent and the step tolerance"
                      : std::string()) +
              ")";
  } else if (carried_ == Carried::Reboot && offline_used_ > Micros::zero()) {
    reason_ = "offline allowance used up: " + describe_part(std::min(offline_used_, limits_.max_offline),
                                                           limits_.max_offline) +
              " already used since the last NTP or operator confirmation; the wall clock (" + format_utc_iso(now) +
              ") is " + describe(total) + " later than it should be (" + was +
              (offline_ > Micros::zero() ? " plus the " + describe(offline_) + " left" : "") +
              ", from the last trusted time and the monotonic clock; " + ntp_text + ")";
  } else {
    reason_ = "the wall clock (" + format_utc_iso(now) + ") is " + describe(total) +
              " later than it should be (" + (offline_ > Micros::zero() ? was + " plus at most " + describe(offline_) +
                                                                                " switched off"
                                                                          : was) +
              ", from the last trusted time and the monotonic clock" +
              (abs_of(off) <= limits_.step_tolerance ? ", in steps that add up" : "") + "; " + ntp_text + ")";
  }
  return {false, reason_};
}

void ClockGuard::confirm() { trust(clock_.now(), Micros::zero(), trust_source::kOperator, Micros::zero()); }

index::ClockTrustRow ClockGuard::state() const {
  return {reference_wall_, drift_, trusted_, source_, reference_boot_id_, reference_boottime_, offline_used_};
}

bool ClockGuard::should_save(const std::optional<index::ClockTrustRow>& saved) const {
  if (!saved) return true;
  // The boot and its boottime move with the reference (a pair read together), so a reference
  // saved a minute late is still exact for the next start in the same boot.
  return saved->trusted != trusted_ || saved->drift != drift_ || saved->source != source_ ||
         saved->offline_used != offline_used_ || saved->boot_id != reference_boot_id_ ||
         saved->boottime.has_value() != reference_boottime_.has_value() ||
         abs_of(reference_wall_ - saved->reference) >= kSaveEvery;
}

}  // namespace carekeep::retention
