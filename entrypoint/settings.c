/* settings: command line + environment -> what cass-entry must do.  See settings.h. */
#include "entrypoint/settings.h"

#include "entrypoint/hints.h"
#include "entrypoint/redact.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_PREFIX "CASSANDRA_CFG_YAML_"
#define SEEDS_PATH "seed_provider[0].parameters[0].seeds"
#define MAX_NUM_TOKENS 1536      /* Cassandra refuses more tokens per node */
#define MAX_SEED_WAIT  86400     /* a day: anything longer is a typo */
#define MAX_FILE_VALUE (1u << 20)
#define MAX_RESOLVED   16

/* ------------------------------------------------------------------ */
/* The table: one row per variable.  The enum indexes it.             */

enum var_id {
    V_LISTEN_ADDRESS,
    V_BROADCAST_ADDRESS,
    V_RPC_ADDRESS,
    V_BROADCAST_RPC_ADDRESS,
    V_LISTEN_SUBNET,
    V_SEEDS,
    V_SEED_WAIT,
    V_CLUSTER_NAME,
    V_NUM_TOKENS,
    V_ENDPOINT_SNITCH,
    V_AUTHENTICATOR,
    V_AUTHORIZER,
    V_DC,
    V_RACK,
    V_START_RPC,
    V_CQL_PORT,
    V_TRANSPORT_PORT,
    V_MAX_HEAP_SIZE,
    V_HEAP_NEWSIZE,
    V_CONF,
    V_USER,
    V_PASSWORD,
    V_ALLOW_DEFAULT_SUPERUSER,
    V_KEYSPACE,
    V_ROLES,
    V_COUNT
};

static const settings_variable VARS[V_COUNT] = {
    [V_LISTEN_ADDRESS] = {"CASSANDRA_LISTEN_ADDRESS", "auto", NULL, "listen_address", false,
        "Address (or interface name, or host name) other nodes reach this node at; "
        "auto picks this container's address."},
    [V_BROADCAST_ADDRESS] = {"CASSANDRA_BROADCAST_ADDRESS", NULL, "the listen address",
        "broadcast_address", false,
        "Address announced to other nodes (auto, an address, a host name or an interface)."},
    [V_RPC_ADDRESS] = {"CASSANDRA_RPC_ADDRESS", "0.0.0.0", NULL, "rpc_address", false,
        "Address the CQL server binds to (or an interface name)."},
    [V_BROADCAST_RPC_ADDRESS] = {"CASSANDRA_BROADCAST_RPC_ADDRESS", NULL,
        "the broadcast address", "broadcast_rpc_address", false,
        "Address announced to clients; never a wildcard."},
    [V_LISTEN_SUBNET] = {"CASSANDRA_LISTEN_SUBNET", NULL, NULL, NULL, false,
        "Network (CIDR, IPv4 or IPv6) in which auto picks the address, for containers "
        "on several networks."},
    [V_SEEDS] = {"CASSANDRA_SEEDS", NULL, "the broadcast address", SEEDS_PATH, false,
        "Comma-separated seeds: host, host:port, [v6]:port, v6.  A seed list given as "
        "arguments wins."},
    [V_SEED_WAIT] = {"CASSANDRA_SEED_WAIT", "60", NULL, NULL, false,
        "Seconds to wait, before starting, for each seed's name to resolve (0: no wait)."},
    [V_CLUSTER_NAME] = {"CASSANDRA_CLUSTER_NAME", NULL, NULL, "cluster_name", false,
        "Name of the cluster; every node must have the same."},
    [V_NUM_TOKENS] = {"CASSANDRA_NUM_TOKENS", NULL, NULL, "num_tokens", false,
        "Number of tokens of this node (1 to 1536)."},
    [V_ENDPOINT_SNITCH] = {"CASSANDRA_ENDPOINT_SNITCH", NULL, NULL, "endpoint_snitch", false,
        "Snitch class, e.g. GossipingPropertyFileSnitch."},
    [V_AUTHENTICATOR] = {"CASSANDRA_AUTHENTICATOR", NULL, NULL, "authenticator", false,
        "Authenticator class, e.g. PasswordAuthenticator (set as authenticator.class_name "
        "where the file has that form, 5.0+)."},
    [V_AUTHORIZER] = {"CASSANDRA_AUTHORIZER", NULL, NULL, "authorizer", false,
        "Authorizer class, e.g. CassandraAuthorizer (authorizer.class_name where the file "
        "has that form)."},
    [V_DC] = {"CASSANDRA_DC", NULL, NULL, NULL, false,
        "Data center, written as dc= in cassandra-rackdc.properties."},
    [V_RACK] = {"CASSANDRA_RACK", NULL, NULL, NULL, false,
        "Rack, written as rack= in cassandra-rackdc.properties."},
    [V_START_RPC] = {"CASSANDRA_START_RPC", NULL, NULL, "start_rpc", false,
        "true/false: start the Thrift server (only versions before 4.0 have it)."},
    [V_CQL_PORT] = {"CASSANDRA_CQL_PORT_NUMBER", NULL, NULL, "native_transport_port", false,
        "CQL (native transport) port."},
    [V_TRANSPORT_PORT] = {"CASSANDRA_TRANSPORT_PORT_NUMBER", NULL, NULL, "storage_port", false,
        "Inter-node (storage) port."},
    [V_MAX_HEAP_SIZE] = {"MAX_HEAP_SIZE", NULL, "from the container's memory limit",
        NULL, false, "Java heap size (e.g. 2G), passed to cassandra-env.sh."},
    [V_HEAP_NEWSIZE] = {"HEAP_NEWSIZE", NULL, "from the container's limits (CMS only)",
        NULL, false, "Young generation size (e.g. 200M), passed to cassandra-env.sh."},
    [V_CONF] = {"CASSANDRA_CONF", "/etc/cassandra", NULL, NULL, false,
        "Configuration directory (as in the official image); --conf wins."},
    [V_USER] = {"CASSANDRA_USER", "cassandra", NULL, NULL, false,
        "Superuser that CASSANDRA_PASSWORD sets on a new cluster's first start, once per "
        "cluster; any other name replaces the default cassandra role, which loses its login."},
    [V_PASSWORD] = {"CASSANDRA_PASSWORD", NULL, NULL, NULL, true,
        "Password of CASSANDRA_USER (better: CASSANDRA_PASSWORD_FILE).  Switches on "
        "PasswordAuthenticator and CassandraAuthorizer unless CASSANDRA_AUTHENTICATOR says otherwise."},
    [V_ALLOW_DEFAULT_SUPERUSER] = {"CASSANDRA_ALLOW_DEFAULT_SUPERUSER", "no", NULL, NULL, false,
        "yes: a new node with PasswordAuthenticator may start without CASSANDRA_PASSWORD, "
        "keeping the well-known cassandra/cassandra (otherwise that is exit 78)."},
    [V_KEYSPACE] = {"CASSANDRA_KEYSPACE", NULL, NULL, NULL, false,
        "Keyspace created once per cluster on first start (SimpleStrategy, as many "
        "replicas as nodes, up to 3)."},
    [V_ROLES] = {"CASSANDRA_ROLES", NULL, NULL, NULL, true,
        "Login roles created once per cluster on first start: name:password pairs separated by "
        "commas; each gets all permissions on CASSANDRA_KEYSPACE when that is set."},
};

