// segment/hash: SHA-256 helpers shared by the writer, recovery, verification and the
// catalog: hex form, the per-camera chain step, and re-hashing a file (recovery and verify
// only; the writer hashes while writing). Blocking file reads; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace carekeep::segment {

using Sha256 = std::array<std::uint8_t, 32>;

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

}  // namespace carekeep::segment
