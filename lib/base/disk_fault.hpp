// base/disk_fault: what kind of disk trouble a failed file-system call met, decided once from
// the errno at the call that failed (segment writes, index commits, exports), and carried as
// a field from there to whoever reacts (retention frees space for Full, disk health alerts
// on ReadOnly and IoError). Nobody tells faults apart later by reading error messages.
// Pure values; any thread.
#pragma once

#include <optional>
#include <string_view>

namespace carekeep {

enum class DiskFault {
  None,      // not a disk fault (or no error at all)
  Full,      // ENOSPC: the file system has no room left
  Quota,     // EDQUOT: this user's quota is used up; the disk itself may have room
  ReadOnly,  // EROFS: mounted read-only (the kernel's answer to disk errors, or a sandbox)
  IoError,   // EIO: the device failed the request
  Other,     // another errno from a file-system call (EACCES, ENOENT on a vanished disk, ...)
};

// "none" | "full" | "quota" | "read_only" | "io_error" | "other": stable, in logs and status.json.
std::string_view to_string(DiskFault fault) noexcept;
std::optional<DiskFault> parse_disk_fault(std::string_view text) noexcept;

// The fault an errno from a file-system call stands for; 0 is None.
DiskFault disk_fault_from_errno(int err) noexcept;

// Full and Quota: deleting footage (or raising the quota) makes room, retrying cannot.
constexpr bool out_of_space(DiskFault fault) noexcept { return fault == DiskFault::Full || fault == DiskFault::Quota; }

}  // namespace carekeep
