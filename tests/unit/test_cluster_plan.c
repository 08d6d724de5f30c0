/*
 * Unit tests for the plan of provision/cluster (cluster_plan_make): what `up`
 * does given what exists on the engine, without an engine.  The rules come
 * from cluster.h and issues 5 and 15 (a brand-new cluster all at once unless
 * --sequential, --fresh refused where it cannot be had, re-run changes
 * nothing, add a node one at a time, kept volumes...).
 * Expected tokens come from the definition (the first token of node 1 is
 * -2^63; node 2 of 2 x 1 starts at 0), not from provision/tokens.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision/cluster.h"

/* The value of KEY in a NULL-terminated KEY=VALUE list, NULL if absent. */
static const char *env_get(char **env, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

static size_t count_commas(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == ',';
    return n;
}

/* What the engine "has": nodes (index, running) and volumes 1..nvol. */
struct world {
    cluster_found_node nodes[8];
    bool vol[8];
    cluster_found found;
};

static void world_init(struct world *w, size_t nvol)
{
    memset(w, 0, sizeof *w);
    w->found.nodes = w->nodes;
    w->found.volume_exists = w->vol;
    w->found.volumes_n = nvol;
}

static void world_node(struct world *w, unsigned index, bool running, const char *seeds,
                       const char *name)
{
    cluster_found_node *n = &w->nodes[w->found.n++];
    n->index = index;
    n->running = running;
    snprintf(n->seeds, sizeof n->seeds, "%s", seeds);
    snprintf(n->cluster_name, sizeof n->cluster_name, "%s", name);
    w->vol[index - 1] = true; /* a container has its volume */
}

static void test_brand_new_sequential(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    o.sequential = true;
    struct world w;
    world_init(&w, 3);
    cluster_plan p;
    prov_error err;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_int_equal(p.n, 3);
    assert_false(p.all_at_once);
    assert_string_equal(p.seeds, "cass1");
    assert_string_equal(p.network, "cass-net");
    assert_string_equal(p.cluster_name, "cass-entry");
    for (size_t i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "cass%zu", i + 1);
        assert_string_equal(p.nodes[i].name, name);
        assert_int_equal(p.nodes[i].action, NODE_CREATE);
        assert_true(p.nodes[i].volume_new);
        assert_false(p.nodes[i].initial_tokens);
        assert_string_equal(env_get(p.nodes[i].env, "CASSANDRA_SEEDS"), "cass1");
        assert_string_equal(env_get(p.nodes[i].env, "CASSANDRA_NUM_TOKENS"), "16");
        assert_null(env_get(p.nodes[i].env, "CASSANDRA_CFG_YAML_INITIAL_TOKEN"));
        assert_null(env_get(p.nodes[i].env, "CASSANDRA_CFG_YAML_AUTO_BOOTSTRAP"));
    }
    assert_string_equal(p.nodes[1].volume, "cass2-data");
    cluster_plan_free(&p);
}

/* No flag: a brand-new cluster starts all at once; kept data, an
 * -e CASSANDRA_NUM_TOKENS or --sequential make it one at a time. */
