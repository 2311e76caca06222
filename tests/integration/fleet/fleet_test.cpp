// Fleet health end to end (issue 20; docs/fleet.md): a real Prometheus and Alertmanager on
// 127.0.0.1 scrape three real carekeepd (fakecam cameras, RtspTestServer), discovered through
// a file_sd targets file and with the bearer token, and evaluate packaging/prometheus's rules
// with every `for:` shortened to 2 s (the only change to the shipped file). A camera going down
// fires CarekeepZoneUncovered for its point in Alertmanager; a daemon stopped fires
// CarekeepPointSilent. Also: /metrics refuses sources outside [metrics] allow (403) and
// requests without the token (401), and a daemon whose token file is unusable serves nothing.
// Skipped (exit 77) only when Debian's prometheus or prometheus-alertmanager is missing.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "base/text.hpp"
#include "support/http_receiver.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

struct HttpReply {
  int status = 0;  // 0: no connection
  std::string body;
};

// One HTTP/1.1 GET over a plain socket (the servers close after answering).
HttpReply get(std::uint16_t port, const std::string& target, const std::string& authorization = {}) {
  HttpReply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
  request += "\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[8192];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  auto split = raw.find("\r\n\r\n");
  if (raw.size() < 12 || split == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  reply.body = raw.substr(split + 4);
  if (raw.find("Transfer-Encoding: chunked") != std::string::npos) {  // Go's servers chunk large bodies
    std::string body;
    std::size_t at = 0;
    while (at < reply.body.size()) {
      auto eol = reply.body.find("\r\n", at);
      if (eol == std::string::npos) break;
      auto size = std::stoul(reply.body.substr(at, eol - at), nullptr, 16);
      if (size == 0) break;
      body += reply.body.substr(eol + 2, size);
      at = eol + 2 + size + 2;
    }
    reply.body = body;
  }
  return reply;
}

// A Prometheus or Alertmanager process; SIGTERM and reaped when the test ends.
class Child {
 public:
  Child(std::vector<std::string> args, std::filesystem::path log) : log_(std::move(log)) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    ::kill(pid_, SIGTERM);
    if (!test::wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, 10s)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  std::string log_text() const { return test::read_text(log_); }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

std::uint16_t metrics_port(const test::DaemonProcess& daemon) {
  static const std::regex kPort("metrics_listening listen=127\\.0\\.0\\.1:0 port=([0-9]+)");
  std::smatch m;
  auto log = daemon.log_text();
  REQUIRE(std::regex_search(log, m, kPort));
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

// test::daemon_config for one camera, as point `id`, its /metrics on a free loopback port.
std::string point_config(const std::filesystem::path& dir, const std::string& id, const std::string& camera,
                         const std::string& url, const std::string& metrics) {
  auto text = test::daemon_config(dir, {{camera, url}});
  text.replace(text.find("[site]\n"), 7, "[site]\nid = \"" + id + "\"\n");
  return text + "\n[metrics]\nlisten = \"127.0.0.1:0\"\n" + metrics;
}

// The shipped rules with every `for:` cut to 2 s, so that the test waits seconds, not minutes.
std::string shortened_rules() {
  auto text = test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "packaging/prometheus/carekeep.rules.yml");
  auto shortened = std::regex_replace(text, std::regex("for: [0-9]+[smh]"), "for: 2s");
  REQUIRE(shortened != text);
  return shortened;
}

bool have(const char* tool) { return test::run_command(std::string("command -v ") + tool + " >/dev/null").exit_code == 0; }

// The alerts Alertmanager holds now, by name and point.
bool alert_in(std::uint16_t alertmanager, const std::string& name, const std::string& point) {
  auto reply = get(alertmanager, "/api/v2/alerts?active=true");
  if (reply.status != 200) return false;
  auto alerts = Json::parse(reply.body, nullptr, false);
  if (!alerts.is_array()) return false;
  for (const auto& a : alerts) {
    const auto& labels = a.value("labels", Json::object());
    if (labels.value("alertname", "") == name && labels.value("point", "") == point) return true;
  }
  return false;
}

// The value of a PromQL instant query that yields at most one sample; nullopt when none.
std::optional<double> query(std::uint16_t prometheus, const std::string& promql) {
  auto reply = get(prometheus, "/api/v1/query?query=" + text::percent_encoded(promql));
  if (reply.status != 200) return std::nullopt;
  auto json = Json::parse(reply.body, nullptr, false);
  if (!json.is_object() || json.value("status", "") != "success") return std::nullopt;
  const auto& result = json["data"]["result"];
  if (!result.is_array() || result.empty()) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

}  // namespace

TEST_CASE("fleet: Prometheus and Alertmanager see a point's camera go down and another point go silent",
          "[rtsp][slow]") {
  if (!have("prometheus") || !have("prometheus-alertmanager")) {
    WARN("SKIP: prometheus or prometheus-alertmanager not installed (tools/install-deps.sh installs them)");
    std::exit(77);  // ctest: SKIP_RETURN_CODE
  }
  test::TempDir dir;
  const std::string token = "6d1f0c3e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";
  test::write_text(dir / "metrics.token", token + "\n");
  std::filesystem::permissions(dir / "metrics.token", std::filesystem::perms(0640));  // as docs/fleet.md says
  test::RtspTestServer cameras({test::RtspTestServer::camera("cam-a"), test::RtspTestServer::camera("cam-b"),
                                test::RtspTestServer::camera("cam-c")});

  const std::vector<std::string> points{"pt-a", "pt-b", "pt-c"};
  std::vector<std::unique_ptr<test::DaemonProcess>> daemons;
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto box = dir / points[i];
    std::filesystem::create_directories(box);
    std::string camera = "cam-" + points[i].substr(3);
    test::write_text(box / "carekeep.toml",
                     point_config(box, points[i], camera, cameras.url(camera),
                                  "allow = [\"127.0.0.0/8\"]\nbearer_token_file = \"" + (dir / "metrics.token").string() + "\"\n"));
    daemons.push_back(std::make_unique<test::DaemonProcess>(CAREKEEPD_BIN, box / "carekeep.toml", box / "daemon.log"));
    daemons.back()->start();
  }
  Json targets = Json::array();
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!daemons[i]->wait_for_log("metrics_listening", 20s)) FAIL(daemons[i]->log_text());
    targets.push_back({{"targets", {"127.0.0.1:" + std::to_string(metrics_port(*daemons[i]))}},
                       {"labels", {{"point", points[i]}, {"district", "test"}}}});
  }
  auto port_a = metrics_port(*daemons[0]);

  // The endpoint itself: the token or nothing.
  CHECK(get(port_a, "/metrics").status == 401);
  CHECK(get(port_a, "/metrics", "Bearer " + token.substr(0, token.size() - 1) + "0").status == 401);
  auto scrape = get(port_a, "/metrics", "Bearer " + token);
  CHECK(scrape.status == 200);
  CHECK_THAT(scrape.body, Catch::Contains("carekeep_site_info{site_id=\"pt-a\",site_name=\"测试托育点\",version=\""));
  CHECK_THAT(scrape.body, Catch::Contains("carekeep_care_active 1"));

  std::filesystem::create_directories(dir / "targets");
  test::write_text(dir / "targets" / "test.json", targets.dump(2));
  test::write_text(dir / "carekeep.rules.yml", shortened_rules());
  auto am_port = test::closed_port();
  auto prom_port = test::closed_port();
  test::write_text(dir / "alertmanager.yml",
                   "route:\n  receiver: none\n  group_wait: 0s\n  group_interval: 1s\n"
                   "receivers:\n  - name: none\n");
  test::write_text(dir / "prometheus.yml",
                   "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                   "rule_files: [\"" + (dir / "carekeep.rules.yml").string() + "\"]\n"
                   "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:" +
                       std::to_string(am_port) + "\"]\n"
                   "scrape_configs:\n  - job_name: carekeep\n    scrape_timeout: 1s\n"
                   "    authorization:\n      type: Bearer\n      credentials_file: " + (dir / "metrics.token").string() + "\n"
                   "    file_sd_configs:\n      - files: [\"" + (dir / "targets").string() + "/*.json\"]\n");
  std::filesystem::create_directories(dir / "am-data");
  std::filesystem::create_directories(dir / "prom-data");
  Child alertmanager({"prometheus-alertmanager", "--config.file=" + (dir / "alertmanager.yml").string(),
                      "--storage.path=" + (dir / "am-data").string(),
                      "--web.listen-address=127.0.0.1:" + std::to_string(am_port), "--cluster.listen-address="},
                     dir / "alertmanager.log");
  Child prometheus({"prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                    "--storage.tsdb.path=" + (dir / "prom-data").string(),
                    "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--rules.alert.resend-delay=1s"},
                   dir / "prometheus.log");
  // What each process said, read when a check fails (INFO would read it now).
  auto logs = [&] {
    std::string text = "prometheus:\n" + prometheus.log_text() + "\nalertmanager:\n" + alertmanager.log_text();
    for (std::size_t i = 0; i < daemons.size(); ++i) text += "\n" + points[i] + ":\n" + daemons[i]->log_text();
    return text;
  };
  bool ready = test::wait_until(
      [&] { return get(am_port, "/-/ready").status == 200 && get(prom_port, "/-/ready").status == 200; }, 20s);
  if (!ready) FAIL(logs());

  // All three scraped, with the token, each with its zone covered and its identity.
  bool scraped = test::wait_until(
      [&] {
        return query(prom_port, "sum(up{job=\"carekeep\"})") == 3.0 &&
               query(prom_port, "count(carekeep_zone_covered == 1)") == 3.0 &&
               query(prom_port, "count(carekeep_site_info{site_id=~\"pt-.\", key_fingerprint=~\"[0-9a-f]{64}\"})") == 3.0;
      },
      30s);
  if (!scraped) FAIL(logs());
  CHECK(query(prom_port, "count(ALERTS{alertname=~\"CarekeepZoneUncovered|CarekeepPointSilent\"})") == std::nullopt);

  // pt-b's only camera goes down: its zone is uncovered in care hours.
  cameras.set_fault("cam-b", fakecam::Fault::Down);
  if (!test::wait_until([&] { return alert_in(am_port, "CarekeepZoneUncovered", "pt-b"); }, 40s)) FAIL(logs());
  CHECK_FALSE(alert_in(am_port, "CarekeepZoneUncovered", "pt-a"));
  CHECK_FALSE(alert_in(am_port, "CarekeepZoneUncovered", "pt-c"));
  CHECK(query(prom_port, "point:carekeep_zones_uncovered:sum{point=\"pt-b\"}") == 1.0);

  // pt-c's daemon stops: the point goes silent.
  daemons[2]->signal(SIGTERM);
  CHECK(daemons[2]->wait(15s) == 0);
  if (!test::wait_until([&] { return alert_in(am_port, "CarekeepPointSilent", "pt-c"); }, 30s)) FAIL(logs());
  CHECK_FALSE(alert_in(am_port, "CarekeepPointSilent", "pt-a"));
  CHECK_FALSE(alert_in(am_port, "CarekeepPointSilent", "pt-b"));

  for (std::size_t i = 0; i < 2; ++i) {
    daemons[i]->signal(SIGTERM);
    CHECK(daemons[i]->wait(15s) == 0);
  }
}

