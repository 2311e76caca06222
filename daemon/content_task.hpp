// daemon/content_task: the content checks in the daemon (docs/coverage.md, Content checks). Owns
// the content::Sampler (its own low-priority thread), hands the recorders a keyframe observer
// that feeds it, and applies the sampler's fault starts and ends on the loop: a content_fault
// row per fault (inserted when it starts, ended when it clears) and one content_fault alert per
// camera while any fault is open. Everything but observer() runs on the loop thread and blocks
// on SQLite; the observer runs on ingest threads and returns at once.
#pragma once

#include <map>
#include <set>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "config/config.hpp"
#include "content/sampler.hpp"
#include "index/index.hpp"
#include "recorder/recorder.hpp"

namespace carekeep::daemon {

class ContentTask {
 public:
  ContentTask(boost::asio::io_context& io, index::Index& index, alerts::AlertCenter& alerts, const Clock& clock);
  ~ContentTask();

  // Startup, after end_crashed_daemon_runs and before the recorders: faults a crashed or
  // killed daemon left open end when that daemon stopped (its last proof of life), or now.
  void recover();
  // At start and on every reload: which cameras are checked, with which thresholds.
  void configure(const config::Config& config);
  // For RecorderEnv::keyframe_observer.
  decltype(recorder::RecorderEnv::keyframe_observer) observer();
  // Shutdown, after the recorders stopped: the worker stops and open faults end now.
  void stop();

  content::SamplerStats stats() const { return sampler_ ? sampler_->total() : content::SamplerStats{}; }
  // For status.json: {"checked", "faults": ["black", ...], "samples", "dropped"}.
  nlohmann::json status(const std::string& camera) const;

 private:
  void apply(const std::string& camera, const std::vector<content::FaultEvent>& events, bool clean);
  void update_alert(const std::string& camera);

  boost::asio::io_context& io_;
  index::Index& index_;
  alerts::AlertCenter& alerts_;
  const Clock& clock_;
  std::unique_ptr<content::Sampler> sampler_;
  // camera -> kind -> open content_fault row id
  std::map<std::string, std::map<content::FaultKind, std::int64_t>> open_;
  std::set<std::string> checked_;  // cameras the sampler checks
  std::set<std::string> seen_;  // cameras with a sample since start: a stale alert is resolved once
};

}  // namespace carekeep::daemon
