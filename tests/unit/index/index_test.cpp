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
using index::OpenSegment;
using index::SegmentState;
using index::Sha256;
using index::TimeRange;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18, a Wednesday

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

Sha256 hash_of(std::uint8_t seed) {
  Sha256 h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(seed + i);
  return h;
}

// An index with one configured camera, a running daemon and one live RTSP run.
struct Recording {
  test::TempDir dir;
  Index index = Index::open_writer(dir / "index.db").value();
  index::DaemonRunId daemon = 0;
  index::RunId run = 0;

  Recording() {
    const std::array<index::ConfiguredCamera, 1> cameras{{{"nap-1", "午睡室 1"}}};
    REQUIRE(index.sync_cameras(cameras, kT0));
    daemon = index.begin_daemon_run({kT0, "0.1.0", 4242, "nvr"}).value();
    run = index.begin_run("nap-1", daemon, kT0).value();
  }

  index::SegmentId open(std::int64_t seq, UtcTime start) {
    auto path = "nap-1/2026-11-18/" + std::to_string(seq) + ".mp4";
    return index.insert_open_segment(OpenSegment{"nap-1", run, seq, start, path, start}).value();
  }

  ClosedSegment closed(std::uint8_t seed, Micros duration = 60s) const {
    ClosedSegment c;
    c.duration = duration;
    c.size_bytes = 7'500'000;
    c.frames = 1500;
    c.keyframes = 30;
    c.video_codec = "h264";
    c.width = 1920;
    c.height = 1080;
    c.sha256 = hash_of(seed);
    c.protect_until = kT0 + std::chrono::days{90};
    c.closed = kT0 + duration;
    return c;
  }
};

}  // namespace

