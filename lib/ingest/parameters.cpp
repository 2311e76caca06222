#include "ingest/parameters.hpp"

#include <cstring>

extern "C" {
#include <libavcodec/bsf.h>
}

namespace carekeep::ingest {
namespace {

struct FreeBsf {
  void operator()(AVBSFContext* ctx) const noexcept { av_bsf_free(&ctx); }
};
struct CloseParser {
  void operator()(AVCodecParserContext* ctx) const noexcept { av_parser_close(ctx); }
};

Status extract_extradata(AVCodecParameters* par, const AVPacket* keyframe) {
  const AVBitStreamFilter* filter = av_bsf_get_by_name("extract_extradata");
  if (filter == nullptr) return fail(ErrorKind::Internal, "FFmpeg lacks the extract_extradata filter");
  AVBSFContext* raw = nullptr;
  if (int rc = av_bsf_alloc(filter, &raw); rc < 0) return tl::unexpected(av::from_averror(rc, "allocating extract_extradata"));
  std::unique_ptr<AVBSFContext, FreeBsf> bsf{raw};
  avcodec_parameters_copy(bsf->par_in, par);
  if (int rc = av_bsf_init(bsf.get()); rc < 0) return tl::unexpected(av::from_averror(rc, "initialising extract_extradata"));
  auto packet = av::make_packet();
  // A new reference, not a copy: the filter only reads the payload.
  if (int rc = av_packet_ref(packet.get(), keyframe); rc < 0) return tl::unexpected(av::from_averror(rc, "referencing keyframe"));
  if (int rc = av_bsf_send_packet(bsf.get(), packet.get()); rc < 0)
    return tl::unexpected(av::from_averror(rc, "filtering keyframe"));
  while (av_bsf_receive_packet(bsf.get(), packet.get()) >= 0) {
    std::size_t size = 0;
    const std::uint8_t* data = av_packet_get_side_data(packet.get(), AV_PKT_DATA_NEW_EXTRADATA, &size);
    if (data != nullptr && size > 0 && par->extradata_size == 0) {
      par->extradata = static_cast<std::uint8_t*>(av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE));
      if (par->extradata == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating extradata");
      std::memcpy(par->extradata, data, size);
      par->extradata_size = static_cast<int>(size);
    }
    av_packet_unref(packet.get());
  }
  return ok();
}

}  // namespace

Status complete_parameters(AVCodecParameters* par, const AVPacket* keyframe) {
  if (par->extradata_size == 0) {
    if (auto st = extract_extradata(par, keyframe); !st) return st;
    if (par->extradata_size == 0)
      return fail(ErrorKind::InvalidArgument, "the camera sent a keyframe without SPS/PPS and its SDP has none");
  }
  if (par->width > 0 && par->height > 0) return ok();
  std::unique_ptr<AVCodecParserContext, CloseParser> parser{av_parser_init(par->codec_id)};
  av::CodecContext codec{avcodec_alloc_context3(nullptr)};
  if (!parser || !codec) return fail(ErrorKind::Internal, "no bitstream parser for this codec");
  // The parser reads parameter sets from extradata first, then from the packet itself.
  if (int rc = avcodec_parameters_to_context(codec.get(), par); rc < 0)
    return tl::unexpected(av::from_averror(rc, "preparing parser"));
  std::uint8_t* out = nullptr;
  int out_size = 0;
  av_parser_parse2(parser.get(), codec.get(), &out, &out_size, keyframe->data, keyframe->size, AV_NOPTS_VALUE,
                   AV_NOPTS_VALUE, 0);
  if (out_size == 0) {  // parsers buffer one access unit; flush it
    av_parser_parse2(parser.get(), codec.get(), &out, &out_size, nullptr, 0, AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
  }
  int width = parser->width > 0 ? parser->width : codec->width;
  int height = parser->height > 0 ? parser->height : codec->height;
  if (width <= 0 || height <= 0) return fail(ErrorKind::InvalidArgument, "could not read the picture size from the stream's SPS");
  par->width = width;
  par->height = height;
  return ok();
}

}  // namespace carekeep::ingest
