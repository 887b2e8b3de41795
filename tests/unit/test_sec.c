/* Unit tests for src/sec: keys, signers, verifiers, DER, SPKI/PKCS#8, key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sha256.h"
#include "sec/der.h"
#include "sec/key.h"
#include "sec/keyfile.h"
#include "sec/sig.h"

/* ---- helpers ---- */

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h) / 2;
    assert_true(strlen(h) % 2 == 0 && n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

#define UNHEX(h, buf) unhex((h), (buf), sizeof(buf))

/* A name of GenericNameComponents, built without ndn/name.c. */
typedef struct {
    uint8_t buf[600];
    dmsc_name_t n;
} tname_t;

static void tname(tname_t *t, int ncomps, ...)
{
    va_list ap;
    size_t len = 0;
    va_start(ap, ncomps);
    t->n.value = t->buf;
    t->n.ncomps = 0;
    t->n.off[0] = 0;
    for (int i = 0; i < ncomps; i++) {
        const char *c = va_arg(ap, const char *);
        size_t cl = strlen(c);
        assert_true(cl < 0xfd && len + 2 + cl <= sizeof t->buf);
        t->buf[len++] = DMSC_TT_GENERIC;
        t->buf[len++] = (uint8_t)cl;
        memcpy(t->buf + len, c, cl);
        len += cl;
        t->n.off[++t->n.ncomps] = (uint16_t)len;
    }
    va_end(ap);
    t->n.len = (uint16_t)len;
}

static const uint64_t key_types[] = {DMSC_SIG_ECDSA_SHA256, DMSC_SIG_HMAC_SHA256, DMSC_SIG_ED25519};
#define NTYPES (sizeof key_types / sizeof key_types[0])

static const dmsc_signer_t *signer_of(const dmsc_key_t *k, int kind)
{
    const dmsc_signer_t *s = NULL;
    assert_int_equal(dmsc_key_signer(k, kind, &s), 0);
    assert_non_null(s);
    return s;
}

static const dmsc_verifier_t *verifier_of(const dmsc_key_t *k)
{
    const dmsc_verifier_t *v = NULL;
    assert_int_equal(dmsc_key_verifier(k, &v), 0);
    assert_non_null(v);
    return v;
}

/* sign msg, check verify ok, every flipped signature bit and a sample of
 * flipped message bits fail */
static void check_sign_verify(const dmsc_signer_t *s, const dmsc_verifier_t *v, uint64_t type)
{
    uint8_t msg[100], sig[DMSC_SIG_MAX_LEN], bad[DMSC_SIG_MAX_LEN];
    size_t len = 0;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(s->sig_type, type);
    assert_int_equal(v->sig_type, type);
    assert_true(s->max_sig_len <= DMSC_SIG_MAX_LEN);
    memset(sig, 0xa5, sizeof sig);
    assert_int_equal(dmsc_sig_sign(s, msg, sizeof msg, sig, &len), 0);
    assert_true(len > 0 && len <= s->max_sig_len);
    for (size_t i = len; i < sizeof sig; i++)
        assert_int_equal(sig[i], 0xa5); /* nothing written past len */
    assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg, sig, len), 0);

    /* the same signature over scattered parts */
    dmsc_slice_t parts[3] = {dmsc_slice(msg, 10), dmsc_slice(msg + 10, 0),
                             dmsc_slice(msg + 10, sizeof msg - 10)};
    assert_int_equal(v->verify(v, parts, 3, sig, len), 0);
    uint8_t sig2[DMSC_SIG_MAX_LEN];
    size_t len2 = 0;
    assert_int_equal(s->sign(s, parts, 3, sig2, &len2), 0);
    assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg, sig2, len2), 0);

    for (size_t bit = 0; bit < 8 * len; bit++) {
        memcpy(bad, sig, len);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg, bad, len), DMSC_ESIG);
    }
    for (size_t bit = 0; bit < 8 * sizeof msg; bit += 13) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg, sig, len), DMSC_ESIG);
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* truncated, extended, empty */
    assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg, sig, len - 1), DMSC_ESIG);
    memcpy(bad, sig, len);
    bad[len] = 0;
    assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg, bad, len + 1), DMSC_ESIG);
    assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg, sig, 0), DMSC_ESIG);
    assert_int_equal(dmsc_sig_verify(v, msg, sizeof msg - 1, sig, len), DMSC_ESIG);
}

/* ---- known-answer tests ---- */

static void test_digest_sha256(void **state)
{
    uint8_t want[32], d[32], sig[DMSC_SIG_MAX_LEN];
    size_t len;
    UNHEX("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
    dmsc_sha256_buf("abc", 3, d);
    assert_memory_equal(d, want, 32);

    const dmsc_signer_t *s = dmsc_sig_digest_signer();
    const dmsc_verifier_t *v = dmsc_sig_digest_verifier();
    assert_int_equal(s->keyloc_kind, DMSC_KEYLOC_NONE);
    assert_int_equal(s->max_sig_len, 32);
    assert_int_equal(dmsc_sig_sign(s, (const uint8_t *)"abc", 3, sig, &len), 0);
    assert_int_equal(len, 32);
    assert_memory_equal(sig, want, 32);
    assert_int_equal(dmsc_sig_verify(v, (const uint8_t *)"abc", 3, want, 32), 0);
    assert_int_equal(dmsc_sig_verify(v, (const uint8_t *)"abd", 3, want, 32), DMSC_ESIG);
    check_sign_verify(s, v, DMSC_SIG_SHA256);
}

static void test_hmac_rfc4231(void **state)
{
    static const struct {
        const char *key, *data, *mac;
    } tc[] = {
        /* test case 1 */
        {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        /* test case 2: "Jefe", "what do ya want for nothing?" */
        {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    };
    dmsc_key_t *keys[2];
    for (size_t i = 0; i < 2; i++) {
        uint8_t key[64], data[64], mac[32], sig[DMSC_SIG_MAX_LEN], out[64];
        size_t kl = UNHEX(tc[i].key, key), dl = UNHEX(tc[i].data, data), len;
        UNHEX(tc[i].mac, mac);
        assert_int_equal(dmsc_key_import_raw_private(&keys[i], DMSC_SIG_HMAC_SHA256, key, kl), 0);
        assert_true(dmsc_key_has_private(keys[i]));
        const dmsc_signer_t *s = signer_of(keys[i], DMSC_KEYLOC_NONE);
        const dmsc_verifier_t *v = verifier_of(keys[i]);
        assert_int_equal(dmsc_sig_sign(s, data, dl, sig, &len), 0);
        assert_int_equal(len, 32);
        assert_memory_equal(sig, mac, 32);
        /* twice: the keyed context is reused, not consumed */
        assert_int_equal(dmsc_sig_sign(s, data, dl, sig, &len), 0);
        assert_memory_equal(sig, mac, 32);
        assert_int_equal(dmsc_sig_verify(v, data, dl, mac, 32), 0);
        assert_int_equal(dmsc_key_export_raw_private(keys[i], out, sizeof out, &len), 0);
        assert_int_equal(len, kl);
        assert_memory_equal(out, key, kl);
        /* KeyDigest of an HMAC key: SHA-256 of the secret */
        uint8_t d[32];
        dmsc_sha256_buf(key, kl, d);
        assert_memory_equal(dmsc_key_digest(keys[i]), d, 32);
        check_sign_verify(s, v, DMSC_SIG_HMAC_SHA256);
    }
    /* wrong key */
    uint8_t data[] = "Hi There", mac[32];
    size_t len;
    assert_int_equal(dmsc_sig_sign(signer_of(keys[0], DMSC_KEYLOC_NONE), data, 8, mac, &len), 0);
    assert_int_equal(dmsc_sig_verify(verifier_of(keys[1]), data, 8, mac, 32), DMSC_ESIG);
    dmsc_key_free(keys[0]);
    dmsc_key_free(keys[1]);
}

static void test_hmac_limits(void **state)
{
    uint8_t secret[DMSC_KEY_HMAC_MAX + 1], buf[100];
    size_t len;
    dmsc_key_t *k = (dmsc_key_t *)1;
    memset(secret, 7, sizeof secret);
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_HMAC_SHA256, secret, 0), DMSC_EKEY);
    assert_null(k);
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_HMAC_SHA256, secret, sizeof secret),
                     DMSC_EKEY);
    assert_int_equal(
        dmsc_key_import_raw_private(&k, DMSC_SIG_HMAC_SHA256, secret, DMSC_KEY_HMAC_MAX), 0);
    /* a long key is hashed first (RFC 2104); sign/verify still work */
    check_sign_verify(signer_of(k, DMSC_KEYLOC_NONE), verifier_of(k), DMSC_SIG_HMAC_SHA256);
    assert_int_equal(dmsc_key_export_raw_private(k, buf, sizeof buf, &len), DMSC_ENOBUFS);
    assert_int_equal(dmsc_key_export_raw_public(k, buf, sizeof buf, &len), DMSC_ENOTSUP);
    assert_int_equal(dmsc_key_export_spki(k, buf, sizeof buf, &len), DMSC_ENOTSUP);
    assert_int_equal(dmsc_key_export_pkcs8(k, buf, sizeof buf, &len), DMSC_ENOTSUP);
    dmsc_key_t *pub = (dmsc_key_t *)1;
    assert_int_equal(dmsc_key_public_copy(k, &pub), DMSC_ENOTSUP);
    assert_null(pub);
    assert_int_equal(dmsc_key_import_raw_public(&pub, DMSC_SIG_HMAC_SHA256, secret, 32),
                     DMSC_ENOTSUP);
    dmsc_key_free(k);
    assert_int_equal(dmsc_key_generate(&k, DMSC_SIG_HMAC_SHA256), 0);
    assert_int_equal(dmsc_key_export_raw_private(k, buf, sizeof buf, &len), 0);
    assert_int_equal(len, DMSC_KEY_HMAC_GEN_LEN);
    dmsc_key_free(k);
}

