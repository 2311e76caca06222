#include "integrity/recovery.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>
#include <utility>

#include "base/fd.hpp"
#include "base/fs.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "integrity/fragments.hpp"
#include "integrity/layout.hpp"
#include "integrity/probe.hpp"
#include "segment/hash.hpp"

namespace carekeep::integrity {
namespace {

namespace fsx = std::filesystem;
using index::SegmentRow;
using index::SegmentState;
using index::Sha256;

const index::TimeRange kAllTime{from_us(std::numeric_limits<std::int64_t>::min()),
                                from_us(std::numeric_limits<std::int64_t>::max())};

Error errno_error(int err, std::string what) {
  ErrorKind kind = ErrorKind::Internal;
  if (err == ENOSPC || err == EDQUOT) kind = ErrorKind::ResourceExhausted;
  else if (err == ENOENT) kind = ErrorKind::NotFound;
  else if (err == EROFS || err == EACCES || err == EPERM || err == EEXIST) kind = ErrorKind::FailedPrecondition;
  else if (err == EIO) kind = ErrorKind::DataLoss;
  return Error{kind, std::move(what) + ": " + std::strerror(err)};
}

Error fs_error(const std::error_code& ec, std::string what) { return errno_error(ec.value(), std::move(what)); }

tl::unexpected<Error> failed(Error error, std::string_view what) {
  return tl::unexpected(std::move(error).with_context(what));
}

std::uint64_t size_or_zero(const fsx::path& path) {
  std::error_code ec;
  auto size = fsx::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(size);
}

// Cuts the file to `size` and makes the cut durable.
Status truncate_and_sync(const fsx::path& path, std::uint64_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected(errno_error(errno, "opening " + path.string()));
  int rc = ::ftruncate(fd, static_cast<off_t>(size));
  int err = errno;
  if (rc == 0) {
    rc = ::fsync(fd);
    err = errno;
  }
  ::close(fd);
  if (rc != 0) return tl::unexpected(errno_error(err, "truncating " + path.string()));
  return ok();
}

// rename(2) that never replaces an existing file: every file under storage is evidence.
int rename_no_replace(const fsx::path& from, const fsx::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // A filesystem without RENAME_NOREPLACE: recovery is the only writer at this point, so
  // checking first is enough.
  std::error_code ec;
  if (fsx::exists(to, ec)) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

// create_directories, then fsync each new directory's parent so the new entries survive a
// power cut along with the file about to be renamed into them.
Status ensure_directory(const fsx::path& dir) {
  std::error_code ec;
  if (fsx::is_directory(dir, ec)) return ok();
  if (auto st = ensure_directory(dir.parent_path()); !st) return st;
  if (!fsx::create_directory(dir, ec) && ec) return tl::unexpected(fs_error(ec, "creating " + dir.string()));
  return fs::fsync_parent(dir);
}

struct DirEntries {
  std::vector<std::string> directories;
  std::vector<std::string> files;  // regular files
};

Result<DirEntries> list_directory(const fsx::path& dir) {
  DirEntries out;
  std::error_code ec;
  fsx::directory_iterator it(dir, ec);
  for (; !ec && it != fsx::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    std::string name = it->path().filename().string();
    if (it->is_directory(type_ec)) out.directories.push_back(std::move(name));
    else if (it->is_regular_file(type_ec)) out.files.push_back(std::move(name));
  }
  if (ec) return tl::unexpected(fs_error(ec, "listing " + dir.string()));
  std::sort(out.directories.begin(), out.directories.end());
  std::sort(out.files.begin(), out.files.end());
  return out;
}

bool is_date_directory(const std::string& name) {
  auto day = parse_date(name);
  return day && format_date(*day) == name;
}

std::string seconds_text(Micros d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(d.count()) / 1e6);
  return buf;
}

// What recovery learned about one file, and whether it can stand as a segment.
struct Inspection {
  std::optional<std::string> unusable;  // why not, in words
  std::uint64_t found_size = 0;
  std::uint64_t kept_size = 0;          // after cutting an incomplete last fragment
  Sha256 sha256{};
  MediaSummary media;

