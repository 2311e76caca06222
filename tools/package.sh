#!/usr/bin/env bash
# Builds the Debian package carekeep_<version>-1_<arch>.deb: a Release build (no tests) in its
# own build directory, then CPack (DEB, Depends from dpkg-shlibdeps). Prints the .deb's path
# on the last line of stdout.
#   tools/package.sh                      build dir build/deb, package left there
#   BUILD_DIR=/tmp/x tools/package.sh     another build dir (the package test uses its own)
#   LINTIAN=1 tools/package.sh            also run lintian (fails on errors)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir="$(pwd)"
build_dir="${BUILD_DIR:-$source_dir/build/deb}"

for tool in cmake ninja cpack dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool missing; run tools/install-deps.sh" >&2; exit 1; }
done
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi

cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAREKEEP_BUILD_TESTS=OFF \
  -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON "${launcher[@]}" >&2
# Only what goes into the package (not fakecam or the benchmarks).
cmake --build "$build_dir" --target carekeepd carekeep carekeep-smart carekeep_doc_changelog -j"${JOBS:-$(nproc)}" >&2
rm -f "$build_dir"/carekeep_*.deb
(cd "$build_dir" && cpack -G DEB >&2)
deb="$(ls "$build_dir"/carekeep_*.deb)"
if [ "${LINTIAN:-0}" = 1 ]; then
  command -v lintian >/dev/null || { echo "package.sh: lintian missing; run tools/install-deps.sh" >&2; exit 1; }
  lintian --fail-on error "$deb" >&2
fi
echo "$deb"
