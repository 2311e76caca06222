#!/usr/bin/env bash
# Packages the binaries of an already built tree with tools/package.sh (FROM=BUILD_DIR: no
# build, CPack strips them), checks the .deb with lintian, installs it on this machine with
# dpkg -i (root), checks files, user, groups, permissions and the enabled unit, reinstalls it
# over an edited config, removes it (footage, index and config stay) and purges it (they go,
# and nothing of the package is left; the system user and groups stay, as Debian has it).
# Refuses to run where carekeep is already installed or has data, because purging would
# delete that data. Exit 77 (skipped) when not root.
#   package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir="$1" build_dir="$2"

fail() { echo "FAIL: $*" >&2; exit 1; }
check() { local what="$1"; shift; "$@" || fail "$what"; }

if [ "$(id -u)" != 0 ]; then
  echo "skipped: needs root (dpkg -i); CI and the dev VM run as root"
  exit 77
fi
for tool in dpkg dpkg-deb lintian cpack dpkg-shlibdeps readelf flock; do
  command -v "$tool" >/dev/null || fail "$tool missing: run tools/install-deps.sh"
done
# One package test at a time on this machine: other build trees' test runs (other worktrees,
# other ctest invocations; RUN_SERIAL only orders one ctest run) would install and purge the
# same package under this one. The lock is on dpkg's database directory, which exists wherever
# this test can run, so no lock file is left behind (dpkg itself locks files inside it).
exec 9</var/lib/dpkg
flock -w 600 9 || fail "another package test held the lock on /var/lib/dpkg for 10 minutes"
if dpkg-query -W -f='${Status}' carekeep 2>/dev/null | grep -q installed; then
  fail "the carekeep package is installed on this machine; this test would purge it (and its footage)"
fi
for path in /var/lib/carekeep /etc/carekeep; do
  [ ! -e "$path" ] || fail "$path exists; this test purges it: move it away first"
done

work="$(mktemp -d)"
cleanup() {
  if dpkg-query -W -f='${Status}' carekeep 2>/dev/null | grep -q 'ok \(installed\|config-files\|half\)'; then
    dpkg --purge carekeep >/dev/null 2>&1 || true
  fi
  rm -rf /var/lib/carekeep /etc/carekeep "$work"
}
trap cleanup EXIT

echo "== packaging $build_dir"
deb="$(FROM="$build_dir" OUT_DIR="$work" "$source_dir/tools/package.sh" | tail -n 1)"
[ -f "$deb" ] || fail "tools/package.sh did not produce a .deb"
echo "$deb"

