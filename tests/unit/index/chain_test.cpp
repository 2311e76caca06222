// The evidence chain (index/chain.hpp, issue 15) on a real SQLite file: every change of a
// segment or hold row is appended as an entry, and each edit an attacker with write access
// to the file could make (raw SQL, triggers dropped first) is named by verify_chain.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "index/index.hpp"
#include "index/schema.hpp"
#include "sqlite/connection.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using index::ChainFinding;
using index::ClosedSegment;
using index::Index;
using index::SegmentState;
using index::Sha256;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18
// When the checks run: the real clock, because entries the index dates itself (damaged at
// startup, adopted at migration) carry it. kT0 is in the past of any machine running this.
const UtcTime kNow = SystemClock{}.now();

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

Sha256 hash_of(std::uint8_t seed) {
  Sha256 h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(seed + i);
  return h;
}

std::string all(const std::vector<ChainFinding>& findings) {
  std::string out;
  for (const auto& f : findings) out += "[" + f.chain + " #" + std::to_string(f.seq) + "] " + f.problem + "\n";
  return out;
}

// One camera with three closed minutes: 0 protected for 90 days (care hours), 1 and 2 not.
struct Site {
  test::TempDir dir;
  Index index = Index::open_writer(dir / "index.db").value();
  std::vector<index::SegmentId> ids;

  Site() {
    const std::array<index::ConfiguredCamera, 1> cameras{{{"nap-1", "午睡室 1"}}};
    REQUIRE(index.sync_cameras(cameras, kT0));
    auto daemon = index.begin_daemon_run({kT0, "0.1.0", 4242, "nvr"}).value();
    auto run = index.begin_run("nap-1", daemon, kT0).value();
    for (int i = 0; i < 3; ++i) {
      auto start = kT0 + i * 60s;
      auto id = index.insert_open_segment({"nap-1", run, i, start, "nap-1/" + std::to_string(i) + ".mp4", start}).value();
      ClosedSegment c;
      c.duration = 60s;
      c.size_bytes = 7'500'000 + i;
      c.frames = 1500;
      c.keyframes = 30;
      c.video_codec = "h264";
      c.width = 1920;
      c.height = 1080;
      c.sha256 = hash_of(static_cast<std::uint8_t>(i + 1));
      if (i == 0) c.protect_until = kT0 + std::chrono::days{90};
      c.closed = start + 60s;
      REQUIRE(index.close_segment(id, c));
      ids.push_back(id);
    }
  }

  std::vector<ChainFinding> verify() { return index.verify_chain("nap-1", kNow).value(); }
  void sql(const std::string& text) { REQUIRE(index.connection().exec(text)); }
  std::string id(int i) const { return std::to_string(ids.at(static_cast<std::size_t>(i))); }
};

}  // namespace

TEST_CASE("every change of a segment row appends one linked entry and the chain verifies", "[db]") {
  Site site;
  REQUIRE(site.index.mark_segment_deleting(site.ids[1], kT0 + 1h, "retention: older than 1 day"));
  REQUIRE(site.index.mark_segment_deleted(site.ids[1], kT0 + 1h));
  REQUIRE(site.index.mark_segment_damaged(site.ids[2], "file missing at startup"));
  auto entries = site.index.chain_entries("nap-1").value();
  REQUIRE(entries.size() == 9);
  std::vector<std::string> kinds;
  for (const auto& e : entries) kinds.push_back(e.kind);
  CHECK(kinds == std::vector<std::string>{"opened", "closed", "opened", "closed", "opened", "closed", "deleting", "deleted",
                                          "damaged"});
  Sha256 previous{};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    CHECK(entries[i].seq == static_cast<std::int64_t>(i + 1));
    CHECK(entries[i].prev_hash == previous);
    CHECK(entries[i].hash == index::chain_entry_hash(entries[i]));
    previous = entries[i].hash;
  }
  CHECK(entries[7].record == index::segment_record(site.index.segment(site.ids[1]).value().value()));
  auto findings = site.verify();
  INFO(all(findings));
  CHECK(findings.empty());
}

