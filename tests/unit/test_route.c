/*
 * The routing core in a tiny in-process network: N routers joined by
 * simulated links (per-link delay, drop rate, up/down) on a fake clock.
 * Packets are copied between routers exactly as send() emits them; routes
 * are what route_add/route_remove left installed. Covers neighbor up/down
 * by hello loss (and no flapping under loss), by unreachable reports and on
 * one-way links, cost hysteresis, LSA origination/refresh/aging, flooding
 * with loss and retransmission, SPF on lines, rings and random graphs
 * against Floyd-Warshall, multipath ranking, two producers, partition and
 * heal, restart, signature rejection, local prefixes and the node identity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ndn/data.h"
#include "ndn/interest.h"
#include "route/identity.h"
#include "route/router.h"
#include "route/wire.h"
#include "sec/key.h"

#define MS 1000000ull
#define SEC (1000 * MS)
#define MAXNODES 24
#define MAXLINKS 96
#define MAXROUTES 2048
#define FACE0 256
#define INF UINT64_MAX

typedef struct {
    char prefix[96];
    dmsc_faceid_t face;
    uint64_t cost;
} rent_t;

struct sim;
typedef struct {
    struct sim *sim;
    int idx;
    bool alive;
    dmsc_router_t *rt;
    dmsc_key_t *key;
    dmsc_namebuf_t name;
    rent_t routes[MAXROUTES];
    int nroutes;
    int ev_up, ev_down, ev_full, ev_cost, ev_reject, ev_orig;
    int starts; /* a restarted daemon seeds its router afresh */
    uint64_t last_reserve, last_cost_at, min_cost_gap, last_down_at;
    int last_down_reason;
} node_t;

typedef struct {
    int a, b;
    bool up;
    uint32_t loss_pct;
    uint64_t delay;
    uint64_t cost; /* static cost at both ends, 0 = from RTT */
    /* deterministic drops: the next drop_lsu LSU Interests, the next
     * drop_lsu_ack acknowledgements of LSUs */
    int drop_lsu, drop_lsu_ack;
    int mute; /* 1 + index of the end whose sends are all lost (one-way link), 0: none */
} link_t;

typedef struct {
    uint64_t at, order;
    int to;
    dmsc_faceid_t face;
    uint8_t kind;
    uint8_t *wire;
    size_t len;
    uint8_t tok[32];
    size_t tok_len;
} msg_t;

typedef struct sim {
    node_t *nodes[MAXNODES];
    int n;
    link_t links[MAXLINKS];
    int nlinks;
    msg_t *q;
    size_t nq, qcap;
    uint64_t order, now, rng;
    dmsc_router_config_t cfg;
    uint64_t delivered, dropped;
} sim_t;

static uint32_t srnd(sim_t *s)
{
    s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(s->rng >> 33);
}

/* ---- io ---- */

static int io_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt)
{
    node_t *nd = ctx;
    sim_t *s = nd->sim;
    int l = (int)face - FACE0;
    if (l < 0 || l >= s->nlinks) return -1;
    link_t *lk = &s->links[l];
    if (lk->a != nd->idx && lk->b != nd->idx) return -1;
    int to = lk->a == nd->idx ? lk->b : lk->a;
    if (!lk->up || lk->mute == nd->idx + 1 || (lk->loss_pct && srnd(s) % 100 < lk->loss_pct)) {
        s->dropped++;
        return 0;
    }
    if (lk->drop_lsu || lk->drop_lsu_ack) {
        dmsc_name_t n;
        int kind = 0;
        dmsc_name_t sender;
        uint64_t seq;
        if (pkt->kind == DMSC_PKT_INTEREST) {
            dmsc_interest_t in;
            if (dmsc_interest_decode(&in, pkt->wire, pkt->len, 9000) == 0)
                n = in.name;
            else
                dmsc_name_init(&n);
        } else {
            dmsc_data_t d;
            if (dmsc_data_decode(&d, pkt->wire, pkt->len, 9000) == 0)
                n = d.name;
            else
                dmsc_name_init(&n);
        }
        if (dmsc_rtmsg_name_parse(&n, &kind, &sender, &seq) == 0 && kind == DMSC_RT_MSG_LSU) {
            int *ctr = pkt->kind == DMSC_PKT_INTEREST ? &lk->drop_lsu : &lk->drop_lsu_ack;
            if (*ctr > 0) {
                (*ctr)--;
                s->dropped++;
                return 0;
            }
        }
    }
    if (s->nq == s->qcap) {
        s->qcap = s->qcap ? 2 * s->qcap : 256;
        s->q = realloc(s->q, s->qcap * sizeof *s->q);
    }
    msg_t *m = &s->q[s->nq++];
    m->at = s->now + lk->delay;
    m->order = s->order++;
    m->to = to;
    m->face = face;
    m->kind = pkt->kind;
    m->wire = malloc(pkt->len);
    memcpy(m->wire, pkt->wire, pkt->len);
    m->len = pkt->len;
    m->tok_len = pkt->pit_token.n < 32 ? pkt->pit_token.n : 32;
    if (m->tok_len) memcpy(m->tok, pkt->pit_token.p, m->tok_len);
    return 0;
}

static int find_route(node_t *nd, const char *uri, dmsc_faceid_t face)
{
    for (int i = 0; i < nd->nroutes; i++)
        if (nd->routes[i].face == face && strcmp(nd->routes[i].prefix, uri) == 0) return i;
    return -1;
}

static int io_route_add(void *ctx, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t cost)
{
    node_t *nd = ctx;
    char uri[96];
    assert_true(dmsc_name_to_uri(prefix, DMSC_URI_ALT, uri, sizeof uri) > 0);
    int i = find_route(nd, uri, face);
    if (i < 0) {
        assert_true(nd->nroutes < MAXROUTES);
        i = nd->nroutes++;
        strcpy(nd->routes[i].prefix, uri);
        nd->routes[i].face = face;
    }
    nd->routes[i].cost = cost;
    return 0;
}

static void io_route_remove(void *ctx, const dmsc_name_t *prefix, dmsc_faceid_t face)
{
    node_t *nd = ctx;
    char uri[96];
    assert_true(dmsc_name_to_uri(prefix, DMSC_URI_ALT, uri, sizeof uri) > 0);
    int i = find_route(nd, uri, face);
    assert_true(i >= 0); /* never removes what it did not add */
    nd->routes[i] = nd->routes[--nd->nroutes];
}

static void io_event(void *ctx, const dmsc_router_event_t *ev)
{
    node_t *nd = ctx;
    uint64_t now = nd->sim->now;
    switch (ev->type) {
    case DMSC_ROUTER_EV_NBR_UP:
        nd->ev_up++;
        break;
    case DMSC_ROUTER_EV_NBR_FULL:
        nd->ev_full++;
        break;
    case DMSC_ROUTER_EV_NBR_DOWN:
        nd->ev_down++;
        nd->last_down_at = now;
        nd->last_down_reason = ev->reason;
        break;
    case DMSC_ROUTER_EV_COST:
        if (nd->ev_cost && now - nd->last_cost_at < nd->min_cost_gap)
            nd->min_cost_gap = now - nd->last_cost_at;
        nd->ev_cost++;
        nd->last_cost_at = now;
        break;
    case DMSC_ROUTER_EV_LSA_REJECT:
        nd->ev_reject++;
        break;
    case DMSC_ROUTER_EV_SEQ_RESERVE:
        nd->last_reserve = ev->seq;
        break;
    case DMSC_ROUTER_EV_ORIGINATE:
        nd->ev_orig++;
        break;
    }
}

/* ---- building ---- */

static sim_t *sim_new(const dmsc_router_config_t *cfg, uint64_t seed)
{
    sim_t *s = calloc(1, sizeof *s);
    if (cfg)
        s->cfg = *cfg;
    else
        dmsc_router_config_default(&s->cfg);
    s->rng = seed;
    s->now = 1000 * SEC;
    return s;
}

static void node_start(sim_t *s, node_t *nd, uint64_t seq_start)
{
    dmsc_router_io_t io = {nd, io_send, io_route_add, io_route_remove, io_event};
    dmsc_router_config_t c = s->cfg;
    c.rng_seed = s->rng + (uint64_t)nd->idx * 7919 + 104729 * (uint64_t)nd->starts++;
    c.seq_start = seq_start;
    assert_int_equal(dmsc_router_new(&nd->rt, &nd->name.name, nd->key, &c, &io, NULL), 0);
    nd->alive = true;
    nd->nroutes = 0;
    for (int l = 0; l < s->nlinks; l++)
        if (s->links[l].a == nd->idx || s->links[l].b == nd->idx)
            assert_int_equal(
                dmsc_router_face_add(nd->rt, (dmsc_faceid_t)(FACE0 + l), s->links[l].cost, s->now),
                0);
}

