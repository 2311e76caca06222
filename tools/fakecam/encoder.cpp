#include "fakecam/encoder.hpp"

#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <ctime>

#include "base/log.hpp"
#include "fakecam/pacer.hpp"

namespace carekeep::fakecam {
namespace {

// Raw frames in flight per encoder (being painted, queued in appsrc, or being encoded). Two
// suffice when the encoder keeps up; the rest absorb hiccups. When all are busy the encoder
// is behind real time and the frame is dropped.
constexpr std::size_t kMaxSlots = 4;

// Encoder input timestamps start here. x264enc and x265enc ask GstVideoEncoder for PTS of
// at least 1000 h (room for negative DTS); lower input PTS are shifted up, but the running
// times of force-key-unit events are not, so after the first forced key frame every later
// request looked stale and was ignored. Starting at 1000 h avoids the shift altogether.
constexpr GstClockTime kTimestampBase = 1000ULL * 3600 * GST_SECOND;

// A pacing thread that wakes up this late (overloaded machine, debugger) skips the frames it
// missed, as a real camera would: real time matters more than frame count.

void set_arg(GstElement* element, const char* name, const std::string& value) {
  gst_util_set_object_arg(G_OBJECT(element), name, value.c_str());
}

GstBusSyncReply on_bus_message(GstBus* /*bus*/, GstMessage* message, gpointer /*data*/) noexcept {
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    log::error("fakecam_encoder_error", {{"error", gst::describe(message)}});
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
    log::warn("fakecam_encoder_warning", {{"error", gst::describe(message)}});
  }
  return GST_BUS_DROP;  // nobody pops this bus; dropping keeps it from growing
}

std::string describe(const EncoderKey& key) {
  static constexpr const char* kLooks[] = {"live", "black", "frozen", "static", "covered"};
  return std::string(to_string(key.codec)) + " " + std::to_string(key.width) + "x" + std::to_string(key.height) +
         " " + kLooks[static_cast<int>(key.look)] + (key.owner.empty() ? "" : " for " + key.owner);
}

}  // namespace

// Memory for one raw frame. GStreamer buffers wrap it without copying; the buffer's destroy
// notify marks it free again, which is how the pacing thread knows the encoder is done with
// it (release/acquire: the encoder's reads happen before our next writes).
struct Encoder::Slot {
  std::unique_ptr<std::uint8_t[]> data;
  std::optional<Scene> shown;  // what `data` holds, so the next paint rewrites only changes
  std::atomic<bool> busy{false};

  static void release(gpointer self) noexcept {
    static_cast<Slot*>(self)->busy.store(false, std::memory_order_release);
  }
};

Encoder::Encoder(EncoderKey key, Clock::time_point epoch, std::optional<Scene> frozen)
    : key_(std::move(key)), epoch_(epoch), frozen_(frozen) {}

Encoder::~Encoder() { stop(); }

Status Encoder::start() {
  GstVideoInfo info;
  gst_video_info_init(&info);
  if (!gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, static_cast<guint>(key_.width),
                                 static_cast<guint>(key_.height))) {
    return fail(ErrorKind::InvalidArgument, "unsupported picture size " + describe(key_));
  }
  layout_.width = key_.width;
  layout_.height = key_.height;
  for (std::size_t i = 0; i < 3; ++i) {
    layout_.offset[i] = GST_VIDEO_INFO_PLANE_OFFSET(&info, i);
    layout_.stride[i] = GST_VIDEO_INFO_PLANE_STRIDE(&info, i);
  }
  layout_.size = GST_VIDEO_INFO_SIZE(&info);
  painter_ = std::make_unique<Painter>(layout_);
  if (key_.look == Look::Frozen) {
    if (!frozen_) {  // frozen from the start: freeze the moment the camera started
      const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - epoch_).count();
      frozen_ = painter_->live_scene(since * key_.fps / 1'000'000'000, key_.fps, std::time(nullptr));
    }
    frozen_frame_.resize(layout_.size);
    painter_->paint(frozen_frame_.data(), std::nullopt, *frozen_);
    std::lock_guard lock(mutex_);
    last_scene_ = frozen_;
  }
  if (auto st = build_pipeline(); !st) return st;
  pacer_ = std::jthread([this](std::stop_token stop) { pace(std::move(stop)); });
  log::debug("fakecam_encoder_started", {{"encoder", describe(key_)}});
  return ok();
}

