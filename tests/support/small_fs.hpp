// tests/support/small_fs: a real, small filesystem (tmpfs of a given size) mounted on a
// temporary directory for disk-full tests. Needs root (CI runs as root); when mounting is
// not permitted the constructor throws, so the test fails and says why instead of passing.
#pragma once

#include <cstdint>
#include <filesystem>

#include "support/temp_dir.hpp"

namespace carekeep::test {

class SmallFilesystem {
 public:
  explicit SmallFilesystem(std::uint64_t size_bytes);
  ~SmallFilesystem();
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;
  const std::filesystem::path& path() const { return dir_.path(); }
  // The file system itself read-only (its super block), as the kernel leaves a disk after
  // I/O errors (ext4 errors=remount-ro). Throws if the remount fails.
  void remount_read_only();

 private:
  TempDir dir_;
  bool mounted_ = false;
};

// `path` bind-mounted onto itself read-only for the object's lifetime: what systemd's
// ProtectSystem=strict does to every path outside ReadWritePaths= in a service's namespace.
// Writes fail with EROFS while the file system stays read-write. Needs root; throws otherwise.
class ReadOnlyBind {
 public:
  explicit ReadOnlyBind(std::filesystem::path path);
  ~ReadOnlyBind();
  ReadOnlyBind(const ReadOnlyBind&) = delete;
  ReadOnlyBind& operator=(const ReadOnlyBind&) = delete;

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
};

}  // namespace carekeep::test
