#include "av/av.hpp"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
}

#include <new>

#include "base/text.hpp"

namespace carekeep::av {

void CloseOutput::operator()(AVFormatContext* ctx) const noexcept {
  if (ctx == nullptr) return;
  if (ctx->pb != nullptr && !(ctx->oformat->flags & AVFMT_NOFILE) &&
      !(ctx->flags & AVFMT_FLAG_CUSTOM_IO)) {
    avio_closep(&ctx->pb);
  }
  avformat_free_context(ctx);
}

Packet make_packet() {
  Packet p{av_packet_alloc()};
  if (!p) throw std::bad_alloc();
  return p;
}

Frame make_frame() {
  Frame f{av_frame_alloc()};
  if (!f) throw std::bad_alloc();
  return f;
}

CodecParameters copy_parameters(const AVCodecParameters* source) {
  CodecParameters copy{avcodec_parameters_alloc()};
  if (!copy || avcodec_parameters_copy(copy.get(), source) < 0) throw std::bad_alloc();
  return copy;
}

Error from_averror(int code, std::string_view what) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  ErrorKind kind = ErrorKind::Internal;
  switch (code) {
    case AVERROR(ETIMEDOUT):
    case AVERROR(ECONNREFUSED):
    case AVERROR(ECONNRESET):
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EPIPE):
    case AVERROR(EIO):
    case AVERROR_EOF:
    case AVERROR_HTTP_SERVER_ERROR:
      kind = ErrorKind::Unavailable;
      break;
    case AVERROR_EXIT:
      kind = ErrorKind::Cancelled;
      break;
    case AVERROR(ENOSPC):
      kind = ErrorKind::ResourceExhausted;
      break;
    case AVERROR(ENOENT):
    case AVERROR_HTTP_NOT_FOUND:
    case AVERROR_STREAM_NOT_FOUND:
      kind = ErrorKind::NotFound;
      break;
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
    case AVERROR(EACCES):
      kind = ErrorKind::FailedPrecondition;
      break;
    case AVERROR_INVALIDDATA:
      kind = ErrorKind::DataLoss;
      break;
    default:
      break;
  }
  return Error{kind, text::redact_urls_in(std::string(what) + ": " + buf)};
}

void Interrupt::arm(std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  deadline_ns_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count());
}

void Interrupt::disarm() { deadline_ns_.store(0); }

bool Interrupt::expired() const noexcept {
  auto deadline = deadline_ns_.load();
  if (deadline == 0) return false;
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
  return now >= deadline;
}

int Interrupt::poll(void* self) noexcept {
  auto* interrupt = static_cast<Interrupt*>(self);
  return (interrupt->stop_requested() || interrupt->expired()) ? 1 : 0;
}

tl::expected<InputFormat, OpenFailure> open_input(const std::string& url, const InputOptions& options,
                                                  Interrupt& interrupt) {
  auto failure = [&](int rc, std::string_view what, bool expired) {
    OpenFailure f;
    static_cast<Error&>(f) = from_averror(rc, what);
    f.averror = rc;
    f.deadline_expired = expired;
    return tl::unexpected(std::move(f));
  };
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return failure(AVERROR(ENOMEM), "allocating input context", false);
  raw->interrupt_callback = interrupt.callback();
  Dictionary opts;
  if (url.rfind("rtsp", 0) == 0) {
    opts.set("rtsp_transport", options.transport);
    // RTSP demuxer socket timeout in microseconds ("timeout" in FFmpeg 5).
    opts.set("timeout", std::to_string(
                            std::chrono::duration_cast<std::chrono::microseconds>(options.io_timeout).count()));
  }
  for (const auto& [key, value] : options.demuxer_options) opts.set(key.c_str(), value);
  // The deadline bounds the whole handshake; the socket timeout alone would allow one
  // wait per request.
  interrupt.arm(options.deadline.count() > 0 ? options.deadline : options.io_timeout * 2);
  // avformat_open_input frees `raw` itself on failure, so take ownership only on success.
  int rc = avformat_open_input(&raw, url.c_str(), nullptr, opts.out());
  if (rc < 0) {
    bool expired = interrupt.expired();
    interrupt.disarm();
    return failure(rc, "opening " + text::redact_url(url), expired);
  }
  InputFormat input{raw};
  if (options.probe_streams) {
    rc = avformat_find_stream_info(input.get(), nullptr);
    if (rc < 0) {
      bool expired = interrupt.expired();
      interrupt.disarm();
      return failure(rc, "reading stream info of " + text::redact_url(url), expired);
    }
  }
  interrupt.disarm();
  return input;
}

int find_stream(const AVFormatContext* ctx, AVMediaType type) {
  for (unsigned i = 0; i < ctx->nb_streams; ++i) {
    if (ctx->streams[i]->codecpar->codec_type == type) return static_cast<int>(i);
  }
  return -1;
}

std::int64_t to_micros(std::int64_t ts, AVRational time_base) {
  if (ts == AV_NOPTS_VALUE) return AV_NOPTS_VALUE;
  return av_rescale_q(ts, time_base, AVRational{1, 1000000});
}

}  // namespace carekeep::av
