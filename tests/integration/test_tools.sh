#!/usr/bin/env bash
# Integration tests of the NDN tools against a real dmscd on loopback:
#   dmsc ping, dmsc put + dmsc cat (10 MB, byte-identical over Unix, UDP
#   and TCP faces), dmsc-bench (exchanges > 0, no loss), and the admin API
#   commands dmsc service add|list|remove and dmsc gateway.
#
#   tests/integration/test_tools.sh [BUILD_DIR]      # default build/test
#   DMSC=... DMSCD=... DMSC_BENCH=... tests/integration/test_tools.sh
#
# Prints TAP-style "ok N - ..." lines and, at the end, "# pass N" and
# "# fail N" (the suite runner counts those). Exit status 0 iff no failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-${BUILD_TEST:-build/test}}
case $B in /*) ;; *) B=$root/$B ;; esac
DMSC=${DMSC:-$B/src/cli/dmsc}
DMSCD=${DMSCD:-$B/src/daemon/dmscd}
DMSC_BENCH=${DMSC_BENCH:-$B/src/cli/dmsc-bench}

pass=0
fail=0
n=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
finish() {
  echo "# pass $pass"
  echo "# fail $fail"
  [ "$fail" -eq 0 ]
  exit $?
}

for bin in "$DMSC" "$DMSCD" "$DMSC_BENCH"; do
  if [ ! -x "$bin" ]; then
    not_ok "binary $bin is missing (build first)"
    finish
  fi
done
if ! "$DMSC" ping --help >/dev/null 2>&1; then
  not_ok "'$DMSC ping' is not a command (src/cli/dmsc.c must dispatch to cmd_ndn.c)"
  finish
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/dmsc-tools.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

# ---- dmscd on temporary sockets and free ports (the gateway's HTTP
# listener too: its default 127.0.0.1:7381 may belong to another node)
NODE=/test/tools/node
cat >"$T/dmscd.yaml" <<'EOF2'
gateway:
  http:
    bind: 127.0.0.1
    port: 0
EOF2
"$DMSCD" -c "$T/dmscd.yaml" -u "$T/dmscd.sock" --udp-port 0 --tcp-port 0 --admin-port 0 \
  -n "$NODE" -l info >"$T/dmscd.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do
  grep -q 'event=started' "$T/dmscd.log" 2>/dev/null && break
  sleep 0.05
done
UDP=$(grep -o 'channel=udp4://[0-9.]*:[0-9]*' "$T/dmscd.log" | head -1 | sed 's/.*://')
TCP=$(grep -o 'channel=tcp4://[0-9.]*:[0-9]*' "$T/dmscd.log" | head -1 | sed 's/.*://')
if [ ! -S "$T/dmscd.sock" ] || [ -z "$UDP" ] || [ -z "$TCP" ]; then
  not_ok "dmscd started (log: $(tail -3 "$T/dmscd.log" | tr '\n' ' '))"
  finish
fi
ok "dmscd started (unix $T/dmscd.sock, udp $UDP, tcp $TCP)"
UNIX_FACE="unix://$T/dmscd.sock"
export DMSC_FACE=$UNIX_FACE

# ---- ping
out=$("$DMSC" ping "$NODE" -c 3 -i 50 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '3 packets transmitted, 3 received'; then
  ok "dmsc ping $NODE: 3 of 3 replies"
else
  not_ok "dmsc ping $NODE (rc $rc): $out"
fi
if echo "$out" | grep -Eq 'rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms'; then
  ok "dmsc ping prints the RTT summary"
else
  not_ok "dmsc ping summary: $out"
fi
out=$("$DMSC" ping "$NODE" -c 2 -i 50 --face "udp4://127.0.0.1:$UDP" 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -q '2 received'; then
  ok "dmsc ping over a UDP face"
else
  not_ok "dmsc ping over UDP: $out"
fi
# a name nobody serves: no reply (Nack or timeout), exit status 1
"$DMSC" ping /test/tools/nobody -c 1 -t 300 >"$T/ping-none.out" 2>&1
if [ $? -eq 1 ] && grep -Eq '(nack|timeout) from' "$T/ping-none.out"; then
  ok "dmsc ping of an unserved name fails (status 1)"
else
  not_ok "dmsc ping of an unserved name: $(cat "$T/ping-none.out")"
fi

# ---- put + cat: 10 MB of random bytes
head -c 10485760 /dev/urandom >"$T/in.bin"
want=$(sha256sum <"$T/in.bin" | cut -d' ' -f1)
"$DMSC" put /test/tools/file "$T/in.bin" -v >"$T/put.out" 2>"$T/put.err" &
put_pid=$!
pids+=("$put_pid")
for _ in $(seq 200); do
  grep -q 'serving' "$T/put.err" 2>/dev/null && break
  kill -0 $put_pid 2>/dev/null || break
  sleep 0.05
done
if grep -q 'serving /test/tools/file/v=' "$T/put.err"; then
  ok "dmsc put registered /test/tools/file ($(grep -o 'segments=[0-9]*' "$T/put.err"))"
else
  not_ok "dmsc put did not start serving: $(cat "$T/put.err")"
fi

for face in "$UNIX_FACE" "udp4://127.0.0.1:$UDP" "tcp4://127.0.0.1:$TCP"; do
  rm -f "$T/out.bin"
  "$DMSC" cat /test/tools/file --face "$face" -v >"$T/out.bin" 2>"$T/cat.err"
  rc=$?
  got=$(sha256sum <"$T/out.bin" | cut -d' ' -f1)
  if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
    ok "dmsc cat over $face: 10 MiB byte-identical ($(grep -o 'goodput=[0-9.]*Mbit/s' "$T/cat.err"))"
  else
    not_ok "dmsc cat over $face (rc $rc, sha256 $got, want $want): $(cat "$T/cat.err")"
  fi
done

# explicit version: no discovery
ver=$(grep -o '/test/tools/file/v=[0-9]*' "$T/put.err" | head -1)
"$DMSC" cat "$ver" --cc aimd --pipeline 16 >"$T/out.bin" 2>"$T/cat.err"
if [ $? -eq 0 ] && [ "$(sha256sum <"$T/out.bin" | cut -d' ' -f1)" = "$want" ]; then
  ok "dmsc cat $ver (versioned name, AIMD window 16)"
else
  not_ok "dmsc cat $ver: $(cat "$T/cat.err")"
fi
kill $put_pid 2>/dev/null
wait $put_pid 2>/dev/null

# a small object served with --once and an Ed25519 signature
printf 'hello, named data\n' >"$T/small.txt"
"$DMSC" put /test/tools/small "$T/small.txt" --sign ed25519 --once -v \
  >"$T/put2.out" 2>"$T/put2.err" &
put_pid=$!
pids+=("$put_pid")
for _ in $(seq 200); do
  grep -q 'serving' "$T/put2.err" 2>/dev/null && break
  sleep 0.05
done
"$DMSC" cat /test/tools/small >"$T/small.out" 2>"$T/cat2.err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/small.txt" "$T/small.out"; then
  ok "dmsc put --sign ed25519 / dmsc cat of a one-segment object"
else
  not_ok "small object (rc $rc): $(cat "$T/cat2.err" "$T/put2.err")"
fi
for _ in $(seq 100); do kill -0 $put_pid 2>/dev/null || break; sleep 0.05; done
if ! kill -0 $put_pid 2>/dev/null; then
  wait $put_pid
  [ $? -eq 0 ] && ok "dmsc put --once exits after serving every segment" ||
    not_ok "dmsc put --once exit status"
else
  not_ok "dmsc put --once still running"
fi

# fetching a name nobody serves fails cleanly
"$DMSC" cat /test/tools/missing --lifetime 200 >/dev/null 2>"$T/cat3.err"
if [ $? -ne 0 ] && grep -q 'version discovery' "$T/cat3.err"; then
  ok "dmsc cat of a missing object fails with a message"
else
  not_ok "dmsc cat of a missing object: $(cat "$T/cat3.err")"
fi

# ---- dmsc-bench through dmscd (Unix and UDP) and direct
bench_check() { # label args...
  local label=$1
  shift
  local line
  line=$("$DMSC_BENCH" -q "$@" 2>"$T/bench.err" | grep '^BENCH')
  local ex loss
  ex=$(echo "$line" | grep -o ' exchanges=[0-9]*' | cut -d= -f2)
  loss=$(echo "$line" | grep -o ' loss_pct=[0-9.]*' | cut -d= -f2)
  if [ -n "$ex" ] && [ "$ex" -gt 0 ] && [ "$(echo "$loss" | tr -d '0.')" = "" ]; then
    ok "dmsc-bench $label: exchanges=$ex loss=0"
  else
    not_ok "dmsc-bench $label: '$line' $(cat "$T/bench.err")"
  fi
}
bench_check "via dmscd, unix" --face "$UNIX_FACE" --duration 0.5 --warmup 0.1 --window 8 \
  --consumers 2 --prefixes 2
bench_check "via dmscd, udp consumers" --producer-face "$UNIX_FACE" \
  --consumer-face "udp4://127.0.0.1:$UDP" --duration 0.5 --warmup 0.1 --window 8 --payload 4096
bench_check "direct, unix" --direct "unix://$T/direct.sock" --duration 0.5 --warmup 0.1 --window 8
line=$("$DMSC_BENCH" -q --json --face "$UNIX_FACE" --duration 0.2 --warmup 0 --window 4)
if echo "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["exchanges"]>0 and d["p99_us"]>=d["p50_us"]' 2>/dev/null; then
  ok "dmsc-bench --json prints one JSON object"
else
  not_ok "dmsc-bench --json: $line"
fi

# ---- dmsc service add|list|remove, dmsc gateway (admin API)
ADMIN=$(grep -o 'dmscd level=info event=listen channel=http://127.0.0.1:[0-9]*' "$T/dmscd.log" |
  head -1 | sed 's/.*://')
GWURL=$(grep -o 'event=gateway-listen url=http://[0-9.]*:[0-9]*/' "$T/dmscd.log" | head -1 |
  sed 's/.*url=//')
