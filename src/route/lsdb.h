/*
 * Link-state database (internal to src/route): one LSA per origin, kept as
 * the signed Data packet it arrived as, with its adjacencies and prefixes
 * parsed out for SPF. Slots are stable while an origin is present, so the
 * router can keep per-slot flooding state per neighbor.
 *
 * The digest is the sum (mod 2^64) of the per-LSA hashes, each the first
 * 8 octets (big-endian) of the SHA-256 of the LSA packet: order-independent,
 * updated incrementally, equal on two nodes exactly when (up to hash
 * collisions) they hold the same LSAs.
 */
#ifndef DMSC_ROUTE_LSDB_H
#define DMSC_ROUTE_LSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route/wire.h"
#include "sec/key.h"

#define DMSC_LSDB_NONE UINT32_MAX

typedef struct {
    dmsc_slice_t name; /* Name TLV-VALUE, inside the entry's wire */
    uint64_t cost;
    uint32_t slot; /* resolved by the router before SPF */
} dmsc_lsdb_adj_t;

typedef struct {
    dmsc_slice_t name;
    uint64_t cost, load, capacity;
    bool allowed; /* trust rules let the origin serve it (decided at install) */
} dmsc_lsdb_pfx_t;

typedef struct {
    bool used;
    uint8_t *wire; /* the LSA Data packet (owned) */
    uint32_t len;
    dmsc_slice_t origin; /* Name TLV-VALUE inside wire */
    uint64_t ohash;      /* hash of origin */
    uint64_t seq, hash;
    uint64_t lifetime_ms;
    uint64_t expires, installed; /* ns */
    uint8_t pubkey[DMSC_RT_PUBKEY_LEN];
    dmsc_key_t *key; /* public key, cached for verification (owned) */
    uint32_t n_adj, n_pfx;
    dmsc_lsdb_adj_t *adj;
    dmsc_lsdb_pfx_t *pfx;
    uint32_t next; /* hash chain */
} dmsc_lsdb_entry_t;

typedef struct {
    dmsc_lsdb_entry_t *e;
    uint32_t cap;   /* slots allocated */
    uint32_t count; /* slots used */
    uint32_t max;   /* ceiling on count */
    uint32_t *freelist;
    uint32_t nfree;
    uint32_t *buckets;
    uint32_t nbuckets; /* power of two */
    uint64_t digest;
    uint64_t bytes; /* sum of LSA packet sizes */
    uint64_t version;
    uint64_t last_changed;
    uint64_t next_expiry; /* min expires over entries (UINT64_MAX if none) */
    uint64_t seed;        /* of the name hash (hash-flooding defence) */
} dmsc_lsdb_t;

/* 0 or DMSC_ENOMEM. max: most LSAs held; seed: of the name hash. */
int dmsc_lsdb_init(dmsc_lsdb_t *l, uint32_t max, uint64_t seed);
void dmsc_lsdb_free(dmsc_lsdb_t *l);

uint64_t dmsc_lsdb_name_hash(const dmsc_lsdb_t *l, const uint8_t *name, size_t len);
/* First 8 octets of SHA-256(wire), big-endian. */
uint64_t dmsc_lsdb_lsa_hash(const uint8_t *wire, size_t len);
/* Order of two versions of one origin's LSA: by seq, then by hash.
 * <0 if a is older, 0 same, >0 if a is newer. */
static inline int dmsc_lsdb_cmp(uint64_t seq_a, uint64_t hash_a, uint64_t seq_b, uint64_t hash_b)
{
    if (seq_a != seq_b) return seq_a < seq_b ? -1 : 1;
    if (hash_a != hash_b) return hash_a < hash_b ? -1 : 1;
    return 0;
}

/* Slot of origin (Name TLV-VALUE), or DMSC_LSDB_NONE. */
uint32_t dmsc_lsdb_find(const dmsc_lsdb_t *l, const uint8_t *origin, size_t len);

/* Install an LSA that dmsc_lsa_decode() accepted (and the caller verified):
 * a copy of wire replaces the origin's entry or takes a new slot. hash is
 * dmsc_lsdb_lsa_hash(wire). *key (may be NULL) becomes the entry's cached
 * key (ownership passes; the old one is freed unless it is the same).
 * Prefix `allowed` flags start true. Returns 0 with *slot set, or
 * DMSC_ENOMEM (allocation, or a new origin past max) or a decode error, and
 * then the caller keeps *key. */
int dmsc_lsdb_put(dmsc_lsdb_t *l, const uint8_t *wire, size_t len, uint64_t hash, uint64_t expires,
                  uint64_t now, dmsc_key_t *key, uint32_t *slot);
/* Remove the entry in slot. */
void dmsc_lsdb_remove(dmsc_lsdb_t *l, uint32_t slot, uint64_t now);
/* Recompute next_expiry (O(cap)). */
void dmsc_lsdb_update_expiry(dmsc_lsdb_t *l);

#endif
