/*
 * HTTP <-> NDN mapping (normative spec: docs/http-mapping.md). Sans I/O: no
 * sockets, no clocks, no random source (callers pass nonces, request ids and
 * `now`), no allocation.
 *
 *   egress  (the caller's node):  HTTP request --> Interest
 *       dmsc_hmap_host_to_prefix()      Host -> service prefix
 *       dmsc_hmap_request_fields()      client head -> fields to forward
 *       dmsc_hmap_request_encode()      -> Interest wire
 *   ingress (the service's node):  Interest --> HTTP request upstream
 *       dmsc_hmap_request_decode()      Interest -> dmsc_hmap_request_t
 *       dmsc_hmap_upstream_fields()     + Host, Via, X-Forwarded-*
 *       dmsc_hmap_filter_hop()          upstream response -> e2e fields
 *       dmsc_hmap_freshness()           -> FreshnessPeriod, cacheable
 *       dmsc_hmap_response_encode()     -> Data Content (HttpResponse)
 *       dmsc_hmap_segment_encode()      -> Data Content of body segments
 *       dmsc_hmap_error_encode()        -> Data Content (HttpError)
 *   egress again:
 *       dmsc_hmap_content_kind() + dmsc_hmap_response_decode() /
 *       dmsc_hmap_error_decode() / dmsc_hmap_segment_decode()
 *       dmsc_hmap_client_response_fields()   + Via
 *
 * Views: every decoded struct points into the buffer it was decoded from
 * (the Interest's ApplicationParameters, the Data's Content), and every
 * encoder input is only read during the call. A dmsc_hmap_fieldset_t points
 * into the head it was built from and into its own scratch area.
 */
#ifndef DMSC_GW_HMAP_H
#define DMSC_GW_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"
#include "gw/http.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "ndn/name.h"

/* ---- TLV-TYPE numbers (docs/http-mapping.md §4). Application range,
 * 3-octet encoding; odd = critical, even = non-critical (NDN's rule). ---- */
enum {
    /* top level of ApplicationParameters / Content */
    DMSC_HMAP_TT_REQUEST = 0x8a01,  /* ApplicationParameters of a named request */
    DMSC_HMAP_TT_RESPONSE = 0x8a03, /* Content of the Data answering it */
    DMSC_HMAP_TT_ERROR = 0x8a05,    /* Content of a gateway error Data */
    DMSC_HMAP_TT_SEGMENT = 0x8a07,  /* Content of a body segment Data */
    /* request head */
    DMSC_HMAP_TT_METHOD = 0x8a11,      /* token */
    DMSC_HMAP_TT_TARGET = 0x8a13,      /* origin-form request-target */
    DMSC_HMAP_TT_AUTHORITY = 0x8a15,   /* host[:port] */
    DMSC_HMAP_TT_VERSION = 0x8a16,     /* NNI: 10, 11, 20, 30 (informational) */
    DMSC_HMAP_TT_SCHEME = 0x8a18,      /* "http" / "https" as the client used */
    DMSC_HMAP_TT_REQUEST_ID = 0x8a19,  /* 16 octets */
    DMSC_HMAP_TT_TE_TRAILERS = 0x8a1a, /* empty: the client sent "TE: trailers" */
    /* fields */
    DMSC_HMAP_TT_FIELD = 0x8a21,       /* FieldName FieldValue */
    DMSC_HMAP_TT_FIELD_NAME = 0x8a23,  /* lowercase token */
    DMSC_HMAP_TT_FIELD_VALUE = 0x8a25, /* field-value octets */
    DMSC_HMAP_TT_TRAILERS = 0x8a27,    /* Field* */
    /* bodies */
    DMSC_HMAP_TT_BODY = 0x8a31,           /* body octets */
    DMSC_HMAP_TT_BODY_NAME = 0x8a33,      /* Name TLV-VALUE: where to fetch the body */
    DMSC_HMAP_TT_BODY_LENGTH = 0x8a35,    /* NNI: total body octets */
    DMSC_HMAP_TT_LAST_SEGMENT = 0x8a36,   /* NNI: index of the final segment */
    DMSC_HMAP_TT_SEGMENTED_BODY = 0x8a37, /* [BodyLength] [LastSegment] Producer */
    DMSC_HMAP_TT_PRODUCER = 0x8a39,       /* Name TLV-VALUE: the producing node */
    /* response and error */
    DMSC_HMAP_TT_STATUS = 0x8a41,        /* NNI 200..999 */
    DMSC_HMAP_TT_REASON = 0x8a42,        /* reason-phrase */
    DMSC_HMAP_TT_ERROR_CODE = 0x8a43,    /* NNI: DMSC_HMAP_ERR_* */
    DMSC_HMAP_TT_ERROR_MESSAGE = 0x8a44, /* UTF-8 text for logs */
};

