// WebhookNotifier against a real HTTP receiver on 127.0.0.1 (Boost.Beast, its own thread):
// payload shapes of the three formats, DingTalk signing checked with OpenSSL here, retry
// after a 500, one message per alert event, reminders and resolution, rate limiting with
// coalescing, a hung receiver that does not hold up the loop, and the config's validation.
// The outbox (undelivered notices across a restart): an endpoint down at stop then up after
// a restart, a resolved notice queued at stop, late and expired notices, a removed and an
// edited webhook, a corrupt or unwritable outbox file, a state directory that is full (a
// real small tmpfs) or read-only (that tmpfs remounted), reminders across a restart.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "alerts/alerts.hpp"
#include "alerts/outbox.hpp"
#include "webhook.hpp"
#include "config/load.hpp"
#include "export/digest.hpp"
#include "support/http_receiver.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using alerts::Change;
using alerts::Severity;
using nlohmann::json;
using test::Receiver;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18

// Runs the loop on this thread until `done` or `limit`.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.restart();
    io.run_for(10ms);
  }
  return true;
}

void run_for(asio::io_context& io, std::chrono::milliseconds span) {
  io.restart();
  io.run_for(span);
}

config::Config site_config(std::vector<config::Webhook> hooks) {
  config::Config c;
  c.site.name = "阳光托育点";
  c.site.timezone = "Asia/Shanghai";
  config::Camera nap;
  nap.id = "nap-1";
  nap.name = "午睡室";
  c.cameras.push_back(nap);
  c.alerts.webhooks = std::move(hooks);
  return c;
}

config::Webhook hook(std::string url, config::WebhookFormat format, std::string language = "zh") {
  config::Webhook h;
  h.url = std::move(url);
  h.format = format;
  h.language = std::move(language);
  return h;
}

alerts::Alert alert(std::int64_t id, std::string kind, std::string subject, UtcTime raised) {
  alerts::Alert a;
  a.id = id;
  a.kind = std::move(kind);
  a.subject = std::move(subject);
  a.severity = Severity::Critical;
  a.message = "camera nap-1 has sent nothing for 60 s";
  a.raised = raised;
  a.last_seen = raised;
  return a;
}

Change raised(alerts::Alert a) { return Change{Change::Type::Raised, std::move(a)}; }
Change resolved(alerts::Alert a, UtcTime at) {
  a.resolved = at;
  return Change{Change::Type::Resolved, std::move(a)};
}

alerts::WebhookTiming fast() {
  alerts::WebhookTiming t;
  t.retry_first = 100ms;
  t.retry_max = 400ms;
  t.timeout = 2s;
  return t;
}

std::string query_value(const std::string& target, const std::string& key) {
  auto start = target.find(key + "=");
  REQUIRE(start != std::string::npos);
  start += key.size() + 1;
  return target.substr(start, target.find('&', start) - start);
}

// The log lines written while it lives (the facade writes to fd 2, flushed per line).
class LogCapture {
 public:
  explicit LogCapture(std::filesystem::path file) : file_(std::move(file)) {
    saved_ = ::dup(2);
    int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~LogCapture() { restore(); }
  std::string text() const { return test::read_text(file_); }
  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }

 private:
  std::filesystem::path file_;
  int saved_ = -1;
};

int occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

alerts::Outbox read_outbox(const std::filesystem::path& path) {
  auto parsed = alerts::parse_outbox(test::read_text(path));
  REQUIRE(parsed);
  return *parsed;
}

