#include "index/chain.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "index/chain_store.hpp"
#include "index/index.hpp"

namespace carekeep::index {
namespace {

using sqlite::Statement;
using detail::put_int;
using detail::put_text;

tl::unexpected<Error> failed(Error error, std::string_view what) {
  return tl::unexpected(std::move(error).with_context(what));
}

// Record lines are "key=value\n"; a value's backslashes and newlines are escaped so that a
// state_detail or hold reason cannot forge a line of its own.
void line(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += '=';
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += '\n';
}
void line(std::string& out, std::string_view key, std::int64_t value) { line(out, key, std::to_string(value)); }
void line(std::string& out, std::string_view key, UtcTime value) { line(out, key, to_us(value)); }
template <class T>
void line(std::string& out, std::string_view key, const std::optional<T>& value) {
  if (value) line(out, key, *value);
}
void line(std::string& out, std::string_view key, const std::optional<Sha256>& value) {
  if (value) line(out, key, to_hex(*value));
}

using Fields = std::map<std::string, std::string>;

Fields fields_of(std::string_view record) {
  Fields out;
  for (auto& [k, v] : parse_record(record)) out[k] = v;
  return out;
}

std::string shown(const Fields& fields, const std::string& key) {
  auto it = fields.find(key);
  if (it == fields.end()) return "null";
  return "'" + it->second + "'";
}

// "key: A in <a>, B in <b>" for every key whose value differs (a missing key is null).
std::vector<std::string> differences(const Fields& a, const Fields& b, std::string_view a_name,
                                     std::string_view b_name, const std::set<std::string>& ignore = {}) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (ignore.count(k)) continue;
    auto ia = a.find(k);
    auto ib = b.find(k);
    bool same = (ia == a.end()) == (ib == b.end()) && (ia == a.end() || ia->second == ib->second);
    if (!same) {
      out.push_back(k + " " + shown(a, k) + " in " + std::string(a_name) + ", " + shown(b, k) + " in " +
                    std::string(b_name));
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// What may change in a row after its first entry: the state and what goes with it. Every
// other column was fixed when the segment closed (protect_until included: a later schedule
// cannot shorten it) or the hold was placed.
const std::set<std::string> kSegmentMutable = {"state", "state_detail", "deleted_us"};
const std::set<std::string> kHoldMutable = {"released_us", "released_uid", "released_user"};

bool legal_segment_step(std::string_view from, std::string_view to) {
  if (to == "damaged") return from == "closed" || from == "recovered";
  if (to == "deleting") return from == "closed" || from == "recovered" || from == "damaged";
  if (to == "deleted") return from == "deleting";
  return false;
}

// An entry may be dated a little after the verifier's clock (two boxes' clocks, NTP steps);
// beyond that it was forged to look like a deletion made after its protection ended.
constexpr Micros kFutureTolerance = std::chrono::minutes(10);

sqlite::Blob blob(const Sha256& hash) { return {hash.data(), hash.size()}; }

Sha256 sha_at(const Statement& q, int column) {
  Sha256 out{};
  if (q.is_null(column)) return out;
  auto bytes = q.column<sqlite::Bytes>(column);
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());  // the column's check fixes 32
  return out;
}

constexpr std::string_view kEntryColumns = "chain, seq, time_us, kind, segment_id, hold_id, record, prev_hash, hash";

ChainEntry read_entry(const Statement& q) {
  ChainEntry e;
  e.chain = q.column<std::string>(0);
  e.seq = q.column<std::int64_t>(1);
  e.time = from_us(q.column<std::int64_t>(2));
  e.kind = q.column<std::string>(3);
  e.segment_id = q.column<std::optional<std::int64_t>>(4);
  e.hold_id = q.column<std::optional<std::int64_t>>(5);
  e.record = q.column<std::string>(6);
  e.prev_hash = sha_at(q, 7);
  e.hash = sha_at(q, 8);
  return e;
}

Result<std::vector<ChainEntry>> read_entries(sqlite::Connection& db, std::string_view sql, std::string_view what,
                                             const std::function<void(Statement&)>& bind) {
  auto q = db.cached(sql);
  if (!q) return failed(std::move(q.error()), what);
  bind(**q);
  std::vector<ChainEntry> out;
  for (;;) {
    auto step = (*q)->step();
    if (!step) return failed(std::move(step.error()), what);
    if (!*step) return out;
    out.push_back(read_entry(**q));
  }
}

const std::string kTipSql =
    "select " + std::string(kEntryColumns) + " from chain_entry where chain = :chain order by seq desc limit 1";
const std::string kEntrySql =
    "select " + std::string(kEntryColumns) + " from chain_entry where chain = :chain and seq = :seq";
const std::string kEntriesSql =
    "select " + std::string(kEntryColumns) + " from chain_entry where chain = :chain order by seq";
constexpr std::string_view kInsertEntrySql = R"sql(
  insert into chain_entry (chain, seq, time_us, kind, segment_id, hold_id, record, prev_hash, hash)
  values (:chain, :seq, :time_us, :kind, :segment_id, :hold_id, :record, :prev_hash, :hash)
)sql";

Result<std::optional<ChainEntry>> first_of(Result<std::vector<ChainEntry>> rows) {
  if (!rows) return tl::unexpected(std::move(rows.error()));
  if (rows->empty()) return std::nullopt;
  return std::move(rows->front());
}

}  // namespace

