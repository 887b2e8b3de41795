/* NFD management dispatcher: every command's success and failure codes,
 * unsigned / legacy-signed / v0.3-signed command formats, every dataset
 * (decoded and checked), segmentation and version discovery. Real
 * forwarder and RIB; the face table is a fake defined here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "face/face.h"
#include "fw/fw.h"
#include "mgmt/nfd_tlv.h"
#include "mgmt/nfdmgmt.h"
#include "mgmt/rib.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "sec/key.h"
#include "sec/sig.h"

#define MS 1000000ull
enum { F_APP = 256, F_NET = 257, F_UNIX = 258 };

/* ---- fake face table ---- */

enum { CREATE_SYNC, CREATE_ASYNC, CREATE_RETURN };

#define MAX_FACES 16
struct dmsc_facetable {
    dmsc_fw_t *fw;
    dmsc_face_info_t faces[MAX_FACES];
    size_t n;
    dmsc_faceid_t next_id;
    void (*close_cb[4])(void *arg, dmsc_faceid_t id);
    void *close_arg[4];
    size_t nclose;
    /* create behaviour */
    int create_mode;
    int create_rc;
    dmsc_face_created_cb pend_cb[80];
    void *pend_arg[80];
    char pend_uri[80][DMSC_FACE_URI_MAX];
    size_t npend;
    int last_persistency;
    uint32_t last_flags;
    /* update behaviour: persistency the fake refuses (-1: none) */
    int refuse_persistency;
};

static dmsc_face_info_t *ft_find(dmsc_facetable_t *ft, dmsc_faceid_t id)
{
    for (size_t i = 0; i < ft->n; i++)
        if (ft->faces[i].id == id) return &ft->faces[i];
    return NULL;
}

static dmsc_faceid_t ft_add(dmsc_facetable_t *ft, dmsc_faceid_t id, const char *remote,
                            const char *local, int scope, int persistency, uint32_t flags)
{
    assert_true(ft->n < MAX_FACES);
    dmsc_face_info_t *fi = &ft->faces[ft->n++];
    memset(fi, 0, sizeof *fi);
    fi->id = id;
    snprintf(fi->remote_uri, sizeof fi->remote_uri, "%s", remote);
    snprintf(fi->local_uri, sizeof fi->local_uri, "%s", local);
    fi->scope = scope;
    fi->persistency = persistency;
    fi->link_type = DMSC_LINK_P2P;
    fi->flags = flags;
    assert_int_equal(dmsc_fw_face_add(ft->fw, id, scope), 0);
    fi->counters = dmsc_fw_face_counters(ft->fw, id);
    return id;
}

int dmsc_face_uri_canonize(const char *uri, char *out, size_t cap)
{
    if (strncmp(uri, "ether://", 8) == 0) return DMSC_ENOTSUP;
    if (strstr(uri, "bad") || !strstr(uri, "://")) return DMSC_EINVAL;
    if (strncmp(uri, "udp://", 6) == 0)
        snprintf(out, cap, "udp4://%s", uri + 6);
    else if (strncmp(uri, "tcp://", 6) == 0)
        snprintf(out, cap, "tcp4://%s", uri + 6);
    else
        snprintf(out, cap, "%s", uri);
    return 0;
}

int dmsc_facetable_create(dmsc_facetable_t *ft, const char *remote_uri, int persistency,
                          uint32_t flags, dmsc_face_created_cb cb, void *arg)
{
    ft->last_persistency = persistency;
    ft->last_flags = flags;
    if (ft->create_mode == CREATE_RETURN) return ft->create_rc;
    if (ft->create_mode == CREATE_ASYNC) {
        assert_true(ft->npend < 80);
        ft->pend_cb[ft->npend] = cb;
        ft->pend_arg[ft->npend] = arg;
        snprintf(ft->pend_uri[ft->npend], sizeof ft->pend_uri[0], "%s", remote_uri);
        ft->npend++;
        return 0;
    }
    dmsc_faceid_t id = ft_add(ft, ft->next_id++, remote_uri, "udp4://0.0.0.0:6363",
                              DMSC_SCOPE_NONLOCAL, persistency, flags);
    cb(arg, 0, id);
    return 0;
}

/* finish the oldest asynchronous create with status (0: the face comes up) */
static void ft_complete(dmsc_facetable_t *ft, int status)
{
    assert_true(ft->npend > 0);
    dmsc_face_created_cb cb = ft->pend_cb[0];
    void *arg = ft->pend_arg[0];
    char uri[DMSC_FACE_URI_MAX];
    memcpy(uri, ft->pend_uri[0], sizeof uri);
    ft->npend--;
    memmove(ft->pend_cb, ft->pend_cb + 1, ft->npend * sizeof ft->pend_cb[0]);
    memmove(ft->pend_arg, ft->pend_arg + 1, ft->npend * sizeof ft->pend_arg[0]);
    memmove(ft->pend_uri, ft->pend_uri + 1, ft->npend * sizeof ft->pend_uri[0]);
    dmsc_faceid_t id = 0;
    if (status == 0)
        id = ft_add(ft, ft->next_id++, uri, "tcp4://127.0.0.1:50000", DMSC_SCOPE_LOCAL,
                    ft->last_persistency, ft->last_flags);
    cb(arg, status, id);
}

dmsc_faceid_t dmsc_facetable_find_uri(dmsc_facetable_t *ft, const char *remote_uri)
{
    for (size_t i = 0; i < ft->n; i++)
        if (strcmp(ft->faces[i].remote_uri, remote_uri) == 0) return ft->faces[i].id;
    return DMSC_FACEID_INVALID;
}

int dmsc_facetable_destroy(dmsc_facetable_t *ft, dmsc_faceid_t id)
{
    dmsc_face_info_t *fi = ft_find(ft, id);
    if (!fi) return DMSC_EINVAL;
    *fi = ft->faces[--ft->n];
    dmsc_fw_face_remove(ft->fw, id);
    for (size_t i = 0; i < ft->nclose; i++)
        ft->close_cb[i](ft->close_arg[i], id);
    return 0;
}

int dmsc_facetable_update(dmsc_facetable_t *ft, dmsc_faceid_t id, int persistency,
                          uint32_t flags_mask, uint32_t flags)
{
    dmsc_face_info_t *fi = ft_find(ft, id);
    if (!fi) return DMSC_EINVAL;
    if (persistency == ft->refuse_persistency && persistency != fi->persistency)
        return DMSC_ENOTSUP;
    fi->persistency = persistency;
    fi->flags = (fi->flags & ~flags_mask) | (flags & flags_mask);
    return 0;
}

int dmsc_facetable_get(dmsc_facetable_t *ft, dmsc_faceid_t id, dmsc_face_info_t *out)
{
    dmsc_face_info_t *fi = ft_find(ft, id);
    if (!fi) return DMSC_EINVAL;
    *out = *fi;
    return 0;
}

void dmsc_facetable_foreach(dmsc_facetable_t *ft, int (*cb)(void *arg, const dmsc_face_info_t *fi),
                            void *arg)
{
    for (size_t i = 0; i < ft->n; i++)
        if (cb(arg, &ft->faces[i])) return;
}

void dmsc_facetable_on_close(dmsc_facetable_t *ft, void (*cb)(void *arg, dmsc_faceid_t id),
                             void *arg)
{
    assert_true(ft->nclose < 4);
    ft->close_cb[ft->nclose] = cb;
    ft->close_arg[ft->nclose++] = arg;
}

/* ---- fixture ---- */

typedef struct {
    uint8_t wire[20000];
    size_t len;
} reply_t;

#define MAX_REPLIES 96

typedef struct {
    dmsc_fw_t *fw;
    dmsc_facetable_t ft;
    dmsc_rib_t *rib;
    dmsc_nfdmgmt_t *m;
    reply_t replies[MAX_REPLIES];
    size_t nreplies;
    uint64_t now;
} fx_t;

static int io_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt)
{
    return 0;
}

