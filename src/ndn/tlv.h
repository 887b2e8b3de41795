/*
 * NDN TLV primitives (NDN Packet Format v0.3, "TLV Encoding"): VAR-NUMBER,
 * NonNegativeInteger, a zero-copy element reader and a backward (prepend)
 * encoder. No I/O, no allocation.
 */
#ifndef DMSC_NDN_TLV_H
#define DMSC_NDN_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"

/* ---- TLV-TYPE numbers (NDN v0.3 and NDNLPv2) ---- */
enum {
    /* packets */
    DMSC_TT_INTEREST = 0x05,
    DMSC_TT_DATA = 0x06,
    /* name */
    DMSC_TT_NAME = 0x07,
    DMSC_TT_IMPLICIT_DIGEST = 0x01,
    DMSC_TT_PARAMS_DIGEST = 0x02,
    DMSC_TT_GENERIC = 0x08,
    DMSC_TT_KEYWORD = 0x20,
    DMSC_TT_SEGMENT = 0x32,
    DMSC_TT_BYTE_OFFSET = 0x34,
    DMSC_TT_VERSION = 0x36,
    DMSC_TT_TIMESTAMP = 0x38,
    DMSC_TT_SEQUENCE_NUM = 0x3a,
    /* interest */
    DMSC_TT_CAN_BE_PREFIX = 0x21,
    DMSC_TT_MUST_BE_FRESH = 0x12,
    DMSC_TT_FORWARDING_HINT = 0x1e,
    DMSC_TT_NONCE = 0x0a,
    DMSC_TT_INTEREST_LIFETIME = 0x0c,
    DMSC_TT_HOP_LIMIT = 0x22,
    DMSC_TT_APP_PARAMETERS = 0x24,
    DMSC_TT_ISIG_INFO = 0x2c,
    DMSC_TT_ISIG_VALUE = 0x2e,
    /* data */
    DMSC_TT_META_INFO = 0x14,
    DMSC_TT_CONTENT = 0x15,
    DMSC_TT_SIG_INFO = 0x16,
    DMSC_TT_SIG_VALUE = 0x17,
    DMSC_TT_CONTENT_TYPE = 0x18,
    DMSC_TT_FRESHNESS_PERIOD = 0x19,
    DMSC_TT_FINAL_BLOCK_ID = 0x1a,
    /* signature */
    DMSC_TT_SIG_TYPE = 0x1b,
    DMSC_TT_KEY_LOCATOR = 0x1c,
    DMSC_TT_KEY_DIGEST = 0x1d,
    DMSC_TT_SIG_NONCE = 0x26,
    DMSC_TT_SIG_TIME = 0x28,
    DMSC_TT_SIG_SEQ_NUM = 0x2a,
    DMSC_TT_VALIDITY_PERIOD = 0xfd,
    DMSC_TT_NOT_BEFORE = 0xfe,
    DMSC_TT_NOT_AFTER = 0xff,
    /* NDNLPv2 */
    DMSC_TT_LP_PACKET = 0x64,
    DMSC_TT_LP_FRAGMENT = 0x50,
    DMSC_TT_LP_SEQUENCE = 0x51,
    DMSC_TT_LP_FRAG_INDEX = 0x52,
    DMSC_TT_LP_FRAG_COUNT = 0x53,
    DMSC_TT_LP_PIT_TOKEN = 0x62,
    DMSC_TT_LP_NACK = 0x0320,
    DMSC_TT_LP_NACK_REASON = 0x0321,
    DMSC_TT_LP_INCOMING_FACE_ID = 0x032c,
    DMSC_TT_LP_NEXT_HOP_FACE_ID = 0x0330,
    DMSC_TT_LP_CACHE_POLICY = 0x0334,
    DMSC_TT_LP_CACHE_POLICY_TYPE = 0x0335,
    DMSC_TT_LP_CONGESTION_MARK = 0x0340,
    DMSC_TT_LP_ACK = 0x0344,
    DMSC_TT_LP_TX_SEQUENCE = 0x0348,
    DMSC_TT_LP_NON_DISCOVERY = 0x034c,
    DMSC_TT_LP_PREFIX_ANNOUNCEMENT = 0x0350,
};

/* Hard ceilings. The datagram MTU-class limit is fixed by the spec family;
 * stream faces use a configurable ceiling up to DMSC_TLV_MAX_PACKET. */
#define DMSC_TLV_DGRAM_MAX 8800
#define DMSC_TLV_MAX_PACKET (1u << 20)

/* "Evolvability": unknown TLV-TYPEs 0..31 and odd numbers are critical. */
static inline bool dmsc_tlv_is_critical(uint64_t type)
{
    return type <= 31 || (type & 1) != 0;
}

/* ---- VAR-NUMBER and NonNegativeInteger ---- */

