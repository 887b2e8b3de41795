/*
 * HTTP message heads shared by the gateway's codecs (HTTP/1.1 in http1.c,
 * HTTP/2 in h2.c), the HTTP <-> name mapping (hmap.c) and the gateway
 * runtime (gw.c). Sans I/O: no sockets, no clocks.
 *
 * A head is a set of views: every pointer points into a buffer owned by
 * whoever filled the head (the parser's input, an h2 session's header
 * block). It is valid until that owner is told to move on; copy what must
 * outlive it.
 */
#ifndef DMSC_GW_HTTP_H
#define DMSC_GW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard ceilings (CONVENTIONS: every buffer a peer can grow has one). */
#define DMSC_HTTP_MAX_FIELDS 128         /* header (or trailer) fields in one head */
#define DMSC_HTTP_HEAD_MAX_DEFAULT 16384 /* request/status line + fields, bytes */
#define DMSC_HTTP_HEAD_MAX_LIMIT 65536   /* configurable up to this */
#define DMSC_HTTP_METHOD_MAX 32

typedef struct {
    const char *name; /* as received (case preserved); compare case-insensitively */
    size_t name_len;
    const char *value; /* leading/trailing OWS removed */
    size_t value_len;
} dmsc_http_field_t;

/* How the body of a message is delimited. */
enum {
    DMSC_HTTP_BODY_NONE = 0,    /* no body (GET without length, 204, 304, HEAD response...) */
    DMSC_HTTP_BODY_LENGTH = 1,  /* Content-Length (h2: known length or END_STREAM) */
    DMSC_HTTP_BODY_CHUNKED = 2, /* Transfer-Encoding: chunked (h2: DATA frames, unknown length) */
    DMSC_HTTP_BODY_EOF = 3,     /* HTTP/1.x response read until the connection closes */
};

typedef struct {
    bool is_request;
    uint8_t version; /* 10 (HTTP/1.0), 11 (HTTP/1.1), 20 (HTTP/2) */

    /* requests */
    const char *method; /* token, case-sensitive ("GET") */
    size_t method_len;
    const char *target; /* request-target as received: origin-form "/a/b?q",
                           absolute-form "http://h/a", authority-form, or "*" */
    size_t target_len;
    const char *authority; /* Host header value, or :authority (h2), or the
                              absolute-form's authority; NULL if none */
    size_t authority_len;

    /* responses */
    int status; /* 100..999 */
    const char *reason;
    size_t reason_len;

    dmsc_http_field_t fields[DMSC_HTTP_MAX_FIELDS];
    size_t nfields;

    int body;                /* DMSC_HTTP_BODY_* */
    uint64_t content_length; /* when body == DMSC_HTTP_BODY_LENGTH */
    bool keep_alive;         /* HTTP/1.x: connection persists after this message */
    bool expect_continue;    /* request carried "Expect: 100-continue" */
} dmsc_http_head_t;

/* Case-insensitive field lookup: the first field named `name`, or NULL. */
const dmsc_http_field_t *dmsc_http_field_find(const dmsc_http_head_t *h, const char *name);
/* A deep copy of n fields in one allocation (the array, then the names and
 * values it points to): free() the result. NULL when n is 0 or out of
 * memory. */
dmsc_http_field_t *dmsc_http_fields_dup(const dmsc_http_field_t *in, size_t n);

/* Case-insensitive token compare of a counted string with a C string. */
bool dmsc_http_token_eq(const char *s, size_t n, const char *lit);

#endif
