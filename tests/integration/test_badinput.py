#!/usr/bin/python3
"""dmscd under bad input: real processes on loopback, hand-made packets.

Part 1 (one dmscd, default limits). A producer on the Unix socket registers
/bad/prod with NFD rib/register and answers every Interest; well-behaved
consumers on TCP, Unix and UDP fetch from it without pause, each counting
every reply. Meanwhile, on every face type (UDP, TCP, Unix):

  - malformed packets (truncated TLV, bad varnums, wrong types, bad LP
    headers and fragments), each framed so a stream face stays up;
  - framing errors and oversize packets (the stream face is closed);
  - a flood of Interests for unroutable names (3000 per face type);
  - Interests with HopLimit 0 (dropped from UDP, a non-local face; honoured
    from the local TCP/Unix faces, as NFD does), unsolicited Data,
    unmatched Nacks, a /localhost Interest from UDP, a looping Nonce.

Then: every consumer got every reply (no Nack, no timeout, no wrong Data),
each attack face's counters in /faces show exactly its drops by reason,
and the node totals in /metrics (dmsc_drops_total) rose by exactly the sum.

Part 2 (one dmscd with forwarder.pit_max 350, pit_max_per_face 100). A
producer that never answers (/hole) and one that does (/good). Flooders on
TCP, UDP and Unix send 1000 Interests each under /hole: each holds exactly
100 PIT in-records and 900 pit-face-full drops, while a consumer on another
face keeps being served. Two more flooders push the PIT to 350 (pit-full
drops counted); a sampler polling /pit throughout never sees more than 350.
With the PIT full, cached Data is still served from the CS, and a new
Interest is counted as pit-full. When the flooders and the silent producer
go, the PIT empties and the consumer is served again.

Part 3 (one dmscd with faces.max_faces 12, faces.send_queue 64K). A TCP
client that never reads asks for 2000 cached 8 KB Data: each is either
sent or dropped as face-down (exactly 2000), and other faces are still
answered. UDP endpoints and TCP connections beyond max_faces are refused
and counted as face-down; the existing faces are still answered.

Timeouts are only upper bounds on waiting; no assertion depends on speed.
UDP is paced: a batch is followed by a barrier ping (its reply proves the
batch was processed) or by waiting for the face's in_interests counter, so
at most a few dozen datagrams are ever in flight and the kernel has no
reason to drop any; the exact counts rely on that.

Usage: test_badinput.py /path/to/dmscd
Prints TAP-style "ok"/"not ok" lines, then "# pass N" and "# fail N".
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ndn import (  # noqa: E402
    Dgram, Stream, control, data_packet, interest, lp, name_of, nni, read_tlv, tlv,
    to_nni, TT_CONTENT, TT_NAME, TT_HOP_LIMIT,
)

RESULTS = {"pass": 0, "fail": 0}
NUM = [0]
NACK_NO_ROUTE = 150
NACK_DUPLICATE = 100
REASONS = ("malformed", "too-big", "hop-limit", "localhost-scope", "loop", "no-route",
           "pit-full", "pit-face-full", "unsolicited-data", "unmatched-nack", "face-down")


def check(desc, cond, detail=""):
    NUM[0] += 1
    if cond:
        RESULTS["pass"] += 1
        print("ok %d - %s" % (NUM[0], desc), flush=True)
    else:
        RESULTS["fail"] += 1
        print("not ok %d - %s %s" % (NUM[0], desc, detail), flush=True)
    return cond


def wait_for(what, probe, timeout=30.0, interval=0.02):
    """Poll probe() until it returns a truthy value; the timeout only bounds waiting."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise RuntimeError("timed out waiting for %s (last: %r)" % (what, last))


def is_asan(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


# ---- the daemon ----


class Daemon:
    def __init__(self, binary, workdir, label, name, extra_yaml=""):
        self.label = label
        self.name = name
        self.dir = os.path.join(workdir, label)
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "dmsc.sock")
        cfg = os.path.join(self.dir, "dmscd.yaml")
        self.logpath = os.path.join(self.dir, "dmscd.log")
        with open(cfg, "w") as f:
            f.write("""# written by tests/integration/test_badinput.py
log:
  level: info
listen:
  udp: {bind: 127.0.0.1, port: 0}
  tcp: {bind: 127.0.0.1, port: 0}
admin: {bind: 127.0.0.1, port: 0}
faces:
  max_packet: 8800
%s""" % extra_yaml)
        env = dict(os.environ)
        cmd = [binary, "--config", cfg, "--unix", self.sock, "--name", name]
        self.checker = "none"
        if is_asan(binary):
            self.checker = "asan"
            env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=23"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        elif shutil.which("valgrind"):
            self.checker = "valgrind"
            cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                   "-q"] + cmd
        self.log_f = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log_f,
                                     stderr=self.log_f, env=env)
        wait_for("%s: event=started" % label, self._started, 120)
        log = self.log()
        self.udp = int(re.search(r"event=listen channel=udp4://127\.0\.0\.1:(\d+)", log).group(1))
        self.tcp = int(re.search(r"event=listen channel=tcp4://127\.0\.0\.1:(\d+)", log).group(1))
        self.admin = int(re.search(r"event=listen channel=http://127\.0\.0\.1:(\d+)/", log).group(1))

    def _started(self):
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited (%s):\n%s" % (self.label, self.proc.returncode,
                                                         self.log()[-4000:]))
        return "event=started" in self.log()

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def get(self, path):
        url = "http://127.0.0.1:%d%s" % (self.admin, path)
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read().decode()

    def json(self, path):
        return json.loads(self.get(path))

    def drops_total(self):
        """dmsc_drops_total by reason, from /metrics."""
        out = {}
        for m in re.finditer(r'^dmsc_drops_total\{reason="([^"]+)"\} (\d+)$', self.get("/metrics"),
                             re.M):
            out[m.group(1)] = int(m.group(2))
        return out

    def faces(self):
        return self.json("/faces")["faces"]

    def face(self, fid):
        for f in self.faces():
            if f["id"] == fid:
                return f
        return None

    def face_id_by_uri(self, uri):
        return wait_for("face %s" % uri,
                        lambda: next((f["id"] for f in self.faces() if f["remote_uri"] == uri), None))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log_f.close()
        return rc

    def ping_name(self, tag):
        return "%s/ping/%s" % (self.name, tag)


