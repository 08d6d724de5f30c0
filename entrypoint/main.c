/*
 * cass-entry: the Cassandra container entrypoint.
 *
 * main() reads like the table of contents: parse the command line; for a
 * command other than Cassandra, exec it untouched; otherwise learn this
 * container's addresses and limits, resolve the settings, plan every file
 * change, (dry run: show it and stop), write, wait for the seeds, drop root
 * and exec Cassandra so that it is PID 1.  Each step that fails fills one
 * entry_error (entrypoint/error.h: the exit status and one line) and returns;
 * main prints it once, as "cass-entry: LINE" with the secrets hidden, and
 * exits with its code.
 *
 * Exit status: the README's table (error.h lists the codes), 126/127 the
 * command could not be executed, 1 --probe: not ready.
 */
#include "cql/probe.h"
#include "entrypoint/cmdline.h"
#include "entrypoint/configure.h"
#include "entrypoint/envfile.h"
#include "entrypoint/error.h"
#include "entrypoint/firststart.h"
#include "entrypoint/heap.h"
#include "entrypoint/help.h"
#include "entrypoint/limits.h"
#include "entrypoint/privileges.h"
#include "entrypoint/settings.h"
#include "entrypoint/supervise.h"
#include "entrypoint/tls.h"
#include "entrypoint/version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#ifndef CASS_ENTRY_VERSION
#define CASS_ENTRY_VERSION "0.1.0"
#endif

extern char **environ;

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* Every secret the settings met (NAME_FILE values, values at secret-looking
 * keys): each line printed below passes through redact_apply, so no value
 * that was read as a secret reaches stdout or stderr, errors included. */
static const redact_list *g_secrets;

/* Print text (one or more lines) to f with the secrets hidden. */
static void put_masked(FILE *f, const char *prefix, const char *text)
{
    char *masked = redact_apply(g_secrets, text);
    fprintf(f, "%s%s", prefix, masked ? masked : "(output withheld: out of memory while hiding secrets)\n");
    free(masked);
}

static void say(const char *line)
{
    put_masked(stderr, "cass-entry: ", line);
    fputc('\n', stderr);
}

/* The one place an error is printed: "cass-entry: LINE", secrets hidden. */
static int report(const entry_error *err)
{
    if (err->code) say(err->message);
    return err->code;
}

/* Run print(ud, f) into memory, then print the result with the secrets
 * hidden.  False when memory ran out (nothing, or not all, was printed). */
static bool print_masked(FILE *out, bool (*print)(const void *ud, FILE *f), const void *ud)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return false;
    bool ok = print(ud, mem);
    ok = fclose(mem) == 0 && ok && buf;
    char *masked = ok ? redact_apply(g_secrets, buf) : NULL;
    if (masked)
        fputs(masked, out);
    free(masked);
    free(buf);
    return masked != NULL;
}

/* Returns only when the command could not be run: 127 not found, 126 not
 * executable (the shell's statuses). */
static int exec_command(char *const argv[], entry_error *err)
{
    fflush(NULL);
    execvp(argv[0], argv);
    return entry_fail(err, errno == ENOENT ? 127 : 126, "cannot execute %s: %s", argv[0], strerror(errno));
}

/* While first-start work is pending, this file exists and --probe (the
 * HEALTHCHECK, the provisioner's readiness gate) says "not ready": a node is
 * ready for its users once its superuser and init scripts are there. */
/* A directory of the data dir by default: Cassandra's user's, so the work can
 * remove the marker after root is gone; a directory of its own, so that the
 * volume's top directory is not touched at every start. */
static void state_dir(char *out, size_t cap)
{
    const char *dir = getenv("CASS_ENTRY_STATE_DIR");
    if (dir && *dir) snprintf(out, cap, "%s", dir);
    else snprintf(out, cap, "%s/.cass-entry", env_or("CASS_ENTRY_DATA_DIR", "/var/lib/cassandra"));
}

static void pending_marker(char *out, size_t cap)
{
    char dir[3900];
    state_dir(dir, sizeof dir);
    snprintf(out, cap, "%s/first-start-pending", dir);
}

