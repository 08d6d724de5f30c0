/*
 * entrypoint/privileges: user lookup without NSS, the chown walk, the drop.
 * See privileges.h for what is promised.
 */
#include "entrypoint/privileges.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The exit status of each kind of failure: whose fault it is. */
static int exit_code_of(priv_status st)
{
    switch (st) {
    case PRIV_ERR_WALK:
    case PRIV_ERR_CHOWN: return EX_IOERR; /* the filesystem said no */
    case PRIV_ERR_DROP: return EX_OSERR;  /* setgroups/setgid/setuid failed */
    default: return EX_CONFIG;            /* the user, passwd, a dir we can't write */
    }
}

static priv_status vfail(entry_error *err, priv_status st, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static priv_status vfail(entry_error *err, priv_status st, int code, const char *fmt, va_list ap)
{
    if (err) entry_failv(err, code, fmt, ap);
    return st;
}

static priv_status fail(entry_error *err, priv_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static priv_status fail(entry_error *err, priv_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, st, exit_code_of(st), fmt, ap);
    va_end(ap);
    return st;
}

/* A failed call with errno errnum: out of memory is 71 whatever the step. */
static priv_status fail_sys(entry_error *err, priv_status st, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static priv_status fail_sys(entry_error *err, priv_status st, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, st, entry_errno_code(errnum, exit_code_of(st)), fmt, ap);
    va_end(ap);
    return st;
}

/* ---- passwd and group as plain files ---------------------------------------- */

/* An account database is a few KiB; anything past this is not one. */
enum { MAX_DB_SIZE = 16 * 1024 * 1024, MAX_FIELDS = 8 };

/* <root>/etc/NAME, without a doubled slash when root is "/". */
static void db_path(char *buf, size_t cap, const char *root, const char *name)
{
    size_t len = strlen(root);
    while (len > 0 && root[len - 1] == '/')
        len--;
    snprintf(buf, cap, "%.*s/etc/%s", (int)len, root, name);
}

/* Read a whole file, NUL-terminated.  *text is NULL and errno set on failure. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    while (text) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (ferror(f) || len < cap - 1)
            break;
        if (cap >= MAX_DB_SIZE) {
            errno = EFBIG;
            free(text);
            text = NULL;
            break;
        }
        char *bigger = realloc(text, cap * 2);
        if (!bigger) {
            free(text);
            text = NULL;
            break;
        }
        text = bigger;
        cap *= 2;
    }
    if (text && ferror(f)) {
        free(text);
        text = NULL;
        errno = EIO;
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    if (text)
        text[len] = '\0';
    return text;
}

/* Cut the next line off *cursor (in place) and split it on ':'.  Returns the
 * number of fields, 0 for a blank or comment line, -1 at the end. */
static int next_record(char **cursor, char *fields[MAX_FIELDS])
{
    char *line = *cursor;
    if (*line == '\0')
        return -1;
    char *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = line + strlen(line);
    }
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    /* NIS "+"/"-" compat lines name no local account: skipped like comments. */
    if (len == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-')
        return 0;
    int n = 0;
    fields[n++] = line;
    for (char *p = line; *p && n < MAX_FIELDS; p++) {
        if (*p == ':') {
            *p = '\0';
            fields[n++] = p + 1;
        }
    }
    return n;
}

/* A uid or gid in decimal; (id_t)-1 means "no change" to chown, so it is out. */
static bool parse_id(const char *s, unsigned long *out)
{
    unsigned long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (v > (UINT32_MAX - 1 - (unsigned long)(*s - '0')) / 10)
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return true;
}

/* Is `user` in a group's comma-separated member list? */
static bool is_member(const char *members, const char *user)
{
    size_t ulen = strlen(user);
    for (const char *p = members; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == ulen && memcmp(p, user, len) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

static priv_status find_user(const char *path, const char *text_in, const char *user,
                             priv_ids *out, bool *found, entry_error *err)
{
    char *text = strdup(text_in);
    if (!text)
        return fail_sys(err, PRIV_ERR_LOOKUP, ENOMEM, "%s: out of memory", path);
    char *cursor = text;
    char *f[MAX_FIELDS];
    unsigned long want_uid = 0;
    bool numeric = parse_id(user, &want_uid);
    priv_status st = PRIV_OK;
    *found = false;

    for (unsigned line = 1;; line++) {
        int n = next_record(&cursor, f);
        if (n < 0)
            break;
        if (n == 0)
            continue;
        bool name_match = strcmp(f[0], user) == 0;
        unsigned long uid, gid;
        bool valid = n >= 4 && parse_id(f[2], &uid) && parse_id(f[3], &gid);
        if (name_match && !valid) {
            st = fail(err, PRIV_ERR_LOOKUP, "%s:%u: entry of user \"%s\" has no valid uid and gid",
                      path, line, user);
            break;
        }
        /* Other broken lines are someone else's problem, as for getpwnam. */
        if (!valid)
            continue;
        if (name_match || (numeric && !*found && uid == want_uid)) {
            snprintf(out->name, sizeof out->name, "%s", f[0]);
            out->uid = (uid_t)uid;
            out->gid = (gid_t)gid;
            *found = true;
            if (name_match)
                break;  /* a name beats an earlier uid match */
        }
    }
    free(text);
    return st;
}

/* Resolve `group` (if given) and collect the supplementary groups. */
static priv_status scan_groups(const char *path, char *text, const char *group,
                               priv_ids *ids, entry_error *err)
{
    char *cursor = text;
    char *f[MAX_FIELDS];
    unsigned long want_gid = 0;
    bool group_numeric = group && parse_id(group, &want_gid);
    bool group_found = false;
    gid_t group_gid = 0;
    gid_t extra[PRIV_MAX_GROUPS];
    size_t nextra = 0;

    for (unsigned line = 1;; line++) {
        int n = next_record(&cursor, f);
        if (n < 0)
            break;
        if (n == 0)
            continue;
        unsigned long gid;
        bool valid = n >= 3 && parse_id(f[2], &gid);
        if (group && !group_found && strcmp(f[0], group) == 0) {
            if (!valid)
                return fail(err, PRIV_ERR_LOOKUP, "%s:%u: entry of group \"%s\" has no valid gid",
                            path, line, group);
            group_found = true;
            group_gid = (gid_t)gid;
        }
        if (!valid)
            continue;
        if (group_numeric && !group_found && gid == want_gid) {
            group_found = true;
            group_gid = (gid_t)gid;
        }
        if (n >= 4 && is_member(f[3], ids->name)) {
            bool dup = false;
            for (size_t i = 0; i < nextra; i++)
                dup = dup || extra[i] == (gid_t)gid;
            if (!dup) {
                if (nextra == PRIV_MAX_GROUPS)
                    return fail(err, PRIV_ERR_LOOKUP, "%s: user \"%s\" is in more than %d groups",
                                path, ids->name, PRIV_MAX_GROUPS);
                extra[nextra++] = (gid_t)gid;
            }
        }
    }
    if (group && !group_found) {
        if (!group_numeric)
            return fail(err, PRIV_ERR_LOOKUP, "%s: no group \"%s\"", path, group);
        group_gid = (gid_t)want_gid;  /* a bare gid needs no entry, as with docker --user */
    }
    if (group)
        ids->gid = group_gid;

    ids->groups[0] = ids->gid;
    ids->ngroups = 1;
    for (size_t i = 0; i < nextra; i++) {
        if (extra[i] == ids->gid)
            continue;
        if (ids->ngroups == PRIV_MAX_GROUPS)
            return fail(err, PRIV_ERR_LOOKUP, "%s: user \"%s\" is in more than %d groups",
                        path, ids->name, PRIV_MAX_GROUPS);
        ids->groups[ids->ngroups++] = extra[i];
    }
    return PRIV_OK;
}

priv_status priv_lookup(const char *root, const char *user, const char *group,
                        priv_ids *out, entry_error *err)
{
    char passwd_path[PATH_MAX], group_path[PATH_MAX];
    priv_ids ids;
    bool found = false;
    priv_status st;

    memset(&ids, 0, sizeof ids);
    if (!user || !*user)
        return fail(err, PRIV_ERR_LOOKUP, "no user name given");
    if (group && !*group)
        group = NULL;
    db_path(passwd_path, sizeof passwd_path, root, "passwd");
    db_path(group_path, sizeof group_path, root, "group");

    char *text = slurp(passwd_path);
    if (!text)
        return fail_sys(err, PRIV_ERR_LOOKUP, errno, "%s: %s", passwd_path, strerror(errno));
    st = find_user(passwd_path, text, user, &ids, &found, err);
    free(text);
    if (st != PRIV_OK)
        return st;
    if (!found) {
        unsigned long uid = 0;
        if (!parse_id(user, &uid))
            return fail(err, PRIV_ERR_LOOKUP, "%s: no user \"%s\"", passwd_path, user);
        if (!group)
            return fail(err, PRIV_ERR_LOOKUP,
                        "%s: uid %s has no entry, so no primary group: give a group too",
                        passwd_path, user);
        snprintf(ids.name, sizeof ids.name, "%s", user);
        ids.uid = (uid_t)uid;
    }

    text = slurp(group_path);
    if (!text) {
        /* Without /etc/group a named group can't be found, but the primary
         * group of passwd (or a numeric one) is all we need. */
        unsigned long gid = ids.gid;
        if (errno != ENOENT || (group && !parse_id(group, &gid)))
            return fail_sys(err, PRIV_ERR_LOOKUP, errno, "%s: %s", group_path, strerror(errno));
        ids.gid = (gid_t)gid;
        ids.groups[0] = ids.gid;
        ids.ngroups = 1;
    } else {
        st = scan_groups(group_path, text, group, &ids, err);
        free(text);
        if (st != PRIV_OK)
            return st;
    }
    *out = ids;
    return PRIV_OK;
}

/* ---- the chown walk ---------------------------------------------------------- */

/* Data dirs nest a few levels (keyspace/table/snapshots/name); this only
 * stops a pathological tree from exhausting descriptors. */
enum { MAX_DEPTH = 128 };

typedef struct {
    uid_t uid;
    gid_t gid;
    priv_chown_counts *counts;
    entry_error *err;
    char path[PATH_MAX];  /* of the directory being walked, for messages */
} walk;

/* Append "/name" to w->path; returns the old length to restore it. */
static size_t path_push(walk *w, const char *name)
{
    size_t old = strlen(w->path);
    snprintf(w->path + old, sizeof w->path - old, "/%s", name);
    return old;
}

/* Walk the directory open at fd (ownership of fd passes here). */
static priv_status walk_dir(walk *w, int fd, unsigned depth)
{
    if (depth > MAX_DEPTH) {
        close(fd);
        return fail(w->err, PRIV_ERR_WALK, "%s: nested deeper than %d directories",
                    w->path, MAX_DEPTH);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return fail(w->err, PRIV_ERR_WALK, "%s: %s", w->path, strerror(e));
    }
    priv_status st = PRIV_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno)
                st = fail_sys(w->err, PRIV_ERR_WALK, errno, "%s: reading the directory: %s",
                          w->path, strerror(errno));
            break;
        }
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        size_t old = path_push(w, name);
        struct stat sb;
        if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) {  /* gone since readdir: nothing to own */
                w->path[old] = '\0';
                continue;
            }
            st = fail_sys(w->err, PRIV_ERR_WALK, errno, "%s: %s", w->path, strerror(errno));
            break;
        }
        w->counts->seen++;
        if (S_ISREG(sb.st_mode) && sb.st_nlink > 1 && sb.st_uid != w->uid) {
            if (w->counts->hard_linked++ == 0)
                snprintf(w->counts->first_hard_linked, sizeof w->counts->first_hard_linked, "%.255s",
                         w->path);
            w->path[old] = '\0';
            continue;
        }
        if (sb.st_uid != w->uid) {
            /* AT_SYMLINK_NOFOLLOW: a link is chowned as a link, never its target. */
            if (fchownat(dirfd(d), name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) == 0) {
                w->counts->changed++;
            } else if (errno == EROFS) {
                w->counts->read_only++;
            } else {
                st = fail_sys(w->err, PRIV_ERR_CHOWN, errno, "%s: chown to %lu:%lu: %s", w->path,
                          (unsigned long)w->uid, (unsigned long)w->gid, strerror(errno));
                break;
            }
        }
        if (S_ISDIR(sb.st_mode)) {
            /* O_NOFOLLOW: if the directory was swapped for a link since the
             * fstatat, this fails instead of walking somewhere else. */
            int child = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                st = fail_sys(w->err, PRIV_ERR_WALK, errno, "%s: %s", w->path, strerror(errno));
                break;
            }
            st = walk_dir(w, child, depth + 1);
            if (st != PRIV_OK)
                break;
        }
        w->path[old] = '\0';
    }
    closedir(d);
    return st;
}

