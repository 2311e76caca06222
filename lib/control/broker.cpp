#include "control/broker.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace carekeep::control {
namespace {

// Whether `path`'s components start with all of `base`'s.
bool below(const std::filesystem::path& path, const std::filesystem::path& base) {
  auto [b, p] = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
  return b == base.end();
}

// Lexically normal, without the empty last component a trailing '/' leaves ("/a/b/" → "/a/b"),
// as the command side names the folder (cli::user_path, then the same trim).
std::filesystem::path trimmed(const std::filesystem::path& path) {
  auto p = path.lexically_normal();
  if (p.filename().empty() && p != p.root_path()) p = p.parent_path();
  return p;
}

// The other end of `socket` has closed (it may still have left packets to read).
bool hung_up(int socket) {
  pollfd p{socket, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
}

}  // namespace

Status within_output(const std::filesystem::path& requested, const std::filesystem::path& root) {
  const std::string& text = requested.native();
  if (root.empty())
    return fail(ErrorKind::InvalidArgument, "this command names no output folder, so this carekeep makes no files for it (" +
                                                text + " was asked for)");
  auto refuse = [&](const std::string& why) {
    return fail(ErrorKind::InvalidArgument, "the output \"" + text + "\" " + why + "; this carekeep writes only in " +
                                                root.string() + ", the folder named on its command line");
  };
  if (text.find('\0') != std::string::npos) return refuse("contains a NUL byte");
  if (!requested.is_absolute()) return refuse("is not an absolute path");
  for (const auto& part : requested) {
    if (part == "." || part == "..") return refuse("has a . or .. in it");
  }
  const auto want = trimmed(requested);
  const auto base = trimmed(root);
  if (!below(want, base)) return refuse("is outside that folder");
  // A symbolic link below the root (the user's own, or one planted there) must not lead out
  // of it; the root itself may be a link: the user named it.
  std::error_code ec;
  const auto real_want = std::filesystem::weakly_canonical(want, ec);
  if (ec) return refuse("cannot be resolved: " + ec.message());
  const auto real_base = std::filesystem::weakly_canonical(base, ec);
  if (ec) return refuse("cannot be checked: resolving " + base.string() + ": " + ec.message());
  if (!below(real_want, real_base)) return refuse("leads out of that folder through a symbolic link");
  return ok();
}

Result<Message> RemoteDestination::call(const Json& request) {
  if (gone_) return fail(ErrorKind::Unavailable, "the user's carekeep stopped answering earlier; nothing more is asked of it");
  if (auto st = send(socket_, request); !st) {
    gone_ = true;
    return tl::unexpected(std::move(st.error()).with_context("asking carekeep for the output"));
  }
  // The user's carekeep answers at once unless it is stopped (Ctrl-Z, SIGSTOP) or hung; then
  // this command, the hold it placed and its slot in carekeepd would wait for as long as the
  // user likes (issue 14). At most one request is outstanding, so send() never blocks.
  const auto deadline = std::chrono::steady_clock::now() + deadline_;
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) {
      gone_ = true;
      return fail(ErrorKind::Unavailable,
                  "the user's carekeep did not answer a request for an output file within " +
                      std::to_string(std::chrono::ceil<std::chrono::seconds>(deadline_).count()) +
                      " s ([access] broker_timeout_s; is it stopped, by Ctrl-Z or SIGSTOP?); giving up");
    }
    pollfd p{socket_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
    if (n > 0) break;
    if (n < 0 && errno != EINTR) {
      gone_ = true;
      return tl::unexpected(fs::from_errno(errno, "waiting for the user's carekeep"));
    }
  }
  auto reply = receive(socket_);
  if (!reply) {
    gone_ = true;
    return tl::unexpected(reply.error());
  }
  if (!*reply) {
    gone_ = true;
    return fail(ErrorKind::Cancelled, "the carekeep command that asked for this has gone");
  }
  const Json& body = (*reply)->body;
  if (!bool_field(body, "ok", false)) {
    Error error = error_from_json(body);
    if (bool_field(body, "refused", false)) refusal_ = error.message;
    return tl::unexpected(std::move(error));
  }
  return std::move(**reply);
}