if [ -n "$ADMIN" ] && [ -n "$GWURL" ]; then
  ok "admin API on port $ADMIN, gateway listener $GWURL"
else
  not_ok "admin API port ('$ADMIN') and gateway listener ('$GWURL') in the log"
fi
export DMSC_ADMIN=127.0.0.1:$ADMIN
out=$("$DMSC" --help 2>&1)
if echo "$out" | grep -Eq '^  service ' && echo "$out" | grep -Eq '^  gateway '; then
  ok "dmsc --help lists service and gateway"
else
  not_ok "dmsc --help: $out"
fi
out=$("$DMSC" service --help 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'dmsc service list' &&
  echo "$out" | grep -q 'dmsc service add PREFIX --instance' &&
  echo "$out" | grep -q 'dmsc service remove PREFIX'; then
  ok "dmsc service --help lists list, add, remove"
else
  not_ok "dmsc service --help (rc $rc): $out"
fi
out=$("$DMSC" service list 2>&1)
rc=$?
js=$("$DMSC" service list --json 2>&1)
if [ $rc -eq 0 ] && [ "$out" = "(no services)" ] &&
  echo "$js" | python3 -c 'import json,sys; assert json.load(sys.stdin) == []' 2>/dev/null; then
  ok "dmsc service list: no services at start (table and --json)"
else
  not_ok "dmsc service list at start (rc $rc): $out / $js"
fi
# an instance nobody listens on: a port the kernel just handed out, closed again
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SVC=/test/tools/svc
out=$("$DMSC" service add "$SVC" --instance "127.0.0.1:$DEAD" --host svc.tools \
  --meta version=v1 --health-interval 100 --health-timeout 100 --unhealthy 1 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$out" = "added $SVC (1 instance)" ]; then
  ok "dmsc service add $SVC --instance 127.0.0.1:$DEAD"
else
  not_ok "dmsc service add (rc $rc): $out"
fi
out=$("$DMSC" service list 2>&1)
rc=$?
if [ $rc -eq 0 ] &&
  echo "$out" | grep -Eq "^$SVC +svc\.tools +http1 +no +0/1 +tcp every 100 ms +version=v1\$" &&
  echo "$out" | grep -Eq "^$SVC +127\.0\.0\.1:$DEAD +(down|unknown) +0 +0 +[0-9]+ +"; then
  ok "dmsc service list shows $SVC and its instance (down or unknown)"
else
  not_ok "dmsc service list (rc $rc): $out"
fi
js=$("$DMSC" service list --json 2>&1)
if echo "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 1, d
s = d[0]
assert s["prefix"] == sys.argv[1] and s["host"] == "svc.tools" and s["protocol"] == "http1"
assert s["metadata"] == {"version": "v1"} and s["health"]["interval_ms"] == 100
assert [i["addr"] for i in s["instances"]] == ["127.0.0.1:" + sys.argv[2]]
assert s["instances"][0]["state"] in ("down", "unknown")
' "$SVC" "$DEAD" 2>"$T/svc-json.err"; then
  ok "dmsc service list --json parses and describes the service"
else
  not_ok "dmsc service list --json: $js $(cat "$T/svc-json.err")"
fi
# the health checks find nothing listening: the instance goes down
state=
for _ in $(seq 100); do
  state=$("$DMSC" service list --json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["instances"][0]["state"])' 2>/dev/null)
  [ "$state" = down ] && break
  sleep 0.05
done
out=$("$DMSC" service list 2>&1)
if [ "$state" = down ] && echo "$out" | grep -Eq "127\.0\.0\.1:$DEAD +down +0 +0 +[1-9][0-9]* +ECONNREFUSED"; then
  ok "the instance nobody listens on goes down (failures counted, last error ECONNREFUSED)"
else
  not_ok "instance state '$state': $out"
fi
out=$("$DMSC" service add test/tools/relative --instance 127.0.0.1:1 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q '^dmsc: service add: test/tools/relative: .*absolute NDN name'; then
  ok "dmsc service add with a bad prefix: status 1, $out"
else
  not_ok "dmsc service add with a bad prefix (rc $rc): $out"
fi
out=$("$DMSC" service add /test/tools/bad --instance not-an-address 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q '^dmsc: service add: /test/tools/bad: bad instance address not-an-address'; then
  ok "dmsc service add with a bad instance address: status 1, $out"
else
  not_ok "dmsc service add with a bad instance address (rc $rc): $out"
fi
out=$("$DMSC" service add /test/tools/bad 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'at least one --instance'; then
  ok "dmsc service add without --instance: status 1"
else
  not_ok "dmsc service add without --instance (rc $rc): $out"
fi
n_svc=$("$DMSC" service list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n_svc" = 1 ] && ok "refused adds registered nothing (1 service)" ||
  not_ok "services after refused adds: $n_svc"
out=$("$DMSC" gateway 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(echo "$out" | awk '$1 == "listener" && $2 == "http" { print $3 }')" = "$GWURL" ] &&
  echo "$out" | grep -Eq '^egress +requests [0-9]+, responses [0-9]+' &&
  echo "$out" | grep -Eq '^interests +sent [0-9]+, .*pending [0-9]+$'; then
  ok "dmsc gateway shows the listener $GWURL and the counters"
else
  not_ok "dmsc gateway (rc $rc): $out"
fi
js=$("$DMSC" gateway --json 2>&1)
if echo "$js" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["listeners"]["http"]==sys.argv[1] and "pending" in d["named"]' "$GWURL" 2>/dev/null; then
  ok "dmsc gateway --json parses"
else
  not_ok "dmsc gateway --json: $js"
fi
out=$("$DMSC" service remove "$SVC" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$out" = "removed $SVC" ]; then
  ok "dmsc service remove $SVC"
else
  not_ok "dmsc service remove (rc $rc): $out"
fi
out=$("$DMSC" service list 2>&1)
js=$("$DMSC" service list --json 2>&1)
if [ "$out" = "(no services)" ] &&
  echo "$js" | python3 -c 'import json,sys; assert json.load(sys.stdin) == []' 2>/dev/null; then
  ok "dmsc service list is empty after the remove"
else
  not_ok "dmsc service list after the remove: $out / $js"
fi
out=$("$DMSC" service remove "$SVC" 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$out" = "dmsc: service remove: no service $SVC on this node (see dmsc service list)" ]; then
  ok "dmsc service remove of an unknown service: status 1"
else
  not_ok "dmsc service remove of an unknown service (rc $rc): $out"
fi
out=$("$DMSC" service list --admin "127.0.0.1:$DEAD" 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'admin API unreachable: cannot connect'; then
  ok "dmsc service list with no daemon: status 1"
else
  not_ok "dmsc service list with no daemon (rc $rc): $out"
fi
unset DMSC_ADMIN

# dmscd still healthy
if kill -0 "${pids[0]}" 2>/dev/null; then ok "dmscd still running"; else not_ok "dmscd died"; fi
finish
