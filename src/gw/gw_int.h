/*
 * Internals of the service gateway (src/gw), shared by its files:
 *
 *   gw.c       lifecycle, the app face, the consumer table (Interests the
 *              gateway expresses, matched to Data/Nack/timeouts by name),
 *              dispatch of incoming Interests, admin API and metrics
 *   flow.c     segmented bodies: gw_stream (serve a byte stream as
 *              segments) and gw_fetch (fetch segments in order with a
 *              congestion window)
 *   egress.c   the caller's side: HTTP/1.1 (and h2c) listeners
 *   ingress.c  the callee's side: Interest -> local instance -> Data
 *
 * Everything runs on the daemon's libuv loop; nothing here is thread-safe.
 */
#ifndef DMSC_GW_GW_INT_H
#define DMSC_GW_GW_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "face/face.h"
#include "gw/gw.h"
#include "gw/hmap.h"
#include "gw/http.h"
#include "gw/http1.h"
#include "gw/svc.h"
#include "gw/upstream.h"
#include "mgmt/config.h"
#include "mgmt/rib.h"
#include "ndn/cc.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "ndn/name.h"

typedef struct gw_pend gw_pend_t;
typedef struct gw_wait gw_wait_t;
typedef struct gw_stream gw_stream_t;
typedef struct gw_fetch gw_fetch_t;
typedef struct gw_econn gw_econn_t;
typedef struct gw_ireq gw_ireq_t;

/* ---- consumer table (gw.c) ---- */

enum { GW_RESULT_DATA = 0, GW_RESULT_NACK = 1, GW_RESULT_TIMEOUT = 2 };

/* d: the Data (valid during the call) when result is GW_RESULT_DATA;
 * lp: the Nack reason (GW_RESULT_NACK), or the CongestionMark the Data came
 * with (GW_RESULT_DATA; 0: none). The wait handle is gone after the call. */
typedef void (*gw_result_cb)(void *arg, int result, const dmsc_data_t *d, uint64_t lp);

/* Counters of the whole gateway (admin API, /metrics). */
typedef struct {
    uint64_t egress_conns, egress_conns_open, egress_requests, egress_responses;
    uint64_t egress_errors[DMSC_HMAP_ERR_MAX + 1]; /* by dmsc-error kind */
    uint64_t egress_bad_requests;
    uint64_t ingress_requests, ingress_responses, ingress_inline, ingress_segmented;
    uint64_t ingress_errors[DMSC_HMAP_ERR_MAX + 1];
    uint64_t ingress_malformed, ingress_nack_no_instance;
    uint64_t ingress_duplicates, ingress_head_resent;
    uint64_t interests_out, interests_retx, data_in, nacks_in, timeouts;
    uint64_t seg_served, seg_held, seg_missing, seg_fetched, seg_retx, seg_buffer_full, seg_evicted,
        seg_bad_length, seg_marked;
    uint64_t body_bytes_in, body_bytes_out;
} gw_counters_t;

struct dmsc_gw {
    uv_loop_t *loop;
    dmsc_facetable_t *ft;
    dmsc_rib_t *rib;
    dmsc_faceid_t face;  /* consumer side: Interests the gateway expresses */
    dmsc_faceid_t pface; /* producer side: service prefixes, body and response segments */
    bool stopping;

    dmsc_config_t cfg;       /* own copy (gateway, services, node name) */
    dmsc_namebuf_t node;     /* node name: ForwardingHint for our segments */
    dmsc_namebuf_t body_pfx; /* <node>/gw/body: request bodies we serve */
    char pseudonym[64];      /* Via: 1.1 <pseudonym> (last node-name component) */
    uv_timer_t sweep;        /* frees streams whose linger time is over */
    dmsc_svcreg_t *svcs;     /* services and their instances */

    /* consumer table: open hash by name, deadlines on a min-heap */
    gw_pend_t **tab;
    size_t tab_cap, tab_n;
    gw_pend_t **heap;
    size_t heap_n, heap_cap;
    uv_timer_t timer;
    uint64_t timer_at; /* ms; UINT64_MAX = not armed */

    /* producer side: streams we serve, by base-name hash */
    gw_stream_t **streams;
    size_t streams_cap, streams_n;
    gw_pend_t *rtx_head; /* pending Interests sent again until answered */
    /* stable requests being served, by name (a copy of one is dropped) */
    gw_ireq_t **ireq_tab;
    size_t ireq_tab_cap, ireq_tab_n;
    uint64_t stream_bytes; /* segment buffers of all streams */
    size_t streams_done;   /* released streams past their final segment (evictable) */
    struct gw_stream *done_head, *done_tail; /* those, oldest first (flow.c) */
    gw_stream_t *cut[64]; /* live streams to cut a partial segment from this turn */
    size_t ncut;
    uv_timer_t cut_timer; /* .data set once initialised */