TEST_CASE("fleet: /metrics refuses sources outside [metrics] allow, and no token file means no endpoint",
          "[rtsp]") {
  test::TempDir dir;
  const std::string token = "0123456789abcdef0123456789abcdef";
  test::write_text(dir / "metrics.token", token);
  test::write_text(dir / "short.token", "0123456789");
  std::filesystem::permissions(dir / "metrics.token", std::filesystem::perms(0640));
  std::filesystem::permissions(dir / "short.token", std::filesystem::perms(0640));
  const std::string camera = "rtsp://127.0.0.1:1/none";  // nothing to record: only /metrics matters here
  std::filesystem::create_directories(dir / "elsewhere");
  std::filesystem::create_directories(dir / "short");
  test::write_text(dir / "elsewhere" / "carekeep.toml",
                   point_config(dir / "elsewhere", "pt-x", "cam", camera,
                                "allow = [\"192.0.2.0/24\"]\nbearer_token_file = \"" + (dir / "metrics.token").string() + "\"\n"));
  test::write_text(dir / "short" / "carekeep.toml",
                   point_config(dir / "short", "pt-y", "cam", camera,
                                "bearer_token_file = \"" + (dir / "short.token").string() + "\"\n"));
  test::DaemonProcess elsewhere(CAREKEEPD_BIN, dir / "elsewhere" / "carekeep.toml", dir / "elsewhere" / "daemon.log");
  test::DaemonProcess short_token(CAREKEEPD_BIN, dir / "short" / "carekeep.toml", dir / "short" / "daemon.log");
  elsewhere.start();
  short_token.start();
  if (!elsewhere.wait_for_log("metrics_listening", 20s)) FAIL(elsewhere.log_text());
  auto port = metrics_port(elsewhere);
  // 127.0.0.1 is not in 192.0.2.0/24: refused even with the right token, and said once.
  auto refused = get(port, "/metrics", "Bearer " + token);
  CHECK(refused.status == 403);
  CHECK(refused.body.find("carekeep_") == std::string::npos);
  CHECK(get(port, "/metrics").status == 403);
  REQUIRE(elsewhere.wait_for_log("metrics_request_refused", 5s));
  CHECK(elsewhere.log_text().find(token) == std::string::npos);

  if (!short_token.wait_for_log("metrics_unavailable", 20s)) FAIL(short_token.log_text());
  CHECK_THAT(short_token.log_text(), Catch::Contains("at least 32 are needed"));
  CHECK(short_token.log_text().find("metrics_listening") == std::string::npos);
  CHECK(short_token.log_text().find("0123456789") == std::string::npos);

  for (auto* d : {&elsewhere, &short_token}) {
    d->signal(SIGTERM);
    CHECK(d->wait(15s) == 0);
  }
}
