/*
 * Gateway core: lifecycle, the app face, the consumer table and dispatch.
 * See gw_int.h for how the files of src/gw divide the work.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "base/err.h"
#include "base/log.h"
#include "gw/gw_int.h"
#include "mgmt/admin.h"
#include "ndn/lp.h"
#include "sec/sig.h"

#define LOGM "gw"

struct gw_wait {
    gw_wait_t *next;
    gw_pend_t *p;
    gw_result_cb cb;
    void *arg;
};

struct gw_pend {
    gw_pend_t *hnext;
    uint64_t hash;
    uint64_t deadline;
    size_t hidx;
    gw_wait_t *waiters;
    /* sent again while pending (gw__express_retx): a copy of the Interest,
     * where its Nonce is, when and after how long the next copy goes */
    uint8_t *rtx;
    size_t rtx_len, nonce_off;
    uint64_t rtx_at, rtx_gap;
    gw_pend_t *rnext, **rpprev;
    uint16_t nlen;
    uint8_t name[]; /* Name TLV-VALUE */
};

uint64_t gw__now_ms(dmsc_gw_t *g)
{
    return uv_now(g->loop);
}

uint32_t gw__nonce(dmsc_gw_t *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)(z ^ (z >> 31));
}

/* ---- consumer table: hash by name ---- */

static uint64_t name_hash(const uint8_t *v, size_t n)
{
    dmsc_name_t nm;
    if (dmsc_name_from_value(&nm, v, n)) return 0;
    return dmsc_name_hash(&nm, nm.ncomps);
}

static gw_pend_t **tab_slot(dmsc_gw_t *g, const uint8_t *v, size_t n, uint64_t h)
{
    gw_pend_t **pp = &g->tab[h & (g->tab_cap - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->nlen == n && !memcmp((*pp)->name, v, n)))
        pp = &(*pp)->hnext;
    return pp;
}

static int tab_grow(dmsc_gw_t *g)
{
    size_t cap = g->tab_cap ? g->tab_cap * 2 : 256;
    gw_pend_t **t = calloc(cap, sizeof *t);
    if (!t) return DMSC_ENOMEM;
    for (size_t i = 0; i < g->tab_cap; i++) {
        gw_pend_t *p = g->tab[i];
        while (p) {
            gw_pend_t *nx = p->hnext;
            p->hnext = t[p->hash & (cap - 1)];
            t[p->hash & (cap - 1)] = p;
            p = nx;
        }
    }
    free(g->tab);
    g->tab = t;
    g->tab_cap = cap;
    return 0;
}

/* ---- deadlines: binary min-heap ---- */

static void heap_swap(dmsc_gw_t *g, size_t a, size_t b)
{
    gw_pend_t *t = g->heap[a];
    g->heap[a] = g->heap[b];
    g->heap[b] = t;
    g->heap[a]->hidx = a;
    g->heap[b]->hidx = b;
}

static void heap_up(dmsc_gw_t *g, size_t i)
{
    while (i > 0) {
        size_t par = (i - 1) / 2;
        if (g->heap[par]->deadline <= g->heap[i]->deadline) break;
        heap_swap(g, par, i);
        i = par;
    }
}

static void heap_down(dmsc_gw_t *g, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < g->heap_n && g->heap[l]->deadline < g->heap[m]->deadline) m = l;
        if (r < g->heap_n && g->heap[r]->deadline < g->heap[m]->deadline) m = r;
        if (m == i) break;
        heap_swap(g, m, i);
        i = m;
    }
}

static void heap_remove(dmsc_gw_t *g, gw_pend_t *p)
{
    size_t i = p->hidx;
    g->heap_n--;
    if (i != g->heap_n) {
        g->heap[i] = g->heap[g->heap_n];
        g->heap[i]->hidx = i;
        heap_down(g, i);
        heap_up(g, i);
    }
}

static void on_timer(uv_timer_t *t);

static void arm_timer(dmsc_gw_t *g)
{
    if (g->stopping) return;
    if (!g->heap_n) {
        if (g->timer_at != UINT64_MAX) uv_timer_stop(&g->timer);
        g->timer_at = UINT64_MAX;
        return;
    }
    uint64_t at = g->heap[0]->deadline;
    if (at == g->timer_at) return;
    uint64_t now = gw__now_ms(g);
    uv_timer_start(&g->timer, on_timer, at > now ? at - now : 0, 0);
    g->timer_at = at;
}

