/* Key life cycle, raw import/export, key names. See key.h. */
#include "sec/key_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecdsa.h>

#include "base/err.h"
#include "base/sha256.h"

/* ---- libsodium ---- */

static atomic_int sodium_ready;

int dmsc__sec_init(void)
{
    if (atomic_load_explicit(&sodium_ready, memory_order_acquire)) return 0;
    /* sodium_init is itself idempotent and thread-safe; the flag only keeps
     * it off the fast path once it has succeeded. */
    if (sodium_init() < 0) return DMSC_ENOTSUP;
    atomic_store_explicit(&sodium_ready, 1, memory_order_release);
    return 0;
}

int dmsc_sec_init(void)
{
    return dmsc__sec_init();
}

void dmsc__random(void *ctx, size_t n, uint8_t *dst)
{
    (void)ctx;
    randombytes_buf(dst, n);
}

/* ---- P-256 scalars and points without GMP allocations for secrets ---- */

_Static_assert(GMP_NAIL_BITS == 0, "limb conversion assumes no nail bits");
#define EC_LIMBS ((DMSC__EC_LEN * 8 + GMP_NUMB_BITS - 1) / GMP_NUMB_BITS)

static void bytes_to_limbs(mp_limb_t l[EC_LIMBS], const uint8_t b[DMSC__EC_LEN])
{
    memset(l, 0, EC_LIMBS * sizeof(mp_limb_t));
    for (size_t i = 0; i < DMSC__EC_LEN; i++) {
        size_t bit = 8 * (DMSC__EC_LEN - 1 - i);
        l[bit / GMP_NUMB_BITS] |= (mp_limb_t)b[i] << (bit % GMP_NUMB_BITS);
    }
}

static void limbs_to_bytes(uint8_t b[DMSC__EC_LEN], const mp_limb_t l[EC_LIMBS])
{
    for (size_t i = 0; i < DMSC__EC_LEN; i++) {
        size_t bit = 8 * (DMSC__EC_LEN - 1 - i);
        b[i] = (uint8_t)(l[bit / GMP_NUMB_BITS] >> (bit % GMP_NUMB_BITS));
    }
}

int dmsc__ec_set_private(dmsc_key_t *k, const uint8_t d[DMSC__EC_LEN])
{
    mp_limb_t l[EC_LIMBS];
    mpz_t z;
    bytes_to_limbs(l, d);
    mpz_roinit_n(z, l, EC_LIMBS);           /* read-only view, no copy of the secret */
    int ok = ecc_scalar_set(&k->u.ec.d, z); /* checks 0 < d < n */
    sodium_memzero(l, sizeof l);
    if (!ok) return DMSC_EKEY;
    ecc_point_mul_g(&k->u.ec.q, &k->u.ec.d);
    k->has_priv = true;
    return 0;
}

int dmsc__ec_set_public(dmsc_key_t *k, const uint8_t *pt, size_t n)
{
    if (n == 1 + DMSC__EC_LEN && (pt[0] == 0x02 || pt[0] == 0x03))
        return DMSC_ENOTSUP; /* compressed point */
    if (n != 1 + 2 * DMSC__EC_LEN || pt[0] != 0x04) return DMSC_EKEY;
    mp_limb_t lx[EC_LIMBS], ly[EC_LIMBS];
    mpz_t x, y;
    bytes_to_limbs(lx, pt + 1);
    bytes_to_limbs(ly, pt + 1 + DMSC__EC_LEN);
    mpz_roinit_n(x, lx, EC_LIMBS);
    mpz_roinit_n(y, ly, EC_LIMBS);
    /* checks x, y < p and the curve equation */
    return ecc_point_set(&k->u.ec.q, x, y) ? 0 : DMSC_EKEY;
}

void dmsc__ec_get_private(const dmsc_key_t *k, uint8_t d[DMSC__EC_LEN])
{
    /* struct ecc_scalar's limbs (nettle/ecc.h), read in place so that the
     * secret never goes through a GMP-allocated mpz */
    limbs_to_bytes(d, k->u.ec.d.p);
}

