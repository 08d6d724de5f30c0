/* settings: command line + environment -> what cass-entry must do.  See settings.h.
 * Step 2 (settings_resolve): the environment, the overrides, the values'
 * checks, the edits in their order.  The pieces it uses are modules of their
 * own: the resolver's shared state (resolver.h), the address chain
 * (addrchain.h), variables.h, envfile.h, seeds.h, hints.h, textutil.h; step 1
 * is cmdline.h. */
#include "entrypoint/settings.h"

#include "entrypoint/addrchain.h"
#include "entrypoint/resolver.h"

#include "entrypoint/cmdline.h"
#include "entrypoint/envfile.h"
#include "entrypoint/hints.h"
#include "entrypoint/redact.h"
#include "entrypoint/textutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_NUM_TOKENS 1536      /* Cassandra refuses more tokens per node */
#define MAX_SEED_WAIT  86400     /* a day: anything longer is a typo */

/* ------------------------------------------------------------------ */
/* Step 1's struct: init and free                                    */
void settings_init(settings *s)
{
    memset(s, 0, sizeof *s);
    s->seed_wait = 60;
}

static void free_value(settings_value *v)
{
    free(v->value);
    free(v->origin);
    memset(v, 0, sizeof *v);
}

static void free_edit(settings_edit *e)
{
    free(e->path);
    free(e->value);
    free(e->origin);
}

void settings_free(settings *s)
{
    free(s->conf_dir);
    text_free_list(s->argv, s->argc);
    for (size_t i = 0; i < s->n_edits; i++)
        free_edit(&s->edits[i]);
    free(s->edits);
    seeds_free(s->seeds, s->n_seeds);
    free_value(&s->dc);
    free_value(&s->rack);
    free_value(&s->user);
    free_value(&s->password);
    free_value(&s->keyspace);
    free_value(&s->roles);
    free_value(&s->max_heap_size);
    free_value(&s->heap_newsize);
    free_value(&s->tls.cert);
    free_value(&s->tls.key);
    free_value(&s->tls.key_password);
    free_value(&s->tls.ca);
    text_free_list(s->notes, s->n_notes);
    free(s->seed_arg);
    text_free_list(s->sets, s->n_sets);
    redact_free(&s->secrets);
    settings_init(s);
}

/* ------------------------------------------------------------------ */
/* Step 2: the environment, the overrides, the chain, the validation  */

static void resolver_free(resolver *r)
{
    for (size_t i = 0; i < S_COUNT; i++) {
        free(r->slots[i].value);
        free(r->slots[i].origin);
    }
    for (size_t i = 0; i < r->n_ovr; i++) {
        free(r->ovr[i].path);
        free(r->ovr[i].value);
        free(r->ovr[i].origin);
    }
    free(r->ovr);
}

/* Set a slot; takes ownership of value, also when it fails (resolver.h). */
bool resolver_slot_set(resolver *r, int id, char *value, const char *origin, bool secret,
                       bool is_override)
{
    slot *sl = &r->slots[id];
    if (secret && !redact_add(&r->s->secrets, value)) {
        free(value); /* ours, even when we fail */
        return entry_no_memory(r->err);
    }
    free(sl->value);
    sl->value = value;
    sl->secret = secret;
    sl->override = is_override;
    return text_dup_into(&sl->origin, origin, r->err);
}

bool resolver_note(resolver *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return text_push(&r->s->notes, &r->s->n_notes, line, r->err);
}

