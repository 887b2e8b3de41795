/*
 * Service registry: config checks, LPM and host lookup, add/replace/remove,
 * health thresholds with real probes (TCP connect and HTTP GET) against
 * listeners on 127.0.0.1, passive DOWN on a refused connect, on_change
 * exactly on 0 <-> >=1 healthy transitions, least-outstanding pick, JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/err.h"
#include "gw/svc.h"

/* ------------------------------------------------------------------ */
/* a tiny HTTP server: answers every request with `status`, keep-alive   */

typedef struct hsrv hsrv_t;
typedef struct {
    hsrv_t *s;
    uv_tcp_t tcp;
    char buf[4096];
    size_t len;
} hconn_t;

struct hsrv {
    uv_loop_t *loop;
    uv_tcp_t l;
    bool listening;
    int port;
    int status;   /* answered to every request */
    int requests; /* requests answered */
};

static void on_hconn_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_hwrite(uv_write_t *w, int status)
{
    free(w);
}

static void on_halloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    hconn_t *c = h->data;
    buf->base = c->buf + c->len;
    buf->len = sizeof c->buf - c->len;
}

static void on_hread(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    hconn_t *c = st->data;
    if (n < 0 || c->len + (size_t)n >= sizeof c->buf) {
        uv_close((uv_handle_t *)&c->tcp, on_hconn_closed);
        return;
    }
    c->len += (size_t)n;
    char *end;
    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) { /* GETs only: no body */
        size_t used = (size_t)(end + 4 - c->buf);
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        c->s->requests++;
        uv_write_t *w = malloc(sizeof *w + 128);
        char *p = (char *)(w + 1);
        bool nobody = c->s->status == 204 || c->s->status == 304;
        int k = snprintf(p, 128, "HTTP/1.1 %d X\r\n%s\r\n%s", c->s->status,
                         nobody ? "" : "Content-Length: 2\r\n", nobody ? "" : "ok");
        uv_buf_t ub = uv_buf_init(p, (unsigned)k);
        uv_write(w, st, &ub, 1, on_hwrite);
    }
}

static void on_hconnection(uv_stream_t *l, int status)
{
    hsrv_t *s = l->data;
    hconn_t *c = calloc(1, sizeof *c);
    c->s = s;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    uv_accept(l, (uv_stream_t *)&c->tcp);
    uv_read_start((uv_stream_t *)&c->tcp, on_halloc, on_hread);
}

/* Listen on port (0 = ephemeral). */
static void hsrv_start(hsrv_t *s, uv_loop_t *loop, int port)
{
    s->loop = loop;
    struct sockaddr_in sa, la;
    uv_ip4_addr("127.0.0.1", port, &sa);
    uv_tcp_init(loop, &s->l);
    s->l.data = s;
    assert_int_equal(uv_tcp_bind(&s->l, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->l, 64, on_hconnection), 0);
    int len = sizeof la;
    uv_tcp_getsockname(&s->l, (struct sockaddr *)&la, &len);
    s->port = ntohs(la.sin_port);
    s->listening = true;
}

/* Stop listening and drop every connection (kill -9 of an instance). */
static void on_walk_close(uv_handle_t *h, void *arg)
{
    if (h->type == UV_TCP && ((uv_stream_t *)h)->read_cb == on_hread && !uv_is_closing(h))
        uv_close(h, on_hconn_closed);
}

static void hsrv_kill(hsrv_t *s)
{
    if (!s->listening) return;
    s->listening = false;
    uv_close((uv_handle_t *)&s->l, NULL);
    uv_walk(s->loop, on_walk_close, NULL);
}

/* ------------------------------------------------------------------ */
/* fixture                                                             */

typedef struct {
    uv_loop_t loop;
    uv_timer_t watchdog;
    bool expired;
    dmsc_svcreg_t *reg;
    int changes_true, changes_false;
    bool last_change;
    const dmsc_svc_t *last_svc;
    hsrv_t a, b;
} fx_t;

