#include "ndn/name.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

/* ---- decoding ---- */

static int check_comp(uint64_t type, size_t len)
{
    if (type == 0 || type > 0xffff) return DMSC_ECOMPTYPE;
    if ((type == DMSC_TT_IMPLICIT_DIGEST || type == DMSC_TT_PARAMS_DIGEST) &&
        len != DMSC_DIGEST_LEN)
        return DMSC_EVALUE;
    return 0;
}

int dmsc_name_from_value(dmsc_name_t *n, const uint8_t *v, size_t len)
{
    if (len > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, len);
    n->value = v;
    n->len = (uint16_t)len;
    n->ncomps = 0;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        const uint8_t *start = r.p;
        int rc = dmsc_tlv_read(&r, &t);
        if (rc) return rc == DMSC_EVARNUM ? DMSC_ECOMPTYPE : rc;
        rc = check_comp(t.type, t.len);
        if (rc) return rc;
        if (n->ncomps == DMSC_NAME_MAX_COMPS) return DMSC_ENAMECOMPS;
        n->off[n->ncomps++] = (uint16_t)(start - v);
    }
    n->off[n->ncomps] = (uint16_t)len;
    return 0;
}

int dmsc_name_decode(dmsc_name_t *n, const uint8_t *p, size_t len)
{
    dmsc_tlv_t t;
    int rc = dmsc_tlv_decode_one(p, len, &t);
    if (rc) return rc;
    if (t.type != DMSC_TT_NAME) return DMSC_ETYPE;
    return dmsc_name_from_value(n, t.value, t.len);
}

/* Components were validated when the name was indexed, so parsing one
 * again cannot fail. */
dmsc_comp_t dmsc_name_comp(const dmsc_name_t *n, size_t i)
{
    dmsc_comp_t c;
    const uint8_t *p = n->value + n->off[i];
    const uint8_t *end = n->value + n->off[i + 1];
    uint64_t type = 0, len = 0;
    c.tlv = p;
    dmsc_varnum_read(&p, end, &type);
    dmsc_varnum_read(&p, end, &len);
    c.type = (uint16_t)type;
    c.len = (uint16_t)len;
    c.value = p;
    c.size = (uint16_t)(n->off[i + 1] - n->off[i]);
    return c;
}

void dmsc_name_get_prefix(const dmsc_name_t *n, size_t k, dmsc_name_t *out)
{
    if (k > n->ncomps) k = n->ncomps;
    out->value = n->value;
    out->ncomps = (uint16_t)k;
    memcpy(out->off, n->off, (k + 1) * sizeof n->off[0]);
    out->len = n->off[k];
}

/* ---- comparison ---- */

int dmsc_comp_compare(const dmsc_comp_t *a, const dmsc_comp_t *b)
{
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    int c = a->len ? memcmp(a->value, b->value, a->len) : 0;
    return c < 0 ? -1 : c > 0;
}

int dmsc_name_compare(const dmsc_name_t *a, const dmsc_name_t *b)
{
    size_t n = a->ncomps < b->ncomps ? a->ncomps : b->ncomps;
    for (size_t i = 0; i < n; i++) {
        /* equal encodings are equal components: skip the parse */
        size_t la = a->off[i + 1] - a->off[i], lb = b->off[i + 1] - b->off[i];
        if (la == lb && memcmp(a->value + a->off[i], b->value + b->off[i], la) == 0) continue;
        dmsc_comp_t ca = dmsc_name_comp(a, i), cb = dmsc_name_comp(b, i);
        int c = dmsc_comp_compare(&ca, &cb);
        if (c) return c;
    }
    return a->ncomps < b->ncomps ? -1 : a->ncomps > b->ncomps;
}

bool dmsc_name_equal(const dmsc_name_t *a, const dmsc_name_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->value, b->value, a->len) == 0);
}

bool dmsc_name_is_prefix(const dmsc_name_t *prefix, const dmsc_name_t *n)
{
    if (prefix->ncomps > n->ncomps) return false;
    size_t l = prefix->len;
    return n->off[prefix->ncomps] == l && (l == 0 || memcmp(prefix->value, n->value, l) == 0);
}

/* Process-wide hash seed (hash-flooding defence): the daemon sets a random
 * one at start-up, before any table exists; tests keep 0. */
static uint64_t name_hash_seed;

void dmsc_name_hash_set_seed(uint64_t seed)
{
    name_hash_seed = seed;
}

uint64_t dmsc_name_hash(const dmsc_name_t *n, size_t k)
{
    if (k > n->ncomps) k = n->ncomps;
    return XXH3_64bits_withSeed(n->value ? n->value : (const uint8_t *)"", n->off[k],
                                name_hash_seed);
}

/* ---- URI printing ---- */

typedef struct {
    char *p;
    size_t cap, len;
} strbuf_t;

static void sb_putc(strbuf_t *s, char c)
{
    if (s->len + 1 < s->cap) s->p[s->len] = c;
    s->len++;
}

