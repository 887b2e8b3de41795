#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mgmt/nfd_tlv.h"

/* ---- helpers ---- */

typedef struct {
    uint8_t buf[8192];
    dmsc_enc_t e;
} encbuf_t;

static void eb_init(encbuf_t *b)
{
    dmsc_enc_init(&b->e, b->buf, sizeof b->buf);
}

static const uint8_t *eb_data(const encbuf_t *b)
{
    return dmsc_enc_data(&b->e);
}

static size_t eb_len(const encbuf_t *b)
{
    return sizeof b->buf - dmsc_enc_mark(&b->e);
}

static void name_of(dmsc_namebuf_t *nb, const char *uri)
{
    assert_int_equal(dmsc_namebuf_from_uri(nb, uri), 0);
}

static bool name_is(const dmsc_name_t *n, const char *uri)
{
    dmsc_namebuf_t nb;
    name_of(&nb, uri);
    return dmsc_name_equal(n, &nb.name);
}

static bool slice_is(dmsc_slice_t s, const char *str)
{
    return dmsc_slice_eq(s, dmsc_slice(str, strlen(str)));
}

/* Every strict prefix of a valid encoding must be rejected, without
 * reading past it (ASan checks: copy into an exact-size heap buffer). */
typedef int (*decode_fn)(const uint8_t *p, size_t n);

static void truncations_fail(const uint8_t *wire, size_t len, decode_fn fn)
{
    for (size_t k = 0; k < len; k++) {
        uint8_t *copy = test_malloc(k ? k : 1);
        memcpy(copy, wire, k);
        assert_true(fn(copy, k) < 0);
        test_free(copy);
    }
}

/* ---- ControlParameters ---- */

static void test_cp_known_bytes(void **state)
{
    /* ControlParameters { Name /a, FaceId 300, Cost 10, Flags 1 }, as ndn-cxx
     * and NDNts write it */
    static const uint8_t expect[] = {0x68, 0x0f, 0x07, 0x03, 0x08, 0x01, 0x61, 0x69, 0x02,
                                     0x01, 0x2c, 0x6a, 0x01, 0x0a, 0x6c, 0x01, 0x01};
    dmsc_namebuf_t nb;
    dmsc_nfd_cp_t cp;
    encbuf_t b;
    name_of(&nb, "/a");
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_NAME | DMSC_CP_FACE_ID | DMSC_CP_COST | DMSC_CP_FLAGS;
    cp.name = nb.name;
    cp.face_id = 300;
    cp.cost = 10;
    cp.flags = 1;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_cp_prepend(&b.e, &cp), 0);
    assert_int_equal(eb_len(&b), sizeof expect);
    assert_memory_equal(eb_data(&b), expect, sizeof expect);

    dmsc_nfd_cp_t d;
    assert_int_equal(dmsc_nfd_cp_decode(&d, expect, sizeof expect), 0);
    assert_int_equal(d.has, cp.has);
    assert_true(name_is(&d.name, "/a"));
    assert_int_equal(d.face_id, 300);
    assert_int_equal(d.cost, 10);
    assert_int_equal(d.flags, 1);
}

static void fill_all(dmsc_nfd_cp_t *cp, dmsc_namebuf_t *name, dmsc_namebuf_t *strategy)
{
    name_of(name, "/example/prefix");
    name_of(strategy, "/localhost/nfd/strategy/best-route/v=5");
    dmsc_nfd_cp_init(cp);
    cp->has = 0xffff; /* all 16 fields */
    cp->name = name->name;
    cp->face_id = 1;
    cp->uri = dmsc_slice("udp4://192.0.2.1:6363", 21);
    cp->local_uri = dmsc_slice("udp4://0.0.0.0:6363", 19);
    cp->origin = 255;
    cp->cost = 65536;
    cp->capacity = 0x100000000ull;
    cp->count = 7;
    cp->flags = 3;
    cp->mask = 2;
    cp->strategy = strategy->name;
    cp->expiration_period = 3600000;
    cp->face_persistency = 2;
    cp->base_cong_mark_interval = 100000000;
    cp->default_cong_threshold = 65536;
    cp->mtu = 1400;
}

