/*
 * Upstream connection pools against scripted HTTP/1.1 servers on
 * 127.0.0.1 (ephemeral ports), all in one libuv loop: keep-alive reuse,
 * the pool bound and queue, connect refusal, resets mid-response,
 * chunked request bodies with back-pressure, response pause/resume, HEAD,
 * 1xx, trailers, the retry after a stale keep-alive connection, timeouts,
 * malformed responses, cancel. Every test closes every handle and checks
 * that the loop closes cleanly (ASan checks the rest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/err.h"
#include "gw/http1.h"
#include "gw/upstream.h"

/* ------------------------------------------------------------------ */
/* scripted server                                                     */

typedef struct srv srv_t;
typedef struct sconn sconn_t;

/* Called with every new byte; the request parser has consumed what it
 * could. `ev_end` is true once per complete request. */
typedef void (*srv_req_cb)(sconn_t *c, int nreq);

struct sconn {
    srv_t *s;
    uv_tcp_t tcp;
    sconn_t *next;
    bool closed;
    dmsc_http1_parser_t p;
    dmsc_gw_buf_t in;
    int nreq;           /* complete requests so far */
    char method[16];    /* of the last request */
    char target[256];   /* of the last request */
    dmsc_gw_buf_t body; /* body of the last request */
    char trailer[128];  /* "name: value" of the last request's first trailer */
};

struct srv {
    uv_loop_t *loop;
    uv_tcp_t l;
    int port;
    int accepted;
    sconn_t *conns;
    srv_req_cb on_req;
    bool eof_seen; /* a client connection was closed by the client */
    int user;      /* per-test knob */
};

static void on_sconn_closed(uv_handle_t *h)
{
    sconn_t *c = h->data;
    dmsc_gw_buf_free(&c->in);
    dmsc_gw_buf_free(&c->body);
    free(c);
}

static void sconn_close(sconn_t *c)
{
    if (c->closed) return;
    c->closed = true;
    srv_t *s = c->s;
    for (sconn_t **pp = &s->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    uv_close((uv_handle_t *)&c->tcp, on_sconn_closed);
}

static void on_swrite(uv_write_t *w, int status)
{
    free(w);
}

static void sconn_send(sconn_t *c, const void *p, size_t n)
{
    if (c->closed) return;
    uv_write_t *w = malloc(sizeof *w + n);
    memcpy(w + 1, p, n);
    uv_buf_t b = uv_buf_init((char *)(w + 1), (unsigned)n);
    assert_int_equal(uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_swrite), 0);
}

static void sconn_sends(sconn_t *c, const char *s)
{
    sconn_send(c, s, strlen(s));
}

static void on_salloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    sconn_t *c = h->data;
    assert_int_equal(dmsc_gw_buf_reserve(&c->in, 65536), 0);
    buf->base = (char *)c->in.p + c->in.len;
    buf->len = 65536;
}

static void on_sread(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    sconn_t *c = st->data;
    if (n < 0) {
        c->s->eof_seen = true;
        sconn_close(c);
        return;
    }
    c->in.len += (size_t)n;
    for (;;) {
        size_t used;
        dmsc_http1_event_t ev;
        int t = dmsc_http1_parse(&c->p, c->in.p, c->in.len, &used, &ev);
        if (t == DMSC_HTTP1_HEAD) {
            snprintf(c->method, sizeof c->method, "%.*s", (int)ev.head.method_len, ev.head.method);
            snprintf(c->target, sizeof c->target, "%.*s", (int)ev.head.target_len, ev.head.target);
            c->body.len = 0;
            c->trailer[0] = '\0';
        } else if (t == DMSC_HTTP1_BODY) {
            assert_int_equal(dmsc_gw_buf_append(&c->body, ev.data, ev.len), 0);
        } else if (t == DMSC_HTTP1_END) {
            if (ev.head.nfields)
                snprintf(c->trailer, sizeof c->trailer, "%.*s: %.*s",
                         (int)ev.head.fields[0].name_len, ev.head.fields[0].name,
                         (int)ev.head.fields[0].value_len, ev.head.fields[0].value);
        }
        dmsc_gw_buf_drop(&c->in, used);
        if (t == DMSC_HTTP1_NEED_MORE) break;
        assert_int_not_equal(t, DMSC_HTTP1_ERROR);
        if (t == DMSC_HTTP1_END) {
            c->nreq++;
            if (c->s->on_req) c->s->on_req(c, c->nreq);
            if (c->closed) return;
        }
    }
}