static void on_change(void *arg, const dmsc_svc_t *svc, bool has)
{
    fx_t *fx = arg;
    if (has)
        fx->changes_true++;
    else
        fx->changes_false++;
    fx->last_change = has;
    fx->last_svc = svc;
    assert_int_equal(dmsc_svc_has_healthy(svc), has);
}

static void on_watchdog(uv_timer_t *t)
{
    ((fx_t *)t->data)->expired = true;
}

static void run_until(fx_t *fx, bool (*cond)(fx_t *, void *), void *arg)
{
    fx->expired = false;
    uv_timer_start(&fx->watchdog, on_watchdog, 10000, 0);
    while (!cond(fx, arg) && !fx->expired)
        uv_run(&fx->loop, UV_RUN_ONCE);
    uv_timer_stop(&fx->watchdog);
    assert_false(fx->expired);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->watchdog);
    fx->watchdog.data = fx;
    dmsc_svcreg_opts_t o = {.loop = &fx->loop, .on_change = on_change, .arg = fx};
    assert_int_equal(dmsc_svcreg_new(&o, &fx->reg), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    dmsc_svcreg_close(fx->reg);
    hsrv_kill(&fx->a);
    hsrv_kill(&fx->b);
    uv_close((uv_handle_t *)&fx->watchdog, NULL);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
    return 0;
}

static void cfg_init(dmsc_svc_config_t *c, const char *prefix)
{
    dmsc_svc_config_default(c);
    snprintf(c->prefix, sizeof c->prefix, "%s", prefix);
}

static void cfg_inst(dmsc_svc_config_t *c, int port)
{
    snprintf(c->instances[c->n_instances++], DMSC_SVC_ADDR_MAX, "127.0.0.1:%d", port);
}

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

static bool cond_state(fx_t *fx, void *arg)
{
    dmsc_svc_inst_t **pp = arg;
    return dmsc_svc_inst_state(pp[0]) == (int)(intptr_t)pp[1];
}

static void wait_state(fx_t *fx, dmsc_svc_inst_t *in, int state)
{
    void *arg[2] = {in, (void *)(intptr_t)state};
    run_until(fx, cond_state, arg);
}

static uint64_t probes_of(dmsc_svc_inst_t *in)
{
    json_t *j = dmsc_svc_to_json(dmsc_svc_inst_svc(in));
    json_t *arr = json_object_get(j, "instances");
    uint64_t n = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        if (!strcmp(json_string_value(json_object_get(o, "addr")), dmsc_svc_inst_addr(in)))
            n = (uint64_t)json_integer_value(json_object_get(o, "probes"));
    }
    json_decref(j);
    return n;
}

/* ------------------------------------------------------------------ */
/* tests                                                               */

static void test_config(void **state)
{
    dmsc_svc_config_t c;
    char why[160];
    cfg_init(&c, "/svc/orders");
    assert_int_equal(c.health.unhealthy, 2);
    assert_int_equal(c.health.healthy, 1);
    assert_int_equal(c.max_connections, 64);
    assert_int_equal(dmsc_svc_config_check(&c, why, sizeof why), 0);
    cfg_inst(&c, 8080);
    snprintf(c.instances[c.n_instances++], DMSC_SVC_ADDR_MAX, "[::1]:9090");
    assert_int_equal(dmsc_svc_config_check(&c, why, sizeof why), 0);
    snprintf(c.instances[c.n_instances++], DMSC_SVC_ADDR_MAX, "127.0.0.1:8080");
    assert_int_equal(dmsc_svc_config_check(&c, why, sizeof why), DMSC_EINVAL);
    assert_non_null(strstr(why, "duplicate"));
    c.n_instances = 1;
    snprintf(c.instances[c.n_instances++], DMSC_SVC_ADDR_MAX, "localhost:80");
    assert_int_equal(dmsc_svc_config_check(&c, why, sizeof why), DMSC_EINVAL);
    c.n_instances = 1;
    snprintf(c.health.path, sizeof c.health.path, "health");
    assert_int_equal(dmsc_svc_config_check(&c, why, sizeof why), DMSC_EINVAL);
    c.health.path[0] = '\0';
    snprintf(c.prefix, sizeof c.prefix, "no-slash");
    assert_true(dmsc_svc_config_check(&c, why, sizeof why) < 0);
    assert_int_equal(dmsc_svc_protocol_parse("grpc"), DMSC_SVC_PROTO_GRPC);
    assert_int_equal(dmsc_svc_protocol_parse("HTTP/1.1"), DMSC_SVC_PROTO_HTTP1);
    assert_int_equal(dmsc_svc_protocol_parse("h3"), -1);
    assert_string_equal(dmsc_svc_protocol_str(DMSC_SVC_PROTO_H2C), "h2c");
    assert_int_equal(dmsc_svc_parse_addr("10.0.0.1:1", NULL), 0);
}

