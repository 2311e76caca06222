// daemon/control_server: carekeepd's control socket ([access] socket; lib/control has the
// protocol and the rules). Accepts connections on the loop thread, reads each peer's
// credentials, answers ping, and for a permitted command spawns the carekeep binary as the
// daemon's user with the peer's descriptors, relays its exit status and interrupts it when the
// peer cancels or goes away. Refusals are written to the access log (within a budget per uid,
// control/limits). At most kMaxCommands commands run at once; they run at a lower CPU priority
// than recording (they nice themselves). Against local users exhausting the daemon (issue 14):
// connections are capped per uid and in total ([access] max_connections*), one that sends no
// request within request_timeout_s is closed, and accept() out of descriptors pauses instead of
// spinning. Nothing here blocks the loop: sockets are non-blocking and children are watched by pidfd.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "base/error.hpp"
#include "config/config.hpp"
#include "export/actor.hpp"
#include "index/index.hpp"

namespace carekeep::daemon {

class ControlServer {
 public:
  static constexpr int kMaxCommands = 4;

  // Binds `access.socket` (removing a stale socket file a crashed daemon left; refusing when
  // another process listens there or the path is not a socket). `cli` is the carekeep
  // binary, `config` the daemon's configuration file (absolute).
  static Result<std::unique_ptr<ControlServer>> start(boost::asio::io_context& io, index::Index& index,
                                                      const config::Access& access, std::filesystem::path cli,
                                                      std::filesystem::path config);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // A configuration reload may change the groups, caps and timeouts (open connections stay;
  // the socket path needs a restart).
  void set_access(const config::Access& access);
  // `carekeep digest`: run in the daemon itself (not spawned) for a permitted peer; returns
  // what the user's terminal shows, or the error. Without a handler the command is refused.
  using DigestHandler = std::function<Result<std::string>(const exports::Actor& actor)>;
  void set_digest_handler(DigestHandler handler);
  // Stops accepting, interrupts running commands (SIGTERM, SIGKILL after `grace`), reaps
  // them and removes the socket file. Blocks for at most `grace` plus a little.
  void stop(std::chrono::milliseconds grace);
  int running() const;

  struct Impl;

 private:
  explicit ControlServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// The carekeep binary beside this carekeepd: the same directory, ../bin (an installed
// /usr/sbin/carekeepd next to /usr/bin/carekeep) or ../tools/cli (the build tree).
Result<std::filesystem::path> find_cli();

}  // namespace carekeep::daemon
