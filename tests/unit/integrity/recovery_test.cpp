#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "av/av.hpp"
#include "index/index.hpp"
#include "integrity/recovery.hpp"
#include "segment/box_scanner.hpp"
#include "segment/hash.hpp"
#include "segment/segment_file.hpp"
#include "support/media.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace fsx = std::filesystem;
using index::SegmentRow;
using index::SegmentState;
using index::Sha256;

namespace {

// 2026-11-20T00:00:00Z = 08:00 in Asia/Shanghai, the day the test files are named after.
const UtcTime kDay = from_us(1'795'132'800'000'000);
const UtcTime kNow = kDay + 2h;
const index::TimeRange kAll{from_us(0), from_us(4'000'000'000'000'000)};
constexpr int kFps = 25;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// A real 8 s H.264 clip (GOP 25 = one keyframe per second) remuxed by the real writer.
// `snapshots` copies the writer's .partial just before the packet at each given second
// (0 = right after the header) is fed, as a crash at that moment would leave it.
struct Written {
  fsx::path final_path;
  segment::ClosedSegment closed;
};

// A checkpoint the writer handed out, and the media second of the packet it came after.
struct TimedCheckpoint {
  double second;
  segment::Checkpoint checkpoint;
};

Written write_segment(const fsx::path& clip, const fsx::path& target,
                      std::vector<std::pair<double, fsx::path>> snapshots = {},
                      std::vector<TimedCheckpoint>* checkpoints = nullptr, double from_second = 0) {
  av::Interrupt interrupt;
  av::InputOptions options;
  options.probe_streams = true;
  auto input = av::open_input(clip.string(), options, interrupt);
  REQUIRE(input);
  int video = av::find_stream(input->get(), AVMEDIA_TYPE_VIDEO);
  REQUIRE(video >= 0);
  segment::StreamLayout layout;
  layout.video = (*input)->streams[video]->codecpar;
  layout.video_time_base = (*input)->streams[video]->time_base;
  segment::WriterOptions writer;
  if (checkpoints != nullptr) writer.sync_interval = 0ms;  // the clip is fed faster than real time
  auto file = segment::SegmentFile::create(target, layout, kDay, writer);
  REQUIRE(file);
  auto snapshot_due = [&](double seconds) {
    for (auto it = snapshots.begin(); it != snapshots.end();) {
      if (it->first <= seconds) {
        fsx::create_directories(it->second.parent_path());
        fsx::copy_file((*file)->partial_path(), it->second);
        it = snapshots.erase(it);
      } else {
        ++it;
      }
    }
  };
  auto packet = av::make_packet();
  const AVRational tb = layout.video_time_base;
  while (av_read_frame(input->get(), packet.get()) >= 0) {
    if (packet->stream_index != video) {
      av_packet_unref(packet.get());
      continue;
    }
    double second = static_cast<double>(packet->pts) * av_q2d(tb);
    if (second < from_second - 1e-6) {  // a later segment of the same camera: from a keyframe on
      av_packet_unref(packet.get());
      continue;
    }
    snapshot_due(second);
    REQUIRE((*file)->write(packet.get(), 0));
    if (checkpoints != nullptr) {
      if (auto checkpoint = (*file)->take_checkpoint()) checkpoints->push_back({second, *checkpoint});
    }
  }
  snapshot_due(1e9);
  auto closed = (*file)->close();
  REQUIRE(closed);
  return {target, *closed};
}

struct BoxAt {
  std::uint64_t offset;
  std::string type;
};

std::vector<BoxAt> boxes_of(const fsx::path& file) {
  std::string bytes = test::read_text(file);
  segment::BoxScanner scanner;
  std::vector<BoxAt> out;
  scanner.feed(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
               [&](const segment::BoxScanner::Boundary& b) {
                 out.push_back({b.offset, std::string(b.type.data(), 4)});
               });
  return out;
}

void copy_prefix(const fsx::path& from, const fsx::path& to, std::uint64_t bytes) {
  std::string content = test::read_text(from);
  REQUIRE(bytes <= content.size());
  test::write_text(to, content.substr(0, bytes));
}

// Storage, index and clip of one box: camera "cam1" configured, a daemon run, one RTSP run.
struct Site {
  test::TempDir dir;
  fsx::path storage = dir / "storage";
  index::Index index = index::Index::open_writer(dir / "index.sqlite").value();
  TimeZone zone = TimeZone::locate("Asia/Shanghai").value();
  index::DaemonRunId daemon = 0;
  index::RunId run = 0;
  std::int64_t next_seq = 0;
  fsx::path clip = dir / "clip.mp4";

  Site() {
    const std::array<index::ConfiguredCamera, 1> cameras{{{"cam1", "Nap room"}}};
    REQUIRE(index.sync_cameras(cameras, kDay - 24h));
    daemon = index.begin_daemon_run({kNow, "test", 1, "box"}).value();
    run = index.begin_run("cam1", daemon, kDay).value();
    test::make_clip(clip, {.gop = 25, .seconds = 8});
  }

  fsx::path scratch(const std::string& name) const { return dir / "scratch" / name; }

  index::SegmentId open_row(const std::string& rel, UtcTime start = kDay) {
    return index.insert_open_segment({"cam1", run, next_seq++, start, rel, start}).value();
  }

  // A row closed normally over a file that is really there.
  index::SegmentId closed_row(const std::string& rel, const Written& w) {
    fsx::create_directories((storage / rel).parent_path());
    fsx::copy_file(w.final_path, storage / rel);
    auto id = open_row(rel);
    index::ClosedSegment c;
    c.duration = w.closed.duration;
    c.size_bytes = static_cast<std::int64_t>(w.closed.size_bytes);
    c.frames = static_cast<std::int64_t>(w.closed.frames);
    c.keyframes = static_cast<std::int64_t>(w.closed.keyframes);
    c.video_codec = "h264";
    c.width = 320;
    c.height = 240;
    c.sha256 = w.closed.sha256;
    c.closed = kDay + 1min;
    REQUIRE(index.close_segment(id, c));
    return id;
  }

  integrity::RecoveryReport recover(const integrity::ProtectionPolicy& protection = {}) {
    auto report = integrity::recover(index, storage, kNow, protection, zone);
    REQUIRE(report);
    return *report;
  }

  SegmentRow row(index::SegmentId id) {
    auto rows = index.segments("cam1", kAll);
    REQUIRE(rows);
    for (auto& r : *rows) {
      if (r.id == id) return r;
    }
    FAIL("no segment " << id);
    return {};
  }

  std::optional<SegmentRow> row_at(const std::string& rel) {
    auto rows = index.segments("cam1", kAll);
    REQUIRE(rows);
    for (auto& r : *rows) {
      if (r.path == rel) return r;
    }
    return std::nullopt;
  }

  std::vector<index::CameraEventRow> events() { return index.camera_events(kAll, "cam1").value(); }
};

// What a player sees must be what the row says.
void check_row_matches_file(const SegmentRow& row, const fsx::path& file) {
  REQUIRE(fsx::exists(file));
  CHECK_FALSE(fsx::exists(file.string() + ".partial"));
  CHECK(row.size_bytes == static_cast<std::int64_t>(fsx::file_size(file)));
  REQUIRE(row.sha256);
  CHECK(segment::to_hex(*row.sha256) == test::sha256_file(file));
  auto info = test::probe(file);
  REQUIRE(info.opened);
  CHECK(info.first_packet_key);
  CHECK(info.dts_monotonic);
  CHECK(row.frames == info.video_packets);
  CHECK(row.keyframes == info.keyframes);
  CHECK(row.video_codec == "h264");
  CHECK(row.width == 320);
  CHECK(row.height == 240);
  CHECK_FALSE(row.audio_codec);
  CHECK(std::chrono::duration<double>(row.duration).count() ==
        Approx(static_cast<double>(info.video_packets) / kFps).margin(0.001));
}

}  // namespace

TEST_CASE("a segment left open by a crash is cut to its last complete fragment and closed as recovered",
          "[integrity]") {
  Site site;
  auto crash_copy = site.storage / "cam1/2026-11-20/080100-1.mp4.partial";
  auto full = write_segment(site.clip, site.scratch("cam1/2026-11-20/080000-0.mp4"), {{5.0, crash_copy}});
  auto previous = site.closed_row("cam1/2026-11-20/080000-0.mp4", full);
  auto previous_chain = site.row(previous).chain_sha256.value();
  auto id = site.open_row("cam1/2026-11-20/080100-1.mp4", kDay + 1min);

  auto report = site.recover([](const std::string& camera, UtcTime, UtcTime end) -> std::optional<UtcTime> {
    CHECK(camera == "cam1");
    return end + 24h * 30;
  });
  CHECK(report.repaired == 1);
  CHECK(report.damaged == 0);
  CHECK(report.quarantined == 0);
  CHECK(report.missing == 0);
  REQUIRE(report.findings.size() == 1);
  CHECK(contains(report.findings[0], "080100-1.mp4 recovered"));

  auto row = site.row(id);
  CHECK(row.state == SegmentState::Recovered);
  CHECK(contains(row.state_detail, "left open by a crash"));
  CHECK(row.start == kDay + 1min);
  CHECK(row.closed == kNow);
  CHECK(row.protect_until == row.end + 24h * 30);  // the same rule as at close
  auto final_path = site.storage / row.path;
  check_row_matches_file(row, final_path);
  // The chain goes on from the previous segment.
  CHECK(row.chain_sha256 == index::file_chain_link(previous_chain, *row.sha256));
  // 5 s were fed; only the fragment still being written (at most ~1-2 s) is lost.
  const std::int64_t fed = 5 * kFps;
  CHECK(row.frames <= fed);
  CHECK(fed - row.frames <= 2 * kFps);
  CHECK(row.frames % kFps == 0);  // whole GOP fragments only
}

TEST_CASE("a crash cut inside an mdat loses only the fragment it falls in", "[integrity]") {
  Site site;
  auto full = write_segment(site.clip, site.scratch("full.mp4"));
  auto boxes = boxes_of(full.final_path);
  // The 5th fragment's mdat, cut at an arbitrary byte inside it.
  std::vector<std::size_t> mdats;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    if (boxes[i].type == "mdat") mdats.push_back(i);
  }
  REQUIRE(mdats.size() == 8);
  std::size_t m = mdats[4];
  REQUIRE(boxes[m - 1].type == "moof");
  std::uint64_t cut_at = boxes[m].offset + (boxes[m + 1].offset - boxes[m].offset) * 3 / 7;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  copy_prefix(full.final_path, site.storage / (rel + ".partial"), cut_at);
  auto id = site.open_row(rel);

  auto report = site.recover();
  CHECK(report.repaired == 1);
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Recovered);
  check_row_matches_file(row, site.storage / rel);
  // Kept: everything before the moof of the torn fragment.
  CHECK(row.size_bytes == static_cast<std::int64_t>(boxes[m - 1].offset));
  CHECK(row.frames == 4 * kFps);
  CHECK(contains(row.state_detail, std::to_string(cut_at - boxes[m - 1].offset) + " of " + std::to_string(cut_at)));
}

TEST_CASE("an open row whose file was renamed before the crash is completed without cutting", "[integrity]") {
  Site site;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  auto full = write_segment(site.clip, site.scratch("full.mp4"));
  fsx::create_directories((site.storage / rel).parent_path());
  fsx::copy_file(full.final_path, site.storage / rel);
  auto id = site.open_row(rel);

  auto report = site.recover();
  CHECK(report.repaired == 1);
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Recovered);
  CHECK(row.state_detail == "closed before the crash; index completed at startup");
  check_row_matches_file(row, site.storage / rel);
  CHECK(row.size_bytes == static_cast<std::int64_t>(full.closed.size_bytes));
  CHECK(*row.sha256 == full.closed.sha256);  // the hash the writer computed while writing
  CHECK(row.frames == 8 * kFps);
  CHECK(row.duration == full.closed.duration);
  CHECK(row.chain_sha256 == index::file_chain_link(Sha256{}, full.closed.sha256));
}

