/*
 * Upstream HTTP/1.1 connection pools (see upstream.h).
 *
 * Objects:
 *   pool  one per instance address: all its connections (list), the idle
 *         ones (LIFO: the most recently used is the most likely alive),
 *         the FIFO of requests waiting for a connection, every live request
 *         (for the response deadlines, checked by one pool timer armed to
 *         the earliest deadline).
 *   conn  a uv_tcp_t, a timer (connect timeout while CONNECTING, idle
 *         timeout while IDLE, deferred work while ACTIVE), the response
 *         parser and the unconsumed bytes read. Freed when both handles
 *         are closed.
 *   req   the serialized head, body chunks not yet handed to the socket,
 *         and (until the first response byte) a copy of everything
 *         written, for the one retry after a stale keep-alive connection.
 *
 * Callback safety: a request is never freed while one of its callbacks is
 * on the stack (cb_depth); cancel() from inside a callback only marks it.
 * Write chunks point to their connection, never to the request, since
 * libuv completes them (ECANCELED) after the request may be gone.
 */
#include "gw/upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/err.h"
#include "base/log.h"
#include "gw/http1.h"

enum { C_CONNECTING, C_ACTIVE, C_IDLE, C_CLOSING };

typedef struct conn conn_t;

typedef struct wchunk {
    uv_write_t w;
    conn_t *c;
    struct wchunk *next;
    size_t len;
    uint8_t data[];
} wchunk_t;

struct conn {
    dmsc_upstream_pool_t *pool;
    conn_t *prev, *next;   /* pool->conns */
    conn_t *iprev, *inext; /* pool->idle */
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t creq;
    int handles; /* open handles; freed at 0 */
    int state;
    dmsc_upstream_req_t *req;
    bool used;       /* a response completed on it: the next request reuses it */
    bool reused;     /* the current request was sent on a used connection */
    bool resp_keep;  /* the final response head allows keep-alive */
    bool wfail;      /* a write failed: the read side reports the outcome */
    bool reading;    /* uv_read_start in force */
    bool eof;        /* the peer closed its side */
    bool interim;    /* between a 1xx HEAD and its END */
    int pending_err; /* deferred failure (timer, 0 ms) */
    bool resume;     /* deferred parse of buffered bytes (timer, 0 ms) */
    dmsc_http1_parser_t parser;
    uint8_t *rbuf;
    size_t roff, rlen, rcap; /* unconsumed bytes: rbuf[roff..rlen) */
    size_t wq_bytes;         /* handed to uv_write, not completed */
};

struct dmsc_upstream_req {
    dmsc_upstream_pool_t *pool;
    dmsc_upstream_req_t *prev, *next;   /* pool->reqs */
    dmsc_upstream_req_t *qprev, *qnext; /* pool->queue */
    bool queued;
    conn_t *conn;
    dmsc_upstream_cb_t cb;
    void *arg;
    dmsc_gw_buf_t head;   /* serialized request head */
    dmsc_gw_buf_t replay; /* body bytes written (framed), while replay_ok */
    bool replay_ok;
    wchunk_t *pend, *pend_tail; /* not handed to the socket yet */
    size_t pend_bytes;
    int body;
    uint64_t content_length, written;
    bool ended; /* all of the body was given (or there is none) */
    bool head_request;
    bool got_bytes; /* some response byte arrived */
    bool got_head;
    bool retried;
    bool paused;
    bool want_drain;
    bool done;         /* terminal callback delivered or cancelled */
    int cb_depth;      /* callbacks on the stack */
    uint64_t deadline; /* uv_now ms of the response timeout; 0 = none */
};

struct dmsc_upstream_pool {
    uv_loop_t *loop;
    char addr[64];
    struct sockaddr_storage sa;
    dmsc_upstream_limits_t lim;
    conn_t *conns; /* every connection not closing */
    conn_t *idle;
    uint32_t n_conns, n_idle, n_connecting, n_queue, n_reqs;
    dmsc_upstream_req_t *reqs;
    dmsc_upstream_req_t *qhead, *qtail;
    uv_timer_t timer;  /* response deadlines */
    uint64_t timer_at; /* 0 = not armed */
    int handles;       /* timer + connections not yet freed */
    bool closing;
    dmsc_upstream_stats_t st;
};

static void conn_close(conn_t *c);

/* ------------------------------------------------------------------ */
/* errors                                                              */

const char *dmsc_upstream_strerror(int err)
{
    switch (err) {
    case DMSC_UPSTREAM_ECONNREFUSED:
        return "upstream connect failed (refused, unreachable or timed out)";
    case DMSC_UPSTREAM_ECONNRESET:
        return "upstream closed or reset the connection before the response was complete";
    case DMSC_UPSTREAM_ETIMEDOUT:
        return "upstream response timed out";
    case DMSC_UPSTREAM_EPROTO:
        return "malformed upstream response";
    case DMSC_UPSTREAM_ENOCAPACITY:
        return "no upstream capacity (connections busy, queue full)";
    case DMSC_UPSTREAM_ECANCELED:
        return "upstream pool closed";
    }
    return dmsc_strerror(err);
}

