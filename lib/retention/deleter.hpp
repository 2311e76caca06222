// retention/deleter: carries out a plan on the index and the storage directory, crash-safely
// (PRODUCT.md §4.4; docs/design.md, Retention). Per batch of rows: mark them `deleting` in one
// transaction → unlink each file → fsync each directory once → mark them `deleted` in one
// transaction. A crash anywhere leaves rows `deleting`, which complete_interrupted() finishes.
// Runs on the daemon's loop thread over the writer connection; blocks on SQLite commits,
// unlink and fsync. It decides nothing: it deletes only what a plan lists, and refuses any
// row that is protected or held at the moment it is marked, whatever the plan says.
#pragma once

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

// Deletes what `plan` lists (nothing when it is paused). `now` is compared with each row's
// protect_until and stamped as deleted_us. Fails only when the index or a directory fsync
// refuses (database busy or read-only, I/O error); rows of the failed batch stay `deleting`
// (or live, if the first commit failed) and are finished by complete_interrupted().
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
