/*
 * Unit tests for the probe over TLS (cql/tls, cql_probe_tls): a small TLS
 * server in a thread on the loopback interface (mbedTLS, server side) that
 * answers OPTIONS with SUPPORTED, with and without client authentication;
 * a plain server, and a TLS server asked in plain.  The certificates are made
 * at test time with the openssl command: a CA, another CA, a server and a
 * client certificate the first CA signs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "cql/net.h"
#include "cql/probe.h"
#include "tests/unit/testcerts.h"
#include "tests/unit/testfs.h"

static char g_dir[PATH_MAX];
static char *g_ca, *g_ca2, *g_server_cert, *g_server_key, *g_client; /* client: key + chain */

/* SUPPORTED {CQL_VERSION: [3.4.6]} on stream 0, protocol v4. */
static const unsigned char supported[] = {
    0x84, 0, 0, 0, 0x06, 0, 0, 0, 24,
    0, 1, 0, 11, 'C', 'Q', 'L', '_', 'V', 'E', 'R', 'S', 'I', 'O', 'N',
    0, 1, 0, 5, '3', '.', '4', '.', '6',
};

static void sh(const char *cmd)
{
    testcerts_run(g_dir, cmd);
}

static char *slurp(const char *name)
{
    return testcerts_read(g_dir, name);
}

static int make_certs(void **state)
{
    (void)state;
    if (testcerts_dir(g_dir, "test_probe_tls") != 0)
        return -1;
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=ca");
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca2.key -out ca2.pem -days 30 -subj /CN=ca2");
    sh("openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=node1");
    sh("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 5");
    sh("openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=probe");
    sh("openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 5");
    sh("cat client.key client.pem > client-keystore.pem");
    g_ca = slurp("ca.pem");
    g_ca2 = slurp("ca2.pem");
    g_server_cert = slurp("server.pem");
    g_server_key = slurp("server.key");
    g_client = slurp("client-keystore.pem");
    return 0;
}

static int remove_certs(void **state)
{
    (void)state;
    free(g_ca);
    free(g_ca2);
    free(g_server_cert);
    free(g_server_key);
    free(g_client);
    testfs_rm_tree(g_dir);
    return 0;
}

/* ---- the servers ------------------------------------------------------------ */

typedef struct {
    int listen_fd;
    unsigned port;
    bool tls;            /* speak TLS */
    bool require_client; /* ask for and verify a client certificate */
    bool got_request;    /* the 9 OPTIONS bytes arrived (over TLS when tls) */
    bool client_verified;
    pthread_t thread;
} server;

static void *serve(void *arg)
{
    server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    unsigned char req[9];
    if (!s->tls) {
        s->got_request = recv(fd, req, sizeof req, MSG_WAITALL) == 9;
        (void)!write(fd, supported, sizeof supported);
        close(fd);
        return NULL;
    }
    mbedtls_net_context net = { fd };
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt cert, ca;
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_init(&ssl);
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&cert);
    mbedtls_x509_crt_init(&ca);
    mbedtls_pk_init(&key);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    int ok = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) == 0 &&
             mbedtls_x509_crt_parse(&cert, (const unsigned char *)g_server_cert, strlen(g_server_cert) + 1) == 0 &&
             mbedtls_x509_crt_parse(&ca, (const unsigned char *)g_ca, strlen(g_ca) + 1) == 0 &&
             mbedtls_pk_parse_key(&key, (const unsigned char *)g_server_key, strlen(g_server_key) + 1, NULL, 0) == 0 &&
             mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT) == 0;
    if (ok) {
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
        mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
        mbedtls_ssl_conf_authmode(&conf, s->require_client ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                           : MBEDTLS_SSL_VERIFY_NONE);
        ok = mbedtls_ssl_conf_own_cert(&conf, &cert, &key) == 0 && mbedtls_ssl_setup(&ssl, &conf) == 0;
    }
    if (ok) {
        mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
        if (mbedtls_ssl_handshake(&ssl) == 0) {
            s->client_verified = s->require_client && mbedtls_ssl_get_verify_result(&ssl) == 0;
            size_t got = 0;
            while (got < sizeof req) {
                int n = mbedtls_ssl_read(&ssl, req + got, sizeof req - got);
                if (n <= 0) break;
                got += (size_t)n;
            }
            s->got_request = got == sizeof req && memcmp(req, cql_options_request, 9) == 0;
            if (s->got_request) mbedtls_ssl_write(&ssl, supported, sizeof supported);
            mbedtls_ssl_close_notify(&ssl);
        }
    }
    mbedtls_net_free(&net);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&cert);
    mbedtls_x509_crt_free(&ca);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return NULL;
}