/* Take p out of the table and the heap (its waiters stay attached). */
static void pend_unlink(dmsc_gw_t *g, gw_pend_t *p)
{
    gw_pend_t **pp = tab_slot(g, p->name, p->nlen, p->hash);
    if (*pp == p) *pp = p->hnext;
    g->tab_n--;
    heap_remove(g, p);
    if (p->rtx) {
        *p->rpprev = p->rnext;
        if (p->rnext) p->rnext->rpprev = p->rpprev;
        free(p->rtx);
        p->rtx = NULL;
    }
}

static void pend_finish(dmsc_gw_t *g, gw_pend_t *p, int result, const dmsc_data_t *d,
                        uint64_t reason)
{
    pend_unlink(g, p);
    gw_wait_t *w = p->waiters;
    p->waiters = NULL;
    while (w) {
        gw_wait_t *nx = w->next;
        gw_result_cb cb = w->cb;
        void *arg = w->arg;
        free(w);
        if (cb) cb(arg, result, d, reason);
        w = nx;
    }
    free(p);
}

static void on_timer(uv_timer_t *t)
{
    dmsc_gw_t *g = t->data;
    g->timer_at = UINT64_MAX;
    uint64_t now = gw__now_ms(g);
    while (g->heap_n && g->heap[0]->deadline <= now) {
        g->ctr.timeouts++;
        pend_finish(g, g->heap[0], GW_RESULT_TIMEOUT, NULL, 0);
    }
    arm_timer(g);
}

/* Into the forwarder on the consumer app face; a send failure shows up as
 * a timeout, as a lost packet would. */
static void send_interest(dmsc_gw_t *g, const uint8_t *wire, size_t len)
{
    dmsc_pkt_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.kind = DMSC_PKT_INTEREST;
    pkt.wire = wire;
    pkt.len = len;
    int rc = dmsc_facetable_app_send(g->ft, g->face, &pkt);
    if (rc) DMSC_LOGD(LOGM, "event=express result=%s", dmsc_errname(rc));
}

int gw__express(dmsc_gw_t *g, const uint8_t *wire, size_t len, const dmsc_name_t *name,
                uint64_t lifetime_ms, gw_result_cb cb, void *arg, gw_wait_t **out)
{
    if (g->stopping) return DMSC_EINVAL;
    if (g->tab_n + 1 > g->tab_cap / 2 && tab_grow(g)) return DMSC_ENOMEM;
    uint64_t h = name_hash(name->value, name->len);
    gw_pend_t **slot = tab_slot(g, name->value, name->len, h);
    gw_wait_t *w = calloc(1, sizeof *w);
    if (!w) return DMSC_ENOMEM;
    w->cb = cb;
    w->arg = arg;
    gw_pend_t *p = *slot;
    uint64_t deadline = gw__now_ms(g) + lifetime_ms;
    if (!p) {
        if (g->heap_n == g->heap_cap) {
            size_t cap = g->heap_cap ? g->heap_cap * 2 : 256;
            gw_pend_t **nh = realloc(g->heap, cap * sizeof *nh);
            if (!nh) goto nomem;
            g->heap = nh;
            g->heap_cap = cap;
        }
        p = calloc(1, sizeof *p + name->len);
        if (!p) goto nomem;
        p->hash = h;
        p->nlen = name->len;
        memcpy(p->name, name->value, name->len);
        p->deadline = deadline;
        *slot = p;
        g->tab_n++;
        p->hidx = g->heap_n;
        g->heap[g->heap_n++] = p;
        heap_up(g, p->hidx);
    } else if (deadline > p->deadline) {
        /* a later deadline: the new Interest goes out too, wait longer */
        p->deadline = deadline;
        heap_down(g, p->hidx);
    }
    w->p = p;
    w->next = p->waiters;
    p->waiters = w;
    arm_timer(g);
    send_interest(g, wire, len);
    g->ctr.interests_out++;
    *out = w;
    return 0; /* a send failure shows up as a timeout, as a lost packet would */
nomem:
    free(w);
    return DMSC_ENOMEM;
}

#define RETX_GAP_MAX_MS 4000

/* Offset of the Nonce's 4 octets in an Interest, or 0 if it has none. */
static size_t nonce_offset(const uint8_t *wire, size_t len)
{
    dmsc_tlv_t top, el;
    if (dmsc_tlv_decode_one(wire, len, &top) || top.type != DMSC_TT_INTEREST) return 0;
    dmsc_tlv_reader_t rd;
    dmsc_tlv_reader_init(&rd, top.value, top.len);
    while (!dmsc_tlv_reader_eof(&rd)) {
        if (dmsc_tlv_read(&rd, &el)) return 0;
        if (el.type == DMSC_TT_NONCE && el.len == 4) return (size_t)(el.value - wire);
    }
    return 0;
}