  std::uint64_t cut() const { return found_size - kept_size; }
};

// Finds the clean cut, cuts there when `may_cut` (the file is ours and was left open),
// syncs, hashes and probes. Errors only when the disk refuses the cut or the sync; a file
// that cannot be read or played comes back `unusable`.
Result<Inspection> inspect(const fsx::path& file, bool may_cut) {
  Inspection out;
  auto scan = scan_fragments(file);
  if (!scan) {
    if (scan.error().kind == ErrorKind::NotFound) return tl::unexpected(std::move(scan.error()));
    out.unusable = "unreadable: " + scan.error().message;
    return out;
  }
  out.found_size = out.kept_size = scan->file_size;
  if (!scan->usable()) {
    out.unusable = scan->problem;
    return out;
  }
  if (scan->clean_end < scan->file_size && !may_cut) {
    out.unusable = "does not end at a complete fragment (" + std::to_string(scan->bytes_after_cut()) +
                   " bytes after the last one)";
    return out;
  }
  // The index is about to record this size and hash, so the bytes must be on disk first
  // (after a daemon crash without a power cut, part of the file may be in the page cache only).
  auto synced = scan->clean_end < scan->file_size ? truncate_and_sync(file, scan->clean_end) : fs::fsync_path(file);
  if (!synced) return tl::unexpected(std::move(synced.error()));
  out.kept_size = scan->clean_end;
  auto sha = segment::sha256_file(file);
  if (!sha) {
    out.unusable = "unreadable: " + sha.error().message;
    return out;
  }
  out.sha256 = *sha;
  auto media = probe_media(file);
  if (!media) {
    out.unusable = "not playable: " + media.error().message;
    return out;
  }
  if (media->frames == 0) {
    out.unusable = "no video frames";
    return out;
  }
  out.media = std::move(*media);
  return out;
}

class Recovery {
 public:
  Recovery(index::Index& index, fsx::path storage, UtcTime now, const ProtectionPolicy& protection,
           const TimeZone& zone)
      : index_(index), storage_(std::move(storage)), now_(now), protection_(protection), zone_(zone) {}

  Result<RecoveryReport> run() {
    auto cameras = index_.cameras();
    if (!cameras) return failed(std::move(cameras.error()), "recovery");
    for (const auto& camera : *cameras) known_.insert(camera.id);

    // 1. Rows left open, by camera then id: chain links are added in id order.
    auto open = index_.open_segments();
    if (!open) return failed(std::move(open.error()), "recovery");
    for (const auto& row : *open) {
      if (auto st = recover_open(row); !st) {
        return failed(std::move(st.error()), "recovering segment " + std::to_string(row.id));
      }
    }

    // 2 + 3. Per camera: files without rows, then rows without files. Camera directories on
    // disk and cameras in the index are both visited, whichever side is missing.
    std::set<std::string> visit(known_.begin(), known_.end());
    std::error_code ec;
    if (fsx::is_directory(storage_, ec)) {
      auto top = list_directory(storage_);
      if (!top) return failed(std::move(top.error()), "recovery");
      for (auto& name : top->directories) {
        if (name.empty() || name[0] == '.' || name == kQuarantineDir || name == "lost+found") continue;
        visit.insert(std::move(name));
      }
    }
    for (const auto& camera : visit) {
      if (auto st = recover_camera(camera); !st) {
        return failed(std::move(st.error()), "recovery of camera " + camera);
      }
    }
    return std::move(report_);
  }

 private:
  std::string relative(const fsx::path& p) const { return p.lexically_relative(storage_).generic_string(); }

  void finding(std::string line) { report_.findings.push_back(text::redact_urls_in(line)); }

  // ---- 1. open rows ----------------------------------------------------------------------