const char *dmsc_upstream_errname(int err)
{
    switch (err) {
    case DMSC_UPSTREAM_ECONNREFUSED:
        return "ECONNREFUSED";
    case DMSC_UPSTREAM_ECONNRESET:
        return "ECONNRESET";
    case DMSC_UPSTREAM_ETIMEDOUT:
        return "ETIMEDOUT";
    case DMSC_UPSTREAM_EPROTO:
        return "EPROTO";
    case DMSC_UPSTREAM_ENOCAPACITY:
        return "ENOCAPACITY";
    case DMSC_UPSTREAM_ECANCELED:
        return "ECANCELED";
    }
    return dmsc_errname(err);
}

static void count_error(dmsc_upstream_pool_t *pool, int err)
{
    switch (err) {
    case DMSC_UPSTREAM_ECONNREFUSED:
        pool->st.err_connect++;
        break;
    case DMSC_UPSTREAM_ECONNRESET:
        pool->st.err_reset++;
        break;
    case DMSC_UPSTREAM_ETIMEDOUT:
        pool->st.err_timeout++;
        break;
    case DMSC_UPSTREAM_EPROTO:
        pool->st.err_proto++;
        break;
    case DMSC_UPSTREAM_ENOCAPACITY:
        pool->st.err_capacity++;
        break;
    case DMSC_UPSTREAM_ECANCELED:
        break;
    default:
        pool->st.err_other++;
    }
}

void dmsc_upstream_limits_default(dmsc_upstream_limits_t *lim)
{
    lim->max_connections = 64;
    lim->max_idle = 16;
    lim->max_queue = 256;
    lim->idle_timeout_ms = 30000;
    lim->connect_timeout_ms = 2000;
    lim->write_high_water = 65536;
    lim->replay_max = 65536;
    lim->head_max = DMSC_HTTP_HEAD_MAX_DEFAULT;
    lim->body_max = 0;
    lim->read_size = 65536;
}

/* ------------------------------------------------------------------ */
/* lists                                                               */