static int sim_node(sim_t *s)
{
    node_t *nd = calloc(1, sizeof *nd);
    nd->sim = s;
    nd->idx = s->n;
    nd->min_cost_gap = INF;
    char uri[64];
    snprintf(uri, sizeof uri, "/dmsc/node/n%d", s->n);
    assert_int_equal(dmsc_namebuf_from_uri(&nd->name, uri), 0);
    assert_int_equal(dmsc_key_generate(&nd->key, DMSC_SIG_ED25519), 0);
    assert_int_equal(dmsc_key_set_identity(nd->key, &nd->name.name, NULL, 0), 0);
    s->nodes[s->n] = nd;
    return s->n++;
}

/* Links must exist before their nodes start (faces are added at start). */
static int sim_link(sim_t *s, int a, int b, uint64_t cost)
{
    assert_true(s->nlinks < MAXLINKS);
    link_t *l = &s->links[s->nlinks];
    l->a = a;
    l->b = b;
    l->up = true;
    l->delay = 1 * MS;
    l->cost = cost;
    return s->nlinks++;
}

static void sim_start(sim_t *s)
{
    for (int i = 0; i < s->n; i++)
        node_start(s, s->nodes[i], 0);
}

static void node_stop(node_t *nd)
{
    dmsc_router_free(nd->rt);
    nd->rt = NULL;
    nd->alive = false;
}

static void sim_free(sim_t *s)
{
    for (int i = 0; i < s->n; i++) {
        if (s->nodes[i]->rt) dmsc_router_free(s->nodes[i]->rt);
        dmsc_key_free(s->nodes[i]->key);
        free(s->nodes[i]);
    }
    for (size_t i = 0; i < s->nq; i++)
        free(s->q[i].wire);
    free(s->q);
    free(s);
}

/* ---- running ---- */

static void deliver(sim_t *s, size_t i)
{
    msg_t m = s->q[i];
    s->q[i] = s->q[--s->nq];
    node_t *nd = s->nodes[m.to];
    if (nd->alive) {
        dmsc_pkt_t p;
        memset(&p, 0, sizeof p);
        p.kind = m.kind;
        p.wire = m.wire;
        p.len = m.len;
        p.pit_token = dmsc_slice(m.tok, m.tok_len);
        dmsc_router_receive(nd->rt, m.face, &p, s->now);
        s->delivered++;
    }
    free(m.wire);
}

static void sim_run(sim_t *s, uint64_t dur)
{
    uint64_t until = s->now + dur;
    for (;;) {
        uint64_t t = INF;
        for (size_t i = 0; i < s->nq; i++)
            if (s->q[i].at < t) t = s->q[i].at;
        for (int i = 0; i < s->n; i++)
            if (s->nodes[i]->alive) {
                uint64_t d = dmsc_router_next_deadline(s->nodes[i]->rt);
                if (d < t) t = d;
            }
        if (t > until) {
            s->now = until;
            return;
        }
        if (t > s->now) s->now = t;
        /* messages due now, oldest first */
        for (;;) {
            size_t best = SIZE_MAX;
            for (size_t i = 0; i < s->nq; i++)
                if (s->q[i].at <= s->now && (best == SIZE_MAX || s->q[i].order < s->q[best].order))
                    best = i;
            if (best == SIZE_MAX) break;
            deliver(s, best);
        }
        for (int i = 0; i < s->n; i++)
            if (s->nodes[i]->alive && dmsc_router_next_deadline(s->nodes[i]->rt) <= s->now)
                dmsc_router_run_timers(s->nodes[i]->rt, s->now);
    }
}

/* ---- observation ---- */

static uint64_t digest(const node_t *nd)
{
    dmsc_router_status_t st;
    dmsc_router_status(nd->rt, &st);
    return st.digest;
}

static dmsc_router_status_t status(const node_t *nd)
{
    dmsc_router_status_t st;
    dmsc_router_status(nd->rt, &st);
    return st;
}

/* Next hops of node i for uri, sorted by (cost, face). Returns the count. */
static int nexthops(const node_t *nd, const char *uri, rent_t *out)
{
    int n = 0;
    for (int i = 0; i < nd->nroutes; i++)
        if (strcmp(nd->routes[i].prefix, uri) == 0) out[n++] = nd->routes[i];
    for (int i = 1; i < n; i++)
        for (int j = i;
             j > 0 && (out[j].cost < out[j - 1].cost ||
                       (out[j].cost == out[j - 1].cost && out[j].face < out[j - 1].face));
             j--) {
            rent_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

static uint64_t best_cost(const node_t *nd, const char *uri)
{
    rent_t r[MAXLINKS];
    return nexthops(nd, uri, r) ? r[0].cost : INF;
}

static const char *node_uri(int i)
{
    static char buf[8][32];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "/dmsc/node/n%d", i);
    return buf[k];
}

typedef struct {
    int count[3];
} nbr_states_t;

static int count_nbr(void *arg, const dmsc_router_nbr_info_t *ni)
{
    ((nbr_states_t *)arg)->count[ni->state]++;
    return 0;
}

static int nbr_state(const node_t *nd, int st)
{
    nbr_states_t c = {{0, 0, 0}};
    dmsc_router_foreach_neighbor(nd->rt, count_nbr, &c);
    return c.count[st];
}

typedef struct {
    dmsc_faceid_t face;
    dmsc_router_nbr_info_t info;
    bool found;
} nbr_find_t;

static int find_nbr_cb(void *arg, const dmsc_router_nbr_info_t *ni)
{
    nbr_find_t *f = arg;
    if (ni->face != f->face) return 0;
    f->info = *ni;
    f->found = true;
    return 1;
}

static dmsc_router_nbr_info_t nbr_info(const node_t *nd, dmsc_faceid_t face)
{
    nbr_find_t f = {face, {0}, false};
    dmsc_router_foreach_neighbor(nd->rt, find_nbr_cb, &f);
    assert_true(f.found);
    return f.info;
}

/* Shortest distances over the links that are up between alive nodes, with
 * the static costs (both directions equal). */
static void floyd(const sim_t *s, uint64_t d[MAXNODES][MAXNODES])
{
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < s->n; j++)
            d[i][j] = i == j ? 0 : INF;
    for (int l = 0; l < s->nlinks; l++) {
        const link_t *k = &s->links[l];
        if (!k->up || k->loss_pct >= 100 || !s->nodes[k->a]->alive || !s->nodes[k->b]->alive)
            continue;
        if (k->cost < d[k->a][k->b]) d[k->a][k->b] = d[k->b][k->a] = k->cost;
    }
    for (int m = 0; m < s->n; m++)
        for (int i = 0; i < s->n; i++)
            for (int j = 0; j < s->n; j++)
                if (d[i][m] != INF && d[m][j] != INF && d[i][m] + d[m][j] < d[i][j])
                    d[i][j] = d[i][m] + d[m][j];
}

/* Every alive node routes to every other alive node at the Floyd-Warshall
 * distance, has no route to unreachable ones, and every installed next hop
 * towards a node name is one the SPF definition allows (spf.h): cost =
 * link + d(nbr, x), loop-free, within the bound. */
static void check_routes(const sim_t *s)
{
    static uint64_t d[MAXNODES][MAXNODES];
    floyd(s, d);
    for (int i = 0; i < s->n; i++) {
        const node_t *nd = s->nodes[i];
        if (!nd->alive) continue;
        for (int j = 0; j < s->n; j++) {
            if (j == i || !s->nodes[j]->alive) continue;
            rent_t r[MAXLINKS];
            int n = nexthops(nd, node_uri(j), r);
            if (d[i][j] == INF) {
                assert_int_equal(n, 0);
                continue;
            }
            if (n == 0 || r[0].cost != d[i][j])
                fail_msg("n%d -> n%d: %d next hops, best %llu, want %llu", i, j, n,
                         n ? (unsigned long long)r[0].cost : 0ull, (unsigned long long)d[i][j]);
            assert_true(n <= (int)s->cfg.max_nexthops);
            for (int k = 0; k < n; k++) {
                const link_t *lk = &s->links[r[k].face - FACE0];
                int nb = lk->a == i ? lk->b : lk->a;
                assert_true(lk->a == i || lk->b == i);
                assert_true(r[k].cost == lk->cost + d[nb][j]);
                assert_true(nb == j || d[nb][j] < d[nb][i] + d[i][j]);
                assert_true(r[k].cost * 100 <= d[i][j] * (100 + s->cfg.mp_bound_pct));
            }
        }
    }
}

