/*
 * Unit tests for cql/probe: the reply parser on hand-built frames, and the
 * whole probe against tiny servers on the loopback interface that answer like
 * Cassandra, answer garbage, answer slowly, hang up, or never answer.
 *
 * The frames are built here from the protocol spec (native_protocol_v4.spec
 * 4.2.4: SUPPORTED carries a [string multimap]), so the expectations come
 * from the spec, not from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cql/probe.h"

/* ---- frame builder -------------------------------------------------------- */

typedef struct {
    unsigned char b[4096];
    size_t n;
} buf;

static void put(buf *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->b);
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put_u8(buf *f, unsigned v) { unsigned char c = (unsigned char)v; put(f, &c, 1); }
static void put_u16(buf *f, unsigned v) { put_u8(f, v >> 8); put_u8(f, v & 0xff); }
static void put_u32(buf *f, uint32_t v) { put_u16(f, v >> 16); put_u16(f, v & 0xffff); }
static void put_str(buf *f, const char *s) { put_u16(f, (unsigned)strlen(s)); put(f, s, strlen(s)); }

/* A frame: header with the given fields, then the body, length computed. */
static buf frame(unsigned version, unsigned flags, unsigned stream, unsigned opcode,
                 const buf *body)
{
    buf f = { .n = 0 };
    put_u8(&f, version);
    put_u8(&f, flags);
    put_u16(&f, stream);
    put_u8(&f, opcode);
    put_u32(&f, (uint32_t)body->n);
    put(&f, body->b, body->n);
    return f;
}

/* What Cassandra 4.1 answers to OPTIONS (keys as its Server.java sends them). */
static buf supported_body_41(void)
{
    buf b = { .n = 0 };
    put_u16(&b, 3);
    put_str(&b, "PROTOCOL_VERSIONS");
    put_u16(&b, 4);
    put_str(&b, "3/v3"); put_str(&b, "4/v4"); put_str(&b, "5/v5"); put_str(&b, "6/v6-beta");
    put_str(&b, "COMPRESSION");
    put_u16(&b, 2);
    put_str(&b, "snappy"); put_str(&b, "lz4");
    put_str(&b, "CQL_VERSION");
    put_u16(&b, 1);
    put_str(&b, "3.4.6");
    return b;
}

/* Cassandra 3.11: no PROTOCOL_VERSIONS yet. */
static buf supported_body_311(void)
{
    buf b = { .n = 0 };
    put_u16(&b, 2);
    put_str(&b, "CQL_VERSION");
    put_u16(&b, 1);
    put_str(&b, "3.4.4");
    put_str(&b, "COMPRESSION");
    put_u16(&b, 2);
    put_str(&b, "snappy"); put_str(&b, "lz4");
    return b;
}

static buf error_body(uint32_t code, const char *msg)
{
    buf b = { .n = 0 };
    put_u32(&b, code);
    put_str(&b, msg);
    return b;
}

static buf good_reply(void)
{
    buf body = supported_body_41();
    return frame(0x84, 0, 0, 0x06, &body);
}

/* ---- the parser ------------------------------------------------------------ */

static void test_request_bytes(void **state)
{
    (void)state;
    /* The request as the readiness notes give it: v4, OPTIONS, empty body. */
    const unsigned char want[9] = { 0x04, 0, 0, 0, 0x05, 0, 0, 0, 0 };
    assert_memory_equal(cql_options_request, want, 9);
}

static void test_parse_good_41(void **state)
{
    (void)state;
    buf f = good_reply();
    cql_supported s;
    cql_error err;
    assert_int_equal(cql_parse_reply(f.b, f.n, &s, &err), CQL_OK);
    assert_int_equal(s.options, 3);
    assert_string_equal(s.cql_version, "3.4.6");
    assert_string_equal(s.protocols, "3/v3,4/v4,5/v5,6/v6-beta");
}

