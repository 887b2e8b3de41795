#!/usr/bin/env bash
# dmsc <-> NDNts interop tests (both directions), Node's built-in runner.
#   tests/interop/run.sh            # DMSC defaults to build/src/cli/dmsc
#   DMSC=build-cli/src/cli/dmsc tests/interop/run.sh
# test/forwarder.test.js starts its own dmscd: DMSCD, default
# build/test/src/daemon/dmscd.
# Exits non-zero on any failure. The closing TAP lines are "# pass N" and
# "# fail N".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"

# every @ndn package of package.json must be installed (npm ci when one is missing)
for p in $(node -e 'console.log(Object.keys(require("./package.json").dependencies).join(" "))'); do
  if [ ! -d "node_modules/$p" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    break
  fi
done

export DMSC=${DMSC:-$root/build/src/cli/dmsc}
case $DMSC in /*) ;; *) DMSC=$root/$DMSC ;; esac
if [ ! -x "$DMSC" ]; then
  echo "interop: dmsc binary not found at $DMSC (set DMSC=...)" >&2
fi

export DMSCD=${DMSCD:-$root/build/test/src/daemon/dmscd}
case $DMSCD in /*) ;; *) DMSCD=$root/$DMSCD ;; esac
if [ ! -x "$DMSCD" ]; then
  echo "interop: dmscd binary not found at $DMSCD (set DMSCD=...)" >&2
fi

exec node --test --test-reporter=tap test/