static void on_reply(void *arg, const uint8_t *data, size_t len)
{
    fx_t *fx = arg;
    assert_true(fx->nreplies < MAX_REPLIES);
    assert_true(len <= sizeof fx->replies[0].wire);
    memcpy(fx->replies[fx->nreplies].wire, data, len);
    fx->replies[fx->nreplies++].len = len;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    dmsc_fw_config_t cfg;
    dmsc_fw_io_t io = {NULL, io_send};
    dmsc_fw_config_default(&cfg);
    fx->fw = dmsc_fw_new(&cfg, &io);
    assert_non_null(fx->fw);
    fx->ft.fw = fx->fw;
    fx->ft.next_id = 300;
    fx->ft.refuse_persistency = -1;
    ft_add(&fx->ft, F_APP, "unix:///run/dmsc.sock", "unix:///run/dmsc.sock", DMSC_SCOPE_LOCAL,
           DMSC_FACE_ON_DEMAND, DMSC_FACE_FLAG_LOCAL_FIELDS);
    ft_add(&fx->ft, F_NET, "udp4://192.0.2.1:6363", "udp4://0.0.0.0:6363", DMSC_SCOPE_NONLOCAL,
           DMSC_FACE_PERSISTENT, DMSC_FACE_FLAG_CONGESTION_MARKING);
    fx->ft.faces[1].mtu = 1400;
    fx->rib = dmsc_rib_new(fx->fw, &fx->ft);
    assert_non_null(fx->rib);
    fx->m = dmsc_nfdmgmt_new(fx->fw, &fx->ft, fx->rib, NULL);
    assert_non_null(fx->m);
    dmsc_nfdmgmt_set_fw_config(fx->m, &cfg);
    fx->now = 1000 * MS;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    dmsc_nfdmgmt_free(fx->m);
    dmsc_rib_free(fx->rib);
    dmsc_fw_free(fx->fw);
    free(fx);
    return 0;
}

/* ---- building command Interests ---- */

enum { UNSIGNED, V03_DIGEST, V03_ED25519, LEGACY, IN_APP_PARAMS };

typedef struct {
    uint8_t buf[9000];
    const uint8_t *wire;
    size_t len;
    dmsc_namebuf_t name; /* the Interest name, for checking replies */
} ibuf_t;

static dmsc_key_t *ed_key; /* for V03_ED25519 and LEGACY */

static const dmsc_signer_t *ed_signer(void)
{
    if (!ed_key) {
        dmsc_namebuf_t id;
        assert_int_equal(dmsc_key_generate(&ed_key, DMSC_SIG_ED25519), 0);
        assert_int_equal(dmsc_namebuf_from_uri(&id, "/operator"), 0);
        assert_int_equal(dmsc_key_set_identity(ed_key, &id.name, NULL, 0), 0);
    }
    const dmsc_signer_t *s;
    assert_int_equal(dmsc_key_signer(ed_key, DMSC_KEYLOC_NAME, &s), 0);
    return s;
}

static void encode_cp(const dmsc_nfd_cp_t *cp, uint8_t *buf, size_t cap, dmsc_slice_t *out)
{
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    assert_int_equal(dmsc_nfd_cp_prepend(&e, cp), 0);
    *out = dmsc_slice(dmsc_enc_data(&e), cap - dmsc_enc_mark(&e));
}

static void mk_interest(ibuf_t *b, const dmsc_name_t *name, bool cbp, const dmsc_slice_t *params,
                        const dmsc_signer_t *signer)
{
    dmsc_interest_t i;
    dmsc_slice_t out;
    uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    dmsc_interest_init(&i);
    i.name = *name;
    i.can_be_prefix = cbp;
    i.must_be_fresh = true;
    i.has_nonce = true;
    i.nonce = 0x01020304;
    if (params) {
        i.has_app_params = true;
        i.app_params = *params;
    }
    if (signer) {
        i.sig_info.has_nonce = true;
        i.sig_info.nonce = dmsc_slice(nonce, sizeof nonce);
        i.sig_info.has_time = true;
        i.sig_info.time = 1700000000000ull;
    }
    assert_int_equal(dmsc_interest_encode(&i, signer, b->buf, sizeof b->buf, &out), 0);
    b->wire = out.p;
    b->len = out.n;
    /* the name as it went on the wire (with a digest component if any) */
    dmsc_interest_t d;
    assert_int_equal(dmsc_interest_decode(&d, b->wire, b->len, sizeof b->buf), 0);
    assert_int_equal(dmsc_namebuf_copy(&b->name, &d.name), 0);
}

/* /localhost/nfd/<module>/<verb>/<cp> in one of the formats */
static void mk_command(ibuf_t *b, const char *cmd, const dmsc_nfd_cp_t *cp, int format)
{
    char uri[128];
    uint8_t cpbuf[4096];
    dmsc_slice_t cps;
    dmsc_namebuf_t nb;
    encode_cp(cp, cpbuf, sizeof cpbuf, &cps);
    snprintf(uri, sizeof uri, "/localhost/nfd/%s", cmd);
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    if (format == IN_APP_PARAMS) return mk_interest(b, &nb.name, false, &cps, NULL);
    assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, cps.p, cps.n), 0);
    switch (format) {
    case UNSIGNED:
        return mk_interest(b, &nb.name, false, NULL, NULL);
    case V03_DIGEST:
        return mk_interest(b, &nb.name, false, NULL, dmsc_sig_digest_signer());
    case V03_ED25519:
        return mk_interest(b, &nb.name, false, NULL, ed_signer());
    default: { /* LEGACY: <timestamp>/<nonce>/<SignatureInfo>/<SignatureValue> */
        const dmsc_signer_t *s = ed_signer();
        uint8_t nonce[8] = {9, 8, 7, 6, 5, 4, 3, 2};
        assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_GENERIC, 1700000000000ull), 0);
        assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, nonce, sizeof nonce), 0);
        dmsc_siginfo_t si;
        uint8_t sibuf[512];
        dmsc_enc_t e;
        dmsc_siginfo_init(&si);
        dmsc_siginfo_set_signer(&si, s);
        dmsc_enc_init(&e, sibuf, sizeof sibuf);
        assert_int_equal(dmsc_siginfo_prepend(&e, DMSC_TT_SIG_INFO, &si), 0);
        assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, dmsc_enc_data(&e),
                                             sizeof sibuf - dmsc_enc_mark(&e)),
                         0);
        uint8_t sig[DMSC_SIG_MAX_LEN + 2];
        size_t sig_len;
        assert_int_equal(dmsc_sig_sign(s, nb.name.value, nb.name.len, sig + 2, &sig_len), 0);
        sig[0] = DMSC_TT_SIG_VALUE;
        sig[1] = (uint8_t)sig_len;
        assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, sig, sig_len + 2), 0);
        return mk_interest(b, &nb.name, false, NULL, NULL);
    }
    }
}

static void deliver_from(fx_t *fx, const ibuf_t *b, uint64_t incoming)
{
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_INTEREST;
    p.wire = b->wire;
    p.len = b->len;
    p.incoming_face = incoming;
    dmsc_nfdmgmt_handle_interest(fx->m, &p, fx->now, on_reply, fx);
}

static void deliver(fx_t *fx, const ibuf_t *b)
{
    deliver_from(fx, b, F_APP);
}

/* ---- checking replies ---- */

typedef struct {
    dmsc_data_t d;
    dmsc_nfd_cr_t cr;
    dmsc_nfd_cp_t body;
    bool has_body;
} resp_t;

/* Decode reply i as a command response named after b; returns its code. */
static uint64_t response(fx_t *fx, size_t i, const ibuf_t *b, resp_t *r)
{
    assert_true(i < fx->nreplies);
    reply_t *rep = &fx->replies[i];
    assert_int_equal(dmsc_data_decode(&r->d, rep->wire, rep->len, sizeof rep->wire), 0);
    assert_true(dmsc_name_equal(&r->d.name, &b->name.name));
    assert_true(r->d.has_freshness);
    assert_int_equal(r->d.freshness, 1000);
    /* DigestSha256 by default, and it verifies */
    assert_int_equal(r->d.sig_info.type, DMSC_SIG_SHA256);
    assert_int_equal(dmsc_data_verify(&r->d, dmsc_sig_digest_verifier()), 0);
    assert_int_equal(dmsc_nfd_cr_decode(&r->cr, r->d.content.p, r->d.content.n), 0);
    r->has_body = r->cr.body.n > 0;
    if (r->has_body) assert_int_equal(dmsc_nfd_cp_decode(&r->body, r->cr.body.p, r->cr.body.n), 0);
    return r->cr.code;
}

