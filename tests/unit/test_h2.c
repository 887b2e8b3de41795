/* gw/h2: a client session and a server session wired together in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <nghttp2/nghttp2.h>

#include "base/err.h"
#include "gw/h2.h"

#define MAXID 256

/* ---- recording side ---- */

typedef struct {
    int heads;
    char method[16], target[256], authority[256];
    bool has_authority;
    int status, body;
    uint64_t clen;
    char fields[4096]; /* "name: value\n"... */
    char trailers[1024];
    int ntrailers;
    uint8_t *data;
    size_t ndata, cap;
    size_t unconsumed;
    int ends, closes, writable;
    uint32_t close_code;
} rec_t;

typedef struct side side_t;
struct side {
    dmsc_h2_t *h;
    rec_t st[MAXID];
    bool auto_consume;
    void (*hook_request)(side_t *sd, int32_t id);
    void (*hook_data)(side_t *sd, int32_t id, const uint8_t *p, size_t n);
    void (*hook_end)(side_t *sd, int32_t id);
    void (*hook_writable)(side_t *sd, int32_t id);
    int requests, closes;
};

static rec_t *rec(side_t *sd, int32_t id)
{
    assert_true(id > 0 && id < MAXID);
    return &sd->st[id];
}

static void cpy(char *d, size_t cap, const char *s, size_t n)
{
    assert_true(n < cap);
    memcpy(d, s, n);
    d[n] = 0;
}

static void fields_str(char *d, size_t cap, const dmsc_http_head_t *hd)
{
    d[0] = 0;
    for (size_t i = 0; i < hd->nfields; i++) {
        size_t l = strlen(d);
        int w = snprintf(d + l, cap - l, "%.*s: %.*s\n", (int)hd->fields[i].name_len,
                         hd->fields[i].name, (int)hd->fields[i].value_len, hd->fields[i].value);
        assert_true(w > 0 && (size_t)w < cap - l);
    }
}

static void record_head(side_t *sd, int32_t id, const dmsc_http_head_t *hd)
{
    rec_t *r = rec(sd, id);
    r->heads++;
    assert_int_equal(hd->version, 20);
    if (hd->is_request) {
        cpy(r->method, sizeof(r->method), hd->method, hd->method_len);
        cpy(r->target, sizeof(r->target), hd->target, hd->target_len);
        r->has_authority = hd->authority != NULL;
        if (hd->authority)
            cpy(r->authority, sizeof(r->authority), hd->authority, hd->authority_len);
    }
    r->status = hd->status;
    r->body = hd->body;
    r->clen = hd->content_length;
    fields_str(r->fields, sizeof(r->fields), hd);
}

static void cb_request(void *arg, int32_t id, const dmsc_http_head_t *hd)
{
    side_t *sd = arg;
    assert_true(hd->is_request);
    record_head(sd, id, hd);
    sd->requests++;
    if (sd->hook_request) sd->hook_request(sd, id);
}

static void cb_response(void *arg, int32_t id, const dmsc_http_head_t *hd)
{
    assert_false(hd->is_request);
    record_head(arg, id, hd);
}

static void cb_data(void *arg, int32_t id, const uint8_t *p, size_t n)
{
    side_t *sd = arg;
    rec_t *r = rec(sd, id);
    assert_int_equal(r->heads, 1);
    assert_int_equal(r->ends, 0);
    if (r->ndata + n > r->cap) {
        r->cap = (r->ndata + n) * 2;
        r->data = realloc(r->data, r->cap);
        assert_non_null(r->data);
    }
    memcpy(r->data + r->ndata, p, n);
    r->ndata += n;
    if (sd->auto_consume)
        dmsc_h2_consumed(sd->h, id, n);
    else
        r->unconsumed += n;
    if (sd->hook_data) sd->hook_data(sd, id, p, n);
}

static void cb_trailers(void *arg, int32_t id, const dmsc_http_head_t *hd)
{
    rec_t *r = rec(arg, id);
    r->ntrailers++;
    fields_str(r->trailers, sizeof(r->trailers), hd);
}

static void cb_end(void *arg, int32_t id)
{
    side_t *sd = arg;
    rec(sd, id)->ends++;
    if (sd->hook_end) sd->hook_end(sd, id);
}

static void cb_close(void *arg, int32_t id, uint32_t code)
{
    side_t *sd = arg;
    rec_t *r = rec(sd, id);
    r->closes++;
    r->close_code = code;
    sd->closes++;
}

static void cb_writable(void *arg, int32_t id)
{
    side_t *sd = arg;
    rec(sd, id)->writable++;
    if (sd->hook_writable) sd->hook_writable(sd, id);
}

static const dmsc_h2_callbacks_t cbs = {
    .on_request = cb_request,
    .on_response = cb_response,
    .on_data = cb_data,
    .on_trailers = cb_trailers,
    .on_end = cb_end,
    .on_close = cb_close,
    .on_writable = cb_writable,
};

typedef struct {
    side_t c, s;
} pair_t;

static pair_t *pair_new(const dmsc_h2_limits_t *lc, const dmsc_h2_limits_t *ls)
{
    pair_t *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->c.auto_consume = p->s.auto_consume = true;
    assert_int_equal(dmsc_h2_client_new(&p->c.h, &cbs, &p->c, lc), 0);
    assert_int_equal(dmsc_h2_server_new(&p->s.h, &cbs, &p->s, ls), 0);
    return p;
}

static void pair_free(pair_t *p)
{
    dmsc_h2_free(p->c.h);
    dmsc_h2_free(p->s.h);
    for (int i = 0; i < MAXID; i++) {
        free(p->c.st[i].data);
        free(p->s.st[i].data);
    }
    free(p);
}