static void test_parse_good_311(void **state)
{
    (void)state;
    buf body = supported_body_311();
    buf f = frame(0x84, 0, 0, 0x06, &body);
    cql_supported s;
    cql_error err;
    assert_int_equal(cql_parse_reply(f.b, f.n, &s, &err), CQL_OK);
    assert_int_equal(s.options, 2);
    assert_string_equal(s.cql_version, "3.4.4");
    assert_string_equal(s.protocols, "");
}

static void test_parse_null_out(void **state)
{
    (void)state;
    buf f = good_reply();
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, NULL), CQL_OK);
}

/* Every proper prefix of a good reply is rejected, never read past its end
 * (ASan watches the latter: each prefix is copied to a buffer of its size). */
static void test_parse_truncated_everywhere(void **state)
{
    (void)state;
    buf f = good_reply();
    for (size_t len = 0; len < f.n; len++) {
        unsigned char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, f.b, len);
        cql_error err = { .code = CQL_OK };
        cql_status st = cql_parse_reply(copy, len, NULL, &err);
        free(copy);
        if (st != CQL_ERR_PROTOCOL)
            fail_msg("prefix of %zu bytes: got %s", len, cql_status_name(st));
        assert_int_equal(err.code, CQL_ERR_PROTOCOL);
        assert_non_null(strstr(err.message, "truncated"));
    }
}

/* A body shorter than its own multimap says, with the header length
 * consistent, is caught by the multimap walk. */
static void test_parse_body_cut_inside_multimap(void **state)
{
    (void)state;
    buf body = supported_body_41();
    for (size_t cut = 0; cut < body.n; cut++) {
        buf shorter = body;
        shorter.n = cut;
        buf f = frame(0x84, 0, 0, 0x06, &shorter);
        cql_error err;
        cql_status st = cql_parse_reply(f.b, f.n, NULL, &err);
        if (st != CQL_ERR_PROTOCOL)
            fail_msg("body cut at %zu: got %s", cut, cql_status_name(st));
    }
}

static void test_parse_wrong_opcode(void **state)
{
    (void)state;
    buf empty = { .n = 0 };
    buf f = frame(0x84, 0, 0, 0x02 /* READY */, &empty);
    cql_error err;
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "READY"));

    /* The right body under the wrong opcode is still wrong. */
    buf body = supported_body_41();
    f = frame(0x84, 0, 0, 0x08 /* RESULT */, &body);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
}

static void test_parse_error_frame(void **state)
{
    (void)state;
    buf body = error_body(0x000A, "Invalid or unsupported protocol version (4)");
    buf f = frame(0x84, 0, 0, 0x00, &body);
    cql_error err;
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_SERVER);
    assert_int_equal(err.code, CQL_ERR_SERVER);
    assert_int_equal(err.server_code, 0x000A);
    assert_non_null(strstr(err.message, "Invalid or unsupported protocol version (4)"));

    /* A v3-only node answers in v3: still reported with its message. */
    f = frame(0x83, 0, 0, 0x00, &body);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_SERVER);

    /* An ERROR whose body is cut is a protocol error, not a server one. */
    buf cut = body;
    cut.n = 5;
    f = frame(0x84, 0, 0, 0x00, &cut);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
}

static void test_parse_error_message_sanitized(void **state)
{
    (void)state;
    buf body = error_body(0x0000, "boom\x1b[31mred\n");
    buf f = frame(0x84, 0, 0, 0x00, &body);
    cql_error err;
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_SERVER);
    assert_null(strchr(err.message, '\x1b'));
    assert_null(strchr(err.message, '\n'));
    assert_non_null(strstr(err.message, "boom?[31mred?"));
}

