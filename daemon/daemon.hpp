// daemon/daemon: the composition root of carekeepd. Owns the Asio io_context thread (timers,
// signals, the watchdog and the only writable index connection) and one Recorder per camera;
// recorders report on their own threads and the reports are posted here (STYLE.md §3).
#pragma once

#include <filesystem>

namespace carekeep::daemon {

// Exit status when the storage cannot be written (sandbox, owner, read-only disk): EX_CONFIG,
// which carekeepd.service lists in RestartPreventExitStatus=.
inline constexpr int kExitStorageNotWritable = 78;

// Runs the daemon until SIGTERM/SIGINT. Returns the process exit status.
int run(const std::filesystem::path& config_path);

}  // namespace carekeep::daemon
