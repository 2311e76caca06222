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

 private:
  TempDir dir_;
  bool mounted_ = false;
};

}  // namespace carekeep::test
