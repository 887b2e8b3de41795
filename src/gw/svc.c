/*
 * Service registry with active health checks and passive failure
 * detection (see svc.h).
 *
 * Every instance has a probe timer. A probe is a GET of the health path
 * through the instance's own upstream pool (so it exercises the path real
 * requests take, keep-alive included), or a bare TCP connect when the path
 * is empty. The next probe is scheduled `interval` after a probe ends.
 *
 * Lifetimes: a removed instance is marked, its pool closed and its handles
 * closed; the memory goes when the last handle is closed. A service goes
 * with its last instance (or at once if it has none). Reports on a
 * removed instance are ignored.
 */
#include "gw/svc.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "base/err.h"
#include "base/log.h"

struct dmsc_svc_inst {
    dmsc_svc_t *svc;
    char addr[DMSC_SVC_ADDR_MAX];
    struct sockaddr_storage sa;
    dmsc_upstream_pool_t *pool;
    uint32_t max_connections; /* the pool's */
    int state;
    uint32_t fails, succs; /* consecutive */
    uint64_t last_check_ms;
    int last_error;  /* of the last failed probe or report; 0 = none */
    int last_status; /* HTTP status of the last HTTP probe */
    uint32_t outstanding;
    uint64_t requests, failures, probes;
    bool removed;
    uv_timer_t timer; /* next probe */
    struct tcp_probe *tprobe;
    dmsc_upstream_req_t *hprobe;
    int hprobe_status;
};

struct dmsc_svc {
    dmsc_svcreg_t *reg; /* NULL once removed */
    dmsc_svc_t *prev, *next;
    dmsc_svc_config_t cfg;
    dmsc_namebuf_t name;
    dmsc_svc_inst_t *inst[DMSC_SVC_MAX_INSTANCES];
    size_t n_inst;
    size_t live; /* instances not freed yet (removed ones included) */
    bool healthy;
    uint32_t rr;
};

struct dmsc_svcreg {
    uv_loop_t *loop;
    dmsc_svc_change_cb on_change;
    void *arg;
    dmsc_upstream_limits_t lim;
    dmsc_svc_t *head, *tail;
    size_t n;
};

typedef struct tcp_probe {
    uv_tcp_t tcp;
    uv_connect_t cr;
    uv_timer_t timer;
    dmsc_svc_inst_t *inst; /* NULL once the result is in */
    int handles;
} tcp_probe_t;

/* ------------------------------------------------------------------ */
/* config                                                              */

void dmsc_svc_config_default(dmsc_svc_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->protocol = DMSC_SVC_PROTO_HTTP1;
    c->health.interval_ms = DMSC_SVC_HC_INTERVAL_DEFAULT;
    c->health.timeout_ms = DMSC_SVC_HC_TIMEOUT_DEFAULT;
    c->health.unhealthy = DMSC_SVC_HC_UNHEALTHY_DEFAULT;
    c->health.healthy = DMSC_SVC_HC_HEALTHY_DEFAULT;
    c->max_connections = DMSC_SVC_MAX_CONNS_DEFAULT;
}

const char *dmsc_svc_protocol_str(int proto)
{
    switch (proto) {
    case DMSC_SVC_PROTO_HTTP1:
        return "http1";
    case DMSC_SVC_PROTO_H2C:
        return "h2c";
    case DMSC_SVC_PROTO_GRPC:
        return "grpc";
    }
    return "?";
}

int dmsc_svc_protocol_parse(const char *s)
{
    if (!s) return -1;
    if (!strcasecmp(s, "http") || !strcasecmp(s, "http1") || !strcasecmp(s, "http/1.1"))
        return DMSC_SVC_PROTO_HTTP1;
    if (!strcasecmp(s, "h2c")) return DMSC_SVC_PROTO_H2C;
    if (!strcasecmp(s, "grpc")) return DMSC_SVC_PROTO_GRPC;
    return -1;
}

int dmsc_svc_parse_addr(const char *addr, void *ss)
{
    return dmsc_upstream_addr_parse(addr, ss);
}

