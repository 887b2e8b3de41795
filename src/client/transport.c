/*
 * libdmsc sockets: face URIs, connecting, listening and accepting direct
 * peers. The packet loop that runs over these sockets is in client.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/err.h"
#include "client/client_int.h"

#define SOCK_BUF_BYTES (4 << 20)

/* ---- URIs ---- */

static int parse_hostport(const char *s, dmsc__uri_t *u)
{
    const char *port = NULL;
    size_t hlen;
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (!end) return DMSC_EINVAL;
        hlen = (size_t)(end - s - 1);
        if (hlen == 0 || hlen >= sizeof u->host) return DMSC_EINVAL;
        memcpy(u->host, s + 1, hlen);
        u->host[hlen] = '\0';
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != '\0')
            return DMSC_EINVAL;
    } else {
        const char *colon = strrchr(s, ':');
        hlen = colon ? (size_t)(colon - s) : strlen(s);
        if (hlen == 0 || hlen >= sizeof u->host) return DMSC_EINVAL;
        memcpy(u->host, s, hlen);
        u->host[hlen] = '\0';
        if (colon) port = colon + 1;
        if (memchr(u->host, ':', hlen)) return DMSC_EINVAL; /* bare IPv6 needs [] */
    }
    if (!port) port = "6363";
    size_t plen = strlen(port);
    if (plen == 0 || plen >= sizeof u->port) return DMSC_EINVAL;
    char *end;
    long v = strtol(port, &end, 10);
    if (*end || v < 0 || v > 65535) return DMSC_EINVAL;
    memcpy(u->port, port, plen + 1);
    return 0;
}

int dmsc__uri_parse(const char *uri, dmsc__uri_t *u)
{
    memset(u, 0, sizeof *u);
    if (!uri) return DMSC_EINVAL;
    static const struct {
        const char *scheme;
        int kind, family;
    } schemes[] = {
        {"tcp4://", DMSC__URI_TCP, AF_INET},  {"tcp6://", DMSC__URI_TCP, AF_INET6},
        {"tcp://", DMSC__URI_TCP, AF_UNSPEC}, {"udp4://", DMSC__URI_UDP, AF_INET},
        {"udp6://", DMSC__URI_UDP, AF_INET6}, {"udp://", DMSC__URI_UDP, AF_UNSPEC},
    };
    if (strncmp(uri, "unix://", 7) == 0) {
        const char *path = uri + 7;
        size_t n = strlen(path);
        if (n == 0 || path[0] != '/' || n >= sizeof u->path) return DMSC_EINVAL;
        memcpy(u->path, path, n + 1);
        u->kind = DMSC__URI_UNIX;
        return 0;
    }
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t sl = strlen(schemes[i].scheme);
        if (strncmp(uri, schemes[i].scheme, sl) == 0) {
            u->kind = schemes[i].kind;
            u->family = schemes[i].family;
            return parse_hostport(uri + sl, u);
        }
    }
    return strstr(uri, "://") ? DMSC_ENOTSUP : DMSC_EINVAL;
}

static int resolve(const dmsc__uri_t *u, bool passive, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = u->family;
    hints.ai_socktype = u->kind == DMSC__URI_UDP ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    if (getaddrinfo(u->host, u->port, &hints, &res) != 0 || !res) return DMSC_EINVAL;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int dmsc__sock_setup(int fd, bool dgram)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return DMSC_EIO;
    int one = 1, buf = SOCK_BUF_BYTES;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
        (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) && !dgram)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Larger buffers absorb bursts of a window of Interests or Data; the
     * kernel caps them at net.core.[rw]mem_max. Failure is harmless. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    return 0;
}

int dmsc__connect(const dmsc__uri_t *u, const char *local_uri, int *out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;
    if (u->kind == DMSC__URI_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
        memset(sun, 0, sizeof *sun);
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, u->path, strlen(u->path) + 1);
        len = sizeof *sun;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    } else {
        int rc = resolve(u, false, &ss, &len);
        if (rc) return rc;
        fd = socket(ss.ss_family,
                    (u->kind == DMSC__URI_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) return DMSC_EIO;
    if (local_uri && *local_uri) {
        dmsc__uri_t lu;
        struct sockaddr_storage ls;
        socklen_t llen;
        int one = 1;
        if (dmsc__uri_parse(local_uri, &lu) || lu.kind != u->kind || lu.kind == DMSC__URI_UNIX ||
            resolve(&lu, true, &ls, &llen)) {
            close(fd);
            return DMSC_EINVAL;
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&ls, llen) < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return DMSC_EIO;
        }
    }
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&ss, len);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return DMSC_EIO;
    }
    if (dmsc__sock_setup(fd, u->kind == DMSC__URI_UDP)) {
        close(fd);
        return DMSC_EIO;
    }
    *out = fd;
    return 0;
}

