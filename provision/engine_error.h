/*
 * provision/engine_error: the error value of the Engine API library (engine,
 * docker, stream, buildctx, credhelper), on its own so that a module that only
 * reports errors (the credential helper) needs nothing else of the engine.
 */
#ifndef PROVISION_ENGINE_ERROR_H
#define PROVISION_ENGINE_ERROR_H

typedef enum {
    ENG_OK = 0,
    ENG_ERR_CONFIG,      /* a DOCKER_* value or an argument can't be used */
    ENG_ERR_UNREACHABLE, /* no connection: socket missing, refused, no route, DNS */
    ENG_ERR_TLS,         /* TLS handshake / certificate / key problem */
    ENG_ERR_TIMEOUT,     /* the request's time limit passed */
    ENG_ERR_HTTP,        /* the daemon answered 4xx/5xx (http_status, its message) */
    ENG_ERR_STREAM,      /* a build/push stream reported "error" under HTTP 200 */
    ENG_ERR_PROTOCOL,    /* an answer that is not what the API documents */
    ENG_ERR_IO,          /* a local file: build context, config.json, temp file */
    ENG_ERR_NOMEM
} eng_status;

typedef struct {
    eng_status code;
    long http_status;  /* the HTTP status for ENG_ERR_HTTP (404, 409...), else 0 */
    char message[768]; /* one line, no trailing newline */
} eng_error;

/* Fill err (printf-style) and return code: the module's way to make errors. */
eng_status eng_fail(eng_error *err, eng_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
