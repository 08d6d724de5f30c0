/* cql/wire: see wire.h. */
#include "cql/wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cql_status cql_fail(cql_error *err, cql_status code, const char *fmt, ...)
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
    case CQL_ERR_NOMEM:    return "out of memory";
    case CQL_ERR_TLS:      return "tls";
    }
    return "unknown";
}

void cql_copy_printable(char *dst, size_t cap, const unsigned char *src, size_t len)
{
    size_t n = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < len && n + 1 < cap; i++)
        dst[n++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[n] = '\0';
}

const char *cql_opcode_name(uint8_t op)
{
    switch (op) {
    case CQL_OP_ERROR:          return "ERROR";
    case CQL_OP_STARTUP:        return "STARTUP";
    case CQL_OP_READY:          return "READY";
    case CQL_OP_AUTHENTICATE:   return "AUTHENTICATE";
    case CQL_OP_OPTIONS:        return "OPTIONS";
    case CQL_OP_SUPPORTED:      return "SUPPORTED";
    case CQL_OP_QUERY:          return "QUERY";
    case CQL_OP_RESULT:         return "RESULT";
    case CQL_OP_PREPARE:        return "PREPARE";
    case CQL_OP_EXECUTE:        return "EXECUTE";
    case CQL_OP_REGISTER:       return "REGISTER";
    case CQL_OP_EVENT:          return "EVENT";
    case CQL_OP_BATCH:          return "BATCH";
    case CQL_OP_AUTH_CHALLENGE: return "AUTH_CHALLENGE";
    case CQL_OP_AUTH_RESPONSE:  return "AUTH_RESPONSE";
    case CQL_OP_AUTH_SUCCESS:   return "AUTH_SUCCESS";
    }
    return "unknown";
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

void cql_header_decode(const unsigned char hdr[CQL_HEADER_LEN], cql_frame_header *out)
{
    out->version = hdr[0];
    out->flags = hdr[1];
    out->stream = (uint16_t)((hdr[2] << 8) | hdr[3]);
    out->opcode = hdr[4];
    out->length = be32(hdr + 5);
}

/* ---- reader ---- */

static size_t left(const cql_reader *r)
{
    return (size_t)(r->end - r->p);
}

bool cql_read_skip(cql_reader *r, size_t n)
{
    if (left(r) < n) return false;
    r->p += n;
    return true;
}

bool cql_read_u8(cql_reader *r, uint8_t *v)
{
    if (left(r) < 1) return false;
    *v = *r->p++;
    return true;
}

bool cql_read_u16(cql_reader *r, uint16_t *v)
{
    if (left(r) < 2) return false;
    *v = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    return true;
}

bool cql_read_u32(cql_reader *r, uint32_t *v)
{
    if (left(r) < 4) return false;
    *v = be32(r->p);
    r->p += 4;
    return true;
}

bool cql_read_string(cql_reader *r, const unsigned char **s, size_t *len)
{
    uint16_t n;
    if (!cql_read_u16(r, &n) || left(r) < n) return false;
    *s = r->p;
    *len = n;
    r->p += n;
    return true;
}

bool cql_read_short_bytes(cql_reader *r, const unsigned char **s, size_t *len)
{
    return cql_read_string(r, s, len);
}

bool cql_read_long_string(cql_reader *r, const unsigned char **s, size_t *len)
{
    uint32_t n;
    if (!cql_read_u32(r, &n) || n > INT32_MAX || left(r) < n) return false;
    *s = r->p;
    *len = n;
    r->p += n;
    return true;
}

bool cql_read_bytes(cql_reader *r, const unsigned char **s, int32_t *len)
{
    uint32_t n;
    if (!cql_read_u32(r, &n)) return false;
    if (n & 0x80000000u) { /* negative: null */
        *s = NULL;
        *len = -1;
        return true;
    }
    if (left(r) < n) return false;
    *s = r->p;
    *len = (int32_t)n;
    r->p += n;
    return true;
}

static const char *server_error_name(uint32_t code)
{
    switch (code) {
    case 0x0000: return "server error";
    case 0x000A: return "protocol error";
    case 0x0100: return "bad credentials";
    case 0x1000: return "unavailable";
    case 0x1001: return "overloaded";
    case 0x1002: return "is bootstrapping";
    case 0x1003: return "truncate error";
    case 0x1100: return "write timeout";
    case 0x1200: return "read timeout";
    case 0x1300: return "read failure";
    case 0x1400: return "function failure";
    case 0x1500: return "write failure";
    case 0x2000: return "syntax error";
    case 0x2100: return "unauthorized";
    case 0x2200: return "invalid";
    case 0x2300: return "config error";
    case 0x2400: return "already exists";
    case 0x2500: return "unprepared";
    }
    return "error";
}

cql_status cql_error_body(cql_reader *r, cql_error *err)
{
    uint32_t code;
    const unsigned char *msg;
    size_t len;
    char text[200];

    if (!cql_read_u32(r, &code) || !cql_read_string(r, &msg, &len))
        return cql_fail(err, CQL_ERR_PROTOCOL, "malformed ERROR frame");
    cql_copy_printable(text, sizeof text, msg, len);
    cql_fail(err, CQL_ERR_SERVER, "node answered ERROR 0x%04x (%s): %s",
             (unsigned)code, server_error_name(code), text);
    if (err)
        err->server_code = code;
    return CQL_ERR_SERVER;
}

/* ---- writer ---- */

static void grow(cql_writer *w, size_t more)
{
    if (w->failed) return;
    if (w->len + more <= w->cap) return;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + more) cap *= 2;
    unsigned char *d = realloc(w->data, cap);
    if (!d) {
        w->failed = true;
        return;
    }
    w->data = d;
    w->cap = cap;
}

