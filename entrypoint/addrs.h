/*
 * addrs: the facts about this container's addresses, and the choice of the
 * address Cassandra should listen on.
 *
 * The facts are a plain struct (addrs_facts) with fixed-size arrays, so a test
 * can fill one by hand with addrs_facts_add_iface() / addrs_facts_add_host()
 * instead of reading the machine.  addrs_facts_load() fills it from the real
 * system: the host name (gethostname), the addresses that name has in
 * <etc_dir>/hosts, and every interface address (getifaddrs).  The /etc
 * directory is a parameter so tests point it at a fake tree.
 *
 * Nothing here keeps state or allocates: every function works on the caller's
 * structs.
 */
#ifndef ENTRYPOINT_ADDRS_H
#define ENTRYPOINT_ADDRS_H

#include <stdbool.h>
#include <stddef.h>

#include "entrypoint/error.h"

struct ifaddrs;

/* Sizes of the fixed arrays.  A container has a handful of addresses; a host
 * with more than ADDRS_MAX_IFACES keeps the first ones (in getifaddrs order),
 * which is also the order the choice below prefers. */
#define ADDRS_MAX_IFACES 64
#define ADDRS_MAX_HOSTS  16
#define ADDRS_NAME_MAX   64   /* interface names are at most 15 bytes on Linux */
#define ADDRS_HOST_MAX   256  /* a host name, as gethostname can return it */
#define ADDRS_TEXT_MAX   46   /* INET6_ADDRSTRLEN */

/* An IPv4 or IPv6 address in network byte order.  family is AF_INET (4 bytes
 * used) or AF_INET6 (16 bytes used). */
typedef struct {
    int family;
    unsigned char bytes[16];
} addrs_ip;

/* A network: an address and a prefix length (0..32 or 0..128). */
typedef struct {
    addrs_ip net;
    unsigned prefix;
} addrs_cidr;

/* One address of one interface. */
typedef struct {
    char name[ADDRS_NAME_MAX]; /* "eth0" */
    addrs_ip ip;
    bool up;                   /* IFF_UP and IFF_RUNNING: administratively up and
                                  with a carrier (an idle docker0 bridge is not) */
    bool loopback;             /* IFF_LOOPBACK, or a loopback address */
    bool link_local;           /* 169.254.0.0/16 or fe80::/10 */
} addrs_iface;

/* Everything the address choice needs to know about this container. */
typedef struct {
    char hostname[ADDRS_HOST_MAX];
    addrs_ip hosts[ADDRS_MAX_HOSTS];   /* what <etc>/hosts maps hostname to, file order */
    size_t n_hosts;
    addrs_iface ifaces[ADDRS_MAX_IFACES];
    size_t n_ifaces;
} addrs_facts;

/* ---- addresses and networks (pure) ---- */

/* Parse a numeric IPv4 or IPv6 address ("10.0.0.1", "fd00::2").  A scope
 * ("fe80::1%eth0") or brackets are not accepted: callers strip brackets where
 * their syntax has them.  Returns true on success. */
bool addrs_ip_parse(const char *text, addrs_ip *out);

/* The canonical text of an address (inet_ntop); buf holds ADDRS_TEXT_MAX. */
const char *addrs_ip_text(const addrs_ip *ip, char *buf, size_t len);

bool addrs_ip_equal(const addrs_ip *a, const addrs_ip *b);
bool addrs_ip_is_wildcard(const addrs_ip *ip);   /* 0.0.0.0 or :: */
bool addrs_ip_is_loopback(const addrs_ip *ip);   /* 127.0.0.0/8 or ::1 */
bool addrs_ip_is_link_local(const addrs_ip *ip); /* 169.254.0.0/16 or fe80::/10 */

/* Parse "10.1.0.0/16" or "fd00:1::/64".  Host bits below the prefix are
 * accepted and ignored ("10.1.2.3/16" is 10.1.0.0/16), as ip(8) does.
 * A bare address is a /32 or /128.  On failure fills err and returns false. */
bool addrs_cidr_parse(const char *text, addrs_cidr *out, entry_error *err);

/* True when ip is inside net (never across families). */
bool addrs_cidr_contains(const addrs_cidr *net, const addrs_ip *ip);

/* ---- the facts ---- */

void addrs_facts_init(addrs_facts *facts);

/* Append one interface address given as text; loopback and link_local are
 * derived from the address (loopback also when is_loopback_iface).
 * False when the text is not an address or the array is full. */
bool addrs_facts_add_iface(addrs_facts *facts, const char *name, const char *address,
                           bool up, bool is_loopback_iface);

/* Append an address to facts->hosts (false when not an address or full). */
bool addrs_facts_add_host(addrs_facts *facts, const char *address);

/* Append the IPv4/IPv6 entries of a getifaddrs list (other families and
 * entries without an address are skipped).  Separate from the system call so
 * tests can hand it a list they built. */
void addrs_facts_add_ifaddrs(addrs_facts *facts, const struct ifaddrs *list);

/* Read <etc_dir>/hosts and append to facts->hosts every address of a line
 * that names facts->hostname (canonical name or alias, case-insensitive).
 * A missing hosts file is not an error (nothing is added); an unreadable one
 * is.  Comments (#) and malformed lines are skipped. */
bool addrs_facts_read_hosts(addrs_facts *facts, const char *etc_dir, entry_error *err);

/* The whole set from the real system: gethostname, <etc_dir>/hosts ("/etc" in
 * production), getifaddrs.  False with err filled when a system call fails. */
bool addrs_facts_load(addrs_facts *facts, const char *etc_dir, entry_error *err);

/* True when ip is one of this node's interface addresses (up or not). */
bool addrs_is_own(const addrs_facts *facts, const addrs_ip *ip);

/* True when the node has an interface of that name (with an address). */
bool addrs_has_iface(const addrs_facts *facts, const char *name);

/* The address to use for an interface name: its first IPv4, else its first
 * IPv6 that is not link-local, else its first address.  False when the node
 * has no interface of that name. */
bool addrs_iface_address(const addrs_facts *facts, const char *name, addrs_ip *out);

/* ---- the choice behind "auto" ---- */

/* Choose this container's address, in this order:
 *   1. subnet given: the first address of an up interface inside it; if there
 *      is none, fail (never fall back to another network: on an overlay the
 *      other address, docker_gwbridge's, only works locally);
 *   2. the first address /etc/hosts gives the host name that is one of this
 *      node's interface addresses and is not loopback or link-local (a stale
 *      or 127.0.1.1 entry is passed over);
 *   3. the first IPv4 of an up interface that is not loopback or link-local;
 *   4. the first IPv6 of an up interface that is not loopback, link-local or
 *      multicast (global scope in the kernel's sense, which includes ULA
 *      fc00::/7: Docker's IPv6 networks usually use it).
 * On success *why (optional) points to a short static phrase saying which rule
 * chose ("in CASSANDRA_LISTEN_SUBNET", "the host name's /etc/hosts entry", ...)
 * and *iface_name (optional) to the chosen interface's name. */
bool addrs_choose(const addrs_facts *facts, const addrs_cidr *subnet, addrs_ip *out,
                  const char **why, const char **iface_name, entry_error *err);

/* Resolve a host name with getaddrinfo; up to max addresses in the resolver's
 * order.  Returns the count, 0 when the name does not resolve.  This is the
 * real implementation of the resolver settings.h takes as a parameter; ctx is
 * unused. */
size_t addrs_resolve(void *ctx, const char *name, addrs_ip *out, size_t max);

#endif
