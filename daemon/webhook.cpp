#include "webhook.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "base/log.hpp"
#include "base/text.hpp"

namespace carekeep::alerts {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Steady = std::chrono::steady_clock;

namespace {

struct Phrase {
  std::string title;   // what is wrong
  std::string action;  // what to do; empty when the alert's own message says it best
};

Phrase phrase(const Alert& alert, const WebhookSite& site, bool zh) {
  std::string name = alert.subject;
  if (auto it = site.subject_names.find(alert.subject); it != site.subject_names.end()) name = it->second;
  const std::string& k = alert.kind;
  if (zh) {
    if (k == kCameraDown) return {name + "摄像头离线", "请检查电源和网线"};
    if (k == kZoneUncovered) return {name + "在托育时间无画面", "请检查该区域的摄像头"};
    if (k == kContentFault) return {name + "摄像头画面异常（黑屏、冻结或遮挡）", "请检查镜头是否被遮挡"};
    if (k == kDiskLow) return {"存储空间不足", "请更换更大的硬盘或减少保存天数"};
    if (k == kDiskFull) return {"硬盘已满，录像可能中断", "请立即检查硬盘"};
    if (k == kDiskReadonly) return {"硬盘变为只读，无法录像", "请检查硬盘后重启设备"};
    if (k == kDiskError) return {"硬盘读写出错", "请检查硬盘连接"};
    if (k == kDiskSmartFailing) return {"硬盘即将损坏（SMART 报告故障）", "请尽快备份录像并更换硬盘"};
    if (k == kDiskSmartWarning) return {"硬盘出现坏道或老化迹象（SMART）", "请留意并计划更换硬盘"};
    if (k == kDiskSmartUnavailable) return {"无法读取硬盘健康状态（SMART）", "请检查硬盘连接和每小时的健康检查"};
    if (k == kClockUntrusted) return {"设备时间不可信", "请检查网络时间同步（NTP）"};
    if (k == kCapacityShort) return {"硬盘容量不够保存规定天数的录像", "请更换更大的硬盘"};
  } else {
    if (k == kCameraDown) return {"Camera " + name + " offline", "check its power and network cable"};
    if (k == kZoneUncovered) return {name + " not covered by any camera during care hours", "check the cameras of this zone"};
    if (k == kContentFault) return {"Camera " + name + " shows a black, frozen or covered picture", "check the lens"};
    if (k == kDiskLow) return {"Storage running low", "fit a larger disk or lower care_days"};
    if (k == kDiskFull) return {"Disk full, recording may stop", "check the disk now"};
    if (k == kDiskReadonly) return {"Disk turned read-only, not recording", "check the disk and restart the box"};
    if (k == kDiskError) return {"Disk I/O errors", "check the disk's connection"};
    if (k == kDiskSmartFailing) return {"Footage disk failing (SMART)", "copy the footage and replace the disk soon"};
    if (k == kDiskSmartWarning) return {"Footage disk shows damage or wear (SMART)", "plan to replace the disk"};
    if (k == kDiskSmartUnavailable) return {"Footage disk health (SMART) cannot be read", "check the disk and the hourly check"};
    if (k == kClockUntrusted) return {"Clock not trustworthy", "check time synchronisation (NTP)"};
    if (k == kCapacityShort) return {"Disk too small for the required care days", "fit a larger disk"};
  }
  return {alert.message.empty() ? alert.kind + " " + name : alert.message, ""};
}

std::string span_text(std::chrono::minutes span, bool zh) {
  auto h = span.count() / 60;
  auto m = span.count() % 60;
  std::string out;
  if (h > 0) out += std::to_string(h) + (zh ? " 小时" : " h");
  if (m > 0 || h == 0) out += (out.empty() ? "" : " ") + std::to_string(m) + (zh ? " 分钟" : " min");
  return out;
}

std::string_view event_name(Notice::Kind kind) {
  switch (kind) {
    case Notice::Kind::Raised: return "raised";
    case Notice::Kind::Reminder: return "reminder";
    case Notice::Kind::Resolved: return "resolved";
  }
  return "raised";
}

nlohmann::json notice_json(const Notice& n, const WebhookSite& site, std::string_view language) {
  return {{"event", event_name(n.kind)},
          {"kind", n.alert.kind},
          {"subject", n.alert.subject},
          {"severity", to_string(n.alert.severity)},
          {"message", render_line(n, site, language)},
          {"raised", format_utc_iso(n.alert.raised)},
          {"resolved", n.alert.resolved ? nlohmann::json(format_utc_iso(*n.alert.resolved)) : nlohmann::json()},
          {"site", site.name}};
}

std::string percent_encode(std::string_view in) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct Url {
  bool tls = false;
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

std::optional<Url> parse_http_url(std::string_view url) {
  Url out;
  if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
  } else if (url.substr(0, 8) == "https://") {
    url.remove_prefix(8);
    out.tls = true;
    out.port = "443";
  } else {
    return std::nullopt;
  }
  std::size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (slash != std::string_view::npos) {
    out.target = std::string(url.substr(slash));
    if (out.target.front() == '?') out.target.insert(0, "/");
  }
  std::size_t colon = authority.rfind(':');
  std::size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 1 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty()) return std::nullopt;
  out.host = std::string(authority);
  return out;
}

// One POST. Finishes exactly once, through `done`, within `timeout`.
class Request : public std::enable_shared_from_this<Request> {
 public:
  using Done = std::function<void(bool ok, std::string error)>;
  // `robot`: WeCom and DingTalk answer 200 even when they refuse a message (bad key or
  // signature, their own rate limit) and say so in {"errcode": n, "errmsg": ...}.
  // `tls_context`: required for an https:// URL (the peer is verified against it and its name).
  Request(asio::io_context& io, Url url, std::string body, bool robot, asio::ssl::context* tls_context, Done done)
      : resolver_(io), deadline_(io), url_(std::move(url)), robot_(robot), done_(std::move(done)) {
    if (url_.tls && tls_context != nullptr) {
      tls_.emplace(io, *tls_context);
    } else {
      plain_.emplace(io);
    }
    req_.method(http::verb::post);
    req_.target(url_.target);
    req_.version(11);
    req_.set(http::field::host, url_.host);
    req_.set(http::field::user_agent, "carekeep");
    req_.set(http::field::content_type, "application/json; charset=utf-8");
    req_.set(http::field::connection, "close");
    req_.body() = std::move(body);
    req_.prepare_payload();
  }