#define DMSC_HMAP_REQUEST_ID_LEN 16
#define DMSC_HMAP_HOST_MAX_LABELS 16
#define DMSC_HMAP_SCRATCH 8192 /* generated field values in a fieldset */
/* Ceiling on name + value bytes of the fields (or trailers) of one message
 * in any encoder or decoder here. */
#define DMSC_HMAP_FIELD_BYTES_MAX DMSC_HTTP_HEAD_MAX_LIMIT
#define DMSC_HMAP_TARGET_MAX 8192 /* request-target bytes */

/* ---- gateway errors (docs/http-mapping.md §8) ----
 * code | dmsc-error value     | HTTP status
 *   1  | no-route             | 503   no node announces the service prefix (Nack NoRoute)
 *   2  | no-healthy-instance  | 503   the ingress has no healthy instance
 *   3  | timeout              | 504   Interest lifetime / upstream response timeout
 *   4  | upstream-connect     | 502   connecting to the instance failed
 *   5  | upstream-reset       | 502   the instance closed/reset mid-response
 *   6  | body-too-large       | 413   request body above the configured ceiling
 *   7  | malformed-request    | 400   unparseable request or unmappable target
 *   8  | uri-too-long         | 414   name above 64 components / 2048 octets
 *   9  | headers-too-large    | 431   fields above the ceilings
 *  10  | bad-host             | 400   Host missing or not mappable to a prefix
 *  11  | circuit-open         | 503   circuit breaker open for the service
 *  12  | rate-limited         | 429   policy rate limit
 *  13  | forbidden            | 403   authorization policy denied the call
 *  14  | bad-response         | 502   undecodable / invalid response Data or upstream response
 *  15  | internal             | 500   anything else inside the mesh
 */
enum {
    DMSC_HMAP_ERR_NO_ROUTE = 1,
    DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE = 2,
    DMSC_HMAP_ERR_TIMEOUT = 3,
    DMSC_HMAP_ERR_UPSTREAM_CONNECT = 4,
    DMSC_HMAP_ERR_UPSTREAM_RESET = 5,
    DMSC_HMAP_ERR_BODY_TOO_LARGE = 6,
    DMSC_HMAP_ERR_MALFORMED_REQUEST = 7,
    DMSC_HMAP_ERR_URI_TOO_LONG = 8,
    DMSC_HMAP_ERR_HEADERS_TOO_LARGE = 9,
    DMSC_HMAP_ERR_BAD_HOST = 10,
    DMSC_HMAP_ERR_CIRCUIT_OPEN = 11,
    DMSC_HMAP_ERR_RATE_LIMITED = 12,
    DMSC_HMAP_ERR_FORBIDDEN = 13,
    DMSC_HMAP_ERR_BAD_RESPONSE = 14,
    DMSC_HMAP_ERR_INTERNAL = 15,
    DMSC_HMAP_ERR_MAX = 15,
};
#define DMSC_HMAP_ERROR_HEADER "dmsc-error"

/* The dmsc-error value ("no-route"...) for a code; "internal" for an unknown
 * code. Never NULL. */
