/*
 * Upstream: HTTP/1.1 client connection pools to local service instances
 * (the gateway's ingress side). One pool per instance address.
 *
 * A pool keeps keep-alive connections (idle list, idle timeout, at most
 * max_idle idle), at most max_connections connections (idle + busy +
 * connecting); a request that finds neither an idle connection nor room
 * for a new one waits in a FIFO of at most max_queue requests; past that
 * dmsc_upstream_request() fails with DMSC_UPSTREAM_ENOCAPACITY. One request
 * at a time per connection (no pipelining).
 *
 * A request: method, origin-form target and the caller's fields (already
 * filtered, Host included; Content-Length, Transfer-Encoding and
 * Connection are dropped and regenerated from `body`), then a body written
 * in pieces with dmsc_upstream_write() / dmsc_upstream_end(). Bytes are
 * copied; write() returns 1 ("pause") once more than write_high_water
 * bytes wait for the socket, and on_drain fires when they fall to half of
 * it. Bytes written before a connection is ready are held (same bound).
 *
 * Every request started successfully ends with exactly one terminal
 * callback, on_end or on_error, unless the caller cancels it first. The
 * request handle is invalid after the terminal callback returns or after
 * dmsc_upstream_cancel(). Callbacks never run from inside
 * dmsc_upstream_request()/write()/end()/pause(); from inside a callback
 * the caller may call pause(), cancel() (any callback) and write()/end().
 *
 * Retry: a request sent on a reused (idle) connection that fails with the
 * connection closed or reset before any response byte arrived is sent
 * again, once, on a fresh connection — provided the bytes written so far
 * (head + body) fit replay_max (they are kept until the first response
 * byte). Otherwise the caller gets DMSC_UPSTREAM_ECONNRESET.
 */
#ifndef DMSC_GW_UPSTREAM_H
#define DMSC_GW_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/http.h"

/*
 * Error codes. Proposed for base/err.h (values -60..-65 are unused there);
 * until they move, they live here and dmsc_upstream_strerror() names them
 * (and falls back to dmsc_strerror() for the rest).
 * Mapping to the gateway's dmsc-error kinds (gw/hmap.h):
 *   ECONNREFUSED -> DMSC_HMAP_ERR_UPSTREAM_CONNECT
 *   ECONNRESET   -> DMSC_HMAP_ERR_UPSTREAM_RESET
 *   ETIMEDOUT    -> DMSC_HMAP_ERR_TIMEOUT
 *   EPROTO       -> DMSC_HMAP_ERR_BAD_RESPONSE
 *   ENOCAPACITY  -> DMSC_HMAP_ERR_RATE_LIMITED (or try another instance)
 *   ECANCELED    -> (shutdown / service removed) DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE
 */
enum {
    DMSC_UPSTREAM_ECONNREFUSED = -60, /* connect failed: refused, unreachable, connect timeout */
    DMSC_UPSTREAM_ECONNRESET = -61,   /* closed or reset before the response was complete */
    DMSC_UPSTREAM_ETIMEDOUT = -62,    /* no final response head within the response timeout */
    DMSC_UPSTREAM_EPROTO = -63,       /* malformed response (or body over body_max) */
    DMSC_UPSTREAM_ENOCAPACITY = -64,  /* max_connections busy and the queue is full */
    DMSC_UPSTREAM_ECANCELED = -65,    /* the pool was closed */
};
/* Text for the codes above, else dmsc_strerror(err). Never NULL. */
const char *dmsc_upstream_strerror(int err);
/* "ECONNREFUSED"... for the codes above, else dmsc_errname(err). */
const char *dmsc_upstream_errname(int err);

struct uv_loop_s;
typedef struct dmsc_upstream_pool dmsc_upstream_pool_t;
typedef struct dmsc_upstream_req dmsc_upstream_req_t;

typedef struct dmsc_upstream_limits {
    uint32_t max_connections;    /* 64: open + connecting, per pool */
    uint32_t max_idle;           /* 16: idle keep-alive connections kept */
    uint32_t max_queue;          /* 256: requests waiting for a connection */
    uint64_t idle_timeout_ms;    /* 30000: an idle connection is closed after this */
    uint64_t connect_timeout_ms; /* 2000 */
    size_t write_high_water;     /* 65536: write() returns 1 above this many queued bytes */
    size_t replay_max;           /* 65536: bytes kept for the retry on a stale connection */
    size_t head_max;             /* response head bytes: DMSC_HTTP_HEAD_MAX_DEFAULT */
    uint64_t body_max;           /* response body bytes; 0 = unlimited */
    size_t read_size;            /* 65536: socket read buffer per connection */
} dmsc_upstream_limits_t;

void dmsc_upstream_limits_default(dmsc_upstream_limits_t *lim);

typedef struct {
    uint64_t conns_opened; /* connects started */
    uint64_t requests;     /* requests accepted by dmsc_upstream_request */
    uint64_t responses;    /* completed responses (on_end) */
    uint64_t reused;       /* requests sent on an idle connection */
    uint64_t retries;      /* retried after a stale keep-alive connection */
    uint64_t queued;       /* requests that had to wait for a connection */
    uint64_t canceled;     /* cancelled by the caller */
    /* errors reported to callers (on_error or an immediate return), by kind */
    uint64_t err_connect, err_reset, err_timeout, err_proto, err_capacity, err_other;
    uint64_t connect_timeouts; /* included in err_connect */
    /* gauges */
    uint32_t conns_open; /* connected or connecting */
    uint32_t conns_idle;
    uint32_t conns_connecting;
    uint32_t queue_len;
    uint32_t active; /* requests started and not ended (queued included) */
} dmsc_upstream_stats_t;

