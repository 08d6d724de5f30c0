/* hints: see hints.h. */
#include "entrypoint/hints.h"

#include "entrypoint/variables.h"

#include <stdio.h>
#include <string.h>

size_t hints_edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > cap ? cap + 1 : row[lb];
}

/* CASSANDRA_* names read by someone other than cass-entry: Cassandra's own
 * scripts (bin/cassandra, cassandra.in.sh, cassandra-env.sh of every release
 * line) and the official image's Dockerfile.  Not typos. */
static const char *const FOREIGN_VARS[] = {
    "CASSANDRA_HOME",     "CASSANDRA_INCLUDE",          "CASSANDRA_LOG_DIR",
    "CASSANDRA_HEAPDUMP_DIR", "CASSANDRA_LIBJEMALLOC",  "CASSANDRA_JDK_UNSUPPORTED",
    "CASSANDRA_USE_JDK11", "CASSANDRA_VERSION",         "CASSANDRA_SHA512",
    "CASSANDRA_GPG_KEYS",
    /* image/fetch-cassandra.sh's, when the build's environment is passed on */
    "CASSANDRA_ROUTES", "CASSANDRA_MIRROR", NULL};

/* What the platform sets for a peer named "cassandra": Kubernetes service
 * variables (CASSANDRA_SERVICE_HOST, CASSANDRA_PORT_9042_TCP_ADDR...) and
 * legacy Docker links (CASSANDRA_NAME, CASSANDRA_ENV_*, CASSANDRA_PORT_*). */
static const char *const SERVICE_LINK_PREFIXES[] = {"CASSANDRA_SERVICE_", "CASSANDRA_PORT",
                                                    "CASSANDRA_NAME", "CASSANDRA_ENV_", NULL};

/* Is NAME (without "=value") one cass-entry or Cassandra reads? */
static bool known_variable(const char *name, size_t len)
{
    if (len >= strlen(VARIABLES_CFG_PREFIX) && strncmp(name, VARIABLES_CFG_PREFIX, strlen(VARIABLES_CFG_PREFIX)) == 0)
        return true;
    for (int id = 0; id < V_COUNT; id++) {
        size_t n = strlen(variables_table[id].name);
        if (len >= n && strncmp(name, variables_table[id].name, n) == 0 &&
            (len == n || (len == n + 5 && strncmp(name + n, "_FILE", 5) == 0)))
            return true;
    }
    for (const char *const *f = FOREIGN_VARS; *f; f++)
        if (strlen(*f) == len && strncmp(name, *f, len) == 0)
            return true;
    for (const char *const *f = SERVICE_LINK_PREFIXES; *f; f++)
        if (len >= strlen(*f) && strncmp(name, *f, strlen(*f)) == 0)
            return true;
    return false;
}

bool hints_unknown_variable(const char *entry, char *line, size_t len)
{
    const char *eq = strchr(entry, '=');
    size_t n = eq ? (size_t)(eq - entry) : strlen(entry);
    if (n < 10 || strncmp(entry, "CASSANDRA_", 10) != 0 || known_variable(entry, n))
        return false;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), entry);
    const char *closest = NULL;
    size_t best = 3;
    for (int id = 0; id < V_COUNT; id++) {
        size_t d = hints_edit_distance(name, variables_table[id].name, 2);
        if (d < best) {
            best = d;
            closest = variables_table[id].name;
        }
    }
    char hint[160] = "";
    if (closest)
        snprintf(hint, sizeof hint, " (did you mean %s?)", closest);
    snprintf(line, len, "warning: %s is set but neither cass-entry nor Cassandra reads it%s", name, hint);
    return true;
}
