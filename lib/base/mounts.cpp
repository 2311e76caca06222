#include "base/mounts.hpp"

#include <fstream>
#include <sstream>
#include <vector>

namespace carekeep::mounts {
namespace {

namespace stdfs = std::filesystem;

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int value = 0;
      bool octal = true;
      for (std::size_t k = 1; k <= 3 && octal; ++k) {
        char c = field[i + k];
        octal = c >= '0' && c <= '7';
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

bool under(const stdfs::path& path, const stdfs::path& mount_point) {
  auto p = path.begin();
  for (auto m = mount_point.begin(); m != mount_point.end(); ++m, ++p) {
    if (m->empty()) continue;  // trailing separator
    if (p == path.end() || *p != *m) return false;
  }
  return true;
}

// "ro" among comma-separated options ("ro,relatime", "rw,errors=remount-ro": the latter is rw).
bool has_ro(std::string_view options) {
  std::size_t start = 0;
  while (start <= options.size()) {
    auto comma = options.find(',', start);
    auto word = options.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (word == "ro") return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::optional<Mount> find_mount(std::string_view mountinfo, const stdfs::path& path) {
  std::optional<Mount> best;
  std::size_t best_len = 0;
  std::istringstream lines{std::string(mountinfo)};
  std::string line;
  while (std::getline(lines, line)) {
    // id parent major:minor root mount_point options [optional...] - fs_type source super_options
    std::istringstream fields(line);
    std::vector<std::string> f;
    std::string word;
    while (fields >> word) f.push_back(word);
    std::size_t dash = 0;
    for (std::size_t i = 6; i < f.size(); ++i) {
      if (f[i] == "-") {
        dash = i;
        break;
      }
    }
    if (f.size() < 7 || dash == 0 || dash + 2 >= f.size()) continue;
    stdfs::path mount_point = unescape(f[4]);
    if (!under(path, mount_point)) continue;
    std::size_t len = mount_point.native().size();
    if (!best || len >= best_len) {
      bool fs_ro = dash + 3 < f.size() && has_ro(f[dash + 3]);
      best = Mount{mount_point, f[dash + 1], unescape(f[dash + 2]), has_ro(f[5]), fs_ro};
      best_len = len;
    }
  }
  return best;
}

stdfs::path resolve_existing(stdfs::path path) {
  std::error_code ec;
  path = stdfs::absolute(path, ec);
  while (!path.empty() && !stdfs::exists(path, ec)) {
    if (path == path.parent_path()) break;
    path = path.parent_path();
  }
  auto canonical = stdfs::canonical(path, ec);
  return ec ? path : canonical;
}

std::optional<Mount> mount_of(const stdfs::path& path) {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return find_mount(text.str(), resolve_existing(path));
}

}  // namespace carekeep::mounts
