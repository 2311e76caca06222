#include "config/load.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "base/cidr.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "base/time.hpp"
#include "config/plan_checks.hpp"

namespace carekeep::config {

namespace {

// toml++ stops at the first syntax error. To report more than one per run we neutralize the
// offending line and parse again; past this many the rest is likely fallout of the first.
constexpr std::size_t kMaxSyntaxErrors = 10;

constexpr int kMinSegmentSeconds = 10;   // shorter: too many files and index rows per day
constexpr int kMaxSegmentSeconds = 600;  // longer: a crash or a damaged file loses too much
constexpr int kMaxFrameMib = 64;  // a camera's largest frame: 8K keyframes are far below
constexpr int kMaxDays = 100000;         // any larger is a typo, and keeps arithmetic in int
constexpr int kMaxFreePercent = 50;
constexpr double kMaxGapToleranceSeconds = 60.0;
constexpr int kMinCameraOfflineSeconds = 10;  // below this, every ordinary reconnect would alert

// Name prefix of the tables that syntax recovery puts in place of broken table headers; every
// table reader skips them, as their content is unparsed rather than wrong.
constexpr std::string_view kQuarantinePrefix = "carekeep: unparsed line ";

// Findings that a line dropped by syntax recovery could have caused (a "missing" key that
// was on the broken line, a camera whose id line was broken) are suppressed when the file had
// syntax errors: they would send the operator after problems that are not there.
enum class Reach { Local, WholeFile };

enum class Need { Optional, Required };

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }
std::string backtick(std::string_view s) { return "`" + std::string(s) + "`"; }

std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

std::string index_path(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// A URL as it may appear in a message: credentials replaced even when the URL is so
// malformed that text::redact_url does not recognise it (no "://", '/' in the password).
std::string shown_url(std::string_view url) {
  std::string shown = text::redact_url(url);
  std::size_t at = shown.rfind('@');
  if (at == std::string::npos) return shown;
  std::size_t scheme = shown.find("://");
  std::size_t begin = (scheme == std::string::npos || scheme > at) ? 0 : scheme + 3;
  if (shown.compare(begin, at - begin, "***") == 0) return shown;
  return shown.substr(0, begin) + "***" + shown.substr(at);
}

// text::closest, plus one more kind of slip it cannot see: a key with its unit or suffix left
// off ("gap_tolerance" for "gap_tolerance_seconds"), when exactly one candidate extends it.
std::optional<std::string> suggest(std::string_view wrong, const std::vector<std::string>& candidates) {
  if (auto guess = text::closest(wrong, candidates)) return guess;
  if (wrong.size() < 3) return std::nullopt;
  std::optional<std::string> extended;
  for (const auto& candidate : candidates) {
    if (candidate.size() > wrong.size() && candidate.compare(0, wrong.size(), wrong) == 0) {
      if (extended) return std::nullopt;
      extended = candidate;
    }
  }
  return extended;
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// Collects diagnostics. Every message and key passes through URL redaction here, so no code
// path can put credentials into a diagnostic, whatever it formats.
class Reporter {
 public:
  explicit Reporter(std::string file) : file_(std::move(file)) {}

  void set_partial() { partial_ = true; }

  void add(Severity severity, std::uint32_t line, std::uint32_t column, std::string_view key,
           std::string_view message, Reach reach = Reach::Local) {
    if (partial_ && reach == Reach::WholeFile) return;
    diagnostics_.push_back(Diagnostic{severity, file_, line, column, text::redact_urls_in(key),
                                      text::redact_urls_in(message)});
  }
  void error(const toml::source_region& where, std::string_view key, std::string_view message,
             Reach reach = Reach::Local) {
    add(Severity::Error, where.begin.line, where.begin.column, key, message, reach);
  }
  void error(const toml::node& at, std::string_view key, std::string_view message,
             Reach reach = Reach::Local) {
    error(at.source(), key, message, reach);
  }
  void warning(const toml::source_region& where, std::string_view key, std::string_view message,
               Reach reach = Reach::Local) {
    add(Severity::Warning, where.begin.line, where.begin.column, key, message, reach);
  }

  std::size_t error_count() const {
    return static_cast<std::size_t>(std::count_if(diagnostics_.begin(), diagnostics_.end(),
                                                  [](const Diagnostic& d) { return d.severity == Severity::Error; }));
  }
  bool has_errors() const {
    return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Error; });
  }
  std::vector<Diagnostic> take() { return std::move(diagnostics_); }

 private:
  std::string file_;
  bool partial_ = false;
  std::vector<Diagnostic> diagnostics_;
};

// Reads one TOML table: typed getters that report wrong types and missing keys, and (at
// construction) every key that is not one of `keys`, with a "did you mean" suggestion.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, Reporter& report,
              std::initializer_list<std::string_view> keys)
      : table_(table), path_(std::move(path)), report_(report), keys_(keys.begin(), keys.end()) {
    for (auto&& [key, value] : table_) {
      if (std::find(keys_.begin(), keys_.end(), key.str()) != keys_.end()) continue;
      if (key.str().substr(0, kQuarantinePrefix.size()) == kQuarantinePrefix) continue;
      std::string message = "unknown key";
      if (auto guess = suggest(key.str(), keys_)) {
        message += "; did you mean " + backtick(*guess) + "?";
      } else {
        message += "; valid keys here: " + join_list(keys_);
      }
      report_.error(key.source(), join_path(path_, key.str()), message);
    }
  }

  const toml::table& table() const { return table_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return join_path(path_, key); }
  const toml::node* get(std::string_view key) const { return table_.get(key); }

  void missing(std::string_view key, std::string_view example) {
    report_.error(table_.source(), path(key),
                  "required key is missing; add e.g. " + std::string(example), Reach::WholeFile);
  }

  void wrong_type(const toml::node& node, std::string_view key, std::string_view expected) {
    report_.error(node, path(key),
                  "must be " + std::string(expected) + " (got " + std::string(type_name(node)) + ")");
  }

  std::optional<std::string> string(std::string_view key, Need need = Need::Optional,
                                    std::string_view example = {}) {
    const toml::node* node = get(key);
    if (node == nullptr) {
      if (need == Need::Required) missing(key, example);
      return std::nullopt;
    }
    if (node->is_string()) return node->as_string()->get();
    wrong_type(*node, key, "a string");
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(std::string_view key) {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (node->is_integer()) return node->as_integer()->get();
    wrong_type(*node, key, "an integer");
    return std::nullopt;
  }

  // An integer in [lo, hi]; out-of-range values are reported with `unit` ("seconds").
  std::optional<int> integer_in(std::string_view key, int lo, int hi, std::string_view unit) {
    auto value = integer(key);
    if (!value) return std::nullopt;
    if (*value < lo || *value > hi) {
      report_.error(*get(key), path(key),
                    "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " " +
                        std::string(unit) + " (got " + std::to_string(*value) + ")");
      return std::nullopt;
    }
    return static_cast<int>(*value);
  }

  std::optional<double> number(std::string_view key) {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (node->is_integer()) return static_cast<double>(node->as_integer()->get());
    if (node->is_floating_point()) return node->as_floating_point()->get();
    wrong_type(*node, key, "a number");
    return std::nullopt;
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (node->is_boolean()) return node->as_boolean()->get();
    wrong_type(*node, key, "true or false");
    return std::nullopt;
  }

  const toml::array* array(std::string_view key, Need need = Need::Optional,
                           std::string_view example = {}) {
    const toml::node* node = get(key);
    if (node == nullptr) {
      if (need == Need::Required) missing(key, example);
      return nullptr;
    }
    if (node->is_array()) return node->as_array();
    wrong_type(*node, key, "an array, e.g. " + std::string(example));
    return nullptr;
  }

 private:
  const toml::table& table_;
  std::string path_;
  Reporter& report_;
  std::vector<std::string> keys_;
};

