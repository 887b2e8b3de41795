/* Interest and InterestSignatureInfo codec tests.
 * Vectors marked "ndn-cxx" are the wire encodings from ndn-cxx's
 * tests/unit/interest.t.cpp (an independent v0.3 implementation), so passing
 * them shows byte-level agreement with it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "ndn/interest.h"

#define TEST_KEY "test-secret"
#define TEST_KEY_NAME "/key/KEY/1"
#define TEST_FLIP_BYTE 5
#define TEST_FLIP_MASK 0x10
#include "test_pkt_util.h"

static uint8_t in[BUFSZ], buf[BUFSZ], buf2[BUFSZ];
static dmsc_interest_t it, it2;
static dmsc_namebuf_t nb, nb2;

static int decode_hex(dmsc_interest_t *i, const char *hex)
{
    size_t n = unhex(hex, in);
    return dmsc_interest_decode(i, in, n, DMSC_TLV_DGRAM_MAX);
}

/* Decode an Interest whose TLV-VALUE is given in hex (the outer header is
 * computed here, so hand-written vectors cannot get their length wrong). */
static int decode_v(dmsc_interest_t *i, const char *value_hex)
{
    uint8_t v[BUFSZ];
    size_t n = unhex(value_hex, v), h = 0;
    in[h++] = DMSC_TT_INTEREST;
    if (n < 253) {
        in[h++] = (uint8_t)n;
    } else {
        in[h++] = 0xfd;
        in[h++] = (uint8_t)(n >> 8);
        in[h++] = (uint8_t)n;
    }
    memcpy(in + h, v, n);
    return dmsc_interest_decode(i, in, h + n, DMSC_TLV_DGRAM_MAX);
}

static void set_name(dmsc_interest_t *i, const char *uri)
{
    assert_rc(dmsc_namebuf_from_uri(&nb, uri), 0);
    i->name = nb.name;
}

static void assert_name(const dmsc_name_t *n, const char *uri)
{
    char s[4096];
    assert_true(dmsc_name_to_uri(n, DMSC_URI_CANONICAL, s, sizeof s) >= 0);
    assert_string_equal(s, uri);
}

static void assert_slice_hex(dmsc_slice_t s, const char *hex)
{
    uint8_t want[BUFSZ];
    size_t n = unhex(hex, want);
    assert_int_equal(s.n, n);
    if (n) assert_memory_equal(s.p, want, n);
}

/* ---- ndn-cxx vectors ---- */

static const char BASIC[] = "051c 0714(0805 6c6f63616c 0803 6e646e 0806 707265666978)"
                            "0a04 01020304";

static void test_basic(void **state)
{
    assert_rc(decode_hex(&it, BASIC), 0);
    assert_name(&it.name, "/local/ndn/prefix");
    assert_false(it.can_be_prefix);
    assert_false(it.must_be_fresh);
    assert_false(it.has_fwhint);
    assert_true(it.has_nonce);
    assert_int_equal(it.nonce, 0x01020304);
    assert_false(it.has_lifetime);
    assert_int_equal(it.lifetime, DMSC_INTEREST_LIFETIME_DEFAULT);
    assert_false(it.has_hop_limit);
    assert_false(it.has_app_params);
    assert_false(it.is_signed);
    assert_int_equal(it.params_digest_idx, -1);
    assert_int_equal(it.params_portion.n, 0);
    assert_ptr_equal(it.wire.p, in);
    assert_int_equal(it.wire.n, 0x1e);

    dmsc_interest_t b;
    dmsc_interest_init(&b);
    set_name(&b, "/local/ndn/prefix");
    b.has_nonce = true;
    b.nonce = 0x01020304;
    dmsc_slice_t out;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, BASIC);
    assert_ptr_equal(out.p + out.n, buf + sizeof buf);
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), DMSC_EMISSING);
}

/* The ParametersSha256DigestComponent example: SHA-256 of 2404C0C1C2C3. */
static const char WITH_PARAMS[] =
    "0544 0736(0805 6c6f63616c 0803 6e646e 0806 707265666978"
    "  0220 ff9100e04eaadcf30674d98026a051ba25f56b69bfa026dcccd72c6ea0f7315a)"
    "0a04 00000001 2404 c0c1c2c3";

static void test_with_parameters(void **state)
{
    uint8_t params[] = {0xc0, 0xc1, 0xc2, 0xc3};
    dmsc_interest_t b;
    dmsc_interest_init(&b);
    set_name(&b, "/local/ndn/prefix");
    b.has_nonce = true;
    b.nonce = 1;
    b.has_app_params = true;
    b.app_params = dmsc_slice(params, sizeof params);
    dmsc_slice_t out;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, WITH_PARAMS);

    /* a placeholder digest component is replaced in place */
    set_name(&b,
             "/local/params-sha256=0000000000000000000000000000000000000000000000000000000000000000"
             "/ndn/prefix");
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_int_equal(it.params_digest_idx, 1);
    assert_name(&it.name,
                "/local/params-sha256="
                "ff9100e04eaadcf30674d98026a051ba25f56b69bfa026dcccd72c6ea0f7315a/ndn/prefix");

    assert_rc(decode_hex(&it, WITH_PARAMS), 0);
    assert_name(&it.name,
                "/local/ndn/prefix/"
                "params-sha256=ff9100e04eaadcf30674d98026a051ba25f56b69bfa026dcccd72c6ea0f7315a");
    assert_true(it.has_app_params);
    assert_slice_hex(it.app_params, "c0c1c2c3");
    assert_int_equal(it.params_digest_idx, 3);
    assert_slice_hex(it.params_portion, "2404c0c1c2c3");
    assert_false(it.is_signed);
    assert_int_equal(it.nonce, 1);
}

static const char FULL[] =
    "0556 0736(0805 6c6f63616c 0803 6e646e 0806 707265666978"
    "  0220 ff9100e04eaadcf30674d98026a051ba25f56b69bfa026dcccd72c6ea0f7315a)"
    "2100 1200 1e05(0703 080148) 0a04 4c1ecb4a 0c02 76a1 2201 dc 2404 c0c1c2c3";

