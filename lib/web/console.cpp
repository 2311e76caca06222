#include "web/console.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "base/hmac.hpp"
#include "base/text.hpp"
#include "web/password.hpp"

namespace carekeep::web {

// Text for HTML element content and quoted attribute values (lib/base, as the HTML reports).
using carekeep::text::xml_escaped;

namespace {

using Json = nlohmann::json;

// A status older than this means the daemon stopped writing it (it does every 5 s).
constexpr auto kStaleAfter = std::chrono::seconds(30);

std::string bytes_text(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / 1e9);
  return buf;
}

std::string bitrate_text(std::int64_t bps) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f Mbit/s", static_cast<double>(bps) / 1e6);
  return buf;
}

std::string number_text(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Msg severity_msg(alerts::Severity s) {
  switch (s) {
    case alerts::Severity::Info: return Msg::SeverityInfo;
    case alerts::Severity::Warning: return Msg::SeverityWarning;
    case alerts::Severity::Critical: return Msg::SeverityCritical;
  }
  return Msg::SeverityWarning;
}

Msg role_msg(Role r) {
  switch (r) {
    case Role::Viewer: return Msg::RoleViewer;
    case Role::Inspector: return Msg::RoleInspector;
    case Role::Operator: return Msg::RoleOperator;
  }
  return Msg::RoleViewer;
}

Response redirect(std::string location) {
  Response r;
  r.status = 303;
  r.body = "";
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

std::string hidden_csrf(std::string_view token) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + xml_escaped(token) + "\">";
}

}  // namespace

Console::Console(Backend& backend, const Clock& clock, AllowList allow, ConsoleSettings settings)
    : backend_(backend),
      clock_(clock),
      allow_(std::move(allow)),
      settings_(std::move(settings)),
      limiter_(clock),
      sessions_(clock, settings_.session_idle),
      dummy_hash_(hash_password(random_token(16)).value_or("scrypt$16384$8$1$00$00")),
      device_key_(settings_.device_key.empty() ? random_token() : settings_.device_key) {}

void Console::set_settings(ConsoleSettings settings) {
  settings_ = std::move(settings);
  sessions_.set_idle(settings_.session_idle);
}

std::string Console::cookie(std::string_view name, std::string_view value, bool expire) const {
  // HttpOnly: page scripts never see it; SameSite=Strict: no other site's page sends it;
  // Secure over HTTPS. No Max-Age: it ends with the browser, the server ends it when idle.
  std::string c = std::string(name) + "=" + std::string(value) + "; Path=/; HttpOnly; SameSite=Strict";
  if (settings_.https) c += "; Secure";
  if (expire) c += "; Max-Age=0";
  return c;
}

std::string Console::device_cookie(std::string_view account) const {
  auto issued = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
  auto nonce = random_token(16);
  auto mac = to_hex(hmac_sha256(device_key_, "ck_device v1\n" + std::string(account) + "\n" + issued + "\n" + nonce));
  std::string c = std::string(kDeviceCookie) + "=" + issued + "." + nonce + "." + mac +
                  "; Path=/login; Max-Age=" +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kDeviceCookieLife).count()) +
                  "; HttpOnly; SameSite=Strict";
  if (settings_.https) c += "; Secure";
  return c;
}

std::string Console::device_of(const std::map<std::string, std::string, std::less<>>& cookies,
                               std::string_view account) const {
  auto it = cookies.find(kDeviceCookie);
  if (it == cookies.end()) return "";
  std::string_view value = it->second;
  auto dot1 = value.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : value.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || dot1 == 0 || dot1 > 20) return "";
  auto issued_text = value.substr(0, dot1);
  auto nonce = value.substr(dot1 + 1, dot2 - dot1 - 1);
  auto mac = value.substr(dot2 + 1);
  auto expected = to_hex(hmac_sha256(device_key_, "ck_device v1\n" + std::string(account) + "\n" +
                                                       std::string(issued_text) + "\n" + std::string(nonce)));
  if (!same_token(mac, expected)) return "";  // forged, or another account's
  auto issued = text::parse_int64(issued_text);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  if (!issued || *issued > now + 86400 || now - *issued > std::chrono::duration_cast<std::chrono::seconds>(kDeviceCookieLife).count())
    return "";
  return std::string(nonce);
}