/* Send a command from F_APP, expect exactly one reply; returns its code. */
static uint64_t run(fx_t *fx, const char *cmd, const dmsc_nfd_cp_t *cp, int format, resp_t *r)
{
    ibuf_t b;
    mk_command(&b, cmd, cp, format);
    size_t before = fx->nreplies;
    deliver(fx, &b);
    assert_int_equal(fx->nreplies, before + 1);
    return response(fx, before, &b, r);
}

static dmsc_nfd_cp_t cp_name(dmsc_namebuf_t *nb, const char *uri)
{
    dmsc_nfd_cp_t cp;
    dmsc_nfd_cp_init(&cp);
    assert_int_equal(dmsc_namebuf_from_uri(nb, uri), 0);
    cp.has = DMSC_CP_NAME;
    cp.name = nb->name;
    return cp;
}

static bool name_is(const dmsc_name_t *n, const char *uri)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    return dmsc_name_equal(n, &nb.name);
}

static bool slice_is(dmsc_slice_t s, const char *str)
{
    return dmsc_slice_eq(s, dmsc_slice(str, strlen(str)));
}

/* FIB nexthop cost of (prefix, face), or -1 */
typedef struct {
    const dmsc_name_t *want;
    dmsc_faceid_t face;
    int64_t cost;
} fibq_t;

static int fibq_cb(void *arg, const dmsc_name_t *prefix, const dmsc_nexthop_t *nh, size_t n)
{
    fibq_t *q = arg;
    if (!dmsc_name_equal(prefix, q->want)) return 0;
    for (size_t i = 0; i < n; i++)
        if (nh[i].face == q->face) q->cost = (int64_t)nh[i].cost;
    return 1;
}

static int64_t fib_cost(fx_t *fx, const char *uri, dmsc_faceid_t face)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    fibq_t q = {&nb.name, face, -1};
    dmsc_fw_fib_foreach(fx->fw, fibq_cb, &q);
    return q.cost;
}

/* ---- rib ---- */

static void test_rib_register_defaults(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/app/one");
    resp_t r;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 200);
    assert_true(slice_is(r.cr.text, "Success"));
    /* the effective parameters: FaceId of the requester and the defaults */
    assert_true(r.has_body);
    assert_int_equal(r.body.has, DMSC_CP_NAME | DMSC_CP_FACE_ID | DMSC_CP_ORIGIN | DMSC_CP_COST |
                                     DMSC_CP_FLAGS);
    assert_true(name_is(&r.body.name, "/app/one"));
    assert_int_equal(r.body.face_id, F_APP);
    assert_int_equal(r.body.origin, 0);
    assert_int_equal(r.body.cost, 0);
    assert_int_equal(r.body.flags, DMSC_ROUTE_CHILD_INHERIT);
    assert_int_equal(fib_cost(fx, "/app/one", F_APP), 0);
    const dmsc_route_t *routes;
    assert_int_equal(dmsc_rib_find(fx->rib, &cp.name, &routes), 1);
    assert_true(routes[0].expires == DMSC_RIB_NEVER);
}

static void test_rib_register_explicit(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/net/two");
    cp.has |=
        DMSC_CP_FACE_ID | DMSC_CP_ORIGIN | DMSC_CP_COST | DMSC_CP_FLAGS | DMSC_CP_EXPIRATION_PERIOD;
    cp.face_id = F_NET;
    cp.origin = 255;
    cp.cost = 42;
    cp.flags = DMSC_ROUTE_CAPTURE;
    cp.expiration_period = 5000;
    resp_t r;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 200);
    assert_int_equal(r.body.face_id, F_NET);
    assert_int_equal(r.body.origin, 255);
    assert_int_equal(r.body.cost, 42);
    assert_int_equal(r.body.flags, DMSC_ROUTE_CAPTURE);
    assert_true(r.body.has & DMSC_CP_EXPIRATION_PERIOD);
    assert_int_equal(r.body.expiration_period, 5000);
    assert_int_equal(fib_cost(fx, "/net/two", F_NET), 42);

    /* the route expires 5 s later */
    fx->now += 5000 * MS;
    dmsc_rib_run_timers(fx->rib, fx->now);
    assert_int_equal(fib_cost(fx, "/net/two", F_NET), -1);
}

static void test_rib_register_errors(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/x");

    cp.has |= DMSC_CP_FACE_ID;
    cp.face_id = 999;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 410);
    assert_false(r.has_body);

    /* 33 components: NFD's limit is 32 */
    char uri[200] = "";
    for (int i = 0; i < 33; i++)
        strcat(uri, "/c");
    cp = cp_name(&nb, uri);
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 414);

    /* forbidden field (Mask), missing Name */
    cp = cp_name(&nb, "/x");
    cp.has |= DMSC_CP_MASK;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 400);
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_COST;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 400);

    /* no FaceId and no IncomingFaceId */
    ibuf_t b;
    cp = cp_name(&nb, "/x");
    mk_command(&b, "rib/register", &cp, UNSIGNED);
    deliver_from(fx, &b, 0);
    assert_int_equal(response(fx, fx->nreplies - 1, &b, &r), 404);

    /* the RIB is full */
    dmsc_rib_set_limits(fx->rib, 0, 1);
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 503);
    assert_int_equal(dmsc_rib_size(fx->rib), 0);
}

static void test_malformed_parameters(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    ibuf_t b;
    resp_t r;
    /* the parameters component is not a ControlParameters */
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/rib/register/garbage"), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(response(fx, 0, &b, &r), 400);
    /* too short: no parameters at all */
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/rib/register"), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(response(fx, 1, &b, &r), 400);
}

static void test_rib_unregister(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/gone");
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 200);
    cp.has |= DMSC_CP_ORIGIN;
    cp.origin = 7; /* another origin: not this route */
    assert_int_equal(run(fx, "rib/unregister", &cp, UNSIGNED, &r), 200);
    assert_int_equal(fib_cost(fx, "/gone", F_APP), 0);
    cp.has &= ~(uint32_t)DMSC_CP_ORIGIN;
    assert_int_equal(run(fx, "rib/unregister", &cp, UNSIGNED, &r), 200);
    assert_true(slice_is(r.cr.text, "Success"));
    assert_int_equal(r.body.has, DMSC_CP_NAME | DMSC_CP_FACE_ID | DMSC_CP_ORIGIN);
    assert_int_equal(r.body.face_id, F_APP);
    assert_int_equal(r.body.origin, 0);
    assert_int_equal(fib_cost(fx, "/gone", F_APP), -1);
    assert_int_equal(dmsc_rib_size(fx->rib), 0);
    /* again: still 200, as NFD */
    assert_int_equal(run(fx, "rib/unregister", &cp, UNSIGNED, &r), 200);
    /* forbidden Cost */
    cp.has |= DMSC_CP_COST;
    assert_int_equal(run(fx, "rib/unregister", &cp, UNSIGNED, &r), 400);
}

/* ---- fib ---- */

