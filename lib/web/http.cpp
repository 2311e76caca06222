#include "web/http.hpp"

namespace carekeep::web {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_digit(s[i + 1]);
      int lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

const std::string* Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header) {
  std::map<std::string, std::string, std::less<>> out;
  std::size_t start = 0;
  while (start <= header.size() && out.size() < 64) {
    auto end = header.find(';', start);
    auto part = trim(header.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    auto eq = part.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      std::string name(trim(part.substr(0, eq)));
      out.emplace(std::move(name), std::string(trim(part.substr(eq + 1))));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<std::map<std::string, std::string, std::less<>>> parse_form(std::string_view body) {
  std::map<std::string, std::string, std::less<>> out;
  std::size_t start = 0;
  while (start < body.size()) {
    auto end = body.find('&', start);
    auto part = body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      auto name = percent_decode(part.substr(0, eq), true);
      auto value = eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(part.substr(eq + 1), true);
      if (!name || !value) return std::nullopt;
      out.emplace(std::move(*name), std::move(*value));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<std::string> clean_path(std::string_view target) {
  auto q = target.find_first_of("?#");
  auto raw = target.substr(0, q);
  if (raw.empty() || raw.front() != '/') return std::nullopt;
  auto path = percent_decode(raw, false);
  if (!path) return std::nullopt;
  if (path->find('\0') != std::string::npos || path->find('\\') != std::string::npos ||
      path->find("//") != std::string::npos)
    return std::nullopt;
  std::size_t start = 1;
  while (start <= path->size()) {
    auto end = path->find('/', start);
    auto segment = std::string_view(*path).substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (segment == "." || segment == "..") return std::nullopt;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return path;
}

std::string query_value(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return "";
  auto form = parse_form(target.substr(q + 1));
  if (!form) return "";
  auto it = form->find(key);
  return it == form->end() ? "" : it->second;
}

}  // namespace carekeep::web
