#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ndn/name.h"

static dmsc_namebuf_t nb, nb2;

static void roundtrip(const char *in, const char *canon, const char *alt)
{
    char out[4096];
    int rc = dmsc_namebuf_from_uri(&nb, in);
    if (rc) fail_msg("parse %s: %s", in, dmsc_strerror(rc));
    assert_int_equal(dmsc_name_to_uri(&nb.name, DMSC_URI_CANONICAL, out, sizeof out),
                     (int)strlen(canon));
    assert_string_equal(out, canon);
    assert_int_equal(dmsc_name_to_uri(&nb.name, DMSC_URI_ALT, out, sizeof out), (int)strlen(alt));
    assert_string_equal(out, alt);
    /* printing and parsing again gives the same bytes */
    assert_int_equal(dmsc_namebuf_from_uri(&nb2, canon), 0);
    assert_true(dmsc_name_equal(&nb.name, &nb2.name));
    assert_int_equal(dmsc_namebuf_from_uri(&nb2, alt), 0);
    assert_true(dmsc_name_equal(&nb.name, &nb2.name));
}

static void test_uri_forms(void **state)
{
    roundtrip("/", "/", "/");
    roundtrip("ndn:/", "/", "/");
    roundtrip("", "/", "/");
    roundtrip("/A/B", "/A/B", "/A/B");
    roundtrip("A/B/", "/A/B", "/A/B");
    roundtrip("/8=A/8=%42", "/A/B", "/A/B");
    roundtrip("/hello%20world/%00%FF", "/hello%20world/%00%FF", "/hello%20world/%00%FF");
    roundtrip("/a%2fb", "/a%2Fb", "/a%2Fb");
    roundtrip("/-._~", "/-._~", "/-._~");
    roundtrip("/...", "/...", "/...");    /* empty component */
    roundtrip("/....", "/....", "/...."); /* "." */
    roundtrip("/...../x", "/...../x", "/...../x");
    roundtrip("/%2E%2E%2E", "/...", "/..."); /* escaped periods are still periods */
    roundtrip("/seg=5", "/50=%05", "/seg=5");
    roundtrip("/50=%05", "/50=%05", "/seg=5");
    roundtrip("/off=256", "/52=%01%00", "/off=256");
    roundtrip("/v=1700000000000", "/54=%00%00%01%8B%CF%E5h%00", "/v=1700000000000");
    roundtrip("/t=0", "/56=%00", "/t=0");
    roundtrip("/seq=18446744073709551615", "/58=%FF%FF%FF%FF%FF%FF%FF%FF",
              "/seq=18446744073709551615");
    roundtrip("/32=keyword", "/32=keyword", "/32=keyword");
    roundtrip("/50=%01%02%03", "/50=%01%02%03", "/50=%01%02%03"); /* not an NNI: no seg= */
    roundtrip("/65535=x", "/65535=x", "/65535=x");
    /* fuzz regression: a non-minimal NNI keeps the numeric form so it round-trips */
    roundtrip("/52=%00b", "/52=%00b", "/52=%00b");
    roundtrip("/sha256digest=0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef",
              "/sha256digest=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
              "/sha256digest=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    roundtrip("/P/params-sha256=ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00",
              "/P/params-sha256=ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00",
              "/P/params-sha256=ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00");
    roundtrip("/x=y", "/x%3Dy", "/x%3Dy"); /* unknown prefix: a generic component */
}

static void test_uri_errors(void **state)
{
    const char *bad[] = {
        "/.",
        "/..",
        "/%",
        "/%4",
        "/%zz",
        "/0=x",
        "/65536=x",
        "/seg=",
        "/seg=x",
        "/seg=-1",
        "/seg=18446744073709551616",
        "/sha256digest=00",
        "/params-sha256=zz",
        "/1=abc",
        "/2=%00",
        "/v=1.5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = dmsc_namebuf_from_uri(&nb, bad[i]);
        if (rc != DMSC_EURI) fail_msg("%s: got %d", bad[i], rc);
    }
    assert_int_equal(dmsc_namebuf_from_uri(&nb, NULL), DMSC_EINVAL);
    /* too many components */
    char uri[1024] = "";
    for (int i = 0; i <= DMSC_NAME_MAX_COMPS; i++)
        strcat(uri, "/a");
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), DMSC_ENAMECOMPS);
    /* too long */
    static char big[DMSC_NAME_MAX_LEN + 16];
    big[0] = '/';
    memset(big + 1, 'x', DMSC_NAME_MAX_LEN);
    big[DMSC_NAME_MAX_LEN + 1] = 0;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, big), DMSC_ENAMELEN);
}

static void test_print_buffer_too_small(void **state)
{
    char out[4];
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/hello"), 0);
    assert_int_equal(dmsc_name_to_uri(&nb.name, 0, out, sizeof out), DMSC_ENOBUFS);
    assert_string_equal(out, "");
    char exact[7];
    assert_int_equal(dmsc_name_to_uri(&nb.name, 0, exact, sizeof exact), 6);
}

