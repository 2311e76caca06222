#!/usr/bin/env bash
# Recording benchmark, side by side in one run: N looping streams of a detailed moving scene
# from carekeep-fakecam on 127.0.0.1, recorded in turn for SECONDS each by
#   floor        tools/bench/rtsp_copy.py: every byte from the socket to a file, synced each second
#   ffmpeg       N `ffmpeg -rtsp_transport tcp -i URL -c copy -f segment` processes
#   content-off  carekeepd with [content] enabled = false (the recording path alone)
#   content-on   carekeepd as configured by default (content checks on)
#   other        carekeepd from --other-build DIR (another commit's build), its default config
#                without a [content] table (so a build from before content checks reads it)
# and reports CPU seconds per stream-minute, RSS per stream, frames recorded per stream-second
# against the 25 served, and each recorder's ratio to ffmpeg and to the floor.
#
#   tools/bench/record.sh [--streams N] [--seconds S] [--codec h264|h265] [--size WxH]
#                         [--kbps K] [--build DIR] [--client native|libavformat]
#                         [--other-build DIR] [--runs "floor ffmpeg content-off content-on"]
# Defaults: 16 streams, 60 s, h264, 1920x1080, 4000 kbit/s (8000 for h265), build/ci, native
# client, all runs but `other` (added when --other-build is given). The clip (testsrc2 with
# temporal noise, 2 s GOP, 20 s) is kept in /tmp/carekeep-bench-clips for the next run.
# Loopback traffic only. KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
streams=16 seconds=60 codec=h264 size=1920x1080 kbps="" build=build/ci client=native other_build="" runs=""
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --streams) streams="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --codec) codec="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --kbps) kbps="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --client) client="$2"; shift 2 ;;
    --other-build) other_build="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$kbps" ] || { [ "$codec" = h265 ] && kbps=8000 || kbps=4000; }
[ -n "$runs" ] || { runs="floor ffmpeg content-off content-on"; [ -z "$other_build" ] || runs="$runs other"; }
fakecam="$build/tools/fakecam/carekeep-fakecam"
carekeepd="$build/daemon/carekeepd"
for bin in "$fakecam" "$carekeepd" ${other_build:+"$other_build/daemon/carekeepd"}; do
  [ -x "$bin" ] || { echo "record.sh: $bin not built; run tools/test.sh or cmake --build --preset ci first" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "record.sh: ffmpeg CLI missing; run tools/install-deps.sh" >&2; exit 1; }

work="$(mktemp -d /tmp/carekeep-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT

clk_tck=$(getconf CLK_TCK)
# CPU seconds (user+system) a process has used so far, and its resident set.
cpu_seconds() { awk -v t="$clk_tck" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
sum() { awk '{ s += $1 } END { printf "%.3f", s }'; }

clips=/tmp/carekeep-bench-clips
mkdir -p "$clips"
clip="$clips/detailed-$codec-$size-$kbps.mp4"
if [ ! -s "$clip" ]; then
  echo "== making a detailed $size $codec clip at $kbps kbit/s (2 s GOP, 20 s; once, kept in $clips)"
  tools/fakecam/make-clip.sh --scene detailed --codec "$codec" --size "$size" --gop 2 --seconds 20 \
    --kbps "$kbps" "$clip.tmp.mp4" >/dev/null
  mv "$clip.tmp.mp4" "$clip"
fi
keyframe_kb=$(ffprobe -v error -select_streams v -show_entries packet=size,flags -of csv=p=0 "$clip" |
  awk -F, '$2 ~ /K/ { s += $1; n++ } END { printf "%.0f", n ? s / n / 1000 : 0 }')

cams=()
for i in $(seq 1 "$streams"); do cams+=(--camera "cam$i"); done
mkfifo "$work/fakecam.in"
sleep 100000 >"$work/fakecam.in" &
pids+=($!)
"$fakecam" --port 0 --source "$clip" "${cams[@]}" <"$work/fakecam.in" >"$work/fakecam.out" 2>"$work/fakecam.err" &
fakecam_pid=$!
pids+=($fakecam_pid)
for _ in $(seq 1 600); do  # each camera's media is prepared at start: up to a GOP each
  [ "$(grep -c '^fakecam ready' "$work/fakecam.out" || true)" -ge "$streams" ] && break
  sleep 0.1
done
[ "$(grep -c '^fakecam ready' "$work/fakecam.out" || true)" -ge "$streams" ] || {
  echo "record.sh: carekeep-fakecam did not get ready:" >&2; cat "$work/fakecam.err" >&2; exit 1; }
url() { grep '^fakecam ready' "$work/fakecam.out" | grep -o "rtsp://[^ ]*/$1\$" | head -1; }
urls=()
for i in $(seq 1 "$streams"); do urls+=("$(url "cam$i")"); done

results="$work/results"
: >"$results"
# record LABEL CPU_SECONDS WALL RSS_KIB FPS: one line of results.
record() { echo "$1|$2|$3|$4|$5" >>"$results"; }

# Measure SECONDS of the processes in $@ from now; prints "cpu wall rss_kib".
measure() {
  local cpu0 cpu1 t0 t1 rss=0
  cpu0=$(for p in "$@"; do cpu_seconds "$p"; done | sum)
  t0=$(date +%s.%N)
  sleep "$seconds"
  cpu1=$(for p in "$@"; do cpu_seconds "$p"; done | sum)
  t1=$(date +%s.%N)
  for p in "$@"; do rss=$((rss + $(rss_kib "$p"))); done
  awk -v a="$cpu0" -v b="$cpu1" -v t0="$t0" -v t1="$t1" -v r="$rss" 'BEGIN { printf "%.3f %.3f %d\n", b - a, t1 - t0, r }'
}

run_floor() {
  echo "== floor: rtsp_copy.py, $streams sessions"
  python3 tools/bench/rtsp_copy.py "$work/floor" "${urls[@]}" >"$work/floor.out" 2>"$work/floor.err" &
  local pid=$!
  pids+=($pid)
  for _ in $(seq 1 300); do grep -q '^rtsp_copy ready' "$work/floor.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^rtsp_copy ready' "$work/floor.out" || { echo "record.sh: the floor did not start:" >&2; cat "$work/floor.err" >&2; exit 1; }
  sleep 2
  read -r cpu wall rss < <(measure "$pid")
  kill -TERM "$pid"; wait "$pid" || true
  record "floor: socket to file, synced each second (rtsp_copy.py)" "$cpu" "$wall" "$rss" "-"
  rm -rf "$work/floor"
}

run_ffmpeg() {
  echo "== ffmpeg: $streams processes"
  mkdir -p "$work/ff"
  local ff_pids=() i pid
  start_ffmpeg() {  # $1 = camera number; prints the pid
    mkdir -p "$work/ff/cam$1"
    ffmpeg -nostdin -hide_banner -loglevel error -rtsp_transport tcp -i "${urls[$(($1 - 1))]}" -c copy -f segment \
      -segment_time 10 -reset_timestamps 1 "$work/ff/cam$1/%05d.mp4" >/dev/null 2>>"$work/ff/cam$1.log" &
    echo $!
  }
  for i in $(seq 1 "$streams"); do ff_pids+=("$(start_ffmpeg "$i")"); done
  # Connection setup and stream probing (ffmpeg decodes frames to probe) are not counted.
  # The ffmpeg CLI does not reconnect: one whose first connection failed is started again.
  for _ in 1 2 3; do
    sleep 3
    for i in $(seq 1 "$streams"); do
      pid=${ff_pids[$((i - 1))]}
      kill -0 "$pid" 2>/dev/null || ff_pids[$((i - 1))]="$(start_ffmpeg "$i")"
    done
  done
  sleep 3
  pids+=("${ff_pids[@]}")
  read -r cpu wall rss < <(measure "${ff_pids[@]}")
  for pid in "${ff_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  # Started in command substitutions, they are not this shell's children: `wait` cannot
  # wait for them, so poll until each has written its last segment's index and exited.
  for pid in "${ff_pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  # Frames per second of media over the segment files (whole run, setup included).
  local fps
  fps=$(for f in "$work"/ff/cam*/*.mp4; do
          ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets:format=duration \
            -of default=nw=1:nk=1 "$f" 2>/dev/null | paste -sd' '
        done | awk 'NF == 2 { n += $1; d += $2 } END { printf "%.2f", (d > 0 ? n / d : 0) }')
  record "ffmpeg -c copy -f segment (a process per stream)" "$cpu" "$wall" "$rss" "$fps"
  [ -n "${KEEP:-}" ] || rm -rf "$work/ff"
}

# run_carekeepd LABEL BINARY CONTENT(on|off|absent)
run_carekeepd() {
  local label="$1" bin="$2" content="$3" dir="$work/ck-$RANDOM"
  echo "== $label"
  mkdir -p "$dir"
  {
    printf '[site]\nname = "bench"\ntimezone = "UTC"\nstorage = "%s"\ndatabase = "%s"\n' "$dir/media" "$dir/index.db"
    printf '[care_hours]\n'
    for d in monday tuesday wednesday thursday friday saturday sunday; do printf '%s = ["00:00-24:00"]\n' "$d"; done
    [ "$content" = off ] && printf '[content]\nenabled = false\n'
    local zone_cams="" i
    for i in $(seq 1 "$streams"); do
      printf '[[camera]]\nid = "cam%d"\nurl = "%s"\nclient = "%s"\nsegment_seconds = 10\n' "$i" "${urls[$((i - 1))]}" "$client"
      zone_cams="$zone_cams\"cam$i\","
    done
    printf '[[zone]]\nid = "all"\ncameras = [%s]\n' "${zone_cams%,}"
  } >"$dir/carekeep.toml"
  "$bin" --config "$dir/carekeep.toml" 2>"$dir/carekeepd.log" &
  local pid=$!
  pids+=($pid)
  # Measured from the moment every camera is up, so connection setup is not counted.
  for _ in $(seq 1 300); do
    [ "$(grep -c camera_up "$dir/carekeepd.log" || true)" -ge "$streams" ] && break
    sleep 0.1
  done
  [ "$(grep -c camera_up "$dir/carekeepd.log" || true)" -ge "$streams" ] || {
    echo "record.sh: not every camera came up under $bin:" >&2; tail -20 "$dir/carekeepd.log" >&2; exit 1; }
  sleep 2
  read -r cpu wall rss < <(measure "$pid")
  kill -TERM "$pid"; wait "$pid" || true
  local fps
  fps=$(sqlite3 "$dir/index.db" "select printf('%.2f', coalesce(sum(frames), 0) * 1e6 / max(sum(duration_us), 1)) from segment")
  record "$label" "$cpu" "$wall" "$rss" "$fps"
  rm -rf "$dir"
}

for r in $runs; do
  case "$r" in
    floor) run_floor ;;
    ffmpeg) run_ffmpeg ;;
    content-off) run_carekeepd "carekeepd, $client client, content checks off" "$carekeepd" off ;;
    content-on) run_carekeepd "carekeepd, $client client, content checks on (default)" "$carekeepd" on ;;
    other) run_carekeepd "carekeepd from $other_build, $client client, its default" "$other_build/daemon/carekeepd" absent ;;
    *) echo "record.sh: unknown run $r" >&2; exit 2 ;;
  esac
done

echo
echo "$streams streams of a detailed $size $codec scene (keyframes ≈ $keyframe_kb kB, $kbps kbit/s, 25 fps served)"
echo "from carekeep-fakecam --source on 127.0.0.1, $seconds s measured per recorder, $(date -u +%Y-%m-%d), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk -F'|' -v n="$streams" '
  { label[NR] = $1; cpu[NR] = $2 / (n * $3 / 60); mib[NR] = $4 / 1024 / n; fps[NR] = $5
    if ($1 ~ /^floor/) floor = cpu[NR]; if ($1 ~ /^ffmpeg/) ff = cpu[NR] }
  END {
    print "| recorder | CPU-s per stream-minute | RSS per stream (MiB) | fps recorded | ÷ ffmpeg (CPU) | ÷ floor (CPU) |"
    print "|---|---|---|---|---|---|"
    for (i = 1; i <= NR; i++)
      printf "| %s | %.3f | %.2f | %s | %s | %s |\n", label[i], cpu[i], mib[i], fps[i],
             ff ? sprintf("%.2f", cpu[i] / ff) : "-", floor ? sprintf("%.1f", cpu[i] / floor) : "-"
  }' "$results"