void Console::refused(std::string_view account, const Request& request, std::string_view result) {
  auto due = limiter_.refusal(source_key(request.source));
  if (!due.write) return;
  // A name that is no account is not written: a careless operator types her password there.
  auto row = account.empty() ? Result<std::optional<index::WebAccountRow>>(std::nullopt) : backend_.account(account);
  std::string name = row && *row ? std::string(account) : std::string();
  record("login_failed", name, request, result, due.unwritten > 0 ? "refusals_not_logged_since_last_row" : "",
         due.unwritten > 0 ? std::to_string(due.unwritten) : "");
}

void Console::flush_refusals(bool all) {
  for (const auto& [source, count] : limiter_.overdue_refusals(all)) {
    Json args{{"account", ""}, {"source", source}, {"path", "/login"}, {"refusals_not_logged_since_last_row", std::to_string(count)}};
    backend_.log_access("login_failed", "web:", args.dump(), "refused: repeated attempts while locked or malformed");
  }
}

// The session, unless its account was removed or changed since it logged in (carekeep web
// user passwd|remove, or a new role): then it ends here.
const Session* Console::live_session(const Session* session, const Request& request) {
  if (session == nullptr) return nullptr;
  auto row = backend_.account(session->account);
  if (!row) {
    // The index cannot say: keep the session (the page will show what it can), say why.
    log::error("web_account_read_failed", {{"error", row.error().message}});
    return session;
  }
  if (*row && (*row)->password_hash == session->credential && parse_role((*row)->role) == session->role) return session;
  std::string account = session->account;
  sessions_.remove(session->id);
  record("session_ended", account, request, "ended: the account was removed or its password or role changed");
  return nullptr;
}

void Console::record(std::string_view action, std::string_view account, const Request& request, std::string_view result,
                  std::string_view extra_key, std::string_view extra_value) {
  Json args{{"account", std::string(account)}, {"source", request.source.to_string()}};
  if (auto path = clean_path(request.target)) args["path"] = *path;
  if (!extra_key.empty()) args[std::string(extra_key)] = std::string(extra_value);
  backend_.log_access(action, "web:" + std::string(account), args.dump(), result);
}

Response Console::page(int status, Msg title, const std::string& body, const Session* session) {
  Response r;
  r.status = status;
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + std::string(html_lang(settings_.language)) +
                     "\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                     xml_escaped(t(title)) + " · " + xml_escaped(settings_.site_name.empty() ? t(Msg::Title) : settings_.site_name) +
                     "</title>\n<link rel=\"stylesheet\" href=\"/static/console.css\">\n</head>\n<body>\n<header>\n<p class=\"site\">" +
                     xml_escaped(t(Msg::Title)) + (settings_.site_name.empty() ? "" : " · " + xml_escaped(settings_.site_name)) +
                     "</p>\n";
  if (session != nullptr) {
    html += "<form class=\"who\" method=\"post\" action=\"/logout\">" + xml_escaped(t(Msg::SignedInAs)) + " <strong>" +
            xml_escaped(session->account) + "</strong> (" + xml_escaped(t(role_msg(session->role))) + ") " +
            hidden_csrf(session->csrf) + "<button type=\"submit\">" + xml_escaped(t(Msg::Logout)) + "</button></form>\n";
  }
  html += "</header>\n<main>\n" + body + "</main>\n</body>\n</html>\n";
  r.body = std::move(html);
  return r;
}

Response Console::error(int status, Msg msg, const Session* session) {
  return page(status, msg, "<h1>" + xml_escaped(t(msg)) + "</h1>\n", session);
}

