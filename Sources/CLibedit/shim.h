#ifndef CDS_CLIBEDIT_SHIM_H
#define CDS_CLIBEDIT_SHIM_H

/* libedit (BSD licensed, Debian libedit-dev) through its readline-compatible API.
 * Only the CDSRepl target imports this module. Swift 6 refuses mutable C globals, so
 * the few readline variables the REPL needs are reached through these functions. */
#include <stdio.h>
#include <stdlib.h>
#include <editline/readline.h>

typedef char **(*cds_completion_function)(const char *, int, int);

static inline void cds_rl_set_completion(cds_completion_function f) {
    rl_attempted_completion_function = (rl_completion_func_t *)f;
}
static inline const char *cds_rl_line_buffer(void) { return rl_line_buffer; }
static inline int cds_rl_point(void) { return rl_point; }
static inline void cds_rl_set_attempted_over(int over) { rl_attempted_completion_over = over; }
static inline void cds_rl_set_append_character(int c) { rl_completion_append_character = c; }
static inline void cds_rl_set_readline_name(const char *name) { rl_readline_name = name; }

#endif