/* The path `prefix` names `path` or something under it. */
static bool path_covers(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    return strncmp(prefix, path, n) == 0 && (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

bool resolver_add_edit(resolver *r, const char *path, const char *value, settings_value_type type,
                     const char *origin, bool secret, bool if_present)
{
    settings *s = r->s;
    /* A later edit replaces the earlier ones it covers (an override of
     * seed_provider drops the seeds edit), so each path is written once. */
    size_t keep = 0;
    for (size_t i = 0; i < s->n_edits; i++) {
        if (path_covers(path, s->edits[i].path))
            free_edit(&s->edits[i]);
        else
            s->edits[keep++] = s->edits[i];
    }
    s->n_edits = keep;
    if (!text_grow((void **)&s->edits, s->n_edits, sizeof *s->edits, r->err))
        return false;
    settings_edit *e = &s->edits[s->n_edits];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->secret = secret;
    e->if_present = if_present;
    e->path = strdup(path);
    e->value = value ? strdup(value) : NULL;
    e->origin = strdup(origin);
    if (!e->path || (value && !e->value) || !e->origin) {
        free_edit(e);
        return entry_no_memory(r->err);
    }
    s->n_edits++;
    return true;
}

/* An edit from a named variable's slot (or its default). */
/* A Java class name, short (PasswordAuthenticator) or qualified. */
static bool class_name_value(resolver *r, int id)
{
    const char *v = r->slots[id].value;
    bool ok = (*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || *v == '_';
    for (const char *p = v; ok && *p; p++)
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
             *p == '_' || *p == '$' || (*p == '.' && p[1] && p[1] != '.');
    if (ok)
        return true;
    return entry_reject(r->err, EX_CONFIG, "%s=%s: not a Java class name", r->slots[id].origin,
                v);
}

bool resolver_add_slot_edit(resolver *r, int id, const char *value, settings_value_type type,
                          bool if_present, bool secret)
{
    const slot *sl = &r->slots[id];
    char origin[256];
    if (sl->value)
        snprintf(origin, sizeof origin, "%s", sl->origin);
    else
        snprintf(origin, sizeof origin, "%s (default)", variables_table[id].name);
    return resolver_add_edit(r, variables_table[id].yaml_path, value, type, origin, sl->secret || secret,
                    if_present);
}

/* One level of YAML quoting removed, for an override that takes a named
 * variable's place: --set "cluster_name='My Cluster'" means My Cluster. */
static char *unquote(const char *raw)
{
    size_t len = strlen(raw);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    if (len >= 2 && raw[0] == '\'' && raw[len - 1] == '\'') {
        char *o = out;
        for (size_t i = 1; i < len - 1; i++) {
            *o++ = raw[i];
            if (raw[i] == '\'' && raw[i + 1] == '\'')
                i++;
        }
        *o = '\0';
    } else if (len >= 2 && raw[0] == '"' && raw[len - 1] == '"') {
        char *o = out;
        for (size_t i = 1; i < len - 1; i++) {
            if (raw[i] == '\\' && i + 1 < len - 1 && (raw[i + 1] == '"' || raw[i + 1] == '\\'))
                i++;
            *o++ = raw[i];
        }
        *o = '\0';
    } else {
        memcpy(out, raw, len + 1);
    }
    return out;
}

/* Which slot an override path takes, or -1. */
static int slot_for_path(const char *path)
{
    for (int id = 0; id < V_COUNT; id++)
        if (variables_table[id].yaml_path && strcmp(variables_table[id].yaml_path, path) == 0)
            return id;
    if (strcmp(path, "listen_interface") == 0)
        return S_LISTEN_IFACE;
    if (strcmp(path, "rpc_interface") == 0)
        return S_RPC_IFACE;
    return -1;
}

static bool take_override(resolver *r, const char *path, const char *value, const char *origin,
                          bool secret)
{
    /* Secrets inside the value too: --set 'x={keystore_password: P}'. */
    if ((secret && !redact_add(&r->s->secrets, value)) ||
        !redact_add_from_yaml(&r->s->secrets, value))
        return entry_no_memory(r->err);
    int id = slot_for_path(path);
    if (id >= 0) {
        char *text = unquote(value);
        if (!text)
            return entry_no_memory(r->err);
        if (!*text) {
            free(text);
            return entry_reject(r->err, EX_CONFIG,
                        "%s: %s needs a value here (leave it out to get the default)", origin,
                        path);
        }
        return resolver_slot_set(r, id, text, origin, secret, true);
    }
    if (!text_grow((void **)&r->ovr, r->n_ovr, sizeof *r->ovr, r->err))
        return false;
    override *o = &r->ovr[r->n_ovr];
    o->path = strdup(path);
    o->value = strdup(value);
    o->origin = strdup(origin);
    o->secret = secret;
    if (!o->path || !o->value || !o->origin) {
        free(o->path);
        free(o->value);
        free(o->origin);
        return entry_no_memory(r->err);
    }
    r->n_ovr++;
    return true;
}

typedef struct {
    const char *name;  /* points into envp: "NAME=..." */
    size_t base_len;   /* length of the name without _FILE */
    bool is_file;
    const char *value;
} cfg_var;

static int cfg_var_cmp(const void *a, const void *b)
{
    const cfg_var *x = a, *y = b;
    size_t n = x->base_len < y->base_len ? x->base_len : y->base_len;
    int c = strncmp(x->name, y->name, n);
    if (c)
        return c;
    if (x->base_len != y->base_len)
        return x->base_len < y->base_len ? -1 : 1;
    return (int)x->is_file - (int)y->is_file;
}

/* CASSANDRA_CFG_YAML_* from the environment, in name order. */
static bool read_cfg_yaml(resolver *r)
{
    const settings_input *in = r->in;
    size_t n = 0, plen = strlen(VARIABLES_CFG_PREFIX);
    for (char *const *e = in->envp; e && *e; e++)
        n += strncmp(*e, VARIABLES_CFG_PREFIX, plen) == 0;
    if (n == 0)
        return true;
    cfg_var *vars = calloc(n, sizeof *vars);
    if (!vars)
        return entry_no_memory(r->err);
    size_t k = 0;
    for (char *const *e = in->envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, VARIABLES_CFG_PREFIX, plen) != 0 || !eq || eq[1] == '\0')
            continue; /* empty: unset */
        cfg_var *v = &vars[k++];
        v->name = *e;
        v->value = eq + 1;
        v->base_len = (size_t)(eq - *e);
        v->is_file = v->base_len > plen + 5 && strncmp(eq - 5, "_FILE", 5) == 0;
        if (v->is_file)
            v->base_len -= 5;
    }
    qsort(vars, k, sizeof *vars, cfg_var_cmp);
    bool ok = true;
    for (size_t i = 0; ok && i < k; i++) {
        const cfg_var *v = &vars[i];
        char name[512], base[512];
        size_t full_len = (size_t)(strchr(v->name, '=') - v->name);
        if (full_len >= sizeof name) {
            ok = entry_reject(r->err, EX_CONFIG, "%.60s...: variable name too long", v->name);
            break;
        }
        snprintf(name, sizeof name, "%.*s", (int)full_len, v->name);
        snprintf(base, sizeof base, "%.*s", (int)v->base_len, v->name);
        if (i + 1 < k && vars[i + 1].base_len == v->base_len &&
            strncmp(vars[i + 1].name, v->name, v->base_len) == 0) {
            ok = entry_reject(r->err, EX_CONFIG, "%s and %s_FILE are both set: keep one", base,
                      base);
            break;
        }
        char *path = NULL, *value = NULL;
        bool from_file = false;
        ok = settings_cfg_yaml_path(base, &path, r->err) &&
             envfile_read(in, base, &value, &from_file, r->err);
        if (ok && value)
            ok = take_override(r, path, value, name,
                               from_file || settings_path_looks_secret(path));
        free(path);
        free(value);
    }
    free(vars);
    return ok;
}

static bool read_sets(resolver *r)
{
    for (size_t i = 0; i < r->s->n_sets; i++) {
        char *word = strdup(r->s->sets[i]);
        if (!word)
            return entry_no_memory(r->err);
        char *eq = cmdline_set_split(word);
        *eq = '\0';
        /* "--set num_tokens" tells which of several --set a message is about. */
        char *origin = malloc(strlen(word) + 7);
        if (!origin) {
            free(word);
            return entry_no_memory(r->err);
        }
        sprintf(origin, "--set %s", word);
        bool ok = take_override(r, word, eq + 1, origin, settings_path_looks_secret(word));
        free(origin);
        free(word);
        if (!ok)
            return false;
    }
    return true;
}

/* The plain values: checked, then handed to the edits or to the caller. */

static bool check_uint(resolver *r, int id, unsigned long min, unsigned long max,
                       unsigned long *out)
{
    const slot *sl = &r->slots[id];
    if (!text_parse_uint(sl->value, min, max, out))
        return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not a number from %lu to %lu",
                    sl->origin, resolver_shown(sl->value, sl->secret), min, max);
    return true;
}

