/* Unit tests of entrypoint/settings: the command line and passthrough, the
 * precedence rules, the default chain, every validation rule, seed parsing,
 * CASSANDRA_CFG_YAML_ names, _FILE (with real temporary files), the subnet
 * choice, --help and the README table.
 *
 * The node the tests run on is fake: its addresses are an addrs_facts filled
 * by hand, its PATH a list of names, its DNS a small table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entrypoint/cmdline.h"
#include "entrypoint/help.h"
#include "entrypoint/settings.h"

/* ------------------------------------------------------------------ */
/* The fake node                                                      */

/* node1: eth1 10.0.5.7 (an overlay, listed first), eth0 172.18.0.2 (the one
 * /etc/hosts names), IPv6 fd00::2 and fe80::2 on eth0, lo. */
static void fake_facts(addrs_facts *f)
{
    addrs_facts_init(f);
    strcpy(f->hostname, "node1");
    assert_true(addrs_facts_add_iface(f, "lo", "127.0.0.1", true, true));
    assert_true(addrs_facts_add_iface(f, "eth1", "10.0.5.7", true, false));
    assert_true(addrs_facts_add_iface(f, "eth0", "172.18.0.2", true, false));
    assert_true(addrs_facts_add_iface(f, "eth0", "fd00::2", true, false));
    assert_true(addrs_facts_add_iface(f, "eth0", "fe80::2", true, false));
    assert_true(addrs_facts_add_host(f, "172.18.0.2"));
}

static bool fake_is_command(void *ctx, const char *name, const char *path_env)
{
    (void)ctx;
    (void)path_env;
    static const char *const commands[] = {"bash", "cqlsh", "nodetool", "sh"};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i]) == 0)
            return true;
    return false;
}

static size_t fake_resolve(void *ctx, const char *name, addrs_ip *out, size_t max)
{
    (void)ctx;
    static const char *const table[][3] = {
        {"node1.example", "10.0.5.7", NULL},
        {"multi.example", "10.9.9.9", "172.18.0.2"}, /* the second address is ours */
        {"elsewhere.example", "10.9.9.9", NULL},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (strcmp(name, table[i][0]) != 0)
            continue;
        size_t n = 0;
        for (size_t k = 1; k < 3 && table[i][k] && n < max; k++)
            assert_true(addrs_ip_parse(table[i][k], &out[n++]));
        return n;
    }
    return 0;
}

/* Parse (and resolve when the mode is RUN) with the fake node.  args and env
 * are NULL-terminated lists; args[0] is not the program (added here). */
static bool run(const char *const *args, const char *const *env, settings *s,
                entry_error *err)
{
    static addrs_facts facts;
    fake_facts(&facts);
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"cass-entry";
    for (; args && *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    settings_input in = {
        .argc = argc,
        .argv = argv,
        .envp = (char *const *)env,
        .facts = &facts,
        .is_command = fake_is_command,
        .resolve = fake_resolve,
    };
    memset(err, 0, sizeof *err);
    settings_init(s);
    if (!settings_parse_command_line(&in, s, err))
        return false;
    if (s->mode != SETTINGS_RUN)
        return true;
    return settings_resolve(&in, s, err);
}

/* The run must fail with exit code `code` and a message holding `want`. */
static void expect_failure(const char *const *args, const char *const *env, int code,
                           const char *want)
{
    settings s;
    entry_error err;
    if (run(args, env, &s, &err))
        fail_msg("expected a failure mentioning '%s', but it succeeded", want);
    if (!strstr(err.message, want))
        fail_msg("message '%s' does not mention '%s'", err.message, want);
    assert_int_equal(err.code, code);
    settings_free(&s);
}

static const settings_edit *find_edit(const settings *s, const char *path)
{
    const settings_edit *found = NULL;
    for (size_t i = 0; i < s->n_edits; i++) {
        if (strcmp(s->edits[i].path, path) == 0) {
            if (found)
                fail_msg("two edits of %s", path);
            found = &s->edits[i];
        }
    }
    return found;
}

/* The edit of `path` must exist with this value (NULL: a clearing edit). */
static const settings_edit *expect_edit(const settings *s, const char *path, const char *value)
{
    const settings_edit *e = find_edit(s, path);
    if (!e)
        fail_msg("no edit of %s", path);
    if (value == NULL) {
        assert_int_equal(e->type, SETTINGS_VALUE_NULL);
        assert_null(e->value);
        assert_true(e->if_present);
    } else {
        assert_non_null(e->value);
        if (strcmp(e->value, value) != 0)
            fail_msg("%s = '%s', expected '%s'", path, e->value, value);
    }
    return e;
}

static void expect_argv(const settings *s, const char *const *want)
{
    size_t n = 0;
    for (; want[n]; n++) {
        if (n >= s->argc)
            fail_msg("argv has %zu words, expected more ('%s')", s->argc, want[n]);
        assert_string_equal(s->argv[n], want[n]);
    }
    assert_int_equal(s->argc, n);
    assert_null(s->argv[n]);
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})
#define SEEDS "seed_provider[0].parameters[0].seeds"

/* A temporary file holding `text`; the caller frees the returned path after
 * unlinking it. */
static char *temp_file(const char *text)
{
    char tmpl[] = "/tmp/test_settings.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return strdup(tmpl);
}

static void drop_file(char *path)
{
    unlink(path);
    free(path);
}

/* ------------------------------------------------------------------ */
/* The command line                                                   */

static void test_no_arguments_runs_cassandra(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(NONE, NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_RUN);
    assert_false(s.dry_run);
    expect_argv(&s, L("cassandra", "-f"));
    assert_string_equal(s.conf_dir, "/etc/cassandra");
    settings_free(&s);
}

