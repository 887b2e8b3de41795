#!/usr/bin/env bash
# make demo: a local mesh of three dmscd nodes on loopback (A - B - C, joined
# by UDP faces), no controller: each node knows only its neighbors, and the
# routing module spreads node names and service prefixes. A sample service
# registers on C; requests from A flow through B. Prints the admin URLs; with
# a terminal it keeps the mesh up until Ctrl-C. No config files needed.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
case $B in /*) ;; *) B=$PWD/$B ;; esac
DMSCD=$B/src/daemon/dmscd
DMSC=$B/src/cli/dmsc
for x in "$DMSCD" "$DMSC"; do [ -x "$x" ] || { echo "demo: $x not built" >&2; exit 1; }; done

T=$(mktemp -d /tmp/dmsc-demo.XXXXXX)
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# free ports: UDP for faces, TCP for admin APIs
read -r UA UB UC AA AB AC < <(/usr/bin/python3 - <<'PY'
import socket
s = []
for kind in (socket.SOCK_DGRAM,) * 3 + (socket.SOCK_STREAM,) * 3:
    x = socket.socket(socket.AF_INET, kind); x.bind(("127.0.0.1", 0)); s.append(x)
print(*[x.getsockname()[1] for x in s])
PY
)

node() { # name udp-port admin-port neighbors-yaml
  cat > "$T/$1.yaml" <<Y
node: {name: /demo/node/$1}
log: {level: warn}
listen:
  udp: {bind: 127.0.0.1, port: $2}
  tcp: {enabled: false}
  unix: {path: $T/$1.sock}
admin: {bind: 127.0.0.1, port: $3}
routing:
  enabled: true
  neighbors: [$4]
Y
  "$DMSCD" --config "$T/$1.yaml" 2>"$T/$1.log" &
  pids+=($!)
}
node a "$UA" "$AA" "udp4://127.0.0.1:$UB"
node b "$UB" "$AB" "udp4://127.0.0.1:$UA, udp4://127.0.0.1:$UC"
node c "$UC" "$AC" "udp4://127.0.0.1:$UB"
for n in a b c; do
  for _ in $(seq 100); do [ -S "$T/$n.sock" ] && break; sleep 0.05; done
  [ -S "$T/$n.sock" ] || { echo "demo: node $n did not start:" >&2; cat "$T/$n.log" >&2; exit 1; }
done

say "three nodes up: A <-> B <-> C over UDP"
printf '  node %s  admin http://127.0.0.1:%s/status  metrics http://127.0.0.1:%s/metrics\n' \
  A "$AA" "$AA" B "$AB" "$AB" C "$AC" "$AC"

say "a sample service on node C: /demo/shop/catalog (a 1 MB object, cacheable 60 s)"
head -c 1000000 /dev/urandom > "$T/catalog.bin"
DMSC_FACE=unix://$T/c.sock "$DMSC" put /demo/shop/catalog "$T/catalog.bin" --freshness 60000 2>"$T/put.log" &
pids+=($!)

say "waiting for the prefix to reach node A (link-state routing, no controller)"
for _ in $(seq 200); do
  "$DMSC" routes --admin 127.0.0.1:"$AA" 2>/dev/null | grep -q "/demo/shop/catalog" && break
  sleep 0.05
done
"$DMSC" routes --admin 127.0.0.1:"$AA"
"$DMSC" lsdb --admin 127.0.0.1:"$AA" 2>/dev/null | head -8 || true

say "from node A: ping node C by name (two hops)"
DMSC_FACE=unix://$T/a.sock "$DMSC" ping /demo/node/c -c 3 -i 200

say "from node A: fetch the catalog through B (and again: now from A's own cache)"
for i in 1 2; do
  DMSC_FACE=unix://$T/a.sock "$DMSC" cat /demo/shop/catalog -o "$T/got$i.bin" -v 2>&1 | tail -1
  cmp -s "$T/catalog.bin" "$T/got$i.bin" && echo "   fetch $i: intact ($(stat -c %s "$T/got$i.bin") bytes)"
done

say "node B's faces (dmsc faces, from its admin API) and node A's Content Store"
"$DMSC" faces --admin 127.0.0.1:"$AB"
"$DMSC" cs --admin 127.0.0.1:"$AA"

if [ -t 0 ] && [ -t 1 ]; then
  say "the mesh stays up: try  DMSC_FACE=unix://$T/a.sock $DMSC ping /demo/node/b   (Ctrl-C to stop)"
  wait "${pids[0]}"
fi
