// carekeepd's control socket (issue #6, Access) with the real daemon and CLI. The test runs as
// root (as CI does), creates real Unix users and groups (an inspector, an operator and one in
// neither; removed at the end) and runs the CLI as each of them with setpriv --init-groups. Footage is real segment files made by the segment
// writer and indexed like the catalog does; the daemon's only camera points at a closed port
// on 127.0.0.1, so it records nothing new and deletes nothing (care hours all week).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/sha256.hpp"
#include "control/session.hpp"
#include "export/footage.hpp"
#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// Real users and groups, named after this process so that test processes running side by side
// never share one. Created once per process, removed when it ends.
struct TestUsers {
  std::string suffix = std::to_string(::getpid());
  std::string inspector_group = "ckgi" + suffix;
  std::string operator_group = "ckgo" + suffix;
  std::string inspector = "ckui" + suffix;
  std::string operator_user = "ckuo" + suffix;
  std::string stranger = "ckus" + suffix;

  TestUsers() {
    REQUIRE(::getuid() == 0);  // CI runs as root; the test needs it to create users
    for (const auto& g : {inspector_group, operator_group}) sh("groupadd --system " + g);
    sh("useradd --system --no-create-home --user-group --shell /usr/sbin/nologin --groups " + inspector_group + " " + inspector);
    sh("useradd --system --no-create-home --user-group --shell /usr/sbin/nologin --groups " + operator_group + " " +
       operator_user);
    sh("useradd --system --no-create-home --user-group --shell /usr/sbin/nologin " + stranger);
  }
  ~TestUsers() {
    for (const auto& u : {inspector, operator_user, stranger}) (void)test::run_command("userdel " + u);
    for (const auto& g : {inspector_group, operator_group}) (void)test::run_command("groupdel " + g);
  }
  static void sh(const std::string& command) {
    auto run = test::run_command(command);
    INFO(command << ": " << run.err);
    REQUIRE(run.exit_code == 0);
  }
  static uid_t uid_of(const std::string& user) {
    const passwd* pw = ::getpwnam(user.c_str());
    REQUIRE(pw != nullptr);
    return pw->pw_uid;
  }
};

const TestUsers& users() {
  static TestUsers created;
  return created;
}

// Yesterday 08:00 UTC: inside care hours (all week) and well inside 90 days.
UtcTime footage_start() {
  auto today = date::floor<date::days>(std::chrono::system_clock::now());
  return UtcTime{date::sys_days{today} - date::days{1}} + 8h;
}

std::string iso(UtcTime t) { return format_utc_iso(t); }

struct Site {
  test::TempDir dir;
  std::filesystem::path config = dir / "carekeep.toml";
  std::filesystem::path state = dir / "state";
  std::filesystem::path storage = dir / "media";
  std::filesystem::path socket = state / "control.sock";
  UtcTime t0 = footage_start();
  std::optional<test::DaemonProcess> daemon;

  // `access`: more [access] keys (issue 14's caps and timeouts), one per line.
  explicit Site(double footage_seconds = 12, const std::string& access = "") {
    test::write_text(config, R"([site]
name = "阳光家庭托育点"
timezone = "UTC"
storage = ")" + storage.string() + R"("
database = ")" + (state / "index.db").string() + R"("
[care_hours]
monday = ["00:00-24:00"]
tuesday = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday = ["00:00-24:00"]
friday = ["00:00-24:00"]
saturday = ["00:00-24:00"]
sunday = ["00:00-24:00"]
[access]
inspector_group = ")" + users().inspector_group + R"("
operator_group = ")" + users().operator_group + R"("
)" + access + R"(
[[camera]]
id = "nap-1"
name = "午睡室"
url = "rtsp://admin:secret@127.0.0.1:1/stream1"
[[zone]]
id = "nap"
cameras = ["nap-1"]
)");
    std::filesystem::create_directories(storage);
    std::filesystem::create_directories(state);
    {
      auto index = index::Index::open_writer(state / "index.db").value();
      test::make_footage(index, storage, {"nap-1", t0, footage_seconds, 4, 25, false});
    }
    // Other users reach the socket through these folders (on a box: /run/carekeep, 0755).
    for (const auto& d : {dir.path(), state}) std::filesystem::permissions(d, std::filesystem::perms(0755));
  }

  void start() {
    daemon.emplace(CAREKEEPD_BIN, config, dir / "daemon.log");
    daemon->start();
    REQUIRE(daemon->wait_for_log("control_listening", 20s));
  }
  void stop() {
    daemon->signal(SIGTERM);
    REQUIRE(daemon->wait(10s) == 0);
  }

  // As root, with the configuration (which finds the socket).
  test::CommandRun cli(const std::string& args) const {
    return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
  }
  // As `user` with the groups /etc/group gives them. The configuration is not readable to
  // them, so the socket is named the way an inspector's environment would (CAREKEEP_SOCKET).
  std::string as(const std::string& user) const {
    return "setpriv --reuid=" + user + " --regid=" + user + " --init-groups env CAREKEEP_SOCKET=" + socket.string() +
           " " + CAREKEEP_CLI_PATH;
  }
  test::CommandRun run_as(const std::string& user, const std::string& args, const std::string& cwd = "/") const {
    return test::run_command("cd " + cwd + " && " + as(user) + " " + args);
  }

  // The rows of commands: the daemon's own rows at start (config_load, key_created; issue 15)
  // are left out.
  json access_log() const {
    auto log = cli("access-log --json");
    REQUIRE(log.exit_code == 0);
    json rows = json::array();
    const json parsed = json::parse(log.out);  // kept: a range-for over a temporary's member dangles
    for (const auto& r : parsed.at("rows")) {
      if (r["action"] != "config_load" && r["action"] != "key_created") rows.push_back(r);
    }
    return rows;
  }
  std::size_t active_holds() const {
    auto index = index::Index::open_reader(state / "index.db").value();
    return index.active_holds().value().size();
  }
};

