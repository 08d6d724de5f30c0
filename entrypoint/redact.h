/* entrypoint/redact.h: keeping secrets out of everything cass-entry prints.
 *
 * A redact_list holds the values that must never be shown: every value read
 * from a NAME_FILE variable, every value set at a secret-looking key, and the
 * values of secret-looking keys found inside YAML text (a flow mapping given
 * to --set).  redact_apply() returns a copy of a line with each of them
 * replaced by ***, and with the value of every secret-looking key written in
 * the line (`keystore_password: x`, `{truststore_password: "y"}`) replaced
 * too, which also hides an old password a diff would show.  main.c passes
 * every line it prints through it.  Values shorter than REDACT_MIN_LEN are not
 * listed (masking "1" would mask every digit of every line); the key rule
 * still hides them where they are written at their key.
 */
#ifndef ENTRYPOINT_REDACT_H
#define ENTRYPOINT_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACT_MIN_LEN 3

typedef struct {
    char **values;
    size_t n;
} redact_list;

/* True when a key or a path's keys look like they hold a secret (password,
 * passwd, secret, credential, private_key, token but not initial_token). */
bool redact_key_looks_secret(const char *path);

/* Add a value (copied); "" and short values are ignored.  False: out of memory. */
bool redact_add(redact_list *l, const char *value);

/* Add the values of the secret-looking keys written in YAML text. */
bool redact_add_from_yaml(redact_list *l, const char *text);

/* A malloc'd copy of text with every secret hidden as ***; NULL: out of memory. */
char *redact_apply(const redact_list *l, const char *text);

void redact_free(redact_list *l);

#endif
