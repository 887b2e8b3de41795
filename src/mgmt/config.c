/*
 * dmscd configuration: defaults, YAML (libyaml document API), resolution of
 * the Unix socket path. Every key accepted here is documented in
 * docs/config.md; keep the two in step.
 */
#include "mgmt/config.h"
#include "gw/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "base/err.h"
#include "ndn/name.h"

#define CONFIG_FILE_MAX (4u << 20)

void dmsc_config_default(dmsc_config_t *c)
{
    memset(c, 0, sizeof *c);
    char host[256];
    if (gethostname(host, sizeof host) != 0 || !host[0]) strcpy(host, "localhost");
    host[sizeof host - 1] = 0;
    /* first label only, and only characters that need no escaping */
    for (char *p = host; *p; p++) {
        if (*p == '.') {
            *p = 0;
            break;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            *p = '-';
    }
    snprintf(c->node_name, sizeof c->node_name, "/dmsc/node/%s", host);
    c->log_level = DMSC_LOG_LEVEL_INFO;

    c->udp.enabled = true;
    strcpy(c->udp.bind, "0.0.0.0");
    c->udp.port = DMSC_DEFAULT_PORT;
    c->tcp.enabled = true;
    strcpy(c->tcp.bind, "0.0.0.0");
    c->tcp.port = DMSC_DEFAULT_PORT;
    c->unix_sock.enabled = true;
    c->unix_sock.path_auto = true;
    c->unix_sock.mode = 0666;
    c->admin.enabled = true;
    strcpy(c->admin.bind, DMSC_DEFAULT_ADMIN_BIND);
    c->admin.port = DMSC_DEFAULT_ADMIN_PORT;

    dmsc_facetable_config_default(&c->faces);
    dmsc_fw_config_default(&c->fw);
    c->fw.max_packet = c->faces.max_packet;

    c->routing.enabled = DMSC_ROUTING_AUTO;
    strcpy(c->routing.domain, "/dmsc");
    c->routing.hello_interval_ms = 200;
    c->routing.dead_misses = 4;
    c->routing.adopt = true;
    c->routing.discovery.enabled = false;
    strcpy(c->routing.discovery.group, "224.0.23.170");
    c->routing.discovery.port = 56363;
    c->routing.discovery.interval_ms = 1000;
    c->routing.discovery.n_interfaces = 0;

    c->gateway.enabled = true;
    c->gateway.http.enabled = true;
    strcpy(c->gateway.http.bind, "127.0.0.1");
    c->gateway.http.port = DMSC_DEFAULT_GW_PORT;
    c->gateway.unix_enabled = true;
    c->gateway.unix_auto = true;
    c->gateway.timeout_ms = 10000;
    c->gateway.body_max = 64ull << 20;
    c->gateway.inline_max = 4096;
    c->gateway.segment_size = 8000;
    c->gateway.head_max = 16384;
    c->gateway.buffer_max = 256ull << 20;
    c->gateway.max_connections = 1024;
}

void dmsc_config_free(dmsc_config_t *c)
{
    free(c->static_faces);
    free(c->routes);
    free(c->routing.neighbors);
    free(c->gateway.hosts);
    free(c->gateway.paths);
    free(c->services);
    c->gateway.hosts = NULL;
    c->gateway.paths = NULL;
    c->services = NULL;
    c->gateway.n_hosts = c->gateway.n_paths = c->n_services = 0;
    c->static_faces = NULL;
    c->routes = NULL;
    c->routing.neighbors = NULL;
    c->n_static_faces = 0;
    c->n_routes = 0;
    c->routing.n_neighbors = 0;
}

/* *dst = a heap copy of n items (NULL when n is 0). 0 or DMSC_ENOMEM. */
static int dup_array(void **dst, const void *src, size_t n, size_t size)
{
    *dst = NULL;
    if (!n) return 0;
    *dst = malloc(n * size);
    if (!*dst) return DMSC_ENOMEM;
    memcpy(*dst, src, n * size);
    return 0;
}

int dmsc_config_copy(dmsc_config_t *dst, const dmsc_config_t *src)
{
    *dst = *src;
    dst->static_faces = NULL;
    dst->routes = NULL;
    dst->routing.neighbors = NULL;
    dst->gateway.hosts = NULL;
    dst->gateway.paths = NULL;
    dst->services = NULL;
    if (dup_array((void **)&dst->gateway.hosts, src->gateway.hosts, src->gateway.n_hosts,
                  sizeof *src->gateway.hosts) ||
        dup_array((void **)&dst->gateway.paths, src->gateway.paths, src->gateway.n_paths,
                  sizeof *src->gateway.paths) ||
        dup_array((void **)&dst->services, src->services, src->n_services, sizeof *src->services))
        goto fail;
    if (src->routing.n_neighbors) {
        dst->routing.neighbors = malloc(src->routing.n_neighbors * sizeof *dst->routing.neighbors);
        if (!dst->routing.neighbors) goto fail;
        memcpy(dst->routing.neighbors, src->routing.neighbors,
               src->routing.n_neighbors * sizeof *dst->routing.neighbors);
    }
    if (src->n_static_faces) {
        dst->static_faces = malloc(src->n_static_faces * sizeof *dst->static_faces);
        if (!dst->static_faces) goto fail;
        memcpy(dst->static_faces, src->static_faces,
               src->n_static_faces * sizeof *dst->static_faces);
    }
    if (src->n_routes) {
        dst->routes = malloc(src->n_routes * sizeof *dst->routes);
        if (!dst->routes) goto fail;
        memcpy(dst->routes, src->routes, src->n_routes * sizeof *dst->routes);
    }
    return 0;
fail:
    free(dst->static_faces);
    free(dst->routing.neighbors);
    free(dst->gateway.hosts);
    free(dst->gateway.paths);
    free(dst->services);
    dst->gateway.hosts = NULL;
    dst->gateway.paths = NULL;
    dst->services = NULL;
    dst->gateway.n_hosts = dst->gateway.n_paths = dst->n_services = 0;
    dst->static_faces = NULL;
    dst->routing.neighbors = NULL;
    dst->routing.n_neighbors = 0;
    dst->n_static_faces = 0;
    dst->n_routes = 0;
    return DMSC_ENOMEM;
}

/* ---- YAML walking ---- */

typedef struct {
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    char path[256]; /* dotted key path of the node being read */
} ctx_t;

__attribute__((format(printf, 3, 4))) static int fail(ctx_t *x, const yaml_node_t *n,
                                                      const char *fmt, ...)
{
    if (x->err && x->errlen) {
        int k =
            snprintf(x->err, x->errlen,
                     "line %lu: %s: ", n ? (unsigned long)n->start_mark.line + 1 : 0UL, x->path);
        if (k >= 0 && (size_t)k < x->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(x->err + k, x->errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return DMSC_EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_str(ctx_t *x, const yaml_node_t *n, char *out, size_t cap)
{
    const char *s = scalar(n);
    if (!s) return fail(x, n, "expected a string");
    if (strlen(s) >= cap) return fail(x, n, "longer than %zu bytes", cap - 1);
    strcpy(out, s);
    return 0;
}

static int get_bool(ctx_t *x, const yaml_node_t *n, bool *out)
{
    const char *s = scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) {
        *out = true;
        return 0;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) {
        *out = false;
        return 0;
    }
    return fail(x, n, "expected true or false");
}

static int parse_u64(const char *s, int base, uint64_t *v, const char **rest)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return -1;
    errno = 0;
    unsigned long long r = strtoull(s, &end, base);
    if (errno || end == s) return -1;
    *v = r;
    *rest = end;
    return 0;
}

static int get_uint(ctx_t *x, const yaml_node_t *n, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *s = scalar(n), *rest;
    uint64_t v;
    if (!s || parse_u64(s, 10, &v, &rest) || *rest || v < min || v > max)
        return fail(x, n, "expected an integer %llu..%llu", (unsigned long long)min,
                    (unsigned long long)max);
    *out = v;
    return 0;
}

/* Sizes: an integer with an optional binary suffix K, M, G (or KiB, MiB, GiB). */
static int get_size(ctx_t *x, const yaml_node_t *n, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *s = scalar(n), *rest;
    uint64_t v, mul = 1;
    if (!s || parse_u64(s, 10, &v, &rest))
        return fail(x, n, "expected a size (bytes, or with K, M, G)");
    if (!strcmp(rest, "") || !strcmp(rest, "B"))
        mul = 1;
    else if (!strcmp(rest, "K") || !strcmp(rest, "KiB") || !strcmp(rest, "k"))
        mul = 1ull << 10;
    else if (!strcmp(rest, "M") || !strcmp(rest, "MiB"))
        mul = 1ull << 20;
    else if (!strcmp(rest, "G") || !strcmp(rest, "GiB"))
        mul = 1ull << 30;
    else
        return fail(x, n, "unknown size suffix \"%s\" (K, M, G)", rest);
    if (v > max / mul || v * mul < min || v * mul > max)
        return fail(x, n, "size out of range %llu..%llu bytes", (unsigned long long)min,
                    (unsigned long long)max);
    *out = v * mul;
    return 0;
}

/* Durations: an integer with a unit ms, s, m, h; a bare integer is seconds. */
static int get_duration_ms(ctx_t *x, const yaml_node_t *n, uint64_t min_ms, uint64_t max_ms,
                           uint64_t *out)
{
    const char *s = scalar(n), *rest;
    uint64_t v, mul;
    if (!s || parse_u64(s, 10, &v, &rest))
        return fail(x, n, "expected a duration (e.g. 500ms, 25s, 10m)");
    if (!strcmp(rest, "ms"))
        mul = 1;
    else if (!strcmp(rest, "") || !strcmp(rest, "s"))
        mul = 1000;
    else if (!strcmp(rest, "m"))
        mul = 60000;
    else if (!strcmp(rest, "h"))
        mul = 3600000;
    else
        return fail(x, n, "unknown duration unit \"%s\" (ms, s, m, h)", rest);
    if (v > max_ms / mul || v * mul < min_ms || v * mul > max_ms)
        return fail(x, n, "duration out of range %llums..%llums", (unsigned long long)min_ms,
                    (unsigned long long)max_ms);
    *out = v * mul;
    return 0;
}

static int get_addr(ctx_t *x, const yaml_node_t *n, char *out)
{
    const char *s = scalar(n);
    unsigned char buf[16];
    if (!s || (inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1))
        return fail(x, n, "expected a numeric IPv4 or IPv6 address");
    return get_str(x, n, out, DMSC_CONFIG_ADDR_MAX);
}

static int get_name(ctx_t *x, const yaml_node_t *n, char *out)
{
    const char *s = scalar(n);
    if (!s) return fail(x, n, "expected an NDN name");
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    if (!nb) return DMSC_ENOMEM;
    int rc = dmsc_namebuf_from_uri(nb, s);
    free(nb);
    if (rc) return fail(x, n, "not a valid NDN name (%s)", dmsc_strerror(rc));
    return get_str(x, n, out, DMSC_CONFIG_NAME_MAX);
}

static int get_face_uri(ctx_t *x, const yaml_node_t *n, char *out)
{
    const char *s = scalar(n);
    if (!s) return fail(x, n, "expected a face URI");
    if (strncmp(s, "udp", 3) && strncmp(s, "tcp", 3) && strncmp(s, "unix://", 7))
        return fail(x, n, "expected udp4://, udp6://, tcp4://, tcp6://, udp://, tcp:// or unix://");
    return get_str(x, n, out, DMSC_FACE_URI_MAX);
}

/* Iterate a mapping: for each pair, cb(key, value). Unknown keys fail. */
typedef int (*pair_fn)(ctx_t *x, void *obj, const char *key, yaml_node_t *v);

static int walk_map(ctx_t *x, yaml_node_t *n, void *obj, pair_fn fn)
{
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
        return 0; /* "key:" with nothing: keep defaults */
    if (n->type != YAML_MAPPING_NODE) return fail(x, n, "expected a mapping");
    size_t plen = strlen(x->path);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        const char *key = scalar(k);
        if (!key) return fail(x, k, "keys must be strings");
        snprintf(x->path + plen, sizeof x->path - plen, "%s%s", plen ? "." : "", key);
        int rc = fn(x, obj, key, v);
        if (rc == 1) rc = fail(x, k, "unknown key");
        if (rc) return rc;
        x->path[plen] = 0;
    }
    return 0;
}

/* ---- sections ---- */

static int node_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    if (!strcmp(key, "name")) return get_name(x, v, c->node_name);
    return 1;
}

static int log_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    if (!strcmp(key, "level")) {
        const char *s = scalar(v);
        int l = s ? dmsc_log_level_parse(s) : -1;
        if (l < 0) return fail(x, v, "expected error, warn, info, debug or trace");
        c->log_level = l;
        return 0;
    }
    return 1;
}

