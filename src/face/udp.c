/*
 * UDP: one socket per channel (a listener on a configured address, or an
 * ephemeral socket for outgoing faces of a family without a listener), faces
 * demultiplexed by remote endpoint. The socket is polled with uv_poll and
 * read with recvmmsg into a per-channel batch of buffers (no allocation per
 * datagram); sends are sendmsg with the LP header and the packet as two iovecs.
 *
 * Faces (NFD UnicastUdpTransport): scope non-local, point-to-point,
 * on-demand when created by an incoming datagram (closed after
 * udp_idle_timeout_ms without input), persistent/permanent when created
 * (these send an IDLE LpPacket after udp_keepalive_ms without output).
 *
 * Unreachable peers: the socket has IP_RECVERR (and IPV6_RECVERR), so the
 * kernel queues an ICMP port/host/network unreachable for a datagram we sent
 * on the socket's error queue, with the original destination. The queue is
 * read (MSG_ERRQUEUE) when poll reports it (SO_SELECT_ERR_QUEUE: POLLPRI
 * with the POLLERR, so libuv does not stop the handle) and the face of that
 * endpoint reports it (dmsc_facetable_on_error); faces stay open. The same
 * option makes the next send or receive on the socket fail once with the
 * pending error (sk_err), whichever endpoint it concerns: sends are retried
 * once and receives go on, so other faces do not notice.
 *
 * Batching: a send copies the datagram into the channel's transmit buffer
 * and the channel is flushed when the loop turn ends (dmsc__flush_schedule)
 * or the buffer fills. Consecutive datagrams to one face of the same size
 * (the last of a run may be shorter) form one run, sent as a single
 * UDP_SEGMENT (GSO) message; all runs of a turn go in one sendmmsg. A
 * window of Data answered in one turn, or the Interests a consumer sends
 * for it, thus cost one system call and one trip through the stack instead
 * of one per packet (the wire carries the same datagrams). A run the kernel
 * refuses (segment above the route's MTU: EINVAL; no checksum offload: EIO)
 * is sent datagram by datagram, and the face stops building runs of that
 * size. The receive side asks for UDP_GRO: datagrams the kernel coalesced
 * (a GSO run on loopback, a GRO flow on a NIC) arrive as one buffer with
 * their size in a control message and are split back here. Without kernel
 * support (setsockopt fails) the channel sends plain datagrams, still in
 * one sendmmsg per turn, and receives one datagram per buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/err.h"
#include "face/face_int.h"

#define UDP_BATCH 32
#define UDP_ROUNDS 8 /* batches per readable event before yielding to the loop */
/* Socket buffers asked for: bursts of many consumers' windows (dozens of
 * 8 KB Data at once) overflow smaller receive buffers, and every datagram
 * lost there costs its consumer a retransmission. With CAP_NET_ADMIN the
 * size is forced; otherwise the kernel caps it at net.core.rmem_max /
 * wmem_max. */
#define UDP_SOCKBUF (16 << 20)
#define UDP_ERRQ_MAX 64 /* error-queue entries read per poll event */
#define UDP_POLL_EVENTS (UV_READABLE | UV_PRIORITIZED)
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, Linux 4.18 */
#endif
#ifndef UDP_GRO
#define UDP_GRO 104 /* Linux 5.0 */
#endif
#define UDP_TX_MSGS 64         /* sendmmsg entries (datagrams or GSO runs) per flush */
#define UDP_TX_BYTES (1 << 20) /* queued bytes that force a flush within a turn */
#define UDP_GSO_SEGS 64        /* datagrams per run (the kernel's UDP_MAX_SEGMENTS) */
#define UDP_GSO_BYTES 65500 /* bytes per run: one IP packet (65535) less the IP and UDP headers */
#define UDP_GRO_SLOT 65536  /* receive buffer for a coalesced run */

/* One queued datagram, or a run of datagrams to one face sent with GSO. */
typedef struct {
    struct sockaddr_storage ra;
    socklen_t ralen;
    dmsc_faceid_t face;
    uint32_t off, len; /* bytes in the channel's txbuf */
    uint16_t seg;      /* size of every datagram of the run but the last */
    uint16_t nseg;     /* datagrams */
    bool open;         /* a datagram of size <= seg may still join */
} udp_txmsg_t;