TEST_CASE("a partial file holding only the header is quarantined and its row closed as damaged", "[integrity]") {
  Site site;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  write_segment(site.clip, site.scratch("full.mp4"), {{0.0, site.storage / (rel + ".partial")}});
  auto header_bytes = test::read_text(site.storage / (rel + ".partial"));
  REQUIRE(header_bytes.size() > 0);
  auto id = site.open_row(rel);

  auto report = site.recover();
  CHECK(report.damaged == 1);
  CHECK(report.repaired == 0);
  CHECK(report.quarantined == 0);  // counted once, as the damaged row
  auto quarantined = site.storage / "quarantine" / (rel + ".partial");
  REQUIRE(fsx::exists(quarantined));
  CHECK(test::read_text(quarantined) == header_bytes);  // moved as found, not altered
  CHECK_FALSE(fsx::exists(site.storage / (rel + ".partial")));
  CHECK_FALSE(fsx::exists(site.storage / rel));
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Damaged);
  CHECK(contains(row.state_detail, "no complete fragment"));
  CHECK(contains(row.state_detail, "moved to quarantine/" + rel + ".partial"));
  CHECK(segment::to_hex(*row.sha256) == test::sha256_file(quarantined));
  CHECK(row.chain_sha256 == index::file_chain_link(Sha256{}, *row.sha256));
  CHECK(row.frames == 0);
}

