// export/remux: one camera's segments, stitched into MP4 files without re-encoding
// (libavformat stream copy), cut to start at the keyframe at or before `from` and end at
// `to`, with moov first (faststart) and, on request, a mov_text track showing the wall-clock
// time each second. A dry run over the segments' box structure (their media read as zeros)
// foretells each file's head, so that the moov goes into space reserved for it and the file
// is hashed on a second thread while it is written; a file whose head turns out otherwise is
// hashed from disk instead. An MP4 track has one sample description (codec, size, SPS/PPS), so a
// change of codec or parameters between segments (the camera was reconfigured) starts the
// next file: "<stem>.mp4", "<stem>.part2.mp4", ... in time order. Each source segment is
// read once, front to back, and hashed on the way (export/source_reader); the caller compares
// those digests with the index. Blocking file I/O on the calling thread; cancellable between
// packets. It does not choose segments, judge their hashes or write manifests (export.cpp does).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/destination.hpp"
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
  // A dry run first foretells each file's head, so that its moov is written into space
  // reserved at the front and the file is hashed while it is written. Off: every file is
  // written with the moov at the end, moved to the front afterwards (faststart), and hashed
  // once finished (the same pictures; slower).
  bool foretell_heads = true;
  // Room reserved for the moov beyond the foretold size, per video packet: 4 bytes is one
  // sync-sample entry each, so a real run whose parser finds keyframes the files do not flag
  // still fits (and is hashed from disk) instead of being made again.
  std::int64_t moov_slack_per_video_packet = 4;
};

// One output file: a stretch of segments with the same stream parameters.
struct RemuxFile {
  std::string name;      // file name inside the output folder
  UtcTime actual_from;   // wall clock of its first (key)frame
  UtcTime actual_to;     // wall clock at the end of its last frame
  std::string video_codec;                 // FFmpeg codec name: "h264" | "hevc"
  int width = 0;
  int height = 0;
  std::optional<std::string> audio_codec;  // "aac", or none
  std::int64_t video_packets = 0;
  std::int64_t keyframes = 0;
  std::vector<index::SegmentId> used;      // segments that contributed packets, in order
  index::Sha256 sha256{};                  // of the finished file
  std::uint64_t size_bytes = 0;
  bool hashed_as_written = false;  // its head came out as foretold: hashed while it was written
};

struct RemuxResult {
  std::vector<RemuxFile> files;  // in time order; at least one
  // SHA-256 of each segment handed in, in the same order: of the bytes the remux read plus
  // the rest of the file; segments it did not need to open are hashed whole.
  std::vector<index::Sha256> source_sha256;
};

// The name of part `part` (1-based) of `stem`'s footage: "<stem>.mp4" for the first, then
// "<stem>.part2.mp4", ... Camera ids cannot contain '.', so no part name is another
// camera's file ("<stem>-2.mp4" would be camera "<stem>-2"'s in a zone export).
std::string part_file_name(std::string_view stem, std::size_t part);

// Writes the files through `dest` (named by part_file_name(stem, n)), each fsynced and hashed. A segment whose video or
// audio parameters (codec, size, extradata; audio rate and channels) differ from the
// previous one's ends the current file and starts the next at its first keyframe.
// `progress` receives byte counts of source files as they are read. `cancel` is polled
// between packets: Cancelled when set. NotFound when no packet falls in the range.
// The caller owns cleanup on failure (aborting `dest`).
Result<RemuxResult> remux_camera(const std::vector<SourceSegment>& segments, fs::Destination& dest,
                                 std::string_view stem, const RemuxOptions& options,
                                 const std::function<void(std::uint64_t)>& progress, const std::atomic<bool>* cancel);

}  // namespace carekeep::exports
