/*
 * cql/wire: the byte level of the CQL native protocol v4 (native_protocol_v4.spec,
 * section 3): a bounds-checked reader over a received body, a growable writer
 * for a request, the 9-byte frame header, and the error value every cql/
 * function returns.  Nothing here does I/O or prints.
 */
#ifndef CQL_WIRE_H
#define CQL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CQL_OK = 0,
    CQL_ERR_ADDRESS,  /* the host or port can't be used (bad syntax, no such name) */
    CQL_ERR_CONNECT,  /* the connection was refused or the network is unreachable */
    CQL_ERR_TIMEOUT,  /* no complete answer within the timeout */
    CQL_ERR_IO,       /* a socket error, or the peer closed before a whole frame */
    CQL_ERR_PROTOCOL, /* the reply is not a well-formed frame of the kind expected */
    CQL_ERR_SERVER,   /* the node answered with an ERROR frame (code in .server_code) */
    CQL_ERR_NOMEM,    /* out of memory */
    CQL_ERR_TLS       /* the TLS handshake failed (the certificate, the CA, the key) */
} cql_status;

typedef struct {
    cql_status code;
    uint32_t server_code; /* the CQL error code of an ERROR frame, else 0 */
    char message[256];
} cql_error;

/* Set *err (may be NULL) and return code. */
cql_status cql_fail(cql_error *err, cql_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short name of a status, for messages and tests ("timeout", "protocol"...). */
const char *cql_status_name(cql_status status);

/* Copy text that came from the peer, anything not printable ASCII as '?': a
 * message must never carry terminal escapes into a log. */
void cql_copy_printable(char *dst, size_t cap, const unsigned char *src, size_t len);

/* The fixed part of every frame. */
enum { CQL_HEADER_LEN = 9 };

enum {
    CQL_VERSION_V4_REQUEST = 0x04,
    CQL_VERSION_V4_RESPONSE = 0x84,
    CQL_RESPONSE_BIT = 0x80
};

enum cql_opcode {
    CQL_OP_ERROR = 0x00, CQL_OP_STARTUP = 0x01, CQL_OP_READY = 0x02,
    CQL_OP_AUTHENTICATE = 0x03, CQL_OP_OPTIONS = 0x05, CQL_OP_SUPPORTED = 0x06,
    CQL_OP_QUERY = 0x07, CQL_OP_RESULT = 0x08, CQL_OP_PREPARE = 0x09,
    CQL_OP_EXECUTE = 0x0A, CQL_OP_REGISTER = 0x0B, CQL_OP_EVENT = 0x0C,
    CQL_OP_BATCH = 0x0D, CQL_OP_AUTH_CHALLENGE = 0x0E, CQL_OP_AUTH_RESPONSE = 0x0F,
    CQL_OP_AUTH_SUCCESS = 0x10
};

/* Name of an opcode ("RESULT", "opcode 0x2a" for an unknown one: static or
 * per-thread storage is not needed, unknown ones say "unknown"). */
const char *cql_opcode_name(uint8_t op);

typedef struct {
    uint8_t version;  /* with the response bit 0x80 */
    uint8_t flags;
    uint16_t stream;
    uint8_t opcode;
    uint32_t length;  /* of the body that follows */
} cql_frame_header;

void cql_header_decode(const unsigned char hdr[CQL_HEADER_LEN], cql_frame_header *out);

/* ---- reading a body ---- */
typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} cql_reader;

bool cql_read_u8(cql_reader *r, uint8_t *v);
bool cql_read_u16(cql_reader *r, uint16_t *v);
bool cql_read_u32(cql_reader *r, uint32_t *v);
/* [string]: [short] n, n bytes. */
bool cql_read_string(cql_reader *r, const unsigned char **s, size_t *len);
/* [long string]: [int] n, n bytes. */
bool cql_read_long_string(cql_reader *r, const unsigned char **s, size_t *len);
/* [bytes]: [int] n, n bytes; n < 0 is null (*len = -1, *s = NULL). */
bool cql_read_bytes(cql_reader *r, const unsigned char **s, int32_t *len);
/* [short bytes]: [short] n, n bytes. */
bool cql_read_short_bytes(cql_reader *r, const unsigned char **s, size_t *len);
bool cql_read_skip(cql_reader *r, size_t n);

/* An ERROR body ([int] code, [string] message) as a CQL_ERR_SERVER error
 * naming the code; CQL_ERR_PROTOCOL when it is malformed. */
cql_status cql_error_body(cql_reader *r, cql_error *err);

/* ---- writing a request ---- */
typedef struct {
    unsigned char *data;
    size_t len, cap;
    bool failed; /* an allocation failed: the frame is not to be sent */
} cql_writer;

/* Starts a request frame (v4, flags 0) on `stream`; the length is filled in by
 * cql_write_finish. */
void cql_write_begin(cql_writer *w, uint16_t stream, uint8_t opcode);
void cql_write_u8(cql_writer *w, uint8_t v);
void cql_write_u16(cql_writer *w, uint16_t v);
void cql_write_u32(cql_writer *w, uint32_t v);
void cql_write_raw(cql_writer *w, const void *s, size_t len);
void cql_write_string(cql_writer *w, const char *s);      /* [string] */
void cql_write_long_string(cql_writer *w, const char *s); /* [long string] */
void cql_write_bytes(cql_writer *w, const void *s, int32_t len); /* [bytes]; len -1 null */
/* Sets the body length; false when the writer failed (out of memory). */
bool cql_write_finish(cql_writer *w);
void cql_writer_free(cql_writer *w);

#endif