/* The PEM files the probe's TLS needs, read whole; a failure is status 1
 * with the reason (the caller says for what). */
static int probe_read(const char *what, const char *path, char **out, entry_error *err)
{
    entry_error rerr = { 0 };
    if (!path[0])
        return entry_fail(err, 1, "client_encryption_options names no %s", what);
    if (!envfile_read_file(NULL, path, out, &rerr))
        return entry_fail(err, 1, "the %s %s: %s", what, path, rerr.message);
    return 0;
}

/* path names the store `p12_name` (in any directory): out gets the same
 * directory with `pem_name`.  False when it names another file. */
static bool pem_copy_of(const char *path, const char *p12_name, const char *pem_name, char *out,
                        size_t len)
{
    size_t n = strlen(path), m = strlen(p12_name);
    if (n < m || strcmp(path + n - m, p12_name) != 0 || (n > m && path[n - m - 1] != '/'))
        return false;
    return snprintf(out, len, "%.*s%s", (int)(n - m), path, pem_name) < (int)len;
}

/* --probe over TLS when the node's native port speaks TLS only: the server's
 * chain verified against client_encryption_options' truststore, the
 * keystore's certificate presented when require_client_auth is on. */
static int probe_tls_config(const configure_client_tls *ct, cql_tls_config *cfg, char **ca,
                            char **ks, entry_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    *ca = *ks = NULL;
    /* PKCS#12 stores cass-entry wrote (CASSANDRA_TLS_STORE): it wrote their
     * PEM copies beside them, the key without a password */
    char ts_pem[sizeof ct->truststore], ks_pem[sizeof ct->keystore];
    const char *ts_path = ct->truststore, *ks_path = ct->keystore;
    bool copies = !ct->pem && pem_copy_of(ct->truststore, TLS_P12_TRUSTSTORE_NAME,
                                          TLS_TRUSTSTORE_NAME, ts_pem, sizeof ts_pem) &&
                  pem_copy_of(ct->keystore, TLS_P12_KEYSTORE_NAME, TLS_KEYSTORE_NAME, ks_pem,
                              sizeof ks_pem);
    if (copies) {
        ts_path = ts_pem;
        ks_path = ks_pem;
    } else if (!ct->pem) {
        return entry_fail(err, 1, "client encryption is required and its keystore is not PEM "
                          "(ssl_context_factory is not PEMBasedSslContextFactory) nor one "
                          "cass-entry wrote: cass-entry speaks TLS with PEM files only");
    }
    int rc = probe_read("truststore", ts_path, ca, err);
    if (rc == 0 && ct->client_auth) rc = probe_read("keystore", ks_path, ks, err);
    if (rc) return rc;
    cfg->ca_pem = *ca;
    if (*ks) {
        cfg->cert_pem = *ks;  /* one file: the key, then the chain */
        cfg->key_pem = *ks;
        cfg->key_password = copies ? NULL : ct->keystore_password;
    }
    return 0;
}

/* --probe: is this node's native transport answering?  Every failure is
 * status 1, "not ready" (the HEALTHCHECK's convention). */
static int probe(const settings *s, const char *runtime_dir, entry_error *err)
{
    char host[256];
    unsigned port;
    configure_client_tls ct;
    if (configure_probe_target(s->conf_dir, runtime_dir, host, sizeof host, &port, &ct, err) != 0) {
        err->code = 1;
        return 1;
    }
    char marker[4096];
    pending_marker(marker, sizeof marker);
    if (access(marker, F_OK) == 0) {
        configure_client_tls_free(&ct);
        return entry_fail(err, 1, "probe: not ready: first-start work pending (%s)", marker);
    }
    cql_tls_config cfg;
    char *ca = NULL, *ks = NULL;
    int rc = ct.required ? probe_tls_config(&ct, &cfg, &ca, &ks, err) : 0;
    if (rc) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        entry_fail(err, 1, "probe: not ready: %s", why);
    } else {
        cql_error cerr;
        cql_supported sup;
        int timeout = atoi(env_or("CASS_ENTRY_PROBE_TIMEOUT_MS", "3000"));
        if (cql_probe_tls(host, port, timeout > 0 ? timeout : 3000, ct.required ? &cfg : NULL, &sup,
                          &cerr) != CQL_OK)
            rc = entry_fail(err, 1, "probe %s:%u: not ready: %s", host, port, cerr.message);
        else
            printf("ready: %s:%u CQL %s%s\n", host, port, sup.cql_version,
                   ct.required ? " (TLS)" : "");
    }
    if (ks) memset(ks, 0, strlen(ks));
    free(ks);
    free(ca);
    configure_client_tls_free(&ct);
    return rc;
}

