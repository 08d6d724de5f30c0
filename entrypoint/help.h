/*
 * help: cass-entry --help and the README's table of variables, both written
 * from the settings' own table (settings_variables), so the parser, the help
 * and the documentation cannot disagree.
 */
#ifndef ENTRYPOINT_HELP_H
#define ENTRYPOINT_HELP_H

#include <stdio.h>

/* --help: usage, options and the variables. */
void help_write(FILE *out, const char *program);

/* The README's section: a Markdown table of every variable plus the
 * CASSANDRA_CFG_YAML_<KEY> and _FILE rules (make readme-vars). */
void help_write_markdown(FILE *out);

#endif
