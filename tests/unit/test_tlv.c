#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ndn/tlv.h"

static void test_varnum_forms(void **state)
{
    static const struct {
        uint8_t in[9];
        size_t n;
        uint64_t v;
    } cases[] = {
        {{0x00}, 1, 0},
        {{0xfc}, 1, 252},
        {{0xfd, 0x00, 0xfd}, 3, 253},
        {{0xfd, 0xff, 0xff}, 3, 65535},
        {{0xfe, 0x00, 0x01, 0x00, 0x00}, 5, 65536},
        {{0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}, 9, 0x100000000ull},
        {{0xfd, 0x00, 0x01}, 3, 1}, /* non-minimal: accepted */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const uint8_t *p = cases[i].in;
        uint64_t v;
        assert_int_equal(dmsc_varnum_read(&p, cases[i].in + cases[i].n, &v), 0);
        assert_true(v == cases[i].v);
        assert_ptr_equal(p, cases[i].in + cases[i].n);
        /* every shorter buffer is truncated */
        for (size_t k = 0; k < cases[i].n; k++) {
            p = cases[i].in;
            assert_int_equal(dmsc_varnum_read(&p, cases[i].in + k, &v), DMSC_ETRUNC);
            assert_ptr_equal(p, cases[i].in);
        }
    }
}

static void test_varnum_encode_roundtrip(void **state)
{
    uint64_t vals[] = {0, 1, 252, 253, 65535, 65536, 0xffffffffull, 0x100000000ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        uint8_t buf[16];
        dmsc_enc_t e;
        dmsc_enc_init(&e, buf, sizeof buf);
        dmsc_enc_prepend_varnum(&e, vals[i]);
        assert_int_equal(dmsc_enc_error(&e), 0);
        assert_int_equal(sizeof buf - dmsc_enc_mark(&e), dmsc_varnum_size(vals[i]));
        const uint8_t *p = dmsc_enc_data(&e);
        uint64_t v;
        assert_int_equal(dmsc_varnum_read(&p, buf + sizeof buf, &v), 0);
        assert_true(v == vals[i]);
    }
}

static void test_nni(void **state)
{
    uint64_t v;
    const uint8_t b8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(dmsc_nni_decode(b8, 1, &v), 0);
    assert_true(v == 1);
    assert_int_equal(dmsc_nni_decode(b8, 2, &v), 0);
    assert_true(v == 0x0102);
    assert_int_equal(dmsc_nni_decode(b8, 4, &v), 0);
    assert_true(v == 0x01020304);
    assert_int_equal(dmsc_nni_decode(b8, 8, &v), 0);
    assert_true(v == 0x0102030405060708ull);
    assert_int_equal(dmsc_nni_decode(b8, 0, &v), DMSC_ENNI);
    assert_int_equal(dmsc_nni_decode(b8, 3, &v), DMSC_ENNI);
    assert_int_equal(dmsc_nni_decode(b8, 5, &v), DMSC_ENNI);
    uint8_t out[8];
    assert_int_equal(dmsc_nni_write(out, 0), 1);
    assert_int_equal(dmsc_nni_write(out, 256), 2);
    assert_int_equal(dmsc_nni_write(out, 65536), 4);
    assert_int_equal(dmsc_nni_write(out, 0x100000000ull), 8);
    assert_int_equal(dmsc_nni_decode(out, 8, &v), 0);
    assert_true(v == 0x100000000ull);
}

