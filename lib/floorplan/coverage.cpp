#include <algorithm>

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

}  // namespace carekeep::floorplan
