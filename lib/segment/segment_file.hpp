// segment/segment_file: writes one fragmented MP4 segment by remuxing reference-counted
// packets (never decoding), hashing every byte with SHA-256 as it goes to the file, and
// making it durable: `<name>.partial` while open, fdatasync at least every second,
// renamed to `<name>` when closed. Owned and called by one camera's ingest thread; calls
// block on disk I/O. Does not decide when to cut segments (recorder does).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "av/av.hpp"
#include "base/disk_fault.hpp"
#include "base/error.hpp"
#include "base/time.hpp"
#include "segment/hash.hpp"

namespace carekeep::segment {

// The streams a segment carries, copied from the input (codec parameters and time bases).
struct StreamLayout {
  const AVCodecParameters* video = nullptr;
  AVRational video_time_base{1, 90000};
  const AVCodecParameters* audio = nullptr;  // AAC only; null when absent or dropped
  AVRational audio_time_base{1, 48000};
  AVRational frame_rate{25, 1};  // a hint, used only to date a first frame that has no timestamp
};

struct WriterOptions {
  // Longest stretch of data that may sit only in the page cache. PRODUCT.md §2: a power cut
  // loses at most ~2 s; fragments are at most 1 s long, so syncing every second keeps it there.
  std::chrono::milliseconds sync_interval{1000};
  std::chrono::microseconds max_fragment{1'000'000};
};

// Why a segment file could not be created, written or closed: the Error, and the disk fault
// the failing call's errno stands for, typed here where the call failed (ENOSPC, EDQUOT,
// EROFS, EIO, ...; None when it was not the disk: a muxer error, a bad stream).
struct WriteError : Error {
  DiskFault disk = DiskFault::None;
  WriteError() = default;
  WriteError(Error error, DiskFault fault = DiskFault::None) : Error(std::move(error)), disk(fault) {}  // NOLINT: implicit
};
template <class T>
using WriteResult = tl::expected<T, WriteError>;

// What a closed segment reports to the index.
struct ClosedSegment {
  std::filesystem::path path;      // final path (after rename)
  UtcTime start;                   // wall clock at the first packet
  Micros duration{0};              // media time: last video pts + frame duration - first
  std::uint64_t size_bytes = 0;
  std::uint64_t frames = 0;        // video frames
  std::uint64_t keyframes = 0;
  Sha256 sha256{};
  bool truncated = false;          // closed after a write error, cut at the last whole fragment
  std::string truncation_reason;
  DiskFault truncation_fault = DiskFault::None;  // the write error's, when truncated (None: not a disk fault)
};

// A durable prefix of the open file (issue 15, "Only recorded footage is evidence"): its first
// `bytes` bytes hash to `sha256`, and they were on disk (fdatasync returned) before this was
// handed out, so no crash or power cut can leave the file shorter than `bytes`. `bytes` is
// always the start of a fragment with at least one whole fragment before it: a cut at the last
// complete fragment (recovery, or close() after a write error) never goes below it, and the
// prefix holds footage, not only the header that every segment of a camera shares.
struct Checkpoint {
  std::uint64_t bytes = 0;
  Sha256 sha256{};
};

class SegmentFile {
 public:
  // Creates `final_path` + ".partial" exclusively (an existing file is never overwritten)
  // and writes the MP4 header. `start` is the wall clock at the first packet.
  static WriteResult<std::unique_ptr<SegmentFile>> create(const std::filesystem::path& final_path,
                                                     const StreamLayout& layout, UtcTime start,
                                                     const WriterOptions& options = {});
  ~SegmentFile();  // an unclosed file is closed best-effort (as after a write error)
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  // Takes over the packet's reference (the packet is left blank); `stream` is 0 = video,
  // 1 = audio. Timestamps are in the input time base of that stream. A write error (disk
  // full, I/O error) is returned; the caller then calls close(), which cuts the file back
  // to its last complete fragment so it stays playable.
  WriteResult<void> write(AVPacket* packet, int stream);

  // Writes the trailer (or, after a write error, truncates to the last complete fragment),
  // fsyncs, renames `.partial` away, fsyncs the directory. ClosedSegment::truncation_fault is
  // the disk fault of the write error it was cut after.
  WriteResult<ClosedSegment> close();

  const std::filesystem::path& partial_path() const { return partial_path_; }
  const std::filesystem::path& final_path() const { return final_path_; }
  Micros media_duration() const;
  // Media time of the last video packet written (its DTS after re-anchoring, relative to
  // the segment's first packet: the timeline media_duration() is measured on); none before
  // the first timed video packet.
  std::optional<Micros> last_video_time() const;
  std::uint64_t bytes_written() const;
  std::uint64_t frames() const { return frames_; }
  // The newest checkpoint made durable since the last call (at most one per sync_interval),
  // or nullopt. Costs one copy of the SHA-256 state taken at the fragment boundary; reads
  // nothing back from the file.
  std::optional<Checkpoint> take_checkpoint();

 private:
  struct Sink;
  SegmentFile() = default;
  WriteResult<void> open(const StreamLayout& layout, const WriterOptions& options);
  WriteResult<void> write_timed(AVPacket* packet, int stream);

  std::filesystem::path final_path_;
  std::filesystem::path partial_path_;
  UtcTime start_{};
  std::unique_ptr<Sink> sink_;
  av::OutputFormat output_;
  AVRational in_time_base_[2]{{1, 90000}, {1, 48000}};
  std::int64_t first_dts_[2]{AV_NOPTS_VALUE, AV_NOPTS_VALUE};
  std::int64_t last_dts_[2]{AV_NOPTS_VALUE, AV_NOPTS_VALUE};
  std::int64_t shift_[2]{0, 0};              // keeps DTS monotonic across camera jumps
  std::int64_t last_video_pts_end_ = 0;      // in the video input time base, relative to start
  std::int64_t typical_frame_ = 0;           // last sane frame duration, input time base
  std::uint64_t frames_ = 0;
  std::uint64_t keyframes_ = 0;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
  av::Packet held_;                          // a first video packet without timestamps
  AVRational frame_rate_{25, 1};
  bool has_audio_ = false;
  bool failed_ = false;
  bool closed_ = false;
  std::string failure_;
  DiskFault failure_fault_ = DiskFault::None;  // of the write that failed, from its errno
};

}  // namespace carekeep::segment
