// base/time: the time types of carekeep and the site's IANA time zone.
// UtcTime (wall clock, microseconds) is what the index stores; local time exists only at
// the edges (config, file names, CLI output). Clock lets tests fake time. Thread-safe,
// never blocks after the zone database is loaded once.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <date/tz.h>

#include "base/error.hpp"

namespace carekeep {

using Micros = std::chrono::microseconds;
using UtcTime = std::chrono::sys_time<Micros>;
using LocalTime = date::local_time<Micros>;
using LocalDays = date::local_days;

// Microseconds since the Unix epoch, as stored in SQL columns named *_us.
inline std::int64_t to_us(UtcTime t) { return t.time_since_epoch().count(); }
inline UtcTime from_us(std::int64_t us) { return UtcTime{Micros{us}}; }

class TimeZone {
 public:
  // Fails with InvalidArgument (naming the zone) when the system zone database lacks it.
  static Result<TimeZone> locate(std::string_view iana_name);
  static TimeZone utc();

  std::string_view name() const;
  std::chrono::seconds offset_at(UtcTime t) const;
  LocalTime to_local(UtcTime t) const;

  // Local wall-clock time to UTC. A time that does not exist (inside a spring-forward gap)
  // maps to the instant the gap ends; an ambiguous one (fall-back) to its earlier instant.
  // Care hours use this so that "07:30" always means the first moment the clock shows 07:30.
  UtcTime to_utc(LocalTime t) const;

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_;
};

// "2026-11-20T08:00:00+08:00" (seconds precision; local time with explicit offset).
std::string format_local_iso(UtcTime t, const TimeZone& zone);
// "2026-11-20T00:00:00Z"
std::string format_utc_iso(UtcTime t);

enum class DateBoundary { StartOfDay, EndOfDay };

// Parses a time given on the command line: ISO 8601 with an offset ("2026-11-20T08:00+08:00",
// "...Z"), without one (site local time), or a date alone ("2026-11-20": the start of that
// local day, or the start of the next one when `boundary` is EndOfDay, so that
// "--to 2026-11-20" includes the whole day).
Result<UtcTime> parse_cli_time(std::string_view text, const TimeZone& zone,
                               DateBoundary boundary = DateBoundary::StartOfDay);

// "2026-11-20" -> local day. InvalidArgument with what would be valid otherwise.
Result<LocalDays> parse_date(std::string_view text);
std::string format_date(LocalDays day);

// The first moment after `now` when the local clock in `zone` reads `time_of_day` (a daily
// schedule: the signed digest, the daily summary); a day whose time does not exist (a DST gap)
// gets the shifted one the zone maps it to.
UtcTime next_time_of_day(UtcTime now, std::chrono::seconds time_of_day, const TimeZone& zone);
// The last moment at or before `now` when it read `time_of_day`.
UtcTime previous_time_of_day(UtcTime now, std::chrono::seconds time_of_day, const TimeZone& zone);

// Wall clock plus monotonic clock, injectable so tests can fake time and clock steps.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UtcTime now() const = 0;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UtcTime now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
};

// Manually advanced clock for tests. Not thread-safe by design: tests drive it from one thread.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UtcTime start) : wall_(start) {}
  UtcTime now() const override { return wall_; }
  std::chrono::steady_clock::time_point steady_now() const override { return steady_; }
  void advance(Micros d) { wall_ += d; steady_ += d; }
  void step_wall_clock(Micros d) { wall_ += d; }  // a clock step: wall moves, monotonic does not

 private:
  UtcTime wall_;
  std::chrono::steady_clock::time_point steady_{};
};

}  // namespace carekeep
