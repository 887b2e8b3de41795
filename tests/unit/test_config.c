/* Configuration model: defaults, YAML keys, errors, Unix path resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "mgmt/config.h"

static int load(dmsc_config_t *c, const char *yaml, char *err, size_t errlen)
{
    return dmsc_config_load_string(c, yaml, strlen(yaml), err, errlen);
}

static void test_defaults(void **state)
{
    dmsc_config_t c;
    dmsc_config_default(&c);
    assert_int_equal(strncmp(c.node_name, "/dmsc/node/", 11), 0);
    assert_true(strlen(c.node_name) > 11);
    assert_int_equal(c.log_level, DMSC_LOG_LEVEL_INFO);
    assert_true(c.udp.enabled && c.tcp.enabled && c.unix_sock.enabled && c.admin.enabled);
    assert_int_equal(c.udp.port, 6363);
    assert_int_equal(c.tcp.port, 6363);
    assert_string_equal(c.udp.bind, "0.0.0.0");
    assert_string_equal(c.admin.bind, "127.0.0.1");
    assert_int_equal(c.admin.port, 7380);
    assert_true(c.unix_sock.path_auto);
    assert_int_equal(c.unix_sock.mode, 0666);
    assert_int_equal(c.faces.max_packet, 8800);
    assert_int_equal(c.fw.max_packet, 8800);
    assert_int_equal(c.faces.udp_mtu, 8800);
    assert_int_equal(c.faces.udp_idle_timeout_ms, 600000);
    assert_int_equal(c.n_routes, 0);
    assert_int_equal(c.source[0], 0);
    /* an empty document changes nothing */
    char err[256];
    assert_int_equal(load(&c, "", err, sizeof err), 0);
    assert_int_equal(load(&c, "# only a comment\n", err, sizeof err), 0);
    assert_int_equal(c.udp.port, 6363);
    dmsc_config_free(&c);
}

static const char *full = "node:\n"
                          "  name: /example/node/x1\n"
                          "log:\n"
                          "  level: debug\n"
                          "listen:\n"
                          "  udp:\n"
                          "    enabled: true\n"
                          "    bind: 127.0.0.1\n"
                          "    port: 16363\n"
                          "    mtu: 1400\n"
                          "    idle_timeout: 90s\n"
                          "    keepalive_interval: 500ms\n"
                          "  tcp:\n"
                          "    enabled: false\n"
                          "    bind: \"::1\"\n"
                          "    port: 16364\n"
                          "    connect_timeout: 2s\n"
                          "  unix:\n"
                          "    path: /tmp/x/dmsc.sock\n"
                          "    mode: \"0660\"\n"
                          "admin:\n"
                          "  bind: 127.0.0.1\n"
                          "  port: 0\n"
                          "faces:\n"
                          "  max_packet: 64K\n"
                          "  send_queue: 2M\n"
                          "  app_queue: 8M\n"
                          "  max_faces: 100\n"
                          "  static:\n"
                          "    - uri: udp4://192.0.2.1:6363\n"
                          "    - uri: tcp4://192.0.2.2:6363\n"
                          "      persistency: persistent\n"
                          "forwarder:\n"
                          "  pit_max: 1000\n"
                          "  pit_max_per_face: 100\n"
                          "  cs_max_entries: 10\n"
                          "  cs_max_bytes: 1M\n"
                          "  dnl_lifetime: 3s\n"
                          "  dnl_max: 77\n"
                          "  max_interest_lifetime: 1m\n"
                          "  fib_max: 5000\n"
                          "routes:\n"
                          "  - prefix: /example/node/x2\n"
                          "    face: udp4://192.0.2.1:6363\n"
                          "    cost: 10\n"
                          "  - {prefix: /svc/a, face: \"tcp4://192.0.2.2:6363\"}\n";

