#include "base/error.hpp"

namespace carekeep {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "invalid argument";
    case ErrorKind::NotFound: return "not found";
    case ErrorKind::FailedPrecondition: return "failed precondition";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::ResourceExhausted: return "resource exhausted";
    case ErrorKind::DataLoss: return "data loss";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::Internal: return "internal";
  }
  return "unknown";
}

Error Error::with_context(std::string_view outer) && {
  message = std::string(outer) + ": " + message;
  return std::move(*this);
}

}  // namespace carekeep
