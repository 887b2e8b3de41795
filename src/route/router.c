/*
 * The routing core: see router.h for the interface, docs/routing.md for
 * the protocol. Layout of this file:
 *   config, construction          sending helpers
 *   neighbors: hellos, cost       flooding: pending LSAs per neighbor, LSUs
 *   summaries (SNP), loading      LSA acceptance          origination
 *   aging                         SPF and routes          timers, input
 *   local prefixes                observation
 */
#include "route/router.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "route/lsdb.h"
#include "route/rtable.h"
#include "route/spf.h"
#include "route/wire.h"
#include "sec/sig.h"

#define MS 1000000ull
#define HELLO_OUT_MAX 8
#define WINDOW_MAX 16
#define LSU_MAX_ENTRIES 128
#define PREFIX_NAME_MAX 512 /* bytes of Name TLV-VALUE of an advertised prefix */
#define SNP_HEADER_ROOM 600 /* SnpParams header with two maximal bound names */

enum { P_NONE = 0, P_QUEUED = 1, P_INFLIGHT = 2 };             /* per-LSA flooding state */
enum { PG_QUEUED = 0, PG_INFLIGHT = 1, PG_ACKED = 2 };         /* summary page state */
enum { MSG_LSU = DMSC_RT_MSG_LSU, MSG_SNP = DMSC_RT_MSG_SNP }; /* in-flight kinds */

typedef struct {
    uint64_t seq, sent, deadline;
} hello_out_t;

typedef struct {
    uint64_t seq, deadline, session;
    uint8_t kind;
    uint32_t page;
} inflight_t;

typedef struct {
    uint8_t *buf;
    uint32_t len;
    uint8_t state;
} page_t;

typedef struct {
    uint8_t *name;
    uint16_t len;
    uint64_t seq, hash;
} expect_t;

typedef struct {
    dmsc_faceid_t face;
    int state;
    uint64_t static_cost;
    bool has_name;
    uint16_t name_len;
    uint8_t name[DMSC_RT_NODE_NAME_MAX];
    dmsc_name_t name_view; /* over name[] */
    uint8_t pubkey[DMSC_RT_PUBKEY_LEN];
    dmsc_key_t *key; /* its public key (from its hello replies) */
    /* hellos */
    uint64_t next_hello, last_hello_tx;
    hello_out_t hout[HELLO_OUT_MAX];
    uint32_t n_hout;
    uint32_t misses; /* consecutive hellos unanswered with nothing else heard */
    uint64_t rtt, meas_cost, adv_cost, adv_changed;
    uint64_t since, last_reply;
    uint64_t last_life; /* last valid packet of any kind from the neighbor */
    uint32_t unreach_n; /* unreachable reports since unreach_first, nothing heard since */
    uint64_t unreach_first;
    bool has_peer_digest;
    uint64_t peer_digest, mismatch_since;
    /* flooding: per LSDB slot */
    uint8_t *pend;
    uint32_t *pend_msg;
    uint32_t pend_cap;
    uint32_t n_queued, n_inflight_lsas;
    inflight_t infl[WINDOW_MAX];
    uint32_t n_infl;
    /* our summary towards it */
    page_t *pages;
    uint32_t npages, pages_acked;
    bool snp_done;
    uint64_t session, last_sync;
    /* its summary */
    bool has_peer_session;
    uint64_t peer_session;
    uint32_t peer_pages, peer_got;
    uint8_t peer_seen[DMSC_SNP_MAX_PAGES / 8];
    /* LSAs its summary says it has and we lack (state SYNC) */
    expect_t *expect;
    uint32_t n_expect, expect_cap;
    uint64_t loading_deadline;
} nbr_t;

typedef struct {
    uint8_t *name;
    uint16_t len;
    uint64_t owner;
    dmsc_router_prefix_attr_t attr;
} lpfx_t;

struct dmsc_router {
    dmsc_router_config_t cfg;
    dmsc_router_io_t io;
    dmsc_router_trust_t trust;
    dmsc_namebuf_t name;
    const dmsc_key_t *key;
    const dmsc_signer_t *signer;
    uint8_t pubkey[DMSC_RT_PUBKEY_LEN];
    uint64_t rng;
    uint64_t msgseq, session_ctr;

    nbr_t **nbrs;
    uint32_t n_nbrs;
    lpfx_t *lpfx;
    uint32_t n_lpfx, lpfx_cap;

    dmsc_lsdb_t lsdb;
    uint32_t self_slot;
    uint64_t own_seq, own_hash, reserved_seq;
    uint8_t *own_content;
    size_t own_content_len;
    bool originated, own_dirty, own_forced;
    uint64_t orig_due, last_orig, refresh_due;

    bool spf_pending;
    uint64_t spf_due, last_spf;
    uint64_t applied_digest, applied_at;
    uint32_t reachable;
    dmsc_spf_t spf;
    uint32_t *g_off, *g_dst;
    uint64_t *g_cost;
    size_t g_nodes_cap, g_edges_cap;
    dmsc_spf_link_t *links;
    dmsc_faceid_t *link_face;
    size_t links_cap;
    dmsc_rtable_t tables[2];
    int installed; /* index into tables */

    uint32_t *stamp;
    uint32_t stamp_cap, epoch;

    dmsc_router_counters_t ctr;
    uint8_t txbuf[DMSC_RT_MSG_MAX + 1024];
    uint8_t pbuf[DMSC_RT_PARAMS_MAX + 1024];
    uint8_t lsabuf[2 * DMSC_LSA_MAX_SIZE + 2048];
};

/* ==================================================================== */
/* config, construction                                                  */
/* ==================================================================== */

void dmsc_router_config_default(dmsc_router_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->hello_interval = 100 * MS;
    c->hello_timeout = 100 * MS;
    c->dead_misses = 3;
    c->unreachable_reports = 2;
    c->adopt_faces = true;
    c->cost_base = 10;
    c->cost_rtt_unit = 100000; /* 100 us */
    c->hyst_pct = 20;
    c->hyst_abs = 2;
    c->cost_hold = 5000 * MS;
    c->lsa_lifetime = 3600000 * MS;
    c->lsa_refresh = 1800000 * MS;
    c->lsa_min_interval = 100 * MS;
    c->lsa_min_remaining = 1000 * MS;
    c->rxmt_interval = 250 * MS;
    c->window = 4;
    c->sync_check = 2000 * MS;
    c->loading_timeout = 5000 * MS;
    c->spf_delay = 0;
    c->spf_hold = 50 * MS;
    c->mp_bound_pct = 100;
    c->max_nexthops = 4;
    c->max_prefix_nexthops = 8;
    c->max_lsas = 16384;
    c->max_faces = 256;
    c->max_local_prefixes = 4096;
    c->pin_keys = false;
    c->seq_start = 0;
    c->seq_reserve_block = 1024;
    c->rng_seed = 0x9e3779b97f4a7c15ull;
}

static bool config_ok(const dmsc_router_config_t *c)
{
    return c->hello_interval && c->hello_timeout && c->dead_misses && c->cost_rtt_unit &&
           c->lsa_lifetime >= 2 * MS * 1000 && c->lsa_lifetime / MS <= UINT32_MAX &&
           c->lsa_refresh && c->lsa_refresh < c->lsa_lifetime &&
           c->lsa_min_remaining < c->lsa_lifetime && c->rxmt_interval && c->window >= 1 &&
           c->window <= WINDOW_MAX && c->max_nexthops >= 1 && c->max_prefix_nexthops >= 1 &&
           c->max_lsas >= 1 && c->max_faces >= 1 && c->mp_bound_pct <= 1000000;
}