static bool int_edit(resolver *r, int id, unsigned long min, unsigned long max)
{
    unsigned long v;
    char text[24];
    if (!r->slots[id].value)
        return true;
    if (!check_uint(r, id, min, max, &v))
        return false;
    snprintf(text, sizeof text, "%lu", v);
    return resolver_add_slot_edit(r, id, text, SETTINGS_VALUE_INT, false, false);
}

static bool take_value(resolver *r, int id, settings_value *out)
{
    slot *sl = &r->slots[id];
    if (!sl->value)
        return true;
    /* Trimmed, so the properties file gets dc=DC1 and not "dc= DC1". */
    char *v = sl->value;
    size_t len = strlen(v);
    while (len && isspace((unsigned char)v[len - 1]))
        v[--len] = '\0';
    size_t lead = strspn(v, " \t");
    memmove(v, v + lead, len - lead + 1);
    if (!*v)
        return entry_reject(r->err, EX_CONFIG, "%s: the value is blank", sl->origin);
    out->value = sl->value;
    out->origin = sl->origin;
    out->secret = sl->secret;
    sl->value = sl->origin = NULL;
    return true;
}

/* A Java heap size as -Xmx takes it: digits with an optional k/m/g/t suffix. */
static bool valid_heap(const char *v)
{
    size_t n = strspn(v, "0123456789");
    if (n == 0 || v[0] == '0')
        return false;
    return v[n] == '\0' || (strchr("kKmMgGtT", v[n]) && v[n + 1] == '\0');
}

