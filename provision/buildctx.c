/*
 * provision/buildctx: the build context as a tar (libarchive), with
 * .dockerignore.  See buildctx.h.
 */
#include "provision/buildctx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

/* ------------------------------------------------------------------------ */
/* Patterns                                                                 */

/* Match a bracket class at p (after '['), against ch.  *end gets the char
 * after ']'.  A class never matches '/'.  Returns -1 for an unclosed class
 * (then '[' is taken literally). */
static int match_class(const char *p, char ch, const char **end)
{
    bool neg = false, hit = false;
    if (*p == '!' || *p == '^') {
        neg = true;
        p++;
    }
    bool first = true;
    while (*p && (first || *p != ']')) {
        first = false;
        char lo = *p;
        if (lo == '\\' && p[1])
            lo = *++p;
        char hi = lo;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            hi = p[2];
            p += 2;
        }
        if (ch >= lo && ch <= hi)
            hit = true;
        p++;
    }
    if (*p != ']')
        return -1;
    *end = p + 1;
    return ch != '/' && hit != neg;
}

bool buildctx_match(const char *p, const char *s)
{
    while (*p) {
        if (p[0] == '*' && p[1] == '*') {
            while (*p == '*')
                p++;
            if (*p == '/') {
                /* "**\/": zero or more whole directories. */
                p++;
                if (buildctx_match(p, s))
                    return true;
                for (const char *q = s; *q; q++)
                    if (*q == '/' && buildctx_match(p, q + 1))
                        return true;
                return false;
            }
            for (const char *q = s;; q++) {
                if (buildctx_match(p, q))
                    return true;
                if (!*q)
                    return false;
            }
        }
        switch (*p) {
        case '*':
            p++;
            for (const char *q = s;; q++) {
                if (buildctx_match(p, q))
                    return true;
                if (!*q || *q == '/')
                    return false;
            }
        case '?':
            if (!*s || *s == '/')
                return false;
            p++;
            s++;
            continue;
        case '[': {
            const char *end;
            int m = *s ? match_class(p + 1, *s, &end) : 0;
            if (m > 0) {
                p = end;
                s++;
                continue;
            }
            if (m == 0)
                return false;
            break; /* unclosed: a literal '[' */
        }
        case '\\':
            if (p[1])
                p++;
            break;
        default:
            break;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}

/* Clean a pattern as the CLI does (filepath.Clean, leading '/' dropped):
 * in place.  Returns false for one that is empty after cleaning. */
static bool clean_pattern(char *pat)
{
    char *out = pat, *in = pat;
    while (*in) {
        while (*in == '/')
            in++;
        if (!*in)
            break;
        size_t n = strcspn(in, "/");
        if (n == 1 && in[0] == '.') {
            in += 1;
            continue;
        }
        if (n == 2 && in[0] == '.' && in[1] == '.') {
            /* Drop the previous component (can't climb above the context). */
            while (out > pat && out[-1] != '/')
                out--;
            if (out > pat)
                out--;
            in += 2;
            continue;
        }
        if (out > pat)
            *out++ = '/';
        memmove(out, in, n);
        out += n;
        in += n;
    }
    *out = '\0';
    return *pat != '\0';
}

int buildctx_ignore_parse(buildctx_ignore *ig, const char *text, size_t len)
{
    memset(ig, 0, sizeof *ig);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *a = p, *b = le;
        p = nl ? nl + 1 : end;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (a == b || *a == '#')
            continue;
        bool neg = false;
        if (*a == '!') {
            neg = true;
            a++;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
        }
        char *pat = strndup(a, (size_t)(b - a));
        if (!pat) {
            buildctx_ignore_free(ig);
            return -1;
        }
        if (!clean_pattern(pat)) {
            free(pat);
            continue;
        }
        char **np = realloc(ig->patterns, (ig->n + 1) * sizeof *np);
        bool *nn = np ? realloc(ig->negate, (ig->n + 1) * sizeof *nn) : NULL;
        if (np)
            ig->patterns = np;
        if (!nn) {
            free(pat);
            buildctx_ignore_free(ig);
            return -1;
        }
        ig->negate = nn;
        ig->patterns[ig->n] = pat;
        ig->negate[ig->n] = neg;
        ig->n++;
    }
    return 0;
}

void buildctx_ignore_free(buildctx_ignore *ig)
{
    for (size_t i = 0; i < ig->n; i++)
        free(ig->patterns[i]);
    free(ig->patterns);
    free(ig->negate);
    memset(ig, 0, sizeof *ig);
}

/* The pattern matches the path or one of its ancestor directories. */
static bool matches_or_ancestor(const char *pat, const char *path)
{
    if (buildctx_match(pat, path))
        return true;
    char buf[ENG_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *slash = strrchr(buf, '/'); slash; slash = strrchr(buf, '/')) {
        *slash = '\0';
        if (buildctx_match(pat, buf))
            return true;
    }
    return false;
}

bool buildctx_ignored(const buildctx_ignore *ig, const char *path)
{
    bool ignored = false;
    for (size_t i = 0; i < ig->n; i++)
        if (ignored != !ig->negate[i] && matches_or_ancestor(ig->patterns[i], path))
            ignored = !ig->negate[i];
    return ignored;
}

/* Does component-wise prefix `dir` fit the first components of `pat`, so
 * that the pattern could match something below dir? */
static bool pattern_reaches_below(const char *pat, const char *dir)
{
    const char *d = dir;
    for (;;) {
        size_t pn = strcspn(pat, "/"), dn = strcspn(d, "/");
        if (pn == 2 && pat[0] == '*' && pat[1] == '*')
            return true;
        char pc[512], dc[512];
        if (pn >= sizeof pc || dn >= sizeof dc)
            return true; /* too long to judge: walk, to be safe */
        memcpy(pc, pat, pn);
        pc[pn] = '\0';
        memcpy(dc, d, dn);
        dc[dn] = '\0';
        if (strstr(pc, "**"))
            return true;
        if (!buildctx_match(pc, dc))
            return false;
        if (pat[pn] == '\0')
            return false; /* the pattern ends at or above dir */
        pat += pn + 1;
        if (d[dn] == '\0')
            return true; /* dir used up, the pattern goes deeper */
        d += dn + 1;
    }
}

bool buildctx_may_include_below(const buildctx_ignore *ig, const char *dir)
{
    for (size_t i = 0; i < ig->n; i++)
        if (ig->negate[i] && pattern_reaches_below(ig->patterns[i], dir))
            return true;
    return false;
}

/* ------------------------------------------------------------------------ */
/* The tar                                                                  */

struct walk {
    struct archive *a;
    const buildctx_ignore *ig;
    const char *dockerfile;
    size_t entries;
    eng_error *err;
    char buf[64 * 1024];
};

static eng_status archive_fail(struct walk *w, const char *path)
{
    return eng_fail(w->err, ENG_ERR_IO, "build context: %s: %s", path,
                    archive_error_string(w->a) ? archive_error_string(w->a) : "archive error");
}

static eng_status add_entry(struct walk *w, const char *abs, const char *rel,
                            const struct stat *st)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return eng_fail(w->err, ENG_ERR_NOMEM, "out of memory");
    eng_status rc = ENG_OK;
    int fd = -1;
    archive_entry_set_pathname(e, rel);
    archive_entry_set_perm(e, st->st_mode & 07777);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    /* As the CLI sends them: owned by root in the image. */
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (S_ISDIR(st->st_mode)) {
        archive_entry_set_filetype(e, AE_IFDIR);
    } else if (S_ISLNK(st->st_mode)) {
        char target[ENG_PATH_MAX];
        ssize_t n = readlink(abs, target, sizeof target - 1);
        if (n < 0) {
            rc = eng_fail(w->err, ENG_ERR_IO, "build context: %s: %s", abs, strerror(errno));
            goto out;
        }
        target[n] = '\0';
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, target);
    } else {
        fd = open(abs, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = eng_fail(w->err, ENG_ERR_IO, "build context: %s: %s", abs, strerror(errno));
            goto out;
        }
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, st->st_size);
    }
    if (archive_write_header(w->a, e) != ARCHIVE_OK) {
        rc = archive_fail(w, abs);
        goto out;
    }
    if (fd >= 0) {
        /* Exactly st_size bytes: a file that shrinks meanwhile is padded by
         * libarchive, one that grows is cut, so the tar stays well-formed. */
        long long left = st->st_size;
        while (left > 0) {
            ssize_t n = read(fd, w->buf, sizeof w->buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = eng_fail(w->err, ENG_ERR_IO, "build context: %s: %s", abs, strerror(errno));
                goto out;
            }
            if (n == 0)
                break;
            if (n > left)
                n = (ssize_t)left;
            if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
                rc = archive_fail(w, abs);
                goto out;
            }
            left -= n;
        }
    }
    if (archive_write_finish_entry(w->a) != ARCHIVE_OK) {
        rc = archive_fail(w, abs);
        goto out;
    }
    w->entries++;
