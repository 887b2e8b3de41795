// Direction 2: dmsc encodes and signs, NDNts decodes and verifies.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

import { Data } from "@ndn/packet";
import { Encoder } from "@ndn/tlv";

import { checkPacket } from "../check.js";
import { generate, publicPart } from "../gen.js";
import { dmsc, dmscJson, dmscText, tmpDir, verifyArgs } from "../lib/dmsc.js";
import { readDmsk, writeDmsk } from "../lib/keyfile.js";
import { importSigner, importVerifier } from "../lib/keys.js";
import { assertSubset, describeWire, hex, normalize, unhex } from "../lib/schema.js";

const corpus = await generate();
const dir = tmpDir();

/** Write a key file; returns its path. */
function keyFile(label, key) {
  const f = path.join(dir, `${label}.key.json`);
  fs.writeFileSync(f, JSON.stringify(key));
  return f;
}
// NDNts-generated keys, handed to dmsc as key files (PKCS#8 / raw secret import)
const ndntsKeyFiles = Object.fromEntries(Object.entries(corpus.keys).map(([t, k]) => [t, keyFile(`ndnts-${t}`, k)]));

/** A dmsc-generated key (keygen --out), made once per type: {file, key}. */
const dmscKeys = {};
function dmscKey(type) {
  if (!dmscKeys[type]) {
    const file = path.join(dir, `dmsc-${type}.dmsk`);
    const printed = dmscJson(["packet", "keygen", "--type", type, "--name", `/interop/dmsc/KEY/${type}`, "--out", file]);
    const key = readDmsk(fs.readFileSync(file));
    key.spki = printed.spki;
    dmscKeys[type] = { file, key, printed };
  }
  return dmscKeys[type];
}

/** Does this spec (or the packet inside it) use a randomized signature? */
const usesEcdsa = (p) => p.key === "ecdsa";

/** Drop what differs between two ECDSA signings of the same packet. */
function stripVolatile(desc) {
  const d = structuredClone(desc);
  delete d.size;
  delete d.implicit_digest;
  if (d.signature) {
    delete d.signature.value;
  }
  if (d.type === "interest" && d.signature) {
    // the ParametersSha256DigestComponent covers the SignatureValue
    d.name.components[d.name.components.length - 1] = { type: 2, type_name: "params-digest" };
    delete d.name.uri;
    delete d.name.alt_uri;
  }
  return d;
}

/** The cases whose packets carry a signature made with a key. */
const keyed = corpus.packets.filter((p) => p.key);

