/* configure.c: see configure.h. */
#include "entrypoint/configure.h"
#include "entrypoint/error.h"

#include "yamlpatch/udiff.h"
#include "yamlpatch/yamlpatch.h"
#include "yamlpatch/yp_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* ---- small helpers ---------------------------------------------------- */

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static bool push_string(char ***list, size_t *n, char *s)
{
    if (!s) return false;
    char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l) {
        free(s);
        return false;
    }
    l[(*n)++] = s;
    *list = l;
    return true;
}

__attribute__((format(printf, 2, 3))) static void plan_log(conf_plan *plan, const char *fmt, ...)
{
    va_list ap;
    char *line = NULL;
    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0) line = NULL;
    va_end(ap);
    if (!push_string(&plan->log, &plan->n_log, line)) plan->lost = true;
}

/* ---- is the conf dir input only? -------------------------------------- */

/* A bind mount of the dir, or of a file in it, shows as a mount point in
 * /proc/self/mountinfo (5th field).  1 yes, 0 no (or no /proc), -1 the table
 * could not be read for want of memory. */
static int has_mount_under(const char *dir)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return errno == ENOMEM ? -1 : 0;
    char line[4096];
    size_t dlen = strlen(dir);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *save = NULL, *field = strtok_r(line, " ", &save);
        for (int i = 1; field && i < 5; i++) field = strtok_r(NULL, " ", &save);
        if (field && strncmp(field, dir, dlen) == 0 && (field[dlen] == '\0' || field[dlen] == '/'))
            found = true;
    }
    fclose(f);
    return found;
}

/* Sets *why to the reason the conf dir must not be written (NULL: it may be).
 * False when that could not be decided for want of memory: guessing would
 * write to a bind mount, or copy for nothing. */
static bool input_only_reason(const char *dir, const char **why)
{
    *why = NULL;
    char real[4096];
    if (!realpath(dir, real)) return errno != ENOMEM; /* a missing dir is reported later */
    struct statvfs vfs;
    if (statvfs(real, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
        *why = "on a read-only mount";
        return true;
    }
    int mounted = has_mount_under(real);
    if (mounted < 0) return false;
    if (mounted) {
        *why = "bind-mounted (input only: never written)";
        return true;
    }
    char *yaml = join_path(real, "cassandra.yaml");
    if (!yaml) return false;
    bool writable = access(real, W_OK) == 0 && access(yaml, W_OK) == 0;
    free(yaml);
    if (!writable) *why = "not writable by this user";
    return true;
}

/* ---- cassandra.yaml ------------------------------------------------------ */

static yp_value_type yp_type_of(settings_value_type t)
{
    switch (t) {
    case SETTINGS_VALUE_INT: return YP_VALUE_INT;
    case SETTINGS_VALUE_BOOL: return YP_VALUE_BOOL;
    case SETTINGS_VALUE_RAW: return YP_VALUE_YAML;
    case SETTINGS_VALUE_NULL: return YP_VALUE_NULL;
    default: return YP_VALUE_STRING;
    }
}

static int yaml_error(entry_error *err, const char *file, const settings_edit *e,
                      const yp_error *ye)
{
    if (ye->code == YP_ERR_NOMEM) return entry_fail(err, EX_OSERR, "%s: out of memory", file);
    if (ye->line)
        return entry_fail(err, EX_CONFIG, "%s:%lu:%lu: %s (from %s)", file, ye->line,
                      ye->column, ye->message, e ? e->origin : "the file");
    return entry_fail(err, EX_CONFIG, "%s: %s (from %s)", file, ye->message,
                  e ? e->origin : "the file");
}

static yp_edit to_yp_edit(const settings_edit *e)
{
    return (yp_edit){ .path = e->path, .value = e->value ? e->value : "",
                      .type = yp_type_of(e->type),
                      .flags = YP_SET_UNCOMMENT | (e->if_present ? YP_SET_EXISTING : 0) };
}

/* A clearing edit (SETTINGS_VALUE_NULL) only counts where the file sets the
 * key to something. */
static bool worth_applying(const settings_edit *e, yp_status have, const char *old)
{
    if (e->type != SETTINGS_VALUE_NULL) return true;
    return have == YP_OK && old[0] && strcmp(old, "null") != 0 && strcmp(old, "~") != 0;
}

/* Apply the edits as one yamlpatch batch (one re-parse, all or nothing), then
 * log each value that changed. */
static int apply_resolved(yp_doc *doc, const char *file, const settings_edit *es, size_t n,
                          conf_plan *plan, entry_error *err)
{
    char **olds = calloc(n ? n : 1, sizeof *olds);
    yp_status *have = calloc(n ? n : 1, sizeof *have);
    yp_edit *edits = calloc(n ? n : 1, sizeof *edits);
    bool *used = calloc(n ? n : 1, sizeof *used);
    int rc = 0;
    if (!olds || !have || !edits || !used)
        rc = entry_fail(err, EX_OSERR, "out of memory");
    size_t k = 0;
    yp_error ye;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        have[i] = yp_get(doc, es[i].path, &olds[i], NULL, &ye);
        used[i] = worth_applying(&es[i], have[i], olds[i]);
        if (used[i]) edits[k++] = to_yp_edit(&es[i]);
    }
    if (rc == 0 && yp_apply(doc, edits, k, &ye) != YP_OK) {
        /* name the variable behind the failing edit: try them one by one (the
         * batch changed nothing) */
        const settings_edit *culprit = NULL;
        yp_error one = ye;
        for (size_t i = 0; i < n && !culprit; i++) {
            yp_edit e = to_yp_edit(&es[i]);
            if (used[i] && yp_apply(doc, &e, 1, &one) != YP_OK) culprit = &es[i];
        }
        rc = yaml_error(err, file, culprit, culprit ? &one : &ye);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *now = NULL;
        const settings_edit *e = &es[i];
        if (used[i] && yp_get(doc, e->path, &now, NULL, &ye) == YP_OK &&
            (have[i] != YP_OK || strcmp(olds[i], now) != 0)) {
            const char *shown_old = have[i] != YP_OK ? "(unset)" : e->secret ? "***" : olds[i];
            const char *shown_new = e->secret ? "***" : e->type == SETTINGS_VALUE_NULL ? "null" : now;
            plan_log(plan, "%s: %s: %s -> %s (%s)", file, e->path, shown_old, shown_new, e->origin);
        }
        free(now);
    }
    for (size_t i = 0; olds && i < n; i++) free(olds[i]);
    free(olds);
    free(have);
    free(edits);
    free(used);
    return rc;
}

