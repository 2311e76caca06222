#include "support/test_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace carekeep::test {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct FileClose {
  void operator()(FILE* f) const noexcept { std::fclose(f); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void must(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

std::unique_ptr<FILE, FileClose> open_for_write(const std::filesystem::path& path) {
  std::unique_ptr<FILE, FileClose> file{std::fopen(path.c_str(), "w")};
  must(file != nullptr, "cannot write the PEM file");
  return file;
}

std::unique_ptr<FILE, FileClose> open_for_read(const std::filesystem::path& path) {
  std::unique_ptr<FILE, FileClose> file{std::fopen(path.c_str(), "r")};
  must(file != nullptr, "cannot read the PEM file");
  return file;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  must(ext != nullptr, "building an extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

IssuedCertificate issue(const std::filesystem::path& dir, const std::string& name, const CertificateSpec& spec, bool is_ca,
                        const IssuedCertificate* ca) {
  Key key{EVP_EC_gen("P-256")};
  must(key != nullptr, "generating a key");
  Cert cert{X509_new()};
  must(cert != nullptr, "allocating a certificate");
  X509_set_version(cert.get(), 2);
  std::uint8_t serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(spec.not_before.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(spec.not_after.count()));
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);

  Cert ca_cert;
  Key ca_key;
  if (ca != nullptr) {
    ca_cert.reset(PEM_read_X509(open_for_read(ca->cert).get(), nullptr, nullptr, nullptr));
    ca_key.reset(PEM_read_PrivateKey(open_for_read(ca->key).get(), nullptr, nullptr, nullptr));
    must(ca_cert && ca_key, "reading the CA");
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  } else {
    X509_set_issuer_name(cert.get(), subject);
  }
  X509* issuer = ca_cert ? ca_cert.get() : cert.get();
  if (is_ca) {
    add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
    if (!spec.ip.empty()) add_extension(cert.get(), issuer, NID_subject_alt_name, ("IP:" + spec.ip).c_str());
  }
  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  must(X509_sign(cert.get(), ca_key ? ca_key.get() : key.get(), EVP_sha256()) > 0, "signing");

  IssuedCertificate out;
  out.cert = dir / (name + ".pem");
  out.key = dir / (name + ".key");
  must(PEM_write_X509(open_for_write(out.cert).get(), cert.get()) == 1, "writing the certificate");
  must(PEM_write_PrivateKey(open_for_write(out.key).get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
       "writing the key");
  unsigned int size = 0;
  X509_digest(cert.get(), EVP_sha256(), out.fingerprint.data(), &size);
  return out;
}

}  // namespace

IssuedCertificate make_ca(const std::filesystem::path& dir, const std::string& name) {
  CertificateSpec spec;
  spec.common_name = "carekeep test CA " + name;
  spec.ip.clear();
  spec.not_after = std::chrono::hours(24 * 30);
  return issue(dir, name, spec, true, nullptr);
}

IssuedCertificate make_certificate(const std::filesystem::path& dir, const std::string& name, const CertificateSpec& spec,
                                   const IssuedCertificate* ca) {
  return issue(dir, name, spec, false, ca);
}

}  // namespace carekeep::test
