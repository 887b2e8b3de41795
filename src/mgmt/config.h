/*
 * dmscd configuration model: embedded defaults, a YAML file (libyaml) on top,
 * command-line overrides on top of that. Every key is documented in
 * docs/config.md; an unknown key is an error (typos do not pass silently).
 *
 *   dmsc_config_t c;
 *   dmsc_config_default(&c);
 *   if (dmsc_config_load_file(&c, path, err, sizeof err) < 0) ...
 *   ...
 *   dmsc_config_free(&c);
 *
 * The struct is plain data; readers (daemon, admin API, management) may read
 * any field. Strings are NUL-terminated fixed arrays; the two lists are heap
 * arrays owned by the struct (dmsc_config_free releases them).
 */
#ifndef DMSC_MGMT_CONFIG_H
#define DMSC_MGMT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "face/face.h"
#include "base/log.h"
#include "fw/fw.h"
#include "gw/svc.h"

#define DMSC_CONFIG_ADDR_MAX 64   /* a numeric IPv4/IPv6 address */
#define DMSC_CONFIG_PATH_MAX 108  /* sun_path */
#define DMSC_CONFIG_NAME_MAX 1024 /* an NDN name URI */
#define DMSC_CONFIG_MAX_ROUTES 4096
#define DMSC_CONFIG_MAX_FACES 1024
#define DMSC_CONFIG_MAX_NEIGHBORS 256
#define DMSC_CONFIG_MAX_IFACES 16
#define DMSC_CONFIG_MAX_SERVICES 256
#define DMSC_CONFIG_MAX_GW_MAPS 256
#define DMSC_DEFAULT_GW_PORT 7381

/* routing.enabled */
enum {
    DMSC_ROUTING_AUTO = 0, /* on when routing.neighbors is not empty (the default) */
    DMSC_ROUTING_ON = 1,
    DMSC_ROUTING_OFF = 2,
};

/* Default ports (NDN's 6363 for faces; admin HTTP on loopback). */
#define DMSC_DEFAULT_PORT 6363
#define DMSC_DEFAULT_ADMIN_PORT 7380
#define DMSC_DEFAULT_ADMIN_BIND "127.0.0.1"

typedef struct {
    bool enabled;
    char bind[DMSC_CONFIG_ADDR_MAX];
    uint16_t port;
} dmsc_config_listen_t;

/* A static face (faces.static) */
typedef struct {
    char uri[DMSC_FACE_URI_MAX];
    int persistency; /* DMSC_FACE_PERSISTENT or DMSC_FACE_PERMANENT */
    uint32_t flags;  /* DMSC_FACE_FLAG_* */
} dmsc_config_face_t;

/* A static route (routes): FIB prefix -> face (created if needed), cost. */
typedef struct {
    char prefix[DMSC_CONFIG_NAME_MAX]; /* NDN URI, validated at load */
    char face[DMSC_FACE_URI_MAX];      /* face URI, e.g. udp4://192.0.2.1:6363 */
    uint64_t cost;
} dmsc_config_route_t;

/* gateway.hosts: an HTTP Host mapped to a service prefix explicitly */
typedef struct {
    char host[256];
    char prefix[DMSC_CONFIG_NAME_MAX];
} dmsc_config_gw_host_t;

/* gateway.paths: requests whose path starts with `path` go to `prefix`;
 * strip: the upstream sees the path without it */
typedef struct {
    char path[256];
    char prefix[DMSC_CONFIG_NAME_MAX];
    bool strip;
} dmsc_config_gw_path_t;

