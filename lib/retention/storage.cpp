#include "retention/storage.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace carekeep::retention {

Result<StorageState> measure(const std::filesystem::path& storage, index::Index& index) {
  struct statvfs vfs {};
  if (::statvfs(storage.c_str(), &vfs) != 0) {
    int err = errno;
    ErrorKind kind = err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition;
    return fail(kind, "measuring the file system of " + storage.string() + ": " + std::strerror(err));
  }
  StorageState state;
  state.total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  state.free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  auto footage = index.footage_bytes();
  if (!footage) return tl::unexpected(std::move(footage.error()));
  state.footage_bytes = *footage > 0 ? static_cast<std::uint64_t>(*footage) : 0;
  return state;
}

Result<std::vector<index::RetentionRow>> load_candidates(index::Index& index, const config::Retention& retention,
                                                         const StorageState& storage, UtcTime now) {
  UtcTime unprotected_ended_by =
      bytes_needed(storage, retention) > 0
          ? UtcTime::max()
          : now - std::chrono::duration_cast<Micros>(std::chrono::days{retention.other_days});
  return index.retention_candidates(now, unprotected_ended_by);
}

}  // namespace carekeep::retention
