/*
 * limits: the container's memory and cpu limits (see limits.h for the rules).
 */
#include "entrypoint/limits.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

/* cgroup v1 reports "no limit" as LONG_MAX rounded down to the page size,
 * whose exact value depends on the page size; anything this large is no limit. */
#define V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

/* "<root><rel>", with root "" / NULL meaning the real root. */
static int root_path(char *buf, size_t len, const char *root, const char *rel)
{
    size_t rl = root ? strlen(root) : 0;
    while (rl > 0 && root[rl - 1] == '/')
        rl--; /* "/" and "/tmp/x/" must not double the slash */
    int n = snprintf(buf, len, "%.*s%s", (int)rl, root ? root : "", rel);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* Every reader below takes a file it cannot open for "no such limit".  A file
 * that could not be opened for want of memory is no such answer: it is noted
 * here, and limits_read then fails with 71 instead of sizing the heap on what
 * it missed.  (One reading at a time: the program has one thread.) */
static bool out_of_memory;

static FILE *open_ro(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f && errno == ENOMEM) out_of_memory = true;
    return f;
}

/* Read a small file whole, NUL-terminated, trailing whitespace removed.
 * Returns 0, or -1 with errno set (ENOENT for a missing file). */
static int read_small(const char *path, char *buf, size_t len);

/* A file that is not there (ENOENT, or a path through a non-directory) is
 * "no such limit"; one that is there but cannot be read is an error. */
static bool missing(int errnum)
{
    return errnum == ENOENT || errnum == ENOTDIR;
}

/* read_small for a limit file: 0 with *found set (false: the file is not
 * there, no such limit), or EX_IOERR when it is there but cannot be read. */
static int read_limit_file(const char *path, char *buf, size_t len, bool *found, entry_error *err)
{
    *found = read_small(path, buf, len) == 0;
    if (*found || missing(errno) || errno == ENOMEM) /* ENOMEM: noted by open_ro */
        return 0;
    return entry_fail(err, EX_IOERR, "%s: %s", path, strerror(errno));
}

static int read_small(const char *path, char *buf, size_t len)
{
    FILE *f = open_ro(path);
    if (!f)
        return -1;
    errno = 0;
    size_t n = fread(buf, 1, len - 1, f);
    int bad = ferror(f);
    int why = errno;
    fclose(f);
    if (bad) {
        errno = why ? why : EIO; /* EISDIR says more than EIO */
        return -1;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    return 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

void limits_format_size(uint64_t bytes, char *buf, size_t len)
{
    const uint64_t mib = UINT64_C(1) << 20, gib = UINT64_C(1) << 30;
    if (bytes >= gib)
        snprintf(buf, len, "%.1fG", (double)bytes / (double)gib);
    else if (bytes >= mib)
        snprintf(buf, len, "%" PRIu64 "M", bytes / mib);
    else
        snprintf(buf, len, "%" PRIu64 "K", bytes / 1024);
}

/* ---- /proc/self/cgroup ------------------------------------------------- */

/* The cgroup paths of this process: the v2 one ("0::PATH") and, for v1, the
 * path and the hierarchy's directory name (its controller list, e.g.
 * "cpu,cpuacct") for the memory and cpu controllers. */
struct cg_paths {
    char v2[PATH_MAX];
    bool has_v2;
    char mem[PATH_MAX], mem_dir[64];
    char cpu[PATH_MAX], cpu_dir[64];
};

static bool list_has(const char *list, size_t len, const char *name)
{
    size_t nl = strlen(name);
    const char *p = list, *end = list + len;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t l = c ? (size_t)(c - p) : (size_t)(end - p);
        if (l == nl && memcmp(p, name, nl) == 0)
            return true;
        p += l + 1;
    }
    return false;
}

static void read_proc_cgroup(const char *root, struct cg_paths *cg)
{
    memset(cg, 0, sizeof *cg);
    char path[PATH_MAX];
    if (root_path(path, sizeof path, root, "/proc/self/cgroup") < 0)
        return;
    FILE *f = open_ro(path);
    if (!f)
        return; /* no /proc: the mount roots are all we can read */
    char line[PATH_MAX + 128];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        const char *ctl = c1 + 1, *p = c2 + 1;
        size_t ctl_len = (size_t)(c2 - ctl);
        if (ctl_len == 0) {
            snprintf(cg->v2, sizeof cg->v2, "%s", p);
            cg->has_v2 = true;
        } else if (ctl_len < sizeof cg->mem_dir) {
            if (list_has(ctl, ctl_len, "memory")) {
                snprintf(cg->mem, sizeof cg->mem, "%s", p);
                snprintf(cg->mem_dir, sizeof cg->mem_dir, "%.*s", (int)ctl_len, ctl);
            }
            if (list_has(ctl, ctl_len, "cpu")) {
                snprintf(cg->cpu, sizeof cg->cpu, "%s", p);
                snprintf(cg->cpu_dir, sizeof cg->cpu_dir, "%.*s", (int)ctl_len, ctl);
            }
        }
    }
    fclose(f);
}

