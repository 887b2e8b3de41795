/* HTTP message heads shared by the gateway's codecs: field lookup and token compare. */
#include "gw/http.h"

#include <stdlib.h>
#include <string.h>

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool dmsc_http_token_eq(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n; i++) {
        if (!lit[i] || lower((unsigned char)s[i]) != lower((unsigned char)lit[i])) return false;
    }
    return lit[i] == '\0';
}

const dmsc_http_field_t *dmsc_http_field_find(const dmsc_http_head_t *h, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < h->nfields; i++) {
        const dmsc_http_field_t *f = &h->fields[i];
        if (f->name_len == n && dmsc_http_token_eq(f->name, n, name)) return f;
    }
    return NULL;
}

dmsc_http_field_t *dmsc_http_fields_dup(const dmsc_http_field_t *in, size_t n)
{
    if (!n) return NULL;
    size_t total = n * sizeof *in;
    for (size_t i = 0; i < n; i++)
        total += in[i].name_len + in[i].value_len;
    dmsc_http_field_t *out = malloc(total);
    if (!out) return NULL;
    char *q = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        memcpy(q, in[i].name, in[i].name_len);
        out[i].name = q;
        out[i].name_len = in[i].name_len;
        q += in[i].name_len;
        memcpy(q, in[i].value, in[i].value_len);
        out[i].value = q;
        out[i].value_len = in[i].value_len;
        q += in[i].value_len;
    }
    return out;
}
