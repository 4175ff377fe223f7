#ifndef CDS_CJSONC_SHIM_H
#define CDS_CJSONC_SHIM_H

/* The one C boundary of the project: json-c, as installed by Debian's libjson-c-dev.
 * Only the CDSJSON target imports this module. */
#include <json-c/json.h>
#include <stdio.h>

/* Swift 6 refuses glibc's mutable `stdout`/`stderr` globals; expose them through getters. */
static inline FILE *cds_stdout(void) { return stdout; }
static inline FILE *cds_stderr(void) { return stderr; }

#endif
