/*
 * dmsc: the dmsc command-line tool.
 *
 *   dmsc packet decode [HEX|-]   packet (hex) -> JSON description, verification
 *   dmsc packet encode           JSON description (stdin) -> packet (hex), signing
 *   dmsc packet keygen           new Ed25519 / ECDSA P-256 / HMAC key
 *   dmsc packet uri URI          NDN URI -> canonical and alternate URI, TLV
 *
 * The JSON schema and the key file formats are documented in docs/cli.md.
 * Exit status: 0 success; 1 error (usage, malformed input, I/O); 2 the packet
 * decoded but an integrity check failed (signature, parameters digest).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "base/err.h"
#include "base/sha256.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "ndn/lp.h"
#include "ndn/name.h"
#include "ndn/siginfo.h"
#include "ndn/signer.h"
#include "ndn/tlv.h"
#include "sec/key.h"
#include "sec/keyfile.h"
#include "sec/sig.h"
#ifdef DMSC_CLI_NODE
#include "cli/cmd_node.h"
#endif
#ifdef DMSC_CLI_NDN
#include "cli/cmd_ndn.h"
#endif
#ifdef DMSC_CLI_SERVICE
#include "cli/cmd_service.h"
#endif

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_INTEGRITY = 2 };

/* Input ceilings: a packet is at most DMSC_TLV_MAX_PACKET bytes; its hex
 * (with whitespace) or JSON description is bounded accordingly. */
#define MAX_TEXT_IN (8u << 20)
#define MAX_KEY_FILE (64u << 10)
#define URI_CAP (8 * DMSC_NAME_MAX_LEN + 64 * DMSC_NAME_MAX_COMPS)
#define ENC_CAP (DMSC_TLV_MAX_PACKET + 64)

/* ---------------------------------------------------------------- errors */

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dmsc: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_ERR;
}

/* "dmsc: <what>: <dmsc_strerror> (<ENAME>)" */
static int fail_rc(int rc, const char *what)
{
    return fail("%s: %s (%s)", what, dmsc_strerror(rc), dmsc_errname(rc));
}

/* ----------------------------------------------------------- small arena */

/* Every buffer an encode needs lives until the command ends. */
typedef struct {
    void **p;
    size_t n, cap;
} arena_t;

static void *arena_alloc(arena_t *a, size_t n)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        void **np = realloc(a->p, cap * sizeof *np);
        if (!np) return NULL;
        a->p = np;
        a->cap = cap;
    }
    void *m = calloc(1, n ? n : 1);
    if (m) a->p[a->n++] = m;
    return m;
}

static void arena_free(arena_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
    a->p = NULL;
    a->n = a->cap = 0;
}

/* ------------------------------------------------------------ text input */

