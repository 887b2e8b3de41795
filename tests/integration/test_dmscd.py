#!/usr/bin/python3
"""Integration test of dmscd: real processes on loopback, real packets.

Starts dmscd with a temporary config (ports 0, read back from the log), and
checks over UDP, TCP and the Unix socket that pings are answered, that
malformed, oversize and unknown-critical packets are dropped and counted
without disturbing a concurrent exchange, LP fields (PitToken, Nack,
fragmentation, LocalFields), NFD management and the admin API, a two-node
static route, SIGHUP reload, and that SIGTERM exits 0 with no leak report
(the daemon runs under LeakSanitizer when built with ASan, else valgrind).

Usage: test_dmscd.py /path/to/dmscd
Prints TAP-style "ok"/"not ok" lines, then "# pass N" and "# fail N".
"""

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
    Dgram, Stream, elements, interest, lp, nni, read_tlv, tlv, to_nni,
    TT_CONTENT, TT_FRESHNESS, TT_GENERIC, TT_NAME,
)

RESULTS = {"pass": 0, "fail": 0}
NUM = [0]


def check(desc, cond, detail=""):
    NUM[0] += 1
    if cond:
        RESULTS["pass"] += 1
        print("ok %d - %s" % (NUM[0], desc), flush=True)
    else:
        RESULTS["fail"] += 1
        print("not ok %d - %s %s" % (NUM[0], desc, detail), flush=True)
    return cond


def is_asan(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


class Daemon:
    def __init__(self, binary, workdir, label, name, extra_yaml="", mtu=None):
        self.binary = binary
        self.label = label
        self.name = name
        self.dir = os.path.join(workdir, label)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "dmsc.sock")
        self.cfg = os.path.join(self.dir, "dmscd.yaml")
        self.logpath = os.path.join(self.dir, "dmscd.log")
        self.mtu = mtu
        self.write_config(extra_yaml)
        self.asan = is_asan(binary)
        env = dict(os.environ)
        cmd = [binary, "--config", self.cfg, "--unix", self.sock, "--name", name]
        if self.asan:
            env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=23"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        elif shutil.which("valgrind"):
            cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                   "-q"] + cmd
        self.log_f = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log_f,
                                     stderr=self.log_f, env=env)
        self.wait_log(r"event=started", 60)
        log = self.log()
        self.udp = int(re.search(r"event=listen channel=udp4://127\.0\.0\.1:(\d+)", log).group(1))
        self.tcp = int(re.search(r"event=listen channel=tcp4://127\.0\.0\.1:(\d+)", log).group(1))
        self.admin = int(re.search(r"event=listen channel=http://127\.0\.0\.1:(\d+)/", log).group(1))

    def write_config(self, extra_yaml="", log_level="info", tcp_enabled=True):
        mtu = "\n    mtu: %d" % self.mtu if self.mtu else ""
        with open(self.cfg, "w") as f:
            f.write("""# written by tests/integration/test_dmscd.py
log:
  level: %s
listen:
  udp:
    bind: 127.0.0.1
    port: 0%s
  tcp:
    enabled: %s
    bind: 127.0.0.1
    port: 0
admin:
  bind: 127.0.0.1
  port: 0
faces:
  max_packet: 8800
%s""" % (log_level, mtu, "true" if tcp_enabled else "false", extra_yaml))

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=30, start=0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.log()[start:]):
                return True
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited (%s):\n%s" % (self.label, self.proc.returncode,
                                                             self.log()[-4000:]))
            time.sleep(0.05)
        raise RuntimeError("%s: no %r in log:\n%s" % (self.label, pattern, self.log()[-4000:]))

    def metrics(self):
        url = "http://127.0.0.1:%d/metrics" % self.admin
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode()

    def drops(self, reason):
        m = re.search(r'^dmsc_drops_total\{reason="%s"\} (\d+)' % re.escape(reason),
                      self.metrics(), re.M)
        return int(m.group(1)) if m else -1

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

    def udp_face(self):
        return Dgram("127.0.0.1", self.udp)

    def tcp_face(self):
        return Stream(("127.0.0.1", self.tcp))

    def unix_face(self):
        return Stream(self.sock, socket.AF_UNIX)


def ping_name(d, seq):
    return "%s/ping/%s" % (d.name, seq)


def is_ping_reply(p, name):
    return p is not None and p != "eof" and p.kind == "data" and p.name == name


