/* HTTP <-> NDN mapping tests (src/gw/hmap.c, docs/http-mapping.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/hmap.h"
#include "sec/sig.h"

#define assert_rc(expr, want)                                                                      \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        int want_ = (want);                                                                        \
        if (rc_ != want_)                                                                          \
            fail_msg("%s: got %s, want %s", #expr, dmsc_errname(rc_), dmsc_errname(want_));        \
    } while (0)

#define BUFSZ 20000

static uint8_t buf[BUFSZ], buf2[BUFSZ];
static dmsc_namebuf_t nb, nb2;
static dmsc_hmap_fieldset_t fs;
static dmsc_hmap_request_t rq, rq2;
static dmsc_hmap_response_t rs, rs2;
static dmsc_http_head_t head, head2;

static void assert_name(const dmsc_name_t *n, const char *uri)
{
    char s[4096];
    assert_true(dmsc_name_to_uri(n, DMSC_URI_ALT, s, sizeof s) >= 0);
    assert_string_equal(s, uri);
}

static void set_field(dmsc_http_field_t *f, const char *name, const char *value)
{
    f->name = name;
    f->name_len = strlen(name);
    f->value = value;
    f->value_len = strlen(value);
}

static void head_init(dmsc_http_head_t *h, const char *method, const char *target)
{
    memset(h, 0, sizeof *h);
    h->is_request = true;
    h->version = 11;
    h->method = method;
    h->method_len = strlen(method);
    h->target = target;
    h->target_len = strlen(target);
}

static void head_add(dmsc_http_head_t *h, const char *name, const char *value)
{
    set_field(&h->fields[h->nfields++], name, value);
}

static bool fs_has(const dmsc_hmap_fieldset_t *s, const char *name, const char *value)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->f[i].name_len == strlen(name) &&
            strncasecmp(s->f[i].name, name, s->f[i].name_len) == 0 &&
            s->f[i].value_len == strlen(value) &&
            memcmp(s->f[i].value, value, s->f[i].value_len) == 0)
            return true;
    return false;
}

static size_t fs_count(const dmsc_hmap_fieldset_t *s, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->f[i].name_len == strlen(name) &&
            strncasecmp(s->f[i].name, name, s->f[i].name_len) == 0)
            k++;
    return k;
}

static bool fields_equal(const dmsc_http_field_t *a, size_t na, const dmsc_http_field_t *b,
                         size_t nb_)
{
    if (na != nb_) return false;
    for (size_t i = 0; i < na; i++) {
        if (a[i].name_len != b[i].name_len || strncasecmp(a[i].name, b[i].name, a[i].name_len))
            return false;
        if (a[i].value_len != b[i].value_len || memcmp(a[i].value, b[i].value, a[i].value_len))
            return false;
    }
    return true;
}

static void prefix(const char *uri)
{
    assert_rc(dmsc_namebuf_from_uri(&nb2, uri), 0);
}

/* ---- host -> prefix ---- */

static void host_ok(const char *host, const char *uri)
{
    assert_rc(dmsc_hmap_host_to_prefix(host, strlen(host), &nb), 0);
    assert_name(&nb.name, uri);
}

static void host_bad(const char *host)
{
    int rc = dmsc_hmap_host_to_prefix(host, strlen(host), &nb);
    if (rc != DMSC_EINVAL) fail_msg("host '%s': got %s", host, dmsc_errname(rc));
}

static void test_host(void **state)
{
    host_ok("cart.shop", "/shop/cart");
    host_ok("Cart.Shop.:8080", "/shop/cart");
    host_ok("cart.shop:", "/shop/cart");
    host_ok("a.b.c", "/c/b/a");
    host_ok("localhost", "/localhost");
    host_ok("my_svc-1.ns-2", "/ns-2/my_svc-1");
    host_ok("xn--bcher-kva.example", "/example/xn--bcher-kva");
    host_ok("1.2.3.x", "/x/3/2/1");
    host_ok("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "/p/o/n/m/l/k/j/i/h/g/f/e/d/c/b/a");
    host_bad("");
    host_bad(".");
    host_bad("a..b");
    host_bad(".a");
    host_bad("a.b..");
    host_bad("a b");
    host_bad("a/b");
    host_bad("a%2eb");
    host_bad("[::1]:80");
    host_bad("10.0.0.1");
    host_bad("10.0.0.1:80");
    host_bad("a.b:99999");
    host_bad("a.b:65536");
    host_bad("a.b:8x");
    host_bad("a.b:1:2");
    host_bad("user@a.b");
    host_bad("b\xc3\xbc"
             "cher.example");
    host_bad("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q");
    char lab[80];
    memset(lab, 'a', 63);
    memcpy(lab + 63, ".x", 3);
    assert_rc(dmsc_hmap_host_to_prefix(lab, strlen(lab), &nb), 0);
    memset(lab, 'a', 64);
    memcpy(lab + 64, ".x", 3);
    host_bad(lab);
}

/* ---- target -> path components ---- */

static void path_ok(const char *target, const char *uri)
{
    dmsc_namebuf_init(&nb);
    assert_rc(dmsc_hmap_target_to_name(target, strlen(target), &nb), 0);
    assert_name(&nb.name, uri);
}

static void path_bad(const char *target, size_t n)
{
    dmsc_namebuf_init(&nb);
    int rc = dmsc_hmap_target_to_name(target, n, &nb);
    if (rc != DMSC_EINVAL) fail_msg("target '%.*s': got %s", (int)n, target, dmsc_errname(rc));
}

static void test_path(void **state)
{
    path_ok("/items/42", "/items/42");
    path_ok("/", "/");
    path_ok("/?q=1", "/");
    path_ok("/a/", "/a/...");
    path_ok("//", "/.../...");
    path_ok("/a/b?x=1/2&y=%zz", "/a/b");
    path_ok("/a%2Fb/c%20d", "/a%2Fb/c%20d");
    path_ok("/%41%62", "/Ab");
    path_ok("/.a/..b/...", "/.a/..b/......");
    path_ok("/caf%C3%A9", "/caf%C3%A9");
    path_bad("", 0);
    path_bad("items", 5);
    path_bad("*", 1);
    path_bad("http://h/a", 10);
    path_bad("/./x", 4);
    path_bad("/a/.", 4);
    path_bad("/a/..", 5);
    path_bad("/a/../b", 7);
    path_bad("/%2e", 4);
    path_bad("/%2E%2e/x", 9);
    path_bad("/.%2E", 5);
    path_bad("/%", 2);
    path_bad("/a%4", 4);
    path_bad("/%zz", 4);
    path_bad("/%4g", 4);
    path_bad("/a%00", 5);
    path_bad("/a\0b", 4);
    path_bad("/a#b", 4);
    path_bad("/a b", 4);
    path_bad("/a\tb", 4);
    path_bad("/a\x7f", 3);
    path_bad("/caf\xc3\xa9", 6);

    /* the NDN name limits apply: 64 components, 2048 octets */
    char t[4000];
    size_t n = 0;
    for (int i = 0; i < 70; i++) {
        t[n++] = '/';
        t[n++] = 'x';
    }
    dmsc_namebuf_init(&nb);
    assert_rc(dmsc_hmap_target_to_name(t, n, &nb), DMSC_ENAMECOMPS);
    t[0] = '/';
    memset(t + 1, 'y', 2100);
    dmsc_namebuf_init(&nb);
    assert_rc(dmsc_hmap_target_to_name(t, 2101, &nb), DMSC_ENAMELEN);
    assert_int_equal(dmsc_hmap_error_from_rc(DMSC_ENAMELEN), DMSC_HMAP_ERR_URI_TOO_LONG);
    assert_int_equal(dmsc_hmap_error_status(dmsc_hmap_error_from_rc(DMSC_ENAMECOMPS)), 414);

    /* prefix + 61 path components + keyword + digest = 64 fits; 62 does not */
    prefix("/svc");
    dmsc_hmap_request_init(&rq);
    rq.method = "GET";
    rq.method_len = 3;
    n = 0;
    for (int i = 0; i < 61; i++) {
        t[n++] = '/';
        t[n++] = 'x';
    }
    rq.target = t;
    rq.target_len = n;
    assert_rc(dmsc_hmap_request_name(&nb2.name, &rq, &nb), 0);
    assert_int_equal(nb.name.ncomps, 63);
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_request_encode(&nb2.name, &rq, 1, 4000, -1, buf, sizeof buf, &out), 0);
    t[n++] = '/';
    t[n++] = 'x';
    rq.target_len = n;
    assert_rc(dmsc_hmap_request_name(&nb2.name, &rq, &nb), DMSC_ENAMECOMPS);
    assert_rc(dmsc_hmap_request_encode(&nb2.name, &rq, 1, 4000, -1, buf, sizeof buf, &out),
              DMSC_ENAMECOMPS);
}

