// care/calendar: turns the configured care hours (weekly schedule + dated exceptions, local
// wall-clock time) into exact UTC intervals, the form retention and coverage work in.
// Immutable after construction, so any thread may query it; pure computation, never blocks.
// It does not know about recordings or gaps; coverage intersects its intervals with segments.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "config/config.hpp"

namespace carekeep::care {

// Half-open [begin, end) in UTC.
struct Interval {
  UtcTime begin;
  UtcTime end;

  Micros length() const { return end - begin; }
  bool contains(UtcTime t) const { return begin <= t && t < end; }
  bool operator==(const Interval&) const = default;
};

// Where a day's care hours come from.
enum class DaySource { Weekly, ExceptionClosed, ExceptionHours };
// "weekly" | "exception-closed" | "exception-hours" (stable: used in JSON output).
std::string_view to_string(DaySource source);

// One local date as the schedule defines it, for printing (`carekeep calendar`, reports).
struct DayPlan {
  LocalDays date;
  date::weekday weekday;
  DaySource source = DaySource::Weekly;
  std::vector<config::HourRange> ranges;  // as configured, by start; may end on the next day
  std::vector<Interval> intervals;        // the ranges in UTC, in order; DST-emptied ones left out
  std::string note;                       // the exception's note, if any
};

class CareCalendar {
 public:
  // Precondition: `hours` passed config validation (well-formed ranges, unique exception
  // dates). `zone` is the site's time zone.
  CareCalendar(config::CareHours hours, TimeZone zone);

  const TimeZone& zone() const { return zone_; }

  // True when `t` lies in a care interval (begin inclusive, end exclusive). Costs a few days'
  // worth of zone lookups; callers classifying many instants should use care_intervals once.
  bool in_care(UtcTime t) const;

  // Care time within [from, to): sorted, disjoint intervals, clipped to [from, to); the
  // schedule's and the ad-hoc sessions' (CareHours::adhoc) together. Intervals
  // that touch or overlap (a 22:00-06:00 range followed by the next day's 06:00-...) are
  // merged into one. Local times map to UTC with TimeZone::to_utc: a time inside a
  // spring-forward gap means the end of the gap, an ambiguous one its earlier instant; a range
  // that DST makes empty (02:00-02:30 on a spring-forward day) contributes nothing.
  std::vector<Interval> care_intervals(UtcTime from, UtcTime to) const;

  // The plan of each local date in [first, last] (both inclusive), in order: the schedule only.
  std::vector<DayPlan> days(LocalDays first, LocalDays last) const;

 private:
  const std::vector<config::HourRange>& ranges_on(LocalDays day, DaySource& source,
                                                  std::string& note) const;
  // The UTC intervals of the ranges that start on `day` (unclipped, unmerged).
  void append_intervals(LocalDays day, const std::vector<config::HourRange>& ranges,
                        std::vector<Interval>& out) const;

  std::array<std::vector<config::HourRange>, 7> weekly_;  // ISO order: [0] = Monday
  std::map<LocalDays, config::Exception> exceptions_;
  std::vector<Interval> adhoc_;  // CareHours::adhoc, sorted and merged
  TimeZone zone_;
};

}  // namespace carekeep::care
