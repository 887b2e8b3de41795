#!/usr/bin/env node
// Generator: NDNts encodes the interop corpus (lib/cases.js).
//
//   node gen.js [--out FILE]
//
// Writes JSON: {generator, keys, names[], packets[], edges[]} where
//   keys:      the NDNts-generated keys, as dmsc key files (private parts too,
//              so the reverse direction can sign with the same keys)
//   names[]:   {id, input, to_string, uri, alt_uri, tlv, expect}
//              to_string = NDNts Name.toString() ("8=" form),
//              uri       = @ndn/packet AltUri.ofName (the spec URI),
//              alt_uri   = @ndn/naming-convention2 AltUri.ofName
//   packets[]: {id, spec, hex, expect, verify}
//              expect = the fields dmsc must print (lib/schema.js),
//              verify = {type, spki} | {type:"hmac", secret} | {type:"digest"}
//   edges[]:   {id, hex, spec?, ndnts: {ok, error?, expect?}}
import fs from "node:fs";
import { pathToFileURL } from "node:url";

import { AltUri as nc2AltUri } from "@ndn/naming-convention2";
import { AltUri as baseAltUri } from "@ndn/packet";
import { Encoder } from "@ndn/tlv";

import { EDGE_WIRES, KEY_NAMES, NAMES, PACKETS } from "./lib/cases.js";
import { generateKey, importSigner } from "./lib/keys.js";
import { describeName, describeWire, encodeSpec, hex, unhex } from "./lib/schema.js";

/** Public part of a key file: what a verifier needs. */
export function publicPart(key) {
  if (!key) {
    return { type: "digest" };
  }
  return key.type === "hmac" ? { type: "hmac", name: key.name, secret: key.secret } :
    { type: key.type, name: key.name, spki: key.spki };
}

export async function generate({ keys } = {}) {
  keys ??= Object.fromEntries(await Promise.all(
    Object.entries(KEY_NAMES).map(async ([type, name]) => [type, await generateKey(type, name)])));
  const signers = Object.fromEntries(await Promise.all(
    Object.entries(keys).map(async ([type, key]) => [type, await importSigner(key)])));

  const names = NAMES.map(({ id, uri }) => {
    const name = nc2AltUri.parseName(uri);
    return {
      id,
      input: uri,
      to_string: name.toString(),
      uri: baseAltUri.ofName(name),
      alt_uri: nc2AltUri.ofName(name),
      tlv: hex(Encoder.encode(name)),
      alt_uri_lossless: hex(Encoder.encode(nc2AltUri.parseName(nc2AltUri.ofName(name)))) === hex(Encoder.encode(name)),
      expect: describeName(name),
    };
  });

  const packets = [];
  for (const { id, spec, key } of PACKETS) {
    const wire = await encodeSpec(spec, key && signers[key]);
    packets.push({
      id,
      spec,
      key,
      hex: hex(wire),
      expect: await describeWire(wire),
      verify: publicPart(key && keys[key]),
    });
  }

  const edges = [];
  for (const e of EDGE_WIRES) {
    const ndnts = {};
    try {
      ndnts.expect = await describeWire(unhex(e.hex));
      ndnts.ok = true;
    } catch (err) {
      ndnts.ok = false;
      ndnts.error = String(err.message ?? err);
    }
    edges.push({ ...e, ndnts });
  }

  return { generator: "NDNts 0.0.20250122", keys, names, packets, edges };
}

// Sanity: the NDNts Name round trips the corpus relies on. Name.toString()
// and the @ndn/packet AltUri are lossless; the naming-convention AltUri is
// not for a non-minimal NonNegativeInteger (seg=1 from a 2-byte value parses
// back to 1 byte), which each entry records as alt_uri_lossless.
export function selfCheck(out) {
  for (const n of out.names) {
    for (const uri of [n.to_string, n.uri]) {
      const a = nc2AltUri.parseName(uri);
      if (hex(Encoder.encode(a)) !== n.tlv) {
        throw new Error(`NDNts name round trip failed for ${n.id} (${uri})`);
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--out");
  const out = await generate();
  selfCheck(out);
  const text = JSON.stringify(out, null, 2) + "\n";
  if (i > 0) {
    fs.writeFileSync(process.argv[i + 1], text);
  } else {
    process.stdout.write(text);
  }
}