// Reads ["07:30-12:00", ...] into ranges, reporting malformed entries and overlaps between
// ranges of the same list. Overlap with the next day's ranges (a range crossing midnight) is
// not checked here: the care calendar merges such intervals anyway.
std::vector<HourRange> read_hours(const toml::array& list, const std::string& path, Reporter& report) {
  struct Parsed {
    HourRange range;
    const toml::node* node;
    std::size_t index;
  };
  std::vector<Parsed> parsed;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const toml::node& item = *list.get(i);
    std::string item_path = index_path(path, i);
    if (!item.is_string()) {
      report.error(item, item_path,
                   "must be a string like \"07:30-12:00\" (got " + std::string(type_name(item)) + ")");
      continue;
    }
    auto range = parse_hour_range(item.as_string()->get());
    if (!range) {
      report.error(item, item_path, range.error().message);
      continue;
    }
    parsed.push_back({*range, &item, i});
  }
  std::vector<Parsed> by_start = parsed;
  std::stable_sort(by_start.begin(), by_start.end(), [](const Parsed& a, const Parsed& b) {
    return a.range.start_minute < b.range.start_minute;
  });
  // After sorting by start, a range overlaps an earlier one exactly when it starts before the
  // furthest end seen so far.
  for (std::size_t i = 1, furthest = 0; i < by_start.size(); ++i) {
    const Parsed& earlier = by_start[furthest];
    const Parsed& current = by_start[i];
    if (current.range.start_minute < earlier.range.end_offset_minutes()) {
      report.error(*current.node, index_path(path, current.index),
                   format_hour_range(current.range) + " overlaps " +
                       format_hour_range(earlier.range) + " (" + index_path(path, earlier.index) +
                       "); merge them into one range or make them disjoint");
    }
    if (current.range.end_offset_minutes() > earlier.range.end_offset_minutes()) furthest = i;
  }
  std::vector<HourRange> out;
  out.reserve(parsed.size());
  for (const auto& p : parsed) out.push_back(p.range);
  return out;
}

// Camera URLs: rtsp:// or rtsps://, a host, an optional numeric port. On failure, a message
// that shows the URL only in redacted form.
std::optional<std::string> check_rtsp_url(std::string_view url) {
  const std::string shown = quote(shown_url(url));
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  };
  std::size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string_view::npos ? "" : lower(url.substr(0, scheme_end));
  if (scheme != "rtsp" && scheme != "rtsps") {
    return "must start with rtsp:// or rtsps:// (got " + shown +
           "), e.g. \"rtsp://192.168.1.20:554/stream1\" with user:password@ before the host "
           "if the camera needs them";
  }
  if (url.find_first_of(" \t\r\n") != std::string_view::npos) {
    return "must not contain spaces (got " + shown + "); percent-encode them as %20";
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos && rest.find('@') != std::string_view::npos && authority.find(':') != std::string_view::npos) {
    // "rtsp://admin:pa/ss@cam": the password's '/' ends the host part for every RTSP client.
    return "has a user:password@ whose password seems to contain '/', '?' or '#' (got " + shown +
           "); percent-encode them in the password as %2F, %3F and %23";
  }
  std::string_view host_port = at == std::string_view::npos ? authority : authority.substr(at + 1);
  std::string_view host = host_port;
  std::string_view port;
  if (!host_port.empty() && host_port.front() == '[') {  // IPv6 literal: [fe80::1]:554
    std::size_t close = host_port.find(']');
    if (close == std::string_view::npos) return "has an unterminated IPv6 address (got " + shown + ")";
    host = host_port.substr(0, close + 1);
    std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "has junk after the IPv6 address (got " + shown + ")";
      port = after.substr(1);
      if (port.empty()) return "has an empty port (got " + shown + ")";
    }
  } else if (std::size_t colon = host_port.rfind(':'); colon != std::string_view::npos) {
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
    if (port.empty()) return "has an empty port (got " + shown + ")";
  }
  if (host.empty() || host == "[]") return "has no host (got " + shown + ")";
  if (!port.empty()) {
    bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                    return c >= '0' && c <= '9';
                  });
    int number = digits ? std::stoi(std::string(port)) : 0;
    if (number < 1 || number > 65535) {
      return "has an invalid port (got " + shown + "); ports are 1-65535, RTSP's default is 554";
    }
  }
  return std::nullopt;
}

std::vector<std::string> all_zone_names() {
  std::vector<std::string> names;
  // base::TimeZone wraps the same database; its zone list is only needed for suggestions,
  // so a database that cannot be listed just means no suggestion.
  try {
    for (const auto& zone : date::get_tzdb().zones) names.emplace_back(zone.name());
  } catch (const std::exception&) {
    names.clear();
  }
  return names;
}

// Checks the parsed document and fills `config`. Reports into `report`; the config is only
// meaningful when no error was reported.
class Validator {
 public:
  Validator(const toml::table& root, Reporter& report) : root_(root), report_(report) {}

  Config run() {
    TableReader top(root_, "", report_,
                    {"site", "retention", "care_hours", "coverage", "content", "log", "access", "metrics", "web", "evidence", "alerts", "camera", "zone", "floorplan"});
    if (auto* site = table_at(top, "site", Need::Required)) read_site(*site);
    if (auto* retention = table_at(top, "retention", Need::Optional)) read_retention(*retention);
    if (auto* hours = table_at(top, "care_hours", Need::Required)) read_care_hours(*hours);
    if (auto* coverage = table_at(top, "coverage", Need::Optional)) read_coverage(*coverage);
    if (auto* content = table_at(top, "content", Need::Optional)) read_content(*content, "content", config_.content);
    if (auto* logging = table_at(top, "log", Need::Optional)) read_log(*logging);
    if (auto* access = table_at(top, "access", Need::Optional)) read_access(*access);
    if (config_.access.socket.empty() && !config_.site.database.empty())
      config_.access.socket = config_.site.database.parent_path() / "control.sock";
    if (auto* metrics = table_at(top, "metrics", Need::Optional)) read_metrics(*metrics);
    if (auto* web = table_at(top, "web", Need::Optional)) read_web(*web);
    if (auto* evidence = table_at(top, "evidence", Need::Optional)) read_evidence(*evidence);
    if (auto* alerts = table_at(top, "alerts", Need::Optional)) read_alerts(*alerts);
    read_cameras(top);
    read_zones(top);
    check_camera_use();
    if (auto* plan = table_at(top, "floorplan", Need::Optional)) read_floorplan(*plan);
    return std::move(config_);
  }

 private:
  const toml::table* table_at(TableReader& top, std::string_view key, Need need) {
    const toml::node* node = top.get(key);
    if (node == nullptr) {
      if (need == Need::Required) {
        report_.add(Severity::Error, 0, 0, key,
                    "required table [" + std::string(key) + "] is missing" +
                        (key == "site" ? "; it needs name, timezone, storage and database"
                                       : "; without it no footage counts as care footage"),
                    Reach::WholeFile);
      }
      return nullptr;
    }
    if (!node->is_table()) {
      report_.error(*node, key,
                    "must be a table, written [" + std::string(key) + "] on a line of its own (got " +
                        std::string(type_name(*node)) + ")");
      return nullptr;
    }
    return node->as_table();
  }

  void read_site(const toml::table& table) {
    TableReader r(table, "site", report_, {"name", "timezone", "storage", "database", "address", "id"});
    Site& site = config_.site;
    if (auto id = r.string("id")) {
      if (!is_valid_id(*id)) {
        report_.error(*r.get("id"), r.path("id"),
                      "must be 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter or digit, like "
                      "\"gz-tianhe-0042\" (got " + quote(*id) + ")");
      } else {
        site.id = *id;
      }
    }
    if (auto name = r.string("name", Need::Required, "name = \"阳光家庭托育点\"")) {
      if (name->empty()) report_.error(*r.get("name"), r.path("name"), "must not be empty");
      site.name = *name;
    }
    if (auto zone = r.string("timezone", Need::Required, "timezone = \"Asia/Shanghai\"")) {
      if (auto located = TimeZone::locate(*zone); !located) {
        std::string message = located.error().message;
        if (auto guess = text::closest(*zone, all_zone_names())) {
          message = "unknown time zone " + quote(*zone) + "; did you mean " + backtick(*guess) + "?";
        }
        report_.error(*r.get("timezone"), r.path("timezone"), message);
      }
      site.timezone = *zone;
    }
    site.storage = absolute_path(r, "storage", "storage = \"/var/lib/carekeep/media\"");
    site.database = absolute_path(r, "database", "database = \"/var/lib/carekeep/index.db\"");
    site.address = r.string("address");
  }

  std::filesystem::path absolute_path(TableReader& r, std::string_view key, std::string_view example) {
    auto value = r.string(key, Need::Required, example);
    if (!value) return {};
    std::filesystem::path path(*value);
    if (!path.is_absolute()) {
      // The daemon's working directory is not something an operator controls (systemd runs
      // it in /), so a relative path would silently land somewhere unexpected.
      report_.error(*r.get(key), r.path(key),
                    "must be an absolute path (got " + quote(*value) + "), e.g. " +
                        std::string(example.substr(example.find('"'))));
    }
    return path;
  }

