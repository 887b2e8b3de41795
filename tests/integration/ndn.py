"""Just enough NDN TLV (packet format v0.3, NDNLPv2) to talk to dmscd from a
test: build Interests and LpPackets by hand, parse what comes back. Python
standard library only."""

import hashlib
import os
import socket
import struct

TT_INTEREST = 0x05
TT_DATA = 0x06
TT_NAME = 0x07
TT_GENERIC = 0x08
TT_PARAMS_DIGEST = 0x02
TT_CAN_BE_PREFIX = 0x21
TT_MUST_BE_FRESH = 0x12
TT_NONCE = 0x0A
TT_LIFETIME = 0x0C
TT_HOP_LIMIT = 0x22
TT_APP_PARAMS = 0x24
TT_META_INFO = 0x14
TT_CONTENT = 0x15
TT_SIG_INFO = 0x16
TT_SIG_VALUE = 0x17
TT_SIG_TYPE = 0x1B
TT_FRESHNESS = 0x19
TT_FINAL_BLOCK_ID = 0x1A
TT_LP = 0x64
TT_LP_FRAGMENT = 0x50
TT_LP_SEQ = 0x51
TT_LP_FRAG_INDEX = 0x52
TT_LP_FRAG_COUNT = 0x53
TT_LP_PIT_TOKEN = 0x62
TT_LP_NACK = 0x0320
TT_LP_NACK_REASON = 0x0321
TT_LP_INCOMING_FACE_ID = 0x032C
TT_LP_NEXT_HOP_FACE_ID = 0x0330
TT_LP_CONGESTION_MARK = 0x0340


