// Fuzzes one depacketizer with a sequence of RTP packets, as the native client feeds them from
// the interleaved channel: each packet goes through rtp::parse, then push(); completed access
// units are popped and checked against the contract in depacketizer.hpp. Compiled three times:
// FUZZ_CODEC_H264, FUZZ_CODEC_H265 (VideoDepacketizer, then ParameterSets the way
// native_source's on_video uses them) and FUZZ_CODEC_AAC (AacDepacketizer).
//
// Input: for AAC, four parameter bytes first (sizelength, indexlength and indexdeltalength as
// signed bytes, because an SDP can say anything there, then the clock rate's index in
// kClockRates); then the packets, each a 16-bit big-endian length and that many bytes
// (fuzz::FuzzInput::chunk).
#include "fuzz_input.hpp"
#include "ingest/depacketizer.hpp"

using namespace carekeep;
using namespace carekeep::ingest;

namespace {

void check_padding(const AVPacket* p) {
  // FFmpeg's readers may read past the end: the padding must be there and zero.
  for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; ++i) FUZZ_CHECK(p->data[p->size + i] == 0);
}

#if defined(FUZZ_CODEC_AAC)

constexpr int kClockRates[] = {48000, 44100, 16000, 8000, 90000, 1};

void run(fuzz::FuzzInput& in) {
  int size_length = static_cast<std::int8_t>(in.byte());
  int index_length = static_cast<std::int8_t>(in.byte());
  int index_delta_length = static_cast<std::int8_t>(in.byte());
  int clock_rate = kClockRates[in.byte() % std::size(kClockRates)];
  // The session drops audio whose fmtp fails check_parameters; a depacketizer made with such
  // values anyway must ignore every packet (depacketizer.hpp).
  const bool valid = !rtp::AacDepacketizer::check_parameters(size_length, index_length, index_delta_length);
  rtp::AacDepacketizer d(size_length, index_length, index_delta_length, clock_rate);
  std::int64_t last_pts = -1;
  while (auto bytes = in.chunk()) {
    auto packet = rtp::parse(*bytes);
    if (!packet) continue;
    d.push(*packet);
    FUZZ_CHECK(valid || !d.ready());
    while (d.ready()) {
      av::Packet au = d.pop();
      FUZZ_CHECK(au->pts > last_pts);
      FUZZ_CHECK(au->dts == au->pts);
      last_pts = au->pts;
      if (au->size > 0) check_padding(au.get());
    }
  }
}

#else

#if defined(FUZZ_CODEC_H265)
constexpr AVCodecID kCodec = AV_CODEC_ID_HEVC;
#else
constexpr AVCodecID kCodec = AV_CODEC_ID_H264;
#endif

void run(fuzz::FuzzInput& in) {
  rtp::VideoDepacketizer d(kCodec);
  rtp::ParameterSets params(kCodec);
  bool first_key_seen = false;
  std::int64_t last_pts = -1;
  while (auto bytes = in.chunk()) {
    auto packet = rtp::parse(*bytes);
    if (!packet) continue;
    d.push(*packet);
    while (d.ready()) {
      av::Packet au = d.pop();
      // pts = dts, strictly increasing; 4-byte length-prefixed NAL units, as the MP4 muxer
      // stores them.
      FUZZ_CHECK(au->pts == au->dts);
      FUZZ_CHECK(au->pts > last_pts);
      last_pts = au->pts;
      FUZZ_CHECK(au->size > 0);
      check_padding(au.get());
      std::span<const std::uint8_t> nals{au->data, static_cast<std::size_t>(au->size)};
      FUZZ_CHECK(rtp::for_each_nal(nals, [](std::span<const std::uint8_t> nal) { FUZZ_CHECK(!nal.empty()); }));
      if (!first_key_seen) {
        if (!(au->flags & AV_PKT_FLAG_KEY)) continue;
        params.take_from_au(nals);
        if (params.configuration_record()) (void)params.picture_size();
        first_key_seen = true;
      } else {
        (void)params.differs(nals);
      }
    }
  }
  (void)d.counters();
  (void)d.sequence().extended_max();
}

#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  run(in);
  return 0;
}