Sha256 chain_entry_hash(const ChainEntry& e) {
  std::string bytes(reinterpret_cast<const char*>(e.prev_hash.data()), e.prev_hash.size());
  put_text(bytes, e.chain);
  put_int(bytes, e.seq);
  put_int(bytes, to_us(e.time));
  put_text(bytes, e.kind);
  put_int(bytes, e.segment_id.value_or(0));
  put_int(bytes, e.hold_id.value_or(0));
  put_text(bytes, e.record);
  return sha256_of(bytes);
}

Sha256 file_chain_link(const Sha256& previous, const Sha256& file_sha256) {
  Sha256Stream hash;
  hash.update(previous.data(), previous.size());
  hash.update(file_sha256.data(), file_sha256.size());
  return hash.finish();
}

std::string segment_record(const SegmentRow& r) {
  std::string out;
  line(out, "camera", r.camera_id);
  line(out, "run", r.run_id);
  line(out, "seq", r.seq);
  line(out, "path", r.path);
  line(out, "start_us", r.start);
  line(out, "duration_us", r.duration.count());
  line(out, "end_us", r.end);
  line(out, "size_bytes", r.size_bytes);
  line(out, "frames", r.frames);
  line(out, "keyframes", r.keyframes);
  line(out, "video_codec", r.video_codec);
  line(out, "width", std::int64_t{r.width});
  line(out, "height", std::int64_t{r.height});
  line(out, "audio_codec", r.audio_codec);
  line(out, "sha256", r.sha256);
  line(out, "chain_sha256", r.chain_sha256);
  line(out, "state", to_string(r.state));
  line(out, "state_detail", r.state_detail);
  line(out, "protect_until_us", r.protect_until);
  line(out, "created_us", r.created);
  line(out, "closed_us", r.closed);
  line(out, "deleted_us", r.deleted);
  return out;
}

std::string hold_record(const HoldRecord& h) {
  std::string out;
  line(out, "camera", h.hold.camera_id);
  line(out, "zone", h.hold.zone_id);
  line(out, "from_us", h.hold.from);
  line(out, "to_us", h.hold.to);
  line(out, "reason", h.hold.reason);
  line(out, "created_us", h.hold.created);
  line(out, "created_uid", h.hold.created_uid);
  line(out, "created_user", h.hold.created_user);
  line(out, "released_us", h.hold.released);
  line(out, "released_uid", h.released_uid);
  line(out, "released_user", h.released_user);
  // Migration 0008's columns, only when set: the entries of older holds stay what they were.
  line(out, "case_number", h.hold.case_number);
  if (h.hold.by_inspector) line(out, "placed_as", "inspector");
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_record(std::string_view record) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos < record.size()) {
    auto end = record.find('\n', pos);
    if (end == std::string_view::npos) end = record.size();
    auto text = record.substr(pos, end - pos);
    auto eq = text.find('=');
    std::string key(text.substr(0, eq));
    std::string value;
    if (eq != std::string_view::npos) {
      for (std::size_t i = eq + 1; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          value += text[i + 1] == 'n' ? '\n' : text[i + 1];
          ++i;
        } else {
          value += text[i];
        }
      }
    }
    out.emplace_back(std::move(key), std::move(value));
    pos = end + 1;
  }
  return out;
}