/* true/false in the words people use for it; -1 neither. */
static int yes_no(const char *v)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) return 1;
        if (strcasecmp(v, no[i]) == 0) return 0;
    }
    return -1;
}

/* A CQL name cass-entry writes unquoted: letters, digits, '_', 1-48. */
static bool cql_name(const char *v)
{
    size_t n = strlen(v);
    return n >= 1 && n <= 48 && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n &&
           !(v[0] >= '0' && v[0] <= '9');
}

/* The TLS variables: the modes, and the PEM material whenever a mode
 * switches encryption on (what it holds is tls.h's business). */
/* The index of v among words[0..n), case-insensitively; -1 when none. */
static int word_index(const char *v, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(v, words[i]) == 0)
            return i;
    return -1;
}

static bool tls_values(resolver *r)
{
    settings_tls *t = &r->s->tls;
    const slot *client = &r->slots[V_CLIENT_ENCRYPTION], *auth = &r->slots[V_CLIENT_AUTH],
               *node = &r->slots[V_INTERNODE_ENCRYPTION];
    static const char *const client_modes[] = {"off", "optional", "required"};
    t->client = SETTINGS_CLIENT_TLS_OFF;
    if (client->value) {
        int found = word_index(client->value, client_modes, 3);
        if (found < 0)
            return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not off, optional or required",
                                client->origin, resolver_shown(client->value, client->secret));
        t->client = (settings_client_tls)found;
    }
    static const char *const modes[] = {"none", "dc", "rack", "all"};
    int mode = node->value ? word_index(node->value, modes, 4) : 0;
    if (mode < 0)
        return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not none, dc, rack or all",
                            node->origin, resolver_shown(node->value, node->secret));
    snprintf(t->internode, sizeof t->internode, "%s", modes[mode]);
    if (auth->value) {
        int yn = yes_no(auth->value);
        if (yn < 0)
            return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not true or false", auth->origin,
                                resolver_shown(auth->value, auth->secret));
        t->client_auth = yn == 1;
        if (t->client_auth && t->client == SETTINGS_CLIENT_TLS_OFF)
            return entry_reject(r->err, EX_CONFIG, "%s=true needs CASSANDRA_CLIENT_ENCRYPTION "
                                "optional or required", auth->origin);
    }
    const slot *verify = &r->slots[V_INTERNODE_VERIFY];
    if (verify->value) {
        int yn = yes_no(verify->value);
        if (yn < 0)
            return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not true or false", verify->origin,
                                resolver_shown(verify->value, verify->secret));
        t->verify_endpoints = yn == 1;
        if (t->verify_endpoints && strcmp(t->internode, "none") == 0)
            return entry_reject(r->err, EX_CONFIG, "%s=true needs CASSANDRA_INTERNODE_ENCRYPTION "
                                "dc, rack or all", verify->origin);
    }
    t->enabled = t->client != SETTINGS_CLIENT_TLS_OFF || strcmp(t->internode, "none") != 0;
    const slot *store = &r->slots[V_TLS_STORE];
    static const char *const stores[] = {"auto", "pem", "pkcs12"};
    int kind = store->value ? word_index(store->value, stores, 3) : 0;
    if (kind < 0)
        return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not auto, pem or pkcs12",
                            store->origin, resolver_shown(store->value, store->secret));
    snprintf(t->store, sizeof t->store, "%s", stores[kind]);
    static const int material[] = {V_TLS_CERT, V_TLS_KEY, V_TLS_CA};
    for (size_t i = 0; i < 3; i++) {
        if (t->enabled && !r->slots[material[i]].value)
            return entry_reject(r->err, EX_CONFIG, "%s (or %s_FILE) is required: %s",
                                variables_table[material[i]].name,
                                variables_table[material[i]].name,
                                t->client != SETTINGS_CLIENT_TLS_OFF
                                    ? "CASSANDRA_CLIENT_ENCRYPTION is on"
                                    : "CASSANDRA_INTERNODE_ENCRYPTION is on");
    }
    if (r->slots[V_TLS_KEY_PASSWORD].value && !r->slots[V_TLS_KEY].value)
        return entry_reject(r->err, EX_CONFIG, "%s is set but no CASSANDRA_TLS_KEY",
                            r->slots[V_TLS_KEY_PASSWORD].origin);
    if (!t->enabled) {
        static const int unused[] = {V_TLS_CERT, V_TLS_KEY, V_TLS_KEY_PASSWORD, V_TLS_CA,
                                     V_TLS_STORE};
        for (size_t i = 0; i < sizeof unused / sizeof *unused; i++) {
            int id = unused[i];
            if (r->slots[id].value &&
                !resolver_note(r, "warning: %s is not used: CASSANDRA_CLIENT_ENCRYPTION is off and "
                      "CASSANDRA_INTERNODE_ENCRYPTION none", r->slots[id].origin))
                return false;
        }
        return true;
    }
    slot *pw = &r->slots[V_TLS_KEY_PASSWORD]; /* as given: a password is not trimmed */
    if (pw->value) {
        t->key_password = (settings_value){pw->value, pw->origin, true};
        pw->value = pw->origin = NULL;
    }
    return take_value(r, V_TLS_CERT, &t->cert) && take_value(r, V_TLS_KEY, &t->key) &&
           take_value(r, V_TLS_CA, &t->ca);
}

