#!/usr/bin/env bash
# make bench: every benchmark in bench/, release build, printed as tables.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
ran=0
for exe in "$B"/bench/bench_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  echo "=== $(basename "$exe")"
  "$exe"
  ran=1
done
for script in bench/*.sh; do
  [ -f "$script" ] || continue
  echo "=== $(basename "$script")"
  bash "$script" "$B"
  ran=1
done
[ "$ran" = 1 ] || { echo "bench: no benchmarks built" >&2; exit 1; }