/* Move everything `from` has to write into `to`; bytes moved. */
static size_t move(side_t *from, side_t *to)
{
    size_t total = 0, n;
    const uint8_t *b;
    while ((n = dmsc_h2_pending(from->h, &b)) > 0) {
        assert_int_equal(dmsc_h2_recv(to->h, b, n), 0);
        total += n;
    }
    return total;
}

static void pump(pair_t *p)
{
    for (int i = 0; i < 100000; i++) {
        size_t a = move(&p->c, &p->s);
        size_t b = move(&p->s, &p->c);
        if (a + b == 0) return;
    }
    fail_msg("pump does not settle");
}

static dmsc_http_field_t fld(const char *n, const char *v)
{
    return (dmsc_http_field_t){n, strlen(n), v, strlen(v)};
}

static dmsc_http_head_t *req_head(const char *method, const char *target, const char *auth)
{
    static dmsc_http_head_t hd;
    memset(&hd, 0, sizeof(hd));
    hd.is_request = true;
    hd.version = 11;
    hd.method = method;
    hd.method_len = strlen(method);
    hd.target = target;
    hd.target_len = strlen(target);
    hd.authority = auth;
    hd.authority_len = auth ? strlen(auth) : 0;
    return &hd;
}

static void add_field(dmsc_http_head_t *hd, const char *n, const char *v)
{
    assert_true(hd->nfields < DMSC_HTTP_MAX_FIELDS);
    hd->fields[hd->nfields++] = fld(n, v);
}

static uint8_t pat(size_t i, int32_t id)
{
    return (uint8_t)(i * 7 + (size_t)id * 13 + (i >> 10));
}

static void check_pattern(const rec_t *r, size_t n, int32_t id)
{
    assert_int_equal(r->ndata, n);
    for (size_t i = 0; i < n; i++)
        if (r->data[i] != pat(i, id)) fail_msg("byte %zu of stream %d differs", i, id);
}

/* Frames in a server/client output stream (skipping a client preface). */
static bool has_frame(const uint8_t *b, size_t n, uint8_t type, uint32_t *code)
{
    size_t off = 0;
    if (n >= 24 && memcmp(b, NGHTTP2_CLIENT_MAGIC, 24) == 0) off = 24;
    while (off + 9 <= n) {
        size_t len = ((size_t)b[off] << 16) | ((size_t)b[off + 1] << 8) | b[off + 2];
        if (b[off + 3] == type) {
            if (code && type == NGHTTP2_GOAWAY && off + 9 + 8 <= n) {
                const uint8_t *q = b + off + 9 + 4;
                *code =
                    ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
            }
            return true;
        }
        off += 9 + len;
    }
    return false;
}

static size_t drain(dmsc_h2_t *h, uint8_t *buf, size_t cap)
{
    size_t total = 0, n;
    const uint8_t *b;
    while ((n = dmsc_h2_pending(h, &b)) > 0) {
        assert_true(total + n <= cap);
        memcpy(buf + total, b, n);
        total += n;
    }
    return total;
}

/* ---- tests ---- */

static void test_get_no_body(void **state)
{
    pair_t *p = pair_new(NULL, NULL);
    dmsc_http_head_t *hd = req_head("GET", "/x?y=1", "svc.example");
    add_field(hd, "User-Agent", "t/1");
    add_field(hd, "Connection", "keep-alive"); /* hop-by-hop: dropped */
    int32_t id = dmsc_h2_request(p->c.h, hd, true);
    assert_int_equal(id, 1);
    pump(p);
    rec_t *r = &p->s.st[1];
    assert_int_equal(r->heads, 1);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->target, "/x?y=1");
    assert_string_equal(r->authority, "svc.example");
    assert_int_equal(r->body, DMSC_HTTP_BODY_NONE);
    assert_string_equal(r->fields, "user-agent: t/1\n");
    assert_int_equal(r->ends, 1);
    assert_int_equal(r->closes, 0);

    dmsc_http_field_t f[] = {fld("Content-Type", "text/plain"), fld("content-length", "5")};
    assert_int_equal(dmsc_h2_respond(p->s.h, 1, 200, f, 2, false), 0);
    assert_int_equal(dmsc_h2_respond(p->s.h, 1, 200, f, 2, false), DMSC_EINVAL); /* twice */
    assert_int_equal(dmsc_h2_send_data(p->s.h, 1, (const uint8_t *)"hello", 5, true), 0);
    assert_int_equal(dmsc_h2_send_data(p->s.h, 1, (const uint8_t *)"x", 1, false), DMSC_EINVAL);
    pump(p);
    rec_t *c = &p->c.st[1];
    assert_int_equal(c->status, 200);
    assert_int_equal(c->body, DMSC_HTTP_BODY_LENGTH);
    assert_int_equal(c->clen, 5);
    assert_string_equal(c->fields, "content-type: text/plain\ncontent-length: 5\n");
    assert_int_equal(c->ndata, 5);
    assert_memory_equal(c->data, "hello", 5);
    assert_int_equal(c->ends, 1);
    assert_int_equal(c->closes, 1);
    assert_int_equal(c->close_code, DMSC_H2_NO_ERROR);
    assert_int_equal(r->closes, 1);
    assert_int_equal(r->close_code, DMSC_H2_NO_ERROR);
    /* dead ids */
    assert_int_equal(dmsc_h2_send_data(p->s.h, 1, (const uint8_t *)"x", 1, true), DMSC_EINVAL);
    assert_int_equal(dmsc_h2_reset(p->c.h, 1, 0), DMSC_EINVAL);

    /* a second request on the same connection; Host used when no authority */
    hd = req_head("HEAD", "/h", NULL);
    add_field(hd, "Host", "h.example");
    assert_int_equal(dmsc_h2_request(p->c.h, hd, true), 3);
    pump(p);
    assert_string_equal(p->s.st[3].authority, "h.example");
    assert_string_equal(p->s.st[3].fields, ""); /* host became :authority */
    dmsc_http_field_t cl = fld("content-length", "100");
    assert_int_equal(dmsc_h2_respond(p->s.h, 3, 200, &cl, 1, true), 0);
    pump(p);
    assert_int_equal(p->c.st[3].status, 200);
    assert_int_equal(p->c.st[3].body, DMSC_HTTP_BODY_NONE); /* HEAD */
    assert_int_equal(p->c.st[3].closes, 1);
    assert_false(dmsc_h2_want_close(p->c.h));
    assert_false(dmsc_h2_want_close(p->s.h));

    /* graceful shutdown from the server */
    assert_int_equal(dmsc_h2_shutdown(p->s.h), 0);
    pump(p);
    assert_true(dmsc_h2_want_close(p->s.h));
    assert_true(dmsc_h2_want_close(p->c.h));
    assert_int_equal(dmsc_h2_request(p->c.h, req_head("GET", "/", "a"), true), DMSC_EINVAL);
    pair_free(p);
}