static void on_sconnection(uv_stream_t *l, int status)
{
    srv_t *s = l->data;
    assert_int_equal(status, 0);
    sconn_t *c = calloc(1, sizeof *c);
    c->s = s;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    dmsc_http1_parser_init(&c->p, true, NULL);
    dmsc_gw_buf_init(&c->in, 1 << 22);
    dmsc_gw_buf_init(&c->body, 1 << 22);
    c->next = s->conns;
    s->conns = c;
    s->accepted++;
    uv_read_start((uv_stream_t *)&c->tcp, on_salloc, on_sread);
}

static void srv_start(srv_t *s, uv_loop_t *loop, srv_req_cb cb)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->on_req = cb;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_init(loop, &s->l);
    s->l.data = s;
    assert_int_equal(uv_tcp_bind(&s->l, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->l, 64, on_sconnection), 0);
    struct sockaddr_in la;
    int len = sizeof la;
    uv_tcp_getsockname(&s->l, (struct sockaddr *)&la, &len);
    s->port = ntohs(la.sin_port);
}

static void srv_stop(srv_t *s)
{
    if (!s->loop) return;
    while (s->conns)
        sconn_close(s->conns);
    if (!uv_is_closing((uv_handle_t *)&s->l)) uv_close((uv_handle_t *)&s->l, NULL);
}

static void srv_addr(const srv_t *s, char *out, size_t cap)
{
    snprintf(out, cap, "127.0.0.1:%d", s->port);
}

/* A port nothing listens on: bind, read the port, close. */
static int free_port(uv_loop_t *loop)
{
    uv_tcp_t t;
    struct sockaddr_in sa, la;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_init(loop, &t);
    assert_int_equal(uv_tcp_bind(&t, (struct sockaddr *)&sa, 0), 0);
    int len = sizeof la;
    uv_tcp_getsockname(&t, (struct sockaddr *)&la, &len);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return ntohs(la.sin_port);
}

/* ------------------------------------------------------------------ */
/* client side recorder                                                */

typedef struct {
    dmsc_upstream_req_t *req;
    int status;
    int heads;
    int body_kind;
    dmsc_gw_buf_t body;
    int ends;
    int err; /* 0 or the on_error code */
    int errors;
    int drains;
    char trailer[128];
    /* pause after this many body bytes (0 = never) */
    size_t pause_at;
    bool paused;
    int bodies_while_paused;
    bool cancel_in_body;
} rec_t;

static void rec_init(rec_t *r)
{
    memset(r, 0, sizeof *r);
    dmsc_gw_buf_init(&r->body, 1 << 24);
}

static void rec_free(rec_t *r)
{
    dmsc_gw_buf_free(&r->body);
}

static bool rec_done(const rec_t *r)
{
    return r->ends + r->errors > 0;
}

static void on_head(void *arg, dmsc_upstream_req_t *req, const dmsc_http_head_t *h)
{
    rec_t *r = arg;
    r->heads++;
    r->status = h->status;
    r->body_kind = h->body;
}

static void on_body(void *arg, dmsc_upstream_req_t *req, const uint8_t *p, size_t n)
{
    rec_t *r = arg;
    if (r->paused) r->bodies_while_paused++;
    assert_int_equal(dmsc_gw_buf_append(&r->body, p, n), 0);
    if (r->cancel_in_body) {
        dmsc_upstream_cancel(req);
        r->req = NULL;
        r->errors++; /* "done" for run_until */
        return;
    }
    if (r->pause_at && r->body.len >= r->pause_at && !r->paused) {
        r->paused = true;
        dmsc_upstream_pause(req, true);
    }
}

static void on_end(void *arg, dmsc_upstream_req_t *req, const dmsc_http_field_t *t, size_t nt)
{
    rec_t *r = arg;
    r->ends++;
    r->req = NULL;
    if (nt)
        snprintf(r->trailer, sizeof r->trailer, "%.*s: %.*s", (int)t[0].name_len, t[0].name,
                 (int)t[0].value_len, t[0].value);
}