/* ---- stable and unique names ---- */

/* Egress pipeline: head -> fields -> Interest. */
static void egress(const dmsc_http_head_t *h, const uint8_t *rid, uint32_t nonce, uint8_t *out_buf,
                   dmsc_slice_t *out)
{
    assert_rc(dmsc_hmap_host_to_prefix(h->authority, h->authority_len, &nb2), 0);
    static dmsc_hmap_fieldset_t f;
    assert_rc(dmsc_hmap_request_fields(h, false, "192.0.2.7", &f), 0);
    dmsc_hmap_request_init(&rq);
    rq.method = h->method;
    rq.method_len = h->method_len;
    rq.target = h->target;
    rq.target_len = h->target_len;
    rq.authority = h->authority;
    rq.authority_len = h->authority_len;
    rq.scheme = "http";
    rq.scheme_len = 4;
    rq.version = h->version;
    memcpy(rq.fields, f.f, f.n * sizeof f.f[0]);
    rq.nfields = f.n;
    if (rid) {
        rq.has_request_id = true;
        memcpy(rq.request_id, rid, DMSC_HMAP_REQUEST_ID_LEN);
    }
    assert_rc(dmsc_hmap_request_encode(&nb2.name, &rq, nonce, 4000, 32, out_buf, BUFSZ, out), 0);
}

static void test_get_stable(void **state)
{
    /* client 1: HTTP/1.1, curl */
    head_init(&head, "GET", "/items/42?color=red");
    head.authority = "cart.shop";
    head.authority_len = 9;
    head_add(&head, "Host", "cart.shop");
    head_add(&head, "User-Agent", "curl/8.0");
    head_add(&head, "Accept", "application/json");
    head_add(&head, "X-Forwarded-For", "10.1.1.1");
    head_add(&head, "X-Tenant", "acme");
    head_add(&head, "Accept-Encoding", "gzip");
    head_add(&head, "Connection", "keep-alive");
    head_add(&head, "X-Request-Id", "abc");
    head_add(&head, "traceparent", "00-aaaa-bbbb-01");
    /* client 2: HTTP/2, another agent, fields in another order and case */
    head_init(&head2, "GET", "/items/42?color=red");
    head2.version = 20;
    head2.authority = "cart.shop";
    head2.authority_len = 9;
    head_add(&head2, "accept-encoding", "gzip");
    head_add(&head2, "user-agent", "python-requests/2.31");
    head_add(&head2, "x-tenant", "acme");
    head_add(&head2, "via", "1.1 someproxy");
    head_add(&head2, "accept", "application/json");
    head_add(&head2, "x-forwarded-for", "10.9.9.9, 10.8.8.8");
    head_add(&head2, "forwarded", "for=10.9.9.9");
    head_add(&head2, "date", "Sun, 06 Nov 1994 08:49:37 GMT");
    head_add(&head2, "x-b3-traceid", "1234");

    dmsc_slice_t a, b;
    egress(&head, NULL, 0x01020304, buf, &a);
    egress(&head2, NULL, 0x01020304, buf2, &b);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.p, b.p, a.n);

    /* with their own nonces the names (and so the digests) still agree */
    egress(&head2, NULL, 0x0a0b0c0d, buf2, &b);
    dmsc_interest_t i1, i2;
    assert_rc(dmsc_interest_decode(&i1, a.p, a.n, BUFSZ), 0);
    assert_rc(dmsc_interest_decode(&i2, b.p, b.n, BUFSZ), 0);
    assert_true(dmsc_name_equal(&i1.name, &i2.name));
    assert_true(i1.must_be_fresh);
    assert_int_equal(i1.lifetime, 4000);
    assert_true(i1.has_hop_limit);
    assert_int_equal(i1.hop_limit, 32);
    dmsc_name_t pre;
    dmsc_name_get_prefix(&i1.name, 5, &pre);
    assert_name(&pre, "/shop/cart/items/42/32=GET");
    assert_int_equal(dmsc_name_comp(&i1.name, 5).type, DMSC_TT_PARAMS_DIGEST);

    /* the forwarded fields are the key fields, sorted */
    assert_rc(dmsc_hmap_request_decode(&i1, &rq2), 0);
    assert_int_equal(rq2.prefix_ncomps, 2);
    assert_int_equal(rq2.path_ncomps, 2);
    assert_int_equal(rq2.nfields, 3);
    assert_memory_equal(rq2.fields[0].name, "accept", 6);
    assert_memory_equal(rq2.fields[1].name, "accept-encoding", 15);
    assert_memory_equal(rq2.fields[2].name, "x-tenant", 8);
    assert_int_equal(rq2.version, 0); /* not carried: it would split the cache */
    assert_false(rq2.has_request_id);
    assert_int_equal(rq2.target_len, strlen("/items/42?color=red"));

    /* a different key field value gives a different name */
    head_add(&head2, "Accept-Language", "fr");
    egress(&head2, NULL, 0x01020304, buf2, &b);
    assert_rc(dmsc_interest_decode(&i2, b.p, b.n, BUFSZ), 0);
    assert_false(dmsc_name_equal(&i1.name, &i2.name));
    /* ... and so does the query */
    head_init(&head2, "GET", "/items/42?color=blue");
    head2.authority = "cart.shop";
    head2.authority_len = 9;
    head_add(&head2, "Accept", "application/json");
    head_add(&head2, "Accept-Encoding", "gzip");
    head_add(&head2, "X-Tenant", "acme");
    egress(&head2, NULL, 0x01020304, buf2, &b);
    assert_rc(dmsc_interest_decode(&i2, b.p, b.n, BUFSZ), 0);
    assert_false(dmsc_name_equal(&i1.name, &i2.name));
    dmsc_name_t p1, p2;
    dmsc_name_get_prefix(&i1.name, 5, &p1);
    dmsc_name_get_prefix(&i2.name, 5, &p2);
    assert_true(dmsc_name_equal(&p1, &p2)); /* only the digest differs */
}

static void test_post_unique(void **state)
{
    static const uint8_t rid1[16] = {1}, rid2[16] = {2};
    head_init(&head, "POST", "/orders");
    head.authority = "cart.shop";
    head.authority_len = 9;
    head_add(&head, "Content-Type", "application/json");
    head_add(&head, "User-Agent", "curl/8.0");
    dmsc_slice_t a, b;
    egress(&head, rid1, 7, buf, &a);
    egress(&head, rid2, 7, buf2, &b);
    dmsc_interest_t i1, i2;
    assert_rc(dmsc_interest_decode(&i1, a.p, a.n, BUFSZ), 0);
    assert_rc(dmsc_interest_decode(&i2, b.p, b.n, BUFSZ), 0);
    assert_false(dmsc_name_equal(&i1.name, &i2.name));
    assert_false(i1.must_be_fresh);
    assert_rc(dmsc_hmap_request_decode(&i1, &rq2), 0);
    assert_true(rq2.has_request_id);
    assert_memory_equal(rq2.request_id, rid1, 16);
    assert_int_equal(rq2.version, 11);
    /* every end-to-end field, in order, plus the client address */
    assert_int_equal(rq2.nfields, 4);
    assert_memory_equal(rq2.fields[0].name, "content-type", 12);
    assert_memory_equal(rq2.fields[1].name, "user-agent", 10);
    assert_memory_equal(rq2.fields[2].name, "x-forwarded-for", 15);
    assert_memory_equal(rq2.fields[2].value, "192.0.2.7", 9);
    assert_memory_equal(rq2.fields[3].name, "forwarded", 9);
    assert_memory_equal(rq2.fields[3].value, "for=192.0.2.7", 13);

    /* a unique method needs a request id */
    dmsc_hmap_request_init(&rq);
    rq.method = "POST";
    rq.method_len = 4;
    rq.target = "/";
    rq.target_len = 1;
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_params_encode(&rq, buf, sizeof buf, &out), DMSC_EINVAL);
    /* a GET with a request id is unique too (e.g. Cache-Control: no-cache) */
    rq.method = "GET";
    rq.method_len = 3;
    rq.has_request_id = true;
    assert_false(dmsc_hmap_request_is_stable(&rq));
    assert_rc(dmsc_hmap_request_encode(&nb2.name, &rq, 1, 1000, -1, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&i1, out.p, out.n, BUFSZ), 0);
    assert_false(i1.must_be_fresh);
    assert_false(i1.has_hop_limit);
}

