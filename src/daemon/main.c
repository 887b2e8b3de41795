/*
 * dmscd: the dmsc node daemon. Wires the forwarder, the face table, the RIB,
 * NFD management (/localhost/nfd on app face 1), the ping responder and the
 * admin API on one libuv loop; handles SIGHUP (reload) and SIGTERM/SIGINT
 * (clean shutdown). docs/config.md describes the configuration.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <uv.h>

#include "base/err.h"
#include "daemon/daemon.h"
#include "face/face.h"
#include "base/log.h"
#include "fw/fw.h"
#include "mgmt/admin.h"
#include "gw/gw.h"
#include "mgmt/config.h"
#include "mgmt/nfdmgmt.h"
#include "mgmt/rib.h"
#include "mgmt/version.h"
#include "ndn/name.h"

#define LOGM "dmscd"

/* Command-line settings; they override the file, also after a reload. */
typedef struct {
    const char *config_path;
    const char *unix_path;
    const char *name;
    int udp_port, tcp_port, admin_port; /* -1: not given */
    int log_level;                      /* -1: not given */
} options_t;

typedef struct {
    uv_loop_t loop;
    options_t opt;
    dmsc_config_t cfg;
    dmsc_facetable_t *ft;
    dmsc_fw_t *fw;
    dmsc_rib_t *rib;
    dmsc_nfdmgmt_t *mgmt;
    dmsc_faceid_t mgmt_face;
    dmsc_slice_t mgmt_tok; /* PitToken of the command being handled (sync replies) */
    dmsc_admin_t *admin;
    dmsc_ping_t *ping;
    dmsc_statics_t *statics;
    dmsc_routing_t *routing; /* NULL when routing is off */
    dmsc_gw_t *gw;           /* NULL when gateway.enabled is false */
    uv_timer_t fw_timer;
    uv_check_t fw_check;
    uint64_t fw_armed; /* deadline the timer is armed for, UINT64_MAX if none */
    uv_signal_t sig_hup, sig_term, sig_int;
    bool stopping;
    int exit_code;
} dmscd_t;

/* ---- options ---- */

static void usage(FILE *out)
{
    fprintf(out, "Usage: dmscd [options]\n"
                 "The dmsc node daemon: NDN forwarder, faces, routing, the HTTP/gRPC service\n"
                 "gateway (gateway.*, services; docs/gateway.md), management and admin API.\n"
                 "\n"
                 "  -c, --config FILE     YAML configuration (docs/config.md); without it the\n"
                 "                        embedded defaults are used\n"
                 "  -u, --unix PATH       Unix socket for local applications (listen.unix.path)\n"
                 "      --udp-port N      UDP listener port (listen.udp.port; 0 = any free port)\n"
                 "      --tcp-port N      TCP listener port (listen.tcp.port; 0 = any free port)\n"
                 "      --admin-port N    admin HTTP API port (admin.port; 0 = any free port)\n"
                 "  -n, --name NAME       node name, an NDN name such as /dmsc/node/a (node.name)\n"
                 "  -l, --log-level L     error, warn, info, debug or trace (log.level)\n"
                 "  -h, --help            this text\n"
                 "  -V, --version         print the version\n"
                 "\n"
                 "Signals: SIGHUP reloads the configuration file, SIGTERM/SIGINT shut down.\n");
}

static int parse_port(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535) return -1;
    *out = (int)v;
    return 0;
}

