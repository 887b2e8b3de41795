/*
 * HTTP/1.1 codec for the gateway (RFC 9110, RFC 9112), sans I/O and zero-copy.
 *
 * The parser reads requests (egress: applications talking to their local
 * node) or responses (ingress: upstream service instances). It is strict
 * wherever a lenient reading could let two HTTP implementations disagree on
 * where a message ends (request smuggling, response splitting): bare LF,
 * obs-fold, whitespace before a colon, Content-Length with
 * Transfer-Encoding, duplicate or malformed Content-Length, unknown
 * transfer codings, malformed chunk framing are all errors, never guessed.
 *
 * The caller owns the bytes. A typical loop (one connection):
 *
 *     for (;;) {
 *         int t = dmsc_http1_parse(&p, in.p, in.len, &used, &ev);
 *         ... handle ev (pointers into in.p are valid here) ...
 *         dmsc_gw_buf_drop(&in, used);         // ALWAYS drop *consumed
 *         if (t == DMSC_HTTP1_NEED_MORE) break; // read more, call again
 *         if (t == DMSC_HTTP1_ERROR) { answer ev.status; close; }
 *     }
 *
 * Every message yields exactly: HEAD, zero or more BODY, END (also a
 * message without a body: HEAD then END). ERROR is sticky: once returned,
 * every later call returns the same error; the connection must be closed.
 *
 * The serializers write into a bounded growable buffer (dmsc_gw_buf_t) and
 * own the framing fields: Content-Length, Transfer-Encoding and Connection
 * in the caller's field list are skipped and generated from the arguments.
 */
#ifndef DMSC_GW_HTTP1_H
#define DMSC_GW_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/http.h"

/* ------------------------------------------------------------------ */
/* bounded growable buffer                                             */

typedef struct {
    uint8_t *p;
    size_t len; /* bytes in use: p[0..len) */
    size_t cap; /* bytes allocated */
    size_t max; /* hard ceiling for len; 0 = DMSC_GW_BUF_MAX_DEFAULT */
} dmsc_gw_buf_t;

#define DMSC_GW_BUF_MAX_DEFAULT (1u << 20)

/* An empty buffer that may grow to `max` bytes (0 = default). Allocates nothing. */
void dmsc_gw_buf_init(dmsc_gw_buf_t *b, size_t max);
/* Frees the storage; the buffer is empty (and reusable) afterwards. */
void dmsc_gw_buf_free(dmsc_gw_buf_t *b);
/* Makes room for `n` more bytes (cap - len >= n) without changing len, so a
 * reader can fill p + len directly and then add to len. 0, DMSC_ENOBUFS
 * (len + n > max) or DMSC_ENOMEM. May move p. */
int dmsc_gw_buf_reserve(dmsc_gw_buf_t *b, size_t n);
/* Appends n bytes. 0, DMSC_ENOBUFS or DMSC_ENOMEM; on error len is unchanged. */
int dmsc_gw_buf_append(dmsc_gw_buf_t *b, const void *d, size_t n);
/* Appends a NUL-terminated string (without the NUL). As dmsc_gw_buf_append. */
int dmsc_gw_buf_append_str(dmsc_gw_buf_t *b, const char *s);
/* Removes the first n bytes (n > len: everything), moving the rest to the front. */
void dmsc_gw_buf_drop(dmsc_gw_buf_t *b, size_t n);

/* ------------------------------------------------------------------ */
/* parser                                                              */

typedef struct {
    size_t head_max;   /* start line + fields (and a trailer section), bytes;
                          0 = DMSC_HTTP_HEAD_MAX_DEFAULT, clamped to DMSC_HTTP_HEAD_MAX_LIMIT */
    uint64_t body_max; /* body bytes per message; 0 = unlimited */
} dmsc_http1_limits_t;

/* Empty lines tolerated before a start line (RFC 9112 §2.2); more -> 400. */
#define DMSC_HTTP1_LEADING_CRLF_MAX 4
/* A chunk-size line (hex size + extensions + CRLF), bytes; longer -> 400. */
#define DMSC_HTTP1_CHUNK_LINE_MAX 1024

