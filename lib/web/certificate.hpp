// web/certificate: the console's TLS certificate, self-signed (EC P-256, OpenSSL), made by
// carekeepd at its first start with [web] listen and kept in its state directory (key 0600).
// People check its SHA-256 fingerprint against `carekeep status` when the browser first
// warns. Called once at startup on the loop thread; blocks on a few small file writes.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace carekeep::web {

inline constexpr std::string_view kCertificateFile = "web-cert.pem";
inline constexpr std::string_view kKeyFile = "web-key.pem";

struct Certificate {
  std::string certificate_pem;
  std::string key_pem;
  std::string fingerprint_sha256;  // of the DER certificate, "AB:CD:...", as browsers show it
};

// Reads `dir`/web-cert.pem and web-key.pem, or creates both when neither exists (the key with
// mode 0600, written before the certificate that names it). FailedPrecondition when only one
// exists, the key does not match, or the key file is readable by others; DataLoss when a file
// does not parse. `host` goes into the subject and the subjectAltName list with "localhost".
Result<Certificate> load_or_create_certificate(const std::filesystem::path& dir, const std::string& host);

// The key that signs the console's device cookies (ConsoleSettings::device_key), derived from
// the private key so that it lasts as long as the certificate and is as secret: SHA-256 of a
// label and the key's PEM (another use of the same secret, separated by the label).
std::string device_cookie_key(const Certificate& certificate);

// The SHA-256 fingerprint of a PEM certificate; InvalidArgument when it does not parse.
Result<std::string> certificate_fingerprint(const std::string& certificate_pem);

}  // namespace carekeep::web
