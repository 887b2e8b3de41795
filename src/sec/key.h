/*
 * Keys, and the signers and verifiers made from them.
 *
 * A dmsc_key_t holds one key of one signature type (numbers from
 * ndn/signer.h):
 *
 *   DMSC_SIG_ECDSA_SHA256  NIST P-256 (nettle); private scalar and/or public point
 *   DMSC_SIG_HMAC_SHA256   HMAC-SHA256 (nettle); a secret of 1..DMSC_KEY_HMAC_MAX bytes
 *   DMSC_SIG_ED25519       Ed25519 (libsodium); private seed and/or public key
 *
 * plus an optional key name (NDN naming: /<identity>/KEY/<keyid>, or any
 * name such as a certificate name) that signers put in the KeyLocator.
 * DigestSha256 needs no key: see dmsc_sig_digest_signer() in sec/sig.h.
 *
 * The type is opaque and heap-allocated (create with a generate/import
 * function, release with dmsc_key_free): signers and verifiers are embedded
 * in the key and their KeyLocator name points into it, so the key must not
 * move; and freeing wipes the secret material (sodium_memzero) in one place.
 *
 * Threads: signers and verifiers of a key may be used from any number of
 * threads at once (they only read the key). dmsc_key_set_name and
 * dmsc_key_set_identity change the key locator of the key's signers and must
 * not run concurrently with their use.
 *
 * Key formats (byte-compatible with WebCrypto / NDNts and OpenSSL / ndn-cxx):
 *   SubjectPublicKeyInfo DER  ECDSA: RFC 5480, id-ecPublicKey + namedCurve
 *                                    prime256v1, uncompressed point (91 bytes).
 *                             Ed25519: RFC 8410, id-Ed25519, no parameters (44 bytes).
 *   PKCS#8 DER (RFC 5208 PrivateKeyInfo / RFC 5958 OneAsymmetricKey)
 *                             ECDSA: RFC 5915 ECPrivateKey inside, written exactly
 *                                    as WebCrypto and OpenSSL write it (version 0,
 *                                    curve in the AlgorithmIdentifier, public key
 *                                    in [1]; 138 bytes). Read: [0] parameters
 *                                    (must be prime256v1) and [1] public key
 *                                    optional; a public key present must match.
 *                             Ed25519: RFC 8410 CurvePrivateKey (48 bytes). Read:
 *                                    v1, or v2 with a [1] public key that must match;
 *                                    attributes [0] are skipped.
 *   raw private               ECDSA: 32-byte big-endian scalar. Ed25519: 32-byte
 *                             seed (RFC 8032 "private key"). HMAC: the secret.
 *   raw public                ECDSA: 65-byte uncompressed point 04||X||Y
 *                             (WebCrypto "raw"). Ed25519: 32 bytes.
 * Compressed EC points, other curves and other algorithms: DMSC_ENOTSUP.
 * HMAC keys have no SPKI/PKCS#8/public form: DMSC_ENOTSUP.
 *
 * KeyDigest (KeyLocator kind DMSC_KEYLOC_DIGEST) is SHA-256 of the SPKI DER
 * for ECDSA and Ed25519 (what ndn-cxx calls the key's "public key bits"),
 * SHA-256 of the secret for HMAC (only use it with high-entropy secrets).
 *
 * Errors: every int function returns 0 or a negative DMSC_E* code:
 *   DMSC_ESIGTYPE  signature type that has no keys (DigestSha256, RSA, unknown)
 *   DMSC_EKEY      malformed encoding, invalid key (scalar out of range, point
 *                  not on the curve, small-order Ed25519 point, public key that
 *                  does not match the private key), wrong raw length, or a
 *                  private-key operation on a public-only key
 *   DMSC_ENOTSUP   well-formed but unsupported algorithm, curve or point form,
 *                  or a format the key type does not have
 *   DMSC_ENOBUFS   output buffer too small (nothing useful written)
 *   DMSC_ENOMEM    allocation failed
 *   DMSC_EINVAL    bad argument (NULL, bad KeyLocator kind)
 *   name errors    DMSC_ENAMELEN, DMSC_ENAMECOMPS, DMSC_ECOMPTYPE, DMSC_EVALUE,
 *                  DMSC_ETRUNC for a malformed or too long name (as dmsc_name_from_value)
 */
#ifndef DMSC_SEC_KEY_H
#define DMSC_SEC_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndn/name.h"
#include "ndn/signer.h"

typedef struct dmsc_key dmsc_key_t;

