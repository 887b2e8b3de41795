/*
 * Memory for the forwarding hot path (internal to src/fw).
 *
 * dmsc_slab_t: fixed-size objects addressed by a 32-bit slot index, with a
 * generation number bumped on every free, so that (index, generation) is a
 * handle that can be checked in O(1) without dereferencing freed memory
 * (PitTokens, FIB handles held by PIT entries). Objects live in chunks of
 * DMSC_SLAB_CHUNK that are allocated as the table grows and kept until the
 * slab is destroyed; the object count is capped. Allocation and free are a
 * free-list pop and push.
 *
 * dmsc_bufpool_t: power-of-two size classes (64 B .. 16 KiB) with free lists,
 * for Interest copies and record arrays. Freed blocks are kept for reuse up to
 * a byte ceiling; larger requests go to malloc (callers bound them).
 */
#ifndef DMSC_FW_POOL_H
#define DMSC_FW_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every slab object starts with this header. */
typedef struct {
    uint32_t idx;  /* slot index, fixed for the life of the slab */
    uint32_t gen;  /* bumped on free */
    uint32_t next; /* free-list link while free */
    uint32_t live;
} dmsc_slot_t;

#define DMSC_SLAB_CHUNK_SHIFT 8
#define DMSC_SLAB_CHUNK (1u << DMSC_SLAB_CHUNK_SHIFT)
#define DMSC_SLAB_NONE UINT32_MAX

typedef struct {
    size_t obj_size;
    uint8_t **chunks;
    uint32_t n_chunks, cap_chunks;
    uint32_t free_head;
    uint32_t n_slots; /* slots ever created (n_chunks * CHUNK) */
    uint32_t n_live;
    uint32_t max; /* cap on live objects */
} dmsc_slab_t;

void dmsc_slab_init(dmsc_slab_t *s, size_t obj_size, uint32_t max);
void dmsc_slab_destroy(dmsc_slab_t *s);
/* A zeroed object (header set), or NULL at the cap or out of memory. */
void *dmsc_slab_alloc(dmsc_slab_t *s);
void dmsc_slab_free(dmsc_slab_t *s, void *obj);

static inline void *dmsc_slab_at(const dmsc_slab_t *s, uint32_t idx)
{
    return s->chunks[idx >> DMSC_SLAB_CHUNK_SHIFT] +
           (size_t)(idx & (DMSC_SLAB_CHUNK - 1)) * s->obj_size;
}

/* The live object at (idx, gen), or NULL. */
static inline void *dmsc_slab_get(const dmsc_slab_t *s, uint32_t idx, uint32_t gen)
{
    if (idx >= s->n_slots) return NULL;
    dmsc_slot_t *o = (dmsc_slot_t *)dmsc_slab_at(s, idx);
    return o->live && o->gen == gen ? o : NULL;
}

#define DMSC_BUF_MIN_SHIFT 6 /* 64 B */
#define DMSC_BUF_NCLASS 9    /* .. 16 KiB */
#define DMSC_BUF_MAX_POOLED (1u << (DMSC_BUF_MIN_SHIFT + DMSC_BUF_NCLASS - 1))

typedef struct dmsc_buf_free dmsc_buf_free_t;

typedef struct {
    dmsc_buf_free_t *free[DMSC_BUF_NCLASS];
    size_t cached_bytes;
    size_t max_cached; /* free blocks kept beyond this go back to malloc */
} dmsc_bufpool_t;

void dmsc_bufpool_init(dmsc_bufpool_t *bp, size_t max_cached);
void dmsc_bufpool_destroy(dmsc_bufpool_t *bp);
/* A block of at least n bytes; *cap receives its real size. NULL on OOM. */
void *dmsc_buf_alloc(dmsc_bufpool_t *bp, size_t n, size_t *cap);
/* Free a block that dmsc_buf_alloc returned with capacity cap. */
void dmsc_buf_free(dmsc_bufpool_t *bp, void *p, size_t cap);

#endif