# ---- faces as the tests use them ----


class Face:
    """A UDP, TCP or Unix connection to dmscd plus dmscd's id for it."""

    def __init__(self, d, kind):
        self.d = d
        self.kind = kind
        self.seq = 0
        before = {f["id"] for f in d.faces()}
        if kind == "udp":
            self.t = Dgram("127.0.0.1", d.udp)
        elif kind == "tcp":
            self.t = Stream(("127.0.0.1", d.tcp))
        else:
            self.t = Stream(d.sock, socket.AF_UNIX)
        # a ping creates the on-demand UDP face and proves the stream face is up
        self.barrier()
        if kind == "unix":
            new = [f for f in d.faces() if f["id"] not in before
                   and f["local_uri"] == "unix://" + d.sock]
            if len(new) != 1:
                raise RuntimeError("cannot tell the new unix face: %r" % new)
            self.id = new[0]["id"]
        else:
            port = self.t.s.getsockname()[1]
            self.id = d.face_id_by_uri("%s4://127.0.0.1:%d" % (kind, port))

    def send(self, b):
        self.t.send(b)

    def recv(self, timeout=15.0):
        return self.t.recv(timeout)

    def barrier(self, timeout=30.0):
        """Ping the node and wait for the reply: everything sent before it has
        been processed (UDP from one socket, and a stream, keep their order).
        Returns the packets received meanwhile that were not the ping reply."""
        self.seq += 1
        nm = self.d.ping_name("barrier-%d-%d" % (id(self), self.seq))
        self.t.send(interest(nm))
        other = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            p = self.t.recv(max(0.1, deadline - time.time()))
            if p is None:
                continue
            if p == "eof":
                raise RuntimeError("%s face closed during barrier" % self.kind)
            if p.kind == "data" and p.name == nm:
                return other
            other.append(p)
        raise RuntimeError("%s: no reply to barrier ping %s" % (self.kind, nm))

    def counters(self):
        f = self.d.face(self.id)
        if f is None:
            raise RuntimeError("face %d (%s) is gone" % (self.id, self.kind))
        return f["counters"]

    def close(self):
        self.t.close()


def register(d, face, prefix):
    """NFD rib/register of prefix on the requesting face (unsigned command)."""
    code = control(face, "rib", "register", name_of(prefix))
    if code != 200:
        raise RuntimeError("rib/register %s: %d" % (prefix, code))
    wait_for("FIB %s" % prefix,
             lambda: any(e["prefix"] == prefix for e in d.json("/fib")["fib"]))


class Producer(threading.Thread):
    """A Unix-socket app that registers a prefix and answers every Interest
    with a Data of the same name (content "ok <uri>", padded with dots to
    `pad` bytes), or never answers. Records the name and HopLimit of every Interest it gets."""

    def __init__(self, d, prefix, answer=True, freshness_ms=0, pad=0):
        super().__init__(daemon=True)
        self.d = d
        self.prefix = prefix
        self.answer = answer
        self.freshness_ms = freshness_ms
        self.pad = pad
        self.face = Face(d, "unix")
        register(d, self.face, prefix)
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.seen = []  # (uri, hop_limit or None)
        self.errors = []

    def names_seen(self, start):
        with self.lock:
            return [n for n, _ in self.seen if n.startswith(start)]

    def hop_limits_seen(self, start):
        with self.lock:
            return [h for n, h in self.seen if n.startswith(start)]

    def run(self):
        try:
            while not self.stop_ev.is_set():
                p = self.face.recv(0.2)
                if p is None:
                    continue
                if p == "eof":
                    if not self.stop_ev.is_set():
                        self.errors.append("producer face closed by dmscd")
                    return
                if p.kind != "interest":
                    continue
                hop = p.fields.get(TT_HOP_LIMIT)
                with self.lock:
                    self.seen.append((p.name, to_nni(hop) if hop is not None else None))
                if not self.answer:
                    continue
                content = b"ok " + p.name.encode()
                content += b"." * max(0, self.pad - len(content))
                d = data_packet(p.fields[TT_NAME], content, self.freshness_ms)
                self.face.send(lp(d, pit_token=p.pit_token) if p.pit_token else d)
        except Exception as e:  # noqa: BLE001
            self.errors.append(repr(e))

    def stop(self):
        self.stop_ev.set()
        self.join(30)
        self.face.close()