Status Encoder::build_pipeline() {
  const bool h264 = key_.codec == Codec::H264;
  gst::Object<GstElement> pipeline{GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr)))};
  auto src = gst::make("appsrc", "src", "gstreamer1.0-plugins-base");
  if (!src) return tl::unexpected(src.error());
  gst_bin_add(GST_BIN(pipeline.get()), *src);
  auto enc = h264 ? gst::make("x264enc", "enc", "gstreamer1.0-plugins-ugly")
                  : gst::make("x265enc", "enc", "gstreamer1.0-plugins-bad");
  if (!enc) return tl::unexpected(enc.error());
  gst_bin_add(GST_BIN(pipeline.get()), *enc);
  auto filter = gst::make("capsfilter", "caps", "libgstreamer1.0-0");
  if (!filter) return tl::unexpected(filter.error());
  gst_bin_add(GST_BIN(pipeline.get()), *filter);
  auto sink = gst::make("appsink", "sink", "gstreamer1.0-plugins-base");
  if (!sink) return tl::unexpected(sink.error());
  gst_bin_add(GST_BIN(pipeline.get()), *sink);

  gst::Caps raw{gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                                    key_.width, "height", G_TYPE_INT, key_.height, "framerate",
                                    GST_TYPE_FRACTION, key_.fps, 1, nullptr)};
  gst_app_src_set_caps(GST_APP_SRC(*src), raw.get());
  // Timestamps are ours (frame index / fps); the slot count bounds the queue, not max-bytes.
  g_object_set(*src, "is-live", TRUE, "do-timestamp", FALSE, nullptr);
  gst_app_src_set_stream_type(GST_APP_SRC(*src), GST_APP_STREAM_TYPE_STREAM);
  gst_app_src_set_max_bytes(GST_APP_SRC(*src), 0);
  set_arg(*src, "format", "time");

  // Cheapest settings that still look like a camera: no B-frames, no lookahead, fixed GOP
  // (scenecut off, so a switch to black adds no key frame), one thread per encoder because
  // many cameras already keep every core busy. Only small regions change, so most
  // macroblocks are skipped; what remains is x264's fixed cost per frame.
  set_arg(*enc, "tune", "zerolatency");
  set_arg(*enc, "speed-preset", "ultrafast");
  // Key frames are requested by time (see emit()); the encoder's own interval is a backstop.
  set_arg(*enc, "key-int-max", std::to_string(key_.gop_frames * 2));
  set_arg(*enc, "bitrate", std::to_string(key_.kbps));
  if (h264) {
    set_arg(*enc, "bframes", "0");
    set_arg(*enc, "threads", "1");
    set_arg(*enc, "option-string", "scenecut=0");
  } else {
    // open-gop=0: every key frame an IDR (not a CRA), as cameras send and recorders expect.
    // repeat-headers=1: VPS/SPS/PPS with every IDR (x264enc does this itself in byte-stream
    // mode); rtph265pay can only repeat parameter sets it has seen, and a media that starts
    // after the encoder never sees the first key frame.
    // pools=none, wpp=0, one frame thread: x265 on one thread. Its default thread pool
    // hands every frame between threads, which doubled the wall time per frame here and made
    // the encoder fall behind on a loaded 2-core machine.
    set_arg(*enc, "option-string",
            "open-gop=0:scenecut=0:bframes=0:repeat-headers=1:pools=none:wpp=0:frame-threads=1");
  }
  gst::Caps coded{gst_caps_from_string(h264 ? "video/x-h264,stream-format=byte-stream,alignment=au"
                                            : "video/x-h265,stream-format=byte-stream,alignment=au")};
  g_object_set(*filter, "caps", coded.get(), nullptr);
  g_object_set(*sink, "sync", FALSE, "enable-last-sample", FALSE, nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = &Encoder::on_encoded;
  gst_app_sink_set_callbacks(GST_APP_SINK(*sink), &callbacks, this, nullptr);

  if (!gst_element_link_many(*src, *enc, *filter, *sink, nullptr)) {
    return fail(ErrorKind::Internal, "cannot link the encoder pipeline " + describe(key_));
  }
  gst::Object<GstBus> bus{gst_element_get_bus(pipeline.get())};
  gst_bus_set_sync_handler(bus.get(), &on_bus_message, nullptr, nullptr);
  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return fail(ErrorKind::Internal, "cannot start the encoder " + describe(key_));
  }
  src_.reset(GST_ELEMENT(gst_object_ref(*src)));
  pipeline_ = std::move(pipeline);
  return ok();
}

