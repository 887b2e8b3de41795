#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "face/face_int.h"

/* Entry layout: uint32 size, uint32 flags, then size bytes padded to 8.
 * A WRAP entry (or fewer than 8 bytes left before the end) sends the reader
 * back to offset 0. */
enum { ENTRY_DATA = 0, ENTRY_WRAP = 1 };

typedef struct {
    uint32_t size;
    uint32_t flags;
} entry_hdr_t;

int dmsc__ring_alloc(dmsc__ring_t *r, size_t cap)
{
    cap = (cap + 7) & ~(size_t)7;
    r->buf = malloc(cap);
    if (!r->buf) return DMSC_ENOMEM;
    r->cap = cap;
    r->head = r->tail = 0;
    r->count = 0;
    r->bytes = 0;
    return 0;
}

void dmsc__ring_release(dmsc__ring_t *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void *dmsc__ring_push(dmsc__ring_t *r, size_t n)
{
    size_t total = dmsc__ring_entry_size(n);
    size_t at;
    if (!r->buf || n > UINT32_MAX) return NULL;
    if (r->count == 0) {
        r->head = r->tail = 0;
    }
    if (r->count == 0 || r->tail > r->head) {
        /* free space: [tail, cap) and [0, head) */
        if (total <= r->cap - r->tail) {
            at = r->tail;
        } else if (total <= r->head) {
            if (r->cap - r->tail >= sizeof(entry_hdr_t)) {
                entry_hdr_t *w = (entry_hdr_t *)(r->buf + r->tail);
                w->size = 0;
                w->flags = ENTRY_WRAP;
            }
            at = 0;
        } else {
            return NULL;
        }
    } else {
        /* wrapped: free space is [tail, head) */
        if (total > r->head - r->tail) return NULL;
        at = r->tail;
    }
    entry_hdr_t *h = (entry_hdr_t *)(r->buf + at);
    h->size = (uint32_t)n;
    h->flags = ENTRY_DATA;
    r->tail = at + total;
    r->count++;
    r->bytes += n;
    return h + 1;
}

/* Normalise an entry offset: follow a wrap. */
static size_t norm(const dmsc__ring_t *r, size_t pos)
{
    if (r->cap - pos < sizeof(entry_hdr_t)) return 0;
    const entry_hdr_t *h = (const entry_hdr_t *)(r->buf + pos);
    return h->flags == ENTRY_WRAP ? 0 : pos;
}

void *dmsc__ring_peek(dmsc__ring_t *r, size_t *n)
{
    if (r->count == 0) return NULL;
    r->head = norm(r, r->head);
    entry_hdr_t *h = (entry_hdr_t *)(r->buf + r->head);
    *n = h->size;
    return h + 1;
}

void dmsc__ring_pop(dmsc__ring_t *r)
{
    if (r->count == 0) return;
    r->head = norm(r, r->head);
    entry_hdr_t *h = (entry_hdr_t *)(r->buf + r->head);
    r->bytes -= h->size;
    r->head += dmsc__ring_entry_size(h->size);
    if (--r->count == 0) r->head = r->tail = 0;
}

void *dmsc__ring_iter(dmsc__ring_t *r, size_t *pos, uint32_t *k, size_t *n)
{
    if (*pos == (size_t)-1) {
        *pos = r->head;
        *k = 0;
    }
    if (*k >= r->count) return NULL;
    size_t at = norm(r, *pos);
    entry_hdr_t *h = (entry_hdr_t *)(r->buf + at);
    *n = h->size;
    *pos = at + dmsc__ring_entry_size(h->size);
    (*k)++;
    return h + 1;
}
