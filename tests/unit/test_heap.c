/*
 * Unit tests of entrypoint/heap: calculate_heap_sizes() reproduced, JVM size
 * parsing, and the decisions per release line and GC (inputs filled by hand;
 * the expected sizes are worked out in the comments from the formula).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "entrypoint/heap.h"

#define MIB (UINT64_C(1) << 20)

/* ---- the formula ---------------------------------------------------------- */

static void formula_table(void **state)
{
    (void)state;
    /* mem_mb, cpus -> heap, young, worked out by hand:
     *   half = min(mem/2, 1024), quarter = min(mem/2/2, 8192), heap = max of both,
     *   young = min(100 * cpus, heap / 4). */
    static const struct {
        long mem;
        int cpus;
        long heap, young;
    } T[] = {
        {1024, 1, 512, 100},     /* 512 vs 256; min(100, 128) */
        {1536, 2, 768, 192},     /* 768 vs 384; min(200, 192) */
        {1023, 1, 511, 100},     /* 511 vs 255 (integer halves); min(100, 127) */
        {2048, 8, 1024, 256},    /* 1024 vs 512; min(800, 256) */
        {3072, 1, 1024, 100},    /* 1536 capped to 1024 vs 768 */
        {4097, 0, 1024, 100},    /* 2048->1024 vs 1024; 0 cpus counts as 1 */
        {8192, 4, 2048, 400},    /* 1024 vs 2048; min(400, 512) */
        {24105, 2, 6026, 200},   /* this machine's free -m: 12052/2 = 6026 */
        {65536, 16, 8192, 1600}, /* 16384 capped to 8192; min(1600, 2048) */
        {262144, 64, 8192, 2048},/* the 8 GiB cap; min(6400, 2048) */
        {100, 1, 50, 12},        /* tiny: 50 vs 25; 50/4 = 12 */
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        long heap = -1, young = -1;
        heap_formula(T[i].mem, T[i].cpus, &heap, &young);
        if (heap != T[i].heap || young != T[i].young)
            fail_msg("mem %ld cpus %d: heap %ld young %ld, expected %ld %ld", T[i].mem,
                     T[i].cpus, heap, young, T[i].heap, T[i].young);
    }
}

static void parse_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        long mb;
    } ok[] = {
        {"4G", 4096}, {"4g", 4096}, {"512M", 512}, {"512m", 512}, {"1048576k", 1024},
        {"1048576K", 1024}, {"1073741824", 1024}, {"1T", 1048576}, {"1500000k", 1464},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        long mb = -1;
        if (!heap_parse_size(ok[i].text, &mb) || mb != ok[i].mb)
            fail_msg("%s: got %ld, expected %ld", ok[i].text, mb, ok[i].mb);
    }
    static const char *bad[] = {"", "G", "4GB", "-1G", "4.5G", "0M", "512k", " 4G", "4G ",
                                "4X", "99999999999999999999G", "18446744073709551615T"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long mb = -1;
        if (heap_parse_size(bad[i], &mb))
            fail_msg("\"%s\" parsed as %ld MiB", bad[i], mb);
    }
    long mb;
    assert_false(heap_parse_size(NULL, &mb));
}

/* ---- decisions ------------------------------------------------------------ */

/* A container of `mem_mb` MiB and `cpus` cpus, as limits_read would say. */
static struct limits box(long mem_mb, int cpus)
{
    struct limits l;
    memset(&l, 0, sizeof l);
    l.mem_bytes = (uint64_t)mem_mb * MIB;
    l.cgroup_mem_bytes = l.mem_bytes;
    l.mem_total_bytes = 65536 * MIB;
    l.cpus = cpus;
    l.online_cpus = 8;
    l.cgroup_version = 2;
    snprintf(l.mem_reason, sizeof l.mem_reason, "cgroup v2 memory.max %ldM", mem_mb);
    snprintf(l.cpu_reason, sizeof l.cpu_reason, "%d cpus (cgroup v2 cpu.max)", cpus);
    return l;
}