static void test_decode_wire(void **state)
{
    /* /A/seg=1 */
    const uint8_t w[] = {0x07, 0x06, 0x08, 0x01, 'A', 0x32, 0x01, 0x01};
    dmsc_name_t n;
    assert_int_equal(dmsc_name_decode(&n, w, sizeof w), 0);
    assert_int_equal(n.ncomps, 2);
    dmsc_comp_t c = dmsc_name_comp(&n, 1);
    assert_int_equal(c.type, DMSC_TT_SEGMENT);
    assert_int_equal(c.len, 1);
    assert_int_equal(c.value[0], 1);
    assert_int_equal(c.size, 3);
    assert_ptr_equal(c.tlv, w + 5);
    /* truncation at every length is an error, never a crash */
    for (size_t k = 0; k < sizeof w; k++)
        assert_true(dmsc_name_decode(&n, w, k) < 0);
    /* wrong outer type */
    const uint8_t nt[] = {0x08, 0x00};
    assert_int_equal(dmsc_name_decode(&n, nt, sizeof nt), DMSC_ETYPE);
    /* component type 0 and > 65535 */
    const uint8_t t0[] = {0x07, 0x02, 0x00, 0x00};
    assert_int_equal(dmsc_name_decode(&n, t0, sizeof t0), DMSC_ECOMPTYPE);
    const uint8_t tbig[] = {0x07, 0x06, 0xfe, 0x00, 0x01, 0x00, 0x00, 0x00};
    assert_int_equal(dmsc_name_decode(&n, tbig, sizeof tbig), DMSC_ECOMPTYPE);
    /* digest component of wrong length */
    const uint8_t dig[] = {0x07, 0x03, 0x01, 0x01, 0x00};
    assert_int_equal(dmsc_name_decode(&n, dig, sizeof dig), DMSC_EVALUE);
    /* empty name */
    const uint8_t empty[] = {0x07, 0x00};
    assert_int_equal(dmsc_name_decode(&n, empty, sizeof empty), 0);
    assert_int_equal(n.ncomps, 0);
    /* too long */
    static uint8_t big[DMSC_NAME_MAX_LEN + 8];
    big[0] = 0x07;
    big[1] = 0xfd;
    big[2] = (DMSC_NAME_MAX_LEN + 2) >> 8;
    big[3] = (DMSC_NAME_MAX_LEN + 2) & 0xff;
    big[4] = 0x08;
    big[5] = 0xfd;
    big[6] = DMSC_NAME_MAX_LEN >> 8;
    big[7] = DMSC_NAME_MAX_LEN & 0xff;
    assert_int_equal(dmsc_name_decode(&n, big, 8 + DMSC_NAME_MAX_LEN - 2), DMSC_ENAMELEN);
    /* too many components */
    uint8_t many[2 + 2 * (DMSC_NAME_MAX_COMPS + 1)];
    many[0] = 0x07;
    many[1] = 2 * (DMSC_NAME_MAX_COMPS + 1);
    for (int i = 0; i <= DMSC_NAME_MAX_COMPS; i++) {
        many[2 + 2 * i] = 0x08;
        many[3 + 2 * i] = 0x00;
    }
    assert_int_equal(dmsc_name_decode(&n, many, sizeof many), DMSC_ENAMECOMPS);
    assert_int_equal(dmsc_name_decode(&n, many, sizeof many - 2), DMSC_ETRUNC);
}

static int cmp_uri(const char *a, const char *b)
{
    static dmsc_namebuf_t x, y;
    assert_int_equal(dmsc_namebuf_from_uri(&x, a), 0);
    assert_int_equal(dmsc_namebuf_from_uri(&y, b), 0);
    return dmsc_name_compare(&x.name, &y.name);
}

static void test_canonical_order(void **state)
{
    /* ordered list: by type, then length, then bytes; prefixes first */
    const char *ordered[] = {
        "/",
        "/sha256digest=0000000000000000000000000000000000000000000000000000000000000000",
        "/...",
        "/A",
        "/A/B",
        "/B",
        "/Z",
        "/a",
        "/AA",
        "/%00%00%00",
        "/32=x",
        "/seg=0",
        "/seg=255",
        "/seg=256",
        "/v=1",
    };
    size_t n = sizeof ordered / sizeof ordered[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int c = cmp_uri(ordered[i], ordered[j]);
            int want = i < j ? -1 : i > j;
            if (c != want) fail_msg("%s vs %s: %d", ordered[i], ordered[j], c);
        }
}

