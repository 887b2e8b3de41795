/* libdmsc client (src/client/client.c, transport.c): consumer, producer,
 * NDNLPv2 handling and the loop, driven over socketpairs and loopback
 * listeners. Timeouts use a fake clock; nothing here depends on speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

/* tests/unit/meson.build links node_dep only: the library under test is
 * compiled in here. Drop these includes once the tests link client_dep. */
#include "client/client.c"
#include "client/command.c"
#include "client/pending.c"
#include "client/transport.c"

/* ------------------------------------------------------------ helpers */

typedef struct {
    int calls, kind;
    uint32_t reason;
    uint64_t id, rtt;
    char content[4096];
    size_t clen;
    char name[256];
} res_t;

static void on_res(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    res_t *x = arg;
    x->calls++;
    x->kind = r->kind;
    x->reason = r->nack_reason;
    x->id = r->id;
    x->rtt = r->rtt_us;
    if (r->kind == DMSC_CLIENT_DATA) {
        x->clen = r->data->content_len < sizeof x->content ? r->data->content_len : 0;
        if (x->clen) memcpy(x->content, r->data->content, x->clen);
        dmsc_client_name_format(r->data->name, r->data->name_len, x->name, sizeof x->name);
    }
}

static void mkpair(int type, const dmsc_client_opts_t *o, dmsc_client_t **c, int *peer)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
    struct timeval tv = {2, 0};
    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(dmsc_client_open_fd(c, sv[0], o), 0);
    *peer = sv[1];
}

/* One packet from the peer's side (stream: TLV framing). */
static size_t peer_recv(int fd, uint8_t *buf, size_t cap)
{
    int type = 0;
    socklen_t tl = sizeof type;
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
    if (type == SOCK_DGRAM) {
        ssize_t n = recv(fd, buf, cap, 0);
        assert_true(n > 0);
        return (size_t)n;
    }
    ssize_t n = recv(fd, buf, 10, MSG_PEEK);
    assert_true(n >= 2);
    const uint8_t *q = buf;
    uint64_t t, l;
    assert_int_equal(dmsc_varnum_read(&q, buf + n, &t), 0);
    assert_int_equal(dmsc_varnum_read(&q, buf + n, &l), 0);
    size_t total = (size_t)(q - buf) + (size_t)l;
    assert_true(total <= cap);
    size_t got = 0;
    while (got < total) {
        n = recv(fd, buf + got, total - got, 0);
        assert_true(n > 0);
        got += (size_t)n;
    }
    return total;
}

static void peer_send(int fd, const uint8_t *p, size_t n)
{
    assert_int_equal(send(fd, p, n, 0), (ssize_t)n);
}

/* Interest from the client: LP header fields and the Interest. */
static void peer_recv_interest(int fd, uint8_t *buf, size_t cap, dmsc_lp_t *lp, dmsc_interest_t *in)
{
    size_t n = peer_recv(fd, buf, cap);
    assert_int_equal(dmsc_lp_decode(buf, n, DMSC_TLV_MAX_PACKET, lp), 0);
    assert_true(lp->has & DMSC_LP_HAS_FRAGMENT);
    assert_int_equal(dmsc_interest_decode(in, lp->fragment.p, lp->fragment.n, DMSC_TLV_MAX_PACKET),
                     0);
}

/* Encode Data <uri> with content, DigestSha256; optionally wrapped with a
 * PitToken. Returns the wire size in out. */
static size_t make_data(const char *uri, const char *content, dmsc_slice_t tok, uint8_t *out,
                        size_t cap)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = nb.name;
    d.has_content = true;
    d.content = dmsc_slice(content, strlen(content));
    uint8_t tmp[9000];
    dmsc_slice_t pkt;
    assert_int_equal(dmsc_data_encode(&d, dmsc_sig_digest_signer(), tmp, sizeof tmp, &pkt), 0);
    dmsc_enc_t e;
    dmsc_enc_init(&e, out, cap);
    assert_int_equal(dmsc_lp_encode_pit_echo(&e, tok, pkt), 0);
    size_t n = cap - dmsc_enc_mark(&e);
    memmove(out, dmsc_enc_data(&e), n);
    return n;
}

static size_t name_wire(const char *uri, uint8_t *buf)
{
    size_t len;
    assert_int_equal(dmsc_client_name_parse(uri, buf, DMSC_CLIENT_NAME_MAX, &len), 0);
    return len;
}