out:
    if (fd >= 0)
        close(fd);
    archive_entry_free(e);
    return rc;
}

static eng_status walk_dir(struct walk *w, const char *abs, const char *rel)
{
    struct dirent **names;
    int n = scandir(abs, &names, NULL, alphasort); /* sorted: the same tar every time */
    if (n < 0)
        return eng_fail(w->err, ENG_ERR_IO, "build context: %s: %s", abs, strerror(errno));
    eng_status rc = ENG_OK;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (rc != ENG_OK || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char cabs[ENG_PATH_MAX], crel[ENG_PATH_MAX];
        int la = snprintf(cabs, sizeof cabs, "%s/%s", abs, name);
        int lr = rel[0] ? snprintf(crel, sizeof crel, "%s/%s", rel, name)
                        : snprintf(crel, sizeof crel, "%s", name);
        if (la < 0 || lr < 0 || (size_t)la >= sizeof cabs || (size_t)lr >= sizeof crel) {
            rc = eng_fail(w->err, ENG_ERR_IO, "build context: %s/%s: path too long", abs, name);
            continue;
        }
        struct stat st;
        if (lstat(cabs, &st) != 0) {
            rc = eng_fail(w->err, ENG_ERR_IO, "build context: %s: %s", cabs, strerror(errno));
            continue;
        }
        bool always = strcmp(crel, w->dockerfile) == 0 || strcmp(crel, ".dockerignore") == 0;
        bool ignored = !always && buildctx_ignored(w->ig, crel);
        if (S_ISDIR(st.st_mode)) {
            size_t cl = strlen(crel);
            bool holds_dockerfile = strncmp(w->dockerfile, crel, cl) == 0 && w->dockerfile[cl] == '/';
            bool into = !ignored || holds_dockerfile || buildctx_may_include_below(w->ig, crel);
            if (!ignored)
                rc = add_entry(w, cabs, crel, &st);
            if (rc == ENG_OK && into)
                rc = walk_dir(w, cabs, crel);
        } else if (!ignored && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
            rc = add_entry(w, cabs, crel, &st);
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

eng_status buildctx_write_tar(const char *dir, const char *dockerfile, FILE **out,
                              long long *size, size_t *entries, eng_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0)
        return eng_fail(err, ENG_ERR_IO, "build context %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return eng_fail(err, ENG_ERR_IO, "build context %s: not a directory", dir);

    /* .dockerignore, if any. */
    buildctx_ignore ig = {0};
    char ipath[ENG_PATH_MAX];
    snprintf(ipath, sizeof ipath, "%s/.dockerignore", dir);
    FILE *igf = fopen(ipath, "r");
    if (igf) {
        char *text = NULL;
        size_t cap = 0, len = 0;
        char chunk[4096];
        size_t n;
        bool nomem = false;
        while ((n = fread(chunk, 1, sizeof chunk, igf)) > 0) {
            if (len + n > cap) {
                cap = (len + n) * 2;
                char *nt = realloc(text, cap);
                if (!nt) {
                    nomem = true;
                    break;
                }
                text = nt;
            }
            memcpy(text + len, chunk, n);
            len += n;
        }
        bool rerr = ferror(igf);
        fclose(igf);
        if (nomem || rerr || buildctx_ignore_parse(&ig, text ? text : "", len) != 0) {
            free(text);
            return eng_fail(err, rerr ? ENG_ERR_IO : ENG_ERR_NOMEM, "%s: %s", ipath,
                            rerr ? "read error" : "out of memory");
        }
        free(text);
    } else if (errno != ENOENT) {
        return eng_fail(err, ENG_ERR_IO, "%s: %s", ipath, strerror(errno));
    }

    char df[ENG_PATH_MAX];
    snprintf(df, sizeof df, "%s", dockerfile && *dockerfile ? dockerfile : "Dockerfile");
    clean_pattern(df);

    FILE *tmp = tmpfile();
    if (!tmp) {
        buildctx_ignore_free(&ig);
        return eng_fail(err, ENG_ERR_IO, "build context: temporary file: %s", strerror(errno));
    }
    struct walk *w = calloc(1, sizeof *w);
    struct archive *a = archive_write_new();
    eng_status rc = ENG_OK;
    if (!w || !a) {
        rc = eng_fail(err, ENG_ERR_NOMEM, "out of memory");
        goto out;
    }
    w->a = a;
    w->ig = &ig;
    w->dockerfile = df;
    w->err = err;
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_open_FILE(a, tmp) != ARCHIVE_OK) {
        rc = archive_fail(w, "tar");
        goto out;
    }
    rc = walk_dir(w, dir, "");
    if (rc == ENG_OK && archive_write_close(a) != ARCHIVE_OK)
        rc = archive_fail(w, "tar");
    if (rc == ENG_OK && (fflush(tmp) != 0 || ferror(tmp)))
        rc = eng_fail(err, ENG_ERR_IO, "build context: temporary file: %s", strerror(errno));
    if (rc == ENG_OK) {
        long long sz = ftello(tmp);
        rewind(tmp);
        if (size)
            *size = sz;
        if (entries)
            *entries = w->entries;
        *out = tmp;
        tmp = NULL;
    }
out:
    if (a)
        archive_write_free(a);
    free(w);
    if (tmp)
        fclose(tmp);
    buildctx_ignore_free(&ig);
    return rc;
}