const char *dmsc_hmap_error_name(int code);
/* The HTTP status for a code; 500 for an unknown code. */
int dmsc_hmap_error_status(int code);
/* Code for a dmsc-error value (case-insensitive), or 0 if unknown. */
int dmsc_hmap_error_from_name(const char *s, size_t n);
/* The gateway error for a DMSC_E* code from the functions below: name too
 * long -> URI_TOO_LONG, field ceilings -> HEADERS_TOO_LARGE, anything else
 * -> MALFORMED_REQUEST. */
int dmsc_hmap_error_from_rc(int rc);

/* ---- service prefix from Host ---- */

/* "Cart.Shop.:8080" -> /shop/cart: port removed, lowercased, one trailing
 * dot removed, labels reversed, one GenericNameComponent each. Labels are
 * [a-z0-9_-]{1,63}, at most DMSC_HMAP_HOST_MAX_LABELS; IP literals and IDNA
 * U-labels are not mapped (A-labels "xn--..." are ordinary labels).
 * Returns 0, DMSC_EINVAL (empty, bad character, empty label, bad port, too
 * many labels). */
int dmsc_hmap_host_to_prefix(const char *host, size_t len, dmsc_namebuf_t *out);

/* ---- request fields ---- */

/* Methods with stable names: GET and HEAD (case-sensitive, RFC 9110). */
bool dmsc_hmap_method_is_stable(const char *method, size_t len);
/* Is `name` one of the fields carried by a stable request (the cache key):
 * accept, accept-charset, accept-encoding, accept-language, authorization,
 * content-type, cookie, if-match, if-modified-since, if-none-match,
 * if-range, if-unmodified-since, origin, range, and x-* except the
 * per-request/per-hop ones (x-forwarded-*, x-real-ip, x-request-id,
 * x-correlation-id, x-b3-*, x-amzn-trace-id, x-cloud-trace-context)?
 * Case-insensitive. */
bool dmsc_hmap_is_key_field(const char *name, size_t len);
/* Is `name` hop-by-hop or framing (dropped by every proxy step): connection,
 * keep-alive, proxy-connection, te, transfer-encoding, upgrade,
 * proxy-authorization, proxy-authenticate, trailer, host, content-length,
 * expect, http2-settings, any ":pseudo" field and any "dmsc-*" field (the
 * mesh's own, set only by nodes)? Fields named by Connection are checked by
 * dmsc_hmap_filter_hop(), not here. */
bool dmsc_hmap_is_hop_field(const char *name, size_t len);

/* A list of fields plus storage for values generated by the helpers below.
 * Field views point into the source fields (borrowed) or into scratch. */
typedef struct {
    dmsc_http_field_t f[DMSC_HTTP_MAX_FIELDS];
    size_t n;
    bool te_trailers; /* a dropped TE field listed "trailers" */
    size_t scratch_used;
    char scratch[DMSC_HMAP_SCRATCH];
} dmsc_hmap_fieldset_t;

/* Flags for dmsc_hmap_filter_hop(). */
enum {
    /* keep Content-Length: responses to HEAD and 304 responses, where it is
     * metadata, not framing */
    DMSC_HMAP_KEEP_CONTENT_LENGTH = 1,
};

/* Copy the end-to-end fields of in[0..n) into out (which is reset first):
 * drops dmsc_hmap_is_hop_field() fields and every field named by a
 * Connection field; sets out->te_trailers if a TE field lists "trailers".
 * Order is preserved. Returns 0, DMSC_EINVAL (n > DMSC_HTTP_MAX_FIELDS). */
int dmsc_hmap_filter_hop(const dmsc_http_field_t *in, size_t n, unsigned flags,
                         dmsc_hmap_fieldset_t *out);