static int express_uri(dmsc_client_t *c, const char *uri, bool cbp, res_t *r, uint64_t *id)
{
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    dmsc_client_interest_t in;
    memset(&in, 0, sizeof in);
    in.name = nm;
    in.name_len = name_wire(uri, nm);
    in.can_be_prefix = cbp;
    in.lifetime_ms = 1000;
    return dmsc_client_express(c, &in, on_res, r, id);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

/* ------------------------------------------------------------ names, URIs */

static void test_names(void **st)
{
    uint8_t buf[DMSC_CLIENT_NAME_MAX];
    size_t len;
    char uri[256];
    assert_int_equal(dmsc_client_name_parse("/a/b", buf, sizeof buf, &len), 0);
    assert_int_equal(
        dmsc_client_name_append_number(buf, sizeof buf, &len, DMSC_CLIENT_COMP_VERSION, 7), 0);
    assert_int_equal(
        dmsc_client_name_append_number(buf, sizeof buf, &len, DMSC_CLIENT_COMP_SEGMENT, 300), 0);
    assert_true(dmsc_client_name_format(buf, len, uri, sizeof uri) > 0);
    assert_string_equal(uri, "/a/b/v=7/seg=300");
    uint16_t t;
    const uint8_t *v;
    size_t vl;
    assert_int_equal(dmsc_client_name_component(buf, len, -1, &t, &v, &vl), 4);
    assert_int_equal(t, DMSC_CLIENT_COMP_SEGMENT);
    assert_int_equal(vl, 2);
    assert_int_equal(v[0] << 8 | v[1], 300);
    assert_int_equal(dmsc_client_name_component(buf, len, 0, &t, &v, &vl), 4);
    assert_int_equal(t, DMSC_CLIENT_COMP_GENERIC);
    assert_memory_equal(v, "a", 1);
    /* errors */
    assert_int_equal(dmsc_client_name_parse("/a/%zz", buf, sizeof buf, &len), DMSC_CLIENT_EINVAL);
    assert_int_equal(dmsc_client_name_parse("/a/b", buf, 3, &len), DMSC_CLIENT_ENOBUFS);
    len = 0;
    assert_int_equal(dmsc_client_name_append(buf, 4, &len, 8, "abcd", 4), DMSC_CLIENT_ENOBUFS);
    assert_int_equal(dmsc_client_name_append(buf, sizeof buf, &len, 0, "a", 1), DMSC_CLIENT_EINVAL);
    const uint8_t bad[] = {0x08, 0x05, 'a'};
    assert_int_equal(dmsc_client_name_format(bad, sizeof bad, uri, sizeof uri), DMSC_CLIENT_EINVAL);
    assert_true(dmsc_client_name_component(bad, sizeof bad, 0, NULL, NULL, NULL) < 0);
}

static void test_uri_parse(void **st)
{
    dmsc__uri_t u;
    assert_int_equal(dmsc__uri_parse("unix:///run/x.sock", &u), 0);
    assert_int_equal(u.kind, DMSC__URI_UNIX);
    assert_string_equal(u.path, "/run/x.sock");
    assert_int_equal(dmsc__uri_parse("tcp4://127.0.0.1:7000", &u), 0);
    assert_int_equal(u.kind, DMSC__URI_TCP);
    assert_int_equal(u.family, AF_INET);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "7000");
    assert_int_equal(dmsc__uri_parse("udp://localhost", &u), 0);
    assert_int_equal(u.kind, DMSC__URI_UDP);
    assert_int_equal(u.family, AF_UNSPEC);
    assert_string_equal(u.port, "6363"); /* NDN's default */
    assert_int_equal(dmsc__uri_parse("udp6://[::1]:6363", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.family, AF_INET6);
    assert_int_equal(dmsc__uri_parse("unix://relative", &u), DMSC_EINVAL);
    assert_int_equal(dmsc__uri_parse("tcp4://", &u), DMSC_EINVAL);
    assert_int_equal(dmsc__uri_parse("tcp4://h:99999", &u), DMSC_EINVAL);
    assert_int_equal(dmsc__uri_parse("tcp6://::1:80", &u), DMSC_EINVAL);
    assert_int_equal(dmsc__uri_parse("ws://x:1", &u), DMSC_ENOTSUP);
    assert_int_equal(dmsc__uri_parse("nonsense", &u), DMSC_EINVAL);
}

static void test_default_face(void **st)
{
    char out[256];
    setenv("DMSC_FACE", "udp4://127.0.0.1:6363", 1);
    assert_true(dmsc_client_default_face(out, sizeof out) > 0);
    assert_string_equal(out, "udp4://127.0.0.1:6363");
    unsetenv("DMSC_FACE");
    assert_true(dmsc_client_default_face(out, sizeof out) > 0);
    assert_true(strncmp(out, "unix:///", 8) == 0);
    assert_true(strstr(out, "dmsc.sock") != NULL);
    assert_int_equal(dmsc_client_default_face(out, 4), DMSC_CLIENT_ENOBUFS);
}

/* ------------------------------------------------------------ consumer */

static void test_express_token(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_STREAM, NULL, &c, &peer);
    res_t r = {0};
    uint64_t id;
    assert_int_equal(express_uri(c, "/a/b", false, &r, &id), 0);
    assert_int_equal(dmsc_client_pending(c), 1);
    assert_int_equal(dmsc_client_flush(c), 0);

    uint8_t buf[9000];
    dmsc_lp_t lp;
    dmsc_interest_t in;
    peer_recv_interest(peer, buf, sizeof buf, &lp, &in);
    assert_true(lp.has & DMSC_LP_HAS_PIT_TOKEN);
    assert_int_equal(lp.pit_token.n, 8);
    assert_true(in.has_nonce);
    assert_true(in.has_lifetime);
    assert_int_equal(in.lifetime, 1000);
    assert_false(in.can_be_prefix);

    uint8_t reply[9000];
    size_t n = make_data("/a/b", "hello", lp.pit_token, reply, sizeof reply);
    peer_send(peer, reply, n);
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.kind, DMSC_CLIENT_DATA);
    assert_int_equal(r.id, id);
    assert_int_equal(r.clen, 5);
    assert_memory_equal(r.content, "hello", 5);
    assert_int_equal(dmsc_client_pending(c), 0);

    /* the same Data again: unsolicited */
    peer_send(peer, reply, n);
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r.calls, 1);
    dmsc_client_stats_t s;
    dmsc_client_get_stats(c, &s);
    assert_int_equal(s.unsolicited, 1);
    assert_int_equal(s.in_data, 2);
    assert_int_equal(s.out_interests, 1);
    dmsc_client_close(c);
    close(peer);
}

