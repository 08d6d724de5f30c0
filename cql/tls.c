/* cql/tls: see tls.h. */
#include "cql/tls.h"

#include "cql/net.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct cql_tls {
    int fd;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca, cert;
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

/* The socket under mbedTLS: non-blocking, EAGAIN as WANT_READ/WANT_WRITE. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    int fd = *(int *)ctx;
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    int fd = *(int *)ctx;
    ssize_t n = recv(fd, buf, len, 0);
    if (n >= 0) return (int)n; /* 0: the peer closed */
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

static const char *reason(int ret, char *buf, size_t cap)
{
    mbedtls_strerror(ret, buf, cap);
    return buf;
}

/* PEM text as mbedTLS wants it: the length counts the terminating NUL. */
static size_t pem_len(const char *pem)
{
    return strlen(pem) + 1;
}

static cql_status setup(cql_tls *t, const cql_tls_config *cfg, const char *addr, cql_error *err)
{
    char why[128];
    int ret = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                    (const unsigned char *)"cass-entry probe", 16);
    if (ret != 0)
        return cql_fail(err, CQL_ERR_TLS, "%s: TLS: no random seed: %s", addr, reason(ret, why, sizeof why));
    ret = mbedtls_x509_crt_parse(&t->ca, (const unsigned char *)cfg->ca_pem, pem_len(cfg->ca_pem));
    if (ret < 0 || t->ca.version == 0)
        return cql_fail(err, CQL_ERR_TLS, "%s: TLS: the CA bundle does not parse: %s", addr,
                        ret < 0 ? reason(ret, why, sizeof why) : "no certificate in it");
    if (cfg->cert_pem) {
        ret = mbedtls_x509_crt_parse(&t->cert, (const unsigned char *)cfg->cert_pem,
                                     pem_len(cfg->cert_pem));
        if (ret < 0 || t->cert.version == 0)
            return cql_fail(err, CQL_ERR_TLS, "%s: TLS: the client certificate does not parse: %s",
                            addr, ret < 0 ? reason(ret, why, sizeof why) : "no certificate in it");
        const char *pw = cfg->key_password;
        ret = mbedtls_pk_parse_key(&t->key, (const unsigned char *)cfg->key_pem, pem_len(cfg->key_pem),
                                   (const unsigned char *)pw, pw ? strlen(pw) : 0);
        if (ret != 0)
            return cql_fail(err, CQL_ERR_TLS, "%s: TLS: the client key does not parse: %s", addr,
                            reason(ret, why, sizeof why));
    }
    ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0) {
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
        mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
        mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        if (cfg->cert_pem) ret = mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key);
    }
    if (ret == 0) ret = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (ret != 0)
        return cql_fail(err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? CQL_ERR_NOMEM : CQL_ERR_TLS,
                        "%s: TLS: set-up: %s", addr, reason(ret, why, sizeof why));
    mbedtls_ssl_set_bio(&t->ssl, &t->fd, bio_send, bio_recv, NULL);
    return CQL_OK;
}

/* One mbedTLS call's "not yet": wait for the socket, or time out. */
static cql_status wait_for(cql_tls *t, int ret, int64_t deadline, const char *what,
                           const char *addr, cql_error *err)
{
    return cql_net_wait(t->fd, ret == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN, deadline,
                        what, addr, err);
}

static bool again(int ret)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

