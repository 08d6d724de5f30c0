/* Unit tests of the yamlpatch library: spans, paths, quoting, each operation,
 * CRLF/BOM/UTF-8/no final newline, block and flow styles, aliases, duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "yamlpatch/yamlpatch.h"

static yp_doc *load(const char *text)
{
    yp_error err;
    yp_doc *doc = yp_doc_load(text, strlen(text), false, &err);
    if (!doc) fail_msg("load failed: %s", err.message);
    return doc;
}

static void assert_bytes(const yp_doc *doc, const char *expected)
{
    size_t len;
    const char *bytes = yp_doc_bytes(doc, &len);
    if (len != strlen(expected) || memcmp(bytes, expected, len) != 0)
        fail_msg("got:\n[%.*s]\nexpected:\n[%s]", (int)len, bytes, expected);
}

/* set PATH=VALUE on `in` and compare the whole result */
static void set_expect(const char *in, const char *path, const char *value, yp_value_type type,
                       unsigned flags, const char *expected)
{
    yp_doc *doc = load(in);
    yp_error err;
    yp_status st = yp_set(doc, path, value, type, flags, &err);
    if (st != YP_OK) fail_msg("set %s=%s: %s", path, value, err.message);
    assert_bytes(doc, expected);
    /* applying the same edit again changes nothing */
    assert_int_equal(yp_set(doc, path, value, type, flags, &err), YP_OK);
    assert_bytes(doc, expected);
    yp_doc_free(doc);
}

static void del_expect(const char *in, const char *path, const char *expected)
{
    yp_doc *doc = load(in);
    yp_error err;
    if (yp_delete(doc, path, &err) != YP_OK) fail_msg("del %s: %s", path, err.message);
    assert_bytes(doc, expected);
    yp_doc_free(doc);
}

static char *get(const char *in, const char *path)
{
    yp_doc *doc = load(in);
    yp_error err;
    char *out = NULL;
    if (yp_get(doc, path, &out, NULL, &err) != YP_OK) fail_msg("get %s: %s", path, err.message);
    yp_doc_free(doc);
    return out;
}

static yp_status set_status(const char *in, const char *path, const char *value,
                            yp_value_type type, yp_error *err)
{
    yp_doc *doc = load(in);
    size_t len_before;
    char *before = strdup(yp_doc_bytes(doc, &len_before));
    yp_status st = yp_set(doc, path, value, type, 0, err);
    if (st != YP_OK) assert_bytes(doc, before); /* a failed edit changes nothing */
    free(before);
    yp_doc_free(doc);
    return st;
}

/* ---- paths ------------------------------------------------------------- */

static void test_get_paths(void **state)
{
    (void)state;
    const char *y = "a:\n  b: 1\n  \"c.d\": 2\nl: [x, y, z]\n"
                    "s:\n  - name: n1\n    v: 10\n  - name: n2\n    v: 20\n";
    char *v;
    v = get(y, "a.b"); assert_string_equal(v, "1"); free(v);
    v = get(y, "a.\"c.d\""); assert_string_equal(v, "2"); free(v);
    v = get(y, "l[0]"); assert_string_equal(v, "x"); free(v);
    v = get(y, "l[-1]"); assert_string_equal(v, "z"); free(v);
    v = get(y, "s[name=n2].v"); assert_string_equal(v, "20"); free(v);
    v = get(y, "s[1].name"); assert_string_equal(v, "n2"); free(v);
    v = get(y, "a"); assert_string_equal(v, "  b: 1\n  \"c.d\": 2"); free(v);
}

static void test_path_errors(void **state)
{
    (void)state;
    yp_doc *doc = load("a: {b: 1}\nl: [1]\n");
    yp_error err;
    char *out;
    assert_int_equal(yp_get(doc, "a..b", &out, NULL, &err), YP_ERR_PATH);
    assert_int_equal(yp_get(doc, "a[", &out, NULL, &err), YP_ERR_PATH);
    assert_int_equal(yp_get(doc, "a.\"b", &out, NULL, &err), YP_ERR_PATH);
    assert_int_equal(yp_get(doc, "a.c", &out, NULL, &err), YP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "a.c"));
    assert_int_equal(yp_get(doc, "l[5]", &out, NULL, &err), YP_ERR_NOT_FOUND);
    assert_int_equal(yp_get(doc, "l.x", &out, NULL, &err), YP_ERR_TYPE);
    assert_int_equal(yp_get(doc, "a[0]", &out, NULL, &err), YP_ERR_TYPE);
    yp_doc_free(doc);
}

