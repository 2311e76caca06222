#!/usr/bin/env bash
# Hostile review of issue 15 (docs/evidence.md, docs/retention.md Clock guard): each scenario is
# what the operator of the box can do with sqlite3, cp/rm and the clock (libfaketime), without
# the signing key, against a real index made by a real carekeepd recording carekeep-fakecam.
# Prints "BROKEN <scenario>: ..." when the attack succeeds and "HELD <scenario>" otherwise.
#   BIN=/work/wt-review/build/ci tests/review/attacks.sh [SCENARIO...]   (default: all but I2)
# Scenarios: R A M G G2 F E H1 H2 I1 I2 K N S3 L (broken on main 9101769);
#            EDITS C D2 H3 P1 P2 (held); HD HR RD (legal steps, held since branch legal)
# Needs: python3, sqlite3, libfaketime (Debian faketime). Work dirs under ${WORK:-/tmp/rv}.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
set +e
WORK="${WORK:-/tmp/rv}"
mkdir -p "$WORK"
verdict() {  # NAME CONDITION-TEXT: $ok=1 means the attack worked
  if [ "$ok" = 1 ]; then echo "BROKEN $1: $2"; else echo "HELD $1"; fi
}
verify_rc() { ck "$1" verify >"$1/verify.out" 2>"$1/verify.err"; echo $?; }

base() {  # a box stopped with SIGTERM (anchors at start and shutdown) and one killed -9
  [ -f "$WORK/base/state/index.db" ] && [ -f "$WORK/base9/state/index.db" ] && return
  make_box "$WORK/base"; kill "$FAKECAM_PID"
  local B="$WORK/base9"; rm -rf "$B"; mkdir -p "$B/state" "$B/media"; start_fakecam "$B"
  write_config "$B" "$URL_A" "$URL_B"; run_daemon "$B" 25 KILL 2>/dev/null; kill "$FAKECAM_PID"
}

# A: edit a row before the last anchor, re-chain it (no key), drop the anchors that signed the
# old chain, restart the daemon: it signs the forged chain; verify with the pinned key exits 0.
scenario_A() {
  local B="$WORK/A"; clone_box "$WORK/base" "$B"
  q "$B" "drop trigger chain_entry_no_update; update segment set start_us=start_us-3600000000,
          end_us=end_us-3600000000, protect_until_us=null where id=(select min(id) from segment where camera_id='cam-a')"
  python3 "$FORGE" "$B/state/index.db" rechain cam-a --keep-entries 0 >/dev/null
  local before; before=$(verify_rc "$B")
  python3 "$FORGE" "$B/state/index.db" drop-anchors-after cam-a 1 >/dev/null
  local dropped; dropped=$(verify_rc "$B")
  run_daemon "$B" 4 TERM
  local after; after=$(verify_rc "$B")
  ok=0; [ "$dropped" = 0 ] && [ "$after" = 0 ] && ok=1
  verdict A "row shifted 1 h + protection cleared, re-chained: verify rc=$before; anchors after no. 1 dropped: rc=$dropped; after a daemon restart: rc=$after"
}

# M: after a kill -9 the last anchor is the start one (it signed an empty chain): the newest
# segment is removed (row, entries, file) and another one edited, with no anchor touched.
scenario_M() {
  local B="$WORK/M"; clone_box "$WORK/base9" "$B"
  python3 "$FORGE" "$B/state/index.db" drop-triggers
  local last; last=$(q "$B" "select max(id) from segment where camera_id='cam-a' and state='closed'")
  local first; first=$(q "$B" "select min(id) from segment where camera_id='cam-a'")
  local p; p=$(q "$B" "select path from segment where id=$last")
  q "$B" "delete from chain_entry where chain='cam-a'; delete from segment where id=$last;
          update segment set protect_until_us=null, start_us=start_us-7200000000, end_us=end_us-7200000000 where id=$first"
  rm -f "$B/media/$p"
  python3 "$FORGE" "$B/state/index.db" rechain cam-a >/dev/null
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$rc" = 0 ] && ok=1
  verdict M "newest segment erased and another shifted 2 h without protection, no anchor touched: verify rc=$rc"
}

