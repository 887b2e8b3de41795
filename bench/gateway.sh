#!/usr/bin/env bash
# HTTP path through two hops: client -> proxy A -> proxy B -> service, for
#   direct   client -> service (no proxy: the upper bound)
#   nginx    two nginx reverse proxies in series
#   haproxy  two HAProxy instances in series
#   dmsc     two dmscd nodes: A's HTTP gateway, NDN A -> B, B calls the service
#            (three rows: a UDP link, a TCP link, both with the default
#            8800-byte packets, and a TCP link carrying 64 KiB packets)
# against dmsc-example-catalog: GET /items/1 (a ~60-byte JSON item) and
# GET /blob?size=65536 (64 KiB). Prints a markdown table: req/s, p50/p99
# latency, per-hop latency ((p50 - direct p50) / 2 hops), the ratios of
# req/s to direct and to HAProxy, and "at service": the share of the
# requests that reached the service (from its /count; below 100% when a hop
# answered from a cache, which makes the row a cache benchmark, not a proxy one).
#
#   bench/gateway.sh [BUILD_DIR]          # default build/release (make bench runs it)
#   BENCH_SECONDS=10 BENCH_CONNECTIONS=50 BENCH_THREADS=1 BENCH_WARMUP=1 bench/gateway.sh
#   BENCH_ONLY="direct nginx" bench/gateway.sh   # a subset of the paths
#   BENCH_PAYLOADS="/items/1 /blob?size=1048576" bench/gateway.sh
#   BENCH_UNIQUE=0 bench/gateway.sh      # same URL every time (caches, aggregation)
#   DMSC_FACE=tcp bench/gateway.sh       # dmsc nodes joined by TCP instead of UDP
#
# Needs wrk, nginx, haproxy (scripts/deps.sh bench installs them); a path
# whose program is missing prints n/a. Load: wrk, one thread, 50 keep-alive
# connections, closed loop, BENCH_SECONDS per cell after BENCH_WARMUP
# seconds of warm-up (which also opens the proxies' upstream connections).
# Each request carries a unique "r=" query parameter (a tiny wrk Lua script,
# same for every path; the catalog ignores it), so that no hop can answer
# from a cache or merge concurrent identical requests: dmsc names a GET by
# its URL and does both. The "at service" column checks it (~100%).
# One wrk thread because the machine has 2 cores and everything runs on it:
# wrk, the service and, on the proxied paths, the two proxies. The latencies
# are measured under that load (with 50 connections in a closed loop, p50 is
# about 50 / req/s), so "per hop" is the cost a proxy adds at saturation,
# not on an idle path.
#
# The proxies are configured alike, as one would in production: one worker
# (nginx worker_processes 1, HAProxy nbthread 1), HTTP/1.1 keep-alive to
# the next hop (nginx upstream keepalive + proxy_http_version 1.1, HAProxy
# http-reuse always), no access log. Each runs from its own config, pid,
# log and temp files in a temporary directory, on ports picked free at run
# time; the system's nginx/haproxy services and /etc configs are never
# touched. Every process started here is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build/release}
case $B in /*) ;; *) B=$root/$B ;; esac
CATALOG=$B/examples/dmsc-example-catalog
DMSCD=$B/src/daemon/dmscd
SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-1}
CONNS=${BENCH_CONNECTIONS:-50}
THREADS=${BENCH_THREADS:-1}
ONLY=${BENCH_ONLY:-direct nginx haproxy dmsc dmsctcp dmscbulk}
UNIQUE=${BENCH_UNIQUE:-1}
PY=/usr/bin/python3

command -v wrk >/dev/null || { echo "gateway.sh: wrk not installed (scripts/deps.sh bench)" >&2; exit 1; }
[ -x "$CATALOG" ] || { echo "gateway.sh: $CATALOG not built" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/dmsc-bench-gw.XXXXXX")
pids=() cur=''
cleanup() {
  [ -z "$cur" ] || kill "$cur" 2>/dev/null || true
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_ports KIND... (tcp|udp) -> that many free ports on 127.0.0.1, one line
free_ports() {
  "$PY" - "$@" <<'PY'
import socket, sys
kinds = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}
socks = []
for k in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, kinds[k]); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
PY
}

# run_wait CMD...: CMD in the background, waited for (so that a signal ends
# the bench at once instead of after the current wrk run)
run_wait() {
  "$@" &
  cur=$!
  local rc=0
  wait "$cur" || rc=$?
  cur=''
  return "$rc"
}

# bg NAME CMD...: start CMD in the background, output in $T/NAME.log
bg() {
  local name=$1
  shift
  "$@" >"$T/$name.log" 2>&1 &
  pids+=($!)
}

# http_check URL [HOST] [SECONDS] -> "200 <bytes>", or the last status and body
# (or curl's error) after retrying for SECONDS (default 5)
http_check() {
  local url=$1 host=${2:-} tries=$((${3:-5} * 10)) got=
  local hdr=()
  [ -n "$host" ] && hdr=(-H "Host: $host")
  for ((n = 0; n < tries; n++)); do
    got=$(curl -sS -m 2 -o "$T/check.body" -w '%{http_code} %{size_download}' "${hdr[@]}" "$url" 2>&1) || true
    [ "${got%% *}" = 200 ] && break
    sleep 0.1
  done
  [ "${got%% *}" = 200 ] || [ ! -s "$T/check.body" ] || got="$got: $(head -c 120 "$T/check.body")"
  echo "${got//$'\n'/ }"
}

# ---- the service ----
bg service "$CATALOG" --listen 127.0.0.1:0 --name bench-catalog
for _ in $(seq 50); do grep -q '^listening on' "$T/service.log" && break; sleep 0.1; done
SVC=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/service.log")
[ -n "$SVC" ] || { echo "gateway.sh: the catalog did not start" >&2; cat "$T/service.log" >&2; exit 1; }

# Every path: start_<path> sets url (http://127.0.0.1:PORT, client side) and
# host (Host header, empty: the default), or na="<reason>".

start_direct() { url=http://127.0.0.1:$SVC; }

# nginx in series: A (port $1) -> B (port $2) -> service
nginx_conf() { # DIR LISTEN-PORT UPSTREAM-PORT
  mkdir -p "$1"
  local user=
  [ "$(id -u)" = 0 ] && user='user root;' # else workers would run as nobody, locked out of $T
  cat >"$1/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_requests 1000000;
    upstream next {
        server 127.0.0.1:$3;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$2 backlog=4096;
        location / {
            proxy_pass http://next;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_buffers 16 16k;          # a 64 KiB answer stays in memory
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
}
start_nginx() {
  command -v nginx >/dev/null || { na="nginx not installed"; return; }
  local pa pb
  read -r pa pb < <(free_ports tcp tcp)
  nginx_conf "$T/nginx-b" "$pb" "$SVC"
  nginx_conf "$T/nginx-a" "$pa" "$pb"
  local d
  for d in nginx-b nginx-a; do
    # -e: the startup error log too (else nginx opens /var/log/nginx/error.log)
    bg "$d" nginx -e "$T/$d/error.log" -p "$T/$d/" -c "$T/$d/nginx.conf"
  done
  url=http://127.0.0.1:$pa
}

# HAProxy in series: A (port $1) -> B (port $2) -> service
haproxy_conf() { # FILE LISTEN-PORT UPSTREAM-PORT
  cat >"$1" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    http-reuse always
frontend in
    bind 127.0.0.1:$2
    default_backend next
backend next
    server next 127.0.0.1:$3
EOF
}
start_haproxy() {
  command -v haproxy >/dev/null || { na="haproxy not installed"; return; }
  local pa pb
  read -r pa pb < <(free_ports tcp tcp)
  haproxy_conf "$T/haproxy-b.cfg" "$pb" "$SVC"
  haproxy_conf "$T/haproxy-a.cfg" "$pa" "$pb"
  bg haproxy-b haproxy -db -f "$T/haproxy-b.cfg"
  bg haproxy-a haproxy -db -f "$T/haproxy-a.cfg"
  url=http://127.0.0.1:$pa
}

# ---- dmsc ----
# run_dmsc: node A runs the caller's HTTP gateway (Host catalog.bench ->
# /bench/catalog), node B serves /bench/catalog from the catalog instance;
# A reaches B by a static route over a UDP face (DMSC_FACE=tcp: TCP).
#
# Keys: docs/config.md (gateway, services). The second dmsc row (dmsctcp)
# joins A and B with a TCP face instead of UDP. DMSC_SEGMENT=N sets
# gateway.segment_size for both rows (above 8000 only a TCP link carries
# it; faces.max_packet follows). If dmscd rejects the config or the request
# fails, the row says n/a and why.
run_dmsc() {
  [ -x "$DMSCD" ] || { na="gateway not available: $DMSCD not built"; return; }
  local face=${DMSC_FACE:-udp} ua ub tb aa ab gw
  local tag=dmsc${DMSC_TAG:-} # file and process names (one set per dmsc row)
  read -r ua ub tb aa ab gw < <(free_ports udp udp tcp tcp tcp tcp)
  local tcp_b="tcp: {enabled: false}" route="udp4://127.0.0.1:$ub"
  # DMSC_SEGMENT: gateway.segment_size (body bytes per Data); above 8000 the
  # link must be TCP and faces.max_packet large enough
  local seg=${DMSC_SEGMENT:-8000} maxpkt=8800
  if [ "$seg" -gt 8000 ]; then maxpkt=$((seg + 4096)); fi
  if [ "$face" = tcp ]; then
    tcp_b="tcp: {bind: 127.0.0.1, port: $tb}"
    route="tcp4://127.0.0.1:$tb"
  fi
  cat >"$T/$tag-b.yaml" <<EOF
node: {name: /bench/node/b}
log: {level: warn}
listen:
  udp: {bind: 127.0.0.1, port: $ub}
  $tcp_b
  unix: {path: $T/$tag-b.sock}
admin: {bind: 127.0.0.1, port: $ab}
faces: {max_packet: $maxpkt}
gateway:
  http: {enabled: false}
  unix: off
  segment_size: $seg
services:
  - prefix: /bench/catalog
    host: catalog.bench
    instances: ["127.0.0.1:$SVC"]
    health: {path: /health, interval: 1s}
EOF
  cat >"$T/$tag-a.yaml" <<EOF
node: {name: /bench/node/a}
log: {level: warn}
listen:
  udp: {bind: 127.0.0.1, port: $ua}
  tcp: {enabled: false}
  unix: {path: $T/$tag-a.sock}
admin: {bind: 127.0.0.1, port: $aa}
faces: {max_packet: $maxpkt}
routes:
  - prefix: /bench/catalog
    face: $route
gateway:
  http: {bind: 127.0.0.1, port: $gw}
  segment_size: $seg
  unix: off
  hosts:
    - {host: catalog.bench, prefix: /bench/catalog}
EOF
  local -A pid
  bg "$tag-b" "$DMSCD" --config "$T/$tag-b.yaml"
  pid[b]=${pids[-1]}
  bg "$tag-a" "$DMSCD" --config "$T/$tag-a.yaml"
  pid[a]=${pids[-1]}
  sleep 0.3
  local n msg
  for n in a b; do
    if ! kill -0 "${pid[$n]}" 2>/dev/null; then
      msg=$(grep -o 'msg="[^"]*"' "$T/$tag-$n.log" | head -1 | sed 's/^msg="//; s/"$//' || true)
      [ -n "$msg" ] || msg=$(tail -1 "$T/$tag-$n.log" || true)
      na="gateway not available: dmscd $n exited: ${msg:-no output}"
      return
    fi
  done
  url=http://127.0.0.1:$gw
  host=catalog.bench
}
start_dmsc() { run_dmsc; }
start_dmsctcp() { DMSC_TAG=tcp DMSC_FACE=tcp run_dmsc; }
# dmscbulk: a TCP link whose faces carry 69,632-byte packets (segment_size
# 65536, faces.max_packet 69632): a response up to ~65 KiB travels as one
# Data (docs/gateway.md "Performance"), larger ones in 64 KiB segments
start_dmscbulk() { DMSC_TAG=bulk DMSC_FACE=tcp DMSC_SEGMENT=${DMSC_BULK_SEGMENT:-65536} run_dmsc; }

# Every request a different URL (&r=<thread>-<n>): otherwise dmsc, which names
# a GET by its URL, would aggregate concurrent identical requests and answer
# repeats from its Content Store, and the table would compare a cache with
# proxies. BENCH_UNIQUE=0 sends the plain URLs (and shows that effect).
cat >"$T/unique.lua" <<'EOF'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
function request()
  n = n + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "r=" .. tid .. "-" .. n)
end
EOF
lua=()
[ "$UNIQUE" = 1 ] && lua=(-s "$T/unique.lua")

# svc_count PATH: requests the service has received for PATH so far
svc_count() {
  curl -s "http://127.0.0.1:$SVC/count" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["paths"].get(sys.argv[1], 0))' "$1"
}

# wrk_cell URL HOST: sets c_rps c_p50 c_p99 (ms), c_err (non-2xx answers +
# socket errors) and c_svc (% of the requests that reached the service: less
# than 100 when a hop answered from a cache); c_rps empty if wrk failed
wrk_cell() {
  local url=$1 host=$2 spath before
  spath=${url#http://*/}
  spath=/${spath%%\?*}
  local hdr=()
  [ -n "$host" ] && hdr=(-H "Host: $host")
  c_rps='' c_p50='' c_p99='' c_err=''
  if [ "$WARMUP" != 0 ]; then
    run_wait wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "${lua[@]}" "${hdr[@]}" "$url" \
      >/dev/null 2>&1 || true
  fi
  before=$(svc_count "$spath")
  run_wait wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "${lua[@]}" "${hdr[@]}" "$url" \
    >"$T/wrk.out" 2>&1 || return 0
  read -r c_rps c_p50 c_p99 c_err c_svc < <(awk -v svc="$(($(svc_count "$spath") - before))" '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
    }
    $1 == "Requests/sec:" { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 4; i <= NF; i += 2) err += $i }
    / requests in / { total = $1 }
    END { printf "%.0f %.2f %.2f %d %.0f%%\n", rps, p50, p99, err, total ? 100 * svc / total : 0 }
  ' "$T/wrk.out")
}

