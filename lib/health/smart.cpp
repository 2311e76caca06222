#include "health/smart.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace carekeep::health {
namespace {

using Json = nlohmann::json;

// smartctl(8), EXIT STATUS: bit 3 "SMART status check returned DISK FAILING".
constexpr int kExitDiskFailing = 1 << 3;

// ATA attributes whose raw value counts damage (the ones Backblaze's drive statistics found
// to predict failure; vendors agree on their meaning, unlike most raw values).
struct CountedAttribute {
  int id;
  const char* what;  // "N <what>"
};
constexpr CountedAttribute kCounted[] = {
    {5, "sectors reallocated: the disk has replaced damaged sectors with spare ones"},
    {187, "errors the disk could not correct (Reported_Uncorrect)"},
    {197, "sectors waiting to be reallocated: they could not be read"},
    {198, "sectors that could not be read or repaired offline"},
};

// NVMe critical warning bits (NVM Express base specification, SMART / Health log, byte 0).
struct WarningBit {
  unsigned bit;
  const char* what;
};
constexpr WarningBit kNvmeWarnings[] = {
    {0x01, "spare capacity below its threshold"},
    {0x02, "temperature beyond its limit"},
    {0x04, "reliability degraded by media or internal errors"},
    {0x08, "media placed in read-only mode"},
    {0x10, "volatile memory backup failed"},
    {0x20, "persistent memory region read-only or unreliable"},
};

const Json* member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string text_of(const Json& object, const char* key) {
  const Json* v = member(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::optional<std::int64_t> int_of(const Json& object, const char* key) {
  const Json* v = member(object, key);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  return v->get<std::int64_t>();
}

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void read_ata(const Json& root, DiskHealth& disk) {
  const Json* attributes = member(root, "ata_smart_attributes");
  const Json* table = attributes != nullptr ? member(*attributes, "table") : nullptr;
  if (table == nullptr || !table->is_array()) return;
  for (const auto& a : *table) {
    std::string name = text_of(a, "name");
    auto id = int_of(a, "id").value_or(0);
    if (name.empty()) name = "attribute " + std::to_string(id);
    auto value = int_of(a, "value");
    auto thresh = int_of(a, "thresh");
    auto worst = int_of(a, "worst");
    const Json* raw = member(a, "raw");
    std::int64_t raw_value = raw != nullptr ? int_of(*raw, "value").value_or(0) : 0;
    std::string raw_text = raw != nullptr ? text_of(*raw, "string") : std::string();
    std::string when = text_of(a, "when_failed");
    std::string figures = "normalized value " + (value ? std::to_string(*value) : std::string("?")) +
                          ", failure threshold " + (thresh ? std::to_string(*thresh) : std::string("?"));
    if (!raw_text.empty()) figures += ", raw " + raw_text;
    if (when == "now") {
      disk.findings.push_back({name, "at or below its failure threshold now (" + figures + ")", true});
      continue;
    }
    if (when == "past") {
      disk.findings.push_back({name,
                               "fell to or below its failure threshold in the past (worst " +
                                   (worst ? std::to_string(*worst) : std::string("?")) + "; " + figures + ")",
                               false});
      continue;
    }
    for (const auto& counted : kCounted) {
      if (counted.id == id && raw_value > 0) {
        disk.findings.push_back({name, std::to_string(raw_value) + " " + counted.what, false});
      }
    }
  }
}

void read_nvme(const Json& root, DiskHealth& disk) {
  const Json* log = member(root, "nvme_smart_health_information_log");
  if (log == nullptr || !log->is_object()) return;
  auto critical = int_of(*log, "critical_warning").value_or(0);
  if (critical != 0) {
    std::string what;
    for (const auto& w : kNvmeWarnings) {
      if ((static_cast<unsigned>(critical) & w.bit) != 0) what += (what.empty() ? "" : ", ") + std::string(w.what);
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(critical));
    disk.findings.push_back({"critical_warning", std::string(hex) + ": " + (what.empty() ? "unknown bits" : what), true});
  }
  auto spare = int_of(*log, "available_spare");
  auto spare_threshold = int_of(*log, "available_spare_threshold");
  if ((critical & 0x01) == 0 && spare && spare_threshold && *spare < *spare_threshold) {
    disk.findings.push_back({"available_spare",
                             std::to_string(*spare) + " % spare capacity left, below its threshold of " +
                                 std::to_string(*spare_threshold) + " %",
                             true});
  }
  if (auto media = int_of(*log, "media_errors"); media && *media > 0) {
    disk.findings.push_back(
        {"media_errors", plural(*media, "unrecovered media error", "unrecovered media errors") + ": data could not be read back",
         false});
  }
  if (auto used = int_of(*log, "percentage_used"); used && *used >= 100) {
    disk.findings.push_back(
        {"percentage_used", std::to_string(*used) + " % of its rated write endurance used: worn out by its maker's measure",
         false});
  }
  if (!disk.power_on_hours) disk.power_on_hours = int_of(*log, "power_on_hours");
}

void read_scsi(const Json& root, DiskHealth& disk) {
  if (auto grown = int_of(root, "scsi_grown_defect_list"); grown && *grown > 0) {
    disk.findings.push_back({"scsi_grown_defect_list",
                             plural(*grown, "defect", "defects") + " found since the disk left the factory", false});
  }
}

std::string messages_of(const Json& smartctl) {
  const Json* messages = member(smartctl, "messages");
  if (messages == nullptr || !messages->is_array()) return "";
  std::string out;
  for (const auto& m : *messages) {
    auto text = text_of(m, "string");
    if (text.empty()) continue;
    out += (out.empty() ? "" : "; ") + text;
  }
  return out;
}

std::string describe_disk(const DiskHealth& d) {
  std::string out = "the disk " + d.device;
  std::string what = d.model;
  if (!d.serial.empty()) what += (what.empty() ? "" : ", ") + std::string("serial ") + d.serial;
  if (!what.empty()) out += " (" + what + ")";
  return out;
}

std::string findings_text(const DiskHealth& d) {
  std::string out;
  for (const auto& f : d.findings) out += (out.empty() ? "" : "; ") + f.attribute + ": " + f.detail;
  return out;
}

std::string when_text(UtcTime t, const TimeZone* zone) {
  return zone != nullptr ? format_local_iso(t, *zone) : format_utc_iso(t);
}

Json disk_json(const DiskHealth& d) {
  Json findings = Json::array();
  for (const auto& f : d.findings) findings.push_back({{"attribute", f.attribute}, {"detail", f.detail}, {"failing", f.failing}});
  return {{"device", d.device},
          {"model", d.model},
          {"serial", d.serial},
          {"protocol", d.protocol},
          {"verdict", std::string(to_string(d.verdict))},
          {"reason", d.reason},
          {"exit_status", d.exit_status},
          {"temperature_c", d.temperature_c ? Json(*d.temperature_c) : Json(nullptr)},
          {"power_on_hours", d.power_on_hours ? Json(*d.power_on_hours) : Json(nullptr)},
          {"findings", findings}};
}

}  // namespace

std::string_view to_string(SmartVerdict verdict) {
  switch (verdict) {
    case SmartVerdict::Healthy:
      return "healthy";
    case SmartVerdict::Warning:
      return "warning";
    case SmartVerdict::Failing:
      return "failing";
    case SmartVerdict::Unavailable:
      return "unavailable";
  }
  return "unavailable";
}

std::optional<SmartVerdict> parse_verdict(std::string_view text) {
  for (auto v : {SmartVerdict::Healthy, SmartVerdict::Warning, SmartVerdict::Failing, SmartVerdict::Unavailable}) {
    if (to_string(v) == text) return v;
  }
  return std::nullopt;
}

Result<DiskHealth> parse_smartctl(std::string_view text, std::string_view device) {
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const Json* smartctl = member(root, "smartctl");
  if (smartctl == nullptr || !smartctl->is_object()) {
    return fail(ErrorKind::InvalidArgument, "smartctl printed no JSON report for " + std::string(device) +
                                                " (is it smartmontools 7.0 or later, which knows --json?)");
  }
  DiskHealth disk;
  disk.device = std::string(device);
  disk.exit_status = static_cast<int>(int_of(*smartctl, "exit_status").value_or(0));
  if (const Json* dev = member(root, "device")) disk.protocol = text_of(*dev, "protocol");
  disk.model = text_of(root, "model_name");
  if (disk.model.empty()) disk.model = text_of(root, "scsi_model_name");
  disk.serial = text_of(root, "serial_number");
  if (const Json* t = member(root, "temperature")) {
    if (auto c = int_of(*t, "current")) disk.temperature_c = static_cast<int>(*c);
  }
  if (const Json* p = member(root, "power_on_time")) disk.power_on_hours = int_of(*p, "hours");

  const Json* status = member(root, "smart_status");
  const Json* passed = status != nullptr ? member(*status, "passed") : nullptr;
  bool has_data = (passed != nullptr && passed->is_boolean()) || member(root, "ata_smart_attributes") != nullptr ||
                  member(root, "nvme_smart_health_information_log") != nullptr;
  if (!has_data) {
    disk.verdict = SmartVerdict::Unavailable;
    const Json* support = member(root, "smart_support");
    const Json* available = support != nullptr ? member(*support, "available") : nullptr;
    if (available != nullptr && available->is_boolean() && !available->get<bool>()) {
      disk.reason = "the disk does not offer SMART";
    } else {
      disk.reason = messages_of(*smartctl);
      if (disk.reason.empty())
        disk.reason = "smartctl found no SMART data (exit status " + std::to_string(disk.exit_status) + ")";
    }
    return disk;
  }
  bool failed_status = (passed != nullptr && passed->is_boolean() && !passed->get<bool>()) ||
                       (disk.exit_status & kExitDiskFailing) != 0;
  if (failed_status) disk.findings.push_back({"smart_status", "the disk's overall self-assessment is FAILED", true});
  read_ata(root, disk);
  read_nvme(root, disk);
  read_scsi(root, disk);
  bool failing = false;
  for (const auto& f : disk.findings) failing = failing || f.failing;
  disk.verdict = failing ? SmartVerdict::Failing : disk.findings.empty() ? SmartVerdict::Healthy : SmartVerdict::Warning;
  return disk;
}

bool SmartState::available() const {
  for (const auto& d : disks) {
    if (d.verdict != SmartVerdict::Unavailable) return true;
  }
  return false;
}

std::string to_json_text(const SmartState& state) {
  Json disks = Json::array();
  for (const auto& d : state.disks) disks.push_back(disk_json(d));
  Json out{{"version", 1},
           {"checked", format_utc_iso(state.checked)},
           {"checked_us", to_us(state.checked)},
           {"storage", state.storage},
           {"source", state.source},
           {"reason", state.reason},
           {"last_available_us", state.last_available ? Json(to_us(*state.last_available)) : Json(nullptr)},
           {"disks", disks}};
  return out.dump(2) + "\n";
}

Result<SmartState> parse_state(std::string_view text) {
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto version = int_of(root, "version");
  auto checked = int_of(root, "checked_us");
  const Json* disks = member(root, "disks");
  if (!version || *version != 1 || !checked || disks == nullptr || !disks->is_array())
    return fail(ErrorKind::InvalidArgument, "not a carekeep smart.json (version 1)");
  // Times are compared with now (status_json, assess): a value near the ends of int64 made
  // `now - checked` overflow (tests/fuzz/regressions/smart). No probe ran before 1970 or
  // will run after 9999.
  constexpr std::int64_t kLatestUs = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z
  auto plausible = [](std::int64_t us) { return us >= 0 && us <= kLatestUs; };
  auto last = int_of(root, "last_available_us");
  if (!plausible(*checked) || (last && !plausible(*last)))
    return fail(ErrorKind::InvalidArgument, "smart.json: a time outside 1970-9999");
  SmartState state;
  state.checked = from_us(*checked);
  state.storage = text_of(root, "storage");
  state.source = text_of(root, "source");
  state.reason = text_of(root, "reason");
  if (last) state.last_available = from_us(*last);
  for (const auto& d : *disks) {
    DiskHealth disk;
    disk.device = text_of(d, "device");
    disk.model = text_of(d, "model");
    disk.serial = text_of(d, "serial");
    disk.protocol = text_of(d, "protocol");
    auto verdict = parse_verdict(text_of(d, "verdict"));
    if (!verdict) return fail(ErrorKind::InvalidArgument, "smart.json: disk " + disk.device + " has no verdict");
    disk.verdict = *verdict;
    disk.reason = text_of(d, "reason");
    disk.exit_status = static_cast<int>(int_of(d, "exit_status").value_or(0));
    if (auto t = int_of(d, "temperature_c")) disk.temperature_c = static_cast<int>(*t);
    disk.power_on_hours = int_of(d, "power_on_hours");
    if (const Json* findings = member(d, "findings"); findings != nullptr && findings->is_array()) {
      for (const auto& f : *findings) {
        const Json* failing = member(f, "failing");
        disk.findings.push_back(
            {text_of(f, "attribute"), text_of(f, "detail"), failing != nullptr && failing->is_boolean() && failing->get<bool>()});
      }
    }
    state.disks.push_back(std::move(disk));
  }
  return state;
}

Result<std::optional<SmartState>> read_state(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) return std::optional<SmartState>{};
    return fail(ErrorKind::FailedPrecondition, "cannot read " + path.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  auto state = parse_state(text.str());
  if (!state) return tl::unexpected(std::move(state.error()).with_context(path.string()));
  return std::optional<SmartState>{std::move(*state)};
}

nlohmann::json status_json(const SmartState& state, UtcTime now, Micros stale_after) {
  Json disks = Json::array();
  for (const auto& d : state.disks) disks.push_back(disk_json(d));
  return {{"checked_us", to_us(state.checked)},
          {"stale", now - state.checked > stale_after},
          {"source", state.source},
          {"reason", state.reason},
          {"disks", disks}};
}

std::filesystem::path state_path(const std::filesystem::path& database) {
  auto path = database;
  path.replace_filename("smart.json");
  return path;
}

std::vector<SmartConcern> assess(const SmartAssessmentInput& input) {
  std::vector<SmartConcern> out;
  if (input.state == nullptr) return out;
  const SmartState& state = *input.state;
  const bool seen = input.seen_available || state.last_available.has_value() || state.available();
  for (const auto& d : state.disks) {
    if (d.verdict == SmartVerdict::Failing) {
      out.push_back({SmartConcern::Kind::Failing, d.device,
                     describe_disk(d) + ", which holds the footage in " + state.storage +
                         ", is failing by its own SMART data: " + findings_text(d) +
                         ". It may stop working any day and take the footage with it. Replace it soon: first copy "
                         "the footage that must be kept (`carekeep export`, or copy the storage directory to the "
                         "new disk), then swap the disk." +
                         std::string(" Details: `smartctl -a ") + d.device + "` (as root)."});
    } else if (d.verdict == SmartVerdict::Warning) {
      out.push_back({SmartConcern::Kind::Warning, d.device,
                     describe_disk(d) + ", which holds the footage in " + state.storage +
                         ", shows early signs of damage or wear in its SMART data: " + findings_text(d) +
                         ". It still works. Plan to replace it, and replace it soon if these numbers grow." +
                         std::string(" Details: `smartctl -a ") + d.device + "` (as root)."});
    }
  }
  if (!seen) return out;  // never offered SMART: nothing to miss
  const std::string since =
      state.last_available ? " It was last readable at " + when_text(*state.last_available, input.zone) + "." : "";
  if (input.now - state.checked > input.stale_after) {
    out.push_back({SmartConcern::Kind::Unavailable, "",
                   "the SMART health of the footage disk was last checked at " + when_text(state.checked, input.zone) +
                       ": the hourly check has stopped, so a failing disk would go unnoticed. Check it with "
                       "`systemctl status carekeep-smart.timer carekeep-smart.service`, and start it again with "
                       "`systemctl enable --now carekeep-smart.timer`."});
    return out;
  }
  if (!state.available()) {
    std::string why = state.reason;
    for (const auto& d : state.disks) {
      if (!d.reason.empty()) why += (why.empty() ? "" : "; ") + d.device + ": " + d.reason;
    }
    if (why.empty()) why = "no disk found under " + state.storage;
    out.push_back({SmartConcern::Kind::Unavailable, "",
                   "the SMART health of the footage disk can no longer be read (" + why + ")." + since +
                       " Check that the disk is still connected and seen by the system (`lsblk`, `dmesg`), and that "
                       "smartmontools is installed (`apt install smartmontools`)."});
    return out;
  }
  for (const auto& d : state.disks) {
    if (d.verdict != SmartVerdict::Unavailable) continue;
    // One disk of several (a mirror) gave nothing: it may be the one dropping out.
    out.push_back({SmartConcern::Kind::Unavailable, d.device,
                   describe_disk(d) + ", one of the disks under the footage, gave no SMART data (" + d.reason +
                       ") while the others did. Check that it is still connected and part of the array (`lsblk`, "
                       "`cat /proc/mdstat`, `dmesg`)."});
  }
  return out;
}

}  // namespace carekeep::health
