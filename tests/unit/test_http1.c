/*
 * Gateway HTTP/1.1 codec: every parsing rule (and each request-smuggling
 * case) as a table of inputs and the event log they must produce; each
 * case is fed whole, byte at a time and split at every offset, and all
 * must log the same events. Then limits, trailers, the EOF signal, the
 * serializers (round-tripped through the parser) and the buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "gw/http1.h"

/* the case tables leave the optional length out */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ------------------------------------------------------------------ */
/* a caller that logs events                                           */

static dmsc_http1_event_t ev; /* big (a head holds 128 fields) */

static void logf_(dmsc_gw_buf_t *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(dmsc_gw_buf_t *log, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(tmp));
    assert_int_equal(dmsc_gw_buf_append(log, tmp, (size_t)n), 0);
}

static const char *body_name(int body, uint64_t cl, char *tmp, size_t n)
{
    switch (body) {
    case DMSC_HTTP_BODY_NONE:
        return "N";
    case DMSC_HTTP_BODY_LENGTH:
        snprintf(tmp, n, "L%" PRIu64, cl);
        return tmp;
    case DMSC_HTTP_BODY_CHUNKED:
        return "C";
    case DMSC_HTTP_BODY_EOF:
        return "F";
    default:
        return "?";
    }
}

static void log_body(dmsc_gw_buf_t *log, dmsc_gw_buf_t *body)
{
    if (body->len == 0) return;
    logf_(log, "D%.*s\n", (int)body->len, (const char *)body->p);
    body->len = 0;
}

static void log_event(dmsc_gw_buf_t *log, dmsc_gw_buf_t *body, const dmsc_http1_event_t *e)
{
    char tmp[32];
    const dmsc_http_head_t *h = &e->head;
    switch (e->type) {
    case DMSC_HTTP1_HEAD:
        if (h->is_request)
            logf_(log, "%.*s %.*s %d a=%.*s %s k%d e%d f%zu\n", (int)h->method_len, h->method,
                  (int)h->target_len, h->target, h->version,
                  h->authority ? (int)h->authority_len : 1, h->authority ? h->authority : "-",
                  body_name(h->body, h->content_length, tmp, sizeof(tmp)), h->keep_alive,
                  h->expect_continue, h->nfields);
        else
            logf_(log, "%d %d '%.*s' %s k%d f%zu\n", h->status, h->version, (int)h->reason_len,
                  h->reason, body_name(h->body, h->content_length, tmp, sizeof(tmp)), h->keep_alive,
                  h->nfields);
        break;
    case DMSC_HTTP1_BODY:
        assert_true(e->len > 0);
        assert_int_equal(dmsc_gw_buf_append(body, e->data, e->len), 0);
        break;
    case DMSC_HTTP1_END:
        log_body(log, body);
        logf_(log, "END f%zu\n", h->nfields);
        break;
    case DMSC_HTTP1_ERROR:
        log_body(log, body);
        assert_non_null(e->reason);
        logf_(log, "ERR %d\n", e->status);
        break;
    }
}

/*
 * Feeds in[0..n) to a parser: first `first` bytes (0: none special), then
 * pieces of `step` bytes (0: all the rest at once); after the input, signals
 * EOF. Response parsers answer requests that were HEAD iff head_req.
 * Returns the event log (malloc'd, NUL-terminated).
 */
static char *run(bool request, bool head_req, const dmsc_http1_limits_t *lim, const char *in,
                 size_t n, size_t first, size_t step)
{
    dmsc_http1_parser_t p;
    dmsc_http1_parser_init(&p, request, lim);
    if (!request) dmsc_http1_parser_expect_response(&p, head_req);
    dmsc_gw_buf_t b, log, body;
    dmsc_gw_buf_init(&b, 1 << 20);
    dmsc_gw_buf_init(&log, 1 << 20);
    dmsc_gw_buf_init(&body, 1 << 20);
    size_t fed = 0;
    bool dead = false, interim = false;
    while (fed < n && !dead) {
        size_t piece = (fed == 0 && first) ? first : (step ? step : n - fed);
        if (piece > n - fed) piece = n - fed;
        assert_int_equal(dmsc_gw_buf_append(&b, in + fed, piece), 0);
        fed += piece;
        for (;;) {
            size_t used = 12345;
            int t = dmsc_http1_parse(&p, b.p, b.len, &used, &ev);
            assert_int_equal(t, ev.type);
            assert_true(used <= b.len);
            if (t == DMSC_HTTP1_HEAD) interim = !request && ev.head.status < 200;
            log_event(&log, &body, &ev);
            if (t == DMSC_HTTP1_END && !request && !interim)
                dmsc_http1_parser_expect_response(&p, head_req);
            if (t == DMSC_HTTP1_ERROR) {
                assert_int_equal(used, 0);
                /* sticky */
                assert_int_equal(dmsc_http1_parse(&p, b.p, b.len, &used, &ev), DMSC_HTTP1_ERROR);
                dead = true;
                break;
            }
            dmsc_gw_buf_drop(&b, used);
            if (t == DMSC_HTTP1_NEED_MORE) break;
        }
    }
    if (!dead) {
        int t = dmsc_http1_parse_eof(&p, &ev);
        assert_int_equal(t, ev.type);
        logf_(&log, "EOF ");
        if (t == DMSC_HTTP1_NEED_MORE)
            logf_(&log, "idle\n");
        else
            log_event(&log, &body, &ev);
    }
    assert_int_equal(dmsc_gw_buf_append(&log, "", 1), 0);
    char *s = (char *)log.p;
    dmsc_gw_buf_free(&b);
    dmsc_gw_buf_free(&body);
    return s;
}

typedef struct {
    const char *in;
    const char *want;
    size_t n; /* 0: strlen(in) */
} case_t;

