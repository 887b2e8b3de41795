#include <stdlib.h>

#include "base/err.h"
#include "face/face_int.h"

/* Open addressing, linear probing, backward-shift deletion. Key 0 marks an
 * empty slot. Load factor kept <= 1/2. */

static inline uint32_t slot_of(uint64_t key, uint32_t mask)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (uint32_t)key & mask;
}

void dmsc__map_init(dmsc__map_t *m)
{
    m->keys = NULL;
    m->vals = NULL;
    m->cap = 0;
    m->n = 0;
}

void dmsc__map_free(dmsc__map_t *m)
{
    free(m->keys);
    free(m->vals);
    dmsc__map_init(m);
}

void *dmsc__map_get(const dmsc__map_t *m, uint64_t key)
{
    if (m->cap == 0) return NULL;
    uint32_t mask = m->cap - 1;
    for (uint32_t i = slot_of(key, mask);; i = (i + 1) & mask) {
        if (m->keys[i] == key) return m->vals[i];
        if (m->keys[i] == 0) return NULL;
    }
}

static void insert_raw(uint64_t *keys, void **vals, uint32_t mask, uint64_t key, void *val)
{
    uint32_t i = slot_of(key, mask);
    while (keys[i] != 0)
        i = (i + 1) & mask;
    keys[i] = key;
    vals[i] = val;
}

static int grow(dmsc__map_t *m)
{
    uint32_t ncap = m->cap ? m->cap * 2 : 16;
    if (ncap == 0) return DMSC_ENOMEM;
    uint64_t *keys = calloc(ncap, sizeof *keys);
    void **vals = calloc(ncap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return DMSC_ENOMEM;
    }
    for (uint32_t i = 0; i < m->cap; i++)
        if (m->keys[i]) insert_raw(keys, vals, ncap - 1, m->keys[i], m->vals[i]);
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
    return 0;
}

int dmsc__map_put(dmsc__map_t *m, uint64_t key, void *val)
{
    if (m->cap) {
        uint32_t mask = m->cap - 1;
        for (uint32_t i = slot_of(key, mask); m->keys[i]; i = (i + 1) & mask) {
            if (m->keys[i] == key) {
                m->vals[i] = val;
                return 0;
            }
        }
    }
    if ((m->n + 1) * 2 > m->cap) {
        int rc = grow(m);
        if (rc) return rc;
    }
    insert_raw(m->keys, m->vals, m->cap - 1, key, val);
    m->n++;
    return 0;
}

void dmsc__map_del(dmsc__map_t *m, uint64_t key)
{
    if (m->cap == 0) return;
    uint32_t mask = m->cap - 1;
    uint32_t i = slot_of(key, mask);
    while (m->keys[i] != key) {
        if (m->keys[i] == 0) return;
        i = (i + 1) & mask;
    }
    /* backward shift: move later entries of the cluster into the hole when
     * their home slot is not between the hole and themselves */
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->keys[j] == 0) break;
        uint32_t home = slot_of(m->keys[j], mask);
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->vals[i] = NULL;
    m->n--;
}

void *dmsc__map_next(const dmsc__map_t *m, uint32_t *i)
{
    while (*i < m->cap) {
        uint32_t k = (*i)++;
        if (m->keys[k]) return m->vals[k];
    }
    return NULL;
}