class Consumer(threading.Thread):
    """A well-behaved consumer: one Interest at a time under prefix, waits for
    the reply, checks it is the producer's Data for that name. Counts every
    reply; anything else (Nack, timeout, wrong name or content, closed face)
    is a failure."""

    def __init__(self, d, kind, prefix, must_be_fresh=False):
        super().__init__(daemon=True)
        self.face = Face(d, kind)
        self.kind = kind
        self.prefix = "%s/%s-%d" % (prefix, kind, os.getpid())
        self.must_be_fresh = must_be_fresh
        self.ok = 0
        self.failures = []
        self.stop_ev = threading.Event()
        self.go = threading.Event()
        self.go.set()
        self.idle = threading.Event()
        self.n = 0

    def run(self):
        while not self.stop_ev.is_set():
            if not self.go.is_set():
                self.idle.set()
                self.go.wait(0.1)
                continue
            self.idle.clear()
            self.n += 1
            nm = "%s/%d" % (self.prefix, self.n)
            try:
                self.face.send(interest(nm, lifetime=10000, must_be_fresh=self.must_be_fresh))
                p = self.face.recv(20)
            except OSError as e:
                self.failures.append("%s: %r" % (nm, e))
                continue
            if p is None or p == "eof":
                self.failures.append("%s: %s" % (nm, "timeout" if p is None else "eof"))
                if p == "eof":
                    return
            elif p.kind != "data" or p.name != nm or p.fields.get(TT_CONTENT) != b"ok " + nm.encode():
                self.failures.append("%s: got %s %s" % (nm, p.kind, p.name))
            else:
                self.ok += 1
        self.idle.set()

    def pause(self):
        self.go.clear()
        wait_for("%s consumer parked" % self.kind, self.idle.is_set)

    def resume(self):
        self.idle.clear()
        self.go.set()

    def finish(self):
        self.stop_ev.set()
        self.go.set()
        self.join(60)
        self.face.close()


# ---- part 1: bad input on every face type ----


def malformed_cases(d):
    """Each a whole TLV element (so stream framing holds) that must be dropped
    as malformed: (label, bytes)."""
    nm = name_of(d.ping_name("m"))
    good = interest(d.ping_name("inner"))
    nonce = tlv(0x0A, b"\x01\x02\x03\x04")
    return [
        ("Interest with a truncated Name", b"\x05\x04\x07\x03\x08\x01"),
        ("Interest with a truncated varnum (fd + 1 byte)", b"\x05\x03\x07\xfd\x00"),
        ("Interest with a Name length of 2^64-1", b"\x05\x0a\x07\xff" + b"\xff" * 8),
        ("Interest without Name", tlv(0x05, nonce)),
        ("Interest with an empty Name", tlv(0x05, tlv(TT_NAME, b"") + nonce)),
        ("Interest with a 3-byte Nonce", tlv(0x05, nm + tlv(0x0A, b"\x01\x02\x03"))),
        ("Interest with a 2-byte HopLimit", tlv(0x05, nm + nonce + tlv(0x22, b"\x01\x02"))),
        ("Interest with a 9-byte InterestLifetime", tlv(0x05, nm + nonce + tlv(0x0C, b"\x00" * 9))),
        ("Interest with a name component of type 0",
         tlv(0x05, tlv(TT_NAME, tlv(0, b"a")) + nonce)),
        ("Interest with an unknown critical element (0x33)",
         tlv(0x05, nm + nonce + tlv(0x33, b""))),
        ("Interest with a wrong ParametersSha256DigestComponent",
         tlv(0x05, tlv(TT_NAME, tlv(8, b"a") + tlv(2, b"\x00" * 32)) + nonce + tlv(0x24, b"x"))),
        ("Data without Name", tlv(0x06, tlv(TT_CONTENT, b"x"))),
        ("Data with MetaInfo before Name", tlv(0x06, tlv(0x14, b"") + nm)),
        ("Data with a truncated SignatureInfo",
         tlv(0x06, nm + tlv(TT_CONTENT, b"x") + tlv(0x16, b"\x1b\x05"))),
        ("network packet of unknown type 0x09", tlv(0x09, b"\x01\x02")),
        ("LpPacket whose Fragment holds a truncated Interest",
         tlv(0x64, tlv(0x50, b"\x05\x05\x07\x03"))),
        ("LpPacket whose Fragment is of type 0x09", tlv(0x64, tlv(0x50, tlv(0x09, b"ab")))),
        ("LpPacket with a truncated header field", tlv(0x64, b"\x50\x10abc")),
        ("LpPacket with a 3-byte Sequence",
         tlv(0x64, tlv(0x51, b"\x00\x00\x01") + tlv(0x50, good))),
        ("LpPacket with FragIndex >= FragCount",
         tlv(0x64, tlv(0x51, b"\x00" * 8) + tlv(0x52, b"\x05") + tlv(0x53, b"\x02")
             + tlv(0x50, b"xx"))),
        ("LpPacket with an unknown critical header field (929)",
         lp(good, extra_fields=tlv(929, b"\x00"))),
        ("LpPacket with a Nack on a Data",
         tlv(0x64, tlv(0x0320, b"") + tlv(0x50, tlv(0x06, nm + tlv(TT_CONTENT, b""))))),
        ("LpPacket with two Fragments", tlv(0x64, tlv(0x50, good) + tlv(0x50, good))),
        ("LpPacket with a header field after the Fragment",
         tlv(0x64, tlv(0x50, good) + tlv(0x62, b"tok"))),
        ("LpPacket with header fields out of order",
         tlv(0x64, tlv(0x62, b"tok") + tlv(0x51, b"\x00" * 8) + tlv(0x50, good))),
        ("LpPacket with an empty Fragment", tlv(0x64, tlv(0x50, b""))),
        ("LpPacket with a 33-byte PitToken", tlv(0x64, tlv(0x62, b"t" * 33) + tlv(0x50, good))),
        ("LpPacket with a 9-byte NackReason",
         tlv(0x64, tlv(0x0320, tlv(0x0321, b"\x00" * 9)) + tlv(0x50, good))),
    ]