TEST_CASE("the index refuses deleting a segment row and editing or deleting chain entries", "[db]") {
  Site site;
  for (const std::string& refused : std::vector<std::string>{"delete from segment where id = " + site.id(1), "delete from chain_entry",
                              std::string("update chain_entry set record = ''")}) {
    CAPTURE(refused);
    CHECK_FALSE(site.index.connection().exec(refused));
  }
  CHECK(site.verify().empty());
}

TEST_CASE("an attacker's edits of segment rows are named by the chain", "[db]") {
  Site site;
  REQUIRE(site.verify().empty());

  SECTION("a care segment marked deleted with protect_until cleared") {
    site.sql("update segment set state = 'deleted', protect_until_us = null, deleted_us = " +
             std::to_string(to_us(kT0 + 1h)) + " where id = " + site.id(0));
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].segment_id == site.ids[0]);
    CHECK(findings[0].seq == 2);  // entry 1 is its opening
    CHECK(contains(findings[0].problem, "the row was edited"));
    CHECK(contains(findings[0].problem, "state 'deleted' in the row, 'closed' in chain entry 2"));
    CHECK(contains(findings[0].problem, "protect_until_us null in the row"));
  }
  SECTION("times shifted by an hour") {
    site.sql("update segment set start_us = start_us + 3600000000, end_us = end_us + 3600000000 where id = " + site.id(1));
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].seq == 4);
    CHECK(contains(findings[0].problem, "start_us '" + std::to_string(to_us(kT0 + 60s + 1h)) + "' in the row"));
    CHECK(contains(findings[0].problem, "end_us"));
  }
  SECTION("size changed") {
    site.sql("update segment set size_bytes = 1 where id = " + site.id(2));
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "size_bytes '1' in the row, '7500002' in chain entry 6"));
  }
  SECTION("protection shortened") {
    site.sql("update segment set protect_until_us = " + std::to_string(to_us(kT0 + 1h)) + " where id = " + site.id(0));
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "protect_until_us"));
  }
  SECTION("a row deleted after dropping the trigger") {
    site.sql("drop trigger segment_no_delete");
    site.sql("delete from segment where id = " + site.id(1));
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].segment_id == site.ids[1]);
    CHECK(contains(findings[0].problem, "the row is gone from the index"));
  }
  SECTION("a row inserted outside carekeep") {
    site.sql("insert into segment (camera_id, run_id, seq, start_us, end_us, path, size_bytes, sha256, state, created_us) "
             "select camera_id, run_id, 9, start_us, end_us, 'nap-1/planted.mp4', 5, sha256, 'closed', created_us "
             "from segment where id = " + site.id(0));
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].seq == 0);
    CHECK(contains(findings[0].problem, "the row is not in the chain"));
  }
}

TEST_CASE("an attacker's edits of the chain itself are named at the entry", "[db]") {
  Site site;
  site.sql("drop trigger chain_entry_no_delete");
  site.sql("drop trigger chain_entry_no_update");

  SECTION("an entry deleted in the middle") {
    site.sql("delete from chain_entry where chain = 'nap-1' and seq = 4");  // segment 1's close
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() >= 2);
    CHECK(contains(all(findings), "#5] entries 4..4 are missing"));
    CHECK(contains(all(findings), "segment " + site.id(1) + ": the row was edited: "));  // against its opening
  }
  SECTION("a segment's entries deleted in the middle") {
    site.sql("delete from chain_entry where chain = 'nap-1' and seq in (3, 4)");
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() >= 2);
    CHECK(contains(all(findings), "#5] entries 3..4 are missing"));
    CHECK(contains(all(findings), "the row is not in the chain"));
  }
  SECTION("an entry's record edited together with its row") {
    site.sql("update segment set start_us = start_us + 3600000000 where id = " + site.id(1));
    auto row = site.index.segment(site.ids[1]).value().value();
    auto q = site.index.connection().prepare("update chain_entry set record = :r where chain = 'nap-1' and seq = 4").value();
    q.bind(":r", index::segment_record(row));
    REQUIRE(q.run());
    auto findings = site.verify();
    INFO(all(findings));
    // Named twice at the entry: its hash, and its start against the segment's opening.
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].seq == 4);
    CHECK(findings[1].seq == 4);
    CHECK(contains(findings[0].problem, "hash does not match the entry's contents"));
    CHECK(contains(findings[1].problem, "start_us moved later at close"));
  }
  SECTION("the last entry removed and its row put back as it was") {
    REQUIRE(site.index.mark_segment_deleting(site.ids[2], kT0 + 1h, "retention"));
    site.sql("delete from chain_entry where chain = 'nap-1' and seq = 7");
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "state 'deleting' in the row, 'closed' in chain entry 6"));
  }
}

