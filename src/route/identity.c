/* Node identity in the state directory: see identity.h. */
#include "route/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "sec/keyfile.h"

static int path_join(char *out, size_t cap, const char *dir, const char *file)
{
    int n = snprintf(out, cap, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= cap ? DMSC_EINVAL : 0;
}

static int ensure_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, DMSC_EIO);
    if (errno != ENOENT) return DMSC_EIO;
    return mkdir(dir, 0700) == 0 ? 0 : DMSC_EIO;
}

/* The node name of a key named <node>/KEY/<keyid>. */
static int node_of_key(const dmsc_key_t *k, dmsc_namebuf_t *name)
{
    const dmsc_name_t *kn = dmsc_key_name(k);
    if (!kn || kn->ncomps < 3) return DMSC_EKEY;
    dmsc_comp_t c = dmsc_name_comp(kn, kn->ncomps - 2);
    if (c.type != DMSC_TT_GENERIC || c.len != 3 || memcmp(c.value, "KEY", 3) != 0) return DMSC_EKEY;
    dmsc_name_t p;
    dmsc_name_get_prefix(kn, kn->ncomps - 2, &p);
    return dmsc_namebuf_copy(name, &p);
}

static int derive_name(const dmsc_key_t *k, const char *domain, dmsc_namebuf_t *name)
{
    int rc = dmsc_namebuf_from_uri(name, domain ? domain : DMSC_IDENTITY_DOMAIN_DEFAULT);
    if (rc) return DMSC_EINVAL;
    char id[17];
    const uint8_t *d = dmsc_key_digest(k);
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", d[i]);
    if ((rc = dmsc_namebuf_append(name, DMSC_TT_GENERIC, "node", 4))) return rc;
    return dmsc_namebuf_append(name, DMSC_TT_GENERIC, id, 16);
}

int dmsc_identity_load(const char *dir, const char *node_uri, const char *domain, dmsc_key_t **key,
                       dmsc_namebuf_t *name, bool *created)
{
    char path[4096];
    dmsc_key_t *k = NULL;
    bool fresh = false, save = false;
    int rc;
    *key = NULL;
    if (created) *created = false;
    if (!dir || !name) return DMSC_EINVAL;
    dmsc_namebuf_t want;
    if (node_uri && (dmsc_namebuf_from_uri(&want, node_uri) || want.name.ncomps == 0))
        return DMSC_EINVAL;
    if ((rc = path_join(path, sizeof path, dir, DMSC_IDENTITY_KEY_FILE))) return rc;
    if ((rc = ensure_dir(dir))) return rc;

    if (access(path, F_OK) == 0) {
        if ((rc = dmsc_keyfile_load(&k, path))) return rc;
        if (dmsc_key_sig_type(k) != DMSC_SIG_ED25519 || !dmsc_key_has_private(k)) {
            rc = DMSC_EKEY;
            goto fail;
        }
    } else if (errno == ENOENT) {
        if ((rc = dmsc_key_generate(&k, DMSC_SIG_ED25519))) return rc;
        fresh = save = true;
    } else {
        return DMSC_EIO;
    }

    dmsc_namebuf_init(name);
    if (node_uri) {
        if ((rc = dmsc_namebuf_copy(name, &want.name))) goto fail;
    } else if (fresh || node_of_key(k, name) != 0) {
        if ((rc = derive_name(k, domain, name))) goto fail;
    }
    dmsc_namebuf_t cur;
    dmsc_namebuf_init(&cur);
    if (fresh || node_of_key(k, &cur) != 0 || !dmsc_name_equal(&cur.name, &name->name)) {
        if ((rc = dmsc_key_set_identity(k, &name->name, NULL, 0))) goto fail;
        save = true;
    }
    if (save && (rc = dmsc_keyfile_save(k, path))) goto fail;
    *key = k;
    if (created) *created = fresh;
    return 0;
fail:
    dmsc_key_free(k);
    return rc;
}

int dmsc_identity_seq_load(const char *dir, uint64_t *seq)
{
    char path[4096], buf[32];
    *seq = 0;
    int rc = path_join(path, sizeof path, dir, DMSC_IDENTITY_SEQ_FILE);
    if (rc) return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : DMSC_EIO;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return DMSC_EIO;
    buf[n] = 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || end == buf || (*end && *end != '\n')) return DMSC_EKEY;
    *seq = v;
    return 0;
}

int dmsc_identity_seq_save(const char *dir, uint64_t seq)
{
    char path[4096], tmp[4096 + 8], buf[32];
    int rc = path_join(path, sizeof path, dir, DMSC_IDENTITY_SEQ_FILE);
    if (rc) return rc;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int len = snprintf(buf, sizeof buf, "%" PRIu64 "\n", seq);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return DMSC_EIO;
    bool ok = write(fd, buf, (size_t)len) == len && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0) ok = false;
    if (!ok || rename(tmp, path) != 0) {
        if (ok) saved = errno;
        unlink(tmp);
        errno = saved;
        return DMSC_EIO;
    }
    return 0;
}
