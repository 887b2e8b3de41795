/*
 * Routing wire formats (docs/routing.md is the normative description):
 * LSA content, hello information, LSU (flooding) and SNP (summary)
 * parameters, and the names of routing packets. Sans-I/O, no allocation,
 * every decoder bounds-checked (fuzz/fuzz_route.c).
 *
 * Packets (all Interests carry HopLimit 1 and MustBeFresh; every Interest
 * is answered by a Data with the same name):
 *
 *   Hello  Interest /localhop/dmsc/route/hello/<sender...>/seq=<m>/<params-digest>
 *          signed (Ed25519), ApplicationParameters = HelloInfo
 *          Data: same name, Content = HelloInfo of the responder, Ed25519
 *   LSU    Interest /localhop/dmsc/route/lsu/<sender...>/seq=<m>/<params-digest>
 *          ApplicationParameters = 1*LsaEntry
 *          Data: same name, empty Content, DigestSha256 (the acknowledgement)
 *   SNP    Interest /localhop/dmsc/route/snp/<sender...>/seq=<m>/<params-digest>
 *          ApplicationParameters = SnpParams
 *          Data: same name, empty Content, DigestSha256
 *   LSA    Data <origin...>/route/lsa/seq=<n>, Content = LsaContent, Ed25519
 *          with KeyLocator Name <origin...>/KEY/<keyid>
 *
 * TLV-TYPE numbers are in the application range (128..252). Odd numbers
 * are critical, even ones are not (NDN evolvability rule): a decoder
 * meeting an unknown odd TLV-TYPE rejects the element, an unknown even
 * one is skipped.
 */
#ifndef DMSC_ROUTE_WIRE_H
#define DMSC_ROUTE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"
#include "ndn/data.h"
#include "ndn/name.h"
#include "ndn/signer.h"
#include "ndn/tlv.h"

enum {
    /* LsaContent */
    DMSC_RT_TT_LSA_LIFETIME = 0xc1,    /* NonNegativeInteger, ms */
    DMSC_RT_TT_PUBLIC_KEY = 0xc3,      /* 32 octets, raw Ed25519 public key */
    DMSC_RT_TT_ADJACENCY = 0xc5,       /* Name LinkCost */
    DMSC_RT_TT_LINK_COST = 0xc7,       /* NonNegativeInteger */
    DMSC_RT_TT_PREFIX = 0xc9,          /* Name [PrefixCost] [PrefixLoad] [PrefixCapacity] */
    DMSC_RT_TT_PREFIX_COST = 0xcb,     /* NonNegativeInteger */
    DMSC_RT_TT_PREFIX_LOAD = 0xcc,     /* NonNegativeInteger (non-critical) */
    DMSC_RT_TT_PREFIX_CAPACITY = 0xce, /* NonNegativeInteger (non-critical) */
    /* HelloInfo: Name PublicKey [LsdbDigest] [LsdbCount] */
    DMSC_RT_TT_LSDB_DIGEST = 0xd2, /* 8 octets (non-critical) */
    DMSC_RT_TT_LSDB_COUNT = 0xd4,  /* NonNegativeInteger (non-critical) */
    /* LSU */
    DMSC_RT_TT_LSA_ENTRY = 0xd5,     /* LsaRemaining Data */
    DMSC_RT_TT_LSA_REMAINING = 0xd7, /* NonNegativeInteger, ms */
    /* SNP */
    DMSC_RT_TT_SNP_SESSION = 0xd9,     /* NonNegativeInteger */
    DMSC_RT_TT_SNP_PAGE = 0xdb,        /* NonNegativeInteger, 0-based */
    DMSC_RT_TT_SNP_PAGE_COUNT = 0xdd,  /* NonNegativeInteger, >= 1 */
    DMSC_RT_TT_SNP_RANGE_START = 0xdf, /* Name (exclusive lower bound) */
    DMSC_RT_TT_SNP_RANGE_END = 0xe1,   /* Name (inclusive upper bound) */
    DMSC_RT_TT_SNP_ENTRY = 0xe3,       /* Name SnpSeq SnpHash */
    DMSC_RT_TT_SNP_SEQ = 0xe5,         /* NonNegativeInteger */
    DMSC_RT_TT_SNP_HASH = 0xe7,        /* 8 octets */
    DMSC_RT_TT_SNP_ANSWER = 0xe8,      /* empty: this summary answers one (non-critical) */
};

