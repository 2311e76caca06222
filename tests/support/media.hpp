// tests/support/media: real media for tests. make_clip() encodes a short clip with the
// ffmpeg CLI (installed by tools/install-deps.sh); probe() reads any file back with
// libavformat and reports what a player would see; sha256_file() hashes it independently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace carekeep::test {

struct ClipSpec {
  std::string codec = "h264";   // h264 | hevc
  int width = 320;
  int height = 240;
  int fps = 25;
  int gop = 50;
  double seconds = 6;
  bool audio = false;           // AAC sine track
};

// Encodes a test pattern into `path` (MP4). Throws with the ffmpeg command on failure.
void make_clip(const std::filesystem::path& path, const ClipSpec& spec);

struct MediaInfo {
  bool opened = false;
  std::string error;
  std::string video_codec;      // "h264" | "hevc"
  std::string codec_tag;        // "avc1" | "hvc1" | ...
  int width = 0;
  int height = 0;
  std::int64_t video_packets = 0;
  std::int64_t keyframes = 0;
  std::vector<double> keyframe_pts_seconds;  // in file order
  bool first_packet_key = false;
  double first_pts_seconds = 0;
  double last_pts_end_seconds = 0;   // pts of the last video packet + its duration
  bool dts_monotonic = true;
  std::string audio_codec;
  std::int64_t audio_packets = 0;
};

// Reads every packet of the file (no decoding).
MediaInfo probe(const std::filesystem::path& path);

std::string sha256_file(const std::filesystem::path& path);

// Runs a shell command; returns its exit status.
int run(const std::string& command);

}  // namespace carekeep::test
