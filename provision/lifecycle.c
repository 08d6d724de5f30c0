/* provision/lifecycle: day-2 operations over the node backend (see lifecycle.h). */
#include "provision/lifecycle.h"

#include <stdio.h>

#include "provision/clock.h"
#include "provision/nodeexec.h"
#include "provision/replication.h"

#include <stdlib.h>
#include <string.h>

/* " on HOST" for messages (padded to the swarm's table column with pad), or
 * "" on one engine. */
static void on_host(const gate_node *nd, bool pad, char *buf, size_t len)
{
    if (nd->host && nd->host[0])
        snprintf(buf, len, pad ? " on %-10s" : " on %s", nd->host);
    else
        snprintf(buf, len, "%s", "");
}

/* Drain the node (memtables flushed, clients and peers told), then, with
 * stop, stop it (an upgrade leaves that to the backend's recreate). */
static int drain_and_stop(const node_backend *b, gate_node *nd, const gate_opts *o, bool stop,
                          int stop_timeout_s, const char *then, prov_error *err)
{
    char why[800], where[160];
    on_host(nd, false, where, sizeof where);
    eng_client *c;
    const char *container;
    if (!b->gate.exec_in(b->gate.impl, nd, &c, &container))
        return prov_fail(err, PROV_EXIT_FAIL, "%s%s: no container to drain; nothing was changed",
                         nd->name, where);
    double t = clock_now_s();
    fprintf(o->out, "  %-8s%s draining\n", nd->name, where);
    fflush(o->out);
    eng_error e;
    int rc = node_nodetool(c, container, "drain", NODE_DRAIN_TIMEOUT_MS, NULL, why, sizeof why, &e);
    if (rc < 0)
        return prov_fail_engine(err, &e, "nodetool drain in %s%s", nd->name, where);
    if (rc > 0)
        return prov_fail(err, PROV_EXIT_FAIL, "%s%s: nodetool drain failed: %s; it was left running",
                         nd->name, where, why);
    double drained = clock_now_s() - t;
    if (!stop) {
        fprintf(o->out, "  %-8s%s drained in %.1f s, %s\n", nd->name, where, drained, then);
        fflush(o->out);
        return 0;
    }
    t = clock_now_s();
    if ((rc = b->stop(b->gate.impl, nd, stop_timeout_s, err)) != 0)
        return rc;
    fprintf(o->out, "  %-8s%s drained in %.1f s, stopped in %.1f s, %s\n", nd->name, where,
            drained, clock_now_s() - t, then);
    fflush(o->out);
    return 0;
}

/* Start the stopped node and gate it (with the others: every one UN). */
static int start_and_gate(const node_backend *b, gate_node *const *nodes, size_t n,
                          gate_node *nd, const gate_opts *o, struct ring *last, prov_error *err)
{
    int rc = b->start(b->gate.impl, nd, err);
    if (rc != 0)
        return rc;
    nd->this_run = true;
    nd->waiting = true;
    nd->probed = false;
    return gate_wait(&b->gate, nodes, n, o, nd->name, false, last, err);
}

/* One node of a rolling restart: drain, stop, start, gate. */
static int restart_node(const node_backend *b, gate_node *const *nodes, size_t n,
                        gate_node *nd, const gate_opts *o, int stop_timeout_s, struct ring *last,
                        prov_error *err)
{
    int rc = drain_and_stop(b, nd, o, true, stop_timeout_s, "starting", err);
    return rc != 0 ? rc : start_and_gate(b, nodes, n, nd, o, last, err);
}

int lifecycle_restart(const node_backend *b, gate_node *const *nodes, size_t n, const gate_opts *o,
                      int stop_timeout_s, struct ring *last, prov_error *err)
{
    for (size_t i = 0; i < n; i++) {
        nodes[i]->started = nodes[i]->waiting = true;
        nodes[i]->probed = nodes[i]->this_run = false;
    }
    int rc = gate_wait(&b->gate, nodes, n, o, "the ring before the restart", false, last, err);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = restart_node(b, nodes, n, nodes[i], o, stop_timeout_s, last, err);
    return rc;
}

bool lifecycle_names_seed(const char *seeds, const char *name)
{
    size_t len = strlen(name);
    for (const char *s = seeds; *s;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (n == len && !memcmp(s, name, len))
            return true;
        if (!comma)
            break;
        s = comma + 1;
    }
    return false;
}