static void test_ed25519_rfc8032(void **state)
{
    static const struct {
        const char *seed, *pk, *msg, *sig;
    } tc[] = {
        /* TEST 1 */
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
         "39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        /* TEST 2 */
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f"
         "3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    };
    dmsc_key_t *keys[2];
    for (size_t i = 0; i < 2; i++) {
        uint8_t seed[32], pk[32], msg[4], want[64], sig[DMSC_SIG_MAX_LEN], out[64];
        size_t ml, len;
        UNHEX(tc[i].seed, seed);
        UNHEX(tc[i].pk, pk);
        ml = UNHEX(tc[i].msg, msg);
        UNHEX(tc[i].sig, want);
        assert_int_equal(dmsc_key_import_raw_private(&keys[i], DMSC_SIG_ED25519, seed, 32), 0);
        assert_int_equal(dmsc_key_export_raw_public(keys[i], out, sizeof out, &len), 0);
        assert_int_equal(len, 32);
        assert_memory_equal(out, pk, 32);
        assert_int_equal(dmsc_key_export_raw_private(keys[i], out, sizeof out, &len), 0);
        assert_int_equal(len, 32);
        assert_memory_equal(out, seed, 32);
        const dmsc_signer_t *s = signer_of(keys[i], DMSC_KEYLOC_NONE);
        assert_int_equal(s->max_sig_len, 64);
        assert_int_equal(dmsc_sig_sign(s, msg, ml, sig, &len), 0);
        assert_int_equal(len, 64);
        assert_memory_equal(sig, want, 64); /* Ed25519 is deterministic */
        /* verify with a key made from the public key alone */
        dmsc_key_t *pub;
        assert_int_equal(dmsc_key_import_raw_public(&pub, DMSC_SIG_ED25519, pk, 32), 0);
        assert_false(dmsc_key_has_private(pub));
        assert_int_equal(dmsc_sig_verify(verifier_of(pub), msg, ml, want, 64), 0);
        want[63] ^= 0x40;
        assert_int_equal(dmsc_sig_verify(verifier_of(pub), msg, ml, want, 64), DMSC_ESIG);
        dmsc_key_free(pub);
        check_sign_verify(s, verifier_of(keys[i]), DMSC_SIG_ED25519);
    }
    uint8_t sig[64];
    size_t len;
    assert_int_equal(dmsc_sig_sign(signer_of(keys[0], 0), (const uint8_t *)"x", 1, sig, &len), 0);
    assert_int_equal(dmsc_sig_verify(verifier_of(keys[1]), (const uint8_t *)"x", 1, sig, len),
                     DMSC_ESIG);
    dmsc_key_free(keys[0]);
    dmsc_key_free(keys[1]);
}

/* RFC 6979 A.2.5: P-256, SHA-256, message "sample" */
#define RFC6979_D "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
#define RFC6979_Q                                                                                  \
    "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"                           \
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
#define RFC6979_RS                                                                                 \
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"                             \
    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"

static void test_ecdsa_rfc6979(void **state)
{
    uint8_t d[32], q[65], raw[64], der[DMSC_SIG_MAX_LEN], out[80];
    size_t len, dl;
    UNHEX(RFC6979_D, d);
    UNHEX(RFC6979_Q, q);
    UNHEX(RFC6979_RS, raw);
    dmsc_key_t *k, *pub, *other;
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ECDSA_SHA256, d, 32), 0);
    assert_int_equal(dmsc_key_export_raw_public(k, out, sizeof out, &len), 0);
    assert_int_equal(len, 65);
    assert_memory_equal(out, q, 65);
    assert_int_equal(dmsc_key_export_raw_private(k, out, sizeof out, &len), 0);
    assert_int_equal(len, 32);
    assert_memory_equal(out, d, 32);

    /* r and s both have the high bit set: 72-byte DER */
    assert_int_equal(dmsc_der_ecdsa_sig_encode(raw, der, sizeof der, &dl), 0);
    assert_int_equal(dl, 72);
    assert_int_equal(dmsc_key_import_raw_public(&pub, DMSC_SIG_ECDSA_SHA256, q, 65), 0);
    const dmsc_verifier_t *v = verifier_of(pub);
    assert_int_equal(dmsc_sig_verify(v, (const uint8_t *)"sample", 6, der, dl), 0);
    assert_int_equal(dmsc_sig_verify(v, (const uint8_t *)"samplf", 6, der, dl), DMSC_ESIG);
    assert_int_equal(dmsc_sig_verify(verifier_of(k), (const uint8_t *)"sample", 6, der, dl), 0);
    /* the raw P1363 form is not accepted as a SignatureValue */
    assert_int_equal(dmsc_sig_verify(v, (const uint8_t *)"sample", 6, raw, 64), DMSC_ESIG);
    /* wrong key */
    assert_int_equal(dmsc_key_generate(&other, DMSC_SIG_ECDSA_SHA256), 0);
    assert_int_equal(dmsc_sig_verify(verifier_of(other), (const uint8_t *)"sample", 6, der, dl),
                     DMSC_ESIG);
    check_sign_verify(signer_of(k, DMSC_KEYLOC_NONE), v, DMSC_SIG_ECDSA_SHA256);

    /* ECDSA signatures are randomized; each one verifies and has canonical DER */
    for (int i = 0; i < 32; i++) {
        uint8_t sig[DMSC_SIG_MAX_LEN], r2[64], der2[80];
        size_t sl, l2;
        assert_int_equal(
            dmsc_sig_sign(signer_of(k, DMSC_KEYLOC_NONE), (const uint8_t *)"m", 1, sig, &sl), 0);
        assert_true(sl >= 8 && sl <= 72);
        assert_int_equal(dmsc_sig_verify(v, (const uint8_t *)"m", 1, sig, sl), 0);
        assert_int_equal(dmsc_sig_verify(verifier_of(other), (const uint8_t *)"m", 1, sig, sl),
                         DMSC_ESIG);
        assert_int_equal(dmsc_der_ecdsa_sig_decode(sig, sl, r2), 0);
        assert_int_equal(dmsc_der_ecdsa_sig_encode(r2, der2, sizeof der2, &l2), 0);
        assert_int_equal(l2, sl);
        assert_memory_equal(der2, sig, sl);
    }
    dmsc_key_free(k);
    dmsc_key_free(pub);
    dmsc_key_free(other);
}

/* ---- every type: generate, sign, verify, wrong key ---- */

static void test_all_types_sign_verify(void **state)
{
    for (size_t t = 0; t < NTYPES; t++) {
        dmsc_key_t *a, *b;
        assert_int_equal(dmsc_key_generate(&a, key_types[t]), 0);
        assert_int_equal(dmsc_key_generate(&b, key_types[t]), 0);
        assert_int_equal(dmsc_key_sig_type(a), key_types[t]);
        assert_true(dmsc_key_has_private(a));
        for (int kind = DMSC_KEYLOC_NONE; kind <= DMSC_KEYLOC_DIGEST; kind++) {
            if (kind == DMSC_KEYLOC_NAME) continue; /* needs a name: test_key_names */
            const dmsc_signer_t *s = signer_of(a, kind);
            assert_int_equal(s->keyloc_kind, kind);
            check_sign_verify(s, verifier_of(a), key_types[t]);
        }
        uint8_t sig[DMSC_SIG_MAX_LEN];
        size_t len;
        assert_int_equal(dmsc_sig_sign(signer_of(a, 0), (const uint8_t *)"hello", 5, sig, &len), 0);
        assert_int_equal(dmsc_sig_verify(verifier_of(b), (const uint8_t *)"hello", 5, sig, len),
                         DMSC_ESIG);
        assert_int_equal(dmsc_sig_verify(verifier_of(a), (const uint8_t *)"hello", 5, sig, len), 0);
        /* a verifier of another type rejects it */
        const dmsc_verifier_t *dv = dmsc_sig_digest_verifier();
        assert_int_equal(dmsc_sig_verify(dv, (const uint8_t *)"hello", 5, sig, len), DMSC_ESIG);
        dmsc_key_free(a);
        dmsc_key_free(b);
    }
}

