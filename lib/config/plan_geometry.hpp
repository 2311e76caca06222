// config/plan_geometry: the floor plan's values (config.hpp, Floorplan) as Boost.Geometry
// shapes. The one place that turns a PlanRing into a polygon, shared by the loader (which
// checks the plan with it) and lib/floorplan (which computes fields of view with it).
#pragma once

#include <string>
#include <optional>

// Boost 1.74's geometry headers include a deprecated Boost header that prints a note in every
// translation unit; the replacement is Boost's business, not ours.
#ifndef BOOST_ALLOW_DEPRECATED_HEADERS
#define BOOST_ALLOW_DEPRECATED_HEADERS
#endif
// GCC 12 reports a box in Boost's envelope code as maybe uninitialized after inlining (a known
// false positive of -Wmaybe-uninitialized in Boost.Geometry 1.74 overlays).
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)  // clang (the fuzz build) has no such warning
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/segment.hpp>
#pragma GCC diagnostic pop

#include "config/config.hpp"
#include "config/plan_checks.hpp"

namespace carekeep::config::geometry {

namespace bg = boost::geometry;
using Point = bg::model::d2::point_xy<double>;
using Polygon = bg::model::polygon<Point>;  // clockwise, closed (Boost's defaults)
using MultiPolygon = bg::model::multi_polygon<Polygon>;

Point to_point(PlanPoint p);
PlanPoint to_plan_point(const Point& p);

// The ring closed and oriented the way Boost expects. Not checked: see problem().
Polygon to_polygon(const PlanRing& ring);

// The union of the rooms' outlines: the plan's floor.
MultiPolygon floor_of(const Floorplan& plan);

// A zone's child area: the union of its rings (PlanZone::area), less the furniture footprints.
MultiPolygon child_area(const Floorplan& plan, const PlanZone& zone);

}  // namespace carekeep::config::geometry
