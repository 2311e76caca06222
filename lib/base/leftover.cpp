#include "base/leftover.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "base/boot.hpp"
#include "base/fs.hpp"
#include "base/text.hpp"

namespace carekeep::fs {
namespace {

constexpr std::string_view kMarkerFormat = "carekeep-export-build/1";
constexpr std::string_view kPartialInfix = ".partial-";

std::optional<std::string> read_small(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::optional<std::int64_t> parse_int(std::string_view text) { return text::parse_int64(text); }

// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. The
// command name (field 2) may contain spaces and parentheses; fields are counted after the
// last ')'.
std::optional<std::int64_t> start_ticks(std::int64_t pid) {
  auto stat = read_small("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(close + 1));
  std::string field;
  for (int n = 3; n <= 22 && fields >> field; ++n) {
    if (n == 22) return parse_int(field);
  }
  return std::nullopt;
}

bool running(std::int64_t pid) {
  std::error_code ec;
  return pid > 0 && std::filesystem::exists("/proc/" + std::to_string(pid), ec);
}

struct Marker {
  std::int64_t pid = 0;
  std::int64_t start_ticks = 0;
  std::string boot_id;
};

std::optional<Marker> read_marker(const std::filesystem::path& folder) {
  auto text = read_small(folder / kBuildMarkerFile);
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string line;
  if (!std::getline(lines, line) || line != kMarkerFormat) return std::nullopt;
  Marker m;
  bool pid = false, ticks = false;
  while (std::getline(lines, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto key = std::string_view(line).substr(0, eq);
    auto value = std::string_view(line).substr(eq + 1);
    if (key == "pid") {
      auto v = parse_int(value);
      if (!v) return std::nullopt;
      m.pid = *v;
      pid = true;
    } else if (key == "start_ticks") {
      auto v = parse_int(value);
      if (!v) return std::nullopt;
      m.start_ticks = *v;
      ticks = true;
    } else if (key == "boot_id") {
      m.boot_id = std::string(value);
    }
  }
  if (!pid || !ticks || m.boot_id.empty()) return std::nullopt;
  return m;
}

// The pid in ".<name>.partial-<pid>", or none when the name is not a build folder's.
std::optional<std::int64_t> pid_in_name(const std::string& name) {
  if (name.size() < 2 || name.front() != '.') return std::nullopt;
  auto at = name.rfind(kPartialInfix);
  if (at == std::string::npos || at < 2) return std::nullopt;
  return parse_int(std::string_view(name).substr(at + kPartialInfix.size()));
}

// Why the folder's export is gone, or nullopt when it may still be running (or the folder
// may not be an export's at all).
std::optional<std::string> gone(const std::filesystem::path& folder, std::int64_t name_pid, std::int64_t& pid) {
  if (auto m = read_marker(folder)) {
    pid = m->pid;
    auto who = "pid " + std::to_string(m->pid);
    if (m->boot_id != boot_id()) return "its export (" + who + ") ran before the last reboot or on another machine";
    auto ticks = start_ticks(m->pid);
    if (!ticks) return who + " is no longer running";
    if (*ticks != m->start_ticks) return who + " is now another process";
    return std::nullopt;
  }
  pid = name_pid;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.path().filename() != kBuildMarkerFile) return std::nullopt;  // content without a marker: not ours
  }
  if (ec || running(name_pid)) return std::nullopt;
  return "pid " + std::to_string(name_pid) + " is no longer running (the folder is empty)";
}

}  // namespace

std::filesystem::path build_folder_path(const std::filesystem::path& out) {
  auto parent = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
  return parent / ("." + out.filename().string() + std::string(kPartialInfix) + std::to_string(::getpid()));
}

Status write_build_marker(const std::filesystem::path& folder) {
  auto ticks = start_ticks(::getpid());
  auto boot = boot_id();
  if (!ticks || boot.empty()) return fail(ErrorKind::Internal, "reading this process's start time from /proc");
  std::string text = std::string(kMarkerFormat) + "\npid=" + std::to_string(::getpid()) +
                     "\nstart_ticks=" + std::to_string(*ticks) + "\nboot_id=" + boot + "\n";
  auto path = folder / kBuildMarkerFile;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(ErrorKind::FailedPrecondition, "creating " + path.string() + ": " + std::strerror(errno));
  // One small write: the marker is whole or absent (a power cut before the fsync leaves it
  // empty, and the folder empty with it).
  auto written = ::write(fd, text.data(), text.size());
  int saved = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    return fail(saved == ENOSPC || saved == EDQUOT ? ErrorKind::ResourceExhausted : ErrorKind::FailedPrecondition,
                "writing " + path.string() + ": " + std::strerror(saved));
  // Durable before anything else is written into the folder, so that whatever a crash
  // leaves in it is next to its marker.
  if (auto st = fs::fsync_path(path); !st) return st;
  return fs::fsync_path(folder);
}

Status remove_build_marker(const std::filesystem::path& folder) {
  std::error_code ec;
  std::filesystem::remove(folder / kBuildMarkerFile, ec);
  if (ec) return fail(ErrorKind::FailedPrecondition, "removing " + (folder / kBuildMarkerFile).string() + ": " + ec.message());
  return ok();
}

std::vector<Leftover> remove_leftover_builds(const std::filesystem::path& parent) {
  std::vector<Leftover> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    auto name_pid = pid_in_name(entry.path().filename().string());
    std::error_code type_ec;
    if (!name_pid || !entry.is_directory(type_ec) || entry.is_symlink(type_ec)) continue;
    Leftover leftover;
    leftover.path = entry.path();
    auto why = gone(entry.path(), *name_pid, leftover.pid);
    if (!why) continue;
    leftover.why = std::move(*why);
    std::error_code rm_ec;
    std::filesystem::remove_all(entry.path(), rm_ec);
    leftover.removed = !rm_ec;
    if (rm_ec) leftover.error = rm_ec.message();
    found.push_back(std::move(leftover));
  }
  return found;
}

}  // namespace carekeep::fs