static void test_cp_roundtrip_all(void **state)
{
    dmsc_namebuf_t n1, n2;
    dmsc_nfd_cp_t cp, d;
    encbuf_t b;
    fill_all(&cp, &n1, &n2);
    eb_init(&b);
    assert_int_equal(dmsc_nfd_cp_prepend(&b.e, &cp), 0);
    assert_int_equal(dmsc_nfd_cp_decode(&d, eb_data(&b), eb_len(&b)), 0);
    assert_int_equal(d.has, 0xffff);
    assert_true(dmsc_name_equal(&d.name, &cp.name));
    assert_true(dmsc_name_equal(&d.strategy, &cp.strategy));
    assert_true(slice_is(d.uri, "udp4://192.0.2.1:6363"));
    assert_true(slice_is(d.local_uri, "udp4://0.0.0.0:6363"));
    assert_int_equal(d.face_id, 1);
    assert_int_equal(d.origin, 255);
    assert_int_equal(d.cost, 65536);
    assert_true(d.capacity == 0x100000000ull);
    assert_int_equal(d.count, 7);
    assert_int_equal(d.flags, 3);
    assert_int_equal(d.mask, 2);
    assert_int_equal(d.expiration_period, 3600000);
    assert_int_equal(d.face_persistency, 2);
    assert_int_equal(d.base_cong_mark_interval, 100000000);
    assert_int_equal(d.default_cong_threshold, 65536);
    assert_int_equal(d.mtu, 1400);

    /* order on the wire: ndn-cxx's (Name first, Mtu last) */
    const uint8_t *v = eb_data(&b);
    assert_int_equal(v[0], DMSC_NFD_TT_CONTROL_PARAMETERS);
    size_t hdr = v[1] < 0xfd ? 2 : 4;
    assert_int_equal(v[hdr], DMSC_TT_NAME);
    assert_int_equal(v[eb_len(&b) - 4], DMSC_NFD_TT_MTU); /* 89 02 05 78 */
}

static int cp_decode_fn(const uint8_t *p, size_t n)
{
    dmsc_nfd_cp_t cp;
    return dmsc_nfd_cp_decode(&cp, p, n);
}

static void test_cp_truncations(void **state)
{
    dmsc_namebuf_t n1, n2;
    dmsc_nfd_cp_t cp;
    encbuf_t b;
    fill_all(&cp, &n1, &n2);
    eb_init(&b);
    assert_int_equal(dmsc_nfd_cp_prepend(&b.e, &cp), 0);
    truncations_fail(eb_data(&b), eb_len(&b), cp_decode_fn);
}

static void test_cp_any_order_unknown_ignored(void **state)
{
    /* Cost before Name, an unknown non-critical (0xfd00 range) and an unknown
     * "critical-looking" odd type: both ignored, as ndn-cxx and NDNts do */
    static const uint8_t in[] = {0x68, 0x0e, 0x6a, 0x01, 0x05, 0xfd, 0x01, 0x00,
                                 0x00, 0x07, 0x03, 0x08, 0x01, 0x62, 0x71, 0x00};
    dmsc_nfd_cp_t d;
    assert_int_equal(dmsc_nfd_cp_decode(&d, in, sizeof in), 0);
    assert_int_equal(d.has, DMSC_CP_NAME | DMSC_CP_COST);
    assert_int_equal(d.cost, 5);
    assert_true(name_is(&d.name, "/b"));

    /* empty ControlParameters */
    static const uint8_t empty[] = {0x68, 0x00};
    assert_int_equal(dmsc_nfd_cp_decode(&d, empty, sizeof empty), 0);
    assert_int_equal(d.has, 0);
}

