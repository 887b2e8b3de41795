/* libFuzzer: the gateway's HTTP/1.1 parser (requests and responses) as a
 * connection would drive it: the input is parsed in one piece, split at an
 * offset taken from the input, and (small inputs) a few bytes at a time;
 * every feeding must produce the same events, and each event must keep the
 * API's promises (views inside the bytes consumed, body byte counts equal to
 * Content-Length, limits honoured, nothing after ERROR). Parsed heads are
 * re-serialized and must parse back to the same head.
 *
 * Input: byte 0 flags (bit 0 response parser, bit 1 responses answer HEAD,
 * bit 2 small limits), byte 1 head_max/8 and body_max (small limits),
 * bytes 2-3 split offset, byte 4 step; then the message bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "gw/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)

static dmsc_http1_event_t ev;

typedef struct {
    uint8_t *p;
    size_t len, cap;
} log_t;

static void put(log_t *l, const void *d, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = l->cap ? l->cap : 1024;
        while (cap < l->len + n)
            cap *= 2;
        l->p = realloc(l->p, cap);
        CHECK(l->p);
        l->cap = cap;
    }
    if (n) memcpy(l->p + l->len, d, n);
    l->len += n;
}

static void put_u64(log_t *l, uint64_t v)
{
    put(l, &v, sizeof(v));
}

static bool inside(const void *ptr, size_t n, const uint8_t *b, size_t blen)
{
    const uint8_t *q = ptr;
    if (n == 0) return true;
    return q >= b && q <= b + blen && n <= (size_t)(b + blen - q);
}

static void check_head(const dmsc_http_head_t *h, bool request, const uint8_t *b, size_t used,
                       log_t *l)
{
    CHECK(h->is_request == request);
    CHECK(h->version == 10 || h->version == 11);
    CHECK(h->nfields <= DMSC_HTTP_MAX_FIELDS);
    CHECK(h->body >= DMSC_HTTP_BODY_NONE && h->body <= DMSC_HTTP_BODY_EOF);
    if (request) {
        CHECK(h->method_len >= 1 && h->method_len <= DMSC_HTTP_METHOD_MAX);
        CHECK(inside(h->method, h->method_len, b, used) &&
              inside(h->target, h->target_len, b, used));
        CHECK(h->target_len >= 1);
        CHECK(h->body != DMSC_HTTP_BODY_EOF);
        if (h->authority)
            CHECK(h->authority_len > 0 && inside(h->authority, h->authority_len, b, used));
        if (h->version == 11) CHECK(dmsc_http_field_find(h, "host") != NULL);
        put(l, h->method, h->method_len);
        put(l, h->target, h->target_len);
        if (h->authority) put(l, h->authority, h->authority_len);
    } else {
        CHECK(h->status >= 100 && h->status <= 999 && h->status != 101);
        CHECK(inside(h->reason, h->reason_len, b, used));
        if (h->status < 200 || h->status == 204 || h->status == 304)
            CHECK(h->body == DMSC_HTTP_BODY_NONE);
        if (h->body == DMSC_HTTP_BODY_EOF) CHECK(!h->keep_alive);
        put_u64(l, (uint64_t)h->status);
        put(l, h->reason, h->reason_len);
    }
    if (h->body == DMSC_HTTP_BODY_CHUNKED) CHECK(dmsc_http_field_find(h, "content-length") == NULL);
    for (size_t i = 0; i < h->nfields; i++) {
        const dmsc_http_field_t *f = &h->fields[i];
        CHECK(f->name_len > 0 && inside(f->name, f->name_len, b, used));
        CHECK(inside(f->value, f->value_len, b, used));
        for (size_t k = 0; k < f->value_len; k++)
            CHECK(f->value[k] != '\r' && f->value[k] != '\n' && f->value[k] != '\0');
        if (f->value_len) CHECK(f->value[0] != ' ' && f->value[f->value_len - 1] != ' ');
        put(l, f->name, f->name_len);
        put(l, f->value, f->value_len);
    }
    uint8_t flags[4] = {h->version, (uint8_t)h->body, h->keep_alive, h->expect_continue};
    put(l, flags, 4);
    put_u64(l, h->content_length);
    put_u64(l, h->nfields);
}

/* Re-serializes a request head and parses it back: same method, target, framing. */
static void roundtrip_request(const dmsc_http_head_t *h)
{
    static dmsc_http1_event_t ev2;
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 1 << 20);
    int rc =
        dmsc_http1_write_request(&b, h->method, h->method_len, h->target, h->target_len, h->fields,
                                 h->nfields, h->body, h->content_length, h->keep_alive);
    CHECK(rc == 0);
    dmsc_http1_parser_t p;
    dmsc_http1_limits_t big = {.head_max = DMSC_HTTP_HEAD_MAX_LIMIT};
    dmsc_http1_parser_init(&p, true, &big);
    size_t used;
    int t = dmsc_http1_parse(&p, b.p, b.len, &used, &ev2);
    CHECK(t == DMSC_HTTP1_HEAD && used == b.len);
    CHECK(ev2.head.method_len == h->method_len &&
          memcmp(ev2.head.method, h->method, h->method_len) == 0);
    CHECK(ev2.head.target_len == h->target_len &&
          memcmp(ev2.head.target, h->target, h->target_len) == 0);
    CHECK(ev2.head.body == h->body && ev2.head.content_length == h->content_length);
    CHECK(ev2.head.keep_alive == h->keep_alive || h->version == 10);
    CHECK(ev2.head.authority_len == h->authority_len);
    dmsc_gw_buf_free(&b);
}