size_t lifecycle_removable(gate_node *const *nodes, size_t n, const char *name, const char *seeds,
                           const char *cluster, prov_error *err)
{
    size_t victim = n;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(nodes[i]->name, name))
            victim = i;
    if (victim == n)
        prov_fail(err, PROV_EXIT_FAIL, "remove: cluster '%s' has no node %s (%s..%s)", cluster,
                  name, n ? nodes[0]->name : "", n ? nodes[n - 1]->name : "");
    else if (lifecycle_names_seed(seeds, name))
        prov_fail(err, PROV_EXIT_FAIL, "remove: %s is a seed (seeds: %s): the other nodes find "
                  "the ring through it; nothing was removed", name, seeds);
    else if (victim != n - 1)
        prov_fail(err, PROV_EXIT_FAIL, "remove: %s is not the last node (%s): nodes are numbered "
                  "1..N, and N is removed first; nothing was removed", name, nodes[n - 1]->name);
    else
        return victim;
    return n;
}

/* The one ring row that is none of the running addresses: 0 down, 1 still
 * up, -1 with err when there is not exactly one. */
static int dead_row(const struct ring *r, const char *const *running, size_t n, const char *name,
                    char *addr, size_t addrlen, prov_error *err)
{
    size_t found = 0;
    bool up = false;
    for (size_t i = 0; i < r->count; i++) {
        bool alive = false;
        for (size_t k = 0; k < n && !alive; k++)
            alive = strcmp(r->nodes[i].address, running[k]) == 0;
        if (alive)
            continue;
        if (found++ == 0) {
            snprintf(addr, addrlen, "%s", r->nodes[i].address);
            up = r->nodes[i].status != 'D';
        }
    }
    if (found != 1)
        return prov_fail(err, PROV_EXIT_FAIL, "replace %s: the ring lists %zu nodes that are "
                         "none of the running ones, and exactly one must be the dead %s: replace "
                         "one node at a time; nothing was changed", name, found, name);
    return up ? 1 : 0;
}

int lifecycle_dead_address(eng_client *c, const char *container, const char *view,
                           const char *const *running, size_t n, const char *name, int wait_s,
                           double poll_s, char *addr, size_t addrlen, prov_error *err)
{
    struct ring ring = {0};
    char why[1024];
    int rc;
    for (double t0 = clock_now_s();;) {
        eng_error e;
        ring_free(&ring);
        rc = node_ring(c, container, view, &ring, why, sizeof why, &e);
        if (rc != 0) {
            rc = rc < 0 ? prov_fail_engine(err, &e, "nodetool status in %s", view)
                        : prov_fail(err, PROV_EXIT_FAIL, "%s: %s", view, why);
            break;
        }
        rc = dead_row(&ring, running, n, name, addr, addrlen, err);
        if (rc <= 0) {
            rc = rc < 0 ? err->exit_code : 0;
            break;
        }
        if (clock_now_s() - t0 > wait_s) {
            rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: %s, which no running node has, is "
                           "still up in %s's view after %d s: is %s really dead? nothing was "
                           "changed", name, addr, view, wait_s, name);
            break;
        }
        clock_sleep_s(poll_s > 0 ? poll_s : 3);
    }
    ring_free(&ring);
    return rc;
}

void lifecycle_replace_attempt_failed(FILE *out, const char *node, int attempt,
                                      const prov_error *err)
{
    const char *cause = strstr(err->message, "\n  | ERROR");
    fprintf(out, "  %-8s did not start as the replacement (attempt %d of %d): %.*s%s%.*s\n", node,
            attempt, LIFECYCLE_REPLACE_ATTEMPTS, (int)strcspn(err->message, "\n"), err->message,
            cause ? "; " : "", cause ? (int)strcspn(cause + 5, "\n") : 0, cause ? cause + 5 : "");
}

/* Would the keyspaces still have their replicas without nd?  Read in
 * another node (`other`), against the ring `ring`. */
