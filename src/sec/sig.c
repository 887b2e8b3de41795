/* The dmsc_signer_t / dmsc_verifier_t implementations: DigestSha256,
 * SignatureSha256WithEcdsa, SignatureHmacWithSha256, SignatureEd25519. */
#include "sec/key_int.h"
#include "sec/sig.h"

#include <stdlib.h>
#include <string.h>

#include <nettle/bignum.h>
#include <nettle/dsa.h>
#include <nettle/ecdsa.h>

#include "base/err.h"
#include "base/sha256.h"
#include "ndn/tlv.h"
#include "sec/der.h"

#define ED_SIG_LEN crypto_sign_BYTES
#define HMAC_LEN SHA256_DIGEST_SIZE

static const dmsc_key_t *signer_key(const dmsc_signer_t *s)
{
    return ((const dmsc__signer_t *)s)->key;
}

static const dmsc_key_t *verifier_key(const dmsc_verifier_t *v)
{
    return ((const dmsc__verifier_t *)v)->key;
}

/* ---- DigestSha256 ---- */

static int digest_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t nparts,
                       uint8_t *sig, size_t *sig_len)
{
    dmsc_sha256(parts, nparts, sig);
    *sig_len = DMSC_SHA256_LEN;
    return 0;
}

static int digest_verify(const dmsc_verifier_t *v, const dmsc_slice_t *parts, size_t nparts,
                         const uint8_t *sig, size_t sig_len)
{
    uint8_t d[DMSC_SHA256_LEN];
    if (sig_len != DMSC_SHA256_LEN) return DMSC_ESIG;
    dmsc_sha256(parts, nparts, d);
    return sodium_memcmp(d, sig, sizeof d) == 0 ? 0 : DMSC_ESIG;
}

static const dmsc_signer_t digest_signer = {
    .sig_type = DMSC_SIG_SHA256,
    .max_sig_len = DMSC_SHA256_LEN,
    .keyloc_kind = DMSC_KEYLOC_NONE,
    .sign = digest_sign,
};

static const dmsc_verifier_t digest_verifier = {
    .sig_type = DMSC_SIG_SHA256,
    .verify = digest_verify,
};

const dmsc_signer_t *dmsc_sig_digest_signer(void)
{
    return &digest_signer;
}

const dmsc_verifier_t *dmsc_sig_digest_verifier(void)
{
    return &digest_verifier;
}

/* ---- ECDSA P-256 ---- */

static int ec_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t nparts, uint8_t *sig,
                   size_t *sig_len)
{
    const dmsc_key_t *k = signer_key(s);
    uint8_t digest[DMSC_SHA256_LEN], raw[DMSC_ECDSA_P256_RAW_LEN];
    struct dsa_signature rs;
    dmsc_sha256(parts, nparts, digest);
    dsa_signature_init(&rs);
    ecdsa_sign(&k->u.ec.d, NULL, dmsc__random, sizeof digest, digest, &rs);
    nettle_mpz_get_str_256(DMSC__EC_LEN, raw, rs.r);
    nettle_mpz_get_str_256(DMSC__EC_LEN, raw + DMSC__EC_LEN, rs.s);
    dsa_signature_clear(&rs);
    return dmsc_der_ecdsa_sig_encode(raw, sig, s->max_sig_len, sig_len);
}

static int ec_verify(const dmsc_verifier_t *v, const dmsc_slice_t *parts, size_t nparts,
                     const uint8_t *sig, size_t sig_len)
{
    const dmsc_key_t *k = verifier_key(v);
    uint8_t digest[DMSC_SHA256_LEN], raw[DMSC_ECDSA_P256_RAW_LEN];
    struct dsa_signature rs;
    if (dmsc_der_ecdsa_sig_decode(sig, sig_len, raw)) return DMSC_ESIG;
    dmsc_sha256(parts, nparts, digest);
    dsa_signature_init(&rs);
    nettle_mpz_set_str_256_u(rs.r, DMSC__EC_LEN, raw);
    nettle_mpz_set_str_256_u(rs.s, DMSC__EC_LEN, raw + DMSC__EC_LEN);
    int ok = ecdsa_verify(&k->u.ec.q, sizeof digest, digest, &rs); /* checks 0 < r, s < n */
    dsa_signature_clear(&rs);
    return ok ? 0 : DMSC_ESIG;
}

