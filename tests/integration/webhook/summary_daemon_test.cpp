// The daily summary and disk_low end to end (issue 17): a real carekeepd with a real fakecam
// camera on 127.0.0.1 sends its summary at [alerts] summary_time (a few seconds ahead, with
// seconds) to a real HTTP receiver, with the figures of the box and number 1; after a restart
// the next one is number 2; one whose time passed while carekeepd was down comes once at the
// next start, marked late in the access log. And a real small filesystem filled up gives
// disk_low, resolved when the space is back.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/time.hpp"
#include "index/index.hpp"
#include "support/http_receiver.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const TimeZone& shanghai() {
  static const TimeZone zone = TimeZone::locate("Asia/Shanghai").value();
  return zone;
}

// The local time of day `ahead` from now in Shanghai, as "HH:MM:SS".
std::string local_time_in(std::chrono::seconds ahead) {
  auto local = shanghai().to_local(SystemClock{}.now() + std::chrono::duration_cast<Micros>(ahead));
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(local - date::floor<date::days>(local)).count();
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d:%02d", static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return text;
}

// A site caring all day, whose one zone "nap" is seen by the one camera "nap-1".
std::filesystem::path write_config(const std::filesystem::path& dir, const std::filesystem::path& storage,
                                   const std::string& camera_url, const std::string& hook_url,
                                   const std::string& alerts_extra) {
  std::string text = "[site]\nname = \"阳光托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + storage.string() +
                     "\"\ndatabase = \"" + (dir / "state" / "index.db").string() + "\"\n\n[care_hours]\n";
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
    text += std::string(day) + " = [\"00:00-24:00\"]\n";
  text += "\n[alerts]\n" + alerts_extra + "\n";
  text += "[[alerts.webhook]]\nurl = \"" + hook_url + "\"\n\n";
  text += "[[camera]]\nid = \"nap-1\"\nurl = \"" + camera_url + "\"\n\n";
  text += "[[zone]]\nid = \"nap\"\nname = \"午睡室\"\ncameras = [\"nap-1\"]\n";
  auto config = dir / "carekeep.toml";
  test::write_text(config, text);
  return config;
}

std::vector<json> events(const test::Receiver& receiver, const std::string& event) {
  std::vector<json> out;
  for (const auto& n : test::json_notices(test::accepted(receiver.received())))
    if (n["event"] == event) out.push_back(n);
  return out;
}

std::vector<json> alert_events(const test::Receiver& receiver, const std::string& event, const std::string& kind) {
  std::vector<json> out;
  for (const auto& n : events(receiver, event))
    if (n["kind"] == kind) out.push_back(n);
  return out;
}

// The access log's "summary" rows' arguments, oldest first.
std::vector<json> summary_rows(const std::filesystem::path& db) {
  auto index = index::Index::open_reader(db).value();
  std::vector<json> out;
  const auto rows = index.access_log({UtcTime{}, SystemClock{}.now() + 1h}).value();  // kept: iterated below
  for (const auto& row : rows)
    if (row.action == "summary") out.push_back(json::parse(row.arguments));
  return out;
}

}  // namespace

