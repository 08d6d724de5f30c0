/* addrs: this container's addresses and the choice behind "auto".  See addrs.h. */
#include "entrypoint/addrs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t ip_len(const addrs_ip *ip)
{
    return ip->family == AF_INET ? 4 : 16;
}

bool addrs_ip_parse(const char *text, addrs_ip *out)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return false;
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, out->bytes) == 1) {
        out->family = AF_INET6;
        return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}

const char *addrs_ip_text(const addrs_ip *ip, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if (inet_ntop(ip->family, ip->bytes, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
    return buf;
}

bool addrs_ip_equal(const addrs_ip *a, const addrs_ip *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, ip_len(a)) == 0;
}

bool addrs_ip_is_wildcard(const addrs_ip *ip)
{
    static const unsigned char zero[16];
    return memcmp(ip->bytes, zero, ip_len(ip)) == 0;
}

bool addrs_ip_is_loopback(const addrs_ip *ip)
{
    static const unsigned char one[16] = {[15] = 1};
    if (ip->family == AF_INET)
        return ip->bytes[0] == 127;
    return memcmp(ip->bytes, one, 16) == 0;
}

bool addrs_ip_is_link_local(const addrs_ip *ip)
{
    if (ip->family == AF_INET)
        return ip->bytes[0] == 169 && ip->bytes[1] == 254;
    return ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80;
}

/* Multicast and IPv4-mapped IPv6 addresses are never a node's own address to
 * advertise, even when an interface lists them. */
static bool ip6_is_unusable(const addrs_ip *ip)
{
    static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
    return ip->bytes[0] == 0xff || memcmp(ip->bytes, mapped, 12) == 0;
}

bool addrs_cidr_parse(const char *text, addrs_cidr *out, entry_error *err)
{
    char buf[ADDRS_TEXT_MAX + 8];
    memset(out, 0, sizeof *out);
    if (text == NULL || strlen(text) >= sizeof buf) {
        entry_fail(err, EX_CONFIG,
                 "not a network in CIDR form (a.b.c.d/n or v6::/n)");
        return false;
    }
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (!addrs_ip_parse(buf, &out->net)) {
        entry_fail(err, EX_CONFIG,
                 "'%s' is not an IPv4 or IPv6 address (expected a.b.c.d/n or v6::/n)", buf);
        return false;
    }
    unsigned max = out->net.family == AF_INET ? 32 : 128;
    out->prefix = max;
    if (slash) {
        const char *p = slash + 1;
        char *end;
        errno = 0;
        unsigned long n = strtoul(p, &end, 10);
        if (*p < '0' || *p > '9' || *end != '\0' || errno || n > max) {
            entry_fail(err, EX_CONFIG,
                     "prefix length '%s' is not a number from 0 to %u", p, max);
            return false;
        }
        out->prefix = (unsigned)n;
    }
    return true;
}

bool addrs_cidr_contains(const addrs_cidr *net, const addrs_ip *ip)
{
    if (net->net.family != ip->family)
        return false;
    unsigned full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->net.bytes, ip->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (net->net.bytes[full] & mask) == (ip->bytes[full] & mask);
}

void addrs_facts_init(addrs_facts *facts)
{
    memset(facts, 0, sizeof *facts);
}

static bool add_iface_ip(addrs_facts *facts, const char *name, const addrs_ip *ip, bool up,
                         bool is_loopback_iface)
{
    if (facts->n_ifaces >= ADDRS_MAX_IFACES)
        return false;
    addrs_iface *ifc = &facts->ifaces[facts->n_ifaces++];
    memset(ifc, 0, sizeof *ifc);
    snprintf(ifc->name, sizeof ifc->name, "%s", name ? name : "");
    ifc->ip = *ip;
    ifc->up = up;
    ifc->loopback = is_loopback_iface || addrs_ip_is_loopback(ip);
    ifc->link_local = addrs_ip_is_link_local(ip);
    return true;
}

bool addrs_facts_add_iface(addrs_facts *facts, const char *name, const char *address, bool up,
                           bool is_loopback_iface)
{
    addrs_ip ip;
    if (!addrs_ip_parse(address, &ip))
        return false;
    return add_iface_ip(facts, name, &ip, up, is_loopback_iface);
}

bool addrs_facts_add_host(addrs_facts *facts, const char *address)
{
    addrs_ip ip;
    if (facts->n_hosts >= ADDRS_MAX_HOSTS || !addrs_ip_parse(address, &ip))
        return false;
    facts->hosts[facts->n_hosts++] = ip;
    return true;
}

void addrs_facts_add_ifaddrs(addrs_facts *facts, const struct ifaddrs *list)
{
    for (const struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (i->ifa_addr == NULL)
            continue;
        addrs_ip ip;
        memset(&ip, 0, sizeof ip);
        if (i->ifa_addr->sa_family == AF_INET) {
            const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)i->ifa_addr;
            ip.family = AF_INET;
            memcpy(ip.bytes, &sin->sin_addr, 4);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *sin6 =
                (const struct sockaddr_in6 *)(const void *)i->ifa_addr;
            ip.family = AF_INET6;
            memcpy(ip.bytes, &sin6->sin6_addr, 16);
        } else {
            continue;
        }
        add_iface_ip(facts, i->ifa_name, &ip,
                     (i->ifa_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING),
                     (i->ifa_flags & IFF_LOOPBACK) != 0);
    }
}

