/* provision/engine_error: see engine_error.h. */
#include "provision/engine_error.h"

#include <stdarg.h>
#include <stdio.h>

eng_status eng_fail(eng_error *err, eng_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
        if (code != ENG_ERR_HTTP)
            err->http_status = 0;
    }
    return code;
}
