// retention/storage: what a retention pass reads before it plans: the file system's size and
// free space (statvfs), the footage the index accounts for, and the rows that may go. The
// daemon's loop thread calls it on the writer connection (the CLI may use a reader); blocks
// on statvfs and SQLite reads. It decides nothing (planner.hpp) and changes nothing.
#pragma once

#include <filesystem>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "config/config.hpp"
#include "index/index.hpp"
#include "retention/planner.hpp"

namespace carekeep::retention {

// Disk usage of the file system holding `storage`: total = f_blocks × f_frsize, free =
// f_bavail × f_frsize (what an unprivileged daemon may still write, not f_bfree), and the
// footage bytes from the index (Index::footage_bytes). NotFound / FailedPrecondition when
// the directory is missing or unreadable.
Result<StorageState> measure(const std::filesystem::path& storage, index::Index& index);

// The rows one pass must plan over: live rows whose protect_until has passed, live rows
// without one that ended other_days ago, and, when `storage` is under pressure
// (bytes_needed > 0), every live row without protect_until. Rows with a protection still in
// force are never loaded: the planner would keep them anyway, and there are millions of them.
Result<std::vector<index::RetentionRow>> load_candidates(index::Index& index, const config::Retention& retention,
                                                         const StorageState& storage, UtcTime now);

}  // namespace carekeep::retention