struct dmsc__udp_channel {
    dmsc__listener_t l; /* first: freed through it */
    dmsc_facetable_t *ft;
    int fd;
    int family;
    uv_poll_t poll;
    dmsc__map_t eps; /* endpoint key -> udp_face_t */
    size_t slot;     /* bytes per receive buffer */
    uint8_t *bufs;
    char local_uri[DMSC_FACE_URI_MAX];
    struct mmsghdr msgs[UDP_BATCH];
    struct iovec iovs[UDP_BATCH];
    struct sockaddr_storage addrs[UDP_BATCH];
    union {
        struct cmsghdr align;
        uint8_t b[CMSG_SPACE(sizeof(int))];
    } rxctl[UDP_BATCH];
    size_t rx_max; /* largest datagram accepted (a whole packet + LP header) */
    bool gro;      /* UDP_GRO on: buffers may hold several datagrams */
    bool gso;      /* UDP_SEGMENT accepted by the socket */
    /* transmit batch (see the header comment) */
    uint8_t *txbuf;
    size_t txlen;
    int ntx;
    udp_txmsg_t tx[UDP_TX_MSGS];
    bool in_flush; /* on ft->udp_flush_head */
    dmsc__udp_channel_t *flush_next;
};

typedef struct {
    dmsc__face_t base; /* first */
    dmsc__udp_channel_t *ch;
    struct sockaddr_storage ra; /* in the socket's family (v4-mapped on a dual-stack socket) */
    socklen_t ralen;
    uint64_t key;
    uint16_t gso_max; /* largest run segment the kernel took for this peer */
} udp_face_t;

static int udp_send(dmsc__face_t *f, const struct iovec *iov, int iovcnt, size_t len);
static void udp_close(dmsc__face_t *f);

static const dmsc__transport_ops_t udp_ops = {
    .kind = "udp",
    .send = udp_send,
    .close = udp_close,
};

bool dmsc__face_is_udp(const dmsc__face_t *f)
{
    return f->ops == &udp_ops;
}

/* Endpoint key (never 0). IPv4 (also v4-mapped): exact. IPv6: seeded hash;
 * lookups compare the address too. */
static uint64_t ep_key(const dmsc_facetable_t *ft, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        return (1ULL << 63) | ((uint64_t)ntohl(s4->sin_addr.s_addr) << 16) | ntohs(s4->sin_port);
    }
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        uint32_t a;
        memcpy(&a, &s6->sin6_addr.s6_addr[12], 4);
        return (1ULL << 63) | ((uint64_t)ntohl(a) << 16) | ntohs(s6->sin6_port);
    }
    uint8_t k[18];
    memcpy(k, &s6->sin6_addr, 16);
    memcpy(k + 16, &s6->sin6_port, 2);
    return (XXH3_64bits_withSeed(k, sizeof k, ft->hash_seed) & ~(1ULL << 63)) | 1;
}

static bool same_ep(const udp_face_t *uf, const struct sockaddr_storage *ss)
{
    if (ss->ss_family != AF_INET6) return true; /* exact key */
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&uf->ra;
    const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)ss;
    return a->sin6_port == b->sin6_port && !memcmp(&a->sin6_addr, &b->sin6_addr, 16);
}

