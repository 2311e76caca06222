#include "base/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace carekeep::text {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest(std::string_view wrong, std::span<const std::string> candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(wrong, candidate);
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  // A suggestion farther than a third of the word (at least 2 edits) is noise, not help.
  std::size_t limit = std::max<std::size_t>(2, wrong.size() / 3);
  if (best && best_distance <= limit) return best;
  return std::nullopt;
}

namespace {
// Finds "scheme://" and, if an '@' appears in the rest of that URL, the userinfo span.
struct UserInfo {
  std::size_t begin;  // first byte after "://"
  std::size_t end;    // index of '@'
};

std::optional<UserInfo> find_userinfo(std::string_view s, std::size_t from) {
  std::size_t scheme = s.find("://", from);
  if (scheme == std::string_view::npos) return std::nullopt;
  std::size_t begin = scheme + 3;
  // The URL ends where text does; not at the first '/', '?' or '#': people type passwords
  // with those unencoded ("rtsp://admin:pa/ss@cam"), and such a password must not leak.
  std::size_t stop = s.find_first_of(" \t\r\n\"'<>", begin);
  if (stop == std::string_view::npos) stop = s.size();
  // The last '@' of the URL: passwords may themselves contain '@'. A path or query with an
  // '@' hides the host too, which errs on the safe side.
  std::size_t at = s.substr(0, stop).rfind('@');
  if (at == std::string_view::npos || at < begin) return UserInfo{begin, std::string_view::npos};
  return UserInfo{begin, at};
}
}  // namespace

std::string redact_url(std::string_view url) {
  auto info = find_userinfo(url, 0);
  if (!info || info->end == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, info->begin)) + "***" + std::string(url.substr(info->end));
}

std::string redact_urls_in(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto info = find_userinfo(text, pos);
    if (!info) break;
    if (info->end == std::string_view::npos) {
      out += text.substr(pos, info->begin - pos);
      pos = info->begin;
      continue;
    }
    out += text.substr(pos, info->begin - pos);
    out += "***";
    pos = info->end;
  }
  out += text.substr(pos);
  return out;
}

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  std::size_t unit = 0;
  while (std::fabs(bytes) >= 999.95 && unit + 1 < std::size(kUnits)) {
    bytes /= 1000;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, kUnits[unit]);
  }
  return buf;
}

}  // namespace carekeep::text
