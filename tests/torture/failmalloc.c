/*
 * tests/torture/failmalloc.c: an LD_PRELOAD shim that makes the Nth heap
 * allocation of a process fail (FAILMALLOC_AT=N, counting from 1), the way
 * curl's torture tests walk every allocation.  The torture suite runs a
 * program once with FAILMALLOC_AT unset to count its allocations
 * (FAILMALLOC_COUNT=FILE: the count is written there at exit), then once per
 * N, and checks that each run ends with a message and a non-zero status, or
 * succeeds, but never crashes.
 *
 * It also keeps the number of live heap blocks (allocated, not yet freed) and
 * writes it beside the count at exit: "CALLS LIVE".  A run that gives up on a
 * failed allocation must free what it took as the full run does, so the suite
 * compares the two.  stdout gets a static buffer here, so that libc's own
 * buffer for it is not a live block the program could not free.
 *
 * Why a preload and not a build flag: it tests the very binary the suites
 * test, and every allocation of the process (libyaml's, libc's on behalf of
 * the program) without touching the code.  glibc lets malloc be replaced and
 * exports __libc_malloc and friends to forward to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static unsigned long calls, fail_at;
static long live; /* blocks allocated and not freed */
static int armed = -1;
static char stdout_buffer[BUFSIZ];

__attribute__((constructor)) static void own_stdout_buffer(void)
{
    setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
}

static int should_fail(void)
{
    if (armed < 0) {
        const char *v = getenv("FAILMALLOC_AT");
        fail_at = v ? strtoul(v, NULL, 10) : 0;
        armed = 1;
    }
    if (++calls != fail_at) return 0;
    errno = ENOMEM; /* as malloc does */
    return 1;
}

static void *counted(void *p)
{
    if (p) live++;
    return p;
}

void *malloc(size_t n)
{
    return should_fail() ? NULL : counted(__libc_malloc(n));
}

void *calloc(size_t a, size_t b)
{
    return should_fail() ? NULL : counted(__libc_calloc(a, b));
}

void *realloc(void *p, size_t n)
{
    if (!p) return malloc(n);
    if (n == 0) { /* a free, as glibc does it */
        free(p);
        return NULL;
    }
    return should_fail() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
    if (p) live--;
    __libc_free(p);
}

void *memalign(size_t align, size_t n)
{
    return should_fail() ? NULL : counted(__libc_memalign(align, n));
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = memalign(align, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void)
{
    const char *out = getenv("FAILMALLOC_COUNT");
    if (!out)
        return;
    fflush(stdout);
    long live_at_exit = live; /* before fopen's own block */
    FILE *f = fopen(out, "w");
    if (f) {
        fprintf(f, "%lu %ld\n", calls, live_at_exit);
        fclose(f);
    }
}
