/*
 * libdmsc: the client (include/dmsc/dmsc.h). One face, one poll loop, a
 * pending-Interest table (pending.c), prefix filters and NFD commands
 * (command.c); sockets are transport.c's.
 *
 * Receive path: read/recvmmsg into a buffer allocated at open -> NDNLPv2
 * decode (bare or LpPacket, reassembly of fragments) -> Interest, Data or
 * Nack -> callbacks with views into that buffer (zero copy).
 * Send path: encode into the scratch buffer -> an LP header (PitToken,
 * Nack) encoded in front -> appended to the output queue (stream: one
 * buffer written with one send(); datagrams: a batch sent with one
 * sendmmsg(); packets above the UDP MTU are fragmented).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "client/client_int.h"
#include "client/command.h"
#include "mgmt/nfd_tlv.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "sec/keyfile.h"
#include "sec/sig.h"

/* The public header repeats these codes: keep them in step. */
_Static_assert((int)DMSC_CLIENT_EINVAL == (int)DMSC_EINVAL &&
                   (int)DMSC_CLIENT_ENOMEM == (int)DMSC_ENOMEM &&
                   (int)DMSC_CLIENT_ENOBUFS == (int)DMSC_ENOBUFS &&
                   (int)DMSC_CLIENT_ENOTSUP == (int)DMSC_ENOTSUP &&
                   (int)DMSC_CLIENT_EIO == (int)DMSC_EIO &&
                   (int)DMSC_CLIENT_ETOOBIG == (int)DMSC_ETOOBIG,
               "error codes of dmsc.h and base/err.h differ");
_Static_assert(DMSC_CLIENT_NAME_MAX == DMSC_NAME_MAX_LEN, "name limits differ");

#define MATCH_BATCH 64 /* pending entries one Data satisfies per round */

/* ------------------------------------------------------------ helpers */

