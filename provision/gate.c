/* provision/gate: the readiness gate (see gate.h). */
#include "provision/gate.h"

#include <stdlib.h>
#include <string.h>

#include "provision/clock.h"
#include "provision/docker.h"
#include "provision/nodeexec.h"

size_t gate_started_addresses(gate_node *const *nodes, size_t n, const char **addr)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (nodes[i]->started && nodes[i]->ip[0])
            addr[k++] = nodes[i]->ip;
    return k;
}

/* " on HOST" when the node's host is known, for messages. */
static const char *on(const gate_node *nd, char *buf, size_t len)
{
    if (!nd->host || !nd->host[0]) return "";
    snprintf(buf, len, " on %s", nd->host);
    return buf;
}

/* Engine errors that mean "between states" (slow, a container that is
 * starting, restarting or gone): the backend's check decides what they are. */
static bool transient(const eng_error *e)
{
    return e->code == ENG_ERR_TIMEOUT || docker_conflict(e) || docker_not_found(e);
}

bool gate_cant_run_is_final(gate_node *node)
{
    return ++node->cant_run >= GATE_CANT_RUN_LIMIT;
}

/* CQL inside the node: 0 answers, 1 not yet, -1 error (err filled).  Not an
 * exit code: PROV_EXIT_FAIL is 1 too, and would read as "not yet". */
static int probe(const gate_backend *b, gate_node *nd, prov_error *err)
{
    eng_client *c;
    const char *container;
    if (!b->exec_in(b->impl, nd, &c, &container))
        return 1;
    eng_error e;
    int code = 0;
    char where[160];
    node_probe_result result = node_probe(c, container, &code, &e);
    if (result != NODE_PROBE_CANT_RUN)
        nd->cant_run = 0;
    switch (result) {
    case NODE_PROBE_ANSWERS:
        return 0;
    case NODE_PROBE_NOT_YET:
        return 1;
    case NODE_PROBE_CANT_RUN: {
        /* An exec that lands while the container exits or restarts gets
         * 126 too: a node that stopped is the check's to report, with its
         * log; one that runs gets a few more probes. */
        char why[256];
        int rc = b->check(b->impl, nd, why, sizeof why, err);
        if (rc != 0)
            return rc < 0 ? -1 : 1;
        if (!gate_cant_run_is_final(nd))
            return 1;
        prov_fail(err, PROV_EXIT_FAIL,
                  "%s%s: `cass-entry --probe` can't run in the container (exit status %d, %d times "
                  "in a row): is %s a cass-entry image?",
                  nd->name, on(nd, where, sizeof where), code, nd->cant_run, b->image);
        return -1;
    }
    case NODE_PROBE_ERROR:
        break;
    }
    if (transient(&e))
        return 1;
    prov_fail_engine(err, &e, "probing %s%s", nd->name, on(nd, where, sizeof where));
    return -1;
}

/* The first seed that is a started node we can exec in ("cass1" in
 * "cass1,cass2"), else the first such node: whose view the next one gets. */
static gate_node *seed_node(const gate_backend *b, gate_node *const *nodes, size_t n,
                            const char *seeds)
{
    eng_client *c;
    const char *container;
    for (const char *s = seeds ? seeds : ""; *s;) {
        size_t len = strcspn(s, ",");
        for (size_t i = 0; i < n; i++)
            if (nodes[i]->started && strlen(nodes[i]->name) == len &&
                strncmp(nodes[i]->name, s, len) == 0 && b->exec_in(b->impl, nodes[i], &c, &container))
                return nodes[i];
        s += len;
        while (*s == ',' || *s == ' ')
            s++;
    }
    for (size_t i = 0; i < n; i++)
        if (nodes[i]->started && b->exec_in(b->impl, nodes[i], &c, &container))
            return nodes[i];
    return NULL;
}

/* The ring in `view`'s eyes: 0 every started node as ring_ready wants it
 * (the ring kept in *last), 1 not yet (why), -1 error (err filled). */
static int ring_in_view(const gate_backend *b, gate_node *view, const char *const *addr,
                        size_t n_addr, bool others_may_be_down, struct ring *last, char *why,
                        size_t whylen, prov_error *err)
{
    eng_client *c;
    const char *container;
    if (!b->exec_in(b->impl, view, &c, &container)) {
        snprintf(why, whylen, "%s has no container to ask", view->name);
        return 1;
    }
    struct ring ring = {0};
    eng_error e;
    char where[160];
    int rc = node_ring(c, container, view->name, &ring, why, whylen, &e);
    if (rc < 0) {
        if (transient(&e)) {
            snprintf(why, whylen, "nodetool status in %s: %s", view->name, e.message);
            return 1;
        }
        prov_fail_engine(err, &e, "nodetool status in %s%s", view->name,
                         on(view, where, sizeof where));
        return -1;
    }
    if (rc > 0)
        return 1;
    char w[900];
    if (!ring_ready(&ring, addr, n_addr, others_may_be_down, w, sizeof w)) {
        snprintf(why, whylen, "in %s's view: %s", view->name, w);
        ring_free(&ring);
        return 1;
    }
    ring_free(last);
    *last = ring;
    return 0;
}

