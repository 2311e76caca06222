// Coverage end to end (issue #5): carekeepd recording three real carekeep-fakecam processes,
// one per camera so that one can be killed. Zone "play" has one camera, zone "nap" two. A
// camera outage, a daemon stop, the live zone_uncovered alert, `carekeep gaps --json` and
// `carekeep zones --json`, and the gaps the daemon stored at shutdown. Then a care-hours end
// in the middle of an outage, and black, frozen, covered and static pictures as content gaps.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

// A port nothing listens on now; the fakecam restarted after a kill needs the same one.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// One carekeep-fakecam process serving small cameras on a fixed port. With a control socket
// its cameras' pictures can be switched to a fault while it runs (tools/fakecam/README.md).
class Fakecam {
 public:
  Fakecam(std::vector<std::string> ids, std::filesystem::path log, std::filesystem::path control = {})
      : ids_(std::move(ids)), log_(std::move(log)), control_(std::move(control)), port_(free_port()) {}
  Fakecam(std::string id, std::filesystem::path log) : Fakecam(std::vector<std::string>{std::move(id)}, std::move(log)) {}
  ~Fakecam() { kill(); }
  Fakecam(const Fakecam&) = delete;
  Fakecam& operator=(const Fakecam&) = delete;

  std::string url(const std::string& id) const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/" + id; }
  std::string url() const { return url(ids_.front()); }

  void start() {
    std::filesystem::remove(log_);
    std::vector<std::string> args{CAREKEEP_FAKECAM_BIN, "--port", std::to_string(port_), "--address", "127.0.0.1"};
    for (const auto& id : ids_) {
      args.push_back("--camera");
      args.push_back(id + ":320x240:300:fps=10:gop=1");
    }
    if (!control_.empty()) {
      args.push_back("--control");
      args.push_back(control_.string());
    }
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(CAREKEEP_FAKECAM_BIN, argv.data());
      ::_exit(127);
    }
    REQUIRE(test::wait_until(
        [&] {
          auto text = test::read_text(log_);
          std::size_t ready = 0;
          for (auto at = text.find("fakecam ready"); at != std::string::npos; at = text.find("fakecam ready", at + 1))
            ++ready;
          return ready == ids_.size();
        },
        20s));
  }

  // SIGKILL: the camera vanishes without closing its sessions, as a power cut does.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // "<fault> <camera>" on the control socket; returns the reply ("ok black cam-1"), which
  // comes once the fault is in effect.
  std::string command(const std::string& line) const {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", control_.c_str());
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string reply;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      std::string text = line + "\n";
      if (::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
        char c = 0;
        while (::read(fd, &c, 1) == 1 && c != '\n') reply += c;
      }
    }
    ::close(fd);
    return reply;
  }

 private:
  std::vector<std::string> ids_;
  std::filesystem::path log_;
  std::filesystem::path control_;
  int port_;
  pid_t pid_ = -1;
};

std::string config_text(const std::filesystem::path& dir, const Fakecam& play, const Fakecam& nap1,
                        const Fakecam& nap2) {
  std::string text = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                     (dir / "media").string() + "\"\ndatabase = \"" + (dir / "index.db").string() +
                     "\"\n\n[care_hours]\n";
  // Care all day, every day: the test window is always in care.
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
    text += std::string(day) + " = [\"00:00-24:00\"]\n";
  text += "\n[coverage]\ngap_tolerance_seconds = 2\n\n[alerts]\ncamera_offline_seconds = 10\n\n";
  for (auto [id, cam] : {std::pair{"play-1", &play}, std::pair{"nap-1", &nap1}, std::pair{"nap-2", &nap2}})
    text += "[[camera]]\nid = \"" + std::string(id) + "\"\nurl = \"" + cam->url() + "\"\nsegment_seconds = 10\n\n";
  text += "[[zone]]\nid = \"play\"\nname = \"活动室\"\ncameras = [\"play-1\"]\n\n";
  text += "[[zone]]\nid = \"nap\"\nname = \"午睡室\"\ncameras = [\"nap-1\", \"nap-2\"]\n";
  return text;
}

std::string iso(UtcTime t) { return format_utc_iso(t); }

Json cli_json(const std::filesystem::path& config, const std::string& args) {
  auto run = test::run_command("CAREKEEP_CONFIG='" + config.string() + "' '" + CAREKEEP_CLI_BIN + "' " + args);
  INFO(args << ": " << run.err);
  REQUIRE(run.exit_code == 0);
  return Json::parse(run.out);
}

