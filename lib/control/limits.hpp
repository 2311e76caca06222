// control/limits: how much of carekeepd's control socket one local user may take (issue 14,
// "The control socket under abuse"): open connections per uid and in total, and how many
// refusals per uid reach the access log and the daemon's log. Pure bookkeeping over
// steady_clock times handed in (tests step them); not thread-safe: the daemon's loop thread
// owns both. Deciding what to refuse is here; closing sockets and writing rows is not.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "control/policy.hpp"

namespace carekeep::control {

// Defaults of [access] max_connections / max_connections_per_user (config::Access says why).
inline constexpr int kDefaultMaxConnections = 64;
inline constexpr int kDefaultMaxConnectionsPerUser = 8;

class ConnectionTable {
 public:
  enum class Verdict {
    Admitted,
    UserFull,   // the peer's uid has max_per_user open already
    TotalFull,  // max_total are open
  };

  // Counts one admitted connection until it is destroyed (or moved from). The table must
  // outlive its tickets.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    explicit operator bool() const { return table_ != nullptr; }

   private:
    friend class ConnectionTable;
    Ticket(ConnectionTable* table, uid_t uid) : table_(table), uid_(uid) {}
    void release() noexcept;
    ConnectionTable* table_ = nullptr;
    uid_t uid_ = 0;
  };

  ConnectionTable(int max_total, int max_per_user) : max_total_(max_total), max_per_user_(max_per_user) {}
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // New limits apply to connections admitted from now on; open ones stay.
  void set_limits(int max_total, int max_per_user);

  struct Admission {
    Verdict verdict = Verdict::Admitted;
    Ticket ticket;  // set when admitted
  };
  // `exempt_per_user`: root and the daemon's own user, who can stop the daemon anyway and
  // must be able to reach it while another user is at their cap. The total binds everyone:
  // it is what keeps descriptors for the recorders.
  Admission admit(uid_t uid, bool exempt_per_user);

  int total() const { return total_; }
  int of(uid_t uid) const;
  int max_total() const { return max_total_; }
  int max_per_user() const { return max_per_user_; }

 private:
  int max_total_;
  int max_per_user_;
  int total_ = 0;
  std::map<uid_t, int> per_uid_;
};

// "carekeepd has 64 connections open, its limit; ..." for a refused connection: the message
// the peer gets on the wire and the access log's result.
std::string connection_refusal(const Peer& peer, ConnectionTable::Verdict verdict, const ConnectionTable& table);

// At most `per_user` refusals of one uid, and `total` of all uids together, are written in each
// `window`; the rest are counted and reported as one summary per uid when its window has
// ended (take_ended). A local user who retries in a loop cannot flood the access log (one
// SQLite transaction each, on the loop thread) or the journal.
class RefusalBudget {
 public:
  static constexpr int kDefaultPerUser = 10;
  static constexpr int kDefaultTotal = 60;
  static constexpr std::chrono::seconds kDefaultWindow{60};
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit RefusalBudget(int per_user = kDefaultPerUser, int total = kDefaultTotal,
                         std::chrono::steady_clock::duration window = kDefaultWindow)
      : per_user_(per_user), total_(total), window_(window) {}

  // True when this refusal is to be written; false when it is only counted.
  bool admit(uid_t uid, const std::string& user, TimePoint now);

  struct Suppressed {
    uid_t uid = 0;
    std::string user;
    int count = 0;  // refusals not written
    std::chrono::steady_clock::duration over{};  // the window they fell in
  };
  // The uids whose window ended by `now` with refusals not written; forgets those windows.
  // `all`: every window with a count, ended or not (daemon shutdown).
  std::vector<Suppressed> take_ended(TimePoint now, bool all = false);

 private:
  struct Window {
    TimePoint start;
    int written = 0;
    int suppressed = 0;
    std::string user;
  };
  int per_user_;
  int total_;
  std::chrono::steady_clock::duration window_;
  std::map<uid_t, Window> windows_;
  TimePoint total_start_{};
  int total_written_ = 0;
};

}  // namespace carekeep::control
