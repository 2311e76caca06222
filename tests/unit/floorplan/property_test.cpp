// Random plans against an independent reference: stratified point sampling with its own
// point-in-rectangle, angle and segment-crossing tests (no Boost, no visibility polygon). A
// point counts as seen when it is within a camera's range and field of view and the straight
// line from the camera to it crosses no wall, furniture edge or outer wall.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <random>
#include <sstream>

#include "config/load.hpp"
#include "floorplan/floorplan.hpp"

using namespace carekeep;

namespace {

struct V {
  double x, y;
};
struct Seg {
  V a, b;
};
struct Rect {
  double x0, y0, x1, y1;
  bool contains(V p) const { return p.x > x0 && p.x < x1 && p.y > y0 && p.y < y1; }
};
struct Cam {
  std::string id;
  V at;
  double direction, fov, range;
};
struct RandomPlan {
  double width, height;
  std::vector<Seg> walls;
  std::optional<Rect> cupboard;
  std::vector<Cam> cameras;
};

double orient(V a, V b, V c) { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); }

// Whether the open segments (p, q) and (a, b) cross (touching at an end point does not count).
bool crosses(V p, V q, V a, V b) {
  double d1 = orient(p, q, a), d2 = orient(p, q, b), d3 = orient(a, b, p), d4 = orient(a, b, q);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

bool sees(const Cam& cam, V q, const std::vector<Seg>& blockers) {
  double dx = q.x - cam.at.x, dy = q.y - cam.at.y;
  if (dx * dx + dy * dy > cam.range * cam.range) return false;
  double off = std::atan2(dy, dx) * 180 / std::numbers::pi - cam.direction;
  off = std::fmod(off + 540.0, 360.0) - 180.0;  // -180..180
  if (std::abs(off) > cam.fov / 2) return false;
  for (const auto& s : blockers)
    if (crosses(cam.at, q, s.a, s.b)) return false;
  return true;
}

std::string toml(const RandomPlan& plan) {
  std::ostringstream out;
  out.precision(17);
  out << "[site]\nname = \"p\"\ntimezone = \"UTC\"\nstorage = \"/s\"\ndatabase = \"/d.db\"\n[care_hours]\nmonday = "
         "[\"08:00-18:00\"]\n";
  for (const auto& c : plan.cameras) out << "[[camera]]\nid = \"" << c.id << "\"\nurl = \"rtsp://127.0.0.1/" << c.id << "\"\n";
  out << "[[zone]]\nid = \"room\"\ncameras = [";
  for (std::size_t i = 0; i < plan.cameras.size(); ++i) out << (i ? ", " : "") << '"' << plan.cameras[i].id << '"';
  out << "]\n[floorplan]\n[[floorplan.room]]\nid = \"room\"\nchildren = true\noutline = [[0, 0], [" << plan.width
      << ", 0], [" << plan.width << ", " << plan.height << "], [0, " << plan.height << "]]\n";
  for (const auto& w : plan.walls)
    out << "[[floorplan.wall]]\npoints = [[" << w.a.x << ", " << w.a.y << "], [" << w.b.x << ", " << w.b.y << "]]\n";
  if (plan.cupboard) {
    const Rect& r = *plan.cupboard;
    out << "[[floorplan.furniture]]\noutline = [[" << r.x0 << ", " << r.y0 << "], [" << r.x1 << ", " << r.y0 << "], ["
        << r.x1 << ", " << r.y1 << "], [" << r.x0 << ", " << r.y1 << "]]\n";
  }
  for (const auto& c : plan.cameras) {
    out << "[[floorplan.camera]]\ncamera = \"" << c.id << "\"\nposition = [" << c.at.x << ", " << c.at.y
        << "]\ndirection = " << c.direction << "\nfov = " << c.fov << "\nrange = " << c.range << "\n";
  }
  return out.str();
}

RandomPlan random_plan(std::mt19937_64& rng) {
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto count = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  RandomPlan plan;
  plan.width = uniform(4, 12);
  plan.height = uniform(3, 8);
  // Partition walls with a doorway (two segments), and free-standing walls at any angle that
  // may cross them.
  for (int i = count(0, 2); i > 0; --i) {
    double x = uniform(1, plan.width - 1);
    double door = uniform(0.3, plan.height - 1.2);
    plan.walls.push_back({{x, 0}, {x, door}});
    plan.walls.push_back({{x, door + uniform(0.7, 1.1)}, {x, plan.height}});
  }
  for (int i = count(0, 2); i > 0; --i) {
    plan.walls.push_back({{uniform(0.2, plan.width - 0.2), uniform(0.2, plan.height - 0.2)},
                          {uniform(0.2, plan.width - 0.2), uniform(0.2, plan.height - 0.2)}});
  }
  if (count(0, 1) == 1) {
    double x = uniform(0.5, plan.width - 2), y = uniform(0.5, plan.height - 1.5);
    plan.cupboard = Rect{x, y, x + uniform(0.4, 1.5), y + uniform(0.4, 1.0)};
  }
  for (int i = count(1, 3); i > 0; --i) {
    Cam cam{"cam-" + std::to_string(plan.cameras.size()), {uniform(0.05, plan.width - 0.05), uniform(0.05, plan.height - 0.05)},
            uniform(0, 360), uniform(20, 300), uniform(2, 15)};
    plan.cameras.push_back(cam);
  }
  return plan;
}

}  // namespace

