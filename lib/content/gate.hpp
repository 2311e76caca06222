// content/gate: decides, from what the recorder already knows about every packet (its size),
// whether a due keyframe sample needs decoding at all (issue 19). Decoding a detailed 1080p
// keyframe costs ~20 ms of CPU; a camera whose stream looks as it did at the last clean decode
// does not need one every few seconds. The signals:
//  - a black or covered picture compresses to a much smaller keyframe;
//  - a frozen picture (a camera repeating one frame) makes inter frames of almost nothing,
//    while a real still room keeps carrying sensor noise in them;
//  - a scene that changed its nature shows in either size.
// A sample is decoded while the camera is learning its baseline, whenever a signal moved away
// from the baseline learned on clean decodes, whenever the detector is suspicious or has a
// fault open (so starts and ends are confirmed exactly as before), and at least every
// `regular_every` as a slow safety net. Streams without inter frames (all-intra) give no
// motion signal and are decoded at every sample, as before. Pure: no clock, no FFmpeg.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/time.hpp"

namespace carekeep::content {

// The sizes the recorder saw since the previous due sample of a camera: the due keyframe, and
// of the GOPs in between the one with the fewest bytes per inter frame (a freeze shows as soon
// as one whole GOP is frozen, not only when the whole interval is).
struct StreamSizes {
  std::int64_t keyframe_bytes = 0;
  std::int64_t inter_bytes = 0;   // that GOP's non-key video frames
  std::int64_t inter_frames = 0;  // 0: none seen (all-intra stream, or the first keyframe of a run)
};

struct GateOptions {
  double keyframe_low = 0.6;   // keyframe below this share of the baseline: decode
  double keyframe_high = 1.67; // ... or above this multiple of it
  double inter_low = 0.5;      // mean inter frame below this share of the baseline: decode
  int learn_samples = 3;       // clean decodes before any sample is skipped
  double weight = 0.2;         // of a new clean decode in the baseline (exponential average)
  Micros regular_every{120'000'000};  // a decode at least this often, whatever the signals say
};

enum class GateReason {
  Learning,         // no baseline yet
  Suspect,          // the detector's last decision was not clean, or a fault is open
  KeyframeSmaller,  // black or covered picture suspected
  KeyframeLarger,
  MotionDropped,    // frozen picture suspected
  NoMotionSignal,   // all-intra stream: nothing to compare
  Regular,          // the safety net
  Steady,           // skipped: the signals are where the last clean decodes left them
};
std::string_view to_string(GateReason reason);

struct GateChoice {
  bool decode = true;
  GateReason reason = GateReason::Learning;
};

class SampleGate {
 public:
  explicit SampleGate(GateOptions options = {}) : options_(options) {}

  // A due sample at `time`: decode it or not. `suspect`: the detector wants every sample.
  GateChoice choose(UtcTime time, const StreamSizes& sizes, bool suspect) const;
  // A sample was decoded at `time`; `clean` when the detector found nothing wrong with it, which
  // makes its sizes part of the baseline.
  void decoded(UtcTime time, const StreamSizes& sizes, bool clean);
  void set_regular_every(Micros every) { options_.regular_every = every; }

 private:
  GateOptions options_;
  int clean_ = 0;
  double keyframe_ = 0;  // baseline keyframe bytes
  double inter_ = 0;     // baseline bytes per inter frame
  bool inter_known_ = false;
  std::optional<UtcTime> last_decode_;
};

}  // namespace carekeep::content
