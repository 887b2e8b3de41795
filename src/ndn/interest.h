/*
 * NDN Interest (Packet Format v0.3 "Interest Packet", "Signed Interest"):
 * sans-I/O, single-pass zero-copy decoder and backward encoder.
 *
 *   Interest = 0x05 TLV-LENGTH
 *                Name [CanBePrefix] [MustBeFresh] [ForwardingHint] [Nonce]
 *                [InterestLifetime] [HopLimit]
 *                [ApplicationParameters [InterestSignatureInfo InterestSignatureValue]]
 *
 * Decoding rules (spec evolvability guidelines; cross-checked with ndn-cxx
 * Interest::wireDecode and NDNts @ndn/packet):
 *  - Name comes first and has at least one component. Nothing may precede
 *    it: DMSC_EORDER if a Name follows, DMSC_EMISSING if there is none.
 *  - Known elements in grammar order, each at most once. A repeated element
 *    is DMSC_EDUP; a critical element after a later one is DMSC_EORDER; a
 *    non-critical one (HopLimit 0x22, ApplicationParameters 0x24,
 *    InterestSignatureInfo 0x2c, InterestSignatureValue 0x2e) out of order
 *    is ignored, as the spec, ndn-cxx and NDNts all do.
 *  - Unknown elements: critical (TLV-TYPE <= 31 or odd) -> DMSC_ECRITICAL,
 *    otherwise ignored (they stay inside the parameters digest and, between
 *    ApplicationParameters and InterestSignatureValue, the signed portion).
 *  - CanBePrefix and MustBeFresh are empty, Nonce is 4 octets, HopLimit 1
 *    octet (else DMSC_EVALUE); InterestLifetime is a NonNegativeInteger
 *    (else DMSC_ENNI).
 *  - ForwardingHint holds one or more Names (v0.3); the older Delegation
 *    form (0x1f { Preference, Name }) that ndn-cxx still decodes is accepted
 *    too. Every Name in it is validated.
 *  - ParametersSha256DigestComponent: the Name has exactly one iff
 *    ApplicationParameters is present, and its value is the SHA-256 of the
 *    bytes from ApplicationParameters to the end of the Interest; otherwise
 *    DMSC_EDIGEST. In a signed Interest it must be the last component.
 *  - InterestSignatureInfo and InterestSignatureValue come together and
 *    only after ApplicationParameters (else DMSC_EMISSING).
 */
#ifndef DMSC_NDN_INTEREST_H
#define DMSC_NDN_INTEREST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndn/name.h"
#include "ndn/siginfo.h"
#include "ndn/signer.h"
#include "ndn/tlv.h"

#define DMSC_INTEREST_LIFETIME_DEFAULT 4000 /* ms, when InterestLifetime is absent */

typedef struct {
    dmsc_name_t name;
    bool can_be_prefix;
    bool must_be_fresh;
    bool has_fwhint;
    bool has_nonce;
    bool has_lifetime;
    bool has_hop_limit;
    bool has_app_params;
    bool is_signed; /* InterestSignatureInfo + InterestSignatureValue present */
    uint8_t hop_limit;
    uint32_t nonce;    /* the 4 Nonce octets, read big-endian */
    uint64_t lifetime; /* ms; DMSC_INTEREST_LIFETIME_DEFAULT when !has_lifetime */
    /* ForwardingHint TLV-VALUE: a sequence of Name (or legacy Delegation)
     * elements; iterate with dmsc_fwhint_next(). fwhint_count = names in it. */
    dmsc_slice_t fwhint;
    uint32_t fwhint_count;
    dmsc_slice_t app_params; /* ApplicationParameters TLV-VALUE */
    dmsc_siginfo_t sig_info; /* when is_signed */
    dmsc_slice_t sig_value;  /* InterestSignatureValue TLV-VALUE, when is_signed */

    /* ---- set by dmsc_interest_decode() ---- */
    int params_digest_idx; /* index of the ParametersSha256DigestComponent, -1 if none */
    /* ApplicationParameters through the end of the Interest: what the
     * ParametersSha256DigestComponent covers. When non-empty and no signer is
     * given, dmsc_interest_encode() copies it (and the Name) verbatim instead
     * of encoding app_params/sig_info/sig_value, so a forwarder can rewrite
     * Nonce/HopLimit/lifetime without hashing again. Clear it (n = 0) after
     * changing the name, app_params or the signature of a decoded Interest. */
    dmsc_slice_t params_portion;
    /* Signed portion, when is_signed: [0] the Name TLV-VALUE up to (not
     * including) the ParametersSha256DigestComponent; [1] ApplicationParameters
     * up to (not including) InterestSignatureValue. */
    dmsc_slice_t signed_parts[2];
    dmsc_slice_t wire; /* the whole Interest TLV */
} dmsc_interest_t;

/* Defaults for building: empty name, no optional element, lifetime 4000 ms,
 * params_digest_idx -1, empty params_portion/wire. */
void dmsc_interest_init(dmsc_interest_t *i);