/* The first-start variables: the user, the keyspace, the roles list and the
 * yes/no; a password asks for PasswordAuthenticator and CassandraAuthorizer
 * where the user named none. */
static bool first_start_values(resolver *r)
{
    settings *s = r->s;
    const slot *allow = &r->slots[V_ALLOW_DEFAULT_SUPERUSER];
    int yn = allow->value ? yes_no(allow->value) : 0;
    if (yn < 0)
        return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not yes or no", allow->origin,
                    resolver_shown(allow->value, allow->secret));
    s->allow_default_superuser = yn == 1;
    const slot *user = &r->slots[V_USER];
    if (!user->value && !text_dup_into(&r->slots[V_USER].value, variables_table[V_USER].default_value, r->err))
        return false;
    if (!user->origin && !text_dup_into(&r->slots[V_USER].origin, "CASSANDRA_USER (default)", r->err))
        return false;
    if (text_has_control(user->value) || !*user->value || strlen(user->value) > 128)
        return entry_reject(r->err, EX_CONFIG, "%s: a role name of 1 to 128 characters", user->origin);
    const slot *ks = &r->slots[V_KEYSPACE];
    if (ks->value && !cql_name(ks->value))
        return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not a keyspace name (letters, digits, '_', "
                    "at most 48, not starting with a digit)", ks->origin, ks->value);
    const slot *roles = &r->slots[V_ROLES];
    size_t entry = 0;
    for (const char *p = roles->value; p && *p;) {
        size_t n = strcspn(p, ","), name = strcspn(p, ":");
        entry++;
        if (name >= n || name == 0 || name + 1 == n)
            return entry_reject(r->err, EX_CONFIG, "%s: entry %zu is not name:password",
                        roles->origin, entry);
        char role[64];
        if (name >= sizeof role)
            return entry_reject(r->err, EX_CONFIG, "%s: a role name longer than 48", roles->origin);
        memcpy(role, p, name);
        role[name] = '\0';
        if (!cql_name(role))
            return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not a role name (letters, digits, '_')",
                        roles->origin, role);
        p += n + (p[n] == ',');
    }
    if (r->slots[V_PASSWORD].value) {
        static const struct { int id; const char *cls; } wanted[] = {
            {V_AUTHENTICATOR, "PasswordAuthenticator"}, {V_AUTHORIZER, "CassandraAuthorizer"}};
        for (size_t i = 0; i < 2; i++) {
            if (r->slots[wanted[i].id].value) continue;
            char *v = strdup(wanted[i].cls);
            if (!v || !resolver_slot_set(r, wanted[i].id, v, "CASSANDRA_PASSWORD (so that the password is asked for)",
                                false, false))
                return v ? false : entry_no_memory(r->err);
        }
    }
    return true;
}

