#include "inspect.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <system_error>
#include <tuple>

#include "base/sha256.hpp"
#include "base/text.hpp"
#include "ingest/rtsp_source.hpp"

namespace carekeep::cli {

index::Index open_index(const Context& context) {
  const auto& path = context.config.site.database;
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (ec) {
    throw CommandError("cannot look at the index " + path.string() + ": " + ec.message() +
                       "; is this user allowed to read carekeepd's data directory?");
  }
  if (!exists) {
    throw CommandError("no index at " + path.string() + " (site.database in " + context.config_path.string() +
                       "); is carekeepd configured with this database? has it run yet?");
  }
  auto opened = index::Index::open_reader(path);
  if (!opened) throw CommandError("cannot read the index " + path.string() + ": " + opened.error().message);
  return std::move(*opened);
}

index::TimeRange parse_range(const std::string& from, const std::string& to, const TimeZone& zone) {
  auto first = parse_cli_time(from, zone, DateBoundary::StartOfDay);
  if (!first) throw UsageError("--from: " + first.error().message);
  auto last = parse_cli_time(to, zone, DateBoundary::EndOfDay);
  if (!last) throw UsageError("--to: " + last.error().message);
  if (!(*first < *last)) {
    throw UsageError("--from " + format_local_iso(*first, zone) + " is not before --to " +
                     format_local_iso(*last, zone) + "; the range is empty");
  }
  return {*first, *last};
}

void require_camera(std::string_view camera, const Context& context, std::span<const index::CameraRow> known) {
  std::vector<std::string> ids;
  for (const auto& c : context.config.cameras) ids.push_back(c.id);
  for (const auto& c : known) {
    if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) ids.push_back(c.id);
  }
  if (std::find(ids.begin(), ids.end(), camera) != ids.end()) return;
  std::string message = "unknown camera \"" + std::string(camera) + "\"";
  if (auto suggestion = text::closest(camera, ids)) {
    message += "; did you mean \"" + *suggestion + "\"?";
  } else if (ids.empty()) {
    message += "; no camera is configured or known to the index";
  } else {
    message += "; known cameras:";
    for (std::size_t i = 0; i < ids.size(); ++i) message += (i == 0 ? " " : ", ") + ids[i];
  }
  throw UsageError(message);
}

namespace {

// Walks back from `now` in windows of 1 h, 2 h, 4 h, ... and returns the first thing `pick`
// finds in one; the first window reaches +infinity (rows after a clock step back). Stops a day
// before the camera was first seen: a clock step can put a row a little before it, not more.
template <class Row, class Query, class Pick>
std::optional<Row> search_back(const index::CameraRow& camera, UtcTime now, Query query, Pick pick) {
  const UtcTime far_future = from_us(std::numeric_limits<std::int64_t>::max());
  const UtcTime floor = camera.first_seen - std::chrono::hours{24};
  Micros window = std::chrono::hours{1};
  UtcTime hi = far_future;
  UtcTime lo = now - window;
  while (true) {
    lo = std::max(lo, floor);
    if (lo < hi) {
      if (auto found = pick(query(index::TimeRange{lo, hi}))) return found;
    }
    if (lo <= floor) return std::nullopt;
    hi = lo;
    window *= 2;
    lo = hi - window;
  }
}

}  // namespace

std::optional<index::SegmentRow> last_finished_segment(index::Index& index, const index::CameraRow& camera,
                                                       UtcTime now) {
  return search_back<index::SegmentRow>(
      camera, now,
      [&](index::TimeRange range) {
        return must(index.segments(camera.id, range), "reading the index");
      },
      [](const std::vector<index::SegmentRow>& rows) {
        std::optional<index::SegmentRow> best;
        for (const auto& row : rows) {
          if (row.state == index::SegmentState::Open) continue;
          if (!best || std::tie(row.start, row.id) > std::tie(best->start, best->id)) best = row;
        }
        return best;
      });
}

std::optional<index::CameraEventRow> last_camera_event(index::Index& index, const index::CameraRow& camera,
                                                       UtcTime now) {
  return search_back<index::CameraEventRow>(
      camera, now,
      [&](index::TimeRange range) {
        return must(index.camera_events(range, camera.id), "reading the index");
      },
      [](const std::vector<index::CameraEventRow>& rows) {
        return rows.empty() ? std::nullopt : std::optional<index::CameraEventRow>(rows.back());  // by time, id
      });
}

std::optional<std::string> plain_reason(std::string_view cause) {
  auto parsed = ingest::parse_down_cause(cause);
  if (!parsed) return std::nullopt;
  return std::string(ingest::describe(*parsed));
}

std::string hex(const index::Sha256& hash) { return to_hex(hash); }

Json hex_or_null(const std::optional<index::Sha256>& hash) { return hash ? Json(hex(*hash)) : Json(nullptr); }

Json local_or_null(const std::optional<UtcTime>& t, const TimeZone& zone) {
  return t ? Json(format_local_iso(*t, zone)) : Json(nullptr);
}

double seconds(Micros d) { return static_cast<double>(d.count()) / 1e6; }

std::string human_seconds(Micros d) {
  char buf[48];
  long long tenths = std::llround(static_cast<double>(d.count()) / 1e5);
  if (tenths < 0) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(tenths) / 10);
  } else if (tenths < 600) {
    std::snprintf(buf, sizeof buf, "%lld.%llds", tenths / 10, tenths % 10);
  } else {
    long long s = (tenths + 5) / 10;
    if (s < 3600) {
      std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    } else {
      std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
    }
  }
  return buf;
}

namespace {

// Terminal columns of UTF-8 text: East Asian wide characters take two, the rest one.
std::size_t display_width(std::string_view s) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto byte = static_cast<unsigned char>(s[i]);
    std::size_t length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    char32_t cp = length == 1 ? byte : byte & (0x3F >> (length - 1));
    for (std::size_t k = 1; k < length && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
    width += wide ? 2 : 1;
    i += length;
  }
  return width;
}

}  // namespace

Table::Table(std::vector<std::string> header, std::vector<bool> right)
    : header_(std::move(header)), right_(std::move(right)) {
  right_.resize(header_.size(), false);
}

void Table::add(std::vector<std::string> row) {
  row.resize(header_.size());
  // Cells carry index text (details, reasons, paths) that whoever can write the index chose.
  for (auto& cell : row) cell = text::printable(cell);
  rows_.push_back(std::move(row));
}

void Table::print() const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      bool last = i + 1 == row.size();
      std::string pad(widths[i] - display_width(row[i]), ' ');
      if (right_[i]) {
        line += pad + row[i];
      } else {
        line += row[i];
        if (!last) line += pad;
      }
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  };
  print_row(header_);
  for (const auto& row : rows_) print_row(row);
}

std::string hold_target(const index::HoldRow& hold) {
  return hold.camera_id ? "camera " + *hold.camera_id : "zone " + hold.zone_id.value_or("?");
}

}  // namespace carekeep::cli
