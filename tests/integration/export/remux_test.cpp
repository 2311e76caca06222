// export/remux on real segment files (footage.hpp): the dry run that foretells each output
// file's head, so that the moov is written into reserved space and the file hashed while it
// is written, against the same remux without it (moov moved to the front at the end, the
// file hashed once finished). Both must give the same footage, each file's hash must be its
// bytes', and a file whose moov outgrows what was foretold is made again.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <tuple>

#include "av/av.hpp"
#include "base/destination.hpp"
#include "export/remux.hpp"
#include "footage.hpp"
#include "segment/box_scanner.hpp"
#include "segment/hash.hpp"
#include "support/media.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

const UtcTime kT0 = UtcTime{date::sys_days{date::year{2026} / 11 / 20}} + 8h;

// The top-level boxes of a file, in order: ("ftyp", size), ("moov", size), ...
std::vector<std::pair<std::string, std::uint64_t>> top_boxes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::pair<std::string, std::uint64_t>> boxes;
  const auto size = std::filesystem::file_size(file);
  std::uint64_t at = 0;
  while (at + 8 <= size) {
    std::array<std::uint8_t, 16> bytes{};
    in.seekg(static_cast<std::streamoff>(at));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(std::min<std::uint64_t>(16, size - at)));
    auto h = segment::read_box_header(std::span<const std::uint8_t>(bytes.data(), static_cast<std::size_t>(in.gcount())));
    in.clear();
    if (!h || h->size < h->header_size) break;
    boxes.emplace_back(std::string(h->type.begin(), h->type.end()), h->size);
    at += h->size;
  }
  return boxes;
}

// Every packet of every stream as libavformat reads it: stream, pts, dts, duration, size,
// keyframe, and a hash of its bytes.
using PacketRow = std::tuple<int, std::int64_t, std::int64_t, std::int64_t, int, bool, std::string>;
std::vector<PacketRow> packets(const std::filesystem::path& file) {
  AVFormatContext* raw = nullptr;
  REQUIRE(avformat_open_input(&raw, file.c_str(), nullptr, nullptr) == 0);
  av::InputFormat input{raw};
  std::vector<PacketRow> rows;
  auto pkt = av::make_packet();
  while (av_read_frame(raw, pkt.get()) >= 0) {
    segment::Sha256Stream h;
    h.update(pkt->data, static_cast<std::size_t>(pkt->size));
    rows.emplace_back(pkt->stream_index, pkt->pts, pkt->dts, pkt->duration, pkt->size,
                      (pkt->flags & AV_PKT_FLAG_KEY) != 0, segment::to_hex(h.finish()));
    av_packet_unref(pkt.get());
  }
  return rows;
}

struct Remuxed {
  std::filesystem::path folder;
  exports::RemuxResult result;
  std::uint64_t progress = 0;  // bytes reported
};

Remuxed remux(const test::TempDir& dir, const std::string& name, const std::vector<index::SegmentRow>& rows,
              const std::filesystem::path& storage, UtcTime from, UtcTime to, bool timestamps, bool foretell,
              std::int64_t moov_slack_per_video_packet = 4) {
  std::vector<exports::SourceSegment> segments;
  for (const auto& r : rows) segments.push_back({r, storage / r.path});
  exports::RemuxOptions options;
  options.from = from;
  options.to = to;
  options.timestamps = timestamps;
  static const TimeZone utc = TimeZone::utc();
  options.zone = &utc;
  options.foretell_heads = foretell;
  options.moov_slack_per_video_packet = moov_slack_per_video_packet;
  fs::LocalDestination dest;
  const auto folder = dir / name;
  REQUIRE(dest.open(folder, fs::Layout::NewFolder));
  std::uint64_t progress = 0;
  auto result = exports::remux_camera(segments, dest, "nap-1", options, [&](std::uint64_t n) { progress += n; }, nullptr);
  if (!result) FAIL(result.error().message);
  REQUIRE(dest.commit());
  return {folder, std::move(*result), progress};
}

// The checks every output file gets: its hash is of its bytes, its moov is before its media,
// and each source segment's digest is the one in its row.
void check_files(const Remuxed& r, const std::vector<index::SegmentRow>& rows) {
  for (const auto& f : r.result.files) {
    INFO(f.name);
    const auto path = r.folder / f.name;
    CHECK(segment::to_hex(f.sha256) == test::sha256_file(path));
    CHECK(f.size_bytes == std::filesystem::file_size(path));
    auto boxes = top_boxes(path);
    REQUIRE(boxes.size() >= 3);
    CHECK(boxes[0].first == "ftyp");
    CHECK(boxes[1].first == "moov");
    CHECK(boxes.back().first == "mdat");
    std::uint64_t total = 0;
    for (const auto& b : boxes) total += b.second;
    CHECK(total == f.size_bytes);  // nothing after the media
  }
  REQUIRE(r.result.source_sha256.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(r.result.source_sha256[i] == rows[i].sha256.value());
}

}  // namespace

