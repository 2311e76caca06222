#include "retention/deleter.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>

#include "base/fs.hpp"

namespace carekeep::retention {
namespace {

// A row whose file is being removed: what the unlink and the second commit need.
struct Doomed {
  index::SegmentId id = 0;
  std::string path;
  std::int64_t size_bytes = 0;
};

std::string describe(index::SegmentId id, std::string_view camera, std::string_view path) {
  return "segment " + std::to_string(id) + " (" + std::string(camera) + ", " + std::string(path) + ")";
}

// Paths in the index are relative and made by the recorder; one that could leave the storage
// directory was not, and no file outside it is ever unlinked.
bool safe_relative(const std::filesystem::path& path) {
  if (path.empty() || path.is_absolute()) return false;
  return std::none_of(path.begin(), path.end(), [](const std::filesystem::path& part) { return part == ".."; });
}

std::string detail_for(const Deletion& d) {
  switch (d.reason) {
    case DeletionReason::Expired:
      return "deleted by retention (expired): outside care hours, older than other_days";
    case DeletionReason::ExpiredProtected:
      return "deleted by retention (expired_protected): care-hours protection ended " +
             (d.protect_until ? format_utc_iso(*d.protect_until) : std::string("earlier"));
    case DeletionReason::DiskPressure:
      return "deleted by retention (disk_pressure): outside care hours, removed early for disk space";
  }
  return "deleted by retention";
}

Error errno_error(int err, std::string what) {
  ErrorKind kind = ErrorKind::Internal;
  if (err == EROFS || err == EACCES || err == EPERM) kind = ErrorKind::FailedPrecondition;
  else if (err == EIO) kind = ErrorKind::DataLoss;
  else if (err == EBUSY) kind = ErrorKind::Unavailable;
  return Error{kind, std::move(what) + ": " + std::strerror(err)};
}

// Steps 2-4 for rows already committed as `deleting`: unlink, fsync each directory once,
// commit them `deleted`. A file that cannot be unlinked keeps its row `deleting` (a finding).
Status finish(index::Index& index, const std::filesystem::path& storage, std::vector<Doomed>& rows, UtcTime now,
              DeleteReport& report) {
  std::set<std::filesystem::path> directories;
  std::vector<const Doomed*> gone;
  gone.reserve(rows.size());
  for (const auto& row : rows) {
    auto file = storage / row.path;
    if (::unlink(file.c_str()) == 0) {
      ++report.files_removed;
    } else if (errno != ENOENT) {
      report.findings.push_back(
          errno_error(errno, "segment " + std::to_string(row.id) + ": removing " + file.string()));
      continue;
    }
    // Also after ENOENT: an earlier attempt may have unlinked it without reaching the fsync.
    directories.insert(file.parent_path());
    gone.push_back(&row);
  }
  for (const auto& dir : directories) {
    auto st = fs::fsync_path(dir);
    // A directory that no longer exists holds no file that could come back.
    if (!st && st.error().kind != ErrorKind::NotFound) return st;
  }
  if (gone.empty()) return ok();
  auto tx = index.transaction();
  if (!tx) return tl::unexpected(std::move(tx.error()).with_context("recording deletions"));
  for (const Doomed* row : gone) {
    if (auto st = index.mark_segment_deleted(row->id, now); !st) return st;
  }
  if (auto st = tx->commit(); !st) return st;
  for (const Doomed* row : gone) {
    ++report.deleted;
    report.bytes += row->size_bytes > 0 ? static_cast<std::uint64_t>(row->size_bytes) : 0;
  }
  return ok();
}

}  // namespace

Execution::Execution(Plan plan, UtcTime now, DeleteOptions options)
    : plan_(std::move(plan)), now_(now), options_(std::move(options)) {
  if (plan_.paused) next_ = plan_.deletions.size();
}

Result<bool> Execution::step(index::Index& index, const std::filesystem::path& storage) {
  if (done()) return true;
  const std::size_t first = next_;
  const std::size_t last = std::min(plan_.deletions.size(), first + std::max<std::size_t>(options_.batch_size, 1));
  // Whatever happens below, these rows are handled: a failed batch ends the execution (its
  // rows are live or `deleting`, for the next pass or complete_interrupted()).
  next_ = last;
  auto fail_all = [&](Error error) -> Result<bool> {
    next_ = plan_.deletions.size();
    return tl::unexpected(std::move(error));
  };
  DeleteReport& report = report_;
  const UtcTime now = now_;
  std::vector<Doomed> doomed;
  {
    // Step 1, with everything re-checked inside the transaction that marks the rows: the
    // plan may be stale (a hold placed since, a row finished by someone else), and a row
    // protected now must never go whatever the plan says.
    auto tx = index.transaction();
    if (!tx) return fail_all(std::move(tx.error()).with_context("marking segments for deletion"));
    auto hold_rows = index.active_holds();
    if (!hold_rows) return fail_all(std::move(hold_rows.error()));
    auto holds = resolve_holds(*hold_rows, options_.zone_cameras);
    for (std::size_t i = first; i < last; ++i) {
      const Deletion& d = plan_.deletions[i];
      auto row = index.segment(d.id);
      if (!row) return fail_all(std::move(row.error()));
      if (!*row) {
        ++report.skipped;
        continue;
      }
      const index::SegmentRow& s = **row;
      const std::string who = describe(s.id, s.camera_id, s.path);
      if (s.state != index::SegmentState::Closed && s.state != index::SegmentState::Recovered &&
          s.state != index::SegmentState::Damaged) {
        ++report.skipped;
        continue;
      }
      std::optional<UtcTime> protect_until = s.protect_until;
      if (!protect_until && options_.protection) protect_until = options_.protection(s.camera_id, s.start, s.end);
      if (protect_until && *protect_until > now) {
        report.findings.push_back(
            {ErrorKind::Internal, who + ": planned for deletion (" + std::string(to_string(d.reason)) +
                                      ") but protected until " + format_utc_iso(*protect_until) + "; refused"});
        continue;
      }
      auto hold = std::find_if(holds.begin(), holds.end(),
                               [&](const HeldRange& h) { return holds_segment(h, s.camera_id, s.start, s.end); });
      if (hold != holds.end()) {
        report.findings.push_back({ErrorKind::Internal, who + ": planned for deletion (" +
                                                            std::string(to_string(d.reason)) + ") but held by hold " +
                                                            std::to_string(hold->hold_id) + "; refused"});
        continue;
      }
      if (s.camera_id != d.camera_id || s.path != d.path) {
        report.findings.push_back(
            {ErrorKind::Internal, who + ": does not match the plan (" + d.camera_id + ", " + d.path + "); refused"});
        continue;
      }
      if (!safe_relative(s.path)) {
        report.findings.push_back({ErrorKind::Internal, who + ": path leaves the storage directory; refused"});
        continue;
      }
      if (auto st = index.mark_segment_deleting(s.id, now, detail_for(d)); !st) return fail_all(st.error());
      doomed.push_back({s.id, s.path, s.size_bytes});
    }
    if (auto st = tx->commit(); !st) return fail_all(std::move(st.error()));
  }
  if (auto st = finish(index, storage, doomed, now, report); !st) return fail_all(std::move(st.error()));
  return done();
}

Result<DeleteReport> execute(index::Index& index, const std::filesystem::path& storage, const Plan& plan, UtcTime now,
                             const DeleteOptions& options) {
  Execution execution{plan, now, options};
  while (!execution.done()) {
    if (auto st = execution.step(index, storage); !st) return tl::unexpected(std::move(st.error()));
  }
  return execution.take_report();
}

Result<DeleteReport> complete_interrupted(index::Index& index, const std::filesystem::path& storage, UtcTime now,
                                          std::size_t batch_size) {
  DeleteReport report;
  auto rows = index.deleting_segments();
  if (!rows) return tl::unexpected(std::move(rows.error()));
  const std::size_t batch = std::max<std::size_t>(batch_size, 1);
  for (std::size_t first = 0; first < rows->size(); first += batch) {
    std::vector<Doomed> doomed;
    for (std::size_t i = first; i < std::min(rows->size(), first + batch); ++i) {
      const auto& row = (*rows)[i];
      if (!safe_relative(row.path)) {
        report.findings.push_back({ErrorKind::Internal, describe(row.id, row.camera_id, row.path) +
                                                            ": path leaves the storage directory; left deleting"});
        continue;
      }
      doomed.push_back({row.id, row.path, row.size_bytes});
    }
    if (auto st = finish(index, storage, doomed, now, report); !st) return tl::unexpected(std::move(st.error()));
  }
  return report;
}

}  // namespace carekeep::retention