def zero(reasons):
    return {r: 0 for r in reasons}


def face_drops_delta(before, after):
    return {r: after["drops"][r] - before["drops"][r] for r in REASONS}


def send_all(face, pkts):
    """One write on a stream face, one datagram each on UDP."""
    if face.kind == "udp":
        for x in pkts:
            face.send(x)
    else:
        face.send(b"".join(pkts))


def name_value(uri):
    return read_tlv(name_of(uri))[1]


def flood_unroutable(face, n, tag, batch=64):
    """n Interests for names with no route, in windows of `batch`; returns
    (nacks NoRoute with the right name, other replies)."""
    nacks = 0
    other = []
    i = 0
    while i < n:
        names = ["/nowhere/%s/%d" % (tag, k) for k in range(i, min(n, i + batch))]
        send_all(face, [interest(x) for x in names])
        want = set(names)
        while want:
            p = face.recv(15)
            if p is None or p == "eof":
                other.append(repr(p))
                break
            if p.kind == "nack" and p.nack_reason == NACK_NO_ROUTE and p.name in want:
                want.discard(p.name)
                nacks += 1
            else:
                other.append("%s %s" % (p.kind, p.name))
        i += batch
    return nacks, other


def attack_face(d, prod, kind, cases):
    """Everything that leaves a face up, on one fresh face of this kind.
    Returns the drops expected on it, by reason (also checked against /faces)."""
    f = Face(d, kind)
    before = f.counters()
    exp = zero(REASONS)
    local = kind != "udp"

    # every malformed case in one burst, then a barrier
    for _, pkt in cases:
        f.send(pkt)
    stray = f.barrier()
    exp["malformed"] += len(cases)
    check("%s: %d malformed packets dropped, the face stays up and answers the next ping"
          % (kind, len(cases)), not stray, repr([(p.kind, p.name) for p in stray]))

    # oversize that a datagram face survives (stream faces: part of attack_stream_fatal)
    if kind == "udp":
        big = interest(d.ping_name("big"), extra=tlv(200, b"x" * 8900))
        f.send(big)  # a whole network packet above 8800 bytes
        f.send(b"\x05\xfd\x4e\x20" + b"\x00" * 20000)  # longer than any receive slot
        # NDNLPv2 fragments that reassemble to more than 8800 bytes
        whole = interest(d.ping_name("bigfrag"), app_params=b"p" * 12000)
        parts = [whole[k:k + 4000] for k in range(0, len(whole), 4000)]
        for k, part in enumerate(parts):
            f.send(lp(part, seq=0x7700000000 + k, frag_index=k, frag_count=len(parts)))
        stray = f.barrier()
        exp["too-big"] += 3
        check("udp: a 9 KB Interest, a 20 KB datagram and 12 KB of LP fragments dropped as too-big",
              not stray, repr([(p.kind, p.name) for p in stray]))

    # unsolicited Data and unmatched Nacks
    for k in range(5):
        f.send(data_packet(name_value("/bad/unsolicited/%s/%d" % (kind, k)), b"u"))
        f.send(lp(interest("/bad/prod/never-asked/%s/%d" % (kind, k)), nack=NACK_NO_ROUTE))
    stray = f.barrier()
    exp["unsolicited-data"] += 5
    exp["unmatched-nack"] += 5
    check("%s: 5 unsolicited Data and 5 unmatched Nacks dropped" % kind, not stray)

    # /localhost from a non-local face; NextHopFaceId from a face without LocalFields
    if not local:
        f.send(tlv(0x05, name_of("/localhost/nfd/status/general") + tlv(0x21) + tlv(0x12)
                   + tlv(0x0A, os.urandom(4))))
        f.send(lp(interest("/bad/prod/nexthop/%s" % kind), next_hop=prod.face.id))
        stray = f.barrier()
        exp["localhost-scope"] += 2
        check("udp: /localhost Interest and NextHopFaceId from a non-local face dropped",
              not stray and not prod.names_seen("/bad/prod/nexthop/"), repr(stray))

    # HopLimit 0
    hop_names = ["/bad/prod/hop0/%s/%d" % (kind, k) for k in range(100 if not local else 5)]
    got = []
    for k in range(0, len(hop_names), 10):
        for x in hop_names[k:k + 10]:
            f.send(interest(x, hop_limit=0))
        if local:
            for _ in hop_names[k:k + 10]:
                p = f.recv(15)
                if p is not None and p != "eof":
                    got.append(p)
        got += f.barrier()
    at_producer = prod.names_seen("/bad/prod/hop0/%s/" % kind)
    if local:
        check("%s (local face): %d Interests with HopLimit 0 forwarded to the local producer and answered"
              % (kind, len(hop_names)),
              sorted(p.name for p in got if p.kind == "data") == sorted(hop_names)
              and sorted(at_producer) == sorted(hop_names)
              and set(prod.hop_limits_seen("/bad/prod/hop0/%s/" % kind)) == {0},
              repr([(p.kind, p.name) for p in got][:5]))
    else:
        exp["hop-limit"] += len(hop_names)
        check("udp: %d Interests with HopLimit 0 dropped, never forwarded" % len(hop_names),
              not got and not at_producer, repr((got[:3], at_producer[:3])))
        # HopLimit is decremented when an Interest arrives from the network
        nm = "/bad/prod/hop3/%d" % os.getpid()
        f.send(interest(nm, hop_limit=3))
        p = f.recv(15)
        check("udp: HopLimit 3 from a non-local face reaches the producer as 2",
              p not in (None, "eof") and p.kind == "data" and p.name == nm
              and prod.hop_limits_seen(nm) == [2], repr((p, prod.hop_limits_seen(nm))))

    # flood of unroutable names
    n = 3000
    nacks, other = flood_unroutable(f, n, "%s-%d" % (kind, os.getpid()))
    exp["no-route"] += n
    check("%s: %d Interests for unroutable names, every one answered with Nack NoRoute"
          % (kind, n), nacks == n and not other, "nacks=%d other=%r" % (nacks, other[:5]))

    after = f.counters()
    got = face_drops_delta(before, after)
    check("%s: /faces counts exactly this face's drops by reason" % kind, got == exp,
          "\n#   got      %r\n#   expected %r" % (got, exp))
    check("%s: no PIT in-record left on the attack face" % kind, after["pit_entries"] == 0,
          repr(after["pit_entries"]))
    f.close()
    return exp


