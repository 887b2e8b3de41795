#include "fw/nametab.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* Old buckets moved per insert while rehashing. The new array has twice the
 * buckets, and the table doubles again only after count reaches that size,
 * so two per insert always finish a rehash before the next one starts. */
#define REHASH_STEPS 4

int dmsc_nametab_init(dmsc_nametab_t *t, size_t initial)
{
    memset(t, 0, sizeof *t);
    size_t n = 16;
    while (n < initial)
        n <<= 1;
    t->tab[0] = calloc(n, sizeof *t->tab[0]);
    if (!t->tab[0]) return DMSC_ENOMEM;
    t->size[0] = n;
    t->max_depth = -1;
    return 0;
}

void dmsc_nametab_destroy(dmsc_nametab_t *t)
{
    free(t->tab[0]);
    free(t->tab[1]);
    memset(t, 0, sizeof *t);
    t->max_depth = -1;
}

static inline bool rehashing(const dmsc_nametab_t *t)
{
    return t->tab[1] != NULL;
}

/* The chain a hash lives in: the new array once its old bucket has moved. */
static inline dmsc_ntnode_t **bucket(const dmsc_nametab_t *t, uint64_t hash)
{
    if (rehashing(t)) {
        size_t i0 = hash & (t->size[0] - 1);
        if (i0 < t->rehash_idx) return &t->tab[1][hash & (t->size[1] - 1)];
        return &t->tab[0][i0];
    }
    return &t->tab[0][hash & (t->size[0] - 1)];
}

static void rehash_step(dmsc_nametab_t *t, int steps)
{
    while (steps-- > 0 && rehashing(t)) {
        if (t->rehash_idx == t->size[0]) {
            free(t->tab[0]);
            t->tab[0] = t->tab[1];
            t->size[0] = t->size[1];
            t->tab[1] = NULL;
            t->size[1] = 0;
            t->rehash_idx = 0;
            return;
        }
        dmsc_ntnode_t *n = t->tab[0][t->rehash_idx];
        t->tab[0][t->rehash_idx] = NULL;
        while (n) {
            dmsc_ntnode_t *next = n->next;
            dmsc_ntnode_t **b = &t->tab[1][n->hash & (t->size[1] - 1)];
            n->next = *b;
            *b = n;
            n = next;
        }
        t->rehash_idx++;
    }
}

dmsc_ntnode_t *dmsc_nametab_find(const dmsc_nametab_t *t, uint64_t hash, const uint8_t *key,
                                 size_t klen, uint8_t tag)
{
    for (dmsc_ntnode_t *n = *bucket(t, hash); n; n = n->next)
        if (n->tag == tag && dmsc_ntnode_key_eq(n, hash, key, klen)) return n;
    return NULL;
}

size_t dmsc_nametab_find_all(const dmsc_nametab_t *t, uint64_t hash, const uint8_t *key,
                             size_t klen, dmsc_ntnode_t **out, size_t max)
{
    size_t k = 0;
    for (dmsc_ntnode_t *n = *bucket(t, hash); n; n = n->next)
        if (dmsc_ntnode_key_eq(n, hash, key, klen)) {
            if (k < max) out[k] = n;
            k++;
        }
    return k;
}

void dmsc_nametab_insert(dmsc_nametab_t *t, dmsc_ntnode_t *n)
{
    if (rehashing(t)) {
        rehash_step(t, REHASH_STEPS);
    } else if (t->count >= t->size[0] && t->size[0] < ((size_t)1 << 40)) {
        dmsc_ntnode_t **nt = calloc(t->size[0] * 2, sizeof *nt);
        if (nt) {
            t->tab[1] = nt;
            t->size[1] = t->size[0] * 2;
            t->rehash_idx = 0;
            rehash_step(t, REHASH_STEPS);
        }
    }
    dmsc_ntnode_t **b = bucket(t, n->hash);
    n->next = *b;
    *b = n;
    t->count++;
    t->depth_count[n->depth]++;
    if ((int)n->depth > t->max_depth) t->max_depth = n->depth;
}

void dmsc_nametab_remove(dmsc_nametab_t *t, dmsc_ntnode_t *n)
{
    for (dmsc_ntnode_t **pp = bucket(t, n->hash); *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            t->count--;
            if (--t->depth_count[n->depth] == 0 && (int)n->depth == t->max_depth) {
                while (t->max_depth >= 0 && t->depth_count[t->max_depth] == 0)
                    t->max_depth--;
            }
            return;
        }
    }
}

dmsc_ntnode_t *dmsc_nametab_lpm(const dmsc_nametab_t *t, const dmsc_name_t *name, uint8_t tag)
{
    int k = name->ncomps < t->max_depth ? name->ncomps : t->max_depth;
    for (; k >= 0; k--) {
        if (t->depth_count[k] == 0) continue;
        dmsc_slice_t key = dmsc_name_prefix_bytes(name, (size_t)k);
        dmsc_ntnode_t *n = dmsc_nametab_find(t, dmsc_name_hash(name, (size_t)k), key.p, key.n, tag);
        if (n) return n;
    }
    return NULL;
}

void dmsc_nametab_foreach(const dmsc_nametab_t *t, int (*cb)(void *arg, dmsc_ntnode_t *n),
                          void *arg)
{
    for (int a = 0; a < 2; a++) {
        if (!t->tab[a]) continue;
        size_t i = (a == 0 && rehashing(t)) ? t->rehash_idx : 0;
        for (; i < t->size[a]; i++) {
            dmsc_ntnode_t *n = t->tab[a][i];
            while (n) {
                dmsc_ntnode_t *next = n->next;
                if (cb(arg, n)) return;
                n = next;
            }
        }
    }
}
