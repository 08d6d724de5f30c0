/* Unit tests of entrypoint/tls and of its cassandra.yaml edits through
 * configure_plan / configure_apply.
 *
 * The certificates are made at test time with the openssl command (a CA, a
 * node certificate it signs, a second CA, a key of nobody's certificate, a
 * PKCS#1 key, an encrypted PKCS#8 key), once per run, in a temporary
 * directory.  Expiry is checked with the `now` tls_check takes: the real
 * node certificate is valid for 10 days, so 30 days on it has expired and
 * 30 days back it is not yet valid.  The edits are checked on the real
 * cassandra.yaml of 5.0.1 and 4.1.7 from the mirror of upstream conf files
 * ($CASS_CONF_CORPUS, set by the unit suite). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "entrypoint/configure.h"
#include "entrypoint/tls.h"
#include "tests/unit/testcerts.h"
#include "tests/unit/testfs.h"
#include "yamlpatch/yamlpatch.h"

static char g_dir[PATH_MAX]; /* the certificates of this run */

static void sh(const char *cmd)
{
    testcerts_run(g_dir, cmd);
}

static char *file(const char *name)
{
    return testcerts_read(g_dir, name);
}

static int make_certs(void **state)
{
    (void)state;
    if (testcerts_dir(g_dir, "test_tls") != 0)
        return -1;
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 365 -subj /CN=test-ca");
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca2.key -out ca2.pem -days 365 -subj /CN=other-ca");
    sh("openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr -subj /CN=node1");
    sh("openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node.pem -days 10");
    sh("openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node-long.pem -days 3650");
    sh("openssl req -newkey rsa:2048 -nodes -keyout stranger.key -out /dev/null -subj /CN=stranger");
    sh("openssl pkey -in node.key -traditional -out node-pkcs1.key");
    sh("openssl pkcs8 -topk8 -in node.key -v2 des3 -v2prf hmacWithSHA1 -passout pass:Tr0ub4dor -out node-enc.key");
    sh("openssl pkcs8 -topk8 -in node.key -v2 aes-256-cbc -passout pass:Tr0ub4dor -out node-aes.key");
    return 0;
}

static int remove_certs(void **state)
{
    (void)state;
    testfs_rm_tree(g_dir);
    return 0;
}

static void set_value(settings_value *v, const char *text, const char *origin)
{
    v->value = text ? strdup(text) : NULL;
    v->origin = strdup(origin);
}

/* A settings_tls with the named files' text (NULL: unset). */
static void tls_init(settings_tls *t, const char *cert, const char *key, const char *ca)
{
    memset(t, 0, sizeof *t);
    t->enabled = true;
    t->client = SETTINGS_CLIENT_TLS_REQUIRED;
    snprintf(t->internode, sizeof t->internode, "all");
    char *c = cert ? file(cert) : NULL, *k = key ? file(key) : NULL, *a = ca ? file(ca) : NULL;
    set_value(&t->cert, c, "CASSANDRA_TLS_CERT_FILE");
    set_value(&t->key, k, "CASSANDRA_TLS_KEY_FILE");
    set_value(&t->ca, a, "CASSANDRA_TLS_CA_FILE");
    free(c);
    free(k);
    free(a);
}

static void tls_fini(settings_tls *t)
{
    settings_value *vs[] = { &t->cert, &t->key, &t->key_password, &t->ca };
    for (size_t i = 0; i < 4; i++) {
        free(vs[i]->value);
        free(vs[i]->origin);
    }
}

/* tls_check must fail with EX_CONFIG and a line holding `want`, and no
 * line may hold key material or the password. */
