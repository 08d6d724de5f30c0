/* Unit tests of entrypoint/pkcs12: the files it writes are read back by the
 * real consumers.
 *
 * The certificates are made at test time with the openssl command, once per
 * run, in a temporary directory: an RSA 2048 CA and a second CA, a node
 * certificate the first CA signs for an RSA 2048 key, another for an EC
 * (prime256v1) key, both keys PKCS#8.  Each keystore and truststore is
 * written to a file there and must be read by
 *   keytool (Java 17's PKCS12 KeyStore): the entries, their type, the chain,
 *     and the MAC (a wrong password is refused); -importkeystore makes Java
 *     decrypt the key too;
 *   openssl pkcs12: the MAC verified, the key decrypted, and that key's
 *     public half the same as the original's.
 * keytool missing is a failure, never a skip: without it nothing proves Java
 * reads these files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "entrypoint/pkcs12.h"
#include "tests/unit/testcerts.h"
#include "tests/unit/testfs.h"

#define PW "Tr0ub4dor-3"

static char g_dir[PATH_MAX];     /* the certificates and stores of this run */
static char g_keytool[PATH_MAX]; /* empty: none found */

static void sh(const char *cmd)
{
    testcerts_run(g_dir, cmd);
}

/* cmd's output (stdout and stderr), run in g_dir; *status its exit status. */
static char *capture(const char *cmd, int *status)
{
    char full[PATH_MAX + 4200];
    snprintf(full, sizeof full, "cd '%s' && { %s; } 2>&1", g_dir, cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t got;
    while ((got = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    return out;
}

/* cmd must exit 0 (or not, as `ok` says) and print every string of the
 * NULL-terminated list.  (ok is an int: va_start wants a promoted type.) */
static void expect_output(const char *cmd, int ok, ...)
{
    int status;
    char *out = capture(cmd, &status);
    if ((ok != 0) != (status == 0))
        fail_msg("%s: exit status %d, expected %s; it printed:\n%s", cmd, status,
                 ok ? "0" : "non-zero", out);
    va_list ap;
    va_start(ap, ok);
    for (const char *want; (want = va_arg(ap, const char *)) != NULL;)
        if (!strstr(out, want))
            fail_msg("%s: its output lacks '%s'; it printed:\n%s", cmd, want, out);
    va_end(ap);
    free(out);
}

/* How many times `want` is in text. */
static int count(const char *text, const char *want)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, want)) != NULL; p += strlen(want))
        n++;
    return n;
}

/* Java 17's keytool: a test that needs it fails without it. */
static const char *keytool(void)
{
    if (!g_keytool[0])
        fail_msg("keytool not found (neither /usr/lib/jvm/java-17-*/bin/keytool nor on PATH): "
                 "these tests prove that Java reads the files; install a JDK 17 "
                 "(default-jdk-headless, image/install-deps.sh)");
    return g_keytool;
}

static void find_keytool(void)
{
    FILE *p = popen("for k in /usr/lib/jvm/java-17-*/bin/keytool; do [ -x \"$k\" ] && "
                    "{ echo \"$k\"; exit 0; }; done; command -v keytool", "r");
    if (!p) return;
    if (fgets(g_keytool, sizeof g_keytool, p))
        g_keytool[strcspn(g_keytool, "\n")] = '\0';
    else
        g_keytool[0] = '\0';
    pclose(p);
    if (g_keytool[0]) {
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "'%s' -J-version 2>&1 | head -n 1", g_keytool);
        int status;
        char *v = capture(cmd, &status);
        fprintf(stderr, "# keytool: %s (%.*s)\n", g_keytool, (int)strcspn(v, "\n"), v);
        free(v);
    }
}