/* The heap for cassandra-env.sh, sized from the container's limits. */
static int plan_heap(const settings *s, const char *root, struct heap_plan *plan,
                     struct cass_version *ver_out, entry_error *err)
{
    struct limits lim;
    cpu_set_t set;
    int online = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    int rc = limits_read(root, online, &lim, err);
    if (rc && rc != EX_OSERR && s->max_heap_size.value) {
        /* The host's files do not tell the memory (missing, junk, unreadable):
         * the heap the user gave needs no memory reading; the young generation,
         * when not given either, falls back to the online cpus.  Out of memory
         * still stops here. */
        char line[sizeof err->message + 64];
        snprintf(line, sizeof line, "warning: %s: MAX_HEAP_SIZE is used as given", err->message);
        *err = (entry_error){ 0 };
        say(line);
        memset(&lim, 0, sizeof lim);
        lim.cpus = lim.online_cpus = online > 0 ? online : 1;
        snprintf(lim.mem_reason, sizeof lim.mem_reason, "memory not readable");
        snprintf(lim.cpu_reason, sizeof lim.cpu_reason, "%d online cpus", lim.cpus);
        rc = 0;
    }
    if (rc) return rc;
    struct cass_version ver;
    rc = version_detect(s->conf_dir, env_or("CASSANDRA_HOME", "/opt/cassandra"), &ver, err);
    if (rc) return rc;
    *ver_out = ver;
    int java = 0;
    entry_error jerr; /* not an error: an unknown Java is 0, the newest the line runs on */
    if (version_java_major(getenv("JAVA_HOME"), getenv("PATH"), &java, &jerr) != 0)
        java = 0;
    struct jvm_opts opts;
    rc = version_read_jvm_opts(s->conf_dir, ver.major, java, getenv("JVM_OPTS"), &opts, err);
    if (rc) return rc;
    struct heap_input in = { &lim, ver.major, ver.major >= 3 ? &opts : NULL,
                             s->max_heap_size.value, s->heap_newsize.value };
    rc = heap_decide(&in, plan, err);
    if (rc == 0) {
        char line[512];
        snprintf(line, sizeof line, "Cassandra %s (%s)", ver.name, ver.source);
        say(line);
    }
    return rc;
}

/* Cassandra's documented production settings: warn, never fail. */
static void warn_host_limits(const char *root)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/proc/sys/vm/max_map_count", strcmp(root, "/") ? root : "");
    FILE *f = fopen(path, "r");
    long maps = 0;
    if (f) {
        if (fscanf(f, "%ld", &maps) != 1) maps = 0;
        fclose(f);
    }
    if (maps > 0 && maps < 1048575)
        fprintf(stderr, "cass-entry: warning: vm.max_map_count is %ld; Cassandra recommends "
                "1048575 (sysctl -w vm.max_map_count=1048575 on the host)\n", maps);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 100000)
        fprintf(stderr, "cass-entry: warning: open files limit is %llu; Cassandra recommends "
                "100000 (docker run --ulimit nofile=100000:100000)\n",
                (unsigned long long)rl.rlim_cur);
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        fprintf(stderr, "cass-entry: warning: memlock limit is %llu KiB; Cassandra recommends "
                "unlimited (docker run --ulimit memlock=-1:-1)\n",
                (unsigned long long)rl.rlim_cur / 1024);
}

/* Wait (bounded) until every seed name resolves; a peer created a moment later
 * is the usual case.  Never fails: a seed that never resolves is a warning. */