  void read_retention(const toml::table& table) {
    TableReader r(table, "retention", report_,
                  {"care_days", "other_days", "min_free_percent", "max_bytes"});
    Retention& retention = config_.retention;
    if (auto days = r.integer("care_days")) {
      if (*days < Retention::kMinCareDays) {
        report_.error(*r.get("care_days"), r.path("care_days"),
                      "must be at least 90: the rule requires no less than 90 days of footage "
                      "(监控录像资料保存期不少于90日) (got " + std::to_string(*days) + ")");
      } else if (*days > kMaxDays) {
        report_.error(*r.get("care_days"), r.path("care_days"),
                      "must be at most " + std::to_string(kMaxDays) + " days (got " +
                          std::to_string(*days) + ")");
      } else {
        retention.care_days = static_cast<int>(*days);
      }
    }
    if (auto days = r.integer_in("other_days", 1, kMaxDays, "days")) retention.other_days = *days;
    if (auto percent = r.integer_in("min_free_percent", 0, kMaxFreePercent, "percent")) {
      retention.min_free_percent = *percent;
    }
    if (auto bytes = r.integer("max_bytes")) {
      if (*bytes <= 0) {
        report_.error(*r.get("max_bytes"), r.path("max_bytes"),
                      "must be a positive number of bytes (got " + std::to_string(*bytes) +
                          "); leave it out for no cap");
      } else {
        retention.max_bytes = static_cast<std::uint64_t>(*bytes);
      }
    }
  }

  void read_care_hours(const toml::table& table) {
    std::initializer_list<std::string_view> keys{"monday", "tuesday",  "wednesday", "thursday",
                                                 "friday", "saturday", "sunday",    "exception",
                                                 "adhoc_max_hours"};
    TableReader r(table, "care_hours", report_, keys);
    CareHours& hours = config_.care_hours;
    if (auto max = r.integer_in("adhoc_max_hours", 1, CareHours::kMaxAdhocHours, "hours")) hours.adhoc_max_hours = *max;
    bool any_weekly = false;
    for (std::size_t day = 0; day < CareHours::kDayKeys.size(); ++day) {
      std::string_view key = CareHours::kDayKeys[day];
      if (const toml::array* list = r.array(key, Need::Optional, "[\"07:30-12:00\", \"13:00-18:30\"]")) {
        hours.weekly[day] = read_hours(*list, r.path(key), report_);
        any_weekly = any_weekly || !list->empty();
      }
    }
    if (!any_weekly) {
      report_.warning(table.source(), "care_hours",
                      "no weekly care hours: every day is closed unless an exception opens it",
                      Reach::WholeFile);
    }
    if (const toml::node* node = r.get("exception")) {
      if (!node->is_array_of_tables()) {
        report_.error(*node, r.path("exception"),
                      "must be a list of tables: write each one as [[care_hours.exception]]");
      } else {
        read_exceptions(*node->as_array());
      }
    }
  }

  void read_exceptions(const toml::array& list) {
    std::map<LocalDays, std::pair<std::size_t, std::uint32_t>> seen;  // date -> index, line
    for (std::size_t i = 0; i < list.size(); ++i) {
      const toml::table& table = *list.get(i)->as_table();
      TableReader r(table, index_path("care_hours.exception", i), report_,
                    {"date", "closed", "hours", "note"});
      Exception exception;
      std::optional<LocalDays> date = read_date(r);
      auto closed = r.boolean("closed");
      exception.closed = closed.value_or(false);
      const toml::array* hours = r.array("hours", Need::Optional, "[\"07:30-18:30\"]");
      if (hours != nullptr) exception.hours = read_hours(*hours, r.path("hours"), report_);
      exception.note = r.string("note").value_or("");

      if (exception.closed && hours != nullptr && !hours->empty()) {
        report_.error(*r.get("hours"), r.path("hours"),
                      "contradicts closed = true: a closed day has no hours; remove one of them");
      } else if (!exception.closed && (hours == nullptr || hours->empty()) &&
                 (r.get("closed") == nullptr || closed.has_value()) &&
                 (r.get("hours") == nullptr || hours != nullptr)) {
        // (A closed or hours of the wrong type was reported already; don't pile on.)
        report_.error(table.source(), r.path(),
                      "needs closed = true (a holiday) or hours = [\"07:30-18:30\"] (a make-up "
                      "working day or changed hours)");
      }
      if (date) {
        exception.date = *date;
        auto [it, inserted] = seen.emplace(*date, std::make_pair(i, r.get("date")->source().begin.line));
        if (!inserted) {
          report_.error(*r.get("date"), r.path("date"),
                        format_date(*date) + " already has an exception (" +
                            index_path("care_hours.exception", it->second.first) + ", line " +
                            std::to_string(it->second.second) + "); merge the two into one");
        }
      }
      config_.care_hours.exceptions.push_back(std::move(exception));
    }
  }

  // Accepts a TOML date (date = 2026-10-01) or a string ("2026-10-01").
  std::optional<LocalDays> read_date(TableReader& r) {
    const toml::node* node = r.get("date");
    if (node == nullptr) {
      r.missing("date", "date = \"2026-10-01\"");
      return std::nullopt;
    }
    if (node->is_date()) {
      toml::date d = node->as_date()->get();
      date::year_month_day ymd{date::year{d.year}, date::month{d.month}, date::day{d.day}};
      if (ymd.ok()) return LocalDays{ymd};
      report_.error(*node, r.path("date"), "is not a valid calendar date");
      return std::nullopt;
    }
    if (node->is_string()) {
      auto parsed = parse_date(node->as_string()->get());
      if (parsed) return *parsed;
      report_.error(*node, r.path("date"), parsed.error().message);
      return std::nullopt;
    }
    r.wrong_type(*node, "date", "a date such as \"2026-10-01\"");
    return std::nullopt;
  }

  void read_coverage(const toml::table& table) {
    TableReader r(table, "coverage", report_, {"gap_tolerance_seconds", "min_area_percent"});
    if (auto percent = r.number("min_area_percent")) {
      if (*percent < 0 || *percent > 100) {
        std::ostringstream got;
        got << *percent;
        report_.error(*r.get("min_area_percent"), r.path("min_area_percent"),
                      "must be between 0 and 100 percent of a zone's child area (got " + got.str() + ")");
      } else {
        config_.coverage.min_area_percent = *percent;
      }
    }
    if (auto seconds = r.number("gap_tolerance_seconds")) {
      if (*seconds < 0 || *seconds > kMaxGapToleranceSeconds) {
        std::ostringstream got;
        got << *seconds;
        report_.error(*r.get("gap_tolerance_seconds"), r.path("gap_tolerance_seconds"),
                      "must be between 0 and 60 seconds (got " + got.str() + ")");
      } else {
        config_.coverage.gap_tolerance_seconds = *seconds;
      }
    }
  }

  // [content] or a camera's [camera.content]: keys left out keep the value `out` has (the
  // built-in default, or for a camera the [content] value).
  void read_content(const toml::table& table, const std::string& path, ContentChecks& out) {
    TableReader r(table, path, report_,
                  {"enabled", "sample_seconds", "black_max_mean", "flat_max_stddev", "covered_max_gradient",
                   "frozen_seconds", "frozen_noise_ratio", "frozen_min_difference"});
    if (auto enabled = r.boolean("enabled")) out.enabled = *enabled;
    // At most a minute between samples: a black or covered picture must show up within a
    // couple of samples, and coverage gaps are decided on them.
    if (auto v = r.integer_in("sample_seconds", 1, 60, "seconds")) out.sample_seconds = *v;
    // The floor of 5 s keeps a slip from flagging every quiet room at once.
    if (auto v = r.integer_in("frozen_seconds", 5, 3600, "seconds")) out.frozen_seconds = *v;
    auto number_in = [&](std::string_view key, double lo, double hi, std::string_view meaning, double& target) {
      auto value = r.number(key);
      if (!value) return;
      if (*value < lo || *value > hi) {
        std::ostringstream text;
        text << "must be between " << lo << " and " << hi << " " << meaning << " (got " << *value << ")";
        report_.error(*r.get(key), r.path(key), text.str());
        return;
      }
      target = *value;
    };
    number_in("black_max_mean", 0, 255, "(mean luma: 16 is video black, 235 white)", out.black_max_mean);
    number_in("flat_max_stddev", 0, 128, "(luma standard deviation)", out.flat_max_stddev);
    number_in("covered_max_gradient", 0, 64, "(mean luma step between neighbouring thumbnail pixels)",
              out.covered_max_gradient);
    number_in("frozen_noise_ratio", 0, 10, "(times the difference sensor noise alone makes)", out.frozen_noise_ratio);
    number_in("frozen_min_difference", 0, 64, "luma levels", out.frozen_min_difference);
    if (out.sample_seconds * 2 > out.frozen_seconds) {
      report_.error(table.source(), r.path("frozen_seconds"),
                    "must be at least twice sample_seconds (" + std::to_string(out.sample_seconds) +
                        " s, so " + std::to_string(out.sample_seconds * 2) +
                        " or more): a frozen picture is decided on at least two samples");
    }
  }