static void test_large_scattered_message(void **state)
{
    /* more than the on-stack gather buffer of Ed25519 */
    size_t n = 3 * DMSC_TLV_DGRAM_MAX;
    uint8_t *msg = malloc(n);
    assert_non_null(msg);
    for (size_t i = 0; i < n; i++)
        msg[i] = (uint8_t)(i ^ (i >> 8));
    dmsc_slice_t parts[4] = {dmsc_slice(msg, 1), dmsc_slice(msg + 1, n / 2),
                             dmsc_slice(msg + 1 + n / 2, 0),
                             dmsc_slice(msg + 1 + n / 2, n - 1 - n / 2)};
    for (size_t t = 0; t < NTYPES; t++) {
        dmsc_key_t *k;
        uint8_t sig[DMSC_SIG_MAX_LEN];
        size_t len;
        assert_int_equal(dmsc_key_generate(&k, key_types[t]), 0);
        const dmsc_signer_t *s = signer_of(k, 0);
        const dmsc_verifier_t *v = verifier_of(k);
        assert_int_equal(s->sign(s, parts, 4, sig, &len), 0);
        assert_int_equal(dmsc_sig_verify(v, msg, n, sig, len), 0);
        assert_int_equal(v->verify(v, parts, 4, sig, len), 0);
        msg[n - 1] ^= 1;
        assert_int_equal(v->verify(v, parts, 4, sig, len), DMSC_ESIG);
        msg[n - 1] ^= 1;
        dmsc_key_free(k);
    }
    /* Ed25519 refuses to gather more than the largest packet */
    dmsc_key_t *k;
    uint8_t sig[DMSC_SIG_MAX_LEN];
    size_t len;
    dmsc_slice_t huge[2] = {dmsc_slice(msg, n), dmsc_slice(msg, DMSC_TLV_MAX_PACKET)};
    assert_int_equal(dmsc_key_generate(&k, DMSC_SIG_ED25519), 0);
    const dmsc_signer_t *s = signer_of(k, 0);
    assert_int_equal(s->sign(s, huge, 2, sig, &len), DMSC_ETOOBIG);
    dmsc_key_free(k);
    free(msg);
}

static void test_loops(void **state)
{
    dmsc_key_t *k;
    uint8_t sig[DMSC_SIG_MAX_LEN];
    size_t len;
    assert_int_equal(dmsc_key_generate(&k, DMSC_SIG_ED25519), 0);
    assert_int_equal(dmsc_sig_sign_loop(signer_of(k, 0), (const uint8_t *)"abc", 3, 3, sig, &len),
                     0);
    assert_int_equal(len, 64);
    assert_int_equal(dmsc_sig_verify_loop(verifier_of(k), (const uint8_t *)"abc", 3, sig, len, 3),
                     0);
    sig[0] ^= 1;
    assert_int_equal(dmsc_sig_verify_loop(verifier_of(k), (const uint8_t *)"abc", 3, sig, len, 3),
                     DMSC_ESIG);
    dmsc_key_free(k);
}

static void test_bad_types_and_raw(void **state)
{
    dmsc_key_t *k = (dmsc_key_t *)1;
    uint8_t buf[80];
    const uint64_t bad[] = {DMSC_SIG_SHA256, DMSC_SIG_RSA_SHA256, 2, 6, 99};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(dmsc_key_generate(&k, bad[i]), DMSC_ESIGTYPE);
        assert_null(k);
        assert_int_equal(dmsc_key_import_raw_private(&k, bad[i], buf, 32), DMSC_ESIGTYPE);
    }
    assert_int_equal(dmsc_key_generate(NULL, DMSC_SIG_ED25519), DMSC_EINVAL);
    memset(buf, 1, sizeof buf);
    /* raw lengths */
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ECDSA_SHA256, buf, 31), DMSC_EKEY);
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ECDSA_SHA256, buf, 33), DMSC_EKEY);
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ED25519, buf, 64), DMSC_EKEY);
    assert_int_equal(dmsc_key_import_raw_public(&k, DMSC_SIG_ED25519, buf, 31), DMSC_EKEY);
    assert_int_equal(dmsc_key_import_raw_public(&k, DMSC_SIG_ECDSA_SHA256, buf, 64), DMSC_EKEY);
    /* ECDSA scalar 0 and >= n */
    memset(buf, 0, 32);
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ECDSA_SHA256, buf, 32), DMSC_EKEY);
    UNHEX("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", buf);
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ECDSA_SHA256, buf, 32), DMSC_EKEY);
    buf[31] -= 1; /* n - 1 is valid */
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ECDSA_SHA256, buf, 32), 0);
    check_sign_verify(signer_of(k, 0), verifier_of(k), DMSC_SIG_ECDSA_SHA256);
    dmsc_key_free(k);
    /* scalar 1: public key is the generator */
    memset(buf, 0, 32);
    buf[31] = 1;
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ECDSA_SHA256, buf, 32), 0);
    uint8_t g[65], out[65];
    size_t len;
    UNHEX("046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
          "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
          g);
    assert_int_equal(dmsc_key_export_raw_public(k, out, sizeof out, &len), 0);
    assert_memory_equal(out, g, 65);
    dmsc_key_free(k);
    /* point off the curve */
    g[64] ^= 1;
    assert_int_equal(dmsc_key_import_raw_public(&k, DMSC_SIG_ECDSA_SHA256, g, 65), DMSC_EKEY);
    assert_null(k);
    /* compressed point */
    g[0] = 0x02;
    assert_int_equal(dmsc_key_import_raw_public(&k, DMSC_SIG_ECDSA_SHA256, g, 33), DMSC_ENOTSUP);
}

/* ---- DER ECDSA-Sig-Value ---- */

static void der_roundtrip(const char *rs_hex, const char *der_hex)
{
    uint8_t raw[64], want[80], der[80], back[64];
    size_t wl = UNHEX(der_hex, want), dl;
    assert_int_equal(UNHEX(rs_hex, raw), 64);
    assert_int_equal(dmsc_der_ecdsa_sig_encode(raw, der, sizeof der, &dl), 0);
    assert_int_equal(dl, wl);
    assert_memory_equal(der, want, wl);
    assert_int_equal(dmsc_der_ecdsa_sig_decode(der, dl, back), 0);
    assert_memory_equal(back, raw, 64);
    /* too small an output buffer */
    assert_int_equal(dmsc_der_ecdsa_sig_encode(raw, der, dl - 1, &dl), DMSC_ENOBUFS);
}

#define Z28 "00000000000000000000000000000000000000000000000000000000"
#define Z30 "000000000000000000000000000000000000000000000000000000000000"
#define Z31 "00000000000000000000000000000000000000000000000000000000000000"
#define FF31 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define X32 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H32 "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_der_encode_edges(void **state)
{
    /* r = s = 1 */
    der_roundtrip(Z31 "01" Z31 "01", "3006020101020101");
    /* r = 0x80: leading zeros stripped, then one 0x00 for the high bit */
    der_roundtrip(Z31 "80" Z31 "7f", "30070202008002017f");
    /* 32 significant bytes, high bit clear / set: lengths 70, 71, 72 */
    der_roundtrip(X32 X32, "3044"
                           "0220" X32 "0220" X32);
    der_roundtrip(X32 H32, "3045"
                           "0220" X32 "022100" H32);
    der_roundtrip(H32 X32, "3045"
                           "022100" H32 "0220" X32);
    der_roundtrip(H32 H32, "3046"
                           "022100" H32 "022100" H32);
    /* leading zero byte with the next high bit set: 00 80 00.. -> 02 20 00 80 00.. */
    der_roundtrip("0080" Z30 X32, "3044"
                                  "0220"
                                  "0080" Z30 "0220" X32);
    /* several leading zero bytes, then a high bit: 00 00 00 ff.. -> 02 1e 00 ff.. */
    der_roundtrip("000000ff" Z28 X32, "3042"
                                      "021e"
                                      "00ff" Z28 "0220" X32);
    /* all ones */
    der_roundtrip("ff" FF31 "ff" FF31, "3046022100ff" FF31 "022100ff" FF31);
    /* zero r or s cannot be encoded */
    uint8_t raw[64], der[80];
    size_t dl;
    memset(raw, 0, 64);
    raw[63] = 1;
    assert_int_equal(dmsc_der_ecdsa_sig_encode(raw, der, sizeof der, &dl), DMSC_EINVAL);
    memset(raw, 0, 64);
    raw[31] = 1;
    assert_int_equal(dmsc_der_ecdsa_sig_encode(raw, der, sizeof der, &dl), DMSC_EINVAL);
}

static void test_der_decode_malformed(void **state)
{
    static const char *const bad[] = {
        "",                          /* empty */
        "30",                        /* header only */
        "3000",                      /* no integers */
        "3003020101",                /* one integer */
        "3009020101020101020101",    /* three integers */
        "300602010102010100",        /* trailing byte after the SEQUENCE */
        "30080201010201010500",      /* trailing element inside */
        "3106020101020101",          /* SET, not SEQUENCE */
        "1006020101020101",          /* primitive tag 0x10 */
        "3f06020101020101",          /* high-tag-number form */
        "3006030101020101",          /* BIT STRING instead of INTEGER */
        "3006020101040101",          /* OCTET STRING instead of INTEGER */
        "308106020101020101",        /* long-form length below 128 */
        "30820006020101020101",      /* 0x82 length below 128 */
        "30800201010201010000",      /* indefinite length */
        "3007020101020101",          /* length past the end */
        "3005020101020101",          /* length short of the content */
        "30050204010101",            /* inner length past the SEQUENCE */
        "300702810101020101",        /* long-form INTEGER length */
        "3006020181020101",          /* negative r */
        "30060201010201ff",          /* negative s */
        "3006020100020101",          /* r = 0 */
        "3006020101020100",          /* s = 0 */
        "300702020001020101",        /* r with a redundant leading zero */
        "300702010102020001",        /* s with a redundant leading zero */
        "30080203000080020101",      /* r with two leading zeros */
        "30050200020101",            /* empty INTEGER r */
        "30050201010200",            /* empty INTEGER s */
        "3026022101" X32 "020101",   /* r of 33 significant bytes */
        "3027022200ff" X32 "020101", /* r of 34 content bytes */
    };
    uint8_t der[128], raw[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = UNHEX(bad[i], der);
        memset(raw, 0x5a, sizeof raw);
        int rc = dmsc_der_ecdsa_sig_decode(n ? der : NULL, n, raw);
        if (rc != DMSC_ESIG) print_error("accepted malformed DER #%zu: %s\n", i, bad[i]);
        assert_int_equal(rc, DMSC_ESIG);
    }
    /* longer than any P-256 signature, even if well-formed */
    memset(der, 0, sizeof der);
    der[0] = 0x30;
    der[1] = 71;
    assert_int_equal(dmsc_der_ecdsa_sig_decode(der, 73, raw), DMSC_ESIG);
    /* a 0x82-length SEQUENCE is rejected before reading past 72 bytes */
    der[1] = 0x82;
    assert_int_equal(dmsc_der_ecdsa_sig_decode(der, 72, raw), DMSC_ESIG);
}

