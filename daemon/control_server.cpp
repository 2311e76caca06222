#include "control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log.hpp"
#include "control/limits.hpp"
#include "control/policy.hpp"
#include "control/session.hpp"
#include "export/actor.hpp"
#include "export/hold.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kKillAfter = 10s;  // a command that ignores SIGTERM this long is killed
// accept() failing for want of descriptors (EMFILE, ENFILE) leaves the connection queued and
// the listener readable: waiting on it again would spin. Accepting pauses instead, from 100 ms
// (a descriptor freed by a finishing command is used soon) doubling to 1 s (a daemon short of
// descriptors for longer costs a wakeup a second).
constexpr std::chrono::milliseconds kAcceptPauseMin = 100ms;
constexpr std::chrono::milliseconds kAcceptPauseMax = 1000ms;
constexpr auto kAcceptPauseLogEvery = 60s;  // one control_accept_paused line, then one a minute

control::AccessGroups groups_of(const config::Access& access) {
  return {control::resolve_group(access.inspector_group), control::resolve_group(access.operator_group)};
}

// A socket file at `path` from a daemon that died is removed; one somebody listens on, or a
// file that is not a socket, is not ours to remove.
Status clear_stale_socket(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return ok();
  if (!S_ISSOCK(st.st_mode))
    return fail(ErrorKind::FailedPrecondition, path.string() + " exists and is not a socket; remove it or set [access] socket");
  if (auto probe = control::connect(path); probe)
    return fail(ErrorKind::FailedPrecondition, "another process already serves " + path.string() +
                                                   "; give each carekeepd its own [access] socket");
  if (::unlink(path.c_str()) != 0) return tl::unexpected(fs::from_errno(errno, "removing the stale " + path.string()));
  return ok();
}

}  // namespace

class Session;

// Whether a refusal is written to the access log (what a user was denied) or only logged (a
// busy daemon, a malformed request).
enum class Audit { Yes, No };

struct ControlServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_, index::Index& index_, const config::Access& access_)
      : io(io_),
        index(index_),
        access(access_),
        listener(io_),
        accept_pause(io_),
        refusal_flush(io_),
        connections(access_.max_connections, access_.max_connections_per_user) {}
  asio::io_context& io;
  index::Index& index;
  config::Access access;
  std::filesystem::path cli;
  std::filesystem::path config;
  asio::posix::stream_descriptor listener;
  asio::steady_timer accept_pause;
  asio::steady_timer refusal_flush;
  std::chrono::milliseconds accept_backoff = kAcceptPauseMin;
  std::chrono::steady_clock::time_point pause_logged{};
  int pauses_unlogged = 0;
  control::RefusalBudget refusals;
  ControlServer::DigestHandler digest;
  // Before `sessions`: each session's ticket gives its count back on destruction.
  control::ConnectionTable connections;
  std::set<std::shared_ptr<Session>> sessions;
  bool stopped = false;

  void accept_next();
  void pause_accepting(int error);
  void flush_refusals_every_window();
  int running() const;
  // Logs the refusal and, with Audit::Yes, writes it to the access log, both within the
  // refusal budget (at most 10 a minute per uid; the rest become one summary).
  void refused(const control::Peer& peer, std::string_view command, const std::string& reason, Audit audit);
  void flush_refusals(bool all);
};

