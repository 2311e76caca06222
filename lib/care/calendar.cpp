#include "care/calendar.hpp"

#include <algorithm>

namespace carekeep::care {

namespace {

using std::chrono::minutes;

// A local date's weekday as an index into CareHours::weekly (Monday = 0).
std::size_t weekly_index(LocalDays day) {
  return date::weekday{day}.iso_encoding() - 1;
}

// Sorts and merges touching or overlapping intervals in place.
void normalize(std::vector<Interval>& intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  std::vector<Interval> merged;
  merged.reserve(intervals.size());
  for (const auto& interval : intervals) {
    if (!merged.empty() && interval.begin <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, interval.end);
    } else {
      merged.push_back(interval);
    }
  }
  intervals = std::move(merged);
}

}  // namespace

std::string_view to_string(DaySource source) {
  switch (source) {
    case DaySource::Weekly: return "weekly";
    case DaySource::ExceptionClosed: return "exception-closed";
    case DaySource::ExceptionHours: return "exception-hours";
  }
  return "weekly";
}

CareCalendar::CareCalendar(config::CareHours hours, TimeZone zone)
    : weekly_(std::move(hours.weekly)), zone_(zone) {
  for (const auto& a : hours.adhoc) {
    if (a.begin < a.end) adhoc_.push_back({a.begin, a.end});
  }
  normalize(adhoc_);
  for (auto& exception : hours.exceptions) {
    // Validation refuses duplicate dates; should one slip through, the first one wins, as
    // it does in the file a person reads top to bottom.
    exceptions_.emplace(exception.date, std::move(exception));
  }
}

const std::vector<config::HourRange>& CareCalendar::ranges_on(LocalDays day, DaySource& source,
                                                              std::string& note) const {
  if (auto it = exceptions_.find(day); it != exceptions_.end()) {
    const config::Exception& exception = it->second;
    note = exception.note;
    // A closed exception carries no hours, so its (empty) list is the answer either way.
    source = exception.closed ? DaySource::ExceptionClosed : DaySource::ExceptionHours;
    return exception.hours;
  }
  note.clear();
  source = DaySource::Weekly;
  return weekly_[weekly_index(day)];
}

void CareCalendar::append_intervals(LocalDays day, const std::vector<config::HourRange>& ranges,
                                    std::vector<Interval>& out) const {
  const LocalTime midnight{day};
  for (const auto& range : ranges) {
    // Each end is converted on its own: on a DST day the local day is 23 or 25 hours long,
    // so "00:00-24:00" must end at the next local midnight, not 24 hours after this one.
    UtcTime begin = zone_.to_utc(midnight + minutes{range.start_minute});
    UtcTime end = zone_.to_utc(midnight + minutes{range.end_offset_minutes()});
    if (begin < end) out.push_back({begin, end});
  }
}

std::vector<Interval> CareCalendar::care_intervals(UtcTime from, UtcTime to) const {
  std::vector<Interval> out;
  if (!(from < to)) return out;
  // A range starts on its local date and ends at most a day and a bit later, so the dates
  // from the day before `from` to the day of `to` are enough; one more day on each side
  // absorbs zones whose midnight itself is skipped or repeated by a DST change.
  const LocalDays first = date::floor<date::days>(zone_.to_local(from)) - date::days{2};
  const LocalDays last = date::floor<date::days>(zone_.to_local(to)) + date::days{1};
  DaySource source{};
  std::string note;
  for (LocalDays day = first; day <= last; day += date::days{1}) {
    append_intervals(day, ranges_on(day, source, note), out);
  }
  // Ad-hoc sessions are care too: where one overlaps the schedule the two merge into one
  // interval, as touching ranges do.
  for (const auto& a : adhoc_) {
    if (a.begin < to && from < a.end) out.push_back(a);
  }
  normalize(out);
  std::vector<Interval> clipped;
  clipped.reserve(out.size());
  for (const auto& interval : out) {
    Interval c{std::max(interval.begin, from), std::min(interval.end, to)};
    if (c.begin < c.end) clipped.push_back(c);
  }
  return clipped;
}

bool CareCalendar::in_care(UtcTime t) const {
  return !care_intervals(t, t + Micros{1}).empty();
}

std::vector<DayPlan> CareCalendar::days(LocalDays first, LocalDays last) const {
  std::vector<DayPlan> plans;
  for (LocalDays day = first; day <= last; day += date::days{1}) {
    DayPlan plan;
    plan.date = day;
    plan.weekday = date::weekday{day};
    plan.ranges = ranges_on(day, plan.source, plan.note);
    std::sort(plan.ranges.begin(), plan.ranges.end(),
              [](const auto& a, const auto& b) { return a.start_minute < b.start_minute; });
    append_intervals(day, plan.ranges, plan.intervals);
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace carekeep::care
