// carekeep export / verify-export / verify / access-log against real footage and a real
// index (footage.hpp), mostly through the CLI as a process: exit codes, files, signals.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "export/anchor.hpp"
#include "export/export.hpp"
#include "base/destination.hpp"
#include "base/leftover.hpp"
#include "footage.hpp"
#include "integrity/recovery.hpp"
#include "segment/hash.hpp"
#include "signing/signing.hpp"
#include "signing/trust.hpp"
#include "support/media.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const UtcTime kT0 = UtcTime{date::sys_days{date::year{2026} / 11 / 20}} + 8h;

std::string iso(UtcTime t) { return format_utc_iso(t); }
std::string iso_us(UtcTime t) {
  // Sub-second --from values: ISO with fraction and Z.
  auto s = date::format("%FT%T", t);
  return s + "Z";
}

// A site (UTC) with cameras nap-1 and front in zone "rooms", 12 s of footage each from kT0
// in segments of ~4 s with a keyframe every second, and the box key in the state directory.
struct Site {
  test::TempDir dir;
  std::filesystem::path config = dir / "carekeep.toml";
  std::filesystem::path state = dir / "state";
  std::filesystem::path database = state / "index.db";
  std::filesystem::path storage = dir / "media";
  std::vector<index::SegmentRow> nap;
  std::vector<index::SegmentRow> front;

  // `care`: nap-1's footage is care-hours footage, protected for 90 days after each segment.
  explicit Site(bool care = false) {
    test::write_text(config, R"([site]
name = "阳光家庭托育点"
timezone = "UTC"
storage = ")" + storage.string() + R"("
database = ")" + database.string() + R"("
[care_hours]
monday = ["07:30-18:30"]
[[camera]]
id = "nap-1"
name = "午睡室"
url = "rtsp://admin:secret@10.0.0.3/stream1"
[[camera]]
id = "front"
url = "rtsp://admin:secret@10.0.0.2/stream1"
[[zone]]
id = "rooms"
cameras = ["front", "nap-1"]
)");
    std::filesystem::create_directories(storage);
    std::filesystem::create_directories(state);
    auto index = index::Index::open_writer(database).value();
    test::FootageSpec nap_spec{"nap-1", kT0, 12, 4, 25, false};
    if (care) nap_spec.protect_for = std::chrono::days{90};
    nap = test::make_footage(index, storage, nap_spec);
    front = test::make_footage(index, storage, {"front", kT0, 12, 4, 25, false});
    // As carekeepd at its first start: the key, its fingerprint pinned beside the config (the
    // test's directory is writable, as an installer's /etc/carekeep is), a first anchor.
    bool created = false;
    auto key = signing::KeyPair::load_or_create(state, &created);
    REQUIRE(key);
    REQUIRE(created);
    REQUIRE(signing::pin_fingerprint(dir / std::string(signing::kFingerprintFileName), key->fingerprint()));
    test::write_text(state / "signing.pub", key->public_key_pem());
    REQUIRE(exports::sign_anchors(index, *key, kT0 + 1min));
  }

  test::CommandRun cli(const std::string& args) const {
    return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
  }
  std::string pubkey() const {
    auto pem = signing::KeyPair::load(state / "signing.key").value().public_key_pem();
    test::write_text(dir / "box.pem", pem);
    return (dir / "box.pem").string();
  }
  index::Index writer() const { return index::Index::open_writer(database).value(); }
};

json read_json(const std::filesystem::path& p) { return json::parse(test::read_text(p)); }

void flip_byte(const std::filesystem::path& p, std::uint64_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

std::optional<std::filesystem::path> hidden_partial(const std::filesystem::path& parent) {
  for (const auto& e : std::filesystem::directory_iterator(parent))
    if (e.path().filename().string().find(".partial-") != std::string::npos) return e.path();
  return std::nullopt;
}
bool has_hidden_partial(const std::filesystem::path& parent) { return hidden_partial(parent).has_value(); }

// Starts `cmd` as a child process (stdout and stderr to /dev/null); the caller waits for it.
pid_t spawn(const std::string& cmd) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

}  // namespace

