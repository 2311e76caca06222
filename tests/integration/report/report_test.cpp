// The audit report (issue 7) end to end on a real index written with the daemon's own Index
// calls: three days of 60 s segments for three cameras with known outages, then gather and
// every renderer. Checked against the known truth and coverage::compute_gaps; the PDF with
// pdftotext, the HTML in headless Chromium (screenshot must show the timeline's colours), the
// CSVs with Python's csv module, the JSON signature with edits; and the CLI round trip with
// its access-log row.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "care/calendar.hpp"
#include "config/load.hpp"
#include "coverage/compute.hpp"
#include "index/index.hpp"
#include "report/document.hpp"
#include "report/render.hpp"
#include "report/report.hpp"
#include "report/summary.hpp"
#include "report/text.hpp"
#include "health/smart.hpp"
#include "health/smart_probe.hpp"
#include "signing/signing.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

UtcTime local(const char* text) {
  static const TimeZone kZone = TimeZone::locate("Asia/Shanghai").value();
  return parse_cli_time(text, kZone).value();
}

// Mon 2026-11-16 .. Wed 2026-11-18 in Asia/Shanghai. Care hours Mon-Fri 08:00-12:00 and
// 14:00-17:00, but Wednesday only 08:00-10:00 (an exception). Every camera records around the
// clock except for these outages (each a run ended "refused" plus a down event, then a new run):
//   nap-1  Mon 09:00-09:20    nap-2  Mon 09:10-09:15   -> zone nap uncovered Mon 09:10-09:15
//   play-1 Tue 10:00-10:30                             -> zone play uncovered Tue 10:00-10:30
//   play-1 Mon 13:00-13:30 (lunch, outside care)       -> no gap
struct Scenario {
  test::TempDir dir;
  std::filesystem::path config_path = dir / "carekeep.toml";
  std::filesystem::path database = dir / "data" / "index.db";
  config::Config config;

  Scenario() {
    std::filesystem::create_directories(dir / "media");
    test::write_text(config_path, R"([site]
name = "阳光家庭托育点"
timezone = "Asia/Shanghai"
storage = ")" + (dir / "media").string() + R"("
database = ")" + database.string() + R"("
[care_hours]
monday = ["08:00-12:00", "14:00-17:00"]
tuesday = ["08:00-12:00", "14:00-17:00"]
wednesday = ["08:00-12:00", "14:00-17:00"]
thursday = ["08:00-12:00", "14:00-17:00"]
friday = ["08:00-12:00", "14:00-17:00"]
[[care_hours.exception]]
date = "2026-11-18"
hours = ["08:00-10:00"]
note = "家长会"
[[camera]]
id = "nap-1"
name = "午睡室 1"
url = "rtsp://admin:secret@10.0.0.2/stream1"
[[camera]]
id = "nap-2"
name = "午睡室 2"
url = "rtsp://10.0.0.3/stream1"
[[camera]]
id = "play-1"
name = "游戏区 1"
url = "rtsp://10.0.0.4/stream1"
[[zone]]
id = "nap"
name = "午睡室"
cameras = ["nap-1", "nap-2"]
[[zone]]
id = "play"
name = "游戏区"
cameras = ["play-1"]
)");
    config = config::load(config_path).value();
    build();
  }

  care::CareCalendar calendar() const {
    return care::CareCalendar(config.care_hours, TimeZone::locate(config.site.timezone).value());
  }
  TimeZone zone() const { return TimeZone::locate(config.site.timezone).value(); }
  index::TimeRange period() const { return {local("2026-11-16"), local("2026-11-19")}; }