/* Egress: the fields of a client request to put in the named request.
 * hop-by-hop fields dropped (as dmsc_hmap_filter_hop()); then
 *  - stable (GET/HEAD, !unique): only dmsc_hmap_is_key_field() fields, and
 *    nothing is added (the encoder orders them canonically);
 *  - otherwise: all remaining fields; when client_addr (an IP literal,
 *    without port or brackets; may be NULL) is given, X-Forwarded-For gets
 *    it appended (all received X-Forwarded-For fields are merged into one,
 *    in place of the first) and a "Forwarded: for=..." field is appended
 *    (IPv6 quoted and bracketed, RFC 7239).
 * `unique` forces the unique treatment for GET/HEAD (e.g. a client's
 * Cache-Control: no-cache); the caller then sets a request id.
 * Returns 0, DMSC_EINVAL (client_addr not an IP-literal-looking string),
 * DMSC_ETOOBIG (merged values do not fit the scratch area). */
int dmsc_hmap_request_fields(const dmsc_http_head_t *h, bool unique, const char *client_addr,
                             dmsc_hmap_fieldset_t *out);

/* ---- named request ---- */

enum {
    DMSC_HMAP_BODY_NONE = 0,      /* no body */
    DMSC_HMAP_BODY_INLINE = 1,    /* body octets inline */
    DMSC_HMAP_BODY_NAMED = 2,     /* request: body fetched from body_name/seg=N */
    DMSC_HMAP_BODY_SEGMENTED = 3, /* response: segments of the request name */
};

typedef struct {
    const char *method; /* token, required */
    size_t method_len;
    const char *target; /* origin-form "/path?query", byte-exact, required */
    size_t target_len;
    const char *authority; /* Host; optional (NULL) */
    size_t authority_len;
    const char *scheme; /* optional (NULL) */
    size_t scheme_len;
    uint8_t version; /* 10, 11, 20, 30; 0 = not sent */
    bool te_trailers;
    bool has_request_id;
    uint8_t request_id[DMSC_HMAP_REQUEST_ID_LEN];
    dmsc_http_field_t fields[DMSC_HTTP_MAX_FIELDS];
    size_t nfields;
    int body;               /* DMSC_HMAP_BODY_NONE, _INLINE or _NAMED */
    dmsc_slice_t body_data; /* _INLINE */
    dmsc_name_t body_name;  /* _NAMED: the name segments are fetched under */
    bool has_body_length;   /* _NAMED: total length known (not for chunked) */
    uint64_t body_length;

    /* ---- set by dmsc_hmap_request_decode() ---- */
    size_t prefix_ncomps; /* name components before the path components */
    size_t path_ncomps;   /* path components, at prefix_ncomps.. */
} dmsc_hmap_request_t;

/* Zero everything (no body, no fields). */
void dmsc_hmap_request_init(dmsc_hmap_request_t *r);

/* Stable iff the method is GET or HEAD and there is no request id. */
bool dmsc_hmap_request_is_stable(const dmsc_hmap_request_t *r);

/* Append the path components of an origin-form target (the part before
 * '?') to nb: split on '/', each percent-decoded into a
 * GenericNameComponent; "/" gives none, "/a/" gives "a" and "".
 * Returns 0, DMSC_EINVAL (not starting with '/', bad %-escape, NUL, a "."
 * or ".." segment (also %2e-encoded), '#', a control/space/non-ASCII
 * byte), DMSC_ENAMELEN, DMSC_ENAMECOMPS. */
int dmsc_hmap_target_to_name(const char *target, size_t len, dmsc_namebuf_t *nb);

/* Interest name without the digest: prefix + path + Keyword(method).
 * Returns what dmsc_hmap_target_to_name() returns, DMSC_EINVAL for a bad
 * method, and DMSC_ENAMELEN / DMSC_ENAMECOMPS also when the digest
 * component would not fit. */
int dmsc_hmap_request_name(const dmsc_name_t *prefix, const dmsc_hmap_request_t *r,
                           dmsc_namebuf_t *nb);

