/*
 * entrypoint/privileges: make sure Cassandra never runs as root.
 *
 * Started as root, cass-entry gives the cassandra user what it must write
 * (the data, log and conf dirs) and then becomes that user for good:
 *
 *   priv_lookup        user and group from <root>/etc/passwd and /etc/group,
 *                      parsed as plain files: no NSS, so a static binary in
 *                      a FROM scratch image finds them
 *   priv_chown_dirs    chown, under each dir, only the entries the user does
 *                      not own already (the second start changes nothing);
 *                      symbolic links are never followed
 *   priv_drop          setgroups, setgid, setuid, then check that none of
 *                      it can be undone
 *
 * Started as someone else (docker run --user 999), there is nothing to drop
 * and no right to chown: priv_check_writable only checks that the dirs can
 * be written, so the failure is one clear line now rather than a Java stack
 * trace later.  priv_become does whichever applies.
 *
 * Nothing here prints.  Each function returns what kind of step failed (a
 * priv_status) and fills an entry_error naming the file (with its line), the
 * directory or the call that failed, with the exit status it calls for: 78
 * (EX_CONFIG) the user, passwd or group, or a dir we may not write; 74
 * (EX_IOERR) the chown walk; 71 (EX_OSERR) setgroups/setgid/setuid, and out
 * of memory at any step.
 */
#ifndef ENTRYPOINT_PRIVILEGES_H
#define ENTRYPOINT_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "entrypoint/error.h"

typedef enum {
    PRIV_OK = 0,
    PRIV_ERR_LOOKUP, /* passwd/group unreadable, no such user or group, bad entry */
    PRIV_ERR_WALK,   /* a directory could not be read while chowning */
    PRIV_ERR_CHOWN,  /* chown itself failed */
    PRIV_ERR_DROP,   /* setgroups/setgid/setuid failed, or root could be regained */
    PRIV_ERR_ACCESS  /* not root, and a dir Cassandra writes is not writable */
} priv_status;

/* Supplementary groups kept at most (Linux allows 65536; a service user
 * belongs to a handful). */
enum { PRIV_MAX_GROUPS = 64 };

/* Who to become. */
typedef struct {
    char name[64];                  /* the passwd name, or the number as given */
    uid_t uid;
    gid_t gid;                      /* primary group */
    size_t ngroups;
    gid_t groups[PRIV_MAX_GROUPS];  /* gid first, then every group of /etc/group
                                       that lists the user as a member */
} priv_ids;

typedef struct {
    unsigned long seen;     /* entries examined, the dirs themselves included */
    unsigned long changed;  /* entries given to the user */
    unsigned long missing;  /* dirs of the list that do not exist (left alone) */
    unsigned long read_only; /* entries not owned but on a read-only filesystem
                                (a conf dir mounted :ro is input only): left
                                alone, for the caller to mention */
    unsigned long hard_linked; /* regular files with more than one link, owned
                                  by another user: left alone (a hard link
                                  planted in the data dir may name any file of
                                  the filesystem), for the caller to warn of */
    char first_hard_linked[256]; /* the first of them */
} priv_chown_counts;

/* Find `user` (a name, or a number: a name is tried first, as in passwd a
 * name may look like a number) in <root>/etc/passwd.  `group` (name or
 * number) replaces the user's primary group when not NULL.  A number that has
 * no passwd entry is accepted as a uid only when `group` is given, since
 * there is no primary group to take.  <root>/etc/group supplies the
 * supplementary groups; it may be absent unless `group` is a name.
 * `root` is "/" in production and a fake tree in tests. */
priv_status priv_lookup(const char *root, const char *user, const char *group,
                        priv_ids *out, entry_error *err);

/* For each dir: chown to uid:gid every entry below it, and the dir itself,
 * whose owner is not uid (entries the user owns keep their group).  The dirs
 * of the list are followed if they are symbolic links (the administrator
 * chose them); nothing below them is: a link is chowned as a link, and a
 * directory is entered only through openat(O_NOFOLLOW), so a link planted in
 * the data dir can't hand /etc/shadow to the user; a regular file with more
 * than one hard link that someone else owns is skipped and counted in
 * `hard_linked`, as it may be /etc/shadow under another name.  A dir that does not exist
 * is counted in `missing`, an entry on a read-only filesystem in `read_only`;
 * neither is an error.  Counts accumulate into *counts (zero it first).
 * Stops at the first failure. */
priv_status priv_chown_dirs(const char *const dirs[], size_t ndirs, uid_t uid, gid_t gid,
                            priv_chown_counts *counts, entry_error *err);

/* Become ids for good: setgroups(ids->groups), setgid, setuid, then verify
 * that the real, effective and saved ids are all the target ones, that the
 * groups are exactly ids->groups, and that setuid(0) and setgid(0) now fail.
 * Refuses uid 0: the point is that Cassandra never runs as root.
 * Must run as root.  On failure the process may be half-dropped: exit. */
priv_status priv_drop(const priv_ids *ids, entry_error *err);

/* Not root: check that the effective user can write (and enter) each dir
 * that exists, and can create each one that doesn't in its parent. */
priv_status priv_check_writable(const char *const dirs[], size_t ndirs, entry_error *err);

typedef struct {
    bool was_root;             /* whether lookup, chown and drop ran */
    priv_ids ids;              /* who we became (was_root only) */
    priv_chown_counts counts;  /* what the chown walk did (was_root only) */
} priv_report;

/* As root: priv_lookup(root, user, group), priv_chown_dirs, priv_drop.
 * Otherwise: priv_check_writable, and `user`/`group` are ignored (whoever
 * started us chose the user).  `rep` says which path ran and what it did. */
priv_status priv_become(const char *root, const char *user, const char *group,
                        const char *const dirs[], size_t ndirs,
                        priv_report *rep, entry_error *err);

#endif
