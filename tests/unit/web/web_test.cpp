#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "support/temp_dir.hpp"
#include "web/catalog.hpp"
#include "web/certificate.hpp"
#include "web/console.hpp"
#include "web/guard.hpp"
#include "web/password.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

struct Logged {
  std::string action, user, arguments, result;
};

class FakeBackend final : public web::Backend {
 public:
  status::DaemonStatus state;
  std::map<std::string, index::WebAccountRow> accounts;
  std::vector<Logged> log;
  std::vector<std::pair<std::int64_t, std::string>> acks;

  status::DaemonStatus status() override { return state; }
  Result<std::optional<index::WebAccountRow>> account(std::string_view name) override {
    auto it = accounts.find(std::string(name));
    if (it == accounts.end()) return std::optional<index::WebAccountRow>();
    return std::optional<index::WebAccountRow>(it->second);
  }
  Status acknowledge_alert(std::int64_t id, std::string_view by) override {
    acks.emplace_back(id, std::string(by));
    return {};
  }
  void log_access(std::string_view action, std::string_view user, std::string_view arguments,
                  std::string_view result) override {
    log.push_back({std::string(action), std::string(user), std::string(arguments), std::string(result)});
  }
  void add(const std::string& name, const std::string& role, const std::string& password) {
    // A small N keeps the test fast; the parameters travel in the stored string.
    auto hash = web::hash_password(password, {1u << 10, 8, 1}).value();
    accounts[name] = {name, role, hash, UtcTime{}, UtcTime{}, "root"};
  }
};

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

