/* SHA-256 (FIPS 180-4), so that the examples need nothing beyond libc. */
#ifndef EXAMPLES_SHA256_H
#define EXAMPLES_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    uint8_t block[64];
} sha256_t;

void sha256_init(sha256_t *s);
void sha256_update(sha256_t *s, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(sha256_t *s, char out[65]);

#endif