/* Does edit path `p` write `target` or something inside it? */
static bool path_within(const char *p, const char *target)
{
    size_t n = strlen(target);
    return strncmp(p, target, n) == 0 && (p[n] == '\0' || p[n] == '.' || p[n] == '[');
}

/* The edits as they apply to this file: a class_name_if_map edit whose key
 * holds a map becomes KEY.class_name; one that another edit (an override,
 * later in the list) already writes is dropped.  *owned holds the paths
 * made here (free them after). */
static int resolve_class_names(yp_doc *doc, const settings_edit *es, size_t n,
                               settings_edit *out, size_t *n_out, char **owned)
{
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        settings_edit e = es[i];
        owned[i] = NULL;
        if (e.class_name_if_map) {
            bool is_scalar = true;
            char *old = NULL;
            yp_error ye;
            if (yp_get(doc, e.path, &old, &is_scalar, &ye) == YP_OK && !is_scalar) {
                size_t len = strlen(e.path) + sizeof ".class_name";
                if (!(owned[i] = malloc(len))) {
                    free(old);
                    return -1;
                }
                snprintf(owned[i], len, "%s.class_name", e.path);
                e.path = owned[i];
            }
            free(old);
            bool overridden = false;
            for (size_t j = i + 1; j < n && !overridden; j++)
                overridden = path_within(es[j].path, e.path) || path_within(e.path, es[j].path);
            if (overridden)
                continue;
        }
        out[(*n_out)++] = e;
    }
    return 0;
}

static int apply_edits(yp_doc *doc, const char *file, const settings_edit *given, size_t n_given,
                       conf_plan *plan, entry_error *err)
{
    settings_edit *es = calloc(n_given ? n_given : 1, sizeof *es);
    char **owned = calloc(n_given ? n_given : 1, sizeof *owned);
    size_t n = 0;
    if (!es || !owned || resolve_class_names(doc, given, n_given, es, &n, owned) != 0) {
        for (size_t i = 0; owned && i < n_given; i++) free(owned[i]);
        free(owned);
        free(es);
        return entry_fail(err, EX_OSERR, "out of memory");
    }
    int rc = apply_resolved(doc, file, es, n, plan, err);
    for (size_t i = 0; i < n_given; i++) free(owned[i]);
    free(owned);
    free(es);
    return rc;
}
static bool edits_path(const settings *s, const char *path)
{
    for (size_t i = 0; i < s->n_edits; i++)
        if (strcmp(s->edits[i].path, path) == 0) return true;
    return false;
}

bool configure_dir_has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool any = false;
    while (!any && (e = readdir(d)))
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

/* DC/rack only count with a snitch that reads cassandra-rackdc.properties. */
static int choose_snitch(yp_doc *doc, const settings *s, const char *data_dir, conf_plan *plan,
                         entry_error *err)
{
    if ((!s->dc.value && !s->rack.value) || edits_path(s, "endpoint_snitch")) return 0;
    char *snitch = NULL;
    yp_error ye;
    if (yp_get(doc, "endpoint_snitch", &snitch, NULL, &ye) != YP_OK) snitch = strdup("");
    bool reads_rackdc = snitch && (strstr(snitch, "GossipingPropertyFileSnitch") ||
                                   strstr(snitch, "Ec2") || strstr(snitch, "GoogleCloud") ||
                                   strstr(snitch, "Azure") || strstr(snitch, "Alibaba") ||
                                   strstr(snitch, "CloudstackSnitch"));
    int rc = 0;
    if (!reads_rackdc) {
        if (configure_dir_has_entries(data_dir)) {
            plan_log(plan, "warning: CASSANDRA_DC/CASSANDRA_RACK are set but endpoint_snitch %s "
                     "ignores them; this node has data in %s, so the snitch is left alone "
                     "(changing a live node's snitch is unsafe)", snitch ? snitch : "?", data_dir);
        } else {
            settings_edit e = { .path = "endpoint_snitch", .value = "GossipingPropertyFileSnitch",
                                .type = SETTINGS_VALUE_STRING,
                                .origin = "CASSANDRA_DC/CASSANDRA_RACK: the snitch must read "
                                          "cassandra-rackdc.properties; no data yet" };
            rc = apply_edits(doc, "cassandra.yaml", &e, 1, plan, err);
        }
    }
    free(snitch);
    return rc;
}

