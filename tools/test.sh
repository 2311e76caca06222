#!/usr/bin/env bash
# Installs dependencies if missing, configures, builds and runs the default CTest set
# (everything but the `soak` and `package` labels). Exit status is CTest's.
#   tools/test.sh                 RelWithDebInfo, warnings are errors (as CI)
#   PRESET=debug tools/test.sh    ASan + UBSan
#   ctest --preset ci -L soak     the long soak runs, after a build
#   ctest --test-dir build/ci -L package   build, lintian, dpkg -i, remove, purge the .deb
#                                 (minutes: its own Release build; installs on this machine)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${PRESET:-ci}"

tools/install-deps.sh

cmake --preset "$preset"
cmake --build --preset "$preset" -j"$(nproc)"
set +e
ctest --preset "$preset" -j"$(nproc)" "$@"
status=$?
exit $status