/* <mount><cgpath> when that directory exists and cgpath stays inside the
 * mount; otherwise the mount root (see limits.h for why). */
static void leaf_dir(char *buf, size_t len, const char *mount, const char *cgpath)
{
    if (cgpath[0] == '/' && strcmp(cgpath, "/") != 0 && !strstr(cgpath, "/..")) {
        int n = snprintf(buf, len, "%s%s", mount, cgpath);
        if (n > 0 && (size_t)n < len && is_dir(buf))
            return;
    }
    snprintf(buf, len, "%s", mount);
}

/* ---- cgroup v2 --------------------------------------------------------- */

struct found {
    uint64_t mem;            /* 0 = no limit */
    int64_t quota, period;   /* quota 0 = none */
};

/* Keep the smaller of two cpu limits, comparing quota/period exactly. */
static void keep_cpu(struct found *fd, int64_t quota, int64_t period)
{
    if (quota <= 0 || period <= 0)
        return;
    if (fd->quota == 0 || (double)quota / (double)period < (double)fd->quota / (double)fd->period) {
        fd->quota = quota;
        fd->period = period;
    }
}

static int v2_dir(const char *dir, struct found *fd, entry_error *err)
{
    char path[PATH_MAX + 16], val[128];
    bool found;
    snprintf(path, sizeof path, "%s/memory.max", dir);
    int rc = read_limit_file(path, val, sizeof val, &found, err);
    if (rc) return rc;
    if (found && strcmp(val, "max") != 0) {
        uint64_t v;
        if (!parse_u64(val, &v))
            return entry_fail(err, EX_DATAERR, "%s: not a byte count or \"max\": \"%s\"", path,
                          val);
        if (v > 0 && (fd->mem == 0 || v < fd->mem))
            fd->mem = v;
    }
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    rc = read_limit_file(path, val, sizeof val, &found, err);
    if (rc) return rc;
    if (found) {
        char *sp = strchr(val, ' ');
        int64_t q, p = 100000; /* the kernel's default period when only a quota is written */
        if (sp)
            *sp = '\0';
        if (strcmp(val, "max") != 0) {
            if (!parse_i64(val, &q) || q <= 0 || (sp && (!parse_i64(sp + 1, &p) || p <= 0)))
                return entry_fail(err, EX_DATAERR,
                              "%s: expected \"QUOTA PERIOD\" or \"max PERIOD\"", path);
            keep_cpu(fd, q, p);
        }
    }
    return 0;
}

static int read_v2(const char *mount, const struct cg_paths *cg, struct found *fd,
                   entry_error *err)
{
    char dir[PATH_MAX];
    leaf_dir(dir, sizeof dir, mount, cg->has_v2 ? cg->v2 : "/");
    size_t mount_len = strlen(mount);
    for (;;) {
        int rc = v2_dir(dir, fd, err);
        if (rc)
            return rc;
        if (strlen(dir) <= mount_len)
            break;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < mount_len)
            break;
        *slash = '\0'; /* up to the parent, which limits us too */
    }
    return 0;
}

/* ---- cgroup v1 --------------------------------------------------------- */

/* The directory of a v1 controller: the hierarchy named as in
 * /proc/self/cgroup (e.g. "cpu,cpuacct"), else the plain controller name
 * (Docker also mounts "cpu" and "memory" links). */
static bool v1_mount(char *buf, size_t len, const char *base, const char *dirname,
                     const char *controller)
{
    if (dirname[0]) {
        snprintf(buf, len, "%s/%s", base, dirname);
        if (is_dir(buf))
            return true;
    }
    snprintf(buf, len, "%s/%s", base, controller);
    return is_dir(buf);
}

