/*
 * httpd: see httpd.h. One loop turn is
 *
 *   poll -> accept, read, write -> program fds (httpd_watch) -> timers ->
 *   step every connection (parse heads, call the handler, decode bodies,
 *   fill streamed responses, send) -> free closed connections.
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BODY_DONE, BODY_LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, CHUNK_TRAILER };
enum { RESP_NONE, RESP_OPEN, RESP_ENDED };

#define LINGER_MS 2000 /* how long a closing connection waits for the peer to close */

struct httpd_conn {
    httpd_t *h;
    int fd;
    char peer[64];
    bool dead;      /* closed; freed at the end of the loop turn */
    bool eof;       /* the peer sends nothing more */
    bool closing;   /* close once the output is sent */
    bool lingering; /* closing: output sent, reading until the peer closes */

    char in[HTTPD_IN_SIZE];
    size_t in_len;
    httpd_buf_t out;
    size_t out_off; /* bytes of `out` already sent */

    /* The request being handled. head holds its head, NUL-separated, then a
       copy of the target split into path and query. */
    bool active;
    char head[2 * HTTPD_HEAD_MAX + 2];
    httpd_req_t req;
    bool keep_alive, head_only, expect_continue, continue_sent;
    int body;           /* BODY_* / CHUNK_*: where the body decoder is */
    uint64_t body_left; /* BODY_LENGTH, CHUNK_DATA */
    httpd_data_fn *on_data;
    httpd_cb_fn *on_end;
    void *body_arg;
    int resp;         /* RESP_* */
    bool chunked_out; /* the response body is chunked */
    httpd_cb_fn *fill, *done, *timer;
    void *fill_arg, *done_arg, *timer_arg;
    int64_t timer_at;
};

struct watch {
    int fd; /* -1: removed during this loop turn */
    short events;
    httpd_io_fn *cb;
    void *arg;
};

struct httpd {
    int lfd;
    char name[128];
    httpd_handler_fn *handler;
    void *app;
    httpd_conn_t *conns[HTTPD_MAX_CONNS];
    size_t nconns;
    struct watch watch[HTTPD_MAX_WATCH];
    size_t nwatch;
    struct pollfd pfd[1 + HTTPD_MAX_CONNS + HTTPD_MAX_WATCH];
};