  void build() {
    std::filesystem::create_directories(database.parent_path());
    auto index = index::Index::open_writer(database).value();
    auto start = local("2026-11-16T00:00");
    auto end = local("2026-11-19T00:00");
    std::vector<index::ConfiguredCamera> cams{{"nap-1", "午睡室 1"}, {"nap-2", "午睡室 2"}, {"play-1", "游戏区 1"}};
    REQUIRE(index.sync_cameras(cams, start - 24h));
    auto tx = index.transaction().value();
    auto daemon = index.begin_daemon_run({start, "test", 1, "box"}).value();
    auto calendar = this->calendar();
    struct Outage {
      const char* camera;
      const char* from;
      const char* to;
    };
    const Outage outages[] = {{"nap-1", "2026-11-16T09:00", "2026-11-16T09:20"},
                              {"nap-2", "2026-11-16T09:10", "2026-11-16T09:15"},
                              {"play-1", "2026-11-17T10:00", "2026-11-17T10:30"},
                              {"play-1", "2026-11-16T13:00", "2026-11-16T13:30"}};
    for (const auto& cam : cams) {
      std::vector<std::pair<UtcTime, UtcTime>> down;
      for (const auto& o : outages) {
        if (cam.id == o.camera) down.emplace_back(local(o.from), local(o.to));
      }
      std::sort(down.begin(), down.end());
      UtcTime t = start;
      std::size_t next = 0;
      while (t < end) {
        UtcTime run_end = next < down.size() ? down[next].first : end;
        auto run = index.begin_run(cam.id, daemon, t).value();
        std::int64_t seq = 0;
        for (UtcTime s = t; s < run_end; s += 60s, ++seq) {
          UtcTime e = std::min(run_end, s + 60s);
          auto id = index.insert_open_segment({cam.id, run, seq, s, cam.id + "/" + std::to_string(to_us(s)) + ".mp4", s})
                        .value();
          index::ClosedSegment closed;
          closed.duration = std::chrono::duration_cast<Micros>(e - s);
          closed.size_bytes = 1'000'000;
          closed.frames = 1500;
          closed.keyframes = 30;
          closed.video_codec = "h264";
          closed.width = 1920;
          closed.height = 1080;
          closed.sha256[0] = 1;
          bool care = !calendar.care_intervals(s, e).empty();
          if (care) closed.protect_until = e + std::chrono::days{90};
          closed.closed = e;
          REQUIRE(index.close_segment(id, closed));
        }
        if (next < down.size()) {
          REQUIRE(index.end_run(run, run_end, "refused"));
          REQUIRE(index.insert_camera_event({0, cam.id, run_end, index::CameraEventKind::Down, "refused", "connection refused"}));
          REQUIRE(index.insert_camera_event({0, cam.id, down[next].second, index::CameraEventKind::Up, "", ""}));
          t = down[next].second;
          ++next;
        } else {
          REQUIRE(index.end_run(run, end, "shutdown"));
          t = end;
        }
      }
    }
    REQUIRE(index.end_daemon_run(daemon, end, "signal"));
    REQUIRE(index.insert_clock_event({0, local("2026-11-17T03:00"), 2s, true, "segment split"}));
    REQUIRE(index.insert_hold({std::string("play-1"), std::nullopt, local("2026-11-17T09:00"), local("2026-11-17T12:00"),
                               "投诉 2026-17", local("2026-11-17T18:00"), 0, "root"}));
    REQUIRE(index.append_access_log({local("2026-11-17T19:00"), 0, "root", "export",
                                     R"({"camera":"play-1","note":"导出"})", "ok"}));
    REQUIRE(index.connection().exec(
        "insert into alert (kind, subject, severity, message, raised_us, last_seen_us, resolved_us) values "
        "('camera_down', 'play-1', 'critical', 'play-1 down: refused', " +
        std::to_string(to_us(local("2026-11-17T10:00"))) + ", " + std::to_string(to_us(local("2026-11-17T10:29"))) +
        ", " + std::to_string(to_us(local("2026-11-17T10:30"))) + ")"));
    REQUIRE(tx.commit());
  }
};

report::ReportData gather(Scenario& s, report::Lang lang = report::Lang::Zh,
                          std::optional<index::TimeRange> period = std::nullopt) {
  auto index = index::Index::open_reader(s.database).value();
  report::GatherOptions options{lang, "test", "box", local("2026-11-20T12:00"), true};
  auto data = report::gather(index, s.config, s.calendar(), period.value_or(s.period()), options);
  REQUIRE(data);
  return std::move(*data);
}

std::string read(const std::filesystem::path& p) { return test::read_text(p); }

const report::Gap* find_gap(const report::ReportData& d, const std::string& zone) {
  for (const auto& g : d.coverage.gaps) {
    if (g.zone_id == zone) return &g;
  }
  return nullptr;
}

// What `python3 -c` prints, or fails the test.
std::string python(const std::string& script, const std::string& arg) {
  auto run = test::run_command("python3 -c '" + script + "' " + arg);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return run.out;
}

}  // namespace

