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
 * Send: the LP header and the packet are copied into the face's send ring
 * (bounded by send_queue_max) and the face goes on the table's flush list;
 * at the end of the loop turn (the ft->flush check handle) every listed face
 * writes its whole queue with one writev (uv_try_write of up to FLUSH_IOV
 * entries), so a read that carried 50 Interests costs one write to the
 * producer instead of 50. A queue that reaches FLUSH_EARLY bytes is written
 * at once. What the kernel does not take stays in the ring and is written
 * with uv_write as the socket drains. A packet that does not fit the queue is
 * dropped (counted): a slow peer costs at most send_queue_max.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "face/face_int.h"

#define RX_SLACK 4096
#define WRITE_BATCH 4 /* uv_write copies up to 4 buffers without allocating */
#define FLUSH_IOV 128 /* ring entries per writev */
#define FLUSH_EARLY (64 * 1024)

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
    size_t head_off; /* bytes of the head entry already written */
    uv_write_t wreq;
    size_t wbytes; /* bytes in the uv_write in flight */
    bool writing;
    bool in_flush; /* on ft->flush_head */
    dmsc__stream_face_t *flush_next;
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
    /* stream faces have a send queue: congestion marking on by default
     * (faces/update can turn it off) */
    sf->base.flags = DMSC_FACE_FLAG_CONGESTION_MARKING;
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

static void flush(dmsc__stream_face_t *sf);
static void flush_unlink(dmsc__stream_face_t *sf);

static void stream_close(dmsc__face_t *f)
{
    dmsc__stream_face_t *sf = (dmsc__stream_face_t *)f;
    /* what this turn queued goes out now, as it did when sends were
     * immediate (best effort: the handle closes right after); a closing
     * face is never put on the flush list again (sends need it up) */
    if (sf->in_flush) flush_unlink(sf);
    if (sf->reading && !sf->writing && sf->txq.count) flush(sf);
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

static void flush_link(dmsc__stream_face_t *sf)
{
    dmsc_facetable_t *ft = sf->base.ft;
    if (sf->in_flush || ft->shutting_down) return;
    dmsc__flush_schedule(ft);
    sf->in_flush = true;
    sf->flush_next = ft->flush_head;
    ft->flush_head = sf;
}

static void flush_unlink(dmsc__stream_face_t *sf)
{
    dmsc_facetable_t *ft = sf->base.ft;
    for (dmsc__stream_face_t **pp = &ft->flush_head; *pp; pp = &(*pp)->flush_next)
        if (*pp == sf) {
            *pp = sf->flush_next;
            break;
        }
    sf->in_flush = false;
    sf->flush_next = NULL;
}

/* Buffers for the queued bytes from the head (the head entry less what was
 * already written), at most max; *total their length. */
static unsigned tx_bufs(dmsc__stream_face_t *sf, uv_buf_t *bufs, unsigned max, size_t *total)
{
    size_t pos = (size_t)-1, n;
    uint32_t k = 0;
    unsigned i = 0;
    uint8_t *p;
    *total = 0;
    while (i < max && (p = dmsc__ring_iter(&sf->txq, &pos, &k, &n)) != NULL) {
        if (i == 0) {
            p += sf->head_off;
            n -= sf->head_off;
        }
        bufs[i++] = uv_buf_init((char *)p, (unsigned)n);
        *total += n;
    }
    return i;
}

/* w bytes from the head were written: pop the entries they complete. */
static void tx_consumed(dmsc__stream_face_t *sf, size_t w)
{
    size_t n;
    while (w > 0 && dmsc__ring_peek(&sf->txq, &n)) {
        size_t left = n - sf->head_off;
        if (w < left) {
            sf->head_off += w;
            return;
        }
        w -= left;
        sf->head_off = 0;
        dmsc__ring_pop(&sf->txq);
    }
}

static void on_write(uv_write_t *req, int status);

/* The kernel is full: write the head of the queue with uv_write (libuv
 * waits for the socket to drain). */
static void start_write(dmsc__stream_face_t *sf)
{
    uv_buf_t bufs[WRITE_BATCH];
    size_t total;
    unsigned i = tx_bufs(sf, bufs, WRITE_BATCH, &total);
    if (i == 0) return;
    sf->wreq.data = sf;
    int rc = uv_write(&sf->wreq, &sf->h.stream, bufs, i, on_write);
    if (rc) {
        dmsc__face_fail(&sf->base, uv_err_name(rc));
        return;
    }
    sf->wbytes = total;
    sf->writing = true;
    if (sf->txq.bytes > sf->base.lc.out_queue_hiwat) sf->base.lc.out_queue_hiwat = sf->txq.bytes;
}

/* Write as much of the queue as the socket takes now (one writev per
 * FLUSH_IOV entries); the rest goes through start_write. Not while a
 * uv_write is in flight (it would reorder bytes). */
static void flush(dmsc__stream_face_t *sf)
{
    uv_buf_t bufs[FLUSH_IOV];
    while (sf->txq.count && !sf->writing) {
        size_t total;
        unsigned nb = tx_bufs(sf, bufs, FLUSH_IOV, &total);
        int w = uv_try_write(&sf->h.stream, bufs, nb);
        if (w == UV_EAGAIN || w == UV_ENOSYS) {
            w = 0;
        } else if (w < 0) {
            dmsc__face_fail(&sf->base, uv_err_name(w));
            return;
        }
        tx_consumed(sf, (size_t)w);
        if ((size_t)w < total) {
            start_write(sf);
            return;
        }
    }
}

void dmsc__stream_flush(dmsc_facetable_t *ft)
{
    dmsc__stream_face_t *list = ft->flush_head;
    ft->flush_head = NULL;
    while (list) {
        dmsc__stream_face_t *sf = list;
        list = sf->flush_next;
        sf->flush_next = NULL;
        sf->in_flush = false;
        if (sf->base.state == DMSC__FACE_UP && !sf->writing) flush(sf);
    }
}

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
    tx_consumed(sf, sf->wbytes);
    sf->wbytes = 0;
    flush(sf);
}