priv_status priv_chown_dirs(const char *const dirs[], size_t ndirs, uid_t uid, gid_t gid,
                            priv_chown_counts *counts, entry_error *err)
{
    for (size_t i = 0; i < ndirs; i++) {
        walk w = { .uid = uid, .gid = gid, .counts = counts, .err = err };
        snprintf(w.path, sizeof w.path, "%s", dirs[i]);
        int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) {
                counts->missing++;
                continue;
            }
            return fail_sys(err, PRIV_ERR_WALK, errno, "%s: %s", dirs[i], strerror(errno));
        }
        struct stat sb;
        if (fstat(fd, &sb) != 0) {
            int e = errno;
            close(fd);
            return fail(err, PRIV_ERR_WALK, "%s: %s", dirs[i], strerror(e));
        }
        counts->seen++;
        if (sb.st_uid != uid) {
            if (fchown(fd, uid, gid) == 0) {
                counts->changed++;
            } else if (errno == EROFS) {
                counts->read_only++;
            } else {
                int e = errno;
                close(fd);
                return fail(err, PRIV_ERR_CHOWN, "%s: chown to %lu:%lu: %s", dirs[i],
                            (unsigned long)uid, (unsigned long)gid, strerror(e));
            }
        }
        priv_status st = walk_dir(&w, fd, 1);
        if (st != PRIV_OK)
            return st;
    }
    return PRIV_OK;
}

