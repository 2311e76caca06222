#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "base/sha256.hpp"
#include "config/load.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using config::Diagnostic;
using config::ParseOutcome;
using config::Severity;

namespace {

// The smallest valid file; cases below break one thing at a time.
const std::string kMinimal = R"([site]
name = "阳光家庭托育点"
timezone = "Asia/Shanghai"
storage = "/var/lib/carekeep/media"
database = "/var/lib/carekeep/index.db"

[care_hours]
monday = ["07:30-12:00", "13:00-18:30"]

[[camera]]
id = "nap-1"
url = "rtsp://admin:secret@192.168.1.20:554/stream1"

[[zone]]
id = "nap"
cameras = ["nap-1"]
)";

ParseOutcome check(const std::string& text) { return config::parse(text, "carekeep.toml"); }

// kMinimal with the first occurrence of `from` replaced by `to`.
std::string with(std::string_view from, std::string_view to) {
  std::string text = kMinimal;
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

std::string dump(const ParseOutcome& outcome) {
  std::string out;
  for (const auto& d : outcome.diagnostics) out += config::format(d) + "\n";
  return out;
}

// The one diagnostic about `key` (fails the test if there is not exactly one).
Diagnostic only(const ParseOutcome& outcome, std::string_view key) {
  INFO(dump(outcome));
  auto n = std::count_if(outcome.diagnostics.begin(), outcome.diagnostics.end(),
                         [&](const Diagnostic& d) { return d.key == key; });
  REQUIRE(n == 1);
  return *std::find_if(outcome.diagnostics.begin(), outcome.diagnostics.end(),
                       [&](const Diagnostic& d) { return d.key == key; });
}

// Exactly one diagnostic, an error, about `key`, whose message contains `says`.
void expect_single_error(const std::string& text, std::string_view key, std::string_view says) {
  auto outcome = check(text);
  INFO(dump(outcome));
  CHECK_FALSE(outcome.ok());
  CHECK(outcome.error_count() == 1);
  auto d = only(outcome, key);
  CHECK(d.severity == Severity::Error);
  CHECK_THAT(d.message, Catch::Contains(std::string(says)));
}

}  // namespace

TEST_CASE("the shipped example loads with no diagnostics", "[config]") {
  auto outcome = config::parse_file(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "etc/carekeep.toml");
  INFO(dump(outcome));
  REQUIRE(outcome.ok());
  CHECK(outcome.diagnostics.empty());
  const config::Config& c = *outcome.config;
  CHECK(c.site.name == "阳光家庭托育点");
  CHECK(c.site.timezone == "Asia/Shanghai");
  CHECK(c.site.storage == "/var/lib/carekeep/media");
  CHECK(c.site.database == "/var/lib/carekeep/index.db");
  CHECK(c.retention.care_days == 90);
  CHECK(c.care_hours.weekly[0] == std::vector<config::HourRange>{{450, 720}, {780, 1110}});
  CHECK(c.care_hours.weekly[6].empty());
  REQUIRE(c.care_hours.exceptions.size() >= 3);
  CHECK(format_date(c.care_hours.exceptions[0].date) == "2026-10-01");
  CHECK(c.care_hours.exceptions[0].closed);
  REQUIRE(c.cameras.size() == 3);
  CHECK(c.cameras[0].id == "nap-1");
  CHECK(c.cameras[0].name == "午睡室 1");
  CHECK(c.cameras[2].redacted_url() == "rtsp://***@192.168.1.22:554/stream1");
  REQUIRE(c.zones.size() == 2);
  CHECK(c.zones[0].name == "午睡室");
  CHECK(c.zones[1].cameras == std::vector<std::string>{"play-1"});
  CHECK(config::summary(outcome) == "config OK: 3 cameras, 2 zones");
  CHECK(config::load(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "etc/carekeep.toml"));
  // The control socket's limits (issue 14) are spelled out there with their defaults.
  CHECK(c.access.max_connections == 64);
  CHECK(c.access.max_connections_per_user == 8);
  CHECK(c.access.request_timeout_s == 30);
  CHECK(c.access.broker_timeout_s == 60);
  CHECK(c.evidence.digest_minute == 23 * 60 + 55);
}

TEST_CASE("the control socket's caps and timeouts are read and bounded", "[config]") {
  auto tuned = check(kMinimal + "\n[access]\nmax_connections = 20\nmax_connections_per_user = 4\n"
                                "request_timeout_s = 2\nbroker_timeout_s = 3\n");
  INFO(dump(tuned));
  REQUIRE(tuned.ok());
  CHECK(tuned.config->access.max_connections == 20);
  CHECK(tuned.config->access.max_connections_per_user == 4);
  CHECK(tuned.config->access.request_timeout_s == 2);
  CHECK(tuned.config->access.broker_timeout_s == 3);
  auto defaults = check(kMinimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config->access.max_connections == 64);
  CHECK(defaults.config->access.max_connections_per_user == 8);
  CHECK(defaults.config->access.request_timeout_s == 30);
  CHECK(defaults.config->access.broker_timeout_s == 60);
  expect_single_error(kMinimal + "\n[access]\nmax_connections = 0\n", "access.max_connections",
                      "must be between 1 and 1024 connections (got 0)");
  expect_single_error(kMinimal + "\n[access]\nmax_connections = 10\nmax_connections_per_user = 11\n",
                      "access.max_connections_per_user", "must not exceed max_connections (10)");
  expect_single_error(kMinimal + "\n[access]\nrequest_timeout_s = 0\n", "access.request_timeout_s",
                      "must be between 1 and 3600 seconds (got 0)");
  expect_single_error(kMinimal + "\n[access]\nbroker_timeout_s = \"60s\"\n", "access.broker_timeout_s", "integer");
}

TEST_CASE("camera_offline_seconds is read and bounded, with or without webhooks", "[config]") {
  auto tuned = check(kMinimal + "\n[alerts]\ncamera_offline_seconds = 90\n");
  INFO(dump(tuned));
  REQUIRE(tuned.ok());
  CHECK(tuned.config->alerts.camera_offline_seconds == 90);
  auto defaults = check(kMinimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config->alerts.camera_offline_seconds == 60);
  expect_single_error(kMinimal + "\n[alerts]\ncamera_offline_seconds = 2\n", "alerts.camera_offline_seconds",
                      "must be between 10 and 86400 seconds (got 2)");
  expect_single_error(kMinimal + "\n[alerts]\ncamera_offline_seconds = \"1m\"\n", "alerts.camera_offline_seconds",
                      "integer");
}

