#include "synthetic_site.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string_view>
#include <tuple>
#include <vector>

#include "config/load.hpp"
#include "index/index.hpp"

namespace carekeep::bench {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kInsertSql = R"sql(
  insert into segment (camera_id, run_id, seq, start_us, duration_us, end_us, path, size_bytes, frames, keyframes,
                       video_codec, width, height, sha256, chain_sha256, state, protect_until_us, created_us, closed_us)
  values (:camera_id, :run_id, :seq, :start_us, :duration_us, :end_us, :path, 15000000, 1500, 60, 'h264', 1920, 1080,
          :sha256, :sha256, 'closed', :protect_until_us, :start_us, :end_us)
)sql";

std::int64_t write_index(const std::filesystem::path& path, const std::vector<index::ConfiguredCamera>& cameras,
                         const care::CareCalendar& calendar, UtcTime first, int days) {
  const UtcTime last = first + date::days{days};
  std::int64_t rows = 0;
  auto index = must(index::Index::open_writer(path), "opening the index");
  must(index.sync_cameras(cameras, first - 24h), "cameras");
  auto tx = must(index.transaction(), "begin");
  auto daemon = must(index.begin_daemon_run({first, "bench", 1, "bench"}), "daemon run");
  auto insert = must(index.connection().prepare(kInsertSql), "prepare");
  std::mt19937_64 rng(11);
  std::array<std::uint8_t, 32> hash{};
  auto care = calendar.care_intervals(first, last);
  auto in_care = [&](UtcTime s, UtcTime e) {
    auto it = std::lower_bound(care.begin(), care.end(), s, [](const care::Interval& iv, UtcTime t) { return iv.end <= t; });
    return it != care.end() && it->begin < e;
  };
  const auto n = cameras.size();
  for (int d = 0; d < days; ++d) {
    const UtcTime day_start = first + date::days{d};
    const UtcTime day_end = day_start + date::days{1};
    // One outage per camera per day; every third day both cameras of a zone together (a gap).
    std::vector<std::pair<UtcTime, UtcTime>> outage(n);
    for (std::size_t c = 0; c < n; ++c) {
      auto at = day_start + 7h + std::chrono::minutes(rng() % 660);
      if (c % 2 == 1 && d % 3 == 0) at = outage[c - 1].first + 1min;
      outage[c] = {at, at + std::chrono::minutes(2 + rng() % 9)};
    }
    for (std::size_t c = 0; c < n; ++c) {
      const std::string& camera = cameras[c].id;
      auto [down, up] = outage[c];
      for (auto [from, to, cause] : {std::tuple{day_start, down, "refused"}, std::tuple{up, day_end, "shutdown"}}) {
        auto run = must(index.begin_run(camera, daemon, from), "run");
        std::int64_t seq = 0;
        for (UtcTime s = from; s < to; s += 60s, ++seq) {
          UtcTime e = std::min(to, s + 60s);
          for (auto& b : hash) b = static_cast<std::uint8_t>(rng());
          std::optional<std::int64_t> protect;
          if (in_care(s, e)) protect = to_us(e + date::days{90});
          insert.bind(":camera_id", camera)
              .bind(":run_id", run)
              .bind(":seq", seq)
              .bind(":start_us", to_us(s))
              .bind(":duration_us", (e - s).count())
              .bind(":end_us", to_us(e))
              .bind(":path", camera + "/" + std::to_string(to_us(s)) + ".mp4")
              .bind(":sha256", sqlite::Blob(hash))
              .bind(":protect_until_us", protect);
          must(insert.run(), "insert");
          insert.reset();
          ++rows;
        }
        must(index.end_run(run, to, cause), "run end");
      }
      must(index.insert_camera_event({0, camera, down, index::CameraEventKind::Down, "refused", "connection refused"}),
           "event");
      must(index.insert_camera_event({0, camera, up, index::CameraEventKind::Up, "", ""}), "event");
    }
  }
  must(index.end_daemon_run(daemon, last, "signal"), "daemon end");
  for (int i = 0; i < 300; ++i) {
    must(index.append_access_log({first + std::chrono::minutes(i * 400), 0, "root", i % 3 == 0 ? "export" : "verify",
                                  R"({"camera":"cam-01","from":"2026-03-05T08:00:00+08:00"})", "ok"}),
         "access log");
  }
  for (int i = 0; i < 200; ++i) {
    auto t = first + std::chrono::minutes(i * 600);
    must(index.connection().exec("insert into alert (kind, subject, severity, message, raised_us, last_seen_us, "
                                 "resolved_us) values ('camera_down', 'cam-0" + std::to_string(i % 10) +
                                 "', 'critical', 'camera down: refused', " + std::to_string(to_us(t)) + ", " +
                                 std::to_string(to_us(t + 5min)) + ", " + std::to_string(to_us(t + 6min)) + ")"),
         "alert");
  }
  for (int i = 0; i < 5; ++i) {
    must(index.insert_clock_event({0, first + date::days{i * 17}, 3s, true, "segment split"}), "clock");
  }
  must(tx.commit(), "commit");
  must(index.connection().exec("pragma wal_checkpoint(truncate)"), "checkpoint");
  return rows;
}

}  // namespace

