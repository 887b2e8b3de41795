/*
 * Shortest paths with multipath next hops, on an abstract graph (sans I/O,
 * no names): the router builds the graph from its LSDB, tests compare it
 * with Floyd-Warshall, the benchmark feeds it synthetic topologies.
 *
 * Graph: nodes 0..n-1, directed edges in CSR form with costs >= 1.
 * The source's own links are given separately (one per face: a node may
 * be reached over several faces). For every node x:
 *
 *   d_n(x)   shortest distance from neighbor n to x (Dijkstra from n)
 *   D(x)     = min over links l of cost(l) + d_nbr(l)(x), D(src) = 0
 *   link l is a candidate next hop for x when
 *     - d_nbr(l)(x) is finite, and
 *     - it is loop-free (RFC 5286 LFA): x == nbr(l) or
 *       d_nbr(l)(x) < d_nbr(l)(src) + D(x); a primary (shortest-path)
 *       next hop always qualifies;
 *     - its path cost c = cost(l) + d_nbr(l)(x) is within the bound:
 *       c * 100 <= D(x) * (100 + bound_pct).
 *   The candidates are ranked by (cost, link index) and at most
 *   max_nexthops are kept.
 *
 * The edges of src in the graph are not used for D (the links are); they
 * may be present (paths from a neighbor back through src count for the
 * loop-free test either way, see docs/routing.md).
 */
#ifndef DMSC_ROUTE_SPF_H
#define DMSC_ROUTE_SPF_H

#include <stddef.h>
#include <stdint.h>

#define DMSC_SPF_INF UINT64_MAX

typedef struct {
    uint32_t n;
    const uint32_t *off;  /* n + 1 entries: edges of node u are [off[u], off[u+1]) */
    const uint32_t *dst;  /* edge targets */
    const uint64_t *cost; /* edge costs, >= 1 */
} dmsc_spf_graph_t;

typedef struct {
    uint32_t nbr;  /* neighbor node */
    uint64_t cost; /* cost of the link, >= 1 */
} dmsc_spf_link_t;

typedef struct {
    uint32_t link; /* index into the links given to dmsc_spf_run() */
    uint64_t cost; /* path cost through it */
} dmsc_spf_nh_t;

typedef struct {
    uint32_t bound_pct;    /* see above */
    uint32_t max_nexthops; /* >= 1 */
} dmsc_spf_opts_t;

/* Workspace and results; reused across runs (grows, never shrinks). */
typedef struct {
    uint32_t n, n_cap;
    uint64_t *dist; /* D, n entries */
    uint64_t *rows; /* d_n for each distinct neighbor: nrows * n */
    uint32_t nrows, rows_cap;
    uint32_t *row_of_node; /* node -> row, UINT32_MAX if none (n entries) */
    uint32_t *nh_off;      /* n + 1 */
    dmsc_spf_nh_t *nh;
    size_t nh_cap;
    struct dmsc_spf_heap_item *heap;
    size_t heap_cap;
    uint64_t dijkstra_runs; /* total, for the benchmark */
} dmsc_spf_t;

void dmsc_spf_init(dmsc_spf_t *s);
void dmsc_spf_free(dmsc_spf_t *s);

/* Compute D and the next hops of every node. links[i].nbr < g->n,
 * links[i].nbr != src. Returns 0, DMSC_EINVAL (bad arguments), DMSC_ENOMEM. */
int dmsc_spf_run(dmsc_spf_t *s, const dmsc_spf_graph_t *g, uint32_t src,
                 const dmsc_spf_link_t *links, size_t nlinks, const dmsc_spf_opts_t *o);

/* Results of the last run. */
static inline uint64_t dmsc_spf_dist(const dmsc_spf_t *s, uint32_t node)
{
    return s->dist[node];
}
static inline size_t dmsc_spf_nexthops(const dmsc_spf_t *s, uint32_t node,
                                       const dmsc_spf_nh_t **out)
{
    *out = s->nh + s->nh_off[node];
    return s->nh_off[node + 1] - s->nh_off[node];
}

/* Plain Dijkstra from src into dist[g->n] (DMSC_SPF_INF when unreachable),
 * using the workspace's heap. Returns 0 or DMSC_ENOMEM. */
int dmsc_spf_dijkstra(dmsc_spf_t *s, const dmsc_spf_graph_t *g, uint32_t src, uint64_t *dist);

#endif
