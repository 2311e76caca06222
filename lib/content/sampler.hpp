// content/sampler: the content checks' worker. Recorders offer() every keyframe from their
// ingest threads; one keyframe per camera every sample_seconds is kept (a shared reference to
// the recorder's packet, no copy) in a bounded per-camera queue, and a single low-priority
// thread (nice 10) decodes it with libavcodec and runs the camera's Detector. offer() never
// blocks beyond a short mutex and never waits for the decoder: when a camera's queue is full
// the sample is dropped and counted, the recording is untouched. Decisions go to a listener
// on the worker thread (the daemon posts them to its loop).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "av/av.hpp"
#include "base/time.hpp"
#include "config/config.hpp"
#include "content/analyzer.hpp"
#include "content/gate.hpp"

namespace carekeep::content {

struct SamplerOptions {
  // Samples of one camera queued or being decoded at once. 2: one decoding, one waiting;
  // a slower decoder drops the rest.
  std::size_t queue_per_camera = 2;
  int nice = 10;  // the worker's nice value: recording and the loop always come first
  // The gate (content/gate.hpp) lets samples of a steady stream pass undecoded. Off: every due
  // sample is decoded, as before issue 19 (the benchmark's and the detection-time test's
  // reference).
  bool gate = true;
};

// Counters of one camera (or all, summed), for status and the CPU measurement.
struct SamplerStats {
  std::uint64_t due = 0;        // keyframes offered when a sample was due
  std::uint64_t dropped = 0;    // of those, dropped because the queue was full
  std::uint64_t decoded = 0;    // samples decoded and checked
  std::uint64_t identical = 0;  // samples with the previous sample's bytes: checked without decoding
  std::uint64_t skipped = 0;    // samples the gate let pass undecoded: the stream looked as before
  std::uint64_t failed = 0;     // samples that could not be decoded
  double cpu_seconds = 0;       // worker thread CPU time spent on this camera's samples
};

class Sampler {
 public:
  // `listener` is called on the worker thread with each sample's decision (fault starts and
  // ends in decision.events), and with the closing events of remove(); it must not block long
  // and must not call back into the sampler. `clock` stamps samples (wall clock at offer).
  using Listener = std::function<void(const std::string& camera, const Decision& decision)>;
  Sampler(Listener listener, const Clock* clock = nullptr, SamplerOptions options = {});
  ~Sampler();  // stops the worker; queued samples are discarded
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Adds a camera or changes its checks (any thread). checks.enabled = false behaves like
  // remove(): its open faults end.
  void set_camera(const std::string& camera, const config::ContentChecks& checks);
  // Stops checking a camera; the worker ends its open faults (listener, events only) after
  // any samples already queued for it.
  void remove(const std::string& camera);
  // Recorder threads: every keyframe and its stream's parameters, borrowed for the call, with
  // the bytes and count of the inter frames of the GOP it ends (0 and 0 when unknown). Returns
  // at once. Unknown or disabled cameras are ignored; keyframes between samples only feed the
  // gate's signals.
  void offer(const std::string& camera, const AVCodecParameters& parameters, const AVPacket& keyframe,
             std::int64_t gop_inter_bytes = 0, std::int64_t gop_inter_frames = 0);

  SamplerStats stats(const std::string& camera) const;
  SamplerStats total() const;

 private:
  struct Job {
    std::string camera;
    bool close = false;  // end the camera's faults and forget it
    UtcTime time;
    av::Packet packet;
    av::CodecParameters parameters;
    StreamSizes sizes;
  };
  struct Camera {
    config::ContentChecks checks;
    std::optional<std::chrono::steady_clock::time_point> last_due;
    std::size_t in_queue = 0;  // queued or being decoded
    // The quietest GOP since the last due sample (bytes per inter frame), for the gate.
    std::optional<std::pair<std::int64_t, std::int64_t>> quietest_gop;
    SamplerStats stats;
  };

  void run(std::stop_token stop);

  Listener listener_;
  const Clock* clock_;
  SamplerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Job> jobs_;
  std::map<std::string, Camera, std::less<>> cameras_;
  std::jthread thread_;
};

}  // namespace carekeep::content