int gw__express_retx(dmsc_gw_t *g, const uint8_t *wire, size_t len, const dmsc_name_t *name,
                     uint64_t lifetime_ms, uint64_t gap_ms, gw_result_cb cb, void *arg,
                     gw_wait_t **out)
{
    int rc = gw__express(g, wire, len, name, lifetime_ms, cb, arg, out);
    if (rc) return rc;
    gw_pend_t *p = (*out)->p;
    size_t off = nonce_offset(wire, len);
    if (p->rtx || !off || !(p->rtx = malloc(len))) return 0; /* then without retransmission */
    memcpy(p->rtx, wire, len);
    p->rtx_len = len;
    p->nonce_off = off;
    p->rtx_gap = gap_ms;
    p->rtx_at = gw__now_ms(g) + gap_ms;
    p->rnext = g->rtx_head;
    if (p->rnext) p->rnext->rpprev = &p->rnext;
    p->rpprev = &g->rtx_head;
    g->rtx_head = p;
    return 0;
}

/* Send again the Interests whose time has come (called by the sweep). */
static void retx_sweep(dmsc_gw_t *g)
{
    uint64_t now = gw__now_ms(g);
    for (gw_pend_t *p = g->rtx_head; p; p = p->rnext) {
        if (now < p->rtx_at || now + p->rtx_gap / 2 >= p->deadline) continue;
        uint32_t n = gw__nonce(g);
        uint8_t *q = p->rtx + p->nonce_off;
        q[0] = (uint8_t)(n >> 24);
        q[1] = (uint8_t)(n >> 16);
        q[2] = (uint8_t)(n >> 8);
        q[3] = (uint8_t)n;
        send_interest(g, p->rtx, p->rtx_len);
        g->ctr.interests_retx++;
        p->rtx_gap = p->rtx_gap * 2 > RETX_GAP_MAX_MS ? RETX_GAP_MAX_MS : p->rtx_gap * 2;
        p->rtx_at = now + p->rtx_gap;
    }
}

void gw__cancel(dmsc_gw_t *g, gw_wait_t *w)
{
    if (!w) return;
    gw_pend_t *p = w->p;
    gw_wait_t **pp = &p->waiters;
    while (*pp && *pp != w)
        pp = &(*pp)->next;
    if (!*pp) { /* being dispatched right now: just silence it */
        w->cb = NULL;
        return;
    }
    *pp = w->next;
    free(w);
    if (!p->waiters) {
        pend_unlink(g, p);
        free(p);
        arm_timer(g);
    }
}

static void on_data(dmsc_gw_t *g, const dmsc_pkt_t *pkt)
{
    dmsc_data_t d;
    if (dmsc_data_decode(&d, pkt->wire, pkt->len, DMSC_TLV_MAX_PACKET)) return;
    g->ctr.data_in++;
    if (!g->tab_cap) return;
    uint64_t h = name_hash(d.name.value, d.name.len);
    gw_pend_t *p = *tab_slot(g, d.name.value, d.name.len, h);
    if (!p) return; /* late, or cancelled */
    pend_finish(g, p, GW_RESULT_DATA, &d, pkt->congestion_mark);
    arm_timer(g);
}

static void on_nack(dmsc_gw_t *g, const dmsc_pkt_t *pkt)
{
    dmsc_interest_t in;
    if (dmsc_interest_decode(&in, pkt->wire, pkt->len, DMSC_TLV_MAX_PACKET)) return;
    g->ctr.nacks_in++;
    if (!g->tab_cap) return;
    uint64_t h = name_hash(in.name.value, in.name.len);
    gw_pend_t *p = *tab_slot(g, in.name.value, in.name.len, h);
    if (!p) return;
    pend_finish(g, p, GW_RESULT_NACK, NULL, pkt->nack_reason);
    arm_timer(g);
}

int gw__send_data(dmsc_gw_t *g, const uint8_t *wire, size_t len, dmsc_slice_t pit_token,
                  bool no_cache)
{
    dmsc_pkt_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.kind = DMSC_PKT_DATA;
    pkt.wire = wire;
    pkt.len = len;
    pkt.pit_token = pit_token;
    pkt.no_cache = no_cache;
    return dmsc_facetable_app_send(g->ft, g->pface, &pkt);
}

