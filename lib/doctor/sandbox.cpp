// doctor/sandbox: is [site] storage writable under carekeepd.service's sandbox? Reads the
// unit and its drop-ins as files (systemd need not be running: a box being set up, a test),
// the way systemd merges them. --fix-storage writes the one drop-in that makes it so.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "base/fs.hpp"
#include "doctor/doctor.hpp"

namespace carekeep::doctor {
namespace {

namespace stdfs = std::filesystem;

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

// Paths of a ReadWritePaths=/RequiresMountsFor= value: space-separated, each maybe prefixed by
// "-" (ignore if missing) or "+" (relative to RootDirectory=, which the unit has not).
void add_paths(std::vector<stdfs::path>& list, std::string_view value) {
  if (trim(value).empty()) {
    list.clear();  // an empty assignment resets the list
    return;
  }
  std::istringstream words{std::string(value)};
  std::string word;
  while (words >> word) {
    while (!word.empty() && (word.front() == '-' || word.front() == '+')) word.erase(word.begin());
    if (!word.empty()) list.emplace_back(stdfs::path(word).lexically_normal());
  }
}

bool under(const stdfs::path& path, const stdfs::path& top) {
  auto p = path.begin();
  for (auto t = top.begin(); t != top.end(); ++t, ++p) {
    if (t->empty()) continue;  // trailing separator
    if (p == path.end() || *p != *t) return false;
  }
  return true;
}

// Resolved like systemd resolves it when it sets up the namespace (symlinks followed), so
// that /srv -> /data and ReadWritePaths=/data/footage still match storage /srv/footage.
stdfs::path resolved(const stdfs::path& path) {
  std::error_code ec;
  auto canonical = stdfs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : canonical;
}

std::string joined(const std::vector<stdfs::path>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : " ") + p.string();
  return out.empty() ? "none" : out;
}

const char* const kUnitDirs[] = {"etc/systemd/system", "run/systemd/system", "usr/local/lib/systemd/system",
                                 "usr/lib/systemd/system", "lib/systemd/system"};

}  // namespace

