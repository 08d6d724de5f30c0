/*
 * provision/credhelper: registry credentials from a docker credential helper
 * (the docker-credential-helpers protocol, as the docker CLI runs it when the
 * config file has "credsStore" or "credHelpers").
 *
 * `docker-credential-NAME get` is run from PATH with the server address on
 * its standard input; it answers {"ServerURL","Username","Secret"} on its
 * standard output.  "credentials not found" (exit 1) is not an error: there
 * are no credentials for that server.  A Username of "<token>" means the
 * Secret is an identity token.  The secret never reaches an error message:
 * a failing helper is reported by its name, exit status and the first line
 * of its standard error.
 */
#ifndef PROVISION_CREDHELPER_H
#define PROVISION_CREDHELPER_H

#include <stdbool.h>
#include <stddef.h>

#include "provision/engine_error.h"

typedef struct {
    bool found;         /* false: the helper has nothing for this server */
    char *username;     /* malloc'd, NULL for an identity token */
    char *secret;       /* malloc'd: the password or the identity token */
    bool identity_token;
} credhelper_creds;

/* Run docker-credential-<helper> get for server_address.  ENG_OK with
 * creds->found false when it has none; ENG_ERR_CONFIG when the helper is
 * missing, fails, times out (timeout_ms) or answers something else than the
 * protocol's JSON.  Free with credhelper_creds_free (it wipes the secret). */
eng_status credhelper_get(const char *helper, const char *server_address, long timeout_ms,
                          credhelper_creds *creds, eng_error *err);
void credhelper_creds_free(credhelper_creds *creds);

#endif
