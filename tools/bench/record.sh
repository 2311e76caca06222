#!/usr/bin/env bash
# Recording benchmark: N looping 1080p H.264 streams from carekeep-fakecam on 127.0.0.1,
# recorded for SECONDS by carekeepd, then by N `ffmpeg -c copy -f segment` processes, in the
# same run. Reports CPU seconds per stream-minute, RSS per stream and frames recorded versus
# frames served, and the ratios carekeepd / ffmpeg.
#
#   tools/bench/record.sh [--streams N] [--seconds S] [--kbps K] [--build DIR] [--client C]
# Defaults: 16 streams, 60 s, 4000 kbit/s, build/ci (the build tools/test.sh and tools/demo.sh share), client native (the RTSP client
# carekeepd uses: native | libavformat). Loopback traffic only.
set -euo pipefail
cd "$(dirname "$0")/../.."
streams=16 seconds=60 kbps=4000 build=build/ci client=native
while [ $# -gt 0 ]; do
  case "$1" in
    --streams) streams="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --kbps) kbps="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --client) client="$2"; shift 2 ;;
    *) echo "usage: $0 [--streams N] [--seconds S] [--kbps K] [--build DIR] [--client native|libavformat]" >&2; exit 2 ;;
  esac
done
fakecam="$build/tools/fakecam/carekeep-fakecam"
carekeepd="$build/daemon/carekeepd"
for bin in "$fakecam" "$carekeepd"; do
  [ -x "$bin" ] || { echo "record.sh: $bin not built; run cmake --build --preset ci first" >&2; exit 1; }
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
# CPU seconds (user+system) a process has used so far.
cpu_seconds() { awk -v t="$clk_tck" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

echo "== making a ${kbps} kbit/s 1080p H.264 clip (2 s GOP, 10 s)"
tools/fakecam/make-clip.sh --codec h264 --size 1920x1080 --gop 2 --seconds 10 --kbps "$kbps" "$work/clip.mp4" >/dev/null 2>&1

cams=()
for i in $(seq 1 "$streams"); do cams+=(--camera "cam$i"); done
mkfifo "$work/fakecam.in"
sleep 100000 >"$work/fakecam.in" &
pids+=($!)
"$fakecam" --port 0 --source "$work/clip.mp4" "${cams[@]}" <"$work/fakecam.in" >"$work/fakecam.out" 2>"$work/fakecam.err" &
fakecam_pid=$!
pids+=($fakecam_pid)
for _ in $(seq 1 300); do  # each camera's media is prepared at start: up to a GOP each
  [ "$(grep -c '^fakecam ready' "$work/fakecam.out" || true)" -ge "$streams" ] && break
  sleep 0.1
done
[ "$(grep -c '^fakecam ready' "$work/fakecam.out" || true)" -ge "$streams" ] || {
  echo "record.sh: carekeep-fakecam did not get ready:" >&2; cat "$work/fakecam.err" >&2; exit 1; }
url() { grep '^fakecam ready' "$work/fakecam.out" | grep -o "rtsp://[^ ]*/$1\$" | head -1; }

# --- carekeepd ---------------------------------------------------------------
{
  printf '[site]\nname = "bench"\ntimezone = "UTC"\nstorage = "%s"\ndatabase = "%s"\n' "$work/ck/media" "$work/ck/index.db"
  printf '[care_hours]\n'
  for d in monday tuesday wednesday thursday friday saturday sunday; do printf '%s = ["00:00-24:00"]\n' "$d"; done
  zone_cams=""
  for i in $(seq 1 "$streams"); do
    printf '[[camera]]\nid = "cam%d"\nurl = "%s"\nclient = "%s"\nsegment_seconds = 60\n' "$i" "$(url "cam$i")" "$client"
    zone_cams="$zone_cams\"cam$i\","
  done
  printf '[[zone]]\nid = "all"\ncameras = [%s]\n' "${zone_cams%,}"
} >"$work/carekeep.toml"
mkdir -p "$work/ck"
"$carekeepd" --config "$work/carekeep.toml" 2>"$work/carekeepd.log" &
ck_pid=$!
pids+=($ck_pid)
# Measure from the moment every camera is up, so connection setup is not counted.
for _ in $(seq 1 200); do
  [ "$(grep -c camera_up "$work/carekeepd.log" || true)" -ge "$streams" ] && break
  sleep 0.1
done
fc_cpu0=$(cpu_seconds "$fakecam_pid")
ck_cpu0=$(cpu_seconds "$ck_pid")
t0=$(date +%s.%N)
sleep "$seconds"
ck_cpu1=$(cpu_seconds "$ck_pid")
fc_cpu1=$(cpu_seconds "$fakecam_pid")
t1=$(date +%s.%N)
ck_rss=$(rss_kib "$ck_pid")
kill -TERM "$ck_pid"
wait "$ck_pid" || true
ck_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
ck_frames=$(sqlite3 "$work/ck/index.db" "select coalesce(sum(frames),0) from segment")
ck_span=$(sqlite3 "$work/ck/index.db" "select coalesce(sum(duration_us),0)/1e6 from segment")

# --- ffmpeg CLI, one process per stream ----------------------------------------
mkdir -p "$work/ff"
ff_pids=()
start_ffmpeg() {  # $1 = camera number; prints the pid
  ffmpeg -nostdin -hide_banner -loglevel error -rtsp_transport tcp -i "$(url "cam$1")" -c copy -f segment \
    -segment_time 60 -reset_timestamps 1 "$work/ff/cam$1/%05d.mp4" >/dev/null 2>>"$work/ff/cam$1.log" &
  echo $!
}
for i in $(seq 1 "$streams"); do
  mkdir -p "$work/ff/cam$i"
  ff_pids+=("$(start_ffmpeg "$i")")
done
# Connection setup and stream probing (ffmpeg decodes frames to probe) are not counted.
# The ffmpeg CLI does not reconnect: one whose first connection failed is started again.
for attempt in 1 2 3; do
  sleep 3
  for i in $(seq 1 "$streams"); do
    pid=${ff_pids[$((i - 1))]}
    if ! kill -0 "$pid" 2>/dev/null; then ff_pids[$((i - 1))]="$(start_ffmpeg "$i")"; fi
  done
done
sleep 3
pids+=("${ff_pids[@]}")
ff_cpu0=0
for pid in "${ff_pids[@]}"; do ff_cpu0=$(awk -v a="$ff_cpu0" -v b="$(cpu_seconds "$pid")" 'BEGIN { print a + b }'); done
t0=$(date +%s.%N)
sleep "$seconds"
ff_cpu1=0 ff_rss=0
for pid in "${ff_pids[@]}"; do
  ff_cpu1=$(awk -v a="$ff_cpu1" -v b="$(cpu_seconds "$pid")" 'BEGIN { print a + b }')
  ff_rss=$((ff_rss + $(rss_kib "$pid")))
done
t1=$(date +%s.%N)
for pid in "${ff_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
for pid in "${ff_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
ff_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
ff_frames=0
for f in "$work"/ff/cam*/*.mp4; do
  n=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$f" 2>/dev/null || echo 0)
  ff_frames=$((ff_frames + ${n:-0}))
done

awk -v n="$streams" -v s="$seconds" -v client="$client" \
    -v ckc="$(awk -v a="$ck_cpu0" -v b="$ck_cpu1" 'BEGIN{print b-a}')" -v ckw="$ck_wall" -v ckr="$ck_rss" \
    -v ckf="$ck_frames" -v cks="$ck_span" \
    -v ffc="$(awk -v a="$ff_cpu0" -v b="$ff_cpu1" 'BEGIN{print b-a}')" -v ffw="$ff_wall" -v ffr="$ff_rss" -v fff="$ff_frames" \
    -v fcc="$(awk -v a="$fc_cpu0" -v b="$fc_cpu1" 'BEGIN{print b-a}')" 'BEGIN {
  ck_cpu = ckc / (n * ckw / 60); ff_cpu = ffc / (n * ffw / 60)
  ck_mib = ckr / 1024 / n;       ff_mib = ffr / 1024 / n
  printf "\n%d streams of 1080p H.264 from carekeep-fakecam --source, %d s measured each\n\n", n, s
  printf "| recorder | CPU-s per stream-minute | RSS per stream (MiB) |\n|---|---|---|\n"
  printf "| carekeepd, %s client (one process) | %.3f | %.2f |\n", client, ck_cpu, ck_mib
  printf "| ffmpeg -c copy -f segment (one process per stream) | %.3f | %.2f |\n", ff_cpu, ff_mib
  printf "| ratio carekeepd / ffmpeg | %.2f | %.2f |\n\n", ck_cpu / ff_cpu, ck_mib / ff_mib
  printf "carekeepd frames recorded: %d over %.1f s of media (%.2f fps per stream; served: 25.00)\n", ckf, cks, (cks > 0 ? ckf / cks * 1.0 : 0) 
  printf "ffmpeg frames recorded: %d (whole run, incl. setup)\n", fff
  printf "fakecam CPU while carekeepd recorded: %.2f CPU-s per minute\n", fcc / (ckw / 60)
}'