/* Every way of splitting the input yields the same log, and that is `want`. */
static void check_cases(bool request, bool head_req, const dmsc_http1_limits_t *lim,
                        const case_t *cases, size_t ncases)
{
    for (size_t i = 0; i < ncases; i++) {
        const char *in = cases[i].in;
        size_t n = cases[i].n ? cases[i].n : strlen(in);
        char *whole = run(request, head_req, lim, in, n, 0, 0);
        if (strcmp(whole, cases[i].want) != 0) {
            print_error("case %zu: input\n%s\nlogged\n%s\nwanted\n%s\n", i, in, whole,
                        cases[i].want);
            fail();
        }
        char *bytes = run(request, head_req, lim, in, n, 0, 1);
        if (strcmp(bytes, whole) != 0) {
            print_error("case %zu byte-at-a-time:\n%s\nvs whole:\n%s\n", i, bytes, whole);
            fail();
        }
        free(bytes);
        for (size_t k = 1; k < n; k++) {
            char *split = run(request, head_req, lim, in, n, k, 0);
            if (strcmp(split, whole) != 0) {
                print_error("case %zu split at %zu:\n%s\nvs whole:\n%s\n", i, k, split, whole);
                fail();
            }
            free(split);
        }
        free(whole);
    }
}

#define CHECK(req, hr, lim, arr) check_cases(req, hr, lim, arr, sizeof(arr) / sizeof(arr[0]))
#define H "Host: a\r\n"

/* ------------------------------------------------------------------ */
/* requests                                                            */

static void test_request_valid(void **state)
{
    static const case_t cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / 11 a=a N k1 e0 f1\nEND f0\nEOF idle\n"},
        {"POST /u?x=1 HTTP/1.1\r\nHost: svc.local:80\r\nContent-Length: 5\r\n\r\nhello",
         "POST /u?x=1 11 a=svc.local:80 L5 k1 e0 f2\nDhello\nEND f0\nEOF idle\n"},
        /* OWS around values trimmed, HTAB and obs-text allowed in values */
        {"GET / HTTP/1.1\r\nHost:a\r\nX: \t v\tw \xc3\xa9 \t\r\n\r\n",
         "GET / 11 a=a N k1 e0 f2\nEND f0\nEOF idle\n"},
        /* empty field value */
        {"GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", "GET / 11 a=a N k1 e0 f2\nEND f0\nEOF idle\n"},
        /* Content-Length: 0, leading zeros */
        {"PUT /z HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\nPUT /z HTTP/1.1\r\n" H
         "Content-Length: 003\r\n\r\nabc",
         "PUT /z 11 a=a L0 k1 e0 f2\nEND f0\nPUT /z 11 a=a L3 k1 e0 f2\nDabc\nEND f0\nEOF "
         "idle\n"},
        /* chunked with extensions (token and quoted values, BWS) and trailers */
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"
         "5;foo=bar\r\nhello\r\n"
         "6 ; a = \"q\\\"x;\" ;b\r\n world\r\n"
         "A\r\n0123456789\r\n"
         "0;last\r\nX-T: 1\r\nY:2\r\n\r\n",
         "POST / 11 a=a C k1 e0 f2\nDhello world0123456789\nEND f2\nEOF idle\n"},
        /* chunked, coding name case-insensitive, no trailers; 16 hex digits with zeros */
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: Chunked\r\n\r\n"
         "0000000000000003\r\nabc\r\n0\r\n\r\n",
         "POST / 11 a=a C k1 e0 f2\nDabc\nEND f0\nEOF idle\n"},
        /* pipelined: three requests in one buffer */
        {"GET /1 HTTP/1.1\r\n" H "\r\n"
         "POST /2 HTTP/1.1\r\n" H "Content-Length: 2\r\n\r\nhi"
         "GET /3 HTTP/1.1\r\n" H "Connection: close\r\n\r\n",
         "GET /1 11 a=a N k1 e0 f1\nEND f0\n"
         "POST /2 11 a=a L2 k1 e0 f2\nDhi\nEND f0\n"
         "GET /3 11 a=a N k0 e0 f2\nEND f0\nEOF idle\n"},
        /* HTTP/1.0: no Host needed, keep-alive off unless asked */
        {"GET /x HTTP/1.0\r\n\r\n", "GET /x 10 a=- N k0 e0 f0\nEND f0\nEOF idle\n"},
        {"GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
         "GET /x 10 a=- N k1 e0 f1\nEND f0\nEOF idle\n"},
        {"POST /x HTTP/1.0\r\nContent-Length: 1\r\n\r\nz",
         "POST /x 10 a=- L1 k0 e0 f1\nDz\nEND f0\nEOF idle\n"},
        /* Connection is a list; close wins */
        {"GET / HTTP/1.1\r\n" H "Connection: keep-alive, TE ,Close\r\n\r\n",
         "GET / 11 a=a N k0 e0 f2\nEND f0\nEOF idle\n"},
        {"GET / HTTP/1.1\r\n" H "Connection: closed\r\n\r\n",
         "GET / 11 a=a N k1 e0 f2\nEND f0\nEOF idle\n"},
        /* up to 4 empty lines before the request line are skipped */
        {"\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n",
         "GET / 11 a=a N k1 e0 f1\nEND f0\nEOF idle\n"},
        /* Expect: 100-continue on 1.1 with a body; not on 1.0, not without a body */
        {"PUT / HTTP/1.1\r\n" H "Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
         "PUT / 11 a=a L2 k1 e1 f3\nDok\nEND f0\nEOF idle\n"},
        {"PUT / HTTP/1.1\r\n" H
         "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "PUT / 11 a=a C k1 e1 f3\nEND f0\nEOF idle\n"},
        {"GET / HTTP/1.1\r\n" H "Expect: 100-continue\r\n\r\n",
         "GET / 11 a=a N k1 e0 f2\nEND f0\nEOF idle\n"},
        {"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
         "PUT / 10 a=- L1 k0 e0 f2\nDx\nEND f0\nEOF idle\n"},
        /* other expectations are ignored */
        {"PUT / HTTP/1.1\r\n" H "Expect: something\r\nContent-Length: 1\r\n\r\nx",
         "PUT / 11 a=a L1 k1 e0 f3\nDx\nEND f0\nEOF idle\n"},
        /* absolute-form: its authority wins over Host */
        {"GET http://svc.example:8080/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n",
         "GET http://svc.example:8080/p?q=1 11 a=svc.example:8080 N k1 e0 f1\nEND f0\nEOF idle\n"},
        {"GET HTTPS://[::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n",
         "GET HTTPS://[::1]:443 11 a=[::1]:443 N k1 e0 f1\nEND f0\nEOF idle\n"},
        {"OPTIONS * HTTP/1.1\r\n" H "\r\n", "OPTIONS * 11 a=a N k1 e0 f1\nEND f0\nEOF idle\n"},
        /* empty Host: no authority */
        {"GET / HTTP/1.1\r\nHost:\r\n\r\n", "GET / 11 a=- N k1 e0 f1\nEND f0\nEOF idle\n"},
        /* a method is any token, case-sensitive */
        {"M-SEARCH / HTTP/1.1\r\n" H "\r\n", "M-SEARCH / 11 a=a N k1 e0 f1\nEND f0\nEOF idle\n"},
    };
    CHECK(true, false, NULL, cases);
}