static udp_face_t *face_new(dmsc__udp_channel_t *ch, const struct sockaddr_storage *ra,
                            uint64_t key, int persistency, uint32_t flags)
{
    dmsc_facetable_t *ft = ch->ft;
    udp_face_t *uf = malloc(sizeof *uf);
    if (!uf) return NULL;
    dmsc__face_init(&uf->base, ft, &udp_ops);
    uf->ch = ch;
    uf->ra = *ra;
    uf->ralen =
        ra->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    uf->key = key;
    uf->gso_max = ch->gso ? UINT16_MAX : 0;
    dmsc__face_t *f = &uf->base;
    f->datagram = true;
    f->scope = DMSC_SCOPE_NONLOCAL; /* NFD: unicast UDP is always non-local */
    f->persistency = persistency;
    f->flags = flags & ~(uint32_t)DMSC_FACE_FLAG_LOCAL_FIELDS;
    f->mtu = ft->cfg.udp_mtu;
    f->rx_max = ch->rx_max;
    f->tx_max = DMSC_TLV_DGRAM_MAX;
    dmsc__uri_from_sa(f->remote_uri, sizeof f->remote_uri, "udp", (const struct sockaddr *)ra);
    memcpy(f->local_uri, ch->local_uri, sizeof f->local_uri);
    if (dmsc__map_put(&ch->eps, key, uf)) {
        free(uf);
        return NULL;
    }
    int rc = dmsc__face_add(f, 0);
    if (rc) {
        dmsc__map_del(&ch->eps, key);
        free(uf);
        return NULL;
    }
    return uf;
}

static void on_datagram(dmsc__udp_channel_t *ch, struct sockaddr_storage *ra, const uint8_t *p,
                        size_t n, bool trunc, uint64_t now_ns)
{
    dmsc_facetable_t *ft = ch->ft;
    uint64_t key = ep_key(ft, ra);
    udp_face_t *uf = dmsc__map_get(&ch->eps, key);
    if (uf && !same_ep(uf, ra)) {
        dmsc__drop(ft, 0, DMSC_DROP_MALFORMED, DMSC_EINVAL, "udp-endpoint-collision");
        return;
    }
    if (trunc || n > ch->rx_max) {
        if (uf) uf->base.lc.in_lp_invalid++;
        dmsc__drop(ft, uf ? uf->base.id : 0, DMSC_DROP_TOO_BIG, DMSC_ETOOBIG, "udp");
        return;
    }
    if (!uf) {
        /* create an on-demand face only for something that looks like NDN */
        dmsc_tlv_t el;
        if (n == 0 || dmsc_tlv_decode_one(p, n, &el) ||
            (el.type != DMSC_TT_LP_PACKET && el.type != DMSC_TT_INTEREST &&
             el.type != DMSC_TT_DATA)) {
            dmsc__drop(ft, 0, DMSC_DROP_MALFORMED, DMSC_ETYPE, "udp-new-endpoint");
            return;
        }
        uf = face_new(ch, ra, key, DMSC_FACE_ON_DEMAND, 0);
        if (!uf) {
            dmsc__drop(ft, 0, DMSC_DROP_FACE_DOWN, DMSC_ENOBUFS, "udp-face-limit");
            return;
        }
    }
    dmsc__link_rx(&uf->base, p, n, now_ns);
}

/* An errno that says the peer (process, host or network) is unreachable. */
static bool unreachable_errno(int e)
{
    return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN;
}

/* Read the socket's error queue: each ICMP unreachable names the endpoint
 * our datagram went to; its face (if any) reports it. Bounded per event. */
static void drain_errors(dmsc__udp_channel_t *ch)
{
    dmsc_facetable_t *ft = ch->ft;
    for (int k = 0; k < UDP_ERRQ_MAX; k++) {
        struct sockaddr_storage ra;
        uint8_t data[64]; /* the start of our datagram: not used */
        union {
            struct cmsghdr align;
            uint8_t b[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6))];
        } ctl;
        struct iovec iov = {data, sizeof data};
        struct msghdr m;
        memset(&m, 0, sizeof m);
        memset(&ra, 0, sizeof ra);
        m.msg_name = &ra;
        m.msg_namelen = sizeof ra;
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = ctl.b;
        m.msg_controllen = sizeof ctl.b;
        if (recvmsg(ch->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break; /* EAGAIN: empty */
        int err = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                  (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
                continue;
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof ee);
            if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
                err = (int)ee.ee_errno;
        }
        if (!unreachable_errno(err) || m.msg_namelen == 0) continue;
        if (ra.ss_family != AF_INET && ra.ss_family != AF_INET6) continue;
        udp_face_t *uf = dmsc__map_get(&ch->eps, ep_key(ft, &ra));
        if (!uf || !same_ep(uf, &ra)) continue;
        DMSC_LOGD("face", "face=%u event=unreachable remote=%s errno=%d", uf->base.id,
                  uf->base.remote_uri, err);
        dmsc__face_unreachable(&uf->base, err);
    }
}