static uint64_t mono_us(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t cnow(const dmsc_client_t *c)
{
    return c->clock(c->clock_arg);
}

/* splitmix64: nonces need to be unpredictable enough to avoid collisions,
 * not secret; seeded from getrandom(). */
static uint64_t rng_next(dmsc_client_t *c)
{
    uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

const char *dmsc_client_strerror(int err)
{
    return dmsc_strerror(err);
}

/* -------------------------------------------------------------- names */

int dmsc_client_name_parse(const char *uri, uint8_t *buf, size_t cap, size_t *len)
{
    if (!uri || !buf || !len) return DMSC_EINVAL;
    dmsc_namebuf_t nb;
    int rc = dmsc_namebuf_from_uri(&nb, uri);
    if (rc) return DMSC_EINVAL;
    if (nb.name.len > cap) return DMSC_ENOBUFS;
    if (nb.name.len) memcpy(buf, nb.name.value, nb.name.len);
    *len = nb.name.len;
    return 0;
}

int dmsc_client_name_format(const uint8_t *name, size_t len, char *out, size_t cap)
{
    dmsc_name_t n;
    if (!out || cap == 0) return DMSC_ENOBUFS;
    if (dmsc_name_from_value(&n, name, len)) return DMSC_EINVAL;
    return dmsc_name_to_uri(&n, DMSC_URI_ALT, out, cap);
}

int dmsc_client_name_append(uint8_t *buf, size_t cap, size_t *len, uint16_t type, const void *value,
                            size_t vlen)
{
    if (!buf || !len || type == 0 || (vlen && !value)) return DMSC_EINVAL;
    size_t need = dmsc_varnum_size(type) + dmsc_varnum_size(vlen) + vlen;
    if (*len + need > DMSC_NAME_MAX_LEN) return DMSC_EINVAL;
    if (*len + need > cap) return DMSC_ENOBUFS;
    uint8_t hdr[18];
    size_t h = dmsc_tlv_write_hdr(hdr, type, vlen);
    memcpy(buf + *len, hdr, h);
    if (vlen) memcpy(buf + *len + h, value, vlen);
    *len += h + vlen;
    return 0;
}

int dmsc_client_name_append_number(uint8_t *buf, size_t cap, size_t *len, uint16_t type,
                                   uint64_t value)
{
    uint8_t v[8];
    size_t n = dmsc_nni_write(v, value);
    return dmsc_client_name_append(buf, cap, len, type, v, n);
}

int dmsc_client_name_component(const uint8_t *name, size_t len, int index, uint16_t *type,
                               const uint8_t **value, size_t *vlen)
{
    dmsc_name_t n;
    if (dmsc_name_from_value(&n, name, len)) return DMSC_EINVAL;
    int k = index < 0 ? (int)n.ncomps + index : index;
    if (k >= 0 && k < (int)n.ncomps) {
        dmsc_comp_t comp = dmsc_name_comp(&n, (size_t)k);
        if (type) *type = comp.type;
        if (value) *value = comp.value;
        if (vlen) *vlen = comp.len;
    }
    return n.ncomps;
}

/* -------------------------------------------------------------- open */

void dmsc_client_opts_default(dmsc_client_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->max_pending = 65536;
    o->max_packet = 8800;
    o->send_queue_max = 4u << 20;
    o->udp_mtu = 8800;
}

static void client_free(dmsc_client_t *c)
{
    if (!c) return;
    for (uint32_t i = 0; i < c->pend.cap; i++) {
        dmsc_pend_entry_t *e = &c->pend.e[i];
        if ((e->flags & DMSC_PEND_F_USED) && (e->flags & DMSC_PEND_F_INTERNAL)) free(e->arg);
    }
    for (unsigned i = 0; i < c->nfilters; i++)
        free(c->filters[i]);
    dmsc_pend_free(&c->pend);
    if (c->listener) dmsc__listener_forget(c->listener, c);
    if (c->fd >= 0) close(c->fd);
    dmsc_lpfrag_reasm_free(c->reasm);
    dmsc_key_free(c->key);
    dmsc_key_free(c->cmd_key);
    free(c->reasm_out);
    free(c->rbuf);
    free(c->wbuf);
    free(c->dbuf);
    free(c->rmsg);
    free(c->riov);
    free(c->tbuf);
    free(c->tmsg);
    free(c->tiov);
    free(c->stash);
    free(c->scratch);
    free(c);
}

int dmsc__client_new(dmsc_client_t **out, int fd, bool dgram, const char *uri,
                     const dmsc_client_opts_t *opts)
{
    dmsc_client_opts_t o;
    if (opts)
        o = *opts;
    else
        dmsc_client_opts_default(&o);
    if (o.max_pending == 0 || o.max_pending > DMSC_PEND_MAX_CAP || o.max_packet < 512 ||
        o.max_packet > DMSC_TLV_MAX_PACKET || o.udp_mtu < 576 || o.udp_mtu > 65507 ||
        o.send_queue_max < 2 * o.max_packet + 2 * DMSC__HEADROOM) {
        close(fd);
        return DMSC_EINVAL;
    }
    dmsc_client_t *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return DMSC_ENOMEM;
    }
    c->fd = fd;
    c->dgram = dgram;
    snprintf(c->uri, sizeof c->uri, "%s", uri ? uri : "");
    dmsc_namebuf_init(&c->mgmt_prefix);
    int rc =
        dmsc_namebuf_from_uri(&c->mgmt_prefix, o.mgmt_prefix ? o.mgmt_prefix : "/localhost/nfd");
    if (rc) {
        rc = DMSC_EINVAL;
        goto fail;
    }
    o.local_uri = NULL;
    o.mgmt_prefix = NULL;
    c->o = o;
    c->clock = mono_us;
    c->signer = dmsc_sig_digest_signer();
    if (getrandom(&c->rng, sizeof c->rng, 0) != sizeof c->rng)
        c->rng = mono_us(NULL) ^ (uint64_t)getpid();

    if ((rc = dmsc_pend_init(&c->pend, o.max_pending))) goto fail;
    c->scap = DMSC__HEADROOM + o.max_packet + 256;
    if (!(c->scratch = malloc(c->scap))) goto fail_nomem;

    dmsc_lpfrag_cfg_t fc;
    dmsc_lpfrag_cfg_default(&fc);
    fc.max_pkt_size = o.max_packet;
    if (fc.max_total_bytes < 2 * (size_t)o.max_packet + 2 * DMSC_LPFRAG_HDR_MAX)
        fc.max_total_bytes = 2 * (size_t)o.max_packet + 2 * DMSC_LPFRAG_HDR_MAX;
    if ((rc = dmsc_lpfrag_reasm_new(&c->reasm, &fc))) goto fail;
    c->reasm_cap = DMSC_LPFRAG_OUT_SIZE(o.max_packet);
    if (!(c->reasm_out = malloc(c->reasm_cap))) goto fail_nomem;

    if (dgram) {
        c->dslot =
            o.max_packet + DMSC__HEADROOM > o.udp_mtu ? o.max_packet + DMSC__HEADROOM : o.udp_mtu;
        c->tslot = o.udp_mtu;
        c->dbuf = malloc(DMSC__RX_BATCH * c->dslot);
        c->rmsg = calloc(DMSC__RX_BATCH, sizeof *c->rmsg);
        c->riov = calloc(DMSC__RX_BATCH, sizeof *c->riov);
        c->tbuf = malloc(DMSC__TX_BATCH * c->tslot);
        c->tmsg = calloc(DMSC__TX_BATCH, sizeof *c->tmsg);
        c->tiov = calloc(DMSC__TX_BATCH, sizeof *c->tiov);
        if (!c->dbuf || !c->rmsg || !c->riov || !c->tbuf || !c->tmsg || !c->tiov) goto fail_nomem;
        for (unsigned i = 0; i < DMSC__RX_BATCH; i++) {
            c->riov[i].iov_base = c->dbuf + i * c->dslot;
            c->riov[i].iov_len = c->dslot;
            c->rmsg[i].msg_hdr.msg_iov = &c->riov[i];
            c->rmsg[i].msg_hdr.msg_iovlen = 1;
        }
        for (unsigned i = 0; i < DMSC__TX_BATCH; i++)
            c->tiov[i].iov_base = c->tbuf + i * c->tslot;
    } else {
        c->rcap = DMSC__STREAM_RBUF;
        if (c->rcap < 2 * ((size_t)o.max_packet + DMSC__HEADROOM))
            c->rcap = 2 * ((size_t)o.max_packet + DMSC__HEADROOM);
        c->wcap = o.send_queue_max;
        c->rbuf = malloc(c->rcap);
        c->wbuf = malloc(c->wcap);
        if (!c->rbuf || !c->wbuf) goto fail_nomem;
    }
    *out = c;
    return 0;

fail_nomem:
    rc = DMSC_ENOMEM;
fail:
    client_free(c);
    return rc;
}

int dmsc_client_open(dmsc_client_t **out, const char *face_uri, const dmsc_client_opts_t *opts)
{
    char def[DMSC__URI_MAX];
    if (!out) return DMSC_EINVAL;
    if (!face_uri) {
        if (dmsc_client_default_face(def, sizeof def) < 0) return DMSC_EINVAL;
        face_uri = def;
    }
    dmsc__uri_t u;
    int rc = dmsc__uri_parse(face_uri, &u);
    if (rc) return rc;
    int fd;
    if ((rc = dmsc__connect(&u, opts ? opts->local_uri : NULL, &fd))) return rc;
    return dmsc__client_new(out, fd, u.kind == DMSC__URI_UDP, face_uri, opts);
}

int dmsc_client_open_fd(dmsc_client_t **out, int fd, const dmsc_client_opts_t *opts)
{
    int type = 0;
    socklen_t tl = sizeof type;
    if (!out || fd < 0) return DMSC_EINVAL;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
        (type != SOCK_STREAM && type != SOCK_DGRAM) || dmsc__sock_setup(fd, type == SOCK_DGRAM)) {
        close(fd);
        return DMSC_EINVAL;
    }
    char uri[32];
    snprintf(uri, sizeof uri, "fd://%d", fd);
    return dmsc__client_new(out, fd, type == SOCK_DGRAM, uri, opts);
}

void dmsc_client_close(dmsc_client_t *c)
{
    client_free(c);
}

const char *dmsc_client_uri(const dmsc_client_t *c)
{
    return c->uri;
}

void dmsc__client_set_clock(dmsc_client_t *c, uint64_t (*clock)(void *arg), void *arg)
{
    c->clock = clock ? clock : mono_us;
    c->clock_arg = clock ? arg : NULL;
}

int dmsc__client_stash(dmsc_client_t *c, const uint8_t *p, size_t n)
{
    if (n == 0 || n > UINT32_MAX) return DMSC_EINVAL;
    if (!c->stash && !(c->stash = malloc(DMSC__STASH_MAX))) return DMSC_ENOMEM;
    if (c->stash_len + 4 + n > DMSC__STASH_MAX) {
        c->st.send_drops++; /* counted as lost input; the peer retransmits */
        return DMSC_ENOBUFS;
    }
    uint32_t len = (uint32_t)n;
    memcpy(c->stash + c->stash_len, &len, 4);
    memcpy(c->stash + c->stash_len + 4, p, n);
    c->stash_len += 4 + n;
    return 0;
}

/* -------------------------------------------------------------- output */

static void set_down(dmsc_client_t *c)
{
    c->down = true;
}