static void test_cp_errors(void **state)
{
    dmsc_nfd_cp_t d;
    static const uint8_t dup[] = {0x68, 0x06, 0x6a, 0x01, 0x05, 0x6a, 0x01, 0x06};
    assert_int_equal(dmsc_nfd_cp_decode(&d, dup, sizeof dup), DMSC_EDUP);
    static const uint8_t two_names[] = {0x68, 0x04, 0x07, 0x00, 0x07, 0x00};
    assert_int_equal(dmsc_nfd_cp_decode(&d, two_names, sizeof two_names), DMSC_EDUP);
    static const uint8_t bad_nni[] = {0x68, 0x05, 0x69, 0x03, 0x01, 0x02, 0x03};
    assert_int_equal(dmsc_nfd_cp_decode(&d, bad_nni, sizeof bad_nni), DMSC_ENNI);
    static const uint8_t empty_nni[] = {0x68, 0x02, 0x69, 0x00};
    assert_int_equal(dmsc_nfd_cp_decode(&d, empty_nni, sizeof empty_nni), DMSC_ENNI);
    static const uint8_t wrong_type[] = {0x65, 0x00};
    assert_int_equal(dmsc_nfd_cp_decode(&d, wrong_type, sizeof wrong_type), DMSC_ETYPE);
    static const uint8_t trailing[] = {0x68, 0x00, 0x00};
    assert_int_equal(dmsc_nfd_cp_decode(&d, trailing, sizeof trailing), DMSC_ETRAILING);
    static const uint8_t inner_trunc[] = {0x68, 0x03, 0x6a, 0x05, 0x01};
    assert_int_equal(dmsc_nfd_cp_decode(&d, inner_trunc, sizeof inner_trunc), DMSC_ETRUNC);
    static const uint8_t strategy_empty[] = {0x68, 0x02, 0x6b, 0x00};
    assert_int_equal(dmsc_nfd_cp_decode(&d, strategy_empty, sizeof strategy_empty), DMSC_EMISSING);
    static const uint8_t strategy_no_name[] = {0x68, 0x04, 0x6b, 0x02, 0x08, 0x00};
    assert_int_equal(dmsc_nfd_cp_decode(&d, strategy_no_name, sizeof strategy_no_name),
                     DMSC_EMISSING);
    /* a name component of TLV-TYPE 0 is invalid */
    static const uint8_t bad_comp[] = {0x68, 0x04, 0x07, 0x02, 0x00, 0x00};
    assert_true(dmsc_nfd_cp_decode(&d, bad_comp, sizeof bad_comp) < 0);
    assert_true(dmsc_nfd_cp_decode(&d, NULL, 0) < 0);
}

static void test_cp_encode_overflow(void **state)
{
    dmsc_namebuf_t n1, n2;
    dmsc_nfd_cp_t cp;
    uint8_t small[16];
    dmsc_enc_t e;
    fill_all(&cp, &n1, &n2);
    dmsc_enc_init(&e, small, sizeof small);
    assert_int_equal(dmsc_nfd_cp_prepend(&e, &cp), DMSC_ENOBUFS);
}

/* ---- ControlResponse ---- */

