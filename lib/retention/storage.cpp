#include "retention/storage.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace carekeep::retention {

Result<StorageState> measure(const std::filesystem::path& storage, index::Index& index) {
  struct statvfs vfs {};
  if (::statvfs(storage.c_str(), &vfs) != 0) {
    int err = errno;
    ErrorKind kind = err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition;
    return fail(kind, "measuring the file system of " + storage.string() + ": " + std::strerror(err));
  }
  StorageState state;
  state.total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  state.free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  auto footage = index.footage_bytes();
  if (!footage) return tl::unexpected(std::move(footage.error()));
  state.footage_bytes = *footage > 0 ? static_cast<std::uint64_t>(*footage) : 0;
  return state;
}

Result<std::vector<index::RetentionRow>> load_candidates(index::Index& index, const config::Retention& retention,
                                                         const StorageState& storage, UtcTime now) {
  UtcTime unprotected_ended_by =
      bytes_needed(storage, retention) > 0
          ? UtcTime::max()
          : now - std::chrono::duration_cast<Micros>(std::chrono::days{retention.other_days});
  return index.retention_candidates(now, unprotected_ended_by);
}

std::string_view to_string(WriteBlock block) {
  switch (block) {
    case WriteBlock::None: return "none";
    case WriteBlock::Sandbox: return "sandbox";
    case WriteBlock::ReadOnlyBind: return "read_only_bind";
    case WriteBlock::ReadOnlyDisk: return "read_only_disk";
    case WriteBlock::Permission: return "permission";
    case WriteBlock::Other: return "other";
  }
  return "?";
}

namespace {

std::string user_name(uid_t uid) {
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
  return std::to_string(uid);
}

std::string group_name(gid_t gid) {
  if (const group* gr = ::getgrgid(gid); gr != nullptr && gr->gr_name != nullptr) return gr->gr_name;
  return std::to_string(gid);
}

std::string where(const std::optional<mounts::Mount>& mount) {
  if (!mount) return "";
  return mount->source + " (" + mount->fs_type + ") mounted at " + mount->mount_point.string();
}

}  // namespace

std::string StorageAccess::message() const {
  const std::string path = storage.string();
  switch (block) {
    case WriteBlock::None: return "";
    case WriteBlock::Sandbox:
      // The first sentence is what the journal's one line and the alert lead with; the rest
      // says why, for whoever wonders that the disk itself looks fine.
      return "storage " + path + " is not writable under the service's sandbox: add ReadWritePaths=" + path +
             " in a drop-in (run `carekeep doctor` for the exact file). The file system (" + where(mount) +
             ") is read-write; carekeepd.service's ProtectSystem=strict makes every path outside ReadWritePaths= "
             "read-only. Then `systemctl daemon-reload && systemctl restart carekeepd`.";
    case WriteBlock::ReadOnlyBind:
      return "storage " + path + " is not writable: it is reached through a read-only bind mount at " +
             (mount ? mount->mount_point.string() : path) + " while the file system (" + where(mount) +
             ") is read-write. Remount it read-write (`mount -o remount,bind,rw " +
             (mount ? mount->mount_point.string() : path) + "`) or point [site] storage elsewhere.";
    case WriteBlock::ReadOnlyDisk:
      return "the storage file system of " + path + " is read-only" + (mount ? " (" + where(mount) + ")" : "") +
             ": nothing can be recorded or deleted. The kernel does this after disk errors: check the disk (`dmesg`, "
             "`smartctl -H`), then repair or replace it and remount it read-write.";
    case WriteBlock::Permission: {
      std::string owner;
      struct stat st {};
      auto existing = mounts::resolve_existing(storage);
      if (::stat(existing.c_str(), &st) == 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        owner = " (" + existing.string() + " belongs to " + user_name(st.st_uid) + ":" + group_name(st.st_gid) +
                ", mode " + mode + ")";
      }
      std::string me = user_name(::geteuid());
      return "storage " + path + " is not writable by user " + me + owner + ": " + detail +
             ". Give the directory to the daemon's user: `mkdir -p " + path + " && chown " + me + ":" +
             group_name(::getegid()) + " " + path + "`, then restart carekeepd.";
    }
    case WriteBlock::Other:
      return "storage " + path + " is not writable: " + detail + ". Check that the footage disk is mounted" +
             (mount ? " (" + where(mount) + ")" : "") + " and healthy (`dmesg`).";
  }
  return "";
}

WriteBlock classify_read_only(const std::optional<mounts::Mount>& mount, bool systemd) {
  // Unknown mount: say the plain thing (read-only disk) rather than blame a sandbox.
  if (!mount || mount->fs_read_only || !mount->read_only) return WriteBlock::ReadOnlyDisk;
  return systemd ? WriteBlock::Sandbox : WriteBlock::ReadOnlyBind;
}

bool under_systemd() {
  const char* id = std::getenv("INVOCATION_ID");
  return id != nullptr && *id != '\0';
}

namespace {

StorageAccess failed(const std::filesystem::path& storage, int err, std::string detail) {
  StorageAccess access;
  access.storage = storage;
  access.mount = mounts::mount_of(storage);
  access.detail = std::move(detail);
  if (err == EROFS) access.block = classify_read_only(access.mount, under_systemd());
  else if (err == EACCES || err == EPERM) access.block = WriteBlock::Permission;
  // Full (no blocks or no inodes for the probe): writable in principle; the retention pass
  // frees space, and the disk-full alert is its to raise.
  else if (err == ENOSPC || err == EDQUOT) access.block = WriteBlock::None;
  else access.block = WriteBlock::Other;
  return access;
}

}  // namespace

StorageAccess probe_writable(const std::filesystem::path& storage) {
  std::error_code ec;
  std::filesystem::create_directories(storage, ec);
  if (ec) return failed(storage, ec.value(), "creating " + storage.string() + ": " + ec.message());
  // Hidden, and named after this process so two probes (daemon and doctor) never meet.
  auto probe = storage / (".carekeep-write-probe-" + std::to_string(::getpid()));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {  // left by a killed process that had this pid
    ::unlink(probe.c_str());
    fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }
  if (fd < 0) {
    int err = errno;
    return failed(storage, err, "creating a file in " + storage.string() + ": " + std::strerror(err));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  StorageAccess access;
  access.storage = storage;
  return access;
}

StorageAccess read_only_access(const std::filesystem::path& storage) {
  return failed(storage, EROFS, "the file system of " + storage.string() + " is read-only");
}

}  // namespace carekeep::retention