  void read_log(const toml::table& table) {
    TableReader r(table, "log", report_, {"level"});
    if (auto level = r.string("level")) {
      static const std::vector<std::string> kLevels{"debug", "info", "warn", "error"};
      log::Level parsed{};
      if (std::find(kLevels.begin(), kLevels.end(), *level) == kLevels.end() ||
          !log::parse_level(*level, parsed)) {
        std::string message = "must be one of debug, info, warn, error (got " + quote(*level) + ")";
        if (auto guess = text::closest(*level, kLevels)) message += "; did you mean " + backtick(*guess) + "?";
        report_.error(*r.get("level"), r.path("level"), message);
      } else {
        config_.log.level = *level;
      }
    }
  }

  void read_access(const toml::table& table) {
    TableReader r(table, "access", report_,
                  {"socket", "inspector_group", "operator_group", "max_connections", "max_connections_per_user",
                   "request_timeout_s", "broker_timeout_s"});
    if (r.get("socket") != nullptr) {
      auto socket = absolute_path(r, "socket", "socket = \"/run/carekeep/control.sock\"");
      // sockaddr_un holds 107 bytes of path and a terminating NUL.
      if (socket.string().size() > 107) {
        report_.error(*r.get("socket"), r.path("socket"),
                      "is " + std::to_string(socket.string().size()) +
                          " bytes long; a Unix socket path must be at most 107 bytes, e.g. \"/run/carekeep/control.sock\"");
      }
      config_.access.socket = socket;
    }
    for (auto [key, target] : {std::pair<std::string_view, std::string*>{"inspector_group", &config_.access.inspector_group},
                               std::pair<std::string_view, std::string*>{"operator_group", &config_.access.operator_group}}) {
      auto value = r.string(key);
      if (!value) continue;
      if (value->empty()) {
        report_.error(*r.get(key), r.path(key), "must be a group name or a numeric gid, e.g. \"carekeep-inspector\"");
        continue;
      }
      *target = *value;
    }
    // Bounds: one connection at least; beyond 1024 the connections alone could use up a
    // default RLIMIT_NOFILE of the daemon. Timeouts of an hour or more are no timeouts.
    if (auto v = r.integer_in("max_connections", 1, 1024, "connections")) config_.access.max_connections = *v;
    if (auto v = r.integer_in("max_connections_per_user", 1, 1024, "connections")) {
      if (*v > config_.access.max_connections) {
        report_.error(*r.get("max_connections_per_user"), r.path("max_connections_per_user"),
                      "must not exceed max_connections (" + std::to_string(config_.access.max_connections) + ")");
      } else {
        config_.access.max_connections_per_user = *v;
      }
    }
    if (auto v = r.integer_in("request_timeout_s", 1, 3600, "seconds")) config_.access.request_timeout_s = *v;
    if (auto v = r.integer_in("broker_timeout_s", 1, 3600, "seconds")) config_.access.broker_timeout_s = *v;
  }

  // A local time of day as "HH:MM" (or "HH:MM:SS" when `seconds`) -> seconds after midnight;
  // nullopt (reported) when absent or not such a time.
  std::optional<int> time_of_day(TableReader& r, std::string_view key, std::string_view example, bool seconds) {
    auto value = r.string(key);
    if (!value) return std::nullopt;
    int h = -1;
    int m = -1;
    int sec = 0;
    char extra = 0;
    bool good = value->size() == 5 && std::sscanf(value->c_str(), "%2d:%2d%c", &h, &m, &extra) == 2;
    if (!good && seconds)
      good = value->size() == 8 && std::sscanf(value->c_str(), "%2d:%2d:%2d%c", &h, &m, &sec, &extra) == 3;
    if (!good || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) {
      report_.error(*r.get(key), r.path(key),
                    std::string("must be a local time of day as ") + (seconds ? "HH:MM or HH:MM:SS" : "HH:MM") +
                        ", like \"" + std::string(example) + "\" (got " + quote(*value) + ")");
      return std::nullopt;
    }
    return h * 3600 + m * 60 + sec;
  }

  void read_evidence(const toml::table& table) {
    TableReader r(table, "evidence", report_, {"digest_time"});
    if (auto second = time_of_day(r, "digest_time", "23:55", false)) config_.evidence.digest_minute = *second / 60;
  }

  // A network list of [web] allow or [metrics] allow: each entry a CIDR or one address.
  void read_allow(TableReader& r, std::vector<std::string>& out) {
    const toml::array* allow = r.array("allow", Need::Optional, "[\"192.168.1.0/24\", \"127.0.0.1\"]");
    if (allow == nullptr) return;
    for (const auto& node : *allow) {
      if (!node.is_string()) {
        report_.error(node, r.path("allow"), "each entry must be a network as a string, like \"192.168.1.0/24\"");
        continue;
      }
      auto text = node.as_string()->get();
      if (!Cidr::parse(text)) {
        report_.error(node, r.path("allow"),
                      "must be an IP network like \"192.168.1.0/24\" or \"fd00::/8\", or one address (got " + quote(text) +
                          "; host bits after the prefix must be zero)");
        continue;
      }
      out.push_back(text);
    }
  }

  // [metrics] (issue 8; issue 20, docs/fleet.md). The token file is only named here: it is
  // readable by the daemon's user alone, and `carekeep` loads this file as an inspector.
  void read_metrics(const toml::table& table) {
    TableReader r(table, "metrics", report_, {"listen", "allow", "bearer_token_file"});
    read_allow(r, config_.metrics.allow);
    if (auto file = r.string("bearer_token_file")) {
      std::filesystem::path path(*file);
      std::error_code ec;
      if (!path.is_absolute()) {
        report_.error(*r.get("bearer_token_file"), r.path("bearer_token_file"),
                      "must be an absolute path (got " + quote(*file) + "), e.g. \"/etc/carekeep/metrics.token\"");
      } else if (!std::filesystem::is_regular_file(path, ec)) {
        report_.error(*r.get("bearer_token_file"), r.path("bearer_token_file"),
                      quote(*file) + " is not a file; write the token there (one line, at least 32 characters: "
                                     "`openssl rand -hex 32 > " + *file + "`)");
      } else {
        config_.metrics.bearer_token_file = path;
      }
    }
    auto listen = r.string("listen");
    if (!listen) return;
    auto endpoint = parse_listen(*listen);
    if (!endpoint) {
      report_.error(*r.get("listen"), r.path("listen"),
                    "must be an IP address and a port, like \"127.0.0.1:9477\" or \"[::1]:9477\" (got " + quote(*listen) + ")");
      return;
    }
    if (!endpoint->loopback && !r.get("bearer_token_file")) {
      report_.warning(r.get("listen")->source(), r.path("listen"),
                      "the metrics endpoint asks no token: anyone on the allowed networks (allow, or this box's own "
                      "networks) can read it; set bearer_token_file (docs/fleet.md)");
    }
    config_.metrics.listen = *listen;
  }

  // [web] (issue 16): the console. Plain HTTP only on loopback: anywhere else a LAN user could
  // read passwords and session cookies off the wire.
  void read_web(const toml::table& table) {
    TableReader r(table, "web", report_, {"listen", "https", "allow", "language", "session_idle_minutes"});
    std::optional<ListenAddress> endpoint;
    if (auto listen = r.string("listen")) {
      endpoint = parse_listen(*listen);
      if (!endpoint) {
        report_.error(*r.get("listen"), r.path("listen"),
                      "must be an IP address and a port, like \"0.0.0.0:8443\" or \"[::]:8443\" (got " + quote(*listen) + ")");
      } else {
        config_.web.listen = *listen;
      }
    }
    if (auto https = r.boolean("https")) {
      if (!*https && endpoint && !endpoint->loopback) {
        report_.error(*r.get("https"), r.path("https"),
                      "plain HTTP is allowed only on a loopback listen address (127.0.0.1 or [::1]); on the network "
                      "passwords and session cookies would cross it in the clear: remove `https = false`");
      } else {
        config_.web.https = *https;
      }
    }
    read_allow(r, config_.web.allow);
    if (auto language = r.string("language")) {
      if (*language != "zh" && *language != "en") {
        report_.error(*r.get("language"), r.path("language"), "must be \"zh\" or \"en\" (got " + quote(*language) + ")");
      } else {
        config_.web.language = *language;
      }
    }
    if (auto minutes = r.integer_in("session_idle_minutes", 5, 720, "minutes")) config_.web.session_idle_minutes = *minutes;
  }