  void start(std::chrono::milliseconds timeout) {
    auto self = shared_from_this();
    deadline_.expires_after(timeout);
    deadline_.async_wait([self](beast::error_code ec) {
      if (!ec) self->fail("timed out");
    });
    resolver_.async_resolve(url_.host, url_.port, [self](beast::error_code ec, tcp::resolver::results_type results) {
      if (ec) return self->fail("cannot resolve host: " + ec.message());
      self->lowest().async_connect(results, [self](beast::error_code ec2, const tcp::endpoint&) {
        if (ec2) return self->fail("cannot connect: " + ec2.message());
        if (!self->tls_) return self->exchange(*self->plain_);
        SSL_set_tlsext_host_name(self->tls_->native_handle(), self->url_.host.c_str());
        self->tls_->set_verify_mode(asio::ssl::verify_peer);
        self->tls_->set_verify_callback(asio::ssl::host_name_verification(self->url_.host));
        self->tls_->async_handshake(asio::ssl::stream_base::client, [self](beast::error_code ec3) {
          if (ec3) return self->fail("TLS handshake failed: " + ec3.message());
          self->exchange(*self->tls_);
        });
      });
    });
  }

  void cancel() { fail("cancelled"); }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  template <class Stream>
  void exchange(Stream& stream) {
    auto self = shared_from_this();
    http::async_write(stream, req_, [self, &stream](beast::error_code ec3, std::size_t) {
      if (ec3) return self->fail("cannot send: " + ec3.message());
      http::async_read(stream, self->buffer_, self->res_, [self](beast::error_code ec4, std::size_t) {
        if (ec4) return self->fail("no answer: " + ec4.message());
        unsigned status = self->res_.result_int();
        if (status < 200 || status > 299) return self->fail("answered HTTP " + std::to_string(status));
        if (self->robot_) {
          auto answer = nlohmann::json::parse(self->res_.body(), nullptr, false);
          if (answer.is_object() && answer.contains("errcode") && answer["errcode"] != 0) {
            return self->fail("robot refused: errcode " + answer["errcode"].dump() + " " +
                              answer.value("errmsg", std::string()));
          }
        }
        self->finish(true, {});
      });
    });
  }

