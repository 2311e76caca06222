#include "footage.hpp"

#include <unistd.h>

#include <stdexcept>

#include "av/av.hpp"
#include "segment/hash.hpp"
#include "segment/segment_file.hpp"
#include "support/media.hpp"
#include "support/temp_dir.hpp"

namespace carekeep::test {

namespace {
template <class T, class E>  // E: Error, or segment::WriteError
T need(tl::expected<T, E> r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().message);
  return std::move(*r);
}
template <class E>
void need(tl::expected<void, E> s, const std::string& what) {
  if (!s) throw std::runtime_error(what + ": " + s.error().message);
}
}  // namespace

std::vector<index::SegmentRow> make_footage(index::Index& index, const std::filesystem::path& storage,
                                            const FootageSpec& spec) {
  // Clips are deterministic for their parameters: encode each once per build tree, so that
  // every test process does not spend seconds in ffmpeg.
  ClipSpec cs;
  cs.seconds = spec.seconds;
  cs.gop = spec.gop;
  cs.audio = spec.audio;
  cs.width = spec.width;
  cs.height = spec.height;
  cs.codec = spec.codec;
  auto cache = std::filesystem::path(CAREKEEP_BINARY_DIR) / "test-media";
  std::filesystem::create_directories(cache);
  auto clip = cache / ("clip-" + spec.codec + "-" + std::to_string(static_cast<int>(spec.seconds * 1000)) + "ms-gop" +
                       std::to_string(spec.gop) + "-" + std::to_string(spec.width) + "x" +
                       std::to_string(spec.height) + (spec.audio ? "-aac" : "") + ".mp4");
  if (!std::filesystem::exists(clip)) {
    auto tmp = cache / ("tmp-" + std::to_string(::getpid()) + "-" + clip.filename().string());
    make_clip(tmp, cs);
    std::filesystem::rename(tmp, clip);
  }

  auto cameras = need(index.cameras(), "cameras");
  std::vector<index::ConfiguredCamera> configured;
  bool known = false;
  for (const auto& c : cameras) {
    configured.push_back({c.id, c.name});
    known = known || c.id == spec.camera;
  }
  if (!known) configured.push_back({spec.camera, spec.camera});
  need(index.sync_cameras(configured, spec.start), "sync cameras");
  auto daemon_run = need(index.begin_daemon_run({spec.start, "test", 1, "test"}), "daemon run");
  auto run = need(index.begin_run(spec.camera, daemon_run, spec.start), "run");

  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, clip.c_str(), nullptr, nullptr) < 0) throw std::runtime_error("open clip");
  av::InputFormat input{raw};
  avformat_find_stream_info(raw, nullptr);
  int v = av::find_stream(raw, AVMEDIA_TYPE_VIDEO);
  int a = av::find_stream(raw, AVMEDIA_TYPE_AUDIO);
  segment::StreamLayout layout;
  layout.video = raw->streams[v]->codecpar;
  layout.video_time_base = raw->streams[v]->time_base;
  if (a >= 0) {
    layout.audio = raw->streams[a]->codecpar;
    layout.audio_time_base = raw->streams[a]->time_base;
  }
  AVRational tb = raw->streams[v]->time_base;

  std::unique_ptr<segment::SegmentFile> file;
  index::SegmentId open_id = 0;
  std::int64_t seq = 0;
  std::int64_t seg_first_us = 0;
  auto close_current = [&] {
    if (!file) return;
    auto closed = need(file->close(), "close segment");
    index::ClosedSegment c;
    c.duration = closed.duration;
    c.size_bytes = static_cast<std::int64_t>(closed.size_bytes);
    c.frames = static_cast<std::int64_t>(closed.frames);
    c.keyframes = static_cast<std::int64_t>(closed.keyframes);
    c.video_codec = spec.codec;
    c.width = spec.width;
    c.height = spec.height;
    c.sha256 = closed.sha256;
    c.closed = closed.start + closed.duration;
    if (spec.protect_for) c.protect_until = closed.start + closed.duration + *spec.protect_for;
    need(index.close_segment(open_id, c), "close row");
    file.reset();
  };
  auto pkt = av::make_packet();
  while (av_read_frame(raw, pkt.get()) >= 0) {
    int stream = pkt->stream_index == v ? 0 : (pkt->stream_index == a ? 1 : -1);
    if (stream < 0) {
      av_packet_unref(pkt.get());
      continue;
    }
    std::int64_t t_us = av_rescale_q(pkt->pts, tb, AVRational{1, 1'000'000});
    if (stream == 0 && (pkt->flags & AV_PKT_FLAG_KEY) &&
        (!file || t_us - seg_first_us >= std::int64_t{spec.segment_seconds} * 1'000'000)) {
      close_current();
      seg_first_us = t_us;
      UtcTime start = spec.start + Micros{t_us};
      auto local = TimeZone::utc().to_local(start);
      auto day = date::floor<date::days>(local);
      date::hh_mm_ss hms{std::chrono::duration_cast<std::chrono::seconds>(local - day)};
      char name[64];
      std::snprintf(name, sizeof name, "%02d%02d%02d-%lld.mp4", static_cast<int>(hms.hours().count()),
                    static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                    static_cast<long long>(seq));
      std::string rel = spec.camera + "/" + format_date(LocalDays{day}) + "/" + name;
      std::filesystem::create_directories((storage / rel).parent_path());
      file = need(segment::SegmentFile::create(storage / rel, layout, start), "create segment");
      open_id = need(index.insert_open_segment({spec.camera, run, seq, start, rel, start}), "open row");
      ++seq;
    }
    if (!file) {
      av_packet_unref(pkt.get());
      continue;
    }
    if (spec.unflagged_keyframes && stream == 0 && t_us != seg_first_us) pkt->flags &= ~AV_PKT_FLAG_KEY;
    need(file->write(pkt.get(), stream), "write packet");
    av_packet_unref(pkt.get());
  }
  close_current();
  need(index.end_run(run, spec.start + Micros{static_cast<std::int64_t>(spec.seconds * 1e6)}, "stream_ended"), "end run");
  return need(index.segments(spec.camera, {spec.start, spec.start + std::chrono::hours(24)}), "segments");
}

}  // namespace carekeep::test
