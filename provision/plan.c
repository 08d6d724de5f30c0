/* provision/plan: see plan.h. */
#include "provision/plan.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cassandra_version.h" /* generated from image/cassandra.version */
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
    if (o->replace_address) /* cass-entry applies it on the first boot only (no data yet) */
        strv_addf(&env, "CASS_ENTRY_FIRST_BOOT_JVM_OPTS=-Dcassandra.replace_address_first_boot=%s",
                  o->replace_address);
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
    if (o->tls_dir) {
        /* every connection encrypted, every peer and client with a
         * certificate of the cluster's CA */
        strv_addf(&env, "CASSANDRA_TLS_CERT_FILE=" CLUSTER_TLS_CERT_TARGET);
        strv_addf(&env, "CASSANDRA_TLS_KEY_FILE=" CLUSTER_TLS_KEY_TARGET);
        strv_addf(&env, "CASSANDRA_TLS_CA_FILE=" CLUSTER_TLS_CA_TARGET);
        strv_addf(&env, "CASSANDRA_CLIENT_ENCRYPTION=required");
        strv_addf(&env, "CASSANDRA_CLIENT_AUTH=true");
        strv_addf(&env, "CASSANDRA_INTERNODE_ENCRYPTION=all");
    }
    for (size_t i = 0; o->env && o->env[i]; i++)
        strv_setenv(&env, o->env[i]);

    strv_addf(&labels, CLUSTER_LABEL_CLUSTER "=%s", o->prefix);
    strv_addf(&labels, CLUSTER_LABEL_NODE "=%u", np->index);
    strv_addf(&labels, CLUSTER_LABEL_SEEDS "=%s", p->seeds);
    strv_addf(&labels, CLUSTER_LABEL_NAME "=%s", p->cluster_name);
    strv_addf(&labels, CLUSTER_LABEL_TOKENS "=%s", np->initial_tokens ? "true" : "false");
    strv_addf(&labels, CLUSTER_LABEL_NETWORK "=%s", p->network);
    strv_addf(&labels, CLUSTER_LABEL_TLS "=%s", o->tls_dir ? "on" : "off");
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
    /* New nodes speak as the cluster does: TLS or not, never a mix (a node
     * without TLS can't talk to one that requires it). */
    if (creates && first && first->tls != (o->tls_dir != NULL)) {
        cluster_plan_free(p);
        return prov_fail(err, PROV_EXIT_USAGE,
                         first->tls ? "cluster '%s' runs with TLS: its new nodes need it too (give --tls)"
                                    : "cluster '%s' runs without TLS, and --tls can't be added to "
                                      "it node by node (`down`, then `up --tls` on new volumes)",
                         o->prefix);
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
/* Pinned node addresses                                                    */

/* "a.b.c.d/p" -> the network's address (host bits cleared) and p. */
static int parse_cidr(const char *cidr, uint32_t *net, unsigned *prefix)
{
    unsigned a, b, c, d, p;
    char tail;
    if (sscanf(cidr, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &p, &tail) != 5 || a > 255 || b > 255 ||
        c > 255 || d > 255 || p > 32)
        return -1;
    uint32_t mask = p ? 0xffffffffu << (32 - p) : 0;
    *net = ((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d) & mask;
    *prefix = p;
    return 0;
}

static void format_ip(uint32_t ip, char *out, size_t len)
{
    snprintf(out, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

int cluster_lower_half(const char *subnet, char *range, size_t len)
{
    uint32_t net;
    unsigned p;
    if (parse_cidr(subnet, &net, &p) != 0 || p < 1 || p > 28)
        return -1;
    char ip[16];
    format_ip(net, ip, sizeof ip);
    int n = snprintf(range, len, "%s/%u", ip, p + 1);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int cluster_node_address(const char *subnet, const char *range, unsigned index, char *out,
                         size_t len)
{
    char want[64];
    uint32_t net;
    unsigned p;
    if (cluster_lower_half(subnet, want, sizeof want) != 0 || strcmp(want, range) != 0 ||
        parse_cidr(subnet, &net, &p) != 0)
        return -1;
    uint32_t half = 1u << (31 - p);          /* addresses in the upper half */
    if (index == 0 || index >= half - 1)     /* not its first (.128) nor its broadcast */
        return -1;
    format_ip(net + half + index, out, len);
    return 0;
}
