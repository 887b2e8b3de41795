/* Dijkstra and loop-free multipath next hops: see spf.h. */
#include "route/spf.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

struct dmsc_spf_heap_item {
    uint64_t d;
    uint32_t v;
};

void dmsc_spf_init(dmsc_spf_t *s)
{
    memset(s, 0, sizeof *s);
}

void dmsc_spf_free(dmsc_spf_t *s)
{
    free(s->dist);
    free(s->rows);
    free(s->row_of_node);
    free(s->nh_off);
    free(s->nh);
    free(s->heap);
    memset(s, 0, sizeof *s);
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

static int reserve_nodes(dmsc_spf_t *s, uint32_t n)
{
    if (n <= s->n_cap) return 0;
    uint64_t *d = realloc(s->dist, (size_t)n * sizeof *d);
    if (!d) return DMSC_ENOMEM;
    s->dist = d;
    uint32_t *r = realloc(s->row_of_node, (size_t)n * sizeof *r);
    if (!r) return DMSC_ENOMEM;
    s->row_of_node = r;
    uint32_t *o = realloc(s->nh_off, ((size_t)n + 1) * sizeof *o);
    if (!o) return DMSC_ENOMEM;
    s->nh_off = o;
    s->n_cap = n;
    s->rows_cap = 0; /* rows are n-wide: reallocate */
    return 0;
}

/* ---- binary heap (lazy deletion) ---- */

static void heap_push(struct dmsc_spf_heap_item *h, size_t *len, uint64_t d, uint32_t v)
{
    size_t i = (*len)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].d <= d) break;
        h[i] = h[p];
        i = p;
    }
    h[i].d = d;
    h[i].v = v;
}

static struct dmsc_spf_heap_item heap_pop(struct dmsc_spf_heap_item *h, size_t *len)
{
    struct dmsc_spf_heap_item top = h[0];
    struct dmsc_spf_heap_item last = h[--(*len)];
    size_t i = 0, n = *len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h[c + 1].d < h[c].d) c++;
        if (last.d <= h[c].d) break;
        h[i] = h[c];
        i = c;
    }
    if (n) h[i] = last;
    return top;
}

int dmsc_spf_dijkstra(dmsc_spf_t *s, const dmsc_spf_graph_t *g, uint32_t src, uint64_t *dist)
{
    uint32_t n = g->n;
    size_t edges = g->off[n];
    if (grow((void **)&s->heap, &s->heap_cap, edges + 1, sizeof *s->heap)) return DMSC_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        dist[i] = DMSC_SPF_INF;
    if (src >= n) return 0;
    size_t len = 0;
    dist[src] = 0;
    heap_push(s->heap, &len, 0, src);
    while (len) {
        struct dmsc_spf_heap_item it = heap_pop(s->heap, &len);
        if (it.d != dist[it.v]) continue; /* stale */
        for (uint32_t e = g->off[it.v]; e < g->off[it.v + 1]; e++) {
            uint32_t v = g->dst[e];
            uint64_t nd = it.d + g->cost[e];
            if (nd < dist[v]) {
                dist[v] = nd;
                /* every push is an edge relaxation: at most `edges` + 1 items */
                heap_push(s->heap, &len, nd, v);
            }
        }
    }
    s->dijkstra_runs++;
    return 0;
}

static int nh_cmp(const void *a, const void *b)
{
    const dmsc_spf_nh_t *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
    return x->link < y->link ? -1 : x->link > y->link;
}

int dmsc_spf_run(dmsc_spf_t *s, const dmsc_spf_graph_t *g, uint32_t src,
                 const dmsc_spf_link_t *links, size_t nlinks, const dmsc_spf_opts_t *o)
{
    uint32_t n = g->n;
    if (src >= n || !o->max_nexthops) return DMSC_EINVAL;
    for (size_t i = 0; i < nlinks; i++)
        if (links[i].nbr >= n || links[i].nbr == src || links[i].cost == 0) return DMSC_EINVAL;
    if (reserve_nodes(s, n)) return DMSC_ENOMEM;
    s->n = n;

    /* one distance row per distinct neighbor */
    for (uint32_t i = 0; i < n; i++)
        s->row_of_node[i] = UINT32_MAX;
    uint32_t nrows = 0;
    for (size_t i = 0; i < nlinks; i++)
        if (s->row_of_node[links[i].nbr] == UINT32_MAX) s->row_of_node[links[i].nbr] = nrows++;
    if (nrows > s->rows_cap) {
        uint64_t *r = realloc(s->rows, (size_t)nrows * n * sizeof *r);
        if (!r && nrows) return DMSC_ENOMEM;
        s->rows = r;
        s->rows_cap = nrows;
    }
    s->nrows = nrows;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = s->row_of_node[i];
        if (r != UINT32_MAX && dmsc_spf_dijkstra(s, g, i, s->rows + (size_t)r * n))
            return DMSC_ENOMEM;
    }

    /* D(x) = min over links of cost + d_nbr(x) */
    for (uint32_t x = 0; x < n; x++)
        s->dist[x] = DMSC_SPF_INF;
    for (size_t i = 0; i < nlinks; i++) {
        const uint64_t *row = s->rows + (size_t)s->row_of_node[links[i].nbr] * n;
        for (uint32_t x = 0; x < n; x++)
            if (row[x] != DMSC_SPF_INF && links[i].cost + row[x] < s->dist[x])
                s->dist[x] = links[i].cost + row[x];
    }
    s->dist[src] = 0;

    /* next hops */
    size_t per = nlinks < o->max_nexthops ? nlinks : o->max_nexthops;
    if (grow((void **)&s->nh, &s->nh_cap, (size_t)n * per + nlinks + 1, sizeof *s->nh))
        return DMSC_ENOMEM;
    size_t at = 0;
    for (uint32_t x = 0; x < n; x++) {
        s->nh_off[x] = (uint32_t)at;
        uint64_t best = s->dist[x];
        if (x == src || best == DMSC_SPF_INF) continue;
        size_t first = at;
        for (size_t i = 0; i < nlinks; i++) {
            uint32_t nb = links[i].nbr;
            const uint64_t *row = s->rows + (size_t)s->row_of_node[nb] * n;
            uint64_t dn = row[x];
            if (dn == DMSC_SPF_INF) continue;
            if (x != nb && row[src] != DMSC_SPF_INF && !(dn < row[src] + best)) continue;
            uint64_t c = links[i].cost + dn;
            if (c * 100 > best * (100 + (uint64_t)o->bound_pct)) continue;
            s->nh[at].link = (uint32_t)i;
            s->nh[at].cost = c;
            at++;
        }
        qsort(s->nh + first, at - first, sizeof *s->nh, nh_cmp);
        if (at - first > o->max_nexthops) at = first + o->max_nexthops;
    }
    s->nh_off[n] = (uint32_t)at;
    return 0;
}
