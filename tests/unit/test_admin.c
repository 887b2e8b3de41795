/*
 * Admin API: HTTP parser edge cases, routing, JSON views and the /metrics
 * exposition through the sans-I/O core (a fake face table, a real
 * forwarder, a fake clock); then the libuv server over loopback TCP
 * (keep-alive, pipelining, limits, timeouts, shutdown) with the CLI's
 * client, and the CLI's table renderers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mgmt/admin.h"
#include "mgmt/version.h"

/* The CLI is an executable, not a library: compile its client and views in. */
#include "cli/admin_client.c"
#include "cli/cmd_node.c"

/* ------------------------------------------------------------------ */
/* fixtures                                                            */

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    return *(uint64_t *)ctx;
}

#define NFAKE 3
static dmsc_face_info_t fake_faces[NFAKE];
static size_t nfake;
static dmsc_fw_face_counters_t fc256;

static void fake_foreach(void *ctx, dmsc_admin_face_cb cb, void *arg)
{
    for (size_t i = 0; i < nfake; i++)
        if (cb(arg, &fake_faces[i])) return;
}

static int sent_count;
static int io_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt)
{
    sent_count++;
    return 0;
}

typedef struct {
    dmsc_fw_t *fw;
    dmsc_admin_t *a;
} fx_t;

static void name(dmsc_namebuf_t *nb, const char *uri)
{
    assert_int_equal(dmsc_namebuf_from_uri(nb, uri), 0);
}

/* Two faces: 257 (local app face, counters from the forwarder) listed
 * before 256 (UDP, counters from the fake table), to check sorting. */
static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.pit_max = 1000;
    cfg.pit_max_per_face = 100;
    cfg.cs_max_entries = 500;
    cfg.cs_max_bytes = 1048576;
    cfg.fib_max = 50;
    dmsc_fw_io_t io = {NULL, io_send};
    fx->fw = dmsc_fw_new(&cfg, &io);
    assert_non_null(fx->fw);
    assert_int_equal(dmsc_fw_face_add(fx->fw, 256, DMSC_SCOPE_NONLOCAL), 0);
    assert_int_equal(dmsc_fw_face_add(fx->fw, 257, DMSC_SCOPE_LOCAL), 0);

    memset(fake_faces, 0, sizeof fake_faces);
    memset(&fc256, 0, sizeof fc256);
    nfake = 2;
    dmsc_face_info_t *f = &fake_faces[0];
    f->id = 257;
    strcpy(f->remote_uri, "app://mgmt");
    strcpy(f->local_uri, "app://mgmt");
    f->scope = DMSC_SCOPE_LOCAL;
    f->persistency = DMSC_FACE_PERMANENT;
    f->link_type = DMSC_LINK_P2P;
    f->flags = DMSC_FACE_FLAG_LOCAL_FIELDS;
    f->counters = NULL; /* -> dmsc_fw_face_counters */
    f = &fake_faces[1];
    f->id = 256;
    strcpy(f->remote_uri, "udp4://192.0.2.1:6363");
    strcpy(f->local_uri, "udp4://0.0.0.0:6363");
    f->scope = DMSC_SCOPE_NONLOCAL;
    f->persistency = DMSC_FACE_PERSISTENT;
    f->link_type = DMSC_LINK_P2P;
    f->flags = DMSC_FACE_FLAG_CONGESTION_MARKING;
    f->mtu = 8800;
    f->counters = &fc256;
    fc256.in_interests = 10;
    fc256.in_data = 2;
    fc256.in_nacks = 1;
    fc256.out_interests = 7;
    fc256.out_data = 9;
    fc256.out_nacks = 0;
    fc256.in_bytes = 1234;
    fc256.out_bytes = 5678;
    fc256.pit_entries = 3;
    fc256.drops[DMSC_DROP_NO_ROUTE] = 4;
    fc256.drops[DMSC_DROP_MALFORMED] = 1;
    f->link.in_lp_packets = 13;
    f->link.out_lp_packets = 16;
    f->link.out_drops = 3;
    f->link.out_cmarks = 2;

    fx->a = dmsc_admin_new(fx->fw, NULL, "/example/node/a");
    assert_non_null(fx->a);
    dmsc_admin_set_face_source(fx->a, fake_foreach, NULL);
    fake_now = 5000000000ull;
    dmsc_admin_set_clock(fx->a, fake_clock, &fake_now);
    dmsc_admin_set_fw_config(fx->a, &cfg);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    dmsc_admin_free(fx->a);
    dmsc_fw_free(fx->fw);
    free(fx);
    return 0;
}

/* One request through dmsc_admin_process; returns the response (caller frees).
 */
static dmsc_admin_out_t req(dmsc_admin_t *a, const char *raw)
{
    dmsc_admin_out_t out = {0};
    int n = dmsc_admin_process(a, (const uint8_t *)raw, strlen(raw), &out);
    if (n != (int)strlen(raw)) fail_msg("process consumed %d of %zu bytes", n, strlen(raw));
    return out;
}

static const char *body_of(const dmsc_admin_out_t *o)
{
    const char *b = strstr(o->data, "\r\n\r\n");
    assert_non_null(b);
    return b + 4;
}

/* GET path; asserts 200 and returns the body (static storage). */
static const char *get_body(dmsc_admin_t *a, const char *path)
{
    static char buf[1 << 16];
    char raw[512];
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    dmsc_admin_out_t o = req(a, raw);
    if (o.status != 200) fail_msg("GET %s: %d\n%s", path, o.status, o.data);
    snprintf(buf, sizeof buf, "%s", body_of(&o));
    dmsc_admin_out_free(&o);
    return buf;
}

#define assert_prefix(s, lit)                                                                      \
    do {                                                                                           \
        if (strncmp((s), (lit), strlen(lit)) != 0)                                                 \
            fail_msg("does not start with %s:\n%s", (lit), (s));                                   \
    } while (0)

/* true if text has this exact line */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n') return true;
    return false;
}

#define assert_line(text, line)                                                                    \
    do {                                                                                           \
        if (!has_line(text, line)) fail_msg("missing line: %s\n---\n%s", line, text);              \
    } while (0)

/* ------------------------------------------------------------------ */
/* HTTP parser                                                         */

static int parse(const char *raw, dmsc_admin_http_req_t *r)
{
    return dmsc_admin_http_parse((const uint8_t *)raw, strlen(raw), NULL, r);
}

static int parse_status(const char *raw)
{
    dmsc_admin_http_req_t r;
    int rc = parse(raw, &r);
    if (rc == DMSC_EINVAL) return r.status;
    return rc > 0 ? 200 : rc;
}

static void test_parse_basic(void **state)
{
    dmsc_admin_http_req_t r;
    const char *raw = "GET /status?x=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\r\n\r\n";
    assert_int_equal(parse(raw, &r), (int)strlen(raw));
    assert_int_equal(r.method_len, 3);
    assert_memory_equal(r.method, "GET", 3);
    assert_int_equal(r.target_len, strlen("/status?x=1"));
    assert_memory_equal(r.target, "/status?x=1", r.target_len);
    assert_int_equal(r.minor, 1);
    assert_true(r.keep_alive);
    assert_true(r.has_host);
    assert_int_equal(r.nfields, 2);
    assert_int_equal(r.head_len, strlen(raw));

    /* every proper prefix is incomplete, never an error */
    for (size_t n = 0; n < strlen(raw); n++) {
        int rc = dmsc_admin_http_parse((const uint8_t *)raw, n, NULL, &r);
        if (rc != 0) fail_msg("prefix of %zu bytes: %d", n, rc);
    }
    /* bare LF line endings, leading empty lines (RFC 9112 2.2) */
    assert_int_equal(parse("\r\n\nGET / HTTP/1.1\nHost: a\n\n", &r), 27);
    assert_int_equal(r.target_len, 1);
    /* HTTP/1.0: no Host needed, closes unless keep-alive */
    assert_int_equal(parse_status("GET / HTTP/1.0\r\n\r\n"), 200);
    parse("GET / HTTP/1.0\r\n\r\n", &r);
    assert_false(r.keep_alive);
    parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r);
    assert_true(r.keep_alive);
    parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &r);
    assert_false(r.keep_alive);
    /* HTTP/1.x with x > 1 is served as 1.1 */
    parse("GET / HTTP/1.7\r\nHost: a\r\n\r\n", &r);
    assert_int_equal(r.minor, 1);
    /* absolute-form is reduced to its path */
    assert_true(parse("GET http://127.0.0.1:7380/faces?a HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
    assert_int_equal(r.target_len, 8);
    assert_memory_equal(r.target, "/faces?a", 8);
    assert_true(parse("GET HTTPS://h HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
    assert_memory_equal(r.target, "/", 1);
    /* field value whitespace and obs-text are fine */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost:a\r\nX: \t v\xe9 \t\r\n\r\n"), 200);
}

static void test_parse_bad_request_line(void **state)
{
    static const char *const bad[] = {
        "GET /\r\nHost: a\r\n\r\n",               /* no version */
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",     /* two spaces */
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",     /* trailing space */
        "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n",    /* extra token */
        " GET / HTTP/1.1\r\nHost: a\r\n\r\n",     /* leading space */
        "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",      /* not a token */
        "GET status HTTP/1.1\r\nHost: a\r\n\r\n", /* not origin-form */
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",  /* asterisk-form */
        "GET / HTTX/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1.1\r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", /* control character in target
                                                   */
        "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",    /* bare CR */
        "\r\r\n",                                 /* CR not followed by LF */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse_status(bad[i]) != 400)
            fail_msg("case %zu: %d, want 400", i, parse_status(bad[i]));
    assert_int_equal(parse_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    assert_int_equal(parse_status("GET / HTTP/0.9\r\n\r\n"), 505);
    char longm[128];
    memset(longm, 'A', 40);
    strcpy(longm + 40, " / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(parse_status(longm), 501);
    /* what cannot be a request line fails before the head is complete */
    assert_int_equal(parse_status("\x16\x03\x01\x02\x00"), 400);
    assert_int_equal(parse_status("GET / HTTP/1.1\r\n"), 0); /* fine so far */
    assert_int_equal(parse_status("GE"), 0);
}

static void test_parse_bad_fields(void **state)
{
    assert_int_equal(parse_status("GET / HTTP/1.1\r\n\r\n"), 400); /* no Host */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                     400); /* 2 Hosts */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"),
                     400);                                                     /* obs-fold */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400); /* space before : */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost a\r\n\r\n"), 400);   /* no colon */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n"), 400); /* no name */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400);     /* bare CR */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"), 400);    /* CTL */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n"), 400);    /* DEL */
    /* Content-Length */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n"), 400);
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400);
    assert_int_equal(parse_status("GET / HTTP/1.1\r\n"
                                  "Host: a\r\n"
                                  "Content-Length: 1\r\n"
                                  "Content-Length: 2\r\n"
                                  "\r\n"),
                     400);
    assert_int_equal(parse_status("GET / HTTP/1.1\r\n"
                                  "Host: a\r\n"
                                  "Content-Length: 99999999999999999999999\r\n"
                                  "\r\n"),
                     413);
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n"),
                     413);
    /* Transfer-Encoding: not supported; with Content-Length: smuggling */
    assert_int_equal(
        parse_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
    assert_int_equal(parse_status("POST / HTTP/1.1\r\n"
                                  "Host: a\r\n"
                                  "Transfer-Encoding: chunked\r\n"
                                  "Content-Length: 3\r\n"
                                  "\r\n"),
                     400);
}

