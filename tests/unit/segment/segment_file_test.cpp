#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "segment/box_scanner.hpp"
#include "segment/hash.hpp"
#include "segment/segment_file.hpp"
#include "support/media.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

struct Input {
  std::unique_ptr<av::Interrupt> interrupt;  // FFmpeg keeps calling it: it must outlive `format`
  av::InputFormat format;
  int video = -1;
  int audio = -1;
};

Input open_clip(const std::filesystem::path& clip) {
  auto interrupt = std::make_unique<av::Interrupt>();
  av::InputOptions options;
  options.probe_streams = true;
  auto input = av::open_input(clip.string(), options, *interrupt);
  REQUIRE(input);
  Input in{std::move(interrupt), std::move(*input)};
  in.video = av::find_stream(in.format.get(), AVMEDIA_TYPE_VIDEO);
  in.audio = av::find_stream(in.format.get(), AVMEDIA_TYPE_AUDIO);
  return in;
}

segment::StreamLayout layout_of(const Input& in) {
  segment::StreamLayout layout;
  layout.video = in.format->streams[in.video]->codecpar;
  layout.video_time_base = in.format->streams[in.video]->time_base;
  if (in.audio >= 0) {
    layout.audio = in.format->streams[in.audio]->codecpar;
    layout.audio_time_base = in.format->streams[in.audio]->time_base;
  }
  return layout;
}

// Feeds every packet of `in` to `file`; `mangle` may rewrite timestamps. Stops at the first
// write error and returns it.
template <class Mangle>
segment::WriteResult<void> remux(Input& in, segment::SegmentFile& file, Mangle mangle) {
  auto packet = av::make_packet();
  std::int64_t n = 0;
  while (av_read_frame(in.format.get(), packet.get()) >= 0) {
    int stream = packet->stream_index == in.video ? 0 : packet->stream_index == in.audio ? 1 : -1;
    if (stream < 0) {
      av_packet_unref(packet.get());
      continue;
    }
    if (stream == 0) mangle(*packet, n++);
    if (auto st = file.write(packet.get(), stream); !st) {
      av_packet_unref(packet.get());
      return st;
    }
  }
  return {};
}

segment::WriteResult<void> remux(Input& in, segment::SegmentFile& file) {
  return remux(in, file, [](AVPacket&, std::int64_t) {});
}

const UtcTime kStart = from_us(1'795'000'000'000'000);

}  // namespace

TEST_CASE("an H.264 clip becomes a playable fragmented MP4 whose hash is the file's", "[segment]") {
  test::TempDir dir;
  test::make_clip(dir / "clip.mp4", {});
  auto in = open_clip(dir / "clip.mp4");
  auto target = dir / "cam" / "2026-11-20" / "080000-0.mp4";
  auto file = segment::SegmentFile::create(target, layout_of(in), kStart);
  REQUIRE(file);
  CHECK(std::filesystem::exists((*file)->partial_path()));
  REQUIRE(remux(in, **file));
  auto closed = (*file)->close();
  REQUIRE(closed);

  CHECK_FALSE(std::filesystem::exists(target.string() + ".partial"));
  REQUIRE(std::filesystem::exists(target));
  CHECK(closed->path == target);
  CHECK(closed->size_bytes == std::filesystem::file_size(target));
  CHECK(segment::to_hex(closed->sha256) == test::sha256_file(target));
  CHECK(closed->frames == 150);
  CHECK(closed->keyframes == 3);
  CHECK(closed->duration == 6s);
  CHECK(closed->start == kStart);
  CHECK_FALSE(closed->truncated);

  auto info = test::probe(target);
  REQUIRE(info.opened);
  CHECK(info.video_codec == "h264");
  CHECK(info.codec_tag == "avc1");
  CHECK(info.width == 320);
  CHECK(info.height == 240);
  CHECK(info.video_packets == 150);
  CHECK(info.keyframes == 3);
  CHECK(info.first_packet_key);
  CHECK(info.first_pts_seconds == Approx(0.0).margin(0.001));
  CHECK(info.last_pts_end_seconds == Approx(6.0).margin(0.041));
}

