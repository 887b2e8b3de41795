/*
 * NFD management commands as a client sends them (sans I/O):
 *   /<mgmt-prefix>/<module>/<verb>/<ControlParameters>
 * signed as a v0.3 signed Interest (NDN packet spec "Signed Interest":
 * InterestSignatureInfo with SignatureNonce and SignatureTime, the
 * ParametersSha256DigestComponent last) or in the legacy form with four
 * trailing components <timestamp>/<nonce>/<SignatureInfo>/<SignatureValue>
 * (ndn-cxx before 0.8). dmscd and NFD accept both. The ControlParameters
 * encoding and the ControlResponse decoder are mgmt/nfd_tlv.h's.
 */
#ifndef DMSC_CLIENT_COMMAND_H
#define DMSC_CLIENT_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgmt/nfd_tlv.h"
#include "ndn/interest.h"
#include "ndn/name.h"
#include "ndn/signer.h"

typedef struct {
    const dmsc_name_t *prefix; /* e.g. /localhost/nfd */
    const char *module;        /* "rib" */
    const char *verb;          /* "register" */
    const dmsc_nfd_cp_t *cp;
    const dmsc_signer_t *signer; /* DigestSha256 when NULL */
    bool legacy;                 /* four-component signed form */
    uint64_t now_ms;             /* SignatureTime / legacy timestamp (Unix ms) */
    uint8_t sig_nonce[8];        /* SignatureNonce / legacy nonce component */
    uint32_t nonce;              /* Interest Nonce */
    uint32_t lifetime_ms;        /* 0: 4000 */
} dmsc_command_t;

/* Encode the command Interest into buf[0 .. cap); *out gets the packet.
 * Returns 0, DMSC_ENOBUFS, DMSC_ENAMELEN, DMSC_ENAMECOMPS, DMSC_EINVAL or
 * what the signer returns. */
int dmsc_command_encode(const dmsc_command_t *cmd, uint8_t *buf, size_t cap, dmsc_slice_t *out);

/* Decode the ControlResponse in a reply's Content: *code and text (NUL-
 * terminated, truncated to cap). Returns 0 or a dmsc_nfd_cr_decode code. */
int dmsc_command_response(const uint8_t *content, size_t n, uint32_t *code, char *text, size_t cap);

#endif