static void server_start(server *s, bool tls, bool require_client)
{
    memset(s, 0, sizeof *s);
    s->tls = tls;
    s->require_client = require_client;
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->listen_fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->listen_fd, 4), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    /* a server still in accept (the probe never connected) is woken */
    shutdown(s->listen_fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

/* ---- the tests --------------------------------------------------------------- */

static void tls_ready(void **state)
{
    (void)state;
    server s;
    server_start(&s, true, false);
    cql_tls_config cfg = { .ca_pem = g_ca };
    cql_supported sup;
    cql_error err = { 0 };
    int64_t t0 = cql_now_ms();
    cql_status st = cql_probe_tls("127.0.0.1", s.port, 3000, &cfg, &sup, &err);
    print_message("# probe over TLS: %lld ms\n", (long long)(cql_now_ms() - t0));
    server_stop(&s);
    if (st != CQL_OK) fail_msg("probe: %s", err.message);
    assert_true(s.got_request);
    assert_string_equal(sup.cql_version, "3.4.6");
}

static void wrong_ca_refused(void **state)
{
    (void)state;
    server s;
    server_start(&s, true, false);
    cql_tls_config cfg = { .ca_pem = g_ca2 };
    cql_error err = { 0 };
    cql_status st = cql_probe_tls("127.0.0.1", s.port, 3000, &cfg, NULL, &err);
    server_stop(&s);
    assert_int_equal(st, CQL_ERR_TLS);
    if (!strstr(err.message, "127.0.0.1:") || !strstr(err.message, "the node's certificate is refused: "))
        fail_msg("message: %s", err.message);
    assert_false(s.got_request);
}

static void client_certificate(void **state)
{
    (void)state;
    server s;
    /* required and not given: no answer */
    server_start(&s, true, true);
    cql_tls_config cfg = { .ca_pem = g_ca };
    cql_error err = { 0 };
    cql_status st = cql_probe_tls("127.0.0.1", s.port, 3000, &cfg, NULL, &err);
    server_stop(&s);
    assert_true(st == CQL_ERR_TLS || st == CQL_ERR_IO);
    assert_false(s.got_request);
    /* given (one PEM: the key, then the chain, as cass-entry's keystore): verified */
    server_start(&s, true, true);
    cfg.cert_pem = g_client;
    cfg.key_pem = g_client;
    cql_supported sup;
    st = cql_probe_tls("127.0.0.1", s.port, 3000, &cfg, &sup, &err);
    server_stop(&s);
    if (st != CQL_OK) fail_msg("probe with a client certificate: %s", err.message);
    assert_true(s.client_verified);
    assert_true(s.got_request);
}

static void plain_server_tls_probe(void **state)
{
    (void)state;
    server s;
    server_start(&s, false, false);
    cql_tls_config cfg = { .ca_pem = g_ca };
    cql_error err = { 0 };
    int64_t t0 = cql_now_ms();
    cql_status st = cql_probe_tls("127.0.0.1", s.port, 2000, &cfg, NULL, &err);
    server_stop(&s);
    assert_int_not_equal(st, CQL_OK);
    assert_true(cql_now_ms() - t0 < 2500); /* within the timeout, never a hang */
    assert_non_null(strstr(err.message, "TLS"));
}

static void tls_server_plain_probe(void **state)
{
    (void)state;
    server s;
    server_start(&s, true, false);
    cql_error err = { 0 };
    int64_t t0 = cql_now_ms();
    cql_status st = cql_probe("127.0.0.1", s.port, 1500, NULL, &err);
    server_stop(&s);
    assert_int_not_equal(st, CQL_OK);
    assert_true(cql_now_ms() - t0 < 2500);
    assert_false(s.got_request);
}

static void bad_config(void **state)
{
    (void)state;
    server s;
    server_start(&s, true, false);
    cql_tls_config cfg = { .ca_pem = "not a CA\n" };
    cql_error err = { 0 };
    cql_status st = cql_probe_tls("127.0.0.1", s.port, 1000, &cfg, NULL, &err);
    assert_int_equal(st, CQL_ERR_TLS);
    assert_non_null(strstr(err.message, "the CA bundle does not parse"));
    cql_tls_config half = { .ca_pem = g_ca, .cert_pem = g_client };
    st = cql_probe_tls("127.0.0.1", s.port, 1000, &half, NULL, &err);
    assert_int_equal(st, CQL_ERR_TLS);
    assert_non_null(strstr(err.message, "a client certificate without its key"));
    server_stop(&s);
}

int main(void)
{
    /* the server writes to probes that hung up (mbedTLS's net layer has no MSG_NOSIGNAL) */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_ready),
        cmocka_unit_test(wrong_ca_refused),
        cmocka_unit_test(client_certificate),
        cmocka_unit_test(plain_server_tls_probe),
        cmocka_unit_test(tls_server_plain_probe),
        cmocka_unit_test(bad_config),
    };
    return cmocka_run_group_tests_name("probe over TLS", tests, make_certs, remove_certs);
}