TEST_CASE("adhoc_max_hours bounds an ad-hoc care session, and the file never sets sessions", "[config]") {
  auto defaults = check(kMinimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config->care_hours.adhoc_max_hours == 12);
  CHECK(defaults.config->care_hours.adhoc.empty());
  auto set = check(with("monday = [", "adhoc_max_hours = 4\nmonday = ["));
  INFO(dump(set));
  REQUIRE(set.ok());
  CHECK(set.config->care_hours.adhoc_max_hours == 4);
  expect_single_error(with("monday = [", "adhoc_max_hours = 25\nmonday = ["), "care_hours.adhoc_max_hours",
                      "must be between 1 and 24 hours (got 25)");
  expect_single_error(with("monday = [", "adhoc_max_hours = 0\nmonday = ["), "care_hours.adhoc_max_hours",
                      "must be between 1 and 24 hours (got 0)");
}

TEST_CASE("the daily digest's local time is read as HH:MM and checked", "[config]") {
  CHECK(check(kMinimal).config->evidence.digest_minute == 23 * 60 + 55);
  auto set = check(kMinimal + "\n[evidence]\ndigest_time = \"06:30\"\n");
  INFO(dump(set));
  REQUIRE(set.ok());
  CHECK(set.config->evidence.digest_minute == 6 * 60 + 30);
  for (const char* bad : {"24:00", "6:30", "06:60", "06:30:00", "noon"}) {
    CAPTURE(bad);
    expect_single_error(kMinimal + "\n[evidence]\ndigest_time = \"" + bad + "\"\n", "evidence.digest_time",
                        "must be a local time of day as HH:MM, like \"23:55\" (got \"" + std::string(bad) + "\")");
  }
}

TEST_CASE("defaults fill what a minimal file leaves out", "[config]") {
  auto outcome = check(kMinimal);
  INFO(dump(outcome));
  REQUIRE(outcome.ok());
  CHECK(outcome.diagnostics.empty());
  const config::Config& c = *outcome.config;
  CHECK(c.source_path == "carekeep.toml");
  CHECK(c.retention.care_days == 90);
  CHECK(c.retention.other_days == 7);
  CHECK(c.retention.min_free_percent == 5);
  CHECK_FALSE(c.retention.max_bytes.has_value());
  CHECK(c.coverage.gap_tolerance_seconds == 2.0);
  CHECK(c.log.level == "info");
  CHECK_FALSE(c.site.address.has_value());
  CHECK(c.care_hours.weekly[1].empty());
  CHECK(c.cameras[0].name == "nap-1");
  CHECK(c.cameras[0].transport == config::Transport::Tcp);
  CHECK(c.cameras[0].client == config::Client::Native);
  CHECK(c.cameras[0].segment_seconds == 60);
  CHECK(c.cameras[0].enabled);
  CHECK(c.cameras[0].url == "rtsp://admin:secret@192.168.1.20:554/stream1");
  CHECK(c.zones[0].name == "nap");
  CHECK(c.find_camera("nap-1") == &c.cameras[0]);
  CHECK(c.find_camera("nap-2") == nullptr);
  CHECK(c.find_zone("nap") == &c.zones[0]);
}

TEST_CASE("every optional key is read", "[config]") {
  auto outcome = check(kMinimal + R"(
[retention]
care_days = 180
other_days = 14
min_free_percent = 10
max_bytes = 4000000000000

[coverage]
gap_tolerance_seconds = 0.5

[log]
level = "debug"

[[camera]]
id = "play-1"
name = "活动室"
url = "rtsp://192.168.1.22/live"
transport = "udp"
segment_seconds = 120
enabled = false

[[zone]]
id = "play"
name = "活动室"
cameras = ["play-1"]
)");
  INFO(dump(outcome));
  REQUIRE(outcome.ok());
  const config::Config& c = *outcome.config;
  CHECK(c.retention.care_days == 180);
  CHECK(c.retention.other_days == 14);
  CHECK(c.retention.min_free_percent == 10);
  CHECK(c.retention.max_bytes == 4000000000000ULL);
  CHECK(c.coverage.gap_tolerance_seconds == 0.5);
  CHECK(c.log.level == "debug");
  REQUIRE(c.cameras.size() == 2);
  CHECK(c.cameras[1].transport == config::Transport::Udp);
  CHECK(c.cameras[1].segment_seconds == 120);
  CHECK_FALSE(c.cameras[1].enabled);
  // The only camera of "play" is disabled: allowed, but the operator hears about it.
  REQUIRE(outcome.warning_count() == 1);
  CHECK_THAT(only(outcome, "zone[1]").message, Catch::Contains("no enabled camera"));
}

