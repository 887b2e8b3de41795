/* SubjectPublicKeyInfo and PKCS#8 for ECDSA P-256 and Ed25519. See key.h.
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE {                        RFC 5280
 *     algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 *   AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
 *     ECDSA:   id-ecPublicKey 1.2.840.10045.2.1, namedCurve prime256v1
 *              1.2.840.10045.3.1.7 (RFC 5480); key = 04 || X || Y
 *     Ed25519: id-Ed25519 1.3.101.112, parameters absent (RFC 8410)
 *
 *   OneAsymmetricKey ::= SEQUENCE {                           RFC 5958 (5208)
 *     version INTEGER { v1(0), v2(1) }, privateKeyAlgorithm AlgorithmIdentifier,
 *     privateKey OCTET STRING, attributes [0] IMPLICIT Attributes OPTIONAL,
 *     [[2: publicKey [1] IMPLICIT BIT STRING OPTIONAL ]] }
 *     ECDSA:   privateKey holds ECPrivateKey ::= SEQUENCE {      RFC 5915
 *                version INTEGER (1), privateKey OCTET STRING (32 bytes),
 *                parameters [0] EXPLICIT OID OPTIONAL,
 *                publicKey [1] EXPLICIT BIT STRING OPTIONAL }
 *     Ed25519: privateKey holds CurvePrivateKey ::= OCTET STRING (32-byte seed)
 */
#include "sec/key_int.h"

#include <string.h>

#include "base/err.h"
#include "sec/der.h"

static const uint8_t oid_ec_pubkey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_ed25519[] = {0x2b, 0x65, 0x70};

