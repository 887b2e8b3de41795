/* Route table and diff: see rtable.h. */
#include "route/rtable.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/err.h"

#define NONE UINT32_MAX

void dmsc_rtable_init(dmsc_rtable_t *t, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->seed = seed;
}

void dmsc_rtable_free(dmsc_rtable_t *t)
{
    free(t->e);
    free(t->keys);
    free(t->nh);
    free(t->buckets);
    free(t->cand);
    memset(t, 0, sizeof *t);
}

static uint64_t key_hash(const dmsc_rtable_t *t, const uint8_t *key, size_t len)
{
    return XXH3_64bits_withSeed(key, len, t->seed);
}

void dmsc_rtable_clear(dmsc_rtable_t *t)
{
    t->n = 0;
    t->keys_len = 0;
    t->nh_n = 0;
    t->ncand = 0;
    t->n_routes = 0;
    for (uint32_t i = 0; i < t->nbuckets; i++)
        t->buckets[i] = NONE;
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

static int rehash(dmsc_rtable_t *t, uint32_t nb)
{
    uint32_t *b = malloc(nb * sizeof *b);
    if (!b) return DMSC_ENOMEM;
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    for (uint32_t i = 0; i < nb; i++)
        b[i] = NONE;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t h = (uint32_t)(t->e[i].hash & (nb - 1));
        t->e[i].next = b[h];
        b[h] = (uint32_t)i;
    }
    return 0;
}

int64_t dmsc_rtable_find(const dmsc_rtable_t *t, const uint8_t *key, size_t len)
{
    if (!t->nbuckets) return -1;
    uint64_t h = key_hash(t, key, len);
    for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i != NONE; i = t->e[i].next) {
        const dmsc_rtable_ent_t *e = &t->e[i];
        if (e->hash == h && e->key_len == len && memcmp(t->keys + e->key_off, key, len) == 0)
            return i;
    }
    return -1;
}

int64_t dmsc_rtable_key(dmsc_rtable_t *t, const uint8_t *key, size_t len, uint8_t flags)
{
    int64_t f = dmsc_rtable_find(t, key, len);
    if (f >= 0) {
        t->e[f].flags |= flags;
        return f;
    }
    if (len > UINT16_MAX || t->n >= NONE - 1) return -1;
    if (grow((void **)&t->e, &t->cap, t->n + 1, sizeof *t->e) ||
        grow((void **)&t->keys, &t->keys_cap, t->keys_len + len + 1, 1))
        return -1;
    if (t->n + 1 > t->nbuckets && rehash(t, t->nbuckets ? t->nbuckets * 4 : 256)) return -1;
    dmsc_rtable_ent_t *e = &t->e[t->n];
    e->key_off = (uint32_t)t->keys_len;
    e->key_len = (uint16_t)len;
    e->flags = flags;
    e->hash = key_hash(t, key, len);
    e->nh_off = e->nh_n = 0;
    if (len) memcpy(t->keys + t->keys_len, key, len);
    t->keys_len += len;
    uint32_t b = (uint32_t)(e->hash & (t->nbuckets - 1));
    e->next = t->buckets[b];
    t->buckets[b] = (uint32_t)t->n;
    return (int64_t)t->n++;
}

int dmsc_rtable_cand(dmsc_rtable_t *t, uint32_t ent, dmsc_faceid_t face, uint64_t cost,
                     uint32_t origin)
{
    if (ent >= t->n || (t->e[ent].flags & DMSC_RTABLE_EXCLUDED)) return 0;
    if (grow((void **)&t->cand, &t->cand_cap, t->ncand + 1, sizeof *t->cand)) return DMSC_ENOMEM;
    dmsc_rtable_cand_t *c = &t->cand[t->ncand++];
    c->ent = ent;
    c->nh.face = face;
    c->nh.cost = cost;
    c->nh.origin = origin;
    return 0;
}