static void test_match_by_name(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_DGRAM, NULL, &c, &peer);
    res_t r1 = {0}, r2 = {0}, r3 = {0};
    assert_int_equal(express_uri(c, "/x/y", false, &r1, NULL), 0);
    assert_int_equal(express_uri(c, "/p", true, &r2, NULL), 0);
    assert_int_equal(express_uri(c, "/q", false, &r3, NULL), 0);
    assert_int_equal(dmsc_client_flush(c), 0);
    uint8_t reply[9000];
    /* bare Data, no token: matched by name */
    size_t n = make_data("/x/y", "1", dmsc_slice(NULL, 0), reply, sizeof reply);
    peer_send(peer, reply, n);
    n = make_data("/p/v=1/seg=0", "2", dmsc_slice(NULL, 0), reply, sizeof reply);
    peer_send(peer, reply, n);
    n = make_data("/q/longer", "3", dmsc_slice(NULL, 0), reply, sizeof reply);
    peer_send(peer, reply, n);
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r2.calls, 1);
    assert_string_equal(r2.name, "/p/v=1/seg=0");
    assert_int_equal(r3.calls, 0); /* /q without CanBePrefix */
    assert_int_equal(dmsc_client_pending(c), 1);
    dmsc_client_close(c); /* pending dropped silently */
    assert_int_equal(r3.calls, 0);
    close(peer);
}

static void test_nack(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_STREAM, NULL, &c, &peer);
    res_t r = {0};
    assert_int_equal(express_uri(c, "/n", false, &r, NULL), 0);
    assert_int_equal(dmsc_client_flush(c), 0);
    uint8_t buf[9000];
    dmsc_lp_t lp;
    dmsc_interest_t in;
    peer_recv_interest(peer, buf, sizeof buf, &lp, &in);
    uint8_t out[9000];
    dmsc_enc_t e;
    dmsc_enc_init(&e, out, sizeof out);
    assert_int_equal(dmsc_lp_encode_nack(&e, DMSC_LP_NACK_NO_ROUTE, lp.pit_token, lp.fragment), 0);
    peer_send(peer, dmsc_enc_data(&e), sizeof out - dmsc_enc_mark(&e));
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.kind, DMSC_CLIENT_NACK);
    assert_int_equal(r.reason, DMSC_CLIENT_NACK_NO_ROUTE);

    /* a Nack without token is matched by name and nonce */
    res_t r2 = {0};
    assert_int_equal(express_uri(c, "/n2", false, &r2, NULL), 0);
    assert_int_equal(dmsc_client_flush(c), 0);
    peer_recv_interest(peer, buf, sizeof buf, &lp, &in);
    dmsc_enc_init(&e, out, sizeof out);
    assert_int_equal(
        dmsc_lp_encode_nack(&e, DMSC_LP_NACK_CONGESTION, dmsc_slice(NULL, 0), lp.fragment), 0);
    peer_send(peer, dmsc_enc_data(&e), sizeof out - dmsc_enc_mark(&e));
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.reason, DMSC_CLIENT_NACK_CONGESTION);
    dmsc_client_close(c);
    close(peer);
}