/* ---- cassandra-rackdc.properties --------------------------------------- */

/* Set `key=value` on its own line, keeping every other line (and a commented
 * one) as it is; append when absent. */
static char *set_property(const char *text, size_t len, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    char *out = malloc(len + klen + vlen + 4);
    if (!out) return NULL;
    size_t o = 0;
    bool done = false;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        const char *q = p;
        while (q < p + l && (*q == ' ' || *q == '\t')) q++;
        const char *r = q + klen;
        while (r < p + l && (*r == ' ' || *r == '\t')) r++;
        if (!done && (size_t)(p + l - q) > klen && memcmp(q, key, klen) == 0 && *r == '=') {
            o += (size_t)sprintf(out + o, "%s=%s%s", key, value, nl ? "\n" : "");
            done = true;
        } else {
            memcpy(out + o, p, l);
            o += l;
        }
        p += l;
    }
    if (!done) {
        if (o > 0 && out[o - 1] != '\n') out[o++] = '\n';
        o += (size_t)sprintf(out + o, "%s=%s\n", key, value);
    }
    out[o] = '\0';
    return out;
}

/* ---- the plan ----------------------------------------------------------- */

static int add_change(conf_plan *plan, const char *dir, const char *name, char *before,
                      size_t before_len, char *after, size_t after_len)
{
    if (before_len == after_len && memcmp(before, after, before_len) == 0) {
        free(before);
        free(after);
        return 0;
    }
    conf_change *c = realloc(plan->changes, (plan->n_changes + 1) * sizeof *c);
    if (!c) {
        free(before);
        free(after);
        return -1;
    }
    plan->changes = c;
    c[plan->n_changes++] = (conf_change){ join_path(dir, name), strdup(name), before, after,
                                          before_len, after_len, 0, false };
    return c[plan->n_changes - 1].path && c[plan->n_changes - 1].name ? 0 : -1;
}

/* The edited document must still name seeds for Cassandra's own seed
 * provider: an override such as --set 'seed_provider=[]' must not slip past
 * the rule that an empty seed list is a 78.  A custom provider is its owner's
 * business. */
static int check_seeds(const yp_doc *doc, const char *path, entry_error *err)
{
    char *cls = NULL, *seeds = NULL;
    bool scalar;
    yp_error ye;
    int rc = 0;
    if (yp_get(doc, "seed_provider[0].class_name", &cls, &scalar, &ye) == YP_OK && cls &&
        !strstr(cls, "SimpleSeedProvider")) {
        free(cls);
        return 0;
    }
    yp_status st = yp_get(doc, "seed_provider[0].parameters[0].seeds", &seeds, &scalar, &ye);
    if (st == YP_ERR_NOMEM)
        rc = entry_fail(err, EX_OSERR, "out of memory");
    else if (st != YP_OK || !scalar || !seeds || strspn(seeds, " ,") == strlen(seeds))
        rc = entry_fail(err, EX_CONFIG,
                    "%s: after the edits seed_provider names no seed "
                    "(seed_provider[0].parameters[0].seeds): check --set and CASSANDRA_CFG_YAML_SEED_PROVIDER",
                    path);
    free(cls);
    free(seeds);
    return rc;
}

/* The authenticator the edited file names: `authenticator: X`, or from 5.0
 * on `authenticator:` with `class_name: X` under it. */
static int read_authenticator(const yp_doc *doc, conf_plan *plan, entry_error *err)
{
    char *value = NULL;
    bool scalar = false;
    yp_error ye;
    yp_status st = yp_get(doc, "authenticator", &value, &scalar, &ye);
    if (st == YP_OK && !scalar) {
        free(value);
        value = NULL;
        st = yp_get(doc, "authenticator.class_name", &value, &scalar, &ye);
    }
    if (st == YP_ERR_NOMEM) return entry_fail(err, EX_OSERR, "out of memory");
    if (st != YP_OK) value = NULL; /* no such key: none */
    plan->authenticator = value ? value : strdup("");
    return plan->authenticator ? 0 : entry_fail(err, EX_OSERR, "out of memory");
}