// One connection: a ping, or one command from request to exit status.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ControlServer::Impl& server, int fd)
      : server_(server), conn_(server.io, fd), child_wait_(server.io), kill_timer_(server.io), request_timer_(server.io) {}

  void start() {
    auto peer = control::peer_of(conn_.native_handle());
    if (!peer) {
      log::warn("control_peer_unknown", {{"error", peer.error().message}});
      finish();
      return;
    }
    peer_ = std::move(*peer);
    // Caps first: a user over them costs one accept, one refusal packet and a close, never a
    // descriptor kept open (issue 14).
    const bool exempt = peer_.uid == 0 || peer_.uid == ::getuid();
    auto admission = server_.connections.admit(peer_.uid, exempt);
    if (admission.verdict != control::ConnectionTable::Verdict::Admitted)
      return refuse(control::connection_refusal(peer_, admission.verdict, server_.connections), 3, "connect", Audit::Yes);
    ticket_ = std::move(admission.ticket);
    role_ = control::role_of(peer_, ::getuid(), groups_of(server_.access));
    // A connection must ask within request_timeout_s; one that never does would hold its slot
    // (and a descriptor) for as long as its owner liked.
    request_timer_.expires_after(std::chrono::seconds(server_.access.request_timeout_s));
    request_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->requested_ || self->closed_) return;
      self->refuse("no request within " + std::to_string(self->server_.access.request_timeout_s) +
                       " s ([access] request_timeout_s); carekeepd closed the connection",
                   3, "connect", Audit::Yes);
    });
    wait_request();
  }

  bool has_child() const { return child_.pid > 0; }

  // Daemon shutdown: the command is interrupted; its status still reaches the user if it ends in time.
  void terminate() {
    if (has_child()) ::kill(-child_.pid, SIGTERM);
  }
  void kill_now() {
    if (has_child()) ::kill(-child_.pid, SIGKILL);
  }
  int child_pidfd() { return child_wait_.is_open() ? child_wait_.native_handle() : -1; }
  void reap_now() { reaped(); }
  // Shutdown: a connection still waiting (an idle client, a command that would not die) must
  // not keep the loop running; its pending waits are cancelled with it.
  void close_now() {
    boost::system::error_code ignored;
    closed_ = true;
    request_timer_.cancel();
    kill_timer_.cancel();
    child_wait_.close(ignored);
    conn_.close(ignored);
  }

 private:
  void wait_request() {
    conn_.async_wait(asio::posix::descriptor_base::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return self->finish();
      self->on_request();
    });
  }

  void on_request() {
    bool would_block = false;
    auto message = control::receive(conn_.native_handle(), &would_block);
    if (!message && would_block) return wait_request();
    requested_ = true;
    request_timer_.cancel();
    // Unreadable (too large, not JSON, or its descriptors could not be received: EMFILE): say so
    // rather than close without a word.
    if (!message) return refuse("carekeepd could not read the request: " + message.error().message, 3, "", Audit::No);
    if (!*message) return finish();
    const control::Json& body = (*message)->body;
    std::string op = control::text_field(body, "op");
    if (op == "ping") {
      (void)control::send(conn_.native_handle(), control::Json{{"op", "pong"},
                                                               {"pid", ::getpid()},
                                                               {"version", CAREKEEP_VERSION},
                                                               {"user", peer_.user},
                                                               {"uid", peer_.uid},
                                                               {"role", std::string(control::to_string(role_))}});
      return finish();
    }
    if (op != "run") return refuse("unknown request \"" + op + "\"", control::kExitNotPermitted, "", Audit::No);
    std::vector<std::string> argv;
    if (body.contains("argv") && body["argv"].is_array()) {
      for (const auto& a : body["argv"]) argv.push_back(a.is_string() ? a.get<std::string>() : std::string());
    }
    auto needs = control::needs(argv);
    if (!needs) return refuse(needs.error().message, 2, "", Audit::No);
    command_ = needs->path;
    if (needs->local_only) return refuse(command_ + " runs on the user's side; it needs no daemon", 2, command_, Audit::No);
    if (auto why = control::refusal(peer_, role_, *needs, server_.access.inspector_group, server_.access.operator_group))
      return refuse(*why, control::kExitNotPermitted, command_, Audit::Yes);
    // Whoever asks (root too): a command the daemon runs signs with the box key only.
    if (auto option = control::peer_refused_option(*needs, argv))
      return refuse(control::option_refusal(peer_, *option), control::kExitNotPermitted, command_, Audit::Yes);
    if (command_ == "digest") return run_digest();
    if (server_.running() >= ControlServer::kMaxCommands) {
      return refuse("carekeepd is busy with " + std::to_string(ControlServer::kMaxCommands) +
                        " commands already (exports, reports, ...); try again when one has finished",
                    3, command_, Audit::No);
    }
    if ((*message)->fds.size() != 4)
      return refuse("the request must carry stdin, stdout, stderr and a broker socket", 2, command_, Audit::No);
    auto invocation = control::invocation_for(body, server_.cli, server_.config, peer_, role_);
    if (!invocation) return refuse(invocation.error().message, 2, command_, Audit::No);
    std::array<int, 4> fds{};
    for (int i = 0; i < 4; ++i) fds[i] = (*message)->fds[static_cast<std::size_t>(i)].get();
    auto child = control::spawn(*invocation, fds);
    if (!child) {
      log::error("control_spawn_failed", {{"command", command_}, {"error", child.error().message}});
      return refuse("carekeepd could not start the command: " + child.error().message, 3, command_, Audit::No);
    }
    (*message)->fds.clear();  // the child has its copies; ours close now
    child_.pid = child->pid;
    child_wait_.assign(child->pidfd.release());
    log::info("control_command", {{"command", command_}, {"user", peer_.user}, {"uid", std::to_string(peer_.uid)},
                                  {"role", std::string(control::to_string(role_))}, {"pid", std::to_string(child_.pid)}});
    (void)control::send(conn_.native_handle(), control::Json{{"op", "started"}});
    watch_child();
    watch_peer();
  }

  // The digest is made on the loop, where the webhooks' queue lives (digest_task.hpp); the
  // user's carekeep prints what comes back.
  void run_digest() {
    if (!server_.digest) return refuse("this carekeepd cannot make a digest (no control of its key)", 3, command_, Audit::No);
    auto made = server_.digest(exports::Actor{peer_.uid, peer_.user});
    log::info("control_command", {{"command", command_}, {"user", peer_.user}, {"uid", std::to_string(peer_.uid)},
                                  {"role", std::string(control::to_string(role_))}});
    if (!made) {
      (void)control::send(conn_.native_handle(),
                          control::Json{{"op", "exit"}, {"status", 3}, {"error", "making the digest: " + made.error().message}});
    } else {
      (void)control::send(conn_.native_handle(), control::Json{{"op", "exit"}, {"status", 0}, {"output", *made}});
    }
    finish();
  }

  // Tells the peer why (when it still listens; the socket is non-blocking, so a peer that does
  // not read costs nothing) and closes.
  void refuse(const std::string& why, int exit_code, std::string_view command, Audit audit) {
    server_.refused(peer_, command, why, audit);
    (void)control::send(conn_.native_handle(), control::Json{{"op", "refused"}, {"message", why}, {"exit", exit_code}});
    finish();
  }

  void watch_child() {
    child_wait_.async_wait(asio::posix::descriptor_base::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->reaped();
    });
  }

  void reaped() {
    if (!has_child()) return;
    control::Child child;
    child.pid = child_.pid;
    auto status = control::reap(child);
    if (!status) {
      if (status.error().kind == ErrorKind::Unavailable) return watch_child();  // not yet
      log::error("control_wait_failed", {{"error", status.error().message}});
    }
    int code = status ? *status : 3;
    log::info("control_command_done", {{"command", command_}, {"user", peer_.user}, {"status", std::to_string(code)}});
    pid_t pid = child_.pid;
    child_.pid = -1;
    boost::system::error_code ignored;
    child_wait_.close(ignored);
    kill_timer_.cancel();
    if (code >= 128) release_abandoned_holds(pid);
    (void)control::send(conn_.native_handle(), control::Json{{"op", "exit"}, {"status", code}});
    finish();
  }

  // A command killed by a signal could not release the hold an export places while it reads.
  void release_abandoned_holds(pid_t pid) {
    auto released = exports::release_abandoned_export_holds(
        server_.index, [pid](pid_t holder) { return holder != pid && exports::process_alive(holder); },
        SystemClock{}.now(), ::getuid(), "carekeepd");
    if (!released) log::error("index_write_failed", {{"error", released.error().message}});
    else if (*released > 0) log::info("export_holds_released", {{"holds", std::to_string(*released)}, {"reason", "the export was killed"}});
  }

  void watch_peer() {
    conn_.async_wait(asio::posix::descriptor_base::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->has_child()) return;
      bool would_block = false;
      auto message = control::receive(self->conn_.native_handle(), &would_block);
      if (!message && would_block) return self->watch_peer();
      if (message && *message && control::text_field((*message)->body, "op") == "cancel") {
        self->escalate();
        return self->watch_peer();
      }
      // The user's carekeep has gone (killed, or its terminal closed): nobody receives the
      // output any more, so the command stops, cleanly if it can.
      self->escalate_to(SIGTERM);
    });
  }

  void escalate() { escalate_to(++cancels_ == 1 ? SIGINT : cancels_ == 2 ? SIGTERM : SIGKILL); }

  void escalate_to(int signo) {
    if (!has_child()) return;
    ::kill(-child_.pid, signo);
    if (signo == SIGKILL) return;
    kill_timer_.expires_after(kKillAfter);
    kill_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && self->has_child()) ::kill(-self->child_.pid, SIGKILL);
    });
  }

  void finish() {
    if (has_child()) return;  // the child's end finishes the session
    closed_ = true;
    // The timer's handler holds this session: cancelled, it lets go now, not when it expires.
    request_timer_.cancel();
    ticket_ = {};  // the slot is free from here
    boost::system::error_code ignored;
    conn_.close(ignored);
    server_.sessions.erase(shared_from_this());
  }

  ControlServer::Impl& server_;
  asio::posix::stream_descriptor conn_;
  asio::posix::stream_descriptor child_wait_;
  asio::steady_timer kill_timer_;
  asio::steady_timer request_timer_;
  control::ConnectionTable::Ticket ticket_;
  bool requested_ = false;  // the first request arrived: request_timeout_s no longer applies
  bool closed_ = false;
  control::Peer peer_;
  control::Role role_ = control::Role::None;
  std::string command_;
  struct {
    pid_t pid = -1;
  } child_;
  int cancels_ = 0;
};

