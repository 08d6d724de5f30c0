/* provision/cluster: plan, bring up, inspect and take down a cluster on one
 * engine.  See cluster.h for the rules. */
#include "provision/cluster.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cassandra_version.h" /* generated from image/cassandra.version */
#include "provision/clock.h"
#include "provision/nodeexec.h"
#include "provision/ring.h"
#include "provision/tokens.h"

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

/* A growable NULL-terminated string list. */
typedef struct {
    char **v;
    size_t n, cap;
    bool nomem;
} strv;

static void strv_add(strv *s, char *owned)
{
    if (!owned) {
        s->nomem = true;
        return;
    }
    if (s->n + 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        char **nv = realloc(s->v, ncap * sizeof *nv);
        if (!nv) {
            free(owned);
            s->nomem = true;
            return;
        }
        s->v = nv;
        s->cap = ncap;
    }
    s->v[s->n++] = owned;
    s->v[s->n] = NULL;
}

static void strv_addf(strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void strv_addf(strv *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    if (vasprintf(&p, fmt, ap) < 0)
        p = NULL;
    va_end(ap);
    strv_add(s, p);
}

/* KEY=VALUE, replacing an entry with the same KEY: the last word wins, as a
 * user's -e must over the provisioner's own variables (duplicate keys in a
 * container's Env would leave the choice to the C library's getenv). */
static void strv_setenv(strv *s, const char *kv)
{
    size_t klen = strcspn(kv, "=");
    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->v[i], kv, klen) == 0 && s->v[i][klen] == '=') {
            char *p = strdup(kv);
            if (!p) {
                s->nomem = true;
                return;
            }
            free(s->v[i]);
            s->v[i] = p;
            return;
        }
    strv_add(s, strdup(kv));
}

