/*
 * Unit tests for provision/stream: the JSON-lines streams of build and push,
 * and the multiplexed frames of exec and logs.
 *
 * The streams below have the shape Engine 20.10 sends (\r\n line ends,
 * "stream" lines for build, "status"/"progressDetail" for push, the final
 * aux line, and an error line under HTTP 200).  Every input is fed whole,
 * byte by byte, and in every two-piece split, since the network cuts
 * anywhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision/stream.h"

/* ---- JSON lines ---- */

/* What the callback saw, concatenated. */
struct seen {
    char streams[4096];
    char statuses[4096];
    int events;
    int with_progress;
    long long last_current, last_total;
    int errors;
};

static void on_event(const stream_event *ev, void *ud)
{
    struct seen *s = ud;
    s->events++;
    if (ev->stream)
        strncat(s->streams, ev->stream, sizeof s->streams - strlen(s->streams) - 1);
    if (ev->status) {
        strncat(s->statuses, ev->status, sizeof s->statuses - strlen(s->statuses) - 1);
        strncat(s->statuses, "|", sizeof s->statuses - strlen(s->statuses) - 1);
    }
    if (ev->current >= 0 || ev->total >= 0) {
        s->with_progress++;
        s->last_current = ev->current;
        s->last_total = ev->total;
    }
    if (ev->error)
        s->errors++;
}

static const char BUILD_OK[] =
    "{\"stream\":\"Step 1/2 : FROM scratch\"}\r\n"
    "{\"stream\":\"\\n\"}\r\n"
    "{\"stream\":\" ---\\u003e \\n\"}\r\n"
    "{\"stream\":\"Step 2/2 : COPY yamlpatch /\"}\r\n"
    "{\"stream\":\"\\n\"}\r\n"
    "{\"aux\":{\"ID\":\"sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904\"}}\r\n"
    "{\"stream\":\"Successfully built 4b825dc642cb\\n\"}\r\n"
    "{\"stream\":\"Successfully tagged t:1\\n\"}\r\n";

static const char BUILD_FAIL[] =
    "{\"stream\":\"Step 1/2 : FROM scratch\"}\r\n"
    "{\"stream\":\"\\n\"}\r\n"
    "{\"stream\":\"Step 2/2 : COPY missing-file /\"}\r\n"
    "{\"stream\":\"\\n\"}\r\n"
    "{\"errorDetail\":{\"message\":\"COPY failed: file not found in build context or "
    "excluded by .dockerignore: stat missing-file: file does not exist\"},"
    "\"error\":\"COPY failed: file not found in build context or excluded by "
    ".dockerignore: stat missing-file: file does not exist\"}\r\n";

static const char PUSH_OK[] =
    "{\"status\":\"The push refers to repository [127.0.0.1:5000/tiny]\"}\r\n"
    "{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"5f70bf18a086\"}\r\n"
    "{\"status\":\"Pushing\",\"progressDetail\":{\"current\":512,\"total\":1024},"
    "\"progress\":\"[=========\\u003e   ]\",\"id\":\"5f70bf18a086\"}\r\n"
    "{\"status\":\"Pushing\",\"progressDetail\":{\"current\":1024,\"total\":1024},"
    "\"progress\":\"[============\\u003e]\",\"id\":\"5f70bf18a086\"}\r\n"
    "{\"status\":\"Pushed\",\"progressDetail\":{},\"id\":\"5f70bf18a086\"}\r\n"
    "{\"status\":\"1: digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef size: 528\"}\r\n"
    "{\"progressDetail\":{},\"aux\":{\"Tag\":\"1\",\"Digest\":"
    "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"Size\":528}}\r\n";

static const char PUSH_FAIL[] =
    "{\"status\":\"The push refers to repository [127.0.0.1:5999/tiny]\"}\r\n"
    "{\"errorDetail\":{\"message\":\"Get \\\"http://127.0.0.1:5999/v2/\\\": dial tcp "
    "127.0.0.1:5999: connect: connection refused\"},\"error\":\"Get "
    "\\\"http://127.0.0.1:5999/v2/\\\": dial tcp 127.0.0.1:5999: connect: connection "
    "refused\"}\r\n";

