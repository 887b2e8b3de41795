/*
 * Keyless signing (DigestSha256) and helpers around dmsc_signer_t /
 * dmsc_verifier_t (ndn/signer.h) that do not depend on the key type.
 */
#ifndef DMSC_SEC_SIG_H
#define DMSC_SEC_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "ndn/signer.h"

/* DigestSha256 (type 0): SignatureValue = SHA-256 of the signed portion, no
 * KeyLocator. Static objects, never NULL, usable from any thread. */
const dmsc_signer_t *dmsc_sig_digest_signer(void);
const dmsc_verifier_t *dmsc_sig_digest_verifier(void);

/* Sign a contiguous message (convenience over s->sign). sig needs room for
 * s->max_sig_len bytes (DMSC_SIG_MAX_LEN always suffices). */
static inline int dmsc_sig_sign(const dmsc_signer_t *s, const uint8_t *msg, size_t len,
                                uint8_t *sig, size_t *sig_len)
{
    dmsc_slice_t part = dmsc_slice(msg, len);
    return s->sign(s, &part, 1, sig, sig_len);
}

static inline int dmsc_sig_verify(const dmsc_verifier_t *v, const uint8_t *msg, size_t len,
                                  const uint8_t *sig, size_t sig_len)
{
    dmsc_slice_t part = dmsc_slice(msg, len);
    return v->verify(v, &part, 1, sig, sig_len);
}

/* Throughput helpers for bench/: sign msg `iterations` times (the last
 * signature is left in sig / *sig_len), or verify (msg, sig) `iterations`
 * times. No clock inside; the caller times the call. Return 0 or the first
 * error (DMSC_ESIG if the signature does not verify). Typical use:
 *     dmsc_key_generate(&k, DMSC_SIG_ED25519);
 *     dmsc_key_signer(k, DMSC_KEYLOC_NAME or _NONE, &s); dmsc_key_verifier(k, &v);
 *     t0 = now(); dmsc_sig_sign_loop(s, msg, len, N, sig, &sig_len); t1 = now();
 *     dmsc_sig_verify_loop(v, msg, len, sig, sig_len, N); t2 = now();       */
int dmsc_sig_sign_loop(const dmsc_signer_t *s, const uint8_t *msg, size_t len, unsigned iterations,
                       uint8_t *sig, size_t *sig_len);
int dmsc_sig_verify_loop(const dmsc_verifier_t *v, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t sig_len, unsigned iterations);

#endif
