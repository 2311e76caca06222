// export/remux: one camera's segments, stitched into one MP4 without re-encoding
// (libavformat stream copy), cut to start at the keyframe at or before `from` and end at
// `to`, with moov first (faststart) and, on request, a mov_text track showing the wall-clock
// time each second. Blocking file I/O on the calling thread; cancellable between packets.
// It does not choose segments, hash them or write manifests (export.cpp does).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "index/rows.hpp"

namespace carekeep::exports {

struct SourceSegment {
  index::SegmentRow row;
  std::filesystem::path file;  // absolute
};

struct RemuxOptions {
  UtcTime from;
  UtcTime to;
  bool timestamps = false;
  const TimeZone* zone = nullptr;  // subtitle text is site-local time; required with timestamps
};

struct RemuxResult {
  UtcTime actual_from;   // wall clock of the first (key)frame written
  UtcTime actual_to;     // wall clock at the end of the last frame written
  std::int64_t video_packets = 0;
  std::int64_t keyframes = 0;
  std::vector<index::SegmentId> used;  // segments that contributed packets, in order
};

// `progress` receives byte counts of source files as they are read. `cancel` is polled
// between packets: Cancelled when set. NotFound when no packet falls in the range.
// The output file is written in place; the caller owns cleanup on failure.
Result<RemuxResult> remux_camera(const std::vector<SourceSegment>& segments, const std::filesystem::path& out,
                                 const RemuxOptions& options, const std::function<void(std::uint64_t)>& progress,
                                 const std::atomic<bool>* cancel);

}  // namespace carekeep::exports
