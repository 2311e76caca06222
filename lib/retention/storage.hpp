// retention/storage: what a retention pass reads before it plans: the file system's size and
// free space (statvfs), the footage the index accounts for, and the rows that may go. The
// daemon's loop thread calls it on the writer connection (the CLI may use a reader); blocks
// on statvfs and SQLite reads. It decides nothing (planner.hpp) and changes nothing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/mounts.hpp"
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

// --- can the daemon write its storage? (issue 14) --------------------------------------------
// carekeepd runs with ProtectSystem=strict: outside ReadWritePaths= every path is a read-only
// bind mount in its namespace, so a footage disk mounted at /srv/footage fails with EROFS
// exactly like a disk the kernel remounted read-only after I/O errors. The cure differs (a
// systemd drop-in vs. a new disk), so the two are told apart from the mount table: the
// sandbox makes the MOUNT read-only (mountinfo field 6) while the FILE SYSTEM stays
// read-write (super options); a failing disk makes the file system read-only.
enum class WriteBlock {
  None,           // writable (or full: ENOSPC is retention's business, not this)
  Sandbox,        // read-only bind mount, file system rw, under systemd: ReadWritePaths= missing
  ReadOnlyBind,   // the same outside systemd: somebody bind-mounted it read-only
  ReadOnlyDisk,   // the file system itself is read-only (mounted ro, or remounted after errors)
  Permission,     // EACCES/EPERM: the directory's owner or mode keeps this user out
  Other,          // anything else (EIO, ENOENT on a vanished disk): `detail` says which
};
std::string_view to_string(WriteBlock block);

struct StorageAccess {
  WriteBlock block = WriteBlock::None;
  std::filesystem::path storage;
  std::optional<mounts::Mount> mount;  // the mount holding it, as this process sees it
  std::string detail;                  // the failed call and strerror; empty when None
  bool writable() const { return block == WriteBlock::None; }
  // Plain words for the log and the storage_not_writable / disk_readonly alert: what is
  // wrong and the one step that fixes it. Empty when writable.
  std::string message() const;
};

// Classifies a write that failed with EROFS from the mount holding the storage. `systemd`:
// this process runs as a systemd service (INVOCATION_ID is set), so a read-only bind mount
// over a read-write file system is its own sandbox's. Pure.
WriteBlock classify_read_only(const std::optional<mounts::Mount>& mount, bool systemd);

// This process runs under systemd (the manager sets INVOCATION_ID for every service).
bool under_systemd();

// Creates `storage` if missing, then creates and removes a probe file in it (O_EXCL: never
// one found there), the way a recorder will write. On failure, says why (classify_read_only
// for EROFS, reading /proc/self/mountinfo). Blocks on mkdir/open/unlink; for startup and
// `carekeep doctor`, not for the loop's hot path.
StorageAccess probe_writable(const std::filesystem::path& storage);

// For a storage whose statvfs says ST_RDONLY (the loop's periodic check): which kind of
// read-only it is, without writing. Reads /proc/self/mountinfo.
StorageAccess read_only_access(const std::filesystem::path& storage);

}  // namespace carekeep::retention
