/* SPF with loop-free multipath, checked against Floyd-Warshall on lines,
 * rings and random graphs (every node as source, several bounds), plus
 * hand-checked ranking and LFA cases, and the route table merge and diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "route/rtable.h"
#include "route/spf.h"

#define INF DMSC_SPF_INF
#define MAXN 64

typedef struct {
    uint32_t n;
    uint64_t w[MAXN][MAXN]; /* 0 = no edge */
} graph_t;

typedef struct {
    uint32_t off[MAXN + 1], dst[MAXN * MAXN];
    uint64_t cost[MAXN * MAXN];
    dmsc_spf_graph_t g;
} csr_t;

static void to_csr(const graph_t *G, csr_t *c)
{
    uint32_t at = 0;
    for (uint32_t u = 0; u < G->n; u++) {
        c->off[u] = at;
        for (uint32_t v = 0; v < G->n; v++)
            if (G->w[u][v]) {
                c->dst[at] = v;
                c->cost[at] = G->w[u][v];
                at++;
            }
    }
    c->off[G->n] = at;
    c->g = (dmsc_spf_graph_t){G->n, c->off, c->dst, c->cost};
}

static void floyd(const graph_t *G, uint64_t d[MAXN][MAXN])
{
    for (uint32_t i = 0; i < G->n; i++)
        for (uint32_t j = 0; j < G->n; j++)
            d[i][j] = i == j ? 0 : G->w[i][j] ? G->w[i][j] : INF;
    for (uint32_t k = 0; k < G->n; k++)
        for (uint32_t i = 0; i < G->n; i++)
            for (uint32_t j = 0; j < G->n; j++)
                if (d[i][k] != INF && d[k][j] != INF && d[i][k] + d[k][j] < d[i][j])
                    d[i][j] = d[i][k] + d[k][j];
}

static uint64_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

typedef struct {
    uint32_t link;
    uint64_t cost;
} ref_nh_t;

static int ref_cmp(const void *a, const void *b)
{
    const ref_nh_t *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
    return x->link < y->link ? -1 : x->link > y->link;
}

/* The reference: the definition in spf.h evaluated with Floyd-Warshall. */
static void check_source(const graph_t *G, uint64_t d[MAXN][MAXN], uint32_t src,
                         const dmsc_spf_opts_t *o, dmsc_spf_t *s)
{
    csr_t *c = malloc(sizeof *c);
    to_csr(G, c);
    dmsc_spf_link_t links[MAXN];
    size_t nl = 0;
    for (uint32_t v = 0; v < G->n; v++)
        if (G->w[src][v]) links[nl++] = (dmsc_spf_link_t){v, G->w[src][v]};
    assert_int_equal(dmsc_spf_run(s, &c->g, src, links, nl, o), 0);
    for (uint32_t x = 0; x < G->n; x++) {
        assert_true(dmsc_spf_dist(s, x) == d[src][x]);
        ref_nh_t ref[MAXN];
        size_t nr = 0;
        if (x != src && d[src][x] != INF) {
            for (size_t l = 0; l < nl; l++) {
                uint32_t nb = links[l].nbr;
                if (d[nb][x] == INF) continue;
                if (x != nb && d[nb][src] != INF && !(d[nb][x] < d[nb][src] + d[src][x])) continue;
                uint64_t cost = links[l].cost + d[nb][x];
                if (cost * 100 > d[src][x] * (100 + (uint64_t)o->bound_pct)) continue;
                ref[nr++] = (ref_nh_t){(uint32_t)l, cost};
            }
            qsort(ref, nr, sizeof *ref, ref_cmp);
            if (nr > o->max_nexthops) nr = o->max_nexthops;
            /* the shortest path's first hop is always there */
            assert_true(nr >= 1);
            assert_true(ref[0].cost == d[src][x]);
        }
        const dmsc_spf_nh_t *nh;
        size_t n = dmsc_spf_nexthops(s, x, &nh);
        assert_int_equal(n, nr);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(nh[i].link, ref[i].link);
            assert_true(nh[i].cost == ref[i].cost);
        }
    }
    free(c);
}

static void check_all(const graph_t *G, uint32_t bound, uint32_t maxnh)
{
    static uint64_t d[MAXN][MAXN];
    floyd(G, d);
    dmsc_spf_t s;
    dmsc_spf_init(&s);
    dmsc_spf_opts_t o = {bound, maxnh};
    for (uint32_t src = 0; src < G->n; src++)
        check_source(G, d, src, &o, &s);
    dmsc_spf_free(&s);
}