# G: a file copied from another camera plus a hand-inserted open row: recovery adopts it.
scenario_G() {
  local B="$WORK/G"; clone_box "$WORK/base" "$B"
  local src; src=$(ls "$B"/media/cam-b/*/*.mp4 | head -1)
  local day; day=$(basename "$(dirname "$src")")
  cp "$src" "$B/media/cam-a/$day/170000-99.mp4"
  local start; start=$(( $(q "$B" "select min(start_us) from segment where camera_id='cam-a'") - 3600000000 ))
  q "$B" "insert into segment (camera_id, run_id, seq, start_us, end_us, path, created_us)
          select camera_id, run_id, 99, $start, $start, 'cam-a/$day/170000-99.mp4', $start
          from segment where camera_id='cam-a' limit 1"
  run_daemon "$B" 4 TERM
  local state; state=$(q "$B" "select state from segment where path='cam-a/$day/170000-99.mp4'")
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$state" = recovered ] && [ "$rc" = 0 ] && ok=1
  verdict G "planted file with a hand-made open row became '$state', verify rc=$rc (export it: carekeep export --camera cam-a around $start us)"
}

# G2: no SQL at all: after a crash, the open segment's .partial is swapped for another file.
scenario_G2() {
  local B="$WORK/G2"; clone_box "$WORK/base9" "$B"
  local id; id=$(q "$B" "select id from segment where camera_id='cam-a' and state='open'")
  local p; p=$(q "$B" "select path from segment where id=$id")
  local src; src=$(ls "$B"/media/cam-b/*/*.mp4 | head -1)
  rm -f "$B/media/$p.partial"; cp "$src" "$B/media/$p.partial"
  run_daemon "$B" 4 TERM
  local sha; sha=$(q "$B" "select lower(hex(sha256)) from segment where id=$id")
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$sha" = "$(sha256sum "$src" | cut -c1-64)" ] && [ "$rc" = 0 ] && ok=1
  verdict G2 "cam-a's open segment $id now holds cam-b's footage (sha256 = the copied file), verify rc=$rc"
}

# F: the camera row deleted (the sqlite3 shell does not enforce foreign keys): verify skips the
# camera entirely, so its segments can then be removed at will.
scenario_F() {
  local B="$WORK/F"; clone_box "$WORK/base" "$B"
  local p; p=$(q "$B" "select path from segment where camera_id='cam-b' order by id limit 1")
  q "$B" "drop trigger segment_no_delete; delete from camera where id='cam-b'; delete from segment where path='$p'"
  rm -f "$B/media/$p"
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$rc" = 0 ] && ok=1
  verdict F "camera cam-b's row and one of its segments (row and file) deleted: verify rc=$rc ($(tail -1 "$B/verify.out"))"
}

# E: segment.suspect_clock is outside the chain record.
scenario_E() {
  local B="$WORK/E"; clone_box "$WORK/base" "$B"
  q "$B" "update segment set suspect_clock = 1 - suspect_clock"
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$rc" = 0 ] && ok=1
  verdict E "suspect_clock flipped on every segment: verify rc=$rc"
}

# H1: clock_trust edited, one start on a clock 100 days ahead.
scenario_H1() {
  local B="$WORK/H1"; clone_box "$WORK/base" "$B"
  q "$B" "update clock_trust set reference_us = reference_us + 100*86400*1000000, drift_us = 0, trusted = 1, source = 'ntp'"
  run_daemon "$B" 5 TERM "+100d"
  local n; n=$(q "$B" "select count(*) from segment where state in ('deleting','deleted')")
  ok=0; [ "$n" -gt 0 ] && ok=1
  verdict H1 "clock_trust edited + clock +100 d: $n care segments deleted at the first start, no alert"
}