TEST_CASE("a foretold head is the file's: moov in reserved space, hashed as written, the same footage as faststart",
          "[export][remux]") {
  test::TempDir dir;
  const auto storage = dir / "media";
  auto index = index::Index::open_writer(dir / "index.db").value();
  test::FootageSpec spec{"nap-1", kT0, 12, 4, 25, false};
  bool timestamps = false;
  SECTION("H.264") {}
  SECTION("H.264 with AAC audio and the wall-clock subtitle track") {
    spec.audio = true;
    timestamps = true;
  }
  SECTION("H.265") { spec.codec = "hevc"; }
  auto rows = test::make_footage(index, storage, spec);
  REQUIRE(rows.size() == 3);
  // From inside the first segment (a keyframe before it is the start) to inside the last.
  const UtcTime from = kT0 + 1500ms;
  const UtcTime to = kT0 + 10500ms;
  auto foretold = remux(dir, "foretold", rows, storage, from, to, timestamps, true);
  auto faststart = remux(dir, "faststart", rows, storage, from, to, timestamps, false);
  REQUIRE(foretold.result.files.size() == 1);
  REQUIRE(faststart.result.files.size() == 1);
  check_files(foretold, rows);
  check_files(faststart, rows);
  CHECK(foretold.result.files[0].hashed_as_written);
  CHECK_FALSE(faststart.result.files[0].hashed_as_written);
  // The moov sits in space reserved for it: a free box pads it to the foretold size.
  auto boxes = top_boxes(foretold.folder / foretold.result.files[0].name);
  CHECK(boxes[2].first == "free");
  // Packet for packet the same footage, timestamps and flags included.
  auto a = packets(foretold.folder / "nap-1.mp4");
  auto b = packets(faststart.folder / "nap-1.mp4");
  CHECK(a.size() == b.size());
  CHECK(a == b);
  CHECK(foretold.result.files[0].video_packets == faststart.result.files[0].video_packets);
  CHECK(foretold.result.files[0].keyframes == faststart.result.files[0].keyframes);
  CHECK(foretold.result.files[0].actual_from == faststart.result.files[0].actual_from);
  CHECK(foretold.result.files[0].actual_to == faststart.result.files[0].actual_to);
}

TEST_CASE("each file of a codec change gets its own foretold head", "[export][remux]") {
  test::TempDir dir;
  const auto storage = dir / "media";
  auto index = index::Index::open_writer(dir / "index.db").value();
  auto rows = test::make_footage(index, storage, {"nap-1", kT0, 8, 4, 25, false});
  test::FootageSpec hevc{"nap-1", kT0 + 8s, 8, 4, 25, false};
  hevc.codec = "hevc";
  auto more = test::make_footage(index, storage, hevc);
  rows.insert(rows.end(), more.begin(), more.end());
  auto foretold = remux(dir, "foretold", rows, storage, kT0, kT0 + 16s, false, true);
  auto faststart = remux(dir, "faststart", rows, storage, kT0, kT0 + 16s, false, false);
  REQUIRE(foretold.result.files.size() == 2);
  REQUIRE(faststart.result.files.size() == 2);
  check_files(foretold, rows);
  for (std::size_t k = 0; k < 2; ++k) {
    INFO(foretold.result.files[k].name);
    CHECK(foretold.result.files[k].hashed_as_written);
    CHECK(foretold.result.files[k].video_codec == faststart.result.files[k].video_codec);
    CHECK(packets(foretold.folder / foretold.result.files[k].name) ==
          packets(faststart.folder / faststart.result.files[k].name));
  }
}

TEST_CASE("footage whose keyframes lack their sync flag: hashed from disk when the moov fits, made again when not",
          "[export][remux]") {
  // The dry run reads no media, so it knows keyframes only from the files' sync flags; the
  // real reading's parser finds the unflagged IDR pictures too, and the moov's sync sample
  // table grows by their entries.
  test::TempDir dir;
  const auto storage = dir / "media";
  auto index = index::Index::open_writer(dir / "index.db").value();
  test::FootageSpec spec{"nap-1", kT0, 12, 4, 25, false};
  spec.unflagged_keyframes = true;
  auto rows = test::make_footage(index, storage, spec);
  auto faststart = remux(dir, "faststart", rows, storage, kT0, kT0 + 12s, false, false);
  const auto faststart_boxes = top_boxes(faststart.folder / "nap-1.mp4");
  std::vector<std::string> written_again;
  for (const auto& b : faststart_boxes) written_again.push_back(b.first);
  Remuxed r;
  std::vector<std::string> layout;
  SECTION("the slack reserved per video packet holds the larger moov: the file is hashed from disk") {
    r = remux(dir, "fits", rows, storage, kT0, kT0 + 12s, false, true);
    for (const auto& b : top_boxes(r.folder / "nap-1.mp4")) layout.push_back(b.first);
    CHECK(layout != written_again);  // the reserved layout: the moov's space ends in a free box
    CHECK(layout.size() == written_again.size() + 1);
  }
  SECTION("without slack the moov outgrows its space: the file is made again with faststart") {
    r = remux(dir, "remade", rows, storage, kT0, kT0 + 12s, false, true, 0);
    for (const auto& b : top_boxes(r.folder / "nap-1.mp4")) layout.push_back(b.first);
    CHECK(layout == written_again);
    std::size_t files = 0;  // made once: nothing left from the first attempt
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(r.folder)) ++files;
    CHECK(files == 1);
  }
  REQUIRE(r.result.files.size() == 1);
  check_files(r, rows);
  CHECK_FALSE(r.result.files[0].hashed_as_written);
  CHECK(r.result.files[0].keyframes > static_cast<std::int64_t>(rows.size()));  // the parser's
  CHECK(packets(r.folder / "nap-1.mp4") == packets(faststart.folder / "nap-1.mp4"));
  CHECK(r.progress == faststart.progress);  // a run made again is not counted twice
}
