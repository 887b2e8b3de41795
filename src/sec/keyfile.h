/*
 * Key files: one key (and optionally its name) in a small binary file, for
 * the daemon's node key and similar. Written with mode 0600.
 *
 * Format, version 1 (integers big-endian):
 *
 *   offset  size  field
 *        0     4  magic "DMSK" (44 4d 53 4b)
 *        4     1  version: 1
 *        5     1  SignatureType of the key: 3 ECDSA P-256, 4 HMAC-SHA256, 5 Ed25519
 *        6     1  body format: 1 PKCS#8 DER (ECDSA, Ed25519; private key)
 *                              2 raw private (HMAC secret; also read for ECDSA
 *                                32-byte scalar and Ed25519 32-byte seed)
 *                              3 SubjectPublicKeyInfo DER (public-only key)
 *        7     1  flags: 0 (reserved; non-zero is rejected)
 *        8     2  N: length of the key name field (0: no name)
 *       10     2  B: length of the body (1..DMSC_KEY_PKCS8_IN_MAX)
 *       12     N  key name: a whole NDN Name element (TLV-TYPE 7)
 *     12+N     B  body
 *
 * The file is exactly 12 + N + B bytes. The body's own algorithm must match
 * byte 5. Private keys are saved as PKCS#8 (ECDSA, Ed25519) or raw (HMAC),
 * public-only keys as SPKI. A reader meeting version > 1 returns
 * DMSC_ENOTSUP.
 *
 * Errors: 0 or negative DMSC_E*: DMSC_EIO (open/read/write/rename failed;
 * errno tells why), DMSC_EKEY (not a valid key file), DMSC_ENOTSUP,
 * DMSC_ENOBUFS, DMSC_ENOMEM, DMSC_EINVAL, and the import errors of key.h.
 */
#ifndef DMSC_SEC_KEYFILE_H
#define DMSC_SEC_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "sec/key.h"

#define DMSC_KEYFILE_MAGIC "DMSK"
#define DMSC_KEYFILE_VERSION 1
#define DMSC_KEYFILE_HDR_LEN 12
enum { DMSC_KEYFILE_PKCS8 = 1, DMSC_KEYFILE_RAW = 2, DMSC_KEYFILE_SPKI = 3 };
/* Largest valid file: header, Name element of a maximal name, largest body. */
#define DMSC_KEYFILE_MAX (DMSC_KEYFILE_HDR_LEN + 4 + DMSC_NAME_MAX_LEN + DMSC_KEY_PKCS8_IN_MAX)

/* In memory: encode k into out (cap bytes; DMSC_KEYFILE_MAX suffices). */
int dmsc_keyfile_encode(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len);
/* Decode a whole key file image. */
int dmsc_keyfile_decode(dmsc_key_t **out, const uint8_t *p, size_t n);

/* Write k to path atomically (temporary file in the same directory, mode
 * 0600, fsync, rename over path). */
int dmsc_keyfile_save(const dmsc_key_t *k, const char *path);
/* Read a key file. path must be a regular file of at most DMSC_KEYFILE_MAX
 * bytes. The file's permissions are not checked. */
int dmsc_keyfile_load(dmsc_key_t **out, const char *path);

#endif