static void test_timeout_and_cancel(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_STREAM, NULL, &c, &peer);
    fake_now = 1000000;
    dmsc__client_set_clock(c, fake_clock, NULL);
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    dmsc_client_interest_t in;
    memset(&in, 0, sizeof in);
    in.name = nm;
    in.name_len = name_wire("/t", nm);
    in.lifetime_ms = 4000;
    in.timeout_ms = 100; /* the consumer's own RTO */
    res_t r = {0}, rc = {0};
    assert_int_equal(dmsc_client_express(c, &in, on_res, &r, NULL), 0);
    uint64_t cid;
    assert_int_equal(dmsc_client_express(c, &in, on_res, &rc, &cid), 0);
    assert_int_equal(dmsc_client_cancel(c, cid), 0);
    assert_int_equal(dmsc_client_cancel(c, cid), DMSC_CLIENT_EINVAL);
    assert_int_equal(dmsc_client_timeout_ms(c), 100);
    fake_now += 99999;
    assert_int_equal(dmsc_client_timeout_ms(c), 1);
    assert_int_equal(dmsc_client_process(c, 0), 0);
    assert_int_equal(r.calls, 0);
    fake_now += 1;
    assert_int_equal(dmsc_client_timeout_ms(c), 0);
    assert_int_equal(dmsc_client_process(c, 0), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.kind, DMSC_CLIENT_TIMEOUT);
    assert_int_equal(r.rtt, 100000);
    assert_int_equal(rc.calls, 0); /* cancelled: never called */
    assert_int_equal(dmsc_client_timeout_ms(c), -1);
    dmsc_client_stats_t s;
    dmsc_client_get_stats(c, &s);
    assert_int_equal(s.timeouts, 1);

    /* the wire lifetime stays 4000 */
    uint8_t buf[9000];
    dmsc_lp_t lp;
    dmsc_interest_t wi;
    assert_int_equal(dmsc_client_flush(c), 0);
    peer_recv_interest(peer, buf, sizeof buf, &lp, &wi);
    assert_int_equal(wi.lifetime, 4000);
    dmsc_client_close(c);
    close(peer);
}

typedef struct {
    dmsc_client_t *c;
    res_t first, second;
} reexpress_t;

static void on_reexpress(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    reexpress_t *x = arg;
    on_res(&x->first, c, r);
    assert_int_equal(express_uri(c, "/same", false, &x->second, NULL), 0);
}

/* A callback that expresses the same name again is not satisfied by the
 * Data that triggered it. */
static void test_reexpress_in_callback(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_DGRAM, NULL, &c, &peer);
    reexpress_t x;
    memset(&x, 0, sizeof x);
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    dmsc_client_interest_t in;
    memset(&in, 0, sizeof in);
    in.name = nm;
    in.name_len = name_wire("/same", nm);
    assert_int_equal(dmsc_client_express(c, &in, on_reexpress, &x, NULL), 0);
    uint8_t reply[9000];
    size_t n = make_data("/same", "d", dmsc_slice(NULL, 0), reply, sizeof reply);
    peer_send(peer, reply, n);
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(x.first.calls, 1);
    assert_int_equal(x.second.calls, 0);
    assert_int_equal(dmsc_client_pending(c), 1);
    dmsc_client_close(c);
    close(peer);
}

/* ------------------------------------------------------------ producer */

typedef struct {
    int calls;
    char name[256];
    uint8_t tok[32];
    size_t tok_len;
    const char *reply;
    int put_rc;
} prod_t;

static void on_interest_cb(void *arg, dmsc_client_t *c, const dmsc_client_interest_t *in)
{
    prod_t *p = arg;
    p->calls++;
    dmsc_client_name_format(in->name, in->name_len, p->name, sizeof p->name);
    p->tok_len = in->pit_token_len;
    if (in->pit_token_len) memcpy(p->tok, in->pit_token, in->pit_token_len);
    if (p->reply) {
        dmsc_client_data_t d;
        memset(&d, 0, sizeof d);
        d.name = in->name;
        d.name_len = in->name_len;
        d.content = (const uint8_t *)p->reply;
        d.content_len = strlen(p->reply);
        d.freshness_ms = 1000;
        p->put_rc = dmsc_client_put_data(c, in, &d);
    }
}

static size_t make_interest(const char *uri, dmsc_slice_t tok, uint8_t *out, size_t cap)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = nb.name;
    in.has_nonce = true;
    in.nonce = 42;
    uint8_t tmp[4096];
    dmsc_slice_t pkt;
    assert_int_equal(dmsc_interest_encode(&in, NULL, tmp, sizeof tmp, &pkt), 0);
    dmsc_enc_t e;
    dmsc_enc_init(&e, out, cap);
    assert_int_equal(dmsc_lp_encode_pit_echo(&e, tok, pkt), 0);
    size_t n = cap - dmsc_enc_mark(&e);
    memmove(out, dmsc_enc_data(&e), n);
    return n;
}

