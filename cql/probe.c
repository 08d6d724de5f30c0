/*
 * cql/probe: OPTIONS -> SUPPORTED over the CQL native protocol v4.
 * See probe.h for what is promised; the frame layout is in the CQL v4 spec
 * (native_protocol_v4.spec, sections 2 and 4.2.4).
 */
#include "cql/probe.h"

#include "cql/net.h"
#include "cql/tls.h"

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

const unsigned char cql_options_request[CQL_HEADER_LEN] = {
    0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00
};

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
        cql_copy_printable(dst + used, cap - used, s, len);
}

/* [string multimap]: [short] n, then n pairs of [string] key, [string list]. */
static cql_status parse_supported_body(cql_reader *r, cql_supported *out, cql_error *err)
{
    uint16_t keys;
    bool have_cql_version = false;

    memset(out, 0, sizeof *out);
    if (!cql_read_u16(r, &keys))
        return cql_fail(err, CQL_ERR_PROTOCOL, "SUPPORTED body too short for its key count");
    for (unsigned k = 0; k < keys; k++) {
        const unsigned char *key;
        size_t key_len;
        uint16_t values;
        if (!cql_read_string(r, &key, &key_len) || !cql_read_u16(r, &values))
            return cql_fail(err, CQL_ERR_PROTOCOL,
                        "SUPPORTED body ends inside option %u of %u", k + 1, (unsigned)keys);
        bool is_cql = string_is(key, key_len, "CQL_VERSION");
        bool is_proto = string_is(key, key_len, "PROTOCOL_VERSIONS");
        for (unsigned v = 0; v < values; v++) {
            const unsigned char *val;
            size_t val_len;
            if (!cql_read_string(r, &val, &val_len))
                return cql_fail(err, CQL_ERR_PROTOCOL,
                            "SUPPORTED body ends inside value %u of option %u", v + 1, k + 1);
            if (is_cql && v == 0) {
                cql_copy_printable(out->cql_version, sizeof out->cql_version, val, val_len);
                have_cql_version = true;
            }
            if (is_proto)
                join_value(out->protocols, sizeof out->protocols, val, val_len);
        }
    }
    if (r->p != r->end)
        return cql_fail(err, CQL_ERR_PROTOCOL, "SUPPORTED body has %zu bytes after its options",
                    (size_t)(r->end - r->p));
    /* Every Cassandra since 1.2 sends CQL_VERSION; requiring it keeps a
     * stray server whose bytes happen to parse from passing for a node. */
    if (!have_cql_version)
        return cql_fail(err, CQL_ERR_PROTOCOL, "SUPPORTED reply without CQL_VERSION");
    out->options = keys;
    return CQL_OK;
}

