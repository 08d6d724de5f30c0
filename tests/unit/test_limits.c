/*
 * Unit tests of entrypoint/limits: fake cgroup v1 and v2 trees and /proc files
 * built in a temporary directory, read through limits_read(root, ...).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "entrypoint/limits.h"
#include "tests/unit/testfs.h"

#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)

/* ---- fake trees ----------------------------------------------------------- */

/* A host of 64 GiB and 8 processors, as /proc shows it inside a container. */
static void host_proc(const char *root)
{
    testfs_put(
        root, "proc/meminfo",
        "MemTotal:       67108864 kB\nMemFree:        60000000 kB\nMemAvailable:   61000000 kB\n");
    char cpuinfo[2048] = "";
    for (int i = 0; i < 8; i++) {
        char b[200];
        snprintf(b, sizeof b, "processor\t: %d\nvendor_id\t: GenuineIntel\nmodel name\t: X\n\n", i);
        strcat(cpuinfo, b);
    }
    testfs_put(root, "proc/cpuinfo", cpuinfo);
}

static void read_ok(const char *root, int online, struct limits *l)
{
    entry_error err = { 0 };
    int rc = limits_read(root, online, l, &err);
    if (rc)
        fail_msg("limits_read(%s) = %d: %s", root, rc, err.message);
}

/* ---- cgroup v2 ------------------------------------------------------------ */

static void v2_private_namespace(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", "0::/\n");
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
    testfs_put(r, "sys/fs/cgroup/memory.max", "1073741824\n");
    testfs_put(r, "sys/fs/cgroup/cpu.max", "150000 100000\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.cgroup_version, 2);
    assert_int_equal(l.mem_bytes, GIB);
    assert_int_equal(l.cgroup_mem_bytes, GIB);
    assert_int_equal(l.mem_total_bytes, 64 * GIB);
    assert_string_equal(l.mem_reason, "cgroup v2 memory.max 1.0G");
    assert_int_equal(l.online_cpus, 8);
    assert_int_equal(l.cpus, 2); /* 1.5 cpus rounds up */
    assert_int_equal(l.cpu_quota_us, 150000);
    assert_int_equal(l.cpu_period_us, 100000);
    assert_string_equal(l.cpu_reason, "2 cpus (cgroup v2 cpu.max 150000/100000)");
}

static void v2_no_limits(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", "0::/\n");
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
    testfs_put(r, "sys/fs/cgroup/memory.max", "max\n");
    testfs_put(r, "sys/fs/cgroup/cpu.max", "max 100000\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.cgroup_version, 2);
    assert_int_equal(l.mem_bytes, 64 * GIB);
    assert_int_equal(l.cgroup_mem_bytes, 0);
    assert_string_equal(l.mem_reason, "MemTotal 64.0G, no cgroup memory limit");
    assert_int_equal(l.cpus, 8);
    assert_int_equal(l.cpu_quota_us, 0);
    assert_string_equal(l.cpu_reason, "8 online cpus");
}

/* Host cgroup namespace: the container's cgroup is a directory below the
 * mount, named in /proc/self/cgroup; a parent's lower limit binds too. */
static void v2_host_namespace_and_ancestors(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
    testfs_put(r, "sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "2147483648\n");
    testfs_put(r, "sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "max 100000\n");
    testfs_put(r, "sys/fs/cgroup/kubepods/pod1/memory.max", "1610612736\n"); /* 1.5G */
    testfs_put(r, "sys/fs/cgroup/kubepods/pod1/cpu.max", "300000 100000\n");
    testfs_put(r, "sys/fs/cgroup/kubepods/memory.max", "max\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, 1536 * MIB);
    assert_string_equal(l.mem_reason, "cgroup v2 memory.max 1.5G");
    assert_int_equal(l.cpus, 3);

    /* A leaf lower than its parents is the one that counts. */
    testfs_put(r, "sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "805306368\n"); /* 768M */
    testfs_put(r, "sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "100000 100000\n");
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, 768 * MIB);
    assert_string_equal(l.mem_reason, "cgroup v2 memory.max 768M");
    assert_int_equal(l.cpus, 1);
    assert_string_equal(l.cpu_reason, "1 cpu (cgroup v2 cpu.max 100000/100000)");
}

/* The path of /proc/self/cgroup does not exist below the mount (a private
 * namespace that still shows the host path, or "/.."): read the mount root. */
static void v2_fallback_to_mount_root(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
    testfs_put(r, "sys/fs/cgroup/memory.max", "536870912\n");
    testfs_put(r, "proc/self/cgroup", "0::/system.slice/docker-0123.scope\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, 512 * MIB);

    testfs_put(r, "proc/self/cgroup", "0::/../../elsewhere\n");
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, 512 * MIB);

    /* No /proc/self/cgroup at all. */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/proc/self/cgroup", r);
    assert_int_equal(unlink(path), 0);
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, 512 * MIB);
    assert_string_equal(l.mem_reason, "cgroup v2 memory.max 512M");
}

static void v2_limit_above_memtotal(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", "0::/\n");
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "memory\n");
    testfs_put(r, "sys/fs/cgroup/memory.max", "137438953472\n"); /* 128 GiB on a 64 GiB host */
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, 64 * GIB);
    assert_int_equal(l.cgroup_mem_bytes, 128 * GIB);
    assert_string_equal(l.mem_reason, "MemTotal 64.0G (below cgroup v2 memory.max 128.0G)");
}

static void v2_quota_without_period(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", "0::/\n");
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "cpu\n");
    testfs_put(r, "sys/fs/cgroup/cpu.max", "250000\n"); /* the kernel's default period 100000 */
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.cpus, 3);
    assert_int_equal(l.cpu_period_us, 100000);
    assert_int_equal(l.mem_bytes, 64 * GIB); /* no memory.max file: no limit */
}

static void v2_garbage_is_an_error(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", "0::/\n");
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "memory\n");
    testfs_put(r, "sys/fs/cgroup/memory.max", "lots\n");
    struct limits l;
    entry_error err = { 0 };
    assert_int_equal(limits_read(r, 0, &l, &err), EX_DATAERR);
    assert_non_null(strstr(err.message, "sys/fs/cgroup/memory.max"));
    assert_non_null(strstr(err.message, "lots"));

    testfs_put(r, "sys/fs/cgroup/memory.max", "max\n");
    testfs_put(r, "sys/fs/cgroup/cpu.max", "half 100000\n");
    err = (entry_error){ 0 };
    assert_int_equal(limits_read(r, 0, &l, &err), EX_DATAERR);
    assert_non_null(strstr(err.message, "cpu.max"));
}

