// End to end: NDNts applications talking to each other through dmscd.
//
// One dmscd (lib/dmscd.js: temp Unix socket, ports picked by the daemon).
// An NDNts producer connects over the Unix socket and registers its prefix
// the way NDNts apps do against NFD (@ndn/nfdmgmt enableNfdPrefixReg, and
// the rib/register ControlCommand); NDNts consumers connect over TCP and UDP.
// Each app has its own NDNts Forwarder, so each is a separate face of dmscd.
//
// Every assertion is on something observed: the Data bytes the consumer
// got against the bytes the producer signed, how many Interests the
// producer saw, and dmscd's counters on its admin API. Timeouts only bound
// the waiting.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";

import { consume, produce } from "@ndn/endpoint";
import { Forwarder } from "@ndn/fw";
import { Segment, Version } from "@ndn/naming-convention2";
import { ControlParameters, enableNfdPrefixReg, invoke, list, RibEntry } from "@ndn/nfdmgmt";
import { TcpTransport, UdpTransport, UnixTransport } from "@ndn/node-transport";
import { Data, digestSigning, Interest, Name } from "@ndn/packet";
import { BufferChunkSource, discoverVersion, fetch, serve } from "@ndn/segmented-object";
import { Encoder } from "@ndn/tlv";

import { Dmscd, sanitizerReports, waitFor } from "../lib/dmscd.js";

const RUN = crypto.randomBytes(4).toString("hex"); // keeps names unique per run
const LIFETIME = 10000; // upper bound on waiting for one Data
const sha256 = (b) => crypto.createHash("sha256").update(b).digest("hex");
const hex = (b) => Buffer.from(b).toString("hex");
const utf8 = (b) => new TextDecoder().decode(b);

/** @type {Dmscd} */
let d;
/** the producer app: its forwarder, its face to dmscd, dmscd's id of that face */
const prod = { fw: undefined, face: undefined, id: 0 };
/** Interests the producer saw, by name URI */
const seen = new Map();
/** Data wires the producer sent, by Interest name URI, in order */
const served = new Map();
/** name URI -> Promise the producer awaits before answering */
const gates = new Map();
/** consumer apps by transport: {fw, face, remoteUri, id} */
const cons = {};
const servers = [];

/**
 * The producer of /e2e/app/<mode>/...: Content says which Interest for the
 * name it answers ("#1", "#2", ...), so cached and fresh answers differ.
 */
async function handler(interest) {
  const key = interest.name.toString();
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  const mode = utf8(interest.name.at(2).value);
  await gates.get(key);
  let name = interest.name;
  const fields = [];
  switch (mode) {
    case "fresh":
      fields.push(Data.FreshnessPeriod(3600000));
      break;
    case "short":
      fields.push(Data.FreshnessPeriod(200));
      break;
    case "disc":
      if (interest.canBePrefix) {
        name = name.append(Version, 7).append(Segment, 0);
      }
      fields.push(Data.FreshnessPeriod(3600000));
      break;
    default: // plain, agg, stale: FreshnessPeriod 0, stale at once
      fields.push(Data.FreshnessPeriod(0));
  }
  const data = new Data(name, ...fields, new TextEncoder().encode(`${key} #${n}`));
  await digestSigning.sign(data);
  const list = served.get(key) ?? [];
  list.push(Encoder.encode(data));
  served.set(key, list);
  return data;
}

/** A consumer app on its own forwarder, connected to dmscd over tcp or udp. */
async function connectConsumer(kind) {
  const fw = Forwarder.create();
  let transport;
  const callback = (t) => {
    transport = t;
  };
  let face;
  let remoteUri;
  if (kind === "tcp") {
    face = await TcpTransport.createFace({ fw, callback }, "127.0.0.1", d.tcpPort);
    remoteUri = `tcp4://127.0.0.1:${transport.conn.localPort}`;
  } else {
    face = await UdpTransport.createFace({ fw, callback }, { host: "127.0.0.1", port: d.udpPort });
    remoteUri = `udp4://127.0.0.1:${transport.laddr.port}`;
  }
  return { fw, face, remoteUri, id: 0 };
}

