/*
 * yamlpatch: the command line over the library.  Parses arguments, runs the
 * operations on one document, and reports the one error that stopped it.
 *
 * Exit status: 0 done, 1 --check found a change, 2 usage, 3 path not found,
 * 4 bad data (invalid YAML, bad value, alias, duplicate key, verification),
 * 5 I/O.
 */
#include "yamlpatch/patchfile.h"
#include "yamlpatch/udiff.h"
#include "yamlpatch/yamlpatch.h"
#include "yamlpatch/yp_file.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef YAMLPATCH_VERSION
#define YAMLPATCH_VERSION "0.1.0"
#endif

enum { EXIT_CHANGED = 1, EXIT_USAGE = 2, EXIT_NOT_FOUND = 3, EXIT_DATA = 4, EXIT_IO = 5 };

static const char usage_text[] =
    "usage: yamlpatch get FILE PATH\n"
    "       yamlpatch set [OPTIONS] FILE PATH=VALUE...\n"
    "       yamlpatch del [OPTIONS] FILE PATH...\n"
    "       yamlpatch apply [OPTIONS] FILE PATCH.yaml\n"
    "\n"
    "Edits YAML files structurally while keeping every byte outside the edited\n"
    "values: comments, blank lines, quoting and indentation.  FILE may be '-'.\n"
    "\n"
    "  -i, --in-place        write the result back to FILE (atomically)\n"
    "      --check           change nothing; exit 1 if the edits would change FILE\n"
    "      --diff            print a unified diff of the change instead of the document\n"
    "  -u, --uncomment       a missing key whose commented-out template line exists\n"
    "                        ('# key: example') replaces that line\n"
    "  -t, --type TYPE       how VALUEs are written: auto (default), string, int,\n"
    "                        bool, null or yaml (VALUE is YAML text)\n"
    "      --doc N           edit the N-th document of a multi-document file (from 0)\n"
    "      --allow-duplicates  accept duplicate keys (the last one counts)\n"
    "      --max-size BYTES  read at most this much (default 64 MiB; K, M, G suffixes)\n"
    "  -h, --help            show this help\n"
    "      --version         show the version\n"
    "\n"
    "PATH: a.b  a[0]  a[-1]  a.\"b.c\"  seq[name=value]   e.g.\n"
    "      seed_provider[0].parameters[0].seeds\n"
    "Exit status: 0 ok, 1 --check found a change, 2 usage, 3 not found,\n"
    "4 bad data, 5 I/O error.\n";

typedef struct {
    const char *command;
    const char *file;
    char **args;
    int n_args;
    bool in_place, check, diff, uncomment, allow_duplicates;
    size_t max_size;
    yp_value_type type;
    long doc_index;
} options;

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "yamlpatch: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'yamlpatch --help'.\n");
    va_end(ap);
    return EXIT_USAGE;
}

static int exit_code_for(yp_status st)
{
    switch (st) {
    case YP_OK: return 0;
    case YP_ERR_PATH: return EXIT_USAGE;
    case YP_ERR_NOT_FOUND: return EXIT_NOT_FOUND;
    case YP_ERR_IO:
    case YP_ERR_NOMEM: return EXIT_IO;
    default: return EXIT_DATA;
    }
}

/* One line, once, at the edge. */
static int report(const char *file, const yp_error *err)
{
    if (err->line)
        fprintf(stderr, "yamlpatch: %s:%lu:%lu: %s\n", file, err->line, err->column,
                err->message);
    else
        fprintf(stderr, "yamlpatch: %s\n", err->message);
    return exit_code_for(err->code);
}

static bool parse_type(const char *name, yp_value_type *type)
{
    static const struct { const char *name; yp_value_type type; } types[] = {
        { "auto", YP_VALUE_AUTO }, { "string", YP_VALUE_STRING }, { "str", YP_VALUE_STRING },
        { "int", YP_VALUE_INT },   { "bool", YP_VALUE_BOOL },     { "null", YP_VALUE_NULL },
        { "yaml", YP_VALUE_YAML },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(name, types[i].name) == 0) {
            *type = types[i].type;
            return true;
        }
    return false;
}

