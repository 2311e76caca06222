// daemon/alerts_status: open alerts as status.json shows them (`carekeep status` reads them
// back). Pure formatting on the loop thread.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "base/time.hpp"

namespace carekeep::daemon {

// [alerts::to_json(alert)], by id.
nlohmann::json alerts_json(const std::vector<alerts::Alert>& open, const TimeZone& zone);

}  // namespace carekeep::daemon
