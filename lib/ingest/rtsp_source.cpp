#include "ingest/rtsp_source.hpp"

#include "base/text.hpp"

namespace carekeep::ingest {

std::string_view to_string(DownCause cause) {
  switch (cause) {
    case DownCause::Refused: return "refused";
    case DownCause::Unreachable: return "unreachable";
    case DownCause::AuthFailed: return "auth_failed";
    case DownCause::NotFound: return "not_found";
    case DownCause::Timeout: return "timeout";
    case DownCause::Stalled: return "stalled";
    case DownCause::StreamEnded: return "stream_ended";
    case DownCause::CodecChanged: return "codec_changed";
    case DownCause::Unsupported: return "unsupported";
    case DownCause::DiskError: return "disk_error";
    case DownCause::Protocol: return "protocol";
  }
  return "protocol";
}

std::string_view describe(DownCause cause) {
  switch (cause) {
    case DownCause::Refused: return "the camera refused the connection (is it powered on, is the port right?)";
    case DownCause::Unreachable: return "the camera cannot be reached on the network (cable, Wi-Fi, address?)";
    case DownCause::AuthFailed: return "the camera rejected the user name or password in the URL";
    case DownCause::NotFound: return "the camera has no stream at that path (check the URL's path)";
    case DownCause::Timeout: return "the camera did not answer in time";
    case DownCause::Stalled: return "the camera stopped sending video while the connection stayed open";
    case DownCause::StreamEnded: return "the camera ended the stream";
    case DownCause::CodecChanged: return "the camera changed codec or resolution; recording restarts with the new settings";
    case DownCause::Unsupported: return "the camera sends no H.264 or H.265 video";
    case DownCause::DiskError: return "writing the recording to disk failed";
    case DownCause::Protocol: return "the RTSP session failed";
  }
  return "the RTSP session failed";
}

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

tl::expected<RtspSource, Failure> RtspSource::open(const std::string& url, const SourceOptions& options,
                                                   std::stop_token stop) {
  RtspSource source;
  source.options_ = options;
  source.interrupt_ = std::make_unique<av::Interrupt>(std::move(stop));
  // The interrupt deadline bounds the whole handshake; the socket timeout alone would allow
  // one wait per RTSP request.
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return tl::unexpected(Failure{DownCause::Protocol, "out of memory"});
  raw->interrupt_callback = source.interrupt_->callback();
  av::Dictionary opts;
  opts.set("rtsp_transport", options.transport);
  opts.set("timeout", std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(options.connect_timeout).count()));
  // Small probe: the SDP describes the streams; no frames need decoding.
  opts.set("fpsprobesize", "0");
  source.interrupt_->arm(options.connect_timeout);
  int rc = avformat_open_input(&raw, url.c_str(), nullptr, opts.out());
  bool expired = source.interrupt_->expired();
  source.interrupt_->disarm();
  if (rc < 0) {
    if (source.interrupt_->stop_requested()) return tl::unexpected(Failure{DownCause::Protocol, "stopped"});
    auto cause = classify(rc, false, expired);
    return tl::unexpected(Failure{cause, av::from_averror(rc, "connecting to " + text::redact_url(url)).message});
  }
  source.input_.reset(raw);
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
  return source;
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
