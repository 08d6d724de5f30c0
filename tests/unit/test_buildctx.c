/*
 * Unit tests for provision/buildctx: .dockerignore rules and the tar of a
 * build context, read back with libarchive's reader.
 *
 * The expectations are the documented .dockerignore rules (Docker's
 * "Dockerfile reference: .dockerignore file"): Go filepath.Match per
 * component plus "**", exceptions with "!", the last match wins, and the
 * project's own .dockerignore ("*" then "!build/static/...").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "provision/buildctx.h"

static void test_match(void **state)
{
    (void)state;
    assert_true(buildctx_match("*.o", "a.o"));
    assert_false(buildctx_match("*.o", "dir/a.o"));   /* '*' stays in its component */
    assert_true(buildctx_match("*/*.o", "dir/a.o"));
    assert_true(buildctx_match("**/*.o", "a.o"));     /* zero directories */
    assert_true(buildctx_match("**/*.o", "x/y/a.o"));
    assert_true(buildctx_match("build/**", "build/x/y"));
    assert_true(buildctx_match("**", "anything/at/all"));
    assert_true(buildctx_match("a?c", "abc"));
    assert_false(buildctx_match("a?c", "a/c"));
    assert_true(buildctx_match("[ab]x", "bx"));
    assert_false(buildctx_match("[ab]x", "cx"));
    assert_true(buildctx_match("[!ab]x", "cx"));
    assert_true(buildctx_match("[a-c]x", "bx"));
    assert_true(buildctx_match("\\*", "*"));
    assert_false(buildctx_match("\\*", "a"));
    assert_true(buildctx_match("Dockerfile", "Dockerfile"));
    assert_false(buildctx_match("Dockerfile", "Dockerfile.bak"));
}

static buildctx_ignore parse(const char *text)
{
    buildctx_ignore ig;
    assert_int_equal(buildctx_ignore_parse(&ig, text, strlen(text)), 0);
    return ig;
}

static void test_parse_and_clean(void **state)
{
    (void)state;
    buildctx_ignore ig = parse("# comment\n\n  *.log  \r\n/abs\ntrailing/\n./dot\n! keep.log\n"
                               "a//b/../c\n/\n");
    assert_int_equal(ig.n, 6);
    assert_string_equal(ig.patterns[0], "*.log");
    assert_string_equal(ig.patterns[1], "abs");
    assert_string_equal(ig.patterns[2], "trailing");
    assert_string_equal(ig.patterns[3], "dot");
    assert_string_equal(ig.patterns[4], "keep.log");
    assert_true(ig.negate[4]);
    assert_false(ig.negate[0]);
    assert_string_equal(ig.patterns[5], "a/c");
    buildctx_ignore_free(&ig);
}

static void test_project_dockerignore(void **state)
{
    (void)state;
    /* the repository's own .dockerignore */
    buildctx_ignore ig = parse("# Only the static binaries go into the image.\n*\n"
                               "!build/static/cass-entry\n!build/static/yamlpatch\n");
    assert_true(buildctx_ignored(&ig, "Makefile"));
    assert_true(buildctx_ignored(&ig, "build"));
    assert_true(buildctx_ignored(&ig, "build/obj/x.o"));     /* via its ancestor "build" */
    assert_true(buildctx_ignored(&ig, "build/static/obj/y.o"));
    assert_false(buildctx_ignored(&ig, "build/static/cass-entry"));
    assert_false(buildctx_ignored(&ig, "build/static/yamlpatch"));
    /* the walk must enter build/ and build/static/, nothing else */
    assert_true(buildctx_may_include_below(&ig, "build"));
    assert_true(buildctx_may_include_below(&ig, "build/static"));
    assert_false(buildctx_may_include_below(&ig, "build/obj"));
    assert_false(buildctx_may_include_below(&ig, "yamlpatch"));
    buildctx_ignore_free(&ig);
}