static int why_set(char *why, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int why_set(char *why, size_t len, int rc, const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int dmsc_svc_config_check(const dmsc_svc_config_t *c, char *why, size_t whylen)
{
    if (why && whylen) why[0] = '\0';
    if (!memchr(c->prefix, '\0', sizeof c->prefix) || !c->prefix[0])
        return why_set(why, whylen, DMSC_EINVAL, "prefix is required");
    if (c->prefix[0] != '/' && strncmp(c->prefix, "ndn:/", 5) != 0)
        return why_set(why, whylen, DMSC_EURI, "prefix must be an absolute NDN name");
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    if (!nb) return DMSC_ENOMEM;
    int rc = dmsc_namebuf_from_uri(nb, c->prefix);
    free(nb);
    if (rc)
        return why_set(why, whylen, rc, "prefix is not a valid NDN name: %s", dmsc_strerror(rc));
    if (!memchr(c->host, '\0', sizeof c->host))
        return why_set(why, whylen, DMSC_EINVAL, "host too long");
    if (c->protocol < DMSC_SVC_PROTO_HTTP1 || c->protocol > DMSC_SVC_PROTO_GRPC)
        return why_set(why, whylen, DMSC_EINVAL, "unknown protocol");
    if (c->n_instances > DMSC_SVC_MAX_INSTANCES)
        return why_set(why, whylen, DMSC_EINVAL, "too many instances");
    for (size_t i = 0; i < c->n_instances; i++) {
        const char *a = c->instances[i];
        if (!memchr(a, '\0', DMSC_SVC_ADDR_MAX) || dmsc_upstream_addr_parse(a, NULL))
            return why_set(why, whylen, DMSC_EINVAL, "bad instance address %.64s", a);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(a, c->instances[j]))
                return why_set(why, whylen, DMSC_EINVAL, "duplicate instance %.64s", a);
    }
    if (c->n_metadata > DMSC_SVC_MAX_METADATA)
        return why_set(why, whylen, DMSC_EINVAL, "too many metadata entries");
    for (size_t i = 0; i < c->n_metadata; i++)
        if (!memchr(c->metadata[i].key, '\0', DMSC_SVC_META_MAX) ||
            !memchr(c->metadata[i].value, '\0', DMSC_SVC_META_MAX) || !c->metadata[i].key[0])
            return why_set(why, whylen, DMSC_EINVAL, "bad metadata entry");
    const char *p = c->health.path;
    if (!memchr(p, '\0', sizeof c->health.path) || (p[0] && p[0] != '/'))
        return why_set(why, whylen, DMSC_EINVAL, "health path must start with /");
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return why_set(why, whylen, DMSC_EINVAL, "health path has a space or control");
    return 0;
}

/* ------------------------------------------------------------------ */
/* health state                                                        */

static uint32_t hc_unhealthy(const dmsc_svc_t *s)
{
    return s->cfg.health.unhealthy ? s->cfg.health.unhealthy : DMSC_SVC_HC_UNHEALTHY_DEFAULT;
}
static uint32_t hc_healthy(const dmsc_svc_t *s)
{
    return s->cfg.health.healthy ? s->cfg.health.healthy : DMSC_SVC_HC_HEALTHY_DEFAULT;
}
static uint64_t hc_interval(const dmsc_svc_t *s)
{
    return s->cfg.health.interval_ms ? s->cfg.health.interval_ms : DMSC_SVC_HC_INTERVAL_DEFAULT;
}
static uint64_t hc_timeout(const dmsc_svc_t *s)
{
    return s->cfg.health.timeout_ms ? s->cfg.health.timeout_ms : DMSC_SVC_HC_TIMEOUT_DEFAULT;
}

const char *dmsc_svc_inst_state_str(int state)
{
    switch (state) {
    case DMSC_SVC_INST_UP:
        return "up";
    case DMSC_SVC_INST_DOWN:
        return "down";
    default:
        return "unknown";
    }
}

/* Recompute the service's healthy flag; tell the owner when it flips. */
static void svc_update(dmsc_svc_t *s)
{
    bool h = false;
    for (size_t i = 0; i < s->n_inst; i++)
        if (s->inst[i]->state == DMSC_SVC_INST_UP) h = true;
    if (h == s->healthy) return;
    s->healthy = h;
    DMSC_LOGI("gw", "svc=%s event=%s", s->cfg.prefix, h ? "healthy" : "no-healthy-instance");
    dmsc_svcreg_t *reg = s->reg;
    if (reg && reg->on_change) reg->on_change(reg->arg, s, h);
}

static void inst_set_state(dmsc_svc_inst_t *in, int state, const char *why)
{
    if (in->state == state) return;
    DMSC_LOGI("gw", "svc=%s instance=%s state=%s was=%s reason=%s", in->svc->cfg.prefix, in->addr,
              dmsc_svc_inst_state_str(state), dmsc_svc_inst_state_str(in->state), why);
    in->state = state;
    svc_update(in->svc);
}

static void inst_failure(dmsc_svc_inst_t *in, int err, const char *why)
{
    in->failures++;
    in->last_error = err;
    in->succs = 0;
    in->fails++;
    if (in->state != DMSC_SVC_INST_DOWN && in->fails >= hc_unhealthy(in->svc))
        inst_set_state(in, DMSC_SVC_INST_DOWN, why);
}

static void inst_success(dmsc_svc_inst_t *in)
{
    in->fails = 0;
    in->succs++;
    if (in->state != DMSC_SVC_INST_UP && in->succs >= hc_healthy(in->svc))
        inst_set_state(in, DMSC_SVC_INST_UP, "probe");
}

/* ------------------------------------------------------------------ */
/* probes                                                              */

static void on_probe_timer(uv_timer_t *t);

static void probe_schedule(dmsc_svc_inst_t *in, uint64_t ms)
{
    if (in->removed) return;
    uv_timer_start(&in->timer, on_probe_timer, ms, 0);
}

/* A probe ended: ok, or failed with err; inconclusive (pool busy) counts
 * for nothing. */
static void probe_done(dmsc_svc_inst_t *in, int err, bool inconclusive)
{
    if (in->removed) return;
    in->last_check_ms = uv_now(in->timer.loop);
    if (!inconclusive) {
        if (err == 0)
            inst_success(in);
        else
            inst_failure(in, err, "probe");
    }
    if (in->removed) return; /* on_change removed it */
    probe_schedule(in, hc_interval(in->svc));
}

static void on_tprobe_closed(uv_handle_t *h)
{
    tcp_probe_t *p = h->data;
    if (--p->handles == 0) free(p);
}

static void tprobe_close(tcp_probe_t *p)
{
    if (p->inst) p->inst->tprobe = NULL;
    p->inst = NULL;
    uv_close((uv_handle_t *)&p->tcp, on_tprobe_closed);
    uv_close((uv_handle_t *)&p->timer, on_tprobe_closed);
}

static void on_tprobe_connect(uv_connect_t *cr, int status)
{
    tcp_probe_t *p = cr->data;
    dmsc_svc_inst_t *in = p->inst;
    if (!in) return; /* timed out or aborted: already closing */
    tprobe_close(p);
    probe_done(in, status == 0 ? 0 : DMSC_UPSTREAM_ECONNREFUSED, false);
}

static void on_tprobe_timer(uv_timer_t *t)
{
    tcp_probe_t *p = t->data;
    dmsc_svc_inst_t *in = p->inst;
    if (!in) return;
    tprobe_close(p);
    probe_done(in, DMSC_UPSTREAM_ETIMEDOUT, false);
}

static void tprobe_start(dmsc_svc_inst_t *in)
{
    uv_loop_t *loop = in->timer.loop;
    tcp_probe_t *p = calloc(1, sizeof *p);
    if (!p) {
        probe_done(in, DMSC_ENOMEM, true);
        return;
    }
    uv_tcp_init(loop, &p->tcp);
    uv_timer_init(loop, &p->timer);
    p->tcp.data = p->timer.data = p->cr.data = p;
    p->handles = 2;
    p->inst = in;
    in->tprobe = p;
    int rc = uv_tcp_connect(&p->cr, &p->tcp, (const struct sockaddr *)&in->sa, on_tprobe_connect);
    if (rc < 0) {
        tprobe_close(p);
        probe_done(in, DMSC_UPSTREAM_ECONNREFUSED, false);
        return;
    }
    uv_timer_start(&p->timer, on_tprobe_timer, hc_timeout(in->svc), 0);
}

static void on_hprobe_head(void *arg, dmsc_upstream_req_t *req, const dmsc_http_head_t *h)
{
    dmsc_svc_inst_t *in = arg;
    in->hprobe_status = h->status;
}

static void on_hprobe_end(void *arg, dmsc_upstream_req_t *req, const dmsc_http_field_t *t,
                          size_t nt)
{
    dmsc_svc_inst_t *in = arg;
    in->hprobe = NULL;
    in->last_status = in->hprobe_status;
    bool ok = in->hprobe_status >= 200 && in->hprobe_status < 400;
    probe_done(in, ok ? 0 : DMSC_EVALUE, false);
}

static void on_hprobe_error(void *arg, dmsc_upstream_req_t *req, int err)
{
    dmsc_svc_inst_t *in = arg;
    in->hprobe = NULL;
    in->last_status = 0;
    probe_done(in, err, err == DMSC_UPSTREAM_ECANCELED);
}

static void hprobe_start(dmsc_svc_inst_t *in)
{
    static const dmsc_upstream_cb_t cb = {
        .on_head = on_hprobe_head,
        .on_end = on_hprobe_end,
        .on_error = on_hprobe_error,
    };
    const char *path = in->svc->cfg.health.path;
    dmsc_http_field_t f[2] = {
        {"Host", 4, in->addr, strlen(in->addr)},
        {"User-Agent", 10, "dmsc-health", 11},
    };
    dmsc_upstream_reqspec_t spec = {
        .method = "GET",
        .method_len = 3,
        .target = path,
        .target_len = strlen(path),
        .fields = f,
        .nfields = 2,
        .body = DMSC_HTTP_BODY_NONE,
        .response_timeout_ms = hc_timeout(in->svc),
    };
    in->hprobe_status = 0;
    int rc = dmsc_upstream_request(in->pool, &spec, &cb, in, &in->hprobe);
    if (rc < 0) {
        in->hprobe = NULL;
        /* no capacity: the instance is busy serving, not known to be broken */
        probe_done(in, rc, rc == DMSC_UPSTREAM_ENOCAPACITY);
    }
}

static void on_probe_timer(uv_timer_t *t)
{
    dmsc_svc_inst_t *in = t->data;
    if (in->removed || in->tprobe || in->hprobe) return;
    in->probes++;
    if (in->svc->cfg.health.path[0])
        hprobe_start(in);
    else
        tprobe_start(in);
}

/* ------------------------------------------------------------------ */
/* instances                                                           */

static void svc_free(dmsc_svc_t *s)
{
    free(s);
}

static void on_inst_timer_closed(uv_handle_t *h)
{
    dmsc_svc_inst_t *in = h->data;
    dmsc_svc_t *s = in->svc;
    free(in);
    if (--s->live == 0 && !s->reg) svc_free(s);
}

static dmsc_svc_inst_t *inst_new(dmsc_svcreg_t *reg, dmsc_svc_t *s, const char *addr)
{
    dmsc_svc_inst_t *in = calloc(1, sizeof *in);
    if (!in) return NULL;
    snprintf(in->addr, sizeof in->addr, "%s", addr);
    if (dmsc_upstream_addr_parse(addr, &in->sa)) {
        free(in);
        return NULL;
    }
    dmsc_upstream_limits_t lim = reg->lim;
    lim.max_connections =
        s->cfg.max_connections ? s->cfg.max_connections : DMSC_SVC_MAX_CONNS_DEFAULT;
    /* keep every connection warm: an idle list smaller than the concurrency
     * made the pool reconnect for a quarter of the requests under load */
    if (lim.max_idle < lim.max_connections) lim.max_idle = lim.max_connections;
    if (dmsc_upstream_pool_new(reg->loop, addr, &lim, &in->pool)) {
        free(in);
        return NULL;
    }
    in->max_connections = lim.max_connections;
    in->svc = s;
    in->state = DMSC_SVC_INST_UNKNOWN;
    uv_timer_init(reg->loop, &in->timer);
    in->timer.data = in;
    s->live++;
    return in;
}

/* Take the instance out of service (no on_change here: the caller
 * recomputes). Requests in flight fail with ECANCELED now. */
static void inst_close(dmsc_svc_inst_t *in)
{
    in->removed = true;
    if (in->tprobe) tprobe_close(in->tprobe);
    in->hprobe = NULL; /* its error callback (ECANCELED) is ignored */
    dmsc_upstream_pool_close(in->pool);
    in->pool = NULL;
    uv_close((uv_handle_t *)&in->timer, on_inst_timer_closed);
}

const char *dmsc_svc_inst_addr(const dmsc_svc_inst_t *in)
{
    return in->addr;
}
int dmsc_svc_inst_state(const dmsc_svc_inst_t *in)
{
    return in->state;
}
dmsc_upstream_pool_t *dmsc_svc_inst_pool(dmsc_svc_inst_t *in)
{
    return in->pool;
}
dmsc_svc_t *dmsc_svc_inst_svc(dmsc_svc_inst_t *in)
{
    return in->svc;
}
uint32_t dmsc_svc_inst_outstanding(const dmsc_svc_inst_t *in)
{
    return in->outstanding;
}

void dmsc_svc_inst_begin(dmsc_svc_inst_t *in)
{
    in->outstanding++;
    in->requests++;
}

void dmsc_svc_report(dmsc_svc_inst_t *in, int err)
{
    if (in->outstanding) in->outstanding--;
    if (in->removed) return;
    if (err == 0) {
        if (in->state == DMSC_SVC_INST_UP) in->fails = 0;
        return;
    }
    if (err == DMSC_UPSTREAM_ECANCELED || err == DMSC_UPSTREAM_ENOCAPACITY) return;
    if (err == DMSC_UPSTREAM_ECONNREFUSED) {
        in->failures++;
        in->last_error = err;
        in->succs = 0;
        if (in->fails < hc_unhealthy(in->svc)) in->fails = hc_unhealthy(in->svc);
        inst_set_state(in, DMSC_SVC_INST_DOWN, "connect-refused");
        return;
    }
    inst_failure(in, err, "request-failures");
}

/* ------------------------------------------------------------------ */
/* services                                                            */

const dmsc_svc_config_t *dmsc_svc_config(const dmsc_svc_t *s)
{
    return &s->cfg;
}
const dmsc_name_t *dmsc_svc_name(const dmsc_svc_t *s)
{
    return &s->name.name;
}
bool dmsc_svc_has_healthy(const dmsc_svc_t *s)
{
    return s->healthy;
}
size_t dmsc_svc_instance_count(const dmsc_svc_t *s)
{
    return s->n_inst;
}
dmsc_svc_inst_t *dmsc_svc_instance(dmsc_svc_t *s, size_t i)
{
    return i < s->n_inst ? s->inst[i] : NULL;
}

dmsc_svc_inst_t *dmsc_svc_pick(dmsc_svc_t *s)
{
    dmsc_svc_inst_t *best = NULL;
    size_t best_i = 0;
    for (size_t k = 0; k < s->n_inst; k++) {
        size_t i = (s->rr + k) % s->n_inst;
        dmsc_svc_inst_t *in = s->inst[i];
        if (in->state != DMSC_SVC_INST_UP) continue;
        if (!best || in->outstanding < best->outstanding) {
            best = in;
            best_i = i;
        }
    }
    if (best) s->rr = (uint32_t)((best_i + 1) % s->n_inst);
    return best;
}

/* ------------------------------------------------------------------ */
/* registry                                                            */

int dmsc_svcreg_new(const dmsc_svcreg_opts_t *opts, dmsc_svcreg_t **out)
{
    if (!opts || !opts->loop || !out) return DMSC_EINVAL;
    dmsc_svcreg_t *reg = calloc(1, sizeof *reg);
    if (!reg) return DMSC_ENOMEM;
    reg->loop = opts->loop;
    reg->on_change = opts->on_change;
    reg->arg = opts->arg;
    if (opts->pool_limits)
        reg->lim = *opts->pool_limits;
    else
        dmsc_upstream_limits_default(&reg->lim);
    *out = reg;
    return 0;
}

static void svc_unlink(dmsc_svcreg_t *reg, dmsc_svc_t *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        reg->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        reg->tail = s->prev;
    s->prev = s->next = NULL;
    reg->n--;
}

/* Unlink and close every instance; frees s when it has none left open. */
static void svc_destroy(dmsc_svcreg_t *reg, dmsc_svc_t *s, bool notify)
{
    svc_unlink(reg, s);
    bool was = s->healthy;
    s->healthy = false;
    size_t n = s->n_inst;
    s->n_inst = 0;
    for (size_t i = 0; i < n; i++)
        inst_close(s->inst[i]);
    if (notify && was && reg->on_change) reg->on_change(reg->arg, s, false);
    s->reg = NULL;
    if (s->live == 0) svc_free(s);
}

void dmsc_svcreg_close(dmsc_svcreg_t *reg)
{
    if (!reg) return;
    while (reg->head)
        svc_destroy(reg, reg->head, false);
    free(reg);
}

dmsc_svc_t *dmsc_svcreg_find(dmsc_svcreg_t *reg, const char *prefix)
{
    dmsc_namebuf_t nb;
    if (dmsc_namebuf_from_uri(&nb, prefix)) return NULL;
    for (dmsc_svc_t *s = reg->head; s; s = s->next)
        if (dmsc_name_equal(&s->name.name, &nb.name)) return s;
    return NULL;
}

int dmsc_svcreg_add(dmsc_svcreg_t *reg, const dmsc_svc_config_t *cfg)
{
    char why[160];
    int rc = dmsc_svc_config_check(cfg, why, sizeof why);
    if (rc) {
        DMSC_LOGW("gw", "event=svc-add-rejected prefix=\"%.200s\" reason=\"%s\"", cfg->prefix, why);
        return rc;
    }
    dmsc_svc_t *s = dmsc_svcreg_find(reg, cfg->prefix);
    bool is_new = !s;
    if (is_new) {
        s = calloc(1, sizeof *s);
        if (!s) return DMSC_ENOMEM;
        s->reg = reg;
        dmsc_namebuf_from_uri(&s->name, cfg->prefix);
    }
    uint32_t maxc = cfg->max_connections ? cfg->max_connections : DMSC_SVC_MAX_CONNS_DEFAULT;
    /* instances of the new config: kept ones, then new ones */
    dmsc_svc_inst_t *next[DMSC_SVC_MAX_INSTANCES] = {0};
    bool kept[DMSC_SVC_MAX_INSTANCES] = {0};
    dmsc_svc_config_t old = s->cfg;
    s->cfg = *cfg; /* inst_new reads max_connections from it */
    for (size_t i = 0; i < cfg->n_instances; i++) {
        for (size_t j = 0; j < s->n_inst; j++)
            if (!kept[j] && !strcmp(s->inst[j]->addr, cfg->instances[i]) &&
                s->inst[j]->max_connections == maxc) {
                next[i] = s->inst[j];
                kept[j] = true;
                break;
            }
        if (next[i]) continue;
        next[i] = inst_new(reg, s, cfg->instances[i]);
        if (!next[i]) {
            for (size_t k = 0; k < i; k++) {
                bool was_kept = false;
                for (size_t j = 0; j < s->n_inst; j++)
                    if (s->inst[j] == next[k]) was_kept = true;
                if (!was_kept) inst_close(next[k]);
            }
            s->cfg = old;
            if (is_new && s->live == 0)
                free(s);
            else if (is_new)
                s->reg = NULL; /* freed with its last instance */
            return DMSC_ENOMEM;
        }
    }
    for (size_t j = 0; j < s->n_inst; j++)
        if (!kept[j]) inst_close(s->inst[j]);
    s->n_inst = cfg->n_instances;
    for (size_t i = 0; i < s->n_inst; i++) {
        s->inst[i] = next[i];
        if (next[i]->state == DMSC_SVC_INST_UNKNOWN && !next[i]->probes) probe_schedule(next[i], 0);
    }
    s->rr = 0;
    if (is_new) {
        s->prev = reg->tail;
        if (reg->tail)
            reg->tail->next = s;
        else
            reg->head = s;
        reg->tail = s;
        reg->n++;
    }
    DMSC_LOGI("gw", "event=svc-%s prefix=%s instances=%zu protocol=%s", is_new ? "add" : "update",
              s->cfg.prefix, s->n_inst, dmsc_svc_protocol_str(s->cfg.protocol));
    svc_update(s);
    return 0;
}

int dmsc_svcreg_remove(dmsc_svcreg_t *reg, const char *prefix)
{
    dmsc_namebuf_t nb;
    int rc = dmsc_namebuf_from_uri(&nb, prefix);
    if (rc) return rc;
    dmsc_svc_t *s = dmsc_svcreg_find(reg, prefix);
    if (!s) return DMSC_EINVAL;
    DMSC_LOGI("gw", "event=svc-remove prefix=%s", s->cfg.prefix);
    svc_destroy(reg, s, true);
    return 0;
}

dmsc_svc_t *dmsc_svcreg_find_lpm(dmsc_svcreg_t *reg, const dmsc_name_t *name)
{
    dmsc_svc_t *best = NULL;
    for (dmsc_svc_t *s = reg->head; s; s = s->next)
        if (dmsc_name_is_prefix(&s->name.name, name) &&
            (!best || s->name.name.ncomps > best->name.name.ncomps))
            best = s;
    return best;
}

dmsc_svc_t *dmsc_svcreg_find_host(dmsc_svcreg_t *reg, const char *host, size_t host_len)
{
    for (dmsc_svc_t *s = reg->head; s; s = s->next)
        if (s->cfg.host[0] && strlen(s->cfg.host) == host_len &&
            !strncasecmp(s->cfg.host, host, host_len))
            return s;
    return NULL;
}

size_t dmsc_svcreg_count(const dmsc_svcreg_t *reg)
{
    return reg->n;
}

void dmsc_svcreg_foreach(dmsc_svcreg_t *reg, dmsc_svc_visit_cb cb, void *arg)
{
    for (dmsc_svc_t *s = reg->head, *n; s; s = n) {
        n = s->next;
        if (cb(arg, s)) return;
    }
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

static json_t *pool_json(dmsc_upstream_pool_t *pool)
{
    dmsc_upstream_stats_t st;
    dmsc_upstream_pool_stats(pool, &st);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I}}",
                     "conns_open", (json_int_t)st.conns_open, "conns_idle",
                     (json_int_t)st.conns_idle, "conns_connecting", (json_int_t)st.conns_connecting,
                     "queue", (json_int_t)st.queue_len, "active", (json_int_t)st.active,
                     "conns_opened", (json_int_t)st.conns_opened, "requests",
                     (json_int_t)st.requests, "responses", (json_int_t)st.responses, "reused",
                     (json_int_t)st.reused, "retries", (json_int_t)st.retries, "canceled",
                     (json_int_t)st.canceled, "errors", "connect", (json_int_t)st.err_connect,
                     "reset", (json_int_t)st.err_reset, "timeout", (json_int_t)st.err_timeout,
                     "malformed", (json_int_t)st.err_proto, "capacity", (json_int_t)st.err_capacity,
                     "other", (json_int_t)st.err_other);
}

