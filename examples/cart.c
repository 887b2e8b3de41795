/*
 * dmsc-example-cart: shopping carts kept in memory. Adding an item calls the
 * catalog (dmsc-example-catalog) for it: the demo's service-to-service call,
 * made through the local dmsc node's HTTP gateway.
 *
 *   dmsc-example-cart --listen 127.0.0.1:0 --name cart-1 \
 *       --catalog-url http://127.0.0.1:8080 --catalog-host catalog.shop
 *
 *   GET  /health                     200 "ok"
 *   POST /cart/<user>/add?item=<id>  GET <catalog-url>/items/<id>, add it, answer the cart
 *   GET  /cart/<user>                {"instance":..,"user":..,"items":[..],"count":N,"total":T}
 *
 * A catalog answer other than 200 becomes a 502 whose JSON body carries
 * "upstream_status" (0 when the catalog could not be reached, or took longer
 * than 5 s). The call is a small non-blocking HTTP/1.1 client in the same
 * poll loop (a new connection per call, "Connection: close"), so other
 * requests go on while it waits.
 */
#include "httpd.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_USERS 1024
#define MAX_LINES 64                 /* distinct items per cart */
#define CALL_TIMEOUT_MS 5000         /* a catalog call longer than this fails */
#define CALL_MAX_RESPONSE (64 << 10) /* a catalog answer larger than this fails */

typedef struct {
    int id, qty;
    long cents;
    char name[64], from[64]; /* from: the catalog instance that answered */
} line_t;

typedef struct {
    char user[33];
    line_t lines[MAX_LINES];
    int nlines;
} cart_t;

typedef struct {
    httpd_t *h;
    struct sockaddr_storage addr; /* the catalog (or the dmsc gateway in front of it) */
    socklen_t addrlen;
    char host[256]; /* its Host header */
    char base[256]; /* path prefix from --catalog-url, "" or "/x" */
    cart_t *carts[MAX_USERS];
    int ncarts;
} app_t;

/* One catalog call, for the request being handled on connection c. */
typedef struct {
    app_t *app;
    httpd_conn_t *c;
    int fd; /* -1 once answered */
    char user[33];
    char req[1024];
    size_t req_len, req_off;
    httpd_buf_t resp;
} call_t;

/* ---- carts ---- */

static cart_t *cart_find(app_t *a, const char *user)
{
    for (int i = 0; i < a->ncarts; i++)
        if (strcmp(a->carts[i]->user, user) == 0) return a->carts[i];
    return NULL;
}

static void send_cart(httpd_conn_t *c, const char *user, const cart_t *cart)
{
    httpd_buf_t b = {0};
    long total = 0;
    int count = 0;
    httpd_buf_printf(&b, "{\"instance\":");
    httpd_buf_json(&b, httpd_name(httpd_server(c)));
    httpd_buf_printf(&b, ",\"user\":");
    httpd_buf_json(&b, user);
    httpd_buf_printf(&b, ",\"items\":[");
    for (int i = 0; cart && i < cart->nlines; i++) {
        const line_t *l = &cart->lines[i];
        httpd_buf_printf(&b, "%s{\"id\":%d,\"name\":", i ? "," : "", l->id);
        httpd_buf_json(&b, l->name);
        httpd_buf_printf(&b, ",\"price\":%ld.%02ld,\"qty\":%d,\"from\":", l->cents / 100,
                         l->cents % 100, l->qty);
        httpd_buf_json(&b, l->from);
        httpd_buf_printf(&b, "}");
        total += l->cents * l->qty;
        count += l->qty;
    }
    httpd_buf_printf(&b, "],\"count\":%d,\"total\":%ld.%02ld}\n", count, total / 100, total % 100);
    httpd_respond_json(c, 200, &b);
    httpd_buf_free(&b);
}

static void send_error(httpd_conn_t *c, int status, const char *msg, int upstream_status,
                       const char *detail)
{
    httpd_buf_t b = {0};
    httpd_buf_printf(&b, "{\"instance\":");
    httpd_buf_json(&b, httpd_name(httpd_server(c)));
    httpd_buf_printf(&b, ",\"error\":");
    httpd_buf_json(&b, msg);
    if (upstream_status >= 0) httpd_buf_printf(&b, ",\"upstream_status\":%d", upstream_status);
    if (detail) {
        httpd_buf_printf(&b, ",\"detail\":");
        httpd_buf_json(&b, detail);
    }
    httpd_buf_printf(&b, "}\n");
    httpd_respond_json(c, status, &b);
    httpd_buf_free(&b);
}

