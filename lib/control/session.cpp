#include "control/session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "control/broker.hpp"

namespace carekeep::control {
namespace {

constexpr std::string_view kEnvRole = "CAREKEEP_CONTROL_ROLE";
constexpr std::string_view kEnvUid = "CAREKEEP_PEER_UID";
constexpr std::string_view kEnvUser = "CAREKEEP_PEER_USER";
constexpr std::string_view kEnvCwd = "CAREKEEP_CLIENT_CWD";
constexpr std::string_view kEnvBroker = "CAREKEEP_BROKER_FD";
constexpr int kBrokerFd = 3;

bool printable(std::string_view text, std::size_t max) {
  if (text.size() > max) return false;
  return std::none_of(text.begin(), text.end(), [](char c) { return c == '\0' || c == '\n' || c == '\r'; });
}

std::string env_of(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  return value != nullptr ? value : "";
}

}  // namespace

Result<fs::UniqueFd> connect(const std::filesystem::path& socket) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof addr.sun_path)
    return fail(ErrorKind::InvalidArgument, "control socket path " + path + " is longer than 107 bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  fs::UniqueFd fd{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
  if (!fd) return tl::unexpected(fs::from_errno(errno, "creating a socket"));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR)
      return fail(ErrorKind::NotFound, "carekeepd is not running (nothing listens at " + path + ")");
    if (err == EACCES || err == EPERM)
      return fail(ErrorKind::FailedPrecondition, "this user may not open carekeepd's control socket " + path +
                                                     " (permission denied); ask the box's administrator to add you "
                                                     "to the carekeep-inspector group");
    return tl::unexpected(fs::from_errno(err, "connecting to carekeepd at " + path));
  }
  return fd;
}

namespace {

// The daemon refuses a connection over its caps by sending {"op":"refused"} and closing at once,
// possibly before this side's request went out: then sending fails (EPIPE), and the reason is
// the packet still queued here.
std::optional<Json> refusal_left_behind(int connection) {
  pollfd p{connection, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0) return std::nullopt;
  auto message = receive(connection);
  if (!message || !*message || text_field((*message)->body, "op") != "refused") return std::nullopt;
  return (*message)->body;
}

}  // namespace

Result<Json> ping(int connection) {
  if (auto st = send(connection, Json{{"op", "ping"}}); !st) {
    if (auto refused = refusal_left_behind(connection)) return tl::unexpected(error_from_json(*refused));
    return tl::unexpected(st.error());
  }
  auto reply = receive(connection);
  if (!reply) return tl::unexpected(reply.error());
  if (!*reply) return fail(ErrorKind::Unavailable, "carekeepd closed the connection without answering");
  if (text_field((*reply)->body, "op") != "pong") return tl::unexpected(error_from_json((*reply)->body));
  return (*reply)->body;
}

RunRequest request_from_environment(std::vector<std::string> argv) {
  RunRequest request;
  request.argv = std::move(argv);
  std::error_code ec;
  request.cwd = std::filesystem::current_path(ec);
  for (auto name : kForwardedEnv) {
    std::string value = env_of(name);
    if (!value.empty()) request.env.emplace_back(std::string(name), value);
  }
  return request;
}

std::filesystem::path output_root(const std::filesystem::path& cwd, const std::string& given) {
  std::filesystem::path path(given);
  auto p = (path.is_absolute() ? path : cwd / path).lexically_normal();
  if (p.filename().empty() && p != p.root_path()) p = p.parent_path();
  return p;
}

