// segment/hash: SHA-256 helpers shared by the writer, recovery, verification, export and the
// catalog: hex form, the per-camera chain step, re-hashing a file (recovery and verify), and
// hashing bytes as they pass (export's source reader). Blocking file reads; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace carekeep::segment {

using Sha256 = std::array<std::uint8_t, 32>;

// SHA-256 of bytes that arrive in pieces. One thread at a time.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;
  void update(const void* data, std::size_t size);
  Sha256 finish();  // the digest of everything updated so far; the stream is spent

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

std::string to_hex(const Sha256& digest);
std::optional<Sha256> from_hex(std::string_view hex);

// SHA-256(previous chain value || segment hash); the first segment of a camera chains
// from 32 zero bytes. Tampering with, removing or reordering one segment breaks every
// later chain value (PRODUCT.md §2).
Sha256 chain_hash(const Sha256& previous, const Sha256& segment);

Sha256 sha256_of(std::string_view bytes);

// Hashes the first `limit` bytes (all when nullopt) of a file.
Result<Sha256> sha256_file(const std::filesystem::path& path, std::optional<std::uint64_t> limit = std::nullopt);
// The same for an open descriptor, read from offset 0 (its own offset is left alone);
// `name` is for messages.
Result<Sha256> sha256_fd(int fd, const std::string& name, std::optional<std::uint64_t> limit = std::nullopt);
// Feeds `fd`'s bytes from `offset` to its end (at most `limit` of them) into `hash`, read with
// pread (the descriptor's offset is left alone). Returns how many bytes it fed.
Result<std::uint64_t> hash_fd_from(Sha256Stream& hash, int fd, std::uint64_t offset, const std::string& name,
                                   std::optional<std::uint64_t> limit = std::nullopt);

}  // namespace carekeep::segment