cql_status cql_parse_header(const unsigned char hdr[CQL_HEADER_LEN],
                            cql_frame_header *out, cql_error *err)
{
    cql_frame_header h;
    cql_header_decode(hdr, &h);

    if (!(h.version & CQL_RESPONSE_BIT))
        return cql_fail(err, CQL_ERR_PROTOCOL,
                    "not a CQL reply: first byte 0x%02x has no response bit", h.version);
    if (h.stream != 0)
        return cql_fail(err, CQL_ERR_PROTOCOL, "reply on stream %u, the request used stream 0",
                    (unsigned)h.stream);
    if (h.length > CQL_MAX_SUPPORTED_BODY)
        return cql_fail(err, CQL_ERR_PROTOCOL,
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
        return cql_fail(err, CQL_ERR_PROTOCOL, "reply truncated: %zu of %d header bytes",
                    len, CQL_HEADER_LEN);
    if ((st = cql_parse_header(frame, &h, err)) != CQL_OK)
        return st;
    if (len - CQL_HEADER_LEN < h.length)
        return cql_fail(err, CQL_ERR_PROTOCOL, "reply truncated: %zu of %lu body bytes",
                    len - CQL_HEADER_LEN, (unsigned long)h.length);
    if (len - CQL_HEADER_LEN > h.length)
        return cql_fail(err, CQL_ERR_PROTOCOL, "%zu bytes after the %lu-byte reply body",
                    len - CQL_HEADER_LEN - h.length, (unsigned long)h.length);

    cql_reader r = { frame + CQL_HEADER_LEN, frame + CQL_HEADER_LEN + h.length };
    /* An ERROR comes first: a node that does not speak v4 answers in its own
     * version, and its message says so better than we could. */
    if (h.opcode == CQL_OP_ERROR && h.flags == 0)
        return cql_error_body(&r, err);
    if (h.version != CQL_VERSION_V4_RESPONSE)
        return cql_fail(err, CQL_ERR_PROTOCOL, "reply is protocol v%u, not v4 (version byte 0x%02x)",
                    (unsigned)(h.version & 0x7f), h.version);
    /* Flags would change the body layout (compression, tracing id, warnings,
     * custom payload); none applies to OPTIONS before STARTUP. */
    if (h.flags != 0)
        return cql_fail(err, CQL_ERR_PROTOCOL, "reply has flags 0x%02x, expected none", h.flags);
    if (h.opcode != CQL_OP_SUPPORTED)
        return cql_fail(err, CQL_ERR_PROTOCOL, "reply opcode 0x%02x (%s), expected SUPPORTED",
                    h.opcode, cql_opcode_name(h.opcode));
    if ((st = parse_supported_body(&r, &info, err)) != CQL_OK)
        return st;
    if (out)
        *out = info;
    return CQL_OK;
}

/* Ask over a connected socket, read one frame, judge it. */
static cql_status ask(cql_channel *ch, int64_t deadline, const char *addr, cql_supported *out,
                      cql_error *err)
{
    unsigned char *frame = NULL;
    cql_frame_header h;
    cql_status st;

    if ((st = cql_channel_send(ch, cql_options_request, CQL_HEADER_LEN, deadline, addr, err)) != CQL_OK)
        return st;
    unsigned char hdr[CQL_HEADER_LEN];
    if ((st = cql_channel_recv(ch, hdr, sizeof hdr, deadline, addr, err)) != CQL_OK)
        return st;
    /* Judge the header before reading on: a bogus length must fail now, not
     * after waiting for bytes that will never come. */
    if ((st = cql_parse_header(hdr, &h, err)) != CQL_OK)
        return st;
    frame = malloc(CQL_HEADER_LEN + (size_t)h.length);
    if (!frame)
        return cql_fail(err, CQL_ERR_IO, "%s: out of memory", addr);
    memcpy(frame, hdr, CQL_HEADER_LEN);
    if ((st = cql_channel_recv(ch, frame + CQL_HEADER_LEN, h.length, deadline, addr, err)) == CQL_OK)
        st = cql_parse_reply(frame, CQL_HEADER_LEN + (size_t)h.length, out, err);
    if (st == CQL_ERR_PROTOCOL || st == CQL_ERR_SERVER) {
        /* Name the address in a message that came from the parser. */
        char msg[sizeof err->message];
        if (err && snprintf(msg, sizeof msg, "%s: %s", addr, err->message) >= 0)
            memcpy(err->message, msg, sizeof msg);  /* cut short if it must be */
    }
    free(frame);
    return st;
}

cql_status cql_probe(const char *host, unsigned port, int timeout_ms,
                     cql_supported *out, cql_error *err)
{
    return cql_probe_tls(host, port, timeout_ms, NULL, out, err);
}

cql_status cql_probe_tls(const char *host, unsigned port, int timeout_ms,
                         const cql_tls_config *tls, cql_supported *out, cql_error *err)
{
    if (!host || !*host)
        return cql_fail(err, CQL_ERR_ADDRESS, "no host to probe");
    if (timeout_ms <= 0)
        return cql_fail(err, CQL_ERR_TIMEOUT, "timeout %d ms leaves no time to probe", timeout_ms);
    int64_t deadline = cql_now_ms() + timeout_ms;
    int fd;
    char addr[96];
    cql_status st = cql_net_connect(host, port, deadline, &fd, addr, sizeof addr, err);
    if (st != CQL_OK)
        return st;
    cql_channel ch = { fd, NULL };
    if (tls)
        st = cql_tls_open(fd, tls, deadline, addr, &ch.tls, err);
    if (st == CQL_OK)
        st = ask(&ch, deadline, addr, out, err);
    cql_tls_close(ch.tls);
    close(fd);
    return st;
}
