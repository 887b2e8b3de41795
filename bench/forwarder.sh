#!/usr/bin/env bash
# Forwarder throughput: dmsc-bench through dmscd vs the same generator with
# no forwarder at all (--direct: consumers connect straight to the producer,
# the path's upper bound), over Unix and UDP faces, 100-byte and 4 KiB
# payloads. Prints a side-by-side table with the ratio via/direct.
#
#   bench/forwarder.sh [BUILD_DIR]        # default build/release (make bench)
#   DURATION=5 WARMUP=0.5 CONSUMERS=4 WINDOW=32 PREFIXES=4 bench/forwarder.sh
#
# The producer always reaches dmscd over its Unix socket (a local app); the
# consumers use the transport of the row. dmsc-bench runs on one thread so
# that dmscd keeps a core of its own on a 2-core machine; the "dmscd" column
# is its CPU use during the run (100% = one core busy: the forwarder is the
# bottleneck). PIN=1 runs dmscd on CPU 0 and dmsc-bench on CPU 1, via and
# direct alike: left to itself the scheduler sometimes puts the two
# ping-ponging processes on one core (both then show ~50% CPU and the Unix
# rate halves from one run to the next). Pinning steadies the Unix rows but
# slows the UDP ones (loopback delivery runs on the sender's core), so it is
# not the default.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build/release}
case $B in /*) ;; *) B=$root/$B ;; esac
DMSCD=$B/src/daemon/dmscd
BENCH=$B/src/cli/dmsc-bench
PIN=${PIN:-0}
pin_d=() pin_b=()
[ "$PIN" = 1 ] && pin_d=(taskset -c 0) pin_b=(taskset -c 1)
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-0.5}
CONSUMERS=${CONSUMERS:-4}
WINDOW=${WINDOW:-32}
PREFIXES=${PREFIXES:-4}

for bin in "$DMSCD" "$BENCH"; do
  [ -x "$bin" ] || { echo "forwarder.sh: $bin not built" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/dmsc-bench.XXXXXX")
dpid=
cleanup() {
  [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

"${pin_d[@]}" "$DMSCD" -u "$T/dmscd.sock" --udp-port 0 --tcp-port 0 --admin-port 0 -n /bench/node -l info \
  >"$T/dmscd.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do grep -q 'event=started' "$T/dmscd.log" 2>/dev/null && break; sleep 0.05; done
UDP=$(grep -o 'channel=udp4://[0-9.]*:[0-9]*' "$T/dmscd.log" | head -1 | sed 's/.*://')
if [ ! -S "$T/dmscd.sock" ] || [ -z "$UDP" ]; then
  echo "forwarder.sh: dmscd did not start" >&2
  cat "$T/dmscd.log" >&2
  exit 1
fi

# CPU seconds dmscd has used so far (utime + stime), to tell whether it was the bottleneck
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$dpid/stat"; }

common=(-q --duration "$DURATION" --warmup "$WARMUP" --consumers "$CONSUMERS" --window "$WINDOW"
  --prefixes "$PREFIXES")
# run LABEL args... -> prints "rate p50 p99 loss" (or "- - - -")
run() {
  local line
  line=$("${pin_b[@]}" "$BENCH" "${common[@]}" "$@" 2>"$T/err" | grep '^BENCH' || true)
  if [ -z "$line" ]; then
    echo "- - - -"
    sed 's/^/    /' "$T/err" >&2
    return
  fi
  echo "$line" | awk '{for(i=1;i<=NF;i++){split($i,kv,"=");v[kv[1]]=kv[2]}
    printf "%.0f %s %s %s\n", v["rate"], v["p50_us"], v["p99_us"], v["loss_pct"]}'
}

echo "dmsc-bench: dmscd (build $(basename "$B")) vs direct; $CONSUMERS consumers x window $WINDOW," \
  "$PREFIXES prefixes, ${DURATION}s per run, $(nproc) CPUs, pinned=$PIN"
echo "NFD: not packaged in Debian 12, so there is no NFD column; to compare, run"
echo "     dmsc-bench --face unix:///run/nfd.sock (it registers with rib/register) on a host with NFD."
printf '\n%-9s %-8s | %12s %8s %8s %7s | %12s %8s %8s | %9s | %s\n' transport payload \
  "via exch/s" "p50 us" "p99 us" "dmscd" "direct/s" "p50 us" "p99 us" "via/direct" \
  "loss % via/direct"
printf -- '------------------------------------------------------------------------------------------------------------------------\n'
for transport in unix udp; do
  for payload in 100 4096; do
    if [ "$transport" = unix ]; then
      cface="unix://$T/dmscd.sock"
      direct="unix://$T/direct.sock"
    else
      cface="udp4://127.0.0.1:$UDP"
      direct="udp4://127.0.0.1:0"
    fi
    c0=$(cpu_s)
    t0=$(date +%s.%N)
    read -r vr v50 v99 vl < <(run --producer-face "unix://$T/dmscd.sock" --consumer-face "$cface" \
      --payload "$payload" --label "via-$transport-$payload")
    dcpu=$(awk -v a="$c0" -v b="$(cpu_s)" -v t0="$t0" -v t1="$(date +%s.%N)" \
      'BEGIN{printf "%.0f%%", 100 * (b - a) / (t1 - t0)}')
    read -r dr d50 d99 dl < <(run --direct "$direct" --payload "$payload" \
      --label "direct-$transport-$payload")
    ratio=-
    if [ "$vr" != - ] && [ "$dr" != - ] && [ "$dr" -gt 0 ]; then
      ratio=$(awk -v a="$vr" -v b="$dr" 'BEGIN{printf "%.2f", a/b}')
    fi
    printf '%-9s %-8s | %12s %8s %8s %7s | %12s %8s %8s | %9s | %s / %s\n' "$transport" \
      "$payload B" "$vr" "$v50" "$v99" "$dcpu" "$dr" "$d50" "$d99" "$ratio" "$vl" "$dl"
  done
done
kill -0 "$dpid" 2>/dev/null || { echo "forwarder.sh: dmscd died during the run" >&2; exit 1; }
