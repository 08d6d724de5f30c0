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
 *   lifecycle_upgrade   a rolling upgrade to another image: the whole ring gated
 *                       first, then each node not on it yet in turn (the first
 *                       one is the canary) drained, stopped, made again from
 *                       the image with the rest of its spec and its data, started
 *                       and gated.  A node that fails on the new image is rolled
 *                       back to the image it ran (and gated), and the upgrade
 *                       stops there: the nodes after it are left as they were.
 *   lifecycle_status    the ring table of a cluster as it is: the nodes that do
 *                       not run, each with what its backend knows; the ring
 *                       read in the first running node (`nodetool status`),
 *                       its rows named after the nodes; the TLS line; an error
 *                       unless every node is UN.
 *   lifecycle_drain_all the first step of `down`: every running node drained at
 *                       once (memtables flushed, nothing left to replay at the
 *                       next start).  Removing the containers or services, the
 *                       network and the volumes after it is the backend's own:
 *                       one engine removes them at once; a swarm removes the
 *                       services through its manager and waits for their
 *                       containers to leave each host before the network and
 *                       the volumes there can go (hosts it can't reach become
 *                       warnings, not errors).
 */
#ifndef PROVISION_LIFECYCLE_H
#define PROVISION_LIFECYCLE_H

#include "provision/error.h"
#include "provision/gate.h"
#include "provision/ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
    /* Replace the (drained) node's container with one from `image`, the
     * rest of its spec as it was and its data kept: one engine stops it
     * (its stop timeout) and makes it again, not started; a swarm updates
     * its service's image (swarm replaces the task; start waits for it).
     * `was` (may be NULL) gets the image it ran, "" when nothing changed. */
    int (*recreate)(void *impl, gate_node *node, const char *image, char *was, size_t was_len,
                    prov_error *err);
} node_backend;

/* Every node must be started; current[i]: node i runs the image already
 * (skipped).  See above. */
int lifecycle_upgrade(const node_backend *b, gate_node *const *nodes, size_t n,
                      const bool *current, const gate_opts *o, const char *image,
                      struct ring *last, prov_error *err);

/* What `status` and `down` know of a node besides its gate_node (where
 * started = it runs, ip = its address now). */
typedef struct {
    const char *state;          /* a node that does not run: what its backend knows */
    const char (*past_ips)[64]; /* addresses it had before, newest first: a node that
                                   is down shows in the ring with its last one */
    size_t n_past_ips;
    bool tls;                   /* made by `up --tls` */
} node_facts;

/* See above.  facts is parallel to nodes; `cluster` names the cluster. */
int lifecycle_status(const node_backend *b, gate_node *const *nodes, const node_facts *facts,
                     size_t n, FILE *out, const char *cluster, prov_error *err);

/* The ring table on out: its rows named after the nodes (by their address
 * now, then by their past ones: facts may be NULL), sorted, with a host
 * column when the nodes have hosts. */
void lifecycle_print_ring(FILE *out, struct ring *r, gate_node *const *nodes,
                          const node_facts *facts, size_t n);

/* Drain every started node (see above), a line each on out; a node that is
 * not drained is a warning (down goes on).  0, or err's code (out of memory). */
int lifecycle_drain_all(const node_backend *b, gate_node *const *nodes, size_t n, FILE *out,
                        prov_error *err);

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

/* `replace`'s first step, on both backends: the address the dead node `name`
 * had, as the ring remembers it.  The ring is read (`nodetool status`) in
 * `container` on engine c (a running node, `view` in messages); the one row
 * that is none of the running nodes' addresses (running[0..n)) is the dead
 * node's, and it must show down: a node just stopped stays UN until the
 * failure detector notices, so the ring is read again every poll_s for up to
 * wait_s.  Not exactly one such row, or one still up after wait_s: an error
 * that says nothing was changed.  0 or err's code. */
int lifecycle_dead_address(eng_client *c, const char *container, const char *view,
                           const char *const *running, size_t n, const char *name, int wait_s,
                           double poll_s, char *addr, size_t addrlen, prov_error *err);

/* How many starts `replace` gives a replacement, each on a fresh volume:
 * Cassandra may refuse one at start (exit 3) while its peers still gossip
 * about the dead node, or when, on the same address, its gossip has seen no
 * seed after ring_delay ("Unable to contact any seeds"). */
#define LIFECYCLE_REPLACE_ATTEMPTS 3

/* The line on out for a replacement that did not start (attempt of
 * LIFECYCLE_REPLACE_ATTEMPTS): err's first line, and the ERROR line the node
 * logged when err quotes one. */
void lifecycle_replace_attempt_failed(FILE *out, const char *node, int attempt,
                                      const prov_error *err);

/* Every node of `nodes` must be started; nodes[victim] goes (see above).
 * The caller refuses seeds.  *last gets the ring of the nodes that remain. */
int lifecycle_remove(const node_backend *b, gate_node *const *nodes, size_t n, size_t victim,
                     const gate_opts *o, struct ring *last, prov_error *err);

#endif
