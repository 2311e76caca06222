#include "alerts_status.hpp"

namespace carekeep::daemon {

nlohmann::json alerts_json(const std::vector<alerts::Alert>& open, const TimeZone& zone) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : open) out.push_back(nlohmann::json(alerts::to_json(a, zone)));
  return out;
}

}  // namespace carekeep::daemon
