// The dmsc packet JSON schema (docs/cli.md, "Packet JSON"), seen from NDNts.
//
// describe*(): an NDNts-decoded packet -> the JSON that `dmsc packet decode`
//              is expected to print for the same bytes.
// build*():    a packet spec (the JSON `dmsc packet encode` reads) -> an
//              NDNts packet, encoded and signed by NDNts.
// normalize(): fill the defaults a decoder may leave out, so that "absent"
//              and "default value" compare equal.
import { AltUri as nc2AltUri } from "@ndn/naming-convention2";
import {
  AltUri as baseAltUri, Component, Data, digestSigning, FwHint, Interest, KeyLocator, Nack,
  NackHeader, Name, ParamsDigest, SigInfo, ValidityPeriod,
} from "@ndn/packet";
import { LpPacket } from "@ndn/lp";
import { Decoder, Encoder, NNI } from "@ndn/tlv";
import { fromHex, sha256, toHex } from "@ndn/util";

export const hex = (b) => toHex(b).toLowerCase();
export const unhex = (s) => fromHex(s ?? "");

// ---- numbers: integers above 2^53-1 travel as decimal strings ----
export function jsonU64(v) {
  const b = BigInt(v);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
}
export const big = (v) => BigInt(v);

// ---- names ----
export const COMP_TYPE_NAMES = {
  0x01: "implicit-digest",
  0x02: "params-digest",
  0x08: "generic",
  0x20: "keyword",
  0x32: "segment",
  0x34: "byte-offset",
  0x36: "version",
  0x38: "timestamp",
  0x3a: "sequence-num",
};
const NUMBER_TYPES = new Set([0x32, 0x34, 0x36, 0x38, 0x3a]);
const COMP_TYPE_BY_NAME = Object.fromEntries(
  Object.entries(COMP_TYPE_NAMES).map(([k, v]) => [v, Number(k)]));

export function describeComponent(c) {
  const o = {
    type: c.type,
    type_name: COMP_TYPE_NAMES[c.type] ?? "other",
    value: hex(c.value),
    uri: baseAltUri.ofComponent(c),
    alt_uri: nc2AltUri.ofComponent(c),
  };
  if (NUMBER_TYPES.has(c.type) && NNI.isValidLength(c.length)) {
    o.number = jsonU64(NNI.decode(c.value, { big: true }));
  }
  return o;
}

export function describeName(name) {
  return {
    uri: baseAltUri.ofName(name),
    alt_uri: nc2AltUri.ofName(name),
    components: name.comps.map(describeComponent),
  };
}

/** Name from a spec: URI string (any style dmsc accepts) or {uri} or {components}. */
export function parseSpecName(v) {
  if (typeof v === "string") {
    return nc2AltUri.parseName(v);
  }
  if (v && Array.isArray(v.components)) {
    return new Name(v.components.map(parseSpecComponent));
  }
  if (v && typeof v.uri === "string") {
    return nc2AltUri.parseName(v.uri);
  }
  throw new Error(`bad name in spec: ${JSON.stringify(v)}`);
}

export function parseSpecComponent(v) {
  if (typeof v === "string") {
    return nc2AltUri.parseComponent(v);
  }
  let type = v.type ?? 8;
  if (typeof type === "string") {
    type = COMP_TYPE_BY_NAME[type];
  }
  if (v.value !== undefined) {
    return new Component(type, unhex(v.value));
  }
  if (v.number !== undefined) {
    return new Component(Encoder.encode([type, NNI(big(v.number))]));
  }
  if (v.uri !== undefined) {
    return nc2AltUri.parseComponent(v.uri);
  }
  throw new Error(`bad component in spec: ${JSON.stringify(v)}`);
}

