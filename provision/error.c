/* provision/error: see error.h. */
#include "provision/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int prov_fail(prov_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->exit_code = code;
    return code;
}

int prov_fail_engine(prov_error *err, const eng_error *e, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int code = (e->code == ENG_ERR_UNREACHABLE || e->code == ENG_ERR_TLS ||
                e->code == ENG_ERR_CONFIG)
                   ? PROV_EXIT_ENGINE
                   : PROV_EXIT_FAIL;
    return prov_fail(err, code, "%s: %s", what, e->message);
}

void prov_fail_append(prov_error *err, const char *fmt, ...)
{
    size_t used = strlen(err->message);
    if (used + 2 >= sizeof err->message)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + used, sizeof err->message - used, fmt, ap);
    va_end(ap);
}
