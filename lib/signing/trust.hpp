// signing/trust: which public key `verify`, `verify-report` and `verify-export` may trust
// (issue 15). The attacker runs the box: anything beside the data, signing.pub included, may
// have been replaced together with everything it signs. So a key is trusted only when it
// comes from outside (--pubkey FILE), or its fingerprint does (--fingerprint HEX, or the pin
// written into the config directory when the key was created). Small file reads; any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "signing/signing.hpp"

namespace carekeep::signing {

// Beside carekeep.toml (/etc/carekeep/signing.fingerprint on an installed box): root-owned,
// outside the daemon's writable paths (ProtectSystem=strict), so the daemon's user cannot
// change it.
inline constexpr std::string_view kFingerprintFileName = "signing.fingerprint";

enum class KeyTrust {
  Given,     // --pubkey, or the key beside the data matched --fingerprint
  Pinned,    // the key beside the data matched the fingerprint pinned at installation
  Unpinned,  // only the key beside the data: its signatures prove no edit after signing, not who signed
  Mismatch,  // the key beside the data is not the one given or pinned: it was replaced
  None,      // no key at all: signatures cannot be checked
};
std::string_view to_string(KeyTrust trust);

struct KeyChoice {
  std::optional<PublicKey> key;  // the key to check signatures with (for Mismatch: none)
  KeyTrust trust = KeyTrust::None;
  std::string detail;            // where it came from, or what did not match, in words
  bool trusted() const { return trust == KeyTrust::Given || trust == KeyTrust::Pinned; }
};

// Picks the key: `pubkey_pem` (the content of --pubkey), else `fingerprint` (--fingerprint),
// else the pin in `pin_file` if it exists, checked against `local` (the key beside the data);
// else `local`, untrusted. InvalidArgument for a malformed PEM or fingerprint, or --pubkey and
// --fingerprint that disagree; a pin file that cannot be read is an error too (it exists).
Result<KeyChoice> choose_key(const std::optional<std::string>& pubkey_pem, const std::optional<std::string>& fingerprint,
                             const std::filesystem::path& pin_file, std::optional<PublicKey> local);

// The pinned fingerprint, or nullopt when `file` does not exist.
Result<std::optional<std::string>> read_pinned_fingerprint(const std::filesystem::path& file);

// Writes `fingerprint` to `file` (mode 0644, exclusive create, fsync) unless it exists: an
// existing pin is never overwritten, whatever it says (Ok if it says the same; FailedPrecondition
// if it names another key, so the caller can warn). Fails when the directory is not writable.
Status pin_fingerprint(const std::filesystem::path& file, std::string_view fingerprint);

}  // namespace carekeep::signing
