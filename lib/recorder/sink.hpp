// recorder/sink: what a camera's recorder reports, and to whom. The recorder calls these
// from its ingest thread, in order per camera; implementations must return quickly (the
// daemon posts them to its event loop, tests commit them directly) and must not throw.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/disk_fault.hpp"
#include "base/time.hpp"
#include "ingest/source.hpp"
#include "segment/segment_file.hpp"

namespace carekeep::recorder {

struct RunStarted {           // the camera is up: one RTSP session begins
  std::string camera;
  std::uint64_t run_key;      // unique per recorder; ties segments to their run
  UtcTime time;
  std::string video_codec;    // "h264" | "hevc"
  int width = 0;
  int height = 0;
  std::string audio_codec;    // "aac" or empty
};

struct RunEnded {             // the session ended
  std::string camera;
  std::uint64_t run_key;
  UtcTime time;
  std::optional<ingest::DownCause> cause;  // empty: stopped on purpose (shutdown, reload)
  std::string detail;
  // cause disk_error: the fault the segment write met (segment/segment_file), or `paused`
  // when retention's triage paused recording (no fault: nothing failed).
  DiskFault disk_fault = DiskFault::None;
  bool paused = false;
};

struct ConnectFailed {        // an attempt to connect failed (no run began)
  std::string camera;
  UtcTime time;
  ingest::DownCause cause;
  std::string detail;
  bool first_of_outage;       // the first failure since the camera was last up (or ever)
  DiskFault disk_fault = DiskFault::None;  // as in RunEnded (a pause before the first keyframe)
  bool paused = false;
};

struct SegmentOpened {
  std::string camera;
  std::uint64_t run_key;
  std::uint64_t seq;          // within the run, from 0
  std::filesystem::path path; // relative to the storage root, final name (without .partial)
  UtcTime start;
};

struct SegmentClosed {
  std::string camera;
  std::uint64_t run_key;
  std::uint64_t seq;
  std::filesystem::path path; // relative to the storage root
  segment::ClosedSegment segment;  // its start may be earlier than the opened one (a late
                                   // first packet, docs/recording.md "Segment start times")
  std::string video_codec;
  int width = 0;
  int height = 0;
  std::string audio_codec;
};

// The open segment's newest durable checkpoint (segment::Checkpoint): after a crash, recovery
// adopts its .partial only if the file still begins with these bytes (issue 15, review G2).
// About once a second per camera; only the latest matters.
struct SegmentProgress {
  std::string camera;
  std::uint64_t run_key;
  std::uint64_t seq;
  std::filesystem::path path; // relative to the storage root, final name (as opened)
  segment::Checkpoint checkpoint;
  UtcTime time;               // wall clock when the checkpoint was made durable
};

// A segment that failed before its first complete fragment: its file is gone.
struct SegmentDiscarded {
  std::string camera;
  std::filesystem::path path;
  std::string reason;
  DiskFault disk_fault = DiskFault::None;  // why the write failed, when it was the disk
};

struct ClockStep {
  std::string camera;         // the recorder that noticed it
  UtcTime time;               // wall clock after the step
  Micros step;                // signed: positive = jumped forward
};

class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  virtual void run_started(const RunStarted&) = 0;
  virtual void run_ended(const RunEnded&) = 0;
  virtual void connect_failed(const ConnectFailed&) = 0;
  // Returns once the segment's open row is durable (or after a short bounded wait): the
  // recorder calls it with only the file's header written, before any fragment.
  virtual void segment_opened(const SegmentOpened&) = 0;
  virtual void segment_progress(const SegmentProgress&) = 0;
  virtual void segment_closed(const SegmentClosed&) = 0;
  virtual void segment_discarded(const SegmentDiscarded&) = 0;
  virtual void clock_stepped(const ClockStep&) = 0;
};

}  // namespace carekeep::recorder