static bool plain_values(resolver *r)
{
    settings *s = r->s;
    for (int id = 0; id < S_COUNT; id++) {
        const slot *sl = &r->slots[id];
        bool pem = id == V_TLS_CERT || id == V_TLS_KEY || id == V_TLS_CA; /* lines by nature */
        if (sl->value && !pem && text_has_control(sl->value))
            return entry_reject(r->err, EX_CONFIG,
                        "%s: the value contains a control character (a newline?)", sl->origin);
    }
    unsigned long wait;
    if (r->slots[V_SEED_WAIT].value) {
        if (!check_uint(r, V_SEED_WAIT, 0, MAX_SEED_WAIT, &wait))
            return false;
        s->seed_wait = (unsigned)wait;
    } else {
        s->seed_wait = (unsigned)strtoul(variables_table[V_SEED_WAIT].default_value, NULL, 10);
    }
    const slot *sub = &r->slots[V_LISTEN_SUBNET];
    addrs_cidr net;
    entry_error aerr;
    if (sub->value && !addrs_cidr_parse(sub->value, &net, &aerr))
        return entry_reject(r->err, EX_CONFIG, "%s: %s", sub->origin, aerr.message);
    const slot *snitch = &r->slots[V_ENDPOINT_SNITCH];
    static const char java_name[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_.$";
    if (snitch->value && strspn(snitch->value, java_name) != strlen(snitch->value))
        return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not a Java class name", snitch->origin,
                    resolver_shown(snitch->value, snitch->secret));
    const slot *rpc = &r->slots[V_START_RPC];
    if (rpc->value) {
        static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                    "off", "0"};
        bool found = false;
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(rpc->value, yes[i]) == 0 || strcasecmp(rpc->value, no[i]) == 0) {
                found = true;
                if (!text_dup_into(&r->slots[V_START_RPC].value,
                              strcasecmp(rpc->value, yes[i]) == 0 ? "true" : "false", r->err))
                    return false;
                break;
            }
        }
        if (!found)
            return entry_reject(r->err, EX_CONFIG, "%s: '%s' is not true or false", rpc->origin,
                        resolver_shown(rpc->value, rpc->secret));
    }
    for (int id = V_MAX_HEAP_SIZE; id <= V_HEAP_NEWSIZE; id++) {
        const slot *sl = &r->slots[id];
        if (sl->value && !valid_heap(sl->value))
            return entry_reject(r->err, EX_CONFIG,
                        "%s: '%s' is not a heap size such as 512M or 4G", sl->origin,
                        resolver_shown(sl->value, sl->secret));
    }
    if (!first_start_values(r) || !tls_values(r)) return false;
    return take_value(r, V_DC, &s->dc) && take_value(r, V_RACK, &s->rack) &&
           take_value(r, V_MAX_HEAP_SIZE, &s->max_heap_size) &&
           take_value(r, V_HEAP_NEWSIZE, &s->heap_newsize) &&
           take_value(r, V_USER, &s->user) && take_value(r, V_PASSWORD, &s->password) &&
           take_value(r, V_KEYSPACE, &s->keyspace) && take_value(r, V_ROLES, &s->roles);
}

