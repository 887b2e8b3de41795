/*
 * Pending Interest Table (internal to src/fw).
 *
 * An entry is keyed by (Name, CanBePrefix, MustBeFresh): the name bytes are
 * the nametab key, the two flags its tag. Entries are slab objects, so an
 * entry's (slot index, generation) is the 8-byte PitToken we put on
 * Interests we send upstream: a returning Data or Nack finds its entry in
 * O(1) without hashing, and a stale token (entry reused) fails the
 * generation check.
 *
 * Each entry holds one copy of the Interest to forward (bounded by the
 * forwarder's max_packet; up to DMSC_PIT_WIRE_INLINE bytes inside the entry,
 * larger ones in a pooled block), its in-records (downstream face, nonce,
 * expiry, the downstream's PitToken to echo) and out-records (upstream face,
 * nonce, send time). One record of each kind is inline; more come from the
 * size-class pool, so a packet never mallocs in steady state.
 *
 * Expiry: entries sit in a binary min-heap on their expiry (the latest
 * in-record expiry). Insert/update/remove are O(log n); the forwarder pops
 * expired entries in dmsc_fw_run_timers().
 *
 * Data matching (dmsc_pit_match_data) probes: the Data name (every tag, one
 * chain walk), each shorter prefix only at depths where CanBePrefix entries
 * exist (per-depth counters), and the full name with the implicit digest
 * only when some entry's name ends with an ImplicitSha256DigestComponent
 * (the digest is computed only then). A typical Data costs one probe.
 */
#ifndef DMSC_FW_PIT_H
#define DMSC_FW_PIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/fw.h"
#include "fw/nametab.h"
#include "fw/pool.h"
#include "ndn/lp.h"

/* tag bits (part of the key) */
enum { DMSC_PIT_CBP = 1, DMSC_PIT_MBF = 2 };
/* other entry flags */
enum {
    DMSC_PIT_F_DIGEST = 1,    /* last name component is an implicit digest */
    DMSC_PIT_F_LOCALHOST = 2, /* name under /localhost */
    DMSC_PIT_F_LOCALHOP = 4,  /* /localhop Interest from a non-local face */
};

#define DMSC_PIT_TOKEN_LEN 8
#define DMSC_PIT_WIRE_INLINE 192
#define DMSC_PIT_STRATEGY_INFO 32

typedef struct {
    dmsc_faceid_t face;
    uint32_t nonce;
    uint64_t expiry;
    uint8_t tok_len;
    uint8_t tok[DMSC_LP_PIT_TOKEN_MAX];
} dmsc_inrec_t;

enum {
    DMSC_OUT_NACKED = 1,
    DMSC_OUT_COUNTED = 2, /* strategy-owned: counted in a measurement */
};

typedef struct {
    dmsc_faceid_t face;
    uint32_t nonce;
    uint64_t sent;
    uint64_t expiry;
    uint64_t nack_reason;
    uint8_t flags;
} dmsc_outrec_t;

typedef struct dmsc_strategy dmsc_strategy_t;

typedef struct {
    dmsc_slot_t slot;
    dmsc_ntnode_t node; /* key: name bytes inside wire */
    uint64_t expiry;
    uint32_t heap_idx;
    uint8_t flags;   /* DMSC_PIT_F_* */
    uint8_t out_hop; /* HopLimit carried by the copy (valid if has_hop) */
    bool has_hop;
    uint16_t n_in, cap_in, n_out, cap_out;
    dmsc_inrec_t *in;
    dmsc_outrec_t *out;
    uint8_t *wire; /* the Interest to forward */
    uint32_t wire_len, wire_cap;
    uint32_t name_off;     /* Name TLV-VALUE inside wire */
    uint32_t nonce_off;    /* Nonce TLV-VALUE inside wire */
    uint64_t lifetime;     /* ns, of the copy */
    dmsc_faceid_t last_in; /* downstream of the copy (IncomingFaceId) */
    const dmsc_strategy_t *strategy;
    bool has_fib;
    uint32_t fib_idx, fib_gen; /* FIB entry used last, when has_fib */
    uint8_t sinfo[DMSC_PIT_STRATEGY_INFO]
        __attribute__((aligned(8))); /* strategy scratch, zeroed at creation */
    dmsc_inrec_t in_inline[1];
    dmsc_outrec_t out_inline[1];
    uint8_t wire_inline[DMSC_PIT_WIRE_INLINE];
} dmsc_pit_entry_t;

typedef struct {
    dmsc_nametab_t nt;
    dmsc_slab_t slab;
    dmsc_bufpool_t *bp;
    uint32_t cbp_depth[DMSC_NAME_MAX_COMPS + 1]; /* CanBePrefix entries per depth */
    size_t n_digest;                             /* entries with DMSC_PIT_F_DIGEST */
    dmsc_pit_entry_t **heap;
    size_t heap_n, heap_cap;
} dmsc_pit_t;