const settings_variable *settings_variables(size_t *count)
{
    *count = V_COUNT;
    return VARS;
}

/* Overrides of these two paths take the place of the listen/rpc variable in
 * its interface form; they get slots after the table's. */
enum { S_LISTEN_IFACE = V_COUNT, S_RPC_IFACE, S_COUNT };

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

__attribute__((format(printf, 3, 4)))
static bool fail(entry_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    entry_failv(err, code, fmt, ap);
    va_end(ap);
    return false;
}

static bool oom(entry_error *err)
{
    return fail(err, EX_OSERR, "out of memory");
}

/* What a message may show of a value. */
static const char *shown(const char *value, bool secret)
{
    return secret ? "***" : value;
}

static bool dup_into(char **dst, const char *src, entry_error *err)
{
    char *copy = src ? strdup(src) : NULL;
    if (src && !copy)
        return oom(err);
    free(*dst);
    *dst = copy;
    return true;
}

/* Grow an array of `size`-byte items so it holds at least n+1 of them. */
static bool grow(void **items, size_t n, size_t size, entry_error *err)
{
    if ((n & (n - 1)) != 0 && n != 0)
        return true; /* capacity is the next power of two: room left */
    size_t cap = n ? n * 2 : 4;
    void *p = realloc(*items, cap * size);
    if (!p)
        return oom(err);
    *items = p;
    return true;
}

static bool push_str(char ***list, size_t *n, const char *text, entry_error *err)
{
    if (!grow((void **)list, *n, sizeof **list, err))
        return false;
    char *copy = strdup(text);
    if (!copy)
        return oom(err);
    (*list)[(*n)++] = copy;
    return true;
}

static void free_strs(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* The value of NAME in envp, or NULL. */
static const char *env_get(char *const *envp, const char *name)
{
    size_t len = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* Digits only, within [min, max]. */
static bool parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!*text || strlen(text) > 10)
        return false;
    unsigned long v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A DNS-style host name: letters, digits, '-', '_' (Docker service names) and
 * dots, not starting with '-' or '.', at most 253 bytes, not all digits and
 * dots (that would be a malformed IPv4 address). */
static bool valid_hostname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
        return false;
    bool numeric = true;
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
        if (!isdigit((unsigned char)*p) && *p != '.')
            numeric = false;
        if (*p == '.' && p[1] == '.')
            return false;
    }
    return !numeric;
}

/* ------------------------------------------------------------------ */
/* The real callbacks                                                 */

bool settings_command_on_path(void *ctx, const char *name, const char *path_env)
{
    (void)ctx;
    /* execvp's own default when PATH is unset */
    const char *path = path_env ? path_env : "/bin:/usr/bin";
    size_t nlen = strlen(name);
    if (nlen == 0)
        return false;
    for (const char *dir = path;;) {
        const char *end = strchr(dir, ':');
        size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
        char *full = malloc(dlen + nlen + 3);
        if (full) {
            /* an empty PATH element means the current directory */
            if (dlen == 0)
                snprintf(full, dlen + nlen + 3, "./%s", name);
            else
                snprintf(full, dlen + nlen + 3, "%.*s/%s", (int)dlen, dir, name);
            struct stat st;
            bool found = stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0;
            free(full);
            if (found)
                return true;
        }
        if (!end)
            return false;
        dir = end + 1;
    }
}

bool settings_read_file(void *ctx, const char *path, char **out, entry_error *err)
{
    (void)ctx;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(err, entry_errno_code(errno, EX_CONFIG), "%s", strerror(errno));
        return false;
    }
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    bool ok = buf != NULL;
    if (!ok)
        oom(err);
    while (ok) {
        if (len + 1 == cap) {
            if (cap > MAX_FILE_VALUE) {
                fail(err, EX_CONFIG, "larger than %u bytes", MAX_FILE_VALUE);
                ok = false;
                break;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                oom(err);
                ok = false;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(err, entry_errno_code(errno, EX_CONFIG), "%s", strerror(errno));
            ok = false;
        } else if (r == 0) {
            break;
        } else {
            len += (size_t)r;
        }
    }
    close(fd);
    if (ok && memchr(buf, '\0', len)) {
        fail(err, EX_CONFIG, "contains a NUL byte");
        ok = false;
    }
    if (!ok) {
        free(buf);
        return false;
    }
    buf[len] = '\0';
    *out = buf;
    return true;
}

/* ------------------------------------------------------------------ */
/* NAME / NAME_FILE                                                   */

/* The value of `name` from the environment or from the file NAME_FILE names.
 * *out is malloc'd, NULL when unset (an empty value counts as unset). */
static bool env_read(const settings_input *in, const char *name, char **out, bool *from_file,
                     entry_error *err)
{
    *out = NULL;
    *from_file = false;
    char fname[256];
    if (snprintf(fname, sizeof fname, "%s_FILE", name) >= (int)sizeof fname)
        return fail(err, EX_CONFIG, "%s: variable name too long", name);
    const char *v = env_get(in->envp, name);
    const char *fv = env_get(in->envp, fname);
    if (v && !*v)
        v = NULL;
    if (fv && !*fv)
        fv = NULL;
    if (v && fv)
        return fail(err, EX_CONFIG, "%s and %s are both set: keep one", name, fname);
    if (v) {
        *out = strdup(v);
        return *out ? true : oom(err);
    }
    if (!fv)
        return true;
    char *text = NULL;
    bool (*rf)(void *, const char *, char **, entry_error *) =
        in->read_file ? in->read_file : settings_read_file;
    if (!rf(in->ctx, fv, &text, err)) {
        char why[200];
        snprintf(why, sizeof why, "%.199s", err->message);
        return fail(err, err->code, "%s=%s: cannot read it: %s", fname, fv, why);
    }
    size_t len = strlen(text);
    /* One line ending, as `echo secret > file` writes it; anything else is data. */
    if (len && text[len - 1] == '\n') {
        text[--len] = '\0';
        if (len && text[len - 1] == '\r')
            text[--len] = '\0';
    }
    if (len == 0) {
        free(text);
        return fail(err, EX_CONFIG, "%s=%s: the file is empty", fname, fv);
    }
    *out = text;
    *from_file = true;
    return true;
}

/* ------------------------------------------------------------------ */
/* Step 1: the command line                                           */

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

