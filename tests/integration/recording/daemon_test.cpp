#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <thread>

#include "index/index.hpp"
#include "segment/hash.hpp"
#include "support/media.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

struct CameraEntry {
  std::string id;
  std::string url;
};

std::string config_text(const std::filesystem::path& dir, const std::vector<CameraEntry>& cameras) {
  std::string text = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + (dir / "media").string() +
                     "\"\ndatabase = \"" + (dir / "index.db").string() +
                     "\"\n\n[care_hours]\nmonday = [\"00:00-24:00\"]\ntuesday = [\"00:00-24:00\"]\n"
                     "wednesday = [\"00:00-24:00\"]\nthursday = [\"00:00-24:00\"]\nfriday = [\"00:00-24:00\"]\n"
                     "saturday = [\"00:00-24:00\"]\nsunday = [\"00:00-24:00\"]\n\n";
  for (const auto& c : cameras) {
    text += "[[camera]]\nid = \"" + c.id + "\"\nurl = \"" + c.url + "\"\nsegment_seconds = 10\n\n";
  }
  text += "[[zone]]\nid = \"all\"\ncameras = [";
  for (std::size_t i = 0; i < cameras.size(); ++i) text += (i ? ", \"" : "\"") + cameras[i].id + "\"";
  text += "]\n";
  return text;
}

// The fixture serves without authentication; FFmpeg only sends credentials when asked, so a
// URL with them records normally while proving they never reach a log, event or file.
std::string with_credentials(const std::string& url) {
  return "rtsp://admin:hunter2-secret@" + url.substr(std::string("rtsp://").size());
}

std::vector<index::SegmentRow> all_segments(const std::filesystem::path& db, const std::string& camera) {
  auto index = index::Index::open_reader(db);
  REQUIRE(index);
  return index->segments(camera, {UtcTime{}, from_us(INT64_MAX / 2)}).value();
}

std::size_t count_state(const std::vector<index::SegmentRow>& rows, index::SegmentState state) {
  std::size_t n = 0;
  for (const auto& r : rows) n += r.state == state ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("carekeepd: kill -9 mid-segment, restart: the open segment is recovered with at most 2 s lost", "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  test::write_text(dir / "carekeep.toml", config_text(dir.path(), {{"cam", server.url()}}));
  test::DaemonProcess daemon{CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s));
  // Wait for the first segment to close, then 6 s into the second one.
  REQUIRE(test::wait_until([&] { return count_state(all_segments(dir / "index.db", "cam"), index::SegmentState::Closed) >= 1; }, 30s));
  std::this_thread::sleep_for(6s);
  auto killed_at = SystemClock{}.now();
  daemon.signal(SIGKILL);
  REQUIRE(daemon.wait(5s) == 128 + SIGKILL);

  auto before = all_segments(dir / "index.db", "cam");
  REQUIRE(count_state(before, index::SegmentState::Open) == 1);
  auto open_row = before.back();
  REQUIRE(std::filesystem::exists(dir / "media" / (open_row.path + ".partial")));

  daemon.start();
  REQUIRE(daemon.wait_for_log("daemon_ready", 20s, 2));  // the log holds both runs
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(10s) == 0);

  auto after = all_segments(dir / "index.db", "cam");
  const index::SegmentRow* recovered = nullptr;
  for (const auto& r : after)
    if (r.id == open_row.id) recovered = &r;
  REQUIRE(recovered != nullptr);
  CHECK(recovered->state == index::SegmentState::Recovered);
  auto path = dir / "media" / recovered->path;
  REQUIRE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(path.string() + ".partial"));
  auto info = test::probe(path);
  REQUIRE(info.opened);
  CHECK(info.first_packet_key);
  CHECK(info.video_packets == recovered->frames);
  REQUIRE(recovered->sha256);
  CHECK(segment::to_hex(*recovered->sha256) == test::sha256_file(path));
  auto lost = killed_at - recovered->end;
  INFO("lost " << lost.count() / 1000 << " ms");
  CHECK(lost <= 2s);
  CHECK(recovered->duration >= 4s);
  REQUIRE(recovered->protect_until);  // recovered care footage is protected like any other
  CHECK(*recovered->protect_until == recovered->end + std::chrono::hours(24 * 90));
  // The chain runs through the recovered segment.
  segment::Sha256 chain{};
  for (const auto& r : after) {
    if (!r.sha256) continue;
    chain = index::file_chain_link(chain, *r.sha256);
    REQUIRE(r.chain_sha256);
    CHECK(*r.chain_sha256 == chain);
  }
  // The evidence chain (issue 15), written by carekeepd's index: one entry per close, the
  // recovered one included, every row equal to its latest entry, and the key the daemon
  // created pinned beside the configuration (this directory is writable).
  auto index = index::Index::open_reader(dir / "index.db").value();
  auto entries = index.chain_entries("cam").value();
  REQUIRE_FALSE(entries.empty());
  CHECK(std::any_of(entries.begin(), entries.end(), [](const index::ChainEntry& e) { return e.kind == "recovered"; }));
  auto findings = index.verify_chain("cam", SystemClock{}.now()).value();
  std::string problems;
  for (const auto& f : findings) problems += "chain entry " + std::to_string(f.seq) + ": " + f.problem + "\n";
  INFO(problems);
  CHECK(findings.empty());
  CHECK(std::filesystem::exists(dir / "signing.fingerprint"));
  CHECK_FALSE(index.anchors("cam").value().empty());
}

