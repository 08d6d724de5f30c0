/* provision/replication: replication factors from describecluster (see replication.h). */
#include "provision/replication.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The factor of one "k=v" option for data centre dc: true with *rf set when
 * the option names dc (or is SimpleStrategy's replication_factor). */
static bool option_factor(const char *opt, size_t len, const char *dc, unsigned *rf, bool *bad)
{
    const char *eq = memchr(opt, '=', len);
    if (!eq)
        return false;
    size_t klen = (size_t)(eq - opt);
    bool ours = (klen == strlen("replication_factor") && !memcmp(opt, "replication_factor", klen)) ||
                (klen == strlen(dc) && !memcmp(opt, dc, klen));
    if (!ours)
        return false;
    const char *v = eq + 1, *end = opt + len;
    unsigned n = 0;
    if (v >= end || !isdigit((unsigned char)*v)) {
        *bad = true;
        return false;
    }
    for (; v < end && isdigit((unsigned char)*v) && n < 100000; v++)
        n = n * 10 + (unsigned)(*v - '0');
    *rf = n;
    return true;
}

/* One keyspace line: its name and its factor in dc (0: none there). */
static bool parse_keyspace(const char *line, size_t len, const char *dc, char *name, size_t namelen,
                           unsigned *rf)
{
    const char *arrow = NULL;
    for (size_t i = 0; i + 4 <= len && !arrow; i++)
        if (!memcmp(line + i, " -> ", 4))
            arrow = line + i;
    const char *open = memchr(line, '{', len);
    const char *close = open ? memchr(open, '}', len - (size_t)(open - line)) : NULL;
    if (!arrow || !open || !close || open < arrow)
        return false;
    const char *start = line;
    while (start < arrow && isspace((unsigned char)*start))
        start++;
    if (start == arrow)
        return false;
    snprintf(name, namelen, "%.*s", (int)(arrow - start), start);
    *rf = 0;
    bool bad = false;
    for (const char *opt = open + 1; opt < close;) {
        while (opt < close && (*opt == ' ' || *opt == ','))
            opt++;
        if (opt >= close)
            break;
        const char *comma = memchr(opt, ',', (size_t)(close - opt));
        const char *end = comma ? comma : close;
        unsigned f;
        if (end > opt && option_factor(opt, (size_t)(end - opt), dc, &f, &bad) && f > *rf)
            *rf = f;
        opt = end;
    }
    return !bad;
}

int replication_max(const char *text, const char *dc, char *keyspace, size_t kslen, unsigned *rf,
                    char *why, size_t whylen)
{
    *rf = 0;
    if (kslen)
        keyspace[0] = '\0';
    bool in_section = false, seen = false;
    unsigned lineno = 0;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        lineno++;
        if (len && line[len - 1] == '\r')
            len--;
        const char *first = line;
        while (first < line + len && isspace((unsigned char)*first))
            first++;
        if (!in_section) {
            if (first == line && len >= 10 && !strncmp(line, "Keyspaces:", 10)) {
                in_section = seen = true;
            }
        } else if (first == line + len || first == line) {
            in_section = false; /* a blank line or the next section */
        } else {
            char name[128];
            unsigned f;
            if (!parse_keyspace(line, len, dc, name, sizeof name, &f)) {
                snprintf(why, whylen, "nodetool describecluster, line %u: not a keyspace's "
                         "replication: '%.*s'", lineno, (int)(len > 200 ? 200 : len), line);
                return -1;
            }
            /* on a tie, a user's keyspace names the limit better than a system one */
            bool user = strncmp(name, "system", 6) != 0, was_user = strncmp(keyspace, "system", 6) != 0;
            if (f > *rf || (f && f == *rf && user && !was_user)) {
                *rf = f;
                snprintf(keyspace, kslen, "%s", name);
            }
        }
        line = nl ? nl + 1 : line + len;
        if (!nl)
            break;
    }
    return seen ? 0 : 1;
}
