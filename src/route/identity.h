/*
 * Node identity in the state directory: the node's Ed25519 key (with its
 * name) and the last LSA sequence number reserved. Used by the daemon at
 * start; the routing core itself never touches files.
 *
 *   <dir>/node.key   key file (sec/keyfile.h), key named <node>/KEY/<keyid>,
 *                    keyid = the first 8 octets of the key's KeyDigest
 *   <dir>/route.seq  one decimal number and a newline
 *
 * Errors: 0 or a negative DMSC_E* code: DMSC_EIO (a file or directory
 * operation failed; errno says why), DMSC_EINVAL (bad argument or URI),
 * DMSC_EKEY (node.key is not an Ed25519 private key, or route.seq is
 * garbled), and the key and key-file errors of sec/.
 */
#ifndef DMSC_ROUTE_IDENTITY_H
#define DMSC_ROUTE_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "ndn/name.h"
#include "sec/key.h"

#define DMSC_IDENTITY_KEY_FILE "node.key"
#define DMSC_IDENTITY_SEQ_FILE "route.seq"
#define DMSC_IDENTITY_DOMAIN_DEFAULT "/dmsc"

/* Load the node key from <dir>/node.key, or create it on first start (dir
 * is created with mode 0700 if missing).
 *  node_uri: the configured node name (NDN URI), or NULL: then the name
 *    stored with the key, or on first start /<domain>/node/<id>, id being
 *    16 hex digits of the KeyDigest (stable for the key).
 *  domain: NDN URI of the domain prefix; NULL = DMSC_IDENTITY_DOMAIN_DEFAULT.
 * If the configured name differs from the stored one, the key is renamed
 * and saved. On success *key (free with dmsc_key_free) is named
 * <node>/KEY/<keyid>, *name holds the node name and *created (may be NULL)
 * says whether the key was generated now. */
int dmsc_identity_load(const char *dir, const char *node_uri, const char *domain, dmsc_key_t **key,
                       dmsc_namebuf_t *name, bool *created);

/* Last reserved LSA sequence number: *seq = 0 if the file does not exist. */
int dmsc_identity_seq_load(const char *dir, uint64_t *seq);
/* Write it atomically (temporary file, fsync, rename). */
int dmsc_identity_seq_save(const char *dir, uint64_t seq);

#endif
