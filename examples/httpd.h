/*
 * httpd: the small HTTP/1.1 server loop shared by the example services
 * (catalog.c, cart.c). Single-threaded, poll(2), non-blocking sockets, libc
 * only. Not a framework: just enough for the samples to be short.
 *
 * What it does for the program:
 *   - keep-alive and pipelining: requests of one connection are handled one
 *     at a time, in order; the next one is parsed when the current response
 *     has ended and its body has been read;
 *   - request bodies with Content-Length or chunked, delivered as they
 *     arrive (httpd_read_body), "Expect: 100-continue" answered;
 *   - HTTP/1.0 clients (keep-alive only if asked; no chunked responses:
 *     a body of unknown length ends with the connection);
 *   - HEAD (the body of the response is dropped);
 *   - back-pressure: while a connection has more than HTTPD_OUT_HIGH bytes
 *     waiting to be sent, nothing more is read from it.
 *
 * A handler may answer at once (httpd_respond), later (from a timer,
 * httpd_after, or an fd of its own, httpd_watch), or stream a body of any
 * size (httpd_begin, then httpd_write from a fill callback, httpd_end).
 */
#ifndef EXAMPLES_HTTPD_H
#define EXAMPLES_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPD_HEAD_MAX 16384       /* request line + header fields, bytes */
#define HTTPD_MAX_HEADERS 64       /* header fields per request */
#define HTTPD_IN_SIZE 65536        /* input buffer per connection */
#define HTTPD_OUT_HIGH (256 << 10) /* pause reading and filling above this */
#define HTTPD_MAX_CONNS 4096       /* connections beyond this are refused */
#define HTTPD_MAX_WATCH 256        /* fds watched for the program */

typedef struct httpd httpd_t;
typedef struct httpd_conn httpd_conn_t;

typedef struct {
    const char *name;
    const char *value;
} httpd_header_t;

typedef struct {
    const char *method; /* "GET" */
    const char *target; /* as received: "/items/1?x=y" */
    const char *path;   /* the target up to '?': "/items/1" */
    const char *query;  /* after '?': "x=y", or "" */
    int version;        /* 10 (HTTP/1.0) or 11 (HTTP/1.1) */
    httpd_header_t headers[HTTPD_MAX_HEADERS];
    int nheaders;
    bool has_body;
    int64_t content_length; /* -1 when the body is chunked, 0 without body */
    const char *peer;       /* "127.0.0.1:41234" */
} httpd_req_t;

/* Called once per request, when its head has arrived. */
typedef void httpd_handler_fn(httpd_conn_t *c, const httpd_req_t *req, void *app);
typedef void httpd_data_fn(httpd_conn_t *c, const char *data, size_t len, void *arg);
typedef void httpd_cb_fn(httpd_conn_t *c, void *arg);
typedef void httpd_io_fn(short revents, void *arg);

/* Listens on "HOST:PORT" ("[::1]:0" for IPv6; port 0 picks one) and prints
   "listening on HOST:PORT" on stdout. Every response carries
   "X-Instance: <name>". Exits the program on error. */
httpd_t *httpd_new(const char *listen, const char *name, httpd_handler_fn *handler, void *app);
void httpd_run(httpd_t *h); /* never returns */
const char *httpd_name(const httpd_t *h);
httpd_t *httpd_server(const httpd_conn_t *c);

/* The request being handled; valid until the response has ended. */
const httpd_req_t *httpd_request(const httpd_conn_t *c);
const char *httpd_header(const httpd_req_t *r, const char *name); /* case-insensitive, or NULL */
/* Copies query parameter `key` into out (NUL-terminated, not %-decoded);
   false if absent or too long. */
bool httpd_query(const httpd_req_t *r, const char *key, char *out, size_t outsz);

/* Request body: on_data for each piece as it arrives, on_end once after the
   last (also for an empty body). Without this call the body is discarded. */
void httpd_read_body(httpd_conn_t *c, httpd_data_fn *on_data, httpd_cb_fn *on_end, void *arg);

/* Response. length < 0: unknown, sent chunked (to HTTP/1.0: until close).
   `fmt` (may be NULL) formats extra header lines, each ending in "\r\n". */
void httpd_begin(httpd_conn_t *c, int status, const char *ctype, int64_t length, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
void httpd_write(httpd_conn_t *c, const void *data, size_t len);
/* Ends the response; `trailers` ("Name: value\r\n"...) are sent only when
   the body is chunked. */
void httpd_end(httpd_conn_t *c, const char *trailers);
/* Whole response at once. */
void httpd_respond(httpd_conn_t *c, int status, const char *ctype, const char *body, size_t len);
/* Streams a body: `fill` is called whenever the connection has room for more
   (write up to ~64 KiB per call) until it calls httpd_end. */
void httpd_fill(httpd_conn_t *c, httpd_cb_fn *fill, void *arg);

/* One timer per connection: `cb` runs after `ms` milliseconds. */
void httpd_after(httpd_conn_t *c, int ms, httpd_cb_fn *cb, void *arg);
/* Called once when the current request is over: response ended and body
   read, or the connection closed before that. Free per-request state here. */
void httpd_on_done(httpd_conn_t *c, httpd_cb_fn *cb, void *arg);

/* Extra fds in the loop (an outgoing connection): `cb` gets poll's revents.
   httpd_watch again changes the events; httpd_unwatch before close(fd). */
void httpd_watch(httpd_t *h, int fd, short events, httpd_io_fn *cb, void *arg);
void httpd_unwatch(httpd_t *h, int fd);

/* Growable string for JSON bodies. */
typedef struct {
    char *p;
    size_t len, cap;
} httpd_buf_t;
void httpd_buf_add(httpd_buf_t *b, const void *data, size_t len);
void httpd_buf_printf(httpd_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void httpd_buf_json(httpd_buf_t *b, const char *s); /* a quoted, escaped JSON string */
void httpd_buf_free(httpd_buf_t *b);
/* httpd_respond with the buffer as an application/json body. */
void httpd_respond_json(httpd_conn_t *c, int status, const httpd_buf_t *b);

#endif
