/*
 * bench_route: LSDB size and SPF time of the routing core on synthetic
 * networks. For each size, a Barabasi-Albert graph (m = 2: mean degree ~4
 * with a heavy tail, the shape of measured router-level topologies), link
 * costs 10..50 (what RTT-derived costs look like), two prefixes per node
 * with load and capacity. Every node's LSA is built and signed with its own
 * Ed25519 key.
 *
 * The measured router is real: it forms FULL adjacencies with its
 * neighbors (routers too, through an in-process loopback), then receives
 * every other LSA through dmsc_router_lsa_install() (verification,
 * install, flooding queue), then runs SPF (graph build, one Dijkstra per
 * neighbor for the loop-free multipath, route table, diff). It is done for
 * the highest-degree node (worst case: most Dijkstras) and for a
 * median-degree one.
 *
 * Usage: bench_route [sizes...]   (default: 100 1000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route/router.h"
#include "route/spf.h"
#include "route/wire.h"
#include "sec/key.h"

#define MS 1000000ull
#define FACE0 256

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 42;
static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

/* ---- synthetic network ---- */

typedef struct {
    uint32_t to;
    uint32_t cost;
} adj_t;

typedef struct {
    uint32_t n;
    adj_t **adj;
    uint32_t *deg, *cap;
    size_t links;
    dmsc_key_t **key;
    dmsc_namebuf_t *name;
    dmsc_namebuf_t (*pfx)[2];
} net_t;

static void add_adj(net_t *g, uint32_t a, uint32_t b, uint32_t c)
{
    if (g->deg[a] == g->cap[a]) {
        g->cap[a] = g->cap[a] ? 2 * g->cap[a] : 4;
        g->adj[a] = realloc(g->adj[a], g->cap[a] * sizeof **g->adj);
    }
    g->adj[a][g->deg[a]++] = (adj_t){b, c};
}

static bool linked(const net_t *g, uint32_t a, uint32_t b)
{
    for (uint32_t i = 0; i < g->deg[a]; i++)
        if (g->adj[a][i].to == b) return true;
    return false;
}

static void link2(net_t *g, uint32_t a, uint32_t b)
{
    uint32_t c = 10 + rnd() % 41;
    add_adj(g, a, b, c);
    add_adj(g, b, a, c);
    g->links++;
}

static net_t *make_net(uint32_t n)
{
    net_t *g = calloc(1, sizeof *g);
    g->n = n;
    g->adj = calloc(n, sizeof *g->adj);
    g->deg = calloc(n, sizeof *g->deg);
    g->cap = calloc(n, sizeof *g->cap);
    g->key = calloc(n, sizeof *g->key);
    g->name = calloc(n, sizeof *g->name);
    g->pfx = calloc(n, sizeof *g->pfx);
    /* Barabasi-Albert, m = 2, from a triangle; `ends` lists every edge end
     * so a uniform pick from it is a pick proportional to degree */
    uint32_t *ends = malloc(4 * (size_t)n * sizeof *ends);
    size_t ne = 0;
    for (uint32_t a = 0; a < 3 && a < n; a++)
        for (uint32_t b = a + 1; b < 3 && b < n; b++) {
            link2(g, a, b);
            ends[ne++] = a;
            ends[ne++] = b;
        }
    for (uint32_t v = 3; v < n; v++) {
        uint32_t got = 0;
        while (got < 2) {
            uint32_t u = ends[rnd() % ne];
            if (u == v || linked(g, v, u)) continue;
            link2(g, v, u);
            ends[ne++] = u;
            ends[ne++] = v;
            got++;
        }
    }
    free(ends);
    for (uint32_t i = 0; i < n; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "/dmsc/node/n%u", i);
        dmsc_namebuf_from_uri(&g->name[i], uri);
        snprintf(uri, sizeof uri, "/svc/service-%u/api", i);
        dmsc_namebuf_from_uri(&g->pfx[i][0], uri);
        snprintf(uri, sizeof uri, "/svc/service-%u/events", i);
        dmsc_namebuf_from_uri(&g->pfx[i][1], uri);
        if (dmsc_key_generate(&g->key[i], DMSC_SIG_ED25519) ||
            dmsc_key_set_identity(g->key[i], &g->name[i].name, NULL, 0)) {
            fprintf(stderr, "key generation failed\n");
            exit(1);
        }
    }
    return g;
}

