#include <cmath>
#include <cstdio>
#include <string>

#include "base/text.hpp"
#include "floorplan/floorplan.hpp"

namespace carekeep::floorplan {

namespace {

namespace bg = config::geometry::bg;

constexpr double kScale = 60;   // px per metre
constexpr double kMargin = 40;  // px around the plan
// Distinct hues for up to ten cameras, then repeated; semi-transparent so overlaps show.
constexpr const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string escape(std::string_view text) {
  std::string out;
  text::append_xml_escaped(out, text);
  return out;
}

struct Frame {
  double min_x, max_y;
  double x(double v) const { return kMargin + (v - min_x) * kScale; }
  double y(double v) const { return kMargin + (max_y - v) * kScale; }  // SVG's y grows downwards
};

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

template <typename Ring>
std::string ring_path(const Ring& ring, const Frame& f) {
  std::string d;
  for (std::size_t i = 0; i < ring.size(); ++i) d += (i == 0 ? "M" : "L") + number(f.x(ring[i].x())) + "," + number(f.y(ring[i].y())) + " ";
  return d + "Z ";
}

std::string shape_path(const MultiPolygon& shape, const Frame& f) {
  std::string d;
  for (const auto& polygon : shape) {
    d += ring_path(polygon.outer(), f);
    for (const auto& inner : polygon.inners()) d += ring_path(inner, f);
  }
  return d;
}

}  // namespace

std::string svg(const config::Config& config, const PlanCoverage& coverage, std::string_view language) {
  const bool zh = language == "zh";
  bg::model::box<Point> box;
  bg::envelope(coverage.floor, box);
  Frame f{box.min_corner().x(), box.max_corner().y()};
  double width = (box.max_corner().x() - box.min_corner().x()) * kScale + 2 * kMargin + 60;  // room for a label
  double height = (box.max_corner().y() - box.min_corner().y()) * kScale + 2 * kMargin + 24;
  const config::Floorplan& plan = *config.floorplan;

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    number(width) + "\" height=\"" + number(height) + "\" viewBox=\"0 0 " + number(width) + " " +
                    number(height) + "\" font-family=\"sans-serif\" font-size=\"13\">\n";
  out += "<defs><pattern id=\"uncovered\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#fff0f0\"/><line x1=\"0\" y1=\"0\" "
         "x2=\"0\" y2=\"8\" stroke=\"#d00\" stroke-width=\"3\"/></pattern></defs>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (const auto& room : plan.rooms) {
    out += "<path d=\"" + ring_path(config::geometry::to_polygon(room.outline).outer(), f) + "\" fill=\"" +
           (room.children ? "#fbfaf3" : "#f0f0f0") + "\" stroke=\"#999\" stroke-width=\"1\"/>\n";
  }
  for (const auto& zone : coverage.zones) {
    // Only child areas are hatched: a zone drawn as rooms none of which is for children (a
    // hall) is shown but not marked as a gap.
    const config::PlanZone* drawn = plan.find_zone(zone.zone_id);
    bool child = drawn == nullptr || drawn->rooms.empty();
    for (const auto& id : drawn != nullptr ? drawn->rooms : std::vector<std::string>{}) {
      const config::PlanRoom* room = plan.find_room(id);
      child = child || (room != nullptr && room->children);
    }
    if (!child) continue;
    for (const auto& part : zone.parts) {
      if (!part.cameras.empty() || part.area_m2 < kSliverM2) continue;
      out += "<path d=\"" + shape_path(part.area, f) + "\" fill=\"url(#uncovered)\" fill-opacity=\"0.8\"/>\n";
    }
  }
  for (std::size_t i = 0; i < coverage.cameras.size(); ++i) {
    const CameraView& view = coverage.cameras[i];
    const char* colour = kColours[i % std::size(kColours)];
    out += "<path d=\"" + shape_path(view.visible, f) + "\" fill=\"" + colour + "\" fill-opacity=\"0.25\" stroke=\"" +
           colour + "\" stroke-opacity=\"0.6\" stroke-width=\"1\"><title>" + escape(view.camera_id) + "</title></path>\n";
  }
  for (const auto& obstacle : plan.obstacles) {
    out += "<path d=\"" + ring_path(config::geometry::to_polygon(obstacle.outline).outer(), f) +
           "\" fill=\"#8a7560\" stroke=\"#5a4530\"><title>" + escape(obstacle.name) + "</title></path>\n";
  }
  for (const auto& wall : plan.walls) {
    std::string d;
    for (std::size_t i = 0; i < wall.points.size(); ++i)
      d += (i == 0 ? "M" : "L") + number(f.x(wall.points[i].x)) + "," + number(f.y(wall.points[i].y)) + " ";
    out += "<path d=\"" + d + "\" fill=\"none\" stroke=\"#222\" stroke-width=\"5\" stroke-linecap=\"round\"/>\n";
  }
  for (const auto& polygon : coverage.floor)
    out += "<path d=\"" + ring_path(polygon.outer(), f) + "\" fill=\"none\" stroke=\"#222\" stroke-width=\"5\"/>\n";
  for (const auto& room : plan.rooms) {
    Point centre;
    bg::centroid(config::geometry::to_polygon(room.outline), centre);
    std::string label = escape(room.name);
    if (const ZoneCoverage* zone = coverage.find_zone(room.id)) {
      label += " " + number(zone->covered_percent()).substr(0, number(zone->covered_percent()).size() - 1) + "%";
    }
    out += "<text x=\"" + number(f.x(centre.x())) + "\" y=\"" + number(f.y(centre.y())) +
           "\" text-anchor=\"middle\" fill=\"#333\">" + label + "</text>\n";
  }
  for (std::size_t i = 0; i < plan.cameras.size(); ++i) {
    const config::PlanCamera& camera = plan.cameras[i];
    const char* colour = kColours[i % std::size(kColours)];
    double a = camera.direction_deg * 3.14159265358979 / 180;
    double x = f.x(camera.position.x), y = f.y(camera.position.y);
    out += "<circle cx=\"" + number(x) + "\" cy=\"" + number(y) + "\" r=\"6\" fill=\"" + colour + "\" stroke=\"#000\"/>\n";
    out += "<line x1=\"" + number(x) + "\" y1=\"" + number(y) + "\" x2=\"" + number(x + 22 * std::cos(a)) + "\" y2=\"" +
           number(y - 22 * std::sin(a)) + "\" stroke=\"" + colour + "\" stroke-width=\"3\"/>\n";
    const config::Camera* configured = config.find_camera(camera.camera_id);
    std::string name = configured != nullptr ? configured->name : camera.camera_id;
    out += "<text x=\"" + number(x + 9) + "\" y=\"" + number(y - 9) + "\" fill=\"" + colour + "\" font-weight=\"bold\">" +
           escape(name) + "</text>\n";
  }
  std::string legend = zh ? "彩色：各摄像头可见范围；红色斜线：无摄像头覆盖的儿童区域"
                          : "colour: what each camera sees; red hatching: child area no camera sees";
  out += "<text x=\"" + number(kMargin) + "\" y=\"" + number(height - 10) + "\" fill=\"#333\">" + escape(legend) + "</text>\n";
  out += "</svg>\n";
  return out;
}

}  // namespace carekeep::floorplan