static uint64_t rnd(dmsc_router_t *rt)
{
    /* splitmix64 */
    uint64_t z = (rt->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool name_bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool is_self(const dmsc_router_t *rt, const uint8_t *n, size_t len)
{
    return name_bytes_eq(n, len, rt->name.name.value, rt->name.name.len);
}

/* A view of a Name TLV-VALUE known to be valid. */
static void view(dmsc_name_t *n, const uint8_t *v, size_t len)
{
    if (dmsc_name_from_value(n, v, len)) dmsc_name_init(n);
}

/* keyloc must be <node>/KEY/... */
static bool keyloc_ok(const dmsc_siginfo_t *si, const dmsc_name_t *node)
{
    if (si->keyloc_kind != DMSC_KEYLOC_NAME) return false;
    const dmsc_name_t *kl = &si->keyloc_name;
    if (kl->ncomps <= node->ncomps || !dmsc_name_is_prefix(node, kl)) return false;
    dmsc_comp_t c = dmsc_name_comp(kl, node->ncomps);
    return c.type == DMSC_TT_GENERIC && c.len == 3 && memcmp(c.value, "KEY", 3) == 0;
}

int dmsc_router_new(dmsc_router_t **out, const dmsc_name_t *name, const dmsc_key_t *key,
                    const dmsc_router_config_t *cfg, const dmsc_router_io_t *io,
                    const dmsc_router_trust_t *trust)
{
    *out = NULL;
    if (!name || !key || !io || !io->send || !io->route_add || !io->route_remove)
        return DMSC_EINVAL;
    if (name->ncomps == 0 || name->len > DMSC_RT_NODE_NAME_MAX) return DMSC_EINVAL;
    if (dmsc_key_sig_type(key) != DMSC_SIG_ED25519 || !dmsc_key_has_private(key))
        return DMSC_EINVAL;
    const dmsc_name_t *kn = dmsc_key_name(key);
    if (!kn || kn->ncomps <= name->ncomps || !dmsc_name_is_prefix(name, kn)) return DMSC_EINVAL;
    dmsc_comp_t kc = dmsc_name_comp(kn, name->ncomps);
    if (kc.type != DMSC_TT_GENERIC || kc.len != 3 || memcmp(kc.value, "KEY", 3) != 0)
        return DMSC_EINVAL;
    dmsc_router_config_t c;
    if (cfg)
        c = *cfg;
    else
        dmsc_router_config_default(&c);
    if (!config_ok(&c)) return DMSC_EINVAL;

    dmsc_router_t *rt = calloc(1, sizeof *rt);
    if (!rt) return DMSC_ENOMEM;
    rt->cfg = c;
    rt->io = *io;
    if (trust) rt->trust = *trust;
    dmsc_namebuf_init(&rt->name);
    if (dmsc_namebuf_copy(&rt->name, name)) goto fail_name;
    rt->key = key;
    size_t pklen = 0;
    if (dmsc_key_signer(key, DMSC_KEYLOC_NAME, &rt->signer) ||
        dmsc_key_export_raw_public(key, rt->pubkey, sizeof rt->pubkey, &pklen) ||
        pklen != DMSC_RT_PUBKEY_LEN)
        goto fail_name;
    rt->rng = c.rng_seed;
    if (dmsc_lsdb_init(&rt->lsdb, c.max_lsas, rnd(rt))) {
        free(rt);
        return DMSC_ENOMEM;
    }
    rt->msgseq = rnd(rt) & 0xffffffffu; /* a restarted node does not reuse names */
    rt->session_ctr = rnd(rt) & 0xffffffffu;
    rt->self_slot = DMSC_LSDB_NONE;
    rt->own_seq = c.seq_start;
    rt->reserved_seq = c.seq_start;
    rt->own_dirty = true;
    rt->orig_due = 0;
    dmsc_spf_init(&rt->spf);
    uint64_t seed = rnd(rt); /* both tables: the diff looks keys up in the other */
    dmsc_rtable_init(&rt->tables[0], seed);
    dmsc_rtable_init(&rt->tables[1], seed);
    *out = rt;
    return 0;

fail_name:
    free(rt);
    return DMSC_EINVAL;
}

static void nbr_free(nbr_t *nb);

void dmsc_router_free(dmsc_router_t *rt)
{
    if (!rt) return;
    for (uint32_t i = 0; i < rt->n_nbrs; i++)
        nbr_free(rt->nbrs[i]);
    free(rt->nbrs);
    for (uint32_t i = 0; i < rt->n_lpfx; i++)
        free(rt->lpfx[i].name);
    free(rt->lpfx);
    dmsc_lsdb_free(&rt->lsdb);
    free(rt->own_content);
    dmsc_spf_free(&rt->spf);
    free(rt->g_off);
    free(rt->g_dst);
    free(rt->g_cost);
    free(rt->links);
    free(rt->link_face);
    dmsc_rtable_free(&rt->tables[0]);
    dmsc_rtable_free(&rt->tables[1]);
    free(rt->stamp);
    free(rt);
}

static void emit(dmsc_router_t *rt, int type, const nbr_t *nb, const dmsc_name_t *name,
                 uint64_t cost, uint64_t old_cost, uint64_t seq, int reason)
{
    if (!rt->io.event) return;
    dmsc_router_event_t ev = {type, nb ? nb->face : 0, name, cost, old_cost, seq, reason};
    if (!ev.name && nb && nb->has_name) ev.name = &nb->name_view;
    rt->io.event(rt->io.ctx, &ev);
}

/* ==================================================================== */
/* sending                                                               */
/* ==================================================================== */

static void send_pkt(dmsc_router_t *rt, dmsc_faceid_t face, dmsc_pkt_t *p)
{
    if (rt->io.send(rt->io.ctx, face, p) < 0) rt->ctr.send_errors++;
}

/* A routing Interest: /localhop/dmsc/route/<kind>/<us>/seq=<seq>. */
static int send_interest(dmsc_router_t *rt, dmsc_faceid_t face, int kind, uint64_t seq,
                         const uint8_t *params, size_t plen, bool sign, uint64_t lifetime)
{
    dmsc_namebuf_t nb;
    int rc = dmsc_rtmsg_name(&nb, kind, &rt->name.name, seq);
    if (rc) return rc;
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = nb.name;
    in.must_be_fresh = true;
    in.has_nonce = true;
    in.nonce = (uint32_t)rnd(rt);
    in.has_lifetime = true;
    in.lifetime = lifetime / MS ? lifetime / MS : 1;
    in.has_hop_limit = true;
    in.hop_limit = 1;
    in.has_app_params = true;
    in.app_params = dmsc_slice(params, plen);
    dmsc_slice_t out;
    rc = dmsc_interest_encode(&in, sign ? rt->signer : NULL, rt->txbuf, sizeof rt->txbuf, &out);
    if (rc) return rc;
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_INTEREST;
    p.wire = out.p;
    p.len = out.n;
    p.next_hop_face = face;
    send_pkt(rt, face, &p);
    return 0;
}

static void send_data(dmsc_router_t *rt, dmsc_faceid_t face, const dmsc_name_t *name,
                      const uint8_t *content, size_t clen, bool ed25519, dmsc_slice_t pit_token)
{
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = *name;
    d.has_content = true;
    d.content = dmsc_slice(content, clen);
    dmsc_slice_t out;
    if (dmsc_data_encode(&d, ed25519 ? rt->signer : dmsc_sig_digest_signer(), rt->txbuf,
                         sizeof rt->txbuf, &out)) {
        rt->ctr.send_errors++;
        return;
    }
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_DATA;
    p.wire = out.p;
    p.len = out.n;
    p.pit_token = pit_token;
    p.no_cache = true;
    send_pkt(rt, face, &p);
}

/* HelloInfo of this node into the tail of pbuf. */
static dmsc_slice_t hello_info(dmsc_router_t *rt)
{
    dmsc_enc_t e;
    size_t end = sizeof rt->pbuf;
    dmsc_enc_init(&e, rt->pbuf, end);
    dmsc_hello_prepend(&e, &rt->name.name, rt->pubkey, rt->lsdb.digest, rt->lsdb.count);
    return dmsc_slice(dmsc_enc_data(&e), end - dmsc_enc_mark(&e));
}

/* ==================================================================== */
/* neighbors                                                             */
/* ==================================================================== */

static nbr_t *find_nbr(const dmsc_router_t *rt, dmsc_faceid_t face)
{
    for (uint32_t i = 0; i < rt->n_nbrs; i++)
        if (rt->nbrs[i]->face == face) return rt->nbrs[i];
    return NULL;
}

static void free_pages(nbr_t *nb)
{
    for (uint32_t i = 0; i < nb->npages; i++)
        free(nb->pages[i].buf);
    free(nb->pages);
    nb->pages = NULL;
    nb->npages = nb->pages_acked = 0;
}

static void clear_expect(nbr_t *nb)
{
    for (uint32_t i = 0; i < nb->n_expect; i++)
        free(nb->expect[i].name);
    nb->n_expect = 0;
}

static void nbr_free(nbr_t *nb)
{
    free_pages(nb);
    clear_expect(nb);
    free(nb->expect);
    free(nb->pend);
    free(nb->pend_msg);
    dmsc_key_free(nb->key);
    free(nb);
}

static void mark_spf(dmsc_router_t *rt, uint64_t now)
{
    if (rt->spf_pending) return;
    rt->spf_pending = true;
    uint64_t due = now + rt->cfg.spf_delay;
    if (rt->ctr.spf_runs) {
        uint64_t hold = rt->last_spf + rt->cfg.spf_hold;
        if (hold > due) due = hold;
    }
    rt->spf_due = due;
}

static void mark_own_dirty(dmsc_router_t *rt, uint64_t now)
{
    if (rt->own_dirty || rt->own_forced) return; /* already scheduled */
    rt->own_dirty = true;
    uint64_t due = rt->originated ? rt->last_orig + rt->cfg.lsa_min_interval : now;
    rt->orig_due = due > now ? due : now;
}

static uint64_t cost_of(const dmsc_router_t *rt, uint64_t rtt)
{
    uint64_t c = rt->cfg.cost_base + rtt / rt->cfg.cost_rtt_unit;
    if (c < 1) c = 1;
    if (c > DMSC_RT_COST_MAX) c = DMSC_RT_COST_MAX;
    return c;
}

static void pend_set(nbr_t *nb, uint32_t slot, uint8_t st, uint32_t msg)
{
    uint8_t old = nb->pend[slot];
    if (old == P_QUEUED)
        nb->n_queued--;
    else if (old == P_INFLIGHT)
        nb->n_inflight_lsas--;
    nb->pend[slot] = st;
    nb->pend_msg[slot] = msg;
    if (st == P_QUEUED)
        nb->n_queued++;
    else if (st == P_INFLIGHT)
        nb->n_inflight_lsas++;
}

static void reset_flooding(nbr_t *nb)
{
    if (nb->pend) memset(nb->pend, 0, nb->pend_cap);
    nb->n_queued = nb->n_inflight_lsas = 0;
    nb->n_infl = 0;
    free_pages(nb);
    nb->snp_done = false;
    nb->has_peer_session = false;
    nb->peer_pages = nb->peer_got = 0;
    clear_expect(nb);
}

static void start_sync(dmsc_router_t *rt, nbr_t *nb, bool answer, uint64_t now);

static void nbr_up(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    nb->state = DMSC_NBR_SYNC;
    nb->since = now;
    nb->adv_cost = nb->static_cost ? nb->static_cost : nb->meas_cost;
    nb->adv_changed = now;
    nb->mismatch_since = 0;
    reset_flooding(nb);
    nb->loading_deadline = now + rt->cfg.loading_timeout;
    nb->last_sync = 0;
    rt->ctr.nbr_up++;
    emit(rt, DMSC_ROUTER_EV_NBR_UP, nb, NULL, nb->adv_cost, 0, 0, 0);
    start_sync(rt, nb, false, now);
}

static void nbr_full(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    nb->state = DMSC_NBR_FULL;
    nb->since = now;
    clear_expect(nb);
    emit(rt, DMSC_ROUTER_EV_NBR_FULL, nb, NULL, nb->adv_cost, 0, 0, 0);
    mark_own_dirty(rt, now);
    mark_spf(rt, now);
}

static void nbr_down(dmsc_router_t *rt, nbr_t *nb, int reason, uint64_t now)
{
    if (nb->state == DMSC_NBR_DOWN) return;
    bool was_full = nb->state == DMSC_NBR_FULL;
    nb->state = DMSC_NBR_DOWN;
    nb->since = now;
    reset_flooding(nb);
    nb->n_hout = 0;
    nb->misses = 0;
    nb->unreach_n = 0;
    nb->rtt = 0;
    nb->has_peer_digest = false;
    nb->mismatch_since = 0;
    rt->ctr.nbr_down++;
    if (reason == DMSC_NBR_DOWN_UNREACHABLE) rt->ctr.down_unreachable++;
    emit(rt, DMSC_ROUTER_EV_NBR_DOWN, nb, NULL, 0, 0, 0, reason);
    /* next hops over the face go at the next SPF, before our new LSA */
    mark_spf(rt, now);
    if (was_full) mark_own_dirty(rt, now);
}

static void rtt_sample(dmsc_router_t *rt, nbr_t *nb, uint64_t sample, uint64_t now)
{
    if (!nb->rtt) {
        nb->rtt = sample ? sample : 1;
    } else {
        int64_t d = (int64_t)sample - (int64_t)nb->rtt;
        int64_t r = (int64_t)nb->rtt + d / 8;
        nb->rtt = r > 0 ? (uint64_t)r : 1;
    }
    nb->meas_cost = cost_of(rt, nb->rtt);
    if (nb->state == DMSC_NBR_DOWN || nb->static_cost) return;
    uint64_t adv = nb->adv_cost, m = nb->meas_cost;
    uint64_t diff = m > adv ? m - adv : adv - m;
    uint64_t thr = adv * rt->cfg.hyst_pct / 100;
    if (thr < rt->cfg.hyst_abs) thr = rt->cfg.hyst_abs;
    if (diff > thr && now - nb->adv_changed >= rt->cfg.cost_hold) {
        nb->adv_cost = m;
        nb->adv_changed = now;
        emit(rt, DMSC_ROUTER_EV_COST, nb, NULL, m, adv, 0, 0);
        if (nb->state == DMSC_NBR_FULL) {
            mark_own_dirty(rt, now);
            mark_spf(rt, now);
        }
    }
}

/* A valid packet from the neighbor: it lives, whatever hello replies or
 * unreachable reports said. */
static void alive(nbr_t *nb, uint64_t now)
{
    nb->last_life = now;
    nb->unreach_n = 0;
}

static void send_hello(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    if (nb->n_hout == HELLO_OUT_MAX) { /* the oldest can no longer count */
        memmove(nb->hout, nb->hout + 1, (HELLO_OUT_MAX - 1) * sizeof *nb->hout);
        nb->n_hout--;
    }
    uint64_t seq = ++rt->msgseq;
    dmsc_slice_t hi = hello_info(rt);
    if (send_interest(rt, nb->face, DMSC_RT_MSG_HELLO, seq, hi.p, hi.n, true,
                      rt->cfg.hello_timeout) == 0) {
        hello_out_t *h = &nb->hout[nb->n_hout++];
        h->seq = seq;
        h->sent = now;
        h->deadline = now + rt->cfg.hello_timeout;
        rt->ctr.hello_tx++;
    } else {
        rt->ctr.send_errors++;
    }
    nb->last_hello_tx = now;
    uint64_t iv = rt->cfg.hello_interval;
    nb->next_hello = now + iv - (iv >= 10 ? rnd(rt) % (iv / 10) : 0);
}

/* Is this key acceptable for node (trust rules, pinning)? */
static bool key_allowed(dmsc_router_t *rt, const dmsc_name_t *node, const uint8_t *pubkey)
{
    if (rt->cfg.pin_keys) {
        uint32_t s = dmsc_lsdb_find(&rt->lsdb, node->value, node->len);
        if (s != DMSC_LSDB_NONE && memcmp(rt->lsdb.e[s].pubkey, pubkey, DMSC_RT_PUBKEY_LEN) != 0)
            return false;
        if (is_self(rt, node->value, node->len) &&
            memcmp(rt->pubkey, pubkey, DMSC_RT_PUBKEY_LEN) != 0)
            return false;
    }
    if (rt->trust.allow_key && !rt->trust.allow_key(rt->trust.ctx, node, pubkey)) return false;
    return true;
}

/* Verify a hello packet's signature with the key in its HelloInfo. cached:
 * a key object for the same public key, or NULL. */
static int verify_with(const uint8_t *pubkey, dmsc_key_t *cached, const dmsc_data_t *d,
                       const dmsc_interest_t *in)
{
    dmsc_key_t *k = cached;
    int rc = 0;
    if (!k && (rc = dmsc_key_import_raw_public(&k, DMSC_SIG_ED25519, pubkey, DMSC_RT_PUBKEY_LEN)))
        return rc;
    const dmsc_verifier_t *v;
    rc = dmsc_key_verifier(k, &v);
    if (!rc) rc = d ? dmsc_data_verify(d, v) : dmsc_interest_verify(in, v);
    if (k != cached) dmsc_key_free(k);
    return rc;
}

static int add_face(dmsc_router_t *rt, dmsc_faceid_t face, uint64_t static_cost, uint64_t now,
                    nbr_t **out)
{
    if (rt->n_nbrs >= rt->cfg.max_faces) return DMSC_ENOMEM;
    nbr_t *nb = calloc(1, sizeof *nb);
    if (!nb) return DMSC_ENOMEM;
    nbr_t **a = realloc(rt->nbrs, (rt->n_nbrs + 1) * sizeof *a);
    if (!a) {
        free(nb);
        return DMSC_ENOMEM;
    }
    rt->nbrs = a;
    nb->face = face;
    nb->state = DMSC_NBR_DOWN;
    nb->static_cost = static_cost;
    nb->next_hello = now;
    nb->since = now;
    rt->nbrs[rt->n_nbrs++] = nb;
    *out = nb;
    return 0;
}

static int on_hello_interest(dmsc_router_t *rt, nbr_t *nb, dmsc_faceid_t face,
                             const dmsc_interest_t *in, const dmsc_name_t *sender,
                             const dmsc_pkt_t *pkt, uint64_t now)
{
    dmsc_hello_t h;
    int rc = dmsc_hello_decode(&h, in->app_params.p, in->app_params.n);
    if (rc || !dmsc_name_equal(&h.name, sender)) {
        rt->ctr.rx_malformed++;
        return rc ? rc : DMSC_EVALUE;
    }
    if (!in->is_signed || !keyloc_ok(&in->sig_info, sender)) {
        rt->ctr.hello_bad_sig++;
        return DMSC_ESIG;
    }
    dmsc_key_t *cached =
        nb && nb->key && memcmp(nb->pubkey, h.pubkey, DMSC_RT_PUBKEY_LEN) == 0 ? nb->key : NULL;
    if ((rc = verify_with(h.pubkey, cached, NULL, in))) {
        rt->ctr.hello_bad_sig++;
        return rc;
    }
    if (!key_allowed(rt, sender, h.pubkey)) {
        rt->ctr.hello_untrusted++;
        return DMSC_EKEY;
    }
    if (!nb) {
        if (!rt->cfg.adopt_faces || add_face(rt, face, 0, now, &nb)) {
            rt->ctr.rx_unknown_face++;
            return DMSC_EVALUE;
        }
    }
    rt->ctr.hello_rx++;
    if (nb->has_name && name_bytes_eq(nb->name, nb->name_len, sender->value, sender->len))
        alive(nb, now);
    dmsc_slice_t hi = hello_info(rt);
    send_data(rt, face, &in->name, hi.p, hi.n, true, pkt->pit_token);
    rt->ctr.hello_reply_tx++;
    /* the other side is there: probe it now rather than at the next tick */
    if (nb->state == DMSC_NBR_DOWN && now - nb->last_hello_tx >= rt->cfg.hello_interval / 4 &&
        nb->next_hello > now)
        nb->next_hello = now;
    return 0;
}

static void set_nbr_name(nbr_t *nb, const dmsc_name_t *n)
{
    memcpy(nb->name, n->value, n->len);
    nb->name_len = n->len;
    nb->has_name = true;
    view(&nb->name_view, nb->name, nb->name_len);
}

static void anti_entropy(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    if (nb->state != DMSC_NBR_FULL || !nb->has_peer_digest) return;
    if (nb->peer_digest == rt->lsdb.digest) {
        nb->mismatch_since = 0;
        return;
    }
    if (!nb->mismatch_since) {
        nb->mismatch_since = now;
        return;
    }
    if (now - nb->mismatch_since >= rt->cfg.sync_check &&
        now - nb->last_sync >= rt->cfg.sync_check) {
        rt->ctr.anti_entropy++;
        start_sync(rt, nb, false, now);
    }
}

static int on_hello_data(dmsc_router_t *rt, nbr_t *nb, const dmsc_data_t *d, uint64_t seq,
                         uint64_t now)
{
    uint32_t i;
    for (i = 0; i < nb->n_hout && nb->hout[i].seq != seq; i++) {
    }
    if (i == nb->n_hout) {
        rt->ctr.rx_unmatched++;
        return DMSC_EVALUE;
    }
    dmsc_hello_t h;
    int rc = dmsc_hello_decode(&h, d->content.p, d->content.n);
    if (rc) {
        rt->ctr.rx_malformed++;
        return rc;
    }
    if (d->sig_info.type != DMSC_SIG_ED25519 || !keyloc_ok(&d->sig_info, &h.name)) {
        rt->ctr.hello_bad_sig++;
        return DMSC_ESIG;
    }
    bool same_key = nb->key && memcmp(nb->pubkey, h.pubkey, DMSC_RT_PUBKEY_LEN) == 0;
    if ((rc = verify_with(h.pubkey, same_key ? nb->key : NULL, d, NULL))) {
        rt->ctr.hello_bad_sig++;
        return rc;
    }
    if (!key_allowed(rt, &h.name, h.pubkey)) {
        rt->ctr.hello_untrusted++;
        return DMSC_EKEY;
    }
    if (is_self(rt, h.name.value, h.name.len)) { /* a face looping back to us */
        rt->ctr.rx_malformed++;
        return DMSC_EVALUE;
    }
    uint64_t sample = now - nb->hout[i].sent;
    memmove(nb->hout + i, nb->hout + i + 1, (nb->n_hout - i - 1) * sizeof *nb->hout);
    nb->n_hout--;
    rt->ctr.hello_reply_rx++;
    nb->misses = 0;
    nb->last_reply = now;
    alive(nb, now);
    if (nb->has_name && !name_bytes_eq(nb->name, nb->name_len, h.name.value, h.name.len)) {
        nbr_down(rt, nb, DMSC_NBR_DOWN_RENAMED, now);
        nb->has_name = false;
    }
    if (!nb->has_name) set_nbr_name(nb, &h.name);
    if (!same_key) {
        dmsc_key_t *k = NULL;
        if (dmsc_key_import_raw_public(&k, DMSC_SIG_ED25519, h.pubkey, DMSC_RT_PUBKEY_LEN) == 0) {
            dmsc_key_free(nb->key);
            nb->key = k;
            memcpy(nb->pubkey, h.pubkey, DMSC_RT_PUBKEY_LEN);
        }
    }
    nb->has_peer_digest = h.has_digest;
    nb->peer_digest = h.digest;
    rtt_sample(rt, nb, sample, now);
    if (nb->state == DMSC_NBR_DOWN)
        nbr_up(rt, nb, now);
    else
        anti_entropy(rt, nb, now);
    return 0;
}

/* ==================================================================== */
/* flooding                                                              */
/* ==================================================================== */

static bool ensure_pend(dmsc_router_t *rt, nbr_t *nb)
{
    uint32_t cap = rt->lsdb.cap;
    if (nb->pend_cap >= cap) return true;
    uint8_t *p = realloc(nb->pend, cap);
    if (!p) return false;
    nb->pend = p;
    uint32_t *m = realloc(nb->pend_msg, (size_t)cap * sizeof *m);
    if (!m) return false;
    nb->pend_msg = m;
    memset(p + nb->pend_cap, 0, cap - nb->pend_cap);
    memset(m + nb->pend_cap, 0, (size_t)(cap - nb->pend_cap) * sizeof *m);
    nb->pend_cap = cap;
    return true;
}

static void queue_to(dmsc_router_t *rt, nbr_t *nb, uint32_t slot)
{
    if (nb->state == DMSC_NBR_DOWN || !ensure_pend(rt, nb)) return;
    pend_set(nb, slot, P_QUEUED, 0);
}

/* nb has this version of slot: nothing more to send it. */
static void have(nbr_t *nb, uint32_t slot)
{
    if (slot < nb->pend_cap && nb->pend[slot] != P_NONE) pend_set(nb, slot, P_NONE, 0);
}

static void flood(dmsc_router_t *rt, uint32_t slot, nbr_t *except)
{
    for (uint32_t i = 0; i < rt->n_nbrs; i++)
        if (rt->nbrs[i] != except) queue_to(rt, rt->nbrs[i], slot);
}

static uint64_t remaining(const dmsc_router_t *rt, uint32_t slot, uint64_t now)
{
    uint64_t x = rt->lsdb.e[slot].expires;
    return x > now ? x - now : 0;
}

static bool send_lsu(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    uint32_t slots[LSU_MAX_ENTRIES];
    uint64_t rem_ms[LSU_MAX_ENTRIES];
    uint32_t n = 0;
    size_t total = 0;
    for (uint32_t s = 0; s < nb->pend_cap && n < LSU_MAX_ENTRIES && nb->n_queued; s++) {
        if (nb->pend[s] != P_QUEUED) continue;
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[s];
        uint64_t rem = s < rt->lsdb.cap && e->used ? remaining(rt, s, now) : 0;
        if (rem < rt->cfg.lsa_min_remaining && s != rt->self_slot) {
            pend_set(nb, s, P_NONE, 0); /* about to expire everywhere */
            continue;
        }
        uint64_t ms = rem / MS;
        size_t sz = dmsc_lsu_entry_size(ms, e->len);
        if (total + sz > DMSC_RT_PARAMS_MAX) break;
        total += sz;
        slots[n] = s;
        rem_ms[n] = ms;
        n++;
    }
    if (!n) return false;
    dmsc_enc_t enc;
    size_t end = sizeof rt->pbuf;
    dmsc_enc_init(&enc, rt->pbuf, end);
    for (uint32_t i = n; i-- > 0;)
        dmsc_lsu_entry_prepend(&enc, rem_ms[i], rt->lsdb.e[slots[i]].wire,
                               rt->lsdb.e[slots[i]].len);
    uint64_t seq = ++rt->msgseq;
    if (dmsc_enc_error(&enc) ||
        send_interest(rt, nb->face, DMSC_RT_MSG_LSU, seq, dmsc_enc_data(&enc),
                      end - dmsc_enc_mark(&enc), false, rt->cfg.rxmt_interval)) {
        rt->ctr.send_errors++;
        return false;
    }
    for (uint32_t i = 0; i < n; i++)
        pend_set(nb, slots[i], P_INFLIGHT, (uint32_t)seq);
    inflight_t *f = &nb->infl[nb->n_infl++];
    f->seq = seq;
    f->deadline = now + rt->cfg.rxmt_interval;
    f->kind = MSG_LSU;
    f->session = 0;
    f->page = 0;
    rt->ctr.lsu_tx++;
    return true;
}

static bool send_snp_page(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    uint32_t p;
    for (p = 0; p < nb->npages && nb->pages[p].state != PG_QUEUED; p++) {
    }
    if (p == nb->npages) return false;
    uint64_t seq = ++rt->msgseq;
    if (send_interest(rt, nb->face, DMSC_RT_MSG_SNP, seq, nb->pages[p].buf, nb->pages[p].len, false,
                      rt->cfg.rxmt_interval)) {
        rt->ctr.send_errors++;
        return false;
    }
    nb->pages[p].state = PG_INFLIGHT;
    inflight_t *f = &nb->infl[nb->n_infl++];
    f->seq = seq;
    f->deadline = now + rt->cfg.rxmt_interval;
    f->kind = MSG_SNP;
    f->session = nb->session;
    f->page = p;
    rt->ctr.snp_tx++;
    return true;
}

static void pump(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    if (nb->state == DMSC_NBR_DOWN) return;
    while (nb->n_infl < rt->cfg.window) {
        if (send_snp_page(rt, nb, now)) continue;
        if (nb->n_queued && send_lsu(rt, nb, now)) continue;
        break;
    }
}

static void infl_remove(nbr_t *nb, uint32_t i)
{
    memmove(nb->infl + i, nb->infl + i + 1, (nb->n_infl - i - 1) * sizeof *nb->infl);
    nb->n_infl--;
}

/* An in-flight LSU or SNP was acknowledged (acked) or timed out. */
static void infl_done(dmsc_router_t *rt, nbr_t *nb, uint32_t i, bool acked)
{
    inflight_t f = nb->infl[i];
    infl_remove(nb, i);
    if (f.kind == MSG_LSU) {
        for (uint32_t s = 0; s < nb->pend_cap && nb->n_inflight_lsas; s++)
            if (nb->pend[s] == P_INFLIGHT && nb->pend_msg[s] == (uint32_t)f.seq)
                pend_set(nb, s, acked ? P_NONE : P_QUEUED, 0);
    } else if (f.session == nb->session && f.page < nb->npages &&
               nb->pages[f.page].state == PG_INFLIGHT) {
        if (acked) {
            nb->pages[f.page].state = PG_ACKED;
            free(nb->pages[f.page].buf);
            nb->pages[f.page].buf = NULL;
            if (++nb->pages_acked == nb->npages) nb->snp_done = true;
        } else {
            nb->pages[f.page].state = PG_QUEUED;
        }
    }
}

/* ==================================================================== */
/* summaries (SNP) and loading                                           */
/* ==================================================================== */

typedef struct {
    dmsc_slice_t origin;
    uint32_t slot;
} sorted_t;

static int sorted_cmp(const void *a, const void *b)
{
    const sorted_t *x = a, *y = b;
    return dmsc_rt_name_cmp(x->origin.p, x->origin.n, y->origin.p, y->origin.n);
}

static void start_sync(dmsc_router_t *rt, nbr_t *nb, bool answer, uint64_t now)
{
    /* drop the previous session: its in-flight pages no longer count */
    for (uint32_t i = nb->n_infl; i-- > 0;)
        if (nb->infl[i].kind == MSG_SNP) infl_remove(nb, i);
    free_pages(nb);
    nb->snp_done = false;
    nb->last_sync = now;
    nb->session = ++rt->session_ctr;

    sorted_t *v = malloc(((size_t)rt->lsdb.count + 1) * sizeof *v);
    if (!v) return;
    uint32_t n = 0;
    for (uint32_t s = 0; s < rt->lsdb.cap; s++) {
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[s];
        if (!e->used) continue;
        if (s != rt->self_slot && remaining(rt, s, now) < rt->cfg.lsa_min_remaining) continue;
        v[n].origin = e->origin;
        v[n].slot = s;
        n++;
    }
    qsort(v, n, sizeof *v, sorted_cmp);
    /* page boundaries: greedy fill */
    size_t budget = DMSC_RT_PARAMS_MAX - SNP_HEADER_ROOM;
    uint32_t *bound =
        malloc(((size_t)n + 2) * sizeof *bound); /* bound[p] = first entry of page p */
    if (!bound) {
        free(v);
        return;
    }
    uint32_t np = 0;
    bound[np++] = 0;
    size_t fill = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t sz = dmsc_snp_entry_size(v[i].origin.n, rt->lsdb.e[v[i].slot].seq);
        if (fill + sz > budget && fill > 0) {
            bound[np++] = i;
            fill = 0;
        }
        fill += sz;
    }
    bound[np] = n;
    if (np > DMSC_SNP_MAX_PAGES) np = DMSC_SNP_MAX_PAGES; /* the rest goes by flooding */
    nb->pages = calloc(np, sizeof *nb->pages);
    if (!nb->pages) {
        free(bound);
        free(v);
        return;
    }
    nb->npages = np;
    for (uint32_t p = 0; p < np; p++) {
        dmsc_enc_t enc;
        size_t end = sizeof rt->pbuf;
        dmsc_enc_init(&enc, rt->pbuf, end);
        for (uint32_t i = bound[p + 1]; i-- > bound[p];) {
            const dmsc_lsdb_entry_t *e = &rt->lsdb.e[v[i].slot];
            dmsc_snp_entry_prepend(&enc, e->origin.p, e->origin.n, e->seq, e->hash);
        }
        dmsc_slice_t start = p > 0 ? v[bound[p] - 1].origin : dmsc_slice(NULL, 0);
        dmsc_slice_t last = p + 1 < np ? v[bound[p + 1] - 1].origin : dmsc_slice(NULL, 0);
        dmsc_snp_header_prepend(&enc, nb->session, p, np, answer, p > 0 ? &start : NULL,
                                p + 1 < np ? &last : NULL);
        size_t len = end - dmsc_enc_mark(&enc);
        nb->pages[p].buf = dmsc_enc_error(&enc) ? NULL : malloc(len);
        if (!nb->pages[p].buf) { /* give up this session; anti-entropy retries */
            free_pages(nb);
            break;
        }
        memcpy(nb->pages[p].buf, dmsc_enc_data(&enc), len);
        nb->pages[p].len = (uint32_t)len;
        nb->pages[p].state = PG_QUEUED;
    }
    free(bound);
    free(v);
    pump(rt, nb, now);
}

static bool in_range(const dmsc_slice_t *n, const dmsc_snp_t *s)
{
    if (s->has_start && dmsc_rt_name_cmp(n->p, n->n, s->start.p, s->start.n) <= 0) return false;
    if (s->has_end && dmsc_rt_name_cmp(n->p, n->n, s->end.p, s->end.n) > 0) return false;
    return true;
}

static void add_expect(dmsc_router_t *rt, nbr_t *nb, const dmsc_snp_entry_t *x)
{
    if (nb->state != DMSC_NBR_SYNC || nb->n_expect >= rt->cfg.max_lsas) return;
    if (nb->n_expect == nb->expect_cap) {
        uint32_t c = nb->expect_cap ? nb->expect_cap * 2 : 16;
        expect_t *e = realloc(nb->expect, c * sizeof *e);
        if (!e) return;
        nb->expect = e;
        nb->expect_cap = c;
    }
    expect_t *e = &nb->expect[nb->n_expect];
    e->name = malloc(x->origin.n ? x->origin.n : 1);
    if (!e->name) return;
    memcpy(e->name, x->origin.p, x->origin.n);
    e->len = (uint16_t)x->origin.n;
    e->seq = x->seq;
    e->hash = x->hash;
    nb->n_expect++;
}

static bool ensure_stamp(dmsc_router_t *rt)
{
    if (rt->stamp_cap >= rt->lsdb.cap) return true;
    uint32_t *s = realloc(rt->stamp, (size_t)rt->lsdb.cap * sizeof *s);
    if (!s) return false;
    memset(s + rt->stamp_cap, 0, (size_t)(rt->lsdb.cap - rt->stamp_cap) * sizeof *s);
    rt->stamp = s;
    rt->stamp_cap = rt->lsdb.cap;
    return true;
}

static void on_snp(dmsc_router_t *rt, nbr_t *nb, const dmsc_snp_t *s, uint64_t now)
{
    rt->ctr.snp_rx++;
    if (!nb->has_peer_session || s->session != nb->peer_session ||
        s->page_count != nb->peer_pages) {
        nb->has_peer_session = true;
        nb->peer_session = s->session;
        nb->peer_pages = (uint32_t)s->page_count;
        nb->peer_got = 0;
        memset(nb->peer_seen, 0, sizeof nb->peer_seen);
        /* answer a new summary with ours (it needs ours to finish loading),
         * unless ours is on its way anyway; answers are not answered */
        bool ours_in_progress = nb->npages && !nb->snp_done;
        if (!s->answer && !ours_in_progress) start_sync(rt, nb, true, now);
    }
    uint32_t pg = (uint32_t)s->page;
    if (!(nb->peer_seen[pg / 8] & (1u << (pg % 8)))) {
        nb->peer_seen[pg / 8] |= (uint8_t)(1u << (pg % 8));
        nb->peer_got++;
    }
    if (!ensure_stamp(rt) || !ensure_pend(rt, nb)) return;
    if (++rt->epoch == 0) {
        memset(rt->stamp, 0, (size_t)rt->stamp_cap * sizeof *rt->stamp);
        rt->epoch = 1;
    }
    dmsc_snp_iter_t it;
    dmsc_snp_iter_init(&it, s);
    dmsc_snp_entry_t x;
    while (dmsc_snp_next(&it, &x)) {
        uint32_t slot = dmsc_lsdb_find(&rt->lsdb, x.origin.p, x.origin.n);
        if (slot == DMSC_LSDB_NONE) {
            add_expect(rt, nb, &x);
            continue;
        }
        rt->stamp[slot] = rt->epoch;
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[slot];
        int c = dmsc_lsdb_cmp(e->seq, e->hash, x.seq, x.hash);
        if (c > 0)
            queue_to(rt, nb, slot);
        else if (c < 0)
            add_expect(rt, nb, &x);
        else
            have(nb, slot);
    }
    /* ours in the range that it did not list */
    for (uint32_t slot = 0; slot < rt->lsdb.cap; slot++) {
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[slot];
        if (!e->used || rt->stamp[slot] == rt->epoch) continue;
        if (slot != rt->self_slot && remaining(rt, slot, now) < rt->cfg.lsa_min_remaining) continue;
        if (in_range(&e->origin, s)) queue_to(rt, nb, slot);
    }
}

static void check_loading(dmsc_router_t *rt, nbr_t *nb, uint64_t now)
{
    if (nb->state != DMSC_NBR_SYNC) return;
    for (uint32_t i = nb->n_expect; i-- > 0;) {
        expect_t *x = &nb->expect[i];
        uint32_t s = dmsc_lsdb_find(&rt->lsdb, x->name, x->len);
        if (s == DMSC_LSDB_NONE) continue;
        if (dmsc_lsdb_cmp(rt->lsdb.e[s].seq, rt->lsdb.e[s].hash, x->seq, x->hash) < 0) continue;
        free(x->name);
        nb->expect[i] = nb->expect[--nb->n_expect];
    }
    bool peer_done = nb->has_peer_session && nb->peer_got >= nb->peer_pages;
    if (nb->snp_done && peer_done && nb->n_expect == 0) {
        nbr_full(rt, nb, now);
    } else if (now >= nb->loading_deadline) {
        rt->ctr.loading_timeouts++;
        nbr_full(rt, nb, now);
    }
}

/* ==================================================================== */
/* LSA acceptance                                                        */
/* ==================================================================== */

static void reject(dmsc_router_t *rt, nbr_t *from, const dmsc_name_t *origin, int reason)
{
    if (!rt->io.event) return;
    dmsc_router_event_t ev = {
        DMSC_ROUTER_EV_LSA_REJECT, from ? from->face : 0, origin, 0, 0, 0, reason};
    rt->io.event(rt->io.ctx, &ev);
}

/* Returns 0 installed, 1 not installed (not newer, or own), < 0 rejected. */
static int process_lsa(dmsc_router_t *rt, nbr_t *from, const uint8_t *wire, size_t len,
                       uint64_t rem, uint64_t now)
{
    dmsc_lsa_t lsa;
    int rc = dmsc_lsa_decode(&lsa, wire, len);
    if (rc) {
        rt->ctr.lsa_malformed++;
        reject(rt, from, NULL, rc);
        return rc;
    }
    const dmsc_name_t *origin = &lsa.origin;
    uint64_t hash = dmsc_lsdb_lsa_hash(wire, len);
    uint32_t slot = dmsc_lsdb_find(&rt->lsdb, origin->value, origin->len);

    if (is_self(rt, origin->value, origin->len)) {
        int c = dmsc_lsdb_cmp(lsa.seq, hash, rt->own_seq, rt->own_hash);
        if (c == 0) {
            if (from && slot != DMSC_LSDB_NONE) have(from, slot);
            rt->ctr.lsa_dup++;
        } else if (c < 0) {
            if (from && slot != DMSC_LSDB_NONE) queue_to(rt, from, slot);
            rt->ctr.lsa_old++;
        } else if (!key_allowed(rt, origin, lsa.content.pubkey)) {
            rt->ctr.lsa_untrusted++;
            reject(rt, from, origin, DMSC_EKEY);
            return DMSC_EKEY;
        } else if ((rc = dmsc_lsa_verify(&lsa)) != 0) {
            rt->ctr.lsa_bad_sig++;
            reject(rt, from, origin, rc);
            return rc;
        } else {
            /* a copy from before a restart: jump above it */
            if (lsa.seq > rt->own_seq) rt->own_seq = lsa.seq;
            rt->own_forced = true;
            rt->orig_due = now;
            rt->ctr.self_bumps++;
        }
        return 1;
    }
    if (slot != DMSC_LSDB_NONE) {
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[slot];
        int c = dmsc_lsdb_cmp(lsa.seq, hash, e->seq, e->hash);
        if (c == 0) {
            if (from) have(from, slot);
            rt->ctr.lsa_dup++;
            return 1;
        }
        if (c < 0) {
            if (from) queue_to(rt, from, slot);
            rt->ctr.lsa_old++;
            return 1;
        }
    }
    uint64_t life = lsa.content.lifetime_ms * MS;
    if (rem > life) rem = life;
    if (rem < rt->cfg.lsa_min_remaining) {
        rt->ctr.lsa_expiring++;
        return 1;
    }
    dmsc_key_t *cached = NULL;
    if (slot != DMSC_LSDB_NONE && rt->lsdb.e[slot].key &&
        memcmp(rt->lsdb.e[slot].pubkey, lsa.content.pubkey, DMSC_RT_PUBKEY_LEN) == 0)
        cached = rt->lsdb.e[slot].key;
    if (!cached && !key_allowed(rt, origin, lsa.content.pubkey)) {
        rt->ctr.lsa_untrusted++;
        reject(rt, from, origin, DMSC_EKEY);
        return DMSC_EKEY;
    }
    dmsc_key_t *k = cached;
    if (!k && (rc = dmsc_key_import_raw_public(&k, DMSC_SIG_ED25519, lsa.content.pubkey,
                                               DMSC_RT_PUBKEY_LEN))) {
        rt->ctr.lsa_bad_sig++;
        reject(rt, from, origin, rc);
        return rc;
    }
    const dmsc_verifier_t *v;
    rc = dmsc_key_verifier(k, &v);
    if (!rc) rc = dmsc_data_verify(&lsa.data, v);
    if (rc) {
        if (k != cached) dmsc_key_free(k);
        rt->ctr.lsa_bad_sig++;
        reject(rt, from, origin, rc);
        return rc;
    }
    if ((rc = dmsc_lsdb_put(&rt->lsdb, wire, len, hash, now + rem, now, k, &slot))) {
        if (k != cached) dmsc_key_free(k);
        rt->ctr.lsa_no_room++;
        reject(rt, from, origin, rc);
        return rc;
    }
    dmsc_lsdb_entry_t *e = &rt->lsdb.e[slot];
    if (rt->trust.allow_prefix) {
        for (uint32_t i = 0; i < e->n_pfx; i++) {
            dmsc_name_t pn, on;
            view(&pn, e->pfx[i].name.p, e->pfx[i].name.n);
            view(&on, e->origin.p, e->origin.n);
            e->pfx[i].allowed = rt->trust.allow_prefix(rt->trust.ctx, &on, &pn);
        }
    }
    rt->ctr.lsa_installed++;
    flood(rt, slot, from);
    if (from) have(from, slot);
    mark_spf(rt, now);
    return 0;
}

static void on_lsu(dmsc_router_t *rt, nbr_t *nb, const dmsc_slice_t *params, uint64_t now)
{
    rt->ctr.lsu_rx++;
    if (dmsc_lsu_check(params->p, params->n) < 0) {
        rt->ctr.rx_malformed++;
        return;
    }
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, params->p, params->n);
    uint64_t rem_ms;
    dmsc_slice_t lsa;
    while (dmsc_lsu_next(&r, &rem_ms, &lsa)) {
        rt->ctr.lsa_rx++;
        uint64_t rem = rem_ms > UINT64_MAX / MS ? UINT64_MAX : rem_ms * MS;
        process_lsa(rt, nb, lsa.p, lsa.n, rem, now);
    }
}

