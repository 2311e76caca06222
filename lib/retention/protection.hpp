// retention/protection: how long care-hours footage is protected (PRODUCT.md §3, §4.1). The
// daemon applies the policy once per segment, when it closes (catalog) or is recovered or
// adopted at startup (integrity); the index stores the answer as protect_until_us. So the
// schedule in force at close time is what counts, and a later edit of the care hours never
// shortens the protection of footage already recorded. Pure computation; a policy may be
// called from any thread (its cache is locked). It reads no index and deletes nothing.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"

namespace carekeep::retention {

// Given a segment's camera and [start, end), the earliest time it may be deleted, or nullopt
// when it has no hard protection (entirely outside care hours: only the soft other_days
// retention applies). The same signature as catalog::ProtectionPolicy and
// integrity::ProtectionPolicy, so the daemon hands this one to both.
using ProtectionPolicy = std::function<std::optional<UtcTime>(const std::string& camera, UtcTime start, UtcTime end)>;

// `care_days` after `end`, counted both as 24-hour days and as local calendar days in `zone`;
// the later of the two. Across a DST change the calendar count is an hour longer or shorter,
// and "no less than 90 days" must hold either way.
UtcTime care_protect_until(UtcTime end, int care_days, const TimeZone& zone);

// Does a segment overlap care hours? Answers from a cached window of the calendar's UTC
// intervals (about two months around the last question), so classifying a history of 60 s
// segments in time order costs a binary search per segment instead of a calendar evaluation.
// Thread-safe (one mutex); not copyable, share it.
class CareOverlap {
 public:
  explicit CareOverlap(care::CareCalendar calendar);

  // True when [start, end) intersects a care interval. A segment of no length (a damaged row
  // with nothing kept) counts as the instant `start`.
  bool operator()(UtcTime start, UtcTime end) const;

  const care::CareCalendar& calendar() const { return calendar_; }

 private:
  care::CareCalendar calendar_;
  mutable std::mutex mutex_;
  mutable UtcTime window_from_{};
  mutable UtcTime window_to_{};
  mutable std::vector<care::Interval> window_;  // calendar_.care_intervals(window_from_, window_to_)
};

// The policy the daemon applies at close: a segment that overlaps care hours under
// `calendar` is protected until care_protect_until(end, retention.care_days); any other gets
// nullopt. The calendar is copied in: a reload builds a new policy, and segments closed
// before it keep what the old one stored.
ProtectionPolicy make_protection_policy(const config::Retention& retention, const care::CareCalendar& calendar);

}  // namespace carekeep::retention
