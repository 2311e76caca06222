#include "web/guard.hpp"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>

#include "web/password.hpp"

namespace carekeep::web {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::Viewer: return "viewer";
    case Role::Inspector: return "inspector";
    case Role::Operator: return "operator";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::Viewer;
  if (text == "inspector") return Role::Inspector;
  if (text == "operator") return Role::Operator;
  return std::nullopt;
}

AllowList AllowList::from_config(const std::vector<std::string>& cidrs) {
  if (cidrs.empty()) return AllowList(local_networks());
  std::vector<Cidr> networks;
  for (const auto& text : cidrs)
    if (auto c = Cidr::parse(text)) networks.push_back(*c);
  return AllowList(std::move(networks));
}

bool AllowList::allows(const IpAddress& source) const {
  for (const auto& n : networks_)
    if (n.contains(source)) return true;
  return false;
}

Result<BearerToken> BearerToken::from_text(std::string_view text) {
  auto line = text.substr(0, text.find('\n'));
  auto first = line.find_first_not_of(" \t\r");
  auto last = line.find_last_not_of(" \t\r");
  auto token = first == std::string_view::npos ? std::string_view{} : line.substr(first, last - first + 1);
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      return fail(ErrorKind::InvalidArgument, "the metrics token holds a character that is not printable ASCII "
                                              "(make one with `openssl rand -hex 32`)");
    }
  }
  if (token.size() < kMinLength) {
    return fail(ErrorKind::InvalidArgument, "the metrics token has " + std::to_string(token.size()) +
                                                " characters; at least " + std::to_string(kMinLength) +
                                                " are needed (make one with `openssl rand -hex 32`)");
  }
  return BearerToken(sha256_of(token));
}

Result<BearerToken> BearerToken::read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorKind::Unavailable, "cannot read the metrics token file " + file.string());
  // A token every local user can read (or rewrite) guards nothing (hostile review, 2026-12-08).
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(ErrorKind::FailedPrecondition,
                "the metrics token file " + file.string() + " can be read or written by every local user (mode " +
                    mode + "); make it root:carekeep 0640: chmod o-rwx " + file.string());
  }
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto token = from_text(text);
  if (!token) return tl::unexpected(std::move(token.error()).with_context(file.string()));
  return token;
}

bool BearerToken::accepts(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  auto presented = sha256_of(authorization.substr(kScheme.size()));
  return CRYPTO_memcmp(presented.data(), hash_.data(), hash_.size()) == 0;
}

std::string source_key(const IpAddress& source) {
  auto a = source.unmapped();
  if (!a.v6) return a.to_string();
  std::fill(a.bytes.begin() + 8, a.bytes.end(), std::uint8_t{0});
  return a.to_string() + "/64";
}

bool LoginLimiter::is_locked(const Table& table, std::string_view key, std::chrono::steady_clock::time_point now) const {
  auto it = table.find(key);
  return it != table.end() && it->second.locked_until && now < *it->second.locked_until;
}

void LoginLimiter::count(Table& table, std::string_view key, std::chrono::steady_clock::time_point now) {
  auto it = table.find(key);
  if (it == table.end()) it = table.emplace(std::string(key), Counter{}).first;
  auto& c = it->second;
  if (c.failures == 0 || now - c.first > kWindow) {
    c.failures = 0;
    c.first = now;
  }
  if (++c.failures >= kMaxFailures) c.locked_until = now + kLockout;
}

void LoginLimiter::prune(std::chrono::steady_clock::time_point now) {
  // Bounded memory against a scan of many names or addresses: forget what no longer matters.
  for (auto* table : {&accounts_, &sources_, &devices_}) {
    if (table->size() < 4096) continue;
    for (auto it = table->begin(); it != table->end();) {
      bool stale = !is_locked(*table, it->first, now) && now - it->second.first > kWindow;
      it = stale ? table->erase(it) : std::next(it);
    }
  }
  if (refusals_.size() >= 4096) {
    for (auto it = refusals_.begin(); it != refusals_.end();)
      it = now - it->second.last_written > kRefusalLogPeriod ? refusals_.erase(it) : std::next(it);
  }
}

LoginLimiter::Verdict LoginLimiter::begin(std::string_view account, const std::string& source, std::string_view device) {
  auto now = clock_.steady_now();
  prune(now);
  if (device.empty() && is_locked(accounts_, account, now)) return Verdict::AccountLocked;
  if (!device.empty() && is_locked(devices_, device, now)) return Verdict::DeviceLocked;
  if (is_locked(sources_, source, now)) return Verdict::SourceLocked;
  // With a device cookie the failure counts against the cookie, not the account: its holder
  // cannot lock the account for others, and others cannot lock it for her.
  if (device.empty())
    count(accounts_, account, now);
  else
    count(devices_, device, now);
  count(sources_, source, now);
  return Verdict::Allowed;
}

void LoginLimiter::succeeded(std::string_view account, const std::string& source, std::string_view device) {
  auto& table = device.empty() ? accounts_ : devices_;
  if (auto a = table.find(device.empty() ? account : device); a != table.end()) table.erase(a);
  if (auto s = sources_.find(source); s != sources_.end()) sources_.erase(s);
}

bool LoginLimiter::locked(std::string_view account, const std::string& source, std::string_view device) const {
  auto now = clock_.steady_now();
  return (device.empty() ? is_locked(accounts_, account, now) : is_locked(devices_, device, now)) ||
         is_locked(sources_, source, now);
}

LoginLimiter::RefusalLog LoginLimiter::refusal(const std::string& source) {
  auto now = clock_.steady_now();
  prune(now);
  auto it = refusals_.find(source);
  if (it == refusals_.end()) {
    refusals_.emplace(source, Refusals{0, now});
    return {true, 0};
  }
  auto& r = it->second;
  if (now - r.last_written < kRefusalLogPeriod) {
    ++r.unwritten;
    return {false, r.unwritten};
  }
  RefusalLog out{true, r.unwritten};
  r = Refusals{0, now};
  return out;
}

std::vector<std::pair<std::string, int>> LoginLimiter::overdue_refusals(bool all) {
  auto now = clock_.steady_now();
  std::vector<std::pair<std::string, int>> out;
  for (auto& [source, r] : refusals_) {
    if (r.unwritten == 0 || (!all && now - r.last_written < kRefusalLogPeriod)) continue;
    out.emplace_back(source, r.unwritten);
    r = Refusals{0, now};
  }
  return out;
}

const Session& SessionStore::create(std::string account, Role role, std::string source, std::string credential) {
  auto now = clock_.steady_now();
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = now - it->second.last_used > idle_ ? sessions_.erase(it) : std::next(it);
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    sessions_.erase(oldest);
  }
  Session s{random_token(), random_token(), std::move(account), role, std::move(source), std::move(credential), now};
  auto id = s.id;
  return sessions_.emplace(std::move(id), std::move(s)).first->second;
}

const Session* SessionStore::touch(std::string_view id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  auto now = clock_.steady_now();
  if (now - it->second.last_used > idle_) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_used = now;
  return &it->second;
}

void SessionStore::remove(std::string_view id) {
  if (auto it = sessions_.find(id); it != sessions_.end()) sessions_.erase(it);
}

void SessionStore::remove_account(std::string_view account) {
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = it->second.account == account ? sessions_.erase(it) : std::next(it);
}

bool same_token(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace carekeep::web
