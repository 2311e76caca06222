#include "web/guard.hpp"

#include <openssl/crypto.h>

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

bool LoginLimiter::is_locked(const Counter& c, std::chrono::steady_clock::time_point now) const {
  return c.locked_until && now < *c.locked_until;
}

void LoginLimiter::count(Counter& c, std::chrono::steady_clock::time_point now) {
  if (c.failures == 0 || now - c.first > kWindow) {
    c.failures = 0;
    c.first = now;
  }
  if (++c.failures >= kMaxFailures) c.locked_until = now + kLockout;
}

void LoginLimiter::prune(std::chrono::steady_clock::time_point now) {
  // Bounded memory against a scan of many names or addresses: forget what no longer matters.
  for (auto* table : {&accounts_, &sources_}) {
    if (table->size() < 4096) continue;
    for (auto it = table->begin(); it != table->end();) {
      bool stale = !is_locked(it->second, now) && now - it->second.first > kWindow;
      it = stale ? table->erase(it) : std::next(it);
    }
  }
}

LoginLimiter::Verdict LoginLimiter::begin(std::string_view account, const std::string& source) {
  auto now = clock_.steady_now();
  prune(now);
  auto a = accounts_.find(account);
  if (a != accounts_.end() && is_locked(a->second, now)) return Verdict::AccountLocked;
  auto s = sources_.find(source);
  if (s != sources_.end() && is_locked(s->second, now)) return Verdict::SourceLocked;
  if (a == accounts_.end()) a = accounts_.emplace(std::string(account), Counter{}).first;
  if (s == sources_.end()) s = sources_.emplace(source, Counter{}).first;
  count(a->second, now);
  count(s->second, now);
  return Verdict::Allowed;
}

void LoginLimiter::succeeded(std::string_view account, const std::string& source) {
  if (auto a = accounts_.find(account); a != accounts_.end()) accounts_.erase(a);
  if (auto s = sources_.find(source); s != sources_.end()) sources_.erase(s);
}

bool LoginLimiter::locked(std::string_view account, const std::string& source) const {
  auto now = clock_.steady_now();
  auto a = accounts_.find(account);
  auto s = sources_.find(source);
  return (a != accounts_.end() && is_locked(a->second, now)) || (s != sources_.end() && is_locked(s->second, now));
}

const Session& SessionStore::create(std::string account, Role role, std::string source) {
  auto now = clock_.steady_now();
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = now - it->second.last_used > idle_ ? sessions_.erase(it) : std::next(it);
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    sessions_.erase(oldest);
  }
  Session s{random_token(), random_token(), std::move(account), role, std::move(source), now};
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