static cql_status handshake(cql_tls *t, int64_t deadline, const char *addr, cql_error *err)
{
    for (;;) {
        int ret = mbedtls_ssl_handshake(&t->ssl);
        if (ret == 0) return CQL_OK;
        if (again(ret)) {
            cql_status st = wait_for(t, ret, deadline, "in the TLS handshake", addr, err);
            if (st != CQL_OK) return st;
            continue;
        }
        char why[128];
        if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
            char info[256];
            uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
            int n = mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
            for (int k = 0; k < n; k++)
                if (info[k] == '\n') info[k] = k + 1 < n ? ';' : '\0';
            return cql_fail(err, CQL_ERR_TLS, "%s: TLS: the node's certificate is refused: %s", addr,
                            n > 0 ? info : "it does not verify against the CA");
        }
        if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
            return cql_fail(err, CQL_ERR_TLS, "%s: TLS handshake: the node sent a fatal alert "
                            "(it refused our client certificate, or needs one)", addr);
        if (ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == MBEDTLS_ERR_NET_CONN_RESET)
            return cql_fail(err, CQL_ERR_TLS, "%s: TLS handshake: the node closed the connection", addr);
        if (ret == MBEDTLS_ERR_SSL_INVALID_RECORD || ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA ||
            ret == MBEDTLS_ERR_SSL_INVALID_MAC)
            return cql_fail(err, CQL_ERR_TLS, "%s: TLS handshake: the node does not speak TLS here "
                            "(%s)", addr, reason(ret, why, sizeof why));
        return cql_fail(err, CQL_ERR_TLS, "%s: TLS handshake: %s", addr, reason(ret, why, sizeof why));
    }
}

cql_status cql_tls_open(int fd, const cql_tls_config *cfg, int64_t deadline, const char *addr,
                        cql_tls **out, cql_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->ca_pem)
        return cql_fail(err, CQL_ERR_TLS, "%s: TLS: no CA bundle to verify the node with", addr);
    if (cfg->cert_pem && !cfg->key_pem)
        return cql_fail(err, CQL_ERR_TLS, "%s: TLS: a client certificate without its key", addr);
    cql_tls *t = calloc(1, sizeof *t);
    if (!t) return cql_fail(err, CQL_ERR_NOMEM, "%s: out of memory", addr);
    t->fd = fd;
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_x509_crt_init(&t->cert);
    mbedtls_pk_init(&t->key);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    cql_status st = setup(t, cfg, addr, err);
    if (st == CQL_OK) st = handshake(t, deadline, addr, err);
    if (st != CQL_OK) {
        cql_tls_close(t);
        return st;
    }
    *out = t;
    return CQL_OK;
}

void cql_tls_close(cql_tls *t)
{
    if (!t) return;
    mbedtls_ssl_close_notify(&t->ssl); /* one try: the socket is non-blocking */
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_x509_crt_free(&t->cert);
    mbedtls_pk_free(&t->key);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    free(t);
}

cql_status cql_channel_send(cql_channel *c, const unsigned char *buf, size_t len,
                            int64_t deadline, const char *addr, cql_error *err)
{
    if (!c->tls) return cql_net_send(c->fd, buf, len, deadline, addr, err);
    size_t done = 0;
    while (done < len) {
        int ret = mbedtls_ssl_write(&c->tls->ssl, buf + done, len - done);
        if (ret > 0) {
            done += (size_t)ret;
        } else if (again(ret)) {
            cql_status st = wait_for(c->tls, ret, deadline, "sending", addr, err);
            if (st != CQL_OK) return st;
        } else {
            char why[128];
            return cql_fail(err, CQL_ERR_IO, "%s: TLS send: %s", addr, reason(ret, why, sizeof why));
        }
    }
    return CQL_OK;
}

cql_status cql_channel_recv(cql_channel *c, unsigned char *buf, size_t len, int64_t deadline,
                            const char *addr, cql_error *err)
{
    if (!c->tls) return cql_net_recv(c->fd, buf, len, deadline, addr, err);
    size_t done = 0;
    while (done < len) {
        int ret = mbedtls_ssl_read(&c->tls->ssl, buf + done, len - done);
        if (ret > 0) {
            done += (size_t)ret;
        } else if (again(ret)) {
            cql_status st = wait_for(c->tls, ret, deadline, "waiting for the reply", addr, err);
            if (st != CQL_OK) return st;
        } else if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            return cql_fail(err, CQL_ERR_IO, "%s: connection closed after %zu of %zu reply bytes",
                            addr, done, len);
        } else {
            char why[128];
            return cql_fail(err, CQL_ERR_IO, "%s: TLS receive: %s", addr, reason(ret, why, sizeof why));
        }
    }
    return CQL_OK;
}
