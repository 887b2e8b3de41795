#!/usr/bin/env bash
# Build every libFuzzer harness with clang (ASan + UBSan) and run each for
# FUZZ_SECONDS (default 60) on its seed corpus; new inputs go to a scratch
# corpus under build/, crashes to build/fuzz/artifacts/. Non-zero if any crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/fuzz
SECS=${FUZZ_SECONDS:-60}
if [ ! -f "$B/build.ninja" ]; then
  CC=clang meson setup "$B" -Dfuzz=true -Dtests=false -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link || exit 1
fi
# build only the harnesses (and what they need), not the whole tree
targets=$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//; s|^|fuzz/|')
ninja -C "$B" $targets || exit 1
mkdir -p "$B/artifacts"
rc=0
for exe in "$B"/fuzz/fuzz_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=$(basename "$exe"); name=${name#fuzz_}
  work="$B/corpus/$name"; mkdir -p "$work"
  echo "=== fuzz $name for ${SECS}s"
  if ! "$exe" -max_total_time="$SECS" -max_len=9000 -artifact_prefix="$B/artifacts/$name-" \
      "$work" "fuzz/corpus/$name" 2>"$B/$name.log"; then
    echo "=== fuzz $name: CRASH (see $B/$name.log, $B/artifacts/)"; rc=1
  fi
  grep -E "^#[0-9]+.*(DONE|pulse)" "$B/$name.log" | tail -1
done
exit $rc
