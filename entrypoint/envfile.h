/*
 * envfile: a variable's value from the environment or, Docker secrets' way,
 * from the file its NAME_FILE form names.
 *
 * Every variable NAME also has a NAME_FILE form: the value is read from that
 * file with one trailing newline (LF or CRLF) removed, and is then secret
 * (never shown).  Both set is an error.  A variable set to the empty string
 * counts as unset (compose files often write `CASSANDRA_SEEDS=`).  A
 * trailing _FILE always means the file form, so a cassandra.yaml key that
 * itself ends in _file (jmx_server_options.password_file) is set with
 * ..._PASSWORD_FILE_FILE or with --set.
 */
#ifndef ENTRYPOINT_ENVFILE_H
#define ENTRYPOINT_ENVFILE_H

#include <stdbool.h>

#include "entrypoint/error.h"
#include "entrypoint/settings.h"

/* The value of NAME in envp ("NAME=value" strings, NULL-terminated), or NULL. */
const char *envfile_get(char *const *envp, const char *name);

/* The value of `name` from in->envp or from the file NAME_FILE names (read
 * with in->read_file).  *out is malloc'd, NULL when unset; *from_file says
 * which.  Both set, an unreadable or empty file: EX_CONFIG naming NAME_FILE
 * (never the value); out of memory: EX_OSERR. */
bool envfile_read(const settings_input *in, const char *name, char **out, bool *from_file,
                  entry_error *err);

/* The real read_file of settings_input: a whole file (at most 1 MiB, no NUL
 * byte) into a malloc'd NUL-terminated buffer; false with the reason in err
 * (EX_OSERR: out of memory; EX_CONFIG: the file named cannot be read). */
bool envfile_read_file(void *ctx, const char *path, char **out, entry_error *err);

#endif
