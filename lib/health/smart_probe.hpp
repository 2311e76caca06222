// retention/smart_probe: reads the SMART health of the disks under the storage directory by
// running util-linux's findmnt and lsblk (which disks hold the file system: a partition, an
// LVM volume or a mirror all lead to whole disks) and smartmontools' smartctl on each. Needs
// root: smartctl opens the raw disk. carekeepd has no capabilities and no /dev, so the root
// oneshot carekeep-smart (systemd/carekeep-smart.service, hourly) runs this and writes
// smart.json for the daemon; `carekeep doctor` (root) runs it directly. Blocks for as long
// as the programs run (a few seconds; each is killed after a timeout). Writes nothing itself
// but write_state().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "health/smart.hpp"

namespace carekeep::health {

struct ProgramResult {
  int exit_status = 0;  // the program's exit code; 128 + signal when it was killed
  std::string out;      // standard output
  std::string err;      // standard error
  bool timed_out = false;
};

// Runs argv[0] (searched in PATH) with no shell and no standard input; waits at most
// `timeout`, then kills it. NotFound when the program is not installed; Internal when it
// could not be started.
Result<ProgramResult> run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// `findmnt --json --nofsroot --target PATH --output SOURCE,FSTYPE,TARGET`: the file system
// holding PATH (the last one listed: the visible mount when one is mounted over another).
struct MountSource {
  std::string source;  // "/dev/sda1", "tmpfs", "server:/export"
  std::string fstype;
  std::string target;  // its mount point
};
Result<MountSource> parse_findmnt(std::string_view json);

// `lsblk --json --inverse --paths --output NAME,TYPE DEVICE`: the whole disks (type "disk")
// that DEVICE is built on, each once, in lsblk's order. With --inverse a device's "children"
// are what it sits on, so a partition leads to its disk, a mirror to its disks.
// `other_types` receives the other types met at the bottom of the tree (e.g. "loop").
Result<std::vector<std::string>> parse_lsblk_disks(std::string_view json, std::vector<std::string>* other_types = nullptr);

struct ProbeOptions {
  std::string findmnt = "findmnt";
  std::string lsblk = "lsblk";
  std::string smartctl = "smartctl";
  std::chrono::milliseconds timeout = std::chrono::seconds(60);  // per program run
};

// One probe of the disks under `storage` (or its nearest existing parent). Never fails: what
// cannot be found out is recorded as Unavailable with the reason (not on a block device,
// smartctl not installed, the disk offers no SMART, ...). last_available is `now` when some
// disk gave data, else carried over from `previous`.
SmartState probe_smart(const std::filesystem::path& storage, const std::optional<SmartState>& previous, UtcTime now,
                       const ProbeOptions& options = {});

// Replaces `path` atomically, so the daemon never reads half a file, and follows no symlink
// it did not create (base/fs write_file_atomic_guarded: carekeep-smart runs as root and
// writes into a directory carekeepd's user owns). The directories on the way must belong to
// root, this process's user or one of `owners` (the daemon's user).
Status write_state(const std::filesystem::path& path, const SmartState& state, std::vector<uid_t> owners = {});

}  // namespace carekeep::health
