/* help: see help.h. */
#include "entrypoint/help.h"

#include <stdbool.h>
#include <string.h>

#include "entrypoint/settings.h"


static const char *default_text(const settings_variable *v)
{
    return v->default_value ? v->default_value : v->default_doc ? v->default_doc : "";
}

/* Print text from column `indent`, wrapped at word boundaries before column 79. */
static void write_wrapped(FILE *out, const char *text, int indent)
{
    int col = 0;
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " ");
        if (col > indent && col + 1 + (int)word > 78) {
            fputc('\n', out);
            col = 0;
        }
        if (col == 0) {
            col = fprintf(out, "%*s", indent, "");
        } else {
            fputc(' ', out);
            col++;
        }
        col += fprintf(out, "%.*s", (int)word, p);
        p += word;
        p += strspn(p, " ");
    }
    fputc('\n', out);
}

void help_write(FILE *out, const char *program)
{
    fprintf(out,
            "Usage: %s [OPTIONS] [SEED[,SEED...]...] [CASSANDRA-OPTIONS...]\n"
            "       %s [OPTIONS] cassandra [ARGS...]\n"
            "       %s [OPTIONS] [--] COMMAND [ARGS...]\n"
            "\n"
            "Configures Cassandra from the environment, then runs `cassandra -f`.\n"
            "A first word that is an executable on PATH (cqlsh, nodetool, bash) or a path\n"
            "runs untouched, without configuration; any other word starts the seed list.\n"
            "\n"
            "Options:\n"
            "  --dry-run          show the changes and the command; write and run nothing\n"
            "  --conf DIR         the configuration directory (default: $CASSANDRA_CONF,\n"
            "                     else /etc/cassandra)\n"
            "  --set PATH=VALUE   set any cassandra.yaml path; repeatable, VALUE is YAML,\n"
            "                     wins over every variable: --set 'seed_provider[0].x=1'\n"
            "  --probe            exit 0 when this node answers CQL on its native port,\n"
            "                     else 1\n"
            "  --help, --version\n"
            "\n"
            "Environment (every NAME can also be given as NAME_FILE, a file that holds\n"
            "the value):\n",
            program, program, program);
    size_t n;
    const settings_variable *vars = settings_variables(&n);
    for (size_t i = 0; i < n; i++) {
        const settings_variable *v = &vars[i];
        char text[512];
        fprintf(out, "  %s%s%s%s\n", v->name, v->yaml_path ? " -> " : "",
                v->yaml_path ? v->yaml_path : "", v->secret ? " [secret]" : "");
        snprintf(text, sizeof text, "%s%s%s%s", v->help,
                 v->default_value || v->default_doc ? " Default: " : "", default_text(v),
                 v->default_value || v->default_doc ? "." : "");
        write_wrapped(out, text, 6);
    }
    fprintf(out,
            "  CASSANDRA_CFG_YAML_<KEY> -> any cassandra.yaml key\n"
            "      KEY lowercased; __ separates nested keys; a number is a list index:\n"
            "      CASSANDRA_CFG_YAML_SEED_PROVIDER__0__CLASS_NAME\n"
            "        -> seed_provider[0].class_name\n"
            "\n"
            "Precedence: --set, then CASSANDRA_CFG_YAML_*, then the variables above (a\n"
            "seed list argument beats CASSANDRA_SEEDS), then the defaults.\n"
            "cass-entry's own (unusual layouts, tests; the README says more):\n"
            "  CASS_ENTRY_USER (cassandra), CASS_ENTRY_DATA_DIR (/var/lib/cassandra),\n"
            "  CASS_ENTRY_LOG_DIR (/var/log/cassandra), CASS_ENTRY_RUNTIME_DIR\n"
            "  (/tmp/cass-entry/conf), CASS_ENTRY_STATE_DIR, CASS_ENTRY_INITDB_DIR,\n"
            "  CASS_ENTRY_FIRST_BOOT_JVM_OPTS, CASS_ENTRY_PROBE_TIMEOUT_MS, CASS_ENTRY_ROOT.\n"
            "Exit status: 64 bad usage, 78 bad configuration (nothing written), otherwise\n"
            "that of the command run.\n");
}

/* A table cell: '|' would end it. */
static void md_cell(FILE *out, const char *text, bool code)
{
    fputs(code && *text ? "`" : "", out);
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            fputs("\\|", out);
        else
            fputc(*p, out);
    }
    fputs(code && *text ? "`" : "", out);
}

void help_write_markdown(FILE *out)
{
    size_t n;
    const settings_variable *vars = settings_variables(&n);
    fputs("| Variable | Default | cassandra.yaml | Meaning |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < n; i++) {
        const settings_variable *v = &vars[i];
        fputs("| ", out);
        md_cell(out, v->name, true);
        fputs(" | ", out);
        md_cell(out, default_text(v), v->default_value != NULL);
        fputs(" | ", out);
        md_cell(out, v->yaml_path ? v->yaml_path : "", true);
        fputs(" | ", out);
        md_cell(out, v->help, false);
        fputs(v->secret ? " (secret: never shown)" : "", out);
        fputs(" |\n", out);
    }
    fputs("| `CASSANDRA_CFG_YAML_<KEY>` |  | `<key>` | Any cassandra.yaml key: KEY lowercased, "
          "`__` separates nested keys, a number is a list index "
          "(`CASSANDRA_CFG_YAML_SEED_PROVIDER__0__CLASS_NAME` -> `seed_provider[0].class_name`). "
          "The value is YAML. |\n",
          out);
    fputs("\nEvery variable `NAME` can also be given as `NAME_FILE`, the path of a file holding "
          "the value (Docker secrets); one trailing newline is removed, the value is never shown, "
          "and setting both is an error. An empty variable counts as unset. `--set PATH=VALUE` "
          "wins over `CASSANDRA_CFG_YAML_*`, which win over the named variables; a seed list "
          "given as arguments wins over `CASSANDRA_SEEDS`.\n",
          out);
}
