/*
 * Unit tests of cql/session's RESULT parsing and cql/wire's frame writing,
 * against RESULT bodies captured from a real Cassandra 5.0.1 node (the
 * product image) with `build/tests/cql-cli -w FILE`, unedited, in
 * tests/unit/data/cql/:
 *   roles.result          SELECT role, is_superuser, can_login FROM system_auth.roles
 *   lwt-lost.result       INSERT ... IF NOT EXISTS on a row that exists ([applied] false)
 *   local.result          SELECT schema_version, cluster_name, native_protocol_version FROM system.local
 *   void.result           an INSERT
 *   schema-change.result  a CREATE TABLE
 *   collections.result    SELECT * over (a int, b list<text>, c map<text,int>), a null row
 *   prepared.result       PREPARE of INSERT INTO cass_entry.initdb (...) VALUES (?, ?, toTimestamp(now()), ?)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cql/session.h"

static unsigned char *load(const char *name, size_t *len)
{
    char path[512];
    const char *dir = getenv("CQL_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/unit/data/cql", name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    unsigned char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static cql_result parse_ok(const char *name)
{
    size_t len;
    unsigned char *body = load(name, &len);
    cql_result r;
    cql_error e;
    if (cql_parse_result(body, len, &r, &e) != CQL_OK) fail_msg("%s: %s", name, e.message);
    return r;
}

static void expect_text(const cql_result *r, size_t row, const char *col, const char *want)
{
    int c = cql_column(r, col);
    assert_true(c >= 0);
    char *got = cql_value_text(cql_cell(r, row, (size_t)c));
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_rows(void **state)
{
    (void)state;
    cql_result r = parse_ok("roles.result");
    assert_int_equal(r.kind, CQL_RESULT_ROWS);
    assert_int_equal(r.n_cols, 3);
    assert_int_equal(r.n_rows, 2);
    assert_string_equal(r.names[0], "role");
    assert_int_equal(r.types[0], 0x000D); /* varchar */
    assert_int_equal(r.types[1], 0x0004); /* boolean */
    expect_text(&r, 0, "role", "admin");
    assert_true(cql_value_bool(cql_cell(&r, 0, 1)));
    expect_text(&r, 1, "role", "cassandra");
    assert_false(cql_value_bool(cql_cell(&r, 1, 1)));
    assert_false(cql_value_bool(cql_cell(&r, 1, 2)));
    assert_null(cql_cell(&r, 2, 0));
    assert_int_equal(cql_column(&r, "nosuch"), -1);
    cql_result_free(&r);
}

static void test_lwt_not_applied(void **state)
{
    (void)state;
    cql_result r = parse_ok("lwt-lost.result");
    int applied = cql_column(&r, "[applied]");
    assert_int_equal(applied, 0);
    assert_false(cql_value_bool(cql_cell(&r, 0, (size_t)applied)));
    expect_text(&r, 0, "v", "it's one");
    cql_result_free(&r);
}

static void test_uuid_and_text(void **state)
{
    (void)state;
    cql_result r = parse_ok("local.result");
    char u[37];
    cql_value_uuid(cql_cell(&r, 0, 0), u);
    assert_string_equal(u, "8424792b-f347-3bb1-a8e3-d11a787c4b97");
    expect_text(&r, 0, "cluster_name", "Test Cluster");
    cql_result_free(&r);
}

static void test_other_kinds(void **state)
{
    (void)state;
    cql_result r = parse_ok("void.result");
    assert_int_equal(r.kind, CQL_RESULT_VOID);
    cql_result_free(&r);
    r = parse_ok("schema-change.result");
    assert_int_equal(r.kind, CQL_RESULT_SCHEMA_CHANGE);
    cql_result_free(&r);
}