/* The value of "KEY N" in a flat-keyed file such as memory.stat. */
static bool read_stat_key(const char *path, const char *key, uint64_t *out)
{
    FILE *f = open_ro(path);
    if (!f)
        return false;
    char line[256];
    size_t kl = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            line[strcspn(line, "\n")] = '\0';
            found = parse_u64(line + kl + 1, out);
        }
    }
    fclose(f);
    return found;
}

static int read_v1(const char *base, const struct cg_paths *cg, struct found *fd,
                   entry_error *err)
{
    char mount[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 32], val[128];
    uint64_t v;
    bool found;
    int rc;

    if (v1_mount(mount, sizeof mount, base, cg->mem_dir, "memory")) {
        leaf_dir(dir, sizeof dir, mount, cg->mem[0] ? cg->mem : "/");
        snprintf(path, sizeof path, "%s/memory.limit_in_bytes", dir);
        if ((rc = read_limit_file(path, val, sizeof val, &found, err)) != 0) return rc;
        if (found) {
            if (!parse_u64(val, &v))
                return entry_fail(err, EX_DATAERR, "%s: not a byte count: \"%s\"", path, val);
            if (v > 0 && v < V1_UNLIMITED_FLOOR)
                fd->mem = v;
        }
        /* The ancestors' limits, which the leaf's own file does not show. */
        snprintf(path, sizeof path, "%s/memory.stat", dir);
        if (read_stat_key(path, "hierarchical_memory_limit", &v) && v > 0 &&
            v < V1_UNLIMITED_FLOOR && (fd->mem == 0 || v < fd->mem))
            fd->mem = v;
    }

    if (v1_mount(mount, sizeof mount, base, cg->cpu_dir, "cpu")) {
        int64_t q, p;
        leaf_dir(dir, sizeof dir, mount, cg->cpu[0] ? cg->cpu : "/");
        snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
        if ((rc = read_limit_file(path, val, sizeof val, &found, err)) != 0) return rc;
        if (found) {
            if (!parse_i64(val, &q))
                return entry_fail(err, EX_DATAERR, "%s: not a number: \"%s\"", path, val);
            if (q > 0) {
                snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
                if (read_small(path, val, sizeof val) != 0)
                    return entry_fail(err, EX_OSFILE, "%s: %s (a cpu quota is set)", path,
                                  strerror(errno));
                if (!parse_i64(val, &p) || p <= 0)
                    return entry_fail(err, EX_DATAERR, "%s: not a period: \"%s\"", path, val);
                keep_cpu(fd, q, p);
            }
        }
    }
    return 0;
}

/* ---- /proc ------------------------------------------------------------- */

/* MemTotal in bytes; 0 with errno when the file or the line is missing. */
static int read_memtotal(const char *root, uint64_t *out, entry_error *err)
{
    char path[PATH_MAX], line[256];
    *out = 0;
    if (root_path(path, sizeof path, root, "/proc/meminfo") < 0)
        return entry_fail(err, EX_USAGE, "root path too long");
    FILE *f = open_ro(path);
    if (!f)
        return missing(errno) || errno == ENOMEM ? 0 : entry_fail(err, EX_IOERR, "%s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f)) {
        unsigned long long kb;
        char unit[8] = "";
        if (sscanf(line, "MemTotal: %llu %7s", &kb, unit) >= 1) {
            fclose(f);
            if (strcmp(unit, "kB") != 0 || kb == 0)
                return entry_fail(err, EX_DATAERR, "%s: unexpected MemTotal line: %s", path,
                              line);
            *out = (uint64_t)kb * 1024;
            return 0;
        }
    }
    int bad = ferror(f), why = errno;
    fclose(f);
    return bad ? entry_fail(err, EX_IOERR, "%s: %s", path, strerror(why ? why : EIO)) : 0;
}

/* The "processor : N" lines, counted like cassandra-env.sh's
 * egrep -c 'processor([[:space:]]+):.*' */
static int count_cpuinfo(const char *root)
{
    char path[PATH_MAX], line[512];
    if (root_path(path, sizeof path, root, "/proc/cpuinfo") < 0)
        return 0;
    FILE *f = open_ro(path);
    if (!f)
        return 0;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "processor");
        if (!p)
            continue;
        p += strlen("processor");
        if (*p != ' ' && *p != '\t')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ':')
            n++;
    }
    fclose(f);
    return n;
}

/* ---- all together ------------------------------------------------------ */

static int read_limits(const char *root, int online_cpus, struct limits *out, entry_error *err);