static void test_lpm_replace_remove(void **state)
{
    fx_t *fx = *state;
    dmsc_svc_config_t c;
    const char *pfx[] = {"/a", "/a/b", "/c"};
    for (int i = 0; i < 3; i++) {
        cfg_init(&c, pfx[i]);
        if (i == 2) snprintf(c.host, sizeof c.host, "Orders.Local");
        assert_int_equal(dmsc_svcreg_add(fx->reg, &c), 0);
    }
    assert_int_equal(dmsc_svcreg_count(fx->reg), 3);
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/a/b/c/d"), 0);
    dmsc_svc_t *s = dmsc_svcreg_find_lpm(fx->reg, &nb.name);
    assert_non_null(s);
    assert_string_equal(dmsc_svc_config(s)->prefix, "/a/b");
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/a/x"), 0);
    assert_string_equal(dmsc_svc_config(dmsc_svcreg_find_lpm(fx->reg, &nb.name))->prefix, "/a");
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/ab"), 0);
    assert_null(dmsc_svcreg_find_lpm(fx->reg, &nb.name));
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/"), 0);
    assert_null(dmsc_svcreg_find_lpm(fx->reg, &nb.name));
    assert_non_null(dmsc_svcreg_find_host(fx->reg, "orders.local", 12));
    assert_null(dmsc_svcreg_find_host(fx->reg, "orders.loca", 11));

    /* replace keeps the object, updates the config */
    dmsc_svc_t *ab = dmsc_svcreg_find(fx->reg, "/a/b");
    cfg_init(&c, "ndn:/a/b");
    snprintf(c.metadata[0].key, DMSC_SVC_META_MAX, "version");
    snprintf(c.metadata[0].value, DMSC_SVC_META_MAX, "2");
    c.n_metadata = 1;
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c), 0);
    assert_int_equal(dmsc_svcreg_count(fx->reg), 3);
    assert_ptr_equal(dmsc_svcreg_find(fx->reg, "/a/b"), ab);
    assert_int_equal(dmsc_svc_config(ab)->n_metadata, 1);

    assert_int_equal(dmsc_svcreg_remove(fx->reg, "/a/b"), 0);
    assert_int_equal(dmsc_svcreg_remove(fx->reg, "/a/b"), DMSC_EINVAL);
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/a/b/c/d"), 0);
    assert_string_equal(dmsc_svc_config(dmsc_svcreg_find_lpm(fx->reg, &nb.name))->prefix, "/a");
    assert_int_equal(dmsc_svcreg_count(fx->reg), 2);
    /* a bad config is rejected and changes nothing */
    cfg_init(&c, "/d");
    snprintf(c.instances[c.n_instances++], DMSC_SVC_ADDR_MAX, "nope");
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c), DMSC_EINVAL);
    assert_int_equal(dmsc_svcreg_count(fx->reg), 2);
    assert_int_equal(fx->changes_true + fx->changes_false, 0);
}

/* TCP connect check: unknown -> up (1 success), then down after exactly
 * `unhealthy` failed probes; on_change once each way. */