/* ---- set: scalars and styles ------------------------------------------ */

static void test_set_keeps_styles(void **state)
{
    (void)state;
    set_expect("a: 'x'  # keep\nb: \"y\"\nc: z\n", "a", "new", YP_VALUE_AUTO, 0,
               "a: 'new'  # keep\nb: \"y\"\nc: z\n");
    set_expect("a: 'x'\nb: \"y\"\n", "b", "it's", YP_VALUE_AUTO, 0, "a: 'x'\nb: \"it's\"\n");
    set_expect("a: 'x'\n", "a", "it's", YP_VALUE_AUTO, 0, "a: 'it''s'\n");
    set_expect("n: 16 # tokens\n", "n", "32", YP_VALUE_AUTO, 0, "n: 32 # tokens\n");
    set_expect("lit: |\n  one\n  two\n\nnext: 1\n", "lit", "three\nfour\n", YP_VALUE_AUTO, 0,
               "lit: |\n  three\n  four\n\nnext: 1\n");
}

static void test_quoting(void **state)
{
    (void)state;
    /* a string that would read as something else is quoted */
    set_expect("s: text\n", "s", "yes", YP_VALUE_AUTO, 0, "s: \"yes\"\n");
    set_expect("s: text\n", "s", "0777", YP_VALUE_AUTO, 0, "s: \"0777\"\n");
    set_expect("s: text\n", "s", "1_000", YP_VALUE_AUTO, 0, "s: \"1_000\"\n");
    set_expect("s: text\n", "s", "12:30", YP_VALUE_AUTO, 0, "s: \"12:30\"\n");
    set_expect("s: text\n", "s", "a: b", YP_VALUE_AUTO, 0, "s: \"a: b\"\n");
    set_expect("s: text\n", "s", "#x", YP_VALUE_AUTO, 0, "s: \"#x\"\n");
    set_expect("s: text\n", "s", "", YP_VALUE_AUTO, 0, "s: \"\"\n");
    set_expect("s: text\n", "s", "über", YP_VALUE_AUTO, 0, "s: über\n");
    set_expect("s: text\n", "s", "a\"b\\c", YP_VALUE_STRING, 0, "s: a\"b\\c\n");
    set_expect("s: \"text\"\n", "s", "a\"b\\c", YP_VALUE_STRING, 0, "s: \"a\\\"b\\\\c\"\n");
    /* an int stays an int; a bool a bool */
    set_expect("n: 1\n", "n", "42", YP_VALUE_AUTO, 0, "n: 42\n");
    set_expect("b: true\n", "b", "false", YP_VALUE_AUTO, 0, "b: false\n");
    /* ... but an ambiguous form replacing an int becomes a quoted string */
    set_expect("n: 1\n", "n", "0777", YP_VALUE_AUTO, 0, "n: \"0777\"\n");
    /* a string replacing a string stays a string even when it looks numeric */
    set_expect("s: abc\n", "s", "123", YP_VALUE_AUTO, 0, "s: \"123\"\n");
    /* typed modes */
    set_expect("b: x\n", "b", "yes", YP_VALUE_BOOL, 0, "b: true\n");
    set_expect("n: x\n", "n", "7", YP_VALUE_INT, 0, "n: 7\n");
    set_expect("n: x\n", "n", "", YP_VALUE_NULL, 0, "n: null\n");
    set_expect("n: 1\n", "n", "7", YP_VALUE_STRING, 0, "n: \"7\"\n");
    yp_error err;
    assert_int_equal(set_status("n: 1\n", "n", "seven", YP_VALUE_INT, &err), YP_ERR_VALUE);
    assert_int_equal(set_status("n: 1\n", "n", "maybe", YP_VALUE_BOOL, &err), YP_ERR_VALUE);
    assert_int_equal(set_status("n: 1\n", "n", "[unclosed", YP_VALUE_YAML, &err), YP_ERR_VALUE);
}