/* ---- request round trips ---- */

static void req_base(dmsc_hmap_request_t *r, const char *method, const char *target)
{
    static const uint8_t rid[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    dmsc_hmap_request_init(r);
    r->method = method;
    r->method_len = strlen(method);
    r->target = target;
    r->target_len = strlen(target);
    r->authority = "cart.shop:8080";
    r->authority_len = strlen(r->authority);
    r->scheme = "HTTPS";
    r->scheme_len = 5;
    r->version = 20;
    r->te_trailers = true;
    if (!dmsc_hmap_method_is_stable(method, r->method_len)) {
        r->has_request_id = true;
        memcpy(r->request_id, rid, 16);
    }
    set_field(&r->fields[0], "Content-Type", "application/grpc");
    set_field(&r->fields[1], "x-Empty", "");
    set_field(&r->fields[2], "cookie", "a=1");
    set_field(&r->fields[3], "cookie", "b=2");
    r->nfields = 4;
}

static void check_req_equal(const dmsc_hmap_request_t *a, const dmsc_hmap_request_t *b)
{
    assert_int_equal(a->method_len, b->method_len);
    assert_memory_equal(a->method, b->method, a->method_len);
    assert_int_equal(a->target_len, b->target_len);
    assert_memory_equal(a->target, b->target, a->target_len);
    assert_int_equal(a->authority_len, b->authority_len);
    assert_true(strncasecmp(a->scheme, b->scheme, a->scheme_len) == 0);
    assert_int_equal(a->te_trailers, b->te_trailers);
    assert_int_equal(a->has_request_id, b->has_request_id);
    assert_memory_equal(a->request_id, b->request_id, 16);
    assert_true(fields_equal(a->fields, a->nfields, b->fields, b->nfields));
    assert_int_equal(a->body, b->body);
    assert_int_equal(a->has_body_length, b->has_body_length);
    if (a->has_body_length) assert_int_equal(a->body_length, b->body_length);
    assert_true(dmsc_slice_eq(a->body_data, b->body_data));
    assert_true(dmsc_name_equal(&a->body_name, &b->body_name));
}

static void roundtrip_req(dmsc_hmap_request_t *r, const char *pfx, size_t want_prefix,
                          size_t want_path)
{
    prefix(pfx);
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_request_encode(&nb2.name, r, 99, 2000, -1, buf, sizeof buf, &out), 0);
    dmsc_interest_t in;
    assert_rc(dmsc_interest_decode(&in, out.p, out.n, BUFSZ), 0);
    assert_rc(dmsc_hmap_request_decode(&in, &rq2), 0);
    check_req_equal(r, &rq2);
    assert_int_equal(rq2.prefix_ncomps, want_prefix);
    assert_int_equal(rq2.path_ncomps, want_path);
    assert_int_equal(rq2.version, 20);
    /* params alone */
    dmsc_slice_t p;
    assert_rc(dmsc_hmap_params_encode(r, buf2, sizeof buf2, &p), 0);
    assert_true(dmsc_slice_eq(p, in.app_params));
    /* truncated at every byte: rejected */
    for (size_t k = 0; k < p.n; k++)
        if (dmsc_hmap_params_decode(p.p, k, &rq2) == 0) fail_msg("params truncated at %zu", k);
}

static void test_request_roundtrip(void **state)
{
    static const uint8_t body[] = "{\"sku\":42}";
    /* inline body */
    req_base(&rq, "POST", "/a%2Fb/orders/?x=1&y=/z");
    rq.body = DMSC_HMAP_BODY_INLINE;
    rq.body_data = dmsc_slice(body, sizeof body - 1);
    roundtrip_req(&rq, "/shop/cart", 2, 3);

    /* empty inline body */
    rq.body_data = dmsc_slice(NULL, 0);
    roundtrip_req(&rq, "/shop/cart", 2, 3);

    /* body name with length */
    dmsc_namebuf_t bn;
    assert_rc(dmsc_namebuf_from_uri(&bn, "/shop/node/n1/body/8=%01%02"), 0);
    req_base(&rq, "PUT", "/");
    rq.body = DMSC_HMAP_BODY_NAMED;
    rq.body_name = bn.name;
    rq.has_body_length = true;
    rq.body_length = 10u << 20;
    roundtrip_req(&rq, "/x", 1, 0);

    /* chunked upload: length unknown */
    rq.has_body_length = false;
    roundtrip_req(&rq, "/a/b/c", 3, 0);

    /* no body, stable GET */
    req_base(&rq, "GET", "/a/");
    rq.version = 20; /* set but not carried for a stable request */
    prefix("/p");
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_request_encode(&nb2.name, &rq, 99, 2000, -1, buf, sizeof buf, &out), 0);
    dmsc_interest_t in;
    assert_rc(dmsc_interest_decode(&in, out.p, out.n, BUFSZ), 0);
    assert_rc(dmsc_hmap_request_decode(&in, &rq2), 0);
    assert_int_equal(rq2.version, 0);
    assert_int_equal(rq2.prefix_ncomps, 1);
    assert_int_equal(rq2.path_ncomps, 2);
    assert_int_equal(rq2.body, DMSC_HMAP_BODY_NONE);
    /* sorted: content-type, cookie a, cookie b (kept in order), x-empty */
    assert_memory_equal(rq2.fields[0].name, "content-type", 12);
    assert_memory_equal(rq2.fields[1].value, "a=1", 3);
    assert_memory_equal(rq2.fields[2].value, "b=2", 3);
    assert_memory_equal(rq2.fields[3].name, "x-empty", 7);
    assert_memory_equal(rq2.scheme, "https", 5);
}

/* An Interest whose name was built for one request and parameters for
 * another: the ingress must reject it. */
static int mismatch(const char *name_uri, dmsc_hmap_request_t *r)
{
    dmsc_namebuf_t n;
    assert_rc(dmsc_namebuf_from_uri(&n, name_uri), 0);
    dmsc_slice_t p;
    assert_rc(dmsc_hmap_params_encode(r, buf2, sizeof buf2, &p), 0);
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = n.name;
    in.has_app_params = true;
    in.app_params = p;
    dmsc_slice_t out;
    assert_rc(dmsc_interest_encode(&in, NULL, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&in, out.p, out.n, BUFSZ), 0);
    return dmsc_hmap_request_decode(&in, &rq2);
}

static void test_request_name_checks(void **state)
{
    req_base(&rq, "GET", "/admin/x");
    assert_rc(mismatch("/svc/admin/x/32=GET", &rq), 0);
    assert_int_equal(rq2.prefix_ncomps, 1);
    assert_rc(mismatch("/svc/public/x/32=GET", &rq), DMSC_EVALUE);
    assert_rc(mismatch("/svc/x/32=GET", &rq), DMSC_EVALUE);
    assert_rc(mismatch("/admin/x/32=GET", &rq), DMSC_EVALUE); /* no prefix left */
    assert_rc(mismatch("/svc/admin/x/32=HEAD", &rq), DMSC_EVALUE);
    assert_rc(mismatch("/svc/admin/x/GET", &rq), DMSC_EVALUE);
    assert_rc(mismatch("/svc/admin/x", &rq), DMSC_EVALUE);
    assert_rc(mismatch("/svc/admin/32=x/32=GET", &rq), DMSC_EVALUE);
    /* digest not last */
    assert_rc(mismatch("/svc/admin/x/32=GET/params-sha256="
                       "0000000000000000000000000000000000000000000000000000000000000000/z",
                       &rq),
              DMSC_EDIGEST);
    req_base(&rq, "GET", "/a%2Fb");
    assert_rc(mismatch("/svc/a%2Fb/32=GET", &rq), 0);
    assert_rc(mismatch("/svc/a/b/32=GET", &rq), DMSC_EVALUE);

    /* an Interest without parameters is not a named request */
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    assert_rc(dmsc_namebuf_from_uri(&nb, "/svc/32=GET"), 0);
    in.name = nb.name;
    dmsc_slice_t out;
    assert_rc(dmsc_interest_encode(&in, NULL, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&in, out.p, out.n, BUFSZ), 0);
    assert_rc(dmsc_hmap_request_decode(&in, &rq2), DMSC_EMISSING);
}