// ---- storage (index/chain_store.hpp) ----------------------------------------------------

namespace detail {

Result<ChainEntry> append_entry(sqlite::Connection& db, ChainEntry entry) {
  std::string what = "appending to the evidence chain of " +
                     (entry.chain.empty() ? std::string("the box") : "camera " + entry.chain);
  auto tip = first_of(read_entries(db, kTipSql, what, [&](Statement& q) { q.bind(":chain", entry.chain); }));
  if (!tip) return tl::unexpected(std::move(tip.error()));
  entry.seq = *tip ? (*tip)->seq + 1 : 1;
  entry.prev_hash = *tip ? (*tip)->hash : Sha256{};
  entry.hash = chain_entry_hash(entry);
  auto q = db.cached(kInsertEntrySql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":chain", std::string_view(entry.chain))
      .bind(":seq", entry.seq)
      .bind(":time_us", to_us(entry.time))
      .bind(":kind", std::string_view(entry.kind))
      .bind(":segment_id", entry.segment_id)
      .bind(":hold_id", entry.hold_id)
      .bind(":record", std::string_view(entry.record))
      .bind(":prev_hash", blob(entry.prev_hash))
      .bind(":hash", blob(entry.hash));
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  return entry;
}

}  // namespace detail

// ---- Index: reading and verifying --------------------------------------------------------

Result<std::optional<ChainEntry>> Index::chain_entry_tip(std::string_view chain) {
  return first_of(read_entries(db_, kTipSql, "reading the evidence chain tip",
                               [&](Statement& q) { q.bind(":chain", chain); }));
}

Result<std::optional<ChainEntry>> Index::chain_entry(std::string_view chain, std::int64_t seq) {
  return first_of(read_entries(db_, kEntrySql, "reading an evidence chain entry",
                               [&](Statement& q) { q.bind(":chain", chain).bind(":seq", seq); }));
}

Result<std::vector<ChainEntry>> Index::chain_entries(std::string_view chain) {
  return read_entries(db_, kEntriesSql, "reading the evidence chain", [&](Statement& q) { q.bind(":chain", chain); });
}

