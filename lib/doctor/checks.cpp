#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/text.hpp"
#include "control/policy.hpp"
#include "control/session.hpp"
#include "doctor/doctor.hpp"
#include "status/status.hpp"

namespace carekeep::doctor {
namespace fs = std::filesystem;

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Pass: return "pass";
    case Verdict::Warn: return "warn";
    case Verdict::Fail: return "fail";
    case Verdict::Skip: return "skip";
  }
  return "?";
}

bool fit(const std::vector<Check>& checks) {
  for (const auto& c : checks) {
    if (c.verdict == Verdict::Fail) return false;
  }
  return true;
}

namespace {

std::string number(double value, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

}  // namespace

std::optional<Space> space_of(const fs::path& path) {
  struct statvfs vfs{};
  if (::statvfs(mounts::resolve_existing(path).c_str(), &vfs) != 0) return std::nullopt;
  return Space{static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize,
               static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize};
}

Check check_storage(const config::Config& config, const std::optional<Mount>& mount, const std::optional<Space>& space) {
  const auto& storage = config.site.storage;
  Check c{"storage", storage.string(), Verdict::Pass, "", ""};
  if (!mount || !space) {
    c.verdict = Verdict::Fail;
    c.finding = "cannot tell which disk holds " + storage.string();
    c.advice = "mount the footage disk and make sure " + storage.string() + " is on it";
    return c;
  }
  std::string where = "on " + mount->source + " (" + mount->fs_type + ") mounted at " + mount->mount_point.string();
  // Before anything else: nothing can be recorded on it whatever the disk (issue 14).
  if (mount->read_only) {
    c.verdict = Verdict::Fail;
    if (mount->fs_read_only) {
      c.finding = "the file system holding " + storage.string() + " is read-only: " + where;
      c.advice = "if the kernel made it read-only after disk errors, check the disk (`dmesg`, `smartctl -H`) and "
                 "repair or replace it; then remount it read-write (mount -o remount,rw " +
                 mount->mount_point.string() + ")";
    } else {
      c.finding = storage.string() + " is reached through a read-only mount, though its file system is read-write: " +
                  where;
      c.advice = "remount it read-write (mount -o remount,bind,rw " + mount->mount_point.string() + ")";
    }
    return c;
  }
  bool sd_card = mount->source.find("mmcblk") != std::string::npos;
  if (mount->fs_type == "tmpfs" || mount->fs_type == "ramfs") {
    c.verdict = Verdict::Fail;
    c.finding = "footage would be kept in memory (" + mount->fs_type + ") and lost at every power cut: " + where;
    c.advice = "mount a real disk (an SSD or hard disk) and point [site] storage at it";
    return c;
  }
  if (sd_card && mount->mount_point == "/") {
    c.verdict = Verdict::Fail;
    c.finding = "footage would go on the SD card that holds the system: " + where;
    c.advice = "SD cards wear out under continuous recording and are too small for 90 days; "
               "mount an SSD or hard disk and point [site] storage at it";
    return c;
  }
  if (!fs::exists(storage)) {
    c.verdict = Verdict::Warn;
    c.finding = storage.string() + " does not exist yet; it would be " + where;
    c.advice = "carekeepd creates it at start; check that this is the disk you meant";
  }
  double reserve = static_cast<double>(space->total_bytes) * config.retention.min_free_percent / 100.0;
  std::string free_text = text::human_bytes(static_cast<double>(space->free_bytes)) + " free of " +
                          text::human_bytes(static_cast<double>(space->total_bytes));
  if (static_cast<double>(space->free_bytes) <= reserve) {
    c.verdict = Verdict::Fail;
    c.finding = free_text + ", within the " + number(config.retention.min_free_percent, 0) +
                " % reserve ([retention] min_free_percent): " + where;
    c.advice = "free space on the disk or use a bigger one; carekeepd deletes old footage first "
               "and cannot record more than the reserve allows";
    return c;
  }
  if (sd_card && c.verdict == Verdict::Pass) {
    c.verdict = Verdict::Warn;
    c.finding = free_text + ", on an SD card: " + where;
    c.advice = "SD cards wear out under continuous recording; prefer an SSD or hard disk";
    return c;
  }
  if (mount->mount_point == "/" && c.verdict == Verdict::Pass) {
    c.verdict = Verdict::Warn;
    c.finding = free_text + ", on the system's root file system: " + where;
    c.advice = "a separate footage disk keeps a full disk from stopping the system";
    return c;
  }
  if (c.finding.empty()) c.finding = free_text + ", " + where;
  return c;
}

double care_seconds_per_day(const config::CareHours& hours) {
  double minutes = 0;
  for (const auto& day : hours.weekly) {
    for (const auto& r : day) minutes += r.end_offset_minutes() - r.start_minute;
  }
  return minutes * 60 / 7;
}

Capacity forecast(const config::Config& config, const CapacityInput& input) {
  Capacity cap;
  double total = static_cast<double>(input.total_bytes);
  // Everything on the disk that is not footage stays; footage may use the rest down to the reserve.
  double other_data = std::max(0.0, total - static_cast<double>(input.free_bytes) - static_cast<double>(input.footage_bytes));
  cap.usable_bytes = std::max(0.0, total * (1 - config.retention.min_free_percent / 100.0) - other_data);
  if (config.retention.max_bytes) cap.usable_bytes = std::min(cap.usable_bytes, static_cast<double>(*config.retention.max_bytes));
  double bytes_per_second = input.bitrate_bps / 8;
  double care = care_seconds_per_day(config.care_hours);
  double rest = 86400 - care;
  // Care-hours footage stays care_days; the rest goes after other_days (PRODUCT.md §3).
  cap.needed_bytes = bytes_per_second * (care * config.retention.care_days + rest * config.retention.other_days);
  double care_per_day = bytes_per_second * care;
  double rest_total = bytes_per_second * rest * config.retention.other_days;
  if (care_per_day > 0) cap.days_of_care = std::max(0.0, (cap.usable_bytes - rest_total) / care_per_day);
  return cap;
}

Check check_capacity(const config::Config& config, const CapacityInput& input) {
  Check c{"capacity", config.site.storage.string(), Verdict::Pass, "", ""};
  if (input.cameras_measured == 0 || input.bitrate_bps <= 0) {
    c.verdict = input.cameras_enabled == 0 ? Verdict::Skip : Verdict::Fail;
    c.finding = input.cameras_enabled == 0 ? "no enabled camera: nothing to forecast"
                                           : "no camera could be measured, so the disk cannot be sized";
    c.advice = input.cameras_enabled == 0 ? "" : "fix the camera checks below, then run carekeep doctor again";
    return c;
  }
  Capacity cap = forecast(config, input);
  std::string rate = number(input.bitrate_bps / 1e6, 2) + " Mbit/s from " + std::to_string(input.cameras_measured) +
                     " camera" + (input.cameras_measured == 1 ? "" : "s");
  if (input.cameras_measured < input.cameras_enabled) rate += " (of " + std::to_string(input.cameras_enabled) + " enabled)";
  c.finding = rate + ": " + number(config.retention.care_days, 0) + " days of care footage need " +
              text::human_bytes(cap.needed_bytes) + ", footage may use " + text::human_bytes(cap.usable_bytes) + " (room for " +
              number(std::floor(cap.days_of_care), 0) + " days)";
  if (cap.days_of_care < config.retention.care_days) {
    c.verdict = Verdict::Fail;
    c.advice = "the disk fills before footage is " + number(config.retention.care_days, 0) +
               " days old: use a disk of at least " + text::human_bytes(cap.needed_bytes / (1 - config.retention.min_free_percent / 100.0)) +
               ", or lower the cameras' bitrate in their web settings";
  } else if (cap.days_of_care < config.retention.care_days * 1.1) {
    c.verdict = Verdict::Warn;
    c.advice = "less than 10 % to spare: a busier scene (higher bitrate) may fill the disk early";
  } else if (input.cameras_measured < input.cameras_enabled) {
    c.verdict = Verdict::Warn;
    c.advice = "cameras that could not be measured are not counted; fix them and run carekeep doctor again";
  }
  return c;
}

ClockState read_clock() {
  ClockState state;
  timex tx{};
  int rc = ::adjtimex(&tx);  // modes = 0: read only
  if (rc != -1) state.synchronized = rc != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    state.system_zone = std::string(tz[0] == ':' ? tz + 1 : tz);
  } else {
    std::error_code ec;
    auto target = fs::read_symlink("/etc/localtime", ec);
    if (!ec) {
      auto text = target.string();
      auto at = text.find("zoneinfo/");
      if (at != std::string::npos) state.system_zone = text.substr(at + 9);
    } else if (std::ifstream tzfile("/etc/timezone"); tzfile) {
      std::string zone;
      if (std::getline(tzfile, zone) && !zone.empty()) state.system_zone = zone;
    }
  }
  return state;
}