static void test_fib_commands(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/fib/a");
    assert_int_equal(run(fx, "fib/add-nexthop", &cp, UNSIGNED, &r), 200);
    assert_int_equal(r.body.has, DMSC_CP_NAME | DMSC_CP_FACE_ID | DMSC_CP_COST);
    assert_int_equal(r.body.face_id, F_APP);
    assert_int_equal(r.body.cost, 0);
    assert_int_equal(fib_cost(fx, "/fib/a", F_APP), 0);

    cp.has |= DMSC_CP_FACE_ID | DMSC_CP_COST;
    cp.face_id = F_NET;
    cp.cost = 9;
    assert_int_equal(run(fx, "fib/add-nexthop", &cp, UNSIGNED, &r), 200);
    assert_int_equal(fib_cost(fx, "/fib/a", F_NET), 9);

    cp.face_id = 4242;
    assert_int_equal(run(fx, "fib/add-nexthop", &cp, UNSIGNED, &r), 410);
    cp.has |= DMSC_CP_ORIGIN; /* forbidden */
    cp.face_id = F_NET;
    assert_int_equal(run(fx, "fib/add-nexthop", &cp, UNSIGNED, &r), 400);

    char uri[200] = "";
    for (int i = 0; i < 33; i++)
        strcat(uri, "/c");
    dmsc_namebuf_t nb2;
    dmsc_nfd_cp_t lng = cp_name(&nb2, uri);
    assert_int_equal(run(fx, "fib/add-nexthop", &lng, UNSIGNED, &r), 414);

    dmsc_nfd_cp_t rm = cp_name(&nb2, "/fib/a");
    rm.has |= DMSC_CP_FACE_ID;
    rm.face_id = F_NET;
    assert_int_equal(run(fx, "fib/remove-nexthop", &rm, UNSIGNED, &r), 200);
    assert_int_equal(r.body.face_id, F_NET);
    assert_int_equal(fib_cost(fx, "/fib/a", F_NET), -1);
    assert_int_equal(fib_cost(fx, "/fib/a", F_APP), 0);
    rm.has &= ~(uint32_t)DMSC_CP_FACE_ID; /* the requesting face */
    assert_int_equal(run(fx, "fib/remove-nexthop", &rm, UNSIGNED, &r), 200);
    assert_int_equal(r.body.face_id, F_APP);
    assert_int_equal(fib_cost(fx, "/fib/a", F_APP), -1);
    /* unknown face: 200 anyway */
    rm.has |= DMSC_CP_FACE_ID;
    rm.face_id = 4242;
    assert_int_equal(run(fx, "fib/remove-nexthop", &rm, UNSIGNED, &r), 200);
}

/* ---- strategy choice ---- */

static void test_strategy_choice(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb, sb;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/sc");
    cp.has |= DMSC_CP_STRATEGY;
    assert_int_equal(dmsc_namebuf_from_uri(&sb, "/localhost/nfd/strategy/multicast"), 0);
    cp.strategy = sb.name;
    assert_int_equal(run(fx, "strategy-choice/set", &cp, UNSIGNED, &r), 200);
    assert_true(slice_is(r.cr.text, "OK"));
    assert_true(name_is(&r.body.name, "/sc"));
    /* the instance name as the forwarder records it (with its version) */
    assert_int_equal(r.body.strategy.ncomps, 5);
    assert_int_equal(dmsc_name_comp(&r.body.strategy, 4).type, DMSC_TT_VERSION);

    char uri[200] = "";
    for (int i = 0; i < 33; i++)
        strcat(uri, "/c");
    dmsc_namebuf_t lb;
    dmsc_nfd_cp_t lng = cp_name(&lb, uri);
    lng.has |= DMSC_CP_STRATEGY;
    lng.strategy = sb.name;
    assert_int_equal(run(fx, "strategy-choice/set", &lng, UNSIGNED, &r), 414);

    assert_int_equal(dmsc_namebuf_from_uri(&sb, "/localhost/nfd/strategy/no-such"), 0);
    cp.strategy = sb.name;
    assert_int_equal(run(fx, "strategy-choice/set", &cp, UNSIGNED, &r), 404);
    cp.has &= ~(uint32_t)DMSC_CP_STRATEGY;
    assert_int_equal(run(fx, "strategy-choice/set", &cp, UNSIGNED, &r), 400);

    assert_int_equal(run(fx, "strategy-choice/unset", &cp, UNSIGNED, &r), 200);
    assert_true(name_is(&r.body.name, "/sc"));
    dmsc_nfd_cp_t root = cp_name(&nb, "/");
    assert_int_equal(run(fx, "strategy-choice/unset", &root, UNSIGNED, &r), 400);
}

/* ---- faces ---- */

static dmsc_nfd_cp_t cp_uri(const char *uri)
{
    dmsc_nfd_cp_t cp;
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_URI;
    cp.uri = dmsc_slice(uri, strlen(uri));
    return cp;
}

static void test_faces_create_sync(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_uri("udp://198.51.100.7:6363"); /* canonized to udp4:// */
    cp.has |= DMSC_CP_FLAGS | DMSC_CP_MASK;
    cp.flags = DMSC_FACE_FLAG_CONGESTION_MARKING;
    cp.mask = DMSC_FACE_FLAG_CONGESTION_MARKING | DMSC_FACE_FLAG_LP_RELIABILITY;
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 200);
    assert_true(slice_is(r.cr.text, "OK"));
    assert_true(r.body.has & DMSC_CP_FACE_ID);
    assert_int_equal(r.body.face_id, 300);
    assert_true(slice_is(r.body.uri, "udp4://198.51.100.7:6363"));
    assert_true(slice_is(r.body.local_uri, "udp4://0.0.0.0:6363"));
    assert_int_equal(r.body.face_persistency, DMSC_FACE_PERSISTENT);
    assert_int_equal(r.body.flags, DMSC_FACE_FLAG_CONGESTION_MARKING);
    assert_int_equal(fx->ft.last_persistency, DMSC_FACE_PERSISTENT);
    assert_int_equal(fx->ft.last_flags, DMSC_FACE_FLAG_CONGESTION_MARKING);

    /* the same face again: 409 with its properties */
    cp = cp_uri("udp4://198.51.100.7:6363");
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 409);
    assert_int_equal(r.body.face_id, 300);
    assert_true(slice_is(r.body.uri, "udp4://198.51.100.7:6363"));

    /* an existing face with an MTU: the 409 body carries it too */
    cp = cp_uri("udp4://192.0.2.1:6363");
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 409);
    assert_int_equal(r.body.face_id, F_NET);
    assert_true(r.body.has & DMSC_CP_MTU);
    assert_int_equal(r.body.mtu, 1400);
    assert_int_equal(r.body.flags, DMSC_FACE_FLAG_CONGESTION_MARKING);

    /* permanent */
    cp = cp_uri("udp4://198.51.100.8:6363");
    cp.has |= DMSC_CP_FACE_PERSISTENCY;
    cp.face_persistency = DMSC_FACE_PERMANENT;
    assert_int_equal(run(fx, "faces/create", &cp, V03_DIGEST, &r), 200);
    assert_int_equal(r.body.face_persistency, DMSC_FACE_PERMANENT);
}

static void test_faces_create_errors(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_uri("ether://[01:00:5e:00:17:aa]");
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 406);
    cp = cp_uri("udp4://bad-host:6363");
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 400);
    cp = cp_uri("udp4://192.0.2.9:6363");
    cp.has |= DMSC_CP_FACE_PERSISTENCY;
    cp.face_persistency = DMSC_FACE_ON_DEMAND;
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 406);
    cp.face_persistency = 7;
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 400);
    cp = cp_uri("udp4://192.0.2.9:6363");
    cp.has |= DMSC_CP_LOCAL_URI;
    cp.local_uri = dmsc_slice("udp4://0.0.0.0:6363", 19);
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 406);
    cp = cp_uri("udp4://192.0.2.9:6363");
    cp.has |= DMSC_CP_FLAGS; /* without Mask */
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 400);
    dmsc_nfd_cp_init(&cp); /* no Uri */
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 400);
    /* the face table refuses to start */
    fx->ft.create_mode = CREATE_RETURN;
    fx->ft.create_rc = DMSC_ENOTSUP;
    cp = cp_uri("udp4://192.0.2.9:6363");
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 406);
    fx->ft.create_rc = DMSC_ENOMEM;
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 500);
}

