// [floorplan] validation: each broken drawing gets one error at its line, saying what is wrong
// and what would be right. The valid plan is tests/data/floorplan/three_rooms.toml.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "config/load.hpp"

using namespace carekeep;

namespace {

std::string plan_text() {
  std::ifstream in(std::string(CAREKEEP_SOURCE_DIR) + "/tests/data/floorplan/three_rooms.toml");
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string replaced(std::string_view from, std::string_view to) {
  std::string text = plan_text();
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

std::uint32_t line_of(const std::string& text, std::string_view needle) {
  auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return static_cast<std::uint32_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n') + 1);
}

// The single error of `text`, which must be at the line of `at`.
config::Diagnostic only_error(const std::string& text, std::string_view at) {
  auto outcome = config::parse(text, "carekeep.toml");
  std::string all;
  for (const auto& d : outcome.diagnostics) all += config::format(d) + "\n";
  INFO(all);
  REQUIRE_FALSE(outcome.ok());
  REQUIRE(outcome.error_count() == 1);
  auto d = *std::find_if(outcome.diagnostics.begin(), outcome.diagnostics.end(),
                         [](const config::Diagnostic& x) { return x.severity == config::Severity::Error; });
  CHECK(d.line == line_of(text, at));
  return d;
}

}  // namespace

TEST_CASE("floorplan config: the three-room plan loads with its defaults resolved") {
  auto outcome = config::parse(plan_text(), "three_rooms.toml");
  REQUIRE(outcome.ok());
  const auto& plan = *outcome.config->floorplan;
  CHECK(plan.rooms.size() == 3);
  CHECK(plan.rooms[0].children);
  CHECK_FALSE(plan.rooms[2].children);
  CHECK(plan.walls.size() == 3);
  CHECK(plan.obstacles.size() == 1);
  CHECK(plan.cameras.size() == 4);
  // No [[floorplan.zone]]: each zone takes the room of its own id.
  REQUIRE(plan.find_zone("nap") != nullptr);
  CHECK(plan.find_zone("nap")->rooms == std::vector<std::string>{"nap"});
  CHECK(plan.find_camera("hall-1")->direction_deg == 270);
  CHECK(outcome.config->coverage.min_area_percent == 100);
}

TEST_CASE("floorplan config: a self-intersecting room names the crossing") {
  std::string text = replaced("outline = [[6, 0], [10, 0], [10, 4], [6, 4]]", "outline = [[6, 0], [10, 4], [10, 0], [6, 4]]");
  auto d = only_error(text, "outline = [[6, 0], [10, 4]");
  CHECK(d.key == "floorplan.room[1].outline");
  CHECK(d.message == "polygon crosses itself near (8.00, 2.00); list the corners in order along the outline");
}

TEST_CASE("floorplan config: a camera outside every room") {
  std::string text = replaced("position = [5, 6]", "position = [5, 7]");
  auto d = only_error(text, "position = [5, 7]");
  CHECK(d.key == "floorplan.camera[3].position");
  CHECK(d.message.find("stands outside every room") != std::string::npos);
}

TEST_CASE("floorplan config: a zone area outside the plan") {
  std::string text = plan_text() + "\n[[floorplan.zone]]\nzone = \"play\"\narea = [[0, 0], [7, 0], [7, -1], [0, -1]]\n";
  auto d = only_error(text, "area = [[0, 0], [7, 0]");
  CHECK(d.key == "floorplan.zone[0].area");
  CHECK(d.message == "7 m² of the zone's area lie outside every room; draw the area inside the rooms' outlines");
}

TEST_CASE("floorplan config: unknown camera, zone and room ids get a suggestion") {
  auto camera = only_error(replaced("camera = \"nap-2\"", "camera = \"nap-3\""), "camera = \"nap-3\"");
  CHECK(camera.message.find("unknown camera \"nap-3\"; did you mean `nap-") == 0);
  std::string zone_text = plan_text() + "\n[[floorplan.zone]]\nzone = \"naps\"\nrooms = [\"nap\"]\n";
  CHECK(only_error(zone_text, "zone = \"naps\"").message.find("unknown zone \"naps\"; did you mean `nap`?") == 0);
  std::string room_text = plan_text() + "\n[[floorplan.zone]]\nzone = \"nap\"\nrooms = [\"napp\"]\n";
  CHECK(only_error(room_text, "rooms = [\"napp\"]").message == "unknown room \"napp\"; did you mean `nap`?");
}

TEST_CASE("floorplan config: bad field of view, range and points") {
  CHECK(only_error(replaced("fov = 120", "fov = 360"), "fov = 360").message ==
        "must be between 1 and 359 degrees of horizontal field of view (got 360)");
  CHECK(only_error(replaced("range = 3", "range = 0"), "range = 0").message.find("must be more than 0") == 0);
  CHECK(only_error(replaced("points = [[6, 0], [6, 1.5]]", "points = [[6, 0], [6]]"), "points = [[6, 0], [6]]").message ==
        "must be a point [x, y] of two numbers in metres, e.g. [2.5, 0.4]");
  CHECK(only_error(replaced("[floorplan]", "[coverage]\nmin_area_percent = 101\n[floorplan]"), "min_area_percent").key ==
        "coverage.min_area_percent");
}