Check check_clock(const ClockState& state) {
  Check c{"clock", "", Verdict::Pass, "the clock is synchronised (NTP)", ""};
  if (!state.synchronized) {
    c.verdict = Verdict::Warn;
    c.finding = "cannot read the kernel's clock synchronisation state";
    c.advice = "check with timedatectl that NTP is active";
  } else if (!*state.synchronized) {
    c.verdict = Verdict::Fail;
    c.finding = "the clock is not synchronised: recordings would carry wrong times";
    c.advice = "enable NTP (timedatectl set-ntp true, or install systemd-timesyncd or chrony) and "
               "check that the box reaches a time server";
  }
  return c;
}

Check check_timezone(const config::Config& config, const ClockState& state) {
  Check c{"timezone", config.site.timezone, Verdict::Pass, "", ""};
  auto zone = TimeZone::locate(config.site.timezone);
  if (!zone) {
    c.verdict = Verdict::Fail;
    c.finding = "[site] timezone \"" + config.site.timezone + "\" is unknown to this box";
    c.advice = "install tzdata or use an IANA zone name such as Asia/Shanghai";
    return c;
  }
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  c.finding = "site time is " + format_local_iso(now, *zone) + " (" + config.site.timezone + ")";
  if (!state.system_zone) {
    c.verdict = Verdict::Warn;
    c.finding += "; the system's time zone is not set";
    c.advice = "set it to match: timedatectl set-timezone " + config.site.timezone;
  } else if (*state.system_zone != config.site.timezone) {
    auto system = TimeZone::locate(*state.system_zone);
    bool same_offset = system && format_local_iso(now, *system) == format_local_iso(now, *zone);
    c.verdict = same_offset ? Verdict::Pass : Verdict::Warn;
    c.finding += "; the system uses " + *state.system_zone;
    if (!same_offset) c.advice = "care hours follow [site] timezone; if that is right, set the system to match: "
                                 "timedatectl set-timezone " + config.site.timezone;
  }
  return c;
}

