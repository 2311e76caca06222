#include <catch2/catch.hpp>

extern "C" {
#include <libavformat/avformat.h>
}

#include <vector>

#include "ingest/depacketizer.hpp"
#include "rtp_builder.hpp"
#include "support/media.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace carekeep::ingest;
using Bytes = std::vector<std::uint8_t>;
using test::push;

namespace {

std::vector<Bytes> nals_of(const av::Packet& packet) {
  std::vector<Bytes> out;
  CHECK(rtp::for_each_nal({packet->data, static_cast<std::size_t>(packet->size)},
                          [&](std::span<const std::uint8_t> nal) { out.emplace_back(nal.begin(), nal.end()); }));
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("RTP headers: CSRCs, extension and padding are skipped", "[ingest]") {
  Bytes p{0xb1, 0xe0, 0x00, 0x05, 0, 0, 0, 9, 0, 0, 0, 1,  // V=2 P=1 X=1 CC=1, marker, pt 96
          0xaa, 0xbb, 0xcc, 0xdd,                            // CSRC
          0xbe, 0xde, 0x00, 0x01, 1, 2, 3, 4,                // extension of one word
          0x41, 0x42, 0x00, 0x02};                           // payload + 2 bytes of padding
  auto r = rtp::parse(p);
  REQUIRE(r);
  CHECK(r->marker);
  CHECK(r->payload_type == 96);
  CHECK(r->seq == 5);
  CHECK(r->timestamp == 9);
  CHECK(Bytes(r->payload.begin(), r->payload.end()) == Bytes{0x41, 0x42});
  CHECK_FALSE(rtp::parse(Bytes{0x80, 0x60, 0, 1}));
}

TEST_CASE("H.264: single NAL, STAP-A and FU-A become one length-prefixed access unit per frame", "[ingest]") {
  rtp::VideoDepacketizer d(AV_CODEC_ID_H264);
  Bytes sps{0x67, 0x42, 0xc0, 0x1e}, pps{0x68, 0xce, 0x3c};
  // STAP-A: SPS + PPS.
  push(d, 100, 1000, false, cat({{0x18, 0x00, 0x04}, sps, {0x00, 0x03}, pps}));
  // FU-A of an IDR slice (nal 0x65) in three pieces.
  push(d, 101, 1000, false, {0x7c, 0x85, 1, 2, 3});
  push(d, 102, 1000, false, {0x7c, 0x05, 4, 5});
  CHECK_FALSE(d.ready());
  push(d, 103, 1000, true, {0x7c, 0x45, 6});
  REQUIRE(d.ready());
  auto key = d.pop();
  CHECK(key->flags & AV_PKT_FLAG_KEY);
  CHECK(key->pts == 0);
  CHECK(key->dts == 0);
  auto nals = nals_of(key);
  REQUIRE(nals.size() == 3);
  CHECK(nals[0] == sps);
  CHECK(nals[1] == pps);
  CHECK(nals[2] == Bytes{0x65, 1, 2, 3, 4, 5, 6});
  for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; ++i) REQUIRE(key->data[key->size + i] == 0);

  // A frame without a marker bit ends when the timestamp changes.
  push(d, 104, 4600, false, {0x41, 9, 9});
  CHECK_FALSE(d.ready());
  push(d, 105, 8200, true, {0x41, 8});
  REQUIRE(d.ready());
  auto p1 = d.pop();
  CHECK_FALSE(p1->flags & AV_PKT_FLAG_KEY);
  CHECK(p1->pts == 3600);
  CHECK(nals_of(p1) == std::vector<Bytes>{{0x41, 9, 9}});
  REQUIRE(d.ready());
  CHECK(d.pop()->pts == 7200);
  CHECK(d.counters().frames == 3);
  CHECK(d.sequence().gaps == 0);
}

TEST_CASE("H.264: a lost packet drops the damaged frame and every frame up to the next keyframe", "[ingest]") {
  rtp::VideoDepacketizer d(AV_CODEC_ID_H264);
  push(d, 1, 0, true, {0x65, 1});
  REQUIRE(d.ready());
  d.pop();
  push(d, 2, 3600, false, {0x5c, 0x81, 1});  // FU-A start of a P slice
  // seq 3 (its end) is lost
  push(d, 4, 7200, true, {0x41, 2});          // complete, but after the loss: no reference
  push(d, 5, 10800, true, {0x41, 3});
  CHECK_FALSE(d.ready());
  push(d, 6, 14400, false, {0x7c, 0x85, 7});  // next IDR, two pieces
  push(d, 7, 14400, true, {0x7c, 0x45, 8});
  REQUIRE(d.ready());
  auto key = d.pop();
  CHECK(key->flags & AV_PKT_FLAG_KEY);
  CHECK(key->pts == 14400);
  CHECK(nals_of(key) == std::vector<Bytes>{{0x65, 7, 8}});
  CHECK_FALSE(d.ready());
  CHECK(d.sequence().gaps == 1);
  CHECK(d.sequence().lost == 1);
  CHECK(d.counters().dropped == 3);
  CHECK(d.counters().frames == 2);

  // A middle fragment without its start is damage too.
  push(d, 8, 18000, true, {0x7c, 0x41, 9});
  CHECK_FALSE(d.ready());
  CHECK(d.counters().dropped == 4);
}

TEST_CASE("RTP timestamps unwrap across 2^32 and never go backwards", "[ingest]") {
  rtp::VideoDepacketizer d(AV_CODEC_ID_H264);
  std::uint32_t ts = 0xffffffffu - 3000;
  push(d, 65534, ts, true, {0x65, 1});
  push(d, 65535, ts + 3600, true, {0x41, 2});  // wraps to 600
  push(d, 0, ts + 7200, true, {0x41, 3});      // sequence number wraps too
  push(d, 1, ts + 7200 - 90000, true, {0x41, 4});  // the camera's clock jumps back a second
  std::vector<std::int64_t> pts;
  while (d.ready()) pts.push_back(d.pop()->pts);
  CHECK(pts == std::vector<std::int64_t>{0, 3600, 7200, 7201});
  CHECK(d.sequence().gaps == 0);
  CHECK(d.sequence().extended_max() == 65536 + 1);
}

TEST_CASE("H.265: aggregation packets and fragmentation units, IRAP as keyframe", "[ingest]") {
  rtp::VideoDepacketizer d(AV_CODEC_ID_HEVC);
  Bytes vps{0x40, 0x01, 0xaa}, sps{0x42, 0x01, 0xbb}, pps{0x44, 0x01, 0xcc};
  push(d, 10, 500, false, cat({{0x60, 0x01, 0x00, 0x03}, vps, {0x00, 0x03}, sps, {0x00, 0x03}, pps}));
  // FU (type 49) of an IDR_W_RADL (type 19) slice: payload header 0x62 0x01, FU header S|19.
  push(d, 11, 500, false, {0x62, 0x01, 0x93, 1, 2});
  push(d, 12, 500, true, {0x62, 0x01, 0x53, 3});
  push(d, 13, 4100, true, {0x02, 0x01, 5});  // TRAIL_R: not a keyframe
  REQUIRE(d.ready());
  auto key = d.pop();
  CHECK(key->flags & AV_PKT_FLAG_KEY);
  auto nals = nals_of(key);
  REQUIRE(nals.size() == 4);
  CHECK(nals[0] == vps);
  CHECK(nals[3] == Bytes{0x26, 0x01, 1, 2, 3});  // (19 << 1), layer/tid byte kept
  REQUIRE(d.ready());
  auto p = d.pop();
  CHECK_FALSE(p->flags & AV_PKT_FLAG_KEY);
  CHECK(p->pts == 3600);
}

TEST_CASE("AAC-hbr: every access unit of a packet becomes a packet, 1024 samples apart", "[ingest]") {
  rtp::AacDepacketizer d(13, 3, 3, 48000);
  // AU-headers-length 32 bits: sizes 5 and 7 (13 bits each) with 3-bit index (delta) 0.
  std::uint32_t h1 = 5 << 3, h2 = 7 << 3;
  Bytes payload{0x00, 0x20, static_cast<std::uint8_t>(h1 >> 8), static_cast<std::uint8_t>(h1),
                static_cast<std::uint8_t>(h2 >> 8), static_cast<std::uint8_t>(h2), 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2};
  push(d, 1, 48000, true, payload);
  REQUIRE(d.ready());
  auto a = d.pop();
  CHECK(a->size == 5);
  CHECK(a->pts == 0);
  REQUIRE(d.ready());
  auto b = d.pop();
  CHECK(b->size == 7);
  CHECK(b->data[0] == 2);
  CHECK(b->pts == 1024);
}

namespace {
// The parameter sets inside an avcC or hvcC record written by FFmpeg, as one length-prefixed
// access unit.
Bytes parameter_sets_of(AVCodecID codec, const Bytes& record) {
  const std::uint8_t* x = record.data();
  std::size_t size = record.size();
  Bytes au;
  auto take = [&](std::size_t& pos) {
    std::size_t len = (x[pos] << 8) | x[pos + 1];
    pos += 2;
    au.insert(au.end(), {0, 0, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)});
    au.insert(au.end(), x + pos, x + pos + len);
    pos += len;
  };
  if (codec == AV_CODEC_ID_H264) {
    std::size_t pos = 5;
    int sps = x[pos++] & 0x1f;
    for (int i = 0; i < sps; ++i) take(pos);
    int pps = x[pos++];
    for (int i = 0; i < pps; ++i) take(pos);
  } else {
    std::size_t pos = 22;
    int arrays = x[pos++];
    for (int a = 0; a < arrays && pos < size; ++a) {
      ++pos;
      int n = (x[pos] << 8) | x[pos + 1];
      pos += 2;
      for (int i = 0; i < n; ++i) take(pos);
    }
  }
  return au;
}
}  // namespace

