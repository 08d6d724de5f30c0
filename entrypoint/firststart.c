/* firststart: see firststart.h. */
#include "entrypoint/firststart.h"

#include "cql/net.h"
#include "cql/probe.h"
#include "cql/session.h"
#include "cql/split.h"

#include <dirent.h>
#include <pwd.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fixed table ids: every node's CREATE TABLE IF NOT EXISTS is then the very
 * same schema change, so nodes that create them at once cannot disagree. */
#define LOCKS_ID "6a0f4b8e-2c1d-4e5f-9a7b-3c2d1e0f4a01"
#define INITDB_ID "6a0f4b8e-2c1d-4e5f-9a7b-3c2d1e0f4a02"
#define LOCK_NAME "first-start"
#define LOCK_TTL "300"

enum { STATEMENT_MS = 30000, AGREEMENT_MS = 60000, POLL_MS = 2000 };

typedef struct {
    const firststart_config *c;
    cql_session *s;
    bool as_default;  /* logged in as cassandra/cassandra */
    int rf;           /* replicas of what first start creates */
    int64_t deadline;
    entry_error *err;
} run;

__attribute__((format(printf, 2, 3))) static void say(const run *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (r->c->say) r->c->say(line);
}

__attribute__((format(printf, 3, 4))) static int fail(const run *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
    va_end(ap);
    r->err->code = code;
    return code;
}

static void pause_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* ---- the scripts ---- */

static bool is_script(const char *name)
{
    size_t n = strlen(name);
    const char *const suffixes[] = { ".cql", ".cql.gz", ".sh" };
    for (size_t i = 0; i < 3; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0) return true;
    }
    return false;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The scripts' names, sorted; *n 0 when the directory is missing. */
static char **list_scripts(const char *dir, size_t *n, bool *ok)
{
    *n = 0;
    *ok = true;
    if (!dir) return NULL;
    DIR *d = opendir(dir);
    if (!d) {
        *ok = errno == ENOENT;
        return NULL;
    }
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !is_script(e->d_name)) continue;
        char **more = realloc(names, (*n + 1) * sizeof *names);
        char *copy = strdup(e->d_name);
        if (!more || !copy) {
            free(copy);
            names = more ? more : names;
            *ok = false;
            break;
        }
        names = more;
        names[(*n)++] = copy;
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, by_name);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

bool firststart_pending(const firststart_config *c)
{
    if (c->password || c->keyspace || c->roles) return true;
    size_t n;
    bool ok;
    char **names = list_scripts(c->initdb_dir, &n, &ok);
    free_names(names, n);
    return n > 0 || !ok;
}

