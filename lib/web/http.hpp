// web/http: the console's requests and responses as plain values (no sockets: daemon/
// web_server.cpp moves bytes; lib/web decides), and the small parsers they need: cookies,
// urlencoded forms, the path of a target. Parsers take hostile bytes and bound what they keep.
// Pure; any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/cidr.hpp"

namespace carekeep::web {

struct Request {
  std::string method;        // "GET", "POST", ...
  std::string target;        // as sent: "/overview?ack=ok"
  std::string cookie;        // the Cookie header, "" when absent
  std::string content_type;  // the Content-Type header
  std::string body;          // the server caps it (kMaxBody)
  IpAddress source;          // the peer's address
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Set-Cookie, Location, ...
  const std::string* header(std::string_view name) const;    // the first one of `name`
};

inline constexpr std::size_t kMaxBody = 16 * 1024;  // a login or an acknowledgement is < 1 KiB

// name → value of a Cookie header ("a=1; b=2"); the first of a repeated name wins.
std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header);
// application/x-www-form-urlencoded ("a=1&b=x%20y"); nullopt for a malformed escape.
std::optional<std::map<std::string, std::string, std::less<>>> parse_form(std::string_view body);
// The path of a target, percent-decoded, without its query. nullopt for anything a file route
// must never see: no leading '/', a "." or ".." segment (also encoded), '\\', NUL, "//".
std::optional<std::string> clean_path(std::string_view target);
// The value of `key` in the target's query, decoded; "" when absent.
std::string query_value(std::string_view target, std::string_view key);

}  // namespace carekeep::web