namespace {

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string user_name(uid_t uid) {
  if (auto* pw = ::getpwuid(uid)) return pw->pw_name;
  return std::to_string(uid);
}

// `others_mask`: the permission bits others must not have.
Check check_path(const std::string& name, const fs::path& path, bool required, mode_t others_mask,
                 const struct passwd* daemon, bool daemon_must_own, const std::string& why) {
  Check c{name, path.string(), Verdict::Pass, "", ""};
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    c.verdict = required ? Verdict::Fail : Verdict::Skip;
    c.finding = path.string() + " does not exist" + (required ? "" : " (yet)");
    if (required) c.advice = "install the package or create it as carekeep.tmpfiles does";
    return c;
  }
  c.finding = "mode " + mode_text(st.st_mode) + ", owner " + user_name(st.st_uid);
  if ((st.st_mode & others_mask) != 0) {
    c.verdict = Verdict::Fail;
    c.advice = "other users can read it (" + why + "): chmod o-rwx " + path.string();
    return c;
  }
  if (daemon != nullptr && daemon_must_own && st.st_uid != daemon->pw_uid) {
    c.verdict = Verdict::Fail;
    c.advice = "carekeepd runs as " + std::string(daemon->pw_name) + " and must own it: chown " + daemon->pw_name +
               ":" + daemon->pw_name + " " + path.string();
  }
  return c;
}

}  // namespace