TEST_CASE("entries appended by hand must still be legal changes", "[db]") {
  Site site;
  // The attacker knows the format and appends a well-linked 'deleting' entry for the
  // protected segment, then edits the row to match: the chain is intact, the change is not.
  site.sql("update segment set state = 'deleting' where id = " + site.id(0));
  auto tip = site.index.chain_entry_tip("nap-1").value().value();
  index::ChainEntry forged;
  forged.chain = "nap-1";
  forged.seq = tip.seq + 1;
  forged.time = kT0 + 1h;
  forged.kind = "deleting";
  forged.segment_id = site.ids[0];
  forged.record = index::segment_record(site.index.segment(site.ids[0]).value().value());
  forged.prev_hash = tip.hash;

  SECTION("dated when it happened, before the protection ended") {
  }
  SECTION("dated after the protection ended, which is in the future") {
    forged.time = kT0 + std::chrono::days{91};
  }
  SECTION("dated after the protection ended, in the future, on a row marked suspect_clock") {
    // A date ahead is a note only for the recording's own entries: a deletion dated ahead is
    // never explained by a suspect clock (retention does not delete on one).
    site.sql("update segment set suspect_clock = 1 where id = " + site.id(0));
    forged.record = index::segment_record(site.index.segment(site.ids[0]).value().value());
    forged.time = kT0 + std::chrono::days{91};
  }
  forged.hash = index::chain_entry_hash(forged);
  auto q = site.index.connection()
               .prepare("insert into chain_entry (chain, seq, time_us, kind, segment_id, record, prev_hash, hash) "
                        "values ('nap-1', :seq, :t, 'deleting', :id, :r, :p, :h)")
               .value();
  q.bind(":seq", forged.seq)
      .bind(":t", to_us(forged.time))
      .bind(":id", site.ids[0])
      .bind(":r", forged.record)
      .bind(":p", sqlite::Blob{forged.prev_hash.data(), forged.prev_hash.size()})
      .bind(":h", sqlite::Blob{forged.hash.data(), forged.hash.size()});
  REQUIRE(q.run());
  auto findings = site.verify();
  INFO(all(findings));
  REQUIRE_FALSE(findings.empty());
  auto text = all(findings);
  CHECK((contains(text, "before its protection ended") || contains(text, "after the time of this check")));
  for (const auto& f : findings) CHECK_FALSE(f.note);
}

TEST_CASE("holds are chained in the box chain and edits of them are named", "[db]") {
  Site site;
  auto hold = site.index.insert_hold({"nap-1", std::nullopt, kT0, kT0 + 1h, "case 2026-17", kT0, 1000, "ana"}).value();
  auto zone = site.index.insert_hold({std::nullopt, "rooms", kT0, kT0 + 1h, "complaint", kT0, 0, "root"}).value();
  REQUIRE(site.index.release_hold(zone, kT0 + 1h, 0, "root"));
  auto entries = site.index.chain_entries(index::kBoxChain).value();
  REQUIRE(entries.size() == 3);
  CHECK(entries[2].kind == "release");
  REQUIRE(site.index.verify_chain(index::kBoxChain, kNow).value().empty());

  SECTION("a hold released by editing its row") {
    site.sql("update hold set released_us = 1, released_uid = 0, released_user = 'x' where id = " + std::to_string(hold));
    auto findings = site.index.verify_chain(index::kBoxChain, kNow).value();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].hold_id == hold);
    CHECK(contains(findings[0].problem, "released_us '1' in the row, null in chain entry 1"));
  }
  SECTION("a hold deleted after dropping the trigger") {
    site.sql("drop trigger hold_no_delete");
    site.sql("delete from hold where id = " + std::to_string(hold));
    auto findings = site.index.verify_chain(index::kBoxChain, kNow).value();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "the row is gone"));
  }
}