static void test_full(void **state)
{
    dmsc_config_t c;
    char err[256];
    dmsc_config_default(&c);
    assert_int_equal(load(&c, full, err, sizeof err), 0);
    assert_string_equal(c.node_name, "/example/node/x1");
    assert_int_equal(c.log_level, DMSC_LOG_LEVEL_DEBUG);
    assert_string_equal(c.udp.bind, "127.0.0.1");
    assert_int_equal(c.udp.port, 16363);
    assert_int_equal(c.faces.udp_mtu, 1400);
    assert_int_equal(c.faces.udp_idle_timeout_ms, 90000);
    assert_int_equal(c.faces.udp_keepalive_ms, 500);
    assert_false(c.tcp.enabled);
    assert_string_equal(c.tcp.bind, "::1");
    assert_int_equal(c.tcp.port, 16364);
    assert_int_equal(c.faces.connect_timeout_ms, 2000);
    assert_false(c.unix_sock.path_auto);
    assert_string_equal(c.unix_sock.path, "/tmp/x/dmsc.sock");
    assert_int_equal(c.unix_sock.mode, 0660);
    assert_int_equal(c.admin.port, 0);
    assert_int_equal(c.faces.max_packet, 65536);
    assert_int_equal(c.fw.max_packet, 65536);
    assert_int_equal(c.faces.send_queue_max, 2u << 20);
    assert_int_equal(c.faces.app_queue_max, 8u << 20);
    assert_int_equal(c.faces.max_faces, 100);
    assert_int_equal(c.n_static_faces, 2);
    assert_string_equal(c.static_faces[0].uri, "udp4://192.0.2.1:6363");
    assert_int_equal(c.static_faces[0].persistency, DMSC_FACE_PERMANENT);
    assert_int_equal(c.static_faces[1].persistency, DMSC_FACE_PERSISTENT);
    assert_int_equal(c.fw.pit_max, 1000);
    assert_int_equal(c.fw.pit_max_per_face, 100);
    assert_int_equal(c.fw.cs_max_entries, 10);
    assert_int_equal(c.fw.cs_max_bytes, 1u << 20);
    assert_int_equal(c.fw.dnl_lifetime_ns, 3000000000ull);
    assert_int_equal(c.fw.dnl_max, 77);
    assert_int_equal(c.fw.max_lifetime_ns, 60000000000ull);
    assert_int_equal(c.fw.fib_max, 5000);
    assert_int_equal(c.n_routes, 2);
    assert_string_equal(c.routes[0].prefix, "/example/node/x2");
    assert_string_equal(c.routes[0].face, "udp4://192.0.2.1:6363");
    assert_int_equal(c.routes[0].cost, 10);
    assert_string_equal(c.routes[1].prefix, "/svc/a");
    assert_int_equal(c.routes[1].cost, 0);

    /* copy is deep */
    dmsc_config_t d;
    assert_int_equal(dmsc_config_copy(&d, &c), 0);
    assert_ptr_not_equal(d.routes, c.routes);
    assert_string_equal(d.routes[1].prefix, "/svc/a");
    dmsc_config_free(&d);

    assert_int_equal(c.gateway.buffer_max, 256ull << 20); /* default */
    assert_int_equal(load(&c, "gateway: {buffer_max: 1G}\n", err, sizeof err), 0);
    assert_int_equal(c.gateway.buffer_max, 1ull << 30);

    /* a second document replaces lists and keeps other keys */
    assert_int_equal(load(&c, "routes: []\nlog: {level: warn}\n", err, sizeof err), 0);
    assert_int_equal(c.n_routes, 0);
    assert_int_equal(c.n_static_faces, 2);
    assert_int_equal(c.log_level, DMSC_LOG_LEVEL_WARN);
    assert_int_equal(c.udp.port, 16363);
    dmsc_config_free(&c);
}

static void expect_error(const char *yaml, const char *want_in_err)
{
    dmsc_config_t c;
    char err[256];
    dmsc_config_default(&c);
    assert_int_equal(load(&c, yaml, err, sizeof err), DMSC_EINVAL);
    if (!strstr(err, want_in_err)) fail_msg("error \"%s\" lacks \"%s\"", err, want_in_err);
    /* unchanged on error */
    assert_int_equal(c.udp.port, 6363);
    assert_int_equal(c.n_routes, 0);
    dmsc_config_free(&c);
}

