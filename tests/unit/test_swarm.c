/*
 * Unit tests for the pure parts of provision/swarm: where each Cassandra node
 * goes (data first, then --place, then spread), the node.id constraint, which
 * task stands for a service, and what a task state means for the gate.
 *
 * The expectations come from the rules in swarm.h, not from running the code:
 * e.g. spread over swarm-0 and swarm-1 must give the first node to swarm-0
 * (ties go to the lowest host name), the second to swarm-1 (fewest nodes),
 * and keep the counts within one of each other for any node count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "provision/lifecycle.h"
#include "provision/swarm.h"

static void two_hosts(swarm_slot s[2])
{
    memset(s, 0, 2 * sizeof *s);
    /* ids in the opposite order of the names, so a tie broken by id would
     * show up as the wrong choice */
    s[0] = (swarm_slot){.id = "zz11x6ff1vigaz6ffmms9r0u90c", .hostname = "swarm-0"};
    s[1] = (swarm_slot){.id = "aa2tbsq547cabilrgahscgjxwc3", .hostname = "swarm-1"};
}

static void test_spread_alternates(void **state)
{
    (void)state;
    swarm_slot s[2];
    two_hosts(s);
    char why[512];
    assert_int_equal(swarm_choose(s, 2, NULL, 1, -1, why, sizeof why), 0);
    assert_int_equal(swarm_choose(s, 2, NULL, 2, -1, why, sizeof why), 1);
    assert_int_equal(swarm_choose(s, 2, NULL, 3, -1, why, sizeof why), 0);
    assert_int_equal(s[0].load, 2);
    assert_int_equal(s[1].load, 1);
    /* the fourth goes to the less loaded host */
    assert_int_equal(swarm_choose(s, 2, NULL, 4, -1, why, sizeof why), 1);
}

static void test_spread_counts_existing_nodes(void **state)
{
    (void)state;
    swarm_slot s[2];
    two_hosts(s);
    s[0].load = 0;
    s[1].load = 2; /* two nodes of the cluster already run on swarm-1 */
    char why[512];
    assert_int_equal(swarm_choose(s, 2, NULL, 3, -1, why, sizeof why), 0);
    assert_int_equal(swarm_choose(s, 2, NULL, 4, -1, why, sizeof why), 0);
    assert_int_equal(swarm_choose(s, 2, NULL, 5, -1, why, sizeof why), 0);
    assert_int_equal(s[0].load, 3);
}

static void test_spread_is_even_for_any_count(void **state)
{
    (void)state;
    const char *names[] = {"c", "a", "d", "b", "e"};
    const char *ids[] = {"id3", "id1", "id4", "id2", "id5"};
    for (size_t hosts = 1; hosts <= 5; hosts++)
        for (unsigned nodes = 1; nodes <= 12; nodes++) {
            swarm_slot s[5];
            for (size_t h = 0; h < hosts; h++)
                s[h] = (swarm_slot){.id = ids[h], .hostname = names[h]};
            char why[512];
            for (unsigned i = 1; i <= nodes; i++)
                assert_true(swarm_choose(s, hosts, NULL, i, -1, why, sizeof why) >= 0);
            unsigned lo = s[0].load, hi = s[0].load, sum = 0;
            for (size_t h = 0; h < hosts; h++) {
                lo = s[h].load < lo ? s[h].load : lo;
                hi = s[h].load > hi ? s[h].load : hi;
                sum += s[h].load;
            }
            assert_int_equal(sum, nodes);
            assert_true(hi - lo <= 1);
        }
}

static void test_spread_skips_unusable(void **state)
{
    (void)state;
    swarm_slot s[3] = {
        {.id = "id-a", .hostname = "a", .unusable = "down"},
        {.id = "id-b", .hostname = "b", .unusable = "drain"},
        {.id = "id-c", .hostname = "c"},
    };
    char why[512];
    for (unsigned i = 1; i <= 3; i++)
        assert_int_equal(swarm_choose(s, 3, NULL, i, -1, why, sizeof why), 2);
    assert_int_equal(s[0].load, 0);
    assert_int_equal(s[1].load, 0);
}

static void test_no_usable_node_says_why(void **state)
{
    (void)state;
    swarm_slot s[2] = {
        {.id = "id-a", .hostname = "swarm-0", .unusable = "down"},
        {.id = "id-b", .hostname = "swarm-1", .unusable = "no engine to reach it: give --engine"},
    };
    char why[512] = "";
    assert_int_equal(swarm_choose(s, 2, NULL, 1, -1, why, sizeof why), -1);
    assert_non_null(strstr(why, "swarm-0 (down)"));
    assert_non_null(strstr(why, "--engine"));
    assert_int_equal(swarm_choose(s, 0, NULL, 1, -1, why, sizeof why), -1);
    assert_non_null(strstr(why, "no node"));
}

