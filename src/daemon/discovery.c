/*
 * Neighbor discovery on the LAN (routing.discovery, docs/routing.md
 * "Discovery"). Per interface: a UDP socket bound to the discovery port,
 * joined to the group on that interface (IP_ADD_MEMBERSHIP with the
 * interface address), IP_MULTICAST_IF set to it, loopback off, TTL 1,
 * IP_MULTICAST_ALL off (it hears only its own interface). Every interval it
 * sends one unsigned Interest
 *   /localhop/dmsc/discovery/<node name components>/params-sha256=...
 * with ApplicationParameters = NonNegativeInteger (the node's unicast UDP
 * face port). An announcement from another node makes the caller's found()
 * callback run with udp4://<sender address>:<port>; each sender is reported
 * once, at most DISC_MAX senders and DISC_BURST new ones per interval.
 * Malformed announcements are counted and dropped.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sodium.h>

#include "base/err.h"
#include "base/log.h"
#include "daemon/daemon.h"
#include "ndn/interest.h"

#define LOGM "discovery"
#define DISC_MAX 64  /* senders remembered (and neighbors created) */
#define DISC_BURST 8 /* new senders accepted per interval */
#define DISC_PKT_MAX 1500
#define DISC_PREFIX "/localhop/dmsc/discovery"
#define DISC_PREFIX_COMPS 3

typedef struct {
    struct dmsc_discovery *d;
    uv_udp_t sock;
    char ifname[IF_NAMESIZE];
    char addr[INET_ADDRSTRLEN];
    struct in_addr in;
    bool open;
} iface_t;

struct dmsc_discovery {
    uv_loop_t *loop;
    uv_timer_t timer;
    dmsc_discovery_found_cb found;
    void *arg;
    char group[INET_ADDRSTRLEN];
    uint16_t port;
    uint64_t interval_ms;
    char want[DMSC_CONFIG_MAX_IFACES][16];
    size_t n_want;
    dmsc_namebuf_t node;
    iface_t ifs[DMSC_CONFIG_MAX_IFACES];
    size_t n_ifs;
    uint8_t pkt[DISC_PKT_MAX];
    size_t pkt_len;
    uint8_t rxbuf[DISC_PKT_MAX];
    bool rx_busy;
    char known[DISC_MAX][DMSC_FACE_URI_MAX];
    size_t n_known;
    unsigned budget;
    bool stopping;
    dmsc_discovery_counters_t ctr;
};

/* ---- the announcement ---- */

static int build_announcement(dmsc_discovery_t *d, uint16_t port)
{
    char uri[DMSC_CONFIG_NAME_MAX + 64], node[DMSC_CONFIG_NAME_MAX];
    if (dmsc_name_to_uri(&d->node.name, DMSC_URI_CANONICAL, node, sizeof node) < 0)
        return DMSC_EINVAL;
    if (snprintf(uri, sizeof uri, "%s%s", DISC_PREFIX, node) >= (int)sizeof uri) return DMSC_EINVAL;
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    if (!nb) return DMSC_ENOMEM;
    int rc = dmsc_namebuf_from_uri(nb, uri);
    if (!rc) {
        uint8_t params[8];
        dmsc_interest_t i;
        dmsc_interest_init(&i);
        i.name = nb->name;
        i.has_app_params = true;
        i.app_params.p = params;
        i.app_params.n = dmsc_nni_write(params, port);
        i.has_hop_limit = true;
        i.hop_limit = 1;
        i.has_lifetime = true;
        i.lifetime = 1000;
        dmsc_slice_t out;
        rc = dmsc_interest_encode(&i, NULL, d->pkt, sizeof d->pkt, &out);
        if (!rc) {
            memmove(d->pkt, out.p, out.n);
            d->pkt_len = out.n;
        }
    }
    free(nb);
    return rc;
}

/* 0 and *uri (udp4://sender:port), 1 (ourselves), or -1 (malformed). */
static int parse_announcement(dmsc_discovery_t *d, const uint8_t *p, size_t n,
                              const struct sockaddr_in *from, char *uri, size_t cap)
{
    dmsc_interest_t i;
    if (dmsc_interest_decode(&i, p, n, DISC_PKT_MAX)) return -1;
    if (!i.has_app_params || i.app_params.n == 0 || i.app_params.n > 8) return -1;
    /* prefix, at least one node component, the params digest last */
    if (i.name.ncomps < DISC_PREFIX_COMPS + 2 || i.params_digest_idx != (int)i.name.ncomps - 1)
        return -1;
    dmsc_namebuf_t *pfx = malloc(sizeof *pfx);
    if (!pfx) return -1;
    dmsc_namebuf_from_uri(pfx, DISC_PREFIX);
    dmsc_name_t head;
    dmsc_name_get_prefix(&i.name, DISC_PREFIX_COMPS, &head);
    bool ok = dmsc_name_equal(&head, &pfx->name);
    free(pfx);
    if (!ok) return -1;
    dmsc_name_t node;
    size_t a = i.name.off[DISC_PREFIX_COMPS], b = i.name.off[i.name.ncomps - 1];
    if (b <= a || dmsc_name_from_value(&node, i.name.value + a, b - a)) return -1;
    if (dmsc_name_equal(&node, &d->node.name)) return 1;
    uint64_t port;
    if (dmsc_nni_decode(i.app_params.p, i.app_params.n, &port) || port == 0 || port > 65535)
        return -1;
    char ip[INET_ADDRSTRLEN];
    if (!inet_ntop(AF_INET, &from->sin_addr, ip, sizeof ip)) return -1;
    for (size_t k = 0; k < d->n_ifs; k++)
        if (d->ifs[k].in.s_addr == from->sin_addr.s_addr) return 1;
    if (snprintf(uri, cap, "udp4://%s:%u", ip, (unsigned)port) >= (int)cap) return -1;
    return 0;
}