TEST_CASE("a camera export starts at a keyframe at or before from and matches its signed manifest", "[export]") {
  Site site;
  auto from = kT0 + 2500ms;
  auto to = kT0 + 9s;
  auto out = site.dir / "out";
  auto run = site.cli("export --camera nap-1 --from " + iso_us(from) + " --to " + iso(to) + " --out " + out.string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  // To look at a real export by hand: CAREKEEP_TEST_KEEP_EXPORT=/some/dir.
  if (const char* keep = std::getenv("CAREKEEP_TEST_KEEP_EXPORT"))
    std::filesystem::copy(out, keep, std::filesystem::copy_options::recursive);

  auto manifest = read_json(out / "manifest.json");
  CHECK(manifest["format"] == "carekeep-export/2");
  CHECK(manifest["site"]["name"] == "阳光家庭托育点");
  CHECK(manifest["key_fingerprint"] == signing::KeyPair::load(site.state / "signing.key")->fingerprint());
  REQUIRE(manifest["cameras"].size() == 1);
  const auto& cam = manifest["cameras"][0];
  REQUIRE(cam["files"].size() == 1);
  CHECK(cam["files"][0]["path"] == "nap-1.mp4");
  // The keyframe at or before 08:00:02.5 is the one at 08:00:02 (one a second).
  CHECK(cam["actual_from"] == "2026-11-20T08:00:02+00:00");
  CHECK(cam["segments"].size() == 3);  // 0-4, 4-8, 8-12 s
  for (const auto& seg : cam["segments"]) {
    auto row = std::find_if(site.nap.begin(), site.nap.end(), [&](const auto& r) { return r.id == seg["id"]; });
    REQUIRE(row != site.nap.end());
    CHECK(seg["sha256"] == segment::to_hex(*row->sha256));
    CHECK(seg["chain_sha256"] == segment::to_hex(*row->chain_sha256));
    CHECK(seg["path"] == row->path);
  }

  auto info = test::probe(out / "nap-1.mp4");
  REQUIRE(info.opened);
  CHECK(info.first_packet_key);
  CHECK(info.dts_monotonic);
  CHECK(info.video_codec == "h264");
  // From the 08:00:02 keyframe to 08:00:09: 7 s, within one GOP (1 s) of the 6.5 s asked.
  double duration = info.last_pts_end_seconds - info.first_pts_seconds;
  CHECK(duration == Approx(7.0).margin(0.1));
  CHECK(info.video_packets == 7 * 25);

  // faststart: moov before mdat.
  auto bytes = test::read_text(out / "nap-1.mp4");
  CHECK(bytes.find("moov") < bytes.find("mdat"));

  for (const auto& f : manifest["files"]) {
    CHECK(f["sha256"] == test::sha256_file(out / f["path"].get<std::string>()));
  }
  auto verified = site.cli("verify-export " + out.string() + " --pubkey " + site.pubkey());
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  // Without --pubkey, on the box, the local key is used.
  CHECK(site.cli("verify-export " + out.string()).exit_code == 0);

  auto log = site.cli("access-log --json");
  REQUIRE(log.exit_code == 0);
  auto rows = json::parse(log.out)["rows"];
  // The hold the export placed while it read, then released, each with its row (verify pairs
  // them with the hold's chain entries: hold_unaccounted), then the export itself.
  REQUIRE(rows.size() >= 3);
  CHECK(rows[0]["action"] == "hold_add");
  CHECK(rows[0]["arguments"]["placed_as"] == "export");
  CHECK(rows[1]["action"] == "hold_release");
  CHECK(rows[1]["arguments"]["id"] == rows[0]["arguments"]["id"]);
  CHECK(rows[2]["action"] == "export");
  CHECK(rows[2]["result"] == "ok");
  CHECK(rows[2]["arguments"]["camera"] == "nap-1");
}

TEST_CASE("verify-export names a flipped byte in the video or in the manifest", "[export]") {
  Site site;
  auto out = site.dir / "out";
  REQUIRE(site.cli("export --camera nap-1 --from " + iso(kT0) + " --to " + iso(kT0 + 6s) + " --out " + out.string())
              .exit_code == 0);
  auto key = site.pubkey();
  REQUIRE(site.cli("verify-export " + out.string() + " --pubkey " + key).exit_code == 0);

  SECTION("video") {
    flip_byte(out / "nap-1.mp4", std::filesystem::file_size(out / "nap-1.mp4") / 2);
    auto run = site.cli("verify-export " + out.string() + " --pubkey " + key);
    CHECK(run.exit_code == 4);
    CHECK(run.err.find("nap-1.mp4: SHA-256 differs") != std::string::npos);
  }
  SECTION("manifest") {
    auto text = test::read_text(out / "manifest.json");
    auto at = text.find("阳光");
    REQUIRE(at != std::string::npos);
    flip_byte(out / "manifest.json", at);
    auto run = site.cli("verify-export " + out.string() + " --pubkey " + key);
    CHECK(run.exit_code == 4);
    CHECK(run.err.find("manifest.sig does not match manifest.json") != std::string::npos);
  }
  SECTION("another key") {
    test::TempDir other;
    auto pem = signing::KeyPair::load_or_create(other.path()).value().public_key_pem();
    test::write_text(other / "other.pem", pem);
    auto run = site.cli("verify-export " + out.string() + " --pubkey " + (other / "other.pem").string());
    CHECK(run.exit_code == 4);
    CHECK(run.err.find("manifest.sig does not match") != std::string::npos);
  }
  SECTION("an added file") {
    test::write_text(out / "note.txt", "added later");
    auto run = site.cli("verify-export " + out.string() + " --pubkey " + key);
    CHECK(run.exit_code == 4);
    CHECK(run.err.find("note.txt: not listed") != std::string::npos);
  }
}

TEST_CASE("a zone export writes every camera of the zone and holds the footage only while it runs", "[export]") {
  Site site;
  auto out = site.dir / "zone-out";
  auto run = site.cli("export --zone rooms --from " + iso(kT0 + 1s) + " --to " + iso(kT0 + 5s) + " --timestamps --json --out " +
                      out.string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(std::filesystem::exists(out / "nap-1.mp4"));
  CHECK(std::filesystem::exists(out / "front.mp4"));
  // JSON lines: progress, then done.
  CHECK(run.out.find("\"event\":\"done\"") != std::string::npos);
  auto manifest = read_json(out / "manifest.json");
  CHECK(manifest["request"]["zone"] == "rooms");
  CHECK(manifest["cameras"].size() == 2);
  // The subtitle track (mov_text) is there, next to the copied video.
  auto probe = test::run_command("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " + (out / "front.mp4").string());
  CHECK(probe.out.find("h264") != std::string::npos);
  CHECK(probe.out.find("mov_text") != std::string::npos);
  auto subs = test::run_command("ffmpeg -v error -i " + (out / "front.mp4").string() + " -map 0:s -f srt -");
  CHECK(subs.out.find("2026-11-20 08:00:01 +00:00") != std::string::npos);

  auto index = site.writer();
  auto holds = index.holds().value();
  REQUIRE(holds.size() == 1);
  CHECK(holds[0].hold.zone_id == std::optional<std::string>("rooms"));
  CHECK(holds[0].hold.released.has_value());
  CHECK(holds[0].hold.reason.find("export to") != std::string::npos);
}

TEST_CASE("export bad input gets one line and its own exit code", "[export]") {
  Site site;
  auto out = (site.dir / "o").string();
  auto range = " --from " + iso(kT0) + " --to " + iso(kT0 + 5s);

  auto reversed = site.cli("export --camera nap-1 --from " + iso(kT0 + 5s) + " --to " + iso(kT0) + " --out " + out);
  CHECK(reversed.exit_code == 10);
  CHECK(reversed.err.find("must be before --to") != std::string::npos);

  auto camera = site.cli("export --camera nap1" + range + " --out " + out);
  CHECK(camera.exit_code == 11);
  CHECK(camera.err.find("did you mean \"nap-1\"") != std::string::npos);

  auto zone = site.cli("export --zone room" + range + " --out " + out);
  CHECK(zone.exit_code == 11);
  CHECK(zone.err.find("did you mean \"rooms\"") != std::string::npos);

  auto empty = site.cli("export --camera nap-1 --from " + iso(kT0 + 1h) + " --to " + iso(kT0 + 2h) + " --out " + out);
  CHECK(empty.exit_code == 12);
  CHECK(empty.err.find("no footage") != std::string::npos);

  test::write_text(site.dir / "o" / "keep.txt", "x");
  auto full = site.cli("export --camera nap-1" + range + " --out " + out);
  CHECK(full.exit_code == 13);
  CHECK(full.err.find("not empty") != std::string::npos);
  for (const auto* r : {&reversed, &camera, &zone, &empty, &full}) {
    CHECK(std::count(r->err.begin(), r->err.end(), '\n') == 1);
  }
  CHECK_FALSE(has_hidden_partial(site.dir.path()));
}

TEST_CASE("an export that runs out of disk leaves nothing behind", "[export]") {
  Site site;
  test::SmallFilesystem small(96 * 1024);
  auto out = small.path() / "out";
  auto run = site.cli("export --zone rooms --from " + iso(kT0) + " --to " + iso(kT0 + 12s) + " --out " + out.string());
  INFO(run.out << run.err);
  CHECK(run.exit_code == 14);
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  CHECK(std::filesystem::is_empty(small.path()));
  // The hold placed for the export was released.
  auto holds = site.writer().active_holds().value();
  CHECK(holds.empty());
}

// The source check happens while the remux reads each segment (export/source_reader): the
// first segment of a file, one that continues it, the unread tail after --to, and a header
// the demuxer cannot parse must each still end in exit 15 naming the segment.
TEST_CASE("an export of footage altered after its index row fails with exit 15 and leaves nothing", "[export]") {
  Site site;
  // nap-1: segments 0-4 s, 4-8 s, 8-12 s; the export reads 1 s to 9 s.
  REQUIRE(site.nap.size() == 3);
  std::filesystem::path altered;
  SECTION("in the segment the file starts with") {
    altered = site.storage / site.nap[0].path;
    flip_byte(altered, std::filesystem::file_size(altered) / 2);
  }
  SECTION("in a segment that continues the file") {
    altered = site.storage / site.nap[1].path;
    flip_byte(altered, std::filesystem::file_size(altered) / 2);
  }
  SECTION("after --to in the last segment, where the remux stops reading") {
    altered = site.storage / site.nap[2].path;
    flip_byte(altered, std::filesystem::file_size(altered) - 100);
  }
  SECTION("in the header of a segment that continues the file, so that it cannot be read") {
    altered = site.storage / site.nap[1].path;
    auto bytes = test::read_text(altered);
    auto moov = bytes.find("moov");
    REQUIRE(moov != std::string::npos);
    flip_byte(altered, moov);
  }
  auto out = site.dir / "out";
  auto run = site.cli("export --camera nap-1 --from " + iso(kT0 + 1s) + " --to " + iso(kT0 + 9s) + " --out " +
                      out.string());
  INFO(run.out << run.err);
  CHECK(run.exit_code == 15);
  auto rel = std::filesystem::relative(altered, site.storage).string();
  CHECK(run.err.find("carekeep: camera nap-1: segment " + rel + " does not match its index hash") != std::string::npos);
  // One line of carekeep's own; libavformat's log lines (the muxer's second pass, a demuxer
  // that cannot parse the altered header) may come before it.
  CHECK(run.err.find("carekeep:") == run.err.rfind("carekeep:"));
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK_FALSE(has_hidden_partial(site.dir.path()));
  CHECK(site.writer().active_holds().value().empty());
}

TEST_CASE("a cancelled export leaves no complete-looking output", "[export]") {
  Site site;
  auto index = site.writer();
  auto key = signing::KeyPair::load(site.state / "signing.key").value();
  exports::ExportRequest request;
  request.zone_id = "rooms";
  request.cameras = {{"front", "front"}, {"nap-1", "nap-1"}};
  request.from = kT0;
  request.to = kT0 + 12s;
  request.out = site.dir / "cancelled";
  request.actor = exports::Actor::current();
  std::atomic<bool> cancel{false};
  int calls = 0;
  fs::LocalDestination dest;
  auto outcome = exports::run_export(
      index, site.storage, key, request, dest,
      [&](const exports::Progress& p) {
        // Half-way through the first camera, as a Ctrl-C would land.
        if (++calls == 1) CHECK(p.bytes_done < p.bytes_total);
        cancel = true;
      },
      &cancel);
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == ErrorKind::Cancelled);
  CHECK_FALSE(std::filesystem::exists(request.out));
  CHECK_FALSE(has_hidden_partial(site.dir.path()));
  CHECK(index.active_holds().value().empty());
}

TEST_CASE("SIGINT during a CLI export exits 130 or completes and never leaves a partial export", "[export]") {
  Site site;
  // Enough footage that the export takes a moment: 2 minutes at 320x240.
  {
    auto index = site.writer();
    test::make_footage(index, site.storage, {"nap-1", kT0 + 1h, 120, 30, 25, false});
  }
  auto out = site.dir / "sig";
  std::string cmd = std::string(CAREKEEP_CLI_PATH) + " --config " + site.config.string() + " export --camera nap-1 --from " +
                    iso(kT0 + 1h) + " --to " + iso(kT0 + 1h + 120s) + " --json --out " + out.string();
  pid_t pid = spawn(cmd);
  // Interrupt as soon as the hidden work folder appears.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!has_hidden_partial(site.dir.path()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  int code = WEXITSTATUS(status);
  CHECK((code == 130 || code == 0));
  if (code == 130) {
    CHECK_FALSE(std::filesystem::exists(out));
  } else {
    CHECK(site.cli("verify-export " + out.string()).exit_code == 0);
  }
  CHECK_FALSE(has_hidden_partial(site.dir.path()));
}

namespace {

std::string subtitles_of(const std::filesystem::path& file) {
  return test::run_command("ffmpeg -v error -i " + file.string() + " -map 0:s -f srt -").out;
}

// Two minutes of nap-1 at 320x240 from kT0 + 1 h (the clip of the SIGINT case): enough that
// an export of it is still running when the test acts on it.
void add_long_footage(const Site& site) {
  auto index = site.writer();
  test::make_footage(index, site.storage, {"nap-1", kT0 + 1h, 120, 30, 25, false});
}

// Whether the build folder's marker is written through (it is created empty, then written).
bool has_complete_marker(const std::filesystem::path& folder) {
  std::ifstream in(folder / fs::kBuildMarkerFile);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.find("\nboot_id=") != std::string::npos && text.ends_with("\n");
}

// A file other than the marker: the export has placed its hold (committed) and is remuxing,
// so stopping it now does not leave the index's write lock taken.
bool has_video_started(const std::filesystem::path& folder) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
    if (entry.path().filename() != fs::kBuildMarkerFile) return true;
  return false;
}

enum class WaitFor { marker, video };

// Starts a CLI export of that footage to `out` and waits until a build folder next to `out`
// has its marker (the export is then reading and writing) or, with WaitFor::video, its first
// video file. The folder is none if none came.
std::pair<pid_t, std::optional<std::filesystem::path>> start_long_export(const Site& site,
                                                                         const std::filesystem::path& out,
                                                                         WaitFor wait_for = WaitFor::marker) {
  pid_t pid = spawn(std::string(CAREKEEP_CLI_PATH) + " --config " + site.config.string() +
                    " export --camera nap-1 --from " + iso(kT0 + 1h) + " --to " + iso(kT0 + 1h + 120s) + " --out " +
                    out.string());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::optional<std::filesystem::path> building;
  while (std::chrono::steady_clock::now() < deadline) {
    building = hidden_partial(out.parent_path());
    if (building && has_complete_marker(*building) && (wait_for == WaitFor::marker || has_video_started(*building)))
      break;
    std::this_thread::sleep_for(1ms);
  }
  return {pid, building};
}

// The lines carekeep itself wrote on stderr.
std::vector<std::string> carekeep_lines(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("carekeep: ")) lines.push_back(line);
  return lines;
}