// A folder only `user` may write, as an inspector's USB stick or home would be.
std::filesystem::path own_folder(const Site& site, const std::string& name, const std::string& user) {
  auto path = site.dir / name;
  std::filesystem::create_directories(path);
  REQUIRE(::chown(path.c_str(), TestUsers::uid_of(user), static_cast<gid_t>(-1)) == 0);
  std::filesystem::permissions(path, std::filesystem::perms(0700));
  return path;
}

uid_t owner_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_uid;
}

}  // namespace

TEST_CASE("root's holds, key and verify go through the daemon and are logged with who and the result", "[rtsp]") {
  Site site;
  site.start();
  REQUIRE(site.cli("hold add --camera nap-1 --from " + iso(site.t0) + " --to " + iso(site.t0 + 5s) + " --reason case-17").exit_code == 0);
  REQUIRE(site.cli("hold release 1").exit_code == 0);
  CHECK(site.cli("hold release 1").exit_code == 3);  // released already: recorded as a failure
  REQUIRE(site.cli("key").exit_code == 0);
  auto verified = site.cli("verify --quick");
  INFO(verified.out << verified.err);
  REQUIRE(verified.exit_code == 0);
  auto rows = site.access_log();
  REQUIRE(rows.size() == 5);
  CHECK(rows[0]["action"] == "hold_add");
  CHECK(rows[0]["arguments"]["reason"] == "case-17");
  CHECK(rows[1]["action"] == "hold_release");
  CHECK(rows[1]["result"] == "ok");
  CHECK(rows[2]["action"] == "hold_release");
  CHECK(rows[2]["result"] != "ok");
  CHECK(rows[3]["action"] == "key");
  CHECK(rows[4]["action"] == "verify");
  for (const auto& r : rows) CHECK(r["uid"] == 0);
  CHECK(site.daemon->wait_for_log("control_command command=\"hold add\" user=root", 1s));
  site.stop();
}

TEST_CASE("an inspector lists, exports and reports into their own folder but may not hold footage", "[rtsp]") {
  Site site;
  site.start();
  // Without either group, nothing, and the refusal says which group would help.
  auto stranger = site.run_as(users().stranger, "status");
  CHECK(stranger.exit_code == 5);
  CHECK(stranger.err.find("may not see the status: that needs the group " + users().inspector_group) != std::string::npos);

  auto segments = site.run_as(users().inspector, "segments --camera nap-1 --from " + iso(site.t0) + " --to " +
                                                 iso(site.t0 + 1h) + " --json");
  INFO(segments.err);
  REQUIRE(segments.exit_code == 0);
  CHECK(json::parse(segments.out).size() == 3);

  // An inspector holds footage only for a case (the test below places one).
  auto held = site.run_as(users().inspector, "hold add --camera nap-1 --from " + iso(site.t0) + " --to " +
                                             iso(site.t0 + 5s) + " --reason x");
  CHECK(held.exit_code == 5);
  CHECK(held.err.find("an inspector places a hold for a case: give --case NUMBER") != std::string::npos);
  CHECK(site.active_holds() == 0);

  // The export lands in a folder the daemon's user could not write: the user's own carekeep
  // made every file (they are the inspector's), the daemon's child filled them.
  auto usb = own_folder(site, "usb", users().inspector);
  auto exported = site.run_as(users().inspector,
                              "export --camera nap-1 --from " + iso(site.t0 + 1s) + " --to " + iso(site.t0 + 9s) +
                                  " --out case-17",
                              usb.string());
  INFO(exported.out << exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(exported.out.find("exported to " + (usb / "case-17").string()) != std::string::npos);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(usb / "case-17")) {
    CHECK(owner_of(e.path()) == TestUsers::uid_of(users().inspector));
    ++files;
  }
  CHECK(files == 5);  // nap-1.mp4, manifest.json, manifest.sig, README.txt, public_key.pem
  CHECK(owner_of(usb / "case-17") == TestUsers::uid_of(users().inspector));
  auto checked = site.run_as(users().inspector, "verify-export " + (usb / "case-17").string() + " --pubkey " +
                                                   (usb / "case-17" / "public_key.pem").string());
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
  // Somebody else cannot read it, and is told so (not that it is no export).
  auto other = site.run_as(users().stranger, "verify-export " + (usb / "case-17").string());
  CHECK(other.exit_code != 0);
  CHECK(other.err.find("Permission denied") != std::string::npos);
  CHECK(site.active_holds() == 0);  // the export's own hold ended with it

  auto reported = site.run_as(users().inspector,
                              "report --from " + iso(site.t0).substr(0, 10) + " --to " + iso(site.t0).substr(0, 10) +
                                  " --format json,csv --lang en --out " + (usb / "audit").string());
  INFO(reported.out << reported.err);
  REQUIRE(reported.exit_code == 0);
  for (const auto* name : {"report.json", "report.json.sig", "signing.pub", "coverage.csv", "gaps.csv", "access.csv"})
    CHECK(owner_of(usb / "audit" / name) == TestUsers::uid_of(users().inspector));

  // Every access is in the log under its user, refusals included.
  auto rows = site.access_log();
  std::vector<std::string> log;
  for (const auto& r : rows) log.push_back(r["user"].get<std::string>() + " " + r["action"].get<std::string>());
  const auto& u = users();
  // The export's own hold, placed and released under the inspector, has its two rows too.
  CHECK(log == std::vector<std::string>{u.stranger + " refused", u.inspector + " hold_add", u.inspector + " hold_add",
                                        u.inspector + " hold_release", u.inspector + " export", u.inspector + " report"});
  CHECK(rows[1]["result"].get<std::string>().rfind("refused: an inspector places a hold for a case", 0) == 0);
  CHECK(rows[2]["arguments"]["placed_as"] == "export");
  for (const auto& r : rows) CHECK(r["uid"] == TestUsers::uid_of(r["user"].get<std::string>()));
  CHECK(rows[4]["arguments"]["out"] == (usb / "case-17").string());
  site.stop();
}

