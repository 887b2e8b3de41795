/* Blocking HTTP/1.1 requests to the admin API (see admin_client.h). */
#include "cli/admin_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"

#ifndef DMSC_VERSION
#define DMSC_VERSION "0"
#endif

static bool all_digits(const char *s, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static int set_port(dmsc_admin_client_addr_t *out, const char *p, size_t n)
{
    if (!all_digits(p, n) || n > 5) return DMSC_EINVAL;
    long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    if (v < 1 || v > 65535) return DMSC_EINVAL;
    snprintf(out->port, sizeof out->port, "%ld", v);
    return 0;
}

static int set_host(dmsc_admin_client_addr_t *out, const char *h, size_t n)
{
    if (n == 0 || n >= sizeof out->host) return DMSC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '[' || c == ']')
            return DMSC_EINVAL;
    }
    memcpy(out->host, h, n);
    out->host[n] = '\0';
    return 0;
}

int dmsc_admin_client_parse_addr(const char *s, dmsc_admin_client_addr_t *out)
{
    if (!s || !*s) return DMSC_EINVAL;
    memset(out, 0, sizeof *out);
    snprintf(out->host, sizeof out->host, "%s", DMSC_ADMIN_CLIENT_DEFAULT_HOST);
    snprintf(out->port, sizeof out->port, "%s", DMSC_ADMIN_CLIENT_DEFAULT_PORT);
    size_t n = strlen(s);
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb == s + 1) return DMSC_EINVAL;
        if (set_host(out, s + 1, (size_t)(rb - s - 1))) return DMSC_EINVAL;
        if (rb[1] == '\0') return 0;
        if (rb[1] != ':') return DMSC_EINVAL;
        return set_port(out, rb + 2, strlen(rb + 2));
    }
    if (all_digits(s, n)) return set_port(out, s, n);
    const char *colon = strchr(s, ':');
    if (colon && strchr(colon + 1, ':')) {
        /* a bare IPv6 address, no port */
        return strlen(s) < sizeof out->host ? (snprintf(out->host, sizeof out->host, "%s", s), 0)
                                            : DMSC_EINVAL;
    }
    if (!colon) return set_host(out, s, n);
    if (colon > s && set_host(out, s, (size_t)(colon - s))) return DMSC_EINVAL;
    return set_port(out, colon + 1, strlen(colon + 1));
}

int dmsc_admin_client_resolve_addr(const char *opt, dmsc_admin_client_addr_t *out,
                                   const char **from)
{
    const char *env = getenv(DMSC_ADMIN_CLIENT_ENV);
    const char *s = DMSC_ADMIN_CLIENT_DEFAULT_HOST ":" DMSC_ADMIN_CLIENT_DEFAULT_PORT;
    const char *src = "default";
    if (opt) {
        s = opt;
        src = "--admin";
    } else if (env && *env) {
        s = env;
        src = DMSC_ADMIN_CLIENT_ENV;
    }
    if (from) *from = src;
    return dmsc_admin_client_parse_addr(s, out);
}

void dmsc_admin_client_resp_free(dmsc_admin_client_resp_t *resp)
{
    if (!resp) return;
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

static bool hdr_is(const char *line, size_t n, const char *name, const char **value, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') return false;
    size_t i = k + 1;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t e = n;
    while (e > i && (line[e - 1] == ' ' || line[e - 1] == '\t'))
        e--;
    *value = line + i;
    *vlen = e - i;
    return true;
}

int dmsc_admin_client_parse_response(const char *buf, size_t len, dmsc_admin_client_resp_t *resp)
{
    memset(resp, 0, sizeof *resp);
    /* status line: HTTP/1.x SP 3DIGIT SP reason */
    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || !all_digits(buf + 9, 3) ||
        (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n'))
        return DMSC_EINVAL;
    resp->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    const char *nl = memchr(buf, '\n', len);
    if (!nl) return DMSC_EINVAL;
    size_t pos = (size_t)(nl - buf) + 1;
    bool have_cl = false, chunked = false;
    size_t cl = 0;
    for (;;) {
        nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) return DMSC_EINVAL; /* head not terminated */
        size_t n = (size_t)(nl - (buf + pos));
        const char *line = buf + pos;
        pos += n + 1;
        if (n > 0 && line[n - 1] == '\r') n--;
        if (n == 0) break;
        const char *v;
        size_t vl;
        if (hdr_is(line, n, "content-length", &v, &vl)) {
            if (!all_digits(v, vl) || vl > 18) return DMSC_EINVAL;
            char tmp[20];
            memcpy(tmp, v, vl);
            tmp[vl] = '\0';
            cl = (size_t)strtoull(tmp, NULL, 10);
            have_cl = true;
        } else if (hdr_is(line, n, "transfer-encoding", &v, &vl)) {
            chunked = true;
        } else if (hdr_is(line, n, "content-type", &v, &vl)) {
            if (vl >= sizeof resp->content_type) vl = sizeof resp->content_type - 1;
            memcpy(resp->content_type, v, vl);
            resp->content_type[vl] = '\0';
        }
    }
    if (chunked) return DMSC_EINVAL;
    size_t blen = len - pos;
    if (have_cl) {
        if (blen < cl) return DMSC_EINVAL; /* truncated */
        blen = cl;
    }
    resp->body = malloc(blen + 1);
    if (!resp->body) return DMSC_ENOMEM;
    memcpy(resp->body, buf + pos, blen);
    resp->body[blen] = '\0';
    resp->body_len = blen;
    return 0;
}

__attribute__((format(printf, 3, 4))) static int io_fail(char *err, size_t cap, const char *fmt,
                                                         ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return DMSC_EIO;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events until the deadline: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
        if (r > 0) return 1;
        if (r < 0 && errno != EINTR) return -1;
    }
}