TEST_CASE("a segment round-trips through insert, close and listing", "[db]") {
  Recording r;
  auto id = r.open(0, kT0);
  auto open = r.index.open_segments().value();
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == id);
  CHECK(open[0].state == SegmentState::Open);
  CHECK(open[0].end == kT0);
  CHECK_FALSE(open[0].sha256);

  auto closed = r.closed(1, 59'960ms);
  closed.audio_codec = "aac";
  REQUIRE(r.index.close_segment(id, closed));
  CHECK(r.index.open_segments().value().empty());

  auto rows = r.index.segments("nap-1", {kT0, kT0 + 1h}).value();
  REQUIRE(rows.size() == 1);
  const auto& s = rows[0];
  CHECK(s.id == id);
  CHECK(s.camera_id == "nap-1");
  CHECK(s.run_id == r.run);
  CHECK(s.seq == 0);
  CHECK(s.start == kT0);
  CHECK(s.duration == 59'960ms);
  CHECK(s.end == kT0 + 59'960ms);  // derived from start and media duration, never passed separately
  CHECK(s.path == "nap-1/2026-11-18/0.mp4");
  CHECK(s.size_bytes == 7'500'000);
  CHECK(s.frames == 1500);
  CHECK(s.keyframes == 30);
  CHECK(s.video_codec == "h264");
  CHECK(s.width == 1920);
  CHECK(s.height == 1080);
  CHECK(s.audio_codec == "aac");
  CHECK(s.sha256 == hash_of(1));
  CHECK(s.chain_sha256 == index::file_chain_link(Sha256{}, hash_of(1)));  // linked by the index
  CHECK(s.state == SegmentState::Closed);
  CHECK(s.protect_until == kT0 + std::chrono::days{90});
  CHECK(s.created == kT0);
  CHECK(s.closed == kT0 + 59'960ms);
  CHECK_FALSE(s.deleted);
}

TEST_CASE("a start corrected at close moves the start and the end, an empty one keeps the start", "[db]") {
  Recording r;
  auto late = r.open(0, kT0 + 1'500ms);  // the first packet was read 1.5 s late
  auto corrected = r.closed(1, 60s);
  corrected.start = kT0;
  REQUIRE(r.index.close_segment(late, corrected));
  auto next = r.open(1, kT0 + 60s);
  REQUIRE(r.index.close_segment(next, r.closed(2, 60s)));

  auto rows = r.index.segments("nap-1", {kT0, kT0 + 1h}).value();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].start == kT0);
  CHECK(rows[0].end == kT0 + 60s);
  CHECK(rows[0].path == "nap-1/2026-11-18/0.mp4");  // the file keeps its name
  CHECK(rows[1].start == kT0 + 60s);
  CHECK(rows[1].end == kT0 + 120s);
}

TEST_CASE("a segment closes once, and only as closed, recovered or damaged", "[db]") {
  Recording r;
  auto id = r.open(0, kT0);
  auto as_deleted = r.closed(1);
  as_deleted.state = SegmentState::Deleted;
  auto wrong = r.index.close_segment(id, as_deleted);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().kind == ErrorKind::InvalidArgument);

  REQUIRE(r.index.close_segment(id, r.closed(1)));
  auto twice = r.index.close_segment(id, r.closed(2));
  REQUIRE_FALSE(twice);
  CHECK(twice.error().kind == ErrorKind::FailedPrecondition);
  CHECK(r.index.segments("nap-1", {kT0, kT0 + 1h}).value().at(0).sha256 == hash_of(1));  // first hash kept
  CHECK_FALSE(r.index.close_segment(12345, r.closed(3)));

  auto recovered_id = r.open(1, kT0 + 60s);
  auto recovered = r.closed(4);
  recovered.state = SegmentState::Recovered;
  recovered.state_detail = "truncated 48213 bytes after the last complete fragment";
  recovered.protect_until.reset();
  REQUIRE(r.index.close_segment(recovered_id, recovered));
  auto row = r.index.segments("nap-1", {kT0 + 60s, kT0 + 61s}).value().at(0);
  CHECK(row.state == SegmentState::Recovered);
  CHECK(row.state_detail == recovered.state_detail);
  CHECK_FALSE(row.protect_until);
}

TEST_CASE("a closed segment whose file is gone is marked damaged, keeping its evidence", "[db]") {
  Recording r;
  auto open_id = r.open(0, kT0);
  auto wrong = r.index.mark_segment_damaged(open_id, "file missing");
  REQUIRE_FALSE(wrong);  // an open segment is recovery's business: it is closed, not marked
  CHECK(wrong.error().kind == ErrorKind::FailedPrecondition);
  REQUIRE(r.index.close_segment(open_id, r.closed(1)));
  REQUIRE(r.index.mark_segment_damaged(open_id, "file missing at startup"));
  auto row = r.index.segments("nap-1", {kT0, kT0 + 1h}).value().at(0);
  CHECK(row.state == SegmentState::Damaged);
  CHECK(row.state_detail == "file missing at startup");
  CHECK(row.sha256 == hash_of(1));
  CHECK(row.chain_sha256 == index::file_chain_link(Sha256{}, hash_of(1)));
  CHECK(row.size_bytes == 7'500'000);
  CHECK(r.index.mark_segment_damaged(open_id, "again").error().kind == ErrorKind::FailedPrecondition);
}

TEST_CASE("segment spans give each row's span, state and run, and whether a damaged file is gone", "[db]") {
  Recording r;
  // Six minute segments, every state coverage tells apart; two damaged ones whose files went
  // (in the words recovery and the catalog write), one that is there but unreadable, and a
  // recovered one whose detail also mentions a missing file (only damaged rows count).
  std::vector<index::SegmentId> ids;
  for (std::int64_t i = 0; i < 6; ++i) ids.push_back(r.open(i, kT0 + i * 60s));
  auto close_as = [&](std::size_t i, SegmentState state, std::string detail) {
    auto c = r.closed(static_cast<std::uint8_t>(i));
    c.state = state;
    c.state_detail = std::move(detail);
    REQUIRE(r.index.close_segment(ids[i], c));
  };
  close_as(0, SegmentState::Closed, "");
  close_as(1, SegmentState::Damaged, "no complete fragment was written, file removed: eof");
  close_as(2, SegmentState::Damaged, "moov unreadable; file missing bytes");
  close_as(3, SegmentState::Recovered, "file missing at startup is not how a recovered row reads");
  close_as(4, SegmentState::Closed, "");
  REQUIRE(r.index.mark_segment_damaged(ids[4], "file missing at startup 2026-11-18T00:05:00Z (was closed)"));
  // ids[5] stays open: it reaches +infinity, so a range starting after it still lists it.

  auto spans = r.index.segment_spans("nap-1", {kT0 + 30s, kT0 + 10min}).value();
  REQUIRE(spans.size() == 6);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    CAPTURE(i);
    CHECK(spans[i].id == ids[i]);
    CHECK(spans[i].run_id == r.run);
    CHECK(spans[i].start == kT0 + static_cast<std::int64_t>(i) * 60s);
  }
  CHECK(spans[0].end == kT0 + 60s);
  CHECK(spans[5].end == spans[5].start);  // open
  std::vector<SegmentState> states;
  std::vector<bool> missing;
  for (const auto& s : spans) {
    states.push_back(s.state);
    missing.push_back(s.file_missing);
  }
  CHECK(states == std::vector<SegmentState>{SegmentState::Closed, SegmentState::Damaged, SegmentState::Damaged,
                                            SegmentState::Recovered, SegmentState::Damaged, SegmentState::Open});
  CHECK(missing == std::vector<bool>{false, true, false, false, true, false});
  // Only rows overlapping the range, the open one included.
  auto later = r.index.segment_spans("nap-1", {kT0 + 2h, kT0 + 3h}).value();
  REQUIRE(later.size() == 1);
  CHECK(later[0].id == ids[5]);
}