/* The datagram size of a buffer the kernel coalesced (UDP_GRO), else 0. */
static size_t gro_size(const struct msghdr *m)
{
    if (!m->msg_control) return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
            c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof v);
            return v > 0 ? (size_t)v : 0;
        }
    }
    return 0;
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    dmsc__udp_channel_t *ch = h->data;
    if (status < 0) {
        /* libuv stops the handle on a POLLERR it does not expect: read the
         * error queue (which clears the condition) and watch again */
        DMSC_LOGW("face", "channel=%s event=poll-error err=%s", ch->local_uri, uv_err_name(status));
        drain_errors(ch);
        if (!ch->ft->shutting_down) uv_poll_start(&ch->poll, UDP_POLL_EVENTS, on_readable);
        return;
    }
    if (events & UV_PRIORITIZED) drain_errors(ch);
    for (int round = 0; round < UDP_ROUNDS; round++) {
        for (int i = 0; i < UDP_BATCH; i++) {
            struct msghdr *m = &ch->msgs[i].msg_hdr;
            m->msg_name = &ch->addrs[i];
            m->msg_namelen = sizeof ch->addrs[i];
            m->msg_iov = &ch->iovs[i];
            m->msg_iovlen = 1;
            m->msg_control = ch->gro ? ch->rxctl[i].b : NULL;
            m->msg_controllen = ch->gro ? sizeof ch->rxctl[i].b : 0;
            m->msg_flags = 0;
        }
        int n = recvmmsg(ch->fd, ch->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0 && unreachable_errno(errno)) continue; /* a pending ICMP error, now consumed */
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                DMSC_LOGD("face", "channel=%s event=recv-error errno=%d", ch->local_uri, errno);
            break;
        }
        uint64_t now_ns = uv_hrtime();
        for (int i = 0; i < n; i++) {
            if (ch->ft->shutting_down) return;
            const uint8_t *p = ch->iovs[i].iov_base;
            size_t len = ch->msgs[i].msg_len;
            bool trunc = (ch->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
            size_t seg = trunc ? 0 : gro_size(&ch->msgs[i].msg_hdr);
            if (seg == 0 || seg >= len) {
                on_datagram(ch, &ch->addrs[i], p, len, trunc, now_ns);
                continue;
            }
            /* datagrams the kernel coalesced: all seg bytes but the last */
            for (size_t off = 0; off < len && !ch->ft->shutting_down; off += seg)
                on_datagram(ch, &ch->addrs[i], p + off, len - off < seg ? len - off : seg, false,
                            now_ns);
        }
        if (n < UDP_BATCH) break;
    }
}

/* ---- sending ---- */

/* Control-message room for a UDP_SEGMENT option. */
typedef union {
    struct cmsghdr align;
    uint8_t b[CMSG_SPACE(sizeof(uint16_t))];
} gso_ctl_t;

/* Make h a GSO run of seg-byte datagrams (ctl: its control buffer). */
static void set_gso(struct msghdr *h, gso_ctl_t *ctl, uint16_t seg)
{
    memset(ctl, 0, sizeof *ctl);
    h->msg_control = ctl->b;
    h->msg_controllen = sizeof ctl->b;
    struct cmsghdr *c = CMSG_FIRSTHDR(h);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(c), &seg, sizeof seg);
}

/* Send one message now (a datagram, or a run when seg > 0). Returns the
 * sendmsg result; errno as it left it. */