/* A note for each CASSANDRA_* variable that nothing reads (hints.h). */
static bool unknown_variables(resolver *r)
{
    for (char *const *e = r->in->envp; e && *e; e++) {
        char line[512];
        if (hints_unknown_variable(*e, line, sizeof line) && !resolver_note(r, "%s", line))
            return false;
    }
    return true;
}

bool settings_resolve(const settings_input *in, settings *s, entry_error *err)
{
    if (in->facts == NULL)
        return entry_reject(err, EX_OSERR, "settings_resolve: no address facts given");
    resolver r;
    memset(&r, 0, sizeof r);
    r.in = in;
    r.s = s;
    r.err = err;
    bool ok = true;

    /* 1. the named variables, 2. the seed list argument, 3. the overrides. */
    for (int id = 0; ok && id < V_COUNT; id++) {
        char *value;
        bool from_file;
        ok = envfile_read(in, variables_table[id].name, &value, &from_file, err);
        if (ok && value) {
            char origin[256];
            snprintf(origin, sizeof origin, "%s%s", variables_table[id].name, from_file ? "_FILE" : "");
            ok = resolver_slot_set(&r, id, value, origin, from_file || variables_table[id].secret, false);
        }
    }
    if (ok && s->seed_arg) {
        char *copy = strdup(s->seed_arg);
        ok = copy ? resolver_slot_set(&r, V_SEEDS, copy, "the seed list argument", false, false)
                  : entry_no_memory(err);
    }
    ok = ok && read_cfg_yaml(&r) && read_sets(&r) && unknown_variables(&r);

    /* 4. the values, checked, then the edits in a fixed order. */
    ok = ok && plain_values(&r);
    if (ok && r.slots[V_CLUSTER_NAME].value)
        ok = resolver_add_slot_edit(&r, V_CLUSTER_NAME, r.slots[V_CLUSTER_NAME].value,
                           SETTINGS_VALUE_STRING, false, false);
    ok = ok && int_edit(&r, V_NUM_TOKENS, 1, MAX_NUM_TOKENS) && addrchain_resolve(&r);
    if (ok && r.slots[V_ENDPOINT_SNITCH].value)
        ok = resolver_add_slot_edit(&r, V_ENDPOINT_SNITCH, r.slots[V_ENDPOINT_SNITCH].value,
                           SETTINGS_VALUE_STRING, false, false);
    for (int id = V_AUTHENTICATOR; ok && id <= V_AUTHORIZER; id++)
        if (r.slots[id].value) {
            ok = class_name_value(&r, id) &&
                 resolver_add_slot_edit(&r, id, r.slots[id].value, SETTINGS_VALUE_STRING, false, false);
            if (ok)
                s->edits[s->n_edits - 1].class_name_if_map = true;
        }
    ok = ok && int_edit(&r, V_TRANSPORT_PORT, 1, 65535) && int_edit(&r, V_CQL_PORT, 1, 65535);
    if (ok && r.slots[V_START_RPC].value) /* start_rpc exists up to 3.11 only */
        ok = resolver_add_slot_edit(&r, V_START_RPC, r.slots[V_START_RPC].value, SETTINGS_VALUE_BOOL,
                           true, false);

    /* 5. the overrides of any other path, last so they win. */
    for (size_t i = 0; ok && i < r.n_ovr; i++)
        ok = resolver_add_edit(&r, r.ovr[i].path, r.ovr[i].value, SETTINGS_VALUE_RAW, r.ovr[i].origin,
                      r.ovr[i].secret, false);
    resolver_free(&r);
    return ok;
}