struct Fixture {
  FakeClock clock{from_us(1'800'000'000'000'000)};
  FakeBackend backend;
  web::Console console;
  explicit Fixture(bool https = true, std::vector<std::string> allow = {"127.0.0.0/8", "192.168.1.0/24"})
      : console(backend, clock, web::AllowList::from_config(allow), settings(https)) {
    backend.add("op", "operator", "correct horse");
    backend.add("view", "viewer", "battery staple");
    backend.state.updated = clock.now();
    backend.state.cameras.push_back({"nap", "午睡室", true, true, status::CameraLive{}});
    status::CameraLive down;
    down.cause = "timeout";
    down.reason = "the camera stopped sending";
    backend.state.cameras.push_back({"yard", "院子", true, false, down});
    backend.state.zones = {{"nap", true}, {"play", false}};
    backend.state.disk = status::Disk{2'000'000'000'000, 1'000'000'000'000};
    backend.state.forecast_care_days = 120.5;
    alerts::Alert a;
    a.id = 7;
    a.kind = "camera_offline";
    a.subject = "yard";
    a.message = "yard down";
    a.raised = a.last_seen = clock.now();
    backend.state.alerts.push_back(a);
  }
  static web::ConsoleSettings settings(bool https) {
    web::ConsoleSettings s;
    s.https = https;
    s.fingerprint_sha256 = "AB:CD";
    s.site_name = "阳光托育点";
    s.zone = TimeZone::locate("Asia/Shanghai").value();
    return s;
  }

  web::Response respond(const web::Request& r) {
    auto outcome = console.handle(r);
    if (auto* response = std::get_if<web::Response>(&outcome)) return *response;
    auto check = std::get<web::Console::PasswordCheck>(outcome);
    return console.finish_login(check, web::verify_password(check.password, check.stored_hash));
  }
  web::Response get(const std::string& target, const std::string& cookie = "", const char* from = "127.0.0.1") {
    return respond({"GET", target, cookie, "", "", ip(from)});
  }
  web::Response post(const std::string& target, const std::string& body, const std::string& cookie = "",
                     const char* from = "127.0.0.1") {
    return respond({"POST", target, cookie, "application/x-www-form-urlencoded", body, ip(from)});
  }
  // GET /login, then POST it: the Set-Cookie of the response (or "" when none).
  // `cookies`: more for the Cookie header ("ck_device=...").
  web::Response login(const std::string& user, const std::string& password, const char* from = "127.0.0.1",
                      const std::string& cookies = "") {
    auto page = get("/login", "", from);
    auto token = cookie_value(page, web::kLoginCookie);
    return post("/login", "csrf=" + token + "&user=" + user + "&password=" + password,
                std::string(web::kLoginCookie) + "=" + token + (cookies.empty() ? "" : "; " + cookies), from);
  }
  static std::string cookie_value(const web::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie" && v.rfind(std::string(name) + "=", 0) == 0) {
        auto end = v.find(';');
        return v.substr(name.size() + 1, end - name.size() - 1);
      }
    }
    return "";
  }
  static std::string set_cookie(const web::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
      if (k == "Set-Cookie" && v.rfind(std::string(name) + "=", 0) == 0) return v;
    return "";
  }
  // A logged-in session: its cookie header and CSRF token (from the overview's logout form).
  std::pair<std::string, std::string> session(const std::string& user, const std::string& password) {
    auto r = login(user, password);
    REQUIRE(r.status == 303);
    auto cookie = std::string(web::kSessionCookie) + "=" + cookie_value(r, web::kSessionCookie);
    auto page = get("/overview", cookie);
    REQUIRE(page.status == 200);
    std::smatch m;
    REQUIRE(std::regex_search(page.body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
    return {cookie, m[1]};
  }
};

}  // namespace

TEST_CASE("web: routing sends strangers to the login page and unknown paths to 404", "[web]") {
  Fixture f;
  auto root = f.get("/");
  CHECK(root.status == 303);
  CHECK(*root.header("Location") == "/login");
  auto overview = f.get("/overview");
  CHECK(overview.status == 303);
  CHECK(f.get("/login").status == 200);
  CHECK(f.get("/nothing").status == 404);
  CHECK(f.get("/static/console.css").status == 200);
  CHECK(f.get("/static/other.css").status == 404);
  CHECK(f.respond({"DELETE", "/login", "", "", "", ip("127.0.0.1")}).status == 405);
  auto [cookie, csrf] = f.session("op", "correct+horse");
  (void)csrf;
  CHECK(*f.get("/", cookie).header("Location") == "/overview");
  CHECK(f.get("/admin", cookie).status == 404);
}

TEST_CASE("web: path traversal in any route is 404", "[web]") {
  Fixture f;
  for (const char* target : {"/static/../index.db", "/static/%2e%2e/index.db", "/static/%2E%2E%2Fstatus.json",
                             "/../../etc/passwd", "//etc/passwd", "/static/./console.css", "/static\\console.css",
                             "/static/console.css%00.png", "relative", "", "/%zz", "/static/%2"}) {
    INFO(target);
    CHECK(f.get(target).status == 404);
  }
  CHECK(!web::clean_path("/a/../b"));
  CHECK(web::clean_path("/a/b?x=../..") == std::optional<std::string>("/a/b"));
}

TEST_CASE("web: session cookies are HttpOnly, SameSite=Strict and Secure over HTTPS", "[web]") {
  {
    Fixture f(true);
    auto r = f.login("op", "correct+horse");
    REQUIRE(r.status == 303);
    auto c = Fixture::set_cookie(r, web::kSessionCookie);
    CHECK(c.find("HttpOnly") != std::string::npos);
    CHECK(c.find("SameSite=Strict") != std::string::npos);
    CHECK(c.find("Secure") != std::string::npos);
    CHECK(Fixture::cookie_value(r, web::kSessionCookie).size() == 64);
    CHECK(Fixture::set_cookie(f.get("/login"), web::kLoginCookie).find("HttpOnly") != std::string::npos);
  }
  {
    Fixture f(false);  // loopback plain HTTP: a Secure cookie would never come back
    auto c = Fixture::set_cookie(f.login("op", "correct+horse"), web::kSessionCookie);
    CHECK(c.find("HttpOnly") != std::string::npos);
    CHECK(c.find("Secure") == std::string::npos);
  }
}

TEST_CASE("web: a POST without the session's CSRF token is refused and changes nothing", "[web]") {
  Fixture f;
  auto [cookie, csrf] = f.session("op", "correct+horse");
  CHECK(f.post("/alerts/ack", "alert=7", cookie).status == 403);
  CHECK(f.post("/alerts/ack", "alert=7&csrf=" + std::string(64, '0'), cookie).status == 403);
  CHECK(f.post("/alerts/ack", "alert=7&csrf=" + csrf.substr(1), cookie).status == 403);
  CHECK(f.respond({"POST", "/alerts/ack", cookie, "text/plain", "alert=7&csrf=" + csrf, ip("127.0.0.1")}).status == 400);
  CHECK(f.backend.acks.empty());
  CHECK(f.post("/logout", "", cookie).status == 403);
  CHECK(f.get("/overview", cookie).status == 200);  // still logged in: the forged logout did nothing
  // The login form's token must match its cookie (no login CSRF).
  CHECK(f.post("/login", "csrf=abc&user=op&password=correct+horse", "ck_login=def").status == 403);
  CHECK(f.post("/login", "user=op&password=correct+horse").status == 403);
  bool logged = false;
  for (const auto& l : f.backend.log) logged |= l.action == "csrf_refused" && l.user == "web:op";
  CHECK(logged);
}

TEST_CASE("web: the allow list refuses other networks before anything else", "[web]") {
  Fixture f(true, {"192.168.1.0/24"});
  CHECK(f.get("/login", "", "192.168.1.20").status == 200);
  CHECK(f.get("/login", "", "::ffff:192.168.1.20").status == 200);  // a dual-stack socket's view
  CHECK(f.get("/login", "", "192.168.2.20").status == 403);
  CHECK(f.get("/login", "", "127.0.0.1").status == 403);
  CHECK(f.login("op", "correct+horse", "10.0.0.1").status == 403);
  CHECK(f.backend.log.empty());  // refused sources never reach the access log (only the journal)
  auto a = web::AllowList::from_config({});  // default: this box's networks and loopback
  CHECK(a.allows(ip("127.0.0.1")));
  CHECK(a.allows(ip("::1")));
  CHECK(!Cidr::parse("192.168.1.5/24"));  // host bits set
  CHECK(!Cidr::parse("192.168.1.0/33"));
  CHECK(!Cidr::parse("300.1.1.1"));
  CHECK(!Cidr::parse("192.168.1.0/"));
  CHECK(!Cidr::parse("fd00::/129"));
  CHECK(Cidr::parse("fd00::/8")->contains(ip("fd12::1")));
  CHECK(!Cidr::parse("fd00::/8")->contains(ip("192.168.1.1")));
  CHECK(Cidr::parse("0.0.0.0/0")->contains(ip("8.8.8.8")));
}

TEST_CASE("web: five failed logins lock the account and the source for 15 minutes", "[web]") {
  Fixture f;
  for (int i = 0; i < web::LoginLimiter::kMaxFailures; ++i) CHECK(f.login("op", "wrong+password").status == 401);
  // Locked: even the right password is refused, without a password check.
  auto page = f.get("/login");
  auto token = Fixture::cookie_value(page, web::kLoginCookie);
  auto outcome = f.console.handle({"POST", "/login", "ck_login=" + token, "application/x-www-form-urlencoded",
                                   "csrf=" + token + "&user=op&password=correct+horse", ip("127.0.0.1")});
  REQUIRE(std::holds_alternative<web::Response>(outcome));
  CHECK(std::get<web::Response>(outcome).status == 429);
  // Another account from the same source is locked too (per source address).
  CHECK(f.login("view", "battery+staple").status == 429);
  // From elsewhere, the account itself stays locked.
  CHECK(f.login("op", "correct+horse", "192.168.1.9").status == 429);
  f.clock.advance(web::LoginLimiter::kLockout + 1s);
  CHECK(f.login("op", "correct+horse").status == 303);
  std::size_t failed = 0;
  for (const auto& l : f.backend.log) {
    if (l.action == "login_failed") ++failed;
    CHECK(l.arguments.find("wrong") == std::string::npos);  // no password ever reaches the log
    CHECK(l.arguments.find("correct") == std::string::npos);
  }
  CHECK(failed >= 7);
}

TEST_CASE("web: an unknown account fails like a wrong password and is logged with its source, not the name typed",
          "[web]") {
  Fixture f;
  // A careless operator types her password in the user field: it must not reach the log.
  auto r = f.login("correct+horse", "whatever+1");
  CHECK(r.status == 401);
  CHECK(r.body.find("用户名或密码错误") != std::string::npos);
  REQUIRE(!f.backend.log.empty());
  CHECK(f.backend.log.back().action == "login_failed");
  CHECK(f.backend.log.back().user == "web:");
  CHECK(f.backend.log.back().result == "refused: no such account");
  CHECK(f.backend.log.back().arguments.find("\"source\":\"127.0.0.1\"") != std::string::npos);
  // Nor once the source is locked and refusals are logged without checking a password.
  for (int i = 0; i < web::LoginLimiter::kMaxFailures; ++i) f.login("correct+horse", "whatever+1");
  CHECK(f.login("correct+horse", "whatever+1").status == 429);
  f.clock.advance(2min);
  CHECK(f.login("correct+horse", "whatever+1").status == 429);
  for (const auto& l : f.backend.log) {
    CHECK(l.user.find("correct") == std::string::npos);
    CHECK(l.arguments.find("correct") == std::string::npos);
  }
  // A known account's failures name it (the regulation: who tried).
  f.clock.advance(web::LoginLimiter::kLockout);
  CHECK(f.login("view", "wrong+one").status == 401);
  CHECK(f.backend.log.back().user == "web:view");
}

TEST_CASE("web: a guesser who locks an account does not lock out a browser that logged in to it before", "[web]") {
  Fixture f;
  // The operator logged in yesterday from her laptop: her browser keeps a device cookie.
  auto first = f.login("op", "correct+horse", "192.168.1.10");
  REQUIRE(first.status == 303);
  auto device_set = Fixture::set_cookie(first, web::kDeviceCookie);
  CHECK(device_set.find("HttpOnly") != std::string::npos);
  CHECK(device_set.find("SameSite=Strict") != std::string::npos);
  CHECK(device_set.find("Secure") != std::string::npos);
  CHECK(device_set.find("Path=/login") != std::string::npos);
  auto device = std::string(web::kDeviceCookie) + "=" + Fixture::cookie_value(first, web::kDeviceCookie);
  f.clock.advance(20h);
  // A device elsewhere on the LAN guesses, locks the account, and does so again each time it
  // is let go: without device cookies, she would never get in.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < web::LoginLimiter::kMaxFailures; ++i) f.login("op", "guess" + std::to_string(i), "192.168.1.66");
    CHECK(f.login("op", "correct+horse", "192.168.1.11").status == 429);  // a browser without her cookie
    CHECK(f.login("op", "correct+horse", "192.168.1.10").status == 429);  // her laptop without it
    CHECK(f.login("op", "correct+horse", "192.168.1.10", device).status == 303);  // with it
    f.clock.advance(web::LoginLimiter::kLockout + 1s);
  }
  for (int i = 0; i < web::LoginLimiter::kMaxFailures; ++i) f.login("op", "guess", "192.168.1.66");
  // The cookie proves nothing but the account it was made for, and only unaltered.
  auto forged = device;
  forged.back() = forged.back() == '0' ? '1' : '0';
  CHECK(f.login("op", "correct+horse", "192.168.1.10", forged).status == 429);
  auto viewer = f.login("view", "battery+staple", "192.168.1.12");
  REQUIRE(viewer.status == 303);
  auto viewer_device = std::string(web::kDeviceCookie) + "=" + Fixture::cookie_value(viewer, web::kDeviceCookie);
  CHECK(f.login("op", "correct+horse", "192.168.1.12", viewer_device).status == 429);
  // Guesses made with the cookie lock the cookie, not the account for others.
  f.clock.advance(web::LoginLimiter::kLockout + 1s);
  for (int i = 0; i < web::LoginLimiter::kMaxFailures; ++i)
    CHECK(f.login("op", "wrong" + std::to_string(i), "192.168.1.20", device).status == 401);
  CHECK(f.login("op", "correct+horse", "192.168.1.21", device).status == 429);
  CHECK(f.login("op", "correct+horse", "192.168.1.22").status == 303);
  // It expires.
  f.clock.advance(web::kDeviceCookieLife + 1h);
  for (int i = 0; i < web::LoginLimiter::kMaxFailures; ++i) f.login("op", "guess", "192.168.1.66");
  CHECK(f.login("op", "correct+horse", "192.168.1.10", device).status == 429);
}

