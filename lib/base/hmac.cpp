#include "base/hmac.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <new>

namespace carekeep {

Sha256 hmac_sha256(std::string_view key, std::string_view message) {
  Sha256 mac{};
  unsigned int size = 0;
  // Allocation is the only way this fails with a built-in digest.
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), mac.data(), &size) == nullptr ||
      size != mac.size())
    throw std::bad_alloc();
  return mac;
}

}  // namespace carekeep
