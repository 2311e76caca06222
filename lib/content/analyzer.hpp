// content/analyzer: decides from decoded keyframes whether a camera's picture is black, covered
// (flat or extremely blurred) or frozen (unchanged beyond sensor noise for frozen_seconds).
// Pure and synchronous: measure() reads one luma plane, Detector keeps one camera's history and
// turns measurements into fault starts and ends. No FFmpeg, no threads, no I/O; the sampler
// (sampler.hpp) decodes and calls these on its worker thread. docs/coverage.md, Content checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "config/config.hpp"

namespace carekeep::content {

// An 8-bit luma plane, borrowed. Values are as decoded (limited range: black is 16).
struct LumaView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;  // bytes from one row to the next
};

// What one picture is, reduced to what the checks need: a 64x36 thumbnail (area averages)
// for brightness, flatness and blur, and a decimated "detail" plane (every k-th pixel, no
// averaging, so sensor noise keeps its full amplitude) for noise and change.
struct Picture {
  static constexpr int kThumbWidth = 64;
  static constexpr int kThumbHeight = 36;

  double mean = 0;      // thumbnail mean luma, 0..255
  double stddev = 0;    // thumbnail luma standard deviation
  double gradient = 0;  // thumbnail mean |dx| + |dy|, luma levels per thumbnail pixel
  double noise = 0;     // sensor noise sigma in luma levels (robust Immerkær estimate on the detail plane)
  int detail_width = 0;
  int detail_height = 0;
  std::vector<float> detail;  // detail_width * detail_height, row-major
};

// Reduces a luma plane of at least 64x36 pixels (one per thumbnail cell) to a Picture. Linear in the pixels it reads: about
// 64x36 area sums plus a detail plane of at most ~480 pixels across.
Picture measure(const LumaView& luma);

// How much `current` differs from `reference` (same geometry, else nullopt): the largest mean
// absolute difference of any tile of an 8x6 grid, so that a small moving child counts as
// much as a change of the whole scene, and the mean over the whole picture.
struct Difference {
  double max_tile = 0;
  double mean = 0;
};
std::optional<Difference> compare(const Picture& reference, const Picture& current);

enum class FaultKind { Black, Frozen, Covered };
std::string_view to_string(FaultKind kind);  // "black" | "frozen" | "covered" (the index's words)

// The measured values behind one sample's verdicts, so an inspector can see why.
struct Measurement {
  double mean = 0;
  double stddev = 0;
  double gradient = 0;
  double noise = 0;
  std::optional<double> difference;           // max tile difference vs the reference; none for the first
  std::optional<double> difference_vs_noise;  // difference / the difference noise alone would cause
  double change_threshold = 0;                // a difference above this is a change
  double seconds_unchanged = 0;               // since the reference sample
  bool identical_keyframe = false;            // same encoded bytes as the previous sample: not decoded
};

// A fault starting or ending. `at` is the sample time that showed the change (for frozen: the
// start is the reference sample, the first of the unchanged stretch). detail is a JSON object
// with the measured values and the thresholds they were compared with.
struct FaultEvent {
  FaultKind kind = FaultKind::Black;
  bool started = true;
  UtcTime at;
  std::string detail;
};

struct Decision {
  UtcTime time;
  Measurement measurement;
  bool dark = false;     // mean <= black_max_mean
  bool flat = false;     // stddev <= flat_max_stddev
  bool blurred = false;  // gradient <= covered_max_gradient
  bool black = false;    // dark and flat (this sample)
  bool covered = false;  // flat or blurred, and not dark (this sample)
  bool unchanged = false;  // no change beyond noise since the reference
  std::vector<FaultEvent> events;  // faults that started or ended with this sample
};

// One camera's checks over time. Black and covered need kConfirmSamples samples in a row to
// start and as many to end, so one odd keyframe neither raises nor clears them; frozen starts
// once the picture has been unchanged for frozen_seconds and ends with the first change.
class Detector {
 public:
  static constexpr int kConfirmSamples = 2;

  explicit Detector(config::ContentChecks checks) : checks_(checks) {}

  // A decoded keyframe taken at `time`; `keyframe_hash` identifies its encoded bytes.
  Decision observe(UtcTime time, Picture picture, std::uint64_t keyframe_hash);
  // A keyframe whose encoded bytes equal the previous sample's: the same picture, not decoded.
  // Precondition: has_previous().
  Decision observe_identical(UtcTime time);
  bool has_previous() const { return previous_.has_value(); }
  std::optional<std::uint64_t> previous_hash() const { return previous_hash_; }

  // Ends every open fault at `at` (camera stopped, removed, or its checks turned off).
  std::vector<FaultEvent> close(UtcTime at);
  void set_checks(const config::ContentChecks& checks) { checks_ = checks; }
  const config::ContentChecks& checks() const { return checks_; }
  bool is_open(FaultKind kind) const;
  // The last sample was anything but a clean, changing picture, or a fault is open or being
  // confirmed: the sampler's gate then decodes every sample, so starts and ends are decided on
  // the same samples as without it.
  bool suspect() const;

 private:
  struct Debounce {
    bool on = false;
    int streak = 0;          // samples in a row that disagree with `on`
    UtcTime streak_start{};  // time of the first of them
  };
  Decision decide(UtcTime time, const Picture& picture, bool identical);
  void step(Debounce& state, FaultKind kind, bool seen, UtcTime time, const std::string& detail,
            std::vector<FaultEvent>& events);
  std::string detail_json(const Decision& decision) const;

  config::ContentChecks checks_;
  std::optional<Picture> previous_;   // the last decoded picture (for identical keyframes)
  std::optional<std::uint64_t> previous_hash_;
  std::optional<Decision> previous_decision_;
  std::optional<Picture> reference_;  // the first picture of the current unchanged stretch
  UtcTime reference_time_{};
  std::optional<UtcTime> last_time_;
  Debounce black_;
  Debounce covered_;
  bool frozen_ = false;
};

// 64-bit FNV-1a of a keyframe's encoded bytes: equal hashes of consecutive samples mean the
// encoder sent the same picture again.
std::uint64_t hash_bytes(const std::uint8_t* data, std::size_t size);

}  // namespace carekeep::content
