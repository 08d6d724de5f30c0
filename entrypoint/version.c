/*
 * version: the installed Cassandra version and its JVM options (see version.h).
 */
#include "entrypoint/version.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

static bool file_in(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- the version ------------------------------------------------------- */

/* "apache-cassandra-4.1.7.jar" -> 4, 1, 7 and name "4.1.7".  The character
 * after the prefix must be a digit: apache-cassandra-thrift-3.11.4.jar is a
 * client library of the same release, not the server. */
static bool parse_jar_name(const char *fname, struct cass_version *v)
{
    static const char prefix[] = "apache-cassandra-";
    size_t pl = sizeof prefix - 1, len = strlen(fname);
    if (strncmp(fname, prefix, pl) != 0 || len < pl + 5 || strcmp(fname + len - 4, ".jar") != 0)
        return false;
    const char *p = fname + pl;
    if (*p < '0' || *p > '9')
        return false;
    int nums[3] = {-1, -1, -1}, i = 0;
    while (i < 3 && *p >= '0' && *p <= '9') {
        char *end;
        long n = strtol(p, &end, 10);
        if (n > 1000)
            return false;
        nums[i++] = (int)n;
        p = end;
        if (*p != '.' || p[1] < '0' || p[1] > '9')
            break;
        p++;
    }
    /* What may follow the numbers: nothing, or a "-SNAPSHOT"-like tag; not
     * "-sources" / "-javadoc" / "-tests", which are side jars of a build. */
    if (i < 2 || (*p != '-' && strcmp(p, ".jar") != 0))
        return false;
    if (*p == '-' && (strstr(p, "sources") || strstr(p, "javadoc") || strstr(p, "test")))
        return false;
    v->major = nums[0];
    v->minor = nums[1];
    v->patch = nums[2];
    snprintf(v->name, sizeof v->name, "%.*s", (int)(len - 4 - pl), fname + pl);
    return true;
}

static bool find_jar(const char *dir, struct cass_version *v)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (parse_jar_name(e->d_name, v)) {
            /* A path longer than the field is cut: it is only shown in the log. */
            found = snprintf(v->source, sizeof v->source, "%s/%s", dir, e->d_name) > 0;
        }
    }
    closedir(d);
    return found;
}

/* 2.x's cassandra-env.sh chooses CMS itself, on a line of its own; from 3.0 on
 * the collector comes from the jvm options files and cassandra-env.sh only
 * tests for it. */
static bool env_sh_is_2x(const char *conf_dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/cassandra-env.sh", conf_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strncmp(line, "JVM_OPTS=\"$JVM_OPTS -XX:+UseConcMarkSweepGC\"", 44) == 0;
    fclose(f);
    return found;
}

static void from_conf(struct cass_version *v, int major, const char *name, const char *why)
{
    v->major = major;
    v->minor = v->patch = -1;
    snprintf(v->name, sizeof v->name, "%s", name);
    snprintf(v->source, sizeof v->source, "conf files (%s)", why);
}

int version_detect(const char *conf_dir, const char *cassandra_home, struct cass_version *out,
                   entry_error *err)
{
    memset(out, 0, sizeof *out);
    if (cassandra_home && *cassandra_home) {
        char lib[PATH_MAX];
        snprintf(lib, sizeof lib, "%s/lib", cassandra_home);
        if (find_jar(lib, out) || find_jar(cassandra_home, out))
            return 0;
    }
    /* The rules come from the conf dirs of every release line: see version.h. */
    if (file_in(conf_dir, "jvm17-server.options"))
        from_conf(out, 5, "5.0 or later", "jvm17-server.options");
    else if (file_in(conf_dir, "jvm8-server.options"))
        from_conf(out, 4, "4.x", "jvm8-server.options");
    else if (file_in(conf_dir, "jvm-server.options"))
        from_conf(out, 4, "4.x", "jvm-server.options without jvm8/jvm17-server.options");
    else if (file_in(conf_dir, "jvm.options"))
        from_conf(out, 3, "3.x", "jvm.options");
    else if (env_sh_is_2x(conf_dir))
        from_conf(out, 2, "2.x", "no jvm*.options; cassandra-env.sh sets CMS itself");
    else if (file_in(conf_dir, "cassandra-env.sh") || file_in(conf_dir, "cassandra.yaml"))
        /* A DSE or Scylla file, or a trimmed conf dir: nothing says 2.x, and
         * guessing it would size the heap for CMS.  Take the current line. */
        from_conf(out, 5, "unknown (taken as 5.0 or later)",
                  "no jvm*.options and no 2.x cassandra-env.sh; no apache-cassandra jar");
    else
        return entry_fail(err, EX_CONFIG,
                      "%s: no Cassandra configuration here (no cassandra.yaml, cassandra-env.sh "
                      "or jvm options file) and no apache-cassandra-*.jar in %s/lib",
                      conf_dir,
                      cassandra_home && *cassandra_home ? cassandra_home : "$CASSANDRA_HOME");
    return 0;
}

/* ---- JVM options ------------------------------------------------------- */

