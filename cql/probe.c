/*
 * cql/probe: OPTIONS -> SUPPORTED over the CQL native protocol v4.
 * See probe.h for what is promised; the frame layout is in the CQL v4 spec
 * (native_protocol_v4.spec, sections 2 and 4.2.4).
 */
#include "cql/probe.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    VERSION_V4_RESPONSE = 0x84,
    RESPONSE_BIT = 0x80,
    OP_ERROR = 0x00,
    OP_SUPPORTED = 0x06
};

const unsigned char cql_options_request[CQL_HEADER_LEN] = {
    0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00
};

const char *cql_status_name(cql_status status)
{
    switch (status) {
    case CQL_OK:           return "ok";
    case CQL_ERR_ADDRESS:  return "address";
    case CQL_ERR_CONNECT:  return "connect";
    case CQL_ERR_TIMEOUT:  return "timeout";
    case CQL_ERR_IO:       return "io";
    case CQL_ERR_PROTOCOL: return "protocol";
    case CQL_ERR_SERVER:   return "server";
    }
    return "unknown";
}

static cql_status fail(cql_error *err, cql_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cql_status fail(cql_error *err, cql_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        err->server_code = 0;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Copy text that came from the peer into dst, replacing anything that is not
 * printable ASCII: a message must never carry terminal escapes into a log. */
static void copy_printable(char *dst, size_t cap, const unsigned char *src, size_t len)
{
    size_t n = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < len && n + 1 < cap; i++)
        dst[n++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[n] = '\0';
}

static const char *opcode_name(uint8_t op)
{
    switch (op) {
    case 0x00: return "ERROR";
    case 0x01: return "STARTUP";
    case 0x02: return "READY";
    case 0x03: return "AUTHENTICATE";
    case 0x05: return "OPTIONS";
    case 0x06: return "SUPPORTED";
    case 0x07: return "QUERY";
    case 0x08: return "RESULT";
    case 0x09: return "PREPARE";
    case 0x0A: return "EXECUTE";
    case 0x0B: return "REGISTER";
    case 0x0C: return "EVENT";
    case 0x0D: return "BATCH";
    case 0x0E: return "AUTH_CHALLENGE";
    case 0x0F: return "AUTH_RESPONSE";
    case 0x10: return "AUTH_SUCCESS";
    }
    return "unknown";
}

/* The error codes a node can plausibly send before any STARTUP. */
static const char *server_error_name(uint32_t code)
{
    switch (code) {
    case 0x0000: return "server error";
    case 0x000A: return "protocol error";
    case 0x1001: return "overloaded";
    case 0x1002: return "is bootstrapping";
    }
    return "error";
}

/* ---- byte reader over the body ---------------------------------------- */

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} reader;

static bool read_u16(reader *r, uint16_t *v)
{
    if (r->end - r->p < 2)
        return false;
    *v = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    return true;
}

static bool read_u32(reader *r, uint32_t *v)
{
    if (r->end - r->p < 4)
        return false;
    *v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
         ((uint32_t)r->p[2] << 8) | (uint32_t)r->p[3];
    r->p += 4;
    return true;
}

/* [string]: a [short] n, then n bytes. */
static bool read_string(reader *r, const unsigned char **s, size_t *len)
{
    uint16_t n;
    if (!read_u16(r, &n) || r->end - r->p < n)
        return false;
    *s = r->p;
    *len = n;
    r->p += n;
    return true;
}

static bool string_is(const unsigned char *s, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(s, lit, len) == 0;
}

/* Append a value to a ','-joined list in dst, silently truncating: the list
 * is informational, its absence or length never decides readiness. */
static void join_value(char *dst, size_t cap, const unsigned char *s, size_t len)
{
    size_t used = strlen(dst);
    if (used > 0 && used + 1 < cap) {
        dst[used++] = ',';
        dst[used] = '\0';
    }
    if (used < cap)
        copy_printable(dst + used, cap - used, s, len);
}

/* [string multimap]: [short] n, then n pairs of [string] key, [string list]. */
static cql_status parse_supported_body(reader *r, cql_supported *out, cql_error *err)
{
    uint16_t keys;
    bool have_cql_version = false;

    memset(out, 0, sizeof *out);
    if (!read_u16(r, &keys))
        return fail(err, CQL_ERR_PROTOCOL, "SUPPORTED body too short for its key count");
    for (unsigned k = 0; k < keys; k++) {
        const unsigned char *key;
        size_t key_len;
        uint16_t values;
        if (!read_string(r, &key, &key_len) || !read_u16(r, &values))
            return fail(err, CQL_ERR_PROTOCOL,
                        "SUPPORTED body ends inside option %u of %u", k + 1, (unsigned)keys);
        bool is_cql = string_is(key, key_len, "CQL_VERSION");
        bool is_proto = string_is(key, key_len, "PROTOCOL_VERSIONS");
        for (unsigned v = 0; v < values; v++) {
            const unsigned char *val;
            size_t val_len;
            if (!read_string(r, &val, &val_len))
                return fail(err, CQL_ERR_PROTOCOL,
                            "SUPPORTED body ends inside value %u of option %u", v + 1, k + 1);
            if (is_cql && v == 0) {
                copy_printable(out->cql_version, sizeof out->cql_version, val, val_len);
                have_cql_version = true;
            }
            if (is_proto)
                join_value(out->protocols, sizeof out->protocols, val, val_len);
        }
    }
    if (r->p != r->end)
        return fail(err, CQL_ERR_PROTOCOL, "SUPPORTED body has %zu bytes after its options",
                    (size_t)(r->end - r->p));
    /* Every Cassandra since 1.2 sends CQL_VERSION; requiring it keeps a
     * stray server whose bytes happen to parse from passing for a node. */
    if (!have_cql_version)
        return fail(err, CQL_ERR_PROTOCOL, "SUPPORTED reply without CQL_VERSION");
    out->options = keys;
    return CQL_OK;
}

/* [int] code, [string] message. */
static cql_status parse_error_body(reader *r, cql_error *err)
{
    uint32_t code;
    const unsigned char *msg;
    size_t len;
    char text[200];

    if (!read_u32(r, &code) || !read_string(r, &msg, &len))
        return fail(err, CQL_ERR_PROTOCOL, "malformed ERROR frame");
    copy_printable(text, sizeof text, msg, len);
    fail(err, CQL_ERR_SERVER, "node answered ERROR 0x%04x (%s): %s",
         (unsigned)code, server_error_name(code), text);
    if (err)
        err->server_code = code;
    return CQL_ERR_SERVER;
}

cql_status cql_parse_header(const unsigned char hdr[CQL_HEADER_LEN],
                            cql_frame_header *out, cql_error *err)
{
    cql_frame_header h;
    h.version = hdr[0];
    h.flags = hdr[1];
    h.stream = (uint16_t)((hdr[2] << 8) | hdr[3]);
    h.opcode = hdr[4];
    h.length = ((uint32_t)hdr[5] << 24) | ((uint32_t)hdr[6] << 16) |
               ((uint32_t)hdr[7] << 8) | (uint32_t)hdr[8];

    if (!(h.version & RESPONSE_BIT))
        return fail(err, CQL_ERR_PROTOCOL,
                    "not a CQL reply: first byte 0x%02x has no response bit", h.version);
    if (h.stream != 0)
        return fail(err, CQL_ERR_PROTOCOL, "reply on stream %u, the request used stream 0",
                    (unsigned)h.stream);
    if (h.length > CQL_MAX_SUPPORTED_BODY)
        return fail(err, CQL_ERR_PROTOCOL,
                    "reply announces a %lu-byte body; a SUPPORTED reply is at most %d",
                    (unsigned long)h.length, CQL_MAX_SUPPORTED_BODY);
    if (out)
        *out = h;
    return CQL_OK;
}

cql_status cql_parse_reply(const unsigned char *frame, size_t len,
                           cql_supported *out, cql_error *err)
{
    cql_frame_header h;
    cql_supported info;
    cql_status st;

    if (len < CQL_HEADER_LEN)
        return fail(err, CQL_ERR_PROTOCOL, "reply truncated: %zu of %d header bytes",
                    len, CQL_HEADER_LEN);
    if ((st = cql_parse_header(frame, &h, err)) != CQL_OK)
        return st;
    if (len - CQL_HEADER_LEN < h.length)
        return fail(err, CQL_ERR_PROTOCOL, "reply truncated: %zu of %lu body bytes",
                    len - CQL_HEADER_LEN, (unsigned long)h.length);
    if (len - CQL_HEADER_LEN > h.length)
        return fail(err, CQL_ERR_PROTOCOL, "%zu bytes after the %lu-byte reply body",
                    len - CQL_HEADER_LEN - h.length, (unsigned long)h.length);

    reader r = { frame + CQL_HEADER_LEN, frame + CQL_HEADER_LEN + h.length };
    /* An ERROR comes first: a node that does not speak v4 answers in its own
     * version, and its message says so better than we could. */
    if (h.opcode == OP_ERROR && h.flags == 0)
        return parse_error_body(&r, err);
    if (h.version != VERSION_V4_RESPONSE)
        return fail(err, CQL_ERR_PROTOCOL, "reply is protocol v%u, not v4 (version byte 0x%02x)",
                    (unsigned)(h.version & 0x7f), h.version);
    /* Flags would change the body layout (compression, tracing id, warnings,
     * custom payload); none applies to OPTIONS before STARTUP. */
    if (h.flags != 0)
        return fail(err, CQL_ERR_PROTOCOL, "reply has flags 0x%02x, expected none", h.flags);
    if (h.opcode != OP_SUPPORTED)
        return fail(err, CQL_ERR_PROTOCOL, "reply opcode 0x%02x (%s), expected SUPPORTED",
                    h.opcode, opcode_name(h.opcode));
    if ((st = parse_supported_body(&r, &info, err)) != CQL_OK)
        return st;
    if (out)
        *out = info;
    return CQL_OK;
}

/* ---- the socket side ----------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or the deadline passes. */
static cql_status wait_fd(int fd, short events, int64_t deadline, const char *what,
                          const char *addr, cql_error *err)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return fail(err, CQL_ERR_TIMEOUT, "%s: timed out %s", addr, what);
        struct pollfd p = { .fd = fd, .events = events };
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return CQL_OK;  /* readable, writable, or an error the next call reports */
        if (n < 0 && errno != EINTR)
            return fail(err, CQL_ERR_IO, "%s: poll: %s", addr, strerror(errno));
    }
}

