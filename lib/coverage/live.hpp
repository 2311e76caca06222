// coverage/live: the daemon's running view of zone coverage (PRODUCT.md §5.1, live alerts).
// Fed with what the recorders and the content checker report (camera up/down, segments,
// content faults) and evaluated every few seconds; says when a zone lost coverage during care
// hours for longer than the tolerance, and when it is covered again. Pure state: the daemon's
// loop thread owns it and turns its transitions into alerts; never blocks, not thread-safe.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"
#include "coverage/gaps.hpp"

namespace carekeep::coverage {

class LiveTracker {
 public:
  // Every configured camera starts "not connected" at `started` (the daemon's start).
  LiveTracker(const config::Config& config, care::CareCalendar calendar, UtcTime started);

  // A reload: zones, cameras, tolerance and care hours change; camera states are kept.
  void reconfigure(const config::Config& config, care::CareCalendar calendar);

  void camera_up(std::string_view camera, UtcTime t);
  // `event_cause` is the camera_event cause (refused, stalled, ...; "stopped" for a camera the
  // daemon stopped on purpose).
  void camera_down(std::string_view camera, UtcTime t, std::string_view event_cause);
  // A segment closed: footage exists up to `end` (kept to tell how fresh a camera's footage is).
  void segment_closed(std::string_view camera, UtcTime end);
  // Content faults (lib/content): the camera streams but its picture is unusable.
  void content_fault_started(std::string_view camera, std::string_view kind, UtcTime t);
  void content_fault_ended(std::string_view camera, UtcTime t);

  struct Transition {
    enum class Type { Uncovered, Covered } type;
    std::string zone_id;
    UtcTime since;        // when the zone lost (Uncovered) or regained (Covered) coverage
    std::string message;  // for the alert: which cameras and why
  };
  // Compares each zone's state at `now` with the last evaluation. Uncovered: the zone has had
  // no usable camera for longer than the tolerance and `now` is in care hours. Covered: a zone
  // reported uncovered has a usable camera again, or care hours ended.
  std::vector<Transition> evaluate(UtcTime now);

  // A camera offline during care hours, whether or not its zone stays covered (issue 17): the
  // operator hears of a dead camera before the second camera of its zone dies too. One alert per
  // episode: an episode starts when the camera goes down and ends when it has recorded for
  // `stable_after()` without a break, so a camera flapping every few seconds is one alert whose
  // down time adds up, not one per reconnect. Offline is raised once the episode's down time in
  // care hours (summed between evaluations) reaches `offline_after`; Online when the episode ends.
  struct CameraTransition {
    enum class Type { Offline, Online } type;
    std::string camera_id;
    std::string cause;    // the camera_event cause while down (refused, stalled, ...); empty for Online
    std::string message;  // what is wrong and what to do / what happened
  };
  std::vector<CameraTransition> evaluate_cameras(UtcTime now);
  Micros offline_after() const { return offline_after_; }
  bool camera_offline_alerting(std::string_view id) const {
    auto it = episodes_.find(id);
    return it != episodes_.end() && it->second.alerting;
  }
  Micros stable_after() const { return std::min(offline_after_, Micros{30'000'000}); }

  struct CameraState {
    bool up = false;
    UtcTime since;                    // of the current up/down state
    std::string cause = "not_connected";  // the event cause while down
    std::optional<std::string> fault;     // content fault kind while one lasts
    std::optional<UtcTime> last_footage;  // end of the last closed segment
    bool usable() const { return up && !fault; }
    Reason reason() const;            // why not usable
  };
  struct ZoneState {
    std::string zone_id;
    bool covered = false;
    std::optional<UtcTime> uncovered_since;
    bool alerting = false;            // an Uncovered transition is outstanding
    std::vector<std::string> covering;  // usable cameras
  };
  std::vector<ZoneState> zones(UtcTime now) const;
  const CameraState* camera(std::string_view id) const;

 private:
  CameraState& state(std::string_view camera, UtcTime t);
  std::string describe(const config::Zone& zone, UtcTime since) const;
  UtcTime unusable_since(std::string_view id) const;

  struct Episode {
    Micros down_in_care{0};         // summed over evaluations while down in care hours
    std::optional<UtcTime> counted_to;  // the last evaluation that counted down time
    int outages = 0;                // down transitions seen in this episode
    bool alerting = false;
  };
  std::string describe_offline(const std::string& id, const CameraState& s, const Episode& e) const;

  std::vector<config::Zone> zones_;
  std::vector<std::string> camera_ids_;  // every configured camera, zone or not
  std::map<std::string, Episode, std::less<>> episodes_;  // per camera, while one is open
  Micros offline_after_{60'000'000};
  Micros tolerance_{2'000'000};
  care::CareCalendar calendar_;
  UtcTime started_;
  std::map<std::string, CameraState, std::less<>> cameras_;
  std::map<std::string, UtcTime, std::less<>> fault_since_;  // per camera, while a fault lasts
  std::map<std::string, bool, std::less<>> alerting_;                           // per zone
};

}  // namespace carekeep::coverage