static void test_parse_body(void **state)
{
    dmsc_admin_http_req_t r;
    const char *raw = "POST /x HTTP/1.1\r\n"
                      "Host: a\r\n"
                      "Content-Length: 5\r\n"
                      "Content-Length: 5\r\n"
                      "\r\n"
                      "helloGET";
    size_t head = strlen(raw) - 8;
    for (size_t n = head; n < head + 5; n++)
        assert_int_equal(dmsc_admin_http_parse((const uint8_t *)raw, n, NULL, &r), 0);
    assert_int_equal(dmsc_admin_http_parse((const uint8_t *)raw, strlen(raw), NULL, &r),
                     (int)head + 5);
    assert_int_equal(r.content_length, 5);
    assert_int_equal(r.head_len, head);
}

static void test_parse_limits(void **state)
{
    dmsc_admin_limits_t lim;
    dmsc_admin_limits_default(&lim);
    assert_int_equal(lim.max_header_bytes, 8192);
    dmsc_admin_http_req_t r;
    /* a head of exactly max_header_bytes is accepted, one byte more is 431 */
    static char buf[20000];
    const char *pre = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    size_t fill = 8192 - strlen(pre) - 4;
    strcpy(buf, pre);
    memset(buf + strlen(pre), 'v', fill);
    strcpy(buf + strlen(pre) + fill, "\r\n\r\n");
    assert_int_equal(strlen(buf), 8192);
    assert_int_equal(dmsc_admin_http_parse((const uint8_t *)buf, 8192, &lim, &r), 8192);
    strcpy(buf + strlen(pre) + fill, "v\r\n\r\n");
    assert_int_equal(dmsc_admin_http_parse((const uint8_t *)buf, 8193, &lim, &r), DMSC_EINVAL);
    assert_int_equal(r.status, 431);
    /* an unterminated head is incomplete up to the limit, then 431 */
    memset(buf, 0, sizeof buf);
    strcpy(buf, "GET / HTTP/1.1\r\nX: ");
    memset(buf + strlen(buf), 'v', 15000);
    assert_int_equal(dmsc_admin_http_parse((const uint8_t *)buf, 8191, &lim, &r), 0);
    assert_int_equal(dmsc_admin_http_parse((const uint8_t *)buf, 8192, &lim, &r), DMSC_EINVAL);
    assert_int_equal(r.status, 431);
    assert_int_equal(dmsc_admin_http_parse((const uint8_t *)buf, 15000, &lim, &r), DMSC_EINVAL);
    assert_int_equal(r.status, 431);
    /* too many fields */
    lim.max_headers = 3;
    assert_true(parse_status("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n") > 0);
    assert_int_equal(
        dmsc_admin_http_parse(
            (const uint8_t *)"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 46, &lim,
            &r),
        DMSC_EINVAL);
    assert_int_equal(r.status, 431);
}

/* ------------------------------------------------------------------ */
/* routing and responses                                               */