/* Read all of f, at most max bytes (+1 for a NUL). -1 if larger or on error. */
static int read_all(FILE *f, size_t max, char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) return -1;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f) || n > max) {
        free(buf);
        errno = ferror(f) ? EIO : EFBIG;
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    int rc = read_all(f, max, out, len);
    int e = errno;
    fclose(f);
    errno = e;
    return rc;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode hex (whitespace ignored) into a new buffer. On error returns -1
 * and sets *bad to the offending position (or NULL for an odd count). */
static int hex_decode(const char *s, size_t slen, uint8_t **out, size_t *len, const char **bad)
{
    uint8_t *buf = malloc(slen / 2 + 1);
    if (!buf) return -1;
    size_t n = 0;
    int hi = -1;
    *bad = NULL;
    for (size_t i = 0; i < slen; i++) {
        if (isspace((unsigned char)s[i])) continue;
        int v = hexval((unsigned char)s[i]);
        if (v < 0) {
            *bad = s + i;
            free(buf);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            buf[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static char *hex_encode(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

/* --------------------------------------------------------- JSON building */

static json_t *j_hex(const uint8_t *p, size_t n)
{
    char *s = hex_encode(p, n);
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

/* Integers above 2^53-1 are written as decimal strings (RFC 7493 I-JSON). */
#define JSON_SAFE_MAX 9007199254740991ull

static json_t *j_u64(uint64_t v)
{
    if (v <= JSON_SAFE_MAX) return json_integer((json_int_t)v);
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return json_string(buf);
}

/* Text as a JSON string, or hex if it is not valid UTF-8. */
static json_t *j_text(const uint8_t *p, size_t n)
{
    json_t *j = json_stringn((const char *)p, n);
    return j ? j : j_hex(p, n);
}

static void jset(json_t *o, const char *k, json_t *v)
{
    json_object_set_new(o, k, v);
}

static int print_json(json_t *j, bool compact)
{
    size_t flags = compact ? JSON_COMPACT : JSON_INDENT(2);
    if (json_dumpf(j, stdout, flags) != 0) return fail("cannot write output");
    fputc('\n', stdout);
    return fflush(stdout) == 0 ? EXIT_OK : fail("cannot write output: %s", strerror(errno));
}

/* ----------------------------------------------------------------- names */

static const struct {
    uint16_t type;
    const char *name;
    bool number;
} comp_types[] = {
    {DMSC_TT_IMPLICIT_DIGEST, "implicit-digest", false},
    {DMSC_TT_PARAMS_DIGEST, "params-digest", false},
    {DMSC_TT_GENERIC, "generic", false},
    {DMSC_TT_KEYWORD, "keyword", false},
    {DMSC_TT_SEGMENT, "segment", true},
    {DMSC_TT_BYTE_OFFSET, "byte-offset", true},
    {DMSC_TT_VERSION, "version", true},
    {DMSC_TT_TIMESTAMP, "timestamp", true},
    {DMSC_TT_SEQUENCE_NUM, "sequence-num", true},
};

static int comp_type_index(uint64_t type)
{
    for (size_t i = 0; i < sizeof comp_types / sizeof comp_types[0]; i++)
        if (comp_types[i].type == type) return (int)i;
    return -1;
}

static int comp_type_by_name(const char *s)
{
    for (size_t i = 0; i < sizeof comp_types / sizeof comp_types[0]; i++)
        if (strcmp(comp_types[i].name, s) == 0) return comp_types[i].type;
    return -1;
}

static json_t *j_comp(const dmsc_comp_t *c)
{
    static char uri[URI_CAP];
    json_t *o = json_object();
    int ti = comp_type_index(c->type);
    jset(o, "type", json_integer(c->type));
    jset(o, "type_name", json_string(ti >= 0 ? comp_types[ti].name : "other"));
    jset(o, "value", j_hex(c->value, c->len));
    if (dmsc_comp_to_uri(c, DMSC_URI_CANONICAL, uri, sizeof uri) >= 0)
        jset(o, "uri", json_string(uri));
    if (dmsc_comp_to_uri(c, DMSC_URI_ALT, uri, sizeof uri) >= 0)
        jset(o, "alt_uri", json_string(uri));
    uint64_t v;
    if (ti >= 0 && comp_types[ti].number && dmsc_nni_decode(c->value, c->len, &v) == 0)
        jset(o, "number", j_u64(v));
    return o;
}

/* Fields of a name description, added to o. */
static void j_name_into(json_t *o, const dmsc_name_t *n)
{
    static char uri[URI_CAP];
    if (dmsc_name_to_uri(n, DMSC_URI_CANONICAL, uri, sizeof uri) >= 0)
        jset(o, "uri", json_string(uri));
    if (dmsc_name_to_uri(n, DMSC_URI_ALT, uri, sizeof uri) >= 0)
        jset(o, "alt_uri", json_string(uri));
    json_t *comps = json_array();
    for (size_t i = 0; i < n->ncomps; i++) {
        dmsc_comp_t c = dmsc_name_comp(n, i);
        json_array_append_new(comps, j_comp(&c));
    }
    jset(o, "components", comps);
}

static json_t *j_name(const dmsc_name_t *n)
{
    json_t *o = json_object();
    j_name_into(o, n);
    return o;
}

/* Name element (TLV-TYPE 7) of n, as hex. */
static json_t *j_name_tlv(const dmsc_name_t *n)
{
    uint8_t buf[DMSC_NAME_MAX_LEN + 8];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    dmsc_enc_prepend_name(&e, n);
    if (dmsc_enc_error(&e)) return json_null();
    return j_hex(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e));
}

/* ------------------------------------------------------------ signatures */

static const struct {
    uint64_t type;
    const char *name;
    const char *key_type; /* keygen --type, key file "type" */
} sig_types[] = {
    {DMSC_SIG_SHA256, "digest-sha256", NULL},         {DMSC_SIG_RSA_SHA256, "rsa-sha256", NULL},
    {DMSC_SIG_ECDSA_SHA256, "ecdsa-sha256", "ecdsa"}, {DMSC_SIG_HMAC_SHA256, "hmac-sha256", "hmac"},
    {DMSC_SIG_ED25519, "ed25519", "ed25519"},
};

static const char *sig_type_name(uint64_t t)
{
    for (size_t i = 0; i < sizeof sig_types / sizeof sig_types[0]; i++)
        if (sig_types[i].type == t) return sig_types[i].name;
    return "other";
}

static const char *key_type_name(uint64_t t)
{
    for (size_t i = 0; i < sizeof sig_types / sizeof sig_types[0]; i++)
        if (sig_types[i].type == t && sig_types[i].key_type) return sig_types[i].key_type;
    return "unknown";
}

/* Signature type from a JSON number, a type name or a key type name; -1 if unknown. */
static int64_t sig_type_parse(const json_t *j)
{
    if (json_is_integer(j) && json_integer_value(j) >= 0) return json_integer_value(j);
    if (!json_is_string(j)) return -1;
    const char *s = json_string_value(j);
    for (size_t i = 0; i < sizeof sig_types / sizeof sig_types[0]; i++) {
        if (strcmp(s, sig_types[i].name) == 0) return (int64_t)sig_types[i].type;
        if (sig_types[i].key_type && strcmp(s, sig_types[i].key_type) == 0)
            return (int64_t)sig_types[i].type;
    }
    if (strcmp(s, "sha256") == 0 || strcmp(s, "digest") == 0) return DMSC_SIG_SHA256;
    return -1;
}

static json_t *j_validity(dmsc_slice_t v)
{
    json_t *o = json_object();
    dmsc_tlv_reader_t r;
    dmsc_tlv_t el;
    dmsc_tlv_reader_init(&r, v.p, v.n);
    while (!dmsc_tlv_reader_eof(&r) && dmsc_tlv_read(&r, &el) == 0) {
        if (el.type == DMSC_TT_NOT_BEFORE) jset(o, "not_before", j_text(el.value, el.len));
        if (el.type == DMSC_TT_NOT_AFTER) jset(o, "not_after", j_text(el.value, el.len));
    }
    return o;
}

static json_t *j_siginfo(const dmsc_siginfo_t *si, dmsc_slice_t value)
{
    json_t *o = json_object();
    jset(o, "type", j_u64(si->type));
    jset(o, "type_name", json_string(sig_type_name(si->type)));
    if (si->keyloc_kind == DMSC_KEYLOC_NAME) {
        json_t *kl = json_object();
        jset(kl, "name", j_name(&si->keyloc_name));
        jset(o, "key_locator", kl);
    } else if (si->keyloc_kind == DMSC_KEYLOC_DIGEST) {
        json_t *kl = json_object();
        jset(kl, "digest", j_hex(si->keyloc_digest.p, si->keyloc_digest.n));
        jset(o, "key_locator", kl);
    }
    if (si->has_nonce) jset(o, "nonce", j_hex(si->nonce.p, si->nonce.n));
    if (si->has_time) jset(o, "time", j_u64(si->time));
    if (si->has_seq_num) jset(o, "seq_num", j_u64(si->seq_num));
    if (si->has_validity) jset(o, "validity", j_validity(si->validity));
    jset(o, "value", j_hex(value.p, value.n));
    return o;
}

/* ---------------------------------------------------------------- keys */

static int key_import_json(dmsc_key_t **out, const char *text, size_t len, const char *what);
static int key_import_pem(dmsc_key_t **out, const char *text, size_t len, const char *what);

/* Load a key from a file: a DMSK key file (sec/keyfile.h), a JSON key file
 * {"type","name","pkcs8"|"spki"|"secret"} or PEM (PRIVATE KEY, PUBLIC KEY). */
static int key_load(dmsc_key_t **out, const char *path)
{
    char *text;
    size_t len;
    if (read_file(path, MAX_KEY_FILE, &text, &len) != 0)
        return fail("cannot read key file %s: %s", path, strerror(errno));
    int rc;
    size_t skip = 0;
    while (skip < len && isspace((unsigned char)text[skip]))
        skip++;
    if (len >= 4 && memcmp(text, DMSC_KEYFILE_MAGIC, 4) == 0) {
        int r = dmsc_keyfile_decode(out, (const uint8_t *)text, len);
        rc = r ? fail("key file %s: %s (%s)", path, dmsc_strerror(r), dmsc_errname(r)) : EXIT_OK;
    } else if (skip < len && text[skip] == '{') {
        rc = key_import_json(out, text, len, path);
    } else if (len - skip >= 10 && memcmp(text + skip, "-----BEGIN", 10) == 0) {
        rc = key_import_pem(out, text, len, path);
    } else {
        rc = fail("key file %s: not a dmsc key file, JSON key or PEM key", path);
    }
    free(text);
    return rc;
}

static int key_set_name_uri(dmsc_key_t *k, const char *uri, const char *what)
{
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    if (!nb) return fail("out of memory");
    int r = dmsc_namebuf_from_uri(nb, uri);
    if (r == 0) r = dmsc_key_set_name(k, &nb->name);
    free(nb);
    if (r)
        return fail("%s: key name \"%s\": %s (%s)", what, uri, dmsc_strerror(r), dmsc_errname(r));
    return EXIT_OK;
}

static int key_import_json(dmsc_key_t **out, const char *text, size_t len, const char *what)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) return fail("%s: not JSON: line %d: %s", what, jerr.line, jerr.text);
    int rc = EXIT_ERR;
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *fields[] = {"pkcs8", "secret", "spki"};
    const char *field = NULL, *hex = NULL;
    for (size_t i = 0; i < 3 && !hex; i++) {
        hex = json_string_value(json_object_get(j, fields[i]));
        field = fields[i];
    }
    int64_t want = type ? sig_type_parse(json_object_get(j, "type")) : -1;
    if (want < 0 || want == DMSC_SIG_SHA256) {
        fail("%s: \"type\" must be \"ed25519\", \"ecdsa\" or \"hmac\"", what);
        goto out;
    }
    if (!hex) {
        fail("%s: no \"pkcs8\", \"secret\" or \"spki\"", what);
        goto out;
    }
    uint8_t *der;
    size_t n;
    const char *bad;
    if (hex_decode(hex, strlen(hex), &der, &n, &bad) != 0) {
        fail("%s: \"%s\" is not hex", what, field);
        goto out;
    }
    int r;
    if (strcmp(field, "pkcs8") == 0)
        r = dmsc_key_import_pkcs8(out, der, n);
    else if (strcmp(field, "spki") == 0)
        r = dmsc_key_import_spki(out, der, n);
    else
        r = dmsc_key_import_raw_private(out, (uint64_t)want, der, n);
    free(der);
    if (r) {
        fail("%s: \"%s\": %s (%s)", what, field, dmsc_strerror(r), dmsc_errname(r));
        goto out;
    }
    if (dmsc_key_sig_type(*out) != (uint64_t)want) {
        fail("%s: \"type\" is %s but the key is %s", what, type,
             key_type_name(dmsc_key_sig_type(*out)));
        dmsc_key_free(*out);
        *out = NULL;
        goto out;
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    if (name && key_set_name_uri(*out, name, what) != EXIT_OK) {
        dmsc_key_free(*out);
        *out = NULL;
        goto out;
    }
    rc = EXIT_OK;
out:
    json_decref(j);
    return rc;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int key_import_pem(dmsc_key_t **out, const char *text, size_t len, const char *what)
{
    static const char *const kinds[] = {"PRIVATE KEY", "PUBLIC KEY"};
    for (size_t k = 0; k < 2; k++) {
        char begin[40], end[40];
        snprintf(begin, sizeof begin, "-----BEGIN %s-----", kinds[k]);
        snprintf(end, sizeof end, "-----END %s-----", kinds[k]);
        const char *b = memmem(text, len, begin, strlen(begin));
        if (!b) continue;
        b += strlen(begin);
        const char *e = memmem(b, len - (size_t)(b - text), end, strlen(end));
        if (!e) break;
        uint8_t *der = malloc((size_t)(e - b));
        if (!der) return fail("out of memory");
        size_t n = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (const char *p = b; p < e; p++) {
            if (isspace((unsigned char)*p) || *p == '=') continue;
            int v = b64val((unsigned char)*p);
            if (v < 0) {
                free(der);
                return fail("%s: bad base64 in PEM", what);
            }
            acc = acc << 6 | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                der[n++] = (uint8_t)(acc >> bits);
            }
        }
        int r = k == 0 ? dmsc_key_import_pkcs8(out, der, n) : dmsc_key_import_spki(out, der, n);
        free(der);
        if (r) return fail("%s: %s: %s (%s)", what, kinds[k], dmsc_strerror(r), dmsc_errname(r));
        return EXIT_OK;
    }
    return fail("%s: PEM without a PRIVATE KEY or PUBLIC KEY block", what);
}

static int key_from_hex(dmsc_key_t **out, const char *hex, bool hmac, const char *opt)
{
    uint8_t *p;
    size_t n;
    const char *bad;
    if (hex_decode(hex, strlen(hex), &p, &n, &bad) != 0) return fail("%s: not hex", opt);
    int r = hmac ? dmsc_key_import_raw_private(out, DMSC_SIG_HMAC_SHA256, p, n)
                 : dmsc_key_import_spki(out, p, n);
    free(p);
    if (r) return fail("%s: %s (%s)", opt, dmsc_strerror(r), dmsc_errname(r));
    return EXIT_OK;
}

/* ------------------------------------------------------------- decoding */

typedef struct {
    const dmsc_key_t *key; /* verification key, or NULL */
    bool integrity_ok;     /* cleared by any failed check */
} dec_ctx_t;

/* Verify with the digest verifier (DigestSha256, no key needed) or the
 * context key, and record "verified" (and "verify_error") in jsig. */
typedef int (*verify_fn)(const void *pkt, const dmsc_verifier_t *v);

static int verify_interest_fn(const void *pkt, const dmsc_verifier_t *v)
{
    return dmsc_interest_verify(pkt, v);
}

static int verify_data_fn(const void *pkt, const dmsc_verifier_t *v)
{
    return dmsc_data_verify(pkt, v);
}

static void check_signature(dec_ctx_t *ctx, json_t *jsig, uint64_t sig_type, verify_fn fn,
                            const void *pkt)
{
    const dmsc_verifier_t *v = NULL;
    char msg[160];
    if (sig_type == DMSC_SIG_SHA256) {
        v = dmsc_sig_digest_verifier();
    } else if (ctx->key) {
        if (dmsc_key_sig_type(ctx->key) != sig_type) {
            snprintf(msg, sizeof msg, "the key is %s, the signature %s",
                     key_type_name(dmsc_key_sig_type(ctx->key)), sig_type_name(sig_type));
            jset(jsig, "verified", json_false());
            jset(jsig, "verify_error", json_string(msg));
            ctx->integrity_ok = false;
            return;
        }
        dmsc_key_verifier(ctx->key, &v);
    }
    if (!v) return; /* nothing to verify with */
    int rc = fn(pkt, v);
    jset(jsig, "verified", json_boolean(rc == 0));
    if (rc != 0) {
        jset(jsig, "verify_error", json_string(dmsc_strerror(rc)));
        ctx->integrity_ok = false;
    }
}

static int describe(dec_ctx_t *ctx, const uint8_t *w, size_t n, json_t **out, const char **where);

/*
 * dmsc_interest_decode() rejects a wrong ParametersSha256DigestComponent
 * (DMSC_EDIGEST) outright. To report "params_digest_valid": false instead,
 * copy the packet with the correct digest in place of the wrong one, when
 * the only problem can be the digest value: exactly one 32-byte digest
 * component, and ApplicationParameters present. Returns true if `fixed`
 * (n bytes) now holds such a copy.
 */
static bool fix_params_digest(const uint8_t *w, size_t n, uint8_t *fixed)
{
    dmsc_tlv_t top, el, comp;
    if (dmsc_tlv_decode_one(w, n, &top) != 0 || top.type != DMSC_TT_INTEREST) return false;
    dmsc_tlv_reader_t r, nr;
    dmsc_tlv_reader_init(&r, top.value, top.len);
    if (dmsc_tlv_read(&r, &el) != 0 || el.type != DMSC_TT_NAME) return false;
    const uint8_t *digest = NULL;
    int ndigests = 0;
    dmsc_tlv_reader_init(&nr, el.value, el.len);
    while (!dmsc_tlv_reader_eof(&nr)) {
        if (dmsc_tlv_read(&nr, &comp) != 0) return false;
        if (comp.type == DMSC_TT_PARAMS_DIGEST) {
            ndigests++;
            if (comp.len != DMSC_DIGEST_LEN) return false;
            digest = comp.value;
        }
    }
    if (ndigests != 1) return false;
    while (!dmsc_tlv_reader_eof(&r)) {
        if (dmsc_tlv_read(&r, &el) != 0) return false;
        if (el.type == DMSC_TT_APP_PARAMETERS) {
            size_t from = (size_t)(el.start - w);
            memcpy(fixed, w, n);
            dmsc_sha256_buf(fixed + from, (size_t)(top.value + top.len - el.start),
                            fixed + (digest - w));
            return true;
        }
    }
    return false;
}

static int describe_interest(dec_ctx_t *ctx, const uint8_t *w, size_t n, json_t **out)
{
    dmsc_interest_t *i = malloc(sizeof *i);
    uint8_t *fixed = NULL;
    if (!i) return DMSC_ENOMEM;
    bool digest_ok = true;
    int rc = dmsc_interest_decode(i, w, n, DMSC_TLV_MAX_PACKET);
    if (rc == DMSC_EDIGEST && (fixed = malloc(n)) != NULL && fix_params_digest(w, n, fixed) &&
        dmsc_interest_decode(i, fixed, n, DMSC_TLV_MAX_PACKET) == 0) {
        rc = 0;
        digest_ok = false;
        ctx->integrity_ok = false;
    }
    if (rc) goto done;

    /* the name as it is on the wire (in `fixed` the digest was replaced) */
    dmsc_name_t name = i->name;
    if (fixed) dmsc_name_from_value(&name, w + (i->name.value - fixed), i->name.len);

    json_t *o = json_object();
    jset(o, "type", json_string("interest"));
    jset(o, "size", json_integer((json_int_t)n));
    jset(o, "name", j_name(&name));
    jset(o, "can_be_prefix", json_boolean(i->can_be_prefix));
    jset(o, "must_be_fresh", json_boolean(i->must_be_fresh));
    if (i->has_fwhint) {
        json_t *a = json_array();
        dmsc_fwhint_iter_t it;
        dmsc_name_t fh;
        dmsc_fwhint_iter_init(&it, i);
        while (dmsc_fwhint_next(&it, &fh) == 1)
            json_array_append_new(a, j_name(&fh));
        jset(o, "forwarding_hint", a);
    }
    if (i->has_nonce) {
        char nonce[9];
        snprintf(nonce, sizeof nonce, "%08" PRIx32, i->nonce);
        jset(o, "nonce", json_string(nonce));
    }
    if (i->has_lifetime) jset(o, "lifetime", j_u64(i->lifetime));
    if (i->has_hop_limit) jset(o, "hop_limit", json_integer(i->hop_limit));
    if (i->has_app_params) {
        jset(o, "app_parameters", j_hex(i->app_params.p, i->app_params.n));
        jset(o, "params_digest_valid", json_boolean(digest_ok));
    }
    if (i->is_signed) {
        json_t *jsig = j_siginfo(&i->sig_info, i->sig_value);
        check_signature(ctx, jsig, i->sig_info.type, verify_interest_fn, i);
        jset(o, "signature", jsig);
    }
    *out = o;
done:
    free(fixed);
    free(i);
    return rc;
}

static int describe_data(dec_ctx_t *ctx, const uint8_t *w, size_t n, json_t **out)
{
    dmsc_data_t *d = malloc(sizeof *d);
    if (!d) return DMSC_ENOMEM;
    int rc = dmsc_data_decode(d, w, n, DMSC_TLV_MAX_PACKET);
    if (rc) {
        free(d);
        return rc;
    }
    json_t *o = json_object();
    jset(o, "type", json_string("data"));
    jset(o, "size", json_integer((json_int_t)n));
    jset(o, "name", j_name(&d->name));
    if (d->has_content_type) jset(o, "content_type", j_u64(d->content_type));
    if (d->has_freshness) jset(o, "freshness_period", j_u64(d->freshness));
    if (d->has_final_block) jset(o, "final_block_id", j_comp(&d->final_block));
    if (d->has_content) jset(o, "content", j_hex(d->content.p, d->content.n));
    json_t *jsig = j_siginfo(&d->sig_info, d->sig_value);
    check_signature(ctx, jsig, d->sig_info.type, verify_data_fn, d);
    jset(o, "signature", jsig);
    uint8_t digest[DMSC_SHA256_LEN];
    dmsc_data_implicit_digest(d, digest);
    jset(o, "implicit_digest", j_hex(digest, sizeof digest));
    *out = o;
    free(d);
    return 0;
}

static const char *nack_reason_name(uint64_t r)
{
    switch (r) {
    case DMSC_LP_NACK_NONE:
        return "none";
    case DMSC_LP_NACK_CONGESTION:
        return "congestion";
    case DMSC_LP_NACK_DUPLICATE:
        return "duplicate";
    case DMSC_LP_NACK_NO_ROUTE:
        return "no-route";
    default:
        return "other";
    }
}

static int describe_lp(dec_ctx_t *ctx, const uint8_t *w, size_t n, json_t **out)
{
    dmsc_lp_t *lp = malloc(sizeof *lp);
    if (!lp) return DMSC_ENOMEM;
    int rc = dmsc_lp_decode(w, n, DMSC_TLV_MAX_PACKET, lp);
    if (rc) {
        free(lp);
        return rc;
    }
    json_t *o = json_object();
    jset(o, "type", json_string("lp"));
    jset(o, "size", json_integer((json_int_t)n));
    if (lp->has & DMSC_LP_HAS_SEQ) jset(o, "sequence", j_u64(lp->seq));
    if (lp->has & DMSC_LP_HAS_FRAG_INDEX) jset(o, "frag_index", j_u64(lp->frag_index));
    if (lp->has & DMSC_LP_HAS_FRAG_COUNT) jset(o, "frag_count", j_u64(lp->frag_count));
    if (lp->has & DMSC_LP_HAS_PIT_TOKEN)
        jset(o, "pit_token", j_hex(lp->pit_token.p, lp->pit_token.n));
    if (lp->has & DMSC_LP_HAS_NACK) {
        json_t *nack = json_object();
        jset(nack, "reason", j_u64(lp->nack_reason));
        jset(nack, "reason_name", json_string(nack_reason_name(lp->nack_reason)));
        jset(o, "nack", nack);
    }
    if (lp->has & DMSC_LP_HAS_CONGESTION_MARK)
        jset(o, "congestion_mark", j_u64(lp->congestion_mark));
    if (lp->has & DMSC_LP_HAS_INCOMING_FACE_ID)
        jset(o, "incoming_face_id", j_u64(lp->incoming_face_id));
    if (lp->has & DMSC_LP_HAS_NEXT_HOP_FACE_ID)
        jset(o, "next_hop_face_id", j_u64(lp->next_hop_face_id));
    if (lp->has & DMSC_LP_HAS_CACHE_POLICY) jset(o, "cache_policy", j_u64(lp->cache_policy));
    if (lp->has & DMSC_LP_HAS_TX_SEQ) jset(o, "tx_sequence", j_u64(lp->tx_seq));
    if (lp->has & DMSC_LP_HAS_ACK) {
        json_t *a = json_array();
        dmsc_lp_ack_iter_t it;
        uint64_t seq;
        dmsc_lp_ack_iter_init(&it, lp);
        while (dmsc_lp_ack_iter_next(&it, &seq))
            json_array_append_new(a, j_u64(seq));
        jset(o, "acks", a);
    }
    if (lp->has & DMSC_LP_HAS_NON_DISCOVERY) jset(o, "non_discovery", json_true());
    if (lp->has & DMSC_LP_HAS_PREFIX_ANN)
        jset(o, "prefix_announcement", j_hex(lp->prefix_ann.p, lp->prefix_ann.n));
    if (lp->n_ignored) jset(o, "ignored_fields", json_integer(lp->n_ignored));
    if (lp->has & DMSC_LP_HAS_FRAGMENT) {
        jset(o, "fragment", j_hex(lp->fragment.p, lp->fragment.n));
        if (lp->frag_count == 1) {
            /* a whole network packet: describe it too */
            json_t *inner = NULL;
            const char *where = NULL;
            int irc = describe(ctx, lp->fragment.p, lp->fragment.n, &inner, &where);
            if (irc == 0) {
                jset(o, "packet", inner);
            } else {
                char msg[200];
                snprintf(msg, sizeof msg, "%s%s%s (%s)", where ? where : "", where ? ": " : "",
                         dmsc_strerror(irc), dmsc_errname(irc));
                jset(o, "packet_error", json_string(msg));
            }
        }
    }
    *out = o;
    free(lp);
    return 0;
}

static int describe_name(const uint8_t *w, size_t n, json_t **out)
{
    dmsc_name_t name;
    int rc = dmsc_name_decode(&name, w, n);
    if (rc) return rc;
    json_t *o = json_object();
    jset(o, "type", json_string("name"));
    jset(o, "tlv", j_hex(w, n));
    j_name_into(o, &name);
    *out = o;
    return 0;
}

/* Describe any packet; on error *where names the packet kind. */
static int describe(dec_ctx_t *ctx, const uint8_t *w, size_t n, json_t **out, const char **where)
{
    uint64_t type;
    const uint8_t *p = w;
    *where = NULL;
    if (n == 0 || dmsc_varnum_read(&p, w + n, &type) != 0) return DMSC_ETRUNC;
    switch (type) {
    case DMSC_TT_INTEREST:
        *where = "Interest";
        return describe_interest(ctx, w, n, out);
    case DMSC_TT_DATA:
        *where = "Data";
        return describe_data(ctx, w, n, out);
    case DMSC_TT_LP_PACKET:
        *where = "LpPacket";
        return describe_lp(ctx, w, n, out);
    case DMSC_TT_NAME:
        *where = "Name";
        return describe_name(w, n, out);
    default:
        return DMSC_ETYPE;
    }
}

/* ------------------------------------------------------- encoding input */

/* One JSON object being read: its path for messages and the keys allowed. */
typedef struct {
    const json_t *o;
    const char *path;
} jin_t;

static int check_keys(const json_t *o, const char *path, const char *const *allowed)
{
    const char *k;
    json_t *v;
    if (!json_is_object(o)) return fail("encode: %s must be an object", path);
    json_object_foreach((json_t *)o, k, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, k) == 0;
        if (!ok) return fail("encode: unknown field \"%s\" in %s", k, path);
    }
    return EXIT_OK;
}

static int get_bool(const jin_t *in, const char *k, bool *out)
{
    const json_t *v = json_object_get(in->o, k);
    if (!v) return EXIT_OK;
    if (!json_is_boolean(v)) return fail("encode: %s.%s must be true or false", in->path, k);
    *out = json_is_true(v);
    return EXIT_OK;
}

/* Unsigned integer (JSON integer or decimal string) at most max; *has set
 * if present. */
static int get_u64(const jin_t *in, const char *k, uint64_t max, uint64_t *out, bool *has)
{
    const json_t *v = json_object_get(in->o, k);
    if (has) *has = v != NULL;
    if (!v) return EXIT_OK;
    uint64_t x;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        x = (uint64_t)json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        x = strtoull(s, &end, 10);
        if (!isdigit((unsigned char)s[0]) || *end || errno)
            return fail("encode: %s.%s: \"%s\" is not a non-negative integer", in->path, k, s);
    } else {
        return fail("encode: %s.%s must be a non-negative integer", in->path, k);
    }
    if (x > max) return fail("encode: %s.%s: %" PRIu64 " is above %" PRIu64, in->path, k, x, max);
    *out = x;
    return EXIT_OK;
}

/* Hex string into an arena buffer; *has set if present. */
static int get_hex(arena_t *a, const jin_t *in, const char *k, dmsc_slice_t *out, bool *has)
{
    const json_t *v = json_object_get(in->o, k);
    if (has) *has = v != NULL;
    if (!v) return EXIT_OK;
    if (!json_is_string(v)) return fail("encode: %s.%s must be a hex string", in->path, k);
    uint8_t *p;
    size_t n;
    const char *bad;
    const char *s = json_string_value(v);
    if (hex_decode(s, strlen(s), &p, &n, &bad) != 0)
        return fail("encode: %s.%s is not hex", in->path, k);
    uint8_t *keep = arena_alloc(a, n);
    if (!keep) {
        free(p);
        return fail("out of memory");
    }
    memcpy(keep, p, n);
    free(p);
    *out = dmsc_slice(keep, n);
    return EXIT_OK;
}

/* Hex field, or its "<k>_text" UTF-8 alternative. */
static int get_bytes(arena_t *a, const jin_t *in, const char *k, dmsc_slice_t *out, bool *has)
{
    char tk[64];
    snprintf(tk, sizeof tk, "%s_text", k);
    const json_t *t = json_object_get(in->o, tk);
    if (t && json_object_get(in->o, k))
        return fail("encode: %s has both %s and %s", in->path, k, tk);
    if (!t) return get_hex(a, in, k, out, has);
    if (!json_is_string(t)) return fail("encode: %s.%s must be a string", in->path, tk);
    size_t n = json_string_length(t);
    uint8_t *keep = arena_alloc(a, n);
    if (!keep) return fail("out of memory");
    memcpy(keep, json_string_value(t), n);
    *out = dmsc_slice(keep, n);
    *has = true;
    return EXIT_OK;
}

static const char *const comp_keys[] = {"type",    "type_name", "value", "uri",
                                        "alt_uri", "number",    NULL};
static const char *const name_keys[] = {"type", "uri", "alt_uri", "components", "tlv", NULL};

/* One name component from JSON: a URI component string, or an object
 * {"type", "value"(hex) | "number" | "uri"}. Appended to nb. */
static int append_comp_json(dmsc_namebuf_t *nb, const json_t *c, const char *path)
{
    char uri[URI_CAP];
    int r;
    if (json_is_string(c)) {
        if ((size_t)snprintf(uri, sizeof uri, "/%s", json_string_value(c)) >= sizeof uri)
            return fail("encode: %s: component too long", path);
        dmsc_namebuf_t *tmp = malloc(sizeof *tmp);
        if (!tmp) return fail("out of memory");
        r = dmsc_namebuf_from_uri(tmp, uri);
        if (r == 0 && tmp->name.ncomps != 1) r = DMSC_EURI;
        if (r == 0) r = dmsc_namebuf_append_name(nb, &tmp->name);
        free(tmp);
        if (r)
            return fail("encode: %s: \"%s\": %s (%s)", path, json_string_value(c), dmsc_strerror(r),
                        dmsc_errname(r));
        return EXIT_OK;
    }
    if (check_keys(c, path, comp_keys)) return EXIT_ERR;
    const json_t *t = json_object_get(c, "type");
    int64_t type = DMSC_TT_GENERIC;
    if (json_is_integer(t))
        type = json_integer_value(t);
    else if (json_is_string(t))
        type = comp_type_by_name(json_string_value(t));
    else if (t)
        type = -1;
    if (type < 1 || type > 65535)
        return fail("encode: %s.type: not a component type (1..65535 or a type name)", path);
    jin_t in = {c, path};
    if (json_object_get(c, "value")) {
        arena_t a = {0};
        dmsc_slice_t v;
        if (get_hex(&a, &in, "value", &v, NULL)) return EXIT_ERR;
        r = dmsc_namebuf_append(nb, (uint16_t)type, v.p, v.n);
        arena_free(&a);
    } else if (json_object_get(c, "number")) {
        uint64_t v;
        if (get_u64(&in, "number", UINT64_MAX, &v, NULL)) return EXIT_ERR;
        r = dmsc_namebuf_append_nni(nb, (uint16_t)type, v);
    } else if (json_is_string(json_object_get(c, "uri"))) {
        return append_comp_json(nb, json_object_get(c, "uri"), path);
    } else {
        return fail("encode: %s needs \"value\", \"number\" or \"uri\"", path);
    }
    if (r) return fail("encode: %s: %s (%s)", path, dmsc_strerror(r), dmsc_errname(r));
    return EXIT_OK;
}

/* A name from JSON: a URI string, or {"uri"} or {"components": [...]}
 * ("uri" wins when both are there, as in decode output). */
static int get_name_json(const json_t *v, const char *path, dmsc_namebuf_t *nb)
{
    int r;
    dmsc_namebuf_init(nb);
    if (!v) return fail("encode: %s is missing", path);
    if (json_is_object(v)) {
        if (check_keys(v, path, name_keys)) return EXIT_ERR;
        const json_t *uri = json_object_get(v, "uri");
        const json_t *comps = json_object_get(v, "components");
        if (!uri && json_is_array(comps)) {
            char cpath[128];
            size_t idx;
            const json_t *c;
            json_array_foreach(comps, idx, c)
            {
                snprintf(cpath, sizeof cpath, "%s.components[%zu]", path, idx);
                if (append_comp_json(nb, c, cpath)) return EXIT_ERR;
            }
            return EXIT_OK;
        }
        v = uri;
    }
    if (!json_is_string(v)) return fail("encode: %s must be a URI string or a name object", path);
    r = dmsc_namebuf_from_uri(nb, json_string_value(v));
    if (r)
        return fail("encode: %s: \"%s\": %s (%s)", path, json_string_value(v), dmsc_strerror(r),
                    dmsc_errname(r));
    return EXIT_OK;
}

/* ----------------------------------------------------- signing on encode */

/* A signer with another KeyLocator: delegates signing to the key's signer. */
typedef struct {
    dmsc_signer_t pub;
    const dmsc_signer_t *inner;
} kl_signer_t;

static int kl_sign(const dmsc_signer_t *s, const dmsc_slice_t *parts, size_t nparts, uint8_t *sig,
                   size_t *sig_len)
{
    const kl_signer_t *w = (const kl_signer_t *)s;
    return w->inner->sign(w->inner, parts, nparts, sig, sig_len);
}

typedef struct {
    arena_t arena;
    dmsc_key_t *key; /* --sign-key, or NULL */
} enc_ctx_t;

static bool valid_iso_compact(const char *s)
{
    if (strlen(s) != 15 || s[8] != 'T') return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i])) return false;
    return true;
}