static int make_certs(void **state)
{
    (void)state;
    if (testcerts_dir(g_dir, "test_pkcs12") != 0)
        return -1;
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 365 -subj /CN=pkcs12-test-ca");
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca2.key -out ca2.pem -days 365 -subj /CN=pkcs12-other-ca");
    sh("openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr -subj /CN=node1");
    sh("openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node.pem -days 10");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout node-ec.key "
       "-out node-ec.csr -subj /CN=node1-ec");
    sh("openssl x509 -req -in node-ec.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node-ec.pem -days 10");
    sh("grep -q 'BEGIN PRIVATE KEY' node.key && grep -q 'BEGIN PRIVATE KEY' node-ec.key"); /* PKCS#8 */
    sh("cat node.pem ca.pem >chain.pem && cat node-ec.pem ca.pem >chain-ec.pem && cat ca.pem ca2.pem >cas.pem");
    sh("openssl pkey -in node.key -pubout -out node.pub && openssl pkey -in node-ec.key -pubout -out node-ec.pub");
    find_keytool();
    return 0;
}

static int remove_certs(void **state)
{
    (void)state;
    testfs_rm_tree(g_dir);
    return 0;
}

#define PATH_CAP (PATH_MAX + 256) /* g_dir and a file's name */

static void path_of(char *path, const char *name)
{
    snprintf(path, PATH_CAP, "%s/%s", g_dir, name);
}

static void load_certs(mbedtls_x509_crt *crt, const char *name)
{
    char path[PATH_CAP];
    path_of(path, name);
    mbedtls_x509_crt_init(crt);
    assert_int_equal(mbedtls_x509_crt_parse_file(crt, path), 0);
}

static void load_key(mbedtls_pk_context *pk, const char *name)
{
    char path[PATH_CAP];
    path_of(path, name);
    mbedtls_pk_init(pk);
    assert_int_equal(mbedtls_pk_parse_keyfile(pk, path, NULL), 0);
}

static void write_store(const char *name, const unsigned char *data, size_t len)
{
    char path[PATH_CAP];
    path_of(path, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A keystore of chain_file and key_file under alias, written to `store`. */
static void make_keystore(const char *chain_file, const char *key_file, const char *alias,
                          const char *password, const char *store)
{
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    load_certs(&chain, chain_file);
    load_key(&key, key_file);
    unsigned char *der = NULL;
    size_t len = 0;
    entry_error err = { 0 };
    int rc = pkcs12_keystore(&key, &chain, alias, password, &der, &len, &err);
    if (rc)
        fail_msg("pkcs12_keystore: %s", err.message);
    write_store(store, der, len);
    free(der);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&chain);
}

/* The key openssl decrypts from `store` has the public half in pub_file. */
static void expect_openssl_key(const char *store, const char *password, const char *pub_file)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl pkcs12 -in %s -passin 'pass:%s' -nocerts -nodes "
             "| openssl pkey -pubout | cmp - %s && echo same-public-key", store, password, pub_file);
    expect_output(cmd, true, "same-public-key", NULL);
}

/* Everything a keystore must pass, for the key `kind` ("" or "-ec") of the
 * certificate with common name cn; keytool names its public key
 * `algorithm`. */