/* ---- dropping root ------------------------------------------------------------- */

static bool same_group_set(const gid_t *a, size_t na, const gid_t *b, size_t nb)
{
    /* Each of a in b and each of b in a: order and duplicates don't matter. */
    for (size_t i = 0; i < na; i++) {
        bool in = false;
        for (size_t j = 0; j < nb && !in; j++)
            in = a[i] == b[j];
        if (!in)
            return false;
    }
    for (size_t j = 0; j < nb; j++) {
        bool in = false;
        for (size_t i = 0; i < na && !in; i++)
            in = a[i] == b[j];
        if (!in)
            return false;
    }
    return true;
}

priv_status priv_drop(const priv_ids *ids, entry_error *err)
{
    unsigned long uid = ids->uid, gid = ids->gid;

    if (ids->uid == 0)
        return fail(err, PRIV_ERR_DROP, "refusing to run Cassandra as root (user \"%s\" is uid 0)",
                    ids->name);
    /* Groups first, then gid, then uid: once the uid is gone, so is the
     * right to change the other two. */
    if (setgroups(ids->ngroups, ids->groups) != 0)
        return fail_sys(err, PRIV_ERR_DROP, errno, "setgroups for user \"%s\": %s", ids->name,
                    strerror(errno));
    if (setgid(ids->gid) != 0)
        return fail_sys(err, PRIV_ERR_DROP, errno, "setgid(%lu): %s", gid, strerror(errno));
    if (setuid(ids->uid) != 0)
        return fail_sys(err, PRIV_ERR_DROP, errno, "setuid(%lu): %s", uid, strerror(errno));

    /* Trust, but verify: all three ids of each kind, the group list, and
     * that the way back is closed. */
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || ru != ids->uid || eu != ids->uid || su != ids->uid)
        return fail(err, PRIV_ERR_DROP, "after setuid(%lu) the uids are %lu/%lu/%lu", uid,
                    (unsigned long)ru, (unsigned long)eu, (unsigned long)su);
    if (getresgid(&rg, &eg, &sg) != 0 || rg != ids->gid || eg != ids->gid || sg != ids->gid)
        return fail(err, PRIV_ERR_DROP, "after setgid(%lu) the gids are %lu/%lu/%lu", gid,
                    (unsigned long)rg, (unsigned long)eg, (unsigned long)sg);
    gid_t now[PRIV_MAX_GROUPS + 1];
    int n = getgroups(PRIV_MAX_GROUPS + 1, now);
    if (n < 0 || !same_group_set(now, (size_t)n, ids->groups, ids->ngroups))
        return fail(err, PRIV_ERR_DROP, "the supplementary groups are not the %zu of user \"%s\"",
                    ids->ngroups, ids->name);
    if (setuid(0) == 0)
        return fail(err, PRIV_ERR_DROP, "setuid(0) still succeeds after dropping to uid %lu", uid);
    if (ids->gid != 0 && setgid(0) == 0)
        return fail(err, PRIV_ERR_DROP, "setgid(0) still succeeds after dropping to gid %lu", gid);
    return PRIV_OK;
}