static void strv_free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static bool valid_prefix(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || (i > 0 && (ch == '-' || ch == '_' || ch == '.'));
        if (!ok)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */

void cluster_opts_init(cluster_opts *o)
{
    memset(o, 0, sizeof *o);
    o->nodes = 3;
    o->image = "127.0.0.1:5000/cass-entry:" CASSANDRA_VERSION;
    o->prefix = "cass";
    o->num_tokens = 16;
    o->memory = 1536LL * 1024 * 1024;
    o->stop_timeout = 120;
    o->restart = "unless-stopped";
    o->publish_ip = "127.0.0.1";
    o->publish_port = 9042;
    o->node_timeout_s = 300;
    o->poll_s = 3;
    o->out = stdout;
}

/* ------------------------------------------------------------------------ */
/* The plan                                                                 */

static void plan_note(cluster_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void plan_note(cluster_plan *p, const char *fmt, ...)
{
    if (p->n_notes == sizeof p->notes / sizeof p->notes[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes[p->n_notes++], sizeof p->notes[0], fmt, ap);
    va_end(ap);
}

static const cluster_found_node *found_node(const cluster_found *f, unsigned index)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->nodes[i].index == index)
            return &f->nodes[i];
    return NULL;
}

static bool volume_exists(const cluster_found *f, unsigned index)
{
    return index >= 1 && index <= f->volumes_n && f->volume_exists[index - 1];
}

/* The environment and labels of a node to create. */
static int plan_node_spec(const cluster_opts *o, cluster_plan *p, cluster_node_plan *np,
                          prov_error *err)
{
    strv env = {0}, labels = {0};
    strv_addf(&env, "CASSANDRA_SEEDS=%s", p->seeds);
    strv_addf(&env, "CASSANDRA_CLUSTER_NAME=%s", p->cluster_name);
    strv_addf(&env, "CASSANDRA_NUM_TOKENS=%u", o->num_tokens);
    if (o->dc)
        strv_addf(&env, "CASSANDRA_DC=%s", o->dc);
    if (o->rack)
        strv_addf(&env, "CASSANDRA_RACK=%s", o->rack);
    if (o->jvm_extra_opts)
        strv_addf(&env, "JVM_EXTRA_OPTS=%s", o->jvm_extra_opts);
    if (np->initial_tokens) {
        size_t cap = TOKENS_TEXT_MAX(o->num_tokens);
        char *buf = malloc(cap);
        char terr[160];
        if (!buf) {
            env.nomem = true;
        } else if (tokens_format((unsigned)(p->n), o->num_tokens, np->index - 1, buf, cap, terr,
                                 sizeof terr) < 0) {
            free(buf);
            strv_free_list(env.v);
            return prov_fail(err, PROV_EXIT_USAGE, "initial tokens for %s: %s", np->name, terr);
        } else {
            strv_addf(&env, "CASSANDRA_CFG_YAML_INITIAL_TOKEN=%s", buf);
            free(buf);
        }
        strv_addf(&env, "CASSANDRA_CFG_YAML_AUTO_BOOTSTRAP=false");
        /* A brand-new ring has no state to learn: on its very first boot the
         * node need not wait for gossip to settle (cass-entry applies this
         * only while the data dir is empty, so never on a restart). */
        strv_addf(&env, "CASS_ENTRY_FIRST_BOOT_JVM_OPTS=-Dcassandra.skip_wait_for_gossip_to_settle=0");
    }
    if (o->auth_user) {
        strv_addf(&env, "CASSANDRA_USER=%s", o->auth_user);
        strv_addf(&env, "CASSANDRA_PASSWORD_FILE=" CLUSTER_PASSWORD_TARGET);
    }
    for (size_t i = 0; o->env && o->env[i]; i++)
        strv_setenv(&env, o->env[i]);

    strv_addf(&labels, CLUSTER_LABEL_CLUSTER "=%s", o->prefix);
    strv_addf(&labels, CLUSTER_LABEL_NODE "=%u", np->index);
    strv_addf(&labels, CLUSTER_LABEL_SEEDS "=%s", p->seeds);
    strv_addf(&labels, CLUSTER_LABEL_NAME "=%s", p->cluster_name);
    strv_addf(&labels, CLUSTER_LABEL_TOKENS "=%s", np->initial_tokens ? "true" : "false");
    strv_addf(&labels, CLUSTER_LABEL_NETWORK "=%s", p->network);
    if (env.nomem || labels.nomem) {
        strv_free_list(env.v);
        strv_free_list(labels.v);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    np->env = env.v;
    np->labels = labels.v;
    return 0;
}

int cluster_plan_make(const cluster_opts *o, const cluster_found *found, cluster_plan *p,
                      prov_error *err)
{
    memset(p, 0, sizeof *p);
    if (!valid_prefix(o->prefix))
        return prov_fail(err, PROV_EXIT_USAGE,
                            "--prefix '%s': use 1 to 40 letters, digits, '-', '_' or '.', starting "
                            "with a letter or digit",
                            o->prefix);
    if (o->nodes < 1 || o->nodes > CLUSTER_MAX_NODES)
        return prov_fail(err, PROV_EXIT_USAGE, "-n %u: the node count must be 1 to %d", o->nodes,
                            CLUSTER_MAX_NODES);
    if (o->num_tokens < 1 || o->num_tokens > TOKENS_MAX_PER_NODE)
        return prov_fail(err, PROV_EXIT_USAGE, "--num-tokens %u: must be 1 to %d", o->num_tokens,
                            TOKENS_MAX_PER_NODE);
    for (size_t i = 0; o->env && o->env[i]; i++) {
        const char *eq = strchr(o->env[i], '=');
        if (!eq || eq == o->env[i])
            return prov_fail(err, PROV_EXIT_USAGE, "-e '%s': expected KEY=VALUE", o->env[i]);
    }
    if (o->network)
        snprintf(p->network, sizeof p->network, "%s", o->network);
    else
        snprintf(p->network, sizeof p->network, "%s-net", o->prefix);

    /* The existing cluster: the lowest-numbered node speaks for it. */
    unsigned max_index = o->nodes;
    const cluster_found_node *first = NULL;
    for (size_t i = 0; i < found->n; i++) {
        const cluster_found_node *f = &found->nodes[i];
        if (f->index > max_index)
            max_index = f->index;
        if (!first || f->index < first->index)
            first = f;
    }
    const char *existing_name = first && first->cluster_name[0] ? first->cluster_name : NULL;
    if (o->cluster_name && existing_name && strcmp(o->cluster_name, existing_name) != 0)
        return prov_fail(
            err, PROV_EXIT_USAGE,
            "--cluster-name '%s': the existing cluster '%s' is named '%s' (every node "
            "of a cluster must have the same name)",
            o->cluster_name, o->prefix, existing_name);
    snprintf(p->cluster_name, sizeof p->cluster_name, "%s",
             o->cluster_name ? o->cluster_name : existing_name ? existing_name : "cass-entry");

    bool any_volume = false;
    unsigned old_volume = 0;
    for (unsigned i = 1; i <= o->nodes; i++)
        if (volume_exists(found, i) && !any_volume) {
            any_volume = true;
            old_volume = i;
        }
    if (o->fresh && found->n == 0 && any_volume)
        return prov_fail(
            err, PROV_EXIT_FAIL,
            "--fresh starts a brand-new cluster, but volume %s%u-data already exists "
            "(it holds a node's data and tokens): run `up` without --fresh to start "
            "that data again, or remove it first with `down --volumes`",
            o->prefix, old_volume);
    /* A brand-new cluster has no tokens anywhere, so every node can take its
     * own interleaved share at once: about 7x faster than one bootstrap after
     * the other (bench/results-provision.md), and ownership comes out even. */
    bool brand_new = found->n == 0 && !any_volume;
    p->all_at_once = brand_new && !o->sequential;

    if (p->all_at_once) {
        for (size_t i = 0; o->env && o->env[i]; i++)
            if (strncmp(o->env[i], "CASSANDRA_NUM_TOKENS=", 21) == 0) {
                if (o->fresh)
                    return prov_fail(err, PROV_EXIT_USAGE,
                                        "--fresh computes initial tokens for --num-tokens %u: set "
                                        "the count with --num-tokens, not -e CASSANDRA_NUM_TOKENS",
                                        o->num_tokens);
                p->all_at_once = false;
                plan_note(p, "-e CASSANDRA_NUM_TOKENS: the new nodes join one at a time (an "
                             "all-at-once start computes tokens for --num-tokens)");
                break;
            }
    }

    if (o->seeds && o->seeds[0])
        snprintf(p->seeds, sizeof p->seeds, "%s", o->seeds);
    else if (first && first->seeds[0])
        snprintf(p->seeds, sizeof p->seeds, "%s", first->seeds);
    else if (p->all_at_once) {
        size_t used = 0;
        for (unsigned i = 1; i <= o->nodes && used < sizeof p->seeds; i++) {
            int k = snprintf(p->seeds + used, sizeof p->seeds - used, "%s%s%u", i > 1 ? "," : "",
                             o->prefix, i);
            if (k < 0 || (size_t)k >= sizeof p->seeds - used)
                return prov_fail(err, PROV_EXIT_USAGE, "the seed list of %u nodes is too long",
                                    o->nodes);
            used += (size_t)k;
        }
    } else
        snprintf(p->seeds, sizeof p->seeds, "%s1", o->prefix);

    p->nodes = calloc(max_index, sizeof *p->nodes);
    if (!p->nodes)
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    bool creates = false;
    for (unsigned i = 1; i <= max_index; i++) {
        const cluster_found_node *f = found_node(found, i);
        if (!f && i > o->nodes)
            continue; /* a gap above -n: nothing exists, nothing wanted */
        cluster_node_plan *np = &p->nodes[p->n++];
        np->index = i;
        snprintf(np->name, sizeof np->name, "%s%u", o->prefix, i);
        snprintf(np->volume, sizeof np->volume, "%s%u-data", o->prefix, i);
        if (f) {
            np->action = f->running ? NODE_KEEP : NODE_START;
            if (i > o->nodes)
                plan_note(p, "%s exists beyond -n %u: left as it is (up never removes a node)",
                          np->name, o->nodes);
            continue;
        }
        np->action = NODE_CREATE;
        creates = true;
        np->volume_new = !volume_exists(found, i);
        np->initial_tokens = p->all_at_once;
    }
    /* Token computation needs the final node count, hence a second pass. */
    for (size_t k = 0; k < p->n; k++)
        if (p->nodes[k].action == NODE_CREATE && plan_node_spec(o, p, &p->nodes[k], err) != 0) {
            cluster_plan_free(p);
            return err->exit_code;
        }
    if (o->fresh && !p->all_at_once && creates)
        plan_note(p, "--fresh: cluster '%s' already exists, so its new nodes join one at a time "
                     "(normal bootstrap)", o->prefix);
    if (o->publish_node > 0) {
        if (o->publish_node > max_index) {
            cluster_plan_free(p);
            return prov_fail(err, PROV_EXIT_USAGE, "--publish=%u: the cluster has %u nodes",
                                o->publish_node, max_index);
        }
        for (size_t k = 0; k < p->n; k++)
            if (p->nodes[k].index == o->publish_node && p->nodes[k].action != NODE_CREATE)
                plan_note(p, "--publish: %s already exists and its ports are fixed; run `down` "
                             "and `up --publish` to publish them",
                          p->nodes[k].name);
    }
    return 0;
}

void cluster_plan_free(cluster_plan *p)
{
    for (size_t i = 0; p->nodes && i < p->n; i++) {
        strv_free_list(p->nodes[i].env);
        strv_free_list(p->nodes[i].labels);
    }
    free(p->nodes);
    p->nodes = NULL;
    p->n = 0;
}

/* ------------------------------------------------------------------------ */
/* What exists on the engine                                                */

static void found_free(cluster_found *f)
{
    free(f->nodes);
    free(f->volume_exists);
    memset(f, 0, sizeof *f);
}

/* The index N of "<prefix>N" from the node label; 0 when it is not one. */
unsigned cluster_label_index(char *const *labels)
{
    const char *v = docker_label_get(labels, CLUSTER_LABEL_NODE);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n == 0 || n > CLUSTER_MAX_NODES)
        return 0;
    return (unsigned)n;
}

static int cluster_label_filter(const cluster_opts *o, char *buf, size_t len)
{
    return snprintf(buf, len, CLUSTER_LABEL_CLUSTER "=%s", o->prefix);
}

/* The cluster's containers, in any state (docker_container_list_free them). */
static int cluster_containers(eng_client *c, const cluster_opts *o,
                              docker_container_summary **list, size_t *n, prov_error *err)
{
    char filter[160];
    cluster_label_filter(o, filter, sizeof filter);
    const char *filters[] = {filter, NULL};
    eng_error e;
    if (docker_container_list(c, filters, true, list, n, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "listing the containers of cluster '%s'", o->prefix);
    return 0;
}

/* The cluster's containers (any state) and which data volumes exist for
 * nodes 1..max(wanted, highest existing). */
static int find_cluster(eng_client *c, const cluster_opts *o, unsigned wanted, cluster_found *f,
                        prov_error *err)
{
    memset(f, 0, sizeof *f);
    docker_container_summary *list = NULL;
    size_t n = 0;
    int rc = cluster_containers(c, o, &list, &n, err);
    if (rc != 0)
        return rc;
    f->nodes = calloc(n ? n : 1, sizeof *f->nodes);
    if (!f->nodes) {
        docker_container_list_free(list, n);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    unsigned max_index = wanted;
    for (size_t i = 0; i < n; i++) {
        unsigned idx = cluster_label_index(list[i].labels);
        if (!idx)
            continue; /* labelled for the cluster but not a node: not ours to plan */
        cluster_found_node *fn = &f->nodes[f->n++];
        fn->index = idx;
        fn->running = strcmp(list[i].state, "running") == 0 ||
                      strcmp(list[i].state, "restarting") == 0;
        const char *s = docker_label_get(list[i].labels, CLUSTER_LABEL_SEEDS);
        snprintf(fn->seeds, sizeof fn->seeds, "%s", s ? s : "");
        s = docker_label_get(list[i].labels, CLUSTER_LABEL_NAME);
        snprintf(fn->cluster_name, sizeof fn->cluster_name, "%s", s ? s : "");
        if (idx > max_index)
            max_index = idx;
    }
    docker_container_list_free(list, n);
    f->volume_exists = calloc(max_index ? max_index : 1, sizeof *f->volume_exists);
    if (!f->volume_exists) {
        found_free(f);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    f->volumes_n = max_index;
    for (unsigned i = 1; i <= max_index; i++) {
        char vol[112];
        snprintf(vol, sizeof vol, "%s%u-data", o->prefix, i);
        eng_error e;
        if (docker_volume_exists(c, vol, &f->volume_exists[i - 1], &e) != ENG_OK) {
            found_free(f);
            return prov_fail_engine(err, &e, "looking for volume %s", vol);
        }
    }
    return 0;
}

/* The image must be on the engine; a reference that names a registry is
 * pulled from it when missing (what a swarm node would do). */
static int ensure_image(eng_client *c, const cluster_opts *o, prov_error *err)
{
    docker_image_info info = {0};
    eng_error e;
    if (docker_image_inspect(c, o->image, &info, &e) == ENG_OK) {
        docker_image_info_free(&info);
        return 0;
    }
    if (!docker_not_found(&e))
        return prov_fail_engine(err, &e, "looking for image %s", o->image);
    char registry[256];
    eng_registry_of_image(o->image, registry, sizeof registry);
    if (strcmp(registry, "docker.io") == 0)
        return prov_fail(
            err, PROV_EXIT_IMAGE,
            "image %s is not on the engine (%s): build it first (cass-provision build, "
            "or image/build.sh)",
            o->image, eng_client_config(c)->host);
    /* repo:tag -> repo, tag; a digest reference is pulled as a whole */
    char repo[512];
    snprintf(repo, sizeof repo, "%s", o->image);
    const char *tag = NULL;
    char *at = strchr(repo, '@');
    char *colon = strrchr(repo, ':');
    if (!at && colon && !strchr(colon, '/')) {
        *colon = '\0';
        tag = colon + 1;
    }
    fprintf(o->out, "image %s is not on the engine: pulling it from %s\n", o->image, registry);
    fflush(o->out);
    if (docker_image_pull(c, repo, tag, NULL, NULL, NULL, &e) != ENG_OK)
        return prov_fail(err, PROV_EXIT_IMAGE,
                            "image %s is not on the engine and pulling it failed: %s", o->image,
                            e.message);
    return 0;
}

/* The probe is a static binary answering in milliseconds: poll it often, so
 * the gate adds little to each node's own start time. */
#define PROBE_INTERVAL_S 0.5

/* ------------------------------------------------------------------------ */
/* Nodes at run time                                                        */

typedef struct {
    const cluster_node_plan *plan;
    bool started;      /* part of the ring we expect */
    bool waiting;      /* in the set being waited for */
    bool probed;       /* CQL answered */
    bool this_run;     /* started (or created) by this run */
    int restarts;      /* RestartCount when first seen running, -1 before */
    char ip[64];
    double t_start;
} live_node;

typedef struct {
    eng_client *c;
    const cluster_opts *o;
    const cluster_plan *p;
    live_node *nodes;  /* parallel to p->nodes */
    size_t n;
    double t0;         /* start of the command */
    struct ring last;  /* the ring that last passed the gate (printed at the end) */
} run_ctx;

/* A node that failed is stopped when this run started it, so it does not
 * loop in its restart policy; it is kept so its log can be read. */
static void stop_failed(run_ctx *x, live_node *ln, prov_error *err)
{
    if (!ln->this_run)
        return;
    eng_error e;
    if (docker_container_stop(x->c, ln->plan->name, 30, &e) == ENG_OK)
        prov_fail_append(err,
                            "\n%s was stopped and kept for inspection (docker logs %s); "
                            "`cass-provision down` removes it",
                            ln->plan->name, ln->plan->name);
    else
        prov_fail_append(err, "\nstopping %s failed too: %s", ln->plan->name, e.message);
}

/* Is the container still running?  Fills its address on our network. */
static int check_running(run_ctx *x, live_node *ln, prov_error *err)
{
    docker_container_info info = {0};
    eng_error e;
    if (docker_container_inspect(x->c, ln->plan->name, x->p->network, &info, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "inspecting %s", ln->plan->name);
    int rc = 0;
    /* Under a restart policy a crashing node comes back "running": a restart
     * since we first saw it counts as a stop. */
    bool restarted = ln->restarts >= 0 && info.restart_count > ln->restarts;
    if (info.running && !info.restarting && ln->restarts < 0)
        ln->restarts = info.restart_count;
    if (!info.running || info.restarting || restarted) {
        rc = prov_fail(
            err, PROV_EXIT_FAIL, "%s stopped while starting: container %s%s, exit status %d%s%s%s",
            ln->plan->name, info.status, restarted ? " (restarted by its policy)" : "",
            info.exit_code, info.oom_killed ? " (killed: out of memory)" : "",
            info.error[0] ? ", " : "", info.error);
        node_append_logs(x->c, ln->plan->name, ln->plan->name, err);
        stop_failed(x, ln, err);
    } else {
        snprintf(ln->ip, sizeof ln->ip, "%s", info.ip);
    }
    docker_container_info_free(&info);
    return rc;
}

/* Probe CQL inside the node: 0 answered, 1 not yet, -1 error (err filled).
 * Not an exit code: PROV_EXIT_FAIL is 1 too, and would read as "not yet". */
static int probe(run_ctx *x, live_node *ln, prov_error *err)
{
    eng_error e;
    int code = 0;
    switch (node_probe(x->c, ln->plan->name, &code, &e)) {
    case NODE_PROBE_ANSWERS:
        return 0;
    case NODE_PROBE_NOT_YET:
        return 1;
    case NODE_PROBE_CANT_RUN: {
        /* An exec that lands while the container is exiting gets 126 too:
         * a node that stopped is check_running's to report, with its log. */
        docker_container_info info;
        if (docker_container_inspect(x->c, ln->plan->name, x->p->network, &info, &e) == ENG_OK) {
            bool running = info.running && !info.restarting;
            docker_container_info_free(&info);
            if (!running)
                return 1;
        }
        prov_fail(err, PROV_EXIT_FAIL,
                     "%s: `cass-entry --probe` can't run in the container (exit status %d): is %s "
                     "a cass-entry image?",
                     ln->plan->name, code, x->o->image);
        return -1;
    }
    case NODE_PROBE_ERROR:
        break;
    }
    if (e.code == ENG_ERR_TIMEOUT || docker_conflict(&e))
        return 1; /* slow, or the container is between states: check_running decides */
    prov_fail_engine(err, &e, "probing %s", ln->plan->name);
    return -1;
}

/* Every started node's address, for ring_ready. */
static size_t started_addresses(run_ctx *x, const char **addr)
{
    size_t k = 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->nodes[i].started && x->nodes[i].ip[0])
            addr[k++] = x->nodes[i].ip;
    return k;
}

/* The first seed that is a started node of ours ("cass1" in "cass1,cass2"),
 * else the first started node: whose view of the ring the next node gets. */
static live_node *seed_node(run_ctx *x)
{
    const char *s = x->p->seeds;
    while (*s) {
        size_t len = strcspn(s, ",");
        for (size_t i = 0; i < x->n; i++)
            if (x->nodes[i].started && strlen(x->nodes[i].plan->name) == len &&
                strncmp(x->nodes[i].plan->name, s, len) == 0)
                return &x->nodes[i];
        s += len;
        while (*s == ',' || *s == ' ')
            s++;
    }
    for (size_t i = 0; i < x->n; i++)
        if (x->nodes[i].started)
            return &x->nodes[i];
    return NULL;
}

/*
 * Wait until every node marked `waiting` answers CQL and the ring, in the
 * view of each waiting node and of the first seed, has every started node UN
 * (ring_ready, with others_may_be_down as it says).  Progress: a line per
 * node when it is ready.
 */
static int wait_ready(run_ctx *x, const char *what, bool others_may_be_down, prov_error *err)
{
    const cluster_opts *o = x->o;
    double t_begin = clock_now_s(), next_ring = 0;
    char why[1024] = "no answer yet";
    size_t n_wait = 0, n_new = 0;
    for (size_t i = 0; i < x->n; i++) {
        n_wait += x->nodes[i].waiting;
        n_new += x->nodes[i].waiting && x->nodes[i].this_run;
    }
    for (;;) {
        bool all_probed = true;
        for (size_t i = 0; i < x->n; i++) {
            live_node *ln = &x->nodes[i];
            if (!ln->waiting || ln->probed)
                continue;
            if (check_running(x, ln, err) != 0)
                return err->exit_code;
            int rc = probe(x, ln, err);
            if (rc < 0)
                return err->exit_code;
            if (rc == 0) {
                ln->probed = true;
                if (n_wait > 1 && ln->this_run)
                    fprintf(o->out, "  %-8s CQL answers after %.1f s\n", ln->plan->name,
                            clock_now_s() - ln->t_start);
            } else {
                all_probed = false;
                snprintf(why, sizeof why, "%s does not answer CQL yet", ln->plan->name);
            }
        }
        fflush(o->out);
        if (all_probed && clock_now_s() >= next_ring) {
            next_ring = clock_now_s() + o->poll_s;
            const char *addr[CLUSTER_MAX_NODES + 1];
            size_t n_addr = started_addresses(x, addr);
            /* The first seed's view: a joining node learns the ring from the
             * seeds, so once the seed sees every started node UN the next
             * one may come; one nodetool JVM per check, not one per node. */
            live_node *view = seed_node(x);
            bool ready = false;
            struct ring ring = {0};
            eng_error e;
            int rc = view ? node_ring(x->c, view->plan->name, view->plan->name, &ring, why,
                                      sizeof why, &e)
                          : 1;
            if (rc < 0)
                return prov_fail_engine(err, &e, "nodetool status in %s", view->plan->name);
            if (rc == 0) {
                char w[900];
                ready = ring_ready(&ring, addr, n_addr, others_may_be_down, w, sizeof w);
                if (ready) {
                    ring_free(&x->last);
                    x->last = ring; /* the table printed at the end */
                } else {
                    snprintf(why, sizeof why, "in %s's view: %s", view->plan->name, w);
                    ring_free(&ring);
                }
            }
            if (ready) {
                for (size_t i = 0; i < x->n; i++) {
                    live_node *ln = &x->nodes[i];
                    if (!ln->waiting)
                        continue;
                    ln->waiting = false;
                    if (n_wait == 1 && ln->this_run)
                        fprintf(o->out,
                                "  %-8s ready after %5.1f s (UN, CQL answers)   total %6.1f s\n",
                                ln->plan->name, clock_now_s() - ln->t_start, clock_now_s() - x->t0);
                }
                if (n_wait > 1 || n_new == 0)
                    fprintf(o->out, "  %s: %zu x UN after %.1f s   total %.1f s\n", what, n_addr,
                            clock_now_s() - t_begin, clock_now_s() - x->t0);
                fflush(o->out);
                return 0;
            }
        }
        if (clock_now_s() - t_begin > o->node_timeout_s) {
            live_node *culprit = NULL;
            for (size_t i = 0; i < x->n; i++)
                if (x->nodes[i].waiting && (!culprit || (!x->nodes[i].probed && culprit->probed)))
                    culprit = &x->nodes[i];
            prov_fail(err, PROV_EXIT_FAIL, "%s: not ready within %d s (--timeout): %s",
                         culprit ? culprit->plan->name : what, o->node_timeout_s, why);
            if (culprit) {
                node_append_logs(x->c, culprit->plan->name, culprit->plan->name, err);
                stop_failed(x, culprit, err);
            }
            return err->exit_code;
        }
        clock_sleep_s(PROBE_INTERVAL_S);
    }
}

/* Create the volume (labelled) when new, then the container. */
static int create_node(run_ctx *x, live_node *ln, prov_error *err)
{
    const cluster_opts *o = x->o;
    const cluster_node_plan *np = ln->plan;
    eng_error e;
    if (np->volume_new) {
        char l1[160], l2[64];
        cluster_label_filter(o, l1, sizeof l1);
        snprintf(l2, sizeof l2, CLUSTER_LABEL_NODE "=%u", np->index);
        const char *labels[] = {l1, l2, NULL};
        if (docker_volume_create(x->c, np->volume, labels, &e) != ENG_OK)
            return prov_fail_engine(err, &e, "creating volume %s", np->volume);
    }
    docker_mount mounts[2] = {
        {.source = np->volume, .target = CLUSTER_DATA_DIR},
        {.source = o->auth_password_file, .target = CLUSTER_PASSWORD_TARGET, .bind = true, .read_only = true},
    };
    docker_port port = {.container_port = 9042, .host_ip = o->publish_ip,
                        .host_port = o->publish_port};
    const char *aliases[] = {np->name, NULL};
    docker_container_spec spec = {
        .name = np->name,
        .image = o->image,
        .hostname = np->name,
        .env = (const char *const *)np->env,
        .labels = (const char *const *)np->labels,
        .memory = o->memory,
        .memory_swap = o->memory ? o->memory : 0, /* no swap: a swapping JVM is worse than none */
        .stop_timeout = o->stop_timeout,
        .restart_policy = o->restart,
        .network = x->p->network,
        .aliases = aliases,
        .mounts = mounts,
        .n_mounts = o->auth_password_file ? 2 : 1,
        .ports = o->publish_node == np->index ? &port : NULL,
        .n_ports = o->publish_node == np->index ? 1 : 0,
    };
    if (docker_container_create(x->c, &spec, NULL, 0, &e) != ENG_OK) {
        if (docker_not_found(&e))
            return prov_fail(err, PROV_EXIT_IMAGE, "creating %s: %s", np->name, e.message);
        return prov_fail_engine(err, &e, "creating %s", np->name);
    }
    return 0;
}

static int start_node(run_ctx *x, live_node *ln, prov_error *err)
{
    eng_error e;
    ln->t_start = clock_now_s();
    if (docker_container_start(x->c, ln->plan->name, NULL, &e) != ENG_OK) {
        /* e.g. the published port is taken: the container exists but never ran */
        prov_fail_engine(err, &e, "starting %s", ln->plan->name);
        if (ln->this_run)
            prov_fail_append(err,
                                "\n%s was kept (never started); `cass-provision down` removes it",
                                ln->plan->name);
        return err->exit_code;
    }
    ln->started = true;
    ln->waiting = true;
    ln->probed = false;
    ln->restarts = -1;
    return 0;
}

/* The ring that passed the gate last, with our names, on o->out. */
static int print_ring(run_ctx *x, prov_error *err)
{
    if (x->last.count == 0)
        return prov_fail(err, PROV_EXIT_FAIL, "cluster '%s': no ring was read", x->o->prefix);
    for (size_t i = 0; i < x->n; i++)
        if (x->nodes[i].ip[0])
            ring_name(&x->last, x->nodes[i].ip, x->nodes[i].plan->name);
    ring_sort(&x->last);
    fprintf(x->o->out, "\n");
    ring_print(x->o->out, &x->last);
    fflush(x->o->out);
    return 0;
}

/* The network, created (labelled) when missing. */
static int ensure_network(run_ctx *x, prov_error *err)
{
    docker_network_info info;
    eng_error e;
    if (docker_network_inspect(x->c, x->p->network, &info, &e) == ENG_OK)
        return 0;
    if (!docker_not_found(&e))
        return prov_fail_engine(err, &e, "looking for network %s", x->p->network);
    char l1[160];
    cluster_label_filter(x->o, l1, sizeof l1);
    const char *labels[] = {l1, NULL};
    docker_network_spec spec = {.name = x->p->network, .labels = labels};
    if (docker_network_create(x->c, &spec, NULL, 0, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "creating network %s", x->p->network);
    fprintf(x->o->out, "network %s created (bridge)\n", x->p->network);
    return 0;
}

/* Ping first: an engine that does not answer is its own error (exit 3),
 * before anything is looked at or changed. */
static int connect_engine(eng_client *c, prov_error *err)
{
    eng_error e;
    if (docker_ping(c, NULL, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "the Docker engine does not answer");
    return 0;
}

int cluster_up(eng_client *c, const cluster_opts *o, prov_error *err)
{
    run_ctx x = {.c = c, .o = o, .t0 = clock_now_s()};
    cluster_found found = {0};
    cluster_plan plan = {0};
    int rc;
    if ((rc = connect_engine(c, err)) != 0)
        return rc;
    if ((rc = ensure_image(c, o, err)) != 0)
        return rc;
    if ((rc = find_cluster(c, o, o->nodes, &found, err)) != 0)
        return rc;
    rc = cluster_plan_make(o, &found, &plan, err);
    found_free(&found);
    if (rc != 0)
        return rc;
    x.p = &plan;
    x.n = plan.n;
    x.nodes = calloc(plan.n ? plan.n : 1, sizeof *x.nodes);
    if (!x.nodes) {
        cluster_plan_free(&plan);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    for (size_t i = 0; i < plan.n; i++)
        x.nodes[i].plan = &plan.nodes[i];
    for (size_t i = 0; i < plan.n_notes; i++)
        fprintf(o->out, "note: %s\n", plan.notes[i]);

    size_t n_keep = 0, n_start = 0, n_create = 0;
    for (size_t i = 0; i < plan.n; i++) {
        n_keep += plan.nodes[i].action == NODE_KEEP;
        n_start += plan.nodes[i].action == NODE_START;
        n_create += plan.nodes[i].action == NODE_CREATE;
    }
    fprintf(o->out, "cluster '%s' (%s) on %s: %zu running, %zu to start, %zu to create%s\n",
            o->prefix, plan.cluster_name, eng_client_config(c)->host, n_keep, n_start, n_create,
            plan.all_at_once ? " all at once (brand-new cluster)" : "");
    fflush(o->out);

    if ((rc = ensure_network(&x, err)) != 0)
        goto out;

    /* 1. Nodes with data: running ones are part of the ring; stopped ones
     *    and new containers on kept volumes have their tokens and do not
     *    bootstrap, so they start together, and peers not started yet may
     *    show as down meanwhile. */
    size_t n_restart = 0;
    for (size_t i = 0; i < x.n; i++) {
        live_node *ln = &x.nodes[i];
        const cluster_node_plan *np = ln->plan;
        ln->restarts = -1;
        if (np->action == NODE_KEEP) {
            ln->started = true;
            ln->waiting = true;
            ln->t_start = clock_now_s();
            n_restart++;
        } else if (np->action == NODE_START || (np->action == NODE_CREATE && !np->volume_new)) {
            ln->this_run = true;
            if (np->action == NODE_CREATE && (rc = create_node(&x, ln, err)) != 0)
                goto out;
            fprintf(o->out, "  %-8s %s, starting\n", np->name,
                    np->action == NODE_START ? "stopped, has its data"
                                             : "created on its kept volume, with its data");
            if ((rc = start_node(&x, ln, err)) != 0)
                goto out;
            n_restart++;
        }
    }
    if (n_restart > 0 && (rc = wait_ready(&x, "nodes with data", true, err)) != 0)
        goto out;

    /* 2. New nodes: all at once on a brand-new cluster (not --sequential), else
     *    one at a time, each gated on the ring. */
    if (plan.all_at_once) {
        for (size_t i = 0; i < x.n; i++) {
            live_node *ln = &x.nodes[i];
            ln->this_run = true;
            if ((rc = create_node(&x, ln, err)) != 0)
                goto out;
        }
        for (size_t i = 0; i < x.n; i++)
            if ((rc = start_node(&x, &x.nodes[i], err)) != 0)
                goto out;
        fprintf(o->out, "  %zu nodes started at once: every one a seed, its own %u tokens, "
                        "no bootstrap\n",
                x.n, o->num_tokens);
        fflush(o->out);
        if ((rc = wait_ready(&x, "ring", false, err)) != 0)
            goto out;
    } else {
        bool first_new = true;
        for (size_t i = 0; i < x.n; i++) {
            live_node *ln = &x.nodes[i];
            if (ln->plan->action != NODE_CREATE || !ln->plan->volume_new)
                continue;
            if (first_new && n_restart > 0) {
                /* Step 1 let down peers pass; a bootstrap needs every owner of
                 * its ranges up, so refuse now rather than time out later. */
                const char *addr[CLUSTER_MAX_NODES + 1];
                size_t n_addr = started_addresses(&x, addr);
                char why[900];
                if (!ring_ready(&x.last, addr, n_addr, false, why, sizeof why)) {
                    rc = prov_fail(
                        err, PROV_EXIT_FAIL,
                        "cannot add %s: %s; a joining node needs every node of the ring "
                        "up (consistent range movement): start the missing node again, "
                        "or remove it from the ring (nodetool removenode)",
                        ln->plan->name, why);
                    goto out;
                }
            }
            first_new = false;
            ln->this_run = true;
            if ((rc = create_node(&x, ln, err)) != 0)
                goto out;
            fprintf(o->out, "  %-8s created (volume %s new), starting\n", ln->plan->name,
                    ln->plan->volume);
            fflush(o->out);
            if ((rc = start_node(&x, ln, err)) != 0)
                goto out;
            if ((rc = wait_ready(&x, ln->plan->name, false, err)) != 0)
                goto out;
        }
    }
    rc = print_ring(&x, err);
    if (rc == 0) {
        fprintf(o->out, "\ncluster '%s' ready: %zu nodes in %.1f s\n", o->prefix, x.n,
                clock_now_s() - x.t0);
        if (o->publish_node > 0 && o->publish_node <= x.n &&
            x.nodes[o->publish_node - 1].plan->action == NODE_CREATE)
            fprintf(o->out, "CQL of %s published on %s:%u\n",
                    x.nodes[o->publish_node - 1].plan->name, o->publish_ip, o->publish_port);
    }
out:
    fflush(o->out);
    ring_free(&x.last);
    free(x.nodes);
    cluster_plan_free(&plan);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* status and down                                                          */

/* The cluster's node containers, sorted by index. */
typedef struct {
    unsigned index;
    char name[DOCKER_NAME_MAX];
    char state[16];
    char status[128];
    char network[128];
} node_row;

static int cmp_rows(const void *a, const void *b)
{
    const node_row *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

static int list_nodes(eng_client *c, const cluster_opts *o, node_row **rows, size_t *n,
                      prov_error *err)
{
    docker_container_summary *list = NULL;
    size_t ln = 0;
    *rows = NULL;
    *n = 0;
    int rc = cluster_containers(c, o, &list, &ln, err);
    if (rc != 0)
        return rc;
    *rows = calloc(ln ? ln : 1, sizeof **rows);
    if (!*rows) {
        docker_container_list_free(list, ln);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    for (size_t i = 0; i < ln; i++) {
        node_row *r = &(*rows)[*n];
        r->index = cluster_label_index(list[i].labels);
        if (!r->index)
            continue;
        snprintf(r->name, sizeof r->name, "%s", list[i].name);
        snprintf(r->state, sizeof r->state, "%s", list[i].state);
        snprintf(r->status, sizeof r->status, "%s", list[i].status);
        const char *net = docker_label_get(list[i].labels, CLUSTER_LABEL_NETWORK);
        snprintf(r->network, sizeof r->network, "%s", net ? net : "");
        (*n)++;
    }
    docker_container_list_free(list, ln);
    qsort(*rows, *n, sizeof **rows, cmp_rows);
    return 0;
}

int cluster_status(eng_client *c, const cluster_opts *o, prov_error *err)
{
    int rc;
    if ((rc = connect_engine(c, err)) != 0)
        return rc;
    node_row *rows;
    size_t n;
    if ((rc = list_nodes(c, o, &rows, &n, err)) != 0)
        return rc;
    if (n == 0) {
        free(rows);
        return prov_fail(err, PROV_EXIT_FAIL,
                            "no cluster '%s' on %s (no container labelled %s=%s)", o->prefix,
                            eng_client_config(c)->host, CLUSTER_LABEL_CLUSTER, o->prefix);
    }
    const node_row *view = NULL;
    for (size_t i = 0; i < n && !view; i++)
        if (strcmp(rows[i].state, "running") == 0)
            view = &rows[i];
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].state, "running") != 0)
            fprintf(o->out, "%-8s %s (%s)\n", rows[i].name, rows[i].state, rows[i].status);
    if (!view) {
        free(rows);
        return prov_fail(err, PROV_EXIT_FAIL, "no node of cluster '%s' is running", o->prefix);
    }
    struct ring ring = {0};
    char why[1024];
    eng_error e;
    rc = node_ring(c, view->name, view->name, &ring, why, sizeof why, &e);
    if (rc < 0) {
        free(rows);
        return prov_fail_engine(err, &e, "nodetool status in %s", view->name);
    }
    if (rc > 0) {
        free(rows);
        return prov_fail(err, PROV_EXIT_FAIL, "%s: %s", view->name, why);
    }
    for (size_t i = 0; i < n; i++) {
        docker_container_info info = {0};
        const char *net = rows[i].network[0] ? rows[i].network : NULL;
        if (docker_container_inspect(c, rows[i].name, net, &info, &e) == ENG_OK) {
            if (info.ip[0])
                ring_name(&ring, info.ip, rows[i].name);
            docker_container_info_free(&info);
        }
    }
    ring_sort(&ring);
    ring_print(o->out, &ring);
    fflush(o->out);
    size_t up = 0;
    for (size_t i = 0; i < ring.count; i++)
        up += ring.nodes[i].status == 'U' && ring.nodes[i].state == 'N';
    rc = 0;
    if (up != ring.count || up < n)
        rc = prov_fail(err, PROV_EXIT_FAIL, "cluster '%s': %zu of %zu nodes UN", o->prefix, up,
                          n);
    ring_free(&ring);
    free(rows);
    return rc;
}

/* Names of the networks or volumes (kind) labelled for the cluster. */
static int list_labelled(eng_client *c, const cluster_opts *o, const char *kind, char ***names,
                         size_t *n, prov_error *err)
{
    char filter[160];
    cluster_label_filter(o, filter, sizeof filter);
    const char *filters[] = {filter, NULL};
    eng_error e;
    if (docker_names_by_label(c, kind, filters, names, n, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "listing the %s of cluster '%s'", kind, o->prefix);
    return 0;
}

int cluster_down(eng_client *c, const cluster_opts *o, prov_error *err)
{
    int rc;
    double t0 = clock_now_s();
    if ((rc = connect_engine(c, err)) != 0)
        return rc;
    node_row *rows;
    size_t n;
    if ((rc = list_nodes(c, o, &rows, &n, err)) != 0)
        return rc;
    /* 1. drain: flush memtables, stop accepting writes, so nothing is left
     *    to replay from the commit log at the next start; all nodes at once */
    node_drain *drains = calloc(n ? n : 1, sizeof *drains);
    if (!drains) {
        free(rows);
        return prov_fail(err, PROV_EXIT_FAIL, "out of memory");
    }
    size_t n_drains = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].state, "running") == 0)
            drains[n_drains++] = (node_drain){.engine = c, .container = rows[i].name};
    node_drain_all(drains, n_drains, NODE_DRAIN_TIMEOUT_MS);
    for (size_t i = 0; i < n_drains; i++) {
        if (drains[i].result == 0)
            fprintf(o->out, "  %-8s drained in %.1f s\n", drains[i].container, drains[i].seconds);
        else
            fprintf(o->out, "  %-8s warning: not drained (%s); stopping it anyway\n",
                    drains[i].container, drains[i].why);
    }
    free(drains);
    fflush(o->out);
    /* 2. stop (the container's own stop timeout) and remove */
    for (size_t i = 0; i < n; i++) {
        eng_error e;
        if (strcmp(rows[i].state, "running") == 0 &&
            docker_container_stop(c, rows[i].name, -1, &e) != ENG_OK && !docker_not_found(&e)) {
            free(rows);
            return prov_fail_engine(err, &e, "stopping %s", rows[i].name);
        }
        if (docker_container_remove(c, rows[i].name, true, false, &e) != ENG_OK &&
            !docker_not_found(&e)) {
            free(rows);
            return prov_fail_engine(err, &e, "removing %s", rows[i].name);
        }
        fprintf(o->out, "  %-8s removed\n", rows[i].name);
        fflush(o->out);
    }
    free(rows);
    /* 3. the network(s), then the volumes when asked */
    char **nets = NULL, **vols = NULL;
    size_t n_nets = 0, n_vols = 0;
    if ((rc = list_labelled(c, o, "networks", &nets, &n_nets, err)) != 0)
        goto out;
    for (size_t i = 0; i < n_nets; i++) {
        eng_error e;
        if (docker_network_remove(c, nets[i], &e) != ENG_OK && !docker_not_found(&e)) {
            rc = prov_fail_engine(err, &e, "removing network %s", nets[i]);
            goto out;
        }
        fprintf(o->out, "  network %s removed\n", nets[i]);
    }
    if ((rc = list_labelled(c, o, "volumes", &vols, &n_vols, err)) != 0)
        goto out;
    for (size_t i = 0; o->volumes && i < n_vols; i++) {
        eng_error e;
        if (docker_volume_remove(c, vols[i], false, &e) != ENG_OK && !docker_not_found(&e)) {
            rc = prov_fail_engine(err, &e, "removing volume %s", vols[i]);
            goto out;
        }
        fprintf(o->out, "  volume %s removed\n", vols[i]);
    }
    if (!o->volumes && n_vols > 0)
        fprintf(o->out, "  %zu data volume(s) kept (%s1-data...); `down --volumes` removes them\n",
                n_vols, o->prefix);
    fprintf(o->out, "cluster '%s' down in %.1f s (%zu node(s))\n", o->prefix, clock_now_s() - t0,
            n);
out:
    fflush(o->out);
    docker_names_free(nets);
    docker_names_free(vols);
    return rc;
}