static void test_producer_pit_token(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_STREAM, NULL, &c, &peer);
    prod_t p1 = {.reply = "served"}, p2 = {.reply = "deep"};
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    size_t nl = name_wire("/svc", nm);
    assert_int_equal(
        dmsc_client_register(c, nm, nl, DMSC_CLIENT_REG_LOCAL, on_interest_cb, &p1, NULL, NULL), 0);
    nl = name_wire("/svc/deep", nm);
    assert_int_equal(
        dmsc_client_register(c, nm, nl, DMSC_CLIENT_REG_LOCAL, on_interest_cb, &p2, NULL, NULL), 0);
    const uint8_t tok[3] = {0xaa, 0xbb, 0xcc};
    uint8_t pkt[4096];
    size_t n = make_interest("/svc/x", dmsc_slice(tok, 3), pkt, sizeof pkt);
    peer_send(peer, pkt, n);
    n = make_interest("/svc/deep/1", dmsc_slice(NULL, 0), pkt, sizeof pkt);
    peer_send(peer, pkt, n);
    n = make_interest("/other", dmsc_slice(NULL, 0), pkt, sizeof pkt);
    peer_send(peer, pkt, n);
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(p1.calls, 1);
    assert_string_equal(p1.name, "/svc/x");
    assert_int_equal(p1.tok_len, 3);
    assert_int_equal(p1.put_rc, 0);
    assert_int_equal(p2.calls, 1); /* longest prefix */
    assert_string_equal(p2.name, "/svc/deep/1");

    /* replies: the first echoes the PitToken, the second is bare */
    uint8_t buf[9000];
    dmsc_lp_t lp;
    dmsc_data_t d;
    n = peer_recv(peer, buf, sizeof buf);
    assert_int_equal(dmsc_lp_decode(buf, n, DMSC_TLV_MAX_PACKET, &lp), 0);
    assert_false(lp.bare);
    assert_true(lp.has & DMSC_LP_HAS_PIT_TOKEN);
    assert_int_equal(lp.pit_token.n, 3);
    assert_memory_equal(lp.pit_token.p, tok, 3);
    assert_int_equal(dmsc_data_decode(&d, lp.fragment.p, lp.fragment.n, DMSC_TLV_MAX_PACKET), 0);
    assert_int_equal(d.content.n, 6);
    assert_int_equal(d.freshness, 1000);
    assert_int_equal(dmsc_data_verify(&d, dmsc_sig_digest_verifier()), 0);
    n = peer_recv(peer, buf, sizeof buf);
    assert_int_equal(dmsc_lp_decode(buf, n, DMSC_TLV_MAX_PACKET, &lp), 0);
    assert_true(lp.bare);

    dmsc_client_stats_t s;
    dmsc_client_get_stats(c, &s);
    assert_int_equal(s.in_interests, 3);
    assert_int_equal(s.unmatched, 1);
    assert_int_equal(s.out_data, 2);

    /* unregister: the Interest is not delivered any more */
    nl = name_wire("/svc/deep", nm);
    assert_int_equal(dmsc_client_unregister(c, nm, nl, NULL, NULL), 0);
    assert_int_equal(dmsc_client_unregister(c, nm, nl, NULL, NULL), DMSC_CLIENT_EINVAL);
    n = make_interest("/svc/deep/2", dmsc_slice(NULL, 0), pkt, sizeof pkt);
    peer_send(peer, pkt, n);
    p2.reply = NULL;
    p1.reply = NULL;
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(p2.calls, 1);
    assert_int_equal(p1.calls, 2); /* falls back to /svc */
    dmsc_client_close(c);
    close(peer);
}

typedef struct {
    int calls, status;
    uint32_t code;
    char text[64];
} reg_t;

static void on_reg(void *arg, dmsc_client_t *c, int status, uint32_t code, const char *text)
{
    reg_t *r = arg;
    r->calls++;
    r->status = status;
    r->code = code;
    snprintf(r->text, sizeof r->text, "%s", text);
}

