// tests/support: X.509 certificates made at test time with OpenSSL (no key is committed): a
// small CA, certificates it signs, self-signed ones, with any validity window and address,
// for the rtsps:// tests (fakecam serves them, the native client checks them).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "base/sha256.hpp"

namespace carekeep::test {

struct IssuedCertificate {
  std::filesystem::path cert;  // PEM
  std::filesystem::path key;   // PEM, PKCS#8, EC P-256
  Sha256 fingerprint{};        // SHA-256 of the certificate's DER, what tls_fingerprint pins
};

struct CertificateSpec {
  std::string common_name = "carekeep test camera";
  std::string ip = "127.0.0.1";  // subjectAltName IP; empty for none
  // Validity relative to now: [now + not_before, now + not_after].
  std::chrono::seconds not_before{-3600};
  std::chrono::seconds not_after{24 * 3600};
};

// A CA certificate (basicConstraints CA:TRUE, keyCertSign) written as <dir>/<name>.pem/.key.
IssuedCertificate make_ca(const std::filesystem::path& dir, const std::string& name);
// A server certificate for `spec` signed by `ca` (nullptr: self-signed), as <dir>/<name>.pem/.key.
IssuedCertificate make_certificate(const std::filesystem::path& dir, const std::string& name, const CertificateSpec& spec,
                                   const IssuedCertificate* ca = nullptr);

}  // namespace carekeep::test
