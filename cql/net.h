/*
 * cql/net: a TCP connection to a node under one deadline (CLOCK_MONOTONIC
 * milliseconds from cql_now_ms): connect, send all, receive exactly, read one
 * frame.  Non-blocking sockets and poll, so no call waits past the deadline;
 * name resolution runs before the clock and is not bounded by it.
 */
#ifndef CQL_NET_H
#define CQL_NET_H

#include "cql/wire.h"

#include <stddef.h>
#include <stdint.h>

int64_t cql_now_ms(void);

/* Connect to host:port (a numeric IPv4 or IPv6 address, with or without
 * brackets, or a name whose addresses are tried in turn while they refuse).
 * On success *fd is the socket and addr (cap bytes) its printable address. */
cql_status cql_net_connect(const char *host, unsigned port, int64_t deadline, int *fd,
                           char *addr, size_t cap, cql_error *err);

/* Wait until fd is ready for `events` (POLLIN, POLLOUT) or the deadline
 * passes (CQL_ERR_TIMEOUT "ADDR: timed out WHAT"). */
cql_status cql_net_wait(int fd, short events, int64_t deadline, const char *what,
                        const char *addr, cql_error *err);

cql_status cql_net_send(int fd, const unsigned char *buf, size_t len, int64_t deadline,
                        const char *addr, cql_error *err);
cql_status cql_net_recv(int fd, unsigned char *buf, size_t len, int64_t deadline,
                        const char *addr, cql_error *err);

#endif
