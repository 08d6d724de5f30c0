/*
 * Unit tests of entrypoint/version: version detection and the JVM options
 * (GC, -Xmx/-Xms/-Xmn) on copies of the real conf dirs of every release line
 * in the mirror of upstream conf files, on edited copies, and on fake
 * CASSANDRA_HOMEs.
 *
 * The mirror is $CASS_CONF_CORPUS, which the unit suite sets from
 * tests/corpus/locate.sh.  A missing mirror fails the tests that need it with
 * locate.sh's own line (in $CORPUS_MISSING) saying what to set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "entrypoint/version.h"
#include "tests/unit/testfs.h"

/* ---- helpers -------------------------------------------------------------- */

/* Replace the first `from` in <dir>/<name> by `to` (the test's edit of a copy). */
static void edit(const char *dir, const char *name, const char *from, const char *to)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = testfs_slurp(path);
    char *at = strstr(text, from);
    if (!at)
        fail_msg("%s: \"%s\" not found", path, from);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    fclose(f);
    free(text);
}

static const char *corpus(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("CASS_CONF_CORPUS"), *why = getenv("CORPUS_MISSING");
    struct stat st;
    if (!env || !*env)
        fail_msg("%s", why && *why ? why
                                   : "CASS_CONF_CORPUS is not set: run through tests/run, or set it "
                                     "to the mirror of upstream conf files");
    snprintf(path, sizeof path, "%s", env);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        fail_msg("CASS_CONF_CORPUS=%s is not a directory", path);
    return path;
}

/* Copy <corpus>/<version>/conf to <dst> (regular files only: conf is flat). */
static void copy_conf(const char *version, const char *dst)
{
    char src[PATH_MAX + 64];
    snprintf(src, sizeof src, "%s/%s/conf", corpus(), version);
    DIR *d = opendir(src);
    if (!d)
        fail_msg("cannot open %s", src);
    testfs_mkdirs(dst);
    struct dirent *e;
    int copied = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char from[PATH_MAX + 320];
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        char *text = testfs_slurp(from);
        testfs_put(dst, e->d_name, text);
        free(text);
        copied++;
    }
    closedir(d);
    assert_true(copied > 0);
}

