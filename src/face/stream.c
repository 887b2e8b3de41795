/*
 * Stream faces (TCP, Unix): TLV framing on a byte stream and a bounded send
 * queue.
 *
 * Receive: libuv reads into one buffer shared by all stream faces of the
 * table; complete TLVs are handed to the link service in place, and only the
 * bytes of an incomplete packet at the end are copied into the face's own
 * buffer (allocated on first need, at most max_packet + 4 KiB). The next
 * read then goes straight into that buffer. A TLV-TYPE 0 or a TLV-LENGTH
 * above max_packet means the framing is lost: the face is closed.
 *
 * Send: uv_try_write of the LP header and the packet as two buffers; what
 * the kernel does not take is copied into a ring of send_queue_max bytes and
 * written with uv_write as the socket drains. A packet that does not fit the
 * queue is dropped (counted): a slow peer costs at most send_queue_max.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "face/face_int.h"

#define RX_SLACK 4096
#define WRITE_BATCH 4 /* uv_write copies up to 4 buffers without allocating */

struct dmsc__stream_face {
    dmsc__face_t base; /* first */
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    bool h_init;
    bool reading;
    /* receive */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    /* send */
    dmsc__ring_t txq;
    uv_write_t wreq;
    uint32_t wcount;
    bool writing;
    /* outgoing connect */
    uv_connect_t creq;
    uv_timer_t ctimer;
    bool ctimer_init;
    bool cancelled;
    dmsc__op_t op;
    dmsc_face_created_cb ccb;
    void *carg;
    void (*connected)(dmsc__stream_face_t *sf); /* fill URIs and scope */
    int open_handles;
};

uv_stream_t *dmsc__stream_handle(dmsc__stream_face_t *sf)
{
    return &sf->h.stream;
}

dmsc__face_t *dmsc__stream_face(dmsc__stream_face_t *sf)
{
    return &sf->base;
}

bool dmsc__face_is_stream(const dmsc__face_t *f)
{
    return f->ops == &dmsc__tcp_ops || f->ops == &dmsc__unix_ops;
}

dmsc__stream_face_t *dmsc__stream_new(dmsc_facetable_t *ft, const dmsc__transport_ops_t *ops)
{
    dmsc__stream_face_t *sf = calloc(1, sizeof *sf);
    if (!sf) return NULL;
    dmsc__face_init(&sf->base, ft, ops);
    sf->base.mtu = 0;
    sf->base.rx_max = ft->cfg.max_packet;
    sf->base.tx_max = ft->cfg.max_packet;
    sf->h.handle.data = sf;
    sf->op.next = sf->op.prev = &sf->op;
    return sf;
}

/* ---- closing ---- */

static void stream_free(dmsc__stream_face_t *sf)
{
    free(sf->rx);
    sf->rx = NULL;
    dmsc__ring_release(&sf->txq);
    dmsc__face_release(&sf->base); /* frees sf (base is its first member) */
}

static void on_handle_closed(uv_handle_t *h)
{
    dmsc__stream_face_t *sf = h->data;
    if (--sf->open_handles == 0) stream_free(sf);
}

static void close_handles(dmsc__stream_face_t *sf)
{
    if (sf->ctimer_init && !uv_is_closing((uv_handle_t *)&sf->ctimer)) {
        uv_timer_stop(&sf->ctimer);
        sf->open_handles++;
        uv_close((uv_handle_t *)&sf->ctimer, on_handle_closed);
    }
    if (sf->h_init && !uv_is_closing(&sf->h.handle)) {
        sf->open_handles++;
        uv_close(&sf->h.handle, on_handle_closed);
    }
    if (sf->open_handles == 0) stream_free(sf);
}

static void stream_close(dmsc__face_t *f)
{
    dmsc__stream_face_t *sf = (dmsc__stream_face_t *)f;
    close_handles(sf);
}

void dmsc__stream_abort(dmsc__stream_face_t *sf)
{
    sf->base.state = DMSC__FACE_CLOSING;
    sf->base.id = DMSC_FACEID_INVALID;
    close_handles(sf);
}

/* ---- receive ---- */