/* DER is unique: whatever single-byte change the decoder accepts must be
 * the canonical encoding of what it decoded to. Every truncation fails. */
static void test_der_decode_mutations(void **state)
{
    static const char *const sigs[] = {
        /* OpenSSL (ndn-cxx): r 32 bytes, s 33 bytes */
        "3045022040f1d6f80535e89fc913701677d2cbdb3f14f56a10f16ca8e20853266c567642022100e0a74792c4a1"
        "86995e9842bcc122c53e6598781d757cfab63b769f31a832e44a",
        "3046022100" H32 "022100" H32,
        "3006020101020101",
    };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        uint8_t orig[80], m[80], raw[64], re[80];
        size_t n = UNHEX(sigs[i], orig), rl;
        assert_int_equal(dmsc_der_ecdsa_sig_decode(orig, n, raw), 0);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(dmsc_der_ecdsa_sig_decode(orig, k, raw), DMSC_ESIG);
        for (size_t pos = 0; pos < n; pos++) {
            for (unsigned val = 0; val < 256; val++) {
                memcpy(m, orig, n);
                m[pos] = (uint8_t)val;
                if (dmsc_der_ecdsa_sig_decode(m, n, raw) != 0) continue;
                assert_int_equal(dmsc_der_ecdsa_sig_encode(raw, re, sizeof re, &rl), 0);
                assert_int_equal(rl, n);
                assert_memory_equal(re, m, n);
            }
        }
    }
}

/* ---- interop vectors: WebCrypto (Node.js 20) and OpenSSL 3 ---- */

/* crypto.subtle.generateKey ECDSA P-256; exportKey pkcs8, spki, raw; sign
 * "dmsc interop test message" (P1363 r||s) */
#define WC_EC_PKCS8                                                                                \
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b020101042089d7d663b7710cf1e8e1" \
    "255af9d2eeec7610fa6457755ad8242bc1d1b104af92a144034200047e1e5388242b2ea1c2991e3e0c127f191e27" \
    "dfe65dd89ac4eec3f19c1299af558443efd87fd220fce4385d1a7e2c5e0b382960f9dd22138da77df8919db9cc63"
#define WC_EC_SPKI                                                                                 \
    "3059301306072a8648ce3d020106082a8648ce3d030107034200047e1e5388242b2ea1c2991e3e0c127f191e27df" \
    "e65dd89ac4eec3f19c1299af558443efd87fd220fce4385d1a7e2c5e0b382960f9dd22138da77df8919db9cc63"
#define WC_EC_RAW                                                                                  \
    "047e1e5388242b2ea1c2991e3e0c127f191e27dfe65dd89ac4eec3f19c1299af558443efd87fd220fce4385d1a7e" \
    "2c5e0b382960f9dd22138da77df8919db9cc63"
#define WC_EC_SIG                                                                                  \
    "62445c3e081afc2a9bd68eec29f442714ec111aa52d489b735d3bfc80637981511d6e7b7893ae77299c329a1a31f" \
    "9346ea69aa94d0a5828bd85d796981fe0ce4"
#define WC_ED_PKCS8                                                                                \
    "302e020100300506032b65700422042010b380ea08524e708082bc5e30cb245f118ef6f83fc9da67fe3ded8a5a58" \
    "2211"
#define WC_ED_SPKI                                                                                 \
    "302a300506032b65700321008e7626c49afd9d644a77a5a512672c662c95b4bcc87dbbf09916ea3b9f2aa67e"
#define WC_ED_SIG                                                                                  \
    "f2fd4eca763b7c38cf915b9f7fff061bee7cdcf3ad05ecfa49e33c186acbc4dc562a5594d0dd975f55999fa1cfa8" \
    "25e9a8d1d405db9f3a22ca07733b92182f00"
/* openssl ecparam -genkey -name prime256v1 | openssl pkcs8 -topk8 -nocrypt;
 * openssl ec -pubout; openssl dgst -sha256 -sign (DER, as ndn-cxx) */
#define OSSL_EC_PKCS8                                                                              \
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02010104201f6c56ff714235e052c0" \
    "3bb54cdfc9a44e0dec62dcd42c5624e965bb2e0e9cb5a14403420004e342cb3685deb7d4e7b67d339a894dadf27e" \
    "e71598a22fcd9a9c0ba5e4104bc07cf4deeff957dc64da0c588d01c7e0f0e196721970e6eff0842c682e37ccbf3a"
#define OSSL_EC_SPKI                                                                               \
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004e342cb3685deb7d4e7b67d339a894dadf27ee7" \
    "1598a22fcd9a9c0ba5e4104bc07cf4deeff957dc64da0c588d01c7e0f0e196721970e6eff0842c682e37ccbf3a"
#define OSSL_EC_SIG                                                                                \
    "3045022040f1d6f80535e89fc913701677d2cbdb3f14f56a10f16ca8e20853266c567642022100e0a74792c4a186" \
    "995e9842bcc122c53e6598781d757cfab63b769f31a832e44a"
#define INTEROP_MSG "dmsc interop test message"

static void check_exports_equal(const dmsc_key_t *k, const uint8_t *pkcs8, size_t p8l,
                                const uint8_t *spki, size_t spl)
{
    uint8_t out[256];
    size_t len;
    if (pkcs8) {
        assert_int_equal(dmsc_key_export_pkcs8(k, out, sizeof out, &len), 0);
        assert_int_equal(len, p8l);
        assert_memory_equal(out, pkcs8, p8l);
        assert_int_equal(dmsc_key_export_pkcs8(k, out, p8l - 1, &len), DMSC_ENOBUFS);
    }
    assert_int_equal(dmsc_key_export_spki(k, out, sizeof out, &len), 0);
    assert_int_equal(len, spl);
    assert_memory_equal(out, spki, spl);
    assert_int_equal(dmsc_key_export_spki(k, out, spl - 1, &len), DMSC_ENOBUFS);
    /* KeyDigest is SHA-256 of the SPKI */
    uint8_t d[32];
    dmsc_sha256_buf(spki, spl, d);
    assert_memory_equal(dmsc_key_digest(k), d, 32);
}

static void test_interop_ecdsa(void **state)
{
    uint8_t p8[200], spki[100], raw[65], sig[64], der[80];
    size_t p8l = UNHEX(WC_EC_PKCS8, p8), spl = UNHEX(WC_EC_SPKI, spki), dl;
    const uint8_t *msg = (const uint8_t *)INTEROP_MSG;
    size_t ml = strlen(INTEROP_MSG);
    UNHEX(WC_EC_RAW, raw);
    UNHEX(WC_EC_SIG, sig);
    dmsc_key_t *priv, *pub, *pub2;
    assert_int_equal(dmsc_key_import_pkcs8(&priv, p8, p8l), 0);
    assert_int_equal(dmsc_key_sig_type(priv), DMSC_SIG_ECDSA_SHA256);
    check_exports_equal(priv, p8, p8l, spki, spl);
    assert_int_equal(dmsc_key_import_spki(&pub, spki, spl), 0);
    assert_false(dmsc_key_has_private(pub));
    check_exports_equal(pub, NULL, 0, spki, spl);
    assert_int_equal(dmsc_key_import_raw_public(&pub2, DMSC_SIG_ECDSA_SHA256, raw, 65), 0);
    check_exports_equal(pub2, NULL, 0, spki, spl);
    /* WebCrypto's P1363 signature, converted to DER as NDNts does */
    assert_int_equal(dmsc_der_ecdsa_sig_encode(sig, der, sizeof der, &dl), 0);
    assert_int_equal(dmsc_sig_verify(verifier_of(pub), msg, ml, der, dl), 0);
    assert_int_equal(dmsc_sig_verify(verifier_of(priv), msg, ml, der, dl), 0);
    assert_int_equal(dmsc_sig_verify(verifier_of(pub), msg, ml - 1, der, dl), DMSC_ESIG);
    /* and ours verify under the imported public key */
    check_sign_verify(signer_of(priv, 0), verifier_of(pub2), DMSC_SIG_ECDSA_SHA256);
    dmsc_key_free(priv);
    dmsc_key_free(pub);
    dmsc_key_free(pub2);

    /* OpenSSL */
    p8l = UNHEX(OSSL_EC_PKCS8, p8);
    spl = UNHEX(OSSL_EC_SPKI, spki);
    dl = UNHEX(OSSL_EC_SIG, der);
    assert_int_equal(dmsc_key_import_pkcs8(&priv, p8, p8l), 0);
    check_exports_equal(priv, p8, p8l, spki, spl);
    assert_int_equal(dmsc_key_import_spki(&pub, spki, spl), 0);
    assert_int_equal(dmsc_sig_verify(verifier_of(pub), msg, ml, der, dl), 0);
    der[dl - 1] ^= 1;
    assert_int_equal(dmsc_sig_verify(verifier_of(pub), msg, ml, der, dl), DMSC_ESIG);
    dmsc_key_free(priv);
    dmsc_key_free(pub);
}

