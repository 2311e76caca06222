// config/config: the plain structs one carekeep.toml turns into (PRODUCT.md §1). Values only:
// no TOML types leak out of this module, and nothing here does I/O. load.hpp fills them in and
// validates them; a Config handed out by load()/parse() has already passed every check, so
// consumers (care calendar, recorder, CLI) do not re-validate.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.hpp"
#include "base/time.hpp"

namespace carekeep::config {

struct Site {
  // The fleet's name for this point (docs/fleet.md), same alphabet as camera ids; empty when
  // the box is not part of a fleet. Only labels /metrics: a fleet's Prometheus joins on it.
  std::string id;
  std::string name;                     // shown in reports; any UTF-8 (阳光家庭托育点)
  std::string timezone;                 // IANA name, already checked with TimeZone::locate
  std::filesystem::path storage;        // absolute: segment files live below it
  std::filesystem::path database;       // absolute: the SQLite index
  std::optional<std::string> address;   // free text for reports
};

struct Retention {
  // The rule: "监控录像资料保存期不少于90日"; smaller values are refused at load time.
  static constexpr int kMinCareDays = 90;
  int care_days = kMinCareDays;          // footage overlapping care hours
  int other_days = 7;                    // footage entirely outside care hours
  int min_free_percent = 5;              // keep this share of the disk free
  std::optional<std::uint64_t> max_bytes;  // optional cap on footage bytes
};

// A range of local wall-clock time on one day, in minutes since local midnight.
// "07:30-12:00" = {450, 720}; "00:00-24:00" = {0, 1440}. end_minute < start_minute means the
// range crosses midnight and ends on the next day ("22:00-06:00" = {1320, 360}). Never empty.
struct HourRange {
  int start_minute = 0;  // 0..1439
  int end_minute = 0;    // 0..1440

