#include "base/disk_fault.hpp"

#include <cerrno>

namespace carekeep {

std::string_view to_string(DiskFault fault) noexcept {
  switch (fault) {
    case DiskFault::None: return "none";
    case DiskFault::Full: return "full";
    case DiskFault::Quota: return "quota";
    case DiskFault::ReadOnly: return "read_only";
    case DiskFault::IoError: return "io_error";
    case DiskFault::Other: return "other";
  }
  return "other";
}

std::optional<DiskFault> parse_disk_fault(std::string_view text) noexcept {
  for (auto fault : {DiskFault::None, DiskFault::Full, DiskFault::Quota, DiskFault::ReadOnly, DiskFault::IoError,
                     DiskFault::Other}) {
    if (to_string(fault) == text) return fault;
  }
  return std::nullopt;
}

DiskFault disk_fault_from_errno(int err) noexcept {
  switch (err) {
    case 0: return DiskFault::None;
    case ENOSPC: return DiskFault::Full;
    case EDQUOT: return DiskFault::Quota;
    case EROFS: return DiskFault::ReadOnly;
    case EIO: return DiskFault::IoError;
    default: return DiskFault::Other;
  }
}

}  // namespace carekeep