static int listen_common(ctx_t *x, dmsc_config_listen_t *l, const char *key, yaml_node_t *v)
{
    uint64_t u;
    int rc;
    if (!strcmp(key, "enabled")) return get_bool(x, v, &l->enabled);
    if (!strcmp(key, "bind")) return get_addr(x, v, l->bind);
    if (!strcmp(key, "port")) {
        if ((rc = get_uint(x, v, 0, 65535, &u))) return rc;
        l->port = (uint16_t)u;
        return 0;
    }
    return 1;
}

static int udp_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    uint64_t u;
    int rc = listen_common(x, &c->udp, key, v);
    if (rc != 1) return rc;
    if (!strcmp(key, "mtu")) {
        if ((rc = get_uint(x, v, 576, 65507, &u))) return rc;
        c->faces.udp_mtu = (uint32_t)u;
        return 0;
    }
    if (!strcmp(key, "idle_timeout"))
        return get_duration_ms(x, v, 1000, 86400000ull * 365, &c->faces.udp_idle_timeout_ms);
    if (!strcmp(key, "keepalive_interval"))
        return get_duration_ms(x, v, 0, 86400000ull, &c->faces.udp_keepalive_ms);
    return 1;
}

static int tcp_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    int rc = listen_common(x, &c->tcp, key, v);
    if (rc != 1) return rc;
    if (!strcmp(key, "connect_timeout"))
        return get_duration_ms(x, v, 100, 600000, &c->faces.connect_timeout_ms);
    return 1;
}