Response Console::login_page(std::optional<Msg> error, int status) {
  auto token = random_token();
  std::string body = "<h1>" + xml_escaped(t(Msg::LoginHeading)) + "</h1>\n";
  if (error) body += "<p class=\"error\" role=\"alert\">" + xml_escaped(t(*error)) + "</p>\n";
  body += "<form class=\"login\" method=\"post\" action=\"/login\">\n" + hidden_csrf(token) +
          "\n<label for=\"user\">" + xml_escaped(t(Msg::LoginUser)) +
          "</label>\n<input id=\"user\" name=\"user\" autocomplete=\"username\" required maxlength=\"64\">\n"
          "<label for=\"password\">" + xml_escaped(t(Msg::LoginPassword)) +
          "</label>\n<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n"
          "<button type=\"submit\">" + xml_escaped(t(Msg::LoginSubmit)) + "</button>\n</form>\n";
  if (!settings_.fingerprint_sha256.empty()) {
    body += "<p class=\"help\">" + xml_escaped(t(Msg::LoginCertificateHelp)) + " <code>" +
            xml_escaped(settings_.fingerprint_sha256) + "</code></p>\n";
  }
  auto r = page(status, Msg::LoginHeading, body, nullptr);
  r.headers.emplace_back("Set-Cookie", cookie(kLoginCookie, token, false));
  return r;
}

Console::Outcome Console::handle(const Request& request) {
  if (!allow_.allows(request.source)) {
    // Said in the journal, not the access log: nobody logged in, and a scan would flood it.
    // Once a minute with a count, not once a request: journald drops a service's lines beyond
    // its rate limit, and the recorders' would go with them.
    auto now = clock_.steady_now();
    if (!refused_logged_ || now - *refused_logged_ >= std::chrono::minutes(1)) {
      log::warn("web_source_refused", {{"source", request.source.to_string()},
                                       {"reason", "not in [web] allow"},
                                       {"refused_since_last_line", std::to_string(refused_unlogged_)}});
      refused_logged_ = now;
      refused_unlogged_ = 0;
    } else {
      ++refused_unlogged_;
    }
    return error(403, Msg::Forbidden);
  }
  auto path = clean_path(request.target);
  if (!path) return error(404, Msg::NotFound);
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (*path == "/static/console.css" && get) {
    Response r;
    r.content_type = "text/css; charset=utf-8";
    r.body = std::string(console_css());
    return r;
  }
  if (*path == "/login") {
    if (get) return login_page(std::nullopt);
    if (post) return login(request);
    return error(405, Msg::BadRequest);
  }
  auto cookies = parse_cookies(request.cookie);
  const Session* session = nullptr;
  if (auto it = cookies.find(kSessionCookie); it != cookies.end())
    session = live_session(sessions_.touch(it->second), request);
  if (*path == "/" && get) return redirect(session != nullptr ? "/overview" : "/login");
  if (*path != "/overview" && *path != "/logout" && *path != "/alerts/ack") return error(404, Msg::NotFound, session);
  if (session == nullptr) {
    if (get) return redirect("/login");
    return login_page(Msg::SessionExpired, 403);
  }
  if (post) {
    // Every state-changing request carries the session's CSRF token in its form: another
    // site's page cannot read it (same-origin policy), so it cannot forge the request.
    if (request.content_type.find("application/x-www-form-urlencoded") == std::string::npos)
      return error(400, Msg::BadRequest, session);
    auto form = parse_form(request.body);
    bool csrf_ok = form && form->count("csrf") != 0 && same_token(form->at("csrf"), session->csrf);
    if (!csrf_ok) {
      record("csrf_refused", session->account, request, "refused: missing or wrong CSRF token");
      return error(403, Msg::BadRequest, session);
    }
    if (*path == "/logout") return logout(request, *session);
    if (*path == "/alerts/ack") return acknowledge(request, *session);
    return error(405, Msg::BadRequest, session);
  }
  if (get && *path == "/overview") return overview(request, *session);
  return error(405, Msg::BadRequest, session);
}

