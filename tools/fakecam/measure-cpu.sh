#!/usr/bin/env bash
# measure-cpu.sh: CPU cost of carekeep-fakecam. Starts it with N cameras (c1..cN), attaches
# one `ffmpeg -c copy` reader per camera over RTSP/TCP, and after a warm-up reports the CPU
# seconds (utime + stime from /proc/<pid>/stat) the server used over the measured interval,
# plus the frames each reader received then (to show the cameras kept their frame rate).
#
#   measure-cpu.sh [--cameras N] [--seconds S] [--bin PATH] [-- extra carekeep-fakecam args]
#
# Examples (README.md has the numbers measured with them):
#   measure-cpu.sh --cameras 16 --seconds 60                      # live 1080p H.264
#   measure-cpu.sh --cameras 16 --seconds 60 -- --source clip.mp4 # looping a clip
set -euo pipefail

cameras=16 seconds=60 warmup=5
bin="${FAKECAM:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --cameras) cameras="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --) shift; break ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
if [ -z "$bin" ]; then
  bin=$(ls -t "$(dirname "$0")"/../../build/*/tools/fakecam/carekeep-fakecam 2>/dev/null | head -1 || true)
fi
[ -x "$bin" ] || { echo "measure-cpu.sh: carekeep-fakecam not found; pass --bin" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

args=(--port 0 --log-level warn)
for i in $(seq 1 "$cameras"); do args+=(--camera "c$i"); done
# stdin from a FIFO held open, so the server keeps reading commands (none are sent).
mkfifo "$work/in"
sleep 100000 > "$work/in" &
pids+=($!)
"$bin" "${args[@]}" "$@" < "$work/in" > "$work/out" 2> "$work/err" &
server=$!
pids+=($server)
for _ in $(seq 1 100); do
  [ "$(grep -c '^fakecam ready' "$work/out" || true)" -ge "$cameras" ] && break
  sleep 0.1
done
[ "$(grep -c '^fakecam ready' "$work/out" || true)" -ge "$cameras" ] || { cat "$work/err" >&2; exit 1; }

i=0
readers=()
for url in $(awk '/^fakecam ready/ { print $3 }' "$work/out"); do
  i=$((i + 1))
  ffmpeg -nostdin -hide_banner -loglevel error -stats -rtsp_transport tcp -i "$url" \
    -c copy -f null - 2> "$work/reader$i" &
  pids+=($!)
  readers+=($!)
done

ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
reader_cpu() { for p in "${readers[@]}"; do cat "/proc/$p/stat"; done | awk '{ s += $14 + $15 } END { print s }'; }
frames() {  # total frames received by all readers so far (ffmpeg -stats lines)
  local sum=0 n
  for f in "$work"/reader*; do
    n=$(tr '\r' '\n' < "$f" | grep -o 'frame= *[0-9]*' | tail -1 | grep -o '[0-9]*' || echo 0)
    sum=$((sum + ${n:-0}))
  done
  echo "$sum"
}
sleep "$warmup"
c0=$(cpu) r0=$(reader_cpu) f0=$(frames) t0=$(date +%s.%N)
sleep "$seconds"
c1=$(cpu) r1=$(reader_cpu) f1=$(frames) t1=$(date +%s.%N)
awk -v c0="$c0" -v c1="$c1" -v r0="$r0" -v r1="$r1" -v f0="$f0" -v f1="$f1" -v t0="$t0" -v t1="$t1" \
    -v hz="$ticks" -v n="$cameras" 'BEGIN {
  cpu = (c1 - c0) / hz; wall = t1 - t0;
  printf "carekeep-fakecam: %d cameras, %.1f s: %.1f CPU-s (%.0f%% of one core); ", n, wall, cpu, 100 * cpu / wall
  printf "the %d ffmpeg readers: %.1f CPU-s; they got %.1f fps per camera\n", n, (r1 - r0) / hz, (f1 - f0) / wall / n
}'
grep -v '^$' "$work/err" | head -5 >&2 || true
