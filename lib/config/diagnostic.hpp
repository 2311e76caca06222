// config/diagnostic: what validation says about a config file, one finding per Diagnostic,
// formatted the way compilers do ("carekeep.toml:12: camera[1].segment_seconds: must be
// between 10 and 600 seconds (got 5)") so operators and editors can jump to the line.
// Messages never contain URL credentials: every text is redacted when it is recorded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace carekeep::config {

enum class Severity { Error, Warning };

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string file;
  std::uint32_t line = 0;    // 1-based; 0 when the finding has no place (e.g. a missing table)
  std::uint32_t column = 0;  // 1-based; 0 when unknown
  std::string key;           // dotted path, array indices 0-based: "camera[1].segment_seconds"
  std::string message;       // lower case, says what would be valid
};

// "file:line: key: message"; warnings read "file:line: warning: key: message". Parts that are
// unknown (line 0, empty key) are left out.
std::string format(const Diagnostic& diagnostic);

}  // namespace carekeep::config