int dmsc_pit_init(dmsc_pit_t *pit, size_t max, dmsc_bufpool_t *bp);
/* Frees every entry (no callbacks). */
void dmsc_pit_destroy(dmsc_pit_t *pit);
static inline size_t dmsc_pit_size(const dmsc_pit_t *pit)
{
    return pit->slab.n_live;
}
static inline void dmsc_pit_set_max(dmsc_pit_t *pit, size_t max)
{
    pit->slab.max = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
}

static inline uint8_t dmsc_pit_tag(bool cbp, bool mbf)
{
    return (uint8_t)((cbp ? DMSC_PIT_CBP : 0) | (mbf ? DMSC_PIT_MBF : 0));
}

dmsc_pit_entry_t *dmsc_pit_find(const dmsc_pit_t *pit, const dmsc_name_t *name, uint64_t hash,
                                uint8_t tag);

/* New entry for (name, tag) with a copy of wire[0..len), whose Name
 * TLV-VALUE starts at wire + name_off. NULL when the PIT is full or memory
 * runs out. The entry is not in the expiry heap until dmsc_pit_set_expiry(). */
dmsc_pit_entry_t *dmsc_pit_insert(dmsc_pit_t *pit, const dmsc_name_t *name, uint64_t hash,
                                  uint8_t tag, const uint8_t *wire, size_t len, size_t name_off);
/* Replace the entry's Interest copy (same name). 0 or DMSC_ENOMEM. */
int dmsc_pit_set_wire(dmsc_pit_t *pit, dmsc_pit_entry_t *e, const uint8_t *wire, size_t len,
                      size_t name_off);
/* Unlink and free (records, copy, heap slot). */
void dmsc_pit_erase(dmsc_pit_t *pit, dmsc_pit_entry_t *e);

/* The entry's name as a view into its copy (fills the component index). */
void dmsc_pit_entry_name(const dmsc_pit_entry_t *e, dmsc_name_t *out);

/* ---- records ---- */
dmsc_inrec_t *dmsc_pit_inrec_find(dmsc_pit_entry_t *e, dmsc_faceid_t face);
/* Append a zeroed in-record for face; NULL on OOM. */
dmsc_inrec_t *dmsc_pit_inrec_add(dmsc_pit_t *pit, dmsc_pit_entry_t *e, dmsc_faceid_t face);
void dmsc_pit_inrec_remove(dmsc_pit_entry_t *e, dmsc_inrec_t *r);
dmsc_outrec_t *dmsc_pit_outrec_find(dmsc_pit_entry_t *e, dmsc_faceid_t face);
dmsc_outrec_t *dmsc_pit_outrec_add(dmsc_pit_t *pit, dmsc_pit_entry_t *e, dmsc_faceid_t face);
void dmsc_pit_outrec_remove(dmsc_pit_entry_t *e, dmsc_outrec_t *r);

/* ---- expiry ---- */
void dmsc_pit_set_expiry(dmsc_pit_t *pit, dmsc_pit_entry_t *e, uint64_t expiry);
static inline uint64_t dmsc_pit_next_expiry(const dmsc_pit_t *pit)
{
    return pit->heap_n ? pit->heap[0]->expiry : UINT64_MAX;
}
/* The earliest entry if it expired by now (it stays in the PIT), else NULL. */
static inline dmsc_pit_entry_t *dmsc_pit_expired(const dmsc_pit_t *pit, uint64_t now)
{
    return pit->heap_n && pit->heap[0]->expiry <= now ? pit->heap[0] : NULL;
}

/* ---- tokens ---- */
void dmsc_pit_token(const dmsc_pit_entry_t *e, uint8_t out[DMSC_PIT_TOKEN_LEN]);
dmsc_pit_entry_t *dmsc_pit_by_token(const dmsc_pit_t *pit, dmsc_slice_t tok);

/* ---- Data matching ---- */
/* Every entry the Data satisfies, into out[0..max) (max >= DMSC_PIT_MATCH_MAX
 * always suffices). name_hash: dmsc_name_hash of the whole Data name if the
 * caller knows it (from a PitToken's entry), else 0. Returns the count. */
#define DMSC_PIT_MATCH_MAX (4 + 4 * DMSC_NAME_MAX_COMPS + 4)
size_t dmsc_pit_match_data(const dmsc_pit_t *pit, const dmsc_name_t *data_name, uint64_t name_hash,
                           dmsc_slice_t data_wire, dmsc_pit_entry_t **out, size_t max);

/* Visit every live entry (in slot order); cb may erase the entry it gets. */
void dmsc_pit_foreach(dmsc_pit_t *pit, void (*cb)(void *arg, dmsc_pit_entry_t *e), void *arg);

#endif