static int unix_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    if (!strcmp(key, "enabled")) return get_bool(x, v, &c->unix_sock.enabled);
    if (!strcmp(key, "path")) {
        const char *s = scalar(v);
        if (s && !strcmp(s, "auto")) {
            c->unix_sock.path_auto = true;
            c->unix_sock.path[0] = 0;
            return 0;
        }
        if (!s || s[0] != '/') return fail(x, v, "expected an absolute path or \"auto\"");
        c->unix_sock.path_auto = false;
        return get_str(x, v, c->unix_sock.path, sizeof c->unix_sock.path);
    }
    if (!strcmp(key, "mode")) {
        const char *s = scalar(v), *rest;
        uint64_t m;
        if (!s || parse_u64(s, 8, &m, &rest) || *rest || m > 0777)
            return fail(x, v, "expected octal permission bits such as \"0660\"");
        c->unix_sock.mode = (unsigned)m;
        return 0;
    }
    return 1;
}

static int listen_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    if (!strcmp(key, "udp")) return walk_map(x, v, obj, udp_pair);
    if (!strcmp(key, "tcp")) return walk_map(x, v, obj, tcp_pair);
    if (!strcmp(key, "unix")) return walk_map(x, v, obj, unix_pair);
    return 1;
}

static int admin_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    return listen_common(x, &c->admin, key, v);
}

static int persistency_of(const char *s)
{
    if (s && !strcmp(s, "persistent")) return DMSC_FACE_PERSISTENT;
    if (s && !strcmp(s, "permanent")) return DMSC_FACE_PERMANENT;
    return -1;
}

static int static_face_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_face_t *f = obj;
    if (!strcmp(key, "uri")) return get_face_uri(x, v, f->uri);
    if (!strcmp(key, "persistency")) {
        int p = persistency_of(scalar(v));
        if (p < 0) return fail(x, v, "expected persistent or permanent");
        f->persistency = p;
        return 0;
    }
    if (!strcmp(key, "local_fields")) {
        bool b;
        int rc = get_bool(x, v, &b);
        if (rc) return rc;
        f->flags = b ? (f->flags | DMSC_FACE_FLAG_LOCAL_FIELDS)
                     : (f->flags & ~(uint32_t)DMSC_FACE_FLAG_LOCAL_FIELDS);
        return 0;
    }
    return 1;
}