static void test_pipelined(void **state)
{
    fx_t *fx = *state;
    const char *two = "GET /cs HTTP/1.1\r\n"
                      "Host: a\r\n"
                      "\r\n"
                      "HEAD /cs HTTP/1.1\r\n"
                      "Host: a\r\n"
                      "Connection: close\r\n"
                      "\r\n"
                      "GET /cs HTTP/1.1\r\n"
                      "Host: a\r\n"
                      "\r\n";
    size_t first = strlen("GET /cs HTTP/1.1\r\nHost: a\r\n\r\n");
    dmsc_admin_out_t o1 = {0}, o2 = {0};
    int n = dmsc_admin_process(fx->a, (const uint8_t *)two, strlen(two), &o1);
    assert_int_equal(n, (int)first);
    assert_int_equal(o1.status, 200);
    assert_false(o1.close);
    const char *rest = two + n;
    int n2 = dmsc_admin_process(fx->a, (const uint8_t *)rest, strlen(rest), &o2);
    assert_int_equal(n2, (int)strlen("HEAD /cs HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
    assert_int_equal(o2.status, 200);
    assert_true(o2.close);
    /* HEAD: the GET's headers, no body */
    const char *b1 = body_of(&o1);
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", strlen(b1));
    assert_non_null(strstr(o1.data, cl));
    assert_non_null(strstr(o2.data, cl));
    assert_string_equal(body_of(&o2), "");
    assert_non_null(strstr(o2.data, "\r\nConnection: close\r\n"));
    assert_null(strstr(o1.data, "Connection:"));
    dmsc_admin_out_free(&o1);
    dmsc_admin_out_free(&o2);
}

static void test_errors(void **state)
{
    fx_t *fx = *state;
    dmsc_admin_out_t o = req(fx->a, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 404);
    assert_false(o.close);
    assert_prefix(o.data, "HTTP/1.1 404 Not Found\r\n");
    assert_string_equal(body_of(&o), "{\"error\":\"not found\",\"status\":404}\n");
    dmsc_admin_out_free(&o);

    o = req(fx->a, "POST /status HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}");
    assert_int_equal(o.status, 405);
    assert_non_null(strstr(o.data, "\r\nAllow: GET, HEAD\r\n"));
    dmsc_admin_out_free(&o);

    /* a malformed request: 400, close, all input consumed */
    const char *bad = "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\nGET /cs HTTP/1.1\r\n\r\n";
    o = req(fx->a, bad);
    assert_int_equal(o.status, 400);
    assert_true(o.close);
    assert_prefix(o.data, "HTTP/1.1 400 Bad Request\r\n");
    assert_non_null(strstr(o.data, "\r\nConnection: close\r\n"));
    assert_string_equal(body_of(&o), "{\"error\":\"bad request\",\"status\":400}\n");
    dmsc_admin_out_free(&o);

    /* HTTP/1.0 keep-alive is echoed */
    o = req(fx->a, "GET /cs HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_non_null(strstr(o.data, "\r\nConnection: keep-alive\r\n"));
    assert_false(o.close);
    dmsc_admin_out_free(&o);
    o = req(fx->a, "GET /cs HTTP/1.0\r\n\r\n");
    assert_true(o.close);
    dmsc_admin_out_free(&o);

    /* incomplete: nothing consumed */
    dmsc_admin_out_t none = {0};
    assert_int_equal(dmsc_admin_process(fx->a, (const uint8_t *)"GET /cs HTTP/1.1\r\n", 18, &none),
                     0);
    assert_null(none.data);
}

static int h_routes(void *arg, const dmsc_admin_req_t *r, json_t **body)
{
    int *calls = arg;
    (*calls)++;
    *body = json_pack("{s:s, s:s, s:s, s:s#}", "method", r->method, "path", r->path, "query",
                      r->query, "body", (const char *)r->body, (int)r->body_len);
    return 200;
}

static void test_index(void **state)
{
    fx_t *fx = *state;
    int calls = 0;
    assert_int_equal(dmsc_admin_add_route(fx->a, "POST", "/services/*", h_routes, &calls), 0);
    char want[1024];
    snprintf(want, sizeof want,
             "{\"node\":\"/example/node/a\",\"version\":\"%s\","
             "\"endpoints\":[{\"method\":\"GET\",\"path\":\"/\"},"
             "{\"method\":\"GET\",\"path\":\"/status\"},{\"method\":\"GET\","
             "\"path\":\"/faces\"},{\"method\":\"GET\",\"path\":\"/fib\"},"
             "{\"method\":\"GET\",\"path\":\"/pit\"},{\"method\":\"GET\","
             "\"path\":\"/cs\"},{\"method\":\"GET\",\"path\":\"/strategy\"},"
             "{\"method\":\"GET\",\"path\":\"/metrics\"},{\"method\":\"POST\","
             "\"path\":\"/services/*\"}]}\n",
             dmsc_version());
    assert_string_equal(get_body(fx->a, "/"), want);
}

static int h_teapot(void *arg, const dmsc_admin_req_t *r, json_t **body)
{
    return 418;
}

static int h_bad_status(void *arg, const dmsc_admin_req_t *r, json_t **body)
{
    *body = json_object();
    return 42;
}

static void test_extension_routes(void **state)
{
    fx_t *fx = *state;
    int calls = 0;
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/routes", h_routes, &calls), 0);
    assert_int_equal(dmsc_admin_add_route(fx->a, "POST", "/routes", h_routes, &calls), 0);
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/routes/*", h_routes, &calls), 0);
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/routes/a/*", h_teapot, NULL), 0);
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/bad", h_bad_status, NULL), 0);
    /* taken, built-in, malformed */
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/routes", h_routes, &calls), DMSC_EINVAL);
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/status", h_routes, &calls), DMSC_EINVAL);
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "routes", h_routes, &calls), DMSC_EINVAL);
    assert_int_equal(dmsc_admin_add_route(fx->a, "G T", "/x", h_routes, &calls), DMSC_EINVAL);
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/x?y", h_routes, &calls), DMSC_EINVAL);
    assert_int_equal(dmsc_admin_add_route(fx->a, "GET", "/x", NULL, NULL), DMSC_EINVAL);

    assert_string_equal(get_body(fx->a, "/routes?x=1&y"),
                        "{\"method\":\"GET\",\"path\":\"/routes\",\"query\":\"x=1&y\","
                        "\"body\":\"\"}\n");
    assert_string_equal(get_body(fx->a, "/routes/b/c?pretty"), "{\n"
                                                               "  \"method\": \"GET\",\n"
                                                               "  \"path\": \"/routes/b/c\",\n"
                                                               "  \"query\": \"pretty\",\n"
                                                               "  \"body\": \"\"\n"
                                                               "}\n");
    dmsc_admin_out_t o =
        req(fx->a, "POST /routes HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd");
    assert_int_equal(o.status, 200);
    assert_string_equal(body_of(&o), "{\"method\":\"POST\",\"path\":\"/routes\","
                                     "\"query\":\"\",\"body\":\"abcd\"}\n");
    dmsc_admin_out_free(&o);
    assert_int_equal(calls, 3);
    /* the longer subtree wins; a handler's status without body gets an error body
     */
    o = req(fx->a, "GET /routes/a/b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 418);
    assert_string_equal(body_of(&o), "{\"error\":\"error\",\"status\":418}\n");
    dmsc_admin_out_free(&o);
    /* "/routes/" itself is in the subtree; "/routesX" is not */
    o = req(fx->a, "GET /routes/ HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 200);
    dmsc_admin_out_free(&o);
    o = req(fx->a, "GET /routesX HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 404);
    dmsc_admin_out_free(&o);
    /* 405 lists the path's methods */
    o = req(fx->a, "DELETE /routes HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 405);
    assert_non_null(strstr(o.data, "\r\nAllow: GET, POST, HEAD\r\n"));
    dmsc_admin_out_free(&o);
    /* out-of-range status from a handler: 500 */
    o = req(fx->a, "GET /bad HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 500);
    dmsc_admin_out_free(&o);

    assert_int_equal(dmsc_admin_remove_route(fx->a, "GET", "/routes"), 0);
    assert_int_equal(dmsc_admin_remove_route(fx->a, "GET", "/routes"), DMSC_EINVAL);
    o = req(fx->a, "GET /routes HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 405); /* POST remains */
    assert_non_null(strstr(o.data, "\r\nAllow: POST\r\n"));
    dmsc_admin_out_free(&o);
}

/* ------------------------------------------------------------------ */
/* JSON views                                                          */

static void add_routes(fx_t *fx)
{
    dmsc_namebuf_t p;
    name(&p, "/example/svc");
    assert_int_equal(dmsc_fw_fib_add(fx->fw, &p.name, 257, 20), 0);
    assert_int_equal(dmsc_fw_fib_add(fx->fw, &p.name, 256, 10), 0);
    name(&p, "/a");
    assert_int_equal(dmsc_fw_fib_add(fx->fw, &p.name, 256, 0), 0);
    dmsc_namebuf_t s;
    name(&p, "/example");
    name(&s, "/localhost/nfd/strategy/multicast");
    assert_int_equal(dmsc_fw_strategy_set(fx->fw, &p.name, &s.name), 0);
}

static const char *const drops_zero =
    "{\"malformed\":0,\"too-big\":0,\"hop-limit\":0,\"localhost-scope\":0,"
    "\"loop\":0,\"no-route\":0,\"pit-full\":0,\"pit-face-full\":0,"
    "\"unsolicited-data\":0,\"unmatched-nack\":0,\"face-down\":0}";

static void test_view_faces(void **state)
{
    fx_t *fx = *state;
    dmsc_fw_count_drop(fx->fw, 257, DMSC_DROP_FACE_DOWN);
    dmsc_fw_count_drop(fx->fw, 257, DMSC_DROP_FACE_DOWN);
    const char *b = get_body(fx->a, "/faces");
    char want[4096];
    snprintf(want, sizeof want,
             "{\"faces\":[{\"id\":256,\"remote_uri\":\"udp4://192.0.2.1:6363\","
             "\"local_uri\":\"udp4://0.0.0.0:6363\",\"scope\":\"non-local\","
             "\"persistency\":\"persistent\",\"link_type\":\"point-to-point\","
             "\"flags\":{\"local_fields\":false,\"lp_reliability\":false,"
             "\"congestion_marking\":true},\"mtu\":8800,\"counters\":{\"in_interests\":10,"
             "\"in_data\":2,\"in_nacks\":1,\"out_interests\":7,\"out_data\":9,"
             "\"out_nacks\":0,\"in_bytes\":1234,\"out_bytes\":5678,"
             "\"pit_entries\":3,\"drops\":{\"malformed\":1,\"too-big\":0,"
             "\"hop-limit\":0,\"localhost-scope\":0,\"loop\":0,\"no-route\":4,"
             "\"pit-full\":0,\"pit-face-full\":0,\"unsolicited-data\":0,"
             "\"unmatched-nack\":0,\"face-down\":0},"
             "\"link\":{\"in_lp_packets\":13,\"in_idle\":0,\"in_lp_invalid\":0,"
             "\"in_net_invalid\":0,\"in_frags\":0,\"in_reasm_drops\":0,"
             "\"out_lp_packets\":16,\"out_frags\":0,\"out_idle\":0,\"out_drops\":3,"
             "\"out_congestion_marks\":2,\"out_queue_bytes\":0}}},{\"id\":257,"
             "\"remote_uri\":\"app://mgmt\",\"local_uri\":\"app://mgmt\","
             "\"scope\":\"local\",\"persistency\":\"permanent\","
             "\"link_type\":\"point-to-point\",\"flags\":{\"local_fields\":true,"
             "\"lp_reliability\":false,\"congestion_marking\":false},"
             "\"mtu\":0,\"counters\":{\"in_interests\":0,\"in_data\":0,"
             "\"in_nacks\":0,\"out_interests\":0,\"out_data\":0,"
             "\"out_nacks\":0,\"in_bytes\":0,\"out_bytes\":0,\"pit_entries\":0,"
             "\"drops\":{\"malformed\":0,\"too-big\":0,\"hop-limit\":0,"
             "\"localhost-scope\":0,\"loop\":0,\"no-route\":0,\"pit-full\":0,"
             "\"pit-face-full\":0,\"unsolicited-data\":0,\"unmatched-nack\":0,"
             "\"face-down\":2},"
             "\"link\":{\"in_lp_packets\":0,\"in_idle\":0,\"in_lp_invalid\":0,"
             "\"in_net_invalid\":0,\"in_frags\":0,\"in_reasm_drops\":0,"
             "\"out_lp_packets\":0,\"out_frags\":0,\"out_idle\":0,\"out_drops\":0,"
             "\"out_congestion_marks\":0,\"out_queue_bytes\":0}}}]}\n");
    assert_string_equal(b, want);
}

static void test_view_status(void **state)
{
    fx_t *fx = *state;
    add_routes(fx);
    dmsc_fw_count_drop(fx->fw, 256, DMSC_DROP_MALFORMED);
    fake_now += 1234567890; /* 1234 ms later */
    const char *b = get_body(fx->a, "/status");
    const dmsc_fw_counters_t *g = dmsc_fw_counters(fx->fw);
    char want[4096];
    snprintf(want, sizeof want,
             "{\"node\":\"/example/node/a\",\"version\":\"%s\",\"uptime_ms\":1234,"
             "\"faces\":2,\"pit\":{\"entries\":%" PRIu64
             ",\"capacity\":1000},\"cs\":{\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64
             ",\"capacity_entries\":500,"
             "\"capacity_bytes\":1048576,"
             "\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 "},\"fib\":{\"entries\":2,"
             "\"capacity\":50},\"dnl\":{\"entries\":%" PRIu64 "},\"counters\":{\"in_interests\":10,"
             "\"in_data\":2,\"in_nacks\":1,"
             "\"out_interests\":7,\"out_data\":9,"
             "\"out_nacks\":0,\"in_bytes\":1234,"
             "\"out_bytes\":5678,"
             "\"satisfied_interests\":%" PRIu64 ",\"unsatisfied_interests\":%" PRIu64
             "},\"drops\":{\"malformed\":1,"
             "\"too-big\":0,\"hop-limit\":0,"
             "\"localhost-scope\":0,\"loop\":0,"
             "\"no-route\":0,\"pit-full\":0,"
             "\"pit-face-full\":0,\"unsolicited-data\":0,"
             "\"unmatched-nack\":0,\"face-down\":0}}\n",
             dmsc_version(), g->pit_size, g->cs_entries, g->cs_bytes, g->cs_hits, g->cs_misses,
             g->dnl_size, g->satisfied_interests, g->unsatisfied_interests);
    assert_string_equal(b, want);

    /* reload: a new node name */
    assert_int_equal(dmsc_admin_set_node_name(fx->a, "/example/node/b"), 0);
    assert_non_null(strstr(get_body(fx->a, "/status"), "{\"node\":\"/example/node/b\","));

    /* without a forwarder config, capacities are null */
    dmsc_admin_set_fw_config(fx->a, NULL);
    b = get_body(fx->a, "/cs");
    assert_non_null(strstr(b, "\"capacity_entries\":null,\"capacity_bytes\":null"));
}

static void test_view_fib_strategy(void **state)
{
    fx_t *fx = *state;
    add_routes(fx);
    assert_string_equal(get_body(fx->a, "/fib"),
                        "{\"fib\":[{\"prefix\":\"/a\",\"nexthops\":[{\"face\":256,"
                        "\"cost\":0}]},{\"prefix\":\"/example/svc\",\"nexthops\":[{\"face\":256,"
                        "\"cost\":10},{\"face\":257,\"cost\":20}]}]}\n");
    json_error_t e;
    json_t *st = json_loads(get_body(fx->a, "/strategy"), 0, &e);
    json_t *arr = json_object_get(st, "strategies");
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "prefix")), "/");
    assert_true(strncmp(json_string_value(json_object_get(json_array_get(arr, 0), "strategy")),
                        "/localhost/nfd/strategy/best-route", 34) == 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "prefix")),
                        "/example");
    assert_true(strncmp(json_string_value(json_object_get(json_array_get(arr, 1), "strategy")),
                        "/localhost/nfd/strategy/multicast", 33) == 0);
    json_decref(st);
}

static void test_view_pit_cs(void **state)
{
    fx_t *fx = *state;
    const dmsc_fw_counters_t *g = dmsc_fw_counters(fx->fw);
    char want[1024];
    snprintf(want, sizeof want,
             "{\"entries\":%" PRIu64 ",\"capacity\":1000,\"capacity_per_face\":100,"
             "\"satisfied_interests\":%" PRIu64 ",\"unsatisfied_interests\":%" PRIu64
             ",\"drops\":{\"pit-full\":0,"
             "\"pit-face-full\":0},"
             "\"faces\":[{\"face\":256,"
             "\"entries\":3},{\"face\":257,"
             "\"entries\":0}]}\n",
             g->pit_size, g->satisfied_interests, g->unsatisfied_interests);
    assert_string_equal(get_body(fx->a, "/pit"), want);
    snprintf(want, sizeof want,
             "{\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"capacity_entries\":500,"
             "\"capacity_bytes\":1048576,"
             "\"hits\":0,\"misses\":0,"
             "\"hit_ratio\":null,\"inserts\":%" PRIu64 ",\"evictions\":%" PRIu64 "}\n",
             g->cs_entries, g->cs_bytes, g->cs_inserts, g->cs_evictions);
    assert_string_equal(get_body(fx->a, "/cs"), want);
}

static void test_no_fw_no_faces(void **state)
{
    dmsc_admin_t *a = dmsc_admin_new(NULL, NULL, "/n");
    assert_non_null(a);
    assert_string_equal(get_body(a, "/faces"), "{\"faces\":[]}\n");
    assert_string_equal(get_body(a, "/fib"), "{\"fib\":[]}\n");
    assert_string_equal(get_body(a, "/strategy"), "{\"strategies\":[]}\n");
    char want[512];
    snprintf(want, sizeof want,
             "{\"entries\":0,\"bytes\":0,\"capacity_entries\":null,"
             "\"capacity_bytes\":null,\"hits\":0,\"misses\":0,\"hit_ratio\":null,"
             "\"inserts\":0,\"evictions\":0}\n");
    assert_string_equal(get_body(a, "/cs"), want);
    const char *m = get_body(a, "/metrics");
    assert_line(m, "dmsc_faces 0");
    assert_null(strstr(m, "dmsc_cs_capacity_entries"));
    (void)drops_zero;
    dmsc_admin_free(a);
}

/* ------------------------------------------------------------------ */
/* /metrics                                                            */

/* Checks the text exposition format 0.0.4: HELP then TYPE once per family,
 * its samples contiguous right after, valid names, labels and values. */
static void validate_exposition(const char *text)
{
    char fam[256] = "", type[32] = "";
    char *seen = calloc(1, strlen(text) + 2); /* "\nname\n" list */
    size_t seenlen = 0;
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    int lineno = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        char line[4096];
        size_t n = (size_t)(e - p);
        assert_true(n < sizeof line);
        memcpy(line, p, n);
        line[n] = '\0';
        p = e + 1;
        lineno++;
        if (strncmp(line, "# HELP ", 7) == 0) {
            char nm[256];
            assert_int_equal(sscanf(line + 7, "%255s", nm), 1);
            char key[260];
            snprintf(key, sizeof key, "\n%s\n", nm);
            if (strstr(seen, key)) fail_msg("line %d: family %s repeated", lineno, nm);
            memcpy(seen + seenlen, key, strlen(key));
            seenlen += strlen(key) - 1;
            snprintf(fam, sizeof fam, "%s", nm);
            type[0] = '\0';
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char nm[256], ty[32];
            assert_int_equal(sscanf(line + 7, "%255s %31s", nm, ty), 2);
            if (strcmp(nm, fam) != 0 || type[0])
                fail_msg("line %d: TYPE for %s not right after its HELP", lineno, nm);
            assert_true(strcmp(ty, "counter") == 0 || strcmp(ty, "gauge") == 0 ||
                        strcmp(ty, "untyped") == 0 || strcmp(ty, "histogram") == 0 ||
                        strcmp(ty, "summary") == 0);
            if (strcmp(ty, "counter") == 0 && strlen(nm) > 6)
                assert_string_equal(nm + strlen(nm) - 6, "_total");
            snprintf(type, sizeof type, "%s", ty);
            continue;
        }
        assert_true(line[0] != '#' && line[0] != '\0');
        /* sample: name[{labels}] value */
        size_t i = 0;
        while (line[i] && line[i] != '{' && line[i] != ' ')
            i++;
        char nm[256];
        memcpy(nm, line, i);
        nm[i] = '\0';
        if (!type[0]) fail_msg("line %d: sample before TYPE", lineno);
        bool ok = strcmp(nm, fam) == 0;
        if (!ok && (strcmp(type, "histogram") == 0 || strcmp(type, "summary") == 0)) {
            size_t fl = strlen(fam);
            ok = strncmp(nm, fam, fl) == 0 &&
                 (strcmp(nm + fl, "_bucket") == 0 || strcmp(nm + fl, "_sum") == 0 ||
                  strcmp(nm + fl, "_count") == 0);
        }
        if (!ok) fail_msg("line %d: sample %s outside its family %s", lineno, nm, fam);
        if (line[i] == '{') {
            i++;
            while (line[i] != '}') {
                size_t s = i;
                while ((line[i] >= 'a' && line[i] <= 'z') || (line[i] >= 'A' && line[i] <= 'Z') ||
                       line[i] == '_' || (i > s && line[i] >= '0' && line[i] <= '9'))
                    i++;
                assert_true(i > s);
                assert_true(line[i] == '=' && line[i + 1] == '"');
                i += 2;
                while (line[i] != '"') {
                    assert_true(line[i] != '\0');
                    if (line[i] == '\\') {
                        assert_true(line[i + 1] == '\\' || line[i + 1] == '"' ||
                                    line[i + 1] == 'n');
                        i++;
                    }
                    i++;
                }
                i++;
                if (line[i] == ',')
                    i++;
                else
                    assert_true(line[i] == '}');
            }
            i++;
        }
        assert_true(line[i] == ' ');
        const char *v = line + i + 1;
        if (strcmp(v, "NaN") && strcmp(v, "+Inf") && strcmp(v, "-Inf")) {
            char *end;
            strtod(v, &end);
            if (end == v || *end) fail_msg("line %d: bad value %s", lineno, v);
        }
    }
    free(seen);
}