std::string percent_decode(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out.push_back(static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("webhook payloads for json, wecom and dingtalk carry a short message in the site language", "[alerts][webhook]") {
  Receiver receiver;
  asio::io_context io;
  FakeClock clock{kT0 + 3min};
  alerts::WebhookNotifier notifier(io, clock, fast());
  notifier.configure(site_config({hook(receiver.url("/json"), config::WebhookFormat::Json),
                                  hook(receiver.url("/wecom?key=SECRETKEY"), config::WebhookFormat::WeCom),
                                  hook(receiver.url("/ding?access_token=TOKEN"), config::WebhookFormat::DingTalk),
                                  hook(receiver.url("/en"), config::WebhookFormat::Json, "en")}));
  notifier.notify(raised(alert(7, "camera_offline", "nap-1", kT0)));
  REQUIRE(run_until(io, [&] { return receiver.count() == 4; }));

  std::map<std::string, json> by_path;
  for (const auto& r : receiver.received()) by_path[r.target.substr(0, r.target.find('?'))] = json::parse(r.body);

  const json& generic = by_path.at("/json");
  CHECK(generic["event"] == "raised");
  CHECK(generic["kind"] == "camera_offline");
  CHECK(generic["subject"] == "nap-1");
  CHECK(generic["severity"] == "critical");
  CHECK(generic["message"] == "午睡室摄像头离线 3 分钟：请检查电源和网线");
  CHECK(generic["raised"] == format_utc_iso(kT0));
  CHECK(generic["resolved"].is_null());
  CHECK(generic["site"] == "阳光托育点");

  const json& wecom = by_path.at("/wecom");
  CHECK(wecom["msgtype"] == "markdown");
  CHECK(wecom["markdown"]["content"].get<std::string>().find("午睡室摄像头离线 3 分钟") != std::string::npos);

  const json& ding = by_path.at("/ding");
  CHECK(ding["msgtype"] == "text");
  CHECK(ding["text"]["content"] == "【阳光托育点】午睡室摄像头离线 3 分钟：请检查电源和网线");

  CHECK(by_path.at("/en")["message"] == "Camera 午睡室 offline 3 min: check its power and network cable");

  // Keys in the URL never reach what the logs show.
  for (const auto& s : notifier.stats()) {
    CHECK(s.shown_url.find("SECRETKEY") == std::string::npos);
    CHECK(s.shown_url.find("TOKEN") == std::string::npos);
    CHECK(s.delivered == 1);
  }
}

TEST_CASE("a signed DingTalk webhook carries a timestamp and a valid HMAC-SHA256 sign", "[alerts][webhook]") {
  Receiver receiver;
  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier notifier(io, clock, fast());
  auto h = hook(receiver.url("/robot/send?access_token=abc"), config::WebhookFormat::DingTalk);
  h.secret = "SEC0123456789abcdef";
  notifier.configure(site_config({h}));
  notifier.notify(raised(alert(1, "disk_full", "", kT0)));
  REQUIRE(run_until(io, [&] { return receiver.count() == 1; }));

  std::string target = receiver.received()[0].target;
  CHECK(target.rfind("/robot/send?access_token=abc&timestamp=", 0) == 0);
  std::string timestamp = query_value(target, "timestamp");
  CHECK(timestamp == std::to_string(to_us(kT0) / 1000));

  // Independently: HMAC-SHA256 over "timestamp\nsecret" keyed with the secret, compared with
  // the base64 the robot would decode from the URL.
  std::string to_sign = timestamp + "\n" + h.secret;
  unsigned char expected[EVP_MAX_MD_SIZE];
  unsigned int expected_len = 0;
  HMAC(EVP_sha256(), h.secret.data(), static_cast<int>(h.secret.size()),
       reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size(), expected, &expected_len);
  std::string b64 = percent_decode(query_value(target, "sign"));
  REQUIRE(b64.size() == 44);  // 32 bytes of SHA-256
  unsigned char decoded[64];
  int n = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  REQUIRE(n >= 32);
  CHECK(expected_len == 32);
  CHECK(std::equal(expected, expected + 32, decoded));
  // The raw sign must be URL-safe: base64's + / = are all escaped.
  CHECK(query_value(target, "sign").find_first_of("+/=") == std::string::npos);
}

TEST_CASE("a webhook answering 500 gets the same message again after a back-off, order kept", "[alerts][webhook]") {
  Receiver receiver;
  receiver.script({500});
  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier notifier(io, clock, fast());
  notifier.configure(site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)}));
  auto a = alert(3, "camera_offline", "nap-1", kT0);
  notifier.notify(raised(a));
  notifier.notify(resolved(a, kT0 + 5min));
  REQUIRE(run_until(io, [&] { return receiver.count() == 3; }));

  auto got = receiver.received();
  CHECK(json::parse(got[0].body)["event"] == "raised");
  CHECK(json::parse(got[1].body)["event"] == "raised");  // the retry, before anything newer
  CHECK(json::parse(got[2].body)["event"] == "resolved");
  CHECK(json::parse(got[2].body)["message"] == "已恢复：午睡室摄像头离线（持续 5 分钟）");
  auto stats = notifier.stats();
  CHECK(stats[0].failures == 1);
  CHECK(stats[0].delivered == 2);
  CHECK(stats[0].queued == 0);
}

TEST_CASE("one message per alert event, reminders while open, one resolved notice", "[alerts][webhook]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  Receiver receiver;
  asio::io_context io;
  FakeClock clock{kT0};
  auto timing = fast();
  timing.reminder_first = 300ms;
  timing.reminder_max = 600ms;
  alerts::WebhookNotifier notifier(io, clock, timing);
  notifier.configure(site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)}));
  alerts::AlertCenter center(index, clock);
  center.subscribe([&](const Change& c) { notifier.notify(c); });

  // A watcher re-raises on every check: the center and the notifier make it one message.
  REQUIRE(center.raise("camera_offline", "nap-1", Severity::Critical, "no frames"));
  REQUIRE(center.raise("camera_offline", "nap-1", Severity::Critical, "no frames"));
  auto first = center.open().at(0);
  notifier.notify(raised(first));  // a duplicate delivery of the same event
  run_for(io, 200ms);
  REQUIRE(receiver.count() == 1);

  // Reminders at +300 ms and then +600 ms later (doubling, capped).
  REQUIRE(run_until(io, [&] { return receiver.count() == 3; }, 3s));
  CHECK(json::parse(receiver.received()[1].body)["event"] == "reminder");
  CHECK(json::parse(receiver.received()[2].body)["event"] == "reminder");

  REQUIRE(center.resolve("camera_offline", "nap-1"));
  REQUIRE(run_until(io, [&] { return receiver.count() == 4; }));
  auto resolved_copy = first;
  resolved_copy.resolved = kT0;
  notifier.notify(Change{Change::Type::Resolved, resolved_copy});  // told already
  run_for(io, 900ms);  // past when the next reminder would have come
  auto got = receiver.received();
  REQUIRE(got.size() == 4);
  CHECK(json::parse(got[3].body)["event"] == "resolved");
  CHECK_FALSE(json::parse(got[3].body)["resolved"].is_null());

  // A new event for the same subject is news again.
  REQUIRE(center.raise("camera_offline", "nap-1", Severity::Critical, "no frames"));
  REQUIRE(run_until(io, [&] { return receiver.count() == 5; }));
  CHECK(json::parse(receiver.received()[4].body)["event"] == "raised");
}