TEST_CASE("an operator places and releases holds in their own name", "[rtsp]") {
  Site site;
  site.start();
  auto held = site.run_as(users().operator_user, "hold add --camera nap-1 --from " + iso(site.t0) + " --to " +
                                            iso(site.t0 + 5s) + " --reason 'case 9'");
  INFO(held.out << held.err);
  REQUIRE(held.exit_code == 0);
  auto holds = json::parse(site.cli("hold list --json").out);
  REQUIRE(holds.size() == 1);
  CHECK(holds[0]["created_by"] == users().operator_user);
  REQUIRE(site.run_as(users().operator_user, "hold release 1").exit_code == 0);
  CHECK(json::parse(site.cli("hold list --json").out)[0]["released_by"] == users().operator_user);
  site.stop();
}

TEST_CASE("an inspector's hold for a case is released only by an inspector or root, and reports name its case", "[rtsp]") {
  Site site;
  site.start();
  auto held = site.run_as(users().inspector, "hold add --camera nap-1 --from " + iso(site.t0) + " --to " +
                                             iso(site.t0 + 5s) + " --case 2026-031 --reason 'complaint of 20 Nov'");
  INFO(held.out << held.err);
  REQUIRE(held.exit_code == 0);
  CHECK(held.out.find("for case 2026-031") != std::string::npos);
  auto holds = json::parse(site.cli("hold list --json").out);
  REQUIRE(holds.size() == 1);
  CHECK(holds[0]["case"] == "2026-031");
  CHECK(holds[0]["placed_as"] == "inspector");
  CHECK(holds[0]["created_by"] == users().inspector);

  // The operator, who may be the one under inspection, cannot end it; the attempt is recorded.
  auto by_operator = site.run_as(users().operator_user, "hold release 1");
  CHECK(by_operator.exit_code == 5);
  CHECK(by_operator.err.find("hold 1 was placed by inspector " + users().inspector + " for case 2026-031; only the " +
                             users().inspector_group + " group or root may release it") != std::string::npos);
  CHECK(site.active_holds() == 1);
  // An operator's own hold stays the operator's: an inspector may not release it.
  REQUIRE(site.run_as(users().operator_user, "hold add --camera nap-1 --from " + iso(site.t0) + " --to " +
                                                 iso(site.t0 + 5s) + " --reason 'parents asked'")
              .exit_code == 0);
  auto by_inspector = site.run_as(users().inspector, "hold release 2");
  CHECK(by_inspector.exit_code == 5);
  CHECK(by_inspector.err.find("hold 2 is an operator's hold") != std::string::npos);

  // The audit report lists the hold with its case.
  auto out = site.dir / "audit";
  auto reported = site.cli("report --from " + iso(site.t0).substr(0, 10) + " --to " + iso(site.t0).substr(0, 10) +
                           " --format json --lang en --out " + out.string());
  INFO(reported.out << reported.err);
  REQUIRE(reported.exit_code == 0);
  CHECK(reported.out.find(", the key pinned in ") != std::string::npos);  // signed with the pinned key, and says so
  auto report = json::parse(test::read_text(out / "report.json"));
  REQUIRE(report["holds"].size() == 2);
  CHECK(report["holds"][0]["case"] == "2026-031");
  CHECK(report["holds"][0]["placed_as"] == "inspector");
  CHECK(report["holds"][1]["placed_as"] == "operator");

  auto released = site.run_as(users().inspector, "hold release 1");
  INFO(released.err);
  CHECK(released.exit_code == 0);
  CHECK(site.active_holds() == 1);

  std::vector<std::string> log;
  for (const auto& r : site.access_log()) {
    if (r["action"] == "hold_release")
      log.push_back(r["user"].get<std::string>() + " " + r["result"].get<std::string>().substr(0, 8));
  }
  const auto& u = users();
  CHECK(log == std::vector<std::string>{u.operator_user + " refused:", u.inspector + " refused:", u.inspector + " ok"});
  // Every change is in the box chain, and it verifies.
  auto index = index::Index::open_reader(site.state / "index.db").value();
  auto box = index.chain_entries(index::kBoxChain).value();
  CHECK(std::count_if(box.begin(), box.end(), [](const auto& e) { return e.hold_id.has_value(); }) == 3);  // two holds, one release
  CHECK(std::count_if(box.begin(), box.end(), [](const auto& e) { return e.config_id.has_value(); }) == 1);  // the start's configuration
  CHECK(index.verify_chain(index::kBoxChain, SystemClock{}.now()).value().empty());
  site.stop();
}

TEST_CASE("an inspector has carekeepd sign a digest, kept in digests/ and recorded, and verify --digest checks it", "[rtsp]") {
  Site site;
  site.start();
  auto made = site.run_as(users().inspector, "digest");
  INFO(made.out << made.err);
  REQUIRE(made.exit_code == 0);
  CHECK(made.out.find("digest no. 1 signed, kept in " + (site.state / "digests").string()) != std::string::npos);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(site.state / "digests")) files.push_back(e.path());
  REQUIRE(files.size() == 1);
  auto digest = json::parse(test::read_text(files[0]));
  CHECK(digest["format"] == "carekeep-digest/1");
  CHECK(digest["site"] == "阳光家庭托育点");
  CHECK(digest["cameras"][0]["camera"] == "nap-1");
  CHECK(digest["config_sha256"] == to_hex(sha256_of(test::read_text(site.config))));
  CHECK(site.run_as(users().stranger, "digest").exit_code == 5);
  // The daemon's row joins the recorders' open batch, committed within a second.
  json rows;
  auto has_digest = [&] {
    rows = site.access_log();
    return std::any_of(rows.begin(), rows.end(), [](const json& r) { return r["action"] == "digest"; });
  };
  CHECK(test::wait_until(has_digest, 5s));
  auto digest_row = std::find_if(rows.begin(), rows.end(), [](const json& r) { return r["action"] == "digest"; });
  REQUIRE(digest_row != rows.end());
  CHECK((*digest_row)["user"] == users().inspector);
  CHECK((*digest_row)["arguments"]["seq"] == 1);
  site.stop();

  auto verified = site.cli("verify --quick --digest " + files[0].string());
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("1 digests; 0 finding(s)") != std::string::npos);
  // A digest that is not one is bad input, not a finding.
  test::write_text(site.dir / "junk.json", "{\"format\": 1}");
  auto junk = site.cli("verify --quick --digest " + (site.dir / "junk.json").string());
  CHECK(junk.exit_code == 2);
  CHECK(junk.err.find("--digest " + (site.dir / "junk.json").string() + ": not a carekeep digest") != std::string::npos);
  // Carekeepd stopped: a digest cannot be made, and the user is told why.
  auto refused = site.cli("digest");
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("digest goes through the daemon") != std::string::npos);
}

