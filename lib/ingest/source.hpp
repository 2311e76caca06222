// ingest/source: the interface every camera client implements, the down causes it reports,
// and the factory that picks a client per camera. A Source is one connected RTSP session,
// owned by one camera's ingest thread; open and read block up to their deadline. A Source
// never reconnects (the recorder decides when) and never decodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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

// Which RTSP client records a camera (config key `client`). UDP transport and rtsps://
// always use libavformat: the native client speaks RTP over the RTSP TCP connection only.
enum class Client { Native, Libavformat };
std::string_view to_string(Client client);

struct SourceOptions {
  std::string transport = "tcp";
  Client client = Client::Native;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds stall_timeout{5000};  // PRODUCT.md §2: stalled after 5 s without packets
};

struct Failure {
  DownCause cause;
  std::string detail;  // redacted
};

// One elementary stream as the muxer needs it.
struct StreamInfo {
  const AVCodecParameters* parameters = nullptr;
  AVRational time_base{1, 90000};
  AVRational frame_rate{0, 1};  // 0/1 when the camera does not say
};

// Counters of the session so far (for logs and tests).
struct SourceStats {
  std::uint64_t bytes_received = 0;
  std::uint64_t video_frames = 0;
  std::uint64_t sequence_gaps = 0;   // RTP sequence discontinuities (lost packets)
  std::uint64_t frames_dropped = 0;  // video frames dropped while waiting for a keyframe after a gap
};

class Source {
 public:
  enum class Kind { Video, Audio, Other };
  virtual ~Source() = default;

  // Reads the next packet into `packet` (which the caller owns and unrefs/moves); returns
  // its kind. Video packets carry the layout the parameters' extradata describes. Fails
  // with Stalled if nothing arrives within stall_timeout.
  virtual tl::expected<Kind, Failure> read(AVPacket* packet) = 0;

  // H.264 or H.265. The native client fills extradata (avcC/hvcC) and the picture size
  // before open returns; libavformat's may leave them to ingest::complete_parameters.
  virtual StreamInfo video() const = 0;
  // AAC audio, or parameters == nullptr when there is none (or it was dropped).
  virtual StreamInfo audio() const = 0;
  // Codec name of an audio stream that is not recorded (empty when none).
  virtual const std::string& dropped_audio_codec() const = 0;
  virtual SourceStats stats() const { return {}; }
};

// Connects to `url` with the client `options` asks for (libavformat for UDP and rtsps).
// `stop` interrupts every wait.
tl::expected<std::unique_ptr<Source>, Failure> open_source(const std::string& url, const SourceOptions& options,
                                                           std::stop_token stop);

}  // namespace carekeep::ingest
