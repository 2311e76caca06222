#include "web/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <vector>

#include <cstdlib>

namespace carekeep::web {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::uint64_t kMaxN = 1u << 16;  // verify refuses more: 64 MiB at r = 8
constexpr std::size_t kMaxPassword = 1024;

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

bool unhex(std::string_view text, std::vector<unsigned char>& out) {
  if (text.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = nibble(text[i]);
    int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<unsigned char>(hi * 16 + lo));
  }
  return true;
}

bool derive(std::string_view password, const unsigned char* salt, std::size_t salt_len, const ScryptParams& p,
            unsigned char* out, std::size_t out_len) {
  // maxmem: 128 * N * r * p plus slack; OpenSSL's default (32 MiB) would refuse N = 2^15.
  std::uint64_t maxmem = 128 * p.n * p.r * (p.p + 1) + (1u << 20);
  return EVP_PBE_scrypt(password.data(), password.size(), salt, salt_len, p.n, p.r, p.p, maxmem, out, out_len) == 1;
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<std::string> hash_password(std::string_view password, ScryptParams params) {
  if (password.empty()) return fail(ErrorKind::InvalidArgument, "the password is empty");
  if (password.size() > kMaxPassword) return fail(ErrorKind::InvalidArgument, "the password is longer than 1024 bytes");
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) return fail(ErrorKind::Internal, "no random bytes for the salt (OpenSSL)");
  unsigned char hash[kHashBytes];
  if (!derive(password, salt, sizeof salt, params, hash, sizeof hash))
    return fail(ErrorKind::Internal, "scrypt failed (OpenSSL EVP_PBE_scrypt)");
  return "scrypt$" + std::to_string(params.n) + "$" + std::to_string(params.r) + "$" + std::to_string(params.p) + "$" +
         hex(salt, sizeof salt) + "$" + hex(hash, sizeof hash);
}

bool verify_password(std::string_view password, std::string_view stored) {
  if (password.empty() || password.size() > kMaxPassword) return false;
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= stored.size(); ++i) {
    if (i == stored.size() || stored[i] == '$') {
      parts.push_back(stored.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  ScryptParams p;
  if (!parse_u64(parts[1], p.n) || !parse_u64(parts[2], p.r) || !parse_u64(parts[3], p.p)) return false;
  // A hostile or corrupt row must not make one login cost gigabytes or minutes.
  if (p.n < 2 || p.n > kMaxN || (p.n & (p.n - 1)) != 0 || p.r < 1 || p.r > 16 || p.p < 1 || p.p > 4) return false;
  std::vector<unsigned char> salt, expected;
  if (!unhex(parts[4], salt) || !unhex(parts[5], expected) || salt.size() < 8 || expected.size() != kHashBytes)
    return false;
  unsigned char got[kHashBytes];
  if (!derive(password, salt.data(), salt.size(), p, got, sizeof got)) return false;
  return CRYPTO_memcmp(got, expected.data(), kHashBytes) == 0;
}

std::string random_token(std::size_t n) {
  std::vector<unsigned char> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) std::abort();  // no CSPRNG: nothing here is safe
  return hex(bytes.data(), n);
}

}  // namespace carekeep::web