/* TLS's edits (tls.h), pointing at the files in the conf dir Cassandra reads. */
static int apply_tls_edits(yp_doc *doc, const char *file, const settings *s,
                           const tls_material *tls, conf_plan *plan, entry_error *err)
{
    char *ks = join_path(plan->conf_dir, tls->pkcs12 ? TLS_P12_KEYSTORE_NAME : TLS_KEYSTORE_NAME);
    char *ts = join_path(plan->conf_dir,
                         tls->pkcs12 ? TLS_P12_TRUSTSTORE_NAME : TLS_TRUSTSTORE_NAME);
    settings_edit *edits = NULL;
    size_t n = 0;
    int rc = 0;
    if (!ks || !ts)
        rc = entry_fail(err, EX_OSERR, "out of memory");
    else if (!tls_edits(&s->tls, tls, ks, ts, &edits, &n, err))
        rc = err->code;
    else
        rc = apply_edits(doc, file, edits, n, plan, err);
    tls_edits_free(edits, n);
    free(ks);
    free(ts);
    return rc;
}

static int plan_yaml(const settings *s, const char *data_dir, const tls_material *tls,
                     conf_plan *plan, entry_error *err)
{
    char *path = join_path(plan->source_dir, "cassandra.yaml"), *bytes;
    size_t len;
    yp_error ye;
    if (!path)
        return entry_fail(err, EX_OSERR, "out of memory");
    if (yp_file_read(path, &bytes, &len, &ye) != YP_OK) {
        free(path);
        return entry_fail(err, ye.code == YP_ERR_NOMEM ? EX_OSERR : EX_IOERR, "%s",
                      ye.message);
    }
    yp_doc *doc = yp_doc_load(bytes, len, false, &ye);
    int rc = 0;
    if (!doc) {
        rc = ye.code == YP_ERR_NOMEM ? entry_fail(err, EX_OSERR, "out of memory")
                                     : entry_fail(err, EX_CONFIG, "%s:%lu:%lu: %s", path,
                                              ye.line, ye.column, ye.message);
    } else {
        rc = tls ? apply_tls_edits(doc, path, s, tls, plan, err) : 0;
        if (rc == 0) rc = apply_edits(doc, path, s->edits, s->n_edits, plan, err);
        if (rc == 0) rc = check_seeds(doc, path, err);
        if (rc == 0) rc = choose_snitch(doc, s, data_dir, plan, err);
        if (rc == 0) rc = read_authenticator(doc, plan, err);
    }
    if (rc == 0) {
        size_t new_len;
        const char *nb = yp_doc_bytes(doc, &new_len);
        char *copy = malloc(new_len + 1);
        if (!copy)
            rc = entry_fail(err, EX_OSERR, "out of memory");
        else {
            memcpy(copy, nb, new_len);
            copy[new_len] = '\0';
            if (add_change(plan, plan->conf_dir, "cassandra.yaml", bytes, len, copy, new_len))
                rc = entry_fail(err, EX_OSERR, "out of memory");
            bytes = NULL;
        }
    }
    free(bytes);
    yp_doc_free(doc);
    free(path);
    return rc;
}

static int plan_rackdc(const settings *s, conf_plan *plan, entry_error *err)
{
    if (!s->dc.value && !s->rack.value) return 0;
    char *path = join_path(plan->source_dir, "cassandra-rackdc.properties"), *bytes = NULL;
    size_t len = 0;
    yp_error ye;
    if (!path)
        return entry_fail(err, EX_OSERR, "out of memory");
    if (access(path, F_OK) == 0 && yp_file_read(path, &bytes, &len, &ye) != YP_OK) {
        free(path);
        return entry_fail(err, ye.code == YP_ERR_NOMEM ? EX_OSERR : EX_IOERR, "%s",
                      ye.message);
    }
    free(path);
    if (!bytes && !(bytes = strdup("")))
        return entry_fail(err, EX_OSERR, "out of memory");
    /* yp_file_read's buffer is not NUL-terminated: copy exactly len bytes */
    char *text = strndup(bytes, len);
    const struct { const char *key; const settings_value *v; } props[] = {
        { "dc", &s->dc }, { "rack", &s->rack } };
    for (size_t i = 0; i < 2 && text; i++) {
        if (!props[i].v->value) continue;
        char *next = set_property(text, strlen(text), props[i].key, props[i].v->value);
        free(text);
        text = next;
        plan_log(plan, "cassandra-rackdc.properties: %s=%s (%s)", props[i].key,
                 props[i].v->value, props[i].v->origin);
    }
    if (!text) free(bytes); /* add_change takes both, or frees both */
    if (!text || add_change(plan, plan->conf_dir, "cassandra-rackdc.properties", bytes, len, text,
                            strlen(text)))
        return entry_fail(err, EX_OSERR, "out of memory");
    return 0;
}

