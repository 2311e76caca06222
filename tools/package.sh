#!/usr/bin/env bash
# Builds the Debian package carekeep_<version>-1_<arch>.deb with CPack (DEB, Depends from
# dpkg-shlibdeps, binaries stripped: CPACK_STRIP_FILES). Prints the .deb's path on the last
# line of stdout.
#   tools/package.sh                      the package for real use: a Release build (no tests)
#                                         in build/deb, package left there
#   BUILD_DIR=/tmp/x tools/package.sh     the same in another build dir
#   FROM=build/ci tools/package.sh        no build: packages the binaries that an already built
#                                         tree holds (any build type, e.g. the CI's RelWithDebInfo;
#                                         stripped all the same). The package test does this.
#   FROM=build/ci OUT_DIR=/tmp/p ...      the package (and CPack's staging) in OUT_DIR, not the tree
#   LINTIAN=1 tools/package.sh            also run lintian (fails on errors)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir="$(pwd)"

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "package.sh: $tool missing; run tools/install-deps.sh" >&2; exit 1; }
  done
}

if [ -n "${FROM:-}" ]; then
  need cpack dpkg-shlibdeps
  build_dir="$(cd "$FROM" && pwd)"
  [ -f "$build_dir/CPackConfig.cmake" ] || { echo "package.sh: $FROM is not a configured carekeep build tree" >&2; exit 1; }
  # Only what goes into the package (not fakecam, the benchmarks or the tests).
  for f in daemon/carekeepd tools/cli/carekeep tools/smart/carekeep-smart packaging/changelog.Debian.gz; do
    [ -f "$build_dir/$f" ] || { echo "package.sh: $FROM/$f missing; build it first: cmake --build $FROM" >&2; exit 1; }
  done
  if [ -f "$build_dir/build.ninja" ] && command -v ninja >/dev/null &&
     ! ninja -C "$build_dir" -n carekeepd carekeep carekeep-smart carekeep_doc_changelog 2>/dev/null | grep -q "no work to do"; then
    echo "package.sh: warning: $FROM is older than its sources; packaging it as it is" >&2
  fi
else
  need cmake ninja cpack dpkg-shlibdeps
  build_dir="${BUILD_DIR:-$source_dir/build/deb}"
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAREKEEP_BUILD_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON "${launcher[@]}" >&2
  # Only what goes into the package (not fakecam or the benchmarks).
  cmake --build "$build_dir" --target carekeepd carekeep carekeep-smart carekeep_doc_changelog -j"${JOBS:-$(nproc)}" >&2
fi

out_dir="${OUT_DIR:-$build_dir}"
mkdir -p "$out_dir"
rm -f "$out_dir"/carekeep_*.deb
# --config reads the tree's CPack settings; cpack then installs component "carekeep" from it
# into its staging directory without building anything.
cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$out_dir" >&2
deb="$(ls "$out_dir"/carekeep_*.deb)"
if [ "${LINTIAN:-0}" = 1 ]; then
  need lintian
  lintian --fail-on error "$deb" >&2
fi
echo "$deb"