def ping(face, d, seq, wrap=None):
    """Send a ping Interest and return the first packet received."""
    nm = ping_name(d, seq)
    pkt = interest(nm, must_be_fresh=True)
    face.send(wrap(pkt) if wrap else pkt)
    return face.recv(), nm


def first_reply_is_ping(face, d, seq):
    p, nm = ping(face, d, seq)
    return is_ping_reply(p, nm), p


# ---- the tests ----


def test_ping_all_transports(d):
    for label, mk in (("udp", d.udp_face), ("tcp", d.tcp_face), ("unix", d.unix_face)):
        f = mk()
        p, nm = ping(f, d, "%s-1" % label)
        ok = check("%s: ping Interest answered with Data of the same name" % label,
                   is_ping_reply(p, nm), repr(p and getattr(p, "name", p)))
        if ok:
            meta = p.meta()
            check("%s: ping Data has FreshnessPeriod 0, empty Content, DigestSha256" % label,
                  TT_FRESHNESS in meta and to_nni(meta[TT_FRESHNESS]) == 0
                  and p.fields.get(TT_CONTENT, None) == b"" and p.sig_type() == 0)
            check("%s: bare Interest gets a bare Data (no LP header)" % label,
                  p.wire[0] == 0x06)
        f.close()


def test_lp_fields(d):
    f = d.udp_face()
    p, nm = ping(f, d, "tok", wrap=lambda i: lp(i, pit_token=b"\xab\xcd\x01"))
    check("udp: PitToken echoed on the Data", is_ping_reply(p, nm) and p.pit_token == b"\xab\xcd\x01",
          repr(p and getattr(p, "lp", p)))

    f.send(lp())  # IDLE keep-alive
    ok, p = first_reply_is_ping(f, d, "after-idle")
    check("udp: empty LpPacket (keep-alive) ignored, next ping answered", ok)

    # unknown ignorable LP field (928: in 800..959, low bits 00) -> processed
    p, nm = ping(f, d, "ignorable", wrap=lambda i: lp(i, extra_fields=tlv(928, b"\x01")))
    check("udp: unknown ignorable LP header field is skipped", is_ping_reply(p, nm))

    # Nack NoRoute for a name without a route
    f.send(interest("/nowhere/at/all"))
    p = f.recv()
    check("udp: Interest without route gets Nack NoRoute (reason 150)",
          p is not None and p.kind == "nack" and p.nack_reason == 150 and p.name == "/nowhere/at/all",
          repr(p and (p.kind, p.nack_reason)))

    # fragmented Interest (NDNLPv2 indexed fragmentation) is reassembled
    nm = ping_name(d, "frag")
    whole = interest(nm, app_params=b"p" * 3000)
    parts = [whole[0:1000], whole[1000:2000], whole[2000:]]
    base = 0x1122334455660000
    for i in (2, 0, 1):  # out of order
        f.send(lp(parts[i], seq=base + i, frag_index=i, frag_count=3))
    p = f.recv()
    check("udp: 3 LP fragments (out of order) reassembled and answered",
          p is not None and p.kind == "data" and p.name.startswith(nm + "/"), repr(p and p.name))

    # NextHopFaceId on a non-local face: dropped (NFD), the next ping still answered
    f.send(lp(interest(ping_name(d, "nexthop")), next_hop=2))
    ok, p = first_reply_is_ping(f, d, "after-nexthop")
    check("udp: NextHopFaceId on a non-local face drops the Interest", ok,
          repr(p and getattr(p, "name", p)))
    f.close()


