/* Unit tests of provision/replication: the replication factors that decide
 * whether `cass-provision remove` may decommission a node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision/replication.h"
#include "tests/unit/testfs.h"

static void expect_max(const char *text, const char *dc, int rc, const char *keyspace, unsigned rf)
{
    char ks[128], why[256] = "";
    unsigned got = 99;
    assert_int_equal(replication_max(text, dc, ks, sizeof ks, &got, why, sizeof why), rc);
    if (rc == 0) {
        assert_string_equal(ks, keyspace);
        assert_int_equal(got, rf);
    }
}

/* Real output of Cassandra 5.0.1 (one node; keyspaces tr and ledger made
 * with NetworkTopologyStrategy, 2 and 3 in datacenter1). */
static void test_real_capture(void **state)
{
    (void)state;
    const char *dir = getenv("RING_TEST_DATA");
    char path[512];
    snprintf(path, sizeof path, "%s/nodetool-describecluster-5.0.1.txt", dir ? dir : "tests/unit/data");
    char *text = testfs_slurp(path);
    /* system_distributed (SimpleStrategy, 3) ties with ledger: the user's keyspace is named */
    expect_max(text, "datacenter1", 0, "ledger", 3);
    /* another data centre: only SimpleStrategy's factors reach it */
    expect_max(text, "dc2", 0, "system_distributed", 3);
    free(text);
}

static void test_strategies(void **state)
{
    (void)state;
    const char *nts = "Keyspaces:\n"
                      "\tsystem -> Replication class: LocalStrategy {}\n"
                      "\tks -> Replication class: NetworkTopologyStrategy {dc1=2, dc2=5}\n"
                      "\ttr -> Replication class: NetworkTopologyStrategy {dc1=4/1}\n"
                      "\n"
                      "Note: ownership is meaningless\n";
    expect_max(nts, "dc1", 0, "tr", 4);
    expect_max(nts, "dc2", 0, "ks", 5);
    expect_max(nts, "dc3", 0, "", 0);
    /* CRLF line ends, a section after the keyspaces */
    expect_max("Keyspaces:\r\n\ta -> Replication class: SimpleStrategy {replication_factor=2}\r\n"
               "Other:\r\n\tb -> Replication class: SimpleStrategy {replication_factor=7}\r\n",
               "dc1", 0, "a", 2);
}

static void test_errors(void **state)
{
    (void)state;
    char ks[64], why[256] = "";
    unsigned rf;
    /* before 4.0 there is no such section */
    assert_int_equal(replication_max("Cluster Information:\n\tName: x\n", "dc1", ks, sizeof ks, &rf,
                                     why, sizeof why), 1);
    /* a line the parser can't read is an error naming it, never a factor of 0 */
    assert_int_equal(replication_max("Keyspaces:\n\tks => {}\n", "dc1", ks, sizeof ks, &rf, why,
                                     sizeof why), -1);
    assert_non_null(strstr(why, "line 2"));
    assert_non_null(strstr(why, "ks => {}"));
    assert_int_equal(replication_max("Keyspaces:\n\tks -> Replication class: S {dc1=x}\n", "dc1",
                                     ks, sizeof ks, &rf, why, sizeof why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_capture),
        cmocka_unit_test(test_strategies),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
