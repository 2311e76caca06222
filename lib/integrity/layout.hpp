// integrity/layout: the storage layout as recovery reads it back.
//   <storage>/<camera>/<YYYY-MM-DD>/<HHMMSS>-<seq>.mp4[.partial]   local date and time of the
//   first packet (lib/recorder names them); <storage>/quarantine/<same relative path> for
//   files recovery set aside. Pure functions, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace carekeep::integrity {

inline constexpr std::string_view kQuarantineDir = "quarantine";
inline constexpr std::string_view kPartialSuffix = ".partial";
inline constexpr std::string_view kSegmentSuffix = ".mp4";

// A segment file's path relative to the storage directory, taken apart.
struct SegmentName {
  std::string camera;
  LocalDays day;
  std::chrono::seconds time_of_day{0};  // HHMMSS
  std::uint64_t seq = 0;
  bool partial = false;                 // ends in ".mp4.partial"

  // Site-local start second, as the recorder wrote it into the name.
  LocalTime local_start() const { return LocalTime{day} + time_of_day; }
};

// "nap-1/2026-11-20/081500-3.mp4[.partial]" -> parts; nullopt unless it matches exactly.
std::optional<SegmentName> parse_segment_path(std::string_view relative);

// True for names recovery looks at in a date directory: "*.mp4" and "*.mp4.partial",
// dot-files excluded.
bool is_segment_file_name(std::string_view name);

// "x.mp4.partial" -> "x.mp4"; other names unchanged.
std::string without_partial(std::string_view name);

}  // namespace carekeep::integrity