/* ---- sockets ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    iface_t *f = h->data;
    dmsc_discovery_t *d = f->d;
    (void)suggested;
    if (d->rx_busy) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    d->rx_busy = true;
    buf->base = (char *)d->rxbuf;
    buf->len = sizeof d->rxbuf;
}

static void on_recv(uv_udp_t *s, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
    iface_t *f = s->data;
    dmsc_discovery_t *d = f->d;
    if (buf->base == (char *)d->rxbuf) d->rx_busy = false;
    if (nread <= 0 || !addr || d->stopping) return;
    if (addr->sa_family != AF_INET || (flags & UV_UDP_PARTIAL)) {
        d->ctr.malformed++;
        return;
    }
    d->ctr.rx++;
    char uri[DMSC_FACE_URI_MAX];
    int rc = parse_announcement(d, (const uint8_t *)buf->base, (size_t)nread,
                                (const struct sockaddr_in *)addr, uri, sizeof uri);
    if (rc < 0) {
        d->ctr.malformed++;
        return;
    }
    if (rc == 1) {
        d->ctr.self++;
        return;
    }
    for (size_t k = 0; k < d->n_known; k++)
        if (!strcmp(d->known[k], uri)) return;
    if (d->n_known >= DISC_MAX) {
        d->ctr.capped++;
        return;
    }
    if (d->budget == 0) {
        d->ctr.rate_limited++;
        return;
    }
    d->budget--;
    rc = d->found(d->arg, uri);
    if (rc < 0) {
        if (rc == DMSC_ENOBUFS) { /* full: counted, logged at debug (every interval) */
            d->ctr.capped++;
            DMSC_LOGD(LOGM, "event=neighbor-add uri=%s if=%s result=%s", uri, f->ifname,
                      dmsc_errname(rc));
            return;
        }
        DMSC_LOGW(LOGM, "event=neighbor-add uri=%s if=%s result=%s", uri, f->ifname,
                  dmsc_errname(rc));
        return;
    }
    snprintf(d->known[d->n_known++], DMSC_FACE_URI_MAX, "%s", uri);
    d->ctr.discovered++;
    DMSC_LOGI(LOGM, "event=discovered uri=%s if=%s%s", uri, f->ifname,
              rc == 1 ? " configured=true" : "");
}

