#include "config/history.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "base/text.hpp"

namespace carekeep::config {
namespace {

bool starts_with_ci(std::string_view text, std::size_t pos, std::string_view prefix) {
  if (text.size() - pos < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != prefix[i]) return false;
  }
  return true;
}

bool url_end(char c) { return c == '"' || c == '\'' || c == '#' || static_cast<unsigned char>(c) <= 0x20; }

// Every value in the query of every http(s) URL: a webhook robot's key or access token.
std::string redact_http_queries(std::string text) {
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (!starts_with_ci(text, pos, "http://") && !starts_with_ci(text, pos, "https://")) continue;
    std::size_t end = pos;
    while (end < text.size() && !url_end(text[end])) ++end;
    std::size_t query = text.find('?', pos);
    if (query == std::string::npos || query >= end) {
      pos = end;
      continue;
    }
    std::string rebuilt;
    std::size_t i = query + 1;
    while (i < end) {
      std::size_t amp = std::min(text.find('&', i), end);
      std::string_view pair(text.data() + i, amp - i);
      auto eq = pair.find('=');
      rebuilt += eq == std::string_view::npos ? std::string("***") : std::string(pair.substr(0, eq + 1)) + "***";
      if (amp < end) rebuilt += '&';
      i = amp + 1;
    }
    text.replace(query + 1, end - query - 1, rebuilt);
    pos = query + rebuilt.size();
  }
  return text;
}

// Every quoted string on a line ("..." or '...') through text::redact_url when it holds a URL,
// and every comment through text::redact_urls_in. Inside the quotes, so that the closing quote
// stays: redact_urls_in over the whole text would take it for the end of a password.
std::string redact_url_strings(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '#') {
      std::size_t eol = std::min(text.find('\n', i), text.size());
      out += text::redact_urls_in(text.substr(i, eol - i));
      i = eol;
      continue;
    }
    if (c == '"' || c == '\'') {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != c && text[j] != '\n') j += (c == '"' && text[j] == '\\') ? 2 : 1;
      if (j < text.size() && text[j] == c) {
        std::string_view inner = text.substr(i + 1, j - i - 1);
        out += c;
        out += inner.find("://") == std::string_view::npos ? std::string(inner) : text::redact_url(inner);
        out += c;
        i = j + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// `secret = "..."` (a DingTalk signing secret) on a line of its own, whatever the quoting.
std::string redact_secret_keys(std::string text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::size_t k = pos;
    while (k < eol && (text[k] == ' ' || text[k] == '\t')) ++k;
    if (text.compare(k, 6, "secret") == 0) {
      std::size_t eq = k + 6;
      while (eq < eol && (text[eq] == ' ' || text[eq] == '\t')) ++eq;
      if (eq < eol && text[eq] == '=') {
        std::string replacement = "= \"***\"";
        text.replace(eq, eol - eq, replacement);
        eol = eq + replacement.size();
      }
    }
    pos = eol + 1;
  }
  return text;
}

template <class T>
std::string shown(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) return value;
  else return std::to_string(value);
}

template <class T>
void changed(std::vector<std::string>& out, std::string_view key, const T& before, const T& after) {
  if (before != after) out.push_back(std::string(key) + " " + shown(before) + " -> " + shown(after));
}

std::string doubled(double value) {
  std::string s = std::to_string(value);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool same_camera(const Camera& a, const Camera& b) {
  return a.name == b.name && a.redacted_url() == b.redacted_url() && a.transport == b.transport &&
         a.client == b.client && a.segment_seconds == b.segment_seconds && a.max_frame_mib == b.max_frame_mib &&
         a.allow_basic_auth == b.allow_basic_auth && a.enabled == b.enabled && a.content == b.content;
}

std::string exception_text(const Exception& e) {
  std::string out = format_date(e.date);
  if (e.closed) return out + " closed";
  out += " ";
  for (std::size_t i = 0; i < e.hours.size(); ++i) out += (i ? "," : "") + format_hour_range(e.hours[i]);
  return out;
}

void append(std::string& out, std::string_view label, const std::vector<std::string>& items) {
  if (items.empty()) return;
  if (!out.empty()) out += "; ";
  out += label;
  out += ": ";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
}

}  // namespace

