#include "export/legal.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "export/hold.hpp"
#include "index/chain.hpp"
#include "index/chain_reads.hpp"
#include "index/hold_range.hpp"

namespace carekeep::exports {
namespace {

using Json = nlohmann::json;
using Fields = std::map<std::string, std::string>;

Fields fields_of(std::string_view record) {
  Fields out;
  for (auto& [k, v] : index::parse_record(record)) out[k] = v;
  return out;
}

std::optional<std::string> text_of(const Fields& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> int_of(const Fields& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end()) return std::nullopt;
  return text::parse_int64(it->second);
}

std::optional<UtcTime> time_of(const Fields& f, const std::string& key) {
  auto us = int_of(f, key);
  if (!us) return std::nullopt;
  return from_us(*us);
}

// A hold as the box chain tells it: placed by its first entry, released by its 'release'.
struct Hold {
  std::int64_t id = 0;
  std::int64_t placed_seq = 0;
  bool adopted = false;  // entered the chain at migration 0006: placed before the chain existed
  UtcTime placed;
  std::optional<std::string> camera;
  std::optional<std::string> zone;
  UtcTime from;
  UtcTime to;
  std::string reason;
  std::optional<std::string> case_number;
  bool by_inspector = false;
  std::string created_user;
  std::optional<UtcTime> released;
  std::int64_t release_seq = 0;
  std::optional<std::int64_t> released_uid;
  std::string released_user;