static const char *const sig_keys[] = {"type",     "type_name",    "key_locator", "nonce",
                                       "time",     "seq_num",      "validity",    "value",
                                       "verified", "verify_error", NULL};

/*
 * Read "signature" (sig) into si's optional fields and pick the signer:
 * DigestSha256 needs no key; other types the --sign-key key of that type.
 * "key_locator": absent -> the key's name; null -> none; {"name"} or
 * {"digest"} -> that KeyLocator.
 */
static int get_signature(enc_ctx_t *ec, const json_t *sig, const char *path, dmsc_siginfo_t *si,
                         const dmsc_signer_t **signer)
{
    if (check_keys(sig, path, sig_keys)) return EXIT_ERR;
    jin_t in = {sig, path};
    int64_t type = sig_type_parse(json_object_get(sig, "type"));
    if (type < 0) return fail("encode: %s.type: unknown signature type", path);

    dmsc_siginfo_init(si);
    bool has;
    if (get_hex(&ec->arena, &in, "nonce", &si->nonce, &si->has_nonce)) return EXIT_ERR;
    if (si->has_nonce && si->nonce.n == 0) return fail("encode: %s.nonce is empty", path);
    if (get_u64(&in, "time", UINT64_MAX, &si->time, &si->has_time)) return EXIT_ERR;
    if (get_u64(&in, "seq_num", UINT64_MAX, &si->seq_num, &si->has_seq_num)) return EXIT_ERR;
    const json_t *val = json_object_get(sig, "validity");
    if (val) {
        static const char *const vkeys[] = {"not_before", "not_after", NULL};
        char vpath[128];
        snprintf(vpath, sizeof vpath, "%s.validity", path);
        if (check_keys(val, vpath, vkeys)) return EXIT_ERR;
        const char *nb = json_string_value(json_object_get(val, "not_before"));
        const char *na = json_string_value(json_object_get(val, "not_after"));
        if (!nb || !na || !valid_iso_compact(nb) || !valid_iso_compact(na))
            return fail("encode: %s: not_before and not_after must be \"YYYYMMDDThhmmss\"", vpath);
        uint8_t *buf = arena_alloc(&ec->arena, 64);
        if (!buf) return fail("out of memory");
        dmsc_enc_t e;
        dmsc_enc_init(&e, buf, 64);
        dmsc_enc_prepend_tlv(&e, DMSC_TT_NOT_AFTER, na, 15);
        dmsc_enc_prepend_tlv(&e, DMSC_TT_NOT_BEFORE, nb, 15);
        si->validity = dmsc_slice(dmsc_enc_data(&e), 64 - dmsc_enc_mark(&e));
        si->has_validity = true;
    }

    if (type == DMSC_SIG_SHA256) {
        if (json_object_get(sig, "key_locator") &&
            !json_is_null(json_object_get(sig, "key_locator")))
            return fail("encode: %s: digest-sha256 has no key_locator", path);
        *signer = dmsc_sig_digest_signer();
        return EXIT_OK;
    }
    if (!ec->key)
        return fail("encode: %s.type is %s: give a signing key with --sign-key FILE", path,
                    sig_type_name((uint64_t)type));
    if (dmsc_key_sig_type(ec->key) != (uint64_t)type)
        return fail("encode: %s.type is %s but the --sign-key key is %s", path,
                    sig_type_name((uint64_t)type), key_type_name(dmsc_key_sig_type(ec->key)));
    const dmsc_signer_t *inner;
    int r = dmsc_key_signer(ec->key, DMSC_KEYLOC_NONE, &inner);
    if (r) return fail("encode: --sign-key: %s (%s)", dmsc_strerror(r), dmsc_errname(r));

    kl_signer_t *w = arena_alloc(&ec->arena, sizeof *w);
    if (!w) return fail("out of memory");
    w->pub = *inner;
    w->pub.sign = kl_sign;
    w->inner = inner;
    const json_t *kl = json_object_get(sig, "key_locator");
    if (!kl) {
        const dmsc_name_t *kn = dmsc_key_name(ec->key);
        w->pub.keyloc_kind = kn ? DMSC_KEYLOC_NAME : DMSC_KEYLOC_NONE;
        if (kn) w->pub.keyloc_name = *kn;
    } else if (json_is_null(kl)) {
        w->pub.keyloc_kind = DMSC_KEYLOC_NONE;
    } else {
        static const char *const klkeys[] = {"name", "digest", NULL};
        char kpath[128];
        snprintf(kpath, sizeof kpath, "%s.key_locator", path);
        if (check_keys(kl, kpath, klkeys)) return EXIT_ERR;
        jin_t kin = {kl, kpath};
        if (json_object_get(kl, "name")) {
            dmsc_namebuf_t *nb = arena_alloc(&ec->arena, sizeof *nb);
            if (!nb) return fail("out of memory");
            char npath[160];
            snprintf(npath, sizeof npath, "%s.name", kpath);
            if (get_name_json(json_object_get(kl, "name"), npath, nb)) return EXIT_ERR;
            w->pub.keyloc_kind = DMSC_KEYLOC_NAME;
            w->pub.keyloc_name = nb->name;
        } else if (json_object_get(kl, "digest")) {
            if (get_hex(&ec->arena, &kin, "digest", &w->pub.keyloc_digest, &has)) return EXIT_ERR;
            w->pub.keyloc_kind = DMSC_KEYLOC_DIGEST;
        } else {
            return fail("encode: %s needs \"name\" or \"digest\"", kpath);
        }
    }
    *signer = &w->pub;
    return EXIT_OK;
}

