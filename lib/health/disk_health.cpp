#include "health/disk_health.hpp"

#include <algorithm>

namespace carekeep::health {
namespace {

AlertAction raise(std::string_view kind, std::string subject, alerts::Severity severity, std::string message) {
  return {AlertAction::Op::Raise, std::string(kind), std::move(subject), severity, std::move(message)};
}

AlertAction resolve(std::string_view kind, std::string subject) {
  return {AlertAction::Op::Resolve, std::string(kind), std::move(subject), alerts::Severity::Warning, {}};
}

bool is_smart_kind(std::string_view kind) {
  return kind == alerts::kDiskSmartFailing || kind == alerts::kDiskSmartWarning || kind == alerts::kDiskSmartUnavailable;
}

std::string_view kind_of(health::SmartConcern::Kind kind) {
  switch (kind) {
    case health::SmartConcern::Kind::Failing:
      return alerts::kDiskSmartFailing;
    case health::SmartConcern::Kind::Warning:
      return alerts::kDiskSmartWarning;
    case health::SmartConcern::Kind::Unavailable:
      return alerts::kDiskSmartUnavailable;
  }
  return alerts::kDiskSmartUnavailable;
}

}  // namespace

bool is_open(const std::vector<alerts::Alert>& open, std::string_view kind, std::string_view subject) {
  return std::any_of(open.begin(), open.end(), [&](const alerts::Alert& a) { return a.kind == kind && a.subject == subject; });
}

std::vector<AlertAction> DiskHealthMonitor::write_failed(const WriteFailure& failure,
                                                         const std::vector<alerts::Alert>& open) const {
  const std::string& camera = failure.camera;
  std::string what = camera.empty() ? "writing the index failed" : "writing footage of camera " + camera + " failed";
  std::string subject = camera.empty() ? std::string(kIndexSubject) : camera;
  switch (failure.fault) {
    case DiskFault::None:
      return {};
    case DiskFault::Full:
    case DiskFault::Quota: {
      if (is_open(open, alerts::kDiskFull, "")) return {};
      std::string why = failure.fault == DiskFault::Full ? "the disk " + storage_.string() + " is full"
                                                         : "carekeep's disk quota on " + storage_.string() + " is used up";
      std::string kept = camera.empty() ? "What the cameras report is kept in memory and written when space is free"
                                        : "The segment was closed cleanly";
      return {raise(alerts::kDiskFull, "", alerts::Severity::Critical,
                    what + ": " + why + ". " + kept +
                        "; carekeep is deleting what it may, and recording resumes by itself when space is free.")};
    }
    case DiskFault::ReadOnly:
      // The periodic check says which read-only it is (the disk, or the sandbox); until it has,
      // the write's own words.
      if (is_open(open, alerts::kDiskReadonly, "") || is_open(open, alerts::kStorageNotWritable, "")) return {};
      return {raise(alerts::kDiskReadonly, "", alerts::Severity::Critical,
                    what + ": " + failure.detail +
                        ". Check the disk (`dmesg`, `smartctl -H`), then repair or replace it.")};
    case DiskFault::IoError:
    case DiskFault::Other:
      return {raise(alerts::kDiskError, subject, alerts::Severity::Warning,
                    what + ": " + failure.detail +
                        ". carekeep retries; if this repeats, check the disk (`dmesg`, `smartctl -H`).")};
  }
  return {};
}

std::vector<AlertAction> DiskHealthMonitor::index_written(const std::vector<alerts::Alert>& open) const {
  if (!is_open(open, alerts::kDiskError, kIndexSubject)) return {};
  return {resolve(alerts::kDiskError, std::string(kIndexSubject))};
}

std::vector<AlertAction> DiskHealthMonitor::segment_closed(const std::string& camera, bool truncated,
                                                           const std::vector<alerts::Alert>& open) const {
  if (truncated || !is_open(open, alerts::kDiskError, camera)) return {};
  return {resolve(alerts::kDiskError, camera)};
}

std::vector<AlertAction> DiskHealthMonitor::read_only(const std::optional<retention::StorageAccess>& access,
                                                      const std::vector<alerts::Alert>& open) const {
  std::vector<AlertAction> actions;
  if (access) {
    auto kind = access->block == retention::WriteBlock::ReadOnlyDisk ? alerts::kDiskReadonly : alerts::kStorageNotWritable;
    if (!is_open(open, kind, "")) actions.push_back(raise(kind, "", alerts::Severity::Critical, access->message()));
    return actions;
  }
  // Writable again (or at last: the start's probe passed, so a refusal left open is over).
  for (auto kind : {alerts::kDiskReadonly, alerts::kStorageNotWritable}) {
    if (is_open(open, kind, "")) actions.push_back(resolve(kind, ""));
  }
  return actions;
}

std::vector<VerdictChange> DiskHealthMonitor::smart_read(const health::SmartState& state) {
  if (state.available()) smart_seen_available_ = true;
  std::vector<VerdictChange> changed;
  for (const auto& d : state.disks) {
    auto it = smart_verdicts_.find(d.device);
    if (it != smart_verdicts_.end() && it->second == d.verdict) continue;
    smart_verdicts_[d.device] = d.verdict;
    changed.push_back({&d});
  }
  return changed;
}

std::vector<AlertAction> DiskHealthMonitor::smart(const health::SmartState* state, UtcTime now,
                                                  const TimeZone* zone, const std::vector<alerts::Alert>& open) {
  health::SmartAssessmentInput input;
  input.state = state;
  input.now = now;
  input.seen_available = smart_seen_available_;
  input.stale_after = health::kSmartStaleAfter;
  input.zone = zone;
  std::vector<AlertAction> actions;
  std::map<std::pair<std::string, std::string>, std::string> now_raised;
  for (const auto& c : health::assess(input)) {
    std::pair<std::string, std::string> key{std::string(kind_of(c.kind)), c.subject};
    now_raised[key] = c.message;
    auto known = smart_alerts_.find(key);
    if (known != smart_alerts_.end() && known->second == c.message && is_open(open, key.first, key.second)) continue;
    auto severity = c.kind == health::SmartConcern::Kind::Failing ? alerts::Severity::Critical : alerts::Severity::Warning;
    actions.push_back(raise(key.first, key.second, severity, c.message));
  }
  smart_alerts_ = now_raised;
  // Only once a smart.json has been read: until then nothing is known either way.
  if (state == nullptr) return actions;
  for (const auto& alert : open) {
    if (!is_smart_kind(alert.kind) || now_raised.count({alert.kind, alert.subject}) > 0) continue;
    actions.push_back(resolve(alert.kind, alert.subject));
  }
  return actions;
}

}  // namespace carekeep::health