  void fail(std::string error) { finish(false, std::move(error)); }
  void finish(bool ok, std::string error) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    auto done = std::move(done_);
    done(ok, std::move(error));
  }

  tcp::resolver resolver_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  asio::steady_timer deadline_;
  Url url_;
  bool robot_ = false;
  Done done_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  beast::flat_buffer buffer_;
  bool finished_ = false;
};

}  // namespace

WebhookSite webhook_site(const config::Config& config) {
  WebhookSite site;
  site.name = config.site.name;
  for (const auto& camera : config.cameras) site.subject_names[camera.id] = camera.name.empty() ? camera.id : camera.name;
  for (const auto& zone : config.zones) site.subject_names[zone.id] = zone.name.empty() ? zone.id : zone.name;
  return site;
}

std::string render_line(const Notice& notice, const WebhookSite& site, std::string_view language) {
  bool zh = language == "zh";
  Phrase p = phrase(notice.alert, site, zh);
  auto open_for = std::chrono::duration_cast<std::chrono::minutes>(
      (notice.alert.resolved ? *notice.alert.resolved : notice.at) - notice.alert.raised);
  std::string span = open_for.count() > 0 ? span_text(open_for, zh) : "";
  std::string sep = zh ? "：" : ": ";
  switch (notice.kind) {
    case Notice::Kind::Raised:
      return p.title + (span.empty() ? "" : " " + span) + (p.action.empty() ? "" : sep + p.action);
    case Notice::Kind::Reminder:
      return (zh ? "仍未解决：" : "Still open: ") + p.title + (zh ? "，已持续 " : " for ") +
             (span.empty() ? span_text(std::chrono::minutes(1), zh) : span) + (p.action.empty() ? "" : sep + p.action);
    case Notice::Kind::Resolved:
      return (zh ? "已恢复：" : "Resolved: ") + p.title +
             (span.empty() ? "" : (zh ? "（持续 " + span + "）" : " (lasted " + span + ")"));
  }
  return p.title;
}

std::string render_body(const config::Webhook& hook, const std::vector<Notice>& notices, const WebhookSite& site) {
  std::string lines;
  for (const auto& n : notices) {
    if (!lines.empty()) lines += "\n";
    lines += render_line(n, site, hook.language);
  }
  nlohmann::json body;
  switch (hook.format) {
    case config::WebhookFormat::Json:
      if (notices.size() == 1) {
        body = notice_json(notices.front(), site, hook.language);
      } else {
        body = {{"event", "coalesced"}, {"site", site.name}, {"message", lines}, {"notices", nlohmann::json::array()}};
        for (const auto& n : notices) body["notices"].push_back(notice_json(n, site, hook.language));
      }
      break;
    case config::WebhookFormat::WeCom:
      body = {{"msgtype", "markdown"}, {"markdown", {{"content", "**" + site.name + "**\n" + lines}}}};
      break;
    case config::WebhookFormat::DingTalk:
      body = {{"msgtype", "text"}, {"text", {{"content", "【" + site.name + "】" + lines}}}};
      break;
  }
  return body.dump();
}