// One exported video, read back with libavformat: `codec` at width x height, starting on a
// keyframe, dts increasing, `frames` frames lasting frames / 25 s, moov before mdat.
test::MediaInfo check_video(const std::filesystem::path& file, const std::string& codec, int width, int height,
                            std::int64_t frames) {
  INFO(file.filename().string());
  auto info = test::probe(file);
  REQUIRE(info.opened);
  CHECK(info.video_codec == codec);
  CHECK(info.width == width);
  CHECK(info.height == height);
  CHECK(info.first_packet_key);
  CHECK(info.dts_monotonic);
  CHECK(info.video_packets == frames);
  CHECK(info.last_pts_end_seconds - info.first_pts_seconds == Approx(static_cast<double>(frames) / 25).margin(0.05));
  auto bytes = test::read_text(file);
  CHECK(bytes.find("moov") < bytes.find("mdat"));
  return info;
}

}  // namespace

TEST_CASE("a codec change inside the range starts a second file and both are in the signed manifest", "[export]") {
  Site site;
  // nap-1 recorded H.264 from 08:00:00 to 08:00:12 (Site); then the camera was switched to
  // H.265: a new run from 08:00:12 to 08:00:20, in segments of 4 s.
  {
    auto index = site.writer();
    test::FootageSpec hevc{"nap-1", kT0 + 12s, 8, 4, 25, false};
    hevc.codec = "hevc";
    test::make_footage(index, site.storage, hevc);
  }
  auto out = site.dir / "out";
  auto run = site.cli("export --camera nap-1 --from " + iso_us(kT0 + 9500ms) + " --to " + iso(kT0 + 17s) +
                      " --timestamps --out " + out.string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("nap-1: nap-1.mp4, 2026-11-20T08:00:09+00:00 to 2026-11-20T08:00:12+00:00, h264 320x240") !=
        std::string::npos);
  CHECK(run.out.find("nap-1: nap-1.part2.mp4, 2026-11-20T08:00:12+00:00 to 2026-11-20T08:00:17+00:00, hevc 320x240") !=
        std::string::npos);
  CHECK(run.out.find("in 2 files") != std::string::npos);

  // Each file is a stream copy in its own codec, starts on a keyframe and covers its part:
  // the keyframe at or before 08:00:09.5 (08:00:09) to the switch, then the switch to --to.
  CHECK(check_video(out / "nap-1.mp4", "h264", 320, 240, 3 * 25).codec_tag == "avc1");
  CHECK(check_video(out / "nap-1.part2.mp4", "hevc", 320, 240, 5 * 25).codec_tag == "hvc1");
  // The wall-clock subtitle track of each file starts at that file's own first frame.
  auto first_subs = subtitles_of(out / "nap-1.mp4");
  CHECK(first_subs.find("2026-11-20 08:00:09 +00:00") != std::string::npos);
  CHECK(first_subs.find("2026-11-20 08:00:11 +00:00") != std::string::npos);
  CHECK(first_subs.find("2026-11-20 08:00:12 +00:00") == std::string::npos);
  auto second_subs = subtitles_of(out / "nap-1.part2.mp4");
  INFO(second_subs);
  auto first_cue = second_subs.find("00:00:00,000 --> 00:00:01,000\n");
  REQUIRE(first_cue != std::string::npos);
  CHECK(second_subs.substr(first_cue, 100).find("2026-11-20 08:00:12 +00:00") != std::string::npos);
  CHECK(second_subs.find("2026-11-20 08:00:16 +00:00") != std::string::npos);
  CHECK(second_subs.find("2026-11-20 08:00:11 +00:00") == std::string::npos);

  auto manifest = read_json(out / "manifest.json");
  REQUIRE(manifest["cameras"].size() == 1);
  const auto& cam = manifest["cameras"][0];
  CHECK(cam["actual_from"] == "2026-11-20T08:00:09+00:00");
  CHECK(cam["actual_to"] == "2026-11-20T08:00:17+00:00");
  REQUIRE(cam["files"].size() == 2);
  CHECK(cam["files"][0]["path"] == "nap-1.mp4");
  CHECK(cam["files"][0]["video_codec"] == "h264");
  CHECK(cam["files"][0]["frames"] == 75);
  CHECK(cam["files"][0]["segments"] == 1);
  CHECK(cam["files"][0]["actual_from"] == "2026-11-20T08:00:09+00:00");
  CHECK(cam["files"][0]["actual_to"] == "2026-11-20T08:00:12+00:00");
  CHECK(cam["files"][1]["path"] == "nap-1.part2.mp4");
  CHECK(cam["files"][1]["video_codec"] == "hevc");
  CHECK(cam["files"][1]["width"] == 320);
  CHECK(cam["files"][1]["frames"] == 125);
  CHECK(cam["files"][1]["segments"] == 2);
  CHECK(cam["files"][1]["actual_from"] == "2026-11-20T08:00:12+00:00");
  CHECK(cam["files"][1]["actual_to"] == "2026-11-20T08:00:17+00:00");
  // Every source segment names the file it went into: 08:00:08-12 (H.264), 12-16, 16-20 (H.265).
  REQUIRE(cam["segments"].size() == 3);
  CHECK(cam["segments"][0]["file"] == "nap-1.mp4");
  CHECK(cam["segments"][1]["file"] == "nap-1.part2.mp4");
  CHECK(cam["segments"][2]["file"] == "nap-1.part2.mp4");
  int videos = 0;
  for (const auto& f : manifest["files"]) {
    auto name = f["path"].get<std::string>();
    CHECK(f["sha256"] == test::sha256_file(out / name));
    if (name.ends_with(".mp4")) {
      ++videos;
      auto in_camera = std::find_if(cam["files"].begin(), cam["files"].end(), [&](const auto& c) { return c["path"] == name; });
      REQUIRE(in_camera != cam["files"].end());
      CHECK((*in_camera)["sha256"] == f["sha256"]);
    }
  }
  CHECK(videos == 2);
  auto readme = test::read_text(out / "README.txt");
  CHECK(readme.find("nap-1.part2.mp4  camera nap-1, 2026-11-20T08:00:12+00:00 to 2026-11-20T08:00:17+00:00, hevc 320x240") !=
        std::string::npos);
  CHECK(readme.find("<camera>.part2.mp4") != std::string::npos);

  auto key = site.pubkey();
  auto verified = site.cli("verify-export " + out.string() + " --pubkey " + key);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  auto second = out / "nap-1.part2.mp4";
  flip_byte(second, std::filesystem::file_size(second) / 2);
  auto flipped = site.cli("verify-export " + out.string() + " --pubkey " + key);
  CHECK(flipped.exit_code == 4);
  CHECK(flipped.err.find("nap-1.part2.mp4: SHA-256 differs") != std::string::npos);
  CHECK(flipped.err.find("nap-1.mp4:") == std::string::npos);
  flip_byte(second, std::filesystem::file_size(second) / 2);  // back as it was
  CHECK(site.cli("verify-export " + out.string() + " --pubkey " + key).exit_code == 0);
  std::filesystem::remove(second);
  auto removed = site.cli("verify-export " + out.string() + " --pubkey " + key);
  CHECK(removed.exit_code == 4);
  CHECK(removed.err.find("nap-1.part2.mp4: missing") != std::string::npos);
}

