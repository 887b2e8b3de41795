/*
 * Service registry: the local services this node's gateway serves, their
 * instances (numeric host:port), active health checks and passive failure
 * detection.
 *
 * A service is a name prefix (NDN URI), an optional HTTP host alias, a
 * protocol, metadata and up to DMSC_SVC_MAX_INSTANCES instances. Each
 * instance owns an HTTP/1.1 connection pool (gw/upstream.h).
 *
 * Instance state:
 *   UNKNOWN  just added; probed at once; NOT eligible for traffic
 *   UP       `healthy` consecutive probe successes (1 by default)
 *   DOWN     `unhealthy` consecutive failures (2 by default; probes and
 *            passive reports count), or at once on a connect refusal
 * A service "has healthy instances" when at least one instance is UP; the
 * registry calls on_change exactly when that flips (0 -> >=1 and back), so
 * the gateway announces a prefix only when something can serve it.
 *
 * The config part of this header (dmsc_svc_config_t and its helpers) is
 * plain data with no libuv/jansson dependency: src/mgmt/config.c fills it
 * from YAML.
 */
#ifndef DMSC_GW_SVC_H
#define DMSC_GW_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/upstream.h"
#include "ndn/name.h"

/* ------------------------------------------------------------------ */
/* configuration (plain data)                                          */

#define DMSC_SVC_PREFIX_MAX 1024  /* NDN URI of the prefix, with NUL */
#define DMSC_SVC_HOST_MAX 256     /* host alias, with NUL */
#define DMSC_SVC_MAX_INSTANCES 16 /* instances per service */
#define DMSC_SVC_ADDR_MAX 64      /* "host:port", "[v6]:port", with NUL */
#define DMSC_SVC_HC_PATH_MAX 256  /* health check path, with NUL */
#define DMSC_SVC_MAX_METADATA 8   /* metadata entries per service */
#define DMSC_SVC_META_MAX 64      /* metadata key or value, with NUL */
#define DMSC_SVC_MAX_CONNS_DEFAULT 64
#define DMSC_SVC_HC_INTERVAL_DEFAULT 5000 /* ms */
#define DMSC_SVC_HC_TIMEOUT_DEFAULT 2000  /* ms */
#define DMSC_SVC_HC_UNHEALTHY_DEFAULT 2
#define DMSC_SVC_HC_HEALTHY_DEFAULT 1

enum {
    DMSC_SVC_PROTO_HTTP1 = 0, /* "http" / "http1": HTTP/1.1 upstream (implemented) */
    DMSC_SVC_PROTO_H2C = 1,   /* "h2c": reserved, stored */
    DMSC_SVC_PROTO_GRPC = 2,  /* "grpc": reserved, stored */
};

typedef struct {
    char key[DMSC_SVC_META_MAX];
    char value[DMSC_SVC_META_MAX];
} dmsc_svc_meta_t;

typedef struct {
    char path[DMSC_SVC_HC_PATH_MAX]; /* GET path, 2xx/3xx = healthy; "" = TCP connect check */
    uint64_t interval_ms;            /* between probes of one instance; 0 = default */
    uint64_t timeout_ms;             /* connect + response; 0 = default */
    uint32_t unhealthy;              /* consecutive failures to mark DOWN; 0 = default (2) */
    uint32_t healthy;                /* consecutive successes to mark UP; 0 = default (1) */
} dmsc_svc_health_config_t;

typedef struct {
    char prefix[DMSC_SVC_PREFIX_MAX]; /* NDN URI, e.g. "/svc/orders" */
    char host[DMSC_SVC_HOST_MAX];     /* optional HTTP Host alias ("orders.local"); "" = none */
    int protocol;                     /* DMSC_SVC_PROTO_* */
    char instances[DMSC_SVC_MAX_INSTANCES][DMSC_SVC_ADDR_MAX]; /* numeric "ip:port" */
    size_t n_instances;
    dmsc_svc_health_config_t health;
    dmsc_svc_meta_t metadata[DMSC_SVC_MAX_METADATA];
    size_t n_metadata;
    uint32_t max_connections; /* per instance; 0 = default (64) */
} dmsc_svc_config_t;