static void sb_puts(strbuf_t *s, const char *str)
{
    while (*str)
        sb_putc(s, *str++);
}

static bool is_unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void put_escaped(strbuf_t *s, const uint8_t *v, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    bool periods = true;
    for (size_t i = 0; i < n; i++)
        if (v[i] != '.') periods = false;
    if (periods) /* "", ".", ".." cannot be written as is: add three periods */
        sb_puts(s, "...");
    for (size_t i = 0; i < n; i++) {
        if (is_unreserved(v[i])) {
            sb_putc(s, (char)v[i]);
        } else {
            sb_putc(s, '%');
            sb_putc(s, hex[v[i] >> 4]);
            sb_putc(s, hex[v[i] & 15]);
        }
    }
}

static void put_hex(strbuf_t *s, const uint8_t *v, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        sb_putc(s, hex[v[i] >> 4]);
        sb_putc(s, hex[v[i] & 15]);
    }
}

static const struct {
    uint16_t type;
    const char *prefix;
} alt_nni[] = {
    {DMSC_TT_SEGMENT, "seg"}, {DMSC_TT_BYTE_OFFSET, "off"},  {DMSC_TT_VERSION, "v"},
    {DMSC_TT_TIMESTAMP, "t"}, {DMSC_TT_SEQUENCE_NUM, "seq"},
};

static void put_comp(strbuf_t *s, const dmsc_comp_t *c, int style)
{
    char num[32];
    switch (c->type) {
    case DMSC_TT_GENERIC:
        put_escaped(s, c->value, c->len);
        return;
    case DMSC_TT_IMPLICIT_DIGEST:
        sb_puts(s, "sha256digest=");
        put_hex(s, c->value, c->len);
        return;
    case DMSC_TT_PARAMS_DIGEST:
        sb_puts(s, "params-sha256=");
        put_hex(s, c->value, c->len);
        return;
    }
    if (style == DMSC_URI_ALT) {
        uint64_t v;
        for (size_t i = 0; i < sizeof alt_nni / sizeof alt_nni[0]; i++) {
            /* only the shortest NNI form: "seg=N" must parse back to the same bytes */
            if (alt_nni[i].type == c->type && dmsc_nni_decode(c->value, c->len, &v) == 0 &&
                dmsc_nni_size(v) == c->len) {
                snprintf(num, sizeof num, "%s=%llu", alt_nni[i].prefix, (unsigned long long)v);
                sb_puts(s, num);
                return;
            }
        }
    }
    snprintf(num, sizeof num, "%u=", (unsigned)c->type);
    sb_puts(s, num);
    put_escaped(s, c->value, c->len);
}

static int sb_finish(strbuf_t *s)
{
    if (s->len + 1 > s->cap) {
        if (s->cap) s->p[0] = '\0';
        return DMSC_ENOBUFS;
    }
    s->p[s->len] = '\0';
    return (int)s->len;
}

int dmsc_comp_to_uri(const dmsc_comp_t *c, int style, char *out, size_t cap)
{
    strbuf_t s = {out, cap, 0};
    put_comp(&s, c, style);
    return sb_finish(&s);
}

int dmsc_name_to_uri(const dmsc_name_t *n, int style, char *out, size_t cap)
{
    strbuf_t s = {out, cap, 0};
    if (n->ncomps == 0) sb_putc(&s, '/');
    for (size_t i = 0; i < n->ncomps; i++) {
        dmsc_comp_t c = dmsc_name_comp(n, i);
        sb_putc(&s, '/');
        put_comp(&s, &c, style);
    }
    return sb_finish(&s);
}

/* ---- building ---- */