static void on_error(void *arg, dmsc_upstream_req_t *req, int err)
{
    rec_t *r = arg;
    r->errors++;
    r->err = err;
    r->req = NULL;
}

static void on_drain(void *arg, dmsc_upstream_req_t *req)
{
    rec_t *r = arg;
    r->drains++;
}

static const dmsc_upstream_cb_t CB = {on_head, on_body, on_end, on_error, on_drain};

static const dmsc_http_field_t HOST[] = {{"Host", 4, "svc", 3}};

static int start(dmsc_upstream_pool_t *pool, rec_t *r, const char *method, const char *target,
                 int body, uint64_t cl, uint64_t timeout_ms)
{
    dmsc_upstream_reqspec_t spec = {
        .method = method,
        .method_len = strlen(method),
        .target = target,
        .target_len = strlen(target),
        .fields = HOST,
        .nfields = 1,
        .body = body,
        .content_length = cl,
        .response_timeout_ms = timeout_ms,
    };
    return dmsc_upstream_request(pool, &spec, &CB, r, &r->req);
}

/* ------------------------------------------------------------------ */
/* fixture                                                             */

typedef struct {
    uv_loop_t loop;
    uv_timer_t watchdog;
    bool expired;
    srv_t srv;
    dmsc_upstream_pool_t *pool;
    char addr[64];
} fx_t;

static void on_watchdog(uv_timer_t *t)
{
    fx_t *fx = t->data;
    fx->expired = true;
}

/* Run the loop until cond(arg) holds; the watchdog only guards against a
 * hang (the test then fails), it never decides a result. */
static void run_until(fx_t *fx, bool (*cond)(void *), void *arg)
{
    fx->expired = false;
    uv_timer_start(&fx->watchdog, on_watchdog, 10000, 0);
    while (!cond(arg) && !fx->expired)
        uv_run(&fx->loop, UV_RUN_ONCE);
    uv_timer_stop(&fx->watchdog);
    assert_false(fx->expired);
}

static bool cond_done(void *arg)
{
    return rec_done(arg);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->watchdog);
    fx->watchdog.data = fx;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    if (fx->pool) dmsc_upstream_pool_close(fx->pool);
    srv_stop(&fx->srv);
    uv_close((uv_handle_t *)&fx->watchdog, NULL);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
    return 0;
}

static void pool_new(fx_t *fx, const dmsc_upstream_limits_t *lim)
{
    srv_addr(&fx->srv, fx->addr, sizeof fx->addr);
    assert_int_equal(dmsc_upstream_pool_new(&fx->loop, fx->addr, lim, &fx->pool), 0);
}

static dmsc_upstream_stats_t stats(fx_t *fx)
{
    dmsc_upstream_stats_t st;
    dmsc_upstream_pool_stats(fx->pool, &st);
    return st;
}

static void body_eq(const rec_t *r, const char *s)
{
    assert_int_equal(r->body.len, strlen(s));
    assert_memory_equal(r->body.p, s, r->body.len);
}

/* ------------------------------------------------------------------ */
/* servers                                                             */

static void reply_hello(sconn_t *c, int nreq)
{
    sconn_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
}

/* ------------------------------------------------------------------ */
/* tests                                                               */

static void test_addr_parse(void **state)
{
    assert_int_equal(dmsc_upstream_addr_parse("127.0.0.1:80", NULL), 0);
    assert_int_equal(dmsc_upstream_addr_parse("[::1]:8080", NULL), 0);
    assert_int_equal(dmsc_upstream_addr_parse("127.0.0.1", NULL), DMSC_EINVAL);
    assert_int_equal(dmsc_upstream_addr_parse("127.0.0.1:0", NULL), DMSC_EINVAL);
    assert_int_equal(dmsc_upstream_addr_parse("127.0.0.1:65536", NULL), DMSC_EINVAL);
    assert_int_equal(dmsc_upstream_addr_parse("localhost:80", NULL), DMSC_EINVAL);
    assert_int_equal(dmsc_upstream_addr_parse("::1:80", NULL), DMSC_EINVAL);
    assert_int_equal(dmsc_upstream_addr_parse("[::1]80", NULL), DMSC_EINVAL);
    assert_int_equal(dmsc_upstream_addr_parse("1.2.3.4:8x", NULL), DMSC_EINVAL);
    assert_string_equal(dmsc_upstream_errname(DMSC_UPSTREAM_ECONNRESET), "ECONNRESET");
    assert_string_equal(dmsc_upstream_errname(DMSC_EINVAL), "EINVAL");
}

