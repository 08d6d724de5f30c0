/*
 * cql/probe: is a Cassandra node ready for CQL clients?
 *
 * The probe speaks just enough of the CQL native protocol (v4, which every
 * release from 2.2 to 5.x accepts) to ask a node OPTIONS and check that it
 * answers SUPPORTED.  A node answers this only once its native transport is
 * up, so unlike a bare TCP connect it tells "Cassandra is serving" apart from
 * "something holds the port", and it needs no driver, no cqlsh and no shell.
 *
 * Request (9 bytes):  04 00 00 00 05 00 00 00 00
 *                     version 4, flags 0, stream 0, opcode OPTIONS, length 0
 * Reply accepted:     84 00 00 00 06 <uint32 length> <string multimap>
 *                     version 4 | response bit, flags 0, stream 0, SUPPORTED
 *
 * Over TLS (cql_probe_tls) the same request follows the handshake.
 * The whole exchange (name lookup aside) is bounded by one timeout.  Nothing
 * here prints; every failure comes back as a cql_error with one line of text.
 */
#ifndef CQL_PROBE_H
#define CQL_PROBE_H

#include "cql/tls.h"
#include "cql/wire.h"

#include <stddef.h>
#include <stdint.h>

/* What a SUPPORTED reply said, as far as a readiness check cares. */
typedef struct {
    unsigned options;       /* number of keys in the multimap */
    char cql_version[32];   /* first value of CQL_VERSION, e.g. "3.4.5" */
    char protocols[64];     /* PROTOCOL_VERSIONS joined by ',' ("" before 4.0,
                               which does not send it); truncated if longer */
} cql_supported;

/* Largest SUPPORTED body accepted.  Real ones are a few hundred bytes; a larger
 * length means the peer is not Cassandra, and reading it would only wait. */
enum { CQL_MAX_SUPPORTED_BODY = 64 * 1024 };

/* The 9-byte OPTIONS request the probe sends. */
extern const unsigned char cql_options_request[CQL_HEADER_LEN];

/* Decode and check a reply header: response direction, stream 0 and a body
 * length that a SUPPORTED (or ERROR) reply can have.  It does not insist on
 * the version or opcode: cql_parse_reply does, after reading the body, so an
 * ERROR frame can still be reported with its message. */
cql_status cql_parse_header(const unsigned char hdr[CQL_HEADER_LEN],
                            cql_frame_header *out, cql_error *err);

/* Check a complete reply frame (header + body, `len` bytes) to the OPTIONS
 * request.  CQL_OK only for version 0x84, flags 0, stream 0, opcode SUPPORTED
 * (0x06), a body length equal to what follows the header, and a body that is
 * exactly one string multimap holding CQL_VERSION.  An ERROR frame gives
 * CQL_ERR_SERVER with the node's message; anything else CQL_ERR_PROTOCOL.
 * `out` may be NULL; it is filled on success only. */
cql_status cql_parse_reply(const unsigned char *frame, size_t len,
                           cql_supported *out, cql_error *err);

/* Connect to host:port (a numeric IPv4 or IPv6 address, with or without
 * brackets, or a name; a name's addresses are tried in turn), send OPTIONS and
 * check the reply with cql_parse_reply.  timeout_ms bounds connect, send and
 * receive together; name resolution runs before the clock starts and is not
 * bounded by it, so pass an address where a strict bound matters.
 * `out` may be NULL. */
cql_status cql_probe(const char *host, unsigned port, int timeout_ms,
                     cql_supported *out, cql_error *err);

/* The same over TLS when tls is not NULL (cql/tls.h: the server's chain
 * verified against tls->ca_pem, a client certificate when given); the
 * handshake is inside the same timeout.  A handshake that fails is
 * CQL_ERR_TLS with its reason. */
cql_status cql_probe_tls(const char *host, unsigned port, int timeout_ms,
                         const cql_tls_config *tls, cql_supported *out, cql_error *err);

#endif