  bool crosses_midnight() const { return end_minute < start_minute; }
  // Minutes from the start of the range's own day to its end (may exceed 1440).
  int end_offset_minutes() const { return crosses_midnight() ? end_minute + 1440 : end_minute; }
  bool operator==(const HourRange&) const = default;
};

// "HH:MM-HH:MM" (two digits each, 24:00 allowed as an end only, spaces around '-' tolerated).
// InvalidArgument saying what is wrong and what would be valid.
Result<HourRange> parse_hour_range(std::string_view text);
// {450, 720} -> "07:30-12:00"; {1320, 360} -> "22:00-06:00".
std::string format_hour_range(HourRange range);

// A dated change to the weekly schedule: a holiday (closed), a make-up working day or
// changed hours (hours). Exactly one of the two is set.
struct Exception {
  LocalDays date{};
  bool closed = false;
  std::vector<HourRange> hours;
  std::string note;
};

struct CareHours {
  static constexpr std::array<std::string_view, 7> kDayKeys{
      "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  // weekly[0] is Monday … weekly[6] is Sunday (ISO order); an empty day is closed.
  std::array<std::vector<HourRange>, 7> weekly;
  std::vector<Exception> exceptions;  // dates unique, in file order
  // adhoc_max_hours: an ad-hoc care session (`carekeep care start`) nobody stops ends by itself
  // this long after its start, with a warning (issue 17).
  int adhoc_max_hours = 12;
  static constexpr int kMaxAdhocHours = 24;
  // NOT from the file: the ad-hoc care sessions recorded in the index (care_session), as UTC
  // [begin, end) (an open one until its limit). The daemon and the CLI fill them in after
  // opening the index (history::adhoc_care), so every calendar built from these hours counts them
  // as care; the loader leaves them empty.
  struct Adhoc {
    UtcTime begin;
    UtcTime end;
    bool operator==(const Adhoc&) const = default;
  };
  std::vector<Adhoc> adhoc;
};

struct Coverage {
  // A hole in a zone's recordings shorter than this is not a gap (PRODUCT.md §5.1).
  double gap_tolerance_seconds = 2.0;
  // With a [floorplan]: a zone whose cameras see less than this share of its child area is
  // flagged (PRODUCT.md §5.3). Compared with kAreaTolerancePercent of slack, so a plan drawn
  // to the centimetre is not failed by the arc approximation of a field of view.
  double min_area_percent = 100.0;
  static constexpr double kAreaTolerancePercent = 0.5;
};

// [floorplan] (PRODUCT.md §5.3, docs/coverage.md "Floor plan"): the site drawn in metres, x to
// the right (east), y up (north); directions in degrees counter-clockwise from +x (0 = east,
// 90 = north). Polygons are given as their vertices in either orientation, not closed (the
// first vertex is not repeated). The loader has checked every polygon (simple, non-zero area),
// every id and that each camera stands in a room; lib/floorplan does the geometry.
struct PlanPoint {
  double x = 0;
  double y = 0;
  bool operator==(const PlanPoint&) const = default;
};
using PlanRing = std::vector<PlanPoint>;

struct PlanRoom {
  std::string id;        // same alphabet as camera ids
  std::string name;      // display name; defaults to id
  bool children = false; // children live or play here: it must belong to a zone
  PlanRing outline;
};

// Something that blocks sight: a wall as a polyline (doorways are the gaps between walls) or
// large furniture as a polygon (its footprint is no child area: nobody plays inside a wardrobe).
struct PlanWall {
  std::vector<PlanPoint> points;  // at least 2
};
struct PlanObstacle {
  std::string name;
  PlanRing outline;
};

struct PlanCamera {
  std::string camera_id;  // a [[camera]] id
  PlanPoint position;
  double direction_deg = 0;          // where the middle of the picture looks, [0, 360)
  double fov_deg = 90;               // horizontal field of view, 1..359
  std::optional<double> range_m;     // how far a child is still recognisable; none = from the picture width
  std::optional<double> height_m;    // mounting height, shown only (the plan is 2-D)
};

struct PlanZone {
  std::string zone_id;             // a [[zone]] id
  std::vector<std::string> rooms;  // room ids whose outlines make the area (when `area` is not given)
  std::vector<PlanRing> area;      // resolved by the loader: the explicit area, else the rooms' outlines
};

struct Floorplan {
  // The default useful range: the distance at which the picture still has this many pixels
  // per metre across its width (EN 62676-4 "recognise" = 125 px/m): range = width_px /
  // (2 * pixels_per_metre * tan(fov / 2)), the field of view capped at 150 degrees in the formula.
  double pixels_per_metre = 125;
  int default_width_px = 1920;  // when the picture size is not known yet (no segment recorded)
  std::vector<PlanRoom> rooms;
  std::vector<PlanWall> walls;
  std::vector<PlanObstacle> obstacles;
  std::vector<PlanCamera> cameras;
  std::vector<PlanZone> zones;  // one per [[zone]] that is on the plan

  const PlanRoom* find_room(std::string_view id) const;
  const PlanCamera* find_camera(std::string_view camera_id) const;
  const PlanZone* find_zone(std::string_view zone_id) const;
};

// Checks of a camera's picture (docs/coverage.md, Content checks): black, covered lens and
// frozen picture, decided on one decoded keyframe every sample_seconds. A [content] table
// sets these for every camera; a camera's own [camera.content] table overrides single keys.
struct ContentChecks {
  bool enabled = true;
  int sample_seconds = 5;               // one keyframe decoded per camera this often (1..60)
  double black_max_mean = 40;           // luma 0..255: at or below, with a flat picture, "black"
  double flat_max_stddev = 5;           // luma stddev (64x36 thumbnail) at or below which a picture is flat
  double covered_max_gradient = 1.5;    // gradient energy at or below which it is extremely blurred
  int frozen_seconds = 60;              // unchanged this long (or identical keyframes) is "frozen"
  double frozen_noise_ratio = 0.5;      // a change below this share of what sensor noise causes is no change
  double frozen_min_difference = 0.6;   // ... nor one below this many luma levels (re-encoding a still picture)

