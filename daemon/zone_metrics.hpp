// daemon/zone_metrics: per-zone series for the metrics endpoint (metrics_server.hpp): whether
// each zone is covered now and how many seconds of today's care hours it was not. Runs on the
// loop thread at each scrape; blocks on one coverage computation over today's index rows.
#pragma once

#include "base/time.hpp"
#include "config/config.hpp"
#include "index/index.hpp"
#include "metrics_server.hpp"
#include "status/status.hpp"

namespace carekeep::daemon {

// Also whether now is care time, today's care seconds so far and each zone's covered share of
// them (absent before care began today).
// Covered now = the status's zones[] (lib/status: no open zone_uncovered alert for the zone;
// the coverage task raises it within 5 s during care hours). Gap seconds = coverage::compute_gaps over
// [local midnight, now) of the site's time zone.
void add_zone_metrics(Exposition& out, index::Index& index, const config::Config& config, const status::DaemonStatus& status,
                      UtcTime now);

}  // namespace carekeep::daemon