static void conns_unlink(dmsc_upstream_pool_t *pool, conn_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        pool->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void idle_push(dmsc_upstream_pool_t *pool, conn_t *c)
{
    c->iprev = NULL;
    c->inext = pool->idle;
    if (pool->idle) pool->idle->iprev = c;
    pool->idle = c;
    pool->n_idle++;
}

static void idle_unlink(dmsc_upstream_pool_t *pool, conn_t *c)
{
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        pool->idle = c->inext;
    if (c->inext) c->inext->iprev = c->iprev;
    c->iprev = c->inext = NULL;
    pool->n_idle--;
}

static void queue_push(dmsc_upstream_pool_t *pool, dmsc_upstream_req_t *r)
{
    r->qnext = NULL;
    r->qprev = pool->qtail;
    if (pool->qtail)
        pool->qtail->qnext = r;
    else
        pool->qhead = r;
    pool->qtail = r;
    r->queued = true;
    pool->n_queue++;
}

static void queue_unlink(dmsc_upstream_pool_t *pool, dmsc_upstream_req_t *r)
{
    if (!r->queued) return;
    if (r->qprev)
        r->qprev->qnext = r->qnext;
    else
        pool->qhead = r->qnext;
    if (r->qnext)
        r->qnext->qprev = r->qprev;
    else
        pool->qtail = r->qprev;
    r->qprev = r->qnext = NULL;
    r->queued = false;
    pool->n_queue--;
}

static void reqs_unlink(dmsc_upstream_pool_t *pool, dmsc_upstream_req_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        pool->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    r->prev = r->next = NULL;
    pool->n_reqs--;
}

/* ------------------------------------------------------------------ */
/* requests: lifetime and callbacks                                    */

static void pend_free(dmsc_upstream_req_t *r)
{
    wchunk_t *ch = r->pend;
    while (ch) {
        wchunk_t *n = ch->next;
        free(ch);
        ch = n;
    }
    r->pend = r->pend_tail = NULL;
    r->pend_bytes = 0;
}

static void replay_drop(dmsc_upstream_req_t *r)
{
    r->replay_ok = false;
    dmsc_gw_buf_free(&r->replay);
}

/* The request leaves every list; memory is freed unless a callback of it
 * is on the stack (then the outermost one frees it). */
static void req_retire(dmsc_upstream_req_t *r)
{
    dmsc_upstream_pool_t *pool = r->pool;
    if (!r->done) {
        r->done = true;
        queue_unlink(pool, r);
        reqs_unlink(pool, r);
    }
    if (r->cb_depth > 0) return;
    pend_free(r);
    dmsc_gw_buf_free(&r->head);
    dmsc_gw_buf_free(&r->replay);
    free(r);
}

/* After a callback: false if the request is finished (and maybe freed). */
static bool req_after_cb(dmsc_upstream_req_t *r)
{
    r->cb_depth--;
    if (!r->done) return true;
    if (r->cb_depth == 0) req_retire(r);
    return false;
}

static void req_error(dmsc_upstream_req_t *r, int err)
{
    if (r->done) return;
    count_error(r->pool, err);
    DMSC_LOGD("gw", "upstream=%s event=request-error err=%s", r->pool->addr,
              dmsc_upstream_errname(err));
    queue_unlink(r->pool, r);
    reqs_unlink(r->pool, r);
    r->done = true;
    if (r->conn) { /* callers detach first; be safe */
        conn_t *c = r->conn;
        c->req = NULL;
        r->conn = NULL;
        if (c->state == C_ACTIVE) conn_close(c);
    }
    r->cb_depth++;
    if (r->cb.on_error) r->cb.on_error(r->arg, r, err);
    req_after_cb(r);
}

/* ------------------------------------------------------------------ */
/* connections                                                         */

static void conn_close(conn_t *c);
static void conn_process(conn_t *c);
static void conn_flush(conn_t *c);
static int req_dispatch(dmsc_upstream_req_t *r, bool fresh);
static void on_conn_timer(uv_timer_t *t);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void pool_maybe_free(dmsc_upstream_pool_t *pool)
{
    if (pool->closing && pool->handles == 0) free(pool);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (--c->handles > 0) return;
    dmsc_upstream_pool_t *pool = c->pool;
    free(c->rbuf);
    free(c);
    pool->handles--;
    pool_maybe_free(pool);
}

/* Close a connection. Its request (if any) is detached, without callbacks. */
static void conn_close(conn_t *c)
{
    dmsc_upstream_pool_t *pool = c->pool;
    if (c->state == C_CLOSING) return;
    if (c->state == C_IDLE) idle_unlink(pool, c);
    if (c->state == C_CONNECTING) pool->n_connecting--;
    c->state = C_CLOSING;
    conns_unlink(pool, c);
    pool->n_conns--;
    if (c->req) {
        c->req->conn = NULL;
        c->req = NULL;
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

/* Room for a connection again: start queued requests. */
static void pool_kick(dmsc_upstream_pool_t *pool)
{
    while (!pool->closing && pool->qhead &&
           (pool->idle || pool->n_conns < pool->lim.max_connections)) {
        dmsc_upstream_req_t *r = pool->qhead;
        queue_unlink(pool, r);
        int rc = req_dispatch(r, false);
        if (rc < 0) req_error(r, rc);
    }
}

static void conn_close_kick(conn_t *c)
{
    dmsc_upstream_pool_t *pool = c->pool;
    conn_close(c);
    pool_kick(pool);
}

/* The connection broke under its request: retry once on a fresh
 * connection when it was a reused one and nothing came back, else fail. */
static void conn_fail(conn_t *c, int err)
{
    dmsc_upstream_pool_t *pool = c->pool;
    dmsc_upstream_req_t *r = c->req;
    bool reused = c->reused;
    conn_close(c);
    if (r && !r->done) {
        if (err == DMSC_UPSTREAM_ECONNRESET && reused && !r->got_bytes && r->replay_ok &&
            !r->retried && !pool->closing) {
            r->retried = true;
            pool->st.retries++;
            DMSC_LOGD("gw", "upstream=%s event=retry reason=stale-connection", pool->addr);
            /* head + every body byte written so far (the replay copy holds
             * the pending chunks too) */
            pend_free(r);
            size_t n = r->head.len + r->replay.len;
            wchunk_t *ch = malloc(sizeof *ch + n);
            int rc = DMSC_ENOMEM;
            if (ch) {
                ch->next = NULL;
                ch->len = n;
                memcpy(ch->data, r->head.p, r->head.len);
                if (r->replay.len) memcpy(ch->data + r->head.len, r->replay.p, r->replay.len);
                r->pend = r->pend_tail = ch;
                r->pend_bytes = n;
                rc = req_dispatch(r, true);
            }
            if (rc < 0) req_error(r, rc);
        } else {
            req_error(r, err);
        }
    }
    pool_kick(pool);
}

/* Fail later, from the connection's timer (for errors found inside an API
 * call, where callbacks must not run). */
static void conn_fail_later(conn_t *c, int err)
{
    if (c->state == C_CLOSING) return;
    c->pending_err = err;
    uv_timer_start(&c->timer, on_conn_timer, 0, 0);
}

static void conn_read_stop(conn_t *c)
{
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    conn_t *c = h->data;
    if (c->roff > 0) {
        memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
        c->rlen -= c->roff;
        c->roff = 0;
    }
    if (!c->rbuf) c->rbuf = malloc(c->rcap);
    if (!c->rbuf) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = (char *)c->rbuf + c->rlen;
    buf->len = c->rcap - c->rlen;
}

static void conn_read_start(conn_t *c)
{
    if (c->reading || c->eof || c->state == C_CLOSING || c->state == C_CONNECTING) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = true;
}

static void conn_set_idle(conn_t *c)
{
    dmsc_upstream_pool_t *pool = c->pool;
    if (pool->n_idle >= pool->lim.max_idle || c->eof || c->wfail) {
        conn_close(c);
        return;
    }
    c->state = C_IDLE;
    c->resume = false;
    idle_push(pool, c);
    if (c->rlen == c->roff) { /* an idle connection holds no read buffer */
        free(c->rbuf);
        c->rbuf = NULL;
        c->rlen = c->roff = 0;
    }
    uv_timer_start(&c->timer, on_conn_timer, pool->lim.idle_timeout_ms, 0);
    conn_read_start(c); /* notice the server closing it */
}

static void conn_assign(conn_t *c, dmsc_upstream_req_t *r)
{
    dmsc_upstream_pool_t *pool = c->pool;
    c->req = r;
    r->conn = c;
    c->reused = c->used;
    c->interim = false;
    c->resp_keep = false;
    if (c->reused)
        pool->st.reused++;
    else
        replay_drop(r); /* retry only ever applies to reused connections */
    dmsc_http1_parser_expect_response(&c->parser, r->head_request);
    if (c->state == C_ACTIVE) {
        conn_read_start(c);
        conn_flush(c);
    }
}

/* c is connected and free: the next queued request, or the idle list. */
static void conn_next(conn_t *c)
{
    dmsc_upstream_pool_t *pool = c->pool;
    c->req = NULL;
    if (pool->qhead && !c->eof && !c->wfail) {
        dmsc_upstream_req_t *r = pool->qhead;
        queue_unlink(pool, r);
        conn_assign(c, r);
        return;
    }
    conn_set_idle(c);
}

static void on_connect(uv_connect_t *cr, int status)
{
    conn_t *c = cr->data;
    dmsc_upstream_pool_t *pool = c->pool;
    if (c->state == C_CLOSING) return; /* closed while connecting (UV_ECANCELED) */
    uv_timer_stop(&c->timer);
    if (status < 0) {
        DMSC_LOGD("gw", "upstream=%s event=connect-failed err=%s", pool->addr, uv_err_name(status));
        conn_fail(c, DMSC_UPSTREAM_ECONNREFUSED);
        return;
    }
    c->state = C_ACTIVE;
    pool->n_connecting--;
    uv_tcp_nodelay(&c->tcp, 1);
    if (c->req) {
        conn_read_start(c);
        conn_flush(c);
    } else {
        conn_next(c);
    }
}

static conn_t *conn_open(dmsc_upstream_pool_t *pool)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->pool = pool;
    c->rcap = pool->lim.read_size + pool->lim.head_max;
    dmsc_http1_limits_t hl = {.head_max = pool->lim.head_max, .body_max = pool->lim.body_max};
    dmsc_http1_parser_init(&c->parser, false, &hl);
    uv_tcp_init(pool->loop, &c->tcp);
    uv_timer_init(pool->loop, &c->timer);
    c->tcp.data = c->timer.data = c->creq.data = c;
    c->handles = 2;
    pool->handles++;
    c->next = pool->conns;
    if (pool->conns) pool->conns->prev = c;
    pool->conns = c;
    pool->n_conns++;
    pool->n_connecting++;
    pool->st.conns_opened++;
    c->state = C_CONNECTING;
    int rc = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&pool->sa, on_connect);
    if (rc < 0) {
        DMSC_LOGD("gw", "upstream=%s event=connect-failed err=%s", pool->addr, uv_err_name(rc));
        conn_fail_later(c, DMSC_UPSTREAM_ECONNREFUSED);
    } else {
        uv_timer_start(&c->timer, on_conn_timer, pool->lim.connect_timeout_ms, 0);
    }
    return c;
}

static void on_conn_timer(uv_timer_t *t)
{
    conn_t *c = t->data;
    dmsc_upstream_pool_t *pool = c->pool;
    if (c->state == C_CLOSING) return;
    if (c->pending_err) {
        int err = c->pending_err;
        c->pending_err = 0;
        conn_fail(c, err);
        return;
    }
    switch (c->state) {
    case C_CONNECTING:
        pool->st.connect_timeouts++;
        DMSC_LOGD("gw", "upstream=%s event=connect-timeout", pool->addr);
        conn_fail(c, DMSC_UPSTREAM_ECONNREFUSED);
        return;
    case C_IDLE:
        conn_close(c);
        return;
    case C_ACTIVE:
        if (c->resume) {
            c->resume = false;
            conn_process(c);
        }
        return;
    }
}

/* ---- writing ---- */

static void on_write(uv_write_t *w, int status)
{
    wchunk_t *ch = (wchunk_t *)w;
    conn_t *c = ch->c;
    c->wq_bytes -= ch->len;
    free(ch);
    if (c->state == C_CLOSING) return;
    dmsc_upstream_req_t *r = c->req;
    if (status < 0) {
        /* EPIPE/ECONNRESET: the read side will see the close (and may
         * still read a response the server sent first) */
        c->wfail = true;
        if (!c->reading && !(r && r->paused)) conn_fail(c, DMSC_UPSTREAM_ECONNRESET);
        return;
    }
    if (r && r->want_drain && !c->wfail &&
        r->pend_bytes + c->wq_bytes <= r->pool->lim.write_high_water / 2) {
        r->want_drain = false;
        if (r->cb.on_drain) {
            r->cb_depth++;
            r->cb.on_drain(r->arg, r);
            req_after_cb(r);
        }
    }
}

/* Hand the request's pending chunks to the socket. */
static void conn_flush(conn_t *c)
{
    dmsc_upstream_req_t *r = c->req;
    if (!r || c->state != C_ACTIVE) return;
    while (r->pend) {
        wchunk_t *ch = r->pend;
        r->pend = ch->next;
        if (!r->pend) r->pend_tail = NULL;
        r->pend_bytes -= ch->len;
        if (c->wfail) {
            free(ch);
            continue;
        }
        ch->c = c;
        uv_buf_t b = uv_buf_init((char *)ch->data, (unsigned)ch->len);
        if (c->wq_bytes == 0 && !r->want_drain) {
            /* nothing in flight: write now (uv_write would toggle the
             * socket's epoll interest for every request). Not while the
             * writer waits for on_drain: that comes from on_write. */
            int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
            if (w == (int)ch->len) {
                free(ch);
                continue;
            }
            if (w > 0) {
                memmove(ch->data, ch->data + w, ch->len - (size_t)w);
                ch->len -= (size_t)w;
                b = uv_buf_init((char *)ch->data, (unsigned)ch->len);
            }
        }
        int rc = uv_write(&ch->w, (uv_stream_t *)&c->tcp, &b, 1, on_write);
        if (rc < 0) {
            free(ch);
            c->wfail = true;
            conn_fail_later(c, DMSC_UPSTREAM_ECONNRESET);
            continue;
        }
        c->wq_bytes += ch->len;
    }
}

/* ---- reading ---- */

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (nread == 0 || c->state == C_CLOSING) return;
    if (nread < 0 && nread != UV_EOF) {
        conn_read_stop(c);
        if (c->req)
            conn_fail(c, nread == UV_ENOBUFS ? DMSC_ENOMEM : DMSC_UPSTREAM_ECONNRESET);
        else
            conn_close_kick(c);
        return;
    }
    if (nread == UV_EOF) {
        conn_read_stop(c);
        c->eof = true;
    } else {
        c->rlen += (size_t)nread;
    }
    if (c->state == C_IDLE || !c->req) {
        /* closed by the server while idle, or bytes nobody asked for */
        conn_close_kick(c);
        return;
    }
    if (nread > 0 && !c->req->got_bytes) {
        c->req->got_bytes = true;
        replay_drop(c->req);
    }
    conn_process(c);
}

