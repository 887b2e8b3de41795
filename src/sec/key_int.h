/* Internal to sec/: the key structure shared by key.c, keyfmt.c, sig.c and
 * keyfile.c. Nothing outside src/sec/ includes this. */
#ifndef DMSC_SEC_KEY_INT_H
#define DMSC_SEC_KEY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <nettle/ecc.h>
#include <nettle/hmac.h>
#include <sodium.h>

#include "sec/key.h"

/* A signer or verifier embedded in a key; `pub` is first so the vtable
 * pointer handed out converts back to this. */
typedef struct {
    dmsc_signer_t pub;
    const dmsc_key_t *key;
} dmsc__signer_t;

typedef struct {
    dmsc_verifier_t pub;
    const dmsc_key_t *key;
} dmsc__verifier_t;

#define DMSC__EC_LEN 32 /* P-256 field element / scalar bytes */

struct dmsc_key {
    uint64_t sig_type;
    bool has_priv;
    bool has_name;
    dmsc_namebuf_t name;
    uint8_t digest[DMSC_KEY_DIGEST_LEN];
    dmsc__signer_t signers[3]; /* indexed by DMSC_KEYLOC_* */
    dmsc__verifier_t verifier;
    union {
        struct {
            struct ecc_scalar d; /* initialized always; set iff has_priv */
            struct ecc_point q;
        } ec;
        struct {
            uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || pk (libsodium layout) */
            uint8_t pk[crypto_sign_PUBLICKEYBYTES];
        } ed;
        struct {
            struct hmac_sha256_ctx ctx; /* keyed; copied for every MAC */
            size_t len;
            uint8_t secret[DMSC_KEY_HMAC_MAX];
        } hmac;
    } u;
};

/* libsodium initialized once; 0 or DMSC_ENOTSUP */
int dmsc__sec_init(void);
/* nettle_random_func over randombytes_buf */
void dmsc__random(void *ctx, size_t n, uint8_t *dst);

/* Allocate a key of sig_type with no material yet (ECDSA: nettle objects
 * initialized). Returns NULL on allocation failure. */
dmsc_key_t *dmsc__key_alloc(uint64_t sig_type);
/* After the material is in place: compute the digest, set up the vtables. */
void dmsc__key_finish(dmsc_key_t *k);

/* ECDSA helpers (key.c) */
int dmsc__ec_set_private(dmsc_key_t *k, const uint8_t d[DMSC__EC_LEN]); /* also derives q */
int dmsc__ec_set_public(dmsc_key_t *k, const uint8_t *pt, size_t n);    /* 04||X||Y */
void dmsc__ec_get_private(const dmsc_key_t *k, uint8_t d[DMSC__EC_LEN]);
void dmsc__ec_get_public(const dmsc_key_t *k, uint8_t pt[1 + 2 * DMSC__EC_LEN]);

/* SPKI encoding of a public key (keyfmt.c); out has DMSC_KEY_SPKI_MAX room. */
size_t dmsc__spki_encode(const dmsc_key_t *k, uint8_t out[DMSC_KEY_SPKI_MAX]);

/* Vtables (sig.c): fill k->signers and k->verifier for k->sig_type. */
void dmsc__sig_setup(dmsc_key_t *k);
/* Refresh the signers' KeyLocator name after the name changed. */
void dmsc__sig_update_name(dmsc_key_t *k);

#endif