/* ---- cgroup v1 ------------------------------------------------------------ */

static const char V1_CGROUP[] =
    "12:pids:/docker/abc\n"
    "4:memory:/docker/abc\n"
    "3:cpu,cpuacct:/docker/abc\n"
    "1:name=systemd:/docker/abc\n"
    "0::/system.slice/containerd.service\n";

static void v1_limits_in_container_dir(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", V1_CGROUP);
    testfs_put(r, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    testfs_put(r, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "2147483648\n");
    testfs_put(r, "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "50000\n");
    testfs_put(r, "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.cgroup_version, 1);
    assert_int_equal(l.mem_bytes, 2 * GIB);
    assert_string_equal(l.mem_reason, "cgroup v1 memory.limit_in_bytes 2.0G");
    assert_int_equal(l.cpus, 1);
    assert_string_equal(l.cpu_reason,
                        "1 cpu (cgroup v1 cpu.cfs_quota_us/cfs_period_us 50000/100000)");
}

/* Docker on v1 mounts the container's own cgroup as the hierarchy root, while
 * /proc/self/cgroup still names /docker/<id>: the root is read. */
static void v1_docker_view(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", V1_CGROUP);
    testfs_put(r, "sys/fs/cgroup/memory/memory.limit_in_bytes", "1073741824\n");
    testfs_put(r, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "200000\n");
    testfs_put(r, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, GIB);
    assert_int_equal(l.cpus, 2); /* "cpu" found when "cpu,cpuacct" is not there */
}

/* The huge "unlimited" value is no limit; memory.stat's hierarchical limit
 * (a parent's) still applies. */
static void v1_unlimited_and_hierarchical(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "proc/self/cgroup", "4:memory:/\n3:cpu,cpuacct:/\n");
    testfs_put(r, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    testfs_put(r, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    testfs_put(r, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.cgroup_version, 1);
    assert_int_equal(l.cgroup_mem_bytes, 0);
    assert_int_equal(l.mem_bytes, 64 * GIB);
    assert_int_equal(l.cpus, 8);
    assert_int_equal(l.cpu_quota_us, 0);

    /* 64K pages round LONG_MAX differently: still no limit. */
    testfs_put(r, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854710272\n");
    read_ok(r, 0, &l);
    assert_int_equal(l.cgroup_mem_bytes, 0);

    testfs_put(r, "sys/fs/cgroup/memory/memory.stat",
               "cache 0\nrss 0\nhierarchical_memory_limit 3221225472\n"
               "hierarchical_memsw_limit 9223372036854771712\ntotal_cache 0\n");
    read_ok(r, 0, &l);
    assert_int_equal(l.mem_bytes, 3 * GIB);
    assert_string_equal(l.mem_reason, "cgroup v1 memory.limit_in_bytes 3.0G");
}

static void v1_garbage_is_an_error(void **state)
{
    const char *r = *state;
    host_proc(r);
    testfs_put(r, "sys/fs/cgroup/memory/memory.limit_in_bytes", "-5\n");
    struct limits l;
    entry_error err = { 0 };
    assert_int_equal(limits_read(r, 0, &l, &err), EX_DATAERR);
    assert_non_null(strstr(err.message, "memory.limit_in_bytes"));
}

/* ---- cpus and /proc ------------------------------------------------------- */

static void online_count_is_used_and_lowered_by_quota(void **state)
{
    const char *r = *state;
    host_proc(r);
    struct limits l;
    read_ok(r, 3, &l); /* e.g. a cpuset of 3 cpus: the affinity mask */
    assert_int_equal(l.online_cpus, 3);
    assert_int_equal(l.cpus, 3);
    assert_int_equal(l.cgroup_version, 0);
    assert_string_equal(l.cpu_reason, "3 online cpus");

    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "cpu\n");
    testfs_put(r, "sys/fs/cgroup/cpu.max", "800000 100000\n"); /* 8 cpus of quota, 3 usable */
    read_ok(r, 3, &l);
    assert_int_equal(l.cpus, 3);
    assert_string_equal(l.cpu_reason, "3 online cpus");
}

static void cpuinfo_counted_like_cassandra_env(void **state)
{
    const char *r = *state;
    testfs_put(r, "proc/meminfo", "MemTotal: 1048576 kB\n");
    /* egrep -c 'processor([[:space:]]+):.*': an ARM-style file, and lines that
     * only mention the word do not count. */
    testfs_put(r, "proc/cpuinfo",
               "processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\n\nprocessor : 2\n"
               "model name\t: some processor\nprocessors: 9\n");
    struct limits l;
    read_ok(r, 0, &l);
    assert_int_equal(l.online_cpus, 3);
    assert_int_equal(l.mem_bytes, GIB);
    assert_string_equal(l.mem_reason, "MemTotal 1.0G, no cgroup memory limit");

    /* No cpuinfo and no count: at least one cpu, as cassandra-env.sh does. */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/proc/cpuinfo", r);
    unlink(path);
    read_ok(r, 0, &l);
    assert_int_equal(l.online_cpus, 0);
    assert_int_equal(l.cpus, 1);
}

static void nothing_known_is_an_error(void **state)
{
    const char *r = *state;
    struct limits l;
    entry_error err = { 0 };
    assert_int_equal(limits_read(r, 1, &l, &err), EX_OSFILE);
    assert_non_null(strstr(err.message, "/proc/meminfo"));

    /* A cgroup limit alone is enough. */
    testfs_put(r, "sys/fs/cgroup/cgroup.controllers", "memory\n");
    testfs_put(r, "sys/fs/cgroup/memory.max", "1073741824\n");
    read_ok(r, 1, &l);
    assert_int_equal(l.mem_bytes, GIB);
    assert_int_equal(l.mem_total_bytes, 0);
}

static void bad_meminfo_is_an_error(void **state)
{
    const char *r = *state;
    testfs_put(r, "proc/meminfo", "MemTotal:       12345 MB\n");
    struct limits l;
    entry_error err = { 0 };
    assert_int_equal(limits_read(r, 1, &l, &err), EX_DATAERR);
    assert_non_null(strstr(err.message, "MemTotal"));
}

static void root_with_trailing_slash(void **state)
{
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/", (const char *)*state);
    host_proc(*state);
    struct limits l;
    read_ok(root, 0, &l);
    assert_int_equal(l.mem_bytes, 64 * GIB);
}

/* The machine these tests run on: whatever it is, the answer is sane and no
 * larger than the machine. */
static void real_root(void **state)
{
    (void)state;
    struct limits l;
    read_ok("", 0, &l);
    assert_true(l.mem_bytes > 0);
    assert_true(l.mem_total_bytes > 0);
    assert_true(l.mem_bytes <= l.mem_total_bytes);
    assert_true(l.cpus >= 1);
    long online = sysconf(_SC_NPROCESSORS_CONF);
    assert_true(l.cpus <= (online > 0 ? online : 1) || l.online_cpus == 0);
    assert_true(l.mem_reason[0] != '\0');
}

static void format_size(void **state)
{
    (void)state;
    char b[32];
    limits_format_size(GIB, b, sizeof b);
    assert_string_equal(b, "1.0G");
    limits_format_size(GIB + GIB / 2, b, sizeof b);
    assert_string_equal(b, "1.5G");
    limits_format_size(768 * MIB, b, sizeof b);
    assert_string_equal(b, "768M");
    limits_format_size(512 * 1024, b, sizeof b);
    assert_string_equal(b, "512K");
    limits_format_size(64 * GIB, b, sizeof b);
    assert_string_equal(b, "64.0G");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(v2_private_namespace, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v2_no_limits, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v2_host_namespace_and_ancestors, testfs_setup,
                                        testfs_teardown),
        cmocka_unit_test_setup_teardown(v2_fallback_to_mount_root, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v2_limit_above_memtotal, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v2_quota_without_period, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v2_garbage_is_an_error, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v1_limits_in_container_dir, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v1_docker_view, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(v1_unlimited_and_hierarchical, testfs_setup,
                                        testfs_teardown),
        cmocka_unit_test_setup_teardown(v1_garbage_is_an_error, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(online_count_is_used_and_lowered_by_quota, testfs_setup,
                                        testfs_teardown),
        cmocka_unit_test_setup_teardown(cpuinfo_counted_like_cassandra_env, testfs_setup,
                                        testfs_teardown),
        cmocka_unit_test_setup_teardown(nothing_known_is_an_error, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(bad_meminfo_is_an_error, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(root_with_trailing_slash, testfs_setup, testfs_teardown),
        cmocka_unit_test(real_root),
        cmocka_unit_test(format_size),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
