/*
 * addrchain: the address part of settings_resolve (settings.h, "Addresses and
 * the default chain"): listen_address (or listen_interface) -> broadcast_address
 * -> broadcast_rpc_address -> seeds, and rpc_address (or rpc_interface).  Each
 * value is classified (auto, an IP address, an interface of this node, a host
 * name), checked against this node's addresses (r->in->facts; names through
 * r->in->resolve), and written as edits, each clearing its _address or
 * _interface twin.  The seed list is parsed into r->s->seeds.
 */
#ifndef ENTRYPOINT_ADDRCHAIN_H
#define ENTRYPOINT_ADDRCHAIN_H

#include "entrypoint/resolver.h"

#include <stdbool.h>

/* The slots must be filled (the variables, the seed argument, the
 * overrides).  false: r->err says why (EX_CONFIG, or out of memory). */
bool addrchain_resolve(resolver *r);

#endif
