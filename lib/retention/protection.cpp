#include "retention/protection.hpp"

#include <algorithm>
#include <chrono>

namespace carekeep::retention {
namespace {

// Half the cached window on each side of a question. Segments are classified in time order
// (the catalog closes them as they come, the planner walks rows by protection and end), so
// a month ahead and behind serves thousands of questions per calendar evaluation.
constexpr Micros kWindowMargin = std::chrono::days{32};

}  // namespace

UtcTime care_protect_until(UtcTime end, int care_days, const TimeZone& zone) {
  const date::days days{care_days};
  UtcTime by_duration = end + days;
  UtcTime by_calendar = zone.to_utc(zone.to_local(end) + days);
  return std::max(by_duration, by_calendar);
}

CareOverlap::CareOverlap(care::CareCalendar calendar) : calendar_(std::move(calendar)) {}

bool CareOverlap::operator()(UtcTime start, UtcTime end) const {
  if (end <= start) end = start + Micros{1};
  // A segment longer than the window (a clock oddity) is asked of the calendar directly.
  if (end - start > kWindowMargin) return !calendar_.care_intervals(start, end).empty();
  std::lock_guard lock(mutex_);
  if (start < window_from_ || end > window_to_ || window_from_ == window_to_) {
    window_from_ = start - kWindowMargin;
    window_to_ = end + kWindowMargin;
    window_ = calendar_.care_intervals(window_from_, window_to_);
  }
  // The first interval ending after `start` is the only one that can overlap first.
  auto it = std::upper_bound(window_.begin(), window_.end(), start,
                             [](UtcTime t, const care::Interval& interval) { return t < interval.end; });
  return it != window_.end() && it->begin < end;
}

ProtectionPolicy make_protection_policy(const config::Retention& retention, const care::CareCalendar& calendar) {
  auto overlap = std::make_shared<const CareOverlap>(calendar);
  return [overlap, care_days = retention.care_days](const std::string&, UtcTime start,
                                                    UtcTime end) -> std::optional<UtcTime> {
    if (!(*overlap)(start, end)) return std::nullopt;
    return care_protect_until(std::max(start, end), care_days, overlap->calendar().zone());
  };
}

}  // namespace carekeep::retention
