#include "webhook.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "base/fs.hpp"
#include "base/sha256.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "export/digest.hpp"

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
    if (k == kCameraOffline) return {name + "摄像头离线", "请检查电源和网线"};
    if (k == kZoneUncovered) return {name + "在托育时间无画面", "请检查该区域的摄像头"};
    if (k == kContentFault) return {name + "摄像头画面异常（黑屏、冻结或遮挡）", "请检查镜头是否被遮挡"};
    if (k == kDiskLow) return {"存储空间不足", "请更换更大的硬盘或减少保存天数"};
    if (k == kDiskFull) return {"硬盘已满，录像可能中断", "请立即检查硬盘"};
    if (k == kDiskReadonly) return {"硬盘变为只读，无法录像", "请检查硬盘后重启设备"};
    if (k == kDiskError) return {"硬盘读写出错", "请检查硬盘连接"};
    if (k == kStorageNotWritable) return {"录像目录无法写入，无法录像", "请运行 carekeep doctor 查看修复步骤"};
    if (k == kDiskSmartFailing) return {"硬盘即将损坏（SMART 报告故障）", "请尽快备份录像并更换硬盘"};
    if (k == kDiskSmartWarning) return {"硬盘出现坏道或老化迹象（SMART）", "请留意并计划更换硬盘"};
    if (k == kDiskSmartUnavailable) return {"无法读取硬盘健康状态（SMART）", "请检查硬盘连接和每小时的健康检查"};
    if (k == kClockUntrusted) return {"设备时间不可信", "请检查网络时间同步（NTP）"};
    if (k == kCapacityShort) return {"硬盘容量不够保存规定天数的录像", "请更换更大的硬盘"};
    if (k == kFootageMissing) return {name + "摄像头受保护的托育录像文件丢失", "录像在保存期内被删除，请立即查明原因"};
  } else {
    if (k == kCameraOffline) return {"Camera " + name + " offline", "check its power and network cable"};
    if (k == kZoneUncovered) return {name + " not covered by any camera during care hours", "check the cameras of this zone"};
    if (k == kContentFault) return {"Camera " + name + " shows a black, frozen or covered picture", "check the lens"};
    if (k == kDiskLow) return {"Storage running low", "fit a larger disk or lower care_days"};
    if (k == kDiskFull) return {"Disk full, recording may stop", "check the disk now"};
    if (k == kDiskReadonly) return {"Disk turned read-only, not recording", "check the disk and restart the box"};
    if (k == kDiskError) return {"Disk I/O errors", "check the disk's connection"};
    if (k == kStorageNotWritable) return {"Footage folder not writable, not recording", "run carekeep doctor for the fix"};
    if (k == kDiskSmartFailing) return {"Footage disk failing (SMART)", "copy the footage and replace the disk soon"};
    if (k == kDiskSmartWarning) return {"Footage disk shows damage or wear (SMART)", "plan to replace the disk"};
    if (k == kDiskSmartUnavailable) return {"Footage disk health (SMART) cannot be read", "check the disk and the hourly check"};
    if (k == kClockUntrusted) return {"Clock not trustworthy", "check time synchronisation (NTP)"};
    if (k == kCapacityShort) return {"Disk too small for the required care days", "fit a larger disk"};
    if (k == kFootageMissing) return {"Protected care footage of camera " + name + " is gone", "find out who removed it: it had to be kept"};
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

// How late `n` goes out at `now`: zero when on time (or `now` unset).
std::chrono::minutes lateness(const Notice& n, UtcTime now) {
  if (now == UtcTime{} || now - n.at < kLateAfter) return std::chrono::minutes(0);
  return std::chrono::duration_cast<std::chrono::minutes>(now - n.at);
}

nlohmann::json notice_json(const Notice& n, const WebhookSite& site, std::string_view language, UtcTime now) {
  auto late = lateness(n, now);
  if (n.kind == Notice::Kind::Digest) {
    return {{"event", "digest"},
            {"message", render_line(n, site, language, late)},
            {"site", site.name},
            {"id", n.id},
            {"at", format_utc_iso(n.at)},
            {"late", late.count() > 0},
            {"digest", nlohmann::json::parse(n.digest, nullptr, false)}};
  }
  return {{"event", to_string(n.kind)},
          {"kind", n.alert.kind},
          {"subject", n.alert.subject},
          {"severity", to_string(n.alert.severity)},
          {"message", render_line(n, site, language, late)},
          {"raised", format_utc_iso(n.alert.raised)},
          {"resolved", n.alert.resolved ? nlohmann::json(format_utc_iso(*n.alert.resolved)) : nlohmann::json()},
          {"site", site.name},
          {"id", n.id},
          {"at", format_utc_iso(n.at)},
          {"late", late.count() > 0}};
}

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256_of(data));
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