/* ---- the catalog's answer ---- */

/* The value after "key": in the catalog's flat JSON, or NULL. */
static const char *json_field(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    return p;
}

/* Copies the JSON string at p (at its opening quote) into out, unescaping
   \" and \\ (enough for names). */
static void json_string(const char *p, char *out, size_t outsz)
{
    size_t n = 0;
    for (p++; *p && *p != '"' && n + 1 < outsz; p++) {
        if (*p == '\\' && p[1]) p++;
        out[n++] = *p;
    }
    out[n] = '\0';
}

/* A field of the response head (name without the colon) into out; false if absent. */
static bool head_field(const char *head, size_t head_len, const char *name, char *out, size_t outsz)
{
    size_t n = strlen(name);
    for (const char *p = head; p < head + head_len;) {
        const char *nl = memchr(p, '\n', (size_t)(head + head_len - p));
        if (!nl) break;
        if ((size_t)(nl - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1, *e = nl;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            snprintf(out, outsz, "%.*s", (int)(e - v), v);
            return true;
        }
        p = nl + 1;
    }
    return false;
}

/* A chunked body at p (len bytes): 1 complete, 0 incomplete, -1 malformed.
   With `decode`, also moves the data together and sets *out_len. */
static int dechunk(char *p, size_t len, bool decode, size_t *out_len)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *nl = memchr(p + in, '\n', len - in);
        if (!nl) return 0;
        char *end;
        unsigned long size = strtoul(p + in, &end, 16);
        if (end == p + in || size > CALL_MAX_RESPONSE) return -1;
        in = (size_t)(nl - p) + 1;
        if (size == 0) break; /* trailers ignored: the catalog closes the connection */
        if (len - in < size + 2) return 0;
        if (decode) memmove(p + out, p + in, size);
        out += size;
        in += size + 2;
    }
    if (decode) *out_len = out;
    return 1;
}

/* The response so far: 1 complete (*status, *body NUL-terminated, *from),
   0 incomplete, -1 malformed. */
static int parse_response(httpd_buf_t *r, bool eof, int *status, char **body, char *from,
                          size_t fromsz)
{
    char *end = r->p ? strstr(r->p, "\r\n\r\n") : NULL;
    if (!end) return eof ? -1 : 0;
    size_t head_len = (size_t)(end - r->p) + 4, avail = r->len - head_len;
    char v[64];
    if (sscanf(r->p, "HTTP/1.%*d %d", status) != 1) return -1;
    if (!head_field(r->p, head_len, "X-Instance", from, fromsz)) snprintf(from, fromsz, "?");
    *body = r->p + head_len;

    size_t body_len;
    if (head_field(r->p, head_len, "Transfer-Encoding", v, sizeof v) && strcasestr(v, "chunked")) {
        int done = dechunk(*body, avail, false, NULL);
        if (done <= 0) return done < 0 || eof ? -1 : 0;
        dechunk(*body, avail, true, &body_len);
    } else if (head_field(r->p, head_len, "Content-Length", v, sizeof v)) {
        body_len = strtoul(v, NULL, 10);
        if (avail < body_len) return eof ? -1 : 0;
    } else {
        if (!eof) return 0; /* the body ends with the connection */
        body_len = avail;
    }
    (*body)[body_len] = '\0';
    return 1;
}

/* ---- the catalog call ---- */

static void call_close(call_t *k)
{
    if (k->fd < 0) return;
    httpd_unwatch(k->app->h, k->fd);
    close(k->fd);
    k->fd = -1;
}

static void call_fail(call_t *k, const char *why)
{
    if (k->fd < 0) return;
    call_close(k);
    send_error(k->c, 502, "catalog unreachable", 0, why);
}

static void call_timeout(httpd_conn_t *c, void *arg)
{
    call_fail(arg, "timeout");
}

/* Freed when the request is over, answered or not (the client may leave). */
static void call_free(httpd_conn_t *c, void *arg)
{
    call_t *k = arg;
    call_close(k);
    httpd_buf_free(&k->resp);
    free(k);
}

