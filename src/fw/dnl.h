/*
 * Dead Nonce List (internal to src/fw): (Name, Nonce) pairs of Interests
 * that recently left the PIT, so that a looping Interest that returns after
 * its PIT entry is gone is still recognized (NFD's DeadNonceList).
 *
 * Entries are 64-bit keys (name hash mixed with the nonce; a collision is a
 * false "loop", as in NFD). A FIFO ring holds (key, expiry) in insertion
 * order and bounds the size: inserting into a full list drops the oldest.
 * An open-addressing set (linear probing, backward-shift deletion) with a
 * per-key count answers membership in O(1). All memory is allocated once at
 * creation (ring: max entries, set: a power of two >= 2 * max).
 */
#ifndef DMSC_FW_DNL_H
#define DMSC_FW_DNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t key;
    uint64_t expiry;
} dmsc_dnl_rec_t;

typedef struct {
    uint64_t key;
    uint32_t count; /* 0 = empty slot */
} dmsc_dnl_slot_t;

typedef struct {
    dmsc_dnl_rec_t *ring;
    size_t max, head, n;
    dmsc_dnl_slot_t *set;
    size_t set_mask;
    uint64_t lifetime;
} dmsc_dnl_t;

/* 0 or DMSC_ENOMEM. max 0 disables the list. */
int dmsc_dnl_init(dmsc_dnl_t *d, size_t max, uint64_t lifetime_ns);
void dmsc_dnl_destroy(dmsc_dnl_t *d);
/* Change capacity/lifetime (entries are kept, newest first, up to the new
 * capacity). 0 or DMSC_ENOMEM (the old list is kept). */
int dmsc_dnl_resize(dmsc_dnl_t *d, size_t max, uint64_t lifetime_ns);

static inline uint64_t dmsc_dnl_key(uint64_t name_hash, uint32_t nonce)
{
    uint64_t k = name_hash ^ ((uint64_t)nonce * 0x9e3779b97f4a7c15ull);
    k ^= k >> 29;
    return k ? k : 1;
}

void dmsc_dnl_add(dmsc_dnl_t *d, uint64_t key, uint64_t now);
bool dmsc_dnl_has(const dmsc_dnl_t *d, uint64_t key);
/* Drop expired entries; returns the next expiry (UINT64_MAX if empty). */
uint64_t dmsc_dnl_age(dmsc_dnl_t *d, uint64_t now);
static inline size_t dmsc_dnl_size(const dmsc_dnl_t *d)
{
    return d->n;
}

#endif