static void check_keystore(const char *kind, const char *cn, const char *algorithm)
{
    char chain[64], key[64], pub[64], store[64], java[64], cmd[PATH_MAX + 512];
    char owner[80], subject[80]; /* as keytool and openssl print it */
    snprintf(owner, sizeof owner, "Owner: CN=%s\n", cn);
    snprintf(subject, sizeof subject, "subject=CN = %s\n", cn);
    snprintf(chain, sizeof chain, "chain%s.pem", kind);
    snprintf(key, sizeof key, "node%s.key", kind);
    snprintf(pub, sizeof pub, "node%s.pub", kind);
    snprintf(store, sizeof store, "keystore%s.p12", kind);
    snprintf(java, sizeof java, "java%s.p12", kind);
    make_keystore(chain, key, "node1", PW, store);

    /* Java: one PrivateKeyEntry, its chain the node's certificate and the CA. */
    snprintf(cmd, sizeof cmd, "'%s' -list -v -storetype PKCS12 -keystore %s -storepass '%s'",
             keytool(), store, PW);
    expect_output(cmd, true, "Your keystore contains 1 entry", "Alias name: node1",
                  "Entry type: PrivateKeyEntry", "Certificate chain length: 2", owner,
                  "Certificate[2]:\nOwner: CN=pkcs12-test-ca", algorithm, NULL);
    /* The MAC is checked: a wrong password is refused by it.  (Java's own
     * stores fail earlier, "keystore password was incorrect", decrypting
     * their encrypted certificates; these certificates are in the clear, so
     * this line is the MAC's.) */
    snprintf(cmd, sizeof cmd, "'%s' -list -storetype PKCS12 -keystore %s -storepass 'wrong-%s'",
             keytool(), store, PW);
    expect_output(cmd, false, "Failed PKCS12 integrity checking", NULL);
    /* Java decrypts the key: copying the entry into a store of its own
     * needs it in the clear. */
    snprintf(cmd, sizeof cmd, "rm -f %s && '%s' -importkeystore -noprompt -srcstoretype PKCS12 "
             "-srckeystore %s -srcstorepass '%s' -deststoretype PKCS12 -destkeystore %s "
             "-deststorepass 'java-%s'", java, keytool(), store, PW, java, PW);
    expect_output(cmd, true, "Entry for alias node1 successfully imported", NULL);
    char java_pw[64];
    snprintf(java_pw, sizeof java_pw, "java-%s", PW);
    expect_openssl_key(java, java_pw, pub);

    /* OpenSSL: the MAC, the key's encryption, the attributes. */
    snprintf(cmd, sizeof cmd, "openssl pkcs12 -in %s -passin 'pass:%s' -info -nodes", store, PW);
    expect_output(cmd, true, "MAC: sha256, Iteration 10000", "MAC length: 32, salt length: 16",
                  "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256",
                  "friendlyName: node1", "localKeyID: ", "-----BEGIN PRIVATE KEY-----", subject,
                  NULL);
    snprintf(cmd, sizeof cmd, "openssl pkcs12 -in %s -passin 'pass:wrong-%s' -noout", store, PW);
    expect_output(cmd, false, "Mac verify error", NULL);
    expect_openssl_key(store, PW, pub);
}

static void keystore_rsa(void **state)
{
    (void)state;
    check_keystore("", "node1", "Subject Public Key Algorithm: 2048-bit RSA key");
}

static void keystore_ec(void **state)
{
    (void)state;
    check_keystore("-ec", "node1-ec", "Subject Public Key Algorithm: 256-bit EC (secp256r1) key");
}

static void truststore(void **state)
{
    (void)state;
    mbedtls_x509_crt cas;
    load_certs(&cas, "cas.pem");
    unsigned char *der = NULL;
    size_t len = 0;
    entry_error err = { 0 };
    int rc = pkcs12_truststore(&cas, PW, &der, &len, &err);
    if (rc)
        fail_msg("pkcs12_truststore: %s", err.message);
    write_store("truststore.p12", der, len);
    free(der);
    mbedtls_x509_crt_free(&cas);

    char cmd[PATH_MAX + 256];
    snprintf(cmd, sizeof cmd, "'%s' -list -v -storetype PKCS12 -keystore truststore.p12 "
             "-storepass '%s'", keytool(), PW);
    int status;
    char *out = capture(cmd, &status);
    if (status != 0)
        fail_msg("%s: exit status %d:\n%s", cmd, status, out);
    if (!strstr(out, "Your keystore contains 2 entries") ||
        !strstr(out, "Alias name: ca-1\n") || !strstr(out, "Alias name: ca-2\n") ||
        count(out, "Entry type: trustedCertEntry") != 2 ||
        !strstr(out, "Owner: CN=pkcs12-test-ca") || !strstr(out, "Owner: CN=pkcs12-other-ca"))
        fail_msg("%s: not the two trusted certificates ca-1 and ca-2:\n%s", cmd, out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' -list -storetype PKCS12 -keystore truststore.p12 "
             "-storepass 'wrong-%s'", keytool(), PW);
    expect_output(cmd, false, "Failed PKCS12 integrity checking", NULL);

    /* OpenSSL: the MAC, and the very certificates given. */
    snprintf(cmd, sizeof cmd, "openssl pkcs12 -in truststore.p12 -passin 'pass:%s' -nokeys "
             "| sed -n '/-----BEGIN/,/-----END/p' >trusted.pem && "
             "cmp trusted.pem cas.pem && echo same-certificates", PW);
    expect_output(cmd, true, "same-certificates", NULL);
    snprintf(cmd, sizeof cmd, "openssl pkcs12 -in truststore.p12 -passin 'pass:%s' -info -nokeys",
             PW);
    expect_output(cmd, true, "MAC: sha256, Iteration 10000", "friendlyName: ca-1",
                  "friendlyName: ca-2", NULL);
}

