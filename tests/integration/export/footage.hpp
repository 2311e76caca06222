// tests/integration/export: real footage for export and verify tests without waiting for a
// camera: a clip made by ffmpeg (support/media) is cut at keyframes into real segment files
// by the real segment writer, and indexed (run, rows, hashes, chain) like the catalog does.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "index/index.hpp"

namespace carekeep::test {

struct FootageSpec {
  std::string camera = "nap-1";
  UtcTime start;                 // wall clock of the first frame
  double seconds = 12;           // clip length
  int segment_seconds = 4;       // cut at the first keyframe after this much
  int gop = 25;                  // frames per GOP at 25 fps: one keyframe a second
  bool audio = false;
  int width = 320;
  int height = 240;
  std::string codec = "h264";    // h264 | hevc (support/media's make_clip)
  // Keyframes after each segment's first are written as ordinary samples (no sync flag in
  // the file), though the bitstream still has them as IDR pictures: a file whose container
  // and bitstream disagree.
  bool unflagged_keyframes = false;
  // Care-hours footage: each segment is protected until this long after its end (as retention
  // fixes it at close); none when empty.
  std::optional<Micros> protect_for = std::nullopt;
};

// Writes the segments below `storage` and their rows into `index` (camera and daemon run
// created if needed). Returns the rows, by start.
std::vector<index::SegmentRow> make_footage(index::Index& index, const std::filesystem::path& storage,
                                            const FootageSpec& spec);

}  // namespace carekeep::test