static void edge(graph_t *G, uint32_t a, uint32_t b, uint64_t wab, uint64_t wba)
{
    G->w[a][b] = wab;
    G->w[b][a] = wba;
}

static void test_line(void **state)
{
    graph_t *G = calloc(1, sizeof *G);
    G->n = 6;
    for (uint32_t i = 0; i + 1 < G->n; i++)
        edge(G, i, i + 1, 1 + i, 1 + i);
    check_all(G, 100, 4);
    /* on a line there is no alternative: exactly one next hop everywhere */
    static uint64_t d[MAXN][MAXN];
    floyd(G, d);
    assert_int_equal(d[0][5], 1 + 2 + 3 + 4 + 5);
    csr_t *c = malloc(sizeof *c);
    to_csr(G, c);
    dmsc_spf_t s;
    dmsc_spf_init(&s);
    dmsc_spf_link_t links[2] = {{1, 2}, {3, 3}}; /* node 2 */
    dmsc_spf_opts_t o = {1000, 8};
    assert_int_equal(dmsc_spf_run(&s, &c->g, 2, links, 2, &o), 0);
    const dmsc_spf_nh_t *nh;
    assert_int_equal(dmsc_spf_nexthops(&s, 0, &nh), 1);
    assert_int_equal(nh[0].link, 0);
    assert_int_equal(dmsc_spf_nexthops(&s, 5, &nh), 1);
    assert_int_equal(nh[0].link, 1);
    assert_int_equal(dmsc_spf_nexthops(&s, 2, &nh), 0);
    dmsc_spf_free(&s);
    free(c);
    free(G);
}

static void test_ring(void **state)
{
    graph_t *G = calloc(1, sizeof *G);
    for (uint32_t n = 3; n <= 9; n++) {
        memset(G, 0, sizeof *G);
        G->n = n;
        for (uint32_t i = 0; i < n; i++)
            edge(G, i, (i + 1) % n, 1, 1);
        check_all(G, 100, 4);
        check_all(G, 0, 4);
        check_all(G, 1000, 1);
    }
    /* even ring: the opposite node has two equal paths */
    memset(G, 0, sizeof *G);
    G->n = 6;
    for (uint32_t i = 0; i < 6; i++)
        edge(G, i, (i + 1) % 6, 1, 1);
    csr_t *c = malloc(sizeof *c);
    to_csr(G, c);
    dmsc_spf_t s;
    dmsc_spf_init(&s);
    dmsc_spf_link_t links[2] = {{1, 1}, {5, 1}};
    dmsc_spf_opts_t o = {0, 4};
    assert_int_equal(dmsc_spf_run(&s, &c->g, 0, links, 2, &o), 0);
    const dmsc_spf_nh_t *nh;
    assert_int_equal(dmsc_spf_nexthops(&s, 3, &nh), 2);
    assert_true(nh[0].cost == 3 && nh[1].cost == 3);
    assert_int_equal(nh[0].link, 0);
    assert_int_equal(nh[1].link, 1);
    /* the neighbor itself: only the direct link is within 0 % */
    assert_int_equal(dmsc_spf_nexthops(&s, 1, &nh), 1);
    dmsc_spf_free(&s);
    free(c);
    free(G);
}

static void test_random_graphs(void **state)
{
    graph_t *G = calloc(1, sizeof *G);
    for (int round = 0; round < 40; round++) {
        memset(G, 0, sizeof *G);
        G->n = 5 + rnd() % 36;
        /* a random tree keeps it mostly connected; extra random edges; some
         * asymmetric costs; round 7 leaves a node isolated */
        for (uint32_t v = 1; v < G->n; v++) {
            if (round == 7 && v == G->n - 1) break;
            uint32_t u = rnd() % v;
            edge(G, u, v, 1 + rnd() % 20, 1 + rnd() % 20);
        }
        uint32_t extra = G->n * (1 + rnd() % 3) / 2;
        for (uint32_t i = 0; i < extra; i++) {
            uint32_t a = rnd() % G->n, b = rnd() % G->n;
            if (a == b || (round == 7 && (a == G->n - 1 || b == G->n - 1))) continue;
            uint64_t w = 1 + rnd() % 20;
            edge(G, a, b, w, round % 2 ? w : 1 + rnd() % 20);
        }
        uint32_t bounds[] = {0, 25, 100, 400};
        check_all(G, bounds[round % 4], 1 + round % 5);
    }
    free(G);
}

