// ingest/source: the interface every camera client implements, the down causes it reports,
// and the factory that picks a client per camera. A Source is one connected RTSP session,
// owned by one camera's ingest thread; open and read block up to their deadline. A Source
// never reconnects (the recorder decides when) and never decodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "av/av.hpp"
#include "base/error.hpp"
#include "base/sha256.hpp"

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
  LimitExceeded,  // the camera sent more than a bound allows (a frame, a header, a bitrate, ...)
  TlsUntrusted,   // rtsps://: the camera's certificate failed the checks its configuration asks for
  Protocol,       // anything else the RTSP client reported; last enumerator (see parse_down_cause)
};

std::string_view to_string(DownCause cause);
// Plain words for logs and alerts: "the camera refused the connection (is it powered, is the port right?)".
std::string_view describe(DownCause cause);
// The inverse of to_string; nullopt for a word no version of carekeep wrote.
std::optional<DownCause> parse_down_cause(std::string_view word);

// Which RTSP client records a camera (config key `client`). UDP transport always uses
// libavformat (the native client speaks RTP over the RTSP TCP connection only); rtsps://
// uses the native client unless the camera says client = "libavformat", which the
// configuration allows only with tls_verify = false (FFmpeg's RTSP demuxer opens its TLS
// connection without options, so it cannot check a certificate: docs/recording.md).
enum class Client { Native, Libavformat };
std::string_view to_string(Client client);

// Bounds on everything a camera controls (docs/recording.md, Recording / Bounds). A session that
// crosses one ends with DownCause::LimitExceeded and a detail naming the limit and the value
// seen; the camera is retried like any other failure. Together they bound one camera's
// memory whatever it sends (the arithmetic is in the design doc).
struct Limits {
  std::size_t max_access_unit = 8 * 1024 * 1024;  // one video frame; per camera: max_frame_mib
  std::size_t max_rtsp_header = 16 * 1024;        // status line and headers of one RTSP message
  std::size_t max_rtsp_body = 64 * 1024;          // Content-Length of one RTSP message (the SDP)
  std::size_t max_sdp_lines = 1000;
  std::size_t max_tracks = 16;                    // m= sections of the SDP
  std::size_t max_queued_packets = 1024;          // access units read but not yet taken by the recorder
  std::size_t max_audio_units_per_packet = 64;    // RFC 3640 AU headers in one RTP packet
  std::uint64_t max_bitrate = 100'000'000;        // bit/s over any 2 s: a 4K camera sends under 20 Mbit/s
  std::size_t max_rtcp_per_second = 50;           // RTCP frames parsed; the rest are skipped unread
  // Complete units per second over any 2 s. A flood of tiny frames stays far under
  // max_bitrate yet costs the muxer, the hash and the index a call each: real cameras send at
  // most 120 (high-speed 240) video frames and about 94 AAC units (96 kHz) a second.
  std::size_t max_frame_rate = 300;               // video access units
  std::size_t max_audio_unit_rate = 500;          // audio access units (AAC frames)
};

// How an rtsps:// camera's certificate is checked (docs/recording.md, "Camera credentials and
// transport"). Defaults: the system's CA store and the URL's host name.
struct TlsOptions {
  bool verify = true;                 // false only by the camera's explicit tls_verify = false
  std::string ca_file;                // PEM CA bundle trusted instead of the system store; empty: system
  std::optional<Sha256> fingerprint;  // pinned SHA-256 of the leaf certificate: replaces CA and name checks
};

struct SourceOptions {
  std::string transport = "tcp";
  Client client = Client::Native;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds stall_timeout{5000};  // PRODUCT.md §2: stalled after 5 s without video
  Limits limits;
  // Basic authentication over plain RTSP sends the password in clear; the native client
  // refuses it unless the camera's configuration allows it (allow_basic_auth).
  bool allow_basic_auth = false;
  TlsOptions tls;
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
  std::uint64_t timestamp_jumps = 0; // RTP timestamp discontinuities rebased (video and audio)
  std::uint64_t rtcp_skipped = 0;    // RTCP frames over max_rtcp_per_second, not parsed
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