static void test_brand_new_default(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    struct world w;
    world_init(&w, 3);
    cluster_plan p;
    prov_error err;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_true(p.all_at_once);
    assert_string_equal(p.seeds, "cass1,cass2,cass3");
    assert_int_equal(p.n_notes, 0);
    for (size_t i = 0; i < 3; i++) {
        assert_true(p.nodes[i].initial_tokens);
        assert_non_null(env_get(p.nodes[i].env, "CASSANDRA_CFG_YAML_INITIAL_TOKEN"));
        assert_string_equal(env_get(p.nodes[i].env, "CASSANDRA_CFG_YAML_AUTO_BOOTSTRAP"),
                            "false");
        /* no gossip-settle wait on the very first boot of a brand-new ring */
        assert_string_equal(env_get(p.nodes[i].env, "CASS_ENTRY_FIRST_BOOT_JVM_OPTS"),
                            "-Dcassandra.skip_wait_for_gossip_to_settle=0");
    }
    cluster_plan_free(&p);

    /* a data volume kept by `down`: its node starts on its data, the others
     * bootstrap one at a time, and that is no error without --fresh */
    world_init(&w, 3);
    w.vol[0] = true;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_false(p.all_at_once);
    assert_string_equal(p.seeds, "cass1");
    for (size_t i = 0; i < 3; i++) {
        assert_false(p.nodes[i].initial_tokens);
        assert_null(env_get(p.nodes[i].env, "CASS_ENTRY_FIRST_BOOT_JVM_OPTS"));
    }
    assert_false(p.nodes[0].volume_new);
    cluster_plan_free(&p);

    /* -e CASSANDRA_NUM_TOKENS: one at a time, with a note saying why */
    world_init(&w, 3);
    const char *env[] = {"CASSANDRA_NUM_TOKENS=8", NULL};
    o.env = env;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_false(p.all_at_once);
    assert_string_equal(p.seeds, "cass1");
    assert_null(env_get(p.nodes[1].env, "CASSANDRA_CFG_YAML_INITIAL_TOKEN"));
    assert_int_equal(p.n_notes, 1);
    assert_non_null(strstr(p.notes[0], "CASSANDRA_NUM_TOKENS"));
    cluster_plan_free(&p);
    o.env = NULL;
}

static void test_fresh_brand_new(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    o.fresh = true;
    struct world w;
    world_init(&w, 3);
    cluster_plan p;
    prov_error err;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_true(p.all_at_once);
    assert_string_equal(p.seeds, "cass1,cass2,cass3");
    for (size_t i = 0; i < 3; i++) {
        assert_true(p.nodes[i].initial_tokens);
        const char *t = env_get(p.nodes[i].env, "CASSANDRA_CFG_YAML_INITIAL_TOKEN");
        assert_non_null(t);
        assert_int_equal(count_commas(t), 15); /* 16 tokens */
        assert_string_equal(env_get(p.nodes[i].env, "CASSANDRA_CFG_YAML_AUTO_BOOTSTRAP"),
                            "false");
    }
    /* node 1 starts at the bottom of the ring */
    assert_true(strncmp(env_get(p.nodes[0].env, "CASSANDRA_CFG_YAML_INITIAL_TOKEN"),
                        "-9223372036854775808,", 21) == 0);
    cluster_plan_free(&p);

    /* 2 nodes x 1 token: node 2's only token is 0 (half the ring) */
    o.nodes = 2;
    o.num_tokens = 1;
    world_init(&w, 2);
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_string_equal(env_get(p.nodes[1].env, "CASSANDRA_CFG_YAML_INITIAL_TOKEN"), "0");
    cluster_plan_free(&p);
}

static void test_rerun_and_add(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    struct world w;
    world_init(&w, 4);
    world_node(&w, 2, true, "cass1", "prod");
    world_node(&w, 1, true, "cass1", "prod");
    world_node(&w, 3, true, "cass1", "prod");
    cluster_plan p;
    prov_error err;
    /* re-run: everything kept */
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_int_equal(p.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(p.nodes[i].action, NODE_KEEP);
    assert_string_equal(p.cluster_name, "prod"); /* the existing cluster's */
    cluster_plan_free(&p);
    /* add one: the existing seeds and name go to the new node */
    o.nodes = 4;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.nodes[3].action, NODE_CREATE);
    assert_true(p.nodes[3].volume_new);
    assert_string_equal(env_get(p.nodes[3].env, "CASSANDRA_CLUSTER_NAME"), "prod");
    assert_string_equal(env_get(p.nodes[3].env, "CASSANDRA_SEEDS"), "cass1");
    cluster_plan_free(&p);
    /* --fresh on an existing cluster: the new node bootstraps, with a note */
    o.fresh = true;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_false(p.all_at_once);
    assert_false(p.nodes[3].initial_tokens);
    assert_int_equal(p.n_notes, 1);
    assert_non_null(strstr(p.notes[0], "one at a time"));
    cluster_plan_free(&p);
}