TEST_CASE("web: refused logins reach the access log once a minute per source with a count, not once each", "[web]") {
  Fixture f;
  auto rows = [&] {
    std::size_t n = 0;
    for (const auto& l : f.backend.log) n += l.action == "login_failed" ? 1 : 0;
    return n;
  };
  // Empty or overlong fields count as failures: unbounded, each would write a row.
  for (int i = 0; i < 200; ++i) CHECK(f.login("", "", "192.168.1.30").status >= 400);
  CHECK(rows() <= 2);
  for (int i = 0; i < 200; ++i) f.login("op", "guess" + std::to_string(i), "192.168.1.31");
  auto after_storm = rows();
  CHECK(after_storm <= 2 + web::LoginLimiter::kMaxFailures + 1);
  CHECK(f.login("op", "correct+horse", "192.168.1.31").status == 429);
  f.clock.advance(61s);
  CHECK(f.login("op", "guess", "192.168.1.31").status == 429);
  REQUIRE(rows() == after_storm + 1);
  const auto& summary = f.backend.log.back();
  CHECK(summary.user == "web:op");
  CHECK(summary.arguments.find("\"refusals_not_logged_since_last_row\":\"195\"") != std::string::npos);
  // A storm's tail is written when its minute is over (the daemon asks every minute), or at
  // stop, even when the source stops sending.
  // 192.168.1.30 stopped sending a minute ago: its tail (199 refusals) is overdue.
  f.console.flush_refusals();
  REQUIRE(rows() == after_storm + 2);
  CHECK(f.backend.log.back().arguments.find("\"source\":\"192.168.1.30\"") != std::string::npos);
  CHECK(f.backend.log.back().arguments.find("\"refusals_not_logged_since_last_row\":\"199\"") != std::string::npos);
  for (int i = 0; i < 30; ++i) f.login("op", "guess", "192.168.1.31");
  f.console.flush_refusals();
  CHECK(rows() == after_storm + 2);  // 192.168.1.31's minute is not over
  f.clock.advance(61s);
  f.console.flush_refusals();
  REQUIRE(rows() == after_storm + 3);
  CHECK(f.backend.log.back().arguments.find("\"source\":\"192.168.1.31\"") != std::string::npos);
  CHECK(f.backend.log.back().arguments.find("\"refusals_not_logged_since_last_row\":\"30\"") != std::string::npos);
  f.console.flush_refusals();
  CHECK(rows() == after_storm + 3);  // nothing left
  f.login("op", "guess", "192.168.1.31");
  f.console.flush_refusals(true);
  CHECK(f.backend.log.back().arguments.find("\"refusals_not_logged_since_last_row\":\"1\"") != std::string::npos);
}

