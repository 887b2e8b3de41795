/*
 * HTTP/2 cleartext (h2c, prior knowledge) sessions for the gateway, both
 * sides, on nghttp2. Sans I/O: bytes in (dmsc_h2_recv), bytes out
 * (dmsc_h2_pending), events out through callbacks, in terms of the shared
 * dmsc_http_head_t (http.h) plus body chunks, so the gateway's named-request
 * machinery serves HTTP/1.1 and HTTP/2 (and gRPC over h2c: trailers,
 * `te: trailers`, streaming) alike.
 *
 * One dmsc_h2_t is one connection. Server: the runtime hands it every byte
 * from the socket, starting with the client connection preface
 * "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (do not strip it). Client: the session
 * writes the preface itself. HTTP/1.1 Upgrade: h2c and server push are not
 * supported (push is disabled in our SETTINGS).
 *
 * Driving it: after every dmsc_h2_recv and every call that queues something
 * (respond, request, send_data, send_trailers, reset, consumed, shutdown),
 * drain dmsc_h2_pending() into the socket; close the socket when
 * dmsc_h2_want_close() (and on a dmsc_h2_recv error, after draining).
 *
 * Streams: a stream is "announced" when the runtime learns of it (server:
 * on_request; client: the id returned by dmsc_h2_request). From then on
 * on_close is called for it exactly once, from inside dmsc_h2_recv or
 * dmsc_h2_pending (never from inside the call that caused it, e.g.
 * dmsc_h2_reset); after on_close the id is dead and calls naming it return
 * DMSC_EINVAL. Streams the session refuses by itself (too many, header list
 * too large, malformed, CONNECT) are never announced and produce no
 * callbacks. dmsc_h2_free() calls no callbacks: the runtime tears down its
 * own per-stream state.
 *
 * Callbacks may call every function here except dmsc_h2_free, dmsc_h2_recv
 * and dmsc_h2_pending. Heads passed to callbacks are views into the
 * session's header buffer: valid during the callback only.
 *
 * Receive flow control: WINDOW_UPDATE is driven by dmsc_h2_consumed(), not
 * by arrival, so a slow consumer (an NDN fetch, an upstream socket)
 * back-pressures the peer. Every byte passed to on_data must eventually be
 * reported with dmsc_h2_consumed() while the stream is open; bytes still
 * unreported when the stream closes are released by the session.
 *
 * Send back-pressure: body bytes are copied into a per-stream queue bounded
 * by dmsc_h2_limits_t.send_queue_max. A chunk that does not fit is refused
 * whole (DMSC_ENOBUFS, nothing queued); on_writable then fires once the
 * queue has drained to half the bound. The chunk must not be larger than the
 * bound.
 */
#ifndef DMSC_GW_H2_H
#define DMSC_GW_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/http.h"

/* HTTP/2 error codes (RFC 9113 section 7) used with reset / seen in on_close. */
enum {
    DMSC_H2_NO_ERROR = 0x0,
    DMSC_H2_PROTOCOL_ERROR = 0x1,
    DMSC_H2_INTERNAL_ERROR = 0x2,
    DMSC_H2_FLOW_CONTROL_ERROR = 0x3,
    DMSC_H2_STREAM_CLOSED = 0x5,
    DMSC_H2_REFUSED_STREAM = 0x7,
    DMSC_H2_CANCEL = 0x8,
    DMSC_H2_ENHANCE_YOUR_CALM = 0xb,
};

/* Defaults (a zero field in dmsc_h2_limits_t means the default). */
#define DMSC_H2_MAX_STREAMS_DEFAULT 100
#define DMSC_H2_HEADER_LIST_DEFAULT DMSC_HTTP_HEAD_MAX_DEFAULT /* 16 KiB */
#define DMSC_H2_SEND_QUEUE_DEFAULT (1u << 20)                  /* 1 MiB per stream */
#define DMSC_H2_STREAM_WINDOW_DEFAULT (256u << 10)             /* 256 KiB */
#define DMSC_H2_CONN_WINDOW_DEFAULT (1u << 20)                 /* 1 MiB */

