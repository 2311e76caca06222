// carekeepd's /metrics endpoint: scraped over real TCP from a daemon recording a fakecam
// camera, parsed strictly (text exposition format 0.0.4) and, if promtool is installed,
// checked by it as well.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One HTTP/1.1 request over a plain socket; the server closes after answering.
HttpReply http(std::uint16_t port, const std::string& method, const std::string& target) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  HttpReply reply;
  auto split = raw.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  reply.headers = raw.substr(0, split);
  reply.body = raw.substr(split + 4);
  reply.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
  return reply;
}

struct Series {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
};

// A strict reader of the text format: HELP/TYPE once per family and before its samples,
// samples of a family together, legal names, escapes and values, no duplicate series.
// Fails the test with the offending line.
std::vector<Series> parse_exposition(const std::string& text) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabel("[a-zA-Z_][a-zA-Z0-9_]*");
  static const std::set<std::string> kTypes{"counter", "gauge", "histogram", "summary", "untyped"};
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  std::vector<Series> out;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::set<std::string> finished;  // families whose samples are over
  std::set<std::string> seen_series;
  std::string current;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    INFO("line: " << line);
    REQUIRE(!line.empty());
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, name;
      words >> hash >> keyword >> name;
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a plain comment
      REQUIRE(std::regex_match(name, kName));
      REQUIRE(finished.count(name) == 0);
      if (name != current && !current.empty()) finished.insert(current);
      current = name;
      if (keyword == "HELP") {
        REQUIRE(helped.insert(name).second);
      } else {
        std::string type;
        words >> type;
        REQUIRE(kTypes.count(type) == 1);
        REQUIRE(types.emplace(name, type).second);
      }
      continue;
    }
    Series s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    REQUIRE(std::regex_match(s.name, kName));
    REQUIRE(types.count(s.name) == 1);  // TYPE came first (none of ours has suffixed samples)
    REQUIRE(s.name == current);          // samples of a family are together
    std::string key = s.name + "{";
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        REQUIRE(eq != std::string::npos);
        std::string label = line.substr(i, eq - i);
        REQUIRE(std::regex_match(label, kLabel));
        REQUIRE(eq + 1 < line.size());
        REQUIRE(line[eq + 1] == '"');
        std::string value;
        std::size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            REQUIRE(j + 1 < line.size());
            char e = line[++j];
            REQUIRE((e == '\\' || e == '"' || e == 'n'));
            value.push_back(e == 'n' ? '\n' : e);
          } else {
            value.push_back(line[j]);
          }
        }
        REQUIRE(j < line.size());
        REQUIRE(s.labels.emplace(label, value).second);
        key += label + "=" + value + ",";
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      REQUIRE(i < line.size());
      ++i;  // '}'
    }
    REQUIRE(i < line.size());
    REQUIRE(line[i] == ' ');
    std::string value = line.substr(i + 1);
    REQUIRE(value.find(' ') == std::string::npos);  // we never send timestamps
    if (value == "NaN") {
      s.value = std::nan("");
    } else if (value == "+Inf" || value == "-Inf") {
      s.value = value[0] == '+' ? INFINITY : -INFINITY;
    } else {
      std::size_t used = 0;
      s.value = std::stod(value, &used);
      REQUIRE(used == value.size());
    }
    REQUIRE(seen_series.insert(key).second);
    if (types[s.name] == "counter") REQUIRE(s.value >= 0);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<double> value_of(const std::vector<Series>& all, const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : all) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

std::uint16_t metrics_port(const test::DaemonProcess& daemon) {
  static const std::regex kPort("metrics_listening listen=127\\.0\\.0\\.1:0 port=([0-9]+)");
  std::smatch m;
  auto log = daemon.log_text();
  REQUIRE(std::regex_search(log, m, kPort));
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

}  // namespace