void settings_seeds_free(settings_seed *seeds, size_t n_seeds)
{
    for (size_t i = 0; i < n_seeds; i++)
        free(seeds[i].host);
    free(seeds);
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
    free_strs(s->argv, s->argc);
    for (size_t i = 0; i < s->n_edits; i++)
        free_edit(&s->edits[i]);
    free(s->edits);
    settings_seeds_free(s->seeds, s->n_seeds);
    free_value(&s->dc);
    free_value(&s->rack);
    free_value(&s->user);
    free_value(&s->password);
    free_value(&s->keyspace);
    free_value(&s->roles);
    free_value(&s->max_heap_size);
    free_value(&s->heap_newsize);
    free_strs(s->notes, s->n_notes);
    free(s->seed_arg);
    free_strs(s->sets, s->n_sets);
    redact_free(&s->secrets);
    settings_init(s);
}

/* argv gets a NULL terminator that argc does not count. */
static bool argv_push(settings *s, const char *word, entry_error *err)
{
    if (!push_str(&s->argv, &s->argc, word, err))
        return false;
    if (!grow((void **)&s->argv, s->argc, sizeof *s->argv, err))
        return false;
    s->argv[s->argc] = NULL;
    return true;
}

static const char *last_component(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The '=' that ends PATH in "PATH=VALUE": the first one outside brackets and
 * quotes, since a path may hold seq[name=value] or "a=b". */
static char *set_split(char *word)
{
    int depth = 0;
    bool quoted = false;
    for (char *p = word; *p; p++) {
        if (quoted) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = false;
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']') {
            depth--;
        } else if (*p == '=' && depth == 0) {
            return p;
        }
    }
    return NULL;
}

static bool add_set(settings *s, const char *word, entry_error *err)
{
    char *copy = strdup(word);
    if (!copy)
        return oom(err);
    char *eq = set_split(copy);
    bool ok = eq && eq != copy;
    free(copy);
    if (!ok)
        return fail(err, EX_USAGE, "--set %s: expected PATH=VALUE", word);
    return push_str(&s->sets, &s->n_sets, word, err);
}

bool settings_parse_command_line(const settings_input *in, settings *s, entry_error *err)
{
    int i = 1;
    const char *conf = NULL;
    s->mode = SETTINGS_RUN;
    for (; i < in->argc; i++) {
        const char *a = in->argv[i];
        if (strcmp(a, "--dry-run") == 0) {
            s->dry_run = true;
        } else if (strcmp(a, "--conf") == 0 || strcmp(a, "--set") == 0) {
            if (i + 1 >= in->argc)
                return fail(err, EX_USAGE, "%s needs a value", a);
            if (a[2] == 'c')
                conf = in->argv[++i];
            else if (!add_set(s, in->argv[++i], err))
                return false;
        } else if (strncmp(a, "--conf=", 7) == 0) {
            conf = a + 7;
        } else if (strncmp(a, "--set=", 6) == 0) {
            if (!add_set(s, a + 6, err))
                return false;
        } else if (strcmp(a, "--probe") == 0) {
            s->mode = SETTINGS_PROBE;
        } else if (strcmp(a, "--help") == 0) {
            s->mode = SETTINGS_HELP;
            return true;
        } else if (strcmp(a, "--version") == 0) {
            s->mode = SETTINGS_VERSION;
            return true;
        } else {
            break;
        }
    }
    if (conf && !*conf)
        return fail(err, EX_USAGE, "--conf needs a directory");

    const char *first = i < in->argc ? in->argv[i] : NULL;
    if (s->mode == SETTINGS_PROBE) {
        if (first)
            return fail(err, EX_USAGE, "--probe takes no arguments (got '%s')", first);
        if (s->n_sets || s->dry_run)
            return fail(err, EX_USAGE,
                        "--probe cannot be combined with --set or --dry-run");
    } else if (first == NULL || first[0] == '-') {
        if (first && strcmp(first, "--") == 0) {
            if (i + 1 >= in->argc)
                return fail(err, EX_USAGE, "-- must be followed by a command");
            s->mode = SETTINGS_PASSTHROUGH;
            i++;
        } else if (!argv_push(s, "cassandra", err) || !argv_push(s, "-f", err)) {
            return false;
        }
    } else if (strcmp(last_component(first), "cassandra") == 0) {
        bool has_f = false;
        for (int j = i + 1; j < in->argc; j++)
            has_f = has_f || strcmp(in->argv[j], "-f") == 0;
        if (!argv_push(s, first, err) || (!has_f && !argv_push(s, "-f", err)))
            return false;
        i++;
    } else {
        bool (*is_cmd)(void *, const char *, const char *) =
            in->is_command ? in->is_command : settings_command_on_path;
        if (strchr(first, '/') || is_cmd(in->ctx, first, env_get(in->envp, "PATH"))) {
            s->mode = SETTINGS_PASSTHROUGH;
        } else {
            /* The seed list: the words up to the first option. */
            size_t len = 0;
            int j = i;
            for (; j < in->argc && in->argv[j][0] != '-'; j++)
                len += strlen(in->argv[j]) + 1;
            s->seed_arg = malloc(len + 1);
            if (!s->seed_arg)
                return oom(err);
            s->seed_arg[0] = '\0';
            for (int k = i; k < j; k++) {
                if (k > i)
                    strcat(s->seed_arg, ",");
                strcat(s->seed_arg, in->argv[k]);
            }
            i = j;
            if (!argv_push(s, "cassandra", err) || !argv_push(s, "-f", err))
                return false;
        }
    }
    for (; i < in->argc; i++)
        if (!argv_push(s, in->argv[i], err))
            return false;

    if (s->mode == SETTINGS_PASSTHROUGH) {
        if (s->n_sets)
            return fail(err, EX_USAGE,
                        "--set has no effect on '%s': only cassandra is configured", s->argv[0]);
        return true;
    }
    if (conf)
        return dup_into(&s->conf_dir, conf, err);
    char *value;
    bool from_file;
    if (!env_read(in, VARS[V_CONF].name, &value, &from_file, err))
        return false;
    if (value) {
        s->conf_dir = value;
        return true;
    }
    return dup_into(&s->conf_dir, VARS[V_CONF].default_value, err);
}

/* ------------------------------------------------------------------ */
/* Seeds, CASSANDRA_CFG_YAML_ names, secret-looking paths             */