/* Visible so it can live inside a connection struct; the members are private. */
typedef struct dmsc_http1_parser {
    dmsc_http1_limits_t lim;
    bool request;      /* parses requests (else responses) */
    bool head_request; /* response parser: the pending request is HEAD */
    bool partial;      /* some bytes of the next head were seen */
    bool interim;      /* response parser: the current response is 1xx */
    uint8_t state;
    uint8_t lead;    /* empty lines skipped before the start line */
    bool line1;      /* the start line is complete (head scan) */
    size_t scan;     /* the head/trailer scan resumes at this offset */
    size_t start;    /* the start line begins at this offset */
    uint64_t remain; /* bytes left in the Content-Length body or the chunk */
    uint64_t total;  /* body bytes so far in this message */
    int err_status;  /* sticky error */
    const char *err_reason;
} dmsc_http1_parser_t;

/* Event types returned by dmsc_http1_parse(). */
enum {
    DMSC_HTTP1_NEED_MORE = 0, /* call again with more bytes (after dropping *consumed) */
    DMSC_HTTP1_HEAD = 1,      /* ev->head is a complete message head */
    DMSC_HTTP1_BODY = 2,      /* ev->data/len: body bytes (chunk framing removed) */
    DMSC_HTTP1_END = 3,       /* the message is complete; ev->head.fields/nfields: trailers */
    DMSC_HTTP1_ERROR = 4,     /* ev->status / ev->reason; sticky */
};

typedef struct {
    int type; /* DMSC_HTTP1_* */
    /* HEAD: the whole head. END: only fields/nfields are set (the trailer
     * fields of a chunked message; nfields 0 otherwise). Other members are
     * left as they were. Pointers point into the caller's buffer. */
    dmsc_http_head_t head;
    const uint8_t *data; /* BODY: view into the caller's buffer */
    size_t len;          /* BODY: > 0 */
    /* ERROR: the status to answer. Request parser: 400, 413, 414, 431, 501
     * or 505. Response parser: always 502 (the gateway answers its client
     * 502; the reason says what the upstream did wrong). */
    int status;
    const char *reason; /* ERROR: short static text, for logs and the dmsc-error header */
} dmsc_http1_event_t;

/* Prepares a parser for requests (request = true) or responses; lim NULL
 * means defaults (head_max DMSC_HTTP_HEAD_MAX_DEFAULT, body_max unlimited).
 * A parser owns no memory: no free function; re-init to reuse. */
void dmsc_http1_parser_init(dmsc_http1_parser_t *p, bool request, const dmsc_http1_limits_t *lim);

/* Response parser: declares the request the next response answers. Call it
 * before each response (after the previous response's END); it stays in
 * force across 1xx interim responses and is reset after a final response's
 * END. head_request: the request was HEAD, so the response has no body
 * whatever its framing fields say. (1xx, 204 and 304 never have a body;
 * CONNECT is not supported.) */
void dmsc_http1_parser_expect_response(dmsc_http1_parser_t *p, bool head_request);

/*
 * Parses from buf[0..len) and returns one event (also stored in ev->type);
 * buf may be NULL when len is 0 (e.g. to collect a pending END).
 * *consumed is set, for EVERY event, to the number of bytes the caller must
 * drop from the front of its buffer before the next call (it may be > 0
 * with NEED_MORE, e.g. chunk framing read before the data arrived).
 *
 * Between calls the caller passes the bytes it did not drop, unchanged and
 * followed by any new bytes (the buffer may move): the parser remembers how
 * far it has scanned a partial head.
 *
 * HEAD: the whole head is in buf; while it is not, NEED_MORE with
 *   consumed 0. A head that does not end within head_max bytes is an error
 *   (431; 414 if the request line alone does not fit). The head's pointers
 *   point into buf and stay valid until the caller drops those bytes (i.e.
 *   use or copy them before dropping *consumed).
 *   head.body tells the framing: NONE (no body; also HEAD/1xx/204/304
 *   responses, where content_length still carries a declared
 *   Content-Length), LENGTH (content_length bytes), CHUNKED, or EOF
 *   (response body until the connection closes; keep_alive is false).
 *   head.authority: requests only; the absolute-form target's authority if
 *   the target is absolute-form, else the Host value, NULL if empty/absent.
 *   head.expect_continue: an HTTP/1.1 request with a body and
 *   "Expect: 100-continue"; other expectations are ignored.
 *   A response head with status 1xx is an interim response (HEAD then END,
 *   no body); the final response follows.
 * BODY: data/len point into buf; one event per contiguous piece.
 * END: the message is complete (chunked: including the trailer section,
 *   whose fields are in ev->head.fields, pointers into buf as for HEAD).
 *   The parser is then ready for the next message (pipelining): keep
 *   calling with the remaining bytes. A request's head.keep_alive == false
 *   means the connection should close after the response.
 * ERROR: ev->status, ev->reason. Sticky.
 * NEED_MORE: nothing more can be done with these bytes.
 */