void cql_write_raw(cql_writer *w, const void *s, size_t len)
{
    grow(w, len);
    if (w->failed) return;
    if (len) memcpy(w->data + w->len, s, len);
    w->len += len;
}

void cql_write_u8(cql_writer *w, uint8_t v)
{
    cql_write_raw(w, &v, 1);
}

void cql_write_u16(cql_writer *w, uint16_t v)
{
    unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
    cql_write_raw(w, b, 2);
}

void cql_write_u32(cql_writer *w, uint32_t v)
{
    unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v };
    cql_write_raw(w, b, 4);
}

/* A text after its length, in a [short] (wide false) or an [int] (wide true). */
static void write_text(cql_writer *w, const char *s, bool wide)
{
    size_t n = strlen(s);
    if (n > (wide ? (size_t)INT32_MAX : (size_t)UINT16_MAX)) {
        w->failed = true;
        return;
    }
    if (wide) cql_write_u32(w, (uint32_t)n);
    else cql_write_u16(w, (uint16_t)n);
    cql_write_raw(w, s, n);
}

void cql_write_string(cql_writer *w, const char *s)
{
    write_text(w, s, false);
}

void cql_write_long_string(cql_writer *w, const char *s)
{
    write_text(w, s, true);
}

void cql_write_bytes(cql_writer *w, const void *s, int32_t len)
{
    cql_write_u32(w, (uint32_t)len);
    if (len > 0) cql_write_raw(w, s, (size_t)len);
}

void cql_write_begin(cql_writer *w, uint16_t stream, uint8_t opcode)
{
    *w = (cql_writer){ 0 };
    unsigned char hdr[CQL_HEADER_LEN] = { CQL_VERSION_V4_REQUEST, 0, (unsigned char)(stream >> 8),
                                          (unsigned char)stream, opcode, 0, 0, 0, 0 };
    cql_write_raw(w, hdr, sizeof hdr);
}

bool cql_write_finish(cql_writer *w)
{
    if (w->failed || w->len < CQL_HEADER_LEN || w->len - CQL_HEADER_LEN > INT32_MAX) return false;
    uint32_t body = (uint32_t)(w->len - CQL_HEADER_LEN);
    w->data[5] = (unsigned char)(body >> 24);
    w->data[6] = (unsigned char)(body >> 16);
    w->data[7] = (unsigned char)(body >> 8);
    w->data[8] = (unsigned char)body;
    return true;
}

void cql_writer_free(cql_writer *w)
{
    /* a request may hold a password */
    if (w->data) explicit_bzero(w->data, w->cap);
    free(w->data);
    *w = (cql_writer){ 0 };
}