TEST_CASE("a file with many mistakes gets all of them reported at once", "[config]") {
  const std::string text = R"([site]
nmae = "阳光家庭托育点"
timezone = "Asia/Shangai"
storage = "media"
database = "/var/lib/carekeep/index.db"

[retention]
care_days = 30
other_days = 0
min_free_percent = 80

[care_hours]
monday = ["07:30-12:00", "11:00-13:00"]
tuesday = ["7:30-12"]
wednesday = ["25:00-26:00", "12:00-12:00"]
munday = ["08:00-09:00"]

[[care_hours.exception]]
date = "2026-10-01"
closed = true
hours = ["08:00-12:00"]

[[care_hours.exception]]
date = "2026-10-01"
closed = true

[[care_hours.exception]]
date = "2026-13-45"
closed = true

[[camera]]
id = "nap-1"
url = "rtsp://admin:hunter2@192.168.1.20:554/stream1"
segment_seconds = 5

[[camera]]
id = "nap-1"
url = "http://admin:hunter2@192.168.1.21/stream1"
transport = "tpc"

[[camera]]
id = "Play 1"
url = "rtsp://admin:hunter2@/stream1"
segment_second = 60

[[camera]]
id = "spare"
url = "rtsp://192.168.1.30/stream1"

[[zone]]
id = "nap"
cameras = ["nap-1", "nap-3"]

[[zone]]
id = "nap"
cameras = ["Play 1"]

[[zone]]
name = "活动室"
)";
  auto outcome = check(text);
  INFO(dump(outcome));
  REQUIRE_FALSE(outcome.ok());

  struct Expected {
    std::uint32_t line;
    std::string key;
    std::string says;
  };
  const std::vector<Expected> errors{
      {1, "site.name", "required key is missing"},
      {2, "site.nmae", "unknown key; did you mean `name`?"},
      {3, "site.timezone", "did you mean `Asia/Shanghai`?"},
      {4, "site.storage", "must be an absolute path (got \"media\")"},
      {8, "retention.care_days", "the rule requires no less than 90 days"},
      {9, "retention.other_days", "must be between 1 and 100000 days (got 0)"},
      {10, "retention.min_free_percent", "must be between 0 and 50 percent (got 80)"},
      {13, "care_hours.monday[1]", "11:00-13:00 overlaps 07:30-12:00 (care_hours.monday[0])"},
      {14, "care_hours.tuesday[0]", "\"7:30-12\" is not a time range"},
      {15, "care_hours.wednesday[0]", "25:00 is not a time of day"},
      {15, "care_hours.wednesday[1]", "\"12:00-12:00\" is empty"},
      {16, "care_hours.munday", "unknown key; did you mean `monday`?"},
      {21, "care_hours.exception[0].hours", "contradicts closed = true"},
      {24, "care_hours.exception[1].date",
       "2026-10-01 already has an exception (care_hours.exception[0], line 19)"},
      {28, "care_hours.exception[2].date", "not a valid date"},
      {34, "camera[0].segment_seconds", "must be between 10 and 600 seconds (got 5)"},
      {37, "camera[1].id", "camera id \"nap-1\" is already used by camera[0] (line 32)"},
      {38, "camera[1].url", "must start with rtsp:// or rtsps://"},
      {39, "camera[1].transport", "did you mean `tcp`?"},
      {42, "camera[2].id", "ids are used in file paths"},
      {43, "camera[2].url", "has no host"},
      {44, "camera[2].segment_second", "unknown key; did you mean `segment_seconds`?"},
      {52, "zone[0].cameras[1]", "unknown camera \"nap-3\"; did you mean `nap-1`?"},
      {55, "zone[1].id", "zone id \"nap\" is already used by zone[0] (line 51)"},
      {58, "zone[2].id", "required key is missing"},
      {58, "zone[2].cameras", "required key is missing"},
  };
  for (const auto& e : errors) {
    INFO(e.key);
    auto d = only(outcome, e.key);
    CHECK(d.severity == Severity::Error);
    CHECK(d.file == "carekeep.toml");
    CHECK(d.line == e.line);
    CHECK_THAT(d.message, Catch::Contains(e.says));
  }
  CHECK(outcome.error_count() == errors.size());
  auto spare = only(outcome, "camera[3]");
  CHECK(spare.severity == Severity::Warning);
  CHECK(spare.line == 46);
  CHECK_THAT(spare.message, Catch::Contains("in no zone"));
  CHECK(outcome.warning_count() == 1);
  // Diagnostics come in file order.
  CHECK(std::is_sorted(outcome.diagnostics.begin(), outcome.diagnostics.end(),
                       [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; }));
  CHECK(config::summary(outcome) == "config has 26 errors (1 warning)");
  // Credentials appear nowhere, however broken the URL around them.
  CHECK(dump(outcome).find("hunter2") == std::string::npos);
  CHECK(dump(outcome).find("admin") == std::string::npos);
}

TEST_CASE("diagnostics are formatted like compiler messages", "[config]") {
  auto outcome = check(with("id = \"nap-1\"\n", "id = \"nap-1\"\nsegment_seconds = 5\n"));
  REQUIRE(outcome.diagnostics.size() == 1);
  CHECK(config::format(outcome.diagnostics[0]) ==
        "carekeep.toml:12: camera[0].segment_seconds: must be between 10 and 600 seconds (got 5)");
  CHECK(config::format({Severity::Warning, "a.toml", 3, 1, "camera[2]", "x"}) ==
        "a.toml:3: warning: camera[2]: x");
  CHECK(config::format({Severity::Error, "a.toml", 0, 0, "site", "missing"}) == "a.toml: site: missing");
  CHECK(config::format({Severity::Error, "a.toml", 7, 2, "", "syntax"}) == "a.toml:7: syntax");
}

TEST_CASE("syntax errors: every broken line is reported with its line number", "[config]") {
  // Lines 3 and 12 are broken; line 16 is valid TOML but an invalid value.
  std::string text = with("timezone = \"Asia/Shanghai\"", "timezone = \"Asia/Shanghai");
  auto at = text.find("url = ");
  text.insert(at, "segment_seconds = 60s\n");
  text += "[coverage]\ngap_tolerance_seconds = 99\n";
  auto outcome = check(text);
  INFO(dump(outcome));
  REQUIRE_FALSE(outcome.ok());
  REQUIRE(outcome.diagnostics.size() == 3);
  CHECK(outcome.diagnostics[0].line == 3);
  CHECK_THAT(outcome.diagnostics[0].message, Catch::StartsWith("syntax error"));
  CHECK(outcome.diagnostics[1].line == 12);
  CHECK_THAT(outcome.diagnostics[1].message, Catch::StartsWith("syntax error"));
  // Checks of values still run on the rest of the file...
  CHECK(outcome.diagnostics[2].key == "coverage.gap_tolerance_seconds");
  CHECK(outcome.diagnostics[2].line == 19);
  // ...but "site.timezone is missing" (it is on the broken line) is not claimed.
}

TEST_CASE("syntax recovery does not invent follow-on errors", "[config]") {
  // A broken table header: the keys under it are not blamed on the table above it.
  auto header = check(with("[[camera]]", "[[camera]"));
  INFO(dump(header));
  REQUIRE(header.diagnostics.size() == 1);
  CHECK(header.diagnostics[0].line == 10);
  CHECK_THAT(header.diagnostics[0].message, Catch::Contains("table header"));
  // An array left open: one error, not one per following line.
  auto open_array = check(with("\"13:00-18:30\"]", "\"13:00-18:30\""));
  INFO(dump(open_array));
  REQUIRE(open_array.diagnostics.size() == 1);
  CHECK(open_array.diagnostics[0].line == 10);
  CHECK_THAT(open_array.diagnostics[0].message, Catch::Contains("parsing array"));
}

