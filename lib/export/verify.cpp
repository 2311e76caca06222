#include "export/verify.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "export/anchor.hpp"
#include "export/legal.hpp"
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

Finding chain_finding(const index::ChainFinding& f) {
  std::string where = f.chain.empty() ? "box chain" : "chain";
  if (f.seq != 0) where += " entry " + std::to_string(f.seq);
  return {"chain", f.chain, f.segment_id.value_or(0), "", where + ": " + f.problem};
}

std::string protection_words(const index::SegmentRow& row, UtcTime now) {
  if (!row.protect_until) return "it was not protected (recorded outside care hours)";
  if (*row.protect_until > now) {
    return "PROTECTED care footage: it had to be kept until " + format_utc_iso(*row.protect_until);
  }
  return "its protection had ended at " + format_utc_iso(*row.protect_until);
}

Result<std::vector<Finding>> lost_footage(index::Index& index, const std::string& camera,
                                          const std::vector<index::SegmentRow>& rows,
                                          const std::filesystem::path& storage, UtcTime now) {
  std::vector<Finding> out;
  if (std::none_of(rows.begin(), rows.end(), [](const auto& r) { return r.state == SegmentState::Damaged; })) {
    return out;
  }
  auto entries = index.chain_entries(camera);
  if (!entries) return tl::unexpected(entries.error());
  std::set<index::SegmentId> was_whole;
  for (const auto& e : *entries) {
    if (!e.segment_id) continue;
    bool whole = e.kind == "closed" || e.kind == "recovered";
    if (e.kind == "adopted") {
      for (const auto& [key, value] : index::parse_record(e.record)) {
        if (key == "state") whole = value == "closed" || value == "recovered";
      }
    }
    if (whole) was_whole.insert(*e.segment_id);
  }
  for (const auto& row : rows) {
    if (row.state != SegmentState::Damaged || !was_whole.count(row.id)) continue;
    struct stat st {};
    if (::lstat((storage / row.path).c_str(), &st) == 0) continue;  // still there: not lost
    out.push_back({"lost", camera, row.id, row.path,
                   "footage recorded whole is gone (row now damaged: " + row.state_detail + "); " +
                       protection_words(row, now)});
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
  std::vector<std::string> cameras = options.cameras;
  if (cameras.empty()) {
    auto named = index.evidence_cameras();
    if (!named) return tl::unexpected(named.error());
    auto rows = index.cameras();
    if (!rows) return tl::unexpected(rows.error());
    std::set<std::string> with_row;
    for (const auto& c : *rows) with_row.insert(c.id);
    for (const auto& id : *named) {
      if (!with_row.count(id)) {
        report.findings.push_back({"camera", id, 0, "",
                                   "its footage, chain or anchors are in the index but its camera row is gone (deleted "
                                   "outside carekeep: camera rows are never removed)"});
      }
    }
    cameras = std::move(*named);
  }
  for (const auto& camera : cameras) {
    auto rows = index.chain_segments(camera);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      if (has_file(row.state) && in_range(row, options.range) && !options.quick)
        total += static_cast<std::uint64_t>(row.size_bytes);
    }
    plans.push_back({camera, std::move(*rows)});
  }

  std::uint64_t done = 0;
  std::set<std::int64_t> checked_box_entries;  // every camera's anchor signs the same box chain
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
                                                                                  std::string(index::to_string(row.state)) +
                                                                                  "; " + protection_words(row, options.now)});
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

    // 2b. Footage that was recorded whole and is gone: a damaged row whose chain says it was
    // closed or recovered before. Startup recovery marks a vanished file's row damaged ("file
    // missing at startup"), which is a legal step of the chain; without this check removing a
    // protected file and restarting the daemon left verify clean (review scenario R). A row
    // damaged straight from open (a crash without usable data) never had a whole file.
    if (auto lost = lost_footage(index, plan.camera, plan.rows, storage, options.now); !lost) {
      return tl::unexpected(lost.error());
    } else {
      report.findings.insert(report.findings.end(), lost->begin(), lost->end());
    }

    // 2c. Segments whose file startup recovery refused as not recorded by carekeepd (issue 15,
    // G and G2): a file in place of a crashed segment that does not begin with its checkpoint,
    // or an open row outside the chain. The file is in quarantine, never evidence; the row says
    // why, and that is the trace of someone putting footage there.
    for (const auto& row : plan.rows) {
      if (row.state != SegmentState::Damaged || !row.state_detail.starts_with(index::kNotRecordedDetail)) continue;
      if (!in_range(row, options.range)) continue;
      report.findings.push_back({"not_recorded", plan.camera, row.id, row.path,
                                 "recovery found a file carekeepd did not record in place of this segment and "
                                 "quarantined it: " +
                                     row.state_detail.substr(index::kNotRecordedDetail.size())});
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

    // 4. The evidence chain: every entry linked, every change legal, every row equal to
    // its latest entry (index/chain.hpp). Not limited to the range: a range check that
    // skipped the rest of the chain could not tell an edit outside it from none.
    auto chain = index.verify_chain(plan.camera, options.now);
    if (!chain) return tl::unexpected(chain.error());
    for (const auto& f : *chain) (f.note ? report.notes : report.findings).push_back(chain_finding(f));
    auto entries = index.chain_entry_tip(plan.camera);
    if (!entries) return tl::unexpected(entries.error());
    if (*entries) report.chain_entries_checked += (*entries)->seq;

    // 5. Anchors: signed by the chosen key, numbered and linked, and each still matching
    // the chains the index holds now.
    auto anchors = index.anchors(plan.camera);
    if (!anchors) return tl::unexpected(anchors.error());
    if (anchors->empty() && (*entries || !plan.rows.empty())) {
      report.findings.push_back({"anchor", plan.camera, 0, "",
                                 "no signed anchor: nothing outside the index vouches for this camera's chain (the "
                                 "daemon signs one at start and daily; were they removed?)"});
    }
    const index::NewAnchor* previous_anchor = nullptr;
    std::int64_t expected_seq = 1;
    for (const auto& row : *anchors) {
      const auto& a = row.anchor;
      ++report.anchors_checked;
      std::string label = "anchor " + std::to_string(row.id) + (a.seq ? " (no. " + std::to_string(*a.seq) + ")" : "") +
                          " of " + format_utc_iso(a.time);
      auto problem = [&](std::string detail, index::SegmentId segment = 0, std::string path = "") {
        report.findings.push_back({"anchor", plan.camera, segment, std::move(path), label + ": " + std::move(detail)});
      };
      if (!options.key.key) {
        // Without a key the signature cannot be checked; the chain comparison still is.
      } else if (a.key_fingerprint != options.key.key->fingerprint()) {
        problem("signed by another key " + a.key_fingerprint + " (forged, or the key was replaced)");
      } else if (!options.key.key->verify(signing::as_bytes(anchor_message(a)), a.signature)) {
        problem("signature does not match (anchor row edited or forged)");
      }
      if (a.format >= 2) {
        if (!a.seq) {
          problem("has no number");
        } else if (*a.seq < expected_seq) {
          problem("numbered " + std::to_string(*a.seq) + " after " + std::to_string(expected_seq - 1) +
                  ": anchors were reordered or one was copied");
        } else if (*a.seq > expected_seq) {
          problem(*a.seq == expected_seq + 1 ? "anchor no. " + std::to_string(expected_seq) + " before it is missing"
                                             : "anchors no. " + std::to_string(expected_seq) + ".." +
                                                   std::to_string(*a.seq - 1) + " before it are missing");
        }
        auto expected_prev = previous_anchor != nullptr ? anchor_sha256(*previous_anchor) : index::Sha256{};
        if (!a.prev_anchor_sha256 || *a.prev_anchor_sha256 != expected_prev) {
          problem("does not link to the anchor before it (an anchor was removed, reordered or forged)");
        }
        if (a.seq) expected_seq = std::max(expected_seq, *a.seq + 1);
        if (a.entry_seq) {
          auto entry = index.chain_entry(plan.camera, *a.entry_seq);
          if (!entry) return tl::unexpected(entry.error());
          if (!*entry) {
            problem("signs chain entry " + std::to_string(*a.entry_seq) +
                    ", which is gone: the chain no longer extends this anchor (entries removed)");
          } else if (!a.entry_sha256 || (*entry)->hash != *a.entry_sha256) {
            problem("chain entry " + std::to_string(*a.entry_seq) +
                    " differs from the signed one: the chain was rewritten and no longer extends this anchor");
          }
        }
        if (a.box_entry_seq && checked_box_entries.insert(*a.box_entry_seq).second) {
          auto entry = index.chain_entry(index::kBoxChain, *a.box_entry_seq);
          if (!entry) return tl::unexpected(entry.error());
          if (!*entry || !a.box_entry_sha256 || (*entry)->hash != *a.box_entry_sha256) {
            report.findings.push_back({"anchor", "", 0, "",
                                       label + ": box chain (holds) entry " + std::to_string(*a.box_entry_seq) +
                                           " is gone or differs from the signed one"});
          }
        }
      }
      if (a.tip_segment_id) {
        auto it = by_id.find(*a.tip_segment_id);
        if (it == by_id.end()) {
          problem("its tip segment row is gone from the index", *a.tip_segment_id);
        } else if (!it->second->chain_sha256 || !a.chain_sha256 || *it->second->chain_sha256 != *a.chain_sha256) {
          problem("the chain value of its tip differs from the signed one (index rows up to this segment were "
                  "rewritten)",
                  *a.tip_segment_id, it->second->path);
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
      previous_anchor = &a;
    }
    // The newest anchor must not be much older than the chain's newest entry: the daemon
    // that appended those entries signs at start, every 24 h and at shutdown, so a gap of more
    // than a day means anchors after it were removed (or the daemon was made to stop signing).
    if (!anchors->empty() && *entries) {
      const auto& newest = anchors->back().anchor;
      if ((*entries)->time > newest.time + kStaleAnchorAfter) {
        auto hours = std::chrono::duration_cast<std::chrono::hours>((*entries)->time - newest.time).count();
        report.findings.push_back(
            {"anchor", plan.camera, 0, "",
             "the newest anchor" + (newest.seq ? " (no. " + std::to_string(*newest.seq) + ")" : std::string()) +
                 " of " + format_utc_iso(newest.time) + " is older than a day: chain entry " +
                 std::to_string((*entries)->seq) + " was written " + std::to_string(hours) +
                 " h after it, while the daemon should have anchored daily (newer anchors removed?)"});
      }
    }
  }

  // 5b. Digests kept outside the box: today's chains must extend each of them.
  for (const auto& digest : options.digests) {
    auto found = check_digest(index, digest, options.key.key);
    if (!found) return tl::unexpected(found.error());
    ++report.digests_checked;
    for (const auto& f : *found) report.findings.push_back({"digest", f.chain, 0, "", f.detail});
  }

  // 6. The box chain: holds placed and released, configuration versions stored.
  auto box = index.verify_chain(index::kBoxChain, options.now);
  if (!box) return tl::unexpected(box.error());
  for (const auto& f : *box) (f.note ? report.notes : report.findings).push_back(chain_finding(f));
  auto box_tip = index.chain_entry_tip(index::kBoxChain);
  if (!box_tip) return tl::unexpected(box_tip.error());
  if (*box_tip) report.chain_entries_checked += (*box_tip)->seq;

  // 6b. Legal steps cross-checked (export/legal.hpp): deletions against the holds in force
  // and the retention passes' rows, holds and releases against the access log.
  auto legal = check_legal_steps(index, cameras, {options.now, options.zone_cameras, options.is_inspector});
  if (!legal) return tl::unexpected(legal.error());
  for (auto& f : legal->findings) report.findings.push_back(std::move(f));
  for (auto& f : legal->notes) report.notes.push_back(std::move(f));

  // 7. The key itself.
  report.signatures_trusted = options.key.trusted();
  if (options.key.trust == signing::KeyTrust::Mismatch) {
    report.findings.push_back({"key", "", 0, "", options.key.detail});
  }

  // 8. The access log's own chain.
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
