// carekeep CLI: what the read-only index subcommands (status, segments, events) share: opening
// the index read-only with a message that names the next step, --from/--to parsing, camera ids
// with "did you mean", the newest row of a camera, and the text shapes of times, sizes and
// hashes. Everything here runs on the CLI's one thread and may block on SQLite reads.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "command.hpp"
#include "index/index.hpp"

namespace carekeep::cli {

using Json = nlohmann::ordered_json;

// The index named by site.database, opened read-only (never blocks the daemon's writer).
// Throws CommandError naming the path and the next step when it is missing or unreadable.
index::Index open_index(const Context& context);

// Unwraps a read; a failure becomes CommandError("<what>: <message>").
template <class T>
T must(Result<T> result, std::string_view what) {
  if (!result) throw CommandError(std::string(what) + ": " + result.error().message);
  return std::move(*result);
}

// --from/--to as given on the command line: ISO 8601 with or without offset (site local time),
// or a date alone (--to DATE includes that whole day). UsageError unless from < to.
index::TimeRange parse_range(const std::string& from, const std::string& to, const TimeZone& zone);

// Checks that `camera` is configured or known to the index (a removed camera's footage is still
// listed). UsageError "unknown camera "x"; did you mean "y"?" otherwise.
void require_camera(std::string_view camera, const Context& context, std::span<const index::CameraRow> known);

// The camera's segment (any state but open) that started last, and its newest camera event;
// both search backwards from `now` in growing windows, never before the camera was first seen.
// The index has no "last of camera" query yet, so this bounds the rows read instead.
std::optional<index::SegmentRow> last_finished_segment(index::Index& index, const index::CameraRow& camera,
                                                       UtcTime now);
std::optional<index::CameraEventRow> last_camera_event(index::Index& index, const index::CameraRow& camera,
                                                       UtcTime now);

// "the camera refused the connection (...)" for a cause recorded in the index, if it is one
// of ingest's causes; nullopt for "" (up events) and unknown causes.
std::optional<std::string> plain_reason(std::string_view cause);

std::string hex(const index::Sha256& hash);
Json hex_or_null(const std::optional<index::Sha256>& hash);
Json local_or_null(const std::optional<UtcTime>& t, const TimeZone& zone);
double seconds(Micros d);
using text::human_bytes;  // base/text.hpp
std::string human_seconds(Micros d);
// What a hold covers: "camera cam-1" or "zone play".
std::string hold_target(const index::HoldRow& hold);      // "59.9s", "3m00s", "2h05m"

// Columns padded to their widest cell, two spaces apart; `right` marks right-aligned columns.
// The last column is never padded. Widths are display columns (CJK characters count two).
class Table {
 public:
  Table(std::vector<std::string> header, std::vector<bool> right);
  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  void print() const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace carekeep::cli