namespace {

// "每日证据摘要 第 3 号：2 个摄像头链，访问日志 41 条；请保留此消息以备核查（carekeep verify --digest）"
std::string render_digest(const Notice& notice, bool zh) {
  auto digest = exports::digest_from_json(notice.digest);
  if (!digest) return zh ? "每日证据摘要（无法读取）" : "Daily evidence digest (unreadable)";
  auto n = std::to_string(digest->seq);
  auto cameras = std::to_string(digest->cameras.size());
  auto rows = std::to_string(digest->access_log.length);
  if (zh)
    return "每日证据摘要 第 " + n + " 号：" + cameras + " 个摄像头链，访问日志 " + rows +
           " 条；请保留此消息以备核查（carekeep verify --digest）";
  return "Daily evidence digest no. " + n + ": " + cameras + " camera chains, " + rows +
         " access log rows; keep this message for checks (carekeep verify --digest)";
}

std::string render_on_time(const Notice& notice, const WebhookSite& site, bool zh) {
  if (notice.kind == Notice::Kind::Digest) return render_digest(notice, zh);
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
    case Notice::Kind::Digest:
      break;  // rendered above
  }
  return p.title;
}

}  // namespace

std::string render_line(const Notice& notice, const WebhookSite& site, std::string_view language,
                        std::chrono::minutes late) {
  bool zh = language == "zh";
  std::string late_text;
  if (late.count() > 0) late_text = zh ? "（延迟 " + span_text(late, true) + " 送达）" : " (delivered " + span_text(late, false) + " late)";
  return render_on_time(notice, site, zh) + late_text;
}