TEST_CASE("a size change and back and audio added give one file per stretch in time order", "[export]") {
  Site site;
  // 320x240 until 08:00:12 (Site), 640x360 until 08:00:20, 320x240 again until 08:00:24, then
  // 320x240 with an AAC track until 08:00:28: four runs, as four reconfigurations would give.
  {
    auto index = site.writer();
    test::FootageSpec big{"nap-1", kT0 + 12s, 8, 4, 25, false};
    big.width = 640;
    big.height = 360;
    test::make_footage(index, site.storage, big);
    test::make_footage(index, site.storage, {"nap-1", kT0 + 20s, 4, 4, 25, false});
    test::make_footage(index, site.storage, {"nap-1", kT0 + 24s, 4, 4, 25, true});
  }
  auto out = site.dir / "out";
  auto run = site.cli("export --camera nap-1 --from " + iso(kT0 + 10s) + " --to " + iso(kT0 + 28s) + " --json --out " +
                      out.string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  auto done = json::parse(run.out.substr(run.out.rfind("{\"event\":\"done\"")));
  REQUIRE(done["cameras"][0]["files"].size() == 4);

  struct Expected {
    std::string name;
    int width;
    int height;
    std::int64_t frames;
    bool audio;
  };
  const std::vector<Expected> expected{{"nap-1.mp4", 320, 240, 50, false},
                                       {"nap-1.part2.mp4", 640, 360, 200, false},
                                       {"nap-1.part3.mp4", 320, 240, 100, false},
                                       {"nap-1.part4.mp4", 320, 240, 100, true}};
  auto manifest = read_json(out / "manifest.json");
  const auto& files = manifest["cameras"][0]["files"];
  REQUIRE(files.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& e = expected[i];
    INFO(e.name);
    CHECK(files[i]["path"] == e.name);
    CHECK(done["cameras"][0]["files"][i]["file"] == e.name);
    CHECK(files[i]["width"] == e.width);
    CHECK(files[i]["height"] == e.height);
    CHECK(files[i]["frames"] == e.frames);
    CHECK(files[i]["audio_codec"] == (e.audio ? json("aac") : json(nullptr)));
    auto info = check_video(out / e.name, "h264", e.width, e.height, e.frames);
    CHECK((info.audio_codec == "aac") == e.audio);
    CHECK((info.audio_packets > 0) == e.audio);
    if (i > 0) CHECK(files[i]["actual_from"] == files[i - 1]["actual_to"]);
  }
  CHECK(files[0]["actual_from"] == "2026-11-20T08:00:10+00:00");
  CHECK(files[3]["actual_to"] == "2026-11-20T08:00:28+00:00");
  auto key = site.pubkey();
  CHECK(site.cli("verify-export " + out.string() + " --pubkey " + key).exit_code == 0);

  // A manifest signed by the box key whose camera names a video that "files" does not list
  // (so its hash would never be checked) is refused too. carekeep never writes one: the
  // manifest is edited and re-signed with the box key here to show the check can fail.
  auto text = test::read_text(out / "manifest.json");
  auto edited = json::parse(text);
  auto& listed = edited["files"];
  listed.erase(std::remove_if(listed.begin(), listed.end(), [](const auto& f) { return f["path"] == "nap-1.part3.mp4"; }),
               listed.end());
  std::filesystem::remove(out / "nap-1.part3.mp4");
  auto edited_text = edited.dump(2) + "\n";
  test::write_text(out / "manifest.json", edited_text);
  auto box = signing::KeyPair::load(site.state / "signing.key").value();
  test::write_text(out / "manifest.sig", signing::to_hex(box.sign(signing::as_bytes(edited_text))) + "\n");
  auto check = site.cli("verify-export " + out.string() + " --pubkey " + key);
  CHECK(check.exit_code == 4);
  CHECK(check.err.find("nap-1.part3.mp4: named by a camera but not listed") != std::string::npos);
}

TEST_CASE("the build folder of an export killed by SIGKILL is removed by the next export to that folder", "[export]") {
  // The next export goes to another folder next to the killed one's, or to the same --out.
  auto next = GENERATE(as<std::string>{}, "new-case", "same");
  Site site;
  add_long_footage(site);
  // Kill as soon as the build folder has its marker (the export is then reading and writing).
  // On a machine busy enough that the export finished first, try again with a new --out.
  std::optional<std::filesystem::path> leftover;
  std::filesystem::path killed_out;
  pid_t killed = 0;
  auto parent = site.dir / "usb";
  std::filesystem::create_directories(parent);
  for (int attempt = 0; attempt < 5 && !leftover; ++attempt) {
    auto out = parent / ("case-" + std::to_string(attempt));
    auto [pid, building] = start_long_export(site, out);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && building && std::filesystem::exists(*building)) {
      leftover = building;
      killed_out = out;
      killed = pid;
      CHECK_FALSE(std::filesystem::exists(out));
    } else {
      std::filesystem::remove_all(out);
    }
  }
  REQUIRE(leftover);
  CHECK(test::read_text(*leftover / fs::kBuildMarkerFile).find("pid=" + std::to_string(killed) + "\n") !=
        std::string::npos);
  CHECK(leftover->filename() == "." + killed_out.filename().string() + ".partial-" + std::to_string(killed));

  auto out = next == "same" ? killed_out : parent / next;
  auto run = site.cli("export --camera nap-1 --from " + iso(kT0) + " --to " + iso(kT0 + 4s) + " --out " + out.string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  // (FFmpeg's own "second pass" note for faststart is also on stderr.)
  CHECK(carekeep_lines(run.err) == std::vector<std::string>{"carekeep: removed " + leftover->string() +
                                                            ", left by an interrupted export (pid " +
                                                            std::to_string(killed) + " is no longer running)"});
  CHECK_FALSE(std::filesystem::exists(*leftover));
  CHECK_FALSE(has_hidden_partial(parent));
  CHECK(site.cli("verify-export " + out.string()).exit_code == 0);
}

TEST_CASE("the build folder of a running export is left alone and one of a reused pid is not", "[export]") {
  Site site;
  add_long_footage(site);
  // An export stopped (SIGSTOP) while it builds: its process is alive, so its folder stays.
  // (Stopped while it remuxes, not while it writes its hold: a process stopped inside a write
  // transaction keeps every other writer of the index waiting, which is SQLite, not this test.)
  auto parent = site.dir / "usb";
  std::filesystem::create_directories(parent);
  auto [pid, building] = start_long_export(site, parent / "slow", WaitFor::video);
  ::kill(pid, SIGSTOP);
  bool stopped_while_building = building && std::filesystem::exists(*building);
  if (stopped_while_building) {
    auto run = site.cli("export --camera nap-1 --from " + iso(kT0) + " --to " + iso(kT0 + 4s) + " --out " +
                        (parent / "other").string());
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(carekeep_lines(run.err).empty());
    CHECK(has_complete_marker(*building));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // (The export may have finished before SIGSTOP on a busy machine; then there is no folder.)
  REQUIRE(stopped_while_building);
  REQUIRE(WIFSIGNALED(status));

  // A pid reused by another process cannot be produced on demand: the marker is rewritten to
  // name this test process (running, but started at another time than the marker says).
  auto marker = *building / fs::kBuildMarkerFile;
  auto text = test::read_text(marker);
  auto at = text.find("pid=");
  auto end = text.find('\n', at);
  text.replace(at, end - at, "pid=" + std::to_string(::getpid()));
  test::write_text(marker, text);
  // Left alone: a folder that is not an export's (content but no marker), and an empty one
  // whose pid (in its name) is this running process.
  auto foreign = parent / ".photos.partial-1";
  test::write_text(foreign / "holiday.jpg", "not an export");
  auto fresh = parent / (".fresh.partial-" + std::to_string(::getpid()));
  std::filesystem::create_directories(fresh);

  auto found = fs::remove_leftover_builds(parent);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == *building);
  CHECK(found[0].removed);
  CHECK(found[0].why == "pid " + std::to_string(::getpid()) + " is now another process");
  CHECK_FALSE(std::filesystem::exists(*building));
  CHECK(std::filesystem::exists(foreign / "holiday.jpg"));
  CHECK(std::filesystem::exists(fresh));

  // A marker written by this process is current until the boot id says it was another boot.
  REQUIRE(fs::write_build_marker(fresh));
  CHECK(fs::remove_leftover_builds(parent).empty());
  auto own = test::read_text(fresh / fs::kBuildMarkerFile);
  auto boot = own.find("boot_id=");
  test::write_text(fresh / fs::kBuildMarkerFile, own.substr(0, boot) + "boot_id=00000000-0000-0000-0000-000000000000\n");
  found = fs::remove_leftover_builds(parent);
  REQUIRE(found.size() == 1);
  CHECK(found[0].why.find("before the last reboot or on another machine") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(fresh));

  // An empty folder (killed between creating it and writing its marker) of a pid that is gone.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  ::waitpid(child, &status, 0);
  auto empty = parent / (".early.partial-" + std::to_string(child));
  std::filesystem::create_directories(empty);
  found = fs::remove_leftover_builds(parent);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == empty);
  CHECK(std::filesystem::exists(foreign / "holiday.jpg"));
}

