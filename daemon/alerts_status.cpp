#include "alerts_status.hpp"

namespace carekeep::daemon {

nlohmann::json alerts_json(const std::vector<alerts::Alert>& open, const TimeZone& zone) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : open) {
    out.push_back({{"id", a.id},
                   {"kind", a.kind},
                   {"subject", a.subject},
                   {"severity", std::string(alerts::to_string(a.severity))},
                   {"message", a.message},
                   {"raised", format_local_iso(a.raised, zone)},
                   {"raised_us", to_us(a.raised)},
                   {"last_seen_us", to_us(a.last_seen)},
                   {"acknowledged", a.acknowledged ? nlohmann::json(format_local_iso(*a.acknowledged, zone))
                                                   : nlohmann::json(nullptr)},
                   {"acknowledged_by", a.acknowledged ? nlohmann::json(a.acknowledged_by) : nlohmann::json(nullptr)}});
  }
  return out;
}

}  // namespace carekeep::daemon