TEST_CASE("an inspector's hold carries its case into the box chain, and edits of either are named", "[db]") {
  Site site;
  index::NewHold placed{"nap-1", std::nullopt, kT0, kT0 + 1h, "complaint of 20 Nov", kT0, 1001, "insp"};
  placed.case_number = "2026-031";
  placed.by_inspector = true;
  auto id = site.index.insert_hold(placed).value();
  auto rows = site.index.holds().value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].hold.case_number == std::optional<std::string>("2026-031"));
  CHECK(rows[0].hold.by_inspector);
  auto entries = site.index.chain_entries(index::kBoxChain).value();
  REQUIRE(entries.size() == 1);
  CHECK(contains(entries[0].record, "case_number=2026-031\nplaced_as=inspector\n"));
  REQUIRE(site.index.verify_chain(index::kBoxChain, kNow).value().empty());
  // The schema refuses an inspector's hold without its case.
  CHECK_FALSE(site.index.connection().exec("update hold set case_number = null where id = " + std::to_string(id)));

  SECTION("the case number changed") {
    site.sql("update hold set case_number = '2026-099' where id = " + std::to_string(id));
    auto findings = site.index.verify_chain(index::kBoxChain, kNow).value();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "case_number '2026-099' in the row, '2026-031' in chain entry 1"));
  }
  SECTION("made an operator's hold, which an operator could release") {
    site.sql("update hold set placed_as = 'operator' where id = " + std::to_string(id));
    auto findings = site.index.verify_chain(index::kBoxChain, kNow).value();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "placed_as null in the row, 'inspector' in chain entry 1"));
  }
}

TEST_CASE("an index from before the evidence chain adopts its rows at migration", "[db]") {
  test::TempDir dir;
  auto path = dir / "index.db";
  {
    auto db = sqlite::Connection::open_writer(path).value();
    REQUIRE(db.exec(test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "tests/data/schema/v4.sql")));
    REQUIRE(db.exec("pragma user_version = 4"));
    REQUIRE(db.exec("pragma application_id = " + std::to_string(index::kApplicationId)));
    REQUIRE(db.exec(R"sql(
      insert into camera (id, name, first_seen_us) values ('nap-1', 'nap', 0);
      insert into daemon_run (started_us, alive_us, version, pid, hostname) values (0, 0, '0.1.0', 1, 'nvr');
      insert into run (camera_id, daemon_run_id, started_us) values ('nap-1', 1, 0);
      insert into segment (camera_id, run_id, seq, start_us, duration_us, end_us, path, size_bytes, sha256, chain_sha256,
                           state, protect_until_us, created_us, closed_us)
        values ('nap-1', 1, 0, 0, 60000000, 60000000, 'nap-1/a.mp4', 10, zeroblob(32), zeroblob(32), 'closed', 99, 0, 60),
               ('nap-1', 1, 1, 60000000, 60000000, 120000000, 'nap-1/b.mp4', 11, zeroblob(32), zeroblob(32), 'deleted', null, 0, 60);
      insert into segment (camera_id, run_id, seq, start_us, end_us, path, created_us)
        values ('nap-1', 1, 2, 120000000, 120000000, 'nap-1/c.mp4', 0);
      insert into hold (camera_id, from_us, to_us, reason, created_us, created_uid, created_user)
        values ('nap-1', 0, 10, 'case', 0, 0, 'root');
    )sql"));
  }
  auto index = Index::open_writer(path).value();
  auto entries = index.chain_entries("nap-1").value();
  REQUIRE(entries.size() == 3);  // the open row is chained by migration 0012, as 'opened'
  CHECK(entries[0].kind == "adopted");
  CHECK(entries[1].kind == "adopted");
  CHECK(entries[2].kind == "opened");
  CHECK(index.segment_opening("nap-1", entries[2].segment_id.value()).value());
  CHECK(contains(entries[1].record, "state=deleted\n"));
  CHECK(index.chain_entries(index::kBoxChain).value().size() == 1);
  auto findings = index.verify_chain("nap-1", kNow).value();
  INFO(all(findings));
  CHECK(findings.empty());
  CHECK(index.verify_chain(index::kBoxChain, kNow).value().empty());
  // From now on, changes append after the adopted entries.
  REQUIRE(index.mark_segment_deleting(entries[0].segment_id.value(), kNow, "retention"));
  CHECK(index.verify_chain("nap-1", kNow).value().empty());
}