/* Parse a sequence of mappings into a fresh array of `size`-byte items. */
static int walk_list(ctx_t *x, yaml_node_t *n, size_t size, size_t max, void (*init)(void *item),
                     pair_fn fn, int (*check)(ctx_t *, yaml_node_t *, void *), void **out,
                     size_t *count)
{
    *out = NULL;
    *count = 0;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0) return 0;
    if (n->type != YAML_SEQUENCE_NODE) return fail(x, n, "expected a list");
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (len > max) return fail(x, n, "more than %zu entries", max);
    if (len == 0) return 0;
    uint8_t *arr = calloc(len, size);
    if (!arr) return DMSC_ENOMEM;
    size_t plen = strlen(x->path);
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *item = yaml_document_get_node(x->doc, n->data.sequence.items.start[i]);
        snprintf(x->path + plen, sizeof x->path - plen, "[%zu]", i);
        init(arr + i * size);
        int rc = walk_map(x, item, arr + i * size, fn);
        if (!rc) rc = check(x, item, arr + i * size);
        if (rc) {
            free(arr);
            return rc;
        }
        x->path[plen] = 0;
    }
    *out = arr;
    *count = len;
    return 0;
}

static void static_face_init(void *item)
{
    dmsc_config_face_t *f = item;
    f->persistency = DMSC_FACE_PERMANENT;
}

static int static_face_check(ctx_t *x, yaml_node_t *n, void *item)
{
    dmsc_config_face_t *f = item;
    if (!f->uri[0]) return fail(x, n, "uri is required");
    return 0;
}

static int faces_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    uint64_t u;
    int rc;
    if (!strcmp(key, "max_packet")) {
        if ((rc = get_size(x, v, 1024, DMSC_TLV_MAX_PACKET, &u))) return rc;
        c->faces.max_packet = (size_t)u;
        c->fw.max_packet = (size_t)u;
        return 0;
    }
    if (!strcmp(key, "send_queue")) {
        if ((rc = get_size(x, v, 16384, 1ull << 30, &u))) return rc;
        c->faces.send_queue_max = (size_t)u;
        return 0;
    }
    if (!strcmp(key, "app_queue")) {
        if ((rc = get_size(x, v, 65536, 1ull << 30, &u))) return rc;
        c->faces.app_queue_max = (size_t)u;
        return 0;
    }
    if (!strcmp(key, "max_faces")) {
        if ((rc = get_uint(x, v, 1, 1u << 24, &u))) return rc;
        c->faces.max_faces = (uint32_t)u;
        return 0;
    }
    if (!strcmp(key, "static")) {
        void *arr;
        size_t n;
        rc = walk_list(x, v, sizeof(dmsc_config_face_t), DMSC_CONFIG_MAX_FACES, static_face_init,
                       static_face_pair, static_face_check, &arr, &n);
        if (rc) return rc;
        free(c->static_faces);
        c->static_faces = arr;
        c->n_static_faces = n;
        return 0;
    }
    return 1;
}

static int fw_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_fw_config_t *f = &((dmsc_config_t *)obj)->fw;
    uint64_t u;
    int rc;
    struct {
        const char *key;
        size_t *dst;
        uint64_t min, max;
        bool size;
    } nums[] = {
        {"pit_max", &f->pit_max, 1, 1u << 26, false},
        {"pit_max_per_face", &f->pit_max_per_face, 1, 1u << 26, false},
        {"cs_max_entries", &f->cs_max_entries, 0, 1u << 28, false},
        {"cs_max_bytes", &f->cs_max_bytes, 0, 1ull << 40, true},
        {"dnl_max", &f->dnl_max, 1, 1u << 26, false},
        {"fib_max", &f->fib_max, 1, 1u << 26, false},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(key, nums[i].key)) continue;
        rc = nums[i].size ? get_size(x, v, nums[i].min, nums[i].max, &u)
                          : get_uint(x, v, nums[i].min, nums[i].max, &u);
        if (rc) return rc;
        *nums[i].dst = (size_t)u;
        return 0;
    }
    if (!strcmp(key, "dnl_lifetime")) {
        if ((rc = get_duration_ms(x, v, 1, 3600000, &u))) return rc;
        f->dnl_lifetime_ns = u * 1000000ull;
        return 0;
    }
    if (!strcmp(key, "max_interest_lifetime")) {
        if ((rc = get_duration_ms(x, v, 1, 3600000, &u))) return rc;
        f->max_lifetime_ns = u * 1000000ull;
        return 0;
    }
    return 1;
}

static int route_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_route_t *r = obj;
    if (!strcmp(key, "prefix")) return get_name(x, v, r->prefix);
    if (!strcmp(key, "face")) return get_face_uri(x, v, r->face);
    if (!strcmp(key, "cost")) return get_uint(x, v, 0, 65535, &r->cost);
    return 1;
}

static void route_init(void *item)
{
    (void)item; /* calloc'd: cost 0 */
}

static int route_check(ctx_t *x, yaml_node_t *n, void *item)
{
    dmsc_config_route_t *r = item;
    if (!r->prefix[0]) return fail(x, n, "prefix is required");
    if (!r->face[0]) return fail(x, n, "face is required");
    return 0;
}

