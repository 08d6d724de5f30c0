/*
 * hints: how far a mistyped name is from a known one, for "did you mean ...?"
 * (the settings' warning about a CASSANDRA_* variable nothing reads).
 */
#ifndef ENTRYPOINT_HINTS_H
#define ENTRYPOINT_HINTS_H

#include <stddef.h>

/* Levenshtein distance of a and b, capped: anything above `cap` is cap + 1
 * (names longer than 63 bytes are always cap + 1). */
size_t hints_edit_distance(const char *a, const char *b, size_t cap);

#endif
