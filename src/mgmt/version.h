#ifndef DMSC_MGMT_VERSION_H
#define DMSC_MGMT_VERSION_H
/* Version string of this build, e.g. "0.1.0". */
const char *dmsc_version(void);
#endif