    /* egress listeners and connections */
    uv_tcp_t http_tcp;
    uv_pipe_t http_unix;
    bool http_tcp_open, http_unix_open;
    int http_port;
    gw_econn_t *econns;      /* list */
    gw_econn_t *dirty;       /* connections with output to flush (uv_check) */
    uv_check_t flush;        /* after I/O callbacks */
    uv_prepare_t flush_prep; /* and before the loop blocks (output queued by timers, idle) */
    size_t n_econns;

    gw_ireq_t *ireqs;   /* ingress requests in progress (list) */
    struct h2up *h2ups; /* HTTP/2 connections to h2c/gRPC instances */
    size_t n_ireqs;

    gw_counters_t ctr;
    uint64_t rng;
    /* encode scratch for one packet: pkt_max bytes (the larger of 8800 and
     * faces.max_packet) */
    uint8_t *buf;
    size_t pkt_max;
    /* octets after the Content of a DigestSha256 Data we produce: a
     * response or segment Content is built at buf[pkt_max - data_tail]
     * backwards, where dmsc_data_encode leaves it (no copy) */
    size_t data_tail;
};

uint64_t gw__now_ms(dmsc_gw_t *g);
/* Interest nonces: splitmix64 seeded from the system CSPRNG at start (a
 * getrandom() call per Interest showed up in profiles; nonces need to be
 * unlikely to repeat, not secret). */
uint32_t gw__nonce(dmsc_gw_t *g);

/* Express an Interest (full wire) named `name` and wait up to lifetime_ms.
 * If the same name is already pending, the caller joins that wait (one
 * Interest on the wire). Returns 0 with *out set (cancel with
 * gw__cancel), or DMSC_ENOMEM / a face error. The callback never runs
 * from inside this call. */
int gw__express(dmsc_gw_t *g, const uint8_t *wire, size_t len, const dmsc_name_t *name,
                uint64_t lifetime_ms, gw_result_cb cb, void *arg, gw_wait_t **out);
/* gw__express, and while the name is pending send the Interest again with a
 * new Nonce (a consumer retransmission: a lost Interest or Data costs one
 * gap, not the whole lifetime) after gap_ms, then doubling up to 4 s; only
 * for requests that may reach the producer twice (the producer drops a
 * copy that arrives while it still works on the first). */
int gw__express_retx(dmsc_gw_t *g, const uint8_t *wire, size_t len, const dmsc_name_t *name,
                     uint64_t lifetime_ms, uint64_t gap_ms, gw_result_cb cb, void *arg,
                     gw_wait_t **out);
void gw__cancel(dmsc_gw_t *g, gw_wait_t *w);

/* Send a Data or Nack back towards the downstream of an Interest we got
 * on the app face (pit_token echoed). */
/* no_cache: CachePolicy NoCache (responses nobody may reuse: freshness 0)
 * spares every content store on the way the insert. */
int gw__send_data(dmsc_gw_t *g, const uint8_t *wire, size_t len, dmsc_slice_t pit_token,
                  bool no_cache);
int gw__send_nack(dmsc_gw_t *g, const uint8_t *interest, size_t len, dmsc_slice_t pit_token,
                  uint64_t reason);

/* ---- segmented streams, producer side (flow.c) ----
 * A byte stream served as segments <base>/seg=N of at most segsize bytes.
 * Writers append; Interests for segments not produced yet are held until
 * they are (or expire). Segments stay until the stream is freed, except
 * that at most `retain` bytes are kept behind the highest segment asked
 * for. The writer is told to pause when more than `window` bytes are
 * waiting to be fetched. */
typedef struct {
    void (*on_drain)(void *arg); /* below the pause mark again: resume reading */
} gw_stream_cb_t;

int gw__stream_new(dmsc_gw_t *g, const dmsc_name_t *base, uint64_t freshness_ms,
                   const gw_stream_cb_t *cb, void *arg, gw_stream_t **out);