static void test_cr_roundtrip(void **state)
{
    dmsc_namebuf_t nb;
    dmsc_nfd_cp_t cp, body;
    dmsc_nfd_cr_t cr;
    encbuf_t b;
    name_of(&nb, "/x");
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_NAME | DMSC_CP_FACE_ID;
    cp.name = nb.name;
    cp.face_id = 260;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_cr_prepend(&b.e, 200, "OK", &cp), 0);
    const uint8_t *v = eb_data(&b);
    /* 65 L 66 01 c8 67 02 'O' 'K' 68 ... */
    assert_int_equal(v[0], 0x65);
    assert_int_equal(v[2], 0x66);
    assert_int_equal(v[3], 0x01);
    assert_int_equal(v[4], 200);
    assert_int_equal(v[5], 0x67);
    assert_int_equal(v[6], 2);
    assert_memory_equal(v + 7, "OK", 2);
    assert_int_equal(v[9], 0x68);
    assert_int_equal(dmsc_nfd_cr_decode(&cr, v, eb_len(&b)), 0);
    assert_int_equal(cr.code, 200);
    assert_true(slice_is(cr.text, "OK"));
    assert_int_equal(dmsc_nfd_cp_decode(&body, cr.body.p, cr.body.n), 0);
    assert_int_equal(body.face_id, 260);
    assert_true(name_is(&body.name, "/x"));

    /* without body, and empty text */
    eb_init(&b);
    assert_int_equal(dmsc_nfd_cr_prepend(&b.e, 404, NULL, NULL), 0);
    assert_int_equal(dmsc_nfd_cr_decode(&cr, eb_data(&b), eb_len(&b)), 0);
    assert_int_equal(cr.code, 404);
    assert_int_equal(cr.text.n, 0);
    assert_int_equal(cr.body.n, 0);
}

static void test_cr_errors(void **state)
{
    dmsc_nfd_cr_t cr;
    static const uint8_t no_text[] = {0x65, 0x03, 0x66, 0x01, 0xc8};
    assert_int_equal(dmsc_nfd_cr_decode(&cr, no_text, sizeof no_text), DMSC_EMISSING);
    static const uint8_t swapped[] = {0x65, 0x05, 0x67, 0x00, 0x66, 0x01, 0xc8};
    assert_int_equal(dmsc_nfd_cr_decode(&cr, swapped, sizeof swapped), DMSC_EORDER);
    static const uint8_t empty[] = {0x65, 0x00};
    assert_int_equal(dmsc_nfd_cr_decode(&cr, empty, sizeof empty), DMSC_EMISSING);
    static const uint8_t bad_code[] = {0x65, 0x07, 0x66, 0x03, 0x00, 0x00, 0xc8, 0x67, 0x00};
    assert_int_equal(dmsc_nfd_cr_decode(&cr, bad_code, sizeof bad_code), DMSC_ENNI);
    static const uint8_t bad_body[] = {0x65, 0x07, 0x66, 0x01, 0xc8, 0x67, 0x00, 0x68, 0x05};
    assert_int_equal(dmsc_nfd_cr_decode(&cr, bad_body, sizeof bad_body), DMSC_ETRUNC);
}

/* ---- ForwarderStatus ---- */

static void test_status_roundtrip(void **state)
{
    dmsc_nfd_status_t s = {
        .nfd_version = dmsc_slice("0.1.0", 5),
        .start_timestamp = 1700000000000ull,
        .current_timestamp = 1700000123456ull,
        .n_name_tree_entries = 1,
        .n_fib_entries = 2,
        .n_pit_entries = 3,
        .n_measurements_entries = 4,
        .n_cs_entries = 5,
        .n_in_interests = 6,
        .n_in_data = 7,
        .n_in_nacks = 8,
        .n_out_interests = 9,
        .n_out_data = 10,
        .n_out_nacks = 11,
        .n_satisfied_interests = 12,
        .n_unsatisfied_interests = 13,
    };
    dmsc_nfd_status_t d;
    encbuf_t b;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_status_prepend(&b.e, &s), 0);
    /* bare sequence: starts with NfdVersion 80 05 "0.1.0" */
    assert_int_equal(eb_data(&b)[0], 0x80);
    assert_int_equal(eb_data(&b)[1], 5);
    assert_int_equal(dmsc_nfd_status_decode(&d, eb_data(&b), eb_len(&b)), 0);
    assert_true(slice_is(d.nfd_version, "0.1.0"));
    assert_true(d.start_timestamp == 1700000000000ull);
    assert_true(d.current_timestamp == 1700000123456ull);
    assert_int_equal(d.n_name_tree_entries, 1);
    assert_int_equal(d.n_fib_entries, 2);
    assert_int_equal(d.n_pit_entries, 3);
    assert_int_equal(d.n_measurements_entries, 4);
    assert_int_equal(d.n_cs_entries, 5);
    assert_int_equal(d.n_in_interests, 6);
    assert_int_equal(d.n_in_data, 7);
    assert_int_equal(d.n_in_nacks, 8);
    assert_int_equal(d.n_out_interests, 9);
    assert_int_equal(d.n_out_data, 10);
    assert_int_equal(d.n_out_nacks, 11);
    assert_int_equal(d.n_satisfied_interests, 12);
    assert_int_equal(d.n_unsatisfied_interests, 13);

    /* ndn-cxx order: NInNacks (0x97) between NInData (0x91) and NOutInterests (0x92) */
    const uint8_t *p = eb_data(&b);
    size_t off = 2 + 5;
    uint8_t types[16];
    size_t k = 0;
    types[k++] = 0x80;
    while (off < eb_len(&b)) {
        types[k++] = p[off];
        off += 2 + p[off + 1];
    }
    static const uint8_t order[16] = {0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
                                      0x90, 0x91, 0x97, 0x92, 0x93, 0x98, 0x99, 0x9a};
    assert_int_equal(k, 16);
    assert_memory_equal(types, order, 16);
}

