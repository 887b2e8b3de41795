/*
 * Logging: one line per event on stderr, key=value, with module and level:
 *
 *   2025-01-02T03:04:05.678Z face level=warn face=260 drop=malformed err=ETRUNC
 *
 * The level is process-wide (a daemon setting, changed on SIGHUP).
 * Rate limiting for things a peer can trigger (malformed input) is the
 * caller's, with dmsc_ratelimit_t.
 *
 * Sans-I/O cores (ndn/, fw/, route/) do not log: they count and return
 * codes; the layers that own I/O (face/, mgmt/, daemon/) log.
 */
#ifndef DMSC_BASE_LOG_H
#define DMSC_BASE_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* Levels, in order: a message is printed when its level <= the current one. */
enum {
    DMSC_LOG_LEVEL_ERROR = 0,
    DMSC_LOG_LEVEL_WARN = 1,
    DMSC_LOG_LEVEL_INFO = 2,
    DMSC_LOG_LEVEL_DEBUG = 3,
    DMSC_LOG_LEVEL_TRACE = 4,
};

void dmsc_log_set_level(int level);
int dmsc_log_level(void);
static inline bool dmsc_log_enabled(int level)
{
    return level <= dmsc_log_level();
}
/* "error", "warn", "info", "debug", "trace"; "?" otherwise. */
const char *dmsc_log_level_str(int level);
/* Inverse of dmsc_log_level_str; -1 if unknown. */
int dmsc_log_level_parse(const char *s);

/* Print one line: "<time> <module> level=<level> <fmt...>". fmt should be
 * key=value pairs separated by spaces; values with spaces should be quoted
 * by the caller. A trailing newline is added; the line is written with one
 * write(2) so lines from several processes do not interleave. */
void dmsc_log(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DMSC_LOG(level, module, ...)                                                               \
    do {                                                                                           \
        if (dmsc_log_enabled(level)) dmsc_log(level, module, __VA_ARGS__);                         \
    } while (0)
#define DMSC_LOGE(module, ...) DMSC_LOG(DMSC_LOG_LEVEL_ERROR, module, __VA_ARGS__)
#define DMSC_LOGW(module, ...) DMSC_LOG(DMSC_LOG_LEVEL_WARN, module, __VA_ARGS__)
#define DMSC_LOGI(module, ...) DMSC_LOG(DMSC_LOG_LEVEL_INFO, module, __VA_ARGS__)
#define DMSC_LOGD(module, ...) DMSC_LOG(DMSC_LOG_LEVEL_DEBUG, module, __VA_ARGS__)

/* At most `burst` events per `window_ms`; the rest are counted as
 * suppressed. */
typedef struct {
    uint64_t window_ms;
    uint32_t burst;
    uint64_t start_ms;
    uint32_t n;
    uint64_t suppressed;
} dmsc_ratelimit_t;

static inline void dmsc_ratelimit_init(dmsc_ratelimit_t *rl, uint64_t window_ms, uint32_t burst)
{
    rl->window_ms = window_ms;
    rl->burst = burst;
    rl->start_ms = 0;
    rl->n = 0;
    rl->suppressed = 0;
}

/* true if the event may be logged now. *suppressed (may be NULL) receives
 * the number of events suppressed since the last allowed one (then reset),
 * so the caller can log "suppressed=N". */
bool dmsc_ratelimit_ok(dmsc_ratelimit_t *rl, uint64_t now_ms, uint64_t *suppressed);

#endif