/* Answer a command Interest with ControlResponse code/text. */
static void answer_command(int peer, const dmsc_lp_t *lp, const dmsc_interest_t *in, uint64_t code,
                           const char *text)
{
    uint8_t cr[256];
    dmsc_enc_t e;
    dmsc_enc_init(&e, cr, sizeof cr);
    assert_int_equal(dmsc_nfd_cr_prepend(&e, code, text, NULL), 0);
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = in->name;
    d.has_content = true;
    d.content = dmsc_slice(dmsc_enc_data(&e), sizeof cr - dmsc_enc_mark(&e));
    uint8_t tmp[4096], out[4200];
    dmsc_slice_t pkt;
    assert_int_equal(dmsc_data_encode(&d, dmsc_sig_digest_signer(), tmp, sizeof tmp, &pkt), 0);
    dmsc_enc_init(&e, out, sizeof out);
    assert_int_equal(dmsc_lp_encode_pit_echo(&e, lp->pit_token, pkt), 0);
    peer_send(peer, dmsc_enc_data(&e), sizeof out - dmsc_enc_mark(&e));
}

static void test_register_command(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_STREAM, NULL, &c, &peer);
    prod_t p = {0};
    reg_t r1 = {0}, r2 = {0};
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    size_t nl = name_wire("/app/one", nm);
    assert_int_equal(dmsc_client_register(c, nm, nl, 0, on_interest_cb, &p, on_reg, &r1), 0);
    nl = name_wire("/app/two", nm);
    assert_int_equal(dmsc_client_register(c, nm, nl, 0, on_interest_cb, &p, on_reg, &r2), 0);
    assert_int_equal(dmsc_client_flush(c), 0);

    uint8_t b1[9000], b2[9000];
    dmsc_lp_t lp1, lp2;
    dmsc_interest_t in1, in2;
    peer_recv_interest(peer, b1, sizeof b1, &lp1, &in1);
    peer_recv_interest(peer, b2, sizeof b2, &lp2, &in2);
    dmsc_namebuf_t want;
    assert_int_equal(dmsc_namebuf_from_uri(&want, "/localhost/nfd/rib/register"), 0);
    assert_true(dmsc_name_is_prefix(&want.name, &in1.name));
    assert_true(in1.is_signed);
    assert_int_equal(in1.sig_info.keyloc_kind, DMSC_KEYLOC_NAME); /* NFD needs it */
    assert_true(in1.sig_info.has_time && in1.sig_info.has_nonce);
    /* strictly increasing SignatureTime (NFD rejects reordered timestamps) */
    assert_true(in2.sig_info.time > in1.sig_info.time);
    dmsc_comp_t cpc = dmsc_name_comp(&in1.name, 4);
    dmsc_nfd_cp_t cp;
    assert_int_equal(dmsc_nfd_cp_decode(&cp, cpc.value, cpc.len), 0);
    dmsc_namebuf_t target;
    assert_int_equal(dmsc_namebuf_from_uri(&target, "/app/one"), 0);
    assert_true(dmsc_name_equal(&cp.name, &target.name));

    answer_command(peer, &lp1, &in1, 200, "OK");
    answer_command(peer, &lp2, &in2, 403, "authorization rejected");
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r1.status, 0);
    assert_int_equal(r1.code, 200);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.code, 403);
    assert_string_equal(r2.text, "authorization rejected");

    /* a command that times out reports an error status */
    dmsc_client_t *c2;
    int peer2;
    mkpair(SOCK_STREAM, NULL, &c2, &peer2);
    fake_now = 5000000;
    dmsc__client_set_clock(c2, fake_clock, NULL);
    reg_t r3 = {0};
    assert_int_equal(dmsc_client_register(c2, nm, nl, 0, on_interest_cb, &p, on_reg, &r3), 0);
    fake_now += 4000000;
    assert_int_equal(dmsc_client_process(c2, 0), 0);
    assert_int_equal(r3.calls, 1);
    assert_int_equal(r3.status, DMSC_CLIENT_EIO);
    dmsc_client_stats_t s;
    dmsc_client_get_stats(c2, &s);
    assert_int_equal(s.timeouts, 0); /* commands are not counted as the app's timeouts */
    dmsc_client_close(c2);
    close(peer2);

    /* the legacy form */
    dmsc_client_opts_t o;
    dmsc_client_opts_default(&o);
    o.legacy_commands = true;
    mkpair(SOCK_STREAM, &o, &c2, &peer2);
    assert_int_equal(dmsc_client_register(c2, nm, nl, 0, on_interest_cb, &p, NULL, NULL), 0);
    assert_int_equal(dmsc_client_flush(c2), 0);
    peer_recv_interest(peer2, b1, sizeof b1, &lp1, &in1);
    assert_int_equal(in1.name.ncomps, 9);
    assert_false(in1.has_app_params);
    dmsc_client_close(c2); /* a pending command's context is freed (ASan checks) */
    close(peer2);

    dmsc_client_close(c);
    close(peer);
}

/* ------------------------------------------------------------ framing, LP */

