/* tokens: evenly interleaved Murmur3 initial tokens.  See tokens.h. */
#include "provision/tokens.h"

#include <stdio.h>
#include <stdlib.h>

static int check(unsigned nodes, unsigned per_node, unsigned node, char *err, size_t errlen)
{
    if (nodes < 1 || nodes > TOKENS_MAX_NODES) {
        snprintf(err, errlen, "node count %u out of range 1..%d", nodes, TOKENS_MAX_NODES);
        return -1;
    }
    if (per_node < 1 || per_node > TOKENS_MAX_PER_NODE) {
        snprintf(err, errlen, "num_tokens %u out of range 1..%d", per_node, TOKENS_MAX_PER_NODE);
        return -1;
    }
    if (node >= nodes) {
        snprintf(err, errlen, "node index %u out of range 0..%u", node, nodes - 1);
        return -1;
    }
    return 0;
}

/*
 * The k-th of m evenly spaced tokens, without 128-bit arithmetic:
 * k * 2^64 / m = k*q + k*r/m where 2^64 = q*m + r.  k < m < 2^32 keeps k*r
 * below 2^64, and k*q + k*r/m <= k * 2^64/m < 2^64.
 */
static int64_t token_at(uint64_t k, uint64_t m)
{
    uint64_t q = UINT64_MAX / m, r = UINT64_MAX % m + 1; /* 2^64 = q*m + r */
    if (r == m) {
        q++;
        r = 0;
    }
    uint64_t offset = k * q + (k * r) / m; /* distance from -2^63, < 2^64 */
    const uint64_t half = UINT64_C(1) << 63;
    /* offset - 2^63 as a signed value, without relying on how an out-of-range
     * unsigned converts to signed. */
    if (offset >= half)
        return (int64_t)(offset - half);
    return -(int64_t)(half - 1 - offset) - 1;
}

int tokens_node(unsigned nodes, unsigned per_node, unsigned node, int64_t *out,
                char *err, size_t errlen)
{
    if (check(nodes, per_node, node, err, errlen) != 0)
        return -1;
    uint64_t m = (uint64_t)nodes * per_node;
    for (unsigned j = 0; j < per_node; j++)
        out[j] = token_at((uint64_t)node + (uint64_t)j * nodes, m);
    return 0;
}

int tokens_format(unsigned nodes, unsigned per_node, unsigned node, char *buf,
                  size_t len, char *err, size_t errlen)
{
    if (check(nodes, per_node, node, err, errlen) != 0)
        return -1;
    int64_t *t = malloc(per_node * sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    tokens_node(nodes, per_node, node, t, err, errlen);
    size_t used = 0;
    for (unsigned j = 0; j < per_node; j++) {
        int n = snprintf(buf + used, len > used ? len - used : 0, "%s%lld",
                         j ? "," : "", (long long)t[j]);
        if (n < 0 || (size_t)n >= (len > used ? len - used : 0)) {
            snprintf(err, errlen, "%u tokens do not fit in %zu bytes", per_node, len);
            free(t);
            return -1;
        }
        used += (size_t)n;
    }
    free(t);
    return (int)used;
}