static void test_prefix_and_hash(void **state)
{
    dmsc_namebuf_t a, b;
    assert_int_equal(dmsc_namebuf_from_uri(&a, "/shop/cart"), 0);
    assert_int_equal(dmsc_namebuf_from_uri(&b, "/shop/cart/items/seg=3"), 0);
    assert_true(dmsc_name_is_prefix(&a.name, &b.name));
    assert_false(dmsc_name_is_prefix(&b.name, &a.name));
    assert_true(dmsc_name_is_prefix(&a.name, &a.name));
    dmsc_namebuf_t root;
    assert_int_equal(dmsc_namebuf_from_uri(&root, "/"), 0);
    assert_true(dmsc_name_is_prefix(&root.name, &a.name));
    dmsc_namebuf_t c;
    assert_int_equal(dmsc_namebuf_from_uri(&c, "/shop/carts"), 0);
    assert_false(dmsc_name_is_prefix(&a.name, &c.name));
    assert_false(dmsc_name_is_prefix(&c.name, &b.name));

    assert_true(dmsc_name_hash(&a.name, 2) == dmsc_name_hash(&b.name, 2));
    assert_true(dmsc_name_hash(&a.name, 2) != dmsc_name_hash(&b.name, 3));
    assert_true(dmsc_name_hash(&a.name, 5) == dmsc_name_hash(&a.name, 2)); /* clamped */
    assert_true(dmsc_name_hash(&root.name, 0) == dmsc_name_hash(&a.name, 0));

    /* a seed changes every hash but keeps equal prefixes equal */
    uint64_t h0 = dmsc_name_hash(&a.name, 2);
    dmsc_name_hash_set_seed(0x0123456789abcdefull);
    assert_true(dmsc_name_hash(&a.name, 2) != h0);
    assert_true(dmsc_name_hash(&a.name, 2) == dmsc_name_hash(&b.name, 2));
    dmsc_name_hash_set_seed(0);
    assert_true(dmsc_name_hash(&a.name, 2) == h0);

    dmsc_name_t p;
    dmsc_name_get_prefix(&b.name, 2, &p);
    assert_true(dmsc_name_equal(&p, &a.name));
    assert_int_equal(dmsc_name_compare(&p, &a.name), 0);
    dmsc_name_get_prefix(&b.name, 99, &p);
    assert_int_equal(p.ncomps, 4);
}

static void test_build(void **state)
{
    dmsc_namebuf_t a;
    dmsc_namebuf_init(&a);
    assert_int_equal(dmsc_namebuf_append(&a, DMSC_TT_GENERIC, "x", 1), 0);
    assert_int_equal(dmsc_namebuf_append_nni(&a, DMSC_TT_VERSION, 7), 0);
    assert_int_equal(dmsc_namebuf_append(&a, 0, "x", 1), DMSC_ECOMPTYPE);
    assert_int_equal(dmsc_namebuf_append(&a, DMSC_TT_IMPLICIT_DIGEST, "x", 1), DMSC_EVALUE);
    char out[64];
    dmsc_name_to_uri(&a.name, DMSC_URI_ALT, out, sizeof out);
    assert_string_equal(out, "/x/v=7");
    dmsc_namebuf_t b;
    assert_int_equal(dmsc_namebuf_copy(&b, &a.name), 0);
    assert_int_equal(dmsc_namebuf_append_name(&b, &a.name), 0);
    dmsc_name_to_uri(&b.name, DMSC_URI_ALT, out, sizeof out);
    assert_string_equal(out, "/x/v=7/x/v=7");
    assert_int_equal(b.name.ncomps, 4);
    /* encode as a Name element and decode back */
    uint8_t buf[64];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    dmsc_enc_prepend_name(&e, &b.name);
    dmsc_name_t d;
    assert_int_equal(dmsc_name_decode(&d, dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e)), 0);
    assert_true(dmsc_name_equal(&d, &b.name));
    /* bounds */
    dmsc_namebuf_init(&a);
    for (int i = 0; i < DMSC_NAME_MAX_COMPS; i++)
        assert_int_equal(dmsc_namebuf_append(&a, DMSC_TT_GENERIC, "", 0), 0);
    assert_int_equal(dmsc_namebuf_append(&a, DMSC_TT_GENERIC, "", 0), DMSC_ENAMECOMPS);
    dmsc_namebuf_init(&a);
    static uint8_t zeros[DMSC_NAME_MAX_LEN];
    assert_int_equal(dmsc_namebuf_append(&a, DMSC_TT_GENERIC, zeros, DMSC_NAME_MAX_LEN - 4), 0);
    assert_int_equal(dmsc_namebuf_append(&a, DMSC_TT_GENERIC, zeros, 1), DMSC_ENAMELEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_forms),
        cmocka_unit_test(test_uri_errors),
        cmocka_unit_test(test_print_buffer_too_small),
        cmocka_unit_test(test_decode_wire),
        cmocka_unit_test(test_canonical_order),
        cmocka_unit_test(test_prefix_and_hash),
        cmocka_unit_test(test_build),
    };
    return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
