// ingest/rtsp_protocol: the text side of the native RTSP client as pure functions: camera
// URL parts, RTSP response parsing, Basic/Digest authentication (RFC 2617/7616, MD5) and
// SDP (RFC 4566) with the H.264/H.265/AAC attributes the client needs. No I/O; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace carekeep::ingest::rtsp {

struct Url {
  std::string host;             // without brackets for IPv6 literals
  std::uint16_t port = 554;
  std::string user;             // percent-decoded
  std::string password;
  bool has_credentials = false;
  std::string request_url;      // what goes on the request line: the URL without user:password@
  bool tls = false;             // rtsps:// (default port 322)
};
// Accepts rtsp[s]://[user[:password]@]host[:port][/path][?query]. Errors never quote the URL.
Result<Url> parse_url(std::string_view url);

struct Response {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;
  // The first header of that name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  std::vector<std::string_view> headers_named(std::string_view name) const;
};
// Parses one RTSP message (a response, or a request the server sent, then status = 0) at
// the start of `data`. Returns the bytes it spans, 0 while incomplete, InvalidArgument when
// malformed, or ResourceExhausted when its head passes `max_head` bytes or its Content-Length
// passes `max_body` (the message names the limit and the size seen). With the defaults a
// whole message always fits the native client's receive buffer.
Result<std::size_t> parse_message(std::string_view data, Response& out, std::size_t max_head = 16 * 1024,
                                  std::size_t max_body = 64 * 1024);

struct Challenge {
  enum class Scheme { Basic, Digest } scheme = Scheme::Basic;
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string algorithm;  // "MD5" (or empty); other algorithms are refused
  bool qop_auth = false;  // the server offers qop=auth
  bool stale = false;
};
// Picks the strongest supported challenge among the WWW-Authenticate values (Digest MD5
// over Basic). Empty when none is usable.
std::optional<Challenge> parse_challenge(const std::vector<std::string_view>& www_authenticate);

std::string md5_hex(std::string_view data);
// The Authorization header value for one request. `nc` counts uses of this nonce (qop=auth);
// `cnonce` is the client nonce (random per challenge).
std::string authorization(const Challenge& challenge, std::string_view user, std::string_view password,
                          std::string_view method, std::string_view uri, std::uint32_t nc, std::string_view cnonce);

struct SdpMedia {
  std::string type;      // "video", "audio", ...
  int payload_type = -1;
  std::string encoding;  // rtpmap name in upper case: "H264", "H265", "MPEG4-GENERIC", "PCMU"
  int clock_rate = 0;
  int channels = 0;
  std::string control;   // a=control, as written
  std::map<std::string, std::string> fmtp;  // keys lower case
  double frame_rate = 0;  // a=framerate, 0 when absent
};
struct Sdp {
  std::string control;  // session-level a=control
  std::vector<SdpMedia> media;
};
// ResourceExhausted when the description has more than `max_lines` lines or `max_media`
// m= sections (a camera has a handful).
Result<Sdp> parse_sdp(std::string_view text, std::size_t max_lines = 1000, std::size_t max_media = 16);

// Resolves a=control against the base URL (Content-Base, else Content-Location, else the
// request URL): absolute URLs stay, "*" is the base, others are appended with one '/'.
std::string resolve_control(std::string_view base, std::string_view control);

// RFC 4648 base64 both ways (sprop parameter sets are base64, Basic auth too).
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);
// Hex string ("1190") to bytes; empty on malformed input.
std::optional<std::string> hex_decode(std::string_view text);

}  // namespace carekeep::ingest::rtsp