static void test_status_errors(void **state)
{
    dmsc_nfd_status_t d;
    /* only NfdVersion: the rest is missing */
    static const uint8_t partial[] = {0x80, 0x01, 0x31};
    assert_int_equal(dmsc_nfd_status_decode(&d, partial, sizeof partial), DMSC_EMISSING);
    /* StartTimestamp before NfdVersion */
    static const uint8_t swapped[] = {0x81, 0x01, 0x00, 0x80, 0x01, 0x31};
    assert_int_equal(dmsc_nfd_status_decode(&d, swapped, sizeof swapped), DMSC_EORDER);
    static const uint8_t dup[] = {0x80, 0x01, 0x31, 0x80, 0x01, 0x31};
    assert_int_equal(dmsc_nfd_status_decode(&d, dup, sizeof dup), DMSC_EDUP);
}

/* ---- FaceStatus ---- */

static void test_face_status_roundtrip(void **state)
{
    dmsc_nfd_face_status_t fs = {
        .face_id = 262,
        .uri = dmsc_slice("tcp4://127.0.0.1:6363", 21),
        .local_uri = dmsc_slice("tcp4://127.0.0.1:40000", 22),
        .has_expiration_period = true,
        .expiration_period = 5000,
        .face_scope = 1,
        .face_persistency = 1,
        .link_type = 0,
        .has_mtu = true,
        .mtu = 8800,
        .n_in_interests = 100,
        .n_in_data = 101,
        .n_in_nacks = 102,
        .n_out_interests = 103,
        .n_out_data = 104,
        .n_out_nacks = 105,
        .n_in_bytes = 1000000,
        .n_out_bytes = 2000000,
        .flags = 5,
    };
    dmsc_nfd_face_status_t d;
    encbuf_t b;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_face_status_prepend(&b.e, &fs), 0);
    assert_int_equal(eb_data(&b)[0], 0x80);
    assert_int_equal(dmsc_nfd_face_status_decode(&d, eb_data(&b), eb_len(&b)), 0);
    assert_int_equal(d.face_id, 262);
    assert_true(slice_is(d.uri, "tcp4://127.0.0.1:6363"));
    assert_true(slice_is(d.local_uri, "tcp4://127.0.0.1:40000"));
    assert_true(d.has_expiration_period);
    assert_int_equal(d.expiration_period, 5000);
    assert_int_equal(d.face_scope, 1);
    assert_int_equal(d.face_persistency, 1);
    assert_int_equal(d.link_type, 0);
    assert_false(d.has_base_cong_mark_interval);
    assert_false(d.has_default_cong_threshold);
    assert_true(d.has_mtu);
    assert_int_equal(d.mtu, 8800);
    assert_int_equal(d.n_in_interests, 100);
    assert_int_equal(d.n_in_data, 101);
    assert_int_equal(d.n_in_nacks, 102);
    assert_int_equal(d.n_out_interests, 103);
    assert_int_equal(d.n_out_data, 104);
    assert_int_equal(d.n_out_nacks, 105);
    assert_int_equal(d.n_in_bytes, 1000000);
    assert_int_equal(d.n_out_bytes, 2000000);
    assert_int_equal(d.flags, 5);

    /* optional fields absent */
    fs.has_expiration_period = fs.has_mtu = false;
    fs.has_base_cong_mark_interval = fs.has_default_cong_threshold = true;
    fs.base_cong_mark_interval = 100000000;
    fs.default_cong_threshold = 65536;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_face_status_prepend(&b.e, &fs), 0);
    assert_int_equal(dmsc_nfd_face_status_decode(&d, eb_data(&b), eb_len(&b)), 0);
    assert_false(d.has_expiration_period);
    assert_false(d.has_mtu);
    assert_true(d.has_base_cong_mark_interval);
    assert_int_equal(d.base_cong_mark_interval, 100000000);
    assert_int_equal(d.default_cong_threshold, 65536);
}

