/*
 * provision/swarm: the Cassandra cluster on a Docker swarm (several hosts),
 * the multi-host counterpart of provision/cluster.
 *
 * When DOCKER_HOST points at a swarm manager, `up`, `status` and `down` come
 * here.  The plan is provision/cluster's (cluster_plan_make: which nodes to
 * keep, which to create one at a time or all at once with --fresh, seeds,
 * environment, labels); what differs is how a node is made and reached.
 *
 * ---- What `up` makes ----
 *   network   <prefix>-net: an attachable overlay, so nodes on different
 *             hosts reach each other by name (and a client container can
 *             join it);
 *   service   <prefix>N per node: one replica, endpoint mode dnsrr (the name
 *             resolves to the task's own address, not a virtual IP: Cassandra
 *             gossips real addresses), the image pinned by digest (every host
 *             runs the same bytes even if the tag moves), host name and alias
 *             <prefix>N, the memory limit, a stop grace period long enough to
 *             drain (120 s), no healthcheck (see below), and a placement
 *             constraint node.id==<the chosen swarm node>;
 *   volume    <prefix>N-data on that swarm node's engine (labelled), mounted
 *             at /var/lib/cassandra.
 *
 * ---- Placement: a node's data lives on its host ----
 * Each new node's swarm node is chosen BEFORE its service is created, and the
 * service is pinned to it.  A node whose data volume already exists on some
 * host (kept by `down`) goes back to that host.  Otherwise: the nodes the
 * user names (--place, in turn), or spread: the usable swarm node with the
 * fewest nodes of this cluster.  A swarm node is usable when it is ready,
 * active (not drained or paused) and the provisioner has a client for its
 * engine (the manager's own, or one given with --engine): readiness is
 * checked through exec inside the node's container, on the engine where the
 * task runs.  A running service's placement is never changed: that would
 * replace its task and leave its data behind.  When a host is lost, its
 * node's task can't be scheduled anywhere else (the constraint names that
 * host): it waits, pending, until the host is back, then starts on its data.
 * The restart policy restarts a crashed node on the same host.
 *
 * Why no healthcheck on the services: swarm kills a task whose healthcheck
 * fails, and a node that bootstraps or replays a long commit log may keep its
 * CQL port closed for longer than any fixed start period; the readiness gate
 * below does the checking instead.
 *
 * ---- Ready ----
 * As on one engine: `cass-entry --probe` exits 0 inside the node's container
 * and `nodetool status` (small heap) shows every started node UN and none
 * joining, leaving or moving, in the new node's view and in the first seed's.
 * Before that the task must run: a task rejected (an image the host can't
 * pull, a volume it can't mount) or failing, or one that no swarm node
 * accepts within the scheduling timeout, is an error naming the service and
 * the swarm node.  A service created by this run that fails is removed (swarm
 * would retry it forever), its volume kept, its last log lines in the error;
 * nothing that was running before is touched.
 *
 * ---- status / down ----
 * status: the ring as the first running node sees it, with the host of each
 * node, plus a line per node whose task does not run (and why: pending, its
 * host down...).  down: `nodetool drain` in each running node, remove the
 * services, wait until their containers are gone from every reachable
 * engine, remove the network; the volumes only with --volumes (on every
 * reachable engine).
 *
 * Output: progress lines and tables go to the cluster options' `out`;
 * nothing here prints errors: they come back as a prov_error.
 */
#ifndef CASS_PROVISION_SWARM_H
#define CASS_PROVISION_SWARM_H

#include <stdbool.h>
#include <stddef.h>

#include "provision/cluster.h"
#include "provision/docker.h"
#include "provision/engine.h"

/* The label on services and containers naming the swarm node's host name,
 * for people reading `docker service inspect` (placement itself is the
 * node.id constraint). */
#define SWARM_LABEL_HOST "io.cass-entry.swarm-node"

typedef struct {
    const cluster_opts *cluster;   /* prefix, nodes, image, memory... as on one engine */
    const char *const *engines;    /* DOCKER_HOST values of the swarm nodes' engines, for
                                      exec (the manager's own engine is always known);
                                      NULL-terminated, may be NULL */
    const eng_env *env;            /* TLS and API settings for those engines; NULL = none */
    const char *const *place;      /* swarm nodes (host name or id) for new nodes, taken in
                                      turn by node number; NULL/empty = spread */
    int schedule_timeout_s;        /* how long a task may wait for a swarm node to accept it */
} swarm_opts;

/* Defaults: no extra engines, spread, 120 s to schedule. */
void swarm_opts_init(swarm_opts *o, const cluster_opts *cluster);

