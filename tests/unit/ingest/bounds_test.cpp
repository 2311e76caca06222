// Issue 14's bounds on what a camera controls, one by one, on the pure parts of the native
// client: the depacketizers and the RTSP/SDP parsers. Each case is an input a broken or
// hostile camera sends; each must end in a bounded, named refusal, never in unbounded memory,
// an endless loop or an exception.
#include <catch2/catch.hpp>

#include <vector>

#include "ingest/depacketizer.hpp"
#include "ingest/rtsp_protocol.hpp"
#include "rtp_builder.hpp"

using namespace carekeep;
using namespace carekeep::ingest;
using Bytes = std::vector<std::uint8_t>;
using test::push;
using test::rtp_packet;

namespace {

// A complete one-NAL IDR (H.264 type 5) access unit of `size` payload bytes.
Bytes idr(std::size_t size) {
  Bytes nal(size, 0x11);
  nal[0] = 0x65;
  return nal;
}

}  // namespace

TEST_CASE("AAC fmtp values outside RFC 3640's ranges are refused by name, and such a depacketizer ignores packets",
          "[ingest]") {
  // The camera: sizelength=13;indexlength=-13 made the AU-header walk add 0 bits per
  // header and allocate until std::bad_alloc took the whole daemon down.
  auto problem = rtp::AacDepacketizer::check_parameters(13, -13, 3);
  REQUIRE(problem);
  CHECK(problem->find("indexlength=-13") != std::string::npos);
  CHECK(problem->find("RFC 3640") != std::string::npos);
  CHECK(rtp::AacDepacketizer::check_parameters(0, 3, 3));
  CHECK(rtp::AacDepacketizer::check_parameters(33, 3, 3));
  CHECK(rtp::AacDepacketizer::check_parameters(13, 3, 17));
  CHECK_FALSE(rtp::AacDepacketizer::check_parameters(13, 3, 3));  // AAC-hbr
  CHECK_FALSE(rtp::AacDepacketizer::check_parameters(6, 2, 2));   // AAC-lbr

  rtp::AacDepacketizer d(13, -13, 3, 16000);
  push(d, 1, 0, true, Bytes{0xff, 0xff, 0, 0, 0, 0, 0, 0});
  CHECK_FALSE(d.ready());
}

TEST_CASE("AAC: AU headers past max_audio_units_per_packet are not walked", "[ingest]") {
  // sizelength 1, indexlength 0: a 16-bit AU-headers-length announces 65535 one-bit headers.
  rtp::AacDepacketizer d(1, 0, 0, 16000, 64);
  Bytes payload{0xff, 0xff};
  payload.resize(2 + 8192 + 100, 0xff);
  push(d, 1, 0, true, payload);
  std::size_t units = 0;
  while (d.ready()) {
    d.pop();
    ++units;
  }
  CHECK(units <= 64);
}

TEST_CASE("an access unit that never ends stops growing at max_access_unit and names the limit", "[ingest]") {
  constexpr std::size_t kLimit = 256 * 1024;
  rtp::VideoDepacketizer d(AV_CODEC_ID_H264, kLimit);
  Bytes start{0x7c, 0x85};
  start.resize(1402, 0x22);
  Bytes middle{0x7c, 0x05};
  middle.resize(1402, 0x22);
  std::uint16_t seq = 1;
  push(d, seq++, 9000, false, start);
  for (int i = 0; i < 1000 && !d.violation(); ++i) push(d, seq++, 9000, false, middle);  // 1.4 MB offered
  REQUIRE(d.violation());
  CHECK(d.violation()->find("max_frame_mib") != std::string::npos);
  CHECK(d.violation()->find(std::to_string(kLimit)) != std::string::npos);
  CHECK(seq < 200 + 2);  // it stopped at the limit, not after the whole offer
  // Nothing comes out afterwards, whatever arrives: the session ends on the violation.
  push(d, seq++, 12000, true, idr(100));
  CHECK_FALSE(d.ready());
}