static int face_status_fn(const uint8_t *p, size_t n)
{
    dmsc_nfd_face_status_t d;
    return dmsc_nfd_face_status_decode(&d, p, n);
}

static void test_face_status_truncations(void **state)
{
    dmsc_nfd_face_status_t fs = {.face_id = 1, .uri = dmsc_slice("app://x", 7)};
    encbuf_t b;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_face_status_prepend(&b.e, &fs), 0);
    truncations_fail(eb_data(&b), eb_len(&b), face_status_fn);
    /* missing LocalUri */
    static const uint8_t no_local[] = {0x80, 0x06, 0x69, 0x01, 0x01, 0x72, 0x01, 0x78};
    assert_int_equal(face_status_fn(no_local, sizeof no_local), DMSC_EMISSING);
}

/* ---- FaceQueryFilter ---- */

static void test_face_filter_roundtrip(void **state)
{
    dmsc_nfd_face_filter_t f = {
        .has = DMSC_FQF_FACE_ID | DMSC_FQF_URI_SCHEME | DMSC_FQF_URI | DMSC_FQF_LOCAL_URI |
               DMSC_FQF_FACE_SCOPE | DMSC_FQF_FACE_PERSISTENCY | DMSC_FQF_LINK_TYPE,
        .face_id = 300,
        .uri_scheme = dmsc_slice("udp4", 4),
        .uri = dmsc_slice("udp4://1.2.3.4:6363", 19),
        .local_uri = dmsc_slice("udp4://0.0.0.0:6363", 19),
        .face_scope = 0,
        .face_persistency = 2,
        .link_type = 1,
    };
    dmsc_nfd_face_filter_t d;
    encbuf_t b;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_face_filter_prepend(&b.e, &f), 0);
    assert_int_equal(eb_data(&b)[0], 0x96);
    assert_int_equal(dmsc_nfd_face_filter_decode(&d, eb_data(&b), eb_len(&b)), 0);
    assert_int_equal(d.has, f.has);
    assert_int_equal(d.face_id, 300);
    assert_true(slice_is(d.uri_scheme, "udp4"));
    assert_true(slice_is(d.uri, "udp4://1.2.3.4:6363"));
    assert_true(slice_is(d.local_uri, "udp4://0.0.0.0:6363"));
    assert_int_equal(d.face_scope, 0);
    assert_int_equal(d.face_persistency, 2);
    assert_int_equal(d.link_type, 1);

    static const uint8_t empty[] = {0x96, 0x00};
    assert_int_equal(dmsc_nfd_face_filter_decode(&d, empty, sizeof empty), 0);
    assert_int_equal(d.has, 0);
    static const uint8_t dup[] = {0x96, 0x06, 0x69, 0x01, 0x01, 0x69, 0x01, 0x02};
    assert_int_equal(dmsc_nfd_face_filter_decode(&d, dup, sizeof dup), DMSC_EDUP);
}