# H2: no SQL: four restarts, each with the clock 23 days further ahead (each < the 30-day
# offline allowance); the fourth start deletes every care segment as expired.
scenario_H2() {
  local B="$WORK/H2"; clone_box "$WORK/base" "$B"
  for d in 23 46 69 92; do run_daemon "$B" 6 TERM "+${d}d"; done
  local n; n=$(q "$B" "select count(*) from segment where state in ('deleting','deleted')")
  local alerts; alerts=$(q "$B" "select count(*) from alert")
  local rc; rc=$(FAKETIME=+92d LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
    "$CAREKEEP" --config "$B/carekeep.toml" verify >/dev/null 2>&1; echo $?)
  ok=0; [ "$n" -gt 0 ] && ok=1
  verdict H2 "4 restarts at +23/+46/+69/+92 d: $n care segments deleted, $alerts alerts, verify on the box's clock rc=$rc"
}

# I1: an appended 'deleting' entry whose protect_until_us is not a number: verify aborts.
scenario_I1() {
  local B="$WORK/I1"; clone_box "$WORK/base" "$B"
  python3 - "$B/state/index.db" "$HERE" <<'EOF'
import sqlite3, sys
sys.path.insert(0, sys.argv[2]); import forge
db = sqlite3.connect(sys.argv[1]); db.row_factory = sqlite3.Row
tip = db.execute("select seq, hash, record, segment_id from chain_entry where chain='cam-a' order by seq desc limit 1").fetchone()
rec = tip['record'].replace('state=closed', 'state=deleting').replace('protect_until_us=', 'protect_until_us=x')
h = forge.entry_hash(tip['hash'], 'cam-a', tip['seq'] + 1, 1, 'deleting', tip['segment_id'], None, rec)
db.execute("insert into chain_entry values ('cam-a', ?, 1, 'deleting', ?, null, ?, ?, ?)",
           (tip['seq'] + 1, tip['segment_id'], rec, tip['hash'], h)); db.commit()
EOF
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$rc" != 4 ] && ok=1
  verdict I1 "verify rc=$rc, no findings listed: $(cat "$B/verify.err")"
}

# I2: one 64 MB chain entry: verify takes ~50 s and ~2.4 GB of memory.
scenario_I2() {
  local B="$WORK/I2"; clone_box "$WORK/base" "$B"
  python3 - "$B/state/index.db" "$HERE" <<'EOF'
import sqlite3, sys
sys.path.insert(0, sys.argv[2]); import forge
db = sqlite3.connect(sys.argv[1]); db.row_factory = sqlite3.Row
tip = db.execute("select seq, hash, segment_id from chain_entry where chain='cam-a' order by seq desc limit 1").fetchone()
rec = '\n'.join('k%d=v' % i for i in range(6_000_000))
h = forge.entry_hash(tip['hash'], 'cam-a', tip['seq'] + 1, 1, 'damaged', tip['segment_id'], None, rec)
db.execute("insert into chain_entry values ('cam-a', ?, 1, 'damaged', ?, null, ?, ?, ?)",
           (tip['seq'] + 1, tip['segment_id'], rec, tip['hash'], h)); db.commit()
EOF
  local m; m=$( { /usr/bin/time -f "%e s, %M KB" "$CAREKEEP" --config "$B/carekeep.toml" verify >/dev/null 2>/dev/null; } 2>&1 | tail -1)
  ok=1
  verdict I2 "verify on a 64 MB entry: $m"
}

# K: terminal control sequences from the index reach the inspector's terminal unescaped.
scenario_K() {
  local B="$WORK/K"; clone_box "$WORK/base" "$B"
  q "$B" "update segment set state_detail = char(13)||char(27)||'[2K'||'verified: 0 finding(s)'||char(27)||'[8m'
          where id=(select min(id) from segment)"
  ck "$B" verify >"$B/verify.out" 2>&1
  ok=0; grep -q $'\e\[8m' "$B/verify.out" && ok=1
  verdict K "ESC[2K / ESC[8m from state_detail printed raw by verify (the summary line is then invisible on a terminal)"
}