/* Ceilings. */
#define DMSC_RT_PUBKEY_LEN 32
#define DMSC_LSA_MAX_SIZE 8000      /* whole LSA Data packet */
#define DMSC_LSA_MAX_ADJ 512        /* adjacencies in one LSA */
#define DMSC_LSA_MAX_PREFIXES 1024  /* prefixes in one LSA */
#define DMSC_RT_COST_MAX (1u << 24) /* link and prefix costs above this are invalid */
#define DMSC_RT_NODE_NAME_MAX 256   /* Name TLV-VALUE bytes of a node name */
#define DMSC_RT_MSG_MAX DMSC_TLV_DGRAM_MAX
/* ApplicationParameters budget of LSU and SNP Interests: leaves room for the
 * name (prefix, sender up to DMSC_RT_NODE_NAME_MAX, seq, digest) and the
 * other Interest elements within DMSC_RT_MSG_MAX. */
#define DMSC_RT_PARAMS_MAX 8200
#define DMSC_SNP_MAX_PAGES 1024

/* ---- routing packet names ---- */

enum { DMSC_RT_MSG_HELLO = 1, DMSC_RT_MSG_LSU = 2, DMSC_RT_MSG_SNP = 3 };

/* /localhop/dmsc/route/<kind>/<sender...>/seq=<seq> (the Interest encoder
 * appends the ParametersSha256DigestComponent). Returns 0, DMSC_EINVAL (kind),
 * DMSC_ENAMELEN, DMSC_ENAMECOMPS. */
int dmsc_rtmsg_name(dmsc_namebuf_t *nb, int kind, const dmsc_name_t *sender, uint64_t seq);

/* Parse the name of a routing Interest or of the Data answering it: the
 * fixed prefix, a kind, a sender of at least one component, a SequenceNum
 * component and (optionally, always present on the wire) the digest
 * component. *sender is a view into n's buffer. Returns 0 or DMSC_EVALUE
 * (not a routing name), DMSC_ENNI (bad seq). */
int dmsc_rtmsg_name_parse(const dmsc_name_t *n, int *kind, dmsc_name_t *sender, uint64_t *seq);

/* The name prefix a node registers to receive routing Interests:
 * /localhop/dmsc/route. */
void dmsc_rtmsg_prefix(dmsc_namebuf_t *nb);

/* ---- LSA ---- */

typedef struct {
    dmsc_slice_t name; /* Name TLV-VALUE (validated) */
    uint64_t cost;
} dmsc_lsa_adj_t;

typedef struct {
    dmsc_slice_t name; /* Name TLV-VALUE (validated) */
    uint64_t cost;     /* 0 when absent */
    uint64_t load;     /* 0 when absent */
    uint64_t capacity; /* 0 when absent */
} dmsc_lsa_prefix_t;

/* LsaContent, validated. Adjacencies and prefixes are read with the
 * iterators below. */
typedef struct {
    uint64_t lifetime_ms;
    const uint8_t *pubkey; /* DMSC_RT_PUBKEY_LEN bytes */
    size_t n_adj, n_prefix;
    dmsc_slice_t value; /* the Content TLV-VALUE */
} dmsc_lsa_content_t;

/* Decode and validate LsaContent (the Content TLV-VALUE of an LSA):
 * LsaLifetime and PublicKey exactly once, any number of Adjacency and
 * Prefix (each Name valid, costs <= DMSC_RT_COST_MAX, limits above).
 * Returns 0, DMSC_ETRUNC/DMSC_EVARNUM (framing), DMSC_EMISSING, DMSC_EDUP,
 * DMSC_ECRITICAL, DMSC_ENNI, DMSC_EVALUE (bad key length, cost, empty name,
 * too many entries), or a Name error. */
int dmsc_lsa_content_decode(dmsc_lsa_content_t *c, const uint8_t *v, size_t len);