TEST_CASE("with carekeepd stopped, reading commands say so and changing ones refuse", "[rtsp]") {
  Site site;
  site.start();
  // A client that connected and never asked anything does not hold the daemon's shutdown up.
  auto idle = control::connect(site.socket);
  REQUIRE(idle);
  site.stop();
  CHECK_FALSE(std::filesystem::exists(site.socket));  // removed at shutdown
  auto held = site.cli("hold add --camera nap-1 --from " + iso(site.t0) + " --to " + iso(site.t0 + 5s) + " --reason x");
  CHECK(held.exit_code == 3);
  CHECK(held.err.find("carekeepd is not running") != std::string::npos);
  CHECK(held.err.find("hold add goes through the daemon") != std::string::npos);
  CHECK(site.active_holds() == 0);
  auto acked = site.cli("alerts ack 1");
  CHECK(acked.exit_code == 3);
  CHECK(acked.err.find("carekeepd is not running") != std::string::npos);
  auto listed = site.cli("segments --camera nap-1 --from " + iso(site.t0) + " --to " + iso(site.t0 + 1h));
  CHECK(listed.exit_code == 0);
  CHECK(listed.err == "carekeep: carekeepd is not running (nothing listens at " + site.socket.string() +
                         "); this was read from the index read-only\n");
  auto typo = site.cli("segments --camera nap-2 --from " + iso(site.t0) + " --to " + iso(site.t0 + 1h));
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("carekeepd is not running") == std::string::npos);  // an error stays one line
  // An inspector cannot read the index themselves: the message says the daemon is down.
  auto inspector = site.run_as(users().inspector, "segments --camera nap-1 --from " + iso(site.t0) + " --to " + iso(site.t0 + 1h));
  CHECK(inspector.exit_code != 0);
  CHECK(inspector.err.find("carekeepd is not running") != std::string::npos);
}

TEST_CASE("an export whose user presses Ctrl-C or goes away stops, leaves nothing complete and releases its hold", "[rtsp]") {
  // SIGINT: the user's carekeep asks the daemon to cancel and removes the half-built folder
  // itself. SIGKILL: the daemon sees the connection close, stops the command, and the folder
  // stays (nobody is left to remove it) until the next export beside it.
  const int signo = GENERATE(SIGINT, SIGKILL);
  Site site(120);  // long enough that the export is still running when its user is interrupted
  site.start();
  auto usb = own_folder(site, "usb", users().inspector);
  bool interrupted = false;
  for (int attempt = 0; attempt < 5 && !interrupted; ++attempt) {
    auto out = usb / ("case-" + std::to_string(attempt));
    pid_t client = ::fork();
    REQUIRE(client >= 0);
    if (client == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      std::string cmd = "exec " + site.as(users().inspector) + " export --camera nap-1 --from " + iso(site.t0) +
                        " --to " + iso(site.t0 + 120s) + " --out " + out.string();
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Kill the user's carekeep as soon as its build folder exists.
    auto deadline = std::chrono::steady_clock::now() + 20s;
    std::optional<std::filesystem::path> building;
    while (!building && std::chrono::steady_clock::now() < deadline) {
      for (const auto& e : std::filesystem::directory_iterator(usb))
        if (e.path().filename().string().find(".partial-") != std::string::npos) building = e.path();
      std::this_thread::sleep_for(1ms);
    }
    // setpriv execs carekeep in place, so the pid is the user's carekeep.
    ::kill(client, signo);
    int status = 0;
    ::waitpid(client, &status, 0);
    if (!building || std::filesystem::exists(out)) continue;  // finished first on a quiet machine: again
    interrupted = true;
    if (signo == SIGINT) {
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 130);
      CHECK_FALSE(std::filesystem::exists(*building));
    } else {
      CHECK(WIFSIGNALED(status));
    }
    // The daemon noticed, stopped the command (SIGTERM) and its hold went with it.
    REQUIRE(site.daemon->wait_for_log("control_command_done command=export user=" + users().inspector, 20s, attempt + 1));
    CHECK(test::wait_until([&] { return site.active_holds() == 0; }, 10s));
    CHECK_FALSE(std::filesystem::exists(out));
  }
  REQUIRE(interrupted);
  // The next export beside it removes a folder a killed one left and succeeds.
  auto next = site.run_as(users().inspector, "export --camera nap-1 --from " + iso(site.t0) + " --to " + iso(site.t0 + 4s) +
                                             " --out " + (usb / "next").string());
  INFO(next.out << next.err);
  REQUIRE(next.exit_code == 0);
  if (signo == SIGKILL) CHECK(next.err.find("left by an interrupted export") != std::string::npos);
  for (const auto& e : std::filesystem::directory_iterator(usb))
    CHECK(e.path().filename().string().find(".partial-") == std::string::npos);
  site.stop();
}