static void test_full(void **state)
{
    uint8_t params[] = {0xc0, 0xc1, 0xc2, 0xc3};
    uint8_t fh[64];
    dmsc_interest_t b;
    dmsc_interest_init(&b);
    assert_rc(dmsc_namebuf_from_uri(&nb2, "/H"), 0);
    assert_rc(dmsc_fwhint_build(&nb2.name, 1, fh, sizeof fh, &b.fwhint), 0);
    b.has_fwhint = true;
    set_name(&b, "/local/ndn/prefix");
    b.can_be_prefix = b.must_be_fresh = true;
    b.has_nonce = true;
    b.nonce = 0x4c1ecb4a;
    b.has_lifetime = true;
    b.lifetime = 30369;
    b.has_hop_limit = true;
    b.hop_limit = 220;
    b.has_app_params = true;
    b.app_params = dmsc_slice(params, sizeof params);
    dmsc_slice_t out;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, FULL);

    assert_rc(decode_hex(&it, FULL), 0);
    assert_true(it.can_be_prefix);
    assert_true(it.must_be_fresh);
    assert_true(it.has_fwhint);
    assert_int_equal(it.fwhint_count, 1);
    dmsc_fwhint_iter_t fi;
    dmsc_name_t fn;
    dmsc_fwhint_iter_init(&fi, &it);
    assert_int_equal(dmsc_fwhint_next(&fi, &fn), 1);
    assert_name(&fn, "/H");
    assert_int_equal(dmsc_fwhint_next(&fi, &fn), 0);
    assert_int_equal(it.nonce, 0x4c1ecb4a);
    assert_true(it.has_lifetime);
    assert_int_equal(it.lifetime, 30369);
    assert_true(it.has_hop_limit);
    assert_int_equal(it.hop_limit, 220);
    assert_slice_hex(it.app_params, "c0c1c2c3");

    /* decode -> encode from the fields gives the same bytes */
    it.params_portion.n = 0;
    assert_rc(dmsc_interest_encode(&it, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, FULL);
}

static const char SIGNED[] =
    "0577 0736(0805 6c6f63616c 0803 6e646e 0806 707265666978"
    "  0220 6f29586053ee9fccd8a422122925287c0a18435f4074c40abb0d5b30e4aa6220)"
    "1200 0a04 4c1ecb4a 2404 c0c1c2c3"
    "2c0d(1b01 00 2608 0102030405060708)"
    "2e20 12471ae0f8723ac1156c370a38711ebebf2817de9b2dd94e9b7e62f117b876c1";
static const char SIGNED_SIG[] = "12471ae0f8723ac1156c370a38711ebebf2817de9b2dd94e9b7e62f117b876c1";