/* ---- HMAC-SHA256 ---- */

static void hmac(const dmsc_key_t *k, const dmsc_slice_t *parts, size_t nparts,
                 uint8_t mac[HMAC_LEN])
{
    struct hmac_sha256_ctx c = k->u.hmac.ctx; /* keyed state, reused per MAC */
    for (size_t i = 0; i < nparts; i++)
        hmac_sha256_update(&c, parts[i].n, parts[i].p);
    hmac_sha256_digest(&c, HMAC_LEN, mac);
    sodium_memzero(&c, sizeof c);
}

static int hmac_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t nparts, uint8_t *sig,
                     size_t *sig_len)
{
    hmac(signer_key(s), parts, nparts, sig);
    *sig_len = HMAC_LEN;
    return 0;
}

static int hmac_verify(const dmsc_verifier_t *v, const dmsc_slice_t *parts, size_t nparts,
                       const uint8_t *sig, size_t sig_len)
{
    uint8_t mac[HMAC_LEN];
    if (sig_len != HMAC_LEN) return DMSC_ESIG;
    hmac(verifier_key(v), parts, nparts, mac);
    int rc = sodium_memcmp(mac, sig, HMAC_LEN) == 0 ? 0 : DMSC_ESIG; /* constant time */
    sodium_memzero(mac, sizeof mac);
    return rc;
}

/* ---- Ed25519 ----
 * Pure Ed25519 hashes the message twice, so scattered parts are gathered
 * into one buffer: on the stack up to a datagram-sized packet, else on the
 * heap up to the largest packet. */

#define GATHER_STACK DMSC_TLV_DGRAM_MAX

typedef struct {
    const uint8_t *p;
    size_t n;
    uint8_t *heap;
} gathered_t;

static int gather(const dmsc_slice_t *parts, size_t nparts, uint8_t *stack, gathered_t *g)
{
    static const uint8_t empty[1];
    g->heap = NULL;
    if (nparts == 1) {
        g->p = parts[0].n ? parts[0].p : empty;
        g->n = parts[0].n;
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].n > DMSC_TLV_MAX_PACKET - total) return DMSC_ETOOBIG;
        total += parts[i].n;
    }
    uint8_t *buf = stack;
    if (total > GATHER_STACK) {
        buf = g->heap = malloc(total);
        if (!buf) return DMSC_ENOMEM;
    }
    size_t off = 0;
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].n) memcpy(buf + off, parts[i].p, parts[i].n);
        off += parts[i].n;
    }
    g->p = buf;
    g->n = total;
    return 0;
}

static int ed_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t nparts, uint8_t *sig,
                   size_t *sig_len)
{
    uint8_t stack[GATHER_STACK];
    gathered_t g;
    int rc = gather(parts, nparts, stack, &g);
    if (rc) return rc;
    unsigned long long n;
    crypto_sign_detached(sig, &n, g.p, g.n, signer_key(s)->u.ed.sk);
    free(g.heap);
    *sig_len = (size_t)n;
    return 0;
}

static int ed_verify(const dmsc_verifier_t *v, const dmsc_slice_t *parts, size_t nparts,
                     const uint8_t *sig, size_t sig_len)
{
    if (sig_len != ED_SIG_LEN) return DMSC_ESIG;
    uint8_t stack[GATHER_STACK];
    gathered_t g;
    int rc = gather(parts, nparts, stack, &g);
    if (rc) return rc;
    /* libsodium rejects non-canonical S and small-order R or A */
    rc = crypto_sign_verify_detached(sig, g.p, g.n, verifier_key(v)->u.ed.pk) == 0 ? 0 : DMSC_ESIG;
    free(g.heap);
    return rc;
}

