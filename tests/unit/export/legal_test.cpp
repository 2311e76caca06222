// verify's cross-checks of legal steps (export/legal.hpp; docs/evidence.md, "Legal steps
// cross-checked") on a real index file. The attacker has SQL access but not the key, and after
// the newest anchor appends entries that are each a legal step on their own: a deletion of
// unprotected footage, a hold's release. The Index API writes exactly the row and chain entry
// such a hand-made step consists of (what tests/review/forge.py does by SQL); what it does not
// write is what carekeep writes with it: the access-log rows of holds and retention passes.
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "export/legal.hpp"
#include "export/verify.hpp"
#include "index/index.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Two cameras with a closed, unprotected minute every 10 minutes from kT0 (six each).
struct Box {
  test::TempDir dir;
  index::Index index = index::Index::open_writer(dir / "index.db").value();
  std::map<std::string, std::vector<index::SegmentId>> ids;
  index::DaemonRunId daemon = 0;

  Box() {
    const std::array<index::ConfiguredCamera, 2> cameras{{{"nap-1", "nap 1"}, {"nap-2", "nap 2"}}};
    REQUIRE(index.sync_cameras(cameras, kT0));
    daemon = index.begin_daemon_run({kT0, "0.1.0", 4242, "nvr"}).value();
    for (const auto& c : cameras) {
      auto run = index.begin_run(c.id, daemon, kT0).value();
      for (int i = 0; i < 6; ++i) {
        UtcTime start = kT0 + i * 10min;
        auto id = index.insert_open_segment({c.id, run, i, start, c.id + "/" + std::to_string(i) + ".mp4", start}).value();
        index::ClosedSegment closed;
        closed.duration = 60s;
        closed.size_bytes = 1000;
        closed.video_codec = "h264";
        closed.closed = start + 60s;
        REQUIRE(index.close_segment(id, closed));
        ids[c.id].push_back(id);
      }
    }
  }

  void log(UtcTime at, std::int64_t uid, const std::string& user, const std::string& action, const Json& args,
           const std::string& result = "ok") {
    REQUIRE(index.append_access_log({at, uid, user, action, args.dump(), result}));
  }
  // A hold placed as `carekeep hold add` places it: the row, then its access-log row.
  std::int64_t hold(index::NewHold h, bool logged = true) {
    auto id = index.insert_hold(h).value();
    if (logged)
      log(h.created + 1s, h.created_uid, h.created_user, "hold_add",
          {{"id", id}, {"camera", h.camera_id ? Json(*h.camera_id) : Json(nullptr)},
           {"zone", h.zone_id ? Json(*h.zone_id) : Json(nullptr)}, {"reason", h.reason},
           {"placed_as", h.by_inspector ? "inspector" : "operator"}});
    return id;
  }
  void release(std::int64_t id, UtcTime at, std::int64_t uid, const std::string& user,
               std::optional<std::string> role = "operator") {
    REQUIRE(index.release_hold(id, at, uid, user));
    if (role) log(at + 1s, uid, user, "hold_release", {{"id", id}, {"role", *role}});
  }
  // The attacker's deletion: a legal step, entries and row, dated `at`.
  void remove(index::SegmentId id, UtcTime at) {
    REQUIRE(index.mark_segment_deleting(id, at, "expired"));
    REQUIRE(index.mark_segment_deleted(id, at + 1s));
  }
  exports::LegalCheckResult check(UtcTime now, exports::LegalCheckOptions options = {}) {
    options.now = now;
    std::vector<std::string> cameras{"nap-1", "nap-2"};
    return exports::check_legal_steps(index, cameras, options).value();
  }
};

std::string kinds(const std::vector<exports::Finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += f.kind + " " + f.camera + " " + std::to_string(f.segment_id) + ": " + f.detail + "\n";
  return out;
}

}  // namespace

