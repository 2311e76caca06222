// export_bench: `carekeep export` of 1 h of 1080p ~4 Mbit/s H.264 footage side by side with
// `ffmpeg -c copy` and plain `cat` of the same segment files, and `carekeep verify` throughput
// (issue 6, "Benchmark": ≥ 200× real time and within 2× of cat).
//
// The footage is real but made cheaply: ffmpeg encodes one short 1080p clip (x264 ultrafast,
// no B-frames, a fixed GOP: the shape of a camera stream); the real segment writer
// (segment/segment_file) writes one segment of --segment-seconds from it by repeating the
// clip's packets with advancing timestamps (the clip is whole GOPs, so every repeat starts on
// a keyframe); the hour is --minutes × 60 / --segment-seconds segment files that are copies
// (or, with --links, hard links) of that one segment, indexed like the catalog does: a daemon
// run, a camera run, consecutive rows with their SHA-256 and hash chain, in a real SQLite
// index. What the export costs depends on the number and size of packets and bytes, not on
// the picture, so repeated content measures the same work.
//
// Each run times, as child processes with their CPU from wait4(2):
//   cat      cat FILES > /dev/null                    (the issue's yardstick)
//   cat+sync cat FILES > OUT && sync OUT              (the same bytes written and made durable)
//   floor    cat+sync, plus openssl dgst -sha256 of FILES and of OUT: the least an export must
//            do (read and hash the sources, write the output durably and hash it) with standard
//            tools, without the remux and the faststart pass
//   ffmpeg   ffmpeg -f concat -safe 0 -i LIST -c copy -movflags +faststart OUT.mp4 (the FFmpeg
//            CLI's remux of the same hour into one MP4 on the same disk: what carekeep's export
//            is compared with first); ffmpeg+sync adds `sync OUT.mp4`, as the export makes
//            its files durable
//   export   carekeep export --camera … --out DIR     (the real CLI; no carekeepd runs for this
//            configuration, so it exports in-process: hold, source check, remux, faststart,
//            output hash, manifest, signature, access log, rename); with several --cli, each
//            of them in turn in every round (before/after comparisons on the same footage),
//            and their output videos compared by SHA-256
//   verify   carekeep verify --camera …               (full re-hash, chain, anchors, access log)
// Caches: warm by default (the files are read once before timing, and stay cached: the machine
// has the memory); --cold evicts the source files' pages (posix_fadvise DONTNEED, no root
// needed) before every timed step.
//
//   export_bench [--minutes 60] [--segment-seconds 60] [--clip-seconds 10] [--kbps 4000]
//                [--size 1920x1080] [--runs 3] [--links] [--cold] [--dir /var/tmp] [--keep]
//                [--cli PATH]...
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "av/av.hpp"
#include "base/time.hpp"
#include "index/index.hpp"
#include "segment/hash.hpp"
#include "segment/segment_file.hpp"
#include "signing/signing.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  int minutes = 60;
  int segment_seconds = 60;
  int clip_seconds = 10;
  int kbps = 4000;
  std::string size = "1920x1080";
  int runs = 3;
  bool links = false;
  bool cold = false;
  std::filesystem::path dir = "/var/tmp";
  bool keep = false;
  std::vector<std::string> clis;  // empty: this build's
};

