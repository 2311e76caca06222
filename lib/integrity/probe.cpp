#include "integrity/probe.hpp"

#include <algorithm>

#include "av/av.hpp"

namespace carekeep::integrity {

Result<MediaSummary> probe_media(const std::filesystem::path& path) {
  av::Interrupt interrupt;
  av::InputOptions options;  // probe_streams stays off: the moov says everything needed
  // "file:" keeps a ':' in a path from being read as a protocol name.
  auto input = av::open_input("file:" + path.string(), options, interrupt);
  if (!input) {
    Error e = std::move(input.error());
    if (e.kind != ErrorKind::NotFound) e.kind = ErrorKind::DataLoss;
    return tl::unexpected(std::move(e));
  }
  AVFormatContext* ctx = input->get();
  int video = av::find_stream(ctx, AVMEDIA_TYPE_VIDEO);
  if (video < 0) return fail(ErrorKind::DataLoss, path.string() + " has no video stream");
  int audio = av::find_stream(ctx, AVMEDIA_TYPE_AUDIO);

  MediaSummary summary;
  const AVCodecParameters* vpar = ctx->streams[video]->codecpar;
  summary.video_codec = avcodec_get_name(vpar->codec_id);
  summary.width = vpar->width;
  summary.height = vpar->height;
  if (audio >= 0) summary.audio_codec = avcodec_get_name(ctx->streams[audio]->codecpar->codec_id);

  const AVRational tb = ctx->streams[video]->time_base;
  std::int64_t first_dts = AV_NOPTS_VALUE;
  std::int64_t last_dts = AV_NOPTS_VALUE;
  std::int64_t end = AV_NOPTS_VALUE;
  auto packet = av::make_packet();
  for (;;) {
    int rc = av_read_frame(ctx, packet.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      Error e = av::from_averror(rc, "reading packets of " + path.string());
      e.kind = ErrorKind::DataLoss;
      return tl::unexpected(std::move(e));
    }
    if (packet->stream_index == video) {
      std::int64_t dts = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
      std::int64_t pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : dts;
      bool key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      if (summary.frames == 0) {
        summary.starts_on_keyframe = key;
        first_dts = dts;
      }
      ++summary.frames;
      if (key) ++summary.keyframes;
      if (last_dts != AV_NOPTS_VALUE && (dts == AV_NOPTS_VALUE || dts <= last_dts)) summary.dts_monotonic = false;
      last_dts = dts;
      if (pts != AV_NOPTS_VALUE) end = std::max(end == AV_NOPTS_VALUE ? pts : end, pts + packet->duration);
    }
    av_packet_unref(packet.get());
  }
  if (first_dts != AV_NOPTS_VALUE && end != AV_NOPTS_VALUE) {
    summary.duration = Micros{std::max<std::int64_t>(0, av::to_micros(end - first_dts, tb))};
  }
  return summary;
}

}  // namespace carekeep::integrity
