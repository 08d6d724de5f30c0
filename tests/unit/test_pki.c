/* Unit tests of provision/pki: the CA and certificates of `up --tls`, checked
 * with OpenSSL's own verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "provision/pki.h"
#include "tests/unit/testfs.h"

static char root[64];
static char dir[128];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/test_pki.XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(dir, sizeof dir, "%s/cluster/tls", root);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static X509 *read_cert(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.pem", dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static unsigned mode_of(const char *name)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 0777;
}

/* The CA, a node's and the client's certificates: files 0600 in a 0700
 * directory, PKCS#8 keys that match, chains that verify, the node's name as
 * its DNS name, both TLS uses. */
static void test_made_and_verified(void **state)
{
    (void)state;
    char why[512] = "";
    bool created = false;
    assert_int_equal(pki_ensure_ca(dir, &created, why, sizeof why), 0);
    assert_true(created);
    assert_int_equal(pki_ensure_cert(dir, "cass1", "172.18.128.1", why, sizeof why), 0);
    const char *files[] = {"ca.pem", "ca-key.pem", "cass1.pem", "cass1-key.pem", "client.pem",
                           "client-key.pem"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        assert_int_equal(mode_of(files[i]), 0600);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    char path[256];
    snprintf(path, sizeof path, "%s/cass1-key.pem", dir);
    char *key_text = testfs_slurp(path);
    assert_non_null(strstr(key_text, "-----BEGIN PRIVATE KEY-----")); /* PKCS#8 */
    free(key_text);
    FILE *f = fopen(path, "r");
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);

    X509 *ca = read_cert("ca"), *node = read_cert("cass1"), *client = read_cert("client");
    assert_int_equal(X509_check_private_key(node, key), 1);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509 *leaves[] = {node, client};
    for (size_t i = 0; i < 2; i++) {
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        X509_STORE_CTX_init(ctx, store, leaves[i], NULL);
        assert_int_equal(X509_verify_cert(ctx), 1);
        X509_STORE_CTX_free(ctx);
    }
    assert_int_equal(X509_check_host(node, "cass1", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(node, "cass2", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(node, "172.18.128.1", 0), 1); /* its pinned address */
    assert_int_equal(X509_check_ip_asc(node, "172.18.128.2", 0), 0);
    assert_int_equal(X509_check_ip_asc(client, "172.18.128.1", 0), 0);
    assert_true(X509_get_extended_key_usage(node) & XKU_SSL_SERVER);
    assert_true(X509_get_extended_key_usage(node) & XKU_SSL_CLIENT);
    assert_int_equal(X509_check_ca(ca), 1);
    assert_int_equal(X509_check_ca(node), 0);
    X509_STORE_free(store);
    X509_free(ca);
    X509_free(node);
    X509_free(client);
    EVP_PKEY_free(key);
}

/* Kept, not made again: a second run changes no byte; a new node's
 * certificate comes from the same CA. */
static void test_kept(void **state)
{
    (void)state;
    char why[512] = "", path[256];
    bool created = true;
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    char *before = testfs_slurp(path);
    assert_int_equal(pki_ensure_ca(dir, &created, why, sizeof why), 0);
    assert_false(created);
    char *after = testfs_slurp(path);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(pki_ensure_cert(dir, "cass2", NULL, why, sizeof why), 0);
    X509 *ca = read_cert("ca"), *node = read_cert("cass2");
    EVP_PKEY *ca_key = X509_get_pubkey(ca);
    assert_int_equal(X509_verify(node, ca_key), 1);
    X509_free(node);

    /* the same address: kept; another one (its network changed): made again,
     * key and certificate, from the same CA */
    char cert1[256], key1[256];
    snprintf(cert1, sizeof cert1, "%s/cass1.pem", dir);
    snprintf(key1, sizeof key1, "%s/cass1-key.pem", dir);
    char *cert_before = testfs_slurp(cert1), *key_before = testfs_slurp(key1);
    assert_int_equal(pki_ensure_cert(dir, "cass1", "172.18.128.1", why, sizeof why), 0);
    char *cert_same = testfs_slurp(cert1);
    assert_string_equal(cert_before, cert_same);
    assert_int_equal(pki_ensure_cert(dir, "cass1", "10.9.128.1", why, sizeof why), 0);
    char *cert_new = testfs_slurp(cert1), *key_new = testfs_slurp(key1);
    assert_string_not_equal(cert_before, cert_new);
    assert_string_not_equal(key_before, key_new);
    node = read_cert("cass1");
    assert_int_equal(X509_check_ip_asc(node, "10.9.128.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(node, "172.18.128.1", 0), 0);
    assert_int_equal(X509_check_host(node, "cass1", 0, 0, NULL), 1);
    assert_int_equal(X509_verify(node, ca_key), 1);
    assert_int_equal(mode_of("cass1-key.pem"), 0600);
    free(cert_before);
    free(key_before);
    free(cert_same);
    free(cert_new);
    free(key_new);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    X509_free(node);
}

/* What others may read is refused, naming the file */
static void test_refused(void **state)
{
    (void)state;
    char why[512] = "", path[256];
    bool created;
    snprintf(path, sizeof path, "%s/cass1-key.pem", dir);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(pki_ensure_cert(dir, "cass1", NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "cass1-key.pem"));
    assert_non_null(strstr(why, "0600"));
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(pki_ensure_ca(dir, &created, why, sizeof why), -1);
    assert_non_null(strstr(why, "0700"));
    assert_int_equal(chmod(dir, 0700), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_and_verified),
        cmocka_unit_test(test_kept),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
