// recorder/recorder: one camera's ingest thread. Connects with backoff, remuxes packets
// into segment files (cut at the first keyframe after the target length), watches for
// stalls and wall-clock steps, and reports everything to a SegmentSink. start()/stop()
// are called from the owner's thread; stop() blocks until the open segment is closed
// (bounded by the read deadline). Does not touch the index.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/time.hpp"
#include "ingest/source.hpp"
#include "recorder/backoff.hpp"
#include "recorder/sink.hpp"

namespace carekeep::recorder {

struct CameraSettings {
  std::string id;
  std::string url;                          // may hold credentials: never log it unredacted
  std::string transport = "tcp";
  ingest::Client client = ingest::Client::Native;  // UDP always uses libavformat
  std::chrono::seconds segment_length{60};
  std::chrono::milliseconds stall_timeout{5000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_cap{30000};
  std::chrono::milliseconds clock_step_threshold{1000};  // realtime vs monotonic disagreement
  ingest::Limits limits;  // bounds on what the camera may send (max_access_unit per camera)
  bool allow_basic_auth = false;
  ingest::TlsOptions tls;  // rtsps:// certificate checks
};

// How soon to try a camera again after `cause`, in or out of care hours (recorder/backoff).
Backoff::Pace pace_after(ingest::DownCause cause, bool in_care);

// The inter frames of the GOP a keyframe ends, as the recorder saw them: what the content
// checks' gate reads a frozen picture from (content/gate.hpp) without decoding anything.
struct GopSizes {
  std::int64_t inter_bytes = 0;
  std::int64_t inter_frames = 0;  // 0 for the first keyframe of a run and for all-intra streams
};

struct RecorderEnv {
  std::filesystem::path storage;   // segment files go under <storage>/<camera>/<local date>/
  TimeZone zone = TimeZone::utc(); // local date and time in file names are for humans
  const Clock* clock = nullptr;    // defaults to the system clock
  SegmentSink* sink = nullptr;
  // Sees every video keyframe on the ingest thread just before it is written, with the
  // run's completed codec parameters. Both are borrowed for the call: an observer that keeps
  // the packet takes its own reference (av_packet_ref shares the buffer, no copy). It must
  // return at once and not throw: it runs on the remux path. Empty for none (the daemon
  // connects the content sampler here; the recorder knows nothing about it).
  std::function<void(const std::string& camera, const AVCodecParameters& parameters, const AVPacket& keyframe,
                     const GopSizes& ending)>
      keyframe_observer;
  // Whether children are in care at a time (the daemon's calendar; called on the camera's
  // thread, so it must be thread-safe). Empty: always, so reconnects are never slowed.
  std::function<bool(UtcTime)> in_care;
};

// A consistent view of the recorder for `status` and metrics; copied under a lock.
struct RecorderSnapshot {
  bool up = false;
  UtcTime since{};                           // when it last went up or down
  std::optional<ingest::DownCause> cause;    // why it is down
  std::string detail;
  DiskFault disk_fault = DiskFault::None;    // cause disk_error: which fault (none while paused)
  std::uint64_t bytes = 0;                   // written since start
  std::uint64_t frames = 0;
  std::uint64_t reconnects = 0;
  std::string video_codec;
  int width = 0;
  int height = 0;
  std::filesystem::path last_segment;        // relative path of the last closed segment
};

class Recorder {
 public:
  Recorder(CameraSettings settings, RecorderEnv env);
  ~Recorder();  // stops
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void start();
  void request_stop();  // returns at once; stop() then waits
  void stop();  // closes the open segment cleanly and reports it before returning
  const CameraSettings& settings() const { return settings_; }
  RecorderSnapshot snapshot() const;
  // Retention's disk-full triage (docs/retention.md, Retention): pause() ends the current run
  // (the open segment is closed cleanly, the run ends with cause disk_error and `reason` as
  // detail) and connects no more until resume(). Thread-safe, returns at once; the
  // recorder thread acts on it at its next packet or within a backoff sleep.
  void pause(std::string reason);
  void resume();
  bool paused() const { return paused_.load(); }

 private:
  void run(std::stop_token stop);
  enum class SessionEnd { Stopped, Ended, FailedBeforeStart };
  // Why a session or a connection attempt failed: the camera's side (ingest::Failure) plus,
  // for disk_error, the disk fault or the pause behind it.
  struct Failed {
    ingest::Failure failure{};
    DiskFault disk_fault = DiskFault::None;
    bool paused = false;
  };
  // Records one RTSP session. A session that fails before its first keyframe never became
  // a run: `failed` says why, and the caller treats it like a failed connection.
  SessionEnd record_session(ingest::Source& source, std::stop_token stop, std::uint64_t& run_key, Failed& failed);
  void report_connect_failure(const Failed& failed, bool& down_reported, std::uint64_t attempts,
                              std::chrono::steady_clock::time_point& last_summary);
  void set_state(bool up, UtcTime since, std::optional<ingest::DownCause> cause, std::string detail,
                 DiskFault disk_fault = DiskFault::None);
  std::filesystem::path next_segment_path(UtcTime start);

  CameraSettings settings_;
  RecorderEnv env_;
  std::jthread thread_;
  mutable std::mutex mutex_;
  RecorderSnapshot snapshot_;
  std::uint64_t next_run_key_ = 1;
  std::uint64_t file_counter_ = 0;
  bool audio_warned_ = false;
  std::atomic<bool> paused_{false};
  std::string pause_reason_;                 // guarded by mutex_
  std::condition_variable_any pause_changed_;  // with mutex_
  std::optional<UtcTime> previous_end_;  // wall-clock end of the run's last closed segment  // one warning per camera, not per reconnect
};

}  // namespace carekeep::recorder
