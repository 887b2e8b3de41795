/*
 * The admin API of dmscd: HTTP/1.1 + JSON and Prometheus /metrics on a
 * loopback TCP port (docs/admin-api.md lists every endpoint and metric).
 *
 * Built-in endpoints (GET and HEAD): / (index of endpoints), /status,
 * /faces, /fib, /pit, /cs, /strategy, /metrics. Later modules (routing,
 * gateway, services) add JSON endpoints with dmsc_admin_add_route() and
 * metric families with dmsc_admin_add_metrics().
 *
 * Two layers:
 *  - a sans-I/O core: dmsc_admin_new() + dmsc_admin_process() turn request
 *    bytes into response bytes (parser, router, JSON and exposition
 *    writers), so tests need no sockets;
 *  - a libuv server: dmsc_admin_listen() / dmsc_admin_start() serve the
 *    core on a uv_tcp_t. It never blocks the loop: at most one request per
 *    connection is in progress, a connection does not read while its
 *    response is being written (pipelined requests wait in its bounded
 *    input buffer), every buffer has a ceiling, and idle, slow or
 *    oversized clients are answered (400/408/413/431/503) or closed.
 *
 * The API is unauthenticated and read-only by default: bind it to a
 * loopback address (the default) unless the network in front is trusted.
 *
 * Threading: one loop thread; every function here must be called on it.
 */
#ifndef DMSC_MGMT_ADMIN_H
#define DMSC_MGMT_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "face/face.h"
#include "fw/fw.h"

#define DMSC_ADMIN_DEFAULT_ADDR "127.0.0.1"
#define DMSC_ADMIN_DEFAULT_PORT 7380

typedef struct dmsc_admin dmsc_admin_t;

/* ---- limits ---- */

typedef struct {
    size_t max_conns;            /* concurrent connections; more get 503 and close (64) */
    size_t max_header_bytes;     /* request line + header fields; more: 431 (8 KiB) */
    size_t max_headers;          /* header fields per request; more: 431 (64) */
    size_t max_body_bytes;       /* request body (Content-Length); more: 413 (64 KiB) */
    size_t max_response_bytes;   /* generated response body; more: 500 (64 MiB) */
    uint64_t idle_timeout_ms;    /* keep-alive connection with no request (30 s) */
    uint64_t request_timeout_ms; /* first byte to last byte of one request: 408 (10 s) */
    uint64_t write_timeout_ms;   /* a response the peer does not read: close (30 s) */
} dmsc_admin_limits_t;

void dmsc_admin_limits_default(dmsc_admin_limits_t *lim);

/* ---- lifecycle ---- */

/* Start serving on addr:port (addr: an IPv4 or IPv6 literal, NULL means
 * DMSC_ADMIN_DEFAULT_ADDR; port 0 picks a free port, see dmsc_admin_port).
 * fw and ft may be NULL (their sections then report nothing). node_name is
 * copied. Returns NULL with *err (if err is not NULL) set to DMSC_EINVAL
 * (bad address or port), DMSC_EIO (the socket could not be bound or
 * listened on: errno says why, e.g. EADDRINUSE, EADDRNOTAVAIL, EACCES) or
 * DMSC_ENOMEM. After a failure the loop must run once (it closes the
 * socket) before uv_loop_close. */
dmsc_admin_t *dmsc_admin_start(uv_loop_t *loop, const char *addr, int port, dmsc_fw_t *fw,
                               dmsc_facetable_t *ft, const char *node_name, int *err);

/* Stop: close the listener and every connection (responses in flight are
 * abandoned), then free the admin and call done(arg) from a close
 * callback; the loop must run for that to happen. Registered route and
 * metrics args are not touched after this call. done may be NULL. An admin
 * that is not listening is freed and done called before this returns. A clean
 * shutdown is: dmsc_admin_stop(a, NULL, NULL); ...; uv_run(loop, UV_RUN_DEFAULT). */
void dmsc_admin_stop(dmsc_admin_t *a, void (*done)(void *arg), void *arg);