/* Parse the buffered bytes and deliver the events to c's request until
 * more bytes are needed, the request pauses or ends, or the connection
 * fails. */
static void conn_process(conn_t *c)
{
    dmsc_upstream_pool_t *pool = c->pool;
    while (c->state == C_ACTIVE && c->req) {
        dmsc_upstream_req_t *r = c->req;
        if (r->paused) {
            conn_read_stop(c);
            return;
        }
        size_t used = 0;
        dmsc_http1_event_t ev;
        int t = dmsc_http1_parse(&c->parser, c->rbuf + c->roff, c->rlen - c->roff, &used, &ev);
        c->roff += used;
        if (t == DMSC_HTTP1_NEED_MORE && c->eof) {
            t = dmsc_http1_parse_eof(&c->parser, &ev);
            if (t != DMSC_HTTP1_END) {
                /* closed before the response was complete (or began: the
                 * stale keep-alive case, retried when possible) */
                conn_fail(c, DMSC_UPSTREAM_ECONNRESET);
                return;
            }
        }
        switch (t) {
        case DMSC_HTTP1_NEED_MORE:
            if (c->roff == c->rlen)
                c->roff = c->rlen = 0;
            else if (c->rlen - c->roff >= c->rcap) {
                conn_fail(c, DMSC_UPSTREAM_EPROTO);
                return;
            }
            conn_read_start(c);
            return;
        case DMSC_HTTP1_ERROR:
            DMSC_LOGD("gw", "upstream=%s event=bad-response reason=\"%s\"", pool->addr,
                      ev.reason ? ev.reason : "");
            conn_fail(c, DMSC_UPSTREAM_EPROTO);
            return;
        case DMSC_HTTP1_HEAD:
            if (ev.head.status < 200) {
                c->interim = true;
                continue;
            }
            r->got_head = true;
            r->deadline = 0;
            c->resp_keep = ev.head.keep_alive;
            r->cb_depth++;
            /* views stay valid: the bytes are dropped from rbuf only by the
             * next read, which cannot happen during the call */
            if (r->cb.on_head) r->cb.on_head(r->arg, r, &ev.head);
            if (!req_after_cb(r)) return;
            continue;
        case DMSC_HTTP1_BODY:
            r->cb_depth++;
            if (r->cb.on_body) r->cb.on_body(r->arg, r, ev.data, ev.len);
            if (!req_after_cb(r)) return;
            continue;
        case DMSC_HTTP1_END: {
            if (c->interim) {
                c->interim = false;
                continue;
            }
            bool sent = r->ended && !r->pend && c->wq_bytes == 0;
            /* terminal: detach first, so cancel() from on_end is a no-op */
            r->done = true;
            queue_unlink(pool, r);
            reqs_unlink(pool, r);
            r->conn = NULL;
            c->req = NULL;
            pool->st.responses++;
            r->cb_depth++;
            if (r->cb.on_end) r->cb.on_end(r->arg, r, ev.head.fields, ev.head.nfields);
            req_after_cb(r);
            if (c->state != C_ACTIVE) return; /* the pool was closed meanwhile */
            if (!c->resp_keep || !sent || c->eof || c->roff < c->rlen || c->wfail) {
                conn_close_kick(c);
                return;
            }
            c->used = true;
            c->roff = c->rlen = 0;
            conn_next(c);
            return;
        }
        }
    }
}

