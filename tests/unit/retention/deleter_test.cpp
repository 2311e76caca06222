// The deleter on real files and a real SQLite index in a temporary directory: it deletes what
// a plan lists and nothing protected or held, and after a crash at any step of its procedure
// complete_interrupted() leaves the index and the disk in agreement (PRODUCT.md §4.4).
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "index/index.hpp"
#include "retention/deleter.hpp"
#include "retention/planner.hpp"
#include "retention/storage.hpp"
#include "support/temp_dir.hpp"
#include "unit/retention/helpers.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using index::Index;
using index::SegmentId;
using index::SegmentState;
using retention::DeletionReason;

namespace {

const UtcTime kT0 = test::utc("2026-11-18T00:00Z");
const UtcTime kNow = kT0 + std::chrono::days{100};
constexpr std::array<const char*, 3> kCameras{"nap-1", "nap-2", "play"};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// A storage directory with segment files and their rows, as the recorder leaves them.
struct Box {
  test::TempDir dir;
  std::filesystem::path storage = dir / "media";
  std::filesystem::path db_path = dir / "index.db";
  std::optional<Index> index = Index::open_writer(db_path).value();
  std::map<std::string, index::RunId> runs;
  std::int64_t seq = 0;

  Box() {
    std::vector<index::ConfiguredCamera> cameras;
    for (const char* c : kCameras) cameras.push_back({c, c});
    REQUIRE(index->sync_cameras(cameras, kT0));
    auto daemon = index->begin_daemon_run({kT0, "0.1.0", 1, "nvr"}).value();
    for (const char* c : kCameras) runs[c] = index->begin_run(c, daemon, kT0).value();
  }

  // A closed 60 s segment of `camera` starting `offset` after kT0, its file `bytes` long
  // (none when `with_file` is false: a damaged row whose file is gone).
  SegmentId add(const std::string& camera, Micros offset, std::optional<UtcTime> protect_until, bool with_file = true,
                std::int64_t bytes = 1000) {
    const UtcTime start = kT0 + offset;
    const std::string day = format_date(date::floor<date::days>(TimeZone::utc().to_local(start)));
    const std::string path = camera + "/" + day + "/" + std::to_string(seq) + ".mp4";
    if (with_file) test::write_text(storage / path, std::string(static_cast<std::size_t>(bytes), 'v'));
    auto id = index->insert_open_segment({camera, runs[camera], seq++, start, path, start}).value();
    index::ClosedSegment c;
    c.duration = 60s;
    c.size_bytes = bytes;
    c.video_codec = "h264";
    c.state = with_file ? SegmentState::Closed : SegmentState::Damaged;
    c.protect_until = protect_until;
    c.closed = start + 60s;
    REQUIRE(index->close_segment(id, c));
    return id;
  }

  index::SegmentRow get(SegmentId id) { return index->segment(id).value().value(); }
  bool has_file(SegmentId id) { return std::filesystem::exists(storage / get(id).path); }

  // A restart after a crash: the process (and its connection) is gone, the files stay.
  void restart() {
    index.reset();
    index = Index::open_writer(db_path).value();
  }