static void call_answer(call_t *k, bool eof)
{
    int status;
    char *body, from[64];
    int done = parse_response(&k->resp, eof, &status, &body, from, sizeof from);
    if (done == 0) return;
    call_close(k);
    if (done < 0) {
        send_error(k->c, 502, "bad answer from the catalog", 0, NULL);
        return;
    }
    for (size_t n = strlen(body); n && (body[n - 1] == '\n' || body[n - 1] == '\r'); n--)
        body[n - 1] = '\0';
    if (status != 200) {
        send_error(k->c, 502, "catalog error", status, body);
        return;
    }
    const char *id = json_field(body, "id"), *name = json_field(body, "name"),
               *price = json_field(body, "price");
    if (!id || !name || *name != '"' || !price) {
        send_error(k->c, 502, "unexpected item from the catalog", status, body);
        return;
    }
    app_t *a = k->app;
    cart_t *cart = cart_find(a, k->user);
    if (!cart && a->ncarts == MAX_USERS) {
        send_error(k->c, 503, "too many carts", -1, NULL);
        return;
    }
    if (!cart) {
        cart = calloc(1, sizeof *cart);
        if (!cart) abort();
        snprintf(cart->user, sizeof cart->user, "%s", k->user);
        a->carts[a->ncarts++] = cart;
    }
    line_t *l = NULL;
    for (int i = 0; i < cart->nlines && !l; i++)
        if (cart->lines[i].id == atoi(id)) l = &cart->lines[i];
    if (!l && cart->nlines == MAX_LINES) {
        send_error(k->c, 409, "cart full", -1, NULL);
        return;
    }
    if (!l) l = &cart->lines[cart->nlines++];
    l->id = atoi(id);
    l->qty++;
    l->cents = (long)(strtod(price, NULL) * 100 + 0.5);
    json_string(name, l->name, sizeof l->name);
    snprintf(l->from, sizeof l->from, "%s", from);
    send_cart(k->c, k->user, cart);
}

static void call_io(short revents, void *arg)
{
    call_t *k = arg;
    if (k->req_off < k->req_len) { /* connecting, then sending the request */
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            call_fail(k, strerror(err));
            return;
        }
        ssize_t n = send(k->fd, k->req + k->req_off, k->req_len - k->req_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) call_fail(k, strerror(errno));
            return;
        }
        k->req_off += (size_t)n;
        if (k->req_off == k->req_len) httpd_watch(k->app->h, k->fd, POLLIN, call_io, k);
        return;
    }
    char buf[16384];
    ssize_t n = recv(k->fd, buf, sizeof buf, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) call_fail(k, strerror(errno));
        return;
    }
    if (k->resp.len + (size_t)n > CALL_MAX_RESPONSE) {
        call_fail(k, "answer too large");
        return;
    }
    httpd_buf_add(&k->resp, buf, (size_t)n);
    call_answer(k, n == 0);
}

static void call_start(app_t *a, httpd_conn_t *c, const char *user, const char *item)
{
    call_t *k = calloc(1, sizeof *k);
    if (!k) abort();
    *k = (call_t){.app = a, .c = c, .fd = -1};
    snprintf(k->user, sizeof k->user, "%s", user);
    k->req_len = (size_t)snprintf(k->req, sizeof k->req,
                                  "GET %s/items/%s HTTP/1.1\r\nHost: %s\r\n"
                                  "User-Agent: dmsc-example-cart\r\nAccept: application/json\r\n"
                                  "Connection: close\r\n\r\n",
                                  a->base, item, a->host);
    httpd_on_done(c, call_free, k);

    k->fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (k->fd < 0 ||
        (connect(k->fd, (struct sockaddr *)&a->addr, a->addrlen) < 0 && errno != EINPROGRESS)) {
        call_fail(k, strerror(errno));
        return;
    }
    httpd_watch(a->h, k->fd, POLLOUT, call_io, k);
    httpd_after(c, CALL_TIMEOUT_MS, call_timeout, k);
}

/* ---- routing ---- */

static bool valid_user(const char *u, size_t n)
{
    if (n == 0 || n > 32) return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", u[i]))
            return false;
    return true;
}

