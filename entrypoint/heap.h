/*
 * heap: the JVM heap of the installed Cassandra, sized for the CONTAINER.
 *
 * Pure: no I/O.  The facts come from limits.h (memory, cpus) and version.h
 * (release line, GC, -Xmx/-Xms/-Xmn in the option files); the result is the
 * final value of two environment variables for cassandra-env.sh.
 *
 * The formula is calculate_heap_sizes() of cassandra-env.sh, identical
 * (byte for byte) in every release line of the corpus, 2.1.9 to trunk of
 * 2025-02, with integer (expr) arithmetic:
 *     half    = min(mem_mb / 2, 1024)
 *     quarter = min(mem_mb / 2 / 2, 8192)
 *     MAX_HEAP_SIZE = max(half, quarter)                       "<n>M"
 *     HEAP_NEWSIZE  = min(100 * cpus, MAX_HEAP_SIZE / 4)       "<n>M"
 * with cpus at least 1.  The only difference: the script takes mem_mb from
 * `free -m` and cpus from /proc/cpuinfo, i.e. the host's, where this module
 * takes them from limits_read() (min of the cgroup limit and MemTotal, cpus
 * lowered by a cpu quota).  When the heap is not computed here (-Xmx in the
 * option files, or MAX_HEAP_SIZE given), the young generation is derived from
 * that real heap, not from a host-sized one as the script would.
 *
 * How the installed cassandra-env.sh reads the two variables (bin/cassandra
 * sources it with the environment we exec it with):
 *   all lines  It computes both only when MAX_HEAP_SIZE is unset: exported
 *              values win.
 *   2.1, 2.2   Both or neither, else "please set or unset MAX_HEAP_SIZE and
 *              HEAP_NEWSIZE in pairs" and exit 1.  It always passes
 *              -Xms$MAX_HEAP_SIZE -Xmx$MAX_HEAP_SIZE -Xmn$HEAP_NEWSIZE (the GC
 *              is CMS, hard-coded).  There are no option files.
 *   3.0 on     The option files are read first (jvm.options; from 4.0
 *              jvm-server.options + jvm<N>-server.options).  Unless the JVM
 *              options use G1, both variables or neither (same error, "when
 *              using CMS GC").  -Xms/-Xmx are added from MAX_HEAP_SIZE only when
 *              the options contain neither; exactly one of them is an error.
 *              -Xmn$HEAP_NEWSIZE is added only under CMS and only when the
 *              options have no -Xmn; -Xmn without -Xmx is an error.
 *   4.0 on     Additionally -Xmn in the options together with G1 is an error.
 *
 * So the rules applied here, first match wins:
 *   - -Xmx/-Xms in the options (or the JVM_OPTS variable, which the script
 *     inspects too): they set the heap; MAX_HEAP_SIZE only has to satisfy the
 *     pair rule, so it gets that -Xmx value when HEAP_NEWSIZE is needed.
 *   - MAX_HEAP_SIZE given by the user: kept as given.
 *   - otherwise: MAX_HEAP_SIZE from the formula, from the container.
 *   - HEAP_NEWSIZE: the user's when given, otherwise the formula's; exported
 *     whenever the script needs the pair (2.x always, 3.0 on unless G1).  Under
 *     G1 it is never set, and a user's HEAP_NEWSIZE is dropped with a warning
 *     (the script would ignore it anyway; G1 sizes its young generation itself).
 *   - The script's own fatal combinations are reported here first, before the
 *     JVM starts: -Xmx without -Xms or the reverse, -Xmn without -Xmx, -Xmn with
 *     G1 (4.0 on), CMS and G1 both selected, a size the JVM would not parse.
 */
#ifndef ENTRYPOINT_HEAP_H
#define ENTRYPOINT_HEAP_H

#include <stdbool.h>
#include <stddef.h>

#include "entrypoint/error.h"

#include "entrypoint/limits.h"
#include "entrypoint/version.h"

struct heap_input {
    const struct limits *limits;   /* the container's memory and cpus */
    int major;                     /* Cassandra's major version (version_detect) */
    const struct jvm_opts *opts;   /* version_read_jvm_opts; NULL = none (2.x) */
    const char *max_heap_size;     /* the user's MAX_HEAP_SIZE; NULL or "" = unset */
    const char *heap_newsize;      /* the user's HEAP_NEWSIZE; NULL or "" = unset */
};

/* The final state of the two variables in Cassandra's environment. */
struct heap_plan {
    char max_heap_size[32];  /* MAX_HEAP_SIZE to export; "" = must be unset */
    char heap_newsize[32];   /* HEAP_NEWSIZE to export;  "" = must be unset */
    long heap_mb;            /* the -Xmx the JVM will get, in MiB */
    long young_mb;           /* the -Xmn from HEAP_NEWSIZE in MiB; 0 = none passed
                                (G1, another collector, or -Xmn in the options) */
    char reason[384];        /* one log line: "heap 512M: cgroup v2 memory.max 1.0G" */
    char warning[256];       /* "" or one more line for the log */
};

/*
 * Decide.  Returns 0, or EX_CONFIG with a message naming the variable or the
 * option file when the combination would make cassandra-env.sh or the JVM
 * refuse to start.
 */
int heap_decide(const struct heap_input *in, struct heap_plan *out, entry_error *err);

/* calculate_heap_sizes() itself: sizes in MiB from memory in MiB and cpus. */
void heap_formula(long mem_mb, int cpus, long *max_heap_mb, long *young_mb);

/* A JVM size ("4G", "512m", "1048576k", "1073741824" bytes) in whole MiB.
 * Returns false for anything else or for less than 1 MiB. */
bool heap_parse_size(const char *text, long *mb);

#endif
