/* envfile: NAME and NAME_FILE.  See envfile.h. */
#include "entrypoint/envfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE_VALUE (1u << 20)

/* The value of NAME in envp, or NULL. */
const char *envfile_get(char *const *envp, const char *name)
{
    size_t len = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

bool envfile_read_file(void *ctx, const char *path, char **out, entry_error *err)
{
    (void)ctx;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        entry_reject(err, entry_errno_code(errno, EX_CONFIG), "%s", strerror(errno));
        return false;
    }
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    bool ok = buf != NULL;
    if (!ok)
        entry_no_memory(err);
    while (ok) {
        if (len + 1 == cap) {
            if (cap > MAX_FILE_VALUE) {
                entry_reject(err, EX_CONFIG, "larger than %u bytes", MAX_FILE_VALUE);
                ok = false;
                break;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                entry_no_memory(err);
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
            entry_reject(err, entry_errno_code(errno, EX_CONFIG), "%s", strerror(errno));
            ok = false;
        } else if (r == 0) {
            break;
        } else {
            len += (size_t)r;
        }
    }
    close(fd);
    if (ok && memchr(buf, '\0', len)) {
        entry_reject(err, EX_CONFIG, "contains a NUL byte");
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

/* The value of `name` from the environment or from the file NAME_FILE names.
 * *out is malloc'd, NULL when unset (an empty value counts as unset). */
bool envfile_read(const settings_input *in, const char *name, char **out, bool *from_file,
                     entry_error *err)
{
    *out = NULL;
    *from_file = false;
    char fname[256];
    if (snprintf(fname, sizeof fname, "%s_FILE", name) >= (int)sizeof fname)
        return entry_reject(err, EX_CONFIG, "%s: variable name too long", name);
    const char *v = envfile_get(in->envp, name);
    const char *fv = envfile_get(in->envp, fname);
    if (v && !*v)
        v = NULL;
    if (fv && !*fv)
        fv = NULL;
    if (v && fv)
        return entry_reject(err, EX_CONFIG, "%s and %s are both set: keep one", name, fname);
    if (v) {
        *out = strdup(v);
        return *out ? true : entry_no_memory(err);
    }
    if (!fv)
        return true;
    char *text = NULL;
    bool (*rf)(void *, const char *, char **, entry_error *) =
        in->read_file ? in->read_file : envfile_read_file;
    if (!rf(in->ctx, fv, &text, err)) {
        char why[200];
        snprintf(why, sizeof why, "%.199s", err->message);
        return entry_reject(err, err->code, "%s=%s: cannot read it: %s", fname, fv, why);
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
        return entry_reject(err, EX_CONFIG, "%s=%s: the file is empty", fname, fv);
    }
    *out = text;
    *from_file = true;
    return true;
}
