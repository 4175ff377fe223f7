// glibc's malloc tuning (malloc.h), which the Glibc Swift module does not export.
#include <malloc.h>

/// Limits glibc to `count` malloc arenas; returns 1 on success.
static inline int cds_limit_malloc_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}
