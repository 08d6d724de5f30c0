/*
 * provision/buildctx: a build context as the docker CLI sends it.
 *
 * The context directory is written as a tar archive (libarchive, POSIX
 * ustar/pax) into a temporary file the caller uploads as the body of
 * POST /build.  Paths in the archive are relative to the context; owners are
 * root (uid/gid 0), as the CLI sends them, so COPY gives root-owned files.
 *
 * .dockerignore is honoured like the CLI does:
 *   - one pattern per line, '#' comments and blank lines skipped, surrounding
 *     blanks trimmed, leading '/' and "./" dropped, trailing '/' dropped;
 *   - '*' matches within one path component, '?' one character, [...] a
 *     class, '**' any number of components, '\' escapes;
 *   - a pattern excludes the path it matches and everything under it;
 *   - "!pattern" re-includes; the LAST matching pattern decides;
 *   - an excluded directory is still walked when some "!" pattern could
 *     match inside it;
 *   - the Dockerfile and .dockerignore are always sent (the daemon needs the
 *     first).
 * Symbolic links are archived as links; other special files are skipped.
 */
#ifndef PROVISION_BUILDCTX_H
#define PROVISION_BUILDCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "provision/engine.h"

typedef struct {
    char **patterns;    /* cleaned, without the '!' */
    bool *negate;
    size_t n;
} buildctx_ignore;

/* Parse .dockerignore text into rules.  Returns -1 on no memory. */
int buildctx_ignore_parse(buildctx_ignore *ig, const char *text, size_t len);

/* Does the context-relative path (no leading "./", '/' separated) get
 * excluded?  Also true when an excluded ancestor directory excludes it and
 * no later "!" pattern includes it. */
bool buildctx_ignored(const buildctx_ignore *ig, const char *path);

/* Might a "!" pattern include something below directory `dir`? */
bool buildctx_may_include_below(const buildctx_ignore *ig, const char *dir);

/* Free the rules (zeroed rules are fine). */
void buildctx_ignore_free(buildctx_ignore *ig);

/* Glob match of one pattern against a whole path, with the rules above
 * ('*' not crossing '/', '**' crossing it).  Exposed for tests. */
bool buildctx_match(const char *pattern, const char *path);

/* Write the context `dir` (honouring dir/.dockerignore; `dockerfile` is the
 * Dockerfile's path in the context, NULL = "Dockerfile", always included)
 * as a tar into a new temporary file, rewound; its size in *size and the
 * number of entries in *entries (may be NULL).  ENG_ERR_IO names the path
 * that failed.  The caller fcloses the file (it is already unlinked). */
eng_status buildctx_write_tar(const char *dir, const char *dockerfile, FILE **out,
                              long long *size, size_t *entries, eng_error *err);

#endif