  // [[alerts.webhook]]. Messages quote no URL: its query string holds the robot's key, which
  // URL redaction (credentials only) would not hide.
  void read_alerts(const toml::table& table) {
    TableReader top(table, "alerts", report_,
                    {"webhook", "camera_offline_seconds", "disk_low_free_percent", "disk_low_forecast_days",
                     "summary_time"});
    if (auto seconds = top.integer_in("camera_offline_seconds", kMinCameraOfflineSeconds, 86400, "seconds"))
      config_.alerts.camera_offline_seconds = *seconds;
    // [retention] is read before [alerts]: both thresholds are checked against it.
    if (auto percent = top.integer_in("disk_low_free_percent", 0, 50, "percent")) {
      if (*percent != 0 && *percent >= config_.retention.min_free_percent) {
        report_.error(*top.get("disk_low_free_percent"), top.path("disk_low_free_percent"),
                      "must be below [retention] min_free_percent (" +
                          std::to_string(config_.retention.min_free_percent) +
                          "): retention deletes old footage to keep that much free, so disk_low would be raised "
                          "all the time; use 0 to turn this check off (got " + std::to_string(*percent) + ")");
      } else {
        config_.alerts.disk_low_free_percent = *percent;
      }
    }
    if (auto days = top.integer_in("disk_low_forecast_days", 1, 3650, "days")) {
      if (*days < config_.retention.care_days) {
        report_.error(*top.get("disk_low_forecast_days"), top.path("disk_low_forecast_days"),
                      "must be at least [retention] care_days (" + std::to_string(config_.retention.care_days) +
                          "): a forecast below care_days is already capacity_short; disk_low warns before it, "
                          "e.g. " + std::to_string(config_.retention.care_days + 10) + " (got " +
                          std::to_string(*days) + ")");
      } else {
        config_.alerts.disk_low_forecast_days = *days;
      }
    }
    if (auto second = time_of_day(top, "summary_time", "20:00", true)) config_.alerts.summary_second = *second;
    const toml::node* node = top.get("webhook");
    if (node == nullptr) return;
    if (!node->is_array_of_tables()) {
      report_.error(*node, "alerts.webhook",
                    "must be a list of tables: write each one as [[alerts.webhook]] (double brackets)");
      return;
    }
    const toml::array& list = *node->as_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      TableReader r(*list.get(i)->as_table(), index_path("alerts.webhook", i), report_,
                    {"url", "format", "secret", "min_severity", "language", "ca_file"});
      Webhook hook;
      if (auto url = r.string("url", Need::Required, "url = \"http://192.168.1.5:8080/hook\"")) {
        std::size_t host = url->rfind("https://", 0) == 0 ? 8 : url->rfind("http://", 0) == 0 ? 7 : 0;
        if (host == 0 || url->size() <= host || (*url)[host] == '/') {
          report_.error(*r.get("url"), r.path("url"),
                        "must be an http:// or https:// URL with a host, like "
                        "\"https://oapi.dingtalk.com/robot/send?access_token=...\"");
        }
        hook.url = *url;
      }
      if (auto format = r.string("format")) {
        static const std::vector<std::string> kFormats{"json", "wecom", "dingtalk"};
        if (*format == "json") {
          hook.format = WebhookFormat::Json;
        } else if (*format == "wecom") {
          hook.format = WebhookFormat::WeCom;
        } else if (*format == "dingtalk") {
          hook.format = WebhookFormat::DingTalk;
        } else {
          std::string message = "must be one of json, wecom, dingtalk (got " + quote(*format) + ")";
          if (auto guess = text::closest(*format, kFormats)) message += "; did you mean " + backtick(*guess) + "?";
          report_.error(*r.get("format"), r.path("format"), message);
        }
      }
      if (auto secret = r.string("secret")) {
        if (hook.format != WebhookFormat::DingTalk) {
          report_.error(*r.get("secret"), r.path("secret"),
                        "only DingTalk robots sign their requests; remove secret or set format = \"dingtalk\"");
        }
        hook.secret = *secret;
      }
      if (auto severity = r.string("min_severity")) {
        static const std::vector<std::string> kSeverities{"info", "warning", "critical"};
        if (std::find(kSeverities.begin(), kSeverities.end(), *severity) == kSeverities.end()) {
          std::string message = "must be one of info, warning, critical (got " + quote(*severity) + ")";
          if (auto guess = text::closest(*severity, kSeverities)) message += "; did you mean " + backtick(*guess) + "?";
          report_.error(*r.get("min_severity"), r.path("min_severity"), message);
        } else {
          hook.min_severity = *severity;
        }
      }
      if (auto ca = r.string("ca_file")) {
        if (!std::filesystem::path(*ca).is_absolute()) {
          report_.error(*r.get("ca_file"), r.path("ca_file"),
                        "must be an absolute path to a PEM file of CA certificates (got " + quote(*ca) + ")");
        }
        hook.ca_file = *ca;
      }
      hook.language = default_language(config_.site.timezone);
      if (auto language = r.string("language")) {
        if (*language != "zh" && *language != "en") {
          report_.error(*r.get("language"), r.path("language"),
                        "must be \"zh\" (Chinese) or \"en\" (English) (got " + quote(*language) + ")");
        } else {
          hook.language = *language;
        }
      }
      config_.alerts.webhooks.push_back(std::move(hook));
    }
  }

  // Both cameras and zones: a required, well-formed, unique id. Ids are recorded even when
  // malformed, so that a zone naming the camera does not get a second, misleading error.
  std::optional<std::string> read_id(TableReader& r, std::string_view what,
                                     std::map<std::string, std::pair<std::string, std::uint32_t>>& seen,
                                     std::string_view example) {
    auto id = r.string("id", Need::Required, example);
    if (!id) return std::nullopt;
    const toml::node& node = *r.get("id");
    if (!is_valid_id(*id)) {
      report_.error(node, r.path("id"),
                    quote(*id) + " is not a valid " + std::string(what) +
                        " id: ids are used in file paths, so use 1-32 characters of a-z, 0-9, "
                        "'_' and '-', starting with a letter or digit (e.g. \"nap-1\")");
    }
    // The storage directory also holds quarantine/ (startup recovery sets files aside
    // there); a camera of that name would share its directory.
    if (*id == "quarantine") {
      report_.error(node, r.path("id"),
                    quote(*id) + " is reserved: the storage directory uses it for files set aside at "
                                 "startup; choose another id");
    }
    auto [it, inserted] = seen.emplace(*id, std::make_pair(r.path(), node.source().begin.line));
    if (!inserted) {
      report_.error(node, r.path("id"),
                    std::string(what) + " id " + quote(*id) + " is already used by " +
                        it->second.first + " (line " + std::to_string(it->second.second) +
                        "); ids must be unique");
    }
    return id;
  }

  // Accepts only an array of tables; [camera] (a single table) is the classic slip.
  const toml::array* tables_at(TableReader& top, std::string_view key) {
    const toml::node* node = top.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_array_of_tables()) {
      report_.error(*node, key,
                    "must be a list of tables: write each one as [[" + std::string(key) +
                        "]] (double brackets)");
      return nullptr;
    }
    return node->as_array();
  }

  void read_cameras(TableReader& top) {
    const toml::node* node = top.get("camera");
    if (node == nullptr || (node->is_array() && node->as_array()->empty())) {
      report_.add(Severity::Error, node == nullptr ? 0 : node->source().begin.line, 0, "camera",
                  "no cameras configured; add a [[camera]] table for each camera",
                  Reach::WholeFile);
      return;
    }
    const toml::array* list = tables_at(top, "camera");
    if (list == nullptr) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table& table = *list->get(i)->as_table();
      TableReader r(table, index_path("camera", i), report_,
                    {"id", "name", "url", "transport", "client", "segment_seconds", "max_frame_mib", "allow_basic_auth",
                     "tls_ca_file", "tls_fingerprint", "tls_verify", "enabled", "content"});
      Camera camera;
      if (auto id = read_id(r, "camera", camera_ids_, "id = \"nap-1\"")) {
        camera.id = *id;
        camera_id_list_.push_back(*id);
      }
      camera.name = r.string("name").value_or(camera.id);
      if (auto url = r.string("url", Need::Required,
                              "url = \"rtsp://192.168.1.20:554/stream1\"")) {
        if (auto problem = check_rtsp_url(*url)) report_.error(*r.get("url"), r.path("url"), *problem);
        camera.url = *url;
      }
      if (auto transport = r.string("transport")) {
        if (*transport == "tcp") {
          camera.transport = Transport::Tcp;
        } else if (*transport == "udp") {
          camera.transport = Transport::Udp;
        } else {
          static const std::vector<std::string> kTransports{"tcp", "udp"};
          std::string message = "must be \"tcp\" or \"udp\" (got " + quote(*transport) + ")";
          if (auto guess = text::closest(*transport, kTransports)) {
            message += "; did you mean " + backtick(*guess) + "?";
          }
          report_.error(*r.get("transport"), r.path("transport"), message);
        }
      }
      if (auto client = r.string("client")) {
        if (*client == "native") {
          camera.client = Client::Native;
        } else if (*client == "libavformat") {
          camera.client = Client::Libavformat;
        } else {
          static const std::vector<std::string> kClients{"native", "libavformat"};
          std::string message = "must be \"native\" or \"libavformat\" (got " + quote(*client) + ")";
          if (auto guess = text::closest(*client, kClients)) {
            message += "; did you mean " + backtick(*guess) + "?";
          }
          report_.error(*r.get("client"), r.path("client"), message);
        }
      }
      if (auto seconds = r.integer_in("segment_seconds", kMinSegmentSeconds, kMaxSegmentSeconds, "seconds")) {
        camera.segment_seconds = *seconds;
      }
      if (auto mib = r.integer_in("max_frame_mib", 1, kMaxFrameMib, "MiB")) camera.max_frame_mib = *mib;
      camera.allow_basic_auth = r.boolean("allow_basic_auth").value_or(false);
      read_camera_tls(r, camera);
      camera.enabled = r.boolean("enabled").value_or(true);
      camera.content = config_.content;
      if (const toml::node* content = r.get("content")) {
        if (const toml::table* t = content->as_table()) {
          read_content(*t, r.path("content"), camera.content);
        } else {
          r.wrong_type(*content, "content", "a table, written [camera.content] below the camera's [[camera]] keys");
        }
      }
      camera_lines_.push_back(table.source());
      config_.cameras.push_back(std::move(camera));
    }
  }

  // tls_ca_file / tls_fingerprint / tls_verify, and the combinations of client, transport and
  // scheme that could not keep the promise those keys make (docs/recording.md).
  void read_camera_tls(TableReader& r, Camera& camera) {
    std::string scheme = camera.url.substr(0, camera.url.find("://") == std::string::npos ? 0 : camera.url.find("://"));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool rtsps = scheme == "rtsps";
    if (auto ca = r.string("tls_ca_file")) {
      std::error_code ec;
      std::filesystem::path path(*ca);
      if (!path.is_absolute()) {
        report_.error(*r.get("tls_ca_file"), r.path("tls_ca_file"),
                      "must be an absolute path to a PEM file of CA certificates (got " + quote(*ca) + ")");
      } else if (!std::filesystem::exists(path, ec)) {
        report_.error(*r.get("tls_ca_file"), r.path("tls_ca_file"),
                      quote(*ca) + " does not exist; give the PEM file of the CA that signed the camera's certificate, "
                      "or pin the certificate with tls_fingerprint instead");
      } else if (!std::filesystem::is_regular_file(path, ec)) {
        report_.error(*r.get("tls_ca_file"), r.path("tls_ca_file"), quote(*ca) + " is not a file (a PEM file of CA certificates)");
      }
      camera.tls_ca_file = path;
    }
    if (auto pin = r.string("tls_fingerprint")) {
      if (auto digest = sha256_from_fingerprint(*pin)) {
        camera.tls_fingerprint = *digest;
      } else {
        report_.error(*r.get("tls_fingerprint"), r.path("tls_fingerprint"),
                      "must be the SHA-256 fingerprint of the camera's certificate, 32 hex pairs such as "
                      "\"sha256:AB:CD:…\" (got " + quote(*pin) + "); `carekeep doctor` prints it for rtsps:// cameras");
      }
    }
    camera.tls_verify = r.boolean("tls_verify").value_or(true);
    const bool any_tls_key = r.get("tls_ca_file") != nullptr || r.get("tls_fingerprint") != nullptr || r.get("tls_verify") != nullptr;
    if (any_tls_key && !rtsps && !camera.url.empty()) {
      report_.warning(r.table().source(), r.path("url"),
                      "tls_ca_file, tls_fingerprint and tls_verify apply to rtsps:// URLs only; this camera's is not, "
                      "so they do nothing");
    }
    if (!camera.tls_verify && (r.get("tls_ca_file") != nullptr || r.get("tls_fingerprint") != nullptr)) {
      report_.error(*r.get("tls_verify"), r.path("tls_verify"),
                    "tls_verify = false turns off the checks tls_ca_file and tls_fingerprint ask for; keep only one side");
    }
    if (!rtsps) return;
    if (camera.transport == Transport::Udp) {
      // Older versions accepted it (FFmpeg forces TCP for rtsps too): ignored, not refused.
      report_.warning(r.get("transport")->source(), r.path("transport"),
                      "rtsps:// carries the video inside the TLS connection (TCP), so transport = \"udp\" is ignored; remove it");
    }
    if (camera.client == Client::Libavformat && camera.tls_verify) {
      report_.error(*r.get("client"), r.path("client"),
                    "libavformat's RTSP client cannot check a camera's certificate (FFmpeg opens rtsps:// without "
                    "any verification); remove client = \"libavformat\" to use carekeep's own client, which checks it");
    }
  }

  void read_zones(TableReader& top) {
    const toml::node* node = top.get("zone");
    if (node == nullptr || (node->is_array() && node->as_array()->empty())) return;
    const toml::array* list = tables_at(top, "zone");
    if (list == nullptr) return;
    std::map<std::string, std::pair<std::string, std::uint32_t>> zone_ids;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table& table = *list->get(i)->as_table();
      TableReader r(table, index_path("zone", i), report_, {"id", "name", "cameras"});
      Zone zone;
      if (auto id = read_id(r, "zone", zone_ids, "id = \"nap\"")) zone.id = *id;
      zone.name = r.string("name").value_or(zone.id);
      if (const toml::array* cameras = r.array("cameras", Need::Required, "cameras = [\"nap-1\"]")) {
        if (cameras->empty()) {
          report_.error(*r.get("cameras"), r.path("cameras"),
                        "must name at least one camera: a zone nobody watches is never covered");
        }
        for (std::size_t c = 0; c < cameras->size(); ++c) {
          const toml::node& item = *cameras->get(c);
          std::string item_path = index_path(r.path("cameras"), c);
          if (!item.is_string()) {
            report_.error(item, item_path,
                          "must be a camera id string (got " + std::string(type_name(item)) + ")");
            continue;
          }
          std::string camera_id = item.as_string()->get();
          if (std::find(zone.cameras.begin(), zone.cameras.end(), camera_id) != zone.cameras.end()) {
            report_.warning(item.source(), item_path, "camera " + quote(camera_id) + " is listed twice");
            continue;
          }
          if (camera_ids_.count(camera_id) == 0) {
            std::string message = "unknown camera " + quote(camera_id);
            if (auto guess = text::closest(camera_id, camera_id_list_)) {
              message += "; did you mean " + backtick(*guess) + "?";
            } else if (!camera_id_list_.empty()) {
              message += "; cameras in this file: " + join_list(camera_id_list_);
            }
            report_.error(item, item_path, message, Reach::WholeFile);
          }
          zone.cameras.push_back(std::move(camera_id));
        }
      }
      zone_lines_.push_back(table.source());
      config_.zones.push_back(std::move(zone));
    }
  }

  // [floorplan] (config.hpp, Floorplan). Runs after cameras and zones, whose ids it refers to.
  void read_floorplan(const toml::table& table) {
    TableReader r(table, "floorplan", report_,
                  {"pixels_per_metre", "default_width_px", "room", "wall", "furniture", "camera", "zone"});
    Floorplan plan;
    if (auto density = r.number("pixels_per_metre")) {
      if (*density < 10 || *density > 1000) {
        report_.error(*r.get("pixels_per_metre"), r.path("pixels_per_metre"),
                      "must be between 10 and 1000 pixels per metre (EN 62676-4: 62.5 observe, 125 recognise, "
                      "250 identify)");
      } else {
        plan.pixels_per_metre = *density;
      }
    }
    if (auto width = r.integer_in("default_width_px", 160, 16384, "pixels")) plan.default_width_px = *width;

    std::map<std::string, std::pair<std::string, std::uint32_t>> room_ids;
    std::vector<std::string> room_list;
    const std::size_t errors_before_rooms = report_.error_count();
    for_each_table(r, "room", [&](TableReader& t, const toml::table&) {
      PlanRoom room;
      if (auto id = read_id(t, "room", room_ids, "id = \"nap\"")) {
        room.id = *id;
        room_list.push_back(*id);
      }
      room.name = t.string("name").value_or(room.id);
      room.children = t.boolean("children").value_or(false);
      if (auto ring = read_ring(t, "outline", Need::Required)) room.outline = *ring;
      plan.rooms.push_back(std::move(room));
    }, {"id", "name", "children", "outline"});
    if (plan.rooms.empty() && r.get("room") == nullptr) {
      report_.error(table.source(), "floorplan.room",
                    "a floor plan needs its rooms: add [[floorplan.room]] tables with id and outline = [[0, 0], [5, 0], "
                    "[5, 4], [0, 4]] (metres)",
                    Reach::WholeFile);
    }
    // Positions and areas are checked against the floor only when every room was drawn well.
    std::optional<geometry::FloorCheck> floor;
    if (report_.error_count() == errors_before_rooms) floor.emplace(plan);
    bool rooms_ok = floor.has_value();

    for_each_table(r, "wall", [&](TableReader& t, const toml::table&) {
      PlanWall wall;
      const toml::array* points = t.array("points", Need::Required, "points = [[5, 0], [5, 1.5]]");
      if (points == nullptr) return;
      if (points->size() < 2) {
        report_.error(*t.get("points"), t.path("points"),
                      "needs at least 2 points [x, y]: a wall runs from one to the next (got " +
                          std::to_string(points->size()) + ")");
        return;
      }
      for (std::size_t i = 0; i < points->size(); ++i) {
        if (auto p = read_point(*points->get(i), index_path(t.path("points"), i))) wall.points.push_back(*p);
      }
      plan.walls.push_back(std::move(wall));
    }, {"points"});

    for_each_table(r, "furniture", [&](TableReader& t, const toml::table&) {
      PlanObstacle obstacle;
      obstacle.name = t.string("name").value_or("");
      if (auto ring = read_ring(t, "outline", Need::Required)) obstacle.outline = *ring;
      plan.obstacles.push_back(std::move(obstacle));
    }, {"name", "outline"});

    std::set<std::string> placed;
    for_each_table(r, "camera", [&](TableReader& t, const toml::table&) {
      PlanCamera camera;
      if (auto id = t.string("camera", Need::Required, "camera = \"nap-1\"")) {
        camera.camera_id = *id;
        if (camera_ids_.count(*id) == 0) {
          report_.error(*t.get("camera"), t.path("camera"), unknown("camera", *id, camera_id_list_, "[[camera]]"),
                        Reach::WholeFile);
        } else if (!placed.insert(*id).second) {
          report_.error(*t.get("camera"), t.path("camera"),
                        "camera " + quote(*id) + " is placed twice; keep one [[floorplan.camera]] per camera");
        }
      }
      if (const toml::node* at = t.get("position")) {
        if (auto p = read_point(*at, t.path("position"))) {
          camera.position = *p;
          if (rooms_ok && !floor->empty() && !floor->covers(*p)) {
            report_.error(*at, t.path("position"),
                          "camera " + quote(camera.camera_id) + " at " + point_text(*p) +
                              " stands outside every room; a camera's position must be inside (or on the "
                              "outline of) a [[floorplan.room]]");
          }
        }
      } else {
        t.missing("position", "position = [0.2, 0.2] (metres)");
      }
      if (auto direction = t.number("direction")) {
        camera.direction_deg = std::fmod(std::fmod(*direction, 360.0) + 360.0, 360.0);
      } else if (t.get("direction") == nullptr) {
        t.missing("direction", "direction = 45 (degrees counter-clockwise from +x, 90 = +y)");
      }
      if (auto fov = t.number("fov")) {
        if (*fov < 1 || *fov > 359) {
          report_.error(*t.get("fov"), t.path("fov"),
                        "must be between 1 and 359 degrees of horizontal field of view (got " + number_text(*fov) + ")");
        } else {
          camera.fov_deg = *fov;
        }
      } else if (t.get("fov") == nullptr) {
        t.missing("fov", "fov = 90 (degrees, horizontal)");
      }
      if (auto range = t.number("range")) {
        if (*range <= 0 || *range > 200) {
          report_.error(*t.get("range"), t.path("range"),
                        "must be more than 0 and at most 200 metres (got " + number_text(*range) +
                            "); leave it out to derive it from the picture width");
        } else {
          camera.range_m = *range;
        }
      }
      if (auto height = t.number("height")) {
        if (*height < 0 || *height > 20) {
          report_.error(*t.get("height"), t.path("height"), "must be between 0 and 20 metres (got " + number_text(*height) + ")");
        } else {
          camera.height_m = *height;
        }
      }
      plan.cameras.push_back(std::move(camera));
    }, {"camera", "position", "direction", "fov", "range", "height"});

    std::set<std::string> zoned;
    for_each_table(r, "zone", [&](TableReader& t, const toml::table&) {
      PlanZone zone;
      const toml::node* id_node = t.get("zone");
      if (auto id = t.string("zone", Need::Required, "zone = \"nap\"")) {
        zone.zone_id = *id;
        if (config_.find_zone(*id) == nullptr) {
          std::vector<std::string> zone_ids;
          for (const auto& z : config_.zones) zone_ids.push_back(z.id);
          report_.error(*id_node, t.path("zone"), unknown("zone", *id, zone_ids, "[[zone]]"), Reach::WholeFile);
        } else if (!zoned.insert(*id).second) {
          report_.error(*id_node, t.path("zone"),
                        "zone " + quote(*id) + " is drawn twice; keep one [[floorplan.zone]] per zone");
        }
      }
      if (const toml::array* rooms = t.array("rooms", Need::Optional, "rooms = [\"nap\"]")) {
        for (std::size_t i = 0; i < rooms->size(); ++i) {
          const toml::node& item = *rooms->get(i);
          std::string item_path = index_path(t.path("rooms"), i);
          if (!item.is_string()) {
            report_.error(item, item_path, "must be a room id string (got " + std::string(type_name(item)) + ")");
            continue;
          }
          std::string room_id = item.as_string()->get();
          const PlanRoom* room = plan.find_room(room_id);
          if (room == nullptr) {
            report_.error(item, item_path, unknown("room", room_id, room_list, "[[floorplan.room]]"));
            continue;
          }
          zone.rooms.push_back(room_id);
          zone.area.push_back(room->outline);
        }
      }
      if (t.get("area") != nullptr) {
        if (auto ring = read_ring(t, "area", Need::Optional)) {
          zone.area = {*ring};
          if (rooms_ok && !floor->empty()) {
            double out = floor->area_outside(*ring);
            // A centimetre-wide sliver along a wall is a drawing slip, not an area outside.
            if (out > 0.01) {
              report_.error(*t.get("area"), t.path("area"),
                            number_text(out) + " m² of the zone's area lie outside every room; draw the area "
                            "inside the rooms' outlines");
            }
          }
        }
      } else if (t.get("rooms") == nullptr && !zone.zone_id.empty()) {
        if (const PlanRoom* room = plan.find_room(zone.zone_id)) {
          zone.rooms.push_back(room->id);
          zone.area.push_back(room->outline);
        } else {
          report_.error(t.table().source(), t.path(),
                        "zone " + quote(zone.zone_id) + " has no area on the plan: add rooms = [\"...\"] or "
                        "area = [[x, y], ...] (no room has the zone's id)");
        }
      }
      plan.zones.push_back(std::move(zone));
    }, {"zone", "rooms", "area"});
    // A zone without a [[floorplan.zone]] covers the room of its own id, if there is one.
    for (const auto& z : config_.zones) {
      if (plan.find_zone(z.id) != nullptr) continue;
      if (const PlanRoom* room = plan.find_room(z.id)) plan.zones.push_back(PlanZone{z.id, {room->id}, {room->outline}});
    }
    config_.floorplan = std::move(plan);
  }

  std::string unknown(std::string_view what, const std::string& id, const std::vector<std::string>& known,
                      std::string_view table) {
    std::string message = "unknown " + std::string(what) + " " + quote(id);
    if (auto guess = text::closest(id, known)) {
      message += "; did you mean " + backtick(*guess) + "?";
    } else if (!known.empty()) {
      message += "; known: " + join_list(known);
    } else {
      message += "; add a " + std::string(table) + " with that id";
    }
    return message;
  }

  static std::string number_text(double value) {
    std::ostringstream text;
    text << value;
    return text.str();
  }
  static std::string point_text(PlanPoint p) { return "[" + number_text(p.x) + ", " + number_text(p.y) + "]"; }

  // Calls `each` with a reader for every table of the array of tables at `key` (if any).
  template <typename Each>
  void for_each_table(TableReader& parent, std::string_view key, Each each, std::initializer_list<std::string_view> keys) {
    const toml::node* node = parent.get(key);
    if (node == nullptr) return;
    std::string path = parent.path(key);
    if (!node->is_array_of_tables()) {
      report_.error(*node, path, "must be a list of tables: write each one as [[" + path + "]] (double brackets)");
      return;
    }
    const toml::array& list = *node->as_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const toml::table& item = *list.get(i)->as_table();
      TableReader t(item, index_path(path, i), report_, keys);
      each(t, item);
    }
  }

  // [x, y] in metres.
  std::optional<PlanPoint> read_point(const toml::node& node, const std::string& path) {
    constexpr double kMaxMetres = 10000;  // any larger is a typo (millimetres?)
    const toml::array* pair = node.as_array();
    auto number = [](const toml::node* n) -> std::optional<double> {
      if (n == nullptr) return std::nullopt;
      if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
      if (n->is_floating_point()) return n->as_floating_point()->get();
      return std::nullopt;
    };
    if (pair == nullptr || pair->size() != 2 || !number(pair->get(0)) || !number(pair->get(1))) {
      report_.error(node, path, "must be a point [x, y] of two numbers in metres, e.g. [2.5, 0.4]");
      return std::nullopt;
    }
    PlanPoint p{*number(pair->get(0)), *number(pair->get(1))};
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || std::abs(p.x) > kMaxMetres || std::abs(p.y) > kMaxMetres) {
      report_.error(node, path, "must lie within 10000 m of the origin (got " + point_text(p) + "); coordinates are metres");
      return std::nullopt;
    }
    return p;
  }

  // A polygon [[x, y], ...] that is simple and has an area.
  std::optional<PlanRing> read_ring(TableReader& t, std::string_view key, Need need) {
    const toml::array* list = t.array(key, need, "[[0, 0], [5, 0], [5, 4], [0, 4]]");
    if (list == nullptr) return std::nullopt;
    PlanRing ring;
    bool complete = true;
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto p = read_point(*list->get(i), index_path(t.path(key), i));
      if (p) ring.push_back(*p);
      complete = complete && p.has_value();
    }
    if (!complete) return std::nullopt;
    if (auto problem = geometry::problem(ring)) {
      report_.error(*t.get(key), t.path(key), "polygon " + *problem);
      return std::nullopt;
    }
    return ring;
  }

  void check_camera_use() {
    std::set<std::string> used;
    for (std::size_t z = 0; z < config_.zones.size(); ++z) {
      const Zone& zone = config_.zones[z];
      bool any_enabled = false;
      for (const auto& id : zone.cameras) {
        used.insert(id);
        const Camera* camera = config_.find_camera(id);
        any_enabled = any_enabled || (camera != nullptr && camera->enabled);
      }
      if (!any_enabled && !zone.cameras.empty()) {
        report_.warning(zone_lines_[z], index_path("zone", z),
                        "zone " + quote(zone.id) + " has no enabled camera, so it will be "
                        "uncovered whenever children are in care",
                        Reach::WholeFile);
      }
    }
    for (std::size_t c = 0; c < config_.cameras.size(); ++c) {
      const Camera& camera = config_.cameras[c];
      if (camera.id.empty() || used.count(camera.id) != 0) continue;
      report_.warning(camera_lines_[c], index_path("camera", c),
                      "camera " + quote(camera.id) + " is in no zone, so it counts toward no "
                      "zone's coverage; add it to the cameras of a [[zone]]",
                      Reach::WholeFile);
    }
  }

  const toml::table& root_;
  Reporter& report_;
  Config config_;
  std::map<std::string, std::pair<std::string, std::uint32_t>> camera_ids_;  // id -> path, line
  std::vector<std::string> camera_id_list_;
  std::vector<toml::source_region> camera_lines_;  // parallel to config_.cameras
  std::vector<toml::source_region> zone_lines_;    // parallel to config_.zones
};