static bool all_digests_equal(const sim_t *s)
{
    uint64_t want = 0;
    bool first = true;
    for (int i = 0; i < s->n; i++) {
        if (!s->nodes[i]->alive) continue;
        if (first)
            want = digest(s->nodes[i]);
        else if (digest(s->nodes[i]) != want)
            return false;
        first = false;
    }
    return true;
}

static void run_until_converged(sim_t *s, uint64_t max)
{
    uint64_t end = s->now + max;
    while (s->now < end) {
        sim_run(s, 500 * MS);
        if (!all_digests_equal(s)) continue;
        bool applied = true;
        for (int i = 0; i < s->n; i++)
            if (s->nodes[i]->alive && (status(s->nodes[i]).applied_digest != digest(s->nodes[i]) ||
                                       nbr_state(s->nodes[i], DMSC_NBR_SYNC) > 0))
                applied = false;
        if (applied) return;
    }
    fail_msg("not converged after %llu ms", (unsigned long long)(max / MS));
}

static dmsc_router_config_t test_cfg(void)
{
    dmsc_router_config_t c;
    dmsc_router_config_default(&c);
    return c;
}

/* random connected graph: a random tree plus extra edges */
static void random_graph(sim_t *s, int n, int extra, uint64_t maxcost)
{
    for (int i = 0; i < n; i++)
        sim_node(s);
    for (int v = 1; v < n; v++)
        sim_link(s, (int)(srnd(s) % (uint32_t)v), v, 1 + srnd(s) % maxcost);
    for (int k = 0; k < extra; k++) {
        int a = (int)(srnd(s) % (uint32_t)n), b = (int)(srnd(s) % (uint32_t)n);
        if (a != b) sim_link(s, a, b, 1 + srnd(s) % maxcost);
    }
}

/* ==================================================================== */

static void test_two_nodes(void **state)
{
    sim_t *s = sim_new(NULL, 1);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 0); /* cost from RTT: 2 ms -> 10 + 20 */
    sim_start(s);
    sim_run(s, 2 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    assert_int_equal(nbr_state(A, DMSC_NBR_FULL), 1);
    assert_int_equal(nbr_state(B, DMSC_NBR_FULL), 1);
    assert_int_equal(A->ev_up, 1);
    assert_int_equal(A->ev_full, 1);
    assert_int_equal(A->ev_down, 0);
    assert_int_equal(status(A).lsas, 2);
    assert_true(digest(A) == digest(B));
    rent_t r[4];
    assert_int_equal(nexthops(A, node_uri(b), r), 1);
    assert_int_equal(r[0].face, FACE0 + l);
    assert_int_equal(r[0].cost, 30);
    assert_int_equal(nbr_info(A, FACE0 + l).cost, 30);

    /* a prefix served by B reaches A; its withdrawal too */
    dmsc_namebuf_t p;
    assert_int_equal(dmsc_namebuf_from_uri(&p, "/svc/users"), 0);
    dmsc_router_prefix_attr_t at = {3, 0, 0};
    assert_int_equal(dmsc_router_prefix_add(B->rt, &p.name, 1, &at, s->now), 0);
    sim_run(s, 200 * MS);
    assert_int_equal(nexthops(A, "/svc/users", r), 1);
    assert_int_equal(r[0].cost, 33);
    assert_int_equal(nexthops(B, "/svc/users", r), 0); /* its own prefix: no route */
    assert_int_equal(dmsc_router_prefix_remove(B->rt, &p.name, 1, s->now), 0);
    assert_int_equal(dmsc_router_prefix_remove(B->rt, &p.name, 1, s->now), 1);
    sim_run(s, 200 * MS);
    assert_int_equal(nexthops(A, "/svc/users", r), 0);
    assert_int_equal(nexthops(A, node_uri(b), r), 1);
    /* nothing unacknowledged is left */
    assert_int_equal(nbr_info(A, FACE0 + l).pending, 0);
    assert_int_equal(dmsc_router_counters(A->rt)->lsa_bad_sig, 0);
    sim_free(s);
}

/* A silent dead neighbor is declared after dead_misses hellos unanswered
 * with nothing else heard (0.28-0.4 s with the defaults), its routes go at
 * once (no SPF delay); it comes back when the link does. */
static void test_dead_neighbor(void **state)
{
    sim_t *s = sim_new(NULL, 2);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 5);
    sim_start(s);
    sim_run(s, 2 * SEC);
    node_t *A = s->nodes[a];
    assert_int_equal(best_cost(A, node_uri(b)), 5);
    uint64_t t0 = s->now;
    s->links[l].up = false;
    while (A->ev_down == 0 && s->now < t0 + 3 * SEC)
        sim_run(s, 1 * MS);
    uint64_t dt = A->last_down_at - t0;
    assert_int_equal(A->ev_down, 1);
    assert_int_equal(A->last_down_reason, DMSC_NBR_DOWN_HELLO);
    assert_true(dt >= 280 * MS);
    assert_true(dt <= 402 * MS);
    assert_int_equal(nbr_info(A, FACE0 + l).state, DMSC_NBR_DOWN);
    /* the first SPF after a quiet period is not delayed */
    assert_true(s->now - A->last_down_at <= 1 * MS);
    assert_true(best_cost(A, node_uri(b)) == INF);
    /* no flapping while the link is down */
    sim_run(s, 5 * SEC);
    assert_int_equal(A->ev_down, 1);
    assert_int_equal(A->ev_up, 1);
    /* heal */
    s->links[l].up = true;
    sim_run(s, 2 * SEC);
    assert_int_equal(A->ev_up, 2);
    assert_int_equal(nbr_info(A, FACE0 + l).state, DMSC_NBR_FULL);
    assert_int_equal(best_cost(A, node_uri(b)), 5);
    /* the face goes away: down at once, no waiting for hellos */
    uint64_t t1 = s->now;
    assert_int_equal(dmsc_router_face_remove(A->rt, FACE0 + l, s->now), 0);
    assert_int_equal(dmsc_router_face_remove(A->rt, FACE0 + l, s->now), 1);
    assert_int_equal(A->ev_down, 2);
    assert_int_equal(A->last_down_at, t1);
    dmsc_router_run_timers(A->rt, s->now); /* (B's next hello would re-adopt the face) */
    assert_true(best_cost(A, node_uri(b)) == INF);
    sim_free(s);
}

/* Unreachable reports (ICMP in the daemon): one sends a hello at once and
 * changes nothing until that hello is unanswered (hello_timeout); a second
 * within the window with nothing heard in between takes the neighbor down at
 * once; either way its routes go in the same instant. A stale report (the
 * neighbor answers the confirming hello) is forgotten. */
