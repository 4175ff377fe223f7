// What the module host needs of posix_spawn beyond the Glibc Swift module: glibc (2.34)
// declares posix_spawn_file_actions_addclosefrom_np only under _GNU_SOURCE, which changes
// other system headers' definitions for any module that imports this one beside another C
// module; so it is declared here as glibc declares it, without _GNU_SOURCE.
#include <spawn.h>

extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/// Makes a spawned child close every descriptor from `from` up, whatever the parent left
/// inheritable; returns 0 on success.
static inline int cds_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