TEST_CASE("H.265 is tagged hvc1 and AAC audio is passed through", "[segment]") {
  test::TempDir dir;
  test::make_clip(dir / "clip.mp4", {.codec = "hevc", .seconds = 4, .audio = true});
  auto in = open_clip(dir / "clip.mp4");
  REQUIRE(in.audio >= 0);
  auto file = segment::SegmentFile::create(dir / "out.mp4", layout_of(in), kStart);
  REQUIRE(file);
  REQUIRE(remux(in, **file));
  auto closed = (*file)->close();
  REQUIRE(closed);
  auto info = test::probe(dir / "out.mp4");
  CHECK(info.video_codec == "hevc");
  CHECK(info.codec_tag == "hvc1");
  CHECK(info.video_packets == 100);
  CHECK(info.audio_codec == "aac");
  CHECK(info.audio_packets > 150);  // 4 s of 48 kHz AAC ≈ 188 frames of 1024 samples
}

TEST_CASE("camera timestamp jumps and non-monotonic DTS still give a playable file", "[segment]") {
  test::TempDir dir;
  test::make_clip(dir / "clip.mp4", {});
  auto in = open_clip(dir / "clip.mp4");
  auto tb = in.format->streams[in.video]->time_base;
  std::int64_t hour = av_rescale_q(3600, AVRational{1, 1}, tb);
  std::int64_t back = av_rescale_q(5, AVRational{1, 1}, tb);
  auto file = segment::SegmentFile::create(dir / "out.mp4", layout_of(in), kStart);
  REQUIRE(file);
  REQUIRE(remux(in, **file, [&](AVPacket& p, std::int64_t n) {
    std::int64_t shift = 0;
    if (n >= 60) shift += hour;   // the camera's clock leaps an hour ahead
    if (n >= 100) shift -= back;  // then steps 5 s back
    if (n == 120) p.dts = p.pts = AV_NOPTS_VALUE;  // and loses a timestamp
    else {
      p.pts += shift;
      p.dts += shift;
    }
  }));
  auto closed = (*file)->close();
  REQUIRE(closed);
  auto info = test::probe(dir / "out.mp4");
  REQUIRE(info.opened);
  CHECK(info.dts_monotonic);
  CHECK(info.video_packets == 150);
  CHECK(info.last_pts_end_seconds == Approx(6.0).margin(0.1));
  CHECK(closed->duration > 5900ms);
  CHECK(closed->duration < 6100ms);
}

TEST_CASE("an existing segment file is never overwritten", "[segment]") {
  test::TempDir dir;
  test::make_clip(dir / "clip.mp4", {.seconds = 1});
  auto in = open_clip(dir / "clip.mp4");
  test::write_text(dir / "out.mp4.partial", "evidence");
  auto file = segment::SegmentFile::create(dir / "out.mp4", layout_of(in), kStart);
  REQUIRE_FALSE(file);
  CHECK(file.error().message.find("out.mp4.partial") != std::string::npos);
  CHECK(test::read_text(dir / "out.mp4.partial") == "evidence");
}

TEST_CASE("disk full on a real small filesystem closes the segment at its last whole fragment", "[segment][disk]") {
  test::TempDir dir;
  // About 2.5 MB of video for 8 s; the filesystem holds 600 KiB.
  test::make_clip(dir / "clip.mp4", {.width = 640, .height = 480, .gop = 25, .seconds = 8});
  test::SmallFilesystem small{600 * 1024};
  auto in = open_clip(dir / "clip.mp4");
  auto target = small.path() / "cam" / "out.mp4";
  auto file = segment::SegmentFile::create(target, layout_of(in), kStart);
  REQUIRE(file);
  auto written = remux(in, **file);
  REQUIRE_FALSE(written);
  CHECK(written.error().kind == ErrorKind::ResourceExhausted);
  CHECK(written.error().disk == DiskFault::Full);  // typed from ENOSPC at the write, not from its words
  auto closed = (*file)->close();
  REQUIRE(closed);
  CHECK(closed->truncated);
  CHECK(closed->truncation_fault == DiskFault::Full);
  CHECK(closed->size_bytes == std::filesystem::file_size(target));
  CHECK(segment::to_hex(closed->sha256) == test::sha256_file(target));
  auto info = test::probe(target);
  REQUIRE(info.opened);
  CHECK(info.first_packet_key);
  CHECK(info.video_packets > 0);
  CHECK(info.video_packets % 25 == 0);  // whole fragments only (one per 1 s GOP)
  CHECK(info.dts_monotonic);
}

