/*
 * Unit tests for provision/gate's rule on a probe that cannot run in a
 * running container (`cass-entry --probe` exits 126 or 127).
 *
 * What the rule must tell apart (gate.h): an image without cass-entry (every
 * probe fails that way: reported on the GATE_CANT_RUN_LIMIT-th in a row)
 * from an exec that landed while `docker restart` stopped and started the
 * container (once or twice, then the probe runs again: never reported).  A
 * CI run once failed on the second, reported as "is IMAGE a cass-entry
 * image?".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "provision/gate.h"

static void test_reported_on_the_limit_in_a_row(void **state)
{
    (void)state;
    gate_node nd = {.name = "cass1"};
    assert_int_equal(GATE_CANT_RUN_LIMIT, 3);
    assert_false(gate_cant_run_is_final(&nd));
    assert_false(gate_cant_run_is_final(&nd));
    assert_true(gate_cant_run_is_final(&nd));
    assert_int_equal(nd.cant_run, 3);
}

static void test_a_probe_that_ran_starts_the_count_again(void **state)
{
    (void)state;
    gate_node nd = {.name = "cass1"};
    /* a restart: two probes land while the container is down... */
    assert_false(gate_cant_run_is_final(&nd));
    assert_false(gate_cant_run_is_final(&nd));
    /* ...then one runs (the gate resets the count on any other outcome)... */
    nd.cant_run = 0;
    /* ...and a later restart gets its own allowance */
    assert_false(gate_cant_run_is_final(&nd));
    assert_false(gate_cant_run_is_final(&nd));
    assert_true(gate_cant_run_is_final(&nd));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reported_on_the_limit_in_a_row),
        cmocka_unit_test(test_a_probe_that_ran_starts_the_count_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
