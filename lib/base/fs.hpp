// base/fs: durability helpers (fsync of files and directories, atomic replace) and an
// exclusive lock file. Blocking calls; used by the writer threads and at startup.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/error.hpp"

namespace carekeep::fs {

Status fsync_path(const std::filesystem::path& path);       // file or directory
Status fsync_parent(const std::filesystem::path& path);     // the directory holding `path`
// Writes `content` to `path` via a temporary file, fsync and rename, so readers see the old
// or the new content, never a torn one. The temporary file is created afresh (O_EXCL,
// O_NOFOLLOW), so a symlink planted at its name is replaced, never followed.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content);

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