/* ---- set: new keys, uncomment ------------------------------------------ */

static void test_set_empty_values(void **state)
{
    (void)state;
    /* libyaml marks an empty value at the next token: it must land after ':' */
    set_expect("a: 1\nk:\nb: 2\n", "k", "x", YP_VALUE_AUTO, 0, "a: 1\nk: x\nb: 2\n");
    set_expect("m:\n  x:\n  y: 1\n", "m.x", "5", YP_VALUE_AUTO, 0, "m:\n  x: 5\n  y: 1\n");
    set_expect("k:\nb: 2\n", "k", "[1, 2]", YP_VALUE_YAML, 0, "k:\n  - 1\n  - 2\nb: 2\n");
    set_expect("m: {a: , b: 1}\n", "m.a", "z", YP_VALUE_AUTO, 0, "m: {a: z , b: 1}\n");
}

static void test_set_existing_only(void **state)
{
    (void)state;
    yp_error err;
    yp_doc *doc = load("a: 1\n# b: 2\n");
    assert_int_equal(yp_set(doc, "c", "3", YP_VALUE_AUTO, YP_SET_EXISTING | YP_SET_UNCOMMENT,
                            &err), YP_ERR_NOT_FOUND);
    assert_bytes(doc, "a: 1\n# b: 2\n");
    assert_int_equal(yp_set(doc, "b", "3", YP_VALUE_AUTO, YP_SET_EXISTING | YP_SET_UNCOMMENT,
                            &err), YP_OK);
    assert_bytes(doc, "a: 1\nb: 3\n");
    yp_doc_free(doc);
}

static void test_set_appends_missing_keys(void **state)
{
    (void)state;
    set_expect("a: 1\n# about b\nb:\n  c: 2\n\n# trailing\n", "b.d", "3", YP_VALUE_AUTO, 0,
               "a: 1\n# about b\nb:\n  c: 2\n  d: 3\n\n# trailing\n");
    set_expect("a: 1\n", "x.y.z", "v", YP_VALUE_AUTO, 0, "a: 1\nx:\n  y:\n    z: v\n");
    set_expect("a: 1", "b", "2", YP_VALUE_AUTO, 0, "a: 1\nb: 2\n");
    set_expect("a:\nb: 1\n", "a.k", "v", YP_VALUE_AUTO, 0, "a:\n  k: v\nb: 1\n");
    set_expect("m: {a: 1}\n", "m.b", "2", YP_VALUE_AUTO, 0, "m: {a: 1, b: 2}\n");
    set_expect("", "k", "v", YP_VALUE_AUTO, 0, "k: v\n");
}

static void test_uncomment(void **state)
{
    (void)state;
    const char *y = "listen_address: localhost\n"
                    "# table: Always flush with the same compressor that the table uses.\n"
                    "# broadcast_address: 1.2.3.4\n"
                    "rpc_address: localhost\n"
                    "nested:\n  a: 1\n  # b: 2\n";
    set_expect(y, "broadcast_address", "10.0.0.1", YP_VALUE_AUTO, YP_SET_UNCOMMENT,
               "listen_address: localhost\n"
               "# table: Always flush with the same compressor that the table uses.\n"
               "broadcast_address: 10.0.0.1\n"
               "rpc_address: localhost\n"
               "nested:\n  a: 1\n  # b: 2\n");
    /* prose is never taken: the key is appended instead */
    set_expect(y, "table", "x", YP_VALUE_AUTO, YP_SET_UNCOMMENT,
               "listen_address: localhost\n"
               "# table: Always flush with the same compressor that the table uses.\n"
               "# broadcast_address: 1.2.3.4\n"
               "rpc_address: localhost\n"
               "nested:\n  a: 1\n  # b: 2\n"
               "table: x\n");
    /* nested: the template at the nested key column */
    set_expect(y, "nested.b", "3", YP_VALUE_AUTO, YP_SET_UNCOMMENT,
               "listen_address: localhost\n"
               "# table: Always flush with the same compressor that the table uses.\n"
               "# broadcast_address: 1.2.3.4\n"
               "rpc_address: localhost\n"
               "nested:\n  a: 1\n  b: 3\n");
    /* without the flag the template stays and the key is appended */
    set_expect("a: 1\n# b: 2\nc: 3\n", "b", "5", YP_VALUE_AUTO, 0, "a: 1\n# b: 2\nc: 3\nb: 5\n");
    /* capitalised words are headings and sentences, not keys */
    set_expect("a: 1\n# NOTE: x\n# Default: true\n", "Default", "false", YP_VALUE_AUTO,
               YP_SET_UNCOMMENT, "a: 1\nDefault: false\n# NOTE: x\n# Default: true\n");
    /* the last matching template in range wins */
    set_expect("# k: 1\na: 1\n# k: 2\n", "k", "9", YP_VALUE_AUTO, YP_SET_UNCOMMENT,
               "# k: 1\na: 1\nk: 9\n");
}