// ---- signatures ----
export const SIG_TYPE_NAMES = {
  0: "digest-sha256",
  1: "rsa-sha256",
  3: "ecdsa-sha256",
  4: "hmac-sha256",
  5: "ed25519",
  200: "null",
};
const SIG_ALIASES = {
  "digest-sha256": 0, sha256: 0, digest: 0,
  "rsa-sha256": 1, rsa: 1,
  "ecdsa-sha256": 3, ecdsa: 3,
  "hmac-sha256": 4, hmac: 4,
  ed25519: 5,
};
export function sigTypeNumber(t) {
  if (typeof t === "number") {
    return t;
  }
  const n = SIG_ALIASES[String(t).toLowerCase()];
  if (n === undefined) {
    throw new Error(`unknown signature type ${t}`);
  }
  return n;
}

function isoCompact(ms) {
  const d = new Date(ms);
  const p = (v, n = 2) => String(v).padStart(n, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}
function parseIsoCompact(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) {
    throw new Error(`bad validity timestamp ${s}`);
  }
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, se);
}

export function describeSigInfo(si, sigValue) {
  const o = { type: si.type, type_name: SIG_TYPE_NAMES[si.type] ?? "other" };
  if (si.keyLocator?.name) {
    o.key_locator = { name: describeName(si.keyLocator.name) };
  } else if (si.keyLocator?.digest) {
    o.key_locator = { digest: hex(si.keyLocator.digest) };
  }
  if (si.nonce) {
    o.nonce = hex(si.nonce);
  }
  if (si.time !== undefined) {
    o.time = jsonU64(si.time);
  }
  if (si.seqNum !== undefined) {
    o.seq_num = jsonU64(si.seqNum);
  }
  if (si.validity) {
    o.validity = { not_before: isoCompact(si.validity.notBefore), not_after: isoCompact(si.validity.notAfter) };
  }
  o.value = hex(sigValue);
  return o;
}

function buildSigInfo(spec) {
  const args = [];
  if (spec.nonce !== undefined) {
    args.push(SigInfo.Nonce(unhex(spec.nonce)));
  }
  if (spec.time !== undefined) {
    args.push(SigInfo.Time(Number(spec.time)));
  }
  if (spec.seq_num !== undefined) {
    args.push(SigInfo.SeqNum(big(spec.seq_num)));
  }
  if (spec.validity) {
    args.push(new ValidityPeriod(parseIsoCompact(spec.validity.not_before), parseIsoCompact(spec.validity.not_after)));
  }
  return new SigInfo(...args);
}

function specKeyLocator(kl) {
  if (!kl) {
    return undefined;
  }
  if (kl.digest !== undefined) {
    return unhex(kl.digest);
  }
  return parseSpecName(kl.name);
}

/**
 * Sign pkt per spec.signature with NDNts.
 * keys: { [sigType]: NamedSigner } (from lib/keys.js); digest signing needs none.
 */
async function signPacket(pkt, sigSpec, signer) {
  const type = sigTypeNumber(sigSpec.type);
  pkt.sigInfo = buildSigInfo(sigSpec);
  if (type === 0) {
    await digestSigning.sign(pkt);
    return;
  }
  if (!signer) {
    throw new Error(`no signer for signature type ${type}`);
  }
  if (signer.sigType !== type) {
    throw new Error(`signer is type ${signer.sigType}, spec wants ${type}`);
  }
  const kl = specKeyLocator(sigSpec.key_locator);
  await (kl === undefined ? signer : signer.withKeyLocator(kl)).sign(pkt);
}

// ---- Interest ----
export async function describeInterest(interest, wire) {
  const o = {
    type: "interest",
    name: describeName(interest.name),
    can_be_prefix: interest.canBePrefix,
    must_be_fresh: interest.mustBeFresh,
  };
  if (wire) {
    o.size = wire.length;
  }
  if (interest.fwHint) {
    o.forwarding_hint = interest.fwHint.delegations.map(describeName);
  }
  if (interest.nonce !== undefined) {
    o.nonce = interest.nonce.toString(16).padStart(8, "0");
  }
  o.lifetime = interest.lifetime;
  o.hop_limit = interest.hopLimit;
  if (interest.appParameters) {
    o.app_parameters = hex(interest.appParameters);
    let valid = true;
    try {
      await interest.validateParamsDigest(true);
    } catch {
      valid = false;
    }
    o.params_digest_valid = valid;
  }
  if (interest.sigInfo) {
    o.signature = describeSigInfo(interest.sigInfo, interest.sigValue);
  }
  return o;
}