TEST_CASE("a segment row cannot contradict the runs and files it describes", "[db]") {
  Recording r;
  r.open(0, kT0);
  SECTION("two segments with one number in a run") {
    auto dup = r.index.insert_open_segment({"nap-1", r.run, 0, kT0 + 60s, "other.mp4", kT0});
    REQUIRE_FALSE(dup);
    CHECK(dup.error().kind == ErrorKind::Internal);
    CHECK(contains(dup.error().message, "UNIQUE constraint failed: segment.run_id, segment.seq"));
  }
  SECTION("two rows for one file") {
    auto dup = r.index.insert_open_segment({"nap-1", r.run, 1, kT0 + 60s, "nap-1/2026-11-18/0.mp4", kT0});
    REQUIRE_FALSE(dup);
    CHECK(contains(dup.error().message, "segment.path"));
  }
  SECTION("an unknown camera") {
    auto ghost = r.index.insert_open_segment({"ghost", r.run, 5, kT0, "ghost.mp4", kT0});
    REQUIRE_FALSE(ghost);
    CHECK(contains(ghost.error().message, "camera ghost: indexing ghost.mp4"));
    CHECK(contains(ghost.error().message, "FOREIGN KEY constraint failed"));
  }
}

TEST_CASE("listing by time range returns overlapping segments in start order", "[db]") {
  Recording r;
  for (int i = 0; i < 5; ++i) {
    auto id = r.open(i, kT0 + i * 60s);
    REQUIRE(r.index.close_segment(id, r.closed(static_cast<std::uint8_t>(i))));
  }
  auto open_id = r.open(5, kT0 + 300s);  // still being written

  auto starts = [&](TimeRange range) {
    std::vector<std::int64_t> seqs;
    auto rows = r.index.segments("nap-1", range).value();  // not in the for: value() of a temporary dangles
    for (const auto& s : rows) seqs.push_back(s.seq);
    return seqs;
  };
  CHECK(starts({kT0 + 60s, kT0 + 120s}) == std::vector<std::int64_t>{1});  // half-open: touching ends excluded
  CHECK(starts({kT0 + 90s, kT0 + 150s}) == std::vector<std::int64_t>{1, 2});
  CHECK(starts({kT0 - 1h, kT0}).empty());
  CHECK(starts({kT0 + 299s, kT0 + 1h}) == std::vector<std::int64_t>{4, 5});
  CHECK(starts({kT0 + 2h, kT0 + 3h}) == std::vector<std::int64_t>{5});  // an open segment is still growing
  CHECK(r.index.segments("other", {kT0, kT0 + 1h}).value().empty());
  CHECK(r.index.open_segments().value().at(0).id == open_id);
}

