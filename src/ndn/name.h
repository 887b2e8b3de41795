/*
 * NDN Name (v0.3 spec "Name", naming conventions rev3 typed components).
 *
 * A dmsc_name_t is a zero-copy view over a Name TLV-VALUE held elsewhere
 * (an input packet or a dmsc_namebuf_t), plus an index of component
 * offsets so that component access and prefix slicing are O(1).
 */
#ifndef DMSC_NDN_NAME_H
#define DMSC_NDN_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndn/tlv.h"

/* Limits. A Name longer than this is rejected with DMSC_ENAMELEN /
 * DMSC_ENAMECOMPS wherever it appears (packets, URIs, builders). */
#define DMSC_NAME_MAX_LEN 2048 /* bytes of Name TLV-VALUE */
#define DMSC_NAME_MAX_COMPS 64
#define DMSC_DIGEST_LEN 32 /* implicit / parameters SHA-256 digest */

typedef struct {
    uint16_t type;
    uint16_t len;
    const uint8_t *value;
    const uint8_t *tlv; /* the whole component element */
    uint16_t size;      /* its size */
} dmsc_comp_t;

typedef struct {
    const uint8_t *value; /* Name TLV-VALUE; may be NULL when len == 0 */
    uint16_t len;
    uint16_t ncomps;
    uint16_t off[DMSC_NAME_MAX_COMPS + 1]; /* off[i]: start of component i; off[ncomps] == len */
} dmsc_name_t;

/* Storage-owning name for building names (URI parse, append). */
typedef struct {
    dmsc_name_t name;
    uint8_t buf[DMSC_NAME_MAX_LEN];
} dmsc_namebuf_t;

/* ---- decoding ---- */

/* Index a Name TLV-VALUE. Every component must be a well-formed TLV with
 * TLV-TYPE 1..65535; digest components must be 32 bytes.
 * Returns 0, DMSC_ETRUNC, DMSC_EVARNUM, DMSC_ECOMPTYPE, DMSC_EVALUE,
 * DMSC_ENAMELEN, DMSC_ENAMECOMPS. */
int dmsc_name_from_value(dmsc_name_t *n, const uint8_t *v, size_t len);

/* Decode one whole Name element (type 7) occupying exactly [p, p+len). */
int dmsc_name_decode(dmsc_name_t *n, const uint8_t *p, size_t len);

static inline void dmsc_name_init(dmsc_name_t *n)
{
    n->value = NULL;
    n->len = 0;
    n->ncomps = 0;
    n->off[0] = 0;
}

dmsc_comp_t dmsc_name_comp(const dmsc_name_t *n, size_t i);

/* Bytes of the first k components (a valid Name TLV-VALUE). k <= ncomps. */
static inline dmsc_slice_t dmsc_name_prefix_bytes(const dmsc_name_t *n, size_t k)
{
    return dmsc_slice(n->value, n->off[k]);
}

/* A view of the first k components (k <= ncomps; larger k is clamped). */
void dmsc_name_get_prefix(const dmsc_name_t *n, size_t k, dmsc_name_t *out);

/* ---- comparison and hashing ---- */

/* Canonical order (spec: by TLV-TYPE, then TLV-LENGTH, then bytes). */
int dmsc_comp_compare(const dmsc_comp_t *a, const dmsc_comp_t *b);
/* Canonical order of names: component-wise; a proper prefix sorts first. */
int dmsc_name_compare(const dmsc_name_t *a, const dmsc_name_t *b);
bool dmsc_name_equal(const dmsc_name_t *a, const dmsc_name_t *b);
/* true if `prefix` is a prefix of (or equal to) `n` */
bool dmsc_name_is_prefix(const dmsc_name_t *prefix, const dmsc_name_t *n);
/* 64-bit hash of the first k components (XXH3 over their TLV bytes).
 * Equal prefixes hash equally wherever they come from. */
uint64_t dmsc_name_hash(const dmsc_name_t *n, size_t k);
/* Seed dmsc_name_hash for this process, so that a peer cannot craft names
 * that collide in the forwarder's tables. Call once at start-up, before any
 * table is built (hashes of existing entries would change). */
void dmsc_name_hash_set_seed(uint64_t seed);

/* ---- URI ---- */

/* Printing styles:
 *  DMSC_URI_CANONICAL: the v0.3 spec "NDN URI scheme": generic components as
 *      percent-escaped text, sha256digest=, params-sha256=, other types N=...
 *  DMSC_URI_ALT: as CANONICAL, plus the naming-convention rev3 alternate
 *      forms seg=, off=, v=, t=, seq= for typed components whose value is a
 *      NonNegativeInteger (NDNts AltUri from @ndn/naming-convention2). */
enum { DMSC_URI_CANONICAL = 0, DMSC_URI_ALT = 1 };

/* Write the URI of n into out (NUL-terminated). Returns the string length, or
 * DMSC_ENOBUFS if cap is too small. Root name prints as "/". */
int dmsc_name_to_uri(const dmsc_name_t *n, int style, char *out, size_t cap);
/* One component (no leading slash). */
int dmsc_comp_to_uri(const dmsc_comp_t *c, int style, char *out, size_t cap);

/* Parse an NDN URI ("ndn:" scheme optional, "/" is the root name). Accepts
 * every form either style prints, plus "8=" for generic components.
 * Returns 0, DMSC_EURI, DMSC_ENAMELEN, DMSC_ENAMECOMPS. */
int dmsc_namebuf_from_uri(dmsc_namebuf_t *nb, const char *uri);

/* ---- building ---- */

static inline void dmsc_namebuf_init(dmsc_namebuf_t *nb)
{
    dmsc_name_init(&nb->name);
    nb->name.value = nb->buf;
}
/* Copy any name (e.g. a view into a packet) into owned storage. */
int dmsc_namebuf_copy(dmsc_namebuf_t *nb, const dmsc_name_t *src);
int dmsc_namebuf_append(dmsc_namebuf_t *nb, uint16_t type, const void *value, size_t len);
/* Append a component whose value is a NonNegativeInteger (segment, version...). */
int dmsc_namebuf_append_nni(dmsc_namebuf_t *nb, uint16_t type, uint64_t v);
/* Append all components of another name. */
int dmsc_namebuf_append_name(dmsc_namebuf_t *nb, const dmsc_name_t *src);

/* Prepend a whole Name element (type 7) to an encoder. */
void dmsc_enc_prepend_name(dmsc_enc_t *e, const dmsc_name_t *n);

#endif