static void test_request_smuggling(void **state)
{
    static const case_t cases[] = {
        /* Content-Length with Transfer-Encoding */
        {"POST / HTTP/1.1\r\n" H "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
         "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
         "ERR 400\n"},
        /* duplicate Content-Length, also identical, also as a list */
        {"POST / HTTP/1.1\r\n" H "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabc", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 3, 3\r\n\r\nabc", "ERR 400\n"},
        /* malformed Content-Length */
        {"POST / HTTP/1.1\r\n" H "Content-Length: +3\r\n\r\nabc", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 3a\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 0x3\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 1 2\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551616\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n", "ERR 400\n"},
        /* obs-fold, also on the first field line */
        {"GET / HTTP/1.1\r\n" H "X: a\r\n b\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "X: a\r\n\tb\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n " H "\r\n", "ERR 400\n"},
        /* bare LF anywhere, bare CR */
        {"GET / HTTP/1.1\n" H "\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\nHost: a\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "\n", "ERR 400\n"},
        {"\nGET / HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\r\n" H "\r\n", "ERR 400\n"},
        /* whitespace before the colon */
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "Transfer-Encoding\t: chunked\r\n\r\n", "ERR 400\n"},
        /* Transfer-Encoding in HTTP/1.0 */
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "ERR 400\n"},
        /* transfer codings: chunked only, final, once */
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", "ERR 501\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, gzip\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: identity\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
         "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked;x=1\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: \"chunked\"\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: ,\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n\r\n", "ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: xchunked\r\n\r\n", "ERR 400\n"},
        /* Host: required on 1.1, at most once, well-formed */
        {"GET / HTTP/1.1\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", "ERR 400\n"},
        {"GET http://a/ HTTP/1.1\r\n\r\n", "ERR 400\n"},
        /* NUL anywhere */
        {"GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n", "ERR 400\n",
         sizeof("GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n") - 1},
        {"GET /\0 HTTP/1.1\r\n" H "\r\n", "ERR 400\n", sizeof("GET /\0 HTTP/1.1\r\n" H "\r\n") - 1},
        {"GET / HTTP/1.1\r\n" H "X\0: a\r\n\r\n", "ERR 400\n",
         sizeof("GET / HTTP/1.1\r\n" H "X\0: a\r\n\r\n") - 1},
        {"G\0T / HTTP/1.1\r\n" H "\r\n", "ERR 400\n", sizeof("G\0T / HTTP/1.1\r\n" H "\r\n") - 1},
        /* CTL / DEL in values */
        {"GET / HTTP/1.1\r\n" H "X: a\x01\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n", "ERR 400\n"},
        /* more than four empty lines first */
        {"\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
    };
    CHECK(true, false, NULL, cases);
}

static void test_request_line(void **state)
{
    static const case_t cases[] = {
        {"GET  / HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET /  HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1 \r\n" H "\r\n", "ERR 400\n"},
        {" GET / HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET\t/ HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "\r\n", "GET / 11 a=a N k1 e0 f1\nEND f0\nEOF idle\n"},
        {"GET /\t HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET /a#frag HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET /\xc3\xa9 HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET /\r\n" H "\r\n", "ERR 400\n"},
        {"GE(T / HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "ERR 400\n", 11},
        /* a method longer than DMSC_HTTP_METHOD_MAX (32) */
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\n" H "\r\n", "ERR 501\n"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF / HTTP/1.1\r\n" H "\r\n",
         "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF / 11 a=a N k1 e0 f1\nEND f0\nEOF idle\n"},
        {"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", "ERR 501\n"},
        {"GET * HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET a:443 HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET ftp://a/ HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET http:///x HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET http://u@a/x HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET http:/a/x HTTP/1.1\r\n" H "\r\n", "ERR 400\n"},
        /* versions */
        {"GET / HTTP/2.0\r\n" H "\r\n", "ERR 505\n"},
        {"GET / HTTP/1.2\r\n" H "\r\n", "ERR 505\n"},
        {"GET / HTTP/0.9\r\n" H "\r\n", "ERR 505\n"},
        {"GET / http/1.1\r\n" H "\r\n", "ERR 400\n"},
        {"GET / HTTP/1.10\r\n" H "\r\n", "ERR 400\n"},
        {"GET / HTTP/1\r\n" H "\r\n", "ERR 400\n"},
        {"GET / HTTP/1.x\r\n" H "\r\n", "ERR 400\n"},
        {"GET / FOO\r\n" H "\r\n", "ERR 400\n"},
        /* field names */
        {"GET / HTTP/1.1\r\n" H ": x\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "X@Y: x\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "X-Y x\r\n\r\n", "ERR 400\n"},
        {"GET / HTTP/1.1\r\n" H "X(: x\r\n\r\n", "ERR 400\n"},
        /* truncated at EOF */
        {"GET / HTTP/1.1\r\nHo", "EOF ERR 400\n"},
        {"POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nab",
         "POST / 11 a=a L5 k1 e0 f2\nEOF Dab\nERR 400\n"},
        {"\r\n", "EOF idle\n"}, /* an empty line between messages */
        {"\r\n\r", "EOF ERR 400\n"},
    };
    CHECK(true, false, NULL, cases);
}

static void test_chunked(void **state)
{
#define CH "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"
#define CHOK "POST / 11 a=a C k1 e0 f2\n"
    static const case_t cases[] = {
        {CH "zz\r\n", CHOK "ERR 400\n"},
        {CH "\r\n", CHOK "ERR 400\n"},
        {CH "0x5\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "-1\r\n", CHOK "ERR 400\n"},
        {CH "+5\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH " 5\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5 \r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5\r\nhello\n0\r\n\r\n", CHOK "Dhello\nERR 400\n"},
        {CH "5\r\nhelloX\r\n0\r\n\r\n", CHOK "Dhello\nERR 400\n"},
        {CH "5\r\nhello\rX0\r\n\r\n", CHOK "Dhello\nERR 400\n"},
        {CH "5\r\nhello0\r\n\r\n", CHOK "Dhello\nERR 400\n"},
        /* size overflow: more than 16 hex digits, even with leading zeros */
        {CH "10000000000000000\r\n", CHOK "ERR 400\n"},
        {CH "00000000000000005\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "ffffffffffffffff\r\nab", CHOK "EOF Dab\nERR 400\n"},
        /* extensions: well-formed or 400 */
        {CH "5;\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;=x\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a=\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a=\"x\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a=b c\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a \r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a\x01\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", CHOK "ERR 400\n"},
        {CH "5;a;b=c;d=\"e f\"\r\nhello\r\n0\r\n\r\n", CHOK "Dhello\nEND f0\nEOF idle\n"},
        /* trailers: same rules as fields */
        {CH "0\r\nX: a\r\n b\r\n\r\n", CHOK "ERR 400\n"},
        {CH "0\r\nX : a\r\n\r\n", CHOK "ERR 400\n"},
        {CH "0\r\nX: a\n\r\n", CHOK "ERR 400\n"},
        {CH "0\r\nX: a\r\n\n", CHOK "ERR 400\n"},
        {CH "0\r\n\n", CHOK "ERR 400\n"},
        {CH "0\r\nX: 1\r\n", CHOK "EOF ERR 400\n"},
        {CH "0\r\n", CHOK "EOF ERR 400\n"},
        {CH "5\r\nhel", CHOK "EOF Dhel\nERR 400\n"},
        {CH "5\r\nhello\r", CHOK "EOF Dhello\nERR 400\n"},
        /* pipelined after a chunked message with trailers */
        {CH "1\r\na\r\n0\r\nT: x\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n",
         CHOK "Da\nEND f1\nGET / 11 a=a N k1 e0 f1\nEND f0\nEOF idle\n"},
    };
    CHECK(true, false, NULL, cases);
#undef CH
#undef CHOK
}

static void test_trailer_fields(void **state)
{
    static const char in[] = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3\r\nabc\r\n0\r\nX-Sum: 42 \r\nX-Other:y\r\n\r\n";
    dmsc_http1_parser_t p;
    dmsc_http1_parser_init(&p, true, NULL);
    const uint8_t *b = (const uint8_t *)in;
    size_t n = sizeof(in) - 1, used;
    assert_int_equal(dmsc_http1_parse(&p, b, n, &used, &ev), DMSC_HTTP1_HEAD);
    b += used, n -= used;
    assert_int_equal(dmsc_http1_parse(&p, b, n, &used, &ev), DMSC_HTTP1_BODY);
    assert_int_equal(ev.len, 3);
    assert_memory_equal(ev.data, "abc", 3);
    assert_ptr_equal(ev.data, b + 3); /* zero copy: a view after "3\r\n" */
    b += used, n -= used;
    assert_int_equal(dmsc_http1_parse(&p, b, n, &used, &ev), DMSC_HTTP1_END);
    assert_int_equal(used, n);
    assert_int_equal(ev.head.nfields, 2);
    const dmsc_http_field_t *f = dmsc_http_field_find(&ev.head, "x-sum");
    assert_non_null(f);
    assert_int_equal(f->value_len, 2);
    assert_memory_equal(f->value, "42", 2);
    f = dmsc_http_field_find(&ev.head, "X-OTHER");
    assert_non_null(f);
    assert_true(f->value_len == 1 && f->value[0] == 'y');
    assert_null(dmsc_http_field_find(&ev.head, "x-sum2"));
    assert_int_equal(dmsc_http1_parse(&p, b + used, 0, &used, &ev), DMSC_HTTP1_NEED_MORE);
    assert_int_equal(used, 0);
}

static void test_head_views(void **state)
{
    static const char in[] = "GET /p HTTP/1.1\r\nHost:  svc.example  \r\nX-A: 1\r\n\r\n";
    dmsc_http1_parser_t p;
    dmsc_http1_parser_init(&p, true, NULL);
    size_t used;
    assert_int_equal(dmsc_http1_parse(&p, (const uint8_t *)in, sizeof(in) - 1, &used, &ev),
                     DMSC_HTTP1_HEAD);
    assert_int_equal(used, sizeof(in) - 1);
    const dmsc_http_head_t *h = &ev.head;
    assert_true(h->is_request);
    assert_ptr_equal(h->method, in);
    assert_ptr_equal(h->target, in + 4);
    assert_int_equal(h->authority_len, 11);
    assert_memory_equal(h->authority, "svc.example", 11);
    assert_ptr_equal(h->authority, in + 24);
    assert_int_equal(h->nfields, 2);
    assert_int_equal(h->fields[0].name_len, 4);
    assert_ptr_equal(h->fields[0].name, in + 17);
    assert_true(dmsc_http_token_eq("Host", 4, "host"));
    assert_false(dmsc_http_token_eq("Hos", 3, "host"));
    assert_false(dmsc_http_token_eq("Hosts", 5, "host"));
    assert_true(dmsc_http_token_eq("", 0, ""));
}

/* ------------------------------------------------------------------ */
/* limits                                                              */

static void test_limits(void **state)
{
    dmsc_http1_limits_t lim = {.head_max = 64, .body_max = 10};
    static const case_t cases[] = {
        /* head exactly 64 bytes: fine; 65: 431 */
        {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\nX: 12\r\n\r\n",
         "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 11 a=a N k1 e0 f2\nEND f0\nEOF idle\n"},
        {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\nX: 123\r\n\r\n", "ERR 431\n"},
        /* 431 without ever seeing the end of the head */
        {"GET / HTTP/1.1\r\nHost: a\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "ERR 431\n"},
        /* the request line alone does not fit: 414 */
        {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n",
         "ERR 414\n"},
        /* body_max: declared, chunked running total */
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", "ERR 413\n"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789",
         "POST / 11 a=a L10 k1 e0 f2\nD0123456789\nEND f0\nEOF idle\n"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         "6\r\n012345\r\n5\r\n",
         "POST / 11 a=a C k1 e0 f2\nD012345\nERR 413\n"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n",
         "POST / 11 a=a C k1 e0 f2\nD0123456789\nEND f0\nEOF idle\n"},
        /* trailer section is bounded by head_max too */
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
         "POST / 11 a=a C k1 e0 f2\nERR 431\n"},
    };
    CHECK(true, false, &lim, cases);

    /* default head_max: a 20000-byte field is 431; limits are clamped */
    size_t n = 20000;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    memcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX: ", 28);
    memcpy(big + n - 4, "\r\n\r\n", 4);
    big[n] = 0;
    char *log = run(true, false, NULL, big, n, 0, 0);
    assert_string_equal(log, "ERR 431\n");
    free(log);
    log = run(true, false, NULL, big, n, 0, 1000);
    assert_string_equal(log, "ERR 431\n");
    free(log);
    dmsc_http1_limits_t huge = {.head_max = 1 << 30};
    dmsc_http1_parser_t p;
    dmsc_http1_parser_init(&p, true, &huge);
    assert_int_equal(p.lim.head_max, DMSC_HTTP_HEAD_MAX_LIMIT);
    free(big);

    /* too many fields: 128 is fine, 129 is 431 */
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 0);
    for (int nf = 128; nf <= 129; nf++) {
        b.len = 0;
        assert_int_equal(dmsc_gw_buf_append_str(&b, "GET / HTTP/1.1\r\nHost: a\r\n"), 0);
        for (int i = 1; i < nf; i++) {
            char line[32];
            snprintf(line, sizeof(line), "X-%d: %d\r\n", i, i);
            assert_int_equal(dmsc_gw_buf_append_str(&b, line), 0);
        }
        assert_int_equal(dmsc_gw_buf_append_str(&b, "\r\n"), 0);
        log = run(true, false, NULL, (const char *)b.p, b.len, 0, 0);
        assert_string_equal(log, nf == 128 ? "GET / 11 a=a N k1 e0 f128\nEND f0\nEOF idle\n"
                                           : "ERR 431\n");
        free(log);
    }
    dmsc_gw_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* responses                                                           */

static void test_responses(void **state)
{
    static const case_t cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
         "200 11 'OK' L3 k1 f1\nDabc\nEND f0\nEOF idle\n"},
        /* no length: read until EOF, not keep-alive */
        {"HTTP/1.1 200 OK\r\nX: y\r\n\r\nabc\r\n\r\ndef",
         "200 11 'OK' F k0 f1\nEOF Dabc\r\n\r\ndef\nEND f0\n"},
        {"HTTP/1.1 200 OK\r\n\r\n", "200 11 'OK' F k0 f0\nEOF END f0\n"},
        /* 204 and 304: no body whatever the fields say; pipelined responses */
        {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
         "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz",
         "204 11 'No Content' N k1 f1\nEND f0\n304 11 'Not Modified' N k1 f1\nEND f0\n"
         "200 11 'OK' L1 k1 f1\nDz\nEND f0\nEOF idle\n"},
        /* 1xx interim responses, then the final one */
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
         "100 11 'Continue' N k1 f0\nEND f0\n103 11 'Early Hints' N k1 f1\nEND f0\n"
         "200 11 'OK' L2 k1 f1\nDok\nEND f0\nEOF idle\n"},
        /* chunked with trailers */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
         "200 11 'OK' C k1 f1\nDabc\nEND f1\nEOF idle\n"},
        /* reason phrase optional, even the SP */
        {"HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", "404 11 '' L0 k1 f1\nEND f0\nEOF idle\n"},
        {"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", "404 11 '' L0 k1 f1\nEND f0\nEOF idle\n"},
        {"HTTP/1.1 599 Odd \t reason \xff\r\nContent-Length: 0\r\n\r\n",
         "599 11 'Odd \t reason \xff' L0 k1 f1\nEND f0\nEOF idle\n"},
        /* HTTP/1.0 responses */
        {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
         "200 10 'OK' L1 k0 f1\nDx\nEND f0\nEOF idle\n"},
        {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx",
         "200 10 'OK' L1 k1 f2\nDx\nEND f0\nEOF idle\n"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx",
         "200 11 'OK' L1 k0 f2\nDx\nEND f0\nEOF idle\n"},
        /* identical duplicate Content-Length is tolerated in responses */
        {"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok",
         "200 11 'OK' L2 k1 f2\nDok\nEND f0\nEOF idle\n"},
        /* errors: always 502 */
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "ERR 502\n"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok", "ERR 502\n"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 20 OK\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 099 Low\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 2000 OK\r\n\r\n", "ERR 502\n"},
        {"HTTP/2 200 OK\r\n\r\n", "ERR 502\n"},
        {"HTTP/2.0 200 OK\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1  200 OK\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 200 O\x01K\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "ERR 502\n"},
        {"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", "ERR 502\n"},
        /* truncated */
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
         "200 11 'OK' L10 k1 f1\nEOF Dabc\nERR 502\n"},
        {"HTTP/1.1 200 OK\r\nContent-Le", "EOF ERR 502\n"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab",
         "200 11 'OK' C k1 f1\nEOF Dab\nERR 502\n"},
    };
    CHECK(false, false, NULL, cases);

    /* responses to HEAD: no body, Content-Length still reported */
    static const case_t head_cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: "
         "chunked\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n",
         "200 11 'OK' N k1 f1\nEND f0\n200 11 'OK' N k1 f1\nEND f0\n404 11 'Not Found' N k1 "
         "f0\nEND f0\nEOF idle\n"},
        /* the HEAD flag survives an interim response */
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
         "100 11 'Continue' N k1 f0\nEND f0\n200 11 'OK' N k1 f1\nEND f0\nEOF idle\n"},
    };
    CHECK(false, true, NULL, head_cases);

    dmsc_http1_limits_t lim = {.body_max = 4};
    static const case_t lim_cases[] = {
        {"HTTP/1.1 200 OK\r\n\r\nabcdefgh", "200 11 'OK' F k0 f0\nDabcd\nERR 502\n"},
        {"HTTP/1.1 200 OK\r\n\r\nabcd", "200 11 'OK' F k0 f0\nEOF Dabcd\nEND f0\n"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", "ERR 502\n"},
    };
    CHECK(false, false, &lim, lim_cases);
}