TEST_CASE("a robot refusing with an errcode is retried and an adopted alert gets reminders", "[alerts][webhook]") {
  Receiver receiver;
  receiver.refuse(true);
  asio::io_context io;
  FakeClock clock{kT0 + 90min};
  auto timing = fast();
  timing.reminder_first = 300ms;
  alerts::WebhookNotifier notifier(io, clock, timing);
  notifier.configure(site_config({hook(receiver.url("/ding"), config::WebhookFormat::DingTalk)}));
  // Open before this process started: no new Raised message, a reminder when due.
  notifier.adopt({alert(5, "camera_offline", "nap-1", kT0)});
  run_for(io, 200ms);
  CHECK(receiver.count() == 0);
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].failures >= 1; }));
  CHECK(notifier.stats()[0].delivered == 0);
  receiver.refuse(false);
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].delivered == 1; }));
  auto got = receiver.received();
  CHECK(json::parse(got.back().body)["text"]["content"] ==
        "【阳光托育点】仍未解决：午睡室摄像头离线，已持续 1 小时 30 分钟：请检查电源和网线");
  CHECK(got.front().body == got.back().body);  // the refused message itself, not a newer one
}

TEST_CASE("webhook messages over the rate limit are coalesced into one", "[alerts][webhook]") {
  Receiver receiver;
  asio::io_context io;
  FakeClock clock{kT0};
  auto timing = fast();
  timing.per_window = 2;
  timing.window = 60s;
  alerts::WebhookNotifier notifier(io, clock, timing);
  notifier.configure(site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)}));
  for (int i = 0; i < 5; ++i) notifier.notify(raised(alert(10 + i, "camera_offline", "cam-" + std::to_string(i), kT0)));
  REQUIRE(run_until(io, [&] { return receiver.count() == 2; }));
  run_for(io, 300ms);  // nothing more may come inside the window
  auto got = receiver.received();
  REQUIRE(got.size() == 2);
  CHECK(json::parse(got[0].body)["subject"] == "cam-0");
  json coalesced = json::parse(got[1].body);
  CHECK(coalesced["event"] == "coalesced");
  REQUIRE(coalesced["notices"].size() == 4);
  CHECK(coalesced["notices"][0]["subject"] == "cam-1");
  CHECK(coalesced["notices"][3]["subject"] == "cam-4");
  CHECK(notifier.stats()[0].delivered == 5);

  // Over the limit with the window full, later messages wait rather than being sent.
  notifier.notify(raised(alert(20, "disk_full", "", kT0)));
  run_for(io, 300ms);
  CHECK(receiver.count() == 2);
  CHECK(notifier.stats()[0].queued == 1);
}

TEST_CASE("a hung webhook receiver does not hold up the loop", "[alerts][webhook]") {
  Receiver receiver;
  receiver.hang(true);
  asio::io_context io;
  FakeClock clock{kT0};
  auto timing = fast();
  timing.timeout = 400ms;
  alerts::WebhookNotifier notifier(io, clock, timing);
  notifier.configure(site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)}));

  int ticks = 0;
  asio::steady_timer ticker(io);
  std::function<void()> tick = [&] {
    ticker.expires_after(20ms);
    ticker.async_wait([&](beast::error_code ec) {
      if (ec) return;
      ++ticks;
      tick();
    });
  };
  tick();

  auto before = std::chrono::steady_clock::now();
  notifier.notify(raised(alert(1, "camera_offline", "nap-1", kT0)));
  CHECK(std::chrono::steady_clock::now() - before < 50ms);
  REQUIRE(run_until(io, [&] { return receiver.count() == 1; }));
  int at_request = ticks;
  run_for(io, 300ms);  // the request is hanging, the loop is not
  CHECK(ticks - at_request >= 8);
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].failures >= 1; }));
  CHECK(notifier.stats()[0].queued == 1);  // kept for the retry

  receiver.hang(false);
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].delivered == 1; }));
  ticker.cancel();
}

