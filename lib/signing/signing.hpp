// signing: the box's Ed25519 key (PRODUCT.md §6). Signs export manifests and daily chain
// anchors; verifies them with only the public key, so an export can be checked offline.
// Key generation and loading touch the file system (blocking, any thread); sign/verify are
// pure and thread-safe. It does not decide what is signed nor store signatures.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/sha256.hpp"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT: OpenSSL's own spelling, keeps its headers private

namespace carekeep::signing {

struct FreePkey {
  void operator()(EVP_PKEY* key) const noexcept;
};
using PkeyHandle = std::shared_ptr<EVP_PKEY>;  // shared: keys are immutable after load

inline constexpr std::string_view kKeyFileName = "signing.key";

class KeyPair {
 public:
  // Loads <dir>/signing.key (PEM, Ed25519) or creates it (mode 0600, exclusive create, fsync)
  // if absent. A key file readable by group or others is refused: a leaked box key would let
  // anyone forge exports.
  // `created`, when given, is set to whether this call created the key (the caller pins it).
  static Result<KeyPair> load_or_create(const std::filesystem::path& dir, bool* created = nullptr);
  static Result<KeyPair> load(const std::filesystem::path& private_key_file);

  std::array<std::uint8_t, 64> sign(std::span<const std::uint8_t> data) const;
  std::string public_key_pem() const;
  std::string fingerprint() const;  // hex SHA-256 of the raw 32-byte public key

 private:
  explicit KeyPair(PkeyHandle key) : key_(std::move(key)) {}
  PkeyHandle key_;
};

struct PublicKey {
  static Result<PublicKey> from_pem(std::string_view pem);
  bool verify(std::span<const std::uint8_t> data, std::span<const std::uint8_t> sig) const;
  std::string fingerprint() const;

  PkeyHandle key;
};

// Signature bytes <-> lower-case hex, for JSON and the manifest.sig file (to_hex is base's).
using carekeep::to_hex;
Result<std::array<std::uint8_t, 64>> signature_from_hex(std::string_view hex);

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace carekeep::signing