static void test_interop_ed25519(void **state)
{
    uint8_t p8[100], spki[100], sig[64];
    size_t p8l = UNHEX(WC_ED_PKCS8, p8), spl = UNHEX(WC_ED_SPKI, spki);
    const uint8_t *msg = (const uint8_t *)INTEROP_MSG;
    size_t ml = strlen(INTEROP_MSG), len;
    UNHEX(WC_ED_SIG, sig);
    dmsc_key_t *priv, *pub;
    assert_int_equal(dmsc_key_import_pkcs8(&priv, p8, p8l), 0);
    assert_int_equal(dmsc_key_sig_type(priv), DMSC_SIG_ED25519);
    check_exports_equal(priv, p8, p8l, spki, spl);
    assert_int_equal(dmsc_key_import_spki(&pub, spki, spl), 0);
    check_exports_equal(pub, NULL, 0, spki, spl);
    assert_int_equal(dmsc_sig_verify(verifier_of(pub), msg, ml, sig, 64), 0);
    /* deterministic: we produce WebCrypto's exact signature */
    uint8_t mine[64];
    assert_int_equal(dmsc_sig_sign(signer_of(priv, 0), msg, ml, mine, &len), 0);
    assert_memory_equal(mine, sig, 64);
    dmsc_key_free(priv);
    dmsc_key_free(pub);
}

/* ---- SPKI / PKCS#8 ---- */

struct fmt_case {
    bool pkcs8;
    const char *name;
    int expect;
    const char *hex;
};

/* Generated by a small DER builder (Python) from the RFC 6979 P-256 key and
 * the RFC 8032 test 1 Ed25519 key. */
