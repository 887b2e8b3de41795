/* RIB: routes -> FIB nexthops with NFD inheritance (ChildInherit, Capture),
 * origins, expiration, face-close cleanup, limits. Uses the real forwarder
 * and observes its FIB through dmsc_fw_fib_foreach(); the face table is a
 * fake that only records the on_close listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "face/face.h"
#include "fw/fw.h"
#include "mgmt/rib.h"

#define MS 1000000ull
enum { F1 = 256, F2 = 257, F3 = 258, F4 = 259 };

/* ---- fake face table: just the close listener ---- */

struct dmsc_facetable {
    void (*on_close)(void *arg, dmsc_faceid_t id);
    void *arg;
};

void dmsc_facetable_on_close(dmsc_facetable_t *ft, void (*cb)(void *arg, dmsc_faceid_t id),
                             void *arg)
{
    ft->on_close = cb;
    ft->arg = arg;
}

/* ---- fixture ---- */

static int io_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt)
{
    return 0;
}

typedef struct {
    dmsc_fw_t *fw;
    dmsc_facetable_t ft;
    dmsc_rib_t *rib;
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    dmsc_fw_config_t cfg;
    dmsc_fw_io_t io = {NULL, io_send};
    dmsc_fw_config_default(&cfg);
    fx->fw = dmsc_fw_new(&cfg, &io);
    assert_non_null(fx->fw);
    for (dmsc_faceid_t f = F1; f <= F4; f++)
        assert_int_equal(dmsc_fw_face_add(fx->fw, f, DMSC_SCOPE_NONLOCAL), 0);
    fx->rib = dmsc_rib_new(fx->fw, &fx->ft);
    assert_non_null(fx->rib);
    assert_non_null(fx->ft.on_close);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    dmsc_rib_free(fx->rib);
    dmsc_fw_free(fx->fw);
    free(fx);
    return 0;
}

static const dmsc_name_t *N(dmsc_namebuf_t *nb, const char *uri)
{
    assert_int_equal(dmsc_namebuf_from_uri(nb, uri), 0);
    return &nb->name;
}

static dmsc_route_t R(dmsc_faceid_t face, uint64_t origin, uint64_t cost, uint64_t flags)
{
    dmsc_route_t r = {face, origin, cost, flags, DMSC_RIB_NEVER};
    return r;
}

static int add(fx_t *fx, const char *uri, dmsc_route_t r)
{
    dmsc_namebuf_t nb;
    return dmsc_rib_add(fx->rib, N(&nb, uri), &r);
}

static int del(fx_t *fx, const char *uri, dmsc_faceid_t face, uint64_t origin)
{
    dmsc_namebuf_t nb;
    return dmsc_rib_remove(fx->rib, N(&nb, uri), face, origin);
}

/* ---- FIB observation ---- */

typedef struct {
    const dmsc_name_t *want;
    dmsc_nexthop_t nh[16];
    size_t n;
    bool found;
    size_t entries;
} fibq_t;

static int fibq_cb(void *arg, const dmsc_name_t *prefix, const dmsc_nexthop_t *nh, size_t n)
{
    fibq_t *q = arg;
    q->entries++;
    if (q->want && dmsc_name_equal(prefix, q->want)) {
        assert_true(n <= 16);
        memcpy(q->nh, nh, n * sizeof *nh);
        q->n = n;
        q->found = true;
    }
    return 0;
}

static size_t fib_entries(fx_t *fx)
{
    fibq_t q = {0};
    dmsc_fw_fib_foreach(fx->fw, fibq_cb, &q);
    return q.entries;
}

/* Expect the FIB entry `uri` to have exactly the n nexthops (face, cost)
 * given as 2n varargs; n == 0: no FIB entry (or one without nexthops). */
static void expect_fib(fx_t *fx, const char *uri, size_t n, ...)
{
    dmsc_namebuf_t nb;
    fibq_t q = {.want = N(&nb, uri)};
    dmsc_fw_fib_foreach(fx->fw, fibq_cb, &q);
    if (n == 0) {
        assert_true(!q.found || q.n == 0);
        return;
    }
    assert_true(q.found);
    assert_int_equal(q.n, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        dmsc_faceid_t face = va_arg(ap, dmsc_faceid_t);
        uint64_t cost = va_arg(ap, uint64_t);
        bool ok = false;
        for (size_t j = 0; j < q.n; j++)
            if (q.nh[j].face == face) {
                assert_int_equal(q.nh[j].cost, cost);
                ok = true;
            }
        if (!ok) fail_msg("%s: face %u missing", uri, (unsigned)face);
    }
    va_end(ap);
}

