/*
 * udiff: a unified diff of two texts (what `diff -u` prints), for --diff and
 * cass-entry --dry-run.  Line-based; the changed middle of the two texts is
 * aligned by longest common subsequence, so separate edits get separate hunks.
 */
#ifndef YAMLPATCH_UDIFF_H
#define YAMLPATCH_UDIFF_H

#include <stdio.h>
#include <stddef.h>

/* Write the diff of `a` (labelled a_name) to `b` (b_name) with 3 lines of
 * context.  Writes nothing when the texts are equal.  Returns 0, or -1 when out
 * of memory. */
int yp_udiff(FILE *out, const char *a_name, const char *a, size_t a_len, const char *b_name,
             const char *b, size_t b_len);

#endif
