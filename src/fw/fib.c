#include "fw/fib.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int dmsc_fib_init(dmsc_fib_t *fib, size_t max)
{
    dmsc_slab_init(&fib->slab, sizeof(dmsc_fib_entry_t),
                   max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
    return dmsc_nametab_init(&fib->nt, 64);
}

static void entry_free(dmsc_fib_t *fib, dmsc_fib_entry_t *e)
{
    dmsc_nametab_remove(&fib->nt, &e->node);
    free(e->nh); /* meas shares the block */
    free(e->key);
    dmsc_slab_free(&fib->slab, e);
}

static int free_cb(void *arg, dmsc_ntnode_t *n)
{
    dmsc_fib_entry_t *e = (dmsc_fib_entry_t *)((uint8_t *)n - offsetof(dmsc_fib_entry_t, node));
    entry_free(arg, e);
    return 0;
}

void dmsc_fib_destroy(dmsc_fib_t *fib)
{
    dmsc_nametab_foreach(&fib->nt, free_cb, fib);
    dmsc_nametab_destroy(&fib->nt);
    dmsc_slab_destroy(&fib->slab);
}

static inline dmsc_fib_entry_t *of_node(dmsc_ntnode_t *n)
{
    return n ? (dmsc_fib_entry_t *)((uint8_t *)n - offsetof(dmsc_fib_entry_t, node)) : NULL;
}

dmsc_fib_entry_t *dmsc_fib_exact(const dmsc_fib_t *fib, const dmsc_name_t *prefix)
{
    return of_node(dmsc_nametab_find(&fib->nt, dmsc_name_hash(prefix, prefix->ncomps),
                                     prefix->value, prefix->len, 0));
}

dmsc_fib_entry_t *dmsc_fib_lpm(const dmsc_fib_t *fib, const dmsc_name_t *name)
{
    return of_node(dmsc_nametab_lpm(&fib->nt, name, 0));
}

int dmsc_fib_nh_index(const dmsc_fib_entry_t *e, dmsc_faceid_t face)
{
    for (uint32_t i = 0; i < e->n_nh; i++)
        if (e->nh[i].face == face) return (int)i;
    return -1;
}

static bool nh_less(const dmsc_nexthop_t *a, const dmsc_nexthop_t *b)
{
    return a->cost != b->cost ? a->cost < b->cost : a->face < b->face;
}

static void nh_delete(dmsc_fib_entry_t *e, uint32_t i)
{
    memmove(&e->nh[i], &e->nh[i + 1], (e->n_nh - i - 1) * sizeof e->nh[0]);
    memmove(&e->meas[i], &e->meas[i + 1], (e->n_nh - i - 1) * sizeof e->meas[0]);
    e->n_nh--;
}

/* Insert (nh, m) keeping the order; room is guaranteed. */
static void nh_insert(dmsc_fib_entry_t *e, dmsc_nexthop_t nh, dmsc_fib_meas_t m)
{
    uint32_t i = 0;
    while (i < e->n_nh && nh_less(&e->nh[i], &nh))
        i++;
    memmove(&e->nh[i + 1], &e->nh[i], (e->n_nh - i) * sizeof e->nh[0]);
    memmove(&e->meas[i + 1], &e->meas[i], (e->n_nh - i) * sizeof e->meas[0]);
    e->nh[i] = nh;
    e->meas[i] = m;
    e->n_nh++;
}

static int reserve(dmsc_fib_entry_t *e, uint32_t n)
{
    if (n <= e->cap_nh) return 0;
    uint32_t cap = e->cap_nh ? e->cap_nh * 2 : 2;
    while (cap < n)
        cap *= 2;
    uint8_t *blk = malloc(cap * (sizeof(dmsc_nexthop_t) + sizeof(dmsc_fib_meas_t)));
    if (!blk) return DMSC_ENOMEM;
    dmsc_nexthop_t *nh = (dmsc_nexthop_t *)blk;
    dmsc_fib_meas_t *meas = (dmsc_fib_meas_t *)(blk + cap * sizeof(dmsc_nexthop_t));
    if (e->n_nh) {
        memcpy(nh, e->nh, e->n_nh * sizeof *nh);
        memcpy(meas, e->meas, e->n_nh * sizeof *meas);
    }
    free(e->nh);
    e->nh = nh;
    e->meas = meas;
    e->cap_nh = cap;
    return 0;
}

int dmsc_fib_add(dmsc_fib_t *fib, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t cost)
{
    dmsc_fib_entry_t *e = dmsc_fib_exact(fib, prefix);
    bool created = false;
    if (!e) {
        e = dmsc_slab_alloc(&fib->slab);
        if (!e) return DMSC_ENOMEM;
        e->key = malloc(prefix->len ? prefix->len : 1);
        if (!e->key) {
            dmsc_slab_free(&fib->slab, e);
            return DMSC_ENOMEM;
        }
        if (prefix->len) memcpy(e->key, prefix->value, prefix->len);
        dmsc_ntnode_set(&e->node, dmsc_name_hash(prefix, prefix->ncomps), e->key, prefix->len,
                        prefix->ncomps, 0);
        dmsc_nametab_insert(&fib->nt, &e->node);
        created = true;
    }
    dmsc_nexthop_t nh = {face, cost};
    dmsc_fib_meas_t m = {0, 0};
    int i = dmsc_fib_nh_index(e, face);
    if (i >= 0) {
        m = e->meas[i];
        nh_delete(e, (uint32_t)i);
    } else if (reserve(e, e->n_nh + 1) != 0) {
        if (created) entry_free(fib, e);
        return DMSC_ENOMEM;
    }
    nh_insert(e, nh, m);
    return 0;
}

void dmsc_fib_remove(dmsc_fib_t *fib, const dmsc_name_t *prefix, dmsc_faceid_t face)
{
    dmsc_fib_entry_t *e = dmsc_fib_exact(fib, prefix);
    if (!e) return;
    int i = dmsc_fib_nh_index(e, face);
    if (i >= 0) nh_delete(e, (uint32_t)i);
    if (e->n_nh == 0) entry_free(fib, e);
}

typedef struct {
    dmsc_fib_t *fib;
    dmsc_faceid_t face;
} rmface_t;

static int rmface_cb(void *arg, dmsc_ntnode_t *n)
{
    rmface_t *r = arg;
    dmsc_fib_entry_t *e = of_node(n);
    int i = dmsc_fib_nh_index(e, r->face);
    if (i >= 0) {
        nh_delete(e, (uint32_t)i);
        if (e->n_nh == 0) entry_free(r->fib, e);
    }
    return 0;
}

void dmsc_fib_remove_face(dmsc_fib_t *fib, dmsc_faceid_t face)
{
    rmface_t r = {fib, face};
    dmsc_nametab_foreach(&fib->nt, rmface_cb, &r);
}

typedef struct {
    dmsc_fw_fib_cb cb;
    void *arg;
} visit_t;

static int visit_cb(void *arg, dmsc_ntnode_t *n)
{
    visit_t *v = arg;
    dmsc_fib_entry_t *e = of_node(n);
    dmsc_name_t name;
    if (dmsc_name_from_value(&name, e->key, e->node.klen) != 0) return 0;
    return v->cb(v->arg, &name, e->nh, e->n_nh);
}

void dmsc_fib_foreach(const dmsc_fib_t *fib, dmsc_fw_fib_cb cb, void *arg)
{
    visit_t v = {cb, arg};
    dmsc_nametab_foreach(&fib->nt, visit_cb, &v);
}