  bool operator==(const ContentChecks&) const = default;
};

// Camera and zone ids name directories and index rows, so they are restricted to
// [a-z0-9][a-z0-9_-]{0,31}: safe in any file system, URL or shell without quoting.
bool is_valid_id(std::string_view id);

enum class Transport { Tcp, Udp };
std::string_view to_string(Transport transport);

// The RTSP client that records a camera: carekeep's own (reads the socket in large batches)
// or libavformat's. UDP transport always uses libavformat; rtsps:// may use libavformat only
// with tls_verify = false (FFmpeg cannot check a certificate there).
enum class Client { Native, Libavformat };
std::string_view to_string(Client client);

struct Camera {
  std::string id;    // [a-z0-9][a-z0-9_-]{0,31}: used in paths and the index
  std::string name;  // display name; defaults to id
  std::string url;   // may hold credentials: show only redacted_url()
  Transport transport = Transport::Tcp;
  Client client = Client::Native;
  int segment_seconds = 60;
  int max_frame_mib = 8;  // ingest::Limits::max_access_unit
  // Basic authentication sends the password in clear over plain RTSP: refused unless this
  // camera says so (doctor warns while it does).
  bool allow_basic_auth = false;
  // rtsps:// only (docs/recording.md, "Camera credentials and transport"): the camera's
  // certificate is checked against tls_ca_file (PEM; empty: the system store) and the URL's
  // host, or, with tls_fingerprint, must be exactly that certificate. tls_verify = false
  // turns every check off (doctor warns).
  std::filesystem::path tls_ca_file;      // absolute; existed when the file was loaded
  std::optional<Sha256> tls_fingerprint;  // SHA-256 of the camera's certificate (DER)
  bool tls_verify = true;
  bool enabled = true;
  ContentChecks content;  // the [content] defaults with this camera's [camera.content] applied