TEST_CASE("a read-only file system and a full one are told apart by the fault typed at the failing call", "[segment][disk]") {
  test::TempDir dir;
  test::make_clip(dir / "clip.mp4", {.seconds = 1});
  auto in = open_clip(dir / "clip.mp4");
  test::SmallFilesystem small{1024 * 1024};
  std::filesystem::create_directories(small.path() / "cam");
  small.remount_read_only();
  auto file = segment::SegmentFile::create(small.path() / "cam" / "out.mp4", layout_of(in), kStart);
  REQUIRE_FALSE(file);
  CHECK(file.error().disk == DiskFault::ReadOnly);  // EROFS at open(2)
  // A tiny file system: the header fits, the first fragment does not.
  test::SmallFilesystem tiny{64 * 1024};
  test::write_text(tiny.path() / "ballast", std::string(60 * 1024, 'x'));
  auto created = segment::SegmentFile::create(tiny.path() / "out.mp4", layout_of(in), kStart);
  if (!created) {
    CHECK(created.error().disk == DiskFault::Full);
    return;
  }
  // The muxer's buffer may hold the whole clip until the trailer: the failure comes at a
  // write or at close, typed the same either way.
  auto written = remux(in, **created);
  if (!written) CHECK(written.error().disk == DiskFault::Full);
  auto closed = (*created)->close();
  REQUIRE_FALSE(closed);  // nothing whole was written: the file is removed
  CHECK(closed.error().disk == DiskFault::Full);
  CHECK_FALSE(std::filesystem::exists(tiny.path() / "out.mp4.partial"));
}

TEST_CASE("checkpoints name a synced prefix at a fragment start past the first fragment, and the file keeps it",
          "[segment]") {
  test::TempDir dir;
  test::make_clip(dir / "clip.mp4", {.gop = 25, .seconds = 6});
  auto in = open_clip(dir / "clip.mp4");
  auto target = dir / "cam" / "2026-11-20" / "080000-0.mp4";
  // A sync at every write: a checkpoint can follow every fragment.
  auto file = segment::SegmentFile::create(target, layout_of(in), kStart, {.sync_interval = 0ms});
  REQUIRE(file);
  std::vector<segment::Checkpoint> checkpoints;
  auto packet = av::make_packet();
  while (av_read_frame(in.format.get(), packet.get()) >= 0) {
    if (packet->stream_index != in.video) {
      av_packet_unref(packet.get());
      continue;
    }
    REQUIRE((*file)->write(packet.get(), 0));
    if (auto checkpoint = (*file)->take_checkpoint()) {
      // Durable already: the .partial on disk is at least this long and begins with these bytes.
      CHECK(checkpoint->bytes <= std::filesystem::file_size((*file)->partial_path()));
      auto prefix = segment::sha256_file((*file)->partial_path(), checkpoint->bytes);
      REQUIRE(prefix);
      CHECK(*prefix == checkpoint->sha256);
      checkpoints.push_back(*checkpoint);
    }
    CHECK_FALSE((*file)->take_checkpoint());  // handed out once
  }
  auto closed = (*file)->close();
  REQUIRE(closed);
  CHECK_FALSE((*file)->take_checkpoint());
  // 6 one-second fragments: a checkpoint after each of the first five at least (the sixth
  // ends with the trailer), each further than the one before.
  REQUIRE(checkpoints.size() >= 4);
  for (std::size_t i = 1; i < checkpoints.size(); ++i) CHECK(checkpoints[i].bytes > checkpoints[i - 1].bytes);

  // Each lies where a moof begins, with a whole moof + mdat before it: never the header alone,
  // which every segment of a camera shares.
  std::string bytes = test::read_text(target);
  std::vector<std::pair<std::uint64_t, std::string>> boxes;
  segment::BoxScanner scanner;
  scanner.feed(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
               [&](const segment::BoxScanner::Boundary& b) { boxes.emplace_back(b.offset, std::string(b.type.data(), 4)); });
  std::uint64_t first_moof = 0;
  for (const auto& [offset, type] : boxes) {
    if (type == "moof") {
      first_moof = offset;
      break;
    }
  }
  REQUIRE(first_moof > 0);
  for (const auto& checkpoint : checkpoints) {
    INFO("checkpoint at " << checkpoint.bytes);
    CHECK(checkpoint.bytes > first_moof);
    bool at_box = std::any_of(boxes.begin(), boxes.end(), [&](const auto& b) {
      return b.first == checkpoint.bytes && (b.second == "moof" || b.second == "mfra");
    });
    CHECK(at_box);
    // The closed file still begins with it.
    CHECK(segment::sha256_of(std::string_view(bytes).substr(0, checkpoint.bytes)) == checkpoint.sha256);
  }
}