/* Zero the struct and fill the defaults (protocol http1, health interval,
 * timeout and thresholds, max_connections). */
void dmsc_svc_config_default(dmsc_svc_config_t *c);

/* "http1" for DMSC_SVC_PROTO_HTTP1, "h2c", "grpc"; "?" otherwise. */
const char *dmsc_svc_protocol_str(int proto);
/* Inverse: accepts "http", "http1", "http/1.1", "h2c", "grpc". -1 if unknown. */
int dmsc_svc_protocol_parse(const char *s);

/* Parse a numeric instance address "1.2.3.4:80" / "[::1]:8080" into a
 * struct sockaddr_storage (NULL: only validate). 0 or DMSC_EINVAL.
 * (Same as dmsc_upstream_addr_parse.) */
int dmsc_svc_parse_addr(const char *addr, void *sockaddr_storage);

/* Check a config (prefix is a valid NDN URI, instances parse with
 * dmsc_upstream_addr_parse and are not
 * duplicated, counts within bounds, protocol known, health path empty or
 * starting with '/'). On error writes a one-line reason into why (may be
 * NULL). Returns 0 or DMSC_EINVAL / DMSC_EURI / DMSC_ENAMELEN /
 * DMSC_ENAMECOMPS. */
int dmsc_svc_config_check(const dmsc_svc_config_t *c, char *why, size_t whylen);

/* ------------------------------------------------------------------ */
/* the registry (libuv)                                                */

struct json_t;
typedef struct dmsc_svcreg dmsc_svcreg_t;
typedef struct dmsc_svc dmsc_svc_t;
typedef struct dmsc_svc_inst dmsc_svc_inst_t;

enum {
    DMSC_SVC_INST_UNKNOWN = 0,
    DMSC_SVC_INST_UP = 1,
    DMSC_SVC_INST_DOWN = 2,
};

/* Called when a service's "has at least one UP instance" flips (0 -> >=1:
 * true, >=1 -> 0: false), and with false when a service that had healthy
 * instances is removed. `svc` stays valid while it is registered. */
typedef void (*dmsc_svc_change_cb)(void *arg, const dmsc_svc_t *svc, bool has_healthy);

typedef struct {
    struct uv_loop_s *loop;
    dmsc_svc_change_cb on_change; /* may be NULL */
    void *arg;
    /* Base limits of every instance pool (NULL = dmsc_upstream_limits_default);
     * max_connections is overridden per service by the config. */
    const dmsc_upstream_limits_t *pool_limits;
} dmsc_svcreg_opts_t;

/* Returns 0, DMSC_EINVAL (no loop), DMSC_ENOMEM. */
int dmsc_svcreg_new(const dmsc_svcreg_opts_t *opts, dmsc_svcreg_t **out);
/* Stop probes, close every pool (requests in flight fail with
 * DMSC_UPSTREAM_ECANCELED) and free the registry once every handle is
 * closed: run the loop afterwards. on_change is not called. */
void dmsc_svcreg_close(dmsc_svcreg_t *reg);

/* Add a service, or update the one with the same prefix in place (the
 * dmsc_svc_t stays the same): instances whose address and max_connections
 * are unchanged keep their state and pool; removed ones are closed
 * (requests in flight on them fail with DMSC_UPSTREAM_ECANCELED, from
 * inside this call); new ones start UNKNOWN and are probed at once.
 * on_change fires only if the healthy flag flips.
 * Returns 0 or a dmsc_svc_config_check error, DMSC_ENOMEM. */
int dmsc_svcreg_add(dmsc_svcreg_t *reg, const dmsc_svc_config_t *cfg);
/* Remove by prefix URI. Returns 0, DMSC_EURI..., or DMSC_EINVAL if none. */
int dmsc_svcreg_remove(dmsc_svcreg_t *reg, const char *prefix);