TEST_CASE("syntax: redefinition and garbage are reported, not thrown", "[config]") {
  auto outcome = check(kMinimal + "[site]\nname = \"again\"\n");
  INFO(dump(outcome));
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.diagnostics[0].line == 17);
  auto garbage = check("\x01\x02 not toml at all [[[\n");
  CHECK_FALSE(garbage.ok());
  CHECK(garbage.error_count() >= 1);
  auto empty = check("");
  CHECK_FALSE(empty.ok());
  CHECK(only(empty, "site").line == 0);
  CHECK(only(empty, "care_hours").severity == Severity::Error);
  CHECK(only(empty, "camera").severity == Severity::Error);
}

TEST_CASE("unknown keys get a suggestion in every table", "[config]") {
  struct Case {
    std::string from, to, key, suggestion;
  };
  for (const auto& c : std::vector<Case>{
           {"[site]\n", "[site]\naddres = \"x\"\n", "site.addres", "`address`"},
           {"[care_hours]\n", "[care_hours]\ntusday = []\n", "care_hours.tusday", "`tuesday`"},
           {"[care_hours]\n", "[retention]\ncare_day = 90\n[care_hours]\n", "retention.care_day", "`care_days`"},
           {"[care_hours]\n", "[coverage]\ngap_tolerance = 2\n[care_hours]\n",
            "coverage.gap_tolerance", "`gap_tolerance_seconds`"},
           {"[care_hours]\n", "[log]\nlevle = \"info\"\n[care_hours]\n", "log.levle", "`level`"},
           {"id = \"nap-1\"\n", "id = \"nap-1\"\nenable = true\n", "camera[0].enable", "`enabled`"},
           {"id = \"nap\"\n", "id = \"nap\"\ncamera = [\"nap-1\"]\n", "zone[0].camera", "`cameras`"},
           {"[care_hours]\n", "[[cameras]]\nid = \"x\"\n[care_hours]\n", "cameras", "`camera`"},
       }) {
    INFO(c.key);
    expect_single_error(with(c.from, c.to), c.key, "did you mean " + c.suggestion + "?");
  }
  expect_single_error(with("[site]\n", "[site]\nfoo = 1\n"), "site.foo",
                      "valid keys here: name, timezone, storage, database, address");
  expect_single_error(with("[care_hours]\n",
                           "[[care_hours.exception]]\ndate = \"2026-10-01\"\ncolsed = true\n"
                           "closed = true\n[care_hours]\n"),
                      "care_hours.exception[0].colsed", "did you mean `closed`?");
}

TEST_CASE("wrong value types are named", "[config]") {
  expect_single_error(with("name = \"阳光家庭托育点\"", "name = 5"), "site.name", "must be a string (got integer)");
  expect_single_error(with("id = \"nap-1\"\n", "id = \"nap-1\"\nsegment_seconds = \"60\"\n"),
                      "camera[0].segment_seconds", "must be an integer (got string)");
  expect_single_error(with("id = \"nap-1\"\n", "id = \"nap-1\"\nenabled = \"yes\"\n"),
                      "camera[0].enabled", "must be true or false (got string)");
  expect_single_error(with("monday = [\"07:30-12:00\", \"13:00-18:30\"]", "monday = \"07:30-12:00\""),
                      "care_hours.monday", "must be an array");
  expect_single_error(with("monday = [\"07:30-12:00\", \"13:00-18:30\"]", "monday = [730]"),
                      "care_hours.monday[0]", "must be a string like \"07:30-12:00\" (got integer)");
  expect_single_error(with("cameras = [\"nap-1\"]", "cameras = \"nap-1\""), "zone[0].cameras",
                      "must be an array");
  expect_single_error(kMinimal + "[coverage]\ngap_tolerance_seconds = \"2s\"\n",
                      "coverage.gap_tolerance_seconds", "must be a number (got string)");
  expect_single_error(with("[site]", "retention = 90\n[site]"), "retention", "must be a table");
  // The zone's reference to nap-1 is then unknown too; both are reported.
  auto single_table = check(with("[[camera]]", "[camera]"));
  CHECK_THAT(only(single_table, "camera").message, Catch::Contains("write each one as [[camera]]"));
}

TEST_CASE("missing required keys and tables are named with an example", "[config]") {
  for (const char* key : {"name", "timezone", "storage", "database"}) {
    INFO(key);
    std::string text = kMinimal;
    auto at = text.find(std::string(key) + " = ");
    text.erase(at, text.find('\n', at) - at + 1);
    auto outcome = check(text);
    INFO(dump(outcome));
    CHECK(outcome.error_count() == 1);
    auto d = only(outcome, std::string("site.") + key);
    CHECK(d.line == 1);
    CHECK_THAT(d.message, Catch::Contains("required key is missing; add e.g. " + std::string(key) + " = "));
  }
  expect_single_error(with("url = \"rtsp://admin:secret@192.168.1.20:554/stream1\"\n", ""), "camera[0].url",
                      "required key is missing");
  auto no_camera_id = check(with("id = \"nap-1\"\n", ""));
  CHECK(only(no_camera_id, "camera[0].id").line == 10);
  expect_single_error(with("cameras = [\"nap-1\"]\n", ""), "zone[0].cameras", "required key is missing");
  expect_single_error(with("[care_hours]\nmonday = [\"07:30-12:00\", \"13:00-18:30\"]\n", ""), "care_hours",
                      "required table [care_hours] is missing");
  expect_single_error(with("cameras = [\"nap-1\"]", "cameras = []"), "zone[0].cameras",
                      "must name at least one camera");
}

TEST_CASE("ids: format, duplicates and references between zones and cameras", "[config]") {
  auto renamed = with("id = \"nap-1\"", "id = \"Nap 1\"");
  renamed.replace(renamed.find("[\"nap-1\"]"), 9, "[\"Nap 1\"]");
  expect_single_error(renamed, "camera[0].id",
                      "\"Nap 1\" is not a valid camera id: ids are used in file paths");
  expect_single_error(with("id = \"nap\"", "id = \"../nap\""), "zone[0].id", "is not a valid zone id");
  auto duplicate = kMinimal + "\n[[camera]]\nid = \"nap-1\"\nurl = \"rtsp://10.0.0.2/s\"\n";
  expect_single_error(duplicate, "camera[1].id", "is already used by camera[0] (line 11)");
  expect_single_error(kMinimal + "\n[[zone]]\nid = \"nap\"\ncameras = [\"nap-1\"]\n", "zone[1].id",
                      "zone id \"nap\" is already used by zone[0] (line 15)");
  expect_single_error(with("cameras = [\"nap-1\"]", "cameras = [\"nap-l\"]"), "zone[0].cameras[0]",
                      "unknown camera \"nap-l\"; did you mean `nap-1`?");
  expect_single_error(with("cameras = [\"nap-1\"]", "cameras = [\"nap-1\", \"garden\"]"),
                      "zone[0].cameras[1]", "unknown camera \"garden\"; cameras in this file: nap-1");
  auto reserved = with("id = \"nap-1\"", "id = \"quarantine\"");
  reserved.replace(reserved.find("[\"nap-1\"]"), 9, "[\"quarantine\"]");
  expect_single_error(reserved, "camera[0].id", "\"quarantine\" is reserved");
}

