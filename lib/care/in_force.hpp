// care/in_force: the configuration in force at each moment (issue 15; docs/coverage.md,
// "The configuration in force"). The daemon stores every configuration it loads; a version
// governs from its load time until the next one's. Judging the past by the schedule and zones
// of its own time is what keeps a day marked closed, or a zone removed, afterwards from
// erasing that day's gaps. Values in, values out: no index, no clock; any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"

namespace carekeep::care {

// One configuration and the instant from which it governs. The first span of a list governs
// everything before its valid_from too: before the first stored version the earliest known
// configuration is the best there is (lib/history says when that is the current file).
struct ConfigSpan {
  UtcTime valid_from;
  std::shared_ptr<const config::Config> config;
  std::optional<std::int64_t> version;  // config_version id; nullopt: not a stored version (the file)
};

// The part of [from, to) one span governs.
struct SpanPiece {
  UtcTime from;
  UtcTime to;
  const ConfigSpan* span = nullptr;
};

// [from, to) cut where the configuration changes, each piece with the span in force over it,
// in order; empty pieces left out. `spans` sorted by valid_from (the first one extends back
// to UtcTime::min()); empty `spans` give no pieces.
std::vector<SpanPiece> pieces_in_force(std::span<const ConfigSpan> spans, UtcTime from, UtcTime to);

// Care time in [from, to), each instant by the care hours and time zone in force then:
// sorted, disjoint intervals, as CareCalendar::care_intervals (touching ones across a change
// merged).
std::vector<Interval> care_intervals(std::span<const ConfigSpan> spans, UtcTime from, UtcTime to);

// The calendar a span's configuration defines.
CareCalendar calendar_of(const ConfigSpan& span);

}  // namespace carekeep::care
