/*
 * SignatureInfo (Data, TLV-TYPE 0x16) and InterestSignatureInfo (0x2c):
 * NDN Packet Format v0.3 "Signature". Sans-I/O, zero-copy decode, backward
 * (prepend) encode. One struct and one codec serve both element types.
 *
 *   SignatureInfo         = 0x16 TLV-LENGTH SignatureType [KeyLocator] [ValidityPeriod] ...
 *   InterestSignatureInfo = 0x2c TLV-LENGTH SignatureType [KeyLocator]
 *                             [SignatureNonce] [SignatureTime] [SignatureSeqNum]
 *   KeyLocator            = 0x1c TLV-LENGTH (Name / KeyDigest)
 *
 * Decoding rules (spec "evolvability", cross-checked with ndn-cxx and NDNts):
 *  - SignatureType, KeyLocator and ValidityPeriod are critical and must appear
 *    in that order, once each (DMSC_EORDER, DMSC_EDUP); SignatureType is
 *    required (DMSC_EMISSING).
 *  - SignatureNonce, SignatureTime and SignatureSeqNum are non-critical: they
 *    are accepted anywhere in the element (ndn-cxx writes ValidityPeriod
 *    before them, NDNts after them) but at most once each (DMSC_EDUP).
 *  - SignatureNonce has 1 or more octets (ndn-cxx and NDNts write 8), not the
 *    4 of early v0.3 drafts; an empty one is DMSC_EVALUE.
 *  - Unknown elements: critical -> DMSC_ECRITICAL, non-critical -> ignored.
 *  - ValidityPeriod is kept as its raw TLV-VALUE (sec/ parses it).
 */
#ifndef DMSC_NDN_SIGINFO_H
#define DMSC_NDN_SIGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndn/name.h"
#include "ndn/signer.h"
#include "ndn/tlv.h"

typedef struct {
    uint64_t type;              /* SignatureType (DMSC_SIG_*) */
    int keyloc_kind;            /* DMSC_KEYLOC_NONE / _NAME / _DIGEST */
    dmsc_name_t keyloc_name;    /* KeyLocator Name, when keyloc_kind == DMSC_KEYLOC_NAME */
    dmsc_slice_t keyloc_digest; /* KeyDigest TLV-VALUE, when keyloc_kind == DMSC_KEYLOC_DIGEST */
    bool has_nonce;
    bool has_time;
    bool has_seq_num;
    bool has_validity;
    dmsc_slice_t nonce;    /* SignatureNonce TLV-VALUE (>= 1 octet) */
    uint64_t time;         /* SignatureTime: milliseconds since the Unix epoch */
    uint64_t seq_num;      /* SignatureSeqNum */
    dmsc_slice_t validity; /* ValidityPeriod TLV-VALUE, unparsed */
    /* The whole element as decoded (TLV-TYPE through the end of TLV-VALUE).
     * dmsc_siginfo_init() leaves it empty. The Interest and Data encoders copy
     * it verbatim when they are not signing (so that unknown non-critical
     * sub-elements survive a re-encode); clear it after changing a field. */
    dmsc_slice_t wire;
} dmsc_siginfo_t;

/* An empty SignatureInfo: type 0 (DigestSha256), no KeyLocator, no optional
 * element, empty wire. */
void dmsc_siginfo_init(dmsc_siginfo_t *si);

/* Decode one SignatureInfo or InterestSignatureInfo element already read
 * from its parent (el->type must be DMSC_TT_SIG_INFO or DMSC_TT_ISIG_INFO).
 * Zero-copy: si points into el's buffer. On error *si is unspecified.
 * Returns 0, DMSC_ETYPE (el->type), DMSC_ETRUNC / DMSC_EVARNUM (malformed
 * sub-TLV), DMSC_EMISSING (no SignatureType; KeyLocator with neither Name
 * nor KeyDigest), DMSC_ENNI (SignatureType, SignatureTime, SignatureSeqNum),
 * DMSC_EVALUE (empty SignatureNonce), DMSC_EORDER, DMSC_EDUP (also a
 * KeyLocator holding both Name and KeyDigest), DMSC_ECRITICAL, or a Name
 * error (DMSC_ECOMPTYPE, DMSC_ENAMELEN, DMSC_ENAMECOMPS, DMSC_EVALUE) for
 * the KeyLocator Name. */
int dmsc_siginfo_decode(dmsc_siginfo_t *si, const dmsc_tlv_t *el);

/* Prepend si, encoded from its fields (si->wire is ignored), as an element
 * of TLV-TYPE tlv_type (DMSC_TT_SIG_INFO or DMSC_TT_ISIG_INFO). Elements
 * are written in the order SignatureType, KeyLocator, SignatureNonce,
 * SignatureTime, SignatureSeqNum, ValidityPeriod (NDNts order; ndn-cxx
 * accepts it). Returns 0, DMSC_ENOBUFS (encoder overflow, also sticky in e),
 * or DMSC_EINVAL (tlv_type, keyloc_kind, or has_nonce with an empty nonce). */
int dmsc_siginfo_prepend(dmsc_enc_t *e, uint64_t tlv_type, const dmsc_siginfo_t *si);

/* Take SignatureType and KeyLocator from a signer; other fields unchanged;
 * si->wire is cleared. */
void dmsc_siginfo_set_signer(dmsc_siginfo_t *si, const dmsc_signer_t *s);

/* ---- internal to the ndn/ packet codecs (siginfo.c, interest.c, data.c) ----
 * Evolvability bookkeeping for one child element. `order` is the element's
 * 1-based position in its parent's grammar, or 0 if the TLV-TYPE is not
 * recognized; *last is the highest position accepted so far.
 * Returns 1 (process the element; *last updated), 0 (ignore it: unknown or
 * out-of-order non-critical element), DMSC_ECRITICAL (unknown critical),
 * DMSC_EORDER (known critical element after a later one) or DMSC_EDUP
 * (known element repeated). */
static inline int dmsc__evolve(uint64_t type, int order, int *last)
{
    if (order == 0) return dmsc_tlv_is_critical(type) ? DMSC_ECRITICAL : 0;
    if (order == *last) return DMSC_EDUP;
    if (order < *last) return dmsc_tlv_is_critical(type) ? DMSC_EORDER : 0;
    *last = order;
    return 1;
}

/* Open a top-level packet: size ceiling, one element of TLV-TYPE `type`
 * covering exactly wire[0 .. len). Returns 0 (with *top and *r positioned
 * inside its value), DMSC_ETOOBIG, DMSC_ETRUNC, DMSC_EVARNUM, DMSC_ETYPE or
 * DMSC_ETRAILING. */
int dmsc__packet_open(const uint8_t *wire, size_t len, size_t max_size, uint64_t type,
                      dmsc_tlv_t *top, dmsc_tlv_reader_t *r);

/* A packet whose first element is not a Name: DMSC_EORDER if a Name comes
 * later among the remaining elements of r, else DMSC_EMISSING (or a framing
 * error). */
int dmsc__misplaced_name(dmsc_tlv_reader_t *r);

#endif