static void test_errors(void **state)
{
    expect_error("listen:\n  udp:\n    prot: 1\n", "line 3: listen.udp.prot: unknown key");
    expect_error("listen:\n  udp:\n    port: 70000\n", "listen.udp.port: expected an integer");
    expect_error("listen: {udp: {port: 1, bind: localhost}}\n", "numeric IPv4 or IPv6");
    expect_error("listen: {udp: {port: 1, idle_timeout: 5 days}}\n", "duration");
    expect_error("listen: {udp: {port: 1, mtu: 100}}\n", "listen.udp.mtu");
    expect_error("listen: {unix: {path: relative.sock}}\n", "absolute path");
    expect_error("listen: {unix: {mode: \"999\"}}\n", "octal");
    expect_error("node: {name: \"/a/%zz\"}\n", "node.name: not a valid NDN name");
    expect_error("log: {level: loud}\n", "log.level");
    expect_error("faces: {max_packet: 10G}\n", "faces.max_packet: size out of range");
    expect_error("faces: {send_queue: 3X}\n", "unknown size suffix");
    expect_error("faces: {max_packet: 64K, send_queue: 16K}\n", "faces.send_queue");
    expect_error("routes:\n  - prefix: /a\n    face: udp4://1.2.3.4:6363\n    cost: -1\n",
                 "routes[0].cost");
    expect_error("routes:\n  - prefix: /a\n", "routes[0]: face is required");
    expect_error("routes:\n  - face: udp4://1.2.3.4:1\n", "prefix is required");
    expect_error("routes:\n  - {prefix: /a, face: \"ether://x\"}\n", "routes[0].face");
    expect_error("routes: {prefix: /a}\n", "routes: expected a list");
    expect_error("faces: {static: [{persistency: permanent}]}\n", "uri is required");
    expect_error("faces: {static: [{uri: \"udp4://1.2.3.4:1\", persistency: on-demand}]}\n",
                 "persistent or permanent");
    expect_error("bogus: 1\n", "line 1: bogus: unknown key");
    expect_error("listen: [1, 2]\n", "expected a mapping");
    expect_error("listen: {udp: {enabled: maybe}}\n", "true or false");
    expect_error("listen: {udp: {port: 1}\n", "YAML syntax");
    expect_error("gateway: {buffer_max: 100K}\n", "gateway.buffer_max: size out of range");
}

static void test_file(void **state)
{
    char path[] = "/tmp/dmsc-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *y = "node: {name: /f/n}\n";
    assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    dmsc_config_t c;
    char err[512];
    dmsc_config_default(&c);
    assert_int_equal(dmsc_config_load_file(&c, path, err, sizeof err), 0);
    assert_string_equal(c.node_name, "/f/n");
    assert_string_equal(c.source, path);
    unlink(path);
    assert_int_equal(dmsc_config_load_file(&c, path, err, sizeof err), DMSC_ENOTSUP);
    assert_non_null(strstr(err, path));
    dmsc_config_free(&c);
}

