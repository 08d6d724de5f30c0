/* provision/lifecycle: day-2 operations over the node backend (see lifecycle.h). */
#include "provision/lifecycle.h"

#include <stdio.h>

#include "provision/clock.h"
#include "provision/nodeexec.h"

/* One node of a rolling restart: drain, stop, start, gate. */
static int restart_node(const node_backend *b, gate_node *const *nodes, size_t n,
                        gate_node *nd, const gate_opts *o, int stop_timeout_s, struct ring *last,
                        prov_error *err)
{
    char why[800], where[160] = "";
    if (nd->host && nd->host[0])
        snprintf(where, sizeof where, " on %s", nd->host);
    eng_client *c;
    const char *container;
    if (!b->gate.exec_in(b->gate.impl, nd, &c, &container))
        return prov_fail(err, PROV_EXIT_FAIL, "%s%s: no container to drain; nothing was restarted",
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
    t = clock_now_s();
    if ((rc = b->stop(b->gate.impl, nd, stop_timeout_s, err)) != 0)
        return rc;
    fprintf(o->out, "  %-8s%s drained in %.1f s, stopped in %.1f s, starting\n", nd->name, where,
            drained, clock_now_s() - t);
    fflush(o->out);
    if ((rc = b->start(b->gate.impl, nd, err)) != 0)
        return rc;
    nd->this_run = true;
    nd->waiting = true;
    nd->probed = false;
    return gate_wait(&b->gate, nodes, n, o, nd->name, false, last, err);
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
