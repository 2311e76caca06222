// base/mounts: which mount holds a path, from the text of /proc/self/mountinfo, and whether
// it is read-only per mount (a read-only bind mount: what systemd's ProtectSystem=strict
// makes of every path outside ReadWritePaths=) or per file system (mounted ro, or remounted
// ro by the kernel after disk errors). Pure parsing plus one read of /proc/self/mountinfo,
// which ProcSubset=pid leaves visible. Any thread; blocks only on that read.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace carekeep::mounts {

struct Mount {
  std::filesystem::path mount_point;
  std::string fs_type;  // "ext4", "tmpfs", ...
  std::string source;   // "/dev/mmcblk0p2", "tmpfs", ...
  // Field 6 (per-mount options) has "ro": writes through this mount fail with EROFS.
  bool read_only = false;
  // The super options (last field) have "ro": the file system itself is read-only, for
  // every mount of it (`mount -o ro`, or ext4's errors=remount-ro after an I/O error).
  bool fs_read_only = false;
};

// The mount holding `path` (longest mount point that is a prefix of it; a later line wins on
// equal length, as a mount stacked over another hides it). `path` should be absolute and
// canonical. nullopt if none matches.
std::optional<Mount> find_mount(std::string_view mountinfo, const std::filesystem::path& path);

// The nearest existing ancestor of `path` (itself when it exists), absolute and resolved:
// the storage may not exist before the daemon's first start.
std::filesystem::path resolve_existing(std::filesystem::path path);

// Reads /proc/self/mountinfo (this process's mount namespace: inside carekeepd.service, the
// sandbox's view); resolves `path` first. nullopt when unreadable or nothing matches.
std::optional<Mount> mount_of(const std::filesystem::path& path);

}  // namespace carekeep::mounts
