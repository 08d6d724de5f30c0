/* tests/unit/testfs.h: files and directories for unit tests that build fake
 * trees (cgroup and /proc views, Cassandra installations, conf dirs): a
 * temporary directory per test, files written with their parent
 * directories, files read whole, trees removed.  Include after <cmocka.h>.
 * Header only (static inline), so each test links nothing more. */
#ifndef TESTS_UNIT_TESTFS_H
#define TESTS_UNIT_TESTFS_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p */
static inline void testfs_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        fail_msg("path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

/* Write <root>/<rel>, creating its directories. */
static inline void testfs_put(const char *root, const char *rel, const char *text)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path)
        fail_msg("path too long: %s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    testfs_mkdirs(path);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The whole file, NUL-terminated (free it); the test fails if it can't. */
static inline char *testfs_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static inline int testfs_remove_entry(const char *path, const struct stat *st, int flag,
                                      struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* rm -rf, without following symbolic links. */
static inline void testfs_rm_tree(const char *dir)
{
    nftw(dir, testfs_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* cmocka set-up (per test or per group): *state = a new directory under /tmp
 * (malloc'd). */
static inline int testfs_setup(void **state)
{
    char *dir = strdup("/tmp/cass-entry-test.XXXXXX");
    if (!dir || !mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

/* cmocka tear-down: the directory of testfs_setup goes, with its tree. */
static inline int testfs_teardown(void **state)
{
    testfs_rm_tree(*state);
    free(*state);
    return 0;
}

#endif
