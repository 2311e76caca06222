// Fuzzes SDP (RFC 4566) as the native client reads a DESCRIBE answer (native_source.cpp,
// describe()): parse_sdp, a=control resolved against the base URL, the AAC config in hex, and
// the video parameter sets from sprop-* in base64, built into an avcC/hvcC record with the
// picture size read from the SPS.
#include "fuzz_input.hpp"
#include "ingest/depacketizer.hpp"
#include "ingest/rtsp_protocol.hpp"

using namespace carekeep;
using namespace carekeep::ingest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto sdp = rtsp::parse_sdp(fuzz::as_text(data, size));
  if (!sdp) return 0;  // too many lines or media sections: the client refuses the camera
  const std::string base = "rtsp://camera.invalid/live/";
  (void)rtsp::resolve_control(base, sdp->control);
  for (const auto& m : sdp->media) {
    (void)rtsp::resolve_control(base, m.control);
    if (m.encoding == "H264" || m.encoding == "H265") {
      rtp::ParameterSets params(m.encoding == "H265" ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
      params.add_from_fmtp(m.fmtp);
      if (params.complete()) {
        auto record = params.configuration_record();
        (void)record;
        (void)params.picture_size();
      }
    }
    if (auto config = m.fmtp.find("config"); config != m.fmtp.end()) (void)rtsp::hex_decode(config->second);
  }
  return 0;
}