/* ---- small helpers ---- */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fputs("httpd: out of memory\n", stderr);
        abort();
    }
    return p;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void buf_reserve(httpd_buf_t *b, size_t n)
{
    if (b->len + n + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void httpd_buf_add(httpd_buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

__attribute__((format(printf, 2, 0))) static void buf_vprintf(httpd_buf_t *b, const char *fmt,
                                                              va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0) return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void httpd_buf_printf(httpd_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void httpd_buf_json(httpd_buf_t *b, const char *s)
{
    httpd_buf_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            httpd_buf_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            httpd_buf_printf(b, "\\u%04x", ch);
        else
            httpd_buf_add(b, s, 1);
    }
    httpd_buf_add(b, "\"", 1);
}

void httpd_buf_free(httpd_buf_t *b)
{
    free(b->p);
    *b = (httpd_buf_t){0};
}

static const char *reason(int status)
{
    static const struct {
        int status;
        const char *text;
    } reasons[] = {
        {100, "Continue"},
        {200, "OK"},
        {400, "Bad Request"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {409, "Conflict"},
        {413, "Content Too Large"},
        {431, "Request Header Fields Too Large"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status) return reasons[i].text;
    return "Status";
}

/* "a, b ,c" contains token `tok` (case-insensitive) */
static bool has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == n && strncasecmp(p, tok, n) == 0) return true;
        p += strcspn(p, ",");
    }
    return false;
}

static void fmt_addr(const struct sockaddr *sa, char *out, size_t outsz)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
        port = ntohs(s->sin_port);
        snprintf(out, outsz, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
        port = ntohs(s->sin6_port);
        snprintf(out, outsz, "[%s]:%d", ip, port);
    } else {
        snprintf(out, outsz, "unix");
    }
}

/* ---- public accessors ---- */

const char *httpd_name(const httpd_t *h)
{
    return h->name;
}
httpd_t *httpd_server(const httpd_conn_t *c)
{
    return c->h;
}
const httpd_req_t *httpd_request(const httpd_conn_t *c)
{
    return &c->req;
}

const char *httpd_header(const httpd_req_t *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

bool httpd_query(const httpd_req_t *r, const char *key, char *out, size_t outsz)
{
    size_t klen = strlen(key);
    for (const char *p = r->query; *p;) {
        size_t n = strcspn(p, "&");
        if (n >= klen && strncmp(p, key, klen) == 0 && (n == klen || p[klen] == '=')) {
            const char *v = n == klen ? p + n : p + klen + 1;
            size_t vlen = (size_t)(p + n - v);
            if (vlen >= outsz) return false;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return true;
        }
        p += n;
        if (*p) p++;
    }
    return false;
}

/* ---- responses ---- */

static size_t pending(const httpd_conn_t *c)
{
    return c->out.len - c->out_off;
}

void httpd_begin(httpd_conn_t *c, int status, const char *ctype, int64_t length, const char *fmt,
                 ...)
{
    if (c->resp != RESP_NONE) return;
    c->resp = RESP_OPEN;
    /* A final answer before "100 Continue": the client will not send the
       body, so the connection cannot carry another request. */
    if (c->expect_continue && c->req.has_body && !c->continue_sent && !c->on_data)
        c->keep_alive = false;

    httpd_buf_t *o = &c->out;
    httpd_buf_printf(o, "HTTP/1.1 %d %s\r\nX-Instance: %s\r\n", status, reason(status), c->h->name);
    if (ctype) httpd_buf_printf(o, "Content-Type: %s\r\n", ctype);
    if (length >= 0) {
        httpd_buf_printf(o, "Content-Length: %lld\r\n", (long long)length);
    } else if (c->req.version >= 11) {
        httpd_buf_printf(o, "Transfer-Encoding: chunked\r\n");
        c->chunked_out = true;
    } else {
        c->keep_alive = false; /* HTTP/1.0: the body ends when the connection does */
    }
    if (!c->keep_alive)
        httpd_buf_printf(o, "Connection: close\r\n");
    else if (c->req.version == 10)
        httpd_buf_printf(o, "Connection: keep-alive\r\n");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        buf_vprintf(o, fmt, ap);
        va_end(ap);
    }
    httpd_buf_add(o, "\r\n", 2);
}

void httpd_write(httpd_conn_t *c, const void *data, size_t len)
{
    if (c->resp != RESP_OPEN || c->head_only || len == 0) return;
    if (c->chunked_out) httpd_buf_printf(&c->out, "%zx\r\n", len);
    httpd_buf_add(&c->out, data, len);
    if (c->chunked_out) httpd_buf_add(&c->out, "\r\n", 2);
}

void httpd_end(httpd_conn_t *c, const char *trailers)
{
    if (c->resp != RESP_OPEN) return;
    if (c->chunked_out && !c->head_only)
        httpd_buf_printf(&c->out, "0\r\n%s\r\n", trailers ? trailers : "");
    c->resp = RESP_ENDED;
    c->fill = NULL;
}

void httpd_respond(httpd_conn_t *c, int status, const char *ctype, const char *body, size_t len)
{
    httpd_begin(c, status, ctype, (int64_t)len, NULL);
    httpd_write(c, body, len);
    httpd_end(c, NULL);
}

void httpd_respond_json(httpd_conn_t *c, int status, const httpd_buf_t *b)
{
    httpd_respond(c, status, "application/json", b->p ? b->p : "", b->len);
}

void httpd_fill(httpd_conn_t *c, httpd_cb_fn *fill, void *arg)
{
    if (c->head_only) { /* HEAD: nothing to generate */
        httpd_end(c, NULL);
        return;
    }
    c->fill = fill;
    c->fill_arg = arg;
}

void httpd_read_body(httpd_conn_t *c, httpd_data_fn *on_data, httpd_cb_fn *on_end, void *arg)
{
    c->on_data = on_data;
    c->on_end = on_end;
    c->body_arg = arg;
}

void httpd_after(httpd_conn_t *c, int ms, httpd_cb_fn *cb, void *arg)
{
    c->timer = cb;
    c->timer_arg = arg;
    c->timer_at = now_ms() + ms;
}

void httpd_on_done(httpd_conn_t *c, httpd_cb_fn *cb, void *arg)
{
    c->done = cb;
    c->done_arg = arg;
}

/* ---- program fds ---- */

void httpd_watch(httpd_t *h, int fd, short events, httpd_io_fn *cb, void *arg)
{
    for (size_t i = 0; i < h->nwatch; i++)
        if (h->watch[i].fd == fd) {
            h->watch[i] = (struct watch){fd, events, cb, arg};
            return;
        }
    if (h->nwatch == HTTPD_MAX_WATCH) {
        fputs("httpd: too many watched fds\n", stderr);
        abort();
    }
    h->watch[h->nwatch++] = (struct watch){fd, events, cb, arg};
}

void httpd_unwatch(httpd_t *h, int fd)
{
    for (size_t i = 0; i < h->nwatch; i++)
        if (h->watch[i].fd == fd) h->watch[i].fd = -1; /* compacted after the loop turn */
}

/* ---- connections ---- */

static void consume(httpd_conn_t *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* The request is over (or the connection is): let the program free its
   state, forget the request. */
static void finish_request(httpd_conn_t *c)
{
    httpd_cb_fn *done = c->done;
    c->done = NULL;
    if (done) done(c, c->done_arg);
    if (!c->keep_alive) c->closing = true;
    c->active = false;
    c->resp = RESP_NONE;
    c->fill = c->timer = NULL;
    c->on_data = NULL;
    c->on_end = NULL;
}

static void kill_conn(httpd_conn_t *c)
{
    if (c->dead) return;
    if (c->active) {
        c->keep_alive = false;
        finish_request(c);
    }
    close(c->fd);
    c->dead = true;
}

/* A request we cannot handle: answer `status` and close. */
static void reject(httpd_conn_t *c, int status, const char *msg)
{
    if (c->active) {
        if (c->resp != RESP_NONE) { /* too late for an error response */
            kill_conn(c);
            return;
        }
        c->keep_alive = false;
        finish_request(c);
    }
    httpd_buf_printf(&c->out,
                     "HTTP/1.1 %d %s\r\nX-Instance: %s\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                     status, reason(status), c->h->name, strlen(msg) + 1, msg);
    c->closing = true;
}

/* Splits c->head (NUL-terminated) into c->req. Returns 0 or an HTTP error status. */
static int parse_head(httpd_conn_t *c, size_t head_len)
{
    httpd_req_t *r = &c->req;
    char *lines[HTTPD_MAX_HEADERS + 2];
    int nlines = 0;
    if (memchr(c->head, '\0', head_len)) return 400;
    for (char *p = c->head; *p;) {
        char *nl = strchr(p, '\n');
        if (!nl) return 400;
        *nl = '\0';
        if (nl > p && nl[-1] == '\r') nl[-1] = '\0';
        if (*p == '\0') break; /* the blank line ending the head */
        if (nlines == HTTPD_MAX_HEADERS + 1) return 431;
        lines[nlines++] = p;
        p = nl + 1;
    }

    /* request line: METHOD SP target SP HTTP/1.x */
    char *sp1 = strchr(lines[0], ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == lines[0] || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ')) return 400;
    *sp1 = *sp2 = '\0';
    r->method = lines[0];
    r->target = sp1 + 1;
    const char *ver = sp2 + 1;
    if (strncmp(ver, "HTTP/", 5) != 0) return 400;
    if (strcmp(ver, "HTTP/1.0") == 0)
        r->version = 10;
    else if (strncmp(ver, "HTTP/1.", 7) == 0)
        r->version = 11;
    else
        return 505;

    /* path and query: a copy of the target after the head */
    char *path = c->head + head_len + 1;
    strcpy(path, r->target);
    char *q = strchr(path, '?');
    if (q) *q++ = '\0';
    r->path = path;
    r->query = q ? q : "";

    r->nheaders = 0;
    for (int i = 1; i < nlines; i++) {
        char *colon = strchr(lines[i], ':');
        if (!colon || colon == lines[i] || lines[i][0] == ' ' || lines[i][0] == '\t') return 400;
        *colon = '\0';
        if (strpbrk(lines[i], " \t")) return 400; /* no space before the colon */
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        r->headers[r->nheaders++] = (httpd_header_t){lines[i], v};
    }

    /* what the fields mean for the connection and the body */
    c->keep_alive = r->version >= 11;
    c->expect_continue = false;
    r->has_body = false;
    r->content_length = 0;
    bool chunked = false, have_cl = false;
    for (int i = 0; i < r->nheaders; i++) {
        const char *n = r->headers[i].name, *v = r->headers[i].value;
        if (strcasecmp(n, "Connection") == 0) {
            if (has_token(v, "close")) c->keep_alive = false;
            if (has_token(v, "keep-alive") && r->version == 10) c->keep_alive = true;
        } else if (strcasecmp(n, "Content-Length") == 0) {
            char *end;
            errno = 0;
            long long cl = strtoll(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || errno || (have_cl && cl != r->content_length))
                return 400;
            r->content_length = cl;
            have_cl = true;
        } else if (strcasecmp(n, "Transfer-Encoding") == 0) {
            const char *last = strrchr(v, ',');
            last = last ? last + 1 : v;
            while (*last == ' ')
                last++;
            if (strcasecmp(last, "chunked") != 0) return 501;
            chunked = true;
        } else if (strcasecmp(n, "Expect") == 0) {
            if (strcasecmp(v, "100-continue") != 0) return 400;
            c->expect_continue = r->version >= 11;
        }
    }
    if (chunked) {
        if (have_cl) c->keep_alive = false; /* RFC 9112 6.3: smuggling guard */
        r->has_body = true;
        r->content_length = -1;
    } else {
        r->has_body = r->content_length > 0;
    }
    return 0;
}

/* Parses the next request in c->in and calls the handler. False when there
   is no complete head yet, or on error (answered, connection closing). */
static bool start_request(httpd_conn_t *c)
{
    size_t skip = 0; /* blank lines between requests are allowed (RFC 9112 2.2) */
    while (skip < c->in_len && (c->in[skip] == '\r' || c->in[skip] == '\n'))
        skip++;
    consume(c, skip);

    size_t head_len = 0; /* up to and including the blank line */
    for (size_t i = 0; i + 1 < c->in_len && !head_len; i++) {
        if (c->in[i] != '\n') continue;
        if (c->in[i + 1] == '\n')
            head_len = i + 2;
        else if (c->in[i + 1] == '\r' && i + 2 < c->in_len && c->in[i + 2] == '\n')
            head_len = i + 3;
    }
    if (!head_len || head_len > HTTPD_HEAD_MAX) {
        if (head_len || c->in_len >= HTTPD_HEAD_MAX) reject(c, 431, "request head too large");
        return false;
    }
    memcpy(c->head, c->in, head_len);
    c->head[head_len] = '\0';
    consume(c, head_len);

    c->req = (httpd_req_t){.peer = c->peer};
    int status = parse_head(c, head_len);
    if (status) {
        reject(c, status, "malformed request");
        return false;
    }
    c->active = true;
    c->head_only = strcmp(c->req.method, "HEAD") == 0;
    c->continue_sent = false;
    c->chunked_out = false;
    c->body = c->req.content_length < 0 ? CHUNK_SIZE : BODY_LENGTH;
    c->body_left = c->req.content_length < 0 ? 0 : (uint64_t)c->req.content_length;

    c->h->handler(c, &c->req, c->h->app);

    if (c->expect_continue && c->req.has_body && !c->dead) {
        if (c->resp == RESP_NONE) {
            httpd_buf_printf(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
            c->continue_sent = true;
        } else if (!c->on_data) {
            c->body = BODY_DONE; /* answered already: the client sends no body */
        }
    }
    return true;
}

static void body_ended(httpd_conn_t *c)
{
    c->body = BODY_DONE;
    if (c->on_end) c->on_end(c, c->body_arg);
}

/* Feeds what c->in holds of the body to on_data. */
static void decode_body(httpd_conn_t *c)
{
    while (c->body != BODY_DONE && c->active) {
        if (c->body == BODY_LENGTH || c->body == CHUNK_DATA) {
            if (c->body_left == 0) {
                if (c->body == BODY_LENGTH)
                    body_ended(c);
                else
                    c->body = CHUNK_CRLF;
                continue;
            }
            size_t n = c->in_len < c->body_left ? c->in_len : (size_t)c->body_left;
            if (n == 0) return;
            if (c->on_data) c->on_data(c, c->in, n, c->body_arg);
            consume(c, n);
            c->body_left -= n;
            continue;
        }
        /* chunk-size line, the CRLF after chunk data, trailer lines */
        char *nl = memchr(c->in, '\n', c->in_len);
        if (!nl) {
            if (c->in_len > 4096) reject(c, 400, "chunk line too long");
            return;
        }
        size_t line_len = (size_t)(nl - c->in) + 1;
        bool blank = line_len == 1 || (line_len == 2 && c->in[0] == '\r');
        if (c->body == CHUNK_SIZE) {
            uint64_t size = 0;
            size_t i = 0;
            for (; i < line_len && i < 16; i++) {
                char ch = c->in[i];
                int d = ch >= '0' && ch <= '9'   ? ch - '0'
                        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                 : -1;
                if (d < 0) break;
                size = size * 16 + (uint64_t)d;
            }
            char after = c->in[i];
            if (i == 0 || (after != ';' && after != '\r' && after != '\n' && after != ' ')) {
                reject(c, 400, "bad chunk size");
                return;
            }
            consume(c, line_len);
            c->body = size ? CHUNK_DATA : CHUNK_TRAILER;
            c->body_left = size;
        } else if (c->body == CHUNK_CRLF) {
            if (!blank) {
                reject(c, 400, "chunk data not followed by CRLF");
                return;
            }
            consume(c, line_len);
            c->body = CHUNK_SIZE;
        } else { /* CHUNK_TRAILER: trailer fields are ignored; a blank line ends the body */
            consume(c, line_len);
            if (blank) body_ended(c);
        }
    }
}

/* Moves the connection along as far as its input and output allow. */
static void process(httpd_conn_t *c)
{
    while (!c->dead) {
        if (!c->active && (c->closing || pending(c) >= HTTPD_OUT_HIGH || !start_request(c))) return;
        if (c->body != BODY_DONE) decode_body(c);
        while (c->fill && c->resp == RESP_OPEN && pending(c) < HTTPD_OUT_HIGH)
            c->fill(c, c->fill_arg);
        if (!c->active || c->body != BODY_DONE || c->resp != RESP_ENDED) return;
        finish_request(c); /* and on to the next pipelined request */
    }
}

static void flush(httpd_conn_t *c)
{
    while (pending(c)) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, pending(c), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) kill_conn(c);
            break;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out.len) {
        c->out.len = c->out_off = 0;
    } else if (c->out_off >= c->out.len / 2) { /* keep the buffer from creeping */
        memmove(c->out.p, c->out.p + c->out_off, pending(c));
        c->out.len -= c->out_off;
        c->out_off = 0;
    }
}

static void linger_done(httpd_conn_t *c, void *arg)
{
    kill_conn(c);
}

static void step(httpd_conn_t *c)
{
    process(c);
    if (c->dead) return;
    flush(c);
    if (c->dead || pending(c)) return;
    if (c->closing && !c->lingering) {
        /* Closing a socket with unread input resets the connection, which
           can destroy the answer still in flight: half-close, then read
           (and drop) until the peer closes too, for at most LINGER_MS. */
        shutdown(c->fd, SHUT_WR);
        c->lingering = true;
        httpd_after(c, LINGER_MS, linger_done, NULL);
    }
    if (c->lingering) {
        c->in_len = 0;
        if (c->eof) kill_conn(c);
    } else if (c->eof && (!c->active || c->body != BODY_DONE)) {
        kill_conn(c); /* nothing more will come */
    }
}

static void on_io(httpd_conn_t *c, short revents)
{
    if (revents & POLLOUT) flush(c);
    if (c->dead || !(revents & (POLLIN | POLLHUP | POLLERR))) return;
    size_t room = sizeof c->in - c->in_len;
    if (room == 0 || c->eof) { /* nothing to read into: a hang-up ends it */
        if (revents & (POLLHUP | POLLERR)) kill_conn(c);
        return;
    }
    ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
    if (n > 0)
        c->in_len += (size_t)n;
    else if (n == 0)
        c->eof = true;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        kill_conn(c);
}

static short conn_events(const httpd_conn_t *c)
{
    short ev = 0;
    if (!c->eof &&
        (c->lingering || (!c->closing && c->in_len < sizeof c->in && pending(c) < HTTPD_OUT_HIGH)))
        ev |= POLLIN;
    if (pending(c) || (c->fill && c->resp == RESP_OPEN)) ev |= POLLOUT;
    return ev;
}

static void accept_conns(httpd_t *h)
{
    while (h->nconns < HTTPD_MAX_CONNS) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(h->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return; /* EAGAIN, or out of fds: try again next turn */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        httpd_conn_t *c = xrealloc(NULL, sizeof *c);
        memset(c, 0, sizeof *c);
        c->h = h;
        c->fd = fd;
        fmt_addr((struct sockaddr *)&ss, c->peer, sizeof c->peer);
        h->conns[h->nconns++] = c;
    }
}

static int next_timeout(const httpd_t *h)
{
    int64_t now = now_ms(), best = -1;
    for (size_t i = 0; i < h->nconns; i++) {
        const httpd_conn_t *c = h->conns[i];
        if (!c->timer) continue;
        int64_t d = c->timer_at > now ? c->timer_at - now : 0;
        if (best < 0 || d < best) best = d;
    }
    return (int)best;
}

void httpd_run(httpd_t *h)
{
    for (;;) {
        size_t nc = h->nconns, nw = h->nwatch;
        struct pollfd *pfd = h->pfd;
        pfd[0] = (struct pollfd){h->lfd, nc < HTTPD_MAX_CONNS ? POLLIN : 0, 0};
        for (size_t i = 0; i < nc; i++)
            pfd[1 + i] = (struct pollfd){h->conns[i]->fd, conn_events(h->conns[i]), 0};
        for (size_t i = 0; i < nw; i++)
            pfd[1 + nc + i] = (struct pollfd){h->watch[i].fd, h->watch[i].events, 0};
        if (poll(pfd, 1 + nc + nw, next_timeout(h)) < 0 && errno != EINTR) {
            perror("poll");
            exit(1);
        }

        if (pfd[0].revents) accept_conns(h);
        for (size_t i = 0; i < nc; i++)
            if (pfd[1 + i].revents) on_io(h->conns[i], pfd[1 + i].revents);
        for (size_t i = 0; i < nw; i++) {
            struct watch *w = &h->watch[i]; /* skip fds unwatched meanwhile */
            if (pfd[1 + nc + i].revents && w->fd >= 0 && w->fd == pfd[1 + nc + i].fd)
                w->cb(pfd[1 + nc + i].revents, w->arg);
        }
        int64_t now = now_ms();
        for (size_t i = 0; i < h->nconns; i++) {
            httpd_conn_t *c = h->conns[i];
            if (!c->dead && c->timer && c->timer_at <= now) {
                httpd_cb_fn *cb = c->timer;
                c->timer = NULL;
                cb(c, c->timer_arg);
            }
        }
        for (size_t i = 0; i < h->nconns; i++)
            if (!h->conns[i]->dead) step(h->conns[i]);

        size_t j = 0; /* free closed connections, forget unwatched fds */
        for (size_t i = 0; i < h->nconns; i++) {
            httpd_conn_t *c = h->conns[i];
            if (c->dead) {
                free(c->out.p);
                free(c);
            } else {
                h->conns[j++] = c;
            }
        }
        h->nconns = j;
        j = 0;
        for (size_t i = 0; i < h->nwatch; i++)
            if (h->watch[i].fd >= 0) h->watch[j++] = h->watch[i];
        h->nwatch = j;
    }
}

/* "host:port", "[v6]:port", ":port" (all addresses) */
static bool split_hostport(const char *s, char *host, size_t hostsz, char *port, size_t portsz)
{
    const char *colon;
    size_t hlen;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':') return false;
        s++;
        hlen = (size_t)(rb - s);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) return false;
        hlen = (size_t)(colon - s);
    }
    if (hlen >= hostsz || strlen(colon + 1) >= portsz || !colon[1]) return false;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    strcpy(port, colon + 1);
    return true;
}

httpd_t *httpd_new(const char *listen_addr, const char *name, httpd_handler_fn *handler, void *app)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    char host[256], port[32];
    if (!split_hostport(listen_addr, host, sizeof host, port, sizeof port)) {
        fprintf(stderr, "%s: bad listen address '%s' (want HOST:PORT)\n", name, listen_addr);
        exit(2);
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int err = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (err) {
        fprintf(stderr, "%s: %s: %s\n", name, listen_addr, gai_strerror(err));
        exit(2);
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot listen on %s: %s\n", name, listen_addr, strerror(saved));
        exit(1);
    }

    httpd_t *h = xrealloc(NULL, sizeof *h);
    memset(h, 0, sizeof *h);
    h->lfd = fd;
    snprintf(h->name, sizeof h->name, "%s", name);
    h->handler = handler;
    h->app = app;

    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char addr[80];
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    fmt_addr((struct sockaddr *)&ss, addr, sizeof addr);
    printf("listening on %s\n", addr);
    return h;
}