/* ==================================================================== */
/* origination                                                           */
/* ==================================================================== */

static int adj_cmp(const void *a, const void *b)
{
    const dmsc_lsa_adj_t *x = a, *y = b;
    return dmsc_rt_name_cmp(x->name.p, x->name.n, y->name.p, y->name.n);
}

static int pfx_cmp(const void *a, const void *b)
{
    const dmsc_lsa_prefix_t *x = a, *y = b;
    return dmsc_rt_name_cmp(x->name.p, x->name.n, y->name.p, y->name.n);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* Our prefixes, one per name (lowest cost, summed load and capacity),
 * sorted. Returns the count; *out is malloc'd (NULL when 0). */
static size_t aggregate_prefixes(const dmsc_router_t *rt, dmsc_lsa_prefix_t **out)
{
    *out = NULL;
    if (!rt->n_lpfx) return 0;
    dmsc_lsa_prefix_t *p = malloc(rt->n_lpfx * sizeof *p);
    if (!p) return 0;
    for (uint32_t i = 0; i < rt->n_lpfx; i++) {
        p[i].name = dmsc_slice(rt->lpfx[i].name, rt->lpfx[i].len);
        p[i].cost = rt->lpfx[i].attr.cost;
        p[i].load = rt->lpfx[i].attr.load;
        p[i].capacity = rt->lpfx[i].attr.capacity;
    }
    qsort(p, rt->n_lpfx, sizeof *p, pfx_cmp);
    size_t n = 0;
    for (uint32_t i = 0; i < rt->n_lpfx; i++) {
        if (n && dmsc_slice_eq(p[n - 1].name, p[i].name)) {
            if (p[i].cost < p[n - 1].cost) p[n - 1].cost = p[i].cost;
            p[n - 1].load = sat_add(p[n - 1].load, p[i].load);
            p[n - 1].capacity = sat_add(p[n - 1].capacity, p[i].capacity);
        } else {
            p[n++] = p[i];
        }
    }
    *out = p;
    return n;
}

static size_t build_adjacencies(const dmsc_router_t *rt, dmsc_lsa_adj_t **out)
{
    *out = NULL;
    if (!rt->n_nbrs) return 0;
    dmsc_lsa_adj_t *a = malloc(rt->n_nbrs * sizeof *a);
    if (!a) return 0;
    size_t n = 0;
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        const nbr_t *nb = rt->nbrs[i];
        if (nb->state != DMSC_NBR_FULL || !nb->has_name) continue;
        dmsc_slice_t nm = dmsc_slice(nb->name, nb->name_len);
        size_t j;
        for (j = 0; j < n && !dmsc_slice_eq(a[j].name, nm); j++) {
        }
        if (j < n) { /* parallel links: the cheapest */
            if (nb->adv_cost < a[j].cost) a[j].cost = nb->adv_cost;
            continue;
        }
        a[n].name = nm;
        a[n].cost = nb->adv_cost;
        n++;
    }
    qsort(a, n, sizeof *a, adj_cmp);
    *out = a;
    return n;
}

