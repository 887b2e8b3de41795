#!/usr/bin/env bash
# Topology tests of dmsc routing (tests/topo/topo.py): one dmscd per network
# namespace, veth links, routing over UDP; 5-node line, 6-node ring with a
# node killed, partition and healing, 10-node random graph with two producers
# (of two prefixes, then of one prefix: nearer by cost, then fallback), 5-node
# line with 10 % UDP loss injected by nftables (nft must be installed); 3 nodes
# on one bridge that find each other by multicast discovery (no neighbors);
# an HTTP download through the gateway across a 3-node line with 10 % loss.
# Needs root (ip netns): without it the suite FAILS, it never passes silently.
# The last lines are "# pass N" / "# fail N"; exit status non-zero on failure.
#
#   tests/topo/run.sh [test ...]        uses $DMSCD / $DMSC, else build/test's
#                                       binaries, else the newest build*/
#   DMSCD=build-x/src/daemon/dmscd DMSC=build-x/src/cli/dmsc tests/topo/run.sh ring6
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

pick() { # pick VAR relative-path
  local v=${!1:-}
  if [ -z "$v" ]; then
    if [ -x "$root/build/test/$2" ]; then
      v=$root/build/test/$2
    else
      v=$(ls -t "$root"/build*/"$2" "$root"/build/*/"$2" 2>/dev/null | head -1)
    fi
  fi
  echo "$v"
}
dmscd=$(pick DMSCD src/daemon/dmscd)
dmsc=${DMSC:-}
if [ -z "$dmsc" ] && [ -n "$dmscd" ]; then
  dmsc=$(dirname "$(dirname "$dmscd")")/cli/dmsc # the same build as dmscd
fi
if [ -z "$dmscd" ] || [ ! -x "$dmscd" ] || [ ! -x "$dmsc" ]; then
  echo "topo: no dmscd/dmsc binaries (set DMSCD and DMSC or build first)" >&2
  echo "# pass 0"
  echo "# fail 1"
  exit 1
fi
echo "# dmscd: $dmscd"
echo "# dmsc: $dmsc"
export PYTHONDONTWRITEBYTECODE=1
/usr/bin/python3 "$here/topo.py" "$dmscd" "$dmsc" "$@"