static void test_head_request_flag_resets(void **state)
{
    /* expect_response(true) applies to one final response only */
    static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    dmsc_http1_parser_t p;
    dmsc_http1_parser_init(&p, false, NULL);
    dmsc_http1_parser_expect_response(&p, true);
    const uint8_t *b = (const uint8_t *)in;
    size_t n = sizeof(in) - 1, used;
    assert_int_equal(dmsc_http1_parse(&p, b, n, &used, &ev), DMSC_HTTP1_HEAD);
    assert_int_equal(ev.head.body, DMSC_HTTP_BODY_NONE);
    assert_int_equal(ev.head.content_length, 2);
    b += used, n -= used;
    assert_int_equal(dmsc_http1_parse(&p, b, n, &used, &ev), DMSC_HTTP1_END);
    assert_int_equal(used, 0);
    assert_int_equal(dmsc_http1_parse(&p, b, n, &used, &ev), DMSC_HTTP1_HEAD);
    assert_int_equal(ev.head.body, DMSC_HTTP_BODY_LENGTH);
    assert_null(ev.head.method);
    assert_false(ev.head.is_request);
}

static void test_eof(void **state)
{
    dmsc_http1_parser_t p;
    /* nothing in progress: a clean close */
    dmsc_http1_parser_init(&p, true, NULL);
    assert_int_equal(dmsc_http1_parse_eof(&p, &ev), DMSC_HTTP1_NEED_MORE);
    /* END not collected yet: EOF completes it */
    static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t used;
    assert_int_equal(dmsc_http1_parse(&p, (const uint8_t *)get, sizeof(get) - 1, &used, &ev),
                     DMSC_HTTP1_HEAD);
    assert_int_equal(dmsc_http1_parse_eof(&p, &ev), DMSC_HTTP1_END);
    assert_int_equal(dmsc_http1_parse_eof(&p, &ev), DMSC_HTTP1_NEED_MORE);
    /* sticky error through EOF */
    assert_int_equal(dmsc_http1_parse(&p, (const uint8_t *)"\n", 1, &used, &ev), DMSC_HTTP1_ERROR);
    assert_int_equal(dmsc_http1_parse_eof(&p, &ev), DMSC_HTTP1_ERROR);
    assert_int_equal(ev.status, 400);
    assert_string_equal(ev.reason, "malformed request line");
    assert_int_equal(dmsc_http1_parse(&p, (const uint8_t *)get, sizeof(get) - 1, &used, &ev),
                     DMSC_HTTP1_ERROR);
    assert_int_equal(used, 0);
}

