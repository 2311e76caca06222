// Fuzzes what a camera sends on the RTSP connection, read the way the native client reads it
// (lib/ingest/native_source.cpp, process()): interleaved '$' frames and RTSP messages
// (responses, or requests the camera sends) one after another, each message parsed with
// rtsp::parse_message, its headers looked up, its challenges parsed and its SDP body read.
#include <cstring>

#include "fuzz_input.hpp"
#include "ingest/rtsp_protocol.hpp"

using namespace carekeep;
using namespace carekeep::ingest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stream = fuzz::as_text(data, size);
  std::size_t pos = 0;
  while (pos < stream.size()) {
    std::string_view rest = stream.substr(pos);
    if (rest[0] == '$') {
      if (rest.size() < 4) break;
      std::size_t len = (std::size_t{static_cast<std::uint8_t>(rest[2])} << 8) | static_cast<std::uint8_t>(rest[3]);
      if (rest.size() < 4 + len) break;
      pos += 4 + len;
      continue;
    }
    if (rest[0] >= 'A' && rest[0] <= 'Z') {
      rtsp::Response message;
      auto used = rtsp::parse_message(rest, message);
      if (!used || *used == 0) break;  // malformed: the client drops the connection; or incomplete
      FUZZ_CHECK(*used <= rest.size());
      // The client parses whatever has arrived so far: a message must not look malformed while
      // only part of it is there, or the connection is dropped for a message that was fine.
      rtsp::Response partial;
      auto prefix = rtsp::parse_message(rest.substr(0, *used - 1), partial);
      FUZZ_CHECK(prefix && *prefix == 0);

      (void)message.header("CSeq");
      (void)message.header("Session");
      (void)message.header("Transport");
      std::string base = "rtsp://camera.invalid/stream";
      if (auto b = message.header("Content-Base")) base = std::string(*b);
      else if (auto l = message.header("Content-Location")) base = std::string(*l);
      if (auto challenge = rtsp::parse_challenge(message.headers_named("WWW-Authenticate"))) {
        (void)rtsp::authorization(*challenge, "admin", "secret", "DESCRIBE", base, 1, "0a4f113b");
      }
      if (message.status == 200 && !message.body.empty()) {
        if (auto sdp = rtsp::parse_sdp(message.body)) {
          for (const auto& m : sdp->media) (void)rtsp::resolve_control(base, m.control);
          (void)rtsp::resolve_control(base, sdp->control);
        }
      }
      pos += *used;
      continue;
    }
    // Neither: the client skips to the next '$'.
    auto next = rest.find('$', 1);
    if (next == std::string_view::npos) break;
    pos += next;
  }
  return 0;
}
