/*
 * yp_file: reading a YAML file and replacing it safely.
 *
 * yp_file_replace writes the new content to a temporary file in the same
 * directory, fsyncs it, keeps the original's mode and owner, renames it over the
 * original (a symlink is followed to its target) and fsyncs the directory.
 * When the file can't be renamed over because it is a bind mount (EBUSY, EXDEV)
 * or its directory is not writable, the complete new content is first written
 * and synced elsewhere, then the file is rewritten in place; if that rewrite
 * fails the original content is written back.  The original file is never left
 * half-written.
 */
#ifndef YAMLPATCH_YP_FILE_H
#define YAMLPATCH_YP_FILE_H

#include "yamlpatch/yamlpatch.h"

#include <stddef.h>

typedef enum {
    YP_WRITE_RENAMED,  /* replaced by rename: atomic */
    YP_WRITE_IN_PLACE  /* rewritten in place (bind mount / read-only directory) */
} yp_write_how;

/* The most yp_file_read reads: config files are kilobytes, and a stream that
 * never ends (`yes | yamlpatch get -`) must not take all the memory. */
#define YP_FILE_MAX_DEFAULT ((size_t)64 << 20)

/* Read all of `path` ("-" for standard input) into a malloc'd buffer, at most
 * YP_FILE_MAX_DEFAULT bytes (more: YP_ERR_IO naming the limit). */
yp_status yp_file_read(const char *path, char **bytes, size_t *len, yp_error *err);

/* The same with another limit (max_bytes > 0). */
yp_status yp_file_read_max(const char *path, size_t max_bytes, char **bytes, size_t *len,
                           yp_error *err);

/* Replace the content of `path` with `bytes`. */
yp_status yp_file_replace(const char *path, const char *bytes, size_t len, yp_write_how *how,
                          yp_error *err);

#endif
