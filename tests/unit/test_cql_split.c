/*
 * Unit tests of cql/split: where statements end (strings, identifiers, $$,
 * comments, batches), where each starts, and the errors for what is left open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cql/split.h"

static cql_script split_ok(const char *text)
{
    cql_script s;
    cql_split_error e;
    if (!cql_split(text, strlen(text), &s, &e)) fail_msg("split failed: %u:%u %s", e.line, e.column, e.message);
    return s;
}

static void test_plain(void **state)
{
    (void)state;
    cql_script s = split_ok("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\n"
                            "  USE k ;\n\nINSERT INTO t (a) VALUES (1)");
    assert_int_equal(s.n, 3);
    assert_string_equal(s.items[0].text,
                        "CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    assert_string_equal(s.items[1].text, "USE k");
    assert_int_equal(s.items[1].line, 2);
    assert_int_equal(s.items[1].column, 3);
    assert_string_equal(s.items[2].text, "INSERT INTO t (a) VALUES (1)");
    assert_int_equal(s.items[2].line, 4);
    cql_script_free(&s);
}

static void test_quotes_and_comments(void **state)
{
    (void)state;
    cql_script s = split_ok("-- a comment; not a statement\n"
                            "INSERT INTO t (a, b) VALUES ('it''s; fine', $$x;y$$); // trailing; comment\n"
                            "/* block;\n comment */ SELECT \"we;ird\" FROM t;\n"
                            ";;  -- only comments and empties\n");
    assert_int_equal(s.n, 2);
    assert_string_equal(s.items[0].text, "INSERT INTO t (a, b) VALUES ('it''s; fine', $$x;y$$)");
    assert_int_equal(s.items[0].line, 2);
    assert_string_equal(s.items[1].text, "SELECT \"we;ird\" FROM t");
    assert_int_equal(s.items[1].line, 4);
    assert_int_equal(s.items[1].column, 13);
    cql_script_free(&s);
}

static void test_batch(void **state)
{
    (void)state;
    cql_script s = split_ok("begin unlogged batch\n  INSERT INTO t (a) VALUES (1);\n  INSERT INTO t (a) VALUES (2);\n"
                            "apply batch;\nSELECT * FROM t;");
    assert_int_equal(s.n, 2);
    assert_string_equal(s.items[0].text,
                        "begin unlogged batch\n  INSERT INTO t (a) VALUES (1);\n  INSERT INTO t (a) VALUES (2);\napply batch");
    assert_string_equal(s.items[1].text, "SELECT * FROM t");
    cql_script_free(&s);
    /* a column named batch is not a batch */
    s = split_ok("SELECT batch FROM t; SELECT 1 FROM t;");
    assert_int_equal(s.n, 2);
    cql_script_free(&s);
}

static void expect_error(const char *text, unsigned line, unsigned column, const char *what)
{
    cql_script s;
    cql_split_error e;
    assert_false(cql_split(text, strlen(text), &s, &e));
    assert_int_equal(e.line, line);
    assert_int_equal(e.column, column);
    assert_string_equal(e.message, what);
    assert_null(s.items);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("SELECT 1;\nINSERT INTO t (a) VALUES ('open", 2, 27, "unterminated string");
    expect_error("SELECT \"x FROM t;", 1, 8, "unterminated quoted identifier");
    expect_error("SELECT 1; /* never closed", 1, 11, "unterminated /* comment");
    expect_error("x $$abc", 1, 3, "unterminated $$ string");
    expect_error("USE k;\nBEGIN BATCH INSERT INTO t (a) VALUES (1);", 2, 1, "BEGIN BATCH without APPLY BATCH");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_quotes_and_comments),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("cql_split", tests, NULL, NULL);
}