/* ------------------------------------------------------------------ */
/* pool timer: response deadlines                                      */

static void pool_timer_arm(dmsc_upstream_pool_t *pool);

static void on_pool_timer(uv_timer_t *t)
{
    dmsc_upstream_pool_t *pool = t->data;
    pool->timer_at = 0;
    uint64_t now = uv_now(pool->loop);
    for (;;) {
        dmsc_upstream_req_t *hit = NULL;
        for (dmsc_upstream_req_t *r = pool->reqs; r; r = r->next)
            if (r->deadline && r->deadline <= now && !r->got_head) {
                hit = r;
                break;
            }
        if (!hit) break;
        hit->deadline = 0;
        conn_t *c = hit->conn;
        if (c) {
            c->req = NULL;
            hit->conn = NULL;
            /* a connection still connecting can serve the next request;
             * one that carries this request's bytes cannot */
            if (c->state != C_CONNECTING) conn_close(c);
        }
        req_error(hit, DMSC_UPSTREAM_ETIMEDOUT);
        if (pool->closing) return;
    }
    pool_kick(pool);
    pool_timer_arm(pool);
}

static void pool_timer_arm(dmsc_upstream_pool_t *pool)
{
    if (pool->closing) return;
    uint64_t first = 0;
    for (dmsc_upstream_req_t *r = pool->reqs; r; r = r->next)
        if (r->deadline && !r->got_head && (!first || r->deadline < first)) first = r->deadline;
    if (first == pool->timer_at) return;
    uv_timer_stop(&pool->timer);
    pool->timer_at = first;
    if (!first) return;
    uint64_t now = uv_now(pool->loop);
    uv_timer_start(&pool->timer, on_pool_timer, first > now ? first - now : 0, 0);
}