/* ---- FibEntry ---- */

static void test_fib_entry_roundtrip(void **state)
{
    dmsc_namebuf_t nb;
    dmsc_nfd_nexthop_t nh[3] = {{256, 0}, {257, 10}, {300, 65536}};
    dmsc_nfd_fib_entry_t fe;
    dmsc_nfd_iter_t it;
    dmsc_nfd_nexthop_t got;
    encbuf_t b;
    name_of(&nb, "/fib/entry");
    eb_init(&b);
    assert_int_equal(dmsc_nfd_fib_entry_prepend(&b.e, &nb.name, nh, 3), 0);
    assert_int_equal(dmsc_nfd_fib_entry_decode(&fe, eb_data(&b), eb_len(&b)), 0);
    assert_true(name_is(&fe.name, "/fib/entry"));
    assert_int_equal(fe.n_nexthops, 3);
    dmsc_nfd_iter_init(&it, fe.records);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dmsc_nfd_nexthop_next(&it, &got), 1);
        assert_int_equal(got.face_id, nh[i].face_id);
        assert_int_equal(got.cost, nh[i].cost);
    }
    assert_int_equal(dmsc_nfd_nexthop_next(&it, &got), 0);

    /* no nexthops */
    eb_init(&b);
    assert_int_equal(dmsc_nfd_fib_entry_prepend(&b.e, &nb.name, NULL, 0), 0);
    assert_int_equal(dmsc_nfd_fib_entry_decode(&fe, eb_data(&b), eb_len(&b)), 0);
    assert_int_equal(fe.n_nexthops, 0);

    /* a NextHopRecord without Cost */
    static const uint8_t bad[] = {0x80, 0x07, 0x07, 0x00, 0x81, 0x03, 0x69, 0x01, 0x01};
    assert_int_equal(dmsc_nfd_fib_entry_decode(&fe, bad, sizeof bad), DMSC_EMISSING);
    /* no Name */
    static const uint8_t no_name[] = {0x80, 0x02, 0x81, 0x00};
    assert_int_equal(dmsc_nfd_fib_entry_decode(&fe, no_name, sizeof no_name), DMSC_EMISSING);
}

/* ---- RibEntry ---- */

static void test_rib_entry_roundtrip(void **state)
{
    dmsc_namebuf_t nb;
    dmsc_nfd_route_t rt[2] = {
        {.face_id = 256, .origin = 0, .cost = 5, .flags = 1},
        {.face_id = 257,
         .origin = 128,
         .cost = 20,
         .flags = 2,
         .has_expiration_period = true,
         .expiration_period = 9999},
    };
    dmsc_nfd_rib_entry_t re;
    dmsc_nfd_iter_t it;
    dmsc_nfd_route_t got;
    encbuf_t b;
    name_of(&nb, "/rib");
    eb_init(&b);
    assert_int_equal(dmsc_nfd_rib_entry_prepend(&b.e, &nb.name, rt, 2), 0);
    assert_int_equal(dmsc_nfd_rib_entry_decode(&re, eb_data(&b), eb_len(&b)), 0);
    assert_true(name_is(&re.name, "/rib"));
    assert_int_equal(re.n_routes, 2);
    dmsc_nfd_iter_init(&it, re.records);
    assert_int_equal(dmsc_nfd_route_next(&it, &got), 1);
    assert_int_equal(got.face_id, 256);
    assert_int_equal(got.cost, 5);
    assert_int_equal(got.flags, 1);
    assert_false(got.has_expiration_period);
    assert_int_equal(dmsc_nfd_route_next(&it, &got), 1);
    assert_int_equal(got.face_id, 257);
    assert_int_equal(got.origin, 128);
    assert_int_equal(got.flags, 2);
    assert_true(got.has_expiration_period);
    assert_int_equal(got.expiration_period, 9999);
    assert_int_equal(dmsc_nfd_route_next(&it, &got), 0);

    /* Route with Cost before Origin */
    static const uint8_t swapped[] = {0x80, 0x10, 0x07, 0x00, 0x81, 0x0c, 0x69, 0x01, 0x01,
                                      0x6a, 0x01, 0x00, 0x6f, 0x01, 0x00, 0x6c, 0x01, 0x01};
    assert_int_equal(dmsc_nfd_rib_entry_decode(&re, swapped, sizeof swapped), DMSC_EORDER);
}

