// segment/hash: file hashing shared by the writer, recovery, verification and export:
// re-hashing a file (recovery and verify) and hashing bytes as they pass (export's source
// reader). The digest itself is base/sha256; chain links are the index's (index/chain.hpp).
// Blocking file reads; any thread.
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
#include "base/sha256.hpp"

namespace carekeep::segment {

// The digest type, streaming hasher and hex form are base's (base/sha256.hpp); these names
// keep the segment code's spelling.
using carekeep::Sha256;
using carekeep::Sha256Stream;
using carekeep::sha256_of;
inline std::string to_hex(const Sha256& digest) { return carekeep::to_hex(digest); }

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