/* ---- 1 MiB both ways with small windows, a slow consumer, and a send
 * queue bound that is hit ---- */

#define BIG (1u << 20)
#define CHUNK (48u << 10)

typedef struct {
    side_t *sd;
    int32_t id;
    size_t sent, total;
    int enobufs;
    size_t max_queued;
} feeder_t;

static feeder_t feeders[2];

/* Queue as much as the bound allows; returns true when all is queued. */
static bool feed(feeder_t *f)
{
    static uint8_t buf[CHUNK];
    while (f->sent < f->total) {
        size_t n = f->total - f->sent < CHUNK ? f->total - f->sent : CHUNK;
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(f->sent + i, f->id);
        bool end = f->sent + n == f->total;
        int rc = dmsc_h2_send_data(f->sd->h, f->id, buf, n, end);
        if (rc == DMSC_ENOBUFS) {
            f->enobufs++;
            return false;
        }
        assert_int_equal(rc, 0);
        f->sent += n;
        size_t q = dmsc_h2_queued(f->sd->h, f->id);
        if (q > f->max_queued) f->max_queued = q;
    }
    return true;
}

static void feed_on_writable(side_t *sd, int32_t id)
{
    for (int i = 0; i < 2; i++)
        if (feeders[i].sd == sd && feeders[i].id == id) feed(&feeders[i]);
}

static void big_respond_on_end(side_t *sd, int32_t id)
{
    assert_int_equal(dmsc_h2_respond(sd->h, id, 200, NULL, 0, false), 0);
    feeders[1] = (feeder_t){sd, id, 0, BIG, 0, 0};
    feed(&feeders[1]);
}

static void test_post_1mib_flow_control(void **state)
{
    dmsc_h2_limits_t lim = {
        .stream_window = 65535, .conn_window = 65535, .send_queue_max = 256u << 10};
    pair_t *p = pair_new(&lim, &lim);
    p->s.auto_consume = false; /* the server is a slow consumer */
    p->c.auto_consume = false;
    p->s.hook_end = big_respond_on_end;
    p->c.hook_writable = feed_on_writable;
    p->s.hook_writable = feed_on_writable;

    dmsc_http_head_t *hd = req_head("POST", "/upload", "svc");
    char cl[32];
    snprintf(cl, sizeof(cl), "%u", BIG);
    add_field(hd, "content-length", cl);
    int32_t id = dmsc_h2_request(p->c.h, hd, false);
    assert_true(id > 0);
    memset(feeders, 0, sizeof(feeders));
    feeders[0] = (feeder_t){&p->c, id, 0, BIG, 0, 0};
    assert_false(feed(&feeders[0])); /* 1 MiB does not fit a 256 KiB queue */
    assert_true(feeders[0].enobufs >= 1);

    rec_t *sr = &p->s.st[id], *cr = &p->c.st[id];
    int rounds = 0;
    while (cr->ends == 0 || sr->ends == 0) {
        pump(p);
        /* flow control: never more than a window outstanding */
        assert_true(sr->unconsumed <= 65535);
        assert_true(cr->unconsumed <= 65535);
        /* nothing moves until someone consumes */
        if (sr->unconsumed) {
            dmsc_h2_consumed(p->s.h, id, sr->unconsumed);
            sr->unconsumed = 0;
        }
        if (cr->unconsumed) {
            dmsc_h2_consumed(p->c.h, id, cr->unconsumed);
            cr->unconsumed = 0;
        }
        assert_true(++rounds < 10000);
    }
    pump(p);
    assert_true(rounds > (int)(BIG / 65535)); /* at least one round per window */
    assert_int_equal(sr->body, DMSC_HTTP_BODY_LENGTH);
    assert_int_equal(sr->clen, BIG);
    check_pattern(sr, BIG, id);
    check_pattern(cr, BIG, id);
    assert_int_equal(cr->body, DMSC_HTTP_BODY_CHUNKED);
    for (int i = 0; i < 2; i++) {
        assert_true(feeders[i].enobufs >= 1);
        assert_true(feeders[i].max_queued <= (256u << 10));
    }
    assert_true(cr->writable >= 1);
    assert_true(sr->writable >= 1);
    assert_int_equal(cr->closes, 1);
    assert_int_equal(sr->closes, 1);
    assert_int_equal(cr->close_code, 0);

    /* a chunk above the bound can never fit */
    int32_t id2 = dmsc_h2_request(p->c.h, req_head("POST", "/", "svc"), false);
    uint8_t *huge = calloc(1, (256u << 10) + 1);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id2, huge, (256u << 10) + 1, false), DMSC_EINVAL);
    free(huge);
    pair_free(p);
}