/* ---- sequences and flow ------------------------------------------------ */

static void test_sequences(void **state)
{
    (void)state;
    set_expect("dirs:\n    - /a\n    - /b\nx: 1\n", "dirs", "[/c, /d]", YP_VALUE_YAML, 0,
               "dirs:\n    - /c\n    - /d\nx: 1\n");
    set_expect("dirs: [/a, /b]\n", "dirs", "[/c, /d]", YP_VALUE_YAML, 0, "dirs: [/c, /d]\n");
    set_expect("dirs: [/a, /b]\n", "dirs[1]", "/z", YP_VALUE_AUTO, 0, "dirs: [/a, /z]\n");
    set_expect("k: v\n", "dirs", "- /c\n- /d\n", YP_VALUE_YAML, 0, "k: v\ndirs:\n  - /c\n  - /d\n");
    set_expect("s:\n  - name: a\n    v: 1\n  - name: b\n    v: 2\n", "s[name=b].v", "3",
               YP_VALUE_AUTO, 0, "s:\n  - name: a\n    v: 1\n  - name: b\n    v: 3\n");
    set_expect("m: {a: 1, b: x}\n", "m.b", "a,b", YP_VALUE_AUTO, 0, "m: {a: 1, b: \"a,b\"}\n");
}

/* ---- delete ------------------------------------------------------------ */

static void test_delete(void **state)
{
    (void)state;
    del_expect("a: 1  # about a\n# about b\nb: 2\n", "a", "# about b\nb: 2\n");
    del_expect("a: 1\nb:\n  c: 1\n  d: 2\ne: 3\n", "b", "a: 1\ne: 3\n");
    del_expect("l:\n  - x\n  - y\n", "l[0]", "l:\n  - y\n");
    del_expect("l: [x, y, z]\n", "l[1]", "l: [x, z]\n");
    del_expect("l: [x, y, z]\n", "l[-1]", "l: [x, y]\n");
    del_expect("m: {a: 1, b: 2}\n", "m.a", "m: {b: 2}\n");
    del_expect("s:\n  - a: 1\n    b: 2\n", "s[0].a", "s:\n  - b: 2\n");
    del_expect("m:\n  only: 1\nz: 2\n", "m.only", "m:\n  {}\nz: 2\n");
    yp_doc *doc = load("a: 1\n");
    yp_error err;
    assert_int_equal(yp_delete(doc, "b", &err), YP_ERR_NOT_FOUND);
    yp_doc_free(doc);
}

/* ---- encodings and line endings --------------------------------------- */

