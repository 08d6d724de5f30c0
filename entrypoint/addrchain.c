/* addrchain: the addresses and the default chain of settings_resolve (see addrchain.h). */
#include "entrypoint/addrchain.h"

#include "entrypoint/textutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_RESOLVED 16 /* addresses of a host name looked at */

typedef enum { A_AUTO, A_IP, A_IFACE, A_NAME } addr_kind;

typedef struct {
    addr_kind kind;
    addrs_ip ip;              /* A_IP, and A_IFACE/A_NAME once resolved */
    const char *text;         /* the value as given (brackets removed for A_IP) */
    char buf[ADDRS_HOST_MAX]; /* storage for text when brackets were removed */
} addr_value;

static void list_addresses(const addrs_facts *f, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->n_ifaces && used + 1 < len; i++) {
        char t[ADDRS_TEXT_MAX];
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                         addrs_ip_text(&f->ifaces[i].ip, t, sizeof t));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!f->n_ifaces)
        snprintf(buf, len, "none");
}

static void list_ifaces(const addrs_facts *f, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->n_ifaces && used + 1 < len; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || strcmp(f->ifaces[j].name, f->ifaces[i].name) == 0;
        if (seen)
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", f->ifaces[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!f->n_ifaces)
        snprintf(buf, len, "none");
}

/* What an address variable holds: auto, a numeric address, an interface of
 * this node, or a host name. */
static bool classify(resolver *r, const slot *sl, const char *value, addr_value *a)
{
    memset(a, 0, sizeof *a);
    a->text = value;
    if (strcmp(value, "auto") == 0) {
        a->kind = A_AUTO;
        return true;
    }
    size_t len = strlen(value);
    if (len > 2 && value[0] == '[' && value[len - 1] == ']' && len - 2 < sizeof a->buf) {
        snprintf(a->buf, sizeof a->buf, "%.*s", (int)(len - 2), value + 1);
        if (addrs_ip_parse(a->buf, &a->ip) && a->ip.family == AF_INET6) {
            a->kind = A_IP;
            a->text = a->buf;
            return true;
        }
    }
    if (addrs_ip_parse(value, &a->ip)) {
        a->kind = A_IP;
        return true;
    }
    if (addrs_has_iface(r->in->facts, value)) {
        a->kind = A_IFACE;
        return true;
    }
    if (text_valid_hostname(value)) {
        a->kind = A_NAME;
        return true;
    }
    char ifs[256];
    list_ifaces(r->in->facts, ifs, sizeof ifs);
    return entry_reject(r->err, EX_CONFIG,
                "%s: '%s' is not auto, an IP address, a host name or an interface of this node "
                "(interfaces: %s)",
                sl->origin, resolver_shown(value, sl->secret), ifs);
}

static bool auto_address(resolver *r, const char *for_whom, addrs_ip *out)
{
    if (!r->auto_done) {
        const slot *sub = &r->slots[V_LISTEN_SUBNET];
        addrs_cidr net;
        entry_error aerr;
        if (sub->value && !addrs_cidr_parse(sub->value, &net, &aerr))
            return entry_reject(r->err, EX_CONFIG, "%s: %s", sub->origin, aerr.message);
        const char *why = NULL, *ifname = NULL;
        if (!addrs_choose(r->in->facts, sub->value ? &net : NULL, &r->auto_ip, &why, &ifname,
                          &aerr)) {
            if (sub->value)
                return entry_reject(r->err, EX_CONFIG, "%s=auto: %s (%s)", for_whom,
                            aerr.message, sub->origin);
            return entry_reject(r->err, EX_CONFIG, "%s=auto: %s", for_whom, aerr.message);
        }
        char t[ADDRS_TEXT_MAX], where[200] = "";
        if (sub->value)
            snprintf(where, sizeof where, " %s=%s", sub->origin, resolver_shown(sub->value, sub->secret));
        if (!resolver_note(r, "auto address %s: %s%s (interface %s)",
                  addrs_ip_text(&r->auto_ip, t, sizeof t), why, where, ifname ? ifname : "?"))
            return false;
        r->auto_done = true;
    }
    *out = r->auto_ip;
    return true;
}

/* A name that must be one of this node's addresses (listen, rpc): resolve it
 * and keep the first own address. */