static void test_tcp_check_thresholds(void **state)
{
    fx_t *fx = *state;
    hsrv_start(&fx->a, &fx->loop, 0);
    dmsc_svc_config_t c;
    cfg_init(&c, "/svc/tcp");
    cfg_inst(&c, fx->a.port);
    c.health.interval_ms = 10;
    c.health.unhealthy = 3;
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c), 0);
    dmsc_svc_t *s = dmsc_svcreg_find(fx->reg, "/svc/tcp");
    dmsc_svc_inst_t *in = dmsc_svc_instance(s, 0);
    assert_int_equal(dmsc_svc_inst_state(in), DMSC_SVC_INST_UNKNOWN);
    assert_false(dmsc_svc_has_healthy(s));
    assert_null(dmsc_svc_pick(s)); /* unknown is not eligible */
    wait_state(fx, in, DMSC_SVC_INST_UP);
    assert_int_equal(fx->changes_true, 1);
    assert_ptr_equal(fx->last_svc, s);
    assert_ptr_equal(dmsc_svc_pick(s), in);

    hsrv_kill(&fx->a);
    uint64_t before = probes_of(in);
    wait_state(fx, in, DMSC_SVC_INST_DOWN);
    /* exactly 3 failed probes (a probe in flight at the kill may have succeeded) */
    uint64_t n = probes_of(in) - before;
    assert_true(n >= 3 && n <= 4);
    assert_int_equal(fx->changes_false, 1);
    assert_int_equal(fx->changes_true, 1);
    assert_null(dmsc_svc_pick(s));
}

/* HTTP check with healthy=2: two 2xx probes before UP; 5xx -> DOWN. */
static bool cond_requests(fx_t *fx, void *arg)
{
    return fx->a.requests >= *(int *)arg;
}

static void test_http_check(void **state)
{
    fx_t *fx = *state;
    hsrv_start(&fx->a, &fx->loop, 0);
    fx->a.status = 204;
    dmsc_svc_config_t c;
    cfg_init(&c, "/svc/http");
    cfg_inst(&c, fx->a.port);
    snprintf(c.health.path, sizeof c.health.path, "/healthz");
    c.health.interval_ms = 10;
    c.health.healthy = 2;
    c.health.unhealthy = 2;
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c), 0);
    dmsc_svc_inst_t *in = dmsc_svc_instance(dmsc_svcreg_find(fx->reg, "/svc/http"), 0);
    int one = 1;
    run_until(fx, cond_requests, &one);
    /* one successful probe is not enough */
    if (probes_of(in) < 2) assert_int_equal(dmsc_svc_inst_state(in), DMSC_SVC_INST_UNKNOWN);
    wait_state(fx, in, DMSC_SVC_INST_UP);
    assert_true(fx->a.requests >= 2);
    assert_int_equal(fx->changes_true, 1);
    fx->a.status = 503;
    wait_state(fx, in, DMSC_SVC_INST_DOWN);
    assert_int_equal(fx->changes_false, 1);
    fx->a.status = 302; /* 3xx counts as healthy */
    wait_state(fx, in, DMSC_SVC_INST_UP);
    assert_int_equal(fx->changes_true, 2);
    /* the probes reuse one keep-alive connection */
    dmsc_upstream_stats_t st;
    dmsc_upstream_pool_stats(dmsc_svc_inst_pool(in), &st);
    assert_int_equal(st.conns_opened, 1);
    json_t *j = dmsc_svcreg_to_json(fx->reg);
    json_t *o = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(o, "prefix")), "/svc/http");
    assert_true(json_is_true(json_object_get(o, "healthy")));
    json_t *i0 = json_array_get(json_object_get(o, "instances"), 0);
    assert_string_equal(json_string_value(json_object_get(i0, "state")), "up");
    assert_int_equal(json_integer_value(json_object_get(i0, "last_status")), 302);
    assert_non_null(json_object_get(json_object_get(i0, "pool"), "errors"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "health"), "path")),
                        "/healthz");
    json_decref(j);
}

