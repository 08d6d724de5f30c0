/*
 * yp_file.c: see yp_file.h.  Every descriptor and allocation has one release
 * path; every error leaves the target as it was.
 */
#include "yamlpatch/yp_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static yp_status io_error(yp_error *err, const char *path, const char *what, int errnum)
{
    /* memory is not the file's fault: callers tell the two apart */
    err->code = errnum == ENOMEM ? YP_ERR_NOMEM : YP_ERR_IO;
    err->line = err->column = 0;
    snprintf(err->message, sizeof err->message, "%s: %s: %s", path, what, strerror(errnum));
    return err->code;
}

yp_status yp_file_read(const char *path, char **bytes, size_t *len, yp_error *err)
{
    return yp_file_read_max(path, YP_FILE_MAX_DEFAULT, bytes, len, err);
}

yp_status yp_file_read_max(const char *path, size_t max_bytes, char **bytes, size_t *len,
                           yp_error *err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error(err, path, "cannot open", errno);
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        if (fd != STDIN_FILENO) close(fd);
        return io_error(err, path, "cannot read", ENOMEM);
    }
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                if (fd != STDIN_FILENO) close(fd);
                return io_error(err, path, "cannot read", ENOMEM);
            }
            buf = p;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            if (fd != STDIN_FILENO) close(fd);
            return io_error(err, path, "cannot read", e);
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n > max_bytes) {
            free(buf);
            if (fd != STDIN_FILENO) close(fd);
            err->code = YP_ERR_IO;
            err->line = err->column = 0;
            snprintf(err->message, sizeof err->message,
                     "%s: larger than %zu bytes: not read (--max-size raises the limit)", path,
                     max_bytes);
            return YP_ERR_IO;
        }
    }
    if (fd != STDIN_FILENO) close(fd);
    *bytes = buf;
    *len = n;
    return YP_OK;
}

static int write_all(int fd, const char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, bytes, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        bytes += w;
        len -= (size_t)w;
    }
    return 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some filesystems refuse fsync on directories */
        close(fd);
    }
}

/* Temporary copies are locked (flock) by the process that writes them until
 * they are renamed into place or removed; the lock dies with the process.
 * So a temp copy of ours that nobody holds, and that is not brand new (the
 * instant between mkstemp and flock), was left by a yamlpatch that was killed:
 * it is removed before the next write in that directory. */
enum { STALE_AFTER_S = 2 };

static void sweep_stale_temps(const char *dir, const char *base)
{
    char prefix[PATH_MAX];
    int plen = snprintf(prefix, sizeof prefix, ".%s.yamlpatch-", base);
    if (plen < 0 || (size_t)plen >= sizeof prefix) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0 || strlen(e->d_name) != (size_t)plen + 6)
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
            time(NULL) - st.st_mtime >= STALE_AFTER_S && flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
        close(fd);
    }
    closedir(d);
}

/* A synced temporary copy of the new content, in `dir` when possible, locked
 * for as long as the returned descriptor is open. */
static int make_temp(const char *dir, const char *base, const char *bytes, size_t len,
                     const struct stat *st, char *tmp, size_t tmplen)
{
    sweep_stale_temps(dir, base);
    snprintf(tmp, tmplen, "%s/.%s.yamlpatch-XXXXXX", dir, base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmp, tmplen, "%s/.%s.yamlpatch-XXXXXX", tmpdir, base);
        fd = mkstemp(tmp);
        if (fd < 0) return -1;
    }
    (void)flock(fd, LOCK_EX); /* a fresh file: nobody else holds it */
    if (write_all(fd, bytes, len) != 0 || fchmod(fd, st->st_mode & 07777) != 0 ||
        fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    /* The owner is kept when we may set it; otherwise only root could have, and
     * then the rename path is not taken (see yp_file_replace). */
    if (fchown(fd, st->st_uid, st->st_gid) != 0 && errno != EPERM) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    return fd;
}

/* Rewrite `path` in place with `bytes`; on failure put `orig` back. */
static int rewrite_in_place(const char *path, const char *bytes, size_t len, const char *orig,
                            size_t orig_len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (write_all(fd, bytes, len) == 0 && ftruncate(fd, (off_t)len) == 0 && fsync(fd) == 0)
        return close(fd);
    int e = errno;
    if (lseek(fd, 0, SEEK_SET) == 0 && write_all(fd, orig, orig_len) == 0)
        (void)!ftruncate(fd, (off_t)orig_len);
    fsync(fd);
    close(fd);
    errno = e;
    return -1;
}

yp_status yp_file_replace(const char *path, const char *bytes, size_t len, yp_write_how *how,
                          yp_error *err)
{
    char target[PATH_MAX];
    if (!realpath(path, target)) return io_error(err, path, "cannot resolve", errno);
    struct stat st;
    if (stat(target, &st) != 0) return io_error(err, path, "cannot stat", errno);
    if (!S_ISREG(st.st_mode)) return io_error(err, path, "not a regular file", EINVAL);
    /* A read-only file stays read-only for us even when its directory would let
     * a rename replace it. */
    if (access(target, W_OK) != 0) return io_error(err, path, "cannot write", errno);

    char dirbuf[PATH_MAX], basebuf[PATH_MAX], tmp[PATH_MAX + 64];
    snprintf(dirbuf, sizeof dirbuf, "%s", target);
    snprintf(basebuf, sizeof basebuf, "%s", target);
    const char *dir = dirname(dirbuf), *base = basename(basebuf);

    int fd = make_temp(dir, base, bytes, len, &st, tmp, sizeof tmp);
    if (fd < 0) return io_error(err, path, "cannot write a temporary copy", errno);
    struct stat tst;
    bool owner_kept = fstat(fd, &tst) == 0 && tst.st_uid == st.st_uid && tst.st_gid == st.st_gid;

    /* The temp copy stays locked (fd open) until it is renamed or removed. */
    if (owner_kept && rename(tmp, target) == 0) {
        close(fd);
        fsync_dir(dir);
        *how = YP_WRITE_RENAMED;
        return YP_OK;
    }
    /* EBUSY/EXDEV: a bind-mounted file; EACCES/EPERM/EROFS: a file we may
     * write in a directory we may not (a root-owned dir, a read-only mount
     * holding a writable bind-mounted file): all rewritten in place. */
    if (owner_kept && errno != EBUSY && errno != EXDEV && errno != EACCES && errno != EPERM &&
        errno != EROFS) {
        int e = errno;
        unlink(tmp);
        close(fd);
        return io_error(err, path, "cannot replace", e);
    }
    /* A bind-mounted file (or one we could not give its owner): the new content
     * is safe in tmp; rewrite the file itself, restoring it on failure. */
    char *orig;
    size_t orig_len;
    yp_status rs = yp_file_read(target, &orig, &orig_len, err);
    if (rs != YP_OK) {
        unlink(tmp);
        close(fd);
        return rs;
    }
    int r = rewrite_in_place(target, bytes, len, orig, orig_len);
    int e = errno;
    free(orig);
    if (r != 0) {
        /* keep tmp: it holds the new content for the user to recover (closed,
         * so unlocked: the next write here sweeps it once it is stale) */
        close(fd);
        return io_error(err, path, "cannot rewrite in place (original restored)", e);
    }
    unlink(tmp);
    close(fd);
    *how = YP_WRITE_IN_PLACE;
    return YP_OK;
}