static int rx_reserve(dmsc__stream_face_t *sf, size_t need)
{
    if (need <= sf->rx_cap) return 0;
    size_t cap = sf->base.rx_max + RX_SLACK;
    if (cap < need) cap = need;
    uint8_t *p = realloc(sf->rx, cap);
    if (!p) return DMSC_ENOMEM;
    sf->rx = p;
    sf->rx_cap = cap;
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    dmsc__stream_face_t *sf = h->data;
    if (sf->rx_len > 0 && sf->rx_cap > sf->rx_len) {
        buf->base = (char *)sf->rx + sf->rx_len;
        buf->len = sf->rx_cap - sf->rx_len;
    } else {
        dmsc_facetable_t *ft = sf->base.ft;
        buf->base = (char *)ft->stream_rxbuf;
        buf->len = ft->stream_rxbuf_cap;
    }
}

/* Deliver every complete TLV of [p, p+n). *used: bytes consumed. Returns 0,
 * or a framing error (the face must be closed). */
static int parse(dmsc__stream_face_t *sf, const uint8_t *p, size_t n, size_t *used, uint64_t now_ns)
{
    dmsc__face_t *f = &sf->base;
    size_t off = 0;
    while (off < n && f->state == DMSC__FACE_UP) {
        const uint8_t *q = p + off, *end = p + n;
        uint64_t type, len;
        if (dmsc_varnum_read(&q, end, &type) || dmsc_varnum_read(&q, end, &len))
            break; /* header incomplete */
        if (type == 0) return DMSC_EVARNUM;
        size_t hdr = (size_t)(q - (p + off));
        if (len > f->rx_max || hdr + len > f->rx_max) return DMSC_ETOOBIG;
        size_t total = hdr + (size_t)len;
        if (n - off < total) break;
        dmsc__link_rx(f, p + off, total, now_ns);
        off += total;
    }
    *used = off;
    return 0;
}

static void framing_error(dmsc__stream_face_t *sf, int rc)
{
    dmsc__face_t *f = &sf->base;
    f->lc.in_lp_invalid++;
    dmsc__drop(f->ft, f->id, rc == DMSC_ETOOBIG ? DMSC_DROP_TOO_BIG : DMSC_DROP_MALFORMED, rc,
               "stream-framing");
    dmsc__face_destroy(f, "bad-framing");
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    dmsc__stream_face_t *sf = s->data;
    dmsc__face_t *f = &sf->base;
    dmsc_facetable_t *ft = f->ft;
    if (nread < 0) {
        dmsc__face_destroy(f, nread == UV_EOF ? "eof" : uv_err_name((int)nread));
        return;
    }
    if (nread == 0 || f->state != DMSC__FACE_UP) return;
    uint64_t now_ns = uv_hrtime();
    size_t used;
    int rc;
    if ((uint8_t *)buf->base == ft->stream_rxbuf) {
        rc = parse(sf, ft->stream_rxbuf, (size_t)nread, &used, now_ns);
        if (rc) {
            framing_error(sf, rc);
            return;
        }
        size_t left = (size_t)nread - used;
        if (left && f->state == DMSC__FACE_UP) {
            if (rx_reserve(sf, left + RX_SLACK)) {
                dmsc__face_destroy(f, "ENOMEM");
                return;
            }
            memcpy(sf->rx, ft->stream_rxbuf + used, left);
            sf->rx_len = left;
        }
    } else {
        sf->rx_len += (size_t)nread;
        rc = parse(sf, sf->rx, sf->rx_len, &used, now_ns);
        if (rc) {
            framing_error(sf, rc);
            return;
        }
        if (f->state != DMSC__FACE_UP) return;
        sf->rx_len -= used;
        if (sf->rx_len && used) memmove(sf->rx, sf->rx + used, sf->rx_len);
    }
}

/* ---- send ---- */

static void start_write(dmsc__stream_face_t *sf);

static void on_write(uv_write_t *req, int status)
{
    dmsc__stream_face_t *sf = req->data;
    dmsc__face_t *f = &sf->base;
    sf->writing = false;
    if (f->state != DMSC__FACE_UP) return;
    if (status < 0) {
        dmsc__face_destroy(f, uv_err_name(status));
        return;
    }
    for (uint32_t i = 0; i < sf->wcount; i++)
        dmsc__ring_pop(&sf->txq);
    sf->wcount = 0;
    if (sf->txq.count) start_write(sf);
}

