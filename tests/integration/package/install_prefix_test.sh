#!/usr/bin/env bash
# cmake --install of this build tree into a staging directory (DESTDIR), once with the
# default prefix /usr/local and once with /usr: the services' ExecStart and config paths
# follow the prefix, and for /usr (the package) the unit files are the sources unchanged.
set -euo pipefail
source_dir="$1"
build_dir="$2"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR="$stage/local" cmake --install "$build_dir" --component carekeep --prefix /usr/local >/dev/null
units="$stage/local/lib/systemd/system"
test -x "$stage/local/usr/local/sbin/carekeepd" || fail "no /usr/local/sbin/carekeepd"
test -f "$stage/local/usr/local/etc/carekeep/carekeep.toml" || fail "no /usr/local/etc/carekeep/carekeep.toml"
grep -qx 'ExecStart=/usr/local/sbin/carekeepd --config /usr/local/etc/carekeep/carekeep.toml' "$units/carekeepd.service" ||
  fail "carekeepd.service: $(grep ExecStart "$units/carekeepd.service")"
grep -qx 'ExecStart=/usr/local/sbin/carekeep-smart --config /usr/local/etc/carekeep/carekeep.toml' \
  "$units/carekeep-smart.service" || fail "carekeep-smart.service: $(grep ExecStart "$units/carekeep-smart.service")"
grep -qx 'ConditionPathExists=/usr/local/etc/carekeep/carekeep.toml' "$units/carekeep-smart.service" ||
  fail "carekeep-smart.service: $(grep ConditionPathExists "$units/carekeep-smart.service")"
if grep -q '/usr/sbin/\|[= ]/etc/carekeep' "$units/carekeepd.service" "$units/carekeep-smart.service"; then
  fail "a /usr/local unit still names /usr/sbin or /etc/carekeep"
fi

DESTDIR="$stage/usr" cmake --install "$build_dir" --component carekeep --prefix /usr >/dev/null
for unit in carekeepd.service carekeep-smart.service carekeep-smart.timer; do
  cmp -s "$source_dir/systemd/$unit" "$stage/usr/lib/systemd/system/$unit" || fail "$unit differs from the source for /usr"
done
test -f "$stage/usr/etc/carekeep/carekeep.toml" || fail "no /etc/carekeep/carekeep.toml for /usr"
echo "units follow the install prefix (/usr/local rewritten, /usr unchanged)"
