/* Link-state database: see lsdb.h. */
#include "route/lsdb.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/sha256.h"

int dmsc_lsdb_init(dmsc_lsdb_t *l, uint32_t max, uint64_t seed)
{
    memset(l, 0, sizeof *l);
    l->seed = seed;
    l->max = max ? max : 1;
    l->nbuckets = 64;
    l->buckets = malloc(l->nbuckets * sizeof *l->buckets);
    if (!l->buckets) return DMSC_ENOMEM;
    for (uint32_t i = 0; i < l->nbuckets; i++)
        l->buckets[i] = DMSC_LSDB_NONE;
    l->next_expiry = UINT64_MAX;
    return 0;
}

static void entry_clear(dmsc_lsdb_entry_t *e)
{
    free(e->wire);
    free(e->adj);
    free(e->pfx);
    dmsc_key_free(e->key);
    memset(e, 0, sizeof *e);
    e->next = DMSC_LSDB_NONE;
}

void dmsc_lsdb_free(dmsc_lsdb_t *l)
{
    for (uint32_t i = 0; i < l->cap; i++)
        if (l->e[i].used) entry_clear(&l->e[i]);
    free(l->e);
    free(l->freelist);
    free(l->buckets);
    memset(l, 0, sizeof *l);
}

uint64_t dmsc_lsdb_name_hash(const dmsc_lsdb_t *l, const uint8_t *name, size_t len)
{
    return XXH3_64bits_withSeed(name, len, l->seed);
}

uint64_t dmsc_lsdb_lsa_hash(const uint8_t *wire, size_t len)
{
    uint8_t d[DMSC_SHA256_LEN];
    dmsc_sha256_buf(wire, len, d);
    return dmsc_rt_be64(d);
}

uint32_t dmsc_lsdb_find(const dmsc_lsdb_t *l, const uint8_t *origin, size_t len)
{
    uint64_t h = dmsc_lsdb_name_hash(l, origin, len);
    for (uint32_t s = l->buckets[h & (l->nbuckets - 1)]; s != DMSC_LSDB_NONE; s = l->e[s].next) {
        const dmsc_lsdb_entry_t *e = &l->e[s];
        if (e->ohash == h && e->origin.n == len && memcmp(e->origin.p, origin, len) == 0) return s;
    }
    return DMSC_LSDB_NONE;
}

static void bucket_unlink(dmsc_lsdb_t *l, uint32_t slot)
{
    uint32_t *pp = &l->buckets[l->e[slot].ohash & (l->nbuckets - 1)];
    while (*pp != DMSC_LSDB_NONE) {
        if (*pp == slot) {
            *pp = l->e[slot].next;
            return;
        }
        pp = &l->e[*pp].next;
    }
}

static void bucket_link(dmsc_lsdb_t *l, uint32_t slot)
{
    uint32_t b = (uint32_t)(l->e[slot].ohash & (l->nbuckets - 1));
    l->e[slot].next = l->buckets[b];
    l->buckets[b] = slot;
}

static int rehash(dmsc_lsdb_t *l, uint32_t nb)
{
    uint32_t *b = malloc(nb * sizeof *b);
    if (!b) return DMSC_ENOMEM;
    free(l->buckets);
    l->buckets = b;
    l->nbuckets = nb;
    for (uint32_t i = 0; i < nb; i++)
        b[i] = DMSC_LSDB_NONE;
    for (uint32_t s = 0; s < l->cap; s++)
        if (l->e[s].used) bucket_link(l, s);
    return 0;
}

static int new_slot(dmsc_lsdb_t *l, uint32_t *slot)
{
    if (l->count >= l->max) return DMSC_ENOMEM;
    if (l->nfree) {
        *slot = l->freelist[--l->nfree];
        return 0;
    }
    if (l->cap == UINT32_MAX - 1) return DMSC_ENOMEM;
    uint32_t nc = l->cap ? l->cap * 2 : 16;
    if (nc > l->max) nc = l->max;
    if (nc <= l->cap) nc = l->cap + 1;
    dmsc_lsdb_entry_t *e = realloc(l->e, (size_t)nc * sizeof *e);
    if (!e) return DMSC_ENOMEM;
    uint32_t *fl = realloc(l->freelist, (size_t)nc * sizeof *fl);
    if (!fl) {
        l->e = e;
        return DMSC_ENOMEM;
    }
    l->e = e;
    l->freelist = fl;
    for (uint32_t i = l->cap; i < nc; i++) {
        memset(&e[i], 0, sizeof e[i]);
        e[i].next = DMSC_LSDB_NONE;
    }
    /* hand out the lowest new slot, the rest go to the free list (highest first) */
    for (uint32_t i = nc; i-- > l->cap + 1;)
        fl[l->nfree++] = i;
    *slot = l->cap;
    l->cap = nc;
    return 0;
}