TEST_CASE("an https webhook is verified against its CA and host name", "[alerts][webhook][tls]") {
  test::TempDir dir;
  // A self-signed certificate for 127.0.0.1, made with the openssl CLI.
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                    (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() + "' 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  asio::ssl::context server(asio::ssl::context::tls_server);
  server.use_certificate_chain_file((dir / "cert.pem").string());
  server.use_private_key_file((dir / "key.pem").string(), asio::ssl::context::pem);
  Receiver receiver(&server);
  std::string url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/robot?key=K";

  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier notifier(io, clock, fast());
  auto trusted = hook(url, config::WebhookFormat::WeCom);
  trusted.ca_file = dir / "cert.pem";
  auto untrusted = hook(url, config::WebhookFormat::WeCom);
  untrusted.min_severity = "info";
  untrusted.language = "en";  // a different endpoint with the same URL
  // Trusted CA, but a name the certificate does not carry.
  auto wrong_name = hook("https://localhost:" + std::to_string(receiver.port()) + "/robot", config::WebhookFormat::WeCom);
  wrong_name.ca_file = dir / "cert.pem";
  notifier.configure(site_config({trusted, untrusted, wrong_name}));
  notifier.notify(raised(alert(1, "disk_full", "", kT0)));
  REQUIRE(run_until(io, [&] {
    auto st = notifier.stats();
    return st[0].delivered == 1 && st[1].failures >= 1 && st[2].failures >= 1;
  }));
  auto got = receiver.received();
  REQUIRE(got.size() == 1);  // the untrusted one never got past the handshake
  CHECK(got[0].target == "/robot?key=K");
  CHECK(json::parse(got[0].body)["markdown"]["content"] == "**阳光托育点**\n硬盘已满，录像可能中断：请立即检查硬盘");
  CHECK(notifier.stats()[1].delivered == 0);
  CHECK(notifier.stats()[2].delivered == 0);
}

TEST_CASE("a config reload replaces the webhooks", "[alerts][webhook]") {
  Receiver receiver;
  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier notifier(io, clock, fast());
  auto kept = hook(receiver.url("/kept"), config::WebhookFormat::Json);
  notifier.configure(site_config({kept, hook(receiver.url("/old"), config::WebhookFormat::Json)}));
  notifier.notify(raised(alert(1, "disk_full", "", kT0)));
  REQUIRE(run_until(io, [&] { return receiver.count() == 2; }));

  auto next = site_config({hook(receiver.url("/new"), config::WebhookFormat::DingTalk), kept});
  next.cameras[0].name = "午睡室二";
  notifier.configure(next);
  auto stats = notifier.stats();
  REQUIRE(stats.size() == 2);
  CHECK(stats[1].delivered == 1);  // the unchanged endpoint is the same one
  CHECK(stats[0].delivered == 0);
  notifier.notify(raised(alert(2, "camera_offline", "nap-1", kT0)));
  REQUIRE(run_until(io, [&] { return receiver.count() == 4; }));
  run_for(io, 100ms);
  std::vector<std::string> paths;
  for (const auto& r : receiver.received()) paths.push_back(r.target);
  CHECK(std::count(paths.begin(), paths.end(), "/old") == 1);
  CHECK(std::count(paths.begin(), paths.end(), "/new") == 1);
  CHECK(std::count(paths.begin(), paths.end(), "/kept") == 2);
  CHECK(json::parse(receiver.received().back().body).dump().find("午睡室二") != std::string::npos);
}

TEST_CASE("alerts.webhook entries are validated with every problem reported", "[alerts][webhook][config]") {
  const std::string base = R"([site]
name = "t"
timezone = "Asia/Shanghai"
storage = "/var/lib/carekeep/media"
database = "/var/lib/carekeep/index.db"

[care_hours]
monday = ["07:30-12:00"]

[[camera]]
id = "nap-1"
url = "rtsp://192.168.1.20/s"
)";
  auto good = config::parse(base + R"(
[[alerts.webhook]]
url = "http://192.168.1.5:8080/robot/send?access_token=abc"
format = "dingtalk"
secret = "SECxyz"
min_severity = "warning"

[[alerts.webhook]]
url = "http://192.168.1.5:8080/hook"
language = "en"
)", "carekeep.toml");
  REQUIRE(good.ok());
  REQUIRE(good.config->alerts.webhooks.size() == 2);
  CHECK(good.config->alerts.webhooks[0].format == config::WebhookFormat::DingTalk);
  CHECK(good.config->alerts.webhooks[0].language == "zh");  // from Asia/Shanghai
  CHECK(good.config->alerts.webhooks[0].min_severity == "warning");
  CHECK(good.config->alerts.webhooks[1].format == config::WebhookFormat::Json);
  CHECK(good.config->alerts.webhooks[1].language == "en");
  CHECK(config::default_language("Europe/Berlin") == "en");
  CHECK(config::default_language("Asia/Urumqi") == "zh");

  auto bad = config::parse(base + R"(
[[alerts.webhook]]
url = "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN"
format = "dingtak"
ca_file = "certs/relay.pem"

[[alerts.webhook]]
url = "ftp://x"
secret = "SEC1"
min_severity = "critcal"
langauge = "zh"
)", "carekeep.toml");
  CHECK_FALSE(bad.ok());
  std::string all;
  for (const auto& d : bad.diagnostics) all += config::format(d) + "\n";
  CHECK(bad.error_count() == 6);
  CHECK(all.find("must be an absolute path to a PEM file") != std::string::npos);
  CHECK(all.find("did you mean `dingtalk`?") != std::string::npos);
  CHECK(all.find("must be an http:// or https:// URL") != std::string::npos);
  CHECK(all.find("only DingTalk robots sign") != std::string::npos);
  CHECK(all.find("did you mean `critical`?") != std::string::npos);
  CHECK(all.find("did you mean `language`?") != std::string::npos);
  CHECK(all.find("SECRETTOKEN") == std::string::npos);
}