namespace {

// Whether the process is stopped by a signal (state T in /proc/PID/stat) or gone.
bool is_stopped(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'T';
}

}  // namespace

TEST_CASE("an export killed inside the daemon has its hold released and its folder removed by the user's side", "[rtsp]") {
  Site site(120);
  site.start();
  auto usb = own_folder(site, "usb", users().inspector);
  bool killed = false;
  for (int attempt = 0; attempt < 5 && !killed; ++attempt) {
    auto out = usb / ("case-" + std::to_string(attempt));
    std::optional<test::CommandRun> run;
    std::thread client([&] {
      run = site.run_as(users().inspector, "export --camera nap-1 --from " + iso(site.t0) + " --to " + iso(site.t0 + 120s) +
                                           " --out " + out.string());
    });
    // The command's pid, from the daemon's log line for it.
    std::optional<pid_t> command;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    std::regex started("control_command command=export user=" + users().inspector + " uid=[0-9]+ role=inspector pid=([0-9]+)");
    while (!command && std::chrono::steady_clock::now() < deadline) {
      auto text = site.daemon->log_text();
      std::vector<pid_t> pids;
      for (auto it = std::sregex_iterator(text.begin(), text.end(), started); it != std::sregex_iterator(); ++it)
        pids.push_back(std::stoi((*it)[1]));
      if (static_cast<int>(pids.size()) == attempt + 1) command = pids.back();
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(command);
    // Once its hold is in place (it is reading), the OOM killer's way: SIGKILL. The command
    // runs in steps, stopped (SIGSTOP) between them, so a fast export cannot finish between
    // the check and the kill: stopped with its hold in place, it is between placing and
    // releasing it. (Stopped inside a write transaction is harmless: the kill ends it.)
    bool was_running = false;
    auto step_deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < step_deadline) {
      if (::kill(*command, SIGSTOP) != 0) break;  // gone: it finished
      test::wait_until([&] { return is_stopped(*command); }, 1s);
      if (site.active_holds() > 0) {
        was_running = ::kill(*command, SIGKILL) == 0;
        break;
      }
      ::kill(*command, SIGCONT);
      std::this_thread::sleep_for(1ms);
    }
    client.join();
    REQUIRE(run);
    if (!was_running || run->exit_code == 0) {
      std::filesystem::remove_all(out);
      continue;
    }
    killed = true;
    CHECK(run->exit_code == 128 + SIGKILL);
    CHECK(site.daemon->wait_for_log("export_holds_released", 10s));
    CHECK(site.active_holds() == 0);
    CHECK_FALSE(std::filesystem::exists(out));
    for (const auto& e : std::filesystem::directory_iterator(usb))
      CHECK(e.path().filename().string().find(".partial-") == std::string::npos);
  }
  REQUIRE(killed);
  site.stop();
}

TEST_CASE("the doctor checks that the control socket answers and that other users can reach it", "[rtsp]") {
  Site site;
  site.start();
  auto checks_of = [&] {
    auto run = site.cli("doctor --json --probe-seconds 0");
    INFO(run.out << run.err);
    std::map<std::string, json> found;
    auto doctor = json::parse(run.out);  // kept: a loop over parse(...)["checks"] would dangle
    for (const auto& c : doctor["checks"]) {
      if (c["check"] == "control" || c["check"] == "access_group") found[c["check"].get<std::string>() + " " + c["subject"].get<std::string>()] = c;
    }
    return found;
  };
  auto checks = checks_of();
  REQUIRE(checks.count("control " + site.socket.string()) == 1);
  auto control = checks["control " + site.socket.string()];
  CHECK(control["verdict"] == "pass");
  CHECK(control["finding"].get<std::string>().find("answers at " + site.socket.string()) != std::string::npos);
  CHECK(checks["access_group " + users().inspector_group]["verdict"] == "pass");
  CHECK(checks["access_group " + users().operator_group]["verdict"] == "pass");
  // A state folder closed to others: the daemon answers root, but no inspector could reach it.
  std::filesystem::permissions(site.state, std::filesystem::perms(0750));
  control = checks_of()["control " + site.socket.string()];
  CHECK(control["verdict"] == "warn");
  CHECK(control["advice"].get<std::string>().find("chmod o+x " + site.state.string()) != std::string::npos);
  std::filesystem::permissions(site.state, std::filesystem::perms(0755));
  site.stop();
}

TEST_CASE("an operator acknowledges an alert the daemon raised, an inspector may not", "[rtsp]") {
  Site site;
  site.start();
  // Its only camera never connects during care hours: the zone is uncovered (within 30 s).
  std::int64_t id = 0;
  REQUIRE(test::wait_until(
      [&] {
        auto open = site.cli("alerts --json");
        if (open.exit_code != 0) return false;
        for (const auto& a : json::parse(open.out))
          if (a["kind"] == "zone_uncovered") id = a["id"];
        return id != 0;
      },
      60s));
  auto inspector = site.run_as(users().inspector, "alerts ack " + std::to_string(id));
  CHECK(inspector.exit_code == 5);
  CHECK(inspector.err.find("may not acknowledge an alert") != std::string::npos);
  auto listed = site.run_as(users().inspector, "alerts --json");
  REQUIRE(listed.exit_code == 0);  // but may see it
  auto ack = site.run_as(users().operator_user, "alerts ack " + std::to_string(id));
  INFO(ack.err);
  REQUIRE(ack.exit_code == 0);
  CHECK(ack.out.find("acknowledged by " + users().operator_user) != std::string::npos);
  for (const auto& a : json::parse(site.cli("alerts --json").out)) {
    if (a["id"] != id) continue;
    CHECK(a["acknowledged"].is_string());
    CHECK(a["acknowledged_by"] == users().operator_user);
  }
  auto again = site.run_as(users().operator_user, "alerts ack " + std::to_string(id));
  CHECK(again.exit_code == 3);
  CHECK(again.err.find("acknowledged already by " + users().operator_user) != std::string::npos);
  auto unknown = site.run_as(users().operator_user, "alerts ack 999");
  CHECK(unknown.exit_code == 3);
  CHECK(unknown.err.find("no alert 999") != std::string::npos);
  CHECK(site.run_as(users().operator_user, "alerts ack x").exit_code == 2);
  site.stop();
}