std::string dingtalk_sign(std::string_view secret, std::int64_t timestamp_ms) {
  std::string to_sign = std::to_string(timestamp_ms) + "\n" + std::string(secret);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size(), mac, &mac_len);
  std::string b64(4 * ((mac_len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(mac_len));
  b64.resize(static_cast<std::size_t>(n));
  return percent_encode(b64);
}

std::string target_url(const config::Webhook& hook, std::int64_t timestamp_ms) {
  if (hook.format != config::WebhookFormat::DingTalk || hook.secret.empty()) return hook.url;
  return hook.url + (hook.url.find('?') == std::string::npos ? "?" : "&") + "timestamp=" +
         std::to_string(timestamp_ms) + "&sign=" + dingtalk_sign(hook.secret, timestamp_ms);
}

std::string redact_webhook_url(std::string_view url) {
  std::string shown = text::redact_url(url);
  std::size_t scheme = shown.find("://");
  std::size_t begin = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t at = shown.find('@', begin);
  std::size_t path = shown.find_first_of("/?#", begin);
  if (at != std::string::npos && (path == std::string::npos || at < path)) {
    shown = shown.substr(0, begin) + "***" + shown.substr(at);
    path = shown.find_first_of("/?#", begin);
  }
  if (path == std::string::npos) return shown;
  return shown.substr(0, path) + "/***";
}

// ---- the notifier ----

namespace {

bool same_hook(const config::Webhook& a, const config::Webhook& b) {
  return a.url == b.url && a.format == b.format && a.secret == b.secret && a.min_severity == b.min_severity &&
         a.language == b.language && a.ca_file == b.ca_file;
}

}  // namespace

struct WebhookEndpoint : std::enable_shared_from_this<WebhookEndpoint> {
  WebhookEndpoint(asio::io_context& io_in, const Clock& clock_in, const WebhookTiming& timing_in,
                  config::Webhook hook_in, std::shared_ptr<const WebhookSite> site_in)
      : io(io_in), clock(clock_in), timing(timing_in), hook(std::move(hook_in)), site(std::move(site_in)),
        wait(io_in), retry_delay(timing_in.retry_first) {
    stats.shown_url = redact_webhook_url(hook.url);
    min_severity = parse_severity(hook.min_severity).value_or(Severity::Info);
    if (hook.url.rfind("https://", 0) == 0) {
      tls_context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      beast::error_code ec;
      tls_context->set_default_verify_paths(ec);
      if (!ec && !hook.ca_file.empty()) tls_context->load_verify_file(hook.ca_file.string(), ec);
      if (ec) log::error("webhook_tls_setup_failed", {{"webhook", stats.shown_url}, {"error", ec.message()}});
    }
  }

  void push(Notice notice) {
    if (stopped || notice.alert.severity < min_severity) return;
    // A dead endpoint must not grow memory without bound; reminders are the least loss.
    if (queue.size() >= kMaxQueue) {
      log::warn("webhook_queue_full", {{"webhook", stats.shown_url}, {"dropped", std::string(event_name(queue.front().kind))}});
      queue.pop_front();
    }
    queue.push_back(std::move(notice));
    pump();
  }

  void pump() {
    if (busy || stopped || queue.empty()) return;
    auto now = Steady::now();
    while (!sent.empty() && now - sent.front() >= timing.window) sent.pop_front();
    if (static_cast<int>(sent.size()) >= timing.per_window) {
      wait_until(sent.front() + timing.window);
      return;
    }
    // The window's last slot takes everything queued, so that a burst arrives as one message.
    std::size_t count = (timing.per_window - static_cast<int>(sent.size()) <= 1) ? queue.size() : 1;
    std::vector<Notice> batch(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count));
    auto parsed = parse_http_url(hook.url);
    if (!parsed) {  // the config loader refuses such URLs; never spin on one
      log::error("webhook_bad_url", {{"webhook", stats.shown_url}});
      queue.clear();
      return;
    }
    std::string target = target_url(hook, std::chrono::duration_cast<std::chrono::milliseconds>(
                                               clock.now().time_since_epoch()).count());
    if (auto full = parse_http_url(target)) parsed->target = full->target;
    busy = true;
    sent.push_back(now);
    ++stats.requests;
    std::weak_ptr<WebhookEndpoint> weak = weak_from_this();
    in_flight = std::make_shared<Request>(io, *parsed, render_body(hook, batch, *site),
                                          hook.format != config::WebhookFormat::Json, tls_context.get(),
                                          [weak, count](bool ok, std::string error) {
                                            if (auto self = weak.lock()) self->finished(ok, count, error);
                                          });
    in_flight->start(timing.timeout);
  }

  void finished(bool ok, std::size_t count, const std::string& error) {
    in_flight.reset();
    if (stopped) return;
    if (ok) {
      count = std::min(count, queue.size());
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count));
      stats.delivered += count;
      retry_delay = timing.retry_first;
      busy = false;
      pump();
      return;
    }
    ++stats.failures;
    log::warn("webhook_failed", {{"webhook", stats.shown_url},
                                 {"error", error},
                                 {"retry_in_ms", std::to_string(retry_delay.count())},
                                 {"queued", std::to_string(queue.size())}});
    auto delay = retry_delay;
    retry_delay = std::min(retry_delay * 2, timing.retry_max);
    wait_until(Steady::now() + delay);
  }

  void wait_until(Steady::time_point when) {
    busy = true;
    wait.expires_at(when);
    std::weak_ptr<WebhookEndpoint> weak = weak_from_this();
    wait.async_wait([weak](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->busy = false;
      self->pump();
    });
  }

  void stop() {
    stopped = true;
    wait.cancel();
    if (auto request = in_flight) request->cancel();  // a local owner: cancel() ends in finished()
    queue.clear();
  }

  static constexpr std::size_t kMaxQueue = 200;
  asio::io_context& io;
  const Clock& clock;
  WebhookTiming timing;
  config::Webhook hook;
  std::shared_ptr<const WebhookSite> site;
  std::shared_ptr<asio::ssl::context> tls_context;  // https:// only
  Severity min_severity = Severity::Info;
  asio::steady_timer wait;
  std::chrono::milliseconds retry_delay;
  std::deque<Notice> queue;
  std::deque<Steady::time_point> sent;  // request starts inside the rate window
  std::shared_ptr<Request> in_flight;
  bool busy = false;
  bool stopped = false;
  WebhookNotifier::EndpointStats stats;
};