void Encoder::stop() noexcept {
  if (pacer_.joinable()) {
    pacer_.request_stop();
    pacer_.join();
  }
  if (pipeline_) {
    // NULL flushes the queue and the encoder: every wrapped buffer is released here.
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    src_.reset();
    pipeline_.reset();
    log::debug("fakecam_encoder_stopped", {{"encoder", describe(key_)}});
  }
  for (auto& slot : slots_) {
    // A slot still marked busy would mean some element kept a buffer beyond NULL; leaking
    // the slot is better than freeing memory that may still be read.
    if (slot->busy.load(std::memory_order_acquire)) (void)slot.release();
  }
  slots_.clear();
}

void Encoder::subscribe(EncoderSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  // Idempotent: a camera asking again for the picture it shows must not get frames twice.
  if (std::find(subscribers_.begin(), subscribers_.end(), subscriber) == subscribers_.end()) {
    subscribers_.push_back(subscriber);
  }
}

void Encoder::unsubscribe(EncoderSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, subscriber);
}

std::size_t Encoder::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

std::optional<Scene> Encoder::last_scene() const {
  std::lock_guard lock(mutex_);
  return last_scene_;
}

void Encoder::pace(std::stop_token stop) {
  using namespace std::chrono;
  const auto fps = static_cast<std::int64_t>(key_.fps);
  // Frame numbers count from the pool's epoch, so every encoder of a server shares one
  // timeline and a camera switching encoders (a fault) keeps increasing timestamps.
  std::int64_t first = duration_cast<nanoseconds>(Clock::now() - epoch_).count() * fps / 1'000'000'000 + 1;
  pace_frames(stop, epoch_, first, key_.fps, "encoder", describe(key_), [&](std::int64_t index) {
    emit(index, kTimestampBase + gst_util_uint64_scale(static_cast<guint64>(index), GST_SECOND, static_cast<guint64>(fps)));
  });
}

Encoder::Slot* Encoder::acquire_slot() {
  for (auto& slot : slots_) {
    if (!slot->busy.load(std::memory_order_acquire)) {
      slot->busy.store(true, std::memory_order_relaxed);
      return slot.get();
    }
  }
  if (slots_.size() >= kMaxSlots) return nullptr;
  auto slot = std::make_unique<Slot>();
  slot->data.reset(new std::uint8_t[layout_.size]);
  slot->busy.store(true, std::memory_order_relaxed);
  slots_.push_back(std::move(slot));
  return slots_.back().get();
}

