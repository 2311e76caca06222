// base/leftover: the hidden folder a Destination (an export) is built in, the marker saying which process
// builds it, and the removal of such folders whose process is gone (an export killed by
// SIGKILL, the OOM killer or a power cut cannot remove its own). A folder of a running export
// is never touched. Blocking file I/O on the calling thread; reads /proc of this machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace carekeep::fs {

// Written first inside a build folder and removed just before it is renamed into place.
inline constexpr std::string_view kBuildMarkerFile = ".carekeep-build";

// "<parent>/.<name>.partial-<pid>" for `out` = "<parent>/<name>": hidden, next to the output
// (same filesystem, so the final rename is atomic).
std::filesystem::path build_folder_path(const std::filesystem::path& out);

// Records this process (pid, its start time in clock ticks after boot from /proc/self/stat,
// and the kernel's boot id) in `folder`/.carekeep-build: a pid alone could be reused by
// another process after the export died, the start time and boot id cannot.
Status write_build_marker(const std::filesystem::path& folder);
Status remove_build_marker(const std::filesystem::path& folder);

struct Leftover {
  std::filesystem::path path;
  std::int64_t pid = 0;
  std::string why;      // "pid 4242 is no longer running", ...
  bool removed = false;
  std::string error;    // why it could not be removed, when !removed
};

// Removes the build folders in `parent` whose process is gone: the marker's pid is not
// running, or runs a process started at another time (pid reused), or the marker was
// written before the last reboot or on another machine. A folder without a readable marker
// is removed only when it holds nothing else and the pid in its name is not running (an
// export killed between creating the folder and writing the marker); anything else is left
// alone. Returns what it found (removed or not); an unreadable `parent` is no leftover.
std::vector<Leftover> remove_leftover_builds(const std::filesystem::path& parent);

}  // namespace carekeep::fs
