#include "signing/trust.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/fs.hpp"
#include "base/sha256.hpp"

namespace carekeep::signing {
namespace {

std::string trimmed_lower(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    out += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

bool is_fingerprint(std::string_view text) { return sha256_from_hex(text).has_value(); }

}  // namespace

std::string_view to_string(KeyTrust trust) {
  switch (trust) {
    case KeyTrust::Given: return "given";
    case KeyTrust::Pinned: return "pinned";
    case KeyTrust::Unpinned: return "unpinned";
    case KeyTrust::Mismatch: return "mismatch";
    case KeyTrust::None: return "none";
  }
  return "none";
}

Result<std::optional<std::string>> read_pinned_fingerprint(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec) && !ec) return std::nullopt;
    return fail(ErrorKind::FailedPrecondition, "reading the pinned key fingerprint " + file.string() + ": " +
                                                   std::strerror(errno));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  auto fp = trimmed_lower(buf.str());
  if (!is_fingerprint(fp))
    return fail(ErrorKind::DataLoss, file.string() + " does not hold a key fingerprint (64 hex digits)");
  return fp;
}

Result<KeyChoice> choose_key(const std::optional<std::string>& pubkey_pem, const std::optional<std::string>& fingerprint,
                             const std::filesystem::path& pin_file, std::optional<PublicKey> local) {
  std::optional<std::string> wanted;
  if (fingerprint) {
    wanted = trimmed_lower(*fingerprint);
    if (!is_fingerprint(*wanted))
      return fail(ErrorKind::InvalidArgument, "--fingerprint takes the 64 hex digits `carekeep key` shows");
  }
  if (pubkey_pem) {
    auto key = PublicKey::from_pem(*pubkey_pem);
    if (!key) return fail(ErrorKind::InvalidArgument, "--pubkey: " + key.error().message);
    if (wanted && key->fingerprint() != *wanted)
      return fail(ErrorKind::InvalidArgument, "--pubkey has fingerprint " + key->fingerprint() + ", not the one given");
    return KeyChoice{std::move(*key), KeyTrust::Given, "the key given with --pubkey"};
  }
  KeyTrust trust = KeyTrust::Given;
  std::string source = "--fingerprint";
  if (!wanted) {
    auto pinned = read_pinned_fingerprint(pin_file);
    if (!pinned) return tl::unexpected(pinned.error());
    if (*pinned) {
      wanted = **pinned;
      trust = KeyTrust::Pinned;
      source = "the fingerprint pinned in " + pin_file.string();
    }
  }
  if (!wanted) {
    if (!local) return KeyChoice{std::nullopt, KeyTrust::None, "no public key beside the data and none given"};
    std::string fp = local->fingerprint();
    return KeyChoice{std::move(local), KeyTrust::Unpinned,
                     "key " + fp + " found beside the data; no fingerprint is pinned in " + pin_file.string() +
                         " and none was given (--pubkey FILE or --fingerprint HEX)"};
  }
  if (!local) return KeyChoice{std::nullopt, KeyTrust::Mismatch, "no public key beside the data to match " + source};
  if (local->fingerprint() != *wanted) {
    return KeyChoice{std::nullopt, KeyTrust::Mismatch,
                     "the key beside the data (" + local->fingerprint() + ") is not the one named by " + source + " (" +
                         *wanted + "): it was replaced"};
  }
  return KeyChoice{std::move(local), trust, "key " + *wanted + " matched " + source};
}

Status pin_fingerprint(const std::filesystem::path& file, std::string_view fingerprint) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      auto pinned = read_pinned_fingerprint(file);
      if (!pinned) return tl::unexpected(pinned.error());
      if (*pinned && **pinned == fingerprint) return ok();
      return fail(ErrorKind::FailedPrecondition, file.string() + " pins another key; it is left as it is");
    }
    return fail(ErrorKind::FailedPrecondition, "pinning the key fingerprint in " + file.string() + ": " + std::strerror(err));
  }
  std::string text = std::string(fingerprint) + "\n";
  bool good = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!good) {
    ::unlink(file.c_str());
    return fail(ErrorKind::FailedPrecondition, "writing " + file.string() + ": " + std::strerror(err));
  }
  return fs::fsync_parent(file);
}

}  // namespace carekeep::signing