static void test_stream_framing(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_STREAM, NULL, &c, &peer);
    res_t r = {0}, r2 = {0};
    assert_int_equal(express_uri(c, "/f", false, &r, NULL), 0);
    uint8_t reply[9000];
    size_t n = make_data("/f", "split", dmsc_slice(NULL, 0), reply, sizeof reply);
    /* half a packet: nothing yet */
    peer_send(peer, reply, 3);
    assert_int_equal(dmsc_client_run_once(c, 100), 0);
    assert_int_equal(r.calls, 0);
    /* an IDLE LpPacket in between is ignored */
    peer_send(peer, reply + 3, n - 3);
    const uint8_t idle[] = {0x64, 0x00};
    peer_send(peer, idle, sizeof idle);
    assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.clen, 5);

    /* a TLV longer than the maximum: the stream cannot be resynchronised */
    assert_int_equal(express_uri(c, "/g", false, &r2, NULL), 0);
    const uint8_t huge[] = {0x06, 0xfe, 0x00, 0x10, 0x00, 0x00};
    peer_send(peer, huge, sizeof huge);
    assert_int_equal(dmsc_client_run_once(c, 1000), DMSC_CLIENT_EIO);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.kind, DMSC_CLIENT_CLOSED);
    assert_int_equal(express_uri(c, "/h", false, &r2, NULL), DMSC_CLIENT_EIO);
    dmsc_client_close(c);
    close(peer);
}

static void test_peer_close(void **st)
{
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_STREAM, NULL, &c, &peer);
    res_t r = {0};
    assert_int_equal(express_uri(c, "/gone", false, &r, NULL), 0);
    close(peer);
    assert_int_equal(dmsc_client_run(c), DMSC_CLIENT_EIO);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.kind, DMSC_CLIENT_CLOSED);
    dmsc_client_close(c);
}

/* Packets above the UDP MTU are fragmented (NDNLPv2), and fragments that
 * arrive are reassembled. */
static void test_fragmentation(void **st)
{
    dmsc_client_opts_t o;
    dmsc_client_opts_default(&o);
    o.udp_mtu = 1000;
    dmsc_client_t *c;
    int peer;
    mkpair(SOCK_DGRAM, &o, &c, &peer);
    static char big[3001];
    memset(big, 'z', 3000);

    /* out: a Data of 3000 content bytes in fragments of at most 1000 */
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    dmsc_client_data_t d;
    memset(&d, 0, sizeof d);
    d.name = nm;
    d.name_len = name_wire("/big", nm);
    d.content = (const uint8_t *)big;
    d.content_len = 3000;
    assert_int_equal(dmsc_client_put_data(c, NULL, &d), 0);
    assert_int_equal(dmsc_client_flush(c), 0);
    dmsc_lpfrag_cfg_t fc;
    dmsc_lpfrag_cfg_default(&fc);
    dmsc_lpfrag_reasm_t *ra;
    assert_int_equal(dmsc_lpfrag_reasm_new(&ra, &fc), 0);
    static uint8_t out[DMSC_LPFRAG_OUT_SIZE(8800)];
    int frags = 0, rc = DMSC_LPFRAG_PENDING;
    dmsc_lp_t whole;
    while (rc == DMSC_LPFRAG_PENDING) {
        uint8_t buf[2000];
        size_t n = peer_recv(peer, buf, sizeof buf);
        assert_true(n <= 1000);
        dmsc_lp_t lp;
        assert_int_equal(dmsc_lp_decode(buf, n, DMSC_TLV_MAX_PACKET, &lp), 0);
        rc = dmsc_lpfrag_reasm_push(ra, 1, &lp, 0, out, sizeof out, &whole);
        assert_true(rc >= 0);
        frags++;
    }
    assert_true(frags >= 4);
    dmsc_data_t dd;
    assert_int_equal(dmsc_data_decode(&dd, whole.fragment.p, whole.fragment.n, DMSC_TLV_MAX_PACKET),
                     0);
    assert_int_equal(dd.content.n, 3000);

    /* in: the peer fragments a Data; the client reassembles it */
    res_t r = {0};
    assert_int_equal(express_uri(c, "/big", false, &r, NULL), 0);
    uint8_t data[9000];
    size_t n = make_data("/big", big, dmsc_slice(NULL, 0), data, sizeof data);
    dmsc_lpfrag_split_t sp;
    uint64_t seq = 1000;
    assert_int_equal(dmsc_lpfrag_split_init(&sp, NULL, dmsc_slice(data, n), 700, 100, &seq), 0);
    for (uint32_t i = 0; i < sp.count; i++) {
        uint8_t fb[800];
        dmsc_enc_t e;
        dmsc_enc_init(&e, fb, sizeof fb);
        assert_int_equal(dmsc_lpfrag_split_encode(&sp, i, &e), 0);
        peer_send(peer, dmsc_enc_data(&e), sizeof fb - dmsc_enc_mark(&e));
    }
    for (int i = 0; i < 5 && r.calls == 0; i++)
        assert_int_equal(dmsc_client_run_once(c, 1000), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.clen, 3000);
    dmsc_client_stats_t s;
    dmsc_client_get_stats(c, &s);
    assert_true(s.out_frags >= 4);
    assert_int_equal(s.in_frags, sp.count);
    dmsc_lpfrag_reasm_free(ra);
    dmsc_client_close(c);
    close(peer);
}