// ---- issue 14: the control socket under abuse ------------------------------------------------

namespace {

// `count` connections to carekeepd opened by a child process running as `user` (real
// credentials, so SO_PEERCRED names them), held open until destruction. The child reports
// how many the daemon kept open and how many it refused, and the first refusal's text.
class ConnectionFlood {
 public:
  ConnectionFlood(const std::filesystem::path& socket, const std::string& user, int count) {
    const uid_t uid = TestUsers::uid_of(user);
    const passwd* pw = ::getpwnam(user.c_str());
    REQUIRE(pw != nullptr);
    const gid_t gid = pw->pw_gid;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket.c_str(), socket.string().size() + 1);
    int report[2], release[2];
    REQUIRE(::pipe(report) == 0);
    REQUIRE(::pipe(release) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Only system calls from here: the child of a test process.
      ::close(report[0]);
      ::close(release[1]);
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(90);
      std::vector<int> fds;
      fds.reserve(static_cast<std::size_t>(count));
      for (int i = 0; i < count; ++i) {
        int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) ::_exit(91);
        fds.push_back(fd);
      }
      // The daemon answers a refused connection at once; a kept one hears nothing. On a busy
      // machine it may take a while to get to all of them: wait until 2 s pass with no news.
      int turned_away = 0;
      char first[1024] = {};
      std::vector<bool> answered(fds.size(), false);
      int quiet_ms = 0;
      for (int waited = 0; quiet_ms < 2000 && waited < 30000; waited += 100) {
        bool news = false;
        for (std::size_t i = 0; i < fds.size(); ++i) {
          if (answered[i]) continue;
          pollfd p{fds[i], POLLIN, 0};
          if (::poll(&p, 1, 0) != 1) continue;
          answered[i] = true;
          news = true;
          char buf[1024] = {};
          ssize_t n = ::recv(fds[i], buf, sizeof buf - 1, MSG_DONTWAIT);
          if (n > 0 && std::strstr(buf, "\"refused\"") != nullptr && turned_away++ == 0) std::memcpy(first, buf, sizeof first);
        }
        quiet_ms = news ? 0 : quiet_ms + 100;
        ::usleep(100 * 1000);
      }
      int kept = static_cast<int>(std::count(answered.begin(), answered.end(), false));
      char line[1200];
      int len = std::snprintf(line, sizeof line, "%d %d %s\n", kept, turned_away, first);
      (void)::write(report[1], line, static_cast<std::size_t>(len));
      ::close(report[1]);
      char c;
      (void)::read(release[0], &c, 1);  // until the test lets go
      ::_exit(0);
    }
    ::close(report[1]);
    ::close(release[0]);
    release_ = release[1];
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    ::close(report[0]);
    std::istringstream in(text);
    in >> open >> refused;
    std::getline(in, first_refusal);
  }
  ~ConnectionFlood() { release(); }
  void release() {
    if (pid_ <= 0) return;
    ::close(release_);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int open = -1;
  int refused = -1;
  std::string first_refusal;

 private:
  pid_t pid_ = -1;
  int release_ = -1;
};

std::vector<json> rows_of(const json& rows, const std::string& user, const std::string& action) {
  std::vector<json> found;
  for (const auto& r : rows)
    if (r["user"] == user && r["action"] == action) found.push_back(r);
  return found;
}

// user + system CPU time of a process, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // fields 14 and 15 (1-based) of /proc/PID/stat
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

int open_descriptors(pid_t pid) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
  return n;
}

}  // namespace

TEST_CASE("one user's hundred connections stop at the caps, others are still served and the refusals logged within a budget", "[rtsp]") {
  Site site(12, "max_connections = 20\nmax_connections_per_user = 8\nrequest_timeout_s = 120\n");
  site.start();
  const auto& u = users();
  {
    ConnectionFlood inspector(site.socket, u.inspector, 100);
    CHECK(inspector.open == 8);
    CHECK(inspector.refused == 92);
    CHECK(inspector.first_refusal.find("has 8 connections to carekeepd open already") != std::string::npos);
    // The same user's carekeep is told why, on one line, and fails (exit 3), not hangs.
    auto again = site.run_as(u.inspector, "status");
    CHECK(again.exit_code == 3);
    CHECK(again.err.find("max_connections_per_user") != std::string::npos);
    // Another user and root are still served.
    auto other = site.run_as(u.operator_user, "segments --camera nap-1 --from " + iso(site.t0) + " --to " + iso(site.t0 + 1h) + " --json");
    INFO(other.err);
    CHECK(other.exit_code == 0);
    CHECK(json::parse(other.out).size() == 3);
    CHECK(site.cli("hold list").exit_code == 0);
    // The total binds everyone, root too: 8 + 8 + 4 = 20.
    ConnectionFlood operators(site.socket, u.operator_user, 8);
    CHECK(operators.open == 8);
    ConnectionFlood stranger(site.socket, u.stranger, 8);
    CHECK(stranger.open == 4);
    CHECK(stranger.refused == 4);
    CHECK(stranger.first_refusal.find("carekeepd has 20 connections open already") != std::string::npos);
    auto root = site.cli("hold list");
    CHECK(root.exit_code == 3);
    CHECK(root.err.find("max_connections") != std::string::npos);
  }  // every flood closes its connections
  REQUIRE(test::wait_until([&] { return site.cli("hold list").exit_code == 0; }, 10s));
  CHECK(site.run_as(u.inspector, "status").err.find("max_connections") == std::string::npos);
  site.stop();
  // 93 refusals of the inspector: 10 rows one by one, then one row with the count (written at
  // the latest when the daemon stops). The others' few refusals are all there.
  auto rows = site.access_log();
  auto refused = rows_of(rows, u.inspector, "refused");
  REQUIRE(refused.size() == 11);
  for (std::size_t i = 0; i < 10; ++i) CHECK(refused[i]["result"].get<std::string>().find("max_connections_per_user") != std::string::npos);
  CHECK(refused[10]["arguments"]["suppressed"] == 83);
  CHECK(refused[10]["result"].get<std::string>().find("suppressed 83 more refusals") != std::string::npos);
  CHECK(rows_of(rows, u.stranger, "refused").size() == 4);
  CHECK(rows_of(rows, "root", "refused").size() == 1);
  // And the daemon's log is spared the same way.
  auto log = site.daemon->log_text();
  std::size_t lines = 0;
  for (auto at = log.find("control_refused user=" + u.inspector); at != std::string::npos;
       at = log.find("control_refused user=" + u.inspector, at + 1))
    ++lines;
  CHECK(lines == 10);
  CHECK(log.find("control_refusals_suppressed user=" + u.inspector) != std::string::npos);
}