std::string render_body(const config::Webhook& hook, const std::vector<Notice>& notices, const WebhookSite& site,
                        UtcTime now) {
  std::string lines;
  for (const auto& n : notices) {
    if (!lines.empty()) lines += "\n";
    lines += render_line(n, site, hook.language, lateness(n, now));
    // A robot shows text only: the digest goes along verbatim, so the message kept in the
    // group chat is the evidence itself.
    if (n.kind == Notice::Kind::Digest && hook.format != config::WebhookFormat::Json) lines += "\n" + n.digest;
  }
  nlohmann::json body;
  switch (hook.format) {
    case config::WebhookFormat::Json:
      if (notices.size() == 1) {
        body = notice_json(notices.front(), site, hook.language, now);
      } else {
        body = {{"event", "coalesced"}, {"site", site.name}, {"message", lines}, {"notices", nlohmann::json::array()}};
        for (const auto& n : notices) body["notices"].push_back(notice_json(n, site, hook.language, now));
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

std::filesystem::path webhook_outbox_path(const config::Config& config) {
  return config.site.database.parent_path() / "webhook-outbox.json";
}

namespace {

bool same_hook(const config::Webhook& a, const config::Webhook& b) {
  return a.url == b.url && a.format == b.format && a.secret == b.secret && a.min_severity == b.min_severity &&
         a.language == b.language && a.ca_file == b.ca_file;
}

// Names a webhook entry in the outbox file without writing its URL or secret there.
std::string hook_digest(const config::Webhook& h) {
  std::string identity;
  for (const std::string& part : {h.url, std::to_string(static_cast<int>(h.format)), h.secret, h.min_severity,
                                  h.language, h.ca_file.string()}) {
    identity += part;
    identity.push_back('\0');
  }
  return sha256_hex(identity);
}

}  // namespace

struct WebhookEndpoint : std::enable_shared_from_this<WebhookEndpoint> {
  WebhookEndpoint(asio::io_context& io_in, const Clock& clock_in, const WebhookTiming& timing_in,
                  config::Webhook hook_in, std::shared_ptr<const WebhookSite> site_in, std::function<void()> changed_in)
      : io(io_in), clock(clock_in), timing(timing_in), hook(std::move(hook_in)), site(std::move(site_in)),
        changed(std::move(changed_in)), wait(io_in), retry_delay(timing_in.retry_first) {
    stats.shown_url = redact_webhook_url(hook.url);
    key = hook_digest(hook);
    url_key = sha256_hex(hook.url);
    min_severity = parse_severity(hook.min_severity).value_or(Severity::Info);
    if (hook.url.rfind("https://", 0) == 0) {
      tls_context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      beast::error_code ec;
      tls_context->set_default_verify_paths(ec);
      if (!ec && !hook.ca_file.empty()) tls_context->load_verify_file(hook.ca_file.string(), ec);
      if (ec) log::error("webhook_tls_setup_failed", {{"webhook", stats.shown_url}, {"error", ec.message()}});
    }
  }

  // A digest is not an alert: every endpoint gets it, whatever its min_severity.
  bool wanted(const Notice& notice) const {
    return notice.kind == Notice::Kind::Digest || notice.alert.severity >= min_severity;
  }

  void push(Notice notice) {
    if (stopped || !wanted(notice)) return;
    enqueue(std::move(notice));
    changed();
    pump();
  }

  // Notices of an earlier process (the outbox) or of an edited entry, oldest first, ahead of
  // anything newer. Returns how many this endpoint takes (its min_severity may have changed).
  std::size_t take(std::vector<Notice> notices) {
    std::size_t taken = 0;
    for (auto& n : notices) {
      if (!wanted(n)) continue;
      enqueue(std::move(n));
      ++taken;
    }
    if (taken > 0) changed();
    pump();
    return taken;
  }

  void enqueue(Notice notice) {
    auto first_waiting = queue.begin() + static_cast<std::ptrdiff_t>(in_flight_count);
    // Only the newest reminder of an alert is news: an endpoint that is down for hours keeps
    // one per alert, not one per back-off step.
    if (notice.kind == Notice::Kind::Reminder) {
      auto older = std::find_if(first_waiting, queue.end(), [&](const Notice& q) {
        return q.kind == Notice::Kind::Reminder && q.alert.id == notice.alert.id;
      });
      if (older != queue.end()) {
        queue.erase(older);
        first_waiting = queue.begin() + static_cast<std::ptrdiff_t>(in_flight_count);  // erase moved it
      }
    }
    // A dead endpoint must not grow memory (or the outbox) without bound; the oldest waiting
    // notice is the least loss.
    if (queue.size() >= kMaxQueue && first_waiting != queue.end()) {
      log::warn("webhook_queue_full", {{"webhook", stats.shown_url}, {"dropped", std::string(to_string(first_waiting->kind))}});
      queue.erase(first_waiting);
    }
    queue.push_back(std::move(notice));
  }

  // Yesterday's news is not sent as if fresh: the person sees the current state in the
  // reminders of what is still open, and `carekeep alerts` has the history.
  void drop_expired() {
    auto now = clock.now();
    auto expired = [&](const Notice& n) { return now - n.at > kNoticeMaxAge; };
    auto oldest = std::find_if(queue.begin(), queue.end(), expired);
    if (oldest == queue.end()) return;
    std::string oldest_at = format_utc_iso(oldest->at);
    auto before = queue.size();
    queue.erase(std::remove_if(queue.begin(), queue.end(), expired), queue.end());
    log::warn("webhook_dropped", {{"webhook", stats.shown_url},
                                  {"notices", std::to_string(before - queue.size())},
                                  {"oldest", oldest_at},
                                  {"reason", "not delivered within 24 h of being made"}});
    changed();
  }

  void pump() {
    if (busy || stopped || queue.empty()) return;
    drop_expired();
    if (queue.empty()) return;
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
      changed();
      return;
    }
    std::string target = target_url(hook, std::chrono::duration_cast<std::chrono::milliseconds>(
                                               clock.now().time_since_epoch()).count());
    if (auto full = parse_http_url(target)) parsed->target = full->target;
    busy = true;
    in_flight_count = count;
    sent.push_back(now);
    ++stats.requests;
    std::weak_ptr<WebhookEndpoint> weak = weak_from_this();
    in_flight = std::make_shared<Request>(io, *parsed, render_body(hook, batch, *site, clock.now()),
                                          hook.format != config::WebhookFormat::Json, tls_context.get(),
                                          [weak, count](bool ok, std::string error) {
                                            if (auto self = weak.lock()) self->finished(ok, count, error);
                                          });
    in_flight->start(timing.timeout);
  }

  void finished(bool ok, std::size_t count, const std::string& error) {
    in_flight.reset();
    in_flight_count = 0;
    if (stopped) return;  // what was in flight stays queued (and in the outbox)
    if (ok) {
      count = std::min(count, queue.size());
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count));
      stats.delivered += count;
      retry_delay = timing.retry_first;
      busy = false;
      changed();
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

  // Timers and the request in flight end; the queue stays for the outbox (or a successor).
  void stop() {
    stopped = true;
    wait.cancel();
    if (auto request = in_flight) request->cancel();  // a local owner: cancel() ends in finished()
  }

  static constexpr std::size_t kMaxQueue = 200;
  asio::io_context& io;
  const Clock& clock;
  WebhookTiming timing;
  config::Webhook hook;
  std::shared_ptr<const WebhookSite> site;
  std::function<void()> changed;  // the queue changed: the outbox is due for a write
  std::string key;                // hook_digest: this entry in the outbox
  std::string url_key;            // digest of the URL alone
  std::shared_ptr<asio::ssl::context> tls_context;  // https:// only
  Severity min_severity = Severity::Info;
  asio::steady_timer wait;
  std::chrono::milliseconds retry_delay;
  std::deque<Notice> queue;
  std::size_t in_flight_count = 0;      // the queue's first notices, being sent
  std::deque<Steady::time_point> sent;  // request starts inside the rate window
  std::shared_ptr<Request> in_flight;
  bool busy = false;
  bool stopped = false;
  WebhookNotifier::EndpointStats stats;
};

struct WebhookNotifier::Impl : std::enable_shared_from_this<WebhookNotifier::Impl> {
  struct Open {
    Alert alert;
    std::chrono::milliseconds next_reminder;  // the wait before the next one
    UtcTime due;                              // when it comes (wall clock, for the outbox)
    std::shared_ptr<asio::steady_timer> timer;
  };

  Impl(asio::io_context& io_in, const Clock& clock_in, WebhookTiming timing_in, std::filesystem::path outbox)
      : io(io_in), clock(clock_in), timing(timing_in), outbox_path(std::move(outbox)),
        last_written(outbox_text(Outbox{})) {}

  Notice make(Notice::Kind kind, const Alert& alert) {
    Notice n{kind, alert, clock.now(), {}};
    n.id = make_notice_id(n);
    return n;
  }

  void broadcast(const Notice& notice) {
    for (auto& endpoint : endpoints) endpoint->push(notice);
  }

  void schedule_reminder(const std::pair<std::string, std::string>& key, Open& entry, std::chrono::milliseconds delay) {
    entry.timer = std::make_shared<asio::steady_timer>(io);
    entry.timer->expires_after(delay);
    entry.due = clock.now() + std::chrono::duration_cast<Micros>(delay);
    std::weak_ptr<Impl> weak = weak_from_this();
    std::int64_t id = entry.alert.id;
    entry.timer->async_wait([weak, key, id](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      auto it = self->open.find(key);
      if (it == self->open.end() || it->second.alert.id != id) return;
      self->broadcast(self->make(Notice::Kind::Reminder, it->second.alert));
      it->second.next_reminder = std::min(it->second.next_reminder * 2, self->timing.reminder_max);
      self->schedule_reminder(key, it->second, it->second.next_reminder);
      self->schedule_save();
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
      broadcast(make(Notice::Kind::Raised, change.alert));
      schedule_reminder(key, entry, entry.next_reminder);
      schedule_save();
      return;
    }
    // Told already: by this process, or by the previous one (its outbox held the notice; the
    // index may have lost the resolution in the batch a power cut interrupted).
    bool told = resolved_ids.count(change.alert.id) != 0;
    if (it != open.end()) {
      if (it->second.timer) it->second.timer->cancel();
      open.erase(it);
      schedule_save();
    }
    if (told) return;
    // An alert adopted from an earlier run was never announced by this process, but its
    // resolution is still news to the person who got the earlier message.
    if (resolved_ids.size() > 1000) resolved_ids.clear();
    resolved_ids.insert(change.alert.id);
    broadcast(make(Notice::Kind::Resolved, change.alert));
  }

  void send_digest(std::int64_t seq, std::string digest) {
    if (stopped) return;
    Alert about;
    about.id = seq;
    about.kind = "digest";
    about.severity = Severity::Info;
    about.raised = clock.now();
    about.last_seen = about.raised;
    Notice n{Notice::Kind::Digest, about, about.raised, {}, std::move(digest)};
    n.id = make_notice_id(n);
    broadcast(n);
    schedule_save();
  }

  void adopt(const std::vector<Alert>& alerts) {
    if (stopped) return;
    for (const auto& alert : alerts) {
      auto key = std::make_pair(alert.kind, alert.subject);
      if (open.count(key) != 0) continue;
      Open& entry = open[key];
      entry.alert = alert;
      entry.next_reminder = timing.reminder_first;
      auto delay = timing.reminder_first;
      // The previous process's schedule: neither a reminder again right after a restart nor
      // the back-off starting over at 10 min (the watchers get reminder_first to resolve it).
      if (auto saved = saved_reminders.find(alert.id); saved != saved_reminders.end()) {
        entry.next_reminder = std::clamp(saved->second.interval, timing.reminder_first, timing.reminder_max);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(saved->second.due - clock.now());
        delay = std::clamp(left, timing.reminder_first, entry.next_reminder);
        saved_reminders.erase(saved);
      }
      schedule_reminder(key, entry, delay);
    }
    schedule_save();
  }

  std::shared_ptr<WebhookEndpoint> make_endpoint(const config::Webhook& hook, std::shared_ptr<const WebhookSite> s) {
    std::weak_ptr<Impl> weak = weak_from_this();
    return std::make_shared<WebhookEndpoint>(io, clock, timing, hook, std::move(s), [weak] {
      if (auto self = weak.lock()) self->schedule_save();
    });
  }

  // The one endpoint an earlier queue belongs to: the same entry, else the only one with the
  // same URL (an edited secret, language or min_severity is still the same robot).
  template <class Range>
  static std::shared_ptr<WebhookEndpoint> owner(const Range& candidates, const std::string& key, const std::string& url_key) {
    std::shared_ptr<WebhookEndpoint> by_url;
    int same_url = 0;
    for (const auto& e : candidates) {
      if (!e) continue;
      if (e->key == key) return e;
      if (e->url_key == url_key) {
        by_url = e;
        ++same_url;
      }
    }
    return same_url == 1 ? by_url : nullptr;
  }

  void configure(const config::Config& config) {
    if (stopped) return;
    auto next_site = std::make_shared<const WebhookSite>(webhook_site(config));
    std::vector<std::shared_ptr<WebhookEndpoint>> next;
    std::vector<std::shared_ptr<WebhookEndpoint>> fresh;
    std::vector<std::shared_ptr<WebhookEndpoint>> old = std::move(endpoints);
    for (const auto& hook : config.alerts.webhooks) {
      auto same = std::find_if(old.begin(), old.end(), [&](const auto& e) { return e && same_hook(e->hook, hook); });
      if (same != old.end()) {
        (*same)->site = next_site;
        next.push_back(std::move(*same));
      } else {
        next.push_back(make_endpoint(hook, next_site));
        fresh.push_back(next.back());
      }
    }
    endpoints = std::move(next);
    site = next_site;
    for (auto& e : old) {
      if (!e) continue;
      e->stop();
      if (e->queue.empty()) continue;
      std::vector<Notice> left(e->queue.begin(), e->queue.end());
      if (auto heir = owner(fresh, e->key, e->url_key)) {
        heir->take(std::move(left));
      } else {
        log::warn("webhook_dropped", {{"webhook", e->stats.shown_url},
                                      {"notices", std::to_string(left.size())},
                                      {"reason", "this webhook was removed from the configuration"}});
      }
    }
    if (!restored) restore();
    schedule_save();
  }

  // The first configure(): what the previous process left undelivered.
  void restore() {
    restored = true;
    if (outbox_path.empty()) return;
    LoadedOutbox loaded = load_outbox(outbox_path, clock.now());
    // A file left in place (an empty outbox, or a corrupt one that could not be moved aside)
    // is replaced by the first write, even when nothing is queued.
    std::error_code ec;
    if (std::filesystem::exists(outbox_path, ec)) last_written.clear();
    if (loaded.outbox.queues.empty() && loaded.outbox.reminders.empty()) return;
    last_written.clear();  // rewrite it with what is left after the drops below
    for (const auto& r : loaded.outbox.reminders) saved_reminders[r.alert_id] = r;
    std::size_t taken = 0;
    for (auto& q : loaded.outbox.queues) {
      if (q.notices.empty()) continue;
      for (const auto& n : q.notices) {
        if (n.kind == Notice::Kind::Resolved) resolved_ids.insert(n.alert.id);
      }
      auto target = owner(endpoints, q.webhook, q.url);
      if (!target) {
        log::warn("webhook_dropped", {{"webhook", q.shown_url},
                                      {"notices", std::to_string(q.notices.size())},
                                      {"reason", "this webhook is no longer in the configuration"}});
        continue;
      }
      taken += target->take(std::move(q.notices));
    }
    log::info("webhook_outbox_restored", {{"file", outbox_path.string()},
                                          {"notices", std::to_string(taken)},
                                          {"of", std::to_string(loaded.outbox.notice_count())}});
  }

  void schedule_save() {
    if (outbox_path.empty() || save_posted || stopped) return;
    save_posted = true;  // one write for all the changes of one loop turn
    std::weak_ptr<Impl> weak = weak_from_this();
    asio::post(io, [weak] {
      auto self = weak.lock();
      if (!self) return;
      self->save_posted = false;
      if (!self->stopped) self->save();
    });
  }

  // Small and rare (a write per alert event and per delivery), but fsync'd on the loop
  // thread like the index's commits. A failure (state directory full or read-only) is logged
  // once and never stops delivery, which goes on from memory; the write at stop is the last
  // chance, so its failure is always logged when it loses queued messages.
  void save(bool last = false) {
    if (outbox_path.empty()) return;
    Outbox out;
    for (const auto& e : endpoints) {
      if (e->queue.empty()) continue;
      out.queues.push_back({e->key, e->url_key, e->stats.shown_url, {e->queue.begin(), e->queue.end()}});
    }
    if (!endpoints.empty()) {
      for (const auto& [key, entry] : open) out.reminders.push_back({entry.alert.id, entry.due, entry.next_reminder});
    }
    std::string text = outbox_text(out);
    if (text == last_written) return;
    if (auto st = fs::write_file_atomic(outbox_path, text); !st) {
      // At stop this is the last chance: its loss is always told.
      bool losing = last && out.notice_count() > 0;
      if (losing || !write_failing) {
        log::error("webhook_outbox_write_failed",
                   {{"file", outbox_path.string()},
                    {"error", st.error().message},
                    {"queued", std::to_string(out.notice_count())},
                    {"reason", losing ? "stopping: the queued messages are lost; the file keeps an older state that "
                                        "the next start sends (again)"
                                      : "delivery goes on from memory; until a write succeeds a restart would lose "
                                        "newer messages or send delivered ones again"}});
      }
      write_failing = true;
      return;
    }
    if (write_failing) log::info("webhook_outbox_written", {{"file", outbox_path.string()}});
    write_failing = false;
    last_written = std::move(text);
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    for (auto& e : endpoints) e->stop();
    save(true);  // what is still queued, for the next process
    for (auto& [key, entry] : open) {
      if (entry.timer) entry.timer->cancel();
    }
    open.clear();
  }

  asio::io_context& io;
  const Clock& clock;
  WebhookTiming timing;
  std::filesystem::path outbox_path;
  std::shared_ptr<const WebhookSite> site;
  std::vector<std::shared_ptr<WebhookEndpoint>> endpoints;
  std::map<std::pair<std::string, std::string>, Open> open;
  std::set<std::int64_t> resolved_ids;
  std::map<std::int64_t, OutboxReminder> saved_reminders;  // by alert id, until adopt()
  std::string last_written;  // the outbox's text on disk: an unchanged state is not rewritten
  bool restored = false;
  bool save_posted = false;
  bool write_failing = false;  // logged once until a write succeeds again
  bool stopped = false;
};

WebhookNotifier::WebhookNotifier(asio::io_context& io, const Clock& clock, WebhookTiming timing,
                                 std::filesystem::path outbox)
    : impl_(std::make_shared<Impl>(io, clock, timing, std::move(outbox))) {}

WebhookNotifier::~WebhookNotifier() { impl_->stop(); }

void WebhookNotifier::configure(const config::Config& config) { impl_->configure(config); }
void WebhookNotifier::notify(const Change& change) { impl_->notify(change); }
void WebhookNotifier::adopt(const std::vector<Alert>& open) { impl_->adopt(open); }
void WebhookNotifier::send_digest(std::int64_t seq, std::string digest) { impl_->send_digest(seq, std::move(digest)); }
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
