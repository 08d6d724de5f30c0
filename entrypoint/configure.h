/*
 * configure: the resolved settings -> the new content of the node's files.
 *
 * Plans every change in memory first (cassandra.yaml through the yamlpatch
 * library, cassandra-rackdc.properties line by line), so that a bad value is
 * reported before anything is written, --dry-run can show the diff, and an
 * unchanged file is never touched (the second start of a container is a no-op).
 *
 * A conf dir that is read-only or bind-mounted from the host is input only:
 * it is copied to a writable runtime directory, the edits go there and the
 * caller points CASSANDRA_CONF at it (a host file shared by several nodes must
 * not receive each node's address in turn).
 */
#ifndef ENTRYPOINT_CONFIGURE_H
#define ENTRYPOINT_CONFIGURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "entrypoint/error.h"
#include "entrypoint/settings.h"
#include "entrypoint/tls.h"


typedef struct {
    char *path;              /* the file to write */
    char *name;              /* its name for messages: "cassandra.yaml" */
    char *before, *after;    /* old and new content */
    size_t before_len, after_len;
    unsigned mode;           /* 0: as the file is (new files 0644); else created and
                                left with this mode (0600: the TLS key and CA files) */
    bool secret;             /* --dry-run shows its size, never its content */
} conf_change;

typedef struct {
    char *source_dir;        /* the conf dir as configured */
    char *conf_dir;          /* where Cassandra reads it: source_dir, or the copy */
    bool copied;             /* conf_dir is a runtime copy of source_dir */
    char *copy_reason;       /* why ("bind-mounted from the host", "read-only") */
    conf_change *changes;    /* only files whose content changes */
    size_t n_changes;
    char **log;              /* one line per change and decision */
    size_t n_log;
    char **secrets;          /* values never to print */
    size_t n_secrets;
    bool lost;               /* a log line or secret could not be kept (out of memory) */
    char *authenticator;     /* the final cassandra.yaml's authenticator class ("" if none) */
} conf_plan;

/* Plan the changes.  runtime_dir is where an input-only conf dir is copied;
 * data_dir is Cassandra's data directory (a node with data keeps its snitch).
 * tls: the checked PEM material of s->tls (tls_check), or NULL for none; it
 * becomes TLS_KEYSTORE_NAME and TLS_TRUSTSTORE_NAME in the conf dir Cassandra
 * reads (mode 0600; privileges.c's chown walk of that dir gives them to
 * Cassandra's user) and tls_edits() of cassandra.yaml, applied before the
 * named variables' and the overrides' edits (so --set still wins).
 * Returns 0, EX_CONFIG (bad YAML, a value the file can't take) or
 * EX_IOERR, with one line in err naming the file (and line:col). */
int configure_plan(const settings *s, const char *runtime_dir, const char *data_dir,
                   const tls_material *tls, conf_plan *plan, entry_error *err);

/* Copy the conf dir when needed, then write every change (atomically, through
 * yp_file).  Returns 0 or EX_IOERR. */
int configure_apply(const conf_plan *plan, entry_error *err);

/* --dry-run: the unified diff of every change, secrets shown as ***. */
/* True when dir exists and holds anything (a node with data). */
bool configure_dir_has_entries(const char *dir);

/* Returns 0, or -1 when memory ran out (what was printed is incomplete). */
int configure_print_diff(const conf_plan *plan, FILE *out);

/* Mask every secret value of the plan in `text` (in place, with ***). */
char *configure_mask(const conf_plan *plan, const char *text);

void configure_plan_free(conf_plan *plan);

/* What the probe needs to speak TLS to its node: client_encryption_options. */
typedef struct {
    bool required;           /* enabled, and not optional: the native port speaks TLS only */
    bool client_auth;        /* require_client_auth: present the keystore's certificate */
    bool pem;                /* ssl_context_factory is the PEM one (tls.h) */
    char keystore[4096];     /* the files as the yaml names them */
    char truststore[4096];
    char *keystore_password; /* malloc'd; NULL when none */
} configure_client_tls;

void configure_client_tls_free(configure_client_tls *t);

/* The native transport port and the address to probe, from conf_dir's
 * cassandra.yaml (the runtime copy when one exists); tls (may be NULL) gets
 * its client_encryption_options (configure_client_tls_free after). */
int configure_probe_target(const char *conf_dir, const char *runtime_dir, char *host,
                           size_t hostlen, unsigned *port, configure_client_tls *tls,
                           entry_error *err);

#endif