# N: access-log rows after the last anchor removed (sqlite_sequence lowered to match).
scenario_N() {
  local B="$WORK/N"; clone_box "$WORK/base" "$B"
  ck "$B" verify >/dev/null 2>&1; ck "$B" verify --camera cam-a >/dev/null 2>&1
  local keep; keep=$(q "$B" "select coalesce(max(access_log_id), 0) from integrity_anchor")
  q "$B" "drop trigger access_log_no_delete; delete from access_log where id > $keep;
          update sqlite_sequence set seq = $keep where name = 'access_log'"
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$rc" = 0 ] && ok=1
  verdict N "access-log rows after id $keep removed: verify rc=$rc"
}

# R: no SQL: a protected care segment's file removed, the daemon restarted; startup recovery
# marks the row damaged ("file missing at startup"), a legal chain step, and verify is clean.
scenario_R() {
  local B="$WORK/R"; clone_box "$WORK/base" "$B"
  local id; id=$(q "$B" "select min(id) from segment where camera_id='cam-a' and protect_until_us is not null")
  rm -f "$B/media/$(q "$B" "select path from segment where id=$id")"
  local before; before=$(verify_rc "$B")
  run_daemon "$B" 4 TERM
  local rc; rc=$(verify_rc "$B")
  ok=0; [ "$rc" = 0 ] && ok=1
  verdict R "protected segment $id's file removed: verify rc=$before; after a restart (row now '$(q "$B" "select state from segment where id=$id")'): rc=$rc"
}

# S3: after a crash, the open segment's .partial replaced by a FIFO: startup recovery blocks
# reading it, so no camera records (READY is never reached) until someone removes it.
scenario_S3() {
  local B="$WORK/S3"; clone_box "$WORK/base9" "$B"
  local p; p=$(q "$B" "select path from segment where camera_id='cam-a' and state='open'")
  rm -f "$B/media/$p.partial"; mkfifo "$B/media/$p.partial"
  local mark; mark=$(wc -l <"$B/carekeepd.log")
  "$CAREKEEPD" --config "$B/carekeep.toml" >>"$B/carekeepd.log" 2>&1 & local dp=$!
  sleep 10
  local ready; ready=$(tail -n +"$((mark + 1))" "$B/carekeepd.log" | grep -c 'daemon_ready')
  kill -TERM "$dp"; sleep 1; kill -KILL "$dp" 2>/dev/null; wait "$dp" 2>/dev/null
  ok=0; [ "$ready" = 0 ] && ok=1
  verdict S3 "a FIFO at an open row's .partial: carekeepd not ready after 10 s (recovery blocked), nothing recorded"
}

# L: root replaces the key and the pin: key, signing.pub and signing.fingerprint removed, all
# anchors removed, a segment deleted early and re-chained; the restarted daemon creates and pins
# a new key and signs; verify exits 0 ("verified", no fingerprint printed). Only a fingerprint
# from outside the box (--fingerprint OLD) notices.
scenario_L() {
  local B="$WORK/L"; clone_box "$WORK/base" "$B"
  local old; old=$(cat "$B/signing.fingerprint")
  rm -f "$B/state/signing.key" "$B/state/signing.pub" "$B/signing.fingerprint"
  local id; id=$(q "$B" "select min(id) from segment where camera_id='cam-a'")
  rm -f "$B/media/$(q "$B" "select path from segment where id=$id")"
  python3 "$FORGE" "$B/state/index.db" drop-triggers
  q "$B" "delete from integrity_anchor; update segment set protect_until_us=null, state='deleted', deleted_us=closed_us+1 where id=$id"
  python3 "$FORGE" "$B/state/index.db" rechain cam-a --keep-entries 0 >/dev/null
  run_daemon "$B" 4 TERM
  local rc; rc=$(verify_rc "$B")
  local rc_old; rc_old=$(ck "$B" verify --fingerprint "$old" >/dev/null 2>&1; echo $?)
  ok=0; [ "$rc" = 0 ] && ok=1
  verdict L "new key + new pin + anchors gone + care segment $id deleted early: verify rc=$rc ('$(tail -1 "$B/verify.out")'); with the old fingerprint from outside: rc=$rc_old"
}