int dmsc_namebuf_append(dmsc_namebuf_t *nb, uint16_t type, const void *value, size_t len)
{
    dmsc_name_t *n = &nb->name;
    int rc = check_comp(type, len);
    if (rc) return rc;
    if (n->ncomps == DMSC_NAME_MAX_COMPS) return DMSC_ENAMECOMPS;
    size_t hdr = dmsc_varnum_size(type) + dmsc_varnum_size(len);
    if (len > DMSC_NAME_MAX_LEN || n->len + hdr + len > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    uint8_t *p = nb->buf + n->len;
    p += dmsc_tlv_write_hdr(p, type, len);
    if (len) memmove(p, value, len);
    n->value = nb->buf;
    n->off[n->ncomps++] = n->len;
    n->len = (uint16_t)(n->len + hdr + len);
    n->off[n->ncomps] = n->len;
    return 0;
}

int dmsc_namebuf_append_nni(dmsc_namebuf_t *nb, uint16_t type, uint64_t v)
{
    uint8_t tmp[8];
    size_t n = dmsc_nni_write(tmp, v);
    return dmsc_namebuf_append(nb, type, tmp, n);
}

int dmsc_namebuf_append_name(dmsc_namebuf_t *nb, const dmsc_name_t *src)
{
    dmsc_name_t *n = &nb->name;
    if (n->ncomps + src->ncomps > DMSC_NAME_MAX_COMPS) return DMSC_ENAMECOMPS;
    if (n->len + src->len > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    if (src->len) memmove(nb->buf + n->len, src->value, src->len);
    for (size_t i = 0; i <= src->ncomps; i++)
        n->off[n->ncomps + i] = (uint16_t)(n->len + src->off[i]);
    n->value = nb->buf;
    n->ncomps = (uint16_t)(n->ncomps + src->ncomps);
    n->len = (uint16_t)(n->len + src->len);
    return 0;
}

int dmsc_namebuf_copy(dmsc_namebuf_t *nb, const dmsc_name_t *src)
{
    if (src == &nb->name) return 0;
    dmsc_namebuf_init(nb);
    return dmsc_namebuf_append_name(nb, src);
}

void dmsc_enc_prepend_name(dmsc_enc_t *e, const dmsc_name_t *n)
{
    dmsc_enc_prepend_tlv(e, DMSC_TT_NAME, n->value, n->len);
}

/* ---- URI parsing ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..n) into out; applies the "three extra periods" rule. */
static int unescape(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    size_t k = 0;
    bool periods = true;
    for (size_t i = 0; i < n; i++) {
        uint8_t c;
        if (s[i] == '%') {
            if (i + 2 >= n) return DMSC_EURI;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0) return DMSC_EURI;
            c = (uint8_t)(h << 4 | l);
            i += 2;
        } else {
            c = (uint8_t)s[i];
        }
        if (c != '.') periods = false;
        if (k == cap) return DMSC_ENAMELEN;
        out[k++] = c;
    }
    if (periods) {
        if (k < 3) return DMSC_EURI; /* "", "." and ".." are not components */
        k -= 3;
    }
    *outlen = k;
    return 0;
}

static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 20) return DMSC_EURI;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return DMSC_EURI;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (max - d) / 10) return DMSC_EURI;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_comp(dmsc_namebuf_t *nb, const char *s, size_t n)
{
    uint8_t val[DMSC_NAME_MAX_LEN];
    size_t vlen;
    const char *eq = memchr(s, '=', n);
    if (eq) {
        size_t plen = (size_t)(eq - s);
        const char *v = eq + 1;
        size_t vn = n - plen - 1;
        uint64_t num;
        if ((plen == 12 && memcmp(s, "sha256digest", 12) == 0) ||
            (plen == 13 && memcmp(s, "params-sha256", 13) == 0)) {
            if (vn != 2 * DMSC_DIGEST_LEN) return DMSC_EURI;
            for (size_t i = 0; i < DMSC_DIGEST_LEN; i++) {
                int h = hexval(v[2 * i]), l = hexval(v[2 * i + 1]);
                if (h < 0 || l < 0) return DMSC_EURI;
                val[i] = (uint8_t)(h << 4 | l);
            }
            return dmsc_namebuf_append(nb,
                                       plen == 12 ? DMSC_TT_IMPLICIT_DIGEST : DMSC_TT_PARAMS_DIGEST,
                                       val, DMSC_DIGEST_LEN);
        }
        for (size_t i = 0; i < sizeof alt_nni / sizeof alt_nni[0]; i++) {
            if (strlen(alt_nni[i].prefix) == plen && memcmp(s, alt_nni[i].prefix, plen) == 0) {
                if (parse_dec(v, vn, UINT64_MAX, &num)) return DMSC_EURI;
                return dmsc_namebuf_append_nni(nb, alt_nni[i].type, num);
            }
        }
        if (plen > 0 && strspn(s, "0123456789") >= plen) {
            /* a numeric prefix is a TLV-TYPE: 1..65535 */
            if (parse_dec(s, plen, 0xffff, &num) || num == 0) return DMSC_EURI;
            int rc = unescape(v, vn, val, sizeof val, &vlen);
            if (rc) return rc;
            if ((num == DMSC_TT_IMPLICIT_DIGEST || num == DMSC_TT_PARAMS_DIGEST) &&
                vlen != DMSC_DIGEST_LEN)
                return DMSC_EURI;
            return dmsc_namebuf_append(nb, (uint16_t)num, val, vlen);
        }
        /* an unknown "xyz=" prefix is not a type: fall through to generic */
    }
    int rc = unescape(s, n, val, sizeof val, &vlen);
    if (rc) return rc;
    return dmsc_namebuf_append(nb, DMSC_TT_GENERIC, val, vlen);
}

int dmsc_namebuf_from_uri(dmsc_namebuf_t *nb, const char *uri)
{
    dmsc_namebuf_init(nb);
    if (!uri) return DMSC_EINVAL;
    if (strncmp(uri, "ndn:", 4) == 0) uri += 4;
    const char *p = uri;
    while (*p) {
        if (*p == '/') {
            p++;
            continue;
        }
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int rc = parse_comp(nb, p, n);
        if (rc) return rc == DMSC_EVALUE ? DMSC_EURI : rc;
        p += n;
    }
    return 0;
}