/* A file of the TLS material: the content wanted, mode 0600, never shown. */
static int plan_secret_file(conf_plan *plan, const char *name, const char *content, size_t len,
                            entry_error *err)
{
    char *path = join_path(plan->source_dir, name), *bytes = NULL, *after = malloc(len + 1);
    size_t blen = 0;
    yp_error ye;
    if (!path || !after) {
        free(path);
        free(after);
        return entry_fail(err, EX_OSERR, "out of memory");
    }
    memcpy(after, content, len);
    after[len] = '\0';
    /* In a copied conf dir only what the source has comes back each start. */
    if (access(path, F_OK) == 0 && yp_file_read(path, &bytes, &blen, &ye) != YP_OK) {
        free(path);
        free(after);
        return entry_fail(err, ye.code == YP_ERR_NOMEM ? EX_OSERR : EX_IOERR, "%s", ye.message);
    }
    free(path);
    if (!bytes && !(bytes = strdup(""))) {
        free(after);
        return entry_fail(err, EX_OSERR, "out of memory");
    }
    size_t before_n = plan->n_changes;
    if (add_change(plan, plan->conf_dir, name, bytes, blen, after, len))
        return entry_fail(err, EX_OSERR, "out of memory");
    if (plan->n_changes > before_n) {
        plan->changes[before_n].mode = 0600;
        plan->changes[before_n].secret = true;
        plan_log(plan, "%s: %zu bytes, mode 0600", name, len);
    }
    return 0;
}

static int plan_tls(const tls_material *tls, conf_plan *plan, entry_error *err)
{
    if (!tls) return 0;
    plan_log(plan, "TLS: certificate %s, valid until %s%s", tls->subject, tls->not_after,
             tls->pkcs12 ? "; in PKCS#12 stores (CASSANDRA_TLS_STORE)" : "");
    int rc = plan_secret_file(plan, tls->pkcs12 ? TLS_P12_KEYSTORE_NAME : TLS_KEYSTORE_NAME,
                              tls->keystore, tls->keystore_len, err);
    if (rc == 0)
        rc = plan_secret_file(plan, tls->pkcs12 ? TLS_P12_TRUSTSTORE_NAME : TLS_TRUSTSTORE_NAME,
                              tls->truststore, tls->truststore_len, err);
    if (rc == 0 && tls->pkcs12) /* the PEM copies `--probe` reads */
        rc = plan_secret_file(plan, TLS_KEYSTORE_NAME, tls->probe_keystore,
                              tls->probe_keystore_len, err);
    if (rc == 0 && tls->pkcs12)
        rc = plan_secret_file(plan, TLS_TRUSTSTORE_NAME, tls->probe_truststore,
                              tls->probe_truststore_len, err);
    return rc;
}

int configure_plan(const settings *s, const char *runtime_dir, const char *data_dir,
                   const tls_material *tls, conf_plan *plan, entry_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->source_dir = strdup(s->conf_dir);
    const char *why;
    if (!input_only_reason(s->conf_dir, &why))
        return entry_fail(err, EX_OSERR,
                      "out of memory while checking whether %s may be written", s->conf_dir);
    plan->copied = why != NULL;
    plan->conf_dir = strdup(why ? runtime_dir : s->conf_dir);
    plan->copy_reason = why ? strdup(why) : NULL;
    if (!plan->source_dir || !plan->conf_dir || (why && !plan->copy_reason))
        return entry_fail(err, EX_OSERR, "out of memory");
    if (why)
        plan_log(plan, "%s is %s: the configuration is copied to %s and CASSANDRA_CONF points "
                 "there", s->conf_dir, why, runtime_dir);
    for (size_t i = 0; i < s->n_edits; i++)
        if (s->edits[i].secret && s->edits[i].value)
            if (!push_string(&plan->secrets, &plan->n_secrets, strdup(s->edits[i].value)))
                plan->lost = true;
    const settings_value *tls_secrets[] = { &s->tls.key, &s->tls.key_password };
    for (size_t i = 0; tls && i < 2; i++)
        if (tls_secrets[i]->value && !push_string(&plan->secrets, &plan->n_secrets,
                                                  strdup(tls_secrets[i]->value)))
            plan->lost = true;
    /* the PKCS#12 stores' password goes into cassandra.yaml: never into a log line */
    if (tls && tls->pkcs12 &&
        !push_string(&plan->secrets, &plan->n_secrets, strdup(tls->store_password)))
        plan->lost = true;
    int rc = plan_yaml(s, data_dir, tls, plan, err);
    if (rc == 0) rc = plan_rackdc(s, plan, err);
    if (rc == 0) rc = plan_tls(tls, plan, err);
    /* a secret that could not be kept would be printed unmasked */
    if (rc == 0 && plan->lost) rc = entry_fail(err, EX_OSERR, "out of memory");
    return rc;
}

/* ---- applying ------------------------------------------------------------ */

/* ---- the runtime copy ------------------------------------------------------
 * An input-only conf dir is copied to the runtime dir, which later belongs to
 * the cassandra user.  At the next start cass-entry is root again, so nothing
 * in there may be trusted: the copy is made from scratch at every start, in a
 * directory created here, reached without following any link, and every file
 * is created with O_EXCL|O_NOFOLLOW.  What the user left there is removed
 * without following links either. */

/* Open absolute or relative `path` as a directory, one component at a time,
 * never through a symbolic link; missing components are created (0755). */
