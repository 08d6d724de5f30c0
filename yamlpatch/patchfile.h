/*
 * patchfile: typed patch documents for `yamlpatch apply`, loaded with libcyaml.
 *
 *   - op: set            # set | delete | uncomment (set, or replace a template line)
 *     path: listen_address
 *     value: 10.0.0.1    # always a string; with `type: yaml` it holds YAML text
 *     type: string       # auto (default) | string | int | bool | null | yaml
 *
 * The patch is loaded completely and checked before any edit is made.
 */
#ifndef YAMLPATCH_PATCHFILE_H
#define YAMLPATCH_PATCHFILE_H

#include "yamlpatch/yamlpatch.h"

typedef enum { YP_OP_SET, YP_OP_DELETE, YP_OP_UNCOMMENT } yp_op_kind;

typedef struct {
    int op;            /* yp_op_kind (int-sized for libcyaml's enum loader) */
    char *path;
    int type;          /* yp_value_type */
    char *value;       /* NULL when absent */
} yp_patch_op;

typedef struct {
    yp_patch_op *ops;
    unsigned n;
} yp_patch;

/* Load a patch document; errors carry the patch's line and column. */
yp_status yp_patch_load(const char *bytes, size_t len, yp_patch *out, yp_error *err);
void yp_patch_free(yp_patch *patch);

/* Apply every operation in order, all or nothing (yp_apply): on an error the
 * document is unchanged. */
yp_status yp_patch_apply(yp_doc *doc, const yp_patch *patch, yp_error *err);

#endif
