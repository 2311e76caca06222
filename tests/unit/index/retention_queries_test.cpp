// The index's retention queries: candidates, the deleting/deleted transitions with their
// protection guard, footage bytes and holds (docs/retention.md, Retention).
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "index/index.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using index::ClosedSegment;
using index::Index;
using index::SegmentId;
using index::SegmentState;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18
const UtcTime kNow = kT0 + std::chrono::days{100};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

struct Footage {
  test::TempDir dir;
  Index index = Index::open_writer(dir / "index.db").value();
  index::RunId run = 0;
  std::int64_t seq = 0;

  Footage() {
    const std::array<index::ConfiguredCamera, 2> cameras{{{"nap-1", "午睡室 1"}, {"play", "play"}}};
    REQUIRE(index.sync_cameras(cameras, kT0));
    auto daemon = index.begin_daemon_run({kT0, "0.1.0", 1, "nvr"}).value();
    run = index.begin_run("nap-1", daemon, kT0).value();
  }

  // A segment of nap-1 starting `day` days and `minute` minutes after kT0, closed in `state`.
  SegmentId add(int day, int minute, std::optional<UtcTime> protect_until, SegmentState state = SegmentState::Closed,
                std::int64_t bytes = 1000) {
    UtcTime start = kT0 + std::chrono::days{day} + std::chrono::minutes{minute};
    auto path = "nap-1/" + std::to_string(day) + "/" + std::to_string(seq) + ".mp4";
    auto id = index.insert_open_segment({"nap-1", run, seq++, start, path, start}).value();
    if (state == SegmentState::Open) return id;
    ClosedSegment c;
    c.duration = 60s;
    c.size_bytes = bytes;
    c.video_codec = "h264";
    c.state = state == SegmentState::Damaged ? SegmentState::Damaged : SegmentState::Closed;
    c.protect_until = protect_until;
    c.closed = start + 60s;
    REQUIRE(index.close_segment(id, c));
    if (state == SegmentState::Recovered) {
      REQUIRE(index.connection().exec("update segment set state = 'recovered' where id = " + std::to_string(id)));
    }
    if (state == SegmentState::Deleting || state == SegmentState::Deleted) {
      REQUIRE(index.mark_segment_deleting(id, kNow, "test"));
      if (state == SegmentState::Deleted) REQUIRE(index.mark_segment_deleted(id, kNow));
    }
    return id;
  }
};

std::vector<SegmentId> ids_of(const std::vector<index::RetentionRow>& rows) {
  std::vector<SegmentId> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

}  // namespace

TEST_CASE("retention candidates are live rows whose protection or other_days have passed", "[db]") {
  Footage f;
  const UtcTime past = kNow - 1h;
  auto protected_ended = f.add(0, 0, past);                                 // yes
  auto protected_at_now = f.add(0, 1, kNow);                                // yes: <= now
  f.add(0, 2, kNow + 1s);                                                   // protected
  auto old_unprotected = f.add(1, 0, std::nullopt);                         // ended long ago: yes
  auto damaged_old = f.add(1, 1, std::nullopt, SegmentState::Damaged, 0);   // yes, 0 bytes
  auto recovered_old = f.add(1, 2, std::nullopt, SegmentState::Recovered);  // yes
  auto recent_unprotected = f.add(99, 0, std::nullopt);                     // only under pressure
  f.add(2, 0, std::nullopt, SegmentState::Open);                            // never
  f.add(2, 1, past, SegmentState::Deleting);                                // never
  f.add(2, 2, past, SegmentState::Deleted);                                 // never
  f.add(2, 3, std::nullopt, SegmentState::Deleted);                         // never

  const UtcTime cutoff = kNow - std::chrono::days{7};
  auto rows = f.index.retention_candidates(kNow, cutoff).value();
  // Unprotected first (NULL sorts first), each group by end.
  CHECK(ids_of(rows) ==
        std::vector<SegmentId>{old_unprotected, damaged_old, recovered_old, protected_ended, protected_at_now});
  CHECK(rows[0].camera_id == "nap-1");
  CHECK(rows[0].path == "nap-1/1/3.mp4");
  CHECK(rows[0].end - rows[0].start == 60s);
  CHECK(rows[1].state == SegmentState::Damaged);
  CHECK(rows[1].size_bytes == 0);
  CHECK(rows[2].state == SegmentState::Recovered);
  CHECK(rows[3].protect_until == past);

  auto pressure = f.index.retention_candidates(kNow, UtcTime::max()).value();
  CHECK(ids_of(pressure) == std::vector<SegmentId>{old_unprotected, damaged_old, recovered_old, recent_unprotected,
                                                   protected_ended, protected_at_now});
}

