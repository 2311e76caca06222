#include "export/hold.hpp"

#include <signal.h>

#include <cerrno>
#include <charconv>

#include <nlohmann/json.hpp>

#include "export/actor.hpp"

namespace carekeep::exports {
namespace {
constexpr std::string_view kPrefix = "export to ";
constexpr std::string_view kPidMark = " in progress (pid ";
}  // namespace

std::string export_hold_reason(const std::filesystem::path& out, pid_t pid) {
  return std::string(kPrefix) + out.string() + std::string(kPidMark) + std::to_string(pid) + ")";
}

std::optional<pid_t> export_hold_pid(std::string_view reason) {
  if (!reason.starts_with(kPrefix) || !reason.ends_with(")")) return std::nullopt;
  auto mark = reason.rfind(kPidMark);
  if (mark == std::string_view::npos) return std::nullopt;
  auto digits = reason.substr(mark + kPidMark.size());
  digits.remove_suffix(1);
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc{} || end != digits.data() + digits.size() || pid <= 0) return std::nullopt;
  return pid;
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

Result<int> release_abandoned_export_holds(index::Index& index, const std::function<bool(pid_t)>& alive, UtcTime now,
                                           std::int64_t uid, std::string_view user) {
  auto holds = index.active_holds();
  if (!holds) return tl::unexpected(holds.error());
  int released = 0;
  for (const auto& hold : *holds) {
    auto pid = export_hold_pid(hold.reason);
    if (!pid || alive(*pid)) continue;
    if (auto st = index.release_hold(hold.id, now, uid, user); !st) return tl::unexpected(st.error());
    // Its access-log row (`verify`: release_unaccounted). A failure to write it is not the
    // release's: verify will name the release.
    nlohmann::json args{{"id", hold.id}, {"why", "its export (pid " + std::to_string(*pid) + ") is no longer running"}};
    (void)record_access(index, Actor{uid, std::string(user)}, "hold_release", args.dump(), "ok");
    ++released;
  }
  return released;
}

}  // namespace carekeep::exports
