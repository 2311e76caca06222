// integrity/probe: what a segment file holds, read back with libavformat packet by packet
// (no decoding): codecs, picture size, frame counts, media duration, and whether it starts
// on a keyframe with monotonic DTS. Blocking file reads; any thread. FFmpeg stays in the .cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/time.hpp"

namespace carekeep::integrity {

struct MediaSummary {
  std::string video_codec;                 // FFmpeg codec name: "h264", "hevc", ...
  int width = 0;
  int height = 0;
  std::optional<std::string> audio_codec;  // "aac", or none when the file has no audio
  std::int64_t frames = 0;                 // video packets
  std::int64_t keyframes = 0;
  Micros duration{0};                      // last video pts + its duration - first video dts
  bool starts_on_keyframe = false;
  bool dts_monotonic = true;               // strictly increasing video DTS
};

// Fails when the file cannot be opened as media (DataLoss, NotFound), has no video stream
// (DataLoss), or a packet read fails before the end (DataLoss).
Result<MediaSummary> probe_media(const std::filesystem::path& path);

}  // namespace carekeep::integrity