export async function buildInterest(spec, signer) {
  const args = [parseSpecName(spec.name)];
  if (spec.can_be_prefix) {
    args.push(Interest.CanBePrefix);
  }
  if (spec.must_be_fresh) {
    args.push(Interest.MustBeFresh);
  }
  if (spec.forwarding_hint) {
    args.push(new FwHint(spec.forwarding_hint.map(parseSpecName)));
  }
  if (spec.nonce !== undefined) {
    args.push(Interest.Nonce(Number.parseInt(spec.nonce, 16)));
  }
  if (spec.lifetime !== undefined) {
    args.push(Interest.Lifetime(spec.lifetime));
  }
  if (spec.hop_limit !== undefined) {
    args.push(Interest.HopLimit(spec.hop_limit));
  }
  if (spec.app_parameters !== undefined) {
    args.push(unhex(spec.app_parameters));
  }
  const interest = new Interest(...args);
  if (spec.signature) {
    await signPacket(interest, spec.signature, signer);
  } else if (spec.app_parameters !== undefined) {
    await interest.updateParamsDigest();
  }
  return interest;
}

// ---- Data ----
export async function describeData(data, wire) {
  const o = {
    type: "data",
    name: describeName(data.name),
    content_type: data.contentType,
    freshness_period: data.freshnessPeriod,
  };
  if (wire) {
    o.size = wire.length;
  }
  if (data.finalBlockId) {
    o.final_block_id = describeComponent(data.finalBlockId);
  }
  o.content = hex(data.content);
  o.signature = describeSigInfo(data.sigInfo, data.sigValue);
  o.implicit_digest = hex(await data.computeImplicitDigest());
  return o;
}

export async function buildData(spec, signer) {
  const args = [parseSpecName(spec.name)];
  if (spec.content_type !== undefined) {
    args.push(Data.ContentType(spec.content_type));
  }
  if (spec.freshness_period !== undefined) {
    args.push(Data.FreshnessPeriod(spec.freshness_period));
  }
  if (spec.content !== undefined) {
    args.push(unhex(spec.content));
  }
  const data = new Data(...args);
  if (spec.final_block_id !== undefined) {
    data.finalBlockId = parseSpecComponent(spec.final_block_id);
  }
  await signPacket(data, spec.signature ?? { type: 0 }, signer);
  return data;
}

// ---- NDNLPv2 ----
export const NACK_REASON_NAMES = { 0: "none", 50: "congestion", 100: "duplicate", 150: "no-route" };

export async function describeLp(lpp, wire) {
  const o = { type: "lp" };
  if (wire) {
    o.size = wire.length;
  }
  if (lpp.fragSeqNum !== undefined) {
    o.sequence = jsonU64(lpp.fragSeqNum);
  }
  o.frag_index = lpp.fragIndex;
  o.frag_count = lpp.fragCount;
  if (lpp.pitToken) {
    o.pit_token = hex(lpp.pitToken);
  }
  if (lpp.nack) {
    o.nack = { reason: lpp.nack.reason, reason_name: NACK_REASON_NAMES[lpp.nack.reason] ?? "other" };
  }
  if (lpp.congestionMark) {
    o.congestion_mark = lpp.congestionMark;
  }
  if (lpp.payload) {
    o.fragment = hex(lpp.payload);
    if (lpp.fragCount === 1) {
      o.packet = await describeWire(lpp.payload);
    }
  }
  return o;
}

export async function buildLp(spec, signer) {
  const lpp = new LpPacket();
  if (spec.sequence !== undefined) {
    lpp.fragSeqNum = big(spec.sequence);
  }
  if (spec.frag_index !== undefined) {
    lpp.fragIndex = spec.frag_index;
  }
  if (spec.frag_count !== undefined) {
    lpp.fragCount = spec.frag_count;
  }
  if (spec.pit_token !== undefined) {
    lpp.pitToken = unhex(spec.pit_token);
  }
  if (spec.nack) {
    lpp.nack = new NackHeader(spec.nack.reason ?? 0);
  }
  if (spec.congestion_mark !== undefined) {
    lpp.congestionMark = spec.congestion_mark;
  }
  if (spec.packet) {
    lpp.payload = await encodeSpec(spec.packet, signer);
  } else if (spec.fragment !== undefined) {
    lpp.payload = unhex(spec.fragment);
  }
  return lpp;
}

