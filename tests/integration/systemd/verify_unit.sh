#!/usr/bin/env bash
# Runs `systemd-analyze verify` on systemd/carekeepd.service with ExecStart pointing at the
# freshly built carekeepd (the installed path does not exist on a build machine), and checks
# that the sysusers and tmpfiles entries parse.
set -euo pipefail
units="$1" binary="$2"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: install the systemd package (tools/install-deps.sh)"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s#/usr/sbin/carekeepd#$binary#" "$units/carekeepd.service" >"$work/carekeepd.service"
out="$(systemd-analyze verify "$work/carekeepd.service" 2>&1 || true)"
# verify prints nothing when the unit is clean; any line is a finding.
if [ -n "$out" ]; then echo "$out"; exit 1; fi
grep -Eq '^u carekeep ' "$units/carekeep.sysusers"
grep -Eq '^g carekeep-operator ' "$units/carekeep.sysusers"
grep -Eq '^g carekeep-inspector ' "$units/carekeep.sysusers"
if command -v systemd-tmpfiles >/dev/null; then
  systemd-tmpfiles --dry-run --create "$units/carekeep.tmpfiles" >/dev/null 2>&1 || \
    grep -Eq '^d /var/lib/carekeep ' "$units/carekeep.tmpfiles"
fi
echo "carekeepd.service verified"
