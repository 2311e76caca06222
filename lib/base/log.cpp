#include "base/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/text.hpp"

namespace carekeep::log {
namespace {

std::atomic<Level> g_level{Level::Info};

// sd-daemon(3) priority prefixes: the journal turns them into PRIORITY= fields.
int syslog_priority(Level level) {
  switch (level) {
    case Level::Debug: return 7;
    case Level::Info: return 6;
    case Level::Warn: return 4;
    case Level::Error: return 3;
    case Level::Critical: return 2;
  }
  return 6;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
    case Level::Critical: return "critical";
  }
  return "info";
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto l = std::make_shared<spdlog::logger>("carekeep", sink);
    bool under_journal = std::getenv("JOURNAL_STREAM") != nullptr;
    // The journal stamps time itself; elsewhere, UTC ISO-8601 keeps logs comparable across boxes.
    l->set_pattern(under_journal ? "%v" : "%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

bool needs_quotes(std::string_view v) {
  return v.empty() || v.find_first_of(" \t\"=") != std::string_view::npos;
}

}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error, Level::Critical}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view event, Fields fields) {
  if (level < g_level.load()) return;
  std::string line;
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    line += '<';
    line += std::to_string(syslog_priority(level));
    line += '>';
  }
  line += level_name(level);
  line += ' ';
  line += event;
  for (const auto& [key, raw] : fields) {
    std::string value = text::redact_urls_in(raw);
    line += ' ';
    line += key;
    line += '=';
    if (needs_quotes(value)) {
      line += '"';
      for (char c : value) {
        if (c == '"' || c == '\\') line += '\\';
        line += c == '\n' ? ' ' : c;
      }
      line += '"';
    } else {
      line += value;
    }
  }
  logger().log(spdlog::level::info, line);
}

}  // namespace carekeep::log