static void test_faces_create_async(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    ibuf_t b;
    fx->ft.create_mode = CREATE_ASYNC;
    dmsc_nfd_cp_t cp = cp_uri("tcp4://127.0.0.1:6363");
    mk_command(&b, "faces/create", &cp, V03_ED25519);
    deliver(fx, &b);
    assert_int_equal(fx->nreplies, 0); /* connecting */
    ft_complete(&fx->ft, 0);
    assert_int_equal(fx->nreplies, 1);
    assert_int_equal(response(fx, 0, &b, &r), 200);
    assert_int_equal(r.body.face_id, 300);
    assert_true(slice_is(r.body.uri, "tcp4://127.0.0.1:6363"));
    assert_true(slice_is(r.body.local_uri, "tcp4://127.0.0.1:50000"));

    /* connection failure */
    cp = cp_uri("tcp4://127.0.0.1:6364");
    mk_command(&b, "faces/create", &cp, UNSIGNED);
    deliver(fx, &b);
    assert_int_equal(fx->nreplies, 1);
    ft_complete(&fx->ft, DMSC_EIO);
    assert_int_equal(fx->nreplies, 2);
    assert_int_equal(response(fx, 1, &b, &r), 504);

    /* at most DMSC_NFDMGMT_PENDING_MAX creations in progress */
    for (int i = 0; i < DMSC_NFDMGMT_PENDING_MAX; i++) {
        char u[64];
        snprintf(u, sizeof u, "tcp4://127.0.0.1:%d", 7000 + i);
        cp = cp_uri(u);
        mk_command(&b, "faces/create", &cp, UNSIGNED);
        deliver(fx, &b);
    }
    assert_int_equal(fx->nreplies, 2);
    cp = cp_uri("tcp4://127.0.0.1:9999");
    assert_int_equal(run(fx, "faces/create", &cp, UNSIGNED, &r), 503);
    while (fx->ft.npend) /* all fail: replies 504 */
        ft_complete(&fx->ft, DMSC_EIO);
    assert_int_equal(fx->nreplies, 3 + DMSC_NFDMGMT_PENDING_MAX);
    fx->nreplies = 2;

    /* the dispatcher goes away before the connection completes: no reply,
     * nothing leaks (ASan) */
    mk_command(&b, "faces/create", &cp, UNSIGNED);
    deliver(fx, &b);
    dmsc_nfdmgmt_free(fx->m);
    fx->m = NULL;
    ft_complete(&fx->ft, 0);
    assert_int_equal(fx->nreplies, 2);
}

static void test_faces_update(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    dmsc_nfd_cp_t cp;
    dmsc_nfd_cp_init(&cp);
    /* self-update of the requesting face: no FaceId */
    cp.has = DMSC_CP_FLAGS | DMSC_CP_MASK;
    cp.flags = 0;
    cp.mask = DMSC_FACE_FLAG_LOCAL_FIELDS;
    assert_int_equal(run(fx, "faces/update", &cp, UNSIGNED, &r), 200);
    assert_int_equal(r.body.face_id, F_APP);
    assert_int_equal(r.body.flags & DMSC_FACE_FLAG_LOCAL_FIELDS, 0);
    assert_false(r.body.has & DMSC_CP_URI); /* no URIs in faces/update responses */
    assert_true(r.body.has & DMSC_CP_FACE_PERSISTENCY);

    /* persistency of another face */
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_FACE_ID | DMSC_CP_FACE_PERSISTENCY;
    cp.face_id = F_NET;
    cp.face_persistency = DMSC_FACE_PERMANENT;
    assert_int_equal(run(fx, "faces/update", &cp, UNSIGNED, &r), 200);
    assert_int_equal(r.body.face_id, F_NET);
    assert_int_equal(r.body.face_persistency, DMSC_FACE_PERMANENT);
    assert_false(r.body.has & DMSC_CP_MTU); /* older ndn-cxx forbids it here */

    /* LocalFields on a non-local face: 409 naming the flag */
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_FACE_ID | DMSC_CP_FLAGS | DMSC_CP_MASK;
    cp.face_id = F_NET;
    cp.flags = cp.mask = DMSC_FACE_FLAG_LOCAL_FIELDS;
    assert_int_equal(run(fx, "faces/update", &cp, UNSIGNED, &r), 409);
    assert_int_equal(r.body.flags, DMSC_FACE_FLAG_LOCAL_FIELDS);
    assert_int_equal(r.body.mask, DMSC_FACE_FLAG_LOCAL_FIELDS);

    /* a persistency the face cannot take */
    fx->ft.refuse_persistency = DMSC_FACE_ON_DEMAND;
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_FACE_ID | DMSC_CP_FACE_PERSISTENCY;
    cp.face_id = F_NET;
    cp.face_persistency = DMSC_FACE_ON_DEMAND;
    assert_int_equal(run(fx, "faces/update", &cp, UNSIGNED, &r), 409);
    assert_true(r.body.has & DMSC_CP_FACE_PERSISTENCY);
    assert_int_equal(r.body.face_persistency, DMSC_FACE_ON_DEMAND);

    cp.face_id = 4242;
    assert_int_equal(run(fx, "faces/update", &cp, UNSIGNED, &r), 404);
    cp.has = DMSC_CP_URI; /* forbidden */
    cp.uri = dmsc_slice("x://", 4);
    assert_int_equal(run(fx, "faces/update", &cp, UNSIGNED, &r), 400);
}

static void test_faces_destroy(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    dmsc_namebuf_t nb;
    /* a route via F_NET, which goes with the face */
    dmsc_nfd_cp_t reg = cp_name(&nb, "/via/net");
    reg.has |= DMSC_CP_FACE_ID;
    reg.face_id = F_NET;
    assert_int_equal(run(fx, "rib/register", &reg, UNSIGNED, &r), 200);
    assert_int_equal(dmsc_rib_size(fx->rib), 1);

    dmsc_nfd_cp_t cp;
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_FACE_ID;
    cp.face_id = F_NET;
    assert_int_equal(run(fx, "faces/destroy", &cp, UNSIGNED, &r), 200);
    assert_int_equal(r.body.has, DMSC_CP_FACE_ID);
    assert_int_equal(r.body.face_id, F_NET);
    assert_null(ft_find(&fx->ft, F_NET));
    assert_int_equal(dmsc_rib_size(fx->rib), 0);
    assert_int_equal(fib_cost(fx, "/via/net", F_NET), -1);

    /* unknown: 200 as NFD; FaceId 0 or missing: 400 */
    assert_int_equal(run(fx, "faces/destroy", &cp, UNSIGNED, &r), 200);
    cp.face_id = 0;
    assert_int_equal(run(fx, "faces/destroy", &cp, UNSIGNED, &r), 400);
    dmsc_nfd_cp_init(&cp);
    assert_int_equal(run(fx, "faces/destroy", &cp, UNSIGNED, &r), 400);
}

/* ---- cs ---- */

static void test_cs_commands(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    dmsc_nfd_cp_t cp;
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_CAPACITY;
    cp.capacity = 1234;
    assert_int_equal(run(fx, "cs/config", &cp, UNSIGNED, &r), 200);
    assert_int_equal(r.body.has, DMSC_CP_CAPACITY | DMSC_CP_FLAGS);
    assert_int_equal(r.body.capacity, 1234);
    assert_int_equal(r.body.flags, DMSC_NFD_CS_ENABLE_ADMIT | DMSC_NFD_CS_ENABLE_SERVE);
    /* disabling admit is not supported */
    cp.has = DMSC_CP_FLAGS | DMSC_CP_MASK;
    cp.flags = 0;
    cp.mask = DMSC_NFD_CS_ENABLE_ADMIT;
    assert_int_equal(run(fx, "cs/config", &cp, UNSIGNED, &r), 501);
    /* enabling (a no-op) is fine */
    cp.flags = DMSC_NFD_CS_ENABLE_ADMIT;
    assert_int_equal(run(fx, "cs/config", &cp, UNSIGNED, &r), 200);
    assert_int_equal(r.body.capacity, 1234);

    dmsc_namebuf_t nb;
    dmsc_nfd_cp_t er = cp_name(&nb, "/");
    assert_int_equal(run(fx, "cs/erase", &er, UNSIGNED, &r), 200);
    assert_true(r.body.has & DMSC_CP_COUNT);
    assert_int_equal(r.body.count, 0);
    er = cp_name(&nb, "/some/prefix");
    assert_int_equal(run(fx, "cs/erase", &er, UNSIGNED, &r), 501);
    er = cp_name(&nb, "/");
    er.has |= DMSC_CP_COUNT;
    er.count = 0;
    assert_int_equal(run(fx, "cs/erase", &er, UNSIGNED, &r), 400);
}

/* ---- signed command formats and authorization ---- */

