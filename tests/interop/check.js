#!/usr/bin/env node
// Checker: NDNts decodes and verifies packets that dmsc produced.
//
//   node check.js [FILE|-]
//
// Input JSON: an array (or {"cases": [...]}) of
//   {"id": "...", "hex": "<wire>", "claimed": {<dmsc packet JSON>},
//    "verify": {"type":"ed25519"|"ecdsa", "spki":"<hex>"} |
//              {"type":"hmac", "secret":"<hex>"} | {"type":"digest"}}
// For each case NDNts must (1) decode the wire as one whole packet,
// (2) see every field that NDNts understands with the value dmsc claims,
// (3) find the ParametersSha256DigestComponent valid, and (4) verify the
// signature with the given key (the packet inside an LpPacket too).
// Prints "ok ID" or "FAIL ID: reason" per case, then "N passed, N failed";
// exits 1 if any case failed.
import fs from "node:fs";
import { pathToFileURL } from "node:url";

import { LpPacket } from "@ndn/lp";
import { Data, digestSigning, Interest } from "@ndn/packet";

import { importVerifier } from "./lib/keys.js";
import { assertSubset, decodeWire, describeWire, normalize, unhex } from "./lib/schema.js";

async function verifySignature(pkt, verify) {
  if (!pkt.sigInfo) {
    return;
  }
  const t = pkt.sigInfo.type;
  if (t === 0) {
    await digestSigning.verify(pkt);
    return;
  }
  if (!verify || verify.type === "digest") {
    throw new Error(`signature type ${t} but no key to verify it`);
  }
  const v = await importVerifier(verify);
  if (v.sigType !== t) {
    throw new Error(`signature type ${t} but key is ${verify.type}`);
  }
  await v.verify(pkt);
}

/** Check one dmsc-produced packet with NDNts. Throws an Error on any mismatch. */
export async function checkPacket({ hex, claimed, verify }) {
  const wire = unhex(hex);
  const pkt = decodeWire(wire); // throws if NDNts cannot decode
  const seen = await describeWire(wire);
  if (claimed) {
    // every field NDNts sees must be claimed by dmsc with the same value
    assertSubset(normalize(claimed), normalize(seen));
  }
  let l3 = pkt;
  if (pkt instanceof LpPacket) {
    l3 = pkt.payload && pkt.fragCount === 1 ? decodeWire(pkt.payload) : undefined;
  }
  if (l3 instanceof Interest && l3.appParameters) {
    await l3.validateParamsDigest(true);
  }
  if (l3 instanceof Interest || l3 instanceof Data) {
    await verifySignature(l3, verify);
  }
  return seen;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const src = process.argv[2] && process.argv[2] !== "-" ? process.argv[2] : 0;
  let input = JSON.parse(fs.readFileSync(src, "utf8"));
  if (!Array.isArray(input)) {
    input = input.cases;
  }
  let pass = 0;
  let fail = 0;
  for (const c of input) {
    try {
      await checkPacket(c);
      ++pass;
      console.log(`ok ${c.id}`);
    } catch (err) {
      ++fail;
      console.log(`FAIL ${c.id}: ${err.message ?? err}`);
    }
  }
  console.log(`${pass} passed, ${fail} failed`);
  process.exitCode = fail > 0 || pass === 0 ? 1 : 0;
}