TEST_CASE("retention candidates come from the partial index, never a scan of the history", "[db]") {
  Footage f;
  auto q = f.index.connection().prepare(
      "explain query plan select id, camera_id, start_us, end_us, path, size_bytes, state, protect_until_us "
      "from segment where state in ('closed', 'recovered', 'damaged') and protect_until_us is null and end_us <= 1 "
      "union all select id, camera_id, start_us, end_us, path, size_bytes, state, protect_until_us from segment "
      "where state in ('closed', 'recovered', 'damaged') and protect_until_us <= 2 "
      "order by protect_until_us, end_us, id");
  REQUIRE(q);
  std::string plan;
  while (q->step().value()) plan += q->column<std::string>(3) + "\n";
  CAPTURE(plan);
  CHECK(contains(plan, "SEARCH segment USING INDEX segment_retention (protect_until_us=? AND end_us<?)"));
  CHECK(contains(plan, "SEARCH segment USING INDEX segment_retention (protect_until_us<?)"));
  CHECK_FALSE(contains(plan, "SCAN segment"));

  auto sum = f.index.connection().prepare(
      "explain query plan select coalesce(sum(size_bytes), 0) from segment "
      "where state in ('closed', 'recovered', 'damaged')");
  REQUIRE(sum);
  REQUIRE(sum->step().value());
  CHECK(sum->column<std::string>(3) == "SCAN segment USING COVERING INDEX segment_retention");
}

TEST_CASE("a segment is marked deleting only when live and no longer protected", "[db]") {
  Footage f;
  auto protected_id = f.add(0, 0, kNow + 1s);
  auto open_id = f.add(0, 1, std::nullopt, SegmentState::Open);
  auto expired_id = f.add(0, 2, kNow);
  auto unprotected_id = f.add(0, 3, std::nullopt, SegmentState::Damaged, 0);
  REQUIRE(f.index.connection().exec("update segment set state_detail = 'file missing at startup' where id = " +
                                    std::to_string(unprotected_id)));

  auto refused = f.index.mark_segment_deleting(protected_id, kNow, "expired");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(refused.error().message, "whose protection has ended"));
  CHECK(f.index.segment(protected_id).value()->state == SegmentState::Closed);
  CHECK(f.index.mark_segment_deleting(open_id, kNow, "x").error().kind == ErrorKind::FailedPrecondition);
  CHECK(f.index.mark_segment_deleting(12345, kNow, "x").error().kind == ErrorKind::FailedPrecondition);
  // Deleting comes before deleted, never the other way round.
  CHECK(f.index.mark_segment_deleted(expired_id, kNow).error().kind == ErrorKind::FailedPrecondition);

  REQUIRE(f.index.mark_segment_deleting(expired_id, kNow, "deleted by retention (expired_protected)"));
  REQUIRE(f.index.mark_segment_deleting(unprotected_id, kNow, "deleted by retention (expired)"));
  CHECK(f.index.mark_segment_deleting(expired_id, kNow, "again").error().kind == ErrorKind::FailedPrecondition);
  CHECK(ids_of(f.index.deleting_segments().value()) == std::vector<SegmentId>{expired_id, unprotected_id});
  // What the row said before (why it was damaged) stays; the deletion's reason is added.
  CHECK(f.index.segment(unprotected_id).value()->state_detail ==
        "file missing at startup; deleted by retention (expired)");
  CHECK(f.index.segment(expired_id).value()->state_detail == "deleted by retention (expired_protected)");

  REQUIRE(f.index.mark_segment_deleted(expired_id, kNow + 1s));
  auto row = f.index.segment(expired_id).value();
  REQUIRE(row);
  CHECK(row->state == SegmentState::Deleted);
  CHECK(row->deleted == kNow + 1s);
  CHECK(row->sha256 == index::Sha256{});  // evidence stays on the tombstone
  CHECK(f.index.mark_segment_deleted(expired_id, kNow).error().kind == ErrorKind::FailedPrecondition);
  CHECK(ids_of(f.index.deleting_segments().value()) == std::vector<SegmentId>{unprotected_id});
  CHECK_FALSE(f.index.segment(99999).value());
}