/* Hand-written parameters: decoder rules. Hex with "TYPE(value)" nesting:
 * the TLV-LENGTH (< 253) of a parenthesised value is computed here. */
static int params_hex(const char *hex)
{
    static uint8_t b[1024];
    size_t n = 0, stack[8], depth = 0;
    int hi = -1;
    for (; *hex; hex++) {
        int v;
        if (*hex == '(') {
            assert_true(hi < 0 && depth < 8);
            stack[depth++] = n++; /* length placeholder */
            continue;
        }
        if (*hex == ')') {
            assert_true(hi < 0 && depth > 0);
            size_t at = stack[--depth];
            assert_true(n - at - 1 < 253);
            b[at] = (uint8_t)(n - at - 1);
            continue;
        }
        if (*hex >= '0' && *hex <= '9')
            v = *hex - '0';
        else if (*hex >= 'a' && *hex <= 'f')
            v = *hex - 'a' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            b[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_true(hi < 0 && depth == 0);
    return dmsc_hmap_params_decode(b, n, &rq2);
}

#define M "fd8a11(474554)"   /* Method GET */
#define T "fd8a13(2f)"       /* Target / */
#define P "fd8a11(504f5354)" /* Method POST */
#define RID "fd8a19(00112233445566778899aabbccddeeff)"
#define F(name, value) "fd8a21(fd8a23(" name ") fd8a25(" value "))"

static void test_params_rules(void **state)
{
    assert_rc(params_hex("fd8a01(" M T ")"), 0);
    assert_rc(params_hex("fd8a03(" M T ")"), DMSC_ETYPE);
    assert_rc(params_hex("fd8a01(" M T ") 00"), DMSC_ETRAILING);
    assert_rc(params_hex("fd8a01(" M ")"), DMSC_EMISSING);
    assert_rc(params_hex("fd8a01(" T ")"), DMSC_EMISSING);
    assert_rc(params_hex("fd8a01(" T M ")"), DMSC_EORDER);
    assert_rc(params_hex("fd8a01(" M T T ")"), DMSC_EDUP);
    assert_rc(params_hex("fd8a01(" M T "fd8a15(6162) fd8a15(6162))"), DMSC_EDUP);
    /* unknown even element skipped, unknown odd rejected, also inside a Field */
    assert_rc(params_hex("fd8a01(" M "fd8afe(00)" T ")"), 0);
    assert_rc(params_hex("fd8a01(" M "fd8aff(00)" T ")"), DMSC_ECRITICAL);
    assert_rc(params_hex("fd8a01(" M T "fd8a21(fd8a23(61) fd8a25() fd8afe())"
                         ")"),
              0);
    assert_rc(params_hex("fd8a01(" M T "fd8a21(fd8a23(61) fd8a25() fd8aff())"
                         ")"),
              DMSC_ECRITICAL);
    /* POST needs a request id of 16 octets */
    assert_rc(params_hex("fd8a01(" P T ")"), DMSC_EMISSING);
    assert_rc(params_hex("fd8a01(" P T RID ")"), 0);
    assert_rc(params_hex("fd8a01(" P T "fd8a19(00112233445566778899aabbccddee))"), DMSC_EVALUE);
    /* field: lowercase token name, value without CR/LF/NUL */
    assert_rc(params_hex("fd8a01(" M T F("61", "") ")"), 0);
    assert_int_equal(rq2.nfields, 1);
    assert_rc(params_hex("fd8a01(" M T F("61", "") F("62", "20 09 41 ff") ")"), 0);
    assert_int_equal(rq2.nfields, 2);
    assert_rc(params_hex("fd8a01(" M T F("41", "") ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T F("20", "") ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T F("", "") ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T F("61", "0a") ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T F("61", "0d") ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T F("61", "00") ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T F("61", "7f") ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T "fd8a21(fd8a23(61)))"), DMSC_EMISSING);
    assert_rc(params_hex("fd8a01(" M T "fd8a21(fd8a25(61)))"), DMSC_EMISSING);
    assert_rc(params_hex("fd8a01(" M T "fd8a21(fd8a25(61) fd8a23(61)))"), DMSC_EORDER);
    assert_rc(params_hex("fd8a01(" M T "fd8a21(fd8a23(61) fd8a25 01))"), DMSC_ETRUNC);
    /* fields come after the head elements */
    assert_rc(params_hex("fd8a01(" M T F("61", "") "fd8a15(6162))"), DMSC_EORDER);
    /* target must be origin-form and mappable */
    assert_rc(params_hex("fd8a01(" M "fd8a13(2a))"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M "fd8a13(2f2e2e))"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M "fd8a13())"), DMSC_EVALUE);
    /* method must be a token */
    assert_rc(params_hex("fd8a01(fd8a11(472054)" T ")"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(fd8a11()" T ")"), DMSC_EVALUE);
    /* authority, scheme, version */
    assert_rc(params_hex("fd8a01(" M T "fd8a15(0d))"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T "fd8a18(6874747073))"), 0);
    assert_rc(params_hex("fd8a01(" M T "fd8a18(4854545053))"), DMSC_EVALUE); /* uppercase */
    assert_rc(params_hex("fd8a01(" M T "fd8a16(0b))"), 0);
    assert_int_equal(rq2.version, 11);
    assert_rc(params_hex("fd8a01(" M T "fd8a16(0b0b0b))"), DMSC_ENNI);
    assert_rc(params_hex("fd8a01(" M T "fd8a16(ff))"), DMSC_EVALUE);
    /* body name and length; length without name; body and body name */
    assert_rc(params_hex("fd8a01(" M T "fd8a33(080161) fd8a35(05))"), 0);
    assert_int_equal(rq2.body, DMSC_HMAP_BODY_NAMED);
    assert_int_equal(rq2.body_length, 5);
    assert_rc(params_hex("fd8a01(" M T "fd8a31(0102))"), 0);
    assert_int_equal(rq2.body, DMSC_HMAP_BODY_INLINE);
    assert_int_equal(rq2.body_data.n, 2);
    assert_rc(params_hex("fd8a01(" M T "fd8a35(05))"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T "fd8a31() fd8a33(080161))"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T "fd8a33())"), DMSC_EVALUE);
    assert_rc(params_hex("fd8a01(" M T "fd8a33(0801))"), DMSC_ETRUNC);
    assert_rc(params_hex("fd8a01(" M T "fd8a33(080161) fd8a35(000000))"), DMSC_ENNI);
    /* TE trailers flag is empty */
    assert_rc(params_hex("fd8a01(" M T "fd8a1a())"), 0);
    assert_true(rq2.te_trailers);
    assert_rc(params_hex("fd8a01(" M T "fd8a1a(00))"), DMSC_EVALUE);
}

static void test_field_limits(void **state)
{
    req_base(&rq, "POST", "/");
    for (size_t i = 0; i < DMSC_HTTP_MAX_FIELDS; i++)
        set_field(&rq.fields[i], "x-a", "1");
    rq.nfields = DMSC_HTTP_MAX_FIELDS;
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_params_encode(&rq, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_hmap_params_decode(out.p, out.n, &rq2), 0);
    assert_int_equal(rq2.nfields, DMSC_HTTP_MAX_FIELDS);
    rq.nfields = DMSC_HTTP_MAX_FIELDS + 1;
    assert_rc(dmsc_hmap_params_encode(&rq, buf, sizeof buf, &out), DMSC_ETOOBIG);
    /* a 129th field on the wire: rejected */
    rq.nfields = DMSC_HTTP_MAX_FIELDS;
    assert_rc(dmsc_hmap_params_encode(&rq, buf, sizeof buf, &out), 0);
    /* header: fd8a01 fd <2-octet length>; append one Field, fix the length */
    assert_int_equal(out.p[3], 0xfd);
    uint8_t *w = buf2;
    memcpy(w, out.p, out.n);
    memcpy(w + out.n, "\xfd\x8a\x21\x08\xfd\x8a\x23\x01\x61\xfd\x8a\x25\x00", 13);
    size_t inner = ((size_t)out.p[4] << 8 | out.p[5]) + 13;
    w[4] = (uint8_t)(inner >> 8);
    w[5] = (uint8_t)inner;
    assert_rc(dmsc_hmap_params_decode(w, out.n + 13, &rq2), DMSC_ETOOBIG);
    /* bytes ceiling */
    static char big[DMSC_HMAP_FIELD_BYTES_MAX];
    memset(big, 'v', sizeof big);
    rq.nfields = 1;
    rq.fields[0].value = big;
    rq.fields[0].value_len = sizeof big;
    static uint8_t large[DMSC_HMAP_FIELD_BYTES_MAX * 2];
    assert_rc(dmsc_hmap_params_encode(&rq, large, sizeof large, &out), DMSC_ETOOBIG);
    /* bad field name / value */
    rq.fields[0].value = "a\r\nb";
    rq.fields[0].value_len = 4;
    assert_rc(dmsc_hmap_params_encode(&rq, buf, sizeof buf, &out), DMSC_EINVAL);
    set_field(&rq.fields[0], "bad name", "v");
    assert_rc(dmsc_hmap_params_encode(&rq, buf, sizeof buf, &out), DMSC_EINVAL);
    /* small buffer */
    set_field(&rq.fields[0], "a", "b");
    assert_rc(dmsc_hmap_params_encode(&rq, buf, 20, &out), DMSC_ENOBUFS);
}

/* ---- hop-by-hop, Via, X-Forwarded-For ---- */

static void test_hop_by_hop(void **state)
{
    head_init(&head, "POST", "/");
    head_add(&head, "Host", "a.b");
    head_add(&head, "Connection", "keep-alive, X-Secret , Upgrade");
    head_add(&head, "connection", "x-other");
    head_add(&head, "X-Secret", "1");
    head_add(&head, "X-Other", "2");
    head_add(&head, "X-Kept", "3");
    head_add(&head, "Keep-Alive", "timeout=5");
    head_add(&head, "Proxy-Connection", "keep-alive");
    head_add(&head, "TE", "gzip;q=0.5, trailers");
    head_add(&head, "Transfer-Encoding", "chunked");
    head_add(&head, "Upgrade", "websocket");
    head_add(&head, "Proxy-Authorization", "Basic x");
    head_add(&head, "Proxy-Authenticate", "Basic");
    head_add(&head, "Trailer", "grpc-status");
    head_add(&head, "Content-Length", "5");
    head_add(&head, "Expect", "100-continue");
    head_add(&head, "HTTP2-Settings", "AAA");
    head_add(&head, "dmsc-error", "timeout");
    head_add(&head, ":path", "/");
    head_add(&head, "Content-Type", "text/plain");
    assert_rc(dmsc_hmap_filter_hop(head.fields, head.nfields, 0, &fs), 0);
    assert_int_equal(fs.n, 2);
    assert_true(fs_has(&fs, "x-kept", "3"));
    assert_true(fs_has(&fs, "content-type", "text/plain"));
    assert_true(fs.te_trailers);
    /* Content-Length kept as metadata (HEAD/304 responses) */
    assert_rc(dmsc_hmap_filter_hop(head.fields, head.nfields, DMSC_HMAP_KEEP_CONTENT_LENGTH, &fs),
              0);
    assert_int_equal(fs.n, 3);
    assert_true(fs_has(&fs, "content-length", "5"));
    /* TE without trailers */
    head_init(&head2, "GET", "/");
    head_add(&head2, "TE", "gzip");
    assert_rc(dmsc_hmap_filter_hop(head2.fields, head2.nfields, 0, &fs), 0);
    assert_false(fs.te_trailers);
    assert_int_equal(fs.n, 0);

    assert_true(dmsc_hmap_is_hop_field("TRANSFER-ENCODING", 17));
    assert_false(dmsc_hmap_is_hop_field("transfer", 8));
    assert_true(dmsc_hmap_is_key_field("X-Api-Key", 9));
    assert_false(dmsc_hmap_is_key_field("X-Forwarded-Proto", 17));
    assert_false(dmsc_hmap_is_key_field("X-B3-SpanId", 11));
    assert_false(dmsc_hmap_is_key_field("user-agent", 10));
    assert_false(dmsc_hmap_is_key_field("via", 3));
    assert_true(dmsc_hmap_is_key_field("If-None-Match", 13));
}

static void test_forwarding_fields(void **state)
{
    /* egress, unique: XFF chain merged and appended, Forwarded added */
    head_init(&head, "DELETE", "/x");
    head_add(&head, "X-Forwarded-For", "10.0.0.1");
    head_add(&head, "Accept", "*/*");
    head_add(&head, "x-forwarded-for", "10.0.0.2, 10.0.0.3");
    head_add(&head, "Via", "1.0 fred");
    assert_rc(dmsc_hmap_request_fields(&head, false, "2001:db8::1", &fs), 0);
    assert_int_equal(fs_count(&fs, "x-forwarded-for"), 1);
    assert_true(fs_has(&fs, "x-forwarded-for", "10.0.0.1, 10.0.0.2, 10.0.0.3, 2001:db8::1"));
    assert_true(fs_has(&fs, "forwarded", "for=\"[2001:db8::1]\""));
    assert_true(fs_has(&fs, "via", "1.0 fred"));
    assert_string_equal(fs.f[0].name, "X-Forwarded-For"); /* in place of the first */
    /* without an existing chain */
    head_init(&head, "PATCH", "/x");
    assert_rc(dmsc_hmap_request_fields(&head, false, "192.0.2.1", &fs), 0);
    assert_true(fs_has(&fs, "x-forwarded-for", "192.0.2.1"));
    assert_true(fs_has(&fs, "forwarded", "for=192.0.2.1"));
    assert_rc(dmsc_hmap_request_fields(&head, false, "evil\r\nx: y", &fs), DMSC_EINVAL);
    /* stable: nothing added, only key fields */
    head_init(&head, "HEAD", "/x");
    head_add(&head, "x-forwarded-for", "10.0.0.1");
    head_add(&head, "Range", "bytes=0-9");
    assert_rc(dmsc_hmap_request_fields(&head, false, "192.0.2.1", &fs), 0);
    assert_int_equal(fs.n, 1);
    assert_true(fs_has(&fs, "range", "bytes=0-9"));
    /* forced unique GET */
    assert_rc(dmsc_hmap_request_fields(&head, true, "192.0.2.1", &fs), 0);
    assert_true(fs_has(&fs, "x-forwarded-for", "10.0.0.1, 192.0.2.1"));

    /* ingress: Host first, Via merged, X-Forwarded-Proto, TE */
    req_base(&rq, "POST", "/x");
    set_field(&rq.fields[0], "via", "1.0 fred, 1.1 p.example");
    set_field(&rq.fields[1], "Via", "1.1 q");
    set_field(&rq.fields[2], "x-forwarded-for", "192.0.2.7");
    set_field(&rq.fields[3], "transfer-encoding", "chunked"); /* defensive */
    rq.scheme = "https";
    assert_rc(dmsc_hmap_upstream_fields(&rq, NULL, 0, "n1", NULL, &fs), 0);
    assert_string_equal(fs.f[0].name, "host");
    assert_memory_equal(fs.f[0].value, "cart.shop:8080", 14);
    assert_int_equal(fs_count(&fs, "via"), 1);
    assert_true(fs_has(&fs, "via", "1.0 fred, 1.1 p.example, 1.1 q, 1.1 n1"));
    assert_true(fs_has(&fs, "x-forwarded-for", "192.0.2.7"));
    assert_true(fs_has(&fs, "x-forwarded-proto", "https"));
    assert_true(fs_has(&fs, "te", "trailers"));
    assert_int_equal(fs_count(&fs, "transfer-encoding"), 0);
    assert_int_equal(fs.n, 5);
    /* client address known at the ingress; authority from the argument */
    rq.authority = NULL;
    rq.nfields = 0;
    rq.te_trailers = false;
    rq.scheme = NULL;
    assert_rc(dmsc_hmap_upstream_fields(&rq, "svc.local", 9, "n1", "10.0.0.9", &fs), 0);
    assert_true(fs_has(&fs, "host", "svc.local"));
    assert_true(fs_has(&fs, "via", "1.1 n1"));
    assert_true(fs_has(&fs, "x-forwarded-for", "10.0.0.9"));
    assert_true(fs_has(&fs, "forwarded", "for=10.0.0.9"));
    assert_int_equal(fs.n, 4);
    assert_rc(dmsc_hmap_upstream_fields(&rq, NULL, 0, "n1", NULL, &fs), DMSC_EINVAL);
    assert_rc(dmsc_hmap_upstream_fields(&rq, "a", 1, "/node/n1", NULL, &fs), DMSC_EINVAL);

    /* egress response: hop-by-hop gone, Via appended */
    dmsc_hmap_response_init(&rs);
    set_field(&rs.fields[0], "content-type", "text/plain");
    set_field(&rs.fields[1], "connection", "close");
    set_field(&rs.fields[2], "content-length", "12");
    set_field(&rs.fields[3], "via", "1.1 n1");
    rs.nfields = 4;
    assert_rc(dmsc_hmap_client_response_fields(&rs, false, "n2", &fs), 0);
    assert_int_equal(fs.n, 2);
    assert_true(fs_has(&fs, "via", "1.1 n1, 1.1 n2"));
    assert_rc(dmsc_hmap_client_response_fields(&rs, true, "n2", &fs), 0);
    assert_true(fs_has(&fs, "content-length", "12"));

    /* scratch ceiling */
    static char longv[DMSC_HMAP_SCRATCH];
    memset(longv, '1', sizeof longv - 1);
    head_init(&head, "POST", "/");
    head_add(&head, "x-forwarded-for", longv);
    assert_rc(dmsc_hmap_request_fields(&head, false, "10.0.0.1", &fs), DMSC_ETOOBIG);
}

/* ---- response, segments, errors ---- */

static void test_response_inline(void **state)
{
    static const uint8_t body[] = "\x00\x00\x00\x00\x05hello";
    dmsc_hmap_response_init(&rs);
    rs.status = 200;
    rs.reason = "OK";
    rs.reason_len = 2;
    set_field(&rs.fields[0], "Content-Type", "application/grpc");
    rs.nfields = 1;
    rs.body = DMSC_HMAP_BODY_INLINE;
    rs.body_data = dmsc_slice(body, sizeof body - 1);
    rs.has_trailers = true;
    set_field(&rs.trailers[0], "grpc-status", "0");
    set_field(&rs.trailers[1], "grpc-message", "");
    rs.ntrailers = 2;
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), 0);
    assert_int_equal(dmsc_hmap_content_kind(out.p, out.n), DMSC_HMAP_TT_RESPONSE);
    assert_rc(dmsc_hmap_response_decode(out.p, out.n, &rs2), 0);
    assert_int_equal(rs2.status, 200);
    assert_int_equal(rs2.reason_len, 2);
    assert_true(fields_equal(rs.fields, rs.nfields, rs2.fields, rs2.nfields));
    assert_memory_equal(rs2.fields[0].name, "content-type", 12);
    assert_int_equal(rs2.body, DMSC_HMAP_BODY_INLINE);
    assert_true(dmsc_slice_eq(rs.body_data, rs2.body_data));
    assert_true(rs2.has_trailers);
    assert_true(fields_equal(rs.trailers, rs.ntrailers, rs2.trailers, rs2.ntrailers));
    for (size_t k = 0; k < out.n; k++)
        if (dmsc_hmap_response_decode(out.p, k, &rs2) == 0) fail_msg("truncated at %zu", k);

    /* as a Data named after the Interest */
    assert_rc(dmsc_namebuf_from_uri(
                  &nb, "/shop/cart/items/32=GET/params-sha256="
                       "0101010101010101010101010101010101010101010101010101010101010101"),
              0);
    dmsc_data_t d;
    dmsc_hmap_data_init(&d, &nb.name, out, 60000, false);
    dmsc_slice_t wire;
    assert_rc(dmsc_data_encode(&d, dmsc_sig_digest_signer(), buf2, sizeof buf2, &wire), 0);
    dmsc_data_t d2;
    assert_rc(dmsc_data_decode(&d2, wire.p, wire.n, BUFSZ), 0);
    assert_true(dmsc_name_equal(&d2.name, &nb.name));
    assert_int_equal(d2.freshness, 60000);
    assert_true(d2.has_freshness);
    assert_false(d2.has_final_block);
    assert_true(dmsc_slice_eq(d2.content, out));

    /* no body, no reason; status bounds */
    dmsc_hmap_response_init(&rs);
    rs.status = 204;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_hmap_response_decode(out.p, out.n, &rs2), 0);
    assert_int_equal(rs2.status, 204);
    assert_int_equal(rs2.body, DMSC_HMAP_BODY_NONE);
    assert_null(rs2.reason);
    rs.status = 100;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), DMSC_EINVAL);
    rs.status = 1000;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), DMSC_EINVAL);
    rs.status = 200;
    rs.reason = "bad\nreason";
    rs.reason_len = 10;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), DMSC_EINVAL);
}