static void test_keepalive_reuse(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_hello);
    pool_new(fx, NULL);
    rec_t a, b;
    rec_init(&a);
    rec_init(&b);
    assert_int_equal(start(fx->pool, &a, "GET", "/one", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.ends, 1);
    assert_int_equal(a.status, 200);
    body_eq(&a, "hello");
    assert_int_equal(stats(fx).conns_idle, 1);

    assert_int_equal(start(fx->pool, &b, "GET", "/two", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &b);
    assert_int_equal(b.ends, 1);
    body_eq(&b, "hello");
    assert_int_equal(fx->srv.accepted, 1); /* one connection for both */
    assert_int_equal(fx->srv.conns->nreq, 2);
    assert_string_equal(fx->srv.conns->target, "/two");
    dmsc_upstream_stats_t st = stats(fx);
    assert_int_equal(st.reused, 1);
    assert_int_equal(st.conns_opened, 1);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.responses, 2);
    assert_int_equal(st.active, 0);
    rec_free(&a);
    rec_free(&b);
}

/* Answer request N only when the test says so. */
static sconn_t *held_conn;
static void hold(sconn_t *c, int nreq)
{
    held_conn = c;
}

static bool cond_held(void *arg)
{
    return held_conn != NULL;
}

static void test_pool_bound_and_queue(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, hold);
    dmsc_upstream_limits_t lim;
    dmsc_upstream_limits_default(&lim);
    lim.max_connections = 1;
    lim.max_queue = 1;
    pool_new(fx, &lim);
    rec_t a, b, c;
    rec_init(&a);
    rec_init(&b);
    rec_init(&c);
    held_conn = NULL;
    assert_int_equal(start(fx->pool, &a, "GET", "/a", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    assert_int_equal(start(fx->pool, &b, "GET", "/b", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    assert_int_equal(start(fx->pool, &c, "GET", "/c", DMSC_HTTP_BODY_NONE, 0, 0),
                     DMSC_UPSTREAM_ENOCAPACITY);
    dmsc_upstream_stats_t st = stats(fx);
    assert_int_equal(st.queue_len, 1);
    assert_int_equal(st.conns_open, 1);
    assert_int_equal(st.err_capacity, 1);

    run_until(fx, cond_held, NULL);
    assert_string_equal(held_conn->target, "/a");
    assert_false(rec_done(&b));
    sconn_t *sc = held_conn;
    held_conn = NULL;
    reply_hello(sc, 1);
    run_until(fx, cond_held, NULL); /* b arrives on the same connection */
    assert_int_equal(a.ends, 1);
    assert_string_equal(held_conn->target, "/b");
    assert_ptr_equal(held_conn, sc);
    reply_hello(held_conn, 2);
    run_until(fx, cond_done, &b);
    assert_int_equal(b.ends, 1);
    assert_int_equal(fx->srv.accepted, 1);
    st = stats(fx);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.queue_len, 0);
    held_conn = NULL;
    rec_free(&a);
    rec_free(&b);
    rec_free(&c);
}

static void test_connect_refused(void **state)
{
    fx_t *fx = *state;
    snprintf(fx->addr, sizeof fx->addr, "127.0.0.1:%d", free_port(&fx->loop));
    assert_int_equal(dmsc_upstream_pool_new(&fx->loop, fx->addr, NULL, &fx->pool), 0);
    rec_t a;
    rec_init(&a);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.errors, 1);
    assert_int_equal(a.err, DMSC_UPSTREAM_ECONNREFUSED);
    assert_int_equal(a.heads, 0);
    dmsc_upstream_stats_t st = stats(fx);
    assert_int_equal(st.err_connect, 1);
    assert_int_equal(st.conns_open, 0);
    rec_free(&a);
}

static void reply_partial_then_close(sconn_t *c, int nreq)
{
    sconn_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    sconn_close(c);
}

static void test_reset_mid_response(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_partial_then_close);
    pool_new(fx, NULL);
    rec_t a;
    rec_init(&a);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.heads, 1);
    body_eq(&a, "abc");
    assert_int_equal(a.ends, 0);
    assert_int_equal(a.err, DMSC_UPSTREAM_ECONNRESET);
    assert_int_equal(stats(fx).err_reset, 1);
    assert_int_equal(stats(fx).retries, 0);
    rec_free(&a);
}

