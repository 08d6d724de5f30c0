/*
 * provision/gate: the readiness gate of `cass-provision up`, written once for
 * every node backend (one engine: cluster.c; swarm mode: swarm.c).
 *
 * A set of nodes is "ready" when
 *   1. every node being waited for runs (the backend's check) and answers CQL
 *      (`cass-entry --probe` executed in its container), and
 *   2. the ring, read with `nodetool status` in the first seed's container and
 *      in each waiting node's own, has every started node UN (ring_ready; with
 *      others_may_be_down, only the waiting ones must be UP).
 * The seed's view tells the next joining node the ring it will learn; a new
 * node's own view tells that it has learnt it.  Nodetool starts a JVM, so the
 * ring is read only once every waiting node answers CQL, at most every poll_s.
 *
 * What differs between backends is behind gate_backend: whether a node runs
 * (a container's state; a swarm task's), where to exec in it (an engine and a
 * container id), and what to do with a node that failed (its log quoted into
 * the error; a container stopped and kept; a service removed).
 *
 * Progress on `out`: with one node waited for, one line when it is ready; with
 * several, a line per node when CQL answers and one when the ring is whole.
 */
#ifndef PROVISION_GATE_H
#define PROVISION_GATE_H

#include "provision/engine.h"
#include "provision/error.h"
#include "provision/ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A node as the gate sees it.  Backends embed it as the first member of
 * their own node type and get theirs back with a cast in the callbacks. */
typedef struct {
    const char *name;  /* cass1: in messages, and matched against the seeds */
    const char *host;  /* where it runs, for messages; "" on one engine */
    bool started;      /* part of the ring we expect */
    bool waiting;      /* in the set being waited for */
    bool probed;       /* CQL answered */
    bool this_run;     /* started (or created) by this run */
    char ip[64];       /* its address on the cluster's network (check fills it) */
    double t_start;    /* when this run started it */
    int cant_run;      /* probes in a row that could not run in its running container */
} gate_node;

typedef struct {
    void *impl;
    /* Does the node run?  0 yes (node->ip filled), 1 not yet (`why` says
     * what it waits for), -1 it failed: err filled with the node's log, and
     * the node dealt with as the backend does with failed nodes. */
    int (*check)(void *impl, gate_node *node, char *why, size_t whylen, prov_error *err);
    /* Where to exec in the node: false while it has no container. */
    bool (*exec_in)(void *impl, const gate_node *node, eng_client **engine, const char **container);
    /* The node was not ready in time: its log into err, then what the
     * backend does with a failed node. */
    void (*give_up)(void *impl, gate_node *node, prov_error *err);
    const char *image; /* named when `cass-entry --probe` can't run */
} gate_backend;

typedef struct {
    FILE *out;
    double t0;          /* the command's start, for the "total" column */
    double poll_s;      /* at most one ring read per node this often */
    double interval_s;  /* between probe rounds */
    int timeout_s;      /* --timeout: for the whole wait */
    const char *seeds;  /* "cass1,cass2": whose view the next node gets */
} gate_opts;

/* `cass-entry --probe` could not run in the node (exit status 126 or 127)
 * while its container runs: true when that happened GATE_CANT_RUN_LIMIT
 * times in a row (the image has no cass-entry: the gate reports it); before
 * that it is taken for an exec that landed while the container stopped or
 * started (a restart), and the gate waits.  Any other outcome of a probe
 * resets the count. */
enum { GATE_CANT_RUN_LIMIT = 3 };
bool gate_cant_run_is_final(gate_node *node);

/* Wait until the nodes marked `waiting` are ready (above); `what` names the
 * step in progress and error lines ("ring", "nodes with data", "cass3").  On
 * success the waiting marks are cleared and *last holds the ring that passed
 * (the caller's to free; the one before is freed).  Returns 0, or err's exit
 * code: a node failed (its log quoted), or the time ran out (the node that
 * held the gate named, with what it waited for and its log). */
int gate_wait(const gate_backend *b, gate_node *const *nodes, size_t n, const gate_opts *o,
              const char *what, bool others_may_be_down, struct ring *last, prov_error *err);

/* The addresses of the started nodes that have one, into addr (room for n):
 * the rows ring_ready expects.  Returns how many. */
size_t gate_started_addresses(gate_node *const *nodes, size_t n, const char **addr);

#endif