static void test_crlf_bom_utf8(void **state)
{
    (void)state;
    set_expect("a: 1\r\nb:\r\n  c: x\r\n", "b.d", "w", YP_VALUE_AUTO, 0,
               "a: 1\r\nb:\r\n  c: x\r\n  d: w\r\n");
    set_expect("\xEF\xBB\xBFname: caf\xC3\xA9 # c\nx: 1\n", "x", "2", YP_VALUE_AUTO, 0,
               "\xEF\xBB\xBFname: caf\xC3\xA9 # c\nx: 2\n");
    set_expect("k: \xC3\xA9\xC3\xA9\xC3\xA9\nz: \xE2\x82\xAC\n", "z", "\xE2\x82\xAC\xE2\x82\xAC",
               YP_VALUE_AUTO, 0, "k: \xC3\xA9\xC3\xA9\xC3\xA9\nz: \xE2\x82\xAC\xE2\x82\xAC\n");
    set_expect("a: 1\nb: 2", "b", "3", YP_VALUE_AUTO, 0, "a: 1\nb: 3");
    char *v = get("\xEF\xBB\xBF" "k: \xC3\xBC" "ber\n", "k");
    assert_string_equal(v, "\xC3\xBC" "ber");
    free(v);
    yp_error err;
    assert_null(yp_doc_load("\xFF\xFE" "a\0:", 5, false, &err));
    assert_int_equal(err.code, YP_ERR_PARSE);
}

/* ---- errors ------------------------------------------------------------ */

static void test_parse_error_position(void **state)
{
    (void)state;
    yp_error err;
    const char *bad = "a: 1\nb: [x, y\nc: 2\n";
    assert_null(yp_doc_load(bad, strlen(bad), false, &err));
    assert_int_equal(err.code, YP_ERR_PARSE);
    assert_true(err.line >= 2);
    assert_true(err.column >= 1);
}

static void test_duplicates(void **state)
{
    (void)state;
    yp_error err;
    const char *dup = "a: 1\nb: 2\na: 3\n";
    assert_null(yp_doc_load(dup, strlen(dup), false, &err));
    assert_int_equal(err.code, YP_ERR_DUPLICATE);
    assert_int_equal(err.line, 3);
    yp_doc *doc = yp_doc_load(dup, strlen(dup), true, &err);
    assert_non_null(doc);
    char *v;
    assert_int_equal(yp_get(doc, "a", &v, NULL, &err), YP_OK);
    assert_string_equal(v, "3"); /* the last one counts, as in SnakeYAML */
    free(v);
    yp_doc_free(doc);
}

static void test_aliases_refused(void **state)
{
    (void)state;
    yp_error err;
    const char *y = "base: &b\n  k: 1\nuse: *b\nfree: &f 2\nother: 3\n";
    assert_int_equal(set_status(y, "base.k", "2", YP_VALUE_AUTO, &err), YP_ERR_ALIAS);
    assert_int_equal(set_status(y, "use.k", "2", YP_VALUE_AUTO, &err), YP_ERR_ALIAS);
    /* an anchor nobody refers to may be edited, and the anchor stays */
    set_expect(y, "free", "5", YP_VALUE_AUTO, 0, "base: &b\n  k: 1\nuse: *b\nfree: &f 5\nother: 3\n");
    set_expect(y, "other", "4", YP_VALUE_AUTO, 0, "base: &b\n  k: 1\nuse: *b\nfree: &f 2\nother: 4\n");
}

static void test_multi_document(void **state)
{
    (void)state;
    yp_error err;
    const char *y = "a: 1\n---\na: 2\n";
    yp_doc *doc = load(y);
    assert_int_equal(yp_doc_count(doc), 2);
    assert_int_equal(yp_doc_select(doc, 1, &err), YP_OK);
    assert_int_equal(yp_set(doc, "a", "9", YP_VALUE_AUTO, 0, &err), YP_OK);
    assert_bytes(doc, "a: 1\n---\na: 9\n");
    assert_int_equal(yp_doc_select(doc, 2, &err), YP_ERR_NOT_FOUND);
    yp_doc_free(doc);
}


/* ---- batches and the fuzzer's findings ---------------------------------- */

static void apply_expect(const char *in, const yp_edit *edits, size_t n, const char *expected)
{
    yp_doc *doc = load(in);
    yp_error err;
    if (yp_apply(doc, edits, n, &err) != YP_OK) fail_msg("apply: %s", err.message);
    assert_bytes(doc, expected);
    yp_doc_free(doc);
}