std::vector<Check> check_permissions(const config::Config& config, const fs::path& config_path,
                                     std::string_view daemon_user) {
  std::vector<Check> checks;
  const struct passwd* daemon = ::getpwnam(std::string(daemon_user).c_str());
  auto state_dir = config.site.database.parent_path();
  auto status = state_dir / "status.json";
  checks.push_back(check_path("state_dir", state_dir, false, S_IRWXO, daemon, true, "it holds the index of all footage"));
  checks.push_back(check_path("database", config.site.database, false, S_IRWXO, daemon, true,
                              "it lists every recording of the children"));
  checks.push_back(check_path("status_file", status, false, S_IWOTH, daemon, true, "it is the daemon's live state"));
  // Camera URLs in the config carry passwords.
  bool credentials = false;
  for (const auto& camera : config.cameras) credentials |= camera.url.find('@') != std::string::npos;
  checks.push_back(check_path("config_file", config_path, true, credentials ? S_IRWXO : S_IWOTH, daemon, false,
                              "camera passwords are in it"));
  if (daemon == nullptr) {
    checks.push_back({"daemon_user", std::string(daemon_user), Verdict::Warn,
                      "there is no user " + std::string(daemon_user) + " on this box",
                      "install the carekeep package (it creates the user and the carekeep-operator and "
                      "carekeep-inspector groups)"});
  }
  // The control socket of PRODUCT.md §6 does not exist yet; nothing to check.
  return checks;
}

Check check_daemon(const config::Config& config, UtcTime now, std::chrono::seconds max_age) {
  auto path = status::status_path(config.site.database);
  Check c{"daemon", path.string(), Verdict::Pass, "", ""};
  std::ifstream in(path);
  if (!in) {
    c.verdict = Verdict::Fail;
    c.finding = "carekeepd has not run with this configuration (no " + path.string() + ")";
    c.advice = "start it: systemctl enable --now carekeepd";
    return c;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto status = status::parse(text);
  if (!status || status->updated == UtcTime{}) {
    c.verdict = Verdict::Fail;
    c.finding = path.string() + " is not a status file of carekeepd";
    c.advice = "restart carekeepd: systemctl restart carekeepd";
    return c;
  }
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - status->updated);
  auto pid = static_cast<pid_t>(status->pid);
  bool alive = pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
  if (age > max_age || !alive) {
    c.verdict = Verdict::Fail;
    c.finding = "carekeepd is not running (its status was last written " + std::to_string(age.count()) + " s ago)";
    c.advice = "start it and read why it stopped: systemctl start carekeepd; journalctl -u carekeepd";
    return c;
  }
  int up = 0;
  int enabled = 0;
  std::vector<std::string> down;
  for (const auto& camera : status->cameras) {
    if (!camera.enabled) continue;
    ++enabled;
    if (camera.up) {
      ++up;
    } else {
      down.push_back(camera.camera.empty() ? std::string("?") : camera.camera);
    }
  }
  c.finding = "carekeepd (pid " + std::to_string(pid) + ") is running: " + std::to_string(up) + " of " +
              std::to_string(enabled) + " cameras recording";
  // The console's certificate: what a person compares with the browser's warning (issue 16).
  if (status->web) {
    c.finding += "; web console " + std::string(status->web->https ? "https" : "http") + "://" + status->web->listen +
                 " (port " + std::to_string(status->web->port) + ")";
    if (!status->web->fingerprint_sha256.empty())
      c.finding += ", certificate SHA-256 " + status->web->fingerprint_sha256;
  }
  if (enabled == 0 || up < enabled) {
    c.verdict = Verdict::Fail;
    std::string names;
    for (const auto& d : down) names += (names.empty() ? "" : ", ") + d;
    c.advice = enabled == 0 ? "enable at least one camera in the configuration"
                            : "not recording: " + names + "; see carekeep status for the reason";
  }
  return c;
}

