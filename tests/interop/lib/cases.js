// The interop corpus: one list of packet specs (in the JSON that
// `dmsc packet encode` reads), used in both directions:
//   NDNts -> dmsc: NDNts encodes each spec; dmsc decodes and verifies.
//   dmsc -> NDNts: dmsc encodes each spec; NDNts decodes and verifies.
// plus names, and hand-made edge-case wires for decoder agreement.

const D32 = (b) => b.repeat(32); // 32-byte digest value as hex
const SEG_MAX = "18446744073709551615"; // 2^64-1

/** Name URIs, in the alternate syntax NDNts @ndn/naming-convention2 parses. */
export const NAMES = [
  { id: "generic", uri: "/hello/world" },
  { id: "root", uri: "/" },
  { id: "escaped", uri: "/%00%20%25%2F%FF/a.b-c_d~e/%3Dx%3D" },
  { id: "utf8", uri: "/caf%C3%A9/%E2%9C%93" },
  { id: "periods", uri: "/.../..../....." }, // generic "", ".", ".."
  { id: "implicit-digest", uri: `/a/sha256digest=${D32("ab")}` },
  { id: "params-digest", uri: `/a/params-sha256=${D32("0f")}` },
  { id: "keyword", uri: "/a/32=metadata" },
  { id: "segment", uri: "/a/seg=0/seg=255/seg=256/seg=65536/seg=4294967296" },
  { id: "segment-max", uri: `/a/seg=${SEG_MAX}` },
  { id: "byte-offset", uri: "/a/off=1234567" },
  { id: "version", uri: "/a/v=1700000000000" },
  { id: "timestamp", uri: "/a/t=1700000000000000" },
  { id: "sequence-num", uri: "/a/seq=42" },
  // NonNegativeInteger values in a non-minimal length (2 bytes for 1, 4 for 5)
  { id: "typed-nonminimal-nni", uri: "/a/50=%00%01/54=%00%00%00%05" },
  { id: "typed-not-nni", uri: "/a/50=%01%02%03/54=/56=%00%00%00%00%00" }, // lengths 3, 0, 5
  { id: "other-types", uri: "/9=x/253=%FE/65535=zz/33=%01" },
  { id: "everything", uri: `/gen/sha256digest=${D32("11")}/params-sha256=${D32("22")}/32=kw/seg=1/off=2/v=3/t=4/seq=5` },
];

/** Key names (the key file "name"). */
export const KEY_NAMES = {
  ed25519: "/interop/ndnts/KEY/ed",
  ecdsa: "/interop/ndnts/KEY/ec",
  hmac: "/interop/ndnts/KEY/hm",
};

const SIGS = [
  ["digest", { type: "digest-sha256" }, undefined],
  ["ecdsa", { type: "ecdsa-sha256" }, "ecdsa"],
  ["hmac", { type: "hmac-sha256" }, "hmac"],
  ["ed25519", { type: "ed25519" }, "ed25519"],
];

