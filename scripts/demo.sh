#!/usr/bin/env bash
# make demo: a local mesh of three dmscd nodes on loopback (A - B - C, joined
# by UDP faces), no controller: each node knows only its neighbors, and the
# routing module spreads node names and service prefixes.
#
#  1. NDN: a named object published on C is fetched from A through B (ping,
#     cat, A's cache).
#  2. The service gateway: two unmodified HTTP services join the mesh. The
#     sample catalog runs behind C as /shop/catalog, the sample cart behind B
#     as /shop/cart; the cart calls the catalog through B's own gateway
#     (Host: catalog.shop), so one request from A crosses the mesh twice.
#     curl on A talks plain HTTP to A's gateway.
#
# Prints the admin URLs; with a terminal it keeps the mesh up until Ctrl-C,
# without one (CI) it runs through and exits 0. No config files needed.
# Usage: scripts/demo.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
case $B in /*) ;; *) B=$PWD/$B ;; esac
DMSCD=$B/src/daemon/dmscd
DMSC=$B/src/cli/dmsc
CATALOG=$B/examples/dmsc-example-catalog
CART=$B/examples/dmsc-example-cart
for x in "$DMSCD" "$DMSC" "$CATALOG" "$CART"; do
  [ -x "$x" ] || { echo "demo: $x not built (ninja -C $B)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "demo: curl is needed (apt-get install curl)" >&2; exit 1; }

T=$(mktemp -d /tmp/dmsc-demo.XXXXXX)
pids=()
cleanup() {
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -t 1 ]; then BOLD=$'\033[1m' DIM=$'\033[2m' OFF=$'\033[0m'; else BOLD= DIM= OFF=; fi
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"; }
# fail MESSAGE: say what did not work, show the logs, exit 1 (cleanup runs)
fail() {
  echo "demo: $*" >&2
  for f in "$T"/*.log; do
    [ -s "$f" ] || continue
    echo "---- ${f##*/} (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
  exit 1
}
trap 'fail "a step failed (line $LINENO)"' ERR

# free ports: UDP for faces, TCP for admin APIs and HTTP gateways
read -r UA UB UC AA AB AC GA GB GC < <(/usr/bin/python3 - <<'PY'
import socket
s = []
for kind in (socket.SOCK_DGRAM,) * 3 + (socket.SOCK_STREAM,) * 6:
    x = socket.socket(socket.AF_INET, kind); x.bind(("127.0.0.1", 0)); s.append(x)
print(*[x.getsockname()[1] for x in s])
PY
)

