#include "health/smart_probe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"

extern char** environ;

namespace carekeep::health {
namespace {

using Json = nlohmann::json;
namespace stdfs = std::filesystem;

// Closes a file descriptor once.
struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// The directory itself, or its nearest existing parent (storage may not exist before the
// daemon's first start; it will be created on the same file system).
stdfs::path existing_ancestor(const stdfs::path& path) {
  std::error_code ec;
  stdfs::path p = stdfs::absolute(path, ec);
  if (ec) p = path;
  while (!p.empty() && !stdfs::exists(p, ec)) {
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  auto canonical = stdfs::canonical(p, ec);
  return ec ? p : canonical;
}

void collect_disks(const Json& node, std::vector<std::string>& disks, std::vector<std::string>* other) {
  if (!node.is_object()) return;
  std::string name = node.value("name", std::string());
  std::string type = node.value("type", std::string());
  auto children = node.find("children");
  bool leaf = children == node.end() || !children->is_array() || children->empty();
  if (type == "disk") {
    if (!name.empty() && std::find(disks.begin(), disks.end(), name) == disks.end()) disks.push_back(name);
    return;  // a disk sits on nothing SMART would know more about
  }
  if (leaf) {
    if (other != nullptr && std::find(other->begin(), other->end(), type) == other->end()) other->push_back(type);
    return;
  }
  for (const auto& child : *children) collect_disks(child, disks, other);
}

std::string first_line(std::string_view text) {
  auto end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

DiskHealth unavailable(std::string device, std::string reason) {
  DiskHealth d;
  d.device = std::move(device);
  d.verdict = SmartVerdict::Unavailable;
  d.reason = std::move(reason);
  return d;
}

DiskHealth read_disk(const std::string& device, const ProbeOptions& options) {
  // -H health, -A attributes (ATA table, NVMe health log, SCSI counters), -i identity. Not -a:
  // the error and self-test logs are large and add nothing the verdict uses.
  auto run = run_program({options.smartctl, "--json=c", "-H", "-A", "-i", device}, options.timeout);
  if (!run) {
    if (run.error().kind == ErrorKind::NotFound)
      return unavailable(device, "smartctl is not installed (apt install smartmontools)");
    return unavailable(device, run.error().message);
  }
  if (run->timed_out) {
    return unavailable(device, "smartctl did not answer within " +
                                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count()) +
                                   " s");
  }
  auto disk = parse_smartctl(run->out, device);
  if (!disk) {
    std::string err = first_line(run->err);
    return unavailable(device, disk.error().message + (err.empty() ? "" : ": " + err));
  }
  return std::move(*disk);
}

}  // namespace

Result<ProgramResult> run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  if (argv.empty()) return fail(ErrorKind::InvalidArgument, "no program to run");
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return fail(ErrorKind::Internal, std::string("pipe: ") + std::strerror(errno));
  Fd out_read{out_pipe[0]};
  Fd out_write{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return fail(ErrorKind::Internal, std::string("pipe: ") + std::strerror(errno));
  Fd err_read{err_pipe[0]};
  Fd err_write{err_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  // glibc reports a failed exec (ENOENT: not installed) as posix_spawnp's own result.
  int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  err_write.reset();
  if (rc == ENOENT) return fail(ErrorKind::NotFound, argv[0] + " is not installed");
  if (rc != 0) return fail(ErrorKind::Internal, "starting " + argv[0] + ": " + std::strerror(rc));

  ProgramResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  char buffer[16384];
  int open_streams = 2;
  while (open_streams > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    int ready = ::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      ::kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_streams;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.exit_status = 128 + WTERMSIG(status);
  return result;
}

Result<MountSource> parse_findmnt(std::string_view json) {
  Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto list = root.is_object() ? root.find("filesystems") : root.end();
  if (!root.is_object() || list == root.end() || !list->is_array() || list->empty())
    return fail(ErrorKind::InvalidArgument, "findmnt printed no file system");
  const Json& last = list->back();
  MountSource m;
  m.source = last.value("source", std::string());
  m.fstype = last.value("fstype", std::string());
  m.target = last.value("target", std::string());
  if (m.source.empty()) return fail(ErrorKind::InvalidArgument, "findmnt printed a file system without a source");
  return m;
}

Result<std::vector<std::string>> parse_lsblk_disks(std::string_view json, std::vector<std::string>* other_types) {
  Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto list = root.is_object() ? root.find("blockdevices") : root.end();
  if (!root.is_object() || list == root.end() || !list->is_array())
    return fail(ErrorKind::InvalidArgument, "lsblk printed no block devices");
  std::vector<std::string> disks;
  for (const auto& node : *list) collect_disks(node, disks, other_types);
  return disks;
}

SmartState probe_smart(const stdfs::path& storage, const std::optional<SmartState>& previous, UtcTime now,
                       const ProbeOptions& options) {
  SmartState state;
  state.checked = now;
  state.storage = storage.string();
  if (previous) state.last_available = previous->last_available;
  auto finish = [&]() -> SmartState {
    if (state.available()) state.last_available = now;
    return state;
  };

  auto where = existing_ancestor(storage);
  auto mount = run_program({options.findmnt, "--json", "--nofsroot", "--target", where.string(), "--output",
                            "SOURCE,FSTYPE,TARGET"},
                           options.timeout);
  if (!mount) {
    state.reason = mount.error().kind == ErrorKind::NotFound ? "findmnt is not installed (apt install util-linux)"
                                                              : mount.error().message;
    return finish();
  }
  auto source = parse_findmnt(mount->out);
  if (!source) {
    state.reason = "cannot tell which file system holds " + where.string() + " (findmnt: " +
                   first_line(mount->err.empty() ? source.error().message : mount->err) + ")";
    return finish();
  }
  state.source = source->source;
  if (source->source.rfind("/dev/", 0) != 0) {
    state.reason = "the storage is on " + source->fstype + " (" + source->source + "), not on a local disk: SMART does not apply";
    return finish();
  }
  auto tree = run_program({options.lsblk, "--json", "--inverse", "--paths", "--output", "NAME,TYPE", source->source},
                          options.timeout);
  if (!tree) {
    state.reason = tree.error().kind == ErrorKind::NotFound ? "lsblk is not installed (apt install util-linux)"
                                                             : tree.error().message;
    return finish();
  }
  std::vector<std::string> other;
  auto disks = parse_lsblk_disks(tree->out, &other);
  if (!disks) {
    state.reason = "cannot tell which disks hold " + source->source + " (lsblk: " +
                   first_line(tree->err.empty() ? disks.error().message : tree->err) + ")";
    return finish();
  }
  if (disks->empty()) {
    std::string types;
    for (const auto& t : other) types += (types.empty() ? "" : ", ") + t;
    state.reason = "the storage's device " + source->source + " is not built on a disk (" +
                   (types.empty() ? std::string("no device found") : "type " + types) + "): SMART does not apply";
    return finish();
  }
  for (const auto& disk : *disks) state.disks.push_back(read_disk(disk, options));
  return finish();
}

Status write_state(const stdfs::path& path, const SmartState& state, std::vector<uid_t> owners) {
  owners.push_back(::geteuid());
  return fs::write_file_atomic_guarded(path, to_json_text(state), owners);
}

}  // namespace carekeep::health