/* up --tls: every new node gets the PEM files' places, client encryption
 * required with client certificates, internode all, and the label; a
 * cluster never mixes TLS and plain nodes, while keeping nodes (restart,
 * remove) needs no --tls */
static void test_tls(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    o.tls_dir = "/home/u/.cass-provision/cass/tls";
    struct world w;
    world_init(&w, 0);
    cluster_plan p;
    prov_error err;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    for (size_t i = 0; i < p.n; i++) {
        char **env = p.nodes[i].env;
        assert_string_equal(env_get(env, "CASSANDRA_TLS_CERT_FILE"), CLUSTER_TLS_CERT_TARGET);
        assert_string_equal(env_get(env, "CASSANDRA_TLS_KEY_FILE"), CLUSTER_TLS_KEY_TARGET);
        assert_string_equal(env_get(env, "CASSANDRA_TLS_CA_FILE"), CLUSTER_TLS_CA_TARGET);
        assert_string_equal(env_get(env, "CASSANDRA_CLIENT_ENCRYPTION"), "required");
        assert_string_equal(env_get(env, "CASSANDRA_CLIENT_AUTH"), "true");
        assert_string_equal(env_get(env, "CASSANDRA_INTERNODE_ENCRYPTION"), "all");
        assert_string_equal(env_get(p.nodes[i].labels, CLUSTER_LABEL_TLS), "on");
    }
    cluster_plan_free(&p);
    /* without --tls: no TLS variable, the label says off */
    o.tls_dir = NULL;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_null(env_get(p.nodes[0].env, "CASSANDRA_TLS_CERT_FILE"));
    assert_string_equal(env_get(p.nodes[0].labels, CLUSTER_LABEL_TLS), "off");
    cluster_plan_free(&p);
    /* a TLS cluster of 3: a 4th node without --tls is refused, naming --tls */
    world_init(&w, 3);
    for (unsigned i = 1; i <= 3; i++) {
        world_node(&w, i, true, "cass1,cass2,cass3", "cass-entry");
        w.nodes[i - 1].tls = true;
    }
    o.nodes = 4;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_USAGE);
    assert_non_null(strstr(err.message, "give --tls"));
    /* ... and the same 3 kept (restart, remove) need no --tls */
    o.nodes = 3;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    cluster_plan_free(&p);
    /* a plain cluster: --tls can't be added node by node */
    for (unsigned i = 0; i < 3; i++)
        w.nodes[i].tls = false;
    o.nodes = 4;
    o.tls_dir = "/tls";
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_USAGE);
    assert_non_null(strstr(err.message, "runs without TLS"));
}

/* replace: the node made again gets replace_address_first_boot for its
 * first boot only (cass-entry's CASS_ENTRY_FIRST_BOOT_JVM_OPTS); kept nodes
 * are untouched */
static void test_replace_address(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    struct world w;
    world_init(&w, 4);
    world_node(&w, 1, true, "cass1", "prod");
    world_node(&w, 2, true, "cass1", "prod");
    world_node(&w, 3, true, "cass1", "prod");
    w.vol[3] = false; /* cass4's container and volume are gone */
    o.nodes = 4;
    o.replace_address = "172.18.0.5";
    cluster_plan p;
    prov_error err;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    assert_int_equal(p.n, 4);
    assert_false(p.all_at_once);
    assert_int_equal(p.nodes[3].action, NODE_CREATE);
    assert_true(p.nodes[3].volume_new);
    assert_false(p.nodes[3].initial_tokens);
    assert_string_equal(env_get(p.nodes[3].env, "CASS_ENTRY_FIRST_BOOT_JVM_OPTS"),
                        "-Dcassandra.replace_address_first_boot=172.18.0.5");
    assert_string_equal(env_get(p.nodes[3].env, "CASSANDRA_SEEDS"), "cass1");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(p.nodes[i].action, NODE_KEEP);
    cluster_plan_free(&p);
}