void dmsc__ec_get_public(const dmsc_key_t *k, uint8_t pt[1 + 2 * DMSC__EC_LEN])
{
    mpz_t x, y;
    mpz_init(x);
    mpz_init(y);
    ecc_point_get(&k->u.ec.q, x, y);
    pt[0] = 0x04;
    nettle_mpz_get_str_256(DMSC__EC_LEN, pt + 1, x);
    nettle_mpz_get_str_256(DMSC__EC_LEN, pt + 1 + DMSC__EC_LEN, y);
    mpz_clear(x);
    mpz_clear(y);
}

/* ---- life cycle ---- */

static int check_type(uint64_t t)
{
    return t == DMSC_SIG_ECDSA_SHA256 || t == DMSC_SIG_HMAC_SHA256 || t == DMSC_SIG_ED25519
               ? 0
               : DMSC_ESIGTYPE;
}

dmsc_key_t *dmsc__key_alloc(uint64_t sig_type)
{
    dmsc_key_t *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->sig_type = sig_type;
    dmsc_namebuf_init(&k->name);
    if (sig_type == DMSC_SIG_ECDSA_SHA256) {
        const struct ecc_curve *c = nettle_get_secp_256r1();
        ecc_scalar_init(&k->u.ec.d, c);
        ecc_point_init(&k->u.ec.q, c);
    }
    return k;
}

void dmsc__key_finish(dmsc_key_t *k)
{
    if (k->sig_type == DMSC_SIG_HMAC_SHA256) {
        dmsc_sha256_buf(k->u.hmac.secret, k->u.hmac.len, k->digest);
    } else {
        uint8_t spki[DMSC_KEY_SPKI_MAX];
        size_t n = dmsc__spki_encode(k, spki);
        dmsc_sha256_buf(spki, n, k->digest);
    }
    dmsc__sig_setup(k);
}

void dmsc_key_free(dmsc_key_t *k)
{
    if (!k) return;
    if (k->sig_type == DMSC_SIG_ECDSA_SHA256) {
        sodium_memzero(k->u.ec.d.p, EC_LIMBS * sizeof(mp_limb_t));
        ecc_scalar_clear(&k->u.ec.d);
        ecc_point_clear(&k->u.ec.q);
    }
    sodium_memzero(k, sizeof *k); /* HMAC secret and keyed state, Ed25519 sk */
    free(k);
}

/* Common prologue of the constructors. */
static int start(dmsc_key_t **out, uint64_t sig_type, dmsc_key_t **k)
{
    if (!out) return DMSC_EINVAL;
    *out = NULL;
    int rc = check_type(sig_type);
    if (rc) return rc;
    rc = dmsc__sec_init();
    if (rc) return rc;
    if (sig_type == DMSC_SIG_ECDSA_SHA256 &&
        ecc_size(nettle_get_secp_256r1()) != (mp_size_t)EC_LIMBS)
        return DMSC_ENOTSUP; /* never on a sane GMP build */
    *k = dmsc__key_alloc(sig_type);
    return *k ? 0 : DMSC_ENOMEM;
}

static void hmac_set(dmsc_key_t *k, const uint8_t *p, size_t n)
{
    memcpy(k->u.hmac.secret, p, n);
    k->u.hmac.len = n;
    hmac_sha256_set_key(&k->u.hmac.ctx, n, k->u.hmac.secret);
    k->has_priv = true;
}

int dmsc_key_generate(dmsc_key_t **out, uint64_t sig_type)
{
    dmsc_key_t *k;
    int rc = start(out, sig_type, &k);
    if (rc) return rc;
    switch (sig_type) {
    case DMSC_SIG_ECDSA_SHA256:
        ecdsa_generate_keypair(&k->u.ec.q, &k->u.ec.d, NULL, dmsc__random);
        k->has_priv = true;
        break;
    case DMSC_SIG_ED25519:
        crypto_sign_keypair(k->u.ed.pk, k->u.ed.sk);
        k->has_priv = true;
        break;
    default: { /* HMAC */
        uint8_t secret[DMSC_KEY_HMAC_GEN_LEN];
        randombytes_buf(secret, sizeof secret);
        hmac_set(k, secret, sizeof secret);
        sodium_memzero(secret, sizeof secret);
        break;
    }
    }
    dmsc__key_finish(k);
    *out = k;
    return 0;
}

