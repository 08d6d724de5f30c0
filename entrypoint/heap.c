/*
 * heap: cassandra-env.sh's heap formula applied to the container (see heap.h).
 */
#include "entrypoint/heap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Append to a log line; a line that would overflow is cut, never overrun. */
static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

void heap_formula(long mem_mb, int cpus, long *max_heap_mb, long *young_mb)
{
    /* Step by step as calculate_heap_sizes() does it, so that the integer
     * divisions round the same way. */
    if (cpus < 1)
        cpus = 1;
    long half = mem_mb / 2;
    long quarter = half / 2;
    if (half > 1024)
        half = 1024;
    if (quarter > 8192)
        quarter = 8192;
    long max = half > quarter ? half : quarter;
    long sensible_yg = 100L * cpus;
    long desired_yg = max / 4;
    *max_heap_mb = max;
    *young_mb = desired_yg > sensible_yg ? sensible_yg : desired_yg;
}

bool heap_parse_size(const char *text, long *mb)
{
    if (!text || text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno)
        return false;
    unsigned shift; /* the unit as a power of two of bytes */
    switch (*end) {
    case '\0': shift = 0; break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: return false;
    }
    if (*end && end[1])
        return false; /* "4GB", "4G " are not JVM sizes */
    /* In MiB, without overflowing on the way. */
    unsigned long long v;
    if (shift >= 20) {
        if (n > (~0ULL >> 1) >> (shift - 20))
            return false;
        v = n << (shift - 20);
    } else {
        v = n >> (20 - shift);
    }
    if (v < 1 || v > (unsigned long long)(~0UL >> 1))
        return false;
    *mb = (long)v;
    return true;
}

static const char *set_or_null(const char *s)
{
    return s && *s ? s : NULL;
}