static cql_status connect_error(int e, const char *addr, cql_error *err)
{
    if (e == ETIMEDOUT)
        return fail(err, CQL_ERR_TIMEOUT, "%s: connect: %s", addr, strerror(e));
    return fail(err, CQL_ERR_CONNECT, "%s: connect: %s", addr, strerror(e));
}

static cql_status connect_by(int fd, const struct addrinfo *ai, int64_t deadline,
                             const char *addr, cql_error *err)
{
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return CQL_OK;
    if (errno != EINPROGRESS && errno != EINTR)
        return connect_error(errno, addr, err);
    cql_status st = wait_fd(fd, POLLOUT, deadline, "connecting", addr, err);
    if (st != CQL_OK)
        return st;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return fail(err, CQL_ERR_IO, "%s: getsockopt: %s", addr, strerror(errno));
    return soerr ? connect_error(soerr, addr, err) : CQL_OK;
}

static cql_status send_all(int fd, const unsigned char *buf, size_t len, int64_t deadline,
                           const char *addr, cql_error *err)
{
    size_t done = 0;
    while (done < len) {
        /* MSG_NOSIGNAL: a peer that hangs up must not kill us with SIGPIPE. */
        ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            cql_status st = wait_fd(fd, POLLOUT, deadline, "sending OPTIONS", addr, err);
            if (st != CQL_OK)
                return st;
        } else if (n < 0 && errno != EINTR) {
            return fail(err, CQL_ERR_IO, "%s: send: %s", addr, strerror(errno));
        }
    }
    return CQL_OK;
}