def attack_stream_fatal(d, kind):
    """Framing errors and oversize packets on a stream face: each closes its
    connection. Returns the drops expected in the node totals."""
    exp = zero(REASONS)
    good = interest(d.ping_name("x"))
    for label, pkt, reason in (
            ("TLV-TYPE 0", b"\x00\x05hello", "malformed"),
            ("a 9 KB Interest (above max_packet)",
             interest(d.ping_name("big"), extra=tlv(200, b"x" * 8900)), "too-big"),
            ("a TLV-LENGTH of 2 GiB", b"\x05\xfe\x7f\xff\xff\xff" + b"\x00" * 64, "too-big"),
            ("a TLV-LENGTH of 2^64-1", b"\x64\xff" + b"\xff" * 8, "too-big")):
        f = Face(d, kind)
        f.send(pkt + good)
        p = f.recv(30)
        while p not in (None, "eof"):  # nothing may be answered after the bad frame
            p = f.recv(30)
        check("%s: %s closes the connection (nothing after it is processed)" % (kind, label),
              p == "eof", repr(p))
        exp[reason] += 1
        f.close()
    return exp


def attack_loop(d, prod):
    """A Nonce seen again (the Dead Nonce List keeps the Nonces of a satisfied
    MustBeFresh Interest whose Data is stale at once): Nack Duplicate."""
    nm = "/bad/prod/loop/%d" % os.getpid()
    pkt = interest(nm, nonce=b"\x0a\x0b\x0c\x0d", must_be_fresh=True)
    a = Face(d, "tcp")
    a.send(pkt)
    p = a.recv(15)
    first_ok = p not in (None, "eof") and p.kind == "data" and p.name == nm
    results = []
    for kind in ("udp", "unix"):
        f = Face(d, kind)
        f.send(pkt)
        q = f.recv(15)
        results.append(q not in (None, "eof") and q.kind == "nack" and q.nack_reason == NACK_DUPLICATE
                       and q.name == nm and f.counters()["drops"]["loop"] == 1)
        f.close()
    a.close()
    check("loop: the same Nonce again from UDP and Unix gets Nack Duplicate, counted as loop",
          first_ok and all(results) and len(prod.names_seen(nm)) == 1,
          repr((first_ok, results, prod.names_seen(nm))))
    exp = zero(REASONS)
    exp["loop"] = 2
    return exp


def part1(binary, work):
    d = Daemon(binary, work, "badinput", "/bad/node")
    print("# part 1: dmscd %s (checker: %s)" % (d.label, d.checker), flush=True)
    prod = consumers = None
    try:
        prod = Producer(d, "/bad/prod")
        prod.start()
        consumers = [Consumer(d, k, "/bad/prod/good") for k in ("tcp", "unix", "udp")]
        for c in consumers:
            c.start()
        wait_for("every consumer served", lambda: all(c.ok >= 5 for c in consumers))
        t0 = d.drops_total()
        exp = zero(REASONS)
        cases = malformed_cases(d)

        # a datagram that is not NDN from a new endpoint: no face, node total only
        junk = Dgram("127.0.0.1", d.udp)
        junk.send(b"\xff\xff\xff\xff garbage")
        exp["malformed"] += 1
        probe = Face(d, "udp")  # its barrier ping is processed after the junk
        probe.close()
        junk.close()

        for kind in ("udp", "tcp", "unix"):
            e = attack_face(d, prod, kind, cases)
            for r in REASONS:
                exp[r] += e[r]
        for kind in ("tcp", "unix"):
            e = attack_stream_fatal(d, kind)
            for r in REASONS:
                exp[r] += e[r]
        e = attack_loop(d, prod)
        for r in REASONS:
            exp[r] += e[r]

        # the consumers keep going a little after the attacks
        marks = [c.ok for c in consumers]
        wait_for("consumers served after the attacks",
                 lambda: all(c.ok >= m + 5 for c, m in zip(consumers, marks)))
        for c in consumers:
            c.finish()
        for c in consumers:
            check("%s consumer: every reply was the producer's Data (%d replies, %d failures)"
                  % (c.kind, c.ok, len(c.failures)), c.ok > 0 and not c.failures,
                  repr(c.failures[:5]))
        consumers = None

        t1 = d.drops_total()
        delta = {r: t1.get(r, 0) - t0.get(r, 0) for r in REASONS}
        check("/metrics dmsc_drops_total rose by exactly the drops caused, by reason "
              "(malformed %d, too-big %d, no-route %d, hop-limit %d, ...)"
              % (exp["malformed"], exp["too-big"], exp["no-route"], exp["hop-limit"]),
              delta == exp, "\n#   got      %r\n#   expected %r" % (delta, exp))
        pit = d.json("/pit")
        check("PIT is empty after the floods", pit["entries"] == 0, repr(pit))
        check("the producer was never disconnected", not prod.errors, repr(prod.errors))
    finally:
        if consumers:
            for c in consumers:
                c.finish()
        if prod:
            prod.stop()
        stopped(d)