TEST_CASE("verify names legal steps carekeep did not take: held footage deleted, a hold placed by hand", "[verify]") {
  // Issue 15, legal steps (export/legal.hpp): each entry below is a legal chain step, written
  // through the Index as an attacker's SQL would write it, without the access-log rows carekeep
  // writes beside it. The zone hold is resolved by the CLI with the zones of the configuration.
  Site site;
  const auto now = SystemClock{}.now();
  {
    auto index = site.writer();
    auto hold = index.insert_hold({std::nullopt, std::string("rooms"), kT0, kT0 + 1h, "complaint", now - 2h, 0, "root"});
    REQUIRE(hold);
    REQUIRE(index.mark_segment_deleting(site.front[1].id, now - 1h, "expired"));
    REQUIRE(index.mark_segment_deleted(site.front[1].id, now - 1h));
  }
  std::filesystem::remove(site.storage / site.front[1].path);
  auto run = site.cli("verify --quick");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find("deleted_while_held") != std::string::npos);
  CHECK(run.out.find("on zone rooms") != std::string::npos);
  CHECK(run.out.find("retention refuses held footage") != std::string::npos);
  CHECK(run.out.find("hold_unaccounted") != std::string::npos);
  CHECK(run.out.find("no 'hold_add' row") != std::string::npos);
}

TEST_CASE("verify finds deleted and altered and extra files and a broken chain", "[verify]") {
  Site site;
  auto clean = site.cli("verify");
  INFO(clean.out << clean.err);
  REQUIRE(clean.exit_code == 0);
  CHECK(site.cli("verify --quick").exit_code == 0);

  SECTION("a deleted file is missing") {
    std::filesystem::remove(site.storage / site.nap[1].path);
    auto run = site.cli("verify --quick");
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("missing") != std::string::npos);
    CHECK(run.out.find(site.nap[1].path) != std::string::npos);
  }
  SECTION("a flipped byte is altered, found by the hash but not by quick") {
    flip_byte(site.storage / site.front[2].path, 2000);
    CHECK(site.cli("verify --quick").exit_code == 0);
    auto run = site.cli("verify --json");
    CHECK(run.exit_code == 4);
    auto last = run.out.substr(run.out.rfind("{\"event\":\"done\""));
    auto result = json::parse(last);
    REQUIRE(result["findings"].size() == 1);
    CHECK(result["findings"][0]["kind"] == "altered");
    CHECK(result["findings"][0]["path"] == site.front[2].path);
  }
  SECTION("a file without a row is extra") {
    std::filesystem::copy_file(site.storage / site.nap[0].path,
                               site.storage / "nap-1" / "2026-11-20" / "080030-9.mp4");
    auto run = site.cli("verify --camera nap-1");
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("extra") != std::string::npos);
    CHECK(run.out.find("080030-9.mp4") != std::string::npos);
  }
  SECTION("an edited row breaks the chain") {
    // The file is altered AND its row's hash updated to match: the file check passes, the chain does not.
    flip_byte(site.storage / site.nap[1].path, 2000);
    auto sha = segment::sha256_file(site.storage / site.nap[1].path).value();
    auto index = site.writer();
    auto q = index.connection().prepare("update segment set sha256 = :h where id = :id").value();
    q.bind(":h", sqlite::Blob{sha.data(), sha.size()}).bind(":id", site.nap[1].id);
    REQUIRE(q.run());
    auto run = site.cli("verify --camera nap-1");
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("out_of_chain") != std::string::npos);
    CHECK(run.out.find("segment " + std::to_string(site.nap[1].id)) != std::string::npos);
  }
}

TEST_CASE("a signed anchor catches a chain rewritten consistently after it", "[verify]") {
  Site site;
  {
    auto index = site.writer();
    auto key = signing::KeyPair::load(site.state / "signing.key").value();
    REQUIRE(exports::sign_anchors(index, key, SystemClock{}.now()).value().size() == 2);
  }
  REQUIRE(site.cli("verify").exit_code == 0);
  // Remove the middle segment's file and rewrite every row after it so the chain is
  // consistent again: only the anchor still knows the old tip.
  auto index = site.writer();
  auto& db = index.connection();
  REQUIRE(db.exec("drop trigger if exists segment_no_delete"));
  std::filesystem::remove(site.storage / site.nap[1].path);
  auto del = db.prepare("update segment set state = 'deleted', deleted_us = 1 where id = :id").value();
  del.bind(":id", site.nap[1].id);
  REQUIRE(del.run());
  // Re-link nap[2] straight from nap[0], as if nap[1] had never been there.
  auto rows = index.chain_segments("nap-1").value();
  auto relinked = index::file_chain_link(*rows[0].chain_sha256, *rows[2].sha256);
  auto upd = db.prepare("update segment set chain_sha256 = :c where id = :id").value();
  upd.bind(":c", sqlite::Blob{relinked.data(), relinked.size()}).bind(":id", rows[2].id);
  REQUIRE(upd.run());
  auto run = site.cli("verify --camera nap-1");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find("anchor") != std::string::npos);
  CHECK(run.out.find("differs from the signed one") != std::string::npos);
}

TEST_CASE("access log tampering is detected by the chain and the anchors", "[verify]") {
  Site site;
  REQUIRE(site.cli("key").exit_code == 0);
  REQUIRE(site.cli("verify --quick").exit_code == 0);
  {
    auto index = site.writer();
    auto key = signing::KeyPair::load(site.state / "signing.key").value();
    REQUIRE(exports::sign_anchors(index, key, SystemClock{}.now()));
  }
  REQUIRE(site.cli("access-log").exit_code == 0);
  auto index = site.writer();
  auto& db = index.connection();
  // Someone with write access to the file drops the guard and edits a row.
  REQUIRE(db.exec("drop trigger access_log_no_update"));
  REQUIRE(db.exec("update access_log set user = 'nobody' where id = 1"));
  auto log = site.cli("access-log");
  CHECK(log.exit_code == 4);
  CHECK(log.out.find("CHAIN BROKEN at row 1") != std::string::npos);
  auto run = site.cli("verify --quick --json");
  CHECK(run.exit_code == 4);
  CHECK(run.out.find("access log row 1: hash does not match") != std::string::npos);
}