static void start_write(dmsc__stream_face_t *sf)
{
    uv_buf_t bufs[WRITE_BATCH];
    size_t pos = (size_t)-1, n;
    uint32_t k = 0, i = 0;
    void *p;
    while (i < WRITE_BATCH && (p = dmsc__ring_iter(&sf->txq, &pos, &k, &n)) != NULL)
        bufs[i++] = uv_buf_init(p, (unsigned)n);
    if (i == 0) return;
    sf->wreq.data = sf;
    int rc = uv_write(&sf->wreq, &sf->h.stream, bufs, i, on_write);
    if (rc) {
        dmsc__face_fail(&sf->base, uv_err_name(rc));
        return;
    }
    sf->wcount = i;
    sf->writing = true;
}

static int enqueue(dmsc__stream_face_t *sf, const struct iovec *iov, int iovcnt, size_t skip,
                   size_t len)
{
    dmsc_facetable_t *ft = sf->base.ft;
    if (!sf->txq.buf) {
        size_t cap =
            ft->cfg.send_queue_max + ft->cfg.send_queue_max / 4 + 2 * (ft->cfg.max_packet + 64);
        if (dmsc__ring_alloc(&sf->txq, cap)) return DMSC_ENOMEM;
    }
    uint8_t *dst = dmsc__ring_push(&sf->txq, len - skip);
    if (!dst) return DMSC_ENOBUFS;
    for (int i = 0; i < iovcnt; i++) {
        size_t l = iov[i].iov_len;
        const uint8_t *src = iov[i].iov_base;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        memcpy(dst, src + skip, l - skip);
        dst += l - skip;
        skip = 0;
    }
    if (sf->txq.bytes > sf->base.lc.out_queue_hiwat) sf->base.lc.out_queue_hiwat = sf->txq.bytes;
    if (!sf->writing) start_write(sf);
    return 0;
}

static int stream_send(dmsc__face_t *f, const struct iovec *iov, int iovcnt, size_t len)
{
    dmsc__stream_face_t *sf = (dmsc__stream_face_t *)f;
    if (!sf->reading) return DMSC_EINVAL; /* not connected yet */
    if (!sf->writing && sf->txq.count == 0) {
        uv_buf_t b[2];
        int n = iovcnt < 2 ? iovcnt : 2;
        for (int i = 0; i < n; i++)
            b[i] = uv_buf_init(iov[i].iov_base, (unsigned)iov[i].iov_len);
        int w = uv_try_write(&sf->h.stream, b, (unsigned)n);
        if (w == (int)len) return 0;
        if (w == UV_EAGAIN || w == UV_ENOSYS)
            w = 0;
        else if (w < 0) {
            dmsc__face_fail(f, uv_err_name(w));
            return DMSC_EINVAL;
        }
        /* the rest must go out in order, whatever the queue holds */
        return enqueue(sf, iov, n, (size_t)w, len);
    }
    if (sf->txq.bytes + len > f->ft->cfg.send_queue_max) return DMSC_ENOBUFS;
    return enqueue(sf, iov, iovcnt, 0, len);
}

static void stream_stats(const dmsc__face_t *f, dmsc_face_link_counters_t *out)
{
    const dmsc__stream_face_t *sf = (const dmsc__stream_face_t *)f;
    out->out_queue_bytes = sf->txq.bytes;
}

void dmsc__stream_sweep(dmsc__face_t *f)
{
    dmsc__stream_face_t *sf = (dmsc__stream_face_t *)f;
    if (sf->txq.buf && sf->txq.count == 0 && !sf->writing) dmsc__ring_release(&sf->txq);
    if (sf->rx && sf->rx_len == 0) {
        free(sf->rx);
        sf->rx = NULL;
        sf->rx_cap = 0;
    }
}

/* ---- start ---- */

