# Hostile review of issue 15: shared helpers. Source it; BIN defaults to the worktree's ci build.
# make_box DIR: fakecam + carekeepd recording cams cam-a, cam-b for $RECORD (25) s, stopped
# with SIGTERM (anchors at start and shutdown). clone_box SRC DST: a copy with its own config.
set -euo pipefail
BIN="${BIN:-/work/wt-review/build/ci}"
if [ -x "$BIN/carekeepd" ]; then  # a flat copy of the three binaries
  FAKECAM="$BIN/carekeep-fakecam"; CAREKEEPD="$BIN/carekeepd"; CAREKEEP="$BIN/carekeep"
else
  FAKECAM="$BIN/tools/fakecam/carekeep-fakecam"; CAREKEEPD="$BIN/daemon/carekeepd"; CAREKEEP="$BIN/tools/cli/carekeep"
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FORGE="$HERE/forge.py"

write_config() {  # DIR URL_A URL_B [EXTRA_CAMERA_TOML]
  local dir="$1"
  cat >"$dir/carekeep.toml" <<TOML
[site]
name = "review box"
timezone = "Asia/Shanghai"
storage = "$dir/media"
database = "$dir/state/index.db"

[retention]
care_days = 90
other_days = 7
min_free_percent = 1

[care_hours]
monday    = ["00:00-24:00"]
tuesday   = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday  = ["00:00-24:00"]
friday    = ["00:00-24:00"]
saturday  = ["00:00-24:00"]
sunday    = ["00:00-24:00"]

[[camera]]
id = "cam-a"
name = "A"
url = "$2"
segment_seconds = 10

[[camera]]
id = "cam-b"
name = "B"
url = "$3"
segment_seconds = 10
${4:-}
TOML
}

start_fakecam() {  # DIR -> sets FAKECAM_PID, URL_A, URL_B
  local dir="$1"
  "$FAKECAM" --port 0 --camera cam-a:h264:320x240:300 --camera cam-b:h264:320x240:300 \
    >"$dir/fakecam.out" 2>"$dir/fakecam.err" </dev/zero &
  FAKECAM_PID=$!
  for _ in $(seq 1 100); do
    [ "$(grep -c '^fakecam ready' "$dir/fakecam.out" 2>/dev/null || true)" -ge 2 ] && break
    sleep 0.1
  done
  URL_A="$(grep '^fakecam ready' "$dir/fakecam.out" | grep -o 'rtsp://[^ ]*/cam-a\b' | head -1)"
  URL_B="$(grep '^fakecam ready' "$dir/fakecam.out" | grep -o 'rtsp://[^ ]*/cam-b\b' | head -1)"
}

run_daemon() {  # DIR SECONDS [SIGNAL] [faketime spec]
  local dir="$1" secs="$2" sig="${3:-TERM}" ft="${4:-}"
  if [ -n "$ft" ]; then
    # LD_PRELOAD directly: the faketime wrapper forks, and a signal to it would miss the daemon
    FAKETIME="$ft" LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 FAKETIME_DONT_RESET=1 \
      "$CAREKEEPD" --config "$dir/carekeep.toml" >>"$dir/carekeepd.log" 2>&1 &
  else
    "$CAREKEEPD" --config "$dir/carekeep.toml" >>"$dir/carekeepd.log" 2>&1 &
  fi
  local pid=$!
  sleep "$secs"
  kill -"$sig" "$pid"
  wait "$pid" || true
}

make_box() {  # DIR
  local dir="$1"
  rm -rf "$dir"; mkdir -p "$dir/state" "$dir/media"
  start_fakecam "$dir"
  write_config "$dir" "$URL_A" "$URL_B"
  run_daemon "$dir" "${RECORD:-25}" TERM
}

clone_box() {  # SRC DST
  rm -rf "$2"; cp -a "$1" "$2"
  sed -i "s#$1/#$2/#g" "$2/carekeep.toml"
}

ck() {  # DIR args...: the CLI on that box
  local dir="$1"; shift
  "$CAREKEEP" --config "$dir/carekeep.toml" "$@"
}

q() { sqlite3 "$1/state/index.db" "$2"; }