/* A sequence of face URIs (routing.neighbors) into a fresh array. */
static int get_uri_list(ctx_t *x, yaml_node_t *n, char (**out)[DMSC_FACE_URI_MAX], size_t *count)
{
    *out = NULL;
    *count = 0;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0) return 0;
    if (n->type != YAML_SEQUENCE_NODE) return fail(x, n, "expected a list of face URIs");
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (len > DMSC_CONFIG_MAX_NEIGHBORS)
        return fail(x, n, "more than %d entries", DMSC_CONFIG_MAX_NEIGHBORS);
    if (len == 0) return 0;
    char(*arr)[DMSC_FACE_URI_MAX] = calloc(len, sizeof *arr);
    if (!arr) return DMSC_ENOMEM;
    size_t plen = strlen(x->path);
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *item = yaml_document_get_node(x->doc, n->data.sequence.items.start[i]);
        snprintf(x->path + plen, sizeof x->path - plen, "[%zu]", i);
        int rc = get_face_uri(x, item, arr[i]);
        if (rc) {
            free(arr);
            return rc;
        }
        x->path[plen] = 0;
    }
    *out = arr;
    *count = len;
    return 0;
}

static int discovery_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    if (!strcmp(key, "enabled")) return get_bool(x, v, &c->routing.discovery.enabled);
    if (!strcmp(key, "group")) {
        const char *s = scalar(v);
        struct in_addr a;
        if (!s || inet_pton(AF_INET, s, &a) != 1 || (ntohl(a.s_addr) >> 28) != 0xe)
            return fail(x, v, "expected an IPv4 multicast address (224.0.0.0/4)");
        return get_str(x, v, c->routing.discovery.group, sizeof c->routing.discovery.group);
    }
    if (!strcmp(key, "port")) {
        uint64_t p;
        int rc = get_uint(x, v, 1, 65535, &p);
        if (!rc) c->routing.discovery.port = (uint16_t)p;
        return rc;
    }
    if (!strcmp(key, "interval"))
        return get_duration_ms(x, v, 100, 60000, &c->routing.discovery.interval_ms);
    if (!strcmp(key, "interfaces")) {
        if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0) {
            c->routing.discovery.n_interfaces = 0;
            return 0;
        }
        if (v->type != YAML_SEQUENCE_NODE) return fail(x, v, "expected a list of interface names");
        size_t len = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (len > DMSC_CONFIG_MAX_IFACES)
            return fail(x, v, "more than %d entries", DMSC_CONFIG_MAX_IFACES);
        char tmp[DMSC_CONFIG_MAX_IFACES][16];
        for (size_t i = 0; i < len; i++) {
            yaml_node_t *item = yaml_document_get_node(x->doc, v->data.sequence.items.start[i]);
            const char *s = scalar(item);
            if (!s || !s[0]) return fail(x, item, "expected an interface name");
            int rc = get_str(x, item, tmp[i], sizeof tmp[i]);
            if (rc) return rc;
        }
        memcpy(c->routing.discovery.interfaces, tmp, sizeof tmp);
        c->routing.discovery.n_interfaces = len;
        return 0;
    }
    return 1;
}

static int routing_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    if (!strcmp(key, "enabled")) {
        const char *s = scalar(v);
        if (s && !strcmp(s, "auto")) {
            c->routing.enabled = DMSC_ROUTING_AUTO;
            return 0;
        }
        bool b;
        int rc = get_bool(x, v, &b);
        if (rc) return rc;
        c->routing.enabled = b ? DMSC_ROUTING_ON : DMSC_ROUTING_OFF;
        return 0;
    }
    if (!strcmp(key, "domain")) return get_name(x, v, c->routing.domain);
    if (!strcmp(key, "state_dir")) {
        const char *s = scalar(v);
        if (s && !strcmp(s, "auto")) {
            c->routing.state_dir[0] = 0;
            return 0;
        }
        if (!s || s[0] != '/') return fail(x, v, "expected an absolute path or auto");
        return get_str(x, v, c->routing.state_dir, sizeof c->routing.state_dir);
    }
    if (!strcmp(key, "hello_interval"))
        return get_duration_ms(x, v, 10, 60000, &c->routing.hello_interval_ms);
    if (!strcmp(key, "dead_misses")) {
        uint64_t m;
        int rc = get_uint(x, v, 1, 100, &m);
        if (!rc) c->routing.dead_misses = (uint32_t)m;
        return rc;
    }
    if (!strcmp(key, "adopt")) return get_bool(x, v, &c->routing.adopt);
    if (!strcmp(key, "discovery")) return walk_map(x, v, obj, discovery_pair);
    if (!strcmp(key, "neighbors")) {
        char(*arr)[DMSC_FACE_URI_MAX];
        size_t n;
        int rc = get_uri_list(x, v, &arr, &n);
        if (rc) return rc;
        free(c->routing.neighbors);
        c->routing.neighbors = arr;
        c->routing.n_neighbors = n;
        return 0;
    }
    return 1;
}

/* ---- gateway and services ---- */

static int gw_http_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    return listen_common(x, &c->gateway.http, key, v);
}

static int gw_host_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_gw_host_t *h = obj;
    if (!strcmp(key, "host")) return get_str(x, v, h->host, sizeof h->host);
    if (!strcmp(key, "prefix")) return get_name(x, v, h->prefix);
    return 1;
}

static int gw_host_check(ctx_t *x, yaml_node_t *n, void *item)
{
    dmsc_config_gw_host_t *h = item;
    if (!h->host[0] || !h->prefix[0]) return fail(x, n, "host and prefix are required");
    return 0;
}