/* Is the engine behind `c` a swarm manager?  *manager false for an engine
 * outside any swarm.  A worker (in a swarm, not a manager) is an error: the
 * swarm can only be driven through a manager. */
int swarm_detect(eng_client *c, bool *manager, prov_error *err);

/* The commands (see the top of this file).  `mgr` is a client to a manager. */
int swarm_up(eng_client *mgr, const swarm_opts *o, prov_error *err);
int swarm_status(eng_client *mgr, const swarm_opts *o, prov_error *err);
int swarm_down(eng_client *mgr, const swarm_opts *o, prov_error *err);
/* `restart` on a swarm: the rolling restart of provision/lifecycle.h; a node
 * is stopped through the engine of its host and swarm runs its service again
 * (a new task, same host and volume).  Every node must run where the
 * provisioner reaches the engine. */
int swarm_restart(eng_client *mgr, const swarm_opts *o, prov_error *err);

/* upgrade on a swarm: lifecycle_upgrade over the services, each one's image
 * updated in turn (by digest, through the manager: pin_image) and its new
 * task gated; a node that fails on it is rolled back to its old image. */
int swarm_upgrade(eng_client *mgr, const swarm_opts *so, prov_error *err);

/* `remove NODE` on a swarm (provision/lifecycle.h, lifecycle_remove): the
 * service of the highest-numbered node, not a seed, decommissioned, then
 * removed with its data volume on its host. */
int swarm_remove(eng_client *mgr, const swarm_opts *o, const char *node, prov_error *err);

/* `replace NODE` on a swarm: a dead node (its task not running, or its swarm
 * node down; not a seed; every other node running where the provisioner
 * reaches it) replaced on a new volume: its old address from the ring
 * (lifecycle_dead_address), its service removed (and its old volume, when
 * its host answers; else a line says it stays there), a new service placed
 * as `up` would place a new node (spread, or --place) with
 * replace_address_first_boot of that address, then every node UN and no
 * dead row left; up to 3 starts, each on a fresh volume. */
int swarm_replace(eng_client *mgr, const swarm_opts *so, const char *node, prov_error *err);

/* ---- pure parts (no engine), exposed for tests ---- */

/* A swarm node as placement sees it. */
typedef struct {
    const char *id;
    const char *hostname;
    const char *unusable;   /* NULL when it can take a node, else why not ("down") */
    unsigned load;          /* nodes of this cluster placed on it so far */
} swarm_slot;

/*
 * Choose the swarm node for Cassandra node `index` (1-based) among slots:
 *   - data_on >= 0: the slot holding the node's data volume: that one, and
 *     it must be usable (data never moves);
 *   - else place (NULL-terminated, non-empty): entry (index - 1) % count,
 *     matched against the id, a unique id prefix of 4+ characters, or the
 *     host name (which must be unique);
 *   - else spread: the usable slot with the lowest load; ties go to the
 *     lowest host name, then the lowest id (so the choice is stable).
 * On success the slot's load is incremented and its index returned; -1
 * with the reason in `why` (the names of the slots and why each is not
 * usable, when that is the reason).
 */
int swarm_choose(swarm_slot *slots, size_t n, const char *const *place, unsigned index,
                 int data_on, char *why, size_t whylen);

/* The node id in a "node.id==ID" constraint (spaces around == allowed) of
 * the list; false when there is none. */
bool swarm_constraint_node(char *const *constraints, char *id, size_t len);

/* The task that stands for a service now, from a list sorted newest first
 * (as docker_task_list gives it): the newest whose desired state is
 * "running" (swarm's intent), else the newest whose desired state is "ready"
 * (a replacement waiting out its restart delay), else the newest.  NULL when
 * n == 0. */
const docker_task *swarm_current_task(const docker_task *tasks, size_t n);

typedef enum {
    SWARM_TASK_WAIT,        /* on its way: new, pending, assigned, preparing (pull), starting */
    SWARM_TASK_RUNNING,
    SWARM_TASK_REJECTED,    /* the node refused it: image, mounts (Status.Err says) */
    SWARM_TASK_ENDED,       /* failed, shutdown, complete, orphaned: the container stopped */
    SWARM_TASK_UNSCHEDULED  /* pending with an error: no swarm node satisfies it */
} swarm_task_state;

/* What a task's Status.State (and Status.Err) mean for the readiness gate. */
swarm_task_state swarm_task_judge(const docker_task *t);

/* The swarm restart condition for a provisioner --restart policy: "no" ->
 * "none", "on-failure" -> "on-failure", anything else ("unless-stopped",
 * "always") -> "any".  The placement constraint keeps every restart on the
 * same host. */
const char *swarm_restart_condition(const char *policy);

#endif