static bool seed_entry(const char *origin, char *entry, settings_seed *seed, entry_error *err)
{
    char *host = entry, *port = NULL;
    memset(seed, 0, sizeof *seed);
    if (entry[0] == '[') {
        char *close = strchr(entry, ']');
        if (!close)
            return fail(err, EX_CONFIG, "%s: seed '%s': missing ']'", origin, entry);
        *close = '\0';
        host = entry + 1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return fail(err, EX_CONFIG, "%s: seed '%s]%s': expected [v6address]:port",
                        origin, entry, close + 1);
        addrs_ip ip;
        if (!addrs_ip_parse(host, &ip) || ip.family != AF_INET6)
            return fail(err, EX_CONFIG, "%s: seed '[%s]': not an IPv6 address", origin,
                        host);
        seed->is_ip = true;
    } else {
        char *colon = strchr(entry, ':');
        if (colon && strchr(colon + 1, ':')) {
            addrs_ip ip; /* two colons or more: a bare IPv6 address, no port */
            if (!addrs_ip_parse(entry, &ip))
                return fail(err, EX_CONFIG,
                            "%s: seed '%s': not an IPv6 address (write [address]:port for a port)",
                            origin, entry);
            seed->is_ip = true;
        } else {
            if (colon) {
                *colon = '\0';
                port = colon + 1;
            }
            addrs_ip ip;
            seed->is_ip = addrs_ip_parse(host, &ip);
            if (!seed->is_ip && !valid_hostname(host))
                return fail(err, EX_CONFIG,
                            "%s: seed '%s': not a host name or an IP address", origin, host);
        }
    }
    if (port) {
        unsigned long p;
        if (!parse_uint(port, 1, 65535, &p))
            return fail(err, EX_CONFIG,
                        "%s: seed '%s': port '%s' is not a number from 1 to 65535", origin, host,
                        port);
        seed->port = (unsigned)p;
    }
    seed->host = strdup(host);
    return seed->host ? true : oom(err);
}

static bool seeds_normalize(const settings_seed *seeds, size_t n, char **normalized,
                            entry_error *err)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(seeds[i].host) + 10;
    char *out = malloc(len), *p = out;
    if (!out)
        return oom(err);
    *p = '\0';
    for (size_t i = 0; i < n; i++) {
        bool v6 = strchr(seeds[i].host, ':') != NULL;
        const char *sep = i ? "," : "";
        if (seeds[i].port && v6)
            p += sprintf(p, "%s[%s]:%u", sep, seeds[i].host, seeds[i].port);
        else if (seeds[i].port)
            p += sprintf(p, "%s%s:%u", sep, seeds[i].host, seeds[i].port);
        else
            p += sprintf(p, "%s%s", sep, seeds[i].host);
    }
    *normalized = out;
    return true;
}

bool settings_seeds_parse(const char *list, const char *origin, settings_seed **seeds,
                          size_t *n_seeds, char **normalized, entry_error *err)
{
    *seeds = NULL;
    *n_seeds = 0;
    *normalized = NULL;
    char *copy = strdup(list);
    if (!copy)
        return oom(err);
    bool ok = true;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*tok)
            continue; /* "a,,b" and a trailing comma: tolerated */
        if (!grow((void **)seeds, *n_seeds, sizeof **seeds, err)) {
            ok = false;
            break;
        }
        ok = seed_entry(origin, tok, &(*seeds)[*n_seeds], err);
        if (ok)
            (*n_seeds)++;
    }
    free(copy);
    if (ok && *n_seeds == 0)
        ok = fail(err, EX_CONFIG, "%s: the seed list is empty", origin);
    if (ok)
        ok = seeds_normalize(*seeds, *n_seeds, normalized, err);
    if (!ok) {
        settings_seeds_free(*seeds, *n_seeds);
        *seeds = NULL;
        *n_seeds = 0;
    }
    return ok;
}

bool settings_cfg_yaml_path(const char *name, char **path, entry_error *err)
{
    *path = NULL;
    size_t plen = strlen(CFG_PREFIX);
    if (strncmp(name, CFG_PREFIX, plen) != 0 || name[plen] == '\0')
        return fail(err, EX_CONFIG, "%s: expected %s<KEY>", name, CFG_PREFIX);
    const char *rest = name + plen;
    size_t cap = strlen(rest) * 2 + 8; /* "__" -> "." or "[" + "]": never longer than this */
    char *out = malloc(cap), *o = out;
    if (!out)
        return oom(err);
    bool first = true;
    for (const char *part = rest;; first = false) {
        const char *end = strstr(part, "__");
        size_t len = end ? (size_t)(end - part) : strlen(part);
        bool digits = len > 0;
        for (size_t k = 0; k < len; k++) {
            if (!isalnum((unsigned char)part[k]) && part[k] != '_') {
                free(out);
                return fail(err, EX_CONFIG,
                            "%s: only letters, digits and _ can name a yaml key", name);
            }
            digits = digits && isdigit((unsigned char)part[k]);
        }
        if (len == 0 || (digits && first)) {
            free(out);
            return fail(err, EX_CONFIG,
                        "%s: %s; write %sKEY__SUBKEY__0__KEY", name,
                        len == 0 ? "empty key between '__' separators"
                                 : "the first part must be a key, not an index",
                        CFG_PREFIX);
        }
        if (digits) {
            *o++ = '[';
        } else if (!first) {
            *o++ = '.';
        }
        for (size_t k = 0; k < len; k++)
            *o++ = (char)tolower((unsigned char)part[k]);
        if (digits)
            *o++ = ']';
        if (!end)
            break;
        part = end + 2;
    }
    *o = '\0';
    *path = out;
    return true;
}

bool settings_path_looks_secret(const char *path)
{
    return redact_key_looks_secret(path);
}

/* ------------------------------------------------------------------ */
/* Step 2: the environment, the overrides, the chain, the validation  */

typedef struct {
    char *value;   /* NULL: unset */
    char *origin;  /* the variable name, "--set" or "the seed list argument" */
    bool secret;
    bool override; /* came from --set or CASSANDRA_CFG_YAML_ */
} slot;

typedef struct {
    char *path, *value, *origin;
    bool secret;
} override;

typedef enum { A_AUTO, A_IP, A_IFACE, A_NAME } addr_kind;

typedef struct {
    addr_kind kind;
    addrs_ip ip;              /* A_IP, and A_IFACE/A_NAME once resolved */
    const char *text;         /* the value as given (brackets removed for A_IP) */
    char buf[ADDRS_HOST_MAX]; /* storage for text when brackets were removed */
} addr_value;

typedef struct {
    const settings_input *in;
    settings *s;
    entry_error *err;
    slot slots[S_COUNT];
    override *ovr;
    size_t n_ovr;
    /* The "auto" address, chosen once for every variable that asks. */
    bool auto_done;
    addrs_ip auto_ip;
} resolver;

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

/* Set a slot; takes ownership of value. */
static bool slot_set(resolver *r, int id, char *value, const char *origin, bool secret,
                     bool is_override)
{
    slot *sl = &r->slots[id];
    if (secret && !redact_add(&r->s->secrets, value))
        return oom(r->err);
    free(sl->value);
    sl->value = value;
    sl->secret = secret;
    sl->override = is_override;
    return dup_into(&sl->origin, origin, r->err);
}