TEST_CASE("a connection that asks nothing is closed after request_timeout_s, and that is logged", "[rtsp]") {
  Site site(12, "request_timeout_s = 2\n");
  site.start();
  auto idle = control::connect(site.socket);
  REQUIRE(idle);
  auto connected = std::chrono::steady_clock::now();
  pollfd p{idle->get(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10000) == 1);
  auto waited = std::chrono::steady_clock::now() - connected;
  CHECK(waited >= 1500ms);
  CHECK(waited < 6s);
  auto message = control::receive(idle->get());
  REQUIRE(message);
  REQUIRE(*message);
  CHECK((*message)->body["op"] == "refused");
  CHECK((*message)->body["message"].get<std::string>().find("no request within 2 s") != std::string::npos);
  auto closed = control::receive(idle->get());
  CHECK((closed && !*closed));  // and the connection is closed
  // A client that asks in time is served as before.
  CHECK(site.cli("hold list").exit_code == 0);
  auto refused = rows_of(site.access_log(), "root", "refused");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0]["result"].get<std::string>().find("request_timeout_s") != std::string::npos);
  site.stop();
}

TEST_CASE("a stopped client loses its export within broker_timeout_s, and the export's hold with it", "[rtsp]") {
  Site site(120, "broker_timeout_s = 2\n");
  site.start();
  auto usb = own_folder(site, "usb", users().inspector);
  bool stopped_mid_export = false;
  for (int attempt = 0; attempt < 5 && !stopped_mid_export; ++attempt) {
    auto out = usb / ("case-" + std::to_string(attempt));
    pid_t client = ::fork();
    REQUIRE(client >= 0);
    if (client == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      std::string cmd = "exec " + site.as(users().inspector) + " export --camera nap-1 --from " + iso(site.t0) +
                        " --to " + iso(site.t0 + 120s) + " --out " + out.string();
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Stop the user's carekeep (Ctrl-Z, a debugger, SIGSTOP) once the export is under way.
    auto deadline = std::chrono::steady_clock::now() + 20s;
    bool building = false;
    while (!building && std::chrono::steady_clock::now() < deadline) {
      for (const auto& e : std::filesystem::directory_iterator(usb))
        if (e.path().filename().string().find(".partial-") != std::string::npos) building = true;
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(building);
    ::kill(client, SIGSTOP);
    // The command needs the stopped carekeep for its next file, waits broker_timeout_s and
    // fails; its hold goes with it. Without the deadline it would wait for ever.
    const std::string done = "control_command_done command=export user=" + users().inspector;
    REQUIRE(site.daemon->wait_for_log(done, 60s, attempt + 1));
    const bool failed = site.daemon->wait_for_log(done + " status=3", 1s);  // earlier attempts ended 0
    CHECK(test::wait_until([&] { return site.active_holds() == 0; }, 10s));
    ::kill(client, SIGCONT);
    int status = 0;
    ::waitpid(client, &status, 0);
    if (!failed) {  // the export had finished before its user was stopped: again
      std::filesystem::remove_all(out);
      continue;
    }
    stopped_mid_export = true;
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    // Resumed, the user's carekeep did not act on what the command left behind: nothing
    // complete, no build folder.
    CHECK_FALSE(std::filesystem::exists(out));
    for (const auto& e : std::filesystem::directory_iterator(usb))
      CHECK(e.path().filename().string().find(".partial-") == std::string::npos);
    auto exports = rows_of(site.access_log(), users().inspector, "export");
    REQUIRE_FALSE(exports.empty());
    CHECK(exports.back()["result"].get<std::string>().find("did not answer") != std::string::npos);
  }
  REQUIRE(stopped_mid_export);
  site.stop();
}

TEST_CASE("accept out of descriptors pauses instead of spinning, and says so once", "[rtsp]") {
  Site site(12, "request_timeout_s = 120\n");
  // No camera thread: its reconnects make an Asio io_context each, whose constructor throws at
  // EMFILE and ends the daemon (ingest/native_source, noted in design.md); this test is about
  // the control socket's accept loop.
  auto text = test::read_text(site.config);
  const std::string url = "url = \"rtsp://admin:secret@127.0.0.1:1/stream1\"";
  text.replace(text.find(url), url.size(), url + "\nenabled = false");
  test::write_text(site.config, text);
  site.start();
  const pid_t daemon = site.daemon->pid();
  rlimit old{};
  REQUIRE(::prlimit(daemon, RLIMIT_NOFILE, nullptr, &old) == 0);
  // Room for one more descriptor: the first connection takes it, the rest meet EMFILE.
  rlimit tight = old;
  tight.rlim_cur = static_cast<rlim_t>(open_descriptors(daemon) + 1);
  REQUIRE(::prlimit(daemon, RLIMIT_NOFILE, &tight, nullptr) == 0);
  std::vector<fs::UniqueFd> waiting;
  for (int i = 0; i < 12; ++i) {
    auto c = control::connect(site.socket);  // queued in the backlog even when not accepted
    REQUIRE(c);
    waiting.push_back(std::move(*c));
  }
  REQUIRE(site.daemon->wait_for_log("control_accept_paused", 5s));
  const long before = cpu_ticks(daemon);
  std::this_thread::sleep_for(3s);
  const long used = cpu_ticks(daemon) - before;
  // A spinning accept loop burns a core (≈ 300 ticks in 3 s, less on a loaded machine); paused
  // from 100 ms up to 1 s it wakes a handful of times.
  CHECK(used < 30);
  auto log = site.daemon->log_text();
  std::size_t lines = 0;
  for (auto at = log.find("control_accept_paused"); at != std::string::npos; at = log.find("control_accept_paused", at + 1)) ++lines;
  CHECK(lines == 1);
  // Descriptors back: the waiting connections are taken and new ones served.
  REQUIRE(::prlimit(daemon, RLIMIT_NOFILE, &old, nullptr) == 0);
  auto served = site.cli("hold list");
  INFO(served.err);
  CHECK(served.exit_code == 0);
  waiting.clear();
  site.stop();
}

TEST_CASE("a report carekeepd runs cannot be signed with a key the user names", "[rtsp]") {
  Site site;
  site.start();
  const auto key = site.state / "signing.key";
  REQUIRE(site.daemon->wait_for_log("signing_key_ready", 10s));
  const std::string day = iso(site.t0).substr(0, 10);
  // Root too: through the daemon, a report signs with the box key and nothing else.
  auto root = site.cli("report --from " + day + " --to " + day + " --format json --lang en --out " +
                       (site.dir / "r1").string() + " --signing-key " + key.string());
  CHECK(root.exit_code == 5);
  CHECK(root.err.find("may not choose the signing key (--signing-key)") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(site.dir / "r1" / "report.json"));
  auto usb = own_folder(site, "usb", users().inspector);
  auto inspector = site.run_as(users().inspector, "report --from " + day + " --to " + day +
                                                      " --format json --lang en --out " + (usb / "r2").string() +
                                                      " --signing-key=" + key.string());
  CHECK(inspector.exit_code == 5);
  CHECK_FALSE(std::filesystem::exists(usb / "r2" / "report.json"));
  // Without the option the same report is made.
  auto plain = site.cli("report --from " + day + " --to " + day + " --format json --lang en --out " + (site.dir / "r3").string());
  INFO(plain.err);
  CHECK(plain.exit_code == 0);
  auto rows = site.access_log();
  REQUIRE(rows_of(rows, "root", "refused").size() == 1);
  CHECK(rows_of(rows, "root", "refused")[0]["result"].get<std::string>().find("signing key") != std::string::npos);
  CHECK(rows_of(rows, users().inspector, "refused").size() == 1);
  site.stop();
}

TEST_CASE("the user's carekeep makes files only in its --out, whatever carekeepd asks", "[control]") {
  // A hostile carekeepd (or a command gone wrong): the real CLI connects to this fake daemon,
  // which asks its broker for files elsewhere in the user's space.
  test::TempDir dir;
  const auto socket = dir / "fake.sock";
  fs::UniqueFd listener{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
  REQUIRE(listener);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket.c_str(), socket.string().size() + 1);
  REQUIRE(::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener.get(), 1) == 0);
  std::filesystem::create_directories(dir / "home");
  test::write_text(dir / "home" / ".bashrc", "mine");

  std::optional<test::CommandRun> run;
  std::thread client([&] {
    run = test::run_command("cd " + dir.path().string() + " && " + CAREKEEP_CLI_PATH + " --socket " + socket.string() +
                            " export --camera nap-1 --from 2026-11-20T08:00 --to 2026-11-20T09:00 --out case-17");
  });
  fs::UniqueFd conn{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  REQUIRE(conn);
  auto request = control::receive(conn.get()).value();
  REQUIRE(request);
  REQUIRE(request->fds.size() == 4);
  const int broker = request->fds[3].get();
  auto ask = [&](const json& body) {
    REQUIRE(control::send(broker, body));
    auto reply = control::receive(broker).value();
    REQUIRE(reply);
    return std::move(*reply);
  };
  REQUIRE(control::send(conn.get(), {{"op", "started"}}));
  for (const auto& out : {(dir / "home").string(), (dir / "case-17" / ".." / "home").string(), dir.path().string(),
                          std::string("/etc")}) {
    auto reply = ask({{"op", "open"}, {"out", out}, {"layout", "folder"}});
    INFO(out);
    CHECK(reply.body["ok"] == false);
    CHECK(reply.body["refused"] == true);
  }
  CHECK(ask({{"op", "create"}, {"name", ".bashrc"}}).body["ok"] == false);
  // What it named is served.
  CHECK(ask({{"op", "open"}, {"out", (dir / "case-17").string()}, {"layout", "new_folder"}}).body["ok"] == true);
  auto file = ask({{"op", "create"}, {"name", "a.mp4"}});
  REQUIRE(file.fds.size() == 1);
  CHECK(ask({{"op", "commit"}}).body["ok"] == true);
  request->fds.clear();  // the broker's end closes: the "command" is done
  REQUIRE(control::send(conn.get(), {{"op", "exit"}, {"status", 0}}));
  client.join();
  REQUIRE(run);
  CHECK(run->exit_code == 0);
  CHECK(run->err.find("refused carekeepd's request") != std::string::npos);
  CHECK(test::read_text(dir / "home" / ".bashrc") == "mine");
  CHECK(std::filesystem::exists(dir / "case-17" / "a.mp4"));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "home")) ++entries;
  CHECK(entries == 1);
}