#define NH(f, c) (dmsc_faceid_t)(f), (uint64_t)(c)

/* ---- tests ---- */

static void test_add_update_remove(void **state)
{
    fx_t *fx = *state;
    size_t base = fib_entries(fx);
    assert_int_equal(add(fx, "/a", R(F1, 0, 10, 0)), 0);
    expect_fib(fx, "/a", 1, NH(F1, 10));
    assert_int_equal(dmsc_rib_size(fx->rib), 1);

    /* same (prefix, face, origin): update, not a second route */
    assert_int_equal(add(fx, "/a", R(F1, 0, 5, 0)), 0);
    expect_fib(fx, "/a", 1, NH(F1, 5));
    const dmsc_route_t *routes;
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_rib_find(fx->rib, N(&nb, "/a"), &routes), 1);
    assert_int_equal(routes[0].cost, 5);

    /* another origin on the same face: the lower cost wins */
    assert_int_equal(add(fx, "/a", R(F1, 128, 3, 0)), 0);
    expect_fib(fx, "/a", 1, NH(F1, 3));
    assert_int_equal(dmsc_rib_find(fx->rib, N(&nb, "/a"), &routes), 2);
    assert_int_equal(del(fx, "/a", F1, 128), 0);
    expect_fib(fx, "/a", 1, NH(F1, 5));

    /* a second face */
    assert_int_equal(add(fx, "/a", R(F2, 0, 7, 0)), 0);
    expect_fib(fx, "/a", 2, NH(F1, 5), NH(F2, 7));

    /* removing what is not there */
    assert_int_equal(del(fx, "/a", F3, 0), 1);
    assert_int_equal(del(fx, "/zzz", F1, 0), 1);
    assert_int_equal(del(fx, "/a", F1, 99), 1);

    assert_int_equal(del(fx, "/a", F1, 0), 0);
    assert_int_equal(del(fx, "/a", F2, 0), 0);
    expect_fib(fx, "/a", 0);
    assert_int_equal(dmsc_rib_size(fx->rib), 0);
    assert_int_equal(fib_entries(fx), base);
}

static void test_child_inherit(void **state)
{
    fx_t *fx = *state;
    size_t base = fib_entries(fx);
    assert_int_equal(add(fx, "/a", R(F1, 0, 10, DMSC_ROUTE_CHILD_INHERIT)), 0);
    assert_int_equal(add(fx, "/a/b/c", R(F2, 0, 20, 0)), 0);
    expect_fib(fx, "/a", 1, NH(F1, 10));
    expect_fib(fx, "/a/b/c", 2, NH(F2, 20), NH(F1, 10));
    expect_fib(fx, "/a/b", 0); /* not a RIB entry: no FIB entry */
    assert_int_equal(fib_entries(fx), base + 2);

    /* the ancestor's route changes cost: the descendant follows */
    assert_int_equal(add(fx, "/a", R(F1, 0, 11, DMSC_ROUTE_CHILD_INHERIT)), 0);
    expect_fib(fx, "/a/b/c", 2, NH(F2, 20), NH(F1, 11));

    /* the ancestor stops inheriting */
    assert_int_equal(add(fx, "/a", R(F1, 0, 11, 0)), 0);
    expect_fib(fx, "/a/b/c", 1, NH(F2, 20));

    /* and inherits again; then the ancestor goes */
    assert_int_equal(add(fx, "/a", R(F1, 0, 11, DMSC_ROUTE_CHILD_INHERIT)), 0);
    expect_fib(fx, "/a/b/c", 2, NH(F2, 20), NH(F1, 11));
    assert_int_equal(del(fx, "/a", F1, 0), 0);
    expect_fib(fx, "/a", 0);
    expect_fib(fx, "/a/b/c", 1, NH(F2, 20));
    assert_int_equal(fib_entries(fx), base + 1);
}

