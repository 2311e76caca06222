// config/plan_checks: the questions the loader asks about a floor plan, without Boost.Geometry
// in its translation unit (the geometry headers cost a plain includer ~20 s of compile time).
// Answered by plan_geometry.cpp with the same shapes lib/floorplan uses.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace carekeep::config::geometry {

// Why a ring is no usable polygon, in the loader's words ("crosses itself near (2, 2)", "has
// no area"), or nullopt when it is a simple polygon with an area.
std::optional<std::string> problem(const PlanRing& ring);

// The union of the plan's room outlines, asked whether it holds a point or a ring.
class FloorCheck {
 public:
  explicit FloorCheck(const Floorplan& plan);
  ~FloorCheck();
  FloorCheck(FloorCheck&&) noexcept;
  FloorCheck& operator=(FloorCheck&&) noexcept;

  bool empty() const;
  // Inside a room or on its outline.
  bool covers(PlanPoint p) const;
  // The area (m²) of the ring that lies outside every room.
  double area_outside(const PlanRing& ring) const;

 private:
  struct Shape;
  std::unique_ptr<Shape> shape_;
};

}  // namespace carekeep::config::geometry
