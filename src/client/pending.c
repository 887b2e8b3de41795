/* The client's pending-Interest table: see pending.h. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "client/pending.h"

int dmsc_pend_init(dmsc_pend_t *t, uint32_t cap)
{
    memset(t, 0, sizeof *t);
    if (cap == 0 || cap > DMSC_PEND_MAX_CAP) return DMSC_EINVAL;
    uint32_t nb = 1;
    while (nb < cap)
        nb <<= 1;
    t->e = calloc(cap, sizeof *t->e);
    if (!t->e) goto fail_entries;
    t->buckets = malloc((size_t)nb * sizeof *t->buckets);
    if (!t->buckets) goto fail_buckets;
    t->heap = malloc((size_t)cap * sizeof *t->heap);
    if (!t->heap) goto fail_heap;
    t->cap = cap;
    t->nbuckets = nb;
    for (uint32_t i = 0; i < nb; i++)
        t->buckets[i] = DMSC_PEND_NIL;
    for (uint32_t i = 0; i < cap; i++) {
        t->e[i].next = i + 1 < cap ? i + 1 : DMSC_PEND_NIL;
        t->e[i].gen = 0;
    }
    t->free_head = 0;
    return 0;

fail_heap:
    free(t->buckets);
fail_buckets:
    free(t->e);
fail_entries:
    memset(t, 0, sizeof *t);
    return DMSC_ENOMEM;
}

void dmsc_pend_free(dmsc_pend_t *t)
{
    free(t->e);
    free(t->buckets);
    free(t->heap);
    memset(t, 0, sizeof *t);
}

/* ---- deadline heap ---- */

static bool heap_less(const dmsc_pend_t *t, uint32_t a, uint32_t b)
{
    return t->e[t->heap[a]].deadline < t->e[t->heap[b]].deadline;
}

static void heap_swap(dmsc_pend_t *t, uint32_t a, uint32_t b)
{
    uint32_t x = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = x;
    t->e[t->heap[a]].heap_idx = a;
    t->e[t->heap[b]].heap_idx = b;
}

static void heap_up(dmsc_pend_t *t, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!heap_less(t, i, p)) break;
        heap_swap(t, i, p);
        i = p;
    }
}

static void heap_down(dmsc_pend_t *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->count && heap_less(t, l, m)) m = l;
        if (r < t->count && heap_less(t, r, m)) m = r;
        if (m == i) break;
        heap_swap(t, i, m);
        i = m;
    }
}

/* ---- entries ---- */

static uint32_t bucket_of(const dmsc_pend_t *t, uint64_t hash)
{
    return (uint32_t)(hash ^ (hash >> 32)) & (t->nbuckets - 1);
}

dmsc_pend_entry_t *dmsc_pend_add(dmsc_pend_t *t, const dmsc_name_t *name, bool can_be_prefix,
                                 uint32_t nonce, uint64_t now, uint64_t deadline)
{
    if (t->free_head == DMSC_PEND_NIL || t->cap == 0) return NULL;
    uint32_t i = t->free_head;
    dmsc_pend_entry_t *e = &t->e[i];
    t->free_head = e->next;

    e->gen = e->gen + 1 ? e->gen + 1 : 1; /* never 0: ids are never 0 */
    e->flags = DMSC_PEND_F_USED | (can_be_prefix ? DMSC_PEND_F_CAN_BE_PREFIX : 0);
    e->ncomps = name->ncomps;
    e->hash = dmsc_name_hash(name, name->ncomps);
    e->nonce = nonce;
    e->sent_us = now;
    e->deadline = deadline;
    e->cb = NULL;
    e->arg = NULL;
    if (can_be_prefix) t->n_cbp++;

    uint32_t b = bucket_of(t, e->hash);
    e->next = t->buckets[b];
    t->buckets[b] = i;

    e->heap_idx = t->count;
    t->heap[t->count++] = i;
    heap_up(t, e->heap_idx);
    return e;
}

void dmsc_pend_remove(dmsc_pend_t *t, dmsc_pend_entry_t *e)
{
    if (!(e->flags & DMSC_PEND_F_USED)) return;
    uint32_t i = dmsc_pend_slot(t, e);

    /* unlink from its chain (chains are short: load factor <= 1) */
    uint32_t *pp = &t->buckets[bucket_of(t, e->hash)];
    while (*pp != DMSC_PEND_NIL && *pp != i)
        pp = &t->e[*pp].next;
    if (*pp == i) *pp = e->next;

    /* out of the heap */
    uint32_t h = e->heap_idx;
    t->count--;
    if (h != t->count) {
        t->heap[h] = t->heap[t->count];
        t->e[t->heap[h]].heap_idx = h;
        heap_down(t, h);
        heap_up(t, h);
    }

    if (e->flags & DMSC_PEND_F_CAN_BE_PREFIX) t->n_cbp--;
    e->flags = 0;
    e->cb = NULL;
    e->arg = NULL;
    e->next = t->free_head;
    t->free_head = i;
}