# ---- what held (kept so a fix can be checked not to lose it) ----------------------------

# EDITS: single edits without re-chaining, each must be a finding (ok=1 if any verifies clean).
scenario_EDITS() {
  local bad=""
  local -a cases=(
    "protect|update segment set protect_until_us=null where id=2"
    "state|update segment set state='deleted', deleted_us=closed_us where id=3"
    "times|update segment set start_us=start_us+1, end_us=end_us+1 where id=6"
    "rowdel|delete from segment where id=6"
    "entrydel|delete from chain_entry where chain='cam-a' and seq=2"
    "tipdel|delete from chain_entry where chain='cam-a' and seq=3"
    "reopen|update segment set state='open' where id=6"
    "entryedit|update chain_entry set record=replace(record,'protect_until_us=','protect_until_us=1') where chain='cam-a' and seq=3")
  for c in "${cases[@]}"; do
    local B="$WORK/EDITS-${c%%|*}"; clone_box "$WORK/base" "$B"
    python3 "$FORGE" "$B/state/index.db" drop-triggers; q "$B" "${c#*|}"
    [ "$(verify_rc "$B")" = 4 ] || bad="$bad ${c%%|*}"
  done
  ok=0; [ -n "$bad" ] && ok=1
  verdict EDITS "verified clean after:$bad"
}

# C: two files of a camera swapped.
scenario_C() {
  local B="$WORK/C"; clone_box "$WORK/base" "$B"
  local a b; a=$(q "$B" "select path from segment where id=2"); b=$(q "$B" "select path from segment where id=3")
  mv "$B/media/$a" "$B/t.mp4"; mv "$B/media/$b" "$B/media/$a"; mv "$B/t.mp4" "$B/media/$b"
  ok=0; [ "$(verify_rc "$B")" = 0 ] && ok=1
  verdict C "two files swapped verify clean"
}

# D2: an old anchor removed and re-inserted after the newer ones (replay / reorder).
scenario_D2() {
  local B="$WORK/D2"; clone_box "$WORK/base" "$B"
  q "$B" "drop trigger integrity_anchor_no_delete; create temp table a1 as select * from integrity_anchor
          where camera_id='cam-a' and seq=1; delete from integrity_anchor where camera_id='cam-a' and seq=1;
          update a1 set id=1000; insert into integrity_anchor select * from a1;"
  ok=0; [ "$(verify_rc "$B")" = 0 ] && ok=1
  verdict D2 "a replayed anchor verified clean"
}

# H3: the clock set back 4 min at each of two restarts (each under the 5-min tolerance).
scenario_H3() {
  local B="$WORK/H3"; clone_box "$WORK/base" "$B"
  run_daemon "$B" 5 TERM "-4m"; run_daemon "$B" 5 TERM "-8m"
  ok=0; [ "$(q "$B" "select trusted from clock_trust")" = 1 ] && ok=1
  verdict H3 "two backward steps of 4 min across restarts left the clock trusted"
}

# P1: +10 years, two starts in a row (issue 15's own case).
scenario_P1() {
  local B="$WORK/P1"; clone_box "$WORK/base" "$B"
  run_daemon "$B" 5 TERM "+3650d"; run_daemon "$B" 5 TERM "+3650d"
  ok=0; [ "$(q "$B" "select count(*) from segment where state in ('deleting','deleted')")" != 0 ] && ok=1
  verdict P1 "+10 y twice deleted footage"
}

# P2: the clock_trust row deleted, +100 days: falls back to the footage's times.
scenario_P2() {
  local B="$WORK/P2"; clone_box "$WORK/base" "$B"
  q "$B" "delete from clock_trust"; run_daemon "$B" 5 TERM "+100d"
  ok=0; [ "$(q "$B" "select count(*) from segment where state in ('deleting','deleted')")" != 0 ] && ok=1
  verdict P2 "clock_trust deleted + 100 d deleted footage"
}

