#include "fw/pool.h"

#include <stdlib.h>
#include <string.h>

void dmsc_slab_init(dmsc_slab_t *s, size_t obj_size, uint32_t max)
{
    memset(s, 0, sizeof *s);
    /* keep objects 8-byte aligned */
    s->obj_size = (obj_size + 7) & ~(size_t)7;
    s->free_head = DMSC_SLAB_NONE;
    s->max = max;
}

void dmsc_slab_destroy(dmsc_slab_t *s)
{
    for (uint32_t i = 0; i < s->n_chunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    memset(s, 0, sizeof *s);
    s->free_head = DMSC_SLAB_NONE;
}

static int grow(dmsc_slab_t *s)
{
    if (s->n_slots > UINT32_MAX - DMSC_SLAB_CHUNK) return -1;
    if (s->n_chunks == s->cap_chunks) {
        uint32_t cap = s->cap_chunks ? s->cap_chunks * 2 : 16;
        uint8_t **c = realloc(s->chunks, cap * sizeof *c);
        if (!c) return -1;
        s->chunks = c;
        s->cap_chunks = cap;
    }
    uint8_t *chunk = calloc(DMSC_SLAB_CHUNK, s->obj_size);
    if (!chunk) return -1;
    s->chunks[s->n_chunks++] = chunk;
    /* push the new slots so that the lowest index comes out first */
    uint32_t base = s->n_slots;
    for (uint32_t i = DMSC_SLAB_CHUNK; i-- > 0;) {
        dmsc_slot_t *o = (dmsc_slot_t *)(chunk + (size_t)i * s->obj_size);
        o->idx = base + i;
        o->next = s->free_head;
        s->free_head = base + i;
    }
    s->n_slots += DMSC_SLAB_CHUNK;
    return 0;
}

void *dmsc_slab_alloc(dmsc_slab_t *s)
{
    if (s->n_live >= s->max) return NULL;
    if (s->free_head == DMSC_SLAB_NONE && grow(s) != 0) return NULL;
    dmsc_slot_t *o = (dmsc_slot_t *)dmsc_slab_at(s, s->free_head);
    s->free_head = o->next;
    uint32_t idx = o->idx, gen = o->gen;
    memset(o, 0, s->obj_size);
    o->idx = idx;
    o->gen = gen;
    o->live = 1;
    s->n_live++;
    return o;
}

void dmsc_slab_free(dmsc_slab_t *s, void *obj)
{
    dmsc_slot_t *o = obj;
    o->live = 0;
    o->gen++;
    o->next = s->free_head;
    s->free_head = o->idx;
    s->n_live--;
}

/* ---- size classes ---- */

struct dmsc_buf_free {
    dmsc_buf_free_t *next;
};

void dmsc_bufpool_init(dmsc_bufpool_t *bp, size_t max_cached)
{
    memset(bp, 0, sizeof *bp);
    bp->max_cached = max_cached;
}

void dmsc_bufpool_destroy(dmsc_bufpool_t *bp)
{
    for (int c = 0; c < DMSC_BUF_NCLASS; c++) {
        dmsc_buf_free_t *f = bp->free[c];
        while (f) {
            dmsc_buf_free_t *next = f->next;
            free(f);
            f = next;
        }
        bp->free[c] = NULL;
    }
    bp->cached_bytes = 0;
}

static int size_class(size_t n)
{
    int c = 0;
    size_t sz = (size_t)1 << DMSC_BUF_MIN_SHIFT;
    while (sz < n) {
        sz <<= 1;
        c++;
    }
    return c;
}

void *dmsc_buf_alloc(dmsc_bufpool_t *bp, size_t n, size_t *cap)
{
    if (n > DMSC_BUF_MAX_POOLED) {
        void *p = malloc(n);
        if (p) *cap = n;
        return p;
    }
    int c = size_class(n);
    size_t sz = (size_t)1 << (DMSC_BUF_MIN_SHIFT + c);
    dmsc_buf_free_t *f = bp->free[c];
    if (f) {
        bp->free[c] = f->next;
        bp->cached_bytes -= sz;
        *cap = sz;
        return f;
    }
    void *p = malloc(sz);
    if (p) *cap = sz;
    return p;
}

void dmsc_buf_free(dmsc_bufpool_t *bp, void *p, size_t cap)
{
    if (!p) return;
    if (cap > DMSC_BUF_MAX_POOLED || bp->cached_bytes + cap > bp->max_cached) {
        free(p);
        return;
    }
    int c = size_class(cap);
    dmsc_buf_free_t *f = p;
    f->next = bp->free[c];
    bp->free[c] = f;
    bp->cached_bytes += cap;
}