  std::string redacted_url() const;
};

struct Zone {
  std::string id;  // same alphabet as camera ids
  std::string name;
  std::vector<std::string> cameras;  // ids of cameras in this file, at least one
};

struct Log {
  std::string level = "info";  // debug | info | warn | error
};

// [access]: the daemon's control socket and who may use it (lib/control). Users in
// inspector_group may list, export, verify and report; operator_group may also place and release
// holds and acknowledge alerts; root and the daemon's own user may do everything.
struct Access {
  static constexpr std::string_view kDefaultInspectorGroup = "carekeep-inspector";
  static constexpr std::string_view kDefaultOperatorGroup = "carekeep-operator";
  std::filesystem::path socket;  // absolute; the loader defaults it to control.sock beside the database
  std::string inspector_group{kDefaultInspectorGroup};  // a group name or a numeric gid
  std::string operator_group{kDefaultOperatorGroup};
  // Limits against a local user exhausting the daemon (issue 14; docs/access.md, "Control socket
  // and access"). Root and the daemon's user are exempt from the per-user cap, not the total.
  int max_connections = 64;          // open control connections, everyone together
  int max_connections_per_user = 8;  // per uid: a command, its cancel and a few pings
  int request_timeout_s = 30;        // a connection that sends no request this long is closed
  int broker_timeout_s = 60;         // a command whose user's carekeep leaves a file request
                                     // unanswered this long (stopped, hung) fails
};

// [evidence]: the signed daily digest that leaves the box (docs/evidence.md, Digests).
struct Evidence {
  int digest_minute = 23 * 60 + 55;  // local time of day the daemon signs and sends it ("23:55")
};

// [metrics]: the Prometheus endpoint (daemon/metrics_server). Empty listen = no endpoint.
// Off loopback (docs/fleet.md, "The endpoint off loopback"): only `allow`'s sources connect, and
// with bearer_token_file every scrape must send that token.
struct Metrics {
  std::string listen;  // "127.0.0.1:9477": an IP literal ([::1] for IPv6) and a port (0 = any free one)
  std::vector<std::string> allow;           // CIDRs; empty = this box's own networks + loopback (as [web])
  std::filesystem::path bearer_token_file;  // absolute; empty = no token asked. Read by the daemon at start
};
// [web]: the operator's console (issue 16; docs/console.md). Empty listen = no console.
struct Web {
  std::string listen;             // "0.0.0.0:8443", "[::]:8443", "127.0.0.1:0" (config::parse_listen)
  bool https = true;              // false only on a loopback listen address (the loader refuses otherwise)
  std::vector<std::string> allow; // CIDRs whose clients may connect; empty = this box's own networks + loopback
  std::string language = "zh";    // zh | en: the console's language
  int session_idle_minutes = 30;  // a session unused this long ends (5 to 720)
};
// [[alerts.webhook]]: where the daemon also sends its alerts (lib/alerts/webhook). The URL
// usually carries the robot's key in its query string: treat it as a secret.
enum class WebhookFormat { Json, WeCom, DingTalk };
struct Webhook {
  std::string url;                           // http:// or https://host[:port]/path?query
  WebhookFormat format = WebhookFormat::Json;
  std::string secret;                        // DingTalk signing secret ("SEC..."); empty = unsigned
  std::string min_severity = "info";         // info | warning | critical (alerts::parse_severity)
  std::string language;                      // zh | en; defaulted from site.timezone by the loader
  std::filesystem::path ca_file;             // https: PEM CAs trusted besides the system's; empty = system only
};
struct Alerts {
  std::vector<Webhook> webhooks;
  // A camera down this long in care hours raises camera_offline even while its zone stays
  // covered (docs/alerts.md). 10 s to a day.
  int camera_offline_seconds = 60;
  // disk_low (docs/alerts.md): free space on the storage below this share of the disk, which
  // retention's own headroom ([retention] min_free_percent) keeps free unless protected care
  // footage fills the disk; 0 = off. Below min_free_percent, 0 to 50.
  int disk_low_free_percent = 3;
  // disk_low also when forecast_care_days falls below this (early, before capacity_short at
  // care_days). Unset: care_days + 10 (disk_low_forecast_days(config)). care_days to 3650.
  std::optional<int> disk_low_forecast_days;
  // The daily summary to every webhook at this local time of day (seconds after midnight;
  // "20:00" in the file, or "20:00:30"). docs/alerts.md, Daily summary.
  int summary_second = 20 * 3600;
};
// The language a site speaks by default: zh for a time zone in China, else en.
std::string default_language(std::string_view timezone);

struct ListenAddress {
  std::string host;  // the IP literal without brackets
  std::uint16_t port = 0;
  bool loopback = false;
};
// "127.0.0.1:9477" or "[::1]:9477"; nullopt unless host is an IP literal and port 0..65535.
std::optional<ListenAddress> parse_listen(std::string_view text);

struct Config {
  Site site;
  Retention retention;
  CareHours care_hours;
  Coverage coverage;
  ContentChecks content;  // [content]: the defaults every camera starts from
  Log log;
  Access access;
  Metrics metrics;
  Web web;
  Evidence evidence;
  Alerts alerts;
  std::vector<Camera> cameras;
  std::vector<Zone> zones;
  std::optional<Floorplan> floorplan;  // [floorplan], when the file has one
  std::filesystem::path source_path;  // the file (or name) it was parsed from
  std::string source_text;            // the bytes parsed, credentials and all: the history stores
                                      // config::redacted_for_history(source_text), never this

  const Camera* find_camera(std::string_view id) const;
  const Zone* find_zone(std::string_view id) const;
};

// [alerts] disk_low_forecast_days as configured, else [retention] care_days + 10.
int disk_low_forecast_days(const Config& config);

}  // namespace carekeep::config
