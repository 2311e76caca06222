// integrity/recovery: startup crash recovery, run once by the daemon before READY
// (STYLE.md §5). Repairs segments a crash left open (cut to the last complete fragment,
// re-hashed, closed as recovered) or marks them damaged; quarantines files that have no index
// row (never adopted: only what carekeepd recorded is evidence), and the file of an open row
// when it is not the one recorded (its checkpoint) or the row is not carekeepd's (the chain);
// records rows whose files are gone. Blocking (file reads, fsyncs,
// SQLite); called on the loop thread before any recorder starts, never concurrently with
// one. It does not delete anything: what cannot be kept is moved to <storage>/quarantine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "index/index.hpp"

namespace carekeep::integrity {

// An open row whose file recovery would not adopt (issue 15, review G and G2): the file is
// not the one carekeepd recorded (it does not begin with the row's checkpoint), or the open row
// is not one carekeepd wrote (not in the evidence chain). The file went to quarantine and the
// row was closed damaged with `reason` after index::kNotRecordedDetail.
struct RefusedSegment {
  index::SegmentRow row;  // as it was, open
  std::string reason;
};

struct RecoveryReport {
  std::int64_t repaired = 0;     // open rows closed as recovered
  std::int64_t damaged = 0;      // open rows closed as damaged (no usable data, or no file)
  std::int64_t quarantined = 0;  // files without a row moved to <storage>/quarantine
  std::int64_t missing = 0;      // closed/recovered rows whose file is gone (now damaged)
  std::vector<std::string> findings;  // one line per action, for the journal and reports
  // Of `missing`: rows still under protection (care footage that had to be kept) when their
  // file was found gone. Nothing in carekeep removes such a file, so the daemon raises a
  // critical alert for them (alerts::kFootageMissing).
  std::vector<index::SegmentRow> protected_missing;
  // Of `damaged`: rows whose file was refused as not recorded by carekeepd. The daemon raises a
  // critical alert per camera for them (alerts::kFootageNotRecorded).
  std::vector<RefusedSegment> refused;
};

// protect_until for a segment recovered at startup, by the same rule the daemon
// applies at close (retention's care-hours protection); empty or nullopt = none.
using ProtectionPolicy =
    std::function<std::optional<UtcTime>(const std::string& camera, UtcTime start, UtcTime end)>;

// Runs the whole procedure (docs/recording.md, "Crash recovery") over `storage` and `index`.
// `now` stamps closed_us, events and details. The daemon calls sync_cameras first, so that a
// quarantined file's event can name its camera.
// Idempotent: a second call finds nothing to do. Crash-safe: each file step is finished on
// disk (fsynced) before the index records it, and each index step is one transaction, so
// an interruption anywhere is picked up by the next call. Fails only when the disk or the
// index refuses a write (read-only, full, I/O error); per-file problems become findings.
// `zone` dates checkpoints in refusal reasons (the site's local time, as people read it).
Result<RecoveryReport> recover(index::Index& index, const std::filesystem::path& storage, UtcTime now,
                               const ProtectionPolicy& protection = {}, const TimeZone& zone = TimeZone::utc());

}  // namespace carekeep::integrity