static void test_signed_vector(void **state)
{
    assert_rc(decode_hex(&it, SIGNED), 0);
    assert_name(&it.name,
                "/local/ndn/prefix/"
                "params-sha256=6f29586053ee9fccd8a422122925287c0a18435f4074c40abb0d5b30e4aa6220");
    assert_true(it.must_be_fresh);
    assert_true(it.is_signed);
    assert_int_equal(it.sig_info.type, DMSC_SIG_SHA256);
    assert_int_equal(it.sig_info.keyloc_kind, DMSC_KEYLOC_NONE);
    assert_true(it.sig_info.has_nonce);
    assert_slice_hex(it.sig_info.nonce, "0102030405060708");
    assert_false(it.sig_info.has_time);
    assert_false(it.sig_info.has_seq_num);
    assert_slice_hex(it.sig_info.wire, "2c0d 1b0100 2608 0102030405060708");
    assert_slice_hex(it.sig_value, SIGNED_SIG);
    /* signed portion: name components without the digest, then AppParams..ISigInfo */
    assert_slice_hex(it.signed_parts[0], "0805 6c6f63616c 0803 6e646e 0806 707265666978");
    assert_slice_hex(it.signed_parts[1], "2404 c0c1c2c3 2c0d 1b0100 2608 0102030405060708");
    /* the vector's signature value is arbitrary, so DigestSha256 rejects it */
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), DMSC_ESIG);
    assert_rc(dmsc_interest_verify(&it, &keyed_verifier), DMSC_ESIGTYPE);

    /* re-encode: pass-through, and from the fields with the signature given */
    dmsc_slice_t out;
    assert_rc(dmsc_interest_encode(&it, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, SIGNED);
    it.params_portion.n = 0;
    assert_rc(dmsc_interest_encode(&it, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, SIGNED);
    it.sig_info.wire.n = 0;
    assert_rc(dmsc_interest_encode(&it, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, SIGNED);

    /* the signing path lays the packet out byte for byte like ndn-cxx */
    uint8_t params[] = {0xc0, 0xc1, 0xc2, 0xc3}, snonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    dmsc_interest_t b;
    dmsc_interest_init(&b);
    set_name(&b, "/local/ndn/prefix");
    b.must_be_fresh = true;
    b.has_nonce = true;
    b.nonce = 0x4c1ecb4a;
    b.has_app_params = true;
    b.app_params = dmsc_slice(params, sizeof params);
    b.sig_info.has_nonce = true;
    b.sig_info.nonce = dmsc_slice(snonce, sizeof snonce);
    dmsc_signer_t cs = const_signer(SIGNED_SIG);
    assert_rc(dmsc_interest_encode(&b, &cs, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, SIGNED);
}

/* Unknown non-critical elements inside the parameters portion: type 510
 * between ApplicationParameters and the signature (signed), 512 after it. */
static const char SIGNED_APP_ELEMENTS[] =
    "058f 0736(0805 6c6f63616c 0803 6e646e 0806 707265666978"
    "  0220 bc3630a4d65e0db5483dfa0d28b3312fcac1d441ec8961d4175e61751778108e)"
    "1200 0a04 4c1ecb4a 2404 c0c1c2c3 fd01fe08 1020304050607080"
    "2c0d(1b01 00 2608 0102030405060708)"
    "2e20 12471ae0f8723ac1156c370a38711ebebf2817de9b2dd94e9b7e62f117b876c1"
    "fd020008 1122334455667788";

static void test_signed_app_elements(void **state)
{
    assert_rc(decode_hex(&it, SIGNED_APP_ELEMENTS), 0);
    assert_true(it.is_signed);
    assert_slice_hex(it.signed_parts[1], "2404 c0c1c2c3 fd01fe08 1020304050607080"
                                         "2c0d 1b0100 2608 0102030405060708");
    assert_int_equal(it.params_portion.n, 6 + 12 + 15 + 34 + 12);
    /* pass-through keeps the unknown elements, so the digest still matches */
    dmsc_slice_t out;
    assert_rc(dmsc_interest_encode(&it, NULL, buf, sizeof buf, &out), 0);
    assert_slice_hex(out, SIGNED_APP_ELEMENTS);
}

/* ndn-cxx decode vectors: FC00 is an unknown non-critical element, the
 * ForwardingHint uses the legacy Delegation form. */
static void test_decode_ndncxx(void **state)
{
    assert_rc(decode_hex(&it, "0505 0703(080149)"), 0);
    assert_name(&it.name, "/I");
    assert_false(it.has_nonce);

    assert_rc(decode_hex(&it, "0507 0703(080149) 2100"), 0);
    assert_true(it.can_be_prefix);
    assert_false(it.must_be_fresh);

    assert_rc(decode_hex(&it, "0531 0703(080149) FC00 2100 FC00 1200 FC00 1E0B(1F09 1E023E15 "
                              "0703080148) FC00 0A044ACB1E4C FC00 0C0276A1 FC00 2201D6 FC00"),
              0);
    assert_true(it.can_be_prefix);
    assert_true(it.must_be_fresh);
    assert_int_equal(it.fwhint_count, 1);
    dmsc_fwhint_iter_t fi;
    dmsc_name_t fn;
    dmsc_fwhint_iter_init(&fi, &it);
    assert_int_equal(dmsc_fwhint_next(&fi, &fn), 1);
    assert_name(&fn, "/H");
    assert_int_equal(dmsc_fwhint_next(&fi, &fn), 0);
    assert_int_equal(it.nonce, 0x4acb1e4c);
    assert_int_equal(it.lifetime, 30369);
    assert_int_equal(it.hop_limit, 214);
    assert_false(it.has_app_params);

    assert_rc(decode_hex(&it,
                         "055B 0725(080149 "
                         "0220F16DB273F40436A852063F864D5072B01EAD53151F5A688EA1560492BEBEDD05) "
                         "FC00 2100 FC00 1200 FC00 1E0B(1F09 1E023E15 0703080148) FC00 "
                         "0A044ACB1E4C FC00 0C0276A1 FC00 2201D6 FC00 2404C0C1C2C3 FC00"),
              0);
    assert_slice_hex(it.app_params, "c0c1c2c3");
    assert_slice_hex(it.params_portion, "2404C0C1C2C3 FC00");
    assert_int_equal(it.params_digest_idx, 1);
}

/* ---- decode errors ---- */

static void test_decode_order_and_dup(void **state)
{
    /* ndn-cxx CriticalElementOutOfOrder */
    static const char *const order[] = {
        "0529 2100 0703080149 1200 1E0B(1F09 1E023E15 0703080148) 0A044ACB1E4C 0C0276A1 2201D6 "
        "2404C0C1C2C3",
        "0529 0703080149 1200 2100 1E0B(1F09 1E023E15 0703080148) 0A044ACB1E4C 0C0276A1 2201D6 "
        "2404C0C1C2C3",
        "0529 0703080149 2100 1E0B(1F09 1E023E15 0703080148) 1200 0A044ACB1E4C 0C0276A1 2201D6 "
        "2404C0C1C2C3",
        "0529 0703080149 2100 1200 0A044ACB1E4C 1E0B(1F09 1E023E15 0703080148) 0C0276A1 2201D6 "
        "2404C0C1C2C3",
        "0529 0703080149 2100 1200 1E0B(1F09 1E023E15 0703080148) 0C0276A1 0A044ACB1E4C 2201D6 "
        "2404C0C1C2C3",
        "0529 0703080149 2100 1200 1E0B(1F09 1E023E15 0703080148) 0A044ACB1E4C 2201D6 0C0276A1 "
        "2404C0C1C2C3",
    };
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        assert_rc(decode_hex(&it, order[k]), DMSC_EORDER);

    /* repeated elements (ndn-cxx ignores a repeated HopLimit or
     * ApplicationParameters; NDNts rejects them, as we do) */
    assert_rc(decode_v(&it, "0703080149 2100 2100"), DMSC_EDUP);
    assert_rc(decode_v(&it, "0703080149 0A0401020304 0A0401020304"), DMSC_EDUP);
    assert_rc(decode_v(&it, "0703080149 0C0101 0C0102"), DMSC_EDUP);
    assert_rc(decode_hex(&it,
                         "0536 0725(080149 "
                         "0220FF9100E04EAADCF30674D98026A051BA25F56B69BFA026DCCCD72C6EA0F7315A)"
                         "2201D6 2200 2404C0C1C2C3 22020101"),
              DMSC_EDUP);
    assert_rc(decode_hex(&it,
                         "0541 0725(080149 "
                         "0220FF9100E04EAADCF30674D98026A051BA25F56B69BFA026DCCCD72C6EA0F7315A)"
                         "2100 1200 0A044ACB1E4C 0C0276A1 2201D6 2404C0C1C2C3 2401EE"),
              DMSC_EDUP);
    assert_rc(decode_v(&it, "0703080149 1E05(0703080148) 1E00"), DMSC_EDUP);
    assert_rc(decode_v(&it, "0703080149 0703080149"), DMSC_EDUP); /* second Name */
}

/* A known non-critical element out of order is ignored (spec, ndn-cxx,
 * NDNts); it still counts for the parameters digest. */
static void test_noncritical_out_of_order(void **state)
{
    /* Name(/I + digest) HopLimit=5 AppParams HopLimit=9: second one ignored */
    uint8_t p[64];
    size_t n = unhex("2404C0C1C2C3 220109", p);
    uint8_t d[DMSC_SHA256_LEN];
    dmsc_sha256_buf(p, n, d);
    size_t len = 0;
    in[len++] = 0x05;
    in[len++] = (uint8_t)(2 + 3 + 34 + 3 + n);
    in[len++] = 0x07;
    in[len++] = 3 + 34;
    len += unhex("080149 0220", in + len);
    memcpy(in + len, d, sizeof d);
    len += sizeof d;
    len += unhex("220105", in + len);
    memcpy(in + len, p, n);
    len += n;
    assert_rc(dmsc_interest_decode(&it, in, len, DMSC_TLV_DGRAM_MAX), 0);
    assert_int_equal(it.hop_limit, 5);
    assert_slice_hex(it.params_portion, "2404C0C1C2C3 220109");

    /* InterestSignatureInfo after InterestSignatureValue: ignored, so the
     * value has no info -> missing */
    assert_rc(decode_v(&it, "0703080149 2400 2E00 2C03 1B0100"), DMSC_EMISSING);
}

static void test_decode_missing_and_bad(void **state)
{
    assert_rc(decode_hex(&it, "0500"), DMSC_EMISSING);
    assert_rc(decode_hex(&it, "0502 1200"), DMSC_EMISSING);
    assert_rc(decode_hex(&it, "0507 FC00 0703080149"), DMSC_EORDER); /* non-critical before Name */
    assert_rc(decode_hex(&it, "0502 FC00"), DMSC_EMISSING);
    assert_rc(decode_v(&it, "FC00 07"), DMSC_ETRUNC);
    assert_rc(decode_hex(&it, "0502 0700"), DMSC_EVALUE); /* zero components */
    assert_rc(decode_hex(&it, "0507 0703080149 FB00"), DMSC_ECRITICAL);
    assert_rc(decode_hex(&it, "0510 0703080149 09030D0101 0A0401000000"),
              DMSC_ECRITICAL); /* v0.2 */
    assert_rc(decode_hex(&it, "0507 0703080149 1F00"), DMSC_ECRITICAL);
    assert_rc(decode_hex(&it, "0508 0703080149 210102"), DMSC_EVALUE);
    assert_rc(decode_hex(&it, "0508 0703080149 120102"), DMSC_EVALUE);
    assert_rc(decode_hex(&it, "0507 0703080149 0A00"), DMSC_EVALUE);
    assert_rc(decode_hex(&it, "050A 0703080149 0A0304C263"), DMSC_EVALUE);
    assert_rc(decode_hex(&it, "050C 0703080149 0A05EFA420B262"), DMSC_EVALUE);
    assert_rc(decode_hex(&it, "0507 0703080149 2200"), DMSC_EVALUE);
    assert_rc(decode_hex(&it, "0509 0703080149 22021356"), DMSC_EVALUE);
    assert_rc(decode_hex(&it, "0507 0703080149 0C00"), DMSC_ENNI);
    assert_rc(decode_hex(&it, "050A 0703080149 0C03010203"), DMSC_ENNI);
    assert_rc(decode_v(&it, "0703080149 0C08 0000000100000000"), 0);
    assert_true(it.lifetime == 0x100000000ull);
    assert_rc(decode_hex(&it, "0508 0703080149 0C0100"), 0);
    assert_true(it.has_lifetime);
    assert_int_equal(it.lifetime, 0);
    assert_rc(decode_hex(&it, "0508 0703080149 220100"), 0); /* HopLimit 0 decodes */
    assert_true(it.has_hop_limit);
    assert_int_equal(it.hop_limit, 0);
    /* bad names */
    assert_rc(decode_hex(&it, "0504 0702 0000"), DMSC_ECOMPTYPE);
    assert_rc(decode_hex(&it, "0505 0703 010100"), DMSC_EVALUE); /* 1-byte implicit digest */
    assert_rc(decode_hex(&it, "0505 0703 080249"), DMSC_ETRUNC);
    assert_rc(decode_hex(&it, "0504 0703 0801"), DMSC_ETRUNC);
}

static void test_decode_framing(void **state)
{
    size_t n = unhex(BASIC, in);
    assert_rc(dmsc_interest_decode(&it, in, 0, DMSC_TLV_DGRAM_MAX), DMSC_ETRUNC);
    assert_rc(dmsc_interest_decode(&it, in, n, n), 0);
    assert_rc(dmsc_interest_decode(&it, in, n, n - 1), DMSC_ETOOBIG);
    in[n] = 0;
    assert_rc(dmsc_interest_decode(&it, in, n + 1, DMSC_TLV_DGRAM_MAX), DMSC_ETRAILING);
    in[0] = 0x06;
    assert_rc(dmsc_interest_decode(&it, in, n, DMSC_TLV_DGRAM_MAX), DMSC_ETYPE);
    assert_rc(decode_hex(&it, "00 05 0703080149"), DMSC_EVARNUM); /* TLV-TYPE 0 */
    assert_rc(decode_hex(&it, "05FD"), DMSC_ETRUNC);
    assert_rc(decode_hex(&it, "05FD0005 0703080149"), 0); /* non-minimal length is accepted */
    /* a large packet passes with a large ceiling: Name + a 10000-byte
     * non-critical element (TLV-TYPE 252) */
    static uint8_t large[16000];
    size_t vlen = 5 + 6 + 10000, len = 0;
    large[len++] = 0x05;
    large[len++] = 0xfd;
    large[len++] = (uint8_t)(vlen >> 8);
    large[len++] = (uint8_t)vlen;
    len += unhex("0703080149 FD00FC FD2710", large + len);
    memset(large + len, 0xab, 10000);
    len += 10000;
    assert_int_equal(len, 4 + vlen);
    assert_rc(dmsc_interest_decode(&it, large, len, DMSC_TLV_DGRAM_MAX), DMSC_ETOOBIG);
    assert_rc(dmsc_interest_decode(&it, large, len, DMSC_TLV_MAX_PACKET), 0);
}

static void test_decode_params_digest(void **state)
{
    /* ndn-cxx BadParametersDigest */
    assert_rc(decode_hex(&it, "0509 0703(080149) 2402CAFE"), DMSC_EDIGEST);
    assert_rc(decode_hex(&it,
                         "0527 0725(080149 "
                         "0220E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855)"),
              DMSC_EDIGEST);
    assert_rc(decode_hex(&it,
                         "052B 0725(080149 "
                         "02200000000000000000000000000000000000000000000000000000000000000000) "
                         "2402CAFE"),
              DMSC_EDIGEST);
    /* two digest components */
    assert_rc(decode_hex(&it,
                         "054C 074A(080149"
                         "02200000000000000000000000000000000000000000000000000000000000000000"
                         "080132"
                         "02200000000000000000000000000000000000000000000000000000000000000000)"),
              DMSC_EDIGEST);
    /* empty ApplicationParameters: digest of 2400 */
    uint8_t d[DMSC_SHA256_LEN], e2400[] = {0x24, 0x00};
    dmsc_sha256_buf(e2400, 2, d);
    size_t len = unhex("0529 0725 080149 0220", in);
    memcpy(in + len, d, sizeof d);
    len += sizeof d;
    len += unhex("2400", in + len);
    assert_rc(dmsc_interest_decode(&it, in, len, DMSC_TLV_DGRAM_MAX), 0);
    assert_true(it.has_app_params);
    assert_int_equal(it.app_params.n, 0);
    in[12] ^= 1; /* one bit of the digest */
    assert_rc(dmsc_interest_decode(&it, in, len, DMSC_TLV_DGRAM_MAX), DMSC_EDIGEST);
}

static void test_decode_fwhint(void **state)
{
    assert_rc(decode_hex(&it, "0507 0703080149 1E00"), DMSC_EMISSING);
    assert_rc(decode_hex(&it, "0509 0703080149 1E02 FC00"), DMSC_EMISSING);
    assert_rc(decode_hex(&it, "0509 0703080149 1E02 0900"), DMSC_ECRITICAL);
    assert_rc(decode_hex(&it, "050B 0703080149 1E04 0702 0000"), DMSC_ECOMPTYPE);
    assert_rc(decode_hex(&it, "050B 0703080149 1E04 0703 0801"), DMSC_ETRUNC);
    assert_rc(decode_hex(&it, "0509 0703080149 1E02 1F00"),
              DMSC_EMISSING); /* Delegation w/o Name */
    assert_rc(decode_v(&it, "0703080149 1E05 1F03 1E0101"), DMSC_EMISSING);
    assert_rc(decode_hex(&it, "050E 0703080149 1E07 1F05 1E03010203"), DMSC_ENNI);
    assert_rc(decode_hex(&it, "050D 0703080149 1E06 1F04 0700 0700"), DMSC_EDUP);
    assert_rc(decode_hex(&it, "050D 0703080149 1E06 1F04 0700 0900"), DMSC_ECRITICAL);
    /* three delegations, one legacy, unknown non-critical ignored */
    assert_rc(decode_v(&it, "0703080149 1E1A(0703080141 FC00 1F09(1E0101 FC00 0702 0800) "
                            "0706 080142 080143)"),
              0);
    assert_int_equal(it.fwhint_count, 3);
    static const char *const want[] = {"/A", "/...", "/B/C"};
    dmsc_fwhint_iter_t fi;
    dmsc_name_t fn;
    dmsc_fwhint_iter_init(&fi, &it);
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(dmsc_fwhint_next(&fi, &fn), 1);
        assert_name(&fn, want[k]);
    }
    assert_int_equal(dmsc_fwhint_next(&fi, &fn), 0);
    assert_int_equal(dmsc_fwhint_next(&fi, &fn), 0);

    /* build: several names, and the error cases */
    dmsc_namebuf_t a, b;
    uint8_t fh[64];
    dmsc_slice_t s;
    assert_rc(dmsc_namebuf_from_uri(&a, "/A"), 0);
    assert_rc(dmsc_namebuf_from_uri(&b, "/B/C"), 0);
    dmsc_name_t names[2] = {a.name, b.name};
    assert_rc(dmsc_fwhint_build(names, 2, fh, sizeof fh, &s), 0);
    assert_slice_hex(s, "0703080141 0706080142080143");
    assert_rc(dmsc_fwhint_build(names, 0, fh, sizeof fh, &s), DMSC_EINVAL);
    assert_rc(dmsc_fwhint_build(names, 2, fh, 12, &s), DMSC_ENOBUFS);
    assert_rc(dmsc_fwhint_build(names, 2, fh, 13, &s), 0);
}

static void test_decode_signature_elements(void **state)
{
    /* signature without ApplicationParameters (in a Name without digest) */
    assert_rc(decode_hex(&it, "050C 0703080149 2C03 1B0100 2E00"), DMSC_EMISSING);
    /* InterestSignatureInfo without value and the other way round; digest
     * is right in each (it covers 2400 and what follows) */
    static const char *const tails[] = {"2400 2C031B0100", "2400 2E00"};
    for (size_t k = 0; k < 2; k++) {
        uint8_t p[32], d[DMSC_SHA256_LEN];
        size_t n = unhex(tails[k], p), len = 0;
        dmsc_sha256_buf(p, n, d);
        in[len++] = 0x05;
        in[len++] = (uint8_t)(2 + 37 + n);
        len += unhex("0725 080149 0220", in + len);
        memcpy(in + len, d, sizeof d);
        len += sizeof d;
        memcpy(in + len, p, n);
        len += n;
        assert_rc(dmsc_interest_decode(&it, in, len, DMSC_TLV_DGRAM_MAX), DMSC_EMISSING);
    }

    /* a signed Interest whose digest component is not last */
    dmsc_interest_t b;
    dmsc_slice_t out;
    dmsc_interest_init(&b);
    set_name(&b, "/A/B");
    assert_rc(dmsc_interest_encode(&b, &sha_signer, buf, sizeof buf, &out), 0);
    memcpy(in, out.p, out.n);
    /* swap the last two components: /A/<digest>/B (lengths unchanged) */
    size_t name_at = 4, a_len = 3, b_len = 3;
    uint8_t tmp[64];
    memcpy(tmp, in + name_at + a_len + b_len, 34);
    memmove(in + name_at + a_len + 34, in + name_at + a_len, b_len);
    memcpy(in + name_at + a_len, tmp, 34);
    assert_rc(dmsc_interest_decode(&it, in, out.n, DMSC_TLV_DGRAM_MAX), DMSC_EDIGEST);

    /* InterestSignatureInfo errors surface */
    static const char *const bad_si[] = {"2C00", "2C02 1C00", "2C05 1B0100 8300",
                                         "2C05 1B0100 2600"};
    static const int want[] = {DMSC_EMISSING, DMSC_EMISSING, DMSC_ECRITICAL, DMSC_EVALUE};
    for (size_t k = 0; k < 4; k++) {
        uint8_t p[32], d[DMSC_SHA256_LEN];
        size_t n = unhex("2400", p), len = 0;
        n += unhex(bad_si[k], p + n);
        n += unhex("2E00", p + n);
        dmsc_sha256_buf(p, n, d);
        in[len++] = 0x05;
        in[len++] = (uint8_t)(2 + 37 + n);
        len += unhex("0725 080149 0220", in + len);
        memcpy(in + len, d, sizeof d);
        len += sizeof d;
        memcpy(in + len, p, n);
        len += n;
        assert_rc(dmsc_interest_decode(&it, in, len, DMSC_TLV_DGRAM_MAX), want[k]);
    }
}

/* ---- signing ---- */

static void test_sign_verify(void **state)
{
    uint8_t params[] = "hello";
    uint8_t snonce[] = {9, 8, 7, 6, 5, 4, 3, 2};
    dmsc_interest_t b;
    dmsc_slice_t out;
    dmsc_interest_init(&b);
    set_name(&b, "/svc/echo");
    b.has_nonce = true;
    b.nonce = 0xdeadbeef;
    b.has_app_params = true;
    b.app_params = dmsc_slice(params, 5);
    b.sig_info.has_nonce = true;
    b.sig_info.nonce = dmsc_slice(snonce, sizeof snonce);
    b.sig_info.has_time = true;
    b.sig_info.time = 1700000000123ull;
    b.sig_info.has_seq_num = true;
    b.sig_info.seq_num = 42;

    dmsc_signer_t ks = keyed_signer();
    assert_rc(dmsc_interest_encode(&b, &ks, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_true(it.is_signed);
    assert_int_equal(it.sig_info.type, DMSC_SIG_HMAC_SHA256);
    assert_int_equal(it.sig_info.keyloc_kind, DMSC_KEYLOC_NAME);
    assert_name(&it.sig_info.keyloc_name, "/key/KEY/1");
    assert_slice_hex(it.sig_info.nonce, "0908070605040302");
    assert_true(it.sig_info.time == 1700000000123ull);
    assert_int_equal(it.sig_info.seq_num, 42);
    assert_int_equal(it.params_digest_idx, 2);
    assert_int_equal(it.sig_value.n, 32);
    assert_rc(dmsc_interest_verify(&it, &keyed_verifier), 0);
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), DMSC_ESIGTYPE);

    /* a changed name component breaks the signature but not the digest */
    memcpy(in, out.p, out.n);
    in[6] ^= 0x20; /* 's' of "svc" */
    assert_rc(dmsc_interest_decode(&it2, in, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_rc(dmsc_interest_verify(&it2, &keyed_verifier), DMSC_ESIG);
    /* a changed parameter breaks the digest */
    memcpy(in, out.p, out.n);
    uint8_t *h = memmem(in, out.n, "hello", 5);
    assert_non_null(h);
    h[0] = 'j';
    assert_rc(dmsc_interest_decode(&it2, in, out.n, DMSC_TLV_DGRAM_MAX), DMSC_EDIGEST);

    /* the verifier can fail: a signer that flips a bit */
    assert_rc(dmsc_interest_encode(&b, &flip_signer, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), DMSC_ESIG);
    assert_rc(dmsc_interest_encode(&b, &sha_signer, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), 0);

    /* what the signer saw is exactly the spec's signed portion */
    assert_rc(dmsc_interest_encode(&b, &capture_signer, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_int_equal(signed_copy_len, it.signed_parts[0].n + it.signed_parts[1].n);
    assert_memory_equal(signed_copy, it.signed_parts[0].p, it.signed_parts[0].n);
    assert_memory_equal(signed_copy + it.signed_parts[0].n, it.signed_parts[1].p,
                        it.signed_parts[1].n);
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), 0);

    /* a forwarder rewrites Nonce and HopLimit: signature and digest hold */
    it.nonce = 0x11223344;
    it.has_hop_limit = true;
    it.hop_limit = 7;
    assert_rc(dmsc_interest_encode(&it, NULL, buf2, sizeof buf2, &out), 0);
    assert_rc(dmsc_interest_decode(&it2, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_int_equal(it2.nonce, 0x11223344);
    assert_int_equal(it2.hop_limit, 7);
    assert_true(dmsc_name_equal(&it.name, &it2.name));
    assert_rc(dmsc_interest_verify(&it2, &sha_verifier), 0);
}

static void test_sign_name_and_params_forms(void **state)
{
    dmsc_interest_t b;
    dmsc_slice_t out;
    /* no ApplicationParameters: an empty one is added (spec step 2) */
    dmsc_interest_init(&b);
    set_name(&b, "/A");
    assert_rc(dmsc_interest_encode(&b, &sha_signer, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_true(it.has_app_params);
    assert_int_equal(it.app_params.n, 0);
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), 0);

    /* every digest component is removed and one appended last (spec step 1) */
    set_name(&b,
             "/params-sha256=0000000000000000000000000000000000000000000000000000000000000000"
             "/A/params-sha256=1111111111111111111111111111111111111111111111111111111111111111/B");
    assert_rc(dmsc_interest_encode(&b, &capture_signer, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_int_equal(it.name.ncomps, 3);
    assert_int_equal(it.params_digest_idx, 2);
    assert_slice_hex(it.signed_parts[0], "080141 080142");
    assert_rc(dmsc_interest_verify(&it, &sha_verifier), 0);
    assert_int_equal(signed_copy_len, it.signed_parts[0].n + it.signed_parts[1].n);

    /* KeyDigest locator, signature lengths 0 and 80 (the maximum) */
    uint8_t kd[] = {0xaa, 0xbb, 0xcc};
    dmsc_signer_t s = const_signer("");
    s.keyloc_kind = DMSC_KEYLOC_DIGEST;
    s.keyloc_digest = dmsc_slice(kd, sizeof kd);
    set_name(&b, "/A");
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_int_equal(it.sig_info.keyloc_kind, DMSC_KEYLOC_DIGEST);
    assert_slice_hex(it.sig_info.keyloc_digest, "aabbcc");
    assert_int_equal(it.sig_value.n, 0);
    memset(const_sig, 0x5a, DMSC_SIG_MAX_LEN);
    const_sig_len = DMSC_SIG_MAX_LEN;
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
    assert_int_equal(it.sig_value.n, DMSC_SIG_MAX_LEN);
    /* the room reserved for the signature is left unused at the buffer end */
    const_sig_len = 10;
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), 0);
    assert_true(out.p + out.n == buf + sizeof buf - (DMSC_SIG_MAX_LEN - 10));
}

static void test_encode_errors(void **state)
{
    dmsc_interest_t b;
    dmsc_slice_t out;
    uint8_t p[] = {1};
    dmsc_interest_init(&b);
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_EINVAL); /* no comps */
    set_name(&b,
             "/A/params-sha256=0000000000000000000000000000000000000000000000000000000000000000");
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_EDIGEST);
    b.has_app_params = true;
    b.app_params = dmsc_slice(p, 1);
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), 0);
    set_name(&b, "/params-sha256=0000000000000000000000000000000000000000000000000000000000000000"
                 "/params-sha256=0000000000000000000000000000000000000000000000000000000000000000");
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_EDIGEST);
    /* re-encoding a signed Interest whose digest is not last */
    set_name(&b,
             "/params-sha256=0000000000000000000000000000000000000000000000000000000000000000/A");
    b.is_signed = true;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_EDIGEST);
    b.has_app_params = false;
    set_name(&b, "/A");
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_EINVAL);
    b.is_signed = false;
    /* params_portion pass-through needs the one digest component */
    b.params_portion = dmsc_slice(p, 1);
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_EDIGEST);
    b.params_portion = dmsc_slice(NULL, 0);
    b.has_fwhint = true;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_EINVAL);
    b.has_fwhint = false;

    /* signers that misbehave */
    dmsc_signer_t s = sha_signer;
    s.sign = fail_sign;
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), DMSC_EKEY);
    s = const_signer("00");
    s.max_sig_len = DMSC_SIG_MAX_LEN + 1;
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), DMSC_EINVAL);
    s = const_signer("0000");
    s.max_sig_len = 1;
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), DMSC_EINVAL);
    s = sha_signer;
    s.keyloc_kind = 7;
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), DMSC_EINVAL);
    s = sha_signer;
    s.sign = NULL;
    assert_rc(dmsc_interest_encode(&b, &s, buf, sizeof buf, &out), DMSC_EINVAL);
    b.sig_info.has_nonce = true; /* empty SignatureNonce */
    assert_rc(dmsc_interest_encode(&b, &sha_signer, buf, sizeof buf, &out), DMSC_EINVAL);
    b.sig_info.has_nonce = false;

    /* name limits once the digest is appended */
    dmsc_namebuf_init(&nb);
    for (int k = 0; k < DMSC_NAME_MAX_COMPS; k++)
        assert_rc(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, "x", 1), 0);
    b.name = nb.name;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), 0);
    assert_rc(dmsc_interest_encode(&b, &sha_signer, buf, sizeof buf, &out), DMSC_ENAMECOMPS);
    b.has_app_params = true;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_ENAMECOMPS);
    static uint8_t big[DMSC_NAME_MAX_LEN];
    dmsc_namebuf_init(&nb);
    assert_rc(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, big, DMSC_NAME_MAX_LEN - 20), 0);
    b.name = nb.name;
    assert_rc(dmsc_interest_encode(&b, NULL, buf, sizeof buf, &out), DMSC_ENAMELEN);
    assert_rc(dmsc_interest_encode(&b, &sha_signer, buf, sizeof buf, &out), DMSC_ENAMELEN);
}