double seconds_between(UtcTime a, UtcTime b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

TEST_CASE("coverage: a killed camera is one gap in its zone only, the daemon stop is recorder_not_running, "
          "and the live alerts are raised and resolved: zone_uncovered for the zone left bare and camera_offline "
          "for each camera also where its zone stays covered",
          "[rtsp][slow]") {
  test::TempDir dir;
  Fakecam play{"play-1", dir / "play-1.log"};
  Fakecam nap1{"nap-1", dir / "nap-1.log"};
  Fakecam nap2{"nap-2", dir / "nap-2.log"};
  play.start();
  nap1.start();
  nap2.start();
  auto config = dir / "carekeep.toml";
  test::write_text(config, config_text(dir.path(), play, nap1, nap2));
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 3));
  auto from = SystemClock{}.now() + 1s;
  std::this_thread::sleep_for(4s);

  // One camera of each zone goes away for ~10 s.
  auto killed = SystemClock{}.now();
  play.kill();
  nap1.kill();
  REQUIRE(daemon.wait_for_log("zone_uncovered", 30s));
  auto alerted = SystemClock{}.now();
  auto zones = cli_json(config, "zones --json");
  REQUIRE(zones.size() == 2);
  CHECK(zones[0]["zone"] == "play");
  CHECK(zones[0]["covered"] == false);
  REQUIRE(zones[0]["not_covering"].size() == 1);
  CHECK(zones[0]["not_covering"][0]["camera"] == "play-1");
  CHECK(zones[1]["zone"] == "nap");
  CHECK(zones[1]["covered"] == true);
  CHECK(zones[1]["covering"] == Json::array({"nap-2"}));
  // camera_offline_seconds = 10: both cameras are reported, nap-1 although nap-2 covers its zone.
  REQUIRE(daemon.wait_for_log("warn camera_offline camera=", 20s, 2));
  std::this_thread::sleep_for(14s - (SystemClock{}.now() - killed));
  play.start();
  nap1.start();
  auto restarted = SystemClock{}.now();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 5));
  REQUIRE(daemon.wait_for_log("zone_covered", 30s));
  auto resolved = SystemClock{}.now();
  // Resolved once each has recorded for 10 s without a break (one message per episode).
  REQUIRE(daemon.wait_for_log("info camera_online camera=", 25s, 2));

  // The daemon stops for ~8 s.
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(15s) == 0);
  auto stopped = SystemClock{}.now();
  std::this_thread::sleep_for(8s);
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 8));
  auto back = SystemClock{}.now();
  std::this_thread::sleep_for(3s);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(15s) == 0);
  auto to = SystemClock{}.now();

  INFO("alert after " << seconds_between(killed, alerted) << " s, resolved " << seconds_between(restarted, resolved)
                      << " s after the restart");
  CHECK(alerted - killed <= 30s);
  // Only zone "play" was ever uncovered; its alert is resolved.
  auto index = index::Index::open_reader(dir / "index.db");
  REQUIRE(index);
  auto alerts = index->alerts();
  REQUIRE(alerts);
  int zone_alerts = 0;
  for (const auto& a : *alerts) {
    if (a.kind != "zone_uncovered") continue;
    ++zone_alerts;
    CHECK(a.subject == "play");
    CHECK(a.resolved.has_value());
    CHECK(a.message.find("play-1 camera_offline") != std::string::npos);
  }
  CHECK(zone_alerts == 1);
  std::set<std::string> offline;
  for (const auto& a : *alerts) {
    if (a.kind != "camera_offline") continue;
    CHECK(offline.insert(a.subject).second);  // one alert per camera for the one outage
    CHECK(a.severity == "warning");
    CHECK(a.resolved.has_value());
    if (a.subject == "nap-1") CHECK(a.message.find("zone nap is still covered by another camera") != std::string::npos);
    if (a.subject == "play-1") CHECK(a.message.find("zone play has no other camera recording") != std::string::npos);
  }
  CHECK(offline == std::set<std::string>{"nap-1", "play-1"});

  auto gaps = cli_json(config, "gaps --json --from " + iso(from) + " --to " + iso(to));
  INFO(gaps.dump(2));
  std::vector<Json> play_gaps;
  std::vector<Json> nap_gaps;
  for (const auto& g : gaps) (g["zone"] == "play" ? play_gaps : nap_gaps).push_back(g);
  // play: the outage, then the daemon stop (the time it took to come back up included).
  REQUIRE(play_gaps.size() == 2);
  CHECK(play_gaps[0]["cause"] == "camera_offline");
  // The detail cites the down event the index recorded for the outage. The catalog records
  // one down event per outage: the killed server ends the stream first (stream_ended); the
  // refused reconnects that follow are logged (camera_down) but not stored as events.
  auto events = cli_json(config, "events --json --camera play-1 --from " + iso(killed - 2s) + " --to " +
                                     iso(restarted + 5s));
  std::string down_cause;
  for (const auto& e : events)
    if (e["kind"] == "down" && down_cause.empty()) down_cause = e["cause"].get<std::string>();
  CHECK((down_cause == "stream_ended" || down_cause == "refused"));
  CHECK(play_gaps[0]["detail"].get<std::string>().starts_with("play-1: camera_offline (" + down_cause + ")"));
  double outage = play_gaps[0]["duration_s"].get<double>();
  CHECK(outage >= 13.0);
  CHECK(outage <= 18.0);
  auto outage_start = from_us(play_gaps[0]["start_us"].get<std::int64_t>());
  CHECK(std::chrono::abs(outage_start - killed) <= 2s);
  CHECK(play_gaps[1]["cause"] == "recorder_not_running");
  double down = play_gaps[1]["duration_s"].get<double>();
  CHECK(down >= seconds_between(stopped, back) - 3);
  CHECK(down <= seconds_between(stopped, back) + 3);
  // nap: nap-2 covered the outage; only the daemon stop is a gap.
  REQUIRE(nap_gaps.size() == 1);
  CHECK(nap_gaps[0]["cause"] == "recorder_not_running");
  CHECK(nap_gaps[0]["detail"].get<std::string>().find("nap-1: recorder_not_running") != std::string::npos);

  // The daemon stored the gaps at each shutdown; the last store saw all of them.
  auto stored = index->zone_gaps({from, to});
  REQUIRE(stored);
  REQUIRE(stored->size() == 3);
  CHECK((*stored)[0].zone_id == "nap");
  CHECK((*stored)[0].cause == "recorder_not_running");
  CHECK((*stored)[1].zone_id == "play");
  CHECK((*stored)[1].cause == "camera_offline");
  CHECK((*stored)[2].cause == "recorder_not_running");

  // A file edited afterwards to move care elsewhere does not change the past (issue 15): the
  // window is judged by the care hours the daemon ran with then, and keeps its gaps. Care is
  // moved to an hour that starts two hours after the test's local hour, outside the window.
  auto local_hour = std::chrono::floor<std::chrono::hours>(
                        TimeZone::locate("Asia/Shanghai").value().to_local(from).time_since_epoch()).count() % 24;
  auto h = (local_hour + 2) % 24;
  char hours[32];
  std::snprintf(hours, sizeof hours, "%02lld:00-%02lld:00", static_cast<long long>(h), static_cast<long long>(h + 1));
  std::string text = test::read_text(config);
  std::string all_day = "[\"00:00-24:00\"]";
  for (auto at = text.find(all_day); at != std::string::npos; at = text.find(all_day))
    text.replace(at, all_day.size(), std::string("[\"") + hours + "\"]");
  auto elsewhere = dir / "elsewhere.toml";
  test::write_text(elsewhere, text);
  CHECK(cli_json(elsewhere, "gaps --json --from " + iso(from) + " --to " + iso(to)) == gaps);

  // An unknown zone is named with the closest one.
  auto typo = test::run_command("CAREKEEP_CONFIG='" + config.string() + "' '" + CAREKEEP_CLI_BIN +
                                "' gaps --zone plya --from " + iso(from) + " --to " + iso(to));
  CHECK(typo.exit_code == 2);
  CHECK(typo.err == "carekeep: unknown zone \"plya\"; did you mean \"play\"?\n");
}

