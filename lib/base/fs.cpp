#include "base/fs.hpp"

#include "base/fd.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace carekeep::fs {

Status fsync_path(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected(from_errno(errno, "opening " + path.string() + " for fsync"));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return tl::unexpected(from_errno(err, "fsync of " + path.string()));
  return ok();
}

Status fsync_parent(const std::filesystem::path& path) {
  auto parent = path.parent_path();
  return fsync_path(parent.empty() ? std::filesystem::path(".") : parent);
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  auto tmp = path;
  tmp += ".tmp";
  // A fresh file, never one found there: whoever can write the directory could have left a
  // symlink at the temporary name, and a root writer (carekeep-smart writes into carekeepd's
  // state directory) following it would truncate its target. unlink removes a link itself.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
    return tl::unexpected(from_errno(errno, "removing a stale " + tmp.string()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(from_errno(errno, "creating " + tmp.string()));
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return tl::unexpected(from_errno(err, "writing " + tmp.string()));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return tl::unexpected(from_errno(err, "fsync of " + tmp.string()));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return tl::unexpected(from_errno(err, "renaming " + tmp.string() + " to " + path.string()));
  }
  return fsync_parent(path);
}

Result<LockFile> LockFile::acquire(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(from_errno(errno, "opening lock file " + path.string()));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return fail(ErrorKind::FailedPrecondition,
                  "another carekeepd already uses this data directory (lock " + path.string() +
                      " is held); stop it first or point this one at another directory");
    return tl::unexpected(from_errno(err, "locking " + path.string()));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] auto n = ::write(fd, pid.data(), pid.size());
  }
  return LockFile{fd};
}

LockFile::LockFile(LockFile&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

LockFile::~LockFile() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace carekeep::fs
