#include "base/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace carekeep::fs {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Error from_errno(int err, std::string what) {
  ErrorKind kind = ErrorKind::Internal;
  if (err == ENOSPC || err == EDQUOT) kind = ErrorKind::ResourceExhausted;
  else if (err == ENOENT) kind = ErrorKind::NotFound;
  else if (err == EROFS || err == EACCES || err == EPERM) kind = ErrorKind::FailedPrecondition;
  else if (err == EIO) kind = ErrorKind::DataLoss;
  return Error{kind, std::move(what) + ": " + std::strerror(err)};
}

namespace {
const char* file_type_words(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";
}
}  // namespace

Result<UniqueFd> open_regular_file(const std::filesystem::path& path) {
  UniqueFd fd{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)};
  if (!fd) {
    int err = errno;
    if (err == ELOOP) {
      return tl::unexpected(Error{ErrorKind::FailedPrecondition,
                                  "reading " + path.string() + ": it is a symbolic link, not a regular file"});
    }
    return tl::unexpected(from_errno(err, "reading " + path.string()));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(from_errno(errno, "reading " + path.string()));
  if (!S_ISREG(st.st_mode)) {
    return tl::unexpected(Error{ErrorKind::FailedPrecondition, "reading " + path.string() + ": it is " +
                                                                   file_type_words(st.st_mode) +
                                                                   ", not a regular file"});
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return tl::unexpected(from_errno(errno, "reading " + path.string()));
  }
  return fd;
}

Status write_all(int fd, std::string_view bytes, const std::string& what) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(from_errno(errno, what));
    }
    written += static_cast<std::size_t>(n);
  }
  return ok();
}

Result<std::size_t> read_at(int fd, void* buffer, std::size_t size, std::uint64_t offset, const std::string& what) {
  std::size_t done = 0;
  auto* out = static_cast<char*>(buffer);
  while (done < size) {
    ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(from_errno(errno, what));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace carekeep::fs
