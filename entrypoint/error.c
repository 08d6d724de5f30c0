/*
 * entrypoint/error.c: filling cass-entry's error value (error.h).
 */
#include "entrypoint/error.h"

#include <errno.h>
#include <stdio.h>

int entry_failv(entry_error *err, int code, const char *fmt, va_list ap)
{
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    err->code = code;
    return code;
}

int entry_fail(entry_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    entry_failv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

bool entry_reject(entry_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    entry_failv(err, code, fmt, ap);
    va_end(ap);
    return false;
}

bool entry_no_memory(entry_error *err)
{
    return entry_reject(err, EX_OSERR, "out of memory");
}

int entry_errno_code(int errnum, int otherwise)
{
    return errnum == ENOMEM ? EX_OSERR : otherwise;
}
