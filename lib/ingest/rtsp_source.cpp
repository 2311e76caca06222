#include "ingest/rtsp_source.hpp"

#include "base/text.hpp"

namespace carekeep::ingest {

DownCause classify(int averror, bool connected, bool deadline_expired) {
  if (deadline_expired || averror == AVERROR_EXIT) return connected ? DownCause::Stalled : DownCause::Timeout;
  switch (averror) {
    case AVERROR(ECONNREFUSED): return DownCause::Refused;
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EHOSTDOWN): return DownCause::Unreachable;
    case AVERROR(ETIMEDOUT): return connected ? DownCause::Stalled : DownCause::Timeout;
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN: return DownCause::AuthFailed;
    case AVERROR_HTTP_NOT_FOUND:
    case AVERROR_STREAM_NOT_FOUND: return DownCause::NotFound;
    case AVERROR_EOF:
    case AVERROR(ECONNRESET):
    case AVERROR(EPIPE): return connected ? DownCause::StreamEnded : DownCause::Refused;
    default: return DownCause::Protocol;
  }
}

namespace {
bool is_video_codec_supported(AVCodecID id) { return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC; }
}  // namespace

tl::expected<std::unique_ptr<RtspSource>, Failure> RtspSource::open(const std::string& url,
                                                                   const SourceOptions& options,
                                                                   std::stop_token stop) {
  std::unique_ptr<RtspSource> owned{new RtspSource()};
  RtspSource& source = *owned;
  source.options_ = options;
  source.interrupt_ = std::make_unique<av::Interrupt>(std::move(stop));
  av::InputOptions input_options;
  input_options.transport = options.transport;
  input_options.io_timeout = options.connect_timeout;
  input_options.deadline = options.connect_timeout;
  // Small probe: the SDP describes the streams; no frames need decoding.
  input_options.demuxer_options = {{"fpsprobesize", "0"}};
  auto input = av::open_input(url, input_options, *source.interrupt_);
  if (!input) {
    if (source.interrupt_->stop_requested()) return tl::unexpected(Failure{DownCause::Protocol, "stopped"});
    auto cause = classify(input.error().averror, false, input.error().deadline_expired);
    return tl::unexpected(Failure{cause, input.error().message});
  }
  source.input_ = std::move(*input);
  AVFormatContext* raw = source.input_.get();
  for (unsigned i = 0; i < raw->nb_streams; ++i) {
    const AVCodecParameters* par = raw->streams[i]->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && source.video_index_ < 0 && is_video_codec_supported(par->codec_id)) {
      source.video_index_ = static_cast<int>(i);
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && source.audio_index_ < 0) {
      if (par->codec_id == AV_CODEC_ID_AAC) {
        source.audio_index_ = static_cast<int>(i);
      } else {
        source.dropped_audio_ = avcodec_get_name(par->codec_id);
      }
    }
  }
  if (source.video_index_ < 0) {
    return tl::unexpected(Failure{DownCause::Unsupported, "no H.264 or H.265 video stream at " + text::redact_url(url)});
  }
  // Tell the demuxer not to keep packets of streams we drop.
  for (unsigned i = 0; i < raw->nb_streams; ++i) {
    if (static_cast<int>(i) != source.video_index_ && static_cast<int>(i) != source.audio_index_)
      raw->streams[i]->discard = AVDISCARD_ALL;
  }
  return owned;
}

StreamInfo RtspSource::video() const {
  const AVStream* st = input_->streams[video_index_];
  AVRational rate = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate : st->r_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = AVRational{0, 1};
  return StreamInfo{st->codecpar, st->time_base, rate};
}

StreamInfo RtspSource::audio() const {
  if (audio_index_ < 0) return StreamInfo{nullptr, AVRational{1, 48000}, AVRational{0, 1}};
  const AVStream* st = input_->streams[audio_index_];
  return StreamInfo{st->codecpar, st->time_base, AVRational{0, 1}};
}

tl::expected<RtspSource::Kind, Failure> RtspSource::read(AVPacket* packet) {
  if (pending_failure_) {
    auto failure = std::move(*pending_failure_);
    pending_failure_.reset();
    return tl::unexpected(std::move(failure));
  }
  interrupt_->arm(options_.stall_timeout);
  int rc = av_read_frame(input_.get(), packet);
  bool expired = interrupt_->expired();
  interrupt_->disarm();
  std::string stall_detail = "no packet for " + std::to_string(options_.stall_timeout.count() / 1000) + " s";
  if (rc < 0) {
    if (interrupt_->stop_requested()) return tl::unexpected(Failure{DownCause::Protocol, "stopped"});
    auto cause = classify(rc, true, expired);
    std::string detail = cause == DownCause::Stalled ? stall_detail : av::from_averror(rc, "reading").message;
    return tl::unexpected(Failure{cause, detail});
  }
  // When the deadline interrupts the demuxer, libavformat flushes its parser and returns the
  // frame it held back as a success; the error would only surface on the next call, one
  // whole deadline later. Deliver the frame, and report the stall on the next read.
  if (expired && !interrupt_->stop_requested()) pending_failure_ = Failure{DownCause::Stalled, stall_detail};
  if (packet->stream_index == video_index_) return Kind::Video;
  if (packet->stream_index == audio_index_) return Kind::Audio;
  return Kind::Other;
}

}  // namespace carekeep::ingest