static int gw_path_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_gw_path_t *p = obj;
    if (!strcmp(key, "path")) {
        const char *s = scalar(v);
        if (!s || s[0] != '/') return fail(x, v, "expected a path starting with /");
        return get_str(x, v, p->path, sizeof p->path);
    }
    if (!strcmp(key, "prefix")) return get_name(x, v, p->prefix);
    if (!strcmp(key, "strip")) return get_bool(x, v, &p->strip);
    return 1;
}

static int gw_path_check(ctx_t *x, yaml_node_t *n, void *item)
{
    dmsc_config_gw_path_t *p = item;
    if (!p->path[0] || !p->prefix[0]) return fail(x, n, "path and prefix are required");
    return 0;
}

static void zero_init(void *item)
{
    (void)item; /* calloc'd */
}

static int gateway_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    uint64_t u;
    int rc;
    if (!strcmp(key, "enabled")) return get_bool(x, v, &c->gateway.enabled);
    if (!strcmp(key, "http")) return walk_map(x, v, obj, gw_http_pair);
    if (!strcmp(key, "unix")) {
        const char *s = scalar(v);
        if (s && (!strcmp(s, "auto") || !strcmp(s, "on") || !strcmp(s, "true"))) {
            c->gateway.unix_enabled = c->gateway.unix_auto = true;
            c->gateway.unix_path[0] = 0;
            return 0;
        }
        if (s && (!strcmp(s, "off") || !strcmp(s, "false"))) {
            c->gateway.unix_enabled = false;
            return 0;
        }
        if (!s || s[0] != '/') return fail(x, v, "expected an absolute path, \"auto\" or \"off\"");
        c->gateway.unix_enabled = true;
        c->gateway.unix_auto = false;
        return get_str(x, v, c->gateway.unix_path, sizeof c->gateway.unix_path);
    }
    if (!strcmp(key, "timeout")) return get_duration_ms(x, v, 100, 3600000, &c->gateway.timeout_ms);
    if (!strcmp(key, "body_max")) return get_size(x, v, 0, 1ull << 40, &c->gateway.body_max);
    if (!strcmp(key, "inline_max")) return get_size(x, v, 0, 6144, &c->gateway.inline_max);
    if (!strcmp(key, "segment_size"))
        return get_size(x, v, 1024, DMSC_TLV_MAX_PACKET - 4096, &c->gateway.segment_size);
    if (!strcmp(key, "buffer_max"))
        return get_size(x, v, 1ull << 20, 1ull << 40, &c->gateway.buffer_max);
    if (!strcmp(key, "head_max"))
        return get_size(x, v, 1024, DMSC_HTTP_HEAD_MAX_LIMIT, &c->gateway.head_max);
    if (!strcmp(key, "max_connections")) {
        if ((rc = get_uint(x, v, 1, 1000000, &u))) return rc;
        c->gateway.max_connections = (uint32_t)u;
        return 0;
    }
    if (!strcmp(key, "hosts")) {
        void *arr;
        size_t n;
        rc = walk_list(x, v, sizeof(dmsc_config_gw_host_t), DMSC_CONFIG_MAX_GW_MAPS, zero_init,
                       gw_host_pair, gw_host_check, &arr, &n);
        if (rc) return rc;
        free(c->gateway.hosts);
        c->gateway.hosts = arr;
        c->gateway.n_hosts = n;
        return 0;
    }
    if (!strcmp(key, "paths")) {
        void *arr;
        size_t n;
        rc = walk_list(x, v, sizeof(dmsc_config_gw_path_t), DMSC_CONFIG_MAX_GW_MAPS, zero_init,
                       gw_path_pair, gw_path_check, &arr, &n);
        if (rc) return rc;
        free(c->gateway.paths);
        c->gateway.paths = arr;
        c->gateway.n_paths = n;
        return 0;
    }
    return 1;
}

static int health_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_svc_config_t *s = obj;
    uint64_t u;
    int rc;
    if (!strcmp(key, "path")) {
        const char *p = scalar(v);
        if (p && p[0] && p[0] != '/') return fail(x, v, "expected a path starting with / or \"\"");
        return get_str(x, v, s->health.path, sizeof s->health.path);
    }
    if (!strcmp(key, "interval") || !strcmp(key, "timeout")) {
        if ((rc = get_duration_ms(x, v, 50, 3600000, &u))) return rc;
        if (key[0] == 'i')
            s->health.interval_ms = (uint32_t)u;
        else
            s->health.timeout_ms = (uint32_t)u;
        return 0;
    }
    if (!strcmp(key, "unhealthy") || !strcmp(key, "healthy")) {
        if ((rc = get_uint(x, v, 1, 100, &u))) return rc;
        if (key[0] == 'u')
            s->health.unhealthy = (uint32_t)u;
        else
            s->health.healthy = (uint32_t)u;
        return 0;
    }
    return 1;
}

static int get_instance(ctx_t *x, yaml_node_t *n, char *out, size_t cap)
{
    const char *s = scalar(n);
    if (!s || !*s) return fail(x, n, "expected an instance address HOST:PORT");
    int rc = get_str(x, n, out, cap);
    if (rc) return rc;
    if (dmsc_svc_parse_addr(out, NULL) != 0)
        return fail(x, n, "expected a numeric HOST:PORT (\"127.0.0.1:8080\", \"[::1]:8080\")");
    return 0;
}