/* Parse the entry's own copy of the LSA into its arrays. */
static int parse_entry(dmsc_lsdb_entry_t *e)
{
    dmsc_lsa_t lsa;
    int rc = dmsc_lsa_decode(&lsa, e->wire, e->len);
    if (rc) return rc;
    e->origin = dmsc_slice(lsa.origin.value, lsa.origin.len);
    e->seq = lsa.seq;
    e->lifetime_ms = lsa.content.lifetime_ms;
    memcpy(e->pubkey, lsa.content.pubkey, DMSC_RT_PUBKEY_LEN);
    e->n_adj = (uint32_t)lsa.content.n_adj;
    e->n_pfx = (uint32_t)lsa.content.n_prefix;
    e->adj = e->n_adj ? malloc(e->n_adj * sizeof *e->adj) : NULL;
    e->pfx = e->n_pfx ? malloc(e->n_pfx * sizeof *e->pfx) : NULL;
    if ((e->n_adj && !e->adj) || (e->n_pfx && !e->pfx)) return DMSC_ENOMEM;
    dmsc_lsa_iter_t it;
    dmsc_lsa_iter_init(&it, &lsa.content);
    dmsc_lsa_adj_t a;
    for (uint32_t i = 0; i < e->n_adj && dmsc_lsa_next_adj(&it, &a); i++) {
        e->adj[i].name = a.name;
        e->adj[i].cost = a.cost;
        e->adj[i].slot = DMSC_LSDB_NONE;
    }
    dmsc_lsa_iter_init(&it, &lsa.content);
    dmsc_lsa_prefix_t p;
    for (uint32_t i = 0; i < e->n_pfx && dmsc_lsa_next_prefix(&it, &p); i++) {
        e->pfx[i].name = p.name;
        e->pfx[i].cost = p.cost;
        e->pfx[i].load = p.load;
        e->pfx[i].capacity = p.capacity;
        e->pfx[i].allowed = true;
    }
    return 0;
}

int dmsc_lsdb_put(dmsc_lsdb_t *l, const uint8_t *wire, size_t len, uint64_t hash, uint64_t expires,
                  uint64_t now, dmsc_key_t *key, uint32_t *slot)
{
    dmsc_lsdb_entry_t fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.wire = malloc(len ? len : 1);
    if (!fresh.wire) return DMSC_ENOMEM;
    memcpy(fresh.wire, wire, len);
    fresh.len = (uint32_t)len;
    int rc = parse_entry(&fresh);
    if (rc) {
        fresh.key = NULL;
        entry_clear(&fresh);
        return rc;
    }
    fresh.ohash = dmsc_lsdb_name_hash(l, fresh.origin.p, fresh.origin.n);
    fresh.hash = hash;
    fresh.expires = expires;
    fresh.installed = now;
    fresh.used = true;

    uint32_t s = dmsc_lsdb_find(l, fresh.origin.p, fresh.origin.n);
    bool is_new = s == DMSC_LSDB_NONE;
    if (!is_new) {
        dmsc_lsdb_entry_t *old = &l->e[s];
        l->digest -= old->hash;
        l->bytes -= old->len;
        bucket_unlink(l, s);
        if (old->key == key) old->key = NULL; /* the same key object passes on */
        entry_clear(old);
    } else {
        if ((rc = new_slot(l, &s))) {
            entry_clear(&fresh);
            return rc;
        }
        l->count++;
    }
    fresh.key = key;
    l->e[s] = fresh;
    /* a failed rehash keeps the old table: chains only get longer */
    if (!(is_new && l->count > l->nbuckets && l->nbuckets < (1u << 30) &&
          rehash(l, l->nbuckets * 4) == 0))
        bucket_link(l, s);
    l->digest += hash;
    l->bytes += len;
    l->version++;
    l->last_changed = now;
    if (expires < l->next_expiry) l->next_expiry = expires;
    *slot = s;
    return 0;
}

void dmsc_lsdb_remove(dmsc_lsdb_t *l, uint32_t slot, uint64_t now)
{
    if (slot >= l->cap || !l->e[slot].used) return;
    dmsc_lsdb_entry_t *e = &l->e[slot];
    l->digest -= e->hash;
    l->bytes -= e->len;
    bucket_unlink(l, slot);
    entry_clear(e);
    l->freelist[l->nfree++] = slot;
    l->count--;
    l->version++;
    l->last_changed = now;
}

void dmsc_lsdb_update_expiry(dmsc_lsdb_t *l)
{
    uint64_t m = UINT64_MAX;
    for (uint32_t i = 0; i < l->cap; i++)
        if (l->e[i].used && l->e[i].expires < m) m = l->e[i].expires;
    l->next_expiry = m;
}