/* One line of a hosts file: "ADDRESS NAME [ALIAS...]  # comment".  Adds the
 * address when one of the names is the host name. */
static void hosts_line(addrs_facts *facts, char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    const char *addr = strtok_r(line, " \t\r\n", &save);
    if (addr == NULL)
        return;
    for (const char *name; (name = strtok_r(NULL, " \t\r\n", &save)) != NULL;) {
        if (strcasecmp(name, facts->hostname) == 0) {
            addrs_facts_add_host(facts, addr); /* a malformed address is skipped */
            return;
        }
    }
}

bool addrs_facts_read_hosts(addrs_facts *facts, const char *etc_dir, entry_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/hosts", etc_dir) >= (int)sizeof path) {
        entry_fail(err, EX_CONFIG, "%s/hosts: path too long", etc_dir);
        return false;
    }
    if (facts->hostname[0] == '\0')
        return true;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return true; /* no hosts file: the other rules still choose */
        entry_fail(err, entry_errno_code(errno, EX_IOERR), "%.250s: %s", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    errno = 0;
    while (getline(&line, &cap, f) != -1) {
        hosts_line(facts, line);
        errno = 0;
    }
    /* getline's -1 is the end, or a failure it says in errno */
    bool nomem = errno == ENOMEM;
    bool ok = !ferror(f) && !nomem;
    if (!ok) {
        entry_fail(err, nomem ? EX_OSERR : EX_IOERR, "%.250s: %s", path, nomem ? "out of memory" : "read error");
    }
    free(line);
    fclose(f);
    return ok;
}

bool addrs_facts_load(addrs_facts *facts, const char *etc_dir, entry_error *err)
{
    addrs_facts_init(facts);
    if (gethostname(facts->hostname, sizeof facts->hostname - 1) != 0) {
        entry_fail(err, EX_OSERR, "gethostname: %s", strerror(errno));
        return false;
    }
    facts->hostname[sizeof facts->hostname - 1] = '\0';
    if (!addrs_facts_read_hosts(facts, etc_dir, err))
        return false;
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0) {
        entry_fail(err, EX_OSERR, "getifaddrs: %s", strerror(errno));
        return false;
    }
    addrs_facts_add_ifaddrs(facts, list);
    freeifaddrs(list);
    return true;
}

static const addrs_iface *find_own(const addrs_facts *facts, const addrs_ip *ip)
{
    for (size_t i = 0; i < facts->n_ifaces; i++)
        if (addrs_ip_equal(&facts->ifaces[i].ip, ip))
            return &facts->ifaces[i];
    return NULL;
}

bool addrs_is_own(const addrs_facts *facts, const addrs_ip *ip)
{
    return find_own(facts, ip) != NULL;
}

