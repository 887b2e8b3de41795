/*
 * h2_echo: manual test tool for gw/h2 (prior-knowledge h2c), both sides.
 *
 *   h2_echo server PORT
 *       Answers every request with 200 and echoes the body back as it
 *       arrives. For content-type application/grpc it answers the gRPC way:
 *       each length-prefixed message m comes back as "echo:" m, then
 *       trailers grpc-status: 0.
 *   h2_echo client HOST:PORT /pkg.Service/Method MESSAGE
 *       One gRPC unary call through the client session; prints the reply
 *       message and grpc-status. Exit status 0 iff grpc-status is 0.
 *
 * Check with: nghttp -v http://127.0.0.1:PORT/x, h2load, a grpc client.
 * Uses poll(2); one process, many connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "gw/h2.h"

#define MAX_CONNS 256
#define OUT_HIGH (256u << 10) /* stop taking frames from the session above this */

typedef struct strm strm_t;
struct strm {
    strm_t *next;
    int32_t id;
    bool grpc;
    bool ended;   /* peer ended: end our side once the stash is out */
    uint8_t *buf; /* grpc: request bytes; plain: echo bytes refused (ENOBUFS) */
    size_t len, cap;
    uint8_t *out; /* grpc: response bytes not yet queued */
    size_t olen, ocap, ooff;
    const char *rstatus; /* grpc: set once the response is built */
    /* client side */
    int status;
    char grpc_status[16];
    bool closed;
};

typedef struct {
    int fd;
    dmsc_h2_t *h;
    uint8_t *out;
    size_t olen, ocap;
    strm_t *streams;
    bool dead;
} conn_t;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) die("realloc");
    return p;
}

static void append(uint8_t **b, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        *cap = (*len + n) * 2;
        *b = xrealloc(*b, *cap);
    }
    memcpy(*b + *len, p, n);
    *len += n;
}

static strm_t *strm_get(conn_t *c, int32_t id, bool create)
{
    for (strm_t *s = c->streams; s; s = s->next)
        if (s->id == id) return s;
    if (!create) return NULL;
    strm_t *s = calloc(1, sizeof(*s));
    if (!s) die("calloc");
    s->id = id;
    s->next = c->streams;
    c->streams = s;
    return s;
}

static void strm_del(conn_t *c, int32_t id)
{
    for (strm_t **pp = &c->streams; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            strm_t *s = *pp;
            *pp = s->next;
            free(s->buf);
            free(s->out);
            free(s);
            return;
        }
    }
}

/* ---- server ---- */

static void srv_request(void *arg, int32_t id, const dmsc_http_head_t *hd)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, true);
    const dmsc_http_field_t *ct = dmsc_http_field_find(hd, "content-type");
    s->grpc = ct && ct->value_len >= 16 && strncmp(ct->value, "application/grpc", 16) == 0;
    if (s->grpc) {
        dmsc_http_field_t f = {"content-type", 12, "application/grpc", 16};
        dmsc_h2_respond(c->h, id, 200, &f, 1, false);
    } else {
        dmsc_http_field_t f = {"server", 6, "h2_echo", 7};
        dmsc_h2_respond(c->h, id, 200, &f, 1, hd->body == DMSC_HTTP_BODY_NONE);
    }
}

/* plain echo: queue what fits; keep the rest (unconsumed, so the peer's
 * window bounds it) until on_writable */
static void srv_flush_stash(conn_t *c, strm_t *s)
{
    while (s->len) {
        size_t n = s->len < 65536 ? s->len : 65536;
        int rc = dmsc_h2_send_data(c->h, s->id, s->buf, n, false);
        if (rc == DMSC_ENOBUFS) return;
        if (rc) {
            dmsc_h2_reset(c->h, s->id, DMSC_H2_INTERNAL_ERROR);
            return;
        }
        memmove(s->buf, s->buf + n, s->len - n);
        s->len -= n;
        dmsc_h2_consumed(c->h, s->id, n);
    }
    if (s->ended) dmsc_h2_send_data(c->h, s->id, NULL, 0, true);
}

/* gRPC: queue the response as room allows, then the trailers */
static void srv_flush_grpc(conn_t *c, strm_t *s)
{
    while (s->ooff < s->olen) {
        size_t n = s->olen - s->ooff < 65536 ? s->olen - s->ooff : 65536;
        int rc = dmsc_h2_send_data(c->h, s->id, s->out + s->ooff, n, false);
        if (rc == DMSC_ENOBUFS) return;
        if (rc) {
            dmsc_h2_reset(c->h, s->id, DMSC_H2_INTERNAL_ERROR);
            return;
        }
        s->ooff += n;
    }
    dmsc_http_field_t t = {"grpc-status", 11, s->rstatus, strlen(s->rstatus)};
    dmsc_h2_send_trailers(c->h, s->id, &t, 1);
}