def stopped(d):
    rc = d.stop()
    log = d.log()
    check("%s: dmscd exits 0 on SIGTERM" % d.label, rc == 0, "rc=%r\n%s" % (rc, log[-3000:]))
    check("%s: no sanitizer, leak or valgrind report" % d.label,
          "LeakSanitizer" not in log and "AddressSanitizer" not in log
          and "runtime error" not in log and "definitely lost" not in log, log[-3000:])


# ---- part 2: PIT limits ----


PIT_MAX = 350
PIT_MAX_PER_FACE = 100


class PitSampler(threading.Thread):
    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.stop_ev = threading.Event()
        self.max = 0
        self.samples = 0
        self.errors = []

    def run(self):
        while not self.stop_ev.is_set():
            try:
                pit = self.d.json("/pit")
                self.max = max(self.max, pit["entries"])
                self.samples += 1
            except Exception as e:  # noqa: BLE001
                self.errors.append(repr(e))
                return
            time.sleep(0.005)

    def finish(self):
        self.stop_ev.set()
        self.join(30)


def flood_hole(face, n, tag):
    """n Interests under /hole (lifetime 100 s: they stay pending for the
    whole test). A full face drops pings too, so the barrier is the face's
    in_interests counter reaching what was sent (UDP: per batch of 50)."""
    names = ["/hole/%s/%d" % (tag, k) for k in range(n)]
    base = face.counters()["in_interests"]
    for k in range(0, n, 50):
        send_all(face, [interest(x, lifetime=100000) for x in names[k:k + 50]])
        if face.kind == "udp" or k + 50 >= n:
            want = base + min(n, k + 50)
            wait_for("%s flooder: %d Interests received" % (face.kind, want),
                     lambda: face.counters()["in_interests"] >= want)
    return face.counters()["in_interests"] - base