  std::string target() const { return camera ? "camera " + *camera : "zone " + zone.value_or("?"); }
  std::string label() const {
    std::string out = "hold " + std::to_string(id);
    if (case_number) out += " (case " + *case_number + ")";
    return out + " on " + target() + " from " + format_utc_iso(from) + " to " + format_utc_iso(to);
  }
  bool in_force(UtcTime t) const { return placed <= t && (!released || t < *released); }
};

// Every hold of the box chain, by id. Entries the chain rules already refuse (a record that
// does not parse, a release before any placement) are left to Index::verify_chain's findings.
std::map<std::int64_t, Hold> holds_of(const std::vector<index::ChainEntry>& box) {
  std::map<std::int64_t, Hold> out;
  for (const auto& e : box) {
    if (!e.hold_id) continue;
    auto f = fields_of(e.record);
    auto it = out.find(*e.hold_id);
    if (it == out.end()) {
      if (e.kind != "hold" && e.kind != "adopted") continue;
      auto from = time_of(f, "from_us");
      auto to = time_of(f, "to_us");
      if (!from || !to) continue;
      Hold h;
      h.id = *e.hold_id;
      h.placed_seq = e.seq;
      h.adopted = e.kind == "adopted";
      h.placed = time_of(f, "created_us").value_or(e.time);
      h.camera = text_of(f, "camera");
      h.zone = text_of(f, "zone");
      h.from = *from;
      h.to = *to;
      h.reason = text_of(f, "reason").value_or("");
      h.case_number = text_of(f, "case_number");
      h.by_inspector = text_of(f, "placed_as") == "inspector";
      h.created_user = text_of(f, "created_user").value_or("?");
      h.released = time_of(f, "released_us");  // an adopted hold may have been released already
      h.released_uid = int_of(f, "released_uid");
      h.released_user = text_of(f, "released_user").value_or("?");
      out.emplace(h.id, std::move(h));
    } else if (e.kind == "release") {
      auto& h = it->second;
      h.released = time_of(f, "released_us").value_or(e.time);
      h.release_seq = e.seq;
      h.released_uid = int_of(f, "released_uid");
      h.released_user = text_of(f, "released_user").value_or("?");
    }
  }
  return out;
}

struct LogRow {
  const index::AccessLogRow* row = nullptr;
  Json args;
};

std::optional<std::int64_t> json_int(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::optional<std::string> json_text(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool near(UtcTime a, UtcTime b) { return a - b <= kAccessLogWindow && b - a <= kAccessLogWindow; }

std::string minutes(Micros d) { return std::to_string(std::chrono::duration_cast<std::chrono::minutes>(d).count()); }

// The access-log row carekeep wrote with hold `h`'s placement: hold_add, ok, within the window,
// naming the hold (rows written before the id was recorded: the same target and reason).
const LogRow* placement_row(const Hold& h, const std::vector<LogRow>& rows) {
  for (const auto& r : rows) {
    if (r.row->action != "hold_add" || r.row->result != "ok" || !near(r.row->time, h.placed)) continue;
    if (auto id = json_int(r.args, "id")) {
      if (*id == h.id) return &r;
      continue;
    }
    if (json_text(r.args, "reason") == h.reason && json_text(r.args, "camera") == h.camera &&
        json_text(r.args, "zone") == h.zone)
      return &r;
  }
  return nullptr;
}

const LogRow* release_row(const Hold& h, const std::vector<LogRow>& rows) {
  for (const auto& r : rows) {
    if (r.row->action != "hold_release" || r.row->result != "ok" || !near(r.row->time, *h.released)) continue;
    if (json_int(r.args, "id") == h.id) return &r;
  }
  return nullptr;
}

// 2. Holds and releases against the access log.
void check_holds_logged(const std::map<std::int64_t, Hold>& holds, const std::vector<LogRow>& rows,
                        const LegalCheckOptions& options, LegalCheckResult& out) {
  auto finding = [&](const char* kind, const Hold& h, std::int64_t seq, std::string detail) {
    // An export's own hold (its reason names the export's pid; never an inspector's) had no
    // access-log rows before branch legal, nor did carekeepd's release of a dead export's: on an
    // upgraded box those are expected, so a note. Such a hold keeps footage only while one export
    // reads it.
    bool export_hold = !h.by_inspector && export_hold_pid(h.reason).has_value();
    Finding f{kind, h.camera.value_or(""), 0, "", "box chain entry " + std::to_string(seq) + ": " + h.label() + ": " +
                                                      std::move(detail)};
    if (export_hold) {
      f.detail += " (an export's own hold: exports log their holds since this version, so an older one has no row)";
      out.notes.push_back(std::move(f));
    } else {
      out.findings.push_back(std::move(f));
    }
  };
  for (const auto& [id, h] : holds) {
    // A hold adopted at migration 0006 was placed before the chain; its row, if any, is older
    // than anything this check can pair it with.
    if (!h.adopted) {
      const LogRow* placed = placement_row(h, rows);
      if (placed == nullptr) {
        finding("hold_unaccounted", h, h.placed_seq,
                "placed at " + format_utc_iso(h.placed) + " by " + h.created_user +
                    ", but the access log has no 'hold_add' row for it (result ok, within " +
                    minutes(kAccessLogWindow) +
                    " min): it was not placed through carekeep (written into the index by hand?)");
      } else if (auto as = json_text(placed->args, "placed_as");
                 as && (*as == "inspector") != h.by_inspector) {
        finding("hold_unaccounted", h, h.placed_seq,
                "the chain says it was placed as " + std::string(h.by_inspector ? "an inspector's" : "an operator's") +
                    " hold, its 'hold_add' row (access log " + std::to_string(placed->row->id) + ") as " + *as +
                    "'s: one of them was edited");
      }
    }
    if (!h.released || h.release_seq == 0) continue;
    const LogRow* released = release_row(h, rows);
    if (released == nullptr) {
      finding("release_unaccounted", h, h.release_seq,
              "released at " + format_utc_iso(*h.released) + " by " + h.released_user +
                  ", but the access log has no 'hold_release' row for it (result ok, within " +
                  minutes(kAccessLogWindow) +
                  " min): the release was not made through carekeep, and the footage it kept may have been "
                  "deleted since");
      continue;
    }
    const auto& row = *released->row;
    if (h.released_uid && *h.released_uid != row.uid) {
      finding("release_unaccounted", h, h.release_seq,
              "the chain says released by " + h.released_user + " (uid " + std::to_string(*h.released_uid) +
                  "), its 'hold_release' row (access log " + std::to_string(row.id) + ") by " + row.user + " (uid " +
                  std::to_string(row.uid) + "): one of them was edited");
      continue;
    }
    if (!h.by_inspector) continue;
    bool allowed = row.uid == 0 || json_text(released->args, "role") == "inspector" ||
                   (options.is_inspector && options.is_inspector(row.uid));
    if (!allowed) {
      finding("release_unaccounted", h, h.release_seq,
              "an inspector's hold, released by " + row.user + " (uid " + std::to_string(row.uid) +
                  "), who is neither root nor in the inspector group: only an inspector or root may end it, so "
                  "the footage it kept was freed by someone who may not");
    }
  }
}

bool holds_segment(const Hold& h, const std::string& camera, UtcTime start, UtcTime end, UtcTime at,
                   const LegalCheckOptions& options) {
  if (h.camera) {
    if (*h.camera != camera) return false;
  } else if (h.zone && options.zone_cameras) {
    // The zone's cameras by the configuration in force when the deletion was decided (what the
    // deleter resolved it with); a zone it does not name holds every camera, as retention errs.
    if (auto cameras = options.zone_cameras(*h.zone, at);
        cameras && std::find(cameras->begin(), cameras->end(), camera) == cameras->end())
      return false;
  }
  return index::hold_range_keeps(h.from, h.to, start, end);
}

std::string segment_words(const index::ChainEntry& e, const Fields& f) {
  std::string out = "segment " + std::to_string(e.segment_id.value_or(0));
  auto start = time_of(f, "start_us");
  auto end = time_of(f, "end_us");
  if (start && end) out += " (" + format_utc_iso(*start) + " to " + format_utc_iso(*end) + ")";
  return out;
}

// 1. Deletions dated while a hold kept the footage.
void check_held_deletions(const std::string& camera, const std::vector<index::ChainEntry>& deleting,
                          const std::vector<index::ChainEntry>& deleted, const std::map<std::int64_t, Hold>& holds,
                          const LegalCheckOptions& options, LegalCheckResult& out) {
  if (holds.empty()) return;
  std::set<index::SegmentId> decided;
  for (const auto& e : deleting)
    if (e.segment_id) decided.insert(*e.segment_id);
  auto judge = [&](const index::ChainEntry& e) {
    auto f = fields_of(e.record);
    auto start = time_of(f, "start_us");
    auto end = time_of(f, "end_us");
    if (!start || !end) return;  // not a segment record: verify_chain names it
    for (const auto& [id, h] : holds) {
      if (!h.in_force(e.time) || !holds_segment(h, camera, *start, *end, e.time, options)) continue;
      std::string what = "chain entry " + std::to_string(e.seq) + ": " + segment_words(e, f) + " entered '" + e.kind +
                         "' at " + format_utc_iso(e.time) + " while " + h.label() + " was in force (placed " +
                         format_utc_iso(h.placed) + ", " +
                         (h.released ? "released " + format_utc_iso(*h.released) : std::string("still active")) + ")";
      Finding finding{"deleted_while_held", camera, e.segment_id.value_or(0), text_of(f, "path").value_or(""), ""};
      if (e.time - h.placed < kHoldPlacementRace) {
        finding.detail = what + ": within " + minutes(kHoldPlacementRace) +
                         " min of the hold's placement, a retention batch may have been deciding as it was placed";
        out.notes.push_back(std::move(finding));
      } else if (h.released && *h.released - e.time < kPassDuration) {
        finding.detail = what + ": within " + minutes(kPassDuration) +
                         " min before its release, a retention pass begun before the release may have marked it after";
        out.notes.push_back(std::move(finding));
      } else {
        finding.detail = what + ": retention refuses held footage, so this deletion was not carekeep's (or the "
                                "hold's release was hidden); the footage the hold was to keep is gone";
        out.findings.push_back(std::move(finding));
      }
      return;  // one hold is enough to name it
    }
  };
  for (const auto& e : deleting) judge(e);
  // A tombstone without a 'deleting' entry is already an illegal step; judged by its own date.
  for (const auto& e : deleted)
    if (e.segment_id && !decided.count(*e.segment_id)) judge(e);
}

struct Pass {
  const index::AccessLogRow* row = nullptr;
  std::map<std::string, std::int64_t> segments;  // per camera, every reason
  std::optional<UtcTime> decided;                // the time its entries carry (rows since 2026-12-08)
};

// 3. 'deleting' entries against the retention passes that account for them.
void check_deletions_accounted(const std::string& camera, const std::vector<index::ChainEntry>& deleting,
                               const std::vector<Pass>& passes, UtcTime since,
                               const std::vector<index::DaemonRunRow>& runs, const LegalCheckOptions& options,
                               LegalCheckResult& out) {
  // Window i: entries dated in (passes[i-1].time, passes[i].time] (the pass marks its rows, then
  // writes its row), the first from `since`; the last window, after the newest row, is open.
  std::map<std::size_t, std::vector<const index::ChainEntry*>> windows;
  // A row that names its decision time takes exactly the entries dated then: a clock stepped
  // back between two passes makes their windows overlap (hostile review, 2026-12-08).
  std::map<UtcTime, std::size_t> by_decision;
  for (std::size_t i = 0; i < passes.size(); ++i)
    if (passes[i].decided) by_decision.emplace(*passes[i].decided, i);
  for (const auto& e : deleting) {
    if (e.time <= since) continue;
    if (auto d = by_decision.find(e.time); d != by_decision.end()) {
      windows[d->second].push_back(&e);
      continue;
    }
    auto it = std::lower_bound(passes.begin(), passes.end(), e.time,
                               [](const Pass& p, UtcTime t) { return p.row->time < t; });
    windows[static_cast<std::size_t>(it - passes.begin())].push_back(&e);
  }
  for (const auto& [i, entries] : windows) {
    UtcTime from = i == 0 ? since : passes[i - 1].row->time;
    bool open = i == passes.size();
    UtcTime to = open ? options.now : passes[i].row->time;
    std::int64_t counted = 0;
    if (!open) {
      auto c = passes[i].segments.find(camera);
      if (c != passes[i].segments.end()) counted = c->second;
    }
    auto count = static_cast<std::int64_t>(entries.size());
    if (count <= counted) continue;
    std::string names;
    for (std::size_t k = 0; k < entries.size() && k < 10; ++k)
      names += (k == 0 ? "" : ", ") + std::to_string(entries[k]->segment_id.value_or(0)) + " (entry " +
               std::to_string(entries[k]->seq) + ")";
    if (entries.size() > 10) names += " and " + std::to_string(entries.size() - 10) + " more";
    std::string what = "between " + format_utc_iso(from) + " and " + format_utc_iso(to) + ", " +
                       std::to_string(count) + " segment(s) entered 'deleting' (segments " + names + "), ";
    what += open ? "after the newest retention pass's access-log row"
                 : "but the retention pass's access-log row " + std::to_string(passes[i].row->id) + " counts " +
                       std::to_string(counted) + " for this camera";
    Finding finding{"deletion_unaccounted", camera, entries.size() == 1 ? entries[0]->segment_id.value_or(0) : 0, "",
                    ""};
    auto crash = std::find_if(runs.begin(), runs.end(), [&](const index::DaemonRunRow& r) {
      return r.stop_reason == "crash" && r.stopped && *r.stopped > from && *r.stopped <= to;
    });
    // A pass writes its row at its end, so its entries wait for it while a daemon that began
    // before them has not stopped (running, or killed and not restarted yet).
    const auto* newest = entries.back();
    bool daemon_up = std::any_of(runs.begin(), runs.end(), [&](const index::DaemonRunRow& r) {
      return !r.stopped && r.started <= newest->time;
    });
    if (open && daemon_up && options.now - newest->time < kPassPending) {
      finding.detail = what + ": a pass may still be running (its row comes at its end)";
      out.notes.push_back(std::move(finding));
    } else if (crash != runs.end()) {
      finding.detail = what + ": daemon run " + std::to_string(crash->id) + " crashed at " +
                       format_utc_iso(*crash->stopped) + ", which may have cut a pass short before it wrote its row";
      out.notes.push_back(std::move(finding));
    } else {
      finding.detail = what + ": " + std::to_string(count - counted) +
                       " deletion(s) no retention pass accounts for; carekeep deletes only in retention passes, so "
                       "these were marked by hand";
      out.findings.push_back(std::move(finding));
    }
  }
}

}  // namespace

Result<LegalCheckResult> check_legal_steps(index::Index& index, std::span<const std::string> cameras,
                                           const LegalCheckOptions& options) {
  LegalCheckResult out;
  auto box = index.chain_entries(index::kBoxChain);
  if (!box) return tl::unexpected(std::move(box.error()));
  auto holds = holds_of(*box);

  auto logged = index.access_log({UtcTime{}, UtcTime::max()});
  if (!logged) return tl::unexpected(std::move(logged.error()));
  std::vector<LogRow> rows;
  std::vector<Pass> passes;
  for (const auto& row : *logged) {
    if (row.action != "hold_add" && row.action != "hold_release" && row.action != "retention_delete") continue;
    Json args = Json::parse(row.arguments, nullptr, false);
    if (!args.is_object()) args = Json::object();
    if (row.action == "retention_delete") {
      Pass pass{&row, {}, std::nullopt};
      if (auto us = json_int(args, "decided_us")) pass.decided = from_us(*us);
      if (auto by = args.find("by_camera"); by != args.end() && by->is_object()) {
        for (const auto& [cam, reasons] : by->items()) {
          if (!reasons.is_object()) continue;
          for (const auto& [reason, figures] : reasons.items())
            if (auto n = json_int(figures, "segments")) pass.segments[cam] += *n;
        }
      }
      passes.push_back(std::move(pass));
    } else {
      rows.push_back({&row, std::move(args)});
    }
  }
  std::stable_sort(passes.begin(), passes.end(), [](const Pass& a, const Pass& b) { return a.row->time < b.row->time; });
  check_holds_logged(holds, rows, options, out);

  // Retention passes are logged since migration 0007's change, which also began storing each
  // configuration the daemon loads: deletions are accounted from the first stored version on.
  auto versions = index.config_versions();
  if (!versions) return tl::unexpected(std::move(versions.error()));
  std::optional<UtcTime> since;
  if (!versions->empty()) since = versions->front().loaded;
  std::vector<index::DaemonRunRow> runs;
  if (since) {
    auto all = index.daemon_runs({UtcTime{}, UtcTime::max()});
    if (!all) return tl::unexpected(std::move(all.error()));
    runs = std::move(*all);
  }

  for (const auto& camera : cameras) {
    auto deleting = index::chain_entries_of_kind(index, camera, "deleting");
    if (!deleting) return tl::unexpected(std::move(deleting.error()));
    auto deleted = index::chain_entries_of_kind(index, camera, "deleted");
    if (!deleted) return tl::unexpected(std::move(deleted.error()));
    check_held_deletions(camera, *deleting, *deleted, holds, options, out);
    if (since) check_deletions_accounted(camera, *deleting, passes, *since, runs, options, out);
  }
  return out;
}

}  // namespace carekeep::exports