static int check_replication(const node_backend *b, gate_node *nd, gate_node *other,
                             const struct ring *ring, const char *where, prov_error *err)
{
    const struct ring_node *row = ring_find(ring, nd->ip);
    if (!row)
        return prov_fail(err, PROV_EXIT_FAIL, "%s%s (%s) is not in the ring; nothing was removed",
                         nd->name, where, nd->ip);
    unsigned in_dc = 0;
    for (size_t i = 0; i < ring->count; i++)
        if (strcmp(ring->nodes[i].dc, row->dc) == 0)
            in_dc++;
    eng_client *c;
    const char *container;
    if (!b->gate.exec_in(b->gate.impl, other, &c, &container))
        return prov_fail(err, PROV_EXIT_FAIL, "%s: no container to read the keyspaces in; nothing "
                         "was removed", other->name);
    char *out = NULL, why[800];
    eng_error e;
    int rc = node_nodetool(c, container, "describecluster", NODE_NODETOOL_TIMEOUT_MS, &out, why,
                           sizeof why, &e);
    if (rc < 0)
        return prov_fail_engine(err, &e, "nodetool describecluster in %s", other->name);
    if (rc > 0)
        return prov_fail(err, PROV_EXIT_FAIL, "nodetool describecluster in %s failed: %s; "
                         "nothing was removed", other->name, why);
    char keyspace[128];
    unsigned rf;
    rc = replication_max(out, row->dc, keyspace, sizeof keyspace, &rf, why, sizeof why);
    free(out);
    if (rc < 0)
        return prov_fail(err, PROV_EXIT_FAIL, "%s; nothing was removed", why);
    if (rc > 0)
        return prov_fail(err, PROV_EXIT_FAIL, "nodetool describecluster in %s lists no keyspaces "
                         "(Cassandra before 4.0?): the replication factors can't be checked; "
                         "nothing was removed", other->name);
    if (rf > in_dc - 1)
        return prov_fail(err, PROV_EXIT_FAIL,
                         "%s%s: keyspace %s has replication factor %u in %s, and %u node(s) would "
                         "remain there: refused, nothing was removed (lower its replication first: "
                         "ALTER KEYSPACE %s WITH replication = ...)",
                         nd->name, where, keyspace, rf, row->dc, in_dc - 1, keyspace);
    return 0;
}

int lifecycle_remove(const node_backend *b, gate_node *const *nodes, size_t n, size_t victim,
                     const gate_opts *o, struct ring *last, prov_error *err)
{
    gate_node *nd = nodes[victim];
    char where[160] = "", why[800];
    on_host(nd, false, where, sizeof where);
    if (n < 2)
        return prov_fail(err, PROV_EXIT_FAIL, "%s%s is the only node: `down` removes a whole "
                         "cluster; nothing was removed", nd->name, where);
    for (size_t i = 0; i < n; i++) {
        nodes[i]->started = nodes[i]->waiting = true;
        nodes[i]->probed = nodes[i]->this_run = false;
    }
    int rc = gate_wait(&b->gate, nodes, n, o, "the ring before the removal", false, last, err);
    if (rc != 0)
        return rc;
    gate_node *other = nodes[victim == 0 ? 1 : 0];
    if ((rc = check_replication(b, nd, other, last, where, err)) != 0)
        return rc;
    char ip[sizeof nd->ip];
    snprintf(ip, sizeof ip, "%s", nd->ip);

    eng_client *c;
    const char *container;
    if (!b->gate.exec_in(b->gate.impl, nd, &c, &container))
        return prov_fail(err, PROV_EXIT_FAIL, "%s%s: no container to decommission; nothing was "
                         "removed", nd->name, where);
    double t = clock_now_s();
    fprintf(o->out, "  %-8s%s decommissioning (its ranges stream to the other nodes)\n", nd->name,
            where);
    fflush(o->out);
    eng_error e;
    /* streaming takes as long as the data: the node's whole --timeout */
    rc = node_nodetool(c, container, "decommission", (long)o->timeout_s * 1000, NULL, why,
                       sizeof why, &e);
    if (rc < 0)
        return prov_fail_engine(err, &e, "nodetool decommission in %s%s", nd->name, where);
    if (rc > 0)
        return prov_fail(err, PROV_EXIT_FAIL, "%s%s: nodetool decommission failed: %s; the node "
                         "was left running", nd->name, where, why);
    fprintf(o->out, "  %-8s%s decommissioned in %.1f s; removing it and its data volume\n",
            nd->name, where, clock_now_s() - t);
    fflush(o->out);
    if ((rc = b->remove(b->gate.impl, nd, err)) != 0)
        return rc;
    nd->started = nd->waiting = false;

    /* the others, without it: every one UN, and the node gone from the ring */
    gate_node **rest = malloc((n - 1) * sizeof *rest);
    if (!rest)
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    for (size_t i = 0, k = 0; i < n; i++)
        if (i != victim) {
            rest[k++] = nodes[i];
            nodes[i]->waiting = true;
            nodes[i]->probed = false;
        }
    rc = gate_wait(&b->gate, rest, n - 1, o, "the ring after the removal", false, last, err);
    free(rest);
    if (rc == 0 && ring_find(last, ip))
        rc = prov_fail(err, PROV_EXIT_FAIL, "%s (%s) was decommissioned and removed but the ring "
                       "still lists it", nd->name, ip);
    return rc;
}