int limits_read(const char *root, int online_cpus, struct limits *out, entry_error *err)
{
    memset(out, 0, sizeof *out);
    out_of_memory = false;
    int rc = read_limits(root, online_cpus, out, err);
    if (out_of_memory)
        return entry_fail(err, EX_OSERR, "out of memory while reading the container's limits");
    return rc;
}

static int read_limits(const char *root, int online_cpus, struct limits *out, entry_error *err)
{
    char base[PATH_MAX], probe[PATH_MAX + 32];
    if (root_path(base, sizeof base, root, "/sys/fs/cgroup") < 0)
        return entry_fail(err, EX_USAGE, "root path too long: %s", root);

    struct cg_paths *cg = malloc(sizeof *cg);
    if (!cg)
        return entry_fail(err, EX_OSERR, "out of memory");
    read_proc_cgroup(root, cg);

    struct found fd = {0, 0, 0};
    int rc = 0;
    snprintf(probe, sizeof probe, "%s/cgroup.controllers", base);
    if (exists(probe)) {
        out->cgroup_version = 2;
        rc = read_v2(base, cg, &fd, err);
    } else {
        char m[PATH_MAX];
        if (v1_mount(m, sizeof m, base, cg->mem_dir, "memory") ||
            v1_mount(m, sizeof m, base, cg->cpu_dir, "cpu")) {
            out->cgroup_version = 1;
            rc = read_v1(base, cg, &fd, err);
        }
    }
    free(cg);
    if (rc)
        return rc;

    rc = read_memtotal(root, &out->mem_total_bytes, err);
    if (rc)
        return rc;

    /* Memory: the smaller of the cgroup limit and the machine. */
    char size[32], total[32];
    const char *mem_file = out->cgroup_version == 2 ? "memory.max" : "memory.limit_in_bytes";
    out->cgroup_mem_bytes = fd.mem;
    if (fd.mem && (out->mem_total_bytes == 0 || fd.mem < out->mem_total_bytes)) {
        out->mem_bytes = fd.mem;
        limits_format_size(fd.mem, size, sizeof size);
        snprintf(out->mem_reason, sizeof out->mem_reason, "cgroup v%d %s %s",
                 out->cgroup_version, mem_file, size);
    } else if (out->mem_total_bytes) {
        out->mem_bytes = out->mem_total_bytes;
        limits_format_size(out->mem_total_bytes, total, sizeof total);
        if (fd.mem) {
            limits_format_size(fd.mem, size, sizeof size);
            snprintf(out->mem_reason, sizeof out->mem_reason,
                     "MemTotal %s (below cgroup v%d %s %s)", total, out->cgroup_version,
                     mem_file, size);
        } else {
            snprintf(out->mem_reason, sizeof out->mem_reason, "MemTotal %s, no cgroup memory limit",
                     total);
        }
    } else {
        char mi[PATH_MAX];
        root_path(mi, sizeof mi, root, "/proc/meminfo");
        return entry_fail(err, EX_OSFILE,
                      "cannot tell the memory size: no MemTotal in %s and no cgroup memory limit",
                      mi);
    }

    /* CPUs: the machine's count, lowered by a cgroup quota. */
    out->online_cpus = online_cpus > 0 ? online_cpus : count_cpuinfo(root);
    int machine = out->online_cpus > 0 ? out->online_cpus : 1; /* as cassandra-env.sh: at least 1 */
    out->cpus = machine;
    snprintf(out->cpu_reason, sizeof out->cpu_reason, "%d online cpu%s", machine,
             machine == 1 ? "" : "s");
    if (fd.quota > 0) {
        /* Round up like the JVM's own container support: a quota of 1.5 cpus
         * still runs threads on 2 cpus at a time. */
        int64_t q = (fd.quota + fd.period - 1) / fd.period;
        out->cpu_quota_us = fd.quota;
        out->cpu_period_us = fd.period;
        if (q < machine) {
            out->cpus = (int)q;
            snprintf(out->cpu_reason, sizeof out->cpu_reason,
                     "%d cpu%s (cgroup v%d %s %" PRId64 "/%" PRId64 ")", out->cpus,
                     out->cpus == 1 ? "" : "s", out->cgroup_version,
                     out->cgroup_version == 2 ? "cpu.max" : "cpu.cfs_quota_us/cfs_period_us",
                     fd.quota, fd.period);
        }
    }
    return 0;
}