static void test_collections_and_nulls(void **state)
{
    (void)state;
    cql_result r = parse_ok("collections.result");
    assert_int_equal(r.n_rows, 2);
    assert_int_equal(r.types[cql_column(&r, "b")], 0x0020); /* list */
    assert_int_equal(r.types[cql_column(&r, "c")], 0x0021); /* map */
    const cql_value *b = cql_cell(&r, 0, (size_t)cql_column(&r, "b"));
    assert_int_equal(b->len, 14); /* [int] 2, then "x" and "y" as [bytes] */
    assert_int_equal(cql_cell(&r, 1, (size_t)cql_column(&r, "b"))->len, -1);
    expect_text(&r, 1, "c", NULL);
    cql_result_free(&r);
}

/* Every body cut short, and every byte flipped, is refused or parsed, never
 * read out of bounds (run under ASan by `make asan`). */
static void test_truncated_and_corrupt(void **state)
{
    (void)state;
    const char *const names[] = { "roles.result", "lwt-lost.result", "collections.result", "prepared.result" };
    for (size_t k = 0; k < 4; k++) {
        size_t len;
        unsigned char *whole = load(names[k], &len);
        for (size_t cut = 0; cut < len; cut++) {
            unsigned char *body = malloc(cut ? cut : 1);
            memcpy(body, whole, cut);
            cql_result r;
            cql_error e;
            if (cql_parse_result(body, cut, &r, &e) == CQL_OK) {
                /* a prefix may still be whole only if no row was cut */
                assert_true(r.n_rows <= 2);
                cql_result_free(&r);
            } else {
                assert_int_equal(e.code, CQL_ERR_PROTOCOL);
            }
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char *body = malloc(len);
            memcpy(body, whole, len);
            body[i] ^= 0xff;
            cql_result r;
            cql_error e;
            if (cql_parse_result(body, len, &r, &e) == CQL_OK) cql_result_free(&r);
        }
        free(whole);
    }
}

static void test_prepared(void **state)
{
    (void)state;
    cql_result r = parse_ok("prepared.result");
    assert_int_equal(r.kind, CQL_RESULT_PREPARED);
    assert_int_equal(r.n_params, 3);
    assert_int_equal(r.prepared_id_len, 16); /* an MD5 of the statement */
    cql_result_free(&r);
}

static void test_query_frame(void **state)
{
    (void)state;
    cql_writer w;
    cql_write_begin(&w, 1, CQL_OP_QUERY);
    cql_write_long_string(&w, "SELECT ?");
    cql_write_u16(&w, CQL_CL_QUORUM);
    cql_write_u8(&w, 0x01);
    cql_write_u16(&w, 1);
    cql_value v = cql_text_value("ab");
    cql_write_bytes(&w, v.data, v.len);
    cql_write_bytes(&w, NULL, -1);
    assert_true(cql_write_finish(&w));
    static const unsigned char want[] = {
        0x04, 0x00, 0x00, 0x01, 0x07, 0x00, 0x00, 0x00, 0x1b,       /* v4, stream 1, QUERY, 27 */
        0x00, 0x00, 0x00, 0x08, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '?',
        0x00, 0x04, 0x01, 0x00, 0x01,                                /* QUORUM, VALUES, 1 value */
        0x00, 0x00, 0x00, 0x02, 'a', 'b',
        0xff, 0xff, 0xff, 0xff,                                      /* a null */
    };
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(w.data, want, sizeof want);
    cql_writer_free(&w);
}

static void test_error_body(void **state)
{
    (void)state;
    static const unsigned char body[] = { 0x00, 0x00, 0x01, 0x00, 0x00, 0x0f, 'B', 'a', 'd', ' ', 'c', 'r', 'e',
                                          'd', 'e', 'n', 't', 'i', 'a', 'l', 's' };
    cql_reader r = { body, body + sizeof body };
    cql_error e;
    assert_int_equal(cql_error_body(&r, &e), CQL_ERR_SERVER);
    assert_int_equal(e.server_code, 0x0100);
    assert_non_null(strstr(e.message, "bad credentials"));
    assert_non_null(strstr(e.message, "Bad credentials"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_lwt_not_applied),
        cmocka_unit_test(test_uuid_and_text),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_collections_and_nulls),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_prepared),
        cmocka_unit_test(test_query_frame),
        cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests_name("cql_session", tests, NULL, NULL);
}