static void srv_data(void *arg, int32_t id, const uint8_t *p, size_t n)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, false);
    if (!s) return;
    if (s->grpc) {
        append(&s->buf, &s->len, &s->cap, p, n);
        dmsc_h2_consumed(c->h, id, n);
        return;
    }
    if (s->len == 0 && dmsc_h2_send_data(c->h, id, p, n, false) == 0) {
        dmsc_h2_consumed(c->h, id, n);
        return;
    }
    append(&s->buf, &s->len, &s->cap, p, n);
}

static void srv_end(void *arg, int32_t id)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, false);
    if (!s) return;
    s->ended = true;
    if (!s->grpc) {
        if (s->len == 0) dmsc_h2_send_data(c->h, id, NULL, 0, true);
        return;
    }
    /* gRPC: 5-byte prefix (compressed flag, big-endian length) per message */
    size_t off = 0;
    const char *status = "0";
    while (off + 5 <= s->len) {
        uint32_t mlen = ((uint32_t)s->buf[off + 1] << 24) | ((uint32_t)s->buf[off + 2] << 16) |
                        ((uint32_t)s->buf[off + 3] << 8) | s->buf[off + 4];
        if (s->buf[off] != 0 || off + 5 + mlen > s->len) break;
        uint32_t olen = mlen + 5;
        uint8_t pre[10] = {0, (uint8_t)(olen >> 24), (uint8_t)(olen >> 16), (uint8_t)(olen >> 8),
                           (uint8_t)olen};
        memcpy(pre + 5, "echo:", 5);
        append(&s->out, &s->olen, &s->ocap, pre, sizeof(pre));
        append(&s->out, &s->olen, &s->ocap, s->buf + off + 5, mlen);
        off += 5 + mlen;
    }
    if (off != s->len) status = "13"; /* INTERNAL: bad framing or compressed */
    s->rstatus = status;
    srv_flush_grpc(c, s);
}

static void srv_writable(void *arg, int32_t id)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, false);
    if (s && !s->grpc) srv_flush_stash(c, s);
    if (s && s->grpc && s->rstatus) srv_flush_grpc(c, s);
}

static void on_close(void *arg, int32_t id, uint32_t code)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, false);
    if (s && s->status) { /* client: keep it for printing */
        s->closed = true;
        return;
    }
    if (s && code) fprintf(stderr, "stream=%d closed error=%u\n", id, code);
    if (s) s->closed = true;
    strm_del(c, id);
}

static const dmsc_h2_callbacks_t srv_cb = {
    .on_request = srv_request,
    .on_data = srv_data,
    .on_end = srv_end,
    .on_close = on_close,
    .on_writable = srv_writable,
};

/* ---- connection I/O ---- */

static void conn_flush(conn_t *c)
{
    const uint8_t *p;
    size_t n;
    while (c->olen < OUT_HIGH && (n = dmsc_h2_pending(c->h, &p)) > 0)
        append(&c->out, &c->olen, &c->ocap, p, n);
    while (c->olen) {
        ssize_t w = write(c->fd, c->out, c->olen);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            c->dead = true;
            return;
        }
        memmove(c->out, c->out + w, c->olen - (size_t)w);
        c->olen -= (size_t)w;
        while (c->olen < OUT_HIGH && (n = dmsc_h2_pending(c->h, &p)) > 0)
            append(&c->out, &c->olen, &c->ocap, p, n);
    }
    if (dmsc_h2_want_close(c->h)) c->dead = true;
}

static void conn_read(conn_t *c)
{
    uint8_t buf[65536];
    ssize_t r = read(c->fd, buf, sizeof(buf));
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        c->dead = true;
        return;
    }
    if (r < 0) return;
    int rc = dmsc_h2_recv(c->h, buf, (size_t)r);
    if (rc) {
        fprintf(stderr, "conn fd=%d error=%s reason=\"%s\"\n", c->fd, dmsc_errname(rc),
                dmsc_h2_last_error(c->h));
        conn_flush(c);
        c->dead = true;
    }
}

static void conn_free(conn_t *c)
{
    dmsc_h2_free(c->h);
    close(c->fd);
    while (c->streams)
        strm_del(c, c->streams->id);
    free(c->out);
    free(c);
}

static _Noreturn void run_server(int port)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0) die("bind");
    if (listen(lfd, 128) < 0) die("listen");
    fprintf(stderr, "h2_echo listening on 127.0.0.1:%d\n", port);
    conn_t *conns[MAX_CONNS] = {0};
    struct pollfd pfd[MAX_CONNS + 1];
    for (;;) {
        int np = 0;
        pfd[np++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        int map[MAX_CONNS];
        for (int i = 0; i < MAX_CONNS; i++) {
            if (!conns[i]) continue;
            map[np] = i;
            pfd[np++] = (struct pollfd){.fd = conns[i]->fd,
                                        .events = (short)(POLLIN | (conns[i]->olen ? POLLOUT : 0))};
        }
        if (poll(pfd, (nfds_t)np, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (pfd[0].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL);
            int slot = -1;
            for (int i = 0; i < MAX_CONNS && slot < 0; i++)
                if (!conns[i]) slot = i;
            if (fd >= 0 && slot < 0) close(fd);
            if (fd >= 0 && slot >= 0) {
                fcntl(fd, F_SETFL, O_NONBLOCK);
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                conn_t *c = calloc(1, sizeof(*c));
                if (!c) die("calloc");
                c->fd = fd;
                if (dmsc_h2_server_new(&c->h, &srv_cb, c, NULL) != 0) die("dmsc_h2_server_new");
                conns[slot] = c;
                conn_flush(c);
            }
        }
        for (int k = 1; k < np; k++) {
            conn_t *c = conns[map[k]];
            if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) conn_read(c);
            if (!c->dead) conn_flush(c);
            if (c->dead) {
                conn_free(c);
                conns[map[k]] = NULL;
            }
        }
    }
}

