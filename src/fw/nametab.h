/*
 * Name-keyed hash table (internal to src/fw): the index behind the FIB, the
 * strategy choice table, the PIT and the Content Store.
 *
 * Intrusive and chained: the caller embeds a dmsc_ntnode_t in its entry and
 * sets hash (dmsc_name_hash of the prefix), key (the prefix's Name TLV-VALUE
 * bytes, owned by the entry and stable while linked), depth (components) and
 * tag (a small discriminator that is part of the identity: the PIT keys
 * entries by (Name, CanBePrefix, MustBeFresh)). The tag is NOT hashed, so all
 * entries with one name share a bucket chain and dmsc_nametab_find_all()
 * finds every tag of a name with one probe.
 *
 * Cost: lookup O(1) expected (one XXH3 hash computed by the caller, a bucket
 * walk comparing 64-bit hashes before bytes). The table doubles at load
 * factor 1 and rehashes incrementally (Redis style): each insert moves a
 * couple of old buckets, lookups check both arrays while a rehash is in
 * progress, so there is never a stop-the-world pause proportional to the
 * table size. It never shrinks.
 *
 * Longest-prefix match: the table counts its entries per depth, so a
 * lookup probes only depths that have entries, from the longest down.
 */
#ifndef DMSC_FW_NAMETAB_H
#define DMSC_FW_NAMETAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ndn/name.h"

typedef struct dmsc_ntnode dmsc_ntnode_t;
struct dmsc_ntnode {
    dmsc_ntnode_t *next;
    uint64_t hash;
    const uint8_t *key;
    uint16_t klen;
    uint8_t depth;
    uint8_t tag;
};

typedef struct {
    dmsc_ntnode_t **tab[2];
    size_t size[2]; /* bucket counts, powers of two; size[1] == 0 unless rehashing */
    size_t rehash_idx;
    size_t count;
    uint32_t depth_count[DMSC_NAME_MAX_COMPS + 1];
    int max_depth; /* -1 when empty */
} dmsc_nametab_t;

/* 0 or DMSC_ENOMEM. initial is rounded up to a power of two (>= 16). */
int dmsc_nametab_init(dmsc_nametab_t *t, size_t initial);
/* Frees the bucket arrays only: nodes belong to the caller. */
void dmsc_nametab_destroy(dmsc_nametab_t *t);

static inline void dmsc_ntnode_set(dmsc_ntnode_t *n, uint64_t hash, const uint8_t *key, size_t klen,
                                   size_t depth, uint8_t tag)
{
    n->next = NULL;
    n->hash = hash;
    n->key = key;
    n->klen = (uint16_t)klen;
    n->depth = (uint8_t)depth;
    n->tag = tag;
}

dmsc_ntnode_t *dmsc_nametab_find(const dmsc_nametab_t *t, uint64_t hash, const uint8_t *key,
                                 size_t klen, uint8_t tag);
/* Every node with this key, whatever its tag: up to max into out; returns
 * how many were found (possibly more than max; only max are stored). */
size_t dmsc_nametab_find_all(const dmsc_nametab_t *t, uint64_t hash, const uint8_t *key,
                             size_t klen, dmsc_ntnode_t **out, size_t max);
/* Link n (not already present with the same key and tag). Never fails: if
 * growing the bucket array fails the table just gets a longer chain. */
void dmsc_nametab_insert(dmsc_nametab_t *t, dmsc_ntnode_t *n);
void dmsc_nametab_remove(dmsc_nametab_t *t, dmsc_ntnode_t *n);

/* Longest prefix of name (at most its ncomps components) present with tag.
 * Hashes only the depths that have entries. NULL if none. */
dmsc_ntnode_t *dmsc_nametab_lpm(const dmsc_nametab_t *t, const dmsc_name_t *name, uint8_t tag);

/* Visit every node. cb may remove the node it is given (and no other);
 * iteration stops when cb returns non-zero. No insert during iteration. */
void dmsc_nametab_foreach(const dmsc_nametab_t *t, int (*cb)(void *arg, dmsc_ntnode_t *n),
                          void *arg);

static inline bool dmsc_ntnode_key_eq(const dmsc_ntnode_t *n, uint64_t hash, const uint8_t *key,
                                      size_t klen)
{
    return n->hash == hash && n->klen == klen && (klen == 0 || memcmp(n->key, key, klen) == 0);
}

#endif