read -r -a payloads <<<"${BENCH_PAYLOADS:-/items/1 /blob?size=65536}"
declare -A label=([direct]="direct" [nginx]="nginx x2" [haproxy]="HAProxy x2" [dmsc]="dmsc x2"
  [dmsctcp]="dmsc x2, TCP link" [dmscbulk]="dmsc x2, TCP link, 64 KiB packets")
declare -A rps p50 p99 svc note

echo "gateway.sh: client -> A -> B -> dmsc-example-catalog; wrk -t$THREADS -c$CONNS," \
  "${SECS}s per cell (+${WARMUP}s warm-up), $(nproc) CPUs, build $(basename "$B")"
for path in $ONLY; do
  url='' host='' na=''
  "start_$path"
  if [ -z "$na" ]; then
    got=$(http_check "$url/items/1" "$host" 15)
    [ "${got%% *}" = 200 ] || na="GET /items/1 through the path: ${got:-no answer}"
    case $path in dmsc*) [ -n "$na" ] && na="gateway not available: $na" ;; esac
  fi
  for pl in "${payloads[@]}"; do
    k="$path $pl"
    if [ -n "$na" ]; then
      note[$k]="n/a ($na)"
      continue
    fi
    wrk_cell "$url$pl" "$host"
    if [ -z "$c_rps" ]; then
      note[$k]="n/a (wrk failed: $(tail -1 "$T/wrk.out"))"
      continue
    fi
    rps[$k]=$c_rps p50[$k]=$c_p50 p99[$k]=$c_p99 svc[$k]=$c_svc
    [ "$c_err" = 0 ] || note[$k]="$c_err errors"
    echo "  $path $pl: ${rps[$k]} req/s, p50 ${p50[$k]} ms, p99 ${p99[$k]} ms" >&2
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
hop() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.3f", (a - b) / 2 }'; }

echo
echo "| path | payload | req/s | p50 ms | p99 ms | per hop p50 ms | vs direct | vs HAProxy | at service |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for pl in "${payloads[@]}"; do
  case $pl in
  /items/1) pname="GET /items/1 (63 B JSON)" ;;
  "/blob?size=65536") pname="GET /blob 64 KiB" ;;
  *) pname="GET $pl" ;;
  esac
  for path in $ONLY; do
    k="$path $pl"
    if [ -z "${rps[$k]:-}" ]; then
      echo "| ${label[$path]} | $pname | ${note[$k]:-n/a} | - | - | - | - | - | - |"
      continue
    fi
    d=${rps[direct $pl]:-} h=${rps[haproxy $pl]:-}
    perhop=-
    [ "$path" = direct ] || perhop=$(hop "${p50[$k]}" "${p50[direct $pl]:-}")
    extra=
    [ -n "${note[$k]:-}" ] && extra=" (${note[$k]})"
    echo "| ${label[$path]} | $pname | ${rps[$k]}$extra | ${p50[$k]} | ${p99[$k]} | $perhop |" \
      "$(ratio "${rps[$k]}" "$d") | $(ratio "${rps[$k]}" "$h") | ${svc[$k]} |"
  done
done
