#!/usr/bin/env bash
# Integration tests of dmscd (tests/integration/test_dmscd.py, test_badinput.py):
# real dmscd processes on loopback, real NDN packets over UDP, TCP and Unix sockets.
# Exit status non-zero on failure; the last lines are "# pass N" / "# fail N".
#
#   tests/integration/run.sh            uses $DMSCD, else build/test's dmscd,
#                                       else the newest build*/src/daemon/dmscd
#   DMSCD=/path/to/dmscd tests/integration/run.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

bin=${DMSCD:-}
if [ -z "$bin" ]; then
  if [ -x "$root/build/test/src/daemon/dmscd" ]; then
    bin=$root/build/test/src/daemon/dmscd
  else
    bin=$(ls -t "$root"/build*/src/daemon/dmscd "$root"/build/*/src/daemon/dmscd 2>/dev/null | head -1)
  fi
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "integration: no dmscd binary (set DMSCD or build first)" >&2
  echo "# pass 0"
  echo "# fail 1"
  exit 1
fi
echo "# dmscd: $bin"
export PYTHONDONTWRITEBYTECODE=1
# each script prints its own "# pass N" / "# fail N" (renamed here to
# "# <script> pass N" so that the totals printed last are the ones counted)
pass=0
fail=0
catalog=$(dirname "$(dirname "$(dirname "$bin")")")/examples/dmsc-example-catalog
for t in test_dmscd.py test_badinput.py test_gateway.py; do
  out=$(mktemp)
  args=("$bin")
  [ "$t" = test_gateway.py ] && args+=("$catalog")
  /usr/bin/python3 "$here/$t" "${args[@]}" | sed -u "s/^# \(pass\|fail\) /# $t \1 /" | tee "$out"
  rc=${PIPESTATUS[0]}
  p=$(grep -E "^# $t pass [0-9]+$" "$out" | tail -1 | grep -oE '[0-9]+$')
  f=$(grep -E "^# $t fail [0-9]+$" "$out" | tail -1 | grep -oE '[0-9]+$')
  rm -f "$out"
  p=${p:-0}
  f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # a script that died counts as a failure
  pass=$((pass + p))
  fail=$((fail + f))
done
echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
