/*
 * provision/pki: the certificates of `cass-provision up --tls`, made once and
 * kept with the cluster (by default ~/.cass-provision/<prefix>/tls, mode 0700):
 *
 *   ca.pem, ca-key.pem          the cluster's own CA (RSA 2048, 10 years)
 *   <node>.pem, <node>-key.pem  one per node: CN and DNS name the node's name
 *                               (its host name on the cluster's network), and
 *                               an IP name its address when it is pinned
 *                               (one engine: cluster_node_address),
 *                               server and client use (internode TLS has both
 *                               sides present one), 2 years, signed by the CA
 *   client.pem, client-key.pem  for the user's clients (cqlsh, drivers) when
 *                               the nodes require a client certificate
 *
 * Every file is mode 0600 (the keys never leave it otherwise); keys are
 * PKCS#8 PEM, as Cassandra's PEM-based SSL context factory reads them.  A
 * file that exists is kept (a new node gets a certificate from the same CA);
 * a directory or file that others may read is refused.  OpenSSL's libcrypto
 * does the cryptography.
 */
#ifndef PROVISION_PKI_H
#define PROVISION_PKI_H

#include <stdbool.h>
#include <stddef.h>

/* The default place: $HOME/.cass-provision/<prefix>/tls. */
int pki_default_dir(const char *prefix, char *out, size_t cap);

/* Make sure dir holds the CA and the client certificate (made when missing;
 * *created says whether the CA was made now).  0, or -1 with a one-line
 * reason naming the file. */
int pki_ensure_ca(const char *dir, bool *created, char *why, size_t whylen);

/* Make sure dir holds <name>.pem and <name>-key.pem, signed by dir's CA,
 * naming address ip too when it is not NULL (a pair that does not is made
 * again: the node's address changed).  0, or -1 with a one-line reason. */
int pki_ensure_cert(const char *dir, const char *name, const char *ip, char *why, size_t whylen);

#endif
