/* tests/unit/testcerts.h: certificates made at test time with the openssl
 * command, in a directory of the test's own: run a command there (its output
 * goes to DIR/openssl.log; a failure fails the test, naming it) and read a
 * file of it whole.  Include after <cmocka.h>.
 * Header only (static inline). */
#ifndef TESTS_UNIT_TESTCERTS_H
#define TESTS_UNIT_TESTCERTS_H

#include "tests/unit/testfs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* A new directory (dir: PATH_MAX bytes) for the certificates; -1 when it
 * cannot be made or there is no openssl command (said on stderr). */
static inline int testcerts_dir(char *dir, const char *name)
{
    snprintf(dir, PATH_MAX, "/tmp/cass-entry-%s.XXXXXX", name);
    if (!mkdtemp(dir))
        return -1;
    if (system("command -v openssl >/dev/null") != 0) {
        fprintf(stderr, "%s: the openssl command is missing (image/install-deps.sh)\n", name);
        return -1;
    }
    return 0;
}

/* Run cmd (a shell command line) in dir. */
static inline void testcerts_run(const char *dir, const char *cmd)
{
    char full[PATH_MAX + 4200];
    snprintf(full, sizeof full, "cd '%s' && { %s; } >>openssl.log 2>&1", dir, cmd);
    if (system(full) != 0)
        fail_msg("failed (see %s/openssl.log): %s", dir, cmd);
}

/* dir/name, whole (malloc'd). */
static inline char *testcerts_read(const char *dir, const char *name)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return testfs_slurp(path);
}

#endif