TEST_CASE("the chain tip follows insertion order, not wall-clock order", "[db]") {
  Recording r;
  CHECK(r.index.last_closed_chain("nap-1").value() == std::nullopt);
  auto first = r.open(0, kT0);
  REQUIRE(r.index.close_segment(first, r.closed(1)));
  const auto link1 = index::file_chain_link(Sha256{}, hash_of(1));
  CHECK(r.index.last_closed_chain("nap-1").value() == link1);
  // The wall clock stepped back an hour: the next segment starts "earlier" but chains later.
  auto second = r.open(1, kT0 - 1h);
  CHECK(r.index.last_closed_chain("nap-1").value() == link1);  // open segments are not chained yet
  REQUIRE(r.index.close_segment(second, r.closed(2)));
  CHECK(r.index.last_closed_chain("nap-1").value() == index::file_chain_link(link1, hash_of(2)));
  CHECK(r.index.last_closed_chain("nap-2").value() == std::nullopt);
}

TEST_CASE("cameras follow the configuration without losing their history", "[db]") {
  Recording r;
  std::vector<index::ConfiguredCamera> config{{"nap-1", "午睡室"}, {"play", "活动室"}};
  REQUIRE(r.index.sync_cameras(config, kT0 + 1h));
  auto cameras = r.index.cameras().value();
  REQUIRE(cameras.size() == 2);
  CHECK(cameras[0].id == "nap-1");
  CHECK(cameras[0].name == "午睡室");            // renamed
  CHECK(cameras[0].first_seen == kT0);          // but first seen when it was first configured
  CHECK(cameras[1].first_seen == kT0 + 1h);

  config.erase(config.begin());
  REQUIRE(r.index.sync_cameras(config, kT0 + 2h));
  cameras = r.index.cameras().value();
  REQUIRE(cameras.size() == 2);                 // its footage still refers to it
  CHECK(cameras[0].removed == kT0 + 2h);
  CHECK_FALSE(cameras[1].removed);

  REQUIRE(r.index.sync_cameras(config, kT0 + 3h));  // staying removed keeps the first removal time
  CHECK(r.index.cameras().value()[0].removed == kT0 + 2h);

  config.push_back({"nap-1", "午睡室 1"});
  REQUIRE(r.index.sync_cameras(config, kT0 + 4h));
  CHECK_FALSE(r.index.cameras().value()[0].removed);
}

TEST_CASE("daemon runs end cleanly, or as crashes at their last proof of life", "[db]") {
  Recording r;
  auto seg = r.open(0, kT0);
  REQUIRE(r.index.close_segment(seg, r.closed(1, 90s)));
  REQUIRE(r.index.mark_daemon_alive(r.daemon, kT0 + 60s));
  // The process dies here. The next start finds the run that never stopped.
  CHECK(r.index.end_crashed_daemon_runs().value() == 1);
  auto runs = r.index.daemon_runs({kT0, kT0 + 1h}).value();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].stopped == kT0 + 60s);
  CHECK(runs[0].stop_reason == "crash");
  CHECK(runs[0].hostname == "nvr");
  CHECK(runs[0].pid == 4242);
  // The RTSP run ends where its footage ends, which is later than the last heartbeat.
  auto rtsp = r.index.runs("nap-1", {kT0, kT0 + 1h}).value();
  REQUIRE(rtsp.size() == 1);
  CHECK(rtsp[0].ended == kT0 + 90s);
  CHECK(rtsp[0].end_cause == "crash");
  CHECK(r.index.end_crashed_daemon_runs().value() == 0);

  auto next = r.index.begin_daemon_run({kT0 + 2h, "0.1.0", 4343, "nvr"}).value();
  auto next_run = r.index.begin_run("nap-1", next, kT0 + 2h).value();
  REQUIRE(r.index.end_run(next_run, kT0 + 3h, "shutdown"));
  REQUIRE(r.index.end_daemon_run(next, kT0 + 3h, "signal"));
  runs = r.index.daemon_runs({kT0 + 1h, kT0 + 4h}).value();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].stopped == kT0 + 3h);
  CHECK(runs[0].alive == kT0 + 3h);
  CHECK(runs[0].stop_reason == "signal");
  CHECK(r.index.end_daemon_run(999, kT0, "signal").error().kind == ErrorKind::NotFound);
}