static void wait_for_seeds(const settings *s, const addrs_facts *facts)
{
    time_t start = time(NULL), last_note = start;
    for (size_t i = 0; i < s->n_seeds; i++) {
        const settings_seed *seed = &s->seeds[i];
        if (seed->is_ip || strcmp(seed->host, facts->hostname) == 0) continue;
        for (;;) {
            struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
            if (getaddrinfo(seed->host, NULL, &hints, &res) == 0) {
                freeaddrinfo(res);
                break;
            }
            time_t now = time(NULL);
            char line[512];
            if (now - start >= (time_t)s->seed_wait) {
                snprintf(line, sizeof line,
                         "warning: seed %s does not resolve after %us; starting anyway",
                         seed->host, s->seed_wait);
                say(line);
                break;
            }
            if (now - last_note >= 5 || now == start) {
                snprintf(line, sizeof line, "waiting for seed %s to resolve (%lds of %us)",
                         seed->host, (long)(now - start), s->seed_wait);
                say(line);
                last_note = now;
            }
            sleep(1);
        }
    }
}

/* CASS_ENTRY_FIRST_BOOT_JVM_OPTS: JVM options for a node's very first start
 * only (no data yet), e.g. the provisioner's skip of the gossip-settle wait
 * in a brand-new ring; appended to JVM_EXTRA_OPTS then, dropped otherwise. */
static void apply_first_boot_opts(const char *data_files)
{
    const char *opts = getenv("CASS_ENTRY_FIRST_BOOT_JVM_OPTS");
    if (opts && *opts && !configure_dir_has_entries(data_files)) {
        const char *old = getenv("JVM_EXTRA_OPTS");
        char joined[4096], line[4200];
        snprintf(joined, sizeof joined, "%s%s%s", old && *old ? old : "", old && *old ? " " : "",
                 opts);
        setenv("JVM_EXTRA_OPTS", joined, 1);
        snprintf(line, sizeof line, "first boot (nothing in %s yet): JVM_EXTRA_OPTS += %s",
                 data_files, opts);
        say(line);
    }
    unsetenv("CASS_ENTRY_FIRST_BOOT_JVM_OPTS");
}

/* Cassandra needs none of the secrets cass-entry has applied: the NAME_FILE
 * variables of cass-entry's settings and the CASSANDRA_CFG_YAML_ ones at
 * secret-looking keys leave the environment before the exec (the values are
 * in the conf files, readable by Cassandra's user only as the image makes them). */
static void scrub_secret_env(void)
{
    static const char cfg[] = "CASSANDRA_CFG_YAML_";
    for (size_t i = 0; environ[i];) {
        const char *eq = strchr(environ[i], '=');
        size_t n = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        char name[256];
        if (n >= sizeof name) {
            i++;
            continue;
        }
        memcpy(name, environ[i], n);
        name[n] = '\0';
        bool file = n > 5 && strcmp(name + n - 5, "_FILE") == 0 &&
                    (strncmp(name, "CASSANDRA_", 10) == 0 || strcmp(name, "MAX_HEAP_SIZE_FILE") == 0 ||
                     strcmp(name, "HEAP_NEWSIZE_FILE") == 0);
        bool cfg_secret = strncmp(name, cfg, sizeof cfg - 1) == 0 &&
                          redact_key_looks_secret(name + sizeof cfg - 1);
        size_t nvars;
        const settings_variable *vars = settings_variables(&nvars);
        for (size_t v = 0; v < nvars; v++)
            if (vars[v].secret && strcmp(vars[v].name, name) == 0) cfg_secret = true;
        if (file || cfg_secret)
            unsetenv(name); /* environ shifts: look at the same index again */
        else
            i++;
    }
}

struct dry_run {
    const settings *s;
    const conf_plan *plan;
    const struct heap_plan *heap;
};

/* --dry-run's report: the diff, then the command and its environment. */
static bool print_dry_run(const void *ud, FILE *f)
{
    const struct dry_run *d = ud;
    if (configure_print_diff(d->plan, f) != 0)
        return false;
    fprintf(f, "exec:");
    for (size_t i = 0; i < d->s->argc; i++) fprintf(f, " %s", d->s->argv[i]);
    fprintf(f, "\nenv: CASSANDRA_CONF=%s\n", d->plan->conf_dir);
    fprintf(f, "env: MAX_HEAP_SIZE=%s\n",
            d->heap->max_heap_size[0] ? d->heap->max_heap_size : "(unset)");
    fprintf(f, "env: HEAP_NEWSIZE=%s\n", d->heap->heap_newsize[0] ? d->heap->heap_newsize : "(unset)");
    return true;
}