echo "== control fields"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
for lib in libavformat libavcodec libavutil libsqlite3 libsystemd0 libstdc++6 libc6; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib (dpkg-shlibdeps did not run?)"
done
recommends="$(dpkg-deb -f "$deb" Recommends)"
echo "Recommends: $recommends"
grep -q smartmontools <<<"$recommends" || fail "Recommends lacks smartmontools (carekeep-smart's smartctl)"
if grep -q smartmontools <<<"$depends"; then fail "smartmontools must be recommended, not a dependency"; fi
check "conffiles lists the config" grep -qx /etc/carekeep/carekeep.toml <(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
if dpkg-deb -c "$deb" | grep -q carekeep-fakecam; then fail "carekeep-fakecam must not be in the package"; fi

echo "== lintian"
lintian --fail-on error --suppress-tags no-manual-page "$deb" || fail "lintian reported errors"

echo "== install"
dpkg -i "$deb"
for f in /usr/sbin/carekeepd /usr/bin/carekeep /usr/sbin/carekeep-smart; do
  check "$f is executable" test -x "$f"
  # The tree may be RelWithDebInfo (CI): its debug info must not reach the box.
  if readelf -S --wide "$f" | grep -q '\.debug_'; then fail "$f is not stripped"; fi
done
for f in /lib/systemd/system/carekeepd.service /lib/systemd/system/carekeep-smart.service /lib/systemd/system/carekeep-smart.timer /usr/lib/sysusers.d/carekeep.conf /usr/lib/tmpfiles.d/carekeep.conf \
         /usr/share/doc/carekeep/copyright /usr/share/doc/carekeep/changelog.Debian.gz /etc/carekeep/carekeep.toml; do
  check "$f installed" test -f "$f"
done
check "user carekeep" getent passwd carekeep >/dev/null
[ "$(getent passwd carekeep | cut -d: -f7)" = /usr/sbin/nologin ] || fail "carekeep's shell is not nologin"
[ "$(getent passwd carekeep | cut -d: -f6)" = /var/lib/carekeep ] || fail "carekeep's home is not /var/lib/carekeep"
for g in carekeep carekeep-operator carekeep-inspector; do check "group $g" getent group "$g" >/dev/null; done
expect_stat() {  # path "mode user group"
  local got; got="$(stat -c '%a %U %G' "$1")"
  [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}
expect_stat /etc/carekeep/carekeep.toml "640 root carekeep"
expect_stat /var/lib/carekeep "750 carekeep carekeep"
expect_stat /var/lib/carekeep/media "750 carekeep carekeep"
expect_stat /run/carekeep "755 carekeep carekeep"
expect_stat /usr/sbin/carekeepd "755 root root"
check "unit enabled (multi-user.target.wants)" test -L /etc/systemd/system/multi-user.target.wants/carekeepd.service
check "SMART timer enabled (timers.target.wants)" test -L /etc/systemd/system/timers.target.wants/carekeep-smart.timer
# What the timer runs, by hand: it writes smart.json beside the index (whatever this machine's
# disk offers), readable by the daemon's user.
(umask 022 && /usr/sbin/carekeep-smart --config /etc/carekeep/carekeep.toml) || fail "carekeep-smart failed"
check "smart.json written" test -f /var/lib/carekeep/smart.json
expect_stat /var/lib/carekeep/smart.json "644 root root"
/usr/sbin/carekeepd --check-config --config /etc/carekeep/carekeep.toml >/dev/null || fail "the installed config is invalid"
# The installed CLI runs; the sample cameras do not exist, so doctor says "not fit" (1).
set +e
json="$(/usr/bin/carekeep --config /etc/carekeep/carekeep.toml doctor --json --probe-seconds 0 --skip daemon)"
rc=$?
set -e
[ "$rc" = 1 ] || fail "carekeep doctor on the sample config exited $rc, expected 1"
grep -q '"fit": false' <<<"$json" || fail "doctor JSON lacks \"fit\": false"

echo "== storage on another disk: the sandbox check and the one drop-in (issue 14)"
# The installed unit lets carekeepd write /var/lib/carekeep only; storage elsewhere needs the
# drop-in doctor prints and --fix-storage writes. Neither path is the package's: removed here.
dropin=/etc/systemd/system/carekeepd.service.d/storage.conf
elsewhere=/srv/carekeep-package-test
[ ! -e "$dropin" ] && [ ! -e "$elsewhere" ] || fail "$dropin or $elsewhere exists; this test would remove it"
trap 'rm -rf "$elsewhere" /etc/systemd/system/carekeepd.service.d; cleanup' EXIT
sed "s#^storage = .*#storage = \"$elsewhere\"#" /etc/carekeep/carekeep.toml >"$work/elsewhere.toml"
set +e
json="$(/usr/bin/carekeep --config "$work/elsewhere.toml" doctor --json --probe-seconds 0 --skip daemon)"
set -e
grep -A4 '"check": "sandbox"' <<<"$json" | grep -q '"verdict": "fail"' || { echo "$json"; fail "doctor did not fail the sandbox check for $elsewhere"; }
grep -q "ReadWritePaths=$elsewhere" <<<"$json" || fail "doctor's advice lacks ReadWritePaths=$elsewhere"
set +e
json="$(/usr/bin/carekeep --config "$work/elsewhere.toml" doctor --json --fix-storage --probe-seconds 0 --skip daemon)"
set -e
check "--fix-storage wrote $dropin" grep -qx "ReadWritePaths=$elsewhere" "$dropin"
check "--fix-storage wrote RequiresMountsFor" grep -qx "RequiresMountsFor=$elsewhere" "$dropin"
expect_stat "$elsewhere" "750 carekeep carekeep"
grep -A4 '"check": "sandbox"' <<<"$json" | grep -q '"verdict": "pass"' || { echo "$json"; fail "the sandbox check still fails after --fix-storage"; }
# systemd itself accepts the unit with the drop-in (the drop-in directory is read from /etc).
out="$(systemd-analyze verify /lib/systemd/system/carekeepd.service 2>&1 || true)"
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify rejects the installed unit with $dropin"; }
systemd-analyze security --offline=true /lib/systemd/system/carekeepd.service | tail -n 1
rm -rf "$elsewhere" /etc/systemd/system/carekeepd.service.d

echo "== reinstall over an edited config and existing footage"
echo "# edited by the operator" >>/etc/carekeep/carekeep.toml
mkdir -p /var/lib/carekeep/media/nap-1/2026-11-29
echo footage >/var/lib/carekeep/media/nap-1/2026-11-29/080000-1.mp4
echo index >/var/lib/carekeep/index.db
dpkg -i "$deb"
grep -q "edited by the operator" /etc/carekeep/carekeep.toml || fail "reinstall overwrote the edited config"
expect_stat /etc/carekeep/carekeep.toml "640 root carekeep"

echo "== remove: footage, index and config stay"
dpkg --remove carekeep
[ ! -e /usr/sbin/carekeepd ] || fail "carekeepd still installed after remove"
check "footage kept on remove" test -f /var/lib/carekeep/media/nap-1/2026-11-29/080000-1.mp4
check "index kept on remove" test -f /var/lib/carekeep/index.db
check "config kept on remove" grep -q "edited by the operator" /etc/carekeep/carekeep.toml
[ ! -e /etc/systemd/system/multi-user.target.wants/carekeepd.service ] || fail "unit still enabled after remove"
[ ! -e /etc/systemd/system/timers.target.wants/carekeep-smart.timer ] || fail "SMART timer still enabled after remove"

echo "== purge: they go"
dpkg --purge carekeep
[ ! -e /var/lib/carekeep ] || fail "/var/lib/carekeep left after purge"
[ ! -e /etc/carekeep ] || fail "/etc/carekeep left after purge"
[ ! -e /etc/systemd/system/carekeepd.service ] || fail "mask of carekeepd.service left after purge"
[ ! -e /etc/systemd/system/carekeep-smart.timer ] || fail "mask of carekeep-smart.timer left after purge"
if dpkg-query -W -f='${Status}' carekeep 2>/dev/null | grep -q installed; then fail "still known to dpkg after purge"; fi
for left in /run/carekeep /etc/systemd/system/multi-user.target.wants/carekeepd.service \
            /var/lib/systemd/deb-systemd-helper-enabled/carekeepd.service.dsh-also \
            /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/carekeepd.service \
            /var/lib/systemd/deb-systemd-helper-masked/carekeepd.service; do
  [ ! -e "$left" ] || fail "$left left after purge"
done
# Debian keeps system accounts on purge (their ids may own files elsewhere).
check "user kept after purge" getent passwd carekeep >/dev/null
echo "package test passed"