static bool wanted(const dmsc_discovery_t *d, const char *ifname)
{
    if (d->n_want == 0) return true;
    for (size_t k = 0; k < d->n_want; k++)
        if (!strcmp(d->want[k], ifname)) return true;
    return false;
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static int open_iface(dmsc_discovery_t *d, iface_t *f)
{
    int rc;
    struct sockaddr_in any;
    uv_ip4_addr("0.0.0.0", d->port, &any);
    f->d = d;
    f->sock.data = f;
    if ((rc = uv_udp_init_ex(d->loop, &f->sock, AF_INET))) return rc;
    f->open = true;
    uv_os_fd_t fd;
    if ((rc = uv_udp_bind(&f->sock, (const struct sockaddr *)&any, UV_UDP_REUSEADDR))) return rc;
#ifdef IP_MULTICAST_ALL
    int zero = 0;
    if (!uv_fileno((uv_handle_t *)&f->sock, &fd))
        (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
#else
    (void)fd;
#endif
    if ((rc = uv_udp_set_membership(&f->sock, d->group, f->addr, UV_JOIN_GROUP))) return rc;
    if ((rc = uv_udp_set_multicast_interface(&f->sock, f->addr))) return rc;
    if ((rc = uv_udp_set_multicast_loop(&f->sock, 0))) return rc;
    if ((rc = uv_udp_set_multicast_ttl(&f->sock, 1))) return rc;
    return uv_udp_recv_start(&f->sock, on_alloc, on_recv);
}

/* Open a socket on every wanted interface that has none yet. */
static void scan(dmsc_discovery_t *d)
{
    struct ifaddrs *ifa0, *ifa;
    if (getifaddrs(&ifa0)) return;
    for (ifa = ifa0; ifa && d->n_ifs < DMSC_CONFIG_MAX_IFACES; ifa = ifa->ifa_next) {
        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !ifa->ifa_name) continue;
        if (!(ifa->ifa_flags & IFF_UP) || !(ifa->ifa_flags & IFF_MULTICAST) ||
            (ifa->ifa_flags & IFF_LOOPBACK))
            continue;
        if (strlen(ifa->ifa_name) >= IF_NAMESIZE || !wanted(d, ifa->ifa_name)) continue;
        bool have = false;
        for (size_t k = 0; k < d->n_ifs; k++)
            if (!strcmp(d->ifs[k].ifname, ifa->ifa_name)) have = true;
        if (have) continue;
        iface_t *f = &d->ifs[d->n_ifs];
        memset(f, 0, sizeof *f);
        snprintf(f->ifname, sizeof f->ifname, "%s", ifa->ifa_name);
        f->in = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
        inet_ntop(AF_INET, &f->in, f->addr, sizeof f->addr);
        int rc = open_iface(d, f);
        if (rc) {
            DMSC_LOGW(LOGM, "event=open if=%s addr=%s result=%s", f->ifname, f->addr,
                      uv_strerror(rc));
            if (f->open) {
                uv_udp_recv_stop(&f->sock);
                uv_close((uv_handle_t *)&f->sock, on_closed);
            }
            /* keep the slot (closed) so the interface is not retried every tick */
            f->open = false;
        } else {
            DMSC_LOGI(LOGM, "event=open if=%s addr=%s group=%s:%u", f->ifname, f->addr, d->group,
                      (unsigned)d->port);
        }
        d->n_ifs++;
    }
    freeifaddrs(ifa0);
}

static void on_timer(uv_timer_t *t)
{
    dmsc_discovery_t *d = t->data;
    if (d->stopping) return;
    d->budget = DISC_BURST;
    scan(d);
    struct sockaddr_in to;
    uv_ip4_addr(d->group, d->port, &to);
    uv_buf_t b = uv_buf_init((char *)d->pkt, (unsigned)d->pkt_len);
    for (size_t k = 0; k < d->n_ifs; k++) {
        if (!d->ifs[k].open) continue;
        int rc = uv_udp_try_send(&d->ifs[k].sock, &b, 1, (const struct sockaddr *)&to);
        if (rc < 0) {
            d->ctr.tx_errors++;
            DMSC_LOGD(LOGM, "event=tx if=%s result=%s", d->ifs[k].ifname, uv_strerror(rc));
        } else
            d->ctr.tx++;
    }
}

/* ---- life cycle ---- */

int dmsc_discovery_new(dmsc_discovery_t **out, uv_loop_t *loop, const dmsc_config_t *c,
                       const dmsc_name_t *node, dmsc_discovery_found_cb found, void *arg)
{
    *out = NULL;
    if (!c->udp.enabled || c->udp.port == 0) {
        DMSC_LOGW(LOGM, "event=start result=%s reason=listen.udp-disabled",
                  dmsc_errname(DMSC_EINVAL));
        return DMSC_EINVAL;
    }
    dmsc_discovery_t *d = calloc(1, sizeof *d);
    if (!d) return DMSC_ENOMEM;
    d->loop = loop;
    d->found = found;
    d->arg = arg;
    if (strlen(c->routing.discovery.group) >= sizeof d->group) {
        free(d);
        return DMSC_EINVAL;
    }
    memcpy(d->group, c->routing.discovery.group, strlen(c->routing.discovery.group) + 1);
    d->port = c->routing.discovery.port;
    d->interval_ms = c->routing.discovery.interval_ms;
    d->n_want = c->routing.discovery.n_interfaces;
    memcpy(d->want, c->routing.discovery.interfaces, sizeof d->want);
    dmsc_namebuf_copy(&d->node, node);
    int rc = build_announcement(d, c->udp.port);
    if (rc) {
        free(d);
        return rc;
    }
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    *out = d;
    /* first announcement after a short random delay, then every interval */
    uint64_t first = randombytes_uniform(100) + 10;
    uv_timer_start(&d->timer, on_timer, first, d->interval_ms);
    DMSC_LOGI(LOGM, "event=started group=%s port=%u interval_ms=%llu interfaces=%zu", d->group,
              (unsigned)d->port, (unsigned long long)d->interval_ms, d->n_want);
    return 0;
}

const dmsc_discovery_counters_t *dmsc_discovery_counters(const dmsc_discovery_t *d)
{
    return &d->ctr;
}

void dmsc_discovery_stop(dmsc_discovery_t *d)
{
    if (!d || d->stopping) return;
    d->stopping = true;
    uv_timer_stop(&d->timer);
    uv_close((uv_handle_t *)&d->timer, on_closed);
    for (size_t k = 0; k < d->n_ifs; k++) {
        if (!d->ifs[k].open) continue;
        uv_udp_recv_stop(&d->ifs[k].sock);
        uv_close((uv_handle_t *)&d->ifs[k].sock, on_closed);
        d->ifs[k].open = false;
    }
}

void dmsc_discovery_free(dmsc_discovery_t *d)
{
    free(d);
}