static const struct fmt_case fmt_cases[] = {
    {false, "ec ok", 0,
     "3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d4462299"},
    {false, "ed ok", 0,
     "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68"
     "f707511a"},
    {false, "rsa algorithm", DMSC_ENOTSUP,
     "3053300d06092a864886f70d01010105000342000460fed4ba255a9d31c961eb74c6356d68c049b8"
     "923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c2"
     "94d4462299"},
    {false, "P-384 curve", DMSC_ENOTSUP,
     "3056301006072a8648ce3d020106052b810400220342000460fed4ba255a9d31c961eb74c6356d68"
     "c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f51"
     "77a3c294d4462299"},
    {false, "specifiedCurve", DMSC_ENOTSUP,
     "3054300e06072a8648ce3d020130030201010342000460fed4ba255a9d31c961eb74c6356d68c049"
     "b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3"
     "c294d4462299"},
    {false, "implicitCurve NULL", DMSC_ENOTSUP,
     "3051300b06072a8648ce3d020105000342000460fed4ba255a9d31c961eb74c6356d68c049b8923b"
     "61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4"
     "462299"},
    {false, "ec params missing", DMSC_EKEY,
     "304f300906072a8648ce3d02010342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa"
     "6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d44622"
     "99"},
    {false, "ec algid trailing", DMSC_EKEY,
     "305b301506072a8648ce3d020106082a8648ce3d03010705000342000460fed4ba255a9d31c961eb"
     "74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b2"
     "0c2d7e9f5177a3c294d4462299"},
    {false, "unused bits 1", DMSC_EKEY,
     "3059301306072a8648ce3d020106082a8648ce3d0301070342010460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d4462299"},
    {false, "empty bit string", DMSC_EKEY, "3017301306072a8648ce3d020106082a8648ce3d0301070300"},
    {false, "compressed point", DMSC_ENOTSUP,
     "3039301306072a8648ce3d020106082a8648ce3d0301070322000260fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb6"},
    {false, "point prefix 05", DMSC_EKEY,
     "3059301306072a8648ce3d020106082a8648ce3d0301070342000560fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d4462299"},
    {false, "point not on curve", DMSC_EKEY,
     "3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d4462298"},
    {false, "point x >= p", DMSC_EKEY,
     "3059301306072a8648ce3d020106082a8648ce3d03010703420004ffffffffffffffffffffffffff"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "ffffffffffffffffffffff"},
    {false, "point 64 bytes", DMSC_EKEY,
     "3058301306072a8648ce3d020106082a8648ce3d0301070341000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d44622"},
    {false, "point 66 bytes", DMSC_EKEY,
     "305a301306072a8648ce3d020106082a8648ce3d0301070343000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d446229900"},
    {false, "long-form length", DMSC_EKEY,
     "308159301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74"
     "c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c"
     "2d7e9f5177a3c294d4462299"},
    {false, "indefinite length", DMSC_EKEY,
     "3080301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d44622990000"},
    {false, "outer SET", DMSC_EKEY,
     "3159301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d4462299"},
    {false, "trailing byte", DMSC_EKEY,
     "3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d446229900"},
    {false, "trailing inside", DMSC_EKEY,
     "305b301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d44622990500"},
    {false, "bit string as octet string", DMSC_EKEY,
     "3059301306072a8648ce3d020106082a8648ce3d0301070442000460fed4ba255a9d31c961eb74c6"
     "356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d"
     "7e9f5177a3c294d4462299"},
    {false, "ed params NULL", DMSC_EKEY,
     "302c300706032b65700500032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af02"
     "1a68f707511a"},
    {false, "ed key 31 bytes", DMSC_EKEY,
     "3029300506032b6570032000d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68"
     "f70751"},
    {false, "ed key 33 bytes", DMSC_EKEY,
     "302b300506032b6570032200d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68"
     "f707511a00"},
    {false, "ed small-order point", DMSC_EKEY,
     "302a300506032b657003210001000000000000000000000000000000000000000000000000000000"
     "00000000"},
    {false, "ed non-canonical y", DMSC_EKEY,
     "302a300506032b6570032100eeffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "ffffff7f"},
    {false, "ed x448 oid", DMSC_ENOTSUP,
     "302a300506032b6571032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68"
     "f707511a"},
    {true, "ec ok (WebCrypto/OpenSSL form)", 0,
     "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec no public key", 0,
     "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420c9afa9d845"
     "ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"},
    {true, "ec with [0] params", 0,
     "308193020100301306072a8648ce3d020106082a8648ce3d030107047930770201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a00a06082a8648ce3d030107"
     "a1440342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903"
     "fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec v2 no outer public", 0,
     "308187020101301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec v2 outer public ok", 0,
     "308185020101301306072a8648ce3d020106082a8648ce3d030107042730250201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f67218142000460fed4ba255a9d31"
     "c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64"
     "f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec attributes skipped", 0,
     "308195020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299a00c300a06082a8648ce3d030107"},
    {true, "ec v1 with outer public", DMSC_EKEY,
     "3081cb020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d44622998142000460fed4ba255a9d31c961eb74c6356d68c049"
     "b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3"
     "c294d4462299"},
    {true, "ec v2 outer public mismatch", DMSC_EKEY,
     "308185020101301306072a8648ce3d020106082a8648ce3d030107042730250201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f67218142000460fed4ba255a9d31"
     "c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64"
     "f2f1b20c2d7e9f5177a3c294d4462298"},
    {true, "ec version 2", DMSC_EKEY,
     "308187020102301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec version non-minimal", DMSC_EKEY,
     "30818802020000301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9"
     "d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba25"
     "5a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e956"
     "28bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec ECPrivateKey version 0", DMSC_EKEY,
     "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201000420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec scalar 31 bytes", DMSC_EKEY,
     "3040020100301306072a8648ce3d020106082a8648ce3d03010704263024020101041fafa9d845ba"
     "75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"},
    {true, "ec scalar 33 bytes", DMSC_EKEY,
     "3042020100301306072a8648ce3d020106082a8648ce3d03010704283026020101042100c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"},
    {true, "ec scalar zero", DMSC_EKEY,
     "3041020100301306072a8648ce3d020106082a8648ce3d0301070427302502010104200000000000"
     "000000000000000000000000000000000000000000000000000000"},
    {true, "ec scalar = n", DMSC_EKEY,
     "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420ffffffff00"
     "000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"},
    {true, "ec scalar all ff", DMSC_EKEY,
     "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420ffffffffff"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {true, "ec public mismatch", DMSC_EKEY,
     "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462298"},
    {true, "ec [0] other curve", DMSC_EKEY,
     "308190020100301306072a8648ce3d020106082a8648ce3d030107047630740201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a00706052b81040022a14403"
     "42000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008"
     "b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec [0] trailing", DMSC_EKEY,
     "308195020100301306072a8648ce3d020106082a8648ce3d030107047b30790201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a00c06082a8648ce3d030107"
     "0500a1440342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
     "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec [1] not a bit string", DMSC_EKEY,
     "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440442000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299"},
    {true, "ec [1] before [0]", DMSC_EKEY,
     "308193020100301306072a8648ce3d020106082a8648ce3d030107047930770201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299a00a06082a8648ce3d030107"},
    {true, "ec ECPrivateKey trailing", DMSC_EKEY,
     "308189020100301306072a8648ce3d020106082a8648ce3d030107046f306d0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d44622990500"},
    {true, "ec ECPrivateKey then junk", DMSC_EKEY,
     "308189020100301306072a8648ce3d020106082a8648ce3d030107046f306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d44622990500"},
    {true, "ec P-384 algorithm", DMSC_ENOTSUP,
     "308184020100301006072a8648ce3d020106052b81040022046d306b0201010420c9afa9d845ba75"
     "166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a9d31c9"
     "61eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2"
     "f1b20c2d7e9f5177a3c294d4462299"},
    {true, "rsa algorithm", DMSC_ENOTSUP,
     "308181020100300d06092a864886f70d0101010500046d306b0201010420c9afa9d845ba75166b5c"
     "215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a9d31c961eb74"
     "c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c"
     "2d7e9f5177a3c294d4462299"},
    {true, "missing privateKey", DMSC_EKEY, "3018020100301306072a8648ce3d020106082a8648ce3d030107"},
    {true, "trailing after attrs", DMSC_EKEY,
     "30818b020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9afa9d8"
     "45ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721a1440342000460fed4ba255a"
     "9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628"
     "bc64f2f1b20c2d7e9f5177a3c294d4462299a0000500"},
    {true, "ed ok (WebCrypto/OpenSSL form)", 0,
     "302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f60"},
    {true, "ed v2 with public", 0,
     "3051020101300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f60812100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f7"
     "07511a"},
    {true, "ed v2 with attributes and public", 0,
     "305a020101300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f60a007300506032b6570812100d75a980182b10ab7d54bfed3c964073a0ee172f3"
     "daa62325af021a68f707511a"},
    {true, "ed v2 wrong public", DMSC_EKEY,
     "3051020101300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f60812100d65a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f7"
     "07511a"},
    {true, "ed v2 public unused bits", DMSC_EKEY,
     "3051020101300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f60812101d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f7"
     "07511a"},
    {true, "ed v1 with public", DMSC_EKEY,
     "3051020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f60812100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f7"
     "07511a"},
    {true, "ed seed not wrapped", DMSC_EKEY,
     "302c020100300506032b657004209d61b19deffd5a60ba844af492ec2cc44449c5697b326919703b"
     "ac031cae7f60"},
    {true, "ed seed 31 bytes", DMSC_EKEY,
     "302d020100300506032b65700421041f9d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f"},
    {true, "ed seed 33 bytes", DMSC_EKEY,
     "302f020100300506032b6570042304219d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f6000"},
    {true, "ed seed trailing", DMSC_EKEY,
     "3030020100300506032b6570042404209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f600500"},
    {true, "ed params NULL", DMSC_EKEY,
     "3030020100300706032b65700500042204209d61b19deffd5a60ba844af492ec2cc44449c5697b32"
     "6919703bac031cae7f60"},
    {true, "ed 64-byte libsodium sk", DMSC_EKEY,
     "304e020100300506032b6570044204409d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f60d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"},
    {true, "ed long-form where short", DMSC_EKEY,
     "30812e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b3269"
     "19703bac031cae7f60"},
    {true, "empty", DMSC_EKEY, ""},
    {true, "ed outer trailing", DMSC_EKEY,
     "302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919"
     "703bac031cae7f6000"},
};

static void test_spki_pkcs8_cases(void **state)
{
    for (size_t i = 0; i < sizeof fmt_cases / sizeof fmt_cases[0]; i++) {
        const struct fmt_case *c = &fmt_cases[i];
        uint8_t der[400];
        size_t n = unhex(c->hex, der, sizeof der);
        dmsc_key_t *k = (dmsc_key_t *)1;
        int rc = c->pkcs8 ? dmsc_key_import_pkcs8(&k, n ? der : NULL, n)
                          : dmsc_key_import_spki(&k, n ? der : NULL, n);
        if (rc != c->expect)
            print_error("%s \"%s\": got %s, want %s\n", c->pkcs8 ? "pkcs8" : "spki", c->name,
                        dmsc_errname(rc), dmsc_errname(c->expect));
        assert_int_equal(rc, c->expect);
        if (rc) {
            assert_null(k);
            continue;
        }
        /* accepted keys are the RFC keys and work */
        uint8_t pub[65], want[65];
        size_t len, wl;
        if (dmsc_key_sig_type(k) == DMSC_SIG_ECDSA_SHA256)
            wl = UNHEX(RFC6979_Q, want);
        else
            wl = UNHEX("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", want);
        assert_int_equal(dmsc_key_export_raw_public(k, pub, sizeof pub, &len), 0);
        assert_int_equal(len, wl);
        assert_memory_equal(pub, want, wl);
        assert_int_equal(dmsc_key_has_private(k), c->pkcs8);
        if (c->pkcs8) check_sign_verify(signer_of(k, 0), verifier_of(k), dmsc_key_sig_type(k));
        dmsc_key_free(k);
    }
}

/* Every truncation and any trailing byte of a valid encoding is rejected. */
static void test_spki_pkcs8_truncations(void **state)
{
    static const struct {
        bool pkcs8;
        const char *hex;
    } ok[] = {{true, WC_EC_PKCS8}, {false, WC_EC_SPKI}, {true, WC_ED_PKCS8}, {false, WC_ED_SPKI}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint8_t der[200];
        size_t n = UNHEX(ok[i].hex, der);
        dmsc_key_t *k;
        for (size_t cut = 0; cut <= n + 1; cut++) {
            if (cut == n) continue;
            der[n] = 0;
            int rc = ok[i].pkcs8 ? dmsc_key_import_pkcs8(&k, der, cut)
                                 : dmsc_key_import_spki(&k, der, cut);
            assert_int_equal(rc, DMSC_EKEY);
            assert_null(k);
        }
        /* a private key is not a public key and vice versa */
        int rc = ok[i].pkcs8 ? dmsc_key_import_spki(&k, der, n) : dmsc_key_import_pkcs8(&k, der, n);
        assert_int_equal(rc, DMSC_EKEY);
    }
}

/* Single-byte mutations of valid encodings never crash, and a key that is
 * accepted works. (Exhaustive over positions, a spread of values.) */
static void test_spki_pkcs8_mutations(void **state)
{
    static const struct {
        bool pkcs8;
        const char *hex;
    } ok[] = {{true, WC_EC_PKCS8}, {false, WC_EC_SPKI}, {true, WC_ED_PKCS8}, {false, WC_ED_SPKI}};
    static const uint8_t vals[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x30,
                                   0x7f, 0x80, 0x81, 0x82, 0x83, 0xa0, 0xa1, 0xff};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint8_t orig[200], m[200];
        size_t n = UNHEX(ok[i].hex, orig);
        for (size_t pos = 0; pos < n; pos++) {
            for (size_t j = 0; j < sizeof vals; j++) {
                memcpy(m, orig, n);
                m[pos] = vals[j];
                dmsc_key_t *k;
                int rc =
                    ok[i].pkcs8 ? dmsc_key_import_pkcs8(&k, m, n) : dmsc_key_import_spki(&k, m, n);
                if (rc) {
                    assert_true(rc == DMSC_EKEY || rc == DMSC_ENOTSUP);
                    assert_null(k);
                    continue;
                }
                uint8_t msg[1] = {1}, sig[DMSC_SIG_MAX_LEN];
                size_t len;
                if (ok[i].pkcs8) {
                    assert_int_equal(dmsc_sig_sign(signer_of(k, 0), msg, 1, sig, &len), 0);
                    assert_int_equal(dmsc_sig_verify(verifier_of(k), msg, 1, sig, len), 0);
                }
                dmsc_key_free(k);
            }
        }
    }
}

static void test_key_roundtrips(void **state)
{
    const uint64_t asym[] = {DMSC_SIG_ECDSA_SHA256, DMSC_SIG_ED25519};
    for (size_t t = 0; t < 2; t++) {
        dmsc_key_t *k, *k2, *pub, *pub2;
        uint8_t p8[DMSC_KEY_PKCS8_MAX], p8b[DMSC_KEY_PKCS8_MAX], spki[DMSC_KEY_SPKI_MAX],
            spkib[DMSC_KEY_SPKI_MAX], raw[64], rawb[64], rp[65];
        size_t p8l, p8bl, spl, spbl, rl, rbl, rpl;
        assert_int_equal(dmsc_key_generate(&k, asym[t]), 0);
        assert_int_equal(dmsc_key_export_pkcs8(k, p8, sizeof p8, &p8l), 0);
        assert_int_equal(p8l, asym[t] == DMSC_SIG_ED25519 ? 48 : 138);
        assert_int_equal(dmsc_key_export_spki(k, spki, sizeof spki, &spl), 0);
        assert_int_equal(spl, asym[t] == DMSC_SIG_ED25519 ? 44 : 91);
        assert_int_equal(dmsc_key_export_raw_private(k, raw, sizeof raw, &rl), 0);
        assert_int_equal(rl, 32);
        assert_int_equal(dmsc_key_export_raw_private(k, raw, 31, &rl), DMSC_ENOBUFS);
        assert_int_equal(dmsc_key_export_raw_private(k, raw, sizeof raw, &rl), 0);
        assert_int_equal(dmsc_key_export_raw_public(k, rp, sizeof rp, &rpl), 0);
        assert_int_equal(dmsc_key_export_raw_public(k, rp, rpl - 1, &rpl), DMSC_ENOBUFS);
        assert_int_equal(dmsc_key_export_raw_public(k, rp, sizeof rp, &rpl), 0);

        /* PKCS#8 round trip */
        assert_int_equal(dmsc_key_import_pkcs8(&k2, p8, p8l), 0);
        assert_int_equal(dmsc_key_export_pkcs8(k2, p8b, sizeof p8b, &p8bl), 0);
        assert_int_equal(p8bl, p8l);
        assert_memory_equal(p8b, p8, p8l);
        assert_int_equal(dmsc_key_export_raw_private(k2, rawb, sizeof rawb, &rbl), 0);
        assert_memory_equal(rawb, raw, 32);
        dmsc_key_free(k2);
        /* raw private round trip */
        assert_int_equal(dmsc_key_import_raw_private(&k2, asym[t], raw, rl), 0);
        assert_int_equal(dmsc_key_export_pkcs8(k2, p8b, sizeof p8b, &p8bl), 0);
        assert_memory_equal(p8b, p8, p8l);
        /* signatures of one verify under the other */
        check_sign_verify(signer_of(k2, 0), verifier_of(k), asym[t]);
        dmsc_key_free(k2);
        /* SPKI round trip, public-only */
        assert_int_equal(dmsc_key_import_spki(&pub, spki, spl), 0);
        assert_false(dmsc_key_has_private(pub));
        assert_int_equal(dmsc_key_export_spki(pub, spkib, sizeof spkib, &spbl), 0);
        assert_memory_equal(spkib, spki, spl);
        check_sign_verify(signer_of(k, DMSC_KEYLOC_DIGEST), verifier_of(pub), asym[t]);
        /* public-only: no signing, no private export */
        const dmsc_signer_t *s = (const dmsc_signer_t *)1;
        assert_int_equal(dmsc_key_signer(pub, DMSC_KEYLOC_NONE, &s), DMSC_EKEY);
        assert_null(s);
        assert_int_equal(dmsc_key_export_pkcs8(pub, p8b, sizeof p8b, &p8bl), DMSC_EKEY);
        assert_int_equal(dmsc_key_export_raw_private(pub, rawb, sizeof rawb, &rbl), DMSC_EKEY);
        /* raw public round trip and public_copy */
        assert_int_equal(dmsc_key_import_raw_public(&pub2, asym[t], rp, rpl), 0);
        assert_memory_equal(dmsc_key_digest(pub2), dmsc_key_digest(k), 32);
        dmsc_key_free(pub2);
        assert_int_equal(dmsc_key_public_copy(k, &pub2), 0);
        assert_false(dmsc_key_has_private(pub2));
        assert_memory_equal(dmsc_key_digest(pub2), dmsc_key_digest(k), 32);
        check_sign_verify(signer_of(k, 0), verifier_of(pub2), asym[t]);
        dmsc_key_free(pub2);
        dmsc_key_free(pub);
        dmsc_key_free(k);
    }
}

/* ---- key names and KeyLocator ---- */

static void test_key_names(void **state)
{
    dmsc_key_t *k;
    tname_t id, full;
    const dmsc_signer_t *s;
    assert_int_equal(dmsc_key_generate(&k, DMSC_SIG_ED25519), 0);
    assert_null(dmsc_key_name(k));
    s = (const dmsc_signer_t *)1;
    assert_int_equal(dmsc_key_signer(k, DMSC_KEYLOC_NAME, &s), DMSC_EKEY);
    assert_null(s);
    assert_int_equal(dmsc_key_signer(k, 3, &s), DMSC_EINVAL);
    assert_int_equal(dmsc_key_signer(k, -1, &s), DMSC_EINVAL);

    /* default keyid: first 8 bytes of the KeyDigest */
    tname(&id, 2, "example", "node1");
    assert_int_equal(dmsc_key_set_identity(k, &id.n, NULL, 0), 0);
    const dmsc_name_t *n = dmsc_key_name(k);
    assert_non_null(n);
    assert_int_equal(n->ncomps, 4);
    uint8_t want[64];
    size_t wl = 0;
    memcpy(want, id.buf, id.n.len);
    wl = id.n.len;
    memcpy(want + wl, "\x08\x03KEY\x08\x08", 7);
    wl += 7;
    memcpy(want + wl, dmsc_key_digest(k), 8);
    wl += 8;
    assert_int_equal(n->len, wl);
    assert_memory_equal(n->value, want, wl);
    assert_int_equal(n->off[2], id.n.len);
    assert_int_equal(n->off[3], id.n.len + 5);

    s = signer_of(k, DMSC_KEYLOC_NAME);
    assert_int_equal(s->keyloc_kind, DMSC_KEYLOC_NAME);
    assert_int_equal(s->keyloc_name.len, wl);
    assert_int_equal(s->keyloc_name.ncomps, 4);
    assert_memory_equal(s->keyloc_name.value, want, wl);
    check_sign_verify(s, verifier_of(k), DMSC_SIG_ED25519);

    const dmsc_signer_t *sd = signer_of(k, DMSC_KEYLOC_DIGEST);
    assert_int_equal(sd->keyloc_digest.n, 32);
    assert_memory_equal(sd->keyloc_digest.p, dmsc_key_digest(k), 32);
    assert_int_equal(signer_of(k, DMSC_KEYLOC_NONE)->keyloc_digest.n, 0);

    /* explicit keyid; the signer pointer stays valid and sees the new name */
    assert_int_equal(dmsc_key_set_identity(k, &id.n, (const uint8_t *)"v=1", 3), 0);
    tname(&full, 4, "example", "node1", "KEY", "v=1");
    assert_int_equal(s->keyloc_name.len, full.n.len);
    assert_memory_equal(s->keyloc_name.value, full.buf, full.n.len);
    assert_memory_equal(s->keyloc_name.off, full.n.off, sizeof(uint16_t) * 5);

    /* set_name: any name, aliasing the key's own name is fine */
    tname(&full, 6, "example", "node1", "KEY", "k1", "self", "v1");
    assert_int_equal(dmsc_key_set_name(k, &full.n), 0);
    assert_int_equal(dmsc_key_set_name(k, dmsc_key_name(k)), 0);
    assert_int_equal(dmsc_key_name(k)->len, full.n.len);
    assert_memory_equal(dmsc_key_name(k)->value, full.buf, full.n.len);
    assert_int_equal(s->keyloc_name.ncomps, 6);

    /* malformed names are refused and leave the name unchanged */
    tname_t bad;
    tname(&bad, 1, "x");
    bad.buf[1] = 5; /* component length past the end */
    assert_int_equal(dmsc_key_set_name(k, &bad.n), DMSC_ETRUNC);
    bad.buf[0] = DMSC_TT_IMPLICIT_DIGEST; /* digest component must be 32 bytes */
    bad.buf[1] = 1;
    assert_int_equal(dmsc_key_set_name(k, &bad.n), DMSC_EVALUE);
    assert_int_equal(dmsc_key_name(k)->len, full.n.len);
    /* too many components, too long */
    tname_t many;
    many.n.value = many.buf;
    many.n.ncomps = 0;
    memset(many.buf, 0, sizeof many.buf);
    for (int i = 0; i < DMSC_NAME_MAX_COMPS + 1; i++) {
        many.buf[2 * i] = DMSC_TT_GENERIC;
        many.buf[2 * i + 1] = 0;
    }
    many.n.len = 2 * (DMSC_NAME_MAX_COMPS + 1);
    assert_int_equal(dmsc_key_set_name(k, &many.n), DMSC_ENAMECOMPS);
    many.n.len = 2 * DMSC_NAME_MAX_COMPS;
    assert_int_equal(dmsc_key_set_name(k, &many.n), 0);
    assert_int_equal(dmsc_key_name(k)->ncomps, DMSC_NAME_MAX_COMPS);
    uint8_t big[DMSC_NAME_MAX_LEN];
    memset(big, 0x42, sizeof big);
    assert_int_equal(dmsc_key_set_identity(k, &id.n, big, sizeof big), DMSC_ENAMELEN);
    assert_int_equal(dmsc_key_set_identity(k, &id.n, big, DMSC_NAME_MAX_LEN - id.n.len - 9), 0);
    assert_int_equal(dmsc_key_name(k)->len, DMSC_NAME_MAX_LEN);
    assert_int_equal(dmsc_key_set_identity(k, &id.n, big, DMSC_NAME_MAX_LEN - id.n.len - 8),
                     DMSC_ENAMELEN);

    /* public_copy keeps the name */
    dmsc_key_t *pub;
    assert_int_equal(dmsc_key_set_name(k, &full.n), 0);
    assert_int_equal(dmsc_key_public_copy(k, &pub), 0);
    assert_int_equal(dmsc_key_name(pub)->len, full.n.len);
    assert_memory_equal(dmsc_key_name(pub)->value, full.buf, full.n.len);
    dmsc_key_free(pub);

    /* clearing */
    assert_int_equal(dmsc_key_set_name(k, NULL), 0);
    assert_null(dmsc_key_name(k));
    assert_int_equal(dmsc_key_signer(k, DMSC_KEYLOC_NAME, &s), DMSC_EKEY);
    dmsc_key_free(k);

    /* HMAC default keyid is random, not derived from the secret */
    dmsc_key_t *h;
    assert_int_equal(dmsc_key_generate(&h, DMSC_SIG_HMAC_SHA256), 0);
    assert_int_equal(dmsc_key_set_identity(h, &id.n, NULL, 0), 0);
    n = dmsc_key_name(h);
    assert_int_equal(n->ncomps, 4);
    assert_int_equal(n->len - n->off[3], 2 + DMSC_KEYID_DEFAULT_LEN);
    dmsc_key_free(h);
}

/* ---- key files ---- */

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
    strcpy(tmpdir, "/tmp/dmsc-test-sec.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void same_key(const dmsc_key_t *a, const dmsc_key_t *b)
{
    uint8_t x[DMSC_KEY_RAW_PRIV_MAX], y[DMSC_KEY_RAW_PRIV_MAX];
    size_t xl, yl;
    assert_int_equal(dmsc_key_sig_type(a), dmsc_key_sig_type(b));
    assert_int_equal(dmsc_key_has_private(a), dmsc_key_has_private(b));
    assert_memory_equal(dmsc_key_digest(a), dmsc_key_digest(b), 32);
    if (dmsc_key_has_private(a)) {
        assert_int_equal(dmsc_key_export_raw_private(a, x, sizeof x, &xl), 0);
        assert_int_equal(dmsc_key_export_raw_private(b, y, sizeof y, &yl), 0);
        assert_int_equal(xl, yl);
        assert_memory_equal(x, y, xl);
    }
    const dmsc_name_t *na = dmsc_key_name(a), *nb = dmsc_key_name(b);
    assert_true((na == NULL) == (nb == NULL));
    if (na) {
        assert_int_equal(na->len, nb->len);
        assert_int_equal(na->ncomps, nb->ncomps);
        assert_memory_equal(na->value, nb->value, na->len);
    }
}

static void test_keyfile_save_load(void **state)
{
    char path[128];
    tname_t id;
    tname(&id, 2, "example", "node1");
    for (size_t t = 0; t < NTYPES; t++) {
        for (int variant = 0; variant < 3; variant++) { /* no name, name, public only */
            dmsc_key_t *k, *l, *pub = NULL;
            assert_int_equal(dmsc_key_generate(&k, key_types[t]), 0);
            if (variant >= 1) assert_int_equal(dmsc_key_set_identity(k, &id.n, NULL, 0), 0);
            if (variant == 2) {
                if (key_types[t] == DMSC_SIG_HMAC_SHA256) {
                    dmsc_key_free(k);
                    continue;
                }
                assert_int_equal(dmsc_key_public_copy(k, &pub), 0);
                dmsc_key_free(k);
                k = pub;
            }
            snprintf(path, sizeof path, "%s/key-%zu-%d", tmpdir, t, variant);
            assert_int_equal(dmsc_keyfile_save(k, path), 0);
            struct stat st;
            assert_int_equal(stat(path, &st), 0);
            assert_int_equal(st.st_mode & 0777, 0600);
            assert_int_equal(dmsc_keyfile_load(&l, path), 0);
            same_key(k, l);
            /* and it still signs/verifies across the two */
            if (dmsc_key_has_private(k))
                check_sign_verify(signer_of(l, 0), verifier_of(k), key_types[t]);
            dmsc_key_free(l);
            /* overwrite in place: still 0600, new content */
            assert_int_equal(dmsc_keyfile_save(k, path), 0);
            assert_int_equal(dmsc_keyfile_load(&l, path), 0);
            same_key(k, l);
            dmsc_key_free(l);
            dmsc_key_free(k);
        }
    }
    /* no temporary files left behind */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", tmpdir);
    assert_int_not_equal(system(cmd), 0);
}

static void test_keyfile_format(void **state)
{
    /* the documented layout, byte for byte */
    uint8_t seed[32], buf[DMSC_KEYFILE_MAX], p8[64];
    size_t len, p8l;
    tname_t id;
    UNHEX("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed);
    dmsc_key_t *k, *l;
    assert_int_equal(dmsc_key_import_raw_private(&k, DMSC_SIG_ED25519, seed, 32), 0);
    tname(&id, 1, "a");
    assert_int_equal(dmsc_key_set_identity(k, &id.n, (const uint8_t *)"k", 1), 0);
    assert_int_equal(dmsc_keyfile_encode(k, buf, sizeof buf, &len), 0);
    assert_int_equal(dmsc_key_export_pkcs8(k, p8, sizeof p8, &p8l), 0);
    static const uint8_t hdr[] = {'D', 'M', 'S', 'K', 1, 5, 1, 0, 0, 13, 0, 48,
                                  /* Name /a/KEY/k */
                                  7, 11, 8, 1, 'a', 8, 3, 'K', 'E', 'Y', 8, 1, 'k'};
    assert_int_equal(len, sizeof hdr + 48);
    assert_memory_equal(buf, hdr, sizeof hdr);
    assert_memory_equal(buf + sizeof hdr, p8, 48);
    assert_int_equal(dmsc_keyfile_encode(k, buf, len - 1, &len), DMSC_ENOBUFS);
    assert_int_equal(dmsc_keyfile_encode(k, buf, sizeof buf, &len), 0);

    /* every truncation and an extra byte are rejected */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(dmsc_keyfile_decode(&l, buf, cut), 0);
        assert_null(l);
    }
    buf[len] = 0;
    assert_int_equal(dmsc_keyfile_decode(&l, buf, len + 1), DMSC_EKEY);
    /* header fields */
    struct {
        size_t off;
        uint8_t val;
        int rc;
    } muts[] = {
        {0, 'X', DMSC_EKEY},   /* magic */
        {4, 2, DMSC_ENOTSUP},  /* newer version */
        {4, 0, DMSC_EKEY},     /* version 0 */
        {5, 3, DMSC_EKEY},     /* type differs from the body */
        {5, 0, DMSC_EKEY},     /* DigestSha256 has no key */
        {6, 9, DMSC_EKEY},     /* unknown body format */
        {6, 3, DMSC_EKEY},     /* PKCS#8 body labelled SPKI */
        {7, 1, DMSC_EKEY},     /* flags */
        {9, 12, DMSC_EKEY},    /* name length off by one */
        {11, 47, DMSC_EKEY},   /* body length off by one */
        {12, 8, DMSC_EKEY},    /* name element of the wrong type */
        {13, 10, DMSC_EKEY},   /* Name TLV-LENGTH inconsistent */
        {15, 10, DMSC_ETRUNC}, /* component length past the Name */
    };
    for (size_t i = 0; i < sizeof muts / sizeof muts[0]; i++) {
        uint8_t m[DMSC_KEYFILE_MAX];
        memcpy(m, buf, len);
        m[muts[i].off] = muts[i].val;
        int rc = dmsc_keyfile_decode(&l, m, len);
        if (rc != muts[i].rc) print_error("mutation %zu: got %s\n", i, dmsc_errname(rc));
        assert_int_equal(rc, muts[i].rc);
        assert_null(l);
    }
    /* raw seed body (format 2) is accepted for Ed25519 */
    uint8_t raw[12 + 32] = {'D', 'M', 'S', 'K', 1, 5, 2, 0, 0, 0, 0, 32};
    memcpy(raw + 12, seed, 32);
    assert_int_equal(dmsc_keyfile_decode(&l, raw, sizeof raw), 0);
    assert_null(dmsc_key_name(l));
    assert_memory_equal(dmsc_key_digest(l), dmsc_key_digest(k), 32);
    assert_true(dmsc_key_has_private(l));
    dmsc_key_free(l);
    dmsc_key_free(k);
}

static void test_keyfile_errors(void **state)
{
    char path[128];
    dmsc_key_t *k = (dmsc_key_t *)1;
    snprintf(path, sizeof path, "%s/missing", tmpdir);
    errno = 0;
    assert_int_equal(dmsc_keyfile_load(&k, path), DMSC_EIO);
    assert_int_equal(errno, ENOENT);
    assert_null(k);
    assert_int_equal(dmsc_keyfile_load(&k, tmpdir), DMSC_EKEY); /* a directory */
    snprintf(path, sizeof path, "%s/garbage", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("this is not a key file at all", f);
    fclose(f);
    assert_int_equal(dmsc_keyfile_load(&k, path), DMSC_EKEY);
    /* too big */
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < DMSC_KEYFILE_MAX + 1; i++)
        fputc('D', f);
    fclose(f);
    assert_int_equal(dmsc_keyfile_load(&k, path), DMSC_EKEY);
    /* saving into a missing directory */
    assert_int_equal(dmsc_key_generate(&k, DMSC_SIG_ED25519), 0);
    snprintf(path, sizeof path, "%s/no/such/dir/key", tmpdir);
    assert_int_equal(dmsc_keyfile_save(k, path), DMSC_EIO);
    dmsc_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_sha256),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_limits),
        cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_ecdsa_rfc6979),
        cmocka_unit_test(test_all_types_sign_verify),
        cmocka_unit_test(test_large_scattered_message),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_bad_types_and_raw),
        cmocka_unit_test(test_der_encode_edges),
        cmocka_unit_test(test_der_decode_malformed),
        cmocka_unit_test(test_der_decode_mutations),
        cmocka_unit_test(test_interop_ecdsa),
        cmocka_unit_test(test_interop_ed25519),
        cmocka_unit_test(test_spki_pkcs8_cases),
        cmocka_unit_test(test_spki_pkcs8_truncations),
        cmocka_unit_test(test_spki_pkcs8_mutations),
        cmocka_unit_test(test_key_roundtrips),
        cmocka_unit_test(test_key_names),
        cmocka_unit_test(test_keyfile_save_load),
        cmocka_unit_test(test_keyfile_format),
        cmocka_unit_test(test_keyfile_errors),
    };
    return cmocka_run_group_tests_name("sec", tests, setup_tmpdir, teardown_tmpdir);
}