TEST_CASE("a camera in no zone is a warning, not an error", "[config]") {
  auto outcome = check(kMinimal + "\n[[camera]]\nid = \"hall\"\nurl = \"rtsp://10.0.0.2/s\"\n");
  INFO(dump(outcome));
  REQUIRE(outcome.ok());
  REQUIRE(outcome.diagnostics.size() == 1);
  auto d = outcome.diagnostics[0];
  CHECK(d.severity == Severity::Warning);
  CHECK(config::format(d) ==
        "carekeep.toml:18: warning: camera[1]: camera \"hall\" is in no zone, so it counts toward "
        "no zone's coverage; add it to the cameras of a [[zone]]");
  CHECK(config::summary(outcome) == "config OK: 2 cameras, 1 zone (1 warning)");
  auto listed_twice = check(with("cameras = [\"nap-1\"]", "cameras = [\"nap-1\", \"nap-1\"]"));
  CHECK(listed_twice.ok());
  CHECK(only(listed_twice, "zone[0].cameras[1]").severity == Severity::Warning);
}

TEST_CASE("care hours: malformed and overlapping ranges are refused", "[config]") {
  expect_single_error(with("\"13:00-18:30\"", "\"25:00-26:00\""), "care_hours.monday[1]",
                      "25:00 is not a time of day");
  expect_single_error(with("\"13:00-18:30\"", "\"12:00-12:00\""), "care_hours.monday[1]", "is empty");
  expect_single_error(with("\"13:00-18:30\"", "\"7:30-12\""), "care_hours.monday[1]", "HH:MM-HH:MM");
  expect_single_error(with("\"13:00-18:30\"", "\"11:59-18:30\""), "care_hours.monday[1]",
                      "11:59-18:30 overlaps 07:30-12:00");
  // Order in the list does not matter, and a range inside another overlaps it.
  expect_single_error(with("[\"07:30-12:00\", \"13:00-18:30\"]", "[\"09:00-10:00\", \"07:30-12:00\"]"),
                      "care_hours.monday[0]", "09:00-10:00 overlaps 07:30-12:00");
  // A range crossing midnight overlaps a later one of the same day only if it starts before
  // that one ends; the part on the next day is not compared with this day's early ranges.
  expect_single_error(with("[\"07:30-12:00\", \"13:00-18:30\"]", "[\"17:00-07:00\", \"13:00-18:30\"]"),
                      "care_hours.monday[0]", "17:00-07:00 overlaps 13:00-18:30");
  auto overnight = check(with("[\"07:30-12:00\", \"13:00-18:30\"]", "[\"00:00-06:00\", \"20:00-07:00\"]"));
  CHECK(overnight.ok());
  auto touching = check(with("[\"07:30-12:00\", \"13:00-18:30\"]", "[\"07:30-12:00\", \"12:00-18:30\"]"));
  CHECK(touching.ok());
  auto closed_week = check(with("monday = [\"07:30-12:00\", \"13:00-18:30\"]", "monday = []"));
  INFO(dump(closed_week));
  CHECK(closed_week.ok());
  CHECK_THAT(only(closed_week, "care_hours").message, Catch::Contains("every day is closed"));
}

TEST_CASE("care hour exceptions", "[config]") {
  auto exception = [](const std::string& body) {
    return with("[care_hours]\n", "[[care_hours.exception]]\n" + body + "\n[care_hours]\n");
  };
  auto native = check(exception("date = 2026-10-01\nclosed = true\nnote = \"国庆节\""));
  INFO(dump(native));
  REQUIRE(native.ok());
  CHECK(format_date(native.config->care_hours.exceptions.at(0).date) == "2026-10-01");
  CHECK(native.config->care_hours.exceptions.at(0).note == "国庆节");
  auto makeup = check(exception("date = \"2026-10-11\"\nhours = [\"07:30-18:30\"]"));
  REQUIRE(makeup.ok());
  CHECK(makeup.config->care_hours.exceptions.at(0).hours == std::vector<config::HourRange>{{450, 1110}});
  CHECK_FALSE(makeup.config->care_hours.exceptions.at(0).closed);

  expect_single_error(exception("date = \"2026-10-1\"\nclosed = true"), "care_hours.exception[0].date",
                      "expected YYYY-MM-DD");
  expect_single_error(exception("date = \"2026-02-30\"\nclosed = true"), "care_hours.exception[0].date",
                      "not a valid date");
  expect_single_error(exception("date = 2026-10-01T08:00:00\nclosed = true"), "care_hours.exception[0].date",
                      "must be a date such as \"2026-10-01\" (got date-time)");
  expect_single_error(exception("closed = true"), "care_hours.exception[0].date", "required key is missing");
  expect_single_error(exception("date = \"2026-10-01\"\nclosed = true\nhours = [\"08:00-12:00\"]"),
                      "care_hours.exception[0].hours", "contradicts closed = true");
  expect_single_error(exception("date = \"2026-10-01\"\nclosed = \"yes\""), "care_hours.exception[0].closed",
                      "must be true or false (got string)");
  expect_single_error(exception("date = \"2026-10-01\"\nhours = \"08:00-12:00\""),
                      "care_hours.exception[0].hours", "must be an array");
  expect_single_error(exception("date = \"2026-10-01\"\nclosed = false\nhours = []"), "care_hours.exception[0]",
                      "needs closed = true (a holiday) or hours");
  expect_single_error(exception("date = \"2026-10-01\""), "care_hours.exception[0]",
                      "needs closed = true (a holiday) or hours");
  expect_single_error(exception("date = \"2026-10-01\"\nhours = [\"08:00-12:00\", \"11:00-13:00\"]"),
                      "care_hours.exception[0].hours[1]", "overlaps");
  expect_single_error(exception("date = \"2026-10-01\"\nclosed = true\n[[care_hours.exception]]\n"
                                "date = 2026-10-01\nhours = [\"08:00-12:00\"]"),
                      "care_hours.exception[1].date", "2026-10-01 already has an exception");
  expect_single_error(with("[care_hours]\n", "[care_hours]\nexception = { date = \"2026-10-01\" }\n"),
                      "care_hours.exception", "[[care_hours.exception]]");
}