TEST_CASE("an open row without any file is closed as damaged", "[integrity]") {
  Site site;
  auto id = site.open_row("cam1/2026-11-20/080000-0.mp4");
  auto report = site.recover();
  CHECK(report.damaged == 1);
  CHECK(report.missing == 0);
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Damaged);
  CHECK(contains(row.state_detail, "file missing"));
  CHECK(row.sha256 == Sha256{});
  CHECK(row.closed == kNow);
}

TEST_CASE("a valid recording without an index row is quarantined, never adopted as evidence", "[integrity]") {
  // Issue 15: a valid fMP4 copied into a camera's folder under a plausible name used to be
  // adopted at the next start, chained, anchored and exportable. Whole or torn, named like
  // ours or not, a file this daemon has no open row for is set aside as found.
  Site site;
  auto rel = std::string("cam1/2026-11-20/081500-7.mp4");
  auto rel_partial = std::string("cam1/2026-11-20/081600-8.mp4");
  write_segment(site.clip, site.storage / rel);
  auto boxes = boxes_of(site.storage / rel);
  std::uint64_t torn_at = 0;
  for (std::size_t i = 0, n = 0; i < boxes.size(); ++i) {
    if (boxes[i].type == "mdat" && ++n == 6) torn_at = boxes[i].offset + 100;
  }
  REQUIRE(torn_at > 0);
  copy_prefix(site.storage / rel, site.storage / (rel_partial + ".partial"), torn_at);
  auto planted_bytes = test::sha256_file(site.storage / rel);

  auto report = site.recover();
  CHECK(report.quarantined == 2);
  CHECK(report.repaired == 0);
  CHECK(report.findings.size() == 2);
  CHECK_FALSE(site.row_at(rel));
  CHECK_FALSE(site.row_at(rel_partial));
  CHECK(site.index.segments("cam1", kAll).value().empty());
  CHECK_FALSE(fsx::exists(site.storage / rel));
  REQUIRE(fsx::exists(site.storage / "quarantine" / rel));
  CHECK(test::sha256_file(site.storage / "quarantine" / rel) == planted_bytes);  // kept as found
  CHECK(fsx::exists(site.storage / "quarantine" / (rel_partial + ".partial")));
  auto events = site.events();
  REQUIRE(events.size() == 2);
  for (const auto& e : events) {
    CHECK(e.cause == "file_quarantined");
    CHECK(contains(e.detail, "did not record it"));
  }
}