TEST_CASE("floorplan coverage matches a grid-sampling reference over random plans") {
  constexpr int kCases = 300;
  constexpr int kGrid = 120;  // 14 400 stratified samples per plan
  std::mt19937_64 rng(20261207);
  double worst = 0;
  for (int n = 0; n < kCases; ++n) {
    RandomPlan plan = random_plan(rng);
    std::string text = toml(plan);
    auto outcome = config::parse(text, "random.toml");
    std::string diagnostics;
    for (const auto& d : outcome.diagnostics) diagnostics += config::format(d) + "\n";
    INFO("case " << n << "\n" << text << diagnostics);
    REQUIRE(outcome.ok());

    // A random set of cameras up, so the parts' camera lists are checked too.
    std::set<std::string, std::less<>> up;
    for (const auto& c : plan.cameras)
      if (std::uniform_int_distribution<int>(0, 3)(rng) > 0) up.insert(c.id);
    auto coverage = floorplan::compute(*outcome.config);
    const auto* zone = coverage.find_zone("room");
    REQUIRE(zone != nullptr);
    double all_up = zone->covered_percent();
    double some_up = zone->covered_percent([&](std::string_view id) { return up.count(id) != 0; });

    std::vector<Seg> blockers = plan.walls;
    const V corners[4] = {{0, 0}, {plan.width, 0}, {plan.width, plan.height}, {0, plan.height}};
    for (int i = 0; i < 4; ++i) blockers.push_back({corners[i], corners[(i + 1) % 4]});
    if (plan.cupboard) {
      const Rect& r = *plan.cupboard;
      const V c[4] = {{r.x0, r.y0}, {r.x1, r.y0}, {r.x1, r.y1}, {r.x0, r.y1}};
      for (int i = 0; i < 4; ++i) blockers.push_back({c[i], c[(i + 1) % 4]});
    }
    std::uniform_real_distribution<double> jitter(0, 1);
    long child = 0, seen_all = 0, seen_some = 0;
    for (int i = 0; i < kGrid; ++i) {
      for (int j = 0; j < kGrid; ++j) {
        V q{(i + jitter(rng)) * plan.width / kGrid, (j + jitter(rng)) * plan.height / kGrid};
        if (plan.cupboard && plan.cupboard->contains(q)) continue;
        ++child;
        bool any = false, any_up = false;
        for (const auto& cam : plan.cameras) {
          if (!sees(cam, q, blockers)) continue;
          any = true;
          any_up = any_up || up.count(cam.id) != 0;
        }
        seen_all += any;
        seen_some += any_up;
      }
    }
    double reference_all = 100.0 * static_cast<double>(seen_all) / static_cast<double>(child);
    double reference_some = 100.0 * static_cast<double>(seen_some) / static_cast<double>(child);
    INFO("computed " << all_up << " % / " << some_up << " %, reference " << reference_all << " % / " << reference_some
                     << " %");
    // Sampling error: a few hundred samples on boundaries, each off by at most one: < 0.1 %
    // of the area at 3 sigma; 0.5 points leaves room for that and nothing else.
    CHECK(std::abs(all_up - reference_all) <= 0.5);
    CHECK(std::abs(some_up - reference_some) <= 0.5);
    worst = std::max({worst, std::abs(all_up - reference_all), std::abs(some_up - reference_some)});
  }
  WARN("largest difference to the reference over " << kCases << " plans: " << worst << " percentage points");
}