/* Encode the HttpRequest element (the ApplicationParameters value) into
 * buf[0 .. cap); the bytes are returned in *out (at the end of buf).
 * Field names are written lowercased; for a stable request the fields are
 * written sorted by name (stable sort), so equal requests encode equally.
 * Version is written only for unique requests (it would split the cache).
 * Returns 0, DMSC_ENOBUFS, DMSC_EINVAL (missing/invalid method, target,
 * authority, scheme, field name or value; a method other than GET/HEAD
 * without request id; bad body kind or empty body name), DMSC_ETOOBIG
 * (more than DMSC_HTTP_MAX_FIELDS fields or DMSC_HMAP_FIELD_BYTES_MAX
 * field bytes). */
int dmsc_hmap_params_encode(const dmsc_hmap_request_t *r, uint8_t *buf, size_t cap,
                            dmsc_slice_t *out);

/* Encode the whole Interest: name = dmsc_hmap_request_name(), parameters
 * as above, MustBeFresh iff stable, the given Nonce, lifetime (ms) and
 * HopLimit (hop_limit < 0: none). Unsigned (the digest component is
 * computed by the Interest encoder). buf must have room for the parameters
 * twice (they are staged at its start). Returns the codes of
 * dmsc_hmap_request_name() and dmsc_hmap_params_encode(), DMSC_ENOBUFS. */
int dmsc_hmap_request_encode(const dmsc_name_t *prefix, const dmsc_hmap_request_t *r,
                             uint32_t nonce, uint64_t lifetime_ms, int hop_limit, uint8_t *buf,
                             size_t cap, dmsc_slice_t *out);

/* Decode an HttpRequest element (ApplicationParameters value) into r (views
 * into p). Checks every element: method a token, target origin-form
 * visible ASCII, authority/scheme characters, field names lowercase
 * tokens, values without CR/LF/NUL/other controls, ceilings, order, a
 * request id present for non-GET/HEAD methods, body kind consistent.
 * Unknown even TLV-TYPEs are skipped, unknown odd ones rejected.
 * Returns 0, DMSC_ETRUNC, DMSC_EVARNUM, DMSC_ETYPE (not HttpRequest),
 * DMSC_ETRAILING, DMSC_EMISSING (method, target, request id, field
 * name/value, producer), DMSC_EDUP, DMSC_EORDER, DMSC_ECRITICAL,
 * DMSC_EVALUE (invalid content), DMSC_ENNI, DMSC_ETOOBIG (field ceilings),
 * and dmsc_name_from_value() codes for the body name. */
int dmsc_hmap_params_decode(const uint8_t *p, size_t n, dmsc_hmap_request_t *r);

/* Decode a named request from a decoded Interest (dmsc_interest_decode()
 * succeeded; r's views point into the Interest's wire). Besides
 * dmsc_hmap_params_decode(): the last name component must be the
 * ParametersSha256DigestComponent, the one before it a Keyword equal to
 * the method, and the components before that must end with exactly the
 * path components of the target (so policy checked on the name is policy
 * on what the upstream sees). Sets prefix_ncomps (>= 1) and path_ncomps:
 * the ingress checks that the first prefix_ncomps components are a prefix
 * it serves. Returns dmsc_hmap_params_decode() codes, DMSC_EMISSING (no
 * ApplicationParameters), DMSC_EDIGEST, DMSC_EVALUE (name does not match
 * method or target, or no room for a prefix). */
int dmsc_hmap_request_decode(const dmsc_interest_t *in, dmsc_hmap_request_t *r);

/* Ingress: the fields of the upstream request, into out:
 *   host: <authority>   (first; authority = r->authority if present, else
 *                        the `authority` argument; one of them required)
 *   the request's fields minus hop-by-hop ones (re-checked), with
 *   via: <existing Via values>, 1.1 <pseudonym>   (merged into one)
 *   x-forwarded-for / forwarded: client_addr appended, when given
 *   x-forwarded-proto: r->scheme, unless present
 *   te: trailers        when r->te_trailers
 * pseudonym: a token naming the ingress node (e.g. its <id> component).
 * Returns 0, DMSC_EINVAL (no authority, pseudonym not a token, bad
 * client_addr), DMSC_ETOOBIG (too many fields / scratch full). */
