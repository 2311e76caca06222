#include "content_task.hpp"

#include <boost/asio/post.hpp>

#include "base/log.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;

namespace {

std::string describe(content::FaultKind kind) {
  switch (kind) {
    case content::FaultKind::Black: return "a black picture";
    case content::FaultKind::Frozen: return "a frozen picture";
    case content::FaultKind::Covered: return "a covered or blurred lens";
  }
  return "an unusable picture";
}

}  // namespace

ContentTask::ContentTask(asio::io_context& io, index::Index& index, alerts::AlertCenter& alerts, const Clock& clock)
    : io_(io), index_(index), alerts_(alerts), clock_(clock) {
  // Decisions arrive on the sampler's thread and are posted by value: the fault starts and
  // ends, and whether the picture looked fine (which clears an alert left by an earlier run).
  sampler_ = std::make_unique<content::Sampler>(
      [this](const std::string& camera, const content::Decision& decision) {
        bool clean = !decision.black && !decision.covered && !decision.unchanged;
        asio::post(io_, [this, camera, events = decision.events, clean] { apply(camera, events, clean); });
      },
      &clock_);
}

ContentTask::~ContentTask() = default;

void ContentTask::recover() {
  UtcTime last_alive = clock_.now();
  if (auto runs = index_.daemon_runs({UtcTime{}, last_alive}); runs) {
    std::optional<UtcTime> stopped;
    for (const auto& run : *runs) {
      if (run.stopped && (!stopped || *run.stopped > *stopped)) stopped = run.stopped;
    }
    if (stopped) last_alive = *stopped;
  }
  auto ended = index_.end_open_content_faults(last_alive);
  if (!ended) {
    log::error("index_write_failed", {{"error", ended.error().message}});
  } else if (*ended > 0) {
    log::info("content_faults_closed", {{"faults", std::to_string(*ended)}, {"reason", "left open by the last run"}});
  }
}

void ContentTask::configure(const config::Config& config) {
  if (!sampler_) return;
  std::set<std::string> next;
  for (const auto& camera : config.cameras) {
    if (!camera.enabled || !camera.content.enabled) continue;
    sampler_->set_camera(camera.id, camera.content);
    next.insert(camera.id);
  }
  // A camera no longer checked: the worker ends its open faults (after its queued samples).
  for (const auto& id : checked_) {
    if (next.count(id) == 0) sampler_->remove(id);
  }
  checked_ = std::move(next);
}

decltype(recorder::RecorderEnv::keyframe_observer) ContentTask::observer() {
  content::Sampler* sampler = sampler_.get();
  return [sampler](const std::string& camera, const AVCodecParameters& parameters, const AVPacket& keyframe,
                   const recorder::GopSizes& gop) {
    sampler->offer(camera, parameters, keyframe, gop.inter_bytes, gop.inter_frames);
  };
}

nlohmann::json ContentTask::status(const std::string& camera) const {
  nlohmann::json faults = nlohmann::json::array();
  if (auto it = open_.find(camera); it != open_.end()) {
    for (const auto& [kind, id] : it->second) faults.push_back(std::string(content::to_string(kind)));
  }
  auto s = sampler_ ? sampler_->stats(camera) : content::SamplerStats{};
  return {{"checked", checked_.count(camera) != 0},
          {"faults", faults},
          {"samples", s.decoded + s.identical + s.skipped},
          {"decoded", s.decoded},
          {"dropped", s.dropped}};
}

void ContentTask::stop() {
  if (!sampler_) return;
  auto total = sampler_->total();
  sampler_.reset();  // joins the worker; its last posts are still in the loop's queue
  io_.poll();
  const auto now = clock_.now();
  for (auto& [camera, kinds] : open_) {
    for (auto& [kind, id] : kinds) {
      if (auto st = index_.end_content_fault(id, now); !st)
        log::error("index_write_failed", {{"error", st.error().message}});
    }
    kinds.clear();
    // The alert stays open: nothing showed the picture came back. The next start resolves
    // it when a camera's first samples are fine.
  }
  log::info("content_checks_stopped", {{"samples", std::to_string(total.decoded + total.identical + total.skipped)},
                                       {"decoded", std::to_string(total.decoded)},
                                       {"dropped", std::to_string(total.dropped)},
                                       {"cpu_seconds", std::to_string(total.cpu_seconds)}});
}

void ContentTask::apply(const std::string& camera, const std::vector<content::FaultEvent>& events, bool clean) {
  const bool first = seen_.insert(camera).second;
  if (events.empty() && !(first && clean)) return;
  for (const auto& event : events) {
    auto kind = std::string(content::to_string(event.kind));
    auto& open = open_[camera];
    if (event.started) {
      if (open.count(event.kind) != 0) continue;
      auto id = index_.insert_content_fault(camera, kind, event.at, event.detail);
      if (!id) {
        log::error("index_write_failed", {{"error", id.error().message}});
        continue;
      }
      open[event.kind] = *id;
      log::warn("content_fault", {{"camera", camera}, {"kind", kind}, {"detail", event.detail}});
    } else {
      auto it = open.find(event.kind);
      if (it == open.end()) continue;
      if (auto st = index_.end_content_fault(it->second, event.at); !st)
        log::error("index_write_failed", {{"error", st.error().message}});
      open.erase(it);
      log::info("content_fault_cleared", {{"camera", camera}, {"kind", kind}});
    }
  }
  update_alert(camera);
}

void ContentTask::update_alert(const std::string& camera) {
  const auto& open = open_[camera];
  if (open.empty()) {
    if (auto st = alerts_.resolve(alerts::kContentFault, camera); !st)
      log::error("alert_write_failed", {{"error", st.error().message}});
    return;
  }
  std::string what;
  for (const auto& [kind, id] : open) {
    if (!what.empty()) what += " and ";
    what += describe(kind);
  }
  auto raised = alerts_.raise(alerts::kContentFault, camera, alerts::Severity::Warning,
                              "camera " + camera + " shows " + what +
                                  ": its footage does not cover its zones; check the camera and its lens");
  if (!raised) log::error("alert_write_failed", {{"error", raised.error().message}});
}

}  // namespace carekeep::daemon
