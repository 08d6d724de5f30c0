/*
 * secretfile: the superuser's password of `up --auth`, in a file of the
 * user's own (mode 0600 in a 0700 directory), made once with a random value
 * and kept with the cluster: later runs, new nodes and the user read it from
 * there.  The nodes get it as a read-only bind mount and CASSANDRA_PASSWORD_FILE,
 * never as a value in their environment.
 */
#ifndef PROVISION_SECRETFILE_H
#define PROVISION_SECRETFILE_H

#include <stdbool.h>
#include <stddef.h>

/* The default place: $HOME/.cass-provision/<prefix>/superuser-password. */
int secretfile_default_path(const char *prefix, char *out, size_t cap);

/* Make sure path holds a password: create it (and its directory) when missing,
 * with 24 random letters and digits; refuse a file others may read or that is
 * not a regular file, or an empty one.  *created says whether it was made now.
 * 0, or -1 with a one-line reason naming the path. */
int secretfile_ensure(const char *path, bool *created, char *err, size_t errlen);

#endif