int gw__send_nack(dmsc_gw_t *g, const uint8_t *interest, size_t len, dmsc_slice_t pit_token,
                  uint64_t reason)
{
    dmsc_pkt_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.kind = DMSC_PKT_NACK;
    pkt.wire = interest;
    pkt.len = len;
    pkt.pit_token = pit_token;
    pkt.nack_reason = reason;
    return dmsc_facetable_app_send(g->ft, g->pface, &pkt);
}

static void on_packet(void *arg, dmsc_faceid_t id, const dmsc_pkt_t *pkt)
{
    dmsc_gw_t *g = arg;
    (void)id;
    if (g->stopping) return;
    switch (pkt->kind) {
    case DMSC_PKT_DATA:
        on_data(g, pkt);
        break;
    case DMSC_PKT_NACK:
        on_nack(g, pkt);
        break;
    case DMSC_PKT_INTEREST: {
        dmsc_interest_t in;
        if (dmsc_interest_decode(&in, pkt->wire, pkt->len, DMSC_TLV_MAX_PACKET)) {
            g->ctr.ingress_malformed++;
            return;
        }
        if (gw__stream_on_interest(g, &in, pkt)) return;
        gw__ingress_on_interest(g, &in, pkt);
        break;
    }
    }
}

/* ---- services -> RIB ---- */

static void on_svc_change(void *arg, const dmsc_svc_t *svc, bool has_healthy)
{
    dmsc_gw_t *g = arg;
    const dmsc_name_t *prefix = dmsc_svc_name(svc);
    if (has_healthy) {
        dmsc_route_t r = {.face = g->pface,
                          .origin = DMSC_ROUTE_ORIGIN_APP,
                          .cost = 0,
                          .flags = DMSC_ROUTE_CHILD_INHERIT,
                          .expires = DMSC_RIB_NEVER};
        int rc = dmsc_rib_add(g->rib, prefix, &r);
        char uri[512];
        dmsc_name_to_uri(prefix, 0, uri, sizeof uri);
        DMSC_LOGI(LOGM, "event=announce prefix=%s result=%s", uri, rc ? dmsc_errname(rc) : "ok");
    } else {
        dmsc_rib_remove(g->rib, prefix, g->pface, DMSC_ROUTE_ORIGIN_APP);
        char uri[512];
        dmsc_name_to_uri(prefix, 0, uri, sizeof uri);
        DMSC_LOGI(LOGM, "event=withdraw prefix=%s reason=no-healthy-instance", uri);
    }
}

static int apply_services(dmsc_gw_t *g, const dmsc_config_t *cfg)
{
    /* remove services no longer configured, add or replace the others */
    for (size_t i = 0; i < g->cfg.n_services; i++) {
        bool keep = false;
        for (size_t k = 0; k < cfg->n_services && !keep; k++)
            keep = !strcmp(g->cfg.services[i].prefix, cfg->services[k].prefix);
        if (!keep) dmsc_svcreg_remove(g->svcs, g->cfg.services[i].prefix);
    }
    int rc = 0;
    for (size_t k = 0; k < cfg->n_services; k++) {
        int r = dmsc_svcreg_add(g->svcs, &cfg->services[k]);
        if (r) {
            DMSC_LOGE(LOGM, "event=service prefix=%s result=%s", cfg->services[k].prefix,
                      dmsc_errname(r));
            rc = r;
        }
    }
    return rc;
}

int dmsc_gw_apply(dmsc_gw_t *g, const dmsc_config_t *cfg)
{
    dmsc_config_t n;
    if (dmsc_config_copy(&n, cfg)) return DMSC_ENOMEM;
    int rc = apply_services(g, cfg);
    /* the listeners stay as they were bound until a restart */
    n.gateway.http = g->cfg.gateway.http;
    n.gateway.unix_enabled = g->cfg.gateway.unix_enabled;
    memcpy(n.gateway.unix_path, g->cfg.gateway.unix_path, sizeof n.gateway.unix_path);
    dmsc_config_free(&g->cfg);
    g->cfg = n;
    return rc;
}

static void on_sweep(uv_timer_t *t)
{
    gw__streams_sweep(t->data);
    retx_sweep(t->data);
    gw__egress_sweep(t->data);
}