static void sub(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void detect_ok(const char *conf, const char *home, struct cass_version *v)
{
    entry_error err = { 0 };
    int rc = version_detect(conf, home, v, &err);
    if (rc)
        fail_msg("version_detect(%s, %s) = %d: %s", conf, home ? home : "NULL", rc, err.message);
}

static void opts_ok(const char *conf, int major, int java, const char *env, struct jvm_opts *o)
{
    entry_error err = { 0 };
    int rc = version_read_jvm_opts(conf, major, java, env, o, &err);
    if (rc)
        fail_msg("version_read_jvm_opts(%s, %d, %d) = %d: %s", conf, major, java, rc, err.message);
}

/* ---- version from the conf files of every release line ------------------- */

/* The release lines of the corpus and their major versions: trunk of 2025-02
 * is 5.1. */
static const struct {
    const char *dir;
    int major;
} LINES[] = {
    {"2.1.9", 2}, {"2.2.19", 2}, {"3.0.30", 3}, {"3.11.4", 3}, {"3.11.17", 3},
    {"4.0.14", 4}, {"4.1.7", 4}, {"5.0.1", 5}, {"trunk", 5},
};

static void corpus_versions_from_conf(void **state)
{
    for (size_t i = 0; i < sizeof LINES / sizeof LINES[0]; i++) {
        char conf[PATH_MAX];
        snprintf(conf, sizeof conf, "%s/%s", (const char *)*state, LINES[i].dir);
        copy_conf(LINES[i].dir, conf);
        struct cass_version v;
        detect_ok(conf, NULL, &v);
        if (v.major != LINES[i].major)
            fail_msg("%s: detected major %d (%s from %s), expected %d", LINES[i].dir, v.major,
                     v.name, v.source, LINES[i].major);
        assert_int_equal(v.minor, -1); /* the conf files do not say more */
        assert_int_equal(v.patch, -1);
        assert_non_null(strstr(v.source, "conf files"));
    }
}

/* ---- GC and heap flags of the real option files --------------------------- */

static void corpus_gc_and_files(void **state)
{
    /* What the shipped files select (read from them by hand): CMS up to 4.1
     * for Java 8 and 11, G1 in 5.0 and trunk for 11 and 17; no -Xmx/-Xms/-Xmn
     * active anywhere. */
    static const struct {
        const char *dir;
        int java;
        const char *file0, *file1, *gc_where;
        int g1;
    } C[] = {
        {"2.1.9", 8, "", "", "cassandra-env.sh", 0},
        {"2.2.19", 8, "", "", "cassandra-env.sh", 0},
        {"3.0.30", 8, "jvm.options", "", "jvm.options", 0},
        {"3.11.4", 8, "jvm.options", "", "jvm.options", 0},
        {"3.11.17", 8, "jvm.options", "", "jvm.options", 0},
        {"4.0.14", 8, "jvm-server.options", "jvm8-server.options", "jvm8-server.options", 0},
        {"4.0.14", 11, "jvm-server.options", "jvm11-server.options", "jvm11-server.options", 0},
        {"4.1.7", 17, "jvm-server.options", "jvm11-server.options", "jvm11-server.options", 0},
        {"4.1.7", 0, "jvm-server.options", "jvm11-server.options", "jvm11-server.options", 0},
        {"5.0.1", 11, "jvm-server.options", "jvm11-server.options", "jvm11-server.options", 1},
        {"5.0.1", 17, "jvm-server.options", "jvm17-server.options", "jvm17-server.options", 1},
        {"5.0.1", 0, "jvm-server.options", "jvm17-server.options", "jvm17-server.options", 1},
        {"trunk", 21, "jvm-server.options", "jvm17-server.options", "jvm17-server.options", 1},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        char conf[PATH_MAX];
        snprintf(conf, sizeof conf, "%s/%s", (const char *)*state, C[i].dir);
        if (access(conf, F_OK) != 0)
            copy_conf(C[i].dir, conf);
        struct cass_version v;
        detect_ok(conf, NULL, &v);
        struct jvm_opts o;
        opts_ok(conf, v.major, C[i].java, NULL, &o);
        const char *what = C[i].dir;
        if (strcmp(o.files[0], C[i].file0) || strcmp(o.files[1], C[i].file1))
            fail_msg("%s java %d: read [%s, %s], expected [%s, %s]", what, C[i].java,
                     o.files[0], o.files[1], C[i].file0, C[i].file1);
        assert_false(o.missing[0]);
        assert_false(o.missing[1]);
        if (o.uses_g1 != (bool)C[i].g1 || o.uses_cms == (bool)C[i].g1)
            fail_msg("%s java %d: cms=%d g1=%d", what, C[i].java, o.uses_cms, o.uses_g1);
        assert_string_equal(o.gc_where, C[i].gc_where);
        assert_false(o.has_xmx);
        assert_false(o.has_xms);
        assert_false(o.has_xmn);
        assert_string_equal(o.xmx, "");
    }
}

/* Uncommenting the template lines of the real files, as users do. */
static void corpus_edited_heap_flags(void **state)
{
    char conf[PATH_MAX];
    sub(conf, sizeof conf, *state, "4.1.7");
    copy_conf("4.1.7", conf);
    edit(conf, "jvm-server.options", "\n#-Xms4G\n", "\n-Xms4G\n");
    edit(conf, "jvm-server.options", "\n#-Xmx4G\n", "\n-Xmx4G\n");
    struct jvm_opts o;
    opts_ok(conf, 4, 11, NULL, &o);
    assert_true(o.has_xmx);
    assert_true(o.has_xms);
    assert_false(o.has_xmn);
    assert_string_equal(o.xmx, "4G");
    assert_string_equal(o.xmx_where, "jvm-server.options");

    edit(conf, "jvm-server.options", "\n#-Xmn800M\n", "\n-Xmn800M\n");
    opts_ok(conf, 4, 11, NULL, &o);
    assert_true(o.has_xmn);

    /* 3.x keeps them in jvm.options. */
    sub(conf, sizeof conf, *state, "3.11.17");
    copy_conf("3.11.17", conf);
    edit(conf, "jvm.options", "\n#-Xmx4G\n", "\n-Xmx2G\n");
    opts_ok(conf, 3, 8, NULL, &o);
    assert_true(o.has_xmx);
    assert_false(o.has_xms);
    assert_string_equal(o.xmx, "2G");
    assert_string_equal(o.xmx_where, "jvm.options");
}

/* Switching 4.1's Java 11 file to G1 changes Java 11 only, not Java 8. */
static void corpus_g1_switch_per_java(void **state)
{
    char conf[PATH_MAX];
    sub(conf, sizeof conf, *state, "4.1.7");
    copy_conf("4.1.7", conf);
    edit(conf, "jvm11-server.options", "\n-XX:+UseConcMarkSweepGC", "\n#-XX:+UseConcMarkSweepGC");
    edit(conf, "jvm11-server.options", "\n#-XX:+UseG1GC", "\n-XX:+UseG1GC");
    struct jvm_opts o;
    opts_ok(conf, 4, 11, NULL, &o);
    assert_true(o.uses_g1);
    assert_false(o.uses_cms);
    assert_string_equal(o.gc_where, "jvm11-server.options");
    opts_ok(conf, 4, 8, NULL, &o);
    assert_false(o.uses_g1);
    assert_true(o.uses_cms);
    assert_string_equal(o.gc_where, "jvm8-server.options");
}

/* Only lines that begin with '-' count (`grep "^-"`), and JVM_OPTS counts. */
static void active_lines_and_jvm_opts(void **state)
{
    const char *d = *state;
    testfs_put(d, "jvm-server.options",
               "# -Xmx8G in a comment\n  -Xmx9G\n#-Xms4G\n-Dsome.flag=1\n-XX:+UseG1GC\n");
    testfs_put(d, "jvm17-server.options", "-XX:MaxGCPauseMillis=300\n");
    struct jvm_opts o;
    opts_ok(d, 5, 17, NULL, &o);
    assert_false(o.has_xmx);
    assert_false(o.has_xms);
    assert_true(o.uses_g1);
    assert_string_equal(o.gc_where, "jvm-server.options");

    opts_ok(d, 5, 17, "-Xms3G -Xmx3G -Dx=y", &o);
    assert_true(o.has_xmx);
    assert_true(o.has_xms);
    assert_string_equal(o.xmx, "3G");
    assert_string_equal(o.xmx_where, "JVM_OPTS");

    /* The last -Xmx wins, as in the JVM: the files come after JVM_OPTS. */
    testfs_put(d, "jvm17-server.options", "-Xmx5G\n-Xms5G\n");
    opts_ok(d, 5, 17, "-Xmx3G -Xms3G", &o);
    assert_string_equal(o.xmx, "5G");
    assert_string_equal(o.xmx_where, "jvm17-server.options");

    /* 2.x's cassandra-env.sh always passes its own -Xmx after JVM_OPTS. */
    opts_ok(d, 2, 8, "-Xmx3G -Xms3G", &o);
    assert_false(o.has_xmx);
}

/* 3.x tests "UseG1GC", 4.0 on "+UseG1GC": a disabled G1 is G1 for 3.x's script. */
static void g1_test_per_line(void **state)
{
    const char *d = *state;
    testfs_put(d, "jvm.options", "-XX:-UseG1GC\n-XX:+UseConcMarkSweepGC\n");
    testfs_put(d, "jvm-server.options", "-XX:-UseG1GC\n-XX:+UseConcMarkSweepGC\n");
    testfs_put(d, "jvm11-server.options", "\n");
    struct jvm_opts o;
    opts_ok(d, 3, 8, NULL, &o);
    assert_true(o.uses_g1);
    opts_ok(d, 4, 11, NULL, &o);
    assert_false(o.uses_g1);
    assert_true(o.uses_cms);
}

static void missing_version_file_is_flagged(void **state)
{
    const char *d = *state;
    testfs_put(d, "jvm-server.options", "-Xss256k\n");
    testfs_put(d, "jvm17-server.options", "-XX:+UseG1GC\n");
    struct jvm_opts o;
    opts_ok(d, 4, 8, NULL, &o); /* 4.x on Java 8 wants jvm8-server.options */
    assert_string_equal(o.files[1], "jvm8-server.options");
    assert_false(o.missing[0]);
    assert_true(o.missing[1]);
    assert_false(o.uses_g1);
}

/* ---- version from the jar ------------------------------------------------- */

static void jar_wins_and_is_parsed(void **state)
{
    const char *d = *state;
    char conf[PATH_MAX], home[PATH_MAX];
    sub(conf, sizeof conf, d, "conf");
    sub(home, sizeof home, d, "home");
    testfs_put(conf, "jvm.options", "-XX:+UseConcMarkSweepGC\n"); /* looks like 3.x */
    testfs_put(home, "lib/apache-cassandra-thrift-4.1.7.jar", "");
    testfs_put(home, "lib/apache-cassandra-4.1.7-sources.jar", "");
    testfs_put(home, "lib/jamm-0.3.2.jar", "");
    struct cass_version v;
    detect_ok(conf, home, &v);
    assert_int_equal(v.major, 3); /* no server jar yet: the conf files */

    testfs_put(home, "lib/apache-cassandra-4.1.7.jar", "");
    detect_ok(conf, home, &v);
    assert_int_equal(v.major, 4);
    assert_int_equal(v.minor, 1);
    assert_int_equal(v.patch, 7);
    assert_string_equal(v.name, "4.1.7");
    assert_non_null(strstr(v.source, "lib/apache-cassandra-4.1.7.jar"));
}

static void jar_snapshot_and_debian_layout(void **state)
{
    const char *d = *state;
    char conf[PATH_MAX], home[PATH_MAX];
    sub(conf, sizeof conf, d, "conf");
    sub(home, sizeof home, d, "home");
    testfs_mkdirs(conf);
    testfs_put(home, "lib/apache-cassandra-5.1-SNAPSHOT.jar", "");
    struct cass_version v;
    detect_ok(conf, home, &v);
    assert_int_equal(v.major, 5);
    assert_int_equal(v.minor, 1);
    assert_int_equal(v.patch, -1);
    assert_string_equal(v.name, "5.1-SNAPSHOT");

    /* The Debian package: /usr/share/cassandra/apache-cassandra-3.11.4.jar. */
    char deb[PATH_MAX];
    sub(deb, sizeof deb, d, "share");
    testfs_put(deb, "apache-cassandra-3.11.4.jar", "");
    detect_ok(conf, deb, &v);
    assert_int_equal(v.major, 3);
    assert_int_equal(v.minor, 11);
    assert_int_equal(v.patch, 4);
}

static void nothing_there_is_an_error(void **state)
{
    const char *d = *state;
    struct cass_version v;
    entry_error err = { 0 };
    assert_int_equal(version_detect(d, NULL, &v, &err), EX_CONFIG);
    assert_non_null(strstr(err.message, d));
    assert_non_null(strstr(err.message, "no Cassandra configuration"));

    /* Only cassandra.yaml (a DSE or Scylla file, a trimmed dir): nothing says
     * 2.x, so the current line, said to be a guess, never 2.x's CMS. */
    testfs_put(d, "cassandra.yaml", "cluster_name: x\n");
    detect_ok(d, NULL, &v);
    assert_int_equal(v.major, 5);
    assert_non_null(strstr(v.name, "unknown"));
    /* a 3.0-or-later cassandra-env.sh (it only tests for CMS): the same */
    testfs_put(d, "cassandra-env.sh", "echo $JVM_OPTS | grep -q UseConcMarkSweepGC\n");
    detect_ok(d, NULL, &v);
    assert_int_equal(v.major, 5);
    /* 2.x's cassandra-env.sh sets CMS on a line of its own */
    testfs_put(d, "cassandra-env.sh",
               "# comment\nJVM_OPTS=\"$JVM_OPTS -XX:+UseConcMarkSweepGC\" \n");
    detect_ok(d, NULL, &v);
    assert_int_equal(v.major, 2);
}

/* ---- Java ----------------------------------------------------------------- */

static void java_release_file(void **state)
{
    const char *d = *state;
    char jdk[PATH_MAX];
    entry_error err;
    int major;
    sub(jdk, sizeof jdk, d, "jdk17");
    testfs_put(jdk, "release",
               "IMPLEMENTOR=\"Debian\"\nJAVA_VERSION=\"17.0.13\"\nOS_NAME=\"Linux\"\n");
    assert_int_equal(version_java_major(jdk, NULL, &major, &err), 0);
    assert_int_equal(major, 17);

    sub(jdk, sizeof jdk, d, "jdk8");
    testfs_put(jdk, "release", "JAVA_VERSION=\"1.8.0_402\"\n");
    assert_int_equal(version_java_major(jdk, NULL, &major, &err), 0);
    assert_int_equal(major, 8);

    sub(jdk, sizeof jdk, d, "jdk21");
    testfs_put(jdk, "release", "JAVA_VERSION=\"21\"\n");
    assert_int_equal(version_java_major(jdk, NULL, &major, &err), 0);
    assert_int_equal(major, 21);

    sub(jdk, sizeof jdk, d, "nojdk");
    assert_int_equal(version_java_major(jdk, NULL, &major, &err), EX_OSFILE);
    assert_int_equal(major, 0);
    assert_non_null(strstr(err.message, "nojdk/release"));
}

/* No JAVA_HOME: the java on PATH, through its symlinks, to <home>/release. */
static void java_on_path(void **state)
{
    const char *d = *state;
    char jdk[PATH_MAX], bin[PATH_MAX], link[PATH_MAX + 16], target[PATH_MAX + 16],
        path[3 * PATH_MAX];
    entry_error err;
    sub(jdk, sizeof jdk, d, "jvm/java-11");
    testfs_put(jdk, "release", "JAVA_VERSION=\"11.0.25\"\n");
    testfs_put(jdk, "bin/java", "#!/bin/sh\n");
    sub(bin, sizeof bin, d, "usr/bin");
    testfs_mkdirs(bin);
    snprintf(link, sizeof link, "%s/java", bin);
    snprintf(target, sizeof target, "%s/bin/java", jdk);
    assert_int_equal(symlink(target, link), 0);
    snprintf(path, sizeof path, "%s/nothing-here:%s", d, bin);
    int major;
    assert_int_equal(version_java_major("", path, &major, &err), 0);
    assert_int_equal(major, 11);

    assert_int_equal(version_java_major(NULL, "/nonexistent", &major, &err),
                     EX_OSFILE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(corpus_versions_from_conf, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(corpus_gc_and_files, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(corpus_edited_heap_flags, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(corpus_g1_switch_per_java, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(active_lines_and_jvm_opts, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(g1_test_per_line, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(missing_version_file_is_flagged, testfs_setup,
                                        testfs_teardown),
        cmocka_unit_test_setup_teardown(jar_wins_and_is_parsed, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(jar_snapshot_and_debian_layout, testfs_setup,
                                        testfs_teardown),
        cmocka_unit_test_setup_teardown(nothing_there_is_an_error, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(java_release_file, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(java_on_path, testfs_setup, testfs_teardown),
    };
    return cmocka_run_group_tests_name("version", tests, NULL, NULL);
}
