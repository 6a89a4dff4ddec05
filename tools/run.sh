#!/usr/bin/env bash
# Builds boxoffice (optimised) and starts it on the embedded default with a
# demo event. Extra arguments go to `boxoffice serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build/release -j "$(nproc)" --target boxoffice
exec ./build/release/boxoffice serve --demo "$@"