typedef struct {
    dmsc_tlv_reader_t r;
} dmsc_lsa_iter_t;

void dmsc_lsa_iter_init(dmsc_lsa_iter_t *it, const dmsc_lsa_content_t *c);
/* Next adjacency / prefix of a content that dmsc_lsa_content_decode()
 * accepted. Returns 1 with *out set, 0 at the end. */
int dmsc_lsa_next_adj(dmsc_lsa_iter_t *it, dmsc_lsa_adj_t *out);
int dmsc_lsa_next_prefix(dmsc_lsa_iter_t *it, dmsc_lsa_prefix_t *out);

/* Size of the LsaContent these would encode to. */
size_t dmsc_lsa_content_size(uint64_t lifetime_ms, const dmsc_lsa_adj_t *adj, size_t n_adj,
                             const dmsc_lsa_prefix_t *pfx, size_t n_pfx);
/* Prepend LsaContent (TLV-VALUE only, no Content header). Load and capacity
 * are written when non-zero, PrefixCost when non-zero. Returns 0 or
 * DMSC_ENOBUFS (sticky in e). */
int dmsc_lsa_content_prepend(dmsc_enc_t *e, uint64_t lifetime_ms, const uint8_t *pubkey,
                             const dmsc_lsa_adj_t *adj, size_t n_adj, const dmsc_lsa_prefix_t *pfx,
                             size_t n_pfx);

/* <origin...>/route/lsa/seq=<seq> */
int dmsc_lsa_name(dmsc_namebuf_t *nb, const dmsc_name_t *origin, uint64_t seq);

/* A decoded LSA: the Data packet, its origin and seq, its content. */
typedef struct {
    dmsc_data_t data;
    dmsc_name_t origin; /* view: the first components of data.name */
    uint64_t seq;
    dmsc_lsa_content_t content;
} dmsc_lsa_t;

/* Decode an LSA Data packet (exactly wire[0..len), len <= DMSC_LSA_MAX_SIZE)
 * and check its form: name <origin>/route/lsa/seq=N with a non-empty origin
 * of at most DMSC_RT_NODE_NAME_MAX bytes, SignatureType Ed25519, KeyLocator
 * a Name under <origin>/KEY, Content a valid LsaContent. The signature is
 * not verified (dmsc_lsa_verify). Returns 0, DMSC_ETOOBIG, a Data decode
 * error, DMSC_EVALUE (name form, KeyLocator), DMSC_ESIGTYPE, or a content
 * error. */
int dmsc_lsa_decode(dmsc_lsa_t *lsa, const uint8_t *wire, size_t len);

/* Verify the signature of a decoded LSA with the public key it carries.
 * Returns 0, DMSC_ESIG, DMSC_EKEY (invalid public key), DMSC_ENOMEM. */
int dmsc_lsa_verify(const dmsc_lsa_t *lsa);

/* Encode a signed LSA into buf[0..cap); *out receives the packet. The
 * signer must be an Ed25519 signer with a KeyLocator Name under
 * <origin>/KEY. Returns 0, DMSC_ENOBUFS, DMSC_ETOOBIG (over
 * DMSC_LSA_MAX_SIZE), a name error, or the signer's error. */
int dmsc_lsa_encode(const dmsc_name_t *origin, uint64_t seq, uint64_t lifetime_ms,
                    const uint8_t *pubkey, const dmsc_lsa_adj_t *adj, size_t n_adj,
                    const dmsc_lsa_prefix_t *pfx, size_t n_pfx, const dmsc_signer_t *signer,
                    uint8_t *buf, size_t cap, dmsc_slice_t *out);

/* ---- HelloInfo (hello Interest ApplicationParameters, hello Data Content) ---- */

typedef struct {
    dmsc_name_t name; /* the node that wrote it */
    const uint8_t *pubkey;
    bool has_digest;
    uint64_t digest;
    uint64_t lsa_count; /* 0 when absent */
} dmsc_hello_t;

/* Returns 0, framing errors, DMSC_EMISSING (name or key), DMSC_EDUP,
 * DMSC_ECRITICAL, DMSC_EVALUE (lengths), DMSC_ENNI, or a Name error. */
