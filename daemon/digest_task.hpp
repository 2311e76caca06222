// daemon/digest_task: the signed daily digest that leaves the box (issue 15; docs/evidence.md,
// Digests). At [evidence] digest_time (local) every day, and when an inspector or operator asks
// (`carekeep digest` through the control socket), it reads every chain's tip, signs them with
// the box key (export/digest), keeps the file in <data>/digests/, records it in the access log
// and hands it to the webhooks, whose queue, retries and outbox carry it off the box. Loop
// thread only; one pass is a few short SQLite reads, a signature and one small file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/error.hpp"
#include "base/time.hpp"
#include "config/config.hpp"
#include "export/actor.hpp"
#include "index/index.hpp"
#include "webhook.hpp"

namespace carekeep::daemon {

class AnchorTask;

// The SHA-256 (hex) of the configuration file as it is on disk now: what the daemon loaded
// when called right after parsing it (start, reload). "" when it cannot be read.
std::string config_file_sha256(const std::filesystem::path& file);

class DigestTask {
 public:
  struct Made {
    std::filesystem::path file;
    std::int64_t seq = 0;
    std::string json;
  };

  // `dir`: <data>/digests. `anchors` lends the box key (none while the key is unusable).
  DigestTask(boost::asio::io_context& io, index::Index& index, const AnchorTask& anchors,
             alerts::WebhookNotifier& webhooks, std::filesystem::path dir);
  // Start and every reload: site name, time zone, digest_time and the loaded file's hash.
  void configure(const config::Config& config, std::string config_sha256);
  void start();
  void stop();
  // One digest now: made, written, recorded (as `actor`, with `why`), sent.
  Result<Made> make(std::string_view why, const exports::Actor& actor);

  // The newest digest this box made (/metrics: a fleet alerts when none came for 26 h). At
  // start, the highest-numbered file in digests/ and its modification time (written once,
  // atomically, when it was made); then each one made. nullopt before the first.
  struct Last {
    std::int64_t seq = 0;
    UtcTime made;
  };
  const std::optional<Last>& last() const { return last_; }

 private:
  void schedule();

  boost::asio::io_context& io_;
  index::Index& index_;
  const AnchorTask& anchors_;
  alerts::WebhookNotifier& webhooks_;
  std::filesystem::path dir_;
  boost::asio::steady_timer timer_;
  std::string site_;
  std::optional<TimeZone> zone_;
  int minute_ = 23 * 60 + 55;
  std::string config_sha256_;
  bool started_ = false;
  std::optional<Last> last_;
};

}  // namespace carekeep::daemon