static ssize_t send_msg(dmsc__udp_channel_t *ch, const struct sockaddr_storage *ra, socklen_t ralen,
                        const struct iovec *iov, int iovcnt, uint16_t seg)
{
    gso_ctl_t ctl;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_name = (void *)ra;
    m.msg_namelen = ralen;
    m.msg_iov = (struct iovec *)iov;
    m.msg_iovlen = (size_t)iovcnt;
    if (seg) set_gso(&m, &ctl, seg);
    return sendmsg(ch->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* errno of a failed send -> DMSC_ENOBUFS (socket buffer full) or DMSC_EINVAL;
 * an unreachable peer (interface down) is reported to its face. */
static int send_error(dmsc__udp_channel_t *ch, dmsc_faceid_t id, int e)
{
    dmsc__face_t *f = dmsc__face_get(ch->ft, id);
    if (f && (e == EHOSTUNREACH || e == ENETUNREACH)) dmsc__face_unreachable(f, e);
    if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) return DMSC_ENOBUFS;
    DMSC_LOGD("face", "face=%u event=send-error errno=%d", id, e);
    return DMSC_EINVAL;
}

/* A queued message could not be sent: its datagrams are dropped, counted on
 * the face (out_drops) and by the forwarder (face-down), as a send that
 * fails at once would be. */
static void tx_lost(dmsc__udp_channel_t *ch, const udp_txmsg_t *m, int e)
{
    int rc = send_error(ch, m->face, e);
    dmsc__face_t *f = dmsc__face_get(ch->ft, m->face);
    if (f) {
        f->lc.out_drops += m->nseg;
        f->lc.out_lp_packets -= f->lc.out_lp_packets < m->nseg ? f->lc.out_lp_packets : m->nseg;
    }
    for (uint16_t k = 0; k < m->nseg; k++)
        dmsc__drop(ch->ft, m->face, DMSC_DROP_FACE_DOWN, rc, "udp-send");
}

/* Send message m now; once more if the first failure was an unreachable
 * error (either a pending ICMP error of the socket, for any endpoint,
 * consumed by this call, or no route to this peer). 0 or errno. */
static int tx_one(dmsc__udp_channel_t *ch, const udp_txmsg_t *m, const struct iovec *iov,
                  int iovcnt, uint16_t seg)
{
    ssize_t w = send_msg(ch, &m->ra, m->ralen, iov, iovcnt, seg);
    if (w < 0 && unreachable_errno(errno)) w = send_msg(ch, &m->ra, m->ralen, iov, iovcnt, seg);
    return w < 0 ? errno : 0;
}

/* A run the kernel would not segment: its datagrams one by one, and runs of
 * this size no more for the face. */
static void tx_split(dmsc__udp_channel_t *ch, const udp_txmsg_t *m, int e)
{
    dmsc__face_t *f = dmsc__face_get(ch->ft, m->face);
    if (f && dmsc__face_is_udp(f)) {
        udp_face_t *uf = (udp_face_t *)f;
        /* EIO: the device cannot checksum a run (no GSO at all); EINVAL /
         * EMSGSIZE: the segment exceeds the route's MTU */
        uint16_t max = e == EIO || m->seg < 2 ? 0 : (uint16_t)(m->seg - 1);
        if (uf->gso_max > max) {
            uf->gso_max = max;
            DMSC_LOGD("face", "face=%u event=gso-refused seg=%u errno=%d gso_max=%u", f->id, m->seg,
                      e, max);
        }
    }
    udp_txmsg_t one = *m; /* each datagram, for tx_lost */
    one.nseg = 1;
    uint32_t off = 0;
    for (uint16_t k = 0; k < m->nseg; k++) {
        uint32_t n = m->len - off < m->seg ? m->len - off : m->seg;
        struct iovec iov = {ch->txbuf + m->off + off, n};
        int err = tx_one(ch, m, &iov, 1, 0);
        if (err) tx_lost(ch, &one, err);
        off += n;
    }
}

static bool gso_refused(int e)
{
    return e == EIO || e == EINVAL || e == EMSGSIZE || e == ENOPROTOOPT || e == EOPNOTSUPP;
}

/* Send everything the channel queued, in order: one sendmmsg while the
 * kernel takes them, a message at a time around a failure. */
static void tx_flush(dmsc__udp_channel_t *ch)
{
    int n = ch->ntx;
    ch->ntx = 0;
    if (n == 0) {
        ch->txlen = 0;
        return;
    }
    struct mmsghdr mm[UDP_TX_MSGS];
    struct iovec iov[UDP_TX_MSGS];
    gso_ctl_t ctl[UDP_TX_MSGS];
    memset(mm, 0, sizeof(mm[0]) * (size_t)n);
    for (int i = 0; i < n; i++) {
        udp_txmsg_t *m = &ch->tx[i];
        struct msghdr *h = &mm[i].msg_hdr;
        iov[i].iov_base = ch->txbuf + m->off;
        iov[i].iov_len = m->len;
        h->msg_name = &m->ra;
        h->msg_namelen = m->ralen;
        h->msg_iov = &iov[i];
        h->msg_iovlen = 1;
        if (m->nseg > 1) set_gso(h, &ctl[i], m->seg);
    }
    for (int i = 0; i < n;) {
        int r = sendmmsg(ch->fd, mm + i, (unsigned)(n - i), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r > 0) {
            i += r;
            continue;
        }
        int e = r < 0 ? errno : EAGAIN;
        if (e == EINTR) continue;
        /* message i failed: find out why on its own */
        udp_txmsg_t *m = &ch->tx[i];
        int err = tx_one(ch, m, &iov[i], 1, m->nseg > 1 ? m->seg : 0);
        if (err && m->nseg > 1 && gso_refused(err))
            tx_split(ch, m, err);
        else if (err)
            tx_lost(ch, m, err);
        i++;
    }
    ch->txlen = 0;
}

void dmsc__udp_flush(dmsc_facetable_t *ft)
{
    while (ft->udp_flush_head) {
        dmsc__udp_channel_t *ch = ft->udp_flush_head;
        ft->udp_flush_head = ch->flush_next;
        ch->flush_next = NULL;
        ch->in_flush = false;
        tx_flush(ch);
    }
}

static void flush_unlink(dmsc__udp_channel_t *ch)
{
    if (!ch->in_flush) return;
    for (dmsc__udp_channel_t **pp = &ch->ft->udp_flush_head; *pp; pp = &(*pp)->flush_next)
        if (*pp == ch) {
            *pp = ch->flush_next;
            break;
        }
    ch->in_flush = false;
    ch->flush_next = NULL;
}

/* Send now, without batching (a datagram larger than a run, or at
 * shutdown). */
static int send_now(udp_face_t *uf, const struct iovec *iov, int iovcnt)
{
    udp_txmsg_t m = {.ralen = uf->ralen, .face = uf->base.id, .nseg = 1};
    m.ra = uf->ra;
    int err = tx_one(uf->ch, &m, iov, iovcnt, 0);
    return err ? send_error(uf->ch, uf->base.id, err) : 0;
}

static int udp_send(dmsc__face_t *f, const struct iovec *iov, int iovcnt, size_t len)
{
    udp_face_t *uf = (udp_face_t *)f;
    dmsc__udp_channel_t *ch = uf->ch;
    if (len > UDP_GSO_BYTES || ch->ft->shutting_down) return send_now(uf, iov, iovcnt);
    udp_txmsg_t *m = ch->ntx ? &ch->tx[ch->ntx - 1] : NULL;
    /* (open was decided against gso_max when the run began, and a refusal
     * that lowers gso_max happens in a flush, which empties the queue) */
    bool join = m && m->open && m->face == f->id && len <= m->seg && m->nseg < UDP_GSO_SEGS &&
                m->len + len <= UDP_GSO_BYTES;
    if ((!join && ch->ntx == UDP_TX_MSGS) || ch->txlen + len > UDP_TX_BYTES) {
        tx_flush(ch);
        m = NULL;
        join = false;
    }
    uint8_t *p = ch->txbuf + ch->txlen;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(p, iov[i].iov_base, iov[i].iov_len);
        p += iov[i].iov_len;
    }
    if (join) {
        m->len += (uint32_t)len;
        m->nseg++;
        if (len < m->seg) m->open = false; /* a shorter datagram ends a run */
    } else {
        m = &ch->tx[ch->ntx++];
        m->ra = uf->ra;
        m->ralen = uf->ralen;
        m->face = f->id;
        m->off = (uint32_t)ch->txlen;
        m->len = (uint32_t)len;
        m->seg = (uint16_t)len;
        m->nseg = 1;
        m->open = uf->gso_max >= len;
    }
    ch->txlen += len;
    if (!ch->in_flush) {
        ch->in_flush = true;
        ch->flush_next = ch->ft->udp_flush_head;
        ch->ft->udp_flush_head = ch;
        dmsc__flush_schedule(ch->ft);
    }
    return 0;
}