std::vector<Check> check_control(const config::Config& config) {
  std::vector<Check> checks;
  const auto& socket = config.access.socket;
  Check c{"control", socket.string(), Verdict::Pass, "", ""};
  auto connection = control::connect(socket);
  auto pong = connection ? control::ping(connection->get()) : Result<control::Json>(tl::unexpected(connection.error()));
  if (!pong) {
    c.verdict = Verdict::Fail;
    c.finding = "carekeepd does not answer on its control socket: " + pong.error().message;
    c.advice = "inspectors and operators reach the daemon there; restart it and read why: systemctl restart "
               "carekeepd; journalctl -u carekeepd | grep control";
    checks.push_back(std::move(c));
    return checks;
  }
  c.finding = "carekeepd (pid " + std::to_string(pong->value("pid", 0)) + ", version " +
              pong->value("version", std::string("?")) + ") answers at " + socket.string();
  // Other users need to search every folder above the socket and to write the socket itself.
  std::string closed;
  for (auto dir = socket.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) closed = dir.string();
    if (dir == dir.root_path()) break;
  }
  struct stat st {};
  if (!closed.empty()) {
    c.verdict = Verdict::Warn;
    c.finding += ", but other users cannot reach it: " + closed + " is not searchable by them";
    c.advice = "let inspectors through (chmod o+x " + closed + ") or set [access] socket to /run/carekeep/control.sock";
  } else if (::stat(socket.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) == 0) {
    c.verdict = Verdict::Warn;
    c.finding += ", but other users may not write to it (mode " + std::to_string(st.st_mode & 0777) + ")";
    c.advice = "restart carekeepd: it sets the socket's mode when it starts";
  }
  checks.push_back(std::move(c));
  for (const auto& [role, group] : {std::pair<std::string, std::string>{"inspector", config.access.inspector_group},
                                    std::pair<std::string, std::string>{"operator", config.access.operator_group}}) {
    Check g{"access_group", group, Verdict::Pass, "", ""};
    if (auto gid = control::resolve_group(group)) {
      g.finding = "the " + role + " group " + group + " exists (gid " + std::to_string(*gid) + ")";
    } else {
      g.verdict = Verdict::Warn;
      g.finding = "the " + role + " group " + group + " does not exist: only root can do what it allows";
      g.advice = "create it (groupadd --system " + group + ") and add the people who need it (usermod -aG " + group + " NAME)";
    }
    checks.push_back(std::move(g));
  }
  return checks;
}

std::vector<Check> check_disk_health(const health::SmartState& state, UtcTime now, Micros stale_after) {
  std::vector<Check> out;
  const std::string stale = now - state.checked > stale_after
                                ? " (read at " + format_utc_iso(state.checked) +
                                      ": the hourly check has stopped; `systemctl enable --now carekeep-smart.timer`)"
                                : "";
  if (state.disks.empty()) {
    out.push_back({"disk_health", state.storage, Verdict::Warn,
                   "SMART health cannot be read: " + (state.reason.empty() ? std::string("no disk found") : state.reason) + stale,
                   "a failing disk would go unnoticed until it fails; keep footage on a local SATA or NVMe disk"});
    return out;
  }
  for (const auto& d : state.disks) {
    Check c{"disk_health", d.device, Verdict::Pass, "", ""};
    std::string who = d.model.empty() ? d.device : d.device + " (" + d.model + ")";
    std::string findings;
    for (const auto& f : d.findings) findings += (findings.empty() ? "" : "; ") + f.attribute + ": " + f.detail;
    switch (d.verdict) {
      case health::SmartVerdict::Healthy: {
        c.finding = who + " is healthy by its SMART data";
        std::string extra;
        if (d.temperature_c) extra = std::to_string(*d.temperature_c) + " °C";
        if (d.power_on_hours) extra += (extra.empty() ? "" : ", ") + std::to_string(*d.power_on_hours) + " hours in use";
        if (!extra.empty()) c.finding += " (" + extra + ")";
        break;
      }
      case health::SmartVerdict::Warning:
        c.verdict = Verdict::Warn;
        c.finding = who + " shows early signs of damage or wear: " + findings;
        c.advice = "plan to replace the disk; replace it soon if these numbers grow (`smartctl -a " + d.device + "`)";
        break;
      case health::SmartVerdict::Failing:
        c.verdict = Verdict::Fail;
        c.finding = who + " is failing by its own SMART data: " + findings;
        c.advice = "replace the disk now: copy the footage that must be kept first (carekeep export, or copy the "
                   "storage directory to the new disk)";
        break;
      case health::SmartVerdict::Unavailable:
        c.verdict = Verdict::Warn;
        c.finding = who + " gives no SMART data: " + d.reason;
        c.advice = d.reason.find("not installed") != std::string::npos
                       ? "apt install smartmontools"
                       : "a failing disk would go unnoticed until it fails; prefer a disk (and adapter) that offers SMART";
        break;
    }
    if (!stale.empty() && c.verdict == Verdict::Pass) c.verdict = Verdict::Warn;
    c.finding += stale;
    out.push_back(std::move(c));
  }
  return out;
}

