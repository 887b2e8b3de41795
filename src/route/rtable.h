/*
 * Route table (internal to src/route): name prefix -> ranked next hops
 * (face, cost, origin), built from SPF results and diffed against the
 * table installed before, so that only changes reach the RIB.
 *
 * Build: dmsc_rtable_clear(), then dmsc_rtable_key() per prefix and
 * dmsc_rtable_cand() per (prefix, face, cost) candidate, in any order, then
 * dmsc_rtable_finish(): per prefix, one next hop per face (its lowest cost),
 * ranked by (cost, face), at most max_nh.
 */
#ifndef DMSC_ROUTE_RTABLE_H
#define DMSC_ROUTE_RTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/fw.h"

typedef struct {
    dmsc_faceid_t face;
    uint32_t origin; /* LSDB slot of the node whose advertisement gave it */
    uint64_t cost;
} dmsc_rtable_nh_t;

enum { DMSC_RTABLE_EXCLUDED = 1 }; /* a prefix this node serves: never installed */

typedef struct {
    uint32_t key_off;
    uint16_t key_len;
    uint8_t flags;
    uint64_t hash;
    uint32_t next;
    uint32_t nh_off, nh_n;
} dmsc_rtable_ent_t;

typedef struct {
    uint32_t ent;
    dmsc_rtable_nh_t nh;
} dmsc_rtable_cand_t;

typedef struct {
    dmsc_rtable_ent_t *e;
    size_t n, cap;
    uint8_t *keys;
    size_t keys_len, keys_cap;
    dmsc_rtable_nh_t *nh;
    size_t nh_n, nh_cap;
    uint32_t *buckets;
    uint32_t nbuckets;
    dmsc_rtable_cand_t *cand;
    size_t ncand, cand_cap;
    size_t n_routes; /* entries with next hops, after finish */
    uint64_t seed;   /* of the key hash (hash-flooding defence) */
} dmsc_rtable_t;

void dmsc_rtable_init(dmsc_rtable_t *t, uint64_t seed);
void dmsc_rtable_free(dmsc_rtable_t *t);
void dmsc_rtable_clear(dmsc_rtable_t *t);

/* Find or add prefix (Name TLV-VALUE); flags are OR-ed in. Returns the
 * entry index, or -1 on allocation failure. */
int64_t dmsc_rtable_key(dmsc_rtable_t *t, const uint8_t *key, size_t len, uint8_t flags);
/* Index of prefix, or -1. */
int64_t dmsc_rtable_find(const dmsc_rtable_t *t, const uint8_t *key, size_t len);
/* 0 or DMSC_ENOMEM. Candidates of excluded entries are ignored. */
int dmsc_rtable_cand(dmsc_rtable_t *t, uint32_t ent, dmsc_faceid_t face, uint64_t cost,
                     uint32_t origin);
int dmsc_rtable_finish(dmsc_rtable_t *t, uint32_t max_nh);

static inline const uint8_t *dmsc_rtable_key_bytes(const dmsc_rtable_t *t, size_t i)
{
    return t->keys + t->e[i].key_off;
}

/* Changes from `old` to `cur`, adds (new or changed cost) before removes.
 * Callbacks get the prefix as a Name TLV-VALUE. */
typedef struct {
    void *ctx;
    void (*add)(void *ctx, const uint8_t *key, size_t len, dmsc_faceid_t face, uint64_t cost);
    void (*remove)(void *ctx, const uint8_t *key, size_t len, dmsc_faceid_t face);
} dmsc_rtable_diff_cb_t;
void dmsc_rtable_diff(const dmsc_rtable_t *old, const dmsc_rtable_t *cur,
                      const dmsc_rtable_diff_cb_t *cb);

#endif