static void udp_close(dmsc__face_t *f)
{
    udp_face_t *uf = (udp_face_t *)f;
    if (dmsc__map_get(&uf->ch->eps, uf->key) == uf) dmsc__map_del(&uf->ch->eps, uf->key);
    dmsc__face_release(f);
}

void dmsc__udp_sweep(dmsc__face_t *f, uint64_t now_ms)
{
    const dmsc_facetable_config_t *cfg = &f->ft->cfg;
    if (f->persistency == DMSC_FACE_ON_DEMAND) {
        if (now_ms - f->last_rx_ms >= cfg->udp_idle_timeout_ms) dmsc__face_fail(f, "idle");
    } else if (cfg->udp_keepalive_ms && now_ms - f->last_tx_ms >= cfg->udp_keepalive_ms) {
        dmsc__link_tx_idle(f);
    }
}

/* ---- channels ---- */

static void on_channel_closed(uv_handle_t *h)
{
    dmsc__udp_channel_t *ch = h->data;
    close(ch->fd);
    dmsc__map_free(&ch->eps);
    free(ch->bufs);
    free(ch->txbuf);
    free(ch);
}

static void channel_close(dmsc__listener_t *l)
{
    dmsc__udp_channel_t *ch = (dmsc__udp_channel_t *)l;
    /* faces were destroyed first (shutdown order); what they queued goes */
    flush_unlink(ch);
    tx_flush(ch);
    uv_poll_stop(&ch->poll);
    uv_close((uv_handle_t *)&ch->poll, on_channel_closed);
}