static void test_place_in_turn_by_name_and_id(void **state)
{
    (void)state;
    swarm_slot s[2];
    two_hosts(s);
    const char *place[] = {"swarm-0", "swarm-0", "aa2tbsq547cabilrgahscgjxwc3", NULL};
    char why[512];
    assert_int_equal(swarm_choose(s, 2, place, 1, -1, why, sizeof why), 0);
    assert_int_equal(swarm_choose(s, 2, place, 2, -1, why, sizeof why), 0);
    assert_int_equal(swarm_choose(s, 2, place, 3, -1, why, sizeof why), 1);
    /* node 4 takes the list from the start again */
    assert_int_equal(swarm_choose(s, 2, place, 4, -1, why, sizeof why), 0);
    /* a unique id prefix of 4+ characters */
    const char *prefix[] = {"aa2t", NULL};
    assert_int_equal(swarm_choose(s, 2, prefix, 1, -1, why, sizeof why), 1);
}

static void test_place_errors(void **state)
{
    (void)state;
    swarm_slot s[3] = {
        {.id = "abcd1111", .hostname = "twin"},
        {.id = "abcd2222", .hostname = "twin"},
        {.id = "ffff3333", .hostname = "lost", .unusable = "down"},
    };
    char why[512] = "";
    const char *unknown[] = {"nowhere", NULL};
    assert_int_equal(swarm_choose(s, 3, unknown, 1, -1, why, sizeof why), -1);
    assert_non_null(strstr(why, "nowhere"));
    assert_non_null(strstr(why, "no such swarm node"));

    const char *twin[] = {"twin", NULL};
    assert_int_equal(swarm_choose(s, 3, twin, 1, -1, why, sizeof why), -1);
    assert_non_null(strstr(why, "several"));

    const char *shortp[] = {"abcd", NULL}; /* a prefix of both ids */
    assert_int_equal(swarm_choose(s, 3, shortp, 1, -1, why, sizeof why), -1);

    const char *tiny[] = {"fff", NULL}; /* under 4 characters: no prefix match */
    assert_int_equal(swarm_choose(s, 3, tiny, 1, -1, why, sizeof why), -1);

    const char *lost[] = {"lost", NULL};
    assert_int_equal(swarm_choose(s, 3, lost, 1, -1, why, sizeof why), -1);
    assert_non_null(strstr(why, "down"));
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(s[i].load, 0); /* nothing counted on failure */
}

static void test_data_wins_and_never_moves(void **state)
{
    (void)state;
    swarm_slot s[2];
    two_hosts(s);
    const char *place[] = {"swarm-0", NULL};
    char why[512] = "";
    /* the data volume of the node is on swarm-1: there, whatever --place says */
    assert_int_equal(swarm_choose(s, 2, place, 1, 1, why, sizeof why), 1);
    assert_int_equal(s[1].load, 1);
    /* its host is down: an error, never another host */
    s[1].unusable = "down";
    assert_int_equal(swarm_choose(s, 2, NULL, 2, 1, why, sizeof why), -1);
    assert_non_null(strstr(why, "swarm-1"));
    assert_non_null(strstr(why, "down"));
    assert_int_equal(s[0].load, 0);
}

static void test_constraint_node(void **state)
{
    (void)state;
    char id[80];
    char *c1[] = {"node.role==manager", "node.id==2tbsq547cabilrgahscgjxwc3", NULL};
    assert_true(swarm_constraint_node(c1, id, sizeof id));
    assert_string_equal(id, "2tbsq547cabilrgahscgjxwc3");
    char *c2[] = {" node.id == abc ", NULL};
    assert_true(swarm_constraint_node(c2, id, sizeof id));
    assert_string_equal(id, "abc");
    char *c3[] = {"node.id!=abc", "node.hostname==x", NULL};
    assert_false(swarm_constraint_node(c3, id, sizeof id));
    assert_false(swarm_constraint_node(NULL, id, sizeof id));
    char *c4[] = {"node.id==0123456789", NULL};
    assert_false(swarm_constraint_node(c4, id, 5)); /* does not fit */
}

