/* dmsc error codes: every function that can fail returns 0 or a negative DMSC_E* code. */
#ifndef DMSC_BASE_ERR_H
#define DMSC_BASE_ERR_H

/* X-macro: name, value, message. Keep values stable: they appear in logs and tests. */
#define DMSC_ERRNO_MAP(X)                                                                          \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(ENOBUFS, -3, "output buffer too small")                                                      \
    X(ENOTSUP, -4, "not supported")                                                                \
    X(ETRUNC, -10, "truncated input: TLV extends past the end of the buffer")                      \
    X(EVARNUM, -11, "malformed VAR-NUMBER")                                                        \
    X(ENNI, -12, "malformed NonNegativeInteger (length not 1, 2, 4 or 8)")                         \
    X(ETYPE, -13, "unexpected TLV-TYPE")                                                           \
    X(ECRITICAL, -14, "unrecognized critical TLV element")                                         \
    X(EORDER, -15, "TLV elements out of order")                                                    \
    X(EDUP, -16, "duplicate TLV element")                                                          \
    X(EMISSING, -17, "required TLV element missing")                                               \
    X(ETOOBIG, -18, "packet exceeds size limit")                                                   \
    X(ETRAILING, -19, "trailing bytes after the top-level TLV")                                    \
    X(EVALUE, -20, "TLV-VALUE out of range or malformed")                                          \
    X(ENAMELEN, -30, "name exceeds maximum length")                                                \
    X(ENAMECOMPS, -31, "name has too many components")                                             \
    X(ECOMPTYPE, -32, "name component has an invalid TLV-TYPE")                                    \
    X(EURI, -33, "malformed NDN URI")                                                              \
    X(EDIGEST, -40, "ParametersSha256DigestComponent missing, misplaced or wrong")                 \
    X(ESIGTYPE, -41, "unknown or unsupported signature type")                                      \
    X(ESIG, -42, "signature verification failed")                                                  \
    X(EKEY, -43, "bad or unsupported key")                                                         \
    X(ELPFRAG, -50, "invalid NDNLPv2 fragmentation fields")                                        \
    X(ELPHDR, -51, "invalid NDNLPv2 header field")                                                 \
    X(EIO, -5, "I/O error (errno has the cause)")

enum {
    DMSC_OK = 0,
#define DMSC__ERR_ENUM(name, val, msg) DMSC_##name = (val),
    DMSC_ERRNO_MAP(DMSC__ERR_ENUM)
#undef DMSC__ERR_ENUM
};

/* Human-readable text for a DMSC_E* code (or "unknown error"). Never NULL. */
const char *dmsc_strerror(int err);
/* Short symbolic name, e.g. "ETRUNC". Never NULL. */
const char *dmsc_errname(int err);

#endif