static bool note(resolver *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool note(resolver *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return push_str(&r->s->notes, &r->s->n_notes, line, r->err);
}

/* The path `prefix` names `path` or something under it. */
static bool path_covers(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    return strncmp(prefix, path, n) == 0 && (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

static bool add_edit(resolver *r, const char *path, const char *value, settings_value_type type,
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
    if (!grow((void **)&s->edits, s->n_edits, sizeof *s->edits, r->err))
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
        return oom(r->err);
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
    return fail(r->err, EX_CONFIG, "%s=%s: not a Java class name", r->slots[id].origin,
                v);
}

static bool add_slot_edit(resolver *r, int id, const char *value, settings_value_type type,
                          bool if_present, bool secret)
{
    const slot *sl = &r->slots[id];
    char origin[256];
    if (sl->value)
        snprintf(origin, sizeof origin, "%s", sl->origin);
    else
        snprintf(origin, sizeof origin, "%s (default)", VARS[id].name);
    return add_edit(r, VARS[id].yaml_path, value, type, origin, sl->secret || secret,
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
        if (VARS[id].yaml_path && strcmp(VARS[id].yaml_path, path) == 0)
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
        return oom(r->err);
    int id = slot_for_path(path);
    if (id >= 0) {
        char *text = unquote(value);
        if (!text)
            return oom(r->err);
        if (!*text) {
            free(text);
            return fail(r->err, EX_CONFIG,
                        "%s: %s needs a value here (leave it out to get the default)", origin,
                        path);
        }
        return slot_set(r, id, text, origin, secret, true);
    }
    if (!grow((void **)&r->ovr, r->n_ovr, sizeof *r->ovr, r->err))
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
        return oom(r->err);
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
    size_t n = 0, plen = strlen(CFG_PREFIX);
    for (char *const *e = in->envp; e && *e; e++)
        n += strncmp(*e, CFG_PREFIX, plen) == 0;
    if (n == 0)
        return true;
    cfg_var *vars = calloc(n, sizeof *vars);
    if (!vars)
        return oom(r->err);
    size_t k = 0;
    for (char *const *e = in->envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, CFG_PREFIX, plen) != 0 || !eq || eq[1] == '\0')
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
            ok = fail(r->err, EX_CONFIG, "%.60s...: variable name too long", v->name);
            break;
        }
        snprintf(name, sizeof name, "%.*s", (int)full_len, v->name);
        snprintf(base, sizeof base, "%.*s", (int)v->base_len, v->name);
        if (i + 1 < k && vars[i + 1].base_len == v->base_len &&
            strncmp(vars[i + 1].name, v->name, v->base_len) == 0) {
            ok = fail(r->err, EX_CONFIG, "%s and %s_FILE are both set: keep one", base,
                      base);
            break;
        }
        char *path = NULL, *value = NULL;
        bool from_file = false;
        ok = settings_cfg_yaml_path(base, &path, r->err) &&
             env_read(in, base, &value, &from_file, r->err);
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
            return oom(r->err);
        char *eq = set_split(word);
        *eq = '\0';
        /* "--set num_tokens" tells which of several --set a message is about. */
        char *origin = malloc(strlen(word) + 7);
        if (!origin) {
            free(word);
            return oom(r->err);
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
    if (!parse_uint(sl->value, min, max, out))
        return fail(r->err, EX_CONFIG, "%s: '%s' is not a number from %lu to %lu",
                    sl->origin, shown(sl->value, sl->secret), min, max);
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
    return add_slot_edit(r, id, text, SETTINGS_VALUE_INT, false, false);
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
        return fail(r->err, EX_CONFIG, "%s: the value is blank", sl->origin);
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

/* The first-start variables: the user, the keyspace, the roles list and the
 * yes/no; a password asks for PasswordAuthenticator and CassandraAuthorizer
 * where the user named none. */
static bool first_start_values(resolver *r)
{
    settings *s = r->s;
    const slot *allow = &r->slots[V_ALLOW_DEFAULT_SUPERUSER];
    int yn = allow->value ? yes_no(allow->value) : 0;
    if (yn < 0)
        return fail(r->err, EX_CONFIG, "%s: '%s' is not yes or no", allow->origin,
                    shown(allow->value, allow->secret));
    s->allow_default_superuser = yn == 1;
    const slot *user = &r->slots[V_USER];
    if (!user->value && !dup_into(&r->slots[V_USER].value, VARS[V_USER].default_value, r->err))
        return false;
    if (!user->origin && !dup_into(&r->slots[V_USER].origin, "CASSANDRA_USER (default)", r->err))
        return false;
    if (has_control(user->value) || !*user->value || strlen(user->value) > 128)
        return fail(r->err, EX_CONFIG, "%s: a role name of 1 to 128 characters", user->origin);
    const slot *ks = &r->slots[V_KEYSPACE];
    if (ks->value && !cql_name(ks->value))
        return fail(r->err, EX_CONFIG, "%s: '%s' is not a keyspace name (letters, digits, '_', "
                    "at most 48, not starting with a digit)", ks->origin, ks->value);
    const slot *roles = &r->slots[V_ROLES];
    size_t entry = 0;
    for (const char *p = roles->value; p && *p;) {
        size_t n = strcspn(p, ","), name = strcspn(p, ":");
        entry++;
        if (name >= n || name == 0 || name + 1 == n)
            return fail(r->err, EX_CONFIG, "%s: entry %zu is not name:password",
                        roles->origin, entry);
        char role[64];
        if (name >= sizeof role)
            return fail(r->err, EX_CONFIG, "%s: a role name longer than 48", roles->origin);
        memcpy(role, p, name);
        role[name] = '\0';
        if (!cql_name(role))
            return fail(r->err, EX_CONFIG, "%s: '%s' is not a role name (letters, digits, '_')",
                        roles->origin, role);
        p += n + (p[n] == ',');
    }
    if (r->slots[V_PASSWORD].value) {
        static const struct { int id; const char *cls; } wanted[] = {
            {V_AUTHENTICATOR, "PasswordAuthenticator"}, {V_AUTHORIZER, "CassandraAuthorizer"}};
        for (size_t i = 0; i < 2; i++) {
            if (r->slots[wanted[i].id].value) continue;
            char *v = strdup(wanted[i].cls);
            if (!v || !slot_set(r, wanted[i].id, v, "CASSANDRA_PASSWORD (so that the password is asked for)",
                                false, false))
                return v ? false : oom(r->err);
        }
    }
    return true;
}

static bool plain_values(resolver *r)
{
    settings *s = r->s;
    for (int id = 0; id < S_COUNT; id++) {
        const slot *sl = &r->slots[id];
        if (sl->value && has_control(sl->value))
            return fail(r->err, EX_CONFIG,
                        "%s: the value contains a control character (a newline?)", sl->origin);
    }
    unsigned long wait;
    if (r->slots[V_SEED_WAIT].value) {
        if (!check_uint(r, V_SEED_WAIT, 0, MAX_SEED_WAIT, &wait))
            return false;
        s->seed_wait = (unsigned)wait;
    } else {
        s->seed_wait = (unsigned)strtoul(VARS[V_SEED_WAIT].default_value, NULL, 10);
    }
    const slot *sub = &r->slots[V_LISTEN_SUBNET];
    addrs_cidr net;
    entry_error aerr;
    if (sub->value && !addrs_cidr_parse(sub->value, &net, &aerr))
        return fail(r->err, EX_CONFIG, "%s: %s", sub->origin, aerr.message);
    const slot *snitch = &r->slots[V_ENDPOINT_SNITCH];
    static const char java_name[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_.$";
    if (snitch->value && strspn(snitch->value, java_name) != strlen(snitch->value))
        return fail(r->err, EX_CONFIG, "%s: '%s' is not a Java class name", snitch->origin,
                    shown(snitch->value, snitch->secret));
    const slot *rpc = &r->slots[V_START_RPC];
    if (rpc->value) {
        static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                    "off", "0"};
        bool found = false;
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(rpc->value, yes[i]) == 0 || strcasecmp(rpc->value, no[i]) == 0) {
                found = true;
                if (!dup_into(&r->slots[V_START_RPC].value,
                              strcasecmp(rpc->value, yes[i]) == 0 ? "true" : "false", r->err))
                    return false;
                break;
            }
        }
        if (!found)
            return fail(r->err, EX_CONFIG, "%s: '%s' is not true or false", rpc->origin,
                        shown(rpc->value, rpc->secret));
    }
    for (int id = V_MAX_HEAP_SIZE; id <= V_HEAP_NEWSIZE; id++) {
        const slot *sl = &r->slots[id];
        if (sl->value && !valid_heap(sl->value))
            return fail(r->err, EX_CONFIG,
                        "%s: '%s' is not a heap size such as 512M or 4G", sl->origin,
                        shown(sl->value, sl->secret));
    }
    if (!first_start_values(r)) return false;
    return take_value(r, V_DC, &s->dc) && take_value(r, V_RACK, &s->rack) &&
           take_value(r, V_MAX_HEAP_SIZE, &s->max_heap_size) &&
           take_value(r, V_HEAP_NEWSIZE, &s->heap_newsize) &&
           take_value(r, V_USER, &s->user) && take_value(r, V_PASSWORD, &s->password) &&
           take_value(r, V_KEYSPACE, &s->keyspace) && take_value(r, V_ROLES, &s->roles);
}

/* ---- addresses ---- */

static void list_addresses(const addrs_facts *f, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->n_ifaces && used + 1 < len; i++) {
        char t[ADDRS_TEXT_MAX];
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                         addrs_ip_text(&f->ifaces[i].ip, t, sizeof t));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!f->n_ifaces)
        snprintf(buf, len, "none");
}

