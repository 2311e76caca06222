// fakecam/clip: a pre-encoded clip loaded once into memory as access units, so cameras can
// loop it without encoding (benchmarks with dozens of clients then measure the recorder, not
// the camera). Loading blocks while it demuxes the whole file (GStreamer parsebin + h26xparse);
// afterwards a Clip is immutable and shared read-only by every camera thread.
#pragma once

#include <gst/gst.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/error.hpp"
#include "fakecam/gst.hpp"
#include "fakecam/server.hpp"

namespace carekeep::fakecam {

struct Clip {
  Codec codec = Codec::H264;
  int width = 0;
  int height = 0;
  int fps = 25;  // frames are replayed at this rate, one per 1/fps s
  // One access unit per frame, Annex B byte-stream, parameter sets in front of every key
  // frame (the parser's config-interval=-1), so a client may join at any key frame.
  std::vector<gst::Buffer> frames;
  std::vector<std::size_t> keyframes;  // indices into frames; starts with 0
};

// Loads an H.264 or H.265 clip from MP4 or MKV. InvalidArgument when the file has no such
// video, has B-frames (frames out of presentation order cannot be replayed one per tick), or
// has no key frame; leading frames before the first key frame are dropped with a warning, so
// the loop point is always a key frame. tools/fakecam/make-clip.sh makes suitable clips.
Result<std::shared_ptr<const Clip>> load_clip(const std::filesystem::path& path);

}  // namespace carekeep::fakecam