/* Size limits of the encodings (exact sizes for the fixed ones). */
#define DMSC_KEY_HMAC_MAX 512      /* longest HMAC secret accepted */
#define DMSC_KEY_HMAC_GEN_LEN 32   /* length of a generated HMAC secret */
#define DMSC_KEY_SPKI_MAX 91       /* ECDSA P-256 SPKI; Ed25519 is 44 */
#define DMSC_KEY_PKCS8_MAX 138     /* what we write; ECDSA P-256; Ed25519 is 48 */
#define DMSC_KEY_PKCS8_IN_MAX 1024 /* longest PKCS#8 input accepted */
#define DMSC_KEY_RAW_PUB_MAX 65
#define DMSC_KEY_RAW_PRIV_MAX DMSC_KEY_HMAC_MAX
#define DMSC_KEY_DIGEST_LEN 32
#define DMSC_KEYID_DEFAULT_LEN 8 /* default <keyid> component length */

/* Initialize libsodium (once; thread-safe; every function below calls it as
 * needed, so calling it is optional). Returns 0 or DMSC_ENOTSUP if libsodium
 * cannot initialize. */
int dmsc_sec_init(void);

/* ---- create / free ---- */

/* Generate a fresh key of sig_type (ECDSA, HMAC, Ed25519) from libsodium's
 * randombytes. An HMAC secret is DMSC_KEY_HMAC_GEN_LEN bytes. */
int dmsc_key_generate(dmsc_key_t **out, uint64_t sig_type);
/* Import from the raw forms described above. */
int dmsc_key_import_raw_private(dmsc_key_t **out, uint64_t sig_type, const uint8_t *p, size_t n);
int dmsc_key_import_raw_public(dmsc_key_t **out, uint64_t sig_type, const uint8_t *p, size_t n);
/* Import PKCS#8 (private, with derived public) or SPKI (public only) DER,
 * which must cover exactly [der, der+n). The signature type is detected. */
int dmsc_key_import_pkcs8(dmsc_key_t **out, const uint8_t *der, size_t n);
int dmsc_key_import_spki(dmsc_key_t **out, const uint8_t *der, size_t n);
/* A public-only copy of an ECDSA or Ed25519 key, with the same name.
 * DMSC_ENOTSUP for HMAC. */
int dmsc_key_public_copy(const dmsc_key_t *k, dmsc_key_t **out);
/* Wipe and free. NULL is ignored. Signers and verifiers die with the key. */
void dmsc_key_free(dmsc_key_t *k);

/* ---- properties ---- */

uint64_t dmsc_key_sig_type(const dmsc_key_t *k);
/* true if the key can sign (always true for HMAC) */
bool dmsc_key_has_private(const dmsc_key_t *k);
/* The KeyDigest value (DMSC_KEY_DIGEST_LEN bytes, see above). */
const uint8_t *dmsc_key_digest(const dmsc_key_t *k);

/* ---- export: write into out (cap bytes), set *len ----
 * DMSC_EKEY for private exports of a public-only key, DMSC_ENOTSUP for
 * forms the type has not, DMSC_ENOBUFS if cap is too small. */
int dmsc_key_export_raw_private(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len);
int dmsc_key_export_raw_public(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len);
int dmsc_key_export_pkcs8(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len);
int dmsc_key_export_spki(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len);

/* ---- name ---- */

/* Set the key name to a copy of `name` (any valid name, e.g. a key name or
 * a certificate name). NULL clears it. */
int dmsc_key_set_name(dmsc_key_t *k, const dmsc_name_t *name);
/* Set the key name to <identity>/KEY/<keyid>, keyid a GenericNameComponent
 * with the given value; if keyid_len == 0 a default keyid of
 * DMSC_KEYID_DEFAULT_LEN bytes is used: the first bytes of the KeyDigest for
 * ECDSA and Ed25519 (stable for a public key), random bytes for HMAC. */
int dmsc_key_set_identity(dmsc_key_t *k, const dmsc_name_t *identity, const uint8_t *keyid,
                          size_t keyid_len);
/* The key name, or NULL if none was set. Valid until the name changes or
 * the key is freed. */
const dmsc_name_t *dmsc_key_name(const dmsc_key_t *k);

/* ---- signer and verifier ---- */

/* The key's signer with KeyLocator kind keyloc_kind (DMSC_KEYLOC_NONE,
 * _NAME, _DIGEST). The signer lives inside the key. Returns 0, DMSC_EKEY
 * (public-only key, or KEYLOC_NAME on a key without a name), DMSC_EINVAL. */
int dmsc_key_signer(const dmsc_key_t *k, int keyloc_kind, const dmsc_signer_t **out);
/* The key's verifier (lives inside the key). Returns 0. */
int dmsc_key_verifier(const dmsc_key_t *k, const dmsc_verifier_t **out);

#endif
