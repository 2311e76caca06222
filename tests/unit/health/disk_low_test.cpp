// disk_low (lib/health/disk_low): free space and the capacity forecast against the [alerts]
// thresholds, with hysteresis, one raise per change of reasons, resolve when none holds; and
// the configuration's validation of the thresholds and of summary_time.
#include <catch2/catch.hpp>

#include <string>

#include "config/diagnostic.hpp"
#include "config/load.hpp"
#include "health/disk_low.hpp"

using namespace carekeep;
using health::AlertAction;
using health::DiskLowThresholds;
using health::DiskLowWatch;
using health::DiskSpace;

namespace {

constexpr std::uint64_t kGB = 1'000'000'000;

DiskSpace free_share(double percent, std::optional<double> forecast = std::nullopt) {
  return {100 * kGB, static_cast<std::uint64_t>(percent * kGB), forecast};
}

}  // namespace

TEST_CASE("disk_low is raised once below the free threshold and resolved only past the hysteresis", "[health][disk_low]") {
  DiskLowWatch watch;
  DiskLowThresholds t{3, 100, 90};
  bool open = false;
  auto step = [&](const DiskSpace& s) {
    auto actions = watch.check(s, t, open);
    for (const auto& a : actions) open = a.op == AlertAction::Op::Raise;
    return actions;
  };
  CHECK(step(free_share(5)).empty());
  auto raised = step(free_share(2.5));
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].op == AlertAction::Op::Raise);
  CHECK(raised[0].kind == "disk_low");
  CHECK(raised[0].message.find("2.5% of the storage is free") != std::string::npos);
  CHECK(raised[0].message.find("Add a larger disk, lower the cameras' bitrate") != std::string::npos);
  CHECK(step(free_share(2.4)).empty());  // same reason: not raised again every check
  CHECK(step(free_share(3.5)).empty());  // above 3 but within the 2 points of hysteresis
  CHECK(step(free_share(4.9)).empty());
  auto resolved = step(free_share(5.0));
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].op == AlertAction::Op::Resolve);
  CHECK(step(free_share(4)).empty());  // back above the threshold: no new episode
  CHECK(step(free_share(2.9)).size() == 1);
}

TEST_CASE("disk_low warns on the forecast before capacity_short, and off means off", "[health][disk_low]") {
  DiskLowWatch watch;
  DiskLowThresholds t{3, 100, 90};
  auto raised = watch.check(free_share(10, 95.0), t, false);
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].message.find("about 95 days of care footage") != std::string::npos);
  // Both reasons: one refresh with both in its words.
  auto both = watch.check(free_share(1, 95.0), t, true);
  REQUIRE(both.size() == 1);
  CHECK(both[0].message.find("1.0% of the storage") != std::string::npos);
  CHECK(both[0].message.find("95 days") != std::string::npos);
  // Below care_days capacity_short speaks; free space back: resolved.
  auto resolved = watch.check(free_share(10, 80.0), t, true);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].op == AlertAction::Op::Resolve);
  // No forecast yet: that reason keeps its state; an alert an earlier run left open is resolved.
  DiskLowWatch fresh;
  auto leftover = fresh.check(free_share(50), t, true);
  REQUIRE(leftover.size() == 1);
  CHECK(leftover[0].op == AlertAction::Op::Resolve);
  DiskLowWatch off;
  CHECK(off.check(free_share(0.1), DiskLowThresholds{0, 100, 90}, false).empty());
}

TEST_CASE("the disk_low thresholds and summary_time are validated against retention", "[health][disk_low][config]") {
  const std::string base = R"(
[site]
name = "t"
timezone = "Asia/Shanghai"
storage = "/var/lib/carekeep/media"
database = "/var/lib/carekeep/index.db"

[care_hours]
monday = ["07:30-12:00"]

[[camera]]
id = "c1"
url = "rtsp://192.168.1.20/s"

[[zone]]
id = "nap"
cameras = ["c1"]
)";
  auto good = config::parse(base + "[alerts]\ndisk_low_free_percent = 2\ndisk_low_forecast_days = 120\nsummary_time = \"07:30\"\n", "t.toml");
  REQUIRE(good.ok());
  CHECK(good.config->alerts.disk_low_free_percent == 2);
  CHECK(config::disk_low_forecast_days(*good.config) == 120);
  CHECK(good.config->alerts.summary_second == 7 * 3600 + 30 * 60);
  auto defaults = config::parse(base, "t.toml");
  REQUIRE(defaults.ok());
  CHECK(defaults.config->alerts.disk_low_free_percent == 3);
  CHECK(config::disk_low_forecast_days(*defaults.config) == defaults.config->retention.care_days + 10);
  CHECK(defaults.config->alerts.summary_second == 20 * 3600);

  auto bad = config::parse(base + "[alerts]\ndisk_low_free_percent = 5\ndisk_low_forecast_days = 30\nsummary_time = \"8pm\"\n", "t.toml");
  REQUIRE_FALSE(bad.ok());
  std::string all;
  for (const auto& d : bad.diagnostics) all += config::format(d) + "\n";
  INFO(all);
  CHECK(all.find("must be below [retention] min_free_percent (5)") != std::string::npos);
  CHECK(all.find("must be at least [retention] care_days (90)") != std::string::npos);
  CHECK(all.find("must be a local time of day as HH:MM or HH:MM:SS, like \"20:00\" (got \"8pm\")") != std::string::npos);
}
