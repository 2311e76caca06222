#include "content/sampler.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <tuple>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "base/log.hpp"

namespace carekeep::content {
namespace {

const SystemClock kSystemClock;

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One camera's decoder, on the worker thread only. Keyframes decode on their own, so each
// sample opens a decoder, sends, drains and releases it: no state carries from one to the next.
class KeyframeDecoder {
 public:
  Result<Picture> decode(const AVCodecParameters& parameters, AVPacket* packet) {
    if (auto st = open(parameters); !st) return tl::unexpected(std::move(st.error()));
    if (int rc = avcodec_send_packet(context_.get(), packet); rc < 0) {
      release();
      return tl::unexpected(av::from_averror(rc, "decoding a keyframe"));
    }
    // Draining makes the decoder give up the frame now instead of waiting for more packets.
    avcodec_send_packet(context_.get(), nullptr);
    bool got = false;
    for (;;) {
      int rc = avcodec_receive_frame(context_.get(), scratch_.get());
      if (rc == AVERROR_EOF || rc == AVERROR(EAGAIN)) break;
      if (rc < 0) {
        release();
        return tl::unexpected(av::from_averror(rc, "decoding a keyframe"));
      }
      av_frame_unref(frame_.get());
      av_frame_move_ref(frame_.get(), scratch_.get());
      got = true;
    }
    if (!got) {
      release();
      return fail(ErrorKind::DataLoss, "decoding a keyframe: the decoder returned no picture");
    }
    auto picture = luma_of(*frame_);
    release();
    return picture;
  }

 private:
  Status open(const AVCodecParameters& parameters) {
    context_.reset();
    const AVCodec* codec = avcodec_find_decoder(parameters.codec_id);
    if (codec == nullptr) {
      return fail(ErrorKind::FailedPrecondition,
                  std::string("no decoder for ") + avcodec_get_name(parameters.codec_id) + " in this FFmpeg build");
    }
    av::CodecContext context{avcodec_alloc_context3(codec)};
    if (!context) return fail(ErrorKind::ResourceExhausted, "allocating a decoder");
    if (int rc = avcodec_parameters_to_context(context.get(), &parameters); rc < 0)
      return tl::unexpected(av::from_averror(rc, "configuring the decoder"));
    // One thread: frame threads would each hold a picture and add latency, and the worker's
    // low priority is inherited only by threads it starts itself.
    context->thread_count = 1;
    if (int rc = avcodec_open2(context.get(), codec, nullptr); rc < 0)
      return tl::unexpected(av::from_averror(rc, "opening the decoder"));
    context_ = std::move(context);
    return ok();
  }

  // A decoder keeps a pool of full-size pictures (about 5 MiB at 1080p) between samples. A
  // sample every few seconds does not need it kept warm: opening a decoder costs well under a
  // millisecond, so each sample opens one and this gives everything back afterwards.
  void release() {
    av_frame_unref(frame_.get());
    av_frame_unref(scratch_.get());
    context_.reset();
  }

  Result<Picture> luma_of(const AVFrame& frame) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
    if (desc == nullptr || (desc->flags & AV_PIX_FMT_FLAG_RGB) || desc->nb_components < 1 ||
        frame.width < Picture::kThumbWidth || frame.height < Picture::kThumbHeight) {
      return fail(ErrorKind::FailedPrecondition,
                  "decoded picture is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) + " " +
                      (desc != nullptr ? desc->name : "of an unknown pixel format") +
                      "; the content checks need a YUV or grey picture of at least 64x36");
    }
    const AVComponentDescriptor& y = desc->comp[0];
    if (y.depth == 8 && y.step == 1 && y.plane == 0) {
      return measure(LumaView{frame.data[0], frame.width, frame.height, frame.linesize[0]});
    }
    if (y.depth > 8 && y.depth <= 16 && y.step == 2 && y.plane == 0 && !(desc->flags & AV_PIX_FMT_FLAG_BE)) {
      // 10-bit HEVC and the like: the top 8 bits are what the checks' thresholds are in.
      wide_.resize(static_cast<std::size_t>(frame.width) * static_cast<std::size_t>(frame.height));
      for (int row = 0; row < frame.height; ++row) {
        const auto* in = reinterpret_cast<const std::uint16_t*>(frame.data[0] + static_cast<std::ptrdiff_t>(row) * frame.linesize[0]);
        std::uint8_t* out = wide_.data() + static_cast<std::size_t>(row) * static_cast<std::size_t>(frame.width);
        for (int x = 0; x < frame.width; ++x) out[x] = static_cast<std::uint8_t>(in[x] >> (y.depth - 8));
      }
      return measure(LumaView{wide_.data(), frame.width, frame.height, frame.width});
    }
    return fail(ErrorKind::FailedPrecondition,
                std::string("pixel format ") + desc->name + " is not supported by the content checks");
  }

