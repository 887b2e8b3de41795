/*
 * Strict DER (ITU-T X.690) for the few ASN.1 structures sec/ handles: the
 * ECDSA signature value here, SubjectPublicKeyInfo and PKCS#8 in key.c.
 *
 * Only definite, minimal lengths (short form below 128, long form 0x81/0x82
 * only when needed, nothing above 65535), single-byte tags, no trailing
 * bytes. Every read is bounds-checked against the input; these parsers are
 * fuzzed and take untrusted bytes straight from packets and files.
 */
#ifndef DMSC_SEC_DER_H
#define DMSC_SEC_DER_H

#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

/* ---- ECDSA-Sig-Value (RFC 3279 sec. 2.2.3, RFC 5480 sec. 6) ----
 *   ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 * as ndn-cxx (OpenSSL) and NDNts (WebCrypto output converted to DER) put it
 * in the SignatureValue of SignatureSha256WithEcdsa. For P-256 it is 8 to
 * 72 bytes; 70-72 in practice. The "raw" form is r || s, each 32 bytes
 * big-endian (IEEE P1363, WebCrypto's format). */
#define DMSC_ECDSA_P256_RAW_LEN 64
#define DMSC_ECDSA_P256_DER_MAX 72

/* Encode raw r || s as DER into out (cap bytes), set *len.
 * Returns 0, DMSC_EINVAL (r or s is zero), DMSC_ENOBUFS. */
int dmsc_der_ecdsa_sig_encode(const uint8_t raw[DMSC_ECDSA_P256_RAW_LEN], uint8_t *out, size_t cap,
                              size_t *len);

/* Decode a DER ECDSA-Sig-Value into raw r || s. Rejects anything that is not
 * the unique DER encoding of two positive integers below 2^256: wrong tags,
 * long-form or indefinite lengths where short form is required, lengths past
 * the end, trailing bytes (inside or after the SEQUENCE), negative numbers,
 * zero, redundant leading zero bytes, integers longer than 32 significant
 * bytes. Range checks against the group order are left to the verifier.
 * Returns 0 or DMSC_ESIG. */
int dmsc_der_ecdsa_sig_decode(const uint8_t *der, size_t len, uint8_t raw[DMSC_ECDSA_P256_RAW_LEN]);

/* ---- generic reader: internal to sec/ (dmsc__ names) ---- */

enum {
    DMSC__DER_INTEGER = 0x02,
    DMSC__DER_BIT_STRING = 0x03,
    DMSC__DER_OCTET_STRING = 0x04,
    DMSC__DER_NULL = 0x05,
    DMSC__DER_OID = 0x06,
    DMSC__DER_SEQUENCE = 0x30,
    DMSC__DER_CTX0_C = 0xa0, /* [0] constructed */
    DMSC__DER_CTX1_C = 0xa1, /* [1] constructed */
    DMSC__DER_CTX1_P = 0x81, /* [1] primitive (IMPLICIT BIT STRING in RFC 5958) */
};

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} dmsc__der_reader_t;

static inline void dmsc__der_reader_init(dmsc__der_reader_t *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->end = n ? p + n : p; /* no arithmetic on a NULL pointer */
}

static inline int dmsc__der_reader_eof(const dmsc__der_reader_t *r)
{
    return r->p >= r->end;
}

/* Tag of the next element, or -1 at the end. */
static inline int dmsc__der_peek(const dmsc__der_reader_t *r)
{
    return r->p < r->end ? r->p[0] : -1;
}

/* Read the next element, which must have tag `tag`; *val is its contents.
 * Returns 0 or -1 (wrong tag, bad or non-minimal length, truncated). */
int dmsc__der_read(dmsc__der_reader_t *r, uint8_t tag, dmsc_slice_t *val);

/* Decode the contents of a DER INTEGER as a non-negative integer into
 * out[width] (big-endian, left-padded). Fails (-1) on empty, negative,
 * non-minimal (redundant leading 0x00), or more than `width` significant
 * bytes. */
int dmsc__der_uint(dmsc_slice_t v, uint8_t *out, size_t width);

#endif