TEST_CASE("a deletion dated while a hold kept the footage is deleted_while_held", "[db]") {
  Box box;
  const auto& nap1 = box.ids["nap-1"];
  // Hold 1: nap-1 from kT0 to kT0 + 25 min (segments 0-2), placed a day later by an inspector.
  index::NewHold camera_hold{"nap-1", std::nullopt, kT0, kT0 + 25min, "complaint", kT0 + 24h, 1001, "insp"};
  camera_hold.case_number = "2026-17";
  camera_hold.by_inspector = true;
  auto hold = box.hold(camera_hold);
  CHECK(kinds(box.check(kT0 + 48h).findings).empty());

  SECTION("held footage deleted while the hold is active") {
    box.remove(nap1[1], kT0 + 30h);
    box.remove(nap1[4], kT0 + 30h);  // outside the hold's range: legal
    auto result = box.check(kT0 + 48h);
    INFO(kinds(result.findings));
    REQUIRE(result.findings.size() == 1);
    const auto& f = result.findings[0];
    CHECK(f.kind == "deleted_while_held");
    CHECK(f.camera == "nap-1");
    CHECK(f.segment_id == nap1[1]);
    CHECK(f.path == "nap-1/1.mp4");
    CHECK(contains(f.detail, "hold " + std::to_string(hold) + " (case 2026-17) on camera nap-1"));
    CHECK(contains(f.detail, "entered 'deleting' at 2026-11-19T17:06:40Z while hold"));
    CHECK(contains(f.detail, "retention refuses held footage"));
    CHECK(result.notes.empty());
    // And verify reports it (exit 4 in the CLI: a finding, not a note).
    exports::VerifyOptions options;
    options.quick = true;
    options.now = kT0 + 48h;
    auto report = exports::verify_footage(box.index, box.dir / "media", options, {}).value();
    CHECK(contains(kinds(report.findings), "deleted_while_held nap-1 " + std::to_string(nap1[1])));
  }
  SECTION("deleted after a release, or before the hold was placed: not held") {
    box.remove(nap1[0], kT0 + 20h);  // before the hold
    box.release(hold, kT0 + 40h, 1001, "insp", "inspector");
    box.remove(nap1[1], kT0 + 41h);
    auto result = box.check(kT0 + 48h);
    CHECK(kinds(result.findings).empty());
    CHECK(kinds(result.notes).empty());
  }
  SECTION("deleted an hour before a release that came later: still a finding") {
    box.remove(nap1[2], kT0 + 39h);
    box.release(hold, kT0 + 40h, 1001, "insp", "inspector");
    auto result = box.check(kT0 + 48h);
    INFO(kinds(result.findings));
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].segment_id == nap1[2]);
    CHECK(contains(result.findings[0].detail, "released 2026-11-20T03:06:40Z"));
  }
  SECTION("within the races of a retention pass: a note, not a finding") {
    box.remove(nap1[0], kT0 + 24h + 30s);  // a batch deciding as the hold was placed
    box.remove(nap1[1], kT0 + 39h + 55min);  // a pass begun 5 min before the release
    box.release(hold, kT0 + 40h, 1001, "insp", "inspector");
    auto result = box.check(kT0 + 48h);
    CHECK(kinds(result.findings).empty());
    INFO(kinds(result.notes));
    REQUIRE(result.notes.size() == 2);
    CHECK(contains(result.notes[0].detail, "within 1 min of the hold's placement"));
    CHECK(contains(result.notes[1].detail, "within 10 min before its release"));
  }
}

TEST_CASE("a zone hold covers the cameras of the zone in force when the footage was deleted", "[db]") {
  Box box;
  box.hold({std::nullopt, std::string("naps"), kT0, kT0 + 1h, "case 7", kT0 + 1h, 0, "root"});
  box.remove(box.ids["nap-1"][0], kT0 + 2h);
  box.remove(box.ids["nap-2"][0], kT0 + 2h);
  exports::LegalCheckOptions options;
  UtcTime asked_at{};
  options.zone_cameras = [&](std::string_view zone, UtcTime at) -> std::optional<std::vector<std::string>> {
    asked_at = at;
    if (zone == "naps") return std::vector<std::string>{"nap-2"};
    return std::nullopt;
  };
  auto result = box.check(kT0 + 3h, options);
  INFO(kinds(result.findings));
  REQUIRE(result.findings.size() == 1);
  CHECK(result.findings[0].camera == "nap-2");
  CHECK(contains(result.findings[0].detail, "on zone naps"));
  CHECK(asked_at == kT0 + 2h);  // the configuration of the deletion's time
  // A zone the configuration does not name (or no resolver) holds every camera, as retention errs.
  CHECK(box.check(kT0 + 3h).findings.size() == 2);
}

