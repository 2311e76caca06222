// control/wire: the messages of carekeepd's control socket (docs/access.md, Control socket).
// A Unix SOCK_SEQPACKET socket: one JSON object per packet, so message boundaries need no
// framing, and file descriptors ride along with a packet (SCM_RIGHTS). Blocking or
// non-blocking as the socket is; any thread, one reader and one writer per socket.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace carekeep::control {

using Json = nlohmann::json;

// Packets larger than this are refused (a request carries an argv, never bulk data).
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024;
inline constexpr std::size_t kMaxDescriptors = 8;

struct Message {
  Json body;
  std::vector<fs::UniqueFd> fds;
};

// Sends `body` with `fds` attached (the receiver gets duplicates; the caller keeps its own).
// Unavailable when the peer has gone (EPIPE, ECONNRESET).
Status send(int socket, const Json& body, std::span<const int> fds = {});

// The next packet; nullopt when the peer closed the connection. On a non-blocking socket with
// nothing to read: Unavailable with `would_block` set. InvalidArgument for a packet that is
// not one JSON object, truncated, or carries too many descriptors (they are closed).
Result<std::optional<Message>> receive(int socket, bool* would_block = nullptr);

// A connected SOCK_SEQPACKET pair, close-on-exec.
Result<std::pair<fs::UniqueFd, fs::UniqueFd>> socket_pair();

// A member of a received body, or `fallback` when it is absent or has another type (or the
// body is not an object). Bodies come from another process, and nlohmann's value() throws
// type_error for a key that is present with another type: {"op": 1} from any local user
// would have ended carekeepd's loop (tests/fuzz/regressions/control_wire). Read what
// receive() returned with these, never with value() or get<>() unchecked.
std::string text_field(const Json& body, std::string_view key, std::string_view fallback = "");
std::int64_t int_field(const Json& body, std::string_view key, std::int64_t fallback);
bool bool_field(const Json& body, std::string_view key, bool fallback);

// An ErrorKind in a message ("kind": "NotFound") and back; unknown text is Internal.
ErrorKind parse_error_kind(std::string_view text);
Json error_json(const Error& error);
Error error_from_json(const Json& body);

}  // namespace carekeep::control