/* ---- client: one gRPC unary call ---- */

static void cli_response(void *arg, int32_t id, const dmsc_http_head_t *hd)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, true);
    s->status = hd->status;
    const dmsc_http_field_t *g = dmsc_http_field_find(hd, "grpc-status"); /* trailers-only */
    if (g) snprintf(s->grpc_status, sizeof(s->grpc_status), "%.*s", (int)g->value_len, g->value);
}

static void cli_data(void *arg, int32_t id, const uint8_t *p, size_t n)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, true);
    append(&s->buf, &s->len, &s->cap, p, n);
    dmsc_h2_consumed(c->h, id, n);
}

static void cli_trailers(void *arg, int32_t id, const dmsc_http_head_t *hd)
{
    conn_t *c = arg;
    strm_t *s = strm_get(c, id, true);
    const dmsc_http_field_t *g = dmsc_http_field_find(hd, "grpc-status");
    if (g) snprintf(s->grpc_status, sizeof(s->grpc_status), "%.*s", (int)g->value_len, g->value);
}

static const dmsc_h2_callbacks_t cli_cb = {
    .on_response = cli_response,
    .on_data = cli_data,
    .on_trailers = cli_trailers,
    .on_close = on_close,
};

static int run_client(const char *hostport, const char *path, const char *msg)
{
    char host[256];
    snprintf(host, sizeof(host), "%s", hostport);
    char *colon = strrchr(host, ':');
    if (!colon) {
        fprintf(stderr, "want HOST:PORT\n");
        return 2;
    }
    *colon = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) die("getaddrinfo");
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) die("connect");
    freeaddrinfo(ai);

    conn_t *c = calloc(1, sizeof(*c));
    if (!c) die("calloc");
    c->fd = fd;
    if (dmsc_h2_client_new(&c->h, &cli_cb, c, NULL) != 0) die("dmsc_h2_client_new");
    dmsc_http_head_t hd = {.is_request = true, .version = 20};
    hd.method = "POST";
    hd.method_len = 4;
    hd.target = path;
    hd.target_len = strlen(path);
    hd.authority = hostport;
    hd.authority_len = strlen(hostport);
    hd.fields[hd.nfields++] = (dmsc_http_field_t){"content-type", 12, "application/grpc", 16};
    hd.fields[hd.nfields++] = (dmsc_http_field_t){"te", 2, "trailers", 8};
    hd.fields[hd.nfields++] = (dmsc_http_field_t){"user-agent", 10, "h2_echo", 7};
    int32_t id = dmsc_h2_request(c->h, &hd, false);
    if (id < 0) {
        fprintf(stderr, "request: %s\n", dmsc_strerror(id));
        return 1;
    }
    size_t mlen = strlen(msg);
    uint8_t *frame = malloc(5 + mlen);
    if (!frame) die("malloc");
    frame[0] = 0;
    frame[1] = (uint8_t)(mlen >> 24);
    frame[2] = (uint8_t)(mlen >> 16);
    frame[3] = (uint8_t)(mlen >> 8);
    frame[4] = (uint8_t)mlen;
    memcpy(frame + 5, msg, mlen);
    if (dmsc_h2_send_data(c->h, id, frame, 5 + mlen, true) != 0) die("send_data");
    free(frame);
    strm_t *s = strm_get(c, id, true);
    s->status = -1; /* keep the record past on_close */
    while (!s->closed && !c->dead) {
        conn_flush(c);
        struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (c->olen ? POLLOUT : 0))};
        if (poll(&p, 1, 10000) <= 0) {
            fprintf(stderr, "timeout\n");
            return 1;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) conn_read(c);
    }
    printf("status=%d grpc-status=%s", s->status, s->grpc_status[0] ? s->grpc_status : "-");
    if (s->len >= 5) printf(" message=\"%.*s\"", (int)(s->len - 5), (const char *)s->buf + 5);
    printf("\n");
    int ok = strcmp(s->grpc_status, "0") == 0;
    conn_free(c);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && strcmp(argv[1], "server") == 0) run_server(atoi(argv[2]));
    if (argc == 5 && strcmp(argv[1], "client") == 0) return run_client(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: h2_echo server PORT\n"
                    "       h2_echo client HOST:PORT /pkg.Service/Method MESSAGE\n");
    return 2;
}
