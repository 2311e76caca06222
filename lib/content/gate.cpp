#include "content/gate.hpp"

namespace carekeep::content {

std::string_view to_string(GateReason reason) {
  switch (reason) {
    case GateReason::Learning: return "learning";
    case GateReason::Suspect: return "suspect";
    case GateReason::KeyframeSmaller: return "keyframe_smaller";
    case GateReason::KeyframeLarger: return "keyframe_larger";
    case GateReason::MotionDropped: return "motion_dropped";
    case GateReason::NoMotionSignal: return "no_motion_signal";
    case GateReason::Regular: return "regular";
    case GateReason::Steady: return "steady";
  }
  return "unknown";
}

GateChoice SampleGate::choose(UtcTime time, const StreamSizes& sizes, bool suspect) const {
  if (suspect) return {true, GateReason::Suspect};
  if (clean_ < options_.learn_samples) return {true, GateReason::Learning};
  if (sizes.inter_frames <= 0 || !inter_known_) return {true, GateReason::NoMotionSignal};
  const auto key = static_cast<double>(sizes.keyframe_bytes);
  if (key < options_.keyframe_low * keyframe_) return {true, GateReason::KeyframeSmaller};
  if (key > options_.keyframe_high * keyframe_) return {true, GateReason::KeyframeLarger};
  const double inter = static_cast<double>(sizes.inter_bytes) / static_cast<double>(sizes.inter_frames);
  if (inter < options_.inter_low * inter_) return {true, GateReason::MotionDropped};
  if (!last_decode_ || time - *last_decode_ >= options_.regular_every) return {true, GateReason::Regular};
  return {false, GateReason::Steady};
}

void SampleGate::decoded(UtcTime time, const StreamSizes& sizes, bool clean) {
  last_decode_ = time;
  if (!clean) return;  // a faulty picture must not become what "normal" looks like
  const auto key = static_cast<double>(sizes.keyframe_bytes);
  const bool has_inter = sizes.inter_frames > 0;
  const double inter = has_inter ? static_cast<double>(sizes.inter_bytes) / static_cast<double>(sizes.inter_frames) : 0;
  if (clean_ == 0) {
    keyframe_ = key;
  } else {
    keyframe_ += options_.weight * (key - keyframe_);
  }
  if (has_inter) {
    inter_ = inter_known_ ? inter_ + options_.weight * (inter - inter_) : inter;
    inter_known_ = true;
  }
  ++clean_;
}

}  // namespace carekeep::content