TEST_CASE("metrics: a real daemon's /metrics is valid exposition text with camera, storage and process series",
          "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  std::string config = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                       (dir / "media").string() + "\"\ndatabase = \"" + (dir / "index.db").string() +
                       "\"\n[care_hours]\nmonday = [\"00:00-24:00\"]\ntuesday = [\"00:00-24:00\"]\n"
                       "wednesday = [\"00:00-24:00\"]\nthursday = [\"00:00-24:00\"]\nfriday = [\"00:00-24:00\"]\n"
                       "saturday = [\"00:00-24:00\"]\nsunday = [\"00:00-24:00\"]\n"
                       "[metrics]\nlisten = \"127.0.0.1:0\"\n"
                       "[[camera]]\nid = \"cam\"\nurl = \"" + server.url("cam") + "\"\nsegment_seconds = 10\n"
                       "[[camera]]\nid = \"gone\"\nurl = \"rtsp://127.0.0.1:1/gone\"\n"
                       "[[zone]]\nid = \"all\"\ncameras = [\"cam\", \"gone\"]\n"
                       "[[zone]]\nid = \"dark\"\ncameras = [\"gone\"]\n";
  test::write_text(dir / "carekeep.toml", config);
  test::DaemonProcess daemon(CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log");
  daemon.start();
  REQUIRE(daemon.wait_for_log("metrics_listening", 20s));
  auto port = metrics_port(daemon);

  // Up, with a first segment closed (10 s segments) and the status refreshed after it.
  std::vector<Series> series;
  bool ready = test::wait_until(
      [&] {
        series = parse_exposition(http(port, "GET", "/metrics").body);
        return value_of(series, "carekeep_camera_up", {{"camera", "cam"}}) == 1.0 &&
               value_of(series, "carekeep_zone_covered", {{"zone", "dark"}}) == 0.0 &&
               value_of(series, "carekeep_camera_last_segment_age_seconds", {{"camera", "cam"}}).has_value();
      },
      30s);
  INFO(daemon.log_text());
  REQUIRE(ready);
  auto reply = http(port, "GET", "/metrics");
  CHECK(reply.status == 200);
  CHECK_THAT(reply.headers, Catch::Contains("Content-Type: text/plain; version=0.0.4"));
  series = parse_exposition(reply.body);

  CHECK(value_of(series, "carekeep_camera_up", {{"camera", "gone"}}) == 0.0);
  CHECK(*value_of(series, "carekeep_camera_receive_bytes_per_second", {{"camera", "cam"}}) > 1'000);
  auto fps = *value_of(series, "carekeep_camera_frames_per_second", {{"camera", "cam"}});
  CHECK(fps > 20);
  CHECK(fps < 30);
  CHECK(*value_of(series, "carekeep_camera_written_bytes_total", {{"camera", "cam"}}) > 0);
  CHECK(value_of(series, "carekeep_camera_reconnects_total", {{"camera", "cam"}}).has_value());
  auto age = *value_of(series, "carekeep_camera_last_segment_age_seconds", {{"camera", "cam"}});
  CHECK(age >= 0);
  CHECK(age < 15);
  CHECK(*value_of(series, "carekeep_storage_free_bytes") > 0);
  CHECK(*value_of(series, "carekeep_storage_size_bytes") >= *value_of(series, "carekeep_storage_free_bytes"));
  CHECK(*value_of(series, "process_resident_memory_bytes") > 1e6);
  CHECK(*value_of(series, "process_cpu_seconds_total") > 0);
  CHECK(*value_of(series, "carekeep_status_age_seconds") < 10);
  // Zone "all" sees camera "cam", which records; "dark" only the camera that refuses. Care is
  // all day and nothing was recorded before this test, so today's gap of "all" is the time
  // from local midnight to the first footage, and that of "dark" reaches up to now.
  CHECK(value_of(series, "carekeep_zone_covered", {{"zone", "all"}}) == 1.0);
  auto zone = TimeZone::locate("Asia/Shanghai").value();
  auto now = SystemClock{}.now();
  double since_midnight = std::chrono::duration<double>(
      now - zone.to_utc(LocalTime{date::floor<date::days>(zone.to_local(now))})).count();
  auto gap_all = *value_of(series, "carekeep_zone_gap_seconds_today", {{"zone", "all"}});
  auto gap_dark = *value_of(series, "carekeep_zone_gap_seconds_today", {{"zone", "dark"}});
  CHECK(gap_all <= since_midnight);
  CHECK(gap_all >= since_midnight - 60);
  CHECK(gap_dark > gap_all);
  // The fleet's series (docs/fleet.md): care all day, so today's care is the time since local
  // midnight and each zone's covered share follows from its gap.
  CHECK(value_of(series, "carekeep_care_active") == 1.0);
  auto care = *value_of(series, "carekeep_care_seconds_today");
  CHECK(care <= since_midnight + 1);
  CHECK(care >= since_midnight - 60);
  auto ratio_all = *value_of(series, "carekeep_zone_care_coverage_ratio_today", {{"zone", "all"}});
  CHECK(ratio_all == Approx(1 - gap_all / care).margin(0.01));
  CHECK(*value_of(series, "carekeep_zone_care_coverage_ratio_today", {{"zone", "dark"}}) < ratio_all);
  auto care_age = *value_of(series, "carekeep_care_footage_age_seconds");
  CHECK(care_age >= 0);
  CHECK(care_age < 20);  // the first 10 s segment, closed in care hours
  CHECK(*value_of(series, "carekeep_care_footage_held_seconds") < 60);
  CHECK(value_of(series, "carekeep_care_footage_deleted_early_segments") == 0.0);
  CHECK(value_of(series, "carekeep_retention_care_period_seconds") == 90 * 86400.0);
  CHECK_FALSE(value_of(series, "carekeep_digest_last_seq"));  // none made yet
  {
    auto info = std::find_if(series.begin(), series.end(), [](const Series& s) { return s.name == "carekeep_site_info"; });
    REQUIRE(info != series.end());
    CHECK(info->value == 1);
    CHECK(info->labels.at("site_id").empty());  // no [site] id in this file
    CHECK(info->labels.at("site_name") == "测试托育点");
    CHECK(info->labels.at("version") == CAREKEEP_VERSION);
    CHECK(std::regex_match(info->labels.at("key_fingerprint"), std::regex("[0-9a-f]{64}")));
  }

  if (test::run_command("command -v promtool").exit_code == 0) {
    test::write_text(dir / "scrape.txt", reply.body);
    auto check = test::run_command("promtool check metrics < " + (dir / "scrape.txt").string() + " 2>&1");
    // One lint finding is known and kept: carekeep_forecast_care_days is a documented, stable
    // name from before promtool was installed ("use base unit seconds"; docs/fleet.md gives the
    // held care footage in seconds). Any other finding fails.
    std::string findings;
    std::istringstream lines(check.out);
    for (std::string line; std::getline(lines, line);)
      if (!line.starts_with("carekeep_forecast_care_days ")) findings += line + "\n";
    INFO(check.out);
    CHECK(findings.empty());  // promtool exits 3 for lint findings alone, so the lines decide
  } else {
    WARN("promtool not installed (Debian package prometheus): checked by the built-in parser only");
  }

  CHECK(http(port, "GET", "/nothing").status == 404);
  CHECK(http(port, "POST", "/metrics").status == 405);
  CHECK(http(port, "HEAD", "/metrics").status == 200);

  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);
}