static void test_apply_batches(void **state)
{
    (void)state;
    /* independent edits in one pass */
    yp_edit two[] = { { .path = "a", .value = "2" }, { .path = "b", .value = "3" } };
    apply_expect("a: 1\nb: 1\n", two, 2, "a: 2\nb: 3\n");
    /* an edit that is a no-op only before an earlier edit of the batch */
    yp_edit back[] = { { .path = "k", .value = "2" }, { .path = "k", .value = "1" } };
    apply_expect("k: 1\n", back, 2, "k: 1\n");
    yp_edit recreate[] = { { .path = "a", .remove = true }, { .path = "a.b", .value = "1" } };
    apply_expect("a:\n  b: 1\nc: 2\n", recreate, 2, "c: 2\na:\n  b: 1\n");
    /* a key added under a node, then the node replaced */
    yp_edit under[] = { { .path = "a.c", .value = "2" }, { .path = "a", .value = "5" } };
    apply_expect("a:\n  b: 1\n", under, 2, "a: 5\n");
    /* a key created by an earlier edit */
    yp_edit nested[] = { { .path = "x.y", .value = "1" }, { .path = "x.z", .value = "2" } };
    apply_expect("a: 1\n", nested, 2, "a: 1\nx:\n  y: 1\n  z: 2\n");
    /* sequence indices after a delete refer to the shifted sequence */
    yp_edit shift[] = { { .path = "l[0]", .remove = true }, { .path = "l[0]", .value = "z" } };
    apply_expect("l: [a, b, c]\n", shift, 2, "l: [z, c]\n");
    /* all or nothing */
    yp_doc *doc = load("a: 1\n");
    yp_error err;
    yp_edit bad[] = { { .path = "a", .value = "2" }, { .path = "a.b.c", .remove = true } };
    assert_int_equal(yp_apply(doc, bad, 2, &err), YP_ERR_NOT_FOUND);
    assert_bytes(doc, "a: 1\n");
    yp_doc_free(doc);
}

static void test_fuzz_findings(void **state)
{
    (void)state;
    yp_error err;
    /* a non-boolean text is an error even when the node is false */
    assert_int_equal(set_status("k: false\n", "k", "maybe", YP_VALUE_BOOL, &err), YP_ERR_VALUE);
    /* tags: refused in raw values; a raw value replaces the old node's tag */
    assert_int_equal(set_status("a: 1\n", "a", "!!str 5", YP_VALUE_YAML, &err), YP_ERR_VALUE);
    set_expect("a: !!str 1\n", "a", "6", YP_VALUE_YAML, 0, "a: 6\n");
    set_expect("a: &x !!str 1\n", "a", "6", YP_VALUE_YAML, 0, "a: &x 6\n");
    set_expect("a: !!str 1\n", "a", "6", YP_VALUE_STRING, 0, "a: !!str \"6\"\n");
    /* an empty tagged value before a comment */
    set_expect("k: !!str # c\nj: 1\n", "k", "x", YP_VALUE_STRING, 0, "k: !!str x # c\nj: 1\n");
    /* YP_SET_EXISTING never adds a key, in any kind of parent */
    const char *docs[] = { "k:\n", "k: {}\n", "# empty\n" };
    const char *paths[] = { "k.x", "k.x", "a" };
    for (size_t i = 0; i < 3; i++) {
        yp_doc *doc = load(docs[i]);
        assert_int_equal(yp_set(doc, paths[i], "1", YP_VALUE_AUTO, YP_SET_EXISTING, &err),
                         YP_ERR_NOT_FOUND);
        assert_bytes(doc, docs[i]);
        yp_doc_free(doc);
    }
    /* absurd nesting is refused, not a stack overflow */
    size_t depth = 5000;
    char *deep = malloc(2 * depth + 2);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\n';
    deep[2 * depth + 1] = '\0';
    assert_null(yp_doc_load(deep, strlen(deep), false, &err));
    assert_int_equal(err.code, YP_ERR_PARSE);
    free(deep);
}

