/* libdmsc pending-Interest table (src/client/pending.c): ids, PitTokens,
 * name matching, deadline order, reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* tests/unit/meson.build links node_dep only: the module under test is
 * compiled in here. Drop this include once the tests link client_dep. */
#include "client/pending.c"

static void name_of(dmsc_namebuf_t *nb, const char *uri)
{
    assert_int_equal(dmsc_namebuf_from_uri(nb, uri), 0);
}

static void test_init_limits(void **st)
{
    dmsc_pend_t t;
    assert_int_equal(dmsc_pend_init(&t, 0), DMSC_EINVAL);
    assert_int_equal(dmsc_pend_init(&t, DMSC_PEND_MAX_CAP + 1), DMSC_EINVAL);
    assert_int_equal(dmsc_pend_init(&t, 3), 0);
    assert_int_equal(t.nbuckets, 4);
    dmsc_pend_free(&t);
}

static void test_add_full_remove(void **st)
{
    dmsc_pend_t t;
    dmsc_namebuf_t a;
    assert_int_equal(dmsc_pend_init(&t, 2), 0);
    name_of(&a, "/a");
    dmsc_pend_entry_t *e1 = dmsc_pend_add(&t, &a.name, false, 1, 0, 100);
    dmsc_pend_entry_t *e2 = dmsc_pend_add(&t, &a.name, false, 2, 0, 200);
    assert_non_null(e1);
    assert_non_null(e2);
    assert_null(dmsc_pend_add(&t, &a.name, false, 3, 0, 300)); /* full */
    assert_int_equal(dmsc_pend_count(&t), 2);
    dmsc_pend_remove(&t, e1);
    assert_int_equal(dmsc_pend_count(&t), 1);
    dmsc_pend_remove(&t, e1); /* twice: ignored */
    assert_int_equal(dmsc_pend_count(&t), 1);
    assert_non_null(dmsc_pend_add(&t, &a.name, false, 3, 0, 300));
    dmsc_pend_free(&t);
}

static void test_ids_and_tokens(void **st)
{
    dmsc_pend_t t;
    dmsc_namebuf_t a;
    assert_int_equal(dmsc_pend_init(&t, 4), 0);
    name_of(&a, "/a/b");
    dmsc_pend_entry_t *e = dmsc_pend_add(&t, &a.name, false, 7, 10, 20);
    uint64_t id = dmsc_pend_id(&t, e);
    assert_true(id != 0);
    assert_ptr_equal(dmsc_pend_by_id(&t, id), e);
    uint8_t tok[DMSC_PEND_TOKEN_LEN];
    dmsc_pend_token(&t, e, tok);
    assert_ptr_equal(dmsc_pend_by_token(&t, tok, sizeof tok), e);
    assert_null(dmsc_pend_by_token(&t, tok, 7)); /* wrong length */
    assert_null(dmsc_pend_by_token(&t, NULL, 8));

    /* the slot is reused with a new generation: old id and token are stale */
    uint32_t slot = dmsc_pend_slot(&t, e);
    dmsc_pend_remove(&t, e);
    assert_null(dmsc_pend_by_id(&t, id));
    assert_null(dmsc_pend_by_token(&t, tok, sizeof tok));
    dmsc_pend_entry_t *e2 = dmsc_pend_add(&t, &a.name, false, 8, 10, 20);
    assert_int_equal(dmsc_pend_slot(&t, e2), slot); /* LIFO free list */
    assert_true(dmsc_pend_id(&t, e2) != id);
    assert_null(dmsc_pend_by_token(&t, tok, sizeof tok));

    /* a token naming a slot out of range */
    uint8_t bad[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1};
    assert_null(dmsc_pend_by_token(&t, bad, sizeof bad));
    dmsc_pend_free(&t);
}

static void test_match_exact_and_prefix(void **st)
{
    dmsc_pend_t t;
    dmsc_namebuf_t i1, i2, d1, d2, d3;
    assert_int_equal(dmsc_pend_init(&t, 16), 0);
    name_of(&i1, "/x/y");       /* exact */
    name_of(&i2, "/p");         /* CanBePrefix */
    name_of(&d1, "/x/y");       /* matches i1 */
    name_of(&d2, "/x/y/z");     /* not i1 (no CanBePrefix) */
    name_of(&d3, "/p/q/seg=1"); /* matches i2 */
    dmsc_pend_entry_t *e1 = dmsc_pend_add(&t, &i1.name, false, 1, 0, 10);
    dmsc_pend_entry_t *e2 = dmsc_pend_add(&t, &i2.name, true, 2, 0, 10);

    assert_true(dmsc_pend_data_matches(e1, &d1.name));
    assert_false(dmsc_pend_data_matches(e1, &d2.name));
    assert_true(dmsc_pend_data_matches(e2, &d3.name));
    assert_false(dmsc_pend_data_matches(e2, &d1.name));

    assert_ptr_equal(dmsc_pend_find_data(&t, &d1.name), e1);
    assert_null(dmsc_pend_find_data(&t, &d2.name));
    assert_ptr_equal(dmsc_pend_find_data(&t, &d3.name), e2);

    /* prefix matching is only attempted while CanBePrefix entries exist */
    dmsc_pend_remove(&t, e2);
    assert_int_equal(t.n_cbp, 0);
    assert_null(dmsc_pend_find_data(&t, &d3.name));

    /* two Interests with one name: both found, one after the other */
    dmsc_pend_entry_t *e3 = dmsc_pend_add(&t, &i1.name, false, 3, 0, 10);
    dmsc_pend_entry_t *f = dmsc_pend_find_data(&t, &d1.name);
    assert_true(f == e1 || f == e3);
    dmsc_pend_remove(&t, f);
    dmsc_pend_entry_t *g = dmsc_pend_find_data(&t, &d1.name);
    assert_true((g == e1 || g == e3) && g != f);
    dmsc_pend_remove(&t, g);
    assert_null(dmsc_pend_find_data(&t, &d1.name));
    dmsc_pend_free(&t);
}