namespace {

std::string site_header(const std::filesystem::path& dir) {
  return "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + (dir / "media").string() +
         "\"\ndatabase = \"" + (dir / "index.db").string() + "\"\n\n";
}

std::string every_day(const std::string& hours) {
  std::string text = "[care_hours]\n";
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
    text += std::string(day) + " = [\"" + hours + "\"]\n";
  return text + "\n";
}

std::string hhmm(long long minute_of_day) {
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld", minute_of_day / 60, minute_of_day % 60);
  return text;
}

void sleep_until(UtcTime t) {
  auto left = t - SystemClock{}.now();
  if (left > Micros{0}) std::this_thread::sleep_for(left);
}

// The number after "key=" in a gap detail ("black mean=16.0 stddev=0.0"); NaN when absent.
double detail_value(const std::string& detail, const std::string& key) {
  auto at = detail.find(" " + key + "=");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(detail.c_str() + at + key.size() + 2, nullptr);
}

}  // namespace

TEST_CASE("coverage: care hours ending in the middle of an outage end its gap exactly there, and an outage "
          "after care is no gap and no alert",
          "[rtsp][slow]") {
  test::TempDir dir;
  Fakecam play{"play-1", dir / "play-1.log"};
  play.start();
  // Care hours have minute resolution: care ends at the next minute boundary that leaves time
  // to start recording first (the site's offset is whole hours, so a UTC minute is a local one).
  auto tz = TimeZone::locate("Asia/Shanghai");
  REQUIRE(tz);
  const UtcTime boundary = std::chrono::ceil<std::chrono::minutes>(SystemClock{}.now() + 30s);
  auto local = tz->to_local(boundary);
  long long end_minute = std::chrono::floor<std::chrono::minutes>(local - date::floor<date::days>(local)).count();
  // An hour of care up to the boundary ("23:30-00:30" crosses midnight, "23:00-24:00" does not).
  std::string hours = hhmm((end_minute + 1440 - 60) % 1440) + "-" + (end_minute == 0 ? "24:00" : hhmm(end_minute));
  INFO("care hours " << hours << ", care ends at " << iso(boundary));
  auto config = dir / "carekeep.toml";
  test::write_text(config, site_header(dir.path()) + every_day(hours) + "[coverage]\ngap_tolerance_seconds = 2\n\n" +
                               "[[camera]]\nid = \"play-1\"\nurl = \"" + play.url() + "\"\nsegment_seconds = 10\n\n" +
                               "[[zone]]\nid = \"play\"\nname = \"活动室\"\ncameras = [\"play-1\"]\n");
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s));
  auto from = SystemClock{}.now() + 1s;
  // The outage starts 15 s before care ends (time for the live alert: at most 12 s, 7 s for a
  // server that is gone) and lasts until 10 s after.
  REQUIRE(boundary - SystemClock{}.now() > 18s);
  sleep_until(boundary - 15s);
  auto killed = SystemClock{}.now();
  play.kill();
  sleep_until(boundary + 10s);
  play.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 2));
  std::this_thread::sleep_for(3s);

  // The same outage again, now entirely outside care hours.
  play.kill();
  std::this_thread::sleep_for(10s);
  play.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 3));
  std::this_thread::sleep_for(3s);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(15s) == 0);
  auto to = SystemClock{}.now();

  auto gaps = cli_json(config, "gaps --json --from " + iso(from) + " --to " + iso(to));
  INFO(gaps.dump(2));
  // One gap: from the kill to the end of care, to the microsecond; nothing after it.
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0]["zone"] == "play");
  CHECK(gaps[0]["cause"] == "camera_offline");
  CHECK(gaps[0]["detail"].get<std::string>().starts_with("play-1: camera_offline ("));
  CHECK(std::chrono::abs(from_us(gaps[0]["start_us"].get<std::int64_t>()) - killed) <= 2s);
  CHECK(gaps[0]["end_us"].get<std::int64_t>() == to_us(boundary));

  // The live alert was raised during care and resolved by care's end, not by the camera's
  // return; the outage after care raised nothing.
  auto index = index::Index::open_reader(dir / "index.db");
  REQUIRE(index);
  auto alerts = index->alerts();
  REQUIRE(alerts);
  std::vector<index::AlertRow> zone_alerts;
  for (const auto& a : *alerts)
    if (a.kind == "zone_uncovered") zone_alerts.push_back(a);
  REQUIRE(zone_alerts.size() == 1);
  CHECK(zone_alerts[0].subject == "play");
  CHECK(zone_alerts[0].raised < boundary);
  REQUIRE(zone_alerts[0].resolved.has_value());
  CHECK(*zone_alerts[0].resolved >= boundary);
  CHECK(daemon.log_text().find("zone play is no longer in care hours") != std::string::npos);

  // The daemon stored the same single gap at shutdown.
  auto stored = index->zone_gaps({from, to});
  REQUIRE(stored);
  REQUIRE(stored->size() == 1);
  CHECK((*stored)[0].cause == "camera_offline");
  CHECK((*stored)[0].end == boundary);
}