TEST_CASE("site: time zone and paths", "[config]") {
  expect_single_error(with("Asia/Shanghai", "Asia/Shangai"), "site.timezone",
                      "unknown time zone \"Asia/Shangai\"");
  expect_single_error(with("Asia/Shanghai", "Mars/Olympus"), "site.timezone", "IANA");
  expect_single_error(with("\"/var/lib/carekeep/media\"", "\"var/lib/carekeep/media\""), "site.storage",
                      "must be an absolute path (got \"var/lib/carekeep/media\"), e.g. \"/var/lib/carekeep/media\"");
  expect_single_error(with("\"/var/lib/carekeep/index.db\"", "\"./index.db\""), "site.database",
                      "must be an absolute path");
  expect_single_error(with("name = \"阳光家庭托育点\"", "name = \"\""), "site.name", "must not be empty");
  auto kathmandu = check(with("Asia/Shanghai", "Asia/Kathmandu"));
  CHECK(kathmandu.ok());
}

TEST_CASE("retention limits", "[config]") {
  auto retention = [](const std::string& body) { return kMinimal + "[retention]\n" + body + "\n"; };
  expect_single_error(retention("care_days = 89"), "retention.care_days",
                      "must be at least 90: the rule requires no less than 90 days of footage");
  CHECK(check(retention("care_days = 90")).ok());
  CHECK(check(retention("care_days = 365")).ok());
  expect_single_error(retention("other_days = 0"), "retention.other_days", "between 1 and");
  CHECK(check(retention("other_days = 1")).ok());
  expect_single_error(retention("min_free_percent = -1"), "retention.min_free_percent", "between 0 and 50");
  expect_single_error(retention("min_free_percent = 51"), "retention.min_free_percent", "(got 51)");
  CHECK(check(retention("min_free_percent = 0")).ok());
  CHECK(check(retention("min_free_percent = 50")).ok());
  expect_single_error(retention("max_bytes = 0"), "retention.max_bytes", "must be a positive number of bytes");
  expect_single_error(kMinimal + "[coverage]\ngap_tolerance_seconds = 61\n", "coverage.gap_tolerance_seconds",
                      "between 0 and 60 seconds (got 61)");
  expect_single_error(kMinimal + "[log]\nlevel = \"verbose\"\n", "log.level", "must be one of debug, info, warn, error");
  expect_single_error(kMinimal + "[log]\nlevel = \"wran\"\n", "log.level", "did you mean `warn`?");
}

TEST_CASE("cameras: segment length, transport and URL", "[config]") {
  auto camera = [](const std::string& line) { return with("id = \"nap-1\"\n", "id = \"nap-1\"\n" + line + "\n"); };
  expect_single_error(camera("segment_seconds = 9"), "camera[0].segment_seconds",
                      "must be between 10 and 600 seconds (got 9)");
  expect_single_error(camera("segment_seconds = 601"), "camera[0].segment_seconds", "(got 601)");
  CHECK(check(camera("segment_seconds = 10")).ok());
  CHECK(check(camera("segment_seconds = 600")).ok());
  expect_single_error(camera("transport = \"TCP\""), "camera[0].transport", "must be \"tcp\" or \"udp\"");
  expect_single_error(camera("transport = \"udpp\""), "camera[0].transport", "did you mean `udp`?");
  expect_single_error(camera("client = \"ffmpeg\""), "camera[0].client", "must be \"native\" or \"libavformat\"");
  expect_single_error(camera("client = \"nativ\""), "camera[0].client", "did you mean `native`?");
  auto libav = check(camera("client = \"libavformat\""));
  REQUIRE(libav.ok());
  CHECK(libav.config->cameras[0].client == config::Client::Libavformat);

  auto url = [](const std::string& value) {
    return with("\"rtsp://admin:secret@192.168.1.20:554/stream1\"", "\"" + value + "\"");
  };
  for (const char* good : {"rtsp://192.168.1.20/stream1", "rtsps://cam.local:322/live", "RTSP://10.0.0.1",
                           "rtsp://u:p@[fe80::1]:554/s", "rtsp://user:p%40ss@cam/s"}) {
    INFO(good);
    CHECK(check(url(good)).ok());
  }
  struct Case {
    std::string url, says;
  };
  for (const auto& c : std::vector<Case>{
           {"http://admin:pw1234@192.168.1.20/stream1", "must start with rtsp:// or rtsps://"},
           {"192.168.1.20:554/stream1", "must start with rtsp:// or rtsps://"},
           {"admin:pw1234@192.168.1.20", "must start with rtsp://"},
           {"rtsp:/admin:pw1234@192.168.1.20/s", "must start with rtsp://"},
           {"rtsp://admin:pw1234@/stream1", "has no host"},
           {"rtsp://", "has no host"},
           {"rtsp://admin:pw1234@cam:99999/s", "invalid port"},
           {"rtsp://admin:pw1234@cam:abc/s", "invalid port"},
           {"rtsp://admin:pw1234@cam:/s", "empty port"},
           {"rtsp://admin:pw 1234@cam/s", "must not contain spaces"},
           {"rtsp://admin:pw/1234@cam/s", "percent-encode them in the password as %2F"},
           {"rtsp://admin:pw1234@[fe80::1/s", "unterminated IPv6"},
       }) {
    INFO(c.url);
    auto outcome = check(url(c.url));
    expect_single_error(url(c.url), "camera[0].url", c.says);
    CHECK(dump(outcome).find("pw1234") == std::string::npos);
    CHECK(dump(outcome).find("pw 1234") == std::string::npos);
    CHECK(dump(outcome).find("admin") == std::string::npos);
  }
}

