// The pure delivery decisions (lib/alerts/delivery, render): repeat and de-duplication rules
// per alert, the per-webhook queue (cap, newest reminder only, 24 h expiry, rate window with
// coalescing, retry back-off) and the texts per channel and language, driven by a fake clock.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/delivery.hpp"
#include "alerts/render.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using alerts::AlertNotices;
using alerts::Change;
using alerts::DeliveryQueue;
using alerts::Notice;
using alerts::Severity;
using json = nlohmann::json;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18

alerts::Alert alert(std::int64_t id, std::string kind, std::string subject, UtcTime raised,
                    Severity severity = Severity::Warning) {
  alerts::Alert a;
  a.id = id;
  a.kind = std::move(kind);
  a.subject = std::move(subject);
  a.severity = severity;
  a.raised = raised;
  a.last_seen = raised;
  return a;
}

Notice notice(Notice::Kind kind, std::int64_t id, UtcTime at, Severity severity = Severity::Warning) {
  Notice n{kind, alert(id, "camera_offline", "cam-" + std::to_string(id), at, severity), at, {}, {}, {}};
  n.id = alerts::make_notice_id(n);
  return n;
}

}  // namespace

TEST_CASE("a flapping camera is one raised message per episode, reminders double, one resolved", "[alerts][delivery]") {
  FakeClock clock{kT0};
  AlertNotices notices(alerts::ReminderTiming{10min, 6h});
  auto a = alert(7, "camera_offline", "nap-1", kT0);
  auto first = notices.on_change({Change::Type::Raised, a}, clock.now());
  REQUIRE(first.notice);
  CHECK(first.notice->kind == Notice::Kind::Raised);
  CHECK(first.remind_in == std::chrono::milliseconds(10min));
  // The watcher re-raises on every check (and the camera reconnecting and dropping again
  // within the episode keeps the same alert): nothing new for the person.
  for (int i = 0; i < 5; ++i) {
    clock.advance(5s);
    auto again = notices.on_change({Change::Type::Raised, a}, clock.now());
    CHECK_FALSE(again.notice);
    CHECK_FALSE(again.remind_in);
  }
  // Reminders back off: 10 min, then 20, 40, ... at most 6 h.
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 7; ++i) {
    auto r = notices.on_reminder({"camera_offline", "nap-1"}, 7, clock.now());
    REQUIRE(r.notice);
    CHECK(r.notice->kind == Notice::Kind::Reminder);
    waits.push_back(*r.remind_in);
  }
  CHECK(waits.front() == std::chrono::milliseconds(20min));
  CHECK(waits[1] == std::chrono::milliseconds(40min));
  CHECK(waits.back() == std::chrono::milliseconds(6h));
  // A severity change is a new event.
  auto worse = a;
  worse.severity = Severity::Critical;
  auto changed = notices.on_change({Change::Type::Raised, worse}, clock.now());
  REQUIRE(changed.notice);
  CHECK(changed.remind_in == std::chrono::milliseconds(10min));
  // The episode ends: one resolved notice, the reminder stops; a second resolve is dropped.
  auto done = a;
  done.resolved = clock.now();
  auto resolved = notices.on_change({Change::Type::Resolved, done}, clock.now());
  REQUIRE(resolved.notice);
  CHECK(resolved.notice->kind == Notice::Kind::Resolved);
  CHECK(resolved.cancel_reminder);
  CHECK_FALSE(notices.on_change({Change::Type::Resolved, done}, clock.now()).notice);
  CHECK_FALSE(notices.on_reminder({"camera_offline", "nap-1"}, 7, clock.now()).notice);
  // The next episode is a new alert (a new id): told again.
  auto next = alert(8, "camera_offline", "nap-1", clock.now());
  CHECK(notices.on_change({Change::Type::Raised, next}, clock.now()).notice);
}

TEST_CASE("an adopted alert keeps the saved reminder schedule and a resolution told before is not repeated", "[alerts][delivery]") {
  FakeClock clock{kT0};
  AlertNotices notices(alerts::ReminderTiming{10min, 6h});
  auto told = notice(Notice::Kind::Resolved, 3, kT0 - 1min);
  notices.restore({{5, kT0 + 2h, 80min}}, {told});
  auto adopted = notices.adopt(alert(5, "disk_full", "", kT0 - 3h), clock.now());
  CHECK_FALSE(adopted.notice);  // no second raised message after a restart
  CHECK(adopted.remind_in == std::chrono::milliseconds(80min));  // due in 2 h, clamped to the step
  auto other = notices.adopt(alert(6, "disk_low", "", kT0 - 3h), clock.now());
  CHECK(other.remind_in == std::chrono::milliseconds(10min));
  auto r = notices.reminders();
  REQUIRE(r.size() == 2);
  auto three = alert(3, "camera_offline", "cam-3", kT0 - 1h);
  three.resolved = kT0 - 1min;
  CHECK_FALSE(notices.on_change({Change::Type::Resolved, three}, clock.now()).notice);
  auto five = alert(5, "disk_full", "", kT0 - 3h);
  five.resolved = clock.now();
  CHECK(notices.on_change({Change::Type::Resolved, five}, clock.now()).notice);  // news to the person
}