static void test_last_match_wins(void **state)
{
    (void)state;
    buildctx_ignore ig = parse("*.md\n!README*.md\nREADME-secret.md\n");
    assert_true(buildctx_ignored(&ig, "CHANGES.md"));
    assert_false(buildctx_ignored(&ig, "README.md"));
    assert_true(buildctx_ignored(&ig, "README-secret.md"));
    assert_false(buildctx_ignored(&ig, "docs/CHANGES.md")); /* '*' does not cross '/' */
    buildctx_ignore_free(&ig);
    ig = parse("docs\n!docs/keep\n");
    assert_true(buildctx_ignored(&ig, "docs/a/b"));
    assert_false(buildctx_ignored(&ig, "docs/keep"));
    assert_false(buildctx_ignored(&ig, "docs/keep/inner")); /* below a re-included dir */
    assert_true(buildctx_may_include_below(&ig, "docs"));
    buildctx_ignore_free(&ig);
    ig = parse("**/*.tmp\n!**/keep.tmp\n");
    assert_true(buildctx_ignored(&ig, "a/b/c.tmp"));
    assert_false(buildctx_ignored(&ig, "a/b/keep.tmp"));
    assert_true(buildctx_may_include_below(&ig, "anything/deep"));
    buildctx_ignore_free(&ig);
}

/* ---- the tar ---- */

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void sub(const char *dir, const char *rel)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

struct entries {
    char names[32][128];
    char content[32][64];
    unsigned mode[32];
    long uid[32];
    char link[32][128];
    int n;
};

static void read_tar(FILE *f, struct entries *e)
{
    memset(e, 0, sizeof *e);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_FILE(a, f), ARCHIVE_OK);
    struct archive_entry *ent;
    while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
        assert_true(e->n < 32);
        snprintf(e->names[e->n], 128, "%s", archive_entry_pathname(ent));
        e->mode[e->n] = archive_entry_mode(ent);
        e->uid[e->n] = (long)archive_entry_uid(ent);
        if (archive_entry_symlink(ent))
            snprintf(e->link[e->n], 128, "%s", archive_entry_symlink(ent));
        la_ssize_t n = archive_read_data(a, e->content[e->n], 63);
        assert_true(n >= 0);
        e->n++;
    }
    archive_read_free(a);
}

static int find(const struct entries *e, const char *name)
{
    for (int i = 0; i < e->n; i++)
        if (strcmp(e->names[i], name) == 0)
            return i;
    return -1;
}