def test_drops(d):
    f = d.udp_face()
    before = {r: d.drops(r) for r in ("malformed", "too-big")}

    f.send(b"\x05\x05\x07\x03\x08\x01")  # Interest whose Name runs past its end
    ok, p = first_reply_is_ping(f, d, "after-malformed")
    check("udp: malformed Interest dropped, next ping answered", ok)

    f.send(b"\x64\x04\x50\x02\x05")  # LpPacket with a truncated Fragment element
    ok, _ = first_reply_is_ping(f, d, "after-malformed-lp")
    check("udp: malformed LpPacket dropped, next ping answered", ok)

    big = interest(ping_name(d, "big"), extra=tlv(200, b"x" * 8900))
    check("test setup: oversize Interest is above 8800 bytes", len(big) > 8800)
    f.send(big)
    ok, _ = first_reply_is_ping(f, d, "after-big")
    check("udp: Interest above 8800 bytes dropped, next ping answered", ok)

    f.send(b"\x05" + b"\xfd\x4e\x20" + b"\x00" * 20000)  # datagram larger than any receive slot
    ok, _ = first_reply_is_ping(f, d, "after-huge")
    check("udp: 20 KB datagram dropped (truncated read), next ping answered", ok)

    f.send(interest(ping_name(d, "crit"), extra=tlv(0x33, b"\x00")))
    ok, _ = first_reply_is_ping(f, d, "after-crit")
    check("udp: Interest with unknown critical TLV 0x33 dropped, next ping answered", ok)

    f.send(lp(interest(ping_name(d, "lpcrit")), extra_fields=tlv(929, b"\x00")))
    ok, _ = first_reply_is_ping(f, d, "after-lpcrit")
    check("udp: LpPacket with unknown critical header field dropped, next ping answered", ok)

    f.send(interest(ping_name(d, "noncrit"), extra=tlv(200, b"\x00")))
    p = f.recv()
    check("udp: unknown non-critical Interest element ignored (answered)",
          is_ping_reply(p, ping_name(d, "noncrit")), repr(p and getattr(p, "name", p)))

    after = {r: d.drops(r) for r in ("malformed", "too-big")}
    check("metrics: malformed drops counted (dmsc_drops_total)",
          after["malformed"] >= before["malformed"] + 4, "%r -> %r" % (before, after))
    check("metrics: too-big drops counted (dmsc_drops_total)",
          after["too-big"] >= before["too-big"] + 2, "%r -> %r" % (before, after))
    f.close()
    check("log: drops are logged with face, reason and error",
          re.search(r"face level=warn face=\d+ drop=malformed err=E\w+ where=\S+", d.log()) is not None)


def test_stream_framing(d):
    good = d.tcp_face()
    good.send(b"\x05\x04\x07\x03\x08\x01")  # framed, but the Name inside is truncated
    ok, p = first_reply_is_ping(good, d, "tcp-after-malformed")
    check("tcp: malformed (but framed) packet dropped, connection kept, next ping answered", ok,
          repr(p))

    bad = d.tcp_face()
    bad.send(b"\x00\x05hello")  # TLV-TYPE 0: framing lost
    check("tcp: TLV-TYPE 0 (garbage framing) -> disconnected", bad.recv() == "eof")
    bad.close()

    bad = d.tcp_face()
    bad.send(b"\x05\xfe\x00\x10\x00\x00" + b"\x00" * 100)  # declares 1 MiB > max_packet
    check("tcp: TLV-LENGTH above max_packet -> disconnected", bad.recv() == "eof")
    bad.close()

    bad = d.unix_face()
    bad.send(b"\x06\xfe\x7f\xff\xff\xff")  # declares 2 GiB
    check("unix: TLV-LENGTH above max_packet -> disconnected", bad.recv() == "eof")
    bad.close()

    # a packet split across many writes is reassembled by the stream framing
    nm = ping_name(d, "dribble")
    w = interest(nm)
    for i in range(len(w)):
        good.send(w[i : i + 1])
        time.sleep(0.001)
    p = good.recv()
    check("tcp: Interest written one byte at a time is framed and answered", is_ping_reply(p, nm))

    # several packets in one write
    names = [ping_name(d, "batch-%d" % i) for i in range(20)]
    good.send(b"".join(interest(n) for n in names))
    got = set()
    for _ in names:
        p = good.recv()
        if p is None or p == "eof":
            break
        got.add(p.name)
    check("tcp: 20 Interests in one write all answered", got == set(names))
    good.close()


def test_concurrent(d):
    """Well-behaved pings over TCP while garbage arrives on every transport."""
    stop = threading.Event()
    errors = []

    def attacker():
        try:
            u = d.udp_face()
            junk = [b"\x05\x05\x07\x03\x08\x01", b"\xff" * 50,
                    interest("/x/y", extra=tlv(200, b"x" * 8900)),
                    interest("/x/z", extra=tlv(0x33, b"")), b"\x64\x02\x50\x00"]
            n = 0
            while not stop.is_set():
                u.send(junk[n % len(junk)])
                n += 1
                if n % 50 == 0:
                    for mk in (d.tcp_face, d.unix_face):
                        s = mk()
                        s.send(b"\x05\x05\x07\x03\x08\x01" + b"\x00\x03abc")
                        s.recv(2)
                        s.close()
                time.sleep(0.0005)
            u.close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=attacker)
    t.start()
    f = d.tcp_face()
    answered = 0
    total = 200
    try:
        for i in range(total):
            p, nm = ping(f, d, "conc-%d" % i)
            if is_ping_reply(p, nm):
                answered += 1
    finally:
        stop.set()
        t.join()
        f.close()
    check("concurrent: %d/%d TCP pings answered while garbage arrives on udp/tcp/unix"
          % (answered, total), answered == total and not errors, repr(errors))


