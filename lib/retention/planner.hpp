// retention/planner: the retention policy as one pure function (PRODUCT.md §4; docs/retention.md,
// Retention). Segment rows, active holds, disk usage, the configuration, the time and whether
// the wall clock can be trusted go in; the segments to delete, each with its reason, and what
// is still missing come out. No I/O, no clock, no threads: any thread may call it and it never
// blocks. It deletes nothing (deleter.hpp does) and reads nothing (storage.hpp loads rows).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "config/config.hpp"
#include "index/rows.hpp"
#include "retention/protection.hpp"

namespace carekeep::retention {

enum class DeletionReason {
  Expired,           // no care-hours protection, and other_days have passed since its end
  ExpiredProtected,  // its protect_until has passed
  DiskPressure,      // no protection, other_days not yet passed: removed early for space
};
// "expired" | "expired_protected" | "disk_pressure" (stable: logs, JSON, state_detail).
std::string_view to_string(DeletionReason reason);

// An active hold resolved to one camera (or to all of them): footage of `camera_id`
// overlapping [from, to) must stay.
struct HeldRange {
  std::int64_t hold_id = 0;
  std::optional<std::string> camera_id;  // nullopt: every camera
  UtcTime from;
  UtcTime to;
};

// Zone id -> its cameras, from the configuration.
using ZoneCameras = std::map<std::string, std::vector<std::string>, std::less<>>;

// Resolves hold rows (the caller passes active ones) to per-camera ranges: a camera hold as
// it is, a zone hold as one range per camera of the zone. A zone the configuration no longer
// names holds every camera: a hold errs on the side of keeping footage.
std::vector<HeldRange> resolve_holds(std::span<const index::HoldRow> holds, const ZoneCameras& zones);

// Does `held` keep a segment of `camera` covering [start, end)? (An empty segment counts as
// the instant start.)
bool holds_segment(const HeldRange& held, std::string_view camera, UtcTime start, UtcTime end);

struct StorageState {
  std::uint64_t total_bytes = 0;    // size of the file system holding the storage directory
  std::uint64_t free_bytes = 0;     // available to carekeep (statvfs f_bavail, not f_bfree)
  std::uint64_t footage_bytes = 0;  // size_bytes of every segment whose file may exist
};

// Bytes that must go for the disk to be out of pressure: enough to bring free space back to
// min_free_percent of the total, and footage back under max_bytes when that quota is set;
// the larger of the two. 0 means no pressure.
std::uint64_t bytes_needed(const StorageState& storage, const config::Retention& retention);

struct ClockTrust {
  bool trusted = true;  // false after the wall clock jumped (forwards or backwards)
  std::string reason;   // why not, in words; copied into Plan::paused_reason
};

// An ad-hoc care session (index care_session) as retention keeps it: footage overlapping
// [begin, end) is care footage, kept at least until `keep_until`.
struct AdhocKeep {
  UtcTime begin;
  UtcTime end;
  UtcTime keep_until;  // care_protect_until(end, care_days, zone)
};
// One per session: an open one counts until its limit.
std::vector<AdhocKeep> adhoc_keeps(std::span<const index::CareSessionRow> sessions, int care_days,
                                   const TimeZone& zone);

struct PlanInput {
  // The rows to consider, in any state and order; the planner itself skips open, deleting
  // and deleted ones. storage.hpp's load_candidates gives the rows one pass needs.
  std::span<const index::RetentionRow> segments;
  std::span<const HeldRange> holds;  // active holds, resolved (resolve_holds)
  StorageState storage;
  config::Retention retention;  // other_days, min_free_percent, max_bytes (care_days is in `protection`)
  UtcTime now;
  // For rows without a stored protect_until only: segments closed before a policy existed
  // (or by a daemon that had none) that overlap care hours by today's schedule are protected
  // as if closed now. Rows with a stored protect_until are never asked again, so a later
  // schedule edit cannot shorten their protection. Empty: such rows count as outside care.
  ProtectionPolicy protection;
  // Ad-hoc care sessions. A row overlapping one is protected at least until its keep_until,
  // whatever its stored protect_until says: a segment that closed in the moment between
  // `carekeep care start` and the daemon seeing the session stored the shorter protection.
  std::span<const AdhocKeep> adhoc;
  ClockTrust clock;
};

struct Deletion {
  index::SegmentId id = 0;
  std::string camera_id;
  UtcTime start;
  UtcTime end;
  std::string path;  // relative to the storage directory
  std::int64_t size_bytes = 0;
  DeletionReason reason = DeletionReason::Expired;
  std::optional<UtcTime> protect_until;  // the protection that ended (ExpiredProtected only)
};

struct PlanSummary {
  bool under_pressure = false;
  std::uint64_t bytes_needed = 0;     // bytes_needed(storage, retention), before any deletion
  std::uint64_t bytes_freed = 0;      // size_bytes of all deletions
  std::uint64_t shortfall_bytes = 0;  // of bytes_needed, what nothing deletable could cover
  // Invariant 6: the disk cannot take new footage without touching protected or held
  // footage, so recording outside care hours must stop (shortfall_bytes > 0).
  bool stop_recording_outside_care = false;
  std::int64_t expired = 0;  // deletions by reason
  std::int64_t expired_protected = 0;
  std::int64_t disk_pressure = 0;
  std::int64_t kept_protected = 0;   // live rows kept: protect_until (stored or by policy) not passed
  std::int64_t kept_held = 0;        // live rows kept by a hold
  std::int64_t kept_unfinished = 0;  // open or deleting rows (never planned)
};

struct Plan {
  // Expired and ExpiredProtected first, oldest first; then DiskPressure, oldest first.
  std::vector<Deletion> deletions;
  PlanSummary summary;
  bool paused = false;  // the clock is not trusted: nothing is deleted (invariant 5)
  std::string paused_reason;
};

// The rules (PRODUCT.md §4 invariants 1-6):
// - never: a row that is not closed, recovered or damaged; a row overlapping an active
//   hold; a row whose protection (stored, or by `protection` when none is stored) is later
//   than `now`;
// - always: every other row whose protection has passed (ExpiredProtected) or, without
//   protection, whose end + other_days has passed (Expired), pressure or not;
// - under pressure, after the expired ones: unprotected rows outside care hours that are not
//   yet expired, oldest (start, then id) first, only until bytes_needed is covered;
// - nothing else. What is still missing is the shortfall, and then recording outside care
//   hours must stop.
// With an untrusted clock the plan deletes nothing and says why (paused); bytes_needed is
// still measured, and all of it is shortfall.
Plan plan(const PlanInput& input);

}  // namespace carekeep::retention
