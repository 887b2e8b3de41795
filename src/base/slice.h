/* Read-only byte views. A slice never owns its memory. */
#ifndef DMSC_BASE_SLICE_H
#define DMSC_BASE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t n;
} dmsc_slice_t;

static inline dmsc_slice_t dmsc_slice(const void *p, size_t n)
{
    dmsc_slice_t s = {(const uint8_t *)p, n};
    return s;
}

static inline bool dmsc_slice_eq(dmsc_slice_t a, dmsc_slice_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

#endif