/* AlgorithmIdentifier { id-ecPublicKey, prime256v1 } */
static const uint8_t ec_algid[] = {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                   0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
/* AlgorithmIdentifier { id-Ed25519 } */
static const uint8_t ed_algid[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};

#define EC_POINT_LEN (1 + 2 * DMSC__EC_LEN)
#define EC_SPKI_LEN 91
#define ED_SPKI_LEN 44
#define EC_PKCS8_LEN 138
#define ED_PKCS8_LEN 48

static bool slice_is(dmsc_slice_t s, const uint8_t *p, size_t n)
{
    return s.n == n && memcmp(s.p, p, n) == 0;
}

typedef struct {
    uint8_t *p;
} writer_t;

static void w_put(writer_t *w, const void *src, size_t n)
{
    memcpy(w->p, src, n);
    w->p += n;
}

#define W_BYTES(w, ...)                                                                            \
    do {                                                                                           \
        static const uint8_t b_[] = {__VA_ARGS__};                                                 \
        w_put((w), b_, sizeof b_);                                                                 \
    } while (0)

/* ---- encode ---- */

size_t dmsc__spki_encode(const dmsc_key_t *k, uint8_t out[DMSC_KEY_SPKI_MAX])
{
    writer_t w = {out};
    if (k->sig_type == DMSC_SIG_ECDSA_SHA256) {
        uint8_t pt[EC_POINT_LEN];
        dmsc__ec_get_public(k, pt);
        W_BYTES(&w, 0x30, 0x59);
        w_put(&w, ec_algid, sizeof ec_algid);
        W_BYTES(&w, 0x03, 0x42, 0x00);
        w_put(&w, pt, sizeof pt);
    } else { /* Ed25519 */
        W_BYTES(&w, 0x30, 0x2a);
        w_put(&w, ed_algid, sizeof ed_algid);
        W_BYTES(&w, 0x03, 0x21, 0x00);
        w_put(&w, k->u.ed.pk, sizeof k->u.ed.pk);
    }
    return (size_t)(w.p - out);
}

int dmsc_key_export_spki(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len)
{
    size_t need;
    if (k->sig_type == DMSC_SIG_ECDSA_SHA256)
        need = EC_SPKI_LEN;
    else if (k->sig_type == DMSC_SIG_ED25519)
        need = ED_SPKI_LEN;
    else
        return DMSC_ENOTSUP;
    if (cap < need) return DMSC_ENOBUFS;
    *len = dmsc__spki_encode(k, out);
    return 0;
}

int dmsc_key_export_pkcs8(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len)
{
    if (k->sig_type != DMSC_SIG_ECDSA_SHA256 && k->sig_type != DMSC_SIG_ED25519)
        return DMSC_ENOTSUP;
    if (!k->has_priv) return DMSC_EKEY;
    size_t need = k->sig_type == DMSC_SIG_ECDSA_SHA256 ? EC_PKCS8_LEN : ED_PKCS8_LEN;
    if (cap < need) return DMSC_ENOBUFS;
    /* written straight into out: no copy of the secret elsewhere */
    writer_t w = {out};
    if (k->sig_type == DMSC_SIG_ECDSA_SHA256) {
        uint8_t pt[EC_POINT_LEN];
        dmsc__ec_get_public(k, pt);
        W_BYTES(&w, 0x30, 0x81, 0x87, 0x02, 0x01, 0x00);
        w_put(&w, ec_algid, sizeof ec_algid);
        W_BYTES(&w, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20);
        dmsc__ec_get_private(k, w.p);
        w.p += DMSC__EC_LEN;
        W_BYTES(&w, 0xa1, 0x44, 0x03, 0x42, 0x00);
        w_put(&w, pt, sizeof pt);
    } else {
        W_BYTES(&w, 0x30, 0x2e, 0x02, 0x01, 0x00);
        w_put(&w, ed_algid, sizeof ed_algid);
        W_BYTES(&w, 0x04, 0x22, 0x04, 0x20);
        w_put(&w, k->u.ed.sk, crypto_sign_SEEDBYTES);
    }
    *len = (size_t)(w.p - out);
    return 0;
}

/* ---- decode ---- */

/* AlgorithmIdentifier contents -> signature type, DMSC_EKEY or DMSC_ENOTSUP. */
static int parse_algid(dmsc_slice_t algid, uint64_t *sig_type)
{
    dmsc__der_reader_t r;
    dmsc_slice_t oid, params;
    dmsc__der_reader_init(&r, algid.p, algid.n);
    if (dmsc__der_read(&r, DMSC__DER_OID, &oid)) return DMSC_EKEY;
    if (slice_is(oid, oid_ec_pubkey, sizeof oid_ec_pubkey)) {
        /* ECParameters: namedCurve OID | implicitCurve NULL | specifiedCurve SEQUENCE */
        int tag = dmsc__der_peek(&r);
        if (tag == DMSC__DER_NULL || tag == DMSC__DER_SEQUENCE) return DMSC_ENOTSUP;
        if (dmsc__der_read(&r, DMSC__DER_OID, &params) || !dmsc__der_reader_eof(&r))
            return DMSC_EKEY;
        if (!slice_is(params, oid_p256, sizeof oid_p256))
            return DMSC_ENOTSUP; /* another named curve */
        *sig_type = DMSC_SIG_ECDSA_SHA256;
        return 0;
    }
    if (slice_is(oid, oid_ed25519, sizeof oid_ed25519)) {
        if (!dmsc__der_reader_eof(&r)) return DMSC_EKEY; /* RFC 8410: parameters MUST be absent */
        *sig_type = DMSC_SIG_ED25519;
        return 0;
    }
    return DMSC_ENOTSUP;
}

int dmsc_key_import_spki(dmsc_key_t **out, const uint8_t *der, size_t n)
{
    dmsc__der_reader_t r, s;
    dmsc_slice_t spki, algid, bits;
    uint64_t sig_type;
    if (!out || (!der && n)) return DMSC_EINVAL;
    *out = NULL;
    dmsc__der_reader_init(&r, der, n);
    if (dmsc__der_read(&r, DMSC__DER_SEQUENCE, &spki) || !dmsc__der_reader_eof(&r))
        return DMSC_EKEY;
    dmsc__der_reader_init(&s, spki.p, spki.n);
    if (dmsc__der_read(&s, DMSC__DER_SEQUENCE, &algid) ||
        dmsc__der_read(&s, DMSC__DER_BIT_STRING, &bits) || !dmsc__der_reader_eof(&s))
        return DMSC_EKEY;
    int rc = parse_algid(algid, &sig_type);
    if (rc) return rc;
    if (bits.n < 1 || bits.p[0] != 0) return DMSC_EKEY; /* unused-bits count must be 0 */
    return dmsc_key_import_raw_public(out, sig_type, bits.p + 1, bits.n - 1);
}

/* A public key found in a private key encoding (BIT STRING contents) must
 * be the one derived from the private key. */
static int check_pub(const dmsc_key_t *k, dmsc_slice_t bits)
{
    uint8_t pub[DMSC_KEY_RAW_PUB_MAX];
    size_t n;
    if (bits.n < 1 || bits.p[0] != 0) return DMSC_EKEY;
    int rc = dmsc_key_export_raw_public(k, pub, sizeof pub, &n);
    if (rc) return rc;
    return bits.n - 1 == n && memcmp(bits.p + 1, pub, n) == 0 ? 0 : DMSC_EKEY;
}

/* ECPrivateKey (RFC 5915) -> key. A [1] publicKey must match. */
static int import_ec_private(dmsc_key_t **out, dmsc_slice_t priv)
{
    dmsc__der_reader_t r, e;
    dmsc_slice_t ecpk, ver, d, field, inner, bits = {NULL, 0};
    dmsc__der_reader_init(&r, priv.p, priv.n);
    if (dmsc__der_read(&r, DMSC__DER_SEQUENCE, &ecpk) || !dmsc__der_reader_eof(&r))
        return DMSC_EKEY;
    dmsc__der_reader_init(&e, ecpk.p, ecpk.n);
    if (dmsc__der_read(&e, DMSC__DER_INTEGER, &ver) || ver.n != 1 || ver.p[0] != 1)
        return DMSC_EKEY;
    if (dmsc__der_read(&e, DMSC__DER_OCTET_STRING, &d) || d.n != DMSC__EC_LEN) return DMSC_EKEY;
    if (dmsc__der_peek(&e) == DMSC__DER_CTX0_C) {
        /* parameters [0]: must repeat the curve of the AlgorithmIdentifier */
        if (dmsc__der_read(&e, DMSC__DER_CTX0_C, &field)) return DMSC_EKEY;
        dmsc__der_reader_init(&r, field.p, field.n);
        if (dmsc__der_read(&r, DMSC__DER_OID, &inner) || !dmsc__der_reader_eof(&r) ||
            !slice_is(inner, oid_p256, sizeof oid_p256))
            return DMSC_EKEY;
    }
    if (dmsc__der_peek(&e) == DMSC__DER_CTX1_C) {
        if (dmsc__der_read(&e, DMSC__DER_CTX1_C, &field)) return DMSC_EKEY;
        dmsc__der_reader_init(&r, field.p, field.n);
        if (dmsc__der_read(&r, DMSC__DER_BIT_STRING, &bits) || !dmsc__der_reader_eof(&r))
            return DMSC_EKEY;
    }
    if (!dmsc__der_reader_eof(&e)) return DMSC_EKEY;
    int rc = dmsc_key_import_raw_private(out, DMSC_SIG_ECDSA_SHA256, d.p, d.n);
    if (rc) return rc;
    if (bits.p && (rc = check_pub(*out, bits)) != 0) {
        dmsc_key_free(*out);
        *out = NULL;
    }
    return rc;
}

int dmsc_key_import_pkcs8(dmsc_key_t **out, const uint8_t *der, size_t n)
{
    dmsc__der_reader_t r, p;
    dmsc_slice_t pki, ver, algid, priv, attrs, pub = {NULL, 0};
    uint64_t sig_type;
    if (!out || (!der && n)) return DMSC_EINVAL;
    *out = NULL;
    if (n > DMSC_KEY_PKCS8_IN_MAX) return DMSC_EKEY;
    dmsc__der_reader_init(&r, der, n);
    if (dmsc__der_read(&r, DMSC__DER_SEQUENCE, &pki) || !dmsc__der_reader_eof(&r)) return DMSC_EKEY;
    dmsc__der_reader_init(&p, pki.p, pki.n);
    if (dmsc__der_read(&p, DMSC__DER_INTEGER, &ver) || ver.n != 1 || ver.p[0] > 1) return DMSC_EKEY;
    if (dmsc__der_read(&p, DMSC__DER_SEQUENCE, &algid) ||
        dmsc__der_read(&p, DMSC__DER_OCTET_STRING, &priv))
        return DMSC_EKEY;
    if (dmsc__der_peek(&p) == DMSC__DER_CTX0_C && dmsc__der_read(&p, DMSC__DER_CTX0_C, &attrs))
        return DMSC_EKEY; /* attributes: skipped */
    if (dmsc__der_peek(&p) == DMSC__DER_CTX1_P) {
        if (ver.p[0] != 1 || dmsc__der_read(&p, DMSC__DER_CTX1_P, &pub))
            return DMSC_EKEY; /* publicKey only in v2 */
    }
    if (!dmsc__der_reader_eof(&p)) return DMSC_EKEY;
    int rc = parse_algid(algid, &sig_type);
    if (rc) return rc;

    if (sig_type == DMSC_SIG_ECDSA_SHA256) {
        rc = import_ec_private(out, priv);
    } else {
        dmsc_slice_t seed;
        dmsc__der_reader_t c;
        dmsc__der_reader_init(&c, priv.p, priv.n);
        if (dmsc__der_read(&c, DMSC__DER_OCTET_STRING, &seed) || !dmsc__der_reader_eof(&c) ||
            seed.n != crypto_sign_SEEDBYTES)
            return DMSC_EKEY;
        rc = dmsc_key_import_raw_private(out, DMSC_SIG_ED25519, seed.p, seed.n);
    }
    if (rc) return rc;
    if (pub.p && (rc = check_pub(*out, pub)) != 0) {
        dmsc_key_free(*out);
        *out = NULL;
    }
    return rc;
}