static void test_ancestor_added_later(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(add(fx, "/x/y", R(F2, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/x/y/z", R(F3, 0, 2, 0)), 0);
    assert_int_equal(add(fx, "/", R(F1, 0, 9, DMSC_ROUTE_CHILD_INHERIT)), 0);
    expect_fib(fx, "/", 1, NH(F1, 9));
    expect_fib(fx, "/x/y", 2, NH(F2, 1), NH(F1, 9));
    expect_fib(fx, "/x/y/z", 2, NH(F3, 2), NH(F1, 9));
    /* a sibling subtree is unaffected by /x/y's routes */
    assert_int_equal(add(fx, "/x/q", R(F4, 0, 4, 0)), 0);
    expect_fib(fx, "/x/q", 2, NH(F4, 4), NH(F1, 9));
}

static void test_own_and_nearer_routes_win(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(add(fx, "/", R(F1, 0, 1, DMSC_ROUTE_CHILD_INHERIT)), 0);
    assert_int_equal(add(fx, "/a", R(F1, 0, 7, DMSC_ROUTE_CHILD_INHERIT)), 0);
    assert_int_equal(add(fx, "/a/b", R(F2, 0, 3, 0)), 0);
    /* F1 from the nearer ancestor /a (7), not from / (1) */
    expect_fib(fx, "/a/b", 2, NH(F2, 3), NH(F1, 7));
    /* an own route on F1 wins over the inherited one, even if costlier */
    assert_int_equal(add(fx, "/a/b", R(F1, 0, 50, 0)), 0);
    expect_fib(fx, "/a/b", 2, NH(F2, 3), NH(F1, 50));
    assert_int_equal(del(fx, "/a/b", F1, 0), 0);
    expect_fib(fx, "/a/b", 2, NH(F2, 3), NH(F1, 7));
}

static void test_capture(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(add(fx, "/a", R(F1, 0, 1, DMSC_ROUTE_CHILD_INHERIT)), 0);
    assert_int_equal(add(fx, "/a/b", R(F2, 0, 2, DMSC_ROUTE_CAPTURE)), 0);
    assert_int_equal(add(fx, "/a/b/c", R(F3, 0, 3, 0)), 0);
    /* /a/b captures: nothing from /a */
    expect_fib(fx, "/a/b", 1, NH(F2, 2));
    /* below the capture: /a/b's route does not inherit, /a is cut off */
    expect_fib(fx, "/a/b/c", 1, NH(F3, 3));
    /* Capture + ChildInherit: /a/b's route reaches /a/b/c, /a's still not */
    assert_int_equal(add(fx, "/a/b", R(F2, 0, 2, DMSC_ROUTE_CAPTURE | DMSC_ROUTE_CHILD_INHERIT)),
                     0);
    expect_fib(fx, "/a/b/c", 2, NH(F3, 3), NH(F2, 2));
    /* capture on the entry itself blocks everything above it */
    assert_int_equal(add(fx, "/a/b/c", R(F3, 0, 3, DMSC_ROUTE_CAPTURE)), 0);
    expect_fib(fx, "/a/b/c", 1, NH(F3, 3));
    /* the capture goes: inheritance is back */
    assert_int_equal(add(fx, "/a/b", R(F2, 0, 2, DMSC_ROUTE_CHILD_INHERIT)), 0);
    expect_fib(fx, "/a/b", 2, NH(F2, 2), NH(F1, 1));
    assert_int_equal(add(fx, "/a/b/c", R(F3, 0, 3, 0)), 0);
    expect_fib(fx, "/a/b/c", 3, NH(F3, 3), NH(F2, 2), NH(F1, 1));
}

static void test_face_close_cleanup(void **state)
{
    fx_t *fx = *state;
    size_t base = fib_entries(fx);
    assert_int_equal(add(fx, "/a", R(F1, 0, 1, DMSC_ROUTE_CHILD_INHERIT)), 0);
    assert_int_equal(add(fx, "/a/b", R(F2, 0, 2, 0)), 0);
    assert_int_equal(add(fx, "/a/b", R(F1, 65, 4, 0)), 0);
    assert_int_equal(add(fx, "/c", R(F1, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/d", R(F3, 0, 1, 0)), 0);
    assert_int_equal(dmsc_rib_size(fx->rib), 4);

    /* the face table reports F1 closed (after the forwarder dropped it) */
    dmsc_fw_face_remove(fx->fw, F1);
    fx->ft.on_close(fx->ft.arg, F1);

    assert_int_equal(dmsc_rib_size(fx->rib), 2); /* /a and /c had only F1 */
    const dmsc_route_t *routes;
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_rib_find(fx->rib, N(&nb, "/a/b"), &routes), 1);
    assert_int_equal(routes[0].face, F2);
    expect_fib(fx, "/a", 0);
    expect_fib(fx, "/c", 0);
    expect_fib(fx, "/a/b", 1, NH(F2, 2));
    expect_fib(fx, "/d", 1, NH(F3, 1));
    assert_int_equal(fib_entries(fx), base + 2);

    /* direct call: the count of removed routes */
    assert_int_equal(dmsc_rib_remove_face(fx->rib, F2), 1);
    assert_int_equal(dmsc_rib_remove_face(fx->rib, F2), 0);
    expect_fib(fx, "/a/b", 0);
}

static void test_face_close_before_fw(void **state)
{
    /* the listener may run before the forwarder forgets the face */
    fx_t *fx = *state;
    assert_int_equal(add(fx, "/", R(F1, 0, 1, DMSC_ROUTE_CHILD_INHERIT)), 0);
    assert_int_equal(add(fx, "/p", R(F2, 0, 2, 0)), 0);
    fx->ft.on_close(fx->ft.arg, F1);
    dmsc_fw_face_remove(fx->fw, F1);
    expect_fib(fx, "/p", 1, NH(F2, 2));
    expect_fib(fx, "/", 0);
}

static void test_unknown_face(void **state)
{
    fx_t *fx = *state;
    size_t base = fib_entries(fx);
    assert_int_equal(add(fx, "/u", R(999, 0, 1, 0)), DMSC_EINVAL);
    assert_int_equal(add(fx, "/u", R(DMSC_FACEID_INVALID, 0, 1, 0)), DMSC_EINVAL);
    assert_int_equal(dmsc_rib_size(fx->rib), 0);
    assert_int_equal(fib_entries(fx), base);

    /* on an existing entry: the entry keeps its other routes */
    assert_int_equal(add(fx, "/u", R(F1, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/u", R(999, 0, 1, 0)), DMSC_EINVAL);
    const dmsc_route_t *routes;
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_rib_find(fx->rib, N(&nb, "/u"), &routes), 1);
    expect_fib(fx, "/u", 1, NH(F1, 1));
}

static void test_expiration(void **state)
{
    fx_t *fx = *state;
    dmsc_route_t r = R(F1, 0, 1, DMSC_ROUTE_CHILD_INHERIT);
    r.expires = 10000 * MS;
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_rib_add(fx->rib, N(&nb, "/e"), &r), 0);
    r = R(F2, 0, 2, 0);
    r.expires = 20000 * MS;
    assert_int_equal(dmsc_rib_add(fx->rib, N(&nb, "/e/f"), &r), 0);
    assert_int_equal(add(fx, "/keep", R(F3, 0, 3, 0)), 0);
    expect_fib(fx, "/e/f", 2, NH(F2, 2), NH(F1, 1));

    assert_true(dmsc_rib_run_timers(fx->rib, 5000 * MS) == 10000 * MS);
    assert_int_equal(dmsc_rib_size(fx->rib), 3);
    assert_true(dmsc_rib_run_timers(fx->rib, 10000 * MS) == 20000 * MS);
    assert_int_equal(dmsc_rib_size(fx->rib), 2);
    expect_fib(fx, "/e", 0);
    expect_fib(fx, "/e/f", 1, NH(F2, 2));
    assert_true(dmsc_rib_run_timers(fx->rib, 25000 * MS) == DMSC_RIB_NEVER);
    assert_int_equal(dmsc_rib_size(fx->rib), 1);
    expect_fib(fx, "/keep", 1, NH(F3, 3));

    /* re-adding a route refreshes its expiration */
    r = R(F1, 0, 1, 0);
    r.expires = 30000 * MS;
    assert_int_equal(dmsc_rib_add(fx->rib, N(&nb, "/e"), &r), 0);
    r.expires = 40000 * MS;
    assert_int_equal(dmsc_rib_add(fx->rib, N(&nb, "/e"), &r), 0);
    dmsc_rib_run_timers(fx->rib, 35000 * MS);
    expect_fib(fx, "/e", 1, NH(F1, 1));
    dmsc_rib_run_timers(fx->rib, 40000 * MS);
    expect_fib(fx, "/e", 0);
}

static void test_limits(void **state)
{
    fx_t *fx = *state;
    dmsc_rib_set_limits(fx->rib, 2, 2);
    assert_int_equal(add(fx, "/1", R(F1, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/2", R(F1, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/3", R(F1, 0, 1, 0)), DMSC_ENOMEM);
    assert_int_equal(dmsc_rib_size(fx->rib), 2);
    expect_fib(fx, "/3", 0);
    assert_int_equal(add(fx, "/1", R(F2, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/1", R(F3, 0, 1, 0)), DMSC_ENOMEM);
    /* updating an existing route is not a new one */
    assert_int_equal(add(fx, "/1", R(F2, 0, 9, 0)), 0);
    expect_fib(fx, "/1", 2, NH(F1, 1), NH(F2, 9));
}

typedef struct {
    char uris[8][32];
    size_t n, routes;
} walk_t;

static int walk_cb(void *arg, const dmsc_name_t *prefix, const dmsc_route_t *routes, size_t n)
{
    walk_t *w = arg;
    assert_true(dmsc_name_to_uri(prefix, DMSC_URI_CANONICAL, w->uris[w->n], 32) > 0);
    w->n++;
    w->routes += n;
    return 0;
}

static void test_foreach_order_and_origin(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(add(fx, "/b", R(F1, 128, 1, 0)), 0);
    assert_int_equal(add(fx, "/a/z", R(F1, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/a", R(F2, 128, 1, 0)), 0);
    assert_int_equal(add(fx, "/a", R(F3, 0, 1, 0)), 0);
    walk_t w = {0};
    dmsc_rib_foreach(fx->rib, walk_cb, &w);
    assert_int_equal(w.n, 3);
    assert_int_equal(w.routes, 4);
    assert_string_equal(w.uris[0], "/a");
    assert_string_equal(w.uris[1], "/a/z");
    assert_string_equal(w.uris[2], "/b");

    /* the routing module withdraws everything it announced */
    assert_int_equal(dmsc_rib_remove_origin(fx->rib, 128), 2);
    assert_int_equal(dmsc_rib_size(fx->rib), 2);
    expect_fib(fx, "/b", 0);
    expect_fib(fx, "/a", 1, NH(F3, 1));
}

/* ---- observer ---- */

typedef struct {
    char log[512];
} obs_t;

static void obs_cb(void *arg, const dmsc_name_t *prefix, const dmsc_route_t *route, bool added)
{
    obs_t *o = arg;
    char uri[64];
    dmsc_name_to_uri(prefix, DMSC_URI_CANONICAL, uri, sizeof uri);
    size_t k = strlen(o->log);
    snprintf(o->log + k, sizeof o->log - k, "%c%s@%llu/%llu ", added ? '+' : '-', uri,
             (unsigned long long)route->face, (unsigned long long)route->origin);
}

static void test_observer(void **state)
{
    fx_t *fx = *state;
    obs_t o = {{0}};
    dmsc_rib_set_observer(fx->rib, obs_cb, &o);
    assert_int_equal(add(fx, "/a", R(F1, 0, 1, 0)), 0);
    assert_int_equal(add(fx, "/a", R(F1, 0, 5, 0)), 0); /* update: told again */
    assert_int_equal(add(fx, "/b", R(F2, 128, 1, 0)), 0);
    assert_int_equal(add(fx, "/c", R(F1, 65, 1, 0)), 0);
    assert_int_equal(del(fx, "/b", F2, 128), 0);
    assert_int_equal(del(fx, "/b", F2, 128), 1);                  /* nothing: not told */
    assert_int_equal(add(fx, "/x", R(99, 0, 1, 0)), DMSC_EINVAL); /* refused: not told */
    dmsc_fw_face_remove(fx->fw, F1);
    fx->ft.on_close(fx->ft.arg, F1);
    assert_string_equal(
        o.log, "+/a@256/0 +/a@256/0 +/b@257/128 +/c@256/65 -/b@257/128 -/a@256/0 -/c@256/65 ");
    o.log[0] = 0;
    dmsc_route_t r = R(F3, 0, 1, 0);
    r.expires = 10 * MS;
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_rib_add(fx->rib, N(&nb, "/e"), &r), 0);
    dmsc_rib_run_timers(fx->rib, 20 * MS);
    assert_int_equal(add(fx, "/o", R(F3, 7, 1, 0)), 0);
    dmsc_rib_remove_origin(fx->rib, 7);
    assert_string_equal(o.log, "+/e@258/0 -/e@258/0 +/o@258/7 -/o@258/7 ");
    dmsc_rib_set_observer(fx->rib, NULL, NULL);
    assert_int_equal(add(fx, "/z", R(F3, 0, 1, 0)), 0);
    assert_string_equal(o.log, "+/e@258/0 -/e@258/0 +/o@258/7 -/o@258/7 ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_update_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_inherit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ancestor_added_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_and_nearer_routes_win, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_face_close_cleanup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_face_close_before_fw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_face, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_order_and_origin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_observer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
