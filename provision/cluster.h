/*
 * provision/cluster: a Cassandra cluster on one Docker engine, planned and
 * brought up, inspected and taken down.
 *
 * ---- What `up` makes (all labelled, so `status` and `down` find it) ----
 *   network   <prefix>-net (or --network): a user-defined bridge, so nodes
 *             reach each other by name;
 *   volume    <prefix>N-data per node, mounted at /var/lib/cassandra;
 *   container <prefix>N (host name and DNS alias the same), with the seeds,
 *             cluster name, num_tokens, DC/rack and the extra environment,
 *             a memory limit without swap, a stop timeout long enough for
 *             Cassandra to drain (120 s; Docker's 10 s is not) and the
 *             restart policy.
 * Labels: io.cass-entry.cluster=<prefix> on everything; on containers and
 * volumes io.cass-entry.node=N; on containers the seeds, the cluster name
 * and whether initial tokens were given.
 *
 * ---- The plan ----
 * The state found on the engine (which nodes exist, run, have a volume) and
 * the options become a plan, computed without touching the engine
 * (cluster_plan_make), so the rules can be read in one place and tested:
 *   - an existing running node is kept as it is, a stopped one is started
 *     again, and a missing node whose data volume was kept (by `down`) gets
 *     a new container on it;
 *   - missing nodes up to -n without a volume are created and bootstrap;
 *   - nodes beyond -n are left alone (shrinking is a decommission, not done);
 *   - re-running `up` on a complete, running cluster changes nothing;
 *   - seeds: --seeds, else those of the existing nodes, else <prefix>1;
 *   - a brand-new cluster (no node container and no data volume at all)
 *     starts all at once unless `--sequential` is given (`--fresh` asks for
 *     it explicitly and is refused where it cannot be had): every node is
 *     created and started at once, every node
 *     is a seed, and each gets its own evenly interleaved tokens
 *     (provision/tokens) as initial_token with auto_bootstrap false.  These
 *     two settings are given only to a node whose data volume this very run
 *     creates: that is its first start.  They stay in the container's
 *     environment, but Cassandra only uses them while the node has no saved
 *     tokens (after that it logs "Using saved tokens" and never bootstraps),
 *     and the container can't outlive its volume's data in normal use (the
 *     volume can't be removed while the container exists; after `down` a new
 *     container on the old volume gets no initial tokens).
 *     An existing cluster adds its new nodes the normal way (with `--fresh`,
 *     with a note saying so); so does a brand-new cluster whose -e sets
 *     CASSANDRA_NUM_TOKENS (the interleaved tokens need --num-tokens), with a
 *     note, and with `--fresh` that is an error;
 *     `--fresh` with data volumes but no containers is refused (that data
 *     has tokens of its own: start without --fresh).
 *
 * ---- The order ----
 *   1. Nodes with data (running, stopped, or new containers on kept volumes)
 *      start together: they have their tokens and do not bootstrap.  They
 *      are waited for with peers that are not started yet allowed to show as
 *      down (a cluster restarting from its volumes).
 *   2. New nodes, ONE AT A TIME, each only when the one before is ready
 *      (never two bootstraps at once), and only when no node of the ring is
 *      down (a joining node needs every owner of its ranges: refused at once
 *      with the reason rather than timing out).  Or, on a brand-new
 *      cluster, all together.
 *
 * ---- Ready ----
 * A node is ready when, through exec inside it (the provisioner's host may not
 * reach the node's network), `cass-entry --probe` exits 0 (CQL answers
 * OPTIONS with SUPPORTED) and `nodetool status` shows every started node UN
 * and none joining, leaving, moving (or down, in step 2) in the view of the
 * first seed (where a joining node learns the ring).  The probe is cheap and
 * polled every half second; nodetool starts a JVM (with MAX_HEAP_SIZE=128m and
 * HEAP_NEWSIZE=32m, so it does not take a share of the node's memory) and
 * runs at most every poll interval, only once the probe answers.  A
 * container that stops (or is restarted by its policy), or a node not ready
 * within the timeout, is an error carrying the node's last log lines (Java
 * stack frames left out).  That node, started by this run, is stopped so it
 * does not loop in its restart policy, and kept for inspection; nothing that
 * was running before is touched.  `down` removes it.
 *
 * ---- down ----
 * `nodetool drain` in every running node, then each container is stopped
 * (with its stop timeout) and removed, then the network; volumes only with
 * --volumes.  Only objects labelled with the prefix are touched.
 *
 * Output: progress lines and the final ring table go to opts->out; nothing
 * here prints errors, which come back as a prov_error.
 */
#ifndef CASS_PROVISION_CLUSTER_H
#define CASS_PROVISION_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "provision/docker.h"
#include "provision/error.h"
#include "provision/plan.h"

/* Where a node's data lives in the image (the official image's layout). */
#define CLUSTER_DATA_DIR "/var/lib/cassandra"

/* The node number in a container's or service's CLUSTER_LABEL_NODE label
 * (1 to CLUSTER_MAX_NODES), or 0 when it has none or a bad one. */
unsigned cluster_label_index(char *const *labels);

/* ---- the commands ---- */

/* `up`: see the top of this file.  Ends with the ring table on o->out. */
int cluster_up(eng_client *c, const cluster_opts *o, prov_error *err);

/* `status`: the ring table of the cluster named by o->prefix, seen from its
 * first running node, plus a line per container that is not running. */
int cluster_status(eng_client *c, const cluster_opts *o, prov_error *err);

/* `down`: see the top of this file. */
int cluster_down(eng_client *c, const cluster_opts *o, prov_error *err);

/* `restart`: a rolling restart of every node of the cluster, in index order,
 * one at a time: only when the whole ring is UN (the readiness gate), each
 * node drained (`nodetool drain`: memtables flushed, clients and peers told),
 * stopped, started and gated again (CQL answers, every node UN in its view
 * and the seed's) before the next.  Refused while a node is not running
 * (`up` starts it).  Stops at the first node that fails, naming it and
 * quoting its log; the nodes after it are left as they were. */
int cluster_restart(eng_client *c, const cluster_opts *o, prov_error *err);

/* `remove NODE`: a scale-down by one node (provision/lifecycle.h,
 * lifecycle_remove): NODE must be the highest-numbered node and no seed; the
 * others must run.  0 or err's code. */
int cluster_remove(eng_client *c, const cluster_opts *o, const char *node, prov_error *err);

/* `replace NODE`: a dead node (its container stopped or gone, not a seed;
 * every other node running) replaced on a new volume: the ring's one dead
 * row that is no running node's gives its old address; its container and
 * volume are removed and the plan of `up` (with up's options) makes it again
 * with replace_address_first_boot of that address; then every node UN and
 * no dead row left.  0 or err's code. */
int cluster_replace(eng_client *c, const cluster_opts *o, const char *node, prov_error *err);

/* upgrade: a rolling upgrade of every node to o->image (lifecycle.h,
 * lifecycle_upgrade); nodes on it already are skipped.  Every node 1..N must
 * run. */
int cluster_upgrade(eng_client *c, const cluster_opts *o, prov_error *err);

#endif