static void test_tar_with_dockerignore(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_buildctx.XXXXXX";
    assert_non_null(mkdtemp(dir));
    put(dir, "Dockerfile", "FROM scratch\nCOPY keep /\n", 0644);
    put(dir, ".dockerignore", "*\n!keep\n!sub/keep2\n", 0644);
    put(dir, "keep", "kept\n", 0755);
    put(dir, "drop", "dropped\n", 0644);
    sub(dir, "sub");
    put(dir, "sub/keep2", "kept too\n", 0600);
    put(dir, "sub/drop2", "x", 0644);
    sub(dir, "other");
    put(dir, "other/x", "x", 0644);

    FILE *f = NULL;
    long long size = 0;
    size_t count = 0;
    eng_error err = {0};
    assert_int_equal(buildctx_write_tar(dir, NULL, &f, &size, &count, &err), ENG_OK);
    assert_non_null(f);
    assert_true(size > 0 && size % 512 == 0); /* tar is made of 512-byte blocks */
    struct entries e;
    read_tar(f, &e);
    fclose(f);
    /* Dockerfile and .dockerignore always go; "sub" itself is excluded but
     * walked for the exception below it. */
    assert_int_equal(e.n, 4);
    assert_int_equal((int)count, 4);
    int k = find(&e, "keep");
    assert_true(k >= 0);
    assert_string_equal(e.content[k], "kept\n");
    assert_int_equal(e.mode[k] & 07777, 0755);
    assert_int_equal(e.uid[k], 0);
    assert_true(find(&e, "Dockerfile") >= 0);
    assert_true(find(&e, ".dockerignore") >= 0);
    k = find(&e, "sub/keep2");
    assert_true(k >= 0);
    assert_string_equal(e.content[k], "kept too\n");
    assert_int_equal(e.mode[k] & 07777, 0600);
    assert_int_equal(find(&e, "drop"), -1);
    assert_int_equal(find(&e, "sub/drop2"), -1);
    assert_int_equal(find(&e, "other/x"), -1);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_tar_without_dockerignore(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_buildctx.XXXXXX";
    assert_non_null(mkdtemp(dir));
    sub(dir, "docker");
    put(dir, "docker/Custom.Dockerfile", "FROM scratch\n", 0644);
    put(dir, "a", "A", 0644);
    char lpath[600];
    snprintf(lpath, sizeof lpath, "%s/link", dir);
    assert_int_equal(symlink("a", lpath), 0);

    FILE *f = NULL;
    eng_error err = {0};
    assert_int_equal(buildctx_write_tar(dir, "docker/Custom.Dockerfile", &f, NULL, NULL, &err),
                     ENG_OK);
    struct entries e;
    read_tar(f, &e);
    fclose(f);
    assert_int_equal(e.n, 4); /* a, docker/, docker/Custom.Dockerfile, link */
    assert_true(find(&e, "docker") >= 0 || find(&e, "docker/") >= 0);
    assert_true(find(&e, "docker/Custom.Dockerfile") >= 0);
    int l = find(&e, "link");
    assert_true(l >= 0);
    assert_string_equal(e.link[l], "a");

    /* a Dockerfile in an excluded directory still goes */
    put(dir, ".dockerignore", "docker\n", 0644);
    assert_int_equal(buildctx_write_tar(dir, "docker/Custom.Dockerfile", &f, NULL, NULL, &err),
                     ENG_OK);
    read_tar(f, &e);
    fclose(f);
    assert_true(find(&e, "docker/Custom.Dockerfile") >= 0);
    assert_int_equal(find(&e, "docker"), -1);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_tar_errors(void **state)
{
    (void)state;
    FILE *f = NULL;
    eng_error err = {0};
    assert_int_equal(buildctx_write_tar("/nonexistent/context", NULL, &f, NULL, NULL, &err),
                     ENG_ERR_IO);
    assert_null(f);
    assert_non_null(strstr(err.message, "/nonexistent/context"));
    assert_int_equal(buildctx_write_tar("/etc/hostname", NULL, &f, NULL, NULL, &err), ENG_ERR_IO);
    assert_non_null(strstr(err.message, "not a directory"));

    /* an unreadable file (when not root, or root without CAP_DAC_OVERRIDE
     * cannot be simulated: only check when the open really fails) */
    char dir[] = "/tmp/test_buildctx.XXXXXX";
    assert_non_null(mkdtemp(dir));
    put(dir, "secret", "s", 0000);
    char p[600];
    snprintf(p, sizeof p, "%s/secret", dir);
    FILE *probe = fopen(p, "r");
    if (!probe) {
        assert_int_equal(buildctx_write_tar(dir, NULL, &f, NULL, NULL, &err), ENG_ERR_IO);
        assert_non_null(strstr(err.message, "secret"));
    } else {
        fclose(probe); /* root reads it anyway: the tar must hold it */
        assert_int_equal(buildctx_write_tar(dir, NULL, &f, NULL, NULL, &err), ENG_OK);
        struct entries e;
        read_tar(f, &e);
        fclose(f);
        assert_true(find(&e, "secret") >= 0);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_parse_and_clean),
        cmocka_unit_test(test_project_dockerignore),
        cmocka_unit_test(test_last_match_wins),
        cmocka_unit_test(test_tar_with_dockerignore),
        cmocka_unit_test(test_tar_without_dockerignore),
        cmocka_unit_test(test_tar_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