/* Parse `text` cut into pieces at `cut` (0 = whole; 1 = byte by byte). */
static int parse_split(stream_json *s, struct seen *seen, const char *text, size_t len,
                       size_t cut, size_t piece)
{
    memset(seen, 0, sizeof *seen);
    stream_json_init(s, on_event, seen);
    int rc = 0;
    if (piece) {
        for (size_t i = 0; i < len; i += piece)
            rc |= stream_json_feed(s, text + i, len - i < piece ? len - i : piece);
    } else {
        rc |= stream_json_feed(s, text, cut);
        rc |= stream_json_feed(s, text + cut, len - cut);
    }
    rc |= stream_json_finish(s);
    return rc;
}

static const char *EXPECTED_BUILD_TEXT =
    "Step 1/2 : FROM scratch\n ---> \nStep 2/2 : COPY yamlpatch /\n"
    "Successfully built 4b825dc642cb\nSuccessfully tagged t:1\n";

static void check_build_ok(stream_json *s, struct seen *seen)
{
    assert_false(s->failed);
    assert_false(s->bad);
    assert_int_equal(s->lines, 8);
    assert_int_equal(seen->events, 8);
    assert_string_equal(seen->streams, EXPECTED_BUILD_TEXT);
    assert_string_equal(s->aux_id, "sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    assert_string_equal(s->digest, "");
    eng_error err = {0};
    assert_int_equal(stream_json_result(s, "build", &err), ENG_OK);
}

static void test_build_lines_any_split(void **state)
{
    (void)state;
    size_t len = strlen(BUILD_OK);
    stream_json s;
    struct seen seen;
    assert_int_equal(parse_split(&s, &seen, BUILD_OK, len, len, 0), 0);
    check_build_ok(&s, &seen);
    stream_json_free(&s);
    assert_int_equal(parse_split(&s, &seen, BUILD_OK, len, 0, 1), 0);
    check_build_ok(&s, &seen);
    stream_json_free(&s);
    for (size_t cut = 0; cut <= len; cut++) {
        assert_int_equal(parse_split(&s, &seen, BUILD_OK, len, cut, 0), 0);
        check_build_ok(&s, &seen);
        stream_json_free(&s);
    }
    for (size_t piece = 2; piece < 40; piece++) {
        assert_int_equal(parse_split(&s, &seen, BUILD_OK, len, 0, piece), 0);
        check_build_ok(&s, &seen);
        stream_json_free(&s);
    }
}

static void test_build_error_under_200(void **state)
{
    (void)state;
    const char *msg = "COPY failed: file not found in build context or excluded by "
                      ".dockerignore: stat missing-file: file does not exist";
    size_t len = strlen(BUILD_FAIL);
    for (size_t cut = 0; cut <= len; cut += 7) {
        stream_json s;
        struct seen seen;
        assert_int_equal(parse_split(&s, &seen, BUILD_FAIL, len, cut, 0), 0);
        assert_true(s.failed);
        assert_string_equal(s.error, msg);
        assert_int_equal(seen.errors, 1);
        assert_string_equal(s.aux_id, "");
        eng_error err = {0};
        assert_int_equal(stream_json_result(&s, "build t:1", &err), ENG_ERR_STREAM);
        assert_int_equal(err.code, ENG_ERR_STREAM);
        char want[512];
        snprintf(want, sizeof want, "build t:1: %s", msg);
        assert_string_equal(err.message, want);
        stream_json_free(&s);
    }
}

static void test_error_field_variants(void **state)
{
    (void)state;
    stream_json s;
    struct seen seen;
    /* errorDetail without the old "error" duplicate */
    const char *a = "{\"errorDetail\":{\"message\":\"only detail\\n\"}}\n";
    assert_int_equal(parse_split(&s, &seen, a, strlen(a), 0, 1), 0);
    assert_true(s.failed);
    assert_string_equal(s.error, "only detail"); /* one line: newline dropped */
    stream_json_free(&s);
    /* "error" alone */
    const char *b = "{\"error\":\"only error\"}\n";
    assert_int_equal(parse_split(&s, &seen, b, strlen(b), 0, 3), 0);
    assert_true(s.failed);
    assert_string_equal(s.error, "only error");
    stream_json_free(&s);
    /* errorDetail wins over error; the first error line is kept */
    const char *c = "{\"errorDetail\":{\"message\":\"detail\"},\"error\":\"short\"}\n"
                    "{\"error\":\"second\"}\n";
    assert_int_equal(parse_split(&s, &seen, c, strlen(c), 0, 5), 0);
    assert_string_equal(s.error, "detail");
    assert_int_equal(seen.errors, 2);
    stream_json_free(&s);
    /* an error without any message text still fails */
    const char *d = "{\"errorDetail\":{}}\n";
    assert_int_equal(parse_split(&s, &seen, d, strlen(d), 0, 0), 0);
    assert_true(s.failed);
    assert_true(strlen(s.error) > 0);
    stream_json_free(&s);
}

static void test_push_digest_and_progress(void **state)
{
    (void)state;
    size_t len = strlen(PUSH_OK);
    for (size_t piece = 1; piece < 64; piece += 3) {
        stream_json s;
        struct seen seen;
        assert_int_equal(parse_split(&s, &seen, PUSH_OK, len, 0, piece), 0);
        assert_false(s.failed);
        assert_string_equal(s.digest,
                            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_int_equal(seen.events, 7);
        /* Two lines carry current/total; "{}" details carry neither. */
        assert_int_equal(seen.with_progress, 2);
        assert_int_equal(seen.last_current, 1024);
        assert_int_equal(seen.last_total, 1024);
        assert_non_null(strstr(seen.statuses, "Preparing|Pushing|Pushing|Pushed|"));
        stream_json_free(&s);
    }
}

static void test_push_registry_refused(void **state)
{
    (void)state;
    stream_json s;
    struct seen seen;
    assert_int_equal(parse_split(&s, &seen, PUSH_FAIL, strlen(PUSH_FAIL), 40, 0), 0);
    assert_true(s.failed);
    assert_string_equal(s.digest, "");
    assert_non_null(strstr(s.error, "connection refused"));
    assert_non_null(strstr(s.error, "127.0.0.1:5999"));
    stream_json_free(&s);
}

static void test_last_line_without_newline_and_blanks(void **state)
{
    (void)state;
    const char *t = "\r\n\n{\"stream\":\"a\"}\n  \r\n{\"aux\":{\"ID\":\"sha256:ab\"}}";
    stream_json s;
    struct seen seen;
    memset(&seen, 0, sizeof seen);
    stream_json_init(&s, on_event, &seen);
    assert_int_equal(stream_json_feed(&s, t, strlen(t)), 0);
    /* The aux line has no end yet: not parsed before finish. */
    assert_int_equal(s.lines, 1);
    assert_string_equal(s.aux_id, "");
    assert_int_equal(stream_json_finish(&s), 0);
    assert_int_equal(s.lines, 2);
    assert_string_equal(s.aux_id, "sha256:ab");
    assert_string_equal(seen.streams, "a");
    stream_json_free(&s);
}

static void test_garbage_is_protocol_error(void **state)
{
    (void)state;
    stream_json s;
    struct seen seen;
    const char *t = "{\"stream\":\"ok\"}\r\nnot json at all\r\n[1,2]\r\n{\"stream\":\"later\"}\r\n";
    assert_int_equal(parse_split(&s, &seen, t, strlen(t), 20, 0), -1);
    assert_true(s.bad);
    assert_non_null(strstr(s.bad_message, "line 2"));
    /* the good lines around it still count */
    assert_string_equal(seen.streams, "oklater");
    eng_error err = {0};
    assert_int_equal(stream_json_result(&s, "build", &err), ENG_ERR_PROTOCOL);
    stream_json_free(&s);

    /* An error line after garbage: the daemon's message wins. */
    const char *u = "garbage\n{\"error\":\"real failure\"}\n";
    assert_int_equal(parse_split(&s, &seen, u, strlen(u), 3, 0), -1);
    assert_int_equal(stream_json_result(&s, "build", &err), ENG_ERR_STREAM);
    assert_non_null(strstr(err.message, "real failure"));
    stream_json_free(&s);
}

static void test_line_too_long(void **state)
{
    (void)state;
    size_t n = STREAM_LINE_MAX + 10;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    stream_json s;
    stream_json_init(&s, NULL, NULL);
    int rc = 0;
    for (size_t i = 0; i < n; i += 4096)
        rc |= stream_json_feed(&s, big, n - i < 4096 ? n - i : 4096);
    assert_int_equal(rc, -1);
    assert_true(s.bad);
    assert_true(s.len <= STREAM_LINE_MAX); /* the buffer stayed bounded */
    stream_json_free(&s);
    free(big);
}

/* ---- frames ---- */

/* Build a frame: header + payload, appended at *pos. */
static size_t put_frame(unsigned char *buf, size_t pos, int type, const char *payload,
                        size_t len)
{
    buf[pos++] = (unsigned char)type;
    buf[pos++] = 0;
    buf[pos++] = 0;
    buf[pos++] = 0;
    buf[pos++] = (unsigned char)(len >> 24);
    buf[pos++] = (unsigned char)(len >> 16);
    buf[pos++] = (unsigned char)(len >> 8);
    buf[pos++] = (unsigned char)len;
    memcpy(buf + pos, payload, len);
    return pos + len;
}

static size_t exec_stream(unsigned char *buf)
{
    size_t p = 0;
    p = put_frame(buf, p, STREAM_STDOUT, "Datacenter: dc1\n", 16);
    p = put_frame(buf, p, STREAM_STDERR, "warning: heap\n", 14);
    p = put_frame(buf, p, STREAM_STDOUT, "", 0); /* empty frames are legal */
    p = put_frame(buf, p, STREAM_STDOUT, "UN  10.0.0.2\n", 13);
    return p;
}

static void check_exec_output(stream_output *o)
{
    assert_string_equal(o->out, "Datacenter: dc1\nUN  10.0.0.2\n");
    assert_int_equal(o->out_len, 29);
    assert_string_equal(o->err, "warning: heap\n");
    assert_string_equal(o->both, "Datacenter: dc1\nwarning: heap\nUN  10.0.0.2\n");
    assert_false(o->truncated);
}

static void test_frames_any_split(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t len = exec_stream(buf);
    for (size_t cut = 0; cut <= len; cut++) {
        stream_output o;
        stream_frames f;
        assert_int_equal(stream_output_init(&o, 0), 0);
        stream_frames_init(&f, stream_output_append, &o);
        assert_int_equal(stream_frames_feed(&f, (const char *)buf, cut), 0);
        assert_int_equal(stream_frames_feed(&f, (const char *)buf + cut, len - cut), 0);
        assert_int_equal(stream_frames_finish(&f), 0);
        assert_int_equal(f.frames, 4);
        check_exec_output(&o);
        stream_output_free(&o);
    }
    /* byte by byte */
    stream_output o;
    stream_frames f;
    assert_int_equal(stream_output_init(&o, 0), 0);
    stream_frames_init(&f, stream_output_append, &o);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(stream_frames_feed(&f, (const char *)buf + i, 1), 0);
    assert_int_equal(stream_frames_finish(&f), 0);
    check_exec_output(&o);
    stream_output_free(&o);
}

static void test_frames_truncated(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t len = exec_stream(buf);
    /* Inside the last payload: 5 of 13 bytes missing. */
    stream_output o;
    stream_frames f;
    assert_int_equal(stream_output_init(&o, 0), 0);
    stream_frames_init(&f, stream_output_append, &o);
    assert_int_equal(stream_frames_feed(&f, (const char *)buf, len - 5), 0);
    assert_int_equal(stream_frames_finish(&f), -1);
    assert_non_null(strstr(f.bad_message, "5 bytes short"));
    stream_output_free(&o);
    /* Inside a header: 3 of its 8 bytes. */
    assert_int_equal(stream_output_init(&o, 0), 0);
    stream_frames_init(&f, stream_output_append, &o);
    assert_int_equal(stream_frames_feed(&f, (const char *)buf, 24 + 3), 0);
    assert_int_equal(stream_frames_finish(&f), -1);
    assert_non_null(strstr(f.bad_message, "3 of 8"));
    /* what came before the cut is kept */
    assert_string_equal(o.out, "Datacenter: dc1\n");
    stream_output_free(&o);
}

static void test_frames_bad_header(void **state)
{
    (void)state;
    /* A TTY stream is plain text: 'D' is no frame type. */
    const char *tty = "Datacenter: dc1\n";
    stream_frames f;
    stream_frames_init(&f, NULL, NULL);
    assert_int_equal(stream_frames_feed(&f, tty, strlen(tty)), -1);
    assert_true(f.bad);
    assert_non_null(strstr(f.bad_message, "not [0-2] 0 0 0"));
    /* and stays failed */
    assert_int_equal(stream_frames_feed(&f, "\1\0\0\0\0\0\0\0", 8), -1);
    assert_int_equal(stream_frames_finish(&f), -1);
    /* type 3 with zero bytes is not a header either */
    stream_frames_init(&f, NULL, NULL);
    assert_int_equal(stream_frames_feed(&f, "\3\0\0\0\0\0\0\1x", 9), -1);
}

static void test_frames_large_payload(void **state)
{
    (void)state;
    size_t n = 300000; /* more than any one read */
    unsigned char *buf = malloc(n + 8);
    char *payload = malloc(n);
    assert_non_null(buf);
    assert_non_null(payload);
    for (size_t i = 0; i < n; i++)
        payload[i] = (char)('a' + i % 26);
    size_t len = put_frame(buf, 0, STREAM_STDOUT, payload, n);
    stream_output o;
    stream_frames f;
    assert_int_equal(stream_output_init(&o, 0), 0);
    stream_frames_init(&f, stream_output_append, &o);
    for (size_t i = 0; i < len; i += 16384)
        assert_int_equal(stream_frames_feed(&f, (const char *)buf + i, len - i < 16384 ? len - i : 16384), 0);
    assert_int_equal(stream_frames_finish(&f), 0);
    assert_int_equal(o.out_len, n);
    assert_memory_equal(o.out, payload, n);
    stream_output_free(&o);
    free(buf);
    free(payload);
}

static void test_output_limit_keeps_tail(void **state)
{
    (void)state;
    stream_output o;
    assert_int_equal(stream_output_init(&o, 10), 0);
    assert_int_equal(stream_output_append(STREAM_STDOUT, "0123456", 7, &o), 0);
    assert_int_equal(stream_output_append(STREAM_STDOUT, "789abc", 6, &o), 0);
    assert_string_equal(o.out, "3456789abc");
    assert_true(o.truncated);
    assert_int_equal(stream_output_append(STREAM_STDERR, "ABCDEFGHIJKLMNOP", 16, &o), 0);
    assert_string_equal(o.err, "GHIJKLMNOP");
    assert_string_equal(o.both, "GHIJKLMNOP");
    stream_output_free(&o);
}

static int stop_after_first(int type, const char *data, size_t len, void *ud)
{
    (void)type;
    (void)data;
    (void)len;
    return ++*(int *)ud >= 1;
}

static void test_frames_callback_stops(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t len = exec_stream(buf);
    int calls = 0;
    stream_frames f;
    stream_frames_init(&f, stop_after_first, &calls);
    assert_int_equal(stream_frames_feed(&f, (const char *)buf, len), -1);
    assert_int_equal(calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_lines_any_split),
        cmocka_unit_test(test_build_error_under_200),
        cmocka_unit_test(test_error_field_variants),
        cmocka_unit_test(test_push_digest_and_progress),
        cmocka_unit_test(test_push_registry_refused),
        cmocka_unit_test(test_last_line_without_newline_and_blanks),
        cmocka_unit_test(test_garbage_is_protocol_error),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_frames_any_split),
        cmocka_unit_test(test_frames_truncated),
        cmocka_unit_test(test_frames_bad_header),
        cmocka_unit_test(test_frames_large_payload),
        cmocka_unit_test(test_output_limit_keeps_tail),
        cmocka_unit_test(test_frames_callback_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