static int flush_stream(dmsc_client_t *c)
{
    while (c->whead < c->wtail) {
        ssize_t n = send(c->fd, c->wbuf + c->whead, c->wtail - c->whead, MSG_NOSIGNAL);
        if (n > 0) {
            c->whead += (size_t)n;
            c->st.syscalls_out++;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        set_down(c);
        return DMSC_EIO;
    }
    if (c->whead == c->wtail) c->whead = c->wtail = 0;
    return 0;
}

static int flush_dgram(dmsc_client_t *c)
{
    unsigned start = 0;
    while (start < c->tn) {
        for (unsigned i = start; i < c->tn; i++) {
            c->tmsg[i].msg_hdr.msg_iov = &c->tiov[i];
            c->tmsg[i].msg_hdr.msg_iovlen = 1;
        }
        int k = sendmmsg(c->fd, c->tmsg + start, c->tn - start, MSG_DONTWAIT);
        if (k > 0) {
            c->st.syscalls_out++;
            start += (unsigned)k;
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        /* ECONNREFUSED (ICMP from an earlier datagram), EMSGSIZE...: drop one */
        c->st.send_drops++;
        start++;
    }
    if (start == 0) return 0;
    /* keep the unsent ones in front: swap the iovecs so each slot buffer
     * stays owned by exactly one iovec */
    unsigned left = c->tn - start;
    for (unsigned i = 0; i < left; i++) {
        struct iovec t = c->tiov[i];
        c->tiov[i] = c->tiov[start + i];
        c->tiov[start + i] = t;
    }
    c->tn = left;
    return 0;
}

int dmsc_client_flush(dmsc_client_t *c)
{
    if (c->down) return DMSC_EIO;
    return c->dgram ? flush_dgram(c) : flush_stream(c);
}

/* Queue one wire packet made of two pieces (LP header, network packet). */
static int out_append(dmsc_client_t *c, const uint8_t *h, size_t hn, const uint8_t *p, size_t n)
{
    size_t total = hn + n;
    if (c->dgram) {
        if (total > c->tslot) return DMSC_ETOOBIG;
        if (c->tn == DMSC__TX_BATCH) flush_dgram(c);
        if (c->tn == DMSC__TX_BATCH) return DMSC_ENOBUFS;
        uint8_t *slot = c->tiov[c->tn].iov_base;
        if (hn) memcpy(slot, h, hn);
        memcpy(slot + hn, p, n);
        c->tiov[c->tn].iov_len = total;
        c->tn++;
    } else {
        if (c->wtail + total > c->wcap && c->whead > 0) {
            memmove(c->wbuf, c->wbuf + c->whead, c->wtail - c->whead);
            c->wtail -= c->whead;
            c->whead = 0;
        }
        if (c->wtail + total > c->wcap) {
            if (flush_stream(c)) return DMSC_EIO;
            if (c->whead > 0) {
                memmove(c->wbuf, c->wbuf + c->whead, c->wtail - c->whead);
                c->wtail -= c->whead;
                c->whead = 0;
            }
            if (c->wtail + total > c->wcap) return DMSC_ENOBUFS;
        }
        if (hn) memcpy(c->wbuf + c->wtail, h, hn);
        memcpy(c->wbuf + c->wtail + hn, p, n);
        c->wtail += total;
        if (c->wtail - c->whead >= DMSC__STREAM_FLUSH && flush_stream(c)) return DMSC_EIO;
    }
    c->st.out_bytes += total;
    return 0;
}

/* Send a network packet with an optional PitToken and Nack header;
 * fragmented on datagram faces above the MTU. */
static int send_pkt(dmsc_client_t *c, dmsc_slice_t pkt, dmsc_slice_t tok, int nack_reason)
{
    if (c->down) return DMSC_EIO;
    if (pkt.n == 0) return DMSC_EINVAL;
    if (pkt.n > c->o.max_packet) {
        c->st.send_drops++;
        return DMSC_ETOOBIG;
    }
    dmsc_lp_t lp;
    bool hdr = tok.n > 0 || nack_reason >= 0;
    if (hdr) {
        dmsc_lp_init(&lp);
        if (tok.n) {
            if (tok.n > DMSC_LP_PIT_TOKEN_MAX) return DMSC_EINVAL;
            lp.has |= DMSC_LP_HAS_PIT_TOKEN;
            lp.pit_token = tok;
        }
        if (nack_reason >= 0) {
            lp.has |= DMSC_LP_HAS_NACK;
            lp.nack_reason = (uint64_t)nack_reason;
        }
        lp.has |= DMSC_LP_HAS_FRAGMENT;
        lp.fragment = pkt;
    }
    int rc;
    size_t total = hdr ? dmsc_lp_encoded_size(&lp) : pkt.n;
    if (!c->dgram && total > c->o.max_packet) {
        /* stream peers (dmscd, NFD) count the LP header in their limit */
        c->st.send_drops++;
        return DMSC_ETOOBIG;
    }
    if (c->dgram && total > c->tslot) {
        dmsc_lpfrag_split_t s;
        rc = dmsc_lpfrag_split_init(&s, hdr ? &lp : NULL, pkt, c->tslot, DMSC__TX_MAX_FRAGS,
                                    &c->lp_seq);
        if (rc) {
            c->st.send_drops++;
            return rc == DMSC_ETOOBIG ? DMSC_ETOOBIG : rc;
        }
        for (uint32_t i = 0; i < s.count; i++) {
            if (c->tn == DMSC__TX_BATCH) flush_dgram(c);
            if (c->tn == DMSC__TX_BATCH) {
                c->st.send_drops++;
                return DMSC_ENOBUFS;
            }
            uint8_t *slot = c->tiov[c->tn].iov_base;
            dmsc_enc_t e;
            dmsc_enc_init(&e, slot, c->tslot);
            if ((rc = dmsc_lpfrag_split_encode(&s, i, &e))) return rc;
            size_t len = c->tslot - dmsc_enc_mark(&e);
            memmove(slot, dmsc_enc_data(&e), len);
            c->tiov[c->tn].iov_len = len;
            c->tn++;
            c->st.out_bytes += len;
            c->st.out_frags++;
        }
        return 0;
    }
    uint8_t hb[DMSC__HEADROOM];
    size_t hn = 0;
    const uint8_t *h = NULL;
    if (hdr) {
        dmsc_enc_t e;
        dmsc_enc_init(&e, hb, sizeof hb);
        if ((rc = dmsc_lp_encode_hdr(&e, &lp))) return rc;
        h = dmsc_enc_data(&e);
        hn = sizeof hb - dmsc_enc_mark(&e);
    }
    rc = out_append(c, h, hn, pkt.p, pkt.n);
    if (rc && rc != DMSC_EIO) c->st.send_drops++;
    return rc;
}

/* -------------------------------------------------------------- consumer */

int dmsc_client_express(dmsc_client_t *c, const dmsc_client_interest_t *in,
                        dmsc_client_result_cb cb, void *arg, uint64_t *id)
{
    if (!c || !in || !in->name || in->name_len == 0 || !cb) return DMSC_EINVAL;
    if (c->down) return DMSC_EIO;
    dmsc_interest_t i;
    dmsc_interest_init(&i);
    if (dmsc_name_from_value(&i.name, in->name, in->name_len) || i.name.ncomps == 0)
        return DMSC_EINVAL;
    i.can_be_prefix = in->can_be_prefix;
    i.must_be_fresh = in->must_be_fresh;
    i.has_nonce = true;
    i.nonce = (uint32_t)rng_next(c);
    uint32_t lifetime = in->lifetime_ms ? in->lifetime_ms : DMSC_INTEREST_LIFETIME_DEFAULT;
    i.has_lifetime = in->lifetime_ms != 0;
    i.lifetime = lifetime;
    if (in->hop_limit) {
        i.has_hop_limit = true;
        i.hop_limit = in->hop_limit;
    }
    if (in->has_app_params) {
        i.has_app_params = true;
        i.app_params = dmsc_slice(in->app_params, in->app_params_len);
    }
    dmsc_slice_t out;
    int rc = dmsc_interest_encode(&i, NULL, c->scratch, c->scap, &out);
    if (rc) return rc == DMSC_ENOBUFS ? DMSC_ETOOBIG : DMSC_EINVAL;

    const dmsc_name_t *name = &i.name;
    dmsc_interest_t dec;
    if (in->has_app_params) { /* the encoder appended the parameters digest */
        if (dmsc_interest_decode(&dec, out.p, out.n, DMSC_TLV_MAX_PACKET)) return DMSC_EINVAL;
        name = &dec.name;
    }
    uint64_t now = cnow(c);
    uint64_t timeout_ms = in->timeout_ms ? in->timeout_ms : lifetime;
    dmsc_pend_entry_t *e =
        dmsc_pend_add(&c->pend, name, in->can_be_prefix, i.nonce, now, now + timeout_ms * 1000);
    if (!e) return DMSC_ENOBUFS;
    uint8_t tok[DMSC_PEND_TOKEN_LEN];
    dmsc_pend_token(&c->pend, e, tok);
    rc = send_pkt(c, out, dmsc_slice(tok, sizeof tok), -1);
    if (rc) {
        dmsc_pend_remove(&c->pend, e);
        return rc;
    }
    e->cb = (void (*)(void))cb;
    e->arg = arg;
    if (id) *id = dmsc_pend_id(&c->pend, e);
    c->st.out_interests++;
    return 0;
}

int dmsc_client_cancel(dmsc_client_t *c, uint64_t id)
{
    dmsc_pend_entry_t *e = dmsc_pend_by_id(&c->pend, id);
    if (!e || (e->flags & DMSC_PEND_F_INTERNAL)) return DMSC_EINVAL;
    dmsc_pend_remove(&c->pend, e);
    return 0;
}

uint32_t dmsc_client_pending(const dmsc_client_t *c)
{
    return dmsc_pend_count(&c->pend);
}

/* A result taken out of the table before its callback runs. */
typedef struct {
    dmsc_client_result_cb cb;
    void *arg;
    uint64_t sent_us, id;
} taken_t;

static void take(dmsc_client_t *c, dmsc_pend_entry_t *e, taken_t *t)
{
    t->cb = (dmsc_client_result_cb)e->cb;
    t->arg = e->arg;
    t->sent_us = e->sent_us;
    t->id = dmsc_pend_id(&c->pend, e);
    dmsc_pend_remove(&c->pend, e);
}

static void deliver(dmsc_client_t *c, const taken_t *t, int kind, const dmsc_client_data_t *d,
                    uint32_t reason, uint64_t now)
{
    dmsc_client_result_t r;
    r.kind = kind;
    r.data = d;
    r.nack_reason = reason;
    r.rtt_us = now > t->sent_us ? now - t->sent_us : 0;
    r.id = t->id;
    if (t->cb) t->cb(t->arg, c, &r);
}

/* Every pending Interest gets DMSC_CLIENT_CLOSED (the face is down). */
static void fail_all(dmsc_client_t *c)
{
    uint64_t now = cnow(c);
    while (dmsc_pend_count(&c->pend) > 0) {
        taken_t t;
        take(c, &c->pend.e[c->pend.heap[0]], &t);
        deliver(c, &t, DMSC_CLIENT_CLOSED, NULL, 0, now);
    }
}

static void data_view(const dmsc_data_t *d, const dmsc_lp_t *lp, dmsc_client_data_t *v)
{
    memset(v, 0, sizeof *v);
    v->name = d->name.value;
    v->name_len = d->name.len;
    v->content = d->content.p;
    v->content_len = d->content.n;
    v->content_type = d->content_type > UINT32_MAX ? UINT32_MAX : (uint32_t)d->content_type;
    v->freshness_ms = d->freshness > UINT32_MAX ? UINT32_MAX : (uint32_t)d->freshness;
    if (d->has_final_block) {
        v->has_final_block = true;
        v->final_block_type = d->final_block.type;
        v->final_block = d->final_block.value;
        v->final_block_len = d->final_block.len;
        uint64_t seg;
        if (d->final_block.type == DMSC_TT_SEGMENT &&
            dmsc_nni_decode(d->final_block.value, d->final_block.len, &seg) == 0) {
            v->has_final_segment = true;
            v->final_segment = seg;
        }
    }
    v->sig_type = d->sig_info.type > INT_MAX ? INT_MAX : (int)d->sig_info.type;
    v->congestion_mark = (lp->has & DMSC_LP_HAS_CONGESTION_MARK) ? lp->congestion_mark : 0;
    v->wire = d->wire.p;
    v->wire_len = d->wire.n;
}

static void on_data_pkt(dmsc_client_t *c, const dmsc_lp_t *lp)
{
    dmsc_data_t d;
    if (dmsc_data_decode(&d, lp->fragment.p, lp->fragment.n, DMSC_TLV_MAX_PACKET)) {
        c->st.malformed++;
        return;
    }
    c->st.in_data++;
    dmsc_client_data_t v;
    data_view(&d, lp, &v);
    if (c->o.verify_digest && d.sig_info.type == DMSC_SIG_SHA256)
        v.sig_valid = dmsc_data_verify(&d, dmsc_sig_digest_verifier()) == 0;

    uint64_t now = cnow(c);
    taken_t t[MATCH_BATCH];
    size_t n = 0;
    dmsc_pend_entry_t *e = NULL;
    if (lp->has & DMSC_LP_HAS_PIT_TOKEN)
        e = dmsc_pend_by_token(&c->pend, lp->pit_token.p, lp->pit_token.n);
    /* the token's entry, if the name agrees (or the Interest named the
     * Data's full name, implicit digest included) */
    if (e && (dmsc_pend_data_matches(e, &d.name) || e->ncomps == d.name.ncomps + 1))
        take(c, e, &t[n++]);
    bool any = n > 0;
    /* ...and every other pending Interest the Data satisfies. Collected
     * before any callback runs, so an Interest a callback expresses again
     * under the same name is not satisfied by this Data. */
    for (;;) {
        while (n < MATCH_BATCH && (e = dmsc_pend_find_data(&c->pend, &d.name)) && e->sent_us <= now)
            take(c, e, &t[n++]);
        for (size_t k = 0; k < n; k++)
            deliver(c, &t[k], DMSC_CLIENT_DATA, &v, 0, now);
        if (n) any = true;
        if (n < MATCH_BATCH) break;
        n = 0;
    }
    if (!any) c->st.unsolicited++;
}

static void on_nack_pkt(dmsc_client_t *c, const dmsc_lp_t *lp)
{
    dmsc_interest_t in;
    if (dmsc_interest_decode(&in, lp->fragment.p, lp->fragment.n, DMSC_TLV_MAX_PACKET)) {
        c->st.malformed++;
        return;
    }
    c->st.in_nacks++;
    dmsc_pend_entry_t *e = NULL;
    if (lp->has & DMSC_LP_HAS_PIT_TOKEN)
        e = dmsc_pend_by_token(&c->pend, lp->pit_token.p, lp->pit_token.n);
    if (e && !(e->ncomps == in.name.ncomps && e->hash == dmsc_name_hash(&in.name, in.name.ncomps)))
        e = NULL;
    if (!e) e = dmsc_pend_find_nack(&c->pend, &in.name, in.has_nonce ? in.nonce : 0);
    if (!e) {
        c->st.unsolicited++;
        return;
    }
    taken_t t;
    take(c, e, &t);
    uint64_t reason = lp->nack_reason > UINT32_MAX ? UINT32_MAX : lp->nack_reason;
    deliver(c, &t, DMSC_CLIENT_NACK, NULL, (uint32_t)reason, cnow(c));
}

/* -------------------------------------------------------------- producer */

static void filters_recompute(dmsc_client_t *c)
{
    c->filter_len_mask = 0;
    for (unsigned i = 0; i < c->nfilters; i++) {
        unsigned k = c->filters[i]->prefix.name.ncomps;
        c->filter_len_mask |= 1ull << (k < 63 ? k : 63);
    }
}

static dmsc__filter_t *filter_match(dmsc_client_t *c, const dmsc_name_t *n)
{
    if (c->nfilters == 0) return NULL;
    for (int k = n->ncomps; k >= 0; k--) {
        if (!(c->filter_len_mask & (1ull << (k < 63 ? k : 63)))) continue;
        uint64_t h = dmsc_name_hash(n, (size_t)k);
        for (unsigned i = 0; i < c->nfilters; i++) {
            dmsc__filter_t *f = c->filters[i];
            if (f->prefix.name.ncomps == k && f->hash == h &&
                dmsc_name_is_prefix(&f->prefix.name, n))
                return f;
        }
    }
    return NULL;
}

static void on_interest_pkt(dmsc_client_t *c, const dmsc_lp_t *lp)
{
    dmsc_interest_t in;
    if (dmsc_interest_decode(&in, lp->fragment.p, lp->fragment.n, DMSC_TLV_MAX_PACKET)) {
        c->st.malformed++;
        return;
    }
    c->st.in_interests++;
    dmsc__filter_t *f = filter_match(c, &in.name);
    if (!f) {
        c->st.unmatched++;
        return;
    }
    dmsc_client_interest_t v;
    memset(&v, 0, sizeof v);
    v.name = in.name.value;
    v.name_len = in.name.len;
    v.can_be_prefix = in.can_be_prefix;
    v.must_be_fresh = in.must_be_fresh;
    v.lifetime_ms = in.lifetime > UINT32_MAX ? UINT32_MAX : (uint32_t)in.lifetime;
    v.hop_limit = in.has_hop_limit ? in.hop_limit : 0;
    v.has_app_params = in.has_app_params;
    v.app_params = in.app_params.p;
    v.app_params_len = in.app_params.n;
    v.nonce = in.nonce;
    if (lp->has & DMSC_LP_HAS_PIT_TOKEN) {
        v.pit_token = lp->pit_token.p;
        v.pit_token_len = lp->pit_token.n;
    }
    v.wire = lp->fragment.p;
    v.wire_len = lp->fragment.n;
    f->cb(f->arg, c, &v);
}

/* Management command result -> the registration callback. */
typedef struct {
    dmsc_client_register_cb done;
    void *arg;
} cmd_ctx_t;

static void command_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    cmd_ctx_t *ctx = arg;
    char text[256];
    uint32_t code = 0;
    int status = 0;
    switch (r->kind) {
    case DMSC_CLIENT_DATA:
        if (dmsc_command_response(r->data->content, r->data->content_len, &code, text,
                                  sizeof text)) {
            status = DMSC_EINVAL;
            snprintf(text, sizeof text, "malformed ControlResponse");
        }
        break;
    case DMSC_CLIENT_NACK:
        status = DMSC_EIO;
        snprintf(text, sizeof text, "Nack %s", dmsc_lp_nack_reason_str(r->nack_reason));
        break;
    case DMSC_CLIENT_TIMEOUT:
        status = DMSC_EIO;
        snprintf(text, sizeof text, "timeout");
        break;
    default:
        status = DMSC_EIO;
        snprintf(text, sizeof text, "face closed");
        break;
    }
    if (ctx->done) ctx->done(ctx->arg, c, status, code, text);
    free(ctx);
}

/* The signer of management commands: the client's key, else an ephemeral
 * Ed25519 key named /localhost/dmsc-client/KEY/<id>. ndn-cxx's command
 * Interest validation (NFD's RIB) wants a KeyLocator Name even when its
 * trust anchor is "any"; dmscd takes any signature. */
static const dmsc_signer_t *command_signer(dmsc_client_t *c)
{
    const dmsc_signer_t *s;
    if (c->key) return c->signer;
    if (!c->cmd_key) {
        dmsc_namebuf_t id;
        dmsc_namebuf_init(&id);
        if (dmsc_key_generate(&c->cmd_key, DMSC_SIG_ED25519)) return dmsc_sig_digest_signer();
        if (dmsc_namebuf_from_uri(&id, "/localhost/dmsc-client") ||
            dmsc_key_set_identity(c->cmd_key, &id.name, NULL, 0)) {
            dmsc_key_free(c->cmd_key);
            c->cmd_key = NULL;
            return dmsc_sig_digest_signer();
        }
    }
    if (dmsc_key_signer(c->cmd_key, DMSC_KEYLOC_NAME, &s)) return dmsc_sig_digest_signer();
    return s;
}

static int send_command(dmsc_client_t *c, const char *verb, const dmsc_name_t *prefix,
                        uint32_t flags, dmsc_client_register_cb done, void *done_arg)
{
    dmsc_nfd_cp_t cp;
    dmsc_nfd_cp_init(&cp);
    cp.has = DMSC_CP_NAME;
    cp.name = *prefix;
    if (strcmp(verb, "register") == 0) {
        cp.has |= DMSC_CP_ORIGIN | DMSC_CP_COST | DMSC_CP_FLAGS;
        cp.origin = 0; /* app */
        cp.cost = 0;
        cp.flags = (flags & DMSC_CLIENT_REG_CAPTURE) ? DMSC_NFD_ROUTE_CAPTURE
                                                     : DMSC_NFD_ROUTE_CHILD_INHERIT;
    } else {
        cp.has |= DMSC_CP_ORIGIN;
        cp.origin = 0;
    }
    dmsc_command_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.prefix = &c->mgmt_prefix.name;
    cmd.module = "rib";
    cmd.verb = verb;
    cmd.cp = &cp;
    cmd.signer = command_signer(c);
    cmd.legacy = c->o.legacy_commands;
    cmd.now_ms = unix_ms();
    if (cmd.now_ms <= c->last_cmd_ms) cmd.now_ms = c->last_cmd_ms + 1;
    c->last_cmd_ms = cmd.now_ms;
    uint64_t r = rng_next(c);
    memcpy(cmd.sig_nonce, &r, 8);
    cmd.nonce = (uint32_t)rng_next(c);
    cmd.lifetime_ms = 4000;

    dmsc_slice_t out;
    int rc = dmsc_command_encode(&cmd, c->scratch, c->scap, &out);
    if (rc) return rc == DMSC_ENOBUFS ? DMSC_ETOOBIG : DMSC_EINVAL;
    dmsc_interest_t dec;
    if (dmsc_interest_decode(&dec, out.p, out.n, DMSC_TLV_MAX_PACKET)) return DMSC_EINVAL;

    cmd_ctx_t *ctx = malloc(sizeof *ctx);
    if (!ctx) return DMSC_ENOMEM;
    ctx->done = done;
    ctx->arg = done_arg;
    uint64_t now = cnow(c);
    dmsc_pend_entry_t *e = dmsc_pend_add(&c->pend, &dec.name, false, cmd.nonce, now, now + 4000000);
    if (!e) {
        free(ctx);
        return DMSC_ENOBUFS;
    }
    uint8_t tok[DMSC_PEND_TOKEN_LEN];
    dmsc_pend_token(&c->pend, e, tok);
    if ((rc = send_pkt(c, out, dmsc_slice(tok, sizeof tok), -1))) {
        dmsc_pend_remove(&c->pend, e);
        free(ctx);
        return rc;
    }
    e->cb = (void (*)(void))command_result;
    e->arg = ctx;
    e->flags |= DMSC_PEND_F_INTERNAL;
    c->st.out_interests++;
    return 0;
}

static int find_filter(dmsc_client_t *c, const dmsc_name_t *n)
{
    for (unsigned i = 0; i < c->nfilters; i++)
        if (dmsc_name_equal(&c->filters[i]->prefix.name, n)) return (int)i;
    return -1;
}

int dmsc_client_register(dmsc_client_t *c, const uint8_t *prefix, size_t prefix_len, uint32_t flags,
                         dmsc_client_interest_cb on_interest, void *arg,
                         dmsc_client_register_cb done, void *done_arg)
{
    dmsc_name_t n;
    if (!c || !on_interest || (prefix_len && !prefix)) return DMSC_EINVAL;
    if (dmsc_name_from_value(&n, prefix, prefix_len)) return DMSC_EINVAL;
    int idx = find_filter(c, &n);
    dmsc__filter_t *f;
    if (idx >= 0) {
        f = c->filters[idx]; /* registering again replaces the callback */
    } else {
        if (c->nfilters == DMSC__MAX_FILTERS) return DMSC_ENOBUFS;
        if (!(f = malloc(sizeof *f))) return DMSC_ENOMEM;
        dmsc_namebuf_init(&f->prefix);
        if (dmsc_namebuf_copy(&f->prefix, &n)) {
            free(f);
            return DMSC_EINVAL;
        }
        f->hash = dmsc_name_hash(&f->prefix.name, f->prefix.name.ncomps);
        c->filters[c->nfilters++] = f;
        filters_recompute(c);
    }
    f->flags = flags;
    f->cb = on_interest;
    f->arg = arg;
    if (flags & DMSC_CLIENT_REG_LOCAL) return 0;
    return send_command(c, "register", &f->prefix.name, flags, done, done_arg);
}

int dmsc_client_unregister(dmsc_client_t *c, const uint8_t *prefix, size_t prefix_len,
                           dmsc_client_register_cb done, void *done_arg)
{
    dmsc_name_t n;
    if (!c || (prefix_len && !prefix) || dmsc_name_from_value(&n, prefix, prefix_len))
        return DMSC_EINVAL;
    int idx = find_filter(c, &n);
    if (idx < 0) return DMSC_EINVAL;
    dmsc__filter_t *f = c->filters[idx];
    c->filters[idx] = c->filters[--c->nfilters];
    filters_recompute(c);
    int rc = 0;
    if (!(f->flags & DMSC_CLIENT_REG_LOCAL))
        rc = send_command(c, "unregister", &f->prefix.name, 0, done, done_arg);
    free(f);
    return rc;
}

static int encode_data(dmsc_client_t *c, const dmsc_client_data_t *d, uint8_t *buf, size_t cap,
                       dmsc_slice_t *out)
{
    if (!d || (d->name_len && !d->name) || (d->content_len && !d->content)) return DMSC_EINVAL;
    dmsc_data_t x;
    dmsc_data_init(&x);
    if (dmsc_name_from_value(&x.name, d->name, d->name_len)) return DMSC_EINVAL;
    x.has_content = true;
    x.content = dmsc_slice(d->content, d->content_len);
    if (d->content_type) {
        x.has_content_type = true;
        x.content_type = d->content_type;
    }
    if (d->freshness_ms) {
        x.has_freshness = true;
        x.freshness = d->freshness_ms;
    }
    if (d->has_final_block) {
        if (d->final_block_type == 0 || (d->final_block_len && !d->final_block) ||
            d->final_block_len > UINT16_MAX)
            return DMSC_EINVAL;
        x.has_final_block = true;
        x.final_block.type = d->final_block_type;
        x.final_block.len = (uint16_t)d->final_block_len;
        x.final_block.value = d->final_block;
    }
    x.has_meta_info = x.has_content_type || x.has_freshness || x.has_final_block;
    int rc = dmsc_data_encode(&x, c->signer, buf, cap, out);
    if (rc == DMSC_ENOBUFS) return DMSC_ETOOBIG;
    return rc;
}

int dmsc_client_put_data(dmsc_client_t *c, const dmsc_client_interest_t *in,
                         const dmsc_client_data_t *d)
{
    if (!c) return DMSC_EINVAL;
    if (c->down) return DMSC_EIO;
    dmsc_slice_t out;
    int rc = encode_data(c, d, c->scratch, c->scap, &out);
    if (rc) return rc;
    dmsc_slice_t tok =
        in && in->pit_token ? dmsc_slice(in->pit_token, in->pit_token_len) : dmsc_slice(NULL, 0);
    if ((rc = send_pkt(c, out, tok, -1))) return rc;
    c->st.out_data++;
    return 0;
}

int dmsc_client_encode_data(dmsc_client_t *c, const dmsc_client_data_t *d, uint8_t *buf, size_t cap,
                            size_t *len)
{
    if (!c || !buf || !len) return DMSC_EINVAL;
    dmsc_slice_t out;
    int rc = encode_data(c, d, buf, cap, &out);
    if (rc) return rc == DMSC_ETOOBIG ? DMSC_ENOBUFS : rc;
    memmove(buf, out.p, out.n);
    *len = out.n;
    return 0;
}

int dmsc_client_put_wire(dmsc_client_t *c, const dmsc_client_interest_t *in, const uint8_t *wire,
                         size_t len)
{
    if (!c || !wire || len == 0) return DMSC_EINVAL;
    dmsc_slice_t tok =
        in && in->pit_token ? dmsc_slice(in->pit_token, in->pit_token_len) : dmsc_slice(NULL, 0);
    int rc = send_pkt(c, dmsc_slice(wire, len), tok, -1);
    if (rc) return rc;
    if (wire[0] == DMSC_TT_DATA) c->st.out_data++;
    return 0;
}

int dmsc_client_put_nack(dmsc_client_t *c, const dmsc_client_interest_t *in, uint32_t reason)
{
    if (!c || !in || !in->wire || in->wire_len == 0) return DMSC_EINVAL;
    dmsc_slice_t tok =
        in->pit_token ? dmsc_slice(in->pit_token, in->pit_token_len) : dmsc_slice(NULL, 0);
    int rc = send_pkt(c, dmsc_slice(in->wire, in->wire_len), tok, (int)(reason & 0x7fffffff));
    if (rc) return rc;
    c->st.out_nacks++;
    return 0;
}

static int use_key(dmsc_client_t *c, dmsc_key_t *k)
{
    const dmsc_signer_t *s;
    int rc = dmsc_key_signer(k, dmsc_key_name(k) ? DMSC_KEYLOC_NAME : DMSC_KEYLOC_DIGEST, &s);
    if (rc) {
        dmsc_key_free(k);
        return rc == DMSC_ENOTSUP ? DMSC_ENOTSUP : DMSC_EINVAL;
    }
    dmsc_key_free(c->key);
    c->key = k;
    c->signer = s;
    return 0;
}

int dmsc_client_use_key_file(dmsc_client_t *c, const char *path)
{
    dmsc_key_t *k;
    if (!c || !path) return DMSC_EINVAL;
    int rc = dmsc_keyfile_load(&k, path);
    if (rc) return rc == DMSC_EIO || rc == DMSC_ENOTSUP ? rc : DMSC_EINVAL;
    return use_key(c, k);
}

int dmsc_client_use_new_key(dmsc_client_t *c, int sig_type, const uint8_t *identity,
                            size_t identity_len)
{
    if (!c) return DMSC_EINVAL;
    if (sig_type == DMSC_SIG_SHA256) {
        dmsc_key_free(c->key);
        c->key = NULL;
        c->signer = dmsc_sig_digest_signer();
        return 0;
    }
    dmsc_key_t *k;
    int rc = dmsc_key_generate(&k, (uint64_t)sig_type);
    if (rc) return rc == DMSC_ENOMEM ? rc : DMSC_ENOTSUP;
    if (identity) {
        dmsc_name_t id;
        if (dmsc_name_from_value(&id, identity, identity_len) ||
            dmsc_key_set_identity(k, &id, NULL, 0)) {
            dmsc_key_free(k);
            return DMSC_EINVAL;
        }
    }
    return use_key(c, k);
}

/* -------------------------------------------------------------- input */

static void handle_packet(dmsc_client_t *c, const uint8_t *p, size_t n)
{
    dmsc_lp_t lp;
    c->st.in_bytes += n;
    if (dmsc_lp_decode(p, n, DMSC_TLV_MAX_PACKET, &lp)) {
        c->st.malformed++;
        return;
    }
    if (!(lp.has & DMSC_LP_HAS_FRAGMENT)) return; /* IDLE / keep-alive */
    dmsc_lp_t whole;
    const dmsc_lp_t *net = &lp;
    if (lp.frag_count > 1) {
        c->st.in_frags++;
        int rc = dmsc_lpfrag_reasm_push(c->reasm, 0, &lp, cnow(c) / 1000, c->reasm_out,
                                        c->reasm_cap, &whole);
        if (rc == DMSC_LPFRAG_PENDING) return;
        if (rc < 0) {
            c->st.malformed++;
            return;
        }
        net = &whole;
    }
    if (net->fragment.n == 0) return;
    switch (net->fragment.p[0]) {
    case DMSC_TT_INTEREST:
        if (net->has & DMSC_LP_HAS_NACK)
            on_nack_pkt(c, net);
        else
            on_interest_pkt(c, net);
        break;
    case DMSC_TT_DATA:
        if (net->has & DMSC_LP_HAS_NACK)
            c->st.malformed++;
        else
            on_data_pkt(c, net);
        break;
    default:
        c->st.malformed++;
        break;
    }
}

/* Frame complete TLVs out of the stream buffer; keep the partial tail. */
static void parse_stream(dmsc_client_t *c)
{
    size_t off = 0;
    size_t limit = (size_t)c->o.max_packet + DMSC__HEADROOM;
    while (c->rlen - off >= 2 && !c->down) {
        const uint8_t *p = c->rbuf + off, *end = c->rbuf + c->rlen;
        const uint8_t *q = p;
        uint64_t type, len;
        if (dmsc_varnum_read(&q, end, &type) || dmsc_varnum_read(&q, end, &len)) break;
        size_t hdr = (size_t)(q - p);
        if (type == 0 || len > limit || hdr + len > limit) {
            c->st.malformed++; /* cannot resynchronise a byte stream */
            set_down(c);
            return;
        }
        if ((size_t)(end - p) < hdr + len) break;
        handle_packet(c, p, hdr + (size_t)len);
        off += hdr + (size_t)len;
    }
    if (off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

static void read_stream(dmsc_client_t *c)
{
    for (int iter = 0; iter < 64 && !c->down; iter++) {
        size_t room = c->rcap - c->rlen;
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, room, MSG_DONTWAIT);
        if (n > 0) {
            c->st.syscalls_in++;
            c->rlen += (size_t)n;
            parse_stream(c);
            if ((size_t)n < room) break; /* drained */
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        set_down(c); /* EOF or error */
    }
}

static void read_dgram(dmsc_client_t *c)
{
    for (int iter = 0; iter < 16; iter++) {
        for (unsigned i = 0; i < DMSC__RX_BATCH; i++) {
            c->rmsg[i].msg_hdr.msg_flags = 0;
            c->riov[i].iov_len = c->dslot;
        }
        int k = recvmmsg(c->fd, c->rmsg, DMSC__RX_BATCH, MSG_DONTWAIT, NULL);
        if (k < 0) {
            if (errno == EINTR || errno == ECONNREFUSED) continue;
            break;
        }
        c->st.syscalls_in++;
        for (int i = 0; i < k; i++) {
            if (c->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
                c->st.malformed++;
                continue;
            }
            handle_packet(c, c->riov[i].iov_base, c->rmsg[i].msg_len);
        }
        if (k < DMSC__RX_BATCH) break;
    }
}

static void drain_stash(dmsc_client_t *c)
{
    size_t off = 0;
    while (off < c->stash_len) {
        uint32_t len;
        memcpy(&len, c->stash + off, 4);
        handle_packet(c, c->stash + off + 4, len);
        off += 4 + (size_t)len;
    }
    c->stash_len = 0;
}

/* -------------------------------------------------------------- timers */

int dmsc_client_timer_start(dmsc_client_t *c, uint32_t delay_ms, dmsc_client_timer_cb cb, void *arg)
{
    if (!c || !cb) return DMSC_EINVAL;
    for (int i = 0; i < DMSC__MAX_TIMERS; i++) {
        dmsc__timer_t *t = &c->timers[i];
        if (t->id) continue;
        if (++c->timer_seq <= 0) c->timer_seq = 1;
        t->id = c->timer_seq;
        t->deadline = cnow(c) + (uint64_t)delay_ms * 1000;
        t->cb = cb;
        t->arg = arg;
        return t->id;
    }
    return DMSC_ENOBUFS;
}

int dmsc_client_timer_cancel(dmsc_client_t *c, int id)
{
    for (int i = 0; id > 0 && i < DMSC__MAX_TIMERS; i++) {
        if (c->timers[i].id == id) {
            c->timers[i].id = 0;
            return 0;
        }
    }
    return DMSC_EINVAL;
}

/* Fire due timers; timers started by these callbacks wait for the next turn. */
static void run_timers(dmsc_client_t *c, uint64_t now)
{
    int last = c->timer_seq;
    for (int i = 0; i < DMSC__MAX_TIMERS; i++) {
        dmsc__timer_t *t = &c->timers[i];
        if (!t->id || t->id > last || t->deadline > now) continue;
        dmsc_client_timer_cb cb = t->cb;
        void *arg = t->arg;
        t->id = 0;
        cb(arg, c);
    }
}

static void run_timeouts(dmsc_client_t *c, uint64_t now)
{
    dmsc_pend_entry_t *e;
    while ((e = dmsc_pend_expired(&c->pend, now))) {
        taken_t t;
        bool internal = e->flags & DMSC_PEND_F_INTERNAL;
        take(c, e, &t);
        if (!internal) c->st.timeouts++;
        deliver(c, &t, DMSC_CLIENT_TIMEOUT, NULL, 0, now);
    }
}

uint64_t dmsc_client_now_us(const dmsc_client_t *c)
{
    return cnow(c);
}

/* -------------------------------------------------------------- loop */

int dmsc_client_fd(const dmsc_client_t *c)
{
    return c->fd;
}

short dmsc_client_events(const dmsc_client_t *c)
{
    bool out = c->dgram ? c->tn > 0 : c->wtail > c->whead;
    return (short)(POLLIN | (out ? POLLOUT : 0));
}

int dmsc_client_timeout_ms(const dmsc_client_t *c)
{
    if (c->stash_len || c->down) return 0;
    uint64_t when = UINT64_MAX, t;
    if (dmsc_pend_next_deadline(&c->pend, &t)) when = t;
    for (int i = 0; i < DMSC__MAX_TIMERS; i++)
        if (c->timers[i].id && c->timers[i].deadline < when) when = c->timers[i].deadline;
    if (dmsc_lpfrag_reasm_next_deadline(c->reasm, &t) && t * 1000 < when) when = t * 1000;
    if (when == UINT64_MAX) return -1;
    uint64_t now = cnow(c);
    if (when <= now) return 0;
    uint64_t ms = (when - now + 999) / 1000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

int dmsc_client_process(dmsc_client_t *c, short revents)
{
    if (c->stash_len) drain_stash(c);
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        if (c->dgram)
            read_dgram(c);
        else
            read_stream(c);
    }
    uint64_t now = cnow(c);
    run_timers(c, now);
    run_timeouts(c, now);
    dmsc_lpfrag_reasm_expire(c->reasm, now / 1000);
    if (!c->down) dmsc_client_flush(c);
    if (c->down) {
        fail_all(c);
        return DMSC_EIO;
    }
    return 0;
}

int dmsc_client_run_once(dmsc_client_t *c, int timeout_ms)
{
    if (!c->down) dmsc_client_flush(c);
    if (c->down) {
        fail_all(c);
        return DMSC_EIO;
    }
    int t = dmsc_client_timeout_ms(c);
    if (timeout_ms >= 0 && (t < 0 || timeout_ms < t)) t = timeout_ms;
    struct pollfd p = {.fd = c->fd, .events = dmsc_client_events(c)};
    int n = poll(&p, 1, t);
    if (n < 0) return errno == EINTR ? 0 : DMSC_EIO;
    return dmsc_client_process(c, n > 0 ? p.revents : 0);
}

int dmsc_client_run(dmsc_client_t *c)
{
    while (!c->stop) {
        int rc = dmsc_client_run_once(c, -1);
        if (rc) return rc;
    }
    return 0;
}

void dmsc_client_stop(dmsc_client_t *c)
{
    c->stop = 1;
}

bool dmsc_client_stopped(const dmsc_client_t *c)
{
    return c->stop != 0;
}

void dmsc_client_get_stats(const dmsc_client_t *c, dmsc_client_stats_t *out)
{
    *out = c->st;
}