static void expect_refused(settings_tls *t, time_t now, const char *want)
{
    tls_material m;
    entry_error err = { 0 };
    int rc = tls_check(t, now, &m, &err);
    if (rc == 0)
        fail_msg("expected a refusal mentioning '%s', but tls_check accepted", want);
    assert_int_equal(rc, EX_CONFIG);
    assert_int_equal(err.code, EX_CONFIG);
    if (!strstr(err.message, want))
        fail_msg("message '%s' does not mention '%s'", err.message, want);
    assert_null(strstr(err.message, "PRIVATE KEY"));
    assert_null(strstr(err.message, "MII"));      /* no base64 of any PEM block */
    assert_null(strstr(err.message, "Tr0ub4dor")); /* no password */
    assert_null(strchr(err.message, '\n'));       /* one line */
}

/* ---- tls_check ------------------------------------------------------------ */

static void valid_material(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", "ca.pem");
    tls_material m;
    entry_error err = { 0 };
    int rc = tls_check(&t, time(NULL), &m, &err);
    if (rc)
        fail_msg("tls_check: %s", err.message);
    assert_string_equal(m.subject, "CN=node1");
    assert_non_null(strstr(m.not_after, " UTC"));
    /* The keystore: the key first, then the chain, as Cassandra's PEM factory reads it. */
    assert_true(strncmp(m.keystore, "-----BEGIN PRIVATE KEY-----", 27) == 0);
    char *key_end = strstr(m.keystore, "-----END PRIVATE KEY-----");
    char *cert_at = strstr(m.keystore, "-----BEGIN CERTIFICATE-----");
    assert_non_null(key_end);
    assert_non_null(cert_at);
    assert_true(cert_at > key_end);
    assert_int_equal(m.keystore_len, strlen(m.keystore));
    char *ca = file("ca.pem");
    assert_string_equal(m.truststore, ca);
    free(ca);
    tls_material_free(&m);
    assert_null(m.keystore);
    tls_fini(&t);
}

static void mismatched_key(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, "node.pem", "stranger.key", "ca.pem");
    expect_refused(&t, time(NULL),
                   "CASSANDRA_TLS_KEY_FILE does not match the first certificate of CASSANDRA_TLS_CERT_FILE");
    tls_fini(&t);
}

static void expired_and_not_yet_valid(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", "ca.pem");
    expect_refused(&t, time(NULL) + 30 * 86400, "CASSANDRA_TLS_CERT_FILE: certificate 1 (CN=node1) expired on ");
    expect_refused(&t, time(NULL) - 30 * 86400,
                   "CASSANDRA_TLS_CERT_FILE: certificate 1 (CN=node1) is not valid before ");
    tls_fini(&t);
}

static void expired_ca(void **state)
{
    (void)state;
    settings_tls t;
    /* The CA lives a year, this node certificate ten: at 400 days only the CA has expired. */
    tls_init(&t, "node-long.pem", "node.key", "ca.pem");
    expect_refused(&t, time(NULL) + 400 * 86400,
                   "CASSANDRA_TLS_CA_FILE: certificate 1 (CN=test-ca) expired on ");
    tls_fini(&t);
}

static void bad_pem(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, NULL, "node.key", "ca.pem");
    t.cert.value = strdup("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    expect_refused(&t, time(NULL), "CASSANDRA_TLS_CERT_FILE: not a PEM certificate chain: ");
    free(t.cert.value);
    /* a path where the PEM text was expected */
    t.cert.value = strdup("/run/secrets/node.pem");
    expect_refused(&t, time(NULL), "no PEM certificate in it (-----BEGIN CERTIFICATE-----); a file's path goes in the _FILE form");
    tls_fini(&t);

    tls_init(&t, "node.pem", NULL, "ca.pem");
    t.key.value = strdup("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    expect_refused(&t, time(NULL), "CASSANDRA_TLS_KEY_FILE: not a usable PEM private key: ");
    tls_fini(&t);

    tls_init(&t, "node.pem", "node.key", NULL);
    t.ca.value = strdup("garbage\n");
    expect_refused(&t, time(NULL), "CASSANDRA_TLS_CA_FILE: no PEM certificate in it");
    tls_fini(&t);
}

static void missing_ca(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", NULL);
    expect_refused(&t, time(NULL), "TLS needs CASSANDRA_TLS_CERT, CASSANDRA_TLS_KEY and CASSANDRA_TLS_CA");
    tls_fini(&t);
}

static void wrong_ca(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", "ca2.pem");
    expect_refused(&t, time(NULL),
                   "CASSANDRA_TLS_CERT_FILE does not verify against CASSANDRA_TLS_CA_FILE: ");
    tls_fini(&t);
}

static void pkcs1_key(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, "node.pem", "node-pkcs1.key", "ca.pem");
    expect_refused(&t, time(NULL), "a PKCS#1/SEC1 key; Cassandra reads PKCS#8 only");
    tls_fini(&t);
}

