// Keys on the NDNts side, in the dmsc key-file JSON format (docs/cli.md):
//   {"type":"ed25519"|"ecdsa", "name":"/id/KEY/x", "spki":"<hex>", "pkcs8":"<hex>"}
//   {"type":"hmac", "name":"/id/KEY/x", "secret":"<hex>"}
// Public keys are imported the way NDNts imports a certificate's key
// (algo.importSpki, which checks the SPKI algorithm OID and curve).
import asn1 from "@yoursunny/asn1";
import { createSigner, createVerifier, ECDSA, Ed25519, HMAC } from "@ndn/keychain";
import { Name } from "@ndn/packet";
import { crypto } from "@ndn/util";

import { hex, unhex } from "./schema.js";

export const ALGOS = { ed25519: Ed25519, ecdsa: ECDSA, hmac: HMAC };
export const SIG_TYPE_OF_KEY = { ed25519: 5, ecdsa: 3, hmac: 4 };

/** Generate a key with NDNts (WebCrypto) and return it as a dmsc key file object. */
export async function generateKey(type, name) {
  const algo = ALGOS[type];
  if (type === "hmac") {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    return { type, name, secret: hex(secret) };
  }
  const gen = await algo.cryptoGenerate({}, true);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", gen.privateKey));
  return { type, name, spki: hex(gen.spki), pkcs8: hex(pkcs8) };
}

/** NDNts NamedSigner from a dmsc key file object (needs the private part). */
export async function importSigner(key) {
  const algo = ALGOS[key.type];
  if (!algo) {
    throw new Error(`unknown key type ${key.type}`);
  }
  const name = new Name(key.name);
  let gen;
  if (key.type === "hmac") {
    gen = await algo.cryptoGenerate({ importRaw: unhex(key.secret) }, false);
  } else {
    gen = await algo.cryptoGenerate({ importPkcs8: [unhex(key.pkcs8), unhex(key.spki)] }, false);
  }
  return createSigner(name, algo, gen);
}

/**
 * NDNts Verifier from a public description:
 *   {type, spki} for ed25519/ecdsa, {type:"hmac", secret} for HMAC.
 * A plain verifier (no KeyLocator name check): the signature bytes are what
 * is under test, the KeyLocator is compared as a field.
 */
export async function importVerifier(key) {
  const algo = ALGOS[key.type];
  if (!algo) {
    throw new Error(`unknown key type ${key.type}`);
  }
  if (key.type === "hmac") {
    const gen = await algo.cryptoGenerate({ importRaw: unhex(key.secret) }, false);
    return createVerifier(algo, gen);
  }
  const spki = unhex(key.spki);
  const pub = await algo.importSpki(spki, asn1.parseVerbose(spki));
  return createVerifier(algo, pub);
}

/** Key type from a signature type number (inverse of SIG_TYPE_OF_KEY). */
export function keyTypeOfSig(sigType) {
  return Object.entries(SIG_TYPE_OF_KEY).find(([, v]) => v === sigType)?.[0];
}
