#!/usr/bin/env bash
# The whole test suite: unit tests (ASan + UBSan, -Werror), then interop
# and integration suites. Prints one closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
B=${BUILD_TEST:-build/test}

fail() { echo "test: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

mkdir -p "$(dirname "$B")"
if [ ! -f "$B/build.ninja" ]; then
  meson setup "$B" -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
    -Dwerror=true >"$B.setup.log" 2>&1 || { tail -30 "$B.setup.log"; fail "meson setup failed"; }
fi
meson setup --reconfigure "$B" >/dev/null 2>&1 || true
ninja -C "$B" || fail "build failed"

passed=0
failed=0
LOGDIR="$B/test-logs"; mkdir -p "$LOGDIR"
# suite NAME PASS_RE FAIL_RE command...: runs a suite, adds the counts its
# runner prints (meson "Ok: N"/"Fail: N", node "# pass N"/"# fail N").
suite() {
  local name=$1 pre=$2 fre=$3; shift 3
  echo "=== $name"
  "$@" 2>&1 | tee "$LOGDIR/$name.log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -E "$pre" "$LOGDIR/$name.log" | tail -1 | grep -oE '[0-9]+' | tail -1)
  f=$(grep -E "$fre" "$LOGDIR/$name.log" | tail -1 | grep -oE '[0-9]+' | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # a runner that died counts as a failure
  passed=$((passed + p)); failed=$((failed + f))
  echo "=== $name: $p passed, $f failed (exit $rc)"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

suite unit '^Ok:' '^Fail:' meson test -C "$B" --print-errorlogs --num-processes 2
if [ -x tests/integration/run.sh ] && [ -x "$B/src/daemon/dmscd" ]; then
  suite integration '^# pass' '^# fail' env DMSCD="$PWD/$B/src/daemon/dmscd" DMSC="$PWD/$B/src/cli/dmsc" \
    tests/integration/run.sh
fi
if [ -x tests/topo/run.sh ] && [ -x "$B/src/daemon/dmscd" ]; then
  suite topo '^# pass' '^# fail' env DMSCD="$PWD/$B/src/daemon/dmscd" DMSC="$PWD/$B/src/cli/dmsc" \
    tests/topo/run.sh
fi
if [ -x tests/integration/test_tools.sh ] && [ -x "$B/src/daemon/dmscd" ]; then
  suite tools '^# pass' '^# fail' tests/integration/test_tools.sh "$B"
fi
if [ -x tests/interop/run.sh ]; then
  suite interop '^# pass' '^# fail' env DMSC="$PWD/$B/src/cli/dmsc" DMSCD="$PWD/$B/src/daemon/dmscd" \
    tests/interop/run.sh
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
