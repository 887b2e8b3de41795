#include "base/err.h"

const char *dmsc_strerror(int err)
{
    switch (err) {
    case DMSC_OK:
        return "success";
#define DMSC__ERR_STR(name, val, msg)                                                              \
    case DMSC_##name:                                                                              \
        return msg;
        DMSC_ERRNO_MAP(DMSC__ERR_STR)
#undef DMSC__ERR_STR
    }
    return "unknown error";
}

const char *dmsc_errname(int err)
{
    switch (err) {
    case DMSC_OK:
        return "OK";
#define DMSC__ERR_NAME(name, val, msg)                                                             \
    case DMSC_##name:                                                                              \
        return #name;
        DMSC_ERRNO_MAP(DMSC__ERR_NAME)
#undef DMSC__ERR_NAME
    }
    return "EUNKNOWN";
}