static int connect_one(const struct addrinfo *ai, long long deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int r = wait_fd(fd, POLLOUT, deadline);
    if (r <= 0) {
        close(fd);
        errno = r == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
        close(fd);
        errno = soerr ? soerr : errno;
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n, long long deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline) > 0) continue;
            errno = ETIMEDOUT;
        }
        return -1;
    }
    return 0;
}

int dmsc_admin_client_request(const dmsc_admin_client_addr_t *addr, const char *method,
                              const char *path, const void *body, size_t body_len,
                              size_t max_response, int timeout_ms, dmsc_admin_client_resp_t *resp,
                              char *err, size_t errcap)
{
    memset(resp, 0, sizeof *resp);
    if (err && errcap) err[0] = '\0';
    if (max_response == 0 || max_response > DMSC_ADMIN_CLIENT_MAX_RESPONSE)
        max_response = DMSC_ADMIN_CLIENT_MAX_RESPONSE;
    long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 5000);
    bool v6 = strchr(addr->host, ':') != NULL;
    /* GET and HEAD without a body announce none; other methods always say
     * how long their (maybe empty) body is. */
    bool has_len = body || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0);

    char req[DMSC_ADMIN_CLIENT_MAX_REQUEST_HEAD];
    int rl = snprintf(req, sizeof req,
                      "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: dmsc/%s\r\n"
                      "Accept: application/json, text/plain\r\n%s",
                      method, path, v6 ? "[" : "", addr->host, v6 ? "]" : "", addr->port,
                      DMSC_VERSION, body ? "Content-Type: application/json\r\n" : "");
    if (rl >= 0 && (size_t)rl < sizeof req && has_len)
        rl += snprintf(req + rl, sizeof req - (size_t)rl, "Content-Length: %zu\r\n", body_len);
    if (rl >= 0 && (size_t)rl < sizeof req)
        rl += snprintf(req + rl, sizeof req - (size_t)rl, "Connection: close\r\n\r\n");
    if (rl < 0 || (size_t)rl >= sizeof req) {
        if (err && errcap) snprintf(err, errcap, "request path too long");
        return DMSC_EINVAL;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gr = getaddrinfo(addr->host, addr->port, &hints, &res);
    if (gr) return io_fail(err, errcap, "cannot resolve %s: %s", addr->host, gai_strerror(gr));
    int fd = -1, cerr = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, deadline);
        if (fd < 0) cerr = errno;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return io_fail(err, errcap, "cannot connect to %s%s%s:%s: %s", v6 ? "[" : "", addr->host,
                       v6 ? "]" : "", addr->port, strerror(cerr));

    if (send_all(fd, req, (size_t)rl, deadline) ||
        (body_len && send_all(fd, body, body_len, deadline))) {
        int e = errno;
        close(fd);
        return io_fail(err, errcap, "cannot send the request: %s", strerror(e));
    }

    size_t cap = 16384 < max_response ? 16384 : max_response, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return DMSC_ENOMEM;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= max_response) {
                free(buf);
                close(fd);
                if (err && errcap)
                    snprintf(err, errcap, "response larger than %zu bytes", max_response);
                return DMSC_ETOOBIG;
            }
            size_t ncap = cap * 2 < max_response ? cap * 2 : max_response;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                close(fd);
                return DMSC_ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r > 0) {
            len += (size_t)r;
            continue;
        }
        if (r == 0) break;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
            int w = wait_fd(fd, POLLIN, deadline);
            if (w > 0) continue;
            errno = w == 0 ? ETIMEDOUT : errno;
        }
        int e = errno;
        free(buf);
        close(fd);
        return io_fail(err, errcap, "cannot read the response: %s", strerror(e));
    }
    close(fd);
    int rc = dmsc_admin_client_parse_response(buf, len, resp);
    free(buf);
    if (rc == DMSC_EINVAL && err && errcap)
        snprintf(err, errcap, "not an HTTP/1.x response (%zu bytes)", len);
    return rc;
}

int dmsc_admin_client_get(const dmsc_admin_client_addr_t *addr, const char *path, int timeout_ms,
                          dmsc_admin_client_resp_t *resp, char *err, size_t errcap)
{
    return dmsc_admin_client_request(addr, "GET", path, NULL, 0, 0, timeout_ms, resp, err, errcap);
}