/* Via pseudonym: the node name's last component, as a token. */
static void set_pseudonym(dmsc_gw_t *g)
{
    const dmsc_name_t *n = &g->node.name;
    size_t k = 0;
    if (n->ncomps) {
        const uint8_t *c = n->value + n->off[n->ncomps - 1];
        size_t clen = n->off[n->ncomps] - n->off[n->ncomps - 1];
        size_t hdr = clen > 2 && c[1] < 253 ? 2 : clen; /* type(1) len(1) for short components */
        for (size_t i = hdr; i < clen && k < sizeof g->pseudonym - 1; i++) {
            char ch = (char)c[i];
            bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
            g->pseudonym[k++] = ok ? ch : '-';
        }
    }
    if (!k)
        memcpy(g->pseudonym, "dmsc", 5);
    else
        g->pseudonym[k] = 0;
}

int dmsc_gw_new(dmsc_gw_t **out, uv_loop_t *loop, dmsc_facetable_t *ft, dmsc_rib_t *rib,
                const dmsc_config_t *cfg)
{
    *out = NULL;
    dmsc_gw_t *g = calloc(1, sizeof *g);
    if (!g) return DMSC_ENOMEM;
    *out = g;
    g->loop = loop;
    g->ft = ft;
    g->rib = rib;
    g->face = g->pface = DMSC_FACEID_INVALID;
    g->timer_at = UINT64_MAX;
    randombytes_buf(&g->rng, sizeof g->rng);
    uv_timer_init(loop, &g->timer);
    g->timer.data = g;
    int rc = dmsc_config_copy(&g->cfg, cfg);
    if (rc) return rc;
    g->pkt_max =
        cfg->faces.max_packet > DMSC_TLV_DGRAM_MAX ? cfg->faces.max_packet : DMSC_TLV_DGRAM_MAX;
    if (!(g->buf = malloc(g->pkt_max))) return DMSC_ENOMEM;
    dmsc_data_t d0;
    dmsc_data_init(&d0);
    g->data_tail = dmsc_data_content_tail(&d0, dmsc_sig_digest_signer());
    if (!g->data_tail || g->data_tail >= g->pkt_max) return DMSC_EINVAL;
    if ((rc = dmsc_namebuf_from_uri(&g->node, cfg->node_name))) return rc;
    dmsc_namebuf_copy(&g->body_pfx, &g->node.name);
    if ((rc = dmsc_namebuf_append(&g->body_pfx, DMSC_TT_GENERIC, "gw", 2)) ||
        (rc = dmsc_namebuf_append(&g->body_pfx, DMSC_TT_GENERIC, "body", 4)))
        return rc;
    /* two faces: an Interest the egress expresses for a service this same
     * node serves must not come back on the face it left from */
    if ((rc = dmsc_facetable_app_new(ft, "gw", 0, on_packet, g, &g->face))) return rc;
    if ((rc = dmsc_facetable_app_new(ft, "gw-svc", 0, on_packet, g, &g->pface))) return rc;
    /* request bodies we serve */
    dmsc_route_t r = {.face = g->pface,
                      .origin = DMSC_ROUTE_ORIGIN_APP,
                      .cost = 0,
                      .flags = DMSC_ROUTE_CHILD_INHERIT,
                      .expires = DMSC_RIB_NEVER};
    if ((rc = dmsc_rib_add(rib, &g->body_pfx.name, &r))) return rc;
    dmsc_svcreg_opts_t so = {.loop = loop, .on_change = on_svc_change, .arg = g};
    if ((rc = dmsc_svcreg_new(&so, &g->svcs))) return rc;
    set_pseudonym(g);
    uv_timer_init(loop, &g->sweep);
    g->sweep.data = g;
    uv_timer_start(&g->sweep, on_sweep, 250, 250);
    if ((rc = apply_services(g, cfg))) return rc;
    if ((rc = gw__egress_start(g))) return rc;
    return 0;
}