static void apply_heap_env(const struct heap_plan *heap)
{
    if (heap->max_heap_size[0]) setenv("MAX_HEAP_SIZE", heap->max_heap_size, 1);
    else unsetenv("MAX_HEAP_SIZE");
    if (heap->heap_newsize[0]) setenv("HEAP_NEWSIZE", heap->heap_newsize, 1);
    else unsetenv("HEAP_NEWSIZE");
}

static void mark_pending(bool pending)
{
    char path[4096];
    pending_marker(path, sizeof path);
    if (!pending) {
        unlink(path); /* a restart after the work was done, or none to do */
        return;
    }
    char dir[3900];
    state_dir(dir, sizeof dir);
    mkdir(dir, 0755);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        char line[4200];
        snprintf(line, sizeof line, "warning: %s: %s (--probe cannot tell that first-start work is pending)",
                 path, strerror(errno));
        say(line);
        return;
    }
    close(fd);
}

/* The first-start work, in supervise's worker process: its error is printed
 * there, the one place that process reports it. */
static int first_start_work(void *ud)
{
    const firststart_config *c = ud;
    entry_error err = { 0 };
    int rc = firststart_run(c, &err);
    if (rc) report(&err);
    else mark_pending(false);
    return rc;
}

/* PasswordAuthenticator on a node with no data yet and no password: the
 * cluster would open with the superuser everyone knows. */
static int default_superuser_refused(const settings *s, const conf_plan *plan, const char *data_files,
                                     entry_error *err)
{
    if (!plan->authenticator || !strstr(plan->authenticator, "PasswordAuthenticator")) return 0;
    if (s->password.value || s->allow_default_superuser || configure_dir_has_entries(data_files))
        return 0;
    return entry_fail(err, EX_CONFIG, "authenticator %s on a new node with no password given: the superuser "
                      "would be cassandra/cassandra, known to all (set CASSANDRA_PASSWORD or "
                      "CASSANDRA_PASSWORD_FILE, or CASSANDRA_ALLOW_DEFAULT_SUPERUSER=yes)", plan->authenticator);
}

/* Who Cassandra will run as, settled before anything is written: an unknown
 * user, a broken passwd or a user of uid 0 is a 78 with every file as it was. */
static int lookup_user(const char *root, priv_ids *ids, entry_error *err)
{
    const char *user = env_or("CASS_ENTRY_USER", "cassandra");
    if (priv_lookup(root, user, NULL, ids, err) != PRIV_OK) return err->code;
    if (ids->uid == 0)
        return entry_fail(err, EX_CONFIG, "refusing to run Cassandra as root (CASS_ENTRY_USER \"%s\" is uid 0)",
                          user);
    return 0;
}

/* Give Cassandra's user its dirs and become it (as root), or check that
 * they can be written (as anyone else); then say what was done. */
static int become_cassandra(bool as_root, const priv_ids *ids, const char *const dirs[3], entry_error *err)
{
    priv_report rep;
    memset(&rep, 0, sizeof rep);
    priv_status pst;
    if (as_root) {
        rep.was_root = true;
        rep.ids = *ids;
        /* The chown comes first: afterwards we no longer have the right. */
        pst = priv_chown_dirs(dirs, 3, ids->uid, ids->gid, &rep.counts, err);
        if (pst == PRIV_OK) pst = priv_drop(ids, err);
    } else {
        pst = priv_check_writable(dirs, 3, err);
    }
    if (pst != PRIV_OK) return err->code;
    if (rep.counts.hard_linked) {
        char line[512];
        snprintf(line, sizeof line,
                 "warning: %lu hard-linked file(s) owned by another user left as they are "
                 "(first: %s): a hard link may name any file of the filesystem",
                 rep.counts.hard_linked, rep.counts.first_hard_linked);
        say(line);
    }
    if (rep.was_root) {
        char line[256];
        snprintf(line, sizeof line, "running as %s (uid %u); %lu file(s) given to it",
                 rep.ids.name, (unsigned)rep.ids.uid, rep.counts.changed);
        say(line);
    }
    return 0;
}

