// fakecam/camera: one simulated camera, i.e. one RTSP mount. Its access units come either
// from an Encoder it subscribes to (shared with cameras that show the same picture; a
// picture fault moves it to another encoder at that encoder's next key frame) or from a
// shared Clip replayed by its own pacing thread. Each access unit gets a SEI naming the
// camera, then is pushed into the appsrc of every RTSP media serving the camera: encoded
// once, sent to all clients, running ("recording") even while nobody watches.
// Fault flags are set from any thread; media attach/detach run on the server's loop thread;
// access units arrive on encoder streaming threads or the pacing thread.
#pragma once

#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fakecam/clip.hpp"
#include "fakecam/encoder.hpp"
#include "fakecam/gst.hpp"
#include "fakecam/server.hpp"

namespace carekeep::fakecam {

class Camera final : public EncoderSubscriber {
 public:
  // Live camera: reads from `pool` (shared encoders unless `share_encoders` is false).
  Camera(CameraSpec spec, EncoderPool& pool, bool share_encoders);
  // Clip camera. `index` staggers clip cameras over the clip's key frames, so that N cameras
  // do not all send their key frames at the same instant.
  Camera(CameraSpec spec, std::shared_ptr<const Clip> clip, std::size_t index);
  ~Camera();
  Camera(const Camera&) = delete;
  Camera& operator=(const Camera&) = delete;

  // Starts producing: subscribes to an encoder, or starts the clip's pacing thread.
  Status start();
  // Stops the pacing thread and drops the encoders (the pool stops them). Afterwards no
  // access unit reaches this camera's medias.
  void stop() noexcept;

  const CameraSpec& spec() const { return spec_; }
  // The gst-rtsp-server launch line of this camera's mount: appsrc ! rtph26Xpay, no encoder.
  std::string launch() const;

  // Sets a fault. Picture faults take effect at the next key frame of the new picture's
  // encoder; closing the sessions for `down` is the Server's job.
  Status apply(Fault fault);
  bool down() const noexcept { return down_.load(); }

  // RTSP side, called on the server's loop thread. attach() takes the media's appsrc named
  // "src"; detach() forgets it (also from the media's "unprepared" signal).
  void attach(GstRTSPMedia* media) noexcept;
  void detach(GstRTSPMedia* media) noexcept;
  bool serves(GstRTSPMedia* media) noexcept;
  // Forgets every media and returns them (owned references) for the server to unprepare.
  std::vector<gst::GObject<GstRTSPMedia>> release_medias() noexcept;

  void on_access_unit(Encoder& from, GstBuffer* au, GstClockTime pts, bool key) noexcept override;

 private:
  struct Output {
    gst::GObject<GstRTSPMedia> media;
    gst::Object<GstElement> appsrc;
    GstRTSPStream* stream = nullptr;  // owned by `media`
    bool need_key = true;          // start (and restart after stall/down) at a key frame
    std::optional<gint64> offset;  // media running time minus our timestamps
  };

  EncoderKey key_for(Look look) const;
  Status switch_look(Look look);
  void pace(std::stop_token stop);
  // Pushes one access unit to every media; caller holds mutex_.
  void forward(GstBuffer* au, GstClockTime pts, bool key) noexcept;
  GstBuffer* with_identity(GstBuffer* au) const noexcept;
  static void on_unprepared(GstRTSPMedia* media, gpointer self) noexcept;

  CameraSpec spec_;
  EncoderPool* pool_ = nullptr;
  bool share_encoders_ = true;
  std::shared_ptr<const Clip> clip_;
  std::size_t clip_start_ = 0;
  gst::Memory identity_;            // the SEI naming this camera, shared by every access unit

  Look look_ = Look::Live;  // the picture asked for (guarded by mutex_)
  std::atomic<bool> stalled_{false};
  std::atomic<bool> down_{false};

  std::mutex mutex_;  // guards look_, the encoders and the outputs
  std::shared_ptr<Encoder> current_;  // what clients see now
  std::shared_ptr<Encoder> pending_;  // the next picture, from its first key frame on
  std::vector<Output> outputs_;
  std::vector<gst::GObject<GstRTSPMedia>> retired_;  // unprepared medias, released at shutdown

  std::jthread pacer_;  // clip cameras only
};

}  // namespace carekeep::fakecam
