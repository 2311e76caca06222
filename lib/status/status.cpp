#include "status/status.hpp"

#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace carekeep::status {

namespace {

using Json = nlohmann::json;

Json local_or_null(const std::optional<UtcTime>& t, const TimeZone& zone) {
  return t ? Json(format_local_iso(*t, zone)) : Json(nullptr);
}
Json us_or_null(const std::optional<UtcTime>& t) { return t ? Json(to_us(*t)) : Json(nullptr); }
Json string_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

// Reads typed keys of one object; the first wrong type is kept and reported once.
class Reader {
 public:
  Reader(const Json& object, std::string where) : object_(object), where_(std::move(where)) {}
  template <class T>
  void get(const char* key, T& out) {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) return wrong(key);
      out = it->get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      // nlohmann casts a number of the wrong range or sign silently; a status field never wraps.
      if (!it->is_number_integer()) return wrong(key);
      if (it->is_number_unsigned()) {
        auto v = it->get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return wrong(key);
        out = static_cast<T>(v);
      } else {
        auto v = it->get<std::int64_t>();
        if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
            (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
          return wrong(key);
        out = static_cast<T>(v);
      }
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!it->is_number()) return wrong(key);
      out = it->get<T>();
    } else {
      if (!it->is_string()) return wrong(key);
      out = it->get<std::string>();
    }
  }
  void get_time(const char* key, std::optional<UtcTime>& out) {
    std::optional<std::int64_t> us;
    get_optional(key, us);
    if (us) out = from_us(*us);
  }
  template <class T>
  void get_optional(const char* key, std::optional<T>& out) {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return;
    T value{};
    get(key, value);
    if (error_.empty()) out = value;
  }
  const Json* child(const char* key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  void wrong(const std::string& key) {
    if (error_.empty()) error_ = where_ + "key \"" + key + "\" is of the wrong type";
  }
  void fail_with(const Error& e) {
    if (error_.empty()) error_ = where_ + e.message;
  }
  const std::string& error() const { return error_; }

 private:
  const Json& object_;
  std::string where_;
  std::string error_;
};

}  // namespace

const Camera* DaemonStatus::find_camera(std::string_view id) const {
  for (const auto& c : cameras)
    if (c.camera == id) return &c;
  return nullptr;
}

void to_json(const DaemonStatus& status, const TimeZone& zone, nlohmann::json& out) {
  if (!out.is_object()) out = Json::object();
  Json cameras = Json::array();
  for (const auto& c : status.cameras) {
    Json entry{{"camera", c.camera}, {"name", c.name}, {"enabled", c.enabled}, {"up", c.up}};
    if (c.live) {
      const auto& l = *c.live;
      entry["since"] = local_or_null(l.since, zone);
      entry["since_us"] = us_or_null(l.since);
      entry["cause"] = string_or_null(l.cause);
      entry["reason"] = string_or_null(l.reason);
      entry["detail"] = l.detail;
      entry["disk_fault"] = string_or_null(l.disk_fault);
      entry["bitrate_bps"] = l.bitrate_bps;
      entry["fps"] = l.fps;
      entry["bytes"] = l.bytes;
      entry["frames"] = l.frames;
      entry["reconnects"] = l.reconnects;
      entry["codec"] = l.codec;
      entry["width"] = l.width;
      entry["height"] = l.height;
      entry["last_segment"] = l.last_segment;
    }
    cameras.push_back(std::move(entry));
  }
  Json zones = Json::array();
  for (const auto& z : status.zones) zones.push_back({{"zone", z.zone}, {"covered", z.covered}});
  Json open_alerts = Json::array();
  for (const auto& a : status.alerts) open_alerts.push_back(Json(alerts::to_json(a, zone)));
  out["pid"] = status.pid;
  out["daemon_run"] = status.daemon_run;
  out["updated"] = format_local_iso(status.updated, zone);
  out["updated_us"] = to_us(status.updated);
  out["running"] = status.running;
  out["cameras"] = std::move(cameras);
  out["zones"] = std::move(zones);
  out["disk"] = status.disk ? Json{{"total_bytes", status.disk->total_bytes}, {"free_bytes", status.disk->free_bytes}}
                            : Json(nullptr);
  out["forecast_care_days"] = status.forecast_care_days ? Json(*status.forecast_care_days) : Json(nullptr);
  out["alerts"] = std::move(open_alerts);
  out["web"] = status.web ? Json{{"listen", status.web->listen},
                                 {"port", status.web->port},
                                 {"https", status.web->https},
                                 {"fingerprint_sha256", string_or_null(status.web->fingerprint_sha256)}}
                          : Json(nullptr);
}