/* Echo the body length, the body's checksum and the trailer. */
static void reply_echo(sconn_t *c, int nreq)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < c->body.len; i++)
        sum = sum * 31 + c->body.p[i];
    char resp[512], body[256];
    int n = snprintf(body, sizeof body, "%s %zu %u [%s]", c->method, c->body.len, sum, c->trailer);
    snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", n, body);
    sconn_sends(c, resp);
}

typedef struct {
    fx_t *fx;
    rec_t *r;
    size_t total, sent;
    int paused_writes;
    bool ended;
    uint32_t sum;
} writer_t;

static writer_t *the_writer;

static void writer_pump(writer_t *w)
{
    uint8_t piece[4096];
    while (w->sent < w->total) {
        size_t n = w->total - w->sent < sizeof piece ? w->total - w->sent : sizeof piece;
        for (size_t i = 0; i < n; i++) {
            piece[i] = (uint8_t)((w->sent + i) * 7 + 3);
            w->sum = w->sum * 31 + piece[i];
        }
        int rc = dmsc_upstream_write(w->r->req, piece, n);
        assert_true(rc == 0 || rc == 1);
        w->sent += n;
        if (rc == 1) {
            w->paused_writes++;
            return; /* wait for on_drain */
        }
    }
    if (!w->ended) {
        dmsc_http_field_t tr = {"X-Sum", 5, "ok", 2};
        assert_int_equal(dmsc_upstream_end(w->r->req, &tr, 1), 0);
        w->ended = true;
    }
}

static void on_drain_pump(void *arg, dmsc_upstream_req_t *req)
{
    rec_t *r = arg;
    r->drains++;
    writer_pump(the_writer);
}

static void test_chunked_body_backpressure(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_echo);
    dmsc_upstream_limits_t lim;
    dmsc_upstream_limits_default(&lim);
    lim.write_high_water = 8192;
    pool_new(fx, &lim);
    rec_t a;
    rec_init(&a);
    dmsc_upstream_cb_t cb = CB;
    cb.on_drain = on_drain_pump;
    dmsc_upstream_reqspec_t spec = {
        .method = "POST",
        .method_len = 4,
        .target = "/up",
        .target_len = 3,
        .fields = HOST,
        .nfields = 1,
        .body = DMSC_HTTP_BODY_CHUNKED,
    };
    assert_int_equal(dmsc_upstream_request(fx->pool, &spec, &cb, &a, &a.req), 0);
    writer_t w = {.fx = fx, .r = &a, .total = 200000};
    the_writer = &w;
    writer_pump(&w); /* before the connection is up: held, bounded */
    assert_int_equal(w.paused_writes, 1);
    assert_true(w.sent <= 8192 + 4096);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.ends, 1);
    assert_true(w.ended);
    assert_true(a.drains >= 1);
    /* once connected, bytes go straight into the socket (uv_try_write):
     * further pauses happen only if the kernel buffer fills */
    assert_true(w.paused_writes >= 1);
    char want[256];
    snprintf(want, sizeof want, "POST 200000 %u [X-Sum: ok]", w.sum);
    body_eq(&a, want);
    /* write after end, or past a declared length, is refused */
    rec_t b;
    rec_init(&b);
    assert_int_equal(start(fx->pool, &b, "PUT", "/x", DMSC_HTTP_BODY_LENGTH, 3, 0), 0);
    assert_int_equal(dmsc_upstream_write(b.req, "abcd", 4), DMSC_EINVAL);
    assert_int_equal(dmsc_upstream_write(b.req, "ab", 2), 0);
    assert_int_equal(dmsc_upstream_end(b.req, NULL, 0), DMSC_EINVAL); /* 2 of 3 */
    assert_int_equal(dmsc_upstream_write(b.req, "c", 1), 0);
    assert_int_equal(dmsc_upstream_end(b.req, NULL, 0), 0);
    assert_int_equal(dmsc_upstream_write(b.req, "d", 1), DMSC_EINVAL);
    run_until(fx, cond_done, &b);
    snprintf(want, sizeof want, "PUT 3 %u []", (uint32_t)((97 * 31 + 98) * 31 + 99));
    body_eq(&b, want);
    the_writer = NULL;
    rec_free(&a);
    rec_free(&b);
}