static bool resolve_own(resolver *r, const slot *sl, addr_value *a)
{
    addrs_ip found[MAX_RESOLVED];
    size_t (*res)(void *, const char *, addrs_ip *, size_t) =
        r->in->resolve ? r->in->resolve : addrs_resolve;
    size_t n = res(r->in->ctx, a->text, found, MAX_RESOLVED);
    if (n == 0)
        return entry_reject(r->err, EX_CONFIG, "%s: host name '%s' does not resolve", sl->origin,
                    resolver_shown(a->text, sl->secret));
    for (size_t i = 0; i < n; i++) {
        if (addrs_is_own(r->in->facts, &found[i])) {
            a->ip = found[i];
            return true;
        }
    }
    char own[256], t[ADDRS_TEXT_MAX];
    list_addresses(r->in->facts, own, sizeof own);
    return entry_reject(r->err, EX_CONFIG,
                "%s: '%s' resolves to %s, which is not an address of this node (its addresses: %s)",
                sl->origin, resolver_shown(a->text, sl->secret), addrs_ip_text(&found[0], t, sizeof t), own);
}

/* listen and rpc: an address this node has (or the wildcard, for rpc), or an
 * interface.  Writes the _address or _interface edit and clears the twin.
 * *chain gets the address the default chain continues with. */
static bool local_address(resolver *r, int addr_id, int iface_id, const char *iface_path,
                          bool wildcard_ok, addrs_ip *chain, bool *chain_secret,
                          bool *is_wildcard)
{
    const slot *as = &r->slots[addr_id], *is = &r->slots[iface_id];
    const char *addr_path = variables_table[addr_id].yaml_path;
    *is_wildcard = false;
    if (as->value && is->value)
        return entry_reject(r->err, EX_CONFIG,
                    "%s sets %s and %s sets %s: Cassandra refuses both, keep one", as->origin,
                    addr_path, is->origin, iface_path);
    const slot *sl = is->value ? is : as;
    const char *value = sl->value ? sl->value : variables_table[addr_id].default_value;
    char origin[256];
    snprintf(origin, sizeof origin, "%s", sl->value ? sl->origin : variables_table[addr_id].name);
    slot shown_slot = {.value = NULL, .origin = origin, .secret = sl->secret, .override = false};
    addr_value a;
    if (!classify(r, &shown_slot, value, &a))
        return false;
    if (is->value && a.kind != A_IFACE) {
        char ifs[256];
        list_ifaces(r->in->facts, ifs, sizeof ifs);
        return entry_reject(r->err, EX_CONFIG,
                    "%s: %s '%s' is not an interface of this node (interfaces: %s)", origin,
                    iface_path, resolver_shown(value, sl->secret), ifs);
    }
    char t[ADDRS_TEXT_MAX];
    switch (a.kind) {
    case A_AUTO:
        if (!auto_address(r, variables_table[addr_id].name, &a.ip))
            return false;
        a.text = addrs_ip_text(&a.ip, a.buf, sizeof a.buf);
        break;
    case A_IP:
        if (addrs_ip_is_wildcard(&a.ip)) {
            if (!wildcard_ok)
                return entry_reject(r->err, EX_CONFIG,
                            "%s: %s is a wildcard; Cassandra needs the one address other nodes "
                            "reach this node at (leave it unset for auto)",
                            origin, resolver_shown(a.text, sl->secret));
            *is_wildcard = true;
        } else if (!addrs_is_own(r->in->facts, &a.ip)) {
            char own[256];
            list_addresses(r->in->facts, own, sizeof own);
            return entry_reject(r->err, EX_CONFIG,
                        "%s: %s is not an address of this node (its addresses: %s)", origin,
                        resolver_shown(a.text, sl->secret), own);
        }
        break;
    case A_IFACE:
        addrs_iface_address(r->in->facts, a.text, &a.ip);
        if (!resolver_note(r, "%s %s: address %s for the default chain", iface_path, a.text,
                  addrs_ip_text(&a.ip, t, sizeof t)))
            return false;
        break;
    case A_NAME:
        if (!resolve_own(r, &shown_slot, &a))
            return false;
        if (!resolver_note(r, "%s %s: resolves to %s, one of this node's addresses", addr_path,
                  resolver_shown(a.text, sl->secret), addrs_ip_text(&a.ip, t, sizeof t)))
            return false;
        break;
    }
    *chain = a.ip;
    *chain_secret = sl->secret;
    /* The edit carries the origin of the slot that gave the value. */
    char eorigin[256];
    if (sl->value)
        snprintf(eorigin, sizeof eorigin, "%s", sl->origin);
    else
        snprintf(eorigin, sizeof eorigin, "%s (default)", variables_table[addr_id].name);
    if (a.kind == A_IFACE)
        return resolver_add_edit(r, iface_path, a.text, SETTINGS_VALUE_STRING, eorigin, sl->secret, false) &&
               resolver_add_edit(r, addr_path, NULL, SETTINGS_VALUE_NULL, eorigin, false, true);
    return resolver_add_edit(r, addr_path, a.text, SETTINGS_VALUE_STRING, eorigin, sl->secret, false) &&
           resolver_add_edit(r, iface_path, NULL, SETTINGS_VALUE_NULL, eorigin, false, true);
}

