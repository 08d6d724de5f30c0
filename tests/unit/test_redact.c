/*
 * Unit tests of entrypoint/redact: which values are hidden, and which text is
 * left alone (a path that ends in "passwd", short values, keys that only
 * contain a secret word's letters elsewhere).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "entrypoint/redact.h"

static void expect_masked(const redact_list *l, const char *in, const char *want)
{
    char *got = redact_apply(l, in);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_keys(void **state)
{
    (void)state;
    assert_true(redact_key_looks_secret("keystore_password"));
    assert_true(redact_key_looks_secret("server_encryption_options.truststore_password"));
    assert_true(redact_key_looks_secret("jwt_token"));
    assert_true(redact_key_looks_secret("PRIVATE_KEY"));
    assert_false(redact_key_looks_secret("initial_token"));
    assert_false(redact_key_looks_secret("num_tokens"));
    assert_false(redact_key_looks_secret("cluster_name"));
}

static void test_key_rule(void **state)
{
    (void)state;
    redact_list none = {0};
    expect_masked(&none, "keystore_password: cassandra", "keystore_password: ***");
    expect_masked(&none, "-    keystore_password: cassandra\n", "-    keystore_password: ***\n");
    expect_masked(&none, "x: {keystore_password: P1, truststore_password: \"P 2\", store: a}",
                  "x: {keystore_password: ***, truststore_password: \"***\", store: a}");
    expect_masked(&none, "  - jwt_token: 'abc'  # comment", "  - jwt_token: '***'  # comment");
    /* a file path ending in a secret word is not a key */
    expect_masked(&none, "/etc/passwd: no user \"x\"", "/etc/passwd: no user \"x\"");
    /* a key without a value, or no blank after the colon */
    expect_masked(&none, "keystore_password:", "keystore_password:");
    expect_masked(&none, "password:x", "password:x");
    expect_masked(&none, "cluster_name: Test", "cluster_name: Test");
}

static void test_listed_values(void **state)
{
    (void)state;
    redact_list l = {0};
    assert_true(redact_add(&l, "dc-secret"));
    assert_true(redact_add(&l, "dc-secret")); /* once */
    assert_true(redact_add(&l, "ab"));        /* too short: not listed */
    assert_true(redact_add(&l, ""));
    assert_int_equal(l.n, 1);
    expect_masked(&l, "rackdc: dc=dc-secret (CASSANDRA_DC_FILE) dc-secret",
                  "rackdc: dc=*** (CASSANDRA_DC_FILE) ***");
    expect_masked(&l, "ab ab", "ab ab");
    assert_true(redact_add_from_yaml(&l, "{keystore_password: K1x, keystore: conf/k}"));
    assert_int_equal(l.n, 2);
    expect_masked(&l, "seed K1x unresolved", "seed *** unresolved");
    redact_free(&l);
    assert_int_equal(l.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_key_rule),
        cmocka_unit_test(test_listed_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
