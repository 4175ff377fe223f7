// Linux and glibc tuning knobs the Glibc Swift module does not export (they need
// _GNU_SOURCE or malloc.h). Used by the cds executable only.
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>

/// Limits glibc to `count` malloc arenas; returns 1 on success.
static inline int cds_limit_malloc_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}

/// Asks for a pipe buffer of `bytes` on `fd` if it is a pipe; returns the new size, or -1
/// (not a pipe, or above /proc/sys/fs/pipe-max-size).
static inline int cds_grow_pipe(int fd, int bytes) {
    return fcntl(fd, F_SETPIPE_SZ, bytes);
}