Result<DaemonStatus> from_json(const nlohmann::json& in) {
  if (!in.is_object()) return fail(ErrorKind::InvalidArgument, "status is not a JSON object");
  DaemonStatus s;
  Reader top(in, "status: ");
  top.get("pid", s.pid);
  top.get("daemon_run", s.daemon_run);
  std::optional<UtcTime> updated;
  top.get_time("updated_us", updated);
  if (updated) s.updated = *updated;
  top.get("running", s.running);
  top.get_optional("forecast_care_days", s.forecast_care_days);
  if (const auto* cameras = top.child("cameras")) {
    if (!cameras->is_array()) top.wrong("cameras");
    else
      for (const auto& c : *cameras) {
        if (!c.is_object()) {
          top.wrong("cameras");
          break;
        }
        Camera camera;
        Reader r(c, "status: camera: ");
        r.get("camera", camera.camera);
        r.get("name", camera.name);
        r.get("enabled", camera.enabled);
        r.get("up", camera.up);
        // A recorder's keys are there for an enabled camera only (to_json).
        if (c.contains("bitrate_bps")) {
          CameraLive l;
          r.get_time("since_us", l.since);
          // A status written before since_us existed (a daemon of an older version, during an
          // upgrade) has only the local ISO 8601 text, whose offset makes it exact.
          if (!l.since && c.contains("since") && c.at("since").is_string()) {
            if (auto t = parse_cli_time(c.at("since").get<std::string>(), TimeZone::utc())) l.since = *t;
          }
          r.get("cause", l.cause);
          r.get("reason", l.reason);
          r.get("detail", l.detail);
          r.get("disk_fault", l.disk_fault);
          r.get("bitrate_bps", l.bitrate_bps);
          r.get("fps", l.fps);
          r.get("bytes", l.bytes);
          r.get("frames", l.frames);
          r.get("reconnects", l.reconnects);
          r.get("codec", l.codec);
          r.get("width", l.width);
          r.get("height", l.height);
          r.get("last_segment", l.last_segment);
          camera.live = std::move(l);
        }
        if (!r.error().empty()) return fail(ErrorKind::InvalidArgument, r.error());
        s.cameras.push_back(std::move(camera));
      }
  }
  if (const auto* zones = top.child("zones")) {
    if (!zones->is_array()) top.wrong("zones");
    else
      for (const auto& z : *zones) {
        if (!z.is_object()) {
          top.wrong("zones");
          break;
        }
        Zone zone;
        Reader r(z, "status: zone: ");
        r.get("zone", zone.zone);
        r.get("covered", zone.covered);
        if (!r.error().empty()) return fail(ErrorKind::InvalidArgument, r.error());
        s.zones.push_back(std::move(zone));
      }
  }
  if (const auto* disk = top.child("disk")) {
    if (!disk->is_object()) {
      top.wrong("disk");
    } else {
      Disk d;
      Reader r(*disk, "status: disk: ");
      r.get("total_bytes", d.total_bytes);
      r.get("free_bytes", d.free_bytes);
      if (!r.error().empty()) return fail(ErrorKind::InvalidArgument, r.error());
      s.disk = d;
    }
  }
  if (const auto* list = top.child("alerts")) {
    if (!list->is_array()) top.wrong("alerts");
    else
      for (const auto& a : *list) {
        auto alert = alerts::from_json(a);
        if (!alert) {
          top.fail_with(alert.error());
          break;
        }
        s.alerts.push_back(std::move(*alert));
      }
  }
  if (const auto* web = top.child("web")) {
    if (!web->is_object()) {
      top.wrong("web");
    } else {
      Web w;
      Reader r(*web, "status: web: ");
      r.get("listen", w.listen);
      r.get("port", w.port);
      r.get("https", w.https);
      r.get("fingerprint_sha256", w.fingerprint_sha256);
      if (!r.error().empty()) return fail(ErrorKind::InvalidArgument, r.error());
      s.web = std::move(w);
    }
  }
  if (!top.error().empty()) return fail(ErrorKind::InvalidArgument, top.error());
  return s;
}

Result<DaemonStatus> parse(std::string_view text) {
  auto json = Json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded()) return fail(ErrorKind::InvalidArgument, "status is not valid JSON");
  return from_json(json);
}

std::vector<Zone> zones_covered(const std::vector<std::string>& zone_ids, const std::vector<alerts::Alert>& open) {
  std::vector<Zone> out;
  for (const auto& id : zone_ids) {
    bool covered = true;
    for (const auto& a : open)
      if (a.kind == alerts::kZoneUncovered && a.subject == id && !a.resolved) covered = false;
    out.push_back({id, covered});
  }
  return out;
}

std::filesystem::path status_path(const std::filesystem::path& database) {
  auto path = database;
  path.replace_filename("status.json");
  return path;
}

}  // namespace carekeep::status