/* What the fuzz runs of 2026-12-05 found (each was a wrong result, now fixed) */
static void test_fuzz_findings_empty_nodes(void **state)
{
    (void)state;
    yp_error err;
    /* the only entry of an explicit key ("? k"): the whole entry goes */
    del_expect("? !x/ 0\n", "0", "{}\n");
    del_expect("a: 1\n? !x/ 0\n: 2\nb: 3\n", "0", "a: 1\nb: 3\n");
    /* ... also on the first line of a file that starts with a byte order mark,
     * which stays */
    del_expect("\xEF\xBB\xBF?\n k", "k", "\xEF\xBB\xBF{}");
    del_expect("\xEF\xBB\xBF" "a: 1\nb: 2\n", "a", "\xEF\xBB\xBF" "b: 2\n");
    /* ... also when lines and comments stand between the '?' and its key */
    del_expect("? #:0  \n\n 5,.1,,!,", "\"5,.1,,!,\"", "{}");
    del_expect("a: 1\n? # c\n  k\n: 2\nb: 3\n", "k", "a: 1\nb: 3\n");
    /* ... also after a sequence item's dash */
    del_expect("B:\n- ? 2\n", "B[0].2", "B:\n- {}\n");
    /* an empty value does not take the next key's tag for its own */
    del_expect("a: 1\n? \n!t k:\n", "\"\"", "a: 1\n!t k:\n");
    /* a '?' at the end of a value or comment is no indicator */
    del_expect("a: what?\nb: 1\n", "b", "a: what?\n");
    /* a sequence item whose value sits on the line after its dash */
    del_expect("\n -\n  &c :,,\n -\n  &d :,\n", "[0]", "\n -\n  &d :,\n");
    /* an empty value marked at the next token is not stretched over the lines
     * (and comments) between: another key's value reads the same after an insert */
    char *before = get("F:\n ?  # c\n", "F");
    set_expect("F:\n ?  # c\n", "k", "1", YP_VALUE_AUTO, 0, "F:\n ?  # c\nk: 1\n");
    char *after = get("F:\n ?  # c\nk: 1\n", "F");
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* a value ending in two line breaks is double-quoted, never "|+" (which
     * would take in every blank line that follows it) */
    set_expect("k: 1\n", "k", "line\n\n", YP_VALUE_AUTO, 0, "k: \"line\\n\\n\"\n");
    /* a key added after an existing "|+" block goes after its blank lines */
    set_expect("k: |+\n  line\n\n", "j", "1", YP_VALUE_AUTO, 0, "k: |+\n  line\n\nj: 1\n");
    /* raw YAML "---" is a null */
    set_expect("k: 1\n", "k", "---", YP_VALUE_YAML, 0, "k: null\n");
    /* STRING over a plain text that some reader takes for a non-string: quoted */
    set_expect("k: y\n", "k", "y", YP_VALUE_STRING, 0, "k: \"y\"\n");
    set_expect("k: a\n", "k", ".5_", YP_VALUE_STRING, 0, "k: \".5_\"\n");
    set_expect("k: a\n", "k", "_1", YP_VALUE_STRING, 0, "k: _1\n");
    /* a multi-line value with a line of blanks only is double-quoted, never a
     * literal block (that line would read as blank) */
    set_expect("a: 1\n", "k", "0b-,\n ", YP_VALUE_STRING, 0, "a: 1\nk: \"0b-,\\n \"\n");
    set_expect("k: |-\n  x\n  y\n", "k", "a\n\t\nb", YP_VALUE_STRING, 0, "k: \"a\\n\\t\\nb\"\n");
    set_expect("k: |-\n  x\n  y\n", "k", "a\n\nb", YP_VALUE_STRING, 0, "k: |-\n  a\n\n  b\n");
    /* a byte order mark starting any line but the first: libyaml skips it */
    assert_null(yp_doc_load("a: 1\n\xEF\xBB\xBF" "b: 2\n", 13, false, &err));
    assert_int_equal(err.code, YP_ERR_PARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    /* NEL, LS and PS: line breaks to YAML 1.1 only */
    yp_doc *nel = yp_doc_load("a: 1\nb: \xC2\x85x\n", 11, false, &err);
    assert_null(nel);
    assert_int_equal(err.code, YP_ERR_PARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 4);
    assert_null(yp_doc_load("a: \"\xE2\x80\xA8\"\n", 8, false, &err));
    /* a carriage return alone is a line break to YAML, not to the splicer */
    yp_doc *doc = yp_doc_load("a: 1\rb: 2\n", 10, false, &err);
    assert_null(doc);
    assert_int_equal(err.code, YP_ERR_PARSE);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 5);
}