TEST_CASE("web: IPv6 sources of one /64 count as one source for the lockout", "[web]") {
  Fixture f(true, {"fd00::/8"});
  CHECK(web::source_key(ip("fd00:1:2:3:aaaa::1")) == "fd00:1:2:3::/64");
  CHECK(web::source_key(ip("::ffff:192.168.1.7")) == "192.168.1.7");
  // Five guesses, each from a fresh address of the same /64 and at another name.
  for (int i = 0; i < web::LoginLimiter::kMaxFailures; ++i) {
    auto from = "fd00:1:2:3::" + std::to_string(100 + i);
    f.login("nobody" + std::to_string(i), "guess", from.c_str());
  }
  CHECK(f.login("view", "battery+staple", "fd00:1:2:3:ffff::9").status == 429);
  CHECK(f.login("view", "battery+staple", "fd00:1:2:4::9").status == 303);
}

TEST_CASE("web: a session ends when its account is removed or its password or role changes", "[web]") {
  Fixture f;
  {
    auto [cookie, csrf] = f.session("op", "correct+horse");
    (void)csrf;
    f.backend.add("op", "operator", "a new password");  // carekeep web user passwd
    CHECK(f.get("/overview", cookie).status == 303);
    CHECK(f.backend.log.back().action == "session_ended");
    CHECK(f.backend.log.back().user == "web:op");
  }
  {
    auto [cookie, csrf] = f.session("view", "battery+staple");
    f.backend.accounts.erase("view");  // carekeep web user remove
    CHECK(f.post("/logout", "csrf=" + csrf, cookie).status == 403);
    CHECK(f.get("/overview", cookie).status == 303);
  }
  {
    auto [cookie, csrf] = f.session("op", "a+new+password");
    f.backend.accounts["op"].role = "viewer";
    CHECK(f.post("/alerts/ack", "alert=7&csrf=" + csrf, cookie).status == 403);
    CHECK(f.backend.acks.empty());
  }
}