/* TLS from PEM secrets: PEM material that holds together (tls.h), checked
 * before anything is written; Cassandra 4.1 or later reads the PEM files (its
 * PEM factory), an older one (or CASSANDRA_TLS_STORE=pkcs12) PKCS#12 stores. */
static int check_tls(const settings *s, const struct cass_version *ver, tls_material *tls,
                     entry_error *err)
{
    if (!s->tls.enabled) return 0;
    if (strcmp(s->tls.store, "pkcs12") == 0)
        return tls_check(&s->tls, time(NULL), tls, err);
    bool ok = tls_version_ok(ver->major, ver->minor);
    if (!ok && ver->major == 4 && ver->minor < 0) {
        /* only the conf files told the version ("4.x"): 4.1's cassandra.yaml names the factories */
        char path[4096], *yaml = NULL;
        entry_error rerr = { 0 };
        snprintf(path, sizeof path, "%s/cassandra.yaml", s->conf_dir);
        ok = envfile_read_file(NULL, path, &yaml, &rerr) && tls_yaml_has_factory(yaml);
        free(yaml);
    }
    if (!ok && strcmp(s->tls.store, "pem") == 0)
        return entry_fail(err, EX_CONFIG, "CASSANDRA_TLS_STORE=pem needs Cassandra 4.1 or later "
                          "(its PEM key files); this is %s: pkcs12 (or auto) writes keystores",
                          ver->name);
    if (!ok) { /* auto, before 4.1: PKCS#12 stores */
        settings_tls t = s->tls;
        snprintf(t.store, sizeof t.store, "pkcs12");
        return tls_check(&t, time(NULL), tls, err);
    }
    return tls_check(&s->tls, time(NULL), tls, err);
}