static int wait_loop(const gate_backend *b, gate_node *const *nodes, size_t n, const gate_opts *o,
                     const char *what, bool others_may_be_down, struct ring *last,
                     const char **addr, prov_error *err)
{
    double t_begin = clock_now_s(), next_ring = 0;
    char why[2048] = "no answer yet", where[160];
    size_t n_wait = 0, n_new = 0;
    for (size_t i = 0; i < n; i++) {
        n_wait += nodes[i]->waiting;
        n_new += nodes[i]->waiting && nodes[i]->this_run;
    }
    for (;;) {
        bool all_probed = true;
        for (size_t i = 0; i < n; i++) {
            gate_node *nd = nodes[i];
            if (!nd->waiting || nd->probed)
                continue;
            int rc = b->check(b->impl, nd, why, sizeof why, err);
            if (rc < 0)
                return err->exit_code;
            if (rc > 0) {
                all_probed = false;
                continue;
            }
            rc = probe(b, nd, err);
            if (rc < 0)
                return err->exit_code;
            if (rc == 0) {
                nd->probed = true;
                if (n_wait > 1 && nd->this_run)
                    fprintf(o->out, "  %-8s%s CQL answers after %.1f s\n", nd->name,
                            on(nd, where, sizeof where), clock_now_s() - nd->t_start);
            } else {
                all_probed = false;
                snprintf(why, sizeof why, "%s does not answer CQL yet", nd->name);
            }
        }
        fflush(o->out);
        if (all_probed && clock_now_s() >= next_ring) {
            next_ring = clock_now_s() + o->poll_s;
            bool ready = true;
            /* a node that answered may have stopped (or been restarted) since */
            for (size_t i = 0; i < n && ready; i++)
                if (nodes[i]->waiting) {
                    int rc = b->check(b->impl, nodes[i], why, sizeof why, err);
                    if (rc < 0)
                        return err->exit_code;
                    ready = rc == 0;
                }
            size_t n_addr = gate_started_addresses(nodes, n, addr);
            /* the seed's view first (the next node learns the ring there),
             * then each waiting node's own: one nodetool JVM per view */
            gate_node *seed = seed_node(b, nodes, n, o->seeds);
            if (ready && !seed) {
                snprintf(why, sizeof why, "no started node to ask for the ring");
                ready = false;
            }
            for (size_t i = 0; i <= n && ready; i++) {
                gate_node *view = i == 0 ? seed : nodes[i - 1];
                if (i > 0 && (!view->waiting || view == seed))
                    continue;
                int rc = ring_in_view(b, view, addr, n_addr, others_may_be_down, last, why,
                                      sizeof why, err);
                if (rc < 0)
                    return err->exit_code;
                ready = rc == 0;
            }
            if (ready) {
                for (size_t i = 0; i < n; i++) {
                    gate_node *nd = nodes[i];
                    if (!nd->waiting)
                        continue;
                    nd->waiting = false;
                    if (n_wait == 1 && nd->this_run)
                        fprintf(o->out,
                                "  %-8s%s ready after %5.1f s (UN, CQL answers)   total %6.1f s\n",
                                nd->name, on(nd, where, sizeof where), clock_now_s() - nd->t_start,
                                clock_now_s() - o->t0);
                }
                if (n_wait > 1 || n_new == 0)
                    fprintf(o->out, "  %s: %zu x UN after %.1f s   total %.1f s\n", what, n_addr,
                            clock_now_s() - t_begin, clock_now_s() - o->t0);
                fflush(o->out);
                return 0;
            }
        }
        if (clock_now_s() - t_begin > o->timeout_s) {
            /* the node that held the gate: one that does not answer CQL, else any waiting */
            gate_node *culprit = NULL;
            for (size_t i = 0; i < n; i++)
                if (nodes[i]->waiting && (!culprit || (!nodes[i]->probed && culprit->probed)))
                    culprit = nodes[i];
            prov_fail(err, PROV_EXIT_FAIL, "%s%s: not ready within %d s (--timeout): %s",
                      culprit ? culprit->name : what, culprit ? on(culprit, where, sizeof where) : "",
                      o->timeout_s, why);
            if (culprit)
                b->give_up(b->impl, culprit, err);
            return err->exit_code;
        }
        clock_sleep_s(o->interval_s);
    }
}

int gate_wait(const gate_backend *b, gate_node *const *nodes, size_t n, const gate_opts *o,
              const char *what, bool others_may_be_down, struct ring *last, prov_error *err)
{
    const char **addr = calloc(n + 1, sizeof *addr); /* the started nodes' addresses */
    if (!addr)
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    int rc = wait_loop(b, nodes, n, o, what, others_may_be_down, last, addr, err);
    free(addr);
    return rc;
}
