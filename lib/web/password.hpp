// web/password: console passwords hashed with scrypt (OpenSSL's EVP_PBE_scrypt: memory-hard,
// from a Debian package we already link) and a per-account random salt. The stored form names
// its parameters ("scrypt$N$r$p$salt_hex$hash_hex") so that they can grow later. Blocks the
// calling thread ~50-100 ms and 16 MiB per call: the daemon runs verify() off its loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace carekeep::web {

// N = 2^14, r = 8, p = 1 (16 MiB): RFC 7914's interactive-login figure.
struct ScryptParams {
  std::uint64_t n = 1u << 14;
  std::uint64_t r = 8;
  std::uint64_t p = 1;
};

// InvalidArgument for an empty password or one over 1024 bytes; Internal if OpenSSL fails.
Result<std::string> hash_password(std::string_view password, ScryptParams params = {});
// True when `password` matches `stored` (constant-time comparison). False for a malformed
// `stored` or parameters beyond what hash_password makes (a hostile row must not cost 1 GiB).
bool verify_password(std::string_view password, std::string_view stored);

// `n` random bytes from OpenSSL's CSPRNG, hex: session ids and CSRF tokens.
std::string random_token(std::size_t n = 32);

}  // namespace carekeep::web
