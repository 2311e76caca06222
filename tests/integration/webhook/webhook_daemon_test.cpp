// carekeepd end to end: a camera that refuses connections leaves its zone uncovered during
// care hours, and the zone_uncovered alert reaches a real HTTP receiver as a short Chinese
// message naming the zone; SIGTERM still ends the daemon promptly with the webhook hanging.
// The signed digest (issue 15) goes the same way, and a history rewritten after it fails
// `carekeep verify --digest` even when re-hashed and re-anchored with the box's own key.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "export/anchor.hpp"
#include "export/footage.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"
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

TEST_CASE("the digest reaches the webhook, and a history rewritten after it fails verify --digest", "[webhook][daemon]") {
  test::TempDir dir;
  test::Receiver receiver;
  auto state = dir / "state";
  std::string text = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                     (dir / "media").string() + "\"\ndatabase = \"" + (state / "index.db").string() +
                     "\"\n\n[care_hours]\nmonday = [\"08:00-12:00\"]\n\n";
  // A webhook that wants critical alerts only still gets the digest: it is not an alert.
  text += "[[alerts.webhook]]\nurl = \"" + receiver.url("/hook") + "\"\nmin_severity = \"critical\"\n\n";
  text += "[[camera]]\nid = \"nap-1\"\nurl = \"rtsp://127.0.0.1:" + std::to_string(test::closed_port()) + "/s\"\n";
  auto config = dir / "carekeep.toml";
  test::write_text(config, text);
  std::filesystem::create_directories(state);
  auto t0 = UtcTime{date::floor<date::days>(std::chrono::system_clock::now()) - date::days{1}} + std::chrono::hours(1);
  std::vector<index::SegmentRow> rows;
  {
    auto index = index::Index::open_writer(state / "index.db").value();
    rows = test::make_footage(index, dir / "media", {"nap-1", t0, 12, 4, 25, false});
  }
  REQUIRE(rows.size() == 3);

  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("control_listening", 20s));
  auto cli = [&](const std::string& args) {
    return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
  };
  auto made = cli("digest");
  INFO(made.out << made.err << daemon.log_text());
  REQUIRE(made.exit_code == 0);
  REQUIRE(test::wait_until([&] { return receiver.count() >= 1; }, 30s));
  auto body = nlohmann::json::parse(receiver.received()[0].body);
  CHECK(body["event"] == "digest");
  CHECK(body["message"].get<std::string>().rfind("每日证据摘要 第 1 号：1 个摄像头链", 0) == 0);
  auto file = state / "digests" / ("digest-" + [&] {
    auto local = date::floor<date::days>(TimeZone::locate("Asia/Shanghai").value().to_local(SystemClock{}.now()));
    auto d = format_date(local);
    d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
    return d;
  }() + "-1.json");
  REQUIRE(std::filesystem::exists(file));
  CHECK(body["digest"] == nlohmann::json::parse(test::read_text(file)));
  CHECK(body["digest"]["cameras"][0]["length"] == 6);  // each segment's opening and its close
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(10s) == 0);

  auto untouched = cli("verify --quick --digest " + file.string());
  INFO(untouched.out << untouched.err);
  CHECK(untouched.exit_code == 0);

  // Whoever runs the box rewrites segment 2's frame count in its row and entry, re-hashes every
  // entry from there on and signs new anchors with the box's own key: the index agrees with
  // itself again, and only the digest that left the box still knows the old chain.
  {
    auto index = index::Index::open_writer(state / "index.db").value();
    auto& db = index.connection();
    REQUIRE(db.exec("drop trigger chain_entry_no_update; drop trigger integrity_anchor_no_delete; "
                    "update segment set frames = 1 where id = " + std::to_string(rows[1].id)));
    Sha256 previous{};
    auto entries = index.chain_entries("nap-1").value();
    for (auto e : entries) {
      if (e.segment_id == rows[1].id && e.kind != "opened") {  // an opening has no frame count
        auto at = e.record.find("\nframes=") + 1;  // not keyframes=
        e.record.replace(at, e.record.find('\n', at) - at, "frames=1");
      }
      e.prev_hash = previous;
      e.hash = index::chain_entry_hash(e);
      previous = e.hash;
      REQUIRE(db.exec("update chain_entry set record = '" + e.record + "', prev_hash = x'" + to_hex(e.prev_hash) +
                      "', hash = x'" + to_hex(e.hash) + "' where chain = 'nap-1' and seq = " + std::to_string(e.seq)));
    }
    REQUIRE(db.exec("delete from integrity_anchor"));
    auto key = signing::KeyPair::load(state / "signing.key").value();
    REQUIRE(exports::sign_anchors(index, key, SystemClock{}.now()));
  }
  auto alone = cli("verify --quick");
  INFO(alone.out << alone.err);
  CHECK(alone.exit_code == 0);  // consistent on its own
  auto rewritten = cli("verify --quick --digest " + file.string());
  INFO(rewritten.out << rewritten.err);
  CHECK(rewritten.exit_code == 4);
  CHECK(rewritten.out.find("camera nap-1: digest no. 1 of ") != std::string::npos);
  CHECK(rewritten.out.find("camera nap-1's chain: entry 6 differs from the digest's") != std::string::npos);  // its tip
}