/* Name the ring's rows after the nodes: by their current addresses first,
 * then a node not found so by its past ones, on rows no other node claimed
 * (addresses get reused). */
static void name_rows(struct ring *r, gate_node *const *nodes, const node_facts *facts, size_t n)
{
    if (n == 0)
        return;
    bool *named = calloc(n ? n : 1, sizeof *named);
    if (!named)
        return; /* the table without names */
    for (size_t i = 0; i < n; i++)
        if (nodes[i]->ip[0])
            named[i] = ring_name(r, nodes[i]->ip, nodes[i]->name);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; facts && !named[i] && k < facts[i].n_past_ips; k++) {
            const struct ring_node *row = ring_find(r, facts[i].past_ips[k]);
            if (row && !row->name[0])
                named[i] = ring_name(r, facts[i].past_ips[k], nodes[i]->name);
        }
    free(named);
}

void lifecycle_print_ring(FILE *out, struct ring *r, gate_node *const *nodes,
                          const node_facts *facts, size_t n)
{
    name_rows(r, nodes, facts, n);
    ring_sort(r);
    bool hosts = false;
    for (size_t i = 0; i < n; i++)
        hosts |= nodes[i]->host && nodes[i]->host[0];
    const char **column = hosts ? calloc(r->count ? r->count : 1, sizeof *column) : NULL;
    for (size_t i = 0; column && i < r->count; i++) {
        column[i] = "-";
        for (size_t k = 0; k < n; k++)
            if (r->nodes[i].name[0] && strcmp(r->nodes[i].name, nodes[k]->name) == 0)
                column[i] = nodes[k]->host;
    }
    ring_print_hosts(out, r, column); /* NULL (one host, or out of memory): no host column */
    free(column);
    fflush(out);
}

/* The TLS line of status: the nodes made by `up --tls`. */
static void print_tls(FILE *out, size_t n_tls, size_t n)
{
    if (n_tls == n)
        fprintf(out, "TLS: on (internode encryption all; clients: TLS required, with a client "
                     "certificate)\n");
    else if (n_tls == 0)
        fprintf(out, "TLS: off\n");
    else
        fprintf(out, "TLS: on in %zu of %zu nodes\n", n_tls, n);
}

int lifecycle_status(const node_backend *b, gate_node *const *nodes, const node_facts *facts,
                     size_t n, FILE *out, const char *cluster, prov_error *err)
{
    char where[160];
    gate_node *view = NULL;
    eng_client *c = NULL;
    const char *container = NULL;
    for (size_t i = 0; i < n; i++) {
        if (nodes[i]->started) {
            if (!view && b->gate.exec_in(b->gate.impl, nodes[i], &c, &container))
                view = nodes[i];
            continue;
        }
        on_host(nodes[i], true, where, sizeof where);
        fprintf(out, "%-8s%s %s\n", nodes[i]->name, where,
                facts[i].state ? facts[i].state : "not running");
    }
    if (!view) {
        fflush(out);
        return prov_fail(err, PROV_EXIT_FAIL, "no node of cluster '%s' is running where the "
                         "provisioner can reach its engine", cluster);
    }
    struct ring ring = {0};
    char why[1024];
    eng_error e;
    int rc = node_ring(c, container, view->name, &ring, why, sizeof why, &e);
    if (rc != 0) {
        fflush(out);
        return rc < 0 ? prov_fail_engine(err, &e, "nodetool status in %s", view->name)
                      : prov_fail(err, PROV_EXIT_FAIL, "%s: %s", view->name, why);
    }
    lifecycle_print_ring(out, &ring, nodes, facts, n);
    size_t n_tls = 0, up = 0;
    for (size_t i = 0; i < n; i++)
        n_tls += facts[i].tls;
    print_tls(out, n_tls, n);
    fflush(out);
    for (size_t i = 0; i < ring.count; i++)
        up += ring.nodes[i].status == 'U' && ring.nodes[i].state == 'N';
    rc = 0;
    if (up != ring.count || up < n)
        rc = prov_fail(err, PROV_EXIT_FAIL, "cluster '%s': %zu of %zu nodes UN", cluster, up,
                       n > ring.count ? n : ring.count);
    ring_free(&ring);
    return rc;
}