/* ------------------------------------------------------------- encoders */

static int encode_any(enc_ctx_t *ec, const json_t *j, const char *path, dmsc_slice_t *out);

static const char *const interest_keys[] = {"type",
                                            "size",
                                            "name",
                                            "can_be_prefix",
                                            "must_be_fresh",
                                            "forwarding_hint",
                                            "nonce",
                                            "lifetime",
                                            "hop_limit",
                                            "app_parameters",
                                            "app_parameters_text",
                                            "params_digest_valid",
                                            "signature",
                                            NULL};

static int encode_interest(enc_ctx_t *ec, const json_t *j, const char *path, dmsc_slice_t *out)
{
    if (check_keys(j, path, interest_keys)) return EXIT_ERR;
    jin_t in = {j, path};
    dmsc_interest_t *i = arena_alloc(&ec->arena, sizeof *i);
    dmsc_namebuf_t *nb = arena_alloc(&ec->arena, sizeof *nb);
    if (!i || !nb) return fail("out of memory");
    dmsc_interest_init(i);
    char sub[160];
    snprintf(sub, sizeof sub, "%s.name", path);
    if (get_name_json(json_object_get(j, "name"), sub, nb)) return EXIT_ERR;
    if (nb->name.ncomps == 0)
        return fail("encode: %s: an Interest name has at least one component", sub);
    i->name = nb->name;
    if (get_bool(&in, "can_be_prefix", &i->can_be_prefix)) return EXIT_ERR;
    if (get_bool(&in, "must_be_fresh", &i->must_be_fresh)) return EXIT_ERR;

    const json_t *fh = json_object_get(j, "forwarding_hint");
    if (fh) {
        if (!json_is_array(fh) || json_array_size(fh) == 0 ||
            json_array_size(fh) > DMSC_NAME_MAX_COMPS)
            return fail("encode: %s.forwarding_hint must be an array of 1..%d names", path,
                        DMSC_NAME_MAX_COMPS);
        size_t nfh = json_array_size(fh);
        dmsc_namebuf_t *nbs = arena_alloc(&ec->arena, nfh * sizeof *nbs);
        dmsc_name_t *names = arena_alloc(&ec->arena, nfh * sizeof *names);
        size_t cap = nfh * (DMSC_NAME_MAX_LEN + 8);
        uint8_t *buf = arena_alloc(&ec->arena, cap);
        if (!nbs || !names || !buf) return fail("out of memory");
        for (size_t k = 0; k < nfh; k++) {
            snprintf(sub, sizeof sub, "%s.forwarding_hint[%zu]", path, k);
            if (get_name_json(json_array_get(fh, k), sub, &nbs[k])) return EXIT_ERR;
            names[k] = nbs[k].name;
        }
        int r = dmsc_fwhint_build(names, nfh, buf, cap, &i->fwhint);
        if (r) return fail("encode: %s.forwarding_hint: %s", path, dmsc_strerror(r));
        i->has_fwhint = true;
        i->fwhint_count = (uint32_t)nfh;
    }

    const json_t *nonce = json_object_get(j, "nonce");
    if (nonce) {
        const char *s = json_string_value(nonce);
        char *end;
        if (!s || strlen(s) != 8 || !isxdigit((unsigned char)s[0]))
            return fail("encode: %s.nonce must be 8 hex digits", path);
        unsigned long v = strtoul(s, &end, 16);
        if (*end) return fail("encode: %s.nonce must be 8 hex digits", path);
        i->nonce = (uint32_t)v;
    } else if (getrandom(&i->nonce, sizeof i->nonce, 0) != (ssize_t)sizeof i->nonce) {
        return fail("encode: no random Nonce: %s", strerror(errno));
    }
    i->has_nonce = true;

    if (get_u64(&in, "lifetime", UINT64_MAX, &i->lifetime, &i->has_lifetime)) return EXIT_ERR;
    if (!i->has_lifetime) i->lifetime = DMSC_INTEREST_LIFETIME_DEFAULT;
    uint64_t hop;
    if (get_u64(&in, "hop_limit", 255, &hop, &i->has_hop_limit)) return EXIT_ERR;
    i->hop_limit = (uint8_t)hop;
    if (get_bytes(&ec->arena, &in, "app_parameters", &i->app_params, &i->has_app_params))
        return EXIT_ERR;

    const dmsc_signer_t *signer = NULL;
    const json_t *sig = json_object_get(j, "signature");
    if (sig) {
        snprintf(sub, sizeof sub, "%s.signature", path);
        if (get_signature(ec, sig, sub, &i->sig_info, &signer)) return EXIT_ERR;
    }
    uint8_t *buf = arena_alloc(&ec->arena, ENC_CAP);
    if (!buf) return fail("out of memory");
    int r = dmsc_interest_encode(i, signer, buf, ENC_CAP, out);
    if (r) return fail("encode: %s: %s (%s)", path, dmsc_strerror(r), dmsc_errname(r));
    return EXIT_OK;
}

