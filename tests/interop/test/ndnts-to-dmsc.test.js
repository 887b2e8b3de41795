// Direction 1: NDNts encodes, dmsc decodes and verifies.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { generate, selfCheck } from "../gen.js";
import { DMSC, dmsc, dmscJson, verifyArgs } from "../lib/dmsc.js";
import { assertSubset, normalize } from "../lib/schema.js";

const corpus = await generate();
selfCheck(corpus);

const NUMBER_TYPES = new Set([0x32, 0x34, 0x36, 0x38, 0x3a]);
const NNI_LENGTHS = new Set([1, 2, 4, 8]);

/**
 * dmsc prints the alternate form (seg=, v=, ...) only for the shortest
 * NonNegativeInteger encoding, so that "seg=N" always parses back to the same
 * bytes; NDNts prints it for any 1/2/4/8-byte value. For such components
 * dmsc is held to the canonical form (a known, deliberate divergence).
 */
function dmscNameExpectation(name) {
  const n = structuredClone(name);
  let changed = false;
  for (const c of n.components) {
    const len = c.value.length / 2;
    if (NUMBER_TYPES.has(c.type) && NNI_LENGTHS.has(len) && len > 1 && c.value.startsWith("00")) {
      const v = BigInt(`0x${c.value}`);
      const minimal = v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffffffffn ? 4 : 8;
      if (minimal !== len) {
        c.alt_uri = c.uri;
        changed = true;
      }
    }
  }
  if (changed) {
    n.alt_uri = `/${n.components.map((c) => c.alt_uri).join("/")}`;
  }
  return n;
}

/** Adjust a packet description's names per dmscNameExpectation. */
function dmscPacketExpectation(desc) {
  const d = structuredClone(desc);
  const fix = (o) => {
    if (o && typeof o === "object") {
      for (const [k, v] of Object.entries(o)) {
        if (v && typeof v === "object" && Array.isArray(v.components) && typeof v.uri === "string") {
          o[k] = dmscNameExpectation(v);
        } else {
          fix(v);
        }
      }
    }
  };
  fix(d);
  return d;
}

/** The innermost network packet of a decoded description (LpPacket -> payload). */
const l3 = (d) => (d.type === "lp" ? d.packet : d);