typedef struct {
    int calls;
    bool allow;
    bool had_sig;
    uint64_t sig_type;
    int keyloc_kind;
    char module[32], verb[32];
} authz_t;

static bool authz_cb(void *arg, const dmsc_interest_t *in, const dmsc_siginfo_t *si,
                     const char *module, const char *verb)
{
    authz_t *a = arg;
    a->calls++;
    a->had_sig = si != NULL;
    a->sig_type = si ? si->type : 0;
    a->keyloc_kind = si ? si->keyloc_kind : -1;
    snprintf(a->module, sizeof a->module, "%s", module);
    snprintf(a->verb, sizeof a->verb, "%s", verb);
    return a->allow;
}

static void test_signed_formats(void **state)
{
    fx_t *fx = *state;
    authz_t a = {.allow = true};
    dmsc_nfdmgmt_set_authorizer(fx->m, authz_cb, &a);
    dmsc_namebuf_t nb;
    resp_t r;
    static const struct {
        int format;
        bool sig;
        uint64_t type;
    } cases[] = {
        {UNSIGNED, false, 0},
        {V03_DIGEST, true, DMSC_SIG_SHA256},
        {V03_ED25519, true, DMSC_SIG_ED25519},
        {LEGACY, true, DMSC_SIG_ED25519},
        {IN_APP_PARAMS, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "/signed/%zu", i);
        dmsc_nfd_cp_t cp = cp_name(&nb, uri);
        assert_int_equal(run(fx, "rib/register", &cp, cases[i].format, &r), 200);
        assert_true(name_is(&r.body.name, uri));
        assert_int_equal(fib_cost(fx, uri, F_APP), 0);
        assert_int_equal(a.calls, (int)i + 1);
        assert_int_equal(a.had_sig, cases[i].sig);
        if (cases[i].sig) assert_int_equal(a.sig_type, cases[i].type);
        if (cases[i].type == DMSC_SIG_ED25519) assert_int_equal(a.keyloc_kind, DMSC_KEYLOC_NAME);
        assert_string_equal(a.module, "rib");
        assert_string_equal(a.verb, "register");
    }

    /* the authorizer says no: 403, nothing changes */
    a.allow = false;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/denied");
    assert_int_equal(run(fx, "rib/register", &cp, V03_ED25519, &r), 403);
    assert_int_equal(fib_cost(fx, "/denied", F_APP), -1);
}

static void test_bad_signatures(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    ibuf_t b;
    resp_t r;
    uint8_t cpbuf[256];
    dmsc_slice_t cps;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/x");
    encode_cp(&cp, cpbuf, sizeof cpbuf, &cps);

    /* legacy shape, but the SignatureInfo component is not a SignatureInfo */
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/rib/register"), 0);
    assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, cps.p, cps.n), 0);
    assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_GENERIC, 1), 0);
    assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, "n", 1), 0);
    assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, "\x16\x01\x00", 3), 0);
    assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, "\x17\x00", 2), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    /* \x16\x01\x00 is SignatureInfo{ garbage 0x00 }: no SignatureType */
    assert_int_equal(response(fx, 0, &b, &r), 403);

    /* neither unsigned nor a known signed shape */
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/rib/register"), 0);
    assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, cps.p, cps.n), 0);
    assert_int_equal(dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, "extra", 5), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(response(fx, 1, &b, &r), 403);
    assert_int_equal(dmsc_rib_size(fx->rib), 0);
}

static void test_not_for_us(void **state)
{
    fx_t *fx = *state;
    dmsc_namebuf_t nb;
    ibuf_t b;
    resp_t r;
    /* outside /localhost/nfd, the notification stream, a Data packet: silence */
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/other/rib/register"), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/faces/events"), 0);
    mk_interest(&b, &nb.name, true, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd"), 0);
    mk_interest(&b, &nb.name, true, NULL, NULL);
    deliver(fx, &b);
    dmsc_pkt_t p = {.kind = DMSC_PKT_DATA, .wire = b.wire, .len = b.len};
    dmsc_nfdmgmt_handle_interest(fx->m, &p, fx->now, on_reply, fx);
    static const uint8_t junk[] = {0x05, 0x02, 0x07, 0x00};
    p.kind = DMSC_PKT_INTEREST;
    p.wire = junk;
    p.len = sizeof junk;
    dmsc_nfdmgmt_handle_interest(fx->m, &p, fx->now, on_reply, fx);
    assert_int_equal(fx->nreplies, 0);

    /* unknown verb and module: 501 */
    dmsc_nfd_cp_t cp = cp_name(&nb, "/x");
    assert_int_equal(run(fx, "rib/frobnicate", &cp, UNSIGNED, &r), 501);
    assert_int_equal(run(fx, "nosuch/verb", &cp, UNSIGNED, &r), 501);
}

/* ---- datasets ---- */

typedef struct {
    uint8_t payload[200000];
    size_t len;
    uint64_t version;
    uint64_t nseg;
} dataset_t;

/* Decode reply i as a dataset segment of base_uri; check its name; append
 * its content to ds. Returns the segment number. */
static uint64_t segment(fx_t *fx, size_t i, const char *base_uri, dataset_t *ds)
{
    dmsc_data_t d;
    assert_true(i < fx->nreplies);
    assert_int_equal(dmsc_data_decode(&d, fx->replies[i].wire, fx->replies[i].len, 20000), 0);
    dmsc_namebuf_t base;
    assert_int_equal(dmsc_namebuf_from_uri(&base, base_uri), 0);
    assert_int_equal(d.name.ncomps, base.name.ncomps + 2);
    assert_true(dmsc_name_is_prefix(&base.name, &d.name));
    dmsc_comp_t v = dmsc_name_comp(&d.name, base.name.ncomps);
    dmsc_comp_t s = dmsc_name_comp(&d.name, base.name.ncomps + 1);
    assert_int_equal(v.type, DMSC_TT_VERSION);
    assert_int_equal(s.type, DMSC_TT_SEGMENT);
    uint64_t version, seg, last;
    assert_int_equal(dmsc_nni_decode(v.value, v.len, &version), 0);
    assert_int_equal(dmsc_nni_decode(s.value, s.len, &seg), 0);
    assert_true(d.has_freshness);
    assert_int_equal(d.freshness, 1000);
    assert_false(d.has_content_type && d.content_type == DMSC_CONTENT_NACK);
    assert_true(d.has_final_block);
    assert_int_equal(d.final_block.type, DMSC_TT_SEGMENT);
    assert_int_equal(dmsc_nni_decode(d.final_block.value, d.final_block.len, &last), 0);
    if (seg == 0) {
        ds->version = version;
        ds->nseg = last + 1;
        ds->len = 0;
    } else {
        assert_true(version == ds->version);
        assert_true(last + 1 == ds->nseg);
    }
    assert_true(ds->len + d.content.n <= sizeof ds->payload);
    memcpy(ds->payload + ds->len, d.content.p, d.content.n);
    ds->len += d.content.n;
    return seg;
}

/* Fetch a whole dataset as NDNts does: discover the version with CanBePrefix,
 * then fetch segments 1.. by exact name. */
static void fetch(fx_t *fx, const char *base_uri, dataset_t *ds)
{
    dmsc_namebuf_t nb;
    ibuf_t b;
    size_t first = fx->nreplies;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, base_uri), 0);
    mk_interest(&b, &nb.name, true, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(fx->nreplies, first + 1);
    assert_int_equal(segment(fx, first, base_uri, ds), 0);
    for (uint64_t k = 1; k < ds->nseg; k++) {
        dmsc_namebuf_t sn;
        assert_int_equal(dmsc_namebuf_from_uri(&sn, base_uri), 0);
        assert_int_equal(dmsc_namebuf_append_nni(&sn, DMSC_TT_VERSION, ds->version), 0);
        assert_int_equal(dmsc_namebuf_append_nni(&sn, DMSC_TT_SEGMENT, k), 0);
        mk_interest(&b, &sn.name, false, NULL, NULL);
        deliver(fx, &b);
        assert_int_equal(fx->nreplies, first + 1 + k);
        assert_int_equal(segment(fx, first + k, base_uri, ds), k);
    }
}