  retention::Plan plan(UtcTime now, std::uint64_t free_bytes = 1'000'000'000) {
    retention::StorageState storage_state{10'000'000'000, free_bytes, 0};
    config::Retention r;
    storage_state.footage_bytes = static_cast<std::uint64_t>(index->footage_bytes().value());
    rows = retention::load_candidates(*index, r, storage_state, now).value();
    hold_ranges = retention::resolve_holds(index->active_holds().value(), {});
    retention::PlanInput in;
    in.segments = rows;
    in.holds = hold_ranges;
    in.storage = storage_state;
    in.retention = r;
    in.now = now;
    return retention::plan(in);
  }

  // Index and disk agree: a deleted row has no file, a live row has its file (damaged rows
  // made without one excepted), and nothing is left deleting.
  void check_consistent(const std::vector<SegmentId>& ids) {
    CHECK(index->deleting_segments().value().empty());
    for (auto id : ids) {
      auto row = get(id);
      CAPTURE(id, index::to_string(row.state), row.path);
      if (row.state == SegmentState::Deleted) {
        CHECK_FALSE(std::filesystem::exists(storage / row.path));
        CHECK(row.deleted);
      } else if (row.state != SegmentState::Damaged) {
        CHECK(std::filesystem::exists(storage / row.path));
        CHECK_FALSE(row.deleted);
      }
    }
  }

  std::vector<index::RetentionRow> rows;
  std::vector<retention::HeldRange> hold_ranges;
};

std::vector<SegmentId> ids_of(const retention::Plan& p) {
  std::vector<SegmentId> ids;
  for (const auto& d : p.deletions) ids.push_back(d.id);
  return ids;
}

}  // namespace

TEST_CASE("the deleter removes planned files and keeps their rows as tombstones", "[retention][db]") {
  Box box;
  std::vector<SegmentId> expired;
  std::vector<SegmentId> kept;
  for (int h = 0; h < 48; ++h) {
    const char* camera = kCameras[static_cast<std::size_t>(h) % kCameras.size()];
    const Micros at = std::chrono::hours{h};
    if (h % 4 == 0) {
      kept.push_back(box.add(camera, at, kNow + std::chrono::days{1}));  // care footage, still protected
    } else if (h % 4 == 1) {
      expired.push_back(box.add(camera, at, kNow - 1h));  // protection ended
    } else {
      expired.push_back(box.add(camera, at, std::nullopt));  // outside care, 100 days old
    }
  }
  auto missing = box.add("play", 50h, std::nullopt, /*with_file=*/false, 0);  // damaged, file gone
  expired.push_back(missing);
  auto recent = box.add("play", std::chrono::days{99}, std::nullopt);  // outside care, 1 day old: kept
  kept.push_back(recent);

  auto plan = box.plan(kNow);
  REQUIRE(plan.deletions.size() == expired.size());
  retention::DeleteOptions options;
  options.batch_size = 7;  // several batches, each with its own directories
  auto report = retention::execute(*box.index, box.storage, plan, kNow, options).value();
  CHECK(report.findings.empty());
  CHECK(report.deleted == static_cast<std::int64_t>(expired.size()));
  CHECK(report.files_removed == static_cast<std::int64_t>(expired.size()) - 1);  // one was gone already
  CHECK(report.bytes == 1000 * (expired.size() - 1));
  CHECK(report.skipped == 0);
  for (auto id : expired) {
    auto row = box.get(id);
    CAPTURE(id);
    CHECK(row.state == SegmentState::Deleted);
    CHECK(row.deleted == kNow);
    CHECK(contains(row.state_detail, "deleted by retention ("));
    CHECK(row.sha256);  // the tombstone keeps the evidence
    CHECK_FALSE(std::filesystem::exists(box.storage / row.path));
  }
  CHECK(contains(box.get(expired[0]).state_detail,
                 "(expired_protected): care-hours protection ended 2027-02-25T23:00:00Z"));
  CHECK(contains(box.get(expired[1]).state_detail, "(expired): outside care hours"));
  for (auto id : kept) {
    CAPTURE(id);
    CHECK(box.get(id).state == SegmentState::Closed);
    CHECK(box.has_file(id));
  }
  box.check_consistent(expired);
  box.check_consistent(kept);
  // The next pass finds nothing, and running the same plan again changes nothing.
  CHECK(box.plan(kNow).deletions.empty());
  auto again = retention::execute(*box.index, box.storage, plan, kNow).value();
  CHECK(again.deleted == 0);
  CHECK(again.skipped == static_cast<std::int64_t>(expired.size()));
  CHECK(again.findings.empty());
}

TEST_CASE("a paused plan deletes nothing", "[retention][db]") {
  Box box;
  auto id = box.add("nap-1", 0s, std::nullopt);
  retention::Plan plan = box.plan(kNow);
  REQUIRE(ids_of(plan) == std::vector<SegmentId>{id});
  plan.paused = true;
  auto report = retention::execute(*box.index, box.storage, plan, kNow).value();
  CHECK(report.deleted == 0);
  CHECK(box.has_file(id));
}

TEST_CASE("a row protected or held now is refused even when a stale plan lists it", "[retention][db]") {
  Box box;
  auto a = box.add("nap-1", 0s, kNow - 1h);
  auto b = box.add("nap-1", 60s, kNow - 1h);
  auto c = box.add("nap-2", 120s, std::nullopt);
  auto d = box.add("play", 180s, std::nullopt);
  auto plan = box.plan(kNow);
  REQUIRE(ids_of(plan) == std::vector<SegmentId>{a, b, c, d});

  // Since the plan was made: b's protection was extended (a bug, or a plan from another
  // configuration), a hold was placed on nap-2 through its zone, and c's camera is in it.
  REQUIRE(box.index->connection().exec(
      "update segment set protect_until_us = " + std::to_string(to_us(kNow + std::chrono::days{10})) +
      " where id = " + std::to_string(b)));
  auto hold = box.index->insert_hold({std::nullopt, "nap", kT0, kT0 + 1h, "case 7", kNow, 0, "root"}).value();
  retention::DeleteOptions options;
  options.zone_cameras = {{"nap", {"nap-2"}}};
  auto report = retention::execute(*box.index, box.storage, plan, kNow, options).value();
  CHECK(report.deleted == 2);
  REQUIRE(report.findings.size() == 2);
  CHECK(report.findings[0].kind == ErrorKind::Internal);
  CHECK(contains(report.findings[0].message, "segment " + std::to_string(b) + " (nap-1, "));
  CHECK(contains(report.findings[0].message, "planned for deletion (expired_protected) but protected until"));
  CHECK(report.findings[1].kind == ErrorKind::Internal);
  CHECK(contains(report.findings[1].message, "held by hold " + std::to_string(hold) + "; refused"));
  CHECK(box.get(a).state == SegmentState::Deleted);
  CHECK(box.get(b).state == SegmentState::Closed);
  CHECK(box.has_file(b));
  CHECK(box.get(c).state == SegmentState::Closed);
  CHECK(box.has_file(c));
  CHECK(box.get(d).state == SegmentState::Deleted);

  SECTION("a hand-made plan naming protected footage is refused the same way") {
    // (Rows added in these sections start after the hold: its zone is unknown to box.plan(),
    // so it holds every camera for that hour.)
    auto e = box.add("play", 2h, kNow + 1s);
    retention::Plan wrong;
    wrong.deletions.push_back(
        {e, "play", kT0 + 2h, kT0 + 2h + 60s, box.get(e).path, 1000, DeletionReason::DiskPressure, std::nullopt});
    auto refused = retention::execute(*box.index, box.storage, wrong, kNow).value();
    CHECK(refused.deleted == 0);
    REQUIRE(refused.findings.size() == 1);
    CHECK(contains(refused.findings[0].message, "planned for deletion (disk_pressure) but protected until"));
    CHECK(box.has_file(e));
  }
  SECTION("a row without stored protection is asked of the policy again") {
    auto care_row = box.add("play", 2h, std::nullopt);
    retention::Plan stale = box.plan(kNow);  // planned without a policy: looks like footage outside care
    REQUIRE(ids_of(stale) == std::vector<SegmentId>{care_row});
    retention::DeleteOptions with_policy;
    with_policy.protection = [](const std::string&, UtcTime, UtcTime end) -> std::optional<UtcTime> {
      return end + std::chrono::days{365};
    };
    auto refused = retention::execute(*box.index, box.storage, stale, kNow, with_policy).value();
    CHECK(refused.deleted == 0);
    REQUIRE(refused.findings.size() == 1);
    CHECK(box.has_file(care_row));
  }
  SECTION("a plan that does not match the row, or a path leaving the storage, is refused") {
    auto f = box.add("play", 2h, std::nullopt);
    test::write_text(box.dir / "outside.mp4", "not ours");
    auto escaping =
        box.index->insert_open_segment({"play", box.runs["play"], 999, kT0 + 3h, "../outside.mp4", kT0}).value();
    index::ClosedSegment closed;
    closed.duration = 60s;
    closed.size_bytes = 8;
    closed.closed = kT0;
    REQUIRE(box.index->close_segment(escaping, closed));
    retention::Plan odd = box.plan(kNow);
    REQUIRE(odd.deletions.size() == 2);
    for (auto& del : odd.deletions) {
      if (del.id == f) del.path = "play/elsewhere.mp4";
    }
    auto refused = retention::execute(*box.index, box.storage, odd, kNow).value();
    CHECK(refused.deleted == 0);
    REQUIRE(refused.findings.size() == 2);
    CHECK(contains(refused.findings[0].message + refused.findings[1].message, "does not match the plan"));
    CHECK(contains(refused.findings[0].message + refused.findings[1].message, "path leaves the storage directory"));
    CHECK(std::filesystem::exists(box.dir / "outside.mp4"));
    CHECK(box.has_file(f));
  }
}

TEST_CASE("after a crash at any step of a deletion, index and disk agree again", "[retention][db]") {
  // The procedure for one batch, step by step: (1) commit the rows `deleting`; (2..7) unlink
  // each file; (8) fsync the directories; (9) commit the first half `deleted` (a first batch);
  // (10) commit the rest. A crash after any prefix of it, then a restart, then
  // complete_interrupted(): every planned row is either untouched with its file or deleted
  // without it, protected rows are untouched, and nothing is left deleting.
  const int kSteps = 10;
  for (int crash_after = 0; crash_after <= kSteps; ++crash_after) {
    CAPTURE(crash_after);
    Box box;
    std::vector<SegmentId> planned;
    std::vector<SegmentId> all;
    for (int i = 0; i < 6; ++i) {
      // Two cameras and two days, so two directories each.
      auto id = box.add(kCameras[static_cast<std::size_t>(i) % 2], std::chrono::hours{i * 10}, std::nullopt);
      planned.push_back(id);
      all.push_back(id);
    }
    auto protected_id = box.add("nap-1", 5h, kNow + std::chrono::days{3});
    all.push_back(protected_id);
    auto plan = box.plan(kNow);
    REQUIRE(ids_of(plan).size() == planned.size());

    int step = 0;
    auto next = [&] { return ++step <= crash_after; };
    if (next()) {
      auto tx = box.index->transaction().value();
      for (const auto& d : plan.deletions) REQUIRE(box.index->mark_segment_deleting(d.id, kNow, "test"));
      REQUIRE(tx.commit());
    }
    for (const auto& d : plan.deletions) {
      if (next()) std::filesystem::remove(box.storage / d.path);
    }
    if (next()) {
      for (const char* camera : {"nap-1", "nap-2"}) {
        for (const auto& entry : std::filesystem::directory_iterator(box.storage / camera)) {
          REQUIRE(fs::fsync_path(entry.path()));
        }
      }
    }
    for (std::size_t half = 0; half < 2; ++half) {
      if (!next()) break;
      auto tx = box.index->transaction().value();
      for (std::size_t i = half * 3; i < half * 3 + 3; ++i) {
        REQUIRE(box.index->mark_segment_deleted(plan.deletions[i].id, kNow));
      }
      REQUIRE(tx.commit());
    }
    // A crash inside a transaction is a rollback: an uncommitted batch of marks is not seen.
    if (crash_after == 4) {
      auto tx = box.index->transaction().value();
      REQUIRE(box.index->mark_segment_deleted(plan.deletions[0].id, kNow));
    }

    box.restart();
    auto report = retention::complete_interrupted(*box.index, box.storage, kNow + 1h, 4).value();
    CHECK(report.findings.empty());
    const std::int64_t left_deleting = crash_after >= 1 ? (crash_after >= 9 ? (crash_after >= 10 ? 0 : 3) : 6) : 0;
    CHECK(report.deleted == left_deleting);
    box.check_consistent(all);
    const bool decided = crash_after >= 1;
    for (auto id : planned) {
      CHECK(box.get(id).state == (decided ? SegmentState::Deleted : SegmentState::Closed));
    }
    CHECK(box.get(protected_id).state == SegmentState::Closed);
    CHECK(box.has_file(protected_id));

    // Idempotent, and the next regular pass picks up whatever was not decided yet.
    CHECK(retention::complete_interrupted(*box.index, box.storage, kNow + 2h).value().deleted == 0);
    auto rest = retention::execute(*box.index, box.storage, box.plan(kNow + 2h), kNow + 2h).value();
    CHECK(rest.deleted == (decided ? 0 : 6));
    box.check_consistent(all);
    CHECK(box.get(protected_id).state == SegmentState::Closed);
  }
}

TEST_CASE("a file that is already gone does not stop a deletion", "[retention][db]") {
  Box box;
  auto id = box.add("nap-1", 0s, std::nullopt);
  std::filesystem::remove(box.storage / box.get(id).path);
  std::filesystem::remove(box.storage / "nap-1" / "2026-11-18");  // its directory too
  auto report = retention::execute(*box.index, box.storage, box.plan(kNow), kNow).value();
  CHECK(report.deleted == 1);
  CHECK(report.files_removed == 0);
  CHECK(report.findings.empty());
  CHECK(box.get(id).state == SegmentState::Deleted);
}
