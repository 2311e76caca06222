#include "segment/hash.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>

namespace carekeep::segment {
namespace {
constexpr std::size_t kReadSize = 1 << 20;
}  // namespace

std::string to_hex(const Sha256& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::optional<Sha256> from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256 out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

Sha256 chain_hash(const Sha256& previous, const Sha256& segment) {
  Sha256 out{};
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), previous.data(), previous.size());
  EVP_DigestUpdate(ctx.get(), segment.data(), segment.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

Sha256 sha256_of(std::string_view bytes) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

struct Sha256Stream::Context {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Context>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
}
Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(const void* data, std::size_t size) { EVP_DigestUpdate(ctx_->md.get(), data, size); }

Sha256 Sha256Stream::finish() {
  Sha256 out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md.get(), out.data(), &len);
  return out;
}

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
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition,
                "reading " + path.string() + ": " + std::strerror(err));
  }
  auto digest = sha256_fd(fd, path.string(), limit);
  ::close(fd);
  return digest;
}

}  // namespace carekeep::segment
