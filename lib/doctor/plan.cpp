#include <cstdio>

#include "doctor/doctor.hpp"
#include "floorplan/floorplan.hpp"

namespace carekeep::doctor {

std::vector<Check> check_floorplan(const config::Config& config, const std::map<std::string, int, std::less<>>& widths) {
  if (!config.floorplan) return {Check{"floorplan", "", Verdict::Skip, "no [floorplan] in the configuration", ""}};
  floorplan::PlanCoverage coverage = floorplan::compute(config, widths);
  std::vector<Check> out;
  for (const auto& f : floorplan::findings(config, coverage)) {
    Check c{"floorplan", f.subject, Verdict::Fail, f.text, ""};
    switch (f.kind) {
      case floorplan::Finding::Kind::BelowMinimum:
        c.advice = "see what no camera sees with carekeep zones --plan --svg plan.svg; turn, move or add a camera, "
                   "then update its [[floorplan.camera]]";
        break;
      case floorplan::Finding::Kind::ChildRoomNoZone:
        c.advice = "the regulation asks that every area where children live and play be covered: give the room a "
                   "[[zone]] with a camera";
        break;
      case floorplan::Finding::Kind::ZoneNoCamera:
        c.advice = "list the zone's cameras in [[zone]] cameras and place each with [[floorplan.camera]]";
        break;
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) {
    std::string shares;
    for (const auto& z : coverage.zones) {
      char text[64];
      std::snprintf(text, sizeof text, "%.1f%%", z.covered_percent());
      shares += (shares.empty() ? "" : ", ") + z.zone_id + " " + text;
    }
    out.push_back(Check{"floorplan", "", Verdict::Pass,
                        "every child room is in a zone; seen share of each zone's child area: " +
                            (shares.empty() ? std::string("no zone on the plan") : shares),
                        ""});
  }
  return out;
}

}  // namespace carekeep::doctor
