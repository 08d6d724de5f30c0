/* provision/swarm: the cluster on a Docker swarm, one service per node,
 * pinned to the host that holds its data.  See swarm.h for the rules. */
#include "provision/swarm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provision/clock.h"
#include "provision/gate.h"
#include "provision/lifecycle.h"
#include "provision/pki.h"
#include "provision/nodeexec.h"
#include "provision/ring.h"

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ------------------------------------------------------------------------ */
/* Pure parts                                                               */

void swarm_opts_init(swarm_opts *o, const cluster_opts *cluster)
{
    memset(o, 0, sizeof *o);
    o->cluster = cluster;
    o->schedule_timeout_s = 120;
}

const char *swarm_restart_condition(const char *policy)
{
    if (policy && strcmp(policy, "no") == 0)
        return "none";
    if (policy && strcmp(policy, "on-failure") == 0)
        return "on-failure";
    return "any";
}

/* Which slot a --place entry names: -1 none, -2 ambiguous. */
static int match_slot(const swarm_slot *slots, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(slots[i].id, name) == 0)
            return (int)i;
    int found = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(slots[i].hostname, name) == 0)
            found = found == -1 ? (int)i : -2;
    if (found != -1 || strlen(name) < 4)
        return found;
    for (size_t i = 0; i < n; i++)
        if (starts_with(slots[i].id, name))
            found = found == -1 ? (int)i : -2;
    return found;
}

/* "swarm-0 (down), swarm-1" for messages. */
static void describe_slots(const swarm_slot *slots, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s%s%s%s", i ? ", " : "", slots[i].hostname,
                         slots[i].unusable ? " (" : "", slots[i].unusable ? slots[i].unusable : "",
                         slots[i].unusable ? ")" : "");
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

int swarm_choose(swarm_slot *slots, size_t n, const char *const *place, unsigned index,
                 int data_on, char *why, size_t whylen)
{
    char all[512];
    describe_slots(slots, n, all, sizeof all);
    if (data_on >= 0) {
        if ((size_t)data_on >= n) {
            snprintf(why, whylen, "its data's swarm node is not in the swarm");
            return -1;
        }
        swarm_slot *s = &slots[data_on];
        if (s->unusable) {
            snprintf(why, whylen, "its data volume is on swarm node %s, which is %s (data never "
                                  "moves to another host)",
                     s->hostname, s->unusable);
            return -1;
        }
        s->load++;
        return data_on;
    }
    size_t n_place = 0;
    while (place && place[n_place])
        n_place++;
    if (n_place > 0) {
        const char *name = place[(index - 1) % n_place];
        int k = match_slot(slots, n, name);
        if (k == -2) {
            snprintf(why, whylen, "--place '%s' names several swarm nodes (use the node id): %s",
                     name, all);
            return -1;
        }
        if (k < 0) {
            snprintf(why, whylen, "--place '%s': no such swarm node (the swarm has: %s)", name,
                     all);
            return -1;
        }
        if (slots[k].unusable) {
            snprintf(why, whylen, "--place '%s': swarm node %s is %s", name, slots[k].hostname,
                     slots[k].unusable);
            return -1;
        }
        slots[k].load++;
        return k;
    }
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (slots[i].unusable)
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        const swarm_slot *b = &slots[best], *c = &slots[i];
        int h = strcmp(c->hostname, b->hostname);
        if (c->load < b->load ||
            (c->load == b->load && (h < 0 || (h == 0 && strcmp(c->id, b->id) < 0))))
            best = (int)i;
    }
    if (best < 0) {
        snprintf(why, whylen, "no swarm node can take it: %s", n ? all : "the swarm has no node");
        return -1;
    }
    slots[best].load++;
    return best;
}

bool swarm_constraint_node(char *const *constraints, char *id, size_t len)
{
    for (size_t i = 0; constraints && constraints[i]; i++) {
        const char *c = constraints[i];
        while (*c == ' ')
            c++;
        if (!starts_with(c, "node.id"))
            continue;
        c += 7;
        while (*c == ' ')
            c++;
        if (!starts_with(c, "=="))
            continue;
        c += 2;
        while (*c == ' ')
            c++;
        size_t l = strcspn(c, " ");
        if (l == 0 || l >= len)
            continue;
        memcpy(id, c, l);
        id[l] = '\0';
        return true;
    }
    return false;
}

const docker_task *swarm_current_task(const docker_task *tasks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tasks[i].desired_state, "running") == 0)
            return &tasks[i];
    for (size_t i = 0; i < n; i++)
        if (strcmp(tasks[i].desired_state, "ready") == 0)
            return &tasks[i];
    return n ? &tasks[0] : NULL;
}

swarm_task_state swarm_task_judge(const docker_task *t)
{
    const char *s = t->state;
    if (strcmp(s, "running") == 0)
        return SWARM_TASK_RUNNING;
    if (strcmp(s, "rejected") == 0)
        return SWARM_TASK_REJECTED;
    if (strcmp(s, "failed") == 0 || strcmp(s, "shutdown") == 0 ||
        strcmp(s, "complete") == 0 || strcmp(s, "orphaned") == 0 || strcmp(s, "remove") == 0)
        return SWARM_TASK_ENDED;
    /* The scheduler leaves an unplaceable task "pending" with the reason in
     * Status.Err ("no suitable node (...)"); a plain pending task has none. */
    if (strcmp(s, "pending") == 0 && t->error[0])
        return SWARM_TASK_UNSCHEDULED;
    return SWARM_TASK_WAIT;
}

/* ------------------------------------------------------------------------ */
/* The swarm as found                                                       */

typedef struct {
    docker_node node;            /* from GET /nodes */
    eng_client *engine;          /* for exec on this host; NULL when none */
    bool owned;                  /* made here from --engine (freed at the end) */
    char unusable[160];          /* "" = a node may be placed here, else why not */
    unsigned load;               /* nodes of this cluster pinned here */
} sw_host;

/* One Cassandra node: its service as found, and its life during `up`. */
typedef struct {
    gate_node g;                 /* first: the gate's callbacks cast it back (up) */
    unsigned index;
    char name[DOCKER_NAME_MAX];  /* <prefix>N, the service */
    char volume[DOCKER_NAME_MAX + 8]; /* <prefix>N-data */
    const cluster_node_plan *plan; /* up: its plan entry */
    int host;                    /* index in hosts of its swarm node, -1 unknown */
    char pinned_id[DOCKER_ID_MAX]; /* the node.id of its constraint, "" if none */
    char seeds[1024];            /* labels of the existing service */
    char cluster_name[CLUSTER_NAME_MAX];
    bool tls;                    /* its TLS label: made by up --tls */
    docker_task task;            /* the current task when found or last polled */
    bool has_task;
    char addrs[8][64];           /* the addresses its tasks had, newest first: a node
                                    that is down shows in the ring with an old one */
    size_t n_addrs;
    /* up: */
    char first_task[DOCKER_ID_MAX]; /* the task first seen running, to notice restarts */
    char want_image[2 * DOCKER_NAME_MAX]; /* upgrade: the image its next task must run */
    /* Failures: swarm replaces a rejected or failed task with a new one
     * (after its restart delay), so the current task alone hides them.  A
     * failure counts when its task is not among those that had already
     * failed when the watch began (old_failed). */
    bool watching;
    char old_failed[16][DOCKER_ID_MAX];
    size_t n_old_failed;
    bool has_failure;            /* a new failure since the watch began */
    docker_task failure;         /* the newest such task */
    char last_error[512];        /* the newest rejected/failed task's error, any time */
    bool ever_ran;               /* some task of it got a container */
    double t_unscheduled;
} sw_node;

typedef struct {
    eng_client *mgr;
    const swarm_opts *so;
    const cluster_opts *o;
    docker_engine_info info;     /* the manager's */
    sw_host *hosts;
    size_t nh;
    sw_node *svc;                /* the cluster's services as found, by index */
    size_t nsvc;
    char network[128];
    char image[1024];            /* pinned by digest */
    char subnet[64];             /* of the overlay */
    char secret_name[160];       /* up --auth: the swarm secret of the password */
    char secret_id[DOCKER_ID_MAX];
    double t0;
    struct ring last;            /* the ring that last passed the gate */
} sw_ctx;

static void ctx_free(sw_ctx *x)
{
    for (size_t i = 0; i < x->nh; i++)
        if (x->hosts[i].owned)
            eng_client_free(x->hosts[i].engine);
    free(x->hosts);
    free(x->svc);
    ring_free(&x->last);
    memset(x, 0, sizeof *x);
}

static sw_host *host_by_id(sw_ctx *x, const char *id, int *index)
{
    for (size_t i = 0; i < x->nh; i++)
        if (strcmp(x->hosts[i].node.id, id) == 0) {
            if (index)
                *index = (int)i;
            return &x->hosts[i];
        }
    if (index)
        *index = -1;
    return NULL;
}

static const char *host_name(const sw_ctx *x, int h)
{
    return h >= 0 && (size_t)h < x->nh ? x->hosts[h].node.hostname : "?";
}

