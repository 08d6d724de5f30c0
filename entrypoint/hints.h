/*
 * hints: the warning for a CASSANDRA_* variable that nothing reads (a typo
 * such as CASSANDRA_SEED, or another image's variable), with the closest
 * known name: "did you mean ...?".  A warning, never an error: an unknown
 * variable changes nothing.  Known and silent: variables.h's table and its
 * _FILE forms, CASSANDRA_CFG_YAML_*, the names Cassandra's own scripts and
 * the official image read, and what Kubernetes services and Docker links set
 * for a peer named "cassandra".
 */
#ifndef ENTRYPOINT_HINTS_H
#define ENTRYPOINT_HINTS_H

#include <stdbool.h>
#include <stddef.h>

/* Levenshtein distance of a and b, capped: anything above `cap` is cap + 1
 * (names longer than 63 bytes are always cap + 1). */
size_t hints_edit_distance(const char *a, const char *b, size_t cap);

/* For one environment entry "NAME=value": true with the warning line in
 * `line` when NAME is a CASSANDRA_* name nothing reads; false otherwise. */
bool hints_unknown_variable(const char *entry, char *line, size_t len);

#endif