/* A slow consumer holds the peer: without dmsc_h2_consumed no more than a
 * window arrives, whatever the sender queues. */
static void test_window_stalls_without_consume(void **state)
{
    dmsc_h2_limits_t lim = {.stream_window = 65535, .conn_window = 65535};
    pair_t *p = pair_new(&lim, &lim);
    p->s.auto_consume = false;
    int32_t id = dmsc_h2_request(p->c.h, req_head("POST", "/", "svc"), false);
    static uint8_t buf[200000];
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, buf, sizeof(buf), true), 0);
    pump(p);
    assert_int_equal(p->s.st[id].ndata, 65535);
    assert_int_equal(dmsc_h2_queued(p->c.h, id), sizeof(buf) - 65535);
    pump(p);
    assert_int_equal(p->s.st[id].ndata, 65535);
    dmsc_h2_consumed(p->s.h, id, 65535);
    p->s.st[id].unconsumed = 0;
    pump(p);
    assert_int_equal(p->s.st[id].ndata, 2 * 65535);
    pair_free(p);
}

/* ---- gRPC-shaped unary call ---- */

static void grpc_server_end(side_t *sd, int32_t id)
{
    rec_t *r = rec(sd, id);
    assert_int_equal(r->ndata, 7);
    assert_memory_equal(r->data, "\0\0\0\0\2hi", 7);
    dmsc_http_field_t h[] = {fld("content-type", "application/grpc")};
    assert_int_equal(dmsc_h2_respond(sd->h, id, 200, h, 1, false), 0);
    assert_int_equal(dmsc_h2_send_data(sd->h, id, (const uint8_t *)"\0\0\0\0\7echo:hi", 12, false),
                     0);
    dmsc_http_field_t t[] = {fld("grpc-status", "0"), fld("grpc-message", "")};
    assert_int_equal(dmsc_h2_send_trailers(sd->h, id, t, 2), 0);
    assert_int_equal(dmsc_h2_send_trailers(sd->h, id, t, 2), DMSC_EINVAL);
}

static void test_grpc_unary(void **state)
{
    pair_t *p = pair_new(NULL, NULL);
    p->s.hook_end = grpc_server_end;
    dmsc_http_head_t *hd = req_head("POST", "/dmsc.example.Echo/Say", "127.0.0.1:50051");
    add_field(hd, "content-type", "application/grpc");
    add_field(hd, "te", "trailers");
    int32_t id = dmsc_h2_request(p->c.h, hd, false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, (const uint8_t *)"\0\0\0\0\2hi", 7, true), 0);
    pump(p);
    rec_t *s = &p->s.st[id], *c = &p->c.st[id];
    assert_int_equal(s->body, DMSC_HTTP_BODY_CHUNKED);
    assert_string_equal(s->fields, "content-type: application/grpc\nte: trailers\n");
    assert_int_equal(c->status, 200);
    assert_string_equal(c->fields, "content-type: application/grpc\n");
    assert_int_equal(c->ndata, 12);
    assert_memory_equal(c->data, "\0\0\0\0\7echo:hi", 12);
    assert_int_equal(c->ntrailers, 1);
    assert_string_equal(c->trailers, "grpc-status: 0\ngrpc-message: \n");
    assert_int_equal(c->ends, 1);
    assert_int_equal(c->closes, 1);
    assert_int_equal(c->close_code, 0);

    /* trailers-only response (an error status, no body) */
    p->s.hook_end = NULL;
    id = dmsc_h2_request(p->c.h, hd, true);
    pump(p);
    dmsc_http_field_t t[] = {fld("content-type", "application/grpc"), fld("grpc-status", "12")};
    assert_int_equal(dmsc_h2_respond(p->s.h, id, 200, t, 2, true), 0);
    pump(p);
    assert_string_equal(p->c.st[id].fields, "content-type: application/grpc\ngrpc-status: 12\n");
    assert_int_equal(p->c.st[id].body, DMSC_HTTP_BODY_NONE);
    assert_int_equal(p->c.st[id].ends, 1);

    /* request trailers reach the server */
    id = dmsc_h2_request(p->c.h, req_head("POST", "/t", "a"), false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, (const uint8_t *)"abc", 3, false), 0);
    dmsc_http_field_t rt = fld("X-Checksum", "42");
    assert_int_equal(dmsc_h2_send_trailers(p->c.h, id, &rt, 1), 0);
    pump(p);
    assert_int_equal(p->s.st[id].ndata, 3);
    assert_int_equal(p->s.st[id].ntrailers, 1);
    assert_string_equal(p->s.st[id].trailers, "x-checksum: 42\n");
    assert_int_equal(p->s.st[id].ends, 1);
    pair_free(p);
}

/* ---- 10 concurrent streams, interleaved, echoed chunk by chunk ---- */

static void echo_request(side_t *sd, int32_t id)
{
    assert_int_equal(dmsc_h2_respond(sd->h, id, 200, NULL, 0, false), 0);
}

static void echo_data(side_t *sd, int32_t id, const uint8_t *p, size_t n)
{
    assert_int_equal(dmsc_h2_send_data(sd->h, id, p, n, false), 0);
}

