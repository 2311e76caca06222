// tests/support: RtspTestServer, real RTSP cameras on 127.0.0.1 for integration tests. It
// wraps the very server carekeep-fakecam runs (tools/fakecam, STYLE.md §10): ephemeral port
// (service "0", read back after binding), a GLib main loop on its own thread, a live test
// picture with a short GOP. Faults are injected synchronously from the test thread. If a
// GStreamer plugin is missing the constructor throws naming the Debian package to install:
// a test never passes silently without its camera.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fakecam/server.hpp"

namespace carekeep::test {

class RtspTestServer {
 public:
  // One camera "cam": 320x240 H.264, 25 fps, 1 s GOP, 400 kbit/s.
  RtspTestServer();
  // Any cameras; with `source`, every camera loops that clip instead of encoding.
  explicit RtspTestServer(std::vector<fakecam::CameraSpec> cameras, std::filesystem::path source = {});
  // Any server options (TLS: rtsps://); address and port are always 127.0.0.1 and ephemeral.
  RtspTestServer(std::vector<fakecam::CameraSpec> cameras, fakecam::ServerOptions options);
  ~RtspTestServer();
  RtspTestServer(const RtspTestServer&) = delete;
  RtspTestServer& operator=(const RtspTestServer&) = delete;

  // Small, cheap test camera: 320x240 H.264, 25 fps, 1 s GOP, 400 kbit/s.
  static fakecam::CameraSpec camera(std::string id = "cam");

  std::uint16_t port() const;
  std::string url(std::string_view id = "cam") const;

  // Throws std::runtime_error on an unknown camera or a fault the camera cannot take.
  void set_fault(std::string_view id, fakecam::Fault fault);
  // Outage of every camera: sessions closed, new ones refused (503). start() ends it.
  void stop();
  void start();

  fakecam::Server& server() { return *server_; }

 private:
  std::unique_ptr<fakecam::Server> server_;
};

}  // namespace carekeep::test
