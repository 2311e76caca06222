#include "webhook.hpp"

#include <openssl/evp.h>

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
#include "base/hmac.hpp"
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

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256_of(data));
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

namespace {

// "每日证据摘要 第 3 号：2 个摄像头链，访问日志 41 条；请保留此消息以备核查（carekeep verify --digest）"
std::string render_digest(std::string_view json, bool zh) {
  auto digest = exports::digest_from_json(json);
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

}  // namespace

std::string dingtalk_sign(std::string_view secret, std::int64_t timestamp_ms) {
  std::string to_sign = std::to_string(timestamp_ms) + "\n" + std::string(secret);
  auto mac = hmac_sha256(secret, to_sign);
  std::string b64(4 * ((mac.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac.data(), static_cast<int>(mac.size()));
  b64.resize(static_cast<std::size_t>(n));
  return text::percent_encoded(b64);
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
        changed(std::move(changed_in)), wait(io_in),
        queue(DeliveryTiming{timing_in.retry_first, timing_in.retry_max, timing_in.window, timing_in.per_window},
              parse_severity(hook.min_severity).value_or(Severity::Info)) {
    stats.shown_url = redact_webhook_url(hook.url);
    key = hook_digest(hook);
    url_key = sha256_hex(hook.url);
    if (hook.url.rfind("https://", 0) == 0) {
      tls_context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      beast::error_code ec;
      tls_context->set_default_verify_paths(ec);
      if (!ec && !hook.ca_file.empty()) tls_context->load_verify_file(hook.ca_file.string(), ec);
      if (ec) log::error("webhook_tls_setup_failed", {{"webhook", stats.shown_url}, {"error", ec.message()}});
    }
  }

  void push(Notice notice) {
    if (stopped || !queue.wanted(notice)) return;
    enqueue(std::move(notice));
    changed();
    pump();
  }

  // Notices of an earlier process (the outbox) or of an edited entry, oldest first, ahead of
  // anything newer. Returns how many this endpoint takes (its min_severity may have changed).
  std::size_t take(std::vector<Notice> notices) {
    std::size_t taken = 0;
    for (auto& n : notices) {
      if (!queue.wanted(n)) continue;
      enqueue(std::move(n));
      ++taken;
    }
    if (taken > 0) changed();
    pump();
    return taken;
  }

  void enqueue(Notice notice) {
    if (auto dropped = queue.push(std::move(notice))) {
      log::warn("webhook_queue_full", {{"webhook", stats.shown_url}, {"dropped", std::string(to_string(dropped->kind))}});
    }
  }

  // Yesterday's news is not sent as if fresh: the person sees the current state in the
  // reminders of what is still open, and `carekeep alerts` has the history.
  void drop_expired() {
    auto dropped = queue.drop_expired(clock.now());
    if (dropped.empty()) return;
    log::warn("webhook_dropped", {{"webhook", stats.shown_url},
                                  {"notices", std::to_string(dropped.size())},
                                  {"oldest", format_utc_iso(dropped.front().at)},
                                  {"reason", "not delivered within 24 h of being made"}});
    changed();
  }

  void pump() {
    if (busy || stopped || queue.empty()) return;
    drop_expired();
    auto step = queue.next(Steady::now());
    if (step.what == DeliveryQueue::Step::Do::Nothing) return;
    if (step.what == DeliveryQueue::Step::Do::Wait) {
      wait_until(step.until);
      return;
    }
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
    ++stats.requests;
    std::weak_ptr<WebhookEndpoint> weak = weak_from_this();
    in_flight = std::make_shared<Request>(io, *parsed, render_body(hook, step.batch, *site, clock.now()),
                                          hook.format != config::WebhookFormat::Json, tls_context.get(),
                                          [weak](bool ok, std::string error) {
                                            if (auto self = weak.lock()) self->finished(ok, error);
                                          });
    in_flight->start(timing.timeout);
  }

  void finished(bool ok, const std::string& error) {
    in_flight.reset();
    if (stopped) {  // what was in flight stays queued (and in the outbox)
      queue.abandon();
      return;
    }
    if (ok) {
      stats.delivered += queue.delivered();
      busy = false;
      changed();
      pump();
      return;
    }
    ++stats.failures;
    auto delay = queue.failed();
    log::warn("webhook_failed", {{"webhook", stats.shown_url},
                                 {"error", error},
                                 {"retry_in_ms", std::to_string(delay.count())},
                                 {"queued", std::to_string(queue.size())}});
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
    queue.abandon();
  }

  asio::io_context& io;
  const Clock& clock;
  WebhookTiming timing;
  config::Webhook hook;
  std::shared_ptr<const WebhookSite> site;
  std::function<void()> changed;  // the queue changed: the outbox is due for a write
  std::string key;                // hook_digest: this entry in the outbox
  std::string url_key;            // digest of the URL alone
  std::shared_ptr<asio::ssl::context> tls_context;  // https:// only
  asio::steady_timer wait;
  DeliveryQueue queue;
  std::shared_ptr<Request> in_flight;
  bool busy = false;
  bool stopped = false;
  WebhookNotifier::EndpointStats stats;
};

struct WebhookNotifier::Impl : std::enable_shared_from_this<WebhookNotifier::Impl> {
  Impl(asio::io_context& io_in, const Clock& clock_in, WebhookTiming timing_in, std::filesystem::path outbox)
      : io(io_in), clock(clock_in), timing(timing_in), outbox_path(std::move(outbox)),
        notices(ReminderTiming{timing_in.reminder_first, timing_in.reminder_max}),
        last_written(outbox_text(Outbox{})) {}

  void broadcast(const Notice& notice) {
    for (auto& endpoint : endpoints) endpoint->push(notice);
  }

  // Carries out what AlertNotices decided: the notice to everyone, the reminder timer.
  void apply(const AlertNotices::Key& key, std::int64_t id, AlertNotices::Todo todo) {
    if (todo.cancel_reminder || todo.remind_in) {
      if (auto it = timers.find(key); it != timers.end()) {
        it->second->cancel();
        timers.erase(it);
      }
    }
    if (todo.notice) broadcast(*todo.notice);
    if (todo.remind_in) {
      auto timer = std::make_shared<asio::steady_timer>(io);
      timer->expires_after(*todo.remind_in);
      std::weak_ptr<Impl> weak = weak_from_this();
      timer->async_wait([weak, key, id](beast::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->stopped) return;
        self->apply(key, id, self->notices.on_reminder(key, id, self->clock.now()));
      });
      timers[key] = std::move(timer);
    }
    if (todo.notice || todo.remind_in || todo.cancel_reminder) schedule_save();
  }

  void notify(const Change& change) {
    if (stopped) return;  // alerts resolved during shutdown must not start new timers
    apply({change.alert.kind, change.alert.subject}, change.alert.id, notices.on_change(change, clock.now()));
  }

  // A message that is not an alert (digest, summary): to every endpoint, whatever its
  // min_severity, through the same queue, retries and outbox.
  void send_message(Notice::Kind kind, std::int64_t seq, std::string payload, std::map<std::string, std::string> text) {
    if (stopped) return;
    Alert about;
    about.id = seq;
    about.kind = std::string(to_string(kind));
    about.severity = Severity::Info;
    about.raised = clock.now();
    about.last_seen = about.raised;
    Notice n{kind, about, about.raised, {}, std::move(payload), std::move(text)};
    n.id = make_notice_id(n);
    broadcast(n);
    schedule_save();
  }

  void adopt(const std::vector<Alert>& alerts) {
    if (stopped) return;
    for (const auto& alert : alerts) apply({alert.kind, alert.subject}, alert.id, notices.adopt(alert, clock.now()));
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
      std::vector<Notice> left(e->queue.notices().begin(), e->queue.notices().end());
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
    notices.restore(loaded.outbox.reminders, {});
    std::size_t taken = 0;
    for (auto& q : loaded.outbox.queues) {
      if (q.notices.empty()) continue;
      notices.restore({}, q.notices);
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
      out.queues.push_back({e->key, e->url_key, e->stats.shown_url, {e->queue.notices().begin(), e->queue.notices().end()}});
    }
    if (!endpoints.empty()) out.reminders = notices.reminders();
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
    for (auto& [key, timer] : timers) timer->cancel();
    timers.clear();
    notices.clear();
  }

  asio::io_context& io;
  const Clock& clock;
  WebhookTiming timing;
  std::filesystem::path outbox_path;
  std::shared_ptr<const WebhookSite> site;
  std::vector<std::shared_ptr<WebhookEndpoint>> endpoints;
  AlertNotices notices;
  std::map<AlertNotices::Key, std::shared_ptr<asio::steady_timer>> timers;  // each open alert's next reminder
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
void WebhookNotifier::send_digest(std::int64_t seq, std::string digest) {
  std::map<std::string, std::string> text{{"zh", render_digest(digest, true)}, {"en", render_digest(digest, false)}};
  impl_->send_message(Notice::Kind::Digest, seq, std::move(digest), std::move(text));
}
void WebhookNotifier::send_summary(std::int64_t seq, std::string figures, std::map<std::string, std::string> text) {
  impl_->send_message(Notice::Kind::Summary, seq, std::move(figures), std::move(text));
}
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