int dmsc_hmap_upstream_fields(const dmsc_hmap_request_t *r, const char *authority,
                              size_t authority_len, const char *pseudonym, const char *client_addr,
                              dmsc_hmap_fieldset_t *out);

/* ---- response ---- */

typedef struct {
    int status; /* 200..999 */
    const char *reason;
    size_t reason_len;
    dmsc_http_field_t fields[DMSC_HTTP_MAX_FIELDS];
    size_t nfields;
    int body;               /* DMSC_HMAP_BODY_NONE, _INLINE or _SEGMENTED */
    dmsc_slice_t body_data; /* _INLINE */
    bool has_trailers;      /* _NONE/_INLINE: a Trailers element (maybe empty) */
    dmsc_http_field_t trailers[DMSC_HTTP_MAX_FIELDS];
    size_t ntrailers;
    bool has_body_length; /* _SEGMENTED: total octets known */
    uint64_t body_length;
    bool has_last_segment; /* _SEGMENTED: the final segment's index known */
    uint64_t last_segment;
    dmsc_name_t producer; /* _SEGMENTED: node name, ForwardingHint for the segments */
} dmsc_hmap_response_t;

void dmsc_hmap_response_init(dmsc_hmap_response_t *r);

/* Encode the HttpResponse element (a Data Content) into buf[0 .. cap);
 * result in *out. Returns 0, DMSC_ENOBUFS, DMSC_EINVAL (status out of
 * 200..999, bad reason/field, trailers with a segmented body, empty
 * producer, bad body kind), DMSC_ETOOBIG (field ceilings). */
int dmsc_hmap_response_encode(const dmsc_hmap_response_t *r, uint8_t *buf, size_t cap,
                              dmsc_slice_t *out);
/* Decode an HttpResponse element (views into p). Returns 0, DMSC_ETRUNC,
 * DMSC_EVARNUM, DMSC_ETYPE, DMSC_ETRAILING, DMSC_EMISSING (status,
 * producer, field name/value), DMSC_EDUP, DMSC_EORDER, DMSC_ECRITICAL,
 * DMSC_EVALUE, DMSC_ENNI, DMSC_ETOOBIG, name codes for the producer. */
int dmsc_hmap_response_decode(const uint8_t *p, size_t n, dmsc_hmap_response_t *r);

/* Egress: the fields to send the client: r's fields minus hop-by-hop ones
 * (Content-Length kept when keep_content_length: HEAD and 304) plus Via
 * "1.1 <pseudonym>" merged into any existing Via. Returns 0, DMSC_EINVAL
 * (pseudonym not a token), DMSC_ETOOBIG. */
int dmsc_hmap_client_response_fields(const dmsc_hmap_response_t *r, bool keep_content_length,
                                     const char *pseudonym, dmsc_hmap_fieldset_t *out);

/* What kind of Content: DMSC_HMAP_TT_RESPONSE, _ERROR, _SEGMENT (the
 * outer TLV-TYPE), or DMSC_ETRUNC / DMSC_EVARNUM / DMSC_ETYPE. */
int dmsc_hmap_content_kind(const uint8_t *p, size_t n);

/* ---- body segments ----
 * Response segment names: the Interest name with its
 * ParametersSha256DigestComponent replaced by a GenericNameComponent with
 * the same 32 octets, then SegmentNameComponent(seg).
 * Request body segment names: body_name + SegmentNameComponent(seg). */

/* Returns 0, DMSC_EDIGEST (last component is not the params digest),
 * DMSC_ENAMELEN, DMSC_ENAMECOMPS. */