/* 0 ok, 1 exit 0 (help/version), -1 usage error */
static int parse_options(int argc, char **argv, options_t *o)
{
    enum { OPT_UDP = 256, OPT_TCP, OPT_ADMIN };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"unix", required_argument, NULL, 'u'},
        {"udp-port", required_argument, NULL, OPT_UDP},
        {"tcp-port", required_argument, NULL, OPT_TCP},
        {"admin-port", required_argument, NULL, OPT_ADMIN},
        {"name", required_argument, NULL, 'n'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->udp_port = o->tcp_port = o->admin_port = o->log_level = -1;
    int c;
    while ((c = getopt_long(argc, argv, "c:u:n:l:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'u':
            if (optarg[0] != '/') {
                fprintf(stderr, "dmscd: --unix needs an absolute path\n");
                return -1;
            }
            o->unix_path = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'l':
            o->log_level = dmsc_log_level_parse(optarg);
            if (o->log_level < 0) {
                fprintf(stderr, "dmscd: bad --log-level %s\n", optarg);
                return -1;
            }
            break;
        case OPT_UDP:
        case OPT_TCP:
        case OPT_ADMIN: {
            int *dst = c == OPT_UDP ? &o->udp_port : c == OPT_TCP ? &o->tcp_port : &o->admin_port;
            if (parse_port(optarg, dst)) {
                fprintf(stderr, "dmscd: bad port %s\n", optarg);
                return -1;
            }
            break;
        }
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            printf("dmscd %s\n", dmsc_version());
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "dmscd: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* defaults + file + command line + resolution */
static int build_config(const options_t *o, dmsc_config_t *c)
{
    char err[600];
    dmsc_config_default(c);
    if (o->config_path && dmsc_config_load_file(c, o->config_path, err, sizeof err)) {
        DMSC_LOGE(LOGM, "event=config result=error msg=\"%s\"", err);
        dmsc_config_free(c);
        return -1;
    }
    if (o->unix_path) {
        if (strlen(o->unix_path) >= sizeof c->unix_sock.path) {
            DMSC_LOGE(LOGM, "event=config result=error msg=\"--unix path too long\"");
            dmsc_config_free(c);
            return -1;
        }
        strcpy(c->unix_sock.path, o->unix_path);
        c->unix_sock.path_auto = false;
        c->unix_sock.enabled = true;
    }
    if (o->name) {
        dmsc_namebuf_t *nb = malloc(sizeof *nb);
        int bad =
            !nb || dmsc_namebuf_from_uri(nb, o->name) || strlen(o->name) >= sizeof c->node_name;
        free(nb);
        if (bad) {
            DMSC_LOGE(LOGM, "event=config result=error msg=\"bad --name %s\"", o->name);
            dmsc_config_free(c);
            return -1;
        }
        strcpy(c->node_name, o->name);
    }
    if (o->udp_port >= 0) c->udp.port = (uint16_t)o->udp_port;
    if (o->tcp_port >= 0) c->tcp.port = (uint16_t)o->tcp_port;
    if (o->admin_port >= 0) c->admin.port = (uint16_t)o->admin_port;
    if (o->log_level >= 0) c->log_level = o->log_level;
    if (dmsc_config_resolve(c, err, sizeof err)) {
        DMSC_LOGE(LOGM, "event=config result=error msg=\"%s\"", err);
        dmsc_config_free(c);
        return -1;
    }
    return 0;
}

/* ---- forwarder timers ---- */

static void fw_tick(dmscd_t *d);

static void on_fw_timer(uv_timer_t *t)
{
    dmscd_t *d = t->data;
    d->fw_armed = UINT64_MAX;
    fw_tick(d);
}

/* After every I/O phase: packets may have added earlier deadlines. */
static void on_fw_check(uv_check_t *c)
{
    fw_tick(c->data);
}

static void fw_tick(dmscd_t *d)
{
    if (d->stopping || !d->fw || !d->rib) return;
    uint64_t now = uv_hrtime();
    uint64_t next = dmsc_fw_run_timers(d->fw, now);
    uint64_t rn = dmsc_rib_run_timers(d->rib, now);
    if (rn < next) next = rn;
    if (next == d->fw_armed) return;
    d->fw_armed = next;
    if (next == UINT64_MAX) {
        uv_timer_stop(&d->fw_timer);
        return;
    }
    uint64_t delay_ms = next > now ? (next - now + 999999) / 1000000 : 0;
    uv_timer_start(&d->fw_timer, on_fw_timer, delay_ms, 0);
}

/* ---- NFD management on app face 1 ---- */

static void mgmt_reply(void *arg, const uint8_t *data, size_t len)
{
    dmscd_t *d = arg;
    dmsc_pkt_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.kind = DMSC_PKT_DATA;
    pkt.wire = data;
    pkt.len = len;
    pkt.pit_token = d->mgmt_tok; /* empty for asynchronous replies: matched by name */
    int rc = dmsc_facetable_app_send(d->ft, d->mgmt_face, &pkt);
    if (rc) DMSC_LOGD(LOGM, "event=mgmt-reply result=%s", dmsc_errname(rc));
}

static void on_mgmt_packet(void *arg, dmsc_faceid_t id, const dmsc_pkt_t *pkt)
{
    dmscd_t *d = arg;
    if (pkt->kind != DMSC_PKT_INTEREST) return;
    d->mgmt_tok = pkt->pit_token;
    dmsc_nfdmgmt_handle_interest(d->mgmt, pkt, uv_hrtime(), mgmt_reply, d);
    d->mgmt_tok = dmsc_slice(NULL, 0);
}

static int start_mgmt(dmscd_t *d)
{
    d->mgmt = dmsc_nfdmgmt_new(d->fw, d->ft, d->rib, NULL);
    if (!d->mgmt) return DMSC_ENOMEM;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    dmsc_nfdmgmt_set_clock(d->mgmt, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
                           uv_hrtime());
    dmsc_nfdmgmt_set_fw_config(d->mgmt, &d->cfg.fw);
    int rc = dmsc_facetable_app_new(d->ft, "nfd", DMSC_FACEID_INTERNAL, on_mgmt_packet, d,
                                    &d->mgmt_face);
    if (rc) return rc;
    dmsc_namebuf_t nb;
    dmsc_namebuf_from_uri(&nb, "/localhost/nfd");
    return dmsc_fw_fib_add(d->fw, &nb.name, d->mgmt_face, 0);
}

/* ---- listeners ---- */

static int start_listeners(dmscd_t *d)
{
    dmsc_config_t *c = &d->cfg;
    int rc;
    if (c->udp.enabled && (rc = dmsc_facetable_listen_udp(d->ft, c->udp.bind, c->udp.port, NULL))) {
        DMSC_LOGE(LOGM, "event=listen proto=udp bind=%s port=%u result=%s", c->udp.bind,
                  c->udp.port, dmsc_errname(rc));
        return rc;
    }
    if (c->tcp.enabled && (rc = dmsc_facetable_listen_tcp(d->ft, c->tcp.bind, c->tcp.port, NULL))) {
        DMSC_LOGE(LOGM, "event=listen proto=tcp bind=%s port=%u result=%s", c->tcp.bind,
                  c->tcp.port, dmsc_errname(rc));
        return rc;
    }
    if (c->unix_sock.enabled &&
        (rc = dmsc_facetable_listen_unix(d->ft, c->unix_sock.path, c->unix_sock.mode))) {
        DMSC_LOGE(LOGM, "event=listen proto=unix path=%s result=%s", c->unix_sock.path,
                  dmsc_errname(rc));
        return rc;
    }
    return 0;
}

static int start_admin(dmscd_t *d)
{
    if (!d->cfg.admin.enabled) return 0;
    int err = 0;
    d->admin = dmsc_admin_start(&d->loop, d->cfg.admin.bind, d->cfg.admin.port, d->fw, d->ft,
                                d->cfg.node_name, &err);
    if (!d->admin) {
        DMSC_LOGE(LOGM, "event=listen proto=admin bind=%s port=%u result=%s", d->cfg.admin.bind,
                  d->cfg.admin.port, dmsc_errname(err));
        return err ? err : DMSC_ENOMEM;
    }
    dmsc_admin_set_fw_config(d->admin, &d->cfg.fw);
    DMSC_LOGI(LOGM, "event=listen channel=http://%s:%d/", d->cfg.admin.bind,
              dmsc_admin_port(d->admin));
    return 0;
}

/* ---- reload ---- */

static void not_reloaded(const char *key, bool changed)
{
    if (changed) DMSC_LOGW(LOGM, "event=reload key=%s applied=no reason=restart-required", key);
}

static void reload(dmscd_t *d)
{
    dmsc_config_t n;
    DMSC_LOGI(LOGM, "event=reload source=%s", d->opt.config_path ? d->opt.config_path : "defaults");
    if (build_config(&d->opt, &n)) {
        DMSC_LOGE(LOGM, "event=reload result=error keeping=running-config");
        return;
    }
    dmsc_config_t *o = &d->cfg;
    /* what needs a restart: sockets that are bound, the admin server */
    not_reloaded("listen.udp", o->udp.enabled != n.udp.enabled || o->udp.port != n.udp.port ||
                                   strcmp(o->udp.bind, n.udp.bind));
    not_reloaded("listen.tcp", o->tcp.enabled != n.tcp.enabled || o->tcp.port != n.tcp.port ||
                                   strcmp(o->tcp.bind, n.tcp.bind));
    not_reloaded("listen.unix", o->unix_sock.enabled != n.unix_sock.enabled ||
                                    strcmp(o->unix_sock.path, n.unix_sock.path) ||
                                    o->unix_sock.mode != n.unix_sock.mode);
    not_reloaded("admin", o->admin.enabled != n.admin.enabled || o->admin.port != n.admin.port ||
                              strcmp(o->admin.bind, n.admin.bind));
    not_reloaded("faces.max_packet", o->faces.max_packet != n.faces.max_packet);
    {
        const dmsc_config_t *a = o, *b = &n;
        bool rch = a->routing.enabled != b->routing.enabled ||
                   strcmp(a->routing.domain, b->routing.domain) ||
                   strcmp(a->routing.state_dir, b->routing.state_dir) ||
                   a->routing.hello_interval_ms != b->routing.hello_interval_ms ||
                   a->routing.dead_misses != b->routing.dead_misses ||
                   a->routing.adopt != b->routing.adopt ||
                   a->routing.n_neighbors != b->routing.n_neighbors ||
                   (a->routing.n_neighbors &&
                    memcmp(a->routing.neighbors, b->routing.neighbors,
                           a->routing.n_neighbors * sizeof a->routing.neighbors[0]));
        not_reloaded("routing", rch);
        /* the routing identity keeps the name it started with */
        not_reloaded("node.name(routing)", d->routing && strcmp(o->node_name, n.node_name));
    }
    if (o->faces.udp_mtu != n.faces.udp_mtu)
        DMSC_LOGW(LOGM, "event=reload key=listen.udp.mtu applied=new-faces-only");
    if (strcmp(o->node_name, n.node_name) && d->admin)
        dmsc_admin_set_node_name(d->admin, n.node_name);

    /* applied: log level, limits, node name (ping), static faces and routes */
    dmsc_log_set_level(n.log_level);
    n.fw.max_packet = o->fw.max_packet; /* ceiling of faces that exist: keep */
    n.faces.max_packet = o->faces.max_packet;
    dmsc_fw_reconfigure(d->fw, &n.fw);
    dmsc_nfdmgmt_set_fw_config(d->mgmt, &n.fw);
    if (d->admin) dmsc_admin_set_fw_config(d->admin, &n.fw);
    dmsc_facetable_reconfigure(d->ft, &n.faces);
    if (strcmp(o->node_name, n.node_name) && dmsc_ping_set_name(d->ping, n.node_name))
        DMSC_LOGW(LOGM, "event=reload key=node.name applied=no reason=ping-route");
    not_reloaded("gateway(listeners)", o->gateway.enabled != n.gateway.enabled ||
                                           o->gateway.http.enabled != n.gateway.http.enabled ||
                                           o->gateway.http.port != n.gateway.http.port ||
                                           strcmp(o->gateway.http.bind, n.gateway.http.bind) ||
                                           o->gateway.unix_enabled != n.gateway.unix_enabled);
    if (d->gw && dmsc_gw_apply(d->gw, &n))
        DMSC_LOGE(LOGM, "event=reload key=services applied=partly");
    if (dmsc_statics_apply(d->statics, &n))
        DMSC_LOGE(LOGM, "event=reload key=routes applied=no reason=ENOMEM");

    /* the running values of what was not applied stay */
    n.udp = o->udp;
    n.tcp = o->tcp;
    n.unix_sock = o->unix_sock;
    n.admin = o->admin;
    /* routing keeps its running settings (restart to change them) */
    free(n.routing.neighbors);
    n.routing = o->routing;
    o->routing.neighbors = NULL;
    o->routing.n_neighbors = 0;
    dmsc_config_free(o);
    *o = n;
    DMSC_LOGI(LOGM, "event=reload result=ok log_level=%s routes=%zu static_faces=%zu",
              dmsc_log_level_str(o->log_level), o->n_routes, o->n_static_faces);
}

/* ---- shutdown ---- */

static void on_signal_closed(uv_handle_t *h)
{
    (void)h;
}

static void begin_shutdown(dmscd_t *d, const char *why)
{
    if (d->stopping) return;
    d->stopping = true;
    DMSC_LOGI(LOGM, "event=shutdown reason=%s", why);
    uv_signal_stop(&d->sig_hup);
    uv_signal_stop(&d->sig_term);
    uv_signal_stop(&d->sig_int);
    uv_close((uv_handle_t *)&d->sig_hup, on_signal_closed);
    uv_close((uv_handle_t *)&d->sig_term, on_signal_closed);
    uv_close((uv_handle_t *)&d->sig_int, on_signal_closed);
    uv_timer_stop(&d->fw_timer);
    uv_close((uv_handle_t *)&d->fw_timer, on_signal_closed);
    uv_check_stop(&d->fw_check);
    uv_close((uv_handle_t *)&d->fw_check, on_signal_closed);
    if (d->statics) dmsc_statics_stop(d->statics);
    dmsc_routing_stop(d->routing);
    dmsc_gw_stop(d->gw);
    if (d->admin) {
        dmsc_admin_stop(d->admin, NULL, NULL);
        d->admin = NULL;
    }
    if (d->ft) dmsc_facetable_shutdown(d->ft);
}

static void on_signal(uv_signal_t *s, int signum)
{
    dmscd_t *d = s->data;
    if (signum == SIGHUP)
        reload(d);
    else
        begin_shutdown(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- main ---- */

static int run(dmscd_t *d)
{
    int rc;
    dmsc_fw_io_t io;
    if ((rc = dmsc_facetable_new(&d->ft, &d->loop, &d->cfg.faces))) {
        DMSC_LOGE(LOGM, "event=start step=facetable result=%s", dmsc_errname(rc));
        return rc;
    }
    dmsc_facetable_fw_io(d->ft, &io);
    d->fw = dmsc_fw_new(&d->cfg.fw, &io);
    if (!d->fw) {
        DMSC_LOGE(LOGM, "event=start step=forwarder result=ENOMEM");
        return DMSC_ENOMEM;
    }
    dmsc_facetable_attach_fw(d->ft, d->fw);
    /* this node is the producer region of its own name: an Interest whose
     * ForwardingHint names us is forwarded by its own name here (NFD's
     * network region table) */
    dmsc_namebuf_t *region = malloc(sizeof *region);
    if (region && dmsc_namebuf_from_uri(region, d->cfg.node_name) == 0)
        dmsc_fw_region_add(d->fw, &region->name);
    free(region);
    d->rib = dmsc_rib_new(d->fw, d->ft);
    if (!d->rib) return DMSC_ENOMEM;
    uv_check_start(&d->fw_check, on_fw_check);
    uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
    uv_signal_start(&d->sig_term, on_signal, SIGTERM);
    uv_signal_start(&d->sig_int, on_signal, SIGINT);

    if ((rc = start_mgmt(d))) {
        DMSC_LOGE(LOGM, "event=start step=nfd-management result=%s", dmsc_errname(rc));
        return rc;
    }
    if ((rc = dmsc_ping_new(&d->ping, d->ft, d->rib, d->cfg.node_name))) {
        DMSC_LOGE(LOGM, "event=start step=ping result=%s", dmsc_errname(rc));
        return rc;
    }
    if (dmsc_routing_wanted(&d->cfg) &&
        (rc = dmsc_routing_new(&d->routing, &d->loop, d->ft, d->rib, &d->cfg))) {
        DMSC_LOGE(LOGM, "event=start step=routing result=%s", dmsc_errname(rc));
        return rc;
    }
    if (d->cfg.gateway.enabled && (rc = dmsc_gw_new(&d->gw, &d->loop, d->ft, d->rib, &d->cfg))) {
        DMSC_LOGE(LOGM, "event=start step=gateway result=%s", dmsc_errname(rc));
        return rc;
    }
    if ((rc = start_listeners(d))) return rc;
    if ((rc = start_admin(d))) return rc;
    if (d->gw && d->admin && (rc = dmsc_gw_attach_admin(d->gw, d->admin))) {
        DMSC_LOGE(LOGM, "event=start step=gateway-admin result=%s", dmsc_errname(rc));
        return rc;
    }
    if (d->routing && d->admin && (rc = dmsc_routing_attach_admin(d->routing, d->admin))) {
        DMSC_LOGE(LOGM, "event=start step=routing-admin result=%s", dmsc_errname(rc));
        return rc;
    }
    d->statics = dmsc_statics_new(&d->loop, d->ft, d->rib);
    if (!d->statics || dmsc_statics_apply(d->statics, &d->cfg)) return DMSC_ENOMEM;

    DMSC_LOGI(LOGM, "event=started version=%s name=%s config=%s unix=%s", dmsc_version(),
              d->cfg.node_name, d->cfg.source[0] ? d->cfg.source : "defaults",
              d->cfg.unix_sock.enabled ? d->cfg.unix_sock.path : "off");
    return 0;
}

int main(int argc, char **argv)
{
    static dmscd_t d; /* one daemon per process: static storage, not a global API */
    int prc = parse_options(argc, argv, &d.opt);
    if (prc) return prc > 0 ? 0 : 2;
    if (d.opt.log_level >= 0) dmsc_log_set_level(d.opt.log_level);
    if (build_config(&d.opt, &d.cfg)) return 1;
    dmsc_log_set_level(d.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0) {
        DMSC_LOGE(LOGM, "event=start step=random result=error");
        dmsc_config_free(&d.cfg);
        return 1;
    }
    /* random name-hash seed before any table exists (hash-flooding defence) */
    uint64_t seed;
    randombytes_buf(&seed, sizeof seed);
    dmsc_name_hash_set_seed(seed);
    if (uv_loop_init(&d.loop)) {
        DMSC_LOGE(LOGM, "event=start step=loop result=error");
        dmsc_config_free(&d.cfg);
        return 1;
    }

    /* handles first, so that any failure below can shut down the same way */
    uv_timer_init(&d.loop, &d.fw_timer);
    d.fw_timer.data = &d;
    uv_check_init(&d.loop, &d.fw_check);
    d.fw_check.data = &d;
    d.fw_armed = UINT64_MAX;
    uv_signal_init(&d.loop, &d.sig_hup);
    uv_signal_init(&d.loop, &d.sig_term);
    uv_signal_init(&d.loop, &d.sig_int);
    d.sig_hup.data = d.sig_term.data = d.sig_int.data = &d;

    if (run(&d)) {
        d.exit_code = 1;
        begin_shutdown(&d, "startup-failure");
    }
    uv_run(&d.loop, UV_RUN_DEFAULT);

    /* the loop has no handles left: free in dependency order */
    dmsc_ping_free(d.ping);
    dmsc_facetable_free(d.ft);
    dmsc_nfdmgmt_free(d.mgmt);
    dmsc_rib_free(d.rib);
    dmsc_fw_free(d.fw);
    dmsc_statics_free(d.statics);
    dmsc_routing_free(d.routing); /* after the face table: its close listener points here */
    dmsc_gw_free(d.gw);           /* after the face table and the RIB: same reason */
    int lc = uv_loop_close(&d.loop);
    if (lc) DMSC_LOGW(LOGM, "event=exit loop_close=%s", uv_err_name(lc));
    dmsc_config_free(&d.cfg);
    DMSC_LOGI(LOGM, "event=exit code=%d", d.exit_code);
    return d.exit_code;
}
