#include "fakecam/camera.hpp"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>

#include "base/log.hpp"
#include "fakecam/pacer.hpp"

namespace carekeep::fakecam {
namespace {

// Bound on the RTSP media's input queue (a client that DESCRIBEs but never PLAYs leaves the
// shared media's stream blocked); the oldest data is dropped beyond it.
constexpr const char* kMediaQueueBytes = "4000000";

// A pacing thread that wakes up this late skips the frames it missed (see Encoder).

// user_data_unregistered UUID of our identity SEI: 16 ASCII bytes, none zero, so the NAL
// needs no emulation prevention.
constexpr char kIdentityUuid[] = "carekeep.fakecam";
static_assert(sizeof kIdentityUuid == 17);

bool is_vcl(Codec codec, std::uint8_t header) {
  if (codec == Codec::H264) {
    const int type = header & 0x1f;
    return type >= 1 && type <= 5;
  }
  return ((header >> 1) & 0x3f) < 32;
}

// Offset of the start code of the first slice NAL in an Annex B access unit, or `size`.
std::size_t first_vcl(Codec codec, const std::uint8_t* data, std::size_t size) {
  for (std::size_t i = 0; i + 3 < size; ++i) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1) continue;
    if (is_vcl(codec, data[i + 3])) return (i > 0 && data[i - 1] == 0) ? i - 1 : i;
    i += 2;
  }
  return size;
}

// A SEI NAL (user data unregistered) saying "camera=<id>". Decoders skip it; it makes every
// camera's bytes (and so segment hashes) differ even when cameras share an encoder or a
// clip, and lets a test tell from a recording which camera it came from.
gst::Memory identity_sei(Codec codec, const std::string& id) {
  const std::string text = "camera=" + id;  // ids are at most 64 printable ASCII bytes
  std::string nal("\x00\x00\x00\x01", 4);
  nal += codec == Codec::H264 ? std::string("\x06", 1) : std::string("\x4e\x01", 2);  // SEI / prefix SEI
  nal += '\x05';  // payload type: user_data_unregistered
  nal += static_cast<char>(16 + text.size());
  nal.append(kIdentityUuid, 16);
  nal += text;
  nal += '\x80';  // rbsp trailing bits
  auto* bytes = static_cast<std::uint8_t*>(g_malloc(nal.size()));
  std::memcpy(bytes, nal.data(), nal.size());
  return gst::Memory{gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, bytes, nal.size(), 0, nal.size(), bytes, g_free)};
}

}  // namespace

Camera::Camera(CameraSpec spec, EncoderPool& pool, bool share_encoders)
    : spec_(std::move(spec)), pool_(&pool), share_encoders_(share_encoders) {
  identity_ = identity_sei(spec_.codec, spec_.id);
}

Camera::Camera(CameraSpec spec, std::shared_ptr<const Clip> clip, std::size_t index)
    : spec_(std::move(spec)), clip_(std::move(clip)) {
  spec_.codec = clip_->codec;
  spec_.width = clip_->width;
  spec_.height = clip_->height;
  spec_.fps = clip_->fps;
  clip_start_ = clip_->keyframes[index % clip_->keyframes.size()];
  identity_ = identity_sei(spec_.codec, spec_.id);
}

Camera::~Camera() {
  stop();
  release_medias();  // disconnects our signal handlers from medias that may outlive us
}

std::string Camera::launch() const {
  const bool h264 = spec_.codec == Codec::H264;
  // config-interval=-1: parameter sets in front of every key frame, so a client joining the
  // shared stream mid-GOP can decode from the next key frame on.
  return std::string("( appsrc name=src is-live=true format=time do-timestamp=false max-bytes=") +
         kMediaQueueBytes + " leaky-type=downstream caps=" +
         (h264 ? "video/x-h264,stream-format=byte-stream,alignment=au"
               : "video/x-h265,stream-format=byte-stream,alignment=au") +
         (h264 ? " ! rtph264pay" : " ! rtph265pay") + " name=pay0 pt=96 config-interval=-1 )";
}

EncoderKey Camera::key_for(Look look) const {
  EncoderKey key;
  key.codec = spec_.codec;
  key.width = spec_.width;
  key.height = spec_.height;
  key.kbps = spec_.kbps;
  key.fps = spec_.fps;
  key.gop_frames = static_cast<int>(std::max(1L, std::lround(spec_.gop_seconds * spec_.fps)));
  key.look = look;
  if (!share_encoders_) key.owner = spec_.id;
  return key;
}

Status Camera::start() {
  if (clip_) {
    pacer_ = std::jthread([this](std::stop_token stop) { pace(std::move(stop)); });
    return ok();
  }
  std::lock_guard lock(mutex_);
  auto encoder = pool_->acquire(key_for(look_), std::nullopt, this);
  if (!encoder) return tl::unexpected(std::move(encoder.error()).with_context("camera " + spec_.id));
  current_ = std::move(*encoder);
  return ok();
}

