// base/hmac: the one HMAC-SHA-256 (RFC 2104) of the code base (STYLE.md §2): the console's
// device cookies, DingTalk's webhook signature. Pure CPU work over OpenSSL; any thread. Kept
// out of sha256.hpp, which nearly every file includes through config.hpp.
#pragma once

#include <string_view>

#include "base/sha256.hpp"

namespace carekeep {

Sha256 hmac_sha256(std::string_view key, std::string_view message);

}  // namespace carekeep
