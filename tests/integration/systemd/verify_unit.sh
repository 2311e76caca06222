#!/usr/bin/env bash
# Runs `systemd-analyze verify` on systemd/carekeepd.service and carekeep-smart.{service,timer}
# with ExecStart pointing at the freshly built carekeepd and carekeep-smart (the installed
# paths do not exist on a build machine), and checks that the sysusers and tmpfiles entries
# parse. Then the sandbox (issue 14, docs/operations.md "Sandbox"): the resource limits are set,
# `systemd-analyze security` scores both services no worse than measured when they were set,
# and every syscall carekeep-smart and the programs it runs (findmnt, lsblk, smartctl) make,
# recorded with strace on this machine, is one its SystemCallFilter= allows.
#   verify_unit.sh UNITS_DIR CAREKEEPD CAREKEEP_SMART
set -euo pipefail
units="$1" binary="$2" smart="$3"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: install the systemd package (tools/install-deps.sh)"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s#/usr/sbin/carekeepd#$binary#" "$units/carekeepd.service" >"$work/carekeepd.service"
sed "s#/usr/sbin/carekeep-smart#$smart#" "$units/carekeep-smart.service" >"$work/carekeep-smart.service"
cp "$units/carekeep-smart.timer" "$work/carekeep-smart.timer"
grep -q '^ExecStart=/usr/sbin/carekeep-smart ' "$units/carekeep-smart.service"
grep -q '^CapabilityBoundingSet=CAP_SYS_RAWIO ' "$units/carekeep-smart.service"
# The daemon itself stays without capabilities and without /dev (the reason for the helper).
grep -qx 'CapabilityBoundingSet=' "$units/carekeepd.service"
grep -qx 'PrivateDevices=yes' "$units/carekeepd.service"
out="$(cd "$work" && systemd-analyze verify carekeepd.service carekeep-smart.service carekeep-smart.timer 2>&1 || true)"
# verify prints nothing when the units are clean; any line is a finding.
if [ -n "$out" ]; then echo "$out"; exit 1; fi
grep -Eq '^u carekeep ' "$units/carekeep.sysusers"
grep -Eq '^g carekeep-operator ' "$units/carekeep.sysusers"
grep -Eq '^g carekeep-inspector ' "$units/carekeep.sysusers"
if command -v systemd-tmpfiles >/dev/null; then
  systemd-tmpfiles --dry-run --create "$units/carekeep.tmpfiles" >/dev/null 2>&1 || \
    grep -Eq '^d /var/lib/carekeep ' "$units/carekeep.tmpfiles"
fi
# --- resources and /proc (sized for 64 cameras; the arithmetic is in the unit's comments) ----
for line in 'TasksMax=256' 'LimitNOFILE=2048' 'MemoryHigh=1G' 'MemoryMax=2G' 'ProtectProc=invisible' \
            'ProcSubset=pid' 'PrivateIPC=yes' 'RestartPreventExitStatus=78' 'ProtectSystem=strict'; do
  grep -qx "$line" "$units/carekeepd.service" || { echo "carekeepd.service lacks $line"; exit 1; }
done
grep -q '^SystemCallFilter=@system-service' "$units/carekeep-smart.service" || { echo "carekeep-smart.service has no SystemCallFilter="; exit 1; }

# --- exposure scores: 0 is locked down, 10 is exposed. The ceilings are the scores measured
# when the sandbox was last tightened: a change that loosens it fails here and must say why.
score() {  # unit ceiling
  local out level
  out="$(cd "$work" && systemd-analyze security --offline=true "$1" 2>&1)" || true
  level="$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")"
  [ -n "$level" ] || { echo "$out"; echo "systemd-analyze security printed no exposure level for $1"; exit 1; }
  echo "exposure $1: $level (ceiling $2)"
  if awk -v got="$level" -v max="$2" 'BEGIN { exit !(got > max) }'; then
    echo "$out" | grep '✗'
    echo "$1: exposure $level is above the ceiling $2: the sandbox got looser"
    exit 1
  fi
}
score carekeepd.service 1.7
score carekeep-smart.service 2.0

# --- carekeep-smart's SystemCallFilter= against what it really calls ----------------------
# systemd's groups, expanded recursively (a group lists groups).
expand() {
  local entry
  if [[ "$1" != @* ]]; then echo "$1"; return; fi
  systemd-analyze syscall-filter "$1" | tail -n +2 | sed -e 's/^ *//' -e '/^#/d' -e '/^$/d' |
    while read -r entry; do expand "$entry"; done
}
# The set a unit allows: an allow list first, then lines that add (name) or remove (~name).
# systemd always permits the few calls listed first, whatever the list (systemd.exec(5)).
allowed_by() {
  local value first=1 word name remove
  declare -A set=([execve]=1 [exit]=1 [exit_group]=1 [getrlimit]=1 [rt_sigreturn]=1 [sigreturn]=1)
  while IFS= read -r value; do
    remove=0
    if [[ "$value" == '~'* ]]; then remove=1; value="${value#'~'}"; fi
    if [ "$first" = 1 ] && [ "$remove" = 1 ]; then echo "expected $1 to start with an allow list" >&2; return 1; fi
    first=0
    for word in $value; do
      while read -r name; do
        if [ "$remove" = 1 ]; then unset "set[$name]"; else set[$name]=1; fi
      done < <(expand "$word")
    done
  done < <(sed -n 's/^SystemCallFilter=//p' "$1")
  printf '%s\n' "${!set[@]}" | sort
}
command -v strace >/dev/null || { echo "strace missing: install it (tools/install-deps.sh)"; exit 1; }
mkdir -p "$work/smart/state"
printf '%s\n' '[site]' 'name = "syscalls"' 'timezone = "UTC"' "storage = \"$work/smart/media\"" \
  "database = \"$work/smart/state/index.db\"" '[care_hours]' 'monday = ["08:00-18:00"]' '[[camera]]' 'id = "cam"' \
  'url = "rtsp://127.0.0.1:1/cam"' '[[zone]]' 'id = "all"' 'cameras = ["cam"]' >"$work/smart/carekeep.toml"
strace -f -qq -o "$work/smart/trace" "$smart" --config "$work/smart/carekeep.toml" --timeout 30 >"$work/smart/out" 2>&1 ||
  { cat "$work/smart/out"; echo "carekeep-smart failed under strace"; exit 1; }
awk '{ sub(/^[0-9]+ +/, ""); if (match($0, /^[a-z0-9_]+\(/)) print substr($0, 1, RLENGTH - 1) }' "$work/smart/trace" |
  sort -u >"$work/smart/used"
allowed_by "$units/carekeep-smart.service" >"$work/smart/allowed"
denied="$(comm -23 "$work/smart/used" "$work/smart/allowed")"
echo "carekeep-smart made $(wc -l <"$work/smart/used") distinct syscalls; its filter allows $(wc -l <"$work/smart/allowed")"
if [ -n "$denied" ]; then
  echo "carekeep-smart.service's SystemCallFilter= would deny syscalls carekeep-smart (or smartctl, findmnt, lsblk) made:"
  echo "$denied"
  exit 1
fi
echo "carekeepd.service, carekeep-smart.service and carekeep-smart.timer verified"
