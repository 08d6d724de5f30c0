/*
 * provision/replication: the keyspaces' replication factors, as
 * `nodetool describecluster` lists them (Cassandra 4.0 and later), so that a
 * node is never decommissioned out from under a keyspace that needs it.
 *
 * The section it reads looks like this (one line a keyspace, tab-indented):
 *
 *   Keyspaces:
 *           system_auth -> Replication class: SimpleStrategy {replication_factor=1}
 *           ledger -> Replication class: NetworkTopologyStrategy {datacenter1=3}
 *           system -> Replication class: LocalStrategy {}
 *
 * SimpleStrategy's factor holds in every data centre; NetworkTopologyStrategy
 * names each; LocalStrategy (and any class without a factor) keeps its data
 * on each node and never needs another.  A transient factor ("3/1") counts
 * its full replicas and transient ones alike: its first number.
 */
#ifndef PROVISION_REPLICATION_H
#define PROVISION_REPLICATION_H

#include <stddef.h>

/* Of the keyspaces in `text`, the one with the largest replication factor in
 * data centre `dc`: its name into keyspace (room for kslen) and the factor
 * into *rf (0 and "" when no keyspace replicates there).  Returns 0; 1 when
 * the text has no "Keyspaces:" section (Cassandra before 4.0, or not
 * describecluster's output); -1 for a keyspace line that can't be read, with
 * its line number and text in `why`. */
int replication_max(const char *text, const char *dc, char *keyspace, size_t kslen, unsigned *rf,
                    char *why, size_t whylen);

#endif
