#include "support/small_fs.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace carekeep::test {

SmallFilesystem::SmallFilesystem(std::uint64_t size_bytes) {
  std::string options = "size=" + std::to_string(size_bytes) + ",mode=0755";
  if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
    throw std::runtime_error("mounting a " + std::to_string(size_bytes) + "-byte tmpfs at " + dir_.path().string() +
                             " failed (" + std::strerror(errno) + "); disk-full tests need root, as in CI");
  }
  mounted_ = true;
}

SmallFilesystem::~SmallFilesystem() {
  if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

void SmallFilesystem::remount_read_only() {
  if (::mount(nullptr, dir_.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0)
    throw std::runtime_error("remounting " + dir_.path().string() + " read-only failed (" + std::strerror(errno) + ")");
}

ReadOnlyBind::ReadOnlyBind(std::filesystem::path path) : path_(std::move(path)) {
  if (::mount(path_.c_str(), path_.c_str(), nullptr, MS_BIND, nullptr) != 0)
    throw std::runtime_error("bind-mounting " + path_.string() + " failed (" + std::strerror(errno) +
                             "); sandbox tests need root, as in CI");
  mounted_ = true;
  // A bind mount takes its flags from a second, remounting call (as systemd does it).
  if (::mount(nullptr, path_.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
    throw std::runtime_error("making the bind mount of " + path_.string() + " read-only failed (" +
                             std::strerror(errno) + ")");
}

ReadOnlyBind::~ReadOnlyBind() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

}  // namespace carekeep::test