static void originate(dmsc_router_t *rt, uint64_t now)
{
    dmsc_lsa_adj_t *adj;
    dmsc_lsa_prefix_t *pfx;
    size_t n_adj = build_adjacencies(rt, &adj);
    size_t n_pfx = aggregate_prefixes(rt, &pfx);
    uint64_t life_ms = rt->cfg.lsa_lifetime / MS;
    /* what the packet adds around the content: name, signature, headers */
    size_t room = 2 * rt->name.name.len + 200;
    while (dmsc_lsa_content_size(life_ms, adj, n_adj, pfx, n_pfx) + room > DMSC_LSA_MAX_SIZE) {
        if (n_pfx)
            n_pfx--; /* cannot happen through prefix_add's check */
        else if (n_adj)
            n_adj--;
        else
            break;
    }
    /* unchanged content and no refresh due: nothing to do */
    size_t csize = dmsc_lsa_content_size(life_ms, adj, n_adj, pfx, n_pfx);
    uint8_t *content = malloc(csize ? csize : 1);
    if (!content) goto done;
    dmsc_enc_t e;
    dmsc_enc_init(&e, content, csize);
    dmsc_lsa_content_prepend(&e, life_ms, rt->pubkey, adj, n_adj, pfx, n_pfx);
    if (!rt->own_forced && rt->originated && rt->own_content_len == csize &&
        memcmp(rt->own_content, content, csize) == 0) {
        free(content);
        goto done;
    }
    uint64_t seq = rt->own_seq + 1;
    if (rt->cfg.seq_reserve_block && seq > rt->reserved_seq) {
        rt->reserved_seq = seq + rt->cfg.seq_reserve_block - 1;
        emit(rt, DMSC_ROUTER_EV_SEQ_RESERVE, NULL, &rt->name.name, 0, 0, rt->reserved_seq, 0);
    }
    dmsc_slice_t wire;
    int rc = dmsc_lsa_encode(&rt->name.name, seq, life_ms, rt->pubkey, adj, n_adj, pfx, n_pfx,
                             rt->signer, rt->lsabuf, sizeof rt->lsabuf, &wire);
    uint32_t slot;
    uint64_t hash = rc ? 0 : dmsc_lsdb_lsa_hash(wire.p, wire.n);
    if (rc || dmsc_lsdb_put(&rt->lsdb, wire.p, wire.n, hash, now + rt->cfg.lsa_lifetime, now, NULL,
                            &slot)) {
        free(content); /* retried at the next timer run */
        rt->orig_due = now + rt->cfg.lsa_min_interval;
        free(adj);
        free(pfx);
        return;
    }
    free(rt->own_content);
    rt->own_content = content;
    rt->own_content_len = csize;
    rt->self_slot = slot;
    rt->own_seq = seq;
    rt->own_hash = hash;
    rt->originated = true;
    rt->last_orig = now;
    rt->refresh_due = now + rt->cfg.lsa_refresh;
    rt->ctr.lsa_originated++;
    flood(rt, slot, NULL);
    mark_spf(rt, now);
    emit(rt, DMSC_ROUTER_EV_ORIGINATE, NULL, &rt->name.name, 0, 0, seq, 0);
done:
    rt->own_dirty = rt->own_forced = false;
    free(adj);
    free(pfx);
}

