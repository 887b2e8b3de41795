/*
 * The signing interface between the packet layer and sec/.
 *
 * ndn/ encodes packets and knows which bytes are signed; sec/ knows keys.
 * sec/ implements these small vtables (one per signature type) so that the
 * packet layer never includes a sec/ header.
 */
#ifndef DMSC_NDN_SIGNER_H
#define DMSC_NDN_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"
#include "ndn/name.h"

/* SignatureType numbers (NDN v0.3 "Signature"). */
enum {
    DMSC_SIG_SHA256 = 0,       /* DigestSha256 */
    DMSC_SIG_RSA_SHA256 = 1,   /* not supported for signing */
    DMSC_SIG_ECDSA_SHA256 = 3, /* SignatureSha256WithEcdsa, P-256, DER signature */
    DMSC_SIG_HMAC_SHA256 = 4,  /* SignatureHmacWithSha256 */
    DMSC_SIG_ED25519 = 5,      /* SignatureEd25519 */
};

/* KeyLocator kinds */
enum { DMSC_KEYLOC_NONE = 0, DMSC_KEYLOC_NAME = 1, DMSC_KEYLOC_DIGEST = 2 };

/* The largest SignatureValue any supported type produces (ECDSA DER is 72). */
#define DMSC_SIG_MAX_LEN 80

typedef struct dmsc_signer dmsc_signer_t;
struct dmsc_signer {
    uint64_t sig_type;
    size_t max_sig_len; /* upper bound of what sign() writes */
    int keyloc_kind;
    dmsc_name_t keyloc_name; /* valid when keyloc_kind == NAME (view; storage owned by the key) */
    dmsc_slice_t keyloc_digest; /* valid when keyloc_kind == DIGEST */
    /* Sign the concatenation of parts into sig (room for max_sig_len bytes);
     * set *sig_len. Returns 0 or a negative DMSC_E* code. */
    int (*sign)(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t nparts, uint8_t *sig,
                size_t *sig_len);
};

typedef struct dmsc_verifier dmsc_verifier_t;
struct dmsc_verifier {
    uint64_t sig_type;
    /* 0 if sig is a valid signature of the concatenation of parts,
     * DMSC_ESIG if not, another DMSC_E* code on error. */
    int (*verify)(const dmsc_verifier_t *v, const dmsc_slice_t *parts, size_t nparts,
                  const uint8_t *sig, size_t sig_len);
};

#endif
