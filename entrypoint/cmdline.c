/* cmdline: cass-entry's own options and the mode.  See cmdline.h. */
#include "entrypoint/cmdline.h"

#include "entrypoint/envfile.h"
#include "entrypoint/textutil.h"
#include "entrypoint/variables.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool settings_command_on_path(void *ctx, const char *name, const char *path_env)
{
    (void)ctx;
    /* execvp's own default when PATH is unset */
    const char *path = path_env ? path_env : "/bin:/usr/bin";
    size_t nlen = strlen(name);
    if (nlen == 0)
        return false;
    /* No allocation: a failed one must not turn a command into a seed list.
     * A candidate longer than PATH_MAX could not be stat'ed anyway. */
    char full[PATH_MAX];
    for (const char *dir = path;;) {
        const char *end = strchr(dir, ':');
        size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
        /* an empty PATH element means the current directory */
        int w = dlen == 0 ? snprintf(full, sizeof full, "./%s", name)
                          : snprintf(full, sizeof full, "%.*s/%s", (int)dlen, dir, name);
        if (w > 0 && (size_t)w < sizeof full) {
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
                return true;
        }
        if (!end)
            return false;
        dir = end + 1;
    }
}

/* argv gets a NULL terminator that argc does not count. */
static bool argv_push(settings *s, const char *word, entry_error *err)
{
    if (!text_push(&s->argv, &s->argc, word, err))
        return false;
    if (!text_grow((void **)&s->argv, s->argc, sizeof *s->argv, err))
        return false;
    s->argv[s->argc] = NULL;
    return true;
}

static const char *last_component(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *cmdline_set_split(char *word)
{
    int depth = 0;
    bool quoted = false;
    for (char *p = word; *p; p++) {
        if (quoted) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = false;
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']') {
            depth--;
        } else if (*p == '=' && depth == 0) {
            return p;
        }
    }
    return NULL;
}

static bool add_set(settings *s, const char *word, entry_error *err)
{
    char *copy = strdup(word);
    if (!copy)
        return entry_no_memory(err);
    char *eq = cmdline_set_split(copy);
    bool ok = eq && eq != copy;
    free(copy);
    if (!ok)
        return entry_reject(err, EX_USAGE, "--set %s: expected PATH=VALUE", word);
    return text_push(&s->sets, &s->n_sets, word, err);
}

bool settings_parse_command_line(const settings_input *in, settings *s, entry_error *err)
{
    int i = 1;
    const char *conf = NULL;
    s->mode = SETTINGS_RUN;
    for (; i < in->argc; i++) {
        const char *a = in->argv[i];
        if (strcmp(a, "--dry-run") == 0) {
            s->dry_run = true;
        } else if (strcmp(a, "--conf") == 0 || strcmp(a, "--set") == 0) {
            if (i + 1 >= in->argc)
                return entry_reject(err, EX_USAGE, "%s needs a value", a);
            if (a[2] == 'c')
                conf = in->argv[++i];
            else if (!add_set(s, in->argv[++i], err))
                return false;
        } else if (strncmp(a, "--conf=", 7) == 0) {
            conf = a + 7;
        } else if (strncmp(a, "--set=", 6) == 0) {
            if (!add_set(s, a + 6, err))
                return false;
        } else if (strcmp(a, "--probe") == 0) {
            s->mode = SETTINGS_PROBE;
        } else if (strcmp(a, "--help") == 0) {
            s->mode = SETTINGS_HELP;
            return true;
        } else if (strcmp(a, "--version") == 0) {
            s->mode = SETTINGS_VERSION;
            return true;
        } else {
            break;
        }
    }
    if (conf && !*conf)
        return entry_reject(err, EX_USAGE, "--conf needs a directory");

    const char *first = i < in->argc ? in->argv[i] : NULL;
    if (s->mode == SETTINGS_PROBE) {
        if (first)
            return entry_reject(err, EX_USAGE, "--probe takes no arguments (got '%s')", first);
        if (s->n_sets || s->dry_run)
            return entry_reject(err, EX_USAGE,
                        "--probe cannot be combined with --set or --dry-run");
    } else if (first == NULL || first[0] == '-') {
        if (first && strcmp(first, "--") == 0) {
            if (i + 1 >= in->argc)
                return entry_reject(err, EX_USAGE, "-- must be followed by a command");
            s->mode = SETTINGS_PASSTHROUGH;
            i++;
        } else if (!argv_push(s, "cassandra", err) || !argv_push(s, "-f", err)) {
            return false;
        }
    } else if (strcmp(last_component(first), "cassandra") == 0) {
        bool has_f = false;
        for (int j = i + 1; j < in->argc; j++)
            has_f = has_f || strcmp(in->argv[j], "-f") == 0;
        if (!argv_push(s, first, err) || (!has_f && !argv_push(s, "-f", err)))
            return false;
        i++;
    } else {
        bool (*is_cmd)(void *, const char *, const char *) =
            in->is_command ? in->is_command : settings_command_on_path;
        if (strchr(first, '/') || is_cmd(in->ctx, first, envfile_get(in->envp, "PATH"))) {
            s->mode = SETTINGS_PASSTHROUGH;
        } else {
            /* The seed list: the words up to the first option. */
            size_t len = 0;
            int j = i;
            for (; j < in->argc && in->argv[j][0] != '-'; j++)
                len += strlen(in->argv[j]) + 1;
            s->seed_arg = malloc(len + 1);
            if (!s->seed_arg)
                return entry_no_memory(err);
            s->seed_arg[0] = '\0';
            for (int k = i; k < j; k++) {
                if (k > i)
                    strcat(s->seed_arg, ",");
                strcat(s->seed_arg, in->argv[k]);
            }
            i = j;
            if (!argv_push(s, "cassandra", err) || !argv_push(s, "-f", err))
                return false;
        }
    }
    for (; i < in->argc; i++)
        if (!argv_push(s, in->argv[i], err))
            return false;

    if (s->mode == SETTINGS_PASSTHROUGH) {
        if (s->n_sets)
            return entry_reject(err, EX_USAGE,
                        "--set has no effect on '%s': only cassandra is configured", s->argv[0]);
        return true;
    }
    if (conf)
        return text_dup_into(&s->conf_dir, conf, err);
    char *value;
    bool from_file;
    if (!envfile_read(in, variables_table[V_CONF].name, &value, &from_file, err))
        return false;
    if (value) {
        s->conf_dir = value;
        return true;
    }
    return text_dup_into(&s->conf_dir, variables_table[V_CONF].default_value, err);
}
