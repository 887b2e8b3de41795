#include "mgmt/version.h"

#ifndef DMSC_VERSION
#define DMSC_VERSION "0.1.0"
#endif

const char *dmsc_version(void)
{
    return DMSC_VERSION;
}