bool uses_tls(const config::Camera& camera) {
  std::string scheme = camera.url.substr(0, 8);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return scheme == "rtsps://";
}

Check check_camera_tls(const config::Camera& camera, const TlsSeen& seen) {
  Check c{"camera_tls", camera.id, Verdict::Pass, "", ""};
  std::string pin_line;
  std::string presents;
  if (seen.inspection) {
    pin_line = "tls_fingerprint = \"" + to_fingerprint(seen.inspection->certificate.fingerprint) + "\"";
    presents = "the camera presents " + ingest::tls::describe(seen.inspection->certificate);
  }
  if (!camera.tls_verify) {
    c.verdict = Verdict::Warn;
    c.finding = "tls_verify = false: the camera's certificate is not checked, so a device posing as the camera on the LAN "
                "would receive its password and could feed false video" +
                (presents.empty() ? std::string{} : "; " + presents);
    c.advice = pin_line.empty() ? "pin the camera's certificate with tls_fingerprint (run doctor again when the camera answers "
                                  "to see it) and remove tls_verify = false"
                                : "check on the camera's web page that this is its certificate, then put " + pin_line +
                                      " in its [[camera]] table and remove tls_verify = false";
    return c;
  }
  if (!seen.inspection) {
    c.verdict = Verdict::Skip;
    c.finding = "no certificate seen: " + seen.error;
    return c;
  }
  const auto& inspection = *seen.inspection;
  if (inspection.problem.empty()) {
    c.finding = "certificate trusted (" +
                std::string(camera.tls_fingerprint ? "pinned fingerprint"
                                                   : camera.tls_ca_file.empty() ? "system CA store and host name"
                                                                                : "tls_ca_file and host name") +
                "); " + presents;
    return c;
  }
  c.verdict = Verdict::Fail;
  c.finding = "recording will be refused (tls_untrusted): " + inspection.problem + "; " + presents;
  if (camera.tls_fingerprint) {
    c.advice = "find out why the camera's certificate changed; if it was renewed on purpose, pin the new one: " + pin_line;
  } else if (inspection.certificate.self_signed) {
    c.advice = "the camera uses a self-signed certificate: check on its web page that the fingerprint is the one shown here, "
               "then add " + pin_line + " to its [[camera]] table";
  } else {
    c.advice = "give the CA that signed the camera's certificate as tls_ca_file, or pin the certificate: " + pin_line;
  }
  return c;
}

Check check_camera_auth(const config::Camera& camera) {
  bool plain = camera.url.rfind("rtsp://", 0) == 0 || camera.url.rfind("RTSP://", 0) == 0;
  // rtsps:// carries Basic safely only when the camera's certificate is checked.
  if (!camera.allow_basic_auth || (!plain && camera.tls_verify)) return {"camera_auth", camera.id, Verdict::Pass, "", ""};
  return {"camera_auth", camera.id, Verdict::Warn,
          "allow_basic_auth = true: the camera may send its password in clear over plain RTSP, readable on the LAN",
          "enable Digest authentication on the camera (or use rtsps://) and remove allow_basic_auth from its [[camera]] table"};
}

Check check_signing_key(const std::optional<std::string>& fingerprint, const std::optional<std::string>& pinned,
                        const std::string& pin_file) {
  Check c{"signing_key", pin_file, Verdict::Pass, "", ""};
  if (!fingerprint) {
    c.verdict = Verdict::Warn;
    c.finding = "no box key yet";
    c.advice = "start carekeepd once (it creates the key), then pin it: carekeep key --pin (as root)";
    return c;
  }
  c.finding = "fingerprint " + *fingerprint;
  if (!pinned) {
    c.verdict = Verdict::Warn;
    c.finding += ", not pinned";
    c.advice = "pin it (carekeep key --pin, as root) and register this fingerprint with the health commission";
  } else if (*pinned != *fingerprint) {
    c.verdict = Verdict::Fail;
    c.finding += ", but " + pin_file + " pins " + *pinned + ": the key beside the data was replaced";
    c.advice = "find out who replaced signing.key; exports and anchors signed since do not verify against the pin";
  } else {
    c.finding += ", pinned; register it with the health commission";
  }
  return c;
}

}  // namespace carekeep::doctor