TEST_CASE("web: an operator acknowledges an alert, a viewer may not", "[web]") {
  Fixture f;
  {
    auto [cookie, csrf] = f.session("view", "battery+staple");
    auto page = f.get("/overview", cookie);
    CHECK(page.body.find("action=\"/alerts/ack\"") == std::string::npos);  // no button
    CHECK(f.post("/alerts/ack", "alert=7&csrf=" + csrf, cookie).status == 403);
    CHECK(f.backend.acks.empty());
    CHECK(f.backend.log.back().action == "alert_ack");
    CHECK(f.backend.log.back().result.find("refused") == 0);
  }
  {
    auto [cookie, csrf] = f.session("op", "correct+horse");
    CHECK(f.get("/overview", cookie).body.find("action=\"/alerts/ack\"") != std::string::npos);
    auto r = f.post("/alerts/ack", "alert=7&csrf=" + csrf, cookie);
    CHECK(r.status == 303);
    CHECK(*r.header("Location") == "/overview?ack=ok");
    REQUIRE(f.backend.acks.size() == 1);
    CHECK(f.backend.acks[0] == std::make_pair(std::int64_t{7}, std::string("web:op")));
    CHECK(f.post("/alerts/ack", "alert=x7&csrf=" + csrf, cookie).status == 400);
    CHECK(f.post("/alerts/ack", "alert=99999999999999999999&csrf=" + csrf, cookie).status == 400);
  }
}

