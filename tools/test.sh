#!/usr/bin/env bash
# Installs dependencies if missing, configures, builds and runs the default CTest set
# (everything but the `soak` and `fuzz` labels; the fuzz harnesses' short runs are in it).
# Exit status is CTest's.
#   tools/test.sh                 RelWithDebInfo, warnings are errors (as CI). As root this
#                                 includes the `package` test (≈ 20 s, run alone): it packages
#                                 the binaries just built (stripped), lintian, dpkg -i, remove,
#                                 purge on this machine; skipped when not root
#   PRESET=debug tools/test.sh    ASan + UBSan (without the `package` label: not a build to ship)
#   ctest --test-dir build/ci -L soak       the long soak runs, after a build (not with
#                                            --preset ci, whose exclusion of soak still applies)
#   ctest --test-dir build/ci -L '^fuzz$'   the long fuzz runs (CAREKEEP_FUZZ_SECONDS each)
#   ctest --test-dir build/ci -L package   only the package test
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${PRESET:-ci}"

tools/install-deps.sh

cmake --preset "$preset"
cmake --build --preset "$preset" -j"$(nproc)"
set +e
# Twice as many tests as cores: most tests wait on real time (a camera's outage, a segment's
# close, a care-hours boundary) and use a few percent of a core; measured per test with cpuacct,
# the 24 longest spend 1-25 s of CPU in 13-95 s (README "Build and test times").
ctest --preset "$preset" -j"$(( $(nproc) * 2 ))" "$@"
status=$?
exit $status