def control_params(**kw):
    order = [("face_id", 0x69), ("flags", 0x6C), ("mask", 0x70)]
    body = b""
    for k, t in order:
        if k in kw:
            body += tlv(t, nni(kw[k]))
    return tlv(0x68, body)


def mgmt_name(*comps):
    return tlv(TT_NAME, b"".join(tlv(TT_GENERIC, c if isinstance(c, bytes) else c.encode())
                                 for c in comps))


def control_response(p):
    """(StatusCode, StatusText) of a ControlResponse Data."""
    _, v, _ = read_tlv(p.fields[TT_CONTENT])
    d = {t: val for t, val in elements(v)}
    return to_nni(d.get(0x66, b"\x00")), d.get(0x67, b"").decode()


def test_mgmt_and_local_fields(d):
    u = d.unix_face()
    nm = mgmt_name("localhost", "nfd", "status", "general")
    u.send(tlv(5, nm + tlv(0x21) + tlv(0x12) + tlv(0x0A, os.urandom(4))))
    p = u.recv()
    check("unix: NFD management /localhost/nfd/status/general answered",
          p is not None and p != "eof" and p.kind == "data"
          and p.name.startswith("/localhost/nfd/status/general"), repr(p and getattr(p, "name", p)))

    f = d.udp_face()
    f.send(tlv(5, nm + tlv(0x21) + tlv(0x12) + tlv(0x0A, os.urandom(4))))
    ok, p = first_reply_is_ping(f, d, "after-localhost")
    check("udp: /localhost Interest from a non-local face dropped", ok)
    f.close()

    # faces/update LocalFields on the requesting (unix) face
    cmd = mgmt_name("localhost", "nfd", "faces", "update", control_params(flags=1, mask=1))
    u.send(tlv(5, cmd + tlv(0x0A, os.urandom(4))))
    p = u.recv()
    code = None
    if p is not None and p != "eof" and p.kind == "data":
        code, text = control_response(p)
    check("unix: faces/update LocalFields=1 accepted (200)", code == 200, repr(code))
    p, nm2 = ping(u, d, "localfields", wrap=lambda i: lp(i))
    check("unix: with LocalFields, Data carries IncomingFaceId (the ping app face)",
          is_ping_reply(p, nm2) and p.incoming_face is not None and 1 <= p.incoming_face < 256,
          repr(p and getattr(p, "lp", p)))
    # NextHopFaceId honoured on a local face with LocalFields: to the ping face -> answered
    ping_face = (p.incoming_face if is_ping_reply(p, nm2) else None) or 2
    p, nm3 = ping(u, d, "nexthop-local", wrap=lambda i: lp(i, next_hop=ping_face))
    check("unix: NextHopFaceId honoured on a local face with LocalFields", is_ping_reply(p, nm3))
    u.close()

    t = d.tcp_face()
    p, nm4 = ping(t, d, "tcp-no-localfields", wrap=lambda i: lp(i))
    check("tcp (loopback, local scope): no IncomingFaceId without LocalFields",
          is_ping_reply(p, nm4) and p.incoming_face is None)
    t.close()


def test_admin(d):
    u = d.unix_face()
    ping(u, d, "admin")
    with urllib.request.urlopen("http://127.0.0.1:%d/faces" % d.admin, timeout=10) as r:
        body = r.read().decode()
        check("admin: GET /faces answers 200 and lists the unix face and udp faces",
              r.status == 200 and ('"unix://%s"' % d.sock) in body and "udp4://" in body,
              body[:300])
    u.close()