/* Every capacity below the need fails cleanly; buffers are heap-allocated at
 * the exact size so ASan sees any write past them. */
static void check_caps(const dmsc_interest_t *b, const dmsc_signer_t *s)
{
    size_t need = 0;
    for (size_t cap = 0; cap < 400; cap++) {
        uint8_t *m = malloc(cap ? cap : 1);
        dmsc_slice_t out;
        int rc = dmsc_interest_encode(b, s, m, cap, &out);
        if (rc == 0) {
            if (!need) need = cap;
            assert_true(out.p >= m && out.p + out.n <= m + cap);
            assert_rc(dmsc_interest_decode(&it2, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
        } else {
            assert_rc(rc, DMSC_ENOBUFS);
            assert_int_equal(need, 0); /* no failure once it fits */
        }
        free(m);
    }
    assert_true(need > 0);
}

static void test_encode_capacity(void **state)
{
    uint8_t params[] = {1, 2, 3}, fh[32];
    dmsc_interest_t b;
    dmsc_interest_init(&b);
    set_name(&b, "/A/B");
    check_caps(&b, NULL);
    b.can_be_prefix = b.must_be_fresh = b.has_nonce = b.has_lifetime = b.has_hop_limit = true;
    assert_rc(dmsc_namebuf_from_uri(&nb2, "/H"), 0);
    assert_rc(dmsc_fwhint_build(&nb2.name, 1, fh, sizeof fh, &b.fwhint), 0);
    b.has_fwhint = true;
    b.has_app_params = true;
    b.app_params = dmsc_slice(params, sizeof params);
    check_caps(&b, NULL);
    check_caps(&b, &sha_signer);
    dmsc_signer_t ks = keyed_signer();
    check_caps(&b, &ks);
}

/* dmsc_tlv_read_fast() (tlv.h, used by these codecs) behaves exactly like
 * dmsc_tlv_read() on every two-octet prefix and buffer length. */
static void test_tlv_read_fast(void **state)
{
    uint8_t b[8] = {0};
    for (unsigned t = 0; t < 256; t++) {
        for (unsigned l = 0; l < 256; l++) {
            b[0] = (uint8_t)t;
            b[1] = (uint8_t)l;
            b[2] = 0x01;
            for (size_t n = 0; n <= sizeof b; n++) {
                dmsc_tlv_reader_t r1, r2;
                dmsc_tlv_t e1, e2;
                memset(&e1, 0, sizeof e1);
                memset(&e2, 0, sizeof e2);
                dmsc_tlv_reader_init(&r1, b, n);
                dmsc_tlv_reader_init(&r2, b, n);
                int rc1 = dmsc_tlv_read(&r1, &e1), rc2 = dmsc_tlv_read_fast(&r2, &e2);
                assert_int_equal(rc1, rc2);
                assert_ptr_equal(r1.p, r2.p);
                if (rc1) continue;
                assert_true(e1.type == e2.type && e1.len == e2.len && e1.value == e2.value &&
                            e1.start == e2.start && e1.size == e2.size);
            }
        }
    }
}

/* ---- robustness ---- */

static const char *const GOOD[] = {BASIC, WITH_PARAMS, FULL, SIGNED, SIGNED_APP_ELEMENTS};

static bool at_boundary(const uint8_t *v, size_t vlen, size_t cut)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, vlen);
    size_t off = 0;
    while (off < cut) {
        dmsc_tlv_t t;
        if (dmsc_tlv_read(&r, &t)) return false;
        off += t.size;
    }
    return off == cut;
}