/* The two halves of dmsc_admin_start, for tests and for callers that set
 * limits or a face source first. dmsc_admin_new returns NULL on allocation
 * failure. dmsc_admin_listen returns 0, DMSC_EINVAL (as above, or already
 * listening), DMSC_EIO, DMSC_ENOMEM. */
dmsc_admin_t *dmsc_admin_new(dmsc_fw_t *fw, dmsc_facetable_t *ft, const char *node_name);
int dmsc_admin_listen(dmsc_admin_t *a, uv_loop_t *loop, const char *addr, int port);
/* Free an admin that is not listening (never listened, or listen failed).
 * A listening one must go through dmsc_admin_stop. */
void dmsc_admin_free(dmsc_admin_t *a);

/* The bound TCP port, or 0 if not listening. */
int dmsc_admin_port(const dmsc_admin_t *a);

/* Before dmsc_admin_listen. Zero fields keep their current value. */
void dmsc_admin_set_limits(dmsc_admin_t *a, const dmsc_admin_limits_t *lim);

/* The forwarder's configured capacities (PIT, CS, FIB), shown by /pit, /cs,
 * /status and /metrics. Call again after a reload. Until called, the
 * capacities are reported as null (JSON) and not exported (metrics). */
void dmsc_admin_set_fw_config(dmsc_admin_t *a, const dmsc_fw_config_t *cfg);

/* Change the node name shown by /status and dmsc_build_info (reload).
 * Returns 0 or DMSC_ENOMEM (the old name stays). */
int dmsc_admin_set_node_name(dmsc_admin_t *a, const char *node_name);

/* Monotonic clock in nanoseconds used for uptime (default: uv_hrtime). The
 * uptime counts from this call or from dmsc_admin_new, whichever is later.
 * Tests install a fake clock. */
void dmsc_admin_set_clock(dmsc_admin_t *a, uint64_t (*now_ns)(void *ctx), void *ctx);

/* Where faces come from: by default dmsc_facetable_foreach(ft, ...). A
 * test installs a fake face table here; so can a daemon whose faces are
 * spread over several tables. */
typedef int (*dmsc_admin_face_cb)(void *arg, const dmsc_face_info_t *fi);
typedef void (*dmsc_admin_face_foreach_fn)(void *ctx, dmsc_admin_face_cb cb, void *arg);
void dmsc_admin_set_face_source(dmsc_admin_t *a, dmsc_admin_face_foreach_fn foreach, void *ctx);

/* ---- extension: JSON endpoints ---- */

typedef struct {
    const char *method; /* as received: "GET", "POST"... ("HEAD" runs the GET handler) */
    const char *path;   /* request path without the query, NUL-terminated, not decoded */
    const char *query;  /* after '?', "" if none, not decoded */
    const uint8_t *body;
    size_t body_len;
} dmsc_admin_req_t;

/* Return an HTTP status (200..599) and set *body to a new JSON reference
 * (the admin takes it). *body NULL: a {"error": ..., "status": N} body is
 * made for a 4xx/5xx status, an empty object otherwise. */
typedef int (*dmsc_admin_json_fn)(void *arg, const dmsc_admin_req_t *req, json_t **body);

/* Route method + path to fn. path is exact ("/routes"), or a subtree: a
 * path ending in "/" followed by an asterisk takes every path under it
 * (registered as "/routes/" + "*", it matches "/routes/a/b" but not
 * "/routes"); an exact route wins over a subtree, a longer subtree over a
 * shorter one. A path with routes but none for the method answers 405
 * with Allow. Returns 0, DMSC_EINVAL (bad method or path, or method +
 * path already taken, built-ins included), DMSC_ENOMEM. */
int dmsc_admin_add_route(dmsc_admin_t *a, const char *method, const char *path,
                         dmsc_admin_json_fn fn, void *arg);
/* 0, or DMSC_EINVAL if there is no such route. */
int dmsc_admin_remove_route(dmsc_admin_t *a, const char *method, const char *path);

/* ---- extension: metrics (Prometheus text exposition format 0.0.4) ---- */

typedef struct dmsc_metrics dmsc_metrics_t;

