/*
 * provision/plan: what `up` is to do, from the options and what exists -
 * pure: no engine, no network, no clock.  Which nodes to keep, start or
 * create, the seeds, the cluster name, all-at-once or one at a time, and each
 * new node's environment (tokens, --auth) and labels.  cluster.c and swarm.c
 * carry the plan out on one engine or on a swarm.
 */
#ifndef PROVISION_PLAN_H
#define PROVISION_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "provision/error.h"


/* The label keys. */
#define CLUSTER_LABEL_CLUSTER "io.cass-entry.cluster"
#define CLUSTER_LABEL_NODE "io.cass-entry.node"
#define CLUSTER_LABEL_SEEDS "io.cass-entry.seeds"
#define CLUSTER_LABEL_NAME "io.cass-entry.cluster-name"
#define CLUSTER_LABEL_TOKENS "io.cass-entry.initial-tokens"
#define CLUSTER_LABEL_NETWORK "io.cass-entry.network"
#define CLUSTER_LABEL_TLS "io.cass-entry.tls"

enum { CLUSTER_MAX_NODES = 99, CLUSTER_NAME_MAX = 64 };

/* Where a node finds its certificate, key and the CA of `up --tls`
 * (read-only bind mounts of the files kept with the cluster). */
#define CLUSTER_TLS_CERT_TARGET "/run/secrets/cassandra-tls-cert.pem"
#define CLUSTER_TLS_KEY_TARGET "/run/secrets/cassandra-tls-key.pem"
#define CLUSTER_TLS_CA_TARGET "/run/secrets/cassandra-tls-ca.pem"

/* Where a node finds the password of `up --auth` (a read-only bind mount). */
#define CLUSTER_PASSWORD_TARGET "/run/secrets/cassandra-password"

typedef struct {
    unsigned nodes;              /* up: the wanted node count (1..CLUSTER_MAX_NODES) */
    const char *image;           /* up: the node image */
    const char *prefix;          /* names: <prefix>N, <prefix>N-data, <prefix>-net */
    const char *network;         /* NULL: <prefix>-net */
    const char *seeds;           /* NULL: see the plan rules */
    const char *cluster_name;    /* NULL: the existing cluster's, else "cass-entry" */
    const char *dc, *rack;       /* NULL: the image's defaults */
    unsigned num_tokens;         /* 1..1536 */
    long long memory;            /* bytes per node, 0 = no limit */
    int stop_timeout;            /* seconds */
    const char *restart;         /* restart policy ("no", "unless-stopped", ...) */
    const char *const *env;      /* extra KEY=VALUE, win over the provisioner's */
    const char *jvm_extra_opts;  /* NULL: none (JVM_EXTRA_OPTS of the node) */
    bool fresh;                  /* up --fresh: all at once, refused over kept data */
    bool sequential;             /* up --sequential: new nodes one at a time, always */
    unsigned publish_node;       /* 1-based node whose CQL port is published, 0 = none */
    const char *publish_ip;      /* "127.0.0.1" */
    unsigned publish_port;       /* host port, 9042 */
    int node_timeout_s;          /* readiness time limit per node (all nodes with --fresh) */
    int poll_s;                  /* nodetool status at most every poll_s seconds */
    bool volumes;                /* down: remove the data volumes too */
    const char *auth_user;       /* up --auth: the superuser (NULL: no --auth) */
    const char *auth_password_file; /* up --auth: the host file holding its password */
    const char *tls_dir;         /* up --tls: the cluster's CA and certificates (provision/pki.h);
                                    NULL: no TLS */
    const char *replace_address; /* replace: the dead node's address, for the new node's
                                    first boot (replace_address_first_boot) */
    FILE *out;                   /* progress lines and tables */
} cluster_opts;

/* Defaults for every field (nodes 3, prefix "cass", 1.5 GiB, 120 s, ...). */
void cluster_opts_init(cluster_opts *o);

/* ---- the state found on the engine, and the plan ---- */

typedef struct {
    unsigned index;              /* N of <prefix>N */
    bool running;
    char seeds[1024];            /* its seeds label, "" if none */
    char cluster_name[CLUSTER_NAME_MAX];
    bool tls;                    /* its TLS label: made by up --tls */
} cluster_found_node;

typedef struct {
    cluster_found_node *nodes;   /* existing containers of this prefix, any order */
    size_t n;
    bool *volume_exists;         /* [i] for node i+1, i < volumes_n */
    size_t volumes_n;
} cluster_found;

typedef enum {
    NODE_KEEP,    /* exists and runs: nothing to do */
    NODE_START,   /* exists, stopped: start it */
    NODE_CREATE   /* does not exist: create (and its volume if missing), start */
} cluster_node_action;

typedef struct {
    unsigned index;
    char name[96];               /* <prefix>N */
    char volume[112];            /* <prefix>N-data */
    cluster_node_action action;
    bool volume_new;             /* NODE_CREATE: the volume is created by this run */
    bool initial_tokens;         /* --fresh: initial_token + auto_bootstrap false */
    char **env;                  /* NODE_CREATE: the container's environment, NULL-terminated */
    char **labels;               /* NODE_CREATE: its labels, NULL-terminated */
} cluster_node_plan;

typedef struct {
    char network[128];
    char seeds[1024];
    char cluster_name[CLUSTER_NAME_MAX];
    bool all_at_once;            /* a brand-new cluster (unless --sequential) */
    cluster_node_plan *nodes;    /* every node 1..max(n, highest existing), by index */
    size_t n;
    char notes[4][256];          /* things the user should know ("--fresh ignored: ...") */
    size_t n_notes;
} cluster_plan;

/* The plan for `up` from the options and what exists.  Pure: no engine.
 * Errors (PROV_EXIT_USAGE / PROV_EXIT_FAIL) for options that contradict the
 * existing cluster (another cluster name, --fresh over old data volumes). */
int cluster_plan_make(const cluster_opts *o, const cluster_found *found, cluster_plan *plan,
                      prov_error *err);
void cluster_plan_free(cluster_plan *plan);

/*
 * Pinned node addresses (one engine, `up --tls`): a node certificate can name
 * its node's address only if the address is known before the container
 * starts.  The network `up` creates for such a cluster keeps the subnet the
 * engine picked, but the engine gives addresses only from its lower half
 * (the IPAM range); node N is pinned at the N-th address of the upper half,
 * where nothing else is ever placed.
 *
 * cluster_lower_half: the range for an IPv4 subnet "a.b.c.d/p" (p <= 28);
 * -1 for anything else.  cluster_node_address: node `index`'s address on a
 * network whose subnet and range are that split; -1 when the network is not
 * split so (made before, or by someone else: its addresses stay the engine's)
 * or the index does not fit in the upper half.
 */
int cluster_lower_half(const char *subnet, char *range, size_t len);
int cluster_node_address(const char *subnet, const char *range, unsigned index, char *out,
                         size_t len);

#endif