static void list_ifaces(const addrs_facts *f, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->n_ifaces && used + 1 < len; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || strcmp(f->ifaces[j].name, f->ifaces[i].name) == 0;
        if (seen)
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", f->ifaces[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!f->n_ifaces)
        snprintf(buf, len, "none");
}

/* What an address variable holds: auto, a numeric address, an interface of
 * this node, or a host name. */
static bool classify(resolver *r, const slot *sl, const char *value, addr_value *a)
{
    memset(a, 0, sizeof *a);
    a->text = value;
    if (strcmp(value, "auto") == 0) {
        a->kind = A_AUTO;
        return true;
    }
    size_t len = strlen(value);
    if (len > 2 && value[0] == '[' && value[len - 1] == ']' && len - 2 < sizeof a->buf) {
        snprintf(a->buf, sizeof a->buf, "%.*s", (int)(len - 2), value + 1);
        if (addrs_ip_parse(a->buf, &a->ip) && a->ip.family == AF_INET6) {
            a->kind = A_IP;
            a->text = a->buf;
            return true;
        }
    }
    if (addrs_ip_parse(value, &a->ip)) {
        a->kind = A_IP;
        return true;
    }
    if (addrs_has_iface(r->in->facts, value)) {
        a->kind = A_IFACE;
        return true;
    }
    if (valid_hostname(value)) {
        a->kind = A_NAME;
        return true;
    }
    char ifs[256];
    list_ifaces(r->in->facts, ifs, sizeof ifs);
    return fail(r->err, EX_CONFIG,
                "%s: '%s' is not auto, an IP address, a host name or an interface of this node "
                "(interfaces: %s)",
                sl->origin, shown(value, sl->secret), ifs);
}

static bool auto_address(resolver *r, const char *for_whom, addrs_ip *out)
{
    if (!r->auto_done) {
        const slot *sub = &r->slots[V_LISTEN_SUBNET];
        addrs_cidr net;
        entry_error aerr;
        if (sub->value && !addrs_cidr_parse(sub->value, &net, &aerr))
            return fail(r->err, EX_CONFIG, "%s: %s", sub->origin, aerr.message);
        const char *why = NULL, *ifname = NULL;
        if (!addrs_choose(r->in->facts, sub->value ? &net : NULL, &r->auto_ip, &why, &ifname,
                          &aerr)) {
            if (sub->value)
                return fail(r->err, EX_CONFIG, "%s=auto: %s (%s)", for_whom,
                            aerr.message, sub->origin);
            return fail(r->err, EX_CONFIG, "%s=auto: %s", for_whom, aerr.message);
        }
        char t[ADDRS_TEXT_MAX], where[200] = "";
        if (sub->value)
            snprintf(where, sizeof where, " %s=%s", sub->origin, shown(sub->value, sub->secret));
        if (!note(r, "auto address %s: %s%s (interface %s)",
                  addrs_ip_text(&r->auto_ip, t, sizeof t), why, where, ifname ? ifname : "?"))
            return false;
        r->auto_done = true;
    }
    *out = r->auto_ip;
    return true;
}

/* A name that must be one of this node's addresses (listen, rpc): resolve it
 * and keep the first own address. */
static bool resolve_own(resolver *r, const slot *sl, addr_value *a)
{
    addrs_ip found[MAX_RESOLVED];
    size_t (*res)(void *, const char *, addrs_ip *, size_t) =
        r->in->resolve ? r->in->resolve : addrs_resolve;
    size_t n = res(r->in->ctx, a->text, found, MAX_RESOLVED);
    if (n == 0)
        return fail(r->err, EX_CONFIG, "%s: host name '%s' does not resolve", sl->origin,
                    shown(a->text, sl->secret));
    for (size_t i = 0; i < n; i++) {
        if (addrs_is_own(r->in->facts, &found[i])) {
            a->ip = found[i];
            return true;
        }
    }
    char own[256], t[ADDRS_TEXT_MAX];
    list_addresses(r->in->facts, own, sizeof own);
    return fail(r->err, EX_CONFIG,
                "%s: '%s' resolves to %s, which is not an address of this node (its addresses: %s)",
                sl->origin, shown(a->text, sl->secret), addrs_ip_text(&found[0], t, sizeof t), own);
}

/* listen and rpc: an address this node has (or the wildcard, for rpc), or an
 * interface.  Writes the _address or _interface edit and clears the twin.
 * *chain gets the address the default chain continues with. */
