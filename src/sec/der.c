#include "sec/der.h"

#include <string.h>

#include "base/err.h"

int dmsc__der_read(dmsc__der_reader_t *r, uint8_t tag, dmsc_slice_t *val)
{
    const uint8_t *p = r->p;
    size_t avail = (size_t)(r->end - p);
    if (avail < 2 || p[0] != tag) return -1;
    size_t len = p[1], hdr = 2;
    if (len >= 0x80) {
        /* long form: 0x81 for 128..255, 0x82 for 256..65535; 0x80 (indefinite,
         * BER only) and anything longer are rejected */
        if (len == 0x81) {
            if (avail < 3 || p[2] < 0x80) return -1;
            len = p[2];
            hdr = 3;
        } else if (len == 0x82) {
            if (avail < 4 || p[2] == 0) return -1;
            len = (size_t)p[2] << 8 | p[3];
            hdr = 4;
        } else {
            return -1;
        }
    }
    if (len > avail - hdr) return -1;
    val->p = p + hdr;
    val->n = len;
    r->p = p + hdr + len;
    return 0;
}

int dmsc__der_uint(dmsc_slice_t v, uint8_t *out, size_t width)
{
    if (v.n == 0 || (v.p[0] & 0x80)) return -1; /* empty or negative */
    if (v.n > 1 && v.p[0] == 0) {
        if (!(v.p[1] & 0x80)) return -1; /* redundant leading zero */
        v.p++;
        v.n--;
    }
    if (v.n > width) return -1;
    memset(out, 0, width - v.n);
    memcpy(out + width - v.n, v.p, v.n);
    return 0;
}

/* Write a positive big-endian integer (width bytes, not all zero) as a DER
 * INTEGER into out; returns bytes written (at most width + 3). */
static size_t put_uint(uint8_t *out, const uint8_t *x, size_t width)
{
    size_t i = 0;
    while (i < width - 1 && x[i] == 0)
        i++;
    size_t n = width - i, pad = (x[i] & 0x80) ? 1 : 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(n + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, x + i, n);
    return 2 + pad + n;
}

static int all_zero(const uint8_t *x, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= x[i];
    return acc == 0;
}

int dmsc_der_ecdsa_sig_encode(const uint8_t raw[DMSC_ECDSA_P256_RAW_LEN], uint8_t *out, size_t cap,
                              size_t *len)
{
    if (all_zero(raw, 32) || all_zero(raw + 32, 32)) return DMSC_EINVAL;
    uint8_t tmp[DMSC_ECDSA_P256_DER_MAX];
    size_t n = 2;
    n += put_uint(tmp + n, raw, 32);
    n += put_uint(tmp + n, raw + 32, 32);
    tmp[0] = 0x30;
    tmp[1] = (uint8_t)(n - 2); /* at most 70: short form */
    if (n > cap) return DMSC_ENOBUFS;
    memcpy(out, tmp, n);
    *len = n;
    return 0;
}

int dmsc_der_ecdsa_sig_decode(const uint8_t *der, size_t len, uint8_t raw[DMSC_ECDSA_P256_RAW_LEN])
{
    dmsc__der_reader_t outer, inner;
    dmsc_slice_t seq, r, s;
    if (len > DMSC_ECDSA_P256_DER_MAX) return DMSC_ESIG;
    dmsc__der_reader_init(&outer, der, len);
    if (dmsc__der_read(&outer, DMSC__DER_SEQUENCE, &seq) || !dmsc__der_reader_eof(&outer))
        return DMSC_ESIG;
    dmsc__der_reader_init(&inner, seq.p, seq.n);
    if (dmsc__der_read(&inner, DMSC__DER_INTEGER, &r) ||
        dmsc__der_read(&inner, DMSC__DER_INTEGER, &s) || !dmsc__der_reader_eof(&inner))
        return DMSC_ESIG;
    if (dmsc__der_uint(r, raw, 32) || dmsc__der_uint(s, raw + 32, 32) || all_zero(raw, 32) ||
        all_zero(raw + 32, 32)) {
        memset(raw, 0, DMSC_ECDSA_P256_RAW_LEN);
        return DMSC_ESIG;
    }
    return 0;
}