Status RemoteDestination::open(const std::filesystem::path& out, fs::Layout layout) {
  auto reply = call({{"op", "open"}, {"out", out.string()}, {"layout", std::string(fs::to_string(layout))}});
  if (!reply) return tl::unexpected(reply.error());
  open_ = true;
  if (auto l = reply->body.find("leftovers"); l != reply->body.end() && l->is_array()) {
    for (const auto& one : *l) {
      leftovers_.push_back(fs::Leftover{text_field(one, "path"), int_field(one, "pid", 0), text_field(one, "why"),
                                        bool_field(one, "removed", false), text_field(one, "error")});
    }
  }
  return ok();
}

Result<fs::UniqueFd> RemoteDestination::create(std::string_view name) {
  if (auto st = fs::check_file_name(name); !st) return tl::unexpected(st.error());
  auto reply = call({{"op", "create"}, {"name", std::string(name)}});
  if (!reply) return tl::unexpected(reply.error());
  if (reply->fds.size() != 1) return fail(ErrorKind::Internal, "carekeep sent no descriptor for " + std::string(name));
  return std::move(reply->fds.front());
}

Status RemoteDestination::commit() {
  auto reply = call({{"op", "commit"}});
  if (!reply) return tl::unexpected(reply.error());
  open_ = false;
  return ok();
}

void RemoteDestination::abort() noexcept {
  if (!open_) return;
  open_ = false;
  if (gone_) return;  // the user's side removes its half-built folder when this end closes
  (void)call({{"op", "abort"}});
}

Result<bool> BrokerServer::serve_one() {
  auto request = receive(socket_);
  if (!request) return tl::unexpected(request.error());
  if (!*request) return false;
  const Json& body = (*request)->body;
  std::string op = text_field(body, "op");
  // A request whose sender has hung up is nobody's any more: the command gave up waiting
  // (broker_timeout_s) or was killed, and reported a failure. Committing now would make an
  // export look complete that the access log calls failed; only an abort is still honoured.
  if (hung_up(socket_)) {
    local_.abort();
    return false;
  }
  Status done = ok();
  bool refused = false;
  std::vector<fs::UniqueFd> fds;
  if (op == "open") {
    auto layout = fs::parse_layout(text_field(body, "layout"));
    std::filesystem::path out = text_field(body, "out");
    if (auto inside = within_output(out, root_); !inside) {
      refused = true;
      refusals_.push_back(inside.error().message);
      done = tl::unexpected(inside.error());
    } else {
      done = layout ? local_.open(out, *layout) : Status(tl::unexpected(layout.error()));
    }
  } else if (op == "create") {
    auto fd = local_.create(text_field(body, "name"));
    if (fd) fds.push_back(std::move(*fd));
    else done = tl::unexpected(fd.error());
  } else if (op == "commit") {
    done = local_.commit();
  } else if (op == "abort") {
    local_.abort();
  } else {
    done = fail(ErrorKind::InvalidArgument, "unknown request \"" + op + "\"");
  }
  Json reply = done ? Json{{"ok", true}} : error_json(done.error());
  if (refused) reply["refused"] = true;  // typed: the command records a refusal, not a failure
  if (op == "open" && done) {
    Json leftovers = Json::array();
    for (const auto& l : local_.leftovers())
      leftovers.push_back({{"path", l.path.string()}, {"pid", l.pid}, {"why", l.why}, {"removed", l.removed}, {"error", l.error}});
    reply["leftovers"] = std::move(leftovers);
  }
  std::vector<int> raw;
  for (const auto& fd : fds) raw.push_back(fd.get());
  if (auto st = send(socket_, reply, raw); !st) return tl::unexpected(st.error());
  return true;
}

}  // namespace carekeep::control