/* a-b-d and a-c-d: via b costs 2, via c costs 3 */
static void test_ranking_and_bound(void **state)
{
    graph_t *G = calloc(1, sizeof *G);
    G->n = 4; /* a0 b1 c2 d3 */
    edge(G, 0, 1, 1, 1);
    edge(G, 1, 3, 1, 1);
    edge(G, 0, 2, 1, 1);
    edge(G, 2, 3, 2, 2);
    csr_t *c = malloc(sizeof *c);
    to_csr(G, c);
    dmsc_spf_t s;
    dmsc_spf_init(&s);
    dmsc_spf_link_t links[2] = {{2, 1}, {1, 1}}; /* c first: ranking is by cost, not order */
    dmsc_spf_opts_t o = {100, 4};
    assert_int_equal(dmsc_spf_run(&s, &c->g, 0, links, 2, &o), 0);
    const dmsc_spf_nh_t *nh;
    assert_int_equal(dmsc_spf_nexthops(&s, 3, &nh), 2);
    assert_int_equal(nh[0].link, 1);
    assert_true(nh[0].cost == 2);
    assert_int_equal(nh[1].link, 0);
    assert_true(nh[1].cost == 3);
    /* 3 > 2 * 1.2: only the best */
    o.bound_pct = 20;
    assert_int_equal(dmsc_spf_run(&s, &c->g, 0, links, 2, &o), 0);
    assert_int_equal(dmsc_spf_nexthops(&s, 3, &nh), 1);
    assert_int_equal(nh[0].link, 1);
    /* 3 <= 2 * 1.5 */
    o.bound_pct = 50;
    assert_int_equal(dmsc_spf_run(&s, &c->g, 0, links, 2, &o), 0);
    assert_int_equal(dmsc_spf_nexthops(&s, 3, &nh), 2);
    /* max_nexthops 1 */
    o.bound_pct = 100;
    o.max_nexthops = 1;
    assert_int_equal(dmsc_spf_run(&s, &c->g, 0, links, 2, &o), 0);
    assert_int_equal(dmsc_spf_nexthops(&s, 3, &nh), 1);
    /* parallel links to b: both used, cheaper first */
    dmsc_spf_link_t par[3] = {{1, 5}, {1, 1}, {2, 1}};
    o.max_nexthops = 4;
    o.bound_pct = 300;
    assert_int_equal(dmsc_spf_run(&s, &c->g, 0, par, 3, &o), 0);
    assert_int_equal(dmsc_spf_nexthops(&s, 3, &nh), 3);
    assert_int_equal(nh[0].link, 1);
    assert_int_equal(nh[1].link, 2);
    assert_int_equal(nh[2].link, 0);
    assert_true(nh[2].cost == 6);
    dmsc_spf_free(&s);
    free(c);
    free(G);
}

/* On a line a-b-c, b must not use c to reach a: c's path to a is through b. */
static void test_lfa_excludes_loops(void **state)
{
    graph_t *G = calloc(1, sizeof *G);
    G->n = 3;
    edge(G, 0, 1, 1, 1);
    edge(G, 1, 2, 1, 1);
    csr_t *c = malloc(sizeof *c);
    to_csr(G, c);
    dmsc_spf_t s;
    dmsc_spf_init(&s);
    dmsc_spf_link_t links[2] = {{0, 1}, {2, 1}};
    dmsc_spf_opts_t o = {100000, 4};
    assert_int_equal(dmsc_spf_run(&s, &c->g, 1, links, 2, &o), 0);
    const dmsc_spf_nh_t *nh;
    assert_int_equal(dmsc_spf_nexthops(&s, 0, &nh), 1);
    assert_int_equal(nh[0].link, 0);
    /* bad arguments */
    dmsc_spf_link_t self_link = {1, 1};
    assert_int_equal(dmsc_spf_run(&s, &c->g, 1, &self_link, 1, &o), DMSC_EINVAL);
    assert_int_equal(dmsc_spf_run(&s, &c->g, 3, links, 2, &o), DMSC_EINVAL);
    dmsc_spf_free(&s);
    free(c);
    free(G);
}

/* ---- route table ---- */

typedef struct {
    int adds, removes;
    char log[64][32];
    int n;
} diff_log_t;

static void on_add(void *ctx, const uint8_t *key, size_t len, dmsc_faceid_t face, uint64_t cost)
{
    diff_log_t *l = ctx;
    l->adds++;
    snprintf(l->log[l->n++], 32, "+%.*s/%u/%llu", (int)len, key, face, (unsigned long long)cost);
}

static void on_remove(void *ctx, const uint8_t *key, size_t len, dmsc_faceid_t face)
{
    diff_log_t *l = ctx;
    l->removes++;
    snprintf(l->log[l->n++], 32, "-%.*s/%u", (int)len, key, face);
}

static bool logged(const diff_log_t *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->log[i], s) == 0) return true;
    return false;
}

