// Helpers shared by the retention tests: times, schedules and rows, spelled briefly.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"
#include "index/rows.hpp"

namespace carekeep::test {

inline UtcTime utc(const char* iso) { return parse_cli_time(iso, TimeZone::utc()).value(); }
inline LocalDays day(const char* text) { return parse_date(text).value(); }
inline TimeZone zone(const char* name) { return TimeZone::locate(name).value(); }

inline std::vector<config::HourRange> ranges(std::initializer_list<const char*> texts) {
  std::vector<config::HourRange> out;
  for (const char* t : texts) out.push_back(config::parse_hour_range(t).value());
  return out;
}

// Monday to Friday `weekday`, Saturday `saturday` (empty: closed), Sunday closed.
inline config::CareHours week(std::initializer_list<const char*> weekday,
                              std::initializer_list<const char*> saturday = {}) {
  config::CareHours hours;
  for (int d = 0; d < 5; ++d) hours.weekly[static_cast<std::size_t>(d)] = ranges(weekday);
  hours.weekly[5] = ranges(saturday);
  return hours;
}

inline config::Exception closed_on(const char* date) { return config::Exception{day(date), true, {}, "holiday"}; }
inline config::Exception hours_on(const char* date, std::initializer_list<const char*> texts) {
  return config::Exception{day(date), false, ranges(texts), "exception"};
}

inline index::RetentionRow row(index::SegmentId id, std::string camera, UtcTime start, Micros length,
                               std::int64_t bytes, std::optional<UtcTime> protect_until = std::nullopt,
                               index::SegmentState state = index::SegmentState::Closed) {
  std::string path = camera + "/" + std::to_string(id) + ".mp4";
  return index::RetentionRow{id,    std::move(camera), start, start + length, std::move(path), bytes,
                             state, protect_until};
}

}  // namespace carekeep::test