TEST_CASE("report numbers equal the known outages and coverage compute_gaps", "[report][db]") {
  Scenario s;
  auto data = gather(s);

  REQUIRE(data.coverage.gaps.size() == 2);
  const auto* nap = find_gap(data, "nap");
  const auto* play = find_gap(data, "play");
  REQUIRE(nap != nullptr);
  REQUIRE(play != nullptr);
  CHECK(nap->start == local("2026-11-16T09:10"));
  CHECK(nap->end == local("2026-11-16T09:15"));
  CHECK(nap->cause == "camera_offline");
  CHECK(play->start == local("2026-11-17T10:00"));
  CHECK(play->end == local("2026-11-17T10:30"));
  CHECK(play->cause == "camera_offline");

  // Exactly what `carekeep gaps` computes for the same range.
  auto index = index::Index::open_reader(s.database).value();
  auto gaps = coverage::compute_gaps(index, s.config, s.calendar(), s.period(), std::nullopt, false,
                                     local("2026-11-20T12:00"))
                  .value();
  REQUIRE(gaps.size() == data.coverage.gaps.size());
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    CHECK(gaps[i].zone_id == data.coverage.gaps[i].zone_id);
    CHECK(gaps[i].start == data.coverage.gaps[i].start);
    CHECK(gaps[i].end == data.coverage.gaps[i].end);
    CHECK(gaps[i].cause == data.coverage.gaps[i].cause);
    CHECK(gaps[i].detail == data.coverage.gaps[i].detail);
  }

  // Per zone and day: the same numbers as coverage::coverage_by_day.
  auto by_day = coverage::coverage_by_day(index, s.config, s.calendar(), s.period(), std::nullopt, false,
                                          local("2026-11-20T12:00"))
                    .value();
  REQUIRE(by_day.size() == data.coverage.days.size());
  for (std::size_t i = 0; i < by_day.size(); ++i) {
    INFO(by_day[i].zone_id << " " << by_day[i].local_date);
    CHECK(by_day[i].zone_id == data.coverage.days[i].zone_id);
    CHECK(by_day[i].local_date == data.coverage.days[i].date);
    CHECK(static_cast<double>(by_day[i].care.count()) == data.coverage.days[i].care_seconds);
    CHECK(static_cast<double>(by_day[i].covered.count()) == data.coverage.days[i].covered_seconds);
  }

  // Care: Mon 7 h, Tue 7 h, Wed 2 h (the exception) per zone.
  REQUIRE(data.coverage.zones.size() == 2);
  CHECK(data.coverage.zones[0].zone_id == "nap");
  CHECK(data.coverage.zones[0].care_seconds == 16 * 3600);
  CHECK(data.coverage.zones[0].covered_seconds == 16 * 3600 - 300);
  CHECK(data.coverage.zones[1].care_seconds == 16 * 3600);
  CHECK(data.coverage.zones[1].covered_seconds == 16 * 3600 - 1800);
  CHECK(data.coverage.zones[1].gaps == 1);
  auto day = std::find_if(data.coverage.days.begin(), data.coverage.days.end(),
                          [](const report::ZoneDay& d) { return d.zone_id == "play" && d.date == "2026-11-17"; });
  REQUIRE(day != data.coverage.days.end());
  CHECK(day->care_seconds == 7 * 3600);
  CHECK(day->covered_seconds == 7 * 3600 - 1800);
  REQUIRE(data.coverage.care.size() == 3);
  CHECK(data.coverage.care[2].minutes == std::vector<std::pair<double, double>>{{480, 600}});

  // Uptime: play-1 was down 60 minutes, 30 of them in care time; 3 runs.
  auto up = std::find_if(data.uptime.begin(), data.uptime.end(), [](const auto& u) { return u.camera_id == "play-1"; });
  REQUIRE(up != data.uptime.end());
  CHECK(up->recording_seconds == 3 * 86400 - 3600);
  CHECK(up->care_recording_seconds == 16 * 3600 - 1800);
  CHECK(up->runs == 3);
  CHECK(up->down_events == 2);
  REQUIRE(up->down_causes.size() == 1);
  CHECK(up->down_causes[0].first == "refused");

  // Retention, holds, clock, alerts, access log, schedule.
  CHECK(data.retention.protected_deletions.empty());
  REQUIRE(data.retention.cameras.size() == 3);
  CHECK(data.retention.cameras[0].oldest_care_footage == local("2026-11-16T08:00"));
  CHECK(data.retention.cameras[0].continuous_days == Approx(4.0 + 4.0 / 24));
  CHECK(data.holds.size() == 1);
  CHECK(data.clock_events.size() == 1);
  REQUIRE(data.alerts.size() == 1);
  CHECK(data.alerts[0].resolved == local("2026-11-17T10:30"));
  REQUIRE(data.access.size() == 1);
  CHECK(data.access[0].action == "export");
  REQUIRE(data.site.exceptions.size() == 1);
  CHECK(data.site.exceptions[0].hours == std::vector<std::string>{"08:00-10:00"});
  CHECK(data.daemon_runs.size() == 1);
}