/* Parse a numeric address "1.2.3.4:80" / "[::1]:8080" (port 1..65535) into
 * a struct sockaddr_storage (ss may be NULL to only validate). 0 or
 * DMSC_EINVAL. */
int dmsc_upstream_addr_parse(const char *addr, void *ss);

/* Create a pool for a numeric address "1.2.3.4:80" / "[::1]:8080".
 * lim NULL = defaults. Returns 0, DMSC_EINVAL (address, limits),
 * DMSC_ENOMEM. */
int dmsc_upstream_pool_new(struct uv_loop_s *loop, const char *addr,
                           const dmsc_upstream_limits_t *lim, dmsc_upstream_pool_t **out);
/* Close every connection; queued and active requests get on_error
 * DMSC_UPSTREAM_ECANCELED (from inside this call). The memory is freed
 * once the last handle is closed (run the loop). The pool must not be
 * used after this call. */
void dmsc_upstream_pool_close(dmsc_upstream_pool_t *pool);
const char *dmsc_upstream_pool_addr(const dmsc_upstream_pool_t *pool);
void dmsc_upstream_pool_stats(const dmsc_upstream_pool_t *pool, dmsc_upstream_stats_t *st);

typedef struct {
    /* The final response head (1xx are skipped). Views valid during the
     * call. head->body tells whether a body follows (HEAD requests: never). */
    void (*on_head)(void *arg, dmsc_upstream_req_t *req, const dmsc_http_head_t *head);
    /* Body bytes (chunk framing removed), a view into the read buffer
     * valid during the call. Call dmsc_upstream_pause(req, true) from here
     * to stop reading the socket (no more on_body until resumed). */
    void (*on_body)(void *arg, dmsc_upstream_req_t *req, const uint8_t *p, size_t n);
    /* Response complete; trailers (chunked responses; else NULL/0) valid
     * during the call. Terminal. */
    void (*on_end)(void *arg, dmsc_upstream_req_t *req, const dmsc_http_field_t *trailers,
                   size_t ntrailers);
    /* DMSC_UPSTREAM_E* (or DMSC_ENOMEM). Terminal. May come after on_head
     * (e.g. reset mid-body). */
    void (*on_error)(void *arg, dmsc_upstream_req_t *req, int err);
    /* Queued request bytes fell below write_high_water / 2 after write()
     * returned 1. May be NULL. */
    void (*on_drain)(void *arg, dmsc_upstream_req_t *req);
} dmsc_upstream_cb_t;

typedef struct {
    const char *method; /* "GET" */
    size_t method_len;
    const char *target; /* origin-form "/a?b" */
    size_t target_len;
    const dmsc_http_field_t *fields; /* copied by dmsc_upstream_request */
    size_t nfields;
    int body;                     /* DMSC_HTTP_BODY_NONE, _LENGTH (content_length), _CHUNKED */
    uint64_t content_length;      /* body == DMSC_HTTP_BODY_LENGTH */
    uint64_t response_timeout_ms; /* from dmsc_upstream_request() to the final head (queueing
                                     and connecting included); 0 = none */
} dmsc_upstream_reqspec_t;

/* Start a request. The head is serialized (copied) now; the body follows
 * with write()/end() (body NONE: nothing to write, the request is complete;
 * LENGTH with content_length 0 too). Returns 0 with *out set,
 * DMSC_EINVAL (bad method/target/field, EOF framing),
 * DMSC_UPSTREAM_ENOCAPACITY (pool and queue full), DMSC_ENOBUFS/ENOMEM. */
int dmsc_upstream_request(dmsc_upstream_pool_t *pool, const dmsc_upstream_reqspec_t *spec,
                          const dmsc_upstream_cb_t *cb, void *arg, dmsc_upstream_req_t **out);
/* Append body bytes (chunked: one chunk per call, n > 0). Returns 0, 1
 * (accepted, but pause until on_drain), DMSC_EINVAL (after end, more than
 * content_length, no body declared), DMSC_ENOMEM. */
int dmsc_upstream_write(dmsc_upstream_req_t *req, const void *p, size_t n);
/* The body is complete (chunked: the last chunk with optional trailers).
 * Returns 0, DMSC_EINVAL (already ended, no body declared, or LENGTH with
 * fewer than content_length bytes written: nothing changes, the caller
 * should cancel), DMSC_ENOMEM. If the response completes before the
 * request body was all sent (an early 413...), on_end still fires and the
 * connection is closed: stop writing then. */
int dmsc_upstream_end(dmsc_upstream_req_t *req, const dmsc_http_field_t *trailers,
                      size_t ntrailers);
/* Stop (true) or restart (false) reading the response from the socket.
 * While paused no on_body/on_end is delivered; resuming delivers what was
 * already read from the next loop iteration. The response timeout still
 * runs while waiting for the head. */
void dmsc_upstream_pause(dmsc_upstream_req_t *req, bool pause);
/* The caller gives up: no more callbacks; the connection is closed (a
 * request still waiting in the queue just leaves it). */
void dmsc_upstream_cancel(dmsc_upstream_req_t *req);

/* Bytes of this request not yet accepted by the kernel. */
size_t dmsc_upstream_queued(const dmsc_upstream_req_t *req);

#endif
