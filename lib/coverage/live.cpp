#include "coverage/live.hpp"

#include <algorithm>

namespace carekeep::coverage {

namespace {

Micros tolerance_of(const config::Config& config) {
  return std::chrono::duration_cast<Micros>(std::chrono::duration<double>(config.coverage.gap_tolerance_seconds));
}

}  // namespace

Reason LiveTracker::CameraState::reason() const {
  if (!up) return {std::string(cause_for_down(cause)), cause};
  if (fault) return {std::string(cause::kContent), *fault};
  return {};
}

LiveTracker::LiveTracker(const config::Config& config, care::CareCalendar calendar, UtcTime started)
    : calendar_(std::move(calendar)), started_(started) {
  reconfigure(config, calendar_);
}

void LiveTracker::reconfigure(const config::Config& config, care::CareCalendar calendar) {
  zones_ = config.zones;
  tolerance_ = tolerance_of(config);
  offline_after_ = Micros{std::int64_t{config.alerts.camera_offline_seconds} * 1'000'000};
  camera_ids_.clear();
  for (const auto& camera : config.cameras) {
    camera_ids_.push_back(camera.id);
    state(camera.id, started_);
  }
  calendar_ = std::move(calendar);
  for (const auto& zone : zones_) {
    for (const auto& id : zone.cameras) state(id, started_);
  }
}

LiveTracker::CameraState& LiveTracker::state(std::string_view camera, UtcTime t) {
  auto it = cameras_.find(camera);
  if (it == cameras_.end()) {
    CameraState s;
    s.since = t;
    it = cameras_.emplace(std::string(camera), std::move(s)).first;
  }
  return it->second;
}

void LiveTracker::camera_up(std::string_view camera, UtcTime t) {
  auto& s = state(camera, t);
  if (s.up) return;
  // The outage's tail since the last evaluation counts too: outages shorter than the evaluation
  // interval would otherwise never add up.
  if (auto it = episodes_.find(camera); it != episodes_.end()) {
    Episode& e = it->second;
    UtcTime from = e.counted_to ? std::max(*e.counted_to, s.since) : s.since;
    if (calendar_.in_care(t) && t > from) e.down_in_care += t - from;
    e.counted_to.reset();
  }
  s.up = true;
  s.since = t;
  s.cause.clear();
}

void LiveTracker::camera_down(std::string_view camera, UtcTime t, std::string_view event_cause) {
  auto& s = state(camera, t);
  // A refused reconnect after "stream_ended" is the same outage: keep its start, take the
  // newer cause (it says more about why the camera stays down).
  if (s.up) {
    s.since = t;
    ++episodes_[std::string(camera)].outages;
  }
  s.up = false;
  s.cause = event_cause.empty() ? "unknown" : std::string(event_cause);
}

void LiveTracker::segment_closed(std::string_view camera, UtcTime end) {
  auto& s = state(camera, end);
  if (!s.last_footage || *s.last_footage < end) s.last_footage = end;
}

void LiveTracker::content_fault_started(std::string_view camera, std::string_view kind, UtcTime t) {
  auto& s = state(camera, t);
  s.fault = std::string(kind);
  fault_since_[std::string(camera)] = t;
}

void LiveTracker::content_fault_ended(std::string_view camera, UtcTime t) {
  auto& s = state(camera, t);
  s.fault.reset();
  fault_since_.erase(std::string(camera));
}

const LiveTracker::CameraState* LiveTracker::camera(std::string_view id) const {
  auto it = cameras_.find(id);
  return it == cameras_.end() ? nullptr : &it->second;
}

// The moment the camera stopped being usable (valid only while it is not).
UtcTime LiveTracker::unusable_since(std::string_view id) const {
  const auto* s = camera(id);
  if (s == nullptr) return started_;
  if (!s->up) return s->since;
  auto it = fault_since_.find(id);
  return it == fault_since_.end() ? s->since : std::max(it->second, s->since);
}

std::vector<LiveTracker::ZoneState> LiveTracker::zones(UtcTime now) const {
  std::vector<ZoneState> out;
  for (const auto& zone : zones_) {
    ZoneState z;
    z.zone_id = zone.id;
    UtcTime since = started_;
    for (const auto& id : zone.cameras) {
      const auto* s = camera(id);
      if (s != nullptr && s->usable()) z.covering.push_back(id);
      else since = std::max(since, unusable_since(id));
    }
    z.covered = !z.covering.empty();
    if (!z.covered) z.uncovered_since = std::min(since, now);
    auto a = alerting_.find(zone.id);
    z.alerting = a != alerting_.end() && a->second;
    out.push_back(std::move(z));
  }
  return out;
}

std::string LiveTracker::describe(const config::Zone& zone, UtcTime since) const {
  std::string message = "zone " + zone.id + (zone.name.empty() || zone.name == zone.id ? "" : " (" + zone.name + ")") +
                        " has not been covered by any camera since " + format_local_iso(since, calendar_.zone()) + ":";
  bool first = true;
  for (const auto& id : zone.cameras) {
    const auto* s = camera(id);
    Reason r = s != nullptr ? s->reason() : Reason{std::string(cause::kCameraOffline), "not_connected"};
    message += first ? " " : "; ";
    message += id + " " + r.cause;
    if (!r.sub.empty()) message += " (" + r.sub + ")";
    first = false;
  }
  return message;
}

std::vector<LiveTracker::Transition> LiveTracker::evaluate(UtcTime now) {
  std::vector<Transition> out;
  bool care = calendar_.in_care(now);
  for (const auto& z : zones(now)) {
    const config::Zone& zone =
        *std::find_if(zones_.begin(), zones_.end(), [&](const auto& c) { return c.id == z.zone_id; });
    bool& alerting = alerting_[z.zone_id];
    if (!alerting && care && !z.covered && now - *z.uncovered_since > tolerance_) {
      alerting = true;
      out.push_back({Transition::Type::Uncovered, z.zone_id, *z.uncovered_since, describe(zone, *z.uncovered_since)});
    } else if (alerting && (z.covered || !care)) {
      alerting = false;
      std::string message = "zone " + z.zone_id +
                            (z.covered ? " is covered again by " + z.covering.front()
                                       : std::string(" is no longer in care hours"));
      out.push_back({Transition::Type::Covered, z.zone_id, now, std::move(message)});
    }
  }
  // Zones dropped by a reload have nothing to watch any more: close what they raised.
  for (auto& [id, alerting] : alerting_) {
    bool known = std::any_of(zones_.begin(), zones_.end(), [&](const auto& c) { return c.id == id; });
    if (alerting && !known) {
      alerting = false;
      out.push_back({Transition::Type::Covered, id, now, "zone " + id + " was removed from the configuration"});
    }
  }
  return out;
}

std::string LiveTracker::describe_offline(const std::string& id, const CameraState& s, const Episode& e) const {
  std::string message = "camera " + id + " has been offline since " + format_local_iso(s.since, calendar_.zone()) +
                        " (" + s.cause + ")";
  if (e.outages > 1) message += ", after " + std::to_string(e.outages) + " outages in a row";
  std::vector<std::string> covering;
  for (const auto& z : zones_) {
    if (std::find(z.cameras.begin(), z.cameras.end(), id) == z.cameras.end()) continue;
    bool other = std::any_of(z.cameras.begin(), z.cameras.end(), [&](const std::string& c) {
      const auto* o = camera(c);
      return c != id && o != nullptr && o->usable();
    });
    message += other ? "; zone " + z.id + " is still covered by another camera"
                     : "; zone " + z.id + " has no other camera recording";
  }
  return message + ": check its power and network cable";
}

std::vector<LiveTracker::CameraTransition> LiveTracker::evaluate_cameras(UtcTime now) {
  std::vector<CameraTransition> out;
  bool care = calendar_.in_care(now);
  for (const auto& id : camera_ids_) {
    const CameraState& s = state(id, started_);
    auto it = episodes_.find(id);
    if (!s.up && it == episodes_.end()) it = episodes_.emplace(id, Episode{}).first;  // down since start
    if (it == episodes_.end()) continue;
    Episode& e = it->second;
    if (s.up) {
      if (now - s.since < stable_after()) continue;
      if (e.alerting) {
        out.push_back({CameraTransition::Type::Online, id, "",
                       "camera " + id + " has been recording again since " + format_local_iso(s.since, calendar_.zone())});
      }
      episodes_.erase(it);
      continue;
    }
    // Down: count the time since the later of the outage's start and the last evaluation, if
    // now is care time. Evaluations come every few seconds, so a care boundary costs at most one
    // interval of precision.
    UtcTime from = e.counted_to ? std::max(*e.counted_to, s.since) : s.since;
    if (care && now > from) e.down_in_care += now - from;
    e.counted_to = now;
    if (!e.alerting && care && e.down_in_care >= offline_after_) {
      e.alerting = true;
      out.push_back({CameraTransition::Type::Offline, id, s.cause, describe_offline(id, s, e)});
    }
  }
  // Cameras dropped by a reload: close what they raised.
  for (auto it = episodes_.begin(); it != episodes_.end();) {
    if (std::find(camera_ids_.begin(), camera_ids_.end(), it->first) != camera_ids_.end()) {
      ++it;
      continue;
    }
    if (it->second.alerting)
      out.push_back({CameraTransition::Type::Online, it->first, "", "camera " + it->first + " was removed from the configuration"});
    it = episodes_.erase(it);
  }
  return out;
}

}  // namespace carekeep::coverage