std::string redacted_for_history(std::string_view toml_text) {
  return redact_secret_keys(redact_http_queries(redact_url_strings(toml_text)));
}

ConfigChanges compare(const Config& before, const Config& after) {
  ConfigChanges c;
  for (const auto& cam : after.cameras) {
    const auto* old = before.find_camera(cam.id);
    if (old == nullptr) c.cameras_added.push_back(cam.id);
    else if (!same_camera(*old, cam)) c.cameras_changed.push_back(cam.id);
  }
  for (const auto& cam : before.cameras) {
    if (after.find_camera(cam.id) == nullptr) c.cameras_removed.push_back(cam.id);
  }
  for (const auto& zone : after.zones) {
    const auto* old = before.find_zone(zone.id);
    if (old == nullptr) c.zones_added.push_back(zone.id);
    else if (old->name != zone.name || old->cameras != zone.cameras) c.zones_changed.push_back(zone.id);
  }
  for (const auto& zone : before.zones) {
    if (after.find_zone(zone.id) == nullptr) c.zones_removed.push_back(zone.id);
  }
  for (std::size_t d = 0; d < CareHours::kDayKeys.size(); ++d) {
    if (before.care_hours.weekly[d] != after.care_hours.weekly[d])
      c.care_days_changed.emplace_back(CareHours::kDayKeys[d]);
  }
  std::map<LocalDays, const Exception*> old_exceptions;
  for (const auto& e : before.care_hours.exceptions) old_exceptions[e.date] = &e;
  for (const auto& e : after.care_hours.exceptions) {
    auto it = old_exceptions.find(e.date);
    if (it == old_exceptions.end()) {
      c.exceptions_added.push_back(exception_text(e));
      continue;
    }
    if (it->second->closed != e.closed || it->second->hours != e.hours)
      c.exceptions_changed.push_back(exception_text(*it->second) + " -> " + exception_text(e));
    old_exceptions.erase(it);
  }
  for (const auto& [date, e] : old_exceptions) c.exceptions_removed.push_back(exception_text(*e));
  changed(c.retention, "care_days", before.retention.care_days, after.retention.care_days);
  changed(c.retention, "other_days", before.retention.other_days, after.retention.other_days);
  changed(c.retention, "min_free_percent", before.retention.min_free_percent, after.retention.min_free_percent);
  auto cap = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : std::string("none"); };
  changed(c.retention, "max_bytes", cap(before.retention.max_bytes), cap(after.retention.max_bytes));
  changed(c.coverage, "gap_tolerance_seconds", doubled(before.coverage.gap_tolerance_seconds),
          doubled(after.coverage.gap_tolerance_seconds));
  if (before.site.timezone != after.site.timezone) c.timezone.push_back(before.site.timezone + " -> " + after.site.timezone);
  return c;
}

bool ConfigChanges::schedule_or_zones() const {
  return !care_days_changed.empty() || !exceptions_added.empty() || !exceptions_removed.empty() ||
         !exceptions_changed.empty() || !timezone.empty() || !zones_added.empty() || !zones_removed.empty() ||
         !zones_changed.empty();
}

bool ConfigChanges::empty() const {
  for (const auto& part : parts()) {
    if (!part.items->empty()) return false;
  }
  return true;
}

std::vector<ConfigChanges::Part> ConfigChanges::parts() const {
  return {{"cameras_added", "cameras added", &cameras_added},
          {"cameras_removed", "cameras removed", &cameras_removed},
          {"cameras_changed", "cameras changed", &cameras_changed},
          {"zones_added", "zones added", &zones_added},
          {"zones_removed", "zones removed", &zones_removed},
          {"zones_changed", "zones changed", &zones_changed},
          {"care_days_changed", "care hours changed", &care_days_changed},
          {"exceptions_added", "exceptions added", &exceptions_added},
          {"exceptions_removed", "exceptions removed", &exceptions_removed},
          {"exceptions_changed", "exceptions changed", &exceptions_changed},
          {"timezone", "time zone", &timezone},
          {"retention", "retention", &retention},
          {"coverage", "coverage", &coverage}};
}

std::string ConfigChanges::summary() const {
  std::string out;
  for (const auto& part : parts()) append(out, part.label, *part.items);
  return out.empty() ? "no change to cameras, zones, care hours or retention" : out;
}

}  // namespace carekeep::config