#define BIG (1 << 20)
static void reply_big(sconn_t *c, int nreq)
{
    char head[128];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG);
    sconn_sends(c, head);
    uint8_t *b = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        b[i] = (uint8_t)(i * 13);
    sconn_send(c, b, BIG);
    free(b);
}

static bool cond_paused(void *arg)
{
    return ((rec_t *)arg)->paused;
}

static void on_resume_timer(uv_timer_t *t)
{
    rec_t *r = t->data;
    r->paused = false;
    r->pause_at = 0;
    dmsc_upstream_pause(r->req, false);
}

static void test_response_pause_resume(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_big);
    pool_new(fx, NULL);
    rec_t a;
    rec_init(&a);
    a.pause_at = 1000;
    assert_int_equal(start(fx->pool, &a, "GET", "/big", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_paused, &a);
    size_t at_pause = a.body.len;
    assert_true(at_pause < BIG);
    /* a few loop turns while paused: nothing is delivered */
    uv_timer_t t;
    uv_timer_init(&fx->loop, &t);
    t.data = &a;
    uv_timer_start(&t, on_resume_timer, 30, 0);
    run_until(fx, cond_done, &a);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&fx->loop, UV_RUN_NOWAIT); /* t lives on this stack frame */
    assert_int_equal(a.bodies_while_paused, 0);
    assert_int_equal(a.ends, 1);
    assert_int_equal(a.body.len, BIG);
    for (size_t i = 0; i < BIG; i++)
        if (a.body.p[i] != (uint8_t)(i * 13)) fail_msg("byte %zu differs", i);
    rec_free(&a);
}

static void reply_head(sconn_t *c, int nreq)
{
    if (!strcmp(c->method, "HEAD"))
        sconn_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    else
        reply_hello(c, nreq);
}

static void test_head_request(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_head);
    pool_new(fx, NULL);
    rec_t a, b;
    rec_init(&a);
    rec_init(&b);
    assert_int_equal(start(fx->pool, &a, "HEAD", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.ends, 1);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.body.len, 0);
    assert_int_equal(a.body_kind, DMSC_HTTP_BODY_NONE);
    /* the connection is still in sync: the next response parses */
    assert_int_equal(start(fx->pool, &b, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &b);
    body_eq(&b, "hello");
    assert_int_equal(fx->srv.accepted, 1);
    rec_free(&a);
    rec_free(&b);
}

static void reply_interim_chunked(sconn_t *c, int nreq)
{
    sconn_sends(c, "HTTP/1.1 100 Continue\r\n\r\n"
                   "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                   "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2\r\nde\r\n0\r\nX-Done: yes\r\n\r\n");
}

static void test_interim_and_trailers(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_interim_chunked);
    pool_new(fx, NULL);
    rec_t a;
    rec_init(&a);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.heads, 1);
    assert_int_equal(a.status, 201);
    body_eq(&a, "abcde");
    assert_int_equal(a.ends, 1);
    assert_string_equal(a.trailer, "X-Done: yes");
    assert_int_equal(stats(fx).conns_idle, 1);
    rec_free(&a);
}

static void test_retry_stale_idle(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_hello);
    pool_new(fx, NULL);
    rec_t a, b;
    rec_init(&a);
    rec_init(&b);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(stats(fx).conns_idle, 1);
    /* the server drops the idle connection; the client has not noticed yet
     * when the next request picks it */
    sconn_close(fx->srv.conns);
    assert_int_equal(start(fx->pool, &b, "PUT", "/r", DMSC_HTTP_BODY_LENGTH, 3, 0), 0);
    assert_int_equal(dmsc_upstream_write(b.req, "xyz", 3), 0);
    assert_int_equal(dmsc_upstream_end(b.req, NULL, 0), 0);
    run_until(fx, cond_done, &b);
    assert_int_equal(b.ends, 1);
    body_eq(&b, "hello");
    assert_int_equal(fx->srv.accepted, 2);
    assert_string_equal(fx->srv.conns->method, "PUT");
    assert_int_equal(fx->srv.conns->body.len, 3);
    assert_memory_equal(fx->srv.conns->body.p, "xyz", 3);
    dmsc_upstream_stats_t st = stats(fx);
    assert_int_equal(st.retries, 1);
    assert_int_equal(st.err_reset, 0);
    rec_free(&a);
    rec_free(&b);
}

