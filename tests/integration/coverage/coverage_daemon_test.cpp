// Coverage end to end (issue #5): carekeepd recording three real carekeep-fakecam processes,
// one per camera so that one can be killed. Zone "play" has one camera, zone "nap" two. A
// camera outage, a daemon stop, the live zone_uncovered alert, `carekeep gaps --json` and
// `carekeep zones --json`, and the gaps the daemon stored at shutdown.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

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

// One carekeep-fakecam process serving one small camera on a fixed port.
class Fakecam {
 public:
  Fakecam(std::string id, std::filesystem::path log) : id_(std::move(id)), log_(std::move(log)), port_(free_port()) {}
  ~Fakecam() { kill(); }
  Fakecam(const Fakecam&) = delete;
  Fakecam& operator=(const Fakecam&) = delete;

  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/" + id_; }

  void start() {
    std::filesystem::remove(log_);
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
      std::string camera = id_ + ":320x240:300:fps=10:gop=1";
      std::string port = std::to_string(port_);
      ::execl(CAREKEEP_FAKECAM_BIN, CAREKEEP_FAKECAM_BIN, "--camera", camera.c_str(), "--port", port.c_str(),
              "--address", "127.0.0.1", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    REQUIRE(test::wait_until([&] { return test::read_text(log_).find("fakecam ready") != std::string::npos; }, 20s));
  }

  // SIGKILL: the camera vanishes without closing its sessions, as a power cut does.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::string id_;
  std::filesystem::path log_;
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
  text += "\n[coverage]\ngap_tolerance_seconds = 2\n\n";
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
          "and the live alert is raised and resolved",
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
  std::this_thread::sleep_for(10s - (SystemClock{}.now() - killed));
  play.start();
  nap1.start();
  auto restarted = SystemClock{}.now();
  REQUIRE(daemon.wait_for_log("camera_up", 20s, 5));
  REQUIRE(daemon.wait_for_log("zone_covered", 30s));
  auto resolved = SystemClock{}.now();
  std::this_thread::sleep_for(3s);

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
  CHECK(outage >= 9.0);
  CHECK(outage <= 14.0);
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

  // The same evidence outside care hours: no gap at all. Care is moved to an hour that
  // starts two hours after the test's local hour, so the window lies outside it.
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
  CHECK(cli_json(elsewhere, "gaps --json --from " + iso(from) + " --to " + iso(to)).empty());

  // An unknown zone is named with the closest one.
  auto typo = test::run_command("CAREKEEP_CONFIG='" + config.string() + "' '" + CAREKEEP_CLI_BIN +
                                "' gaps --zone plya --from " + iso(from) + " --to " + iso(to));
  CHECK(typo.exit_code == 2);
  CHECK(typo.err == "carekeep: unknown zone \"plya\"; did you mean \"play\"?\n");
}