TEST_CASE("notices queued while a webhook is down are delivered in order after a restart", "[alerts][webhook][outbox]") {
  test::TempDir dir;
  auto outbox = dir / "webhook-outbox.json";
  auto port = test::closed_port();  // the endpoint is down for the first process
  auto cfg = site_config({hook("http://127.0.0.1:" + std::to_string(port) + "/json?key=SECRETKEY",
                               config::WebhookFormat::Json)});
  auto cam = alert(1, "camera_offline", "nap-1", kT0);
  std::vector<std::string> ids;
  {
    asio::io_context io;
    FakeClock clock{kT0 + 3min};
    alerts::WebhookNotifier first(io, clock, fast(), outbox);
    first.configure(cfg);
    first.notify(raised(cam));
    first.notify(raised(alert(2, "disk_full", "", kT0)));
    clock.advance(1min);
    first.notify(resolved(cam, kT0 + 4min));
    REQUIRE(run_until(io, [&] { return first.stats()[0].failures >= 2; }));
    CHECK(first.stats()[0].queued == 3);
    first.stop();
    auto saved = read_outbox(outbox);
    REQUIRE(saved.queues.size() == 1);
    REQUIRE(saved.queues[0].notices.size() == 3);
    for (const auto& n : saved.queues[0].notices) ids.push_back(n.id);
  }
  std::string file = test::read_text(outbox);
  CHECK(file.find("SECRETKEY") == std::string::npos);  // the file names webhooks by digest only
  CHECK(file.find("/json") == std::string::npos);

  Receiver receiver(nullptr, port);  // the endpoint is back
  asio::io_context io;
  FakeClock clock{kT0 + 6min};
  alerts::WebhookNotifier second(io, clock, fast(), outbox);
  second.configure(cfg);
  REQUIRE(run_until(io, [&] { return receiver.count() == 3; }));
  run_for(io, 300ms);  // and nothing more: each once
  auto got = receiver.received();
  REQUIRE(got.size() == 3);
  auto n = test::json_notices(got);
  CHECK(n[0]["event"] == "raised");
  CHECK(n[0]["subject"] == "nap-1");
  CHECK(n[0]["message"] == "午睡室摄像头离线 3 分钟：请检查电源和网线");  // 3 min late: not marked
  CHECK(n[0]["late"] == false);
  CHECK(n[1]["kind"] == "disk_full");
  CHECK(n[2]["event"] == "resolved");
  CHECK(n[2]["message"] == "已恢复：午睡室摄像头离线（持续 4 分钟）");
  for (std::size_t i = 0; i < 3; ++i) CHECK(n[i]["id"] == ids[i]);
  CHECK(got[0].target == "/json?key=SECRETKEY");
  CHECK(second.stats()[0].queued == 0);
  CHECK(read_outbox(outbox).notice_count() == 0);  // delivered ones leave the file
}

TEST_CASE("a resolved notice queued at stop arrives after the restart once, marked late", "[alerts][webhook][outbox]") {
  test::TempDir dir;
  auto outbox = dir / "webhook-outbox.json";
  Receiver receiver;
  auto cfg = site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)});
  auto cam = alert(4, "camera_offline", "nap-1", kT0);
  {
    asio::io_context io;
    FakeClock clock{kT0};
    alerts::WebhookNotifier first(io, clock, fast(), outbox);
    first.configure(cfg);
    first.notify(raised(cam));
    REQUIRE(run_until(io, [&] { return receiver.count() == 1; }));
    clock.advance(5min);
    first.notify(resolved(cam, kT0 + 5min));
    first.stop();  // before the loop ran again: the notice was never sent
  }
  CHECK(receiver.count() == 1);

  asio::io_context io;
  FakeClock clock{kT0 + 5min + 2h};  // the box was off for two hours
  alerts::WebhookNotifier second(io, clock, fast(), outbox);
  second.configure(cfg);
  second.adopt({});
  REQUIRE(run_until(io, [&] { return receiver.count() == 2; }));
  json body = json::parse(receiver.received()[1].body);
  CHECK(body["event"] == "resolved");
  CHECK(body["late"] == true);
  CHECK(body["at"] == format_utc_iso(kT0 + 5min));
  CHECK(body["message"] == "已恢复：午睡室摄像头离线（持续 5 分钟）（延迟 2 小时 送达）");
  // The index of the first run lost the resolution (a power cut inside its commit batch):
  // the watcher resolves the adopted alert again, and the person is not told twice.
  second.adopt({cam});
  second.notify(resolved(cam, kT0 + 2h));
  run_for(io, 300ms);
  CHECK(receiver.count() == 2);
}