static void test_match_nack(void **st)
{
    dmsc_pend_t t;
    dmsc_namebuf_t a, b;
    assert_int_equal(dmsc_pend_init(&t, 8), 0);
    name_of(&a, "/n");
    name_of(&b, "/n/longer");
    dmsc_pend_entry_t *e1 = dmsc_pend_add(&t, &a.name, true, 111, 0, 10);
    dmsc_pend_entry_t *e2 = dmsc_pend_add(&t, &a.name, true, 222, 0, 10);
    assert_ptr_equal(dmsc_pend_find_nack(&t, &a.name, 222), e2);
    assert_ptr_equal(dmsc_pend_find_nack(&t, &a.name, 111), e1);
    /* unknown nonce: any entry of that name */
    dmsc_pend_entry_t *any = dmsc_pend_find_nack(&t, &a.name, 999);
    assert_true(any == e1 || any == e2);
    /* a Nack names the Interest exactly: no prefix matching */
    assert_null(dmsc_pend_find_nack(&t, &b.name, 0));
    dmsc_pend_free(&t);
}

static void test_deadlines(void **st)
{
    dmsc_pend_t t;
    dmsc_namebuf_t a;
    uint64_t when;
    assert_int_equal(dmsc_pend_init(&t, 64), 0);
    name_of(&a, "/d");
    assert_false(dmsc_pend_next_deadline(&t, &when));
    /* deadlines in scrambled order */
    uint64_t dl[] = {50, 10, 40, 30, 20, 60, 5, 45};
    dmsc_pend_entry_t *e[8];
    for (int i = 0; i < 8; i++)
        e[i] = dmsc_pend_add(&t, &a.name, false, (uint32_t)i, 0, dl[i]);
    assert_true(dmsc_pend_next_deadline(&t, &when));
    assert_int_equal(when, 5);
    assert_null(dmsc_pend_expired(&t, 4));
    /* remove one in the middle of the heap */
    dmsc_pend_remove(&t, e[3]); /* 30 */
    uint64_t last = 0;
    int n = 0;
    dmsc_pend_entry_t *x;
    while ((x = dmsc_pend_expired(&t, 100))) {
        assert_true(x->deadline >= last);
        assert_true(x->deadline != 30);
        last = x->deadline;
        dmsc_pend_remove(&t, x);
        n++;
    }
    assert_int_equal(n, 7);
    assert_int_equal(dmsc_pend_count(&t), 0);
    dmsc_pend_free(&t);
}

/* Random adds/removes against a simple model: the heap always yields the
 * minimum deadline, the count is right, every live id resolves. */
static void test_random_model(void **st)
{
    enum { CAP = 257, OPS = 20000 };
    dmsc_pend_t t;
    dmsc_namebuf_t a;
    assert_int_equal(dmsc_pend_init(&t, CAP), 0);
    name_of(&a, "/r");
    uint64_t ids[CAP];
    uint64_t dls[CAP];
    int live = 0;
    uint64_t seed = 12345;
    for (int op = 0; op < OPS; op++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(seed >> 33);
        if (live < CAP && (r % 3 != 0 || live == 0)) {
            uint64_t dl = r % 1000;
            dmsc_pend_entry_t *e = dmsc_pend_add(&t, &a.name, false, r, 0, dl);
            assert_non_null(e);
            ids[live] = dmsc_pend_id(&t, e);
            dls[live] = dl;
            live++;
        } else {
            int k = (int)(r % (uint32_t)live);
            dmsc_pend_entry_t *e = dmsc_pend_by_id(&t, ids[k]);
            assert_non_null(e);
            dmsc_pend_remove(&t, e);
            ids[k] = ids[live - 1];
            dls[k] = dls[live - 1];
            live--;
        }
        assert_int_equal(dmsc_pend_count(&t), live);
        if (live) {
            uint64_t mn = UINT64_MAX, when;
            for (int i = 0; i < live; i++)
                if (dls[i] < mn) mn = dls[i];
            assert_true(dmsc_pend_next_deadline(&t, &when));
            assert_int_equal(when, mn);
        }
    }
    for (int i = 0; i < live; i++)
        assert_non_null(dmsc_pend_by_id(&t, ids[i]));
    dmsc_pend_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_limits),    cmocka_unit_test(test_add_full_remove),
        cmocka_unit_test(test_ids_and_tokens), cmocka_unit_test(test_match_exact_and_prefix),
        cmocka_unit_test(test_match_nack),     cmocka_unit_test(test_deadlines),
        cmocka_unit_test(test_random_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