/* ---- not root ---------------------------------------------------------------- */

priv_status priv_check_writable(const char *const dirs[], size_t ndirs, entry_error *err)
{
    unsigned long me = (unsigned long)geteuid();
    for (size_t i = 0; i < ndirs; i++) {
        const char *dir = dirs[i];
        struct stat sb;
        if (stat(dir, &sb) != 0) {
            if (errno != ENOENT)
                return fail_sys(err, PRIV_ERR_ACCESS, errno, "%s: %s", dir, strerror(errno));
            /* Cassandra creates a missing dir itself; it needs its parent. */
            char parent[PATH_MAX];
            snprintf(parent, sizeof parent, "%s", dir);
            char *slash = strrchr(parent, '/');
            if (!slash)
                snprintf(parent, sizeof parent, ".");
            else if (slash == parent)
                parent[1] = '\0';
            else
                *slash = '\0';
            if (faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) != 0)
                return fail_sys(err, PRIV_ERR_ACCESS, errno,
                            "%s does not exist and uid %lu can't create it in %s: %s",
                            dir, me, parent, strerror(errno));
            continue;
        }
        if (!S_ISDIR(sb.st_mode))
            return fail(err, PRIV_ERR_ACCESS, "%s is not a directory", dir);
        if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
            return fail(err, PRIV_ERR_ACCESS,
                        "%s is not writable by uid %lu (owner uid %lu, mode %04o): %s; "
                        "start the container as root so it can be chowned, or chown it to %lu",
                        dir, me, (unsigned long)sb.st_uid, (unsigned)(sb.st_mode & 07777),
                        strerror(errno), me);
    }
    return PRIV_OK;
}

priv_status priv_become(const char *root, const char *user, const char *group,
                        const char *const dirs[], size_t ndirs,
                        priv_report *rep, entry_error *err)
{
    priv_status st;
    memset(rep, 0, sizeof *rep);
    if (geteuid() != 0)
        return priv_check_writable(dirs, ndirs, err);
    rep->was_root = true;
    if ((st = priv_lookup(root, user, group, &rep->ids, err)) != PRIV_OK)
        return st;
    /* The chown comes first: afterwards we no longer have the right. */
    if ((st = priv_chown_dirs(dirs, ndirs, rep->ids.uid, rep->ids.gid, &rep->counts, err)) != PRIV_OK)
        return st;
    return priv_drop(&rep->ids, err);
}
