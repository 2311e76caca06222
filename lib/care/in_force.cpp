#include "care/in_force.hpp"

namespace carekeep::care {

std::vector<SpanPiece> pieces_in_force(std::span<const ConfigSpan> spans, UtcTime from, UtcTime to) {
  std::vector<SpanPiece> out;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    UtcTime begin = i == 0 ? from : std::max(from, spans[i].valid_from);
    UtcTime end = i + 1 < spans.size() ? std::min(to, spans[i + 1].valid_from) : to;
    if (end > begin) out.push_back({begin, end, &spans[i]});
  }
  return out;
}

CareCalendar calendar_of(const ConfigSpan& span) {
  auto zone = TimeZone::locate(span.config->site.timezone);
  // A stored configuration passed validation, time zone included, when it was loaded; a
  // system that lost that zone since falls back to UTC rather than to no care time at all.
  return CareCalendar{span.config->care_hours, zone ? std::move(*zone) : TimeZone::locate("UTC").value()};
}

std::vector<Interval> care_intervals(std::span<const ConfigSpan> spans, UtcTime from, UtcTime to) {
  std::vector<Interval> out;
  for (const auto& piece : pieces_in_force(spans, from, to)) {
    for (const auto& iv : calendar_of(*piece.span).care_intervals(piece.from, piece.to)) {
      if (!out.empty() && out.back().end >= iv.begin) out.back().end = std::max(out.back().end, iv.end);
      else out.push_back(iv);
    }
  }
  return out;
}

}  // namespace carekeep::care
