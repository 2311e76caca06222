#include "base/fs.hpp"

#include "base/fd.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace carekeep::fs {

Status fsync_path(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected(from_errno(errno, "opening " + path.string() + " for fsync"));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return tl::unexpected(from_errno(err, "fsync of " + path.string()));
  return ok();
}

Status fsync_parent(const std::filesystem::path& path) {
  auto parent = path.parent_path();
  return fsync_path(parent.empty() ? std::filesystem::path(".") : parent);
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  auto tmp = path;
  tmp += ".tmp";
  // A fresh file, never one found there: whoever can write the directory could have left a
  // symlink at the temporary name, and a root writer (carekeep-smart writes into carekeepd's
  // state directory) following it would truncate its target. unlink removes a link itself.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
    return tl::unexpected(from_errno(errno, "removing a stale " + tmp.string()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(from_errno(errno, "creating " + tmp.string()));
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return tl::unexpected(from_errno(err, "writing " + tmp.string()));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return tl::unexpected(from_errno(err, "fsync of " + tmp.string()));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return tl::unexpected(from_errno(err, "renaming " + tmp.string() + " to " + path.string()));
  }
  return fsync_parent(path);
}

namespace {

std::string describe_owner(const struct stat& st) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "uid " + std::to_string(st.st_uid) + ", mode " + mode;
}

// Root's, and closed to everyone else: what only root could have put there.
bool root_only(const struct stat& st) { return st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0; }

// `last`: the directory the file goes into. One on the way may be world-writable if sticky
// (/tmp): nobody else can rename or replace the next directory in it, which is checked in turn.
Status check_directory(const struct stat& st, const std::string& shown, const std::vector<uid_t>& owners, bool last) {
  if (!S_ISDIR(st.st_mode)) return fail(ErrorKind::FailedPrecondition, shown + " is not a directory");
  bool trusted = st.st_uid == 0 || std::find(owners.begin(), owners.end(), st.st_uid) != owners.end();
  bool open_to_others = (st.st_mode & S_IWOTH) != 0 && (last || (st.st_mode & S_ISVTX) == 0);
  if (!trusted || open_to_others)
    return fail(ErrorKind::FailedPrecondition,
                "refusing to write into " + shown + " (" + describe_owner(st) +
                    "): it must belong to root or the daemon's user and not be writable by others");
  return ok();
}

// The directory `dir` as a descriptor, reached as write_file_atomic_guarded describes.
Result<UniqueFd> open_guarded_directory(const std::filesystem::path& dir, const std::vector<uid_t>& owners,
                                        int depth = 0) {
  if (!dir.is_absolute()) return fail(ErrorKind::InvalidArgument, dir.string() + " is not an absolute path");
  if (depth > 8) return fail(ErrorKind::FailedPrecondition, "too many symlinks resolving " + dir.string());
  UniqueFd current{::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (!current) return tl::unexpected(from_errno(errno, "opening /"));
  std::filesystem::path shown = "/";
  std::vector<std::string> parts;
  for (const auto& part : dir.lexically_normal().relative_path()) {
    if (!part.empty() && part != ".") parts.push_back(part.string());
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& name = parts[i];
    if (name == "..") return fail(ErrorKind::InvalidArgument, dir.string() + " contains \"..\"");
    struct stat here {};
    if (::fstat(current.get(), &here) != 0) return tl::unexpected(from_errno(errno, "examining " + shown.string()));
    struct stat st {};
    if (::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return tl::unexpected(from_errno(errno, "examining " + (shown / name).string()));
    if (S_ISLNK(st.st_mode)) {
      if (!(root_only(here) && st.st_uid == 0))
        return fail(ErrorKind::FailedPrecondition,
                    "refusing to follow the symlink " + (shown / name).string() + " (" + describe_owner(st) +
                        ", in a directory of " + describe_owner(here) +
                        "): only a symlink root made in a directory only root may write is followed");
      // Root's own link: resolve its target the same careful way (a relative target is
      // relative to the directory holding it), then go on from there.
      char target[4096];
      ssize_t n = ::readlinkat(current.get(), name.c_str(), target, sizeof target - 1);
      if (n < 0) return tl::unexpected(from_errno(errno, "reading the symlink " + (shown / name).string()));
      target[n] = '\0';
      std::filesystem::path to = target;
      if (!to.is_absolute()) to = shown / to;
      auto rest = dir.lexically_normal().lexically_relative(shown / name);
      auto next = (to / rest).lexically_normal();
      return open_guarded_directory(next, owners, depth + 1);
    }
    // O_NOFOLLOW: a symlink swapped in since the fstatat fails here (ENOTDIR/ELOOP).
    UniqueFd next{::openat(current.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (!next) return tl::unexpected(from_errno(errno, "opening " + (shown / name).string()));
    if (::fstat(next.get(), &st) != 0) return tl::unexpected(from_errno(errno, "examining " + (shown / name).string()));
    shown /= name;
    if (auto checked = check_directory(st, shown.string(), owners, i + 1 == parts.size()); !checked)
      return tl::unexpected(checked.error());
    current = std::move(next);
  }
  // O_PATH cannot be fsynced: reopen the directory itself for reading, through its descriptor.
  UniqueFd readable{::openat(current.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!readable) return tl::unexpected(from_errno(errno, "opening " + shown.string()));
  return readable;
}

}  // namespace

Status write_file_atomic_guarded(const std::filesystem::path& path, std::string_view content,
                                 const std::vector<uid_t>& owners) {
  auto name = path.filename().string();
  if (name.empty() || name == "." || name == "..")
    return fail(ErrorKind::InvalidArgument, path.string() + " does not name a file");
  auto dir = open_guarded_directory(std::filesystem::absolute(path).parent_path(), owners);
  if (!dir) return tl::unexpected(dir.error());
  const std::string tmp = name + ".tmp";
  const auto shown_tmp = path.parent_path() / tmp;
  // Whatever is at the temporary name (a symlink planted by the directory's owner) goes; the
  // file written is one this process created.
  if (::unlinkat(dir->get(), tmp.c_str(), 0) != 0 && errno != ENOENT)
    return tl::unexpected(from_errno(errno, "removing a stale " + shown_tmp.string()));
  UniqueFd file{::openat(dir->get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)};
  if (!file) return tl::unexpected(from_errno(errno, "creating " + shown_tmp.string()));
  auto written = write_all(file.get(), content, "writing " + shown_tmp.string());
  if (written && ::fsync(file.get()) != 0) written = tl::unexpected(from_errno(errno, "fsync of " + shown_tmp.string()));
  file.reset();
  if (!written) {
    ::unlinkat(dir->get(), tmp.c_str(), 0);
    return written;
  }
  // renameat replaces whatever entry is at `name`, a symlink included, and never writes
  // through it.
  if (::renameat(dir->get(), tmp.c_str(), dir->get(), name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dir->get(), tmp.c_str(), 0);
    return tl::unexpected(from_errno(err, "renaming " + shown_tmp.string() + " to " + path.string()));
  }
  if (::fsync(dir->get()) != 0) return tl::unexpected(from_errno(errno, "fsync of " + path.parent_path().string()));
  return ok();
}

Result<LockFile> LockFile::acquire(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(from_errno(errno, "opening lock file " + path.string()));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return fail(ErrorKind::FailedPrecondition,
                  "another carekeepd already uses this data directory (lock " + path.string() +
                      " is held); stop it first or point this one at another directory");
    return tl::unexpected(from_errno(err, "locking " + path.string()));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] auto n = ::write(fd, pid.data(), pid.size());
  }
  return LockFile{fd};
}

LockFile::LockFile(LockFile&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

LockFile::~LockFile() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace carekeep::fs