static void free_net(net_t *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        free(g->adj[i]);
        dmsc_key_free(g->key[i]);
    }
    free(g->adj);
    free(g->deg);
    free(g->cap);
    free(g->key);
    free(g->name);
    free(g->pfx);
    free(g);
}

/* The signed LSA of node v (all its adjacencies and its two prefixes). */
static size_t make_lsa(const net_t *g, uint32_t v, uint64_t seq, uint8_t *buf, size_t cap,
                       dmsc_slice_t *out)
{
    dmsc_lsa_adj_t *a = malloc(g->deg[v] * sizeof *a);
    for (uint32_t i = 0; i < g->deg[v]; i++) {
        const dmsc_name_t *nn = &g->name[g->adj[v][i].to].name;
        a[i].name = dmsc_slice(nn->value, nn->len);
        a[i].cost = g->adj[v][i].cost;
    }
    dmsc_lsa_prefix_t p[2];
    for (int i = 0; i < 2; i++) {
        p[i].name = dmsc_slice(g->pfx[v][i].name.value, g->pfx[v][i].name.len);
        p[i].cost = 0;
        p[i].load = rnd() % 1000;
        p[i].capacity = 1000;
    }
    uint8_t pub[32];
    size_t pl;
    const dmsc_signer_t *s;
    dmsc_key_export_raw_public(g->key[v], pub, 32, &pl);
    dmsc_key_signer(g->key[v], DMSC_KEYLOC_NAME, &s);
    int rc =
        dmsc_lsa_encode(&g->name[v].name, seq, 3600000, pub, a, g->deg[v], p, 2, s, buf, cap, out);
    free(a);
    if (rc) {
        fprintf(stderr, "LSA of n%u: %s\n", v, dmsc_strerror(rc));
        exit(1);
    }
    return out->n;
}

/* ---- the measured router and its neighbors, on a loopback ---- */

typedef struct {
    dmsc_router_t *rt;
    uint32_t idx; /* 0: the measured router, i: neighbor i-1 */
} end_t;

typedef struct {
    uint8_t *w;
    size_t len;
    uint32_t to;
    dmsc_faceid_t face;
    uint8_t kind;
} qmsg_t;

static qmsg_t *Q;
static size_t nq, qcap;
static bool sink;

static int io_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt)
{
    end_t *e = ctx;
    if (sink) return 0;
    if (nq == qcap) {
        qcap = qcap ? 2 * qcap : 1024;
        Q = realloc(Q, qcap * sizeof *Q);
    }
    qmsg_t *m = &Q[nq++];
    m->w = malloc(pkt->len);
    memcpy(m->w, pkt->wire, pkt->len);
    m->len = pkt->len;
    m->kind = pkt->kind;
    if (e->idx == 0) { /* measured -> neighbor face - FACE0 */
        m->to = face - FACE0 + 1;
        m->face = FACE0;
    } else {
        m->to = 0;
        m->face = FACE0 + e->idx - 1;
    }
    return 0;
}

static size_t routes_added;
static int io_add(void *ctx, const dmsc_name_t *p, dmsc_faceid_t f, uint64_t c)
{
    end_t *e = ctx;
    if (e->idx == 0) routes_added++;
    return 0;
}
static void io_remove(void *ctx, const dmsc_name_t *p, dmsc_faceid_t f) {}