TEST_CASE("protected footage deleted behind carekeep's back is listed in the report", "[report][db]") {
  Scenario s;
  {
    auto index = index::Index::open_writer(s.database).value();
    // What only something bypassing the index could do: the index refuses to mark it deleting.
    REQUIRE(index.connection().exec(
        "update segment set state = 'deleted', deleted_us = " + std::to_string(to_us(local("2026-11-19T10:00"))) +
        " where camera_id = 'nap-2' and start_us = " + std::to_string(to_us(local("2026-11-17T08:30")))));
  }
  {
    auto index = index::Index::open_writer(s.database).value();
    auto& db = index.connection();
    // A row left deleting (no deleted_us yet) while still protected: also early.
    REQUIRE(db.exec("update segment set state = 'deleting' where camera_id = 'nap-2' and start_us = " +
                    std::to_string(to_us(local("2026-11-18T09:00")))));
    REQUIRE(db.changes() == 1);
    // Deleted after its protection ended: what retention does every day, not a finding.
    REQUIRE(db.exec("update segment set state = 'deleted', deleted_us = protect_until_us + 1 where camera_id = 'nap-1' "
                    "and start_us = " + std::to_string(to_us(local("2026-11-16T11:00")))));
    REQUIRE(db.changes() == 1);
  }
  auto data = gather(s);
  REQUIRE(data.retention.protected_deletions.size() == 2);
  CHECK(data.retention.protected_deletions[0].camera_id == "nap-2");
  CHECK(data.retention.protected_deletions[0].start == local("2026-11-17T08:30"));
  CHECK(data.retention.protected_deletions[1].camera_id == "nap-2");
  CHECK(data.retention.protected_deletions[1].start == local("2026-11-18T09:00"));
  CHECK(data.retention.protected_deletions[1].state == "deleting");
  CHECK_FALSE(data.retention.protected_deletions[1].deleted);
  auto doc = report::build_document(data, s.zone(), {"00", "11"});
  auto html = report::render_html(doc, data);
  CHECK(html.find("托育时间录像在保存期届满前被删除: 2") != std::string::npos);
  // The deleted minutes also show up as gaps of their zone? No: nap-1 still covers them.
  CHECK(data.coverage.gaps.size() == 2);
}

TEST_CASE("damaged and recovered footage is counted per camera and in the period", "[report][db]") {
  Scenario s;
  {
    auto index = index::Index::open_writer(s.database).value();
    auto& db = index.connection();
    auto set_state = [&](const char* camera, const char* start, const char* state) {
      REQUIRE(db.exec(std::string("update segment set state = '") + state + "' where camera_id = '" + camera +
                      "' and start_us = " + std::to_string(to_us(local(start)))));
      REQUIRE(db.changes() == 1);
    };
    set_state("nap-1", "2026-11-16T10:00", "damaged");
    set_state("nap-1", "2026-11-17T10:00", "damaged");
    set_state("play-1", "2026-11-17T11:00", "recovered");
    set_state("play-1", "2026-11-18T11:00", "recovered");
  }
  // The period is the last two days: one damaged and both recovered rows are in it; the
  // per-camera count of damaged footage is over all history.
  auto data = gather(s, report::Lang::Zh, index::TimeRange{local("2026-11-17T00:00"), local("2026-11-19T00:00")});
  CHECK(data.integrity.damaged_in_period == 1);
  CHECK(data.integrity.recovered_in_period == 2);
  auto nap1 = std::find_if(data.retention.cameras.begin(), data.retention.cameras.end(),
                           [](const auto& c) { return c.camera_id == "nap-1"; });
  REQUIRE(nap1 != data.retention.cameras.end());
  CHECK(nap1->damaged_segments == 2);
  for (const auto& c : data.retention.cameras) {
    if (c.camera_id != "nap-1") CHECK(c.damaged_segments == 0);
  }
}