/* broadcast and broadcast_rpc: any real address (they may be NAT addresses),
 * defaulting to `dflt`.  *out gets the text written, for the next link of the
 * chain. */
static bool announced_address(resolver *r, int id, const char *dflt, bool dflt_secret,
                              const char *wildcard_why, char *out, size_t outlen, bool *out_secret)
{
    const slot *sl = &r->slots[id];
    if (!sl->value) {
        /* A default taken from a secret value stays secret. */
        snprintf(out, outlen, "%s", dflt);
        *out_secret = dflt_secret;
        return resolver_add_slot_edit(r, id, out, SETTINGS_VALUE_STRING, false, dflt_secret);
    }
    addr_value a;
    if (!classify(r, sl, sl->value, &a))
        return false;
    char t[ADDRS_TEXT_MAX];
    switch (a.kind) {
    case A_AUTO:
        if (!auto_address(r, variables_table[id].name, &a.ip))
            return false;
        a.text = addrs_ip_text(&a.ip, a.buf, sizeof a.buf);
        break;
    case A_IP:
        if (addrs_ip_is_wildcard(&a.ip))
            return entry_reject(r->err, EX_CONFIG,
                        "%s: %s is a wildcard; %s", sl->origin, resolver_shown(a.text, sl->secret),
                        wildcard_why);
        break;
    case A_IFACE:
        /* Cassandra has no broadcast_interface: announce the interface's address. */
        addrs_iface_address(r->in->facts, a.text, &a.ip);
        if (!resolver_note(r, "%s %s: the address of interface %s", variables_table[id].yaml_path,
                  addrs_ip_text(&a.ip, t, sizeof t), a.text))
            return false;
        a.text = addrs_ip_text(&a.ip, a.buf, sizeof a.buf);
        break;
    case A_NAME:
        break;
    }
    snprintf(out, outlen, "%s", a.text);
    *out_secret = sl->secret;
    return resolver_add_slot_edit(r, id, out, SETTINGS_VALUE_STRING, false, false);
}

bool addrchain_resolve(resolver *r)
{
    settings *s = r->s;
    addrs_ip listen, rpc;
    bool wild, rpc_wild, secret;
    char t[ADDRS_TEXT_MAX], broadcast[ADDRS_HOST_MAX], bcast_rpc[ADDRS_HOST_MAX];

    if (!local_address(r, V_LISTEN_ADDRESS, S_LISTEN_IFACE, "listen_interface", false, &listen,
                       &secret, &wild))
        return false;
    if (!announced_address(r, V_BROADCAST_ADDRESS, addrs_ip_text(&listen, t, sizeof t), secret,
                           "other nodes need a real address to reach this node", broadcast,
                           sizeof broadcast, &secret))
        return false;
    bool bcast_secret = secret, unused;
    if (!local_address(r, V_RPC_ADDRESS, S_RPC_IFACE, "rpc_interface", true, &rpc, &unused,
                       &rpc_wild))
        return false;
    if (!announced_address(r, V_BROADCAST_RPC_ADDRESS, broadcast, bcast_secret,
                           rpc_wild ? "rpc_address is a wildcard, so broadcast_rpc_address must "
                                      "be a real address clients can reach"
                                    : "clients need a real address to reach this node",
                           bcast_rpc, sizeof bcast_rpc, &unused))
        return false;

    const slot *seeds = &r->slots[V_SEEDS];
    char *normalized = NULL;
    const char *origin = seeds->value ? seeds->origin
                                      : "CASSANDRA_SEEDS (default: the broadcast address)";
    if (!seeds_parse(seeds->value ? seeds->value : broadcast, origin, &s->seeds,
                              &s->n_seeds, &normalized, r->err))
        return false;
    bool ok = resolver_add_slot_edit(r, V_SEEDS, normalized, SETTINGS_VALUE_STRING, false,
                            !seeds->value && bcast_secret);
    free(normalized);
    if (ok && r->slots[V_LISTEN_SUBNET].value && !r->auto_done)
        ok = resolver_note(r, "%s is not used: no address variable is auto",
                  r->slots[V_LISTEN_SUBNET].origin);
    return ok;
}