TEST_CASE("an access unit at max_access_unit is still delivered", "[ingest]") {
  constexpr std::size_t kLimit = 64 * 1024;
  rtp::VideoDepacketizer d(AV_CODEC_ID_H264, kLimit);
  push(d, 1, 0, true, idr(kLimit - 4));  // 4-byte length prefix + NAL = exactly the limit
  REQUIRE(d.ready());
  CHECK(d.pop()->size == static_cast<int>(kLimit));
  CHECK_FALSE(d.violation());
}

TEST_CASE("RTP timestamps that jump by hours are rebased to one frame later, in both directions", "[ingest]") {
  rtp::VideoDepacketizer d(AV_CODEC_ID_H264);
  std::uint32_t ts = 1'000'000;
  std::uint16_t seq = 1;
  std::vector<std::int64_t> pts;
  auto frame = [&] {
    push(d, seq++, ts, true, idr(50));
    while (d.ready()) pts.push_back(d.pop()->pts);
  };
  for (int i = 0; i < 5; ++i, ts += 3600) frame();
  ts += 3u * 3600 * 90000;  // +3 h
  for (int i = 0; i < 5; ++i, ts += 3600) frame();
  ts -= 6u * 3600 * 90000;  // -6 h
  for (int i = 0; i < 5; ++i, ts += 3600) frame();
  REQUIRE(pts.size() == 15);
  for (std::size_t i = 1; i < pts.size(); ++i) CHECK(pts[i] - pts[i - 1] == 3600);
  CHECK(d.counters().timestamp_jumps == 2);
}

TEST_CASE("AAC timestamps that jump by hours are rebased to one AAC frame later", "[ingest]") {
  rtp::AacDepacketizer d(13, 3, 3, 48000);
  std::uint32_t h = 5 << 3;
  Bytes payload{0x00, 0x10, static_cast<std::uint8_t>(h >> 8), static_cast<std::uint8_t>(h), 1, 1, 1, 1, 1};
  std::vector<std::int64_t> pts;
  std::uint32_t ts = 5000;
  for (int i = 0; i < 6; ++i) {
    push(d, static_cast<std::uint16_t>(i + 1), ts, true, payload);
    while (d.ready()) pts.push_back(d.pop()->pts);
    ts += i == 2 ? 48000u * 7200 : 1024;  // a 2 h jump after the third packet
  }
  REQUIRE(pts.size() == 6);
  for (std::size_t i = 1; i < pts.size(); ++i) CHECK(pts[i] - pts[i - 1] == 1024);
  CHECK(d.timestamp_jumps() == 1);
}

TEST_CASE("an RTSP head over max_rtsp_header is refused even when complete, naming the limit", "[ingest]") {
  // The spin: a 20 KiB head with Content-Length 65536 never fit the 128 KiB buffer.
  std::string head = "RTSP/1.0 200 OK\r\nCSeq: 2\r\n";
  while (head.size() < 20 * 1024) head += "X-Pad: " + std::string(200, 'a') + "\r\n";
  head += "Content-Length: 65536\r\n\r\n";
  rtsp::Response r;
  auto complete = rtsp::parse_message(head + std::string(65536, 'v'), r);
  REQUIRE_FALSE(complete);
  CHECK(complete.error().kind == ErrorKind::ResourceExhausted);
  CHECK(complete.error().message.find("max_rtsp_header") != std::string::npos);
  auto partial = rtsp::parse_message(head.substr(0, 17 * 1024), r);
  REQUIRE_FALSE(partial);
  CHECK(partial.error().kind == ErrorKind::ResourceExhausted);
  // Under the limit, the same message shape parses.
  auto fine = rtsp::parse_message("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 3\r\n\r\nabc", r);
  REQUIRE(fine);
  CHECK(r.body == "abc");
}

TEST_CASE("an RTSP body over max_rtsp_body is refused before it arrives", "[ingest]") {
  rtsp::Response r;
  auto big = rtsp::parse_message("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 65537\r\n\r\n", r);
  REQUIRE_FALSE(big);
  CHECK(big.error().kind == ErrorKind::ResourceExhausted);
  CHECK(big.error().message.find("65537") != std::string::npos);
  auto custom = rtsp::parse_message("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 11\r\n\r\n", r, 16 * 1024, 10);
  REQUIRE_FALSE(custom);
  auto malformed = rtsp::parse_message("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: -1\r\n\r\n", r);
  REQUIRE_FALSE(malformed);
  CHECK(malformed.error().kind == ErrorKind::InvalidArgument);
}