static void test_unreachable(void **state)
{
    sim_t *s = sim_new(NULL, 21);
    int a = sim_node(s), b = sim_node(s), c = sim_node(s);
    int ab = sim_link(s, a, b, 5);
    sim_link(s, b, c, 5);
    int ac = sim_link(s, a, c, 50);
    sim_start(s);
    sim_run(s, 2 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    dmsc_faceid_t fab = FACE0 + ab;
    rent_t r[4];
    assert_int_equal(best_cost(A, node_uri(c)), 10); /* via B */
    const dmsc_router_counters_t *ca = dmsc_router_counters(A->rt);

    /* stale: B lives, answers the confirming hello; a later report is a first one again */
    uint64_t tx = ca->hello_tx;
    assert_int_equal(dmsc_router_face_unreachable(A->rt, fab, s->now), 0);
    assert_int_equal(ca->hello_tx, tx + 1);
    assert_int_equal(nbr_info(A, fab).state, DMSC_NBR_FULL);
    sim_run(s, 20 * MS); /* the reply is back (2 ms RTT) */
    assert_int_equal(dmsc_router_face_unreachable(A->rt, fab, s->now), 0);
    assert_int_equal(nbr_info(A, fab).state, DMSC_NBR_FULL);
    assert_int_equal(A->ev_down, 0);
    /* B's process dies, one report (the host limits ICMP): the confirming
     * hello goes unanswered, B is down hello_timeout later */
    sim_run(s, 20 * MS);
    node_stop(B);
    uint64_t t0 = s->now;
    assert_int_equal(dmsc_router_face_unreachable(A->rt, fab, s->now), 0);
    while (A->ev_down == 0 && s->now < t0 + 1 * SEC)
        sim_run(s, 1 * MS);
    assert_int_equal(A->ev_down, 1);
    assert_int_equal(A->last_down_reason, DMSC_NBR_DOWN_UNREACHABLE);
    assert_int_equal(A->last_down_at, t0 + s->cfg.hello_timeout);
    node_start(s, B, 0);
    sim_run(s, 2 * SEC);
    assert_int_equal(nbr_info(A, fab).state, DMSC_NBR_FULL);

    /* B dies again: the confirming hello draws a second report, B is down at once */
    node_stop(B);
    assert_int_equal(dmsc_router_face_unreachable(A->rt, fab, s->now), 0);
    assert_int_equal(nbr_info(A, fab).state, DMSC_NBR_FULL);
    sim_run(s, 1 * MS);
    uint64_t t1 = s->now;
    assert_int_equal(dmsc_router_face_unreachable(A->rt, fab, s->now), 0);
    assert_int_equal(A->ev_down, 2);
    assert_int_equal(A->last_down_reason, DMSC_NBR_DOWN_UNREACHABLE);
    assert_int_equal(A->last_down_at, t1);
    assert_int_equal(ca->down_unreachable, 2);
    assert_int_equal(nbr_info(A, fab).state, DMSC_NBR_DOWN);
    /* SPF at once: nothing goes through B any more, at the same instant
     * (B itself is reached through C until C finds it dead too) */
    dmsc_router_run_timers(A->rt, s->now);
    assert_int_equal(nexthops(A, node_uri(b), r), 1);
    assert_int_equal(r[0].face, FACE0 + ac);
    assert_int_equal(nexthops(A, node_uri(c), r), 1);
    assert_int_equal(r[0].face, FACE0 + ac);
    assert_int_equal(r[0].cost, 50);
    /* reports on a DOWN neighbor or an unknown face are ignored */
    assert_int_equal(dmsc_router_face_unreachable(A->rt, fab, s->now), 1);
    assert_int_equal(dmsc_router_face_unreachable(A->rt, 9999, s->now), 1);
    /* B restarts: up again */
    node_start(s, B, 0);
    sim_run(s, 2 * SEC);
    assert_int_equal(nbr_info(A, fab).state, DMSC_NBR_FULL);
    assert_int_equal(best_cost(A, node_uri(c)), 10);

    /* unreachable_reports 0: reports are ignored */
    sim_free(s);
    dmsc_router_config_t cfg = test_cfg();
    cfg.unreachable_reports = 0;
    s = sim_new(&cfg, 22);
    a = sim_node(s);
    b = sim_node(s);
    ab = sim_link(s, a, b, 5);
    sim_start(s);
    sim_run(s, 2 * SEC);
    A = s->nodes[a];
    node_stop(s->nodes[b]);
    assert_int_equal(dmsc_router_face_unreachable(A->rt, FACE0 + ab, s->now), 1);
    assert_int_equal(dmsc_router_face_unreachable(A->rt, FACE0 + ab, s->now), 1);
    assert_int_equal(A->ev_down, 0);
    sim_free(s);
}

/* 10 % loss each way on a link, default timers, 5 minutes: replies get lost
 * (and are excused by the neighbor's own hellos), adjacencies never flap. */
static void test_loss_no_flap(void **state)
{
    sim_t *s = sim_new(NULL, 23);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 5);
    sim_start(s);
    sim_run(s, 2 * SEC);
    s->links[l].loss_pct = 10;
    sim_run(s, 300 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    assert_int_equal(A->ev_down + B->ev_down, 0);
    assert_int_equal(nbr_info(A, FACE0 + l).state, DMSC_NBR_FULL);
    const dmsc_router_counters_t *ca = dmsc_router_counters(A->rt);
    assert_true(ca->hello_miss > 100);  /* ~19 % of 3000 */
    assert_true(ca->miss_excused > 50); /* most of them */
    assert_true(ca->miss_excused < ca->hello_miss);
    sim_free(s);
}

/* A one-way link (A hears B, B never hears A): B's hellos keep excusing A's
 * misses, but with no reply at all A still declares B dead after
 * 2 x dead_misses x hello_interval + hello_timeout. */
static void test_one_way_link(void **state)
{
    sim_t *s = sim_new(NULL, 24);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 5);
    sim_start(s);
    sim_run(s, 2 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    uint64_t t0 = s->now;
    s->links[l].mute = a + 1; /* A's packets are lost */
    while (A->ev_down == 0 && s->now < t0 + 3 * SEC)
        sim_run(s, 1 * MS);
    assert_int_equal(A->ev_down, 1);
    assert_int_equal(B->ev_down, 1);
    uint64_t hard = 2 * s->cfg.dead_misses * s->cfg.hello_interval + s->cfg.hello_timeout;
    assert_true(A->last_down_at - t0 >= hard - s->cfg.hello_interval);
    assert_true(A->last_down_at - t0 <= hard + s->cfg.hello_interval);
    assert_true(B->last_down_at < A->last_down_at); /* B, hearing nothing, first */
    s->links[l].mute = 0;
    sim_run(s, 2 * SEC);
    assert_int_equal(nbr_info(A, FACE0 + l).state, DMSC_NBR_FULL);
    sim_free(s);
}

/* RTT-derived cost: small changes are not advertised, large ones are, and
 * never more often than cost_hold. */
static void test_cost_hysteresis(void **state)
{
    sim_t *s = sim_new(NULL, 3);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 0);
    sim_start(s);
    sim_run(s, 6 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    assert_int_equal(nbr_info(A, FACE0 + l).cost, 30);
    assert_int_equal(best_cost(B, node_uri(a)), 30);
    int orig = A->ev_orig;
    /* +10 % delay: measured 32, inside max(20 %, 2) of 30 */
    s->links[l].delay = 1100 * 1000;
    sim_run(s, 10 * SEC);
    /* the EWMA approaches 2.2 ms from below: 31 or 32 */
    assert_in_range(nbr_info(A, FACE0 + l).measured_cost, 31, 32);
    assert_int_equal(nbr_info(A, FACE0 + l).cost, 30);
    assert_int_equal(A->ev_cost, 0);
    assert_int_equal(A->ev_orig, orig); /* no new LSA */
    /* x3 delay: advertised, in steps at least cost_hold apart */
    s->links[l].delay = 3 * MS;
    sim_run(s, 20 * SEC);
    assert_in_range(nbr_info(A, FACE0 + l).measured_cost, 68, 70);
    assert_in_range(nbr_info(A, FACE0 + l).cost, 64, 70);
    assert_true(A->ev_cost >= 1 && A->ev_cost <= 3);
    assert_true(A->ev_cost == 1 || A->min_cost_gap >= s->cfg.cost_hold);
    assert_int_equal(best_cost(B, node_uri(a)), nbr_info(A, FACE0 + l).cost);
    /* a flapping link (1 ms / 3 ms every 300 ms) for 30 s: the advertised
     * cost changes at most once per cost_hold */
    int before = A->ev_cost;
    for (int i = 0; i < 100; i++) {
        s->links[l].delay = i % 2 ? 3 * MS : 1 * MS;
        sim_run(s, 300 * MS);
    }
    assert_true(A->ev_cost - before <= 30 / 5 + 1);
    assert_true(A->min_cost_gap >= s->cfg.cost_hold);
    /* a static cost never moves */
    assert_int_equal(A->ev_down, 0);
    sim_free(s);
}

/* Refresh re-originates with seq + 1; an unreachable node's LSA ages out. */
static void test_refresh_and_aging(void **state)
{
    dmsc_router_config_t c = test_cfg();
    c.lsa_lifetime = 20 * SEC;
    c.lsa_refresh = 8 * SEC;
    sim_t *s = sim_new(&c, 4);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 1);
    sim_start(s);
    sim_run(s, 2 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    uint64_t seq = status(B).own_seq;
    assert_true(seq >= 2); /* first LSA, then the one listing A */
    int orig = B->ev_orig;
    sim_run(s, 8 * SEC);
    assert_int_equal(B->ev_orig, orig + 1);
    assert_true(status(B).own_seq == seq + 1);
    assert_true(digest(A) == digest(B));
    /* cut: B's LSA stays in A's LSDB (unreachable) until it ages out */
    s->links[l].up = false;
    sim_run(s, 3 * SEC);
    assert_int_equal(status(A).lsas, 2);
    assert_true(best_cost(A, node_uri(b)) == INF);
    assert_int_equal(status(A).reachable, 0);
    sim_run(s, 20 * SEC);
    assert_int_equal(status(A).lsas, 1);
    assert_int_equal(status(B).lsas, 1);
    assert_true(dmsc_router_counters(A->rt)->lsa_expired >= 1);
    /* and A's own LSA never expired: refreshed throughout */
    assert_true(status(A).own_seq >= 4);
    sim_free(s);
}

/* Flooding over lossy links: everything is retransmitted until acknowledged,
 * all LSDBs end up equal and routes right. Hellos are lost too, so the dead
 * interval is raised to keep adjacencies up. */
static void test_flooding_with_loss(void **state)
{
    dmsc_router_config_t c = test_cfg();
    c.dead_misses = 12;
    sim_t *s = sim_new(&c, 5);
    random_graph(s, 12, 8, 9);
    for (int l = 0; l < s->nlinks; l++)
        s->links[l].loss_pct = 20;
    sim_start(s);
    run_until_converged(s, 30 * SEC);
    for (int l = 0; l < s->nlinks; l++)
        s->links[l].loss_pct = 0;
    check_routes(s);
    uint64_t rxmt = 0;
    for (int i = 0; i < s->n; i++)
        rxmt += dmsc_router_counters(s->nodes[i]->rt)->rxmt;
    assert_true(rxmt > 0);
    assert_true(s->dropped > 0);
    /* changes while lossy: a prefix appears at n0 and n5, then n5 withdraws */
    for (int l = 0; l < s->nlinks; l++)
        s->links[l].loss_pct = 25;
    dmsc_namebuf_t p;
    dmsc_namebuf_from_uri(&p, "/svc/orders");
    dmsc_router_prefix_add(s->nodes[0]->rt, &p.name, 1, NULL, s->now);
    dmsc_router_prefix_add(s->nodes[5]->rt, &p.name, 1, NULL, s->now);
    run_until_converged(s, 30 * SEC);
    dmsc_router_prefix_remove(s->nodes[5]->rt, &p.name, 1, s->now);
    run_until_converged(s, 30 * SEC);
    static uint64_t d[MAXNODES][MAXNODES];
    for (int l = 0; l < s->nlinks; l++)
        s->links[l].loss_pct = 0;
    floyd(s, d);
    for (int i = 1; i < s->n; i++)
        assert_true(best_cost(s->nodes[i], "/svc/orders") == d[i][0]);
    sim_free(s);
}

static void test_spf_line_ring(void **state)
{
    /* line of 5, a producer at one end: reachable from every node */
    sim_t *s = sim_new(NULL, 6);
    for (int i = 0; i < 5; i++)
        sim_node(s);
    for (int i = 0; i < 4; i++)
        sim_link(s, i, i + 1, 1 + (uint64_t)i);
    sim_start(s);
    dmsc_namebuf_t p;
    dmsc_namebuf_from_uri(&p, "/svc/echo");
    dmsc_router_prefix_add(s->nodes[4]->rt, &p.name, 7, NULL, s->now);
    run_until_converged(s, 10 * SEC);
    check_routes(s);
    assert_int_equal(best_cost(s->nodes[0], "/svc/echo"), 1 + 2 + 3 + 4);
    for (int i = 0; i < 4; i++) {
        rent_t r[4];
        assert_int_equal(nexthops(s->nodes[i], "/svc/echo", r), 1);
        assert_int_equal(r[0].face, FACE0 + i); /* towards n4 */
    }
    sim_free(s);

    /* ring of 6 with unit costs; kill n1: n0 reaches n2 the other way */
    s = sim_new(NULL, 7);
    for (int i = 0; i < 6; i++)
        sim_node(s);
    for (int i = 0; i < 6; i++)
        sim_link(s, i, (i + 1) % 6, 1);
    sim_start(s);
    run_until_converged(s, 10 * SEC);
    check_routes(s);
    rent_t r[4];
    /* n3 is opposite n0: two equal paths */
    assert_int_equal(nexthops(s->nodes[0], node_uri(3), r), 2);
    assert_int_equal(r[0].cost, 3);
    assert_int_equal(r[1].cost, 3);
    /* n2: only via n1; n5 is no loop-free alternative (its own shortest
     * paths to n2 include the one back through n0) */
    assert_int_equal(nexthops(s->nodes[0], node_uri(2), r), 1);
    assert_int_equal(r[0].face, FACE0 + 0);
    assert_int_equal(r[0].cost, 2);
    s->links[0].up = s->links[1].up = false;
    node_stop(s->nodes[1]);
    run_until_converged(s, 10 * SEC);
    sim_run(s, 1 * SEC);
    assert_int_equal(nexthops(s->nodes[0], node_uri(2), r), 1);
    assert_int_equal(r[0].face, FACE0 + 5);
    assert_int_equal(r[0].cost, 4);
    assert_true(best_cost(s->nodes[0], node_uri(1)) == INF);
    check_routes(s);
    sim_free(s);
}

static void test_spf_random_graphs(void **state)
{
    for (uint64_t seed = 10; seed < 14; seed++) {
        sim_t *s = sim_new(NULL, seed);
        random_graph(s, 10 + (int)(seed % 4) * 2, 10, 12);
        sim_start(s);
        run_until_converged(s, 15 * SEC);
        check_routes(s);
        /* every adjacency finished loading by the summary exchange */
        for (int i = 0; i < s->n; i++)
            assert_int_equal(dmsc_router_counters(s->nodes[i]->rt)->loading_timeouts, 0);
        sim_free(s);
    }
}

/* Two nodes serve one prefix: the nearer one's next hops come first, the
 * farther one's follow; when the nearer withdraws, the other takes over. */
static void test_two_producers(void **state)
{
    sim_t *s = sim_new(NULL, 20);
    random_graph(s, 10, 6, 9);
    sim_start(s);
    dmsc_namebuf_t p;
    dmsc_namebuf_from_uri(&p, "/svc/x");
    dmsc_router_prefix_attr_t at = {0, 300, 1000};
    dmsc_router_prefix_add(s->nodes[2]->rt, &p.name, 1, &at, s->now);
    dmsc_router_prefix_add(s->nodes[7]->rt, &p.name, 1, &at, s->now);
    run_until_converged(s, 15 * SEC);
    static uint64_t d[MAXNODES][MAXNODES];
    floyd(s, d);
    int with_fallback = 0;
    for (int i = 0; i < s->n; i++) {
        if (i == 2 || i == 7) continue;
        rent_t r[16];
        int n = nexthops(s->nodes[i], "/svc/x", r);
        uint64_t near = d[i][2] < d[i][7] ? d[i][2] : d[i][7];
        uint64_t far = d[i][2] < d[i][7] ? d[i][7] : d[i][2];
        assert_true(n >= 1);
        assert_true(r[0].cost == near);
        assert_true(r[n - 1].cost <= far + 12 * (uint64_t)s->n); /* bounded by the bound */
        for (int k = 0; k < n; k++)
            if (r[k].cost >= far && far > near) with_fallback++;
    }
    assert_true(with_fallback > 0);
    /* the origin of each next hop is visible */
    dmsc_router_prefix_remove(s->nodes[2]->rt, &p.name, 1, s->now);
    run_until_converged(s, 10 * SEC);
    for (int i = 0; i < s->n; i++)
        if (i != 7) assert_true(best_cost(s->nodes[i], "/svc/x") == d[i][7]);
    sim_free(s);
}

/* Two clusters joined by two links: cut, each side keeps working and ages
 * the other out; heal, everything converges. */
static void test_partition_heal(void **state)
{
    dmsc_router_config_t c = test_cfg();
    c.lsa_lifetime = 30 * SEC;
    c.lsa_refresh = 10 * SEC;
    sim_t *s = sim_new(&c, 30);
    for (int i = 0; i < 10; i++)
        sim_node(s);
    for (int i = 0; i < 5; i++) {
        sim_link(s, i, (i + 1) % 5, 1 + (uint64_t)i % 3);
        sim_link(s, 5 + i, 5 + (i + 1) % 5, 1 + (uint64_t)i % 2);
    }
    int br1 = sim_link(s, 0, 5, 4), br2 = sim_link(s, 2, 7, 6);
    sim_start(s);
    dmsc_namebuf_t pa, pb;
    dmsc_namebuf_from_uri(&pa, "/svc/a");
    dmsc_namebuf_from_uri(&pb, "/svc/b");
    dmsc_router_prefix_add(s->nodes[8]->rt, &pb.name, 1, NULL, s->now);
    run_until_converged(s, 10 * SEC);
    check_routes(s);
    assert_true(best_cost(s->nodes[1], "/svc/b") != INF);

    s->links[br1].up = s->links[br2].up = false;
    sim_run(s, 3 * SEC);
    check_routes(s); /* no route across the cut */
    assert_true(best_cost(s->nodes[1], "/svc/b") == INF);
    for (int i = 1; i < 5; i++)
        assert_true(digest(s->nodes[i]) == digest(s->nodes[0]));
    for (int i = 6; i < 10; i++)
        assert_true(digest(s->nodes[i]) == digest(s->nodes[5]));
    assert_int_equal(status(s->nodes[0]).lsas, 10); /* stale, unreachable */
    /* changes on both sides while cut */
    dmsc_router_prefix_add(s->nodes[3]->rt, &pa.name, 1, NULL, s->now);
    dmsc_router_prefix_remove(s->nodes[8]->rt, &pb.name, 1, s->now);
    dmsc_router_prefix_add(s->nodes[9]->rt, &pb.name, 1, NULL, s->now);
    sim_run(s, 35 * SEC);
    assert_int_equal(status(s->nodes[0]).lsas, 5); /* the other side aged out */
    assert_int_equal(status(s->nodes[7]).lsas, 5);

    s->links[br1].up = s->links[br2].up = true;
    run_until_converged(s, 10 * SEC);
    assert_int_equal(status(s->nodes[0]).lsas, 10);
    check_routes(s);
    static uint64_t d[MAXNODES][MAXNODES];
    floyd(s, d);
    assert_true(best_cost(s->nodes[6], "/svc/a") == d[6][3]);
    assert_true(best_cost(s->nodes[1], "/svc/b") == d[1][9]);
    /* a second cut and heal before anything ages out */
    s->links[br1].up = s->links[br2].up = false;
    sim_run(s, 3 * SEC);
    s->links[br1].up = s->links[br2].up = true;
    run_until_converged(s, 10 * SEC);
    check_routes(s);
    for (int i = 0; i < s->n; i++)
        assert_int_equal(dmsc_router_counters(s->nodes[i]->rt)->loading_timeouts, 0);
    sim_free(s);
}

/* A restarted node that lost its sequence number jumps above its old LSA. */
static void test_restart_seq_bump(void **state)
{
    dmsc_router_config_t c = test_cfg();
    c.seq_reserve_block = 4;
    sim_t *s = sim_new(&c, 40);
    for (int i = 0; i < 3; i++)
        sim_node(s);
    sim_link(s, 0, 1, 1);
    sim_link(s, 1, 2, 1);
    sim_start(s);
    run_until_converged(s, 5 * SEC);
    node_t *C = s->nodes[2];
    dmsc_namebuf_t p;
    dmsc_namebuf_from_uri(&p, "/svc/c");
    for (int i = 0; i < 6; i++) { /* push its seq up */
        dmsc_router_prefix_attr_t at = {(uint64_t)i, 0, 0};
        dmsc_router_prefix_add(C->rt, &p.name, 1, &at, s->now);
        sim_run(s, 200 * MS);
    }
    uint64_t old = status(C).own_seq;
    assert_true(old >= 8);
    assert_true(C->last_reserve >= old); /* reserved ahead of use */
    /* restart without its state (seq 0) but with its key */
    node_stop(C);
    sim_run(s, 300 * MS); /* shorter than the dead interval: B keeps the adjacency */
    node_start(s, C, 0);
    run_until_converged(s, 10 * SEC);
    assert_true(status(C).own_seq > old);
    assert_true(dmsc_router_counters(C->rt)->self_bumps >= 1);
    assert_int_equal(dmsc_router_counters(C->rt)->loading_timeouts, 0);
    check_routes(s);
    /* the prefix is gone (the new instance does not serve it) */
    assert_true(best_cost(s->nodes[0], "/svc/c") == INF);
    /* a restart with the reserved value from its state directory needs no bump */
    uint64_t reserved = C->last_reserve;
    node_stop(C);
    sim_run(s, 300 * MS);
    node_start(s, C, reserved);
    run_until_converged(s, 10 * SEC);
    assert_int_equal(dmsc_router_counters(C->rt)->self_bumps, 0);
    assert_true(status(C).own_seq > reserved);
    sim_free(s);
}

/* A lost LSU is sent again after rxmt_interval; a lost acknowledgement
 * makes a duplicate that is acknowledged again. No anti-entropy needed. */
static void test_retransmission(void **state)
{
    sim_t *s = sim_new(NULL, 80);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 1);
    sim_start(s);
    run_until_converged(s, 3 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    const dmsc_router_counters_t *cb = dmsc_router_counters(B->rt);
    const dmsc_router_counters_t *ca = dmsc_router_counters(A->rt);
    uint64_t rxmt0 = cb->rxmt, dup0 = ca->lsa_dup;
    s->links[l].drop_lsu = 2;
    dmsc_namebuf_t p;
    dmsc_namebuf_from_uri(&p, "/svc/r");
    dmsc_router_prefix_add(B->rt, &p.name, 1, NULL, s->now);
    sim_run(s, 200 * MS);
    assert_true(best_cost(A, "/svc/r") == INF); /* first copy lost */
    sim_run(s, 300 * MS);
    assert_true(best_cost(A, "/svc/r") == INF); /* second copy lost */
    sim_run(s, 300 * MS);
    assert_int_equal(best_cost(A, "/svc/r"), 1); /* third copy made it */
    assert_int_equal(cb->rxmt - rxmt0, 2);
    /* lost acknowledgement: the LSA arrives twice */
    s->links[l].drop_lsu_ack = 1;
    dmsc_router_prefix_remove(B->rt, &p.name, 1, s->now);
    sim_run(s, 1 * SEC);
    assert_true(best_cost(A, "/svc/r") == INF);
    assert_int_equal(cb->rxmt - rxmt0, 3);
    assert_int_equal(ca->lsa_dup - dup0, 1);
    assert_int_equal(nbr_info(B, FACE0 + l).pending, 0);
    assert_int_equal(cb->anti_entropy + ca->anti_entropy, 0);
    sim_free(s);
}

/* An adjacency counts only when both ends advertise it. */
static void test_two_way_check(void **state)
{
    sim_t *s = sim_new(NULL, 90);
    int a = sim_node(s), b = sim_node(s);
    sim_link(s, a, b, 1);
    sim_start(s);
    run_until_converged(s, 3 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    int x = sim_node(s); /* not started: only its LSAs exist */
    node_t *X = s->nodes[x];
    node_stop(B); /* A keeps B as FULL for a while: no bump from the real B */
    uint8_t pb[32], px[32];
    size_t n;
    dmsc_key_export_raw_public(B->key, pb, 32, &n);
    dmsc_key_export_raw_public(X->key, px, 32, &n);
    const dmsc_signer_t *sb, *sx;
    dmsc_key_signer(B->key, DMSC_KEYLOC_NAME, &sb);
    dmsc_key_signer(X->key, DMSC_KEYLOC_NAME, &sx);
    static uint8_t buf[2 * DMSC_LSA_MAX_SIZE];
    dmsc_slice_t w;
    /* B lists A and X; X lists nobody */
    dmsc_lsa_adj_t badj[2] = {{dmsc_slice(A->name.name.value, A->name.name.len), 1},
                              {dmsc_slice(X->name.name.value, X->name.name.len), 2}};
    assert_int_equal(dmsc_lsa_encode(&B->name.name, 1000, 3600000, pb, badj, 2, NULL, 0, sb, buf,
                                     sizeof buf, &w),
                     0);
    assert_int_equal(dmsc_router_lsa_install(A->rt, w.p, w.n, 3600 * SEC, s->now), 0);
    assert_int_equal(
        dmsc_lsa_encode(&X->name.name, 1, 3600000, px, NULL, 0, NULL, 0, sx, buf, sizeof buf, &w),
        0);
    assert_int_equal(dmsc_router_lsa_install(A->rt, w.p, w.n, 3600 * SEC, s->now), 0);
    sim_run(s, 100 * MS);
    assert_int_equal(best_cost(A, node_uri(b)), 1);
    assert_true(best_cost(A, node_uri(x)) == INF);
    /* X lists B too: now reachable over B */
    dmsc_lsa_adj_t xadj = {dmsc_slice(B->name.name.value, B->name.name.len), 2};
    assert_int_equal(
        dmsc_lsa_encode(&X->name.name, 2, 3600000, px, &xadj, 1, NULL, 0, sx, buf, sizeof buf, &w),
        0);
    assert_int_equal(dmsc_router_lsa_install(A->rt, w.p, w.n, 3600 * SEC, s->now), 0);
    /* an older copy is not installed */
    assert_int_equal(
        dmsc_lsa_encode(&X->name.name, 1, 3600000, px, &xadj, 1, NULL, 0, sx, buf, sizeof buf, &w),
        0);
    assert_int_equal(dmsc_router_lsa_install(A->rt, w.p, w.n, 3600 * SEC, s->now), 1);
    sim_run(s, 100 * MS);
    assert_int_equal(best_cost(A, node_uri(x)), 3);
    assert_int_equal(status(A).reachable, 2);
    sim_free(s);
}

/* Forged LSAs and hellos are rejected and counted. */
static void test_signature_rejection(void **state)
{
    sim_t *s = sim_new(NULL, 50);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 3);
    sim_start(s);
    run_until_converged(s, 3 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    uint64_t dg = digest(A);

    /* an LSA claiming to be B's, with B's public key, signed by another key */
    dmsc_key_t *evil;
    assert_int_equal(dmsc_key_generate(&evil, DMSC_SIG_ED25519), 0);
    assert_int_equal(dmsc_key_set_identity(evil, &B->name.name, NULL, 0), 0);
    const dmsc_signer_t *sg;
    assert_int_equal(dmsc_key_signer(evil, DMSC_KEYLOC_NAME, &sg), 0);
    uint8_t bpub[32];
    size_t n;
    assert_int_equal(dmsc_key_export_raw_public(B->key, bpub, 32, &n), 0);
    dmsc_namebuf_t evil_pfx;
    dmsc_namebuf_from_uri(&evil_pfx, "/bank");
    dmsc_lsa_prefix_t pf = {dmsc_slice(evil_pfx.name.value, evil_pfx.name.len), 0, 0, 0};
    static uint8_t buf[2 * DMSC_LSA_MAX_SIZE];
    dmsc_slice_t lsa;
    assert_int_equal(dmsc_lsa_encode(&B->name.name, 1000, 3600000, bpub, NULL, 0, &pf, 1, sg, buf,
                                     sizeof buf, &lsa),
                     0);
    assert_int_equal(dmsc_router_lsa_install(A->rt, lsa.p, lsa.n, 3600 * SEC, s->now), DMSC_ESIG);
    /* the same, flooded by B over the link: acknowledged, not installed */
    uint8_t params[DMSC_RT_PARAMS_MAX];
    dmsc_enc_t e;
    dmsc_enc_init(&e, params, sizeof params);
    dmsc_lsu_entry_prepend(&e, 3600000, lsa.p, lsa.n);
    dmsc_namebuf_t nm;
    assert_int_equal(dmsc_rtmsg_name(&nm, DMSC_RT_MSG_LSU, &B->name.name, 99999), 0);
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = nm.name;
    in.has_app_params = true;
    in.app_params = dmsc_slice(dmsc_enc_data(&e), sizeof params - dmsc_enc_mark(&e));
    static uint8_t ibuf[DMSC_RT_MSG_MAX + 512];
    dmsc_slice_t w;
    assert_int_equal(dmsc_interest_encode(&in, NULL, ibuf, sizeof ibuf, &w), 0);
    dmsc_pkt_t pkt = {.kind = DMSC_PKT_INTEREST, .wire = w.p, .len = w.n};
    size_t q0 = s->nq;
    assert_int_equal(dmsc_router_receive(A->rt, FACE0 + l, &pkt, s->now), 0);
    assert_int_equal(s->nq, q0 + 1); /* the acknowledgement */
    assert_int_equal(s->q[s->nq - 1].kind, DMSC_PKT_DATA);
    assert_int_equal(dmsc_router_counters(A->rt)->lsa_bad_sig, 2);
    assert_int_equal(A->ev_reject, 2);
    assert_true(digest(A) == dg);
    sim_run(s, 500 * MS);
    assert_true(best_cost(A, "/bank") == INF);

    /* tampered bytes of a genuine LSA (B's own, from A's LSDB) */
    dmsc_key_free(evil);
    /* a hello with a bad signature */
    uint8_t hp[512];
    dmsc_enc_init(&e, hp, sizeof hp);
    dmsc_hello_prepend(&e, &B->name.name, bpub, 0, 0);
    assert_int_equal(dmsc_rtmsg_name(&nm, DMSC_RT_MSG_HELLO, &B->name.name, 5), 0);
    dmsc_interest_init(&in);
    in.name = nm.name;
    in.has_app_params = true;
    in.app_params = dmsc_slice(dmsc_enc_data(&e), sizeof hp - dmsc_enc_mark(&e));
    assert_int_equal(dmsc_key_generate(&evil, DMSC_SIG_ED25519), 0);
    assert_int_equal(dmsc_key_set_identity(evil, &B->name.name, NULL, 0), 0);
    assert_int_equal(dmsc_key_signer(evil, DMSC_KEYLOC_NAME, &sg), 0);
    assert_int_equal(dmsc_interest_encode(&in, sg, ibuf, sizeof ibuf, &w), 0);
    pkt.wire = w.p;
    pkt.len = w.n;
    q0 = s->nq;
    assert_int_equal(dmsc_router_receive(A->rt, FACE0 + l, &pkt, s->now), DMSC_ESIG);
    assert_int_equal(s->nq, q0); /* not answered */
    assert_int_equal(dmsc_router_counters(A->rt)->hello_bad_sig, 1);
    /* unsigned hello */
    assert_int_equal(dmsc_interest_encode(&in, NULL, ibuf, sizeof ibuf, &w), 0);
    pkt.wire = w.p;
    pkt.len = w.n;
    assert_int_equal(dmsc_router_receive(A->rt, FACE0 + l, &pkt, s->now), DMSC_ESIG);
    dmsc_key_free(evil);
    /* garbage */
    const uint8_t junk[] = {0x05, 0x03, 0x07, 0x01, 0x08};
    pkt.wire = junk;
    pkt.len = sizeof junk;
    assert_true(dmsc_router_receive(A->rt, FACE0 + l, &pkt, s->now) < 0);
    assert_true(dmsc_router_counters(A->rt)->rx_malformed >= 1);
    /* the adjacency is unharmed */
    sim_run(s, 2 * SEC);
    assert_int_equal(nbr_state(A, DMSC_NBR_FULL), 1);
    assert_int_equal(A->ev_down, 0);
    sim_free(s);
}

/* With pinning, an LSA carrying a different key for a known node is refused. */
static void test_key_pinning(void **state)
{
    dmsc_router_config_t c = test_cfg();
    c.pin_keys = true;
    sim_t *s = sim_new(&c, 51);
    int a = sim_node(s), b = sim_node(s);
    sim_link(s, a, b, 3);
    sim_start(s);
    run_until_converged(s, 3 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    dmsc_key_t *k2;
    assert_int_equal(dmsc_key_generate(&k2, DMSC_SIG_ED25519), 0);
    assert_int_equal(dmsc_key_set_identity(k2, &B->name.name, NULL, 0), 0);
    const dmsc_signer_t *sg;
    assert_int_equal(dmsc_key_signer(k2, DMSC_KEYLOC_NAME, &sg), 0);
    uint8_t pub2[32];
    size_t n;
    dmsc_key_export_raw_public(k2, pub2, 32, &n);
    static uint8_t buf[2 * DMSC_LSA_MAX_SIZE];
    dmsc_slice_t lsa;
    assert_int_equal(dmsc_lsa_encode(&B->name.name, 1000, 3600000, pub2, NULL, 0, NULL, 0, sg, buf,
                                     sizeof buf, &lsa),
                     0);
    assert_int_equal(dmsc_router_lsa_install(A->rt, lsa.p, lsa.n, 3600 * SEC, s->now), DMSC_EKEY);
    assert_int_equal(dmsc_router_counters(A->rt)->lsa_untrusted, 1);
    dmsc_key_free(k2);
    sim_free(s);
}

/* A face the other side added is adopted from its hellos. */
static void test_adopt_face(void **state)
{
    sim_t *s = sim_new(NULL, 60);
    int a = sim_node(s), b = sim_node(s);
    int l = sim_link(s, a, b, 2);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    node_start(s, A, 0);
    /* B starts without faces */
    dmsc_router_io_t io = {B, io_send, io_route_add, io_route_remove, io_event};
    assert_int_equal(dmsc_router_new(&B->rt, &B->name.name, B->key, &s->cfg, &io, NULL), 0);
    B->alive = true;
    sim_run(s, 2 * SEC);
    assert_int_equal(nbr_state(B, DMSC_NBR_FULL), 1);
    assert_int_equal(nbr_info(B, FACE0 + l).cost, 30); /* adopted faces measure RTT */
    assert_int_equal(best_cost(B, node_uri(a)), 30);
    assert_int_equal(best_cost(A, node_uri(b)), 2);
    sim_free(s);
}

/* The attributes node `origin` advertises for prefix, as nd's LSDB has them. */
typedef struct {
    const dmsc_name_t *origin;
    const char *prefix;
    uint64_t load, cap;
    bool found;
} adv_t;

static int adv_cb(void *arg, const dmsc_router_lsa_info_t *li)
{
    adv_t *a = arg;
    if (!dmsc_name_equal(li->origin, a->origin)) return 0;
    dmsc_lsa_t lsa;
    assert_int_equal(dmsc_lsa_decode(&lsa, li->wire, li->len), 0);
    dmsc_lsa_iter_t it;
    dmsc_lsa_iter_init(&it, &lsa.content);
    dmsc_lsa_prefix_t p;
    while (dmsc_lsa_next_prefix(&it, &p)) {
        dmsc_name_t n;
        char uri[96];
        assert_int_equal(dmsc_name_from_value(&n, p.name.p, p.name.n), 0);
        assert_true(dmsc_name_to_uri(&n, DMSC_URI_ALT, uri, sizeof uri) > 0);
        if (strcmp(uri, a->prefix) == 0) {
            a->load = p.load;
            a->cap = p.capacity;
            a->found = true;
        }
    }
    return 1;
}

static bool advertised(const node_t *nd, const dmsc_name_t *origin, const char *prefix,
                       uint64_t *load, uint64_t *cap)
{
    adv_t a = {origin, prefix, 0, 0, false};
    dmsc_router_foreach_lsa(nd->rt, nd->sim->now, adv_cb, &a);
    *load = a.load;
    *cap = a.cap;
    return a.found;
}

/* Prefix owners, attribute thresholds, limits. */
static void test_local_prefixes(void **state)
{
    sim_t *s = sim_new(NULL, 70);
    int a = sim_node(s), b = sim_node(s);
    sim_link(s, a, b, 1);
    sim_start(s);
    run_until_converged(s, 3 * SEC);
    node_t *A = s->nodes[a], *B = s->nodes[b];
    dmsc_namebuf_t p;
    dmsc_namebuf_from_uri(&p, "/svc/kv");
    dmsc_router_prefix_attr_t at = {0, 100, 1000};
    assert_int_equal(dmsc_router_prefix_add(A->rt, &p.name, 1, &at, s->now), 0);
    at.cost = 4;
    assert_int_equal(dmsc_router_prefix_add(A->rt, &p.name, 2, &at, s->now), 0);
    sim_run(s, 500 * MS);
    assert_int_equal(best_cost(B, "/svc/kv"), 1); /* lowest cost of the owners */
    int orig = A->ev_orig;
    /* load +4 % of the advertised 200: rides on a later LSA */
    at.load = 108;
    dmsc_router_prefix_add(A->rt, &p.name, 2, &at, s->now);
    sim_run(s, 500 * MS);
    assert_int_equal(A->ev_orig, orig);
    /* load doubles: re-originated */
    at.load = 300;
    dmsc_router_prefix_add(A->rt, &p.name, 2, &at, s->now);
    sim_run(s, 500 * MS);
    assert_int_equal(A->ev_orig, orig + 1);
    /* B sees A's advertised attributes: summed load and capacity */
    uint64_t load = 0, cap = 0;
    assert_true(advertised(B, &A->name.name, "/svc/kv", &load, &cap));
    assert_int_equal(load, 100 + 300);
    assert_int_equal(cap, 2000);
    /* one owner leaves: still served by the other */
    assert_int_equal(dmsc_router_prefix_remove_owner(A->rt, 1, s->now), 1);
    sim_run(s, 500 * MS);
    assert_int_equal(best_cost(B, "/svc/kv"), 5);
    assert_int_equal(dmsc_router_prefix_remove_owner(A->rt, 2, s->now), 1);
    sim_run(s, 500 * MS);
    assert_true(best_cost(B, "/svc/kv") == INF);
    /* bad arguments and the LSA size ceiling */
    dmsc_namebuf_t root;
    dmsc_namebuf_init(&root);
    assert_int_equal(dmsc_router_prefix_add(A->rt, &root.name, 1, NULL, s->now), DMSC_EINVAL);
    at.cost = DMSC_RT_COST_MAX + 1;
    assert_int_equal(dmsc_router_prefix_add(A->rt, &p.name, 1, &at, s->now), DMSC_EINVAL);
    int added = 0, rc = 0;
    for (int i = 0; i < 1000 && rc == 0; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "/services/example/prefix-number-%04d", i);
        dmsc_namebuf_from_uri(&p, uri);
        rc = dmsc_router_prefix_add(A->rt, &p.name, 9, NULL, s->now);
        if (rc == 0) added++;
    }
    assert_int_equal(rc, DMSC_ENOBUFS);
    assert_true(added > 100);
    sim_run(s, 1 * SEC);
    assert_true(digest(A) == digest(B)); /* the big LSA (under the ceiling) flooded */
    assert_true(best_cost(B, "/services/example/prefix-number-0000") == 1);
    sim_free(s);
}

/* ---- identity ---- */

static void test_identity(void **state)
{
    char dir[] = "/tmp/dmsc-route-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[128];
    snprintf(sub, sizeof sub, "%s/state", dir);
    dmsc_key_t *k1, *k2;
    dmsc_namebuf_t n1, n2;
    bool created;
    assert_int_equal(dmsc_identity_load(sub, NULL, NULL, &k1, &n1, &created), 0);
    assert_true(created);
    char uri[128];
    assert_true(dmsc_name_to_uri(&n1.name, DMSC_URI_CANONICAL, uri, sizeof uri) > 0);
    assert_int_equal(strncmp(uri, "/dmsc/node/", 11), 0);
    assert_int_equal(strlen(uri), 11 + 16);
    /* the key is named <node>/KEY/<keyid> and usable by a router */
    const dmsc_name_t *kn = dmsc_key_name(k1);
    assert_non_null(kn);
    assert_int_equal(kn->ncomps, n1.name.ncomps + 2);
    assert_true(dmsc_name_is_prefix(&n1.name, kn));
    /* second start: same key and name */
    assert_int_equal(dmsc_identity_load(sub, NULL, NULL, &k2, &n2, &created), 0);
    assert_false(created);
    assert_true(dmsc_name_equal(&n1.name, &n2.name));
    assert_memory_equal(dmsc_key_digest(k1), dmsc_key_digest(k2), 32);
    dmsc_key_free(k2);
    /* a configured name renames the key (and sticks) */
    assert_int_equal(dmsc_identity_load(sub, "/acme/node/web-1", NULL, &k2, &n2, &created), 0);
    assert_false(created);
    assert_true(dmsc_name_to_uri(&n2.name, DMSC_URI_CANONICAL, uri, sizeof uri) > 0);
    assert_string_equal(uri, "/acme/node/web-1");
    assert_memory_equal(dmsc_key_digest(k1), dmsc_key_digest(k2), 32);
    dmsc_key_free(k2);
    assert_int_equal(dmsc_identity_load(sub, NULL, NULL, &k2, &n2, &created), 0);
    assert_true(dmsc_name_to_uri(&n2.name, DMSC_URI_CANONICAL, uri, sizeof uri) > 0);
    assert_string_equal(uri, "/acme/node/web-1");
    dmsc_router_t *rt;
    dmsc_router_io_t io = {NULL, io_send, io_route_add, io_route_remove, NULL};
    assert_int_equal(dmsc_router_new(&rt, &n2.name, k2, NULL, &io, NULL), 0);
    dmsc_router_free(rt);
    /* the key must match the router's name */
    assert_int_equal(dmsc_router_new(&rt, &n1.name, k2, NULL, &io, NULL), DMSC_EINVAL);
    dmsc_key_free(k2);
    dmsc_key_free(k1);
    /* a derived name in another domain */
    char sub2[128];
    snprintf(sub2, sizeof sub2, "%s/state2", dir);
    assert_int_equal(dmsc_identity_load(sub2, NULL, "/example/prod", &k1, &n1, &created), 0);
    assert_true(dmsc_name_to_uri(&n1.name, DMSC_URI_CANONICAL, uri, sizeof uri) > 0);
    assert_int_equal(strncmp(uri, "/example/prod/node/", 19), 0);
    dmsc_key_free(k1);
    /* sequence numbers */
    uint64_t seq = 7;
    assert_int_equal(dmsc_identity_seq_load(sub, &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(dmsc_identity_seq_save(sub, 123456789012ull), 0);
    assert_int_equal(dmsc_identity_seq_load(sub, &seq), 0);
    assert_true(seq == 123456789012ull);
    /* bad input */
    assert_int_equal(dmsc_identity_load(sub, "not a uri %zz", NULL, &k1, &n1, NULL), DMSC_EINVAL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_nodes),         cmocka_unit_test(test_dead_neighbor),
        cmocka_unit_test(test_unreachable),       cmocka_unit_test(test_loss_no_flap),
        cmocka_unit_test(test_one_way_link),      cmocka_unit_test(test_cost_hysteresis),
        cmocka_unit_test(test_refresh_and_aging), cmocka_unit_test(test_flooding_with_loss),
        cmocka_unit_test(test_retransmission),    cmocka_unit_test(test_two_way_check),
        cmocka_unit_test(test_spf_line_ring),     cmocka_unit_test(test_spf_random_graphs),
        cmocka_unit_test(test_two_producers),     cmocka_unit_test(test_partition_heal),
        cmocka_unit_test(test_restart_seq_bump),  cmocka_unit_test(test_signature_rejection),
        cmocka_unit_test(test_key_pinning),       cmocka_unit_test(test_adopt_face),
        cmocka_unit_test(test_local_prefixes),    cmocka_unit_test(test_identity),
    };
    return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