void apply_unit_text(UnitSandbox& sandbox, std::string_view text) {
  std::istringstream lines{std::string(text)};
  std::string line;
  std::string section;
  while (std::getline(lines, line)) {
    auto t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[') {
      section = t;
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    auto key = trim(std::string_view(t).substr(0, eq));
    auto value = trim(std::string_view(t).substr(eq + 1));
    if (section == "[Service]") {
      if (key == "ReadWritePaths") add_paths(sandbox.writable, value);
      else if (key == "ProtectSystem") sandbox.strict = value == "strict";
      else if (key == "StateDirectory") {
        // Relative names under /var/lib; the unit's own directory is always writable.
        std::istringstream words{value};
        std::string word;
        while (words >> word) sandbox.writable.push_back(stdfs::path("/var/lib") / word.substr(0, word.find(':')));
      }
    } else if (section == "[Unit]" && key == "RequiresMountsFor") {
      add_paths(sandbox.mounts_for, value);
    }
  }
}

std::optional<UnitSandbox> read_unit_sandbox(const stdfs::path& root) {
  std::error_code ec;
  UnitSandbox sandbox;
  for (const char* dir : kUnitDirs) {
    auto unit = root / dir / kUnitName;
    // A symlink to /dev/null masks the unit: it is not going to run.
    if (stdfs::is_symlink(unit, ec) && stdfs::read_symlink(unit, ec) == "/dev/null") return std::nullopt;
    if (stdfs::is_regular_file(unit, ec)) {
      sandbox.files.push_back(unit);
      break;
    }
  }
  if (sandbox.files.empty()) return std::nullopt;
  // Drop-ins by file name; the first directory that has a name wins. The "service.d"
  // directories apply to every service, before the unit's own of the same name order.
  std::map<std::string, stdfs::path> drop_ins;
  for (const std::string& sub : {std::string(kUnitName) + ".d", std::string("service.d")}) {
    for (const char* dir : kUnitDirs) {
      for (const auto& entry : stdfs::directory_iterator(root / dir / sub, ec)) {
        if (entry.path().extension() != ".conf") continue;
        drop_ins.emplace(entry.path().filename().string(), entry.path());
      }
    }
  }
  std::vector<stdfs::path> order{sandbox.files.front()};
  for (const auto& [name, path] : drop_ins) order.push_back(path);
  sandbox.files.clear();
  for (const auto& path : order) {
    std::ifstream in(path);
    if (!in) continue;  // unreadable: systemd would complain; doctor judges what it can read
    std::stringstream text;
    text << in.rdbuf();
    apply_unit_text(sandbox, text.str());
    sandbox.files.push_back(path);
  }
  return sandbox;
}

std::string storage_drop_in(const stdfs::path& storage) {
  return "# carekeepd may write its footage here (carekeep doctor, issue 14).\n"
         "[Unit]\nRequiresMountsFor=" +
         storage.string() + "\n\n[Service]\nReadWritePaths=" + storage.string() + "\n";
}

Check check_sandbox(const config::Config& config, const std::optional<UnitSandbox>& sandbox,
                    const std::optional<Mount>& mount) {
  const auto& storage = config.site.storage;
  Check c{"sandbox", storage.string(), Verdict::Pass, "", ""};
  if (!sandbox) {
    c.verdict = Verdict::Skip;
    c.finding = std::string(kUnitName) + " is not installed on this machine";
    return c;
  }
  if (!sandbox->strict) {
    c.finding = std::string(kUnitName) + " does not confine writes (no ProtectSystem=strict)";
    return c;
  }
  auto target = resolved(storage);
  const stdfs::path* granted = nullptr;
  for (const auto& path : sandbox->writable) {
    if (under(target, resolved(path))) granted = &path;
  }
  const std::string step = "then run: systemctl daemon-reload && systemctl restart carekeepd";
  if (granted == nullptr) {
    c.verdict = Verdict::Fail;
    c.finding = "carekeepd's sandbox (ProtectSystem=strict) would make " + storage.string() +
                " read-only: it is not under ReadWritePaths= (" + joined(sandbox->writable) + ")";
    c.advice = "create " + std::string(kStorageDropIn) + " with these lines:\n" + storage_drop_in(storage) + step +
               " (as root, `carekeep doctor --fix-storage` writes the file)";
    return c;
  }
  // On a disk of its own: the unit must wait for that mount, or carekeepd would record into
  // the empty mount point on the root file system when the disk is late.
  if (mount && mount->mount_point != "/") {
    bool waits = std::any_of(sandbox->mounts_for.begin(), sandbox->mounts_for.end(),
                             [&](const stdfs::path& p) { return under(resolved(p), mount->mount_point); });
    if (!waits) {
      c.verdict = Verdict::Warn;
      c.finding = storage.string() + " is writable (ReadWritePaths=" + granted->string() + ") but " +
                  std::string(kUnitName) + " does not wait for its mount " + mount->mount_point.string() +
                  " (RequiresMountsFor=" + joined(sandbox->mounts_for) + ")";
      c.advice = "create " + std::string(kStorageDropIn) + " with these lines:\n" + storage_drop_in(storage) + step +
                 " (as root, `carekeep doctor --fix-storage` writes the file)";
      return c;
    }
  }
  c.finding = "writable under carekeepd's sandbox (ReadWritePaths=" + granted->string() + ")";
  return c;
}

Result<stdfs::path> write_storage_drop_in(const stdfs::path& root, const stdfs::path& storage,
                                          std::string_view owner) {
  std::error_code ec;
  if (!stdfs::exists(storage, ec)) {
    // ReadWritePaths= of a missing path fails the unit's start: create it, for the daemon.
    stdfs::create_directories(storage, ec);
    if (ec) return fail(ErrorKind::FailedPrecondition, "creating " + storage.string() + ": " + ec.message());
    if (const passwd* pw = ::getpwnam(std::string(owner).c_str()); pw != nullptr) {
      if (::chown(storage.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        return fail(ErrorKind::FailedPrecondition, "giving " + storage.string() + " to " + std::string(owner));
      ::chmod(storage.c_str(), 0750);
    }
  }
  auto path = root / stdfs::path(kStorageDropIn).relative_path();
  stdfs::create_directories(path.parent_path(), ec);
  if (ec) return fail(ErrorKind::FailedPrecondition, "creating " + path.parent_path().string() + ": " + ec.message());
  if (auto st = fs::write_file_atomic(path, storage_drop_in(storage)); !st) return tl::unexpected(st.error());
  ::chmod(path.c_str(), 0644);
  return path;
}

}  // namespace carekeep::doctor