static void test_status_general(void **state)
{
    fx_t *fx = *state;
    dataset_t *ds = calloc(1, sizeof *ds);
    dmsc_nfdmgmt_set_clock(fx->m, 1700000000000ull, fx->now);
    dmsc_nfdmgmt_set_version(fx->m, "dmsc-test");
    dmsc_namebuf_t nb;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/status/route");
    resp_t r;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 200);
    fx->now += 2500 * MS;
    fetch(fx, "/localhost/nfd/status/general", ds);
    assert_int_equal(ds->nseg, 1);
    assert_true(ds->version >= 1700000002500ull);
    dmsc_nfd_status_t s;
    assert_int_equal(dmsc_nfd_status_decode(&s, ds->payload, ds->len), 0);
    assert_true(slice_is(s.nfd_version, "dmsc-test"));
    assert_true(s.start_timestamp == 1700000000000ull);
    assert_true(s.current_timestamp == 1700000002500ull);
    assert_int_equal(s.n_fib_entries, dmsc_fw_counters(fx->fw)->fib_size);
    assert_true(s.n_fib_entries >= 1);
    free(ds);
}

static void test_faces_list_and_query(void **state)
{
    fx_t *fx = *state;
    dataset_t *ds = calloc(1, sizeof *ds);
    fetch(fx, "/localhost/nfd/faces/list", ds);
    dmsc_tlv_reader_t rd;
    dmsc_tlv_t el;
    dmsc_nfd_face_status_t fs[4];
    size_t n = 0;
    dmsc_tlv_reader_init(&rd, ds->payload, ds->len);
    while (!dmsc_tlv_reader_eof(&rd)) {
        assert_int_equal(dmsc_tlv_read(&rd, &el), 0);
        assert_true(n < 4);
        assert_int_equal(dmsc_nfd_face_status_decode(&fs[n++], el.start, el.size), 0);
    }
    assert_int_equal(n, 2);
    assert_int_equal(fs[0].face_id, F_APP);
    assert_true(slice_is(fs[0].uri, "unix:///run/dmsc.sock"));
    assert_int_equal(fs[0].face_scope, DMSC_SCOPE_LOCAL);
    assert_int_equal(fs[0].face_persistency, DMSC_FACE_ON_DEMAND);
    assert_int_equal(fs[0].flags, DMSC_FACE_FLAG_LOCAL_FIELDS);
    assert_false(fs[0].has_mtu);
    assert_int_equal(fs[1].face_id, F_NET);
    assert_true(slice_is(fs[1].uri, "udp4://192.0.2.1:6363"));
    assert_true(slice_is(fs[1].local_uri, "udp4://0.0.0.0:6363"));
    assert_int_equal(fs[1].face_scope, DMSC_SCOPE_NONLOCAL);
    assert_int_equal(fs[1].link_type, DMSC_LINK_P2P);
    assert_true(fs[1].has_mtu);
    assert_int_equal(fs[1].mtu, 1400);
    assert_int_equal(fs[1].flags, DMSC_FACE_FLAG_CONGESTION_MARKING);

    /* faces/query with a FaceQueryFilter component */
    dmsc_nfd_face_filter_t f = {.has = DMSC_FQF_URI_SCHEME, .uri_scheme = dmsc_slice("udp4", 4)};
    uint8_t fbuf[64];
    dmsc_enc_t e;
    dmsc_enc_init(&e, fbuf, sizeof fbuf);
    assert_int_equal(dmsc_nfd_face_filter_prepend(&e, &f), 0);
    dmsc_namebuf_t qn;
    assert_int_equal(dmsc_namebuf_from_uri(&qn, "/localhost/nfd/faces/query"), 0);
    assert_int_equal(dmsc_namebuf_append(&qn, DMSC_TT_GENERIC, dmsc_enc_data(&e),
                                         sizeof fbuf - dmsc_enc_mark(&e)),
                     0);
    char quri[256];
    assert_true(dmsc_name_to_uri(&qn.name, DMSC_URI_CANONICAL, quri, sizeof quri) > 0);
    fetch(fx, quri, ds);
    assert_int_equal(dmsc_nfd_face_status_decode(&fs[0], ds->payload, ds->len), 0);
    assert_int_equal(fs[0].face_id, F_NET);

    /* a malformed filter: a Nack ControlResponse 400 named after the Interest */
    dmsc_namebuf_t bad;
    ibuf_t b;
    assert_int_equal(dmsc_namebuf_from_uri(&bad, "/localhost/nfd/faces/query/notafilter"), 0);
    mk_interest(&b, &bad.name, true, NULL, NULL);
    size_t at = fx->nreplies;
    deliver(fx, &b);
    dmsc_data_t d;
    dmsc_nfd_cr_t cr;
    assert_int_equal(dmsc_data_decode(&d, fx->replies[at].wire, fx->replies[at].len, 20000), 0);
    assert_true(dmsc_name_equal(&d.name, &b.name.name));
    assert_true(d.has_content_type);
    assert_int_equal(d.content_type, DMSC_CONTENT_NACK);
    assert_int_equal(dmsc_nfd_cr_decode(&cr, d.content.p, d.content.n), 0);
    assert_int_equal(cr.code, 400);
    /* no filter at all */
    assert_int_equal(dmsc_namebuf_from_uri(&bad, "/localhost/nfd/faces/query"), 0);
    mk_interest(&b, &bad.name, true, NULL, NULL);
    at = fx->nreplies;
    deliver(fx, &b);
    assert_int_equal(dmsc_data_decode(&d, fx->replies[at].wire, fx->replies[at].len, 20000), 0);
    assert_int_equal(d.content_type, DMSC_CONTENT_NACK);
    assert_int_equal(dmsc_nfd_cr_decode(&cr, d.content.p, d.content.n), 0);
    assert_int_equal(cr.code, 400);

    /* faces/channels: an empty dataset */
    fetch(fx, "/localhost/nfd/faces/channels", ds);
    assert_int_equal(ds->nseg, 1);
    assert_int_equal(ds->len, 0);
    free(ds);
}

static void test_fib_and_rib_list(void **state)
{
    fx_t *fx = *state;
    dataset_t *ds = calloc(1, sizeof *ds);
    dmsc_namebuf_t nb;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/list/a");
    cp.has |= DMSC_CP_COST | DMSC_CP_EXPIRATION_PERIOD;
    cp.cost = 3;
    cp.expiration_period = 60000;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 200);
    cp = cp_name(&nb, "/list/a/b");
    cp.has |= DMSC_CP_FACE_ID | DMSC_CP_COST | DMSC_CP_ORIGIN;
    cp.face_id = F_NET;
    cp.cost = 8;
    cp.origin = 255;
    assert_int_equal(run(fx, "rib/register", &cp, UNSIGNED, &r), 200);
    fx->now += 10000 * MS;

    fetch(fx, "/localhost/nfd/rib/list", ds);
    dmsc_nfd_rib_entry_t re;
    dmsc_nfd_route_t rt;
    dmsc_nfd_iter_t it;
    dmsc_tlv_t el;
    dmsc_tlv_reader_t rd;
    dmsc_tlv_reader_init(&rd, ds->payload, ds->len);
    assert_int_equal(dmsc_tlv_read(&rd, &el), 0);
    assert_int_equal(dmsc_nfd_rib_entry_decode(&re, el.start, el.size), 0);
    assert_true(name_is(&re.name, "/list/a"));
    assert_int_equal(re.n_routes, 1);
    dmsc_nfd_iter_init(&it, re.records);
    assert_int_equal(dmsc_nfd_route_next(&it, &rt), 1);
    assert_int_equal(rt.face_id, F_APP);
    assert_int_equal(rt.cost, 3);
    assert_int_equal(rt.flags, DMSC_ROUTE_CHILD_INHERIT);
    assert_true(rt.has_expiration_period);
    assert_int_equal(rt.expiration_period, 50000);
    assert_int_equal(dmsc_tlv_read(&rd, &el), 0);
    assert_int_equal(dmsc_nfd_rib_entry_decode(&re, el.start, el.size), 0);
    assert_true(name_is(&re.name, "/list/a/b"));
    dmsc_nfd_iter_init(&it, re.records);
    assert_int_equal(dmsc_nfd_route_next(&it, &rt), 1);
    assert_int_equal(rt.face_id, F_NET);
    assert_int_equal(rt.origin, 255);
    assert_false(rt.has_expiration_period);
    assert_true(dmsc_tlv_reader_eof(&rd));

    /* fib/list: /list/a/b inherits F_APP from /list/a */
    fetch(fx, "/localhost/nfd/fib/list", ds);
    bool seen = false;
    dmsc_tlv_reader_init(&rd, ds->payload, ds->len);
    while (!dmsc_tlv_reader_eof(&rd)) {
        dmsc_nfd_fib_entry_t fe;
        dmsc_nfd_nexthop_t nh;
        assert_int_equal(dmsc_tlv_read(&rd, &el), 0);
        assert_int_equal(dmsc_nfd_fib_entry_decode(&fe, el.start, el.size), 0);
        if (!name_is(&fe.name, "/list/a/b")) continue;
        seen = true;
        assert_int_equal(fe.n_nexthops, 2);
        dmsc_nfd_iter_init(&it, fe.records);
        uint64_t costs = 0;
        while (dmsc_nfd_nexthop_next(&it, &nh) == 1)
            costs += nh.face_id == F_NET ? nh.cost * 100 : nh.cost;
        assert_int_equal(costs, 803);
    }
    assert_true(seen);
    free(ds);
}

