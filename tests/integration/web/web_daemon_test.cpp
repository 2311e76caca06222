// The console of a real daemon (issue 16): HTTP from the test over real sockets, accounts made
// with the real `carekeep web user add`, results read back from the index and status.json.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <limits>
#include <regex>
#include <thread>

#include "alerts/alerts.hpp"
#include "index/index.hpp"
#include "status/status.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

struct Reply {
  int status = 0;
  std::string headers;
  std::string body;
  std::string header(const std::string& name) const {
    std::regex re("\r\n" + name + ": ([^\r]*)", std::regex::icase);
    std::smatch m;
    return std::regex_search(headers, m, re) ? std::string(m[1]) : std::string();
  }
  std::vector<std::string> cookies() const {
    std::vector<std::string> out;
    std::regex re("\r\nSet-Cookie: ([^\r]*)", std::regex::icase);
    for (std::sregex_iterator it(headers.begin(), headers.end(), re), end; it != end; ++it) out.push_back((*it)[1]);
    return out;
  }
};

Reply parse_reply(const std::string& raw) {
  Reply r;
  auto split = raw.find("\r\n\r\n");
  if (split == std::string::npos || raw.size() < 12) return r;
  r.headers = raw.substr(0, split);
  r.body = raw.substr(split + 4);
  r.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
  return r;
}

std::string request_text(const std::string& method, const std::string& target, const std::string& cookie,
                         const std::string& body) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!cookie.empty()) req += "Cookie: " + cookie + "\r\n";
  if (method == "POST") {
    req += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return req + "\r\n" + body;
}

// A TCP connection to the daemon on 127.0.0.1 from `from` (any 127/8 address is this host's,
// so a test can be several devices of the LAN at once).
int connect_loopback(std::uint16_t port, const char* from = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (from != nullptr) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One request over plain HTTP; no REQUIRE inside (it runs on many threads at once).
Reply http(std::uint16_t port, const std::string& method, const std::string& target, const std::string& cookie = "",
           const std::string& body = "", const char* from = nullptr) {
  int fd = connect_loopback(port, from);
  if (fd < 0) return {};
  auto req = request_text(method, target, cookie, body);
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return {};
  }
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return parse_reply(raw);
}

// One GET over TLS, trusting nothing: returns the reply and the SHA-256 of the certificate seen.
std::pair<Reply, std::string> https_get(std::uint16_t port, const std::string& target) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  int fd = connect_loopback(port);
  REQUIRE(fd >= 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  REQUIRE(SSL_connect(ssl) == 1);
  std::string fingerprint;
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    char hex[4];
    for (unsigned i = 0; i < len; ++i) {
      std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", md[i]);
      fingerprint += hex;
    }
    X509_free(cert);
  }
  auto req = request_text("GET", target, "", "");
  REQUIRE(SSL_write(ssl, req.data(), static_cast<int>(req.size())) == static_cast<int>(req.size()));
  std::string raw;
  char buf[4096];
  for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
  SSL_free(ssl);
  ::close(fd);
  SSL_CTX_free(ctx);
  return {parse_reply(raw), fingerprint};
}

std::string cookie_pair(const Reply& r, const std::string& name) {
  for (const auto& c : r.cookies())
    if (c.rfind(name + "=", 0) == 0) return c.substr(0, c.find(';'));
  return "";
}