int dmsc_http1_parse(dmsc_http1_parser_t *p, const uint8_t *buf, size_t len, size_t *consumed,
                     dmsc_http1_event_t *ev);

/*
 * The peer closed the connection (call after parsing everything received).
 * Returns END when that completes the message (an EOF-delimited response
 * body, or a message whose END was not collected yet); ERROR (400 request /
 * 502 response, "truncated ...") when a message was cut short; NEED_MORE
 * when no message was in progress (a clean close between messages).
 */
int dmsc_http1_parse_eof(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev);

/* ------------------------------------------------------------------ */
/* serializers                                                         */

/* Standard reason phrase for a status ("Not Found"), or "" if unknown. Never NULL. */
const char *dmsc_http1_reason(int status);

/* The framing to use for a response body to a client speaking `version`
 * (10 or 11): DMSC_HTTP_BODY_LENGTH when the length is known, else CHUNKED
 * for HTTP/1.1 and EOF (close-delimited) for HTTP/1.0. */
int dmsc_http1_response_body(uint8_t version, bool length_known);

/*
 * Request head "METHOD target HTTP/1.1", the fields, framing, empty line.
 * body: DMSC_HTTP_BODY_NONE (no framing field), LENGTH (Content-Length:
 * content_length) or CHUNKED (Transfer-Encoding: chunked; then write chunks
 * with the functions below); EOF is invalid for requests. keep_alive false
 * adds "Connection: close". fields: Host must be among them (HTTP/1.1);
 * Content-Length, Transfer-Encoding and Connection fields are skipped.
 * Returns 0, DMSC_EINVAL (bad method/target/field name or value: CR, LF,
 * NUL or another CTL; bad body), DMSC_ENOBUFS / DMSC_ENOMEM (b unchanged).
 */
int dmsc_http1_write_request(dmsc_gw_buf_t *b, const char *method, size_t method_len,
                             const char *target, size_t target_len, const dmsc_http_field_t *fields,
                             size_t nfields, int body, uint64_t content_length, bool keep_alive);

/*
 * Response head "HTTP/1.1 status reason", the fields, framing, empty line.
 * reason NULL: dmsc_http1_reason(status). version: the client's (10, 11).
 * body: NONE (no framing field: 1xx/204/304, or a body-less response whose
 * length the caller does not want to state), LENGTH (Content-Length; also
 * for a HEAD response, whose body the caller then does not send), CHUNKED
 * (HTTP/1.1 clients only: DMSC_EINVAL for 1.0), EOF (no framing field; the
 * connection closes after the body: "Connection: close" is written and the
 * caller must close). Connection: "close" when !keep_alive or body EOF (for
 * a 1.1 client); "keep-alive" for a 1.0 client when keep_alive.
 * Status must be 100..999 (1xx/204/304 force NONE framing fields).
 * Returns as dmsc_http1_write_request.
 */
int dmsc_http1_write_response(dmsc_gw_buf_t *b, int status, const char *reason,
                              const dmsc_http_field_t *fields, size_t nfields, int body,
                              uint64_t content_length, uint8_t version, bool keep_alive);

/* Chunk header "<hex n>\r\n" (n > 0, else DMSC_EINVAL). After the n data
 * bytes the caller appends DMSC_HTTP1_CRLF. 0, DMSC_ENOBUFS, DMSC_ENOMEM. */
int dmsc_http1_write_chunk_header(dmsc_gw_buf_t *b, uint64_t n);
#define DMSC_HTTP1_CRLF "\r\n"
/* Last chunk "0\r\n", the trailer fields (may be NULL/0; framing fields are
 * skipped as above) and the final CRLF. 0, DMSC_EINVAL, DMSC_ENOBUFS, DMSC_ENOMEM. */
int dmsc_http1_write_last_chunk(dmsc_gw_buf_t *b, const dmsc_http_field_t *trailers,
                                size_t ntrailers);
/* Interim "HTTP/1.1 100 Continue\r\n\r\n". 0, DMSC_ENOBUFS, DMSC_ENOMEM. */
int dmsc_http1_write_continue(dmsc_gw_buf_t *b);

#endif