/* Re-serializes a response head (to an HTTP/1.1 client) and parses it back. */
static void roundtrip_response(const dmsc_http_head_t *h, bool head_req)
{
    static dmsc_http1_event_t ev2;
    char reason[DMSC_HTTP_HEAD_MAX_LIMIT + 1];
    CHECK(h->reason_len < sizeof(reason));
    memcpy(reason, h->reason, h->reason_len);
    reason[h->reason_len] = 0;
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 1 << 20);
    int rc = dmsc_http1_write_response(&b, h->status, reason, h->fields, h->nfields, h->body,
                                       h->content_length, 11, h->keep_alive);
    CHECK(rc == 0);
    dmsc_http1_parser_t p;
    dmsc_http1_limits_t big = {.head_max = DMSC_HTTP_HEAD_MAX_LIMIT};
    dmsc_http1_parser_init(&p, false, &big);
    dmsc_http1_parser_expect_response(&p, head_req);
    size_t used;
    int t = dmsc_http1_parse(&p, b.p, b.len, &used, &ev2);
    CHECK(t == DMSC_HTTP1_HEAD && used == b.len);
    CHECK(ev2.head.status == h->status && ev2.head.reason_len == h->reason_len);
    CHECK(ev2.head.body == h->body);
    if (h->status >= 200) CHECK(ev2.head.keep_alive == h->keep_alive); /* 1xx: no Connection */
    if (h->body == DMSC_HTTP_BODY_LENGTH) CHECK(ev2.head.content_length == h->content_length);
    dmsc_gw_buf_free(&b);
}

/*
 * Feeds in[0..n) as a connection would: `first` bytes (0: no special first
 * piece), then pieces of `step` bytes (0: the rest at once), each window
 * copied to an exact-size allocation so reads past it are caught.
 */