TEST_CASE("the report's storage table shows the SMART health carekeep-smart last read", "[report][db]") {
  Scenario s;
  auto none = gather(s);
  CHECK_FALSE(none.retention.capacity.smart_checked.has_value());
  // A failing disk cannot be had on demand: smartctl's recorded output of a failing Hitachi
  // disk (tests/data/smart), written as carekeep-smart writes it beside the index.
  auto text = test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) /
                              "tests/data/smart/ata_failing_hitachi_hds721050dle630.json");
  health::SmartState state;
  state.checked = local("2026-11-20T11:00");
  state.storage = (s.dir / "media").string();
  state.source = "/dev/sdc1";
  state.disks = {health::parse_smartctl(text, "/dev/sdc").value()};
  REQUIRE(health::write_state(health::state_path(s.database), state));
  auto data = gather(s);
  const auto& cap = data.retention.capacity;
  REQUIRE(cap.smart_checked == state.checked);
  REQUIRE(cap.disks.size() == 1);
  CHECK(cap.disks[0].device == "/dev/sdc");
  CHECK(cap.disks[0].verdict == "failing");
  CHECK_THAT(cap.disks[0].detail, Catch::Contains("Reallocated_Sector_Ct"));
  auto j = json::parse(report::render_json(data, s.zone()));
  const auto& health = j["retention"]["capacity"]["disk_health"];
  REQUIRE(health.is_object());
  CHECK(health["disks"][0]["verdict"] == "failing");
  auto html = report::render_html(report::build_document(data, s.zone(), {"00", "11"}), data);
  CHECK(html.find("硬盘健康（SMART） /dev/sdc Hitachi HDS721050DLE630") != std::string::npos);
  CHECK(html.find("存放录像的硬盘 SMART 报告即将损坏") != std::string::npos);
}