static void test_cs_info_and_strategy_list(void **state)
{
    fx_t *fx = *state;
    dataset_t *ds = calloc(1, sizeof *ds);
    fetch(fx, "/localhost/nfd/cs/info", ds);
    dmsc_nfd_cs_info_t ci;
    assert_int_equal(dmsc_nfd_cs_info_decode(&ci, ds->payload, ds->len), 0);
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    assert_int_equal(ci.capacity, cfg.cs_max_entries);
    assert_int_equal(ci.flags, DMSC_NFD_CS_ENABLE_ADMIT | DMSC_NFD_CS_ENABLE_SERVE);
    assert_int_equal(ci.n_entries, 0);

    dmsc_namebuf_t nb, sb;
    resp_t r;
    dmsc_nfd_cp_t cp = cp_name(&nb, "/mc");
    cp.has |= DMSC_CP_STRATEGY;
    assert_int_equal(dmsc_namebuf_from_uri(&sb, "/localhost/nfd/strategy/multicast"), 0);
    cp.strategy = sb.name;
    assert_int_equal(run(fx, "strategy-choice/set", &cp, UNSIGNED, &r), 200);
    fetch(fx, "/localhost/nfd/strategy-choice/list", ds);
    dmsc_tlv_reader_t rd;
    dmsc_tlv_t el;
    int n = 0;
    bool root = false, mc = false;
    dmsc_tlv_reader_init(&rd, ds->payload, ds->len);
    while (!dmsc_tlv_reader_eof(&rd)) {
        dmsc_name_t p, s;
        assert_int_equal(dmsc_tlv_read(&rd, &el), 0);
        assert_int_equal(dmsc_nfd_strategy_choice_decode(&p, &s, el.start, el.size), 0);
        dmsc_comp_t c3 = dmsc_name_comp(&s, 3);
        if (p.ncomps == 0) root = c3.len == 10 && memcmp(c3.value, "best-route", 10) == 0;
        if (name_is(&p, "/mc")) mc = c3.len == 9 && memcmp(c3.value, "multicast", 9) == 0;
        n++;
    }
    assert_int_equal(n, 2);
    assert_true(root);
    assert_true(mc);
    free(ds);
}

static void test_segmentation_and_cache(void **state)
{
    fx_t *fx = *state;
    dataset_t *ds = calloc(1, sizeof *ds);
    /* ~200 RIB entries with long names: several segments */
    for (int i = 0; i < 200; i++) {
        char uri[128];
        snprintf(uri, sizeof uri, "/segmentation/test/with/a/rather/long/name/%03d", i);
        dmsc_namebuf_t nb;
        assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
        dmsc_route_t rt = {F_NET, 0, (uint64_t)i, 0, DMSC_RIB_NEVER};
        assert_int_equal(dmsc_rib_add(fx->rib, &nb.name, &rt), 0);
    }
    fetch(fx, "/localhost/nfd/rib/list", ds);
    assert_true(ds->nseg >= 3);
    size_t count = 0;
    dmsc_tlv_reader_t rd;
    dmsc_tlv_reader_init(&rd, ds->payload, ds->len);
    while (!dmsc_tlv_reader_eof(&rd)) {
        dmsc_tlv_t el;
        dmsc_nfd_rib_entry_t re;
        assert_int_equal(dmsc_tlv_read(&rd, &el), 0);
        assert_int_equal(dmsc_nfd_rib_entry_decode(&re, el.start, el.size), 0);
        count++;
    }
    assert_int_equal(count, 200);
    uint64_t v1 = ds->version;

    /* the version alone: segment 0 */
    dmsc_namebuf_t nb;
    ibuf_t b;
    size_t at = fx->nreplies;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/rib/list"), 0);
    assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_VERSION, v1), 0);
    mk_interest(&b, &nb.name, true, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(segment(fx, at, "/localhost/nfd/rib/list", ds), 0);

    /* past the last segment, an unknown version: no reply */
    assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_SEGMENT, ds->nseg), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/rib/list"), 0);
    assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_VERSION, v1 + 1000), 0);
    assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_SEGMENT, 0), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(fx->nreplies, at + 1);

    /* a new discovery makes a newer version, even within the same ms */
    fetch(fx, "/localhost/nfd/rib/list", ds);
    assert_true(ds->version > v1);

    /* the cached version expires */
    fx->now += DMSC_NFDMGMT_CACHE_TTL_NS;
    at = fx->nreplies;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/rib/list"), 0);
    assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_VERSION, ds->version), 0);
    assert_int_equal(dmsc_namebuf_append_nni(&nb, DMSC_TT_SEGMENT, 1), 0);
    mk_interest(&b, &nb.name, false, NULL, NULL);
    deliver(fx, &b);
    assert_int_equal(fx->nreplies, at);
    free(ds);
}

static void test_reply_signer(void **state)
{
    fx_t *fx = *state;
    /* with a signer, replies carry its signature type and KeyLocator */
    dmsc_nfdmgmt_t *m = dmsc_nfdmgmt_new(fx->fw, &fx->ft, fx->rib, ed_signer());
    dmsc_nfdmgmt_t *saved = fx->m;
    fx->m = m;
    dmsc_namebuf_t nb;
    ibuf_t b;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/localhost/nfd/cs/info"), 0);
    mk_interest(&b, &nb.name, true, NULL, NULL);
    deliver(fx, &b);
    dmsc_data_t d;
    assert_int_equal(fx->nreplies, 1);
    assert_int_equal(dmsc_data_decode(&d, fx->replies[0].wire, fx->replies[0].len, 20000), 0);
    assert_int_equal(d.sig_info.type, DMSC_SIG_ED25519);
    assert_int_equal(d.sig_info.keyloc_kind, DMSC_KEYLOC_NAME);
    const dmsc_verifier_t *v;
    assert_int_equal(dmsc_key_verifier(ed_key, &v), 0);
    assert_int_equal(dmsc_data_verify(&d, v), 0);
    fx->m = saved;
    dmsc_nfdmgmt_free(m);
}

static int group_teardown(void **state)
{
    dmsc_key_free(ed_key);
    return 0;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_rib_register_defaults),
        T(test_rib_register_explicit),
        T(test_rib_register_errors),
        T(test_malformed_parameters),
        T(test_rib_unregister),
        T(test_fib_commands),
        T(test_strategy_choice),
        T(test_faces_create_sync),
        T(test_faces_create_errors),
        T(test_faces_create_async),
        T(test_faces_update),
        T(test_faces_destroy),
        T(test_cs_commands),
        T(test_signed_formats),
        T(test_bad_signatures),
        T(test_not_for_us),
        T(test_status_general),
        T(test_faces_list_and_query),
        T(test_fib_and_rib_list),
        T(test_cs_info_and_strategy_list),
        T(test_segmentation_and_cache),
        T(test_reply_signer),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