/* ------------------------------------------------------------------ */
/* serializers                                                         */

static char *str(const dmsc_gw_buf_t *b)
{
    char *s = malloc(b->len + 1);
    memcpy(s, b->p, b->len);
    s[b->len] = 0;
    return s;
}

#define F(n, v)                                                                                    \
    {                                                                                              \
        n, sizeof(n) - 1, v, sizeof(v) - 1                                                         \
    }

static void test_write_request(void **state)
{
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 0);
    const dmsc_http_field_t fields[] = {
        F("Host", "svc.example"),       F("Content-Length", "99"),  F("X-A", "1 2"),
        F("transfer-encoding", "gzip"), F("Connection", "upgrade"), F("X-Empty", ""),
    };
    assert_int_equal(dmsc_http1_write_request(&b, "POST", 4, "/a?b", 4, fields, 6,
                                              DMSC_HTTP_BODY_LENGTH, 5, true),
                     0);
    assert_int_equal(dmsc_gw_buf_append_str(&b, "hello"), 0);
    char *s = str(&b);
    assert_string_equal(s, "POST /a?b HTTP/1.1\r\nHost: svc.example\r\nX-A: 1 2\r\nX-Empty: "
                           "\r\nContent-Length: 5\r\n\r\nhello");
    free(s);
    char *log = run(true, false, NULL, (const char *)b.p, b.len, 0, 0);
    assert_string_equal(log, "POST /a?b 11 a=svc.example L5 k1 e0 f4\nDhello\nEND f0\nEOF idle\n");
    free(log);

    /* chunked, not keep-alive, with trailers */
    b.len = 0;
    assert_int_equal(dmsc_http1_write_request(&b, "PUT", 3, "/x", 2, fields, 1,
                                              DMSC_HTTP_BODY_CHUNKED, 0, false),
                     0);
    assert_int_equal(dmsc_http1_write_chunk_header(&b, 11), 0);
    assert_int_equal(dmsc_gw_buf_append_str(&b, "hello world" DMSC_HTTP1_CRLF), 0);
    assert_int_equal(dmsc_http1_write_chunk_header(&b, 300), 0);
    for (int i = 0; i < 30; i++)
        assert_int_equal(dmsc_gw_buf_append_str(&b, "0123456789"), 0);
    assert_int_equal(dmsc_gw_buf_append_str(&b, DMSC_HTTP1_CRLF), 0);
    const dmsc_http_field_t tr[] = {F("X-Checksum", "abc"), F("Content-Length", "1")};
    assert_int_equal(dmsc_http1_write_last_chunk(&b, tr, 2), 0);
    s = str(&b);
    assert_non_null(strstr(s, "PUT /x HTTP/1.1\r\nHost: svc.example\r\nTransfer-Encoding: "
                              "chunked\r\nConnection: close\r\n\r\nb\r\nhello world\r\n12c\r\n"));
    assert_non_null(strstr(s, "0123456789\r\n0\r\nX-Checksum: abc\r\n\r\n"));
    free(s);
    dmsc_http1_parser_t p;
    dmsc_http1_parser_init(&p, true, NULL);
    size_t off = 0, used, got = 0;
    int t;
    while ((t = dmsc_http1_parse(&p, b.p + off, b.len - off, &used, &ev)) != DMSC_HTTP1_END) {
        assert_true(t == DMSC_HTTP1_HEAD || t == DMSC_HTTP1_BODY);
        if (t == DMSC_HTTP1_HEAD) assert_false(ev.head.keep_alive);
        if (t == DMSC_HTTP1_BODY) got += ev.len;
        off += used;
    }
    assert_int_equal(got, 311);
    assert_int_equal(ev.head.nfields, 1);
    assert_int_equal(off + used, b.len);

    /* GET without a body: no framing field */
    b.len = 0;
    assert_int_equal(
        dmsc_http1_write_request(&b, "GET", 3, "/", 1, fields, 1, DMSC_HTTP_BODY_NONE, 0, true), 0);
    s = str(&b);
    assert_string_equal(s, "GET / HTTP/1.1\r\nHost: svc.example\r\n\r\n");
    free(s);

    /* injection attempts are refused, and the buffer is unchanged */
    size_t before = b.len;
    const dmsc_http_field_t bad[] = {
        F("X", "a\r\nEvil: 1"), F("X Y", "a"), F("", "a"), F("X", "a\nb"), {"X", 1, "a\0b", 3}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dmsc_http1_write_request(&b, "GET", 3, "/", 1, &bad[i], 1,
                                                  DMSC_HTTP_BODY_NONE, 0, true),
                         DMSC_EINVAL);
    assert_int_equal(dmsc_http1_write_request(&b, "GE T", 4, "/", 1, fields, 1, 0, 0, true),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_http1_write_request(&b, "GET", 3, "/ x", 3, fields, 1, 0, 0, true),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_http1_write_request(&b, "GET", 3, "", 0, fields, 1, 0, 0, true),
                     DMSC_EINVAL);
    assert_int_equal(
        dmsc_http1_write_request(&b, "GET", 3, "/", 1, fields, 1, DMSC_HTTP_BODY_EOF, 0, true),
        DMSC_EINVAL);
    assert_int_equal(b.len, before);
    dmsc_gw_buf_free(&b);
}

