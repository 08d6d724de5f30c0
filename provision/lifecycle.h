/*
 * provision/lifecycle: the day-2 operations of `cass-provision`, written once
 * over the node backend that both halves implement (one engine: cluster.c;
 * swarm mode: swarm.c).
 *
 * The node backend is the readiness gate's (provision/gate.h: does a node run,
 * where to exec in it, what to do with one that failed) plus stopping and
 * starting a node.  Each command finds its cluster its own way (containers or
 * services with the cluster's labels) and hands the nodes to these functions.
 *
 *   lifecycle_restart   a rolling restart: the whole ring gated first, then
 *                       each node in turn drained (`nodetool drain`: memtables
 *                       flushed, clients and peers told), stopped, started and
 *                       gated again (CQL answers; every node UN in its view and
 *                       the seed's) before the next one.  Stops at the first
 *                       node that fails; the nodes after it are left as they were.
 *   lifecycle_remove    a scale-down by one node: the whole ring gated first;
 *                       refused, with nothing changed, when a keyspace's
 *                       replication factor in the node's data centre would
 *                       exceed the nodes that remain there (`nodetool
 *                       describecluster`, read in another node); then
 *                       `nodetool decommission` (its ranges streamed to the
 *                       others), the node removed with its data volume, and
 *                       the remaining ring gated again, without the node.
 */
#ifndef PROVISION_LIFECYCLE_H
#define PROVISION_LIFECYCLE_H

#include "provision/error.h"
#include "provision/gate.h"
#include "provision/ring.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    gate_backend gate;
    /* Stop the node's Cassandra (its container), waiting up to timeout_s
     * before it is killed. */
    int (*stop)(void *impl, gate_node *node, int timeout_s, prov_error *err);
    /* Run it again on its data: start the container, or wait until swarm has
     * replaced the stopped task with a new one.  Fills node->t_start. */
    int (*start)(void *impl, gate_node *node, prov_error *err);
    /* Remove a decommissioned node for good: its container (or service) and
     * its data volume. */
    int (*remove)(void *impl, gate_node *node, prov_error *err);
} node_backend;

/* Every node of `nodes` must be started (it runs); see above.  *last gets the
 * ring that passed the gate last (the caller's to free).  0 or err's code. */
int lifecycle_restart(const node_backend *b, gate_node *const *nodes, size_t n, const gate_opts *o,
                      int stop_timeout_s, struct ring *last, prov_error *err);

/* Whether the comma-separated list `seeds` names `name`. */
bool lifecycle_names_seed(const char *seeds, const char *name);

/* The index of node `name` in nodes[0..n) when `remove` may take it: it is
 * there, the highest-numbered (the last; nodes are numbered 1..N) and no
 * seed.  Otherwise n, with err saying why (`cluster` names the cluster). */
size_t lifecycle_removable(gate_node *const *nodes, size_t n, const char *name, const char *seeds,
                           const char *cluster, prov_error *err);

/* Every node of `nodes` must be started; nodes[victim] goes (see above).
 * The caller refuses seeds.  *last gets the ring of the nodes that remain. */
int lifecycle_remove(const node_backend *b, gate_node *const *nodes, size_t n, size_t victim,
                     const gate_opts *o, struct ring *last, prov_error *err);

#endif