/* ==================================================================== */
/* aging                                                                 */
/* ==================================================================== */

static void age(dmsc_router_t *rt, uint64_t now)
{
    if (now < rt->lsdb.next_expiry) return;
    bool changed = false;
    for (uint32_t s = 0; s < rt->lsdb.cap; s++) {
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[s];
        if (!e->used || e->expires > now) continue;
        if (s == rt->self_slot) { /* refresh failed to keep up: originate now */
            rt->own_forced = true;
            rt->orig_due = now;
            continue;
        }
        for (uint32_t i = 0; i < rt->n_nbrs; i++)
            have(rt->nbrs[i], s);
        dmsc_lsdb_remove(&rt->lsdb, s, now);
        rt->ctr.lsa_expired++;
        changed = true;
    }
    dmsc_lsdb_update_expiry(&rt->lsdb);
    if (rt->self_slot != DMSC_LSDB_NONE && rt->lsdb.next_expiry <= now)
        rt->lsdb.next_expiry = now + rt->cfg.lsa_min_interval; /* own entry awaiting refresh */
    if (changed) mark_spf(rt, now);
}

/* ==================================================================== */
/* SPF and routes                                                        */
/* ==================================================================== */

static bool lists(const dmsc_lsdb_entry_t *v, uint32_t u)
{
    for (uint32_t i = 0; i < v->n_adj; i++)
        if (v->adj[i].slot == u) return true;
    return false;
}

