/*
 * ring: the output of `nodetool status`, parsed, checked and printed.
 *
 * The provisioner gates each node's start on the ring as Cassandra itself
 * reports it, and ends by printing the ring, so it needs nodetool's table as
 * data.  The text looks like this (Cassandra 2.1 to 5.0; several
 * "Datacenter:" blocks in a multi-DC cluster):
 *
 *   Datacenter: datacenter1
 *   =======================
 *   Status=Up/Down
 *   |/ State=Normal/Leaving/Joining/Moving
 *   --  Address     Load        Tokens  Owns (effective)  Host ID      Rack
 *   UN  172.18.0.2  104.3 KiB   16      64.7%             6f6e...      rack1
 *
 * A node row starts with its status (U up, D down, ? unknown) and state (N
 * normal, J joining, L leaving, M moving), whitespace, then the address.
 * The other columns cannot be split on whitespace from the left: Load holds a
 * space ("104.3 KiB") or is "?", so they are taken from the RIGHT, in the
 * order the header line names them.  With vnodes the header says "Tokens"
 * (a count): Load, Tokens, Owns, Host ID, Rack.  With one token per node,
 * nodetool prints "Token" (the token itself) after Host ID instead: Load,
 * Owns, Host ID, Token, Rack.  Owns is "33.3%" or "?" (when the keyspaces'
 * replication differs, the effective ownership is undefined).  Rack names
 * with spaces are not supported (the last word is the rack).
 *
 * Every other line (banners, notes, warnings the JVM prints) is skipped; a
 * line that looks like a row (status and state letters, then a blank) but
 * lacks columns is an error naming its line number, so a format change is
 * noticed instead of silently read as "no nodes".
 */
#ifndef CASS_PROVISION_RING_H
#define CASS_PROVISION_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ring_node {
    char status;        /* 'U', 'D' or '?' */
    char state;         /* 'N', 'J', 'L' or 'M' */
    char address[64];   /* as printed: 172.18.0.2, fd00::2, or host:port with -pp */
    char load[32];      /* "104.3 KiB", "?" */
    char tokens[32];    /* the count ("16"), or the token itself (one-token rings) */
    char owns[16];      /* "64.7%" or "?" */
    char host_id[48];
    char rack[64];
    char dc[64];        /* from the "Datacenter:" line above the row */
    char name[64];      /* not from nodetool: the caller's name for the node
                           (ring_name), "" until set; printed by ring_print */
};

struct ring {
    struct ring_node *nodes; /* in nodetool's order */
    size_t count;
};

/*
 * Parse nodetool status output.  On success *out owns an array (release it
 * with ring_free; an output with no rows gives count 0) and 0 is returned.
 * On error -1 with "line N: ..." in err, *out left empty.
 */
int ring_parse(const char *text, struct ring *out, char *err, size_t errlen);
void ring_free(struct ring *r);

/* The row whose address is `address` (a ":port" suffix on the row is
 * ignored), or NULL. */
const struct ring_node *ring_find(const struct ring *r, const char *address);

/* Give the row with `address` a display name (the container's name).
 * Returns false when no row has that address. */
bool ring_name(struct ring *r, const char *address, const char *name);

/*
 * The readiness gate: true when each of addresses[0..n-1] is in the ring as
 * UN and no row at all is joining, leaving or moving (a node must not start
 * while another still moves ranges: consistent range movement).  A row that
 * is down and not among `addresses` blocks too, unless others_may_be_down:
 * a node about to BOOTSTRAP needs every owner of its ranges up, while nodes
 * restarting from their data may see peers that are not started yet as DN.
 * When false, `why` (may be NULL) gets a short reason for progress lines and
 * timeout messages, e.g. "172.18.0.4 not in the ring; 172.18.0.3 is UJ".
 */
bool ring_ready(const struct ring *r, const char *const *addresses, size_t n,
                bool others_may_be_down, char *why, size_t whylen);

/* Order the rows for people: by data centre (in order of first appearance),
 * then named rows by name with numbers compared as numbers (cass2 before
 * cass10), then unnamed rows in nodetool's order. */
void ring_sort(struct ring *r);

/* The table printed at the end of `up` and by `status`: one line per node
 * with its data centre, name (when set), address, status/state, load, tokens,
 * ownership, host id and rack, columns aligned. */
void ring_print(FILE *f, const struct ring *r);

/* The same table with a "Host" column after "Node": hosts[i] for row i
 * (the swarm node that runs it, "-" when unknown).  hosts NULL: ring_print. */
void ring_print_hosts(FILE *f, const struct ring *r, const char *const *hosts);

#endif