int dmsc_gw_http_port(const dmsc_gw_t *g)
{
    return g ? g->http_port : 0;
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

void dmsc_gw_stop(dmsc_gw_t *g)
{
    if (!g || g->stopping) return;
    gw__egress_stop(g);
    gw__ingress_stop(g);
    g->stopping = true;
    uv_timer_stop(&g->timer);
    uv_close((uv_handle_t *)&g->timer, on_closed);
    if (g->sweep.data) {
        uv_timer_stop(&g->sweep);
        uv_close((uv_handle_t *)&g->sweep, on_closed);
    }
    if (g->cut_timer.data) {
        uv_timer_stop(&g->cut_timer);
        uv_close((uv_handle_t *)&g->cut_timer, on_closed);
    }
    g->ncut = 0;
    if (g->svcs) dmsc_svcreg_close(g->svcs);
    g->svcs = NULL;
    /* fail every wait so owners release their state */
    while (g->heap_n)
        pend_finish(g, g->heap[0], GW_RESULT_TIMEOUT, NULL, 0);
    gw__streams_free_all(g);
}

void dmsc_gw_free(dmsc_gw_t *g)
{
    if (!g) return;
    free(g->tab);
    free(g->heap);
    free(g->streams);
    free(g->buf);
    dmsc_config_free(&g->cfg);
    free(g);
}

/* ---- admin API ---- */

static json_t *counters_json(const dmsc_gw_t *g)
{
    const gw_counters_t *c = &g->ctr;
    json_t *eg = json_object(), *ig = json_object(), *ee = json_object(), *ie = json_object();
    for (int k = 0; k < DMSC_HMAP_ERR_MAX + 1; k++) {
        if (k == 0) continue;
        json_object_set_new(ee, dmsc_hmap_error_name(k),
                            json_integer((json_int_t)c->egress_errors[k]));
        json_object_set_new(ie, dmsc_hmap_error_name(k),
                            json_integer((json_int_t)c->ingress_errors[k]));
    }
    json_object_set_new(eg, "connections_total", json_integer((json_int_t)c->egress_conns));
    json_object_set_new(eg, "connections_open", json_integer((json_int_t)g->n_econns));
    json_object_set_new(eg, "requests", json_integer((json_int_t)c->egress_requests));
    json_object_set_new(eg, "responses", json_integer((json_int_t)c->egress_responses));
    json_object_set_new(eg, "bad_requests", json_integer((json_int_t)c->egress_bad_requests));
    json_object_set_new(eg, "errors", ee);
    json_object_set_new(ig, "requests", json_integer((json_int_t)c->ingress_requests));
    json_object_set_new(ig, "responses", json_integer((json_int_t)c->ingress_responses));
    json_object_set_new(ig, "inline", json_integer((json_int_t)c->ingress_inline));
    json_object_set_new(ig, "segmented", json_integer((json_int_t)c->ingress_segmented));
    json_object_set_new(ig, "malformed", json_integer((json_int_t)c->ingress_malformed));
    json_object_set_new(ig, "duplicates", json_integer((json_int_t)c->ingress_duplicates));
    json_object_set_new(ig, "head_resent", json_integer((json_int_t)c->ingress_head_resent));
    json_object_set_new(ig, "errors", ie);
    json_t *o = json_object();
    json_object_set_new(o, "egress", eg);
    json_object_set_new(o, "ingress", ig);
    json_t *seg = json_object();
    json_object_set_new(seg, "served", json_integer((json_int_t)c->seg_served));
    json_object_set_new(seg, "held", json_integer((json_int_t)c->seg_held));
    json_object_set_new(seg, "missing", json_integer((json_int_t)c->seg_missing));
    json_object_set_new(seg, "fetched", json_integer((json_int_t)c->seg_fetched));
    json_object_set_new(seg, "retransmitted", json_integer((json_int_t)c->seg_retx));
    json_object_set_new(seg, "streams", json_integer((json_int_t)g->streams_n));
    json_object_set_new(seg, "buffered_bytes", json_integer((json_int_t)g->stream_bytes));
    json_object_set_new(seg, "buffer_full", json_integer((json_int_t)c->seg_buffer_full));
    json_object_set_new(seg, "evicted", json_integer((json_int_t)c->seg_evicted));
    json_object_set_new(seg, "bad_length", json_integer((json_int_t)c->seg_bad_length));
    json_object_set_new(seg, "congestion_marked", json_integer((json_int_t)c->seg_marked));
    json_object_set_new(o, "segments", seg);
    json_t *nd = json_object();
    json_object_set_new(nd, "interests", json_integer((json_int_t)c->interests_out));
    json_object_set_new(nd, "retransmitted", json_integer((json_int_t)c->interests_retx));
    json_object_set_new(nd, "data", json_integer((json_int_t)c->data_in));
    json_object_set_new(nd, "nacks", json_integer((json_int_t)c->nacks_in));
    json_object_set_new(nd, "timeouts", json_integer((json_int_t)c->timeouts));
    json_object_set_new(nd, "pending", json_integer((json_int_t)g->tab_n));
    json_object_set_new(o, "named", nd);
    return o;
}

static int api_gateway(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_gw_t *g = arg;
    json_t *o = json_object();
    json_t *l = json_object();
    if (g->http_tcp_open)
        json_object_set_new(l, "http",
                            json_sprintf("http://%s:%d/", g->cfg.gateway.http.bind, g->http_port));
    if (g->http_unix_open) json_object_set_new(l, "unix", json_string(g->cfg.gateway.unix_path));
    json_object_set_new(o, "listeners", l);
    json_object_set_new(o, "node", json_string(g->cfg.node_name));
    json_object_set_new(o, "timeout_ms", json_integer((json_int_t)g->cfg.gateway.timeout_ms));
    json_object_set_new(o, "body_max", json_integer((json_int_t)g->cfg.gateway.body_max));
    json_t *ctr = counters_json(g);
    json_object_update(o, ctr);
    json_decref(ctr);
    *body = o;
    return 200;
}

static int api_services(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_gw_t *g = arg;
    *body = dmsc_svcreg_to_json(g->svcs);
    return *body ? 200 : 500;
}

/* {"prefix": "/shop/cart", "host": "cart.shop", "protocol": "http1",
 *  "instances": ["127.0.0.1:9001"], "health": {"path": "/health",
 *  "interval_ms": 1000, "timeout_ms": 1000, "unhealthy": 2, "healthy": 1},
 *  "metadata": {"version": "v1"}, "max_connections": 64} */
static int svc_config_from_json(dmsc_svc_config_t *sc, json_t *j, char *err, size_t errlen)
{
    dmsc_svc_config_default(sc);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "expected a JSON object");
        return DMSC_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (!strcmp(key, "prefix") && json_is_string(v)) {
            snprintf(sc->prefix, sizeof sc->prefix, "%s", json_string_value(v));
        } else if (!strcmp(key, "host") && json_is_string(v)) {
            snprintf(sc->host, sizeof sc->host, "%s", json_string_value(v));
        } else if (!strcmp(key, "protocol") && json_is_string(v)) {
            sc->protocol = dmsc_svc_protocol_parse(json_string_value(v));
            if (sc->protocol < 0) {
                snprintf(err, errlen, "protocol: expected http1, h2c or grpc");
                return DMSC_EINVAL;
            }
        } else if (!strcmp(key, "instances") && json_is_array(v)) {
            size_t i;
            json_t *it;
            if (json_array_size(v) > DMSC_SVC_MAX_INSTANCES) {
                snprintf(err, errlen, "instances: at most %d", DMSC_SVC_MAX_INSTANCES);
                return DMSC_EINVAL;
            }
            json_array_foreach(v, i, it)
            {
                if (!json_is_string(it)) {
                    snprintf(err, errlen, "instances: expected strings HOST:PORT");
                    return DMSC_EINVAL;
                }
                snprintf(sc->instances[i], sizeof sc->instances[i], "%s", json_string_value(it));
            }
            sc->n_instances = json_array_size(v);
        } else if (!strcmp(key, "health") && json_is_object(v)) {
            json_t *x;
            if ((x = json_object_get(v, "path")) && json_is_string(x))
                snprintf(sc->health.path, sizeof sc->health.path, "%s", json_string_value(x));
            if ((x = json_object_get(v, "interval_ms")) && json_is_integer(x))
                sc->health.interval_ms = (uint32_t)json_integer_value(x);
            if ((x = json_object_get(v, "timeout_ms")) && json_is_integer(x))
                sc->health.timeout_ms = (uint32_t)json_integer_value(x);
            if ((x = json_object_get(v, "unhealthy")) && json_is_integer(x))
                sc->health.unhealthy = (uint32_t)json_integer_value(x);
            if ((x = json_object_get(v, "healthy")) && json_is_integer(x))
                sc->health.healthy = (uint32_t)json_integer_value(x);
        } else if (!strcmp(key, "metadata") && json_is_object(v)) {
            const char *mk;
            json_t *mv;
            json_object_foreach(v, mk, mv)
            {
                if (sc->n_metadata == DMSC_SVC_MAX_METADATA || !json_is_string(mv)) {
                    snprintf(err, errlen, "metadata: at most %d string values",
                             DMSC_SVC_MAX_METADATA);
                    return DMSC_EINVAL;
                }
                snprintf(sc->metadata[sc->n_metadata].key, DMSC_SVC_META_MAX, "%s", mk);
                snprintf(sc->metadata[sc->n_metadata].value, DMSC_SVC_META_MAX, "%s",
                         json_string_value(mv));
                sc->n_metadata++;
            }
        } else if (!strcmp(key, "max_connections") && json_is_integer(v)) {
            sc->max_connections = (uint32_t)json_integer_value(v);
        } else {
            snprintf(err, errlen, "unknown or mistyped key: %s", key);
            return DMSC_EINVAL;
        }
    }
    int rc = dmsc_svc_config_check(sc, err, errlen);
    return rc;
}

