// daemon/anchor_task: the box key and the daily integrity anchors (PRODUCT.md §2, issue #6).
// At start it loads or creates the Ed25519 key in the state directory (mode 0600) and
// publishes its public half as signing.pub (world-readable, for `carekeep key`) and, when it
// created the key, pins its fingerprint beside the configuration if it may, then signs
// every camera's chain tip and the access log tip at once, every 24 h, and at clean
// shutdown. Loop thread only; each pass is one short SQLite transaction. A key problem is
// logged and recording goes on: footage matters more than its anchors.
#pragma once

#include <filesystem>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "index/index.hpp"
#include "signing/signing.hpp"

namespace carekeep::daemon {

class AnchorTask {
 public:
  // `pin_file`: where the new key's fingerprint is pinned when this task creates the key
  // (signing/trust.hpp); usually not writable by the daemon, which is then logged.
  AnchorTask(boost::asio::io_context& io, index::Index& index, std::filesystem::path key_dir,
             std::filesystem::path pin_file);
  void start();
  void stop();  // cancels the timer and signs a last anchor
  // The box key once start() loaded it; null while it is unusable (the digest needs it too).
  const signing::KeyPair* key() const { return key_ ? &*key_ : nullptr; }

 private:
  void anchor(const char* why);
  void schedule();

  index::Index& index_;
  std::filesystem::path key_dir_;
  std::filesystem::path pin_file_;
  boost::asio::steady_timer timer_;
  std::optional<signing::KeyPair> key_;
};

}  // namespace carekeep::daemon
