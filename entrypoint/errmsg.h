/* entrypoint/errmsg.h: how the entrypoint's modules report an error: one
 * line into the caller's buffer, and the exit status (a sysexits code)
 * returned, so that `return errmsg(err, errlen, EX_CONFIG, "...")` is one
 * step.  main.c prints the line once, at the edge.  Header only: one small
 * function. */
#ifndef CASS_ENTRY_ERRMSG_H
#define CASS_ENTRY_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int errmsg(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline int errmsg(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

#endif