static void test_parse_bogus_length(void **state)
{
    (void)state;
    buf f = good_reply();
    /* Header claims 2 GiB. */
    f.b[5] = 0x7f; f.b[6] = 0xff; f.b[7] = 0xff; f.b[8] = 0xff;
    cql_error err;
    cql_frame_header h;
    assert_int_equal(cql_parse_header(f.b, &h, &err), CQL_ERR_PROTOCOL);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);

    /* Just over the limit is refused, the limit itself is not. */
    unsigned char hdr[9] = { 0x84, 0, 0, 0, 0x06, 0, 0, 0, 0 };
    uint32_t over = CQL_MAX_SUPPORTED_BODY + 1;
    hdr[5] = (unsigned char)(over >> 24); hdr[6] = (unsigned char)(over >> 16);
    hdr[7] = (unsigned char)(over >> 8);  hdr[8] = (unsigned char)over;
    assert_int_equal(cql_parse_header(hdr, &h, &err), CQL_ERR_PROTOCOL);
    uint32_t at = CQL_MAX_SUPPORTED_BODY;
    hdr[5] = (unsigned char)(at >> 24); hdr[6] = (unsigned char)(at >> 16);
    hdr[7] = (unsigned char)(at >> 8);  hdr[8] = (unsigned char)at;
    assert_int_equal(cql_parse_header(hdr, &h, &err), CQL_OK);
    assert_int_equal(h.length, at);
    assert_int_equal(h.opcode, 0x06);
    assert_int_equal(h.version, 0x84);

    /* Header shorter than the body that follows: bytes left over. */
    buf good = good_reply();
    good.b[8] = (unsigned char)(good.b[8] - 1);
    assert_int_equal(cql_parse_reply(good.b, good.n, NULL, &err), CQL_ERR_PROTOCOL);
}

static void test_parse_wrong_version_direction_stream_flags(void **state)
{
    (void)state;
    buf body = supported_body_41();
    cql_error err;
    buf f = frame(0x04, 0, 0, 0x06, &body);  /* a request, not a reply */
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
    f = frame(0x85, 0, 0, 0x06, &body);      /* v5 */
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "v5"));
    f = frame(0x83, 0, 0, 0x06, &body);      /* v3 */
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
    f = frame(0x84, 0, 1, 0x06, &body);      /* another stream */
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
    f = frame(0x84, 0x01, 0, 0x06, &body);   /* compressed */
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
    f = frame(0x84, 0x08, 0, 0x06, &body);   /* warnings */
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
}

static void test_parse_body_malformed(void **state)
{
    (void)state;
    cql_error err;

    /* A byte after the multimap, inside the announced length. */
    buf body = supported_body_41();
    put_u8(&body, 0);
    buf f = frame(0x84, 0, 0, 0x06, &body);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);

    /* A well-formed multimap without CQL_VERSION. */
    buf nocql = { .n = 0 };
    put_u16(&nocql, 1);
    put_str(&nocql, "COMPRESSION");
    put_u16(&nocql, 1);
    put_str(&nocql, "lz4");
    f = frame(0x84, 0, 0, 0x06, &nocql);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "CQL_VERSION"));

    /* CQL_VERSION with an empty value list. */
    buf novalue = { .n = 0 };
    put_u16(&novalue, 1);
    put_str(&novalue, "CQL_VERSION");
    put_u16(&novalue, 0);
    f = frame(0x84, 0, 0, 0x06, &novalue);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);

    /* Empty body. */
    buf empty = { .n = 0 };
    f = frame(0x84, 0, 0, 0x06, &empty);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);

    /* A string length pointing past the end. */
    buf longstr = { .n = 0 };
    put_u16(&longstr, 1);
    put_u16(&longstr, 500);
    put(&longstr, "CQL_VERSION", 11);
    f = frame(0x84, 0, 0, 0x06, &longstr);
    assert_int_equal(cql_parse_reply(f.b, f.n, NULL, &err), CQL_ERR_PROTOCOL);
}

static void test_parse_http_garbage(void **state)
{
    (void)state;
    const char *http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    cql_error err;
    assert_int_equal(cql_parse_reply((const unsigned char *)http, strlen(http), NULL, &err),
                     CQL_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "0x48"));
}