/* ------------------------------------------------------------------ */
/* pool                                                                */

static int parse_addr(const char *addr, struct sockaddr_storage *ss)
{
    char host[64];
    const char *colon;
    const char *h = addr;
    size_t hl;
    memset(ss, 0, sizeof *ss);
    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (!rb || rb[1] != ':') return DMSC_EINVAL;
        h = addr + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || memchr(addr, ':', (size_t)(colon - addr))) return DMSC_EINVAL;
        hl = (size_t)(colon - addr);
    }
    if (hl == 0 || hl >= sizeof host) return DMSC_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    const char *ps = colon + 1;
    if (!*ps || strlen(ps) > 5) return DMSC_EINVAL;
    unsigned port = 0;
    for (const char *q = ps; *q; q++) {
        if (*q < '0' || *q > '9') return DMSC_EINVAL;
        port = port * 10 + (unsigned)(*q - '0');
    }
    if (port == 0 || port > 65535) return DMSC_EINVAL;
    if (addr[0] == '[') {
        if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss)) return DMSC_EINVAL;
    } else if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss)) {
        return DMSC_EINVAL;
    }
    return 0;
}

int dmsc_upstream_addr_parse(const char *addr, void *ss)
{
    struct sockaddr_storage tmp;
    int rc = parse_addr(addr, &tmp);
    if (rc == 0 && ss) memcpy(ss, &tmp, sizeof tmp);
    return rc;
}

int dmsc_upstream_pool_new(uv_loop_t *loop, const char *addr, const dmsc_upstream_limits_t *lim,
                           dmsc_upstream_pool_t **out)
{
    if (!loop || !addr || strlen(addr) >= sizeof((dmsc_upstream_pool_t *)0)->addr)
        return DMSC_EINVAL;
    dmsc_upstream_limits_t l;
    if (lim)
        l = *lim;
    else
        dmsc_upstream_limits_default(&l);
    if (l.max_connections == 0 || l.read_size < 1024 || l.write_high_water == 0) return DMSC_EINVAL;
    if (l.head_max == 0) l.head_max = DMSC_HTTP_HEAD_MAX_DEFAULT;
    if (l.head_max > DMSC_HTTP_HEAD_MAX_LIMIT) l.head_max = DMSC_HTTP_HEAD_MAX_LIMIT;
    dmsc_upstream_pool_t *pool = calloc(1, sizeof *pool);
    if (!pool) return DMSC_ENOMEM;
    if (parse_addr(addr, &pool->sa)) {
        free(pool);
        return DMSC_EINVAL;
    }
    pool->loop = loop;
    pool->lim = l;
    snprintf(pool->addr, sizeof pool->addr, "%s", addr);
    uv_timer_init(loop, &pool->timer);
    pool->timer.data = pool;
    pool->handles = 1;
    *out = pool;
    return 0;
}

