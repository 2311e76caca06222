// The native RTSP client against real fakecam cameras on 127.0.0.1: what it hands the
// muxer (avcC/hvcC, length-prefixed access units, 90 kHz timestamps), how it fails, and
// recordings made with it next to ones made with libavformat's client.
#include <catch2/catch.hpp>

#include <thread>

#include "ingest/depacketizer.hpp"
#include "ingest/source.hpp"
#include "recorder/recorder.hpp"
#include "support/media.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

ingest::SourceOptions native_options() {
  ingest::SourceOptions o;
  o.client = ingest::Client::Native;
  return o;
}

}  // namespace

TEST_CASE("the native client delivers H.264 and H.265 as length-prefixed access units with avcC or hvcC", "[rtsp]") {
  for (auto codec : {fakecam::Codec::H264, fakecam::Codec::H265}) {
    INFO(fakecam::to_string(codec));
    auto spec = test::RtspTestServer::camera("cam");
    spec.codec = codec;
    spec.gop_seconds = 1.0;
    test::RtspTestServer server{{spec}};
    std::stop_source stop;
    auto source = ingest::open_source(server.url("cam"), native_options(), stop.get_token());
    REQUIRE(source);
    ingest::StreamInfo video = (*source)->video();
    REQUIRE(video.parameters != nullptr);
    CHECK(video.parameters->codec_id == (codec == fakecam::Codec::H264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_HEVC));
    REQUIRE(video.parameters->extradata_size > 23);
    CHECK(video.parameters->extradata[0] == 1);  // a configuration record, not Annex B
    CHECK(video.parameters->width == 320);
    CHECK(video.parameters->height == 240);
    CHECK(video.time_base.num == 1);
    CHECK(video.time_base.den == 90000);

    auto packet = av::make_packet();
    std::int64_t last_pts = -1;
    int frames = 0, keyframes = 0;
    bool first_key = false;
    std::vector<std::int64_t> steps;
    while (frames < 60) {
      auto kind = (*source)->read(packet.get());
      REQUIRE(kind);
      REQUIRE(*kind == ingest::Source::Kind::Video);
      if (frames == 0) first_key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      keyframes += (packet->flags & AV_PKT_FLAG_KEY) ? 1 : 0;
      std::span<const std::uint8_t> au{packet->data, static_cast<std::size_t>(packet->size)};
      int nals = 0;
      CHECK(ingest::rtp::for_each_nal(au, [&](std::span<const std::uint8_t>) { ++nals; }));
      CHECK(nals >= 1);
      CHECK(packet->pts == packet->dts);
      if (last_pts >= 0) steps.push_back(packet->pts - last_pts);
      last_pts = packet->pts;
      ++frames;
      av_packet_unref(packet.get());
    }
    CHECK(first_key);
    CHECK(keyframes >= 2);  // 1 s GOP over 2.4 s
    // 25 fps on a 90 kHz clock. A live encoder on a loaded machine may skip a frame, so a
    // step may be a multiple of one frame, but never anything else.
    int regular = static_cast<int>(std::count(steps.begin(), steps.end(), 3600));
    CHECK(regular >= static_cast<int>(steps.size()) / 2);
    for (auto step : steps) CHECK((step > 0 && step % 3600 == 0));
    auto stats = (*source)->stats();
    CHECK(stats.sequence_gaps == 0);
    CHECK(stats.frames_dropped == 0);
    CHECK(stats.bytes_received > 0);
  }
}

TEST_CASE("the native client classifies a wrong path as not_found and a closed port as refused", "[rtsp]") {
  test::RtspTestServer server;
  std::stop_source stop;
  auto missing = ingest::open_source(server.url("nope"), native_options(), stop.get_token());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().cause == ingest::DownCause::NotFound);

  auto refused = ingest::open_source("rtsp://user:secret@127.0.0.1:9/x", native_options(), stop.get_token());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().cause == ingest::DownCause::Refused);
  CHECK(refused.error().detail.find("secret") == std::string::npos);
}