void dmsc_pend_token(const dmsc_pend_t *t, const dmsc_pend_entry_t *e,
                     uint8_t out[DMSC_PEND_TOKEN_LEN])
{
    uint32_t s = dmsc_pend_slot(t, e), g = e->gen;
    for (int k = 0; k < 4; k++) {
        out[k] = (uint8_t)(s >> (24 - 8 * k));
        out[4 + k] = (uint8_t)(g >> (24 - 8 * k));
    }
}

dmsc_pend_entry_t *dmsc_pend_by_id(dmsc_pend_t *t, uint64_t id)
{
    uint32_t s = (uint32_t)id, g = (uint32_t)(id >> 32);
    if (s >= t->cap) return NULL;
    dmsc_pend_entry_t *e = &t->e[s];
    return (e->flags & DMSC_PEND_F_USED) && e->gen == g ? e : NULL;
}

dmsc_pend_entry_t *dmsc_pend_by_token(dmsc_pend_t *t, const uint8_t *tok, size_t len)
{
    if (!tok || len != DMSC_PEND_TOKEN_LEN) return NULL;
    uint32_t s = 0, g = 0;
    for (int k = 0; k < 4; k++) {
        s = s << 8 | tok[k];
        g = g << 8 | tok[4 + k];
    }
    return dmsc_pend_by_id(t, (uint64_t)g << 32 | s);
}

bool dmsc_pend_data_matches(const dmsc_pend_entry_t *e, const dmsc_name_t *name)
{
    if (!(e->flags & DMSC_PEND_F_USED)) return false;
    if (e->ncomps == name->ncomps) return e->hash == dmsc_name_hash(name, name->ncomps);
    if (e->ncomps < name->ncomps && (e->flags & DMSC_PEND_F_CAN_BE_PREFIX))
        return e->hash == dmsc_name_hash(name, e->ncomps);
    return false;
}

/* First entry of the chain for hash with ncomps components that `want`
 * accepts. */
static dmsc_pend_entry_t *chain_find(dmsc_pend_t *t, uint64_t hash, uint16_t ncomps, bool need_cbp,
                                     uint32_t nonce)
{
    for (uint32_t i = t->buckets[bucket_of(t, hash)]; i != DMSC_PEND_NIL; i = t->e[i].next) {
        dmsc_pend_entry_t *e = &t->e[i];
        if (e->hash != hash || e->ncomps != ncomps) continue;
        if (need_cbp && !(e->flags & DMSC_PEND_F_CAN_BE_PREFIX)) continue;
        if (nonce && e->nonce != nonce) continue;
        return e;
    }
    return NULL;
}

dmsc_pend_entry_t *dmsc_pend_find_data(dmsc_pend_t *t, const dmsc_name_t *name)
{
    if (t->count == 0) return NULL;
    dmsc_pend_entry_t *e =
        chain_find(t, dmsc_name_hash(name, name->ncomps), name->ncomps, false, 0);
    if (e || t->n_cbp == 0) return e;
    for (size_t k = name->ncomps; k-- > 0;) {
        e = chain_find(t, dmsc_name_hash(name, k), (uint16_t)k, true, 0);
        if (e) return e;
    }
    return NULL;
}

dmsc_pend_entry_t *dmsc_pend_find_nack(dmsc_pend_t *t, const dmsc_name_t *name, uint32_t nonce)
{
    uint64_t h = dmsc_name_hash(name, name->ncomps);
    dmsc_pend_entry_t *e = nonce ? chain_find(t, h, name->ncomps, false, nonce) : NULL;
    return e ? e : chain_find(t, h, name->ncomps, false, 0);
}

dmsc_pend_entry_t *dmsc_pend_expired(dmsc_pend_t *t, uint64_t now)
{
    if (t->count == 0) return NULL;
    dmsc_pend_entry_t *e = &t->e[t->heap[0]];
    return e->deadline <= now ? e : NULL;
}

bool dmsc_pend_next_deadline(const dmsc_pend_t *t, uint64_t *when)
{
    if (t->count == 0) return false;
    *when = t->e[t->heap[0]].deadline;
    return true;
}
