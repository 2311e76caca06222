#include "health/disk_reserve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fd.hpp"

namespace carekeep::health {

std::uint64_t DiskReserve::size_for(std::uint64_t total_bytes) {
  return std::clamp<std::uint64_t>(total_bytes / 100, 256 * 1024, 16 * 1024 * 1024);
}

Result<bool> DiskReserve::ensure() {
  struct statvfs vfs {};
  if (::statvfs(path_.parent_path().c_str(), &vfs) != 0) return tl::unexpected(fs::from_errno(errno, "statvfs of " + path_.parent_path().string()));
  const std::uint64_t size = size_for(static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize);
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) >= size) return true;
  if (static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize < 2 * size) return false;
  fs::UniqueFd fd{::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (!fd) return tl::unexpected(fs::from_errno(errno, "creating the disk reserve " + path_.string()));
  // Allocated for real (not a sparse file): its blocks are what a release gives back.
  if (int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(size)); err != 0) {
    ::unlink(path_.c_str());
    return tl::unexpected(fs::from_errno(err, "allocating the disk reserve " + path_.string()));
  }
  if (::fsync(fd.get()) != 0) return tl::unexpected(fs::from_errno(errno, "fsync of the disk reserve " + path_.string()));
  return true;
}

std::uint64_t DiskReserve::release() {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  if (::unlink(path_.c_str()) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

std::uint64_t DiskReserve::release_if_short() {
  struct statvfs vfs {};
  if (::statvfs(path_.parent_path().c_str(), &vfs) != 0) return 0;
  const std::uint64_t size = size_for(static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize);
  if (static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize >= size) return 0;
  return release();
}

}  // namespace carekeep::health