static void echo_end(side_t *sd, int32_t id)
{
    assert_int_equal(dmsc_h2_send_data(sd->h, id, NULL, 0, true), 0);
}

static void test_concurrent_streams(void **state)
{
    pair_t *p = pair_new(NULL, NULL);
    p->s.hook_request = echo_request;
    p->s.hook_data = echo_data;
    p->s.hook_end = echo_end;
    int32_t ids[10];
    size_t sent[10] = {0};
    for (int i = 0; i < 10; i++) {
        char path[16];
        snprintf(path, sizeof(path), "/s%d", i);
        ids[i] = dmsc_h2_request(p->c.h, req_head("POST", path, "svc"), false);
        assert_int_equal(ids[i], 1 + 2 * i);
    }
    uint8_t buf[1000];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 10; i++) {
            size_t n = 100 + (size_t)(round * 37 + i * 11) % 900;
            for (size_t k = 0; k < n; k++)
                buf[k] = pat(sent[i] + k, ids[i]);
            assert_int_equal(dmsc_h2_send_data(p->c.h, ids[i], buf, n, round == 19), 0);
            sent[i] += n;
        }
        if (round % 3 == 0) pump(p);
    }
    pump(p);
    assert_int_equal(p->s.requests, 10);
    for (int i = 0; i < 10; i++) {
        char path[16];
        snprintf(path, sizeof(path), "/s%d", i);
        assert_string_equal(p->s.st[ids[i]].target, path);
        check_pattern(&p->s.st[ids[i]], sent[i], ids[i]);
        check_pattern(&p->c.st[ids[i]], sent[i], ids[i]);
        assert_int_equal(p->c.st[ids[i]].ends, 1);
        assert_int_equal(p->c.st[ids[i]].closes, 1);
        assert_int_equal(p->s.st[ids[i]].closes, 1);
    }
    pair_free(p);
}

/* ---- client resets mid-body ---- */

static void test_client_reset_mid_body(void **state)
{
    pair_t *p = pair_new(NULL, NULL);
    int32_t id = dmsc_h2_request(p->c.h, req_head("POST", "/", "svc"), false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, (const uint8_t *)"part", 4, false), 0);
    pump(p);
    assert_int_equal(p->s.st[id].ndata, 4);
    assert_int_equal(dmsc_h2_respond(p->s.h, id, 200, NULL, 0, false), 0);
    assert_int_equal(dmsc_h2_reset(p->c.h, id, DMSC_H2_CANCEL), 0);
    assert_int_equal(p->c.st[id].closes, 0); /* not from inside reset */
    pump(p);
    assert_int_equal(p->s.st[id].ends, 0);
    assert_int_equal(p->s.st[id].closes, 1);
    assert_int_equal(p->s.st[id].close_code, DMSC_H2_CANCEL);
    assert_int_equal(p->c.st[id].closes, 1);
    assert_int_equal(p->c.st[id].close_code, DMSC_H2_CANCEL);
    assert_int_equal(dmsc_h2_send_data(p->s.h, id, (const uint8_t *)"x", 1, false), DMSC_EINVAL);

    /* reset of a request whose HEADERS were never sent */
    id = dmsc_h2_request(p->c.h, req_head("GET", "/", "svc"), true);
    assert_int_equal(dmsc_h2_reset(p->c.h, id, DMSC_H2_CANCEL), 0);
    pump(p);
    assert_int_equal(p->c.st[id].closes, 1);
    assert_int_equal(p->c.st[id].close_code, DMSC_H2_CANCEL);
    assert_int_equal(p->s.st[id].heads, 0);
    pair_free(p);
}

/* Bytes of streams that die unconsumed (reset by us while the peer still
 * sends, or handed to on_data and never reported) must not shrink the
 * connection window for good. */
static void reset_on_request(side_t *sd, int32_t id)
{
    assert_int_equal(dmsc_h2_reset(sd->h, id, DMSC_H2_CANCEL), 0);
}

static void test_window_not_leaked(void **state)
{
    dmsc_h2_limits_t lim = {.stream_window = 65535, .conn_window = 65535};
    pair_t *p = pair_new(&lim, &lim);
    p->s.auto_consume = false;
    static uint8_t buf[60000];
    /* 1: delivered, never consumed, then the client resets */
    int32_t a = dmsc_h2_request(p->c.h, req_head("POST", "/a", "svc"), false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, a, buf, sizeof(buf), false), 0);
    pump(p);
    assert_int_equal(p->s.st[a].ndata, sizeof(buf));
    assert_int_equal(dmsc_h2_reset(p->c.h, a, DMSC_H2_CANCEL), 0);
    pump(p);
    assert_int_equal(p->s.st[a].closes, 1);
    /* 2: the server resets at once, the client keeps sending; five times
     * a window's worth: ignored DATA must be credited back too */
    p->s.hook_request = reset_on_request;
    for (int i = 0; i < 5; i++) {
        int32_t b = dmsc_h2_request(p->c.h, req_head("POST", "/b", "svc"), false);
        assert_int_equal(dmsc_h2_send_data(p->c.h, b, buf, sizeof(buf), false), 0);
        pump(p);
        assert_int_equal(p->c.st[b].closes, 1);
        assert_int_equal(p->c.st[b].close_code, DMSC_H2_CANCEL);
        assert_int_equal(dmsc_h2_queued(p->c.h, b), 0);
    }
    p->s.hook_request = NULL;
    /* a fresh stream still flows (WINDOW_UPDATE is batched: consume) */
    p->s.auto_consume = true;
    int32_t c = dmsc_h2_request(p->c.h, req_head("POST", "/c", "svc"), false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, c, buf, sizeof(buf), true), 0);
    pump(p);
    assert_int_equal(p->s.st[c].ndata, sizeof(buf));
    assert_int_equal(p->s.st[c].ends, 1);
    pair_free(p);
}