static struct jvm_opts gc(bool cms, bool g1)
{
    struct jvm_opts o;
    memset(&o, 0, sizeof o);
    o.uses_cms = cms;
    o.uses_g1 = g1;
    snprintf(o.gc_where, sizeof o.gc_where, "jvm11-server.options");
    snprintf(o.files[0], sizeof o.files[0], "jvm-server.options");
    snprintf(o.files[1], sizeof o.files[1], "jvm11-server.options");
    return o;
}

static void with_xmx(struct jvm_opts *o, const char *xmx, bool xmn)
{
    o->has_xmx = o->has_xms = true;
    o->has_xmn = xmn;
    snprintf(o->xmx, sizeof o->xmx, "%s", xmx);
    snprintf(o->xmx_where, sizeof o->xmx_where, "jvm-server.options");
}

static struct heap_plan decide(const struct limits *l, int major, const struct jvm_opts *o,
                               const char *max, const char *newsize)
{
    struct heap_input in = {l, major, o, max, newsize};
    struct heap_plan p;
    entry_error err = { 0 };
    int rc = heap_decide(&in, &p, &err);
    if (rc)
        fail_msg("heap_decide = %d: %s", rc, err.message);
    return p;
}

static void decide_err(const struct limits *l, int major, const struct jvm_opts *o,
                       const char *max, const char *newsize, const char *needle)
{
    struct heap_input in = {l, major, o, max, newsize};
    struct heap_plan p;
    entry_error err = { 0 };
    int rc = heap_decide(&in, &p, &err);
    if (rc != EX_CONFIG)
        fail_msg("expected EX_CONFIG mentioning \"%s\", got %d (%s)", needle, rc, err.message);
    if (!strstr(err.message, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err.message, needle);
}

/* CMS (3.0 to 4.1 default): both variables, from the container. */
static void cms_computed_pair(void **state)
{
    (void)state;
    struct limits l = box(1536, 2);
    struct jvm_opts o = gc(true, false);
    struct heap_plan p = decide(&l, 4, &o, NULL, NULL);
    assert_string_equal(p.max_heap_size, "768M");
    assert_string_equal(p.heap_newsize, "192M");
    assert_int_equal(p.heap_mb, 768);
    assert_int_equal(p.young_mb, 192);
    assert_string_equal(p.reason, "heap 768M: cgroup v2 memory.max 1536M; young 192M: 1/4 of the heap");
    assert_string_equal(p.warning, "");

    /* Many MiB, few cpus: young = 100M per cpu. */
    l = box(8192, 2);
    p = decide(&l, 3, &o, "", "");
    assert_string_equal(p.max_heap_size, "2048M");
    assert_string_equal(p.heap_newsize, "200M");
    assert_string_equal(p.reason, "heap 2048M: cgroup v2 memory.max 8192M; young 200M: "
                                  "100M x 2 cpus (cgroup v2 cpu.max)");
}

/* G1 (5.0 default): MAX_HEAP_SIZE only, never HEAP_NEWSIZE / -Xmn. */
static void g1_heap_only(void **state)
{
    (void)state;
    struct limits l = box(1024, 2);
    struct jvm_opts o = gc(false, true);
    struct heap_plan p = decide(&l, 5, &o, NULL, NULL);
    assert_string_equal(p.max_heap_size, "512M");
    assert_string_equal(p.heap_newsize, "");
    assert_int_equal(p.young_mb, 0);
    assert_string_equal(p.reason, "heap 512M: cgroup v2 memory.max 1024M; G1 sizes the young "
                                  "generation itself");

    /* A user's HEAP_NEWSIZE is dropped, with a warning. */
    p = decide(&l, 5, &o, NULL, "800M");
    assert_string_equal(p.heap_newsize, "");
    assert_non_null(strstr(p.warning, "HEAP_NEWSIZE=800M dropped"));
    assert_string_equal(p.max_heap_size, "512M");

    p = decide(&l, 5, &o, "2G", "800M");
    assert_string_equal(p.max_heap_size, "2G");
    assert_string_equal(p.heap_newsize, "");
    assert_int_equal(p.heap_mb, 2048);
}

/* The user's values win; the missing half of the CMS pair is filled in from
 * the real heap, so cassandra-env.sh does not stop with "set in pairs". */
static void user_values_and_the_pair(void **state)
{
    (void)state;
    struct limits l = box(16384, 3);
    struct jvm_opts o = gc(true, false);
    struct heap_plan p = decide(&l, 4, &o, "2G", NULL);
    assert_string_equal(p.max_heap_size, "2G");
    assert_string_equal(p.heap_newsize, "300M"); /* min(100 x 3, 2048 / 4) */
    assert_int_equal(p.heap_mb, 2048);
    assert_int_equal(p.young_mb, 300);
    assert_non_null(strstr(p.reason, "heap 2G: MAX_HEAP_SIZE"));

    p = decide(&l, 4, &o, NULL, "500M");
    assert_string_equal(p.max_heap_size, "4096M"); /* 16384: 1024 vs 4096 */
    assert_string_equal(p.heap_newsize, "500M");
    assert_int_equal(p.young_mb, 500);
    assert_non_null(strstr(p.reason, "young 500M: HEAP_NEWSIZE"));

    p = decide(&l, 4, &o, "6g", "1g");
    assert_string_equal(p.max_heap_size, "6g");
    assert_string_equal(p.heap_newsize, "1g");
    assert_int_equal(p.heap_mb, 6144);
    assert_int_equal(p.young_mb, 1024);
}

/* 2.1 / 2.2: the pair always, -Xmn always; option files do not exist there
 * and whatever opts says is not what 2.x's script looks at. */
static void legacy_always_pair(void **state)
{
    (void)state;
    struct limits l = box(3072, 1);
    struct jvm_opts o = gc(false, true);
    with_xmx(&o, "8G", false);
    struct heap_plan p = decide(&l, 2, &o, NULL, NULL);
    assert_string_equal(p.max_heap_size, "1024M");
    assert_string_equal(p.heap_newsize, "100M");
    assert_int_equal(p.young_mb, 100);
    p = decide(&l, 2, NULL, NULL, NULL);
    assert_string_equal(p.max_heap_size, "1024M");
    assert_string_equal(p.heap_newsize, "100M");
}

/* -Xmx/-Xms in the option files: they set the heap. */
static void xmx_in_files_wins(void **state)
{
    (void)state;
    struct limits l = box(1024, 2);
    struct jvm_opts o = gc(true, false);
    with_xmx(&o, "4G", false);
    struct heap_plan p = decide(&l, 4, &o, NULL, NULL);
    /* CMS and no -Xmn in the files: the script adds -Xmn$HEAP_NEWSIZE, so the
     * pair goes out, sized from the real -Xmx: min(200, 4096 / 4). */
    assert_string_equal(p.max_heap_size, "4G");
    assert_string_equal(p.heap_newsize, "200M");
    assert_int_equal(p.heap_mb, 4096);
    assert_int_equal(p.young_mb, 200);
    assert_non_null(strstr(p.reason, "heap 4G: -Xmx4G in jvm-server.options"));

    /* The user's MAX_HEAP_SIZE does not size the heap then: said in a warning. */
    p = decide(&l, 4, &o, "8G", NULL);
    assert_string_equal(p.max_heap_size, "8G");
    assert_int_equal(p.heap_mb, 4096);
    assert_non_null(strstr(p.warning, "MAX_HEAP_SIZE=8G does not size the heap"));

    /* -Xmn in the files too: no -Xmn from the environment. */
    with_xmx(&o, "4G", true);
    p = decide(&l, 4, &o, NULL, NULL);
    assert_int_equal(p.young_mb, 0);
    assert_string_equal(p.max_heap_size, "4G");
    assert_non_null(strstr(p.reason, "young: -Xmn in the JVM options"));

    /* G1: nothing to export at all. */
    o = gc(false, true);
    with_xmx(&o, "3G", false);
    p = decide(&l, 5, &o, NULL, NULL);
    assert_string_equal(p.max_heap_size, "");
    assert_string_equal(p.heap_newsize, "");
    assert_int_equal(p.heap_mb, 3072);
}

/* Neither CMS nor G1 (e.g. ZGC): the script still wants the pair, passes no -Xmn. */
static void other_collector(void **state)
{
    (void)state;
    struct limits l = box(2048, 4);
    struct jvm_opts o = gc(false, false);
    struct heap_plan p = decide(&l, 5, &o, NULL, NULL);
    assert_string_equal(p.max_heap_size, "1024M");
    assert_string_equal(p.heap_newsize, "256M");
    assert_int_equal(p.young_mb, 0);
    assert_non_null(strstr(p.reason, "no -Xmn without CMS"));
}

/* What cassandra-env.sh or the JVM would refuse, refused first. */
static void refusals(void **state)
{
    (void)state;
    struct limits l = box(2048, 2);
    struct jvm_opts o = gc(true, false);
    o.has_xmx = true;
    snprintf(o.xmx, sizeof o.xmx, "2G");
    snprintf(o.xmx_where, sizeof o.xmx_where, "jvm.options");
    decide_err(&l, 3, &o, NULL, NULL, "jvm.options: -Xmx2G is set without -Xms");

    o = gc(true, false);
    o.has_xms = true;
    decide_err(&l, 4, &o, NULL, NULL, "-Xms is set without -Xmx");

    o = gc(true, false);
    o.has_xmn = true;
    decide_err(&l, 4, &o, NULL, NULL, "-Xmn is set without -Xmx");

    o = gc(false, true);
    with_xmx(&o, "4G", true);
    decide_err(&l, 4, &o, NULL, NULL, "-Xmn is set with the G1 collector");
    struct heap_plan p = decide(&l, 3, &o, NULL, NULL); /* 3.x has no such check */
    assert_int_equal(p.young_mb, 0);

    o = gc(true, true);
    decide_err(&l, 4, &o, NULL, NULL, "both -XX:+UseConcMarkSweepGC and -XX:+UseG1GC");

    o = gc(true, false);
    decide_err(&l, 4, &o, "4GB", NULL, "MAX_HEAP_SIZE=4GB");
    decide_err(&l, 4, &o, NULL, "lots", "HEAP_NEWSIZE=lots");
    decide_err(&l, 4, &o, "4444444444444444444444444444444444M", NULL, "MAX_HEAP_SIZE=");
    with_xmx(&o, "huge", false);
    decide_err(&l, 4, &o, NULL, NULL, "-Xmxhuge is not a JVM heap size");

    /* A container too small for any heap. */
    struct limits tiny = box(1, 1);
    o = gc(false, true);
    decide_err(&tiny, 5, &o, NULL, NULL, "too small");
}

static void zero_cpus_count_as_one(void **state)
{
    (void)state;
    struct limits l = box(8192, 0);
    struct jvm_opts o = gc(true, false);
    struct heap_plan p = decide(&l, 4, &o, NULL, NULL);
    assert_string_equal(p.heap_newsize, "100M");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formula_table),
        cmocka_unit_test(parse_sizes),
        cmocka_unit_test(cms_computed_pair),
        cmocka_unit_test(g1_heap_only),
        cmocka_unit_test(user_values_and_the_pair),
        cmocka_unit_test(legacy_always_pair),
        cmocka_unit_test(xmx_in_files_wins),
        cmocka_unit_test(other_collector),
        cmocka_unit_test(refusals),
        cmocka_unit_test(zero_cpus_count_as_one),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
