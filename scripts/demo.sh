#!/usr/bin/env bash
# make demo. Until dmscd lands this demonstrates the packet layer with the
# dmsc CLI: build a name, encode and sign packets, decode and verify them.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
DMSC="$B/src/cli/dmsc"
if [ ! -x "$DMSC" ]; then
  echo "demo: $DMSC not built yet (the dmsc CLI is not in this revision)" >&2
  exit 1
fi
exec scripts/demo-packet.sh "$DMSC"
