#include "retention/clock_guard.hpp"

#include <string>

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

}  // namespace

ClockGuard::ClockGuard(const Clock& clock, std::optional<index::ClockTrustRow> saved, NtpSync ntp,
                       ClockGuardLimits limits)
    : clock_(clock), limits_(limits), reference_steady_(clock.steady_now()) {
  if (saved) {
    // The daemon was off for an unknown time after the reference: allow up to max_offline
    // beyond it, but nothing before it. The first check decides; until then, not trusted.
    reference_wall_ = saved->reference;
    drift_ = saved->drift;
    offline_ = limits_.max_offline;
    needs_vouch_ = !saved->trusted;
    source_ = saved->source;
    trusted_ = false;
  } else {
    reference_wall_ = clock.now();
    source_ = trust_source::kFirstStart;
  }
  check(ntp);
}

UtcTime ClockGuard::expected() const {
  return reference_wall_ + std::chrono::duration_cast<Micros>(clock_.steady_now() - reference_steady_);
}

void ClockGuard::trust(UtcTime now, Micros drift, std::string_view source) {
  reference_wall_ = now;
  reference_steady_ = clock_.steady_now();
  offline_ = Micros::zero();
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
  if (synced && now >= low - limits_.step_tolerance && now - low <= limits_.max_offline_synced) {
    trust(now, Micros::zero(), trust_source::kNtp);
    return {true, {}};
  }
  if (!needs_vouch_ && abs_of(total) <= limits_.step_tolerance) {
    trust(now, total, trusted_ ? std::string_view(source_) : trust_source::kConsistent);
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

void ClockGuard::confirm() { trust(clock_.now(), Micros::zero(), trust_source::kOperator); }

index::ClockTrustRow ClockGuard::state() const { return {reference_wall_, drift_, trusted_, source_}; }

bool ClockGuard::should_save(const std::optional<index::ClockTrustRow>& saved) const {
  if (!saved) return true;
  return saved->trusted != trusted_ || saved->drift != drift_ || saved->source != source_ ||
         abs_of(reference_wall_ - saved->reference) >= kSaveEvery;
}

}  // namespace carekeep::retention