struct WebhookNotifier::Impl : std::enable_shared_from_this<WebhookNotifier::Impl> {
  struct Open {
    Alert alert;
    std::chrono::milliseconds next_reminder;
    std::shared_ptr<asio::steady_timer> timer;
  };

  Impl(asio::io_context& io_in, const Clock& clock_in, WebhookTiming timing_in)
      : io(io_in), clock(clock_in), timing(timing_in) {}

  void broadcast(const Notice& notice) {
    for (auto& endpoint : endpoints) endpoint->push(notice);
  }

  void schedule_reminder(const std::pair<std::string, std::string>& key, Open& entry) {
    entry.timer = std::make_shared<asio::steady_timer>(io);
    entry.timer->expires_after(entry.next_reminder);
    std::weak_ptr<Impl> weak = weak_from_this();
    std::int64_t id = entry.alert.id;
    entry.timer->async_wait([weak, key, id](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      auto it = self->open.find(key);
      if (it == self->open.end() || it->second.alert.id != id) return;
      self->broadcast(Notice{Notice::Kind::Reminder, it->second.alert, self->clock.now()});
      it->second.next_reminder = std::min(it->second.next_reminder * 2, self->timing.reminder_max);
      self->schedule_reminder(key, it->second);
    });
  }

  void notify(const Change& change) {
    if (stopped) return;  // alerts resolved during shutdown must not start new timers
    auto key = std::make_pair(change.alert.kind, change.alert.subject);
    auto it = open.find(key);
    if (change.type == Change::Type::Raised) {
      if (it != open.end() && it->second.alert.id == change.alert.id && it->second.alert.severity == change.alert.severity) {
        return;  // the same event again: already told
      }
      if (it != open.end() && it->second.timer) it->second.timer->cancel();
      Open& entry = open[key];
      entry.alert = change.alert;
      entry.next_reminder = timing.reminder_first;
      broadcast(Notice{Notice::Kind::Raised, change.alert, clock.now()});
      schedule_reminder(key, entry);
      return;
    }
    if (it != open.end()) {
      if (it->second.timer) it->second.timer->cancel();
      open.erase(it);
    } else if (resolved_ids.count(change.alert.id) != 0) {
      return;  // this resolution was told already
    }
    // An alert adopted from an earlier run was never announced by this process, but its
    // resolution is still news to the person who got the earlier message.
    if (resolved_ids.size() > 1000) resolved_ids.clear();
    resolved_ids.insert(change.alert.id);
    broadcast(Notice{Notice::Kind::Resolved, change.alert, clock.now()});
  }

