#include "base/destination.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "base/fs.hpp"
#include "base/leftover.hpp"

namespace carekeep::fs {
namespace {

Status check_new_folder(const std::filesystem::path& out) {
  std::error_code ec;
  auto status = std::filesystem::symlink_status(out, ec);
  if (ec || !std::filesystem::exists(status)) return ok();
  if (!std::filesystem::is_directory(status))
    return fail(ErrorKind::FailedPrecondition, "output " + out.string() + " exists and is not a folder; choose a new --out");
  if (!std::filesystem::is_empty(out, ec) || ec)
    return fail(ErrorKind::FailedPrecondition, "output folder " + out.string() + " is not empty; choose a new or empty --out");
  return ok();
}

Status create_folders(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tl::unexpected(from_errno(ec.value(), "creating " + dir.string()));
  return ok();
}

}  // namespace

std::string_view to_string(Layout layout) { return layout == Layout::NewFolder ? "new_folder" : "folder"; }

Result<Layout> parse_layout(std::string_view text) {
  if (text == "new_folder") return Layout::NewFolder;
  if (text == "folder") return Layout::Folder;
  return fail(ErrorKind::InvalidArgument, "unknown destination layout \"" + std::string(text) + "\"");
}

Status check_file_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    return fail(ErrorKind::InvalidArgument, "\"" + std::string(name) + "\" is not a plain file name");
  return ok();
}

Status LocalDestination::open(const std::filesystem::path& out, Layout layout) {
  if (open_) return fail(ErrorKind::Internal, "destination opened twice");
  if (!out.is_absolute()) return fail(ErrorKind::InvalidArgument, "output " + out.string() + " is not an absolute path");
  out_ = out.lexically_normal();
  if (out_.filename().empty()) out_ = out_.parent_path();
  layout_ = layout;
  if (layout == Layout::Folder) {
    if (auto st = create_folders(out_); !st) return st;
    build_ = out_;
    open_ = true;
    return ok();
  }
  if (auto st = check_new_folder(out_); !st) return st;
  auto parent = out_.parent_path();
  if (auto st = create_folders(parent); !st) return st;
  leftovers_ = remove_leftover_builds(parent);
  // Hidden, and without the files that make it complete until the very end.
  build_ = build_folder_path(out_);
  std::error_code ec;
  std::filesystem::remove_all(build_, ec);
  if (!std::filesystem::create_directory(build_, ec) || ec)
    return tl::unexpected(from_errno(ec ? ec.value() : EEXIST, "creating " + build_.string()));
  open_ = true;
  // Who builds it, so a later run can tell a folder left by a killed one.
  if (auto st = write_build_marker(build_); !st) {
    abort();
    return st;
  }
  return ok();
}

std::filesystem::path LocalDestination::staged(std::string_view name) const {
  if (layout_ == Layout::NewFolder) return build_ / std::string(name);
  return build_ / ("." + std::string(name) + ".partial");
}

Result<UniqueFd> LocalDestination::create(std::string_view name) {
  if (!open_) return fail(ErrorKind::Internal, "destination used before open");
  if (auto st = check_file_name(name); !st) return tl::unexpected(st.error());
  auto path = staged(name);
  // Folder layout: a ".x.partial" left by an earlier interrupted run is ours to replace.
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | (layout_ == Layout::NewFolder ? O_EXCL : O_TRUNC);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return tl::unexpected(from_errno(errno, "creating " + path.string()));
  files_.emplace_back(name);
  return UniqueFd{fd};
}

Status LocalDestination::commit() {
  if (!open_) return fail(ErrorKind::Internal, "destination committed before open");
  for (const auto& name : files_) {
    if (auto st = fsync_path(staged(name)); !st) return st;
  }
  if (layout_ == Layout::Folder) {
    for (const auto& name : files_) {
      auto final_path = out_ / name;
      if (::rename(staged(name).c_str(), final_path.c_str()) != 0)
        return tl::unexpected(from_errno(errno, "renaming " + staged(name).string() + " to " + final_path.string()));
    }
    if (auto st = fsync_path(out_); !st) return st;
  } else {
    if (auto st = remove_build_marker(build_); !st) return st;
    if (auto st = fsync_path(build_); !st) return st;
    // rename(2) replaces an empty directory atomically; open() allowed only that.
    if (::rename(build_.c_str(), out_.c_str()) != 0)
      return tl::unexpected(from_errno(errno, "moving the files into " + out_.string()));
    if (auto st = fsync_parent(out_); !st) return st;
  }
  files_.clear();
  open_ = false;
  return ok();
}

void LocalDestination::abort() noexcept {
  if (!open_) return;
  std::error_code ec;
  if (layout_ == Layout::NewFolder) {
    std::filesystem::remove_all(build_, ec);
  } else {
    for (const auto& name : files_) std::filesystem::remove(staged(name), ec);
  }
  files_.clear();
  open_ = false;
}

}  // namespace carekeep::fs
