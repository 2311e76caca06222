// daemon/fleet_metrics: what a district's Prometheus needs from each point besides the camera
// and zone series (issue 20; docs/fleet.md): who the point is (site id and name, version, the
// signing key's fingerprint), how much care footage it holds and how fresh the newest is, its
// open alerts by severity and its last daily digest. Loop thread, at each scrape: three
// index lookups (Index::care_footage), no scan.
#pragma once

#include <optional>
#include <string>

#include "base/time.hpp"
#include "config/config.hpp"
#include "digest_task.hpp"
#include "index/index.hpp"
#include "metrics_server.hpp"
#include "status/status.hpp"

namespace carekeep::daemon {

struct FleetFacts {
  std::string key_fingerprint;  // hex SHA-256 of the box key's public key; "" while it is unusable
  std::optional<DigestTask::Last> digest;
};

void add_fleet_metrics(Exposition& out, index::Index& index, const config::Config& config,
                       const status::DaemonStatus& status, const FleetFacts& facts, UtcTime now);

}  // namespace carekeep::daemon
