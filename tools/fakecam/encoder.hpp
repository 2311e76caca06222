// fakecam/encoder: one live picture source. A pacing thread paints one I420 frame per frame
// interval (Painter) and a private GStreamer pipeline (appsrc ! x264enc|x265enc ! appsink)
// encodes it; every access unit is handed to the subscribed cameras. Cameras whose settings
// and picture are the same share one Encoder (EncoderPool): x264 costs ~4 ms per 1080p frame
// even when nothing changes (measured, README.md), so 16 cameras with 16 encoders would need
// about two cores. Subscribers are called on the encoder's streaming thread, with no lock of
// the encoder held; subscribe()/unsubscribe() are thread-safe.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fakecam/gst.hpp"
#include "fakecam/picture.hpp"
#include "fakecam/server.hpp"

namespace carekeep::fakecam {

enum class Look { Live, Black, Frozen, Static, Covered };

// What an encoder produces. Encoders with equal keys are interchangeable, so one serves all.
struct EncoderKey {
  Codec codec = Codec::H264;
  int width = 0;
  int height = 0;
  int kbps = 0;
  int fps = 0;
  int gop_frames = 0;
  Look look = Look::Live;
  std::string owner;  // empty: shareable; else the one camera it serves (no sharing)

  auto operator<=>(const EncoderKey&) const = default;
};

class Encoder;

class EncoderSubscriber {
 public:
  virtual void on_access_unit(Encoder& from, GstBuffer* au, GstClockTime pts, bool key) noexcept = 0;

 protected:
  ~EncoderSubscriber() = default;
};

class Encoder : public std::enable_shared_from_this<Encoder> {
 public:
  using Clock = std::chrono::steady_clock;

  // `epoch` is shared by all encoders of a server: frame n of any encoder is stamped n/fps
  // after it, so a camera moving between encoders keeps one timeline. `frozen` is the scene a
  // Frozen encoder repeats.
  Encoder(EncoderKey key, Clock::time_point epoch, std::optional<Scene> frozen);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  Status start();
  // Joins the pacing thread and stops the pipeline. Never call it from a subscriber callback.
  void stop() noexcept;

  const EncoderKey& key() const { return key_; }
  void subscribe(EncoderSubscriber* subscriber);
  void unsubscribe(EncoderSubscriber* subscriber);
  std::size_t subscribers() const;
  // The scene most recently painted (what a camera that freezes now shows).
  std::optional<Scene> last_scene() const;

 private:
  struct Slot;
  Status build_pipeline();
  void pace(std::stop_token stop);
  void emit(std::int64_t index, GstClockTime pts);
  Slot* acquire_slot();
  static GstFlowReturn on_encoded(GstAppSink* sink, gpointer self) noexcept;

  const EncoderKey key_;
  const Clock::time_point epoch_;
  Layout layout_;
  std::unique_ptr<Painter> painter_;
  std::optional<Scene> frozen_;

  // Pacing thread only.
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::uint8_t> frozen_frame_;  // Frozen: painted once, wrapped by every buffer
  std::uint64_t dropped_frames_ = 0;
  std::int64_t next_key_ = 0;  // frame index of the next forced key frame

  gst::Object<GstElement> pipeline_;
  gst::Object<GstElement> src_;

  mutable std::mutex mutex_;  // guards subscribers_ and last_scene_
  std::vector<EncoderSubscriber*> subscribers_;
  std::optional<Scene> last_scene_;

  std::jthread pacer_;
};

// The running encoders of one server. acquire() finds or starts the encoder for a key and
// subscribes the caller in one step (a Frozen key always starts a new encoder: each freeze
// repeats its own moment); release() hands an encoder its caller no longer reads
// back, and `reap` (scheduled through `schedule`, off any streaming thread) stops encoders
// nobody reads. Thread-safe.
class EncoderPool {
 public:
  EncoderPool(Encoder::Clock::time_point epoch, std::function<void(std::function<void()>)> schedule);
  ~EncoderPool();

  Result<std::shared_ptr<Encoder>> acquire(const EncoderKey& key, const std::optional<Scene>& frozen,
                                           EncoderSubscriber* subscriber);
  // Unsubscribes `subscriber` and schedules a reap. Safe on streaming threads.
  void release(const std::shared_ptr<Encoder>& encoder, EncoderSubscriber* subscriber);
  void reap();
  void stop_all() noexcept;
  std::size_t running() const;

 private:
  const Encoder::Clock::time_point epoch_;
  std::function<void(std::function<void()>)> schedule_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Encoder>> encoders_;  // a handful; searched linearly
};

}  // namespace carekeep::fakecam