/* kill -9 of an instance: the first refused request marks it down at once,
 * long before the next probe; on_change fires only when the last healthy
 * instance goes. */
typedef struct {
    bool done;
    int err;
} preq_t;

static void p_end(void *arg, dmsc_upstream_req_t *r, const dmsc_http_field_t *t, size_t n)
{
    ((preq_t *)arg)->done = true;
}
static void p_err(void *arg, dmsc_upstream_req_t *r, int err)
{
    ((preq_t *)arg)->done = true;
    ((preq_t *)arg)->err = err;
}
static bool cond_preq(fx_t *fx, void *arg)
{
    return ((preq_t *)arg)->done;
}

static int request_via(fx_t *fx, dmsc_svc_inst_t *in)
{
    static const dmsc_upstream_cb_t cb = {.on_end = p_end, .on_error = p_err};
    dmsc_http_field_t host = {"Host", 4, "x", 1};
    dmsc_upstream_reqspec_t spec = {.method = "GET",
                                    .method_len = 3,
                                    .target = "/",
                                    .target_len = 1,
                                    .fields = &host,
                                    .nfields = 1};
    preq_t p = {0};
    dmsc_upstream_req_t *r;
    dmsc_svc_inst_begin(in);
    assert_int_equal(dmsc_upstream_request(dmsc_svc_inst_pool(in), &spec, &cb, &p, &r), 0);
    run_until(fx, cond_preq, &p);
    dmsc_svc_report(in, p.err);
    return p.err;
}

static void test_passive_down_and_transitions(void **state)
{
    fx_t *fx = *state;
    hsrv_start(&fx->a, &fx->loop, 0);
    hsrv_start(&fx->b, &fx->loop, 0);
    fx->a.status = fx->b.status = 200;
    dmsc_svc_config_t c;
    cfg_init(&c, "/svc/two");
    cfg_inst(&c, fx->a.port);
    cfg_inst(&c, fx->b.port);
    c.health.interval_ms = 3600000; /* only the first probe */
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c), 0);
    dmsc_svc_t *s = dmsc_svcreg_find(fx->reg, "/svc/two");
    dmsc_svc_inst_t *ia = dmsc_svc_instance(s, 0), *ib = dmsc_svc_instance(s, 1);
    wait_state(fx, ia, DMSC_SVC_INST_UP);
    wait_state(fx, ib, DMSC_SVC_INST_UP);
    assert_int_equal(fx->changes_true, 1); /* 0 -> 1, not 1 -> 2 */

    /* least outstanding, ties round-robin */
    dmsc_svc_inst_t *p1 = dmsc_svc_pick(s), *p2 = dmsc_svc_pick(s);
    assert_ptr_not_equal(p1, p2);
    dmsc_svc_inst_begin(ia);
    assert_ptr_equal(dmsc_svc_pick(s), ib);
    assert_ptr_equal(dmsc_svc_pick(s), ib);
    dmsc_svc_report(ia, 0);
    assert_int_equal(dmsc_svc_inst_outstanding(ia), 0);

    assert_int_equal(request_via(fx, ia), 0);
    hsrv_kill(&fx->a);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    /* first failed request: DOWN at once; the other keeps the service up */
    int err = request_via(fx, ia);
    assert_true(err == DMSC_UPSTREAM_ECONNREFUSED || err == DMSC_UPSTREAM_ECONNRESET);
    if (err == DMSC_UPSTREAM_ECONNRESET) /* the idle connection was still open: next one */
        assert_int_equal(request_via(fx, ia), DMSC_UPSTREAM_ECONNREFUSED);
    assert_int_equal(dmsc_svc_inst_state(ia), DMSC_SVC_INST_DOWN);
    assert_int_equal(fx->changes_false, 0);
    assert_ptr_equal(dmsc_svc_pick(s), ib);
    /* a refusal alone on the last one: the service goes unhealthy */
    dmsc_svc_inst_begin(ib);
    dmsc_svc_report(ib, DMSC_UPSTREAM_ECONNREFUSED);
    assert_int_equal(fx->changes_false, 1);
    assert_false(fx->last_change);
    assert_null(dmsc_svc_pick(s));
    /* not the instance's fault: ignored */
    dmsc_svc_report(ib, DMSC_UPSTREAM_ECANCELED);
    assert_int_equal(dmsc_svc_inst_state(ib), DMSC_SVC_INST_DOWN);

    /* replace: b kept (same address) with its state, a dropped, c new */
    hsrv_start(&fx->a, &fx->loop, 0);
    dmsc_svc_config_t c2;
    cfg_init(&c2, "/svc/two");
    cfg_inst(&c2, fx->b.port);
    cfg_inst(&c2, fx->a.port);
    c2.health.interval_ms = 3600000;
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c2), 0);
    assert_ptr_equal(dmsc_svcreg_find(fx->reg, "/svc/two"), s);
    assert_ptr_equal(dmsc_svc_instance(s, 0), ib);
    assert_int_equal(dmsc_svc_inst_state(ib), DMSC_SVC_INST_DOWN);
    dmsc_svc_inst_t *ic = dmsc_svc_instance(s, 1);
    assert_int_equal(dmsc_svc_inst_state(ic), DMSC_SVC_INST_UNKNOWN);
    wait_state(fx, ic, DMSC_SVC_INST_UP);
    assert_int_equal(fx->changes_true, 2);
    /* removal of a healthy service withdraws it */
    assert_int_equal(dmsc_svcreg_remove(fx->reg, "/svc/two"), 0);
    assert_int_equal(fx->changes_false, 2);
}

