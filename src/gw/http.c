/* HTTP message heads shared by the gateway's codecs: field lookup and token compare. */
#include "gw/http.h"

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
