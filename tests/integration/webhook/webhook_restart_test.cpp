// carekeepd across a restart with its webhook refusing: a real fakecam camera on 127.0.0.1 is
// in an outage, so its zone is uncovered, then covered again when the camera comes back,
// while the webhook receiver (a real HTTP server on 127.0.0.1) answers 503 to everything.
// The notices wait in webhook-outbox.json; after a clean stop (SIGTERM) or a kill -9 the next
// carekeepd, with the receiver accepting, delivers exactly those notices first, in order, once
// each, with the times of the first run.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "support/http_receiver.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A site caring all day, whose one zone "nap" is seen by the one camera "nap-1".
std::filesystem::path write_config(const test::TempDir& dir, const std::string& camera_url, const std::string& hook_url) {
  std::string text = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                     (dir / "media").string() + "\"\ndatabase = \"" + (dir / "state" / "index.db").string() +
                     "\"\n\n[care_hours]\n";
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
    text += std::string(day) + " = [\"00:00-24:00\"]\n";
  text += "\n[coverage]\ngap_tolerance_seconds = 2\n\n";
  text += "[[alerts.webhook]]\nurl = \"" + hook_url + "\"\n\n";
  text += "[[camera]]\nid = \"nap-1\"\nurl = \"" + camera_url + "\"\n\n";
  text += "[[zone]]\nid = \"nap\"\nname = \"午睡室\"\ncameras = [\"nap-1\"]\n";
  auto config = dir / "carekeep.toml";
  test::write_text(config, text);
  return config;
}

// The notices queued in the outbox file, oldest first (none while it is missing; rename
// replaces it whole, so a read never sees half a file).
std::vector<json> queued(const std::filesystem::path& outbox) {
  std::vector<json> out;
  std::error_code ec;
  if (!std::filesystem::exists(outbox, ec)) return out;
  auto doc = json::parse(test::read_text(outbox), nullptr, false);
  if (doc.is_discarded()) return out;
  for (const auto& q : doc["queues"]) {
    for (const auto& n : q["notices"]) out.push_back(n);
  }
  return out;
}

bool is(const json& queued_notice, const std::string& event, const std::string& subject) {
  return queued_notice["event"] == event && queued_notice["alert"]["subject"] == subject;
}

bool has(const std::vector<json>& notices, const std::string& event, const std::string& subject) {
  return std::any_of(notices.begin(), notices.end(), [&](const json& n) { return is(n, event, subject); });
}

std::vector<std::string> ids_of(const std::vector<json>& notices) {
  std::vector<std::string> out;
  for (const auto& n : notices) out.push_back(n["id"].get<std::string>());
  return out;
}

// Every notice the receiver accepted (answered 2xx), coalesced ones unpacked, in arrival order.
std::vector<json> delivered(const test::Receiver& receiver) { return test::json_notices(test::accepted(receiver.received())); }

bool all_delivered(const test::Receiver& receiver, const std::vector<std::string>& ids) {
  auto got = ids_of(delivered(receiver));
  return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
    return std::find(got.begin(), got.end(), id) != got.end();
  });
}

bool none_queued(const std::filesystem::path& outbox, const std::vector<std::string>& ids) {
  auto left = ids_of(queued(outbox));
  return std::none_of(ids.begin(), ids.end(), [&](const std::string& id) {
    return std::find(left.begin(), left.end(), id) != left.end();
  });
}

// The second run's deliveries start with `saved`, in its order, once each, carrying the
// first run's times.
void check_delivered_first_in_order(const std::vector<json>& got, const std::vector<json>& saved) {
  REQUIRE(got.size() >= saved.size());
  std::map<std::string, int> seen;
  for (const auto& n : got) ++seen[n["id"].get<std::string>()];
  for (std::size_t i = 0; i < saved.size(); ++i) {
    const json& s = saved[i];
    const json& g = got[i];
    INFO("notice " << i << ": " << s.dump());
    CHECK(g["id"] == s["id"]);
    CHECK(seen[s["id"].get<std::string>()] == 1);
    CHECK(g["event"] == s["event"]);
    CHECK(g["subject"] == s["alert"]["subject"]);
    CHECK(g["at"] == format_utc_iso(from_us(s["at_us"].get<std::int64_t>())));
    CHECK(g["raised"] == format_utc_iso(from_us(s["alert"]["raised_us"].get<std::int64_t>())));
    if (!s["alert"]["resolved_us"].is_null()) {
      CHECK(g["resolved"] == format_utc_iso(from_us(s["alert"]["resolved_us"].get<std::int64_t>())));
    }
  }
}

}  // namespace

