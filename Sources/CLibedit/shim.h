#ifndef CDS_CLIBEDIT_SHIM_H
#define CDS_CLIBEDIT_SHIM_H

/* libedit (BSD licensed, Debian libedit-dev) through its readline-compatible API.
 * Only the CDSRepl target imports this module. Swift 6 refuses mutable C globals, so
 * the few readline variables the REPL needs are reached through these functions. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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


/* Ctrl-C at the prompt: a SIGINT handler that only records the interrupt. Installed
 * without SA_RESTART, so the pending read() in readline fails with EINTR and readline
 * returns; the REPL then sees the flag and discards the line instead of ending.
 * libedit (rl_catch_signals) restores the terminal and forwards the signal to this handler. */
static volatile sig_atomic_t cds_interrupted_flag = 0;
static inline void cds_sigint_record(int signo) { (void)signo; cds_interrupted_flag = 1; }
static inline int cds_install_sigint(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = cds_sigint_record;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    return sigaction(SIGINT, &action, NULL);
}
/* Whether SIGINT arrived since the last call; clears the record. */
static inline int cds_take_interrupt(void) {
    int was = cds_interrupted_flag;
    cds_interrupted_flag = 0;
    return was;
}
/* The character type of the environment's locale (LC_ALL, LC_CTYPE, LANG), so that libedit
 * reads and echoes the UTF-8 typed at a terminal (its wide-character mode follows the
 * locale's codeset, read when the editor starts). When the environment names no locale
 * (C or POSIX), C.UTF-8. Only LC_CTYPE: numbers keep the C locale's decimal point, which
 * JSON needs. */
static inline void cds_adopt_ctype_locale(void) {
    const char *name = setlocale(LC_CTYPE, "");
    if (name == NULL || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0) setlocale(LC_CTYPE, "C.UTF-8");
}

/* The terminal's size in columns and rows (ioctl is variadic, so Swift cannot call it).
 * Returns 0 on success. */
static inline int cds_terminal_size(int fd, int *columns, int *rows) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return -1;
    *columns = size.ws_col;
    *rows = size.ws_row;
    return 0;
}

#endif