/* Append bytes. Returns 0, 1 (pause the source until on_drain) or DMSC_E*. */
int gw__stream_write(gw_stream_t *s, const uint8_t *p, size_t n);
/* No more bytes; trailers (may be NULL/0) ride in the final segment. */
int gw__stream_end(gw_stream_t *s, const dmsc_http_field_t *trailers, size_t ntrailers);
/* The producer failed: held and future Interests get a Nack. */
void gw__stream_abort(gw_stream_t *s);
/* Detach the owner: the stream lives on (serving retransmissions) until
 * it is fully fetched or its linger time passes, then frees itself. */
void gw__stream_release(gw_stream_t *s);
uint64_t gw__stream_bytes(const gw_stream_t *s);
/* The body will be exactly len bytes (Content-Length): every segment then
 * carries the FinalBlockId. */
void gw__stream_set_total(gw_stream_t *s, uint64_t len);
/* Keep a copy of the response head Data sent for this stream. */
int gw__stream_set_head(gw_stream_t *s, const uint8_t *wire, size_t len);
/* A request Interest named iname came again (the consumer's retransmission)
 * while its response is served as a stream no consumer has asked a segment
 * of yet, so the head was lost: send the head again and return true. */
bool gw__stream_resend_head(dmsc_gw_t *g, const dmsc_name_t *iname, dmsc_slice_t token);
/* The final segment's index, when the total is known (*last set, true). */
bool gw__stream_last_segment(const gw_stream_t *s, uint64_t *last);
/* An Interest on the app face: if its name is a segment of a stream we
 * serve, answer or hold it and return true. */
bool gw__stream_on_interest(dmsc_gw_t *g, const dmsc_interest_t *in, const dmsc_pkt_t *pkt);
void gw__streams_free_all(dmsc_gw_t *g);
void gw__streams_sweep(dmsc_gw_t *g);
/* Cut the partial segments consumers wait for (end of a loop turn). */
void gw__streams_cut(dmsc_gw_t *g);

/* ---- segmented fetch, consumer side (flow.c) ----
 * Fetch <base>/seg=0.. in order (ForwardingHint fh when not NULL) with a
 * CUBIC window and RTO retransmission, delivering bytes in order. */
typedef struct {
    /* Bytes in order. Return 1 to pause (call gw__fetch_resume later). */
    int (*on_data)(void *arg, const uint8_t *p, size_t n);
    /* Final segment delivered; trailers valid during the call. */
    void (*on_end)(void *arg, const dmsc_http_field_t *trailers, size_t ntrailers);
    /* Gave up: DMSC_HMAP_ERR_* kind. */
    void (*on_error)(void *arg, int kind);
} gw_fetch_cb_t;

/* last: the final segment's index when the producer announced it
 * (LastSegment), else UINT64_MAX; the window never asks past it. */
int gw__fetch_new(dmsc_gw_t *g, const dmsc_name_t *base, const dmsc_name_t *fh, bool must_be_fresh,
                  uint64_t max_bytes, uint64_t last, const gw_fetch_cb_t *cb, void *arg,
                  gw_fetch_t **out);
/* The producer announced the body length (Content-Length went out with
 * it): a body longer or shorter than that fails with bad-response, so an
 * HTTP message is never framed by a length its body does not have. */
void gw__fetch_expect_length(gw_fetch_t *f, uint64_t len);
void gw__fetch_resume(gw_fetch_t *f);
void gw__fetch_free(gw_fetch_t *f);

/* ---- egress (egress.c, egress_h2.c) and ingress (ingress.c) ---- */

typedef struct gw_h2conn gw_h2conn_t;

struct gw_econn {
    gw_econn_t *next, **pprev;
    dmsc_gw_t *g;
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_stream_t s;
        uv_handle_t h;
    } u;
    char peer[64]; /* client IP, "" for Unix */
    dmsc_gw_buf_t in;
    dmsc_http1_parser_t parser;
    bool reading, closing, peer_eof, want_close, blocked;
    size_t wq_bytes;
    struct ereq *req;
    gw_h2conn_t *h2;             /* set once the client sent the HTTP/2 preface */
    dmsc_gw_buf_t out;           /* written this loop turn, flushed once per turn */
    gw_econn_t *dnext, **dpprev; /* on the gateway's dirty list while out has bytes */
    bool h1;                     /* a first HTTP/1 request was parsed: no preface check */
    uint64_t last_rx;            /* ms: last bytes from the client (idle and slow-head timeouts) */
    uint64_t hold_since;         /* ms, 0: none. A response head held back until its body's first
                                    bytes (one write for both; egress.c conn_flush) */
};