TEST_CASE("carekeepd delivers the webhook notices queued at its stop after a restart, in order and once", "[webhook][daemon][rtsp]") {
  test::TempDir dir;
  test::RtspTestServer camera;
  camera.stop();  // an outage: the zone is uncovered from the start
  test::Receiver receiver;
  receiver.answer(503);  // the endpoint refuses everything during the first run
  auto config = write_config(dir, camera.url("cam"), receiver.url("/hook?key=K"));
  auto outbox = dir / "state" / "webhook-outbox.json";

  std::vector<json> saved;
  {
    test::DaemonProcess first{CAREKEEPD_BIN, config, dir / "first.log"};
    first.start();
    bool raised = test::wait_until([&] { return has(queued(outbox), "raised", "nap"); }, 30s);
    INFO(first.log_text());
    REQUIRE(raised);
    REQUIRE(test::wait_until([&] { return receiver.count() >= 1; }, 20s));  // it was tried and refused
    camera.start();  // the camera is back: the zone is covered again, and that is news too
    bool resolved = test::wait_until([&] { return has(queued(outbox), "resolved", "nap"); }, 40s);
    REQUIRE(resolved);
    first.signal(SIGTERM);
    REQUIRE(first.wait(15s) == 0);
    saved = queued(outbox);
  }
  REQUIRE(delivered(receiver).empty());
  auto raised_at = std::find_if(saved.begin(), saved.end(), [](const json& n) { return is(n, "raised", "nap"); });
  auto resolved_at = std::find_if(saved.begin(), saved.end(), [](const json& n) { return is(n, "resolved", "nap"); });
  REQUIRE(resolved_at != saved.end());
  CHECK(raised_at < resolved_at);
  CHECK(test::read_text(outbox).find("key=K") == std::string::npos);  // the file names the webhook by digest
  auto ids = ids_of(saved);

  receiver.answer(200);  // the endpoint accepts from now on
  test::DaemonProcess second{CAREKEEPD_BIN, config, dir / "second.log"};
  second.start();
  bool done = test::wait_until([&] { return all_delivered(receiver, ids) && none_queued(outbox, ids); }, 30s);
  INFO(second.log_text());
  REQUIRE(done);
  second.signal(SIGTERM);
  REQUIRE(second.wait(15s) == 0);
  // Stopped cleanly: nothing of the first run is left for a third one to send again.
  CHECK(none_queued(outbox, ids));
  CHECK(second.log_text().find("webhook_outbox_restored") != std::string::npos);
  CHECK(second.log_text().find("key=K") == std::string::npos);

  auto got = delivered(receiver);
  check_delivered_first_in_order(got, saved);
  auto nap = std::find_if(got.begin(), got.end(), [](const json& n) { return n["subject"] == "nap" && n["event"] == "resolved"; });
  REQUIRE(nap != got.end());
  CHECK((*nap)["message"].get<std::string>().rfind("已恢复：午睡室在托育时间无画面", 0) == 0);
  CHECK((*nap)["late"] == false);
  for (const auto& r : receiver.received()) CHECK(r.target == "/hook?key=K");
}

TEST_CASE("the webhook notices in the outbox at a kill -9 arrive from the next carekeepd, once", "[webhook][daemon][rtsp]") {
  test::TempDir dir;
  test::RtspTestServer camera;
  camera.stop();
  test::Receiver receiver;
  receiver.answer(503);
  auto config = write_config(dir, camera.url("cam"), receiver.url("/hook?key=K"));
  auto outbox = dir / "state" / "webhook-outbox.json";

  {
    test::DaemonProcess first{CAREKEEPD_BIN, config, dir / "first.log"};
    first.start();
    bool raised = test::wait_until([&] { return has(queued(outbox), "raised", "nap"); }, 30s);
    INFO(first.log_text());
    REQUIRE(raised);  // written at a loop turn before the kill
    REQUIRE(test::wait_until([&] { return receiver.count() >= 1; }, 20s));
    first.signal(SIGKILL);  // no stop(): only what was written already survives
    REQUIRE(first.wait(15s) == 128 + SIGKILL);
  }
  auto saved = queued(outbox);
  REQUIRE(has(saved, "raised", "nap"));
  REQUIRE(delivered(receiver).empty());
  auto ids = ids_of(saved);

  receiver.answer(200);
  test::DaemonProcess second{CAREKEEPD_BIN, config, dir / "second.log"};
  second.start();
  bool restored = test::wait_until([&] { return all_delivered(receiver, ids) && none_queued(outbox, ids); }, 30s);
  INFO(second.log_text());
  REQUIRE(restored);
  // The camera comes back only now, so the second run's "resolved" is made after the
  // restored notices went out, whether or not the kill cost the index the alert.
  camera.start();
  auto is_resolved_nap = [](const json& n) { return n["subject"] == "nap" && n["event"] == "resolved"; };
  bool resolved = test::wait_until([&] {
    auto got = delivered(receiver);
    return std::any_of(got.begin(), got.end(), is_resolved_nap);
  }, 40s);
  REQUIRE(resolved);
  second.signal(SIGTERM);
  REQUIRE(second.wait(15s) == 0);
  CHECK(none_queued(outbox, ids));

  auto got = delivered(receiver);
  check_delivered_first_in_order(got, saved);
  CHECK(std::count_if(got.begin(), got.end(), is_resolved_nap) == 1);
  CHECK(std::count_if(got.begin(), got.end(), [](const json& n) { return n["subject"] == "nap" && n["event"] == "raised"; }) == 1);
}