// Makes line `line` (1-based) harmless so parsing can go on past it. A broken table header
// becomes the header of a quarantine table, so the keys under it are not taken for keys of
// the table above; any other line becomes blank. Every other line stays where it was, so
// later diagnostics keep their line numbers. False if there is no such line.
bool neutralize_line(std::string& text, std::uint32_t line) {
  if (line == 0) return false;
  std::size_t begin = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    begin = text.find('\n', begin);
    if (begin == std::string::npos) return false;
    ++begin;
  }
  if (begin >= text.size()) return false;
  std::size_t end = text.find('\n', begin);
  if (end == std::string::npos) end = text.size();
  std::size_t first = text.find_first_not_of(" \t", begin);
  bool header = first < end && text[first] == '[';
  std::string replacement =
      header ? "[\"" + std::string(kQuarantinePrefix) + std::to_string(line) + "\"]" : "";
  text.replace(begin, end - begin, replacement);
  return true;
}

// toml++ descriptions end in what it saw ("..., saw 't'"); without it, the kind of error.
std::string_view description_stem(std::string_view description) {
  return description.substr(0, description.find(", saw"));
}

std::string syntax_message(std::string_view description) {
  constexpr std::string_view kPrefix = "Error while ";
  if (description.substr(0, kPrefix.size()) == kPrefix) {
    return "syntax error while " + std::string(description.substr(kPrefix.size()));
  }
  return "syntax error: " + std::string(description);
}

}  // namespace

