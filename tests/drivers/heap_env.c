/*
 * heap-env: a test driver for the heap modules (tests/suites/heap.sh).
 *
 *   heap-env --root DIR --conf DIR [--home DIR] [--java N] [--cpus N]
 *
 * Runs the same steps cass-entry runs before exec'ing Cassandra: limits_read
 * on the fake root, version_detect and version_read_jvm_opts on the conf dir,
 * heap_decide with MAX_HEAP_SIZE, HEAP_NEWSIZE and JVM_OPTS taken from this
 * process's environment.  Prints the result as shell for `eval`:
 *     export MAX_HEAP_SIZE='768M'     or     unset MAX_HEAP_SIZE
 *     export HEAP_NEWSIZE='192M'      or     unset HEAP_NEWSIZE
 * and on stderr the version, the reason line and any warning.  On an error:
 * the message on stderr and the module's EX_* exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "entrypoint/heap.h"
#include "entrypoint/limits.h"
#include "entrypoint/version.h"

static int usage(void)
{
    fprintf(stderr, "usage: heap-env --root DIR --conf DIR [--home DIR] [--java N] [--cpus N]\n");
    return EX_USAGE;
}

static void print_var(const char *name, const char *value)
{
    if (!value[0]) {
        printf("unset %s\n", name);
        return;
    }
    /* Sizes are [0-9A-Za-z] only (heap_parse_size checked them): no quoting issue. */
    printf("export %s='%s'\n", name, value);
}

int main(int argc, char **argv)
{
    const char *root = NULL, *conf = NULL, *home = NULL;
    int java = 0, cpus = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--root") == 0)
            root = argv[++i];
        else if (strcmp(argv[i], "--conf") == 0)
            conf = argv[++i];
        else if (strcmp(argv[i], "--home") == 0)
            home = argv[++i];
        else if (strcmp(argv[i], "--java") == 0)
            java = atoi(argv[++i]);
        else if (strcmp(argv[i], "--cpus") == 0)
            cpus = atoi(argv[++i]);
        else
            return usage();
    }
    if (!root || !conf)
        return usage();

    entry_error err;
    struct limits lim;
    struct cass_version ver;
    struct jvm_opts opts;
    struct heap_plan plan;
    int rc = limits_read(root, cpus, &lim, &err);
    if (!rc)
        rc = version_detect(conf, home, &ver, &err);
    if (!rc)
        rc = version_read_jvm_opts(conf, ver.major, java, getenv("JVM_OPTS"), &opts, &err);
    if (!rc) {
        struct heap_input in = {
            .limits = &lim,
            .major = ver.major,
            .opts = &opts,
            .max_heap_size = getenv("MAX_HEAP_SIZE"),
            .heap_newsize = getenv("HEAP_NEWSIZE"),
        };
        rc = heap_decide(&in, &plan, &err);
    }
    if (rc) {
        fprintf(stderr, "heap-env: %s\n", err.message);
        return rc;
    }
    fprintf(stderr, "heap-env: Cassandra %s from %s; GC %s%s%s\n", ver.name, ver.source,
            opts.uses_g1 ? "G1" : opts.uses_cms ? "CMS" : "other",
            opts.gc_where[0] ? " in " : "", opts.gc_where);
    fprintf(stderr, "heap-env: %s\n", plan.reason);
    if (plan.warning[0])
        fprintf(stderr, "heap-env: warning: %s\n", plan.warning);
    print_var("MAX_HEAP_SIZE", plan.max_heap_size);
    print_var("HEAP_NEWSIZE", plan.heap_newsize);
    return 0;
}
