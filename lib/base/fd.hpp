// base/fd: an owned file descriptor and the few blocking calls on one that several modules
// need (write everything, read at an offset, errno -> Error). Any thread; one owner at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.hpp"

namespace carekeep::fs {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// errno as an Error: ENOSPC/EDQUOT ResourceExhausted, ENOENT NotFound, EROFS/EACCES/EPERM
// FailedPrecondition, EIO DataLoss, anything else Internal. Message "<what>: <strerror>".
Error from_errno(int err, std::string what);

// Opens a file to read it as evidence: never follows a symbolic link as its last component,
// never blocks in open(2) (a FIFO or a device in a footage folder would hang startup recovery
// or verify forever: review scenario S3), and accepts only a regular file (fstat). NotFound
// when there is none; FailedPrecondition naming what is there instead ("a FIFO", "a
// symbolic link", ...). The descriptor is blocking again, close-on-exec.
Result<UniqueFd> open_regular_file(const std::filesystem::path& path);

// Writes all of `bytes` at the descriptor's current offset (retrying short writes and EINTR).
Status write_all(int fd, std::string_view bytes, const std::string& what);
// Up to `size` bytes at `offset`; fewer only at the end of the file.
Result<std::size_t> read_at(int fd, void* buffer, std::size_t size, std::uint64_t offset, const std::string& what);

}  // namespace carekeep::fs