TEST_CASE("holds and releases without their access-log rows are hold_unaccounted and release_unaccounted", "[db]") {
  Box box;
  index::NewHold h{"nap-1", std::nullopt, kT0, kT0 + 1h, "complaint", kT0 + 2h, 1000, "ana"};

  SECTION("placed through carekeep: clean") {
    box.hold(h);
    CHECK(kinds(box.check(kT0 + 3h).findings).empty());
  }
  SECTION("placed by hand: no row, a refused row, a row of another time") {
    auto id = box.hold(h, false);
    auto result = box.check(kT0 + 3h);
    INFO(kinds(result.findings));
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].kind == "hold_unaccounted");
    CHECK(contains(result.findings[0].detail, "hold " + std::to_string(id) + " on camera nap-1"));
    CHECK(contains(result.findings[0].detail, "no 'hold_add' row"));
    box.log(h.created, 1000, "ana", "hold_add", {{"id", id}}, "refused: not permitted");
    box.log(h.created + 10min, 1000, "ana", "hold_add", {{"id", id}});
    CHECK(box.check(kT0 + 3h).findings.size() == 1);
  }
  SECTION("an inspector's hold released by hand, or by someone who may not") {
    h.by_inspector = true;
    h.case_number = "2026-17";
    auto id = box.hold(h);
    SECTION("no row") {
      box.release(id, kT0 + 5h, 0, "root", std::nullopt);
      auto result = box.check(kT0 + 6h);
      INFO(kinds(result.findings));
      REQUIRE(result.findings.size() == 1);
      CHECK(result.findings[0].kind == "release_unaccounted");
      CHECK(contains(result.findings[0].detail, "(case 2026-17)"));
      CHECK(contains(result.findings[0].detail, "no 'hold_release' row"));
    }
    SECTION("the operator") {
      box.release(id, kT0 + 5h, 1000, "ana", "operator");
      auto result = box.check(kT0 + 6h);
      INFO(kinds(result.findings));
      REQUIRE(result.findings.size() == 1);
      CHECK(result.findings[0].kind == "release_unaccounted");
      CHECK(contains(result.findings[0].detail, "released by ana (uid 1000), who is neither root nor in the inspector group"));
      // Unless the group says ana is an inspector after all.
      exports::LegalCheckOptions options;
      options.is_inspector = [](std::int64_t uid) { return uid == 1000; };
      CHECK(box.check(kT0 + 6h, options).findings.empty());
    }
    SECTION("the chain and the row disagree on who") {
      REQUIRE(box.index.release_hold(id, kT0 + 5h, 1000, "ana"));
      box.log(kT0 + 5h, 0, "root", "hold_release", {{"id", id}, {"role", "admin"}});
      auto result = box.check(kT0 + 6h);
      REQUIRE(result.findings.size() == 1);
      CHECK(contains(result.findings[0].detail, "one of them was edited"));
    }
    SECTION("an inspector, or root") {
      box.release(id, kT0 + 5h, 1001, "insp", "inspector");
      CHECK(kinds(box.check(kT0 + 6h).findings).empty());
    }
    SECTION("root") {
      box.release(id, kT0 + 5h, 0, "root", "admin");
      CHECK(kinds(box.check(kT0 + 6h).findings).empty());
    }
  }
  SECTION("an export's own hold without rows (exports logged none before): a note") {
    h.reason = "export to /media/usb/case-17 in progress (pid 4242)";
    auto id = box.hold(h, false);
    REQUIRE(box.index.release_hold(id, kT0 + 5h, 998, "carekeepd"));
    auto result = box.check(kT0 + 6h);
    CHECK(result.findings.empty());
    REQUIRE(result.notes.size() == 2);
    CHECK(contains(result.notes[0].detail, "an export's own hold"));
  }
  SECTION("an operator's hold released by its operator") {
    auto id = box.hold(h);
    box.release(id, kT0 + 5h, 1000, "ana");
    CHECK(kinds(box.check(kT0 + 6h).findings).empty());
  }
}

namespace {

// The row a retention pass writes, as carekeepd records it (daemon/retention_task.cpp,
// record_deletions: per camera and reason, the planned rows the pass got through).
// A pass's row as carekeepd writes it; `decided`, when given, is the time its entries carry.
void log_pass(Box& box, UtcTime at, std::map<std::string, int> per_camera, std::optional<UtcTime> decided = {}) {
  Json by_camera = Json::object();
  int total = 0;
  for (const auto& [camera, n] : per_camera) {
    by_camera[camera]["expired"] = {{"segments", n}, {"bytes", n * 1000}};
    total += n;
  }
  Json args{{"trigger", "periodic"}, {"deleted", total}, {"bytes", total * 1000}, {"by_camera", by_camera}};
  if (decided) args["decided_us"] = to_us(*decided);
  box.log(at, 998, "carekeepd", "retention_delete", args);
}

}  // namespace

