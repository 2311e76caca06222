// export/verify_export: offline check of an export folder with only the box's public key:
// manifest.sig over manifest.json, then every listed file's size and SHA-256, every video a
// camera names (one or more per camera) among them, and no unlisted files. Reads files only
// (no index, no configuration); any thread; blocking.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "signing/signing.hpp"

namespace carekeep::exports {

struct ExportCheck {
  std::string key_fingerprint;          // as the manifest names it
  std::vector<std::string> verified;    // files whose hash matched
  std::vector<std::string> problems;    // one line each, naming the file; empty = valid
  bool valid() const { return problems.empty(); }
};

// The key fingerprint the manifest claims (to pick a local key); NotFound/DataLoss when the
// manifest is missing or not JSON.
Result<std::string> manifest_key_fingerprint(const std::filesystem::path& dir);

// Fails (Result error) only when `dir` is not an export at all (no manifest.json); every
// mismatch is a problem in the returned check.
Result<ExportCheck> verify_export(const std::filesystem::path& dir, const signing::PublicKey& key);

}  // namespace carekeep::exports
