// [content] and [camera.content]: the content checks' thresholds (docs/coverage.md, Content checks).
#include <catch2/catch.hpp>

#include <algorithm>

#include "config/load.hpp"

using namespace carekeep;

namespace {

const std::string kBase = R"([site]
name = "t"
timezone = "Asia/Shanghai"
storage = "/var/lib/carekeep/media"
database = "/var/lib/carekeep/index.db"

[care_hours]
monday = ["07:30-12:00"]
)";

const std::string kCameras = R"(
[[camera]]
id = "nap-1"
url = "rtsp://192.168.1.20/s"

[[camera]]
id = "hall"
url = "rtsp://192.168.1.21/s"

[camera.content]
frozen_seconds = 120
black_max_mean = 30

[[zone]]
id = "nap"
cameras = ["nap-1", "hall"]
)";

config::ParseOutcome check(const std::string& text) { return config::parse(text, "carekeep.toml"); }

std::string messages(const config::ParseOutcome& outcome) {
  std::string out;
  for (const auto& d : outcome.diagnostics) out += config::format(d) + "\n";
  return out;
}

bool has(const config::ParseOutcome& outcome, std::string_view key, std::string_view part) {
  return std::any_of(outcome.diagnostics.begin(), outcome.diagnostics.end(), [&](const config::Diagnostic& d) {
    return d.key == key && d.message.find(part) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("content checks default per camera, from [content], overridden by [camera.content]", "[config]") {
  auto plain = check(kBase + kCameras);
  INFO(messages(plain));
  REQUIRE(plain.ok());
  const auto& nap = *plain.config->find_camera("nap-1");
  CHECK(nap.content == config::ContentChecks{});
  CHECK(nap.content.sample_seconds == 5);
  CHECK(nap.content.frozen_seconds == 60);

  auto tuned = check(kBase + "\n[content]\nsample_seconds = 2\nfrozen_seconds = 30\n" + kCameras);
  INFO(messages(tuned));
  REQUIRE(tuned.ok());
  CHECK(tuned.config->content.sample_seconds == 2);
  const auto& nap2 = *tuned.config->find_camera("nap-1");
  const auto& hall = *tuned.config->find_camera("hall");
  CHECK(nap2.content.sample_seconds == 2);
  CHECK(nap2.content.frozen_seconds == 30);
  CHECK(nap2.content.black_max_mean == config::ContentChecks{}.black_max_mean);
  CHECK(hall.content.sample_seconds == 2);     // from [content]
  CHECK(hall.content.frozen_seconds == 120);   // its own
  CHECK(hall.content.black_max_mean == 30);
}

TEST_CASE("content check values are validated with the valid range and a suggestion", "[config]") {
  auto typo = check(kBase + "\n[content]\nfrozen_second = 30\n" + kCameras);
  CHECK_FALSE(typo.ok());
  CHECK(has(typo, "content.frozen_second", "did you mean `frozen_seconds`?"));

  auto range = check(kBase + "\n[content]\nsample_seconds = 0\nblack_max_mean = 300\n" + kCameras);
  CHECK_FALSE(range.ok());
  CHECK(has(range, "content.sample_seconds", "between 1 and 60 seconds (got 0)"));
  CHECK(has(range, "content.black_max_mean", "between 0 and 255"));

  auto type = check(kBase + "\n[content]\nenabled = \"yes\"\n" + kCameras);
  CHECK(has(type, "content.enabled", "must be true or false"));

  // A camera's override is checked with its own path.
  std::string cameras = kCameras;
  cameras.replace(cameras.find("frozen_seconds = 120"), 20, "frozen_seconds = 6");
  auto pair = check(kBase + "\n[content]\nsample_seconds = 5\n" + cameras);
  CHECK_FALSE(pair.ok());
  CHECK(has(pair, "camera[1].content.frozen_seconds", "at least twice sample_seconds"));
}

TEST_CASE("the shipped example's content settings are the defaults, with one camera's override", "[config]") {
  auto outcome = config::parse_file(std::string(CAREKEEP_SOURCE_DIR) + "/etc/carekeep.toml");
  INFO(messages(outcome));
  REQUIRE(outcome.ok());
  CHECK(outcome.config->content == config::ContentChecks{});
  CHECK(outcome.config->find_camera("nap-1")->content == config::ContentChecks{});
  const auto& play = outcome.config->find_camera("play-1")->content;
  CHECK(play.frozen_seconds == 120);
  CHECK(play.sample_seconds == config::ContentChecks{}.sample_seconds);
}