int dmsc_key_import_raw_private(dmsc_key_t **out, uint64_t sig_type, const uint8_t *p, size_t n)
{
    dmsc_key_t *k;
    if (!p && n) {
        if (out) *out = NULL;
        return DMSC_EINVAL;
    }
    int rc = start(out, sig_type, &k);
    if (rc) return rc;
    switch (sig_type) {
    case DMSC_SIG_ECDSA_SHA256:
        rc = n == DMSC__EC_LEN ? dmsc__ec_set_private(k, p) : DMSC_EKEY;
        break;
    case DMSC_SIG_ED25519:
        if (n == crypto_sign_SEEDBYTES) {
            crypto_sign_seed_keypair(k->u.ed.pk, k->u.ed.sk, p);
            k->has_priv = true;
        } else {
            rc = DMSC_EKEY;
        }
        break;
    default: /* HMAC */
        if (n >= 1 && n <= DMSC_KEY_HMAC_MAX)
            hmac_set(k, p, n);
        else
            rc = DMSC_EKEY;
        break;
    }
    if (rc) {
        dmsc_key_free(k);
        return rc;
    }
    dmsc__key_finish(k);
    *out = k;
    return 0;
}

int dmsc_key_import_raw_public(dmsc_key_t **out, uint64_t sig_type, const uint8_t *p, size_t n)
{
    dmsc_key_t *k;
    if (!p && n) {
        if (out) *out = NULL;
        return DMSC_EINVAL;
    }
    if (sig_type == DMSC_SIG_HMAC_SHA256) {
        if (out) *out = NULL;
        return DMSC_ENOTSUP;
    }
    int rc = start(out, sig_type, &k);
    if (rc) return rc;
    if (sig_type == DMSC_SIG_ECDSA_SHA256) {
        rc = dmsc__ec_set_public(k, p, n);
    } else if (n == crypto_sign_PUBLICKEYBYTES && crypto_core_ed25519_is_valid_point(p)) {
        /* canonical, on the curve, in the prime-order subgroup, not small order */
        memcpy(k->u.ed.pk, p, n);
    } else {
        rc = DMSC_EKEY;
    }
    if (rc) {
        dmsc_key_free(k);
        return rc;
    }
    dmsc__key_finish(k);
    *out = k;
    return 0;
}

int dmsc_key_public_copy(const dmsc_key_t *k, dmsc_key_t **out)
{
    uint8_t pub[DMSC_KEY_RAW_PUB_MAX];
    size_t n;
    if (!out) return DMSC_EINVAL;
    *out = NULL;
    int rc = dmsc_key_export_raw_public(k, pub, sizeof pub, &n);
    if (rc) return rc;
    dmsc_key_t *c;
    rc = dmsc_key_import_raw_public(&c, k->sig_type, pub, n);
    if (rc) return rc;
    if (k->has_name) {
        c->name.name = k->name.name;
        c->name.name.value = c->name.buf;
        memcpy(c->name.buf, k->name.buf, k->name.name.len);
        c->has_name = true;
        dmsc__sig_update_name(c);
    }
    *out = c;
    return 0;
}

/* ---- properties and raw export ---- */

uint64_t dmsc_key_sig_type(const dmsc_key_t *k)
{
    return k->sig_type;
}

bool dmsc_key_has_private(const dmsc_key_t *k)
{
    return k->has_priv;
}

const uint8_t *dmsc_key_digest(const dmsc_key_t *k)
{
    return k->digest;
}

static int put(const void *src, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if (n > cap) return DMSC_ENOBUFS;
    memcpy(out, src, n);
    *len = n;
    return 0;
}

