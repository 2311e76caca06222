// control/session: one command run through carekeepd's control socket, from both ends.
// The user's carekeep connects, sends {"op":"run", argv, cwd, env} with its stdin, stdout,
// stderr and one end of a broker socket pair attached, serves the broker (broker.hpp) and
// waits for {"op":"exit"}. carekeepd checks the peer's role (policy.hpp), spawns the carekeep
// binary as its own user with those descriptors (spawn), and the command learns on whose
// behalf it runs from its environment (on_behalf_from_env). Blocking calls; the daemon wraps
// spawn and reap in its event loop.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "control/policy.hpp"
#include "control/wire.hpp"

namespace carekeep::control {

// Exit status of a command the daemon refused (the peer's role does not allow it).
inline constexpr int kExitNotPermitted = 5;

// ---- the user's side ------------------------------------------------------------------------

// NotFound when nothing listens at `socket` (no file, or a stale one: ECONNREFUSED), so
// carekeepd is not running; FailedPrecondition when this user may not open it.
Result<fs::UniqueFd> connect(const std::filesystem::path& socket);

// {"op":"pong", "pid", "version", "user", "role"}: the daemon's answer for this user.
Result<Json> ping(int connection);

struct RunRequest {
  std::vector<std::string> argv;  // from the command name on
  std::filesystem::path cwd;      // relative paths in argv are the user's, resolved against this
  std::vector<std::pair<std::string, std::string>> env;  // terminal and locale settings (kForwardedEnv)
};
// Terminal and locale variables a command may see from the user's environment.
inline constexpr std::string_view kForwardedEnv[] = {"TERM", "COLUMNS", "LINES", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "NO_COLOR"};
RunRequest request_from_environment(std::vector<std::string> argv);

// Runs the command in carekeepd with this process's stdin, stdout and stderr, serving its
// output files, only in `output_root` or below it (broker.hpp; empty: none); returns its exit
// status (kExitNotPermitted, with the reason on stderr, when refused; the daemon's exit code
// and reason when it refused the connection itself, at a cap or after a timeout). Each
// increment of *cancels (a signal handler's counter) asks the daemon to interrupt the command:
// SIGINT, then SIGTERM, then SIGKILL.
Result<int> run(int connection, const RunRequest& request, const std::atomic<int>* cancels,
                const std::filesystem::path& output_root = {});

// The output folder a command names (its --out as typed), as the user's carekeep and the
// command carekeepd runs for it both resolve it: against `cwd` when relative, lexically normal,
// without a trailing '/'.
std::filesystem::path output_root(const std::filesystem::path& cwd, const std::string& given);

// ---- carekeepd's side -----------------------------------------------------------------------

// What carekeepd runs for one request: the carekeep binary, as the daemon's user, in its own
// process group, with the user's descriptors as 0, 1, 2 and 3 (the broker).
struct Invocation {
  std::filesystem::path program;
  std::vector<std::string> argv;  // argv[0] is the program
  std::vector<std::string> env;   // "NAME=value"
};
// InvalidArgument for a malformed request (its message says what). The command always runs
// with the daemon's configuration, never one the request names.
Result<Invocation> invocation_for(const Json& request, const std::filesystem::path& program,
                                  const std::filesystem::path& config, const Peer& peer, Role role);

struct Child {
  pid_t pid = -1;
  fs::UniqueFd pidfd;  // readable once the child has exited
};
// posix_spawn with `fds` as 0..3 and every other descriptor closed.
Result<Child> spawn(const Invocation& invocation, const std::array<int, 4>& fds);
// The exit status of a child whose pidfd is readable (128 + signal when killed); reaps it.
Result<int> reap(Child& child);

// ---- the command's side ---------------------------------------------------------------------

// Set when carekeepd runs this process for a user through the control socket.
struct OnBehalf {
  Role role = Role::None;
  std::int64_t uid = 0;
  std::string user;
  std::filesystem::path cwd;  // the user's working directory
  int broker = -1;            // the broker socket (descriptor 3)
};
std::optional<OnBehalf> on_behalf_from_env();

}  // namespace carekeep::control
