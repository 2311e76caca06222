# The libFuzzer harnesses (tests/fuzz/CMakeLists.txt builds fuzz_<name>); each has a seed
# corpus in corpus/<name>/ and may have crash reproducers in regressions/<name>/.
set(CAREKEEP_FUZZ_HARNESSES
  rtsp_message sdp rtsp_challenge
  depacketize_h264 depacketize_h265 depacketize_aac
  box_scanner fragment_scan
  config smart control_wire web_http)