TEST_CASE("care sessions start and end once, are chained in the box chain, and edits of them are named", "[db]") {
  Site site;
  auto first = site.index.start_care_session({kT0, kT0 + 12h, "计时托 two children", 1001, "op"}).value();
  CHECK(first.open());
  CHECK(first.care_end() == kT0 + 12h);
  // One at a time: care is of the whole site.
  auto again = site.index.start_care_session({kT0 + 1min, kT0 + 13h, "", 1001, "op"});
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(again.error().message, "already open"));
  auto ended = site.index.end_care_session(first.id, kT0 + 2h, index::CareSessionEnd::Stopped, 1001, "op").value();
  CHECK(ended.ended == kT0 + 2h);
  CHECK(ended.care_end() == kT0 + 2h);
  auto twice = site.index.end_care_session(first.id, kT0 + 3h, index::CareSessionEnd::Stopped, 1001, "op");
  REQUIRE_FALSE(twice);
  CHECK(twice.error().kind == ErrorKind::NotFound);
  // A stop dated before the start (a clock set back) is refused: it would erase care time.
  auto third = site.index.start_care_session({kT0 + 3h, kT0 + 4h, "", 0, "root"}).value();
  auto back = site.index.end_care_session(third.id, kT0 + 2h, index::CareSessionEnd::Stopped, 0, "root");
  REQUIRE_FALSE(back);
  CHECK(back.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(back.error().message, "set back"));
  REQUIRE(site.index.end_care_session(third.id, kT0 + 3h + 30min, index::CareSessionEnd::Stopped, 0, "root"));
  // A limit more than 24 h after the start is refused.
  CHECK_FALSE(site.index.start_care_session({kT0 + 5h, kT0 + 30h, "", 0, "root"}));
  // An end past the limit is the limit: the session was over by then.
  auto second = site.index.start_care_session({kT0 + 5h, kT0 + 6h, "", 0, "root"}).value();
  auto limited = site.index.end_care_session(second.id, kT0 + 9h, index::CareSessionEnd::Limit, std::nullopt,
                                              std::nullopt).value();
  CHECK(limited.ended == kT0 + 6h);
  CHECK_FALSE(limited.ended_user);
  CHECK_FALSE(site.index.open_care_session().value());
  // Sessions meeting a range: the first ends at +2 h, the third covers +3 h..+3.5 h, the second +5 h..+6 h.
  CHECK(site.index.care_sessions({kT0 + 1h, kT0 + 3h}).value().size() == 1);
  CHECK(site.index.care_sessions({kT0 + 2h, kT0 + 3h}).value().empty());
  CHECK(site.index.care_sessions({kT0, kT0 + 24h}).value().size() == 3);
  CHECK(site.index.care_sessions({UtcTime::min(), UtcTime::max()}).value().size() == 3);
  auto entries = site.index.chain_entries(index::kBoxChain).value();
  REQUIRE(entries.size() == 6);
  CHECK(entries[0].kind == "care_start");
  CHECK(entries[1].kind == "care_end");
  CHECK(entries[1].care_session_id == first.id);
  REQUIRE(site.index.verify_chain(index::kBoxChain, kNow).value().empty());
  // The schema refuses a second end, and a change of anything but the end.
  CHECK_FALSE(site.index.connection().exec("update care_session set ended_us = ended_us + 1 where id = " +
                                           std::to_string(first.id)));
  CHECK_FALSE(site.index.connection().exec("delete from care_session where id = " + std::to_string(first.id)));

  SECTION("a session shortened by editing its row, triggers dropped") {
    site.sql("drop trigger care_session_end_once");
    site.sql("update care_session set ended_us = " + std::to_string(to_us(kT0 + 10min)) +
             " where id = " + std::to_string(first.id));
    auto findings = site.index.verify_chain(index::kBoxChain, kNow).value();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].care_session_id == first.id);
    CHECK(contains(findings[0].problem, "care session " + std::to_string(first.id) + ": the row was edited: ended_us"));
  }
  SECTION("a session deleted after dropping the trigger") {
    site.sql("drop trigger care_session_no_delete");
    site.sql("delete from care_session where id = " + std::to_string(second.id));
    auto findings = site.index.verify_chain(index::kBoxChain, kNow).value();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "the row is gone"));
  }
  SECTION("a session inserted by hand") {
    site.sql("insert into care_session (started_us, limit_us, started_uid, started_user) values (1, 2, 0, 'x')");
    auto findings = site.index.verify_chain(index::kBoxChain, kNow).value();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "not in the chain"));
  }
}