TEST_CASE("notices older than 24 h are dropped with a log line instead of sent", "[alerts][webhook][outbox]") {
  test::TempDir dir;
  auto outbox = dir / "webhook-outbox.json";
  auto port = test::closed_port();
  auto cfg = site_config({hook("http://127.0.0.1:" + std::to_string(port) + "/json", config::WebhookFormat::Json)});
  {
    asio::io_context io;
    FakeClock clock{kT0};
    alerts::WebhookNotifier first(io, clock, fast(), outbox);
    first.configure(cfg);
    first.notify(raised(alert(1, "camera_offline", "nap-1", kT0)));
    REQUIRE(run_until(io, [&] { return first.stats()[0].failures >= 1; }));
  }  // the destructor stops and writes the outbox too
  REQUIRE(read_outbox(outbox).notice_count() == 1);

  Receiver receiver(nullptr, port);
  LogCapture log(dir / "log.txt");
  asio::io_context io;
  FakeClock clock{kT0 + 25h};
  alerts::WebhookNotifier second(io, clock, fast(), outbox);
  second.configure(cfg);
  run_for(io, 300ms);
  second.stop();
  log.restore();
  CHECK(receiver.count() == 0);
  std::string text = log.text();
  CHECK(text.find("webhook_dropped") != std::string::npos);
  CHECK(text.find("within 24 h") != std::string::npos);
  CHECK(read_outbox(outbox).notice_count() == 0);
}

TEST_CASE("after a restart a removed webhook's notices are dropped and logged, an edited one keeps them", "[alerts][webhook][outbox]") {
  test::TempDir dir;
  auto outbox = dir / "webhook-outbox.json";
  auto port = test::closed_port();
  auto url = [&](const std::string& path) { return "http://127.0.0.1:" + std::to_string(port) + path; };
  auto kept = hook(url("/kept"), config::WebhookFormat::Json);
  auto edited = hook(url("/edited"), config::WebhookFormat::Json);
  auto removed = hook(url("/removed?key=GONEKEY"), config::WebhookFormat::Json);
  {
    asio::io_context io;
    FakeClock clock{kT0};
    alerts::WebhookNotifier first(io, clock, fast(), outbox);
    first.configure(site_config({kept, edited, removed}));
    first.notify(raised(alert(1, "disk_full", "", kT0)));
    REQUIRE(run_until(io, [&] {
      auto st = first.stats();
      return st[0].failures >= 1 && st[1].failures >= 1 && st[2].failures >= 1;
    }));
  }
  REQUIRE(read_outbox(outbox).notice_count() == 3);

  Receiver receiver(nullptr, port);
  LogCapture log(dir / "log.txt");
  asio::io_context io;
  FakeClock clock{kT0 + 1min};
  alerts::WebhookNotifier second(io, clock, fast(), outbox);
  edited.language = "en";  // the same robot with another setting
  second.configure(site_config({kept, edited}));
  REQUIRE(run_until(io, [&] { return receiver.count() == 2; }));
  run_for(io, 300ms);
  log.restore();
  std::map<std::string, json> by_path;
  for (const auto& r : receiver.received()) by_path[r.target] = json::parse(r.body);
  REQUIRE(by_path.size() == 2);
  CHECK(by_path.at("/kept")["message"] == "硬盘已满，录像可能中断：请立即检查硬盘");
  CHECK(by_path.at("/edited")["message"] == "Disk full, recording may stop: check the disk now");
  std::string text = log.text();
  CHECK(occurrences(text, "webhook_dropped") == 1);
  CHECK(text.find("no longer in the configuration") != std::string::npos);
  CHECK(text.find("http://127.0.0.1:" + std::to_string(port) + "/***") != std::string::npos);
  CHECK(text.find("GONEKEY") == std::string::npos);

  // A config reload that removes a webhook with queued notices says so as well.
  receiver.hang(true);
  second.notify(raised(alert(2, "clock_untrusted", "", kT0)));
  REQUIRE(run_until(io, [&] { return receiver.count() == 4; }));
  LogCapture reload_log(dir / "reload.txt");
  second.configure(site_config({kept}));
  reload_log.restore();
  CHECK(reload_log.text().find("removed from the configuration") != std::string::npos);
  receiver.hang(false);
}

TEST_CASE("a corrupt outbox file is reported, moved aside and replaced", "[alerts][webhook][outbox]") {
  test::TempDir dir;
  auto outbox = dir / "webhook-outbox.json";
  const std::string garbage = "{\"version\":1,\"queues\":[{\"webhook\":";  // a torn hand edit
  test::write_text(outbox, garbage);
  Receiver receiver;
  LogCapture log(dir / "log.txt");
  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier notifier(io, clock, fast(), outbox);
  notifier.configure(site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)}));
  log.restore();
  CHECK(log.text().find("webhook_outbox_corrupt") != std::string::npos);

  std::vector<std::filesystem::path> aside;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("webhook-outbox.json.corrupt-", 0) == 0) aside.push_back(entry.path());
  }
  REQUIRE(aside.size() == 1);
  CHECK(test::read_text(aside[0]) == garbage);  // kept for a person to look at

  notifier.notify(raised(alert(1, "disk_full", "", kT0)));
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].delivered == 1; }));
  run_for(io, 50ms);
  CHECK(read_outbox(outbox).notice_count() == 0);  // a good file again

  // A file of a newer version (a downgrade) is not guessed at either.
  test::write_text(outbox, "{\"version\":7,\"queues\":[],\"reminders\":[]}");
  auto older = alerts::load_outbox(outbox, kT0 + 1s);
  CHECK(older.outbox.notice_count() == 0);
  CHECK_FALSE(older.moved_aside.empty());
  CHECK_FALSE(std::filesystem::exists(outbox));
}

