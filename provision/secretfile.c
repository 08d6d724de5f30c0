/* secretfile: see secretfile.h. */
#include "provision/secretfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int secretfile_default_path(const char *prefix, char *out, size_t cap)
{
    const char *home = getenv("HOME");
    if (!home || !*home) home = "/root";
    int n = snprintf(out, cap, "%s/.cass-provision/%s/superuser-password", home, prefix);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* mkdir -p of path's directory, each new level 0700. */
static int make_parent(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
                return -1;
            }
            if (end) break;
            *p = '/';
        }
    }
    return 0;
}

static int create(const char *path, char *err, size_t errlen)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char raw[24];
    char pw[sizeof raw + 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        snprintf(err, errlen, "no random bytes for the password: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++) pw[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    pw[sizeof raw] = '\n';
    pw[sizeof raw + 1] = '\0';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = 0;
    if (fd < 0 || write(fd, pw, sizeof raw + 1) != (ssize_t)(sizeof raw + 1) || fsync(fd) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        rc = -1;
    }
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        rc = -1;
    }
    explicit_bzero(pw, sizeof pw);
    explicit_bzero(raw, sizeof raw);
    return rc;
}

int secretfile_ensure(const char *path, bool *created, char *err, size_t errlen)
{
    *created = false;
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        if (make_parent(path, err, errlen) != 0 || create(path, err, errlen) != 0) return -1;
        *created = true;
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (a link or a directory): refusing it as the password file", path);
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: mode %03o lets others read the password: chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
        return -1;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s: empty: no password in it", path);
        return -1;
    }
    return 0;
}