/* Passive failures other than refusal count toward the threshold. */
static void test_passive_threshold(void **state)
{
    fx_t *fx = *state;
    hsrv_start(&fx->a, &fx->loop, 0);
    dmsc_svc_config_t c;
    cfg_init(&c, "/svc/p");
    cfg_inst(&c, fx->a.port);
    c.health.interval_ms = 3600000;
    c.health.unhealthy = 3;
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c), 0);
    dmsc_svc_inst_t *in = dmsc_svc_instance(dmsc_svcreg_find(fx->reg, "/svc/p"), 0);
    wait_state(fx, in, DMSC_SVC_INST_UP);
    dmsc_svc_report(in, DMSC_UPSTREAM_ETIMEDOUT);
    dmsc_svc_report(in, DMSC_UPSTREAM_ECONNRESET);
    dmsc_svc_report(in, 0); /* a success resets the count */
    dmsc_svc_report(in, DMSC_UPSTREAM_EPROTO);
    dmsc_svc_report(in, DMSC_UPSTREAM_ETIMEDOUT);
    assert_int_equal(dmsc_svc_inst_state(in), DMSC_SVC_INST_UP);
    dmsc_svc_report(in, DMSC_UPSTREAM_ETIMEDOUT);
    assert_int_equal(dmsc_svc_inst_state(in), DMSC_SVC_INST_DOWN);
    assert_int_equal(fx->changes_false, 1);
}

/* A refused instance never becomes healthy; nothing is announced. */
static void test_dead_instance_never_announced(void **state)
{
    fx_t *fx = *state;
    dmsc_svc_config_t c;
    cfg_init(&c, "/svc/dead");
    cfg_inst(&c, free_port(&fx->loop));
    c.health.interval_ms = 10;
    assert_int_equal(dmsc_svcreg_add(fx->reg, &c), 0);
    dmsc_svc_inst_t *in = dmsc_svc_instance(dmsc_svcreg_find(fx->reg, "/svc/dead"), 0);
    wait_state(fx, in, DMSC_SVC_INST_DOWN);
    assert_int_equal(fx->changes_true + fx->changes_false, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test_setup_teardown(test_lpm_replace_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_check_thresholds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passive_down_and_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passive_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_instance_never_announced, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