/* Decode one Interest occupying exactly wire[0 .. len). Zero-copy: every
 * slice and the name point into wire, which must outlive *i. No allocation.
 * max_size is the ceiling for this path (DMSC_TLV_DGRAM_MAX on datagram
 * faces). On error *i is unspecified.
 * Returns 0 or:
 *   DMSC_ETOOBIG     len > max_size
 *   DMSC_ETRUNC, DMSC_EVARNUM   malformed TLV framing at any level
 *   DMSC_ETYPE       outer TLV-TYPE is not Interest
 *   DMSC_ETRAILING   bytes after the Interest element
 *   DMSC_EMISSING    no Name; empty ForwardingHint; signature elements
 *                    without ApplicationParameters or without each other
 *   DMSC_EORDER, DMSC_EDUP, DMSC_ECRITICAL   (see the rules above)
 *   DMSC_EVALUE      Name with zero components; bad CanBePrefix, MustBeFresh,
 *                    Nonce or HopLimit length
 *   DMSC_ENNI        bad InterestLifetime
 *   DMSC_EDIGEST     ParametersSha256DigestComponent missing, repeated,
 *                    unexpected, misplaced (signed) or wrong
 *   DMSC_ECOMPTYPE, DMSC_ENAMELEN, DMSC_ENAMECOMPS   bad Name (also in
 *                    ForwardingHint or the KeyLocator)
 *   and the dmsc_siginfo_decode() codes for InterestSignatureInfo. */
int dmsc_interest_decode(dmsc_interest_t *i, const uint8_t *wire, size_t len, size_t max_size);

/* Encode *i into buf[0 .. cap). The packet is returned in *out; it need not
 * end at buf + cap (signing leaves unused room after it). Input slices must
 * not overlap buf.
 *
 * signer == NULL: unsigned encoding. If i->params_portion is non-empty it is
 *   copied verbatim with the name (see above). Otherwise, with
 *   has_app_params, ApplicationParameters (and, if is_signed, sig_info --
 *   verbatim from sig_info.wire when set -- and sig_value) are written, their
 *   SHA-256 is computed and the ParametersSha256DigestComponent replaces the
 *   one already in the name (e.g. a placeholder) or is appended to it.
 * signer != NULL: Signed Interest (spec "Construction of Signed Interest"):
 *   every ParametersSha256DigestComponent is removed from the name,
 *   ApplicationParameters is written (empty if !has_app_params),
 *   InterestSignatureInfo from i->sig_info's optional fields (nonce, time,
 *   seq_num, validity) with SignatureType and KeyLocator from the signer,
 *   the signer signs the name components + ApplicationParameters +
 *   InterestSignatureInfo, and the digest component is appended last.
 *   i->is_signed, i->sig_value and i->params_portion are ignored.
 * The Nonce is written only if has_nonce (this layer has no random source).
 * Returns 0 or:
 *   DMSC_ENOBUFS     cap too small
 *   DMSC_EINVAL      no name component; has_fwhint with an empty fwhint;
 *                    is_signed without app params (unsigned);
 *                    signer->max_sig_len > DMSC_SIG_MAX_LEN or the signer
 *                    overran it; bad sig_info (dmsc_siginfo_prepend)
 *   DMSC_EDIGEST     digest component in the name of an Interest without
 *                    ApplicationParameters; more than one (unsigned); not last
 *                    in a re-encoded signed Interest; missing with params_portion
 *   DMSC_ENAMELEN, DMSC_ENAMECOMPS   the name with its digest is too long
 *   or any code the signer returns. */
int dmsc_interest_encode(const dmsc_interest_t *i, const dmsc_signer_t *signer, uint8_t *buf,
                         size_t cap, dmsc_slice_t *out);

/* Verify the signature of a decoded signed Interest over signed_parts.
 * Returns 0, DMSC_EMISSING (not a signed Interest), DMSC_ESIGTYPE
 * (sig_info.type differs from v->sig_type), or what v->verify returns
 * (DMSC_ESIG when the signature is wrong). Replay checks (SignatureTime,
 * SignatureNonce, SignatureSeqNum) are the caller's, with sig_info. */
int dmsc_interest_verify(const dmsc_interest_t *i, const dmsc_verifier_t *v);

/* ---- ForwardingHint ---- */

typedef struct {
    dmsc_tlv_reader_t r;
} dmsc_fwhint_iter_t;

static inline void dmsc_fwhint_iter_init(dmsc_fwhint_iter_t *it, const dmsc_interest_t *i)
{
    static const uint8_t none[1];
    dmsc_tlv_reader_init(&it->r, i->fwhint.p ? i->fwhint.p : none, i->fwhint.n);
}

/* Next delegation name of a ForwardingHint that dmsc_interest_decode()
 * accepted (or that dmsc_fwhint_build() wrote). Returns 1 with *out set, 0 at
 * the end, or a negative DMSC_E* code on a malformed value. */
int dmsc_fwhint_next(dmsc_fwhint_iter_t *it, dmsc_name_t *out);

/* Write a ForwardingHint TLV-VALUE (the n Names, in order) at the end of
 * buf[0 .. cap), for dmsc_interest_t.fwhint. Returns 0, DMSC_EINVAL (n == 0)
 * or DMSC_ENOBUFS. */
int dmsc_fwhint_build(const dmsc_name_t *names, size_t n, uint8_t *buf, size_t cap,
                      dmsc_slice_t *out);

#endif