  Status recover_open(const SegmentRow& row) {
    fsx::path final_path = storage_ / row.path;
    fsx::path partial_path = final_path;
    partial_path += kPartialSuffix;
    std::error_code ec;
    bool has_final = fsx::exists(final_path, ec);
    bool has_partial = fsx::exists(partial_path, ec);

    if (!has_final && !has_partial) {
      // An earlier recovery may have moved it aside and been interrupted before the index
      // said so (quarantine first, index second).
      for (const auto& candidate : {quarantine_target_of(partial_path), quarantine_target_of(final_path)}) {
        if (fsx::exists(candidate, ec)) {
          auto sha = segment::sha256_file(candidate);
          // It may have been set aside as not recorded: the same checks tell, and say so again.
          auto refusal = not_recorded(row, candidate);
          if (!refusal) return tl::unexpected(std::move(refusal.error()));
          if (*refusal) {
            return close_refused(row, **refusal, candidate, " by an earlier recovery that was interrupted");
          }
          return close_damaged(row,
                               "no usable data; moved to " + relative(candidate) +
                                   " by an earlier recovery that was interrupted",
                               sha ? *sha : Sha256{}, size_or_zero(candidate));
        }
      }
      return close_damaged(row, "file missing: neither the file nor its .partial exists", Sha256{}, 0);
    }

    // A final file means the writer finished and renamed it, and the crash came before the
    // index commit; prefer it. A .partial beside it is left for the orphan pass.
    const fsx::path& file = has_final ? final_path : partial_path;
    // Before anything is cut: the checkpoint vouches for the file as it was found.
    auto refusal = not_recorded(row, file);
    if (!refusal) return tl::unexpected(std::move(refusal.error()));
    if (*refusal) {
      auto target = free_quarantine_target(file);
      // The event first, as for an orphan: an interrupted move is finished and told again.
      auto event = index_.insert_camera_event({0, row.camera_id, now_, index::CameraEventKind::Warning,
                                               "footage_not_recorded",
                                               "segment " + std::to_string(row.id) + " " + row.path + ": " +
                                                   **refusal + "; moved to " + relative(target)});
      if (!event) return tl::unexpected(std::move(event.error()));
      if (auto st = move_aside(file, target); !st) return st;
      return close_refused(row, **refusal, target, "");
    }
    auto inspection = inspect(file, true);
    if (!inspection) return tl::unexpected(std::move(inspection.error()));
    if (inspection->unusable) {
      auto target = free_quarantine_target(file);
      if (auto st = move_aside(file, target); !st) return st;
      auto sha = segment::sha256_file(target);
      return close_damaged(row, *inspection->unusable + "; moved to " + relative(target), sha ? *sha : Sha256{},
                           size_or_zero(target));
    }
    if (!has_final) {
      if (int err = rename_no_replace(partial_path, final_path); err != 0) {
        return tl::unexpected(errno_error(err, "renaming " + partial_path.string()));
      }
      if (auto st = fs::fsync_parent(final_path); !st) return st;
    }

    std::string detail;
    if (has_final) {
      detail = "closed before the crash; index completed at startup";
      if (inspection->cut() > 0) {
        detail += "; " + std::to_string(inspection->cut()) + " bytes after the last complete fragment removed";
      }
    } else if (inspection->cut() > 0) {
      detail = "left open by a crash; cut to the last complete fragment: " + std::to_string(inspection->cut()) +
               " of " + std::to_string(inspection->found_size) + " bytes removed";
    } else {
      detail = "left open by a crash; the file ended at a complete fragment, nothing cut";
    }
    auto closed = recovered_row(row.camera_id, row.start, *inspection, detail);
    if (!closed) return tl::unexpected(std::move(closed.error()));
    if (auto st = index_.close_segment(row.id, *closed); !st) return st;

    ++report_.repaired;
    finding("camera " + row.camera_id + ": segment " + std::to_string(row.id) + " " + row.path + " recovered (" +
            detail + "; " + seconds_text(inspection->media.duration) + " kept)");
    log::info("segment_recovered", {{"camera", row.camera_id},
                                    {"segment", std::to_string(row.id)},
                                    {"path", row.path},
                                    {"bytes_cut", std::to_string(inspection->cut())},
                                    {"kept", seconds_text(inspection->media.duration)},
                                    {"detail", detail}});
    return ok();
  }