TEST_CASE("credentials never reach a diagnostic", "[config]") {
  // A syntax error on the URL line, a bad URL, and a load() error message.
  const std::string text = with("url = \"rtsp://admin:secret@192.168.1.20:554/stream1\"",
                                "url = \"rtsp://admin:topsecret@192.168.1.20:554/stream1\" junk\n"
                                "[[camera]]\nid = \"nap-2\"\nurl = \"ftp://root:topsecret@cam/x\"");
  auto outcome = check(text);
  INFO(dump(outcome));
  CHECK_FALSE(outcome.ok());
  CHECK(dump(outcome).find("topsecret") == std::string::npos);

  test::TempDir dir;
  test::write_text(dir / "carekeep.toml", with("Asia/Shanghai", "Asia/Nowhere") +
                                              "[[camera]]\nid = \"x\"\nurl = \"rtp://a:topsecret@h/\"\n");
  auto loaded = config::load(dir / "carekeep.toml");
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().kind == ErrorKind::InvalidArgument);
  CHECK_THAT(loaded.error().message, Catch::Contains("site.timezone"));
  CHECK_THAT(loaded.error().message, Catch::Contains("camera[1].url"));
  CHECK(loaded.error().message.find("topsecret") == std::string::npos);
}

TEST_CASE("files that cannot be read are one clear diagnostic", "[config]") {
  test::TempDir dir;
  auto missing = config::parse_file(dir / "nope.toml");
  REQUIRE(missing.diagnostics.size() == 1);
  CHECK_THAT(config::format(missing.diagnostics[0]), Catch::EndsWith("nope.toml: cannot read the configuration: no such file"));
  auto directory = config::parse_file(dir.path());
  REQUIRE_FALSE(directory.ok());
  CHECK_THAT(directory.diagnostics.at(0).message, Catch::Contains("is a directory"));
  CHECK(config::summary(missing) == "config has 1 error");
}

TEST_CASE("a camera's max_frame_mib and allow_basic_auth are read and checked", "[config]") {
  auto defaults = check(kMinimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config->cameras[0].max_frame_mib == 8);
  CHECK_FALSE(defaults.config->cameras[0].allow_basic_auth);

  auto set = check(with("url = \"rtsp://admin:secret@192.168.1.20:554/stream1\"",
                        "url = \"rtsp://admin:secret@192.168.1.20:554/stream1\"\nmax_frame_mib = 16\nallow_basic_auth = true"));
  INFO(dump(set));
  REQUIRE(set.ok());
  CHECK(set.config->cameras[0].max_frame_mib == 16);
  CHECK(set.config->cameras[0].allow_basic_auth);

  auto huge = check(with("url = \"rtsp://admin:secret@192.168.1.20:554/stream1\"",
                         "url = \"rtsp://admin:secret@192.168.1.20:554/stream1\"\nmax_frame_mib = 65"));
  CHECK(only(huge, "camera[0].max_frame_mib").message.find("between 1 and 64") != std::string::npos);
}

namespace {
// 1-based line of the first occurrence of `needle` in `text`.
std::uint32_t line_of(const std::string& text, std::string_view needle) {
  auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return static_cast<std::uint32_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 1);
}
constexpr std::string_view kUrl = "url = \"rtsp://admin:secret@192.168.1.20:554/stream1\"";
}  // namespace

TEST_CASE("a camera's tls_ca_file, tls_fingerprint and tls_verify are read and checked with their line", "[config]") {
  test::TempDir dir;
  test::write_text(dir / "ca.pem", "-----BEGIN CERTIFICATE-----\n");
  std::string fingerprint;
  for (int i = 0; i < 32; ++i) fingerprint += (i ? ":" : "") + std::string("0F");

  auto defaults = check(kMinimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config->cameras[0].tls_verify);
  CHECK_FALSE(defaults.config->cameras[0].tls_fingerprint);
  CHECK(defaults.config->cameras[0].tls_ca_file.empty());

  auto good = check(with(kUrl, "url = \"rtsps://admin:secret@192.168.1.20/stream1\"\ntls_ca_file = \"" + (dir / "ca.pem").string() +
                                   "\"\ntls_fingerprint = \"sha256:" + fingerprint + "\""));
  INFO(dump(good));
  REQUIRE(good.ok());
  REQUIRE(good.config->cameras[0].tls_fingerprint);
  CHECK(to_fingerprint(*good.config->cameras[0].tls_fingerprint) == "sha256:" + fingerprint);
  CHECK(good.config->cameras[0].tls_ca_file == dir / "ca.pem");

  // Lower case without colons, as `openssl x509 -fingerprint` variants print it, is the same pin.
  std::string bare;
  for (int i = 0; i < 32; ++i) bare += "0f";
  auto lower = check(with(kUrl, "url = \"rtsps://192.168.1.20/stream1\"\ntls_fingerprint = \"" + bare + "\""));
  REQUIRE(lower.ok());
  CHECK(*lower.config->cameras[0].tls_fingerprint == *good.config->cameras[0].tls_fingerprint);

  std::string text = with(kUrl, "url = \"rtsps://192.168.1.20/stream1\"\ntls_fingerprint = \"sha1:AB:CD\"\ntls_ca_file = \"" +
                                    (dir / "missing.pem").string() + "\"");
  auto bad = check(text);
  auto d = only(bad, "camera[0].tls_fingerprint");
  CHECK(d.line == line_of(text, "tls_fingerprint"));
  CHECK_THAT(d.message, Catch::Contains("32 hex pairs") && Catch::Contains("sha1:AB:CD"));
  auto ca = only(bad, "camera[0].tls_ca_file");
  CHECK(ca.line == line_of(text, "tls_ca_file"));
  CHECK_THAT(ca.message, Catch::Contains("does not exist"));
  CHECK_THAT(only(check(with(kUrl, "url = \"rtsps://h/s\"\ntls_ca_file = \"ca.pem\"")), "camera[0].tls_ca_file").message,
             Catch::Contains("absolute"));
}

