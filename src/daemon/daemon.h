/*
 * Internals of dmscd (src/daemon/): the ping responder and the manager of
 * the static faces and routes from the configuration.
 */
#ifndef DMSC_DAEMON_DAEMON_H
#define DMSC_DAEMON_DAEMON_H

#include <stdint.h>
#include <uv.h>

#include "face/face.h"
#include "fw/fw.h"
#include "mgmt/config.h"
#include "mgmt/rib.h"

/* ---- ping responder (ping.c) ----
 * Answers every Interest under <node-name>/ping/<anything> with a Data of
 * the same name, empty Content, FreshnessPeriod 0 and a DigestSha256
 * signature (what ndnping and NDNts's ping client expect). It serves from
 * an app face, and registers <node-name>/ping in the RIB (origin app). */
typedef struct dmsc_ping dmsc_ping_t;

/* 0, DMSC_EINVAL (bad name), DMSC_ENOMEM, or a face-table error. */
int dmsc_ping_new(dmsc_ping_t **out, dmsc_facetable_t *ft, dmsc_rib_t *rib, const char *node_name);
/* Move to another node name (reload). 0 or an error (the old name stays). */
int dmsc_ping_set_name(dmsc_ping_t *p, const char *node_name);
uint64_t dmsc_ping_answered(const dmsc_ping_t *p);
/* Frees the responder (its face is closed by the face table's shutdown,
 * or here if it is still open). */
void dmsc_ping_free(dmsc_ping_t *p);

/* ---- static faces and routes (statics.c) ----
 * Keeps every face named by faces.static and routes[].face up: creates it
 * (permanent unless configured persistent), re-creates it with backoff
 * (1 s doubling to 60 s) when creation fails or the face closes, and keeps
 * the routes of a face in the RIB (origin static, CHILD_INHERIT) while it is
 * up. apply() replaces the set (reload): routes are replaced, faces that are
 * no longer named are destroyed. */
typedef struct dmsc_statics dmsc_statics_t;

dmsc_statics_t *dmsc_statics_new(uv_loop_t *loop, dmsc_facetable_t *ft, dmsc_rib_t *rib);
/* 0 or DMSC_ENOMEM (bad prefixes were rejected when the config loaded). */
int dmsc_statics_apply(dmsc_statics_t *s, const dmsc_config_t *cfg);
/* Stop creating and retrying; close its timer. Call before shutting the
 * face table down; free after the loop has run to completion. */
void dmsc_statics_stop(dmsc_statics_t *s);
void dmsc_statics_free(dmsc_statics_t *s);

/* ---- routing (routing.c) ----
 * Runs the link-state routing core (route/router.h) in the daemon: node
 * identity in routing.state_dir, an app face for /localhop/dmsc/route,
 * faces to routing.neighbors and to the neighbors routing.discovery finds
 * (permanent, re-created every second while down), computed routes in the RIB (origin NLSR,
 * CHILD_INHERIT), and advertisement of the node name and of the prefixes applications register
 * (origin app or client) on local faces. docs/routing.md section 11. */
typedef struct dmsc_routing dmsc_routing_t;
struct dmsc_admin;

/* Does the configuration turn routing on (routing.enabled, auto = when
 * neighbors are configured)? */
bool dmsc_routing_wanted(const dmsc_config_t *c);
/* Start it. *out is set even on failure (then stop and free it). Returns 0,
 * DMSC_EINVAL/DMSC_EIO (state directory), identity, router or face-table
 * errors, DMSC_ENOMEM. Start it before the listeners. */
int dmsc_routing_new(dmsc_routing_t **out, uv_loop_t *loop, dmsc_facetable_t *ft, dmsc_rib_t *rib,
                     const dmsc_config_t *c);
/* GET /routing and the dmsc_routing_* metric families. 0 or an admin error. */
int dmsc_routing_attach_admin(dmsc_routing_t *r, struct dmsc_admin *a);
/* Stop all activity and close the timers (before the face table shuts
 * down); free after the loop has run to completion and after the face
 * table and the RIB are freed (their callbacks point here). NULL ignored. */
void dmsc_routing_stop(dmsc_routing_t *r);
void dmsc_routing_free(dmsc_routing_t *r);
/* Add a neighbor face URI at run time (discovery), handled like a configured
 * one. 0 (added), 1 (already a neighbor), DMSC_ENOBUFS (64 added already),
 * DMSC_EINVAL (stopping). */
int dmsc_routing_add_neighbor(dmsc_routing_t *r, const char *uri);

/* ---- neighbor discovery (discovery.c) ----
 * routing.discovery: announces the node on every (configured or
 * multicast-capable) interface by UDP multicast and reports each other
 * node heard, once, as udp4://<address>:<its listen.udp port>.
 * docs/routing.md "Discovery". */
typedef struct dmsc_discovery dmsc_discovery_t;
/* Returns 0 (new neighbor), 1 (already known) or a negative error. */
typedef int (*dmsc_discovery_found_cb)(void *arg, const char *uri);
typedef struct {
    uint64_t tx, tx_errors, rx, malformed, self, discovered, capped, rate_limited;
} dmsc_discovery_counters_t;

/* 0, DMSC_EINVAL (listen.udp off, bad node name), DMSC_ENOMEM. Interfaces
 * that fail to open are logged and skipped. */
int dmsc_discovery_new(dmsc_discovery_t **out, uv_loop_t *loop, const dmsc_config_t *c,
                       const dmsc_name_t *node, dmsc_discovery_found_cb found, void *arg);
const dmsc_discovery_counters_t *dmsc_discovery_counters(const dmsc_discovery_t *d);
/* Close the sockets and the timer; free after the loop has run. NULL ok. */
void dmsc_discovery_stop(dmsc_discovery_t *d);
void dmsc_discovery_free(dmsc_discovery_t *d);

#endif