/* Look at one option line (or the JVM_OPTS value) the way the scripts do. */
static void scan_opts(const char *text, const char *where, int major, struct jvm_opts *o)
{
    if (strstr(text, "Xmx"))
        o->has_xmx = true;
    if (strstr(text, "Xms"))
        o->has_xms = true;
    if (strstr(text, "Xmn"))
        o->has_xmn = true;
    bool cms = strstr(text, "UseConcMarkSweepGC") != NULL;
    /* 3.x greps "UseG1GC", 4.0 and later "+UseG1GC". */
    bool g1 = strstr(text, major >= 4 ? "+UseG1GC" : "UseG1GC") != NULL;
    if ((cms || g1) && !o->gc_where[0])
        snprintf(o->gc_where, sizeof o->gc_where, "%s", where);
    o->uses_cms |= cms;
    o->uses_g1 |= g1;

    /* The value, from the last token that starts with -Xmx (the JVM keeps the
     * last one it is given). */
    const char *p = text;
    while ((p = strstr(p, "-Xmx")) != NULL) {
        if (p == text || p[-1] == ' ' || p[-1] == '\t') {
            size_t l = strcspn(p + 4, " \t\r\n");
            snprintf(o->xmx, sizeof o->xmx, "%.*s", (int)(l < sizeof o->xmx - 1 ? l : sizeof o->xmx - 1), p + 4);
            snprintf(o->xmx_where, sizeof o->xmx_where, "%s", where);
        }
        p += 4;
    }
}

static int scan_file(const char *conf_dir, const char *name, int major, struct jvm_opts *o,
                     bool *missing, entry_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", conf_dir, name);
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT) {
            *missing = true;
            return 0;
        }
        return entry_fail(err, entry_errno_code(errno, EX_IOERR), "%s: %s", path, strerror(errno));
    }
    char line[4096];
    errno = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '-') /* `grep "^-" FILE` */
            scan_opts(line, name, major, o);
    }
    int bad = ferror(f), why = errno ? errno : EIO;
    fclose(f);
    return bad ? entry_fail(err, entry_errno_code(why, EX_IOERR), "%s: %s", path, strerror(why)) : 0;
}

/* 2.x has no option files; its GC flags are JVM_OPTS lines in cassandra-env.sh. */
static void scan_env_sh(const char *conf_dir, struct jvm_opts *o)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/cassandra-env.sh", conf_dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        const char *p = line + strspn(line, " \t");
        if (strncmp(p, "JVM_OPTS=", 9) != 0)
            continue; /* commented out, or not an option */
        bool cms = strstr(p, "UseConcMarkSweepGC") != NULL, g1 = strstr(p, "+UseG1GC") != NULL;
        if ((cms || g1) && !o->gc_where[0])
            snprintf(o->gc_where, sizeof o->gc_where, "cassandra-env.sh");
        o->uses_cms |= cms;
        o->uses_g1 |= g1;
    }
    fclose(f);
}

int version_read_jvm_opts(const char *conf_dir, int major, int java_major,
                          const char *env_jvm_opts, struct jvm_opts *out, entry_error *err)
{
    memset(out, 0, sizeof *out);
    if (java_major <= 0)
        java_major = major >= 5 ? 17 : major == 4 ? 11 : 8;

    /* JVM_OPTS comes first in the scripts (the files are appended to it). */
    if (env_jvm_opts && *env_jvm_opts && major >= 3)
        scan_opts(env_jvm_opts, "JVM_OPTS", major, out);

    if (major <= 2) {
        scan_env_sh(conf_dir, out);
        return 0;
    }
    if (major == 3) {
        snprintf(out->files[0], sizeof out->files[0], "jvm.options");
    } else {
        snprintf(out->files[0], sizeof out->files[0], "jvm-server.options");
        int dep = major == 4 ? (java_major >= 11 ? 11 : 8) : (java_major >= 17 ? 17 : 11);
        snprintf(out->files[1], sizeof out->files[1], "jvm%d-server.options", dep);
    }
    for (int i = 0; i < 2 && out->files[i][0]; i++) {
        int rc = scan_file(conf_dir, out->files[i], major, out, &out->missing[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- Java -------------------------------------------------------------- */

static int java_from_release(const char *java_home, int *major, entry_error *err)
{
    char path[PATH_MAX], line[512];
    snprintf(path, sizeof path, "%s/release", java_home);
    FILE *f = fopen(path, "re");
    if (!f)
        return entry_fail(err, EX_OSFILE, "%s: %s", path, strerror(errno));
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "JAVA_VERSION=", 13) != 0)
            continue;
        const char *p = line + 13 + (line[13] == '"');
        long a = strtol(p, NULL, 10);
        /* "1.8.0_402" is Java 8; "17.0.13", "21" are what they say. */
        if (a == 1 && p[1] == '.')
            a = strtol(p + 2, NULL, 10);
        if (a > 0 && a < 1000) {
            *major = (int)a;
            found = 1;
        }
    }
    fclose(f);
    return found ? 0 : entry_fail(err, EX_OSFILE, "%s: no JAVA_VERSION line", path);
}

int version_java_major(const char *java_home, const char *path, int *major, entry_error *err)
{
    *major = 0;
    if (java_home && *java_home)
        return java_from_release(java_home, major, err);

    /* The java on PATH, e.g. /usr/bin/java -> /etc/alternatives/java ->
     * /usr/lib/jvm/java-17-openjdk-amd64/bin/java. */
    const char *p = path ? path : "";
    while (*p) {
        size_t l = strcspn(p, ":");
        char cand[PATH_MAX], real[PATH_MAX];
        int n = snprintf(cand, sizeof cand, "%.*s/java", (int)l, p);
        if (l > 0 && n > 0 && (size_t)n < sizeof cand && realpath(cand, real)) {
            char *slash = strrchr(real, '/');
            if (slash && slash - real >= 4 && strncmp(slash - 4, "/bin", 4) == 0) {
                slash[-4] = '\0';
                return java_from_release(real, major, err);
            }
        }
        p += l + (p[l] == ':');
    }
    return entry_fail(err, EX_OSFILE, "no JAVA_HOME and no java on PATH");
}