static int grow(void **p, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < want)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return DMSC_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

typedef struct {
    dmsc_router_t *rt;
} diff_ctx_t;

static void diff_add(void *ctx, const uint8_t *key, size_t len, dmsc_faceid_t face, uint64_t cost)
{
    dmsc_router_t *rt = ctx;
    dmsc_name_t n;
    view(&n, key, len);
    rt->ctr.route_adds++;
    if (rt->io.route_add(rt->io.ctx, &n, face, cost) < 0) rt->ctr.route_errors++;
}

static void diff_remove(void *ctx, const uint8_t *key, size_t len, dmsc_faceid_t face)
{
    dmsc_router_t *rt = ctx;
    dmsc_name_t n;
    view(&n, key, len);
    rt->ctr.route_removes++;
    rt->io.route_remove(rt->io.ctx, &n, face);
}

static int run_spf(dmsc_router_t *rt, uint64_t now)
{
    rt->spf_pending = false;
    rt->last_spf = now;
    if (rt->self_slot == DMSC_LSDB_NONE) return 0;
    dmsc_lsdb_t *l = &rt->lsdb;
    uint32_t n = l->cap;

    /* resolve adjacency names to slots, count edges */
    size_t edges = 0;
    for (uint32_t u = 0; u < n; u++) {
        dmsc_lsdb_entry_t *e = &l->e[u];
        if (!e->used) continue;
        for (uint32_t i = 0; i < e->n_adj; i++)
            e->adj[i].slot = dmsc_lsdb_find(l, e->adj[i].name.p, e->adj[i].name.n);
        edges += e->n_adj;
    }
    if (grow((void **)&rt->g_off, &rt->g_nodes_cap, (size_t)n + 1, sizeof *rt->g_off) ||
        grow((void **)&rt->g_dst, &rt->g_edges_cap, edges + 1, sizeof *rt->g_dst))
        return DMSC_ENOMEM;
    uint64_t *gc = realloc(rt->g_cost, rt->g_edges_cap * sizeof *gc);
    if (!gc) return DMSC_ENOMEM;
    rt->g_cost = gc;
    /* edges that both ends advertise */
    size_t at = 0;
    for (uint32_t u = 0; u < n; u++) {
        rt->g_off[u] = (uint32_t)at;
        const dmsc_lsdb_entry_t *e = &l->e[u];
        if (!e->used) continue;
        for (uint32_t i = 0; i < e->n_adj; i++) {
            uint32_t v = e->adj[i].slot;
            if (v == DMSC_LSDB_NONE || v == u || !lists(&l->e[v], u)) continue;
            rt->g_dst[at] = v;
            rt->g_cost[at] = e->adj[i].cost ? e->adj[i].cost : 1;
            at++;
        }
    }
    rt->g_off[n] = (uint32_t)at;
    /* our links: FULL faces whose neighbor lists us */
    if (grow((void **)&rt->links, &rt->links_cap, rt->n_nbrs + 1, sizeof *rt->links))
        return DMSC_ENOMEM;
    dmsc_faceid_t *lf = realloc(rt->link_face, rt->links_cap * sizeof *lf);
    if (!lf) return DMSC_ENOMEM;
    rt->link_face = lf;
    size_t nlinks = 0;
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        const nbr_t *nb = rt->nbrs[i];
        if (nb->state != DMSC_NBR_FULL || !nb->has_name) continue;
        uint32_t v = dmsc_lsdb_find(l, nb->name, nb->name_len);
        if (v == DMSC_LSDB_NONE || v == rt->self_slot || !lists(&l->e[v], rt->self_slot)) continue;
        rt->links[nlinks].nbr = v;
        rt->links[nlinks].cost = nb->adv_cost ? nb->adv_cost : 1;
        rt->link_face[nlinks] = nb->face;
        nlinks++;
    }
    dmsc_spf_graph_t g = {n, rt->g_off, rt->g_dst, rt->g_cost};
    dmsc_spf_opts_t o = {rt->cfg.mp_bound_pct, rt->cfg.max_nexthops};
    int rc = dmsc_spf_run(&rt->spf, &g, rt->self_slot, rt->links, nlinks, &o);
    if (rc) return rc;

    /* routes: every reachable node's name and prefixes */
    dmsc_rtable_t *t = &rt->tables[!rt->installed];
    dmsc_rtable_clear(t);
    const dmsc_lsdb_entry_t *self = &l->e[rt->self_slot];
    if (dmsc_rtable_key(t, self->origin.p, self->origin.n, DMSC_RTABLE_EXCLUDED) < 0)
        return DMSC_ENOMEM;
    for (uint32_t i = 0; i < rt->n_lpfx; i++)
        if (dmsc_rtable_key(t, rt->lpfx[i].name, rt->lpfx[i].len, DMSC_RTABLE_EXCLUDED) < 0)
            return DMSC_ENOMEM;
    uint32_t reachable = 0;
    for (uint32_t x = 0; x < n; x++) {
        const dmsc_lsdb_entry_t *e = &l->e[x];
        if (!e->used || x == rt->self_slot) continue;
        const dmsc_spf_nh_t *nh;
        size_t nn = dmsc_spf_nexthops(&rt->spf, x, &nh);
        if (!nn) continue;
        reachable++;
        int64_t k = dmsc_rtable_key(t, e->origin.p, e->origin.n, 0);
        if (k < 0) return DMSC_ENOMEM;
        for (size_t j = 0; j < nn; j++)
            if (dmsc_rtable_cand(t, (uint32_t)k, rt->link_face[nh[j].link], nh[j].cost, x))
                return DMSC_ENOMEM;
        for (uint32_t p = 0; p < e->n_pfx; p++) {
            if (!e->pfx[p].allowed) continue;
            k = dmsc_rtable_key(t, e->pfx[p].name.p, e->pfx[p].name.n, 0);
            if (k < 0) return DMSC_ENOMEM;
            for (size_t j = 0; j < nn; j++) {
                uint64_t c = nh[j].cost + e->pfx[p].cost;
                if (dmsc_rtable_cand(t, (uint32_t)k, rt->link_face[nh[j].link], c, x))
                    return DMSC_ENOMEM;
            }
        }
    }
    if ((rc = dmsc_rtable_finish(t, rt->cfg.max_prefix_nexthops))) return rc;
    dmsc_rtable_diff_cb_t cb = {rt, diff_add, diff_remove};
    dmsc_rtable_diff(&rt->tables[rt->installed], t, &cb);
    rt->installed = !rt->installed;
    rt->reachable = reachable;
    rt->applied_digest = l->digest;
    rt->applied_at = now;
    rt->ctr.spf_runs++;
    return 0;
}

