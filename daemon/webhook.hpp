// daemon/webhook: the HTTP side of alert delivery; what to send and when is decided by
// lib/alerts (render.hpp: the texts and bodies; delivery.hpp: the queue and repeat rules).
// It carries AlertCenter changes to the [[alerts.webhook]] endpoints of the config
// (a generic JSON POST, WeCom and DingTalk group robots) so that alerts reach a person's phone
// (docs/alerts.md, Alerts / Webhooks). Everything runs asynchronously on the io_context it is
// given (the daemon's loop): notify() only queues, HTTP(S) happens with Boost.Beast (TLS peers
// verified against the system CAs plus the webhook's ca_file, and by host name), so a slow or
// hung endpoint never delays recording. Per endpoint: one message in flight, order kept, retries with back-off, at most
// `per_window` messages per window (the excess coalesced into one). Per alert: one Raised
// message per event, reminders with doubling back-off while open, one Resolved notice.
// With an outbox file, what is not yet delivered (and when each open alert's next reminder is
// due) survives a restart: written atomically whenever it changes, reloaded by the first
// configure(), delivered in order; a notice older than 24 h is dropped, one older than 10 min
// says it comes late. Delivery is at least once (docs/alerts.md, Webhooks / Restarts).
// Use from the io_context's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "alerts/alerts.hpp"
#include "alerts/delivery.hpp"
#include "alerts/outbox.hpp"
#include "alerts/render.hpp"
#include "base/time.hpp"
#include "config/config.hpp"

namespace carekeep::alerts {

struct WebhookTiming {
  std::chrono::milliseconds reminder_first = std::chrono::minutes(10);
  std::chrono::milliseconds reminder_max = std::chrono::hours(6);
  std::chrono::milliseconds retry_first = std::chrono::seconds(5);
  std::chrono::milliseconds retry_max = std::chrono::minutes(5);
  std::chrono::milliseconds timeout = std::chrono::seconds(10);  // one whole HTTP exchange
  std::chrono::milliseconds window = std::chrono::minutes(1);
  int per_window = 6;
};

// DingTalk's signature for a timestamp in ms: base64(HMAC-SHA256(secret, ts "\n" secret)),
// URL-encoded, ready for &sign=.
std::string dingtalk_sign(std::string_view secret, std::int64_t timestamp_ms);
// The URL to POST to: the configured one, plus &timestamp=&sign= for a signed DingTalk robot.
std::string target_url(const config::Webhook& hook, std::int64_t timestamp_ms);
// A webhook URL as logs may show it: scheme and host only, since path and query usually hold
// the robot's key ("http://example.com:8080/***").
std::string redact_webhook_url(std::string_view url);
// Where the daemon keeps undelivered notices: webhook-outbox.json beside the index.
std::filesystem::path webhook_outbox_path(const config::Config& config);

class WebhookNotifier {
 public:
  struct EndpointStats {
    std::string shown_url;
    std::uint64_t requests = 0;   // HTTP attempts
    std::uint64_t delivered = 0;  // notices acknowledged with 2xx (coalesced ones counted singly)
    std::uint64_t failures = 0;   // attempts that failed (refused, non-2xx, timeout)
    std::size_t queued = 0;
  };

  // `outbox`: the file of undelivered notices (webhook_outbox_path); empty: kept in memory only.
  WebhookNotifier(boost::asio::io_context& io, const Clock& clock, WebhookTiming timing = {},
                  std::filesystem::path outbox = {});
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Replaces the endpoints (config reload); an endpoint configured identically keeps its queue,
  // an edited one (same URL, other settings) gets the old queue, a removed one's queue is
  // dropped and logged. The first call reloads the outbox file for the endpoints configured.
  void configure(const config::Config& config);
  // An AlertCenter listener. Returns at once: sending happens later on the io_context.
  void notify(const Change& change);
  // Alerts open before this process started (AlertCenter::open() at start): no new Raised
  // message, but reminders while they stay open and a resolved notice when they clear. The
  // next reminder comes when the outbox says it is due (never sooner than reminder_first).
  void adopt(const std::vector<Alert>& open);
  // Queues the signed daily digest (export/digest.hpp, as JSON) for every endpoint, whatever its
  // min_severity: one short line in the webhook's language plus the digest itself, through the
  // same queue, retries and outbox as alerts. `seq` is the digest's number.
  void send_digest(std::int64_t seq, std::string digest);
  // Queues the daily summary (report/summary.hpp) number `seq` the same way: `figures` its JSON
  // (sent as "summary" in the json format), `text` its message by language ("zh", "en").
  void send_summary(std::int64_t seq, std::string figures, std::map<std::string, std::string> text);
  // Cancels timers and requests in flight (a cancelled message stays queued) and writes the
  // outbox; what is queued is sent by the next process.
  void stop();
  std::vector<EndpointStats> stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace carekeep::alerts
