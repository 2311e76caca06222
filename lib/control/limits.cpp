#include "control/limits.hpp"

#include <utility>

namespace carekeep::control {

ConnectionTable::Ticket::Ticket(Ticket&& other) noexcept
    : table_(std::exchange(other.table_, nullptr)), uid_(other.uid_) {}

ConnectionTable::Ticket& ConnectionTable::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    table_ = std::exchange(other.table_, nullptr);
    uid_ = other.uid_;
  }
  return *this;
}

void ConnectionTable::Ticket::release() noexcept {
  if (table_ == nullptr) return;
  auto it = table_->per_uid_.find(uid_);
  if (it != table_->per_uid_.end() && --it->second <= 0) table_->per_uid_.erase(it);
  --table_->total_;
  table_ = nullptr;
}

void ConnectionTable::set_limits(int max_total, int max_per_user) {
  max_total_ = max_total;
  max_per_user_ = max_per_user;
}

ConnectionTable::Admission ConnectionTable::admit(uid_t uid, bool exempt_per_user) {
  if (total_ >= max_total_) return {Verdict::TotalFull, {}};
  if (!exempt_per_user && of(uid) >= max_per_user_) return {Verdict::UserFull, {}};
  ++total_;
  ++per_uid_[uid];
  return {Verdict::Admitted, Ticket(this, uid)};
}

int ConnectionTable::of(uid_t uid) const {
  auto it = per_uid_.find(uid);
  return it == per_uid_.end() ? 0 : it->second;
}

std::string connection_refusal(const Peer& peer, ConnectionTable::Verdict verdict, const ConnectionTable& table) {
  switch (verdict) {
    case ConnectionTable::Verdict::UserFull:
      return "user " + peer.user + " (uid " + std::to_string(peer.uid) + ") has " + std::to_string(table.of(peer.uid)) +
             " connections to carekeepd open already, the limit per user ([access] max_connections_per_user); "
             "wait for one of your commands to finish and try again";
    case ConnectionTable::Verdict::TotalFull:
      return "carekeepd has " + std::to_string(table.total()) +
             " connections open already, its limit ([access] max_connections); try again in a moment";
    case ConnectionTable::Verdict::Admitted: break;
  }
  return {};
}

bool RefusalBudget::admit(uid_t uid, const std::string& user, TimePoint now) {
  if (total_start_ == TimePoint{} || now - total_start_ >= window_) {
    total_start_ = now;
    total_written_ = 0;
  }
  auto [it, fresh] = windows_.try_emplace(uid, Window{now, 0, 0, user});
  Window& w = it->second;
  // A window that ended with nothing suppressed starts over here; one with a count waits for
  // take_ended, which reports it (the caller asks for that before each admit).
  if (!fresh && now - w.start >= window_ && w.suppressed == 0) w = Window{now, 0, 0, user};
  if (w.written < per_user_ && total_written_ < total_) {
    ++w.written;
    ++total_written_;
    return true;
  }
  ++w.suppressed;
  return false;
}

std::vector<RefusalBudget::Suppressed> RefusalBudget::take_ended(TimePoint now, bool all) {
  std::vector<Suppressed> ended;
  for (auto it = windows_.begin(); it != windows_.end();) {
    const Window& w = it->second;
    bool over = now - w.start >= window_;
    if (w.suppressed > 0 && (over || all)) ended.push_back({it->first, w.user, w.suppressed, now - w.start});
    // Forget ended windows (and, at shutdown, reported ones) so the map holds only the
    // users refused within the last window.
    if (over || (all && w.suppressed > 0)) it = windows_.erase(it);
    else ++it;
  }
  return ended;
}

}  // namespace carekeep::control