typedef struct {
    /* Peer-initiated streams open at once (server: advertised in SETTINGS
     * and enforced with RST_STREAM REFUSED_STREAM). */
    uint32_t max_concurrent_streams;
    /* Header (or trailer) section we accept, counted as RFC 9113 does
     * (name + value + 32 per field); advertised as
     * SETTINGS_MAX_HEADER_LIST_SIZE and enforced: a larger request gets a
     * 431 response (server), a larger response or trailer section resets
     * the stream with INTERNAL_ERROR. At most DMSC_HTTP_HEAD_MAX_LIMIT;
     * also at most DMSC_HTTP_MAX_FIELDS fields. */
    uint32_t max_header_list;
    /* Bytes queued per stream by send_data before DMSC_ENOBUFS. */
    size_t send_queue_max;
    /* Receive windows: per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for
     * the connection. Bounds how many received-but-unconsumed body bytes
     * the runtime may be handed. Between 65535 and 2^31-1. */
    uint32_t stream_window;
    uint32_t conn_window;
} dmsc_h2_limits_t;

typedef struct {
    /* Server: a request head. head->is_request, version 20, method,
     * target (:path), authority (:authority, or the Host field if no
     * :authority; NULL if neither), fields = regular header fields (no
     * pseudo-headers; names are lowercase; cookies may come as several
     * fields), body = NONE if the request ended with its HEADERS, LENGTH
     * (content_length) if it carries content-length, else CHUNKED. */
    void (*on_request)(void *arg, int32_t stream, const dmsc_http_head_t *head);
    /* Client: the final response head (1xx are skipped): status, fields,
     * body as for on_request (NONE also for HEAD requests, 204, 304). */
    void (*on_response)(void *arg, int32_t stream, const dmsc_http_head_t *head);
    /* Body bytes (report them with dmsc_h2_consumed). */
    void (*on_data)(void *arg, int32_t stream, const uint8_t *p, size_t n);
    /* Trailer section (fields only); on_end follows. */
    void (*on_trailers)(void *arg, int32_t stream, const dmsc_http_head_t *trailers);
    /* The peer ended its side of the stream (END_STREAM); content-length
     * already checked. */
    void (*on_end)(void *arg, int32_t stream);
    /* The stream is closed. error_code is DMSC_H2_NO_ERROR when both sides
     * ended normally, else the RST_STREAM / GOAWAY code (ours or the
     * peer's): e.g. REFUSED_STREAM when a peer's GOAWAY did not cover a
     * request of ours (safe to retry), PROTOCOL_ERROR on a content-length
     * mismatch. A peer may also reset with NO_ERROR before it ended (RFC
     * 9113 8.1): then on_end was not called. Last callback for the id. */
    void (*on_close)(void *arg, int32_t stream, uint32_t error_code);
    /* Optional: a stream that got DMSC_ENOBUFS from send_data has room
     * again (its queue is at most half full). Called from dmsc_h2_pending. */
    void (*on_writable)(void *arg, int32_t stream);
} dmsc_h2_callbacks_t;

typedef struct dmsc_h2 dmsc_h2_t;

/* Create a session; lim may be NULL (defaults). cb is copied; any callback
 * may be NULL. SETTINGS (and the client preface) are queued at once.
 * Returns 0, DMSC_EINVAL (limits out of range) or DMSC_ENOMEM. */
int dmsc_h2_server_new(dmsc_h2_t **out, const dmsc_h2_callbacks_t *cb, void *arg,
                       const dmsc_h2_limits_t *lim);
int dmsc_h2_client_new(dmsc_h2_t **out, const dmsc_h2_callbacks_t *cb, void *arg,
                       const dmsc_h2_limits_t *lim);
/* Frees everything; no callbacks. NULL is fine. Not from a callback. */
void dmsc_h2_free(dmsc_h2_t *h);

/* Feed received bytes (all of them are consumed). Returns 0, DMSC_EINVAL on
 * a connection error nghttp2 reports (bad client preface, a peer that does
 * not speak HTTP/2, flooding...: a GOAWAY(PROTOCOL_ERROR) is then pending;
 * further input is refused) or DMSC_ENOMEM. Some frame-level errors (bad
 * frame size, HPACK) nghttp2 only answers with a queued GOAWAY: recv
 * returns 0 and want_close turns true once pending is drained. So the rule
 * for the runtime is the same either way: drain dmsc_h2_pending, then close
 * on an error or want_close. dmsc_h2_last_error() has a description. */