static void handle(httpd_conn_t *c, const httpd_req_t *r, void *arg)
{
    app_t *a = arg;
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    bool post = strcmp(r->method, "POST") == 0;

    if (strcmp(r->path, "/health") == 0 && get) {
        httpd_respond(c, 200, "text/plain", "ok", 2);
        return;
    }
    if (strncmp(r->path, "/cart/", 6) != 0) {
        send_error(c, 404, "not found", -1, NULL);
        return;
    }
    const char *user = r->path + 6, *rest = user + strcspn(user, "/");
    char name[33];
    if (!valid_user(user, (size_t)(rest - user))) {
        send_error(c, 400, "user: 1-32 of [A-Za-z0-9_.-]", -1, NULL);
        return;
    }
    snprintf(name, sizeof name, "%.*s", (int)(rest - user), user);

    if (*rest == '\0' && get) {
        send_cart(c, name, cart_find(a, name));
    } else if (strcmp(rest, "/add") == 0 && post) {
        char item[16];
        if (!httpd_query(r, "item", item, sizeof item) || !item[0] ||
            strspn(item, "0123456789") != strlen(item)) {
            send_error(c, 400, "item: a number", -1, NULL);
            return;
        }
        call_start(a, c, name, item);
    } else if (*rest == '\0' || strcmp(rest, "/add") == 0) {
        send_error(c, 405, "method not allowed", -1, NULL);
    } else {
        send_error(c, 404, "not found", -1, NULL);
    }
}

/* http://HOST[:PORT][/base] -> a->addr, a->base, and a->host unless given */
static bool parse_catalog_url(app_t *a, const char *url, const char *host_header)
{
    if (strncmp(url, "http://", 7) != 0) return false;
    const char *auth = url + 7, *path = auth + strcspn(auth, "/");
    char hostport[256], host[256], port[16] = "80";
    snprintf(hostport, sizeof hostport, "%.*s", (int)(path - auth), auth);
    char *colon = strrchr(hostport, ':'), *rb = strrchr(hostport, ']');
    if (colon && (!rb || colon > rb)) {
        snprintf(port, sizeof port, "%s", colon + 1);
        snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    } else {
        snprintf(host, sizeof host, "%s", hostport);
    }
    if (host[0] == '[') { /* [v6] */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    snprintf(a->base, sizeof a->base, "%s", path);
    if (a->base[0] && a->base[strlen(a->base) - 1] == '/') a->base[strlen(a->base) - 1] = '\0';
    snprintf(a->host, sizeof a->host, "%s", host_header ? host_header : hostport);

    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    int err = getaddrinfo(host, port, &hints, &res); /* once, at startup */
    if (err) {
        fprintf(stderr, "dmsc-example-cart: %s: %s\n", url, gai_strerror(err));
        return false;
    }
    memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
    a->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

static void usage(FILE *f)
{
    fputs("usage: dmsc-example-cart [--listen HOST:PORT] [--name NAME]\n"
          "                         [--catalog-url http://HOST:PORT] [--catalog-host HOST]\n"
          "  --listen HOST:PORT  address to serve (default 127.0.0.1:8081; port 0 picks one,\n"
          "                      printed as \"listening on HOST:PORT\")\n"
          "  --name NAME         instance name, sent in X-Instance and JSON (default cart)\n"
          "  --catalog-url URL   where the catalog is called (default http://127.0.0.1:8080)\n"
          "  --catalog-host HOST Host header of those calls (default: the URL's HOST:PORT)\n",
          f);
}

int main(int argc, char **argv)
{
    const char *listen_addr = "127.0.0.1:8081", *name = "cart";
    const char *url = "http://127.0.0.1:8080", *host = NULL;
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"catalog-url", required_argument, NULL, 'u'},
                                         {"catalog-host", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    for (int o; (o = getopt_long(argc, argv, "l:n:u:H:h", opts, NULL)) != -1;) {
        if (o == 'l')
            listen_addr = optarg;
        else if (o == 'n')
            name = optarg;
        else if (o == 'u')
            url = optarg;
        else if (o == 'H')
            host = optarg;
        else {
            usage(o == 'h' ? stdout : stderr);
            return o == 'h' ? 0 : 2;
        }
    }
    static app_t app;
    if (!parse_catalog_url(&app, url, host)) {
        fprintf(stderr, "dmsc-example-cart: bad --catalog-url '%s' (want http://HOST:PORT)\n", url);
        return 2;
    }
    app.h = httpd_new(listen_addr, name, handle, &app);
    httpd_run(app.h);
}
