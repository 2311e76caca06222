// av: RAII handles for FFmpeg (libavformat/libavcodec/libavutil), AVERROR -> Error, and the
// interrupt callback that gives every blocking libavformat call a deadline and a way to be
// cancelled. Handles are owned by one thread at a time; nothing here spawns threads.
// Only av, ingest, segment and export see FFmpeg headers.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
}

#include <atomic>
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace carekeep::av {

// Most FFmpeg frees take T** and null the pointer; adapt that to unique_ptr.
template <auto Free>
struct FreeByAddress {
  template <class T>
  void operator()(T* p) const noexcept { Free(&p); }
};

using Packet = std::unique_ptr<AVPacket, FreeByAddress<&av_packet_free>>;
using InputFormat = std::unique_ptr<AVFormatContext, FreeByAddress<&avformat_close_input>>;
using CodecContext = std::unique_ptr<AVCodecContext, FreeByAddress<&avcodec_free_context>>;
using Frame = std::unique_ptr<AVFrame, FreeByAddress<&av_frame_free>>;
using CodecParameters = std::unique_ptr<AVCodecParameters, FreeByAddress<&avcodec_parameters_free>>;

// Output contexts own a custom or file AVIOContext; closing flushes it before freeing.
struct CloseOutput {
  void operator()(AVFormatContext* ctx) const noexcept;
};
using OutputFormat = std::unique_ptr<AVFormatContext, CloseOutput>;

Packet make_packet();
Frame make_frame();
// A deep copy (extradata included) that the caller may complete or change.
CodecParameters copy_parameters(const AVCodecParameters* source);

// Maps an AVERROR code to an Error whose message is "<what>: <ffmpeg's text>".
Error from_averror(int code, std::string_view what);

// Owned AVDictionary for options; out() hands FFmpeg the address it wants.
class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  ~Dictionary() { av_dict_free(&dict_); }
  void set(const char* key, const std::string& value) { av_dict_set(&dict_, key, value.c_str(), 0); }
  AVDictionary** out() { return &dict_; }
  AVDictionary* get() const { return dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

// Deadline + cancellation for blocking libavformat calls. Arm a deadline before each
// blocking call; FFmpeg polls callback() and aborts the call (AVERROR_EXIT) once the
// deadline passes or stop is requested. The callback is noexcept and lock-free.
class Interrupt {
 public:
  explicit Interrupt(std::stop_token stop = {}) : stop_(std::move(stop)) {}
  void arm(std::chrono::steady_clock::duration timeout);
  void disarm();
  bool expired() const noexcept;       // the deadline passed (as opposed to a stop request)
  bool stop_requested() const noexcept { return stop_.stop_requested(); }
  AVIOInterruptCB callback() noexcept { return AVIOInterruptCB{&Interrupt::poll, this}; }

 private:
  static int poll(void* self) noexcept;
  std::stop_token stop_;
  std::atomic<std::int64_t> deadline_ns_{0};  // steady_clock epoch ns; 0 = none
};

struct InputOptions {
  std::string transport = "tcp";                            // rtsp_transport
  std::chrono::milliseconds io_timeout{5000};               // socket timeout of the RTSP demuxer
  // Bound on the whole open (every request of the handshake); zero means 2 x io_timeout.
  std::chrono::milliseconds deadline{0};
  bool probe_streams = false;  // avformat_find_stream_info decodes frames; RTSP SDP suffices
  std::vector<std::pair<std::string, std::string>> demuxer_options;  // extra AVOptions, set last
};

// Why open_input failed: the Error (message names the redacted URL) plus what callers
// need to classify it. Derives from Error so it converts where a plain Error is expected.
struct OpenFailure : Error {
  int averror = 0;                // FFmpeg's code, 0 when the failure was not FFmpeg's
  bool deadline_expired = false;  // the interrupt deadline passed (not a stop request)
};

// Opens an input (RTSP URL or file). Errors name the redacted URL, never credentials.
// FFmpeg keeps calling `interrupt` for every later read: it must outlive the input.
tl::expected<InputFormat, OpenFailure> open_input(const std::string& url, const InputOptions& options,
                                                  Interrupt& interrupt);

// The first stream of the given media type, or -1.
int find_stream(const AVFormatContext* ctx, AVMediaType type);

// Converts a stream time to microseconds; AV_NOPTS_VALUE stays AV_NOPTS_VALUE.
std::int64_t to_micros(std::int64_t ts, AVRational time_base);

}  // namespace carekeep::av