static int sockaddr_from(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        return 0;
    }
    return DMSC_EINVAL;
}

static int channel_open(dmsc_facetable_t *ft, const struct sockaddr_storage *bind_sa,
                        dmsc__udp_channel_t **out)
{
    int family = bind_sa->ss_family;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return DMSC_ENOTSUP;
    int one = 1, zero = 0, buf = UDP_SOCKBUF;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* ICMP errors to the error queue (for IPv4 peers of a dual-stack socket
     * too); POLLPRI with their POLLERR */
    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf))
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); /* dual stack */
#ifdef IPV6_MTU_DISCOVER
        int pmtu = IPV6_PMTUDISC_DONT;
        setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof pmtu);
#endif
    } else {
#ifdef IP_MTU_DISCOVER
        /* as NFD: let the kernel fragment datagrams above the path MTU */
        int pmtu = IP_PMTUDISC_DONT;
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
#endif
    }
    if (bind(fd, (const struct sockaddr *)bind_sa,
             dmsc__sa_len((const struct sockaddr *)bind_sa))) {
        DMSC_LOGE("face", "event=udp-bind errno=%d err=\"%s\"", errno, strerror(errno));
        close(fd);
        return DMSC_ENOTSUP;
    }
    dmsc__udp_channel_t *ch = calloc(1, sizeof *ch);
    if (!ch) {
        close(fd);
        return DMSC_ENOMEM;
    }
    ch->ft = ft;
    ch->fd = fd;
    ch->family = family;
    ch->rx_max = ft->cfg.udp_mtu;
    if (ch->rx_max < DMSC_TLV_DGRAM_MAX + DMSC_LPFRAG_HDR_MAX)
        ch->rx_max = DMSC_TLV_DGRAM_MAX + DMSC_LPFRAG_HDR_MAX; /* a whole 8800 packet + LP header */
    ch->slot = ch->rx_max;
    ch->gro = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
    if (ch->gro && ch->slot < UDP_GRO_SLOT) ch->slot = UDP_GRO_SLOT;
    ch->gso = setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
    ch->bufs = malloc(ch->slot * UDP_BATCH);
    ch->txbuf = malloc(UDP_TX_BYTES);
    if (!ch->bufs || !ch->txbuf) {
        free(ch->bufs);
        free(ch->txbuf);
        free(ch);
        close(fd);
        return DMSC_ENOMEM;
    }
    for (int i = 0; i < UDP_BATCH; i++) {
        ch->iovs[i].iov_base = ch->bufs + (size_t)i * ch->slot;
        ch->iovs[i].iov_len = ch->slot;
    }
    dmsc__map_init(&ch->eps);
    struct sockaddr_storage la;
    socklen_t lalen = sizeof la;
    getsockname(fd, (struct sockaddr *)&la, &lalen);
    dmsc__uri_from_sa(ch->local_uri, sizeof ch->local_uri, "udp", (struct sockaddr *)&la);
    uv_poll_init_socket(ft->loop, &ch->poll, fd);
    ch->poll.data = ch;
    uv_poll_start(&ch->poll, UDP_POLL_EVENTS, on_readable);
    ch->l.close = channel_close;
    dmsc__listener_add(ft, &ch->l);
    *out = ch;
    return 0;
}

