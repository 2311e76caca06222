// config/load: reads carekeep.toml (toml++) into config::Config and validates all of it in one
// pass, reporting every problem it finds rather than stopping at the first, so an operator
// fixes the file in one edit. Pure apart from reading the file; callable from any thread.
// It does not touch the storage directory or the database (those are checked where used).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "config/config.hpp"
#include "config/diagnostic.hpp"

namespace carekeep::config {

struct ParseOutcome {
  std::optional<Config> config;  // set exactly when there is no error (warnings allowed)
  std::vector<Diagnostic> diagnostics;  // in file order (syntax errors first)

  bool ok() const { return config.has_value(); }
  std::size_t error_count() const;
  std::size_t warning_count() const;
};

// Validates `toml_text`; `source_name` is used in diagnostics and as Config::source_path.
ParseOutcome parse(std::string_view toml_text, std::string source_name);

// Reads and validates a file. A file that cannot be read is one error diagnostic.
ParseOutcome parse_file(const std::filesystem::path& path);

// Convenience for callers that only want a valid config: InvalidArgument whose message lists
// every error diagnostic, one per line. Warnings are logged (event "config_warning").
Result<Config> load(const std::filesystem::path& path);

// "config OK: 3 cameras, 2 zones" / "config has 4 errors" (plus warnings, if any).
std::string summary(const ParseOutcome& outcome);

}  // namespace carekeep::config
