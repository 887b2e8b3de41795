#!/usr/bin/env bash
# Routing convergence across real dmscd processes in network namespaces
# (bench/convergence.py; needs root): register->Data at the far end of a
# line, kill->traffic around a ring, p50/p99/max for 5, 10 and 20 nodes.
#   bench/convergence.sh [BUILD_DIR] [--runs R] [--sizes 5,10,20] [--hello MS] [--dead N] [--no-silent]
#   (make bench passes build/release); also kill of a node whose host goes silent (nft)
#   DMSCD=build-rel/src/daemon/dmscd DMSC=build-rel/src/cli/dmsc bench/convergence.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=""
if [ $# -gt 0 ] && [ -d "$1" ]; then build=$(cd "$1" && pwd); shift; fi
if [ -n "$build" ]; then
  dmscd=${DMSCD:-$build/src/daemon/dmscd}
else
  dmscd=${DMSCD:-$(ls -t "$root"/build*/src/daemon/dmscd "$root"/build/*/src/daemon/dmscd 2>/dev/null | head -1)}
fi
dmsc=${DMSC:-$(dirname "$(dirname "$dmscd")")/cli/dmsc}
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$here/convergence.py" "$dmscd" "$dmsc" "$@"
