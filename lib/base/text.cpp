#include "base/text.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
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
  // The URL ends only where whitespace or a control character does; not at '/', '?', '#' or
  // quotes: people type passwords with those unencoded ("rtsp://admin:Kid's/Room@cam"), and
  // such a password must not leak. Erring this way may hide more of a line, never a secret.
  std::size_t stop = begin;
  while (stop < s.size() && static_cast<unsigned char>(s[stop]) > 0x20 && s[stop] != 0x7f) ++stop;
  // The last '@' of the URL: passwords may themselves contain '@'. A path or query with an
  // '@' hides the host too, which errs on the safe side.
  std::size_t at = s.substr(0, stop).rfind('@');
  if (at == std::string_view::npos || at < begin) return UserInfo{begin, std::string_view::npos};
  return UserInfo{begin, at};
}
}  // namespace

namespace {
// Cameras that take credentials in the query ("...?user=admin&password=x", XMEye's
// "&pwd=x"): the values of these keys are replaced too, case-insensitively.
std::string redact_query_secrets(std::string text) {
  static constexpr std::string_view kKeys[] = {"password=", "passwd=", "pass=", "pwd=", "psw="};
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t pos = 0; pos < lower.size(); ++pos) {
    if (pos > 0 && lower[pos - 1] != '?' && lower[pos - 1] != '&' && lower[pos - 1] != ';') continue;
    for (auto key : kKeys) {
      if (lower.compare(pos, key.size(), key) != 0) continue;
      std::size_t value = pos + key.size();
      std::size_t end = value;
      while (end < lower.size() && lower[end] != '&' && lower[end] != ';' && static_cast<unsigned char>(lower[end]) > 0x20) ++end;
      if (end > value) {
        text.replace(value, end - value, "***");
        lower.replace(value, end - value, "***");
      }
      break;
    }
  }
  return text;
}
}  // namespace

std::string redact_url(std::string_view url) {
  auto info = find_userinfo(url, 0);
  if (!info || info->end == std::string_view::npos) return redact_query_secrets(std::string(url));
  return redact_query_secrets(std::string(url.substr(0, info->begin)) + "***" + std::string(url.substr(info->end)));
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
  return redact_query_secrets(std::move(out));
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

std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto escape = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      escape(c);
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      escape(static_cast<unsigned char>(text[++i]));  // U+0080..U+009F: the 8-bit control codes (CSI is U+009B)
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void append_xml_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

std::string xml_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_xml_escaped(out, text);
  return out;
}

std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace carekeep::text