// ---- any packet ----
/** Decode any top-level packet with NDNts and describe it. */
export async function describeWire(wire) {
  const decoder = new Decoder(wire);
  const { type } = decoder.read();
  let pkt;
  const d = new Decoder(wire);
  switch (type) {
    case 0x05:
      pkt = d.decode(Interest);
      d.throwUnlessEof();
      return describeInterest(pkt, wire);
    case 0x06:
      pkt = d.decode(Data);
      d.throwUnlessEof();
      return describeData(pkt, wire);
    case 0x64:
      pkt = d.decode(LpPacket);
      d.throwUnlessEof();
      return describeLp(pkt, wire);
  }
  throw new Error(`unknown packet TLV-TYPE ${type}`);
}

/** Decode with NDNts, returning the NDNts object (for verification). */
export function decodeWire(wire) {
  const t = new Decoder(wire).read().type;
  const cls = { 0x05: Interest, 0x06: Data, 0x64: LpPacket }[t];
  if (!cls) {
    throw new Error(`unknown packet TLV-TYPE ${t}`);
  }
  const d = new Decoder(wire);
  const pkt = d.decode(cls);
  d.throwUnlessEof();
  return pkt;
}

export async function buildSpec(spec, signer) {
  switch (spec.type) {
    case "interest":
      return buildInterest(spec, signer);
    case "data":
      return buildData(spec, signer);
    case "lp":
      return buildLp(spec, signer);
  }
  throw new Error(`unknown spec type ${spec.type}`);
}

export async function encodeSpec(spec, signer) {
  return Encoder.encode(await buildSpec(spec, signer));
}

// ---- normalization and comparison ----
const DEFAULTS = {
  interest: { can_be_prefix: false, must_be_fresh: false, lifetime: 4000, hop_limit: 255 },
  data: { content_type: 0, freshness_period: 0, content: "" },
  lp: { frag_index: 0, frag_count: 1 },
};

/** Deep copy with defaults filled in and hex lower-cased, for comparison. */
export function normalize(desc) {
  const o = structuredClone(desc);
  const defs = DEFAULTS[o.type];
  if (defs) {
    for (const [k, v] of Object.entries(defs)) {
      o[k] ??= v;
    }
  }
  if (o.type === "lp" && o.nack) {
    o.nack.reason ??= 0;
  }
  if (o.packet) {
    o.packet = normalize(o.packet);
  }
  return o;
}

/**
 * Assert that every field in `expected` is in `actual` with an equal value
 * (recursively; arrays must have equal length). Extra fields in `actual`
 * are allowed. Throws an Error naming the first differing path.
 */
export function assertSubset(actual, expected, path = "$") {
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object") {
      throw new Error(`${path}: expected object/array, got ${JSON.stringify(actual)}`);
    }
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual) || actual.length !== expected.length) {
        throw new Error(`${path}: expected array of ${expected.length}, got ${JSON.stringify(actual)}`);
      }
    }
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in actual)) {
        throw new Error(`${path}.${k}: missing (expected ${JSON.stringify(v)})`);
      }
      assertSubset(actual[k], v, `${path}.${k}`);
    }
    return;
  }
  const eq = typeof expected === "number" || typeof actual === "number" ?
    (() => {
      try {
        return BigInt(actual) === BigInt(expected);
      } catch {
        return false;
      }
    })() :
    (typeof expected === "string" && typeof actual === "string" && /^[0-9a-f]*$/i.test(expected) && path.match(/\.(value|nonce|content|fragment|app_parameters|pit_token|digest|implicit_digest)$/)) ?
      actual.toLowerCase() === expected.toLowerCase() :
      actual === expected;
  if (!eq) {
    throw new Error(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export { sha256 };
