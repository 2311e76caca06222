// floorplan: coverage in space (PRODUCT.md §5.3). From the [floorplan] of a configuration: what
// each camera sees (its field-of-view sector, cut off by every wall and piece of furniture
// between it and each point: a visibility polygon), and per zone which parts of its child
// area which cameras see and which parts no camera sees. Pure: no index, no clock, no I/O;
// the picture widths of the cameras (for the default range) are passed in.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/plan_geometry.hpp"

namespace carekeep::floorplan {

using config::geometry::MultiPolygon;
using config::geometry::Point;
using config::geometry::Polygon;
using Segment = config::geometry::bg::model::segment<Point>;

// The useful range when a camera's range is not configured: the distance at which its picture
// still has `pixels_per_metre` pixels per metre across: width / (2 * ppm * tan(fov / 2)), the
// field of view capped at 150 degrees (a fisheye's edges are no sharper than that).
double default_range_m(double fov_deg, int width_px, double pixels_per_metre);

// Everything on the plan that blocks sight: each wall polyline's segments, each piece of
// furniture's edges and the outline of the floor (the union of the rooms; so no camera sees
// out of a building and back in across a courtyard).
std::vector<Segment> blockers(const config::Floorplan& plan);

// What a camera at `origin` sees: the sector of `fov_deg` around `direction_deg` (degrees,
// counter-clockwise from +x) out to `range_m`, where each direction ends at the first blocker
// it meets. Computed by casting a ray at every blocker endpoint in the sector (and 1e-7 rad to
// either side of it, to see past a corner), at every crossing of two blockers and of a blocker
// with the range circle, and every degree along the arc; consecutive hits are joined by straight
// edges, which is exact along blockers and a chord (area error below 0.006 %) along the arc.
// A blocker through the origin itself (the wall a camera is mounted on) does not block it.
Polygon visibility(Point origin, double direction_deg, double fov_deg, double range_m,
                   std::span<const Segment> blockers);

struct CameraView {
  std::string camera_id;
  double range_m = 0;
  bool range_from_picture = false;  // range_m came from default_range_m
  int width_px = 0;                 // the width that rule used (0 when the range was configured)
  MultiPolygon visible;             // inside the floor; empty while the camera is down
  double visible_m2 = 0;
};

// A piece of a zone's child area and exactly the cameras of the zone that see it (none: the
// piece is uncovered).
struct Part {
  MultiPolygon area;
  double area_m2 = 0;
  std::vector<std::string> cameras;  // in the zone's camera order
};

struct ZoneCoverage {
  std::string zone_id;
  MultiPolygon child_area;            // the zone's area less furniture
  double area_m2 = 0;
  std::vector<std::string> cameras;   // the zone's cameras that are placed on the plan
  std::vector<std::string> unplaced;  // the zone's cameras with no [[floorplan.camera]]: they see nothing
  std::vector<Part> parts;            // together exactly the child area, disjoint

  // The share (0..100) of the child area that some camera for which `up` holds sees.
  double covered_percent(const std::function<bool(std::string_view camera_id)>& up) const;
  double covered_percent() const;  // every camera up
  double uncovered_m2() const;     // with every camera up
};

struct PlanCoverage {
  MultiPolygon floor;
  std::vector<CameraView> cameras;  // in [[floorplan.camera]] order
  std::vector<ZoneCoverage> zones;  // in [[zone]] order, the zones on the plan
  const ZoneCoverage* find_zone(std::string_view zone_id) const;
  const CameraView* find_camera(std::string_view camera_id) const;
};

// Picture widths by camera id, where known (the stream's, or the latest segment's).
using Widths = std::map<std::string, int, std::less<>>;

// The plan's coverage with the cameras in `up` working (nullptr: all of them). Precondition:
// config.floorplan is set (a config from config::parse has passed its checks).
PlanCoverage compute(const config::Config& config, const Widths& widths = {},
                     const std::set<std::string, std::less<>>* up = nullptr);

// What is wrong with a plan's coverage, for doctor and `carekeep zones --plan` (issue 18):
// "every child area belongs to a zone with at least one camera, and each zone's child area is
// seen". Kinds are stable (JSON, doctor's subjects).
struct Finding {
  enum class Kind {
    BelowMinimum,      // a zone's covered share < [coverage] min_area_percent - kAreaTolerancePercent
    ChildRoomNoZone,   // a room marked children = true that no zone's area reaches (all of it)
    ZoneNoCamera,      // a zone on the plan none of whose cameras is placed on it
  };
  Kind kind;
  std::string subject;  // the zone or room id
  double value = 0;     // BelowMinimum: the covered share; ChildRoomNoZone: m² in no zone
  std::string text;     // plain English, for doctor and the CLI
};
std::string_view to_string(Finding::Kind kind);

// The slack on min_area_percent: the covered share is exact to about 0.3 points at the arc's
// chords and Boost's overlay (docs/coverage.md "Floor plan"), so 99.6 % passes a 100 % minimum.
inline constexpr double kAreaTolerancePercent = 0.5;

// A zone's covered share under [coverage] min_area_percent, less the tolerance.
bool below_minimum(const config::Config& config, double covered_percent);

// Findings of `coverage` (computed with every camera up) against `config`'s plan and minimum.
std::vector<Finding> findings(const config::Config& config, const PlanCoverage& coverage);

// The polygons of a multipolygon smaller than this are slivers of floating-point overlay, not
// areas anyone could stand in; they are left out of parts and listings (1 cm²).
inline constexpr double kSliverM2 = 1e-4;

// The SVG picture of the plan (docs/coverage.md "Floor plan"): rooms, walls and furniture, each
// camera's visible area in its own semi-transparent colour with its position and direction,
// the uncovered child areas hatched, labels in `language` ("zh" or "en").
std::string svg(const config::Config& config, const PlanCoverage& coverage, std::string_view language);

}  // namespace carekeep::floorplan