static const char *const data_keys[] = {"type",
                                        "size",
                                        "name",
                                        "content_type",
                                        "freshness_period",
                                        "final_block_id",
                                        "content",
                                        "content_text",
                                        "signature",
                                        "implicit_digest",
                                        NULL};

static int encode_data(enc_ctx_t *ec, const json_t *j, const char *path, dmsc_slice_t *out)
{
    if (check_keys(j, path, data_keys)) return EXIT_ERR;
    jin_t in = {j, path};
    dmsc_data_t *d = arena_alloc(&ec->arena, sizeof *d);
    dmsc_namebuf_t *nb = arena_alloc(&ec->arena, sizeof *nb);
    dmsc_namebuf_t *fb = arena_alloc(&ec->arena, sizeof *fb);
    if (!d || !nb || !fb) return fail("out of memory");
    dmsc_data_init(d);
    char sub[160];
    snprintf(sub, sizeof sub, "%s.name", path);
    if (get_name_json(json_object_get(j, "name"), sub, nb)) return EXIT_ERR;
    d->name = nb->name;
    if (get_u64(&in, "content_type", UINT64_MAX, &d->content_type, &d->has_content_type))
        return EXIT_ERR;
    if (get_u64(&in, "freshness_period", UINT64_MAX, &d->freshness, &d->has_freshness))
        return EXIT_ERR;
    const json_t *fbj = json_object_get(j, "final_block_id");
    if (fbj) {
        snprintf(sub, sizeof sub, "%s.final_block_id", path);
        dmsc_namebuf_init(fb);
        if (append_comp_json(fb, fbj, sub)) return EXIT_ERR;
        d->final_block = dmsc_name_comp(&fb->name, 0);
        d->has_final_block = true;
    }
    if (get_bytes(&ec->arena, &in, "content", &d->content, &d->has_content)) return EXIT_ERR;

    /* no "signature": DigestSha256 */
    const dmsc_signer_t *signer = dmsc_sig_digest_signer();
    const json_t *sig = json_object_get(j, "signature");
    if (sig) {
        snprintf(sub, sizeof sub, "%s.signature", path);
        if (get_signature(ec, sig, sub, &d->sig_info, &signer)) return EXIT_ERR;
    }
    uint8_t *buf = arena_alloc(&ec->arena, ENC_CAP);
    if (!buf) return fail("out of memory");
    int r = dmsc_data_encode(d, signer, buf, ENC_CAP, out);
    if (r) return fail("encode: %s: %s (%s)", path, dmsc_strerror(r), dmsc_errname(r));
    return EXIT_OK;
}

