// base/destination: where a command puts the files a person takes away (an evidence export, an
// audit report). Staged: nothing appears under its final name before commit(), so a command that
// fails or is interrupted leaves nothing that looks complete. LocalDestination makes the files
// itself. When carekeepd runs a command on a user's behalf, control::RemoteDestination asks the
// user's own carekeep process to make them (they are the user's files, on the user's disk) and
// receives their descriptors. Blocking file I/O; one thread at a time.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/leftover.hpp"

namespace carekeep::fs {

enum class Layout {
  // `out` must not exist or be an empty folder (FailedPrecondition otherwise). Files are made in
  // a hidden sibling folder ".<name>.partial-<pid>" (leftover.hpp: with a marker naming its
  // process, so a later run removes it if this one is killed) that commit() renames onto `out`.
  NewFolder,
  // `out` is created if missing and may hold other files. Each file is made as ".<file>.partial"
  // inside it; commit() renames each onto its name, replacing an older one.
  Folder,
};
std::string_view to_string(Layout layout);
Result<Layout> parse_layout(std::string_view text);

class Destination {
 public:
  virtual ~Destination() = default;
  // Once, before create(). `out` is absolute.
  virtual Status open(const std::filesystem::path& out, Layout layout) = 0;
  // A new file, open for reading and writing (mode 0644). `name` is a plain file name (no '/',
  // not "." or ".."): InvalidArgument otherwise. The caller writes and fsyncs it.
  virtual Result<UniqueFd> create(std::string_view name) = 0;
  // Makes everything visible under its final name, durably (directories fsynced).
  virtual Status commit() = 0;
  // Removes whatever was made; harmless before open(), after commit() or twice.
  virtual void abort() noexcept = 0;
  // NewFolder: the build folders of killed earlier runs that open() found beside `out` (and
  // removed, when it could), for the command to mention.
  virtual const std::vector<Leftover>& leftovers() const = 0;
};

// InvalidArgument unless `name` is a plain file name (see Destination::create).
Status check_file_name(std::string_view name);

class LocalDestination final : public Destination {
 public:
  LocalDestination() = default;
  LocalDestination(const LocalDestination&) = delete;
  LocalDestination& operator=(const LocalDestination&) = delete;
  ~LocalDestination() override { abort(); }

  Status open(const std::filesystem::path& out, Layout layout) override;
  Result<UniqueFd> create(std::string_view name) override;
  Status commit() override;
  void abort() noexcept override;
  const std::vector<Leftover>& leftovers() const override { return leftovers_; }

 private:
  std::filesystem::path staged(std::string_view name) const;

  std::filesystem::path out_;
  std::filesystem::path build_;  // NewFolder: the hidden folder; Folder: out_ itself
  Layout layout_ = Layout::NewFolder;
  std::vector<std::string> files_;
  std::vector<Leftover> leftovers_;
  bool open_ = false;
};

}  // namespace carekeep::fs