static void test_rtable(void **state)
{
    dmsc_rtable_t a, b;
    dmsc_rtable_init(&a, 1);
    dmsc_rtable_init(&b, 1);
    /* keys are opaque bytes here */
    int64_t p = dmsc_rtable_key(&a, (const uint8_t *)"P", 1, 0);
    int64_t q = dmsc_rtable_key(&a, (const uint8_t *)"Q", 1, 0);
    int64_t x = dmsc_rtable_key(&a, (const uint8_t *)"X", 1, DMSC_RTABLE_EXCLUDED);
    assert_true(p >= 0 && q >= 0 && x >= 0);
    assert_int_equal(dmsc_rtable_key(&a, (const uint8_t *)"P", 1, 0), p);
    /* P served by two origins: face 7 from both (min cost wins), face 8 */
    assert_int_equal(dmsc_rtable_cand(&a, (uint32_t)p, 7, 30, 1), 0);
    assert_int_equal(dmsc_rtable_cand(&a, (uint32_t)p, 8, 20, 1), 0);
    assert_int_equal(dmsc_rtable_cand(&a, (uint32_t)p, 7, 25, 2), 0);
    assert_int_equal(dmsc_rtable_cand(&a, (uint32_t)q, 9, 5, 2), 0);
    assert_int_equal(dmsc_rtable_cand(&a, (uint32_t)x, 9, 5, 2), 0); /* ignored */
    assert_int_equal(dmsc_rtable_finish(&a, 8), 0);
    const dmsc_rtable_ent_t *e = &a.e[p];
    assert_int_equal(e->nh_n, 2);
    assert_int_equal(a.nh[e->nh_off].face, 8);
    assert_int_equal(a.nh[e->nh_off + 1].face, 7);
    assert_int_equal(a.nh[e->nh_off + 1].cost, 25);
    assert_int_equal(a.nh[e->nh_off + 1].origin, 2);
    assert_int_equal(a.e[x].nh_n, 0);
    assert_int_equal(a.n_routes, 2);

    /* diff from empty: everything added */
    diff_log_t l;
    memset(&l, 0, sizeof l);
    dmsc_rtable_diff_cb_t cb = {&l, on_add, on_remove};
    dmsc_rtable_diff(&b, &a, &cb);
    assert_int_equal(l.adds, 3);
    assert_int_equal(l.removes, 0);
    assert_true(logged(&l, "+P/8/20") && logged(&l, "+P/7/25") && logged(&l, "+Q/9/5"));

    /* new table: P via 7 costs 40 now, 8 gone, Q gone, R new; max 1 next hop */
    int64_t p2 = dmsc_rtable_key(&b, (const uint8_t *)"P", 1, 0);
    int64_t r2 = dmsc_rtable_key(&b, (const uint8_t *)"R", 1, 0);
    dmsc_rtable_cand(&b, (uint32_t)p2, 7, 40, 1);
    dmsc_rtable_cand(&b, (uint32_t)r2, 3, 1, 1);
    dmsc_rtable_cand(&b, (uint32_t)r2, 4, 2, 1);
    assert_int_equal(dmsc_rtable_finish(&b, 1), 0);
    memset(&l, 0, sizeof l);
    dmsc_rtable_diff(&a, &b, &cb);
    assert_true(logged(&l, "+P/7/40") && logged(&l, "+R/3/1"));
    assert_true(logged(&l, "-P/8") && logged(&l, "-Q/9"));
    assert_false(logged(&l, "+R/4/2"));
    assert_int_equal(l.adds, 2);
    assert_int_equal(l.removes, 2);
    /* adds come before removes (make before break) */
    assert_int_equal(l.log[0][0], '+');
    assert_int_equal(l.log[l.n - 1][0], '-');
    /* no change: no calls */
    memset(&l, 0, sizeof l);
    dmsc_rtable_diff(&b, &b, &cb);
    assert_int_equal(l.n, 0);

    /* many keys: rehash keeps them findable */
    dmsc_rtable_clear(&a);
    for (int i = 0; i < 3000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(dmsc_rtable_key(&a, (const uint8_t *)k, (size_t)n, 0), i);
    }
    for (int i = 0; i < 3000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(dmsc_rtable_find(&a, (const uint8_t *)k, (size_t)n), i);
    }
    dmsc_rtable_free(&a);
    dmsc_rtable_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_random_graphs),
        cmocka_unit_test(test_ranking_and_bound),
        cmocka_unit_test(test_lfa_excludes_loops),
        cmocka_unit_test(test_rtable),
    };
    return cmocka_run_group_tests_name("route_spf", tests, NULL, NULL);
}