TEST_CASE("an open row is chained when written, and a hand-inserted one is named", "[db]") {
  // Issue 15, review G: crash recovery adopts a file only for an open row the chain has seen.
  Site site;
  auto daemon = site.index.begin_daemon_run({kT0 + 1h, "0.1.0", 4243, "nvr"}).value();
  auto run = site.index.begin_run("nap-1", daemon, kT0 + 1h).value();
  auto id = site.index.insert_open_segment({"nap-1", run, 0, kT0 + 1h, "nap-1/open.mp4", kT0 + 1h}).value();
  auto opening = site.index.segment_opening("nap-1", id).value();
  REQUIRE(opening);
  CHECK(opening->kind == "opened");
  CHECK(opening->record == index::segment_opening_record(site.index.segment(id).value().value()));
  CHECK(site.verify().empty());

  SECTION("a hand-inserted open row is not in the chain") {
    site.sql("insert into segment (camera_id, run_id, seq, start_us, end_us, path, created_us) values ('nap-1', " +
             std::to_string(run) + ", 7, 0, 0, 'nap-1/planted.mp4', 0)");
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "the open row is not in the chain"));
  }
  SECTION("an open row edited after its opening") {
    site.sql("update segment set path = 'nap-1/other.mp4' where id = " + std::to_string(id));
    auto findings = site.verify();
    INFO(all(findings));
    REQUIRE(findings.size() == 1);
    CHECK(contains(findings[0].problem, "the row was edited: path"));
  }
  SECTION("a close may date the start back, never forward, and keeps the rest of the opening") {
    ClosedSegment c;
    c.duration = 60s;
    c.sha256 = hash_of(9);
    c.closed = kT0 + 1h + 60s;
    SECTION("earlier") {
      c.start = kT0 + 1h - 2s;
      REQUIRE(site.index.close_segment(id, c));
      CHECK(site.verify().empty());
    }
    SECTION("later, written by hand around the index") {
      c.start = kT0 + 1h + 5s;
      REQUIRE(site.index.close_segment(id, c));
      auto findings = site.verify();
      INFO(all(findings));
      REQUIRE(findings.size() == 1);
      CHECK(contains(findings[0].problem, "start_us moved later at close"));
    }
  }
}
