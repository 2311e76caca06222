#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

using namespace carekeep;

namespace {

using Run = test::CommandRun;

// Runs the built binary through the shell; `env` is prefixed to the command ("VAR=value").
Run carekeep_cli(const std::string& args, const std::string& env = "") {
  return test::run_command(env + " " + std::string(CAREKEEP_CLI_PATH) + " " + args);
}

const std::string kExample = std::string(CAREKEEP_SOURCE_DIR) + "/etc/carekeep.toml";

}  // namespace

TEST_CASE("carekeep calendar prints each local day with its source", "[care][cli]") {
  auto run = carekeep_cli("--config " + kExample + " calendar --from 2026-09-30 --to 2026-10-11");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.empty());
  CHECK_THAT(run.out, Catch::StartsWith("2026-09-30 Wed  07:30–12:00, 13:00–18:30  (weekly)\n"
                                        "2026-10-01 Thu  closed  (exception-closed: 国庆节)\n"));
  CHECK_THAT(run.out, Catch::Contains("2026-10-03 Sat  08:00–12:00  (weekly)\n"
                                      "2026-10-04 Sun  closed  (weekly)\n"));
  CHECK_THAT(run.out, Catch::EndsWith(
      "2026-10-11 Sun  07:30–12:00, 13:00–18:30  (exception-hours: 国庆节调休上班（周日）)\n"));
}

TEST_CASE("carekeep calendar --json gives local times with offsets", "[care][cli]") {
  auto run = carekeep_cli("--config " + kExample + " calendar --from 2026-10-10 --to 2026-10-11 --json");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto days = nlohmann::json::parse(run.out);
  REQUIRE(days.size() == 2);
  CHECK(days[0]["date"] == "2026-10-10");
  CHECK(days[0]["weekday"] == "saturday");
  CHECK(days[0]["source"] == "weekly");
  CHECK(days[0]["intervals"] == nlohmann::json::parse(
      R"([{"start": "2026-10-10T08:00:00+08:00", "end": "2026-10-10T12:00:00+08:00"}])"));
  CHECK(days[1]["source"] == "exception-hours");
  CHECK(days[1]["note"] == "国庆节调休上班（周日）");
  CHECK(days[1]["intervals"].size() == 2);
  CHECK(days[1]["intervals"][1]["end"] == "2026-10-11T18:30:00+08:00");
}

TEST_CASE("carekeep calendar marks clock-change days", "[care][cli]") {
  test::TempDir dir;
  test::write_text(dir / "ny.toml", R"([site]
name = "Sunny Day Care"
timezone = "America/New_York"
storage = "/srv/carekeep/media"
database = "/srv/carekeep/index.db"
[care_hours]
sunday = ["00:00-24:00"]
saturday = ["22:00-06:00"]
[[camera]]
id = "hall"
url = "rtsp://10.0.0.2/stream1"
[[zone]]
id = "hall"
cameras = ["hall"]
)");
  auto run = carekeep_cli("--config " + (dir / "ny.toml").string() +
                          " calendar --from 2026-03-07 --to 2026-03-08");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out ==
        "2026-03-07 Sat  22:00–06:00+1  (weekly)  [clock change: 7h00 of care]\n"
        "2026-03-08 Sun  00:00–24:00  (weekly)  [clock change: 23h00 of care]\n");
  auto json = carekeep_cli("--config " + (dir / "ny.toml").string() +
                           " calendar --from 2026-11-01 --to 2026-11-01 --json");
  auto days = nlohmann::json::parse(json.out);
  CHECK(days[0]["intervals"][0]["start"] == "2026-11-01T00:00:00-04:00");
  CHECK(days[0]["intervals"][0]["end"] == "2026-11-02T00:00:00-05:00");
}

TEST_CASE("carekeep: bad input exits 2 with one line, bad config exits 1", "[care][cli]") {
  for (const char* args : {"calendar --from 2026-13-01", "calendar --from 2026-10-02 --to 2026-10-01",
                           "calendar --bogus", "", "calendar --from 2026-01-01 --to 2099-01-01"}) {
    INFO(args);
    auto run = carekeep_cli("--config " + kExample + " " + args);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::StartsWith("carekeep: "));
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  }
  auto date = carekeep_cli("--config " + kExample + " calendar --from 2026-13-01");
  CHECK(date.err == "carekeep: --from: \"2026-13-01\" is not a valid date; expected YYYY-MM-DD, e.g. 2026-11-20\n");

  test::TempDir dir;
  test::write_text(dir / "bad.toml", "[site]\nname = \"x\"\n");
  auto bad = carekeep_cli("--config " + (dir / "bad.toml").string() + " calendar");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("bad.toml:1: site.timezone: required key is missing"));
  CHECK_THAT(bad.err, Catch::Contains("carekeep: config has"));
  auto missing = carekeep_cli("--config " + (dir / "none.toml").string() + " calendar");
  CHECK(missing.exit_code == 1);
}

TEST_CASE("carekeep: CAREKEEP_CONFIG stands in for --config", "[care][cli]") {
  auto run = carekeep_cli("calendar --from 2026-10-01 --to 2026-10-01", "CAREKEEP_CONFIG=" + kExample);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out == "2026-10-01 Thu  closed  (exception-closed: 国庆节)\n");
}
