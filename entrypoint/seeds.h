/*
 * seeds: a seed list as the user writes it (CASSANDRA_SEEDS, the seed-list
 * arguments, --set of the seeds path) -> the hosts and ports, and the list as
 * Cassandra should get it.  Pure: no I/O.
 */
#ifndef ENTRYPOINT_SEEDS_H
#define ENTRYPOINT_SEEDS_H

#include <stdbool.h>
#include <stddef.h>

#include "entrypoint/error.h"

/* One entry of the seed list. */
typedef struct {
    char *host;                /* host name, IPv4 or IPv6 (without brackets) */
    unsigned port;             /* 0: none given */
    bool is_ip;                /* numeric: needs no name resolution */
} settings_seed;

/* Parse a comma-separated seed list (host, host:port, [v6]:port, bare v6;
 * spaces around entries and empty entries are ignored).  *normalized is the
 * list as Cassandra should get it (bare v6 without brackets when there is no
 * port).  `origin` names the input in messages.  An empty list or a malformed
 * entry is EX_CONFIG. */
bool seeds_parse(const char *list, const char *origin, settings_seed **seeds,
                          size_t *n_seeds, char **normalized, entry_error *err);
void seeds_free(settings_seed *seeds, size_t n_seeds);

#endif