int dmsc_router_spf_now(dmsc_router_t *rt, uint64_t now)
{
    return run_spf(rt, now);
}

/* ==================================================================== */
/* timers and input                                                      */
/* ==================================================================== */

/* After any input: originate if due, send what is queued, finish loading. */
static void settle(dmsc_router_t *rt, uint64_t now)
{
    if ((rt->own_dirty || rt->own_forced) && now >= rt->orig_due) originate(rt, now);
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        check_loading(rt, rt->nbrs[i], now);
        pump(rt, rt->nbrs[i], now);
    }
    /* loading may have finished: that changes our LSA */
    if ((rt->own_dirty || rt->own_forced) && now >= rt->orig_due) {
        originate(rt, now);
        for (uint32_t i = 0; i < rt->n_nbrs; i++)
            pump(rt, rt->nbrs[i], now);
    }
}

uint64_t dmsc_router_next_deadline(const dmsc_router_t *rt)
{
    uint64_t d = UINT64_MAX;
#define MIN(x)                                                                                     \
    do {                                                                                           \
        if ((x) < d) d = (x);                                                                      \
    } while (0)
    if (rt->own_dirty || rt->own_forced) MIN(rt->orig_due);
    if (rt->originated) MIN(rt->refresh_due);
    if (rt->spf_pending) MIN(rt->spf_due);
    MIN(rt->lsdb.next_expiry);
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        const nbr_t *nb = rt->nbrs[i];
        MIN(nb->next_hello);
        for (uint32_t j = 0; j < nb->n_hout; j++)
            MIN(nb->hout[j].deadline);
        for (uint32_t j = 0; j < nb->n_infl; j++)
            MIN(nb->infl[j].deadline);
        if (nb->state == DMSC_NBR_SYNC) MIN(nb->loading_deadline);
    }
#undef MIN
    return d;
}

uint64_t dmsc_router_run_timers(dmsc_router_t *rt, uint64_t now)
{
    age(rt, now);
    if (rt->originated && now >= rt->refresh_due && !rt->own_forced) {
        rt->own_forced = true;
        rt->orig_due = now;
    }
    if ((rt->own_dirty || rt->own_forced) && now >= rt->orig_due) originate(rt, now);
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        nbr_t *nb = rt->nbrs[i];
        bool unreach_confirmed = false;
        /* hello misses */
        for (uint32_t j = 0; j < nb->n_hout;) {
            if (nb->hout[j].deadline > now) {
                j++;
                continue;
            }
            uint64_t sent = nb->hout[j].sent;
            memmove(nb->hout + j, nb->hout + j + 1, (nb->n_hout - j - 1) * sizeof *nb->hout);
            nb->n_hout--;
            rt->ctr.hello_miss++;
            if (nb->state != DMSC_NBR_DOWN && nb->last_life >= sent) {
                /* its reply was lost, but the neighbor spoke since: alive */
                rt->ctr.miss_excused++;
                nb->misses = 0;
            } else {
                nb->misses++;
                /* the hello confirming an unreachable report (or a later
                 * one) went unanswered with nothing heard: it was right */
                if (nb->unreach_n && sent >= nb->unreach_first) unreach_confirmed = true;
            }
        }
        if (unreach_confirmed && nb->state != DMSC_NBR_DOWN)
            nbr_down(rt, nb, DMSC_NBR_DOWN_UNREACHABLE, now);
        /* dead: dead_misses hellos in a row unanswered with nothing else
         * heard, or (a one-way link: we hear it, it does not hear us) no
         * reply at all for twice that long */
        if (nb->state != DMSC_NBR_DOWN &&
            (nb->misses >= rt->cfg.dead_misses ||
             now - nb->last_reply >=
                 2 * rt->cfg.dead_misses * rt->cfg.hello_interval + rt->cfg.hello_timeout))
            nbr_down(rt, nb, DMSC_NBR_DOWN_HELLO, now);
        if (now >= nb->next_hello) send_hello(rt, nb, now);
        /* retransmission */
        for (uint32_t j = nb->n_infl; j-- > 0;) {
            if (nb->infl[j].deadline <= now) {
                rt->ctr.rxmt++;
                infl_done(rt, nb, j, false);
            }
        }
    }
    settle(rt, now);
    if (rt->spf_pending && now >= rt->spf_due && run_spf(rt, now) != 0)
        mark_spf(rt, now); /* out of memory: try again after spf_hold */
    return dmsc_router_next_deadline(rt);
}

int dmsc_router_face_add(dmsc_router_t *rt, dmsc_faceid_t face, uint64_t static_cost, uint64_t now)
{
    if (face == DMSC_FACEID_INVALID || find_nbr(rt, face) || static_cost > DMSC_RT_COST_MAX)
        return DMSC_EINVAL;
    nbr_t *nb;
    return add_face(rt, face, static_cost, now, &nb);
}

int dmsc_router_face_remove(dmsc_router_t *rt, dmsc_faceid_t face, uint64_t now)
{
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        nbr_t *nb = rt->nbrs[i];
        if (nb->face != face) continue;
        nbr_down(rt, nb, DMSC_NBR_DOWN_FACE, now);
        nbr_free(nb);
        memmove(rt->nbrs + i, rt->nbrs + i + 1, (rt->n_nbrs - i - 1) * sizeof *rt->nbrs);
        rt->n_nbrs--;
        settle(rt, now);
        return 0;
    }
    return 1;
}

int dmsc_router_face_unreachable(dmsc_router_t *rt, dmsc_faceid_t face, uint64_t now)
{
    nbr_t *nb = find_nbr(rt, face);
    if (!nb) return 1;
    rt->ctr.unreachable++;
    if (!rt->cfg.unreachable_reports || nb->state == DMSC_NBR_DOWN) return 1;
    if (!nb->unreach_n ||
        now - nb->unreach_first > rt->cfg.hello_interval + rt->cfg.hello_timeout) {
        nb->unreach_n = 0;
        nb->unreach_first = now;
    }
    if (++nb->unreach_n >= rt->cfg.unreachable_reports) {
        nbr_down(rt, nb, DMSC_NBR_DOWN_UNREACHABLE, now);
    } else if (nb->unreach_n == 1) {
        /* confirm now: if the neighbor is gone, this draws the next report
         * one RTT from now; if it answers, the report was stale */
        send_hello(rt, nb, now);
    }
    settle(rt, now);
    return 0;
}

static int on_interest(dmsc_router_t *rt, dmsc_faceid_t face, const dmsc_pkt_t *pkt, uint64_t now)
{
    dmsc_interest_t in;
    int rc = dmsc_interest_decode(&in, pkt->wire, pkt->len, DMSC_RT_MSG_MAX);
    int kind;
    dmsc_name_t sender;
    uint64_t seq;
    if (!rc) rc = dmsc_rtmsg_name_parse(&in.name, &kind, &sender, &seq);
    if (!rc && !in.has_app_params) rc = DMSC_EMISSING;
    if (rc) {
        rt->ctr.rx_malformed++;
        return rc;
    }
    nbr_t *nb = find_nbr(rt, face);
    if (kind == DMSC_RT_MSG_HELLO) return on_hello_interest(rt, nb, face, &in, &sender, pkt, now);
    if (!nb || nb->state == DMSC_NBR_DOWN || !nb->has_name ||
        !name_bytes_eq(nb->name, nb->name_len, sender.value, sender.len)) {
        rt->ctr.rx_not_adjacent++;
        return DMSC_EVALUE;
    }
    alive(nb, now);
    if (kind == DMSC_RT_MSG_LSU) {
        on_lsu(rt, nb, &in.app_params, now);
    } else {
        dmsc_snp_t s;
        if ((rc = dmsc_snp_decode(&s, in.app_params.p, in.app_params.n))) {
            rt->ctr.rx_malformed++;
        } else {
            on_snp(rt, nb, &s, now);
        }
    }
    /* the acknowledgement (also of what we could not use: resending it would not help) */
    send_data(rt, face, &in.name, NULL, 0, false, pkt->pit_token);
    return rc;
}

static int on_data(dmsc_router_t *rt, dmsc_faceid_t face, const dmsc_pkt_t *pkt, uint64_t now)
{
    dmsc_data_t d;
    int rc = dmsc_data_decode(&d, pkt->wire, pkt->len, DMSC_RT_MSG_MAX);
    int kind;
    dmsc_name_t sender;
    uint64_t seq;
    if (!rc) rc = dmsc_rtmsg_name_parse(&d.name, &kind, &sender, &seq);
    if (rc) {
        rt->ctr.rx_malformed++;
        return rc;
    }
    if (!is_self(rt, sender.value, sender.len)) {
        rt->ctr.rx_unmatched++;
        return DMSC_EVALUE;
    }
    nbr_t *nb = find_nbr(rt, face);
    if (!nb) {
        rt->ctr.rx_unknown_face++;
        return DMSC_EVALUE;
    }
    if (kind == DMSC_RT_MSG_HELLO) return on_hello_data(rt, nb, &d, seq, now);
    if (dmsc_data_verify(&d, dmsc_sig_digest_verifier())) {
        rt->ctr.rx_malformed++;
        return DMSC_ESIG;
    }
    for (uint32_t i = 0; i < nb->n_infl; i++) {
        if (nb->infl[i].seq == seq && nb->infl[i].kind == kind) {
            if (kind == MSG_LSU)
                rt->ctr.lsu_ack_rx++;
            else
                rt->ctr.snp_ack_rx++;
            alive(nb, now);
            infl_done(rt, nb, i, true);
            return 0;
        }
    }
    rt->ctr.rx_unmatched++;
    return DMSC_EVALUE;
}

int dmsc_router_receive(dmsc_router_t *rt, dmsc_faceid_t face, const dmsc_pkt_t *pkt, uint64_t now)
{
    int rc;
    switch (pkt->kind) {
    case DMSC_PKT_INTEREST:
        rc = on_interest(rt, face, pkt, now);
        break;
    case DMSC_PKT_DATA:
        rc = on_data(rt, face, pkt, now);
        break;
    case DMSC_PKT_NACK:
        /* the timers retransmit or count a miss */
        rt->ctr.rx_nack++;
        rc = 0;
        break;
    default:
        rt->ctr.rx_malformed++;
        rc = DMSC_EINVAL;
    }
    settle(rt, now);
    return rc;
}