Console::Outcome Console::login(const Request& request) {
  auto form = request.content_type.find("application/x-www-form-urlencoded") != std::string::npos
                  ? parse_form(request.body)
                  : std::nullopt;
  auto field = [&](const char* key) -> std::string {
    if (!form) return "";
    auto it = form->find(key);
    return it == form->end() ? "" : it->second;
  };
  auto cookies = parse_cookies(request.cookie);
  auto login_cookie = cookies.find(kLoginCookie);
  // The login form's token must match its cookie (double submit, SameSite=Strict): another
  // site cannot log a browser in to an account of its choosing.
  if (!form || login_cookie == cookies.end() || !same_token(field("csrf"), login_cookie->second))
    return login_page(Msg::BadRequest, 403);
  std::string account = field("user");
  std::string password = field("password");
  std::string source = request.source.to_string();
  std::string key = source_key(request.source);
  const bool malformed = account.empty() || account.size() > 64 || password.empty() || password.size() > 1024;
  std::string device = malformed ? std::string() : device_of(cookies, account);
  // Malformed attempts count against the source too: each one writes a row, so they must end.
  switch (limiter_.begin(malformed ? std::string_view() : std::string_view(account), key, device)) {
    case LoginLimiter::Verdict::AccountLocked:
      refused(account, request, "refused: account locked after repeated failures");
      return login_page(Msg::LoginLocked, 429);
    case LoginLimiter::Verdict::SourceLocked:
      refused(account, request, "refused: source address locked after repeated failures");
      return login_page(Msg::LoginLocked, 429);
    case LoginLimiter::Verdict::DeviceLocked:
      refused(account, request, "refused: this browser's device cookie locked after repeated failures");
      return login_page(Msg::LoginLocked, 429);
    case LoginLimiter::Verdict::Allowed: break;
  }
  if (malformed) {
    refused(account.size() > 64 ? std::string() : account, request, "refused: empty or overlong user name or password");
    return login_page(Msg::LoginFailed, 401);
  }
  PasswordCheck check{account, std::move(password), dummy_hash_, false, Role::Viewer, source, key, device};
  auto row = backend_.account(account);
  if (!row) {
    log::error("web_account_read_failed", {{"error", row.error().message}});
  } else if (*row) {
    if (auto role = parse_role((*row)->role)) {
      check.stored_hash = (*row)->password_hash;
      check.exists = true;
      check.role = *role;
    }
  }
  return check;
}

Response Console::finish_login(const PasswordCheck& check, bool matched) {
  Request as_logged;
  as_logged.target = "/login";
  if (auto source = IpAddress::parse(check.source)) as_logged.source = *source;
  if (!matched || !check.exists) {
    // The same words whether the account exists or not: a guesser learns nothing from them.
    // A name that is no account is not logged: it may be a password typed in the wrong field.
    record("login_failed", check.exists ? check.account : std::string(), as_logged,
           check.exists ? "refused: wrong password" : "refused: no such account");
    return login_page(limiter_.locked(check.account, check.source_key, check.device) ? Msg::LoginLocked : Msg::LoginFailed,
                      401);
  }
  limiter_.succeeded(check.account, check.source_key, check.device);
  const auto& session = sessions_.create(check.account, check.role, check.source, check.stored_hash);
  record("login", check.account, as_logged, "ok", "role", to_string(check.role));
  auto r = redirect("/overview");
  r.headers.emplace_back("Set-Cookie", cookie(kSessionCookie, session.id, false));
  r.headers.emplace_back("Set-Cookie", cookie(kLoginCookie, "", true));
  r.headers.emplace_back("Set-Cookie", device_cookie(check.account));
  return r;
}

Response Console::logout(const Request& request, const Session& session) {
  std::string account = session.account;
  std::string id = session.id;
  sessions_.remove(id);
  record("logout", account, request, "ok");
  auto r = redirect("/login");
  r.headers.emplace_back("Set-Cookie", cookie(kSessionCookie, "", true));
  return r;
}