static void test_truncation(void **state)
{
    for (size_t g = 0; g < sizeof GOOD / sizeof GOOD[0]; g++) {
        size_t n = unhex(GOOD[g], in);
        assert_rc(dmsc_interest_decode(&it, in, n, DMSC_TLV_DGRAM_MAX), 0);
        /* cut anywhere: always an error (exact-size heap copy for ASan) */
        for (size_t cut = 0; cut < n; cut++) {
            uint8_t *m = malloc(cut ? cut : 1);
            memcpy(m, in, cut);
            int rc = dmsc_interest_decode(&it, m, cut, DMSC_TLV_DGRAM_MAX);
            if (rc == 0) fail_msg("vector %zu cut at %zu decoded", g, cut);
            free(m);
        }
        /* cut the value and fix the outer length: the inner elements are
         * truncated; success only when the cut falls between elements */
        const uint8_t *v = in + 2;
        size_t vlen = n - 2;
        for (size_t cut = 0; cut < vlen; cut++) {
            uint8_t *m = malloc(cut + 2);
            m[0] = 0x05;
            m[1] = (uint8_t)cut;
            memcpy(m + 2, v, cut);
            int rc = dmsc_interest_decode(&it, m, cut + 2, DMSC_TLV_DGRAM_MAX);
            if (rc == 0 && !at_boundary(v, vlen, cut))
                fail_msg("vector %zu value cut at %zu decoded", g, cut);
            if (rc == 0) {
                assert_ptr_equal(it.wire.p, m);
                assert_true(it.name.value >= m && it.name.value + it.name.len <= m + cut + 2);
            }
            free(m);
        }
    }
}