int dmsc_key_export_raw_private(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len)
{
    if (!k->has_priv) return DMSC_EKEY;
    switch (k->sig_type) {
    case DMSC_SIG_ECDSA_SHA256:
        if (cap < DMSC__EC_LEN) return DMSC_ENOBUFS;
        dmsc__ec_get_private(k, out);
        *len = DMSC__EC_LEN;
        return 0;
    case DMSC_SIG_ED25519:
        return put(k->u.ed.sk, crypto_sign_SEEDBYTES, out, cap, len); /* sk = seed || pk */
    default:
        return put(k->u.hmac.secret, k->u.hmac.len, out, cap, len);
    }
}

int dmsc_key_export_raw_public(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len)
{
    switch (k->sig_type) {
    case DMSC_SIG_ECDSA_SHA256:
        if (cap < 1 + 2 * DMSC__EC_LEN) return DMSC_ENOBUFS;
        dmsc__ec_get_public(k, out);
        *len = 1 + 2 * DMSC__EC_LEN;
        return 0;
    case DMSC_SIG_ED25519:
        return put(k->u.ed.pk, sizeof k->u.ed.pk, out, cap, len);
    default:
        return DMSC_ENOTSUP;
    }
}

/* ---- names ---- */

/* Index the name value staged at v and make it the key's name. */
static int commit_name(dmsc_key_t *k, const uint8_t *v, size_t len)
{
    dmsc_name_t idx;
    int rc = dmsc_name_from_value(&idx, v, len);
    if (rc) return rc;
    memmove(k->name.buf, v, len);
    k->name.name = idx;
    k->name.name.value = k->name.buf;
    k->has_name = true;
    dmsc__sig_update_name(k);
    return 0;
}

int dmsc_key_set_name(dmsc_key_t *k, const dmsc_name_t *name)
{
    if (!name) {
        dmsc_namebuf_init(&k->name);
        k->has_name = false;
        dmsc__sig_update_name(k);
        return 0;
    }
    if (name->len > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    uint8_t tmp[DMSC_NAME_MAX_LEN];
    if (name->len) memcpy(tmp, name->value, name->len); /* name may alias k->name */
    return commit_name(k, tmp, name->len);
}

int dmsc_key_set_identity(dmsc_key_t *k, const dmsc_name_t *identity, const uint8_t *keyid,
                          size_t keyid_len)
{
    static const uint8_t key_comp[] = {DMSC_TT_GENERIC, 3, 'K', 'E', 'Y'};
    uint8_t defid[DMSC_KEYID_DEFAULT_LEN];
    if (!identity || (!keyid && keyid_len)) return DMSC_EINVAL;
    if (keyid_len == 0) {
        if (k->sig_type == DMSC_SIG_HMAC_SHA256) {
            int rc = dmsc__sec_init();
            if (rc) return rc;
            randombytes_buf(defid, sizeof defid);
        } else {
            memcpy(defid, k->digest, sizeof defid);
        }
        keyid = defid;
        keyid_len = sizeof defid;
    }
    size_t idlen = identity->len;
    if (idlen > DMSC_NAME_MAX_LEN || keyid_len > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    size_t total = idlen + sizeof key_comp + dmsc_varnum_size(DMSC_TT_GENERIC) +
                   dmsc_varnum_size(keyid_len) + keyid_len;
    if (total > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    uint8_t tmp[DMSC_NAME_MAX_LEN];
    size_t n = 0;
    if (idlen) memcpy(tmp, identity->value, idlen);
    n = idlen;
    memcpy(tmp + n, key_comp, sizeof key_comp);
    n += sizeof key_comp;
    uint8_t hdr[18];
    size_t h = dmsc_tlv_write_hdr(hdr, DMSC_TT_GENERIC, keyid_len);
    memcpy(tmp + n, hdr, h);
    n += h;
    memcpy(tmp + n, keyid, keyid_len);
    n += keyid_len;
    return commit_name(k, tmp, n);
}

const dmsc_name_t *dmsc_key_name(const dmsc_key_t *k)
{
    return k->has_name ? &k->name.name : NULL;
}
