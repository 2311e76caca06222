// tests/support: a real temporary directory, removed with everything in it at scope end.
#pragma once

#include <filesystem>
#include <string>

namespace carekeep::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path`, creating parent directories.
void write_text(const std::filesystem::path& path, const std::string& content);
std::string read_text(const std::filesystem::path& path);

// Runs `command` through the shell and captures its exit code, stdout and stderr apart
// (append "2>&1" to the command to get both in `out`). exit_code is -1 if it did not exit.
struct CommandRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandRun run_command(const std::string& command);

}  // namespace carekeep::test