static int service_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_svc_config_t *s = obj;
    uint64_t u;
    int rc;
    if (!strcmp(key, "prefix")) return get_name(x, v, s->prefix);
    if (!strcmp(key, "host")) return get_str(x, v, s->host, sizeof s->host);
    if (!strcmp(key, "protocol")) {
        int p = dmsc_svc_protocol_parse(scalar(v));
        if (p < 0) return fail(x, v, "expected http1, h2c or grpc");
        s->protocol = p;
        return 0;
    }
    if (!strcmp(key, "max_connections")) {
        if ((rc = get_uint(x, v, 1, 100000, &u))) return rc;
        s->max_connections = (uint32_t)u;
        return 0;
    }
    if (!strcmp(key, "health")) return walk_map(x, v, obj, health_pair);
    if (!strcmp(key, "instances")) {
        if (v->type != YAML_SEQUENCE_NODE) return fail(x, v, "expected a list of HOST:PORT");
        size_t len = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (len > DMSC_SVC_MAX_INSTANCES)
            return fail(x, v, "more than %d instances", DMSC_SVC_MAX_INSTANCES);
        for (size_t i = 0; i < len; i++) {
            yaml_node_t *it = yaml_document_get_node(x->doc, v->data.sequence.items.start[i]);
            if ((rc = get_instance(x, it, s->instances[i], sizeof s->instances[i]))) return rc;
        }
        s->n_instances = len;
        return 0;
    }
    if (!strcmp(key, "metadata")) {
        if (v->type != YAML_MAPPING_NODE) return fail(x, v, "expected a map of strings");
        size_t len = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        if (len > DMSC_SVC_MAX_METADATA)
            return fail(x, v, "more than %d entries", DMSC_SVC_MAX_METADATA);
        for (size_t i = 0; i < len; i++) {
            yaml_node_pair_t *pr = &v->data.mapping.pairs.start[i];
            yaml_node_t *k = yaml_document_get_node(x->doc, pr->key);
            yaml_node_t *val = yaml_document_get_node(x->doc, pr->value);
            if ((rc = get_str(x, k, s->metadata[i].key, sizeof s->metadata[i].key))) return rc;
            if ((rc = get_str(x, val, s->metadata[i].value, sizeof s->metadata[i].value)))
                return rc;
        }
        s->n_metadata = len;
        return 0;
    }
    return 1;
}

static void service_init(void *item)
{
    dmsc_svc_config_default(item);
}

static int service_check(ctx_t *x, yaml_node_t *n, void *item)
{
    dmsc_svc_config_t *s = item;
    if (!s->prefix[0]) return fail(x, n, "prefix is required");
    if (!s->n_instances) return fail(x, n, "instances: at least one HOST:PORT is required");
    char why[256];
    if (dmsc_svc_config_check(s, why, sizeof why)) return fail(x, n, "%s", why);
    return 0;
}

static int root_pair(ctx_t *x, void *obj, const char *key, yaml_node_t *v)
{
    dmsc_config_t *c = obj;
    if (!strcmp(key, "node")) return walk_map(x, v, obj, node_pair);
    if (!strcmp(key, "log")) return walk_map(x, v, obj, log_pair);
    if (!strcmp(key, "listen")) return walk_map(x, v, obj, listen_pair);
    if (!strcmp(key, "admin")) return walk_map(x, v, obj, admin_pair);
    if (!strcmp(key, "faces")) return walk_map(x, v, obj, faces_pair);
    if (!strcmp(key, "forwarder")) return walk_map(x, v, obj, fw_pair);
    if (!strcmp(key, "routing")) return walk_map(x, v, obj, routing_pair);
    if (!strcmp(key, "gateway")) return walk_map(x, v, obj, gateway_pair);
    if (!strcmp(key, "services")) {
        void *arr;
        size_t n;
        int rc = walk_list(x, v, sizeof(dmsc_svc_config_t), DMSC_CONFIG_MAX_SERVICES, service_init,
                           service_pair, service_check, &arr, &n);
        if (rc) return rc;
        free(c->services);
        c->services = arr;
        c->n_services = n;
        return 0;
    }
    if (!strcmp(key, "routes")) {
        void *arr;
        size_t n;
        int rc = walk_list(x, v, sizeof(dmsc_config_route_t), DMSC_CONFIG_MAX_ROUTES, route_init,
                           route_pair, route_check, &arr, &n);
        if (rc) return rc;
        free(c->routes);
        c->routes = arr;
        c->n_routes = n;
        return 0;
    }
    return 1;
}

int dmsc_config_load_string(dmsc_config_t *c, const char *yaml, size_t len, char *err,
                            size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (err && errlen) err[0] = 0;
    if (!yaml_parser_initialize(&parser)) return DMSC_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (err && errlen)
            snprintf(err, errlen, "line %lu: YAML syntax: %s",
                     (unsigned long)parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "error");
        yaml_parser_delete(&parser);
        return DMSC_EINVAL;
    }
    dmsc_config_t tmp;
    int rc = dmsc_config_copy(&tmp, c);
    if (rc) goto out;
    ctx_t x = {.doc = &doc, .err = err, .errlen = errlen};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
        rc = walk_map(&x, root, &tmp, root_pair);
    if (rc) {
        dmsc_config_free(&tmp);
        goto out;
    }
    /* cross-key checks */
    if (tmp.gateway.segment_size + 512 >
        (tmp.faces.max_packet > DMSC_TLV_DGRAM_MAX ? tmp.faces.max_packet : DMSC_TLV_DGRAM_MAX)) {
        snprintf(x.path, sizeof x.path, "gateway.segment_size");
        rc = fail(&x, NULL, "must leave 512 bytes of room under faces.max_packet (%zu)",
                  tmp.faces.max_packet);
        dmsc_config_free(&tmp);
        goto out;
    }
    if (tmp.faces.send_queue_max < tmp.faces.max_packet) {
        x.path[0] = 0;
        snprintf(x.path, sizeof x.path, "faces.send_queue");
        rc = fail(&x, NULL, "must be at least faces.max_packet (%zu)", tmp.faces.max_packet);
        dmsc_config_free(&tmp);
        goto out;
    }
    dmsc_config_free(c);
    *c = tmp;
out:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int dmsc_config_load_file(dmsc_config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (err && errlen) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return DMSC_ENOTSUP;
    }
    char *buf = malloc(CONFIG_FILE_MAX + 1);
    if (!buf) {
        fclose(fp);
        return DMSC_ENOMEM;
    }
    size_t n = fread(buf, 1, CONFIG_FILE_MAX + 1, fp);
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr || n > CONFIG_FILE_MAX) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, rerr ? "read error" : "file too large");
        free(buf);
        return DMSC_ENOTSUP;
    }
    char inner[512];
    int rc = dmsc_config_load_string(c, buf, n, inner, sizeof inner);
    free(buf);
    if (rc) {
        if (err && errlen) snprintf(err, errlen, "%s: %s", path, inner);
        return rc;
    }
    snprintf(c->source, sizeof c->source, "%s", path);
    return 0;
}

/* ---- Unix socket path ---- */

/* A directory we may put the socket in: exists (or was created with mode),
 * is a directory, writable; if must_own, owned by us and not group/other
 * writable. */
static bool usable_dir(const char *dir, mode_t mode, bool create, bool must_own)
{
    struct stat st;
    if (create && mkdir(dir, mode) != 0 && errno != EEXIST) return false;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    if (must_own && (st.st_uid != getuid() || (st.st_mode & 022))) return false;
    return access(dir, W_OK | X_OK) == 0;
}

/* <dir>/dmsc.sock into c, if it fits. */
static bool set_sock_path(dmsc_config_t *c, const char *dir)
{
    static const char leaf[] = "/dmsc.sock";
    size_t n = strlen(dir);
    if (n + sizeof leaf > sizeof c->unix_sock.path) return false;
    memcpy(c->unix_sock.path, dir, n);
    memcpy(c->unix_sock.path + n, leaf, sizeof leaf);
    return true;
}

static int resolve_unix(dmsc_config_t *c, const char *run_base, const char *tmp_base, char *err,
                        size_t errlen);

/* gateway.unix "auto": beside the NDN socket, <name>-http.sock for
 * <name>.sock (dmsc.sock -> dmsc-http.sock). */
static int resolve_gw_unix(dmsc_config_t *c, char *err, size_t errlen)
{
    if (!c->gateway.enabled || !c->gateway.unix_enabled || !c->gateway.unix_auto) return 0;
    if (!c->unix_sock.enabled || !c->unix_sock.path[0]) {
        c->gateway.unix_enabled = false; /* nothing to put it beside: off */
        return 0;
    }
    const char *p = c->unix_sock.path;
    size_t n = strlen(p);
    if (n > 5 && !strcmp(p + n - 5, ".sock")) n -= 5;
    if ((size_t)snprintf(c->gateway.unix_path, sizeof c->gateway.unix_path, "%.*s-http.sock",
                         (int)n, p) >= sizeof c->gateway.unix_path) {
        if (err && errlen) snprintf(err, errlen, "gateway.unix: derived path too long; set one");
        return DMSC_EINVAL;
    }
    return 0;
}

int dmsc_config_resolve_in(dmsc_config_t *c, const char *run_base, const char *tmp_base, char *err,
                           size_t errlen)
{
    int rc = resolve_unix(c, run_base, tmp_base, err, errlen);
    if (rc) return rc;
    return resolve_gw_unix(c, err, errlen);
}

static int resolve_unix(dmsc_config_t *c, const char *run_base, const char *tmp_base, char *err,
                        size_t errlen)
{
    if (!c->unix_sock.enabled || !c->unix_sock.path_auto) return 0;
    char dir[DMSC_CONFIG_PATH_MAX];
    /* 1. the system location, for a daemon run as root or by a service
     *    user that owns <run>/dmsc */
    if ((size_t)snprintf(dir, sizeof dir, "%s/dmsc", run_base) < sizeof dir - 10 &&
        usable_dir(dir, 0755, access(run_base, W_OK) == 0, false) && set_sock_path(c, dir))
        return 0;
    /* 2. the user's runtime directory */
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/' && usable_dir(xdg, 0700, false, true) && set_sock_path(c, xdg))
        return 0;
    /* 3. a private directory in /tmp */
    if ((size_t)snprintf(dir, sizeof dir, "%s/dmsc-%u", tmp_base, (unsigned)getuid()) <
            sizeof dir - 10 &&
        usable_dir(dir, 0700, true, true) && set_sock_path(c, dir))
        return 0;
    if (err && errlen)
        snprintf(err, errlen,
                 "listen.unix.path: no usable directory (%s/dmsc, $XDG_RUNTIME_DIR, %s); "
                 "set a path",
                 run_base, dir);
    return DMSC_EINVAL;
}

int dmsc_config_resolve(dmsc_config_t *c, char *err, size_t errlen)
{
    return dmsc_config_resolve_in(c, "/run", "/tmp", err, errlen);
}
