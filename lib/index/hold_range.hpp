// index/hold_range: the one rule for which footage a hold's time range keeps, shared by
// retention (which refuses to delete it) and verify (which names a deletion of it).
#pragma once

#include "base/time.hpp"

namespace carekeep::index {

// Does a hold over [from, to) keep a segment covering [start, end)? An empty segment counts as
// the instant `start`.
inline bool hold_range_keeps(UtcTime from, UtcTime to, UtcTime start, UtcTime end) {
  if (end <= start) return from <= start && start < to;
  return start < to && from < end;
}

}  // namespace carekeep::index
