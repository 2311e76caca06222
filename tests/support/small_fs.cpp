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

}  // namespace carekeep::test