static const char *const lp_keys[] = {"type",
                                      "size",
                                      "sequence",
                                      "frag_index",
                                      "frag_count",
                                      "pit_token",
                                      "nack",
                                      "congestion_mark",
                                      "incoming_face_id",
                                      "next_hop_face_id",
                                      "cache_policy",
                                      "tx_sequence",
                                      "acks",
                                      "non_discovery",
                                      "prefix_announcement",
                                      "ignored_fields",
                                      "fragment",
                                      "packet",
                                      "packet_error",
                                      NULL};

static int encode_lp(enc_ctx_t *ec, const json_t *j, const char *path, dmsc_slice_t *out)
{
    if (check_keys(j, path, lp_keys)) return EXIT_ERR;
    jin_t in = {j, path};
    dmsc_lp_t *lp = arena_alloc(&ec->arena, sizeof *lp);
    if (!lp) return fail("out of memory");
    dmsc_lp_init(lp);
    bool has;
#define LP_U64(key, field, bit)                                                                    \
    do {                                                                                           \
        if (get_u64(&in, key, UINT64_MAX, &lp->field, &has)) return EXIT_ERR;                      \
        if (has) lp->has |= bit;                                                                   \
    } while (0)
    LP_U64("sequence", seq, DMSC_LP_HAS_SEQ);
    LP_U64("frag_index", frag_index, DMSC_LP_HAS_FRAG_INDEX);
    LP_U64("frag_count", frag_count, DMSC_LP_HAS_FRAG_COUNT);
    LP_U64("congestion_mark", congestion_mark, DMSC_LP_HAS_CONGESTION_MARK);
    LP_U64("incoming_face_id", incoming_face_id, DMSC_LP_HAS_INCOMING_FACE_ID);
    LP_U64("next_hop_face_id", next_hop_face_id, DMSC_LP_HAS_NEXT_HOP_FACE_ID);
    LP_U64("cache_policy", cache_policy, DMSC_LP_HAS_CACHE_POLICY);
    LP_U64("tx_sequence", tx_seq, DMSC_LP_HAS_TX_SEQ);
#undef LP_U64
    if (get_hex(&ec->arena, &in, "pit_token", &lp->pit_token, &has)) return EXIT_ERR;
    if (has) lp->has |= DMSC_LP_HAS_PIT_TOKEN;
    const json_t *nack = json_object_get(j, "nack");
    if (nack) {
        static const char *const nkeys[] = {"reason", "reason_name", NULL};
        char npath[128];
        snprintf(npath, sizeof npath, "%s.nack", path);
        if (check_keys(nack, npath, nkeys)) return EXIT_ERR;
        jin_t nin = {nack, npath};
        if (get_u64(&nin, "reason", UINT64_MAX, &lp->nack_reason, NULL)) return EXIT_ERR;
        lp->has |= DMSC_LP_HAS_NACK;
    }
    const json_t *acks = json_object_get(j, "acks");
    if (acks) {
        if (!json_is_array(acks) || json_array_size(acks) == 0)
            return fail("encode: %s.acks must be a non-empty array", path);
        size_t na = json_array_size(acks);
        uint64_t *ext = arena_alloc(&ec->arena, na * sizeof *ext);
        if (!ext) return fail("out of memory");
        for (size_t k = 0; k < na; k++) {
            json_t *wrap = json_pack("{sO}", "ack", json_array_get(acks, k));
            jin_t ain = {wrap, path};
            int r = get_u64(&ain, "ack", UINT64_MAX, &ext[k], NULL);
            json_decref(wrap);
            if (r) return EXIT_ERR;
        }
        lp->acks_ext = ext;
        lp->n_acks = (uint32_t)na;
        lp->has |= DMSC_LP_HAS_ACK;
    }
    bool nd = false;
    if (get_bool(&in, "non_discovery", &nd)) return EXIT_ERR;
    if (nd) lp->has |= DMSC_LP_HAS_NON_DISCOVERY;
    if (get_hex(&ec->arena, &in, "prefix_announcement", &lp->prefix_ann, &has)) return EXIT_ERR;
    if (has) lp->has |= DMSC_LP_HAS_PREFIX_ANN;

    /* "packet" (a description to encode) wins over "fragment" (raw hex) */
    const json_t *pkt = json_object_get(j, "packet");
    if (pkt) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s.packet", path);
        if (encode_any(ec, pkt, sub, &lp->fragment)) return EXIT_ERR;
        lp->has |= DMSC_LP_HAS_FRAGMENT;
    } else {
        if (get_hex(&ec->arena, &in, "fragment", &lp->fragment, &has)) return EXIT_ERR;
        if (has) lp->has |= DMSC_LP_HAS_FRAGMENT;
    }

    uint8_t *buf = arena_alloc(&ec->arena, ENC_CAP + 1024);
    if (!buf) return fail("out of memory");
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, ENC_CAP + 1024);
    int r = dmsc_lp_encode(&e, lp);
    if (r) return fail("encode: %s: %s (%s)", path, dmsc_strerror(r), dmsc_errname(r));
    *out = dmsc_slice(dmsc_enc_data(&e), ENC_CAP + 1024 - dmsc_enc_mark(&e));
    return EXIT_OK;
}