def varnum(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack(">H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack(">I", n)
    return b"\xff" + struct.pack(">Q", n)


def nni(n):
    if n <= 0xFF:
        return bytes([n])
    if n <= 0xFFFF:
        return struct.pack(">H", n)
    if n <= 0xFFFFFFFF:
        return struct.pack(">I", n)
    return struct.pack(">Q", n)


def tlv(t, v=b""):
    return varnum(t) + varnum(len(v)) + v


def read_varnum(b, i):
    x = b[i]
    if x < 0xFD:
        return x, i + 1
    if x == 0xFD:
        return struct.unpack(">H", b[i + 1 : i + 3])[0], i + 3
    if x == 0xFE:
        return struct.unpack(">I", b[i + 1 : i + 5])[0], i + 5
    return struct.unpack(">Q", b[i + 1 : i + 9])[0], i + 9


def read_tlv(b, i=0):
    """(type, value, next offset)"""
    t, i = read_varnum(b, i)
    n, i = read_varnum(b, i)
    if i + n > len(b):
        raise ValueError("truncated TLV")
    return t, b[i : i + n], i + n


def elements(v):
    i = 0
    out = []
    while i < len(v):
        t, val, i = read_tlv(v, i)
        out.append((t, val))
    return out


def to_nni(v):
    return int.from_bytes(v, "big")


def name_of(uri):
    """'/a/b/c' -> Name TLV (generic components, no escaping)"""
    comps = [c for c in uri.split("/") if c]
    return tlv(TT_NAME, b"".join(tlv(TT_GENERIC, c.encode()) for c in comps))


def interest(uri, nonce=None, lifetime=4000, must_be_fresh=False, can_be_prefix=False,
             extra=b"", app_params=None, hop_limit=None):
    """extra: raw elements appended after the known ones (before AppParams)."""
    nm = name_of(uri)
    if nonce is None:
        nonce = os.urandom(4)
    body = b""
    if can_be_prefix:
        body += tlv(TT_CAN_BE_PREFIX)
    if must_be_fresh:
        body += tlv(TT_MUST_BE_FRESH)
    body += tlv(TT_NONCE, nonce) + tlv(TT_LIFETIME, nni(lifetime))
    if hop_limit is not None:
        body += tlv(TT_HOP_LIMIT, bytes([hop_limit]))
    body += extra
    if app_params is not None:
        params = tlv(TT_APP_PARAMS, app_params)
        digest = hashlib.sha256(params).digest()
        _, nv, _ = read_tlv(nm)
        nm = tlv(TT_NAME, nv + tlv(TT_PARAMS_DIGEST, digest))
        body += params
    return tlv(TT_INTEREST, nm + body)


def data_packet(name_value, content, freshness_ms=0, final_block=None):
    """A Data with DigestSha256 (computed over Name..SignatureInfo);
    final_block: a name component TLV for FinalBlockId."""
    meta = tlv(TT_FRESHNESS, nni(freshness_ms))
    if final_block is not None:
        meta += tlv(TT_FINAL_BLOCK_ID, final_block)
    signed = (tlv(TT_NAME, name_value) + tlv(TT_META_INFO, meta)
              + tlv(TT_CONTENT, content) + tlv(TT_SIG_INFO, tlv(TT_SIG_TYPE, b"\x00")))
    return tlv(TT_DATA, signed + tlv(TT_SIG_VALUE, hashlib.sha256(signed).digest()))


def lp(fragment=None, pit_token=None, nack=None, next_hop=None, seq=None, frag_index=None,
       frag_count=None, extra_fields=b""):
    f = b""
    if seq is not None:
        f += tlv(TT_LP_SEQ, struct.pack(">Q", seq))
    if frag_index is not None:
        f += tlv(TT_LP_FRAG_INDEX, nni(frag_index))
    if frag_count is not None:
        f += tlv(TT_LP_FRAG_COUNT, nni(frag_count))
    if pit_token is not None:
        f += tlv(TT_LP_PIT_TOKEN, pit_token)
    if nack is not None:
        f += tlv(TT_LP_NACK, tlv(TT_LP_NACK_REASON, nni(nack)) if nack else b"")
    if next_hop is not None:
        f += tlv(TT_LP_NEXT_HOP_FACE_ID, nni(next_hop))
    f += extra_fields
    if fragment is not None:
        f += tlv(TT_LP_FRAGMENT, fragment)
    return tlv(TT_LP, f)


class Packet:
    """A received link packet, decoded: kind 'data' / 'nack' / 'interest' /
    'idle', name (uri string), LP fields."""

    def __init__(self, wire):
        self.wire = wire
        self.lp = {}
        t, v, end = read_tlv(wire)
        if end != len(wire):
            raise ValueError("trailing bytes")
        net = None
        if t == TT_LP:
            for ft, fv in elements(v):
                if ft == TT_LP_FRAGMENT:
                    net = fv
                else:
                    self.lp[ft] = fv
        else:
            net = wire
        self.kind = "idle"
        self.name = None
        self.net = net
        self.fields = {}
        if net is None:
            return
        nt, nv, _ = read_tlv(net)
        els = elements(nv)
        self.fields = {et: ev for et, ev in els}
        self.name = uri_of(self.fields.get(TT_NAME, b""))
        if nt == TT_DATA:
            self.kind = "data"
        elif nt == TT_INTEREST:
            self.kind = "nack" if TT_LP_NACK in self.lp else "interest"
        else:
            self.kind = "other"

    @property
    def nack_reason(self):
        v = self.lp.get(TT_LP_NACK)
        if v is None:
            return None
        for t, val in elements(v):
            if t == TT_LP_NACK_REASON:
                return to_nni(val)
        return 0

    @property
    def pit_token(self):
        return self.lp.get(TT_LP_PIT_TOKEN)

    @property
    def incoming_face(self):
        v = self.lp.get(TT_LP_INCOMING_FACE_ID)
        return None if v is None else to_nni(v)

    def meta(self):
        m = self.fields.get(TT_META_INFO)
        return {} if m is None else {t: v for t, v in elements(m)}

    def sig_type(self):
        si = self.fields.get(TT_SIG_INFO)
        if si is None:
            return None
        for t, v in elements(si):
            if t == TT_SIG_TYPE:
                return to_nni(v)
        return None


def uri_of(name_value):
    out = []
    for t, v in elements(name_value):
        if t == TT_GENERIC:
            out.append(v.decode("latin-1"))
        else:
            out.append("%d=%s" % (t, v.hex()))
    return "/" + "/".join(out)


# ---- transports ----


class Dgram:
    def __init__(self, host, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.connect((host, port))

    def send(self, b):
        self.s.send(b)

    def recv(self, timeout=5.0):
        self.s.settimeout(timeout)
        try:
            return Packet(self.s.recv(70000))
        except socket.timeout:
            return None

    def close(self):
        self.s.close()


class Stream:
    """TCP or Unix stream with TLV framing."""

    def __init__(self, addr, family=socket.AF_INET):
        self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.settimeout(5.0)
        self.s.connect(addr)
        self.buf = b""

    def send(self, b):
        self.s.sendall(b)

    def _frame(self):
        if not self.buf:
            return None
        try:
            t, i = read_varnum(self.buf, 0)
            n, i = read_varnum(self.buf, i)
        except (IndexError, struct.error):
            return None
        if len(self.buf) < i + n:
            return None
        w = self.buf[: i + n]
        self.buf = self.buf[i + n :]
        return w

    def recv(self, timeout=5.0):
        """A Packet, None on timeout, 'eof' when the peer closed."""
        self.s.settimeout(timeout)
        while True:
            w = self._frame()
            if w is not None:
                return Packet(w)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                return "eof"
            if not chunk:
                return "eof"
            self.buf += chunk

    def close(self):
        self.s.close()


def control(face, module, verb, params):
    """An unsigned NFD ControlCommand on a local face; returns the StatusCode."""
    cp = tlv(0x68, params)
    nm = tlv(TT_NAME, b"".join(tlv(8, c.encode()) for c in ("localhost", "nfd", module, verb))
             + tlv(8, cp))
    face.send(tlv(TT_INTEREST, nm + tlv(TT_NONCE, os.urandom(4)) + tlv(TT_LIFETIME, nni(10000))))
    p = face.recv(30)
    if p is None or p == "eof" or p.kind != "data":
        raise RuntimeError("%s/%s: no reply (%r)" % (module, verb, p))
    _, v, _ = read_tlv(p.fields[TT_CONTENT])
    resp = {t: val for t, val in elements(v)}
    return to_nni(resp.get(0x66, b"\x00"))
