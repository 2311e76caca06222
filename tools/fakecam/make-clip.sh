#!/usr/bin/env bash
# make-clip.sh: encodes a clip that `carekeep-fakecam --source` can loop without re-encoding
# (NOTES-rtsp-test-server.md): no B-frames, an access unit delimiter on every frame,
# parameter sets repeated at every key frame, a fixed GOP (no scene-cut key frames), and a
# length that is a whole number of GOPs, so the loop point is a key frame.
#
#   make-clip.sh [--codec h264|h265] [--size WxH] [--fps N] [--gop SECONDS] [--seconds N]
#                [--kbps N] [--input FILE] [--scene plain|detailed] OUTPUT.mp4|OUTPUT.mkv
#
# Without --input the picture is FFmpeg's testsrc2 (moving pattern with a frame counter);
# --scene detailed adds temporal sensor-like noise, so keyframes weigh what a real room's do
# at the same bitrate (≈118 kB keyframes at 1080p and 4 Mbit/s): the benchmarks use it.
# Defaults: h264, 1920x1080, 25 fps, 2 s GOP, 60 s, 4000 kbit/s. Needs the ffmpeg CLI.
set -euo pipefail

codec=h264 size=1920x1080 fps=25 gop=2 seconds=60 kbps=4000 input="" output="" scene=plain
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --codec) codec="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --fps) fps="$2"; shift 2 ;;
    --gop) gop="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --kbps) kbps="$2"; shift 2 ;;
    --input) input="$2"; shift 2 ;;
    --scene) scene="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "make-clip.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$output" ] || usage; output="$1"; shift ;;
  esac
done
[ -n "$output" ] || usage
case "$output" in *.mp4|*.mkv) ;; *) echo "make-clip.sh: output must end in .mp4 or .mkv" >&2; exit 2 ;; esac

# GOP in frames, and a frame count that is a whole number of GOPs (at least one).
gop_frames=$(awk -v g="$gop" -v f="$fps" 'BEGIN { n = int(g * f + 0.5); print (n < 1 ? 1 : n) }')
gops=$(awk -v s="$seconds" -v n="$gop_frames" -v f="$fps" 'BEGIN { k = int(s * f / n + 0.5); print (k < 1 ? 1 : k) }')
frames=$((gops * gop_frames))

if [ -n "$input" ]; then
  # Loop the input if it is shorter than the clip; scale and resample to the target.
  source_args=(-stream_loop -1 -i "$input" -vf "scale=${size/x/:},fps=${fps}")
elif [ "$scene" = detailed ]; then
  source_args=(-f lavfi -i "testsrc2=size=${size}:rate=${fps},noise=alls=12:allf=t+u")
elif [ "$scene" = plain ]; then
  source_args=(-f lavfi -i "testsrc2=size=${size}:rate=${fps}")
else
  echo "make-clip.sh: --scene must be plain or detailed" >&2; exit 2
fi

rate_args=(-b:v "${kbps}k" -maxrate "${kbps}k" -bufsize "$((kbps * 2))k")
case "$codec" in
  h264)
    codec_args=(-c:v libx264 -preset veryfast -bf 0 -g "$gop_frames" -keyint_min "$gop_frames"
                -sc_threshold 0 -x264-params "aud=1:repeat-headers=1") ;;
  h265|hevc)
    codec_args=(-c:v libx265 -preset veryfast -tag:v hvc1
                -x265-params "bframes=0:keyint=${gop_frames}:min-keyint=${gop_frames}:scenecut=0:open-gop=0:aud=1:repeat-headers=1:log-level=error") ;;
  *) echo "make-clip.sh: codec must be h264 or h265" >&2; exit 2 ;;
esac
container_args=()
case "$output" in *.mp4) container_args=(-movflags +faststart) ;; esac

ffmpeg -hide_banner -loglevel error -nostdin -y "${source_args[@]}" -an -frames:v "$frames" \
  -pix_fmt yuv420p "${codec_args[@]}" "${rate_args[@]}" "${container_args[@]}" "$output"
echo "make-clip.sh: $output: $codec ${size} ${fps} fps, ${frames} frames = ${gops} GOPs of ${gop_frames}"
