#!/usr/bin/env bash
# Regenerates the seed inputs of tests/fuzz/corpus/ that come from real encoders and muxers:
# RTP packets from GStreamer's payloaders (the ones carekeep-fakecam serves), length-prefixed
# as the depacketize_* harnesses read them, and fragmented MP4 from FFmpeg's muxer with the
# segment writer's movflags (lib/segment/segment_file.cpp). The other seeds (RTSP messages, SDP,
# challenges, config, smart.json, control messages) are written by hand from real ones and
# committed as they are. Needs the packages of tools/install-deps.sh; small on purpose: a
# seed is a few KB, so libFuzzer mutates it quickly.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$here/corpus"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# capture NAME PIPELINE...: every RTP packet of the pipeline into $tmp/NAME/NNN.
capture() {
  local name=$1; shift
  mkdir -p "$tmp/$name"
  gst-launch-1.0 -q "$@" ! multifilesink location="$tmp/$name/%03d" >/dev/null
}
video="video/x-raw,format=I420,width=64,height=48,framerate=10/1"
# Single NAL units and FU-A (small MTU), SPS/PPS before every IDR.
capture h264 videotestsrc num-buffers=4 pattern=ball ! "$video" ! x264enc key-int-max=3 tune=zerolatency ! \
  rtph264pay mtu=100 config-interval=-1
# STAP-A (aggregate-mode=zero-latency puts SPS, PPS and small slices together).
capture h264-stap videotestsrc num-buffers=3 pattern=smpte ! "$video" ! x264enc key-int-max=2 tune=zerolatency ! \
  rtph264pay mtu=400 config-interval=-1 aggregate-mode=zero-latency
capture h265 videotestsrc num-buffers=5 pattern=ball ! "video/x-raw,format=I420,width=64,height=64,framerate=10/1" ! \
  x265enc key-int-max=2 tune=zerolatency speed-preset=ultrafast ! rtph265pay mtu=120 config-interval=-1
# AAC-hbr as cameras send it: sizelength=13, indexlength=3, indexdeltalength=3.
capture aac audiotestsrc num-buffers=4 samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=1 ! avenc_aac ! rtpmp4gpay

# Length-prefixed packet sequences of at most ~3 KB each; AAC seeds start with the parameter
# bytes of depacketize_fuzz.cpp (13, 3, 3, clock rate 48000 = index 0).
python3 - "$tmp" "$corpus" <<'PY'
import os, sys
tmp, corpus = sys.argv[1], sys.argv[2]
def pack(name, harness, prefix=b"", limit=3000):
    files = sorted(os.listdir(os.path.join(tmp, name)))
    out, part, n = prefix, 0, 0
    os.makedirs(os.path.join(corpus, harness), exist_ok=True)
    for f in files:
        p = open(os.path.join(tmp, name, f), "rb").read()
        if len(out) + 2 + len(p) > limit and len(out) > len(prefix):
            open(os.path.join(corpus, harness, f"{name}-{part}.rtp"), "wb").write(out)
            out, part = prefix, part + 1
        out += len(p).to_bytes(2, "big") + p
    open(os.path.join(corpus, harness, f"{name}-{part}.rtp"), "wb").write(out)
pack("h264", "depacketize_h264")
pack("h264-stap", "depacketize_h264")
pack("h265", "depacketize_h265")
pack("aac", "depacketize_aac", prefix=bytes([13, 3, 3, 0]))
PY

# A fragmented MP4 as the segment writer makes it (ftyp, moov, moof+mdat pairs, mfra), a tiny
# picture so the seed stays small; and the same file cut short in its last fragment, as a crash
# leaves it.
mkdir -p "$corpus/fragment_scan" "$corpus/box_scanner"
ffmpeg -v error -y -f lavfi -i color=c=gray:size=32x32:rate=10 -t 0.4 -c:v libx264 -g 2 -preset ultrafast \
  -movflags frag_keyframe+empty_moov+default_base_moof -f mp4 "$tmp/segment.mp4"
cp "$tmp/segment.mp4" "$corpus/fragment_scan/closed.mp4"
size=$(stat -c %s "$tmp/segment.mp4")
head -c $((size - 150)) "$tmp/segment.mp4" > "$corpus/fragment_scan/cut.mp4"
# box_scanner's first byte is the size of the pieces it feeds (here 64 bytes).
{ printf '\077'; cat "$tmp/segment.mp4"; } > "$corpus/box_scanner/segment-64.bin"
{ printf '\000'; head -c $((size - 150)) "$tmp/segment.mp4"; } > "$corpus/box_scanner/cut-1.bin"