  void adopt(const std::vector<Alert>& alerts) {
    if (stopped) return;
    for (const auto& alert : alerts) {
      auto key = std::make_pair(alert.kind, alert.subject);
      if (open.count(key) != 0) continue;
      Open& entry = open[key];
      entry.alert = alert;
      entry.next_reminder = timing.reminder_first;
      schedule_reminder(key, entry);
    }
  }

  void configure(const config::Config& config) {
    if (stopped) return;
    auto next_site = std::make_shared<const WebhookSite>(webhook_site(config));
    std::vector<std::shared_ptr<WebhookEndpoint>> next;
    std::vector<std::shared_ptr<WebhookEndpoint>> old = std::move(endpoints);
    for (const auto& hook : config.alerts.webhooks) {
      auto same = std::find_if(old.begin(), old.end(), [&](const auto& e) { return e && same_hook(e->hook, hook); });
      if (same != old.end()) {
        (*same)->site = next_site;
        next.push_back(std::move(*same));
      } else {
        next.push_back(std::make_shared<WebhookEndpoint>(io, clock, timing, hook, next_site));
      }
    }
    for (auto& e : old) {
      if (e) e->stop();
    }
    endpoints = std::move(next);
    site = next_site;
  }

  void stop() {
    stopped = true;
    for (auto& e : endpoints) e->stop();
    for (auto& [key, entry] : open) {
      if (entry.timer) entry.timer->cancel();
    }
    open.clear();
  }

  asio::io_context& io;
  const Clock& clock;
  WebhookTiming timing;
  std::shared_ptr<const WebhookSite> site;
  std::vector<std::shared_ptr<WebhookEndpoint>> endpoints;
  std::map<std::pair<std::string, std::string>, Open> open;
  std::set<std::int64_t> resolved_ids;
  bool stopped = false;
};

WebhookNotifier::WebhookNotifier(asio::io_context& io, const Clock& clock, WebhookTiming timing)
    : impl_(std::make_shared<Impl>(io, clock, timing)) {}

WebhookNotifier::~WebhookNotifier() { impl_->stop(); }

void WebhookNotifier::configure(const config::Config& config) { impl_->configure(config); }
void WebhookNotifier::notify(const Change& change) { impl_->notify(change); }
void WebhookNotifier::adopt(const std::vector<Alert>& open) { impl_->adopt(open); }
void WebhookNotifier::stop() { impl_->stop(); }

std::vector<WebhookNotifier::EndpointStats> WebhookNotifier::stats() const {
  std::vector<EndpointStats> out;
  for (const auto& e : impl_->endpoints) {
    out.push_back(e->stats);
    out.back().queued = e->queue.size();
  }
  return out;
}

}  // namespace carekeep::alerts