static void test_write_response(void **state)
{
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 0);
    const dmsc_http_field_t fields[] = {F("Content-Type", "text/plain"), F("Content-Length", "7")};
    char *s;

    assert_int_equal(
        dmsc_http1_write_response(&b, 200, NULL, fields, 2, DMSC_HTTP_BODY_LENGTH, 3, 11, true), 0);
    assert_int_equal(dmsc_gw_buf_append_str(&b, "abc"), 0);
    s = str(&b);
    assert_string_equal(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                           "3\r\n\r\nabc");
    free(s);
    char *log = run(false, false, NULL, (const char *)b.p, b.len, 0, 0);
    assert_string_equal(log, "200 11 'OK' L3 k1 f2\nDabc\nEND f0\nEOF idle\n");
    free(log);

    /* 1.0 client, keep-alive, known length */
    b.len = 0;
    assert_int_equal(
        dmsc_http1_write_response(&b, 404, NULL, NULL, 0, DMSC_HTTP_BODY_LENGTH, 0, 10, true), 0);
    s = str(&b);
    assert_string_equal(
        s, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
    free(s);

    /* 1.0 client, unknown length: close-delimited; chunked refused */
    assert_int_equal(dmsc_http1_response_body(10, false), DMSC_HTTP_BODY_EOF);
    assert_int_equal(dmsc_http1_response_body(11, false), DMSC_HTTP_BODY_CHUNKED);
    assert_int_equal(dmsc_http1_response_body(10, true), DMSC_HTTP_BODY_LENGTH);
    assert_int_equal(
        dmsc_http1_write_response(&b, 200, NULL, NULL, 0, DMSC_HTTP_BODY_CHUNKED, 0, 10, true),
        DMSC_EINVAL);
    b.len = 0;
    assert_int_equal(
        dmsc_http1_write_response(&b, 200, "Fine", fields, 1, DMSC_HTTP_BODY_EOF, 0, 10, true), 0);
    assert_int_equal(dmsc_gw_buf_append_str(&b, "streamed"), 0);
    s = str(&b);
    assert_string_equal(s, "HTTP/1.1 200 Fine\r\nContent-Type: text/plain\r\nConnection: "
                           "close\r\n\r\nstreamed");
    free(s);
    log = run(false, false, NULL, (const char *)b.p, b.len, 0, 0);
    assert_string_equal(log, "200 11 'Fine' F k0 f2\nEOF Dstreamed\nEND f0\n");
    free(log);

    /* 1.1 chunked, closing */
    b.len = 0;
    assert_int_equal(
        dmsc_http1_write_response(&b, 502, NULL, NULL, 0, DMSC_HTTP_BODY_CHUNKED, 0, 11, false), 0);
    assert_int_equal(dmsc_http1_write_chunk_header(&b, 2), 0);
    assert_int_equal(dmsc_gw_buf_append_str(&b, "no" DMSC_HTTP1_CRLF), 0);
    assert_int_equal(dmsc_http1_write_last_chunk(&b, NULL, 0), 0);
    s = str(&b);
    assert_string_equal(s, "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\nConnection: "
                           "close\r\n\r\n2\r\nno\r\n0\r\n\r\n");
    free(s);
    log = run(false, false, NULL, (const char *)b.p, b.len, 0, 0);
    assert_string_equal(log, "502 11 'Bad Gateway' C k0 f2\nDno\nEND f0\nEOF idle\n");
    free(log);

    /* 204/304/1xx: no framing fields; unknown status: empty reason */
    b.len = 0;
    assert_int_equal(
        dmsc_http1_write_response(&b, 304, NULL, fields, 2, DMSC_HTTP_BODY_LENGTH, 9, 11, true), 0);
    s = str(&b);
    assert_string_equal(s, "HTTP/1.1 304 Not Modified\r\nContent-Type: text/plain\r\n\r\n");
    free(s);
    b.len = 0;
    assert_int_equal(
        dmsc_http1_write_response(&b, 299, NULL, NULL, 0, DMSC_HTTP_BODY_LENGTH, 0, 11, true), 0);
    s = str(&b);
    assert_string_equal(s, "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
    free(s);
    assert_string_equal(dmsc_http1_reason(413), "Content Too Large");
    assert_string_equal(dmsc_http1_reason(1000), "");

    /* 100 Continue, then the response: the interim is its own head */
    b.len = 0;
    assert_int_equal(dmsc_http1_write_continue(&b), 0);
    s = str(&b);
    assert_string_equal(s, "HTTP/1.1 100 Continue\r\n\r\n");
    free(s);
    assert_int_equal(
        dmsc_http1_write_response(&b, 201, NULL, NULL, 0, DMSC_HTTP_BODY_LENGTH, 0, 11, true), 0);
    log = run(false, false, NULL, (const char *)b.p, b.len, 0, 0);
    assert_string_equal(log, "100 11 'Continue' N k1 f0\nEND f0\n201 11 'Created' L0 k1 "
                             "f1\nEND f0\nEOF idle\n");
    free(log);

    /* refused */
    size_t before = b.len;
    assert_int_equal(dmsc_http1_write_response(&b, 99, NULL, NULL, 0, 0, 0, 11, true), DMSC_EINVAL);
    assert_int_equal(dmsc_http1_write_response(&b, 1000, NULL, NULL, 0, 0, 0, 11, true),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_http1_write_response(&b, 200, "O\r\nK", NULL, 0, 0, 0, 11, true),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_http1_write_response(&b, 200, NULL, NULL, 0, 0, 0, 20, true),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_http1_write_chunk_header(&b, 0), DMSC_EINVAL);
    assert_int_equal(b.len, before);
    b.len = 0;
    assert_int_equal(dmsc_http1_write_chunk_header(&b, UINT64_MAX), 0);
    s = str(&b);
    assert_string_equal(s, "ffffffffffffffff\r\n");
    free(s);
    dmsc_gw_buf_free(&b);
}

static void test_buf(void **state)
{
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 40);
    assert_int_equal(b.max, 40);
    const dmsc_http_field_t f[] = {F("Host", "a-rather-long-host-name.example")};
    /* too big for 40 bytes: ENOBUFS and nothing written */
    assert_int_equal(dmsc_gw_buf_append_str(&b, "keep"), 0);
    assert_int_equal(dmsc_http1_write_request(&b, "GET", 3, "/", 1, f, 1, 0, 0, true),
                     DMSC_ENOBUFS);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.p, "keep", 4);
    assert_int_equal(dmsc_gw_buf_reserve(&b, 36), 0);
    assert_true(b.cap - b.len >= 36);
    assert_int_equal(dmsc_gw_buf_reserve(&b, 37), DMSC_ENOBUFS);
    assert_int_equal(dmsc_gw_buf_reserve(&b, SIZE_MAX), DMSC_ENOBUFS);
    assert_int_equal(dmsc_gw_buf_append(&b, "0123456789012345678901234567890123456", 37),
                     DMSC_ENOBUFS);
    assert_int_equal(dmsc_gw_buf_append(&b, "012345678901234567890123456789012345", 36), 0);
    assert_int_equal(b.len, 40);
    assert_int_equal(dmsc_gw_buf_append(&b, "x", 1), DMSC_ENOBUFS);
    assert_int_equal(dmsc_gw_buf_append(&b, NULL, 0), 0);
    dmsc_gw_buf_drop(&b, 4);
    assert_int_equal(b.len, 36);
    assert_memory_equal(b.p, "0123", 4);
    dmsc_gw_buf_drop(&b, 100);
    assert_int_equal(b.len, 0);
    dmsc_gw_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(dmsc_gw_buf_append_str(&b, "again"), 0);
    dmsc_gw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_valid),
        cmocka_unit_test(test_request_smuggling),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_trailer_fields),
        cmocka_unit_test(test_head_views),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_head_request_flag_resets),
        cmocka_unit_test(test_eof),
        cmocka_unit_test(test_write_request),
        cmocka_unit_test(test_write_response),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
