#!/usr/bin/env bash
# Routing convergence across real dmscd processes in network namespaces
# (bench/convergence.py; needs root): register->Data at the far end of a
# line, kill->traffic around a ring, p50/p99/max for 5, 10 and 20 nodes.
#   bench/convergence.sh [--runs R] [--sizes 5,10,20]
#   DMSCD=build-rel/src/daemon/dmscd DMSC=build-rel/src/cli/dmsc bench/convergence.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dmscd=${DMSCD:-$(ls -t "$root"/build*/src/daemon/dmscd 2>/dev/null | head -1)}
dmsc=${DMSC:-$(dirname "$(dirname "$dmscd")")/cli/dmsc}
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$here/convergence.py" "$dmscd" "$dmsc" "$@"