static void test_response_segmented(void **state)
{
    dmsc_namebuf_t prod;
    assert_rc(dmsc_namebuf_from_uri(&prod, "/shop/node/n7"), 0);
    dmsc_hmap_response_init(&rs);
    rs.status = 200;
    set_field(&rs.fields[0], "content-type", "video/mp4");
    rs.nfields = 1;
    rs.body = DMSC_HMAP_BODY_SEGMENTED;
    rs.producer = prod.name;
    rs.has_body_length = true;
    rs.body_length = 123456789;
    rs.has_last_segment = true;
    rs.last_segment = 15432;
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_hmap_response_decode(out.p, out.n, &rs2), 0);
    assert_int_equal(rs2.body, DMSC_HMAP_BODY_SEGMENTED);
    assert_true(rs2.has_body_length);
    assert_int_equal(rs2.body_length, 123456789);
    assert_true(rs2.has_last_segment);
    assert_int_equal(rs2.last_segment, 15432);
    assert_true(dmsc_name_equal(&rs2.producer, &prod.name));
    for (size_t k = 0; k < out.n; k++)
        if (dmsc_hmap_response_decode(out.p, k, &rs2) == 0) fail_msg("truncated at %zu", k);
    /* unknown length */
    rs.has_body_length = false;
    rs.has_last_segment = false;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_hmap_response_decode(out.p, out.n, &rs2), 0);
    assert_false(rs2.has_body_length);
    assert_false(rs2.has_last_segment);
    /* trailers go in the last segment, not with the descriptor */
    rs.has_trailers = true;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), DMSC_EINVAL);
    rs.has_trailers = false;
    rs.producer.ncomps = 0;
    assert_rc(dmsc_hmap_response_encode(&rs, buf, sizeof buf, &out), DMSC_EINVAL);

    /* decoder: body and descriptor together, descriptor without producer */
    static const uint8_t both[] = {0xfd, 0x8a, 0x03, 0x10, 0xfd, 0x8a, 0x41, 0x01, 200,  0xfd, 0x8a,
                                   0x31, 0x00, 0xfd, 0x8a, 0x37, 0x03, 0xfd, 0x8a, 0x39, 0x00};
    assert_rc(dmsc_hmap_response_decode(both, 4 + 0x10, &rs2), DMSC_EVALUE);
    static const uint8_t noprod2[] = {0xfd, 0x8a, 0x03, 0x0f, 0xfd, 0x8a, 0x41, 0x01, 200, 0xfd,
                                      0x8a, 0x37, 0x06, 0xfd, 0x8a, 0x35, 0x02, 0x01, 0x00};
    assert_rc(dmsc_hmap_response_decode(noprod2, sizeof noprod2, &rs2), DMSC_EMISSING);
    /* LastSegment (even: a decoder that does not know it skips it) after
     * Producer is out of order; twice is a duplicate */
    static const uint8_t lastafter[] = {0xfd, 0x8a, 0x03, 0x14, 0xfd, 0x8a, 0x41, 0x01,
                                        200,  0xfd, 0x8a, 0x37, 0x0b, 0xfd, 0x8a, 0x39,
                                        0x03, 0x08, 0x01, 'n',  0xfd, 0x8a, 0x36, 0x00};
    assert_rc(dmsc_hmap_response_decode(lastafter, sizeof lastafter, &rs2), DMSC_EORDER);
    static const uint8_t lasttwice[] = {0xfd, 0x8a, 0x03, 0x1a, 0xfd, 0x8a, 0x41, 0x01, 200,  0xfd,
                                        0x8a, 0x37, 0x10, 0xfd, 0x8a, 0x36, 0x01, 0x02, 0xfd, 0x8a,
                                        0x36, 0x01, 0x03, 0xfd, 0x8a, 0x39, 0x03, 0x08, 0x01, 'n'};
    assert_rc(dmsc_hmap_response_decode(lasttwice, sizeof lasttwice, &rs2), DMSC_EDUP);
    static const uint8_t nostatus[] = {0xfd, 0x8a, 0x03, 0x00};
    assert_rc(dmsc_hmap_response_decode(nostatus, sizeof nostatus, &rs2), DMSC_EMISSING);
    static const uint8_t status99[] = {0xfd, 0x8a, 0x03, 0x05, 0xfd, 0x8a, 0x41, 0x01, 99};
    assert_rc(dmsc_hmap_response_decode(status99, sizeof status99, &rs2), DMSC_EVALUE);
}