int lifecycle_drain_all(const node_backend *b, gate_node *const *nodes, size_t n, FILE *out,
                        prov_error *err)
{
    node_drain *drains = calloc(n ? n : 1, sizeof *drains);
    gate_node **drained = calloc(n ? n : 1, sizeof *drained);
    if (!drains || !drained) {
        free(drains);
        free(drained);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    char where[160];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        eng_client *c;
        const char *container;
        if (!nodes[i]->started)
            continue;
        if (!b->gate.exec_in(b->gate.impl, nodes[i], &c, &container)) {
            on_host(nodes[i], true, where, sizeof where);
            fprintf(out, "  %-8s%s warning: not drained (no engine to reach it)\n",
                    nodes[i]->name, where);
            continue;
        }
        drained[k] = nodes[i];
        drains[k++] = (node_drain){.engine = c, .container = container};
    }
    node_drain_all(drains, k, NODE_DRAIN_TIMEOUT_MS);
    for (size_t i = 0; i < k; i++) {
        on_host(drained[i], true, where, sizeof where);
        if (drains[i].result == 0)
            fprintf(out, "  %-8s%s drained in %.1f s\n", drained[i]->name, where,
                    drains[i].seconds);
        else
            fprintf(out, "  %-8s%s warning: not drained (%s); stopping it anyway\n",
                    drained[i]->name, where, drains[i].why);
    }
    fflush(out);
    free(drains);
    free(drained);
    return 0;
}

/* The node failed on the new image: back to the one it ran (was), started
 * and gated; what happened is appended to err, whose code stays. */
static void roll_back(const node_backend *b, gate_node *const *nodes, size_t n, gate_node *nd,
                      const gate_opts *o, const char *was, struct ring *last, prov_error *err)
{
    prov_error why = {0};
    fprintf(o->out, "  %-8s failed on the new image: rolling it back to %.40s\n", nd->name, was);
    fflush(o->out);
    int rc = b->recreate(b->gate.impl, nd, was, NULL, 0, &why);
    if (rc == 0)
        rc = start_and_gate(b, nodes, n, nd, o, last, &why);
    if (rc == 0)
        prov_fail_append(err, "\n%s was rolled back to its image (%.40s) and is ready again (its "
                         "failed container, quoted above, made way for it); the nodes after it "
                         "were left as they were", nd->name, was);
    else
        prov_fail_append(err, "\nrolling %s back to its image (%.40s) failed too: %s", nd->name,
                         was, why.message);
}

int lifecycle_upgrade(const node_backend *b, gate_node *const *nodes, size_t n,
                      const bool *current, const gate_opts *o, const char *image,
                      struct ring *last, prov_error *err)
{
    for (size_t i = 0; i < n; i++) {
        nodes[i]->started = nodes[i]->waiting = true;
        nodes[i]->probed = nodes[i]->this_run = false;
    }
    int rc = gate_wait(&b->gate, nodes, n, o, "the ring before the upgrade", false, last, err);
    size_t upgraded = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        gate_node *nd = nodes[i];
        if (current[i]) {
            fprintf(o->out, "  %-8s runs %s already\n", nd->name, image);
            continue;
        }
        char was[160] = "";
        if ((rc = drain_and_stop(b, nd, o, false, 0, "upgrading", err)) != 0)
            break;
        rc = b->recreate(b->gate.impl, nd, image, was, sizeof was, err);
        if (rc != 0 && !was[0]) {
            /* nothing was replaced: the node as it was */
            prov_error ignored = {0};
            if (start_and_gate(b, nodes, n, nd, o, last, &ignored) != 0)
                prov_fail_append(err, "\nstarting %s again failed too: %s", nd->name,
                                 ignored.message);
            break;
        }
        if (rc == 0)
            rc = start_and_gate(b, nodes, n, nd, o, last, err);
        if (rc != 0) {
            roll_back(b, nodes, n, nd, o, was, last, err);
            break;
        }
        fprintf(o->out, "  %-8s upgraded to %s%s\n", nd->name, image,
                upgraded++ == 0 ? " (the canary: the others follow)" : "");
        fflush(o->out);
    }
    return rc;
}
