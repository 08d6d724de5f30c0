/*
 * tests/torture/failmalloc.c: an LD_PRELOAD shim that makes the Nth heap
 * allocation of a process fail (FAILMALLOC_AT=N, counting from 1), the way
 * curl's torture tests walk every allocation.  The torture suite runs a
 * program once with FAILMALLOC_AT unset to count its allocations
 * (FAILMALLOC_COUNT=FILE: the count is written there at exit), then once per
 * N, and checks that each run ends with a message and a non-zero status, or
 * succeeds, but never crashes.
 *
 * Why a preload and not a build flag: it tests the very binary the suites
 * test, and every allocation of the process (libyaml's, libc's on behalf of
 * the program) without touching the code.  glibc lets malloc be replaced and
 * exports __libc_malloc and friends to forward to.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static unsigned long calls, fail_at;
static int armed = -1;

static int should_fail(void)
{
    if (armed < 0) {
        const char *v = getenv("FAILMALLOC_AT");
        fail_at = v ? strtoul(v, NULL, 10) : 0;
        armed = 1;
    }
    return ++calls == fail_at;
}

void *malloc(size_t n)
{
    return should_fail() ? NULL : __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    return should_fail() ? NULL : __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __libc_realloc(p, n);
}

__attribute__((destructor)) static void report(void)
{
    const char *out = getenv("FAILMALLOC_COUNT");
    if (!out)
        return;
    FILE *f = fopen(out, "w");
    if (f) {
        fprintf(f, "%lu\n", calls);
        fclose(f);
    }
}
