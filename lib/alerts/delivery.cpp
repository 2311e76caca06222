#include "alerts/delivery.hpp"

#include <algorithm>
#include <iterator>

#include "alerts/render.hpp"

namespace carekeep::alerts {

Notice AlertNotices::make(Notice::Kind kind, const Alert& alert, UtcTime now) const {
  Notice n{kind, alert, now, {}, {}, {}};
  n.id = make_notice_id(n);
  return n;
}

AlertNotices::Todo AlertNotices::on_change(const Change& change, UtcTime now) {
  Key key{change.alert.kind, change.alert.subject};
  auto it = open_.find(key);
  Todo todo;
  if (change.type == Change::Type::Raised) {
    if (it != open_.end() && it->second.alert.id == change.alert.id &&
        it->second.alert.severity == change.alert.severity) {
      return todo;  // the same event again: already told
    }
    Open& entry = open_[key];
    entry.alert = change.alert;
    entry.interval = timing_.first;
    entry.due = now + std::chrono::duration_cast<Micros>(entry.interval);
    todo.notice = make(Notice::Kind::Raised, change.alert, now);
    todo.remind_in = entry.interval;
    return todo;
  }
  // Told already: by this process, or by the previous one (its outbox held the notice; the
  // index may have lost the resolution in the batch a power cut interrupted).
  bool told = resolved_ids_.count(change.alert.id) != 0;
  if (it != open_.end()) {
    open_.erase(it);
    todo.cancel_reminder = true;
  }
  if (told) return todo;
  // An alert adopted from an earlier run was never announced by this process, but its
  // resolution is still news to the person who got the earlier message.
  if (resolved_ids_.size() > 1000) resolved_ids_.clear();
  resolved_ids_.insert(change.alert.id);
  todo.notice = make(Notice::Kind::Resolved, change.alert, now);
  return todo;
}

AlertNotices::Todo AlertNotices::on_reminder(const Key& key, std::int64_t id, UtcTime now) {
  Todo todo;
  auto it = open_.find(key);
  if (it == open_.end() || it->second.alert.id != id) return todo;
  todo.notice = make(Notice::Kind::Reminder, it->second.alert, now);
  it->second.interval = std::min(it->second.interval * 2, timing_.max);
  it->second.due = now + std::chrono::duration_cast<Micros>(it->second.interval);
  todo.remind_in = it->second.interval;
  return todo;
}

AlertNotices::Todo AlertNotices::adopt(const Alert& alert, UtcTime now) {
  Todo todo;
  Key key{alert.kind, alert.subject};
  if (open_.count(key) != 0) return todo;
  Open& entry = open_[key];
  entry.alert = alert;
  entry.interval = timing_.first;
  auto delay = timing_.first;
  // The previous process's schedule: neither a reminder again right after a restart nor the
  // back-off starting over at 10 min (the watchers get `first` to resolve it).
  if (auto saved = saved_.find(alert.id); saved != saved_.end()) {
    entry.interval = std::clamp(saved->second.interval, timing_.first, timing_.max);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(saved->second.due - now);
    delay = std::clamp(left, timing_.first, entry.interval);
    saved_.erase(saved);
  }
  entry.due = now + std::chrono::duration_cast<Micros>(delay);
  todo.remind_in = delay;
  return todo;
}

void AlertNotices::restore(const std::vector<OutboxReminder>& reminders, const std::vector<Notice>& queued) {
  for (const auto& r : reminders) saved_[r.alert_id] = r;
  for (const auto& n : queued) {
    if (n.kind == Notice::Kind::Resolved) resolved_ids_.insert(n.alert.id);
  }
}

std::vector<OutboxReminder> AlertNotices::reminders() const {
  std::vector<OutboxReminder> out;
  for (const auto& [key, entry] : open_) out.push_back({entry.alert.id, entry.due, entry.interval});
  return out;
}

bool DeliveryQueue::wanted(const Notice& notice) const {
  return is_message(notice.kind) || notice.alert.severity >= min_severity_;
}

std::optional<Notice> DeliveryQueue::push(Notice notice) {
  auto first_waiting = queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  if (notice.kind == Notice::Kind::Reminder) {
    auto older = std::find_if(first_waiting, queue_.end(), [&](const Notice& q) {
      return q.kind == Notice::Kind::Reminder && q.alert.id == notice.alert.id;
    });
    if (older != queue_.end()) {
      queue_.erase(older);
      first_waiting = queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_);  // erase moved it
    }
  }
  // A dead endpoint must not grow memory (or the outbox) without bound; the oldest waiting
  // notice is the least loss.
  std::optional<Notice> dropped;
  if (queue_.size() >= kMaxQueue && first_waiting != queue_.end()) {
    dropped = std::move(*first_waiting);
    queue_.erase(first_waiting);
  }
  queue_.push_back(std::move(notice));
  return dropped;
}

std::vector<Notice> DeliveryQueue::drop_expired(UtcTime now) {
  std::vector<Notice> dropped;
  auto expired = [&](const Notice& n) { return now - n.at > kNoticeMaxAge; };
  // The batch in flight is not touched: its answer decides.
  auto first_waiting = queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  std::copy_if(first_waiting, queue_.end(), std::back_inserter(dropped), expired);
  queue_.erase(std::remove_if(first_waiting, queue_.end(), expired), queue_.end());
  return dropped;
}

DeliveryQueue::Step DeliveryQueue::next(Steady now) {
  Step step;
  if (queue_.empty() || in_flight_ > 0) return step;
  while (!sent_.empty() && now - sent_.front() >= timing_.window) sent_.pop_front();
  if (static_cast<int>(sent_.size()) >= timing_.per_window) {
    step.what = Step::Do::Wait;
    step.until = sent_.front() + timing_.window;
    return step;
  }
  // The window's last slot takes everything queued, so that a burst arrives as one message.
  std::size_t count = (timing_.per_window - static_cast<int>(sent_.size()) <= 1) ? queue_.size() : 1;
  step.what = Step::Do::Send;
  step.batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
  in_flight_ = count;
  sent_.push_back(now);
  return step;
}

std::size_t DeliveryQueue::delivered() {
  std::size_t count = std::min(in_flight_, queue_.size());
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
  in_flight_ = 0;
  retry_delay_ = timing_.retry_first;
  return count;
}

std::chrono::milliseconds DeliveryQueue::failed() {
  in_flight_ = 0;
  auto delay = retry_delay_;
  retry_delay_ = std::min(retry_delay_ * 2, timing_.retry_max);
  return delay;
}

}  // namespace carekeep::alerts