[[noreturn]] void usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: export_bench [--minutes N] [--segment-seconds N] [--clip-seconds N] [--kbps N] [--size WxH]\n"
               "                    [--runs N] [--links] [--cold] [--dir DIR] [--keep] [--cli PATH]...\n"
               "  --minutes          footage to export (default 60)\n"
               "  --segment-seconds  length of each segment (default 60)\n"
               "  --clip-seconds     length of the encoded clip the segment repeats; whole GOPs of 2 s (default 10)\n"
               "  --kbps             video bit rate (default 4000)\n"
               "  --size             picture size (default 1920x1080)\n"
               "  --runs             timed rounds of cat, export and verify (default 3)\n"
               "  --links            segment files are hard links of one file instead of copies\n"
               "  --cold             evict the source files from the page cache before each timed step\n"
               "  --dir              where to make the temporary site (default /var/tmp)\n"
               "  --keep             leave it there\n"
               "  --cli              a carekeep binary to export and verify with; repeat it to compare\n"
               "                     binaries in the same rounds (default: this build's)\n");
  std::exit(code);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--minutes") o.minutes = std::stoi(value());
    else if (a == "--segment-seconds") o.segment_seconds = std::stoi(value());
    else if (a == "--clip-seconds") o.clip_seconds = std::stoi(value());
    else if (a == "--kbps") o.kbps = std::stoi(value());
    else if (a == "--size") o.size = value();
    else if (a == "--runs") o.runs = std::stoi(value());
    else if (a == "--links") o.links = true;
    else if (a == "--cold") o.cold = true;
    else if (a == "--dir") o.dir = value();
    else if (a == "--keep") o.keep = true;
    else if (a == "--cli") o.clis.push_back(value());
    else if (a == "--help" || a == "-h") usage(0);
    else usage(2);
  }
  if (o.minutes < 1 || o.segment_seconds < 2 || o.clip_seconds < 2 || o.clip_seconds % 2 != 0 || o.kbps < 100 ||
      o.runs < 1 || (o.minutes * 60) % o.segment_seconds != 0 || o.segment_seconds % o.clip_seconds != 0)
    usage(2);
  if (o.clis.empty()) o.clis.push_back(CAREKEEP_CLI_PATH);
  return o;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "export_bench: %s\n", what.c_str());
  std::exit(1);
}
template <class T, class E>  // E: Error, or segment::WriteError
T must(tl::expected<T, E> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}
template <class E>
void must(tl::expected<void, E> s, const char* what) {
  if (!s) die(std::string(what) + ": " + s.error().message);
}

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Timed {
  double wall = 0;  // s
  double cpu = 0;   // user + system of the child, s
};

Timed& operator+=(Timed& a, const Timed& b) {
  a.wall += b.wall;
  a.cpu += b.cpu;
  return a;
}

// Runs argv[0] with stdout to `out` and stderr to `log` (appended); dies unless it exits 0.
Timed spawn(const std::vector<std::string>& argv, const std::filesystem::path& out, const std::filesystem::path& log) {
  auto start = Steady::now();
  pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (::wait4(pid, &status, 0, &ru) != pid) die("wait4 failed");
  Timed t;
  t.wall = seconds_since(start);
  t.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    if (cmd.size() > 300) cmd = cmd.substr(0, 300) + " …";
    die(cmd + " failed (status " + std::to_string(status) + "); see " + log.string());
  }
  return t;
}

// Drops the clean cached pages of `files` (they were fsynced when written).
void evict(const std::vector<std::filesystem::path>& files) {
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("opening " + f.string());
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

void encode_clip(const Options& o, const std::filesystem::path& clip, const std::filesystem::path& log) {
  // The flags of tools/fakecam/make-clip.sh (a camera-like stream), with the fastest preset.
  const int fps = 25;
  const int gop = 2 * fps;
  std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=" + o.size +
                    ":rate=" + std::to_string(fps) + " -an -frames:v " + std::to_string(o.clip_seconds * fps) +
                    " -pix_fmt yuv420p -c:v libx264 -preset ultrafast -bf 0 -g " + std::to_string(gop) +
                    " -keyint_min " + std::to_string(gop) + " -sc_threshold 0 -b:v " + std::to_string(o.kbps) +
                    "k -maxrate " + std::to_string(o.kbps) + "k -bufsize " + std::to_string(2 * o.kbps) + "k " +
                    shell_quote(clip.string()) + " 2>>" + shell_quote(log.string());
  if (std::system(cmd.c_str()) != 0) die("ffmpeg failed: " + cmd);
}

// `file` opened and probed with libavformat, and the index of its video stream.
std::pair<av::InputFormat, int> open_video(const std::filesystem::path& file) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0) die("opening " + file.string());
  av::InputFormat input{raw};
  if (avformat_find_stream_info(raw, nullptr) < 0) die("reading " + file.string());
  int v = av::find_stream(raw, AVMEDIA_TYPE_VIDEO);
  if (v < 0) die(file.string() + " has no video");
  return {std::move(input), v};
}

