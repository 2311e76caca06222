# Crashes the fuzzers found that are not fixed yet, as <harness>/<file> of regressions/. Their
# replay and their harness's quick run are registered but DISABLED (ctest lists them as "Not
# Run (Disabled)", never as passed), so the default run stays green while the fix is under way
# and fuzzes everything else. Fixing one: delete its line here; the replay then runs by default.
# regressions/README.md says what each one is.
set(CAREKEEP_FUZZ_OPEN_CRASHES
  # lib/ingest, H.264 SPS picture size in int (depacketizer.cpp parse_h264_size): signed overflow.
  depacketize_h264/sps-width-overflows-int.rtp
  depacketize_h264/sps-field-pair-height-overflows-int.rtp
  depacketize_h264/sps-map-units-height-overflows-int.rtp
  depacketize_h264/sps-crop-overflows-int.rtp
  sdp/sprop-sps-crop-overflows-int.sdp
  # lib/ingest, AAC AU headers (AacDepacketizer::push): sizelength + index(delta)length <= 0
  # never advances, so the header loop grows a vector until memory runs out.
  depacketize_aac/index-delta-length-cancels-size-length.rtp
  depacketize_aac/index-length-cancels-size-length.rtp
)