/* ---- loopback servers -------------------------------------------------------- */

typedef enum {
    ACT_CASSANDRA,   /* answer a good SUPPORTED */
    ACT_TRICKLE,     /* the same, one byte at a time */
    ACT_ERROR,       /* answer an ERROR frame */
    ACT_GARBAGE,     /* answer HTTP */
    ACT_BOGUS_LEN,   /* a header announcing 2 GiB, then nothing */
    ACT_HANG_UP,     /* half a reply, then close */
    ACT_SILENT       /* read the request, never answer */
} action;

typedef struct {
    int family;
    action act;
    int listen_fd;
    unsigned port;
    unsigned char got[16];
    size_t got_len;
    pthread_t thread;
} server;

static void send_slowly(int fd, const unsigned char *p, size_t n, bool trickle)
{
    for (size_t i = 0; i < n;) {
        size_t chunk = trickle ? 1 : n - i;
        ssize_t w = send(fd, p + i, chunk, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        i += (size_t)w;
        if (trickle) {
            struct timespec ts = { 0, 2 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
}

/* Wait up to ms for fd to become readable; false on timeout. */
static bool readable(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 1;
}

static void *serve(void *arg)
{
    server *s = arg;
    /* Bounded waits everywhere: a broken probe must fail the test, not hang it. */
    if (!readable(s->listen_fd, 5000))
        return NULL;
    int c = accept(s->listen_fd, NULL, NULL);
    if (c < 0)
        return NULL;
    while (s->got_len < CQL_HEADER_LEN && readable(c, 5000)) {
        ssize_t r = recv(c, s->got + s->got_len, sizeof s->got - s->got_len, 0);
        if (r <= 0)
            break;
        s->got_len += (size_t)r;
    }
    buf reply = { .n = 0 };
    switch (s->act) {
    case ACT_CASSANDRA:
    case ACT_TRICKLE:
        reply = good_reply();
        break;
    case ACT_ERROR: {
        buf body = error_body(0x000A, "Invalid or unsupported protocol version (4); "
                                      "supported versions are (3/v3)");
        reply = frame(0x83, 0, 0, 0x00, &body);
        break;
    }
    case ACT_GARBAGE:
        put(&reply, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
        break;
    case ACT_BOGUS_LEN: {
        const unsigned char hdr[9] = { 0x84, 0, 0, 0, 0x06, 0x7f, 0xff, 0xff, 0xff };
        put(&reply, hdr, sizeof hdr);
        break;
    }
    case ACT_HANG_UP: {
        buf good = good_reply();
        put(&reply, good.b, good.n / 2);
        break;
    }
    case ACT_SILENT:
        break;
    }
    send_slowly(c, reply.b, reply.n, s->act == ACT_TRICKLE);
    if (s->act != ACT_HANG_UP) {
        /* Keep the connection open until the client is done with it. */
        char sink[64];
        while (readable(c, 5000) && recv(c, sink, sizeof sink, 0) > 0) {
        }
    }
    close(c);
    return NULL;
}

static void server_start(server *s, int family, action act)
{
    memset(s, 0, sizeof *s);
    s->family = family;
    s->act = act;
    s->listen_fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->listen_fd >= 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        sl = sizeof *a;
    }
    if (bind(s->listen_fd, (struct sockaddr *)&ss, sl) != 0)
        fail_msg("bind to the %s loopback failed: %s (the probe tests need it)",
                 family == AF_INET ? "IPv4" : "IPv6", strerror(errno));
    assert_int_equal(listen(s->listen_fd, 4), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&ss, &sl), 0);
    s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                      : ((struct sockaddr_in6 *)&ss)->sin6_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run one probe against a fresh server; returns the status, fills err and the
 * elapsed time, and checks the server received exactly the OPTIONS request. */
static cql_status probe_against(int family, const char *host, action act, int timeout_ms,
                                cql_supported *out, cql_error *err, int64_t *elapsed)
{
    server s;
    server_start(&s, family, act);
    int64_t t0 = ms_now();
    cql_status st = cql_probe(host, s.port, timeout_ms, out, err);
    *elapsed = ms_now() - t0;
    server_stop(&s);
    assert_int_equal(s.got_len, CQL_HEADER_LEN);
    assert_memory_equal(s.got, cql_options_request, CQL_HEADER_LEN);
    return st;
}

static void test_probe_cassandra_v4(void **state)
{
    (void)state;
    cql_supported sup;
    cql_error err;
    int64_t el;
    cql_status st = probe_against(AF_INET, "127.0.0.1", ACT_CASSANDRA, 2000, &sup, &err, &el);
    if (st != CQL_OK)
        fail_msg("probe failed: %s", err.message);
    assert_string_equal(sup.cql_version, "3.4.6");
}

static void test_probe_cassandra_v6(void **state)
{
    (void)state;
    cql_supported sup;
    cql_error err;
    int64_t el;
    cql_status st = probe_against(AF_INET6, "::1", ACT_CASSANDRA, 2000, &sup, &err, &el);
    if (st != CQL_OK)
        fail_msg("probe of ::1 failed: %s", err.message);
    st = probe_against(AF_INET6, "[::1]", ACT_CASSANDRA, 2000, &sup, &err, &el);
    if (st != CQL_OK)
        fail_msg("probe of [::1] failed: %s", err.message);
}

static void test_probe_trickle(void **state)
{
    (void)state;
    cql_error err;
    int64_t el;
    cql_status st = probe_against(AF_INET, "127.0.0.1", ACT_TRICKLE, 5000, NULL, &err, &el);
    if (st != CQL_OK)
        fail_msg("probe of a slow server failed: %s", err.message);
}

static void test_probe_error_reply(void **state)
{
    (void)state;
    cql_error err;
    int64_t el;
    assert_int_equal(probe_against(AF_INET, "127.0.0.1", ACT_ERROR, 2000, NULL, &err, &el),
                     CQL_ERR_SERVER);
    assert_non_null(strstr(err.message, "supported versions are (3/v3)"));
    assert_non_null(strstr(err.message, "127.0.0.1:"));
}

static void test_probe_garbage(void **state)
{
    (void)state;
    cql_error err;
    int64_t el;
    assert_int_equal(probe_against(AF_INET, "127.0.0.1", ACT_GARBAGE, 2000, NULL, &err, &el),
                     CQL_ERR_PROTOCOL);
}

static void test_probe_bogus_length_fails_fast(void **state)
{
    (void)state;
    cql_error err;
    int64_t el;
    assert_int_equal(probe_against(AF_INET, "127.0.0.1", ACT_BOGUS_LEN, 3000, NULL, &err, &el),
                     CQL_ERR_PROTOCOL);
    /* Judged on the header: no waiting for 2 GiB that never come. */
    assert_true(el < 1500);
}

static void test_probe_hang_up(void **state)
{
    (void)state;
    cql_error err;
    int64_t el;
    assert_int_equal(probe_against(AF_INET, "127.0.0.1", ACT_HANG_UP, 2000, NULL, &err, &el),
                     CQL_ERR_IO);
    assert_non_null(strstr(err.message, "closed"));
}

static void test_probe_silent_times_out(void **state)
{
    (void)state;
    cql_error err;
    int64_t el;
    assert_int_equal(probe_against(AF_INET, "127.0.0.1", ACT_SILENT, 300, NULL, &err, &el),
                     CQL_ERR_TIMEOUT);
    assert_true(el >= 290);
    assert_true(el < 1500);
    assert_non_null(strstr(err.message, "timed out"));
}

static void test_probe_refused(void **state)
{
    (void)state;
    /* A bound socket that does not listen: its port is ours and refuses. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sl), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
    cql_error err;
    cql_status st = cql_probe("127.0.0.1", ntohs(a.sin_port), 2000, NULL, &err);
    close(fd);
    assert_int_equal(st, CQL_ERR_CONNECT);
    assert_non_null(strstr(err.message, "refused"));
}

/* A listener whose accept queue is full drops new SYNs, so connect() itself
 * hangs: the timeout must cover the connect, not only the read. */
static void test_probe_connect_times_out(void **state)
{
    (void)state;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof a;
    assert_int_equal(bind(l, (struct sockaddr *)&a, sl), 0);
    assert_int_equal(listen(l, 0), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &sl), 0);

    /* Fill the queue (Linux admits backlog + 1) with connections never accepted. */
    int fill[4];
    int nfill = 0;
    for (; nfill < 4; nfill++) {
        fill[nfill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(fill[nfill] >= 0);
        connect(fill[nfill], (struct sockaddr *)&a, sl);
        struct pollfd p = { .fd = fill[nfill], .events = POLLOUT };
        if (poll(&p, 1, 200) != 1) {  /* this one already hangs: queue full */
            nfill++;
            break;
        }
    }
    cql_error err;
    int64_t t0 = ms_now();
    cql_status st = cql_probe("127.0.0.1", ntohs(a.sin_port), 300, NULL, &err);
    int64_t el = ms_now() - t0;
    for (int i = 0; i < nfill; i++)
        close(fill[i]);
    close(l);
    if (st != CQL_ERR_TIMEOUT)
        fail_msg("expected a timeout, got %s: %s", cql_status_name(st), err.message);
    assert_non_null(strstr(err.message, "connecting"));
    assert_true(el >= 290 && el < 1500);
}

static void test_probe_bad_arguments(void **state)
{
    (void)state;
    cql_error err;
    assert_int_equal(cql_probe("127.0.0.1", 0, 1000, NULL, &err), CQL_ERR_ADDRESS);
    assert_int_equal(cql_probe("127.0.0.1", 65536, 1000, NULL, &err), CQL_ERR_ADDRESS);
    assert_int_equal(cql_probe("", 9042, 1000, NULL, &err), CQL_ERR_ADDRESS);
    assert_int_equal(cql_probe(NULL, 9042, 1000, NULL, &err), CQL_ERR_ADDRESS);
    assert_int_equal(cql_probe("127.0.0.1", 9042, 0, NULL, &err), CQL_ERR_TIMEOUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_bytes),
        cmocka_unit_test(test_parse_good_41),
        cmocka_unit_test(test_parse_good_311),
        cmocka_unit_test(test_parse_null_out),
        cmocka_unit_test(test_parse_truncated_everywhere),
        cmocka_unit_test(test_parse_body_cut_inside_multimap),
        cmocka_unit_test(test_parse_wrong_opcode),
        cmocka_unit_test(test_parse_error_frame),
        cmocka_unit_test(test_parse_error_message_sanitized),
        cmocka_unit_test(test_parse_bogus_length),
        cmocka_unit_test(test_parse_wrong_version_direction_stream_flags),
        cmocka_unit_test(test_parse_body_malformed),
        cmocka_unit_test(test_parse_http_garbage),
        cmocka_unit_test(test_probe_cassandra_v4),
        cmocka_unit_test(test_probe_cassandra_v6),
        cmocka_unit_test(test_probe_trickle),
        cmocka_unit_test(test_probe_error_reply),
        cmocka_unit_test(test_probe_garbage),
        cmocka_unit_test(test_probe_bogus_length_fails_fast),
        cmocka_unit_test(test_probe_hang_up),
        cmocka_unit_test(test_probe_silent_times_out),
        cmocka_unit_test(test_probe_refused),
        cmocka_unit_test(test_probe_connect_times_out),
        cmocka_unit_test(test_probe_bad_arguments),
    };
    return cmocka_run_group_tests_name("cql_probe", tests, NULL, NULL);
}