static void test_current_task(void **state)
{
    (void)state;
    docker_task t[3];
    memset(t, 0, sizeof t);
    /* newest first: a replacement being prepared, the old one shut down */
    snprintf(t[0].id, sizeof t[0].id, "new");
    snprintf(t[0].desired_state, sizeof t[0].desired_state, "shutdown");
    snprintf(t[1].id, sizeof t[1].id, "mid");
    snprintf(t[1].desired_state, sizeof t[1].desired_state, "running");
    snprintf(t[2].id, sizeof t[2].id, "old");
    snprintf(t[2].desired_state, sizeof t[2].desired_state, "running");
    assert_string_equal(swarm_current_task(t, 3)->id, "mid");
    /* nothing wanted running: a replacement waiting out its restart delay
     * (desired "ready") stands for the service, not the newest task */
    snprintf(t[1].desired_state, sizeof t[1].desired_state, "ready");
    snprintf(t[2].desired_state, sizeof t[2].desired_state, "shutdown");
    assert_string_equal(swarm_current_task(t, 3)->id, "mid");
    snprintf(t[1].desired_state, sizeof t[1].desired_state, "shutdown");
    assert_string_equal(swarm_current_task(t, 3)->id, "new");
    assert_null(swarm_current_task(t, 0));
}

static swarm_task_state judge(const char *state, const char *error)
{
    docker_task t;
    memset(&t, 0, sizeof t);
    snprintf(t.state, sizeof t.state, "%s", state);
    snprintf(t.error, sizeof t.error, "%s", error);
    return swarm_task_judge(&t);
}

static void test_task_judge(void **state)
{
    (void)state;
    assert_int_equal(judge("running", ""), SWARM_TASK_RUNNING);
    assert_int_equal(judge("rejected", "No such image: r/x@sha256:00"), SWARM_TASK_REJECTED);
    assert_int_equal(judge("failed", "task: non-zero exit (137)"), SWARM_TASK_ENDED);
    assert_int_equal(judge("shutdown", ""), SWARM_TASK_ENDED);
    assert_int_equal(judge("complete", ""), SWARM_TASK_ENDED);
    assert_int_equal(judge("orphaned", ""), SWARM_TASK_ENDED);
    assert_int_equal(judge("pending",
                           "no suitable node (scheduling constraints not satisfied on 2 nodes)"),
                     SWARM_TASK_UNSCHEDULED);
    assert_int_equal(judge("pending", ""), SWARM_TASK_WAIT);
    assert_int_equal(judge("new", ""), SWARM_TASK_WAIT);
    assert_int_equal(judge("assigned", ""), SWARM_TASK_WAIT);
    assert_int_equal(judge("preparing", ""), SWARM_TASK_WAIT);
    assert_int_equal(judge("starting", ""), SWARM_TASK_WAIT);
}

static void test_restart_condition(void **state)
{
    (void)state;
    assert_string_equal(swarm_restart_condition("no"), "none");
    assert_string_equal(swarm_restart_condition("on-failure"), "on-failure");
    assert_string_equal(swarm_restart_condition("unless-stopped"), "any");
    assert_string_equal(swarm_restart_condition("always"), "any");
    assert_string_equal(swarm_restart_condition(NULL), "any");
}

/* remove refuses seeds: a name in the cluster's seed list, exactly; and
 * takes only the last node */
static void test_names_seed(void **state)
{
    (void)state;
    assert_true(lifecycle_names_seed("cass1,cass2,cass3", "cass2"));
    assert_true(lifecycle_names_seed("cass1, cass3", "cass3"));
    assert_false(lifecycle_names_seed("cass1,cass2,cass3", "cass4"));
    assert_false(lifecycle_names_seed("cass10,cass11", "cass1"));
    assert_false(lifecycle_names_seed("", "cass1"));
    gate_node a = {.name = "cass1"}, b = {.name = "cass2"}, c = {.name = "cass3"};
    gate_node *nodes[] = {&a, &b, &c};
    prov_error err = {0};
    assert_int_equal(lifecycle_removable(nodes, 3, "cass3", "cass1", "cass", &err), 2);
    assert_int_equal(lifecycle_removable(nodes, 3, "cass2", "cass1", "cass", &err), 3);
    assert_non_null(strstr(err.message, "not the last node (cass3)"));
    assert_int_equal(lifecycle_removable(nodes, 3, "cass3", "cass1,cass3", "cass", &err), 3);
    assert_non_null(strstr(err.message, "cass3 is a seed"));
    assert_int_equal(lifecycle_removable(nodes, 3, "cass9", "cass1", "cass", &err), 3);
    assert_non_null(strstr(err.message, "has no node cass9 (cass1..cass3)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spread_alternates),
        cmocka_unit_test(test_spread_counts_existing_nodes),
        cmocka_unit_test(test_spread_is_even_for_any_count),
        cmocka_unit_test(test_spread_skips_unusable),
        cmocka_unit_test(test_no_usable_node_says_why),
        cmocka_unit_test(test_place_in_turn_by_name_and_id),
        cmocka_unit_test(test_place_errors),
        cmocka_unit_test(test_data_wins_and_never_moves),
        cmocka_unit_test(test_constraint_node),
        cmocka_unit_test(test_current_task),
        cmocka_unit_test(test_task_judge),
        cmocka_unit_test(test_restart_condition),
        cmocka_unit_test(test_names_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