TEST_CASE("every report file is written and readable by its consumer", "[report][db]") {
  Scenario s;
  auto data = gather(s);
  std::filesystem::create_directories(s.dir / "key");
  auto key = signing::KeyPair::load_or_create(s.dir / "key").value();
  auto out = s.dir / "out";
  auto written = report::write_report(data, s.zone(), {report::Format::Json, report::Format::Html, report::Format::Pdf,
                                                       report::Format::Csv},
                                      out, key);
  REQUIRE(written);
  for (const char* name : {"report.json", "report.json.sig", "signing.pub", "report.html", "report.pdf", "coverage.csv",
                           "gaps.csv", "access.csv"}) {
    INFO(name);
    CHECK(std::filesystem::exists(out / name));
  }

  SECTION("the PDF holds the Chinese zone names, the gap rows and the seal") {
    auto run = test::run_command("pdftotext -layout " + (out / "report.pdf").string() + " -");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const auto& text = run.out;
    CHECK(text.find("午睡室") != std::string::npos);
    CHECK(text.find("游戏区") != std::string::npos);
    CHECK(text.find("视频监控审计报告") != std::string::npos);
    // Gap rows: start and end in local time, cause in words.
    CHECK(text.find("2026-11-16 09:10:00") != std::string::npos);
    CHECK(text.find("2026-11-16 09:15:00") != std::string::npos);
    CHECK(text.find("2026-11-17 10:00:00") != std::string::npos);
    CHECK(text.find("2026-11-17 10:30:00") != std::string::npos);
    CHECK(text.find("摄像头离线") != std::string::npos);
    CHECK(text.find(written->json_sha256) != std::string::npos);
    // pdftotext drops some spaces between CJK and digits; compare without them.
    std::string compact;
    std::copy_if(text.begin(), text.end(), std::back_inserter(compact), [](char c) { return c != ' '; });
    CHECK(compact.find("第1页/共") != std::string::npos);
    auto info = test::run_command("pdfinfo " + (out / "report.pdf").string());
    REQUIRE(info.exit_code == 0);
    CHECK(info.out.find("595.28 x 841.89 pts (A4)") != std::string::npos);
  }

  SECTION("the CSVs load with Python's csv module with one row per gap, day and access") {
    const std::string script =
        "import csv,sys\n"
        "for name in sys.argv[1:]:\n"
        "    raw = open(name, \"rb\").read()\n"
        "    assert raw.startswith(b\"\\xef\\xbb\\xbf\"), name\n"
        "    rows = list(csv.reader(open(name, encoding=\"utf-8-sig\", newline=\"\")))\n"
        "    print(len(rows) - 1, len(set(len(r) for r in rows)), rows[1][1] if len(rows) > 1 else \"\")\n";
    auto outp = python(script, (out / "coverage.csv").string() + " " + (out / "gaps.csv").string() + " " +
                                   (out / "access.csv").string());
    // 2 zones x 3 days; 2 gaps; 1 access row; every row as wide as the header; names in Chinese.
    CHECK(outp == "6 1 午睡室\n2 1 午睡室\n1 1 2026-11-17T19:00:00+08:00\n");
  }

  SECTION("the JSON signature verifies and fails after any edit") {
    auto json_text = read(out / "report.json");
    auto sig = read(out / "report.json.sig");
    auto pub = read(out / "signing.pub");
    auto ok = report::verify_report(json_text, sig, pub);
    REQUIRE(ok);
    CHECK(ok->key_fingerprint == key.fingerprint());
    auto parsed = json::parse(json_text);
    CHECK(parsed["coverage"]["gaps"].size() == 2);
    CHECK(parsed["site"]["zones"][0]["name"] == "午睡室");
    // Edits: a digit of a number, a byte of a name, whitespace only.
    for (auto edit : {std::string("\"seconds\": 300"), std::string("午睡室"), std::string("\n")}) {
      auto tampered = json_text;
      auto at = tampered.find(edit);
      REQUIRE(at != std::string::npos);
      tampered[at + edit.size() - 1] = edit.back() == '\n' ? ' ' : static_cast<char>(tampered[at + edit.size() - 1] ^ 1);
      auto bad = report::verify_report(tampered, sig, pub);
      REQUIRE_FALSE(bad);
      CHECK(bad.error().kind == ErrorKind::DataLoss);
    }
    // A signature made by another key, even over the same bytes, is refused for this key.
    std::filesystem::create_directories(s.dir / "other");
    auto other = signing::KeyPair::load_or_create(s.dir / "other").value();
    auto forged = report::make_signature(json_text, other);
    auto refused = report::verify_report(json_text, forged, pub);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::FailedPrecondition);
    // Hash and key swapped in the signature file, signature kept: refused.
    auto sig_json = json::parse(sig);
    sig_json["signature"] = json::parse(forged)["signature"];
    CHECK_FALSE(report::verify_report(json_text, sig_json.dump(), pub));
  }

  SECTION("the HTML is self-contained and Chromium renders the timeline") {
    auto html = read(out / "report.html");
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // the SVG namespace only
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("午睡室") != std::string::npos);

    auto png = s.dir / "shot.png";
    auto run = test::run_command("chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
                                 "--window-size=1200,2600 --screenshot=" +
                                 png.string() + " file://" + (out / "report.html").string() + " 2>&1");
    INFO("chromium (Debian package chromium, tools/install-deps.sh): " << run.out);
    REQUIRE(std::filesystem::exists(png));
    // Decodes the PNG with zlib alone and counts pixels of the timeline's two colours: care
    // shading (#cfe8d4) and gap red (#d32f2f). A blank or unstyled page has neither.
    const std::string decode =
        "import sys,zlib,struct\n"
        "d=open(sys.argv[1],\"rb\").read()\n"
        "p=8;idat=b\"\";w=h=0\n"
        "while p<len(d):\n"
        "    n,t=struct.unpack(\">I4s\",d[p:p+8]);c=d[p+8:p+8+n];p+=12+n\n"
        "    if t==b\"IHDR\": w,h,bd,ct=struct.unpack(\">IIBB\",c[:10]);bpp={2:3,6:4}[ct]\n"
        "    if t==b\"IDAT\": idat+=c\n"
        "raw=zlib.decompress(idat);s=w*bpp;prev=bytearray(s);o=0;care=gap=white=0\n"
        "for y in range(h):\n"
        "    f=raw[o];line=bytearray(raw[o+1:o+1+s]);o+=1+s\n"
        "    for i in range(s):\n"
        "        a=line[i-bpp] if i>=bpp else 0;b=prev[i];c=prev[i-bpp] if i>=bpp else 0\n"
        "        if f==1: line[i]=(line[i]+a)&255\n"
        "        elif f==2: line[i]=(line[i]+b)&255\n"
        "        elif f==3: line[i]=(line[i]+(a+b)//2)&255\n"
        "        elif f==4:\n"
        "            q=a+b-c;pa=abs(q-a);pb=abs(q-b);pc=abs(q-c)\n"
        "            line[i]=(line[i]+(a if pa<=pb and pa<=pc else b if pb<=pc else c))&255\n"
        "    for x in range(0,s,bpp):\n"
        "        px=tuple(line[x:x+3])\n"
        "        if px==(207,232,212): care+=1\n"
        "        elif px==(211,47,47): gap+=1\n"
        "        elif px==(255,255,255): white+=1\n"
        "    prev=line\n"
        "print(care,gap,white,w*h)\n";
    auto counts = python(decode, png.string());
    long care = 0, gap = 0, white = 0, total = 0;
    REQUIRE(std::sscanf(counts.c_str(), "%ld %ld %ld %ld", &care, &gap, &white, &total) == 4);
    INFO(counts);
    CHECK(care > 1000);
    CHECK(gap > 10);
    CHECK(white < total);
  }
}