TEST_CASE("coverage: black, frozen and covered pictures are content gaps naming their measured values, "
          "a static room is none",
          "[rtsp][slow][live_pictures]") {
  // One fakecam process, one camera per fault, each alone in its zone; the default [content]
  // settings (a sample every 5 s, frozen after 60 s), as on a real box.
  const std::vector<std::pair<std::string, std::string>> faults{
      {"black", "black-1"}, {"frozen", "frozen-1"}, {"covered", "covered-1"}, {"static", "static-1"}};
  test::TempDir dir;
  std::vector<std::string> ids;
  for (const auto& [fault, id] : faults) ids.push_back(id);
  Fakecam cams{ids, dir / "fakecam.log", dir / "fakecam.sock"};
  cams.start();
  std::string text = site_header(dir.path()) + every_day("00:00-24:00");
  for (const auto& [fault, id] : faults)
    text += "[[camera]]\nid = \"" + id + "\"\nurl = \"" + cams.url(id) + "\"\nsegment_seconds = 10\n\n";
  for (const auto& [fault, id] : faults) text += "[[zone]]\nid = \"" + fault + "\"\ncameras = [\"" + id + "\"]\n\n";
  auto config = dir / "carekeep.toml";
  test::write_text(config, text);
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 4));
  auto from = SystemClock{}.now() + 1s;
  std::this_thread::sleep_for(7s);  // a live picture first: a sample or two per camera

  auto faulted = SystemClock{}.now();
  for (const auto& [fault, id] : faults) REQUIRE(cams.command(fault + " " + id) == "ok " + fault + " " + id);
  // Within 90 s of the fault (issue #5), `carekeep gaps` shows a content gap in the three
  // faulty cameras' zones.
  Json gaps;
  auto content_zones = [&] {
    std::set<std::string> zones;
    for (const auto& g : gaps)
      if (g["cause"] == "content") zones.insert(g["zone"].get<std::string>());
    return zones;
  };
  bool shown = test::wait_until(
      [&] {
        gaps = cli_json(config, "gaps --json --from " + iso(from) + " --to " + iso(SystemClock{}.now() + 1h));
        return content_zones() == std::set<std::string>{"black", "covered", "frozen"};
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(faulted + 90s - SystemClock{}.now()));
  auto seen = SystemClock{}.now();
  INFO(gaps.dump(2) << "\nseen " << seconds_between(faulted, seen) << " s after the faults");
  REQUIRE(shown);
  // The static room was watched for as long (over 60 s) and is no gap; neither is anything
  // before the faults.
  std::map<std::string, Json> by_zone;
  for (const auto& g : gaps) {
    CHECK(g["zone"] != "static");
    CHECK(from_us(g["start_us"].get<std::int64_t>()) >= faulted);
    CHECK(by_zone.emplace(g["zone"].get<std::string>(), g).second);  // one gap per zone
  }
  // Each starts at the first sample showing the fault: the switch takes effect at the next
  // key frame (1 s) and a sample follows within 5 s.
  for (const auto& [zone, g] : by_zone)
    CHECK(from_us(g["start_us"].get<std::int64_t>()) - faulted <= 12s);

  auto black = by_zone["black"]["detail"].get<std::string>();
  CHECK(black.starts_with("black-1: content (black mean="));
  CHECK(detail_value(black, "mean") <= 40);   // Y = 16 in the fakecam's black frames
  CHECK(detail_value(black, "stddev") <= 5);  // flat
  auto covered = by_zone["covered"]["detail"].get<std::string>();
  CHECK(covered.starts_with("covered-1: content (covered mean="));
  CHECK(detail_value(covered, "mean") > 40);  // warm light, not dark
  CHECK(detail_value(covered, "mean") < 140);
  CHECK((detail_value(covered, "stddev") <= 5 || detail_value(covered, "gradient") <= 1.5));
  auto frozen = by_zone["frozen"]["detail"].get<std::string>();
  CHECK(frozen.starts_with("frozen-1: content (frozen unchanged="));
  CHECK(detail_value(frozen, "unchanged") >= 60);

  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(15s) == 0);
  // The daemon stored them at shutdown, with the same details.
  auto index = index::Index::open_reader(dir / "index.db");
  REQUIRE(index);
  auto stored = index->zone_gaps({from, SystemClock{}.now()});
  REQUIRE(stored);
  std::set<std::string> stored_zones;
  for (const auto& row : *stored) {
    CHECK(row.cause == "content");
    stored_zones.insert(row.zone_id);
    CHECK(row.detail.starts_with(by_zone[row.zone_id]["detail"].get<std::string>().substr(0, 30)));
  }
  CHECK(stored_zones == std::set<std::string>{"black", "covered", "frozen"});
}