def part2(binary, work):
    fwd = """forwarder:
  pit_max: %d
  pit_max_per_face: %d
""" % (PIT_MAX, PIT_MAX_PER_FACE)
    d = Daemon(binary, work, "pitlimits", "/pit/node", fwd)
    print("# part 2: dmscd with pit_max %d, pit_max_per_face %d" % (PIT_MAX, PIT_MAX_PER_FACE),
          flush=True)
    hole = good = cons = sampler = None
    flooders = []
    try:
        pit = d.json("/pit")
        check("/pit reports the configured capacities",
              pit["capacity"] == PIT_MAX and pit["capacity_per_face"] == PIT_MAX_PER_FACE, repr(pit))
        hole = Producer(d, "/hole", answer=False)
        hole.start()
        good = Producer(d, "/good", freshness_ms=3600000)
        good.start()
        # Data to be cached before the PIT fills
        cached = Face(d, "tcp")
        cached_names = ["/good/cached/%d" % k for k in range(10)]
        for nm in cached_names:
            cached.send(interest(nm))
            p = cached.recv(15)
            if p in (None, "eof") or p.kind != "data":
                raise RuntimeError("could not fetch %s: %r" % (nm, p))
        cons = Consumer(d, "tcp", "/good/live")
        cons.start()
        wait_for("consumer served", lambda: cons.ok >= 5)
        sampler = PitSampler(d)
        sampler.start()
        t0 = d.drops_total()

        # phase 1: each flooder is capped by pit_max_per_face; the others are still served
        for kind in ("tcp", "udp", "unix"):
            f = Face(d, kind)
            flooders.append(f)
            got = flood_hole(f, 1000, "%s-%d" % (kind, os.getpid()))
            c = f.counters()
            check("%s flooder: 1000 Interests -> exactly %d PIT in-records, %d pit-face-full drops"
                  % (kind, PIT_MAX_PER_FACE, 1000 - PIT_MAX_PER_FACE),
                  got == 1000 and c["pit_entries"] == PIT_MAX_PER_FACE
                  and c["drops"]["pit-face-full"] == 1000 - PIT_MAX_PER_FACE
                  and c["drops"]["pit-full"] == 0,
                  repr((got, c["pit_entries"], c["drops"])))
        mark = cons.ok
        wait_for("consumer served while 3 faces flood", lambda: cons.ok >= mark + 5)
        cons.pause()
        pit = d.json("/pit")
        check("phase 1: PIT holds %d entries (3 x %d), below pit_max; consumer never failed (%d replies)"
              % (3 * PIT_MAX_PER_FACE, PIT_MAX_PER_FACE, cons.ok),
              pit["entries"] == 3 * PIT_MAX_PER_FACE and not cons.failures,
              repr((pit["entries"], cons.failures[:3])))
        per_face = {x["face"]: x["entries"] for x in pit["faces"]}
        check("/pit per-face entries agree with /faces",
              all(per_face.get(f.id) == PIT_MAX_PER_FACE for f in flooders), repr(per_face))
        check("the silent producer got exactly the %d admitted Interests"
              % (3 * PIT_MAX_PER_FACE),
              wait_for("hole producer saw 300", lambda: len(hole.names_seen("/hole/")) >= 300)
              and len(hole.names_seen("/hole/")) == 3 * PIT_MAX_PER_FACE,
              repr(len(hole.names_seen("/hole/"))))

        # phase 2: two more flooders fill the PIT to pit_max
        f4 = Face(d, "tcp")
        f5 = Face(d, "tcp")
        flooders += [f4, f5]
        flood_hole(f4, 1000, "f4-%d" % os.getpid())
        flood_hole(f5, 1000, "f5-%d" % os.getpid())
        c4, c5 = f4.counters(), f5.counters()
        room = PIT_MAX - 3 * PIT_MAX_PER_FACE
        check("phase 2: the 4th flooder gets the %d entries left, then pit-full drops (%d)"
              % (room, 1000 - room),
              c4["pit_entries"] == room and c4["drops"]["pit-full"] == 1000 - room
              and c4["drops"]["pit-face-full"] == 0, repr((c4["pit_entries"], c4["drops"])))
        check("phase 2: the 5th flooder gets no entry, 1000 pit-full drops",
              c5["pit_entries"] == 0 and c5["drops"]["pit-full"] == 1000,
              repr((c5["pit_entries"], c5["drops"])))
        pit = d.json("/pit")
        check("phase 2: PIT size is exactly pit_max (%d); /pit drops count pit-full %d, pit-face-full %d"
              % (PIT_MAX, 2000 - room, 3 * (1000 - PIT_MAX_PER_FACE)),
              pit["entries"] == PIT_MAX and pit["drops"]["pit-full"] == 2000 - room
              and pit["drops"]["pit-face-full"] == 3 * (1000 - PIT_MAX_PER_FACE), repr(pit))
        metrics = d.get("/metrics")
        check("/metrics: dmsc_pit_entries %d, dmsc_pit_capacity %d" % (PIT_MAX, PIT_MAX),
              re.search(r"^dmsc_pit_entries %d$" % PIT_MAX, metrics, re.M) is not None
              and re.search(r"^dmsc_pit_capacity %d$" % PIT_MAX, metrics, re.M) is not None)

        # with the PIT full: cached Data is still served, a new Interest is a pit-full drop
        hits0 = d.json("/cs")["hits"]
        served = 0
        for nm in cached_names:
            cached.send(interest(nm))
            p = cached.recv(15)
            if p not in (None, "eof") and p.kind == "data" and p.name == nm:
                served += 1
        check("PIT full: %d/%d cached Data served from the CS to another face"
              % (served, len(cached_names)),
              served == len(cached_names) and d.json("/cs")["hits"] - hits0 == len(cached_names))
        before = cached.counters()["drops"]["pit-full"]
        cached.send(interest("/good/new/while-full/%d" % os.getpid()))
        after = wait_for("pit-full drop counted on the consumer face",
                         lambda: cached.counters()["drops"]["pit-full"] > before and
                         cached.counters()["drops"]["pit-full"])
        check("PIT full: a new Interest from another face is dropped and counted as pit-full",
              after == before + 1, repr((before, after)))

        wait_for("the /pit sampler saw the full PIT", lambda: sampler.max >= PIT_MAX)

        # phase 3: the flooders and the silent producer go; the PIT empties.
        # Closing a stream flooder removes its in-records; its entries go when
        # the silent producer's face (their out-records) goes too.
        udp_flooders = [f for f in flooders if f.kind == "udp"]
        stream_ids = {f.id for f in flooders if f.kind != "udp"}
        for f in flooders:
            f.close()
        flooders = []
        wait_for("stream flooder faces gone",
                 lambda: not ({f["id"] for f in d.faces()} & stream_ids))
        hole.stop()
        hole = None
        left = PIT_MAX_PER_FACE * len(udp_flooders)
        pit = wait_for("PIT down to the UDP flooder's entries",
                       lambda: (lambda p: p if p["entries"] == left else None)(d.json("/pit")), 60)
        check("phase 3: stream flooders and the silent producer gone -> only the UDP flooder's "
              "%d entries are left" % left, pit["entries"] == left)
        # an on-demand UDP face outlives its socket: destroy it with NFD faces/destroy
        mgmt = Face(d, "unix")
        for f in udp_flooders:
            code = control(mgmt, "faces", "destroy", tlv(0x69, nni(f.id)))
            check("NFD faces/destroy of the UDP flooder's face: 200", code == 200, repr(code))
        mgmt.close()
        pit = wait_for("PIT empty", lambda: (lambda p: p if p["entries"] == 0 else None)(
            d.json("/pit")), 60)
        check("phase 3: PIT empty", pit["entries"] == 0)
        sampler.finish()
        check("PIT size never exceeded pit_max (max %d over %d samples of /pit)"
              % (sampler.max, sampler.samples),
              sampler.max == PIT_MAX and not sampler.errors, repr(sampler.errors))
        sampler = None
        mark = cons.ok
        cons.resume()
        wait_for("consumer served again", lambda: cons.ok >= mark + 5)
        cons.finish()
        check("the consumer got every reply throughout (%d replies, %d failures)"
              % (cons.ok, len(cons.failures)), cons.ok > 0 and not cons.failures,
              repr(cons.failures[:5]))
        cons = None
        t1 = d.drops_total()
        delta = {r: t1.get(r, 0) - t0.get(r, 0) for r in ("pit-full", "pit-face-full")}
        check("/metrics dmsc_drops_total: pit-full +%d, pit-face-full +%d"
              % (2000 - room + 1, 3 * (1000 - PIT_MAX_PER_FACE)),
              delta == {"pit-full": 2000 - room + 1, "pit-face-full": 3 * (1000 - PIT_MAX_PER_FACE)},
              repr(delta))
        cached.close()
    finally:
        if sampler:
            sampler.finish()
        if cons:
            cons.finish()
        for f in flooders:
            f.close()
        for p in (hole, good):
            if p:
                p.stop()
        stopped(d)


