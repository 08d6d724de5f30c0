/* Out of memory in cass-entry's start-up steps: each allocation of the step,
 * in turn, fails (the linker sends the modules' malloc, calloc, realloc,
 * strdup and strndup here: -Wl,--wrap in entrypoint/build.mk).  Every such run
 * must fail with exit code 71 (EX_OSERR) and a message saying so, never
 * succeed with a value cut short, never report another cause (a missing
 * /etc/group, an unreadable _FILE), and leak nothing (the unit suite runs this
 * test again under valgrind; `make asan` under LeakSanitizer).  A run where nothing failed must succeed: that
 * is how the loop knows it has tried every allocation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entrypoint/cmdline.h"
#include "entrypoint/envfile.h"
#include "entrypoint/error.h"
#include "entrypoint/privileges.h"
#include "entrypoint/settings.h"

/* ---- the failing allocator ---- */

/* Allocations that still succeed before the one that fails; -1: none fails. */
static long budget = -1;
static unsigned long failures; /* allocations failed so far */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* Whether this allocation may succeed: the budget-th one fails, once. */
static bool allowed(void)
{
    if (budget < 0)
        return true;
    if (budget-- > 0)
        return true;
    budget = -1;
    failures++;
    errno = ENOMEM;
    return false;
}

void *__wrap_malloc(size_t n) { return allowed() ? __real_malloc(n) : NULL; }
void *__wrap_calloc(size_t n, size_t size) { return allowed() ? __real_calloc(n, size) : NULL; }
void *__wrap_realloc(void *p, size_t n) { return allowed() ? __real_realloc(p, n) : NULL; }
char *__wrap_strdup(const char *s) { return allowed() ? __real_strdup(s) : NULL; }
char *__wrap_strndup(const char *s, size_t n) { return allowed() ? __real_strndup(s, n) : NULL; }

/* One run of a step: true when it succeeded; on failure err holds why.
 * cleanup frees what a successful run made. */
typedef bool (*step_fn)(void *ctx, entry_error *err);

/* Run `step` with allocation k failing, for k = 0, 1, ... until a run
 * needs fewer than k+1 allocations (nothing failed: it must succeed).
 * Returns how many allocations were made to fail (at least min_failing). */
static unsigned long each_allocation_failing(step_fn step, void (*cleanup)(void *), void *ctx,
                                             unsigned long min_failing)
{
    unsigned long failed_runs = 0;
    for (long k = 0; k < 100000; k++) {
        entry_error err;
        memset(&err, 0, sizeof err);
        unsigned long before = failures;
        budget = k;
        bool ok = step(ctx, &err);
        budget = -1;
        if (failures == before) {
            if (!ok)
                fail_msg("no allocation failed, yet the step did: %s", err.message);
            cleanup(ctx);
            print_message("%lu allocations, each made to fail in turn\n", failed_runs);
            assert_true(failed_runs >= min_failing);
            return failed_runs;
        }
        if (ok)
            fail_msg("allocation %ld failed, yet the step succeeded", k);
        if (err.code != EX_OSERR || !strstr(err.message, "memory"))
            fail_msg("allocation %ld failed: exit %d, '%s' (want %d, out of memory)", k,
                     err.code, err.message, EX_OSERR);
        failed_runs++;
    }
    fail_msg("the step never ran to its end");
    return 0;
}

/* ---- a scratch directory ---- */

static char scratch[64];

static void write_file(const char *rel, const char *text, size_t repeat)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", scratch, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < repeat; i++)
        fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int make_scratch(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/test_oom.XXXXXX");
    if (!mkdtemp(scratch))
        return -1;
    char etc[128];
    snprintf(etc, sizeof etc, "%s/etc", scratch);
    return mkdir(etc, 0755);
}