void Encoder::emit(std::int64_t index, GstClockTime pts) {
  // A key frame at every multiple of the GOP since the pool's epoch, whatever the encoder's
  // frame count: the GOP stays regular in time when frames are dropped under load, and all
  // encoders of a server share the phase, so a camera moving between encoders (a picture
  // fault) keeps its key frame cadence. The event travels in order with the buffers.
  if (index >= next_key_) {
    gst_element_send_event(src_.get(), gst_video_event_new_downstream_force_key_unit(
                                           pts, pts, pts, TRUE, static_cast<guint>(index / key_.gop_frames)));
    next_key_ = (index / key_.gop_frames + 1) * key_.gop_frames;
  }
  GstBuffer* buffer = nullptr;
  if (key_.look == Look::Frozen) {
    // The same memory for every frame: nothing changes, by construction. The vector lives
    // until stop() has taken the pipeline to NULL, so no notify is needed.
    buffer = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, frozen_frame_.data(), layout_.size, 0,
                                         layout_.size, nullptr, nullptr);
  } else {
    Slot* slot = acquire_slot();
    if (slot == nullptr) {
      if (dropped_frames_++ % 250 == 0) {
        log::warn("fakecam_encoder_behind",
                  {{"encoder", describe(key_)}, {"dropped_frames", std::to_string(dropped_frames_)}});
      }
      return;
    }
    Scene next = key_.look == Look::Black     ? Painter::black_scene()
                 : key_.look == Look::Static  ? Painter::static_scene()
                 : key_.look == Look::Covered ? Painter::covered_scene()
                                              : painter_->live_scene(index, key_.fps, std::time(nullptr));
    painter_->paint(slot->data.get(), slot->shown, next);
    slot->shown = next;
    {
      std::lock_guard lock(mutex_);
      last_scene_ = next;
    }
    buffer = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, slot->data.get(), layout_.size, 0,
                                         layout_.size, slot, &Slot::release);
  }
  GST_BUFFER_PTS(buffer) = pts;
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(1, GST_SECOND, static_cast<guint64>(key_.fps));
  // Takes the buffer; on failure (pipeline stopping) it is unreffed and the slot freed.
  gst_app_src_push_buffer(GST_APP_SRC(src_.get()), buffer);
}

GstFlowReturn Encoder::on_encoded(GstAppSink* sink, gpointer self) noexcept {
  auto* encoder = static_cast<Encoder*>(self);
  gst::Sample sample{gst_app_sink_pull_sample(sink)};
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* au = gst_sample_get_buffer(sample.get());
  if (au == nullptr) return GST_FLOW_OK;
  // Call subscribers without our lock, so they may unsubscribe (from us or another encoder)
  // while handling it. Cameras outlive every encoder, so the copied pointers stay valid.
  std::vector<EncoderSubscriber*> subscribers;
  {
    std::lock_guard lock(encoder->mutex_);
    subscribers = encoder->subscribers_;
  }
  const bool key = !GST_BUFFER_FLAG_IS_SET(au, GST_BUFFER_FLAG_DELTA_UNIT);
  for (auto* s : subscribers) s->on_access_unit(*encoder, au, GST_BUFFER_PTS(au), key);
  return GST_FLOW_OK;
}

EncoderPool::EncoderPool(Encoder::Clock::time_point epoch, std::function<void(std::function<void()>)> schedule)
    : epoch_(epoch), schedule_(std::move(schedule)) {}

EncoderPool::~EncoderPool() { stop_all(); }

Result<std::shared_ptr<Encoder>> EncoderPool::acquire(const EncoderKey& key, const std::optional<Scene>& frozen,
                                                      EncoderSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  if (key.look != Look::Frozen) {
    for (auto& encoder : encoders_) {
      if (encoder->key() == key) {
        encoder->subscribe(subscriber);
        return encoder;
      }
    }
  }
  auto encoder = std::make_shared<Encoder>(key, epoch_, frozen);
  if (auto st = encoder->start(); !st) return tl::unexpected(st.error());
  encoder->subscribe(subscriber);
  encoders_.push_back(encoder);
  return encoder;
}

void EncoderPool::release(const std::shared_ptr<Encoder>& encoder, EncoderSubscriber* subscriber) {
  encoder->unsubscribe(subscriber);
  // Stopping joins the encoder's threads, which may be the very thread calling us: leave
  // it to whoever runs scheduled work (the server's loop thread).
  schedule_([this] { reap(); });
}

void EncoderPool::reap() {
  std::vector<std::shared_ptr<Encoder>> idle;
  {
    std::lock_guard lock(mutex_);
    for (auto it = encoders_.begin(); it != encoders_.end();) {
      // Subscribing happens under our lock too, so an idle encoder cannot gain a reader
      // between this check and its removal.
      if ((*it)->subscribers() == 0) {
        idle.push_back(std::move(*it));
        it = encoders_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& encoder : idle) encoder->stop();
}

void EncoderPool::stop_all() noexcept {
  std::vector<std::shared_ptr<Encoder>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(encoders_);
  }
  for (auto& encoder : all) encoder->stop();
}

std::size_t EncoderPool::running() const {
  std::lock_guard lock(mutex_);
  return encoders_.size();
}

}  // namespace carekeep::fakecam