/* A long alias puts friendlyName after localKeyId in the attribute SET
 * (DER's order) and a non-ASCII one is a BMPString beyond Latin-1; the
 * longest password, of spaces and punctuation too. */
static void aliases_and_passwords(void **state)
{
    (void)state;
    const char *alias = "cassandra-node-alias-longer-than-sixteen";
    const char *accented = "n\xc5\x93ud-\xe2\x82\xac"; /* nœud-€ */
    const char *longest = "0123456789 !\"#$%&()*+,-./:;<=>?"; /* 31, no ' for the shell */
    assert_int_equal(strlen(longest), PKCS12_PASSWORD_MAX);
    make_keystore("chain.pem", "node.key", alias, longest, "long.p12");
    make_keystore("chain-ec.pem", "node-ec.key", accented, PW, "accented.p12");

    char cmd[PATH_MAX + 512];
    snprintf(cmd, sizeof cmd, "'%s' -list -storetype PKCS12 -keystore long.p12 -storepass '%s'",
             keytool(), longest);
    expect_output(cmd, true, alias, "PrivateKeyEntry", NULL);
    expect_openssl_key("long.p12", longest, "node.pub");
    /* The JVM encodes what it prints by the locale's character set.
     * (openssl is no judge here: it prints a BMPString's low bytes.) */
    snprintf(cmd, sizeof cmd, "LC_ALL=C.UTF-8 '%s' -list -storetype PKCS12 -keystore accented.p12 "
             "-storepass '%s'", keytool(), PW);
    expect_output(cmd, true, accented, "PrivateKeyEntry", NULL);
    expect_openssl_key("accented.p12", PW, "node-ec.pub");
}

/* pkcs12_keystore must refuse with `code` and a line holding `want`, and
 * the line must not hold the password. */
static void expect_refused(int rc, const entry_error *err, unsigned char *der, int code,
                           const char *want)
{
    if (rc == 0)
        fail_msg("expected a refusal mentioning '%s', but it was accepted", want);
    assert_int_equal(rc, code);
    assert_int_equal(err->code, code);
    assert_null(der);
    if (!strstr(err->message, want))
        fail_msg("message '%s' does not mention '%s'", err->message, want);
    assert_null(strstr(err->message, PW));
    assert_null(strstr(err->message, "0123456789"));
    assert_null(strchr(err->message, '\n'));
}