static void test_dash_arguments_go_to_cassandra(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(L("-R", "-Dcassandra.join_ring=false", "--unknown"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_RUN);
    expect_argv(&s, L("cassandra", "-f", "-R", "-Dcassandra.join_ring=false", "--unknown"));
    settings_free(&s);

    /* Our options first, then Cassandra's. */
    assert_true(run(L("--dry-run", "-R"), NONE, &s, &err));
    assert_true(s.dry_run);
    expect_argv(&s, L("cassandra", "-f", "-R"));
    settings_free(&s);
}

static void test_cassandra_command(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(L("cassandra"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_RUN);
    expect_argv(&s, L("cassandra", "-f"));
    settings_free(&s);

    assert_true(run(L("cassandra", "-f", "-R"), NONE, &s, &err)); /* no second -f */
    expect_argv(&s, L("cassandra", "-f", "-R"));
    settings_free(&s);

    assert_true(run(L("/opt/cassandra/bin/cassandra", "-R"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_RUN);
    expect_argv(&s, L("/opt/cassandra/bin/cassandra", "-f", "-R"));
    settings_free(&s);
}

static void test_passthrough(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    /* An executable on PATH runs untouched, with a broken environment too:
     * passthrough reads no configuration. */
    assert_true(run(L("nodetool", "status", "-r"), L("CASSANDRA_LISTEN_ADDRESS=0.0.0.0"), &s, &err));
    assert_int_equal(s.mode, SETTINGS_PASSTHROUGH);
    expect_argv(&s, L("nodetool", "status", "-r"));
    assert_int_equal(s.n_edits, 0);
    assert_null(s.conf_dir);
    settings_free(&s);

    assert_true(run(L("--", "cass1", "x"), NONE, &s, &err)); /* -- forces a command */
    assert_int_equal(s.mode, SETTINGS_PASSTHROUGH);
    expect_argv(&s, L("cass1", "x"));
    settings_free(&s);

    assert_true(run(L("./init.sh", "a"), NONE, &s, &err)); /* a path is a command */
    assert_int_equal(s.mode, SETTINGS_PASSTHROUGH);
    expect_argv(&s, L("./init.sh", "a"));
    settings_free(&s);

    assert_true(run(L("--dry-run", "bash"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_PASSTHROUGH);
    assert_true(s.dry_run);
    expect_argv(&s, L("bash"));
    settings_free(&s);

    expect_failure(L("--"), NONE, EX_USAGE, "--");
    expect_failure(L("--set", "a=1", "bash"), NONE, EX_USAGE, "--set");
}

static void test_seed_arguments(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    /* The original image's usage: the argument is the seed list. */
    assert_true(run(L("cass1"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_RUN);
    expect_argv(&s, L("cassandra", "-f"));
    expect_edit(&s, SEEDS, "cass1");
    settings_free(&s);

    assert_true(run(L("cass1", "cass2,10.0.0.3:7000", "-R"), NONE, &s, &err));
    expect_argv(&s, L("cassandra", "-f", "-R"));
    expect_edit(&s, SEEDS, "cass1,cass2,10.0.0.3:7000");
    assert_int_equal(s.n_seeds, 3);
    settings_free(&s);

    expect_failure(L(""), NONE, EX_CONFIG, "the seed list argument");
}

static void test_options(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(L("--conf", "/c1", "--set", "a.b=1", "--set=c[0]=x=y", "--dry-run"), NONE, &s,
                    &err));
    assert_true(s.dry_run);
    assert_string_equal(s.conf_dir, "/c1");
    assert_int_equal(s.n_sets, 2);
    expect_edit(&s, "a.b", "1");
    expect_edit(&s, "c[0]", "x=y");
    settings_free(&s);

    /* A path holding '=' inside a selector or quotes. */
    assert_true(run(L("--set", "seq[name=x].v=2", "--set", "m.\"a=b\"=3"), NONE, &s, &err));
    expect_edit(&s, "seq[name=x].v", "2");
    expect_edit(&s, "m.\"a=b\"", "3");
    settings_free(&s);

    assert_true(run(L("--conf=/c2"), L("CASSANDRA_CONF=/env/conf"), &s, &err));
    assert_string_equal(s.conf_dir, "/c2");
    settings_free(&s);
    assert_true(run(NONE, L("CASSANDRA_CONF=/env/conf"), &s, &err));
    assert_string_equal(s.conf_dir, "/env/conf");
    settings_free(&s);

    assert_true(run(L("--help", "whatever"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_HELP);
    settings_free(&s);
    assert_true(run(L("--version"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_VERSION);
    settings_free(&s);
    assert_true(run(L("--probe", "--conf", "/c3"), NONE, &s, &err));
    assert_int_equal(s.mode, SETTINGS_PROBE);
    assert_string_equal(s.conf_dir, "/c3");
    settings_free(&s);

    expect_failure(L("--set"), NONE, EX_USAGE, "--set needs a value");
    expect_failure(L("--conf"), NONE, EX_USAGE, "--conf needs a value");
    expect_failure(L("--conf="), NONE, EX_USAGE, "--conf");
    expect_failure(L("--set", "novalue"), NONE, EX_USAGE, "PATH=VALUE");
    expect_failure(L("--set", "=1"), NONE, EX_USAGE, "PATH=VALUE");
    expect_failure(L("--probe", "x"), NONE, EX_USAGE, "--probe");
    expect_failure(L("--probe", "--dry-run"), NONE, EX_USAGE, "--probe");
}

static void test_real_command_lookup(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/test_settings_path.XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char exe[256], plain[256], sub[256], path[600];
    snprintf(exe, sizeof exe, "%s/mytool", dir);
    snprintf(plain, sizeof plain, "%s/notexec", dir);
    snprintf(sub, sizeof sub, "%s/adir", dir);
    FILE *f = fopen(exe, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(exe, 0755), 0);
    f = fopen(plain, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(plain, 0644), 0);
    assert_int_equal(mkdir(sub, 0755), 0);

    snprintf(path, sizeof path, "/nonexistent:%s", dir);
    assert_true(settings_command_on_path(NULL, "mytool", path));
    assert_false(settings_command_on_path(NULL, "notexec", path));
    assert_false(settings_command_on_path(NULL, "adir", path)); /* a directory is no command */
    assert_false(settings_command_on_path(NULL, "cass1", path));
    assert_false(settings_command_on_path(NULL, "mytool", "/nonexistent"));
    assert_false(settings_command_on_path(NULL, "", path));

    unlink(exe);
    unlink(plain);
    rmdir(sub);
    rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* The default chain                                                  */

static void test_default_chain(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(NONE, NONE, &s, &err));
    /* auto: the host name's /etc/hosts address (eth0's, though eth1 exists). */
    const settings_edit *e = expect_edit(&s, "listen_address", "172.18.0.2");
    assert_int_equal(e->type, SETTINGS_VALUE_STRING);
    assert_false(e->if_present);
    assert_non_null(strstr(e->origin, "CASSANDRA_LISTEN_ADDRESS"));
    expect_edit(&s, "listen_interface", NULL);
    expect_edit(&s, "broadcast_address", "172.18.0.2");
    expect_edit(&s, "rpc_address", "0.0.0.0");
    expect_edit(&s, "rpc_interface", NULL);
    expect_edit(&s, "broadcast_rpc_address", "172.18.0.2");
    expect_edit(&s, SEEDS, "172.18.0.2");
    assert_int_equal(s.n_seeds, 1);
    assert_true(s.seeds[0].is_ip);
    assert_int_equal(s.seed_wait, 60);
    assert_null(find_edit(&s, "cluster_name")); /* not set: not touched */
    assert_null(find_edit(&s, "num_tokens"));
    assert_null(find_edit(&s, "start_rpc"));
    assert_null(s.dc.value);
    assert_null(s.max_heap_size.value);
    /* The log says why that address. */
    bool explained = false;
    for (size_t i = 0; i < s.n_notes; i++)
        explained = explained || (strstr(s.notes[i], "172.18.0.2") && strstr(s.notes[i], "/etc/hosts"));
    assert_true(explained);
    settings_free(&s);
}

static void test_chain_follows_given_values(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(NONE, L("CASSANDRA_LISTEN_ADDRESS=10.0.5.7"), &s, &err));
    expect_edit(&s, "listen_address", "10.0.5.7");
    expect_edit(&s, "broadcast_address", "10.0.5.7");
    expect_edit(&s, "broadcast_rpc_address", "10.0.5.7");
    expect_edit(&s, SEEDS, "10.0.5.7");
    settings_free(&s);

    /* A NAT address: broadcast (and what follows it) need not be ours. */
    assert_true(run(NONE, L("CASSANDRA_BROADCAST_ADDRESS=203.0.113.9"), &s, &err));
    expect_edit(&s, "listen_address", "172.18.0.2");
    expect_edit(&s, "broadcast_address", "203.0.113.9");
    expect_edit(&s, "broadcast_rpc_address", "203.0.113.9");
    expect_edit(&s, SEEDS, "203.0.113.9");
    settings_free(&s);

    assert_true(run(NONE, L("CASSANDRA_BROADCAST_ADDRESS=public.example",
                            "CASSANDRA_BROADCAST_RPC_ADDRESS=clients.example",
                            "CASSANDRA_RPC_ADDRESS=172.18.0.2", "CASSANDRA_SEEDS=s1,s2"),
                    &s, &err));
    expect_edit(&s, "broadcast_address", "public.example");
    expect_edit(&s, "broadcast_rpc_address", "clients.example");
    expect_edit(&s, "rpc_address", "172.18.0.2");
    expect_edit(&s, SEEDS, "s1,s2");
    settings_free(&s);

    /* auto for broadcast is the same choice as for listen. */
    assert_true(run(NONE, L("CASSANDRA_LISTEN_ADDRESS=10.0.5.7", "CASSANDRA_BROADCAST_ADDRESS=auto"),
                    &s, &err));
    expect_edit(&s, "broadcast_address", "172.18.0.2");
    settings_free(&s);
}

static void test_interface_names(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(NONE, L("CASSANDRA_LISTEN_ADDRESS=eth1", "CASSANDRA_RPC_ADDRESS=eth0"), &s, &err));
    expect_edit(&s, "listen_interface", "eth1");
    expect_edit(&s, "listen_address", NULL); /* never both */
    expect_edit(&s, "rpc_interface", "eth0");
    expect_edit(&s, "rpc_address", NULL);
    /* Cassandra has no broadcast_interface: the chain carries eth1's address. */
    expect_edit(&s, "broadcast_address", "10.0.5.7");
    expect_edit(&s, SEEDS, "10.0.5.7");
    settings_free(&s);

    assert_true(run(NONE, L("CASSANDRA_BROADCAST_ADDRESS=eth1", "CASSANDRA_BROADCAST_RPC_ADDRESS=eth0"),
                    &s, &err));
    expect_edit(&s, "listen_address", "172.18.0.2");
    expect_edit(&s, "broadcast_address", "10.0.5.7");
    expect_edit(&s, "broadcast_rpc_address", "172.18.0.2");
    settings_free(&s);

    /* Through an override of the _interface path. */
    assert_true(run(L("--set", "listen_interface=eth1"), NONE, &s, &err));
    expect_edit(&s, "listen_interface", "eth1");
    expect_edit(&s, "listen_address", NULL);
    expect_edit(&s, "broadcast_address", "10.0.5.7");
    settings_free(&s);
}

static void test_host_names_and_ipv6(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    /* A host name for listen must be ours; it is written as given and the
     * chain continues with the address. */
    assert_true(run(NONE, L("CASSANDRA_LISTEN_ADDRESS=node1.example"), &s, &err));
    expect_edit(&s, "listen_address", "node1.example");
    expect_edit(&s, "broadcast_address", "10.0.5.7");
    settings_free(&s);
    assert_true(run(NONE, L("CASSANDRA_LISTEN_ADDRESS=multi.example"), &s, &err));
    expect_edit(&s, "broadcast_address", "172.18.0.2");
    settings_free(&s);

    assert_true(run(NONE, L("CASSANDRA_LISTEN_ADDRESS=fd00::2"), &s, &err));
    expect_edit(&s, "listen_address", "fd00::2");
    expect_edit(&s, "broadcast_address", "fd00::2");
    expect_edit(&s, SEEDS, "fd00::2");
    assert_true(s.seeds[0].is_ip);
    settings_free(&s);

    assert_true(run(NONE, L("CASSANDRA_LISTEN_ADDRESS=[fd00::2]", "CASSANDRA_RPC_ADDRESS=::"), &s, &err));
    expect_edit(&s, "listen_address", "fd00::2");
    expect_edit(&s, "rpc_address", "::");
    expect_edit(&s, "broadcast_rpc_address", "fd00::2");
    settings_free(&s);
}

static void test_listen_subnet(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    /* On an overlay: the subnet wins over the /etc/hosts entry. */
    assert_true(run(NONE, L("CASSANDRA_LISTEN_SUBNET=10.0.5.0/24"), &s, &err));
    expect_edit(&s, "listen_address", "10.0.5.7");
    expect_edit(&s, SEEDS, "10.0.5.7");
    bool explained = false;
    for (size_t i = 0; i < s.n_notes; i++)
        explained = explained || strstr(s.notes[i], "CASSANDRA_LISTEN_SUBNET=10.0.5.0/24");
    assert_true(explained);
    settings_free(&s);

    assert_true(run(NONE, L("CASSANDRA_LISTEN_SUBNET=fd00::/64"), &s, &err));
    expect_edit(&s, "listen_address", "fd00::2");
    settings_free(&s);

    /* An explicit address makes the subnet moot, and the log says so. */
    assert_true(run(NONE, L("CASSANDRA_LISTEN_SUBNET=10.0.5.0/24", "CASSANDRA_LISTEN_ADDRESS=172.18.0.2"),
                    &s, &err));
    expect_edit(&s, "listen_address", "172.18.0.2");
    bool said = false;
    for (size_t i = 0; i < s.n_notes; i++)
        said = said || strstr(s.notes[i], "not used");
    assert_true(said);
    settings_free(&s);

    expect_failure(NONE, L("CASSANDRA_LISTEN_SUBNET=192.168.0.0/16"), EX_CONFIG,
                   "CASSANDRA_LISTEN_SUBNET");
    expect_failure(NONE, L("CASSANDRA_LISTEN_SUBNET=10.0.5.0/33"), EX_CONFIG,
                   "CASSANDRA_LISTEN_SUBNET");
    expect_failure(NONE, L("CASSANDRA_LISTEN_SUBNET=eth1"), EX_CONFIG,
                   "CASSANDRA_LISTEN_SUBNET");
}

/* The notes that are warnings about unknown variables, as one string. */
static void unknown_warnings(const settings *s, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_notes; i++)
        if (strstr(s->notes[i], "neither cass-entry nor Cassandra reads it")) {
            strncat(buf, s->notes[i], len - strlen(buf) - 1);
            strncat(buf, "\n", len - strlen(buf) - 1);
        }
}

static void test_unknown_variables_warned(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    char got[2048];
    /* Typos get the closest name; another image's variable gets none. */
    assert_true(run(NONE,
                    L("CASSANDRA_SEED=cass1", "CASSANDRA_CLUSTERNAME=x", "CASSANDRA_PASSWORD_SEEDER=yes",
                      "CASSANDRA_LISTEN_ADRESS=10.0.0.1"),
                    &s, &err));
    unknown_warnings(&s, got, sizeof got);
    assert_string_equal(
        got, "warning: CASSANDRA_SEED is set but neither cass-entry nor Cassandra reads it "
             "(did you mean CASSANDRA_SEEDS?)\n"
             "warning: CASSANDRA_CLUSTERNAME is set but neither cass-entry nor Cassandra reads "
             "it (did you mean CASSANDRA_CLUSTER_NAME?)\n"
             "warning: CASSANDRA_PASSWORD_SEEDER is set but neither cass-entry nor Cassandra reads it\n"
             "warning: CASSANDRA_LISTEN_ADRESS is set but neither cass-entry nor Cassandra "
             "reads it (did you mean CASSANDRA_LISTEN_ADDRESS?)\n");
    /* A warning changes nothing: the typo'd seed list is not used. */
    expect_edit(&s, SEEDS, "172.18.0.2");
    settings_free(&s);

    /* Known names: ours, their _FILE forms, CASSANDRA_CFG_YAML_*, Cassandra's
     * own script variables, and what Kubernetes and Docker links set. */
    char *file = temp_file("dc9\n");
    char dc_file[128];
    snprintf(dc_file, sizeof dc_file, "CASSANDRA_DC_FILE=%s", file);
    assert_true(run(NONE,
                    L("CASSANDRA_SEEDS=cass1", dc_file, "CASSANDRA_CFG_YAML_CONCURRENT_READS=64",
                      "CASSANDRA_HOME=/opt/cassandra", "CASSANDRA_CONF=/etc/cassandra",
                      "CASSANDRA_LOG_DIR=/var/log/cassandra", "CASSANDRA_VERSION=5.0.1",
                      "CASSANDRA_SERVICE_HOST=10.96.0.7", "CASSANDRA_PORT_9042_TCP_ADDR=10.96.0.7",
                      "CASSANDRA_NAME=/web/cassandra", "CASSANDRA_ENV_MAX_HEAP_SIZE=1G",
                      "OTHER_SEED=x"),
                    &s, &err));
    unknown_warnings(&s, got, sizeof got);
    assert_string_equal(got, "");
    settings_free(&s);
    drop_file(file);
}

/* ------------------------------------------------------------------ */
/* Precedence                                                         */

static void test_precedence_seeds(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(L("argseed"), L("CASSANDRA_SEEDS=envseed"), &s, &err));
    const settings_edit *e = expect_edit(&s, SEEDS, "argseed");
    assert_string_equal(e->origin, "the seed list argument");
    settings_free(&s);

    assert_true(run(L("argseed"),
                    L("CASSANDRA_SEEDS=envseed",
                      "CASSANDRA_CFG_YAML_SEED_PROVIDER__0__PARAMETERS__0__SEEDS=cfgseed"),
                    &s, &err));
    e = expect_edit(&s, SEEDS, "cfgseed");
    assert_string_equal(e->origin, "CASSANDRA_CFG_YAML_SEED_PROVIDER__0__PARAMETERS__0__SEEDS");
    assert_string_equal(s.seeds[0].host, "cfgseed");
    settings_free(&s);

    assert_true(run(L("--set", SEEDS "=setseed", "argseed"),
                    L("CASSANDRA_CFG_YAML_SEED_PROVIDER__0__PARAMETERS__0__SEEDS=cfgseed"), &s, &err));
    e = expect_edit(&s, SEEDS, "setseed");
    assert_string_equal(e->origin, "--set " SEEDS);
    settings_free(&s);
}

static void test_precedence_named_values(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    const char *const env[] = {"CASSANDRA_CLUSTER_NAME=FromEnv", "CASSANDRA_CFG_YAML_CLUSTER_NAME=FromCfg",
                               NULL};
    assert_true(run(NONE, env, &s, &err));
    const settings_edit *e = expect_edit(&s, "cluster_name", "FromCfg");
    assert_int_equal(e->type, SETTINGS_VALUE_STRING);
    settings_free(&s);

    assert_true(run(L("--set", "cluster_name='My: Cluster'"), env, &s, &err));
    e = expect_edit(&s, "cluster_name", "My: Cluster"); /* one level of quotes removed */
    assert_string_equal(e->origin, "--set cluster_name");
    settings_free(&s);

    /* Later --set wins over an earlier one. */
    assert_true(run(L("--set", "num_tokens=8", "--set", "num_tokens=4"), L("CASSANDRA_NUM_TOKENS=16"),
                    &s, &err));
    e = expect_edit(&s, "num_tokens", "4");
    assert_int_equal(e->type, SETTINGS_VALUE_INT);
    settings_free(&s);

    /* An override of listen_address feeds the chain and is validated. */
    assert_true(run(L("--set", "listen_address=10.0.5.7"), L("CASSANDRA_LISTEN_ADDRESS=172.18.0.2"),
                    &s, &err));
    expect_edit(&s, "listen_address", "10.0.5.7");
    expect_edit(&s, "broadcast_address", "10.0.5.7");
    settings_free(&s);
    expect_failure(NONE, L("CASSANDRA_CFG_YAML_LISTEN_ADDRESS=0.0.0.0"), EX_CONFIG,
                   "CASSANDRA_CFG_YAML_LISTEN_ADDRESS");
    expect_failure(L("--set", "num_tokens=lots"), NONE, EX_CONFIG,
                   "--set num_tokens: 'lots' is not a number from 1 to 1536");
    expect_failure(L("--set", "listen_address="), NONE, EX_CONFIG, "listen_address");
}

static void test_overrides_of_other_paths(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    const char *const env[] = {"CASSANDRA_CFG_YAML_CONCURRENT_WRITES=64",
                               "CASSANDRA_CFG_YAML_CLIENT_ENCRYPTION_OPTIONS__ENABLED=true",
                               "CASSANDRA_CFG_YAML_AUTHENTICATOR=PasswordAuthenticator",
                               "CASSANDRA_CFG_YAML_EMPTY=", /* empty: unset */
                               NULL};
    assert_true(run(L("--set", "concurrent_writes=32", "--set", "data_file_directories=[/d1, /d2]"),
                    env, &s, &err));
    const settings_edit *e = expect_edit(&s, "concurrent_writes", "32");
    assert_int_equal(e->type, SETTINGS_VALUE_RAW);
    assert_string_equal(e->origin, "--set concurrent_writes");
    e = expect_edit(&s, "client_encryption_options.enabled", "true");
    assert_string_equal(e->origin, "CASSANDRA_CFG_YAML_CLIENT_ENCRYPTION_OPTIONS__ENABLED");
    assert_int_equal(e->type, SETTINGS_VALUE_RAW);
    expect_edit(&s, "authenticator", "PasswordAuthenticator");
    expect_edit(&s, "data_file_directories", "[/d1, /d2]");
    assert_null(find_edit(&s, "empty"));

    /* Order: named variables first, then CASSANDRA_CFG_YAML_* by name, then --set. */
    size_t i_listen = 0, i_auth = 0, i_client = 0, i_data = 0;
    for (size_t i = 0; i < s.n_edits; i++) {
        if (strcmp(s.edits[i].path, "listen_address") == 0) i_listen = i;
        if (strcmp(s.edits[i].path, "authenticator") == 0) i_auth = i;
        if (strcmp(s.edits[i].path, "client_encryption_options.enabled") == 0) i_client = i;
        if (strcmp(s.edits[i].path, "data_file_directories") == 0) i_data = i;
    }
    assert_true(i_listen < i_auth);
    assert_true(i_auth < i_client);
    assert_true(i_client < i_data);
    settings_free(&s);

    /* An override of a parent path replaces the edits below it. */
    assert_true(run(L("--set", "seed_provider=[{class_name: X, parameters: [{seeds: a}]}]"),
                    L("CASSANDRA_SEEDS=s1"), &s, &err));
    assert_null(find_edit(&s, SEEDS));
    e = expect_edit(&s, "seed_provider", "[{class_name: X, parameters: [{seeds: a}]}]");
    assert_int_equal(e->type, SETTINGS_VALUE_RAW);
    settings_free(&s);

    /* ... but one below a named path adds to it. */
    assert_true(run(NONE, L("CASSANDRA_CFG_YAML_SEED_PROVIDER__0__CLASS_NAME=org.example.Seeds"), &s,
                    &err));
    expect_edit(&s, "seed_provider[0].class_name", "org.example.Seeds");
    expect_edit(&s, SEEDS, "172.18.0.2");
    settings_free(&s);
}

/* ------------------------------------------------------------------ */
/* Validation                                                         */

static void test_validation_wildcards(void **state)
{
    (void)state;
    expect_failure(NONE, L("CASSANDRA_LISTEN_ADDRESS=0.0.0.0"), EX_CONFIG,
                   "CASSANDRA_LISTEN_ADDRESS: 0.0.0.0 is a wildcard");
    expect_failure(NONE, L("CASSANDRA_LISTEN_ADDRESS=::"), EX_CONFIG,
                   "CASSANDRA_LISTEN_ADDRESS: :: is a wildcard");
    expect_failure(NONE, L("CASSANDRA_BROADCAST_ADDRESS=0.0.0.0"), EX_CONFIG,
                   "CASSANDRA_BROADCAST_ADDRESS");
    /* rpc_address is the wildcard by default: broadcast_rpc must be real. */
    expect_failure(NONE, L("CASSANDRA_BROADCAST_RPC_ADDRESS=0.0.0.0"), EX_CONFIG,
                   "rpc_address is a wildcard");
    expect_failure(NONE, L("CASSANDRA_RPC_ADDRESS=::", "CASSANDRA_BROADCAST_RPC_ADDRESS=::"),
                   EX_CONFIG, "CASSANDRA_BROADCAST_RPC_ADDRESS");
}

static void test_validation_address_and_interface(void **state)
{
    (void)state;
    expect_failure(NONE,
                   L("CASSANDRA_LISTEN_ADDRESS=172.18.0.2", "CASSANDRA_CFG_YAML_LISTEN_INTERFACE=eth0"),
                   EX_CONFIG, "CASSANDRA_LISTEN_ADDRESS sets listen_address and "
                                       "CASSANDRA_CFG_YAML_LISTEN_INTERFACE sets listen_interface");
    expect_failure(L("--set", "rpc_interface=eth0"), L("CASSANDRA_RPC_ADDRESS=172.18.0.2"),
                   EX_CONFIG, "rpc_interface");
    expect_failure(L("--set", "listen_interface=wlan9"), NONE, EX_CONFIG,
                   "not an interface of this node");
}

static void test_validation_own_address(void **state)
{
    (void)state;
    expect_failure(NONE, L("CASSANDRA_LISTEN_ADDRESS=10.9.9.9"), EX_CONFIG,
                   "CASSANDRA_LISTEN_ADDRESS: 10.9.9.9 is not an address of this node");
    expect_failure(NONE, L("CASSANDRA_LISTEN_ADDRESS=elsewhere.example"), EX_CONFIG,
                   "resolves to 10.9.9.9, which is not an address of this node");
    expect_failure(NONE, L("CASSANDRA_LISTEN_ADDRESS=unknown.example"), EX_CONFIG,
                   "does not resolve");
    expect_failure(NONE, L("CASSANDRA_RPC_ADDRESS=10.9.9.9"), EX_CONFIG,
                   "CASSANDRA_RPC_ADDRESS");
    expect_failure(NONE, L("CASSANDRA_LISTEN_ADDRESS=not an address!"), EX_CONFIG,
                   "CASSANDRA_LISTEN_ADDRESS");
}

static void test_validation_numbers(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(NONE, L("CASSANDRA_CQL_PORT_NUMBER=19042", "CASSANDRA_TRANSPORT_PORT_NUMBER=17000",
                            "CASSANDRA_NUM_TOKENS=16", "CASSANDRA_SEED_WAIT=0"),
                    &s, &err));
    const settings_edit *e = expect_edit(&s, "native_transport_port", "19042");
    assert_int_equal(e->type, SETTINGS_VALUE_INT);
    assert_string_equal(e->origin, "CASSANDRA_CQL_PORT_NUMBER");
    e = expect_edit(&s, "storage_port", "17000");
    assert_int_equal(e->type, SETTINGS_VALUE_INT);
    e = expect_edit(&s, "num_tokens", "16");
    assert_int_equal(e->type, SETTINGS_VALUE_INT);
    assert_int_equal(s.seed_wait, 0);
    settings_free(&s);

    static const char *const bad_ports[] = {"0", "65536", "abc", "90 42", "-1", "9042x", "99999999999"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof *bad_ports; i++) {
        char cql[64], storage[64];
        snprintf(cql, sizeof cql, "CASSANDRA_CQL_PORT_NUMBER=%s", bad_ports[i]);
        snprintf(storage, sizeof storage, "CASSANDRA_TRANSPORT_PORT_NUMBER=%s", bad_ports[i]);
        expect_failure(NONE, L(cql), EX_CONFIG, "CASSANDRA_CQL_PORT_NUMBER");
        expect_failure(NONE, L(storage), EX_CONFIG, "CASSANDRA_TRANSPORT_PORT_NUMBER");
    }
    expect_failure(NONE, L("CASSANDRA_NUM_TOKENS=0"), EX_CONFIG, "CASSANDRA_NUM_TOKENS");
    expect_failure(NONE, L("CASSANDRA_NUM_TOKENS=1537"), EX_CONFIG, "CASSANDRA_NUM_TOKENS");
    expect_failure(NONE, L("CASSANDRA_NUM_TOKENS=16x"), EX_CONFIG, "CASSANDRA_NUM_TOKENS");
    expect_failure(NONE, L("CASSANDRA_SEED_WAIT=soon"), EX_CONFIG, "CASSANDRA_SEED_WAIT");
}

static void test_validation_other_values(void **state)
{
    (void)state;
    settings s;
    entry_error err;
    assert_true(run(NONE, L("CASSANDRA_START_RPC=Yes", "CASSANDRA_ENDPOINT_SNITCH=GossipingPropertyFileSnitch",
                            "CASSANDRA_DC= dc1 ", "CASSANDRA_RACK=rack1", "MAX_HEAP_SIZE=2G",
                            "HEAP_NEWSIZE=200m"),
                    &s, &err));
    const settings_edit *e = expect_edit(&s, "start_rpc", "true");
    assert_int_equal(e->type, SETTINGS_VALUE_BOOL);
    assert_true(e->if_present); /* start_rpc only exists up to 3.11 */
    expect_edit(&s, "endpoint_snitch", "GossipingPropertyFileSnitch");
    assert_string_equal(s.dc.value, "dc1"); /* trimmed: dc=dc1, not dc= dc1 */
    assert_string_equal(s.dc.origin, "CASSANDRA_DC");
    assert_string_equal(s.rack.value, "rack1");
    assert_string_equal(s.max_heap_size.value, "2G");
    assert_string_equal(s.heap_newsize.value, "200m");
    settings_free(&s);

    expect_failure(NONE, L("CASSANDRA_START_RPC=maybe"), EX_CONFIG, "CASSANDRA_START_RPC");
    expect_failure(NONE, L("CASSANDRA_ENDPOINT_SNITCH=Gossiping Snitch"), EX_CONFIG,
                   "CASSANDRA_ENDPOINT_SNITCH");
    expect_failure(NONE, L("MAX_HEAP_SIZE=2 GB"), EX_CONFIG, "MAX_HEAP_SIZE");
    expect_failure(NONE, L("HEAP_NEWSIZE=0M"), EX_CONFIG, "HEAP_NEWSIZE");
    expect_failure(NONE, L("CASSANDRA_DC=   "), EX_CONFIG, "CASSANDRA_DC");
    expect_failure(NONE, L("CASSANDRA_CLUSTER_NAME=a\nb"), EX_CONFIG, "control character");
}

static void test_validation_seeds(void **state)
{
    (void)state;
    expect_failure(NONE, L("CASSANDRA_SEEDS= , ,"), EX_CONFIG,
                   "CASSANDRA_SEEDS: the seed list is empty");
    expect_failure(NONE, L("CASSANDRA_SEEDS=cass1:70000"), EX_CONFIG, "CASSANDRA_SEEDS");
    expect_failure(L("cass1:x"), NONE, EX_CONFIG, "the seed list argument");

    /* An empty variable is unset: the default applies. */
    settings s;
    entry_error err;
    assert_true(run(NONE, L("CASSANDRA_SEEDS="), &s, &err));
    expect_edit(&s, SEEDS, "172.18.0.2");
    settings_free(&s);
}

/* ------------------------------------------------------------------ */
/* Seed lists                                                         */

static void test_seeds_parse(void **state)
{
    (void)state;
    settings_seed *seeds;
    size_t n;
    char *norm;
    entry_error err;
    assert_true(seeds_parse(" cass1 ,cass2:7000,[fd00::1]:7001,fd00::2,10.0.0.1,"
                                     "[fd00::3], 10.0.0.2:9000,",
                                     "T", &seeds, &n, &norm, &err));
    assert_int_equal(n, 7);
    assert_string_equal(norm, "cass1,cass2:7000,[fd00::1]:7001,fd00::2,10.0.0.1,fd00::3,10.0.0.2:9000");
    assert_string_equal(seeds[0].host, "cass1");
    assert_int_equal(seeds[0].port, 0);
    assert_false(seeds[0].is_ip);
    assert_string_equal(seeds[1].host, "cass2");
    assert_int_equal(seeds[1].port, 7000);
    assert_string_equal(seeds[2].host, "fd00::1");
    assert_int_equal(seeds[2].port, 7001);
    assert_true(seeds[2].is_ip);
    assert_string_equal(seeds[3].host, "fd00::2");
    assert_int_equal(seeds[3].port, 0);
    assert_true(seeds[4].is_ip);
    assert_string_equal(seeds[5].host, "fd00::3");
    assert_int_equal(seeds[6].port, 9000);
    seeds_free(seeds, n);
    free(norm);

    assert_true(seeds_parse("cassandra_1.my-net", "T", &seeds, &n, &norm, &err));
    assert_int_equal(n, 1); /* compose service names have '_' */
    seeds_free(seeds, n);
    free(norm);

    static const char *const bad[] = {
        "", ",", "cass1:0", "cass1:65536", "cass1:", "cass1:x", "[fd00::1", "[fd00::1]x",
        "[10.0.0.1]:7000", "fd00::1::2", "bad host", "bad!host", "-dash", "300.1.1.1",
        "fd00::1:7000:zz", "a..b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        if (seeds_parse(bad[i], "THE_ORIGIN", &seeds, &n, &norm, &err))
            fail_msg("seed list '%s' was accepted", bad[i]);
        assert_non_null(strstr(err.message, "THE_ORIGIN"));
        assert_int_equal(err.code, EX_CONFIG);
        assert_null(seeds);
        assert_null(norm);
    }
}

/* ------------------------------------------------------------------ */
/* CASSANDRA_CFG_YAML_ names and secret paths                         */

static void test_cfg_yaml_paths(void **state)
{
    (void)state;
    static const char *const good[][2] = {
        {"CASSANDRA_CFG_YAML_SEED_PROVIDER__0__CLASS_NAME", "seed_provider[0].class_name"},
        {"CASSANDRA_CFG_YAML_SEED_PROVIDER__0__PARAMETERS__0__SEEDS", SEEDS},
        {"CASSANDRA_CFG_YAML_CLIENT_ENCRYPTION_OPTIONS__ENABLED", "client_encryption_options.enabled"},
        {"CASSANDRA_CFG_YAML_NUM_TOKENS", "num_tokens"},
        {"CASSANDRA_CFG_YAML_Hinted_Handoff_Enabled", "hinted_handoff_enabled"},
        {"CASSANDRA_CFG_YAML_DATA_FILE_DIRECTORIES__1", "data_file_directories[1]"},
        {"CASSANDRA_CFG_YAML_A__10__B2", "a[10].b2"},
        {"CASSANDRA_CFG_YAML_A___B", "a._b"},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char *path = NULL;
        entry_error err;
        if (!settings_cfg_yaml_path(good[i][0], &path, &err))
            fail_msg("%s: %s", good[i][0], err.message);
        assert_string_equal(path, good[i][1]);
        free(path);
    }
    static const char *const bad[] = {"CASSANDRA_CFG_YAML_", "CASSANDRA_CFG_YAML_0__A",
                                      "CASSANDRA_CFG_YAML_A____B", "CASSANDRA_CFG_YAML_A__",
                                      "CASSANDRA_CFG_YAML___A", "CASSANDRA_CFG_YAML_A.B",
                                      "CASSANDRA_OTHER"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *path = NULL;
        entry_error err = {0, ""};
        if (settings_cfg_yaml_path(bad[i], &path, &err))
            fail_msg("%s was accepted as %s", bad[i], path);
        assert_null(path);
        assert_non_null(strstr(err.message, bad[i]));
    }
    /* Through the environment, the error names the variable. */
    expect_failure(NONE, L("CASSANDRA_CFG_YAML_0__A=1"), EX_CONFIG, "CASSANDRA_CFG_YAML_0__A");
}

static void test_secret_paths(void **state)
{
    (void)state;
    static const char *const secret[] = {
        "client_encryption_options.keystore_password", "server_encryption_options.truststore_password",
        "jmx_server_options.password_file", "some.api_token", "token", "x.client_secret",
        "a[0].Credentials"};
    static const char *const plain[] = {"num_tokens", "initial_token", "allocate_tokens_for_keyspace",
                                        "listen_address", "seed_provider[0].parameters[0].seeds",
                                        "tokenizer"};
    for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
        if (!settings_path_looks_secret(secret[i]))
            fail_msg("%s should look secret", secret[i]);
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (settings_path_looks_secret(plain[i]))
            fail_msg("%s should not look secret", plain[i]);

    settings s;
    entry_error err;
    assert_true(run(L("--set", "client_encryption_options.keystore_password=hunter2"),
                    L("CASSANDRA_CFG_YAML_SERVER_ENCRYPTION_OPTIONS__TRUSTSTORE_PASSWORD=pw",
                      "CASSANDRA_CFG_YAML_CONCURRENT_READS=32"),
                    &s, &err));
    assert_true(expect_edit(&s, "client_encryption_options.keystore_password", "hunter2")->secret);
    assert_true(expect_edit(&s, "server_encryption_options.truststore_password", "pw")->secret);
    assert_false(expect_edit(&s, "concurrent_reads", "32")->secret);
    assert_false(expect_edit(&s, "listen_address", "172.18.0.2")->secret);
    settings_free(&s);
}

/* ------------------------------------------------------------------ */
/* _FILE                                                              */

static void test_file_variables(void **state)
{
    (void)state;
    char *name = temp_file("Secret Cluster\n");
    char *crlf = temp_file("r1\r\n");
    char *nonl = temp_file("dc-east");
    char env1[300], env2[300], env3[300];
    snprintf(env1, sizeof env1, "CASSANDRA_CLUSTER_NAME_FILE=%s", name);
    snprintf(env2, sizeof env2, "CASSANDRA_RACK_FILE=%s", crlf);
    snprintf(env3, sizeof env3, "CASSANDRA_DC_FILE=%s", nonl);
    settings s;
    entry_error err;
    assert_true(run(NONE, L(env1, env2, env3), &s, &err));
    const settings_edit *e = expect_edit(&s, "cluster_name", "Secret Cluster");
    assert_true(e->secret);
    assert_string_equal(e->origin, "CASSANDRA_CLUSTER_NAME_FILE");
    assert_string_equal(s.rack.value, "r1");
    assert_true(s.rack.secret);
    assert_string_equal(s.dc.value, "dc-east");
    settings_free(&s);

    /* Both forms set. */
    expect_failure(NONE, L(env1, "CASSANDRA_CLUSTER_NAME=x"), EX_CONFIG,
                   "CASSANDRA_CLUSTER_NAME and CASSANDRA_CLUSTER_NAME_FILE are both set");
    /* Only one line ending is removed: a second one is a control character. */
    char *two = temp_file("Name\n\n");
    char env4[300];
    snprintf(env4, sizeof env4, "CASSANDRA_CLUSTER_NAME_FILE=%s", two);
    expect_failure(NONE, L(env4), EX_CONFIG, "control character");
    /* Missing and empty files; the message names the variable and the path. */
    expect_failure(NONE, L("CASSANDRA_SEEDS_FILE=/nonexistent/seeds"), EX_CONFIG,
                   "CASSANDRA_SEEDS_FILE=/nonexistent/seeds: cannot read it");
    char *empty = temp_file("");
    char env5[300];
    snprintf(env5, sizeof env5, "CASSANDRA_SEEDS_FILE=%s", empty);
    expect_failure(NONE, L(env5), EX_CONFIG, "is empty");

    drop_file(name);
    drop_file(crlf);
    drop_file(nonl);
    drop_file(two);
    drop_file(empty);
}

static void test_file_values_are_never_shown(void **state)
{
    (void)state;
    char *addr = temp_file("10.77.77.77\n");
    char env[300];
    snprintf(env, sizeof env, "CASSANDRA_LISTEN_ADDRESS_FILE=%s", addr);
    settings s;
    entry_error err;
    assert_false(run(NONE, L(env), &s, &err));
    assert_non_null(strstr(err.message, "CASSANDRA_LISTEN_ADDRESS_FILE"));
    assert_non_null(strstr(err.message, "***"));
    assert_null(strstr(err.message, "10.77.77.77"));
    settings_free(&s);

    /* A secret listen address keeps its secrecy down the default chain. */
    char *own = temp_file("10.0.5.7\n");
    snprintf(env, sizeof env, "CASSANDRA_LISTEN_ADDRESS_FILE=%s", own);
    assert_true(run(NONE, L(env), &s, &err));
    assert_true(expect_edit(&s, "listen_address", "10.0.5.7")->secret);
    assert_true(expect_edit(&s, "broadcast_address", "10.0.5.7")->secret);
    assert_true(expect_edit(&s, SEEDS, "10.0.5.7")->secret);
    settings_free(&s);
    drop_file(addr);
    drop_file(own);
}

static void test_cfg_yaml_file_form(void **state)
{
    (void)state;
    char *pw = temp_file("s3cret\n");
    char *pwfile = temp_file("/etc/jmx.password\n");
    char env1[300], env2[300];
    snprintf(env1, sizeof env1, "CASSANDRA_CFG_YAML_CLIENT_ENCRYPTION_OPTIONS__KEYSTORE_FILE=%s", pw);
    /* A key that ends in _file itself needs the double suffix. */
    snprintf(env2, sizeof env2, "CASSANDRA_CFG_YAML_JMX_SERVER_OPTIONS__PASSWORD_FILE_FILE=%s", pwfile);
    settings s;
    entry_error err;
    assert_true(run(NONE, L(env1, env2), &s, &err));
    const settings_edit *e = expect_edit(&s, "client_encryption_options.keystore", "s3cret");
    assert_true(e->secret);
    assert_string_equal(e->origin, "CASSANDRA_CFG_YAML_CLIENT_ENCRYPTION_OPTIONS__KEYSTORE_FILE");
    e = expect_edit(&s, "jmx_server_options.password_file", "/etc/jmx.password");
    assert_true(e->secret);
    settings_free(&s);

    char env3[300];
    snprintf(env3, sizeof env3, "CASSANDRA_CFG_YAML_NUM_TOKENS_FILE=%s", pw);
    expect_failure(NONE, L(env3, "CASSANDRA_CFG_YAML_NUM_TOKENS=8"), EX_CONFIG,
                   "CASSANDRA_CFG_YAML_NUM_TOKENS and CASSANDRA_CFG_YAML_NUM_TOKENS_FILE are both set");
    drop_file(pw);
    drop_file(pwfile);
}

/* ------------------------------------------------------------------ */
/* TLS: the modes and the PEM material's presence (tls.h checks what  */
/* the PEM holds: test_tls)                                           */

#define PEM_CERT "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
#define PEM_KEY "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"

static void test_tls_variables(void **state)
{
    (void)state;
    char *key = temp_file(PEM_KEY "\n");
    char *ca = temp_file(PEM_CERT "\n");
    char key_env[300], ca_env[300];
    snprintf(key_env, sizeof key_env, "CASSANDRA_TLS_KEY_FILE=%s", key);
    snprintf(ca_env, sizeof ca_env, "CASSANDRA_TLS_CA_FILE=%s", ca);
    settings s;
    entry_error err;
    /* Off by default: nothing needed, nothing enabled. */
    assert_true(run(NONE, NONE, &s, &err));
    assert_false(s.tls.enabled);
    assert_int_equal(s.tls.client, SETTINGS_CLIENT_TLS_OFF);
    assert_string_equal(s.tls.internode, "none");
    settings_free(&s);

    /* PEM text in the variable itself (its newlines are no control-character
     * error there), the key from a file: secret. */
    if (!run(NONE, L("CASSANDRA_CLIENT_ENCRYPTION=Required", "CASSANDRA_CLIENT_AUTH=yes",
                     "CASSANDRA_INTERNODE_ENCRYPTION=dc", "CASSANDRA_TLS_CERT=" PEM_CERT, key_env,
                     ca_env), &s, &err))
        fail_msg("%s", err.message);
    assert_true(s.tls.enabled);
    assert_int_equal(s.tls.client, SETTINGS_CLIENT_TLS_REQUIRED);
    assert_true(s.tls.client_auth);
    assert_string_equal(s.tls.internode, "dc");
    assert_false(s.tls.verify_endpoints);
    assert_string_equal(s.tls.cert.value, PEM_CERT);
    assert_string_equal(s.tls.key.value, PEM_KEY);
    assert_true(s.tls.key.secret);
    assert_string_equal(s.tls.key.origin, "CASSANDRA_TLS_KEY_FILE");
    assert_string_equal(s.tls.ca.origin, "CASSANDRA_TLS_CA_FILE");
    assert_string_equal(s.tls.store, "auto");
    settings_free(&s);
    /* The stores: auto (default), pem or pkcs12, any case. */
    if (!run(NONE, L("CASSANDRA_INTERNODE_ENCRYPTION=all", "CASSANDRA_TLS_CERT=" PEM_CERT, key_env,
                     ca_env, "CASSANDRA_TLS_STORE=PKCS12"), &s, &err))
        fail_msg("%s", err.message);
    assert_string_equal(s.tls.store, "pkcs12");
    settings_free(&s);
    /* Endpoint verification: a yes/no, for internode encryption only. */
    if (!run(NONE, L("CASSANDRA_INTERNODE_ENCRYPTION=all", "CASSANDRA_TLS_CERT=" PEM_CERT, key_env,
                     ca_env, "CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION=TRUE"), &s, &err))
        fail_msg("%s", err.message);
    assert_true(s.tls.verify_endpoints);
    settings_free(&s);
    expect_failure(NONE, L("CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION=true"), EX_CONFIG,
                   "CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION=true needs "
                   "CASSANDRA_INTERNODE_ENCRYPTION dc, rack or all");
    expect_failure(NONE, L("CASSANDRA_INTERNODE_ENCRYPTION=all", "CASSANDRA_TLS_CERT=" PEM_CERT,
                           key_env, ca_env, "CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION=ip"),
                   EX_CONFIG, "CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION: 'ip' is not true or false");
    expect_failure(NONE, L("CASSANDRA_INTERNODE_ENCRYPTION=all", "CASSANDRA_TLS_CERT=" PEM_CERT,
                           key_env, ca_env, "CASSANDRA_TLS_STORE=jks"), EX_CONFIG,
                   "CASSANDRA_TLS_STORE: 'jks' is not auto, pem or pkcs12");

    /* Internode alone needs the material too; a missing CA is named. */
    expect_failure(NONE, L("CASSANDRA_INTERNODE_ENCRYPTION=all", "CASSANDRA_TLS_CERT=" PEM_CERT,
                           key_env), EX_CONFIG,
                   "CASSANDRA_TLS_CA (or CASSANDRA_TLS_CA_FILE) is required: "
                   "CASSANDRA_INTERNODE_ENCRYPTION is on");
    expect_failure(NONE, L("CASSANDRA_CLIENT_ENCRYPTION=optional", key_env, ca_env), EX_CONFIG,
                   "CASSANDRA_TLS_CERT (or CASSANDRA_TLS_CERT_FILE) is required: "
                   "CASSANDRA_CLIENT_ENCRYPTION is on");
    /* An unreadable CA file. */
    expect_failure(NONE, L("CASSANDRA_CLIENT_ENCRYPTION=required", "CASSANDRA_TLS_CERT=" PEM_CERT,
                           key_env, "CASSANDRA_TLS_CA_FILE=/nonexistent/ca.pem"), EX_CONFIG,
                   "CASSANDRA_TLS_CA_FILE=/nonexistent/ca.pem: cannot read it");
    /* The modes are words we know. */
    expect_failure(NONE, L("CASSANDRA_CLIENT_ENCRYPTION=on"), EX_CONFIG,
                   "CASSANDRA_CLIENT_ENCRYPTION: 'on' is not off, optional or required");
    expect_failure(NONE, L("CASSANDRA_INTERNODE_ENCRYPTION=yes"), EX_CONFIG,
                   "CASSANDRA_INTERNODE_ENCRYPTION: 'yes' is not none, dc, rack or all");
    expect_failure(NONE, L("CASSANDRA_CLIENT_AUTH=maybe"), EX_CONFIG,
                   "CASSANDRA_CLIENT_AUTH: 'maybe' is not true or false");
    expect_failure(NONE, L("CASSANDRA_CLIENT_AUTH=true"), EX_CONFIG,
                   "CASSANDRA_CLIENT_AUTH=true needs CASSANDRA_CLIENT_ENCRYPTION optional or required");
    /* A password is never trimmed nor shown; it needs a key. */
    expect_failure(NONE, L("CASSANDRA_CLIENT_ENCRYPTION=required", "CASSANDRA_TLS_CERT=" PEM_CERT,
                           ca_env, "CASSANDRA_TLS_KEY_PASSWORD=pw"), EX_CONFIG,
                   "CASSANDRA_TLS_KEY (or CASSANDRA_TLS_KEY_FILE) is required");
    /* Material with encryption off: a warning, not an error. */
    assert_true(run(NONE, L(ca_env), &s, &err));
    bool warned = false;
    for (size_t i = 0; i < s.n_notes; i++)
        warned = warned || strstr(s.notes[i], "warning: CASSANDRA_TLS_CA_FILE is not used") != NULL;
    assert_true(warned);
    assert_false(s.tls.enabled);
    settings_free(&s);
    drop_file(key);
    drop_file(ca);
}

/* ------------------------------------------------------------------ */
/* --help and the README table come from the table                    */

static char *capture(void (*write)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    write(f);
    fclose(f);
    return buf;
}

static void write_help(FILE *f)
{
    help_write(f, "cass-entry");
}

static void test_help_and_markdown(void **state)
{
    (void)state;
    char *help = capture(write_help);
    char *md = capture(help_write_markdown);
    size_t n;
    const settings_variable *vars = settings_variables(&n);
    assert_true(n >= 18);
    for (size_t i = 0; i < n; i++) {
        if (!strstr(help, vars[i].name))
            fail_msg("--help lacks %s", vars[i].name);
        char cell[128];
        snprintf(cell, sizeof cell, "| `%s` |", vars[i].name);
        if (!strstr(md, cell))
            fail_msg("the Markdown table lacks a row for %s", vars[i].name);
        if (vars[i].yaml_path) {
            snprintf(cell, sizeof cell, "`%s`", vars[i].yaml_path);
            assert_non_null(strstr(md, cell));
        }
    }
    /* --help fits a terminal of 80 columns. */
    for (char *line = help; *line;) {
        size_t len = strcspn(line, "\n");
        if (len > 79)
            fail_msg("--help line of %zu columns: %.*s", len, (int)len, line);
        line += len + (line[len] == '\n');
    }
    assert_non_null(strstr(help, "CASSANDRA_CFG_YAML_<KEY>"));
    assert_non_null(strstr(help, "--dry-run"));
    assert_non_null(strstr(help, "--probe"));
    assert_non_null(strstr(md, "| Variable | Default | cassandra.yaml | Meaning |"));
    assert_non_null(strstr(md, "`CASSANDRA_CFG_YAML_<KEY>`"));
    assert_non_null(strstr(md, "_FILE"));
    /* Every table line has the same number of cells. */
    size_t rows = 0;
    for (char *line = md; line && *line == '|'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t bars = 0;
        for (char *p = line; *p && *p != '\n'; p++)
            bars += *p == '|' && (p == line || p[-1] != '\\');
        assert_int_equal(bars, 5);
        rows++;
    }
    assert_int_equal(rows, n + 3); /* header, rule, the variables, CASSANDRA_CFG_YAML_ */
    /* Each variable named in the table is one the parser reads. */
    settings s;
    entry_error err;
    assert_true(run(NONE, L("CASSANDRA_SEED_WAIT=5"), &s, &err));
    assert_int_equal(s.seed_wait, 5);
    settings_free(&s);
    free(help);
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_arguments_runs_cassandra),
        cmocka_unit_test(test_dash_arguments_go_to_cassandra),
        cmocka_unit_test(test_cassandra_command),
        cmocka_unit_test(test_passthrough),
        cmocka_unit_test(test_seed_arguments),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_real_command_lookup),
        cmocka_unit_test(test_default_chain),
        cmocka_unit_test(test_chain_follows_given_values),
        cmocka_unit_test(test_interface_names),
        cmocka_unit_test(test_host_names_and_ipv6),
        cmocka_unit_test(test_listen_subnet),
        cmocka_unit_test(test_precedence_seeds),
        cmocka_unit_test(test_precedence_named_values),
        cmocka_unit_test(test_overrides_of_other_paths),
        cmocka_unit_test(test_validation_wildcards),
        cmocka_unit_test(test_validation_address_and_interface),
        cmocka_unit_test(test_validation_own_address),
        cmocka_unit_test(test_validation_numbers),
        cmocka_unit_test(test_validation_other_values),
        cmocka_unit_test(test_validation_seeds),
        cmocka_unit_test(test_seeds_parse),
        cmocka_unit_test(test_cfg_yaml_paths),
        cmocka_unit_test(test_secret_paths),
        cmocka_unit_test(test_file_variables),
        cmocka_unit_test(test_unknown_variables_warned),
        cmocka_unit_test(test_file_values_are_never_shown),
        cmocka_unit_test(test_cfg_yaml_file_form),
        cmocka_unit_test(test_tls_variables),
        cmocka_unit_test(test_help_and_markdown),
    };
    return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
