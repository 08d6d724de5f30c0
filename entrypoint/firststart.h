/*
 * firststart: the work a brand-new cluster needs once, done from whichever
 * node gets there first - no designated node.
 *
 *  1. The superuser: with PasswordAuthenticator, a superuser role of the given
 *     name and password replaces the well-known cassandra/cassandra, whose
 *     login and superuser status are taken away (as cass-operator does).
 *  2. The init scripts of a directory (/docker-entrypoint-initdb.d): *.cql,
 *     *.cql.gz and *.sh in name order, each once per cluster.  What ran is
 *     recorded in the cluster (cass_entry.initdb: name, sha256, when, by whom),
 *     not in a per-node marker file; a script that changed since gets a
 *     warning and does not run again.
 *
 * Nodes that start together agree through a lightweight transaction on
 * cass_entry.locks: the node that wins does the work, the others wait for the
 * lock to be released and then find it done.  The keyspace and its tables are
 * created with fixed table ids, so every node's CREATE ... IF NOT EXISTS is the
 * same schema change.  Everything is idempotent: a restart or a new node finds
 * the work done and does nothing.
 */
#ifndef ENTRYPOINT_FIRSTSTART_H
#define ENTRYPOINT_FIRSTSTART_H

#include <stdbool.h>
#include <stddef.h>

#include "cql/tls.h"
#include "entrypoint/error.h"


typedef struct {
    const char *host;          /* this node's CQL address and port */
    unsigned port;
    const char *user;          /* the superuser wanted (CASSANDRA_USER) */
    const char *password;      /* its password; NULL: no superuser work */
    const char *keyspace;      /* NULL: none to create */
    const char *roles;         /* "name:password,..." or NULL */
    const char *initdb_dir;    /* NULL or missing: no scripts */
    const char *node_name;     /* who holds the lock and ran a script */
    unsigned expected_nodes;   /* nodes the cluster is known to have at least (its
                                  seed count): replicas are sized on it */
    int wait_ms;               /* how long the node may take to answer */
    const cql_tls_config *tls; /* the node's native port speaks TLS only: this; else NULL */
    void (*say)(const char *line); /* one log line (no secret is ever passed) */
} firststart_config;

/* Is there any first-start work?  (A password, a keyspace, roles, or a
 * script in initdb_dir.) */
bool firststart_pending(const firststart_config *c);

/* Do the work.  0, or an exit status with a one-line reason in err. */
int firststart_run(const firststart_config *c, entry_error *err);

#endif
