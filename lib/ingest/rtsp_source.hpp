// ingest/rtsp_source: one RTSP session with a camera through libavformat, with a deadline
// on every network wait and the failure classified into the causes the index records.
// Owned by one camera's ingest thread; open() and read() block up to their deadline.
// Does not reconnect (the recorder decides when) and never decodes.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "av/av.hpp"
#include "base/error.hpp"

namespace carekeep::ingest {

// Why a camera is down. Stored in camera_event.cause; names are part of the CLI/JSON output.
enum class DownCause {
  Refused,        // TCP connection refused: nothing listens (camera off, wrong port)
  Unreachable,    // no route / host down
  AuthFailed,     // RTSP 401/403
  NotFound,       // RTSP 404: wrong stream path
  Timeout,        // no answer within the deadline while connecting
  Stalled,        // connected, but no packet for the stall timeout
  StreamEnded,    // the camera closed the session
  CodecChanged,   // codec, resolution or parameter sets changed mid-stream
  Unsupported,    // no H.264/H.265 video stream
  DiskError,      // writing the segment failed
  Protocol,       // anything else the RTSP client reported
};

std::string_view to_string(DownCause cause);
// Plain words for logs and alerts: "the camera refused the connection (is it powered, is the port right?)".
std::string_view describe(DownCause cause);

struct SourceOptions {
  std::string transport = "tcp";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds stall_timeout{5000};  // PRODUCT.md §2: stalled after 5 s without packets
};

struct Failure {
  DownCause cause;
  std::string detail;  // redacted
};

class RtspSource {
 public:
  // Connects (DESCRIBE/SETUP/PLAY) and picks the video stream (H.264/H.265) and, when it
  // is AAC, the audio stream. Other audio is dropped; audio_dropped() tells which codec.
  static tl::expected<RtspSource, Failure> open(const std::string& url, const SourceOptions& options,
                                                std::stop_token stop);

  RtspSource(RtspSource&&) noexcept = default;
  RtspSource& operator=(RtspSource&&) noexcept = default;

  enum class Kind { Video, Audio, Other };
  // Reads the next packet into `packet` (which the caller owns and unrefs/moves); returns
  // its kind. Fails with Stalled if nothing arrives within stall_timeout.
  tl::expected<Kind, Failure> read(AVPacket* packet);

  const AVStream* video() const { return input_->streams[video_index_]; }
  const AVStream* audio() const { return audio_index_ >= 0 ? input_->streams[audio_index_] : nullptr; }
  const std::string& dropped_audio_codec() const { return dropped_audio_; }

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
