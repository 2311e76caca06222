// daemon/summary_task: the daily summary every webhook receives (issue 17; docs/alerts.md,
// Daily summary). At [alerts] summary_time (local) it gathers yesterday's summary with
// lib/report (report::gather_summary, the same as `carekeep summary`), numbers it, records it
// in the access log (action "summary": its number and the next time survive restarts there)
// and queues it, in each webhook's language, through the webhooks' queue, retries and outbox.
// Each message carries its number and the time of the next one, so that its absence is an
// alarm. A time passed while the daemon was down is made up once at start. Loop thread only;
// one pass reads a day of the index (like a one-day report) and writes one access-log row.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/error.hpp"
#include "base/time.hpp"
#include "config/config.hpp"
#include "index/index.hpp"
#include "webhook.hpp"

namespace carekeep::daemon {

class AnchorTask;

// The access log's action for a summary sent, and its arguments (one JSON object).
inline constexpr std::string_view kSummaryAction = "summary";

class SummaryTask {
 public:
  // `anchors` lends the box key's fingerprint (none while the key is unusable).
  SummaryTask(boost::asio::io_context& io, index::Index& index, const AnchorTask& anchors,
              alerts::WebhookNotifier& webhooks);
  // Start and every reload: the configuration the summary describes, summary_time, time zone.
  void configure(const config::Config& config);
  // Sends a summary missed while the daemon was down, then waits for the next time.
  void start();
  void stop();
  // One summary now (`why`: "daily" or "late"); returns its number.
  Result<std::int64_t> send(std::string_view why);

 private:
  void schedule();

  boost::asio::io_context& io_;
  index::Index& index_;
  const AnchorTask& anchors_;
  alerts::WebhookNotifier& webhooks_;
  boost::asio::steady_timer timer_;
  config::Config config_;
  std::optional<TimeZone> zone_;
  int second_ = 20 * 3600;
  bool started_ = false;
};

}  // namespace carekeep::daemon
