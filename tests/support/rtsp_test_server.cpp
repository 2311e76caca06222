#include "support/rtsp_test_server.hpp"

#include <stdexcept>

namespace carekeep::test {

fakecam::CameraSpec RtspTestServer::camera(std::string id) {
  fakecam::CameraSpec spec;
  spec.id = std::move(id);
  spec.codec = fakecam::Codec::H264;
  spec.width = 320;
  spec.height = 240;
  spec.kbps = 400;
  spec.fps = 25;
  spec.gop_seconds = 1.0;  // short GOP: readers start and segments cut sooner
  return spec;
}

RtspTestServer::RtspTestServer() : RtspTestServer({camera("cam")}) {}

RtspTestServer::RtspTestServer(std::vector<fakecam::CameraSpec> cameras, std::filesystem::path source)
    : RtspTestServer(std::move(cameras), [&] {
        fakecam::ServerOptions options;
        options.source = std::move(source);
        return options;
      }()) {}

RtspTestServer::RtspTestServer(std::vector<fakecam::CameraSpec> cameras, fakecam::ServerOptions options) {
  options.address = "127.0.0.1";
  options.port = 0;
  auto server = fakecam::Server::start(options, std::move(cameras));
  if (!server) throw std::runtime_error("RtspTestServer: " + server.error().message);
  server_ = std::move(*server);
}

RtspTestServer::~RtspTestServer() = default;

std::uint16_t RtspTestServer::port() const { return server_->port(); }

std::string RtspTestServer::url(std::string_view id) const { return server_->url(id); }

void RtspTestServer::set_fault(std::string_view id, fakecam::Fault fault) {
  if (auto st = server_->apply(id, fault); !st) throw std::runtime_error("RtspTestServer: " + st.error().message);
}

void RtspTestServer::stop() {
  for (const auto& id : server_->camera_ids()) set_fault(id, fakecam::Fault::Down);
}

void RtspTestServer::start() {
  for (const auto& id : server_->camera_ids()) set_fault(id, fakecam::Fault::Up);
}

}  // namespace carekeep::test
