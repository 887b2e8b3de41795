/* Key files. Format in keyfile.h. */
#include "sec/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "sec/key_int.h"

int dmsc_keyfile_encode(const dmsc_key_t *k, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t body[DMSC_KEY_PKCS8_IN_MAX];
    size_t blen = 0;
    int fmt, rc;
    if (!k || !out || !len) return DMSC_EINVAL;
    if (k->sig_type == DMSC_SIG_HMAC_SHA256) {
        fmt = DMSC_KEYFILE_RAW;
        rc = dmsc_key_export_raw_private(k, body, sizeof body, &blen);
    } else if (k->has_priv) {
        fmt = DMSC_KEYFILE_PKCS8;
        rc = dmsc_key_export_pkcs8(k, body, sizeof body, &blen);
    } else {
        fmt = DMSC_KEYFILE_SPKI;
        rc = dmsc_key_export_spki(k, body, sizeof body, &blen);
    }
    if (rc) goto out;

    uint8_t nhdr[18];
    size_t nh = 0, nlen = 0;
    const dmsc_name_t *name = dmsc_key_name(k);
    if (name) {
        nh = dmsc_tlv_write_hdr(nhdr, DMSC_TT_NAME, name->len);
        nlen = nh + name->len;
    }
    size_t total = DMSC_KEYFILE_HDR_LEN + nlen + blen;
    if (total > cap) {
        rc = DMSC_ENOBUFS;
        goto out;
    }
    uint8_t *p = out;
    memcpy(p, DMSC_KEYFILE_MAGIC, 4);
    p[4] = DMSC_KEYFILE_VERSION;
    p[5] = (uint8_t)k->sig_type;
    p[6] = (uint8_t)fmt;
    p[7] = 0;
    p[8] = (uint8_t)(nlen >> 8);
    p[9] = (uint8_t)nlen;
    p[10] = (uint8_t)(blen >> 8);
    p[11] = (uint8_t)blen;
    p += DMSC_KEYFILE_HDR_LEN;
    if (name) {
        memcpy(p, nhdr, nh);
        if (name->len) memcpy(p + nh, name->value, name->len);
        p += nlen;
    }
    memcpy(p, body, blen);
    *len = total;
out:
    sodium_memzero(body, sizeof body);
    return rc;
}

int dmsc_keyfile_decode(dmsc_key_t **out, const uint8_t *p, size_t n)
{
    if (!out || (!p && n)) return DMSC_EINVAL;
    *out = NULL;
    if (n < DMSC_KEYFILE_HDR_LEN || memcmp(p, DMSC_KEYFILE_MAGIC, 4) != 0) return DMSC_EKEY;
    if (p[4] != DMSC_KEYFILE_VERSION) return p[4] > DMSC_KEYFILE_VERSION ? DMSC_ENOTSUP : DMSC_EKEY;
    uint64_t sig_type = p[5];
    int fmt = p[6];
    size_t nlen = (size_t)p[8] << 8 | p[9], blen = (size_t)p[10] << 8 | p[11];
    if (p[7] != 0 || blen == 0 || n != DMSC_KEYFILE_HDR_LEN + nlen + blen) return DMSC_EKEY;
    const uint8_t *name = p + DMSC_KEYFILE_HDR_LEN, *body = name + nlen;

    dmsc_name_t idx;
    if (nlen) {
        dmsc_tlv_t t;
        if (dmsc_tlv_decode_one(name, nlen, &t) || t.type != DMSC_TT_NAME) return DMSC_EKEY;
        int rc = dmsc_name_from_value(&idx, t.value, t.len);
        if (rc) return rc;
    }

    dmsc_key_t *k = NULL;
    int rc;
    switch (fmt) {
    case DMSC_KEYFILE_PKCS8:
        rc = dmsc_key_import_pkcs8(&k, body, blen);
        break;
    case DMSC_KEYFILE_RAW:
        rc = dmsc_key_import_raw_private(&k, sig_type, body, blen);
        break;
    case DMSC_KEYFILE_SPKI:
        rc = dmsc_key_import_spki(&k, body, blen);
        break;
    default:
        return DMSC_EKEY;
    }
    if (rc) return rc;
    if (k->sig_type != sig_type)
        rc = DMSC_EKEY;
    else if (nlen)
        rc = dmsc_key_set_name(k, &idx);
    if (rc) {
        dmsc_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int dmsc_keyfile_save(const dmsc_key_t *k, const char *path)
{
    static const char suffix[] = ".tmpXXXXXX";
    uint8_t buf[DMSC_KEYFILE_MAX];
    size_t len;
    if (!path) return DMSC_EINVAL;
    int rc = dmsc_keyfile_encode(k, buf, sizeof buf, &len);
    if (rc) goto fail_encode;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof suffix);
    if (!tmp) {
        rc = DMSC_ENOMEM;
        goto fail_encode;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, suffix, sizeof suffix);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        rc = DMSC_EIO;
        goto fail_open;
    }
    if (fchmod(fd, S_IRUSR | S_IWUSR) || write_all(fd, buf, len) || fsync(fd)) {
        int e = errno;
        close(fd);
        errno = e;
        rc = DMSC_EIO;
        goto fail_write;
    }
    if (close(fd) || rename(tmp, path)) {
        rc = DMSC_EIO;
        goto fail_write;
    }
    free(tmp);
    sodium_memzero(buf, len);
    return 0;

fail_write : {
    int e = errno;
    unlink(tmp);
    errno = e;
}
fail_open:
    free(tmp);
fail_encode:
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int dmsc_keyfile_load(dmsc_key_t **out, const char *path)
{
    uint8_t buf[DMSC_KEYFILE_MAX];
    struct stat st;
    if (!out || !path) return DMSC_EINVAL;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return DMSC_EIO;
    int rc = 0;
    if (fstat(fd, &st)) {
        rc = DMSC_EIO;
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < DMSC_KEYFILE_HDR_LEN ||
        st.st_size > (off_t)sizeof buf) {
        rc = DMSC_EKEY;
        goto done;
    }
    size_t n = 0;
    for (;;) { /* read to EOF: the size may have changed since fstat */
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = DMSC_EIO;
            goto done;
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n == sizeof buf) { /* full: anything more is too big */
            uint8_t extra;
            if (read(fd, &extra, 1) != 0) {
                rc = DMSC_EKEY;
                goto done;
            }
            break;
        }
    }
    rc = dmsc_keyfile_decode(out, buf, n);
done : {
    int e = errno;
    close(fd);
    errno = e;
}
    sodium_memzero(buf, sizeof buf);
    return rc;
}
