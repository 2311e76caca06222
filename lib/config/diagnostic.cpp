#include "config/diagnostic.hpp"

namespace carekeep::config {

std::string format(const Diagnostic& diagnostic) {
  std::string out = diagnostic.file;
  if (diagnostic.line > 0) out += ":" + std::to_string(diagnostic.line);
  out += ": ";
  if (diagnostic.severity == Severity::Warning) out += "warning: ";
  if (!diagnostic.key.empty()) out += diagnostic.key + ": ";
  out += diagnostic.message;
  return out;
}

}  // namespace carekeep::config