// ---- issue 15: one chain over everything that matters -------------------------------------
// The attacker runs the box: write access to the index and the storage, not the signing key.
// Each edit below is what such a person could do with the sqlite3 shell and rm/cp; `verify`
// must name it (exit 4) where before it reported nothing.

namespace {

// Runs `sql` on the index as the attacker would (the sqlite3 shell: no carekeep code).
void attacker_sql(const Site& site, const std::string& sql) {
  auto db = sqlite::Connection::open_writer(site.database).value();
  INFO(sql);
  REQUIRE(db.exec(sql));
}

std::string us(UtcTime t) { return std::to_string(to_us(t)); }

}  // namespace

TEST_CASE("verify names each edit of segment rows, the chain and the files", "[verify]") {
  Site site(true);
  auto clean = site.cli("verify");
  INFO(clean.out << clean.err);
  REQUIRE(clean.exit_code == 0);
  const auto& care = site.nap[1];
  const std::string id = std::to_string(care.id);

  SECTION("a care segment marked deleted, its protection cleared and its file removed") {
    attacker_sql(site, "update segment set state = 'deleted', protect_until_us = null, deleted_us = " +
                           us(kT0 + 1h) + " where id = " + id);
    std::filesystem::remove(site.storage / care.path);
    auto run = site.cli("verify --quick");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("segment " + id) != std::string::npos);
    CHECK(run.out.find("state 'deleted' in the row, 'closed' in chain entry") != std::string::npos);
    CHECK(run.out.find("protect_until_us null in the row") != std::string::npos);
  }
  SECTION("a segment's times shifted by an hour") {
    attacker_sql(site, "update segment set start_us = start_us + 3600000000, end_us = end_us + 3600000000 where id = " + id);
    auto run = site.cli("verify --quick");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("start_us '" + us(care.start + 1h) + "' in the row, '" + us(care.start) + "' in chain entry") !=
          std::string::npos);
  }
  SECTION("a segment's size edited together with its file") {
    std::filesystem::resize_file(site.storage / care.path, 1000);
    attacker_sql(site, "update segment set size_bytes = 1000 where id = " + id);
    auto run = site.cli("verify --quick");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("size_bytes '1000' in the row, '" + std::to_string(care.size_bytes)) != std::string::npos);
  }
  SECTION("protect_until moved earlier") {
    attacker_sql(site, "update segment set protect_until_us = " + us(kT0) + " where id = " + id);
    auto run = site.cli("verify --quick");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("protect_until_us '" + us(kT0) + "' in the row") != std::string::npos);
  }
  SECTION("a row deleted with its file, after dropping the trigger that refuses it") {
    attacker_sql(site, "drop trigger segment_no_delete; delete from segment where id = " + id);
    std::filesystem::remove(site.storage / care.path);
    auto run = site.cli("verify --quick");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("segment " + id + ": the row is gone from the index") != std::string::npos);
  }
  SECTION("a chain entry deleted, after dropping the trigger") {
    attacker_sql(site, "drop trigger chain_entry_no_delete; delete from chain_entry where segment_id = " + id);
    auto run = site.cli("verify --quick");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("entries 3..4 are missing") != std::string::npos);  // its opening and its close
    CHECK(run.out.find("signs chain entry") == std::string::npos);  // the anchor's entry (the tip) is intact
  }
  SECTION("the whole chain rebuilt consistently without the care segment") {
    // Entries re-hashed by hand so that every link holds: only the signed anchor knows better.
    attacker_sql(site, "drop trigger chain_entry_no_delete; drop trigger segment_no_delete;"
                       "delete from segment where id = " + id + "; delete from chain_entry where chain = 'nap-1'");
    std::filesystem::remove(site.storage / care.path);
    {
      // Re-appending through the index is what a rewrite looks like: valid links, new hashes.
      auto db = sqlite::Connection::open_writer(site.database).value();
      index::Sha256 prev{};
      std::int64_t seq = 0;
      for (const auto& row : site.nap) {
        if (row.id == care.id) continue;
        index::ChainEntry e{"nap-1", ++seq, row.closed.value(), "closed", row.id, std::nullopt,
                            index::segment_record(row), prev, {}};
        e.hash = index::chain_entry_hash(e);
        auto q = db.prepare("insert into chain_entry (chain, seq, time_us, kind, segment_id, record, prev_hash, hash) "
                            "values ('nap-1', :s, :t, 'closed', :id, :r, :p, :h)").value();
        q.bind(":s", e.seq).bind(":t", to_us(e.time)).bind(":id", row.id).bind(":r", e.record);
        q.bind(":p", sqlite::Blob{prev.data(), prev.size()}).bind(":h", sqlite::Blob{e.hash.data(), e.hash.size()});
        REQUIRE(q.run());
        prev = e.hash;
      }
    }
    auto run = site.cli("verify --quick --camera nap-1");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("the chain no longer extends this anchor") != std::string::npos);
  }
  SECTION("a file replaced by another valid recording") {
    std::filesystem::copy_file(site.storage / site.nap[2].path, site.storage / care.path,
                               std::filesystem::copy_options::overwrite_existing);
    auto run = site.cli("verify --json");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("\"altered\"") != std::string::npos);
    CHECK(run.out.find(care.path) != std::string::npos);
  }
  SECTION("a file replaced and its row's hash and size made to match") {
    auto other = site.storage / site.nap[2].path;  // front's footage is the same clip, byte for byte
    std::filesystem::copy_file(other, site.storage / care.path, std::filesystem::copy_options::overwrite_existing);
    auto sha = segment::sha256_file(other).value();
    auto db = sqlite::Connection::open_writer(site.database).value();
    auto q = db.prepare("update segment set sha256 = :h, size_bytes = :n where id = :id").value();
    q.bind(":h", sqlite::Blob{sha.data(), sha.size()})
        .bind(":n", static_cast<std::int64_t>(std::filesystem::file_size(other)))
        .bind(":id", care.id);
    REQUIRE(q.run());
    auto run = site.cli("verify");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("sha256 '" + to_hex(sha) + "' in the row") != std::string::npos);
  }
}

TEST_CASE("verify names a removed, reordered or forged anchor and a box without anchors", "[verify]") {
  Site site;
  {
    auto index = site.writer();
    auto key = signing::KeyPair::load(site.state / "signing.key").value();
    REQUIRE(exports::sign_anchors(index, key, kT0 + 1h));
    REQUIRE(exports::sign_anchors(index, key, kT0 + 2h));
  }
  REQUIRE(site.cli("verify --quick").exit_code == 0);
  auto anchor_ids = [&] {
    auto index = site.writer();
    std::vector<std::int64_t> ids;
    auto anchors = index.anchors("nap-1").value();
    for (const auto& a : anchors) ids.push_back(a.id);
    return ids;
  }();
  REQUIRE(anchor_ids.size() == 3);

  SECTION("the middle anchor deleted after dropping its trigger") {
    attacker_sql(site, "drop trigger integrity_anchor_no_delete; delete from integrity_anchor where id = " +
                           std::to_string(anchor_ids[1]));
    auto run = site.cli("verify --quick --camera nap-1");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("anchor no. 2 before it is missing") != std::string::npos);
    CHECK(run.out.find("does not link to the anchor before it") != std::string::npos);
  }
  SECTION("every anchor deleted") {
    attacker_sql(site, "drop trigger integrity_anchor_no_delete; delete from integrity_anchor");
    auto run = site.cli("verify --quick");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("no signed anchor") != std::string::npos);
  }
  SECTION("two anchors swapped") {
    auto a = std::to_string(anchor_ids[1]);
    auto b = std::to_string(anchor_ids[2]);
    attacker_sql(site, "drop trigger integrity_anchor_no_delete; "
                       "create table swap as select * from integrity_anchor where id in (" + a + ", " + b + "); "
                       "delete from integrity_anchor where id in (" + a + ", " + b + "); "
                       "update swap set id = case id when " + a + " then " + b + " else " + a + " end; "
                       "insert into integrity_anchor select * from swap order by id; drop table swap");
    auto run = site.cli("verify --quick --camera nap-1");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("anchors were reordered") != std::string::npos);
  }
  SECTION("an anchor forged without the key") {
    attacker_sql(site, "drop trigger integrity_anchor_no_update; update integrity_anchor set time_us = time_us + 1 "
                       "where id = " + std::to_string(anchor_ids[2]));
    auto run = site.cli("verify --quick --camera nap-1");
    INFO(run.out);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("signature does not match") != std::string::npos);
  }
}