  // Why the file found for open `row` is not evidence, or nullopt when recovery may adopt it
  // (issue 15, review G and G2; docs/recording.md, Crash recovery):
  //  - the open row must be in the evidence chain: the index writes its 'opened' entry in the
  //    transaction that inserts it, so a row inserted by hand has none (G);
  //  - the file must begin with the row's newest checkpoint: bytes the writer had synced, so a
  //    genuine file, even cut by a power cut or an interrupted recovery (both stop at a
  //    fragment boundary at or after it), always does; another recording never does (G2).
  // A row without a checkpoint (a crash within about its first two seconds) is adopted as before.
  // Errors only when the index cannot be read; a file that cannot be read is left to inspect().
  Result<std::optional<std::string>> not_recorded(const SegmentRow& row, const fsx::path& file) {
    auto opening = index_.segment_opening(row.camera_id, row.id);
    if (!opening) return tl::unexpected(std::move(opening.error()));
    if (!*opening) {
      return std::optional<std::string>(
          "its open row is not in the evidence chain (carekeepd chains every open row it writes; this one was "
          "inserted outside carekeep, or its entry removed)");
    }
    if (index::chain_entry_hash(**opening) != (*opening)->hash ||
        (*opening)->record != index::segment_opening_record(row)) {
      return std::optional<std::string>("its open row differs from its 'opened' entry " +
                                        std::to_string((*opening)->seq) +
                                        " in the evidence chain (the row or the entry was edited)");
    }
    auto checkpoint = index_.segment_checkpoint(row.id);
    if (!checkpoint) return tl::unexpected(std::move(checkpoint.error()));
    if (!*checkpoint) return std::optional<std::string>();
    const auto& cp = **checkpoint;
    std::string when = format_local_iso(cp.time, zone_);
    auto bytes = static_cast<std::uint64_t>(cp.bytes);
    // Not a regular file, or unreadable: inspect() says which, as before checkpoints.
    auto fd = fs::open_regular_file(file);
    if (!fd) return std::optional<std::string>();
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return std::optional<std::string>();
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < bytes) {
      return std::optional<std::string>("the file is not the one recorded: it is " + std::to_string(size) +
                                        " bytes, shorter than the " + std::to_string(bytes) +
                                        " bytes the checkpoint written at " + when + " had on disk");
    }
    auto prefix = segment::sha256_fd(fd->get(), file.string(), bytes);
    if (!prefix) return std::optional<std::string>();
    if (*prefix != cp.sha256) {
      return std::optional<std::string>("the file is not the one recorded: its first " + std::to_string(bytes) +
                                        " bytes do not match the checkpoint written at " + when);
    }
    return std::optional<std::string>();
  }

  // Closes open `row` damaged for a file refused by not_recorded(), now at `target` in
  // quarantine: never chained as footage, exported or counted as coverage.
  Status close_refused(const SegmentRow& row, const std::string& reason, const fsx::path& target,
                       const std::string& how) {
    auto sha = segment::sha256_file(target);
    std::string detail = std::string(index::kNotRecordedDetail) + reason + "; moved to " + relative(target) + how;
    if (auto st = close_damaged(row, detail, sha ? *sha : Sha256{}, size_or_zero(target)); !st) return st;
    report_.refused.push_back({row, reason});
    log::error("footage_not_recorded",
               {{"camera", row.camera_id}, {"segment", std::to_string(row.id)}, {"path", row.path}, {"reason", reason}});
    return ok();
  }

  Result<index::ClosedSegment> recovered_row(const std::string& camera, UtcTime start, const Inspection& inspection,
                                             std::string detail) {
    const MediaSummary& media = inspection.media;
    index::ClosedSegment closed;
    closed.duration = media.duration;
    closed.size_bytes = static_cast<std::int64_t>(inspection.kept_size);
    closed.frames = media.frames;
    closed.keyframes = media.keyframes;
    closed.video_codec = media.video_codec;
    closed.width = media.width;
    closed.height = media.height;
    closed.audio_codec = media.audio_codec;
    closed.sha256 = inspection.sha256;
    closed.state = SegmentState::Recovered;
    closed.state_detail = std::move(detail);
    if (protection_) closed.protect_until = protection_(camera, start, start + media.duration);
    closed.closed = now_;
    return closed;
  }

