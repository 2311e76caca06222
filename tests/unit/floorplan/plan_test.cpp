// The three-room plan of tests/data/floorplan/three_rooms.toml, through the real loader: every
// area below is computed by hand (the formulas are in the comments) and must match within 0.5 %.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <numbers>

#include "config/load.hpp"
#include "floorplan/floorplan.hpp"

using namespace carekeep;
namespace bg = config::geometry::bg;

namespace {

std::string three_rooms_text() {
  std::ifstream in(std::string(CAREKEEP_SOURCE_DIR) + "/tests/data/floorplan/three_rooms.toml");
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

config::Config load(const std::string& text) {
  auto outcome = config::parse(text, "three_rooms.toml");
  std::string diagnostics;
  for (const auto& d : outcome.diagnostics) diagnostics += config::format(d) + "\n";
  INFO(diagnostics);
  REQUIRE(outcome.ok());
  return *outcome.config;
}

// `text` with the first `from` replaced by `to`.
std::string with(std::string text, std::string_view from, std::string_view to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

double room_area_seen(const floorplan::PlanCoverage& coverage, const config::Config& config, std::string_view camera,
                      std::string_view room) {
  const auto* view = coverage.find_camera(camera);
  REQUIRE(view != nullptr);
  floorplan::MultiPolygon inside;
  bg::intersection(view->visible, config::geometry::to_polygon(config.floorplan->find_room(room)->outline), inside);
  return bg::area(inside);
}

void within_half_percent(double got, double expected) {
  INFO("got " << got << ", expected " << expected);
  CHECK(std::abs(got - expected) <= 0.005 * expected);
}

// ∫_a^b sqrt(r² - y²) dy: the area under a circle's arc.
double under_arc(double r, double a, double b) {
  auto f = [r](double y) { return y / 2 * std::sqrt(r * r - y * y) + r * r / 2 * std::asin(y / r); };
  return f(b) - f(a);
}

}  // namespace

TEST_CASE("floorplan three rooms: covered and uncovered areas equal the hand-computed ones") {
  config::Config config = load(three_rooms_text());
  auto coverage = floorplan::compute(config);

  // play: 6 x 4 less the 2 x 1 cupboard = 22 m². play-1 in the corner, range 5, looking along
  // the diagonal with 90°: the quarter disk below y = 4: ∫_0^4 sqrt(25 - y²) dy. The cupboard
  // lies wholly beyond 5 m ((4, 3) is at exactly 5 m), so it hides nothing more.
  const auto* play = coverage.find_zone("play");
  REQUIRE(play != nullptr);
  within_half_percent(play->area_m2, 22.0);
  const double play_seen = under_arc(5, 0, 4);  // 17.591
  within_half_percent(play->area_m2 - play->uncovered_m2(), play_seen);
  within_half_percent(play->uncovered_m2(), 22.0 - play_seen);
  within_half_percent(play->covered_percent(), 100 * play_seen / 22.0);

  // nap: 4 x 4 = 16 m². nap-1 in the far corner, range 5: the square less its corner beyond
  // 5 m: 4·3 + ∫_3^4 sqrt(25 - x²) dx. nap-2 (range 3 from (6, 0)) sees a quarter disk of
  // 9π/4, all of it also seen by nap-1 (its farthest point from nap-1, (6, 3), is at 5 m).
  const auto* nap = coverage.find_zone("nap");
  REQUIRE(nap != nullptr);
  const double nap1 = 12 + under_arc(5, 3, 4);  // 15.547
  const double nap2 = 9 * std::numbers::pi / 4;  // 7.069
  within_half_percent(nap->area_m2, 16.0);
  within_half_percent(nap->uncovered_m2(), 16.0 - nap1);
  within_half_percent(nap->covered_percent(), 100 * nap1 / 16);
  // Camera nap-1 down: only nap-2's quarter disk is left; nap-2 down changes nothing.
  within_half_percent(nap->covered_percent([](std::string_view id) { return id != "nap-1"; }), 100 * nap2 / 16);
  within_half_percent(nap->covered_percent([](std::string_view id) { return id != "nap-2"; }), 100 * nap1 / 16);
  // The parts say who sees what: seen by both = nap-2's disk, by nap-1 alone = the rest.
  double both = 0, only_nap1 = 0, only_nap2 = 0;
  for (const auto& part : nap->parts) {
    if (part.cameras == std::vector<std::string>{"nap-1", "nap-2"}) both += part.area_m2;
    if (part.cameras == std::vector<std::string>{"nap-1"}) only_nap1 += part.area_m2;
    if (part.cameras == std::vector<std::string>{"nap-2"}) only_nap2 += part.area_m2;
  }
  within_half_percent(both, nap2);
  within_half_percent(only_nap1, nap1 - nap2);
  CHECK(only_nap2 < floorplan::kSliverM2 * 10);

  // The same through compute()'s own "up" set: the down camera sees nothing.
  std::set<std::string, std::less<>> up{"nap-2", "play-1", "hall-1"};
  auto without_nap1 = floorplan::compute(config, {}, &up);
  within_half_percent(without_nap1.find_zone("nap")->covered_percent(), 100 * nap2 / 16);
  CHECK(without_nap1.find_camera("nap-1")->visible.empty());
}

TEST_CASE("floorplan three rooms: a camera behind a wall sees nothing of the next room") {
  config::Config config = load(three_rooms_text());
  auto coverage = floorplan::compute(config);
  // hall-1 at (5, 6) looks south with 120° over the solid wall at y = 4: it sees the triangle
  // down to the wall, 2 m deep and 2·2·tan 60° wide, and not a square centimetre of play or nap.
  CHECK(room_area_seen(coverage, config, "hall-1", "play") < 1e-6);
  CHECK(room_area_seen(coverage, config, "hall-1", "nap") < 1e-6);
  within_half_percent(coverage.find_camera("hall-1")->visible_m2, 0.5 * (4 * std::tan(std::numbers::pi / 3)) * 2);
  // Without that wall the same camera would see into both rooms (the wall is what blocks).
  config::Config open = load(with(three_rooms_text(), "points = [[0, 4], [10, 4]]", "points = [[0, 4.5], [0.1, 4.5]]"));
  auto open_coverage = floorplan::compute(open);
  CHECK(room_area_seen(open_coverage, open, "hall-1", "play") > 1.0);
}

TEST_CASE("floorplan three rooms: a doorway lets a camera see a wedge of the next room") {
  config::Config config = load(three_rooms_text());
  auto coverage = floorplan::compute(config);
  // nap-1 at (10, 0), range 5, through the doorway x = 6, y 1.5..2.5: the sector between the
  // rays to the door posts less the triangle up to the door: r²/2·Δθ - 4·1/2.
  double wedge = 12.5 * (std::atan2(2.5, 4) - std::atan2(1.5, 4)) - 2;  // 0.498 m²
  within_half_percent(room_area_seen(coverage, config, "nap-1", "play"), wedge);

  // A longer range through the same door: play-1 moved to (0, 2), looking east with 60°, 10 m:
  // 10²/2·2·atan(0.5/6) less the triangle (0, 2), (6, 1.5), (6, 2.5) = 5.314 m² of nap.
  std::string text = with(three_rooms_text(), "position = [0, 0]\ndirection = 45\nfov = 90\nrange = 5",
                          "position = [0, 2]\ndirection = 0\nfov = 60\nrange = 10");
  config::Config moved = load(text);
  auto moved_coverage = floorplan::compute(moved);
  double long_wedge = 50 * 2 * std::atan2(0.5, 6) - 3;
  within_half_percent(room_area_seen(moved_coverage, moved, "play-1", "nap"), long_wedge);
  // Closing the doorway closes the wedge.
  config::Config closed = load(with(text, "points = [[6, 0], [6, 1.5]]", "points = [[6, 0], [6, 2.5]]"));
  CHECK(room_area_seen(floorplan::compute(closed), closed, "play-1", "nap") < 1e-6);
}

TEST_CASE("floorplan default range follows the picture width and the field of view") {
  // 1920 px at 90°: 1920 / (2·125·tan 45°) = 7.68 m; twice the pixels, twice the range; a
  // narrower lens sees farther; a fisheye is capped at 150° in the formula.
  CHECK(floorplan::default_range_m(90, 1920, 125) == Approx(7.68));
  CHECK(floorplan::default_range_m(90, 3840, 125) == Approx(15.36));
  CHECK(floorplan::default_range_m(60, 1920, 125) == Approx(1920 / (250 * std::tan(std::numbers::pi / 6))));
  CHECK(floorplan::default_range_m(300, 1920, 125) == Approx(floorplan::default_range_m(150, 1920, 125)));

  config::Config config = load(with(three_rooms_text(), "fov = 90\nrange = 5", "fov = 90"));
  auto defaulted = floorplan::compute(config);
  const auto* view = defaulted.find_camera("play-1");
  CHECK(view->range_from_picture);
  CHECK(view->width_px == 1920);
  CHECK(view->range_m == Approx(7.68));
  auto measured = floorplan::compute(config, floorplan::Widths{{"play-1", 640}});
  CHECK(measured.find_camera("play-1")->range_m == Approx(2.56));
  CHECK(measured.find_zone("play")->covered_percent() < defaulted.find_zone("play")->covered_percent());
}

TEST_CASE("floorplan svg of the three-room plan is well-formed XML with every camera and the hatching") {
  config::Config config = load(three_rooms_text());
  auto coverage = floorplan::compute(config);
  std::string picture = floorplan::svg(config, coverage, "zh");
  CHECK(picture.find("url(#uncovered)") != std::string::npos);  // play and nap have uncovered parts
  for (const char* name : {"活动室", "午睡室 1", "午睡室 2", "走廊"}) CHECK(picture.find(name) != std::string::npos);
  CHECK(picture.find("无摄像头覆盖") != std::string::npos);
  // A real XML parser (libxml2's xmllint) must accept it.
  std::string path = std::string(CAREKEEP_BINARY_DIR) + "/floorplan_three_rooms.svg";
  {
    std::ofstream out(path);
    out << picture;
  }
  CHECK(std::system(("xmllint --noout " + path).c_str()) == 0);
}