int ControlServer::Impl::running() const {
  int n = 0;
  for (const auto& s : sessions) n += s->has_child() ? 1 : 0;
  return n;
}

void ControlServer::Impl::refused(const control::Peer& peer, std::string_view command, const std::string& reason,
                                   Audit audit) {
  flush_refusals(false);
  if (!refusals.admit(peer.uid, peer.user, std::chrono::steady_clock::now())) return;  // counted, summarised later
  log::info("control_refused", {{"user", peer.user}, {"uid", std::to_string(peer.uid)}, {"command", std::string(command)},
                                {"reason", reason}});
  if (audit == Audit::No) return;
  nlohmann::json arguments{{"command", command.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(command))},
                           {"pid", peer.pid}};
  auto row = exports::record_access(index, exports::Actor{static_cast<std::int64_t>(peer.uid), peer.user}, "refused",
                                    arguments.dump(), reason);
  if (!row) log::error("index_write_failed", {{"error", row.error().message}});
}

void ControlServer::Impl::flush_refusals(bool all) {
  for (const auto& s : refusals.take_ended(std::chrono::steady_clock::now(), all)) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(s.over).count();
    log::warn("control_refusals_suppressed",
              {{"user", s.user}, {"uid", std::to_string(s.uid)}, {"count", std::to_string(s.count)}, {"seconds", std::to_string(seconds)}});
    nlohmann::json arguments{{"command", nullptr}, {"suppressed", s.count}, {"seconds", seconds}};
    auto row = exports::record_access(index, exports::Actor{static_cast<std::int64_t>(s.uid), s.user}, "refused",
                                      arguments.dump(),
                                      "suppressed " + std::to_string(s.count) + " more refusals of this user in " +
                                          std::to_string(seconds) + " s (at most " +
                                          std::to_string(control::RefusalBudget::kDefaultPerUser) +
                                          " a minute are recorded one by one)");
    if (!row) log::error("index_write_failed", {{"error", row.error().message}});
  }
}

