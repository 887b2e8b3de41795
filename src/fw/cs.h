/*
 * Content Store (internal to src/fw): LRU cache of Data, capped in entries
 * and in bytes (the Data wire sizes).
 *
 * Structure: a prefix tree whose nodes are indexed by a dmsc_nametab_t.
 * Every node is one name prefix that is a prefix of (or equal to) the name
 * of at least one cached Data; it knows its parent, its children (intrusive
 * sibling list), the entry stored exactly at its name, if any, and n_desc,
 * the number of entries at or below it. A node exists iff n_desc > 0, so
 * every leaf holds an entry.
 *
 *  - exact lookup (CanBePrefix=0): one hash probe for the node of the
 *    Interest name, O(1);
 *  - implicit-digest lookup (last component ImplicitSha256Digest): one probe
 *    for the node of the name without it, then the entry's digest (computed
 *    on first use and kept);
 *  - CanBePrefix lookup: one probe for the node of the Interest name, then a
 *    depth-first walk of its subtree. Without MustBeFresh the first child
 *    path always ends at an entry, so the cost is O(depth). With MustBeFresh
 *    stale entries are skipped; the walk visits at most cbp_scan_max nodes
 *    (a miss beyond that), bounding the work an Interest can cause;
 *  - insert: one probe for the Data name; if its node is new, probes up the
 *    parent chain until an existing node (usually one), then O(depth)
 *    pointer hops to count the entry in every ancestor;
 *  - eviction: the LRU head, O(depth) to uncount and prune empty nodes.
 * Memory: one malloc per entry (header + Data copy) and per new node
 * (header + prefix bytes). Any matching Data is returned for a CanBePrefix
 * Interest (not necessarily the first in canonical order: the spec allows
 * any).
 *
 * One Data per name: a newer Data with the same name replaces the cached one.
 */
#ifndef DMSC_FW_CS_H
#define DMSC_FW_CS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/nametab.h"
#include "ndn/name.h"

typedef struct dmsc_cs_node dmsc_cs_node_t;
typedef struct dmsc_cs_entry dmsc_cs_entry_t;

struct dmsc_cs_node {
    dmsc_ntnode_t nt;
    dmsc_cs_node_t *parent, *child, *prev, *next;
    dmsc_cs_entry_t *entry;
    uint32_t n_desc;
    uint8_t key[];
};

struct dmsc_cs_entry {
    dmsc_cs_node_t *node;
    dmsc_cs_entry_t *lru_prev, *lru_next;
    uint64_t fresh_until; /* fresh while now < fresh_until */
    uint32_t len;
    bool has_digest;
    uint8_t digest[DMSC_DIGEST_LEN];
    uint8_t wire[];
};

typedef struct {
    uint64_t entries, bytes, hits, misses, inserts, evictions;
} dmsc_cs_stats_t;

#define DMSC_CS_CBP_SCAN_MAX 1024

typedef struct {
    dmsc_nametab_t nt;
    dmsc_cs_node_t *root;
    dmsc_cs_entry_t *lru_head, *lru_tail; /* head = least recently used */
    size_t max_entries, max_bytes;
    size_t cbp_scan_max;
    dmsc_cs_stats_t st;
} dmsc_cs_t;

int dmsc_cs_init(dmsc_cs_t *cs, size_t max_entries, size_t max_bytes);
void dmsc_cs_destroy(dmsc_cs_t *cs);
/* New limits; evicts down to them. */
void dmsc_cs_set_limits(dmsc_cs_t *cs, size_t max_entries, size_t max_bytes);
void dmsc_cs_erase_all(dmsc_cs_t *cs);

/* Find a Data for an Interest (counts a hit or a miss; a hit becomes most
 * recently used). */
dmsc_cs_entry_t *dmsc_cs_lookup(dmsc_cs_t *cs, const dmsc_name_t *name, bool cbp, bool mbf,
                                uint64_t now);
/* Cache a copy of a Data (name is its decoded Name; freshness_ms < 0: no
 * FreshnessPeriod, stale at once). 0, DMSC_ETOOBIG (larger than the byte
 * cap, or caching disabled), DMSC_ENOMEM. */
int dmsc_cs_insert(dmsc_cs_t *cs, const dmsc_name_t *name, const uint8_t *wire, size_t len,
                   int64_t freshness_ms, uint64_t now);
/* Entry with exactly this Data name, no side effects (tests, management). */
dmsc_cs_entry_t *dmsc_cs_find_exact(const dmsc_cs_t *cs, const dmsc_name_t *name);

#endif