static int parse_args(int argc, char **argv, options *o)
{
    enum { OPT_CHECK = 256, OPT_DIFF, OPT_DOC, OPT_DUPS, OPT_VERSION, OPT_MAX };
    static const struct option longopts[] = {
        { "in-place", no_argument, NULL, 'i' },   { "check", no_argument, NULL, OPT_CHECK },
        { "diff", no_argument, NULL, OPT_DIFF },  { "uncomment", no_argument, NULL, 'u' },
        { "type", required_argument, NULL, 't' }, { "doc", required_argument, NULL, OPT_DOC },
        { "allow-duplicates", no_argument, NULL, OPT_DUPS },
        { "max-size", required_argument, NULL, OPT_MAX },
        { "help", no_argument, NULL, 'h' },       { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":iut:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'i': o->in_place = true; break;
        case 'u': o->uncomment = true; break;
        case OPT_CHECK: o->check = true; break;
        case OPT_DIFF: o->diff = true; break;
        case OPT_DUPS: o->allow_duplicates = true; break;
        case OPT_MAX: {
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
            if (shift) end++;
            if (*optarg < '0' || *optarg > '9' || *end || errno || v == 0 || v > (SIZE_MAX >> shift))
                return usage_error("--max-size '%s': expected a number of bytes (e.g. 64M)", optarg);
            o->max_size = (size_t)v << shift;
            break;
        }
        case 't':
            if (!parse_type(optarg, &o->type))
                return usage_error("unknown type '%s' (auto, string, int, bool, null, yaml)",
                                   optarg);
            break;
        case OPT_DOC:
            o->doc_index = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || o->doc_index < 0)
                return usage_error("--doc takes a document number, not '%s'", optarg);
            break;
        case 'h': fputs(usage_text, stdout); exit(0);
        case OPT_VERSION: printf("yamlpatch %s\n", YAMLPATCH_VERSION); exit(0);
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return usage_error("%s", "no command given");
    o->command = argv[optind++];
    if (optind >= argc) return usage_error("%s: no FILE given", o->command);
    o->file = argv[optind++];
    o->args = argv + optind;
    o->n_args = argc - optind;
    bool known = strcmp(o->command, "get") == 0 || strcmp(o->command, "set") == 0 ||
                 strcmp(o->command, "del") == 0 || strcmp(o->command, "delete") == 0 ||
                 strcmp(o->command, "apply") == 0;
    if (!known) return usage_error("unknown command '%s' (get, set, del, apply)", o->command);
    if (o->n_args == 0) return usage_error("%s: nothing to do (no PATH given)", o->command);
    if ((strcmp(o->command, "get") == 0 || strcmp(o->command, "apply") == 0) && o->n_args != 1)
        return usage_error("%s takes exactly one argument after FILE", o->command);
    if (o->in_place && strcmp(o->file, "-") == 0)
        return usage_error("%s", "-i needs a file, not standard input");
    return 0;
}

/* PATH=VALUE: the '=' that separates is the first one outside [...] and "...". */
static char *split_assignment(char *arg)
{
    int depth = 0;
    bool quoted = false;
    for (char *c = arg; *c; c++) {
        if (*c == '\\' && quoted && c[1]) c++;
        else if (*c == '"') quoted = !quoted;
        else if (!quoted && *c == '[') depth++;
        else if (!quoted && *c == ']') depth--;
        else if (!quoted && depth == 0 && *c == '=') return c;
    }
    return NULL;
}

static int run_edits(yp_doc *doc, const options *o, yp_error *err)
{
    yp_status st = YP_OK;
    if (strcmp(o->command, "apply") == 0) {
        char *bytes;
        size_t len;
        yp_patch patch = { 0 };
        if ((st = yp_file_read_max(o->args[0], o->max_size, &bytes, &len, err)) != YP_OK) return report(o->file, err);
        st = yp_patch_load(bytes, len, &patch, err);
        free(bytes);
        if (st != YP_OK) return report(o->args[0], err);
        st = yp_patch_apply(doc, &patch, err);
        yp_patch_free(&patch);
        return st == YP_OK ? 0 : report(o->file, err);
    }
    /* every PATH=VALUE (or PATH) of the command line as one all-or-nothing batch */
    yp_edit *edits = calloc((size_t)o->n_args, sizeof *edits);
    if (!edits) {
        fprintf(stderr, "yamlpatch: out of memory\n");
        return EXIT_IO;
    }
    bool set = strcmp(o->command, "set") == 0;
    for (int i = 0; i < o->n_args; i++) {
        char *eq = set ? split_assignment(o->args[i]) : NULL;
        if (set && !eq) {
            free(edits);
            return usage_error("set: '%s' is not PATH=VALUE", o->args[i]);
        }
        if (eq) *eq = '\0'; /* argv is ours to split */
        edits[i] = (yp_edit){ .path = o->args[i], .value = eq ? eq + 1 : NULL, .type = o->type,
                              .flags = o->uncomment ? YP_SET_UNCOMMENT : 0, .remove = !set };
    }
    st = yp_apply(doc, edits, (size_t)o->n_args, err);
    free(edits);
    return st == YP_OK ? 0 : report(o->file, err);
}

int main(int argc, char **argv)
{
    options o = { .type = YP_VALUE_AUTO, .max_size = YP_FILE_MAX_DEFAULT };
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;

    yp_error err = { 0 };
    char *bytes;
    size_t len;
    if (yp_file_read_max(o.file, o.max_size, &bytes, &len, &err) != YP_OK) return report(o.file, &err);
    yp_doc *doc = yp_doc_load(bytes, len, o.allow_duplicates, &err);
    if (!doc) {
        free(bytes);
        return report(o.file, &err);
    }
    if (yp_doc_select(doc, (size_t)o.doc_index, &err) != YP_OK) {
        rc = report(o.file, &err);
        goto out;
    }

    if (strcmp(o.command, "get") == 0) {
        char *value;
        bool scalar;
        if (yp_get(doc, o.args[0], &value, &scalar, &err) != YP_OK) {
            rc = report(o.file, &err);
            goto out;
        }
        fputs(value, stdout);
        if (!*value || value[strlen(value) - 1] != '\n') fputc('\n', stdout);
        free(value);
        goto out;
    }

    if ((rc = run_edits(doc, &o, &err)) != 0) goto out;
    size_t new_len;
    const char *out = yp_doc_bytes(doc, &new_len);
    bool changed = new_len != len || memcmp(out, bytes, len) != 0;
    if (o.diff) {
        const char *name = strcmp(o.file, "-") == 0 ? "stdin" : o.file;
        char a[4096], b[4096];
        snprintf(a, sizeof a, "a/%s", name);
        snprintf(b, sizeof b, "b/%s", name);
        if (yp_udiff(stdout, a, bytes, len, b, out, new_len) != 0) {
            fprintf(stderr, "yamlpatch: out of memory\n");
            rc = EXIT_IO;
            goto out;
        }
    }
    if (o.check) {
        rc = changed ? EXIT_CHANGED : 0;
    } else if (o.in_place) {
        yp_write_how how;
        if (changed && yp_file_replace(o.file, out, new_len, &how, &err) != YP_OK)
            rc = report(o.file, &err);
        else if (changed && how == YP_WRITE_IN_PLACE)
            fprintf(stderr, "yamlpatch: %s: could not be replaced atomically (bind mount or "
                    "read-only directory); rewritten in place\n", o.file);
    } else if (!o.diff) {
        if (fwrite(out, 1, new_len, stdout) != new_len || fflush(stdout) != 0) {
            fprintf(stderr, "yamlpatch: writing the result failed\n");
            rc = EXIT_IO;
        }
    }
out:
    free(bytes);
    yp_doc_free(doc);
    return rc;
}
