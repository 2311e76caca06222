#include "floorplan/floorplan.hpp"
namespace carekeep::floorplan { std::string svg(const config::Config&, const PlanCoverage&, std::string_view) { return {}; } }
