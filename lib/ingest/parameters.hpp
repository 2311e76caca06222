// ingest/parameters: completes a video stream's codec parameters from its first keyframe
// without opening a decoder. RTSP's SDP often lacks the picture size (and some cameras omit
// sprop-parameter-sets), but the MP4 header needs both before the first sample: the
// extract_extradata filter copies SPS/PPS(/VPS) out of the keyframe, and the codec's parser
// (a bitstream parser, not a decoder) reads width and height from the SPS. Called on the
// camera's ingest thread once per run; cheap (one packet).
#pragma once

#include "av/av.hpp"
#include "base/error.hpp"

namespace carekeep::ingest {

// Fills `par->extradata` (if empty) and `par->width/height` (if zero) from `keyframe`.
// Fails InvalidArgument when the keyframe carries no parameter sets and none are known.
Status complete_parameters(AVCodecParameters* par, const AVPacket* keyframe);

}  // namespace carekeep::ingest