TEST_CASE("every fixed word of the report exists in Chinese and English", "[report]") {
  for (auto key : report::text_keys()) {
    INFO(key);
    CHECK_FALSE(report::tr(report::Lang::Zh, key).empty());
    CHECK_FALSE(report::tr(report::Lang::En, key).empty());
  }
  CHECK(report::default_lang("Asia/Shanghai") == report::Lang::Zh);
  CHECK(report::default_lang("Asia/Urumqi") == report::Lang::Zh);
  CHECK(report::default_lang("Europe/Berlin") == report::Lang::En);
  CHECK(report::duration(report::Lang::Zh, 3723) == "1小时02分03秒");
  CHECK(report::duration(report::Lang::En, 59) == "59s");
  CHECK(report::percent(99.999) == "99.99 %");
}

TEST_CASE("an English report has no Chinese fixed text", "[report][db]") {
  Scenario s;
  auto data = gather(s, report::Lang::En);
  auto doc = report::build_document(data, s.zone(), {"aa", "bb"});
  auto html = report::render_html(doc, data);
  CHECK(html.find("Video surveillance audit report") != std::string::npos);
  CHECK(html.find("camera offline") != std::string::npos);
  // Every fixed word is English; Chinese appears only in configured names and the hold reason.
  for (auto key : report::text_keys()) {
    auto zh = report::tr(report::Lang::Zh, key);
    if (zh == report::tr(report::Lang::En, key)) continue;
    INFO(key);
    CHECK(html.find(">" + std::string(zh) + "<") == std::string::npos);
  }
  CHECK(html.find("星期") == std::string::npos);
}

TEST_CASE("carekeep report writes the report, logs it, and verify-report checks it", "[report][db]") {
  Scenario s;
  auto out = s.dir / "out";
  auto cli = std::string(CAREKEEP_CLI_PATH) + " --config " + s.config_path.string();
  auto run = test::run_command(cli + " report --from 2026-11-16 --to 2026-11-18 --out " + out.string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("2 gaps in care time") != std::string::npos);
  CHECK(std::filesystem::exists(out / "report.pdf"));
  CHECK(std::filesystem::exists(s.database.parent_path() / "signing.key"));

  auto parsed = json::parse(read(out / "report.json"));
  CHECK(parsed["lang"] == "zh");  // Asia/Shanghai
  CHECK(parsed["period"]["from_date"] == "2026-11-16");
  CHECK(parsed["period"]["to_date"] == "2026-11-18");

  {
    auto index = index::Index::open_reader(s.database).value();
    auto last = index.last_access_log().value();
    REQUIRE(last);
    CHECK(last->action == "report");
    CHECK(last->result == "ok");
    CHECK(json::parse(last->arguments)["report_json_sha256"] == report::sha256_hex(read(out / "report.json")));
  }

  auto verify = test::run_command(cli + " verify-report " + (out / "report.json").string() + " --pubkey " +
                                  (out / "signing.pub").string());
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.out.find("signature OK") != std::string::npos);

  // Offline: no configuration at all. The key inside the signature proves the file unchanged,
  // not who signed it: its own exit code, until a fingerprint from outside names it (issue 15).
  auto offline = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config /nonexistent verify-report " +
                                   (out / "report.json").string());
  CHECK(offline.exit_code == 16);
  CHECK(offline.out.find("UNTRUSTED KEY") != std::string::npos);
  auto fingerprint = signing::PublicKey::from_pem(read(out / "signing.pub")).value().fingerprint();
  auto named = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config /nonexistent verify-report " +
                                 (out / "report.json").string() + " --fingerprint " + fingerprint);
  CHECK(named.exit_code == 0);
  auto other = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config /nonexistent verify-report " +
                                 (out / "report.json").string() + " --fingerprint " + std::string(64, 'a'));
  CHECK(other.exit_code == 4);

  auto text = read(out / "report.json");
  text[text.find("午睡室") + 1] ^= 1;
  test::write_text(out / "report.json", text);
  auto tampered = test::run_command(cli + " verify-report " + (out / "report.json").string());
  CHECK(tampered.exit_code == 4);
  CHECK(tampered.err.find("NOT VERIFIED") != std::string::npos);

  auto en = test::run_command(cli + " report --from 2026-11-16 --to 2026-11-16 --lang en --format csv --out " +
                              (s.dir / "en").string());
  REQUIRE(en.exit_code == 0);
  CHECK(json::parse(read(s.dir / "en" / "report.json"))["lang"] == "en");
  CHECK_FALSE(std::filesystem::exists(s.dir / "en" / "report.pdf"));
  auto bad = test::run_command(cli + " report --from 2026-11-16 --to 2026-11-16 --format docx --out " +
                               (s.dir / "x").string());
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("unknown report format \"docx\"") != std::string::npos);
}