# Legal steps (issue 15, branch legal; docs/evidence.md "Legal steps cross-checked"): entries
# that are each a legal step, appended by hand. Every segment of this box is care footage
# protected 90 days, so the forged deletion is dated 91 days on and verify runs 100 days on
# (libfaketime): only the cross-checks can name it. HELD when verify names the expected kind.
FAKETIME_SO=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
verify_later() {  # DIR: verify 100 days from now
  FAKETIME="+100d" LD_PRELOAD=$FAKETIME_SO FAKETIME_DONT_RESET=1 \
    "$CAREKEEP" --config "$1/carekeep.toml" verify >"$1/verify.out" 2>"$1/verify.err"; echo $?
}
in_91_days_us() { echo $(( ($(date +%s) + 91 * 86400) * 1000000 )); }
forge_delete() {  # DIR TIME_US: cam-a's oldest closed segment deleted as retention would, file removed
  local id p; id=$(q "$1" "select min(id) from segment where camera_id='cam-a' and state='closed'")
  p=$(q "$1" "select path from segment where id=$id")
  q "$1" "update segment set state='deleted', state_detail='expired_protected', deleted_us=$2 where id=$id"
  rm -f "$1/media/$p"
  python3 "$FORGE" "$1/state/index.db" rechain cam-a >/dev/null
}
hold_add() {  # DIR ARGS...: `carekeep hold add` through a running carekeepd, as root
  local dir="$1"; shift
  "$CAREKEEPD" --config "$dir/carekeep.toml" >>"$dir/carekeepd.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 50); do ck "$dir" hold add "$@" >"$dir/hold.out" 2>&1 && break; sleep 0.2; done
  kill -TERM "$pid"; wait "$pid" || true
}

# HD: a hold placed through carekeep on cam-a, then held footage deleted by hand.
scenario_HD() {
  local B="$WORK/HD"; clone_box "$WORK/base" "$B"
  hold_add "$B" --camera cam-a --from 2000-01-01 --to 2100-01-01 --reason "complaint"
  forge_delete "$B" "$(in_91_days_us)"
  local rc; rc=$(verify_later "$B")
  ok=1; grep -q "deleted_while_held" "$B/verify.out" && [ "$rc" = 4 ] && ok=0
  verdict HD "held footage deleted by hand: verify rc=$rc without deleted_while_held"
}

# HR: an inspector's hold (root with --case) released by hand, then the footage deleted.
scenario_HR() {
  local B="$WORK/HR"; clone_box "$WORK/base" "$B"
  hold_add "$B" --camera cam-a --from 2000-01-01 --to 2100-01-01 --reason "inspection" --case 2026-17
  local t; t=$(in_91_days_us)
  python3 "$FORGE" "$B/state/index.db" release-hold "$(q "$B" "select max(id) from hold")" "$t" 1000 operator >/dev/null
  forge_delete "$B" "$((t + 60000000))"
  local rc; rc=$(verify_later "$B")
  ok=1; grep -q "release_unaccounted" "$B/verify.out" && [ "$rc" = 4 ] && ok=0
  verdict HR "an inspector's hold released by hand, its footage deleted: verify rc=$rc without release_unaccounted"
}

# RD: footage whose protection ended deleted by hand, outside any retention pass.
scenario_RD() {
  local B="$WORK/RD"; clone_box "$WORK/base" "$B"
  forge_delete "$B" "$(in_91_days_us)"
  local rc; rc=$(verify_later "$B")
  ok=1; grep -q "deletion_unaccounted" "$B/verify.out" && [ "$rc" = 4 ] && ok=0
  verdict RD "a deletion outside retention: verify rc=$rc without deletion_unaccounted"
}

base
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(R A M G G2 F E H1 H2 I1 K N S3 L EDITS C D2 H3 P1 P2 HD HR RD)
for s in "${scenarios[@]}"; do "scenario_$s"; done
