#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "support/temp_dir.hpp"

using namespace carekeep;

namespace {

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Run carekeepd(const std::string& args) {
  auto run = test::run_command(std::string(CAREKEEPD_PATH) + " " + args + " 2>&1");
  return Run{run.exit_code, run.out};
}

const std::string kExample = std::string(CAREKEEP_SOURCE_DIR) + "/etc/carekeep.toml";

}  // namespace

TEST_CASE("carekeepd --check-config accepts the shipped example", "[config][cli]") {
  auto run = carekeepd("--config " + kExample + " --check-config");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output == "config OK: 3 cameras, 2 zones\n");
}

TEST_CASE("carekeepd --check-config lists every problem and exits 1", "[config][cli]") {
  test::TempDir dir;
  test::write_text(dir / "carekeep.toml", R"([site]
name = "阳光家庭托育点"
timezone = "Asia/Shanghai"
storage = "/var/lib/carekeep/media"
database = "index.db"

[retention]
care_days = 60

[care_hours]
monday = ["07:30-12:00"]

[[camera]]
id = "nap-1"
url = "http://admin:hunter2@192.168.1.20/stream1"
segment_seconds = 5

[[camera]]
id = "play-1"
url = "rtsp://admin:hunter2@192.168.1.22/stream1"

[[zone]]
id = "nap"
cameras = ["nap-1"]
)");
  auto run = carekeepd("--config " + (dir / "carekeep.toml").string() + " --check-config");
  INFO(run.output);
  CHECK(run.exit_code == 1);
  const std::string file = (dir / "carekeep.toml").string();
  CHECK_THAT(run.output, Catch::Contains(file + ":5: site.database: must be an absolute path"));
  CHECK_THAT(run.output, Catch::Contains(file + ":8: retention.care_days: must be at least 90"));
  CHECK_THAT(run.output, Catch::Contains(file + ":15: camera[0].url: must start with rtsp://"));
  CHECK_THAT(run.output, Catch::Contains(
      file + ":16: camera[0].segment_seconds: must be between 10 and 600 seconds (got 5)"));
  CHECK_THAT(run.output, Catch::Contains(file + ":18: warning: camera[1]: camera \"play-1\" is in no zone"));
  CHECK_THAT(run.output, Catch::EndsWith("config has 4 errors (1 warning)\n"));
  CHECK(run.output.find("hunter2") == std::string::npos);
}

TEST_CASE("carekeepd: missing file and bad arguments", "[config][cli]") {
  auto missing = carekeepd("--config /nonexistent/carekeep.toml --check-config");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("/nonexistent/carekeep.toml: cannot read the configuration"));
  auto bad = carekeepd("--frobnicate");
  CHECK(bad.exit_code == 2);
  auto help = carekeepd("--help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.output, Catch::Contains("--check-config"));
}