TEST_CASE("camera and clock events are listed by time range", "[db]") {
  Recording r;
  using index::CameraEventKind;
  REQUIRE(r.index.insert_camera_event({0, "nap-1", kT0 + 10s, CameraEventKind::Down, "timeout", "no packet for 5 s"}));
  REQUIRE(r.index.insert_camera_event({0, "nap-1", kT0 + 40s, CameraEventKind::Up, "", ""}));
  std::array<index::ConfiguredCamera, 2> both{{{"nap-1", "nap"}, {"play", "play"}}};
  REQUIRE(r.index.sync_cameras(both, kT0));
  REQUIRE(r.index.insert_camera_event({0, "play", kT0 + 20s, CameraEventKind::Warning, "codec_changed", "pcm"}));

  auto all = r.index.camera_events({kT0, kT0 + 1min}).value();
  REQUIRE(all.size() == 3);
  CHECK(all[0].kind == CameraEventKind::Down);
  CHECK(all[0].cause == "timeout");
  CHECK(all[0].detail == "no packet for 5 s");
  CHECK(all[1].camera_id == "play");
  CHECK(all[2].time == kT0 + 40s);
  auto nap = r.index.camera_events({kT0, kT0 + 40s}, "nap-1").value();
  REQUIRE(nap.size() == 1);  // half-open range
  CHECK(nap[0].camera_id == "nap-1");

  REQUIRE(r.index.insert_clock_event({0, kT0 + 5s, -3600s, true, "segment split"}));
  REQUIRE(r.index.insert_clock_event({0, kT0 + 6s, 2s, std::nullopt, ""}));
  auto steps = r.index.clock_events({kT0, kT0 + 1min}).value();
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].step == -3600s);
  CHECK(steps[0].ntp_synced == true);
  CHECK(steps[0].detail == "segment split");
  CHECK(steps[1].ntp_synced == std::nullopt);
}

TEST_CASE("a batch of index writes is all or nothing", "[db]") {
  Recording r;
  {
    auto tx = r.index.transaction();
    REQUIRE(tx);
    auto id = r.open(0, kT0);
    REQUIRE(r.index.close_segment(id, r.closed(1)));
    REQUIRE(r.index.mark_daemon_alive(r.daemon, kT0 + 60s));
    // sync_cameras joins the caller's transaction instead of failing on a nested BEGIN.
    std::array<index::ConfiguredCamera, 1> cams{{{"nap-1", "renamed"}}};
    REQUIRE(r.index.sync_cameras(cams, kT0));
    // no commit: the batch is abandoned (a crash before the commit looks the same)
  }
  CHECK(r.index.segments("nap-1", {kT0, kT0 + 1h}).value().empty());
  CHECK(r.index.cameras().value().at(0).name == "午睡室 1");
  {
    auto tx = r.index.transaction();
    REQUIRE(tx);
    r.open(0, kT0);
    REQUIRE(tx->commit());
  }
  CHECK(r.index.segments("nap-1", {kT0, kT0 + 1h}).value().size() == 1);
}
