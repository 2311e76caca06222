#include "base/sha256.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <new>

namespace carekeep {

struct Sha256Stream::Context {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Context>()) {
  // Allocation is the only way these fail with a built-in digest.
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
}
Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(const Sha256Stream& other) : ctx_(std::make_unique<Context>()) {
  if (!ctx_->md || EVP_MD_CTX_copy_ex(ctx_->md.get(), other.ctx_->md.get()) != 1) throw std::bad_alloc();
}
Sha256Stream& Sha256Stream::operator=(const Sha256Stream& other) {
  if (this != &other && EVP_MD_CTX_copy_ex(ctx_->md.get(), other.ctx_->md.get()) != 1) throw std::bad_alloc();
  return *this;
}
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(const void* data, std::size_t size) { EVP_DigestUpdate(ctx_->md.get(), data, size); }

Sha256 Sha256Stream::finish() {
  Sha256 out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md.get(), out.data(), &len);
  return out;
}

Sha256 sha256_of(std::string_view bytes) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Sha256 sha256_of(std::span<const std::uint8_t> bytes) {
  return sha256_of(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::optional<Sha256> sha256_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256 out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string to_fingerprint(const Sha256& digest) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "sha256:";
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i > 0) out += ':';
    out += kDigits[digest[i] >> 4];
    out += kDigits[digest[i] & 0xf];
  }
  return out;
}

std::optional<Sha256> sha256_from_fingerprint(std::string_view text) {
  auto strip_prefix = [&](std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    }
    text.remove_prefix(prefix.size());
    return true;
  };
  if (!strip_prefix("sha256:")) strip_prefix("sha256 fingerprint=");
  std::string hex;
  hex.reserve(64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ':') {
      // Only between pairs: "AB:CD", never "A:BCD" or "AB::CD".
      if (hex.size() % 2 != 0 || hex.empty() || i + 1 == text.size() || text[i + 1] == ':') return std::nullopt;
      continue;
    }
    hex += text[i];
  }
  return sha256_from_hex(hex);
}

}  // namespace carekeep
