/* provision/nodeexec: what the provisioner runs inside a Cassandra node's
 * container, through the engine that runs it (one engine, or the swarm node
 * where the task runs): nodetool, the ring it prints, the CQL probe, and an
 * excerpt of the container's log for error messages.  cluster.c and swarm.c
 * share it so both halves judge a node in exactly the same way.
 *
 * Nothing here prints; engine errors come back in an eng_error. */
#ifndef CASS_PROVISION_NODEEXEC_H
#define CASS_PROVISION_NODEEXEC_H

#include <stddef.h>

#include "provision/error.h"
#include "provision/engine.h"
#include "provision/ring.h"

enum {
    NODE_PROBE_TIMEOUT_MS = 15000,
    NODE_NODETOOL_TIMEOUT_MS = 120000,
    NODE_DRAIN_TIMEOUT_MS = 300000
};

/* `nodetool ARG` in the container, with a small heap for nodetool's own JVM.
 * 0: it succeeded (*out = its stdout, malloc'd, when out is not NULL);
 * 1: nodetool failed (why = its exit status and last line);
 * -1: engine error (e). */
int node_nodetool(eng_client *c, const char *container, const char *arg, long timeout_ms,
                  char **out, char *why, size_t whylen, eng_error *e);

/* The ring as the node sees it (`nodetool status`, parsed).  `name` names
 * the node in messages.  0 ok, 1 not available yet (why), -1 engine error. */
int node_ring(eng_client *c, const char *container, const char *name, struct ring *ring, char *why,
              size_t whylen, eng_error *e);

typedef enum {
    NODE_PROBE_ERROR = -1,  /* engine error (e): the caller judges it */
    NODE_PROBE_ANSWERS = 0, /* CQL answered OPTIONS with SUPPORTED */
    NODE_PROBE_NOT_YET = 1, /* the probe ran and the node does not answer yet */
    NODE_PROBE_CANT_RUN = 2 /* exit 126/127: no cass-entry in the image (*exit_code) */
} node_probe_result;

/* `cass-entry --probe` in the container. */
node_probe_result node_probe(eng_client *c, const char *container, int *exit_code, eng_error *e);

/* One node of node_drain_all: where it runs, and how its drain went. */
typedef struct {
    eng_client *engine;    /* in: the engine that runs the container */
    const char *container; /* in: id or name */
    int result;            /* out: 0 drained, 1 nodetool failed or timed out (why), -1 engine */
    char why[800];         /* out: for result != 0 (an eng_error message fits) */
    double seconds;        /* out: from its start to its end */
} node_drain;

/* `nodetool drain` in every node AT ONCE (exec started detached in each,
 * then polled), so a cluster goes down in the time of its slowest node, not
 * the sum.  Each node's result is in its entry; nothing here fails as a
 * whole.  timeout_ms bounds the wait (a drain still running then is
 * result 1). */
void node_drain_all(node_drain *nodes, size_t n, long timeout_ms);

/* Append the container's last log lines to err, after a line
 * "last log lines of LABEL:"; Java stack frames are left out (the
 * exception's own line says more).  When the log can't be read, says so. */
void node_append_logs(eng_client *c, const char *container, const char *label, prov_error *err);

#endif
