#!/usr/bin/env bash
# Runs `systemd-analyze verify` on systemd/carekeepd.service and carekeep-smart.{service,timer}
# with ExecStart pointing at the freshly built carekeepd and carekeep-smart (the installed
# paths do not exist on a build machine), and checks that the sysusers and tmpfiles entries
# parse.
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
echo "carekeepd.service, carekeep-smart.service and carekeep-smart.timer verified"