/* ---- connection errors ---- */

static void test_garbage_preface(void **state)
{
    dmsc_h2_t *s;
    side_t sd = {0};
    assert_int_equal(dmsc_h2_server_new(&s, &cbs, &sd, NULL), 0);
    const char *g = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(dmsc_h2_recv(s, (const uint8_t *)g, strlen(g)), DMSC_EINVAL);
    assert_true(dmsc_h2_last_error(s)[0] != 0);
    assert_int_equal(dmsc_h2_recv(s, (const uint8_t *)g, strlen(g)), DMSC_EINVAL);
    static uint8_t out[4096];
    size_t n = drain(s, out, sizeof(out));
    uint32_t code = 99;
    assert_true(has_frame(out, n, NGHTTP2_GOAWAY, &code));
    assert_int_equal(code, NGHTTP2_PROTOCOL_ERROR);
    assert_true(dmsc_h2_want_close(s));
    assert_int_equal(sd.requests, 0);
    dmsc_h2_free(s);

    /* valid preface, then a SETTINGS frame of a bad length: nghttp2
     * answers with GOAWAY(FRAME_SIZE_ERROR) and the session ends */
    assert_int_equal(dmsc_h2_server_new(&s, &cbs, &sd, NULL), 0);
    uint8_t bad[24 + 9 + 5];
    memcpy(bad, NGHTTP2_CLIENT_MAGIC, 24);
    memcpy(bad + 24, "\0\0\5\4\0\0\0\0\0", 9);
    memset(bad + 33, 0, 5);
    /* 0 here: nghttp2 only queues the GOAWAY; want_close tells */
    assert_int_equal(dmsc_h2_recv(s, bad, sizeof(bad)), 0);
    n = drain(s, out, sizeof(out));
    assert_true(has_frame(out, n, NGHTTP2_GOAWAY, &code));
    assert_int_equal(code, NGHTTP2_FRAME_SIZE_ERROR);
    assert_true(dmsc_h2_want_close(s));
    assert_non_null(strstr(dmsc_h2_last_error(s), "FRAME_SIZE_ERROR"));
    dmsc_h2_free(s);

    /* a client talking to something that is not an HTTP/2 server */
    dmsc_h2_t *c;
    assert_int_equal(dmsc_h2_client_new(&c, &cbs, &sd, NULL), 0);
    int32_t id = dmsc_h2_request(c, req_head("GET", "/", "a"), true);
    assert_true(id > 0);
    drain(c, out, sizeof(out));
    const char *h1 = "HTTP/1.1 400 Bad Request\r\n\r\n";
    assert_int_equal(dmsc_h2_recv(c, (const uint8_t *)h1, strlen(h1)), DMSC_EINVAL);
    n = drain(c, out, sizeof(out));
    assert_true(has_frame(out, n, NGHTTP2_GOAWAY, NULL));
    assert_true(dmsc_h2_want_close(c));
    dmsc_h2_free(c); /* frees the open stream without callbacks */
}

/* A peer GOAWAY refuses requests it did not process, whether or not their
 * HEADERS were already sent: on_close(REFUSED_STREAM), safe to retry. */
static void test_goaway_refuses_pending(void **state)
{
    pair_t *p = pair_new(NULL, NULL);
    pump(p);
    int32_t a = dmsc_h2_request(p->c.h, req_head("GET", "/a", "svc"), true);
    move(&p->c, &p->s); /* a reaches the server */
    int32_t b = dmsc_h2_request(p->c.h, req_head("GET", "/b", "svc"), true);
    assert_int_equal(dmsc_h2_shutdown(p->s.h), 0);
    move(&p->s, &p->c); /* GOAWAY(last = a) before b is sent */
    pump(p);
    assert_int_equal(p->s.requests, 1);
    assert_int_equal(p->c.st[b].closes, 1);
    assert_int_equal(p->c.st[b].close_code, DMSC_H2_REFUSED_STREAM);
    assert_int_equal(p->c.st[a].closes, 0);
    assert_int_equal(dmsc_h2_respond(p->s.h, a, 200, NULL, 0, true), 0);
    pump(p);
    assert_int_equal(p->c.st[a].status, 200);
    assert_int_equal(p->c.st[a].closes, 1);
    assert_true(dmsc_h2_want_close(p->c.h));
    assert_true(dmsc_h2_want_close(p->s.h));
    pair_free(p);
}