bool addrs_has_iface(const addrs_facts *facts, const char *name)
{
    for (size_t i = 0; i < facts->n_ifaces; i++)
        if (strcmp(facts->ifaces[i].name, name) == 0)
            return true;
    return false;
}

bool addrs_iface_address(const addrs_facts *facts, const char *name, addrs_ip *out)
{
    const addrs_iface *v4 = NULL, *v6 = NULL, *any = NULL;
    for (size_t i = 0; i < facts->n_ifaces; i++) {
        const addrs_iface *ifc = &facts->ifaces[i];
        if (strcmp(ifc->name, name) != 0)
            continue;
        if (!any)
            any = ifc;
        if (ifc->ip.family == AF_INET && !v4)
            v4 = ifc;
        if (ifc->ip.family == AF_INET6 && !ifc->link_local && !v6)
            v6 = ifc;
    }
    const addrs_iface *pick = v4 ? v4 : v6 ? v6 : any;
    if (pick)
        *out = pick->ip;
    return pick != NULL;
}

static bool usable(const addrs_iface *ifc)
{
    return ifc->up && !ifc->loopback && !ifc->link_local && !addrs_ip_is_wildcard(&ifc->ip) &&
           !(ifc->ip.family == AF_INET6 && ip6_is_unusable(&ifc->ip));
}

static void chosen(const addrs_iface *ifc, addrs_ip *out, const char **why, const char *reason,
                   const char **iface_name)
{
    *out = ifc->ip;
    if (why)
        *why = reason;
    if (iface_name)
        *iface_name = ifc->name;
}

bool addrs_choose(const addrs_facts *facts, const addrs_cidr *subnet, addrs_ip *out,
                  const char **why, const char **iface_name, entry_error *err)
{
    if (subnet) {
        for (size_t i = 0; i < facts->n_ifaces; i++) {
            const addrs_iface *ifc = &facts->ifaces[i];
            if (ifc->up && addrs_cidr_contains(subnet, &ifc->ip)) {
                chosen(ifc, out, why, "the address inside the listen subnet", iface_name);
                return true;
            }
        }
        char net[ADDRS_TEXT_MAX];
        entry_fail(err, EX_CONFIG,
                 "no interface of this node that is up has an address in %s/%u",
                 addrs_ip_text(&subnet->net, net, sizeof net), subnet->prefix);
        return false;
    }
    for (size_t h = 0; h < facts->n_hosts; h++) {
        const addrs_iface *ifc = find_own(facts, &facts->hosts[h]);
        if (ifc && usable(ifc)) {
            chosen(ifc, out, why, "the host name's address in /etc/hosts", iface_name);
            return true;
        }
    }
    for (int family = AF_INET;; family = AF_INET6) {
        for (size_t i = 0; i < facts->n_ifaces; i++) {
            const addrs_iface *ifc = &facts->ifaces[i];
            if (ifc->ip.family == family && usable(ifc)) {
                chosen(ifc, out, why,
                       family == AF_INET
                           ? "the first IPv4 address of an interface that is up"
                           : "the first global IPv6 address of an interface that is up",
                       iface_name);
                return true;
            }
        }
        if (family == AF_INET6)
            break;
    }
    entry_fail(err, EX_CONFIG,
             "this node has no address to listen on (no interface that is up has a "
             "non-loopback, non-link-local address)");
    return false;
}

size_t addrs_resolve(void *ctx, const char *name, addrs_ip *out, size_t max)
{
    (void)ctx;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return 0;
    size_t n = 0;
    for (const struct addrinfo *a = res; a && n < max; a = a->ai_next) {
        memset(&out[n], 0, sizeof out[n]);
        const void *sa = a->ai_addr;
        if (a->ai_family == AF_INET) {
            out[n].family = AF_INET;
            memcpy(out[n].bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
            n++;
        } else if (a->ai_family == AF_INET6) {
            out[n].family = AF_INET6;
            memcpy(out[n].bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
            n++;
        }
    }
    freeaddrinfo(res);
    return n;
}