TEST_CASE("carekeepd sends the daily summary at its time, numbered across restarts, a missed one once late", "[webhook][daemon][rtsp][summary]") {
  test::TempDir dir;
  test::RtspTestServer camera;
  test::Receiver receiver;
  const auto hook = receiver.url("/hook");
  const auto db = dir / "state" / "index.db";
  auto config = write_config(dir.path(), dir / "media", camera.url("cam"), hook,
                             "summary_time = \"" + local_time_in(10s) + "\"\n");
  const auto yesterday = date::format("%F", date::floor<date::days>(shanghai().to_local(SystemClock{}.now())) - date::days{1});
  {
    test::DaemonProcess first{CAREKEEPD_BIN, config, dir / "first.log"};
    first.start();
    bool sent = test::wait_until([&] { return events(receiver, "summary").size() == 1; }, 40s);
    INFO(first.log_text());
    REQUIRE(sent);
    first.signal(SIGTERM);
    REQUIRE(first.wait(15s) == 0);
  }
  auto one = events(receiver, "summary").at(0);
  INFO(one.dump(2));
  const json& figures = one["summary"];
  CHECK(figures["sequence"] == 1);
  CHECK(figures["site"] == "阳光托育点");
  CHECK(figures["date"] == yesterday);
  CHECK(figures["cameras"] == json::array({"nap-1"}));
  CHECK(figures["cameras_down"] == json::array());  // fakecam was recording at the time
  CHECK(figures["key_fingerprint"].get<std::string>().size() == 64);
  CHECK_FALSE(figures["next"].is_null());
  const std::string message = one["message"].get<std::string>();
  CHECK(message.rfind("阳光托育点：1路摄像头正常", 0) == 0);
  CHECK(message.find("第1份日报，下一份") != std::string::npos);
  CHECK(one["late"] == false);
  REQUIRE(summary_rows(db).size() == 1);
  CHECK(summary_rows(db)[0]["seq"] == 1);

  // The next one, after a restart: number 2, at its (new) time, and only one.
  config = write_config(dir.path(), dir / "media", camera.url("cam"), hook,
                        "summary_time = \"" + local_time_in(10s) + "\"\n");
  {
    test::DaemonProcess second{CAREKEEPD_BIN, config, dir / "second.log"};
    second.start();
    bool sent = test::wait_until([&] { return events(receiver, "summary").size() == 2; }, 40s);
    INFO(second.log_text());
    REQUIRE(sent);
    CHECK(second.log_text().find("why=daily") != std::string::npos);
    second.signal(SIGTERM);
    REQUIRE(second.wait(15s) == 0);
  }
  CHECK(events(receiver, "summary").at(1)["summary"]["sequence"] == 2);

  // Its time passes while carekeepd is down: sent once at the next start, marked late.
  config = write_config(dir.path(), dir / "media", camera.url("cam"), hook,
                        "summary_time = \"" + local_time_in(1s) + "\"\n");
  std::this_thread::sleep_for(3s);
  {
    test::DaemonProcess third{CAREKEEPD_BIN, config, dir / "third.log"};
    third.start();
    bool sent = test::wait_until([&] { return events(receiver, "summary").size() == 3; }, 30s);
    INFO(third.log_text());
    REQUIRE(sent);
    REQUIRE(third.wait_for_log("daemon_ready", 20s));
    third.signal(SIGTERM);
    REQUIRE(third.wait(15s) == 0);
  }
  auto summaries = events(receiver, "summary");
  CHECK(summaries.size() == 3);
  CHECK(summaries.at(2)["summary"]["sequence"] == 3);
  auto rows = summary_rows(db);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2]["why"] == "late");
  CHECK(rows[1]["why"] == "daily");
}

TEST_CASE("a storage filled to its last percent gives disk_low, resolved when the space is back", "[webhook][daemon][disk_low]") {
  test::TempDir dir;
  test::SmallFilesystem storage(64ull << 20);
  test::Receiver receiver;
  auto config = write_config(dir.path(), storage.path(), "rtsp://127.0.0.1:" + std::to_string(test::closed_port()) + "/s",
                             receiver.url("/hook"), "disk_low_free_percent = 3\n");
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("daemon_ready", 20s));
  CHECK(alert_events(receiver, "raised", "disk_low").empty());

  // Someone's files leave 1 % free: retention has nothing of its own to delete.
  auto filler = storage.path() / "someone-elses-files.bin";
  {
    std::ofstream out(filler, std::ios::binary);
    std::string block(1 << 20, 'x');
    for (int i = 0; i < 63; ++i) out.write(block.data(), static_cast<std::streamsize>(block.size()));
    out.write(block.data(), static_cast<std::streamsize>(block.size() * 4 / 10));
  }
  bool raised = test::wait_until([&] { return !alert_events(receiver, "raised", "disk_low").empty(); }, 30s);
  INFO(daemon.log_text());
  REQUIRE(raised);
  auto low = alert_events(receiver, "raised", "disk_low").at(0);
  CHECK(low["severity"] == "warning");
  CHECK(low["message"].get<std::string>().rfind("存储空间即将不足：请加装或更换更大的硬盘，或降低摄像头码率", 0) == 0);

  std::filesystem::remove(filler);
  bool resolved = test::wait_until([&] { return !alert_events(receiver, "resolved", "disk_low").empty(); }, 30s);
  REQUIRE(resolved);
  CHECK(alert_events(receiver, "raised", "disk_low").size() == 1);  // one message for the episode
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(15s) == 0);
}