typedef struct {
    uint32_t deg;
    uint64_t lsdb_bytes;
    uint32_t lsas;
    size_t summary_bytes;
    double install_us, spf_first_ms, spf_ms, dijkstra_us;
    size_t routes;
    uint32_t reachable;
} result_t;

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const net_t *g, uint32_t v, result_t *r)
{
    uint32_t k = g->deg[v];
    end_t *E = calloc(k + 1, sizeof *E);
    dmsc_router_config_t c;
    dmsc_router_config_default(&c);
    c.max_lsas = g->n + 16;
    c.max_faces = k + 1;
    uint64_t now = 1000000 * MS;
    for (uint32_t i = 0; i <= k; i++) {
        uint32_t node = i == 0 ? v : g->adj[v][i - 1].to;
        E[i].idx = i;
        c.rng_seed = 1000 + i;
        dmsc_router_io_t io = {&E[i], io_send, io_add, io_remove, NULL};
        if (dmsc_router_new(&E[i].rt, &g->name[node].name, g->key[node], &c, &io, NULL)) exit(1);
        if (i == 0) {
            for (uint32_t j = 0; j < k; j++)
                dmsc_router_face_add(E[0].rt, FACE0 + j, g->adj[v][j].cost, now);
        } else {
            dmsc_router_face_add(E[i].rt, FACE0, g->adj[v][i - 1].cost, now);
        }
    }
    /* adjacencies up */
    sink = false;
    for (int step = 0; step < 600; step++) {
        for (uint32_t i = 0; i <= k; i++)
            if (dmsc_router_next_deadline(E[i].rt) <= now) dmsc_router_run_timers(E[i].rt, now);
        while (nq) {
            qmsg_t m = Q[--nq];
            dmsc_pkt_t p;
            memset(&p, 0, sizeof p);
            p.kind = m.kind;
            p.wire = m.w;
            p.len = m.len;
            dmsc_router_receive(E[m.to].rt, m.face, &p, now);
            free(m.w);
        }
        now += 5 * MS;
    }
    sink = true;
    dmsc_router_status_t st;
    dmsc_router_status(E[0].rt, &st);
    if (st.neighbors_full != k) {
        fprintf(stderr, "only %u of %u neighbors full\n", st.neighbors_full, k);
        exit(1);
    }
    /* every other LSA (the neighbors' with all their adjacencies, above
     * the ones they originated themselves) */
    static uint8_t buf[2 * DMSC_LSA_MAX_SIZE + 1024];
    uint8_t **w = calloc(g->n, sizeof *w);
    size_t *wl = calloc(g->n, sizeof *wl);
    for (uint32_t u = 0; u < g->n; u++) {
        if (u == v) continue;
        dmsc_slice_t s;
        make_lsa(g, u, 1000, buf, sizeof buf, &s);
        w[u] = malloc(s.n);
        memcpy(w[u], s.p, s.n);
        wl[u] = s.n;
    }
    double t0 = now_s();
    for (uint32_t u = 0; u < g->n; u++)
        if (w[u] && dmsc_router_lsa_install(E[0].rt, w[u], wl[u], 3600000 * MS, now) != 0) {
            fprintf(stderr, "install of n%u failed\n", u);
            exit(1);
        }
    double t1 = now_s();
    r->install_us = (t1 - t0) * 1e6 / (g->n - 1);
    /* SPF: the first run installs every route, the others recompute */
    routes_added = 0;
    t0 = now_s();
    dmsc_router_spf_now(E[0].rt, now);
    r->spf_first_ms = (now_s() - t0) * 1e3;
    r->routes = routes_added;
    enum { RUNS = 15 };
    double t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        t0 = now_s();
        dmsc_router_spf_now(E[0].rt, now);
        t[i] = (now_s() - t0) * 1e3;
    }
    qsort(t, RUNS, sizeof *t, dcmp);
    r->spf_ms = t[RUNS / 2];
    dmsc_router_status(E[0].rt, &st);
    r->deg = k;
    r->lsdb_bytes = st.lsdb_bytes;
    r->lsas = st.lsas;
    r->reachable = st.reachable;
    r->summary_bytes = 0;
    for (uint32_t u = 0; u < g->n; u++)
        r->summary_bytes += dmsc_snp_entry_size(g->name[u].name.len, 1000);

    /* one plain Dijkstra on the same graph */
    uint32_t *off = malloc(((size_t)g->n + 1) * sizeof *off);
    uint32_t *dst = malloc(2 * g->links * sizeof *dst);
    uint64_t *cost = malloc(2 * g->links * sizeof *cost);
    uint32_t at = 0;
    for (uint32_t u = 0; u < g->n; u++) {
        off[u] = at;
        for (uint32_t i = 0; i < g->deg[u]; i++) {
            dst[at] = g->adj[u][i].to;
            cost[at] = g->adj[u][i].cost;
            at++;
        }
    }
    off[g->n] = at;
    dmsc_spf_graph_t gr = {g->n, off, dst, cost};
    dmsc_spf_t s;
    dmsc_spf_init(&s);
    uint64_t *dist = malloc(g->n * sizeof *dist);
    int reps = 2000000 / (int)g->n + 10;
    t0 = now_s();
    for (int i = 0; i < reps; i++)
        dmsc_spf_dijkstra(&s, &gr, (uint32_t)i % g->n, dist);
    r->dijkstra_us = (now_s() - t0) * 1e6 / reps;
    dmsc_spf_free(&s);
    free(dist);
    free(off);
    free(dst);
    free(cost);

    for (uint32_t u = 0; u < g->n; u++)
        free(w[u]);
    free(w);
    free(wl);
    for (uint32_t i = 0; i <= k; i++)
        dmsc_router_free(E[i].rt);
    free(E);
}

