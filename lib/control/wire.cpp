#include "control/wire.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace carekeep::control {

Status send(int socket, const Json& body, std::span<const int> fds) {
  std::string text = body.dump();
  if (text.size() > kMaxMessageBytes) return fail(ErrorKind::InvalidArgument, "control message too large");
  if (fds.size() > kMaxDescriptors) return fail(ErrorKind::InvalidArgument, "too many descriptors in one message");
  iovec iov{text.data(), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxDescriptors)> control{};
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    // MSG_NOSIGNAL: a peer that went away is an error to report, not a SIGPIPE.
    if (::sendmsg(socket, &msg, MSG_NOSIGNAL) >= 0) return ok();
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
      return fail(ErrorKind::Unavailable, "the other side of the control socket has gone");
    return tl::unexpected(fs::from_errno(errno, "sending on the control socket"));
  }
}

Result<std::optional<Message>> receive(int socket, bool* would_block) {
  if (would_block != nullptr) *would_block = false;
  std::string buffer(kMaxMessageBytes + 1, '\0');
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxDescriptors)> control{};
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = 0;
  bool reset_seen = false;
  for (;;) {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    // A peer that closed with our packet unread leaves ECONNRESET pending, and Linux reports it
    // before the packets it sent first: carekeepd's refusal of a connection over a cap (sent,
    // then closed at once) would be lost. The error is cleared by reporting it: read again.
    if (errno == ECONNRESET && !reset_seen) {
      reset_seen = true;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (would_block != nullptr) *would_block = true;
      return fail(ErrorKind::Unavailable, "no control message yet");
    }
    if (errno == ECONNRESET) return std::optional<Message>{};
    return tl::unexpected(fs::from_errno(errno, "reading the control socket"));
  }
  Message message;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      message.fds.emplace_back(fd);  // owned from here: closed on every error path below
    }
  }
  if (n == 0 && message.fds.empty()) return std::optional<Message>{};  // orderly shutdown
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
    return fail(ErrorKind::InvalidArgument,
                "control message too large or with too many descriptors (or the receiver is out of descriptors)");
  buffer.resize(static_cast<std::size_t>(n));
  message.body = Json::parse(buffer, nullptr, false);
  if (!message.body.is_object()) return fail(ErrorKind::InvalidArgument, "control message is not a JSON object");
  return std::optional<Message>{std::move(message)};
}

Result<std::pair<fs::UniqueFd, fs::UniqueFd>> socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return tl::unexpected(fs::from_errno(errno, "creating a socket pair"));
  return std::pair{fs::UniqueFd{fds[0]}, fs::UniqueFd{fds[1]}};
}

namespace {
const Json* member(const Json& body, std::string_view key) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(std::string(key));
  return it == body.end() ? nullptr : &*it;
}
}  // namespace

std::string text_field(const Json& body, std::string_view key, std::string_view fallback) {
  const Json* v = member(body, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string(fallback);
}

std::int64_t int_field(const Json& body, std::string_view key, std::int64_t fallback) {
  const Json* v = member(body, key);
  // Unsigned values above INT64_MAX are not ours to read: no field of ours is that large.
  if (v == nullptr || !v->is_number_integer()) return fallback;
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return fallback;
  return v->get<std::int64_t>();
}

bool bool_field(const Json& body, std::string_view key, bool fallback) {
  const Json* v = member(body, key);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

ErrorKind parse_error_kind(std::string_view text) {
  for (auto kind : {ErrorKind::InvalidArgument, ErrorKind::NotFound, ErrorKind::FailedPrecondition, ErrorKind::Unavailable,
                    ErrorKind::ResourceExhausted, ErrorKind::DataLoss, ErrorKind::Cancelled, ErrorKind::Internal}) {
    if (to_string(kind) == text) return kind;
  }
  return ErrorKind::Internal;
}

Json error_json(const Error& error) {
  return Json{{"ok", false}, {"kind", std::string(to_string(error.kind))}, {"message", error.message}};
}

Error error_from_json(const Json& body) {
  // An empty message is no reason either (found by fuzz_control_wire): the user must read one.
  auto message = text_field(body, "message");
  if (message.empty()) message = "the control socket gave no reason";
  return Error{parse_error_kind(text_field(body, "kind")), std::move(message)};
}

}  // namespace carekeep::control
