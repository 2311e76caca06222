// carekeepd end to end: a camera that refuses connections leaves its zone uncovered during
// care hours, and the zone_uncovered alert reaches a real HTTP receiver as a short Chinese
// message naming the zone; SIGTERM still ends the daemon promptly with the webhook hanging.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "support/http_receiver.hpp"
#include "support/recording.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

TEST_CASE("carekeepd sends a zone_uncovered alert to a webhook in the site language", "[webhook][daemon]") {
  test::TempDir dir;
  test::Receiver receiver;
  std::string text = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                     (dir / "media").string() + "\"\ndatabase = \"" + (dir / "index.db").string() +
                     "\"\n\n[care_hours]\n";
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
    text += std::string(day) + " = [\"00:00-24:00\"]\n";
  text += "\n[coverage]\ngap_tolerance_seconds = 2\n\n";
  text += "[[alerts.webhook]]\nurl = \"" + receiver.url("/hook?key=K") + "\"\n\n";
  text += "[[camera]]\nid = \"nap-1\"\nurl = \"rtsp://127.0.0.1:" + std::to_string(test::closed_port()) + "/s\"\n\n";
  text += "[[zone]]\nid = \"nap\"\nname = \"午睡室\"\ncameras = [\"nap-1\"]\n";
  auto config = dir / "carekeep.toml";
  test::write_text(config, text);

  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  bool sent = test::wait_until([&] { return receiver.count() >= 1; }, 30s);
  INFO(daemon.log_text());
  REQUIRE(sent);
  auto body = nlohmann::json::parse(receiver.received()[0].body);
  CHECK(body["event"] == "raised");
  CHECK(body["kind"] == "zone_uncovered");
  CHECK(body["subject"] == "nap");
  CHECK(body["site"] == "测试托育点");
  CHECK(body["message"].get<std::string>().rfind("午睡室在托育时间无画面", 0) == 0);
  CHECK(receiver.received()[0].target == "/hook?key=K");
  CHECK(daemon.log_text().find("key=K") == std::string::npos);

  // A webhook that stops answering must not keep the daemon from stopping.
  receiver.hang(true);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);
}