TEST_CASE("retention deletions beyond what the passes logged are deletion_unaccounted", "[db]") {
  Box box;
  const auto& nap1 = box.ids["nap-1"];
  const auto& nap2 = box.ids["nap-2"];
  // Before the first stored configuration (an index from before passes were logged): not judged.
  box.remove(nap1[0], kT0 + 1h);
  REQUIRE(box.index.store_config_version({kT0 + 2h, index::ConfigLoadSource::Start, 998, "carekeepd", "[site]\n"}));
  // Pass 1 at kT0 + 3h: one segment of each camera, logged.
  box.remove(nap1[1], kT0 + 3h);
  box.remove(nap2[1], kT0 + 3h);
  log_pass(box, kT0 + 3h + 2s, {{"nap-1", 1}, {"nap-2", 1}});
  CHECK(kinds(box.check(kT0 + 10h).findings).empty());

  SECTION("one more deletion before the next pass's row") {
    box.remove(nap1[2], kT0 + 4h);  // forged
    box.remove(nap1[3], kT0 + 5h);  // pass 2
    log_pass(box, kT0 + 5h + 2s, {{"nap-1", 1}});
    auto result = box.check(kT0 + 10h);
    INFO(kinds(result.findings));
    REQUIRE(result.findings.size() == 1);
    const auto& f = result.findings[0];
    CHECK(f.kind == "deletion_unaccounted");
    CHECK(f.camera == "nap-1");
    CHECK(contains(f.detail, "2 segment(s) entered 'deleting' (segments"));
    CHECK(contains(f.detail, "segments " + std::to_string(nap1[2]) + " (entry"));
    CHECK(contains(f.detail, "counts 1 for this camera: 1 deletion(s) no retention pass accounts for"));
  }
  SECTION("after the newest pass's row: a note while a pass may run, a finding an hour on") {
    box.remove(nap2[2], kT0 + 6h);
    auto early = box.check(kT0 + 6h + 5min);
    CHECK(early.findings.empty());
    REQUIRE(early.notes.size() == 1);
    CHECK(contains(early.notes[0].detail, "a pass may still be running"));
    auto late = box.check(kT0 + 10h);
    INFO(kinds(late.findings));
    REQUIRE(late.findings.size() == 1);
    CHECK(late.findings[0].camera == "nap-2");
    CHECK(late.findings[0].segment_id == nap2[2]);
    CHECK(contains(late.findings[0].detail, "after the newest retention pass's access-log row"));
    // With the daemon stopped no pass can be running: a finding at once.
    REQUIRE(box.index.end_daemon_run(box.daemon, kT0 + 6h + 1min, "signal"));
    CHECK(box.check(kT0 + 6h + 5min).findings.size() == 1);
  }
  SECTION("a clock stepped back between two passes: each row takes the entries of its decision") {
    // Pass 2 decides at 5 h and logs at 5 h + 2 s; the clock then steps back a minute, and
    // pass 3 decides a minute later at 5 h + 1 s, before pass 2's row: by time alone its entry
    // falls in pass 2's window, which then counts 2 against 1.
    box.remove(nap1[2], kT0 + 5h);
    box.remove(nap1[3], kT0 + 5h + 1s);
    SECTION("rows with their decision times: clean") {
      log_pass(box, kT0 + 5h + 2s, {{"nap-1", 1}}, kT0 + 5h);
      log_pass(box, kT0 + 5h + 3s, {{"nap-1", 1}}, kT0 + 5h + 1s);
      auto result = box.check(kT0 + 10h);
      INFO(kinds(result.findings));
      CHECK(result.findings.empty());
    }
    SECTION("rows without them (before 2026-12-08): judged by time, a finding") {
      log_pass(box, kT0 + 5h + 2s, {{"nap-1", 1}});
      log_pass(box, kT0 + 5h + 3s, {{"nap-1", 1}});
      auto result = box.check(kT0 + 10h);
      INFO(kinds(result.findings));
      REQUIRE(result.findings.size() == 1);
      CHECK(result.findings[0].kind == "deletion_unaccounted");
    }
  }
  SECTION("a crash between: a note, the pass may have been cut short") {
    box.remove(nap1[2], kT0 + 4h);
    auto crashed = box.index.begin_daemon_run({kT0 + 3h + 30min, "0.1.0", 4243, "nvr"}).value();
    REQUIRE(box.index.end_daemon_run(crashed, kT0 + 4h + 1min, "crash"));
    log_pass(box, kT0 + 5h, {});
    auto result = box.check(kT0 + 10h);
    CHECK(result.findings.empty());
    REQUIRE(result.notes.size() == 1);
    CHECK(contains(result.notes[0].detail, "crashed at 2026-11-18"));
  }
}