static bool local_address(resolver *r, int addr_id, int iface_id, const char *iface_path,
                          bool wildcard_ok, addrs_ip *chain, bool *chain_secret,
                          bool *is_wildcard)
{
    const slot *as = &r->slots[addr_id], *is = &r->slots[iface_id];
    const char *addr_path = VARS[addr_id].yaml_path;
    *is_wildcard = false;
    if (as->value && is->value)
        return fail(r->err, EX_CONFIG,
                    "%s sets %s and %s sets %s: Cassandra refuses both, keep one", as->origin,
                    addr_path, is->origin, iface_path);
    const slot *sl = is->value ? is : as;
    const char *value = sl->value ? sl->value : VARS[addr_id].default_value;
    char origin[256];
    snprintf(origin, sizeof origin, "%s", sl->value ? sl->origin : VARS[addr_id].name);
    slot shown_slot = {.value = NULL, .origin = origin, .secret = sl->secret, .override = false};
    addr_value a;
    if (!classify(r, &shown_slot, value, &a))
        return false;
    if (is->value && a.kind != A_IFACE) {
        char ifs[256];
        list_ifaces(r->in->facts, ifs, sizeof ifs);
        return fail(r->err, EX_CONFIG,
                    "%s: %s '%s' is not an interface of this node (interfaces: %s)", origin,
                    iface_path, shown(value, sl->secret), ifs);
    }
    char t[ADDRS_TEXT_MAX];
    switch (a.kind) {
    case A_AUTO:
        if (!auto_address(r, VARS[addr_id].name, &a.ip))
            return false;
        a.text = addrs_ip_text(&a.ip, a.buf, sizeof a.buf);
        break;
    case A_IP:
        if (addrs_ip_is_wildcard(&a.ip)) {
            if (!wildcard_ok)
                return fail(r->err, EX_CONFIG,
                            "%s: %s is a wildcard; Cassandra needs the one address other nodes "
                            "reach this node at (leave it unset for auto)",
                            origin, shown(a.text, sl->secret));
            *is_wildcard = true;
        } else if (!addrs_is_own(r->in->facts, &a.ip)) {
            char own[256];
            list_addresses(r->in->facts, own, sizeof own);
            return fail(r->err, EX_CONFIG,
                        "%s: %s is not an address of this node (its addresses: %s)", origin,
                        shown(a.text, sl->secret), own);
        }
        break;
    case A_IFACE:
        addrs_iface_address(r->in->facts, a.text, &a.ip);
        if (!note(r, "%s %s: address %s for the default chain", iface_path, a.text,
                  addrs_ip_text(&a.ip, t, sizeof t)))
            return false;
        break;
    case A_NAME:
        if (!resolve_own(r, &shown_slot, &a))
            return false;
        if (!note(r, "%s %s: resolves to %s, one of this node's addresses", addr_path,
                  shown(a.text, sl->secret), addrs_ip_text(&a.ip, t, sizeof t)))
            return false;
        break;
    }
    *chain = a.ip;
    *chain_secret = sl->secret;
    /* The edit carries the origin of the slot that gave the value. */
    char eorigin[256];
    if (sl->value)
        snprintf(eorigin, sizeof eorigin, "%s", sl->origin);
    else
        snprintf(eorigin, sizeof eorigin, "%s (default)", VARS[addr_id].name);
    if (a.kind == A_IFACE)
        return add_edit(r, iface_path, a.text, SETTINGS_VALUE_STRING, eorigin, sl->secret, false) &&
               add_edit(r, addr_path, NULL, SETTINGS_VALUE_NULL, eorigin, false, true);
    return add_edit(r, addr_path, a.text, SETTINGS_VALUE_STRING, eorigin, sl->secret, false) &&
           add_edit(r, iface_path, NULL, SETTINGS_VALUE_NULL, eorigin, false, true);
}

/* broadcast and broadcast_rpc: any real address (they may be NAT addresses),
 * defaulting to `dflt`.  *out gets the text written, for the next link of the
 * chain. */
static bool announced_address(resolver *r, int id, const char *dflt, bool dflt_secret,
                              const char *wildcard_why, char *out, size_t outlen, bool *out_secret)
{
    const slot *sl = &r->slots[id];
    if (!sl->value) {
        /* A default taken from a secret value stays secret. */
        snprintf(out, outlen, "%s", dflt);
        *out_secret = dflt_secret;
        return add_slot_edit(r, id, out, SETTINGS_VALUE_STRING, false, dflt_secret);
    }
    addr_value a;
    if (!classify(r, sl, sl->value, &a))
        return false;
    char t[ADDRS_TEXT_MAX];
    switch (a.kind) {
    case A_AUTO:
        if (!auto_address(r, VARS[id].name, &a.ip))
            return false;
        a.text = addrs_ip_text(&a.ip, a.buf, sizeof a.buf);
        break;
    case A_IP:
        if (addrs_ip_is_wildcard(&a.ip))
            return fail(r->err, EX_CONFIG,
                        "%s: %s is a wildcard; %s", sl->origin, shown(a.text, sl->secret),
                        wildcard_why);
        break;
    case A_IFACE:
        /* Cassandra has no broadcast_interface: announce the interface's address. */
        addrs_iface_address(r->in->facts, a.text, &a.ip);
        if (!note(r, "%s %s: the address of interface %s", VARS[id].yaml_path,
                  addrs_ip_text(&a.ip, t, sizeof t), a.text))
            return false;
        a.text = addrs_ip_text(&a.ip, a.buf, sizeof a.buf);
        break;
    case A_NAME:
        break;
    }
    snprintf(out, outlen, "%s", a.text);
    *out_secret = sl->secret;
    return add_slot_edit(r, id, out, SETTINGS_VALUE_STRING, false, false);
}

static bool addresses(resolver *r)
{
    settings *s = r->s;
    addrs_ip listen, rpc;
    bool wild, rpc_wild, secret;
    char t[ADDRS_TEXT_MAX], broadcast[ADDRS_HOST_MAX], bcast_rpc[ADDRS_HOST_MAX];

    if (!local_address(r, V_LISTEN_ADDRESS, S_LISTEN_IFACE, "listen_interface", false, &listen,
                       &secret, &wild))
        return false;
    if (!announced_address(r, V_BROADCAST_ADDRESS, addrs_ip_text(&listen, t, sizeof t), secret,
                           "other nodes need a real address to reach this node", broadcast,
                           sizeof broadcast, &secret))
        return false;
    bool bcast_secret = secret, unused;
    if (!local_address(r, V_RPC_ADDRESS, S_RPC_IFACE, "rpc_interface", true, &rpc, &unused,
                       &rpc_wild))
        return false;
    if (!announced_address(r, V_BROADCAST_RPC_ADDRESS, broadcast, bcast_secret,
                           rpc_wild ? "rpc_address is a wildcard, so broadcast_rpc_address must "
                                      "be a real address clients can reach"
                                    : "clients need a real address to reach this node",
                           bcast_rpc, sizeof bcast_rpc, &unused))
        return false;

    const slot *seeds = &r->slots[V_SEEDS];
    char *normalized = NULL;
    const char *origin = seeds->value ? seeds->origin
                                      : "CASSANDRA_SEEDS (default: the broadcast address)";
    if (!settings_seeds_parse(seeds->value ? seeds->value : broadcast, origin, &s->seeds,
                              &s->n_seeds, &normalized, r->err))
        return false;
    bool ok = add_slot_edit(r, V_SEEDS, normalized, SETTINGS_VALUE_STRING, false,
                            !seeds->value && bcast_secret);
    free(normalized);
    if (ok && r->slots[V_LISTEN_SUBNET].value && !r->auto_done)
        ok = note(r, "%s is not used: no address variable is auto",
                  r->slots[V_LISTEN_SUBNET].origin);
    return ok;
}

