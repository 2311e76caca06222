// control/broker: the files a daemon-run command hands to a person are made by that person's
// own carekeep process. The command (run by carekeepd as its user) holds a RemoteDestination
// on one end of a socket pair; the user's carekeep serves it on the other end with a
// LocalDestination, so each file is created with the user's rights on the user's disk (a USB
// stick mounted for them, their home) and only its descriptor crosses over. Blocking; the
// command's thread on one side, the CLI's loop on the other.
//
// Neither side trusts the other further than it must (issue 14): the user's side makes files
// only in the output folder named on its own command line (BrokerServer's root), and the
// command gives up on a user's side that leaves a request unanswered (RemoteDestination's
// deadline), so a stopped carekeep cannot keep an export, and the hold it places, forever.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/destination.hpp"
#include "control/wire.hpp"

namespace carekeep::control {

// Default of [access] broker_timeout_s (config::Access says why).
inline constexpr std::chrono::seconds kDefaultBrokerTimeout{60};

class RemoteDestination final : public fs::Destination {
 public:
  // Each call waits at most `deadline` for the user's carekeep to answer; past it the call
  // fails (Unavailable) and so does every later one, without waiting again (abort included).
  explicit RemoteDestination(int socket, std::chrono::milliseconds deadline = kDefaultBrokerTimeout)
      : socket_(socket), deadline_(deadline) {}
  ~RemoteDestination() override { abort(); }

  Status open(const std::filesystem::path& out, fs::Layout layout) override;
  Result<fs::UniqueFd> create(std::string_view name) override;
  Status commit() override;
  void abort() noexcept override;
  const std::vector<fs::Leftover>& leftovers() const override { return leftovers_; }

  // Set when the user's carekeep refused a request as outside the output folder it was told
  // (the refusal's text); the command records that in the access log.
  const std::optional<std::string>& refusal() const { return refusal_; }

 private:
  Result<Message> call(const Json& request);
  int socket_;  // not owned
  std::chrono::milliseconds deadline_;
  bool open_ = false;
  bool gone_ = false;  // a call timed out or the other side closed: nothing more is asked
  std::optional<std::string> refusal_;
  std::vector<fs::Leftover> leftovers_;
};

// InvalidArgument unless `requested` names `root` or a folder below it: absolute, without "."
// or ".." components or a NUL, and, with symlinks resolved as far as the path exists, still
// below `root` resolved the same way. An empty `root` (the command names no output folder)
// allows nothing. Touches the file system only to resolve symlinks.
Status within_output(const std::filesystem::path& requested, const std::filesystem::path& root);

// The user's side: answers one request read from `socket` with a LocalDestination. False once
// the command's end is closed (its process has finished); a request still queued then is not
// acted on (the command gave up on it or was killed), except an abort.
class BrokerServer {
 public:
  // `root`: the output folder named on this carekeep's own command line (absolute, lexically
  // normal; empty when the command has none). Only it, or a folder below it, is opened.
  BrokerServer(int socket, std::filesystem::path root) : socket_(socket), root_(std::move(root)) {}
  ~BrokerServer() { local_.abort(); }  // the command ended without commit: nothing is left behind
  Result<bool> serve_one();

  // The requests refused as outside the root, for the user to see ("carekeepd asked to write
  // /etc/x, outside --out /home/a/case-17; refused").
  const std::vector<std::string>& refusals() const { return refusals_; }

 private:
  int socket_;  // not owned
  std::filesystem::path root_;
  fs::LocalDestination local_;
  std::vector<std::string> refusals_;
};

}  // namespace carekeep::control