static void test_stopped_kept_beyond(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    o.nodes = 3;
    struct world w;
    world_init(&w, 5);
    world_node(&w, 1, true, "cass1", "c");
    world_node(&w, 2, false, "cass1", "c");
    world_node(&w, 5, true, "cass1", "c");
    w.vol[2] = true; /* cass3's volume kept by an earlier `down` */
    cluster_plan p;
    prov_error err;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    /* 1 keep, 2 start, 3 create on its kept volume, 4 not wanted, 5 left alone */
    assert_int_equal(p.n, 4);
    assert_int_equal(p.nodes[0].action, NODE_KEEP);
    assert_int_equal(p.nodes[1].action, NODE_START);
    assert_int_equal(p.nodes[2].action, NODE_CREATE);
    assert_false(p.nodes[2].volume_new);
    assert_int_equal(p.nodes[3].index, 5);
    assert_int_equal(p.nodes[3].action, NODE_KEEP);
    assert_int_equal(p.n_notes, 1);
    assert_non_null(strstr(p.notes[0], "cass5 exists beyond -n 3"));
    cluster_plan_free(&p);
}

static void test_refusals(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    struct world w;
    cluster_plan p;
    prov_error err;

    /* --fresh over a kept data volume */
    world_init(&w, 3);
    w.vol[1] = true;
    o.fresh = true;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_FAIL);
    assert_non_null(strstr(err.message, "cass2-data"));
    assert_null(p.nodes);

    /* --fresh with a num_tokens override that would not match the tokens */
    world_init(&w, 3);
    const char *env[] = {"CASSANDRA_NUM_TOKENS=8", NULL};
    o.env = env;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_USAGE);
    assert_non_null(strstr(err.message, "--num-tokens"));
    o.env = NULL;
    o.fresh = false;

    /* another cluster name than the running cluster's */
    world_init(&w, 3);
    world_node(&w, 1, true, "cass1", "prod");
    o.cluster_name = "test";
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_USAGE);
    assert_non_null(strstr(err.message, "'prod'"));
    o.cluster_name = NULL;

    /* bad prefix, bad -e, --publish beyond the cluster */
    world_init(&w, 3);
    o.prefix = "-x";
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_USAGE);
    o.prefix = "cass";
    const char *bad_env[] = {"NOEQUALS", NULL};
    o.env = bad_env;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_USAGE);
    assert_non_null(strstr(err.message, "NOEQUALS"));
    o.env = NULL;
    o.publish_node = 4;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), PROV_EXIT_USAGE);
}