int dmsc_router_lsa_install(dmsc_router_t *rt, const uint8_t *wire, size_t len, uint64_t rem,
                            uint64_t now)
{
    int rc = process_lsa(rt, NULL, wire, len, rem, now);
    settle(rt, now);
    return rc;
}

/* ==================================================================== */
/* local prefixes                                                        */
/* ==================================================================== */

static int64_t lpfx_find(const dmsc_router_t *rt, const dmsc_name_t *p, uint64_t owner)
{
    for (uint32_t i = 0; i < rt->n_lpfx; i++)
        if (rt->lpfx[i].owner == owner &&
            name_bytes_eq(rt->lpfx[i].name, rt->lpfx[i].len, p->value, p->len))
            return i;
    return -1;
}

/* Does a change of prefix p need a new LSA? Compares what we would
 * advertise now with what our current LSA says. */
static bool prefix_changed(const dmsc_router_t *rt, const uint8_t *name, size_t len)
{
    bool present = false;
    dmsc_lsa_prefix_t agg = {dmsc_slice(name, len), UINT64_MAX, 0, 0};
    for (uint32_t i = 0; i < rt->n_lpfx; i++) {
        if (!name_bytes_eq(rt->lpfx[i].name, rt->lpfx[i].len, name, len)) continue;
        present = true;
        if (rt->lpfx[i].attr.cost < agg.cost) agg.cost = rt->lpfx[i].attr.cost;
        agg.load = sat_add(agg.load, rt->lpfx[i].attr.load);
        agg.capacity = sat_add(agg.capacity, rt->lpfx[i].attr.capacity);
    }
    const dmsc_lsdb_pfx_t *adv = NULL;
    if (rt->self_slot != DMSC_LSDB_NONE) {
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[rt->self_slot];
        for (uint32_t i = 0; i < e->n_pfx && !adv; i++)
            if (name_bytes_eq(e->pfx[i].name.p, e->pfx[i].name.n, name, len)) adv = &e->pfx[i];
    }
    if (!present || !adv) return present || adv;
    if (agg.cost != adv->cost) return true;
    uint64_t a[2] = {agg.load, agg.capacity}, b[2] = {adv->load, adv->capacity};
    for (int i = 0; i < 2; i++) {
        uint64_t diff = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        uint64_t base = b[i] ? b[i] : 1;
        if (diff > base / 10) return true;
    }
    return false;
}

int dmsc_router_prefix_add(dmsc_router_t *rt, const dmsc_name_t *prefix, uint64_t owner,
                           const dmsc_router_prefix_attr_t *attr, uint64_t now)
{
    static const dmsc_router_prefix_attr_t none = {0, 0, 0};
    if (!attr) attr = &none;
    if (!prefix || prefix->ncomps == 0 || prefix->len > PREFIX_NAME_MAX ||
        attr->cost > DMSC_RT_COST_MAX)
        return DMSC_EINVAL;
    int64_t i = lpfx_find(rt, prefix, owner);
    if (i < 0) {
        if (rt->n_lpfx >= rt->cfg.max_local_prefixes) return DMSC_ENOMEM;
        /* would our LSA still fit? (a name already advertised adds nothing) */
        bool known = false;
        for (uint32_t j = 0; j < rt->n_lpfx && !known; j++)
            known = name_bytes_eq(rt->lpfx[j].name, rt->lpfx[j].len, prefix->value, prefix->len);
        if (!known) {
            dmsc_lsa_adj_t *adj;
            dmsc_lsa_prefix_t *pfx;
            size_t n_adj = build_adjacencies(rt, &adj);
            size_t n_pfx = aggregate_prefixes(rt, &pfx);
            dmsc_lsa_prefix_t np = {dmsc_slice(prefix->value, prefix->len), attr->cost, UINT64_MAX,
                                    UINT64_MAX};
            size_t sz = dmsc_lsa_content_size(rt->cfg.lsa_lifetime / MS, adj, n_adj, pfx, n_pfx) +
                        dmsc_lsa_content_size(0, NULL, 0, &np, 1) + 2 * rt->name.name.len + 200;
            free(adj);
            free(pfx);
            if (sz > DMSC_LSA_MAX_SIZE) return DMSC_ENOBUFS;
        }
        if (rt->n_lpfx == rt->lpfx_cap) {
            uint32_t c = rt->lpfx_cap ? rt->lpfx_cap * 2 : 16;
            lpfx_t *a = realloc(rt->lpfx, c * sizeof *a);
            if (!a) return DMSC_ENOMEM;
            rt->lpfx = a;
            rt->lpfx_cap = c;
        }
        lpfx_t *p = &rt->lpfx[rt->n_lpfx];
        p->name = malloc(prefix->len);
        if (!p->name) return DMSC_ENOMEM;
        memcpy(p->name, prefix->value, prefix->len);
        p->len = prefix->len;
        p->owner = owner;
        i = rt->n_lpfx++;
        if (!known) mark_spf(rt, now); /* its remote routes go */
    }
    rt->lpfx[i].attr = *attr;
    if (prefix_changed(rt, prefix->value, prefix->len)) mark_own_dirty(rt, now);
    settle(rt, now);
    return 0;
}

static void lpfx_remove_at(dmsc_router_t *rt, uint32_t i, uint64_t now)
{
    uint8_t *name = rt->lpfx[i].name;
    uint16_t len = rt->lpfx[i].len;
    rt->lpfx[i] = rt->lpfx[--rt->n_lpfx];
    if (prefix_changed(rt, name, len)) mark_own_dirty(rt, now);
    mark_spf(rt, now); /* remote routes for it may now be installed */
    free(name);
}

int dmsc_router_prefix_remove(dmsc_router_t *rt, const dmsc_name_t *prefix, uint64_t owner,
                              uint64_t now)
{
    int64_t i = prefix ? lpfx_find(rt, prefix, owner) : -1;
    if (i < 0) return 1;
    lpfx_remove_at(rt, (uint32_t)i, now);
    settle(rt, now);
    return 0;
}

size_t dmsc_router_prefix_remove_owner(dmsc_router_t *rt, uint64_t owner, uint64_t now)
{
    size_t n = 0;
    for (uint32_t i = rt->n_lpfx; i-- > 0;) {
        if (rt->lpfx[i].owner != owner) continue;
        lpfx_remove_at(rt, i, now);
        n++;
    }
    if (n) settle(rt, now);
    return n;
}

/* ==================================================================== */
/* observation                                                           */
/* ==================================================================== */

const dmsc_router_counters_t *dmsc_router_counters(const dmsc_router_t *rt)
{
    return &rt->ctr;
}

const dmsc_name_t *dmsc_router_name(const dmsc_router_t *rt)
{
    return &rt->name.name;
}

const char *dmsc_router_nbr_state_str(int state)
{
    switch (state) {
    case DMSC_NBR_DOWN:
        return "down";
    case DMSC_NBR_SYNC:
        return "sync";
    case DMSC_NBR_FULL:
        return "full";
    default:
        return "?";
    }
}

void dmsc_router_status(const dmsc_router_t *rt, dmsc_router_status_t *o)
{
    memset(o, 0, sizeof *o);
    o->digest = rt->lsdb.digest;
    o->version = rt->lsdb.version;
    o->last_changed = rt->lsdb.last_changed;
    o->applied_digest = rt->applied_digest;
    o->applied_at = rt->applied_at;
    o->lsas = rt->lsdb.count;
    o->lsdb_bytes = rt->lsdb.bytes;
    o->own_seq = rt->own_seq;
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        if (rt->nbrs[i]->state != DMSC_NBR_DOWN) o->neighbors_up++;
        if (rt->nbrs[i]->state == DMSC_NBR_FULL) o->neighbors_full++;
    }
    o->reachable = rt->reachable;
    o->routes = rt->tables[rt->installed].n_routes;
}

void dmsc_router_foreach_neighbor(const dmsc_router_t *rt,
                                  int (*cb)(void *arg, const dmsc_router_nbr_info_t *ni), void *arg)
{
    for (uint32_t i = 0; i < rt->n_nbrs; i++) {
        const nbr_t *nb = rt->nbrs[i];
        dmsc_router_nbr_info_t ni = {
            .face = nb->face,
            .state = nb->state,
            .name = nb->has_name ? &nb->name_view : NULL,
            .rtt = nb->rtt,
            .measured_cost = nb->meas_cost,
            .cost = nb->adv_cost,
            .misses = nb->misses,
            .since = nb->since,
            .last_reply = nb->last_reply,
            .pending = nb->n_queued + nb->n_inflight_lsas,
            .has_digest = nb->has_peer_digest,
            .digest = nb->peer_digest,
        };
        if (cb(arg, &ni)) return;
    }
}

void dmsc_router_foreach_lsa(const dmsc_router_t *rt, uint64_t now,
                             int (*cb)(void *arg, const dmsc_router_lsa_info_t *li), void *arg)
{
    for (uint32_t s = 0; s < rt->lsdb.cap; s++) {
        const dmsc_lsdb_entry_t *e = &rt->lsdb.e[s];
        if (!e->used) continue;
        dmsc_name_t origin;
        view(&origin, e->origin.p, e->origin.n);
        dmsc_router_lsa_info_t li = {
            .origin = &origin,
            .seq = e->seq,
            .hash = e->hash,
            .remaining = remaining(rt, s, now),
            .dist = s == rt->self_slot ? 0
                    : s < rt->spf.n    ? dmsc_spf_dist(&rt->spf, s)
                                       : UINT64_MAX,
            .n_adj = e->n_adj,
            .n_prefix = e->n_pfx,
            .wire = e->wire,
            .len = e->len,
            .self = s == rt->self_slot,
        };
        if (cb(arg, &li)) return;
    }
}

void dmsc_router_foreach_route(const dmsc_router_t *rt,
                               int (*cb)(void *arg, const dmsc_name_t *prefix,
                                         const dmsc_router_nh_info_t *nh, size_t n),
                               void *arg)
{
    const dmsc_rtable_t *t = &rt->tables[rt->installed];
    for (size_t i = 0; i < t->n; i++) {
        const dmsc_rtable_ent_t *e = &t->e[i];
        if (!e->nh_n) continue;
        dmsc_name_t prefix;
        view(&prefix, dmsc_rtable_key_bytes(t, i), e->key_len);
        dmsc_router_nh_info_t nh[64];
        dmsc_name_t on[64];
        size_t n = e->nh_n < 64 ? e->nh_n : 64;
        for (size_t j = 0; j < n; j++) {
            const dmsc_rtable_nh_t *x = &t->nh[e->nh_off + j];
            nh[j].face = x->face;
            nh[j].cost = x->cost;
            nh[j].origin = NULL;
            if (x->origin < rt->lsdb.cap && rt->lsdb.e[x->origin].used) {
                view(&on[j], rt->lsdb.e[x->origin].origin.p, rt->lsdb.e[x->origin].origin.n);
                nh[j].origin = &on[j];
            }
        }
        if (cb(arg, &prefix, nh, n)) return;
    }
}
