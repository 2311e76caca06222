// base/sha256: the one SHA-256 and hex helper of the code base (STYLE.md §2): a digest type,
// a streaming hasher, one-shot hashing, and lower-case hex both ways. Pure CPU work over
// OpenSSL's EVP interface (kept out of this header); any thread, one thread per stream.
// File hashing stays in segment/hash, which reads segment files with its own I/O policy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace carekeep {

using Sha256 = std::array<std::uint8_t, 32>;

// SHA-256 of bytes that arrive in pieces. One thread at a time; copyable, so a caller can
// keep the state at a boundary (the segment writer undoes a torn fragment this way).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream& other);
  Sha256Stream& operator=(const Sha256Stream& other);
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  Sha256 finish();  // the digest of everything updated so far; the stream is spent

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

Sha256 sha256_of(std::string_view bytes);
Sha256 sha256_of(std::span<const std::uint8_t> bytes);

// Lower-case hex of any bytes (digests, signatures, blobs).
std::string to_hex(std::span<const std::uint8_t> bytes);
// 64 hex digits (either case) to a digest; nullopt for any other text.
std::optional<Sha256> sha256_from_hex(std::string_view hex);

// Certificate fingerprints as people copy them (a camera's web page, `openssl x509
// -fingerprint -sha256`, `carekeep doctor`): "sha256:AB:CD:…" — 32 upper-case hex pairs
// joined by ':' behind "sha256:".
std::string to_fingerprint(const Sha256& digest);
// Accepts that form, with or without the "sha256:" (or "SHA256 Fingerprint=") prefix, the
// colons, and in either case; nullopt for anything else (a SHA-1 fingerprint has 20 pairs).
std::optional<Sha256> sha256_from_fingerprint(std::string_view text);

}  // namespace carekeep
