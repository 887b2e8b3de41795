/*
 * dmsc-example-catalog: a small product catalog over HTTP/1.1, the sample
 * service of the demo, the tests and the benchmarks.
 *
 *   dmsc-example-catalog --listen 127.0.0.1:0 --name catalog-a
 *
 *   GET  /health              200 "ok"
 *   GET  /items               {"instance":..,"items":[{"id":1,"name":..,"price":4.50},..]}
 *   GET  /items/<id>          {"id":1,"name":..,"price":4.50,"instance":..}, or 404
 *   GET  /blob?size=N&seed=S  N bytes (<= 1 GiB) of deterministic data, generated as
 *                             sent; &cache=<max-age> or &cache=no-store sets Cache-Control
 *   POST|PUT /echo            the body back (Content-Length if the request had one, else
 *                             chunked), with X-Body-Sha256 of what arrived
 *   POST /upload              {"bytes":N,"sha256":"..","instance":..}
 *   GET  /count               requests received so far, per path (query left out)
 *   GET  /slow?ms=N           answers after N ms (a timer: other connections go on)
 *   GET  /headers             the request's header fields as JSON
 *
 * Every response has "X-Instance: <name>". Blob bytes: the 64-bit words
 * splitmix64(seed + (k + 1) * 0x9e3779b97f4a7c15), k = 0, 1, ..., little
 * endian, cut to N bytes (byte i depends only on seed and i).
 */
#include "httpd.h"
#include "sha256.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PATHS 256            /* distinct paths counted; the rest as "other" */
#define ECHO_HOLD (1 << 20)      /* echo bodies up to this are answered whole, hash in a header */
#define BLOB_MAX (1ull << 30)    /* largest /blob */
#define SLOW_MAX_MS (10 * 60000) /* longest /slow */

typedef struct {
    char *path;
    uint64_t n;
} path_count_t;

typedef struct {
    httpd_t *h;
    path_count_t counts[MAX_PATHS];
    int ncounts;
    uint64_t other, total;
} catalog_t;

static const struct {
    int id;
    const char *name;
    const char *price;
} items[] = {
    {1, "Espresso cup", "4.50"},  {2, "Moka pot", "29.90"},     {3, "Coffee beans 1 kg", "18.00"},
    {4, "Milk frother", "24.75"}, {5, "Burr grinder", "89.00"},
};
#define NITEMS (int)(sizeof items / sizeof items[0])

/* ---- small helpers ---- */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > max) return false;
    *out = v;
    return true;
}

static void json_start(httpd_buf_t *b, httpd_conn_t *c)
{
    httpd_buf_printf(b, "{\"instance\":");
    httpd_buf_json(b, httpd_name(httpd_server(c)));
}

static void json_send(httpd_conn_t *c, int status, httpd_buf_t *b)
{
    httpd_buf_printf(b, "}\n");
    httpd_respond_json(c, status, b);
    httpd_buf_free(b);
}

static void json_error(httpd_conn_t *c, int status, const char *msg)
{
    httpd_buf_t b = {0};
    json_start(&b, c);
    httpd_buf_printf(&b, ",\"error\":");
    httpd_buf_json(&b, msg);
    json_send(c, status, &b);
}

/* ---- /count ---- */

static void count(catalog_t *cat, const char *path)
{
    cat->total++;
    for (int i = 0; i < cat->ncounts; i++)
        if (strcmp(cat->counts[i].path, path) == 0) {
            cat->counts[i].n++;
            return;
        }
    if (cat->ncounts == MAX_PATHS) {
        cat->other++;
        return;
    }
    char *copy = strdup(path);
    if (!copy) abort();
    cat->counts[cat->ncounts++] = (path_count_t){copy, 1};
}

static void get_count(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    httpd_buf_t b = {0};
    json_start(&b, c);
    httpd_buf_printf(&b, ",\"total\":%" PRIu64 ",\"other\":%" PRIu64 ",\"paths\":{", cat->total,
                     cat->other);
    for (int i = 0; i < cat->ncounts; i++) {
        if (i) httpd_buf_printf(&b, ",");
        httpd_buf_json(&b, cat->counts[i].path);
        httpd_buf_printf(&b, ":%" PRIu64, cat->counts[i].n);
    }
    httpd_buf_printf(&b, "}");
    json_send(c, 200, &b);
}

