#include "segment/hash.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>

#include "base/fd.hpp"

namespace carekeep::segment {
namespace {
constexpr std::size_t kReadSize = 1 << 20;
}  // namespace

Result<std::uint64_t> hash_fd_from(Sha256Stream& hash, int fd, std::uint64_t offset, const std::string& name,
                                   std::optional<std::uint64_t> limit) {
  ::posix_fadvise(fd, static_cast<off_t>(offset), 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<std::uint8_t[]> buf{new std::uint8_t[kReadSize]};  // not zeroed: every byte used is read first
  std::uint64_t left = limit.value_or(UINT64_MAX);
  std::uint64_t fed = 0;
  while (left > 0) {
    ssize_t n = ::pread(fd, buf.get(), static_cast<std::size_t>(std::min<std::uint64_t>(kReadSize, left)),
                        static_cast<off_t>(offset + fed));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::DataLoss, "reading " + name + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    hash.update(buf.get(), static_cast<std::size_t>(n));
    left -= static_cast<std::uint64_t>(n);
    fed += static_cast<std::uint64_t>(n);
  }
  return fed;
}

Result<Sha256> sha256_fd(int fd, const std::string& name, std::optional<std::uint64_t> limit) {
  Sha256Stream hash;
  if (auto fed = hash_fd_from(hash, fd, 0, name, limit); !fed) return tl::unexpected(fed.error());
  return hash.finish();
}

Result<Sha256> sha256_file(const std::filesystem::path& path, std::optional<std::uint64_t> limit) {
  auto fd = fs::open_regular_file(path);
  if (!fd) {
    auto kind = fd.error().kind == ErrorKind::NotFound ? ErrorKind::NotFound : ErrorKind::FailedPrecondition;
    return fail(kind, fd.error().message);
  }
  return sha256_fd(fd->get(), path.string(), limit);
}

}  // namespace carekeep::segment
