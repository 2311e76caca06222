// retention/deleter: carries out a plan on the index and the storage directory, crash-safely
// (PRODUCT.md §4.4; docs/retention.md, Retention). Per batch of rows: mark them `deleting` in one
// transaction → unlink each file → fsync each directory once → mark them `deleted` in one
// transaction. A crash anywhere leaves rows `deleting`, which complete_interrupted() finishes.
// Runs on the daemon's loop thread over the writer connection; blocks on SQLite commits,
// unlink and fsync. It decides nothing: it deletes only what a plan lists, and refuses any
// row that is protected or held at the moment it is marked, whatever the plan says.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "index/index.hpp"
#include "retention/planner.hpp"

namespace carekeep::retention {

struct DeleteOptions {
  // Rows per transaction and per round of unlinks and directory fsyncs. One batch costs two
  // WAL fsyncs plus one fsync per directory (a camera-day), so larger batches are cheaper;
  // smaller ones keep the writer lock (which blocks the catalog's 1 s batches) shorter.
  std::size_t batch_size = 1000;
  // To resolve zone holds; the holds themselves are read again inside every batch.
  ZoneCameras zone_cameras;
  // The planner's policy for rows without a stored protect_until (PlanInput::protection),
  // asked again for each such row before it is marked.
  ProtectionPolicy protection;
};

struct DeleteReport {
  std::int64_t deleted = 0;        // rows now `deleted`
  std::int64_t files_removed = 0;  // files unlinked (the others were already gone)
  std::uint64_t bytes = 0;         // size_bytes of the rows deleted
  std::int64_t skipped = 0;        // planned rows no longer live (gone, deleting or deleted already)
  // Rows refused or left `deleting`, one error each: Internal for a planned row that is
  // protected or held now (a stale or wrong plan: never deleted), the unlink's error for a
  // file that could not be removed (its row stays `deleting` and is retried).
  std::vector<Error> findings;
};

// Carries out a plan one batch at a time, so that a caller with an event loop can let other
// work (the catalog's commits, alerts) run between batches: a plan of tens of thousands of
// rows (a box switched off for weeks) is not executed in one loop turn. Each step() is the
// whole four-step procedure for one batch, so a crash between steps, or an Execution dropped
// half way, leaves nothing half done; rows not reached yet are simply still live. Holds and
// protection are read again by every batch, so a hold placed between two batches is obeyed.
class Execution {
 public:
  // Nothing is done when `plan` is paused. `now` is compared with each row's protect_until
  // and stamped as deleted_us by every batch (a later batch never uses a later time).
  Execution(Plan plan, UtcTime now, DeleteOptions options = {});

  // Runs the next batch; true once every row has been handled. Fails only when the index or
  // a directory fsync refuses (database busy or read-only, I/O error); rows of the failed
  // batch stay `deleting` (or live, if the first commit failed) and are finished by
  // complete_interrupted(). After a failure the execution is over (done() is true).
  Result<bool> step(index::Index& index, const std::filesystem::path& storage);
  bool done() const { return next_ >= plan_.deletions.size(); }
  std::size_t handled() const { return std::min(next_, plan_.deletions.size()); }  // planned rows done so far
  const Plan& plan() const { return plan_; }
  UtcTime now() const { return now_; }  // the time every 'deleting' entry of this execution carries
  const DeleteReport& report() const { return report_; }
  DeleteReport take_report() { return std::move(report_); }

 private:
  Plan plan_;
  UtcTime now_;
  DeleteOptions options_;
  std::size_t next_ = 0;  // first planned row of the next batch
  DeleteReport report_;
};

// Deletes what `plan` lists (nothing when it is paused), all batches at once: Execution run
// to the end. Errors as Execution::step.
Result<DeleteReport> execute(index::Index& index, const std::filesystem::path& storage, const Plan& plan, UtcTime now,
                             const DeleteOptions& options = {});

// Finishes deletions a crash interrupted: every row left `deleting` has its file unlinked if
// it is still there, its directory fsynced and the row marked `deleted` at `now`. The decision
// was committed before the crash, so it is carried out whatever the protection says now.
// Run at startup before recording (and cheaply before every pass: the lookup uses the
// partial index segment_unfinished). Idempotent.
Result<DeleteReport> complete_interrupted(index::Index& index, const std::filesystem::path& storage, UtcTime now,
                                          std::size_t batch_size = 1000);

}  // namespace carekeep::retention