/* ---- /items ---- */

static void item_json(httpd_buf_t *b, int i)
{
    httpd_buf_printf(b, "\"id\":%d,\"name\":", items[i].id);
    httpd_buf_json(b, items[i].name);
    httpd_buf_printf(b, ",\"price\":%s", items[i].price);
}

static void get_items(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    httpd_buf_t b = {0};
    json_start(&b, c);
    httpd_buf_printf(&b, ",\"items\":[");
    for (int i = 0; i < NITEMS; i++) {
        httpd_buf_printf(&b, "%s{", i ? "," : "");
        item_json(&b, i);
        httpd_buf_printf(&b, "}");
    }
    httpd_buf_printf(&b, "]");
    json_send(c, 200, &b);
}

static void get_item(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    const char *id = r->path + strlen("/items/");
    uint64_t n;
    for (int i = 0; parse_u64(id, INT32_MAX, &n) && i < NITEMS; i++) {
        if (items[i].id != (int)n) continue;
        httpd_buf_t b = {0};
        httpd_buf_printf(&b, "{");
        item_json(&b, i);
        httpd_buf_printf(&b, ",\"instance\":");
        httpd_buf_json(&b, httpd_name(httpd_server(c)));
        json_send(c, 200, &b);
        return;
    }
    json_error(c, 404, "no such item");
}

/* ---- /blob ---- */

typedef struct {
    uint64_t seed, size, off;
} blob_t;

static uint64_t blob_word(uint64_t seed, uint64_t k)
{
    uint64_t z = seed + (k + 1) * 0x9e3779b97f4a7c15ull; /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void blob_fill(httpd_conn_t *c, void *arg)
{
    blob_t *b = arg; /* b->off is a multiple of 8 here: every call but the last writes 64 KiB */
    uint8_t chunk[65536];
    size_t n = b->size - b->off < sizeof chunk ? (size_t)(b->size - b->off) : sizeof chunk;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = blob_word(b->seed, (b->off + i) / 8);
        uint8_t le[8];
        for (int j = 0; j < 8; j++)
            le[j] = (uint8_t)(w >> (8 * j));
        memcpy(chunk + i, le, n - i < 8 ? n - i : 8);
    }
    httpd_write(c, chunk, n);
    b->off += n;
    if (b->off == b->size) httpd_end(c, NULL);
}

static void free_arg(httpd_conn_t *c, void *arg)
{
    free(arg);
}

static void get_blob(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    char v[32];
    uint64_t size = 1024, seed = 0, maxage;
    if (httpd_query(r, "size", v, sizeof v) && !parse_u64(v, BLOB_MAX, &size)) {
        json_error(c, 400, "size: 0..1073741824");
        return;
    }
    if (httpd_query(r, "seed", v, sizeof v) && !parse_u64(v, UINT64_MAX, &seed)) {
        json_error(c, 400, "seed: an unsigned integer");
        return;
    }
    char cache[64] = "";
    if (httpd_query(r, "cache", v, sizeof v)) {
        if (strcmp(v, "no-store") == 0)
            snprintf(cache, sizeof cache, "Cache-Control: no-store\r\n");
        else if (parse_u64(v, UINT32_MAX, &maxage))
            snprintf(cache, sizeof cache, "Cache-Control: public, max-age=%" PRIu64 "\r\n", maxage);
        else {
            json_error(c, 400, "cache: <max-age seconds> or no-store");
            return;
        }
    }
    httpd_begin(c, 200, "application/octet-stream", (int64_t)size, "%s", cache);
    if (size == 0) {
        httpd_end(c, NULL);
        return;
    }
    blob_t *b = calloc(1, sizeof *b);
    if (!b) abort();
    *b = (blob_t){seed, size, 0};
    httpd_on_done(c, free_arg, b);
    httpd_fill(c, blob_fill, b);
}

/* ---- /echo and /upload ---- */