static int cand_cmp(const void *a, const void *b)
{
    const dmsc_rtable_cand_t *x = a, *y = b;
    if (x->ent != y->ent) return x->ent < y->ent ? -1 : 1;
    if (x->nh.face != y->nh.face) return x->nh.face < y->nh.face ? -1 : 1;
    if (x->nh.cost != y->nh.cost) return x->nh.cost < y->nh.cost ? -1 : 1;
    return x->nh.origin < y->nh.origin ? -1 : x->nh.origin > y->nh.origin;
}

static int nh_cmp(const void *a, const void *b)
{
    const dmsc_rtable_nh_t *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
    return x->face < y->face ? -1 : x->face > y->face;
}

int dmsc_rtable_finish(dmsc_rtable_t *t, uint32_t max_nh)
{
    if (t->ncand) qsort(t->cand, t->ncand, sizeof *t->cand, cand_cmp);
    if (grow((void **)&t->nh, &t->nh_cap, t->ncand + 1, sizeof *t->nh)) return DMSC_ENOMEM;
    t->nh_n = 0;
    t->n_routes = 0;
    size_t i = 0;
    while (i < t->ncand) {
        uint32_t ent = t->cand[i].ent;
        size_t first = t->nh_n;
        for (; i < t->ncand && t->cand[i].ent == ent; i++) {
            /* the first of a face is its lowest cost */
            if (t->nh_n > first && t->nh[t->nh_n - 1].face == t->cand[i].nh.face) continue;
            t->nh[t->nh_n++] = t->cand[i].nh;
        }
        qsort(t->nh + first, t->nh_n - first, sizeof *t->nh, nh_cmp);
        if (max_nh && t->nh_n - first > max_nh) t->nh_n = first + max_nh;
        t->e[ent].nh_off = (uint32_t)first;
        t->e[ent].nh_n = (uint32_t)(t->nh_n - first);
        if (t->e[ent].nh_n) t->n_routes++;
    }
    return 0;
}

static const dmsc_rtable_nh_t *find_face(const dmsc_rtable_t *t, const dmsc_rtable_ent_t *e,
                                         dmsc_faceid_t face)
{
    for (uint32_t i = 0; i < e->nh_n; i++)
        if (t->nh[e->nh_off + i].face == face) return &t->nh[e->nh_off + i];
    return NULL;
}

void dmsc_rtable_diff(const dmsc_rtable_t *old, const dmsc_rtable_t *cur,
                      const dmsc_rtable_diff_cb_t *cb)
{
    /* adds and cost changes */
    for (size_t i = 0; i < cur->n; i++) {
        const dmsc_rtable_ent_t *e = &cur->e[i];
        const uint8_t *k = cur->keys + e->key_off;
        int64_t oi = dmsc_rtable_find(old, k, e->key_len);
        const dmsc_rtable_ent_t *o = oi >= 0 ? &old->e[oi] : NULL;
        for (uint32_t j = 0; j < e->nh_n; j++) {
            const dmsc_rtable_nh_t *nh = &cur->nh[e->nh_off + j];
            const dmsc_rtable_nh_t *was = o ? find_face(old, o, nh->face) : NULL;
            if (!was || was->cost != nh->cost) cb->add(cb->ctx, k, e->key_len, nh->face, nh->cost);
        }
    }
    /* removes */
    for (size_t i = 0; i < old->n; i++) {
        const dmsc_rtable_ent_t *o = &old->e[i];
        if (!o->nh_n) continue;
        const uint8_t *k = old->keys + o->key_off;
        int64_t ci = dmsc_rtable_find(cur, k, o->key_len);
        const dmsc_rtable_ent_t *e = ci >= 0 ? &cur->e[ci] : NULL;
        for (uint32_t j = 0; j < o->nh_n; j++) {
            dmsc_faceid_t f = old->nh[o->nh_off + j].face;
            if (!e || !find_face(cur, e, f)) cb->remove(cb->ctx, k, o->key_len, f);
        }
    }
}
