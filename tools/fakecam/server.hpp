// fakecam: simulated RTSP cameras on gst-rtsp-server, for tests, demos and benchmarks; the
// same Server backs `carekeep-fakecam` and the test fixture `test::RtspTestServer`. It owns
// a GLib loop thread (RTSP requests, sessions) plus pacing and encoding threads; each camera
// is encoded once (cameras that look alike share an encoder) and sent to all its clients.
// Public calls are thread-safe and block only briefly. Optionally TLS (rtsps://); no audio,
// authentication or multicast.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace carekeep::fakecam {

enum class Codec { H264, H265 };

// Faults a camera can be put in, at start or while running (README.md, "Faults").
//   live    the normal moving picture with the clock; also ends a stall
//   black   all-black frames, clock hidden
//   frozen  the last picture repeated unchanged (clock included)
//   static  the empty room, no clock, fresh sensor noise every frame
//   covered a lens covered by a hand or cloth: flat, heavily blurred skin-toned light
//   stall   sessions stay open but no more RTP data is sent
//   down    current sessions of the camera are closed, new ones refused (503)
//   up      ends `down` and a stall
// black/frozen/static/covered need a live-encoded camera; a camera looping a clip rejects them.
enum class Fault { Live, Black, Frozen, Static, Stall, Down, Up, Covered };

std::string_view to_string(Codec codec);
std::string_view to_string(Fault fault);
Result<Fault> parse_fault(std::string_view text);

struct CameraSpec {
  std::string id;  // the mount: rtsp://host:port/<id>; letters, digits, '.', '_', '-'
  Codec codec = Codec::H264;
  int width = 640;
  int height = 360;
  int kbps = 1000;
  int fps = 25;
  double gop_seconds = 2.0;   // key frame interval
  std::vector<Fault> faults;  // applied in order before the first client can connect
};

// Parses "ID[:h264|h265][:WxH][:kbps][:fps=N][:gop=S]" (tokens after the id in any order);
// missing parts come from `defaults`. Errors name the offending token.
Result<CameraSpec> parse_camera(std::string_view text, const CameraSpec& defaults);

// A control command, one per line on stdin or the control socket: "<fault> <camera-id>".
struct Command {
  Fault fault = Fault::Live;
  std::string camera;
};
Result<Command> parse_command(std::string_view line);

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks an ephemeral port; read it back with Server::port()
  int backlog = 512;       // listen backlog: benchmarks open dozens of sessions at once
  // When set, every camera loops this clip (H.264/H.265 in MP4/MKV) without re-encoding;
  // codec, size and frame rate then come from the clip, not from the CameraSpec.
  std::filesystem::path source;
  // Live cameras with equal settings and picture share one encoder (README.md: x264 costs
  // about 4 ms per 1080p frame even for a still picture). Each camera's stream still differs
  // by an SEI naming the camera. false: one encoder per camera, for per-camera encoder state.
  bool share_encoders = true;
  // Both set: serve rtsps:// (TLS on every connection, gst-rtsp-server through GLib's TLS
  // backend, glib-networking) with this PEM certificate (chain) and its private key.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
};

class Server {
 public:
  // Checks that the GStreamer plugins are installed (the error names the Debian package),
  // loads the clip if any, starts every camera and binds the port. Fails with
  // FailedPrecondition for a missing plugin, InvalidArgument for a bad spec or clip, and
  // Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options,
                                               std::vector<CameraSpec> cameras);
  ~Server();  // closes every session and joins all threads
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // rtsp://<address>:<port>/<id> (127.0.0.1 when bound to every address); rtsps:// with TLS.
  std::string url(std::string_view camera) const;
  std::vector<std::string> camera_ids() const;

  // Puts a camera in a fault (or back to normal). Returns once the fault is in effect: after
  // `down` the camera's sessions are closed and new ones get 503. A picture fault shows from
  // the next key frame of the new picture's encoder (at once if that encoder is new), the
  // stream never pausing meanwhile. NotFound for an unknown camera, FailedPrecondition for
  // a picture fault on a clip camera.
  Status apply(std::string_view camera, Fault fault);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace carekeep::fakecam