void Camera::stop() noexcept {
  if (pacer_.joinable()) {
    pacer_.request_stop();
    pacer_.join();
  }
  std::shared_ptr<Encoder> current;
  std::shared_ptr<Encoder> pending;
  {
    std::lock_guard lock(mutex_);
    current = std::move(current_);
    pending = std::move(pending_);
  }
  // Only at shutdown: the pool stops every encoder, so nothing needs reaping here.
  for (auto* encoder : {current.get(), pending.get()}) {
    if (encoder != nullptr) encoder->unsubscribe(this);
  }
}

Status Camera::apply(Fault fault) {
  auto picture = [&](Look look) -> Status {
    if (clip_) {
      return fail(ErrorKind::FailedPrecondition,
                  "camera " + spec_.id + " loops a clip; '" + std::string(to_string(fault)) +
                      "' needs a live-encoded camera (no --source)");
    }
    return switch_look(look);
  };
  switch (fault) {
    case Fault::Live:
      stalled_.store(false);
      return clip_ ? ok() : switch_look(Look::Live);
    case Fault::Black:
      return picture(Look::Black);
    case Fault::Frozen:
      return picture(Look::Frozen);
    case Fault::Static:
      return picture(Look::Static);
    case Fault::Covered:
      return picture(Look::Covered);
    case Fault::Stall:
      stalled_.store(true);
      return ok();
    case Fault::Down:
      down_.store(true);
      return ok();
    case Fault::Up:
      down_.store(false);
      stalled_.store(false);
      return ok();
  }
  return ok();
}

// Holds mutex_ throughout, so an access unit from the new encoder cannot slip by before
// pending_ names it. No cycle: the pool never holds its lock while stopping an encoder, and
// streaming threads take only our lock.
Status Camera::switch_look(Look look) {
  std::shared_ptr<Encoder> dropped;
  {
    std::lock_guard lock(mutex_);
    if (look == look_) return ok();
    look_ = look;
    if (!current_) return ok();  // not started: start() picks up look_
    std::optional<Scene> frozen;
    if (look == Look::Frozen) frozen = current_->last_scene();
    auto encoder = pool_->acquire(key_for(look), frozen, this);
    if (!encoder) return tl::unexpected(std::move(encoder.error()).with_context("camera " + spec_.id));
    dropped = std::move(pending_);
    if (*encoder != current_) pending_ = std::move(*encoder);  // else: back to what is shown
  }
  if (dropped) pool_->release(dropped, this);
  return ok();
}

void Camera::on_access_unit(Encoder& from, GstBuffer* au, GstClockTime pts, bool key) noexcept {
  std::shared_ptr<Encoder> dropped;
  {
    std::lock_guard lock(mutex_);
    if (pending_.get() == &from) {
      // A picture fault shows from the new encoder's first key frame on; until then clients
      // keep getting the old picture, so the stream never pauses.
      if (!key) return;
      dropped = std::move(current_);
      current_ = std::move(pending_);
      log::debug("fakecam_picture_switched", {{"camera", spec_.id}});
    } else if (current_.get() != &from) {
      return;  // an encoder we just left, still delivering from a copied subscriber list
    }
    forward(au, pts, key);
  }
  if (dropped) pool_->release(dropped, this);
}

void Camera::pace(std::stop_token stop) {
  const auto fps = static_cast<guint64>(spec_.fps);
  pace_frames(stop, std::chrono::steady_clock::now(), 0, spec_.fps, "camera", spec_.id, [&](std::int64_t index) {
    // One access unit per tick, in a loop; timestamps come from the tick count, so they keep
    // increasing across the loop point.
    const auto& frames = clip_->frames;
    GstBuffer* au = frames[(clip_start_ + static_cast<std::size_t>(index)) % frames.size()].get();
    const GstClockTime pts = gst_util_uint64_scale(static_cast<guint64>(index), GST_SECOND, fps);
    std::lock_guard lock(mutex_);
    forward(au, pts, !GST_BUFFER_FLAG_IS_SET(au, GST_BUFFER_FLAG_DELTA_UNIT));
  });
}