int dmsc_hello_decode(dmsc_hello_t *h, const uint8_t *v, size_t len);
/* Prepend a HelloInfo value. 0 or DMSC_ENOBUFS. */
int dmsc_hello_prepend(dmsc_enc_t *e, const dmsc_name_t *name, const uint8_t *pubkey,
                       uint64_t digest, uint64_t lsa_count);

/* ---- LSU parameters: 1*LsaEntry ---- */

/* Validate the framing of an LSU parameters value: one or more LsaEntry,
 * each with LsaRemaining and one Data element (the LSA itself is checked
 * by dmsc_lsa_decode). Returns the number of entries (>= 1) or an error
 * (DMSC_EMISSING for none, DMSC_ECRITICAL, DMSC_EVALUE, DMSC_ENNI...). */
int dmsc_lsu_check(const uint8_t *v, size_t len);
/* Iterate a checked value: returns 1 with *remaining_ms and *lsa (the whole
 * Data element) set, 0 at the end. */
int dmsc_lsu_next(dmsc_tlv_reader_t *r, uint64_t *remaining_ms, dmsc_slice_t *lsa);
/* Size of one LsaEntry element. */
size_t dmsc_lsu_entry_size(uint64_t remaining_ms, size_t lsa_len);
void dmsc_lsu_entry_prepend(dmsc_enc_t *e, uint64_t remaining_ms, const uint8_t *lsa,
                            size_t lsa_len);

/* ---- SNP parameters ---- */

typedef struct {
    uint64_t session, page, page_count;
    bool answer; /* SnpAnswer present */
    bool has_start, has_end;
    dmsc_slice_t start, end; /* Name TLV-VALUEs of the range bounds */
    size_t n_entries;
    dmsc_slice_t value; /* the whole parameters value */
} dmsc_snp_t;

typedef struct {
    dmsc_slice_t origin; /* Name TLV-VALUE */
    uint64_t seq;
    uint64_t hash;
} dmsc_snp_entry_t;

/* SnpParams = SnpSession SnpPage SnpPageCount [SnpAnswer] [SnpRangeStart]
 * [SnpRangeEnd] *SnpEntry. page < page_count <= DMSC_SNP_MAX_PAGES.
 * Returns 0 or an error as above. */
int dmsc_snp_decode(dmsc_snp_t *s, const uint8_t *v, size_t len);
typedef struct {
    dmsc_tlv_reader_t r;
} dmsc_snp_iter_t;
void dmsc_snp_iter_init(dmsc_snp_iter_t *it, const dmsc_snp_t *s);
/* Returns 1 with *out set, 0 at the end (s must have been decoded). */
int dmsc_snp_next(dmsc_snp_iter_t *it, dmsc_snp_entry_t *out);

size_t dmsc_snp_entry_size(size_t origin_len, uint64_t seq);
void dmsc_snp_entry_prepend(dmsc_enc_t *e, const uint8_t *origin, size_t origin_len, uint64_t seq,
                            uint64_t hash);
/* Header fields; start/end may be NULL (unbounded). Call after the entries. */
void dmsc_snp_header_prepend(dmsc_enc_t *e, uint64_t session, uint64_t page, uint64_t page_count,
                             bool answer, const dmsc_slice_t *start, const dmsc_slice_t *end);
/* Bytes of the header fields. */
size_t dmsc_snp_header_size(uint64_t session, uint64_t page, uint64_t page_count, bool answer,
                            const dmsc_slice_t *start, const dmsc_slice_t *end);

/* ---- helpers ---- */

/* Canonical order (NDN spec) of two Name TLV-VALUEs that are known valid. */
int dmsc_rt_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Size of a TLV element with a value of len bytes. */
static inline size_t dmsc_rt_tlv_size(uint64_t type, size_t len)
{
    return dmsc_varnum_size(type) + dmsc_varnum_size(len) + len;
}
/* Read 8 octets big-endian. */
static inline uint64_t dmsc_rt_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}
static inline void dmsc_rt_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

#endif