static void on_pool_timer_closed(uv_handle_t *h)
{
    dmsc_upstream_pool_t *pool = h->data;
    pool->handles--;
    pool_maybe_free(pool);
}

void dmsc_upstream_pool_close(dmsc_upstream_pool_t *pool)
{
    if (!pool || pool->closing) return;
    pool->closing = true;
    while (pool->reqs) {
        dmsc_upstream_req_t *r = pool->reqs;
        if (r->conn) {
            r->conn->req = NULL;
            r->conn = NULL;
        }
        req_error(r, DMSC_UPSTREAM_ECANCELED);
    }
    while (pool->conns)
        conn_close(pool->conns);
    uv_close((uv_handle_t *)&pool->timer, on_pool_timer_closed);
}

const char *dmsc_upstream_pool_addr(const dmsc_upstream_pool_t *pool)
{
    return pool->addr;
}

void dmsc_upstream_pool_stats(const dmsc_upstream_pool_t *pool, dmsc_upstream_stats_t *st)
{
    *st = pool->st;
    st->conns_open = pool->n_conns;
    st->conns_idle = pool->n_idle;
    st->conns_connecting = pool->n_connecting;
    st->queue_len = pool->n_queue;
    st->active = pool->n_reqs;
}

/* ------------------------------------------------------------------ */
/* requests: API                                                       */

/* An idle connection, a new one, or the queue. fresh: never an idle one
 * (the retry after a stale idle connection). */
static int req_dispatch(dmsc_upstream_req_t *r, bool fresh)
{
    dmsc_upstream_pool_t *pool = r->pool;
    if (!fresh && pool->idle) {
        conn_t *c = pool->idle;
        idle_unlink(pool, c);
        uv_timer_stop(&c->timer);
        c->state = C_ACTIVE;
        conn_assign(c, r);
        return 0;
    }
    if (pool->n_conns < pool->lim.max_connections) {
        conn_t *c = conn_open(pool);
        if (!c) return DMSC_ENOMEM;
        conn_assign(c, r);
        return 0;
    }
    if (fresh && pool->idle) { /* no room for a fresh one: close an idle one */
        conn_close(pool->idle);
        return req_dispatch(r, true);
    }
    queue_push(pool, r);
    pool->st.queued++;
    return 0;
}

static int chunk_add(dmsc_upstream_req_t *r, const void *pre, size_t npre, const void *p, size_t n,
                     const void *post, size_t npost)
{
    size_t len = npre + n + npost;
    wchunk_t *ch = malloc(sizeof *ch + len);
    if (!ch) return DMSC_ENOMEM;
    ch->next = NULL;
    ch->c = NULL;
    ch->len = len;
    if (npre) memcpy(ch->data, pre, npre);
    if (n) memcpy(ch->data + npre, p, n);
    if (npost) memcpy(ch->data + npre + n, post, npost);
    if (r->replay_ok && !r->got_bytes) {
        if (r->replay.len + len > r->pool->lim.replay_max ||
            dmsc_gw_buf_append(&r->replay, ch->data, len) < 0)
            replay_drop(r);
    }
    if (r->pend_tail)
        r->pend_tail->next = ch;
    else
        r->pend = ch;
    r->pend_tail = ch;
    r->pend_bytes += len;
    return 0;
}

