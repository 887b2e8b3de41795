// The dmsc binary key file ("DMSK", src/sec/keyfile.h), read and written
// independently of the C code, as the other side of the interop check.
//
//   0  4  "DMSK"      4 1 version 1     5 1 SignatureType (3, 4, 5)
//   6  1  body format: 1 PKCS#8, 2 raw private (HMAC secret), 3 SPKI
//   7  1  flags 0     8 2 N (name element length)   10 2 B (body length)
//  12  N  Name element (TLV-TYPE 7)    12+N B body
import { AltUri as baseAltUri, Name } from "@ndn/packet";
import { Decoder, Encoder } from "@ndn/tlv";

import { hex, unhex } from "./schema.js";

const TYPE_OF_SIG = { 3: "ecdsa", 4: "hmac", 5: "ed25519" };
const SIG_OF_TYPE = { ecdsa: 3, hmac: 4, ed25519: 5 };

/** Parse a DMSK file into a key object {type, name, pkcs8|secret|spki}. */
export function readDmsk(buf) {
  const b = Uint8Array.from(buf);
  const dv = new DataView(b.buffer);
  if (b.length < 12 || String.fromCharCode(...b.subarray(0, 4)) !== "DMSK") {
    throw new Error("not a DMSK key file");
  }
  if (b[4] !== 1 || b[7] !== 0) {
    throw new Error(`DMSK version ${b[4]} flags ${b[7]}`);
  }
  const type = TYPE_OF_SIG[b[5]];
  const n = dv.getUint16(8);
  const bodyLen = dv.getUint16(10);
  if (!type || b.length !== 12 + n + bodyLen) {
    throw new Error("malformed DMSK key file");
  }
  const key = { type };
  if (n > 0) {
    key.name = baseAltUri.ofName(new Decoder(b.subarray(12, 12 + n)).decode(Name));
  }
  const body = hex(b.subarray(12 + n));
  const field = { 1: "pkcs8", 2: type === "hmac" ? "secret" : "raw", 3: "spki" }[b[6]];
  if (!field || field === "raw") {
    throw new Error(`DMSK body format ${b[6]} not handled here`);
  }
  key[field] = body;
  return key;
}

/** Write a key object {type, name, pkcs8|secret|spki} as a DMSK file image. */
export function writeDmsk(key) {
  const [format, body] = key.pkcs8 ? [1, unhex(key.pkcs8)] : key.secret ? [2, unhex(key.secret)] : [3, unhex(key.spki)];
  const name = key.name ? Encoder.encode(new Name(key.name)) : new Uint8Array();
  const out = new Uint8Array(12 + name.length + body.length);
  const dv = new DataView(out.buffer);
  out.set([0x44, 0x4d, 0x53, 0x4b, 1, SIG_OF_TYPE[key.type], format, 0]);
  dv.setUint16(8, name.length);
  dv.setUint16(10, body.length);
  out.set(name, 12);
  out.set(body, 12 + name.length);
  return out;
}
