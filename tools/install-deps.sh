#!/usr/bin/env bash
# Installs every Debian 12 package carekeep needs to build, test and run.
# Idempotent: packages already present are left alone; safe to run again.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkgconf git ca-certificates
  # fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes (libclang-rt-14-dev is
  # only a recommendation of clang-14), llvm-symbolizer for readable crash stacks (llvm)
  clang libclang-rt-14-dev llvm
  # recording: FFmpeg libraries and the CLI (tests and benchmarks compare with it)
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  # carekeep-fakecam: GStreamer RTSP server, encoders and payloaders
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  # fakecam's rtsps:// (--tls-cert): GLib's TLS backend (GnuTLS); tests make certificates with openssl
  glib-networking openssl
  # index
  libsqlite3-dev sqlite3
  # C++ libraries
  libboost-dev libboost-system-dev catch2 libtomlplusplus-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libexpected-dev libhowardhinnant-date-dev
  libssl-dev libsystemd-dev
  # reports (PDF)
  libcairo2-dev libpango1.0-dev fonts-noto-cjk
  # report tests: pdftotext reads the PDF back, headless Chromium renders the HTML, python3's csv
  # module loads the CSVs (tests/integration/report)
  poppler-utils chromium python3
  # floor plan tests: xmllint parses the plan's SVG (tests/unit/floorplan)
  libxml2-utils
  # time zones for the care-hours calendar
  tzdata
  # systemd unit checks; strace records the syscalls carekeep-smart and its smartctl make,
  # checked against carekeep-smart.service's SystemCallFilter= (tests/integration/systemd)
  systemd strace
  # Debian package: dpkg-shlibdeps computes Depends, lintian checks the .deb (tools/package.sh)
  dpkg-dev lintian
  # retention tests: the daemon on a clock 10 years ahead (libfaketime, preloaded into carekeepd only)
  faketime
  # web console browser test (tests/browser): node runs console.test.mjs with playwright-core,
  # which npm installs from tests/browser/package-lock.json (npm_ci below); it drives chromium
  # (above). npm is installed below only when nodejs did not bring it (a nodejs built with npm
  # inside conflicts with Debian's npm package).
  nodejs
  # SMART: carekeep-smart and carekeep doctor run smartctl; the probe tests ask it about this
  # machine's own disk (findmnt, lsblk: util-linux, mkfs.ext4 for a loop-mounted image: e2fsprogs)
  smartmontools util-linux e2fsprogs
  # fleet health (docs/fleet.md): promtool checks and unit-tests packaging/prometheus's rules,
  # amtool its Alertmanager example; the fleet test runs both servers on 127.0.0.1
  prometheus prometheus-alertmanager
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The browser test's npm packages, exactly as the lockfile pins them (never a browser download:
# playwright-core drives Debian's chromium).
npm_ci() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "install-deps: npm is missing; run this script as root, or apt-get install npm" >&2
      return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
  fi
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) && echo "install-deps: npm ci in tests/browser done"
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  npm_ci
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo --preserve-env=DEBIAN_FRONTEND "$0" "$@"
  fi
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this script as root (for example: su -c '$0') or install them with apt-get." >&2
  exit 1
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts the Prometheus and Alertmanager services it installs (:9090, :9093). The tests
# run their own on free ports: stop and disable the ones just installed, never one that was here.
if [ -d /run/systemd/system ]; then
  for unit in prometheus prometheus-alertmanager; do
    if printf '%s\n' "${missing[@]}" | grep -qx "$unit"; then
      systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
    fi
  done
fi
echo "install-deps: done"
npm_ci
