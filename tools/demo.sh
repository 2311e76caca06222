#!/usr/bin/env bash
# The main job on simulated cameras: installs dependencies, builds, starts three
# carekeep-fakecam cameras on 127.0.0.1, validates a site configuration, prints the care
# calendar of the coming week, records for DEMO_SECONDS (default 60) with carekeepd, and
# shows what was recorded (status, segments, events, and ffprobe of one segment).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${DEMO_SECONDS:-60}"
preset="${PRESET:-ci}"   # the same build as tools/test.sh: a newcomer compiles once

tools/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$(nproc)"
bin="build/$preset"
fakecam="$bin/tools/fakecam/carekeep-fakecam"
carekeepd="$bin/daemon/carekeepd"
carekeep="$bin/tools/cli/carekeep"

work="$(mktemp -d /tmp/carekeep-demo.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${DEMO_KEEP:-}" ]; then rm -rf "$work"; else echo "demo files kept in $work"; fi
}
trap cleanup EXIT

echo "== starting simulated cameras (carekeep-fakecam)"
mkfifo "$work/fakecam.in"
"$fakecam" --port 0 --camera nap-1:h264:1280x720:2000 --camera nap-2:h265:1280x720:1500 \
  --camera play-1:h264:1280x720:2000 <"$work/fakecam.in" >"$work/fakecam.out" 2>"$work/fakecam.err" &
pids+=($!)
exec 3>"$work/fakecam.in"   # keep its stdin open: it reads fault commands from there
for _ in $(seq 1 100); do
  [ "$(grep -c '^fakecam ready' "$work/fakecam.out" 2>/dev/null || true)" -ge 3 ] && break
  sleep 0.1
done
grep '^fakecam ready' "$work/fakecam.out" || { cat "$work/fakecam.err"; exit 1; }
url() { grep '^fakecam ready' "$work/fakecam.out" | grep -o "rtsp://[^ ]*/$1\b" | head -1; }

today="$(date +%F)"
cat >"$work/carekeep.toml" <<TOML
[site]
name = "阳光家庭托育点 (demo)"
timezone = "Asia/Shanghai"
storage = "$work/media"
database = "$work/index.db"

[retention]
care_days = 90
other_days = 7
min_free_percent = 5

[care_hours]
monday    = ["07:30-12:00", "13:00-18:30"]
tuesday   = ["07:30-18:30"]
wednesday = ["07:30-18:30"]
thursday  = ["07:30-18:30"]
friday    = ["07:30-17:00"]
saturday  = ["00:00-24:00"]   # the demo records whatever the day: make the weekend a care day
sunday    = ["00:00-24:00"]

[[care_hours.exception]]
date = "$today"
hours = ["00:00-24:00"]
note = "demo day: care all day"

[[camera]]
id = "nap-1"
name = "午睡室 1"
url = "$(url nap-1)"
segment_seconds = 10

[[camera]]
id = "nap-2"
name = "午睡室 2"
url = "$(url nap-2)"
segment_seconds = 10

[[camera]]
id = "play-1"
name = "活动室"
url = "$(url play-1)"
segment_seconds = 10

[[zone]]
id = "nap"
name = "午睡室"
cameras = ["nap-1", "nap-2"]

[[zone]]
id = "play"
name = "活动室"
cameras = ["play-1"]
TOML

echo
echo "== validating the configuration"
"$carekeepd" --config "$work/carekeep.toml" --check-config

echo
echo "== care calendar of the coming week"
"$carekeep" --config "$work/carekeep.toml" calendar --from "$today" --to "$(date -d '+6 days' +%F)"

echo
echo "== recording for $seconds s with carekeepd"
"$carekeepd" --config "$work/carekeep.toml" 2>"$work/carekeepd.log" &
daemon=$!
pids+=($daemon)
sleep $((seconds / 2))
echo "   (camera play-1 goes down for 8 s halfway through)"
echo "down play-1" >&3
sleep 8
echo "up play-1" >&3
sleep $((seconds - seconds / 2 - 8 > 0 ? seconds - seconds / 2 - 8 : 1))

echo
echo "== carekeep status (while recording)"
"$carekeep" --config "$work/carekeep.toml" status
kill -TERM "$daemon"
wait "$daemon" || true
echo
echo "== carekeep segments --camera nap-1 (today)"
"$carekeep" --config "$work/carekeep.toml" segments --camera nap-1 --from "$today" --to "$today"
echo
echo "== carekeep events (today)"
"$carekeep" --config "$work/carekeep.toml" events --from "$today" --to "$today"
echo
first="$(find "$work/media/nap-2" -name '*.mp4' | sort | head -1)"
echo "== ffprobe $first"
ffprobe -v error -show_entries stream=codec_name,codec_tag_string,width,height:format=duration,size "$first"
echo
echo "== daemon log (last lines)"
tail -n 15 "$work/carekeepd.log"