TEST_CASE("garbage, foreign names and unknown cameras' files are quarantined and reported", "[integrity]") {
  Site site;
  auto garbage = std::string("cam1/2026-11-20/090000-0.mp4");
  auto misnamed = std::string("cam1/2026-11-20/evidence.mp4");
  auto ghost = std::string("ghost/2026-11-20/090000-0.mp4");
  test::write_text(site.storage / garbage, "this is not a video");
  write_segment(site.clip, site.storage / ghost);
  fsx::copy_file(site.storage / ghost, site.storage / misnamed);
  test::write_text(site.storage / "cam1/2026-11-20/.hidden.mp4", "x");
  test::write_text(site.storage / "cam1/2026-11-20/notes.txt", "x");
  test::write_text(site.storage / "cam1/misc/090000-0.mp4", "x");

  auto report = site.recover();
  CHECK(report.quarantined == 3);
  CHECK(report.findings.size() == 3);
  for (const auto& rel : {garbage, misnamed, ghost}) {
    CAPTURE(rel);
    CHECK_FALSE(fsx::exists(site.storage / rel));
    CHECK(fsx::exists(site.storage / "quarantine" / rel));
  }
  CHECK(fsx::exists(site.storage / "cam1/2026-11-20/.hidden.mp4"));
  CHECK(fsx::exists(site.storage / "cam1/2026-11-20/notes.txt"));
  CHECK(fsx::exists(site.storage / "cam1/misc/090000-0.mp4"));
  CHECK_FALSE(site.row_at(garbage));
  // cam1's two files are in its events; ghost has no camera row to hang an event on.
  auto events = site.events();
  REQUIRE(events.size() == 2);
  for (const auto& e : events) {
    CHECK(e.kind == index::CameraEventKind::Warning);
    CHECK(e.cause == "file_quarantined");
  }
  CHECK(std::any_of(report.findings.begin(), report.findings.end(),
                    [](const std::string& f) { return contains(f, "camera ghost is not in the index"); }));

  // A later file of the same name does not overwrite the one already in quarantine.
  test::write_text(site.storage / garbage, "another bad file");
  CHECK(site.recover().quarantined == 1);
  CHECK(test::read_text(site.storage / "quarantine" / garbage) == "this is not a video");
  CHECK(test::read_text(site.storage / "quarantine" / (garbage + ".1")) == "another bad file");
}