int dmsc_h2_recv(dmsc_h2_t *h, const uint8_t *p, size_t n);
/* Bytes to write now: returns their length and sets *p to a view into the
 * session's buffers, valid until the next call on h; 0 when nothing is
 * left. Call repeatedly until 0 (each call is about one frame: gather them
 * into one write). */
size_t dmsc_h2_pending(dmsc_h2_t *h, const uint8_t **p);
/* True when the session is finished (GOAWAY sent or received and no stream
 * or byte left to process): close the connection. */
bool dmsc_h2_want_close(dmsc_h2_t *h);
/* Graceful shutdown: GOAWAY(NO_ERROR) naming the last stream we accepted;
 * open streams finish, then want_close. Requests in flight past it are
 * refused (the peer sees REFUSED_STREAM and may retry them elsewhere).
 * Returns 0, DMSC_EINVAL (already closing) or DMSC_ENOMEM. */
int dmsc_h2_shutdown(dmsc_h2_t *h);
/* Description of the last connection error, "" if none. */
const char *dmsc_h2_last_error(const dmsc_h2_t *h);

/* Server: send the response head on an announced stream. f: regular fields
 * (no pseudo-headers; names are lowercased on the wire, hop-by-hop fields
 * connection, keep-alive, proxy-connection, transfer-encoding, upgrade, te
 * are dropped). end: no body or trailers follow. A gRPC "trailers-only"
 * response is respond(..., end=true) with grpc-status among f.
 * 1xx interim responses are not supported.
 * Returns 0 or DMSC_EINVAL (unknown stream, already responded, status
 * outside 200..999, pseudo-header in f), DMSC_ENOMEM. */
int dmsc_h2_respond(dmsc_h2_t *h, int32_t stream, int status, const dmsc_http_field_t *f, size_t n,
                    bool end);
/* Client: start a request: head->method, head->target (origin-form or "*";
 * becomes :path), head->authority (:authority; if NULL a Host field is
 * used), head->fields (cleaned as for respond; Host is dropped once used;
 * "te: trailers" is kept), :scheme http. end: no body follows.
 * Returns the stream id (> 0), or DMSC_EINVAL (bad head, session closing,
 * stream ids exhausted) or DMSC_ENOMEM. Requests beyond the peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS wait inside the session. */
int32_t dmsc_h2_request(dmsc_h2_t *h, const dmsc_http_head_t *head, bool end);

/* Both: queue body bytes on a stream whose head was sent without end;
 * end=true ends the stream after them (n may be 0). Returns 0,
 * DMSC_ENOBUFS (the queue cannot take n more bytes: nothing queued, wait
 * for on_writable), DMSC_EINVAL (unknown stream, already ended, n above
 * send_queue_max) or DMSC_ENOMEM. */
int dmsc_h2_send_data(dmsc_h2_t *h, int32_t stream, const uint8_t *p, size_t n, bool end);
/* Both: end the stream with a trailer section after the queued body
 * (gRPC grpc-status). Fields are copied. Returns 0, DMSC_EINVAL (unknown
 * stream, already ended, empty or pseudo-header fields) or DMSC_ENOMEM. */
int dmsc_h2_send_trailers(dmsc_h2_t *h, int32_t stream, const dmsc_http_field_t *f, size_t n);
/* Both: abort a stream with RST_STREAM(error_code); queued bytes are
 * dropped; on_close(error_code) follows from dmsc_h2_pending. Returns 0 or
 * DMSC_EINVAL (unknown stream), DMSC_ENOMEM. */
int dmsc_h2_reset(dmsc_h2_t *h, int32_t stream, uint32_t error_code);
/* Bytes queued by send_data and not yet framed (0 for unknown streams). */
size_t dmsc_h2_queued(dmsc_h2_t *h, int32_t stream);
/* Receive flow control: n body bytes of `stream` (from on_data) have been
 * passed on; opens the stream and connection windows (WINDOW_UPDATE).
 * Unknown or closed streams are ignored. */
void dmsc_h2_consumed(dmsc_h2_t *h, int32_t stream, size_t n);

#endif