TEST_CASE("verify trusts a key only from outside the box", "[verify]") {
  Site site;
  const auto key = signing::KeyPair::load(site.state / "signing.key").value();
  const auto pin = site.dir / std::string(signing::kFingerprintFileName);

  SECTION("pinned at installation: verified") {
    auto run = site.cli("verify --quick");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
  }
  SECTION("no pin and nothing given: consistent, but its own exit code and message") {
    std::filesystem::remove(pin);
    auto run = site.cli("verify --quick");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 16);
    CHECK(run.out.find("UNTRUSTED KEY") != std::string::npos);
    CHECK(run.err.find("no key from outside the box vouches for them") != std::string::npos);
    CHECK(site.cli("verify --quick --fingerprint " + key.fingerprint()).exit_code == 0);
    CHECK(site.cli("verify --quick --pubkey " + site.pubkey()).exit_code == 0);
  }
  SECTION("the box key replaced and everything re-signed with it") {
    // The attacker makes a key of their own, publishes it as signing.pub and signs new
    // anchors with it: the signatures are good, the key is not the pinned one.
    test::TempDir elsewhere;
    auto forged = signing::KeyPair::load_or_create(elsewhere.path()).value();
    std::filesystem::remove(site.state / "signing.key");
    std::filesystem::copy_file(elsewhere.path() / "signing.key", site.state / "signing.key");
    test::write_text(site.state / "signing.pub", forged.public_key_pem());
    {
      auto index = site.writer();
      REQUIRE(exports::sign_anchors(index, forged, kT0 + 1h));
    }
    auto run = site.cli("verify --quick");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("is not the one named by the fingerprint pinned") != std::string::npos);
    auto given = site.cli("verify --quick --pubkey " + site.pubkey());  // the forged one, from the box
    CHECK(given.exit_code == 4);
    std::filesystem::remove(pin);
    auto unpinned = site.cli("verify --quick --fingerprint " + key.fingerprint());
    INFO(unpinned.out);
    CHECK(unpinned.exit_code == 4);
    CHECK(unpinned.out.find("it was replaced") != std::string::npos);
  }
}

// Holds, key and verify through carekeepd, logged with who: tests/integration/control.

// Not run by ctest (hidden tag): throughput of export and verify on 10 minutes of 320x240 footage,
// against plain `cat` of the same segment files. Run: export_test "[.bench]" -s | grep bench
// ---- issue 15, the hostile review (tests/review/attacks.sh, scenarios named there) ---------

TEST_CASE("review R: protected footage removed and the daemon restarted is a verify finding", "[verify]") {
  Site site(true);
  const auto& care = site.nap[1];
  REQUIRE(site.cli("verify --quick").exit_code == 0);
  std::filesystem::remove(site.storage / care.path);
  {
    // What carekeepd's start does before READY: the row becomes damaged, a legal chain step.
    auto index = site.writer();
    auto recovered = integrity::recover(index, site.storage, SystemClock{}.now());
    REQUIRE(recovered);
    CHECK(recovered->missing == 1);
    REQUIRE(recovered->protected_missing.size() == 1);
    CHECK(recovered->protected_missing[0].id == care.id);
    CHECK(index.segment(care.id).value()->state == index::SegmentState::Damaged);
  }
  auto run = site.cli("verify --quick");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find("lost") != std::string::npos);
  CHECK(run.out.find("segment " + std::to_string(care.id) + " (" + care.path + ")") != std::string::npos);
  CHECK(run.out.find("file missing at startup") != std::string::npos);
  CHECK(run.out.find("PROTECTED care footage") != std::string::npos);
}

TEST_CASE("review R: a segment damaged by a crash before it closed is not lost footage", "[verify]") {
  Site site;
  {
    auto index = site.writer();
    // A crash's open segment with no usable data: recovery closes it damaged straight from open.
    auto run = index.chain_segments("front").value().front().run_id;
    auto open = index.insert_open_segment({"front", run, 99, kT0 + 1h, "front/2026-11-20/090000-99.mp4", kT0 + 1h});
    REQUIRE(open);
    index::ClosedSegment damaged;
    damaged.state = index::SegmentState::Damaged;
    damaged.state_detail = "file missing: neither the file nor its .partial exists";
    damaged.closed = kT0 + 2h;
    REQUIRE(index.close_segment(*open, damaged));
  }
  auto run = site.cli("verify --quick");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
}

TEST_CASE("review F: a deleted camera row does not hide that camera from verify", "[verify]") {
  Site site;
  REQUIRE(site.cli("verify --quick").exit_code == 0);
  const auto& gone = site.front[0];
  attacker_sql(site, "pragma foreign_keys = off; drop trigger segment_no_delete; delete from camera where id = 'front';"
                     "delete from segment where id = " + std::to_string(gone.id));
  std::filesystem::remove(site.storage / gone.path);
  auto run = site.cli("verify --quick");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find("camera        camera front: its footage, chain or anchors are in the index but its camera row is "
                     "gone") != std::string::npos);
  CHECK(run.out.find("segment " + std::to_string(gone.id) + ": the row is gone from the index") != std::string::npos);
}

namespace {

// Appends an entry to `chain` the way the review's forge.py does: correctly linked and hashed
// (no key is needed for that), with whatever record the attacker likes.
void append_forged_entry(const Site& site, const std::string& chain, const std::string& kind, std::int64_t segment,
                         const std::string& record) {
  auto index = site.writer();
  auto tip = index.chain_entry_tip(chain).value().value();
  index::ChainEntry e{chain, tip.seq + 1, tip.time + 1s, kind, segment, std::nullopt, record, tip.hash, {}};
  e.hash = index::chain_entry_hash(e);
  auto q = index.connection()
               .prepare("insert into chain_entry (chain, seq, time_us, kind, segment_id, record, prev_hash, hash) "
                        "values (:c, :s, :t, :k, :id, :r, :p, :h)")
               .value();
  q.bind(":c", chain).bind(":s", e.seq).bind(":t", to_us(e.time)).bind(":k", kind).bind(":id", segment);
  q.bind(":r", record).bind(":p", sqlite::Blob{e.prev_hash.data(), e.prev_hash.size()});
  q.bind(":h", sqlite::Blob{e.hash.data(), e.hash.size()});
  REQUIRE(q.run());
}

}  // namespace

TEST_CASE("review I1 and I2: a malformed or oversized chain entry is a finding, not a crash", "[verify]") {
  Site site(true);
  auto tip = site.writer().chain_entry_tip("nap-1").value().value();
  const std::string next = std::to_string(tip.seq + 1);
  SECTION("protect_until_us that is not a number") {
    auto record = tip.record;
    auto at = record.find("state=closed");
    REQUIRE(at != std::string::npos);
    record.replace(at, 12, "state=deleting");
    at = record.find("protect_until_us=");
    REQUIRE(at != std::string::npos);
    record.insert(at + 17, "x");
    append_forged_entry(site, "nap-1", "deleting", *tip.segment_id, record);
    auto run = site.cli("verify --quick");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("chain entry " + next + ": segment " + std::to_string(*tip.segment_id) + ": protect_until_us '") !=
          std::string::npos);
    CHECK(run.out.find("is not a number") != std::string::npos);
  }
  SECTION("a record over the size cap is not read") {
    std::string record;
    for (int i = 0; record.size() <= 70 * 1024; ++i) record += "k" + std::to_string(i) + "=v\n";
    append_forged_entry(site, "nap-1", "damaged", *tip.segment_id, record);
    auto run = site.cli("verify --quick");
    INFO(run.out.substr(0, 4000) << run.err);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("chain entry " + next + ": its record is over 65536 bytes") != std::string::npos);
  }
  SECTION("a record with more keys than a row has") {
    std::string record;
    for (int i = 0; i < 100; ++i) record += "k" + std::to_string(i) + "=v\n";
    append_forged_entry(site, "nap-1", "damaged", *tip.segment_id, record);
    auto run = site.cli("verify --quick");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("chain entry " + next + ": its record has 100 lines, more than the 64") != std::string::npos);
  }
}

