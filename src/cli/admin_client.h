/*
 * A tiny blocking HTTP/1.1 client for the dmscd admin API (the CLI's views
 * and dmsc service use it). One request per connection ("Connection:
 * close"), one deadline over connect, send and receive, a ceiling on the
 * response size. No libuv.
 */
#ifndef DMSC_CLI_ADMIN_CLIENT_H
#define DMSC_CLI_ADMIN_CLIENT_H

#include <stddef.h>

/* Keep in step with DMSC_ADMIN_DEFAULT_ADDR / _PORT (src/mgmt/admin.h). */
#define DMSC_ADMIN_CLIENT_DEFAULT_HOST "127.0.0.1"
#define DMSC_ADMIN_CLIENT_DEFAULT_PORT "7380"
#define DMSC_ADMIN_CLIENT_ENV "DMSC_ADMIN"
#define DMSC_ADMIN_CLIENT_MAX_RESPONSE ((size_t)64 << 20)
/* Request line + header fields we send (the daemon's default limit, past
 * which it answers 431; the longest path the CLI builds, /services/<name>,
 * stays below it). */
#define DMSC_ADMIN_CLIENT_MAX_REQUEST_HEAD 8192

typedef struct {
    char host[256]; /* name or address literal, without brackets */
    char port[8];
} dmsc_admin_client_addr_t;

/* Parse "HOST:PORT", "[IPV6]:PORT", "HOST" (default port), ":PORT"
 * (default host) or "PORT" (all digits: default host). Returns 0 or
 * DMSC_EINVAL. */
int dmsc_admin_client_parse_addr(const char *s, dmsc_admin_client_addr_t *out);

/* The address to use: opt (--admin) if not NULL, else $DMSC_ADMIN if set
 * and non-empty, else the default. Returns 0 or DMSC_EINVAL (the chosen
 * string does not parse; *from says which one it was: "--admin" or the
 * variable name). */
int dmsc_admin_client_resolve_addr(const char *opt, dmsc_admin_client_addr_t *out,
                                   const char **from);

typedef struct {
    int status; /* HTTP status code */
    char *body; /* malloc'd, NUL-terminated */
    size_t body_len;
    char content_type[128];
} dmsc_admin_client_resp_t;

/* Parse a complete HTTP/1.x response received until the server closed
 * (buf[0..len)). The body is Content-Length bytes when given (a shorter
 * body is an error), else everything after the head. Chunked transfer
 * coding is not supported. Returns 0 or DMSC_EINVAL. */
int dmsc_admin_client_parse_response(const char *buf, size_t len, dmsc_admin_client_resp_t *resp);

/* Send method path to addr, with a body if body is not NULL (body_len
 * bytes, sent as application/json), and wait for the whole response, at
 * most timeout_ms milliseconds in all (<= 0: 5000) for connect, send and
 * receive. GET and HEAD without a body send no Content-Length; other
 * methods always do (0 without a body). The response may be up to
 * max_response bytes (0 or more than DMSC_ADMIN_CLIENT_MAX_RESPONSE: that).
 * Returns 0 with *resp filled (any HTTP status; free it with
 * dmsc_admin_client_resp_free), or a negative DMSC_E* code with a one-line
 * reason in err (if err is not NULL): DMSC_EIO (cannot resolve, connect,
 * send or receive; timeout), DMSC_EINVAL (request head past
 * DMSC_ADMIN_CLIENT_MAX_REQUEST_HEAD, or not an HTTP response),
 * DMSC_ETOOBIG (response past max_response), DMSC_ENOMEM. */
int dmsc_admin_client_request(const dmsc_admin_client_addr_t *addr, const char *method,
                              const char *path, const void *body, size_t body_len,
                              size_t max_response, int timeout_ms, dmsc_admin_client_resp_t *resp,
                              char *err, size_t errcap);

/* GET path from addr: dmsc_admin_client_request with no body and the
 * default response ceiling (DMSC_ADMIN_CLIENT_MAX_RESPONSE). Returns as
 * that. */
int dmsc_admin_client_get(const dmsc_admin_client_addr_t *addr, const char *path, int timeout_ms,
                          dmsc_admin_client_resp_t *resp, char *err, size_t errcap);

void dmsc_admin_client_resp_free(dmsc_admin_client_resp_t *resp);

#endif
