// alerts: conditions an operator must see (disk full, clock untrusted, camera down, ...), one
// open alert per (kind, subject), kept in the index's `alert` table so that status, the CLI
// and reports read the same state. AlertCenter lives on the daemon's loop thread and writes
// through the daemon's index::Index (calls block on SQLite); the free functions serve readers
// (the CLI). Deciding WHEN a condition holds is the job of the module that watches it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the full header only where JSON is built (~3.5 s per file)

#include "base/disk_fault.hpp"
#include "base/error.hpp"
#include "base/time.hpp"
#include "index/index.hpp"

namespace carekeep::alerts {

enum class Severity { Info, Warning, Critical };
std::string_view to_string(Severity severity);
std::optional<Severity> parse_severity(std::string_view text);

// Kinds in use (a kind is a stable snake_case word; subject says which camera or zone).
inline constexpr std::string_view kDiskLow = "disk_low";
inline constexpr std::string_view kDiskFull = "disk_full";
inline constexpr std::string_view kDiskReadonly = "disk_readonly";
inline constexpr std::string_view kDiskError = "disk_error";
// The storage cannot be written for a reason of this box's setup, not of the disk: the
// service's sandbox (no ReadWritePaths= for it), or its owner and mode (retention/storage.hpp).
inline constexpr std::string_view kStorageNotWritable = "storage_not_writable";
// SMART (subject: the disk, "/dev/sda"; "" for the storage as a whole when nothing can be read).
inline constexpr std::string_view kDiskSmartFailing = "disk_smart_failing";
inline constexpr std::string_view kDiskSmartWarning = "disk_smart_warning";
inline constexpr std::string_view kDiskSmartUnavailable = "disk_smart_unavailable";
inline constexpr std::string_view kClockUntrusted = "clock_untrusted";
inline constexpr std::string_view kCapacityShort = "capacity_short";
inline constexpr std::string_view kCameraOffline = "camera_offline";
inline constexpr std::string_view kZoneUncovered = "zone_uncovered";
inline constexpr std::string_view kContentFault = "content_fault";
// Protected care footage whose file vanished outside carekeep (found at startup; subject: the
// camera). Critical: the law's retention was broken; it stays open until acknowledged.
inline constexpr std::string_view kFootageMissing = "footage_missing";
// After a crash, the file found for a segment being recorded was not the one carekeepd recorded
// (it does not begin with the bytes the writer had synced), or its index row was not written by
// carekeepd (issue 15, review G and G2; subject: the camera). The file was quarantined and the
// row closed damaged. Critical: someone put footage in place of the recording; it stays open
// until acknowledged.
inline constexpr std::string_view kFootageNotRecorded = "footage_not_recorded";
// An ad-hoc care session nobody stopped ended by itself at its limit ([care_hours]
// adhoc_max_hours; subject ""): care after it is not care unless the schedule says so.
// Resolved when the next session starts; acknowledged by a person otherwise.
inline constexpr std::string_view kCareAutoStopped = "care_auto_stopped";

struct Alert {
  std::int64_t id = 0;
  std::string kind;
  std::string subject;  // camera or zone id; "" for the whole box
  Severity severity = Severity::Warning;
  std::string message;  // plain words: what is wrong and what to do
  UtcTime raised;
  UtcTime last_seen;
  std::optional<UtcTime> resolved;
  std::optional<UtcTime> acknowledged;
  std::string acknowledged_by;
};

// One alert as status.json, `carekeep status --json` and `carekeep alerts --json` show it (keys in
// this order):
// {id, kind, subject, severity, message, raised, raised_us, last_seen, last_seen_us, resolved,
//  acknowledged, acknowledged_by, resolved_us, acknowledged_us}; times local ISO 8601 in `zone`,
// null when unset.
nlohmann::ordered_json to_json(const Alert& alert, const TimeZone& zone);
// The inverse of to_json (the *_us keys carry the times): status readers (lib/status).
// InvalidArgument naming the key that is missing or of the wrong type.
Result<Alert> from_json(const nlohmann::json& in);

// A row as the index stores it. DataLoss for a severity the schema's check should have made
// impossible (the file was edited outside carekeep).
Result<Alert> from_row(const index::AlertRow& row);

struct Change {
  enum class Type { Raised, Resolved } type;
  Alert alert;
};

class AlertCenter {
 public:
  // Adopts the alerts the index has open (raised by an earlier daemon run): the watcher of
  // each condition resolves them when it finds the condition gone, or refreshes them.
  AlertCenter(index::Index& index, const Clock& clock);

  // Opens an alert for (kind, subject), or refreshes the open one (last_seen, message,
  // severity). Listeners hear Raised for a new alert and for a change of severity, not for
  // a refresh with the same severity (a watcher re-raises on every check). Returns its id.
  Result<std::int64_t> raise(std::string_view kind, std::string_view subject, Severity severity,
                             std::string message);
  // Closes the open alert for (kind, subject), if any (none is not an error).
  Status resolve(std::string_view kind, std::string_view subject);
  // Open alerts as the index has them now (acknowledgements made by the CLI included), by id.
  std::vector<Alert> open() const;
  // Whether (kind, subject) is open, without touching the index.
  bool is_open(std::string_view kind, std::string_view subject) const;
  // Called on the loop thread after the index write; a listener must not call back into
  // raise/resolve.
  void subscribe(std::function<void(const Change&)> listener);

  // How an alert's write stays its own on a connection other writers share (docs/alerts.md,
  // "Alerts on a full disk"). A "disk full" alert written inside the catalog's batch was rolled
  // back with the batch the full disk refused: the index, status and reports never had it.
  struct WriteHooks {
    // Ends any transaction another writer holds open on the index's connection (the daemon
    // commits the catalog's batch, or sets its reports aside), so the alert commits alone.
    // Must not raise or resolve alerts.
    std::function<void()> before_write;
    // The index refused the alert's write for want of space: give it some (the disk reserve
    // beside the index). Returns whether any was freed; the write is then tried once more.
    std::function<bool(DiskFault)> make_room;
  };
  void set_write_hooks(WriteHooks hooks) { hooks_ = std::move(hooks); }

 private:
  void notify(Change::Type type, const Alert& alert) const;
  // Runs one index write of raise/resolve through the hooks.
  template <class Write>
  auto write(Write&& op) -> decltype(op());

  index::Index& index_;
  const Clock& clock_;
  std::map<std::pair<std::string, std::string>, Alert> open_;
  std::vector<std::function<void(const Change&)>> listeners_;
  WriteHooks hooks_;
};

// ---- readers (the CLI) ----
// Open alerts, or every alert when `all`, by id.
Result<std::vector<Alert>> list(index::Index& index, bool all);
// Records that `by` acknowledged alert `id` at `when`. NotFound when there is no alert `id`;
// FailedPrecondition, naming who and when, when it was acknowledged already.
Status acknowledge(index::Index& index, std::int64_t id, UtcTime when, std::string_view by);
// acknowledge(), as the person the access log names, with an access-log row in the same
// transaction: `alert_ack` (alert, kind, subject, message) for every kind (issue 15: every
// change leaves a trace), except clock_untrusted, whose acknowledgement confirms the wall
// clock's date (the daemon's clock guard then trusts it): `clock_confirm` with the wall time
// confirmed (`when`), so who vouched for which date stays on the hash-chained record.
Status acknowledge_as(index::Index& index, std::int64_t id, UtcTime when, std::int64_t uid, std::string_view user);

}  // namespace carekeep::alerts