TEST_CASE("review S3: a FIFO where a segment file should be blocks neither recovery nor verify", "[verify]") {
  Site site;
  const std::string rel = "front/2026-11-20/090000-99.mp4";
  index::SegmentId open_id = 0;
  {
    auto index = site.writer();
    auto run = index.chain_segments("front").value().front().run_id;
    open_id = index.insert_open_segment({"front", run, 99, kT0 + 1h, rel, kT0 + 1h}).value();
  }
  auto partial = site.storage / (rel + ".partial");
  std::filesystem::create_directories(partial.parent_path());
  REQUIRE(::mkfifo(partial.c_str(), 0600) == 0);
  auto recovering = std::async(std::launch::async, [&] {
    auto index = site.writer();
    return integrity::recover(index, site.storage, SystemClock{}.now());
  });
  if (recovering.wait_for(60s) != std::future_status::ready) {
    // Blocked in open(2) or read(2) on the FIFO (the bug): give it a writer so the test ends.
    int fd = ::open(partial.c_str(), O_RDWR | O_NONBLOCK);
    ::close(fd);
    FAIL("startup recovery blocked on a FIFO at a .partial");
  }
  auto report = recovering.get();
  REQUIRE(report);
  CHECK(report->damaged == 1);
  auto row = site.writer().segment(open_id).value().value();
  CHECK(row.state == index::SegmentState::Damaged);
  CHECK(row.state_detail.find("it is a FIFO, not a regular file") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(partial)));
  CHECK(std::filesystem::is_fifo(site.storage / "quarantine" / (rel + ".partial")));

  // verify opens every row's file: a FIFO in place of a closed segment is altered, not a hang.
  std::filesystem::remove(site.storage / site.nap[0].path);
  REQUIRE(::mkfifo((site.storage / site.nap[0].path).c_str(), 0600) == 0);
  auto run = test::run_command("timeout 120 " + std::string(CAREKEEP_CLI_PATH) + " --config " + site.config.string() +
                               " verify --camera nap-1");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find(site.nap[0].path) != std::string::npos);
}

TEST_CASE("review E: suspect_clock is in the chained record", "[verify]") {
  Site site;
  const std::string rel = "front/2026-11-20/090000-98.mp4";
  {
    // As the catalog does while the clock guard distrusts the clock: marked while open, then closed.
    auto index = site.writer();
    auto run = index.chain_segments("front").value().front().run_id;
    auto id = index.insert_open_segment({"front", run, 98, kT0 + 1h, rel, kT0 + 1h}).value();
    REQUIRE(index.mark_segment_suspect_clock(id));
    index::ClosedSegment damaged;  // no file needed: a damaged close is chained all the same
    damaged.state = index::SegmentState::Damaged;
    damaged.state_detail = "no usable data";
    damaged.closed = kT0 + 2h;
    REQUIRE(index.close_segment(id, damaged));
    CHECK(index.chain_entry_tip("front").value().value().record.find("\nsuspect_clock=1\n") != std::string::npos);
    CHECK(index.verify_chain("front", SystemClock{}.now()).value().empty());
    // A closed row cannot be marked afterwards without an entry: the flag is fixed at close.
    CHECK_FALSE(index.mark_segment_suspect_clock(site.nap[0].id));
  }
  REQUIRE(site.cli("verify --quick").exit_code == 0);
  attacker_sql(site, "update segment set suspect_clock = 1 - suspect_clock");
  auto run = site.cli("verify --quick");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find("suspect_clock '1' in the row, null in chain entry") != std::string::npos);  // 0 -> 1
  CHECK(run.out.find("suspect_clock null in the row, '1' in chain entry") != std::string::npos);  // 1 -> 0
}

// The clock-step matrix (clock_step_matrix_test) left verify failing after a step ahead: the
// footage recorded on that clock is dated after the check's true time. Its rows are marked
// suspect_clock, chained: a note naming them, not a finding. A row not marked stays a finding.
TEST_CASE("chain entries dated after the check are a note for footage marked suspect_clock, a finding otherwise",
          "[verify]") {
  Site site;
  const auto ahead = SystemClock{}.now() + std::chrono::days(10);
  auto add = [&](std::int64_t seq, bool suspect) {
    auto index = site.writer();
    auto run = index.chain_segments("front").value().front().run_id;
    auto rel = "front/2026-11-20/0900" + std::to_string(seq) + "-" + std::to_string(seq) + ".mp4";
    auto id = index.insert_open_segment({"front", run, seq, ahead, rel, ahead}).value();
    if (suspect) REQUIRE(index.mark_segment_suspect_clock(id));
    index::ClosedSegment damaged;  // as review E: a damaged close is chained without a file
    damaged.state = index::SegmentState::Damaged;
    damaged.state_detail = "no usable data";
    damaged.closed = ahead;  // the entry's time: the clock 10 days ahead
    REQUIRE(index.close_segment(id, damaged));
    // The daemon on that clock anchors at shutdown, dated by it too (else the anchor is stale).
    REQUIRE(exports::sign_anchors(index, signing::KeyPair::load(site.state / "signing.key").value(), ahead + 1min));
    return id;
  };
  auto suspect = add(97, true);
  {
    auto run = site.cli("verify --quick");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("note          camera front: segment " + std::to_string(suspect) + " chain entry") !=
          std::string::npos);
    CHECK(run.out.find("after the time of this check") != std::string::npos);
    CHECK(run.out.find("(suspect_clock=1)") != std::string::npos);
    CHECK(run.out.find("0 finding(s), 1 note(s) on footage recorded on a suspect clock") != std::string::npos);
    auto as_json = site.cli("verify --quick --json");
    REQUIRE(as_json.exit_code == 0);
    auto text = as_json.out.substr(0, as_json.out.find_last_not_of('\n') + 1);
    auto done = json::parse(text.substr(text.rfind('\n') + 1));  // the last line
    CHECK(done["event"] == "done");
    CHECK(done["clean"] == true);
    REQUIRE(done["notes"].size() == 1);
    CHECK(done["notes"][0]["segment_id"] == suspect);
  }
  auto plain = add(98, false);
  auto run = site.cli("verify --quick");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find("chain         camera front: segment " + std::to_string(plain) + " chain entry") !=
        std::string::npos);
  // Its opening and its close, both dated ahead without the flag that explains it.
  CHECK(run.out.find("2 finding(s), 1 note(s)") != std::string::npos);
}

TEST_CASE("review K: terminal escapes from the index are printed escaped", "[verify]") {
  Site site;
  attacker_sql(site, "update segment set state_detail = char(13)||char(27)||'[2Kverified: 0 finding(s)'||char(27)||'[8m' "
                     "where id = " + std::to_string(site.nap[0].id));
  auto run = site.cli("verify --quick");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.out.find('\x1b') == std::string::npos);
  CHECK(run.out.find('\r') == std::string::npos);
  CHECK(run.out.find("\\x0d\\x1b[2Kverified: 0 finding(s)\\x1b[8m") != std::string::npos);
  // Every table the CLI prints goes through the same escape (inspect.cpp, Table).
  attacker_sql(site, "update segment set path = path||char(27)||'[8m' where id = " + std::to_string(site.nap[1].id));
  auto segments = site.cli("segments --camera nap-1 --from 2026-11-20 --to 2026-11-21");
  INFO(segments.out << segments.err);
  CHECK(segments.out.find(site.nap[1].path + "\\x1b[8m") != std::string::npos);
  CHECK(segments.out.find('\x1b') == std::string::npos);
}

TEST_CASE("export and verify throughput", "[.bench]") {
  Site site;
  std::vector<index::SegmentRow> rows;
  {
    auto index = site.writer();
    rows = test::make_footage(index, site.storage, {"nap-1", kT0 + 1h, 600, 60, 25, false});
  }
  std::uint64_t bytes = 0;
  std::string files;
  for (const auto& r : rows) {
    bytes += static_cast<std::uint64_t>(r.size_bytes);
    files += " " + (site.storage / r.path).string();
  }
  auto timed = [](const std::function<void()>& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double cat = timed([&] { test::run_command("cat" + files + " > " + (site.dir / "cat.out").string()); });
  double exp = timed([&] {
    auto run = site.cli("export --camera nap-1 --from " + iso(kT0 + 1h) + " --to " + iso(kT0 + 1h + 600s) + " --out " +
                        (site.dir / "bench").string());
    REQUIRE(run.exit_code == 0);
  });
  double ver = timed([&] { REQUIRE(site.cli("verify --camera nap-1").exit_code == 0); });
  std::printf("bench: %.1f MB of footage (600 s): cat %.3f s, export %.3f s (%.0fx real time, %.1f MB/s), "
              "verify %.3f s (%.1f MB/s)\n",
              static_cast<double>(bytes) / 1e6, cat, exp, 600 / exp, static_cast<double>(bytes) / 1e6 / exp, ver,
              static_cast<double>(bytes) / 1e6 / ver);
}