/* Retry only once: the fresh connection is closed too -> reset. */
static void reply_close(sconn_t *c, int nreq)
{
    c->s->user++;
    if (c->s->user == 1)
        reply_hello(c, nreq);
    else
        sconn_close(c);
}

static void test_retry_only_once(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_close);
    pool_new(fx, NULL);
    rec_t a, b;
    rec_init(&a);
    rec_init(&b);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    sconn_close(fx->srv.conns);
    assert_int_equal(start(fx->pool, &b, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &b);
    assert_int_equal(b.err, DMSC_UPSTREAM_ECONNRESET);
    assert_int_equal(stats(fx).retries, 1);
    assert_int_equal(fx->srv.accepted, 2);
    rec_free(&a);
    rec_free(&b);
}

static void test_response_timeout(void **state)
{
    fx_t *fx = *state;
    held_conn = NULL;
    srv_start(&fx->srv, &fx->loop, hold);
    pool_new(fx, NULL);
    rec_t a;
    rec_init(&a);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 20), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.err, DMSC_UPSTREAM_ETIMEDOUT);
    assert_int_equal(stats(fx).err_timeout, 1);
    assert_int_equal(stats(fx).conns_open, 0); /* that connection is not reused */
    held_conn = NULL;
    rec_free(&a);
}

static void reply_garbage(sconn_t *c, int nreq)
{
    sconn_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
}

static void test_malformed_response(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_garbage);
    pool_new(fx, NULL);
    rec_t a;
    rec_init(&a);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_done, &a);
    assert_int_equal(a.err, DMSC_UPSTREAM_EPROTO);
    assert_int_equal(a.heads, 0);
    assert_int_equal(stats(fx).err_proto, 1);
    rec_free(&a);
}

static bool cond_srv_eof(void *arg)
{
    return ((srv_t *)arg)->eof_seen;
}

static void test_cancel(void **state)
{
    fx_t *fx = *state;
    srv_start(&fx->srv, &fx->loop, reply_big);
    pool_new(fx, NULL);
    rec_t a, b;
    rec_init(&a);
    rec_init(&b);
    /* cancel from inside on_body: the connection is closed */
    a.cancel_in_body = true;
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_srv_eof, &fx->srv);
    assert_int_equal(a.ends, 0);
    dmsc_upstream_stats_t st = stats(fx);
    assert_int_equal(st.canceled, 1);
    assert_int_equal(st.conns_open, 0);
    assert_int_equal(st.active, 0);
    /* cancel while connecting, from outside a callback */
    assert_int_equal(start(fx->pool, &b, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    dmsc_upstream_cancel(b.req);
    assert_int_equal(stats(fx).active, 0);
    rec_free(&a);
    rec_free(&b);
}

static void test_pool_close_cancels(void **state)
{
    fx_t *fx = *state;
    held_conn = NULL;
    srv_start(&fx->srv, &fx->loop, hold);
    pool_new(fx, NULL);
    rec_t a;
    rec_init(&a);
    assert_int_equal(start(fx->pool, &a, "GET", "/", DMSC_HTTP_BODY_NONE, 0, 0), 0);
    run_until(fx, cond_held, NULL);
    dmsc_upstream_pool_close(fx->pool);
    fx->pool = NULL;
    assert_int_equal(a.err, DMSC_UPSTREAM_ECANCELED);
    held_conn = NULL;
    rec_free(&a);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as dmscd: writes to a closed peer return EPIPE */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_parse),
        cmocka_unit_test_setup_teardown(test_keepalive_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_bound_and_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_mid_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunked_body_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_pause_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interim_and_trailers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_stale_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_only_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_close_cancels, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