/** dmscd's face id of a consumer (an on-demand UDP face exists after its first packet). */
async function faceId(c) {
  if (!c.id) {
    c.id = await waitFor(`a dmscd face ${c.remoteUri}`, async () =>
      (await d.json("/faces")).faces.find((f) => f.remote_uri === c.remoteUri)?.id);
  }
  return c.id;
}

async function counters(id) {
  const f = await d.face(id);
  assert.ok(f, `face ${id} is in /faces`);
  return f.counters;
}

/** Counter deltas of several faces around fn: {result, delta: [{...}, ...]} */
async function around(ids, fn) {
  const before = await Promise.all(ids.map(counters));
  const result = await fn();
  const after = await Promise.all(ids.map(counters));
  const delta = after.map((a, i) =>
    Object.fromEntries(Object.entries(a).filter(([, v]) => typeof v === "number")
      .map(([k, v]) => [k, v - before[i][k]])));
  return { result, delta };
}

function get(kind, name, ...opts) {
  return consume(new Interest(name, Interest.Lifetime(LIFETIME), ...opts), { fw: cons[kind].fw });
}

const csHits = async () => (await d.json("/cs")).hits;

describe("dmscd forwards between NDNts apps", { concurrency: false }, () => {
  before(async () => {
    d = await Dmscd.start({ name: "/e2e/node" });
    prod.fw = Forwarder.create();
    prod.face = await UnixTransport.createFace(
      { fw: prod.fw, addRoutes: ["/localhost/nfd"] }, d.sock);
    enableNfdPrefixReg(prod.face);
    servers.push(produce("/e2e/app", handler, { fw: prod.fw, concurrency: 64 }));
    const nh = await waitFor("FIB /e2e/app", async () => {
      const x = await d.fibNexthops("/e2e/app");
      return x.length ? x : undefined;
    });
    prod.id = nh[0];
    for (const kind of ["tcp", "udp"]) {
      cons[kind] = await connectConsumer(kind);
      // dmscd's ping responder: the on-demand UDP face exists once it has a packet
      await consume(new Interest(`/e2e/node/ping/${kind}-${RUN}`, Interest.Lifetime(LIFETIME)),
        { fw: cons[kind].fw });
      await faceId(cons[kind]);
    }
  });

  after(async () => {
    for (const s of servers) {
      s.close();
    }
    for (const c of [prod, cons.tcp, cons.udp]) {
      c?.face?.close();
    }
    if (d && d.proc.exitCode === null && d.proc.signalCode === null) {
      await d.stop();
    }
  });

  it("producer registers /e2e/app over the Unix socket with @ndn/nfdmgmt enableNfdPrefixReg", async () => {
    assert.deepEqual(await d.fibNexthops("/e2e/app"), [prod.id]);
    const f = await d.face(prod.id);
    assert.equal(f.local_uri, `unix://${d.sock}`);
    assert.equal(f.scope, "local");
    // the RIB as NDNts reads it (rib/list StatusDataset): origin client, Capture
    const rib = await list(RibEntry, { cOpts: { fw: prod.fw } });
    const e = rib.find((r) => r.name.equals("/e2e/app"));
    assert.ok(e, `rib/list has /e2e/app: ${rib.map((r) => r.name.toString())}`);
    assert.equal(e.route.length, 1);
    assert.equal(e.route[0].faceId, prod.id);
    assert.equal(e.route[0].origin, 65);
    assert.equal(e.route[0].flagCapture, true);
    assert.ok(e.route[0].expirationPeriod > 0);
  });

  it("rib/register and rib/unregister ControlCommands (@ndn/nfdmgmt invoke) change the FIB", async () => {
    const name = new Name(`/e2e/cmd/${RUN}`);
    const cr = await invoke("rib/register", { name, cost: 7 }, { cOpts: { fw: prod.fw } });
    assert.equal(cr.statusCode, 200, cr.statusText);
    const cp = ControlParameters.decodeFromResponseBody(cr);
    assert.equal(cp.faceId, prod.id, "FaceId 0 means the requesting face");
    assert.equal(cp.cost, 7);
    assert.ok(cp.name.equals(name));
    const fib = (await d.json("/fib")).fib.find((x) => x.prefix === `/e2e/cmd/${RUN}`);
    assert.deepEqual(fib?.nexthops, [{ face: prod.id, cost: 7 }]);
    const cr2 = await invoke("rib/unregister", { name }, { cOpts: { fw: prod.fw } });
    assert.equal(cr2.statusCode, 200, cr2.statusText);
    assert.deepEqual(await d.fibNexthops(`/e2e/cmd/${RUN}`), []);
  });

  for (const kind of ["tcp", "udp"]) {
    it(`NDNts consumer over ${kind.toUpperCase()} fetches from the producer through dmscd`, async () => {
      const name = new Name(`/e2e/app/plain/${kind}-${RUN}`);
      const { result: data, delta } = await around([prod.id], () => get(kind, name));
      const cid = await faceId(cons[kind]);
      assert.equal(seen.get(name.toString()), 1);
      assert.equal(hex(Encoder.encode(data)), hex(served.get(name.toString())[0]),
        "the consumer got the producer's Data, byte for byte");
      assert.equal(delta[0].out_interests, 1, "one Interest forwarded to the producer face");
      assert.equal(delta[0].in_data, 1, "one Data from the producer face");
      const c = await counters(cid);
      assert.ok(c.in_interests >= 1 && c.out_data >= 1, JSON.stringify(c));
    });
  }

  it("a 10 MB segmented object (serve/fetch) arrives intact over TCP, and version discovery is answered from the CS", async () => {
    const payload = crypto.randomBytes(10 << 20);
    const prefix = new Name(`/e2e/big/${RUN}`).append(Version, 1);
    servers.push(serve(prefix, new BufferChunkSource(payload), {
      producerPrefix: new Name(`/e2e/big/${RUN}`),
      freshnessPeriod: 3600000, // fresh for the whole test
      pOpts: { fw: prod.fw },
    }));
    await waitFor("FIB /e2e/big", async () => (await d.fibNexthops(`/e2e/big/${RUN}`)).length);
    const res = fetch(prefix, { fw: cons.tcp.fw });
    const { result: got, delta } = await around([prod.id], async () => res);
    assert.equal(got.length, payload.length);
    assert.equal(sha256(got), sha256(payload));
    assert.ok(res.count > 1000, `${res.count} segments`);
    assert.ok(delta[0].in_data >= res.count, `producer face in_data ${delta[0].in_data} >= ${res.count} segments`);

    // CanBePrefix + MustBeFresh discovery (what NDNts discoverVersion sends), from the
    // other face: any cached segment answers it, the producer is not asked
    const hits0 = await csHits();
    const { result: found, delta: d2 } = await around([prod.id], () =>
      discoverVersion(new Name(`/e2e/big/${RUN}`), { cOpts: { fw: cons.udp.fw, retx: 0 } }));
    assert.ok(found.equals(prefix), `discovered ${found}`);
    assert.equal(d2[0].out_interests, 0, "served from the CS: nothing sent to the producer");
    assert.equal(await csHits() - hits0, 1, "one CS hit");
  });

  it("a 10 MB segmented object arrives intact over UDP", async () => {
    const payload = crypto.randomBytes(10 << 20);
    const prefix = new Name(`/e2e/bigu/${RUN}`).append(Version, 2);
    servers.push(serve(prefix, new BufferChunkSource(payload), { pOpts: { fw: prod.fw } }));
    await waitFor("FIB /e2e/bigu", async () => (await d.fibNexthops(`/e2e/bigu/${RUN}/v=2`)).length);
    const res = fetch(prefix, { fw: cons.udp.fw });
    const got = await res;
    assert.equal(got.length, payload.length);
    assert.equal(sha256(got), sha256(payload));
  });

  it("Interest aggregation: two consumers, one Interest to the producer, Data to both", async () => {
    const name = new Name(`/e2e/app/agg/${RUN}`);
    const key = name.toString();
    let release;
    gates.set(key, new Promise((r) => {
      release = r;
    }));
    const ids = [prod.id, await faceId(cons.tcp), await faceId(cons.udp)];
    // a segmented fetch leaves Interests for segments past the end pending
    // until they expire (the producer does not answer them): start clean
    await waitFor("an empty PIT", async () => (await d.json("/pit")).entries === 0);
    const { result: [a, b], delta } = await around(ids, async () => {
      const lifetime = Interest.Lifetime(30000);
      const pa = consume(new Interest(name, lifetime), { fw: cons.tcp.fw });
      const pb = consume(new Interest(name, lifetime), { fw: cons.udp.fw });
      // the producer holds its answer until dmscd holds both consumers' Interests
      // in one PIT entry
      const pit = await waitFor("one PIT entry with in-records of both consumer faces", async () => {
        const p = await d.json("/pit");
        const inrecs = (id) => p.faces.find((f) => f.face === id)?.entries;
        return seen.get(key) === 1 && inrecs(ids[1]) === 1 && inrecs(ids[2]) === 1 ? p : undefined;
      });
      assert.equal(pit.entries, 1);
      release();
      return Promise.all([pa, pb]);
    });
    assert.equal(seen.get(key), 1, "the producer saw one Interest");
    const wire = hex(served.get(key)[0]);
    assert.equal(hex(Encoder.encode(a)), wire, "TCP consumer got the Data");
    assert.equal(hex(Encoder.encode(b)), wire, "UDP consumer got the Data");
    assert.equal(delta[0].out_interests, 1, "admin /faces: one Interest out to the producer face");
    assert.equal(delta[0].in_data, 1);
    assert.equal(delta[1].in_interests, 1);
    assert.equal(delta[1].out_data, 1);
    assert.equal(delta[2].in_interests, 1);
    assert.equal(delta[2].out_data, 1);
    const m = await d.metrics();
    assert.equal(m.get(`dmsc_face_packets_total{face="${prod.id}",direction="out",type="interest"}`),
      (await counters(prod.id)).out_interests, "/metrics agrees with /faces");
    assert.equal((await d.json("/pit")).entries, 0, "the PIT entry is gone");
  });

  it("a Data with FreshnessPeriod is served from the CS the second time (MustBeFresh too)", async () => {
    const name = new Name(`/e2e/app/fresh/${RUN}`);
    const key = name.toString();
    const first = await get("tcp", name);
    const hits0 = await csHits();
    const m0 = await d.metrics();
    const { result: second, delta } = await around([prod.id], () => get("udp", name, Interest.MustBeFresh));
    assert.equal(seen.get(key), 1, "the producer was asked once");
    assert.equal(delta[0].out_interests, 0);
    assert.equal(hex(Encoder.encode(first)), hex(served.get(key)[0]));
    assert.equal(hex(Encoder.encode(second)), hex(served.get(key)[0]), "same Data (#1) from the CS");
    assert.equal(await csHits() - hits0, 1, "/cs hits +1");
    const m1 = await d.metrics();
    assert.equal(m1.get("dmsc_cs_hits_total") - m0.get("dmsc_cs_hits_total"), 1, "/metrics dmsc_cs_hits_total +1");
  });

  it("MustBeFresh on stale data (FreshnessPeriod 0) goes to the producer; without MustBeFresh the CS answers", async () => {
    const name = new Name(`/e2e/app/stale/${RUN}`);
    const key = name.toString();
    const first = await get("tcp", name);
    assert.match(utf8(first.content), /#1$/);
    const hits0 = await csHits();
    const second = await get("udp", name, Interest.MustBeFresh);
    assert.equal(seen.get(key), 2, "MustBeFresh: the producer was asked again");
    assert.match(utf8(second.content), /#2$/);
    assert.equal(hex(Encoder.encode(second)), hex(served.get(key)[1]));
    assert.equal(await csHits(), hits0, "no CS hit for MustBeFresh on stale data");
    const third = await get("udp", name);
    assert.equal(seen.get(key), 2, "no MustBeFresh: the producer was not asked");
    assert.equal(hex(Encoder.encode(third)), hex(served.get(key)[1]), "the newest cached Data (#2)");
    assert.equal(await csHits() - hits0, 1);
  });

  it("MustBeFresh after the FreshnessPeriod has passed goes to the producer again", async () => {
    const name = new Name(`/e2e/app/short/${RUN}`);
    const key = name.toString();
    await get("tcp", name);
    // FreshnessPeriod 200 ms, counted from when dmscd cached it (before we got it):
    // after 400 ms more it is stale, however slow the machine
    await new Promise((r) => setTimeout(r, 400));
    const second = await get("udp", name, Interest.MustBeFresh);
    assert.equal(seen.get(key), 2);
    assert.equal(hex(Encoder.encode(second)), hex(served.get(key)[1]));
  });

  it("CanBePrefix discovery is answered from the CS; an exact Interest is not satisfied by a longer name", async () => {
    const prefix = new Name(`/e2e/app/disc/${RUN}`);
    const key = prefix.toString();
    const full = prefix.append(Version, 7).append(Segment, 0);
    const first = await get("tcp", prefix, Interest.CanBePrefix, Interest.MustBeFresh);
    assert.ok(first.name.equals(full), `${first.name}`);
    assert.equal(seen.get(key), 1);

    const hits0 = await csHits();
    const { result: second, delta } = await around([prod.id], () =>
      get("udp", prefix, Interest.CanBePrefix, Interest.MustBeFresh));
    assert.equal(seen.get(key), 1, "the producer was not asked again");
    assert.equal(delta[0].out_interests, 0);
    assert.equal(hex(Encoder.encode(second)), hex(served.get(key)[0]));
    assert.equal(await csHits() - hits0, 1);

    // a longer CanBePrefix Interest (/.../v=7) is also under the cached name's prefix
    const third = await get("tcp", prefix.append(Version, 7), Interest.CanBePrefix);
    assert.ok(third.name.equals(full));
    assert.equal(seen.get(prefix.append(Version, 7).toString()), undefined);
    assert.equal(await csHits() - hits0, 2);

    // without CanBePrefix, /prefix matches only a Data named exactly /prefix
    const exact = await get("udp", prefix, Interest.MustBeFresh);
    assert.equal(seen.get(key), 2, "the exact Interest went to the producer");
    assert.ok(exact.name.equals(prefix), `${exact.name}`);
  });

  it("NDNts traffic caused no malformed or too-big drop", async () => {
    const m = await d.metrics();
    assert.equal(m.get('dmsc_drops_total{reason="malformed"}'), 0);
    assert.equal(m.get('dmsc_drops_total{reason="too-big"}'), 0);
  });

  it("the producer's routes go when its face closes; dmscd stops cleanly", async () => {
    for (const s of servers.splice(0)) {
      s.close();
    }
    prod.face.close();
    await waitFor("FIB without /e2e/app", async () => (await d.fibNexthops("/e2e/app")).length === 0);
    assert.equal(await d.face(prod.id), undefined, "the face is gone");
    cons.tcp.face.close();
    cons.udp.face.close();
    const r = await d.stop();
    assert.deepEqual(sanitizerReports(r.log), []);
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.log.slice(-3000));
    assert.match(r.log, /event=exit code=0/);
  });
});