void ControlServer::Impl::flush_refusals_every_window() {
  refusal_flush.expires_after(control::RefusalBudget::kDefaultWindow);
  refusal_flush.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped) return;
    self->flush_refusals(false);
    self->flush_refusals_every_window();
  });
}

void ControlServer::Impl::pause_accepting(int error) {
  auto now = std::chrono::steady_clock::now();
  ++pauses_unlogged;
  if (pause_logged == std::chrono::steady_clock::time_point{} || now - pause_logged >= kAcceptPauseLogEvery) {
    log::warn("control_accept_paused", {{"error", std::strerror(error)},
                                        {"pause_ms", std::to_string(accept_backoff.count())},
                                        {"pauses", std::to_string(pauses_unlogged)}});
    pause_logged = now;
    pauses_unlogged = 0;
  }
  accept_pause.expires_after(accept_backoff);
  accept_backoff = std::min(accept_backoff * 2, kAcceptPauseMax);
  accept_pause.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped) return;
    self->accept_next();
  });
}

void ControlServer::Impl::accept_next() {
  listener.async_wait(asio::posix::descriptor_base::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped) return;
    for (;;) {
      int fd = ::accept4(self->listener.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        const int err = errno;
        if (err == EINTR || err == ECONNABORTED) continue;  // that connection went away; the next may not have
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) or anything else that
        // leaves the connection queued: pause rather than spin on a listener that stays readable.
        return self->pause_accepting(err);
      }
      self->accept_backoff = kAcceptPauseMin;
      auto session = std::make_shared<Session>(*self, fd);
      self->sessions.insert(session);
      session->start();
    }
    self->accept_next();
  });
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(asio::io_context& io, index::Index& index,
                                                            const config::Access& access, std::filesystem::path cli,
                                                            std::filesystem::path config) {
  const auto& path = access.socket;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path)
    return fail(ErrorKind::InvalidArgument, "[access] socket " + path.string() + " is longer than 107 bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.string().size() + 1);
  if (auto st = clear_stale_socket(path); !st) return tl::unexpected(st.error());
  fs::UniqueFd fd{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (!fd) return tl::unexpected(fs::from_errno(errno, "creating the control socket"));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return tl::unexpected(fs::from_errno(errno, "binding the control socket " + path.string()));
  // Anyone may connect: the peer's credentials decide what it may do (control/policy), and
  // a refusal says which group would allow it. The directory's mode can narrow this.
  if (::chmod(path.c_str(), 0666) != 0) return tl::unexpected(fs::from_errno(errno, "setting the mode of " + path.string()));
  if (::listen(fd.get(), 16) != 0) return tl::unexpected(fs::from_errno(errno, "listening on " + path.string()));
  auto impl = std::make_shared<Impl>(io, index, access);
  impl->cli = std::move(cli);
  impl->config = std::move(config);
  impl->listener.assign(fd.release());
  impl->accept_next();
  impl->flush_refusals_every_window();
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::ControlServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() { stop(0ms); }

void ControlServer::set_digest_handler(DigestHandler handler) { impl_->digest = std::move(handler); }

void ControlServer::set_access(const config::Access& access) {
  auto socket = impl_->access.socket;
  impl_->access = access;
  impl_->access.socket = socket;
  impl_->connections.set_limits(access.max_connections, access.max_connections_per_user);
}

int ControlServer::running() const { return impl_->running(); }

void ControlServer::stop(std::chrono::milliseconds grace) {
  if (impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->listener.close(ignored);
  impl_->accept_pause.cancel();
  impl_->refusal_flush.cancel();
  ::unlink(impl_->access.socket.c_str());
  auto sessions = impl_->sessions;  // reaping erases from the set
  for (const auto& s : sessions) s->terminate();
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    std::vector<pollfd> polls;
    for (const auto& s : sessions) {
      if (s->has_child() && s->child_pidfd() >= 0) polls.push_back({s->child_pidfd(), POLLIN, 0});
    }
    if (polls.empty()) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      for (const auto& s : sessions) s->kill_now();
      ::poll(polls.data(), polls.size(), 1000);
      for (const auto& s : sessions) s->reap_now();
      break;
    }
    ::poll(polls.data(), polls.size(), static_cast<int>(left.count()));
    for (const auto& s : sessions) s->reap_now();
  }
  for (const auto& s : impl_->sessions) s->close_now();
  impl_->sessions.clear();
  impl_->flush_refusals(true);  // what the budget held back is still recorded, as a count
}

Result<std::filesystem::path> find_cli() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return fail(ErrorKind::NotFound, "finding this program's path: " + ec.message());
  auto dir = exe.parent_path();
  for (const auto& candidate : {dir / "carekeep", dir.parent_path() / "bin" / "carekeep", dir.parent_path() / "tools" / "cli" / "carekeep"}) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return fail(ErrorKind::NotFound, "no carekeep program beside " + exe.string() + " (looked in " + dir.string() + ", " +
                                       (dir.parent_path() / "bin").string() + ")");
}

}  // namespace carekeep::daemon