static int open_dir_nofollow(const char *path, entry_error *err)
{
    char *copy = strdup(path);
    if (!copy) {
        entry_fail(err, EX_OSERR, "out of memory");
        return -1;
    }
    int fd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *save = NULL;
    for (char *comp = strtok_r(copy, "/", &save); comp && fd >= 0;
         comp = strtok_r(NULL, "/", &save)) {
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && mkdirat(fd, comp, 0755) == 0)
            next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int e = errno;
            close(fd);
            fd = -1;
            entry_fail(err, EX_CANTCREAT,
                   "%s: component '%s' %s: the runtime copy is never made through a link",
                   path, comp, e == ELOOP || e == ENOTDIR ? "is a symbolic link or not a directory"
                                                          : strerror(e));
            break;
        }
        close(fd);
        fd = next;
    }
    free(copy);
    return fd < 0 ? -1 : fd;
}

/* Remove `name` in dirfd and everything below it, following no link. */
static int remove_at(int at, const char *name)
{
    struct stat st;
    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlinkat(at, name, 0);
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0) close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            rc = remove_at(dirfd(d), e->d_name);
    closedir(d);
    return rc == 0 ? unlinkat(at, name, AT_REMOVEDIR) : rc;
}

/* Copy regular file `from` to a new file `name` in dirfd.  The copy is
 * writable by its owner whatever the source's mode (a 0444 cassandra.yaml on
 * a read-only mount must still be editable in the copy). */
static int copy_file_at(const char *from, int dirfd, const char *name, mode_t mode)
{
    char *bytes;
    size_t len;
    yp_error ye;
    if (yp_file_read(from, &bytes, &len, &ye) != YP_OK) return -1;
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    (mode & 0777) | S_IWUSR);
    int rc = fd < 0 ? -1 : 0;
    for (size_t off = 0; rc == 0 && off < len;) {
        ssize_t w = write(fd, bytes + off, len - off);
        if (w < 0 && errno != EINTR) rc = -1;
        else if (w > 0) off += (size_t)w;
    }
    if (fd >= 0 && close(fd) != 0) rc = -1;
    free(bytes);
    return rc;
}

/* Copy the conf tree `from` (files and directories; links in the source are
 * the administrator's and are followed) into the empty directory at to_fd. */