static inline size_t dmsc_varnum_size(uint64_t v)
{
    return v < 0xfd ? 1 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

/* Read a VAR-NUMBER at *pp (< end), advance *pp. Returns 0, DMSC_ETRUNC.
 * Non-minimal encodings are accepted (as NFD and NDNts do). */
int dmsc_varnum_read(const uint8_t **pp, const uint8_t *end, uint64_t *out);

/* Decode a NonNegativeInteger TLV-VALUE (1, 2, 4 or 8 bytes). 0 or DMSC_ENNI. */
int dmsc_nni_decode(const uint8_t *v, size_t n, uint64_t *out);

/* Bytes of the shortest NonNegativeInteger encoding of v (1, 2, 4 or 8). */
static inline size_t dmsc_nni_size(uint64_t v)
{
    return v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
}

/* Write the shortest NonNegativeInteger encoding of v to out; returns size. */
size_t dmsc_nni_write(uint8_t *out, uint64_t v);

/* ---- Reader ---- */

typedef struct {
    uint64_t type;
    size_t len;           /* TLV-LENGTH */
    const uint8_t *value; /* TLV-VALUE */
    const uint8_t *start; /* first byte of TLV-TYPE */
    size_t size;          /* whole element: T + L + V */
} dmsc_tlv_t;

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} dmsc_tlv_reader_t;

static inline void dmsc_tlv_reader_init(dmsc_tlv_reader_t *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->end = p + n;
}

static inline bool dmsc_tlv_reader_eof(const dmsc_tlv_reader_t *r)
{
    return r->p >= r->end;
}

/* Read the next element. Returns 0, DMSC_ETRUNC or DMSC_EVARNUM (type 0 or
 * type/length above 2^32-1 for length). Never reads past r->end. */
int dmsc_tlv_read(dmsc_tlv_reader_t *r, dmsc_tlv_t *out);

/* Same contract as dmsc_tlv_read(), inlined for the common case of a
 * one-octet TLV-TYPE (1..252) and TLV-LENGTH (< 253); the packet codecs use
 * it on the hot path. */
static inline int dmsc_tlv_read_fast(dmsc_tlv_reader_t *r, dmsc_tlv_t *out)
{
    const uint8_t *p = r->p;
    if (r->end - p >= 2 && (uint8_t)(p[0] - 1) < 0xfc && p[1] < 0xfd) {
        size_t len = p[1];
        if (len > (size_t)(r->end - p) - 2) return DMSC_ETRUNC;
        out->type = p[0];
        out->len = len;
        out->value = p + 2;
        out->start = p;
        out->size = len + 2;
        r->p = p + 2 + len;
        return 0;
    }
    return dmsc_tlv_read(r, out);
}

/* Decode exactly one top-level element covering the whole buffer:
 * DMSC_ETRAILING if bytes remain after it. */
int dmsc_tlv_decode_one(const uint8_t *p, size_t n, dmsc_tlv_t *out);

/* ---- Backward encoder ----
 * Writes from the end of the buffer towards its start, so nested TLVs are
 * written value-first and their headers prepended with the known length.
 * Overflow is sticky: further writes are ignored and dmsc_enc_error()
 * returns DMSC_ENOBUFS. Pattern:
 *     size_t mark = dmsc_enc_mark(e);
 *     ...prepend the inner elements...
 *     dmsc_enc_prepend_hdr(e, TYPE, mark - dmsc_enc_mark(e));
 */
typedef struct {
    uint8_t *buf;
    size_t pos; /* first written byte; output is buf[pos .. end) */
    bool overflow;
} dmsc_enc_t;

static inline void dmsc_enc_init(dmsc_enc_t *e, uint8_t *buf, size_t end)
{
    e->buf = buf;
    e->pos = end;
    e->overflow = false;
}
static inline size_t dmsc_enc_mark(const dmsc_enc_t *e)
{
    return e->pos;
}
static inline int dmsc_enc_error(const dmsc_enc_t *e)
{
    return e->overflow ? DMSC_ENOBUFS : 0;
}
static inline uint8_t *dmsc_enc_data(const dmsc_enc_t *e)
{
    return e->buf + e->pos;
}

/* Reserve n bytes before the current output; returns where to write them, or
 * NULL on overflow. */
static inline uint8_t *dmsc_enc_reserve(dmsc_enc_t *e, size_t n)
{
    if (e->overflow || n > e->pos) {
        e->overflow = true;
        return NULL;
    }
    e->pos -= n;
    return e->buf + e->pos;
}

void dmsc_enc_prepend(dmsc_enc_t *e, const void *p, size_t n);
void dmsc_enc_prepend_varnum(dmsc_enc_t *e, uint64_t v);
/* TLV-TYPE and TLV-LENGTH */
void dmsc_enc_prepend_hdr(dmsc_enc_t *e, uint64_t type, size_t len);
void dmsc_enc_prepend_tlv(dmsc_enc_t *e, uint64_t type, const void *value, size_t len);
void dmsc_enc_prepend_nni_tlv(dmsc_enc_t *e, uint64_t type, uint64_t v);

/* Forward helper for small fixed writes: writes T and L at out (which must
 * have room for 18 bytes); returns bytes written. */
size_t dmsc_tlv_write_hdr(uint8_t *out, uint64_t type, size_t len);

#endif