static void refusals(void **state)
{
    (void)state;
    mbedtls_x509_crt chain, ec_chain, empty;
    mbedtls_pk_context key, ec_key;
    load_certs(&chain, "chain.pem");
    load_certs(&ec_chain, "chain-ec.pem");
    load_key(&key, "node.key");
    load_key(&ec_key, "node-ec.key");
    mbedtls_x509_crt_init(&empty);
    unsigned char *der = (unsigned char *)"not touched";
    size_t len;
    entry_error err = { 0 };
    int rc;

    rc = pkcs12_keystore(&key, &chain, "node1", "", &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "needs a password; it is empty");
    rc = pkcs12_keystore(&key, &chain, "node1", NULL, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "needs a password; it is empty");
    rc = pkcs12_keystore(&key, &chain, "node1", "01234567890123456789012345678901", &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "password is longer than 31 characters");
    /* Java's PBE keys: "Password is not ASCII" (java.io.IOException on load) */
    rc = pkcs12_keystore(&key, &chain, "node1", "p\xc3\xa4ss", &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "other than printable ASCII");
    rc = pkcs12_keystore(&key, &chain, "node1", PW "\t", &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "other than printable ASCII");
    rc = pkcs12_keystore(&key, &chain, "", PW, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "needs an alias");
    rc = pkcs12_keystore(&key, &chain, "node\xff", PW, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "alias is not UTF-8 text");
    rc = pkcs12_keystore(&key, &chain, "node\xed\xa0\x80", PW, &der, &len, &err); /* a surrogate */
    expect_refused(rc, &err, der, EX_CONFIG, "alias is not UTF-8 text");
    rc = pkcs12_keystore(&key, &chain, "node\xc0\xaf", PW, &der, &len, &err); /* an overlong '/' */
    expect_refused(rc, &err, der, EX_CONFIG, "alias is not UTF-8 text");
    rc = pkcs12_keystore(&key, &chain, "node\xe2\x82", PW, &der, &len, &err); /* cut short */
    expect_refused(rc, &err, der, EX_CONFIG, "alias is not UTF-8 text");
    rc = pkcs12_keystore(&key, &empty, "node1", PW, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "needs a certificate chain; it is empty");
    rc = pkcs12_keystore(&ec_key, &chain, "node1", PW, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "the private key does not match the first certificate");
    rc = pkcs12_keystore(&key, &ec_chain, "node1", PW, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "the private key does not match the first certificate");
    mbedtls_pk_context none;
    mbedtls_pk_init(&none);
    rc = pkcs12_keystore(&none, &chain, "node1", PW, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "needs a private key");
    rc = pkcs12_truststore(&empty, PW, &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "needs certificates; there are none");
    rc = pkcs12_truststore(&chain, "", &der, &len, &err);
    expect_refused(rc, &err, der, EX_CONFIG, "needs a password; it is empty");

    mbedtls_x509_crt_free(&chain);
    mbedtls_x509_crt_free(&ec_chain);
    mbedtls_x509_crt_free(&empty);
    mbedtls_pk_free(&key);
    mbedtls_pk_free(&ec_key);
}

/* The same input gives the same bytes (salts and IV derived from the
 * password and what they protect: a second start rewrites nothing); another
 * password gives other salts, hence other bytes. */
static void derived_salts(void **state)
{
    (void)state;
    mbedtls_x509_crt cas, chain;
    mbedtls_pk_context key;
    load_certs(&cas, "ca.pem");
    load_certs(&chain, "chain.pem");
    load_key(&key, "node.key");
    unsigned char *a = NULL, *b = NULL, *c = NULL;
    size_t la = 0, lb = 0, lc = 0;
    entry_error err = { 0 };
    assert_int_equal(pkcs12_truststore(&cas, PW, &a, &la, &err), 0);
    assert_int_equal(pkcs12_truststore(&cas, PW, &b, &lb, &err), 0);
    assert_int_equal(pkcs12_truststore(&cas, PW "x", &c, &lc, &err), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
    assert_int_equal(pkcs12_keystore(&key, &chain, "node1", PW, &a, &la, &err), 0);
    assert_int_equal(pkcs12_keystore(&key, &chain, "node1", PW, &b, &lb, &err), 0);
    assert_int_equal(pkcs12_keystore(&key, &chain, "node1", PW "x", &c, &lc, &err), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
    mbedtls_x509_crt_free(&cas);
    mbedtls_x509_crt_free(&chain);
    mbedtls_pk_free(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keystore_rsa),
        cmocka_unit_test(keystore_ec),
        cmocka_unit_test(truststore),
        cmocka_unit_test(aliases_and_passwords),
        cmocka_unit_test(refusals),
        cmocka_unit_test(derived_salts),
    };
    return cmocka_run_group_tests_name("pkcs12", tests, make_certs, remove_certs);
}