typedef struct {
    const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" */
    const char *value; /* any UTF-8; escaped on output */
} dmsc_metric_label_t;

/* Called on every scrape, after the built-in families, in registration
 * order. It writes whole families with the functions below. */
typedef void (*dmsc_admin_metrics_fn)(void *arg, dmsc_metrics_t *m);

/* Returns 0, DMSC_EINVAL (fn NULL or fn+arg already registered), DMSC_ENOMEM. */
int dmsc_admin_add_metrics(dmsc_admin_t *a, dmsc_admin_metrics_fn fn, void *arg);
/* 0, or DMSC_EINVAL if fn+arg is not registered. */
int dmsc_admin_remove_metrics(dmsc_admin_t *a, dmsc_admin_metrics_fn fn, void *arg);

/* Start a metric family: writes "# HELP" and "# TYPE". type is "counter",
 * "gauge", "untyped", "histogram" or "summary"; counters should end in
 * "_total". Samples that follow belong to this family, so a family's lines
 * are always contiguous. Returns 0, or DMSC_EINVAL for a bad name or type
 * or a family name already written in this exposition: its samples are
 * then dropped (the scrape stays valid). */
int dmsc_metrics_family(dmsc_metrics_t *m, const char *name, const char *type, const char *help);
/* One sample of the current family: name{labels} value. Labels with a bad
 * name drop the sample. */
void dmsc_metrics_u64(dmsc_metrics_t *m, const dmsc_metric_label_t *labels, size_t nlabels,
                      uint64_t value);
void dmsc_metrics_f64(dmsc_metrics_t *m, const dmsc_metric_label_t *labels, size_t nlabels,
                      double value);
/* A sample named family name + suffix ("_bucket", "_sum", "_count"), for
 * histograms and summaries. */
void dmsc_metrics_f64_suffix(dmsc_metrics_t *m, const char *suffix,
                             const dmsc_metric_label_t *labels, size_t nlabels, double value);

/* ---- sans-I/O core ---- */

/* One HTTP request head, as parsed. Pointers point into the input. */
typedef struct {
    const char *method;
    size_t method_len;
    const char *target; /* origin-form path[?query] (absolute-form is reduced to it) */
    size_t target_len;
    int minor;       /* HTTP/1.<minor>: 0 or 1 */
    bool keep_alive; /* persistent after this request (version + Connection) */
    bool has_host;
    size_t content_length;
    size_t head_len; /* bytes of request line + fields + empty line */
    size_t nfields;
    int status; /* on DMSC_EINVAL: the status to answer (400 431 413 501 505) */
} dmsc_admin_http_req_t;

/* Parse one request at the start of buf[0..len): leading empty lines are
 * skipped, lines end in CRLF (a bare LF is accepted), obsolete line folding
 * and bare CR are errors, HTTP/1.1 needs exactly one Host, Content-Length
 * must be digits (repeats must agree), Transfer-Encoding is not supported.
 * Returns the size of the whole request (head + body, > 0), 0 if more bytes
 * are needed (and the limits are not yet exceeded), or DMSC_EINVAL with
 * req->status set. lim NULL means the defaults. */
int dmsc_admin_http_parse(const uint8_t *buf, size_t len, const dmsc_admin_limits_t *lim,
                          dmsc_admin_http_req_t *req);

/* A complete HTTP response. data is malloc'd; free with dmsc_admin_out_free. */
typedef struct {
    char *data;
    size_t len;
    int status;
    bool close; /* the connection must close after sending it */
} dmsc_admin_out_t;

void dmsc_admin_out_free(dmsc_admin_out_t *out);

/* Serve the request at the start of in[0..len): returns the bytes consumed
 * (> 0) with *out set, or 0 if the request is incomplete (read more; *out
 * untouched). A malformed or oversized request yields an error response
 * with out->close set and consumes all of in. DMSC_ENOMEM if no response
 * could be built at all. */
int dmsc_admin_process(dmsc_admin_t *a, const uint8_t *in, size_t len, dmsc_admin_out_t *out);

#endif
