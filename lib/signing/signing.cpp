#include "signing/signing.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/fs.hpp"

namespace carekeep::signing {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;

PkeyHandle adopt(EVP_PKEY* key) { return PkeyHandle{key, FreePkey{}}; }

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string fingerprint_of(EVP_PKEY* key) {
  std::array<std::uint8_t, 32> raw{};
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1) return {};
  return to_hex(sha256_of(std::span<const std::uint8_t>(raw.data(), len)));
}

Result<PkeyHandle> generate() {
  PkeyCtx ctx{EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    return fail(ErrorKind::Internal, "generating Ed25519 key: " + openssl_error());
  return adopt(raw);
}

Status write_new_key(const std::filesystem::path& file, EVP_PKEY* key) {
  Bio bio{BIO_new(BIO_s_mem()), &BIO_free};
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(ErrorKind::Internal, "encoding signing key: " + openssl_error());
  std::string pem = bio_to_string(bio.get());
  // Exclusive create with 0600 from the start: the key is never readable by others, not
  // even between create and chmod. Two processes racing to create it: one wins, the other
  // fails with EEXIST and loads the winner's key.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    return fail(err == EEXIST ? ErrorKind::FailedPrecondition : ErrorKind::Unavailable,
                "creating signing key " + file.string() + ": " + std::strerror(err));
  }
  std::size_t done = 0;
  while (done < pem.size()) {
    ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(file.c_str());
      return fail(err == ENOSPC ? ErrorKind::ResourceExhausted : ErrorKind::Unavailable,
                  "writing signing key " + file.string() + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(file.c_str());
    return fail(ErrorKind::Unavailable, "syncing signing key " + file.string() + ": " + std::strerror(err));
  }
  ::close(fd);
  return fs::fsync_parent(file);
}

}  // namespace

void FreePkey::operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }

Result<std::array<std::uint8_t, 64>> signature_from_hex(std::string_view hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.remove_suffix(1);
  if (hex.size() != 128) return fail(ErrorKind::InvalidArgument, "signature is not 128 hex digits");
  std::array<std::uint8_t, 64> out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 64; ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail(ErrorKind::InvalidArgument, "signature is not hex");
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

Result<KeyPair> KeyPair::load(const std::filesystem::path& private_key_file) {
  struct stat st {};
  if (::stat(private_key_file.c_str(), &st) != 0) {
    int err = errno;
    return fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition,
                "reading signing key " + private_key_file.string() + ": " + std::strerror(err));
  }
  if ((st.st_mode & 077) != 0)
    return fail(ErrorKind::FailedPrecondition,
                "signing key " + private_key_file.string() +
                    " is readable by group or others; run chmod 600 on it (and consider it leaked)");
  std::ifstream in(private_key_file, std::ios::binary);
  if (!in)
    return fail(ErrorKind::FailedPrecondition,
                "reading signing key " + private_key_file.string() + ": " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  std::string pem = buf.str();
  Bio bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr)
    return fail(ErrorKind::DataLoss, "signing key " + private_key_file.string() + " is not a PEM private key: " + openssl_error());
  auto key = adopt(raw);
  if (EVP_PKEY_get_id(raw) != EVP_PKEY_ED25519)
    return fail(ErrorKind::FailedPrecondition, "signing key " + private_key_file.string() + " is not an Ed25519 key");
  return KeyPair{std::move(key)};
}

Result<KeyPair> KeyPair::load_or_create(const std::filesystem::path& dir, bool* created) {
  if (created != nullptr) *created = false;
  auto file = dir / kKeyFileName;
  auto loaded = load(file);
  if (loaded || loaded.error().kind != ErrorKind::NotFound) return loaded;
  auto key = generate();
  if (!key) return tl::unexpected(key.error());
  auto written = write_new_key(file, key->get());
  if (!written) {
    if (written.error().kind == ErrorKind::FailedPrecondition) return load(file);  // lost a create race
    return tl::unexpected(written.error());
  }
  if (created != nullptr) *created = true;
  return KeyPair{std::move(*key)};
}

std::array<std::uint8_t, 64> KeyPair::sign(std::span<const std::uint8_t> data) const {
  std::array<std::uint8_t, 64> sig{};
  MdCtx ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  std::size_t len = sig.size();
  // Ed25519 is one-shot (no digest); a failure here means a broken key object: an invariant.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1 || len != sig.size())
    throw std::runtime_error("Ed25519 signing failed: " + openssl_error());
  return sig;
}

std::string KeyPair::public_key_pem() const {
  Bio bio{BIO_new(BIO_s_mem()), &BIO_free};
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return {};
  return bio_to_string(bio.get());
}

std::string KeyPair::fingerprint() const { return fingerprint_of(key_.get()); }

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  Bio bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
  EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr) {
    // A private key file works too: its public half is what verifies.
    Bio again{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
    ERR_clear_error();
    raw = again ? PEM_read_bio_PrivateKey(again.get(), nullptr, nullptr, nullptr) : nullptr;
  }
  if (raw == nullptr)
    return fail(ErrorKind::InvalidArgument, "not a PEM public key (expected the output of `carekeep key`)");
  auto key = adopt(raw);
  if (EVP_PKEY_get_id(raw) != EVP_PKEY_ED25519)
    return fail(ErrorKind::InvalidArgument, "public key is not Ed25519");
  return PublicKey{std::move(key)};
}

bool PublicKey::verify(std::span<const std::uint8_t> data, std::span<const std::uint8_t> sig) const {
  if (!key || sig.size() != 64) return false;
  MdCtx ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  bool good = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size()) == 1;
  ERR_clear_error();
  return good;
}

std::string PublicKey::fingerprint() const { return key ? fingerprint_of(key.get()) : std::string{}; }

}  // namespace carekeep::signing
