#include "fw/dnl.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int dmsc_dnl_init(dmsc_dnl_t *d, size_t max, uint64_t lifetime_ns)
{
    memset(d, 0, sizeof *d);
    d->lifetime = lifetime_ns;
    if (max == 0) return 0;
    size_t sz = 16;
    while (sz < 2 * max)
        sz <<= 1;
    d->ring = malloc(max * sizeof *d->ring);
    d->set = calloc(sz, sizeof *d->set);
    if (!d->ring || !d->set) {
        free(d->ring);
        free(d->set);
        memset(d, 0, sizeof *d);
        return DMSC_ENOMEM;
    }
    d->max = max;
    d->set_mask = sz - 1;
    return 0;
}

void dmsc_dnl_destroy(dmsc_dnl_t *d)
{
    free(d->ring);
    free(d->set);
    memset(d, 0, sizeof *d);
}

static inline size_t slot_of(const dmsc_dnl_t *d, uint64_t key)
{
    return (size_t)(key ^ (key >> 32)) & d->set_mask;
}

bool dmsc_dnl_has(const dmsc_dnl_t *d, uint64_t key)
{
    if (!d->n) return false; /* the common case costs no cache miss */
    for (size_t i = slot_of(d, key);; i = (i + 1) & d->set_mask) {
        if (d->set[i].count == 0) return false;
        if (d->set[i].key == key) return true;
    }
}

static void set_add(dmsc_dnl_t *d, uint64_t key)
{
    size_t i = slot_of(d, key);
    while (d->set[i].count && d->set[i].key != key)
        i = (i + 1) & d->set_mask;
    d->set[i].key = key;
    d->set[i].count++;
}

static void set_del(dmsc_dnl_t *d, uint64_t key)
{
    size_t i = slot_of(d, key);
    while (d->set[i].count && d->set[i].key != key)
        i = (i + 1) & d->set_mask;
    if (d->set[i].count == 0) return;
    if (--d->set[i].count) return;
    /* backward-shift deletion keeps probe sequences unbroken */
    size_t hole = i;
    for (size_t j = (i + 1) & d->set_mask; d->set[j].count; j = (j + 1) & d->set_mask) {
        size_t home = slot_of(d, d->set[j].key);
        /* can the entry at j move to the hole? only if home is not in (hole, j] */
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            d->set[hole] = d->set[j];
            d->set[j].count = 0;
            hole = j;
        }
    }
    d->set[hole].count = 0;
}

static void pop_oldest(dmsc_dnl_t *d)
{
    set_del(d, d->ring[d->head].key);
    d->head = (d->head + 1) % d->max;
    d->n--;
}

void dmsc_dnl_add(dmsc_dnl_t *d, uint64_t key, uint64_t now)
{
    if (!d->max) return;
    if (d->n == d->max) pop_oldest(d);
    size_t tail = (d->head + d->n) % d->max;
    d->ring[tail].key = key;
    d->ring[tail].expiry = now + d->lifetime;
    d->n++;
    set_add(d, key);
}

uint64_t dmsc_dnl_age(dmsc_dnl_t *d, uint64_t now)
{
    while (d->n && d->ring[d->head].expiry <= now)
        pop_oldest(d);
    return d->n ? d->ring[d->head].expiry : UINT64_MAX;
}

int dmsc_dnl_resize(dmsc_dnl_t *d, size_t max, uint64_t lifetime_ns)
{
    if (max == d->max) {
        d->lifetime = lifetime_ns;
        return 0;
    }
    dmsc_dnl_t nd;
    int rc = dmsc_dnl_init(&nd, max, lifetime_ns);
    if (rc) return rc;
    /* keep the newest entries that fit, with their original expiry */
    size_t keep = d->n < max ? d->n : max;
    for (size_t i = d->n - keep; i < d->n; i++) {
        dmsc_dnl_rec_t r = d->ring[(d->head + i) % d->max];
        nd.ring[nd.n++] = r;
        set_add(&nd, r.key);
    }
    dmsc_dnl_destroy(d);
    *d = nd;
    return 0;
}
