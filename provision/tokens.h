/*
 * tokens: initial tokens for a brand-new cluster started all at once
 * (`cass-provision up --fresh`).
 *
 * Why: a node that bootstraps picks its tokens from the ring it sees, and two
 * nodes must never bootstrap at the same time.  A cluster whose nodes have no
 * data can skip bootstrap altogether when every node is told its tokens
 * (initial_token) and not to stream (auto_bootstrap: false), as ccm does; then
 * all nodes can start together.  The tokens must not collide and should split
 * the ring evenly, which is what this module computes.
 *
 * The Murmur3 ring is the signed 64-bit range [-2^63, 2^63).  For N nodes with
 * T tokens each there are M = N*T tokens, the k-th (k = 0..M-1) at
 *
 *     -2^63 + floor(k * 2^64 / M)
 *
 * so neighbours are floor(2^64/M) or that plus one apart (2^64 is rarely a
 * multiple of M).  Node i (0-based) takes tokens i, i+N, i+2N, ...: its tokens
 * interleave with everybody else's, so each node owns 1/N of the ring in T
 * small slices, and every node's slice is followed by the next node's.
 *
 * Pure computation: no I/O, no allocation except in tokens_format's caller's
 * buffer.
 */
#ifndef CASS_PROVISION_TOKENS_H
#define CASS_PROVISION_TOKENS_H

#include <stddef.h>
#include <stdint.h>

/* Bounds checked by tokens_node: num_tokens as Cassandra (and cass-entry)
 * accept it; nodes so that M fits comfortably in 32 bits, far beyond any
 * cluster started from one command. */
enum { TOKENS_MAX_PER_NODE = 1536, TOKENS_MAX_NODES = 1000 };

/*
 * The tokens of node `node` (0-based, < nodes) of a `nodes`-node cluster with
 * `per_node` tokens each, in ascending order, into out[0..per_node-1].
 * Returns 0, or -1 with a message in err when an argument is out of bounds
 * (nothing written to out).
 */
int tokens_node(unsigned nodes, unsigned per_node, unsigned node, int64_t *out,
                char *err, size_t errlen);

/*
 * The same tokens as initial_token wants them: decimal, comma-separated, no
 * spaces ("-9223372036854775808,-6917529027641081856,...").  Returns the length
 * written (NUL excluded), or -1 with a message in err when an argument is out
 * of bounds or buf (len bytes) is too small.  TOKENS_TEXT_MAX(per_node) bytes
 * are always enough.
 */
#define TOKENS_TEXT_MAX(per_node) ((size_t)(per_node) * 21 + 1)
int tokens_format(unsigned nodes, unsigned per_node, unsigned node, char *buf,
                  size_t len, char *err, size_t errlen);

#endif