void die(const char* what, const Error& error) {
  std::fprintf(stderr, "bench: %s: %s\n", what, error.message.c_str());
  std::exit(1);
}

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

const char* const kSiteOptionsHelp =
    "  --cameras  cameras of 60 s segments, two per zone (default 16, even)\n"
    "  --days     days of footage and of the measured period (default 90)\n"
    "  --dir      where to make the temporary index (default /var/tmp)\n"
    "  --keep     leave it there\n"
    "  --reuse    use the index a --keep run left in DIR (same --cameras and --days)\n";

bool parse_site_option(int argc, char** argv, int& i, SiteOptions& o, void (*usage)(int)) {
  std::string_view a = argv[i];
  auto value = [&]() -> std::string {
    if (i + 1 >= argc) usage(2);
    return argv[++i];
  };
  if (a == "--cameras") o.cameras = std::stoi(value());
  else if (a == "--days") o.days = std::stoi(value());
  else if (a == "--dir") o.dir = value();
  else if (a == "--keep") o.keep = true;
  else if (a == "--reuse") o.reuse = value();
  else return false;
  if (o.cameras < 2 || o.cameras % 2 != 0 || o.days < 1) usage(2);
  return true;
}

std::filesystem::path site_dir(const SiteOptions& o, const char* prefix) {
  if (!o.reuse.empty()) return o.reuse;
  std::string pattern = (o.dir / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("bench: mkdtemp");
    std::exit(1);
  }
  return pattern;
}

void remove_site_dir(const SiteOptions& o, const std::filesystem::path& root) {
  if (o.keep || !o.reuse.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

Site make_site(const std::filesystem::path& root, int cameras, int days, bool reuse) {
  std::filesystem::create_directories(root / "media");
  std::string toml = "[site]\nname = \"阳光家庭托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                     (root / "media").string() + "\"\ndatabase = \"" + (root / "index.db").string() +
                     "\"\naddress = \"北京市朝阳区\"\n[care_hours]\n";
  for (const char* d : {"monday", "tuesday", "wednesday", "thursday", "friday"}) toml += std::string(d) + " = [\"07:30-18:30\"]\n";
  std::vector<index::ConfiguredCamera> configured;
  for (int c = 0; c < cameras; ++c) {
    char id[16];
    std::snprintf(id, sizeof id, "cam-%02d", c);
    configured.push_back({id, "摄像头 " + std::to_string(c + 1)});
    toml += "[[camera]]\nid = \"" + std::string(id) + "\"\nname = \"" + configured.back().name +
            "\"\nurl = \"rtsp://10.0.0." + std::to_string(c + 10) + "/stream1\"\n";
  }
  static const char* kRooms[] = {"午睡室", "游戏区", "餐厅", "盥洗室", "活动室", "阅读角", "门厅", "户外"};
  for (int z = 0; z < cameras / 2; ++z) {
    toml += "[[zone]]\nid = \"zone-" + std::to_string(z) + "\"\nname = \"" + kRooms[z % 8] +
            (z >= 8 ? std::to_string(z) : "") + "\"\ncameras = [\"" + configured[static_cast<std::size_t>(2 * z)].id +
            "\", \"" + configured[static_cast<std::size_t>(2 * z + 1)].id + "\"]\n";
  }
  auto parsed = config::parse(toml, "bench.toml");
  if (!parsed.ok()) {
    std::fprintf(stderr, "bench: bad generated config\n");
    std::exit(1);
  }
  const TimeZone zone = must(TimeZone::locate("Asia/Shanghai"), "time zone");
  care::CareCalendar calendar(parsed.config->care_hours, zone);
  const LocalDays first_day = must(parse_date("2026-03-02"), "date");  // a Monday
  const UtcTime first = zone.to_utc(LocalTime{first_day});
  std::int64_t rows = reuse ? 0 : write_index(root / "index.db", configured, calendar, first, days);
  return Site{root, *parsed.config, std::move(calendar), first, first + date::days{days}, rows};
}

}  // namespace carekeep::bench
