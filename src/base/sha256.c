#include "base/sha256.h"

#include <nettle/sha2.h>

void dmsc_sha256(const dmsc_slice_t *parts, size_t nparts, uint8_t out[DMSC_SHA256_LEN])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    for (size_t i = 0; i < nparts; i++)
        sha256_update(&ctx, parts[i].n, parts[i].p);
    sha256_digest(&ctx, DMSC_SHA256_LEN, out);
}