static int copy_tree_at(const char *from, int to_fd, const char *to, entry_error *err)
{
    DIR *d = opendir(from);
    if (!d)
        return entry_fail(err, EX_IOERR, "%s: %s", from, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *src = join_path(from, e->d_name), *dst = join_path(to, e->d_name);
        struct stat st;
        if (!src || !dst) {
            rc = entry_fail(err, EX_OSERR, "out of memory");
        } else if (stat(src, &st) != 0) {
            rc = 0; /* a dangling link: nothing to copy */
        } else if (S_ISDIR(st.st_mode)) {
            int sub = mkdirat(to_fd, e->d_name, 0755) == 0
                          ? openat(to_fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                          : -1;
            if (sub < 0)
                rc = entry_fail(err, EX_CANTCREAT, "%s: cannot create: %s", dst,
                            strerror(errno));
            else {
                rc = copy_tree_at(src, sub, dst, err);
                close(sub);
            }
        } else if (S_ISREG(st.st_mode) && copy_file_at(src, to_fd, e->d_name, st.st_mode) != 0) {
            rc = entry_fail(err, EX_IOERR, "%s: cannot copy to %s: %s", src, dst,
                        strerror(errno));
        }
        free(src);
        free(dst);
    }
    closedir(d);
    return rc;
}

/* Make the runtime copy: the parent reached without links, checked (ours or
 * root's, not writable by others unless sticky), the old copy removed, a new
 * directory made and filled. */
static int make_runtime_copy(const char *source, const char *runtime, entry_error *err)
{
    char *parent = strdup(runtime);
    if (!parent) return entry_fail(err, EX_OSERR, "out of memory");
    char *slash = strrchr(parent, '/');
    const char *leaf = runtime;
    if (slash) {
        *slash = '\0';
        leaf = runtime + (slash - parent) + 1;
    }
    int pfd = slash ? open_dir_nofollow(slash == parent ? "/" : parent, err)
                    : open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(parent);
    if (pfd < 0) {
        if (!err->code) entry_fail(err, EX_CANTCREAT, "%s: %s", runtime, strerror(errno));
        return err->code;
    }
    struct stat st;
    int rc = 0;
    if (!*leaf)
        rc = entry_fail(err, EX_CONFIG, "%s: the runtime dir needs a name", runtime);
    else if (fstat(pfd, &st) != 0)
        rc = entry_fail(err, EX_IOERR, "%s: %s", runtime, strerror(errno));
    else if (st.st_uid != geteuid() && st.st_uid != 0)
        rc = entry_fail(err, EX_CANTCREAT,
                    "%s: its directory is owned by uid %lu: the runtime copy goes only in a "
                    "directory of root or uid %lu (set CASS_ENTRY_RUNTIME_DIR)",
                    runtime, (unsigned long)st.st_uid, (unsigned long)geteuid());
    else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
        rc = entry_fail(err, EX_CANTCREAT,
                    "%s: its directory is writable by others and not sticky (set "
                    "CASS_ENTRY_RUNTIME_DIR)", runtime);
    else if (remove_at(pfd, leaf) != 0)
        rc = entry_fail(err, EX_CANTCREAT, "%s: cannot remove the old copy: %s",
                    runtime, strerror(errno));
    else if (mkdirat(pfd, leaf, 0755) != 0)
        rc = entry_fail(err, EX_CANTCREAT, "%s: cannot create: %s", runtime,
                    strerror(errno));
    if (rc == 0) {
        int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            rc = entry_fail(err, EX_CANTCREAT, "%s: %s", runtime, strerror(errno));
        else {
            rc = copy_tree_at(source, fd, runtime, err);
            close(fd);
        }
    }
    close(pfd);
    return rc;
}

int configure_apply(const conf_plan *plan, entry_error *err)
{
    *err = (entry_error){ 0 };
    if (plan->copied) {
        int rc = make_runtime_copy(plan->source_dir, plan->conf_dir, err);
        if (rc) return rc;
    }
    for (size_t i = 0; i < plan->n_changes; i++) {
        const conf_change *c = &plan->changes[i];
        yp_error ye;
        yp_write_how how;
        mode_t mode = c->mode ? (mode_t)c->mode : 0644;
        if (access(c->path, F_OK) != 0) {
            /* a file the conf dir lacked (rackdc, the TLS files): create it */
            int fd = open(c->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd < 0)
                return entry_fail(err, EX_IOERR, "%s: %s", c->path, strerror(errno));
            close(fd);
        } else if (c->mode && chmod(c->path, mode) != 0) {
            /* before the new content goes in: yp_file_replace keeps the mode */
            return entry_fail(err, EX_IOERR, "%s: chmod: %s", c->path, strerror(errno));
        }
        if (yp_file_replace(c->path, c->after, c->after_len, &how, &ye) != YP_OK)
            return entry_fail(err, ye.code == YP_ERR_NOMEM ? EX_OSERR : EX_IOERR, "%s",
                      ye.message);
    }
    return 0;
}

char *configure_mask(const conf_plan *plan, const char *text)
{
    char *out = strdup(text);
    for (size_t i = 0; out && i < plan->n_secrets; i++) {
        const char *secret = plan->secrets[i];
        size_t sl = strlen(secret);
        if (sl == 0) continue;
        char *hit;
        while ((hit = strstr(out, secret))) {
            size_t pre = (size_t)(hit - out);
            char *next = malloc(strlen(out) - sl + 4);
            if (!next) {
                free(out);
                return NULL;
            }
            memcpy(next, out, pre);
            strcpy(next + pre, "***");
            strcat(next, hit + sl);
            free(out);
            out = next;
        }
    }
    return out;
}

/* A diff line "-  keystore_password: cassandra" of a key that looks secret is
 * printed with its value as ***, old values included. */
static void put_masked_line(const char *line, size_t len, FILE *out)
{
    size_t i = 1;
    while (i < len && (line[i] == ' ' || line[i] == '-' || line[i] == '#')) i++;
    size_t key = i;
    while (i < len && (line[i] == '_' || line[i] == '.' || (line[i] >= 'a' && line[i] <= 'z') ||
                       (line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= '0' && line[i] <= '9')))
        i++;
    char name[128];
    size_t klen = i - key < sizeof name - 1 ? i - key : sizeof name - 1;
    memcpy(name, line + key, klen);
    name[klen] = '\0';
    bool header = len >= 3 && (strncmp(line, "---", 3) == 0 || strncmp(line, "+++", 3) == 0);
    if (!header && klen && i < len && line[i] == ':' && i + 1 < len && line[i + 1] != '\n' &&
        settings_path_looks_secret(name)) {
        fwrite(line, 1, i + 1, out);
        fputs(" ***\n", out);
        return;
    }
    fwrite(line, 1, len, out);
}

int configure_print_diff(const conf_plan *plan, FILE *out)
{
    for (size_t i = 0; i < plan->n_changes; i++) {
        const conf_change *c = &plan->changes[i];
        if (c->secret) {
            fprintf(out, "--- %s\n+++ %s (%zu bytes, mode %04o: not shown)\n", c->path, c->path,
                    c->after_len, c->mode);
            continue;
        }
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (!mem) return -1;
        int diffed = yp_udiff(mem, c->path, c->before, c->before_len, c->path, c->after, c->after_len);
        if (fclose(mem) != 0 || !text || diffed != 0) {
            free(text);
            return -1;
        }
        char *masked = configure_mask(plan, text);
        if (!masked) {
            free(text);
            return -1;
        }
        for (const char *l = masked; l && *l;) {
            const char *nl = strchr(l, '\n');
            size_t line_len = nl ? (size_t)(nl - l) + 1 : strlen(l);
            put_masked_line(l, line_len, out);
            l += line_len;
        }
        free(masked);
        free(text);
    }
    return 0;
}

void configure_plan_free(conf_plan *plan)
{
    for (size_t i = 0; i < plan->n_changes; i++) {
        free(plan->changes[i].path);
        free(plan->changes[i].name);
        free(plan->changes[i].before);
        free(plan->changes[i].after);
    }
    for (size_t i = 0; i < plan->n_log; i++) free(plan->log[i]);
    for (size_t i = 0; i < plan->n_secrets; i++) free(plan->secrets[i]);
    free(plan->authenticator);
    free(plan->changes);
    free(plan->log);
    free(plan->secrets);
    free(plan->source_dir);
    free(plan->conf_dir);
    free(plan->copy_reason);
    memset(plan, 0, sizeof *plan);
}

/* ---- the probe's target ------------------------------------------------- */

void configure_client_tls_free(configure_client_tls *t)
{
    free(t->keystore_password);
    memset(t, 0, sizeof *t);
}

static bool yaml_true(const yp_doc *doc, const char *path, bool dflt)
{
    char *v = NULL;
    yp_error ye;
    if (yp_get(doc, path, &v, NULL, &ye) != YP_OK || !v) return dflt;
    bool yes = strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0 ||
               strcmp(v, "yes") == 0;
    bool no = strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0 ||
              strcmp(v, "no") == 0;
    free(v);
    return yes ? true : no ? false : dflt;
}

static void yaml_text(const yp_doc *doc, const char *path, char *out, size_t cap)
{
    char *v = NULL;
    yp_error ye;
    out[0] = '\0';
    if (yp_get(doc, path, &v, NULL, &ye) == YP_OK && v && strcmp(v, "null") != 0 && strcmp(v, "~") != 0)
        snprintf(out, cap, "%s", v);
    free(v);
}

/* client_encryption_options as Cassandra reads it: optional defaults to
 * false once enabled (4.0+). */
static int read_client_tls(const yp_doc *doc, configure_client_tls *t, entry_error *err)
{
    memset(t, 0, sizeof *t);
    const char *c = "client_encryption_options";
    char path[128], factory[256], pw[1024];
    snprintf(path, sizeof path, "%s.enabled", c);
    bool enabled = yaml_true(doc, path, false);
    snprintf(path, sizeof path, "%s.optional", c);
    t->required = enabled && !yaml_true(doc, path, false);
    snprintf(path, sizeof path, "%s.require_client_auth", c);
    t->client_auth = yaml_true(doc, path, false);
    snprintf(path, sizeof path, "%s.ssl_context_factory.class_name", c);
    yaml_text(doc, path, factory, sizeof factory);
    t->pem = strstr(factory, "PEMBasedSslContextFactory") != NULL;
    snprintf(path, sizeof path, "%s.keystore", c);
    yaml_text(doc, path, t->keystore, sizeof t->keystore);
    snprintf(path, sizeof path, "%s.truststore", c);
    yaml_text(doc, path, t->truststore, sizeof t->truststore);
    snprintf(path, sizeof path, "%s.keystore_password", c);
    yaml_text(doc, path, pw, sizeof pw);
    if (pw[0] && !(t->keystore_password = strdup(pw)))
        return entry_fail(err, EX_OSERR, "out of memory");
    return 0;
}

int configure_probe_target(const char *conf_dir, const char *runtime_dir, char *host,
                           size_t hostlen, unsigned *port, configure_client_tls *tls,
                           entry_error *err)
{
    char *path = join_path(runtime_dir, "cassandra.yaml");
    if (!path)
        return entry_fail(err, EX_OSERR, "out of memory");
    if (access(path, R_OK) != 0) {
        free(path);
        path = join_path(conf_dir, "cassandra.yaml");
        if (!path)
            return entry_fail(err, EX_OSERR, "out of memory");
    }
    char *bytes, *value = NULL;
    size_t len;
    yp_error ye;
    if (yp_file_read(path, &bytes, &len, &ye) != YP_OK) {
        free(path);
        return entry_fail(err, ye.code == YP_ERR_NOMEM ? EX_OSERR : EX_IOERR, "%s",
                      ye.message);
    }
    yp_doc *doc = yp_doc_load(bytes, len, true, &ye);
    free(bytes);
    if (!doc) {
        int rc = ye.code == YP_ERR_NOMEM ? entry_fail(err, EX_OSERR, "out of memory")
                                         : entry_fail(err, EX_CONFIG, "%s:%lu:%lu: %s", path,
                                                  ye.line, ye.column, ye.message);
        free(path);
        return rc;
    }
    *port = 9042;
    if (yp_get(doc, "native_transport_port", &value, NULL, &ye) == YP_OK) {
        char *end;
        unsigned long p = strtoul(value, &end, 10);
        if (*value && !*end && p > 0 && p < 65536) *port = (unsigned)p;
        free(value);
    }
    snprintf(host, hostlen, "127.0.0.1");
    if (yp_get(doc, "rpc_address", &value, NULL, &ye) == YP_OK) {
        /* a wildcard or unset rpc_address listens on loopback too */
        if (*value && strcmp(value, "0.0.0.0") != 0 && strcmp(value, "::") != 0 &&
            strcmp(value, "null") != 0 && strcmp(value, "~") != 0)
            snprintf(host, hostlen, "%s", value);
        free(value);
    }
    int rc = tls ? read_client_tls(doc, tls, err) : 0;
    yp_doc_free(doc);
    free(path);
    return rc;
}
