/* SHA-256 over scattered input (nettle underneath). Used by ndn/ for
 * implicit and parameters digests and by sec/ for signatures. */
#ifndef DMSC_BASE_SHA256_H
#define DMSC_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

#define DMSC_SHA256_LEN 32

void dmsc_sha256(const dmsc_slice_t *parts, size_t nparts, uint8_t out[DMSC_SHA256_LEN]);

static inline void dmsc_sha256_buf(const void *p, size_t n, uint8_t out[DMSC_SHA256_LEN])
{
    dmsc_slice_t s = dmsc_slice(p, n);
    dmsc_sha256(&s, 1, out);
}

#endif