// The daily summary (issue 17): the same day's figures as the report, in one message.
TEST_CASE("the daily summary states a day's coverage, the cameras not recording, days held and open alerts",
          "[report][db][summary]") {
  Scenario s;
  auto index = index::Index::open_reader(s.database).value();
  const auto monday = index::TimeRange{local("2026-11-16"), local("2026-11-17")};
  report::GatherOptions options{report::Lang::Zh, "test", "box", local("2026-11-17T20:00"), false};
  auto day = report::gather(index, s.config, s.calendar(), monday, options).value();
  auto summary = report::summarize(day, {"nap-1", "nap-2"}, {{"camera_offline", "play-1", "warning"}},
                                   std::string(64, 'a'), local("2026-11-17T20:00"));
  REQUIRE(summary.zones.size() == 2);
  // nap: 5 min uncovered of 7 h of care (09:10-09:15); play's outage was at lunch, outside care.
  REQUIRE(summary.zones[0].covered_percent);
  CHECK(*summary.zones[0].covered_percent == Approx(100.0 * (420 - 5) / 420));
  CHECK(summary.zones[0].gaps == 1);
  CHECK(*summary.zones[1].covered_percent == Approx(100.0));
  CHECK(summary.cameras_down == std::vector<std::string>{"play-1"});

  auto zh = report::render_summary(summary, report::Lang::Zh, s.zone());
  INFO(zh);
  CHECK(zh.starts_with("阳光家庭托育点：2/3路摄像头在录像，play-1未在录像；2026-11-16照护时段覆盖98.8%：午睡室 98.8%（1处缺口"));
  CHECK(zh.find("1条未处理告警：摄像头离线（play-1）") != std::string::npos);
  CHECK(zh.find("签名密钥 aaaaaaaaaaaaaaaa") != std::string::npos);
  CHECK(zh.find("游戏区") == std::string::npos);  // a whole zone is not listed
  auto en = report::render_summary(summary, report::Lang::En, s.zone());
  INFO(en);
  CHECK(en.find("2 of 3 cameras recording, play-1 not recording; care hours of 2026-11-16 covered 98.8%: 午睡室 98.8% (1 gap, ") !=
        std::string::npos);
  CHECK(en.find("1 open alert: camera offline (play-1)") != std::string::npos);

  // A day without care (Saturday): said so, not "100 %".
  auto saturday = report::gather(index, s.config, s.calendar(), {local("2026-11-21"), local("2026-11-22")}, options).value();
  auto quiet = report::summarize(saturday, {"nap-1", "nap-2", "play-1"}, {}, "", local("2026-11-22T20:00"));
  auto quiet_text = report::render_summary(quiet, report::Lang::Zh, s.zone());
  CHECK(quiet_text.find("3路摄像头正常；2026-11-21无照护时段") != std::string::npos);
  CHECK(quiet_text.find("无未处理告警") != std::string::npos);

  // The CLI: the same, for a date given, as JSON with the message.
  auto cli = std::string(CAREKEEP_CLI_PATH) + " --config " + s.config_path.string();
  auto run = test::run_command(cli + " summary --date 2026-11-16 --json");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  auto parsed = json::parse(run.out);
  CHECK(parsed["date"] == "2026-11-16");
  CHECK(parsed["zones"][0]["gaps"] == 1);
  CHECK(parsed["cameras_down"].size() == 3);  // nothing records now: the scenario's daemon stopped
  CHECK(parsed["text"].get<std::string>().find("2026-11-16照护时段覆盖98.8%") != std::string::npos);
  auto bad = test::run_command(cli + " summary --date 2026-13-01");
  CHECK(bad.exit_code == 2);
}