int dmsc_upstream_request(dmsc_upstream_pool_t *pool, const dmsc_upstream_reqspec_t *spec,
                          const dmsc_upstream_cb_t *cb, void *arg, dmsc_upstream_req_t **out)
{
    if (!pool || !spec || !cb || !out) return DMSC_EINVAL;
    if (pool->closing) return DMSC_UPSTREAM_ECANCELED;
    if (spec->body != DMSC_HTTP_BODY_NONE && spec->body != DMSC_HTTP_BODY_LENGTH &&
        spec->body != DMSC_HTTP_BODY_CHUNKED)
        return DMSC_EINVAL;
    if (!pool->idle && pool->n_conns >= pool->lim.max_connections &&
        pool->n_queue >= pool->lim.max_queue) {
        pool->st.err_capacity++;
        return DMSC_UPSTREAM_ENOCAPACITY;
    }
    dmsc_upstream_req_t *r = calloc(1, sizeof *r);
    if (!r) return DMSC_ENOMEM;
    r->pool = pool;
    r->cb = *cb;
    r->arg = arg;
    dmsc_gw_buf_init(&r->head, DMSC_HTTP_HEAD_MAX_LIMIT * 2);
    dmsc_gw_buf_init(&r->replay, pool->lim.replay_max ? pool->lim.replay_max : 1);
    r->replay_ok = pool->lim.replay_max > 0;
    int rc = dmsc_http1_write_request(&r->head, spec->method, spec->method_len, spec->target,
                                      spec->target_len, spec->fields, spec->nfields, spec->body,
                                      spec->content_length, true);
    if (rc == 0) {
        /* the head is kept in r->head for a retry: not in the replay copy */
        bool ok = r->replay_ok;
        r->replay_ok = false;
        rc = chunk_add(r, NULL, 0, r->head.p, r->head.len, NULL, 0);
        r->replay_ok = ok;
    }
    if (rc < 0) {
        pend_free(r);
        dmsc_gw_buf_free(&r->head);
        free(r);
        return rc;
    }
    r->body = spec->body;
    r->content_length = spec->content_length;
    r->ended = spec->body == DMSC_HTTP_BODY_NONE ||
               (spec->body == DMSC_HTTP_BODY_LENGTH && spec->content_length == 0);
    r->head_request = spec->method_len == 4 && memcmp(spec->method, "HEAD", 4) == 0;
    if (spec->response_timeout_ms) r->deadline = uv_now(pool->loop) + spec->response_timeout_ms;
    r->next = pool->reqs;
    if (pool->reqs) pool->reqs->prev = r;
    pool->reqs = r;
    pool->n_reqs++;
    pool->st.requests++;
    rc = req_dispatch(r, false);
    if (rc < 0) {
        reqs_unlink(pool, r);
        pool->st.requests--;
        pend_free(r);
        dmsc_gw_buf_free(&r->head);
        dmsc_gw_buf_free(&r->replay);
        free(r);
        return rc;
    }
    if (r->deadline) pool_timer_arm(pool);
    *out = r;
    return 0;
}

size_t dmsc_upstream_queued(const dmsc_upstream_req_t *r)
{
    return r->pend_bytes + (r->conn ? r->conn->wq_bytes : 0);
}

static int after_write(dmsc_upstream_req_t *r)
{
    if (r->conn) conn_flush(r->conn);
    if (dmsc_upstream_queued(r) > r->pool->lim.write_high_water) {
        r->want_drain = true;
        return 1;
    }
    return 0;
}

int dmsc_upstream_write(dmsc_upstream_req_t *r, const void *p, size_t n)
{
    if (r->done || r->ended || r->body == DMSC_HTTP_BODY_NONE) return DMSC_EINVAL;
    if (r->body == DMSC_HTTP_BODY_LENGTH && n > r->content_length - r->written) return DMSC_EINVAL;
    if (n == 0) return dmsc_upstream_queued(r) > r->pool->lim.write_high_water ? 1 : 0;
    int rc;
    if (r->body == DMSC_HTTP_BODY_CHUNKED) {
        char hdr[24];
        int hl = snprintf(hdr, sizeof hdr, "%zx\r\n", n);
        rc = chunk_add(r, hdr, (size_t)hl, p, n, "\r\n", 2);
    } else {
        rc = chunk_add(r, NULL, 0, p, n, NULL, 0);
    }
    if (rc < 0) return rc;
    r->written += n;
    return after_write(r);
}

int dmsc_upstream_end(dmsc_upstream_req_t *r, const dmsc_http_field_t *trailers, size_t ntrailers)
{
    if (r->done || r->ended) return DMSC_EINVAL;
    if (r->body == DMSC_HTTP_BODY_LENGTH && r->written != r->content_length) return DMSC_EINVAL;
    if (r->body == DMSC_HTTP_BODY_CHUNKED) {
        dmsc_gw_buf_t b;
        dmsc_gw_buf_init(&b, DMSC_HTTP_HEAD_MAX_LIMIT);
        int rc = dmsc_http1_write_last_chunk(&b, trailers, ntrailers);
        if (rc == 0) rc = chunk_add(r, NULL, 0, b.p, b.len, NULL, 0);
        dmsc_gw_buf_free(&b);
        if (rc < 0) return rc;
    }
    r->ended = true;
    after_write(r);
    return 0;
}

void dmsc_upstream_pause(dmsc_upstream_req_t *r, bool pause)
{
    if (r->done || r->paused == pause) return;
    r->paused = pause;
    conn_t *c = r->conn;
    if (!c || c->state != C_ACTIVE) return;
    if (pause) {
        conn_read_stop(c);
        return;
    }
    if (r->cb_depth > 0) return; /* inside a callback: conn_process goes on */
    /* bytes already read (or an END without bytes) are delivered from the
     * loop, never from inside this call; conn_process restarts reading */
    c->resume = true;
    uv_timer_start(&c->timer, on_conn_timer, 0, 0);
}

void dmsc_upstream_cancel(dmsc_upstream_req_t *r)
{
    if (r->done) return;
    dmsc_upstream_pool_t *pool = r->pool;
    pool->st.canceled++;
    conn_t *c = r->conn;
    r->conn = NULL;
    req_retire(r);
    if (c) {
        c->req = NULL;
        if (c->state == C_ACTIVE) conn_close_kick(c);
        /* CONNECTING: it will serve the next queued request or go idle */
    }
}
