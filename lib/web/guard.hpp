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
#include <utility>
#include <vector>

#include <filesystem>

#include "base/cidr.hpp"
#include "base/error.hpp"
#include "base/sha256.hpp"
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

// The token a scraper must send to /metrics ([metrics] bearer_token_file; docs/fleet.md):
// `Authorization: Bearer <token>`, as Prometheus' `authorization: credentials_file:` sends it.
// Only its SHA-256 is kept, and a presented token is compared by its hash in constant time,
// so neither the comparison's timing nor a core dump gives the token away.
class BearerToken {
 public:
  static constexpr std::size_t kMinLength = 32;  // `openssl rand -hex 32` gives 64
  // The file's first line, surrounding white space dropped. InvalidArgument (never quoting
  // the content) when it is shorter than kMinLength or holds anything but printable ASCII;
  // the file's error when it cannot be read.
  static Result<BearerToken> read(const std::filesystem::path& file);
  static Result<BearerToken> from_text(std::string_view text);
  // True only for "Bearer <token>" (the scheme case-insensitive, RFC 7235).
  bool accepts(std::string_view authorization) const;

 private:
  explicit BearerToken(Sha256 hash) : hash_(hash) {}
  Sha256 hash_;
};

// Who a login attempt counts against: its source address, the IPv6 ones by their /64 (a
// device picks any address of its /64 at will, so one address alone would not slow it).
std::string source_key(const IpAddress& source);

// kMaxFailures failed logins within kWindow lock out for kLockout:
// - the source (source_key), for every account;
// - the account, for every browser without a device cookie of that account;
// - a device cookie, for its own attempts.
// A browser that logged in to the account before holds its device cookie (OWASP's "device
// cookies"): a guesser elsewhere on the LAN who locks the account does not lock out its
// operator, whose attempts count against her cookie instead. An attempt counts as failed from
// the moment it starts (begin) until it succeeds, so that 100 parallel guesses cost at most
// kMaxFailures password hashes.
class LoginLimiter {
 public:
  static constexpr int kMaxFailures = 5;
  static constexpr std::chrono::minutes kLockout{15};
  static constexpr std::chrono::minutes kWindow{15};
  // While locked, a source's refusals reach the access log once per this period, with the
  // count of those in between: every refusal a row would let anyone on the LAN write rows
  // (and fsync them on the daemon's loop) as fast as it can send.
  static constexpr std::chrono::minutes kRefusalLogPeriod{1};
  explicit LoginLimiter(const Clock& clock) : clock_(clock) {}

  enum class Verdict { Allowed, AccountLocked, SourceLocked, DeviceLocked };
  // Whether an attempt may be checked; when it may, it is counted as a failure now. `device`
  // is the id of a valid device cookie of `account`, or "" when the browser has none.
  Verdict begin(std::string_view account, const std::string& source, std::string_view device = {});
  // The attempt was right: the source's failures are forgotten, and the device cookie's, or
  // (without one) the account's.
  void succeeded(std::string_view account, const std::string& source, std::string_view device = {});
  bool locked(std::string_view account, const std::string& source, std::string_view device = {}) const;
  // A refusal from `source` (a locked attempt, a malformed one): whether it gets its own
  // access-log row now, and how many refusals from it since the last row did not.
  struct RefusalLog {
    bool write = false;
    int unwritten = 0;
  };
  RefusalLog refusal(const std::string& source);
  // Sources whose refusals since their last row are still unwritten a period later (`all`:
  // any still unwritten), with their count; they count as written now. So that a storm's
  // tail is not lost when it stops.
  std::vector<std::pair<std::string, int>> overdue_refusals(bool all = false);

 private:
  struct Counter {
    int failures = 0;
    std::chrono::steady_clock::time_point first{};
    std::optional<std::chrono::steady_clock::time_point> locked_until;
  };
  struct Refusals {
    int unwritten = 0;
    std::chrono::steady_clock::time_point last_written{};
  };
  using Table = std::map<std::string, Counter, std::less<>>;
  bool is_locked(const Table& table, std::string_view key, std::chrono::steady_clock::time_point now) const;
  void count(Table& table, std::string_view key, std::chrono::steady_clock::time_point now);
  void prune(std::chrono::steady_clock::time_point now);
  const Clock& clock_;
  Table accounts_;
  Table sources_;
  Table devices_;
  std::map<std::string, Refusals, std::less<>> refusals_;
};

struct Session {
  std::string id;    // the cookie's value: 32 random bytes, hex
  std::string csrf;  // every POST carries it in its form; 32 random bytes, hex
  std::string account;
  Role role = Role::Viewer;
  std::string source;  // the address that logged in (for the access log)
  // The account's password hash when it logged in: a session ends at its next request once
  // the account is removed, its password changed or its role changed (carekeep web user).
  std::string credential;
  std::chrono::steady_clock::time_point last_used{};
};

class SessionStore {
 public:
  static constexpr std::size_t kMaxSessions = 256;  // the oldest idle one goes first beyond this
  SessionStore(const Clock& clock, std::chrono::minutes idle) : clock_(clock), idle_(idle) {}
  void set_idle(std::chrono::minutes idle) { idle_ = idle; }
  const Session& create(std::string account, Role role, std::string source, std::string credential = {});
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