TEST_CASE("a closed row whose file was deleted is reported once, not at every start", "[integrity]") {
  Site site;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  auto full = write_segment(site.clip, site.scratch("full.mp4"));
  auto id = site.closed_row(rel, full);
  auto chain_before = site.row(id).chain_sha256;
  fsx::remove(site.storage / rel);

  auto report = site.recover();
  CHECK(report.missing == 1);
  REQUIRE(report.findings.size() == 1);
  CHECK(contains(report.findings[0], rel));
  auto events = site.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == index::CameraEventKind::Warning);
  CHECK(events[0].cause == "file_missing");
  CHECK(contains(events[0].detail, rel));
  CHECK(events[0].time == kNow);
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Damaged);
  CHECK(contains(row.state_detail, "file missing at startup"));
  CHECK(row.chain_sha256 == chain_before);  // the evidence of what it was stays

  auto again = site.recover();
  CHECK(again.missing == 0);
  CHECK(again.findings.empty());
  CHECK(site.events().size() == 1);
}

TEST_CASE("recovery is idempotent: a second run finds nothing and changes nothing", "[integrity]") {
  Site site;
  auto open_rel = std::string("cam1/2026-11-20/080100-1.mp4");
  auto orphan_rel = std::string("cam1/2026-11-20/080200-2.mp4");
  auto gone_rel = std::string("cam1/2026-11-20/080000-0.mp4");
  auto full = write_segment(site.clip, site.scratch("full.mp4"), {{5.0, site.storage / (open_rel + ".partial")}});
  site.closed_row(gone_rel, full);
  fsx::remove(site.storage / gone_rel);
  site.open_row(open_rel);
  site.open_row("cam1/2026-11-20/080300-3.mp4");  // no file at all
  fsx::copy_file(full.final_path, site.storage / orphan_rel);
  test::write_text(site.storage / "cam1/2026-11-20/080400-4.mp4", "garbage");

  auto first = site.recover();
  CHECK(first.repaired == 1);
  CHECK(first.damaged == 1);
  CHECK(first.quarantined == 2);  // the copied-in recording and the garbage
  CHECK(first.missing == 1);

  auto snapshot = [&] {
    std::vector<std::string> lines;
    auto rows = site.index.segments("cam1", kAll).value();
    for (const auto& r : rows) {
      lines.push_back(std::to_string(r.id) + " " + r.path + " " + std::string(index::to_string(r.state)) + " " +
                      r.state_detail + " " + std::to_string(r.size_bytes) + " " +
                      (r.sha256 ? segment::to_hex(*r.sha256) : "-") + " " +
                      (r.chain_sha256 ? segment::to_hex(*r.chain_sha256) : "-"));
    }
    for (const auto& e : site.events()) lines.push_back(e.cause + " " + e.detail);
    auto runs = site.index.runs("cam1", kAll).value();
    for (const auto& r : runs) lines.push_back("run " + std::to_string(r.id));
    for (const auto& entry : fsx::recursive_directory_iterator(site.storage)) {
      lines.push_back(entry.path().string() +
                      (entry.is_regular_file() ? " " + std::to_string(entry.file_size()) : std::string()));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto before = snapshot();
  auto second = site.recover();
  CHECK(second.repaired == 0);
  CHECK(second.damaged == 0);
  CHECK(second.quarantined == 0);
  CHECK(second.missing == 0);
  CHECK(second.findings.empty());
  CHECK(snapshot() == before);
}

TEST_CASE("an interrupted quarantine is finished by the next start", "[integrity]") {
  Site site;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  // As if an earlier recovery moved the header-only partial aside, then crashed before the
  // index said so.
  write_segment(site.clip, site.scratch("full.mp4"), {{0.0, site.storage / "quarantine" / (rel + ".partial")}});
  auto id = site.open_row(rel);
  auto report = site.recover();
  CHECK(report.damaged == 1);
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Damaged);
  CHECK(contains(row.state_detail, "moved to quarantine/" + rel + ".partial"));
  CHECK(row.size_bytes > 0);
}

// ---- issue 15, review G2 and G: only the file carekeepd recorded is adopted -------------------

namespace {

// The newest checkpoint the writer had handed out before media second `before` (what the
// catalog would have stored when a crash came then).
segment::Checkpoint newest_before(const std::vector<TimedCheckpoint>& checkpoints, double before) {
  std::optional<segment::Checkpoint> out;
  for (const auto& c : checkpoints) {
    if (c.second < before) out = c.checkpoint;
  }
  REQUIRE(out);
  return *out;
}

void save_checkpoint(Site& site, index::SegmentId id, const segment::Checkpoint& c, UtcTime when) {
  REQUIRE(site.index.save_segment_checkpoint(id, {static_cast<std::int64_t>(c.bytes), c.sha256, when}));
}

}  // namespace

TEST_CASE("a .partial swapped for another recording after a crash is quarantined and its row closed damaged",
          "[integrity]") {
  Site site;
  auto rel = std::string("cam1/2026-11-20/080100-1.mp4");
  auto partial = site.storage / (rel + ".partial");
  std::vector<TimedCheckpoint> checkpoints;
  write_segment(site.clip, site.scratch("genuine.mp4"), {{5.0, site.scratch("crash.partial")}}, &checkpoints);
  auto id = site.open_row(rel, kDay + 1min);
  auto checkpoint = newest_before(checkpoints, 5.0);
  save_checkpoint(site, id, checkpoint, kDay + 1min + 3s);
  // Another recording of the same camera (its next segment: the same header, byte for byte,
  // other footage), put where the crashed segment's .partial was: a valid file that plays, so
  // recovery's other checks all pass. Only the footage in the checkpoint tells them apart.
  auto other = write_segment(site.clip, site.scratch("other/080200-2.mp4"), {}, nullptr, 4.0);
  REQUIRE(test::sha256_file(other.final_path) != test::sha256_file(site.scratch("genuine.mp4")));
  {
    auto genuine_boxes = boxes_of(site.scratch("genuine.mp4"));
    auto moov_end = std::find_if(genuine_boxes.begin(), genuine_boxes.end(), [](const auto& b) { return b.type == "moof"; });
    REQUIRE(moov_end != genuine_boxes.end());
    CHECK(test::read_text(other.final_path).substr(0, moov_end->offset) ==
          test::read_text(site.scratch("genuine.mp4")).substr(0, moov_end->offset));
  }
  fsx::create_directories(partial.parent_path());
  fsx::copy_file(other.final_path, partial);
  const auto planted_sha = test::sha256_file(partial);

  auto report = site.recover();
  CHECK(report.repaired == 0);
  CHECK(report.damaged == 1);
  REQUIRE(report.refused.size() == 1);
  CHECK(report.refused[0].row.id == id);
  CHECK(contains(report.refused[0].reason, "its first " + std::to_string(checkpoint.bytes) +
                                               " bytes do not match the checkpoint written at 2026-11-20T08:01:03+08:00"));
  // Set aside as found: not cut, not renamed into the camera's folder.
  auto quarantined = site.storage / "quarantine" / (rel + ".partial");
  REQUIRE(fsx::exists(quarantined));
  CHECK(test::sha256_file(quarantined) == planted_sha);
  CHECK_FALSE(fsx::exists(partial));
  CHECK_FALSE(fsx::exists(site.storage / rel));
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Damaged);
  CHECK(row.state_detail.starts_with(index::kNotRecordedDetail));
  CHECK(contains(row.state_detail, "the file is not the one recorded"));
  CHECK(contains(row.state_detail, "moved to quarantine/" + rel + ".partial"));
  CHECK(row.frames == 0);  // nothing of it counts as footage
  CHECK(segment::to_hex(*row.sha256) == planted_sha);
  auto events = site.events();
  CHECK(std::any_of(events.begin(), events.end(), [](const auto& e) { return e.cause == "footage_not_recorded"; }));
  // The chain holds it as damaged straight from its opening; the checkpoint went with the open row.
  CHECK(site.index.verify_chain("cam1", kNow).value().empty());
  CHECK_FALSE(site.index.segment_checkpoint(id).value());

  // A second start finds nothing more to do.
  auto again = site.recover();
  CHECK(again.damaged == 0);
  CHECK(again.refused.empty());
  CHECK(again.quarantined == 0);
}