TEST_CASE("rtsps settings that could not be kept are refused: libavformat verifying, an opt-out beside a pin", "[config]") {
  auto ffmpeg = check(with(kUrl, "url = \"rtsps://192.168.1.20/stream1\"\nclient = \"libavformat\""));
  CHECK_THAT(only(ffmpeg, "camera[0].client").message, Catch::Contains("cannot check a camera's certificate"));
  // The explicit opt-out may use libavformat (doctor warns about it).
  CHECK(check(with(kUrl, "url = \"rtsps://192.168.1.20/stream1\"\nclient = \"libavformat\"\ntls_verify = false")).ok());

  auto udp = check(with(kUrl, "url = \"rtsps://192.168.1.20/stream1\"\ntransport = \"udp\""));
  REQUIRE(udp.ok());  // older versions took it; the native client ignores it
  CHECK_THAT(only(udp, "camera[0].transport").message, Catch::Contains("TLS connection") && Catch::Contains("ignored"));

  std::string pin;
  for (int i = 0; i < 32; ++i) pin += "ab";
  auto both = check(with(kUrl, "url = \"rtsps://192.168.1.20/stream1\"\ntls_verify = false\ntls_fingerprint = \"" + pin + "\""));
  CHECK_THAT(only(both, "camera[0].tls_verify").message, Catch::Contains("keep only one"));

  auto plain = check(with(kUrl, std::string(kUrl) + "\ntls_fingerprint = \"" + pin + "\""));
  REQUIRE(plain.ok());  // a warning, not an error
  CHECK(plain.diagnostics.size() == 1);
  CHECK_THAT(only(plain, "camera[0].url").message, Catch::Contains("rtsps:// URLs only"));
}

TEST_CASE("[web] is off when absent, and its listen address, HTTPS, allow list and language are checked", "[config]") {
  auto defaults = check(kMinimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config->web.listen.empty());
  CHECK(defaults.config->web.https);
  CHECK(defaults.config->web.language == "zh");
  auto on = check(kMinimal + "\n[web]\nlisten = \"0.0.0.0:8443\"\nallow = [\"192.168.1.0/24\", \"fd00::/8\", "
                             "\"127.0.0.1\"]\nlanguage = \"en\"\nsession_idle_minutes = 10\n");
  INFO(dump(on));
  REQUIRE(on.ok());
  CHECK(on.config->web.listen == "0.0.0.0:8443");
  CHECK(on.config->web.allow.size() == 3);
  CHECK(on.config->web.language == "en");
  CHECK(on.config->web.session_idle_minutes == 10);
  auto loopback_http = check(kMinimal + "\n[web]\nlisten = \"127.0.0.1:8080\"\nhttps = false\n");
  REQUIRE(loopback_http.ok());
  CHECK(!loopback_http.config->web.https);
  expect_single_error(kMinimal + "\n[web]\nlisten = \"0.0.0.0:8080\"\nhttps = false\n", "web.https",
                      "plain HTTP is allowed only on a loopback listen address");
  expect_single_error(kMinimal + "\n[web]\nlisten = \"localhost:8443\"\n", "web.listen", "must be an IP address and a port");
  expect_single_error(kMinimal + "\n[web]\nlisten = \"0.0.0.0:8443\"\nallow = [\"192.168.1.5/24\"]\n", "web.allow",
                      "host bits after the prefix must be zero");
  expect_single_error(kMinimal + "\n[web]\nlisten = \"0.0.0.0:8443\"\nallow = [\"everyone\"]\n", "web.allow",
                      "must be an IP network");
  expect_single_error(kMinimal + "\n[web]\nlisten = \"0.0.0.0:8443\"\nallow = [24]\n", "web.allow", "as a string");
  expect_single_error(kMinimal + "\n[web]\nlanguage = \"fr\"\n", "web.language", "must be \"zh\" or \"en\"");
  expect_single_error(kMinimal + "\n[web]\nsession_idle_minutes = 1\n", "web.session_idle_minutes",
                      "must be between 5 and 720 minutes");
  expect_single_error(kMinimal + "\n[web]\nport = 8443\n", "web.port", "unknown key");
}

TEST_CASE("[site] id and [metrics] allow and bearer_token_file are read and checked", "[config]") {
  auto defaults = check(kMinimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config->site.id.empty());
  CHECK(defaults.config->metrics.allow.empty());
  CHECK(defaults.config->metrics.bearer_token_file.empty());

  test::TempDir dir;
  test::write_text(dir / "metrics.token", std::string(64, 'a') + "\n");
  auto fleet = check(with("[site]\n", "[site]\nid = \"gz-tianhe-0042\"\n") + "\n[metrics]\nlisten = \"0.0.0.0:9477\"\n" +
                     "allow = [\"10.20.0.0/16\", \"fd00::/8\"]\nbearer_token_file = \"" +
                     (dir / "metrics.token").string() + "\"\n");
  INFO(dump(fleet));
  REQUIRE(fleet.ok());
  CHECK(fleet.diagnostics.empty());  // a token off loopback: no warning
  CHECK(fleet.config->site.id == "gz-tianhe-0042");
  CHECK(fleet.config->metrics.allow == std::vector<std::string>{"10.20.0.0/16", "fd00::/8"});
  CHECK(fleet.config->metrics.bearer_token_file == dir / "metrics.token");

  // Off loopback without a token: loaded, with a warning that says what to set.
  auto open = check(kMinimal + "\n[metrics]\nlisten = \"0.0.0.0:9477\"\n");
  REQUIRE(open.ok());
  auto warning = only(open, "metrics.listen");
  CHECK(warning.severity == Severity::Warning);
  CHECK_THAT(warning.message, Catch::Contains("set bearer_token_file"));
  auto loopback = check(kMinimal + "\n[metrics]\nlisten = \"127.0.0.1:9477\"\n");
  REQUIRE(loopback.ok());
  CHECK(loopback.diagnostics.empty());

  expect_single_error(with("[site]\n", "[site]\nid = \"Gz Tianhe\"\n"), "site.id", "must be 1 to 32 of a-z");
  expect_single_error(kMinimal + "\n[metrics]\nlisten = \"127.0.0.1:9477\"\nallow = [\"10.0.0.1/8\"]\n", "metrics.allow",
                      "host bits after the prefix must be zero");
  expect_single_error(kMinimal + "\n[metrics]\nlisten = \"127.0.0.1:9477\"\nallow = [\"everyone\"]\n", "metrics.allow",
                      "must be an IP network");
  expect_single_error(kMinimal + "\n[metrics]\nlisten = \"127.0.0.1:9477\"\nbearer_token_file = \"metrics.token\"\n",
                      "metrics.bearer_token_file", "must be an absolute path");
  expect_single_error(kMinimal + "\n[metrics]\nlisten = \"127.0.0.1:9477\"\nbearer_token_file = \"" +
                          (dir / "absent.token").string() + "\"\n",
                      "metrics.bearer_token_file", "is not a file");
  expect_single_error(kMinimal + "\n[metrics]\nlisten = \"127.0.0.1:9477\"\ntoken_file = \"/x\"\n", "metrics.token_file",
                      "unknown key");
}