TEST_CASE("web: the overview shows tiles, zones, storage and alerts in Chinese and logs the view", "[web]") {
  Fixture f;
  auto [cookie, csrf] = f.session("op", "correct+horse");
  (void)csrf;
  auto page = f.get("/overview", cookie);
  CHECK(page.body.find("lang=\"zh-CN\"") != std::string::npos);
  CHECK(page.body.find("午睡室") != std::string::npos);
  CHECK(page.body.find("正在录像") != std::string::npos);
  CHECK(page.body.find("未录像") != std::string::npos);
  CHECK(page.body.find("timeout") != std::string::npos);
  CHECK(page.body.find("无画面覆盖") != std::string::npos);
  CHECK(page.body.find("120.5") != std::string::npos);
  CHECK(page.body.find("yard down") != std::string::npos);
  CHECK(page.body.find("2027-01-15T16:00:00+08:00") != std::string::npos);  // local time of the site
  bool viewed = false;
  for (const auto& l : f.backend.log) viewed |= l.action == "page_view" && l.user == "web:op";
  CHECK(viewed);
  // Hostile names are escaped.
  f.backend.state.cameras[0].name = "<script>alert(1)</script>";
  CHECK(f.get("/overview", cookie).body.find("<script>") == std::string::npos);
  // A stale status says so.
  f.clock.advance(1min);
  CHECK(f.get("/overview", cookie).body.find("状态已过期") != std::string::npos);
}

TEST_CASE("web: a session ends after its idle time and at logout", "[web]") {
  Fixture f;
  auto [cookie, csrf] = f.session("op", "correct+horse");
  (void)csrf;
  f.clock.advance(29min);
  CHECK(f.get("/overview", cookie).status == 200);
  f.clock.advance(31min);
  CHECK(f.get("/overview", cookie).status == 303);
  auto [cookie2, csrf2] = f.session("op", "correct+horse");
  CHECK(f.post("/logout", "csrf=" + csrf2, cookie2).status == 303);
  CHECK(f.get("/overview", cookie2).status == 303);
  CHECK(f.get("/overview", "ck_session=" + std::string(64, 'a')).status == 303);  // a guessed id
}

TEST_CASE("web: the catalogue has every message in both languages", "[web]") {
  for (int i = 0; i < static_cast<int>(web::Msg::Count); ++i) {
    auto msg = static_cast<web::Msg>(i);
    INFO("message " << i);
    CHECK(!web::text(msg, web::Language::Zh).empty());
    CHECK(!web::text(msg, web::Language::En).empty());
  }
  CHECK(web::text(web::Msg::LoginHeading, web::Language::Zh) == "登录");
  CHECK(web::parse_language("en") == web::Language::En);
  CHECK(web::parse_language("fr") == web::Language::Zh);
}

