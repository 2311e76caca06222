#include "export/verify.hpp"

#include <sys/stat.h>

#include <map>
#include <set>

#include "export/anchor.hpp"
#include "integrity/layout.hpp"
#include "segment/hash.hpp"

namespace carekeep::exports {
namespace {

using index::SegmentState;

bool has_file(SegmentState s) { return s == SegmentState::Closed || s == SegmentState::Recovered; }

bool in_range(const index::SegmentRow& row, const std::optional<index::TimeRange>& range) {
  if (!range) return true;
  return row.start < range->to && (row.end > range->from || row.state == SegmentState::Open);
}

// Files below <storage>/<camera>/ that look like segments (finished ones: a .partial is a
// file being written or left for recovery, which reports it itself).
std::vector<std::string> segment_files(const std::filesystem::path& storage, const std::string& camera) {
  std::vector<std::string> out;
  std::error_code ec;
  auto root = storage / camera;
  if (!std::filesystem::is_directory(root, ec)) return out;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto name = it->path().filename().string();
    if (!integrity::is_segment_file_name(name) || name.ends_with(integrity::kPartialSuffix)) continue;
    out.push_back(std::filesystem::relative(it->path(), storage, ec).string());
  }
  return out;
}

}  // namespace

Result<VerifyReport> verify_footage(index::Index& index, const std::filesystem::path& storage,
                                    const VerifyOptions& options,
                                    const std::function<void(const VerifyProgress&)>& progress) {
  VerifyReport report;
  struct Plan {
    std::string camera;
    std::vector<index::SegmentRow> rows;  // chain order
  };
  std::vector<Plan> plans;
  std::uint64_t total = 0;
  for (const auto& camera : options.cameras) {
    auto rows = index.chain_segments(camera);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      if (has_file(row.state) && in_range(row, options.range) && !options.quick)
        total += static_cast<std::uint64_t>(row.size_bytes);
    }
    plans.push_back({camera, std::move(*rows)});
  }

  std::uint64_t done = 0;
  for (const auto& plan : plans) {
    // 1. The chain, link by link, over every row (no file I/O). Each link is checked from
    // the stored previous value, so one edited row is named alone instead of every later one.
    index::Sha256 previous{};
    std::map<index::SegmentId, const index::SegmentRow*> by_id;
    for (const auto& row : plan.rows) {
      by_id[row.id] = &row;
      if (!row.chain_sha256) continue;  // open: not linked yet
      ++report.links_checked;
      auto expected = index::file_chain_link(previous, row.sha256.value_or(index::Sha256{}));
      if (expected != *row.chain_sha256) {
        report.findings.push_back({"out_of_chain", plan.camera, row.id, row.path,
                                   "chain link does not follow from the previous segment's chain and this row's "
                                   "sha256: the row (or one before it) was edited, removed or reordered"});
      }
      previous = *row.chain_sha256;
    }

    // 2. The files of the rows in range.
    std::set<std::string> known;
    for (const auto& row : plan.rows) known.insert(row.path);
    for (const auto& row : plan.rows) {
      if (!has_file(row.state) || !in_range(row, options.range)) continue;
      ++report.segments_checked;
      auto path = storage / row.path;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        report.findings.push_back({"missing", plan.camera, row.id, row.path, "file is gone; the index says it is " +
                                                                                  std::string(index::to_string(row.state))});
        continue;
      }
      if (st.st_size != row.size_bytes) {
        report.findings.push_back({"altered", plan.camera, row.id, row.path,
                                   "size is " + std::to_string(st.st_size) + " bytes, the index says " +
                                       std::to_string(row.size_bytes)});
        if (!options.quick) done += static_cast<std::uint64_t>(row.size_bytes);
        continue;
      }
      if (options.quick) continue;
      auto digest = segment::sha256_file(path);
      done += static_cast<std::uint64_t>(row.size_bytes);
      report.bytes_hashed += static_cast<std::uint64_t>(row.size_bytes);
      if (progress) progress({done, total});
      if (!digest) {
        report.findings.push_back({"altered", plan.camera, row.id, row.path, "unreadable: " + digest.error().message});
      } else if (!row.sha256 || *digest != *row.sha256) {
        report.findings.push_back({"altered", plan.camera, row.id, row.path, "SHA-256 differs from the index"});
      }
    }

    // 3. Files without rows (in range, judged by the local start time in their names).
    for (const auto& rel : segment_files(storage, plan.camera)) {
      if (known.count(rel)) continue;
      if (options.range && options.zone != nullptr) {
        if (auto name = integrity::parse_segment_path(rel)) {
          auto start = options.zone->to_utc(name->local_start());
          // A segment lasts about a minute; a margin keeps one that began just before `from`.
          if (start >= options.range->to || start + std::chrono::hours(1) <= options.range->from) continue;
        }
      }
      report.findings.push_back({"extra", plan.camera, 0, rel, "file on disk has no index row"});
    }

    // 4. Anchors: signed by our key, and still matching the chain the index holds now.
    auto anchors = index.anchors(plan.camera);
    if (!anchors) return tl::unexpected(anchors.error());
    for (const auto& row : *anchors) {
      const auto& a = row.anchor;
      ++report.anchors_checked;
      std::string label = "anchor " + std::to_string(row.id) + " of " + format_utc_iso(a.time);
      if (!options.key) {
        // Without the key the signature cannot be checked; the chain comparison still is.
      } else if (a.key_fingerprint != options.key->fingerprint()) {
        report.findings.push_back({"anchor", plan.camera, 0, "", label + " is signed by an unknown key " + a.key_fingerprint});
      } else if (!options.key->verify(signing::as_bytes(anchor_message(a)), a.signature)) {
        report.findings.push_back({"anchor", plan.camera, 0, "", label + ": signature does not match (anchor row edited)"});
      }
      if (a.tip_segment_id) {
        auto it = by_id.find(*a.tip_segment_id);
        if (it == by_id.end()) {
          report.findings.push_back({"anchor", plan.camera, *a.tip_segment_id, "",
                                     label + ": its tip segment row is gone from the index"});
        } else if (!it->second->chain_sha256 || !a.chain_sha256 || *it->second->chain_sha256 != *a.chain_sha256) {
          report.findings.push_back({"anchor", plan.camera, *a.tip_segment_id, it->second->path,
                                     label + ": the chain value of its tip differs from the signed one (index rows "
                                             "up to this segment were rewritten)"});
        }
      }
      if (a.access_log_id) {
        auto entry = index.access_log_row(*a.access_log_id);
        if (!entry) return tl::unexpected(entry.error());
        if (!*entry || !a.access_log_hash || (*entry)->hash != *a.access_log_hash) {
          report.findings.push_back({"access_log", "", 0, "",
                                     label + ": access log row " + std::to_string(*a.access_log_id) +
                                         " is gone or differs from the signed one"});
        }
      }
    }
  }

  // 5. The access log's own chain.
  auto log_findings = index.verify_access_log();
  if (!log_findings) return tl::unexpected(log_findings.error());
  for (const auto& f : *log_findings) {
    report.findings.push_back({"access_log", "", 0, "", "access log row " + std::to_string(f.id) + ": " + f.problem});
  }
  auto tip = index.last_access_log();
  if (tip && *tip) report.access_log_rows = (*tip)->id;
  if (progress) progress({total, total});
  return report;
}

}  // namespace carekeep::exports
