// Issue 15, review G2, with the real carekeepd recording a real RTSP camera: after kill -9, the
// open segment's .partial is swapped for a segment of another camera (no SQL, no key). The
// restarted daemon must not adopt it: the file goes to quarantine, the row is closed damaged
// with the reason, a critical alert is raised, `carekeep verify` names it and an export leaves
// it out. The same crash without the swap is the control: the file is adopted as before.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "index/index.hpp"
#include "support/media.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

const index::TimeRange kAll{UtcTime{}, from_us(INT64_MAX / 2)};

std::vector<index::SegmentRow> rows_of(const std::filesystem::path& db, const std::string& camera) {
  auto index = index::Index::open_reader(db);
  if (!index) return {};
  auto rows = index->segments(camera, kAll);
  return rows ? *rows : std::vector<index::SegmentRow>{};
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("carekeepd: a crashed segment's .partial swapped for another camera's footage is quarantined, not adopted",
          "[rtsp][slow]") {
  test::RtspTestServer server({test::RtspTestServer::camera("cam-a"), test::RtspTestServer::camera("cam-b")});
  test::TempDir dir;
  auto config = dir / "carekeep.toml";
  auto db = dir / "state" / "index.db";
  test::write_text(config, "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                               (dir / "media").string() + "\"\ndatabase = \"" + db.string() +
                               "\"\n\n[care_hours]\nmonday = [\"00:00-24:00\"]\ntuesday = [\"00:00-24:00\"]\n"
                               "wednesday = [\"00:00-24:00\"]\nthursday = [\"00:00-24:00\"]\nfriday = [\"00:00-24:00\"]\n"
                               "saturday = [\"00:00-24:00\"]\nsunday = [\"00:00-24:00\"]\n\n"
                               "[[camera]]\nid = \"cam-a\"\nurl = \"" + server.url("cam-a") +
                               "\"\nsegment_seconds = 10\n\n[[camera]]\nid = \"cam-b\"\nurl = \"" + server.url("cam-b") +
                               "\"\nsegment_seconds = 10\n\n[[zone]]\nid = \"all\"\ncameras = [\"cam-a\", \"cam-b\"]\n");
  auto cli = [&](const std::string& args) {
    return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
  };
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s));

  // cam-b has a closed segment to steal; cam-a is inside a segment whose checkpoint the index
  // holds, and has recorded a little past it (the crash comes between two checkpoints).
  auto closed = [&](const std::string& camera) {
    auto rows = rows_of(db, camera);
    return std::count_if(rows.begin(), rows.end(), [](const auto& r) { return r.state == index::SegmentState::Closed; });
  };
  REQUIRE(test::wait_until([&] { return closed("cam-b") >= 1 && closed("cam-a") >= 1; }, 40s));
  index::SegmentRow open_row;
  std::optional<index::SegmentCheckpoint> checkpoint;
  REQUIRE(test::wait_until(
      [&] {
        auto index = index::Index::open_reader(db);
        if (!index) return false;
        auto rows = index->segments("cam-a", kAll).value();
        for (const auto& r : rows) {
          if (r.state != index::SegmentState::Open) continue;
          auto cp = index->segment_checkpoint(r.id).value();
          if (cp && cp->time - r.start >= 3s) {
            open_row = r;
            checkpoint = cp;
            return true;
          }
        }
        return false;
      },
      20s));
  std::this_thread::sleep_for(1500ms);
  daemon.signal(SIGKILL);
  REQUIRE(daemon.wait(5s) == 128 + SIGKILL);
  auto partial = dir / "media" / (open_row.path + ".partial");
  std::string listing;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "media")) listing += e.path().string() + "\n";
  INFO("open row " << open_row.id << " " << open_row.path << " started " << format_utc_iso(open_row.start)
                   << ", checkpoint of " << format_utc_iso(checkpoint->time) << "; files:\n" << listing);
  REQUIRE(std::filesystem::exists(partial));
  // A power cut could not leave less: the checkpoint's bytes were synced before it was stored.
  REQUIRE(std::filesystem::file_size(partial) >= static_cast<std::uint64_t>(checkpoint->bytes));

  bool swap = false;
  std::string stolen_sha;
  SECTION("swapped for another camera's segment") { swap = true; }
  SECTION("left as the crash left it (control)") { swap = false; }
  if (swap) {
    auto rows_b = rows_of(db, "cam-b");
    auto stolen = std::find_if(rows_b.begin(), rows_b.end(), [](const auto& r) { return r.state == index::SegmentState::Closed; });
    REQUIRE(stolen != rows_b.end());
    std::filesystem::remove(partial);
    std::filesystem::copy_file(dir / "media" / stolen->path, partial);
    stolen_sha = test::sha256_file(partial);
  }

  daemon.start();
  REQUIRE(daemon.wait_for_log("daemon_ready", 20s, 2));  // the log holds both runs
  std::this_thread::sleep_for(1s);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(10s) == 0);

  auto index = index::Index::open_reader(db).value();
  auto row = index.segment(open_row.id).value().value();
  auto quarantined = dir / "media" / "quarantine" / (open_row.path + ".partial");
  auto alerts = index.alerts().value();
  bool alerted = std::any_of(alerts.begin(), alerts.end(), [](const auto& a) {
    return a.kind == "footage_not_recorded" && a.subject == "cam-a" && a.severity == "critical";
  });
  auto verified = cli("verify");
  INFO(verified.out << verified.err);
  INFO(daemon.log_text());

  if (swap) {
    CHECK(row.state == index::SegmentState::Damaged);
    CHECK(row.state_detail.starts_with(index::kNotRecordedDetail));
    CHECK(contains(row.state_detail, "do not match the checkpoint written at"));
    REQUIRE(std::filesystem::exists(quarantined));
    CHECK(test::sha256_file(quarantined) == stolen_sha);
    CHECK_FALSE(std::filesystem::exists(partial));
    CHECK_FALSE(std::filesystem::exists(dir / "media" / open_row.path));
    CHECK(alerted);
    CHECK(daemon.wait_for_log("footage_not_recorded", 1s));
    CHECK(verified.exit_code == 4);
    CHECK(contains(verified.out, "not_recorded"));
    CHECK(contains(verified.out, open_row.path));
    // Not footage: an export over its time has none of it.
    auto out = dir / "export";
    auto exported = cli("export --camera cam-a --from " + format_utc_iso(open_row.start - 15s) + " --to " +
                        format_utc_iso(open_row.start + 5s) + " --out " + out.string());
    INFO(exported.out << exported.err);
    REQUIRE(exported.exit_code == 0);
    auto manifest = nlohmann::json::parse(test::read_text(out / "manifest.json"));
    std::string listed = manifest.dump();
    CHECK_FALSE(contains(listed, open_row.path));
    CHECK_FALSE(contains(listed, stolen_sha));
  } else {
    CHECK(row.state == index::SegmentState::Recovered);
    CHECK(row.size_bytes >= checkpoint->bytes);
    CHECK(std::filesystem::exists(dir / "media" / open_row.path));
    CHECK_FALSE(std::filesystem::exists(quarantined));
    CHECK_FALSE(alerted);
    CHECK(verified.exit_code == 0);
  }
}
