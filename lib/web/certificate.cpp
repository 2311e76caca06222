#include "web/certificate.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "base/fs.hpp"
#include "base/sha256.hpp"

namespace carekeep::web {

namespace {

struct FreeKey {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct FreeX509 {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct FreeBio {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using X509Ptr = std::unique_ptr<X509, FreeX509>;
using Bio = std::unique_ptr<BIO, FreeBio>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    if (i > 0) out.push_back(':');
    out.push_back(kDigits[md[i] >> 4]);
    out.push_back(kDigits[md[i] & 15]);
  }
  return out;
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorKind::Unavailable, "cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// O_EXCL: never overwrite a key someone already trusts; 0600 from the first byte.
Status write_new(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return fail(ErrorKind::FailedPrecondition, "creating " + path.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return fail(ErrorKind::ResourceExhausted, "writing " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return fail(ErrorKind::ResourceExhausted, "syncing " + path.string());
  return {};
}

Result<Certificate> create(const std::filesystem::path& dir, const std::string& host) {
  Key key{EVP_EC_gen("P-256")};
  if (!key) return fail(ErrorKind::Internal, "generating an EC P-256 key (OpenSSL)");
  X509Ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  urandom.read(reinterpret_cast<char*>(serial), sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24 * 3600);  // a box whose clock lags a day still accepts it
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 20L * 365 * 24 * 3600);  // the box's life; nobody renews it
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn = "carekeep " + host;
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "DNS:localhost";
  bool plain_name = !host.empty();
  for (char c : host) plain_name = plain_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  if (plain_name) san += ",DNS:" + host;
  if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str())) {
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return fail(ErrorKind::Internal, "signing the certificate (OpenSSL)");
  Bio key_bio{BIO_new(BIO_s_mem())};
  Bio cert_bio{BIO_new(BIO_s_mem())};
  if (!PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_X509(cert_bio.get(), cert.get()))
    return fail(ErrorKind::Internal, "encoding the certificate (OpenSSL)");
  Certificate out{bio_text(cert_bio.get()), bio_text(key_bio.get()), fingerprint(cert.get())};
  if (auto st = write_new(dir / kKeyFile, out.key_pem, 0600); !st) return tl::unexpected(st.error());
  if (auto st = write_new(dir / kCertificateFile, out.certificate_pem, 0644); !st) return tl::unexpected(st.error());
  if (auto st = fs::fsync_path(dir); !st) return tl::unexpected(st.error());
  return out;
}

}  // namespace

Result<std::string> certificate_fingerprint(const std::string& certificate_pem) {
  Bio bio{BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()))};
  X509Ptr cert{bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr};
  if (!cert) return fail(ErrorKind::InvalidArgument, "not a PEM certificate");
  return fingerprint(cert.get());
}

Result<Certificate> load_or_create_certificate(const std::filesystem::path& dir, const std::string& host) {
  std::error_code ec;
  bool has_cert = std::filesystem::exists(dir / kCertificateFile, ec);
  bool has_key = std::filesystem::exists(dir / kKeyFile, ec);
  if (!has_cert && !has_key) return create(dir, host);
  if (has_cert != has_key)
    return fail(ErrorKind::FailedPrecondition,
                "only one of " + (dir / kCertificateFile).string() + " and " + (dir / kKeyFile).string() +
                    " exists; remove the other one to have carekeepd make a new pair (browsers will warn again)");
  struct stat st {};
  if (::stat((dir / kKeyFile).c_str(), &st) == 0 && (st.st_mode & 0077) != 0)
    return fail(ErrorKind::FailedPrecondition,
                (dir / kKeyFile).string() + " is readable by others; chmod 600 it (and consider making a new one)");
  auto cert_pem = read_file(dir / kCertificateFile);
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = read_file(dir / kKeyFile);
  if (!key_pem) return tl::unexpected(key_pem.error());
  Bio cert_bio{BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size()))};
  X509Ptr cert{PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)};
  Bio key_bio{BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()))};
  Key key{PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)};
  if (!cert || !key) return fail(ErrorKind::DataLoss, "the console's certificate or key in " + dir.string() + " does not parse");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return fail(ErrorKind::FailedPrecondition, "the console's key in " + dir.string() + " does not match its certificate");
  return Certificate{*cert_pem, *key_pem, fingerprint(cert.get())};
}

std::string device_cookie_key(const Certificate& certificate) {
  auto digest = sha256_of("carekeep web device cookie key v1\n" + certificate.key_pem);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace carekeep::web