static void test_segments(void **state)
{
    static const char *digest = "params-sha256="
                                "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
    char uri[300];
    snprintf(uri, sizeof uri, "/shop/cart/items/32=GET/%s", digest);
    dmsc_namebuf_t iname, seg;
    assert_rc(dmsc_namebuf_from_uri(&iname, uri), 0);
    assert_rc(dmsc_hmap_segment_name(&iname.name, 0, &seg), 0);
    assert_name(&seg.name, "/shop/cart/items/32=GET/"
                           "%A1%A2%A3%A4%A5%A6%A7%A8%A9%AA%AB%AC%AD%AE%AF%B0%B1%B2%B3%B4%B5%B6%B7%"
                           "B8%B9%BA%BB%BC%BD%BE%BF%C0/seg=0");
    uint64_t s = 99;
    assert_int_equal(dmsc_hmap_segment_match(&iname.name, false, &seg.name, &s), 1);
    assert_int_equal(s, 0);
    assert_rc(dmsc_hmap_segment_name(&iname.name, 300, &seg), 0);
    assert_int_equal(dmsc_hmap_segment_match(&iname.name, false, &seg.name, &s), 1);
    assert_int_equal(s, 300);
    assert_int_equal(dmsc_hmap_segment_match(&iname.name, true, &seg.name, &s), 0);
    /* another request's segment does not match */
    dmsc_namebuf_t other;
    snprintf(uri, sizeof uri, "/shop/cart/items/32=HEAD/%s", digest);
    assert_rc(dmsc_namebuf_from_uri(&other, uri), 0);
    assert_int_equal(dmsc_hmap_segment_match(&other.name, false, &seg.name, &s), 0);
    /* no digest component */
    assert_rc(dmsc_namebuf_from_uri(&other, "/shop/cart"), 0);
    assert_rc(dmsc_hmap_segment_name(&other.name, 0, &seg), DMSC_EDIGEST);

    /* request body segments */
    dmsc_namebuf_t bn;
    assert_rc(dmsc_namebuf_from_uri(&bn, "/shop/node/n1/body/8=%01"), 0);
    assert_rc(dmsc_hmap_body_segment_name(&bn.name, 5, &seg), 0);
    assert_name(&seg.name, "/shop/node/n1/body/%01/seg=5");
    assert_int_equal(dmsc_hmap_segment_match(&bn.name, true, &seg.name, &s), 1);
    assert_int_equal(s, 5);
    dmsc_name_t empty;
    dmsc_name_init(&empty);
    assert_rc(dmsc_hmap_body_segment_name(&empty, 0, &seg), DMSC_EINVAL);

    /* segment Content: body; final one with trailers */
    dmsc_hmap_segment_t sg, sg2;
    memset(&sg, 0, sizeof sg);
    sg.body = dmsc_slice("0123456789", 10);
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_segment_encode(&sg, buf, sizeof buf, &out), 0);
    assert_int_equal(dmsc_hmap_content_kind(out.p, out.n), DMSC_HMAP_TT_SEGMENT);
    assert_rc(dmsc_hmap_segment_decode(out.p, out.n, &sg2), 0);
    assert_true(dmsc_slice_eq(sg.body, sg2.body));
    assert_false(sg2.has_trailers);
    sg.has_trailers = true;
    set_field(&sg.trailers[0], "grpc-status", "13");
    set_field(&sg.trailers[1], "grpc-message", "internal%20error");
    sg.ntrailers = 2;
    assert_rc(dmsc_hmap_segment_encode(&sg, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_hmap_segment_decode(out.p, out.n, &sg2), 0);
    assert_true(sg2.has_trailers);
    assert_true(fields_equal(sg.trailers, sg.ntrailers, sg2.trailers, sg2.ntrailers));
    for (size_t k = 0; k < out.n; k++)
        if (dmsc_hmap_segment_decode(out.p, k, &sg2) == 0) fail_msg("truncated at %zu", k);

    /* the final segment's Data carries FinalBlockId = its segment component */
    assert_rc(dmsc_hmap_segment_name(&iname.name, 7, &seg), 0);
    dmsc_data_t d, d2;
    dmsc_hmap_data_init(&d, &seg.name, out, 0, true);
    dmsc_slice_t wire;
    assert_rc(dmsc_data_encode(&d, dmsc_sig_digest_signer(), buf2, sizeof buf2, &wire), 0);
    assert_rc(dmsc_data_decode(&d2, wire.p, wire.n, BUFSZ), 0);
    assert_true(d2.has_final_block);
    assert_int_equal(d2.final_block.type, DMSC_TT_SEGMENT);
    uint64_t fb;
    assert_rc(dmsc_nni_decode(d2.final_block.value, d2.final_block.len, &fb), 0);
    assert_int_equal(fb, 7);
    assert_true(d2.has_freshness);
    assert_int_equal(d2.freshness, 0);
}

