#!/usr/bin/env bash
# Install every build and test dependency of dmsc on Debian 12. Idempotent:
# installs only what is missing, so the make targets call it every time.
# Why each package is here: docs/dependencies.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential pkg-config meson ninja-build  # build
  clang libclang-rt-14-dev                      # libFuzzer harnesses, LeakSanitizer runtime
  nettle-dev libgmp-dev                         # SHA-256, HMAC, ECDSA P-256
  libsodium-dev                                 # Ed25519, randomness
  libxxhash-dev                                 # name hashing
  libjansson-dev                                # JSON (CLI, admin API)
  libuv1-dev                                    # event loop (dmscd, dmsc, dmsc-bench)
  libyaml-dev                                   # dmscd config file
  libcmocka-dev                                 # unit tests
  clang-format                                  # make format
  curl                                          # topology tests read the admin API
  iproute2 nftables                             # tests/topo: ip netns and veth; packet loss (nft)
  libnghttp2-dev                                # gateway: HTTP/2 (h2c) and gRPC
  python3-grpcio                                # gateway tests: a real gRPC client and server
)

# make bench only (scripts/deps.sh bench): proxies to compare with, load generators
if [ "${1:-}" = bench ]; then
  PKGS+=(nginx-light haproxy wrk nghttp2-client)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js >= 20 runs the NDNts interop tests. Debian 12's own nodejs is 18;
# keep whatever newer node the machine has, install Debian's only if none.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "deps: warning: node $(node --version 2>/dev/null) found; the NDNts interop tests need Node.js >= 20" >&2
fi

# npm packages for the interop tests (pinned in tests/interop/package-lock.json)
if [ -f tests/interop/package-lock.json ] && [ ! -d tests/interop/node_modules/@ndn/packet ]; then
  echo "deps: npm ci in tests/interop"
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi
exit 0