int dmsc_hmap_segment_name(const dmsc_name_t *interest_name, uint64_t seg, dmsc_namebuf_t *out);
/* Returns 0, DMSC_EINVAL (empty body name), DMSC_ENAMELEN, DMSC_ENAMECOMPS. */
int dmsc_hmap_body_segment_name(const dmsc_name_t *body_name, uint64_t seg, dmsc_namebuf_t *out);
/* Parse a segment name against the request name it belongs to (either
 * kind): 1 with *seg set if `name` is base + SegmentNameComponent, where
 * base is interest_name with its digest made generic (is_body false) or
 * the body name (is_body true); 0 otherwise. */
int dmsc_hmap_segment_match(const dmsc_name_t *base, bool is_body, const dmsc_name_t *name,
                            uint64_t *seg);

typedef struct {
    dmsc_slice_t body;
    bool has_trailers; /* only in the final segment */
    dmsc_http_field_t trailers[DMSC_HTTP_MAX_FIELDS];
    size_t ntrailers;
} dmsc_hmap_segment_t;

/* Encode an HttpSegment element. Returns 0, DMSC_ENOBUFS, DMSC_EINVAL (bad
 * trailer field), DMSC_ETOOBIG. */
int dmsc_hmap_segment_encode(const dmsc_hmap_segment_t *s, uint8_t *buf, size_t cap,
                             dmsc_slice_t *out);
/* Decode an HttpSegment element (views into p). Codes as the response
 * decoder. Whether trailers may appear (final segment) is the caller's
 * check against FinalBlockId. */
int dmsc_hmap_segment_decode(const uint8_t *p, size_t n, dmsc_hmap_segment_t *s);

/* Fill a Data for a response/error (name = the Interest name) or a segment
 * (name = its segment name; `final` sets FinalBlockId to the name's last
 * component): Content = content, FreshnessPeriod = freshness_ms (always
 * written, 0 included). d keeps views of name and content. */
void dmsc_hmap_data_init(dmsc_data_t *d, const dmsc_name_t *name, dmsc_slice_t content,
                         uint64_t freshness_ms, bool final);

/* ---- gateway error ---- */

typedef struct {
    int code; /* DMSC_HMAP_ERR_* (unknown codes decode; map with the table) */
    const char *message;
    size_t message_len;
} dmsc_hmap_error_t;

/* Returns 0, DMSC_ENOBUFS, DMSC_EINVAL (code < 1). */
int dmsc_hmap_error_encode(const dmsc_hmap_error_t *e, uint8_t *buf, size_t cap, dmsc_slice_t *out);
/* Returns 0, DMSC_ETRUNC, DMSC_EVARNUM, DMSC_ETYPE, DMSC_ETRAILING,
 * DMSC_EMISSING, DMSC_EDUP, DMSC_EORDER, DMSC_ECRITICAL, DMSC_ENNI,
 * DMSC_EVALUE (code 0 or above INT32_MAX). */
int dmsc_hmap_error_decode(const uint8_t *p, size_t n, dmsc_hmap_error_t *e);

/* ---- freshness (RFC 9111 for a shared cache, explicit freshness only) ----
 * FreshnessPeriod for the response to a request:
 *  - not stable (unique name), status not cacheable by default-or-explicit
 *    rule (see docs), no-store, no-cache, private, Vary: *, Set-Cookie, or
 *    a request with Authorization or Cookie without public / s-maxage /
 *    must-revalidate -> 0, *cacheable = false;
 *  - else s-maxage=N, else max-age=N, else Expires - Date (Date absent:
 *    Expires - now; now = 0: Expires ignored), minus Age -> ms; 0 ->
 *    not cacheable.
 * now: Unix time in seconds (0 if unknown). Never fails. */
uint64_t dmsc_hmap_freshness(bool stable, const dmsc_http_field_t *req_fields, size_t nreq,
                             int status, const dmsc_http_field_t *resp_fields, size_t nresp,
                             int64_t now, bool *cacheable);

/* Parse an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into Unix
 * seconds. Returns 0 or DMSC_EINVAL. */
int dmsc_hmap_parse_http_date(const char *s, size_t n, int64_t *out);

#endif