/* ---- default face ---- */

int dmsc_client_default_face(char *out, size_t cap)
{
    const char *env = getenv("DMSC_FACE");
    int n;
    if (env && *env) {
        n = snprintf(out, cap, "%s", env);
        return n < 0 || (size_t)n >= cap ? DMSC_ENOBUFS : n;
    }
    /* the locations dmscd's listen.unix.path "auto" picks, in its order
     * (mgmt/config.h, dmsc_config_resolve) */
    char cand[3][200];
    int nc = 0;
    snprintf(cand[nc++], sizeof cand[0], "/run/dmsc/dmsc.sock");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg && strlen(xdg) < 150) snprintf(cand[nc++], sizeof cand[0], "%s/dmsc.sock", xdg);
    snprintf(cand[nc++], sizeof cand[0], "/tmp/dmsc-%u/dmsc.sock", (unsigned)getuid());
    int pick = 0;
    for (int i = 0; i < nc; i++) {
        struct stat st;
        if (stat(cand[i], &st) == 0 && S_ISSOCK(st.st_mode)) {
            pick = i;
            break;
        }
    }
    n = snprintf(out, cap, "unix://%s", cand[pick]);
    return n < 0 || (size_t)n >= cap ? DMSC_ENOBUFS : n;
}

/* ---- listeners (direct peers) ---- */

