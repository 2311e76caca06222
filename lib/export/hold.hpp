// export/hold: the hold an export places on its footage while it reads it (so retention cannot
// delete a segment between listing and copying) and the clean-up of holds whose export died
// without releasing them (SIGKILL, power loss). The export's process id is part of the hold's
// reason, which is the one place a hold row can carry it. Blocking SQLite; any thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/time.hpp"
#include "index/index.hpp"

namespace carekeep::exports {

// "export to /media/usb/case-17 in progress (pid 4242)".
std::string export_hold_reason(const std::filesystem::path& out, pid_t pid);
// The pid in such a reason; nullopt for any other hold (those are people's, never touched).
std::optional<pid_t> export_hold_pid(std::string_view reason);

// Whether a process runs (kill(pid, 0)); a reused pid keeps a hold a little longer, never shorter.
bool process_alive(pid_t pid);

// Releases every active export hold whose process `alive` says is gone, as `user` (uid
// `uid`). Returns how many it released.
Result<int> release_abandoned_export_holds(index::Index& index, const std::function<bool(pid_t)>& alive, UtcTime now,
                                           std::int64_t uid, std::string_view user);

}  // namespace carekeep::exports