Response Console::acknowledge(const Request& request, const Session& session) {
  auto form = parse_form(request.body);
  std::string id_text = form && form->count("alert") ? form->at("alert") : "";
  if (session.role != Role::Operator) {
    record("alert_ack", session.account, request, "refused: the " + std::string(to_string(session.role)) +
                                                   " role may not acknowledge alerts", "alert", id_text);
    return error(403, Msg::Forbidden, &session);
  }
  std::int64_t id = 0;
  bool valid = !id_text.empty() && id_text.size() < 19;
  for (char c : id_text) valid = valid && c >= '0' && c <= '9';
  if (valid) id = std::stoll(id_text);
  if (!valid || id <= 0) return error(400, Msg::BadRequest, &session);
  // The acknowledgement's own access-log row (alert_ack, with the alert) is written by
  // alerts::acknowledge_as, in the same transaction, as for `carekeep alerts ack`.
  auto st = backend_.acknowledge_alert(id, "web:" + session.account);
  if (!st) {
    record("alert_ack", session.account, request, "refused: " + st.error().message, "alert", id_text);
    return redirect("/overview?ack=failed");
  }
  return redirect("/overview?ack=ok");
}

Response Console::overview(const Request& request, const Session& session) {
  auto s = backend_.status();
  record("page_view", session.account, request, "ok");
  std::string body = "<h1>" + xml_escaped(t(Msg::OverviewHeading)) + "</h1>\n";
  auto ack = query_value(request.target, "ack");
  if (ack == "ok") body += "<p class=\"notice\" role=\"status\">" + xml_escaped(t(Msg::AlertAckDone)) + "</p>\n";
  if (ack == "failed") body += "<p class=\"error\" role=\"alert\">" + xml_escaped(t(Msg::AlertAckFailed)) + "</p>\n";
  auto now = clock_.now();
  if (s.updated == UtcTime{} || now - s.updated > kStaleAfter)
    body += "<p class=\"error\" role=\"alert\">" + xml_escaped(t(Msg::StatusStale)) + "</p>\n";
  else
    body += "<p class=\"updated\">" + xml_escaped(t(Msg::UpdatedAt)) + " " + xml_escaped(format_local_iso(s.updated, settings_.zone)) + "</p>\n";

  body += "<section aria-labelledby=\"cameras\">\n<h2 id=\"cameras\">" + xml_escaped(t(Msg::Cameras)) +
          "</h2>\n<ul class=\"tiles\">\n";
  for (const auto& c : s.cameras) {
    std::string state_class = !c.enabled ? "disabled" : c.up ? "up" : "down";
    Msg state = !c.enabled ? Msg::CameraDisabled : c.up ? Msg::CameraUp : Msg::CameraDown;
    body += "<li class=\"tile " + state_class + "\" data-camera=\"" + xml_escaped(c.camera) + "\">\n<h3>" +
            xml_escaped(c.name.empty() ? c.camera : c.name) + "</h3>\n<p class=\"state\">" + xml_escaped(t(state)) +
            "</p>\n";
    if (c.live) {
      if (!c.up && !c.live->cause.empty()) {
        body += "<p class=\"cause\">" + xml_escaped(t(Msg::CameraCause)) + ": <code>" + xml_escaped(c.live->cause) +
                "</code> " + xml_escaped(c.live->reason) + "</p>\n";
      }
      body += "<dl><dt>" + xml_escaped(t(Msg::CameraBitrate)) + "</dt><dd>" + bitrate_text(c.live->bitrate_bps) +
              "</dd><dt>" + xml_escaped(t(Msg::CameraFps)) + "</dt><dd>" + number_text(c.live->fps, 1) + "</dd></dl>\n";
    }
    body += "</li>\n";
  }
  body += "</ul>\n</section>\n";

  body += "<section aria-labelledby=\"zones\">\n<h2 id=\"zones\">" + xml_escaped(t(Msg::Zones)) + "</h2>\n";
  if (s.zones.empty()) {
    body += "<p>" + xml_escaped(t(Msg::NoZones)) + "</p>\n";
  } else {
    body += "<ul class=\"zones\">\n";
    for (const auto& z : s.zones) {
      body += "<li class=\"" + std::string(z.covered ? "covered" : "uncovered") + "\">" + xml_escaped(z.zone) + ": " +
              xml_escaped(t(z.covered ? Msg::ZoneCovered : Msg::ZoneUncovered)) + "</li>\n";
    }
    body += "</ul>\n";
  }
  body += "</section>\n";

  body += "<section aria-labelledby=\"storage\">\n<h2 id=\"storage\">" + xml_escaped(t(Msg::Storage)) + "</h2>\n<dl>\n<dt>" +
          xml_escaped(t(Msg::StorageFree)) + "</dt><dd>" +
          (s.disk ? bytes_text(s.disk->free_bytes) + " / " + bytes_text(s.disk->total_bytes)
                  : xml_escaped(t(Msg::StorageUnknown))) +
          "</dd>\n<dt>" + xml_escaped(t(Msg::StorageForecast)) + "</dt><dd>" +
          (s.forecast_care_days ? number_text(*s.forecast_care_days, 1) : xml_escaped(t(Msg::StorageUnknown))) +
          "</dd>\n</dl>\n</section>\n";

  body += "<section aria-labelledby=\"alerts\">\n<h2 id=\"alerts\">" + xml_escaped(t(Msg::Alerts)) + "</h2>\n";
  if (s.alerts.empty()) {
    body += "<p>" + xml_escaped(t(Msg::NoAlerts)) + "</p>\n";
  } else {
    body += "<ul class=\"alerts\">\n";
    for (const auto& a : s.alerts) {
      body += "<li class=\"alert " + std::string(alerts::to_string(a.severity)) + "\" data-alert=\"" +
              std::to_string(a.id) + "\"><span class=\"severity\">" + xml_escaped(t(severity_msg(a.severity))) +
              "</span> <code>" + xml_escaped(a.kind) + "</code> " + xml_escaped(a.subject) + ": " +
              xml_escaped(a.message) + " <time>" + xml_escaped(format_local_iso(a.raised, settings_.zone)) + "</time>";
      if (a.acknowledged) {
        body += " <span class=\"acked\">" + xml_escaped(t(Msg::AlertAcknowledged)) + " (" +
                xml_escaped(a.acknowledged_by) + ")</span>";
      } else if (session.role == Role::Operator) {
        body += "\n<form method=\"post\" action=\"/alerts/ack\">" + hidden_csrf(session.csrf) +
                "<input type=\"hidden\" name=\"alert\" value=\"" + std::to_string(a.id) + "\"><button type=\"submit\">" +
                xml_escaped(t(Msg::AlertAcknowledge)) + "</button></form>";
      }
      body += "</li>\n";
    }
    body += "</ul>\n";
  }
  body += "</section>\n";
  return page(200, Msg::OverviewHeading, body, &session);
}

std::string_view console_css() {
  return R"css(:root { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #1b1b1b; background: #f6f6f4; }
body { margin: 0; }
header { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; background: #23403a; color: #fff; }
header .site { margin: 0; font-weight: 600; }
header form { margin: 0; }
main { padding: 1rem; max-width: 72rem; }
h1 { margin-top: 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .75rem; list-style: none; padding: 0; }
.tile { background: #fff; border-radius: .5rem; padding: .75rem; border-left: .5rem solid #888; }
.tile.up { border-left-color: #2e7d32; }
.tile.down { border-left-color: #c62828; }
.tile h3 { margin: 0 0 .25rem; }
.tile .state { font-weight: 600; margin: 0; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dd { margin: 0; }
.zones li.uncovered, .error { color: #b71c1c; font-weight: 600; }
.notice { color: #1b5e20; font-weight: 600; }
.alerts li { margin-bottom: .5rem; }
.alert.critical .severity { color: #b71c1c; font-weight: 700; }
.alert form { display: inline; }
button { font: inherit; padding: .3rem .9rem; }
.login { display: grid; gap: .4rem; max-width: 20rem; }
.help code { word-break: break-all; }
)css";
}

}  // namespace carekeep::web
