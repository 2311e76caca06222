// health/disk_reserve: a file of zeros beside the index that carekeepd gives back to the file
// system when the index refuses a write for want of space (docs/retention.md, "Disk reserve").
// Retention frees space by deleting footage, but each deletion is decided in an index
// transaction before anything is unlinked (the crash-safe order), and on a disk full to its
// last byte that transaction cannot commit: without the reserve, a full disk holding the index
// stays full until someone intervenes, and recording with it. Made again once the file
// system has room for it twice over. Blocks on statvfs, open, fallocate, unlink; one thread.
#pragma once

#include <cstdint>
#include <filesystem>

#include "base/error.hpp"

namespace carekeep::health {

// Where the reserve of the index `database` lives: beside it, on the same file system.
inline std::filesystem::path reserve_path(const std::filesystem::path& database) {
  return database.parent_path() / "disk-reserve";
}

class DiskReserve {
 public:
  explicit DiskReserve(std::filesystem::path path) : path_(std::move(path)) {}

  // 1 % of the file system, at least 256 KiB, at most 16 MiB: enough for a batch of the
  // deleter's and the catalog's writes to the index (a few hundred WAL pages).
  static std::uint64_t size_for(std::uint64_t total_bytes);

  // Makes the reserve when it is missing and the file system has at least twice its size
  // free (never the last bytes recording needs). Returns whether the reserve is in place.
  Result<bool> ensure();
  // Gives the space back. Returns the bytes freed: 0 when there was no reserve.
  std::uint64_t release();
  // At startup, before the index is opened: gives the space back when the file system has
  // less free than the reserve's size. Opening the index writes (the WAL and its -shm, the
  // daemon run's row, crash recovery's repairs, the configuration's load); on a disk the
  // cameras filled to its last byte while the daemon was down, those writes would fail and the
  // daemon could neither start nor say why. Returns the bytes freed.
  std::uint64_t release_if_short();

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace carekeep::health
