// health/disk_health: what the storage's disk itself says, turned into the alerts an operator
// must see (docs/retention.md, Disk health). Three sources: a segment write that failed, with
// the fault typed where it failed (recorder::RunEnded::disk_fault: full, quota, read-only,
// I/O error); the file system found read-only (statvfs ST_RDONLY, told apart from the
// service's sandbox by the mount table, retention/storage.hpp); and SMART, as carekeep-smart
// wrote it to smart.json (health/smart.hpp). Pure: every call takes what was observed and
// the alerts open now, and returns what to raise or resolve; it keeps only what it needs to
// raise an alert once rather than on every check. Reads no file, writes no alert, no clock
// of its own (times come in); one thread (the daemon's loop). Retention is not here: what
// it deletes, and the disk_full shortfall, stay in lib/retention.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alerts/alerts.hpp"
#include "base/disk_fault.hpp"
#include "base/time.hpp"
#include "health/smart.hpp"
#include "retention/storage.hpp"

namespace carekeep::health {

// One change to the alerts: raise (or refresh) (kind, subject) with severity and message, or resolve it.
struct AlertAction {
  enum class Op { Raise, Resolve } op = Op::Raise;
  std::string kind;
  std::string subject;
  alerts::Severity severity = alerts::Severity::Warning;
  std::string message;
  bool operator==(const AlertAction&) const = default;
};

// A camera's segment write failed on the disk (RunEnded or ConnectFailed with cause
// disk_error and a fault other than None; a pause is not a write failure), or the index's
// commit did (camera empty: the catalog keeps the reports until it can write them).
struct WriteFailure {
  std::string camera;  // empty: the index
  DiskFault fault = DiskFault::None;
  std::string detail;  // the failed call and strerror, for the alert's words only
};

// A disk whose SMART verdict changed since the last smart.json read (for the log).
struct VerdictChange {
  const health::DiskHealth* disk = nullptr;  // into the state passed to smart_read
};

class DiskHealthMonitor {
 public:
  explicit DiskHealthMonitor(std::filesystem::path storage) : storage_(std::move(storage)) {}
  void set_storage(std::filesystem::path storage) { storage_ = std::move(storage); }

  // A segment write failed: Full and Quota open disk_full (once: retention's pass refines its
  // words with the shortfall), ReadOnly disk_readonly (unless the read-only check has already
  // raised it or storage_not_writable), IoError and Other disk_error for that camera.
  std::vector<AlertAction> write_failed(const WriteFailure& failure, const std::vector<alerts::Alert>& open) const;
  // The index took a commit again after refusing: its disk_error (subject "index") resolves.
  std::vector<AlertAction> index_written(const std::vector<alerts::Alert>& open) const;
  // A segment of `camera` closed whole (not cut after a write error): its disk_error resolves.
  std::vector<AlertAction> segment_closed(const std::string& camera, bool truncated,
                                          const std::vector<alerts::Alert>& open) const;

  // The periodic read-only check. `access`: nullopt while statvfs says the file system is
  // writable; else the mount table's classification (retention::read_only_access). A sandbox
  // raises storage_not_writable, a read-only disk disk_readonly; writable again resolves both.
  std::vector<AlertAction> read_only(const std::optional<retention::StorageAccess>& access,
                                     const std::vector<alerts::Alert>& open) const;

  // A smart.json just read (its mtime changed). Returns the disks whose verdict changed since
  // the last read, for the log; remembers that SMART was available when it was.
  std::vector<VerdictChange> smart_read(const health::SmartState& state);
  // The SMART alerts for the newest smart.json (none read yet: nullptr) at `now`: each concern
  // raised once and again only when its words change (a refresh every tick would write the
  // index every 2 s for as long as a disk is failing); SMART kinds that no longer hold,
  // including those an earlier run left open, resolved once a smart.json has been read.
  std::vector<AlertAction> smart(const health::SmartState* state, UtcTime now, const TimeZone* zone,
                                 const std::vector<alerts::Alert>& open);
  bool smart_seen_available() const { return smart_seen_available_; }

 private:
  std::filesystem::path storage_;
  bool smart_seen_available_ = false;
  std::map<std::pair<std::string, std::string>, std::string> smart_alerts_;  // (kind, subject) -> message raised
  std::map<std::string, health::SmartVerdict> smart_verdicts_;             // device -> last verdict seen
};

// disk_error's subject for the index (a camera id cannot be empty, and "index" is no camera of
// a valid configuration: ids are checked against it, config/load).
inline constexpr std::string_view kIndexSubject = "index";

bool is_open(const std::vector<alerts::Alert>& open, std::string_view kind, std::string_view subject);

}  // namespace carekeep::health
