/* cql/net: see net.h. */
#include "cql/net.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t cql_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cql_status cql_net_wait(int fd, short events, int64_t deadline, const char *what,
                        const char *addr, cql_error *err)
{
    for (;;) {
        int64_t left = deadline - cql_now_ms();
        if (left <= 0)
            return cql_fail(err, CQL_ERR_TIMEOUT, "%s: timed out %s", addr, what);
        struct pollfd p = { .fd = fd, .events = events };
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return CQL_OK;  /* readable, writable, or an error the next call reports */
        if (n < 0 && errno != EINTR)
            return cql_fail(err, CQL_ERR_IO, "%s: poll: %s", addr, strerror(errno));
    }
}

static cql_status connect_error(int e, const char *addr, cql_error *err)
{
    if (e == ETIMEDOUT)
        return cql_fail(err, CQL_ERR_TIMEOUT, "%s: connect: %s", addr, strerror(e));
    return cql_fail(err, CQL_ERR_CONNECT, "%s: connect: %s", addr, strerror(e));
}

static cql_status connect_by(int fd, const struct addrinfo *ai, int64_t deadline,
                             const char *addr, cql_error *err)
{
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return CQL_OK;
    if (errno != EINPROGRESS && errno != EINTR)
        return connect_error(errno, addr, err);
    cql_status st = cql_net_wait(fd, POLLOUT, deadline, "connecting", addr, err);
    if (st != CQL_OK)
        return st;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return cql_fail(err, CQL_ERR_IO, "%s: getsockopt: %s", addr, strerror(errno));
    return soerr ? connect_error(soerr, addr, err) : CQL_OK;
}

cql_status cql_net_send(int fd, const unsigned char *buf, size_t len, int64_t deadline,
                        const char *addr, cql_error *err)
{
    size_t done = 0;
    while (done < len) {
        /* MSG_NOSIGNAL: a peer that hangs up must not kill us with SIGPIPE. */
        ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            cql_status st = cql_net_wait(fd, POLLOUT, deadline, "sending", addr, err);
            if (st != CQL_OK)
                return st;
        } else if (n < 0 && errno != EINTR) {
            return cql_fail(err, CQL_ERR_IO, "%s: send: %s", addr, strerror(errno));
        }
    }
    return CQL_OK;
}

cql_status cql_net_recv(int fd, unsigned char *buf, size_t len, int64_t deadline,
                        const char *addr, cql_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = recv(fd, buf + done, len - done, 0);
        if (n > 0) {
            done += (size_t)n;
        } else if (n == 0) {
            return cql_fail(err, CQL_ERR_IO, "%s: connection closed after %zu of %zu reply bytes",
                            addr, done, len);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            cql_status st = cql_net_wait(fd, POLLIN, deadline, "waiting for the reply", addr, err);
            if (st != CQL_OK)
                return st;
        } else if (errno != EINTR) {
            return cql_fail(err, CQL_ERR_IO, "%s: recv: %s", addr, strerror(errno));
        }
    }
    return CQL_OK;
}

static void format_addr(const struct addrinfo *ai, char *buf, size_t cap)
{
    char host[64], serv[8];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, cap, "(unprintable address)");
        return;
    }
    if (ai->ai_family == AF_INET6)
        snprintf(buf, cap, "[%s]:%s", host, serv);
    else
        snprintf(buf, cap, "%s:%s", host, serv);
}

cql_status cql_net_connect(const char *host, unsigned port, int64_t deadline, int *fd_out,
                           char *addr, size_t cap, cql_error *err)
{
    char name[256], serv[8];
    size_t len;

    if (!host || !*host)
        return cql_fail(err, CQL_ERR_ADDRESS, "no host to connect to");
    if (port == 0 || port > 65535)
        return cql_fail(err, CQL_ERR_ADDRESS, "port %u out of range 1-65535", port);
    /* "[::1]" is how seeds and URLs write an IPv6 address; getaddrinfo wants it bare. */
    len = strlen(host);
    if (host[0] == '[' && len >= 2 && host[len - 1] == ']')
        snprintf(name, sizeof name, "%.*s", (int)(len - 2), host + 1);
    else if (len < sizeof name)
        snprintf(name, sizeof name, "%s", host);
    else
        return cql_fail(err, CQL_ERR_ADDRESS, "host name too long (%zu bytes)", len);
    snprintf(serv, sizeof serv, "%u", port);

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(name, serv, &hints, &res);
    if (rc != 0)
        return cql_fail(err, CQL_ERR_ADDRESS, "%s: %s", host,
                        rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));

    cql_status st = cql_fail(err, CQL_ERR_ADDRESS, "%s: no usable address", host);
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        format_addr(ai, addr, cap);
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            st = cql_fail(err, CQL_ERR_CONNECT, "%s: socket: %s", addr, strerror(errno));
            continue;
        }
        st = connect_by(fd, ai, deadline, addr, err);
        if (st == CQL_OK) {
            *fd_out = fd;
            break;
        }
        close(fd);
        /* The next address only gets a chance when this one refused; a
         * timeout has used the time up. */
        if (st != CQL_ERR_CONNECT)
            break;
    }
    freeaddrinfo(res);
    return st;
}
