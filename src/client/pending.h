/*
 * The client's pending-Interest table (sans I/O): what NDN applications
 * keep instead of a PIT. Fixed capacity, allocated once; no allocation per
 * Interest.
 *
 * Every entry has a slot index and a generation; together they form the
 * 8-byte NDNLPv2 PitToken sent with the Interest (4 octets slot, 4 octets
 * generation, big-endian) and the 64-bit id handed to the application, so a
 * token or id that outlived its entry is recognised as stale.
 *
 * Matching without a token (a forwarder that does not echo it) is by name:
 * entries are chained in a hash table keyed by dmsc_name_hash() of the
 * Interest name. A Data name D matches an entry of k components when
 * k == |D| and the hashes are equal, or, for CanBePrefix entries, k <= |D|
 * and hash(D, k) equals the entry's. The 64-bit hash stands in for the
 * name bytes (which the table does not keep): a false match needs a 64-bit
 * collision between two names pending on the same face.
 *
 * Deadlines live in a binary min-heap (O(log n) insert/remove).
 * Time is whatever monotonic microsecond clock the caller passes.
 */
#ifndef DMSC_CLIENT_PENDING_H
#define DMSC_CLIENT_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndn/name.h"

#define DMSC_PEND_TOKEN_LEN 8
#define DMSC_PEND_NIL UINT32_MAX
#define DMSC_PEND_MAX_CAP (1u << 24)

enum {
    DMSC_PEND_F_USED = 1u << 0,
    DMSC_PEND_F_CAN_BE_PREFIX = 1u << 1,
    DMSC_PEND_F_INTERNAL = 1u << 2, /* a management command of the client itself */
};

typedef struct {
    uint64_t hash;     /* dmsc_name_hash(name, ncomps) */
    uint64_t sent_us;  /* when it was expressed */
    uint64_t deadline; /* when it times out */
    void (*cb)(void);  /* the owner's callback (cast back by the owner) */
    void *arg;
    uint32_t gen;      /* generation: changes every time the slot is reused */
    uint32_t next;     /* hash chain, or free list */
    uint32_t heap_idx; /* position in the deadline heap */
    uint32_t nonce;
    uint16_t ncomps;
    uint8_t flags; /* DMSC_PEND_F_* */
} dmsc_pend_entry_t;

typedef struct {
    dmsc_pend_entry_t *e; /* cap slots */
    uint32_t *buckets;    /* nbuckets chain heads */
    uint32_t *heap;       /* slot indices ordered by deadline */
    uint32_t cap, count, nbuckets, free_head;
    uint32_t n_cbp; /* entries with CanBePrefix (enables prefix matching) */
} dmsc_pend_t;

/* cap: 1 .. DMSC_PEND_MAX_CAP. Returns 0, DMSC_EINVAL or DMSC_ENOMEM. */
int dmsc_pend_init(dmsc_pend_t *t, uint32_t cap);
void dmsc_pend_free(dmsc_pend_t *t);

/* New entry for an Interest named `name` (with its CanBePrefix), timing
 * out at deadline. NULL when the table is full. The caller sets cb/arg. */
dmsc_pend_entry_t *dmsc_pend_add(dmsc_pend_t *t, const dmsc_name_t *name, bool can_be_prefix,
                                 uint32_t nonce, uint64_t now, uint64_t deadline);
/* Remove an entry (its id and token become stale). */
void dmsc_pend_remove(dmsc_pend_t *t, dmsc_pend_entry_t *e);

static inline uint32_t dmsc_pend_count(const dmsc_pend_t *t)
{
    return t->count;
}
static inline uint32_t dmsc_pend_slot(const dmsc_pend_t *t, const dmsc_pend_entry_t *e)
{
    return (uint32_t)(e - t->e);
}
/* The id handed to the application: generation << 32 | slot (never 0). */
static inline uint64_t dmsc_pend_id(const dmsc_pend_t *t, const dmsc_pend_entry_t *e)
{
    return (uint64_t)e->gen << 32 | dmsc_pend_slot(t, e);
}
void dmsc_pend_token(const dmsc_pend_t *t, const dmsc_pend_entry_t *e,
                     uint8_t out[DMSC_PEND_TOKEN_LEN]);

/* The live entry of an id / a PitToken, or NULL (unknown, stale, malformed). */
dmsc_pend_entry_t *dmsc_pend_by_id(dmsc_pend_t *t, uint64_t id);
dmsc_pend_entry_t *dmsc_pend_by_token(dmsc_pend_t *t, const uint8_t *tok, size_t len);

/* Does Data named `name` satisfy entry e (by the rule above)? */
bool dmsc_pend_data_matches(const dmsc_pend_entry_t *e, const dmsc_name_t *name);

/* A pending entry that Data named `name` satisfies, or NULL. Call again
 * after removing it to find the next one. */
dmsc_pend_entry_t *dmsc_pend_find_data(dmsc_pend_t *t, const dmsc_name_t *name);

/* The pending entry for the Interest of a Nack: same name (and nonce, when
 * several share the name; nonce 0 = any). NULL if none. */
dmsc_pend_entry_t *dmsc_pend_find_nack(dmsc_pend_t *t, const dmsc_name_t *name, uint32_t nonce);

/* The entry with the earliest deadline if that deadline is <= now, else NULL. */
dmsc_pend_entry_t *dmsc_pend_expired(dmsc_pend_t *t, uint64_t now);
/* Earliest deadline; false if the table is empty. */
bool dmsc_pend_next_deadline(const dmsc_pend_t *t, uint64_t *when);

#endif
