#include "ndn/tlv.h"

int dmsc_varnum_read(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (p >= end) return DMSC_ETRUNC;
    uint8_t b = *p++;
    size_t extra = b < 0xfd ? 0 : b == 0xfd ? 2 : b == 0xfe ? 4 : 8;
    if ((size_t)(end - p) < extra) return DMSC_ETRUNC;
    uint64_t v = b < 0xfd ? b : 0;
    for (size_t i = 0; i < extra; i++)
        v = (v << 8) | p[i];
    *out = v;
    *pp = p + extra;
    return 0;
}

int dmsc_nni_decode(const uint8_t *v, size_t n, uint64_t *out)
{
    if (n != 1 && n != 2 && n != 4 && n != 8) return DMSC_ENNI;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = (x << 8) | v[i];
    *out = x;
    return 0;
}

size_t dmsc_nni_write(uint8_t *out, uint64_t v)
{
    size_t n = dmsc_nni_size(v);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

int dmsc_tlv_read(dmsc_tlv_reader_t *r, dmsc_tlv_t *out)
{
    const uint8_t *p = r->p;
    uint64_t type, len;
    int rc = dmsc_varnum_read(&p, r->end, &type);
    if (rc) return rc;
    if (type == 0 || type > 0xffffffffu)
        return DMSC_EVARNUM; /* TLV-TYPE 0 is reserved; > 2^32-1 is invalid */
    rc = dmsc_varnum_read(&p, r->end, &len);
    if (rc) return rc;
    if (len > (uint64_t)(r->end - p)) return DMSC_ETRUNC;
    out->type = type;
    out->len = (size_t)len;
    out->value = p;
    out->start = r->p;
    out->size = (size_t)(p + len - r->p);
    r->p = p + len;
    return 0;
}

int dmsc_tlv_decode_one(const uint8_t *p, size_t n, dmsc_tlv_t *out)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, p, n);
    int rc = dmsc_tlv_read(&r, out);
    if (rc) return rc;
    return dmsc_tlv_reader_eof(&r) ? 0 : DMSC_ETRAILING;
}

void dmsc_enc_prepend(dmsc_enc_t *e, const void *p, size_t n)
{
    uint8_t *dst = dmsc_enc_reserve(e, n);
    /* octets already in place are left; a source inside the buffer may overlap */
    if (dst && n && dst != (const uint8_t *)p) memmove(dst, p, n);
}

static size_t varnum_write(uint8_t *out, uint64_t v)
{
    if (v < 0xfd) {
        out[0] = (uint8_t)v;
        return 1;
    }
    size_t n = v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
    out[0] = n == 2 ? 0xfd : n == 4 ? 0xfe : 0xff;
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n + 1;
}

void dmsc_enc_prepend_varnum(dmsc_enc_t *e, uint64_t v)
{
    uint8_t *dst = dmsc_enc_reserve(e, dmsc_varnum_size(v));
    if (dst) varnum_write(dst, v);
}

size_t dmsc_tlv_write_hdr(uint8_t *out, uint64_t type, size_t len)
{
    size_t n = varnum_write(out, type);
    return n + varnum_write(out + n, len);
}

void dmsc_enc_prepend_hdr(dmsc_enc_t *e, uint64_t type, size_t len)
{
    uint8_t *dst = dmsc_enc_reserve(e, dmsc_varnum_size(type) + dmsc_varnum_size(len));
    if (dst) dmsc_tlv_write_hdr(dst, type, len);
}

void dmsc_enc_prepend_tlv(dmsc_enc_t *e, uint64_t type, const void *value, size_t len)
{
    dmsc_enc_prepend(e, value, len);
    dmsc_enc_prepend_hdr(e, type, len);
}

void dmsc_enc_prepend_nni_tlv(dmsc_enc_t *e, uint64_t type, uint64_t v)
{
    uint8_t tmp[8];
    size_t n = dmsc_nni_write(tmp, v);
    dmsc_enc_prepend_tlv(e, type, tmp, n);
}