TEST_CASE("a genuine .partial longer than its checkpoint is adopted, also after an interrupted recovery cut it",
          "[integrity]") {
  Site site;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  auto partial = site.storage / (rel + ".partial");
  std::vector<TimedCheckpoint> checkpoints;
  write_segment(site.clip, site.scratch("genuine.mp4"), {{5.0, site.scratch("crash.partial")}}, &checkpoints);
  auto checkpoint = newest_before(checkpoints, 5.0);
  auto crash = test::read_text(site.scratch("crash.partial"));
  REQUIRE(crash.size() > checkpoint.bytes);  // the crash came after it: more bytes than vouched for

  SECTION("the file as the crash left it") {
    fsx::create_directories(partial.parent_path());
    fsx::copy_file(site.scratch("crash.partial"), partial);
  }
  SECTION("the file cut at its last complete fragment by a recovery interrupted before the index said so") {
    // Recovery cuts where the next moof would begin; that is at or after any checkpoint.
    auto boxes = boxes_of(site.scratch("crash.partial"));
    std::uint64_t last_moof = 0;
    for (const auto& b : boxes) {
      if (b.type == "moof" && b.offset < crash.size()) last_moof = b.offset;
    }
    REQUIRE(last_moof >= checkpoint.bytes);
    copy_prefix(site.scratch("crash.partial"), partial, last_moof);
  }
  auto id = site.open_row(rel);
  save_checkpoint(site, id, checkpoint, kDay + 4s);

  auto report = site.recover();
  CHECK(report.repaired == 1);
  CHECK(report.damaged == 0);
  CHECK(report.refused.empty());
  CHECK_FALSE(fsx::exists(site.storage / "quarantine"));
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Recovered);
  check_row_matches_file(row, site.storage / rel);
  CHECK(row.size_bytes >= static_cast<std::int64_t>(checkpoint.bytes));
  CHECK(site.index.verify_chain("cam1", kNow).value().empty());
}

