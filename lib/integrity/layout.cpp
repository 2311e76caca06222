#include "integrity/layout.hpp"

#include <charconv>

namespace carekeep::integrity {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<int> two_digits(std::string_view s) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return std::nullopt;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

}  // namespace

bool is_segment_file_name(std::string_view name) {
  if (name.empty() || name[0] == '.') return false;
  return ends_with(name, kSegmentSuffix) || ends_with(name, std::string(kSegmentSuffix) + std::string(kPartialSuffix));
}

std::string without_partial(std::string_view name) {
  if (ends_with(name, kPartialSuffix)) name.remove_suffix(kPartialSuffix.size());
  return std::string(name);
}

std::optional<SegmentName> parse_segment_path(std::string_view relative) {
  auto first = relative.find('/');
  if (first == std::string_view::npos || first == 0) return std::nullopt;
  auto second = relative.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view camera = relative.substr(0, first);
  std::string_view date = relative.substr(first + 1, second - first - 1);
  std::string_view file = relative.substr(second + 1);
  if (file.find('/') != std::string_view::npos) return std::nullopt;

  SegmentName name;
  name.camera = std::string(camera);
  auto day = parse_date(date);
  if (!day || format_date(*day) != date) return std::nullopt;  // exactly YYYY-MM-DD
  name.day = *day;

  if (ends_with(file, kPartialSuffix)) {
    name.partial = true;
    file.remove_suffix(kPartialSuffix.size());
  }
  if (!ends_with(file, kSegmentSuffix)) return std::nullopt;
  file.remove_suffix(kSegmentSuffix.size());
  // HHMMSS-<seq>
  if (file.size() < 8 || file[6] != '-') return std::nullopt;
  auto hh = two_digits(file.substr(0, 2));
  auto mm = two_digits(file.substr(2, 2));
  auto ss = two_digits(file.substr(4, 2));
  if (!hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 59) return std::nullopt;
  name.time_of_day = std::chrono::hours{*hh} + std::chrono::minutes{*mm} + std::chrono::seconds{*ss};
  std::string_view seq = file.substr(7);
  auto [ptr, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), name.seq);
  if (ec != std::errc{} || ptr != seq.data() + seq.size()) return std::nullopt;
  return name;
}

}  // namespace carekeep::integrity
