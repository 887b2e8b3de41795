#!/usr/bin/env bash
# Integration tests of dmscd (tests/integration/test_dmscd.py): real dmscd
# processes on loopback, real NDN packets over UDP, TCP and Unix sockets.
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
exec /usr/bin/python3 "$here/test_dmscd.py" "$bin"
