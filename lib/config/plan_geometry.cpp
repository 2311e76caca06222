#include "config/plan_geometry.hpp"

#include <cmath>
#include <cstdio>

namespace carekeep::config::geometry {

Point to_point(PlanPoint p) { return Point{p.x, p.y}; }
PlanPoint to_plan_point(const Point& p) { return PlanPoint{p.x(), p.y()}; }

Polygon to_polygon(const PlanRing& ring) {
  Polygon polygon;
  for (const auto& p : ring) polygon.outer().push_back(to_point(p));
  if (!ring.empty()) polygon.outer().push_back(to_point(ring.front()));
  bg::correct(polygon);
  return polygon;
}

namespace {

// Where two edges of the ring that are not neighbours meet (or neighbours overlap), if anywhere.
std::optional<Point> first_crossing(const PlanRing& ring) {
  using Segment = bg::model::segment<Point>;
  const std::size_t n = ring.size();
  auto edge = [&](std::size_t i) { return Segment{to_point(ring[i]), to_point(ring[(i + 1) % n])}; };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      bool neighbours = j == i + 1 || (i == 0 && j == n - 1);
      std::vector<Point> points;
      bg::intersection(edge(i), edge(j), points);
      // Neighbours share one corner; more than that (they overlap) is a crossing too.
      if (points.size() > (neighbours ? 1u : 0u)) return points.back();
    }
  }
  return std::nullopt;
}

std::string format_point(const Point& p) {
  char text[64];
  std::snprintf(text, sizeof text, "(%.2f, %.2f)", p.x(), p.y());
  return text;
}

}  // namespace

std::optional<std::string> problem(const PlanRing& ring) {
  if (ring.size() < 3) return "needs at least 3 corners [x, y] (got " + std::to_string(ring.size()) + ")";
  for (const auto& p : ring) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return std::string("has a coordinate that is not a finite number");
  }
  for (std::size_t i = 0; i < ring.size(); ++i) {
    if (ring[i] == ring[(i + 1) % ring.size()])
      return "repeats the corner " + format_point(to_point(ring[i])) + "; list each corner once";
  }
  bool on_one_line = true;
  for (std::size_t i = 2; i < ring.size() && on_one_line; ++i) {
    double cross = (ring[1].x - ring[0].x) * (ring[i].y - ring[0].y) - (ring[1].y - ring[0].y) * (ring[i].x - ring[0].x);
    on_one_line = std::abs(cross) <= 1e-12;
  }
  if (on_one_line) return std::string("has no area: its corners lie on one line");
  if (auto crossing = first_crossing(ring)) {
    return "crosses itself near " + format_point(*crossing) + "; list the corners in order along the outline";
  }
  Polygon polygon = to_polygon(ring);
  if (std::abs(bg::area(polygon)) <= 1e-9) return std::string("has no area: its corners lie on one line");
  std::string message;
  if (bg::is_valid(polygon, message)) return std::nullopt;
  return "is not a simple polygon (" + message + "); list each corner once, in order along the outline";
}

MultiPolygon floor_of(const Floorplan& plan) {
  MultiPolygon floor;
  for (const auto& room : plan.rooms) {
    MultiPolygon merged;
    bg::union_(floor, to_polygon(room.outline), merged);
    floor = std::move(merged);
  }
  return floor;
}

MultiPolygon child_area(const Floorplan& plan, const PlanZone& zone) {
  MultiPolygon area;
  for (const auto& ring : zone.area) {
    MultiPolygon merged;
    bg::union_(area, to_polygon(ring), merged);
    area = std::move(merged);
  }
  for (const auto& obstacle : plan.obstacles) {
    MultiPolygon rest;
    bg::difference(area, to_polygon(obstacle.outline), rest);
    area = std::move(rest);
  }
  return area;
}

struct FloorCheck::Shape {
  MultiPolygon floor;
};

FloorCheck::FloorCheck(const Floorplan& plan) : shape_(std::make_unique<Shape>(Shape{floor_of(plan)})) {}
FloorCheck::~FloorCheck() = default;
FloorCheck::FloorCheck(FloorCheck&&) noexcept = default;
FloorCheck& FloorCheck::operator=(FloorCheck&&) noexcept = default;

bool FloorCheck::empty() const { return shape_->floor.empty(); }

bool FloorCheck::covers(PlanPoint p) const { return bg::covered_by(to_point(p), shape_->floor); }

double FloorCheck::area_outside(const PlanRing& ring) const {
  MultiPolygon outside;
  bg::difference(to_polygon(ring), shape_->floor, outside);
  return bg::area(outside);
}

}  // namespace carekeep::config::geometry