int heap_decide(const struct heap_input *in, struct heap_plan *out, entry_error *err)
{
    static const struct jvm_opts no_opts;
    memset(out, 0, sizeof *out);

    const struct limits *lim = in->limits;
    bool legacy = in->major <= 2; /* no option files, CMS and the pair always */
    const struct jvm_opts *o = (!legacy && in->opts) ? in->opts : &no_opts;
    const char *umax = set_or_null(in->max_heap_size), *unew = set_or_null(in->heap_newsize);
    int cpus = lim->cpus < 1 ? 1 : lim->cpus;
    const char *gc_where = o->gc_where[0] ? o->gc_where : "the JVM options";

    /* cassandra-env.sh's own fatal combinations, said before anything starts. */
    if (o->uses_cms && o->uses_g1)
        return entry_fail(err, EX_CONFIG, "%s: both -XX:+UseConcMarkSweepGC and -XX:+UseG1GC are "
                    "selected; keep one", gc_where);
    char files[160] = "";
    for (int i = 0; i < 2 && o->files[i][0]; i++)
        append(files, sizeof files, "%s%s", i ? " + " : "", o->files[i]);
    if (!files[0])
        snprintf(files, sizeof files, "the JVM options");
    if (o->has_xmx && !o->has_xms)
        return entry_fail(err, EX_CONFIG, "%s: -Xmx%s is set without -Xms; cassandra-env.sh wants both "
                    "or neither", o->xmx_where, o->xmx);
    if (o->has_xms && !o->has_xmx)
        return entry_fail(err, EX_CONFIG, "%s (or JVM_OPTS): -Xms is set without -Xmx; cassandra-env.sh "
                    "wants both or neither", files);
    if (o->has_xmn && !o->has_xmx)
        return entry_fail(err, EX_CONFIG, "%s (or JVM_OPTS): -Xmn is set without -Xmx; cassandra-env.sh "
                    "wants -Xmx and -Xms with it", files);
    if (in->major >= 4 && o->has_xmn && o->uses_g1)
        return entry_fail(err, EX_CONFIG, "%s (or JVM_OPTS): -Xmn is set with the G1 collector (%s); "
                    "cassandra-env.sh refuses that: remove -Xmn", files, gc_where);

    long umax_mb = 0, unew_mb = 0;
    if (umax && (strlen(umax) >= sizeof out->max_heap_size || !heap_parse_size(umax, &umax_mb)))
        return entry_fail(err, EX_CONFIG, "MAX_HEAP_SIZE=%s: not a JVM heap size (e.g. 4G, 512M)", umax);
    if (unew && (strlen(unew) >= sizeof out->heap_newsize || !heap_parse_size(unew, &unew_mb)))
        return entry_fail(err, EX_CONFIG, "HEAP_NEWSIZE=%s: not a JVM heap size (e.g. 800M)", unew);

    bool g1 = !legacy && o->uses_g1;
    bool need_pair = !g1;
    bool xmn_from_env = legacy || (o->uses_cms && !o->has_xmn);

    /* The heap: -Xmx in the options, else MAX_HEAP_SIZE, else the formula. */
    char heap_text[32], heap_src[224];
    long heap_mb;
    if (o->has_xmx) {
        if (!heap_parse_size(o->xmx, &heap_mb))
            return entry_fail(err, EX_CONFIG, "%s: -Xmx%s is not a JVM heap size", o->xmx_where, o->xmx);
        snprintf(heap_text, sizeof heap_text, "%s", o->xmx);
        snprintf(heap_src, sizeof heap_src, "-Xmx%s in %s", o->xmx, o->xmx_where);
        if (umax)
            append(out->warning, sizeof out->warning,
                   "MAX_HEAP_SIZE=%s does not size the heap: -Xmx%s in %s wins", umax, o->xmx,
                   o->xmx_where);
    } else if (umax) {
        heap_mb = umax_mb;
        snprintf(heap_text, sizeof heap_text, "%s", umax);
        snprintf(heap_src, sizeof heap_src, "MAX_HEAP_SIZE");
    } else {
        long unused;
        heap_formula((long)(lim->mem_bytes >> 20), cpus, &heap_mb, &unused);
        if (heap_mb < 1)
            return entry_fail(err, EX_CONFIG, "memory limit too small for a JVM heap: %s", lim->mem_reason);
        snprintf(heap_text, sizeof heap_text, "%ldM", heap_mb);
        snprintf(heap_src, sizeof heap_src, "%s", lim->mem_reason);
    }
    out->heap_mb = heap_mb;

    /* The young generation, from the real heap: the user's, else the formula's. */
    char young_text[32] = "", young_src[224] = "";
    long young_mb = 0;
    if (need_pair) {
        if (unew) {
            young_mb = unew_mb;
            snprintf(young_text, sizeof young_text, "%s", unew);
            snprintf(young_src, sizeof young_src, "HEAP_NEWSIZE");
        } else {
            long sensible = 100L * cpus;
            young_mb = heap_mb / 4 > sensible ? sensible : heap_mb / 4;
            if (young_mb < 1)
                return entry_fail(err, EX_CONFIG, "heap %s is too small for a young generation", heap_text);
            snprintf(young_text, sizeof young_text, "%ldM", young_mb);
            if (heap_mb / 4 > sensible)
                snprintf(young_src, sizeof young_src, "100M x %s", lim->cpu_reason);
            else
                snprintf(young_src, sizeof young_src, "1/4 of the heap");
        }
    } else if (unew) {
        append(out->warning, sizeof out->warning, "%sHEAP_NEWSIZE=%s dropped: G1 (%s) sizes the "
               "young generation itself", out->warning[0] ? "; " : "", unew, gc_where);
    }

    /* What the script must find.  Under -Xmx in the options MAX_HEAP_SIZE is
     * only the other half of the pair, so it carries the real -Xmx. */
    if (o->has_xmx) {
        if (need_pair)
            snprintf(out->max_heap_size, sizeof out->max_heap_size, "%s", umax ? umax : o->xmx);
        else if (umax)
            snprintf(out->max_heap_size, sizeof out->max_heap_size, "%s", umax);
    } else {
        snprintf(out->max_heap_size, sizeof out->max_heap_size, "%s", heap_text);
    }
    if (need_pair)
        snprintf(out->heap_newsize, sizeof out->heap_newsize, "%s", young_text);
    out->young_mb = xmn_from_env ? young_mb : 0;

    snprintf(out->reason, sizeof out->reason, "heap %s: %s", heap_text, heap_src);
    if (xmn_from_env)
        append(out->reason, sizeof out->reason, "; young %s: %s", young_text, young_src);
    else if (o->has_xmn)
        append(out->reason, sizeof out->reason, "; young: -Xmn in the JVM options");
    else if (g1)
        append(out->reason, sizeof out->reason, "; G1 sizes the young generation itself");
    else
        append(out->reason, sizeof out->reason, "; HEAP_NEWSIZE %s only completes the pair "
               "(no -Xmn without CMS)", young_text);
    return 0;
}
