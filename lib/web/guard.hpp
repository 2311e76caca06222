// web/guard: who may reach the console and for how long. AllowList: the source networks
// ([web] allow). LoginLimiter: failed logins per account and per source address lock both
// out. Sessions: random ids (HttpOnly cookie) with a CSRF token each and an idle timeout.
// State lives in memory on the daemon's loop thread (a restart clears lockouts and ends
// sessions, which only costs the operator a new login). Time comes from a base::Clock
// (steady: a wall-clock step neither ends sessions nor lifts a lockout). Never blocks.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/cidr.hpp"
#include "base/time.hpp"

namespace carekeep::web {

enum class Role { Viewer, Inspector, Operator };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

class AllowList {
 public:
  // Empty `cidrs` = this box's own networks and loopback (base::local_networks()). Entries
  // that do not parse are skipped (the config loader has refused them already).
  static AllowList from_config(const std::vector<std::string>& cidrs);
  explicit AllowList(std::vector<Cidr> networks) : networks_(std::move(networks)) {}
  bool allows(const IpAddress& source) const;
  const std::vector<Cidr>& networks() const { return networks_; }

 private:
  std::vector<Cidr> networks_;
};

// kMaxFailures failed logins within kWindow lock the account, and the source address, for
// kLockout. An attempt counts as failed from the moment it starts (begin) until it succeeds,
// so that 100 parallel guesses cost at most kMaxFailures password hashes.
class LoginLimiter {
 public:
  static constexpr int kMaxFailures = 5;
  static constexpr std::chrono::minutes kLockout{15};
  static constexpr std::chrono::minutes kWindow{15};
  explicit LoginLimiter(const Clock& clock) : clock_(clock) {}

  enum class Verdict { Allowed, AccountLocked, SourceLocked };
  // Whether an attempt may be checked; when it may, it is counted as a failure now.
  Verdict begin(std::string_view account, const std::string& source);
  // The attempt was right: the account's and the source's failures are forgotten.
  void succeeded(std::string_view account, const std::string& source);
  bool locked(std::string_view account, const std::string& source) const;

 private:
  struct Counter {
    int failures = 0;
    std::chrono::steady_clock::time_point first{};
    std::optional<std::chrono::steady_clock::time_point> locked_until;
  };
  bool is_locked(const Counter& c, std::chrono::steady_clock::time_point now) const;
  void count(Counter& c, std::chrono::steady_clock::time_point now);
  void prune(std::chrono::steady_clock::time_point now);
  const Clock& clock_;
  std::map<std::string, Counter, std::less<>> accounts_;
  std::map<std::string, Counter, std::less<>> sources_;
};

struct Session {
  std::string id;    // the cookie's value: 32 random bytes, hex
  std::string csrf;  // every POST carries it in its form; 32 random bytes, hex
  std::string account;
  Role role = Role::Viewer;
  std::string source;  // the address that logged in (for the access log)
  std::chrono::steady_clock::time_point last_used{};
};

class SessionStore {
 public:
  static constexpr std::size_t kMaxSessions = 256;  // the oldest idle one goes first beyond this
  SessionStore(const Clock& clock, std::chrono::minutes idle) : clock_(clock), idle_(idle) {}
  void set_idle(std::chrono::minutes idle) { idle_ = idle; }
  const Session& create(std::string account, Role role, std::string source);
  // The live session with this id, its idle time restarted; nullptr when unknown or expired.
  const Session* touch(std::string_view id);
  void remove(std::string_view id);
  // Ends every session of `account` (password changed or account removed).
  void remove_account(std::string_view account);
  std::chrono::minutes idle() const { return idle_; }

 private:
  const Clock& clock_;
  std::chrono::minutes idle_;
  std::map<std::string, Session, std::less<>> sessions_;
};

// Constant-time string comparison (CSRF tokens).
bool same_token(std::string_view a, std::string_view b);

}  // namespace carekeep::web
