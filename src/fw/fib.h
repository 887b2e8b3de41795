/*
 * FIB (internal to src/fw): name prefix -> nexthops (face, cost), sorted by
 * cost then face id, with per-nexthop measurements for load-balance.
 *
 * Entries are slab objects (so PIT entries can hold an (index, generation)
 * handle to the entry they were forwarded by) indexed by a dmsc_nametab_t.
 * Longest-prefix match probes only depths that have entries. Management
 * operations (add/remove/face removal) may allocate; lookups never do.
 */
#ifndef DMSC_FW_FIB_H
#define DMSC_FW_FIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/fw.h"
#include "fw/nametab.h"
#include "fw/pool.h"

/* Per-nexthop measurements (load-balance strategy). */
typedef struct {
    uint64_t rtt_ewma;    /* ns; 0 = no sample yet */
    uint32_t outstanding; /* Interests forwarded and not yet answered */
} dmsc_fib_meas_t;

typedef struct {
    dmsc_slot_t slot;
    dmsc_ntnode_t node;
    uint32_t n_nh, cap_nh;
    dmsc_nexthop_t *nh;    /* sorted by (cost, face) */
    dmsc_fib_meas_t *meas; /* parallel to nh */
    uint8_t *key;          /* owned prefix bytes */
} dmsc_fib_entry_t;

typedef struct {
    dmsc_nametab_t nt;
    dmsc_slab_t slab;
} dmsc_fib_t;

int dmsc_fib_init(dmsc_fib_t *fib, size_t max);
void dmsc_fib_destroy(dmsc_fib_t *fib);
static inline size_t dmsc_fib_size(const dmsc_fib_t *fib)
{
    return fib->nt.count;
}
/* 0, DMSC_ENOMEM (limit or allocation). Updates the cost if present. */
int dmsc_fib_add(dmsc_fib_t *fib, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t cost);
/* Removes the nexthop, and the entry when it has none left. */
void dmsc_fib_remove(dmsc_fib_t *fib, const dmsc_name_t *prefix, dmsc_faceid_t face);
/* Remove face from every entry: O(FIB size). */
void dmsc_fib_remove_face(dmsc_fib_t *fib, dmsc_faceid_t face);
dmsc_fib_entry_t *dmsc_fib_lpm(const dmsc_fib_t *fib, const dmsc_name_t *name);
dmsc_fib_entry_t *dmsc_fib_exact(const dmsc_fib_t *fib, const dmsc_name_t *prefix);
static inline dmsc_fib_entry_t *dmsc_fib_get(const dmsc_fib_t *fib, uint32_t idx, uint32_t gen)
{
    return (dmsc_fib_entry_t *)dmsc_slab_get(&fib->slab, idx, gen);
}
/* Index of face among e's nexthops, or -1. */
int dmsc_fib_nh_index(const dmsc_fib_entry_t *e, dmsc_faceid_t face);
void dmsc_fib_foreach(const dmsc_fib_t *fib, dmsc_fw_fib_cb cb, void *arg);

#endif