/* ------------------------------------------------------------ direct peers */

static void run_until(dmsc_client_t *a, dmsc_client_t *b, const int *flag)
{
    for (int i = 0; i < 200 && !*flag; i++) {
        assert_int_equal(dmsc_client_run_once(a, 5), 0);
        assert_int_equal(dmsc_client_run_once(b, 5), 0);
    }
}

static void direct_exchange(const char *listen_uri)
{
    dmsc_listener_t *l;
    assert_int_equal(dmsc_listener_open(&l, listen_uri), 0);
    dmsc_client_t *cons, *prod;
    assert_int_equal(dmsc_client_open(&cons, dmsc_listener_uri(l), NULL), 0);
    res_t r = {0};
    assert_int_equal(express_uri(cons, "/direct/x", false, &r, NULL), 0);
    assert_int_equal(dmsc_client_flush(cons), 0);
    assert_int_equal(dmsc_listener_accept(l, &prod, NULL, 2000), 0);
    prod_t p = {.reply = "peer"};
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    size_t nl = name_wire("/direct", nm);
    assert_int_equal(
        dmsc_client_register(prod, nm, nl, DMSC_CLIENT_REG_LOCAL, on_interest_cb, &p, NULL, NULL),
        0);
    run_until(prod, cons, &r.calls);
    assert_int_equal(p.calls, 1);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.kind, DMSC_CLIENT_DATA);
    assert_memory_equal(r.content, "peer", 4);
    /* a second Interest goes to the accepted socket, not the listener */
    res_t r2 = {0};
    assert_int_equal(express_uri(cons, "/direct/y", false, &r2, NULL), 0);
    run_until(prod, cons, &r2.calls);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(p.calls, 2);
    dmsc_client_t *none;
    assert_int_equal(dmsc_listener_accept(l, &none, NULL, 0), DMSC_CLIENT_ENOBUFS);
    dmsc_client_close(prod);
    dmsc_client_close(cons);
    dmsc_listener_close(l);
}

static void test_direct_unix(void **st)
{
    char path[128];
    snprintf(path, sizeof path, "unix:///tmp/dmsc-test-client-%d.sock", (int)getpid());
    direct_exchange(path);
    /* the socket file is gone after close */
    assert_int_equal(access(path + 7, F_OK), -1);
}

static void test_direct_udp(void **st)
{
    direct_exchange("udp4://127.0.0.1:0");
}

static void test_open_errors(void **st)
{
    dmsc_client_t *c;
    assert_int_equal(dmsc_client_open(&c, "unix:///nonexistent/dir/x.sock", NULL), DMSC_CLIENT_EIO);
    assert_int_equal(dmsc_client_open(&c, "bogus://x", NULL), DMSC_CLIENT_ENOTSUP);
    dmsc_client_opts_t o;
    dmsc_client_opts_default(&o);
    o.max_pending = 0;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(dmsc_client_open_fd(&c, sv[0], &o), DMSC_CLIENT_EINVAL); /* fd closed */
    close(sv[1]);
    /* a full pending table */
    dmsc_client_opts_default(&o);
    o.max_pending = 2;
    int peer;
    mkpair(SOCK_STREAM, &o, &c, &peer);
    res_t r = {0};
    assert_int_equal(express_uri(c, "/1", false, &r, NULL), 0);
    assert_int_equal(express_uri(c, "/2", false, &r, NULL), 0);
    assert_int_equal(express_uri(c, "/3", false, &r, NULL), DMSC_CLIENT_ENOBUFS);
    dmsc_client_close(c);
    close(peer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_uri_parse),
        cmocka_unit_test(test_default_face),
        cmocka_unit_test(test_express_token),
        cmocka_unit_test(test_match_by_name),
        cmocka_unit_test(test_nack),
        cmocka_unit_test(test_timeout_and_cancel),
        cmocka_unit_test(test_reexpress_in_callback),
        cmocka_unit_test(test_producer_pit_token),
        cmocka_unit_test(test_register_command),
        cmocka_unit_test(test_stream_framing),
        cmocka_unit_test(test_peer_close),
        cmocka_unit_test(test_fragmentation),
        cmocka_unit_test(test_direct_unix),
        cmocka_unit_test(test_direct_udp),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
