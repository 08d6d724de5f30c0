/*
 * version: which Cassandra is installed, and what its JVM option files say
 * about the heap and the garbage collector.
 *
 * The version, most reliable first:
 *   1. the jar: <home>/lib/apache-cassandra-X.Y.Z.jar (also X.Y-SNAPSHOT, and
 *      <home>/apache-cassandra-*.jar, where the Debian package puts it).
 *      apache-cassandra-thrift-*.jar and the like are not the server jar.
 *   2. the files of the conf dir, as every release line ships them:
 *        jvm17-server.options                    5.0 or later (5.0, trunk = 5.1)
 *        jvm8-server.options (+ jvm-server...)   4.0 / 4.1
 *        jvm-server.options without either       4.x assumed (a trimmed conf dir)
 *        jvm.options                             3.0 / 3.11
 *        cassandra-env.sh or cassandra.yaml only 2.1 / 2.2
 *      These say the major version only; 5.0 and trunk ship the same files.
 *
 * The JVM options that cassandra-env.sh sees (see version_read_jvm_opts):
 *   2.x  none: GC flags are hard-coded in cassandra-env.sh (CMS), which is
 *        scanned for uncommented JVM_OPTS lines naming a collector.
 *   3.x  conf/jvm.options.
 *   4.x  conf/jvm-server.options + jvm11-server.options for Java 11 and later
 *        (4.0/4.1's cassandra.in.sh treats 17 like 11), jvm8-server.options for
 *        Java 8.
 *   5.x  conf/jvm-server.options + jvm17-server.options for Java 17 and later,
 *        jvm11-server.options for Java 11.
 * Like the scripts (`grep "^-" FILE`), only lines that begin with '-' count:
 * "#-Xmx4G" and "  -Xmx4G" are both ignored by Cassandra, and so here.  The
 * caller's JVM_OPTS environment variable is part of what the scripts inspect
 * (they grep "$JVM_OPTS" after appending the files), so it is scanned as well.
 * The tests are the scripts' own: a substring "Xmx", "Xms", "Xmn",
 * "UseConcMarkSweepGC", and "UseG1GC" (3.x) or "+UseG1GC" (4.0 on).
 */
#ifndef ENTRYPOINT_VERSION_H
#define ENTRYPOINT_VERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "entrypoint/error.h"

struct cass_version {
    int major;          /* 2, 3, 4, 5 ... */
    int minor, patch;   /* -1 when only the conf files were seen */
    char name[32];      /* "4.1.7", "5.1-SNAPSHOT", "4.x", "5.0 or later" */
    char source[256];   /* how it was found: "/opt/cassandra/lib/apache-cassandra-4.1.7.jar",
                           "conf files (jvm8-server.options)" */
};

/*
 * Detect the installed version from `cassandra_home` (may be NULL or "") and
 * `conf_dir`.  Returns 0, or EX_CONFIG with a message when neither the jar nor
 * any Cassandra configuration file is there.
 */
int version_detect(const char *conf_dir, const char *cassandra_home, struct cass_version *out,
                   entry_error *err);

/* What the JVM options that cassandra-env.sh will see contain. */
struct jvm_opts {
    bool uses_cms, uses_g1;       /* the scripts' USING_CMS / USING_G1 */
    bool has_xmx, has_xms, has_xmn; /* the scripts' DEFINED_XMX / _XMS / _XMN */
    char xmx[32];                 /* the value of the last -Xmx token ("4G"), "" if none */
    char xmx_where[64];           /* where it is: "jvm-server.options", "JVM_OPTS" */
    char gc_where[64];            /* where the collector was chosen, "" if nowhere */
    char files[2][64];            /* the option files read (base names), "" unused */
    bool missing[2];              /* files[i] should exist for this version and Java, but doesn't */
};

/*
 * Read the option files of `major` (from version_detect) for the Java
 * `java_major` (8, 11, 17, 21 ...; <= 0 = unknown: the newest Java that line
 * runs on: 8 for 2.x and 3.x, 11 for 4.x, 17 for 5.x) in `conf_dir`, plus the
 * JVM_OPTS value `env_jvm_opts` (NULL = unset).  A file that the version
 * should have but that is missing is not an error: the scripts skip it too
 * (it is flagged in `missing`).  Returns 0 or an EX_* code with a message.
 */
int version_read_jvm_opts(const char *conf_dir, int major, int java_major,
                          const char *env_jvm_opts, struct jvm_opts *out, entry_error *err);

/*
 * The major version of the Java at `java_home`, from its `release` file
 * (JAVA_VERSION="17.0.13" -> 17, "1.8.0_402" -> 8).  When java_home is NULL
 * or empty, the `java` found on `path` (a PATH value) is followed through its
 * symlinks to <java_home>/bin/java.  Reading a file costs nothing; running
 * `java -version` would start a JVM.  Returns 0, or EX_OSFILE when the
 * version cannot be told (the caller then passes 0 = unknown on).
 */
int version_java_major(const char *java_home, const char *path, int *major, entry_error *err);

#endif
