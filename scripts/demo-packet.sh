#!/usr/bin/env bash
# The packet-layer demo (used by make demo until dmscd is in the tree):
# make a key, encode and sign an Interest and a Data, decode and verify them,
# and show that a flipped bit is caught.
set -euo pipefail
DMSC=${1:?usage: demo-packet.sh path/to/dmsc}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "an Ed25519 key for /demo/shop"
"$DMSC" packet keygen --type ed25519 --name /demo/shop --out "$T/shop.key"

say "an Interest for /demo/shop/cart with every field, ApplicationParameters and its digest"
echo '{"type":"interest","name":"/demo/shop/cart","can_be_prefix":true,"must_be_fresh":true,
       "nonce":"0a0b0c0d","lifetime":2000,"hop_limit":16,"app_parameters_text":"{\"item\":42}"}' |
  "$DMSC" packet encode | tee "$T/interest.hex"
"$DMSC" packet decode - < "$T/interest.hex"

say "a Data signed with the key, FreshnessPeriod 10 s"
echo '{"type":"data","name":"/demo/shop/cart/v=1/seg=0","freshness_period":10000,
       "final_block_id":"seg=0","content_text":"cart: 1 x item 42","signature":{"type":"ed25519"}}' |
  "$DMSC" packet encode --sign-key "$T/shop.key" | tee "$T/data.hex"
"$DMSC" packet decode --verify-key "$T/shop.key" - < "$T/data.hex"

say "the same Data with one content bit flipped: verification fails (exit 2)"
python3 -c "import sys; h=open(sys.argv[1]).read().strip(); i=len(h)//2; print(h[:i]+format(int(h[i],16)^1,'x')+h[i+1:])" "$T/data.hex" > "$T/bad.hex"
if "$DMSC" packet decode --verify-key "$T/shop.key" --compact - < "$T/bad.hex"; then
  echo "demo: tampering NOT detected" >&2; exit 1
else
  echo "=> rejected, as it should be"
fi
say "names: canonical and alternate URIs"
"$DMSC" packet uri /demo/shop/cart/v=1/seg=3 --compact
