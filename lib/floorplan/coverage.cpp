#include <algorithm>
#include <cstdio>

#include "floorplan/floorplan.hpp"

namespace carekeep::floorplan {

namespace bg = config::geometry::bg;

namespace {

// Drops the slivers that overlay operations leave along shared edges.
MultiPolygon without_slivers(MultiPolygon shape) {
  shape.erase(std::remove_if(shape.begin(), shape.end(),
                             [](const Polygon& p) { return std::abs(bg::area(p)) < kSliverM2; }),
              shape.end());
  return shape;
}

template <typename A, typename B>
MultiPolygon intersection(const A& a, const B& b) {
  MultiPolygon out;
  bg::intersection(a, b, out);
  return out;
}

template <typename A, typename B>
MultiPolygon difference(const A& a, const B& b) {
  MultiPolygon out;
  bg::difference(a, b, out);
  return out;
}

}  // namespace

double ZoneCoverage::covered_percent(const std::function<bool(std::string_view)>& up) const {
  if (area_m2 <= 0) return 100.0;
  double covered = 0;
  for (const auto& part : parts) {
    if (std::any_of(part.cameras.begin(), part.cameras.end(), up)) covered += part.area_m2;
  }
  return std::clamp(100.0 * covered / area_m2, 0.0, 100.0);
}

double ZoneCoverage::covered_percent() const {
  return covered_percent([](std::string_view) { return true; });
}

double ZoneCoverage::uncovered_m2() const {
  double out = 0;
  for (const auto& part : parts)
    if (part.cameras.empty()) out += part.area_m2;
  return out;
}

const ZoneCoverage* PlanCoverage::find_zone(std::string_view zone_id) const {
  auto it = std::find_if(zones.begin(), zones.end(), [&](const ZoneCoverage& z) { return z.zone_id == zone_id; });
  return it == zones.end() ? nullptr : &*it;
}

const CameraView* PlanCoverage::find_camera(std::string_view camera_id) const {
  auto it = std::find_if(cameras.begin(), cameras.end(), [&](const CameraView& c) { return c.camera_id == camera_id; });
  return it == cameras.end() ? nullptr : &*it;
}

PlanCoverage compute(const config::Config& config, const Widths& widths, const std::set<std::string, std::less<>>* up) {
  const config::Floorplan& plan = *config.floorplan;
  PlanCoverage out;
  out.floor = config::geometry::floor_of(plan);
  const std::vector<Segment> walls = blockers(plan);

  for (const auto& placed : plan.cameras) {
    CameraView view;
    view.camera_id = placed.camera_id;
    if (placed.range_m) {
      view.range_m = *placed.range_m;
    } else {
      auto width = widths.find(placed.camera_id);
      view.width_px = width != widths.end() && width->second > 0 ? width->second : plan.default_width_px;
      view.range_m = default_range_m(placed.fov_deg, view.width_px, plan.pixels_per_metre);
      view.range_from_picture = true;
    }
    if (up == nullptr || up->count(placed.camera_id) != 0) {
      Polygon sees = visibility(config::geometry::to_point(placed.position), placed.direction_deg, placed.fov_deg,
                                view.range_m, walls);
      // The floor's outline is a blocker, so the polygon is inside the floor already; no
      // overlay with it (each overlay adds near-coincident vertices for the next one to trip on).
      view.visible = MultiPolygon{std::move(sees)};
      view.visible_m2 = bg::area(view.visible);
    }
    out.cameras.push_back(std::move(view));
  }

  for (const auto& zone : config.zones) {
    const config::PlanZone* drawn = plan.find_zone(zone.id);
    if (drawn == nullptr) continue;
    ZoneCoverage z;
    z.zone_id = zone.id;
    z.child_area = config::geometry::child_area(plan, *drawn);
    z.area_m2 = bg::area(z.child_area);
    // Split the area by each camera in turn: every part ends up tagged with exactly the
    // cameras that see it, so "camera X down" is a sum over the parts, not a new overlay.
    std::vector<Part> parts{Part{z.child_area, z.area_m2, {}}};
    for (const auto& camera_id : zone.cameras) {
      const CameraView* view = out.find_camera(camera_id);
      if (view == nullptr) {
        z.unplaced.push_back(camera_id);
        continue;
      }
      z.cameras.push_back(camera_id);
      if (view->visible.empty()) continue;
      std::vector<Part> next;
      for (auto& part : parts) {
        MultiPolygon seen = without_slivers(intersection(part.area, view->visible));
        if (seen.empty()) {
          next.push_back(std::move(part));
          continue;
        }
        MultiPolygon unseen = without_slivers(difference(part.area, view->visible));
        Part inside{seen, bg::area(seen), part.cameras};
        inside.cameras.push_back(camera_id);
        next.push_back(std::move(inside));
        if (!unseen.empty()) next.push_back(Part{unseen, bg::area(unseen), part.cameras});
      }
      parts = std::move(next);
    }
    z.parts = std::move(parts);
    out.zones.push_back(std::move(z));
  }
  return out;
}

std::string_view to_string(Finding::Kind kind) {
  switch (kind) {
    case Finding::Kind::BelowMinimum: return "below_min_area";
    case Finding::Kind::ChildRoomNoZone: return "child_room_without_zone";
    case Finding::Kind::ZoneNoCamera: return "zone_without_camera";
  }
  return "unknown";
}

bool below_minimum(const config::Config& config, double covered_percent) {
  return covered_percent < config.coverage.min_area_percent - kAreaTolerancePercent;
}

std::vector<Finding> findings(const config::Config& config, const PlanCoverage& coverage) {
  std::vector<Finding> out;
  if (!config.floorplan) return out;
  const config::Floorplan& plan = *config.floorplan;
  auto one_decimal = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", v);
    return std::string(text);
  };