Result<int> run(int connection, const RunRequest& request, const std::atomic<int>* cancels,
                const std::filesystem::path& output_root) {
  auto pair = socket_pair();
  if (!pair) return tl::unexpected(pair.error());
  auto& [mine, theirs] = *pair;
  Json env = Json::object();
  for (const auto& [name, value] : request.env) env[name] = value;
  Json body{{"op", "run"}, {"argv", request.argv}, {"cwd", request.cwd.string()}, {"env", env}};
  const int fds[] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, theirs.get()};
  if (auto st = send(connection, body, fds); !st) {
    if (auto refused = refusal_left_behind(connection)) {
      std::fprintf(stderr, "carekeep: %s\n", refused->value("message", "carekeepd refused the connection").c_str());
      return refused->value("exit", 3);
    }
    return tl::unexpected(st.error());
  }
  theirs.reset();  // the command holds the only other end now: its exit closes the broker

  BrokerServer broker(mine.get(), output_root);
  std::size_t refusals_told = 0;
  // Said here, on the user's terminal, whatever the daemon's side reports: a request for a
  // file outside --out is the daemon's side misbehaving.
  auto tell_refusals = [&] {
    for (; refusals_told < broker.refusals().size(); ++refusals_told)
      std::fprintf(stderr, "carekeep: refused carekeepd's request: %s\n", broker.refusals()[refusals_told].c_str());
  };
  bool broker_open = true;
  int cancels_sent = 0;
  for (;;) {
    if (cancels != nullptr && cancels->load() > cancels_sent) {
      ++cancels_sent;
      (void)send(connection, Json{{"op", "cancel"}});
    }
    pollfd polls[2] = {{connection, POLLIN, 0}, {mine.get(), POLLIN, 0}};
    int n = ::poll(polls, broker_open ? 2 : 1, 250);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(fs::from_errno(errno, "waiting for carekeepd"));
    }
    if (broker_open && (polls[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      auto served = broker.serve_one();
      if (!served || !*served) broker_open = false;
      tell_refusals();
    }
    if ((polls[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    auto message = receive(connection);
    if (!message) return tl::unexpected(message.error());
    if (!*message) return fail(ErrorKind::Unavailable, "carekeepd closed the connection before the command ended (is it restarting?)");
    const Json& reply = (*message)->body;
    std::string op = text_field(reply, "op");
    if (op == "refused") {
      std::fprintf(stderr, "carekeep: %s\n", text_field(reply, "message", "carekeepd refused the command").c_str());
      return static_cast<int>(int_field(reply, "exit", kExitNotPermitted));
    }
    if (op == "exit") {
      // A command the daemon ran itself (`digest`) sends its output along with the status.
      if (auto out = reply.find("output"); out != reply.end() && out->is_string()) std::fputs(out->get<std::string>().c_str(), stdout);
      if (auto err = reply.find("error"); err != reply.end() && err->is_string())
        std::fprintf(stderr, "carekeep: %s\n", err->get<std::string>().c_str());
      // Requests the command sent before it ended are still queued: answer them (an abort
      // that removes a half-built folder) before leaving.
      while (broker_open) {
        pollfd p{mine.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        auto served = broker.serve_one();
        if (!served || !*served) broker_open = false;
      }
      return static_cast<int>(int_field(reply, "status", 3));
    }
    if (op != "started") return fail(ErrorKind::Internal, "carekeepd sent an unknown message \"" + op + "\"");
  }
}

Result<Invocation> invocation_for(const Json& request, const std::filesystem::path& program,
                                  const std::filesystem::path& config, const Peer& peer, Role role) {
  if (!request.contains("argv") || !request["argv"].is_array() || request["argv"].empty())
    return fail(ErrorKind::InvalidArgument, "the request has no argv");
  Invocation inv;
  inv.program = program;
  inv.argv = {program.string(), "--config", config.string()};
  for (const auto& arg : request["argv"]) {
    if (!arg.is_string() || !printable(arg.get<std::string>(), 4096))
      return fail(ErrorKind::InvalidArgument, "an argument is not a line of text");
    inv.argv.push_back(arg.get<std::string>());
  }
  std::string cwd = "/";
  if (auto c = request.find("cwd"); c != request.end()) cwd = c->is_string() ? c->get<std::string>() : std::string();
  if (cwd.empty() || cwd[0] != '/' || !printable(cwd, 4096))
    return fail(ErrorKind::InvalidArgument, "the working directory must be an absolute path");
  inv.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             std::string(kEnvRole) + "=" + std::string(to_string(role)),
             std::string(kEnvUid) + "=" + std::to_string(peer.uid),
             std::string(kEnvUser) + "=" + peer.user,
             std::string(kEnvCwd) + "=" + cwd,
             std::string(kEnvBroker) + "=" + std::to_string(kBrokerFd)};
  if (auto env = request.find("env"); env != request.end() && env->is_object()) {
    for (auto name : kForwardedEnv) {
      auto it = env->find(std::string(name));
      if (it == env->end() || !it->is_string() || !printable(it->get<std::string>(), 256)) continue;
      inv.env.push_back(std::string(name) + "=" + it->get<std::string>());
    }
  }
  return inv;
}

Result<Child> spawn(const Invocation& invocation, const std::array<int, 4>& fds) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  for (int target = 0; target < 4; ++target) posix_spawn_file_actions_adddup2(&actions, fds[target], target);
  // The daemon's sockets (cameras, metrics, this socket) and index must not leak into a
  // command: Asio does not open its sockets close-on-exec.
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&defaults, signo);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a cancel reaches it and nothing else
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv;
  for (const auto& a : invocation.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> env;
  for (const auto& e : invocation.env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, invocation.program.c_str(), &actions, &attr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return tl::unexpected(fs::from_errno(rc, "starting " + invocation.program.string()));
  Child child;
  child.pid = pid;
  child.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!child.pidfd) {
    int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return tl::unexpected(fs::from_errno(err, "watching the command's process"));
  }
  return child;
}

Result<int> reap(Child& child) {
  siginfo_t info{};
  for (;;) {
    if (::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOHANG) == 0) break;
    if (errno == EINTR) continue;
    return tl::unexpected(fs::from_errno(errno, "waiting for the command's process"));
  }
  if (info.si_pid == 0) return fail(ErrorKind::Unavailable, "the command is still running");
  child.pidfd.reset();
  child.pid = -1;
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

std::optional<OnBehalf> on_behalf_from_env() {
  std::string role_text = env_of(kEnvRole);
  if (role_text.empty()) return std::nullopt;
  OnBehalf on;
  auto role = parse_role(role_text);
  on.role = role ? *role : Role::None;
  on.uid = std::strtoll(env_of(kEnvUid).c_str(), nullptr, 10);
  on.user = env_of(kEnvUser);
  if (on.user.empty()) on.user = std::to_string(on.uid);
  on.cwd = env_of(kEnvCwd);
  if (on.cwd.empty() || !on.cwd.is_absolute()) on.cwd = "/";
  on.broker = std::atoi(env_of(kEnvBroker).c_str());
  if (on.broker < 3 || ::fcntl(on.broker, F_GETFD) < 0) on.broker = -1;
  return on;
}

}  // namespace carekeep::control