static void test_header_list_too_large(void **state)
{
    dmsc_h2_limits_t ls = {.max_header_list = 1024};
    pair_t *p = pair_new(NULL, &ls);
    static char big[2000];
    memset(big, 'a', sizeof(big) - 1);
    dmsc_http_head_t *hd = req_head("POST", "/", "svc");
    add_field(hd, "x-big", big);
    int32_t id = dmsc_h2_request(p->c.h, hd, false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, (const uint8_t *)"body", 4, false), 0);
    pump(p);
    assert_int_equal(p->s.requests, 0);
    assert_int_equal(p->s.closes, 0);
    assert_int_equal(p->c.st[id].status, 431);
    assert_int_equal(p->c.st[id].ends, 1);
    assert_int_equal(p->c.st[id].closes, 1); /* RST_STREAM(NO_ERROR): stop sending */
    assert_int_equal(p->c.st[id].close_code, DMSC_H2_NO_ERROR);

    /* too many fields also counts */
    hd = req_head("GET", "/", "svc");
    char names[DMSC_HTTP_MAX_FIELDS + 1][8];
    for (int i = 0; i <= DMSC_HTTP_MAX_FIELDS; i++) {
        snprintf(names[i], sizeof(names[i]), "x%d", i);
        add_field(hd, names[i], "");
        if (hd->nfields == DMSC_HTTP_MAX_FIELDS) break;
    }
    dmsc_h2_limits_t big_list = {.max_header_list = 65536};
    pair_t *q = pair_new(NULL, &big_list);
    /* exactly DMSC_HTTP_MAX_FIELDS regular fields pass */
    id = dmsc_h2_request(q->c.h, hd, true);
    pump(q);
    assert_int_equal(q->s.requests, 1);
    pair_free(q);

    /* the connection still works (HPACK state intact) */
    id = dmsc_h2_request(p->c.h, req_head("GET", "/ok", "svc"), true);
    pump(p);
    assert_int_equal(p->s.requests, 1);
    assert_string_equal(p->s.st[id].target, "/ok");

    /* oversized response head: the client resets the stream */
    dmsc_h2_limits_t lc = {.max_header_list = 1024};
    pair_t *r = pair_new(&lc, NULL);
    id = dmsc_h2_request(r->c.h, req_head("GET", "/", "svc"), true);
    pump(r);
    dmsc_http_field_t f = fld("x-big", big);
    assert_int_equal(dmsc_h2_respond(r->s.h, id, 200, &f, 1, false), 0);
    pump(r);
    assert_int_equal(r->c.st[id].heads, 0);
    assert_int_equal(r->c.st[id].closes, 1);
    assert_int_equal(r->c.st[id].close_code, DMSC_H2_INTERNAL_ERROR);
    assert_int_equal(r->s.st[id].closes, 1);
    assert_int_equal(r->s.st[id].close_code, DMSC_H2_INTERNAL_ERROR);
    pair_free(r);
    pair_free(p);
}

static void test_content_length_mismatch(void **state)
{
    pair_t *p = pair_new(NULL, NULL);
    /* shorter than announced */
    dmsc_http_head_t *hd = req_head("POST", "/", "svc");
    add_field(hd, "content-length", "10");
    int32_t id = dmsc_h2_request(p->c.h, hd, false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, (const uint8_t *)"12345", 5, true), 0);
    pump(p);
    assert_int_equal(p->s.st[id].body, DMSC_HTTP_BODY_LENGTH);
    assert_int_equal(p->s.st[id].clen, 10);
    assert_int_equal(p->s.st[id].ends, 0);
    assert_int_equal(p->s.st[id].closes, 1);
    assert_int_equal(p->s.st[id].close_code, DMSC_H2_PROTOCOL_ERROR);
    assert_int_equal(p->c.st[id].closes, 1);
    assert_int_equal(p->c.st[id].close_code, DMSC_H2_PROTOCOL_ERROR);

    /* longer than announced */
    hd = req_head("POST", "/", "svc");
    add_field(hd, "content-length", "3");
    id = dmsc_h2_request(p->c.h, hd, false);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, (const uint8_t *)"12345", 5, true), 0);
    pump(p);
    assert_int_equal(p->s.st[id].ends, 0);
    assert_int_equal(p->s.st[id].closes, 1);
    assert_int_equal(p->s.st[id].close_code, DMSC_H2_PROTOCOL_ERROR);
    assert_true(p->s.st[id].ndata < 5);

    /* the connection lives on */
    id = dmsc_h2_request(p->c.h, req_head("GET", "/", "svc"), true);
    pump(p);
    assert_int_equal(p->s.st[id].heads, 1);
    pair_free(p);
}

/* ---- requests only a raw nghttp2 client can make ---- */

typedef struct {
    int status;
    uint32_t close_code;
    int closed;
} raw_t;

static int raw_header(nghttp2_session *ng, const nghttp2_frame *fr, const uint8_t *n, size_t nl,
                      const uint8_t *v, size_t vl, uint8_t fl, void *ud)
{
    raw_t *r = ud;
    if (nl == 7 && memcmp(n, ":status", 7) == 0) r->status = atoi((const char *)v);
    return 0;
}

static int raw_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    raw_t *r = ud;
    r->closed++;
    r->close_code = code;
    return 0;
}

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, 0                            \
    }

static void raw_exchange(const nghttp2_nv *nv, size_t nnv, raw_t *r, side_t *sd)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session *ng;
    assert_int_equal(nghttp2_session_callbacks_new(&cb), 0);
    nghttp2_session_callbacks_set_on_header_callback(cb, raw_header);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, raw_close);
    assert_int_equal(nghttp2_session_client_new(&ng, cb, r), 0);
    nghttp2_session_callbacks_del(cb);
    assert_int_equal(nghttp2_submit_settings(ng, 0, NULL, 0), 0);
    assert_true(nghttp2_submit_request(ng, NULL, nv, nnv, NULL, NULL) > 0);
    assert_int_equal(dmsc_h2_server_new(&sd->h, &cbs, sd, NULL), 0);
    for (int i = 0; i < 20; i++) {
        const uint8_t *b;
        ssize_t n;
        while ((n = nghttp2_session_mem_send(ng, &b)) > 0)
            assert_int_equal(dmsc_h2_recv(sd->h, b, (size_t)n), 0);
        size_t m;
        while ((m = dmsc_h2_pending(sd->h, &b)) > 0)
            assert_int_equal(nghttp2_session_mem_recv(ng, b, m), (ssize_t)m);
    }
    nghttp2_session_del(ng);
    dmsc_h2_free(sd->h);
}