std::size_t ParseOutcome::error_count() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                                [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

std::size_t ParseOutcome::warning_count() const { return diagnostics.size() - error_count(); }

ParseOutcome parse(std::string_view toml_text, std::string source_name) {
  Reporter report(source_name);
  std::string text(toml_text);
  std::optional<toml::table> root;
  std::set<std::uint32_t> neutralized;
  std::uint32_t previous_line = 0;
  std::string previous_stem;
  for (std::size_t attempt = 0; attempt <= kMaxSyntaxErrors; ++attempt) {
    try {
      root = toml::parse(text, std::string(source_name));
      break;
    } catch (const toml::parse_error& e) {
      const auto& where = e.source();
      std::string stem(description_stem(e.description()));
      bool same_again = neutralized.count(where.begin.line) != 0;
      bool next_line_same = previous_line != 0 && where.begin.line == previous_line + 1 &&
                            stem == previous_stem;
      if (same_again || next_line_same) {
        // Fallout of the last error (an array or string left open), not a new mistake; past
        // it the file's structure is unknown, so stop here.
        break;
      }
      if (attempt == kMaxSyntaxErrors) {
        report.add(Severity::Error, 0, 0, "", "too many syntax errors; fix the ones above and check again");
        break;
      }
      report.add(Severity::Error, where.begin.line, where.begin.column, "", syntax_message(e.description()));
      if (!neutralize_line(text, where.begin.line)) break;
      neutralized.insert(where.begin.line);
      previous_line = where.begin.line;
      previous_stem = std::move(stem);
    }
  }

  std::vector<Diagnostic> syntax = report.take();
  Reporter semantic(source_name);
  Config config;
  if (!syntax.empty()) semantic.set_partial();
  if (root) config = Validator(*root, semantic).run();
  bool valid = syntax.empty() && !semantic.has_errors();

  std::vector<Diagnostic> findings = semantic.take();
  // File order; findings without a line (a missing table) go last.
  std::stable_sort(findings.begin(), findings.end(), [](const Diagnostic& a, const Diagnostic& b) {
    auto key = [](const Diagnostic& d) { return d.line == 0 ? std::numeric_limits<std::uint32_t>::max() : d.line; };
    return key(a) < key(b);
  });

  ParseOutcome outcome;
  outcome.diagnostics = std::move(syntax);
  outcome.diagnostics.insert(outcome.diagnostics.end(), std::make_move_iterator(findings.begin()),
                             std::make_move_iterator(findings.end()));
  if (valid) {
    config.source_path = source_name;
    config.source_text = std::string(toml_text);
    outcome.config = std::move(config);
  }
  return outcome;
}

ParseOutcome parse_file(const std::filesystem::path& path) {
  auto unreadable = [&](std::string why) {
    ParseOutcome outcome;
    outcome.diagnostics.push_back(Diagnostic{Severity::Error, path.string(), 0, 0, "",
                                             "cannot read the configuration: " + why});
    return outcome;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return unreadable("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return unreadable(std::filesystem::exists(path, ec) ? "permission denied or unreadable"
                                                        : "no such file");
  }
  std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return unreadable("read error");
  return parse(content, path.string());
}

Result<Config> load(const std::filesystem::path& path) {
  ParseOutcome outcome = parse_file(path);
  std::string errors;
  for (const auto& d : outcome.diagnostics) {
    if (d.severity == Severity::Warning) {
      log::warn("config_warning", {{"diagnostic", format(d)}});
    } else {
      if (!errors.empty()) errors += "\n";
      errors += format(d);
    }
  }
  if (!outcome.config) return fail(ErrorKind::InvalidArgument, errors);
  return std::move(*outcome.config);
}

std::string summary(const ParseOutcome& outcome) {
  auto plural = [](std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
  };
  std::string out;
  if (outcome.config) {
    out = "config OK: " + plural(outcome.config->cameras.size(), "camera") + ", " +
          plural(outcome.config->zones.size(), "zone");
  } else {
    out = "config has " + plural(outcome.error_count(), "error");
  }
  if (std::size_t warnings = outcome.warning_count(); warnings > 0) {
    out += " (" + plural(warnings, "warning") + ")";
  }
  return out;
}

}  // namespace carekeep::config
