/*
 * tls: client and internode encryption from PEM secrets (CASSANDRA_TLS_*).
 *
 * Two steps, both before anything is written:
 *   tls_check  what the PEM text holds, with mbedTLS: a certificate chain that
 *              parses, a PKCS#8 private key (encrypted ones with their
 *              password) that matches the chain's first certificate, every
 *              certificate of the chain valid at `now` (not expired, not yet
 *              valid), a CA bundle that parses and that the chain verifies
 *              against.  Each failure is one EX_CONFIG line naming the
 *              variable; no line ever holds key material or a password.
 *              The result is the two files Cassandra's
 *              org.apache.cassandra.security.PEMBasedSslContextFactory reads:
 *              the keystore (the key, then the chain) and the truststore (the
 *              CA bundle).
 *   tls_edits  the cassandra.yaml edits (4.1 and later) that point
 *              client_encryption_options and server_encryption_options at
 *              those files.  Pure.
 * Cassandra before 4.1 has no PEM factory (tls_version_ok): there, and
 * wherever CASSANDRA_TLS_STORE=pkcs12 asks for it (t->store "pkcs12"; the
 * caller resolves "auto"), tls_check writes PKCS#12 stores instead
 * (pkcs12.h: a key entry with its chain; each CA a trusted entry) under a
 * password of their own (derived from the private key: unguessable without
 * it, the same for the same material, so a second start rewrites nothing), and tls_edits points the keystore options at
 * them (store_type PKCS12, the password; no factory).
 */
#ifndef ENTRYPOINT_TLS_H
#define ENTRYPOINT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "entrypoint/error.h"
#include "entrypoint/settings.h"

#define TLS_PEM_FACTORY   "org.apache.cassandra.security.PEMBasedSslContextFactory"
#define TLS_KEYSTORE_NAME   "cass-entry-keystore.pem"   /* in the conf dir, mode 0600 */
#define TLS_TRUSTSTORE_NAME "cass-entry-truststore.pem" /* in the conf dir, mode 0600 */
#define TLS_P12_KEYSTORE_NAME   "cass-entry-keystore.p12"   /* CASSANDRA_TLS_STORE=pkcs12 */
#define TLS_P12_TRUSTSTORE_NAME "cass-entry-truststore.p12"
#define TLS_PKCS12_ALIAS "cassandra" /* the key entry's alias in the keystore */

/* What tls_check found and what is to be written.  tls_material_free wipes
 * the keystore's bytes before releasing them. */
typedef struct {
    bool pkcs12;             /* t->store was "pkcs12": the stores are PKCS#12 files */
    char *keystore;          /* PEM: the private key, then the certificate chain;
                                PKCS#12: one key entry (TLS_PKCS12_ALIAS) and its chain */
    size_t keystore_len;
    char *truststore;        /* PEM: the CA bundle; PKCS#12: each CA a trusted entry */
    size_t truststore_len;
    char store_password[31]; /* PKCS#12: the stores' password (30 hex digits, see above) */
    char *probe_keystore;    /* PKCS#12: for `cass-entry --probe`, which speaks PEM only:
                                the key (unencrypted, PEM) then the chain, written as
                                TLS_KEYSTORE_NAME beside the stores (0600 too) */
    size_t probe_keystore_len;
    char *probe_truststore;  /* PKCS#12: the CA bundle as TLS_TRUSTSTORE_NAME */
    size_t probe_truststore_len;
    char subject[256];       /* the node certificate's subject, for the log */
    char not_after[32];      /* its expiry, "YYYY-MM-DD hh:mm:ss UTC" */
} tls_material;

/* Check t's PEM text (t->enabled) at time `now`; fill *out.  Returns 0,
 * EX_CONFIG with one line naming the variable, or EX_OSERR (out of memory). */
int tls_check(const settings_tls *t, time_t now, tls_material *out, entry_error *err);

void tls_material_free(tls_material *m);

/* Cassandra major.minor has the PEM factory (4.1+); minor -1 (unknown) is no. */
bool tls_version_ok(int major, int minor);

/* A cassandra.yaml's text names ssl_context_factory (4.1 added it, with the
 * PEM factory): the answer when only the conf files tell the version ("4.x"). */
bool tls_yaml_has_factory(const char *yaml_text);

/* The cassandra.yaml edits for t, with the keystore and truststore at the
 * paths given (absolute).  *edits is malloc'd, n_edits long; each element
 * owns its strings (free with tls_edits_free).  Client: enabled, optional,
 * require_client_auth, keystore, truststore, ssl_context_factory.class_name,
 * keystore_password (the key's, or cleared), truststore_password (cleared).
 * Internode (when not none): internode_encryption, optional (true unless
 * all: dc and rack keep plain connections inside), require_client_auth
 * (true: nodes authenticate each other), require_endpoint_verification
 * (only when t->verify_endpoints), the same files and factory.  With
 * m->pkcs12: keystore and truststore with m's password each, store_type
 * PKCS12, no factory, and `optional` only where the file has it. */
bool tls_edits(const settings_tls *t, const tls_material *m, const char *keystore_path,
               const char *truststore_path, settings_edit **edits, size_t *n_edits,
               entry_error *err);

void tls_edits_free(settings_edit *edits, size_t n_edits);

#endif