typedef struct {
    sha256_t sha;
    uint64_t bytes;
    httpd_buf_t hold; /* echo: the body so far, until it passes ECHO_HOLD */
    bool streaming;   /* echo: the response has started */
} body_t;

static void body_free(httpd_conn_t *c, void *arg)
{
    body_t *b = arg;
    httpd_buf_free(&b->hold);
    free(b);
}

static body_t *body_new(httpd_conn_t *c)
{
    body_t *b = calloc(1, sizeof *b);
    if (!b) abort();
    sha256_init(&b->sha);
    httpd_on_done(c, body_free, b);
    return b;
}

static const char *body_type(const httpd_req_t *r)
{
    const char *t = httpd_header(r, "Content-Type");
    return t ? t : "application/octet-stream";
}

static void echo_data(httpd_conn_t *c, const char *data, size_t len, void *arg)
{
    body_t *b = arg;
    sha256_update(&b->sha, data, len);
    b->bytes += len;
    if (!b->streaming && b->hold.len + len <= ECHO_HOLD) {
        httpd_buf_add(&b->hold, data, len);
        return;
    }
    if (!b->streaming) { /* too big to hold: start now, the hash comes as a trailer if chunked */
        const httpd_req_t *r = httpd_request(c);
        httpd_begin(c, 200, body_type(r), r->content_length, "%s",
                    r->content_length < 0 ? "Trailer: X-Body-Sha256\r\n" : "");
        httpd_write(c, b->hold.p, b->hold.len);
        httpd_buf_free(&b->hold);
        b->streaming = true;
    }
    httpd_write(c, data, len);
}

static void echo_end(httpd_conn_t *c, void *arg)
{
    body_t *b = arg;
    char hex[65], trailer[96];
    sha256_hex(&b->sha, hex);
    if (b->streaming) {
        snprintf(trailer, sizeof trailer, "X-Body-Sha256: %s\r\n", hex);
        httpd_end(c, trailer);
        return;
    }
    const httpd_req_t *r = httpd_request(c);
    httpd_begin(c, 200, body_type(r), r->content_length < 0 ? -1 : (int64_t)b->hold.len,
                "X-Body-Sha256: %s\r\n", hex);
    httpd_write(c, b->hold.p, b->hold.len);
    httpd_end(c, NULL);
}

static void upload_data(httpd_conn_t *c, const char *data, size_t len, void *arg)
{
    body_t *b = arg;
    sha256_update(&b->sha, data, len);
    b->bytes += len;
}

static void upload_end(httpd_conn_t *c, void *arg)
{
    body_t *b = arg;
    char hex[65];
    sha256_hex(&b->sha, hex);
    httpd_buf_t j = {0};
    httpd_buf_printf(&j, "{\"bytes\":%" PRIu64 ",\"sha256\":\"%s\",\"instance\":", b->bytes, hex);
    httpd_buf_json(&j, httpd_name(httpd_server(c)));
    json_send(c, 200, &j);
}

/* ---- /slow and /headers ---- */

static void slow_done(httpd_conn_t *c, void *arg)
{
    httpd_buf_t b = {0};
    json_start(&b, c);
    httpd_buf_printf(&b, ",\"slept_ms\":%d", (int)(intptr_t)arg);
    json_send(c, 200, &b);
}

static void get_slow(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    char v[32];
    uint64_t ms = 0;
    if (!httpd_query(r, "ms", v, sizeof v) || !parse_u64(v, SLOW_MAX_MS, &ms)) {
        json_error(c, 400, "ms: 0..600000");
        return;
    }
    httpd_after(c, (int)ms, slow_done, (void *)(intptr_t)ms);
}