static int api_service_add(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_gw_t *g = arg;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)req->body, req->body_len, 0, &jerr);
    if (!j) {
        *body = json_pack("{s:s,s:i}", "error", jerr.text, "status", 400);
        return 400;
    }
    dmsc_svc_config_t sc;
    char err[256];
    int rc = svc_config_from_json(&sc, j, err, sizeof err);
    json_decref(j);
    if (rc) {
        *body = json_pack("{s:s,s:i}", "error", err, "status", 400);
        return 400;
    }
    rc = dmsc_svcreg_add(g->svcs, &sc);
    if (rc) {
        *body = json_pack("{s:s,s:i}", "error", dmsc_strerror(rc), "status", 400);
        return 400;
    }
    DMSC_LOGI(LOGM, "event=service-add prefix=%s instances=%zu source=admin", sc.prefix,
              sc.n_instances);
    *body = json_pack("{s:s}", "added", sc.prefix);
    return 200;
}

static int api_service_remove(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_gw_t *g = arg;
    const char *p = req->path + strlen("/services");
    if (!*p || !strcmp(p, "/")) return 400;
    int rc = dmsc_svcreg_remove(g->svcs, p);
    if (rc) {
        *body = json_pack("{s:s,s:i}", "error", "no such service", "status", 404);
        return 404;
    }
    DMSC_LOGI(LOGM, "event=service-remove prefix=%s source=admin", p);
    *body = json_pack("{s:s}", "removed", p);
    return 200;
}