static void test_reader(void **state)
{
    const uint8_t in[] = {0x07, 0x03, 0x08, 0x01, 'A', 0xfd, 0x03, 0x20, 0x00};
    dmsc_tlv_reader_t r;
    dmsc_tlv_t t;
    dmsc_tlv_reader_init(&r, in, sizeof in);
    assert_int_equal(dmsc_tlv_read(&r, &t), 0);
    assert_int_equal(t.type, 7);
    assert_int_equal(t.len, 3);
    assert_ptr_equal(t.value, in + 2);
    assert_int_equal(t.size, 5);
    assert_int_equal(dmsc_tlv_read(&r, &t), 0);
    assert_int_equal(t.type, 0x320);
    assert_int_equal(t.len, 0);
    assert_true(dmsc_tlv_reader_eof(&r));

    /* length past end */
    const uint8_t bad[] = {0x07, 0x05, 0x08};
    dmsc_tlv_reader_init(&r, bad, sizeof bad);
    assert_int_equal(dmsc_tlv_read(&r, &t), DMSC_ETRUNC);
    /* huge 8-byte length must not overflow pointer arithmetic */
    const uint8_t huge[] = {0x07, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    dmsc_tlv_reader_init(&r, huge, sizeof huge);
    assert_int_equal(dmsc_tlv_read(&r, &t), DMSC_ETRUNC);
    /* type 0 is invalid */
    const uint8_t zero[] = {0x00, 0x00};
    dmsc_tlv_reader_init(&r, zero, sizeof zero);
    assert_int_equal(dmsc_tlv_read(&r, &t), DMSC_EVARNUM);
    /* type above 2^32-1 */
    const uint8_t big[] = {0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x00};
    dmsc_tlv_reader_init(&r, big, sizeof big);
    assert_int_equal(dmsc_tlv_read(&r, &t), DMSC_EVARNUM);
    /* trailing bytes */
    const uint8_t trail[] = {0x08, 0x00, 0x08};
    assert_int_equal(dmsc_tlv_decode_one(trail, sizeof trail, &t), DMSC_ETRAILING);
    assert_int_equal(dmsc_tlv_decode_one(trail, 2, &t), 0);
}

static void test_critical(void **state)
{
    assert_true(dmsc_tlv_is_critical(1));
    assert_true(dmsc_tlv_is_critical(31));
    assert_false(dmsc_tlv_is_critical(32));
    assert_true(dmsc_tlv_is_critical(33));
    assert_false(dmsc_tlv_is_critical(0xfc));
    assert_true(dmsc_tlv_is_critical(0xfd));
}

static void test_encoder_nested_and_overflow(void **state)
{
    uint8_t buf[32];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    size_t mark = dmsc_enc_mark(&e);
    dmsc_enc_prepend_tlv(&e, 0x08, "B", 1);
    dmsc_enc_prepend_tlv(&e, 0x08, "A", 1);
    dmsc_enc_prepend_hdr(&e, 0x07, mark - dmsc_enc_mark(&e));
    assert_int_equal(dmsc_enc_error(&e), 0);
    const uint8_t want[] = {0x07, 0x06, 0x08, 0x01, 'A', 0x08, 0x01, 'B'};
    assert_int_equal(sizeof buf - dmsc_enc_mark(&e), sizeof want);
    assert_memory_equal(dmsc_enc_data(&e), want, sizeof want);

    dmsc_enc_init(&e, buf, 3);
    dmsc_enc_prepend_tlv(&e, 0x08, "AB", 2);
    assert_int_equal(dmsc_enc_error(&e), DMSC_ENOBUFS);
    dmsc_enc_prepend_tlv(&e, 0x08, "", 0); /* still sticky */
    assert_int_equal(dmsc_enc_error(&e), DMSC_ENOBUFS);

    dmsc_enc_init(&e, buf, sizeof buf);
    dmsc_enc_prepend_nni_tlv(&e, 0x19, 1000);
    const uint8_t nni[] = {0x19, 0x02, 0x03, 0xe8};
    assert_memory_equal(dmsc_enc_data(&e), nni, sizeof nni);
}

static void test_strerror(void **state)
{
    assert_string_equal(dmsc_errname(DMSC_ETRUNC), "ETRUNC");
    assert_string_equal(dmsc_strerror(0), "success");
    assert_string_equal(dmsc_strerror(12345), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varnum_forms), cmocka_unit_test(test_varnum_encode_roundtrip),
        cmocka_unit_test(test_nni),          cmocka_unit_test(test_reader),
        cmocka_unit_test(test_critical),     cmocka_unit_test(test_encoder_nested_and_overflow),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests_name("tlv", tests, NULL, NULL);
}
