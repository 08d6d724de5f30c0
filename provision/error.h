/*
 * provision/error: cass-provision's one error value and its exit statuses.
 *
 * Every module of the provisioner that can fail fills a prov_error (what
 * failed, in one line, maybe followed by log lines) and returns its exit code;
 * main prints it once, with the program's name.  The engine library keeps its
 * own eng_error (provision/engine_error.h); prov_fail_engine turns one into
 * the other.
 */
#ifndef PROVISION_ERROR_H
#define PROVISION_ERROR_H

#include "provision/engine_error.h"

/* The exit statuses of cass-provision (its interface; see main.c --help). */
enum {
    PROV_EXIT_OK = 0,
    PROV_EXIT_FAIL = 1,   /* the operation failed: a node not ready, a build error... */
    PROV_EXIT_USAGE = 2,  /* bad command line */
    PROV_EXIT_ENGINE = 3, /* the engine can't be reached (socket, TCP, TLS, DOCKER_*) */
    PROV_EXIT_IMAGE = 4   /* the image is missing (and could not be pulled) */
};

typedef struct {
    int exit_code;       /* one of PROV_EXIT_* */
    char message[8192];  /* first line: what failed; then maybe log lines */
} prov_error;

/* Fill err (message from fmt, exit code `code`).  Returns code. */
int prov_fail(prov_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append text to an error already filled (log lines, hints); what does not
 * fit is dropped. */
void prov_fail_append(prov_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fill err from an engine error, with a prefix saying what was being done.
 * Unreachable / TLS / config errors get PROV_EXIT_ENGINE. Returns the code. */
int prov_fail_engine(prov_error *err, const eng_error *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
