/*
 * NDN Data (Packet Format v0.3 "Data Packet"): sans-I/O, single-pass
 * zero-copy decoder and backward encoder with signing.
 *
 *   Data     = 0x06 TLV-LENGTH Name [MetaInfo] [Content] SignatureInfo SignatureValue
 *   MetaInfo = 0x14 TLV-LENGTH [ContentType] [FreshnessPeriod] [FinalBlockId]
 *
 * Decoding rules (spec evolvability guidelines; cross-checked with ndn-cxx
 * Data::wireDecode and NDNts @ndn/packet):
 *  - Name comes first (it may have zero components); nothing may precede it:
 *    DMSC_EORDER if a Name follows, DMSC_EMISSING if there is none.
 *  - Every known element is critical: out of order -> DMSC_EORDER, repeated
 *    -> DMSC_EDUP. SignatureInfo and SignatureValue are required
 *    (DMSC_EMISSING). Unknown critical elements -> DMSC_ECRITICAL, unknown
 *    non-critical ones are ignored (anywhere after Name, also inside
 *    MetaInfo; before SignatureValue they are part of the signed portion).
 *  - ContentType and FreshnessPeriod are NonNegativeIntegers (DMSC_ENNI);
 *    FinalBlockId holds exactly one NameComponent (DMSC_EVALUE otherwise).
 *  - SignatureValue may be empty (ndn-cxx and NDNts write that for unsigned
 *    placeholders); whether that verifies is the verifier's business.
 */
#ifndef DMSC_NDN_DATA_H
#define DMSC_NDN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sha256.h"
#include "ndn/name.h"
#include "ndn/siginfo.h"
#include "ndn/signer.h"
#include "ndn/tlv.h"

/* ContentType values (spec "ContentType" and the NDN TLV-TYPE wiki). */
enum {
    DMSC_CONTENT_BLOB = 0,
    DMSC_CONTENT_LINK = 1,
    DMSC_CONTENT_KEY = 2,
    DMSC_CONTENT_NACK = 3,
};

typedef struct {
    dmsc_name_t name;
    bool has_meta_info; /* a MetaInfo element was present (possibly empty) */
    bool has_content_type;
    bool has_freshness;
    bool has_final_block;
    bool has_content;
    uint64_t content_type;   /* DMSC_CONTENT_BLOB when absent */
    uint64_t freshness;      /* FreshnessPeriod, ms; 0 when absent */
    dmsc_comp_t final_block; /* FinalBlockId's NameComponent (type, len, value used) */
    dmsc_slice_t content;    /* Content TLV-VALUE */
    dmsc_siginfo_t sig_info;
    dmsc_slice_t sig_value; /* SignatureValue TLV-VALUE */

    /* ---- set by dmsc_data_decode() ---- */
    dmsc_slice_t signed_portion; /* Name through the end of SignatureInfo (and any
                                    unknown element before SignatureValue) */
    dmsc_slice_t wire;           /* the whole Data TLV: what the implicit digest covers */
} dmsc_data_t;

/* Defaults for building: empty name, no MetaInfo field, no Content,
 * sig_info from dmsc_siginfo_init(), empty sig_value/signed_portion/wire. */
void dmsc_data_init(dmsc_data_t *d);

/* Decode one Data occupying exactly wire[0 .. len). Zero-copy: every slice
 * and the name point into wire, which must outlive *d. No allocation.
 * max_size is the ceiling for this path (DMSC_TLV_DGRAM_MAX on datagram
 * faces). On error *d is unspecified.
 * Returns 0 or:
 *   DMSC_ETOOBIG     len > max_size
 *   DMSC_ETRUNC, DMSC_EVARNUM   malformed TLV framing at any level
 *   DMSC_ETYPE       outer TLV-TYPE is not Data
 *   DMSC_ETRAILING   bytes after the Data element
 *   DMSC_EMISSING    no Name, SignatureInfo or SignatureValue
 *   DMSC_EORDER, DMSC_EDUP, DMSC_ECRITICAL   (see the rules above)
 *   DMSC_ENNI        bad ContentType or FreshnessPeriod
 *   DMSC_EVALUE      FinalBlockId not exactly one component
 *   DMSC_ECOMPTYPE, DMSC_ENAMELEN, DMSC_ENAMECOMPS   bad Name or FinalBlockId
 *   and the dmsc_siginfo_decode() codes for SignatureInfo. */
int dmsc_data_decode(dmsc_data_t *d, const uint8_t *wire, size_t len, size_t max_size);

/* Encode *d into buf[0 .. cap); the packet is returned in *out (it need not
 * end at buf + cap). Input slices must not overlap buf. MetaInfo is written
 * when has_meta_info or any of its fields is present; Content when
 * has_content (even if empty).
 * signer != NULL: SignatureInfo is encoded from d->sig_info's optional
 *   fields (e.g. a certificate's ValidityPeriod) with SignatureType and
 *   KeyLocator from the signer; the signer signs Name..SignatureInfo as
 *   written; d->sig_value is ignored.
 * signer == NULL: d->sig_info (verbatim from sig_info.wire when set) and
 *   d->sig_value are written as they are (a signature computed elsewhere).
 *   Name and Content are copied, MetaInfo is re-encoded from its fields
 *   (canonical NNIs, unknown sub-elements dropped): to forward a received
 *   Data unchanged, send d->wire rather than re-encoding it.
 * Returns 0, DMSC_ENOBUFS, DMSC_EINVAL (signer->max_sig_len above
 * DMSC_SIG_MAX_LEN or overrun; bad sig_info), or what the signer returns. */
int dmsc_data_encode(const dmsc_data_t *d, const dmsc_signer_t *signer, uint8_t *buf, size_t cap,
                     dmsc_slice_t *out);

/* Octets dmsc_data_encode(d, signer, buf, cap) writes after the Content
 * (SignatureInfo and SignatureValue), or 0 on error. A producer that builds
 * the Content TLV-VALUE in place, ending at buf + cap - this, with
 * d->content pointing there, saves the copy of the Content: the encoder
 * leaves octets already where they belong. */
size_t dmsc_data_content_tail(const dmsc_data_t *d, const dmsc_signer_t *signer);

/* Verify the signature of a decoded Data over signed_portion.
 * Returns 0, DMSC_EINVAL (d was not decoded: no signed_portion),
 * DMSC_ESIGTYPE (sig_info.type differs from v->sig_type), or what v->verify
 * returns (DMSC_ESIG when the signature is wrong). */
int dmsc_data_verify(const dmsc_data_t *d, const dmsc_verifier_t *v);

/* Implicit digest: SHA-256 of the whole Data TLV (d->wire). */
void dmsc_data_implicit_digest(const dmsc_data_t *d, uint8_t out[DMSC_SHA256_LEN]);

/* Full name: d->name plus its ImplicitSha256DigestComponent, into nb.
 * Returns 0, DMSC_EINVAL (no wire), DMSC_ENAMELEN or DMSC_ENAMECOMPS. */
int dmsc_data_full_name(const dmsc_data_t *d, dmsc_namebuf_t *nb);

#endif