TEST_CASE("an outbox that cannot be written is logged once and delivery goes on", "[alerts][webhook][outbox]") {
  test::TempDir dir;
  Receiver receiver;
  LogCapture log(dir / "log.txt");
  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier notifier(io, clock, fast(), dir / "no-such-dir" / "webhook-outbox.json");
  notifier.configure(site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)}));
  notifier.notify(raised(alert(1, "disk_full", "", kT0)));
  notifier.notify(raised(alert(2, "camera_offline", "nap-1", kT0)));
  REQUIRE(run_until(io, [&] { return receiver.count() == 2; }));
  notifier.stop();
  log.restore();
  CHECK(occurrences(log.text(), "webhook_outbox_write_failed") == 1);
}

TEST_CASE("reminders survive a restart: one queued per alert, back-off not restarted", "[alerts][webhook][outbox]") {
  test::TempDir dir;
  auto outbox = dir / "webhook-outbox.json";
  auto timing = fast();
  timing.reminder_first = 100ms;
  timing.reminder_max = 100ms;
  auto cam = alert(1, "camera_offline", "nap-1", kT0);
  {
    // Down endpoint, a reminder every 100 ms: the queue keeps only the newest one.
    auto port = test::closed_port();
    asio::io_context io;
    FakeClock clock{kT0};
    alerts::WebhookNotifier notifier(io, clock, timing, dir / "down.json");
    notifier.configure(site_config({hook("http://127.0.0.1:" + std::to_string(port) + "/", config::WebhookFormat::Json)}));
    notifier.notify(raised(cam));
    for (int i = 0; i < 4; ++i) {
      clock.advance(1min);
      run_for(io, 250ms);
    }
    notifier.stop();
    auto saved = read_outbox(dir / "down.json");
    REQUIRE(saved.notice_count() == 2);
    const auto& q = saved.queues[0].notices;
    CHECK(q[0].kind == alerts::Notice::Kind::Raised);
    CHECK(q[1].kind == alerts::Notice::Kind::Reminder);
    CHECK(q[1].at >= kT0 + 2min);  // not the first reminder but a later one
  }

  timing.reminder_max = 60s;
  Receiver receiver;
  auto cfg = site_config({hook(receiver.url("/json"), config::WebhookFormat::Json)});
  {
    asio::io_context io;
    FakeClock clock{kT0};
    alerts::WebhookNotifier first(io, clock, timing, outbox);
    first.configure(cfg);
    first.notify(raised(cam));
    REQUIRE(run_until(io, [&] { return receiver.count() == 3; }));  // raised, +100 ms, +200 ms
    first.stop();
  }
  auto saved = read_outbox(outbox);
  REQUIRE(saved.reminders.size() == 1);
  CHECK(saved.reminders[0].alert_id == 1);
  CHECK(saved.reminders[0].interval == 400ms);

  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier second(io, clock, timing, outbox);
  second.configure(cfg);
  second.adopt({cam});
  REQUIRE(run_until(io, [&] { return receiver.count() == 4; }));
  run_for(io, 50ms);
  CHECK(json::parse(receiver.received()[3].body)["event"] == "reminder");
  // The back-off went on from 400 ms (a fresh start would be at 200 ms now).
  auto after = read_outbox(outbox);
  REQUIRE(after.reminders.size() == 1);
  CHECK(after.reminders[0].interval == 800ms);
  second.stop();
}