static void encrypted_key(void **state)
{
    (void)state;
    settings_tls t;
    tls_init(&t, "node.pem", "node-enc.key", "ca.pem");
    expect_refused(&t, time(NULL), "the key is encrypted: set CASSANDRA_TLS_KEY_PASSWORD");
    set_value(&t.key_password, "Tr0ub4dor-not", "CASSANDRA_TLS_KEY_PASSWORD");
    expect_refused(&t, time(NULL), "CASSANDRA_TLS_KEY_PASSWORD: wrong password for CASSANDRA_TLS_KEY_FILE");
    free(t.key_password.value);
    free(t.key_password.origin);
    set_value(&t.key_password, "Tr0ub4dor", "CASSANDRA_TLS_KEY_PASSWORD");
    tls_material m;
    entry_error err = { 0 };
    if (tls_check(&t, time(NULL), &m, &err) != 0)
        fail_msg("tls_check with the right password: %s", err.message);
    assert_non_null(strstr(m.keystore, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    tls_material_free(&m);
    tls_fini(&t);

    /* OpenSSL 3's default (PBES2 with AES) is beyond mbedTLS 2.28: said so. */
    tls_init(&t, "node.pem", "node-aes.key", "ca.pem");
    set_value(&t.key_password, "Tr0ub4dor", "CASSANDRA_TLS_KEY_PASSWORD");
    expect_refused(&t, time(NULL), "cannot check (PBES2 with AES)");
    tls_fini(&t);

    tls_init(&t, "node.pem", "node.key", "ca.pem");
    set_value(&t.key_password, "Tr0ub4dor", "CASSANDRA_TLS_KEY_PASSWORD");
    expect_refused(&t, time(NULL), "CASSANDRA_TLS_KEY_PASSWORD is set but CASSANDRA_TLS_KEY_FILE is not encrypted");
    tls_fini(&t);
}

static void versions(void **state)
{
    (void)state;
    assert_false(tls_version_ok(3, 11));
    assert_false(tls_version_ok(4, 0));
    assert_false(tls_version_ok(4, -1));
    assert_true(tls_version_ok(4, 1));
    assert_true(tls_version_ok(5, 0));
    assert_true(tls_version_ok(5, -1));
    assert_true(tls_yaml_has_factory("client_encryption_options:\n  # ssl_context_factory:\n"));
    assert_false(tls_yaml_has_factory("client_encryption_options:\n  keystore: conf/.keystore\n"));
}

/* ---- the edits on the real cassandra.yaml --------------------------------- */

static const char *corpus(void)
{
    const char *env = getenv("CASS_CONF_CORPUS"), *why = getenv("CORPUS_MISSING");
    if (!env || !*env)
        fail_msg("%s", why && *why ? why
                                   : "CASS_CONF_CORPUS is not set: run through tests/run, or set it "
                                     "to the mirror of upstream conf files");
    return env;
}

static void copy_yaml(const char *version, const char *dst)
{
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s/conf/cassandra.yaml", corpus(), version);
    char *text = testfs_slurp(src);
    testfs_put(dst, "cassandra.yaml", text);
    free(text);
}

static char *get(const yp_doc *doc, const char *path)
{
    char *v = NULL;
    yp_error ye;
    if (yp_get(doc, path, &v, NULL, &ye) != YP_OK)
        return NULL;
    return v;
}

static void expect_yaml(const yp_doc *doc, const char *path, const char *want)
{
    char *v = get(doc, path);
    if (!want) {
        if (v && strcmp(v, "null") != 0 && strcmp(v, "~") != 0 && *v)
            fail_msg("%s: expected unset or null, found '%s'", path, v);
    } else if (!v || strcmp(v, want) != 0) {
        fail_msg("%s: expected '%s', found '%s'", path, want, v ? v : "(unset)");
    }
    free(v);
}

/* Plan (and apply) TLS on a copy of VERSION's cassandra.yaml; returns the new
 * cassandra.yaml parsed. */
static yp_doc *plan_on(const char *version, const char *dir, settings_tls *t, conf_plan *plan)
{
    copy_yaml(version, dir);
    settings s;
    settings_init(&s);
    s.conf_dir = strdup(dir);
    s.tls = *t;
    tls_material m;
    entry_error err = { 0 };
    if (tls_check(t, time(NULL), &m, &err) != 0)
        fail_msg("tls_check: %s", err.message);
    char data[PATH_MAX];
    snprintf(data, sizeof data, "%s/no-data", dir);
    int rc = configure_plan(&s, dir, data, &m, plan, &err);
    tls_material_free(&m);
    if (rc)
        fail_msg("configure_plan: %s", err.message);
    if (configure_apply(plan, &err) != 0)
        fail_msg("configure_apply: %s", err.message);
    free(s.conf_dir);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cassandra.yaml", dir);
    char *text = testfs_slurp(path);
    yp_error ye;
    yp_doc *doc = yp_doc_load(text, strlen(text), false, &ye);
    free(text);
    if (!doc)
        fail_msg("the edited cassandra.yaml does not parse: %s", ye.message);
    return doc;
}

static void edits_on_5_0_1(void **state)
{
    const char *dir = *state;
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", "ca.pem");
    t.client_auth = true;
    conf_plan plan;
    yp_doc *doc = plan_on("5.0.1", dir, &t, &plan);
    char ks[PATH_MAX + 64], ts[PATH_MAX + 64];
    snprintf(ks, sizeof ks, "%s/%s", dir, TLS_KEYSTORE_NAME);
    snprintf(ts, sizeof ts, "%s/%s", dir, TLS_TRUSTSTORE_NAME);

    expect_yaml(doc, "client_encryption_options.enabled", "true");
    expect_yaml(doc, "client_encryption_options.optional", "false");
    expect_yaml(doc, "client_encryption_options.require_client_auth", "true");
    expect_yaml(doc, "client_encryption_options.keystore", ks);
    expect_yaml(doc, "client_encryption_options.truststore", ts);
    expect_yaml(doc, "client_encryption_options.keystore_password", NULL);
    expect_yaml(doc, "client_encryption_options.ssl_context_factory.class_name", TLS_PEM_FACTORY);
    expect_yaml(doc, "server_encryption_options.internode_encryption", "all");
    expect_yaml(doc, "server_encryption_options.optional", "false");
    expect_yaml(doc, "server_encryption_options.require_client_auth", "true");
    expect_yaml(doc, "server_encryption_options.keystore", ks);
    expect_yaml(doc, "server_encryption_options.truststore", ts);
    expect_yaml(doc, "server_encryption_options.ssl_context_factory.class_name", TLS_PEM_FACTORY);
    /* untouched neighbours */
    expect_yaml(doc, "server_encryption_options.legacy_ssl_storage_port_enabled", "false");
    expect_yaml(doc, "server_encryption_options.require_endpoint_verification", "false");
    yp_doc_free(doc);

    /* The two files: mode 0600, never shown by --dry-run. */
    struct stat st;
    assert_int_equal(stat(ks, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(ts, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *written = testfs_slurp(ks), *key = file("node.key");
    assert_true(strncmp(written, key, strlen(key)) == 0);
    free(written);
    free(key);
    char *diff = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&diff, &len);
    assert_int_equal(configure_print_diff(&plan, mem), 0);
    fclose(mem);
    assert_null(strstr(diff, "PRIVATE KEY"));
    assert_non_null(strstr(diff, "mode 0600: not shown"));
    assert_non_null(strstr(diff, "+  internode_encryption: all"));
    free(diff);
    configure_plan_free(&plan);

    /* CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION=true: the template's key set */
    t.verify_endpoints = true;
    doc = plan_on("5.0.1", dir, &t, &plan);
    expect_yaml(doc, "server_encryption_options.require_endpoint_verification", "true");
    expect_yaml(doc, "server_encryption_options.internode_encryption", "all");
    yp_doc_free(doc);
    configure_plan_free(&plan);

    tls_fini(&t);
}

/* PKCS#12 stores (CASSANDRA_TLS_STORE=pkcs12, and what auto gives before
 * 4.1) on VERSION's cassandra.yaml: the keystore options point at the .p12
 * files with their random password (never in the diff), store_type PKCS12
 * (uncommented from the template), no factory; `optional` only where the
 * release has it; the PEM copies for the probe beside them, all 0600. */
static void pkcs12_on(const char *dir, const char *version, bool server_optional)
{
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", "ca.pem");
    snprintf(t.store, sizeof t.store, "pkcs12");
    conf_plan plan;
    yp_doc *doc = plan_on(version, dir, &t, &plan);
    char ks[PATH_MAX + 64], ts[PATH_MAX + 64];
    snprintf(ks, sizeof ks, "%s/%s", dir, TLS_P12_KEYSTORE_NAME);
    snprintf(ts, sizeof ts, "%s/%s", dir, TLS_P12_TRUSTSTORE_NAME);
    const char *sections[] = {"client_encryption_options", "server_encryption_options"};
    char path[128], *pw = NULL;
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s.keystore", sections[i]);
        expect_yaml(doc, path, ks);
        snprintf(path, sizeof path, "%s.truststore", sections[i]);
        expect_yaml(doc, path, ts);
        snprintf(path, sizeof path, "%s.store_type", sections[i]);
        expect_yaml(doc, path, "PKCS12");
        snprintf(path, sizeof path, "%s.ssl_context_factory.class_name", sections[i]);
        expect_yaml(doc, path, NULL);
        snprintf(path, sizeof path, "%s.keystore_password", sections[i]);
        char *k = get(doc, path);
        snprintf(path, sizeof path, "%s.truststore_password", sections[i]);
        char *tp = get(doc, path);
        assert_non_null(k);
        assert_non_null(tp);
        assert_int_equal(strlen(k), 30);
        assert_string_equal(k, tp);
        if (pw)
            assert_string_equal(pw, k);
        free(pw);
        free(tp);
        pw = k;
    }
    expect_yaml(doc, "server_encryption_options.internode_encryption", "all");
    char *opt = get(doc, "server_encryption_options.optional");
    if (server_optional)
        assert_string_equal(opt ? opt : "(unset)", "false");
    else
        assert_null(opt); /* this release has no such key: never added */
    free(opt);
    yp_doc_free(doc);
    const char *files[] = {TLS_P12_KEYSTORE_NAME, TLS_P12_TRUSTSTORE_NAME, TLS_KEYSTORE_NAME,
                           TLS_TRUSTSTORE_NAME};
    for (size_t i = 0; i < 4; i++) {
        char f[PATH_MAX + 64];
        struct stat st;
        snprintf(f, sizeof f, "%s/%s", dir, files[i]);
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    /* the stores are PKCS#12 (DER: a SEQUENCE), the probe's copy PEM */
    char *p12 = testfs_slurp(ks), *copy = NULL;
    assert_int_equal((unsigned char)p12[0], 0x30);
    free(p12);
    char f[PATH_MAX + 64];
    snprintf(f, sizeof f, "%s/%s", dir, TLS_KEYSTORE_NAME);
    copy = testfs_slurp(f);
    assert_non_null(strstr(copy, "PRIVATE KEY-----"));
    assert_null(strstr(copy, "ENCRYPTED"));
    free(copy);
    char *diff = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&diff, &len);
    assert_int_equal(configure_print_diff(&plan, mem), 0);
    fclose(mem);
    assert_null(strstr(diff, pw));
    free(diff);
    free(pw);
    configure_plan_free(&plan);
    tls_fini(&t);
}

static void pkcs12_on_4_0_14(void **state) { pkcs12_on(*state, "4.0.14", true); }
static void pkcs12_on_3_11_17(void **state) { pkcs12_on(*state, "3.11.17", false); }
static void pkcs12_on_5_0_1(void **state) { pkcs12_on(*state, "5.0.1", true); }

static void edits_optional_dc_on_4_1_7(void **state)
{
    const char *dir = *state;
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", "ca.pem");
    t.client = SETTINGS_CLIENT_TLS_OPTIONAL;
    snprintf(t.internode, sizeof t.internode, "dc");
    conf_plan plan;
    yp_doc *doc = plan_on("4.1.7", dir, &t, &plan);
    expect_yaml(doc, "client_encryption_options.enabled", "true");
    expect_yaml(doc, "client_encryption_options.optional", "true");
    expect_yaml(doc, "client_encryption_options.require_client_auth", "false");
    /* 4.1.7 sets keystore_password: cassandra; the unencrypted PEM key has none */
    expect_yaml(doc, "client_encryption_options.keystore_password", NULL);
    expect_yaml(doc, "server_encryption_options.keystore_password", NULL);
    expect_yaml(doc, "server_encryption_options.truststore_password", NULL);
    expect_yaml(doc, "server_encryption_options.internode_encryption", "dc");
    /* dc: connections inside the DC stay plain, so plain must be accepted */
    expect_yaml(doc, "server_encryption_options.optional", "true");
    expect_yaml(doc, "server_encryption_options.ssl_context_factory.class_name", TLS_PEM_FACTORY);
    yp_doc_free(doc);
    configure_plan_free(&plan);
    tls_fini(&t);
}

static void client_only_leaves_internode(void **state)
{
    const char *dir = *state;
    settings_tls t;
    tls_init(&t, "node.pem", "node.key", "ca.pem");
    snprintf(t.internode, sizeof t.internode, "none");
    set_value(&t.key_password, NULL, "CASSANDRA_TLS_KEY_PASSWORD");
    conf_plan plan;
    yp_doc *doc = plan_on("5.0.1", dir, &t, &plan);
    expect_yaml(doc, "client_encryption_options.enabled", "true");
    expect_yaml(doc, "server_encryption_options.internode_encryption", "none");
    expect_yaml(doc, "server_encryption_options.keystore", "conf/.keystore");
    yp_doc_free(doc);
    configure_plan_free(&plan);
    tls_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_material),
        cmocka_unit_test(mismatched_key),
        cmocka_unit_test(expired_and_not_yet_valid),
        cmocka_unit_test(expired_ca),
        cmocka_unit_test(bad_pem),
        cmocka_unit_test(missing_ca),
        cmocka_unit_test(wrong_ca),
        cmocka_unit_test(pkcs1_key),
        cmocka_unit_test(encrypted_key),
        cmocka_unit_test(versions),
        cmocka_unit_test_setup_teardown(edits_on_5_0_1, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(edits_optional_dc_on_4_1_7, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(pkcs12_on_4_0_14, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(pkcs12_on_3_11_17, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(pkcs12_on_5_0_1, testfs_setup, testfs_teardown),
        cmocka_unit_test_setup_teardown(client_only_leaves_internode, testfs_setup, testfs_teardown),
    };
    return cmocka_run_group_tests_name("tls", tests, make_certs, remove_certs);
}
