// control/broker: the files a daemon-run command hands to a person are made by that person's
// own carekeep process. The command (run by carekeepd as its user) holds a RemoteDestination
// on one end of a socket pair; the user's carekeep serves it on the other end with a
// LocalDestination, so each file is created with the user's rights on the user's disk (a USB
// stick mounted for them, their home) and only its descriptor crosses over. Blocking; the
// command's thread on one side, the CLI's loop on the other.
#pragma once

#include <memory>

#include "base/destination.hpp"
#include "control/wire.hpp"

namespace carekeep::control {

class RemoteDestination final : public fs::Destination {
 public:
  explicit RemoteDestination(int socket) : socket_(socket) {}
  ~RemoteDestination() override { abort(); }

  Status open(const std::filesystem::path& out, fs::Layout layout) override;
  Result<fs::UniqueFd> create(std::string_view name) override;
  Status commit() override;
  void abort() noexcept override;
  const std::vector<fs::Leftover>& leftovers() const override { return leftovers_; }

 private:
  Result<Message> call(const Json& request);
  int socket_;  // not owned
  bool open_ = false;
  std::vector<fs::Leftover> leftovers_;
};

// The user's side: answers one request read from `socket` with `local`. False once the
// command's end is closed (its process has finished).
class BrokerServer {
 public:
  explicit BrokerServer(int socket) : socket_(socket) {}
  ~BrokerServer() { local_.abort(); }  // the command ended without commit: nothing is left behind
  Result<bool> serve_one();

 private:
  int socket_;  // not owned
  fs::LocalDestination local_;
};

}  // namespace carekeep::control
