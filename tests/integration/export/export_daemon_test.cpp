// Export and verification of footage recorded by carekeepd itself from a fakecam (real RTSP
// on 127.0.0.1): the daemon creates the box key at its first start and signs anchors at
// start and at shutdown; the CLI then verifies, exports across a segment boundary and checks
// the export offline.
#include <catch2/catch.hpp>

#include <cmath>

#include <signal.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "index/index.hpp"
#include "signing/signing.hpp"
#include "support/media.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

TEST_CASE("carekeepd footage exports and verifies with the key it created at first start", "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  auto config = dir / "carekeep.toml";
  auto state = dir / "state";
  test::write_text(config, "[site]\nname = \"测试托育点\"\ntimezone = \"UTC\"\nstorage = \"" + (dir / "media").string() +
                               "\"\ndatabase = \"" + (state / "index.db").string() +
                               "\"\n\n[care_hours]\nmonday = [\"00:00-24:00\"]\n\n[[camera]]\nid = \"cam\"\nurl = \"" +
                               server.url() + "\"\nsegment_seconds = 10\n\n[[zone]]\nid = \"all\"\ncameras = [\"cam\"]\n");
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("anchors_signed", 20s));
  struct stat st {};
  REQUIRE(::stat((state / "signing.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(std::filesystem::exists(state / "signing.pub"));

  auto closed = [&] {
    auto index = index::Index::open_reader(state / "index.db");
    if (!index) return std::size_t{0};
    auto rows = index->segments("cam", {UtcTime{}, from_us(INT64_MAX / 2)}).value();
    return static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const auto& r) {
      return r.state == index::SegmentState::Closed;
    }));
  };
  REQUIRE(test::wait_until([&] { return closed() >= 2; }, 40s));
  auto cli = [&](const std::string& args) {
    return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
  };
  {
    // Alongside the running daemon (WAL): a check, and an export that writes a hold and an
    // access-log row through its own writer connection.
    auto live = cli("verify --quick");
    INFO(live.out << live.err);
    CHECK(live.exit_code == 0);
    auto rows = index::Index::open_reader(state / "index.db")->segments("cam", {UtcTime{}, from_us(INT64_MAX / 2)}).value();
    auto exported = cli("export --camera cam --from " + format_utc_iso(rows[0].start) + " --to " +
                        format_utc_iso(rows[0].start + 5s) + " --out " + (dir / "live").string());
    INFO(exported.out << exported.err);
    CHECK(exported.exit_code == 0);
  }
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(10s) == 0);
  CHECK(daemon.wait_for_log("anchors_signed", 1s, 2));  // start and shutdown

  auto key = cli("key --json");
  REQUIRE(key.exit_code == 0);
  auto fingerprint = nlohmann::json::parse(key.out)["fingerprint"].get<std::string>();
  CHECK(fingerprint == signing::KeyPair::load(state / "signing.key")->fingerprint());
  test::write_text(dir / "box.pem", nlohmann::json::parse(key.out)["public_key_pem"].get<std::string>());

  auto verified = cli("verify");
  INFO(verified.out << verified.err);
  REQUIRE(verified.exit_code == 0);
  CHECK(verified.out.find("2 anchors") != std::string::npos);

  // From 3 s into the first segment to 4 s into the second: across the boundary.
  auto index = index::Index::open_reader(state / "index.db").value();
  auto rows = index.segments("cam", {UtcTime{}, from_us(INT64_MAX / 2)}).value();
  REQUIRE(rows.size() >= 2);
  // Whole seconds, as format_utc_iso writes them: a fraction cut off by the command line
  // would move --from by up to a second and with it the keyframe the export starts at.
  auto from = std::chrono::floor<std::chrono::seconds>(rows[0].start + 3s);
  auto to = std::chrono::floor<std::chrono::seconds>(rows[1].start + 4s);
  auto out = dir / "export";
  auto exported = cli("export --camera cam --from " + format_utc_iso(from) + " --to " + format_utc_iso(to) +
                      " --timestamps --out " + out.string());
  INFO(exported.out << exported.err);
  REQUIRE(exported.exit_code == 0);
  auto info = test::probe(out / "cam.mp4");
  REQUIRE(info.opened);
  CHECK(info.first_packet_key);
  CHECK(info.dts_monotonic);
  double asked = std::chrono::duration<double>(to - from).count();
  double got = info.last_pts_end_seconds - info.first_pts_seconds;
  // Starts at the keyframe at or before --from, as the recorded segment has it: fakecam's GOP
  // is 25 frames, 1 s when it keeps up, longer when a loaded machine makes it drop frames.
  auto first = test::probe(dir / "media" / rows[0].path);
  REQUIRE(first.opened);
  REQUIRE_FALSE(first.keyframe_pts_seconds.empty());
  double from_in_segment = std::chrono::duration<double>(from - rows[0].start).count();
  // Within a frame's rounding of a keyframe, --from may start at it or at the one before: the
  // index's start time and the file's timestamps agree to about 20 ms (CI once had --from 14 ms
  // before a keyframe, and the export rightly began at the previous one).
  double keyframe_before = 0;
  double keyframe_strictly_before = 0;
  for (double k : first.keyframe_pts_seconds) {
    if (k - first.first_pts_seconds <= from_in_segment + 0.02) keyframe_before = k - first.first_pts_seconds;
    if (k - first.first_pts_seconds <= from_in_segment) keyframe_strictly_before = k - first.first_pts_seconds;
  }
  INFO("keyframes of the first segment at " << Catch::Detail::stringify(first.keyframe_pts_seconds)
                                            << ", --from at " << from_in_segment << " s into it");
  // The file holds the first segment from that keyframe to its end, then the second one up
  // to --to by its own start: what the index says, exactly (within a frame or two).
  double first_length = std::chrono::duration<double>(rows[0].end - rows[0].start).count();
  double second_part = std::chrono::duration<double>(to - rows[1].start).count();
  double seam = std::chrono::duration<double>(rows[1].start - rows[0].end).count();
  INFO("first segment " << first_length << " s, second from " << seam << " s after its end");
  if (got > first_length - keyframe_before + second_part + 0.12) keyframe_before = keyframe_strictly_before;
  CHECK(got == Approx(first_length - keyframe_before + second_part).margin(0.12));
  // Where the two rows meet (the usual case), that is the request from a keyframe at most a
  // GOP early. A loaded machine can read a whole first segment late, so its row overlaps
  // the next by that much (docs/recording.md, Segment start times), and the file is longer.
  if (std::abs(seam) <= 0.04) {
    CHECK(got >= asked - 0.2);
    CHECK(got <= asked + (from_in_segment - keyframe_before) + 0.2);
  }
  auto manifest = nlohmann::json::parse(test::read_text(out / "manifest.json"));
  CHECK(manifest["cameras"][0]["segments"].size() == 2);
  CHECK(cli("verify-export " + out.string() + " --pubkey " + (dir / "box.pem").string()).exit_code == 0);
}