static void run(const uint8_t *in, size_t n, bool request, bool head_req,
                const dmsc_http1_limits_t *lim, size_t first, size_t step, bool roundtrip, log_t *l)
{
    dmsc_http1_parser_t p;
    dmsc_http1_parser_init(&p, request, lim);
    if (!request) dmsc_http1_parser_expect_response(&p, head_req);
    size_t head_max = p.lim.head_max;
    size_t dropped = 0, fed = 0;
    int phase = 0; /* 0: want HEAD, 1: in body */
    int body = 0;
    uint64_t cl = 0, got = 0;
    bool interim = false;
    size_t budget = 4 * n + 64;
    for (;;) {
        size_t piece = (fed == 0 && first) ? first : (step ? step : n - fed);
        if (piece > n - fed) piece = n - fed;
        fed += piece;
        for (;;) {
            CHECK(budget-- > 0); /* no livelock */
            size_t wlen = fed - dropped;
            uint8_t *w = malloc(wlen ? wlen : 1);
            CHECK(w);
            if (wlen) memcpy(w, in + dropped, wlen);
            size_t used = (size_t)-1;
            int t = dmsc_http1_parse(&p, w, wlen, &used, &ev);
            CHECK(t == ev.type && used <= wlen);
            switch (t) {
            case DMSC_HTTP1_HEAD:
                CHECK(phase == 0 && used > 0 && used <= head_max);
                check_head(&ev.head, request, w, used, l);
                put(l, "H", 1);
                if (roundtrip && request && ev.head.nfields <= 120 &&
                    (ev.head.version == 11 || dmsc_http_field_find(&ev.head, "host")))
                    roundtrip_request(&ev.head);
                if (roundtrip && !request && ev.head.nfields <= 120)
                    roundtrip_response(&ev.head, head_req);
                phase = 1;
                body = ev.head.body;
                cl = ev.head.content_length;
                got = 0;
                interim = !request && ev.head.status < 200;
                break;
            case DMSC_HTTP1_BODY:
                CHECK(phase == 1 && body != DMSC_HTTP_BODY_NONE && ev.len > 0);
                CHECK(inside(ev.data, ev.len, w, used));
                got += ev.len;
                if (body == DMSC_HTTP_BODY_LENGTH) CHECK(got <= cl);
                if (lim && lim->body_max) CHECK(got <= lim->body_max);
                put(l, ev.data, ev.len);
                break;
            case DMSC_HTTP1_END:
                CHECK(phase == 1 && body != DMSC_HTTP_BODY_EOF);
                if (body == DMSC_HTTP_BODY_LENGTH) CHECK(got == cl);
                if (body == DMSC_HTTP_BODY_NONE) CHECK(got == 0);
                if (body != DMSC_HTTP_BODY_CHUNKED) CHECK(ev.head.nfields == 0);
                for (size_t i = 0; i < ev.head.nfields; i++)
                    CHECK(inside(ev.head.fields[i].name, ev.head.fields[i].name_len, w, used));
                put(l, "E", 1);
                put_u64(l, ev.head.nfields);
                phase = 0;
                if (!request && !interim) dmsc_http1_parser_expect_response(&p, head_req);
                break;
            case DMSC_HTTP1_ERROR: {
                CHECK(used == 0 && ev.reason);
                if (request)
                    CHECK(ev.status == 400 || ev.status == 413 || ev.status == 414 ||
                          ev.status == 431 || ev.status == 501 || ev.status == 505);
                else
                    CHECK(ev.status == 502);
                put(l, "X", 1);
                put_u64(l, (uint64_t)ev.status);
                int st = ev.status;
                /* sticky: nothing but the same error afterwards */
                CHECK(dmsc_http1_parse(&p, w, wlen, &used, &ev) == DMSC_HTTP1_ERROR);
                CHECK(ev.status == st && used == 0);
                CHECK(dmsc_http1_parse_eof(&p, &ev) == DMSC_HTTP1_ERROR && ev.status == st);
                free(w);
                return;
            }
            default:
                CHECK(t == DMSC_HTTP1_NEED_MORE);
                break;
            }
            free(w);
            dropped += used;
            if (t == DMSC_HTTP1_NEED_MORE) break;
        }
        if (fed == n) break;
    }
    int t = dmsc_http1_parse_eof(&p, &ev);
    CHECK(t == ev.type);
    put(l, "Z", 1);
    if (t == DMSC_HTTP1_END) {
        CHECK(phase == 1);
        if (body == DMSC_HTTP_BODY_LENGTH) CHECK(got == cl);
        put(l, "E", 1);
    } else if (t == DMSC_HTTP1_ERROR) {
        CHECK(ev.status == (request ? 400 : 502));
        put(l, "X", 1);
    } else {
        CHECK(t == DMSC_HTTP1_NEED_MORE && phase == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    bool request = !(data[0] & 1);
    bool head_req = data[0] & 2;
    dmsc_http1_limits_t small = {.head_max = 16 + (size_t)data[1] * 8, .body_max = data[1]};
    const dmsc_http1_limits_t *lim = (data[0] & 4) ? &small : NULL;
    size_t split = (size_t)data[2] << 8 | data[3];
    size_t step = 1 + data[4] % 8;
    const uint8_t *in = data + 5;
    size_t n = size - 5;

    log_t a = {0}, b = {0}, c = {0};
    run(in, n, request, head_req, lim, 0, 0, true, &a);
    run(in, n, request, head_req, lim, n ? split % n : 0, 0, false, &b);
    CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    if (n <= 1024) {
        run(in, n, request, head_req, lim, 0, step, false, &c);
        CHECK(a.len == c.len && memcmp(a.p, c.p, a.len) == 0);
    }
    free(a.p);
    free(b.p);
    free(c.p);
    return 0;
}
