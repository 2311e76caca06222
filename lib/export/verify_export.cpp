#include "export/verify_export.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "export/export.hpp"
#include "segment/hash.hpp"

namespace carekeep::exports {
namespace {

std::optional<std::string> read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// manifest.json's text, or why it cannot be read: missing (not an export) and unreadable
// (another user's folder) call for different next steps.
Result<std::string> read_manifest(const std::filesystem::path& dir) {
  auto path = dir / kManifestFile;
  if (::access(path.c_str(), R_OK) != 0 && errno != ENOENT)
    return fail(ErrorKind::FailedPrecondition, "cannot read " + path.string() + ": " + std::strerror(errno));
  auto text = read_all(path);
  if (!text) return fail(ErrorKind::NotFound, dir.string() + " has no manifest.json; is it a carekeep export?");
  return *text;
}

// Every video a camera names must be one of "files" (so it was hashed above) with the same
// SHA-256: a camera entry is what a reader goes by, so it must not name an unchecked file.
void check_camera_files(const nlohmann::json& json, const std::map<std::string, std::string>& listed_sha256,
                        ExportCheck& check) {
  if (!json.contains("cameras") || !json["cameras"].is_array()) return;
  for (const auto& camera : json["cameras"]) {
    if (!camera.is_object() || !camera.contains("files") || !camera["files"].is_array()) continue;
    for (const auto& f : camera["files"]) {
      if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) {
        check.problems.push_back("manifest.json has a malformed camera file entry");
        continue;
      }
      auto name = f["path"].get<std::string>();
      auto listed = listed_sha256.find(name);
      if (listed == listed_sha256.end())
        check.problems.push_back(name + ": named by a camera but not listed in \"files\" (not checked)");
      else if (!f.contains("sha256") || f["sha256"] != listed->second)
        check.problems.push_back(name + ": the camera's SHA-256 differs from the one in \"files\"");
    }
  }
}

}  // namespace

Result<std::string> manifest_key_fingerprint(const std::filesystem::path& dir) {
  auto text = read_manifest(dir);
  if (!text) return tl::unexpected(text.error());
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("key_fingerprint") ||
      !json["key_fingerprint"].is_string())
    return fail(ErrorKind::DataLoss, "manifest.json in " + dir.string() + " is not a carekeep manifest");
  return json["key_fingerprint"].get<std::string>();
}

Result<ExportCheck> verify_export(const std::filesystem::path& dir, const signing::PublicKey& key) {
  auto text = read_manifest(dir);
  if (!text) return tl::unexpected(text.error());
  ExportCheck check;
  auto sig_text = read_all(dir / kSignatureFile);
  if (!sig_text) {
    check.problems.push_back("manifest.sig is missing: the export is incomplete or was tampered with");
  } else if (auto sig = signing::signature_from_hex(*sig_text); !sig) {
    check.problems.push_back("manifest.sig is not a signature (" + sig.error().message + ")");
  } else if (!key.verify(signing::as_bytes(*text), *sig)) {
    check.problems.push_back("manifest.sig does not match manifest.json: the manifest or the signature was altered, "
                             "or it was signed by another key than " + key.fingerprint());
  }
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("files") || !json["files"].is_array()) {
    check.problems.push_back("manifest.json is not a carekeep manifest (not JSON or no \"files\")");
    return check;
  }
  if (json.contains("key_fingerprint") && json["key_fingerprint"].is_string()) {
    check.key_fingerprint = json["key_fingerprint"].get<std::string>();
    if (check.key_fingerprint != key.fingerprint())
      check.problems.push_back("manifest.json names signing key " + check.key_fingerprint + " but the key given is " +
                               key.fingerprint());
  }
  std::set<std::string> listed{std::string(kManifestFile), std::string(kSignatureFile)};
  std::map<std::string, std::string> listed_sha256;
  for (const auto& f : json["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256")) {
      check.problems.push_back("manifest.json has a malformed entry in \"files\"");
      continue;
    }
    auto name = f["path"].get<std::string>();
    listed.insert(name);
    if (f["sha256"].is_string()) listed_sha256[name] = f["sha256"].get<std::string>();
    // Names are plain file names; anything with a separator could point outside the folder.
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      check.problems.push_back(name + ": not a plain file name in the export");
      continue;
    }
    auto path = dir / name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      check.problems.push_back(name + ": missing");
      continue;
    }
    if (f.contains("size_bytes") && f["size_bytes"].is_number_unsigned() &&
        std::filesystem::file_size(path, ec) != f["size_bytes"].get<std::uint64_t>()) {
      check.problems.push_back(name + ": size differs from the manifest (" + std::to_string(std::filesystem::file_size(path, ec)) +
                               " bytes instead of " + std::to_string(f["size_bytes"].get<std::uint64_t>()) + ")");
      continue;
    }
    auto digest = segment::sha256_file(path);
    if (!digest) {
      check.problems.push_back(name + ": " + digest.error().message);
      continue;
    }
    if (!f["sha256"].is_string() || segment::to_hex(*digest) != f["sha256"].get<std::string>()) {
      check.problems.push_back(name + ": SHA-256 differs from the manifest (file altered)");
      continue;
    }
    check.verified.push_back(name);
  }
  check_camera_files(json, listed_sha256, check);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto name = entry.path().filename().string();
    if (!listed.count(name)) check.problems.push_back(name + ": not listed in the manifest (added after signing)");
  }
  return check;
}

}  // namespace carekeep::exports
