// `carekeep zones --plan [--json] [--svg FILE]` and doctor's floorplan check, run as processes
// on the three-room plan of tests/data/floorplan/three_rooms.toml (hand-computed areas:
// tests/unit/floorplan/plan_test.cpp), with the site's paths moved into a temp dir.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <numbers>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

using nlohmann::json;

namespace {

std::string three_rooms_text() {
  std::ifstream in(std::string(CAREKEEP_SOURCE_DIR) + "/tests/data/floorplan/three_rooms.toml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string with(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

struct Plan {
  carekeep::test::TempDir dir;
  std::filesystem::path config = dir / "carekeep.toml";

  explicit Plan(std::string text) {
    text = with(text, "/var/lib/carekeep/media", (dir / "media").string());
    text = with(text, "/var/lib/carekeep/index.db", (dir / "index.db").string());
    std::filesystem::create_directories(dir / "media");
    carekeep::test::write_text(config, text);
  }
  carekeep::test::CommandRun cli(const std::string& args) const {
    return carekeep::test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
  }
};

// ∫_a^b sqrt(r² - x²) dx
double under_arc(double r, double a, double b) {
  auto f = [r](double x) { return 0.5 * (x * std::sqrt(r * r - x * x) + r * r * std::asin(x / r)); };
  return f(b) - f(a);
}

const json* zone(const json& out, const std::string& id) {
  for (const auto& z : out["zones"])
    if (z["zone"] == id) return &z;
  return nullptr;
}

std::set<std::string> finding_kinds(const json& out, const std::string& subject) {
  std::set<std::string> kinds;
  for (const auto& f : out["findings"])
    if (f["subject"] == subject) kinds.insert(f["kind"].get<std::string>());
  return kinds;
}

}  // namespace

TEST_CASE("zones --plan gives each zone's seen share, its parts and unseen polygons, and flags zones below the "
          "minimum",
          "[cli][floorplan]") {
  Plan plan{three_rooms_text()};
  auto run = plan.cli("zones --plan --json --svg " + (plan.dir / "plan.svg").string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 4);  // min_area_percent 100 by default: play and nap are not wholly seen
  json out = json::parse(run.out);

  const json* play = zone(out, "play");
  REQUIRE(play != nullptr);
  const double play_seen = under_arc(5, 0, 4);  // play-1's quarter disk below y = 4, of 22 m²
  CHECK(std::abs((*play)["covered_percent"].get<double>() - 100 * play_seen / 22) < 0.5);
  CHECK((*play)["below_min"] == true);
  // The parts add up to the child area; the unseen ones are polygons inside the room.
  double parts = 0;
  for (const auto& part : (*play)["parts"]) parts += part["area_m2"].get<double>();
  CHECK(std::abs(parts - 22.0) < 0.05);
  REQUIRE_FALSE((*play)["uncovered"].empty());
  for (const auto& polygon : (*play)["uncovered"]) {
    for (const auto& p : polygon[0]) {
      CHECK(p[0].get<double>() >= -0.01);
      CHECK(p[0].get<double>() <= 6.01);
      CHECK(p[1].get<double>() >= -0.01);
      CHECK(p[1].get<double>() <= 4.01);
    }
  }
  const json* nap = zone(out, "nap");
  REQUIRE(nap != nullptr);
  CHECK(std::abs((*nap)["covered_percent"].get<double>() - 100 * (12 + under_arc(5, 3, 4)) / 16) < 0.5);
  // nap-2's quarter disk is seen by both nap cameras.
  bool both = false;
  for (const auto& part : (*nap)["parts"])
    both = both || (part["cameras"] == json::array({"nap-1", "nap-2"}) &&
                    std::abs(part["area_m2"].get<double>() - 9 * std::numbers::pi / 4) < 0.05);
  CHECK(both);

  CHECK(finding_kinds(out, "play") == std::set<std::string>{"below_min_area"});
  CHECK(finding_kinds(out, "nap") == std::set<std::string>{"below_min_area"});
  CHECK(std::filesystem::file_size(plan.dir / "plan.svg") > 1000);
  CHECK(carekeep::test::run_command("xmllint --noout " + (plan.dir / "plan.svg").string()).exit_code == 0);

  // The table names the unseen parts.
  auto table = plan.cli("zones --plan");
  CHECK(table.exit_code == 4);
  CHECK(table.out.find("seen by NO CAMERA") != std::string::npos);
  CHECK(table.out.find("FINDING zone play: cameras see ") != std::string::npos);

  // A minimum every zone meets (hall-1 sees its 120° triangle: 6.93 of 20 m²).
  Plan lenient{with(three_rooms_text(), "[floorplan]\n", "[coverage]\nmin_area_percent = 30\n\n[floorplan]\n")};
  auto ok = lenient.cli("zones --plan --json");
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(json::parse(ok.out)["findings"].empty());
}

TEST_CASE("zones --plan and doctor fail a child room in no zone and a zone with no camera on the plan",
          "[cli][floorplan]") {
  // The nap zone gone: its room is still marked for children. hall-1 taken off the plan: the
  // hall zone has no camera that sees anything.
  std::string text = with(three_rooms_text(), "[[zone]]\nid = \"nap\"\nname = \"午睡区\"\ncameras = [\"nap-1\", \"nap-2\"]\n",
                          "");
  text = with(text, "[[floorplan.camera]]\ncamera = \"hall-1\"\nposition = [5, 6]\ndirection = 270\nfov = 120\nrange = 10\n",
              "");
  Plan plan{text + "\n[coverage]\nmin_area_percent = 30\n"};
  auto run = plan.cli("zones --plan --json");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 4);
  json out = json::parse(run.out);
  CHECK(finding_kinds(out, "nap") == std::set<std::string>{"child_room_without_zone"});
  CHECK(finding_kinds(out, "hall") == std::set<std::string>{"zone_without_camera"});
  CHECK(finding_kinds(out, "play").empty());

  auto doctor = plan.cli("doctor --json --probe-seconds 0 --skip daemon --skip disk_health");
  INFO(doctor.out << doctor.err);
  json checks = json::parse(doctor.out);
  std::set<std::string> failed;
  for (const auto& c : checks["checks"])
    if (c["check"] == "floorplan" && c["verdict"] == "fail") failed.insert(c["subject"].get<std::string>());
  CHECK(failed == std::set<std::string>{"nap", "hall"});
  CHECK(doctor.exit_code != 0);
}

TEST_CASE("zones --plan without a [floorplan] says what to add, and --svg without --plan is a usage error",
          "[cli][floorplan]") {
  carekeep::test::TempDir dir;
  auto config = dir / "carekeep.toml";
  carekeep::test::write_text(config, "[site]\nname = \"t\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                                         (dir / "media").string() + "\"\ndatabase = \"" + (dir / "index.db").string() +
                                         "\"\n[care_hours]\nmonday = [\"08:00-18:00\"]\n[[camera]]\nid = \"cam\"\n"
                                         "url = \"rtsp://127.0.0.1:1/x\"\n");
  auto cli = [&](const std::string& args) {
    return carekeep::test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
  };
  auto none = cli("zones --plan");
  CHECK(none.exit_code == 3);
  CHECK(none.err.find("no [floorplan]") != std::string::npos);
  auto usage = cli("zones --svg x.svg");
  CHECK(usage.exit_code == 2);
  CHECK(usage.err.find("--svg FILE goes with --plan") != std::string::npos);
}