int dmsc__stream_start(dmsc__stream_face_t *sf, dmsc_faceid_t *out)
{
    int rc = dmsc__face_add(&sf->base, 0);
    if (rc) {
        dmsc__stream_abort(sf);
        return rc;
    }
    rc = uv_read_start(&sf->h.stream, on_alloc, on_read);
    if (rc) {
        dmsc__face_destroy(&sf->base, uv_err_name(rc));
        return DMSC_EINVAL;
    }
    sf->reading = true;
    if (out) *out = sf->base.id;
    return 0;
}

/* ---- outgoing connect (shared by tcp.c and unix.c) ---- */

void dmsc__stream_mark_init(dmsc__stream_face_t *sf)
{
    sf->h_init = true;
}

static void connect_done(dmsc__stream_face_t *sf, int rc)
{
    dmsc_face_created_cb cb = sf->ccb;
    void *arg = sf->carg;
    dmsc_faceid_t id = DMSC_FACEID_INVALID;
    if (rc == 0)
        rc = dmsc__stream_start(sf, &id); /* on failure sf is gone */
    else
        dmsc__stream_abort(sf);
    if (cb) cb(arg, rc, id);
}

void dmsc__stream_on_connect(uv_connect_t *req, int status)
{
    dmsc__stream_face_t *sf = req->data;
    dmsc_facetable_t *ft = sf->base.ft;
    if (sf->ctimer_init) uv_timer_stop(&sf->ctimer);
    if (!sf->cancelled) dmsc__op_remove(ft, &sf->op);
    if (status < 0 || sf->cancelled) {
        DMSC_LOGW("face", "event=connect remote=%s result=%s", sf->base.remote_uri,
                  sf->cancelled ? "timeout-or-cancelled" : uv_err_name(status));
        connect_done(sf, DMSC_EINVAL);
        return;
    }
    sf->connected(sf);
    if ((sf->base.flags & DMSC_FACE_FLAG_LOCAL_FIELDS) && sf->base.scope != DMSC_SCOPE_LOCAL) {
        connect_done(sf, DMSC_EINVAL);
        return;
    }
    connect_done(sf, 0);
}

static void on_connect_timeout(uv_timer_t *t)
{
    dmsc__stream_face_t *sf = t->data;
    /* closing the handle makes the connect callback run with UV_ECANCELED */
    sf->cancelled = true;
    dmsc__op_remove(sf->base.ft, &sf->op);
    if (!uv_is_closing(&sf->h.handle)) {
        sf->open_handles++;
        uv_close(&sf->h.handle, on_handle_closed);
    }
}

static void cancel_connect(dmsc__op_t *op)
{
    dmsc__stream_face_t *sf =
        (dmsc__stream_face_t *)((char *)op - offsetof(dmsc__stream_face_t, op));
    sf->cancelled = true;
    if (!uv_is_closing(&sf->h.handle)) {
        sf->open_handles++;
        uv_close(&sf->h.handle, on_handle_closed);
    }
}

uv_connect_t *dmsc__stream_connect_req(dmsc__stream_face_t *sf, int persistency, uint32_t flags,
                                       dmsc_face_created_cb cb, void *arg,
                                       void (*connected)(dmsc__stream_face_t *))
{
    sf->base.persistency = persistency;
    sf->base.flags = flags;
    sf->ccb = cb;
    sf->carg = arg;
    sf->connected = connected;
    sf->creq.data = sf;
    return &sf->creq;
}

void dmsc__stream_connect_started(dmsc__stream_face_t *sf)
{
    dmsc_facetable_t *ft = sf->base.ft;
    uv_timer_init(ft->loop, &sf->ctimer);
    sf->ctimer.data = sf;
    sf->ctimer_init = true;
    uv_timer_start(&sf->ctimer, on_connect_timeout, ft->cfg.connect_timeout_ms, 0);
    sf->op.cancel = cancel_connect;
    dmsc__op_add(ft, &sf->op);
}

const dmsc__transport_ops_t dmsc__tcp_ops = {
    .kind = "tcp",
    .send = stream_send,
    .close = stream_close,
    .stats = stream_stats,
};

const dmsc__transport_ops_t dmsc__unix_ops = {
    .kind = "unix",
    .send = stream_send,
    .close = stream_close,
    .stats = stream_stats,
};
