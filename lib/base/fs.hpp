// base/fs: durability helpers (fsync of files and directories, atomic replace) and an
// exclusive lock file. Blocking calls; used by the writer threads and at startup.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace carekeep::fs {

Status fsync_path(const std::filesystem::path& path);       // file or directory
Status fsync_parent(const std::filesystem::path& path);     // the directory holding `path`
// Writes `content` to `path` via a temporary file, fsync and rename, so readers see the old
// or the new content, never a torn one. The temporary file is created afresh (O_EXCL,
// O_NOFOLLOW), so a symlink planted at its name is replaced, never followed.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content);

// write_file_atomic for a root writer in a directory another user owns (carekeep-smart into
// carekeepd's state directory, issue 14): it follows no symlink that it did not create and
// only root could have made. The directory is reached from "/" one component at a time with
// O_NOFOLLOW; a symlink on the way is followed only when it and the directory holding it
// belong to root and nobody else may write there (/var -> /data/var made by the admin).
// Every directory reached must belong to root or to one of `owners` and not be writable by
// others. The temporary file is created in the directory's descriptor (openat, O_EXCL |
// O_NOFOLLOW) and renamed onto `path` with renameat (replacing a symlink planted there, not
// its target), then the directory is fsynced. FailedPrecondition, naming the path, when a
// directory is refused.
Status write_file_atomic_guarded(const std::filesystem::path& path, std::string_view content,
                                 const std::vector<uid_t>& owners);

// Holds an exclusive flock on a file for its lifetime: one daemon per data directory.
class LockFile {
 public:
  static Result<LockFile> acquire(const std::filesystem::path& path);
  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace carekeep::fs