TEST_CASE("a webhook queue keeps order, the newest reminder, a cap, and drops what is a day old", "[alerts][delivery]") {
  DeliveryQueue queue(alerts::DeliveryTiming{5s, 5min, 1min, 6}, Severity::Warning);
  CHECK_FALSE(queue.wanted(notice(Notice::Kind::Raised, 1, kT0, Severity::Info)));
  Notice digest = notice(Notice::Kind::Digest, 1, kT0, Severity::Info);
  Notice summary = notice(Notice::Kind::Summary, 1, kT0, Severity::Info);
  CHECK(queue.wanted(digest));
  CHECK(queue.wanted(summary));

  queue.push(notice(Notice::Kind::Reminder, 1, kT0));
  queue.push(notice(Notice::Kind::Raised, 2, kT0 + 1s));
  queue.push(notice(Notice::Kind::Reminder, 1, kT0 + 2s));  // replaces the first reminder
  REQUIRE(queue.size() == 2);
  CHECK(queue.notices()[0].alert.id == 2);
  CHECK(queue.notices()[1].at == kT0 + 2s);

  for (int i = 0; i < 250; ++i) {
    auto dropped = queue.push(notice(Notice::Kind::Raised, 100 + i, kT0 + 3s));
    CHECK(dropped.has_value() == (i >= 198));
  }
  CHECK(queue.size() == DeliveryQueue::kMaxQueue);

  auto expired = queue.drop_expired(kT0 + 24h + 2500ms);  // the two oldest are over a day old
  CHECK(expired.size() == 0);
  DeliveryQueue old(alerts::DeliveryTiming{}, Severity::Info);
  old.push(notice(Notice::Kind::Raised, 1, kT0));
  old.push(notice(Notice::Kind::Raised, 2, kT0 + 2h));
  auto gone = old.drop_expired(kT0 + 25h);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].alert.id == 1);
  CHECK(old.size() == 1);
}

TEST_CASE("the rate window sends one at a time, coalesces in its last slot, then waits, and failures back off", "[alerts][delivery]") {
  DeliveryQueue queue(alerts::DeliveryTiming{5s, 20s, 1min, 3}, Severity::Info);
  const DeliveryQueue::Steady t0{};
  for (int i = 1; i <= 5; ++i) queue.push(notice(Notice::Kind::Raised, i, kT0));
  auto s1 = queue.next(t0);
  REQUIRE(s1.what == DeliveryQueue::Step::Do::Send);
  CHECK(s1.batch.size() == 1);
  CHECK(queue.next(t0).what == DeliveryQueue::Step::Do::Nothing);  // one in flight at a time
  // Failures keep the message at the head and back off: 5 s, 10 s, 20 s, 20 s.
  CHECK(queue.failed() == std::chrono::milliseconds(5s));
  auto s2 = queue.next(t0 + 5s);
  REQUIRE(s2.what == DeliveryQueue::Step::Do::Send);
  CHECK(s2.batch[0].alert.id == 1);
  CHECK(queue.failed() == std::chrono::milliseconds(10s));
  // The window (3 per minute) has one slot left: it takes everything queued.
  auto s3 = queue.next(t0 + 15s);
  REQUIRE(s3.what == DeliveryQueue::Step::Do::Send);
  CHECK(s3.batch.size() == 5);
  CHECK(queue.delivered() == 5);
  CHECK(queue.empty());
  queue.push(notice(Notice::Kind::Raised, 6, kT0));
  auto s4 = queue.next(t0 + 20s);
  REQUIRE(s4.what == DeliveryQueue::Step::Do::Wait);
  CHECK(s4.until == t0 + 1min);
  auto s5 = queue.next(t0 + 1min);
  REQUIRE(s5.what == DeliveryQueue::Step::Do::Send);
  CHECK(queue.failed() == std::chrono::milliseconds(5s));  // a delivery reset the back-off
}

TEST_CASE("every alert kind has a phrase in both languages, and messages carry their own text", "[alerts][render]") {
  alerts::WebhookSite site{"阳光托育点", {{"nap-1", "午睡室"}}};
  for (auto kind : {alerts::kCameraOffline, alerts::kZoneUncovered, alerts::kContentFault, alerts::kDiskLow,
                    alerts::kDiskFull, alerts::kDiskReadonly, alerts::kDiskError, alerts::kStorageNotWritable,
                    alerts::kDiskSmartFailing, alerts::kDiskSmartWarning, alerts::kDiskSmartUnavailable,
                    alerts::kClockUntrusted, alerts::kCapacityShort, alerts::kFootageMissing,
                    alerts::kFootageNotRecorded, alerts::kCareAutoStopped}) {
    Notice n{Notice::Kind::Raised, alert(1, std::string(kind), "nap-1", kT0), kT0, "x", {}, {}};
    n.alert.message = "RAW";
    auto zh = alerts::render_line(n, site, "zh");
    auto en = alerts::render_line(n, site, "en");
    INFO(kind);
    CHECK(zh.find("RAW") == std::string::npos);
    CHECK(en.find("RAW") == std::string::npos);
    CHECK(zh != en);
  }
  Notice s{Notice::Kind::Summary, alert(4, "summary", "", kT0), kT0, "4-summary", R"({"sequence":4})",
           {{"zh", "阳光托育点：2路摄像头正常"}, {"en", "Sunshine: 2 cameras recording"}}};
  CHECK(alerts::render_line(s, site, "zh") == "阳光托育点：2路摄像头正常");
  CHECK(alerts::render_line(s, site, "en", 125min) == "Sunshine: 2 cameras recording (delivered 2 h 5 min late)");
  config::Webhook hook;
  hook.format = config::WebhookFormat::Json;
  hook.language = "zh";
  auto body = json::parse(alerts::render_body(hook, {s}, site, kT0 + 1min));
  CHECK(body["event"] == "summary");
  CHECK(body["summary"]["sequence"] == 4);
  CHECK(body["late"] == false);
  hook.format = config::WebhookFormat::WeCom;
  auto robot = json::parse(alerts::render_body(hook, {s}, site, kT0 + 1min));
  CHECK(robot["markdown"]["content"] == "**阳光托育点**\n阳光托育点：2路摄像头正常");
}