static void format_ip_uri(const char *scheme, const struct sockaddr_storage *ss, char *out,
                          size_t cap)
{
    char host[INET6_ADDRSTRLEN + 2] = "?";
    char port[8] = "0";
    getnameinfo((const struct sockaddr *)ss,
                ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                          : sizeof(struct sockaddr_in),
                host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    if (ss->ss_family == AF_INET6)
        snprintf(out, cap, "%s6://[%s]:%s", scheme, host, port);
    else
        snprintf(out, cap, "%s4://%s:%s", scheme, host, port);
}

int dmsc_listener_open(dmsc_listener_t **out, const char *uri)
{
    dmsc__uri_t u;
    int rc = dmsc__uri_parse(uri, &u);
    if (rc) return rc;
    dmsc_listener_t *l = calloc(1, sizeof *l);
    if (!l) return DMSC_ENOMEM;
    l->fd = -1;
    int one = 1;

    if (u.kind == DMSC__URI_UNIX) {
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, u.path, strlen(u.path) + 1);
        /* a stale socket file (nobody accepting) is replaced */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0) {
            if (connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
                close(probe);
                rc = DMSC_EINVAL;
                goto fail;
            }
            if (errno == ECONNREFUSED) unlink(u.path);
            close(probe);
        }
        l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
            listen(l->fd, 128) < 0) {
            rc = DMSC_EIO;
            goto fail;
        }
        memcpy(l->path, u.path, strlen(u.path) + 1);
        snprintf(l->uri, sizeof l->uri, "unix://%s", u.path);
    } else {
        if ((rc = resolve(&u, true, &l->local, &l->local_len))) goto fail;
        l->dgram = u.kind == DMSC__URI_UDP;
        l->fd = socket(l->local.ss_family, (l->dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (l->fd < 0) {
            rc = DMSC_EIO;
            goto fail;
        }
        (void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(l->fd, (struct sockaddr *)&l->local, l->local_len) < 0 ||
            (!l->dgram && listen(l->fd, 128) < 0)) {
            rc = DMSC_EIO;
            goto fail;
        }
        l->local_len = sizeof l->local;
        getsockname(l->fd, (struct sockaddr *)&l->local, &l->local_len);
        format_ip_uri(l->dgram ? "udp" : "tcp", &l->local, l->uri, sizeof l->uri);
        if (l->dgram) {
            int buf = SOCK_BUF_BYTES;
            if (!(l->rxbuf = malloc(65536))) {
                rc = DMSC_ENOMEM;
                goto fail;
            }
            (void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        }
    }
    int fl = fcntl(l->fd, F_GETFL);
    if (fl < 0 || fcntl(l->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        rc = DMSC_EIO;
        goto fail;
    }
    *out = l;
    return 0;

fail:
    if (l->fd >= 0) close(l->fd);
    free(l->rxbuf);
    free(l);
    return rc;
}

void dmsc_listener_close(dmsc_listener_t *l)
{
    if (!l) return;
    for (unsigned i = 0; i < l->npeers; i++)
        l->peers[i].c->listener = NULL;
    free(l->peers);
    free(l->rxbuf);
    close(l->fd);
    if (l->path[0]) unlink(l->path);
    free(l);
}

const char *dmsc_listener_uri(const dmsc_listener_t *l)
{
    return l->uri;
}

int dmsc_listener_fd(const dmsc_listener_t *l)
{
    return l->fd;
}

void dmsc__listener_forget(dmsc_listener_t *l, dmsc_client_t *c)
{
    for (unsigned i = 0; i < l->npeers; i++) {
        if (l->peers[i].c == c) {
            l->peers[i] = l->peers[--l->npeers];
            return;
        }
    }
}

static bool same_addr(const struct sockaddr_storage *a, socklen_t al,
                      const struct sockaddr_storage *b, socklen_t bl)
{
    return al == bl && memcmp(a, b, al) == 0;
}

static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do
        rc = poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return DMSC_EIO;
    return rc == 0 ? DMSC_ENOBUFS : 0;
}

/* UDP: take one datagram; hand it to the peer's client if known, else make
 * a connected socket for the new peer. */
static int accept_dgram(dmsc_listener_t *l, dmsc_client_t **out, const dmsc_client_opts_t *opts)
{
    uint8_t *dgram = l->rxbuf;
    struct sockaddr_storage peer;
    for (;;) {
        socklen_t plen = sizeof peer;
        ssize_t n = recvfrom(l->fd, dgram, 65536, MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? DMSC_ENOBUFS : DMSC_EIO;
        }
        dmsc_client_t *known = NULL;
        for (unsigned i = 0; i < l->npeers; i++)
            if (same_addr(&l->peers[i].addr, l->peers[i].len, &peer, plen)) known = l->peers[i].c;
        if (known) {
            (void)dmsc__client_stash(known, dgram, (size_t)n);
            continue; /* not a new peer: look at the next datagram */
        }

        if (l->npeers == l->peers_cap) {
            unsigned ncap = l->peers_cap ? 2 * l->peers_cap : 8;
            void *np = realloc(l->peers, ncap * sizeof *l->peers);
            if (!np) return DMSC_ENOMEM;
            l->peers = np;
            l->peers_cap = ncap;
        }
        int one = 1;
        int fd = socket(l->local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return DMSC_EIO;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&l->local, l->local_len) < 0 ||
            connect(fd, (struct sockaddr *)&peer, plen) < 0 || dmsc__sock_setup(fd, true)) {
            close(fd);
            return DMSC_EIO;
        }
        char uri[DMSC__URI_MAX];
        format_ip_uri("udp", &peer, uri, sizeof uri);
        dmsc_client_t *c;
        int rc = dmsc__client_new(&c, fd, true, uri, opts);
        if (rc) return rc;
        (void)dmsc__client_stash(c, dgram, (size_t)n);
        c->listener = l;
        l->peers[l->npeers].addr = peer;
        l->peers[l->npeers].len = plen;
        l->peers[l->npeers].c = c;
        l->npeers++;
        *out = c;
        return 0;
    }
}

int dmsc_listener_accept(dmsc_listener_t *l, dmsc_client_t **out, const dmsc_client_opts_t *opts,
                         int timeout_ms)
{
    for (;;) {
        int rc = wait_readable(l->fd, timeout_ms);
        if (rc) return rc;
        if (l->dgram) {
            rc = accept_dgram(l, out, opts);
            if (rc != DMSC_ENOBUFS || timeout_ms == 0) return rc;
            continue; /* only known peers' datagrams: wait on */
        }
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                if (timeout_ms == 0) return DMSC_ENOBUFS;
                continue;
            }
            return DMSC_EIO;
        }
        if (dmsc__sock_setup(fd, false)) {
            close(fd);
            return DMSC_EIO;
        }
        char uri[DMSC__URI_MAX];
        snprintf(uri, sizeof uri, "fd://%d", fd);
        return dmsc__client_new(out, fd, false, uri, opts);
    }
}