static int encode_any(enc_ctx_t *ec, const json_t *j, const char *path, dmsc_slice_t *out)
{
    if (!json_is_object(j)) return fail("encode: %s must be an object", path);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) return fail("encode: %s.type must be \"interest\", \"data\" or \"lp\"", path);
    if (strcmp(type, "interest") == 0) return encode_interest(ec, j, path, out);
    if (strcmp(type, "data") == 0) return encode_data(ec, j, path, out);
    if (strcmp(type, "lp") == 0) return encode_lp(ec, j, path, out);
    return fail("encode: %s.type: \"%s\" is not \"interest\", \"data\" or \"lp\"", path, type);
}

/* ---------------------------------------------------------------- usage */

static const char usage_main_head[] =
    "usage: dmsc <command> [options]\n"
    "\n"
    "dmsc is the command-line tool of the dmsc service mesh.\n"
    "\n"
    "commands:\n"
    "  packet      decode, encode and sign NDN packets (Interest, Data, NDNLPv2),\n"
    "              make keys, parse NDN URIs\n";

static const char usage_main_tail[] =
    "\n"
    "options:\n"
    "  -h, --help  show this help\n"
    "  --version   print the version\n"
    "\n"
    "Run 'dmsc <command> --help' for a command's options. Documentation: docs/cli.md\n";

static const char usage_packet[] =
    "usage: dmsc packet <subcommand> [options]\n"
    "\n"
    "subcommands:\n"
    "  decode [HEX|-] [--verify-key FILE | --verify-spki HEX | --hmac-key HEX] [--compact]\n"
    "      Decode an Interest, Data, LpPacket or Name from hex (the argument, or\n"
    "      stdin when HEX is '-' or absent; whitespace is ignored) and print it as\n"
    "      JSON. DigestSha256 signatures are always checked; other signatures when a\n"
    "      key is given: a key file, an SPKI (Ed25519, ECDSA P-256) in hex, or an\n"
    "      HMAC-SHA256 secret in hex.\n"
    "  encode [--sign-key FILE]\n"
    "      Read a packet description (the JSON that decode prints) on stdin and\n"
    "      print the packet in hex. Signatures other than digest-sha256 are made\n"
    "      with the key in FILE.\n"
    "  keygen --type ed25519|ecdsa|hmac [--name NAME] [--out FILE] [--compact]\n"
    "      Make a key. NAME is a key name (/id/KEY/x) or an identity (/id, which\n"
    "      gets /KEY/<keyid> appended); default identity /dmsc. With --out the key\n"
    "      is saved to FILE (dmsc key file, mode 0600) and its public part printed;\n"
    "      without, the whole key is printed as a JSON key file.\n"
    "  uri URI [--compact]\n"
    "      Parse an NDN URI (canonical, alternate seg=/v=/t=/..., or with 8=) and\n"
    "      print its canonical and alternate URIs, components and Name TLV.\n"
    "\n"
    "Key files (FILE): a dmsc key file (keygen --out), a JSON key file\n"
    "({\"type\",\"name\",\"pkcs8\"|\"spki\"|\"secret\"}, what keygen prints) or PEM\n"
    "(PKCS#8 PRIVATE KEY, SPKI PUBLIC KEY).\n"
    "\n"
    "exit status: 0 success; 1 error (usage, malformed input, bad key);\n"
    "2 decoded, but a signature or the parameters digest did not verify.\n"
    "JSON schema: docs/cli.md\n";

static bool is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "help") == 0;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dmsc: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nusage: dmsc packet decode|encode|keygen|uri ... (dmsc packet --help)\n", stderr);
    return EXIT_ERR;
}

/* Value of an option at argv[*k] ("--opt VALUE" or "--opt=VALUE"). */
static const char *opt_value(int argc, char **argv, int *k, const char *opt)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*k], opt, n) != 0) return NULL;
    if (argv[*k][n] == '=') return argv[*k] + n + 1;
    if (argv[*k][n] != '\0') return NULL;
    if (*k + 1 >= argc) return "";
    return argv[++*k];
}

/* ---------------------------------------------------------- subcommands */

static int cmd_decode(int argc, char **argv)
{
    const char *src = NULL, *key_file = NULL, *spki = NULL, *hmac = NULL;
    bool compact = false;
    for (int k = 1; k < argc; k++) {
        const char *v;
        if (is_help(argv[k])) {
            fputs(usage_packet, stdout);
            return EXIT_OK;
        } else if ((v = opt_value(argc, argv, &k, "--verify-key"))) {
            key_file = v;
        } else if ((v = opt_value(argc, argv, &k, "--verify-spki"))) {
            spki = v;
        } else if ((v = opt_value(argc, argv, &k, "--hmac-key"))) {
            hmac = v;
        } else if (strcmp(argv[k], "--compact") == 0 || strcmp(argv[k], "-c") == 0) {
            compact = true;
        } else if (argv[k][0] == '-' && argv[k][1] != '\0') {
            return usage_error("decode: unknown option %s", argv[k]);
        } else if (!src) {
            src = argv[k];
        } else {
            return usage_error("decode: unexpected argument %s", argv[k]);
        }
    }
    if ((key_file != NULL) + (spki != NULL) + (hmac != NULL) > 1)
        return fail("decode: give at most one of --verify-key, --verify-spki, --hmac-key");

    dmsc_key_t *key = NULL;
    int rc = EXIT_OK;
    if (key_file)
        rc = key_load(&key, key_file);
    else if (spki)
        rc = key_from_hex(&key, spki, false, "--verify-spki");
    else if (hmac)
        rc = key_from_hex(&key, hmac, true, "--hmac-key");
    if (rc) return rc;

    char *text = NULL;
    size_t tlen;
    if (!src || strcmp(src, "-") == 0) {
        if (read_all(stdin, MAX_TEXT_IN, &text, &tlen) != 0) {
            dmsc_key_free(key);
            return fail("decode: cannot read stdin: %s", strerror(errno));
        }
        src = text;
    } else {
        tlen = strlen(src);
    }
    uint8_t *wire = NULL;
    size_t n = 0;
    const char *bad;
    json_t *out = NULL;
    if (hex_decode(src, tlen, &wire, &n, &bad) != 0) {
        rc = bad ? fail("decode: input is not hex: unexpected '%c' at offset %zu", *bad,
                        (size_t)(bad - src))
                 : fail("decode: input is not hex: odd number of hex digits");
    } else if (n == 0) {
        rc = fail("decode: no input");
    } else if (n > DMSC_TLV_MAX_PACKET) {
        rc = fail_rc(DMSC_ETOOBIG, "decode");
    } else {
        dec_ctx_t ctx = {key, true};
        const char *where;
        int r = describe(&ctx, wire, n, &out, &where);
        if (r) {
            char what[64];
            snprintf(what, sizeof what, "decode%s%s", where ? ": " : "", where ? where : "");
            rc = r == DMSC_ETYPE && !where
                     ? fail("decode: not an Interest, Data, LpPacket or Name (TLV-TYPE %#x)",
                            wire[0])
                     : fail_rc(r, what);
        } else {
            rc = print_json(out, compact);
            if (rc == EXIT_OK && !ctx.integrity_ok) rc = EXIT_INTEGRITY;
        }
    }
    json_decref(out);
    free(wire);
    free(text);
    dmsc_key_free(key);
    return rc;
}