TEST_CASE("a .partial shorter than its checkpoint is quarantined: the checkpoint's bytes were on disk",
          "[integrity]") {
  Site site;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  auto partial = site.storage / (rel + ".partial");
  std::vector<TimedCheckpoint> checkpoints;
  write_segment(site.clip, site.scratch("genuine.mp4"), {}, &checkpoints);
  auto checkpoint = newest_before(checkpoints, 5.0);
  // The genuine bytes, but fewer than were synced: cut by someone, not by a crash (a playable
  // file still, two fragments shorter).
  auto boxes = boxes_of(site.scratch("genuine.mp4"));
  std::uint64_t cut = 0;
  for (const auto& b : boxes) {
    if (b.type == "moof" && b.offset < checkpoint.bytes) cut = b.offset;
  }
  REQUIRE(cut > 0);
  copy_prefix(site.scratch("genuine.mp4"), partial, cut);
  auto id = site.open_row(rel);
  save_checkpoint(site, id, checkpoint, kDay + 4s);

  auto report = site.recover();
  CHECK(report.repaired == 0);
  REQUIRE(report.refused.size() == 1);
  CHECK(contains(report.refused[0].reason, "it is " + std::to_string(cut) + " bytes, shorter than the " +
                                               std::to_string(checkpoint.bytes) + " bytes the checkpoint"));
  CHECK(fsx::exists(site.storage / "quarantine" / (rel + ".partial")));
  CHECK(site.row(id).state == SegmentState::Damaged);
}

