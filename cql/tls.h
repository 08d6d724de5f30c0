/*
 * cql/tls: a TLS client over a connected non-blocking socket (mbedTLS), under
 * the same deadline as cql/net, and the channel the probe reads and writes
 * through, plain or TLS.
 *
 * The server's certificate chain must verify against the CA bundle given
 * (PEM text); its name is not checked (the probe dials its own node, often
 * by address, as Cassandra's own require_endpoint_verification: false).  A
 * client certificate and key (PEM text, the key PKCS#8, optionally
 * encrypted) are presented when given, for a node that requires client
 * authentication.  Failures are one line: "ADDR: TLS handshake: REASON",
 * with mbedTLS's reason and, for a refused certificate, why it was refused;
 * never key material.
 */
#ifndef CQL_TLS_H
#define CQL_TLS_H

#include "cql/wire.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *ca_pem;        /* trusted CA bundle, PEM text (required) */
    const char *cert_pem;      /* client certificate chain, PEM text, or NULL */
    const char *key_pem;       /* its private key, PEM text (with cert_pem) */
    const char *key_password;  /* NULL: the key is not encrypted */
} cql_tls_config;

typedef struct cql_tls cql_tls; /* one TLS session; cql_tls_close frees it */

/* Handshake over fd (connected, non-blocking) before `deadline`.  *out is
 * the session.  CQL_ERR_TLS (bad CA/key text, a refused certificate, a
 * failed handshake), CQL_ERR_TIMEOUT, CQL_ERR_IO, CQL_ERR_NOMEM. */
cql_status cql_tls_open(int fd, const cql_tls_config *cfg, int64_t deadline, const char *addr,
                        cql_tls **out, cql_error *err);

/* Close notify (best effort) and free.  The fd stays open: the caller's. */
void cql_tls_close(cql_tls *t);

/* A connection, plain (tls NULL) or TLS. */
typedef struct {
    int fd;
    cql_tls *tls;
} cql_channel;

cql_status cql_channel_send(cql_channel *c, const unsigned char *buf, size_t len,
                            int64_t deadline, const char *addr, cql_error *err);
cql_status cql_channel_recv(cql_channel *c, unsigned char *buf, size_t len, int64_t deadline,
                            const char *addr, cql_error *err);

#endif