describe("NDNts -> dmsc", () => {
  it("dmsc binary runs and reports its usage", () => {
    const r = dmsc(["--help"]);
    assert.equal(r.status, 0, `${DMSC} --help: ${r.stderr}`);
    assert.match(r.stdout, /packet/);
    const p = dmsc(["packet", "--help"]);
    assert.equal(p.status, 0);
    for (const sub of ["decode", "encode", "keygen", "uri"]) {
      assert.match(p.stdout, new RegExp(`\\b${sub}\\b`));
    }
  });

  describe("names: dmsc packet uri parses every NDNts form", () => {
    for (const n of corpus.names) {
      const want = dmscNameExpectation(n.expect);
      const forms = [["toString", n.to_string], ["canonical", n.uri], ["ndn: scheme", `ndn:${n.uri}`]];
      if (n.alt_uri_lossless) {
        forms.unshift(["alt", n.alt_uri]); // else NDNts's own alt URI names another name
      }
      for (const [form, uri] of forms) {
        it(`${n.id} (${form}: ${uri.length > 60 ? uri.slice(0, 57) + "..." : uri})`, () => {
          const out = dmscJson(["packet", "uri", uri]);
          assert.equal(out.tlv, n.tlv, "Name TLV bytes");
          assertSubset(out, want);
          assert.equal(out.uri, n.uri, "canonical URI = NDNts @ndn/packet AltUri");
        });
      }
      it(`${n.id} (decode Name TLV)`, () => {
        const out = dmscJson(["packet", "decode", n.tlv]);
        assert.equal(out.type, "name");
        assertSubset(out, want);
      });
    }
  });

  describe("packets: dmsc packet decode prints NDNts's fields and verifies", () => {
    for (const p of corpus.packets) {
      it(p.id, () => {
        const out = dmscJson(["packet", "decode", p.hex, ...verifyArgs(p.verify)]);
        assertSubset(normalize(out), normalize(dmscPacketExpectation(p.expect)));
        const pkt = l3(out);
        if (pkt?.app_parameters !== undefined) {
          assert.equal(pkt.params_digest_valid, true, "params_digest_valid");
        }
        if (pkt?.signature) {
          assert.equal(pkt.signature.verified, true, "signature.verified");
        }
      });
    }
  });

  describe("integrity failures are reported (exit 2)", () => {
    for (const p of corpus.packets.filter((x) => x.spec.type !== "lp" && (x.spec.type === "data" || x.spec.signature))) {
      it(`${p.id}: flipped SignatureValue bit`, () => {
        const bad = p.hex.slice(0, -2) + (Number.parseInt(p.hex.slice(-2), 16) ^ 0x01).toString(16).padStart(2, "0");
        const out = dmscJson(["packet", "decode", bad, ...verifyArgs(p.verify)], undefined, 2);
        assert.equal(out.signature.verified, false);
        if (p.spec.type === "interest") {
          assert.equal(out.params_digest_valid, false, "SignatureValue is inside the parameters digest");
        }
      });
    }
    it("ECDSA Data checked against another P-256 key", () => {
      const p = corpus.packets.find((x) => x.id === "data-signed-ecdsa");
      const other = dmscJson(["packet", "keygen", "--type", "ecdsa", "--name", "/other/KEY/1"]);
      const out = dmscJson(["packet", "decode", p.hex, "--verify-spki", other.spki], undefined, 2);
      assert.equal(out.signature.verified, false);
    });
    it("Ed25519 Interest checked against another Ed25519 key", () => {
      const p = corpus.packets.find((x) => x.id === "interest-signed-ed25519");
      const other = dmscJson(["packet", "keygen", "--type", "ed25519", "--name", "/other/KEY/1"]);
      const out = dmscJson(["packet", "decode", p.hex, "--verify-spki", other.spki], undefined, 2);
      assert.equal(out.signature.verified, false);
      assert.equal(out.params_digest_valid, true);
    });
    it("HMAC Data checked with another secret", () => {
      const p = corpus.packets.find((x) => x.id === "data-signed-hmac");
      const out = dmscJson(["packet", "decode", p.hex, "--hmac-key", "00".repeat(32)], undefined, 2);
      assert.equal(out.signature.verified, false);
    });
    it("Ed25519 Data checked against an ECDSA key", () => {
      const p = corpus.packets.find((x) => x.id === "data-signed-ed25519");
      const ec = corpus.keys.ecdsa.spki;
      const r = dmsc(["packet", "decode", p.hex, "--verify-spki", ec]);
      assert.notEqual(r.status, 0);
      if (r.stdout) {
        assert.notEqual(JSON.parse(r.stdout).signature.verified, true);
      }
    });
    it("wrong ParametersSha256DigestComponent", () => {
      const p = corpus.packets.find((x) => x.id === "interest-all-fields");
      // the last byte is inside ApplicationParameters
      const bad = p.hex.slice(0, -2) + (Number.parseInt(p.hex.slice(-2), 16) ^ 0x80).toString(16).padStart(2, "0");
      const out = dmscJson(["packet", "decode", bad], undefined, 2);
      assert.equal(out.params_digest_valid, false);
    });
  });

  describe("decoder agreement on edge-case wires (accept iff NDNts accepts)", () => {
    for (const e of corpus.edges) {
      const accept = e.spec === "reject" ? false : e.ndnts.ok;
      const note = e.spec ? ` (${e.why}; NDNts ${e.ndnts.ok ? "accepts" : "rejects"})` : "";
      it(`${e.id}: ${accept ? "accept" : "reject"}${note}`, () => {
        const r = dmsc(["packet", "decode", e.hex]);
        assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
        if (accept) {
          assert.ok(r.status === 0 || r.status === 2, `exit ${r.status}: ${r.stderr}`);
          assertSubset(normalize(JSON.parse(r.stdout)), normalize(dmscPacketExpectation(e.ndnts.expect)));
        } else {
          assert.equal(r.status, 1, `expected rejection, got exit ${r.status}: ${r.stdout}`);
          assert.equal(r.stdout, "", "nothing on stdout for a rejected packet");
          assert.match(r.stderr, /^dmsc: .+/);
        }
      });
    }
  });

  describe("input handling", () => {
    const p = corpus.packets.find((x) => x.id === "interest-all-fields");
    it("reads hex from stdin with '-' and with no argument, whitespace allowed", () => {
      const spaced = p.hex.replace(/(.{16})/g, "$1 \n");
      const a = dmscJson(["packet", "decode", "-"], spaced);
      const b = dmscJson(["packet", "decode"], p.hex.toUpperCase() + "\n");
      assert.equal(a.name.uri, p.expect.name.uri);
      assert.equal(b.name.uri, p.expect.name.uri);
    });
    it("truncated packet: exit 1 with dmsc_strerror text", () => {
      const r = dmsc(["packet", "decode", p.hex.slice(0, -4)]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /truncated/i);
    });
    it("not hex: exit 1", () => {
      const r = dmsc(["packet", "decode", "05zz"]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /hex/i);
    });
    it("malformed URI: exit 1 with dmsc_strerror text", () => {
      const r = dmsc(["packet", "uri", "/a/seg=x%"]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /URI/);
    });
    it("unknown subcommand: exit 1 (usage)", () => {
      const r = dmsc(["packet", "frobnicate"]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /usage|unknown/i);
    });
  });
});