/* CASSANDRA_* names read by someone other than cass-entry: Cassandra's own
 * scripts (bin/cassandra, cassandra.in.sh, cassandra-env.sh of every release
 * line) and the official image's Dockerfile.  Not typos. */
static const char *const FOREIGN_VARS[] = {
    "CASSANDRA_HOME",     "CASSANDRA_INCLUDE",          "CASSANDRA_LOG_DIR",
    "CASSANDRA_HEAPDUMP_DIR", "CASSANDRA_LIBJEMALLOC",  "CASSANDRA_JDK_UNSUPPORTED",
    "CASSANDRA_USE_JDK11", "CASSANDRA_VERSION",         "CASSANDRA_SHA512",
    "CASSANDRA_GPG_KEYS",
    /* image/fetch-cassandra.sh's, when the build's environment is passed on */
    "CASSANDRA_ROUTES", "CASSANDRA_MIRROR", NULL};

/* What the platform sets for a peer named "cassandra": Kubernetes service
 * variables (CASSANDRA_SERVICE_HOST, CASSANDRA_PORT_9042_TCP_ADDR...) and
 * legacy Docker links (CASSANDRA_NAME, CASSANDRA_ENV_*, CASSANDRA_PORT_*). */
static const char *const SERVICE_LINK_PREFIXES[] = {"CASSANDRA_SERVICE_", "CASSANDRA_PORT",
                                                    "CASSANDRA_NAME", "CASSANDRA_ENV_", NULL};

/* Is NAME (without "=value") one cass-entry or Cassandra reads? */
static bool known_variable(const char *name, size_t len)
{
    if (len >= strlen(CFG_PREFIX) && strncmp(name, CFG_PREFIX, strlen(CFG_PREFIX)) == 0)
        return true;
    for (int id = 0; id < V_COUNT; id++) {
        size_t n = strlen(VARS[id].name);
        if (len >= n && strncmp(name, VARS[id].name, n) == 0 &&
            (len == n || (len == n + 5 && strncmp(name + n, "_FILE", 5) == 0)))
            return true;
    }
    for (const char *const *f = FOREIGN_VARS; *f; f++)
        if (strlen(*f) == len && strncmp(name, *f, len) == 0)
            return true;
    for (const char *const *f = SERVICE_LINK_PREFIXES; *f; f++)
        if (len >= strlen(*f) && strncmp(name, *f, strlen(*f)) == 0)
            return true;
    return false;
}

/* A note for each CASSANDRA_* variable that nothing reads (a typo such as
 * CASSANDRA_SEED, or another image's variable), with the closest known name.
 * A warning, never an error: an unknown variable changes nothing. */
static bool unknown_variables(resolver *r)
{
    for (char *const *e = r->in->envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
        if (len < 10 || strncmp(*e, "CASSANDRA_", 10) != 0 || known_variable(*e, len))
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), *e);
        const char *closest = NULL;
        size_t best = 3;
        for (int id = 0; id < V_COUNT; id++) {
            size_t d = hints_edit_distance(name, VARS[id].name, 2);
            if (d < best) {
                best = d;
                closest = VARS[id].name;
            }
        }
        char hint[160] = "";
        if (closest)
            snprintf(hint, sizeof hint, " (did you mean %s?)", closest);
        if (!note(r, "warning: %s is set but neither cass-entry nor Cassandra reads it%s", name,
                  hint))
            return false;
    }
    return true;
}

bool settings_resolve(const settings_input *in, settings *s, entry_error *err)
{
    if (in->facts == NULL)
        return fail(err, EX_OSERR, "settings_resolve: no address facts given");
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
        ok = env_read(in, VARS[id].name, &value, &from_file, err);
        if (ok && value) {
            char origin[256];
            snprintf(origin, sizeof origin, "%s%s", VARS[id].name, from_file ? "_FILE" : "");
            ok = slot_set(&r, id, value, origin, from_file || VARS[id].secret, false);
        }
    }
    if (ok && s->seed_arg) {
        char *copy = strdup(s->seed_arg);
        ok = copy ? slot_set(&r, V_SEEDS, copy, "the seed list argument", false, false)
                  : oom(err);
    }
    ok = ok && read_cfg_yaml(&r) && read_sets(&r) && unknown_variables(&r);

    /* 4. the values, checked, then the edits in a fixed order. */
    ok = ok && plain_values(&r);
    if (ok && r.slots[V_CLUSTER_NAME].value)
        ok = add_slot_edit(&r, V_CLUSTER_NAME, r.slots[V_CLUSTER_NAME].value,
                           SETTINGS_VALUE_STRING, false, false);
    ok = ok && int_edit(&r, V_NUM_TOKENS, 1, MAX_NUM_TOKENS) && addresses(&r);
    if (ok && r.slots[V_ENDPOINT_SNITCH].value)
        ok = add_slot_edit(&r, V_ENDPOINT_SNITCH, r.slots[V_ENDPOINT_SNITCH].value,
                           SETTINGS_VALUE_STRING, false, false);
    for (int id = V_AUTHENTICATOR; ok && id <= V_AUTHORIZER; id++)
        if (r.slots[id].value) {
            ok = class_name_value(&r, id) &&
                 add_slot_edit(&r, id, r.slots[id].value, SETTINGS_VALUE_STRING, false, false);
            if (ok)
                s->edits[s->n_edits - 1].class_name_if_map = true;
        }
    ok = ok && int_edit(&r, V_TRANSPORT_PORT, 1, 65535) && int_edit(&r, V_CQL_PORT, 1, 65535);
    if (ok && r.slots[V_START_RPC].value) /* start_rpc exists up to 3.11 only */
        ok = add_slot_edit(&r, V_START_RPC, r.slots[V_START_RPC].value, SETTINGS_VALUE_BOOL,
                           true, false);

    /* 5. the overrides of any other path, last so they win. */
    for (size_t i = 0; ok && i < r.n_ovr; i++)
        ok = add_edit(&r, r.ovr[i].path, r.ovr[i].value, SETTINGS_VALUE_RAW, r.ovr[i].origin,
                      r.ovr[i].secret, false);
    resolver_free(&r);
    return ok;
}