static int cmd_encode(int argc, char **argv)
{
    const char *key_file = NULL;
    for (int k = 1; k < argc; k++) {
        const char *v;
        if (is_help(argv[k])) {
            fputs(usage_packet, stdout);
            return EXIT_OK;
        } else if ((v = opt_value(argc, argv, &k, "--sign-key"))) {
            key_file = v;
        } else {
            return usage_error("encode: unexpected argument %s (the JSON is read from stdin)",
                               argv[k]);
        }
    }
    enc_ctx_t ec = {{0}, NULL};
    int rc = EXIT_OK;
    if (key_file) {
        rc = key_load(&ec.key, key_file);
        if (rc) return rc;
        if (!dmsc_key_has_private(ec.key)) {
            dmsc_key_free(ec.key);
            return fail("encode: --sign-key %s holds no private key", key_file);
        }
    }
    char *text = NULL;
    size_t len;
    json_t *j = NULL;
    if (read_all(stdin, MAX_TEXT_IN, &text, &len) != 0) {
        rc = fail("encode: cannot read stdin: %s", strerror(errno));
        goto out;
    }
    json_error_t jerr;
    j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        rc = fail("encode: input is not JSON: line %d column %d: %s", jerr.line, jerr.column,
                  jerr.text);
        goto out;
    }
    dmsc_slice_t pkt;
    rc = encode_any(&ec, j, "packet", &pkt);
    if (rc == EXIT_OK) {
        char *hex = hex_encode(pkt.p, pkt.n);
        if (!hex) {
            rc = fail("out of memory");
        } else {
            puts(hex);
            free(hex);
            if (fflush(stdout) != 0) rc = fail("cannot write output: %s", strerror(errno));
        }
    }
out:
    json_decref(j);
    free(text);
    arena_free(&ec.arena);
    dmsc_key_free(ec.key);
    return rc;
}

static int cmd_keygen(int argc, char **argv)
{
    const char *type = NULL, *name = "/dmsc", *out = NULL;
    bool compact = false;
    for (int k = 1; k < argc; k++) {
        const char *v;
        if (is_help(argv[k])) {
            fputs(usage_packet, stdout);
            return EXIT_OK;
        } else if ((v = opt_value(argc, argv, &k, "--type"))) {
            type = v;
        } else if ((v = opt_value(argc, argv, &k, "--name"))) {
            name = v;
        } else if ((v = opt_value(argc, argv, &k, "--out"))) {
            out = v;
        } else if (strcmp(argv[k], "--compact") == 0 || strcmp(argv[k], "-c") == 0) {
            compact = true;
        } else {
            return usage_error("keygen: unexpected argument %s", argv[k]);
        }
    }
    if (!type) return usage_error("keygen: %s", "--type ed25519|ecdsa|hmac is required");
    json_t *jt = json_string(type);
    int64_t st = sig_type_parse(jt);
    json_decref(jt);
    if (st != DMSC_SIG_ED25519 && st != DMSC_SIG_ECDSA_SHA256 && st != DMSC_SIG_HMAC_SHA256)
        return usage_error("keygen: --type %s: not ed25519, ecdsa or hmac", type);
    if (out && !*out) return usage_error("keygen: %s", "--out needs a file name");

    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    dmsc_key_t *k = NULL;
    json_t *j = NULL;
    int rc = EXIT_ERR, r;
    if (!nb) return fail("out of memory");
    if ((r = dmsc_namebuf_from_uri(nb, name)) != 0) {
        fail("keygen: --name \"%s\": %s (%s)", name, dmsc_strerror(r), dmsc_errname(r));
        goto done;
    }
    if ((r = dmsc_key_generate(&k, (uint64_t)st)) != 0) {
        fail_rc(r, "keygen");
        goto done;
    }
    /* a key name ends in KEY/<keyid>; anything else is an identity */
    const dmsc_name_t *n = &nb->name;
    dmsc_comp_t kc = n->ncomps >= 2 ? dmsc_name_comp(n, n->ncomps - 2) : (dmsc_comp_t){0};
    if (kc.type == DMSC_TT_GENERIC && kc.len == 3 && memcmp(kc.value, "KEY", 3) == 0)
        r = dmsc_key_set_name(k, n);
    else
        r = dmsc_key_set_identity(k, n, NULL, 0);
    if (r) {
        fail_rc(r, "keygen: --name");
        goto done;
    }

    static char uri[URI_CAP];
    dmsc_name_to_uri(dmsc_key_name(k), DMSC_URI_CANONICAL, uri, sizeof uri);
    j = json_object();
    jset(j, "type", json_string(key_type_name((uint64_t)st)));
    jset(j, "name", json_string(uri));
    jset(j, "key_digest", j_hex(dmsc_key_digest(k), DMSC_KEY_DIGEST_LEN));
    uint8_t buf[DMSC_KEY_RAW_PRIV_MAX + DMSC_KEY_PKCS8_MAX];
    size_t len;
    if (st != DMSC_SIG_HMAC_SHA256) {
        if ((r = dmsc_key_export_spki(k, buf, sizeof buf, &len)) != 0) {
            fail_rc(r, "keygen: SPKI");
            goto done;
        }
        jset(j, "spki", j_hex(buf, len));
    }
    if (out) {
        if ((r = dmsc_keyfile_save(k, out)) != 0) {
            fail("keygen: cannot save %s: %s%s%s", out, dmsc_strerror(r), r == DMSC_EIO ? ": " : "",
                 r == DMSC_EIO ? strerror(errno) : "");
            goto done;
        }
        jset(j, "file", json_string(out));
    } else {
        r = st == DMSC_SIG_HMAC_SHA256 ? dmsc_key_export_raw_private(k, buf, sizeof buf, &len)
                                       : dmsc_key_export_pkcs8(k, buf, sizeof buf, &len);
        if (r) {
            fail_rc(r, "keygen: export");
            goto done;
        }
        jset(j, st == DMSC_SIG_HMAC_SHA256 ? "secret" : "pkcs8", j_hex(buf, len));
        explicit_bzero(buf, sizeof buf);
    }
    rc = print_json(j, compact);
done:
    json_decref(j);
    dmsc_key_free(k);
    free(nb);
    return rc;
}

static int cmd_uri(int argc, char **argv)
{
    const char *uri = NULL;
    bool compact = false;
    for (int k = 1; k < argc; k++) {
        if (is_help(argv[k])) {
            fputs(usage_packet, stdout);
            return EXIT_OK;
        } else if (strcmp(argv[k], "--compact") == 0 || strcmp(argv[k], "-c") == 0) {
            compact = true;
        } else if (!uri) {
            uri = argv[k];
        } else {
            return usage_error("uri: unexpected argument %s", argv[k]);
        }
    }
    if (!uri) return usage_error("uri: %s", "missing URI");
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    if (!nb) return fail("out of memory");
    int r = dmsc_namebuf_from_uri(nb, uri), rc;
    if (r) {
        rc = fail("uri: \"%s\": %s (%s)", uri, dmsc_strerror(r), dmsc_errname(r));
    } else {
        json_t *o = json_object();
        jset(o, "type", json_string("name"));
        jset(o, "tlv", j_name_tlv(&nb->name));
        j_name_into(o, &nb->name);
        rc = print_json(o, compact);
        json_decref(o);
    }
    free(nb);
    return rc;
}

static int cmd_packet(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_packet, stderr);
        return EXIT_ERR;
    }
    const char *sub = argv[1];
    if (is_help(sub)) {
        fputs(usage_packet, stdout);
        return EXIT_OK;
    }
    if (strcmp(sub, "decode") == 0) return cmd_decode(argc - 1, argv + 1);
    if (strcmp(sub, "encode") == 0) return cmd_encode(argc - 1, argv + 1);
    if (strcmp(sub, "keygen") == 0) return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(sub, "uri") == 0) return cmd_uri(argc - 1, argv + 1);
    return usage_error("packet: unknown subcommand %s", sub);
}

static void print_main_usage(FILE *f)
{
    fputs(usage_main_head, f);
#ifdef DMSC_CLI_NODE
    fputs(dmsc_cli_node_usage, f);
#endif
#ifdef DMSC_CLI_SERVICE
    fputs(dmsc_cli_service_usage, f);
#endif
#ifdef DMSC_CLI_NDN
    fputs(dmsc_cli_ndn_usage, f);
#endif
    fputs(usage_main_tail, f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stderr);
        return EXIT_ERR;
    }
    if (is_help(argv[1])) {
        print_main_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
#ifdef DMSC_VERSION
        puts("dmsc " DMSC_VERSION);
#else
        puts("dmsc");
#endif
        return EXIT_OK;
    }
#ifdef DMSC_CLI_NODE
    if (dmsc_cli_node_is_command(argv[1])) return dmsc_cli_node_main(argc - 1, argv + 1);
#endif
#ifdef DMSC_CLI_SERVICE
    if (dmsc_cli_service_is_command(argv[1])) return dmsc_cli_service_main(argc - 1, argv + 1);
#endif
#ifdef DMSC_CLI_NDN
    if (dmsc_cli_ndn_is_command(argv[1])) return dmsc_cli_ndn_main(argc - 1, argv + 1);
#endif
    if (dmsc_sec_init() != 0) return fail("cannot initialize libsodium");
    if (strcmp(argv[1], "packet") == 0) return cmd_packet(argc - 1, argv + 1);
    fprintf(stderr, "dmsc: unknown command %s\n\n", argv[1]);
    print_main_usage(stderr);
    return EXIT_ERR;
}