static json_t *inst_json(dmsc_svc_inst_t *in)
{
    json_t *o = json_pack(
        "{s:s,s:s,s:I,s:s?,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "addr", in->addr, "state",
        dmsc_svc_inst_state_str(in->state), "last_check_ms", (json_int_t)in->last_check_ms,
        "last_error", in->last_error ? dmsc_upstream_errname(in->last_error) : NULL, "last_status",
        (json_int_t)in->last_status, "consecutive_failures", (json_int_t)in->fails,
        "consecutive_successes", (json_int_t)in->succs, "outstanding", (json_int_t)in->outstanding,
        "requests", (json_int_t)in->requests, "failures", (json_int_t)in->failures, "probes",
        (json_int_t)in->probes);
    if (o && in->pool) json_object_set_new(o, "pool", pool_json(in->pool));
    return o;
}

json_t *dmsc_svc_to_json(const dmsc_svc_t *cs)
{
    dmsc_svc_t *s = (dmsc_svc_t *)cs;
    const dmsc_svc_health_config_t *h = &s->cfg.health;
    json_t *meta = json_object();
    json_t *insts = json_array();
    for (size_t i = 0; meta && i < s->cfg.n_metadata; i++)
        json_object_set_new(meta, s->cfg.metadata[i].key, json_string(s->cfg.metadata[i].value));
    for (size_t i = 0; insts && i < s->n_inst; i++)
        json_array_append_new(insts, inst_json(s->inst[i]));
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:b,s:I,s:{s:s,s:I,s:I,s:I,s:I},s:o,s:o}", "prefix", s->cfg.prefix, "host",
        s->cfg.host, "protocol", dmsc_svc_protocol_str(s->cfg.protocol), "healthy", s->healthy,
        "max_connections",
        (json_int_t)(s->cfg.max_connections ? s->cfg.max_connections : DMSC_SVC_MAX_CONNS_DEFAULT),
        "health", "path", h->path, "interval_ms", (json_int_t)hc_interval(s), "timeout_ms",
        (json_int_t)hc_timeout(s), "unhealthy", (json_int_t)hc_unhealthy(s), "healthy",
        (json_int_t)hc_healthy(s), "metadata", meta, "instances", insts);
    return o;
}

json_t *dmsc_svcreg_to_json(dmsc_svcreg_t *reg)
{
    json_t *a = json_array();
    if (!a) return NULL;
    for (dmsc_svc_t *s = reg->head; s; s = s->next) {
        json_t *o = dmsc_svc_to_json(s);
        if (!o || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}