// One segment of `seconds` from the clip's packets, repeated, through the real segment writer.
segment::ClosedSegment write_segment(const std::filesystem::path& clip, const std::filesystem::path& out,
                                     UtcTime start, int seconds) {
  auto [input, v] = open_video(clip);
  AVFormatContext* raw = input.get();
  std::vector<av::Packet> packets;
  for (;;) {
    auto pkt = av::make_packet();
    if (av_read_frame(raw, pkt.get()) < 0) break;
    if (pkt->stream_index == v) packets.push_back(std::move(pkt));
  }
  if (packets.empty() || !(packets.front()->flags & AV_PKT_FLAG_KEY)) die(clip.string() + " does not start on a keyframe");
  AVRational tb = raw->streams[v]->time_base;
  std::int64_t frame = av_rescale_q(1, AVRational{1, 25}, tb);
  std::int64_t clip_length = frame * static_cast<std::int64_t>(packets.size());
  segment::StreamLayout layout;
  layout.video = raw->streams[v]->codecpar;
  layout.video_time_base = tb;
  auto file = must(segment::SegmentFile::create(out, layout, start), "creating the segment");
  const std::int64_t repeats = std::int64_t{seconds} * 25 / static_cast<std::int64_t>(packets.size());
  for (std::int64_t r = 0; r < repeats; ++r) {
    for (const auto& p : packets) {
      auto copy = av::make_packet();
      if (av_packet_ref(copy.get(), p.get()) < 0) die("av_packet_ref");
      copy->pts += r * clip_length;
      copy->dts += r * clip_length;
      if (copy->duration <= 0) copy->duration = frame;
      copy->stream_index = 0;
      must(file->write(copy.get(), 0), "writing the segment");
    }
  }
  return must(file->close(), "closing the segment");
}

std::string mb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  return buf;
}

// Output files of the export (the videos), their total size.
std::uint64_t video_bytes(const std::filesystem::path& dir, int& count) {
  std::uint64_t total = 0;
  count = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".mp4") continue;
    total += e.file_size();
    ++count;
  }
  return total;
}

// Duration and video frames of an export's file, read back with libavformat.
std::pair<double, std::int64_t> probe(const std::filesystem::path& file) {
  auto [input, v] = open_video(file);
  return {static_cast<double>(input->duration) / AV_TIME_BASE, input->streams[v]->nb_frames};
}