TEST_CASE("footage bytes count every row whose file may exist", "[db]") {
  Footage f;
  CHECK(f.index.footage_bytes().value() == 0);
  f.add(0, 0, std::nullopt, SegmentState::Closed, 1'000);
  f.add(0, 1, std::nullopt, SegmentState::Recovered, 20'000);
  f.add(0, 2, std::nullopt, SegmentState::Damaged, 300'000);
  f.add(0, 3, std::nullopt, SegmentState::Deleting, 4'000'000);
  f.add(0, 4, std::nullopt, SegmentState::Deleted, 50'000'000);
  f.add(0, 5, std::nullopt, SegmentState::Open);
  CHECK(f.index.footage_bytes().value() == 4'321'000);
}

TEST_CASE("holds are placed on a camera or a zone and listed while active", "[db]") {
  Footage f;
  auto camera_hold = f.index.insert_hold({"nap-1", std::nullopt, kT0, kT0 + 1h, "case 2026-17", kT0, 1000, "ana"});
  REQUIRE(camera_hold);
  auto zone_hold = f.index.insert_hold({std::nullopt, "nap", kT0 + 2h, kT0 + 3h, "parent complaint", kT0, 0, "root"});
  REQUIRE(zone_hold);
  auto both = f.index.insert_hold({"nap-1", "nap", kT0, kT0 + 1h, "x", kT0, 0, "root"});
  REQUIRE_FALSE(both);
  CHECK(both.error().kind == ErrorKind::Internal);
  CHECK_FALSE(f.index.insert_hold({"nap-1", std::nullopt, kT0, kT0, "empty", kT0, 0, "root"}));
  CHECK_FALSE(f.index.insert_hold({"nap-1", std::nullopt, kT0, kT0 + 1h, "", kT0, 0, "root"}));

  auto holds = f.index.active_holds().value();
  REQUIRE(holds.size() == 2);
  CHECK(holds[0].id == *camera_hold);
  CHECK(holds[0].camera_id == "nap-1");
  CHECK_FALSE(holds[0].zone_id);
  CHECK(holds[0].from == kT0);
  CHECK(holds[0].to == kT0 + 1h);
  CHECK(holds[0].reason == "case 2026-17");
  CHECK(holds[0].created_uid == 1000);
  CHECK(holds[0].created_user == "ana");
  CHECK(holds[1].zone_id == "nap");
  CHECK_FALSE(holds[1].released);

  REQUIRE(
      f.index.connection().exec("update hold set released_us = 1, released_uid = 0, released_user = 'root' "
                                "where id = " +
                                std::to_string(*camera_hold)));
  holds = f.index.active_holds().value();
  REQUIRE(holds.size() == 1);
  CHECK(holds[0].id == *zone_hold);
}

TEST_CASE("a hold is released once and stays listed with who released it", "[db]") {
  Footage f;
  auto id = f.index.insert_hold({"nap-1", std::nullopt, kT0, kT0 + 1h, "case 2026-18", kT0, 1000, "ana"}).value();
  auto other = f.index.insert_hold({std::nullopt, "nap", kT0, kT0 + 1h, "complaint", kT0, 0, "root"}).value();

  REQUIRE(f.index.release_hold(id, kT0 + 2h, 1001, "bo"));
  auto again = f.index.release_hold(id, kT0 + 3h, 0, "root");
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::NotFound);
  auto unknown = f.index.release_hold(id + 100, kT0 + 3h, 0, "root");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().kind == ErrorKind::NotFound);

  auto active = f.index.active_holds().value();
  REQUIRE(active.size() == 1);
  CHECK(active[0].id == other);

  auto all = f.index.holds().value();
  REQUIRE(all.size() == 2);
  CHECK(all[0].hold.id == id);
  CHECK(all[0].hold.released == kT0 + 2h);
  CHECK(all[0].released_uid == 1001);
  CHECK(all[0].released_user == "bo");
  CHECK(all[0].hold.created_user == "ana");
  CHECK(all[1].hold.zone_id == "nap");
  CHECK_FALSE(all[1].hold.released);
  CHECK_FALSE(all[1].released_uid);
  CHECK_FALSE(all[1].released_user);
}

TEST_CASE("care footage held: the oldest and newest live protected rows, and early deletions counted", "[db]") {
  Footage f;
  auto none = f.index.care_footage(kNow).value();
  CHECK_FALSE(none.oldest_start);
  CHECK_FALSE(none.newest_end);
  CHECK(none.deleted_early == 0);

  f.add(0, 0, kT0 + std::chrono::days{1}, SegmentState::Deleted);       // expired and deleted: not held
  f.add(1, 0, kT0 + std::chrono::days{91});                              // the oldest care footage held
  f.add(2, 0, std::nullopt);                                             // outside care hours
  f.add(3, 0, kT0 + std::chrono::days{93}, SegmentState::Recovered);     // the newest care footage
  f.add(4, 0, std::nullopt);                                             // newer, but not care
  f.add(5, 0, std::nullopt, SegmentState::Open);                         // still being written
  auto early = f.add(1, 5, kT0 + std::chrono::days{200});
  // Gone before its protection ended: only by hand, the index refuses it (mark_segment_deleting).
  REQUIRE(f.index.connection().exec("update segment set state = 'deleted', deleted_us = " + std::to_string(to_us(kNow)) +
                                    " where id = " + std::to_string(early)));
  auto held = f.index.care_footage(kNow).value();
  CHECK(held.oldest_start == kT0 + std::chrono::days{1});
  CHECK(held.newest_end == kT0 + std::chrono::days{3} + 60s);
  CHECK(held.deleted_early == 1);
  // Deleted early stays a fact; a row still deleting (no deleted time yet) is early only while
  // its protection lasts.
  CHECK(f.index.care_footage(kT0 + std::chrono::days{201}).value().deleted_early == 1);
  auto deleting = f.add(1, 6, kT0 + std::chrono::days{150});
  REQUIRE(f.index.connection().exec("update segment set state = 'deleting' where id = " + std::to_string(deleting)));
  CHECK(f.index.care_footage(kNow).value().deleted_early == 2);
  CHECK(f.index.care_footage(kT0 + std::chrono::days{151}).value().deleted_early == 1);

  // Each of the three is an index lookup at /metrics' every scrape, never a scan of the history.
  for (const char* sql :
       {"select start_us from segment where state in ('closed', 'recovered', 'damaged') and protect_until_us is not null "
        "order by protect_until_us, end_us limit 1",
        "select end_us from segment where state in ('closed', 'recovered', 'damaged') and protect_until_us is not null "
        "order by protect_until_us desc, end_us desc limit 1",
        "select count(*) from segment where state in ('deleting', 'deleted') and protect_until_us is not null "
        "and (deleted_us is null or deleted_us < protect_until_us) and coalesce(deleted_us, 1) < protect_until_us"}) {
    auto q = f.index.connection().prepare(std::string("explain query plan ") + sql);
    REQUIRE(q);
    std::string plan;
    while (q->step().value()) plan += q->column<std::string>(3) + "\n";
    CAPTURE(sql, plan);
    CHECK_FALSE(contains(plan, "SCAN segment\n"));
    CHECK(contains(plan, "USING"));
  }
}