TEST_CASE("web: passwords are scrypt hashes with their own salt, and hostile hashes are refused", "[web]") {
  auto a = web::hash_password("correct horse").value();
  auto b = web::hash_password("correct horse").value();
  CHECK(a != b);  // per-hash salt
  CHECK(a.rfind("scrypt$16384$8$1$", 0) == 0);
  CHECK(a.find("correct") == std::string::npos);
  CHECK(web::verify_password("correct horse", a));
  CHECK(!web::verify_password("correct horsE", a));
  CHECK(!web::verify_password("", a));
  CHECK(!web::hash_password(""));
  CHECK(!web::verify_password("x", "plain"));
  CHECK(!web::verify_password("x", "scrypt$1073741824$8$1$00112233445566778899$" + std::string(64, '0')));  // 1 TiB
  CHECK(!web::verify_password("x", "scrypt$16384$8$1$zz$" + std::string(64, '0')));
  CHECK(!web::verify_password("x", "scrypt$16384$8$1$0011223344556677$00"));
  CHECK(web::random_token().size() == 64);
}

TEST_CASE("web: the certificate is made once, with a private key only its owner reads", "[web]") {
  test::TempDir dir;
  auto made = web::load_or_create_certificate(dir.path(), "carekeep-box");
  REQUIRE(made);
  struct stat st {};
  REQUIRE(::stat((dir.path() / web::kKeyFile).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(made->fingerprint_sha256.size() == 32 * 3 - 1);
  CHECK(made->key_pem.find("PRIVATE KEY") != std::string::npos);
  auto again = web::load_or_create_certificate(dir.path(), "carekeep-box");
  REQUIRE(again);
  CHECK(again->fingerprint_sha256 == made->fingerprint_sha256);
  CHECK(web::certificate_fingerprint(made->certificate_pem).value() == made->fingerprint_sha256);
  ::chmod((dir.path() / web::kKeyFile).c_str(), 0644);
  CHECK(!web::load_or_create_certificate(dir.path(), "carekeep-box"));
  std::filesystem::remove(dir.path() / web::kKeyFile);
  auto half = web::load_or_create_certificate(dir.path(), "carekeep-box");
  REQUIRE(!half);
  CHECK(half.error().kind == ErrorKind::FailedPrecondition);
}

TEST_CASE("web: the metrics bearer token is read from its file's first line and accepts only itself", "[web]") {
  test::TempDir dir;
  const std::string token = "3f1c0a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877";
  test::write_text(dir / "metrics.token", "  " + token + " \n# the rest of the file is not read\n");
  // Readable by everyone: refused, naming the fix and never the token.
  std::filesystem::permissions(dir / "metrics.token", std::filesystem::perms(0644));
  auto open_to_all = web::BearerToken::read(dir / "metrics.token");
  REQUIRE_FALSE(open_to_all);
  CHECK(open_to_all.error().kind == ErrorKind::FailedPrecondition);
  CHECK_THAT(open_to_all.error().message, Catch::Contains("(mode 0644); make it root:carekeep 0640: chmod o-rwx"));
  CHECK_THAT(open_to_all.error().message, !Catch::Contains(token));
  std::filesystem::permissions(dir / "metrics.token", std::filesystem::perms(0640));
  auto read = web::BearerToken::read(dir / "metrics.token");
  REQUIRE(read);
  CHECK(read->accepts("Bearer " + token));
  CHECK(read->accepts("bearer " + token));  // the scheme is case-insensitive (RFC 7235)
  CHECK_FALSE(read->accepts(token));
  CHECK_FALSE(read->accepts("Basic " + token));
  CHECK_FALSE(read->accepts("Bearer " + token.substr(1)));
  CHECK_FALSE(read->accepts("Bearer " + token + "0"));
  CHECK_FALSE(read->accepts("Bearer  " + token));
  CHECK_FALSE(read->accepts(""));
  CHECK_FALSE(read->accepts("Bearer "));

  auto shortened = web::BearerToken::from_text("only-thirty-one-characters-here");
  REQUIRE_FALSE(shortened);
  CHECK_THAT(shortened.error().message, Catch::Contains("31 characters; at least 32"));
  CHECK_THAT(shortened.error().message, !Catch::Contains("only-thirty"));  // never quoted
  auto spaced = web::BearerToken::from_text("a token with spaces inside it, long enough anyway");
  REQUIRE_FALSE(spaced);
  CHECK_THAT(spaced.error().message, Catch::Contains("not printable ASCII"));
  CHECK_FALSE(web::BearerToken::from_text(""));
  auto missing = web::BearerToken::read(dir / "absent.token");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::Unavailable);
}