def test_two_nodes(binary, work):
    b = Daemon(binary, work, "node-b", "/test/node/b")
    a = None
    try:
        routes = """routes:
  - prefix: /test/node/b
    face: udp4://127.0.0.1:%d
    cost: 10
""" % b.udp
        a = Daemon(binary, work, "node-a2", "/test/node/a2", extra_yaml=routes, mtu=1200)
        a.wait_log(r"event=static-face uri=udp4://127\.0\.0\.1:%d face=\d+" % b.udp, 30)
        u = a.unix_face()
        p, nm = ping(u, b, "via-a")
        check("two nodes: ping to B through A's static UDP route answered", is_ping_reply(p, nm),
              repr(p and getattr(p, "name", p)))
        nm = ping_name(b, "frag-via-a")
        u.send(interest(nm, app_params=b"q" * 4000))
        p = u.recv()
        check("two nodes: 4 KB Interest fragmented by A (mtu 1200) and answered by B",
              p is not None and p != "eof" and p.kind == "data" and p.name.startswith(nm + "/"),
              repr(p and getattr(p, "name", p)))

        # reload: drop the route, raise the log level
        start = len(a.log())
        a.mtu = None
        a.write_config("", log_level="debug", tcp_enabled=False)
        a.proc.send_signal(signal.SIGHUP)
        a.wait_log(r"event=reload result=ok log_level=debug routes=0", 30, start)
        check("reload: SIGHUP applied (log level, routes) and logged", True)
        rl = a.log()[start:]
        check("reload: what cannot be applied is reported in the log",
              "event=reload key=listen.tcp applied=no reason=restart-required" in rl
              and "event=reload key=listen.udp.mtu applied=new-faces-only" in rl, rl[-2000:])
        t = a.tcp_face()  # the TCP listener is still there (not reloadable)
        p, nm = ping(t, a, "tcp-after-reload")
        check("reload: listeners keep running", is_ping_reply(p, nm))
        t.close()
        p, nm = ping(u, b, "after-reload")
        check("reload: route removed -> ping to B gets Nack NoRoute",
              p is not None and p != "eof" and p.kind == "nack" and p.nack_reason == 150,
              repr(p and getattr(p, "kind", p)))
        p, nm = ping(u, a, "self-after-reload")
        check("reload: node still answers its own pings", is_ping_reply(p, nm))
        u.close()
    finally:
        for dd, label in ((a, "A"), (b, "B")):
            if dd is None:
                continue
            rc = dd.stop()
            log = dd.log()
            check("two nodes: %s exits 0 on SIGTERM" % label, rc == 0, "rc=%r" % rc)
            check("two nodes: %s reports no leak or memory error" % label,
                  "LeakSanitizer" not in log and "AddressSanitizer" not in log
                  and "runtime error" not in log, log[-3000:])


def main():
    if len(sys.argv) != 2:
        print("usage: test_dmscd.py DMSCD", file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="dmsc-it-")
    keep = os.environ.get("KEEP_TMP")
    d = None
    try:
        d = Daemon(binary, work, "node-a", "/test/node/a")
        print("# dmscd under %s" % ("LeakSanitizer (ASan build)" if d.asan else
                                    "valgrind" if shutil.which("valgrind") else "no leak checker"))
        for t in (test_ping_all_transports, test_lp_fields, test_drops, test_stream_framing,
                  test_concurrent, test_mgmt_and_local_fields, test_admin):
            try:
                t(d)
            except Exception as e:  # noqa: BLE001
                check("%s raised %r" % (t.__name__, e), False)
        check("daemon still running after all of the above", d.proc.poll() is None)
        rc = d.stop()
        log = d.log()
        check("SIGTERM: dmscd exits 0", rc == 0, "rc=%r" % rc)
        check("SIGTERM: clean shutdown logged", "event=shutdown reason=SIGTERM" in log
              and "event=exit code=0" in log)
        check("no leak or memory error reported (LeakSanitizer/valgrind)",
              "LeakSanitizer" not in log and "AddressSanitizer" not in log
              and "runtime error" not in log and "definitely lost" not in log, log[-3000:])
        check("unix socket file removed at shutdown", not os.path.exists(d.sock))
        d = None
        try:
            test_two_nodes(binary, work)
        except Exception as e:  # noqa: BLE001
            check("test_two_nodes raised %r" % (e,), False)
    except Exception as e:  # noqa: BLE001
        check("setup raised %r" % (e,), False)
    finally:
        if d is not None:
            d.stop()
        if keep:
            print("# kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("# pass %d" % RESULTS["pass"])
    print("# fail %d" % RESULTS["fail"])
    return 0 if RESULTS["fail"] == 0 and RESULTS["pass"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