/* The service whose prefix is the longest prefix of `name` (registered
 * prefixes, regardless of health), or NULL. */
dmsc_svc_t *dmsc_svcreg_find_lpm(dmsc_svcreg_t *reg, const dmsc_name_t *name);
/* Exact prefix match by URI, or NULL. */
dmsc_svc_t *dmsc_svcreg_find(dmsc_svcreg_t *reg, const char *prefix);
/* The service with this host alias (case-insensitive), or NULL. */
dmsc_svc_t *dmsc_svcreg_find_host(dmsc_svcreg_t *reg, const char *host, size_t host_len);
size_t dmsc_svcreg_count(const dmsc_svcreg_t *reg);

/* Visit every service in registration order; stop when cb returns true. */
typedef bool (*dmsc_svc_visit_cb)(void *arg, dmsc_svc_t *svc);
void dmsc_svcreg_foreach(dmsc_svcreg_t *reg, dmsc_svc_visit_cb cb, void *arg);

/* JSON array of services for the admin API (new reference, NULL on OOM):
 * [{"prefix","host","protocol","metadata":{k:v},"healthy":bool,
 *   "health":{"path","interval_ms","timeout_ms","unhealthy","healthy"},
 *   "instances":[{"addr","state":"up|down|unknown","last_check_ms",
 *     "last_error","consecutive_failures","consecutive_successes",
 *     "outstanding","requests","failures","pool":{...}}]}]
 * last_check_ms is uv_now() of the last probe (0 = never). */
struct json_t *dmsc_svcreg_to_json(dmsc_svcreg_t *reg);
struct json_t *dmsc_svc_to_json(const dmsc_svc_t *svc);

/* ---- one service ---- */

const dmsc_svc_config_t *dmsc_svc_config(const dmsc_svc_t *svc);
/* The prefix as a name (valid while the service is registered). */
const dmsc_name_t *dmsc_svc_name(const dmsc_svc_t *svc);
bool dmsc_svc_has_healthy(const dmsc_svc_t *svc);
size_t dmsc_svc_instance_count(const dmsc_svc_t *svc);
dmsc_svc_inst_t *dmsc_svc_instance(dmsc_svc_t *svc, size_t i);

/* Pick an UP instance for a request: least outstanding requests, ties
 * broken round-robin. NULL when none is UP. The caller then calls
 * dmsc_svc_inst_begin() when it starts the request on the instance's pool
 * and dmsc_svc_report() exactly once when it ends. */
dmsc_svc_inst_t *dmsc_svc_pick(dmsc_svc_t *svc);

/* ---- one instance ---- */

const char *dmsc_svc_inst_addr(const dmsc_svc_inst_t *inst);
int dmsc_svc_inst_state(const dmsc_svc_inst_t *inst); /* DMSC_SVC_INST_* */
const char *dmsc_svc_inst_state_str(int state);       /* "unknown", "up", "down" */
dmsc_upstream_pool_t *dmsc_svc_inst_pool(dmsc_svc_inst_t *inst);
dmsc_svc_t *dmsc_svc_inst_svc(dmsc_svc_inst_t *inst);
uint32_t dmsc_svc_inst_outstanding(const dmsc_svc_inst_t *inst);

/* Count a request as outstanding on the instance (for least-outstanding). */
void dmsc_svc_inst_begin(dmsc_svc_inst_t *inst);
/* Passive health: the outcome of one request started with begin().
 * err: 0 = the upstream answered (any HTTP status, even 5xx);
 * DMSC_UPSTREAM_ECONNREFUSED = the instance is marked DOWN at once (the
 * probes bring it back); other negative codes (reset, timeout, malformed)
 * count as one failure toward the unhealthy threshold;
 * DMSC_UPSTREAM_ECANCELED / ENOCAPACITY are not the instance's fault and are
 * ignored. A success resets the failure count of an UP instance (it
 * does not bring a DOWN instance up: only probes do). */
void dmsc_svc_report(dmsc_svc_inst_t *inst, int err);

#endif