TEST_CASE("the native client reports a stall and the end of the stream", "[rtsp]") {
  test::RtspTestServer server;
  auto options = native_options();
  options.stall_timeout = 2s;
  std::stop_source stop;
  auto source = ingest::open_source(server.url("cam"), options, stop.get_token());
  REQUIRE(source);
  auto packet = av::make_packet();
  REQUIRE((*source)->read(packet.get()));
  av_packet_unref(packet.get());
  server.set_fault("cam", fakecam::Fault::Stall);
  auto stalled_at = std::chrono::steady_clock::now();
  tl::expected<ingest::Source::Kind, ingest::Failure> kind;
  do {
    kind = (*source)->read(packet.get());
    av_packet_unref(packet.get());
  } while (kind);
  CHECK(kind.error().cause == ingest::DownCause::Stalled);
  CHECK(std::chrono::steady_clock::now() - stalled_at < 3s);

  server.set_fault("cam", fakecam::Fault::Live);
  auto again = ingest::open_source(server.url("cam"), options, stop.get_token());
  REQUIRE(again);
  REQUIRE((*again)->read(packet.get()));
  av_packet_unref(packet.get());
  server.stop();
  do {
    kind = (*again)->read(packet.get());
    av_packet_unref(packet.get());
  } while (kind);
  CHECK(kind.error().cause == ingest::DownCause::StreamEnded);
}

TEST_CASE("recordings by the native and the libavformat client hold every frame served and open with libavformat",
          "[rtsp][slow]") {
  // A clip camera sends exactly 25 frames per second, so a segment's media span tells how
  // many frames were served in it.
  test::TempDir dir;
  std::string make_clip = std::string(CAREKEEP_SOURCE_DIR) + "/tools/fakecam/make-clip.sh";
  REQUIRE(test::run(make_clip + " --codec h265 --size 640x360 --gop 1 --seconds 2 --kbps 800 '" +
                    (dir / "h265.mp4").string() + "' 2>/dev/null") == 0);
  test::RtspTestServer server{{test::RtspTestServer::camera("native"), test::RtspTestServer::camera("libav")},
                              dir / "h265.mp4"};
  auto index = index::Index::open_writer(dir / "index.db").value();
  std::vector<index::ConfiguredCamera> cameras{{"native", "native"}, {"libav", "libav"}};
  REQUIRE(index.sync_cameras(cameras, SystemClock{}.now()));
  auto run = index.begin_daemon_run({SystemClock{}.now(), "test", 1, "test"}).value();
  test::CommittingSink sink{index, run};
  auto settings = [&](const std::string& id, ingest::Client client) {
    recorder::CameraSettings s;
    s.id = id;
    s.url = server.url(id);
    s.client = client;
    s.segment_length = 2s;
    return s;
  };
  recorder::Recorder a{settings("native", ingest::Client::Native), {dir / "media", TimeZone::utc(), nullptr, &sink}};
  recorder::Recorder b{settings("libav", ingest::Client::Libavformat), {dir / "media", TimeZone::utc(), nullptr, &sink}};
  auto closed = [&](const std::string& camera) {
    std::size_t n = 0;
    sink.with_lock([&] {
      auto rows = index.segments(camera, {UtcTime{}, from_us(INT64_MAX / 2)}).value();
      for (const auto& row : rows) n += row.state == index::SegmentState::Closed ? 1 : 0;
    });
    return n;
  };
  a.start();
  b.start();
  bool enough = test::wait_until([&] { return closed("native") >= 3 && closed("libav") >= 3; }, 40s);
  a.stop();
  b.stop();
  REQUIRE(enough);
  CHECK(sink.errors().empty());
  for (std::string camera : {"native", "libav"}) {
    INFO(camera);
    std::vector<index::SegmentRow> rows;
    sink.with_lock([&] { rows = index.segments(camera, {UtcTime{}, from_us(INT64_MAX / 2)}).value(); });
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].state != index::SegmentState::Closed) continue;
      INFO("segment " << i);
      auto info = test::probe(dir / "media" / rows[i].path);
      REQUIRE(info.opened);
      CHECK(info.video_codec == "hevc");
      CHECK(info.codec_tag == "hvc1");
      CHECK(info.width == 640);
      CHECK(info.height == 360);
      CHECK(info.first_packet_key);
      CHECK(info.dts_monotonic);
      CHECK(info.video_packets == rows[i].frames);
      if (i + 1 < rows.size()) {  // the last one was cut by stop()
        CHECK(rows[i].frames == rows[i].duration / 40ms);
        CHECK(std::chrono::abs(rows[i + 1].start - rows[i].end) <= 40ms);
      }
    }
  }
}