  av::CodecContext context_;
  av::Frame frame_ = av::make_frame();
  av::Frame scratch_ = av::make_frame();
  std::vector<std::uint8_t> wide_;
};

// The gate's safety net: a decode every 2 minutes, or twice per frozen_seconds if that is
// shorter, whatever the sizes say. Every fault fakecam can make shows in the sizes at once; the
// net is for a fault that would not (a freeze whose re-encoded frames stay large), which it then
// catches within two frozen_seconds instead of one. A detailed 1080p keyframe costs 20-30 ms to
// decode, so this is most of what a healthy camera costs: 0.01-0.015 CPU-s a minute.
Micros regular_every(const config::ContentChecks& checks) {
  return std::min(Micros{120'000'000}, Micros{std::int64_t{checks.frozen_seconds} * 2'000'000});
}

struct CameraWork {
  explicit CameraWork(const config::ContentChecks& checks) : detector(checks) {
    gate.set_regular_every(regular_every(checks));
  }
  KeyframeDecoder decoder;
  Detector detector;
  SampleGate gate;
  bool decode_error_logged = false;
};

}  // namespace

Sampler::Sampler(Listener listener, const Clock* clock, SamplerOptions options)
    : listener_(std::move(listener)), clock_(clock != nullptr ? clock : &kSystemClock), options_(options) {
  if (options_.queue_per_camera == 0) options_.queue_per_camera = 1;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

Sampler::~Sampler() {
  thread_.request_stop();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sampler::set_camera(const std::string& camera, const config::ContentChecks& checks) {
  if (!checks.enabled) {
    remove(camera);
    return;
  }
  std::lock_guard lock(mutex_);
  cameras_[camera].checks = checks;
}

void Sampler::remove(const std::string& camera) {
  {
    std::lock_guard lock(mutex_);
    if (cameras_.erase(camera) == 0) return;
    jobs_.push_back(Job{camera, true, clock_->now(), nullptr, nullptr});
  }
  wake_.notify_all();
}

void Sampler::offer(const std::string& camera, const AVCodecParameters& parameters, const AVPacket& keyframe,
                    std::int64_t gop_inter_bytes, std::int64_t gop_inter_frames) {
  {
    std::lock_guard lock(mutex_);
    auto it = cameras_.find(camera);
    if (it == cameras_.end()) return;
    Camera& c = it->second;
    if (gop_inter_frames > 0 && gop_inter_bytes >= 0) {
      // a/b < c/d without division: a*d < c*b (bytes and counts of a GOP are far below 2^31)
      if (!c.quietest_gop || gop_inter_bytes * c.quietest_gop->second < c.quietest_gop->first * gop_inter_frames)
        c.quietest_gop = std::pair{gop_inter_bytes, gop_inter_frames};
    }
    auto now = clock_->steady_now();
    // Keyframes arrive with network jitter; one a little early still counts, or a GOP equal
    // to the interval would sample every second keyframe only.
    constexpr auto kEarly = std::chrono::milliseconds(250);
    if (c.last_due && now - *c.last_due + kEarly < std::chrono::seconds(c.checks.sample_seconds)) return;
    c.last_due = now;
    ++c.stats.due;
    if (c.in_queue >= options_.queue_per_camera) {
      ++c.stats.dropped;
      return;
    }
    // A new reference to the recorder's buffer (no copy of the picture), and the parameters
    // (a few hundred bytes) because the recorder's copy changes with the next run.
    av::Packet packet = av::make_packet();
    if (av_packet_ref(packet.get(), &keyframe) < 0) {
      ++c.stats.dropped;
      return;
    }
    StreamSizes sizes{keyframe.size, 0, 0};
    if (c.quietest_gop) std::tie(sizes.inter_bytes, sizes.inter_frames) = *c.quietest_gop;
    c.quietest_gop.reset();
    ++c.in_queue;
    jobs_.push_back(Job{camera, false, clock_->now(), std::move(packet), av::copy_parameters(&parameters), sizes});
  }
  wake_.notify_one();
}

SamplerStats Sampler::stats(const std::string& camera) const {
  std::lock_guard lock(mutex_);
  auto it = cameras_.find(camera);
  return it == cameras_.end() ? SamplerStats{} : it->second.stats;
}

SamplerStats Sampler::total() const {
  std::lock_guard lock(mutex_);
  SamplerStats sum;
  for (const auto& [id, c] : cameras_) {
    sum.due += c.stats.due;
    sum.dropped += c.stats.dropped;
    sum.decoded += c.stats.decoded;
    sum.identical += c.stats.identical;
    sum.skipped += c.stats.skipped;
    sum.failed += c.stats.failed;
    sum.cpu_seconds += c.stats.cpu_seconds;
  }
  return sum;
}

void Sampler::run(std::stop_token stop) {
  // Linux nice values are per thread (setpriority on the thread id), so this lowers the
  // worker alone; ingest threads and the loop keep their priority.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), options_.nice) != 0) {
    log::warn("content_priority_unchanged", {{"error", std::strerror(errno)}});
  }
  std::map<std::string, std::unique_ptr<CameraWork>, std::less<>> work;
  for (;;) {
    Job job;
    config::ContentChecks checks;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return !jobs_.empty(); })) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (!job.close) {
        auto it = cameras_.find(job.camera);
        if (it == cameras_.end()) continue;  // removed meanwhile; its close job follows
        checks = it->second.checks;
      }
    }
    bool accounted = false;  // this sample left the camera's queue count
    try {
      if (job.close) {
        auto it = work.find(job.camera);
        if (it == work.end()) continue;
        Decision closing;
        closing.time = job.time;
        closing.events = it->second->detector.close(job.time);
        work.erase(it);
        if (!closing.events.empty()) listener_(job.camera, closing);
        continue;
      }
      const double cpu_before = thread_cpu_seconds();
      auto& w = work[job.camera];
      if (!w) w = std::make_unique<CameraWork>(checks);
      if (!(w->detector.checks() == checks)) {
        w->detector.set_checks(checks);
        w->gate.set_regular_every(regular_every(checks));
      }
      const auto hash = hash_bytes(job.packet->data, static_cast<std::size_t>(job.packet->size));
      std::optional<Decision> decision;
      bool identical = false;
      bool skipped = false;
      if (w->detector.has_previous() && w->detector.previous_hash() == hash) {
        decision = w->detector.observe_identical(job.time);
        identical = true;
      } else if (options_.gate && !w->gate.choose(job.time, job.sizes, w->detector.suspect()).decode) {
        skipped = true;
      } else if (auto picture = w->decoder.decode(*job.parameters, job.packet.get())) {
        decision = w->detector.observe(job.time, std::move(*picture), hash);
        w->gate.decoded(job.time, job.sizes, !w->detector.suspect());
        w->decode_error_logged = false;
      } else if (!w->decode_error_logged) {
        w->decode_error_logged = true;  // once per run of failures, not once per sample
        log::warn("content_decode_failed", {{"camera", job.camera}, {"error", picture.error().message}});
      }
      job.packet.reset();  // the recorder's buffer is released before the listener runs
      const double cpu = thread_cpu_seconds() - cpu_before;
      accounted = true;
      {
        std::lock_guard lock(mutex_);
        auto it = cameras_.find(job.camera);
        if (it != cameras_.end()) {
          auto& s = it->second.stats;
          if (skipped) ++s.skipped;
          else if (!decision) ++s.failed;
          else if (identical) ++s.identical;
          else ++s.decoded;
          s.cpu_seconds += cpu;
          if (it->second.in_queue > 0) --it->second.in_queue;
        }
      }
      if (decision) listener_(job.camera, *decision);
    } catch (const std::exception& e) {
      // A bug or allocation failure costs one sample, never the worker.
      log::error("content_sample_failed", {{"camera", job.camera}, {"error", e.what()}});
      std::lock_guard lock(mutex_);
      auto it = cameras_.find(job.camera);
      if (it != cameras_.end() && !job.close && !accounted && it->second.in_queue > 0) --it->second.in_queue;
    }
  }
}

}  // namespace carekeep::content
