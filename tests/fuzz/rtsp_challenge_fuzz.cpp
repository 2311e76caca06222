// Fuzzes the Basic/Digest challenge parser (RFC 2617/7616) and the Authorization header built
// from what it returns. The input is the values of the WWW-Authenticate headers of one 401
// response, one per line, as rtsp::Response::headers_named hands them over.
#include <cctype>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "ingest/rtsp_protocol.hpp"

using namespace carekeep;
using namespace carekeep::ingest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  std::vector<std::string_view> values;
  while (!text.empty()) {
    auto nl = text.find('\n');
    values.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  auto challenge = rtsp::parse_challenge(values);
  if (!challenge) return 0;
  // Only MD5 (or no algorithm) is taken (rtsp_protocol.hpp): anything else must be refused.
  if (challenge->scheme == rtsp::Challenge::Scheme::Digest) {
    std::string algorithm = challenge->algorithm;
    for (char& c : algorithm) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    FUZZ_CHECK(algorithm.empty() || algorithm == "MD5");
    FUZZ_CHECK(!challenge->nonce.empty());
  }
  std::string header =
      rtsp::authorization(*challenge, "admin", "p@ss word", "DESCRIBE", "rtsp://192.0.2.7:554/Streaming/Channels/101", 7,
                          "0a4f113b");
  FUZZ_CHECK(!header.empty());
  return 0;
}
