/*
 * Unit tests for entrypoint/privileges.
 *
 * The lookups read fake passwd/group files written here.  The chown walk runs
 * on a temporary tree and gives it to uid 999, so it needs root; the drop
 * really drops, so it runs in a fork()ed child that checks its own ids and
 * reports through a pipe.  Without root those tests fail and say why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entrypoint/privileges.h"
#include "tests/unit/testfs.h"

enum { CASS_UID = 999, CASS_GID = 999 };

/* ---- fixtures ------------------------------------------------------------------ */

static void need_root(void)
{
    if (geteuid() != 0)
        fail_msg("this test needs root (it chowns to uid %d and calls setuid): "
                 "run the unit tests as root, e.g. in the build container", CASS_UID);
}

static void make_tmp(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/test_privileges.XXXXXX");
    assert_non_null(mkdtemp(buf));
    /* mkdtemp makes it 0700; a child that dropped to 999 must get in. */
    assert_int_equal(chmod(buf, 0755), 0);
}

static void join(char *buf, size_t cap, const char *dir, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", dir, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

static void write_at(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];
    join(path, sizeof path, dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void mkdir_at(const char *dir, const char *rel, mode_t mode)
{
    char path[PATH_MAX];
    join(path, sizeof path, dir, rel);
    assert_int_equal(mkdir(path, mode), 0);
    assert_int_equal(chmod(path, mode), 0);  /* past the umask */
}

static void symlink_at(const char *dir, const char *rel, const char *target)
{
    char path[PATH_MAX];
    join(path, sizeof path, dir, rel);
    assert_int_equal(symlink(target, path), 0);
}

static void chown_at(const char *dir, const char *rel, uid_t u, gid_t g)
{
    char path[PATH_MAX];
    join(path, sizeof path, dir, rel);
    assert_int_equal(lchown(path, u, g), 0);
}

static void owner_at(const char *dir, const char *rel, uid_t *u, gid_t *g)
{
    char path[PATH_MAX];
    struct stat sb;
    join(path, sizeof path, dir, rel);
    assert_int_equal(lstat(path, &sb), 0);
    *u = sb.st_uid;
    *g = sb.st_gid;
}

#define assert_owner(dir, rel, uid, gid) do {                                  \
        uid_t u_; gid_t g_;                                                   \
        owner_at((dir), (rel), &u_, &g_);                                     \
        if (u_ != (uid_t)(uid) || g_ != (gid_t)(gid))                         \
            fail_msg("%s: owner %lu:%lu, expected %lu:%lu", (rel),            \
                     (unsigned long)u_, (unsigned long)g_,                    \
                     (unsigned long)(uid), (unsigned long)(gid));             \
    } while (0)

/* A fake root with etc/passwd and etc/group (either may be NULL = absent). */
static void fake_root(char *root, size_t cap, const char *passwd, const char *group)
{
    make_tmp(root, cap);
    mkdir_at(root, "etc", 0755);
    if (passwd)
        write_at(root, "etc/passwd", passwd);
    if (group)
        write_at(root, "etc/group", group);
}

static const char PASSWD[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# comments and blank lines are not entries\n"
    "\n"
    "a line that is not an entry\n"
    "broken:x:notanumber:1::/:/bin/false\n"
    "cassandra2:x:1000:1000::/home/c2:/bin/sh\n"
    "cass:x:998:998::/:/bin/false\n"
    "+nisuser::::::\n"
    "cassandra:x:999:999::/var/lib/cassandra:/bin/sh\n"
    "1234:x:5000:5000:a name that looks like a uid:/:/bin/sh\n"
    "numbered:x:1234:1234::/:/bin/sh\n";

static const char GROUP[] =
    "root:x:0:\n"
    "cassandra:x:999:\n"
    "disk:x:6:cassandra2\n"
    "adm:x:4:cass,cassandra\n"
    "audio:x:29:other,cassandra\n"
    "video:x:44:cassandra2,cassandra3\n"
    "broken:x:nope:cassandra\n"
    "cassandra2:x:1000:\n";

/* ---- lookup ------------------------------------------------------------------------ */

static void assert_groups(const priv_ids *ids, size_t n, const gid_t *want)
{
    if (ids->ngroups != n)
        fail_msg("%zu groups, expected %zu", ids->ngroups, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids->groups[i], want[i]);
}

static void test_lookup_by_name(void **state)
{
    (void)state;
    char root[PATH_MAX];
    fake_root(root, sizeof root, PASSWD, GROUP);
    priv_ids ids;
    entry_error err;
    priv_status st = priv_lookup(root, "cassandra", NULL, &ids, &err);
    if (st != PRIV_OK)
        fail_msg("lookup failed: %s", err.message);
    assert_string_equal(ids.name, "cassandra");
    assert_int_equal(ids.uid, 999);
    assert_int_equal(ids.gid, 999);
    /* Primary first, then adm and audio (members), not video (cassandra3)
     * nor disk (cassandra2): member names match whole. */
    const gid_t want[] = { 999, 4, 29 };
    assert_groups(&ids, 3, want);

    /* "cass" is its own user, not a prefix of cassandra. */
    assert_int_equal(priv_lookup(root, "cass", NULL, &ids, &err), PRIV_OK);
    assert_int_equal(ids.uid, 998);
    const gid_t want_cass[] = { 998, 4 };
    assert_groups(&ids, 2, want_cass);
    testfs_rm_tree(root);
}

static void test_lookup_by_number(void **state)
{
    (void)state;
    char root[PATH_MAX];
    fake_root(root, sizeof root, PASSWD, GROUP);
    priv_ids ids;
    entry_error err;
    assert_int_equal(priv_lookup(root, "999", NULL, &ids, &err), PRIV_OK);
    assert_string_equal(ids.name, "cassandra");
    assert_int_equal(ids.uid, 999);
    assert_int_equal(ids.gid, 999);
    assert_int_equal(ids.ngroups, 3);

    /* A name that looks like a number is a name first (uid 5000), even
     * though another entry has uid 1234. */
    assert_int_equal(priv_lookup(root, "1234", NULL, &ids, &err), PRIV_OK);
    assert_int_equal(ids.uid, 5000);
    assert_string_equal(ids.name, "1234");

    /* A uid with no entry needs a group... */
    assert_int_equal(priv_lookup(root, "4321", NULL, &ids, &err), PRIV_ERR_LOOKUP);
    assert_non_null(strstr(err.message, "4321"));
    /* ...and is accepted with one. */
    assert_int_equal(priv_lookup(root, "4321", "4321", &ids, &err), PRIV_OK);
    assert_int_equal(ids.uid, 4321);
    assert_int_equal(ids.gid, 4321);
    assert_int_equal(priv_lookup(root, "4321", "audio", &ids, &err), PRIV_OK);
    assert_int_equal(ids.gid, 29);

    /* Out of range or -1 is not a uid. */
    assert_int_equal(priv_lookup(root, "4294967295", "1", &ids, &err), PRIV_ERR_LOOKUP);
    assert_int_equal(priv_lookup(root, "99999999999999999999", "1", &ids, &err), PRIV_ERR_LOOKUP);
    testfs_rm_tree(root);
}

static void test_lookup_group_override(void **state)
{
    (void)state;
    char root[PATH_MAX];
    fake_root(root, sizeof root, PASSWD, GROUP);
    priv_ids ids;
    entry_error err;

    assert_int_equal(priv_lookup(root, "cassandra", "audio", &ids, &err), PRIV_OK);
    assert_int_equal(ids.gid, 29);
    const gid_t want_audio[] = { 29, 4 };  /* audio is primary now, not listed twice */
    assert_groups(&ids, 2, want_audio);

    assert_int_equal(priv_lookup(root, "cassandra", "6", &ids, &err), PRIV_OK);
    assert_int_equal(ids.gid, 6);

    /* A gid with no entry is fine, as with docker --user 999:777. */
    assert_int_equal(priv_lookup(root, "cassandra", "777", &ids, &err), PRIV_OK);
    assert_int_equal(ids.gid, 777);
    assert_int_equal(ids.groups[0], 777);

    assert_int_equal(priv_lookup(root, "cassandra", "nosuch", &ids, &err), PRIV_ERR_LOOKUP);
    assert_non_null(strstr(err.message, "no group \"nosuch\""));
    assert_non_null(strstr(err.message, "/etc/group"));

    /* The broken entry is an error only when it is the one asked for. */
    assert_int_equal(priv_lookup(root, "cassandra", "broken", &ids, &err), PRIV_ERR_LOOKUP);
    assert_non_null(strstr(err.message, "group:7:"));
    testfs_rm_tree(root);
}

static void test_lookup_errors(void **state)
{
    (void)state;
    char root[PATH_MAX];
    fake_root(root, sizeof root, PASSWD, GROUP);
    priv_ids ids;
    entry_error err;

    assert_int_equal(priv_lookup(root, "nosuch", NULL, &ids, &err), PRIV_ERR_LOOKUP);
    assert_int_equal(err.code, EX_CONFIG); /* the exit status: the user is configuration */
    assert_non_null(strstr(err.message, "/etc/passwd"));
    assert_non_null(strstr(err.message, "\"nosuch\""));

    assert_int_equal(priv_lookup(root, "broken", NULL, &ids, &err), PRIV_ERR_LOOKUP);
    assert_non_null(strstr(err.message, "passwd:5:"));

    assert_int_equal(priv_lookup(root, "", NULL, &ids, &err), PRIV_ERR_LOOKUP);
    assert_int_equal(priv_lookup(root, NULL, NULL, &ids, &err), PRIV_ERR_LOOKUP);
    /* A NIS compat line is not an account. */
    assert_int_equal(priv_lookup(root, "+nisuser", NULL, &ids, &err), PRIV_ERR_LOOKUP);
    testfs_rm_tree(root);

    char empty[PATH_MAX];
    fake_root(empty, sizeof empty, NULL, NULL);
    assert_int_equal(priv_lookup(empty, "cassandra", NULL, &ids, &err), PRIV_ERR_LOOKUP);
    assert_non_null(strstr(err.message, "etc/passwd"));
    assert_non_null(strstr(err.message, strerror(ENOENT)));
    testfs_rm_tree(empty);
}

static void test_lookup_without_group_file(void **state)
{
    (void)state;
    char root[PATH_MAX];
    fake_root(root, sizeof root, PASSWD, NULL);
    priv_ids ids;
    entry_error err;
    assert_int_equal(priv_lookup(root, "cassandra", NULL, &ids, &err), PRIV_OK);
    assert_int_equal(ids.gid, 999);
    const gid_t want[] = { 999 };
    assert_groups(&ids, 1, want);
    assert_int_equal(priv_lookup(root, "cassandra", "50", &ids, &err), PRIV_OK);
    assert_int_equal(ids.gid, 50);
    assert_int_equal(priv_lookup(root, "cassandra", "audio", &ids, &err), PRIV_ERR_LOOKUP);
    assert_non_null(strstr(err.message, "etc/group"));
    testfs_rm_tree(root);
}

static void test_lookup_crlf_and_no_final_newline(void **state)
{
    (void)state;
    char root[PATH_MAX];
    fake_root(root, sizeof root,
              "root:x:0:0::/:/bin/sh\r\ncassandra:x:999:999::/:/bin/sh",
              "cassandra:x:999:\r\nadm:x:4:cassandra\r\n");
    priv_ids ids;
    entry_error err;
    assert_int_equal(priv_lookup(root, "cassandra", NULL, &ids, &err), PRIV_OK);
    assert_int_equal(ids.uid, 999);
    const gid_t want[] = { 999, 4 };
    assert_groups(&ids, 2, want);

    /* The root directory may be given with a trailing slash. */
    char slashed[PATH_MAX + 1];
    snprintf(slashed, sizeof slashed, "%s/", root);
    assert_int_equal(priv_lookup(slashed, "cassandra", NULL, &ids, &err), PRIV_OK);
    testfs_rm_tree(root);
}

static void test_lookup_first_entry_wins_and_names_beat_uids(void **state)
{
    (void)state;
    char root[PATH_MAX];
    fake_root(root, sizeof root,
              "numbered:x:1234:1234::/:/bin/sh\n"
              "cassandra:x:999:999::/:/bin/sh\n"
              "cassandra:x:1:1::/:/bin/sh\n"
              "1234:x:5000:5000::/:/bin/sh\n",
              NULL);
    priv_ids ids;
    entry_error err;
    /* Duplicates: the first entry counts, as with getpwnam. */
    assert_int_equal(priv_lookup(root, "cassandra", NULL, &ids, &err), PRIV_OK);
    assert_int_equal(ids.uid, 999);
    /* The entry named "1234" wins over the earlier entry with uid 1234. */
    assert_int_equal(priv_lookup(root, "1234", NULL, &ids, &err), PRIV_OK);
    assert_int_equal(ids.uid, 5000);
    testfs_rm_tree(root);
}

static void test_lookup_real_root(void **state)
{
    (void)state;
    /* Every Linux system has root as uid 0 in /etc/passwd. */
    priv_ids ids;
    entry_error err;
    assert_int_equal(priv_lookup("/", "root", NULL, &ids, &err), PRIV_OK);
    assert_int_equal(ids.uid, 0);
    assert_int_equal(ids.gid, 0);
}

/* ---- the chown walk --------------------------------------------------------------- */

/* T/data: root-owned files and dirs, one file the user owns already (with
 * another group), a link to a file outside and a link to a dir outside.
 * T/log: owned by the user, one root file inside.  T/outside: must stay root's. */
static void build_tree(const char *t)
{
    mkdir_at(t, "data", 0755);
    write_at(t, "data/a.db", "a");
    write_at(t, "data/owned.db", "o");
    chown_at(t, "data/owned.db", CASS_UID, 50);
    mkdir_at(t, "data/sub", 0755);
    write_at(t, "data/sub/b.db", "b");
    mkdir_at(t, "data/sub/deeper", 0700);
    write_at(t, "data/sub/deeper/c.db", "c");
    mkdir_at(t, "outside", 0755);
    write_at(t, "outside/secret", "s");
    symlink_at(t, "data/link-out", "../outside/secret");
    symlink_at(t, "data/dirlink", "../outside");
    mkdir_at(t, "log", 0755);
    chown_at(t, "log", CASS_UID, CASS_GID);
    write_at(t, "log/x.log", "x");
}

static void test_chown_walk(void **state)
{
    (void)state;
    need_root();
    char t[PATH_MAX], data[PATH_MAX], log[PATH_MAX], missing[PATH_MAX];
    make_tmp(t, sizeof t);
    build_tree(t);
    join(data, sizeof data, t, "data");
    join(log, sizeof log, t, "log");
    join(missing, sizeof missing, t, "missing");
    const char *dirs[] = { data, log, missing };

    priv_chown_counts c = { 0 };
    entry_error err;
    priv_status st = priv_chown_dirs(dirs, 3, CASS_UID, CASS_GID, &c, &err);
    if (st != PRIV_OK)
        fail_msg("chown walk failed: %s", err.message);
    /* data + 8 entries below it, log + 1. */
    assert_int_equal(c.seen, 11);
    /* All but owned.db and log itself. */
    assert_int_equal(c.changed, 9);
    assert_int_equal(c.missing, 1);
    assert_int_equal(c.read_only, 0);

    assert_owner(t, "data", CASS_UID, CASS_GID);
    assert_owner(t, "data/a.db", CASS_UID, CASS_GID);
    assert_owner(t, "data/sub", CASS_UID, CASS_GID);
    assert_owner(t, "data/sub/b.db", CASS_UID, CASS_GID);
    assert_owner(t, "data/sub/deeper", CASS_UID, CASS_GID);
    assert_owner(t, "data/sub/deeper/c.db", CASS_UID, CASS_GID);
    assert_owner(t, "log/x.log", CASS_UID, CASS_GID);
    /* Owned already: untouched, its group kept. */
    assert_owner(t, "data/owned.db", CASS_UID, 50);
    /* The links themselves change hands; what they point to does not. */
    assert_owner(t, "data/link-out", CASS_UID, CASS_GID);
    assert_owner(t, "data/dirlink", CASS_UID, CASS_GID);
    assert_owner(t, "outside", 0, 0);
    assert_owner(t, "outside/secret", 0, 0);

    /* The second start changes nothing. */
    priv_chown_counts again = { 0 };
    assert_int_equal(priv_chown_dirs(dirs, 3, CASS_UID, CASS_GID, &again, &err), PRIV_OK);
    assert_int_equal(again.seen, 11);
    assert_int_equal(again.changed, 0);
    assert_int_equal(again.missing, 1);
    testfs_rm_tree(t);
}

static void test_chown_top_link_followed_and_errors(void **state)
{
    (void)state;
    need_root();
    char t[PATH_MAX], link[PATH_MAX], file[PATH_MAX];
    make_tmp(t, sizeof t);
    mkdir_at(t, "real", 0755);
    write_at(t, "real/f", "f");
    symlink_at(t, "datalink", "real");
    write_at(t, "plain", "p");
    join(link, sizeof link, t, "datalink");
    join(file, sizeof file, t, "plain");

    /* A configured dir that is a link: the administrator chose it, follow it. */
    const char *dirs[] = { link };
    priv_chown_counts c = { 0 };
    entry_error err;
    assert_int_equal(priv_chown_dirs(dirs, 1, CASS_UID, CASS_GID, &c, &err), PRIV_OK);
    assert_int_equal(c.seen, 2);
    assert_int_equal(c.changed, 2);
    assert_owner(t, "real", CASS_UID, CASS_GID);
    assert_owner(t, "real/f", CASS_UID, CASS_GID);
    assert_owner(t, "datalink", 0, 0);

    /* A file where a dir is expected is an error that names it. */
    const char *bad[] = { file };
    assert_int_equal(priv_chown_dirs(bad, 1, CASS_UID, CASS_GID, &c, &err), PRIV_ERR_WALK);
    assert_non_null(strstr(err.message, file));
    testfs_rm_tree(t);
}

/* A conf dir mounted read-only is input only: not owned, left alone, counted,
 * and not a reason to refuse to start. */
static void test_chown_read_only_mount(void **state)
{
    (void)state;
    need_root();
    char t[PATH_MAX], conf[PATH_MAX], data[PATH_MAX];
    make_tmp(t, sizeof t);
    mkdir_at(t, "conf", 0755);
    write_at(t, "conf/cassandra.yaml", "x: 1\n");
    mkdir_at(t, "data", 0755);
    join(conf, sizeof conf, t, "conf");
    join(data, sizeof data, t, "data");
    if (mount(conf, conf, NULL, MS_BIND, NULL) != 0)
        fail_msg("bind mount of %s: %s (this test needs CAP_SYS_ADMIN)", conf, strerror(errno));
    if (mount(NULL, conf, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
        int e = errno;
        umount(conf);
        fail_msg("read-only remount of %s: %s", conf, strerror(e));
    }
    const char *dirs[] = { conf, data };
    priv_chown_counts c = { 0 };
    entry_error err = { .code = PRIV_OK, .message = "" };
    priv_status st = priv_chown_dirs(dirs, 2, CASS_UID, CASS_GID, &c, &err);
    umount(conf);
    if (st != PRIV_OK)
        fail_msg("chown walk failed: %s", err.message);
    assert_int_equal(c.seen, 3);
    assert_int_equal(c.read_only, 2);  /* conf and conf/cassandra.yaml */
    assert_int_equal(c.changed, 1);    /* data */
    assert_owner(t, "conf/cassandra.yaml", 0, 0);
    assert_owner(t, "data", CASS_UID, CASS_GID);
    testfs_rm_tree(t);
}

/* ---- running as another user, in a child --------------------------------------------- */

typedef void child_fn(int report_fd, void *arg);

/* Run fn in a child; returns its exit status, with what it wrote in out. */
static int in_child(child_fn *fn, void *arg, char *out, size_t cap)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        fn(p[1], arg);
        _exit(0);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(p[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("child died with status 0x%x; it said: %s", status, out);
    return WEXITSTATUS(status);
}

#define CHILD_CHECK(fd, cond) do {                                             \
        if (!(cond)) {                                                        \
            dprintf((fd), "check failed: %s (errno %s)\n", #cond, strerror(errno)); \
            _exit(1);                                                         \
        }                                                                     \
    } while (0)

static void drop_child(int fd, void *arg)
{
    (void)arg;
    priv_ids ids = { .name = "cassandra", .uid = CASS_UID, .gid = CASS_GID,
                     .ngroups = 2, .groups = { CASS_GID, 29 } };
    entry_error err;
    if (priv_drop(&ids, &err) != PRIV_OK) {
        dprintf(fd, "priv_drop: %s\n", err.message);
        _exit(1);
    }
    uid_t r, e, s;
    gid_t rg, eg, sg;
    CHILD_CHECK(fd, getresuid(&r, &e, &s) == 0);
    CHILD_CHECK(fd, r == CASS_UID && e == CASS_UID && s == CASS_UID);
    CHILD_CHECK(fd, getuid() == CASS_UID && geteuid() == CASS_UID);
    CHILD_CHECK(fd, getresgid(&rg, &eg, &sg) == 0);
    CHILD_CHECK(fd, rg == CASS_GID && eg == CASS_GID && sg == CASS_GID);
    gid_t g[8];
    int n = getgroups(8, g);
    CHILD_CHECK(fd, n == 2);
    CHILD_CHECK(fd, (g[0] == CASS_GID && g[1] == 29) || (g[0] == 29 && g[1] == CASS_GID));
    /* No way back. */
    CHILD_CHECK(fd, setuid(0) == -1 && errno == EPERM);
    CHILD_CHECK(fd, seteuid(0) == -1);
    CHILD_CHECK(fd, setgid(0) == -1);
    CHILD_CHECK(fd, setgroups(0, NULL) == -1);
    /* Root's files are now closed to us. */
    CHILD_CHECK(fd, open("/etc/shadow", O_RDONLY) == -1 && errno == EACCES);
    dprintf(fd, "dropped\n");
}

static void test_drop(void **state)
{
    (void)state;
    need_root();
    char out[1024];
    int rc = in_child(drop_child, NULL, out, sizeof out);
    if (rc != 0)
        fail_msg("child exited %d: %s", rc, out);
    assert_string_equal(out, "dropped\n");
    /* The parent is untouched. */
    assert_int_equal(geteuid(), 0);
}

static void drop_root_child(int fd, void *arg)
{
    (void)arg;
    priv_ids ids = { .name = "toor", .uid = 0, .gid = 0, .ngroups = 1, .groups = { 0 } };
    entry_error err;
    priv_status st = priv_drop(&ids, &err);
    dprintf(fd, "%d %s\n", (int)st, err.message);
}

static void test_drop_refuses_root(void **state)
{
    (void)state;
    need_root();
    char out[1024];
    assert_int_equal(in_child(drop_root_child, NULL, out, sizeof out), 0);
    char want[16];
    snprintf(want, sizeof want, "%d ", (int)PRIV_ERR_DROP);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    assert_non_null(strstr(out, "root"));
}

typedef struct {
    const char *root;
    const char *const *dirs;
    size_t ndirs;
} become_args;

static void become_child(int fd, void *arg)
{
    const become_args *a = arg;
    priv_report rep;
    entry_error err;
    priv_status st = priv_become(a->root, "cassandra", NULL, a->dirs, a->ndirs, &rep, &err);
    if (st != PRIV_OK) {
        dprintf(fd, "priv_become: %s\n", err.message);
        _exit(1);
    }
    dprintf(fd, "root=%d uid=%lu euid=%lu seen=%lu changed=%lu missing=%lu\n", (int)rep.was_root,
            (unsigned long)getuid(), (unsigned long)geteuid(), rep.counts.seen,
            rep.counts.changed, rep.counts.missing);
}

static void test_become_as_root(void **state)
{
    (void)state;
    need_root();
    char root[PATH_MAX], data[PATH_MAX], log[PATH_MAX];
    fake_root(root, sizeof root, PASSWD, GROUP);
    build_tree(root);
    join(data, sizeof data, root, "data");
    join(log, sizeof log, root, "log");
    const char *dirs[] = { data, log };
    become_args a = { root, dirs, 2 };
    char out[1024];
    int rc = in_child(become_child, &a, out, sizeof out);
    if (rc != 0)
        fail_msg("child exited %d: %s", rc, out);
    assert_string_equal(out, "root=1 uid=999 euid=999 seen=11 changed=9 missing=0\n");
    assert_owner(root, "data/sub/deeper/c.db", CASS_UID, CASS_GID);
    assert_owner(root, "outside/secret", 0, 0);
    testfs_rm_tree(root);
}

typedef struct {
    const char *const *dirs;
    size_t ndirs;
} writable_args;

/* Become 999 by hand (not through the code under test), then ask. */
static void writable_child(int fd, void *arg)
{
    const writable_args *a = arg;
    CHILD_CHECK(fd, setgroups(0, NULL) == 0);
    CHILD_CHECK(fd, setgid(CASS_GID) == 0);
    CHILD_CHECK(fd, setuid(CASS_UID) == 0);
    priv_report rep;
    entry_error err = { .code = PRIV_OK, .message = "" };
    priv_status st = priv_become("/nonexistent", "cassandra", NULL, a->dirs, a->ndirs, &rep, &err);
    dprintf(fd, "%d root=%d %s", (int)st, (int)rep.was_root, err.message);
}

static void test_not_root_checks_writable(void **state)
{
    (void)state;
    need_root();
    char t[PATH_MAX], ok[PATH_MAX], ok_new[PATH_MAX], locked[PATH_MAX], locked_new[PATH_MAX];
    make_tmp(t, sizeof t);
    mkdir_at(t, "ok", 0755);
    chown_at(t, "ok", CASS_UID, CASS_GID);
    mkdir_at(t, "locked", 0755);
    join(ok, sizeof ok, t, "ok");
    join(ok_new, sizeof ok_new, t, "ok/new");
    join(locked, sizeof locked, t, "locked");
    join(locked_new, sizeof locked_new, t, "locked/new");
    char out[1024], want[64];

    /* Writable, and missing but creatable: fine, and no lookup was needed
     * (the root given has no passwd at all). */
    const char *good[] = { ok, ok_new };
    writable_args ga = { good, 2 };
    assert_int_equal(in_child(writable_child, &ga, out, sizeof out), 0);
    snprintf(want, sizeof want, "%d root=0 ", (int)PRIV_OK);
    assert_string_equal(out, want);

    /* A root-owned dir: one line naming it, the uid and what to do. */
    const char *bad[] = { ok, locked };
    writable_args ba = { bad, 2 };
    assert_int_equal(in_child(writable_child, &ba, out, sizeof out), 0);
    snprintf(want, sizeof want, "%d root=0 ", (int)PRIV_ERR_ACCESS);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    assert_non_null(strstr(out, locked));
    assert_non_null(strstr(out, "not writable by uid 999"));

    /* Missing, in a parent it can't write. */
    const char *bad_new[] = { locked_new };
    writable_args bn = { bad_new, 1 };
    assert_int_equal(in_child(writable_child, &bn, out, sizeof out), 0);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    assert_non_null(strstr(out, "can't create"));
    testfs_rm_tree(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_by_name),
        cmocka_unit_test(test_lookup_by_number),
        cmocka_unit_test(test_lookup_group_override),
        cmocka_unit_test(test_lookup_errors),
        cmocka_unit_test(test_lookup_without_group_file),
        cmocka_unit_test(test_lookup_crlf_and_no_final_newline),
        cmocka_unit_test(test_lookup_first_entry_wins_and_names_beat_uids),
        cmocka_unit_test(test_lookup_real_root),
        cmocka_unit_test(test_chown_walk),
        cmocka_unit_test(test_chown_top_link_followed_and_errors),
        cmocka_unit_test(test_chown_read_only_mount),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_drop_refuses_root),
        cmocka_unit_test(test_become_as_root),
        cmocka_unit_test(test_not_root_checks_writable),
    };
    return cmocka_run_group_tests_name("privileges", tests, NULL, NULL);
}
