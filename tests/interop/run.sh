#!/usr/bin/env bash
# dmsc <-> NDNts interop tests (both directions), Node's built-in runner.
#   tests/interop/run.sh            # DMSC defaults to build/src/cli/dmsc
#   DMSC=build-cli/src/cli/dmsc tests/interop/run.sh
# Exits non-zero on any failure. The closing TAP lines are "# pass N" and
# "# fail N".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"

if [ ! -d node_modules/@ndn/packet ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

export DMSC=${DMSC:-$root/build/src/cli/dmsc}
case $DMSC in /*) ;; *) DMSC=$root/$DMSC ;; esac
if [ ! -x "$DMSC" ]; then
  echo "interop: dmsc binary not found at $DMSC (set DMSC=...)" >&2
fi

exec node --test --test-reporter=tap test/