static cql_status recv_exact(int fd, unsigned char *buf, size_t len, int64_t deadline,
                             const char *addr, cql_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = recv(fd, buf + done, len - done, 0);
        if (n > 0) {
            done += (size_t)n;
        } else if (n == 0) {
            return fail(err, CQL_ERR_IO, "%s: connection closed after %zu of %zu reply bytes",
                        addr, done, len);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            cql_status st = wait_fd(fd, POLLIN, deadline, "waiting for the reply", addr, err);
            if (st != CQL_OK)
                return st;
        } else if (errno != EINTR) {
            return fail(err, CQL_ERR_IO, "%s: recv: %s", addr, strerror(errno));
        }
    }
    return CQL_OK;
}

/* One address: connect, ask, read one frame, judge it. */
static cql_status probe_one(const struct addrinfo *ai, int64_t deadline, const char *addr,
                            cql_supported *out, cql_error *err)
{
    unsigned char *frame = NULL;
    cql_frame_header h;
    cql_status st;

    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return fail(err, CQL_ERR_CONNECT, "%s: socket: %s", addr, strerror(errno));

    if ((st = connect_by(fd, ai, deadline, addr, err)) != CQL_OK)
        goto out;
    if ((st = send_all(fd, cql_options_request, CQL_HEADER_LEN, deadline, addr, err)) != CQL_OK)
        goto out;

    unsigned char hdr[CQL_HEADER_LEN];
    if ((st = recv_exact(fd, hdr, sizeof hdr, deadline, addr, err)) != CQL_OK)
        goto out;
    /* Judge the header before reading on: a bogus length must fail now, not
     * after waiting for bytes that will never come. */
    if ((st = cql_parse_header(hdr, &h, err)) != CQL_OK)
        goto out;
    frame = malloc(CQL_HEADER_LEN + (size_t)h.length);
    if (!frame) {
        st = fail(err, CQL_ERR_IO, "%s: out of memory", addr);
        goto out;
    }
    memcpy(frame, hdr, CQL_HEADER_LEN);
    if ((st = recv_exact(fd, frame + CQL_HEADER_LEN, h.length, deadline, addr, err)) != CQL_OK)
        goto out;
    st = cql_parse_reply(frame, CQL_HEADER_LEN + (size_t)h.length, out, err);
    if (st != CQL_OK && err) {
        /* Name the address in a message that came from the parser. */
        char msg[sizeof err->message];
        if (snprintf(msg, sizeof msg, "%s: %s", addr, err->message) >= 0)
            memcpy(err->message, msg, sizeof msg);  /* cut short if it must be */
    }
out:
    free(frame);
    close(fd);
    return st;
}