/* An owned copy of a request head (a parser's views die with its input). */
typedef struct {
    dmsc_http_head_t h;
    char *store;
} gw_head_copy_t;

int gw__head_copy(gw_head_copy_t *hc, const dmsc_http_head_t *h);
/* Queue bytes for the client; they go out in one write at the end of the
 * loop turn (counted in wq_bytes until written). */
int gw__econn_write(gw_econn_t *c, const void *p, size_t n);
void gw__econn_close(gw_econn_t *c);
void gw__econn_start_read(gw_econn_t *c);

/* Service prefix and upstream target of a request (gateway.paths, then
 * gateway.hosts, then the Host labels reversed). target has room for
 * DMSC_HMAP_TARGET_MAX + 1 bytes. 0 or a DMSC_HMAP_ERR_* kind. */
int gw__resolve(dmsc_gw_t *g, const dmsc_http_head_t *h, dmsc_namebuf_t *prefix, char *target,
                size_t *target_len);

/* A client request ready to be named. */
typedef struct {
    const dmsc_http_head_t *head;
    const dmsc_name_t *prefix;
    const char *target;
    size_t target_len;
    bool stable;
    const char *peer;             /* client address for X-Forwarded-For, or NULL */
    int body;                     /* DMSC_HMAP_BODY_NONE, _INLINE, _NAMED */
    dmsc_slice_t body_data;       /* _INLINE */
    const dmsc_name_t *body_name; /* _NAMED */
    bool has_body_length;
    uint64_t body_length;
} gw_request_t;

/* Encode the Interest and express it (lifetime gateway.timeout). *iname
 * receives its name. 0 or a DMSC_HMAP_ERR_* kind. */
int gw__express_request(dmsc_gw_t *g, const gw_request_t *rq, gw_result_cb cb, void *arg,
                        gw_wait_t **w, dmsc_namebuf_t *iname);

/* HTTP/2 on an egress connection (egress_h2.c): take over the connection
 * (its input buffer starts with the preface). 0 or an error (then close). */
int gw__h2_attach(gw_econn_t *c);
/* Feed c->in to the session (consumes it). */
void gw__h2_input(gw_econn_t *c);
/* The connection is closing: drop every stream. */
void gw__h2_detach(gw_econn_t *c);
/* Output drained below the resume mark. */
void gw__h2_writable(gw_econn_t *c);
/* Close client connections idle too long, and answer 408 to those that
 * take too long to send a request head (slowloris). From the sweep timer. */
void gw__egress_sweep(dmsc_gw_t *g);
int gw__egress_start(dmsc_gw_t *g);
void gw__egress_stop(dmsc_gw_t *g);
void gw__ingress_on_interest(dmsc_gw_t *g, const dmsc_interest_t *in, const dmsc_pkt_t *pkt);
void gw__ingress_stop(dmsc_gw_t *g);
/* Request bodies the egress serves under <node>/gw/body/<id> are gw
 * streams: nothing special to dispatch. */

/* A gateway error response, whatever the client's protocol: status (from
 * the dmsc-error kind unless given), the dmsc-error and content-type
 * fields, a one-line text body "dmsc: <kind>[: detail]". */
typedef struct {
    int status;
    dmsc_http_field_t f[2];
    char body[512];
    size_t len;
} gw_errresp_t;
void gw__error_response(gw_errresp_t *e, int kind, int status, const char *detail);
/* The same written for an HTTP/1.x client. */
int gw__write_error(dmsc_gw_buf_t *b, int kind, const char *detail, bool keep_alive);

/* What the answer to a named request means for the client (both egress
 * protocols): err 0 and resp/fs set (static storage, valid until the next
 * call), or err a DMSC_HMAP_ERR_* kind with msg. prefix: the service
 * prefix (a Nack is no-healthy-instance when the RIB has a route for it,
 * else no-route). */
typedef struct {
    int err;
    char msg[256];
    const dmsc_hmap_response_t *resp;
    const dmsc_hmap_fieldset_t *fs;
} gw_answer_t;
void gw__answer(dmsc_gw_t *g, const dmsc_name_t *prefix, int result, const dmsc_data_t *d,
                bool is_head, gw_answer_t *a);
/* Fetch the segments of a segmented response to the Interest iname.
 * 0 or an error. */
int gw__fetch_response(dmsc_gw_t *g, const dmsc_name_t *iname, const dmsc_hmap_response_t *resp,
                       bool stable, const gw_fetch_cb_t *cb, void *arg, gw_fetch_t **out);

#endif