describe("dmsc -> NDNts", () => {
  describe("checker self-test (no dmsc involved)", () => {
    const p = corpus.packets.find((x) => x.id === "interest-signed-ed25519");
    it("accepts an NDNts packet with its own description", async () => {
      await checkPacket({ hex: p.hex, claimed: p.expect, verify: p.verify });
    });
    it("rejects a wrong claimed field", async () => {
      const claimed = structuredClone(p.expect);
      claimed.signature.seq_num = 8;
      await assert.rejects(checkPacket({ hex: p.hex, claimed, verify: p.verify }), /seq_num/);
    });
    it("rejects a missing claimed field", async () => {
      const claimed = structuredClone(p.expect);
      delete claimed.must_be_fresh;
      await assert.rejects(checkPacket({ hex: p.hex, claimed, verify: p.verify }), /must_be_fresh/);
    });
    it("rejects a bad signature", async () => {
      const d = corpus.packets.find((x) => x.id === "data-signed-ecdsa");
      const other = corpus.keys.ed25519;
      await assert.rejects(checkPacket({ hex: d.hex, verify: { type: "ecdsa", spki: corpus.keys.ecdsa.spki.replace(/..$/, "00") } }));
      await assert.rejects(checkPacket({ hex: d.hex, verify: publicPart(other) }));
    });
  });

  describe("keygen: NDNts imports dmsc keys", () => {
    for (const type of ["ed25519", "ecdsa", "hmac"]) {
      it(`${type}: SPKI / secret import, PKCS#8 import, NDNts signature verified by dmsc`, async () => {
        const { file, printed } = dmscKey(type);
        const key = readDmsk(fs.readFileSync(file));
        assert.equal(key.type, type);
        assert.equal(key.name, `/interop/dmsc/KEY/${type}`);
        assert.equal(printed.name, key.name);
        assert.equal(printed.file, file);
        assert.equal(printed.pkcs8, undefined, "keygen must not print the private key when saving it");
        assert.equal(printed.secret, undefined, "keygen must not print the secret when saving it");
        if (type === "hmac") {
          assert.match(key.secret, /^[0-9a-f]{64}$/);
        } else {
          assert.ok(key.pkcs8, "private key saved as PKCS#8");
          assert.equal(printed.spki.length / 2, type === "ecdsa" ? 91 : 44);
          key.spki = printed.spki;
          await importVerifier(key); // NDNts parses dmsc's SPKI (OID, curve checks)
        }
        // NDNts imports dmsc's private key and signs; dmsc verifies with the key file
        const signer = await importSigner(key);
        const data = new Data("/interop/ndnts-signed-with-dmsc-key", new Uint8Array([1, 2, 3]));
        await signer.sign(data);
        const wire = hex(Encoder.encode(data));
        const out = dmscJson(["packet", "decode", wire, "--verify-key", file]);
        assert.equal(out.signature.verified, true);
        assert.equal(out.signature.key_locator.name.uri, key.name);
        if (type !== "hmac") {
          const out2 = dmscJson(["packet", "decode", wire, "--verify-spki", printed.spki]);
          assert.equal(out2.signature.verified, true);
        }
      });
    }
  });

  describe("keygen without --out prints a JSON key file", () => {
    for (const type of ["ed25519", "ecdsa", "hmac"]) {
      it(type, async () => {
        const key = dmscJson(["packet", "keygen", "--type", type, "--name", "/interop/json"]);
        assert.equal(key.type, type);
        assert.match(key.name, /^\/interop\/json\/KEY\/[^/]+$/, "identity gets /KEY/<keyid>");
        assert.ok(type === "hmac" ? key.secret : key.pkcs8 && key.spki);
        const file = keyFile(`printed-${type}`, key);
        const spec = { type: "data", name: "/interop/json-key", content: "01", signature: { type } };
        const wireHex = dmscText(["packet", "encode", "--sign-key", file], JSON.stringify(spec));
        const seen = await checkPacket({ hex: wireHex, verify: publicPart(key) });
        assert.equal(seen.signature.key_locator.name.uri, key.name);
        // and NDNts signs with the printed private key
        const data = new Data("/interop/ndnts-with-printed-key");
        await (await importSigner(key)).sign(data);
        assert.equal(dmscJson(["packet", "decode", hex(Encoder.encode(data)), "--verify-key", file]).signature.verified, true);
      });
    }
  });

  describe("key file formats: JSON, DMSK and PEM hold the same NDNts key", () => {
    const pem = (label, derHex) => `-----BEGIN ${label}-----\n` +
      Buffer.from(derHex, "hex").toString("base64").replace(/(.{64})/g, "$1\n") + `\n-----END ${label}-----\n`;
    for (const type of ["ed25519", "ecdsa", "hmac"]) {
      it(type, async () => {
        const key = corpus.keys[type];
        const p = corpus.packets.find((x) => x.id === `data-signed-${type}`);
        const files = { json: ndntsKeyFiles[type] };
        files.dmsk = path.join(dir, `ndnts-${type}.dmsk`);
        fs.writeFileSync(files.dmsk, writeDmsk(key));
        if (type !== "hmac") {
          files.pem = path.join(dir, `ndnts-${type}.pem`);
          fs.writeFileSync(files.pem, pem("PRIVATE KEY", key.pkcs8));
        }
        const wires = {};
        for (const [fmt, f] of Object.entries(files)) {
          const spec = structuredClone(p.spec);
          if (fmt === "pem") {
            // PEM holds no key name: without a key_locator the packet has none
            const bare = dmscText(["packet", "encode", "--sign-key", f], JSON.stringify(spec));
            assert.equal((await describeWire(unhex(bare))).signature.key_locator, undefined);
            spec.signature.key_locator = { name: key.name };
          }
          const wireHex = dmscText(["packet", "encode", "--sign-key", f], JSON.stringify(spec));
          await checkPacket({ hex: wireHex, verify: p.verify });
          wires[fmt] = wireHex;
          // and the same file verifies
          assert.equal(dmscJson(["packet", "decode", p.hex, "--verify-key", f]).signature.verified, true, fmt);
        }
        if (type !== "ecdsa") {
          assert.equal(new Set(Object.values(wires)).size, 1, "same key, same deterministic signature");
          assert.equal(wires.json, p.hex);
        }
        if (type !== "hmac") {
          const pub = path.join(dir, `ndnts-${type}.pub.pem`);
          fs.writeFileSync(pub, pem("PUBLIC KEY", key.spki));
          assert.equal(dmscJson(["packet", "decode", p.hex, "--verify-key", pub]).signature.verified, true);
        }
      });
    }
  });

  describe("encode with NDNts's keys: NDNts decodes and verifies; bytes equal NDNts's own", () => {
    for (const p of corpus.packets) {
      it(p.id, async () => {
        const args = ["packet", "encode", ...(p.key ? ["--sign-key", ndntsKeyFiles[p.key]] : [])];
        const wireHex = dmscText(args, JSON.stringify(p.spec));
        assert.match(wireHex, /^[0-9a-f]+$/, "lower-case hex on one line");
        const claimed = dmscJson(["packet", "decode", wireHex, ...verifyArgs(p.verify)]);
        const seen = await checkPacket({ hex: wireHex, claimed, verify: p.verify });
        if (usesEcdsa(p)) {
          assertSubset(normalize(seen), normalize(stripVolatile(p.expect)));
          assert.match(seen.signature.value, /^30/, "DER ECDSA-Sig-Value");
        } else {
          assert.equal(wireHex, p.hex, "dmsc and NDNts encode the same spec to the same bytes");
        }
      });
    }
  });

  describe("encode with dmsc's keys: NDNts verifies with dmsc's SPKI / secret", () => {
    for (const p of keyed) {
      it(p.id, async () => {
        const { file, key } = dmscKey(p.key);
        const wireHex = dmscText(["packet", "encode", "--sign-key", file], JSON.stringify(p.spec));
        const verify = publicPart(key);
        const claimed = dmscJson(["packet", "decode", wireHex, ...verifyArgs(verify)]);
        const seen = await checkPacket({ hex: wireHex, claimed, verify });
        const want = stripVolatile(p.expect);
        if (!p.spec.signature?.key_locator) {
          // KeyLocator is the signing key's name
          want.signature.key_locator = { name: { uri: key.name } };
        }
        assertSubset(normalize(seen), normalize(want));
      });
    }
  });

  describe("decode output is encode input: encode(decode(x)) == x", () => {
    for (const p of corpus.packets.filter((x) => !usesEcdsa(x))) {
      it(p.id, () => {
        const desc = dmscText(["packet", "decode", p.hex, ...verifyArgs(p.verify)]);
        const args = ["packet", "encode", ...(p.key ? ["--sign-key", ndntsKeyFiles[p.key]] : [])];
        assert.equal(dmscText(args, desc), p.hex);
      });
    }
  });

  describe("NDNLPv2 headers NDNts does not implement are ignorable for it", () => {
    it("IncomingFaceId, NextHopFaceId, CachePolicy, TxSequence, Ack, NonDiscovery, PrefixAnnouncement", async () => {
      const pa = corpus.packets.find((x) => x.id === "data-signed-digest").hex;
      const spec = {
        type: "lp", sequence: 7, frag_count: 1, pit_token: "0102", nack: { reason: 150 },
        incoming_face_id: 5, next_hop_face_id: 6, cache_policy: 1, congestion_mark: 3,
        acks: [1, 2, "18446744073709551615"], tx_sequence: 99, non_discovery: true,
        prefix_announcement: pa,
        packet: { type: "interest", name: "/a/lp", nonce: "00000001" },
      };
      const wireHex = dmscText(["packet", "encode"], JSON.stringify(spec));
      const claimed = dmscJson(["packet", "decode", wireHex]);
      for (const k of ["incoming_face_id", "next_hop_face_id", "cache_policy", "tx_sequence", "acks", "non_discovery", "prefix_announcement"]) {
        assert.deepEqual(claimed[k], spec[k], k);
      }
      const seen = await checkPacket({ hex: wireHex, claimed }); // NDNts skips what it does not know
      assert.equal(seen.pit_token, "0102");
      assert.equal(seen.nack.reason, 150);
      assert.equal(seen.congestion_mark, 3);
      assert.equal(seen.packet.name.uri, "/a/lp");
    });
  });

  describe("encode errors", () => {
    it("signature type needs a key: exit 1", () => {
      const r = dmsc(["packet", "encode"], JSON.stringify({ type: "data", name: "/x", signature: { type: "ed25519" } }));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^dmsc: .*key/im);
    });
    it("key type differs from signature type: exit 1", () => {
      const r = dmsc(["packet", "encode", "--sign-key", ndntsKeyFiles.hmac],
        JSON.stringify({ type: "data", name: "/x", signature: { type: "ed25519" } }));
      assert.equal(r.status, 1);
    });
    it("not JSON: exit 1", () => {
      const r = dmsc(["packet", "encode"], "{nope");
      assert.equal(r.status, 1);
      assert.match(r.stderr, /JSON/);
    });
    it("bad field value: exit 1", () => {
      const r = dmsc(["packet", "encode"], JSON.stringify({ type: "interest", name: "/x", hop_limit: 256 }));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /hop_limit/);
    });
    it("unknown field: exit 1", () => {
      const r = dmsc(["packet", "encode"], JSON.stringify({ type: "interest", name: "/x", hoplimit: 3 }));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /hoplimit/);
    });
  });

  describe("an unsigned spec without a Nonce gets a random one", () => {
    it("two encodings differ only in the Nonce, NDNts decodes both", async () => {
      const spec = JSON.stringify({ type: "interest", name: "/r" });
      const a = dmscText(["packet", "encode"], spec);
      const b = dmscText(["packet", "encode"], spec);
      const da = await describeWire(unhex(a));
      const db = await describeWire(unhex(b));
      assert.match(da.nonce, /^[0-9a-f]{8}$/);
      assert.notEqual(da.nonce, db.nonce);
      delete da.nonce;
      delete db.nonce;
      assert.deepEqual(da, db);
    });
  });
});