static void test_invalid_requests(void **state)
{
    /* CONNECT: not supported */
    const nghttp2_nv connect[] = {NV(":method", "CONNECT"), NV(":authority", "x:443")};
    raw_t r = {0};
    side_t *sd = calloc(1, sizeof(*sd));
    raw_exchange(connect, 2, &r, sd);
    assert_int_equal(r.status, 501);
    assert_int_equal(sd->requests, 0);

    /* connection-specific field */
    const nghttp2_nv conn[] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":path", "/"),
                               NV(":authority", "a"), NV("connection", "close")};
    memset(&r, 0, sizeof(r));
    memset(sd, 0, sizeof(*sd));
    raw_exchange(conn, 5, &r, sd);
    assert_int_equal(r.closed, 1);
    assert_int_equal(r.close_code, NGHTTP2_PROTOCOL_ERROR);
    assert_int_equal(sd->requests, 0);
    assert_int_equal(sd->closes, 0);

    /* uppercase name */
    const nghttp2_nv upper[] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":path", "/"),
                                NV("X-Up", "1")};
    memset(&r, 0, sizeof(r));
    memset(sd, 0, sizeof(*sd));
    raw_exchange(upper, 4, &r, sd);
    assert_int_equal(r.close_code, NGHTTP2_PROTOCOL_ERROR);
    assert_int_equal(sd->requests, 0);

    /* missing :path */
    const nghttp2_nv nopath[] = {NV(":method", "GET"), NV(":scheme", "http"),
                                 NV(":authority", "a")};
    memset(&r, 0, sizeof(r));
    memset(sd, 0, sizeof(*sd));
    raw_exchange(nopath, 3, &r, sd);
    assert_int_equal(r.close_code, NGHTTP2_PROTOCOL_ERROR);
    assert_int_equal(sd->requests, 0);

    /* te other than trailers */
    const nghttp2_nv te[] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":path", "/"),
                             NV("te", "gzip")};
    memset(&r, 0, sizeof(r));
    memset(sd, 0, sizeof(*sd));
    raw_exchange(te, 4, &r, sd);
    assert_int_equal(r.close_code, NGHTTP2_PROTOCOL_ERROR);
    assert_int_equal(sd->requests, 0);

    /* and a good one through the same path, with Host instead of :authority */
    const nghttp2_nv good[] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":path", "/g"),
                               NV("host", "h.example")};
    memset(&r, 0, sizeof(r));
    memset(sd, 0, sizeof(*sd));
    sd->hook_end = echo_end;
    sd->hook_request = echo_request;
    raw_exchange(good, 4, &r, sd);
    assert_int_equal(sd->requests, 1);
    assert_string_equal(sd->st[1].authority, "h.example");
    assert_int_equal(r.status, 200);
    for (int i = 0; i < MAXID; i++)
        free(sd->st[i].data);
    free(sd);
}

static void test_bad_arguments(void **state)
{
    dmsc_h2_t *h;
    dmsc_h2_limits_t l = {.max_header_list = DMSC_HTTP_HEAD_MAX_LIMIT + 1};
    assert_int_equal(dmsc_h2_server_new(&h, &cbs, NULL, &l), DMSC_EINVAL);
    l = (dmsc_h2_limits_t){.stream_window = 100};
    assert_int_equal(dmsc_h2_client_new(&h, &cbs, NULL, &l), DMSC_EINVAL);
    pair_t *p = pair_new(NULL, NULL);
    assert_int_equal(dmsc_h2_request(p->c.h, req_head("GET", "http://a/b", "a"), true),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_h2_request(p->c.h, req_head("CONNECT", "/", "a"), true), DMSC_EINVAL);
    assert_int_equal(dmsc_h2_request(p->s.h, req_head("GET", "/", "a"), true), DMSC_EINVAL);
    dmsc_http_head_t *hd = req_head("GET", "/", "a");
    add_field(hd, ":path", "/x");
    assert_int_equal(dmsc_h2_request(p->c.h, hd, true), DMSC_EINVAL);
    assert_int_equal(dmsc_h2_respond(p->s.h, 1, 200, NULL, 0, true), DMSC_EINVAL);
    int32_t id = dmsc_h2_request(p->c.h, req_head("GET", "/", "a"), true);
    pump(p);
    assert_int_equal(dmsc_h2_respond(p->s.h, id, 100, NULL, 0, true), DMSC_EINVAL);
    assert_int_equal(dmsc_h2_send_data(p->s.h, id, (const uint8_t *)"x", 1, true), DMSC_EINVAL);
    assert_int_equal(dmsc_h2_send_data(p->c.h, id, (const uint8_t *)"x", 1, true), DMSC_EINVAL);
    assert_int_equal(dmsc_h2_respond(p->s.h, id, 204, NULL, 0, true), 0);
    pump(p);
    assert_int_equal(p->c.st[id].status, 204);
    assert_int_equal(dmsc_h2_queued(p->c.h, 12345), 0);
    dmsc_h2_consumed(p->c.h, 12345, 10); /* ignored */
    pair_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_no_body),
        cmocka_unit_test(test_post_1mib_flow_control),
        cmocka_unit_test(test_window_stalls_without_consume),
        cmocka_unit_test(test_grpc_unary),
        cmocka_unit_test(test_concurrent_streams),
        cmocka_unit_test(test_client_reset_mid_body),
        cmocka_unit_test(test_window_not_leaked),
        cmocka_unit_test(test_garbage_preface),
        cmocka_unit_test(test_goaway_refuses_pending),
        cmocka_unit_test(test_header_list_too_large),
        cmocka_unit_test(test_content_length_mismatch),
        cmocka_unit_test(test_invalid_requests),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