/* ---- CsInfo, StrategyChoice ---- */

static void test_cs_info_roundtrip(void **state)
{
    dmsc_nfd_cs_info_t ci = {65536, 3, 10, 20, 30}, d;
    encbuf_t b;
    eb_init(&b);
    assert_int_equal(dmsc_nfd_cs_info_prepend(&b.e, &ci), 0);
    static const uint8_t expect[] = {0x80, 0x12, 0x83, 0x04, 0x00, 0x01, 0x00, 0x00, 0x6c, 0x01,
                                     0x03, 0x87, 0x01, 0x0a, 0x81, 0x01, 0x14, 0x82, 0x01, 0x1e};
    assert_int_equal(eb_len(&b), sizeof expect);
    assert_memory_equal(eb_data(&b), expect, sizeof expect);
    assert_int_equal(dmsc_nfd_cs_info_decode(&d, expect, sizeof expect), 0);
    assert_int_equal(d.capacity, 65536);
    assert_int_equal(d.flags, 3);
    assert_int_equal(d.n_entries, 10);
    assert_int_equal(d.n_hits, 20);
    assert_int_equal(d.n_misses, 30);
}

static void test_strategy_choice_roundtrip(void **state)
{
    dmsc_namebuf_t p, s;
    dmsc_name_t dp, dst;
    encbuf_t b;
    name_of(&p, "/");
    name_of(&s, "/localhost/nfd/strategy/best-route/v=5");
    eb_init(&b);
    assert_int_equal(dmsc_nfd_strategy_choice_prepend(&b.e, &p.name, &s.name), 0);
    assert_int_equal(dmsc_nfd_strategy_choice_decode(&dp, &dst, eb_data(&b), eb_len(&b)), 0);
    assert_int_equal(dp.ncomps, 0);
    assert_true(dmsc_name_equal(&dst, &s.name));
    static const uint8_t no_strategy[] = {0x80, 0x02, 0x07, 0x00};
    assert_int_equal(dmsc_nfd_strategy_choice_decode(&dp, &dst, no_strategy, sizeof no_strategy),
                     DMSC_EMISSING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cp_known_bytes),
        cmocka_unit_test(test_cp_roundtrip_all),
        cmocka_unit_test(test_cp_truncations),
        cmocka_unit_test(test_cp_any_order_unknown_ignored),
        cmocka_unit_test(test_cp_errors),
        cmocka_unit_test(test_cp_encode_overflow),
        cmocka_unit_test(test_cr_roundtrip),
        cmocka_unit_test(test_cr_errors),
        cmocka_unit_test(test_status_roundtrip),
        cmocka_unit_test(test_status_errors),
        cmocka_unit_test(test_face_status_roundtrip),
        cmocka_unit_test(test_face_status_truncations),
        cmocka_unit_test(test_face_filter_roundtrip),
        cmocka_unit_test(test_fib_entry_roundtrip),
        cmocka_unit_test(test_rib_entry_roundtrip),
        cmocka_unit_test(test_cs_info_roundtrip),
        cmocka_unit_test(test_strategy_choice_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