int dmsc_facetable_listen_udp(dmsc_facetable_t *ft, const char *bind_addr, uint16_t port,
                              uint16_t *bound_port)
{
    struct sockaddr_storage ss;
    if (ft->shutting_down || sockaddr_from(bind_addr, port, &ss)) return DMSC_EINVAL;
    dmsc__udp_channel_t *ch;
    int rc = channel_open(ft, &ss, &ch);
    if (rc) return rc;
    if (ss.ss_family == AF_INET) {
        if (!ft->udp4) ft->udp4 = ch;
    } else {
        if (!ft->udp6) ft->udp6 = ch;
        /* "::" is dual stack: IPv4 peers are reached from it too (v4-mapped),
         * so that they see one port for both directions */
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        if (!ft->udp4 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) ft->udp4 = ch;
    }
    struct sockaddr_storage la;
    socklen_t lalen = sizeof la;
    getsockname(ch->fd, (struct sockaddr *)&la, &lalen);
    if (bound_port) *bound_port = ntohs(((struct sockaddr_in *)&la)->sin_port);
    DMSC_LOGI("face", "event=listen channel=%s", ch->local_uri);
    return 0;
}

int dmsc__udp_create(dmsc_facetable_t *ft, const struct sockaddr *sa, int persistency,
                     uint32_t flags, dmsc_faceid_t *out)
{
    dmsc__udp_channel_t **slot = sa->sa_family == AF_INET ? &ft->udp4 : &ft->udp6;
    if (!*slot) {
        struct sockaddr_storage any;
        sockaddr_from(sa->sa_family == AF_INET ? "0.0.0.0" : "::", 0, &any);
        int rc = channel_open(ft, &any, slot);
        if (rc) return rc;
    }
    dmsc__udp_channel_t *ch = *slot;
    struct sockaddr_storage ra;
    memset(&ra, 0, sizeof ra);
    if (ch->family == AF_INET6 && sa->sa_family == AF_INET) {
        /* IPv4 peer through a dual-stack socket: ::ffff:a.b.c.d */
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        struct sockaddr_in6 *m = (struct sockaddr_in6 *)&ra;
        m->sin6_family = AF_INET6;
        m->sin6_port = s4->sin_port;
        m->sin6_addr.s6_addr[10] = 0xff;
        m->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&m->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
    } else {
        memcpy(&ra, sa, dmsc__sa_len(sa));
    }
    uint64_t key = ep_key(ft, &ra);
    udp_face_t *uf = dmsc__map_get(&ch->eps, key);
    if (uf && same_ep(uf, &ra)) {
        if (uf->base.persistency == DMSC_FACE_ON_DEMAND) uf->base.persistency = persistency;
        *out = uf->base.id;
        return 0;
    }
    if (uf) return DMSC_EINVAL; /* hash collision with another endpoint */
    uf = face_new(ch, &ra, key, persistency, flags);
    if (!uf) return ft->n_dynamic >= ft->cfg.max_faces ? DMSC_ENOBUFS : DMSC_ENOMEM;
    *out = uf->base.id;
    return 0;
}