TEST_CASE("without a checkpoint (a crash in a segment's first seconds) any playable file is adopted, as before",
          "[integrity]") {
  // The documented window (docs/recording.md, Crash recovery): no checkpoint is stored until a
  // whole fragment is synced and the catalog's next flush, about 2-3 s into a segment.
  Site site;
  auto rel = std::string("cam1/2026-11-20/080000-0.mp4");
  auto other_clip = site.dir / "other.mp4";
  test::make_clip(other_clip, {.gop = 25, .seconds = 3});
  auto other = write_segment(other_clip, site.scratch("other.mp4"));
  fsx::create_directories((site.storage / rel).parent_path());
  fsx::copy_file(other.final_path, site.storage / (rel + ".partial"));
  auto id = site.open_row(rel);

  auto report = site.recover();
  CHECK(report.repaired == 1);
  CHECK(report.refused.empty());
  CHECK(site.row(id).state == SegmentState::Recovered);
}

TEST_CASE("an open row inserted outside carekeep (not in the chain) gets no file adopted", "[integrity]") {
  // Review G: with write access to the index but not the key, an open row inserted by hand
  // beside a planted file. The index chains every open row it writes; this one is not.
  Site site;
  // A segment carekeepd opened (its 'opened' entry is in the chain) and whose file is gone.
  auto genuine = site.open_row("cam1/2026-11-20/080000-0.mp4");
  auto rel = std::string("cam1/2026-11-20/070000-99.mp4");
  auto planted = write_segment(site.clip, site.scratch("planted.mp4"));
  fsx::create_directories((site.storage / rel).parent_path());
  fsx::copy_file(planted.final_path, site.storage / rel);
  REQUIRE(site.index.connection().exec(
      "insert into segment (camera_id, run_id, seq, start_us, end_us, path, created_us) values ('cam1', " +
      std::to_string(site.run) + ", 99, " + std::to_string(to_us(kDay - 1h)) + ", " + std::to_string(to_us(kDay - 1h)) +
      ", '" + rel + "', " + std::to_string(to_us(kDay - 1h)) + ")"));
  auto id = site.row_at(rel).value().id;
  {
    auto before = site.index.verify_chain("cam1", kNow).value();
    REQUIRE(before.size() == 1);
    CHECK(contains(before[0].problem, "the open row is not in the chain"));
  }

  auto report = site.recover();
  CHECK(report.repaired == 0);
  REQUIRE(report.refused.size() == 1);
  CHECK(contains(report.refused[0].reason, "its open row is not in the evidence chain"));
  CHECK(fsx::exists(site.storage / "quarantine" / rel));
  CHECK_FALSE(fsx::exists(site.storage / rel));
  auto row = site.row(id);
  CHECK(row.state == SegmentState::Damaged);
  CHECK(row.state_detail.starts_with(index::kNotRecordedDetail));
  CHECK(site.row(genuine).state == SegmentState::Damaged);  // its own story: file missing
  CHECK_FALSE(site.row(genuine).state_detail.starts_with(index::kNotRecordedDetail));
  // The hand-made row entered the chain only at its damaged close, after carekeepd had begun
  // chaining openings: verify names it.
  auto findings = site.index.verify_chain("cam1", kNow).value();
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].segment_id == id);
  CHECK(contains(findings[0].problem, "without an 'opened' entry"));
}