/* Every byte of every vector replaced by a few values: no crash, and a
 * success is self-consistent (re-encoding it gives bytes that decode). */
static void test_mutation(void **state)
{
    static const uint8_t vals[] = {0x00, 0x01, 0x02, 0x07, 0x1f, 0x20,
                                   0x7f, 0xfc, 0xfd, 0xfe, 0xff};
    for (size_t g = 0; g < sizeof GOOD / sizeof GOOD[0]; g++) {
        size_t n = unhex(GOOD[g], in);
        uint8_t *m = malloc(n);
        for (size_t pos = 0; pos < n; pos++) {
            for (size_t k = 0; k < sizeof vals; k++) {
                memcpy(m, in, n);
                m[pos] = vals[k];
                if (dmsc_interest_decode(&it, m, n, DMSC_TLV_DGRAM_MAX)) continue;
                dmsc_slice_t out;
                assert_rc(dmsc_interest_encode(&it, NULL, buf, sizeof buf, &out), 0);
                assert_rc(dmsc_interest_decode(&it2, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
                assert_true(dmsc_name_equal(&it.name, &it2.name));
            }
        }
        free(m);
    }
}

static void test_roundtrip(void **state)
{
    uint8_t params[300];
    for (size_t k = 0; k < sizeof params; k++)
        params[k] = (uint8_t)k;
    uint8_t fh[64];
    for (int variant = 0; variant < 64; variant++) {
        dmsc_interest_t b;
        dmsc_slice_t out, out2;
        dmsc_interest_init(&b);
        set_name(&b, "/rt/seg=3/v=7");
        b.can_be_prefix = variant & 1;
        b.must_be_fresh = variant & 2;
        b.has_nonce = variant & 4;
        b.nonce = 0x80000001u;
        b.has_lifetime = variant & 8;
        b.lifetime = variant * 1000;
        b.has_hop_limit = variant & 16;
        b.hop_limit = 255;
        b.has_app_params = variant & 32;
        b.app_params = dmsc_slice(params, (size_t)variant * 4);
        if (variant % 3 == 0) {
            assert_rc(dmsc_namebuf_from_uri(&nb2, "/fh/node"), 0);
            assert_rc(dmsc_fwhint_build(&nb2.name, 1, fh, sizeof fh, &b.fwhint), 0);
            b.has_fwhint = true;
        }
        const dmsc_signer_t *s = variant % 5 == 0 ? &sha_signer : NULL;
        assert_rc(dmsc_interest_encode(&b, s, buf, sizeof buf, &out), 0);
        assert_rc(dmsc_interest_decode(&it, out.p, out.n, DMSC_TLV_DGRAM_MAX), 0);
        assert_int_equal(it.can_be_prefix, b.can_be_prefix);
        assert_int_equal(it.must_be_fresh, b.must_be_fresh);
        assert_int_equal(it.has_nonce, b.has_nonce);
        assert_int_equal(it.has_lifetime, b.has_lifetime);
        assert_int_equal(it.lifetime, b.has_lifetime ? b.lifetime : DMSC_INTEREST_LIFETIME_DEFAULT);
        assert_int_equal(it.has_hop_limit, b.has_hop_limit);
        assert_int_equal(it.has_fwhint, b.has_fwhint);
        assert_int_equal(it.is_signed, s != NULL);
        assert_int_equal(it.has_app_params, b.has_app_params || s);
        if (b.has_app_params) assert_true(dmsc_slice_eq(it.app_params, b.app_params));
        if (s) assert_rc(dmsc_interest_verify(&it, &sha_verifier), 0);
        /* encode the decoded one again, both ways: identical bytes */
        assert_rc(dmsc_interest_encode(&it, NULL, buf2, sizeof buf2, &out2), 0);
        assert_true(dmsc_slice_eq(out, out2));
        it.params_portion.n = 0;
        it.sig_info.wire.n = 0;
        assert_rc(dmsc_interest_encode(&it, NULL, buf2, sizeof buf2, &out2), 0);
        assert_true(dmsc_slice_eq(out, out2));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_with_parameters),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_signed_vector),
        cmocka_unit_test(test_signed_app_elements),
        cmocka_unit_test(test_decode_ndncxx),
        cmocka_unit_test(test_decode_order_and_dup),
        cmocka_unit_test(test_noncritical_out_of_order),
        cmocka_unit_test(test_decode_missing_and_bad),
        cmocka_unit_test(test_decode_framing),
        cmocka_unit_test(test_decode_params_digest),
        cmocka_unit_test(test_decode_fwhint),
        cmocka_unit_test(test_decode_signature_elements),
        cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_sign_name_and_params_forms),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_encode_capacity),
        cmocka_unit_test(test_tlv_read_fast),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_mutation),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