static void test_error(void **state)
{
    dmsc_hmap_error_t e = {DMSC_HMAP_ERR_TIMEOUT, "upstream 10.0.0.5:8080 no answer in 30 s", 40},
                      e2;
    dmsc_slice_t out;
    assert_rc(dmsc_hmap_error_encode(&e, buf, sizeof buf, &out), 0);
    assert_int_equal(dmsc_hmap_content_kind(out.p, out.n), DMSC_HMAP_TT_ERROR);
    assert_rc(dmsc_hmap_error_decode(out.p, out.n, &e2), 0);
    assert_int_equal(e2.code, DMSC_HMAP_ERR_TIMEOUT);
    assert_int_equal(e2.message_len, 40);
    assert_memory_equal(e2.message, e.message, 40);
    for (size_t k = 0; k < out.n; k++)
        if (dmsc_hmap_error_decode(out.p, k, &e2) == 0) fail_msg("truncated at %zu", k);
    e.message = NULL;
    assert_rc(dmsc_hmap_error_encode(&e, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_hmap_error_decode(out.p, out.n, &e2), 0);
    assert_null(e2.message);
    e.code = 0;
    assert_rc(dmsc_hmap_error_encode(&e, buf, sizeof buf, &out), DMSC_EINVAL);
    /* wrong kinds */
    assert_rc(dmsc_hmap_response_decode(out.p, 0, &rs2), DMSC_ETRUNC);
    e.code = 3;
    assert_rc(dmsc_hmap_error_encode(&e, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_hmap_response_decode(out.p, out.n, &rs2), DMSC_ETYPE);
    dmsc_hmap_segment_t sg;
    assert_rc(dmsc_hmap_segment_decode(out.p, out.n, &sg), DMSC_ETYPE);
    static const uint8_t other[] = {0x15, 0x00};
    assert_rc(dmsc_hmap_content_kind(other, 2), DMSC_ETYPE);
    assert_rc(dmsc_hmap_content_kind(other, 1), DMSC_ETRUNC);

    /* the table */
    static const struct {
        int code, status;
        const char *name;
    } tab[] = {
        {DMSC_HMAP_ERR_NO_ROUTE, 503, "no-route"},
        {DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE, 503, "no-healthy-instance"},
        {DMSC_HMAP_ERR_TIMEOUT, 504, "timeout"},
        {DMSC_HMAP_ERR_UPSTREAM_CONNECT, 502, "upstream-connect"},
        {DMSC_HMAP_ERR_UPSTREAM_RESET, 502, "upstream-reset"},
        {DMSC_HMAP_ERR_BODY_TOO_LARGE, 413, "body-too-large"},
        {DMSC_HMAP_ERR_MALFORMED_REQUEST, 400, "malformed-request"},
        {DMSC_HMAP_ERR_URI_TOO_LONG, 414, "uri-too-long"},
        {DMSC_HMAP_ERR_HEADERS_TOO_LARGE, 431, "headers-too-large"},
        {DMSC_HMAP_ERR_BAD_HOST, 400, "bad-host"},
        {DMSC_HMAP_ERR_CIRCUIT_OPEN, 503, "circuit-open"},
        {DMSC_HMAP_ERR_RATE_LIMITED, 429, "rate-limited"},
        {DMSC_HMAP_ERR_FORBIDDEN, 403, "forbidden"},
        {DMSC_HMAP_ERR_BAD_RESPONSE, 502, "bad-response"},
        {DMSC_HMAP_ERR_INTERNAL, 500, "internal"},
    };
    assert_int_equal(sizeof tab / sizeof tab[0], DMSC_HMAP_ERR_MAX);
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        assert_string_equal(dmsc_hmap_error_name(tab[i].code), tab[i].name);
        assert_int_equal(dmsc_hmap_error_status(tab[i].code), tab[i].status);
        assert_int_equal(dmsc_hmap_error_from_name(tab[i].name, strlen(tab[i].name)), tab[i].code);
    }
    assert_string_equal(dmsc_hmap_error_name(0), "internal");
    assert_string_equal(dmsc_hmap_error_name(99), "internal");
    assert_int_equal(dmsc_hmap_error_status(-1), 500);
    assert_int_equal(dmsc_hmap_error_from_name("nope", 4), 0);
}

/* ---- freshness ---- */

static dmsc_http_field_t rqf[8], rsf[8];
static size_t nrqf, nrsf;

static uint64_t fresh(bool stable, int status, bool *cacheable)
{
    return dmsc_hmap_freshness(stable, rqf, nrqf, status, rsf, nrsf, 0, cacheable);
}

static void resp(const char *name, const char *value)
{
    set_field(&rsf[nrsf++], name, value);
}

#define FRESH(stable, status, want_ms, want_c)                                                     \
    do {                                                                                           \
        bool c_ = !(want_c);                                                                       \
        assert_int_equal(fresh(stable, status, &c_), (want_ms));                                   \
        assert_int_equal(c_, (want_c));                                                            \
    } while (0)

static void test_freshness(void **state)
{
    nrqf = nrsf = 0;
    /* max-age */
    resp("Cache-Control", "max-age=60");
    FRESH(true, 200, 60000, true);
    FRESH(true, 404, 60000, true);
    FRESH(true, 301, 60000, true);
    FRESH(true, 206, 60000, true);
    /* unique names are never cached */
    FRESH(false, 200, 0, false);
    /* statuses not cacheable here */
    FRESH(true, 500, 0, false);
    FRESH(true, 503, 0, false);
    FRESH(true, 304, 0, false);
    FRESH(true, 201, 0, false);
    /* s-maxage wins for a shared cache, in any order */
    nrsf = 0;
    resp("cache-control", "max-age=60, s-maxage=600");
    FRESH(true, 200, 600000, true);
    nrsf = 0;
    resp("cache-control", "s-maxage=5");
    resp("cache-control", "max-age=60");
    FRESH(true, 200, 5000, true);
    /* quoted value, spaces, case */
    nrsf = 0;
    resp("Cache-Control", " Public ,MAX-AGE=\"30\" ");
    FRESH(true, 200, 30000, true);
    /* max-age=0 */
    nrsf = 0;
    resp("cache-control", "max-age=0");
    FRESH(true, 200, 0, false);
    /* invalid max-age: stale */
    nrsf = 0;
    resp("cache-control", "max-age=abc");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "max-age");
    FRESH(true, 200, 0, false);
    /* huge: capped at 2^31 s */
    nrsf = 0;
    resp("cache-control", "max-age=99999999999999999999999");
    FRESH(true, 200, 2147483648ull * 1000, true);
    /* first occurrence wins */
    nrsf = 0;
    resp("cache-control", "max-age=10, max-age=20");
    FRESH(true, 200, 10000, true);
    /* no-store, no-cache (also with an argument), private */
    nrsf = 0;
    resp("cache-control", "max-age=60, no-store");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "no-cache, max-age=60");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "no-cache=\"set-cookie, x-a\", max-age=60");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "private, max-age=60");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "private=\"x\", max-age=60");
    FRESH(true, 200, 0, false);
    /* a private directive inside another's quoted value is not a directive */
    nrsf = 0;
    resp("cache-control", "ext=\"private, no-store\", max-age=60");
    FRESH(true, 200, 60000, true);
    /* Set-Cookie */
    nrsf = 0;
    resp("cache-control", "public, max-age=60");
    resp("Set-Cookie", "sid=1");
    FRESH(true, 200, 0, false);
    /* Vary: * */
    nrsf = 0;
    resp("cache-control", "max-age=60");
    resp("vary", "accept, *");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "max-age=60");
    resp("vary", "accept-encoding");
    FRESH(true, 200, 60000, true);
    /* no explicit freshness: no heuristic */
    nrsf = 0;
    resp("content-type", "text/plain");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "public");
    FRESH(true, 200, 0, false);

    /* Authorization / Cookie in the request */
    nrqf = 0;
    set_field(&rqf[nrqf++], "authorization", "Bearer x");
    nrsf = 0;
    resp("cache-control", "max-age=60");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "max-age=60, public");
    FRESH(true, 200, 60000, true);
    nrsf = 0;
    resp("cache-control", "s-maxage=60");
    FRESH(true, 200, 60000, true);
    nrsf = 0;
    resp("cache-control", "max-age=60, must-revalidate");
    FRESH(true, 200, 60000, true);
    nrqf = 0;
    set_field(&rqf[nrqf++], "Cookie", "a=1");
    nrsf = 0;
    resp("cache-control", "max-age=60");
    FRESH(true, 200, 0, false);
    nrsf = 0;
    resp("cache-control", "max-age=60, public");
    FRESH(true, 200, 60000, true);
    nrqf = 0;

    /* Expires - Date */
    nrsf = 0;
    resp("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
    resp("Expires", "Sun, 06 Nov 1994 08:59:37 GMT");
    FRESH(true, 200, 600000, true);
    /* max-age overrides Expires */
    resp("cache-control", "max-age=5");
    FRESH(true, 200, 5000, true);
    /* invalid Expires ("0"): already expired */
    nrsf = 0;
    resp("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
    resp("Expires", "0");
    FRESH(true, 200, 0, false);
    /* Expires in the past */
    nrsf = 0;
    resp("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
    resp("Expires", "Sun, 06 Nov 1994 08:49:36 GMT");
    FRESH(true, 200, 0, false);
    /* no Date: against now, or ignored when now is unknown */
    nrsf = 0;
    resp("Expires", "Sun, 06 Nov 1994 08:50:37 GMT");
    FRESH(true, 200, 0, false);
    bool c = false;
    assert_int_equal(dmsc_hmap_freshness(true, NULL, 0, 200, rsf, nrsf, 784111777, &c), 60000);
    assert_true(c);

    /* Age is subtracted */
    nrsf = 0;
    resp("cache-control", "max-age=60");
    resp("age", "20");
    FRESH(true, 200, 40000, true);
    nrsf = 0;
    resp("cache-control", "max-age=60");
    resp("age", "61");
    FRESH(true, 200, 0, false);

    /* dates */
    int64_t t;
    assert_rc(dmsc_hmap_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t), 0);
    assert_int_equal(t, 784111777);
    assert_rc(dmsc_hmap_parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", 29, &t), 0);
    assert_int_equal(t, 0);
    assert_rc(dmsc_hmap_parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT", 29, &t), 0);
    assert_int_equal(t, 951868799);
    assert_rc(dmsc_hmap_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t), DMSC_EINVAL);
    assert_rc(dmsc_hmap_parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", 29, &t), DMSC_EINVAL);
    assert_rc(dmsc_hmap_parse_http_date("Sun, 06 Xyz 1994 08:49:37 GMT", 29, &t), DMSC_EINVAL);
    assert_rc(dmsc_hmap_parse_http_date("Sun, 06 Nov 1994 24:49:37 GMT", 29, &t), DMSC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_get_stable),
        cmocka_unit_test(test_post_unique),
        cmocka_unit_test(test_request_roundtrip),
        cmocka_unit_test(test_request_name_checks),
        cmocka_unit_test(test_params_rules),
        cmocka_unit_test(test_field_limits),
        cmocka_unit_test(test_hop_by_hop),
        cmocka_unit_test(test_forwarding_fields),
        cmocka_unit_test(test_response_inline),
        cmocka_unit_test(test_response_segmented),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_freshness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
