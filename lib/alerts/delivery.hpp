// alerts/delivery: the decisions of webhook delivery, pure and driven by the caller's clock
// (docs/alerts.md, Webhooks: repeat and de-duplication rules). The daemon's WebhookNotifier
// owns the timers and the HTTP client and asks these two classes what to do:
//  - AlertNotices: per alert (kind, subject), which notices a person gets — one `raised` per
//    event, reminders with doubling back-off while it stays open, one `resolved`.
//  - DeliveryQueue: per webhook, the FIFO of notices, its cap, the newest-reminder-only rule,
//    the 24 h expiry, the rate window with coalescing, and the retry back-off.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alerts/alerts.hpp"
#include "alerts/outbox.hpp"
#include "base/time.hpp"

namespace carekeep::alerts {

struct ReminderTiming {
  std::chrono::milliseconds first = std::chrono::minutes(10);
  std::chrono::milliseconds max = std::chrono::hours(6);
};

class AlertNotices {
 public:
  // What a change means for the person: a notice to broadcast (none: already told), and
  // whether the alert's reminder is (re)armed to fire after `remind_in` or cancelled.
  struct Todo {
    std::optional<Notice> notice;
    std::optional<std::chrono::milliseconds> remind_in;  // arm the reminder timer this long from now
    bool cancel_reminder = false;
  };
  using Key = std::pair<std::string, std::string>;  // kind, subject

  explicit AlertNotices(ReminderTiming timing = {}) : timing_(timing) {}

  // AlertCenter's Raised or Resolved at `now`. A Raised for the open alert of the same id and
  // severity is the same event (nothing); a severity change is a new one. A Resolved for an
  // alert whose resolution was told already (by this process or the outbox of the previous
  // one) is nothing.
  Todo on_change(const Change& change, UtcTime now);
  // The reminder of (kind, subject) for alert `id` fired at `now`: a reminder notice and the
  // next one after twice the wait (at most `max`); nothing when that alert is no longer open.
  Todo on_reminder(const Key& key, std::int64_t id, UtcTime now);
  // An alert open before this process started: no raised notice; its first reminder when the
  // outbox said it was due, never sooner than `first` after now, with the saved back-off step.
  Todo adopt(const Alert& alert, UtcTime now);
  // The previous process's outbox: reminder schedules (for adopt) and the alerts whose resolved
  // notice it held (told already).
  void restore(const std::vector<OutboxReminder>& reminders, const std::vector<Notice>& queued);
  // Each open alert's next reminder, for the outbox.
  std::vector<OutboxReminder> reminders() const;
  bool empty() const { return open_.empty(); }
  void clear() { open_.clear(); }

 private:
  struct Open {
    Alert alert;
    std::chrono::milliseconds interval;  // the wait before the next reminder
    UtcTime due;
  };
  Notice make(Notice::Kind kind, const Alert& alert, UtcTime now) const;

  ReminderTiming timing_;
  std::map<Key, Open> open_;
  std::set<std::int64_t> resolved_ids_;
  std::map<std::int64_t, OutboxReminder> saved_;  // by alert id, until adopt()
};

struct DeliveryTiming {
  std::chrono::milliseconds retry_first = std::chrono::seconds(5);
  std::chrono::milliseconds retry_max = std::chrono::minutes(5);
  std::chrono::milliseconds window = std::chrono::minutes(1);
  int per_window = 6;
};

class DeliveryQueue {
 public:
  using Steady = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kMaxQueue = 200;

  DeliveryQueue(DeliveryTiming timing, Severity min_severity) : timing_(timing), min_severity_(min_severity) {}

  // Alerts at or above the webhook's min_severity; the digest and the summary always.
  bool wanted(const Notice& notice) const;
  // Queues `notice` after the others. Only the newest reminder of an alert is news: it replaces
  // an older waiting one. When full, the oldest waiting notice makes room and is returned (the
  // caller logs it); the batch in flight is never dropped.
  std::optional<Notice> push(Notice notice);
  // Removes and returns what was made more than kNoticeMaxAge before `now` (oldest first).
  std::vector<Notice> drop_expired(UtcTime now);

  struct Step {
    enum class Do { Nothing, Wait, Send } what = Do::Nothing;
    Steady until{};             // Wait: when a slot of the rate window frees up
    std::vector<Notice> batch;  // Send: one notice, or everything queued in the window's last slot
  };
  // What to do at `now` when no request is in flight and no timer is pending: nothing (empty),
  // wait for the rate window, or send a batch (it stays at the head, in flight, until
  // delivered() or failed()).
  Step next(Steady now);
  // The batch in flight was accepted: removed, the back-off starts over. Returns its size.
  std::size_t delivered();
  // The batch in flight failed: it stays at the head. Returns the wait before the retry
  // (retry_first, doubling to retry_max).
  std::chrono::milliseconds failed();
  // The request in flight ended without an answer (stop): its notices stay queued.
  void abandon() { in_flight_ = 0; }

  const std::deque<Notice>& notices() const { return queue_; }
  std::size_t size() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  void clear() {
    queue_.clear();
    in_flight_ = 0;
  }

 private:
  DeliveryTiming timing_;
  Severity min_severity_;
  std::deque<Notice> queue_;
  std::size_t in_flight_ = 0;     // the queue's first notices, being sent
  std::deque<Steady> sent_;       // request starts inside the rate window
  std::chrono::milliseconds retry_delay_{timing_.retry_first};
};

}  // namespace carekeep::alerts