  // Damaged rows still take their place in the chain (the index links them at close): sha256
  // is the hash of the bytes kept (in quarantine), or 32 zero bytes when there are none, so
  // the chain keeps one link per row and a verifier can recompute every link from the rows.
  Status close_damaged(const SegmentRow& row, const std::string& detail, const Sha256& sha, std::uint64_t size) {
    index::ClosedSegment closed;
    closed.size_bytes = static_cast<std::int64_t>(size);
    closed.sha256 = sha;
    closed.state = SegmentState::Damaged;
    closed.state_detail = detail;
    closed.closed = now_;
    if (auto st = index_.close_segment(row.id, closed); !st) return st;
    ++report_.damaged;
    finding("camera " + row.camera_id + ": segment " + std::to_string(row.id) + " " + row.path +
            " damaged: " + detail);
    log::warn("segment_damaged",
              {{"camera", row.camera_id}, {"segment", std::to_string(row.id)}, {"path", row.path}, {"detail", detail}});
    return ok();
  }

  // ---- quarantine ------------------------------------------------------------------------

  // <storage>/quarantine/<path relative to storage>, as found (".partial" kept).
  fsx::path quarantine_target_of(const fsx::path& file) const {
    return storage_ / kQuarantineDir / file.lexically_relative(storage_);
  }

  // A free name under quarantine for `file`: the plain target, else target.1, target.2, ...
  fsx::path free_quarantine_target(const fsx::path& file) const {
    fsx::path target = quarantine_target_of(file);
    std::error_code ec;
    for (int k = 1; fsx::exists(target, ec); ++k) {
      target = quarantine_target_of(file);
      target += "." + std::to_string(k);
    }
    return target;
  }

  Status move_aside(const fsx::path& file, const fsx::path& target) {
    if (auto st = ensure_directory(target.parent_path()); !st) return st;
    if (int err = rename_no_replace(file, target); err != 0) {
      return tl::unexpected(errno_error(err, "moving " + file.string() + " to " + target.string()));
    }
    if (auto st = fs::fsync_parent(target); !st) return st;
    return fs::fsync_parent(file);
  }

  Status quarantine_orphan(const std::string& camera, const fsx::path& file, const std::string& why) {
    fsx::path target = free_quarantine_target(file);
    std::string rel = relative(file);
    std::string detail = rel + ": " + why + "; moved to " + relative(target);
    // The event first: if the move is then interrupted, the next start moves the file and
    // reports it again, which is better than a move nobody was told about.
    if (known_.contains(camera)) {
      auto event = index_.insert_camera_event(
          {0, camera, now_, index::CameraEventKind::Warning, "file_quarantined", "file without index row " + detail});
      if (!event) return tl::unexpected(std::move(event.error()));
    }
    if (auto st = move_aside(file, target); !st) return st;
    ++report_.quarantined;
    finding("camera " + camera + ": file without index row quarantined: " + detail);
    log::warn("orphan_quarantined", {{"camera", camera}, {"path", rel}, {"to", relative(target)}, {"reason", why}});
    return ok();
  }

  // ---- 2. files without rows, 3. rows without files --------------------------------------

  Status recover_camera(const std::string& camera) {
    fsx::path camera_dir = storage_ / camera;
    std::vector<std::string> finals;
    std::vector<std::string> partials;
    std::error_code ec;
    if (fsx::is_directory(camera_dir, ec)) {
      auto days = list_directory(camera_dir);
      if (!days) return tl::unexpected(std::move(days.error()));
      for (const auto& day : days->directories) {
        if (!is_date_directory(day)) continue;  // not ours: left alone
        auto files = list_directory(camera_dir / day);
        if (!files) return tl::unexpected(std::move(files.error()));
        for (const auto& name : files->files) {
          if (!is_segment_file_name(name)) continue;
          std::string rel = camera + "/" + day + "/" + name;
          (name.ends_with(kPartialSuffix) ? partials : finals).push_back(std::move(rel));
        }
      }
    }

    const bool known = known_.contains(camera);
    std::vector<SegmentRow> rows;
    if (known) {
      auto listed = index_.segments(camera, kAllTime);
      if (!listed) return tl::unexpected(std::move(listed.error()));
      rows = std::move(*listed);
    }
    std::unordered_set<std::string> indexed;
    for (const auto& row : rows) indexed.insert(row.path);
    std::unordered_set<std::string> on_disk(finals.begin(), finals.end());

    for (const auto& rel : finals) {
      if (indexed.contains(rel)) continue;
      if (auto st = orphan_final(camera, rel); !st) return st;
    }
    for (const auto& rel : partials) {
      if (auto st = orphan_partial(camera, rel, indexed, on_disk); !st) return st;
    }
    for (const auto& row : rows) {
      if (row.state != SegmentState::Closed && row.state != SegmentState::Recovered) continue;
      if (on_disk.contains(row.path) || fsx::exists(storage_ / row.path, ec)) continue;
      if (auto st = report_missing(row); !st) return st;
    }
    return ok();
  }

