#!/usr/bin/env bash
# Builds optimised and runs the benchmarks in bench/ (never part of the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build/release -j "$(nproc)" --target section_bench journal_bench boxoffice
echo "commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
./build/release/section_bench
./tools/with-postgres.sh ./build/release/journal_bench
# HTTP: health ceiling, seat map, durable holds (wrk, 64 connections).
bench/http_bench.sh sqlite
./tools/with-postgres.sh bench/http_bench.sh postgresql