# ---- part 3: face limits (send queue, number of faces) ----


MAX_FACES = 12


def part3(binary, work):
    d = Daemon(binary, work, "facelimits", "/fl/node",
               "  max_faces: %d\n  send_queue: 64K\n" % MAX_FACES)
    print("# part 3: dmscd with faces.max_faces %d, faces.send_queue 64K" % MAX_FACES, flush=True)
    prod = None
    faces = []
    socks = []
    try:
        prod = Producer(d, "/fl/prod", freshness_ms=3600000, pad=8000)
        prod.start()
        c = Face(d, "tcp")
        faces.append(c)
        # an 8 KB Data, cached
        nm = "/fl/prod/big"
        c.send(interest(nm))
        p = c.recv(15)
        if p in (None, "eof") or p.kind != "data":
            raise RuntimeError("could not fetch %s: %r" % (nm, p))

        if len(p.wire) < 8000:
            raise RuntimeError("the Data is only %d bytes" % len(p.wire))
        # a reader that never reads: 2000 Interests answered from the CS, 16 MB of Data
        slow = Face(d, "tcp")
        faces.append(slow)
        slow.t.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        base = slow.counters()
        send_all(slow, [interest(nm) for _ in range(2000)])
        ctr = wait_for("2000 Interests processed on the slow face",
                       lambda: (lambda x: x if x["in_interests"] - base["in_interests"] == 2000
                                else None)(slow.counters()))
        sent = ctr["out_data"] - base["out_data"]
        dropped = ctr["drops"]["face-down"] - base["drops"]["face-down"]
        check("slow reader: every Data either queued or dropped as face-down "
              "(%d sent + %d dropped = 2000)" % (sent, dropped),
              sent + dropped == 2000 and dropped > 0,
              repr((sent, dropped)))
        c.send(interest(d.ping_name("beside-slow")))
        p = c.recv(15)
        check("slow reader: another face is still answered",
              p not in (None, "eof") and p.kind == "data")

        # the number of dynamic faces is capped
        dyn = lambda: [f for f in d.faces() if f["id"] >= 256]  # noqa: E731
        room = MAX_FACES - len(dyn())
        fd0 = d.drops_total()["face-down"]
        answered = 0
        for k in range(room + 5):
            s = Dgram("127.0.0.1", d.udp)
            socks.append(s)
            s.send(interest(d.ping_name("udp-%d" % k)))
            p = s.recv(15 if k < room else 0.5)
            answered += p is not None
        refused_tcp = 0
        for k in range(3):
            t = Stream(("127.0.0.1", d.tcp))
            t.send(interest(d.ping_name("tcp-%d" % k)))
            refused_tcp += t.recv(15) == "eof"
            t.close()
        fd1 = wait_for("face-down counted", lambda: (lambda v: v if v >= fd0 + 8 else None)(
            d.drops_total()["face-down"]), 15)
        check("max_faces: %d UDP endpoints get a face, 5 more and 3 TCP connections are refused"
              % room, answered == room and refused_tcp == 3 and len(dyn()) == MAX_FACES,
              repr((answered, room, refused_tcp, len(dyn()))))
        check("max_faces: the 8 refusals are counted as face-down drops", fd1 == fd0 + 8,
              repr((fd0, fd1)))
        c.send(interest(d.ping_name("after-limit")))
        p = c.recv(15)
        check("max_faces: existing faces are still answered", p not in (None, "eof")
              and p.kind == "data")
    finally:
        for s in socks:
            s.close()
        for f in faces:
            f.close()
        if prod:
            prod.stop()
        stopped(d)


def main():
    if len(sys.argv) != 2:
        print("usage: test_badinput.py DMSCD", file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="dmsc-bad-")
    try:
        for part in (part1, part2, part3):
            try:
                part(binary, work)
            except Exception as e:  # noqa: BLE001
                check("%s raised %r" % (part.__name__, e), False)
    finally:
        if os.environ.get("KEEP_TMP"):
            print("# kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("# pass %d" % RESULTS["pass"])
    print("# fail %d" % RESULTS["fail"])
    return 0 if RESULTS["fail"] == 0 and RESULTS["pass"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
