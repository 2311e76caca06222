#!/usr/bin/env bash
# Installs dependencies if missing, configures, builds and runs the default CTest set
# (everything but the `soak` label). Exit status is CTest's.
#   tools/test.sh                 RelWithDebInfo, warnings are errors (as CI)
#   PRESET=debug tools/test.sh    ASan + UBSan
#   ctest --preset ci -L soak     the long soak runs, after a build
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
