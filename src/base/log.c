#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int g_level = DMSC_LOG_LEVEL_INFO; /* process-wide setting, like the stderr it writes to */

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void dmsc_log_set_level(int level)
{
    if (level < DMSC_LOG_LEVEL_ERROR) level = DMSC_LOG_LEVEL_ERROR;
    if (level > DMSC_LOG_LEVEL_TRACE) level = DMSC_LOG_LEVEL_TRACE;
    g_level = level;
}

int dmsc_log_level(void)
{
    return g_level;
}

const char *dmsc_log_level_str(int level)
{
    if (level < 0 || level > DMSC_LOG_LEVEL_TRACE) return "?";
    return level_names[level];
}

int dmsc_log_level_parse(const char *s)
{
    for (int i = 0; i <= DMSC_LOG_LEVEL_TRACE; i++) {
        const char *n = level_names[i];
        const char *p = s;
        while (*n && (*p | 0x20) == *n) {
            n++;
            p++;
        }
        if (!*n && !*p) return i;
    }
    if (s[0] == 'w' && s[1] == 'a' && s[2] == 'r' && s[3] == 'n' && s[4] == 'i' && s[5] == 'n' &&
        s[6] == 'g' && !s[7])
        return DMSC_LOG_LEVEL_WARN;
    return -1;
}

void dmsc_log(int level, const char *module, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s level=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, module, dmsc_log_level_str(level));
    if (n < 0) return;
    if ((size_t)n < sizeof line) {
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0) n += m;
    }
    if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2; /* truncated */
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

bool dmsc_ratelimit_ok(dmsc_ratelimit_t *rl, uint64_t now_ms, uint64_t *suppressed)
{
    if (now_ms - rl->start_ms >= rl->window_ms || now_ms < rl->start_ms) {
        rl->start_ms = now_ms;
        rl->n = 0;
    }
    if (rl->n >= rl->burst) {
        rl->suppressed++;
        return false;
    }
    rl->n++;
    if (suppressed) *suppressed = rl->suppressed;
    rl->suppressed = 0;
    return true;
}
