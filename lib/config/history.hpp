// config/history: what the configuration history needs from a configuration file (issue 15;
// docs/evidence.md, Configuration history): the text that may be stored, and what changed
// between two versions. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace carekeep::config {

// The file's text as the index may keep it: every URL's credentials (user:password@ and
// password-like query values, text::redact_url on each quoted string and redact_urls_in on
// each comment), every http(s) URL's query values (webhook
// robot keys and tokens) and every `secret = "..."` value replaced by ***. The result still
// parses as the same schedule, zones and cameras; it is what gets hashed and stored, so a
// password alone changing does not make a new version.
std::string redacted_for_history(std::string_view toml_text);

// What differs between two configurations, in the terms the access log and reports use.
// Cameras compare by redacted URL and every recording setting; zones by name and cameras.
struct ConfigChanges {
  std::vector<std::string> cameras_added, cameras_removed, cameras_changed;  // camera ids
  std::vector<std::string> zones_added, zones_removed, zones_changed;        // zone ids
  std::vector<std::string> care_days_changed;                                 // "monday", ...
  std::vector<std::string> exceptions_added, exceptions_removed, exceptions_changed;  // "2026-12-01"
  std::vector<std::string> retention;   // "care_days 90 -> 120", one per changed key
  std::vector<std::string> coverage;    // "gap_tolerance_seconds 2 -> 5"
  std::vector<std::string> timezone;    // "Asia/Shanghai -> Asia/Urumqi"

  // Care hours (weekly days, exceptions, time zone) or zones (added, removed, cameras) changed:
  // what decides coverage, and what reports list for their period.
  bool schedule_or_zones() const;
  bool empty() const;
  // Every list above with its key ("cameras_added") and label ("cameras added"), in the order
  // summary() names them: one table for the summary and the access log's JSON.
  struct Part {
    std::string_view key;
    std::string_view label;
    const std::vector<std::string>* items;
  };
  std::vector<Part> parts() const;
  // "care hours changed: saturday; exception added: 2026-12-01 (closed); zone removed: nap" ...
  // one line, parts joined by "; "; "no change to cameras, zones, care hours or retention"
  // when nothing listed here changed (another section did).
  std::string summary() const;
};

ConfigChanges compare(const Config& before, const Config& after);

}  // namespace carekeep::config