TEST_CASE("a full or read-only state directory: the outbox failure is logged, delivery goes on from memory", "[alerts][webhook][outbox]") {
  test::SmallFilesystem state(256 * 1024);  // a real tmpfs: ENOSPC and EROFS on demand
  auto outbox = state.path() / "webhook-outbox.json";
  auto filler = state.path() / "filler";
  auto fill = [&] {
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    int err = errno;
    ::close(fd);
    REQUIRE(err == ENOSPC);
  };
  Receiver receiver;
  receiver.answer(503);  // notices stay queued
  test::TempDir dir;
  LogCapture log(dir / "log.txt");
  asio::io_context io;
  FakeClock clock{kT0};
  alerts::WebhookNotifier notifier(io, clock, fast(), outbox);
  notifier.configure(site_config({hook(receiver.url("/json?key=FULLKEY"), config::WebhookFormat::Json)}));
  run_for(io, 20ms);
  fill();
  notifier.notify(raised(alert(1, "disk_full", "", kT0)));
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].failures >= 1; }));
  notifier.notify(raised(alert(2, "camera_offline", "nap-1", kT0)));
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].failures >= 2; }));
  CHECK(occurrences(log.text(), "webhook_outbox_write_failed") == 1);  // once, not per change
  CHECK(log.text().find("No space left on device") != std::string::npos);

  // Space is back: the next change writes the file again, and it says so.
  std::filesystem::remove(filler);
  receiver.answer(200);
  notifier.notify(raised(alert(3, "clock_untrusted", "", kT0)));
  run_for(io, 20ms);
  CHECK(log.text().find("webhook_outbox_written") != std::string::npos);
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].delivered == 3; }));  // from memory, all of them
  run_for(io, 20ms);
  CHECK(read_outbox(outbox).notice_count() == 0);
  auto got = test::json_notices(test::accepted(receiver.received()));
  REQUIRE(got.size() == 3);
  CHECK(got[0]["kind"] == "disk_full");
  CHECK(got[1]["kind"] == "camera_offline");
  CHECK(got[2]["kind"] == "clock_untrusted");

  // Read-only (a remount, as after a disk error): the write at stop fails and says what it loses.
  REQUIRE(::mount(nullptr, state.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
  receiver.answer(503);
  notifier.notify(raised(alert(4, "disk_readonly", "", kT0)));
  REQUIRE(run_until(io, [&] { return notifier.stats()[0].failures >= 3; }));
  notifier.stop();
  log.restore();
  std::string text = log.text();
  CHECK(occurrences(text, "webhook_outbox_write_failed") == 3);  // the first failure and the stop
  CHECK(text.find("Read-only file system") != std::string::npos);
  CHECK(text.find("stopping: the queued messages are lost") != std::string::npos);
  CHECK(text.find("FULLKEY") == std::string::npos);
  CHECK(read_outbox(outbox).notice_count() == 0);  // the last good state stays
}

TEST_CASE("the digest goes to every webhook whatever its min_severity and waits in the outbox across a restart",
          "[alerts][webhook][outbox]") {
  // The signed daily digest (issue 15) rides the alerts' queue: a webhook that wants only
  // critical alerts gets it too, and an endpoint that is down gets it after the restart.
  exports::Digest digest;
  digest.seq = 3;
  digest.site = "阳光托育点";
  digest.time = kT0;
  digest.cameras = {{"nap-1", 12, Sha256{}, 2, Sha256{}}, {"play-1", 0, std::nullopt, std::nullopt, std::nullopt}};
  digest.access_log = {"", 41, Sha256{}, std::nullopt, std::nullopt};
  digest.signature = std::string(128, '0');
  const std::string text = exports::to_json(digest);

  test::TempDir dir;
  auto outbox = dir / "webhook-outbox.json";
  auto port = test::closed_port();
  auto critical_only = hook("http://127.0.0.1:" + std::to_string(port) + "/json", config::WebhookFormat::Json);
  critical_only.min_severity = "critical";
  auto cfg = site_config({critical_only});
  std::map<std::string, std::string> lines;
  {
    asio::io_context io;
    FakeClock clock{kT0 + 1min};
    alerts::WebhookNotifier first(io, clock, fast(), outbox);
    first.configure(cfg);
    auto warning = alert(1, "camera_down", "nap-1", kT0);
    warning.severity = Severity::Warning;  // not for this webhook
    first.notify(raised(warning));
    first.send_digest(3, text);
    REQUIRE(run_until(io, [&] { return first.stats()[0].failures >= 1; }));
    CHECK(first.stats()[0].queued == 1);
    first.stop();
    lines = read_outbox(outbox).queues.at(0).notices.at(0).text;
  }
  Receiver receiver(nullptr, port);
  asio::io_context io;
  FakeClock clock{kT0 + 5min};
  alerts::WebhookNotifier second(io, clock, fast(), outbox);
  second.configure(cfg);
  REQUIRE(run_until(io, [&] { return receiver.count() == 1; }));
  auto body = json::parse(receiver.received()[0].body);
  CHECK(body["event"] == "digest");
  CHECK(body["message"] == "每日证据摘要 第 3 号：2 个摄像头链，访问日志 41 条；请保留此消息以备核查（carekeep verify --digest）");
  CHECK(body["digest"] == json::parse(text));
  CHECK(body["id"] == "3-digest-" + std::to_string(to_us(kT0 + 1min)));

  // A robot shows text only: the line, then the digest itself.
  // The line comes with the notice: the notifier made it from the digest when it queued it.
  alerts::Notice n{alerts::Notice::Kind::Digest, {}, kT0, "3-digest", text, lines};
  auto robot = json::parse(alerts::render_body(hook("http://x/", config::WebhookFormat::DingTalk, "en"), {n},
                                               alerts::webhook_site(cfg)));
  auto content = robot["text"]["content"].get<std::string>();
  CHECK(content.find("Daily evidence digest no. 3: 2 camera chains, 41 access log rows") != std::string::npos);
  CHECK(json::parse(content.substr(content.find('{'))) == json::parse(text));
}