/* Run argv, its stdout into *out (NULL: inherited); its exit status, or -1. */
static int run_program(char *const argv[], char **out, size_t *out_len)
{
    int fds[2] = { -1, -1 };
    if (out && pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        if (out) close(fds[0]), close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        if (out) {
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = -1;
    if (out) {
        close(fds[1]);
        FILE *mem = open_memstream(out, out_len);
        char buf[8192];
        ssize_t k;
        while ((k = read(fds[0], buf, sizeof buf)) > 0)
            if (mem) fwrite(buf, 1, (size_t)k, mem);
        close(fds[0]);
        if (mem) fclose(mem);
        else *out = NULL;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (out && !*out) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static bool sha256_of(const char *path, char hex[65])
{
    char *argv[] = { "sha256sum", "--", (char *)path, NULL };
    char *out = NULL;
    size_t len = 0;
    int rc = run_program(argv, &out, &len);
    bool ok = rc == 0 && out && len >= 64;
    if (ok) {
        memcpy(hex, out, 64);
        hex[64] = '\0';
    }
    free(out);
    return ok;
}

/* ---- statements ---- */

/* Bad credentials (0x0100): the role is not there (yet), or may not log in. */
static bool refused(const cql_error *e)
{
    return e->code == CQL_ERR_SERVER && e->server_code == 0x0100;
}

static cql_status open_as(run *r, const char *user, const char *password, cql_session **s, cql_error *e)
{
    return cql_session_open_tls(r->c->host, r->c->port, r->c->tls, user, password, STATEMENT_MS, s, e);
}

/* Log in as the wanted superuser, trying `retries` more times a second
 * apart (roles cache, replicas), and make that the run's session.  True once
 * switched; e says why not. */
static bool switch_to_wanted(run *r, int retries, cql_error *e)
{
    for (int i = 0;; i++) {
        cql_session *mine;
        if (open_as(r, r->c->user, r->c->password, &mine, e) == CQL_OK) {
            cql_session_close(r->s);
            r->s = mine;
            r->as_default = false;
            return true;
        }
        if (i >= retries) return false;
        pause_ms(1000);
    }
}

/* Logged in as the default superuser, this node may see another node's work
 * take it away (its superuser status, its login) at any moment before its own
 * turn: the wanted superuser is then there, or about to be.  True once this
 * node is logged in as it (a line says so). */
static bool now_as_wanted(run *r, int retries)
{
    cql_error e;
    if (!r->as_default || !r->c->password || !switch_to_wanted(r, retries, &e)) return false;
    say(r, "first start: superuser '%s' was set by another node", r->c->user);
    return true;
}

/* A statement at QUORUM (LWTs at SERIAL).  Refused as the default superuser
 * (0x2100 unauthorized): another node replaced it; the statement is tried
 * once more as the wanted one. */
static cql_status query(run *r, const char *q, const cql_value *v, size_t n, bool serial,
                        cql_result *out, cql_error *e)
{
    cql_consistency serial_cl = serial ? CQL_CL_SERIAL : 0;
    cql_status st = cql_query(r->s, q, CQL_CL_QUORUM, serial_cl, v, n, STATEMENT_MS, out, e);
    if (st != CQL_OK && e->code == CQL_ERR_SERVER && e->server_code == 0x2100 && now_as_wanted(r, 30))
        st = cql_query(r->s, q, CQL_CL_QUORUM, serial_cl, v, n, STATEMENT_MS, out, e);
    return st;
}

/* A text literal for a statement that takes no bind markers (role DDL). */
static char *quoted(const char *s, char quote)
{
    size_t n = strlen(s), extra = 0;
    for (size_t i = 0; i < n; i++) extra += s[i] == quote;
    char *q = malloc(n + extra + 3), *p = q;
    if (!q) return NULL;
    *p++ = quote;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == quote) *p++ = quote;
        *p++ = s[i];
    }
    *p++ = quote;
    *p = '\0';
    return q;
}

/* An answer that may change a moment later: replicas down or busy, a
 * timeout, schema versions not agreed yet.  It happens when a whole cluster
 * restarts: each node does this work again while its peers come and go. */
static bool transient(const cql_error *e)
{
    if (e->code == CQL_ERR_TIMEOUT) return true;
    if (e->code != CQL_ERR_SERVER) return false;
    switch (e->server_code) {
    case 0x1000: /* Unavailable */
    case 0x1001: /* Overloaded */
    case 0x1002: /* Is_bootstrapping */
    case 0x1100: /* Write_timeout */
    case 0x1200: /* Read_timeout */
        return true;
    default:
        return false;
    }
}

/* After a statement that may run twice with the same effect failed: true,
 * once paused, when the answer was transient and the deadline allows another
 * try.  Never used for the init scripts' statements. */
static bool retry_after(run *r, const cql_error *e)
{
    if (!transient(e) || cql_now_ms() + POLL_MS > r->deadline) return false;
    pause_ms(POLL_MS);
    return true;
}

/* After a schema change: the wait for every node to have it.  No agreement
 * in time is a warning, not a failure: the change is made, and a node that
 * is down (its last version stays in system.peers) takes it when it is
 * back.  Drivers do the same. */
static void await_agreement(run *r, const char *what)
{
    cql_error e;
    if (cql_schema_agreement(r->s, AGREEMENT_MS, &e) != CQL_OK)
        say(r, "warning: first start: %.200s: %.200s; going on (a node that is down takes the schema when it is back)",
            what, e.message);
}

/* Such a statement (IF NOT EXISTS, a read, a role or keyspace altered to a
 * given value), then, when `schema`, the wait for schema agreement. */
static cql_status idempotent(run *r, const char *q, bool schema, cql_result *out, cql_error *e)
{
    for (;;) {
        cql_status st = query(r, q, NULL, 0, false, out, e);
        if (st == CQL_OK) {
            if (schema) await_agreement(r, q);
            return st;
        }
        if (!retry_after(r, e)) return st;
    }
}

/* Log in as the wanted superuser, else as the default one (before the work
 * replaced it).  Both refused: the default role is not made yet (the first
 * node makes it some seconds after it starts) or is being replaced: retry. */
static int login(run *r)
{
    const firststart_config *c = r->c;
    /* without a password: the node's default, or no authentication at all */
    const char *user = c->password ? c->user : NULL, *password = c->password;
    bool wanted_is_default = user && strcmp(user, "cassandra") == 0 && strcmp(password, "cassandra") == 0;
    cql_error e;
    for (;;) {
        cql_status st = open_as(r, user, password, &r->s, &e);
        if (st == CQL_OK) {
            r->as_default = wanted_is_default;
            return 0;
        }
        if (refused(&e) && !wanted_is_default) {
            cql_error e2;
            if (open_as(r, "cassandra", "cassandra", &r->s, &e2) == CQL_OK) {
                r->as_default = true;
                say(r, "first start: logged in as the default superuser cassandra ('%s' cannot log in yet)", user);
                return 0;
            }
        }
        if (cql_now_ms() + POLL_MS > r->deadline)
            return fail(r, EX_UNAVAILABLE, "cannot log in to %s:%u as '%s' (nor as the default "
                        "superuser): %s", c->host, c->port, user ? user : "cassandra", e.message);
        pause_ms(POLL_MS);
    }
}

static int replication_factor(run *r);

static int ensure_schema(run *r)
{
    cql_error e;
    /* as many replicas as there are nodes, up to 3, so that the lock's
     * quorum is reachable on a node alone */
    int rf = r->rf = replication_factor(r);
    char ks[256];
    snprintf(ks, sizeof ks, "CREATE KEYSPACE IF NOT EXISTS cass_entry WITH replication = "
             "{'class': 'SimpleStrategy', 'replication_factor': %d}", rf);
    const char *const ddl[] = {
        ks,
        "CREATE TABLE IF NOT EXISTS cass_entry.locks (name text PRIMARY KEY, owner text, "
        "taken timestamp) WITH id = " LOCKS_ID,
        "CREATE TABLE IF NOT EXISTS cass_entry.initdb (script text PRIMARY KEY, sha256 text, "
        "ran_at timestamp, ran_by text) WITH id = " INITDB_ID,
    };
    for (size_t i = 0; i < 3; i++) {
        if (idempotent(r, ddl[i], true, NULL, &e) != CQL_OK)
            return fail(r, EX_UNAVAILABLE, "creating cass_entry's tables: %s", e.message);
    }
    return 0;
}

/* The lock: a row inserted IF NOT EXISTS, with a TTL so that a node that died
 * holding it does not block the cluster for longer. */
static int take_lock(run *r)
{
    cql_value v[1] = { cql_text_value(r->c->node_name) };
    bool waited = false;
    for (;;) {
        cql_result res;
        cql_error e;
        cql_status st = query(r, "INSERT INTO cass_entry.locks (name, owner, taken) VALUES ('" LOCK_NAME
                              "', ?, toTimestamp(now())) IF NOT EXISTS USING TTL " LOCK_TTL,
                              v, 1, true, &res, &e);
        if (st == CQL_OK) {
            int applied = cql_column(&res, "[applied]"), owner = cql_column(&res, "owner");
            bool won = applied >= 0 && cql_value_bool(cql_cell(&res, 0, (size_t)applied));
            char *holder = owner >= 0 ? cql_value_text(cql_cell(&res, 0, (size_t)owner)) : NULL;
            bool mine = holder && strcmp(holder, r->c->node_name) == 0;
            if (!won && !waited) say(r, "first start: %s does the cluster's first-start work; waiting for it", holder ? holder : "another node");
            free(holder);
            cql_result_free(&res);
            if (won || mine) return 0;
            waited = true;
        } else if (cql_now_ms() + POLL_MS > r->deadline) {
            return fail(r, EX_UNAVAILABLE, "first start: taking the lock: %s", e.message);
        }
        if (cql_now_ms() + POLL_MS > r->deadline)
            return fail(r, EX_UNAVAILABLE, "first start: another node held the lock for too long");
        pause_ms(POLL_MS);
    }
}

static void release_lock(run *r)
{
    cql_value v[1] = { cql_text_value(r->c->node_name) };
    cql_error e;
    if (query(r, "DELETE FROM cass_entry.locks WHERE name = '" LOCK_NAME "' IF owner = ?", v, 1, true,
              NULL, &e) != CQL_OK)
        say(r, "warning: first start: releasing the lock: %s (it expires by itself)", e.message);
}

/* The default role, read at ALL: 1 it may log in or is a superuser, 0
 * neither, -1 no such role, -2 error (e filled).  A read at ALL repairs the
 * row onto every replica, and that matters: Cassandra wrote the row while
 * system_auth had one replica, so once it has three the row is on one node
 * only, and ALTER ROLE (which reads it at QUORUM) may say it does not exist.
 * When a replica is down (*at_all false) a QUORUM read says what it can. */
static int default_role_state(run *r, bool *at_all, cql_error *e)
{
    const char *q = "SELECT is_superuser, can_login FROM system_auth.roles WHERE role = 'cassandra'";
    cql_result res;
    cql_status st;
    *at_all = true;
    for (int tries = 0; (st = cql_query(r->s, q, CQL_CL_ALL, 0, NULL, 0, STATEMENT_MS, &res, e)) != CQL_OK; tries++) {
        bool replica_down = e->code == CQL_ERR_SERVER && e->server_code == 0x1000;
        if (replica_down || tries >= 5 || !retry_after(r, e)) break;
    }
    if (st != CQL_OK) {
        *at_all = false;
        if (idempotent(r, q, false, &res, e) != CQL_OK) return -2;
    }
    int state = -1;
    if (res.n_rows)
        state = cql_value_bool(cql_cell(&res, 0, 0)) || cql_value_bool(cql_cell(&res, 0, 1));
    cql_result_free(&res);
    return state;
}

/* As the wanted superuser: the default role loses its login and its
 * superuser status, if it still has either (a node that set the wanted one
 * may have died before this step). */
static int disable_default(run *r)
{
    cql_error e;
    bool at_all;
    int state = default_role_state(r, &at_all, &e);
    if (state == -2)
        return fail(r, EX_UNAVAILABLE, "first start: reading the default role cassandra: %s", e.message);
    if (state == 0) return 0;
    if (state == -1) {
        if (!at_all)
            say(r, "warning: first start: the default role cassandra is not found at QUORUM (a node is down): "
                "if it exists, disable it with ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false");
        return 0;
    }
    if (idempotent(r, "ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false", false, NULL, &e) != CQL_OK)
        return fail(r, EX_UNAVAILABLE, "first start: disabling the default superuser: %s", e.message);
    say(r, "first start: superuser '%s' set; the default superuser cassandra can no longer log in", r->c->user);
    return 0;
}

/* The default superuser is replaced by the wanted one. */
static int replace_superuser(run *r)
{
    const firststart_config *c = r->c;
    cql_error e;
    /* Another node may have done it while we waited for the lock. */
    now_as_wanted(r, 0);
    if (!cql_session_authenticated(r->s)) {
        say(r, "warning: first start: the node takes no credentials (authenticator AllowAllAuthenticator): "
            "no superuser to set");
        return 0;
    }
    bool wanted_is_default = strcmp(c->user, "cassandra") == 0;
    if (!r->as_default) return wanted_is_default ? 0 : disable_default(r);
    char *pw = quoted(c->password, '\''), *name = quoted(c->user, '"');
    char *q = NULL;
    int rc = 0;
    if (!pw || !name ||
        (wanted_is_default ? asprintf(&q, "ALTER ROLE cassandra WITH PASSWORD = %s", pw)
                           : asprintf(&q, "CREATE ROLE IF NOT EXISTS %s WITH PASSWORD = %s AND SUPERUSER = true "
                                      "AND LOGIN = true", name, pw)) < 0) {
        q = NULL;
        rc = fail(r, EX_OSERR, "out of memory");
    } else if (idempotent(r, q, false, NULL, &e) != CQL_OK) {
        rc = wanted_is_default
            ? fail(r, EX_UNAVAILABLE, "first start: setting the superuser's password: %.200s", e.message)
            : fail(r, EX_UNAVAILABLE, "first start: creating the superuser '%s': %.200s", c->user, e.message);
    } else if (wanted_is_default) {
        say(r, "first start: the superuser cassandra has the password given");
    } else {
        /* A role may not take its own superuser status away: that is done
         * as the new superuser, once its login works (the role cache).
         * (query() may have switched already: refused as the default.) */
        if (r->as_default && !switch_to_wanted(r, 30, &e))
            rc = fail(r, EX_UNAVAILABLE, "first start: the new superuser '%s' cannot log in: %s",
                      c->user, e.message);
        else
            rc = disable_default(r);
    }
    if (q) explicit_bzero(q, strlen(q));
    if (pw) explicit_bzero(pw, strlen(pw));
    free(q);
    free(pw);
    free(name);
    return rc;
}

/* Nodes this node knows: itself and system.peers (0: cannot tell). */
static int known_nodes(run *r)
{
    cql_error e;
    cql_result peers;
    if (query(r, "SELECT peer FROM system.peers", NULL, 0, false, &peers, &e) != CQL_OK) return 0;
    int n = 1 + (int)peers.n_rows;
    cql_result_free(&peers);
    return n;
}

/* Replicas for cass_entry, system_auth and CASSANDRA_KEYSPACE: one per node,
 * up to 3, the nodes counted once gossip has stopped adding peers (nodes that
 * start together find each other within seconds) and never fewer than the
 * seeds.  With fewer than 3 replicas a node lost takes the roles with it. */
static int replication_factor(run *r)
{
    int n = known_nodes(r), same = 0;
    for (int i = 0; i < 30 && same < 5 && n < 3; i++) {
        pause_ms(1000);
        int now = known_nodes(r);
        same = now == n ? same + 1 : 0;
        n = now;
    }
    if (n < (int)r->c->expected_nodes) n = (int)r->c->expected_nodes;
    return n < 1 ? 1 : n > 3 ? 3 : n;
}

/* system_auth as replicated as the rest: done by the first node, before the
 * superuser is written, so the new role lands on every replica. */
static int replicate_auth(run *r, int rf)
{
    cql_error e;
    cql_result ks;
    if (idempotent(r, "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'system_auth'",
                   false, &ks, &e) != CQL_OK)
        return fail(r, EX_UNAVAILABLE, "first start: reading system_auth's replication: %s", e.message);
    /* a map<text,text>: [int] n, then key and value as [bytes]; look for the factor */
    int now = 0;
    const cql_value *v = cql_cell(&ks, 0, 0);
    if (v && v->len > 4) {
        cql_reader rd = { v->data + 4, v->data + v->len };
        const unsigned char *k, *val;
        int32_t kl, vl;
        while (cql_read_bytes(&rd, &k, &kl) && cql_read_bytes(&rd, &val, &vl))
            if (kl == 18 && memcmp(k, "replication_factor", 18) == 0)
                for (int32_t i = 0; i < vl && i < 3 && val[i] >= '0' && val[i] <= '9'; i++)
                    now = now * 10 + (val[i] - '0');
    }
    cql_result_free(&ks);
    if (now >= rf) return 0;
    char q[160];
    snprintf(q, sizeof q, "ALTER KEYSPACE system_auth WITH replication = {'class': 'SimpleStrategy', "
             "'replication_factor': %d}", rf);
    if (idempotent(r, q, true, NULL, &e) != CQL_OK)
        return fail(r, EX_UNAVAILABLE, "first start: replicating system_auth: %s", e.message);
    say(r, "first start: system_auth replicated %d times (was %d)", rf, now);
    return 0;
}

/* CASSANDRA_KEYSPACE and CASSANDRA_ROLES (names checked by the settings:
 * letters, digits and '_', so they go into statements unquoted). */
static int keyspace_and_roles(run *r)
{
    const firststart_config *c = r->c;
    cql_error e;
    char q[512];
    if (c->keyspace) {
        snprintf(q, sizeof q, "CREATE KEYSPACE IF NOT EXISTS %.48s WITH replication = {'class': "
                 "'SimpleStrategy', 'replication_factor': %d}", c->keyspace, r->rf);
        if (idempotent(r, q, true, NULL, &e) != CQL_OK)
            return fail(r, EX_UNAVAILABLE, "first start: keyspace %s: %s", c->keyspace, e.message);
    }
    int rc = 0;
    for (const char *p = c->roles; p && *p && rc == 0;) {
        size_t n = strcspn(p, ","), name_len = strcspn(p, ":");
        char name[64], *password = strndup(p + name_len + 1, n - name_len - 1);
        snprintf(name, sizeof name, "%.*s", (int)(name_len < 48 ? name_len : 48), p);
        char *pw = password ? quoted(password, '\'') : NULL, *stmt = NULL;
        if (!pw || asprintf(&stmt, "CREATE ROLE IF NOT EXISTS %s WITH PASSWORD = %s AND LOGIN = true", name, pw) < 0)
            stmt = NULL, rc = fail(r, EX_OSERR, "out of memory");
        else if (idempotent(r, stmt, false, NULL, &e) != CQL_OK)
            rc = fail(r, EX_UNAVAILABLE, "first start: role %s: %.200s", name, e.message);
        if (rc == 0 && c->keyspace) {
            snprintf(q, sizeof q, "GRANT ALL PERMISSIONS ON KEYSPACE %.48s TO %s", c->keyspace, name);
            if (idempotent(r, q, false, NULL, &e) != CQL_OK)
                rc = fail(r, EX_UNAVAILABLE, "first start: %s: %.200s", q, e.message);
        }
        if (rc == 0) say(r, "first start: role %s%s%s", name, c->keyspace ? ", all permissions on " : "",
                         c->keyspace ? c->keyspace : "");
        if (stmt) explicit_bzero(stmt, strlen(stmt));
        if (pw) explicit_bzero(pw, strlen(pw));
        if (password) explicit_bzero(password, strlen(password));
        free(stmt);
        free(pw);
        free(password);
        p += n + (p[n] == ',');
    }
    return rc;
}

static char *read_script(const char *path, bool gz, size_t *len)
{
    char *out = NULL;
    if (gz) {
        char *argv[] = { "gzip", "-dc", "--", (char *)path, NULL };
        if (run_program(argv, &out, len) != 0) {
            free(out);
            return NULL;
        }
        return out;
    }
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    FILE *mem = open_memstream(&out, len);
    char buf[8192];
    size_t k;
    while (mem && (k = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, k, mem);
    bool bad = ferror(f);
    fclose(f);
    if (!mem || fclose(mem) != 0 || bad) {
        free(out);
        return NULL;
    }
    return out;
}

static int run_cql(run *r, const char *path, bool gz)
{
    size_t len = 0;
    char *text = read_script(path, gz, &len);
    if (!text) return fail(r, EX_IOERR, "%s: cannot read%s", path, gz ? " (gzip -dc failed)" : "");
    cql_script script;
    cql_split_error se;
    if (!cql_split(text, len, &script, &se)) {
        free(text);
        return fail(r, EX_DATAERR, "%s:%u:%u: %s", path, se.line, se.column, se.message);
    }
    free(text);
    int rc = 0;
    for (size_t i = 0; i < script.n && rc == 0; i++) {
        cql_result res;
        cql_error e;
        if (query(r, script.items[i].text, NULL, 0, false, &res, &e) != CQL_OK) {
            rc = fail(r, EX_DATAERR, "%s:%u: %s", path, script.items[i].line, e.message);
            break;
        }
        bool ddl = res.kind == CQL_RESULT_SCHEMA_CHANGE;
        cql_result_free(&res);
        if (ddl) {
            char where[4200];
            snprintf(where, sizeof where, "%s:%u", path, script.items[i].line);
            await_agreement(r, where);
        }
    }
    say(r, "first start: %s: %zu statements", path, script.n);
    cql_script_free(&script);
    return rc;
}

static int run_sh(run *r, const char *path)
{
    char port[16];
    snprintf(port, sizeof port, "%u", r->c->port);
    /* what a script needs to reach the node: cqlsh reads these */
    setenv("CQLSH_HOST", r->c->host, 1);
    setenv("CQLSH_PORT", port, 1);
    /* HOME is still root's: cqlsh wants one it can write */
    struct passwd *pw = getpwuid(getuid());
    const char *home = pw && pw->pw_dir && access(pw->pw_dir, W_OK) == 0 ? pw->pw_dir : "/tmp";
    setenv("HOME", home, 1);
    char *argv[] = { "/bin/sh", (char *)path, NULL };
    int st = run_program(argv, NULL, NULL);
    if (st != 0) return fail(r, EX_DATAERR, "%s: exited with status %d", path, st);
    say(r, "first start: %s: done", path);
    return 0;
}

static int run_scripts(run *r)
{
    size_t n;
    bool ok;
    char **names = list_scripts(r->c->initdb_dir, &n, &ok);
    if (!ok) {
        free_names(names, n);
        return fail(r, EX_IOERR, "%s: cannot list: %s", r->c->initdb_dir, strerror(errno));
    }
    /* the record's two statements, prepared once for all the scripts */
    cql_prepared lookup, record;
    cql_error pe;
    if (n && (cql_prepare(r->s, "SELECT sha256, ran_by FROM cass_entry.initdb WHERE script = ?", STATEMENT_MS,
                          &lookup, NULL, &pe) != CQL_OK ||
              cql_prepare(r->s, "INSERT INTO cass_entry.initdb (script, sha256, ran_at, ran_by) VALUES "
                          "(?, ?, toTimestamp(now()), ?)", STATEMENT_MS, &record, NULL, &pe) != CQL_OK)) {
        free_names(names, n);
        return fail(r, EX_UNAVAILABLE, "preparing cass_entry.initdb's statements: %s", pe.message);
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096], hex[65];
        snprintf(path, sizeof path, "%.2000s/%.2000s", r->c->initdb_dir, names[i]);
        if (!sha256_of(path, hex)) {
            rc = fail(r, EX_IOERR, "%s: cannot compute its sha256 (sha256sum)", path);
            break;
        }
        cql_value key[1] = { cql_text_value(names[i]) };
        cql_result res;
        cql_error e;
        cql_status st;
        /* a read: retried while the answer is transient (peers restarting) */
        while ((st = cql_execute(r->s, &lookup, CQL_CL_QUORUM, 0, key, 1, STATEMENT_MS, &res, &e)) != CQL_OK &&
               retry_after(r, &e)) {}
        if (st != CQL_OK) {
            rc = fail(r, EX_UNAVAILABLE, "reading cass_entry.initdb: %s", e.message);
            break;
        }
        char *ran = res.n_rows ? cql_value_text(cql_cell(&res, 0, 0)) : NULL;
        cql_result_free(&res);
        if (ran) {
            if (strcmp(ran, hex) != 0)
                say(r, "warning: first start: %s changed since it ran (sha256 %.12s..., now %.12s...): not run again",
                    names[i], ran, hex);
            free(ran);
            continue;
        }
        size_t len = strlen(names[i]);
        if (len > 3 && strcmp(names[i] + len - 3, ".sh") == 0) rc = run_sh(r, path);
        else rc = run_cql(r, path, len > 7 && strcmp(names[i] + len - 7, ".cql.gz") == 0);
        if (rc) break;
        cql_value rec[3] = { cql_text_value(names[i]), cql_text_value(hex), cql_text_value(r->c->node_name) };
        /* the same row written again is the same row: retried like a read */
        while ((st = cql_execute(r->s, &record, CQL_CL_QUORUM, 0, rec, 3, STATEMENT_MS, NULL, &e)) != CQL_OK &&
               retry_after(r, &e)) {}
        if (st != CQL_OK)
            rc = fail(r, EX_UNAVAILABLE, "recording %s in cass_entry.initdb: %s", names[i], e.message);
    }
    free_names(names, n);
    return rc;
}

int firststart_run(const firststart_config *c, entry_error *err)
{
    run r = { .c = c, .deadline = cql_now_ms() + c->wait_ms, .err = err, .rf = 1 };
    *err = (entry_error){ 0 };
    /* the node's CQL server first: it may take minutes to start */
    for (;;) {
        cql_error e;
        if (cql_probe_tls(c->host, c->port, 2000, c->tls, NULL, &e) == CQL_OK) break;
        if (cql_now_ms() + 1000 > r.deadline)
            return fail(&r, EX_UNAVAILABLE, "the node's CQL port never answered: %s", e.message);
        pause_ms(1000);
    }
    int rc = login(&r);
    if (rc == 0) rc = ensure_schema(&r);
    if (rc == 0) rc = take_lock(&r);
    if (rc == 0) {
        if (c->password && cql_session_authenticated(r.s)) rc = replicate_auth(&r, r.rf);
        if (rc == 0 && c->password) rc = replace_superuser(&r);
        if (rc == 0) rc = keyspace_and_roles(&r);
        if (rc == 0) rc = run_scripts(&r);
        release_lock(&r);
    }
    if (rc == 0) say(&r, "first start: done");
    cql_session_close(r.s);
    return rc;
}
