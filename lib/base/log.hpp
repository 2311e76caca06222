// base/log: the one logging facade. Events have stable snake_case names plus fields, e.g.
//   log::warn("rtsp_reconnect", {{"camera", id}, {"attempt", std::to_string(n)}});
// Under systemd (JOURNAL_STREAM set) lines carry <N> priority prefixes and no timestamp;
// elsewhere an ISO-8601 UTC timestamp. Every value is passed through URL redaction, so a
// camera URL with credentials can never reach a log line. Thread-safe; never blocks on I/O
// beyond a write to stderr.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace carekeep::log {

enum class Level { Debug = 0, Info, Warn, Error, Critical };

using Field = std::pair<std::string_view, std::string>;
using Fields = std::initializer_list<Field>;

void set_level(Level level);
Level level();
// Parses "debug" | "info" | "warn" | "error"; false if unknown.
bool parse_level(std::string_view text, Level& out);

void write(Level level, std::string_view event, Fields fields);

inline void debug(std::string_view event, Fields fields = {}) { write(Level::Debug, event, fields); }
inline void info(std::string_view event, Fields fields = {}) { write(Level::Info, event, fields); }
inline void warn(std::string_view event, Fields fields = {}) { write(Level::Warn, event, fields); }
inline void error(std::string_view event, Fields fields = {}) { write(Level::Error, event, fields); }
inline void critical(std::string_view event, Fields fields = {}) { write(Level::Critical, event, fields); }

}  // namespace carekeep::log