/** Packet specs. `key` names which of the generated keys signs it. */
export const PACKETS = [
  // ---- Interests ----
  { id: "interest-min", spec: { type: "interest", name: "/a", nonce: "00000001" } },
  { id: "interest-nonce-zero", spec: { type: "interest", name: "/a/b", nonce: "00000000" } },
  {
    id: "interest-all-fields",
    spec: {
      type: "interest",
      name: "/svc/orders/32=get/v=7/seg=0",
      can_be_prefix: true,
      must_be_fresh: true,
      forwarding_hint: ["/node/one", "/node/two/seq=3"],
      nonce: "a1b2c3d4",
      lifetime: 10000,
      hop_limit: 32,
      app_parameters: "c0ffee00112233",
    },
  },
  { id: "interest-flags-only", spec: { type: "interest", name: "/f", can_be_prefix: true, nonce: "0badf00d" } },
  { id: "interest-lifetime-large", spec: { type: "interest", name: "/l", nonce: "00000002", lifetime: 4294967296 } },
  { id: "interest-lifetime-zero", spec: { type: "interest", name: "/l0", nonce: "00000003", lifetime: 0 } },
  { id: "interest-hop-zero", spec: { type: "interest", name: "/h", nonce: "00000004", hop_limit: 0 } },
  { id: "interest-empty-params", spec: { type: "interest", name: "/p", nonce: "00000005", app_parameters: "" } },
  {
    id: "interest-params-digest-middle",
    spec: { type: "interest", name: `/p/params-sha256=${D32("00")}/tail`, nonce: "00000006", app_parameters: "01" },
  },
  {
    id: "interest-everything-name",
    spec: { type: "interest", name: NAMES.find((n) => n.id === "everything").uri.replace(/params-sha256=[0-9a-f]+\//, ""), nonce: "00000007" },
  },
  ...SIGS.map(([sid, sig, key]) => ({
    id: `interest-signed-${sid}`,
    key,
    spec: {
      type: "interest",
      name: "/svc/echo/32=call",
      must_be_fresh: true,
      nonce: "12345678",
      lifetime: 2000,
      app_parameters: "68656c6c6f",
      signature: { ...sig, nonce: "0102030405060708", time: 1700000000123, seq_num: 7 },
    },
  })),
  {
    id: "interest-signed-ed25519-bare",
    key: "ed25519",
    spec: { type: "interest", name: "/s/bare", nonce: "00000008", app_parameters: "", signature: { type: "ed25519" } },
  },
  {
    id: "interest-signed-hmac-keydigest",
    key: "hmac",
    spec: {
      type: "interest", name: "/s/kd", nonce: "00000009", app_parameters: "aa",
      signature: { type: "hmac-sha256", key_locator: { digest: D32("5a") }, seq_num: 4294967296 },
    },
  },
  // ---- Data ----
  { id: "data-min", spec: { type: "data", name: "/d", signature: { type: "digest-sha256" } } },
  {
    id: "data-metainfo",
    spec: {
      type: "data",
      name: "/d/v=2/seg=9",
      content_type: 2,
      freshness_period: 10000,
      final_block_id: "seg=9",
      content: "00ff7f80",
      signature: { type: "digest-sha256" },
    },
  },
  {
    id: "data-final-block-generic",
    spec: { type: "data", name: "/d/x", final_block_id: "x", content: "61", freshness_period: 1, signature: { type: "digest-sha256" } },
  },
  { id: "data-content-type-nack", spec: { type: "data", name: "/d/n", content_type: 3, signature: { type: "digest-sha256" } } },
  { id: "data-content-type-large", spec: { type: "data", name: "/d/c", content_type: 65536, content: "01", signature: { type: "digest-sha256" } } },
  {
    id: "data-64k-content", // TLV-LENGTH in the 5-octet VAR-NUMBER form
    spec: { type: "data", name: "/d/huge", content: "a5".repeat(70000), signature: { type: "digest-sha256" } },
  },
  {
    id: "data-big-content",
    spec: { type: "data", name: "/d/big/seg=0", content: "5a".repeat(8000), signature: { type: "digest-sha256" } },
  },
  ...SIGS.map(([sid, sig, key]) => ({
    id: `data-signed-${sid}`,
    key,
    spec: {
      type: "data",
      name: "/svc/echo/32=call/v=1700000000000",
      freshness_period: 4000,
      content: "7b226f6b223a747275657d",
      signature: { ...sig },
    },
  })),
  {
    id: "data-signed-ecdsa-validity",
    key: "ecdsa",
    spec: {
      type: "data",
      name: "/interop/ndnts/KEY/ec/self/v=1",
      content_type: 2,
      freshness_period: 3600000,
      content: "3059301306072a8648ce3d020106082a8648ce3d030107",
      signature: { type: "ecdsa-sha256", validity: { not_before: "20250101T000000", not_after: "20351231T235959" } },
    },
  },
  {
    id: "data-signed-ed25519-siginfo-extras",
    key: "ed25519",
    spec: {
      type: "data", name: "/d/x/seq=1",
      signature: { type: "ed25519", key_locator: { name: "/other/KEY/k" }, nonce: "ff", time: 1, seq_num: 0 },
    },
  },
  // ---- NDNLPv2 ----
  {
    id: "lp-nack-noroute",
    spec: {
      type: "lp", pit_token: "0102030405060708", nack: { reason: 150 },
      packet: { type: "interest", name: "/a/nack", nonce: "cafebabe", lifetime: 1000 },
    },
  },
  {
    id: "lp-nack-congestion",
    spec: { type: "lp", nack: { reason: 50 }, packet: { type: "interest", name: "/a/c", nonce: "00000010" } },
  },
  {
    id: "lp-nack-duplicate",
    spec: { type: "lp", pit_token: "ab", nack: { reason: 100 }, packet: { type: "interest", name: "/a/d", nonce: "00000011" } },
  },
  {
    id: "lp-nack-no-reason",
    spec: { type: "lp", nack: {}, packet: { type: "interest", name: "/a/n", nonce: "00000012" } },
  },
  {
    id: "lp-pittoken-data",
    spec: {
      type: "lp", pit_token: "00112233445566778899aabbccddeeff0011223344556677",
      packet: { type: "data", name: "/a/data", content: "42", signature: { type: "digest-sha256" } },
    },
  },
  {
    id: "lp-congestion-mark",
    spec: { type: "lp", congestion_mark: 1, packet: { type: "interest", name: "/a/cm", nonce: "00000013" } },
  },
  {
    id: "lp-fragment",
    spec: { type: "lp", sequence: 1000, frag_index: 1, frag_count: 3, fragment: "0102030405" },
  },
  {
    id: "lp-fragment-first",
    spec: { type: "lp", sequence: 999, frag_count: 2, pit_token: "a0a1a2a3", fragment: "0512070308016108" },
  },
  {
    id: "lp-nack-unknown-reason",
    spec: { type: "lp", nack: { reason: 999 }, packet: { type: "interest", name: "/a/u", nonce: "00000014" } },
  },
  {
    id: "lp-sequence-max",
    spec: { type: "lp", sequence: SEG_MAX, frag_index: 2, frag_count: 3, fragment: "ff" },
  },
  { id: "lp-idle", spec: { type: "lp" } },
];

/** Hex of one TLV element with a minimal TLV-TYPE/TLV-LENGTH. */
export function T(type, ...valueHex) {
  const v = valueHex.join("");
  const vn = (n) => n < 0xfd ? n.toString(16).padStart(2, "0") :
    n <= 0xffff ? "fd" + n.toString(16).padStart(4, "0") : "fe" + n.toString(16).padStart(8, "0");
  return vn(type) + vn(v.length / 2) + v;
}
const NAME_A = T(0x07, T(0x08, "61"));
const NONCE1 = T(0x0a, "00000001");
const INTEREST_A = T(0x05, NAME_A, NONCE1);
const DSIG0 = T(0x16, T(0x1b, "00"));
const NAME_D = T(0x07, T(0x08, "64"));

/**
 * Hand-made wires for decoder agreement: dmsc must accept exactly when NDNts
 * does (and then print the same fields). `spec: "reject"` marks a case where
 * NDNts is more lenient than the spec (or than a documented dmsc limit), and
 * dmsc is held to that instead; `why` says which rule.
 */
export const EDGE_WIRES = [
  // unknown non-critical element 0xFC: ignored by both
  { id: "interest-unknown-noncritical", hex: T(0x05, NAME_A, NONCE1, T(0xfc)) },
  // unknown critical element 0xFD (odd): reject
  { id: "interest-unknown-critical", hex: T(0x05, NAME_A, NONCE1, T(0xfd, "00")) },
  // CanBePrefix (0x21, odd: critical) after Nonce: out of order, reject
  { id: "interest-out-of-order-critical", hex: T(0x05, NAME_A, NONCE1, T(0x21)) },
  { id: "interest-nonce-3-bytes", hex: T(0x05, NAME_A, T(0x0a, "000001")) },
  { id: "interest-lifetime-3-bytes", hex: T(0x05, NAME_A, NONCE1, T(0x0c, "000001")) },
  { id: "interest-hoplimit-2-bytes", hex: T(0x05, NAME_A, NONCE1, T(0x22, "0001")) },
  // AppParameters without ParametersSha256DigestComponent
  { id: "interest-params-no-digest", hex: T(0x05, NAME_A, NONCE1, T(0x24, "01")) },
  { id: "interest-duplicate-nonce", hex: T(0x05, NAME_A, NONCE1, T(0x0a, "00000002")) },
  { id: "interest-no-name", hex: T(0x05, NONCE1) },
  // Name TLV-LENGTH as a non-minimal 3-byte VAR-NUMBER
  // Name with zero components: the spec requires at least one
  { id: "interest-empty-name", hex: T(0x05, T(0x07), NONCE1), spec: "reject", why: "spec: Interest Name has 1+ components" },
  // ParametersSha256DigestComponent without ApplicationParameters: the spec
  // allows the component only together with ApplicationParameters
  { id: "interest-digest-no-params", hex: T(0x05, T(0x07, T(0x08, "61"), T(0x02, "00".repeat(32))), NONCE1), spec: "reject", why: "spec: digest component only with ApplicationParameters" },
  // two ParametersSha256DigestComponents: the spec allows exactly one
  { id: "interest-two-digests", hex: T(0x05, T(0x07, T(0x02, "00".repeat(32)), T(0x02, "00".repeat(32))), NONCE1, T(0x24, "01")), spec: "reject", why: "spec: exactly one ParametersSha256DigestComponent" },
  { id: "interest-nonminimal-length", hex: T(0x05, "07fd0003080161", NONCE1) },
  // TLV-LENGTH 12, but only 5 bytes follow
  { id: "interest-truncated", hex: "050c" + NAME_A },
  { id: "interest-trailing", hex: INTEREST_A + "00" },
  { id: "data-no-sigvalue", hex: T(0x06, NAME_D, DSIG0) },
  { id: "data-no-siginfo", hex: T(0x06, NAME_D, T(0x17)) },
  // Content before MetaInfo (0x14 <= 31: critical): out of order, reject
  { id: "data-content-before-metainfo", hex: T(0x06, NAME_D, T(0x15, "61"), T(0x14, T(0x19, "01")), DSIG0, T(0x17)) },
  { id: "data-unknown-noncritical", hex: T(0x06, NAME_D, T(0x15, "61"), T(0xfc, "01"), DSIG0, T(0x17)) },
  { id: "data-empty-sigvalue", hex: T(0x06, NAME_D, DSIG0, T(0x17)) },
  // 65 components: above dmsc's DMSC_NAME_MAX_COMPS (64), a dmsc limit
  { id: "name-65-components", hex: T(0x05, T(0x07, T(0x08, "61").repeat(65)), NONCE1), spec: "reject", why: "dmsc limit: 64 components" },
  { id: "name-comp-type-zero", hex: T(0x05, T(0x07, T(0x00, "61")), NONCE1) },
  // ImplicitSha256DigestComponent of 5 bytes: the spec says exactly 32
  { id: "name-implicit-digest-short", hex: T(0x05, T(0x07, T(0x01, "0000000000")), NONCE1), spec: "reject", why: "spec: ImplicitSha256DigestComponent is 32 octets" },
  // LpPacket header in 800..959 and a multiple of 4 is ignorable
  { id: "lp-unknown-noncritical", hex: T(0x64, T(0x0390), T(0x50, INTEREST_A)) },
  { id: "lp-unknown-critical", hex: T(0x64, T(0x0391, "00"), T(0x50, INTEREST_A)) },
];
