// web/console: the operator's console as a function from request to response (issue 16;
// docs/console.md). Routing, the allow list, login with lockout, sessions and CSRF, the
// pages (login, overview) and the acknowledgement of alerts; what it shows comes from
// lib/status through a Backend, what it changes goes through lib/alerts. Runs on the daemon's
// loop thread; never blocks except in Backend calls (short index reads and writes). The one
// slow step, checking a password (scrypt), is handed back to the caller to run elsewhere.
// Nothing here deletes footage or changes retention: there is no route that could.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/error.hpp"
#include "base/time.hpp"
#include "index/rows.hpp"
#include "status/status.hpp"
#include "web/catalog.hpp"
#include "web/guard.hpp"
#include "web/http.hpp"

namespace carekeep::web {

// What the console needs from the daemon. Every call is on the loop thread.
class Backend {
 public:
  virtual ~Backend() = default;
  // The daemon's state now (its alerts as the index has them).
  virtual status::DaemonStatus status() = 0;
  virtual Result<std::optional<index::WebAccountRow>> account(std::string_view name) = 0;
  // `carekeep alerts ack`'s lib code (alerts::acknowledge_as) as `by` ("web:NAME").
  virtual Status acknowledge_alert(std::int64_t id, std::string_view by) = 0;
  // One access-log row (index::append_access_log): action, the actor ("web:NAME", or "web:"
  // for an unknown one), arguments as a JSON object, result ("ok" or the refusal).
  virtual void log_access(std::string_view action, std::string_view user, std::string_view arguments_json,
                          std::string_view result) = 0;
};

struct ConsoleSettings {
  Language language = Language::Zh;
  bool https = true;                // cookies get Secure
  std::string fingerprint_sha256;   // shown on the login page
  std::string site_name;            // [site] name, in the page title
  std::chrono::minutes session_idle{30};
  TimeZone zone = TimeZone::utc();  // the site's: times on the pages are local
  // Signs device cookies (LoginLimiter). It must outlive restarts, or a restart would void
  // every operator's cookie while a guesser locks her account again: the daemon derives it
  // from the certificate's private key (device_cookie_key). Empty: a random one for this run.
  std::string device_key;
};

inline constexpr std::string_view kSessionCookie = "ck_session";
inline constexpr std::string_view kLoginCookie = "ck_login";  // the login form's CSRF token (double submit)
// Set at each login, sent only to /login, for kDeviceCookieLife: "issued.nonce.mac", the MAC
// (HMAC-SHA-256 under ConsoleSettings::device_key) binding the account it logged in to.
inline constexpr std::string_view kDeviceCookie = "ck_device";
inline constexpr std::chrono::hours kDeviceCookieLife{24 * 90};

class Console {
 public:
  // A login whose password must be checked (web::verify_password) off the loop thread; give
  // the answer to finish_login.
  struct PasswordCheck {
    std::string account;
    std::string password;
    std::string stored_hash;  // a dummy's for an unknown account, so that timing tells nothing
    bool exists = false;
    Role role = Role::Viewer;
    std::string source;
    std::string source_key;  // web::source_key: what the limiter counts against
    std::string device;      // the id of the browser's valid device cookie of `account`, or ""
  };
  using Outcome = std::variant<Response, PasswordCheck>;

  Console(Backend& backend, const Clock& clock, AllowList allow, ConsoleSettings settings);
  void set_settings(ConsoleSettings settings);

  Outcome handle(const Request& request);
  Response finish_login(const PasswordCheck& check, bool matched);
  // Writes the counts of refused logins not yet in the access log once their minute is over
  // (LoginLimiter::overdue_refusals), or all of them (`all`, at stop). The daemon calls it
  // every minute.
  void flush_refusals(bool all = false);

  // Lets tests and the daemon see the guards' state.
  const LoginLimiter& limiter() const { return limiter_; }

 private:
  Response login_page(std::optional<Msg> error, int status = 200);
  Outcome login(const Request& request);
  Response logout(const Request& request, const Session& session);
  Response overview(const Request& request, const Session& session);
  Response acknowledge(const Request& request, const Session& session);
  Response page(int status, Msg title, const std::string& body, const Session* session);
  Response error(int status, Msg msg, const Session* session = nullptr);
  std::string cookie(std::string_view name, std::string_view value, bool expire) const;
  std::string device_cookie(std::string_view account) const;
  std::string device_of(const std::map<std::string, std::string, std::less<>>& cookies, std::string_view account) const;
  const Session* live_session(const Session* session, const Request& request);
  void refused(std::string_view account, const Request& request, std::string_view result);
  void record(std::string_view action, std::string_view account, const Request& request, std::string_view result,
           std::string_view extra_key = {}, std::string_view extra_value = {});
  std::string_view t(Msg msg) const { return text(msg, settings_.language); }

  Backend& backend_;
  const Clock& clock_;
  AllowList allow_;
  ConsoleSettings settings_;
  LoginLimiter limiter_;
  SessionStore sessions_;
  std::string dummy_hash_;  // checked for unknown accounts
  std::string device_key_;
  // Refused sources in the journal: when last said, and how many since.
  std::optional<std::chrono::steady_clock::time_point> refused_logged_;
  long refused_unlogged_ = 0;
};

// The stylesheet served at /static/console.css.
std::string_view console_css();

}  // namespace carekeep::web