typedef struct {
    char node_name[DMSC_CONFIG_NAME_MAX]; /* NDN URI; default /dmsc/node/<hostname> */
    int log_level;                        /* DMSC_LOG_LEVEL_* (face/log.h) */

    dmsc_config_listen_t udp; /* listen.udp */
    dmsc_config_listen_t tcp; /* listen.tcp */
    struct {
        bool enabled;
        char path[DMSC_CONFIG_PATH_MAX]; /* resolved; "" until dmsc_config_resolve() */
        bool path_auto;                  /* path was "auto" (the default) */
        unsigned mode;                   /* socket file permission bits */
    } unix_sock;                         /* listen.unix ("unix" is a predefined macro) */
    dmsc_config_listen_t admin;          /* admin: HTTP admin API and /metrics */

    dmsc_facetable_config_t faces; /* faces.* limits */
    dmsc_fw_config_t fw;           /* forwarder.* */

    dmsc_config_face_t *static_faces; /* faces.static */
    size_t n_static_faces;
    dmsc_config_route_t *routes; /* routes */
    size_t n_routes;

    /* routing: the link-state routing module (docs/routing.md) */
    struct {
        int enabled;                          /* DMSC_ROUTING_* */
        char domain[DMSC_CONFIG_NAME_MAX];    /* NDN URI, default /dmsc */
        char state_dir[DMSC_CONFIG_PATH_MAX]; /* "" = auto (daemon resolves it) */
        uint64_t hello_interval_ms;           /* 200 */
        uint32_t dead_misses;                 /* 4 */
        bool adopt;                           /* accept hellos from unconfigured neighbors */
        char (*neighbors)[DMSC_FACE_URI_MAX]; /* face URIs (heap, owned) */
        size_t n_neighbors;
        /* routing.discovery: find neighbors on the LAN by UDP multicast */
        struct {
            bool enabled;                                /* false */
            char group[DMSC_CONFIG_ADDR_MAX];            /* IPv4 multicast, 224.0.23.170 */
            uint16_t port;                               /* 56363 */
            uint64_t interval_ms;                        /* 1000 */
            char interfaces[DMSC_CONFIG_MAX_IFACES][16]; /* empty = all multicast-capable */
            size_t n_interfaces;
        } discovery;
    } routing;

    /* gateway: the HTTP/gRPC service gateway (docs/gateway.md) */
    struct {
        bool enabled;                         /* true */
        dmsc_config_listen_t http;            /* gateway.http: 127.0.0.1:7381 */
        bool unix_enabled;                    /* gateway.unix: on ("auto") */
        bool unix_auto;                       /* path derived from listen.unix.path */
        char unix_path[DMSC_CONFIG_PATH_MAX]; /* resolved by dmsc_config_resolve() */
        uint64_t timeout_ms;                  /* request timeout: 10 s */
        uint64_t body_max;                    /* request and response bodies: 64 MiB */
        uint64_t inline_max;                  /* bodies up to this travel in one packet: 4 KiB */
        uint64_t segment_size;        /* body bytes per segment: 8000 (fits a UDP face's 8800) */
        uint64_t head_max;            /* HTTP head bytes: 16 KiB */
        uint64_t buffer_max;          /* segments of bodies served, all streams: 256 MiB */
        uint32_t max_connections;     /* client connections: 1024 */
        dmsc_config_gw_host_t *hosts; /* gateway.hosts (heap, owned) */
        size_t n_hosts;
        dmsc_config_gw_path_t *paths; /* gateway.paths (heap, owned) */
        size_t n_paths;
    } gateway;
    dmsc_svc_config_t *services; /* services (heap, owned) */
    size_t n_services;

    char source[4096]; /* file the config was loaded from; "" = embedded defaults */
} dmsc_config_t;

/* Embedded defaults: dmscd starts with these and no file. */
void dmsc_config_default(dmsc_config_t *c);

/* Apply a YAML document on top of *c (keys not in the document keep their
 * value; the routes and faces.static lists are replaced when present).
 * On error *c is unchanged and err (may be NULL) holds one line such as
 * "line 7: listen.udp.port: expected an integer 0..65535".
 * Returns 0, DMSC_EINVAL (syntax or value error, unknown key) or DMSC_ENOMEM. */
int dmsc_config_load_string(dmsc_config_t *c, const char *yaml, size_t len, char *err,
                            size_t errlen);
/* Same from a file (records the path in c->source). Also DMSC_ENOTSUP when
 * the file cannot be read. */
int dmsc_config_load_file(dmsc_config_t *c, const char *path, char *err, size_t errlen);

/* Finish a config before use: resolve listen.unix.path "auto" to the first
 * usable of /run/dmsc/dmsc.sock (when /run/dmsc is writable or can be
 * created), $XDG_RUNTIME_DIR/dmsc.sock, /tmp/dmsc-<uid>/dmsc.sock (directory
 * created with mode 0700 and checked to be ours). May create a directory.
 * Returns 0 or DMSC_EINVAL (no usable location; err says why). */
int dmsc_config_resolve(dmsc_config_t *c, char *err, size_t errlen);
/* The same with other base directories (tests): run_base replaces /run,
 * tmp_base replaces /tmp. */
int dmsc_config_resolve_in(dmsc_config_t *c, const char *run_base, const char *tmp_base, char *err,
                           size_t errlen);

/* Deep copy (lists duplicated). 0 or DMSC_ENOMEM. */
int dmsc_config_copy(dmsc_config_t *dst, const dmsc_config_t *src);
/* Release the lists; *c can be reused after dmsc_config_default(). */
void dmsc_config_free(dmsc_config_t *c);

#endif
