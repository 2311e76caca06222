// daemon/webhook: carries AlertCenter changes to the [[alerts.webhook]] endpoints of the config
// (a generic JSON POST, WeCom and DingTalk group robots) so that alerts reach a person's phone
// (docs/design.md, Alerts / Webhooks). Everything runs asynchronously on the io_context it is
// given (the daemon's loop): notify() only queues, HTTP(S) happens with Boost.Beast (TLS peers
// verified against the system CAs plus the webhook's ca_file, and by host name), so a slow or
// hung endpoint never delays recording. Per endpoint: one message in flight, order kept, retries with back-off, at most
// `per_window` messages per window (the excess coalesced into one). Per alert: one Raised
// message per event, reminders with doubling back-off while open, one Resolved notice.
// Use from the io_context's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "alerts/alerts.hpp"
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

// One thing to tell a person about an alert.
struct Notice {
  enum class Kind { Raised, Reminder, Resolved } kind = Kind::Raised;
  Alert alert;
  UtcTime at;  // when the notice was made (reminders say how long the alert has been open)
};

// What the messages need from the config: names instead of ids.
struct WebhookSite {
  std::string name;
  std::map<std::string, std::string> subject_names;  // camera and zone id -> display name
};
WebhookSite webhook_site(const config::Config& config);

// One short, actionable line in `language` ("zh" | "en"), e.g.
// "午睡室摄像头离线 3 分钟：请检查电源和网线".
std::string render_line(const Notice& notice, const WebhookSite& site, std::string_view language);
// The HTTP body for `hook` carrying `notices` (more than one when coalesced).
std::string render_body(const config::Webhook& hook, const std::vector<Notice>& notices, const WebhookSite& site);
// DingTalk's signature for a timestamp in ms: base64(HMAC-SHA256(secret, ts "\n" secret)),
// URL-encoded, ready for &sign=.
std::string dingtalk_sign(std::string_view secret, std::int64_t timestamp_ms);
// The URL to POST to: the configured one, plus &timestamp=&sign= for a signed DingTalk robot.
std::string target_url(const config::Webhook& hook, std::int64_t timestamp_ms);
// A webhook URL as logs may show it: scheme and host only, since path and query usually hold
// the robot's key ("http://example.com:8080/***").
std::string redact_webhook_url(std::string_view url);

class WebhookNotifier {
 public:
  struct EndpointStats {
    std::string shown_url;
    std::uint64_t requests = 0;   // HTTP attempts
    std::uint64_t delivered = 0;  // notices acknowledged with 2xx (coalesced ones counted singly)
    std::uint64_t failures = 0;   // attempts that failed (refused, non-2xx, timeout)
    std::size_t queued = 0;
  };

  WebhookNotifier(boost::asio::io_context& io, const Clock& clock, WebhookTiming timing = {});
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Replaces the endpoints (config reload); an endpoint configured identically keeps its queue.
  void configure(const config::Config& config);
  // An AlertCenter listener. Returns at once: sending happens later on the io_context.
  void notify(const Change& change);
  // Alerts open before this process started (AlertCenter::open() at start): no new Raised
  // message, but reminders while they stay open and a resolved notice when they clear.
  void adopt(const std::vector<Alert>& open);
  // Cancels timers and requests in flight; queued messages are dropped.
  void stop();
  std::vector<EndpointStats> stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace carekeep::alerts