static void metrics(void *arg, dmsc_metrics_t *m)
{
    dmsc_gw_t *g = arg;
    const gw_counters_t *c = &g->ctr;
    dmsc_metrics_family(m, "dmsc_gw_requests_total", "counter",
                        "HTTP requests taken by the gateway, by side");
    dmsc_metric_label_t l[2] = {{"side", "egress"}, {NULL, NULL}};
    dmsc_metrics_u64(m, l, 1, c->egress_requests);
    l[0].value = "ingress";
    dmsc_metrics_u64(m, l, 1, c->ingress_requests);
    dmsc_metrics_family(m, "dmsc_gw_errors_total", "counter",
                        "Gateway errors by side and dmsc-error kind");
    for (int k = 1; k < DMSC_HMAP_ERR_MAX + 1; k++) {
        l[0].value = "egress";
        l[1].name = "kind";
        l[1].value = dmsc_hmap_error_name(k);
        dmsc_metrics_u64(m, l, 2, c->egress_errors[k]);
        l[0].value = "ingress";
        dmsc_metrics_u64(m, l, 2, c->ingress_errors[k]);
    }
    dmsc_metrics_family(m, "dmsc_gw_connections_open", "gauge", "Client connections open");
    dmsc_metrics_u64(m, NULL, 0, g->n_econns);
    dmsc_metrics_family(m, "dmsc_gw_segments_total", "counter",
                        "Body segments served and fetched by the gateway");
    l[0].name = "op";
    l[0].value = "served";
    dmsc_metrics_u64(m, l, 1, c->seg_served);
    l[0].value = "fetched";
    dmsc_metrics_u64(m, l, 1, c->seg_fetched);
    l[0].value = "retransmitted";
    dmsc_metrics_u64(m, l, 1, c->seg_retx);
    l[0].value = "congestion_marked";
    dmsc_metrics_u64(m, l, 1, c->seg_marked);
    dmsc_metrics_family(m, "dmsc_gw_pending_interests", "gauge", "Interests the gateway waits on");
    dmsc_metrics_u64(m, NULL, 0, g->tab_n);
}

int dmsc_gw_attach_admin(dmsc_gw_t *g, struct dmsc_admin *a)
{
    int rc;
    if ((rc = dmsc_admin_add_route(a, "GET", "/gateway", api_gateway, g)) ||
        (rc = dmsc_admin_add_route(a, "GET", "/services", api_services, g)) ||
        (rc = dmsc_admin_add_route(a, "POST", "/services", api_service_add, g)) ||
        (rc = dmsc_admin_add_route(a, "DELETE", "/services/*", api_service_remove, g)))
        return rc;
    return dmsc_admin_add_metrics(a, metrics, g);
}
