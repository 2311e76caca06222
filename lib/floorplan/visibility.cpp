#include <algorithm>
#include <cmath>
#include <numbers>

#include "floorplan/floorplan.hpp"

namespace carekeep::floorplan {

namespace bg = config::geometry::bg;

namespace {

constexpr double kRad = std::numbers::pi / 180.0;
constexpr double kArcStepRad = 1.0 * kRad;  // chord error: 1 - sin(x)/x = 5e-5 of the sector
constexpr double kPastCorner = 1e-7;        // rad: 1 µm at 10 m, enough to slip past a corner
constexpr double kOnOrigin = 1e-9;          // m: a hit this close is the wall the camera is on

struct Vec {
  double x, y;
};
Vec operator-(Vec a, Vec b) { return {a.x - b.x, a.y - b.y}; }
double cross(Vec a, Vec b) { return a.x * b.y - a.y * b.x; }
double dot(Vec a, Vec b) { return a.x * b.x + a.y * b.y; }
Vec vec(const Point& p) { return {p.x(), p.y()}; }

// Distance along the unit ray o + t*d to segment [a, b], or nullopt if the ray misses it.
// Parallel segments are missed: a wall seen exactly edge-on hides nothing behind it.
std::optional<double> hit(Vec o, Vec d, Vec a, Vec b) {
  Vec e = b - a;
  double denom = cross(d, e);
  if (std::abs(denom) < 1e-15) return std::nullopt;
  Vec ao = a - o;
  double t = cross(ao, e) / denom;
  double u = cross(ao, d) / denom;
  if (u < -1e-9 || u > 1 + 1e-9 || t <= kOnOrigin) return std::nullopt;
  return t;
}

// Angle of p seen from o, relative to `start`, in [0, 2π).
double relative_angle(Vec o, Vec p, double start) {
  double a = std::atan2(p.y - o.y, p.x - o.x) - start;
  a = std::fmod(a, 2 * std::numbers::pi);
  if (a < 0) a += 2 * std::numbers::pi;
  return a;
}

}  // namespace

double default_range_m(double fov_deg, int width_px, double pixels_per_metre) {
  double half = std::min(fov_deg, 150.0) / 2 * kRad;
  return static_cast<double>(width_px) / (2 * pixels_per_metre * std::tan(half));
}

std::vector<Segment> blockers(const config::Floorplan& plan) {
  std::vector<Segment> out;
  auto add_ring = [&](const auto& ring) {
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) out.push_back(Segment{ring[i], ring[i + 1]});
  };
  for (const auto& wall : plan.walls) {
    for (std::size_t i = 0; i + 1 < wall.points.size(); ++i)
      out.push_back(Segment{config::geometry::to_point(wall.points[i]), config::geometry::to_point(wall.points[i + 1])});
  }
  for (const auto& obstacle : plan.obstacles) add_ring(config::geometry::to_polygon(obstacle.outline).outer());
  for (const auto& polygon : config::geometry::floor_of(plan)) {
    add_ring(polygon.outer());
    for (const auto& inner : polygon.inners()) add_ring(inner);
  }
  return out;
}

Polygon visibility(Point origin_point, double direction_deg, double fov_deg, double range_m,
                   std::span<const Segment> blockers) {
  const Vec o = vec(origin_point);
  const double fov = fov_deg * kRad;
  const double start = direction_deg * kRad - fov / 2;
  const double r2 = range_m * range_m;

  std::vector<double> angles;  // relative to start, in [0, fov]
  auto add = [&](double rel) {
    if (rel >= 0 && rel <= fov) angles.push_back(rel);
  };
  auto add_corner = [&](Vec p) {
    Vec op = p - o;
    if (dot(op, op) > r2 || dot(op, op) < kOnOrigin * kOnOrigin) return;
    double rel = relative_angle(o, p, start);
    add(rel);
    add(rel - kPastCorner);
    add(rel + kPastCorner);
  };
  const int steps = std::max(1, static_cast<int>(std::ceil(fov / kArcStepRad)));
  for (int i = 0; i <= steps; ++i) angles.push_back(fov * i / steps);
  for (std::size_t i = 0; i < blockers.size(); ++i) {
    Vec a = vec(blockers[i].first);
    Vec b = vec(blockers[i].second);
    add_corner(a);
    add_corner(b);
    // Where the blocker crosses the range circle, the boundary turns from blocker to arc.
    Vec e = b - a;
    Vec f = a - o;
    double qa = dot(e, e), qb = 2 * dot(f, e), qc = dot(f, f) - r2;
    double disc = qb * qb - 4 * qa * qc;
    if (qa > 0 && disc >= 0) {
      for (double s : {(-qb - std::sqrt(disc)) / (2 * qa), (-qb + std::sqrt(disc)) / (2 * qa)}) {
        if (s >= 0 && s <= 1) add(relative_angle(o, {a.x + s * e.x, a.y + s * e.y}, start));
      }
    }
    // Where two blockers cross, the nearer one changes.
    for (std::size_t j = i + 1; j < blockers.size(); ++j) {
      Vec c = vec(blockers[j].first);
      Vec d = vec(blockers[j].second);
      Vec g = d - c;
      double denom = cross(e, g);
      if (std::abs(denom) < 1e-15) continue;
      double s = cross(c - a, g) / denom;
      double u = cross(c - a, e) / denom;
      if (s > 0 && s < 1 && u > 0 && u < 1) add_corner({a.x + s * e.x, a.y + s * e.y});
    }
  }
  std::sort(angles.begin(), angles.end());
  angles.erase(std::unique(angles.begin(), angles.end(), [](double x, double y) { return y - x < 1e-12; }),
               angles.end());

  Polygon polygon;
  auto& ring = polygon.outer();
  ring.reserve(angles.size() + 2);
  ring.push_back(origin_point);
  for (double rel : angles) {
    Vec d{std::cos(start + rel), std::sin(start + rel)};
    double t = range_m;
    for (const auto& s : blockers) {
      if (auto h = hit(o, d, vec(s.first), vec(s.second)); h && *h < t) t = *h;
    }
    Point p{o.x + t * d.x, o.y + t * d.y};
    const Point& last = ring.back();
    if (std::abs(p.x() - last.x()) + std::abs(p.y() - last.y()) > 1e-5) ring.push_back(p);
  }
  ring.push_back(origin_point);
  bg::correct(polygon);
  return polygon;
}

}  // namespace carekeep::floorplan