TEST_CASE("carekeepd: SIGHUP adds and removes cameras without a gap on the others, and SIGTERM closes all within 2 s",
          "[rtsp][slow]") {
  test::RtspTestServer server{{test::RtspTestServer::camera("a"), test::RtspTestServer::camera("b"),
                               test::RtspTestServer::camera("c")}};
  test::TempDir dir;
  auto config = dir / "carekeep.toml";
  test::write_text(config, config_text(dir.path(), {{"a", with_credentials(server.url("a"))},
                                                    {"b", with_credentials(server.url("b"))}}));
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 2));
  std::this_thread::sleep_for(4s);

  // An invalid config is rejected and the old one keeps running.
  test::write_text(config, "[site]\nname = 3\n");
  daemon.signal(SIGHUP);
  REQUIRE(daemon.wait_for_log("config_reload_rejected", 10s));

  test::write_text(config, config_text(dir.path(), {{"a", with_credentials(server.url("a"))},
                                                    {"c", with_credentials(server.url("c"))}}));
  daemon.signal(SIGHUP);
  REQUIRE(daemon.wait_for_log("config_reloaded", 10s));
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 3));
  REQUIRE(test::wait_until([&] { return !all_segments(dir / "index.db", "c").empty(); }, 20s));
  std::this_thread::sleep_for(12s);  // a's segment across the reload closes

  daemon.signal(SIGTERM);
  auto term_at = std::chrono::steady_clock::now();
  REQUIRE(daemon.wait(10s) == 0);
  CHECK(std::chrono::steady_clock::now() - term_at <= 2500ms);

  // a: one run, contiguous segments across both reloads.
  auto a = all_segments(dir / "index.db", "a");
  REQUIRE(a.size() >= 2);
  for (std::size_t i = 0; i + 1 < a.size(); ++i) {
    CHECK(a[i + 1].run_id == a[0].run_id);
    CHECK(std::chrono::abs(a[i + 1].start - a[i].end) <= 40ms);
  }
  // Care hours cover the whole week: every closed segment is protected for 90 days from its end.
  for (const auto& r : a) {
    REQUIRE(r.protect_until);
    CHECK(*r.protect_until == r.end + std::chrono::hours(24 * 90));
  }
  // b: stopped at the reload (its run ended "stopped", no down event); c: recorded after it.
  auto b = all_segments(dir / "index.db", "b");
  REQUIRE_FALSE(b.empty());
  auto reader = index::Index::open_reader(dir / "index.db").value();
  auto b_runs = reader.runs("b", {UtcTime{}, from_us(INT64_MAX / 2)}).value();
  REQUIRE(b_runs.size() == 1);
  CHECK(b_runs[0].end_cause == "stopped");
  auto cameras = reader.cameras().value();
  bool b_removed = false;
  for (const auto& c : cameras)
    if (c.id == "b") b_removed = c.removed.has_value();
  CHECK(b_removed);
  // Every segment is closed after SIGTERM and no partial file is left.
  for (const auto& camera : {"a", "b", "c"}) {
    for (const auto& r : all_segments(dir / "index.db", camera)) CHECK(r.state == index::SegmentState::Closed);
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "media"))
    CHECK(entry.path().extension() != ".partial");

  // Credentials never appear in anything the daemon wrote: its log, status file or index.
  auto log = daemon.log_text();
  CHECK(log.find("hunter2") == std::string::npos);
  CHECK(test::read_text(dir / "status.json").find("hunter2") == std::string::npos);
  CHECK(test::run("sqlite3 '" + (dir / "index.db").string() + "' .dump | grep -q hunter2") != 0);
}