TEST_CASE("an SDP over max_sdp_lines or max_tracks is refused by name", "[ingest]") {
  std::string many_lines = "v=0\r\n";
  for (int i = 0; i < 1200; ++i) many_lines += "a=x-filler:" + std::to_string(i) + "\r\n";
  auto lines = rtsp::parse_sdp(many_lines);
  REQUIRE_FALSE(lines);
  CHECK(lines.error().message.find("max_sdp_lines") != std::string::npos);
  std::string many_tracks = "v=0\r\n";
  for (int i = 0; i < 17; ++i) many_tracks += "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  auto tracks = rtsp::parse_sdp(many_tracks);
  REQUIRE_FALSE(tracks);
  CHECK(tracks.error().message.find("max_tracks") != std::string::npos);
  auto fine = rtsp::parse_sdp("v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:t1\r\n");
  REQUIRE(fine);
  CHECK(fine->media.size() == 1);
}

TEST_CASE("an access unit whose last fragment crosses max_access_unit is refused without touching freed memory",
          "[ingest]") {
  // Review finding: the end bit on the very packet that crossed the limit ended a fragment
  // the limit had already discarded (a null buffer). Both FU-A and H.265 FU.
  constexpr std::size_t kLimit = 16 * 1024;
  {
    rtp::VideoDepacketizer d(AV_CODEC_ID_H264, kLimit);
    Bytes start{0x7c, 0x85};
    start.resize(2 + 10'000, 0x22);
    Bytes end{0x7c, 0x45};
    end.resize(2 + 10'000, 0x22);
    push(d, 1, 0, false, start);
    push(d, 2, 0, true, end);
    CHECK(d.violation());
    CHECK_FALSE(d.ready());
  }
  {
    rtp::VideoDepacketizer d(AV_CODEC_ID_HEVC, kLimit);
    Bytes start{0x62, 0x01, 0x93};  // FU (type 49), start, IDR_W_RADL (19)
    start.resize(3 + 10'000, 0x22);
    Bytes end{0x62, 0x01, 0x53};
    end.resize(3 + 10'000, 0x22);
    push(d, 1, 0, false, start);
    push(d, 2, 0, true, end);
    CHECK(d.violation());
    CHECK_FALSE(d.ready());
  }
}

TEST_CASE("more parameter sets than the codec's id ranges, or one over 4 KiB, make the stream unusable, quickly",
          "[ingest]") {
  // Review finding: 800k distinct SPS in one keyframe made the set search O(n²) and could wrap
  // avcC's 16-bit sizes.
  Bytes au;
  for (int i = 0; i < 5000; ++i) {
    Bytes sps{0x67, 0x42, 0x00, 0x1e, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    au.insert(au.end(), {0, 0, 0, static_cast<std::uint8_t>(sps.size())});
    au.insert(au.end(), sps.begin(), sps.end());
  }
  au.insert(au.end(), {0, 0, 0, 2, 0x68, 0xce});  // one PPS
  rtp::ParameterSets many(AV_CODEC_ID_H264);
  many.take_from_au(au);
  CHECK_FALSE(many.complete());
  auto record = many.configuration_record();
  REQUIRE_FALSE(record);
  CHECK(record.error().message.find("more parameter sets") != std::string::npos);
  CHECK(many.differs(au));  // a frame like this is never "the same stream"

  Bytes huge{0, 0, 0x10, 0x01, 0x67, 0x42, 0x00, 0x1e};
  huge.resize(4 + 0x1001, 0x11);
  huge.insert(huge.end(), {0, 0, 0, 2, 0x68, 0xce});
  rtp::ParameterSets big(AV_CODEC_ID_H264);
  big.take_from_au(huge);
  CHECK_FALSE(big.complete());
}