static void test_metrics_builtin(void **state)
{
    fx_t *fx = *state;
    add_routes(fx);
    dmsc_fw_count_drop(fx->fw, 257, DMSC_DROP_NO_ROUTE);
    fake_now += 2500000000ull;
    dmsc_admin_out_t o = req(fx->a, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 200);
    assert_non_null(
        strstr(o.data, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    const char *m = body_of(&o);
    validate_exposition(m);
    char l[256];
    snprintf(l, sizeof l, "dmsc_build_info{node=\"/example/node/a\",version=\"%s\"} 1",
             dmsc_version());
    assert_line(m, "# HELP dmsc_build_info Node name and software version; always 1.");
    assert_line(m, "# TYPE dmsc_build_info gauge");
    assert_line(m, l);
    assert_line(m, "dmsc_uptime_seconds 2.5");
    assert_line(m, "dmsc_faces 2");
    assert_line(m, "dmsc_face_info{face=\"256\",remote_uri=\"udp4://192.0.2.1:6363\","
                   "local_uri=\"udp4://0.0.0.0:6363\",scope=\"non-local\","
                   "persistency=\"persistent\",link_type=\"point-to-point\"} 1");
    assert_line(m, "# TYPE dmsc_face_packets_total counter");
    assert_line(m, "dmsc_face_packets_total{face=\"256\",direction=\"in\","
                   "type=\"interest\"} 10");
    assert_line(m, "dmsc_face_packets_total{face=\"256\",direction=\"in\",type=\"data\"} 2");
    assert_line(m, "dmsc_face_packets_total{face=\"256\",direction=\"in\",type=\"nack\"} 1");
    assert_line(m, "dmsc_face_packets_total{face=\"256\",direction=\"out\","
                   "type=\"interest\"} 7");
    assert_line(m, "dmsc_face_packets_total{face=\"256\",direction=\"out\","
                   "type=\"data\"} 9");
    assert_line(m, "dmsc_face_packets_total{face=\"256\",direction=\"out\","
                   "type=\"nack\"} 0");
    assert_line(m, "dmsc_face_bytes_total{face=\"256\",direction=\"in\"} 1234");
    assert_line(m, "dmsc_face_bytes_total{face=\"256\",direction=\"out\"} 5678");
    assert_line(m, "# TYPE dmsc_face_drops_total counter");
    assert_line(m, "dmsc_face_drops_total{face=\"256\",reason=\"no-route\"} 4");
    assert_line(m, "dmsc_face_drops_total{face=\"256\",reason=\"malformed\"} 1");
    assert_line(m, "dmsc_face_drops_total{face=\"256\",reason=\"face-down\"} 0");
    assert_line(m, "dmsc_face_drops_total{face=\"257\",reason=\"no-route\"} 1");
    assert_line(m, "dmsc_face_pit_entries{face=\"256\"} 3");
    assert_line(m, "dmsc_packets_total{direction=\"in\",type=\"interest\"} 10");
    assert_line(m, "dmsc_bytes_total{direction=\"out\"} 5678");
    assert_line(m, "dmsc_drops_total{reason=\"no-route\"} 1");
    assert_line(m, "dmsc_drops_total{reason=\"pit-full\"} 0");
    assert_line(m, "# TYPE dmsc_pit_entries gauge");
    assert_line(m, "dmsc_pit_capacity 1000");
    assert_line(m, "dmsc_cs_capacity_entries 500");
    assert_line(m, "dmsc_cs_capacity_bytes 1048576");
    assert_line(m, "# TYPE dmsc_cs_hits_total counter");
    assert_line(m, "# TYPE dmsc_cs_misses_total counter");
    assert_line(m, "dmsc_fib_entries 2");
    assert_line(m, "dmsc_fib_capacity 50");
    assert_line(m, "dmsc_admin_connections 0");
    /* every face x every reason */
    size_t nd = 0;
    for (const char *p = m; (p = strstr(p, "\ndmsc_face_drops_total{")); p++)
        nd++;
    assert_int_equal(nd, 2 * DMSC_DROP__COUNT);
    dmsc_admin_out_free(&o);
}

static void test_metrics_totals_monotonic(void **state)
{
    fx_t *fx = *state;
    const char *m = get_body(fx->a, "/metrics");
    assert_line(m, "dmsc_packets_total{direction=\"out\",type=\"data\"} 9");
    /* face 256 counts more, then goes away before the next scrape: the node
     * total keeps what was seen at the last scrape */
    fc256.out_data = 12;
    m = get_body(fx->a, "/metrics");
    assert_line(m, "dmsc_packets_total{direction=\"out\",type=\"data\"} 12");
    fake_faces[1].id = 300; /* 256 gone, a new face 300 with the same counters... */
    static dmsc_fw_face_counters_t fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.out_data = 1;
    fake_faces[1].counters = &fresh;
    m = get_body(fx->a, "/metrics");
    assert_line(m, "dmsc_packets_total{direction=\"out\",type=\"data\"} 13");
    assert_line(m, "dmsc_faces 2");
    assert_null(strstr(m, "face=\"256\""));
    /* a face whose counters went down (id reused) is a new face */
    fresh.out_data = 0;
    m = get_body(fx->a, "/metrics");
    assert_line(m, "dmsc_packets_total{direction=\"out\",type=\"data\"} 13");
    fresh.out_data = 5;
    m = get_body(fx->a, "/metrics");
    assert_line(m, "dmsc_packets_total{direction=\"out\",type=\"data\"} 18");
    /* /status shows the same totals */
    nfake = 0;
    assert_non_null(strstr(get_body(fx->a, "/status"), "\"out_data\":18,"));
}

static void ext_metrics(void *arg, dmsc_metrics_t *m)
{
    int *calls = arg;
    (*calls)++;
    assert_int_equal(dmsc_metrics_family(m, "dmsc_gw_requests_total", "counter",
                                         "Gateway requests.\nSecond line \\ backslash."),
                     0);
    dmsc_metric_label_t l[] = {{"service", "a\"b\\c\nd"}, {"code", "200"}};
    dmsc_metrics_u64(m, l, 2, 42);
    /* rejected samples: bad label name, duplicate label, reserved name */
    dmsc_metric_label_t bad1[] = {{"1x", "v"}};
    dmsc_metrics_u64(m, bad1, 1, 1);
    dmsc_metric_label_t bad2[] = {{"a", "v"}, {"a", "w"}};
    dmsc_metrics_u64(m, bad2, 2, 1);
    dmsc_metric_label_t bad3[] = {{"__name__", "v"}};
    dmsc_metrics_u64(m, bad3, 1, 1);
    /* a family cannot be written twice, and built-ins are taken */
    assert_int_equal(dmsc_metrics_family(m, "dmsc_gw_requests_total", "counter", "again"),
                     DMSC_EINVAL);
    dmsc_metrics_u64(m, NULL, 0, 7); /* dropped: no current family */
    assert_int_equal(dmsc_metrics_family(m, "dmsc_faces", "gauge", "x"), DMSC_EINVAL);
    assert_int_equal(dmsc_metrics_family(m, "9bad", "gauge", "x"), DMSC_EINVAL);
    assert_int_equal(dmsc_metrics_family(m, "ok_name", "bogus", "x"), DMSC_EINVAL);
    /* floats */
    assert_int_equal(dmsc_metrics_family(m, "dmsc_gw_ratio", "gauge", "Ratios."), 0);
    dmsc_metric_label_t k[] = {{"k", "half"}};
    dmsc_metrics_f64(m, k, 1, 0.5);
    k[0].value = "third";
    dmsc_metrics_f64(m, k, 1, 1.0 / 3.0);
    k[0].value = "nan";
    dmsc_metrics_f64(m, k, 1, NAN);
    k[0].value = "inf";
    dmsc_metrics_f64(m, k, 1, -INFINITY);
    k[0].value = "big";
    dmsc_metrics_f64(m, k, 1, 1e21);
    /* histogram */
    assert_int_equal(
        dmsc_metrics_family(m, "dmsc_gw_latency_seconds", "histogram", "Request latency."), 0);
    dmsc_metric_label_t le[] = {{"le", "0.1"}};
    dmsc_metrics_f64_suffix(m, "_bucket", le, 1, 3);
    le[0].value = "+Inf";
    dmsc_metrics_f64_suffix(m, "_bucket", le, 1, 4);
    dmsc_metrics_f64_suffix(m, "_sum", NULL, 0, 0.25);
    dmsc_metrics_f64_suffix(m, "_count", NULL, 0, 4);
    dmsc_metrics_f64_suffix(m, "{x", NULL, 0, 4); /* invalid suffix: dropped */
}

static void ext_metrics2(void *arg, dmsc_metrics_t *m)
{
    /* no family started: the previous writer's family is closed */
    dmsc_metrics_u64(m, NULL, 0, 99);
}

static void test_metrics_extension(void **state)
{
    fx_t *fx = *state;
    int calls = 0;
    assert_int_equal(dmsc_admin_add_metrics(fx->a, ext_metrics, &calls), 0);
    assert_int_equal(dmsc_admin_add_metrics(fx->a, ext_metrics, &calls), DMSC_EINVAL);
    assert_int_equal(dmsc_admin_add_metrics(fx->a, ext_metrics2, NULL), 0);
    const char *m = get_body(fx->a, "/metrics");
    assert_int_equal(calls, 1);
    validate_exposition(m);
    assert_line(m, "# HELP dmsc_gw_requests_total Gateway requests.\\nSecond line \\\\ backslash.");
    assert_line(m, "# TYPE dmsc_gw_requests_total counter");
    assert_line(m, "dmsc_gw_requests_total{service=\"a\\\"b\\\\c\\nd\",code=\"200\"} 42");
    assert_null(strstr(m, "dmsc_gw_requests_total{1x"));
    assert_null(strstr(m, "dmsc_gw_requests_total{a="));
    assert_null(strstr(m, "__name__"));
    assert_null(strstr(m, "dmsc_gw_requests_total 7\n"));
    assert_null(strstr(m, " 99\n"));
    assert_null(strstr(m, "again"));
    assert_line(m, "dmsc_gw_ratio{k=\"half\"} 0.5");
    assert_line(m, "dmsc_gw_ratio{k=\"third\"} 0.33333333333333331");
    assert_line(m, "dmsc_gw_ratio{k=\"nan\"} NaN");
    assert_line(m, "dmsc_gw_ratio{k=\"inf\"} -Inf");
    assert_line(m, "dmsc_gw_ratio{k=\"big\"} 1e+21");
    assert_line(m, "dmsc_gw_latency_seconds_bucket{le=\"0.1\"} 3");
    assert_line(m, "dmsc_gw_latency_seconds_bucket{le=\"+Inf\"} 4");
    assert_line(m, "dmsc_gw_latency_seconds_sum 0.25");
    assert_line(m, "dmsc_gw_latency_seconds_count 4");
    assert_null(strstr(m, "{x"));
    /* the extension families come after the built-in ones */
    assert_true(strstr(m, "dmsc_gw_requests_total") > strstr(m, "dmsc_admin_requests_total"));

    assert_int_equal(dmsc_admin_remove_metrics(fx->a, ext_metrics, &calls), 0);
    assert_int_equal(dmsc_admin_remove_metrics(fx->a, ext_metrics, &calls), DMSC_EINVAL);
    m = get_body(fx->a, "/metrics");
    assert_null(strstr(m, "dmsc_gw_"));
    assert_int_equal(calls, 1);
}

static void big_metrics(void *arg, dmsc_metrics_t *m)
{
    dmsc_metrics_family(m, "dmsc_big", "gauge", "Lots.");
    char v[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(v, sizeof v, "%d", i);
        dmsc_metric_label_t l[] = {{"i", v}};
        dmsc_metrics_u64(m, l, 1, (uint64_t)i);
    }
}

static void test_response_ceiling(void **state)
{
    fx_t *fx = *state;
    dmsc_admin_limits_t lim = {0};
    lim.max_response_bytes = 100000;
    dmsc_admin_set_limits(fx->a, &lim);
    assert_int_equal(dmsc_admin_add_metrics(fx->a, big_metrics, NULL), 0);
    dmsc_admin_out_t o = req(fx->a, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(o.status, 500);
    assert_string_equal(body_of(&o), "{\"error\":\"internal error\",\"status\":500}\n");
    dmsc_admin_out_free(&o);
}

/* ------------------------------------------------------------------ */
/* the libuv server over loopback TCP                                  */

typedef struct {
    uv_loop_t loop;
    uv_async_t async;
    pthread_t th;
    int port;
    void (*fn)(void *ctx, int port);
    void *ctx;
} srv_t;

static void on_client_done(uv_async_t *h)
{
    uv_stop(h->loop);
}

static void *client_main(void *arg)
{
    srv_t *s = arg;
    s->fn(s->ctx, s->port);
    uv_async_send(&s->async);
    return NULL;
}

/* Run fn(ctx, port) in a thread while the loop serves a. */
static void with_client(srv_t *s, dmsc_admin_t *a, void (*fn)(void *, int), void *ctx)
{
    s->port = dmsc_admin_port(a);
    s->fn = fn;
    s->ctx = ctx;
    assert_int_equal(uv_async_init(&s->loop, &s->async, on_client_done), 0);
    assert_int_equal(pthread_create(&s->th, NULL, client_main, s), 0);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    pthread_join(s->th, NULL);
    uv_close((uv_handle_t *)&s->async, NULL);
    uv_run(&s->loop, UV_RUN_NOWAIT);
}

static int stopped_calls;
static void on_stopped(void *arg)
{
    stopped_calls++;
}

static void stop_and_drain(srv_t *s, dmsc_admin_t *a)
{
    stopped_calls = 0;
    dmsc_admin_stop(a, on_stopped, NULL);
    assert_int_equal(uv_run(&s->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(stopped_calls, 1);
    assert_int_equal(uv_loop_close(&s->loop), 0);
}

/* client side (runs in the thread; results go to the main thread in ctx) */
static int cconnect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* a safety net against a hung test, not a pass/fail criterion */
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void csend(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

/* Read one response (head + Content-Length body) into out; returns its
 * length, 0 on EOF before any byte, -1 on error. Bytes past it stay in rb
 * for the next call (pipelining). */
typedef struct {
    char buf[1 << 16];
    size_t len;
} rbuf_t;

static long cread_response(int fd, rbuf_t *rb, char *out, size_t cap)
{
    for (;;) {
        char *h = memmem(rb->buf, rb->len, "\r\n\r\n", 4);
        if (h) {
            size_t head = (size_t)(h - rb->buf) + 4;
            const char *cl = memmem(rb->buf, head, "Content-Length: ", 16);
            size_t total = head + (cl ? strtoul(cl + 16, NULL, 10) : 0);
            if (rb->len >= total) {
                if (total >= cap) return -1;
                memcpy(out, rb->buf, total);
                out[total] = '\0';
                memmove(rb->buf, rb->buf + total, rb->len - total);
                rb->len -= total;
                return (long)total;
            }
        }
        if (rb->len == sizeof rb->buf) return -1;
        ssize_t r = recv(fd, rb->buf + rb->len, sizeof rb->buf - rb->len, 0);
        if (r <= 0) return rb->len == 0 && r == 0 ? 0 : -1;
        rb->len += (size_t)r;
    }
}

/* Read until EOF; returns bytes read (into out) or -1 on error/timeout. */
static long cread_all(int fd, char *out, size_t cap)
{
    size_t len = 0;
    for (;;) {
        ssize_t r = recv(fd, out + len, cap - 1 - len, 0);
        if (r == 0) break;
        if (r < 0) return -1;
        len += (size_t)r;
        if (len == cap - 1) break;
    }
    out[len] = '\0';
    return (long)len;
}

typedef struct {
    char r[4][8192];
    long n[4];
    int eof;
} results_t;

static void client_keepalive(void *ctx, int port)
{
    results_t *res = ctx;
    int fd = cconnect(port);
    if (fd < 0) return;
    static rbuf_t rb;
    rb.len = 0;
    /* two pipelined requests in one segment, then a closing one */
    const char *two = "GET /status HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\n"
                      "\r\n"
                      "GET /nope HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\n"
                      "\r\n";
    csend(fd, two, strlen(two));
    res->n[0] = cread_response(fd, &rb, res->r[0], sizeof res->r[0]);
    res->n[1] = cread_response(fd, &rb, res->r[1], sizeof res->r[1]);
    const char *last = "GET /cs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    csend(fd, last, strlen(last));
    res->n[2] = cread_response(fd, &rb, res->r[2], sizeof res->r[2]);
    char tail[16];
    res->eof = rb.len == 0 && recv(fd, tail, sizeof tail, 0) == 0;
    close(fd);
}

static srv_t *server(dmsc_admin_t **a, const dmsc_admin_limits_t *lim)
{
    srv_t *s = calloc(1, sizeof *s);
    assert_int_equal(uv_loop_init(&s->loop), 0);
    *a = dmsc_admin_new(NULL, NULL, "/example/node/tcp");
    assert_non_null(*a);
    if (lim) dmsc_admin_set_limits(*a, lim);
    assert_int_equal(dmsc_admin_listen(*a, &s->loop, "127.0.0.1", 0), 0);
    assert_true(dmsc_admin_port(*a) > 0);
    return s;
}

static void test_tcp_keepalive_pipelining(void **state)
{
    dmsc_admin_t *a;
    srv_t *s = server(&a, NULL);
    static results_t res;
    memset(&res, 0, sizeof res);
    with_client(s, a, client_keepalive, &res);
    assert_true(res.n[0] > 0);
    assert_prefix(res.r[0], "HTTP/1.1 200 OK\r\n");
    assert_non_null(strstr(res.r[0], "\"node\":\"/example/node/tcp\""));
    assert_prefix(res.r[1], "HTTP/1.1 404 Not Found\r\n");
    assert_prefix(res.r[2], "HTTP/1.1 200 OK\r\n");
    assert_non_null(strstr(res.r[2], "\r\nConnection: close\r\n"));
    assert_true(res.eof);
    stop_and_drain(s, a);
    free(s);
}

static void client_oversized(void *ctx, int port)
{
    results_t *res = ctx;
    /* header bytes past the limit, never terminated */
    int fd = cconnect(port);
    static char big[20000];
    memcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX: ", 28);
    memset(big + 28, 'x', sizeof big - 28);
    csend(fd, big, sizeof big);
    res->n[0] = cread_all(fd, res->r[0], sizeof res->r[0]);
    close(fd);
    /* not HTTP at all */
    fd = cconnect(port);
    csend(fd, "\x16\x03\x01\x00\xa5\x01\x00\x00", 8);
    res->n[1] = cread_all(fd, res->r[1], sizeof res->r[1]);
    close(fd);
    /* a partial request that never completes: 408 after request_timeout_ms */
    fd = cconnect(port);
    csend(fd, "GET /status HTTP/1.1\r\n", 22);
    res->n[2] = cread_all(fd, res->r[2], sizeof res->r[2]);
    close(fd);
    /* an idle connection is closed after idle_timeout_ms */
    fd = cconnect(port);
    res->n[3] = cread_all(fd, res->r[3], sizeof res->r[3]);
    close(fd);
}

static void test_tcp_bad_clients(void **state)
{
    dmsc_admin_t *a;
    dmsc_admin_limits_t lim = {0};
    lim.request_timeout_ms = 50;
    lim.idle_timeout_ms = 50;
    srv_t *s = server(&a, &lim);
    static results_t res;
    memset(&res, 0, sizeof res);
    with_client(s, a, client_oversized, &res);
    if (res.n[0] <= 0 || strncmp(res.r[0], "HTTP/1.1 431", 12) != 0)
        fail_msg("got %ld: %s", res.n[0], res.r[0]);
    assert_prefix(res.r[0], "HTTP/1.1 431 Request Header Fields Too Large\r\n");
    assert_non_null(strstr(res.r[0], "\r\nConnection: close\r\n"));
    assert_prefix(res.r[1], "HTTP/1.1 400 Bad Request\r\n");
    assert_prefix(res.r[2], "HTTP/1.1 408 Request Timeout\r\n");
    assert_int_equal(res.n[3], 0);
    stop_and_drain(s, a);
    free(s);
}

static void client_limit(void *ctx, int port)
{
    results_t *res = ctx;
    static rbuf_t rb1, rb2;
    rb1.len = rb2.len = 0;
    int f1 = cconnect(port), f2 = cconnect(port);
    /* make sure both are accepted and served before the third */
    const char *g = "GET /cs HTTP/1.1\r\nHost: a\r\n\r\n";
    csend(f1, g, strlen(g));
    res->n[0] = cread_response(f1, &rb1, res->r[0], sizeof res->r[0]);
    csend(f2, g, strlen(g));
    res->n[1] = cread_response(f2, &rb2, res->r[1], sizeof res->r[1]);
    int f3 = cconnect(port);
    res->n[2] = cread_all(f3, res->r[2], sizeof res->r[2]);
    close(f3);
    /* the first two still work */
    csend(f1, g, strlen(g));
    res->n[3] = cread_response(f1, &rb1, res->r[3], sizeof res->r[3]);
    close(f1);
    close(f2);
}

static void test_tcp_connection_limit(void **state)
{
    dmsc_admin_t *a;
    dmsc_admin_limits_t lim = {0};
    lim.max_conns = 2;
    srv_t *s = server(&a, &lim);
    static results_t res;
    memset(&res, 0, sizeof res);
    with_client(s, a, client_limit, &res);
    assert_prefix(res.r[0], "HTTP/1.1 200 OK\r\n");
    assert_prefix(res.r[1], "HTTP/1.1 200 OK\r\n");
    assert_prefix(res.r[2], "HTTP/1.1 503 Service Unavailable\r\n");
    assert_non_null(strstr(res.r[2], "{\"error\":\"too many connections\",\"status\":503}"));
    assert_prefix(res.r[3], "HTTP/1.1 200 OK\r\n");
    stop_and_drain(s, a);
    free(s);
}

typedef struct {
    int rc_status, rc_404, rc_refused, rc_json;
    dmsc_admin_client_resp_t status, nf;
    char err[256];
    int cli_exit, cli_exit_refused;
} cli_results_t;

static void client_cli(void *ctx, int port)
{
    cli_results_t *r = ctx;
    dmsc_admin_client_addr_t addr;
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
    if (dmsc_admin_client_parse_addr(spec, &addr)) return;
    char err[256];
    r->rc_status = dmsc_admin_client_get(&addr, "/status", 10000, &r->status, err, sizeof err);
    r->rc_404 = dmsc_admin_client_get(&addr, "/nope", 10000, &r->nf, err, sizeof err);
    /* the whole command, output to /dev/null */
    char *argv[] = {"status", "--admin", spec, NULL};
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    r->cli_exit = dmsc_cli_node_main(3, argv);
    char *argv2[] = {"faces", "--json", "--admin", spec, NULL};
    int e2 = dmsc_cli_node_main(4, argv2);
    fclose(stdout);
    stdout = saved;
    r->cli_exit |= e2;
}

static void test_tcp_cli_client(void **state)
{
    dmsc_admin_t *a;
    srv_t *s = server(&a, NULL);
    static cli_results_t r;
    memset(&r, 0, sizeof r);
    r.cli_exit = -1;
    with_client(s, a, client_cli, &r);
    assert_int_equal(r.rc_status, 0);
    assert_int_equal(r.status.status, 200);
    assert_string_equal(r.status.content_type, "application/json");
    assert_non_null(strstr(r.status.body, "\"node\":\"/example/node/tcp\""));
    assert_int_equal(r.rc_404, 0);
    assert_int_equal(r.nf.status, 404);
    assert_string_equal(r.nf.body, "{\"error\":\"not found\",\"status\":404}\n");
    assert_int_equal(r.cli_exit, 0);
    dmsc_admin_client_resp_free(&r.status);
    dmsc_admin_client_resp_free(&r.nf);

    /* a second admin cannot take the same port */
    int err = 0;
    dmsc_admin_t *b =
        dmsc_admin_start(&s->loop, "127.0.0.1", dmsc_admin_port(a), NULL, NULL, "/x", &err);
    assert_null(b);
    assert_int_equal(err, DMSC_EIO);
    assert_int_equal(errno, EADDRINUSE);
    assert_null(dmsc_admin_start(&s->loop, "not-an-ip", 0, NULL, NULL, "/x", &err));
    assert_int_equal(err, DMSC_EINVAL);
    assert_null(dmsc_admin_start(&s->loop, "127.0.0.1", 70000, NULL, NULL, "/x", &err));
    assert_int_equal(err, DMSC_EINVAL);
    int port = dmsc_admin_port(a);
    stop_and_drain(s, a);
    free(s);

    /* nobody listening any more: the CLI fails cleanly */
    dmsc_admin_client_addr_t addr;
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
    assert_int_equal(dmsc_admin_client_parse_addr(spec, &addr), 0);
    dmsc_admin_client_resp_t resp;
    char e[256];
    assert_int_equal(dmsc_admin_client_get(&addr, "/status", 2000, &resp, e, sizeof e), DMSC_EIO);
    assert_non_null(strstr(e, "cannot connect to 127.0.0.1:"));
    assert_non_null(strstr(e, "Connection refused"));
    char *argv[] = {"status", "--admin", spec, NULL};
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int rc = dmsc_cli_node_main(3, argv);
    char *argv2[] = {"status", "--bogus", NULL};
    int rc2 = dmsc_cli_node_main(2, argv2);
    char *argv3[] = {"status", "--admin", NULL};
    int rc3 = dmsc_cli_node_main(2, argv3);
    fclose(stderr);
    stderr = saved;
    assert_int_equal(rc, 1);
    assert_int_equal(rc2, 1);
    assert_int_equal(rc3, 1);
}

static void client_hold(void *ctx, int port)
{
    int *fds = ctx;
    /* one idle connection and one with a partial request stay open */
    fds[0] = cconnect(port);
    fds[1] = cconnect(port);
    csend(fds[1], "GET /st", 7);
    static rbuf_t rb;
    rb.len = 0;
    int f = cconnect(port);
    const char *g = "GET /cs HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    csend(f, g, strlen(g));
    char out[4096];
    cread_response(f, &rb, out, sizeof out); /* the server has seen all three */
    close(f);
}

static void test_tcp_stop_with_open_connections(void **state)
{
    dmsc_admin_t *a;
    srv_t *s = server(&a, NULL);
    int fds[2] = {-1, -1};
    with_client(s, a, client_hold, fds);
    stop_and_drain(s, a); /* closes them; ASan checks nothing leaks */
    char c;
    assert_int_equal(recv(fds[0], &c, 1, 0), 0);
    assert_int_equal(recv(fds[1], &c, 1, 0), 0);
    close(fds[0]);
    close(fds[1]);
    free(s);
}

static void test_stop_not_listening(void **state)
{
    dmsc_admin_t *a = dmsc_admin_new(NULL, NULL, "/n");
    stopped_calls = 0;
    dmsc_admin_stop(a, on_stopped, NULL);
    assert_int_equal(stopped_calls, 1);
}

/* ------------------------------------------------------------------ */
/* CLI                                                                 */

static void test_cli_addr(void **state)
{
    dmsc_admin_client_addr_t a;
    assert_int_equal(dmsc_admin_client_parse_addr("127.0.0.1:7381", &a), 0);
    assert_string_equal(a.host, "127.0.0.1");
    assert_string_equal(a.port, "7381");
    assert_int_equal(dmsc_admin_client_parse_addr("[::1]:80", &a), 0);
    assert_string_equal(a.host, "::1");
    assert_string_equal(a.port, "80");
    assert_int_equal(dmsc_admin_client_parse_addr("[::1]", &a), 0);
    assert_string_equal(a.port, "7380");
    assert_int_equal(dmsc_admin_client_parse_addr("::1", &a), 0);
    assert_string_equal(a.host, "::1");
    assert_int_equal(dmsc_admin_client_parse_addr("localhost", &a), 0);
    assert_string_equal(a.host, "localhost");
    assert_string_equal(a.port, "7380");
    assert_int_equal(dmsc_admin_client_parse_addr(":9000", &a), 0);
    assert_string_equal(a.host, "127.0.0.1");
    assert_string_equal(a.port, "9000");
    assert_int_equal(dmsc_admin_client_parse_addr("9001", &a), 0);
    assert_string_equal(a.port, "9001");
    static const char *const bad[] = {"",     "h:",     "h:0",   "h:65536",  "h:12a", "[::1",
                                      "[]:1", "[::1]x", "a b:1", "h:123456", "a/b:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dmsc_admin_client_parse_addr(bad[i], &a) != DMSC_EINVAL)
            fail_msg("accepted %s", bad[i]);

    const char *from;
    setenv("DMSC_ADMIN", "10.0.0.1:1234", 1);
    assert_int_equal(dmsc_admin_client_resolve_addr(NULL, &a, &from), 0);
    assert_string_equal(a.host, "10.0.0.1");
    assert_string_equal(from, "DMSC_ADMIN");
    assert_int_equal(dmsc_admin_client_resolve_addr("h:1", &a, &from), 0);
    assert_string_equal(from, "--admin");
    assert_string_equal(a.host, "h");
    unsetenv("DMSC_ADMIN");
    assert_int_equal(dmsc_admin_client_resolve_addr(NULL, &a, &from), 0);
    assert_string_equal(from, "default");
    assert_string_equal(a.host, "127.0.0.1");
    assert_string_equal(a.port, "7380");
}

static void test_cli_parse_response(void **state)
{
    dmsc_admin_client_resp_t r;
    const char *ok = "HTTP/1.1 200 OK\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: 3\r\n"
                     "\r\n"
                     "{}\n"
                     "extra";
    assert_int_equal(dmsc_admin_client_parse_response(ok, strlen(ok), &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{}\n");
    assert_string_equal(r.content_type, "application/json");
    dmsc_admin_client_resp_free(&r);
    const char *noclen = "HTTP/1.0 404 Not Found\nX: y\n\nbody";
    assert_int_equal(dmsc_admin_client_parse_response(noclen, strlen(noclen), &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "body");
    dmsc_admin_client_resp_free(&r);
    static const char *const bad[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n",
        "HTTP/2 200\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dmsc_admin_client_parse_response(bad[i], strlen(bad[i]), &r) != DMSC_EINVAL)
            fail_msg("accepted case %zu", i);
}

static char *render(const char *cmd, const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, 0, &e);
    assert_non_null(j);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = dmsc_cli_node_render(cmd, j, f);
    fclose(f);
    json_decref(j);
    assert_int_equal(rc, 0);
    return buf;
}

static void test_cli_render(void **state)
{
    char *s = render("status",
                     "{\"node\":\"/example/node/a\",\"version\":\"0.1.0\","
                     "\"uptime_ms\":3723004,\"faces\":2,\"pit\":{\"entries\":5,"
                     "\"capacity\":1000},\"cs\":{\"entries\":3,\"bytes\":2048,"
                     "\"capacity_entries\":500,\"capacity_bytes\":1048576,"
                     "\"hits\":3,\"misses\":1},\"fib\":{\"entries\":2,"
                     "\"capacity\":50},\"dnl\":{\"entries\":7},\"counters\":{\"in_interests\":10,"
                     "\"in_data\":2,\"in_nacks\":1,\"out_interests\":7,"
                     "\"out_data\":9,\"out_nacks\":0,\"in_bytes\":1234,"
                     "\"out_bytes\":5678,\"satisfied_interests\":4,\"unsatisfied_interests\":1},"
                     "\"drops\":{\"malformed\":1,\"no-route\":4,\"loop\":0}}");
    assert_string_equal(s, "node         /example/node/a\n"
                           "version      0.1.0\n"
                           "uptime       1h02m03s\n"
                           "faces        2\n"
                           "pit          5 entries (capacity 1000)\n"
                           "cs           3 entries, 2.0 KiB (capacity 500 entries,"
                           " 1.0 MiB)\n"
                           "cs lookups   3 hits, 1 misses (75.0% hits)\n"
                           "fib          2 entries (capacity 50)\n"
                           "dnl          7 entries\n"
                           "interests    in 10, out 7\n"
                           "data         in 2, out 9\n"
                           "nacks        in 1, out 0\n"
                           "bytes        in 1234, out 5678\n"
                           "pit results  4 satisfied, 1 unsatisfied\n"
                           "drops        malformed 1, no-route 4\n");
    free(s);

    s = render("faces", "{\"faces\":[{\"id\":256,\"remote_uri\":\"udp4://192.0.2.1:6363\","
                        "\"local_uri\":\"udp4://0.0.0.0:6363\",\"scope\":\"non-local\","
                        "\"persistency\":\"persistent\",\"counters\":{\"in_interests\":10,"
                        "\"in_data\":2,\"in_nacks\":1,\"out_interests\":7,"
                        "\"out_data\":9,\"out_nacks\":0,\"in_bytes\":1234,"
                        "\"out_bytes\":5678,\"drops\":{\"malformed\":1,"
                        "\"no-route\":4}}},{\"id\":1,\"remote_uri\":\"app://mgmt\","
                        "\"local_uri\":\"app://mgmt\",\"scope\":\"local\","
                        "\"persistency\":\"permanent\",\"counters\":{}}]}");
    assert_string_equal(s, "FACEID  REMOTE                 LOCAL                SCOPE      "
                           "PERSISTENCY  IN i/d/n  OUT i/d/n  BYTES in/out  DROPS\n"
                           "   256  udp4://192.0.2.1:6363  udp4://0.0.0.0:6363  non-local  "
                           "persistent   10/2/1    7/9/0      1234/5678         5\n"
                           "     1  app://mgmt             app://mgmt           local      "
                           "permanent    0/0/0     0/0/0      0/0               0\n"
                           "face 256 drops: malformed 1, no-route 4\n");
    free(s);
    s = render("faces", "{\"faces\":[]}");
    assert_string_equal(s, "FACEID  REMOTE  LOCAL  SCOPE  PERSISTENCY  "
                           "IN i/d/n  OUT i/d/n  BYTES in/out  DROPS\n"
                           "(no faces)\n");
    free(s);

    s = render("routes", "{\"fib\":[{\"prefix\":\"/a\",\"nexthops\":[{\"face\":256,"
                         "\"cost\":0}]},{\"prefix\":\"/example/svc\","
                         "\"nexthops\":[{\"face\":256,\"cost\":10},{\"face\":257,"
                         "\"cost\":20}]}]}");
    assert_string_equal(s, "PREFIX        NEXTHOPS\n"
                           "/a            face 256 cost 0\n"
                           "/example/svc  face 256 cost 10, face 257 cost 20\n");
    free(s);

    s = render("cs", "{\"entries\":3,\"bytes\":2048,\"capacity_entries\":500,"
                     "\"capacity_bytes\":1048576,\"hits\":3,\"misses\":1,"
                     "\"hit_ratio\":0.75,\"inserts\":4,\"evictions\":1}");
    assert_string_equal(s, "entries    3 of 500\n"
                           "bytes      2.0 KiB of 1.0 MiB\n"
                           "hits       3\n"
                           "misses     1\n"
                           "hit ratio  75.0%\n"
                           "inserts    4\n"
                           "evictions  1\n");
    free(s);
    s = render("cs", "{\"entries\":0,\"bytes\":0,\"capacity_entries\":null,"
                     "\"capacity_bytes\":null,\"hits\":0,\"misses\":0,"
                     "\"hit_ratio\":null,\"inserts\":0,\"evictions\":0}");
    assert_string_equal(s, "entries    0\n"
                           "bytes      0 B\n"
                           "hits       0\n"
                           "misses     0\n"
                           "hit ratio  -\n"
                           "inserts    0\n"
                           "evictions  0\n");
    free(s);

    s = render("strategy", "{\"strategies\":[{\"prefix\":\"/\","
                           "\"strategy\":\"/localhost/nfd/strategy/best-route/v=5\"},"
                           "{\"prefix\":\"/example\","
                           "\"strategy\":\"/localhost/nfd/strategy/multicast/v=4\"}]}");
    assert_string_equal(s, "PREFIX    STRATEGY\n"
                           "/         /localhost/nfd/strategy/best-route/v=5\n"
                           "/example  /localhost/nfd/strategy/multicast/v=4\n");
    free(s);

    /* wrong shapes are refused */
    json_t *j = json_loads("{\"x\":1}", 0, NULL);
    FILE *f = fopen("/dev/null", "w");
    assert_int_equal(dmsc_cli_node_render("status", j, f), DMSC_EINVAL);
    assert_int_equal(dmsc_cli_node_render("faces", j, f), DMSC_EINVAL);
    assert_int_equal(dmsc_cli_node_render("routes", j, f), DMSC_EINVAL);
    assert_int_equal(dmsc_cli_node_render("cs", j, f), DMSC_EINVAL);
    assert_int_equal(dmsc_cli_node_render("strategy", j, f), DMSC_EINVAL);
    assert_int_equal(dmsc_cli_node_render("nope", j, f), DMSC_EINVAL);
    fclose(f);
    json_decref(j);
    assert_true(dmsc_cli_node_is_command("routes"));
    assert_false(dmsc_cli_node_is_command("packet"));
}

/* The views render what the server sends (the two sides agree). */
static void test_cli_render_live(void **state)
{
    fx_t *fx = *state;
    add_routes(fx);
    static const char *const cmds[][2] = {{"status", "/status"},
                                          {"faces", "/faces"},
                                          {"routes", "/fib"},
                                          {"cs", "/cs"},
                                          {"strategy", "/strategy"}};
    for (size_t i = 0; i < 5; i++) {
        char *s = render(cmds[i][0], get_body(fx->a, cmds[i][1]));
        assert_true(strlen(s) > 0);
        if (i == 2)
            assert_non_null(strstr(s, "/example/svc  face 256 cost 10, face 257 cost 20\n"));
        if (i == 0) assert_non_null(strstr(s, "drops        none\n"));
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_parse_bad_request_line),
        cmocka_unit_test(test_parse_bad_fields),
        cmocka_unit_test(test_parse_body),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extension_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_faces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_fib_strategy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_pit_cs, setup, teardown),
        cmocka_unit_test(test_no_fw_no_faces),
        cmocka_unit_test_setup_teardown(test_metrics_builtin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_totals_monotonic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_ceiling, setup, teardown),
        cmocka_unit_test(test_tcp_keepalive_pipelining),
        cmocka_unit_test(test_tcp_bad_clients),
        cmocka_unit_test(test_tcp_connection_limit),
        cmocka_unit_test(test_tcp_cli_client),
        cmocka_unit_test(test_tcp_stop_with_open_connections),
        cmocka_unit_test(test_stop_not_listening),
        cmocka_unit_test(test_cli_addr),
        cmocka_unit_test(test_cli_parse_response),
        cmocka_unit_test(test_cli_render),
        cmocka_unit_test_setup_teardown(test_cli_render_live, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