  // Every child room wholly inside the union of the zones' areas (a centimetre sliver along a
  // wall is a drawing slip, as in the loader).
  MultiPolygon zoned;
  for (const auto& zone : plan.zones) {
    for (const auto& ring : zone.area) {
      MultiPolygon merged;
      bg::union_(zoned, config::geometry::to_polygon(ring), merged);
      zoned = std::move(merged);
    }
  }
  for (const auto& room : plan.rooms) {
    if (!room.children) continue;
    double outside = bg::area(without_slivers(difference(config::geometry::to_polygon(room.outline), zoned)));
    if (outside > 0.01) {
      out.push_back({Finding::Kind::ChildRoomNoZone, room.id, outside,
                     "room " + room.id + " (" + room.name + ") is marked for children, but " + one_decimal(outside) +
                         " m² of it belong to no zone; add it to a [[zone]] (floorplan.zone rooms or area) with a camera"});
    }
  }

  for (const auto& zone : coverage.zones) {
    if (zone.cameras.empty()) {
      out.push_back({Finding::Kind::ZoneNoCamera, zone.zone_id, 0,
                     "zone " + zone.zone_id + " has no camera on the plan" +
                         (zone.unplaced.empty() ? std::string("; add one to the zone and place it with [[floorplan.camera]]")
                                                : "; place its cameras with [[floorplan.camera]]")});
      continue;
    }
    double share = zone.covered_percent();
    if (below_minimum(config, share)) {
      out.push_back({Finding::Kind::BelowMinimum, zone.zone_id, share,
                     "zone " + zone.zone_id + ": cameras see " + one_decimal(share) + " % of its child area (" +
                         one_decimal(zone.uncovered_m2()) + " m² unseen), below min_area_percent " +
                         one_decimal(config.coverage.min_area_percent) +
                         "; turn or add a camera (carekeep zones --plan --svg shows where)"});
    }
  }
  return out;
}

}  // namespace carekeep::floorplan