static int remove_scratch(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- _FILE values ---- */

typedef struct {
    settings_input in;
    char *value;
} file_ctx;

static bool read_secret(void *ctx, entry_error *err)
{
    file_ctx *x = ctx;
    bool from_file;
    return envfile_read(&x->in, "CASSANDRA_PASSWORD", &x->value, &from_file, err);
}

static void free_secret(void *ctx)
{
    file_ctx *x = ctx;
    assert_non_null(x->value);
    assert_int_equal(strlen(x->value), 3000); /* the whole value, its newline removed */
    free(x->value);
    x->value = NULL;
}

/* A 3000-byte secret: the buffer grows 256 -> 4096, five allocations. */
static void test_file_value(void **state)
{
    (void)state;
    write_file("secret", "0123456789", 300);
    write_file("secret-nl", "\n", 1);
    char path[256], env0[300];
    snprintf(path, sizeof path, "%s/secret", scratch);
    snprintf(env0, sizeof env0, "CASSANDRA_PASSWORD_FILE=%s", path);
    char *envp[] = {env0, NULL};
    file_ctx x = {.in = {.envp = envp}};
    assert_true(each_allocation_failing(read_secret, free_secret, &x, 5) >= 5);
}

static bool read_plain(void *ctx, entry_error *err)
{
    file_ctx *x = ctx;
    bool from_file;
    return envfile_read(&x->in, "CASSANDRA_SEEDS", &x->value, &from_file, err);
}

static void free_plain(void *ctx)
{
    file_ctx *x = ctx;
    assert_string_equal(x->value, "cass1,cass2");
    free(x->value);
    x->value = NULL;
}

static void test_plain_value(void **state)
{
    (void)state;
    char *envp[] = {(char *)"CASSANDRA_SEEDS=cass1,cass2", NULL};
    file_ctx x = {.in = {.envp = envp}};
    assert_int_equal(each_allocation_failing(read_plain, free_plain, &x, 1), 1);
}

/* ---- the passwd lookup ---- */

typedef struct {
    priv_ids ids;
} lookup_ctx;

static bool lookup(void *ctx, entry_error *err)
{
    lookup_ctx *x = ctx;
    return priv_lookup(scratch, "cassandra", NULL, &x->ids, err) == PRIV_OK;
}

static void check_ids(void *ctx)
{
    lookup_ctx *x = ctx;
    assert_int_equal(x->ids.uid, 999);
    assert_int_equal(x->ids.gid, 999);
    assert_int_equal(x->ids.ngroups, 2); /* its own group, then "data" */
    assert_int_equal(x->ids.groups[1], 2000);
}

/* passwd and group of more than 4 KiB (the reads grow their buffer), the
 * user at the end of each. */
static void test_passwd_lookup(void **state)
{
    (void)state;
    char line[128];
    write_file("etc/passwd", "# a long comment line, to make the file grow past one buffer\n",
               100);
    snprintf(line, sizeof line, "cassandra:x:999:999::/var/lib/cassandra:/bin/bash\n");
    char path[256];
    snprintf(path, sizeof path, "%s/etc/passwd", scratch);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(line, f);
    assert_int_equal(fclose(f), 0);
    write_file("etc/group", "# a long comment line, to make the file grow past one buffer\n",
               100);
    snprintf(path, sizeof path, "%s/etc/group", scratch);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs("cassandra:x:999:\ndata:x:2000:cassandra\n", f);
    assert_int_equal(fclose(f), 0);
    lookup_ctx x;
    memset(&x, 0, sizeof x);
    /* passwd: read, grown, copied (find_user's cursor); group: read, grown */
    assert_true(each_allocation_failing(lookup, check_ids, &x, 5) >= 5);
}

static void check_primary_only(void *ctx)
{
    lookup_ctx *x = ctx;
    assert_int_equal(x->ids.uid, 999);
    assert_int_equal(x->ids.ngroups, 1);
    assert_int_equal(x->ids.groups[0], 999);
}

/* Without /etc/group the lookup goes on with the primary group; out of
 * memory reading it must not pass for "there is no group file". */
static void test_passwd_lookup_without_group(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/etc/group", scratch);
    unlink(path);
    write_file("etc/passwd", "cassandra:x:999:999::/var/lib/cassandra:/bin/bash\n", 1);
    lookup_ctx x;
    memset(&x, 0, sizeof x);
    assert_true(each_allocation_failing(lookup, check_primary_only, &x, 2) >= 2);
}

/* ---- the whole of settings ---- */

typedef struct {
    settings s;
    addrs_facts facts;
    char *env[8];
} resolve_ctx;

static bool resolve(void *ctx, entry_error *err)
{
    resolve_ctx *x = ctx;
    char *argv[] = {(char *)"cass-entry", (char *)"cass1,cass2", NULL};
    settings_input in = {.argc = 2, .argv = argv, .envp = x->env, .facts = &x->facts};
    settings_init(&x->s);
    bool ok = settings_parse_command_line(&in, &x->s, err) && settings_resolve(&in, &x->s, err);
    if (!ok)
        settings_free(&x->s);
    return ok;
}

static void free_settings(void *ctx)
{
    resolve_ctx *x = ctx;
    assert_true(x->s.n_edits >= 6);
    settings_free(&x->s);
}

static void test_settings_resolve(void **state)
{
    (void)state;
    resolve_ctx x;
    memset(&x, 0, sizeof x);
    addrs_facts_init(&x.facts);
    assert_true(addrs_facts_add_iface(&x.facts, "lo", "127.0.0.1", true, true));
    assert_true(addrs_facts_add_iface(&x.facts, "eth0", "172.18.0.2", true, false));
    char path[256], envf[300];
    snprintf(path, sizeof path, "%s/secret", scratch);
    write_file("secret", "s3cret\n", 1);
    snprintf(envf, sizeof envf, "CASSANDRA_PASSWORD_FILE=%s", path);
    x.env[0] = (char *)"CASSANDRA_CLUSTER_NAME=Test Cluster";
    x.env[1] = (char *)"CASSANDRA_DC=dc1";
    x.env[2] = (char *)"CASSANDRA_NUM_TOKENS=16";
    x.env[3] = (char *)"CASSANDRA_CFG_YAML_CONCURRENT_READS=64";
    x.env[4] = (char *)"CASSANDRA_LISTEN_ADRESS=typo"; /* a hint note */
    x.env[5] = envf;
    x.env[6] = NULL;
    assert_true(each_allocation_failing(resolve, free_settings, &x, 20) >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_value),
        cmocka_unit_test(test_file_value),
        cmocka_unit_test(test_passwd_lookup),
        cmocka_unit_test(test_passwd_lookup_without_group),
        cmocka_unit_test(test_settings_resolve),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
