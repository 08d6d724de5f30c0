/*
 * cmdline: cass-entry's command line -> its mode, its own options and the
 * command to run (step 1 of settings.h; settings_resolve is step 2).
 *
 *   cass-entry [OPTIONS] [SEEDS...] [CASSANDRA-ARGS...]
 *   cass-entry [OPTIONS] cassandra [ARGS...]
 *   cass-entry [OPTIONS] -- COMMAND [ARGS...]
 *   cass-entry [OPTIONS] COMMAND [ARGS...]
 * Leading words that are cass-entry's own options are taken first: --dry-run,
 * --conf DIR (or --conf=DIR), --set PATH=VALUE (or --set=PATH=VALUE,
 * repeatable), --probe, --help, --version.  The first word that is not one of
 * them decides the mode:
 *   - nothing left, or a word starting with '-': configure, then run
 *     `cassandra -f WORDS...` (the official image's rule; an unknown option such
 *     as -R goes to Cassandra);
 *   - a word whose last path component is "cassandra": configure, then run that
 *     command with its arguments, adding -f when they lack it;
 *   - "--": run what follows untouched, no configuration;
 *   - a word containing '/', or naming an executable found on PATH (the
 *     is_command callback): run it untouched, no configuration;
 *   - anything else is the seed list (the original start.sh's usage,
 *     `cass-entry cass1`): every word up to the first one starting with '-' is
 *     part of it (each may itself be a comma-separated list), and the rest are
 *     arguments for `cassandra -f`.  So a seed is told from a command by not
 *     being an executable on PATH; a seed host that happens to be named like a
 *     command (a host called "bash", or "cassandra") must be given through
 *     CASSANDRA_SEEDS.
 *
 * Reads PATH and CASSANDRA_CONF from the settings_input's envp; the only I/O
 * is the is_command callback.  A malformed option is EX_USAGE.
 */
#ifndef ENTRYPOINT_CMDLINE_H
#define ENTRYPOINT_CMDLINE_H

#include <stdbool.h>

#include "entrypoint/error.h"
#include "entrypoint/settings.h"

/* Step 1: the options, the mode and the command to run (reads PATH and
 * CASSANDRA_CONF from in->envp).  Passthrough, help and version need nothing
 * more.  s comes from settings_init; settings_free releases what it holds. */
bool settings_parse_command_line(const settings_input *in, settings *s, entry_error *err);

/* The '=' that ends PATH in a --set word "PATH=VALUE": the first one outside
 * brackets and quotes, since a path may hold seq[name=value] or "a=b".  NULL
 * when there is none. */
char *cmdline_set_split(char *word);

/* The real is_command of settings_input: is `name` (no '/') an executable
 * regular file in a directory of path_env (PATH's value; NULL: /bin:/usr/bin)? */
bool settings_command_on_path(void *ctx, const char *name, const char *path_env);

#endif