/* {"headers":{"host":"..",..}}: names lower-cased, repeated fields joined with ", " */
static void get_headers(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    httpd_buf_t b = {0};
    json_start(&b, c);
    httpd_buf_printf(&b, ",\"method\":");
    httpd_buf_json(&b, r->method);
    httpd_buf_printf(&b, ",\"target\":");
    httpd_buf_json(&b, r->target);
    httpd_buf_printf(&b, ",\"version\":\"HTTP/1.%d\",\"peer\":\"%s\",\"headers\":{",
                     r->version % 10, r->peer);
    for (int i = 0, first = 1; i < r->nheaders; i++) {
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = strcasecmp(r->headers[k].name, r->headers[i].name) == 0;
        if (seen) continue;
        char name[256];
        snprintf(name, sizeof name, "%s", r->headers[i].name);
        for (char *p = name; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        httpd_buf_t v = {0};
        for (int k = i; k < r->nheaders; k++)
            if (strcasecmp(r->headers[k].name, r->headers[i].name) == 0)
                httpd_buf_printf(&v, "%s%s", v.len ? ", " : "", r->headers[k].value);
        httpd_buf_printf(&b, "%s", first ? "" : ",");
        httpd_buf_json(&b, name);
        httpd_buf_printf(&b, ":");
        httpd_buf_json(&b, v.p);
        httpd_buf_free(&v);
        first = 0;
    }
    httpd_buf_printf(&b, "}");
    json_send(c, 200, &b);
}

/* ---- routing ---- */

static void get_health(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    httpd_respond(c, 200, "text/plain", "ok", 2);
}

static void post_echo(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    httpd_read_body(c, echo_data, echo_end, body_new(c));
}

static void post_upload(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat)
{
    httpd_read_body(c, upload_data, upload_end, body_new(c));
}

static const struct {
    const char *path;
    bool prefix;       /* path is a prefix: "/items/" matches "/items/42" */
    const char *allow; /* methods, NULL: any */
    void (*fn)(httpd_conn_t *c, const httpd_req_t *r, catalog_t *cat);
} routes[] = {
    {"/health", false, "GET, HEAD", get_health}, {"/items", false, "GET, HEAD", get_items},
    {"/items/", true, "GET, HEAD", get_item},    {"/blob", false, "GET, HEAD", get_blob},
    {"/echo", false, "POST, PUT", post_echo},    {"/upload", false, "POST, PUT", post_upload},
    {"/count", false, "GET, HEAD", get_count},   {"/slow", false, "GET, HEAD", get_slow},
    {"/headers", false, NULL, get_headers},
};

/* `method` is one of the comma-separated `allow` */
static bool allowed(const char *allow, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = allow; (p = strstr(p, method)); p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) return true;
    return false;
}

static void handle(httpd_conn_t *c, const httpd_req_t *r, void *app)
{
    catalog_t *cat = app;
    count(cat, r->path);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        size_t n = strlen(routes[i].path);
        if (routes[i].prefix ? strncmp(r->path, routes[i].path, n) != 0
                             : strcmp(r->path, routes[i].path) != 0)
            continue;
        if (routes[i].allow && !allowed(routes[i].allow, r->method)) {
            httpd_begin(c, 405, "text/plain", 19, "Allow: %s\r\n", routes[i].allow);
            httpd_write(c, "method not allowed\n", 19);
            httpd_end(c, NULL);
        } else {
            routes[i].fn(c, r, cat);
        }
        return;
    }
    json_error(c, 404, "not found");
}

static void usage(FILE *f)
{
    fputs("usage: dmsc-example-catalog [--listen HOST:PORT] [--name NAME]\n"
          "  --listen HOST:PORT  address to serve (default 127.0.0.1:8080; port 0 picks one,\n"
          "                      printed as \"listening on HOST:PORT\")\n"
          "  --name NAME         instance name, sent in X-Instance and JSON (default catalog)\n",
          f);
}

int main(int argc, char **argv)
{
    const char *listen_addr = "127.0.0.1:8080", *name = "catalog";
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    for (int o; (o = getopt_long(argc, argv, "l:n:h", opts, NULL)) != -1;) {
        if (o == 'l')
            listen_addr = optarg;
        else if (o == 'n')
            name = optarg;
        else {
            usage(o == 'h' ? stdout : stderr);
            return o == 'h' ? 0 : 2;
        }
    }
    static catalog_t cat; /* big (path table): not on the stack */
    cat.h = httpd_new(listen_addr, name, handle, &cat);
    httpd_run(cat.h);
}