static int enqueue(dmsc__stream_face_t *sf, const struct iovec *iov, int iovcnt, size_t len)
{
    dmsc_facetable_t *ft = sf->base.ft;
    if (!sf->txq.buf) {
        size_t cap =
            ft->cfg.send_queue_max + ft->cfg.send_queue_max / 4 + 2 * (ft->cfg.max_packet + 64);
        if (dmsc__ring_alloc(&sf->txq, cap)) return DMSC_ENOMEM;
    }
    uint8_t *dst = dmsc__ring_push(&sf->txq, len);
    if (!dst) return DMSC_ENOBUFS;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(dst, iov[i].iov_base, iov[i].iov_len);
        dst += iov[i].iov_len;
    }
    return 0;
}

static int stream_send(dmsc__face_t *f, const struct iovec *iov, int iovcnt, size_t len)
{
    dmsc__stream_face_t *sf = (dmsc__stream_face_t *)f;
    if (!sf->reading) return DMSC_EINVAL; /* not connected yet */
    size_t qmax = f->ft->cfg.send_queue_max;
    /* the first packet of an empty queue always fits (the ring has room
     * for two packets beyond send_queue_max) */
    if (sf->txq.count && sf->txq.bytes + len > qmax) return DMSC_ENOBUFS;
    int rc = enqueue(sf, iov, iovcnt, len);
    if (rc) return rc;
    if (sf->writing) {
        if (sf->txq.bytes > f->lc.out_queue_hiwat) f->lc.out_queue_hiwat = sf->txq.bytes;
        return 0;
    }
    if (sf->txq.bytes >= FLUSH_EARLY || sf->txq.bytes >= qmax / 2)
        flush(sf);
    else
        flush_link(sf);
    return 0;
}

static void stream_stats(const dmsc__face_t *f, dmsc_face_link_counters_t *out)
{
    const dmsc__stream_face_t *sf = (const dmsc__stream_face_t *)f;
    out->out_queue_bytes = sf->txq.bytes;
}

static size_t stream_queued(const dmsc__face_t *f)
{
    return ((const dmsc__stream_face_t *)f)->txq.bytes;
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
    sf->base.flags = flags | DMSC_FACE_FLAG_CONGESTION_MARKING;
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
    .queued = stream_queued,
};

const dmsc__transport_ops_t dmsc__unix_ops = {
    .kind = "unix",
    .send = stream_send,
    .close = stream_close,
    .stats = stream_stats,
    .queued = stream_queued,
};
