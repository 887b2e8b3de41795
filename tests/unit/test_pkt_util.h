/*
 * Shared by the packet-codec tests (test_data.c, test_interest.c): assert_rc,
 * hex vectors, and test signers/verifiers (DigestSha256, a deliberately wrong
 * one, a keyed SHA-256 stand-in for HMAC, a fixed value, a failing one and
 * one that captures the signed portion).
 *
 * Define before including: TEST_KEY (secret string), TEST_KEY_NAME (URI of
 * the keyed signer's KeyLocator), TEST_FLIP_BYTE / TEST_FLIP_MASK (which bit
 * the wrong signer flips).
 */
#ifndef DMSC_TEST_PKT_UTIL_H
#define DMSC_TEST_PKT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/sha256.h"
#include "ndn/name.h"
#include "ndn/signer.h"

#define assert_rc(expr, want)                                                                      \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        int want_ = (want);                                                                        \
        if (rc_ != want_)                                                                          \
            fail_msg("%s: got %s, want %s", #expr, dmsc_errname(rc_), dmsc_errname(want_));        \
    } while (0)

#define BUFSZ 9000

/* Hex to bytes; spaces, parentheses and newlines are ignored so vectors can
 * be written with their nesting visible. */
static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_true(hi < 0);
    return n;
}

/* ---- test signers and verifiers ---- */

static int sha_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t n, uint8_t *sig,
                    size_t *len)
{
    dmsc_sha256(parts, n, sig);
    *len = DMSC_SHA256_LEN;
    return 0;
}

static int sha_verify(const dmsc_verifier_t *v, const dmsc_slice_t *parts, size_t n,
                      const uint8_t *sig, size_t len)
{
    uint8_t d[DMSC_SHA256_LEN];
    dmsc_sha256(parts, n, d);
    return len == sizeof d && memcmp(d, sig, len) == 0 ? 0 : DMSC_ESIG;
}

static int flip_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t n, uint8_t *sig,
                     size_t *len)
{
    sha_sign(s, parts, n, sig, len);
    sig[TEST_FLIP_BYTE] ^= TEST_FLIP_MASK;
    return 0;
}

static const char KEY[] = TEST_KEY;
static int keyed_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t n, uint8_t *sig,
                      size_t *len)
{
    dmsc_slice_t all[8];
    assert_true(n < 8);
    all[0] = dmsc_slice(KEY, sizeof KEY);
    memcpy(all + 1, parts, n * sizeof *parts);
    dmsc_sha256(all, n + 1, sig);
    *len = DMSC_SHA256_LEN;
    return 0;
}

static int keyed_verify(const dmsc_verifier_t *v, const dmsc_slice_t *parts, size_t n,
                        const uint8_t *sig, size_t len)
{
    uint8_t d[DMSC_SHA256_LEN];
    size_t dl;
    keyed_sign(NULL, parts, n, d, &dl);
    return len == dl && memcmp(d, sig, len) == 0 ? 0 : DMSC_ESIG;
}

static uint8_t const_sig[DMSC_SIG_MAX_LEN + 1];
static size_t const_sig_len;
static int const_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t n, uint8_t *sig,
                      size_t *len)
{
    memcpy(sig, const_sig, const_sig_len);
    *len = const_sig_len;
    return 0;
}

static int fail_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t n, uint8_t *sig,
                     size_t *len)
{
    return DMSC_EKEY;
}

static uint8_t signed_copy[BUFSZ];
static size_t signed_copy_len;
static int capture_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t n, uint8_t *sig,
                        size_t *len)
{
    signed_copy_len = 0;
    for (size_t k = 0; k < n; k++) {
        memcpy(signed_copy + signed_copy_len, parts[k].p, parts[k].n);
        signed_copy_len += parts[k].n;
    }
    return sha_sign(s, parts, n, sig, len);
}

static const dmsc_signer_t sha_signer = {DMSC_SIG_SHA256, 32, DMSC_KEYLOC_NONE, {0}, {0}, sha_sign};
static const dmsc_signer_t flip_signer = {DMSC_SIG_SHA256, 32, DMSC_KEYLOC_NONE, {0}, {0},
                                          flip_sign};
static const dmsc_signer_t capture_signer = {DMSC_SIG_SHA256, 32, DMSC_KEYLOC_NONE, {0}, {0},
                                             capture_sign};
static const dmsc_verifier_t sha_verifier = {DMSC_SIG_SHA256, sha_verify};
static const dmsc_verifier_t keyed_verifier = {DMSC_SIG_HMAC_SHA256, keyed_verify};

static dmsc_signer_t keyed_signer(void)
{
    static dmsc_namebuf_t key_name;
    assert_rc(dmsc_namebuf_from_uri(&key_name, TEST_KEY_NAME), 0);
    dmsc_signer_t s = {DMSC_SIG_HMAC_SHA256, 32, DMSC_KEYLOC_NAME, key_name.name, {0}, keyed_sign};
    return s;
}

static dmsc_signer_t const_signer(const char *hex)
{
    const_sig_len = unhex(hex, const_sig);
    dmsc_signer_t s = {DMSC_SIG_SHA256, DMSC_SIG_MAX_LEN, DMSC_KEYLOC_NONE, {0}, {0}, const_sign};
    return s;
}

#endif