/* An entry with no ':' ("? key" alone, "{key}") gets its value with a ':' of
 * its own, never glued to the key (CI's fuzz run of stop 11 found it) */
static void test_value_of_entry_without_indicator(void **state)
{
    (void)state;
    set_expect("? a\n? b\n", "a", "v", YP_VALUE_AUTO, 0, "? a\n: v\n? b\n");
    set_expect("x:\n  ? a # c\ny: 1\n", "x.a", "v", YP_VALUE_AUTO, 0,
               "x:\n  ? a\n  : v # c\ny: 1\n");
    set_expect("- ? a\n", "[0].a", "[1, 2]", YP_VALUE_YAML, 0, "- ? a\n  :\n      - 1\n      - 2\n");
    set_expect("{a, b: c}\n", "a", "v", YP_VALUE_AUTO, 0, "{a: v, b: c}\n");
    set_expect("{? a}\n", "a", "v", YP_VALUE_AUTO, 0, "{? a: v}\n");
    set_expect("\n ?", "\"\"", "#x", YP_VALUE_YAML, 0, "\n ?\n : null");
}

/* yp_apply equals the same edits one by one, where they touch each other */
static void test_apply_equals_one_by_one(void **state)
{
    (void)state;
    /* a bare key's value set, then the key deleted */
    yp_edit bare[] = { { .path = "k", .value = "x" }, { .path = "k", .remove = true } };
    apply_expect("k:", bare, 2, "{}");
    /* a selector whose field another edit changes */
    yp_edit sel[] = { { .path = "l[n=a].v", .value = "1" }, { .path = "l[0].n", .value = "b" } };
    apply_expect("l:\n- n: a\n", sel, 2, "l:\n- n: b\n  v: 1\n");
    /* two deletes that empty a mapping between them */
    yp_edit both[] = { { .path = "a", .remove = true }, { .path = "b", .remove = true } };
    apply_expect("a: 1\nb: 2\n", both, 2, "{}\n");
    /* a delete at the end of a file without a final newline, and a new key */
    yp_edit tail[] = { { .path = "n", .value = "1" }, { .path = "b", .remove = true } };
    apply_expect("a: 1\nb: 2", tail, 2, "a: 1\nn: 1\n");
    /* the entry the indentation was learned from, deleted before a nested add */
    yp_edit fmt[] = { { .path = "V", .remove = true }, { .path = "n.m", .value = "1" } };
    apply_expect("V:\n   x: 1\nw: 2\n", fmt, 2, "w: 2\nn:\n  m: 1\n");
    /* two new keys of one mapping, one from a template line */
    yp_edit two[] = { { .path = "t", .value = "1", .flags = YP_SET_UNCOMMENT },
                      { .path = "a", .value = "2" } };
    apply_expect("x: 1\n# t: 0\n", two, 2, "x: 1\nt: 1\na: 2\n");
    /* the last entry deleted and a new key added to the same mapping */
    yp_edit last[] = { { .path = "k", .value = "1" }, { .path = "a", .remove = true } };
    apply_expect("!t\na: 1\n", last, 2, "!t\nk: 1\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_paths),
        cmocka_unit_test(test_path_errors),
        cmocka_unit_test(test_set_keeps_styles),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_set_empty_values),
        cmocka_unit_test(test_set_existing_only),
        cmocka_unit_test(test_set_appends_missing_keys),
        cmocka_unit_test(test_uncomment),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_crlf_bom_utf8),
        cmocka_unit_test(test_parse_error_position),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_aliases_refused),
        cmocka_unit_test(test_multi_document),
        cmocka_unit_test(test_apply_batches),
        cmocka_unit_test(test_fuzz_findings),
        cmocka_unit_test(test_fuzz_findings_empty_nodes),
        cmocka_unit_test(test_value_of_entry_without_indicator),
        cmocka_unit_test(test_apply_equals_one_by_one),
    };
    return cmocka_run_group_tests_name("yamlpatch", tests, NULL, NULL);
}