  // Issue 15: a file is evidence only if this daemon recorded it, and the daemon commits a
  // segment's open row before its file holds a complete fragment (daemon.cpp, LoopSink). A
  // file without a row — planted, copied in, or left by a lost index — is never adopted, so it
  // is never chained, anchored, counted as coverage or exported. It is set aside as found.
  static constexpr std::string_view kNotRecorded =
      "no index row: carekeepd did not record it (only files with the open row written before them are evidence)";

  std::string not_recorded(const std::string& camera) const {
    if (!known_.contains(camera)) return "camera " + camera + " is not in the index; " + std::string(kNotRecorded);
    return std::string(kNotRecorded);
  }

  Status orphan_final(const std::string& camera, const std::string& rel) {
    return quarantine_orphan(camera, storage_ / rel, not_recorded(camera));
  }

  Status orphan_partial(const std::string& camera, const std::string& rel,
                        const std::unordered_set<std::string>& indexed, std::unordered_set<std::string>& on_disk) {
    fsx::path file = storage_ / rel;
    std::string final_rel = without_partial(rel);
    if (indexed.contains(final_rel)) {
      return quarantine_orphan(camera, file, "a leftover .partial of indexed segment " + final_rel);
    }
    if (on_disk.contains(final_rel)) {
      return quarantine_orphan(camera, file, "a .partial beside a complete file of the same name");
    }
    return quarantine_orphan(camera, file, not_recorded(camera));
  }

  // A closed or recovered row whose file is gone: one warning event and the row marked
  // damaged, in one transaction, so the next start does not report it again.
  Status report_missing(const SegmentRow& row) {
    std::string was = std::string(index::to_string(row.state));
    std::string event_detail = "segment " + std::to_string(row.id) + " " + row.path + " (" + was + ", recorded " +
                               format_utc_iso(row.start) + ") has no file at startup";
    std::string state_detail = "file missing at startup " + format_utc_iso(now_) + " (was " + was +
                               (row.state_detail.empty() ? "" : ": " + row.state_detail) + ")";
    auto tx = index_.transaction();
    if (!tx) return tl::unexpected(std::move(tx.error()));
    auto event = index_.insert_camera_event(
        {0, row.camera_id, now_, index::CameraEventKind::Warning, "file_missing", event_detail});
    if (!event) return tl::unexpected(std::move(event.error()));
    if (auto st = index_.mark_segment_damaged(row.id, state_detail); !st) return st;
    if (auto st = tx->commit(); !st) return st;
    ++report_.missing;
    if (row.protect_until && *row.protect_until > now_) report_.protected_missing.push_back(row);
    finding("camera " + row.camera_id + ": " + event_detail);
    log::error("segment_file_missing", {{"camera", row.camera_id},
                                        {"segment", std::to_string(row.id)},
                                        {"path", row.path},
                                        {"start", format_utc_iso(row.start)}});
    return ok();
  }

  index::Index& index_;
  fsx::path storage_;
  UtcTime now_;
  const ProtectionPolicy& protection_;
  const TimeZone& zone_;
  std::set<std::string> known_;
  RecoveryReport report_;
};

}  // namespace

Result<RecoveryReport> recover(index::Index& index, const std::filesystem::path& storage, UtcTime now,
                               const ProtectionPolicy& protection, const TimeZone& zone) {
  return Recovery(index, storage.lexically_normal(), now, protection, zone).run();
}

}  // namespace carekeep::integrity