static void test_resolve(void **state)
{
    dmsc_config_t c;
    char err[256];
    dmsc_config_default(&c);
    /* an explicit path is kept */
    assert_int_equal(load(&c, "listen: {unix: {path: /tmp/explicit.sock}}\n", err, sizeof err), 0);
    assert_int_equal(dmsc_config_resolve(&c, err, sizeof err), 0);
    assert_string_equal(c.unix_sock.path, "/tmp/explicit.sock");
    dmsc_config_free(&c);

    /* auto: <run>/dmsc first (created when <run> is writable) */
    char base[] = "/tmp/dmsc-test-cfg-XXXXXX";
    assert_non_null(mkdtemp(base));
    char run[128], tmp[128], want[256];
    snprintf(run, sizeof run, "%s/run", base);
    snprintf(tmp, sizeof tmp, "%s/tmp", base);
    mkdir(run, 0755);
    mkdir(tmp, 01777);
    dmsc_config_default(&c);
    assert_int_equal(dmsc_config_resolve_in(&c, run, tmp, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/dmsc/dmsc.sock", run);
    assert_string_equal(c.unix_sock.path, want);
    snprintf(want, sizeof want, "%s/dmsc", run);
    rmdir(want);

    /* no <run>: $XDG_RUNTIME_DIR when it is ours and private */
    char xdg[160];
    snprintf(xdg, sizeof xdg, "%s/xdg", base);
    mkdir(xdg, 0700);
    setenv("XDG_RUNTIME_DIR", xdg, 1);
    dmsc_config_default(&c);
    assert_int_equal(dmsc_config_resolve_in(&c, "/nonexistent-dmsc-test", tmp, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/dmsc.sock", xdg);
    assert_string_equal(c.unix_sock.path, want);

    /* a group-writable runtime dir is not trusted: <tmp>/dmsc-<uid>, mode 0700 */
    chmod(xdg, 0770);
    dmsc_config_default(&c);
    assert_int_equal(dmsc_config_resolve_in(&c, "/nonexistent-dmsc-test", tmp, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/dmsc-%u/dmsc.sock", tmp, (unsigned)getuid());
    assert_string_equal(c.unix_sock.path, want);
    struct stat st;
    snprintf(want, sizeof want, "%s/dmsc-%u", tmp, (unsigned)getuid());
    assert_int_equal(stat(want, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* a <tmp>/dmsc-<uid> that others can write into is refused */
    chmod(want, 0777);
    dmsc_config_default(&c);
    assert_int_equal(dmsc_config_resolve_in(&c, "/nonexistent-dmsc-test", tmp, err, sizeof err),
                     DMSC_EINVAL);
    assert_non_null(strstr(err, "listen.unix.path"));
    rmdir(want);
    rmdir(xdg);
    rmdir(tmp);
    rmdir(run);
    rmdir(base);
    unsetenv("XDG_RUNTIME_DIR");
}

/* Every ```yaml block of docs/config.md loads; the last one (every key at
 * its default) gives the defaults. Keeps the doc and the parser in step. */
static void test_doc_examples(void **state)
{
    /* DMSC_TEST_DATA is <source>/tests/unit/data (which need not exist) */
    char path[512];
    snprintf(path, sizeof path, "%s", DMSC_TEST_DATA);
    char *cut = strstr(path, "/tests/unit/data");
    assert_non_null(cut);
    snprintf(cut, sizeof path - (size_t)(cut - path), "/docs/config.md");
    FILE *fp = fopen(path, "rb");
    if (!fp) fail_msg("cannot open %s", path);
    static char doc[1 << 16];
    size_t n = fread(doc, 1, sizeof doc - 1, fp);
    fclose(fp);
    doc[n] = 0;
    int blocks = 0;
    dmsc_config_t last;
    dmsc_config_default(&last);
    for (char *p = strstr(doc, "```yaml\n"); p; p = strstr(p, "```yaml\n")) {
        p += 8;
        char *end = strstr(p, "```");
        assert_non_null(end);
        dmsc_config_t c;
        char err[256];
        dmsc_config_default(&c);
        int rc = dmsc_config_load_string(&c, p, (size_t)(end - p), err, sizeof err);
        if (rc) fail_msg("docs/config.md block %d: %s", blocks + 1, err);
        dmsc_config_free(&last);
        last = c;
        blocks++;
        p = end + 3;
    }
    assert_true(blocks >= 2);
    dmsc_config_t def;
    dmsc_config_default(&def);
    assert_memory_equal(&last.faces, &def.faces, sizeof def.faces);
    assert_memory_equal(&last.fw, &def.fw, sizeof def.fw);
    assert_memory_equal(&last.udp, &def.udp, sizeof def.udp);
    assert_memory_equal(&last.tcp, &def.tcp, sizeof def.tcp);
    assert_memory_equal(&last.admin, &def.admin, sizeof def.admin);
    assert_memory_equal(&last.unix_sock, &def.unix_sock, sizeof def.unix_sock);
    assert_int_equal(last.log_level, def.log_level);
    assert_int_equal(last.n_routes + last.n_static_faces, 0);
    assert_int_equal(last.routing.enabled, def.routing.enabled);
    assert_string_equal(last.routing.domain, def.routing.domain);
    assert_string_equal(last.routing.state_dir, def.routing.state_dir);
    assert_int_equal(last.routing.hello_interval_ms, def.routing.hello_interval_ms);
    assert_int_equal(last.routing.dead_misses, def.routing.dead_misses);
    assert_int_equal(last.routing.adopt, def.routing.adopt);
    assert_int_equal(last.routing.n_neighbors, 0);
    assert_int_equal(last.routing.discovery.enabled, def.routing.discovery.enabled);
    assert_string_equal(last.routing.discovery.group, def.routing.discovery.group);
    assert_int_equal(last.routing.discovery.port, def.routing.discovery.port);
    assert_int_equal(last.routing.discovery.interval_ms, def.routing.discovery.interval_ms);
    assert_int_equal(last.routing.discovery.n_interfaces, 0);
    dmsc_config_free(&last);
}

static void test_routing(void **state)
{
    (void)state;
    dmsc_config_t c;
    char err[256];
    dmsc_config_default(&c);
    assert_int_equal(c.routing.enabled, DMSC_ROUTING_AUTO);
    assert_string_equal(c.routing.domain, "/dmsc");
    assert_int_equal(c.routing.hello_interval_ms, 200);
    static const char y[] = "routing:\n"
                            "  enabled: true\n"
                            "  domain: /corp\n"
                            "  state_dir: /var/lib/x\n"
                            "  hello_interval: 1s\n"
                            "  dead_misses: 3\n"
                            "  adopt: false\n"
                            "  neighbors: [udp4://10.0.0.2:6363, tcp4://10.0.0.3:6363]\n";
    assert_int_equal(dmsc_config_load_string(&c, y, sizeof y - 1, err, sizeof err), 0);
    assert_int_equal(c.routing.enabled, DMSC_ROUTING_ON);
    assert_string_equal(c.routing.domain, "/corp");
    assert_string_equal(c.routing.state_dir, "/var/lib/x");
    assert_int_equal(c.routing.hello_interval_ms, 1000);
    assert_int_equal(c.routing.dead_misses, 3);
    assert_false(c.routing.adopt);
    assert_int_equal(c.routing.n_neighbors, 2);
    assert_string_equal(c.routing.neighbors[1], "tcp4://10.0.0.3:6363");
    /* copies are deep */
    dmsc_config_t d;
    assert_int_equal(dmsc_config_copy(&d, &c), 0);
    assert_ptr_not_equal(d.routing.neighbors, c.routing.neighbors);
    assert_string_equal(d.routing.neighbors[0], "udp4://10.0.0.2:6363");
    dmsc_config_free(&d);
    /* auto, and the list replaced */
    static const char y2[] = "routing: {enabled: auto, state_dir: auto, neighbors: []}\n";
    assert_int_equal(dmsc_config_load_string(&c, y2, sizeof y2 - 1, err, sizeof err), 0);
    assert_int_equal(c.routing.enabled, DMSC_ROUTING_AUTO);
    assert_string_equal(c.routing.state_dir, "");
    assert_int_equal(c.routing.n_neighbors, 0);
    assert_false(c.routing.discovery.enabled);
    static const char y3[] = "routing: {discovery: {enabled: true, group: 239.1.2.3, port: 5000, "
                             "interval: 250ms, interfaces: [eth0, br-lan]}}\n";
    assert_int_equal(dmsc_config_load_string(&c, y3, sizeof y3 - 1, err, sizeof err), 0);
    assert_true(c.routing.discovery.enabled);
    assert_string_equal(c.routing.discovery.group, "239.1.2.3");
    assert_int_equal(c.routing.discovery.port, 5000);
    assert_int_equal(c.routing.discovery.interval_ms, 250);
    assert_int_equal(c.routing.discovery.n_interfaces, 2);
    assert_string_equal(c.routing.discovery.interfaces[1], "br-lan");
    static const char y4[] = "routing: {discovery: {enabled: false}}\n";
    assert_int_equal(dmsc_config_load_string(&c, y4, sizeof y4 - 1, err, sizeof err), 0);
    /* errors leave the config unchanged */
    static const char *bad[] = {
        "routing: {neighbours: []}\n",              /* unknown key */
        "routing: {neighbors: [http://x]}\n",       /* not a face URI */
        "routing: {neighbors: udp4://1.2.3.4:1}\n", /* not a list */
        "routing: {enabled: maybe}\n",
        "routing: {state_dir: relative/dir}\n",
        "routing: {dead_misses: 0}\n",
        "routing: {hello_interval: 1ms}\n",
        "routing: {discovery: {enable: true}}\n",    /* unknown key */
        "routing: {discovery: {group: 10.0.0.1}}\n", /* not multicast */
        "routing: {discovery: {port: 0}}\n",
        "routing: {discovery: {interval: 1ms}}\n",
        "routing: {discovery: {interfaces: eth0}}\n", /* not a list */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = dmsc_config_load_string(&c, bad[i], strlen(bad[i]), err, sizeof err);
        if (rc != DMSC_EINVAL) fail_msg("accepted: %s", bad[i]);
        assert_non_null(strstr(err, "routing"));
    }
    assert_int_equal(c.routing.enabled, DMSC_ROUTING_AUTO);
    dmsc_config_free(&c);
}

int main(void)
{
    dmsc_log_set_level(DMSC_LOG_LEVEL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_file),
        cmocka_unit_test(test_resolve),  cmocka_unit_test(test_doc_examples),
        cmocka_unit_test(test_routing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