int swarm_detect(eng_client *c, bool *manager, prov_error *err)
{
    docker_engine_info info;
    eng_error e;
    *manager = false;
    if (docker_info(c, &info, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "the Docker engine does not answer");
    if (strcmp(info.local_state, "active") != 0)
        return 0;
    if (!info.is_manager)
        return prov_fail(
            err, PROV_EXIT_USAGE,
            "%s (%s) is a swarm worker: point DOCKER_HOST at a manager of the swarm "
            "(docker node ls lists them there)",
            eng_client_config(c)->host, info.name);
    *manager = true;
    return 0;
}

/* The swarm's nodes, and an engine client for each one we can reach: the
 * manager's own, and each --engine, matched by its swarm node id. */
static int open_swarm(sw_ctx *x, prov_error *err)
{
    eng_error e;
    if (docker_info(x->mgr, &x->info, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "the Docker engine does not answer");
    if (strcmp(x->info.local_state, "active") != 0 || !x->info.is_manager)
        return prov_fail(err, PROV_EXIT_USAGE, "%s is not a swarm manager",
                            eng_client_config(x->mgr)->host);
    docker_node *nodes = NULL;
    size_t n = 0;
    if (docker_node_list(x->mgr, &nodes, &n, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "listing the swarm's nodes");
    x->hosts = calloc(n ? n : 1, sizeof *x->hosts);
    if (!x->hosts) {
        free(nodes);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    x->nh = n;
    for (size_t i = 0; i < n; i++)
        x->hosts[i].node = nodes[i];
    free(nodes);

    sw_host *me = host_by_id(x, x->info.node_id, NULL);
    if (me)
        me->engine = x->mgr;
    for (size_t k = 0; x->so->engines && x->so->engines[k]; k++) {
        const char *h = x->so->engines[k];
        eng_config cfg;
        eng_client *cl = NULL;
        docker_engine_info info;
        if (eng_config_for_host(&cfg, h, x->so->env, &e) != ENG_OK)
            return prov_fail(err, PROV_EXIT_USAGE, "--engine %s: %s", h, e.message);
        if (eng_client_new(&cfg, &cl, &e) != ENG_OK)
            return prov_fail_engine(err, &e, "--engine %s", h);
        if (docker_info(cl, &info, &e) != ENG_OK) {
            /* A lost host is no reason to stop: status and down must work
             * without it.  Its swarm node just has no engine. */
            fprintf(x->o->out, "note: engine %s does not answer (%s): its swarm node is "
                               "not reachable for exec\n",
                    h, e.message);
            eng_client_free(cl);
            continue;
        }
        sw_host *sh = host_by_id(x, info.node_id, NULL);
        if (!sh) {
            eng_client_free(cl);
            return prov_fail(err, PROV_EXIT_USAGE,
                                "--engine %s (%s) is not a node of the swarm managed by %s%s", h,
                                info.name, eng_client_config(x->mgr)->host,
                                strcmp(info.local_state, "active") ? " (it is in no swarm)" : "");
        }
        if (sh->engine) {
            eng_client_free(cl); /* the same engine twice, or the manager again */
            continue;
        }
        sh->engine = cl;
        sh->owned = true;
    }
    for (size_t i = 0; i < x->nh; i++) {
        sw_host *sh = &x->hosts[i];
        if (strcmp(sh->node.state, "ready") != 0)
            snprintf(sh->unusable, sizeof sh->unusable, "%s", sh->node.state);
        else if (strcmp(sh->node.availability, "active") != 0)
            snprintf(sh->unusable, sizeof sh->unusable, "%s (availability %s)",
                     strcmp(sh->node.availability, "pause") == 0   ? "paused"
                     : strcmp(sh->node.availability, "drain") == 0 ? "drained"
                                                                     : "not active",
                     sh->node.availability);
        else if (!sh->engine)
            snprintf(sh->unusable, sizeof sh->unusable, "no engine to reach it: give --engine");
    }
    return 0;
}

static int cmp_index(const void *a, const void *b)
{
    const sw_node *p = a, *q = b;
    return (p->index > q->index) - (p->index < q->index);
}

static bool task_failed(const docker_task *t)
{
    /* "shutdown", "orphaned", "complete" are the orchestrator's doing (a
     * host lost or back, a service removed), not the node's failure. */
    return strcmp(t->state, "rejected") == 0 || strcmp(t->state, "failed") == 0;
}

static bool old_failure(const sw_node *nd, const char *id)
{
    for (size_t i = 0; i < nd->n_old_failed; i++)
        if (strcmp(nd->old_failed[i], id) == 0)
            return true;
    return false;
}

/* Refresh a node's current task (and its address on our network), its
 * addresses, and its failures (see sw_node). */
static int poll_task(sw_ctx *x, sw_node *nd, eng_error *e)
{
    docker_task *tasks = NULL;
    size_t n = 0;
    if (docker_task_list(x->mgr, nd->name, x->network[0] ? x->network : NULL, &tasks, &n, e) !=
        ENG_OK)
        return -1;
    const docker_task *t = swarm_current_task(tasks, n);
    nd->has_task = t != NULL;
    if (t)
        nd->task = *t;
    nd->n_addrs = 0;
    for (size_t i = 0; i < n && nd->n_addrs < sizeof nd->addrs / sizeof nd->addrs[0]; i++)
        if (tasks[i].addr[0])
            snprintf(nd->addrs[nd->n_addrs++], sizeof nd->addrs[0], "%s", tasks[i].addr);
    nd->has_failure = false;
    nd->last_error[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        nd->ever_ran |= tasks[i].container_id[0] != '\0';
        if (!task_failed(&tasks[i]))
            continue;
        if (!nd->last_error[0])
            snprintf(nd->last_error, sizeof nd->last_error, "%s",
                     tasks[i].error[0] ? tasks[i].error : tasks[i].state);
        if (!nd->watching) {
            if (nd->n_old_failed < sizeof nd->old_failed / sizeof nd->old_failed[0])
                snprintf(nd->old_failed[nd->n_old_failed++], sizeof nd->old_failed[0], "%s",
                         tasks[i].id);
        } else if (!nd->has_failure && !old_failure(nd, tasks[i].id)) {
            nd->has_failure = true; /* tasks come newest first */
            nd->failure = tasks[i];
        }
    }
    nd->watching = true;
    free(tasks);
    return 0;
}

/* The cluster's services (labelled with the prefix), sorted by node number,
 * each with its pinned host and current task. */
static int find_services(sw_ctx *x, prov_error *err)
{
    char filter[160];
    snprintf(filter, sizeof filter, CLUSTER_LABEL_CLUSTER "=%s", x->o->prefix);
    const char *filters[] = {filter, NULL};
    docker_service_info *list = NULL;
    size_t n = 0;
    eng_error e;
    if (docker_service_list(x->mgr, filters, &list, &n, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "listing the services of cluster '%s'", x->o->prefix);
    x->svc = calloc(n ? n : 1, sizeof *x->svc);
    if (!x->svc) {
        docker_service_list_free(list, n);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned idx = cluster_label_index(list[i].labels);
        if (!idx)
            continue;
        sw_node *nd = &x->svc[x->nsvc++];
        nd->index = idx;
        snprintf(nd->name, sizeof nd->name, "%s", list[i].name);
        snprintf(nd->volume, sizeof nd->volume, "%s%u-data", x->o->prefix, idx);
        const char *s = docker_label_get(list[i].labels, CLUSTER_LABEL_SEEDS);
        snprintf(nd->seeds, sizeof nd->seeds, "%s", s ? s : "");
        s = docker_label_get(list[i].labels, CLUSTER_LABEL_NAME);
        snprintf(nd->cluster_name, sizeof nd->cluster_name, "%s", s ? s : "");
        s = docker_label_get(list[i].labels, CLUSTER_LABEL_TLS);
        nd->tls = s && strcmp(s, "on") == 0;
        s = docker_label_get(list[i].labels, CLUSTER_LABEL_NETWORK);
        if (s && !x->network[0])
            snprintf(x->network, sizeof x->network, "%s", s);
        nd->host = -1;
        if (swarm_constraint_node(list[i].constraints, nd->pinned_id, sizeof nd->pinned_id)) {
            sw_host *h = host_by_id(x, nd->pinned_id, &nd->host);
            if (h)
                h->load++;
        }
    }
    docker_service_list_free(list, n);
    qsort(x->svc, x->nsvc, sizeof *x->svc, cmp_index);
    for (size_t i = 0; i < x->nsvc; i++) {
        sw_node *nd = &x->svc[i];
        if (poll_task(x, nd, &e) != 0)
            return prov_fail_engine(err, &e, "tasks of service %s", nd->name);
        /* a service without a constraint (made by hand?) is where its task is */
        if (nd->host < 0 && nd->has_task && nd->task.node_id[0])
            host_by_id(x, nd->task.node_id, &nd->host);
    }
    return 0;
}

static sw_node *found_svc(sw_ctx *x, unsigned index)
{
    for (size_t i = 0; i < x->nsvc; i++)
        if (x->svc[i].index == index)
            return &x->svc[i];
    return NULL;
}

static bool task_running(const sw_node *nd)
{
    return nd->has_task && swarm_task_judge(&nd->task) == SWARM_TASK_RUNNING;
}

/* The engine where the node's container runs (NULL when we have none). */
static eng_client *node_engine(sw_ctx *x, const sw_node *nd)
{
    int h = -1;
    if (nd->has_task && nd->task.node_id[0])
        host_by_id(x, nd->task.node_id, &h);
    if (h < 0)
        h = nd->host;
    return h >= 0 ? x->hosts[h].engine : NULL;
}

/* ------------------------------------------------------------------------ */
/* Exec inside a node (on the engine where its task runs)                   */

/* The last log lines of the node's container (Java stack frames left out). */
static void append_logs(sw_ctx *x, const sw_node *nd, prov_error *err)
{
    eng_client *eng = node_engine(x, nd);
    if (!eng || !nd->task.container_id[0]) {
        prov_fail_append(err, "\n(no log of %s: %s)", nd->name,
                            !eng ? "no engine for its swarm node" : "its task has no container");
        return;
    }
    char label[520]; /* name (256) " on " host (256) */
    snprintf(label, sizeof label, "%s on %s", nd->name, host_name(x, nd->host));
    node_append_logs(eng, nd->task.container_id, label, err);
}

/* A service this run created and that failed goes: swarm would retry it
 * forever.  Its volume (and so any data) stays. */
static void remove_failed(sw_ctx *x, sw_node *nd, prov_error *err)
{
    /* only a service this run created: a restarted or upgraded node's
     * service (this_run too) is the cluster's, and stays */
    if (!nd->g.this_run || !nd->plan || nd->plan->action != NODE_CREATE)
        return;
    eng_error e;
    if (docker_service_remove(x->mgr, nd->name, &e) != ENG_OK && !docker_not_found(&e)) {
        prov_fail_append(err, "\nremoving service %s failed too: %s", nd->name, e.message);
        return;
    }
    /* The volume goes too when this run made it and no task ever ran on it
     * (it is empty); otherwise it may hold data worth a look. */
    eng_client *eng = nd->host >= 0 ? x->hosts[nd->host].engine : NULL;
    bool vol_gone = false;
    if (nd->plan && nd->plan->volume_new && !nd->ever_ran && eng) {
        double until = clock_now_s() + 30; /* in use until the task is gone */
        eng_status st;
        while ((st = docker_volume_remove(eng, nd->volume, false, &e)) != ENG_OK &&
               docker_conflict(&e) && clock_now_s() < until)
            clock_sleep_s(1.0);
        vol_gone = st == ENG_OK || docker_not_found(&e);
    }
    prov_fail_append(err,
                        "\nservice %s (created by this run) was removed; volume %s on %s was %s; "
                        "nothing that ran before was touched",
                        nd->name, nd->volume, host_name(x, nd->host),
                        vol_gone ? "removed too (new and never used)" : "kept");
}

/* ------------------------------------------------------------------------ */
/* The readiness gate                                                       */

/* Is the node's task running?  0 yes (container, address filled), 1 not yet
 * (why), -1 it failed (err filled).  Not exit codes: PROV_EXIT_FAIL is 1. */
static int check_task(sw_ctx *x, sw_node *nd, char *why, size_t whylen, prov_error *err)
{
    eng_error e;
    if (poll_task(x, nd, &e) != 0) {
        if (docker_not_found(&e))
            {
            prov_fail(err, PROV_EXIT_FAIL, "service %s was removed while starting", nd->name);
            return -1;
        }
        prov_fail_engine(err, &e, "tasks of service %s", nd->name);
        return -1;
    }
    const char *hn = host_name(x, nd->host);
    if (!nd->has_task) {
        snprintf(why, whylen, "%s has no task yet", nd->name);
        return 1;
    }
    const docker_task *t = &nd->task;
    if (nd->has_failure && !(swarm_task_judge(t) == SWARM_TASK_RUNNING &&
                             strcmp(nd->first_task, t->id) == 0)) {
        /* rejected or failed since we began to watch; swarm may already be
         * preparing the next attempt, which would fail the same way */
        t = &nd->failure;
        if (strcmp(t->state, "rejected") == 0) {
            prov_fail(err, PROV_EXIT_FAIL, "%s: swarm node %s rejected its task: %s", nd->name,
                         hn, t->error[0] ? t->error : t->message);
            if (strstr(t->error, "image") || strstr(t->error, "manifest") ||
                strstr(t->error, "pull"))
                prov_fail_append(err,
                                    "\n(every swarm node pulls %s from its registry: it must be "
                                    "pushed there and that registry reachable from %s)",
                                    x->image, hn);
        } else {
            prov_fail(err, PROV_EXIT_FAIL,
                         "%s on %s stopped while starting: task %s%s%s, exit "
                         "status %d",
                         nd->name, hn, t->state, t->error[0] ? ": " : "", t->error, t->exit_code);
            docker_task cur = nd->task;
            nd->task = *t; /* its container holds the log */
            append_logs(x, nd, err);
            nd->task = cur;
        }
        remove_failed(x, nd, err);
        return -1;
    }
    switch (swarm_task_judge(t)) {
    case SWARM_TASK_RUNNING: {
        int h;
        if (!host_by_id(x, t->node_id, &h) || (nd->host >= 0 && h != nd->host)) {
            /* The constraint makes this impossible; a service edited by hand
             * could do it, and its data would not be there. */
            prov_fail(err, PROV_EXIT_FAIL,
                         "%s runs on swarm node %s, not on %s where it was pinned", nd->name,
                         host_name(x, h), hn);
            return -1;
        }
        if (nd->first_task[0] && strcmp(nd->first_task, t->id) != 0) {
            prov_fail(
                err, PROV_EXIT_FAIL,
                "%s on %s stopped while starting and swarm restarted it (task %.12s replaced "
                "by %.12s)",
                nd->name, hn, nd->first_task, t->id);
            append_logs(x, nd, err);
            remove_failed(x, nd, err);
            return -1;
        }
        snprintf(nd->first_task, sizeof nd->first_task, "%s", t->id);
        snprintf(nd->g.ip, sizeof nd->g.ip, "%s", t->addr);
        if (!nd->g.ip[0]) {
            snprintf(why, whylen, "%s runs but has no address on %s yet", nd->name, x->network);
            return 1;
        }
        if (!x->hosts[h].engine) {
            prov_fail(
                err, PROV_EXIT_USAGE,
                "%s runs on swarm node %s, whose engine the provisioner can't reach: give it "
                "with --engine",
                nd->name, hn);
            return -1;
        }
        return 0;
    }
    case SWARM_TASK_REJECTED:
        prov_fail(err, PROV_EXIT_FAIL, "%s: swarm node %s rejected its task: %s", nd->name, hn,
                     t->error[0] ? t->error : t->message);
        if (strstr(t->error, "image") || strstr(t->error, "manifest") ||
            strstr(t->error, "pull"))
            prov_fail_append(err,
                                "\n(every swarm node pulls %s from its registry: it must be pushed "
                                "there and that registry reachable from %s)",
                                x->image, hn);
        remove_failed(x, nd, err);
        return -1;
    case SWARM_TASK_ENDED:
        prov_fail(err, PROV_EXIT_FAIL,
                     "%s on %s stopped while starting: task %s%s%s, exit status %d", nd->name, hn,
                     t->state, t->error[0] ? ": " : "", t->error, t->exit_code);
        append_logs(x, nd, err);
        remove_failed(x, nd, err);
        return -1;
    case SWARM_TASK_UNSCHEDULED:
        if (nd->t_unscheduled == 0)
            nd->t_unscheduled = clock_now_s();
        if (clock_now_s() - nd->t_unscheduled > x->so->schedule_timeout_s) {
            prov_fail(
                err, PROV_EXIT_FAIL,
                "%s: no swarm node accepted its task within %d s: %s (it is pinned to swarm "
                "node %s, which is %s)",
                nd->name, x->so->schedule_timeout_s, t->error, hn,
                nd->host >= 0
                    ? (x->hosts[nd->host].unusable[0] ? x->hosts[nd->host].unusable : "ready")
                    : "not in the swarm");
            remove_failed(x, nd, err);
            return -1;
        }
        snprintf(why, whylen, "%s: task pending: %s", nd->name, t->error);
        return 1;
    case SWARM_TASK_WAIT:
        nd->t_unscheduled = 0;
        snprintf(why, whylen, "%s: task %s on %s%s", nd->name, t->state, hn,
                 strcmp(t->state, "preparing") == 0 ? " (pulling the image)" : "");
        return 1;
    }
    return 1;
}

/* The gate's view of this backend: tasks of services, exec through the
 * engine of the swarm node that runs each. */
static int gate_check(void *impl, gate_node *g, char *why, size_t whylen, prov_error *err)
{
    sw_ctx *x = impl;
    sw_node *nd = (sw_node *)g;
    int rc = check_task(x, nd, why, whylen, err);
    g->host = host_name(x, nd->host);
    return rc;
}

static bool gate_exec_in(void *impl, const gate_node *g, eng_client **engine,
                         const char **container)
{
    const sw_node *nd = (const sw_node *)g;
    *engine = node_engine(impl, nd);
    *container = nd->task.container_id;
    return *engine && nd->task.container_id[0];
}

static void gate_give_up(void *impl, gate_node *g, prov_error *err)
{
    append_logs(impl, (sw_node *)g, err);
    remove_failed(impl, (sw_node *)g, err);
}

/* Every node marked waiting ready (provision/gate.h). */
static int wait_ready(sw_ctx *x, sw_node *nodes, size_t n, const char *seeds, const char *what,
                      bool others_may_be_down, prov_error *err)
{
    gate_node *g[CLUSTER_MAX_NODES];
    for (size_t i = 0; i < n; i++) {
        g[i] = &nodes[i].g;
        g[i]->name = nodes[i].name;
        g[i]->host = host_name(x, nodes[i].host);
    }
    gate_backend b = {x, gate_check, gate_exec_in, gate_give_up, x->image};
    gate_opts go = {x->o->out, x->t0, x->o->poll_s, 1.0, x->o->node_timeout_s, seeds};
    return gate_wait(&b, g, n, &go, what, others_may_be_down, &x->last, err);
}

/* ------------------------------------------------------------------------ */
/* The ring table, with the host of each node                               */

static void print_ring(sw_ctx *x, struct ring *r, sw_node *nodes, size_t n, FILE *f)
{
    gate_node *g[CLUSTER_MAX_NODES];
    node_facts facts[CLUSTER_MAX_NODES];
    n = n < CLUSTER_MAX_NODES ? n : CLUSTER_MAX_NODES;
    for (size_t i = 0; i < n; i++) {
        g[i] = &nodes[i].g;
        g[i]->name = nodes[i].name;
        g[i]->host = host_name(x, nodes[i].host);
        facts[i] = (node_facts){.past_ips = (const char (*)[64])nodes[i].addrs,
                                .n_past_ips = nodes[i].n_addrs, .tls = nodes[i].tls};
    }
    lifecycle_print_ring(f, r, g, facts, n);
}

/* ------------------------------------------------------------------------ */
/* up                                                                       */

/* The image by digest: as given when it names one, else resolved through
 * the manager from the registry (GET /distribution/{name}/json), which is
 * also the check that the registry has it. */
static int pin_image(sw_ctx *x, prov_error *err)
{
    const char *img = x->o->image;
    if (strstr(img, "@sha256:")) {
        snprintf(x->image, sizeof x->image, "%s", img);
        return 0;
    }
    for (const char *p = img; *p; p++)
        if (!(((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("._-/:", *p))))
            return prov_fail(err, PROV_EXIT_USAGE, "--image '%s': not an image reference", img);
    char registry[256];
    eng_registry_of_image(img, registry, sizeof registry);
    char *auth = NULL;
    eng_error e;
    char warning[1024];
    if (eng_registry_auth(NULL, registry, &auth, NULL, warning, sizeof warning, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "credentials for %s", registry);
    if (warning[0])
        fprintf(x->o->out, "warning: %s\n", warning);
    char hdr[4096];
    int hl = snprintf(hdr, sizeof hdr, "X-Registry-Auth: %s", auth);
    explicit_bzero(auth, strlen(auth));
    free(auth);
    if (hl < 0 || (size_t)hl >= sizeof hdr)
        return prov_fail(err, PROV_EXIT_FAIL, "credentials for %s: too long", registry);
    const char *headers[] = {hdr, NULL};
    char path[1200];
    snprintf(path, sizeof path, "/distribution/%s/json", img);
    eng_request_opts ro = {.headers = headers};
    eng_response r = {0};
    eng_status st = eng_request(x->mgr, "GET", path, &ro, &r, &e);
    explicit_bzero(hdr, sizeof hdr);
    const char *digest = NULL;
    if (st == ENG_OK)
        digest = json_string_value(json_object_get(json_object_get(r.json, "Descriptor"), "digest"));
    if (st != ENG_OK || !digest || !starts_with(digest, "sha256:")) {
        int code = st == ENG_ERR_UNREACHABLE ? PROV_EXIT_ENGINE : PROV_EXIT_IMAGE;
        prov_fail(
            err, code,
            "image %s: the swarm manager can't find it in registry %s (%s); every swarm node "
            "pulls it from there: push it first (cass-provision push --registry %s), to a "
            "registry all swarm nodes reach",
            img, registry, st != ENG_OK ? e.message : "no digest in the answer", registry);
        eng_response_clear(&r);
        return err->exit_code;
    }
    /* repo:tag@digest: readable, and the digest is what counts */
    snprintf(x->image, sizeof x->image, "%s@%s", img, digest);
    eng_response_clear(&r);
    return 0;
}

/* The overlay network, created (attachable, labelled) when missing, and
 * its subnet (cass-entry listens on the address inside it). */
static int ensure_network(sw_ctx *x, prov_error *err)
{
    docker_network_info info;
    eng_error e;
    if (docker_network_inspect(x->mgr, x->network, &info, &e) == ENG_OK) {
        if (strcmp(info.driver, "overlay") != 0)
            return prov_fail(
                err, PROV_EXIT_USAGE,
                "network %s exists with driver %s: the nodes of a swarm need an overlay "
                "network (choose another with --network)",
                x->network, info.driver);
    } else if (!docker_not_found(&e)) {
        return prov_fail_engine(err, &e, "looking for network %s", x->network);
    } else {
        char l1[160];
        snprintf(l1, sizeof l1, CLUSTER_LABEL_CLUSTER "=%s", x->o->prefix);
        const char *labels[] = {l1, NULL};
        docker_network_spec spec = {.name = x->network, .driver = "overlay", .attachable = true,
                                    .labels = labels};
        if (docker_network_create(x->mgr, &spec, NULL, 0, &e) != ENG_OK)
            return prov_fail_engine(err, &e, "creating overlay network %s", x->network);
        fprintf(x->o->out, "network %s created (overlay, attachable)\n", x->network);
    }
    char *esc = eng_escape(x->network);
    if (!esc)
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/networks/%s", esc);
    free(esc);
    eng_response r = {0};
    if (eng_json(x->mgr, "GET", path, NULL, &r, &e) != ENG_OK) {
        eng_response_clear(&r);
        return prov_fail_engine(err, &e, "inspecting network %s", x->network);
    }
    const char *subnet = json_string_value(json_object_get(
        json_array_get(json_object_get(json_object_get(r.json, "IPAM"), "Config"), 0), "Subnet"));
    snprintf(x->subnet, sizeof x->subnet, "%s", subnet ? subnet : "");
    eng_response_clear(&r);
    return 0;
}

/* Where each node's data volume already is: data_on[i] for node i+1 is the
 * host index, -1 nowhere (that we can see), -2 on several hosts. */
static int find_volumes(sw_ctx *x, unsigned max_index, int *data_on, prov_error *err)
{
    for (unsigned i = 1; i <= max_index; i++) {
        data_on[i - 1] = -1;
        char vol[112];
        snprintf(vol, sizeof vol, "%s%u-data", x->o->prefix, i);
        for (size_t h = 0; h < x->nh; h++) {
            if (!x->hosts[h].engine)
                continue;
            bool exists = false;
            eng_error e;
            if (docker_volume_exists(x->hosts[h].engine, vol, &exists, &e) != ENG_OK)
                return prov_fail_engine(err, &e, "looking for volume %s on %s", vol,
                                           x->hosts[h].node.hostname);
            if (exists)
                data_on[i - 1] = data_on[i - 1] == -1 ? (int)h : -2;
        }
    }
    return 0;
}

/* Create the node's volume on its host (labelled), then its service, pinned
 * there. */
/* The swarm secret `name` from the file at `path`, made when missing (a
 * swarm secret cannot change: an existing one is used as it is); its ID into
 * id.  `what` says what it holds, on the line printed when it is made. */
static int ensure_file_secret(sw_ctx *x, const char *name, const char *path, const char *what,
                              char *id, size_t idlen, prov_error *err)
{
    eng_error e;
    bool exists = false;
    if (docker_secret_find(x->mgr, name, id, idlen, &exists, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "looking for secret %s", name);
    if (exists) return 0;
    char buf[16384];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    if (n == 0 || n == sizeof buf)
        return prov_fail(err, PROV_EXIT_USAGE, "%s: cannot read %s", path, what);
    char label[160];
    snprintf(label, sizeof label, CLUSTER_LABEL_CLUSTER "=%s", x->o->prefix);
    const char *labels[] = {label, NULL};
    eng_status st = docker_secret_create(x->mgr, name, buf, n, labels, id, idlen, &e);
    explicit_bzero(buf, sizeof buf);
    if (st != ENG_OK) return prov_fail_engine(err, &e, "creating secret %s", name);
    fprintf(x->o->out, "secret %s: %s\n", name, what);
    return 0;
}

/* up --auth: the password file becomes the swarm secret <prefix>-superuser-password
 * (every node gets the same). */
static int ensure_secret(sw_ctx *x, prov_error *err)
{
    const cluster_opts *o = x->o;
    if (!o->auth_password_file) return 0;
    snprintf(x->secret_name, sizeof x->secret_name, "%s-superuser-password", o->prefix);
    return ensure_file_secret(x, x->secret_name, o->auth_password_file,
                              "the superuser's password, for every node", x->secret_id,
                              sizeof x->secret_id, err);
}

/* up --tls: a node's certificate and key (made in the cluster's directory
 * when missing) and the CA become swarm secrets <node>-tls-cert,
 * <node>-tls-key and <prefix>-tls-ca, at the places the plan's environment
 * names.  Fills refs[0..3) (names and ids in the caller's buffers). */
typedef struct {
    char name[3][DOCKER_NAME_MAX + 16];
    char id[3][DOCKER_ID_MAX];
} tls_secrets;

static int ensure_tls_secrets(sw_ctx *x, const sw_node *nd, tls_secrets *t,
                              docker_secret_ref *refs, prov_error *err)
{
    const char *dir = x->o->tls_dir;
    char why[512], path[3][4200];
    if (pki_ensure_cert(dir, nd->name, NULL, why, sizeof why) != 0)
        return prov_fail(err, PROV_EXIT_FAIL, "the certificate of %s: %s", nd->name, why);
    snprintf(t->name[0], sizeof t->name[0], "%s-tls-cert", nd->name);
    snprintf(t->name[1], sizeof t->name[1], "%s-tls-key", nd->name);
    snprintf(t->name[2], sizeof t->name[2], "%s-tls-ca", x->o->prefix);
    snprintf(path[0], sizeof path[0], "%s/%s.pem", dir, nd->name);
    snprintf(path[1], sizeof path[1], "%s/%s-key.pem", dir, nd->name);
    snprintf(path[2], sizeof path[2], "%s/ca.pem", dir);
    const char *what[] = {"its certificate", "its private key", "the cluster's CA"};
    const char *target[] = {CLUSTER_TLS_CERT_TARGET, CLUSTER_TLS_KEY_TARGET, CLUSTER_TLS_CA_TARGET};
    for (int i = 0; i < 3; i++) {
        char about[400];
        snprintf(about, sizeof about, "%s%s%s", what[i], i < 2 ? " of " : "", i < 2 ? nd->name : "");
        int rc = ensure_file_secret(x, t->name[i], path[i], about, t->id[i], sizeof t->id[i], err);
        if (rc != 0)
            return rc;
        refs[i] = (docker_secret_ref){.id = t->id[i], .name = t->name[i],
                                      .target = strrchr(target[i], '/') + 1};
    }
    return 0;
}

static int create_service(sw_ctx *x, sw_node *nd, prov_error *err)
{
    const cluster_opts *o = x->o;
    sw_host *h = &x->hosts[nd->host];
    eng_error e;
    char l1[160], l2[64];
    snprintf(l1, sizeof l1, CLUSTER_LABEL_CLUSTER "=%s", o->prefix);
    snprintf(l2, sizeof l2, CLUSTER_LABEL_NODE "=%u", nd->index);
    const char *vlabels[] = {l1, l2, NULL};
    if (docker_volume_create(h->engine, nd->volume, vlabels, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "creating volume %s on %s", nd->volume,
                                   h->node.hostname);

    /* The environment of the plan, plus the overlay's subnet as the listen
     * subnet (the container also has a docker_gwbridge address, which only
     * works on its own host), unless the user set one. */
    size_t ne = 0, nl = 0;
    while (nd->plan->env && nd->plan->env[ne])
        ne++;
    while (nd->plan->labels && nd->plan->labels[nl])
        nl++;
    const char **env = calloc(ne + 2, sizeof *env);
    const char **labels = calloc(nl + 2, sizeof *labels);
    if (!env || !labels) {
        free(env);
        free(labels);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    bool has_subnet = false;
    for (size_t i = 0; i < ne; i++) {
        env[i] = nd->plan->env[i];
        has_subnet |= starts_with(env[i], "CASSANDRA_LISTEN_SUBNET=");
    }
    char subnet_env[96];
    if (!has_subnet && x->subnet[0]) {
        snprintf(subnet_env, sizeof subnet_env, "CASSANDRA_LISTEN_SUBNET=%s", x->subnet);
        env[ne++] = subnet_env;
    }
    for (size_t i = 0; i < nl; i++)
        labels[i] = nd->plan->labels[i];
    char hostlabel[DOCKER_NAME_MAX + 40];
    snprintf(hostlabel, sizeof hostlabel, SWARM_LABEL_HOST "=%s", h->node.hostname);
    labels[nl] = hostlabel;

    char constraint[DOCKER_ID_MAX + 16];
    snprintf(constraint, sizeof constraint, "node.id==%s", h->node.id);
    const char *constraints[] = {constraint, NULL};
    const char *aliases[] = {nd->name, NULL};
    docker_mount mount = {.source = nd->volume, .target = CLUSTER_DATA_DIR};
    /* its file name under /run/secrets: CASSANDRA_PASSWORD_FILE's */
    docker_secret_ref secrets[4];
    size_t n_secrets = 0;
    if (x->secret_id[0])
        secrets[n_secrets++] = (docker_secret_ref){.id = x->secret_id, .name = x->secret_name,
                                                   .target = strrchr(CLUSTER_PASSWORD_TARGET, '/') + 1};
    tls_secrets tls;
    if (o->tls_dir) {
        int rc = ensure_tls_secrets(x, nd, &tls, secrets + n_secrets, err);
        if (rc != 0) {
            free(env);
            free(labels);
            return rc;
        }
        n_secrets += 3;
    }
    docker_service_spec spec = {
        .name = nd->name,
        .image = x->image,
        .hostname = nd->name,
        .env = env,
        .labels = labels,
        .memory = o->memory,
        .stop_timeout = o->stop_timeout,
        .constraints = constraints,
        .network = x->network,
        .aliases = aliases,
        .mounts = &mount,
        .n_mounts = 1,
        .secrets = secrets,
        .n_secrets = n_secrets,
        .health = DOCKER_HEALTH_NONE,
        .restart_condition = swarm_restart_condition(o->restart),
        .dnsrr = true,
    };
    eng_status st = docker_service_create(x->mgr, &spec, NULL, 0, &e);
    free(env);
    free(labels);
    if (st != ENG_OK) {
        if (docker_conflict(&e))
            return prov_fail(
                err, PROV_EXIT_FAIL,
                "creating service %s: a service of that name appeared meanwhile (%s)", nd->name,
                e.message);
        return prov_fail_engine(err, &e, "creating service %s", nd->name);
    }
    nd->g.this_run = true;
    nd->g.started = true;
    nd->g.waiting = true;
    nd->g.probed = false;
    nd->first_task[0] = '\0';
    nd->watching = true; /* a new service: every failure is this run's */
    nd->n_old_failed = 0;
    nd->g.t_start = clock_now_s();
    nd->t_unscheduled = 0;
    return 0;
}

/* What exists, in provision/cluster's terms, for its plan: the services as
 * found nodes, and where each node 1..max_index has its volume (data_on, as
 * find_volumes says).  found's arrays and *data_on are the caller's to free,
 * also on error. */
static int found_of_services(sw_ctx *x, unsigned max_index, cluster_found *found, int **data_on,
                             prov_error *err)
{
    *data_on = calloc(max_index, sizeof **data_on);
    found->nodes = calloc(x->nsvc ? x->nsvc : 1, sizeof *found->nodes);
    found->volume_exists = calloc(max_index, sizeof *found->volume_exists);
    if (!*data_on || !found->nodes || !found->volume_exists)
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    for (size_t i = 0; i < x->nsvc; i++) {
        cluster_found_node *fn = &found->nodes[found->n++];
        fn->index = x->svc[i].index;
        fn->running = task_running(&x->svc[i]);
        snprintf(fn->seeds, sizeof fn->seeds, "%s", x->svc[i].seeds);
        snprintf(fn->cluster_name, sizeof fn->cluster_name, "%s", x->svc[i].cluster_name);
        fn->tls = x->svc[i].tls;
    }
    int rc = find_volumes(x, max_index, *data_on, err);
    if (rc != 0)
        return rc;
    found->volumes_n = max_index;
    for (unsigned i = 0; i < max_index; i++)
        found->volume_exists[i] = (*data_on)[i] != -1;
    return 0;
}

int swarm_up(eng_client *mgr, const swarm_opts *so, prov_error *err)
{
    const cluster_opts *o = so->cluster;
    sw_ctx x = {.mgr = mgr, .so = so, .o = o, .t0 = clock_now_s()};
    cluster_plan plan = {0};
    cluster_found found = {0};
    sw_node *nodes = NULL;
    int *data_on = NULL;
    int rc;
    if (o->publish_node > 0)
        return prov_fail(err, PROV_EXIT_USAGE,
                            "--publish is for one engine; on a swarm, clients join the attachable "
                            "overlay network (docker run --network %s-net ...)",
                            o->prefix);
    if ((rc = open_swarm(&x, err)) != 0 || (rc = ensure_secret(&x, err)) != 0)
        goto out;
    snprintf(x.network, sizeof x.network, "%s", o->network ? o->network : "");
    if ((rc = find_services(&x, err)) != 0)
        goto out;
    if (o->network)
        snprintf(x.network, sizeof x.network, "%s", o->network);
    else if (!x.network[0])
        snprintf(x.network, sizeof x.network, "%s-net", o->prefix);

    /* What exists, in provision/cluster's terms, for its plan. */
    unsigned max_index = o->nodes;
    for (size_t i = 0; i < x.nsvc; i++)
        if (x.svc[i].index > max_index)
            max_index = x.svc[i].index;
    if ((rc = found_of_services(&x, max_index, &found, &data_on, err)) != 0)
        goto out;
    cluster_opts po = *o;
    po.network = x.network;
    if ((rc = cluster_plan_make(&po, &found, &plan, err)) != 0)
        goto out;

    /* Every new node's host, chosen before anything is created. */
    swarm_slot *slots = calloc(x.nh ? x.nh : 1, sizeof *slots);
    nodes = calloc(plan.n ? plan.n : 1, sizeof *nodes);
    if (!slots || !nodes) {
        free(slots);
        rc = prov_fail(err, PROV_EXIT_FAIL, "out of memory");
        goto out;
    }
    for (size_t h = 0; h < x.nh; h++) {
        slots[h].id = x.hosts[h].node.id;
        slots[h].hostname = x.hosts[h].node.hostname;
        slots[h].unusable = x.hosts[h].unusable[0] ? x.hosts[h].unusable : NULL;
        slots[h].load = x.hosts[h].load;
    }
    for (size_t i = 0; i < plan.n; i++) {
        const cluster_node_plan *np = &plan.nodes[i];
        sw_node *nd = &nodes[i];
        sw_node *f = found_svc(&x, np->index);
        if (f)
            *nd = *f;
        nd->plan = np;
        nd->index = np->index;
        snprintf(nd->name, sizeof nd->name, "%s", np->name);
        snprintf(nd->volume, sizeof nd->volume, "%s", np->volume);
        if (np->action != NODE_CREATE)
            continue;
        int d = data_on[np->index - 1];
        if (d == -2) {
            free(slots);
            rc = prov_fail(
                err, PROV_EXIT_FAIL,
                "volume %s exists on several swarm nodes: which one holds %s's data is "
                "not clear; remove the stale one (docker volume rm on its host)",
                np->volume, np->name);
            goto out;
        }
        char why[1024];
        int k = swarm_choose(slots, x.nh, so->place, np->index, d, why, sizeof why);
        if (k < 0) {
            free(slots);
            rc = prov_fail(err, PROV_EXIT_FAIL, "%s: %s", np->name, why);
            goto out;
        }
        nd->host = k;
        if (d >= 0 && so->place && so->place[0])
            fprintf(o->out, "note: %s goes back to %s, where its data volume is (--place not "
                            "used for it)\n",
                    np->name, host_name(&x, k));
    }
    free(slots);
    for (size_t i = 0; i < plan.n_notes; i++)
        fprintf(o->out, "note: %s\n", plan.notes[i]);
    if (strstr(x.o->image, "127.0.0.1") || strstr(x.o->image, "localhost"))
        fprintf(o->out, "note: image %s: on a swarm of several hosts, a registry on the "
                        "loopback is each host's own\n",
                x.o->image);

    if ((rc = pin_image(&x, err)) != 0)
        goto out;

    size_t n_keep = 0, n_start = 0, n_create = 0;
    for (size_t i = 0; i < plan.n; i++) {
        n_keep += plan.nodes[i].action == NODE_KEEP;
        n_start += plan.nodes[i].action == NODE_START;
        n_create += plan.nodes[i].action == NODE_CREATE;
    }
    fprintf(o->out, "cluster '%s' (%s) on the swarm of %s (%zu nodes): %zu running, %zu not "
                    "running, %zu to create%s\n",
            o->prefix, plan.cluster_name, eng_client_config(mgr)->host, x.nh, n_keep, n_start,
            n_create, plan.all_at_once ? " all at once (brand-new cluster)" : "");
    fprintf(o->out, "image %s\n", x.image);
    for (size_t i = 0; i < plan.n; i++)
        fprintf(o->out, "  %-8s on %-10s %s\n", nodes[i].name, host_name(&x, nodes[i].host),
                plan.nodes[i].action == NODE_KEEP    ? "running"
                : plan.nodes[i].action == NODE_START ? "exists, not running"
                : plan.nodes[i].volume_new           ? "to create"
                                                     : "to create on its kept data volume");
    fflush(o->out);

    if ((rc = ensure_network(&x, err)) != 0)
        goto out;

    /* 1. Nodes with data: running ones, services whose task is not running
     *    (swarm restarts it on its host, unless that host is gone), new
     *    services on kept volumes.  They have their tokens: they may start
     *    together, and peers not up yet may show as down meanwhile. */
    size_t n_restart = 0;
    for (size_t i = 0; i < plan.n; i++) {
        sw_node *nd = &nodes[i];
        const cluster_node_plan *np = nd->plan;
        nd->g.t_start = clock_now_s();
        if (np->action == NODE_KEEP) {
            nd->g.started = true;
            snprintf(nd->g.ip, sizeof nd->g.ip, "%s", nd->task.addr);
            /* a node on a host we can't exec in counts in the ring only */
            nd->g.waiting = node_engine(&x, nd) != NULL;
            nd->g.probed = !nd->g.waiting;
            n_restart++;
        } else if (np->action == NODE_START) {
            if (nd->host >= 0 && x.hosts[nd->host].unusable[0] &&
                strcmp(x.hosts[nd->host].node.state, "ready") != 0) {
                rc = prov_fail(
                    err, PROV_EXIT_FAIL,
                    "%s: its swarm node %s is %s; the service stays pinned there (its data "
                    "is there) and starts again when %s is back; nothing was changed",
                    nd->name, host_name(&x, nd->host), x.hosts[nd->host].node.state,
                    host_name(&x, nd->host));
                goto out;
            }
            fprintf(o->out, "  %-8s on %-10s task %s: waiting for swarm to run it again\n",
                    nd->name, host_name(&x, nd->host), nd->has_task ? nd->task.state : "none");
            nd->g.started = true;
            nd->g.waiting = true;
            n_restart++;
        } else if (np->action == NODE_CREATE && !np->volume_new) {
            if ((rc = create_service(&x, nd, err)) != 0)
                goto out;
            fprintf(o->out, "  %-8s on %-10s created on its kept volume, with its data\n",
                    nd->name, host_name(&x, nd->host));
            n_restart++;
        }
    }
    fflush(o->out);
    if (n_restart > 0 &&
        (rc = wait_ready(&x, nodes, plan.n, plan.seeds, "nodes with data", true, err)) != 0)
        goto out;

    /* 2. New nodes: all at once on a brand-new cluster (not --sequential), else one
     *    at a time, each gated on the ring. */
    if (plan.all_at_once) {
        for (size_t i = 0; i < plan.n; i++) {
            if ((rc = create_service(&x, &nodes[i], err)) != 0)
                goto out;
            fprintf(o->out, "  %-8s on %-10s created\n", nodes[i].name,
                    host_name(&x, nodes[i].host));
        }
        fprintf(o->out, "  %zu nodes started at once: every one a seed, its own %u tokens, no "
                        "bootstrap\n",
                plan.n, o->num_tokens);
        fflush(o->out);
        if ((rc = wait_ready(&x, nodes, plan.n, plan.seeds, "ring", false, err)) != 0)
            goto out;
    } else {
        bool first_new = true;
        for (size_t i = 0; i < plan.n; i++) {
            sw_node *nd = &nodes[i];
            if (nd->plan->action != NODE_CREATE || !nd->plan->volume_new)
                continue;
            if (first_new && n_restart > 0) {
                const char *addr[CLUSTER_MAX_NODES + 1];
                gate_node *g[CLUSTER_MAX_NODES];
                for (size_t k = 0; k < plan.n; k++)
                    g[k] = &nodes[k].g;
                size_t n_addr = gate_started_addresses(g, plan.n, addr);
                char why[900];
                if (x.last.count > 0 && !ring_ready(&x.last, addr, n_addr, false, why, sizeof why)) {
                    rc = prov_fail(
                        err, PROV_EXIT_FAIL,
                        "cannot add %s: %s; a joining node needs every node of the ring up "
                        "(consistent range movement): bring the missing node back, or "
                        "remove it from the ring (nodetool removenode)",
                        nd->name, why);
                    goto out;
                }
            }
            first_new = false;
            if ((rc = create_service(&x, nd, err)) != 0)
                goto out;
            fprintf(o->out, "  %-8s on %-10s created (volume %s new), starting\n", nd->name,
                    host_name(&x, nd->host), nd->volume);
            fflush(o->out);
            if ((rc = wait_ready(&x, nodes, plan.n, plan.seeds, nd->name, false, err)) != 0)
                goto out;
        }
    }
    if (x.last.count == 0) {
        rc = prov_fail(err, PROV_EXIT_FAIL,
                          "cluster '%s': no ring was read (no node could be "
                          "reached through its engine)",
                          o->prefix);
        goto out;
    }
    fprintf(o->out, "\n");
    print_ring(&x, &x.last, nodes, plan.n, o->out);
    fprintf(o->out, "\ncluster '%s' ready: %zu nodes on %zu swarm nodes in %.1f s\n", o->prefix,
            plan.n, x.nh, clock_now_s() - x.t0);
    rc = 0;
out:
    fflush(o->out);
    free(nodes);
    free(data_on);
    free(found.nodes);
    free(found.volume_exists);
    cluster_plan_free(&plan);
    ctx_free(&x);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* status                                                                   */

/* The swarm and the cluster's services on it, which must exist. */
static int open_cluster(sw_ctx *x, prov_error *err)
{
    int rc;
    if ((rc = open_swarm(x, err)) != 0 || (rc = find_services(x, err)) != 0)
        return rc;
    if (x->nsvc == 0)
        return prov_fail(err, PROV_EXIT_FAIL,
                         "no cluster '%s' on the swarm of %s (no service labelled %s=%s)",
                         x->o->prefix, eng_client_config(x->mgr)->host, CLUSTER_LABEL_CLUSTER,
                         x->o->prefix);
    return 0;
}

static node_backend backend_of(sw_ctx *x);

int swarm_status(eng_client *mgr, const swarm_opts *so, prov_error *err)
{
    const cluster_opts *o = so->cluster;
    sw_ctx x = {.mgr = mgr, .so = so, .o = o, .t0 = clock_now_s()};
    gate_node *g[CLUSTER_MAX_NODES];
    node_facts facts[CLUSTER_MAX_NODES];
    char (*state)[1600] = calloc(CLUSTER_MAX_NODES, sizeof *state);
    int rc = state ? open_cluster(&x, err) : prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    if (rc != 0)
        goto out;
    size_t n = x.nsvc < CLUSTER_MAX_NODES ? x.nsvc : CLUSTER_MAX_NODES;
    for (size_t i = 0; i < n; i++) {
        sw_node *nd = &x.svc[i];
        g[i] = &nd->g;
        nd->g.name = nd->name;
        nd->g.host = host_name(&x, nd->host);
        nd->g.started = task_running(nd);
        if (nd->g.started)
            snprintf(nd->g.ip, sizeof nd->g.ip, "%s", nd->task.addr);
        const sw_host *h = nd->host >= 0 ? &x.hosts[nd->host] : NULL;
        snprintf(state[i], sizeof state[i], "not running: task %s%s%s%s%s%s%s",
                 nd->has_task ? nd->task.state : "none",
                 nd->has_task && nd->task.error[0] ? " (" : "",
                 nd->has_task ? nd->task.error : "", nd->has_task && nd->task.error[0] ? ")" : "",
                 nd->last_error[0] ? "; last failure: " : "", nd->last_error,
                 h && strcmp(h->node.state, "ready") != 0 ? "; its swarm node is down" : "");
        facts[i] = (node_facts){.state = state[i], .past_ips = (const char (*)[64])nd->addrs,
                                .n_past_ips = nd->n_addrs, .tls = nd->tls};
    }
    node_backend b = backend_of(&x);
    rc = lifecycle_status(&b, g, facts, n, o->out, o->prefix, err);
out:
    fflush(o->out);
    free(state);
    ctx_free(&x);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* restart                                                                  */

/* Stop the node's container through the engine of the host it runs on. */
static int backend_stop(void *impl, gate_node *g, int timeout_s, prov_error *err)
{
    sw_ctx *x = impl;
    sw_node *nd = (sw_node *)g;
    eng_error e;
    snprintf(nd->first_task, sizeof nd->first_task, "%s", nd->task.id); /* the one stopped */
    if (docker_container_stop(node_engine(x, nd), nd->task.container_id, timeout_s, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "stopping %s on %s", nd->name, host_name(x, nd->host));
    return 0;
}

/* Swarm runs a stopped node's service again (restart condition "any"), with
 * a new task on the same host: wait for that task to exist, then watch it
 * from scratch (its failures from now on are this run's). */
static int backend_start(void *impl, gate_node *g, prov_error *err)
{
    sw_ctx *x = impl;
    sw_node *nd = (sw_node *)g;
    char stopped[DOCKER_ID_MAX];
    snprintf(stopped, sizeof stopped, "%s", nd->first_task);
    double t0 = clock_now_s();
    for (;;) {
        eng_error e;
        if (poll_task(x, nd, &e) != 0)
            return prov_fail_engine(err, &e, "tasks of service %s", nd->name);
        if (nd->has_task && strcmp(nd->task.id, stopped) != 0 &&
            (!nd->want_image[0] || strcmp(nd->task.image, nd->want_image) == 0))
            break;
        if (clock_now_s() - t0 > x->so->schedule_timeout_s)
            return prov_fail(err, PROV_EXIT_FAIL,
                             "%s on %s: swarm did not run it again within %d s after its "
                             "container stopped (restart condition of the service: is it 'any'?)",
                             nd->name, host_name(x, nd->host), x->so->schedule_timeout_s);
        clock_sleep_s(1.0);
    }
    nd->first_task[0] = '\0';
    nd->want_image[0] = '\0';
    nd->watching = false; /* the failures known now are not the new task's */
    nd->n_old_failed = 0;
    eng_error e;
    if (poll_task(x, nd, &e) != 0)
        return prov_fail_engine(err, &e, "tasks of service %s", nd->name);
    nd->g.t_start = clock_now_s();
    return 0;
}

/* A decommissioned node for good: its service (swarm stops its task), then,
 * once its container is gone from its host, its data volume there. */
static int backend_remove(void *impl, gate_node *g, prov_error *err)
{
    sw_ctx *x = impl;
    sw_node *nd = (sw_node *)g;
    eng_client *engine = node_engine(x, nd);
    const char *host = host_name(x, nd->host);
    eng_error e;
    if (docker_service_remove(x->mgr, nd->name, &e) != ENG_OK && !docker_not_found(&e))
        return prov_fail_engine(err, &e, "removing service %s", nd->name);
    char by_cluster[160], by_node[64];
    snprintf(by_cluster, sizeof by_cluster, CLUSTER_LABEL_CLUSTER "=%s", x->o->prefix);
    snprintf(by_node, sizeof by_node, CLUSTER_LABEL_NODE "=%u", nd->index);
    const char *filters[] = {by_cluster, by_node, NULL};
    double deadline = clock_now_s() + (x->o->stop_timeout > 0 ? x->o->stop_timeout : 10) + 60;
    for (;;) {
        docker_container_summary *list = NULL;
        size_t n = 0;
        if (docker_container_list(engine, filters, true, &list, &n, &e) != ENG_OK)
            return prov_fail_engine(err, &e, "listing the containers of %s on %s", nd->name, host);
        docker_container_list_free(list, n);
        if (n == 0)
            break;
        if (clock_now_s() > deadline)
            return prov_fail(err, PROV_EXIT_FAIL, "%s: its service is removed but its container "
                             "is still on %s; volume %s kept", nd->name, host, nd->volume);
        clock_sleep_s(1.0);
    }
    if (docker_volume_remove(engine, nd->volume, false, &e) != ENG_OK && !docker_not_found(&e))
        return prov_fail_engine(err, &e, "removing volume %s on %s", nd->volume, host);
    fprintf(x->o->out, "  %-8s on %-10s service and volume %s removed\n", nd->name, host,
            nd->volume);
    fflush(x->o->out);
    return 0;
}

/* The gate's view of every node of an opened cluster, for a day-2 command
 * (`cmd`): each must run, on a host whose engine we reach. */
static int running_gates(sw_ctx *x, const char *cmd, gate_node **g, prov_error *err)
{
    for (size_t i = 0; i < x->nsvc && i < CLUSTER_MAX_NODES; i++) {
        sw_node *nd = &x->svc[i];
        if (!task_running(nd) || !node_engine(x, nd))
            return prov_fail(err, PROV_EXIT_FAIL, "%s: %s on %s %s; nothing was changed", cmd,
                             nd->name, host_name(x, nd->host),
                             !task_running(nd) ? "is not running (`cass-provision up` brings it back)"
                                               : "runs where the provisioner can't reach the engine "
                                                 "(give it with --engine)");
        g[i] = &nd->g;
        g[i]->name = nd->name;
        g[i]->host = host_name(x, nd->host);
        snprintf(nd->g.ip, sizeof nd->g.ip, "%s", nd->task.addr);
        snprintf(nd->first_task, sizeof nd->first_task, "%s", nd->task.id);
    }
    return 0;
}

/* Upgrade: the service's image updated; swarm stops its task (within its
 * grace period) and runs a new one from the image on the same host and
 * volume.  backend_start then waits for that task. */
static int backend_recreate(void *impl, gate_node *g, const char *image, char *was,
                            size_t was_len, prov_error *err)
{
    sw_ctx *x = impl;
    sw_node *nd = (sw_node *)g;
    char old[2 * DOCKER_NAME_MAX] = "";
    eng_error e;
    snprintf(nd->first_task, sizeof nd->first_task, "%s", nd->task.id); /* the one replaced */
    snprintf(nd->want_image, sizeof nd->want_image, "%s", image);
    eng_status st = docker_service_set_image(x->mgr, nd->name, image, NULL, old, sizeof old, &e);
    if (was)
        snprintf(was, was_len, "%s", old);
    if (st != ENG_OK)
        return prov_fail_engine(err, &e, "%s on %s", nd->name, host_name(x, nd->host));
    return 0;
}

/* This backend: services pinned to hosts, exec through each host's engine. */
static node_backend backend_of(sw_ctx *x)
{
    return (node_backend){{x, gate_check, gate_exec_in, gate_give_up,
                           x->o->image ? x->o->image : "its image"},
                          backend_stop, backend_start, backend_remove, backend_recreate};
}

static gate_opts gate_opts_of(const sw_ctx *x)
{
    return (gate_opts){x->o->out, x->t0, x->o->poll_s, 1.0, x->o->node_timeout_s, x->svc[0].seeds};
}

int swarm_restart(eng_client *mgr, const swarm_opts *so, prov_error *err)
{
    const cluster_opts *o = so->cluster;
    sw_ctx x = {.mgr = mgr, .so = so, .o = o, .t0 = clock_now_s()};
    gate_node *g[CLUSTER_MAX_NODES];
    int rc = open_cluster(&x, err);
    if (rc == 0)
        rc = running_gates(&x, "restart", g, err);
    if (rc != 0)
        goto out;
    fprintf(o->out, "cluster '%s' on the swarm of %s (%zu nodes): rolling restart of %zu nodes, "
                    "one at a time\n",
            o->prefix, eng_client_config(mgr)->host, x.nh, x.nsvc);
    fflush(o->out);
    node_backend b = backend_of(&x);
    gate_opts go = gate_opts_of(&x);
    rc = lifecycle_restart(&b, g, x.nsvc, &go, o->stop_timeout, &x.last, err);
    if (rc == 0) {
        fprintf(o->out, "\n");
        print_ring(&x, &x.last, x.svc, x.nsvc, o->out);
        fprintf(o->out, "\ncluster '%s' restarted: %zu nodes, one at a time, in %.1f s\n",
                o->prefix, x.nsvc, clock_now_s() - x.t0);
    }
out:
    fflush(o->out);
    ctx_free(&x);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* upgrade                                                                  */

int swarm_upgrade(eng_client *mgr, const swarm_opts *so, prov_error *err)
{
    const cluster_opts *o = so->cluster;
    sw_ctx x = {.mgr = mgr, .so = so, .o = o, .t0 = clock_now_s()};
    gate_node *g[CLUSTER_MAX_NODES];
    bool current[CLUSTER_MAX_NODES] = {false};
    int rc = open_cluster(&x, err);
    if (rc == 0)
        rc = running_gates(&x, "upgrade", g, err);
    if (rc == 0)
        rc = pin_image(&x, err); /* by digest: every host runs the same bytes */
    if (rc != 0)
        goto out;
    size_t todo = 0;
    for (size_t i = 0; i < x.nsvc && i < CLUSTER_MAX_NODES; i++) {
        docker_service_info info;
        eng_error e;
        if (docker_service_inspect(mgr, x.svc[i].name, &info, &e) != ENG_OK) {
            rc = prov_fail_engine(err, &e, "service %s", x.svc[i].name);
            goto out;
        }
        current[i] = strcmp(info.image, x.image) == 0;
        todo += !current[i];
        docker_service_info_free(&info);
    }
    fprintf(o->out, "cluster '%s' on the swarm of %s (%zu nodes): rolling upgrade of %zu of %zu "
                    "nodes to %s, one at a time\n",
            o->prefix, eng_client_config(mgr)->host, x.nh, todo, x.nsvc, x.image);
    fflush(o->out);
    node_backend b = backend_of(&x);
    gate_opts go = gate_opts_of(&x);
    rc = lifecycle_upgrade(&b, g, x.nsvc, current, &go, x.image, &x.last, err);
    if (rc == 0) {
        fprintf(o->out, "\n");
        print_ring(&x, &x.last, x.svc, x.nsvc, o->out);
        fprintf(o->out, "\ncluster '%s' upgraded: %zu nodes on %s, %zu of them now, in %.1f s\n",
                o->prefix, x.nsvc, x.image, todo, clock_now_s() - x.t0);
    }
out:
    fflush(o->out);
    ctx_free(&x);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* remove                                                                   */

int swarm_remove(eng_client *mgr, const swarm_opts *so, const char *node, prov_error *err)
{
    const cluster_opts *o = so->cluster;
    sw_ctx x = {.mgr = mgr, .so = so, .o = o, .t0 = clock_now_s()};
    gate_node *g[CLUSTER_MAX_NODES];
    int rc = open_cluster(&x, err);
    if (rc == 0)
        rc = running_gates(&x, "remove", g, err);
    if (rc != 0)
        goto out;
    size_t victim = lifecycle_removable(g, x.nsvc, node, x.svc[0].seeds, o->prefix, err);
    if (victim == x.nsvc)
        rc = err->exit_code;
    if (rc != 0)
        goto out;
    fprintf(o->out, "cluster '%s' on the swarm of %s: removing %s on %s (%zu nodes to %zu)\n",
            o->prefix, eng_client_config(mgr)->host, node, host_name(&x, x.svc[victim].host),
            x.nsvc, x.nsvc - 1);
    fflush(o->out);
    node_backend b = backend_of(&x);
    gate_opts go = gate_opts_of(&x);
    rc = lifecycle_remove(&b, g, x.nsvc, victim, &go, &x.last, err);
    if (rc == 0) {
        fprintf(o->out, "\n");
        print_ring(&x, &x.last, x.svc, x.nsvc - 1, o->out);
        fprintf(o->out, "\ncluster '%s': %s decommissioned and removed, %zu nodes remain, in "
                        "%.1f s\n", o->prefix, node, x.nsvc - 1, clock_now_s() - x.t0);
    }
out:
    fflush(o->out);
    ctx_free(&x);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* replace                                                                  */

/* Node number of `node` (<prefix>N), 0 when it is no such name. */
static unsigned node_index(const char *prefix, const char *node)
{
    size_t plen = strlen(prefix);
    if (strncmp(node, prefix, plen) != 0 || !node[plen] ||
        strspn(node + plen, "0123456789") != strlen(node + plen))
        return 0;
    return (unsigned)strtoul(node + plen, NULL, 10);
}

/* Is the node dead as far as replace goes: its task does not run, swarm
 * wants it stopped (a service scaled to 0: its task may still say running
 * while it stops), or the swarm node it is pinned to is down (its task may
 * still say running). */
static bool node_dead(const sw_ctx *x, const sw_node *nd)
{
    return !task_running(nd) || strcmp(nd->task.desired_state, "running") != 0 ||
           (nd->host >= 0 && strcmp(x->hosts[nd->host].node.state, "ready") != 0);
}

/* The dead node's service goes; its old volume too when its host answers
 * (a replacement must start on an empty data dir, and a second volume of
 * that name would leave `up` not knowing which holds the data). */
static int remove_dead(sw_ctx *x, sw_node *victim, prov_error *err)
{
    const char *host = host_name(x, victim->host);
    if (victim->host >= 0 && x->hosts[victim->host].engine &&
        strcmp(x->hosts[victim->host].node.state, "ready") == 0)
        return backend_remove(x, &victim->g, err);
    eng_error e;
    if (docker_service_remove(x->mgr, victim->name, &e) != ENG_OK && !docker_not_found(&e))
        return prov_fail_engine(err, &e, "removing service %s", victim->name);
    fprintf(x->o->out, "  %-8s on %-10s service removed; its old volume %s stays on %s (its "
                       "engine does not answer): remove it there when the host is back\n",
            victim->name, host, victim->volume, host);
    fflush(x->o->out);
    return 0;
}

int swarm_replace(eng_client *mgr, const swarm_opts *so, const char *node, prov_error *err)
{
    const cluster_opts *o = so->cluster;
    sw_ctx x = {.mgr = mgr, .so = so, .o = o, .t0 = clock_now_s()};
    cluster_plan plan = {0};
    cluster_found found = {0};
    sw_node *nodes = NULL;
    int *data_on = NULL;
    int rc = open_cluster(&x, err);
    if (rc == 0)
        rc = ensure_secret(&x, err);
    if (rc != 0)
        goto out;
    unsigned index = node_index(o->prefix, node), max_index = 0;
    sw_node *victim = found_svc(&x, index);
    const char *running[CLUSTER_MAX_NODES];
    size_t n_running = 0;
    for (size_t i = 0; i < x.nsvc && rc == 0; i++) {
        sw_node *nd = &x.svc[i];
        max_index = nd->index > max_index ? nd->index : max_index;
        if (nd == victim)
            continue;
        if (node_dead(&x, nd) || !node_engine(&x, nd))
            rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: %s on %s %s: replace one node at a "
                           "time, with every other node running; nothing was changed", node,
                           nd->name, host_name(&x, nd->host),
                           node_dead(&x, nd) ? "is not running either"
                                             : "runs where the provisioner can't reach the engine "
                                               "(give it with --engine)");
        else if (n_running < CLUSTER_MAX_NODES)
            running[n_running++] = nd->task.addr;
    }
    sw_node *first = x.svc[0].index == index && x.nsvc > 1 ? &x.svc[1] : &x.svc[0];
    if (rc != 0)
        goto out;
    /* its service may be gone already (an earlier replace that failed) */
    if (index == 0 || (!victim && index > max_index + 1))
        rc = prov_fail(err, PROV_EXIT_FAIL, "replace: cluster '%s' has no node %s", o->prefix, node);
    else if (lifecycle_names_seed(first->seeds, node))
        rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: it is a seed (seeds: %s), and a seed "
                       "does not bootstrap: nothing was changed", node, first->seeds);
    else if (victim && !node_dead(&x, victim))
        rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: it runs on %s; replace is for a dead "
                       "node (`restart` restarts one); nothing was changed", node,
                       host_name(&x, victim->host));
    else if (n_running == 0)
        rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: no other node of cluster '%s' runs",
                       node, o->prefix);
    if (rc != 0)
        goto out;
    /* Its address, as the ring remembers it: the one dead row that is no
     * running node's. */
    char old_ip[64];
    if ((rc = lifecycle_dead_address(node_engine(&x, first), first->task.container_id,
                                     first->name, running, n_running, node, 120, o->poll_s,
                                     old_ip, sizeof old_ip, err)) != 0 ||
        (rc = pin_image(&x, err)) != 0 || (rc = ensure_network(&x, err)) != 0)
        goto out;
    fprintf(o->out, "cluster '%s' on the swarm of %s: replacing %s (dead, was %s%s%s) on a new "
                    "volume\n", o->prefix, eng_client_config(mgr)->host, node, old_ip,
            victim ? " on " : "", victim ? host_name(&x, victim->host) : "");
    fflush(o->out);
    if (victim) {
        if ((rc = remove_dead(&x, victim, err)) != 0)
            goto out;
        if (victim->host >= 0 && x.hosts[victim->host].load > 0)
            x.hosts[victim->host].load--;
        size_t k = (size_t)(victim - x.svc);
        memmove(victim, victim + 1, (x.nsvc - k - 1) * sizeof *victim);
        x.nsvc--;
    }

    /* The plan of `up` (its options) for the nodes as they are now, the
     * dead one to create with replace_address_first_boot. */
    if (index > max_index)
        max_index = index;
    /* (every remaining service runs: checked above) */
    nodes = calloc(x.nsvc + 1, sizeof *nodes);
    if (!nodes) {
        rc = prov_fail(err, PROV_EXIT_FAIL, "out of memory");
        goto out;
    }
    if ((rc = found_of_services(&x, max_index, &found, &data_on, err)) != 0)
        goto out;
    if (data_on[index - 1] != -1) {
        rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: its service is removed, but a volume "
                       "%s%u-data is still on %s: remove it there (docker volume rm) and run "
                       "replace again", node, o->prefix, index,
                       data_on[index - 1] >= 0 ? host_name(&x, data_on[index - 1]) : "several hosts");
        goto out;
    }
    cluster_opts po = *o;
    po.network = x.network;
    po.nodes = max_index;
    po.replace_address = old_ip;
    po.fresh = false;
    if ((rc = cluster_plan_make(&po, &found, &plan, err)) != 0)
        goto out;
    sw_node *nd = NULL;
    size_t nn = 0;
    for (size_t i = 0; i < plan.n; i++) {
        const cluster_node_plan *np = &plan.nodes[i];
        sw_node *f = found_svc(&x, np->index);
        if (!f && np->action != NODE_CREATE)
            continue;
        sw_node *m = &nodes[nn++];
        if (f) {
            *m = *f;
            m->g.started = m->g.waiting = true;
            m->g.probed = m->g.this_run = false;
            snprintf(m->g.ip, sizeof m->g.ip, "%s", m->task.addr);
        } else {
            nd = m;
            m->host = -1;
        }
        m->plan = np;
        m->index = np->index;
        snprintf(m->name, sizeof m->name, "%s", np->name);
        snprintf(m->volume, sizeof m->volume, "%s", np->volume);
    }
    if (!nd) {
        rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: the plan has no node to create", node);
        goto out;
    }
    swarm_slot *slots = calloc(x.nh ? x.nh : 1, sizeof *slots);
    if (!slots) {
        rc = prov_fail(err, PROV_EXIT_FAIL, "out of memory");
        goto out;
    }
    for (size_t h = 0; h < x.nh; h++)
        slots[h] = (swarm_slot){x.hosts[h].node.id, x.hosts[h].node.hostname,
                                x.hosts[h].unusable[0] ? x.hosts[h].unusable : NULL,
                                x.hosts[h].load};
    char why[1024];
    nd->host = swarm_choose(slots, x.nh, so->place, index, -1, why, sizeof why);
    free(slots);
    if (nd->host < 0) {
        rc = prov_fail(err, PROV_EXIT_FAIL, "replace %s: %s", node, why);
        goto out;
    }

    /* Cassandra may refuse a replacement at start while its peers still
     * gossip about the dead node (seen on one engine): up to 3 starts, each
     * on a fresh volume (replace_address_first_boot applies only to an
     * empty data dir). */
    for (int attempt = 1;; attempt++) {
        for (size_t i = 0; i < nn; i++)
            nodes[i].g.waiting = true;
        if ((rc = create_service(&x, nd, err)) != 0)
            break;
        fprintf(o->out, "  %-8s on %-10s created (volume %s new, "
                        "replace_address_first_boot=%s), starting\n",
                nd->name, host_name(&x, nd->host), nd->volume, old_ip);
        fflush(o->out);
        /* every node UN and no dead row left: the old address is gone */
        rc = wait_ready(&x, nodes, nn, plan.seeds, nd->name, false, err);
        if (rc == 0 || attempt == LIFECYCLE_REPLACE_ATTEMPTS || err->exit_code != PROV_EXIT_FAIL)
            break;
        lifecycle_replace_attempt_failed(o->out, node, attempt, err);
        prov_error gone = {0};
        if (backend_remove(&x, &nd->g, &gone) != 0)
            break; /* err still says why the start failed */
        fprintf(o->out, "  %-8s trying again on a fresh volume\n", node);
        fflush(o->out);
        memset(err, 0, sizeof *err);
        clock_sleep_s(10.0);
    }
    if (rc != 0)
        goto out;
    fprintf(o->out, "\n");
    print_ring(&x, &x.last, nodes, nn, o->out);
    fprintf(o->out, "\ncluster '%s': %s replaced on %s (its ranges streamed from the others) in "
                    "%.1f s\n", o->prefix, node, host_name(&x, nd->host), clock_now_s() - x.t0);
out:
    fflush(o->out);
    free(nodes);
    free(data_on);
    free(found.nodes);
    free(found.volume_exists);
    cluster_plan_free(&plan);
    ctx_free(&x);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* down                                                                     */

/* Names of the networks or volumes labelled for the cluster on an engine. */
static eng_status list_labelled(eng_client *c, const char *prefix, const char *kind, char ***names,
                                size_t *n, eng_error *e)
{
    char filter[160];
    snprintf(filter, sizeof filter, CLUSTER_LABEL_CLUSTER "=%s", prefix);
    const char *filters[] = {filter, NULL};
    return docker_names_by_label(c, kind, filters, names, n, e);
}

int swarm_down(eng_client *mgr, const swarm_opts *so, prov_error *err)
{
    const cluster_opts *o = so->cluster;
    sw_ctx x = {.mgr = mgr, .so = so, .o = o, .t0 = clock_now_s()};
    int rc;
    bool incomplete = false;
    if ((rc = open_swarm(&x, err)) != 0 || (rc = find_services(&x, err)) != 0)
        goto out;
    /* 1. drain the running nodes, all at once, each through its engine
     *    (provision/lifecycle.h) */
    gate_node *g[CLUSTER_MAX_NODES];
    size_t n_nodes = x.nsvc < CLUSTER_MAX_NODES ? x.nsvc : CLUSTER_MAX_NODES;
    for (size_t i = 0; i < n_nodes; i++) {
        sw_node *nd = &x.svc[i];
        g[i] = &nd->g;
        nd->g.name = nd->name;
        nd->g.host = host_name(&x, nd->host);
        nd->g.started = task_running(nd);
    }
    node_backend b = backend_of(&x);
    if ((rc = lifecycle_drain_all(&b, g, n_nodes, o->out, err)) != 0)
        goto out;
    /* 2. remove the services: swarm stops each task within its grace period */
    for (size_t i = 0; i < x.nsvc; i++) {
        eng_error e;
        if (docker_service_remove(mgr, x.svc[i].name, &e) != ENG_OK && !docker_not_found(&e)) {
            rc = prov_fail_engine(err, &e, "removing service %s", x.svc[i].name);
            goto out;
        }
        fprintf(o->out, "  %-8s on %-10s service removed\n", x.svc[i].name,
                host_name(&x, x.svc[i].host));
    }
    fflush(o->out);
    /* 3. wait for their containers to go from every engine we reach (the
     *    volumes and the network are in use until then) */
    char filter[160];
    snprintf(filter, sizeof filter, CLUSTER_LABEL_CLUSTER "=%s", o->prefix);
    const char *filters[] = {filter, NULL};
    double deadline = clock_now_s() + (o->stop_timeout > 0 ? o->stop_timeout : 10) + 60;
    for (size_t h = 0; h < x.nh; h++) {
        sw_host *sh = &x.hosts[h];
        if (!sh->engine)
            continue;
        for (;;) {
            docker_container_summary *list = NULL;
            size_t n = 0;
            eng_error e;
            if (docker_container_list(sh->engine, filters, true, &list, &n, &e) != ENG_OK) {
                fprintf(o->out, "  warning: listing containers on %s: %s\n", sh->node.hostname,
                        e.message);
                incomplete = true;
                break;
            }
            docker_container_list_free(list, n);
            if (n == 0)
                break;
            if (clock_now_s() > deadline) {
                fprintf(o->out, "  warning: %zu container(s) of cluster '%s' still on %s\n", n,
                        o->prefix, sh->node.hostname);
                incomplete = true;
                break;
            }
            clock_sleep_s(1.0);
        }
    }
    /* 4. the network (swarm scope: through the manager) */
    char **names = NULL;
    size_t nn = 0;
    eng_error e;
    if (list_labelled(mgr, o->prefix, "networks", &names, &nn, &e) != ENG_OK) {
        rc = prov_fail_engine(err, &e, "listing the networks of cluster '%s'", o->prefix);
        goto out;
    }
    for (size_t i = 0; i < nn; i++) {
        /* endpoints of removed tasks linger for a few seconds */
        double until = clock_now_s() + 60;
        eng_status st;
        while ((st = docker_network_remove(mgr, names[i], &e)) != ENG_OK && !docker_not_found(&e) &&
               clock_now_s() < until)
            clock_sleep_s(2.0);
        if (st != ENG_OK && !docker_not_found(&e)) {
            fprintf(o->out, "  warning: network %s not removed: %s\n", names[i], e.message);
            incomplete = true;
        } else {
            fprintf(o->out, "  network %s removed\n", names[i]);
        }
    }
    docker_names_free(names);
    /* 5. the volumes, on every engine we reach, when asked */
    for (size_t h = 0; o->volumes && h < x.nh; h++) {
        sw_host *sh = &x.hosts[h];
        if (!sh->engine) {
            fprintf(o->out, "  warning: %s: no engine to reach it: its volumes stay\n",
                    sh->node.hostname);
            incomplete = true;
            continue;
        }
        if (list_labelled(sh->engine, o->prefix, "volumes", &names, &nn, &e) != ENG_OK) {
            fprintf(o->out, "  warning: volumes on %s: %s\n", sh->node.hostname, e.message);
            incomplete = true;
            continue;
        }
        for (size_t i = 0; i < nn; i++) {
            double until = clock_now_s() + 30;
            eng_status st;
            while ((st = docker_volume_remove(sh->engine, names[i], false, &e)) != ENG_OK &&
                   docker_conflict(&e) && clock_now_s() < until)
                clock_sleep_s(1.0);
            if (st != ENG_OK && !docker_not_found(&e)) {
                fprintf(o->out, "  warning: volume %s on %s not removed: %s\n", names[i],
                        sh->node.hostname, e.message);
                incomplete = true;
            } else {
                fprintf(o->out, "  volume %s on %s removed\n", names[i], sh->node.hostname);
            }
        }
        docker_names_free(names);
    }
    fprintf(o->out, "cluster '%s' down in %.1f s%s\n", o->prefix, clock_now_s() - x.t0,
            o->volumes ? "" : " (data volumes kept; --volumes removes them)");
    rc = incomplete ? prov_fail(err, PROV_EXIT_FAIL,
                                   "cluster '%s': down did not remove everything "
                                   "(see the warnings above)",
                                   o->prefix)
                    : 0;
out:
    fflush(o->out);
    ctx_free(&x);
    return rc;
}