/* ---- setup ---- */

static int no_private_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t nparts,
                           uint8_t *sig, size_t *sig_len)
{
    return DMSC_EKEY;
}

void dmsc__sig_setup(dmsc_key_t *k)
{
    int (*sign)(const dmsc_signer_t *, const dmsc_slice_t *, size_t, uint8_t *, size_t *);
    int (*verify)(const dmsc_verifier_t *, const dmsc_slice_t *, size_t, const uint8_t *, size_t);
    size_t max_len;
    switch (k->sig_type) {
    case DMSC_SIG_ECDSA_SHA256:
        sign = ec_sign, verify = ec_verify, max_len = DMSC_ECDSA_P256_DER_MAX;
        break;
    case DMSC_SIG_ED25519:
        sign = ed_sign, verify = ed_verify, max_len = ED_SIG_LEN;
        break;
    default:
        sign = hmac_sign, verify = hmac_verify, max_len = HMAC_LEN;
        break;
    }
    for (int kind = 0; kind < 3; kind++) {
        dmsc__signer_t *s = &k->signers[kind];
        s->key = k;
        s->pub.sig_type = k->sig_type;
        s->pub.max_sig_len = max_len;
        s->pub.keyloc_kind = kind;
        dmsc_name_init(&s->pub.keyloc_name);
        s->pub.keyloc_digest = kind == DMSC_KEYLOC_DIGEST ? dmsc_slice(k->digest, sizeof k->digest)
                                                          : dmsc_slice(NULL, 0);
        s->pub.sign = k->has_priv ? sign : no_private_sign;
    }
    k->verifier.key = k;
    k->verifier.pub.sig_type = k->sig_type;
    k->verifier.pub.verify = verify;
    dmsc__sig_update_name(k);
}

void dmsc__sig_update_name(dmsc_key_t *k)
{
    dmsc__signer_t *s = &k->signers[DMSC_KEYLOC_NAME];
    if (k->has_name)
        s->pub.keyloc_name = k->name.name; /* view into k->name.buf */
    else
        dmsc_name_init(&s->pub.keyloc_name);
}

int dmsc_key_signer(const dmsc_key_t *k, int keyloc_kind, const dmsc_signer_t **out)
{
    if (!k || !out || keyloc_kind < DMSC_KEYLOC_NONE || keyloc_kind > DMSC_KEYLOC_DIGEST)
        return DMSC_EINVAL;
    *out = NULL;
    if (!k->has_priv || (keyloc_kind == DMSC_KEYLOC_NAME && !k->has_name)) return DMSC_EKEY;
    *out = &k->signers[keyloc_kind].pub;
    return 0;
}

int dmsc_key_verifier(const dmsc_key_t *k, const dmsc_verifier_t **out)
{
    if (!k || !out) return DMSC_EINVAL;
    *out = &k->verifier.pub;
    return 0;
}

/* ---- loops for bench/ ---- */

int dmsc_sig_sign_loop(const dmsc_signer_t *s, const uint8_t *msg, size_t len, unsigned iterations,
                       uint8_t *sig, size_t *sig_len)
{
    *sig_len = 0;
    for (unsigned i = 0; i < iterations; i++) {
        int rc = dmsc_sig_sign(s, msg, len, sig, sig_len);
        if (rc) return rc;
    }
    return 0;
}

int dmsc_sig_verify_loop(const dmsc_verifier_t *v, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t sig_len, unsigned iterations)
{
    for (unsigned i = 0; i < iterations; i++) {
        int rc = dmsc_sig_verify(v, msg, len, sig, sig_len);
        if (rc) return rc;
    }
    return 0;
}
