/* patchfile.c: see patchfile.h. */
#include "yamlpatch/patchfile.h"

#include <cyaml/cyaml.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const cyaml_strval_t op_names[] = {
    { "set", YP_OP_SET }, { "delete", YP_OP_DELETE }, { "del", YP_OP_DELETE },
    { "uncomment", YP_OP_UNCOMMENT },
};
static const cyaml_strval_t type_names[] = {
    { "auto", YP_VALUE_AUTO }, { "string", YP_VALUE_STRING }, { "int", YP_VALUE_INT },
    { "bool", YP_VALUE_BOOL }, { "null", YP_VALUE_NULL }, { "yaml", YP_VALUE_YAML },
};

static const cyaml_schema_field_t op_fields[] = {
    CYAML_FIELD_ENUM("op", CYAML_FLAG_DEFAULT | CYAML_FLAG_STRICT, yp_patch_op, op, op_names,
                     CYAML_ARRAY_LEN(op_names)),
    CYAML_FIELD_STRING_PTR("path", CYAML_FLAG_POINTER, yp_patch_op, path, 0, CYAML_UNLIMITED),
    CYAML_FIELD_ENUM("type", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, yp_patch_op, type,
                     type_names, CYAML_ARRAY_LEN(type_names)),
    CYAML_FIELD_STRING_PTR("value", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, yp_patch_op,
                           value, 0, CYAML_UNLIMITED),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t op_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, yp_patch_op, op_fields),
};
static const cyaml_schema_value_t patch_schema = {
    CYAML_VALUE_SEQUENCE(CYAML_FLAG_POINTER, yp_patch_op, &op_schema, 0, CYAML_UNLIMITED),
};

/* libcyaml reports through a log function: keep the first error and the
 * position of the innermost backtrace line. */
typedef struct {
    char message[256];
    unsigned long line, column;
} load_log;

static void capture(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    load_log *log = ctx;
    char text[256];
    if (level < CYAML_LOG_ERROR) return;
    vsnprintf(text, sizeof text, fmt, args);
    text[strcspn(text, "\n")] = '\0';
    const char *pos = strstr(text, "(line: ");
    if (pos && log->line == 0) sscanf(pos, "(line: %lu, column: %lu)", &log->line, &log->column);
    if (log->message[0] == '\0' && !strstr(text, "Backtrace")) {
        const char *m = strncmp(text, "Load: ", 6) == 0 ? text + 6 : text;
        snprintf(log->message, sizeof log->message, "%.250s", m);
    }
}

static cyaml_config_t config_for(load_log *log)
{
    return (cyaml_config_t){ .log_fn = capture, .log_ctx = log, .mem_fn = cyaml_mem,
                             .log_level = CYAML_LOG_ERROR, .flags = CYAML_CFG_NO_ALIAS };
}

/* libcyaml says only "libyaml: (null)" when libyaml ran out of memory: parse
 * the text again to tell a shortage (this parse fails for memory too, or the
 * text parses) from an error in the text. */
static bool libyaml_out_of_memory(const char *bytes, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
    bool oom = false;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            oom = parser.error == YAML_MEMORY_ERROR;
            break;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (end) {
            oom = true;
            break;
        }
    }
    yaml_parser_delete(&parser);
    return oom;
}

yp_status yp_patch_load(const char *bytes, size_t len, yp_patch *out, yp_error *err)
{
    load_log log = { 0 };
    cyaml_config_t cfg = config_for(&log);
    yp_patch_op *ops = NULL;
    unsigned n = 0;
    cyaml_err_t e = cyaml_load_data((const uint8_t *)bytes, len, &cfg, &patch_schema,
                                    (cyaml_data_t **)&ops, &n);
    if (e == CYAML_ERR_OOM || e == CYAML_ERR_LIBYAML_PARSER_INIT ||
        e == CYAML_ERR_LIBYAML_EVENT_INIT || /* libyaml's init fails for memory only */
        (e == CYAML_ERR_LIBYAML_PARSER && libyaml_out_of_memory(bytes, len))) {
        err->code = YP_ERR_NOMEM;
        err->line = err->column = 0;
        snprintf(err->message, sizeof err->message, "out of memory");
        return YP_ERR_NOMEM;
    }
    if (e != CYAML_OK) {
        err->code = YP_ERR_VALUE;
        err->line = log.line;
        err->column = log.column;
        snprintf(err->message, sizeof err->message, "%s",
                 log.message[0] ? log.message : cyaml_strerror(e));
        return YP_ERR_VALUE;
    }
    out->ops = ops;
    out->n = n;
    for (unsigned i = 0; i < n; i++) {
        if (ops[i].op != YP_OP_DELETE && !ops[i].value) {
            err->code = YP_ERR_VALUE;
            err->line = err->column = 0;
            snprintf(err->message, sizeof err->message,
                     "operation %u (%s): a value is required", i + 1, ops[i].path);
            yp_patch_free(out);
            return YP_ERR_VALUE;
        }
    }
    return YP_OK;
}

void yp_patch_free(yp_patch *patch)
{
    if (!patch->ops) return;
    load_log log = { 0 };
    cyaml_config_t cfg = config_for(&log);
    cyaml_free(&cfg, &patch_schema, patch->ops, patch->n);
    patch->ops = NULL;
    patch->n = 0;
}

yp_status yp_patch_apply(yp_doc *doc, const yp_patch *patch, yp_error *err)
{
    yp_edit *edits = calloc(patch->n ? patch->n : 1, sizeof *edits);
    if (!edits) {
        err->code = YP_ERR_NOMEM;
        err->line = err->column = 0;
        snprintf(err->message, sizeof err->message, "out of memory");
        return YP_ERR_NOMEM;
    }
    for (unsigned i = 0; i < patch->n; i++) {
        const yp_patch_op *op = &patch->ops[i];
        edits[i] = (yp_edit){ .path = op->path, .value = op->value,
                              .type = (yp_value_type)op->type,
                              .flags = op->op == YP_OP_UNCOMMENT ? YP_SET_UNCOMMENT : 0,
                              .remove = op->op == YP_OP_DELETE };
    }
    yp_status st = yp_apply(doc, edits, patch->n, err);
    free(edits);
    return st;
}