// SHA-256 over every packet libavformat reads from the file (stream, pts, dts, flags, size,
// bytes): the same for two files with the same footage in different layouts.
std::string packets_sha(const std::filesystem::path& file) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0) die("opening " + file.string());
  av::InputFormat input{raw};
  segment::Sha256Stream hash;
  auto pkt = av::make_packet();
  while (av_read_frame(raw, pkt.get()) >= 0) {
    const std::int64_t fields[] = {pkt->stream_index, pkt->pts, pkt->dts, pkt->flags, pkt->size};
    hash.update(fields, sizeof fields);
    hash.update(pkt->data, static_cast<std::size_t>(pkt->size));
    av_packet_unref(pkt.get());
  }
  return segment::to_hex(hash.finish());
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct Round {
  Timed cat;
  Timed cat_sync;
  Timed floor;
  Timed ffmpeg;
  Timed ffmpeg_sync;
  std::vector<Timed> exp;     // one per --cli
  std::vector<Timed> verify;  // one per --cli
};

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  std::string pattern = (opt.dir / "carekeep-export-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) die("mkdtemp in " + opt.dir.string() + " failed");
  const std::filesystem::path root = pattern;
  const std::filesystem::path storage = root / "media";
  const std::filesystem::path state = root / "state";
  const std::filesystem::path log = root / "bench.log";
  const std::filesystem::path config = root / "carekeep.toml";
  std::filesystem::create_directories(storage);
  std::filesystem::create_directories(state);
  const std::string camera = "room-1";
  const UtcTime t0 = UtcTime{date::sys_days{date::year{2026} / 11 / 20}} + 8h;
  const int segments = opt.minutes * 60 / opt.segment_seconds;
  int width = 0;
  int height = 0;
  if (std::sscanf(opt.size.c_str(), "%dx%d", &width, &height) != 2 || width < 16 || height < 16) usage(2);
  const double footage_seconds = opt.minutes * 60.0;

  std::printf("export_bench: %d min of %s H.264 at %d kbit/s, %d segments of %d s in %s\n", opt.minutes,
              opt.size.c_str(), opt.kbps, segments, opt.segment_seconds, root.c_str());

  // ---- footage ----------------------------------------------------------------------------
  auto step = Steady::now();
  const auto clip = root / "clip.mp4";
  encode_clip(opt, clip, log);
  std::printf("  clip: %d s encoded by ffmpeg (x264 ultrafast, GOP 2 s) in %.1f s\n", opt.clip_seconds,
              seconds_since(step));

  step = Steady::now();
  const auto master = root / "segment.mp4";  // outside storage: not an extra file for verify
  auto closed = write_segment(clip, master, t0, opt.segment_seconds);
  std::printf("  segment: %s, %lld frames (%lld keyframes), %.3f s of media, %.2f Mbit/s, by the segment "
              "writer in %.1f s\n",
              mb(static_cast<double>(closed.size_bytes)).c_str(), static_cast<long long>(closed.frames),
              static_cast<long long>(closed.keyframes), static_cast<double>(closed.duration.count()) / 1e6,
              static_cast<double>(closed.size_bytes) * 8 / (static_cast<double>(closed.duration.count()) / 1e6) / 1e6,
              seconds_since(step));

  step = Steady::now();
  auto index = must(index::Index::open_writer(state / "index.db"), "opening the index");
  std::vector<index::ConfiguredCamera> cameras{{camera, camera}};
  must(index.sync_cameras(cameras, t0), "cameras");
  auto daemon = must(index.begin_daemon_run({t0, "bench", 1, "bench"}), "daemon run");
  auto run = must(index.begin_run(camera, daemon, t0), "run");
  std::vector<std::filesystem::path> files;
  UtcTime start = t0;
  for (int i = 0; i < segments; ++i) {
    auto local = std::chrono::floor<std::chrono::seconds>(start);
    auto day = std::chrono::floor<date::days>(local);
    date::hh_mm_ss hms{local - day};
    char name[64];
    std::snprintf(name, sizeof name, "%02d%02d%02d-%d.mp4", static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()), i);
    std::string rel = camera + "/" + format_date(LocalDays{day.time_since_epoch()}) + "/" + name;
    auto path = storage / rel;
    std::filesystem::create_directories(path.parent_path());
    if (opt.links) std::filesystem::create_hard_link(master, path);
    else std::filesystem::copy_file(master, path);
    files.push_back(path);
    auto id = must(index.insert_open_segment({camera, run, i, start, rel, start}), "open row");
    index::ClosedSegment c;
    c.duration = closed.duration;
    c.size_bytes = static_cast<std::int64_t>(closed.size_bytes);
    c.frames = static_cast<std::int64_t>(closed.frames);
    c.keyframes = static_cast<std::int64_t>(closed.keyframes);
    c.video_codec = "h264";
    c.width = width;
    c.height = height;
    c.sha256 = closed.sha256;
    c.closed = start + closed.duration;
    must(index.close_segment(id, c), "close row");
    start += closed.duration;
  }
  must(index.end_run(run, start, "stream_ended"), "end run");
  (void)must(signing::KeyPair::load_or_create(state), "the box key");
  if (!opt.links) {
    for (const auto& f : files) {  // copies are durable before timing, like recorded segments
      int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::fsync(fd) != 0) die("fsync of " + f.string());
      ::close(fd);
    }
  }
  const double source_bytes = static_cast<double>(closed.size_bytes) * segments;
  std::printf("  index: %d rows with hashes and chain, files %s of the segment; %s in all, in %.1f s\n", segments,
              opt.links ? "hard links" : "copies", mb(source_bytes).c_str(), seconds_since(step));

  std::ofstream(config) << "[site]\nname = \"export bench\"\ntimezone = \"UTC\"\nstorage = \"" << storage.string()
                        << "\"\ndatabase = \"" << (state / "index.db").string()
                        << "\"\n[care_hours]\nmonday = [\"07:30-18:30\"]\n[[camera]]\nid = \"" << camera
                        << "\"\nurl = \"rtsp://127.0.0.1:1/bench\"\n";

  std::vector<std::string> files_text;
  for (const auto& f : files) files_text.push_back(f.string());
  std::vector<std::string> cat{"cat"};
  cat.insert(cat.end(), files_text.begin(), files_text.end());
  // The concat demuxer's list: one `file` line a segment, in time order.
  const auto concat_list = root / "concat.txt";
  {
    std::ofstream list(concat_list);
    for (const auto& f : files_text) list << "file " << shell_quote(f) << "\n";
  }
  if (!opt.cold) (void)spawn(cat, "/dev/null", log);  // warm the cache once
  auto with = [&](const std::string& cli, std::vector<std::string> args) {
    std::vector<std::string> all{cli, "--config", config.string()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  };
  const std::size_t n_cli = opt.clis.size();
  auto export_label = [&](std::size_t k) { return n_cli == 1 ? std::string("export") : "export#" + std::to_string(k + 1); };
  auto verify_label = [&](std::size_t k) { return n_cli == 1 ? std::string("verify") : "verify#" + std::to_string(k + 1); };
  for (std::size_t k = 0; k < n_cli; ++k) std::printf("  %s: %s\n", export_label(k).c_str(), opt.clis[k].c_str());
  std::printf("  load average before timing: %s (%ld CPUs)\n", load_average().c_str(), ::sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("  caches: %s\n\n", opt.cold ? "cold (source files evicted with posix_fadvise DONTNEED before each step)"
                                          : "warm (source files read once before timing)");
  std::printf("  %-5s %-11s %8s %8s %11s %8s %8s %8s %9s %8s\n", "run", "step", "wall s", "CPU s", "× real time",
              "MB/s", "÷ cat", "÷ ffmpeg", "÷ ff+sync", "÷ floor");

  std::vector<Round> rounds;
  std::vector<std::string> video_sha(n_cli);    // of each binary's export in the first round
  std::vector<std::string> packet_sha(n_cli);   // of its packets
  for (int r = 0; r < opt.runs; ++r) {
    Round round;
    if (opt.cold) evict(files);
    round.cat = spawn(cat, "/dev/null", log);
    const auto cat_out = root / "cat.out";
    if (opt.cold) evict(files);
    round.cat_sync = spawn(cat, cat_out, log);
    round.cat_sync += spawn({"sync", cat_out.string()}, "/dev/null", log);
    round.floor = round.cat_sync;
    if (opt.cold) evict(files);
    std::vector<std::string> dgst{"openssl", "dgst", "-sha256"};
    auto dgst_sources = dgst;
    dgst_sources.insert(dgst_sources.end(), files_text.begin(), files_text.end());
    round.floor += spawn(dgst_sources, "/dev/null", log);
    dgst.push_back(cat_out.string());
    round.floor += spawn(dgst, "/dev/null", log);
    std::filesystem::remove(cat_out);

    const auto ffmpeg_out = root / "ffmpeg.mp4";
    if (opt.cold) evict(files);
    round.ffmpeg = spawn({"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i",
                          concat_list.string(), "-c", "copy", "-movflags", "+faststart", "-y", ffmpeg_out.string()},
                         "/dev/null", log);
    round.ffmpeg_sync = round.ffmpeg;
    round.ffmpeg_sync += spawn({"sync", ffmpeg_out.string()}, "/dev/null", log);
    if (r == 0) {
      auto [seconds, frames] = probe(ffmpeg_out);
      std::printf("  (ffmpeg: %s, %.3f s, %lld frames, read back with libavformat)\n",
                  mb(static_cast<double>(std::filesystem::file_size(ffmpeg_out))).c_str(), seconds,
                  static_cast<long long>(frames));
    }
    std::filesystem::remove(ffmpeg_out);

    for (std::size_t k = 0; k < n_cli; ++k) {
      const auto out = root / ("export-" + std::to_string(r) + "-" + std::to_string(k));
      if (opt.cold) evict(files);
      round.exp.push_back(spawn(with(opt.clis[k], {"export", "--camera", camera, "--from", format_utc_iso(t0), "--to",
                                                   format_utc_iso(t0 + std::chrono::seconds{opt.minutes * 60}),
                                                   "--out", out.string()}),
                                root / "export.out", log));
      int videos = 0;
      std::uint64_t out_bytes = video_bytes(out, videos);
      if (r == 0) {
        const auto video = out / (camera + ".mp4");
        auto [seconds, frames] = probe(video);
        video_sha[k] = segment::to_hex(must(segment::sha256_file(video), "hashing the export"));
        if (n_cli > 1) packet_sha[k] = packets_sha(video);
        std::printf("  (%s: %d file, %s, %.3f s, %lld frames, read back with libavformat; sha256 %s)\n",
                    export_label(k).c_str(), videos, mb(static_cast<double>(out_bytes)).c_str(), seconds,
                    static_cast<long long>(frames), video_sha[k].c_str());
      }
      std::filesystem::remove_all(out);
      if (opt.cold) evict(files);
      round.verify.push_back(spawn(with(opt.clis[k], {"verify", "--camera", camera}), root / "verify.out", log));
    }
    auto line = [&](const std::string& what, const Timed& t) {
      std::printf("  %-5d %-11s %8.3f %8.3f %11.0f %8.0f %8.2f %8.2f %9.2f %8.2f\n", r + 1, what.c_str(), t.wall, t.cpu,
                  footage_seconds / t.wall, source_bytes / 1e6 / t.wall, t.wall / round.cat.wall,
                  t.wall / round.ffmpeg.wall, t.wall / round.ffmpeg_sync.wall, t.wall / round.floor.wall);
    };
    line("cat", round.cat);
    line("cat+sync", round.cat_sync);
    line("floor", round.floor);
    line("ffmpeg", round.ffmpeg);
    line("ffmpeg+sync", round.ffmpeg_sync);
    for (std::size_t k = 0; k < n_cli; ++k) line(export_label(k), round.exp[k]);
    for (std::size_t k = 0; k < n_cli; ++k) line(verify_label(k), round.verify[k]);
    rounds.push_back(round);
  }

  auto range = [&](auto get) {
    double lo = 1e300;
    double hi = 0;
    for (const auto& r : rounds) {
      lo = std::min(lo, get(r));
      hi = std::max(hi, get(r));
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, lo == hi ? "%.2f" : "%.2f–%.2f", lo, hi);
    return std::string(buf);
  };
  std::printf("\n");
  for (std::size_t k = 0; k < n_cli; ++k) {
    std::printf("  %s: %s s wall, %s CPU-s, %s× real time; wall %s× ffmpeg, %s× ffmpeg+sync, %s× cat, %s× cat+sync, "
                "%s× floor; CPU %s× ffmpeg's, %s× floor's\n",
                export_label(k).c_str(), range([&](const Round& r) { return r.exp[k].wall; }).c_str(),
                range([&](const Round& r) { return r.exp[k].cpu; }).c_str(),
                range([&](const Round& r) { return footage_seconds / r.exp[k].wall; }).c_str(),
                range([&](const Round& r) { return r.exp[k].wall / r.ffmpeg.wall; }).c_str(),
                range([&](const Round& r) { return r.exp[k].wall / r.ffmpeg_sync.wall; }).c_str(),
                range([&](const Round& r) { return r.exp[k].wall / r.cat.wall; }).c_str(),
                range([&](const Round& r) { return r.exp[k].wall / r.cat_sync.wall; }).c_str(),
                range([&](const Round& r) { return r.exp[k].wall / r.floor.wall; }).c_str(),
                range([&](const Round& r) { return r.exp[k].cpu / r.ffmpeg.cpu; }).c_str(),
                range([&](const Round& r) { return r.exp[k].cpu / r.floor.cpu; }).c_str());
  }
  std::printf("  ffmpeg: %s s wall, %s CPU-s; ffmpeg+sync: %s s wall\n",
              range([](const Round& r) { return r.ffmpeg.wall; }).c_str(),
              range([](const Round& r) { return r.ffmpeg.cpu; }).c_str(),
              range([](const Round& r) { return r.ffmpeg_sync.wall; }).c_str());
  std::printf("  cat: %s s wall, %s CPU-s; cat+sync: %s s wall, %s CPU-s; floor: %s s wall, %s CPU-s\n",
              range([](const Round& r) { return r.cat.wall; }).c_str(),
              range([](const Round& r) { return r.cat.cpu; }).c_str(),
              range([](const Round& r) { return r.cat_sync.wall; }).c_str(),
              range([](const Round& r) { return r.cat_sync.cpu; }).c_str(),
              range([](const Round& r) { return r.floor.wall; }).c_str(),
              range([](const Round& r) { return r.floor.cpu; }).c_str());
  for (std::size_t k = 0; k < n_cli; ++k)
    std::printf("  %s: %s s wall, %s CPU-s, %s MB/s\n", verify_label(k).c_str(),
                range([&](const Round& r) { return r.verify[k].wall; }).c_str(),
                range([&](const Round& r) { return r.verify[k].cpu; }).c_str(),
                range([&](const Round& r) { return source_bytes / 1e6 / r.verify[k].wall; }).c_str());
  if (n_cli > 1) {
    bool same = std::all_of(video_sha.begin(), video_sha.end(), [&](const std::string& s) { return s == video_sha[0]; });
    bool same_packets =
        std::all_of(packet_sha.begin(), packet_sha.end(), [&](const std::string& s) { return s == packet_sha[0]; });
    std::printf("  export videos of the binaries: %s\n",
                same           ? "byte-identical"
                : same_packets ? "the same packets (timestamps, flags, bytes) in different file layouts"
                               : "DIFFERENT packets");
  }
  std::printf("  load average after: %s\n", load_average().c_str());
  if (!opt.keep) std::filesystem::remove_all(root);
  else std::printf("  kept %s\n", root.c_str());
  return 0;
}