static void format_addr(const struct addrinfo *ai, char *buf, size_t cap)
{
    char host[64], serv[8];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, cap, "(unprintable address)");
        return;
    }
    if (ai->ai_family == AF_INET6)
        snprintf(buf, cap, "[%s]:%s", host, serv);
    else
        snprintf(buf, cap, "%s:%s", host, serv);
}

cql_status cql_probe(const char *host, unsigned port, int timeout_ms,
                     cql_supported *out, cql_error *err)
{
    char name[256], serv[8];
    size_t len;

    if (!host || !*host)
        return fail(err, CQL_ERR_ADDRESS, "no host to probe");
    if (port == 0 || port > 65535)
        return fail(err, CQL_ERR_ADDRESS, "port %u out of range 1-65535", port);
    if (timeout_ms <= 0)
        return fail(err, CQL_ERR_TIMEOUT, "timeout %d ms leaves no time to probe", timeout_ms);

    /* "[::1]" is how seeds and URLs write an IPv6 address; getaddrinfo wants it bare. */
    len = strlen(host);
    if (host[0] == '[' && len >= 2 && host[len - 1] == ']')
        snprintf(name, sizeof name, "%.*s", (int)(len - 2), host + 1);
    else if (len < sizeof name)
        snprintf(name, sizeof name, "%s", host);
    else
        return fail(err, CQL_ERR_ADDRESS, "host name too long (%zu bytes)", len);
    snprintf(serv, sizeof serv, "%u", port);

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(name, serv, &hints, &res);
    if (rc != 0)
        return fail(err, CQL_ERR_ADDRESS, "%s: %s", host,
                    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));

    int64_t deadline = now_ms() + timeout_ms;
    cql_status st = CQL_ERR_ADDRESS;
    fail(err, st, "%s: no usable address", host);
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char addr[96];
        format_addr(ai, addr, sizeof addr);
        st = probe_one(ai, deadline, addr, out, err);
        /* The next address only gets a chance when this one failed to
         * connect; a node that answered wrongly or slowly has spoken. */
        if (st != CQL_ERR_CONNECT)
            break;
    }
    freeaddrinfo(res);
    return st;
}