void Camera::forward(GstBuffer* au, GstClockTime pts, bool key) noexcept {
  if (!GST_CLOCK_TIME_IS_VALID(pts)) return;
  const bool blocked = down_.load() || stalled_.load();
  const GstClockTime duration = gst_util_uint64_scale(1, GST_SECOND, static_cast<guint64>(spec_.fps));
  for (auto& out : outputs_) {
    // A prepared media nobody plays yet has its stream blocked by gst-rtsp-server: what we
    // pushed would queue up and reach the first client as a burst of stale frames.
    if (blocked || (out.stream != nullptr && gst_rtsp_stream_is_blocking(out.stream))) {
      out.need_key = true;  // resume at a key frame, so clients decode cleanly
      continue;
    }
    if (out.need_key && !key) continue;
    if (!out.offset) {
      // Our timestamps count from the camera's (or encoder pool's) start, plus 1000 h for
      // encoders; the media pipeline has its own running time. Map once, at the first frame
      // it gets, so RTP timestamps advance exactly one frame duration per frame.
      const GstClockTime now = gst_element_get_current_running_time(out.appsrc.get());
      if (!GST_CLOCK_TIME_IS_VALID(now)) continue;  // media not PLAYING yet
      out.offset = static_cast<gint64>(now) - static_cast<gint64>(pts);
    }
    GstBuffer* copy = with_identity(au);
    const gint64 t = std::max<gint64>(0, static_cast<gint64>(pts) + *out.offset);
    GST_BUFFER_PTS(copy) = static_cast<GstClockTime>(t);
    GST_BUFFER_DTS(copy) = static_cast<GstClockTime>(t);
    GST_BUFFER_DURATION(copy) = duration;
    if (out.need_key) {
      GST_BUFFER_FLAG_SET(copy, GST_BUFFER_FLAG_DISCONT);
    } else {
      GST_BUFFER_FLAG_UNSET(copy, GST_BUFFER_FLAG_DISCONT);
    }
    out.need_key = false;
    gst_app_src_push_buffer(GST_APP_SRC(out.appsrc.get()), copy);  // takes `copy`
  }
}

// A new buffer sharing `au`'s memory, with the identity SEI in front of the first slice
// (after any AUD and parameter sets, where an SEI belongs). No bytes are copied.
GstBuffer* Camera::with_identity(GstBuffer* au) const noexcept {
  GstMapInfo map;
  if (!gst_buffer_map(au, &map, GST_MAP_READ)) return gst_buffer_copy(au);
  const std::size_t size = map.size;
  const std::size_t at = first_vcl(spec_.codec, map.data, map.size);
  gst_buffer_unmap(au, &map);
  GstBuffer* out = gst_buffer_new();
  gst_buffer_copy_into(out, au, static_cast<GstBufferCopyFlags>(GST_BUFFER_COPY_METADATA), 0, static_cast<gsize>(-1));
  if (at > 0) {
    GstBuffer* head = gst_buffer_copy_region(au, GST_BUFFER_COPY_MEMORY, 0, at);
    out = gst_buffer_append(out, head);
  }
  gst_buffer_append_memory(out, gst_memory_ref(identity_.get()));
  if (at < size) {
    GstBuffer* tail = gst_buffer_copy_region(au, GST_BUFFER_COPY_MEMORY, at, size - at);
    out = gst_buffer_append(out, tail);
  }
  return out;
}

void Camera::attach(GstRTSPMedia* media) noexcept {
  gst::Object<GstElement> bin{gst_rtsp_media_get_element(media)};
  if (!bin) return;
  gst::Object<GstElement> src{gst_bin_get_by_name(GST_BIN(bin.get()), "src")};
  if (!src) {
    log::error("fakecam_media_without_appsrc", {{"camera", spec_.id}});
    return;
  }
  g_signal_connect(media, "unprepared", G_CALLBACK(&Camera::on_unprepared), this);
  Output out;
  out.media.reset(GST_RTSP_MEDIA(g_object_ref(media)));
  out.appsrc = std::move(src);
  out.stream = gst_rtsp_media_get_stream(media, 0);
  std::lock_guard lock(mutex_);
  outputs_.push_back(std::move(out));
}

void Camera::detach(GstRTSPMedia* media) noexcept {
  std::lock_guard lock(mutex_);
  for (auto it = outputs_.begin(); it != outputs_.end(); ++it) {
    if (it->media.get() == media) {
      g_signal_handlers_disconnect_by_data(media, this);
      // Called while `media` emits "unprepared": another handler may just have dropped the
      // last other reference, so ours must outlive the emission. Medias are unprepared only
      // on pipeline errors and at shutdown, so keeping them until then costs nothing.
      retired_.push_back(std::move(it->media));
      outputs_.erase(it);
      return;
    }
  }
}

void Camera::on_unprepared(GstRTSPMedia* media, gpointer self) noexcept {
  static_cast<Camera*>(self)->detach(media);
}

bool Camera::serves(GstRTSPMedia* media) noexcept {
  std::lock_guard lock(mutex_);
  for (const auto& out : outputs_) {
    if (out.media.get() == media) return true;
  }
  return false;
}

std::vector<gst::GObject<GstRTSPMedia>> Camera::release_medias() noexcept {
  std::vector<gst::GObject<GstRTSPMedia>> medias;
  std::lock_guard lock(mutex_);
  for (auto& out : outputs_) {
    g_signal_handlers_disconnect_by_data(out.media.get(), this);
    medias.push_back(std::move(out.media));
  }
  outputs_.clear();
  for (auto& media : retired_) medias.push_back(std::move(media));
  retired_.clear();
  return medias;
}

}  // namespace carekeep::fakecam