TEST_CASE("avcC and hvcC built from the parameter sets agree with FFmpeg's and give the picture size", "[ingest]") {
  test::TempDir dir;
  for (std::string codec : {"h264", "hevc"}) {
    INFO(codec);
    test::ClipSpec spec;
    spec.codec = codec;
    spec.width = 352;
    spec.height = 200;  // not a multiple of 16: the SPS crops
    spec.seconds = 1;
    auto clip = dir / (codec + ".mp4");
    test::make_clip(clip, spec);
    AVFormatContext* ctx = nullptr;
    REQUIRE(avformat_open_input(&ctx, clip.c_str(), nullptr, nullptr) == 0);
    const AVCodecParameters* par = ctx->streams[0]->codecpar;
    REQUIRE(par->extradata_size > 22);
    REQUIRE(par->extradata[0] == 1);
    rtp::ParameterSets sets(par->codec_id);
    Bytes theirs(par->extradata, par->extradata + par->extradata_size);
    Bytes au = parameter_sets_of(par->codec_id, theirs);
    sets.take_from_au(au);
    CHECK(sets.complete());
    CHECK_FALSE(sets.differs(au));
    auto record = sets.configuration_record();
    REQUIRE(record);
    Bytes ours(record->begin(), record->end());
    if (codec == "h264") {
      // FFmpeg may append the High-profile extension; the common part is identical.
      REQUIRE(theirs.size() >= ours.size());
      CHECK(Bytes(theirs.begin(), theirs.begin() + static_cast<long>(ours.size())) == ours);
    } else {
      for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 17, 18}) {
        INFO("hvcC byte " << i);
        CHECK(ours[static_cast<std::size_t>(i)] == theirs[static_cast<std::size_t>(i)]);
      }
      CHECK((ours[21] & 0x3f) == (theirs[21] & 0x3f));  // temporal layers, nesting, length size
      // The same VPS, SPS and PPS (FFmpeg may add an SEI array after them).
      Bytes mine = parameter_sets_of(par->codec_id, ours);
      REQUIRE(au.size() >= mine.size());
      CHECK(Bytes(au.begin(), au.begin() + static_cast<long>(mine.size())) == mine);
    }
    auto size = sets.picture_size();
    REQUIRE(size);
    CHECK(size->first == 352);
    CHECK(size->second == 200);
    // Another SPS in the stream is a change.
    Bytes changed = au;
    changed[5] ^= 0x01;
    CHECK(sets.differs(changed));
    avformat_close_input(&ctx);
  }
}