static void test_env_overrides_and_options(void **state)
{
    (void)state;
    cluster_opts o;
    cluster_opts_init(&o);
    o.nodes = 1;
    o.prefix = "db";
    o.network = "mynet";
    o.seeds = "db1,other";
    o.dc = "east";
    o.rack = "r7";
    o.jvm_extra_opts = "-Dx=1";
    const char *env[] = {"CASSANDRA_SEEDS=override", "EXTRA=a=b", NULL};
    o.env = env;
    struct world w;
    world_init(&w, 1);
    cluster_plan p;
    prov_error err;
    assert_int_equal(cluster_plan_make(&o, &w.found, &p, &err), 0);
    char **e = p.nodes[0].env;
    assert_string_equal(p.network, "mynet");
    assert_string_equal(p.nodes[0].name, "db1");
    assert_string_equal(env_get(e, "CASSANDRA_SEEDS"), "override"); /* -e wins */
    assert_string_equal(env_get(e, "EXTRA"), "a=b");
    assert_string_equal(env_get(e, "CASSANDRA_DC"), "east");
    assert_string_equal(env_get(e, "CASSANDRA_RACK"), "r7");
    assert_string_equal(env_get(e, "JVM_EXTRA_OPTS"), "-Dx=1");
    /* one CASSANDRA_SEEDS only, not the provisioner's and the user's */
    size_t seeds = 0;
    for (size_t i = 0; e[i]; i++)
        seeds += strncmp(e[i], "CASSANDRA_SEEDS=", 16) == 0;
    assert_int_equal(seeds, 1);
    /* labels: the cluster, the node, the seeds the plan chose */
    assert_string_equal(env_get(p.nodes[0].labels, CLUSTER_LABEL_CLUSTER), "db");
    assert_string_equal(env_get(p.nodes[0].labels, CLUSTER_LABEL_NODE), "1");
    assert_string_equal(env_get(p.nodes[0].labels, CLUSTER_LABEL_SEEDS), "db1,other");
    assert_string_equal(env_get(p.nodes[0].labels, CLUSTER_LABEL_NETWORK), "mynet");
    cluster_plan_free(&p);
}


/* Pinned addresses: the engine's range is the subnet's lower half, node N the
 * N-th address of the upper half; any other network keeps the engine's. */
static void test_pinned_addresses(void **state)
{
    (void)state;
    char range[64], ip[64];
    assert_int_equal(cluster_lower_half("172.18.0.0/16", range, sizeof range), 0);
    assert_string_equal(range, "172.18.0.0/17");
    assert_int_equal(cluster_node_address("172.18.0.0/16", range, 1, ip, sizeof ip), 0);
    assert_string_equal(ip, "172.18.128.1");
    assert_int_equal(cluster_node_address("172.18.0.0/16", range, 300, ip, sizeof ip), 0);
    assert_string_equal(ip, "172.18.129.44");
    /* host bits in the subnet are cleared */
    assert_int_equal(cluster_lower_half("10.1.2.77/24", range, sizeof range), 0);
    assert_string_equal(range, "10.1.2.0/25");
    assert_int_equal(cluster_node_address("10.1.2.77/24", "10.1.2.0/25", 126, ip, sizeof ip), 0);
    assert_string_equal(ip, "10.1.2.254");
    /* not the broadcast, not the upper half's first address, nothing past it */
    assert_int_equal(cluster_node_address("10.1.2.0/24", "10.1.2.0/25", 127, ip, sizeof ip), -1);
    assert_int_equal(cluster_node_address("10.1.2.0/24", "10.1.2.0/25", 0, ip, sizeof ip), -1);
    /* a network split otherwise, or not at all: its addresses stay the engine's */
    assert_int_equal(cluster_node_address("172.18.0.0/16", "", 1, ip, sizeof ip), -1);
    assert_int_equal(cluster_node_address("172.18.0.0/16", "172.18.0.0/18", 1, ip, sizeof ip), -1);
    assert_int_equal(cluster_node_address("", "", 1, ip, sizeof ip), -1);
    /* IPv6, too small a subnet, junk */
    assert_int_equal(cluster_lower_half("fd00::/64", range, sizeof range), -1);
    assert_int_equal(cluster_lower_half("10.0.0.0/29", range, sizeof range), -1);
    assert_int_equal(cluster_lower_half("10.0.0.0/28", range, sizeof range), 0);
    assert_int_equal(cluster_lower_half("10.0.0.300/16", range, sizeof range), -1);
    assert_int_equal(cluster_lower_half("10.0.0.0/16x", range, sizeof range), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brand_new_sequential),
        cmocka_unit_test(test_brand_new_default),
        cmocka_unit_test(test_fresh_brand_new),
        cmocka_unit_test(test_rerun_and_add),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_replace_address),
        cmocka_unit_test(test_stopped_kept_beyond),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_pinned_addresses),
        cmocka_unit_test(test_env_overrides_and_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