static int configure_and_run(settings *s, settings_input *in, addrs_facts *facts, entry_error *err)
{
    const char *root = env_or("CASS_ENTRY_ROOT", "/");
    const char *runtime_dir = env_or("CASS_ENTRY_RUNTIME_DIR", "/tmp/cass-entry/conf");
    const char *data_dir = env_or("CASS_ENTRY_DATA_DIR", "/var/lib/cassandra");
    const char *log_dir = env_or("CASS_ENTRY_LOG_DIR", "/var/log/cassandra");
    char etc[4096];
    snprintf(etc, sizeof etc, "%s/etc", strcmp(root, "/") ? root : "");
    if (!addrs_facts_load(facts, etc, err)) return err->code;
    if (!settings_resolve(in, s, err)) return err->code;
    for (size_t i = 0; i < s->n_notes; i++) say(s->notes[i]);

    struct heap_plan heap;
    struct cass_version ver;
    int rc = plan_heap(s, root, &heap, &ver, err);
    if (rc) return rc;
    say(heap.reason);
    if (heap.warning[0]) say(heap.warning);

    tls_material tls;
    memset(&tls, 0, sizeof tls);
    rc = check_tls(s, &ver, &tls, err);
    if (rc) return rc;

    conf_plan plan;
    char data_files[4096];
    snprintf(data_files, sizeof data_files, "%s/data", data_dir);
    rc = configure_plan(s, runtime_dir, data_files, s->tls.enabled ? &tls : NULL, &plan, err);
    tls_material_free(&tls);
    if (rc == 0) {
        warn_host_limits(root);
        rc = default_superuser_refused(s, &plan, data_files, err);
    }
    if (rc == 0 && s->dry_run) {
        for (size_t i = 0; i < plan.n_log; i++) say(plan.log[i]);
        struct dry_run d = { s, &plan, &heap };
        if (!print_masked(stdout, print_dry_run, &d))
            entry_fail(err, EX_OSERR, "out of memory while printing the dry run");
        configure_plan_free(&plan);
        return err->code;
    }
    priv_ids ids;
    bool as_root = geteuid() == 0;
    if (rc == 0 && as_root) rc = lookup_user(root, &ids, err);
    if (rc == 0) rc = configure_apply(&plan, err);
    for (size_t i = 0; rc == 0 && i < plan.n_log; i++) say(plan.log[i]);
    if (rc == 0 && plan.n_changes == 0) say("configuration already up to date: no file changed");
    if (rc == 0 && plan.copied) setenv("CASSANDRA_CONF", plan.conf_dir, 1);
    char conf_copy[4096];
    snprintf(conf_copy, sizeof conf_copy, "%s", plan.conf_dir ? plan.conf_dir : "");
    configure_plan_free(&plan);
    if (rc) return rc;

    wait_for_seeds(s, facts);
    apply_heap_env(&heap);
    apply_first_boot_opts(data_files);
    scrub_secret_env();

    const char *dirs[3] = { data_dir, log_dir, conf_copy };
    rc = become_cassandra(as_root, &ids, dirs, err);
    if (rc) return rc;
    /* First-start work (a superuser, init scripts, a keyspace, roles): done
     * beside Cassandra, with cass-entry as init meanwhile (supervise.h says
     * why); without any, Cassandra replaces cass-entry as always. */
    char host[256];
    unsigned port = 0;
    char node[256] = "";
    gethostname(node, sizeof node - 1);
    firststart_config fs = {
        .host = host, .user = s->user.value, .password = s->password.value,
        .keyspace = s->keyspace.value, .roles = s->roles.value,
        .initdb_dir = env_or("CASS_ENTRY_INITDB_DIR", "/docker-entrypoint-initdb.d"),
        .node_name = node, .expected_nodes = (unsigned)s->n_seeds, .wait_ms = 600000, .say = say,
    };
    if (firststart_pending(&fs)) {
        configure_client_tls ct;
        if (configure_probe_target(conf_copy, runtime_dir, host, sizeof host, &port, &ct, err) != 0)
            return err->code;
        fs.port = port;
        /* The work's sessions speak TLS where clients must (the probe's way). */
        cql_tls_config work_tls;
        char *ca = NULL, *ks = NULL;
        rc = ct.required ? probe_tls_config(&ct, &work_tls, &ca, &ks, err) : 0;
        if (rc) {
            configure_client_tls_free(&ct);
            return entry_fail(err, EX_CONFIG, "first start over TLS: %s", err->message);
        }
        fs.tls = ct.required ? &work_tls : NULL;
        mark_pending(true);
        say("first-start work pending: cass-entry stays as init beside Cassandra until it exits");
        rc = supervise_run(s->argv, first_start_work, &fs, say);
        free(ks);
        free(ca);
        configure_client_tls_free(&ct);
        return rc;
    }
    mark_pending(false);
    return exec_command(s->argv, err);
}

int main(int argc, char **argv)
{
    settings s;
    entry_error err = { 0 };
    addrs_facts facts;
    settings_init(&s);
    addrs_facts_init(&facts);
    settings_input in = { .argc = argc, .argv = argv, .envp = environ, .facts = &facts };
    g_secrets = &s.secrets;
    int rc;
    if (!settings_parse_command_line(&in, &s, &err)) {
        rc = err.code;
    } else {
        switch (s.mode) {
        case SETTINGS_HELP:
            help_write(stdout, "cass-entry");
            rc = 0;
            break;
        case SETTINGS_VERSION:
            printf("cass-entry %s\n", CASS_ENTRY_VERSION);
            rc = 0;
            break;
        case SETTINGS_PASSTHROUGH:
            rc = exec_command(s.argv, &err);
            break;
        case SETTINGS_PROBE:
            rc = probe(&s, env_or("CASS_ENTRY_RUNTIME_DIR", "/tmp/cass-entry/conf"), &err);
            break;
        default:
            rc = configure_and_run(&s, &in, &facts, &err);
            break;
        }
    }
    /* The one place an error is printed.  (A status without an error is
     * Cassandra's own, through supervise.) */
    if (err.code) rc = report(&err);
    settings_free(&s);
    return rc;
}