Result<std::vector<ChainFinding>> Index::verify_chain(std::string_view chain, UtcTime now) {
  const bool box = chain == kBoxChain;
  auto entries = chain_entries(chain);
  if (!entries) return tl::unexpected(std::move(entries.error()));
  std::vector<ChainFinding> findings;
  auto finding = [&](const ChainEntry* e, std::string problem) {
    ChainFinding f;
    f.chain = std::string(chain);
    if (e != nullptr) {
      f.seq = e->seq;
      f.segment_id = e->segment_id;
      f.hold_id = e->hold_id;
    }
    f.problem = std::move(problem);
    findings.push_back(std::move(f));
  };

  // 1. The links: numbers without gaps, each prev_hash the previous stored hash, each hash
  // recomputed. Checked from the stored previous value, so one edit is named once.
  struct Latest {
    const ChainEntry* entry = nullptr;
    Fields fields;
  };
  std::map<std::int64_t, Latest> latest;  // by segment or hold id
  Sha256 previous{};
  std::int64_t expected_seq = 1;
  for (const auto& e : *entries) {
    if (e.seq != expected_seq) {
      finding(&e, "entries " + std::to_string(expected_seq) + ".." + std::to_string(e.seq - 1) +
                      " are missing (removed from the chain)");
    } else if (e.prev_hash != previous) {
      finding(&e, "prev_hash does not match the hash of entry " + std::to_string(e.seq - 1) +
                      " (an entry before it was replaced)");
    }
    if (chain_entry_hash(e) != e.hash) finding(&e, "hash does not match the entry's contents (entry edited)");
    previous = e.hash;
    expected_seq = e.seq + 1;
    if (e.time > now + kFutureTolerance) {
      finding(&e, "dated " + format_utc_iso(e.time) + ", after the time of this check (" + format_utc_iso(now) + ")");
    }

    // 2. Each change against the one before it of the same row.
    auto subject = box ? e.hold_id : e.segment_id;
    if (!subject) {
      finding(&e, std::string("names no ") + (box ? "hold" : "segment"));
      continue;
    }
    auto fields = fields_of(e.record);
    auto& last = latest[*subject];
    std::string who = (box ? "hold " : "segment ") + std::to_string(*subject);
    if (last.entry != nullptr) {
      auto changed = differences(last.fields, fields, "entry " + std::to_string(last.entry->seq),
                                 "entry " + std::to_string(e.seq), box ? kHoldMutable : kSegmentMutable);
      if (!changed.empty()) finding(&e, who + ": changes what was fixed when it was recorded: " + joined(changed));
      if (box) {
        if (e.kind != "release" || last.fields.count("released_us"))
          finding(&e, who + ": " + e.kind + " after " + last.entry->kind + " is not a possible change");
      } else if (e.kind == "adopted" || !legal_segment_step(last.fields["state"], e.kind)) {
        finding(&e, who + ": '" + last.fields["state"] + "' to '" + e.kind + "' is not a possible change");
      }
    } else if (!box && e.kind != "adopted" && e.kind != "closed" && e.kind != "recovered" && e.kind != "damaged") {
      finding(&e, who + ": its first entry is '" + e.kind + "'; a segment enters the chain when it closes");
    } else if (box && e.kind != "adopted" && e.kind != "hold") {
      finding(&e, who + ": its first entry is '" + e.kind + "'; a hold enters the chain when it is placed");
    }
    if (!box && e.kind != "adopted" && fields["state"] != e.kind) {
      finding(&e, who + ": a '" + e.kind + "' entry whose record says state '" + fields["state"] + "'");
    }
    if (!box && e.kind == "deleting" && fields.count("protect_until_us")) {
      auto until = from_us(std::stoll(fields["protect_until_us"]));
      if (e.time < until) {
        finding(&e, who + ": deleted at " + format_utc_iso(e.time) + ", before its protection ended at " +
                        format_utc_iso(until));
      }
    }
    last.entry = &e;
    last.fields = std::move(fields);
  }

  // 3. Every row against its latest entry; every row the chain names still present.
  std::set<std::int64_t> seen;
  auto compare = [&](std::int64_t id, bool open, const std::string& record) {
    seen.insert(id);
    std::string who = (box ? "hold " : "segment ") + std::to_string(id);
    auto it = latest.find(id);
    if (it == latest.end()) {
      if (!open) {
        ChainFinding f{std::string(chain), 0, box ? std::nullopt : std::optional<SegmentId>(id),
                       box ? std::optional<std::int64_t>(id) : std::nullopt,
                       who + ": the row is not in the chain (added outside carekeep, or its entries were removed)"};
        findings.push_back(std::move(f));
      }
      return;
    }
    auto changed = differences(fields_of(record), it->second.fields, "the row",
                               "chain entry " + std::to_string(it->second.entry->seq));
    if (!changed.empty()) finding(it->second.entry, who + ": the row was edited: " + joined(changed));
  };
  if (box) {
    auto holds_now = holds();
    if (!holds_now) return tl::unexpected(std::move(holds_now.error()));
    for (const auto& h : *holds_now) compare(h.hold.id, false, hold_record(h));
  } else {
    auto rows = chain_segments(chain);
    if (!rows) return tl::unexpected(std::move(rows.error()));
    for (const auto& r : *rows) compare(r.id, r.state == SegmentState::Open, segment_record(r));
  }
  for (const auto& [id, last] : latest) {
    if (seen.count(id)) continue;
    finding(last.entry, std::string(box ? "hold " : "segment ") + std::to_string(id) +
                            ": the row is gone from the index (its last chain entry is " +
                            std::to_string(last.entry->seq) + ", " + last.entry->kind + ")");
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const ChainFinding& a, const ChainFinding& b) { return a.seq < b.seq; });
  return findings;
}

}  // namespace carekeep::index
