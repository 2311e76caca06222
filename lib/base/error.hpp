// base/error: the error type every carekeep module returns for failures that are normal
// in the field (camera offline, disk full, bad config). Broken invariants are assertions.
// Plain values, no threads, never blocks.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace carekeep {

enum class ErrorKind {
  InvalidArgument,
  NotFound,
  FailedPrecondition,
  Unavailable,
  ResourceExhausted,
  DataLoss,
  Cancelled,
  Internal,
};

std::string_view to_string(ErrorKind kind) noexcept;

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;  // what was attempted, lower case: "opening index /x: file is not a database"

  // Prefixes the message with an outer context: "camera nap-1: " + message.
  Error with_context(std::string_view outer) &&;
};

template <class T>
using Result = tl::expected<T, Error>;

using Status = Result<void>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error{kind, std::move(message)});
}

inline Status ok() { return {}; }

}  // namespace carekeep
