/* seeds: parsing a seed list.  See seeds.h. */
#include "entrypoint/seeds.h"

#include "entrypoint/addrs.h"
#include "entrypoint/textutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static bool seed_entry(const char *origin, char *entry, settings_seed *seed, entry_error *err)
{
    char *host = entry, *port = NULL;
    memset(seed, 0, sizeof *seed);
    if (entry[0] == '[') {
        char *close = strchr(entry, ']');
        if (!close)
            return entry_reject(err, EX_CONFIG, "%s: seed '%s': missing ']'", origin, entry);
        *close = '\0';
        host = entry + 1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return entry_reject(err, EX_CONFIG, "%s: seed '%s]%s': expected [v6address]:port",
                        origin, entry, close + 1);
        addrs_ip ip;
        if (!addrs_ip_parse(host, &ip) || ip.family != AF_INET6)
            return entry_reject(err, EX_CONFIG, "%s: seed '[%s]': not an IPv6 address", origin,
                        host);
        seed->is_ip = true;
    } else {
        char *colon = strchr(entry, ':');
        if (colon && strchr(colon + 1, ':')) {
            addrs_ip ip; /* two colons or more: a bare IPv6 address, no port */
            if (!addrs_ip_parse(entry, &ip))
                return entry_reject(err, EX_CONFIG,
                            "%s: seed '%s': not an IPv6 address (write [address]:port for a port)",
                            origin, entry);
            seed->is_ip = true;
        } else {
            if (colon) {
                *colon = '\0';
                port = colon + 1;
            }
            addrs_ip ip;
            seed->is_ip = addrs_ip_parse(host, &ip);
            if (!seed->is_ip && !text_valid_hostname(host))
                return entry_reject(err, EX_CONFIG,
                            "%s: seed '%s': not a host name or an IP address", origin, host);
        }
    }
    if (port) {
        unsigned long p;
        if (!text_parse_uint(port, 1, 65535, &p))
            return entry_reject(err, EX_CONFIG,
                        "%s: seed '%s': port '%s' is not a number from 1 to 65535", origin, host,
                        port);
        seed->port = (unsigned)p;
    }
    seed->host = strdup(host);
    return seed->host ? true : entry_no_memory(err);
}

static bool seeds_normalize(const settings_seed *seeds, size_t n, char **normalized,
                            entry_error *err)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(seeds[i].host) + 10;
    char *out = malloc(len), *p = out;
    if (!out)
        return entry_no_memory(err);
    *p = '\0';
    for (size_t i = 0; i < n; i++) {
        bool v6 = strchr(seeds[i].host, ':') != NULL;
        const char *sep = i ? "," : "";
        if (seeds[i].port && v6)
            p += sprintf(p, "%s[%s]:%u", sep, seeds[i].host, seeds[i].port);
        else if (seeds[i].port)
            p += sprintf(p, "%s%s:%u", sep, seeds[i].host, seeds[i].port);
        else
            p += sprintf(p, "%s%s", sep, seeds[i].host);
    }
    *normalized = out;
    return true;
}

bool seeds_parse(const char *list, const char *origin, settings_seed **seeds,
                          size_t *n_seeds, char **normalized, entry_error *err)
{
    *seeds = NULL;
    *n_seeds = 0;
    *normalized = NULL;
    char *copy = strdup(list);
    if (!copy)
        return entry_no_memory(err);
    bool ok = true;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*tok)
            continue; /* "a,,b" and a trailing comma: tolerated */
        if (!text_grow((void **)seeds, *n_seeds, sizeof **seeds, err)) {
            ok = false;
            break;
        }
        ok = seed_entry(origin, tok, &(*seeds)[*n_seeds], err);
        if (ok)
            (*n_seeds)++;
    }
    free(copy);
    if (ok && *n_seeds == 0)
        ok = entry_reject(err, EX_CONFIG, "%s: the seed list is empty", origin);
    if (ok)
        ok = seeds_normalize(*seeds, *n_seeds, normalized, err);
    if (!ok) {
        seeds_free(*seeds, *n_seeds);
        *seeds = NULL;
        *n_seeds = 0;
    }
    return ok;
}

void seeds_free(settings_seed *seeds, size_t n_seeds)
{
    for (size_t i = 0; i < n_seeds; i++)
        free(seeds[i].host);
    free(seeds);
}