# service NAME BINARY ARGS...: start an example service on a free port;
# sets SVC_ADDR to the HOST:PORT it printed
service() {
  local name=$1 bin=$2
  shift 2
  "$bin" --listen 127.0.0.1:0 --name "$name" "$@" >"$T/$name.out" 2>"$T/$name.log" &
  pids+=($!)
  SVC_ADDR=
  for _ in $(seq 100); do
    SVC_ADDR=$(sed -n 's/^listening on \(.*\)$/\1/p' "$T/$name.out" 2>/dev/null)
    [ -n "$SVC_ADDR" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  fail "service $name ($bin) did not start"
}

# the sample services: catalog (for C), cart (for B) calling the catalog
# through node B's HTTP gateway
service catalog-c "$CATALOG"
CAT=$SVC_ADDR
service cart-b "$CART" --catalog-url "http://127.0.0.1:$GB" --catalog-host catalog.shop
CRT=$SVC_ADDR

node() { # name udp-port admin-port gateway-port neighbors [services-yaml]
  cat > "$T/$1.yaml" <<Y
node: {name: /demo/node/$1}
log: {level: info}
listen:
  udp: {bind: 127.0.0.1, port: $2}
  tcp: {enabled: false}
  unix: {path: $T/$1.sock}
admin: {bind: 127.0.0.1, port: $3}
routing:
  enabled: true
  neighbors: [$5]
gateway:
  http: {bind: 127.0.0.1, port: $4}
${6:-}
Y
  "$DMSCD" --config "$T/$1.yaml" 2>"$T/$1.log" &
  pids+=($!)
  eval "PID_$1=\$!"
}
node a "$UA" "$AA" "$GA" "udp4://127.0.0.1:$UB"
node b "$UB" "$AB" "$GB" "udp4://127.0.0.1:$UA, udp4://127.0.0.1:$UC" "services:
  - prefix: /shop/cart
    instances: [$CRT]
    health: {path: /health, interval: 1s}"
node c "$UC" "$AC" "$GC" "udp4://127.0.0.1:$UB" "services:
  - prefix: /shop/catalog
    instances: [$CAT]
    health: {path: /health, interval: 1s}
    metadata: {version: v1}"
for n in a b c; do
  for _ in $(seq 200); do [ -S "$T/$n.sock" ] && break; sleep 0.05; done
  [ -S "$T/$n.sock" ] || fail "node $n did not start"
done

say "three nodes up: A <-> B <-> C over UDP"
printf '  node %s  admin http://127.0.0.1:%s/status  HTTP gateway http://127.0.0.1:%s/\n' \
  A "$AA" "$GA" B "$AB" "$GB" C "$AC" "$GC"

say "a named object on node C: /demo/shop/catalog (1 MB, cacheable 60 s)"
head -c 1000000 /dev/urandom > "$T/catalog.bin"
DMSC_FACE=unix://$T/c.sock "$DMSC" put /demo/shop/catalog "$T/catalog.bin" --freshness 60000 2>"$T/put.log" &
pids+=($!)

# in_fib ADMIN-PORT PREFIX: the node's FIB has an entry for PREFIX
in_fib() { curl -s --max-time 2 "http://127.0.0.1:$1/fib" 2>/dev/null | grep -q "\"prefix\": *\"$2\""; }
wait_fib() { # label admin-port prefix...
  local label=$1 port=$2 p end=$((SECONDS + 20))
  shift 2
  for p in "$@"; do
    until in_fib "$port" "$p"; do
      [ $SECONDS -lt $end ] || fail "$p did not reach node $label's FIB in 20 s (routing, or no healthy instance)"
      sleep 0.05
    done
  done
}

say "waiting for the prefixes to reach node A (link-state routing, no controller)"
wait_fib A "$AA" /demo/shop/catalog /shop/catalog /shop/cart
wait_fib B "$AB" /shop/catalog
"$DMSC" routes --admin 127.0.0.1:"$AA"
"$DMSC" lsdb --admin 127.0.0.1:"$AA" 2>/dev/null | head -8 || true

say "from node A: ping node C by name (two hops)"
DMSC_FACE=unix://$T/a.sock "$DMSC" ping /demo/node/c -c 3 -i 200 || fail "ping failed"

say "from node A: fetch the object through B (and again: now from A's own cache)"
for i in 1 2; do
  DMSC_FACE=unix://$T/a.sock "$DMSC" cat /demo/shop/catalog -o "$T/got$i.bin" -v >"$T/cat.err" 2>&1 ||
    fail "fetch $i: $(tail -3 "$T/cat.err")"
  tail -1 "$T/cat.err"
  cmp -s "$T/catalog.bin" "$T/got$i.bin" || fail "fetch $i: content differs"
  echo "   fetch $i: intact ($(stat -c %s "$T/got$i.bin") bytes)"
done

say "node B's faces (dmsc faces, from its admin API) and node A's Content Store"
"$DMSC" faces --admin 127.0.0.1:"$AB"
"$DMSC" cs --admin 127.0.0.1:"$AA"

# ---- the gateway ----
GWA=http://127.0.0.1:$GA
# show ARGS...: print "$ curl ARGS" (quoted where needed)
show() {
  local s=curl a
  for a in "$@"; do
    case $a in *[[:space:]\&\?\'\*\;\|]*) s+=" '$a'" ;; *) s+=" $a" ;; esac
  done
  printf '%s$ %s%s%s\n' "$DIM" "$s" "${SUFFIX:-}" "$OFF"
}
# get WHAT ARGS...: run curl ARGS; body in $T/out, head in $T/h; fail on a
# transport error
get() {
  local what=$1
  shift
  curl -sS --max-time 20 -D "$T/h" -o "$T/out" "$@" 2>"$T/curl.err" ||
    fail "$what: curl: $(cat "$T/curl.err")"
}
# req WHAT ARGS...: show the command, run it, print the body
req() {
  show "${@:2}"
  get "$@"
  cat "$T/out"
  [ -z "$(tail -c 1 "$T/out")" ] || echo
}
hdr() { tr -d '\r' <"$T/h" | sed -n "s/^$1: *//Ip" | tail -1; }
status() { tr -d '\r' <"$T/h" | sed -n 's/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' | tail -1; }
expect() { [ "$(status)" = "$2" ] || fail "$1: HTTP status $(status), expected $2: $(head -c 300 "$T/out")"; }

say "HTTP services join the mesh: the catalog ($CAT) behind C as /shop/catalog, the cart ($CRT) behind B as /shop/cart"
echo "   (services: in each node's YAML; apps call http://<service>.<domain>/ through their own node:"
echo "    Host catalog.shop -> prefix /shop/catalog)"

say "from node A: GET the catalog through A's gateway (A -> B -> C -> catalog)"
req "GET /items" -H 'Host: catalog.shop' "$GWA/items"
expect "GET /items" 200
echo "   status $(status), X-Instance: $(hdr x-instance), Via: $(hdr via)"

say "from node A: POST to the cart (behind B); the cart calls the catalog through B's gateway"
req "POST /cart/alice/add" -X POST -H 'Host: cart.shop' "$GWA/cart/alice/add?item=1"
expect "POST /cart/alice/add" 200
req "POST /cart/alice/add" -X POST -H 'Host: cart.shop' "$GWA/cart/alice/add?item=3"
expect "POST /cart/alice/add" 200
req "GET /cart/alice" -H 'Host: cart.shop' "$GWA/cart/alice"
expect "GET /cart/alice" 200
grep -q '"from":"catalog-c"' "$T/out" || fail "the cart did not get its items from the catalog"
echo "   (\"from\":\"catalog-c\": the cart's calls crossed the mesh to the catalog behind C)"

say "from node A: a cacheable GET (Cache-Control: max-age=60) twice: the network's caches answer the second"
for i in 1 2; do
  SUFFIX=" | sha256sum" show -s -H 'Host: catalog.shop' "$GWA/blob?size=100000&cache=60"
  get "GET /blob" -H 'Host: catalog.shop' "$GWA/blob?size=100000&cache=60"
  expect "GET /blob" 200
  cp "$T/out" "$T/blob$i"
  echo "   $(sha256sum <"$T/blob$i" | cut -c1-16)...  $(stat -c %s "$T/blob$i") bytes, Cache-Control: $(hdr cache-control)"
done
cmp -s "$T/blob1" "$T/blob2" || fail "the cached copy differs"
echo "   the catalog instance's own count (asked directly, not through the mesh):"
req "GET /count" "http://$CAT/count"
grep -q '"/blob":1[,}]' "$T/out" || fail "the catalog saw /blob more than once: not cached"
echo "   (\"/blob\":1: the second request never reached the service)"

say "from node A: a service nobody serves"
req "GET nothing.shop" -H 'Host: nothing.shop' "$GWA/"
expect "unknown service" 503
echo "   status $(status), dmsc-error: $(hdr dmsc-error)"

say "node C's services (GET /services) and node A's gateway (GET /gateway, /metrics)"
SUFFIX=" | (summary)" show -s "http://127.0.0.1:$AC/services"
get "GET /services" "http://127.0.0.1:$AC/services"
/usr/bin/python3 - "$T/out" <<'PY' || true
import json, sys
for s in json.load(open(sys.argv[1])):
    inst = ", ".join("%s %s (%d requests)" % (i["addr"], i["state"], i["requests"])
                     for i in s["instances"])
    print("   %-14s healthy=%s protocol=%s instances: %s" % (s["prefix"], str(s["healthy"]).lower(),
                                                           s["protocol"], inst))
PY
SUFFIX=" | (summary)" show -s "http://127.0.0.1:$AA/gateway"
get "GET /gateway" "http://127.0.0.1:$AA/gateway"
/usr/bin/python3 - "$T/out" <<'PY' || true
import json, sys
g = json.load(open(sys.argv[1]))
e = g["egress"]
errs = ", ".join("%s %d" % kv for kv in e["errors"].items() if kv[1]) or "none"
print("   listeners: %s" % ", ".join(g["listeners"].values()))
print("   egress: %d requests, %d responses; errors: %s" % (e["requests"], e["responses"], errs))
print("   body segments fetched: %d" % g["segments"]["fetched"])
PY
SUFFIX=" | grep ^dmsc_gw_requests_total" show -s "http://127.0.0.1:$AA/metrics"
curl -s --max-time 5 "http://127.0.0.1:$AA/metrics" | grep '^dmsc_gw_requests_total' || true

say "admin URLs"
for n in A:$AA:$GA B:$AB:$GB C:$AC:$GC; do
  IFS=: read -r l p g <<<"$n"
  printf '  node %s  http://127.0.0.1:%s/gateway  /services  /metrics  /status   gateway http://127.0.0.1:%s/\n' \
    "$l" "$p" "$g"
done

if [ -t 0 ] && [ -t 1 ]; then
  say "the mesh stays up (Ctrl-C to stop). Try:"
  echo "  curl -H 'Host: catalog.shop' $GWA/items/2"
  echo "  curl -x $GWA http://cart.shop/cart/alice          # HTTP proxy mode"
  echo "  http_proxy=$GWA curl http://catalog.shop/items"
  echo "  DMSC_FACE=unix://$T/a.sock $DMSC ping /demo/node/b"
  wait "$PID_a" || true
fi
exit 0
