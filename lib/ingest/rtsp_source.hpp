// ingest/rtsp_source: one RTSP session with a camera through libavformat, with a deadline
// on every network wait and the failure classified into the causes the index records.
// The fallback client (config `client = "libavformat"`, and always for UDP and rtsps://).
// Owned by one camera's ingest thread; open() and read() block up to their deadline.
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "av/av.hpp"
#include "base/error.hpp"
#include "ingest/source.hpp"

namespace carekeep::ingest {

class RtspSource final : public Source {
 public:
  // Connects (DESCRIBE/SETUP/PLAY) and picks the video stream (H.264/H.265) and, when it
  // is AAC, the audio stream. Other audio is dropped; dropped_audio_codec() tells which codec.
  static tl::expected<std::unique_ptr<RtspSource>, Failure> open(const std::string& url, const SourceOptions& options,
                                                                 std::stop_token stop);

  tl::expected<Kind, Failure> read(AVPacket* packet) override;
  StreamInfo video() const override;
  StreamInfo audio() const override;
  const std::string& dropped_audio_codec() const override { return dropped_audio_; }

 private:
  RtspSource() = default;
  std::unique_ptr<av::Interrupt> interrupt_;
  av::InputFormat input_;
  SourceOptions options_;
  int video_index_ = -1;
  int audio_index_ = -1;
  std::string dropped_audio_;
  std::optional<Failure> pending_failure_;  // a stall noticed while a flushed packet was returned
};

// Maps an AVERROR from open/read to a cause. `connected` distinguishes a timeout while
// connecting from a stall in an established session.
DownCause classify(int averror, bool connected, bool deadline_expired);

}  // namespace carekeep::ingest