static int ucmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    uint32_t sizes[16] = {100, 1000};
    int nsizes = 2;
    if (argc > 1) {
        nsizes = 0;
        for (int i = 1; i < argc && nsizes < 16; i++)
            sizes[nsizes++] = (uint32_t)strtoul(argv[i], NULL, 10);
    }
    printf("bench_route: synthetic Barabasi-Albert networks (m = 2), link costs 10..50, "
           "2 prefixes per node, Ed25519 LSAs\n");
    printf("install = verify + store + queue for flooding, per LSA; SPF = graph, one Dijkstra "
           "per neighbor (loop-free multipath), route table, diff\n\n");
    printf("%6s %6s %7s %5s %6s %10s %8s %9s %10s %10s %9s %10s %7s\n", "nodes", "links", "node",
           "deg", "LSAs", "LSDB-B", "B/LSA", "summary-B", "install-us", "SPF1st-ms", "SPF-ms",
           "dijkstra-us", "routes");
    for (int si = 0; si < nsizes; si++) {
        uint32_t n = sizes[si];
        if (n < 4) continue;
        net_t *g = make_net(n);
        /* the hub and a median-degree node */
        uint32_t hub = 0;
        for (uint32_t i = 1; i < n; i++)
            if (g->deg[i] > g->deg[hub]) hub = i;
        uint32_t *d = malloc(n * sizeof *d);
        memcpy(d, g->deg, n * sizeof *d);
        qsort(d, n, sizeof *d, ucmp);
        uint32_t med = 0;
        for (uint32_t i = 0; i < n; i++)
            if (g->deg[i] == d[n / 2]) med = i;
        free(d);
        uint32_t pick[2] = {hub, med};
        const char *label[2] = {"hub", "median"};
        for (int p = 0; p < 2; p++) {
            result_t r;
            measure(g, pick[p], &r);
            if (r.reachable != n - 1) {
                fprintf(stderr, "reachable %u of %u\n", r.reachable, n - 1);
                return 1;
            }
            printf("%6u %6zu %7s %5u %6u %10llu %8llu %9zu %10.1f %10.2f %9.2f %10.1f %7zu\n", n,
                   g->links, label[p], r.deg, r.lsas, (unsigned long long)r.lsdb_bytes,
                   (unsigned long long)(r.lsdb_bytes / r.lsas), r.summary_bytes, r.install_us,
                   r.spf_first_ms, r.spf_ms, r.dijkstra_us, r.routes);
        }
        free_net(g);
    }
    return 0;
}
