/*
 * entrypoint/error.h: cass-entry's one error value.
 *
 * Every module of cass-entry that can fail reports through an entry_error:
 * the exit status the failure calls for (a <sysexits.h> code, part of
 * cass-entry's interface: the README's exit-status table) and one line saying
 * what failed, naming the variable, the file (file:line:col) or the system
 * call.  A function fills it once, where the failure is understood, and
 * returns; callers pass it up untouched; main prints it once, prefixed with
 * the program's name ("cass-entry: "), with every secret hidden, and exits
 * with its code.  Nothing below main prints an error.
 *
 * The codes (the README's table):
 *   EX_USAGE    64  bad command line
 *   EX_DATAERR  65  junk in a host file that sizes the heap; a failed init script
 *   EX_UNAVAILABLE 69  the node never answered the first start's login
 *   EX_OSERR    71  the system refused (gethostname, getifaddrs, setuid...),
 *                   and out of memory, everywhere
 *   EX_OSFILE   72  a host file that sizes the heap is missing
 *   EX_CANTCREAT 73 the runtime copy of the conf dir cannot be made safely
 *   EX_IOERR    74  a file could not be read or written (hosts, jvm options,
 *                   cassandra.yaml), a chown failed
 *   EX_CONFIG   78  bad configuration (a variable, YAML, the user); nothing written
 * The message never holds a secret value; main masks what it prints anyway.
 */
#ifndef ENTRYPOINT_ERROR_H
#define ENTRYPOINT_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <sysexits.h>

typedef struct {
    int code;           /* 0: no error; else the exit status (a sysexits.h code) */
    char message[1024]; /* one line, without the program's name */
} entry_error;

/* Fill err with code and the formatted line; returns code, so that
 * `return entry_fail(err, EX_CONFIG, "...")` is one step. */
int entry_fail(entry_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a va_list, for a module's own wrapper. */
int entry_failv(entry_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* entry_fail for a function that answers true or false: always false. */
bool entry_reject(entry_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "out of memory", EX_OSERR; always false. */
bool entry_no_memory(entry_error *err);

/* The code for a failed call that set errno: EX_OSERR when memory ran out
 * (ENOMEM), `otherwise` for every other errno. */
int entry_errno_code(int errnum, int otherwise);

#endif