std::uint16_t web_port(const test::DaemonProcess& daemon) {
  static const std::regex kPort("web_listening listen=127\\.0\\.0\\.1:0 port=([0-9]+)");
  std::smatch m;
  auto log = daemon.log_text();
  REQUIRE(std::regex_search(log, m, kPort));
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

std::string config_text(const test::TempDir& dir, const test::RtspTestServer& server, const std::string& web) {
  return "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + (dir / "media").string() +
         "\"\ndatabase = \"" + (dir / "state/index.db").string() +
         "\"\n[care_hours]\nmonday = [\"00:00-24:00\"]\ntuesday = [\"00:00-24:00\"]\n"
         "wednesday = [\"00:00-24:00\"]\nthursday = [\"00:00-24:00\"]\nfriday = [\"00:00-24:00\"]\n"
         "saturday = [\"00:00-24:00\"]\nsunday = [\"00:00-24:00\"]\n" +
         web + "\n[[camera]]\nid = \"cam\"\nname = \"午睡室\"\nurl = \"" + server.url("cam") +
         "\"\nsegment_seconds = 10\n"
         "[[camera]]\nid = \"gone\"\nurl = \"rtsp://127.0.0.1:1/gone\"\n"
         "[[zone]]\nid = \"nap\"\ncameras = [\"cam\"]\n"
         "[[zone]]\nid = \"dark\"\ncameras = [\"gone\"]\n";
}

std::optional<status::DaemonStatus> read_status(const test::TempDir& dir) {
  auto text = test::read_text(dir / "state/status.json");
  auto s = status::parse(text);
  if (!s) return std::nullopt;
  return *s;
}

void add_user(const test::TempDir& dir, const std::string& name, const std::string& role, const std::string& password) {
  auto run = test::run_command("printf '%s\\n' '" + password + "' | " + std::string(CAREKEEP_CLI_PATH) + " --config " +
                               (dir / "carekeep.toml").string() + " web user add " + name + " --role " + role + " 2>&1");
  INFO(run.out);
  REQUIRE(run.exit_code == 0);
}

// Logs in; returns the session cookie ("ck_session=...") or "" and the reply.
std::pair<std::string, Reply> login(std::uint16_t port, const std::string& user, const std::string& password) {
  auto r = http(port, "POST", "/login", "ck_login=t0k3n", "csrf=t0k3n&user=" + user + "&password=" + password);
  return {cookie_pair(r, "ck_session"), r};
}

std::string csrf_of(const Reply& page) {
  std::smatch m;
  return std::regex_search(page.body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")) ? std::string(m[1]) : "";
}

std::vector<index::AccessLogRow> access_log(const test::TempDir& dir) {
  auto index = index::Index::open_reader(dir / "state/index.db");
  REQUIRE(index);
  auto rows = index->access_log({from_us(0), from_us(std::numeric_limits<std::int64_t>::max())});
  REQUIRE(rows);
  return *rows;
}

}  // namespace

TEST_CASE("web: a real daemon's console refuses a wrong password, lets an operator and not a viewer acknowledge, "
          "and locks out 100 parallel guesses while recording goes on",
          "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  test::write_text(dir / "carekeep.toml",
                   config_text(dir, server, "[web]\nlisten = \"127.0.0.1:0\"\nhttps = false\nallow = [\"127.0.0.0/8\"]\n"));
  test::DaemonProcess daemon(CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log");
  daemon.start();
  REQUIRE(daemon.wait_for_log("web_listening", 20s));
  auto port = web_port(daemon);
  add_user(dir, "op", "operator", "correct horse 1");
  add_user(dir, "viewer", "viewer", "battery staple 2");

  // The login page, in Chinese; a stranger is sent to it.
  auto page = http(port, "GET", "/login");
  REQUIRE(page.status == 200);
  CHECK(page.body.find("登录") != std::string::npos);
  CHECK(http(port, "GET", "/overview").status == 303);

  // A wrong password: refused and logged with the account and the source, never the password.
  auto [no_session, wrong] = login(port, "op", "not+it");
  CHECK(wrong.status == 401);
  CHECK(no_session.empty());
  bool failed_logged = false;
  for (const auto& row : access_log(dir)) {
    CHECK(row.arguments.find("not it") == std::string::npos);
    if (row.action == "login_failed" && row.user == "web:op" &&
        row.arguments.find("\"source\":\"127.0.0.1\"") != std::string::npos)
      failed_logged = true;
  }
  CHECK(failed_logged);

  // An open alert to acknowledge: the zone whose only camera never connects is uncovered.
  std::int64_t alert_id = 0;
  REQUIRE(test::wait_until(
      [&] {
        auto s = read_status(dir);
        if (!s) return false;
        for (const auto& a : s->alerts)
          if (a.kind == alerts::kZoneUncovered && a.subject == "dark") alert_id = a.id;
        return alert_id != 0;
      },
      30s));

  // A viewer sees the overview but may not acknowledge.
  auto [viewer, viewer_login] = login(port, "viewer", "battery+staple+2");
  REQUIRE(viewer_login.status == 303);
  auto viewer_page = http(port, "GET", "/overview", viewer);
  REQUIRE(viewer_page.status == 200);
  CHECK(viewer_page.body.find("午睡室") != std::string::npos);
  CHECK(viewer_page.body.find("action=\"/alerts/ack\"") == std::string::npos);
  auto refused = http(port, "POST", "/alerts/ack", viewer, "alert=" + std::to_string(alert_id) + "&csrf=" + csrf_of(viewer_page));
  CHECK(refused.status == 403);
  {
    auto index = index::Index::open_reader(dir / "state/index.db");
    REQUIRE(index);
    auto row = index->alert(alert_id);
    REQUIRE(row);
    REQUIRE(*row);
    CHECK(!(*row)->acknowledged);
  }

  // The operator acknowledges it, through the same lib code as `carekeep alerts ack`.
  auto [op, op_login] = login(port, "op", "correct+horse+1");
  REQUIRE(op_login.status == 303);
  auto op_page = http(port, "GET", "/overview", op);
  REQUIRE(op_page.status == 200);
  // Without the CSRF token nothing happens.
  CHECK(http(port, "POST", "/alerts/ack", op, "alert=" + std::to_string(alert_id)).status == 403);
  auto acked = http(port, "POST", "/alerts/ack", op, "alert=" + std::to_string(alert_id) + "&csrf=" + csrf_of(op_page));
  CHECK(acked.status == 303);
  CHECK(acked.header("Location") == "/overview?ack=ok");
  {
    auto index = index::Index::open_reader(dir / "state/index.db");
    REQUIRE(index);
    auto row = index->alert(alert_id);
    REQUIRE(row);
    REQUIRE(*row);
    CHECK((*row)->acknowledged);
    CHECK((*row)->acknowledged_by == std::optional<std::string>("web:op"));
  }
  bool ack_logged = false, view_logged = false, login_logged = false;
  for (const auto& row : access_log(dir)) {
    ack_logged |= row.action == "alert_ack" && row.user == "web:op" && row.result == "ok";
    view_logged |= row.action == "page_view" && row.user == "web:viewer";
    login_logged |= row.action == "login" && row.user == "web:op";
  }
  CHECK(ack_logged);
  CHECK(view_logged);
  CHECK(login_logged);

  // 100 parallel guesses from another device of the LAN: all refused, the account locked,
  // and the camera keeps recording.
  auto before = read_status(dir);
  REQUIRE(before);
  std::string last_segment = before->find_camera("cam")->live->last_segment;
  auto rows_before = access_log(dir).size();
  std::atomic<int> let_in{0}, answered{0}, closed{0};
  std::vector<std::thread> guessers;
  for (int i = 0; i < 100; ++i) {
    guessers.emplace_back([&, i] {
      auto r = http(port, "POST", "/login", "ck_login=t", "csrf=t&user=op&password=guess" + std::to_string(i), "127.0.0.2");
      if (r.status == 303) ++let_in;
      if (r.status == 401 || r.status == 429 || r.status == 503) ++answered;
      if (r.status == 0) ++closed;  // beyond 16 connections from one source: closed unanswered
    });
  }
  for (auto& t : guessers) t.join();
  CHECK(let_in == 0);
  CHECK(answered + closed == 100);
  CHECK(answered >= 16);
  auto [locked_session, locked] = login(port, "op", "correct+horse+1");
  CHECK(locked.status == 429);
  CHECK(locked_session.empty());
  // The operator's browser, which logged in before, still gets in: its device cookie.
  auto device = cookie_pair(op_login, "ck_device");
  REQUIRE(!device.empty());
  auto with_device = http(port, "POST", "/login", "ck_login=t0k3n; " + device, "csrf=t0k3n&user=op&password=correct+horse+1");
  CHECK(with_device.status == 303);
  CHECK(!cookie_pair(with_device, "ck_session").empty());
  // The guesses wrote a bounded number of rows: the five checked, one refusal (the rest are
  // counted into the next one a minute later), the two logins above.
  auto rows_after = access_log(dir).size();
  CHECK(rows_after - rows_before <= 10);
  int changes = 0;
  CHECK(test::wait_until(
      [&] {
        auto s = read_status(dir);
        if (!s || !s->find_camera("cam") || !s->find_camera("cam")->live) return false;
        auto now_last = s->find_camera("cam")->live->last_segment;
        if (now_last != last_segment) {
          last_segment = now_last;
          ++changes;
        }
        return changes >= 2 && s->find_camera("cam")->up;
      },
      40s));
  int failures = 0;
  for (const auto& row : access_log(dir)) failures += row.action == "login_failed" ? 1 : 0;
  CHECK(failures >= 1 + 5 + 1);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
}

TEST_CASE("web: a source outside [web] allow is refused", "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  // 127.0.0.1 is not in 10.0.0.0/8: the test's own requests are the stranger's.
  test::write_text(dir / "carekeep.toml",
                   config_text(dir, server, "[web]\nlisten = \"127.0.0.1:0\"\nhttps = false\nallow = [\"10.0.0.0/8\"]\n"));
  test::DaemonProcess daemon(CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log");
  daemon.start();
  REQUIRE(daemon.wait_for_log("web_listening", 20s));
  auto port = web_port(daemon);
  CHECK(http(port, "GET", "/login").status == 403);
  CHECK(http(port, "POST", "/login", "ck_login=t", "csrf=t&user=op&password=x").status == 403);
  CHECK(daemon.wait_for_log("web_source_refused", 10s));
  // A scan from a refused network is said once a minute with a count, not once a request
  // (journald would drop the daemon's other lines beyond its rate limit).
  for (int i = 0; i < 50; ++i) CHECK(http(port, "GET", "/login").status == 403);
  auto log = daemon.log_text();
  std::size_t lines = 0;
  for (auto at = log.find("web_source_refused"); at != std::string::npos; at = log.find("web_source_refused", at + 1))
    ++lines;
  CHECK(lines == 1);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
}

TEST_CASE("web: over HTTPS the daemon serves the certificate it made, whose fingerprint status.json shows",
          "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  test::write_text(dir / "carekeep.toml", config_text(dir, server, "[web]\nlisten = \"127.0.0.1:0\"\n"));
  test::DaemonProcess daemon(CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log");
  daemon.start();
  REQUIRE(daemon.wait_for_log("web_listening", 20s));
  auto port = web_port(daemon);
  struct stat st {};
  REQUIRE(::stat((dir / "state/web-key.pem").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::optional<status::DaemonStatus> s;
  REQUIRE(test::wait_until([&] { return (s = read_status(dir)) && s->web; }, 20s));
  CHECK(s->web->https);
  CHECK(s->web->port == port);
  auto [reply, fingerprint] = https_get(port, "/login");
  CHECK(reply.status == 200);
  CHECK(fingerprint == s->web->fingerprint_sha256);
  CHECK(reply.body.find(s->web->fingerprint_sha256) != std::string::npos);  // the login page's help text
  auto session_cookie = cookie_pair(reply, "ck_login");
  CHECK(!session_cookie.empty());
  bool secure = false;
  for (const auto& c : reply.cookies()) secure |= c.find("; Secure") != std::string::npos;
  CHECK(secure);
  // carekeep status shows the same fingerprint (the person compares it with the browser's).
  auto cli = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + (dir / "carekeep.toml").string() +
                               " status 2>&1");
  INFO(cli.out);
  CHECK(cli.out.find("web console: https://127.0.0.1:0 (port " + std::to_string(port) + "); certificate SHA-256 " +
                     s->web->fingerprint_sha256) != std::string::npos);
  auto doctor = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + (dir / "carekeep.toml").string() +
                                  " doctor --json 2>&1");
  INFO(doctor.out);
  CHECK(doctor.out.find("certificate SHA-256 " + s->web->fingerprint_sha256) != std::string::npos);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
}

TEST_CASE("web: over TLS one source cannot hold every connection, and SIGTERM closes slow ones at once",
          "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  test::write_text(dir / "carekeep.toml", config_text(dir, server, "[web]\nlisten = \"127.0.0.1:0\"\n"));
  test::DaemonProcess daemon(CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log");
  daemon.start();
  REQUIRE(daemon.wait_for_log("web_listening", 20s));
  auto port = web_port(daemon);
  // A chunked request whose one chunk extension is 64 MiB (Beast bounds the header and the
  // body, not extensions): the daemon stops reading at its buffer's bound, its memory does
  // not grow with it.
  {
    auto rss_kib = [&] {
      std::ifstream status("/proc/" + std::to_string(daemon.pid()) + "/status");
      std::string line;
      while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
      return 0L;
    };
    auto before = rss_kib();
    std::signal(SIGPIPE, SIG_IGN);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx != nullptr);
    int fd = connect_loopback(port);
    REQUIRE(fd >= 0);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    REQUIRE(SSL_connect(ssl) == 1);
    std::string head = "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n1;";
    REQUIRE(SSL_write(ssl, head.data(), static_cast<int>(head.size())) > 0);
    std::string extension(1 << 20, 'e');
    std::size_t written = 0;
    while (written < (64u << 20) && SSL_write(ssl, extension.data(), static_cast<int>(extension.size())) > 0)
      written += extension.size();
    CHECK(written < (8u << 20));  // the daemon closed the connection early
    CHECK(rss_kib() - before < 16 * 1024);
    SSL_free(ssl);
    ::close(fd);
    SSL_CTX_free(ctx);
  }
  // A device of the LAN opens connections and never starts its TLS handshake (slowloris).
  std::vector<int> slow;
  for (int i = 0; i < 16; ++i) {
    int fd = connect_loopback(port, "127.0.0.2");
    REQUIRE(fd >= 0);
    slow.push_back(fd);
  }
  // Its next one is closed at once, without waiting for the 10 s deadline.
  int extra = connect_loopback(port, "127.0.0.2");
  REQUIRE(extra >= 0);
  timeval wait_at_most{3, 0};
  ::setsockopt(extra, SOL_SOCKET, SO_RCVTIMEO, &wait_at_most, sizeof wait_at_most);
  char byte = 0;
  CHECK(::recv(extra, &byte, 1, 0) == 0);
  ::close(extra);
  CHECK(daemon.wait_for_log("web_connection_refused", 5s));
  // Everyone else is served meanwhile.
  auto [page, fingerprint] = https_get(port, "/login");
  CHECK(page.status == 200);
  // SIGTERM with slow connections just opened (their 10 s deadline far away): the daemon
  // closes them and stops within 5 s.
  for (int i = 0; i < 8; ++i) {
    int fd = connect_loopback(port, "127.0.0.3");
    REQUIRE(fd >= 0);
    slow.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);  // accepted
  auto asked = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(5s) == 0);
  CHECK(std::chrono::steady_clock::now() - asked < 5s);
  for (int fd : slow) ::close(fd);
}
