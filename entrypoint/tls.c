/* tls: PEM secrets checked with mbedTLS, and the cassandra.yaml edits.  See tls.h. */
#include "entrypoint/tls.h"

#include "entrypoint/pkcs12.h"

#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the checks ---------------------------------------------------------- */

static const char *mbed_reason(int ret, char *buf, size_t cap)
{
    mbedtls_strerror(ret, buf, cap);
    return buf;
}

/* The time of an X.509 field as seconds since the epoch (UTC). */
static time_t x509_time(const mbedtls_x509_time *t)
{
    struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
                     .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec };
    return timegm(&tm);
}

static void x509_time_text(const mbedtls_x509_time *t, char *out, size_t cap)
{
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d UTC", t->year, t->mon, t->day, t->hour,
             t->min, t->sec);
}

/* A PEM bundle of certificates, every block parsed.  name: the variable. */
static int parse_certs(const settings_value *v, const char *what, mbedtls_x509_crt *crt,
                       entry_error *err)
{
    char why[160];
    if (!strstr(v->value, "-----BEGIN CERTIFICATE-----"))
        return entry_fail(err, EX_CONFIG, "%s: no PEM certificate in it (-----BEGIN CERTIFICATE-----)%s",
                          v->origin, strchr(v->value, '\n') ? "" : "; a file's path goes in the _FILE form");
    /* mbedTLS wants the terminating NUL counted in the length of PEM text. */
    int ret = mbedtls_x509_crt_parse(crt, (const unsigned char *)v->value, strlen(v->value) + 1);
    if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
        return entry_fail(err, EX_OSERR, "out of memory");
    if (ret < 0)
        return entry_fail(err, EX_CONFIG, "%s: not a PEM %s: %s", v->origin, what,
                          mbed_reason(ret, why, sizeof why));
    if (ret > 0)
        return entry_fail(err, EX_CONFIG, "%s: %d of its PEM certificates do not parse", v->origin,
                          ret);
    return 0;
}

/* Cassandra's PEM reader takes PKCS#8 keys only. */
static int parse_key(const settings_tls *t, mbedtls_pk_context *pk, entry_error *err)
{
    const settings_value *v = &t->key;
    bool encrypted = strstr(v->value, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL;
    if (!encrypted && !strstr(v->value, "-----BEGIN PRIVATE KEY-----")) {
        if (strstr(v->value, "-----BEGIN RSA PRIVATE KEY-----") ||
            strstr(v->value, "-----BEGIN EC PRIVATE KEY-----"))
            return entry_fail(err, EX_CONFIG, "%s: a PKCS#1/SEC1 key; Cassandra reads PKCS#8 only "
                              "(convert it: openssl pkcs8 -topk8 -nocrypt -in KEY)", v->origin);
        return entry_fail(err, EX_CONFIG, "%s: no PEM private key in it (-----BEGIN PRIVATE KEY-----)%s",
                          v->origin, strchr(v->value, '\n') ? "" : "; a file's path goes in the _FILE form");
    }
    if (encrypted && !t->key_password.value)
        return entry_fail(err, EX_CONFIG, "%s: the key is encrypted: set CASSANDRA_TLS_KEY_PASSWORD "
                          "(or _FILE)", v->origin);
    if (!encrypted && t->key_password.value)
        return entry_fail(err, EX_CONFIG, "%s is set but %s is not encrypted", t->key_password.origin,
                          v->origin);
    const char *pw = t->key_password.value;
    int ret = mbedtls_pk_parse_key(pk, (const unsigned char *)v->value, strlen(v->value) + 1,
                                   (const unsigned char *)pw, pw ? strlen(pw) : 0);
    char why[160];
    if (ret == MBEDTLS_ERR_PK_ALLOC_FAILED)
        return entry_fail(err, EX_OSERR, "out of memory");
    if (ret == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
        return entry_fail(err, EX_CONFIG, "%s: wrong password for %s", t->key_password.origin,
                          v->origin);
    if (ret == MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE)
        return entry_fail(err, EX_CONFIG, "%s: encrypted with a cipher cass-entry's mbedTLS 2.28 "
                          "cannot check (PBES2 with AES): give the key unencrypted, in a file "
                          "secret (CASSANDRA_TLS_KEY_FILE), or encrypted with -v2 des3 -v2prf "
                          "hmacWithSHA1", v->origin);
    if (ret != 0)
        return entry_fail(err, EX_CONFIG, "%s: not a usable PEM private key: %s", v->origin,
                          mbed_reason(ret, why, sizeof why));
    return 0;
}

/* Every certificate of the chain valid at `now`. */
static int check_dates(const settings_value *v, const mbedtls_x509_crt *chain, time_t now,
                       entry_error *err)
{
    int i = 1;
    for (const mbedtls_x509_crt *c = chain; c; c = c->next, i++) {
        char when[32], who[200];
        mbedtls_x509_dn_gets(who, sizeof who, &c->subject);
        if (now > x509_time(&c->valid_to)) {
            x509_time_text(&c->valid_to, when, sizeof when);
            return entry_fail(err, EX_CONFIG, "%s: certificate %d (%s) expired on %s", v->origin, i,
                              who, when);
        }
        if (now < x509_time(&c->valid_from)) {
            x509_time_text(&c->valid_from, when, sizeof when);
            return entry_fail(err, EX_CONFIG, "%s: certificate %d (%s) is not valid before %s",
                              v->origin, i, who, when);
        }
    }
    return 0;
}

/* The chain must verify against the CA: a node whose own certificate its
 * peers' truststore refuses would never join.  Dates are check_dates' job
 * (at the `now` given), so mbedTLS's own clock flags are left out. */
static int check_chain(const settings_tls *t, mbedtls_x509_crt *chain, mbedtls_x509_crt *ca,
                       entry_error *err)
{
    uint32_t flags = 0;
    mbedtls_x509_crt_verify(chain, ca, NULL, NULL, &flags, NULL, NULL);
    flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
    if (!flags)
        return 0;
    char info[512];
    int n = mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
    for (int k = 0; k < n; k++)
        if (info[k] == '\n') info[k] = k + 1 < n ? ';' : '\0';
    return entry_fail(err, EX_CONFIG, "%s does not verify against %s: %s", t->cert.origin,
                      t->ca.origin, n > 0 ? info : "unknown reason");
}

static char *join_pem(const char *a, const char *b, size_t *len)
{
    size_t la = strlen(a), lb = strlen(b);
    char *out = malloc(la + lb + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    memcpy(out, a, la);
    o = la;
    if (la && a[la - 1] != '\n') out[o++] = '\n';
    memcpy(out + o, b, lb);
    o += lb;
    if (lb && b[lb - 1] != '\n') out[o++] = '\n';
    out[o] = '\0';
    *len = o;
    return out;
}

/* The PKCS#12 keystore and truststore (pkcs12.h) under a password of their
 * own (no YAML quoting needed): the first 15 bytes, as 30 hex digits, of
 * HMAC-SHA256 keyed with the private key (DER) over the chain and the CA.
 * Nobody without the key can guess it, and the same material gives the same
 * password and so the same files: a second start rewrites nothing. */
static char *join_pem(const char *a, const char *b, size_t *len);

static int store_password(mbedtls_pk_context *key, const char *chain_pem, const char *ca_pem,
                          char *out, entry_error *err)
{
    unsigned char der[8192], mac[32];
    int n = mbedtls_pk_write_key_der(key, der, sizeof der); /* written at the end of der */
    if (n <= 0)
        return entry_fail(err, EX_CONFIG, "the private key could not be written as DER (-0x%04x)",
                          (unsigned)-n);
    static const char label[] = "cass-entry PKCS#12 store password v1";
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int ret = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
    if (ret == 0) ret = mbedtls_md_hmac_starts(&md, der + sizeof der - (size_t)n, (size_t)n);
    if (ret == 0) ret = mbedtls_md_hmac_update(&md, (const unsigned char *)label, sizeof label);
    if (ret == 0) ret = mbedtls_md_hmac_update(&md, (const unsigned char *)chain_pem, strlen(chain_pem) + 1);
    if (ret == 0) ret = mbedtls_md_hmac_update(&md, (const unsigned char *)ca_pem, strlen(ca_pem) + 1);
    if (ret == 0) ret = mbedtls_md_hmac_finish(&md, mac);
    mbedtls_md_free(&md);
    mbedtls_platform_zeroize(der, sizeof der);
    if (ret != 0) {
        mbedtls_platform_zeroize(mac, sizeof mac);
        return entry_fail(err, EX_OSERR, "the keystore's password could not be made (-0x%04x)",
                          (unsigned)-ret);
    }
    for (size_t i = 0; i < 15; i++) /* 120 bits; pkcs12.h takes at most 31 characters */
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    mbedtls_platform_zeroize(mac, sizeof mac);
    return 0;
}

static int pkcs12_stores(mbedtls_pk_context *key, const mbedtls_x509_crt *chain,
                         const mbedtls_x509_crt *ca, const char *chain_pem, const char *ca_pem,
                         tls_material *out, entry_error *err)
{
    int prc = store_password(key, chain_pem, ca_pem, out->store_password, err);
    if (prc != 0)
        return prc;
    out->pkcs12 = true;
    unsigned char *ks = NULL, *ts = NULL;
    int rc = pkcs12_keystore(key, chain, TLS_PKCS12_ALIAS, out->store_password, &ks,
                             &out->keystore_len, err);
    if (rc == 0)
        rc = pkcs12_truststore(ca, out->store_password, &ts, &out->truststore_len, err);
    out->keystore = (char *)ks;
    out->truststore = (char *)ts;
    if (rc != 0)
        return rc;
    /* the probe's copies: PEM, the key without the user's password (the
     * stores' password sits in cassandra.yaml beside them: same protection) */
    unsigned char pem[16384];
    int ret = mbedtls_pk_write_key_pem(key, pem, sizeof pem);
    if (ret != 0)
        return entry_fail(err, EX_CONFIG, "the private key could not be written as PEM (-0x%04x)",
                          (unsigned)-ret);
    out->probe_keystore = join_pem((const char *)pem, chain_pem, &out->probe_keystore_len);
    mbedtls_platform_zeroize(pem, sizeof pem);
    out->probe_truststore = join_pem(ca_pem, "", &out->probe_truststore_len);
    if (!out->probe_keystore || !out->probe_truststore)
        return entry_fail(err, EX_OSERR, "out of memory");
    return 0;
}

int tls_check(const settings_tls *t, time_t now, tls_material *out, entry_error *err)
{
    memset(out, 0, sizeof *out);
    if (!t->cert.value || !t->key.value || !t->ca.value)
        return entry_fail(err, EX_CONFIG, "TLS needs CASSANDRA_TLS_CERT, CASSANDRA_TLS_KEY and "
                          "CASSANDRA_TLS_CA");
    mbedtls_x509_crt chain, ca;
    mbedtls_pk_context key;
    mbedtls_x509_crt_init(&chain);
    mbedtls_x509_crt_init(&ca);
    mbedtls_pk_init(&key);
    int rc = parse_certs(&t->cert, "certificate chain", &chain, err);
    if (rc == 0) rc = parse_key(t, &key, err);
    if (rc == 0) rc = parse_certs(&t->ca, "CA bundle", &ca, err);
    if (rc == 0) {
        int ret = mbedtls_pk_check_pair(&chain.pk, &key);
        if (ret != 0)
            rc = entry_fail(err, EX_CONFIG, "%s does not match the first certificate of %s",
                            t->key.origin, t->cert.origin);
    }
    if (rc == 0) rc = check_dates(&t->cert, &chain, now, err);
    if (rc == 0) rc = check_dates(&t->ca, &ca, now, err);
    if (rc == 0) rc = check_chain(t, &chain, &ca, err);
    if (rc == 0) {
        mbedtls_x509_dn_gets(out->subject, sizeof out->subject, &chain.subject);
        x509_time_text(&chain.valid_to, out->not_after, sizeof out->not_after);
    }
    if (rc == 0 && strcmp(t->store, "pkcs12") == 0) {
        rc = pkcs12_stores(&key, &chain, &ca, t->cert.value, t->ca.value, out, err);
        if (rc != 0)
            tls_material_free(out);
    } else if (rc == 0) {
        out->keystore = join_pem(t->key.value, t->cert.value, &out->keystore_len);
        out->truststore = join_pem(t->ca.value, "", &out->truststore_len);
        if (!out->keystore || !out->truststore) {
            tls_material_free(out);
            rc = entry_fail(err, EX_OSERR, "out of memory");
        }
    }
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&chain);
    mbedtls_x509_crt_free(&ca);
    return rc;
}

void tls_material_free(tls_material *m)
{
    if (m->keystore) mbedtls_platform_zeroize(m->keystore, m->keystore_len);
    mbedtls_platform_zeroize(m->store_password, sizeof m->store_password);
    if (m->probe_keystore) mbedtls_platform_zeroize(m->probe_keystore, m->probe_keystore_len);
    free(m->probe_keystore);
    free(m->probe_truststore);
    free(m->keystore);
    free(m->truststore);
    memset(m, 0, sizeof *m);
}

bool tls_version_ok(int major, int minor)
{
    return major > 4 || (major == 4 && minor >= 1);
}

bool tls_yaml_has_factory(const char *yaml_text)
{
    return strstr(yaml_text, "ssl_context_factory") != NULL;
}

/* ---- the edits ----------------------------------------------------------- */

typedef struct {
    settings_edit *edits;
    size_t n;
    bool ok;
} edit_list;

static void push(edit_list *l, const char *section, const char *key, const char *value,
                 settings_value_type type, const char *origin, bool secret)
{
    if (!l->ok) return;
    settings_edit *grown = realloc(l->edits, (l->n + 1) * sizeof *grown);
    if (!grown) {
        l->ok = false;
        return;
    }
    l->edits = grown;
    settings_edit *e = &l->edits[l->n++];
    memset(e, 0, sizeof *e);
    size_t plen = strlen(section) + strlen(key) + 2;
    e->path = malloc(plen);
    if (e->path) snprintf(e->path, plen, "%s.%s", section, key);
    e->value = value ? strdup(value) : NULL;
    e->origin = strdup(origin);
    e->type = type;
    e->secret = secret;
    /* A cleared password only where the file sets one (4.1's cassandra). */
    e->if_present = type == SETTINGS_VALUE_NULL;
    if (!e->path || (value && !e->value) || !e->origin) l->ok = false;
}

/* An edit only where the file has the key (set, or a commented-out template
 * line): a key that older release lines lack. */
static void push_if_present(edit_list *l, const char *section, const char *key, const char *value,
                            settings_value_type type, const char *origin, bool secret)
{
    push(l, section, key, value, type, origin, secret);
    if (l->ok)
        l->edits[l->n - 1].if_present = true;
}

/* The keys both sections share, for PKCS#12 stores: the files, their
 * password, their type; the release's own default factory reads them. */
static void push_stores(edit_list *l, const char *section, const tls_material *m, const char *ks,
                        const char *ts, const char *origin)
{
    push(l, section, "keystore", ks, SETTINGS_VALUE_STRING, origin, false);
    push(l, section, "keystore_password", m->store_password, SETTINGS_VALUE_STRING, origin, true);
    push(l, section, "truststore", ts, SETTINGS_VALUE_STRING, origin, false);
    push(l, section, "truststore_password", m->store_password, SETTINGS_VALUE_STRING, origin,
         true);
    push_if_present(l, section, "store_type", "PKCS12", SETTINGS_VALUE_STRING, origin, false);
}

/* The keys both sections share: the PEM files and the factory. */
static void push_files(edit_list *l, const char *section, const settings_tls *t, const char *ks,
                       const char *ts, const char *origin)
{
    push(l, section, "keystore", ks, SETTINGS_VALUE_STRING, origin, false);
    if (t->key_password.value)
        push(l, section, "keystore_password", t->key_password.value, SETTINGS_VALUE_STRING,
             t->key_password.origin, true);
    else
        push(l, section, "keystore_password", NULL, SETTINGS_VALUE_NULL, origin, false);
    push(l, section, "truststore", ts, SETTINGS_VALUE_STRING, origin, false);
    push(l, section, "truststore_password", NULL, SETTINGS_VALUE_NULL, origin, false);
    push(l, section, "ssl_context_factory.class_name", TLS_PEM_FACTORY, SETTINGS_VALUE_STRING,
         origin, false);
}

bool tls_edits(const settings_tls *t, const tls_material *m, const char *keystore_path,
               const char *truststore_path, settings_edit **edits, size_t *n_edits,
               entry_error *err)
{
    edit_list l = { NULL, 0, true };
    /* PKCS#12 serves release lines before 4.1, some of which lack `optional`
     * (client: before 3.0; server: before 4.0): set only where the file has it */
    void (*push_optional)(edit_list *, const char *, const char *, const char *,
                          settings_value_type, const char *, bool) =
        m->pkcs12 ? push_if_present : push;
    if (t->client != SETTINGS_CLIENT_TLS_OFF) {
        const char *c = "client_encryption_options", *o = "CASSANDRA_CLIENT_ENCRYPTION";
        push(&l, c, "enabled", "true", SETTINGS_VALUE_BOOL, o, false);
        push_optional(&l, c, "optional", t->client == SETTINGS_CLIENT_TLS_OPTIONAL ? "true" : "false",
                      SETTINGS_VALUE_BOOL, o, false);
        push(&l, c, "require_client_auth", t->client_auth ? "true" : "false", SETTINGS_VALUE_BOOL,
             "CASSANDRA_CLIENT_AUTH", false);
        if (m->pkcs12)
            push_stores(&l, c, m, keystore_path, truststore_path, o);
        else
            push_files(&l, c, t, keystore_path, truststore_path, o);
    }
    if (strcmp(t->internode, "none") != 0) {
        const char *s = "server_encryption_options", *o = "CASSANDRA_INTERNODE_ENCRYPTION";
        push(&l, s, "internode_encryption", t->internode, SETTINGS_VALUE_STRING, o, false);
        push_optional(&l, s, "optional", strcmp(t->internode, "all") == 0 ? "false" : "true",
                      SETTINGS_VALUE_BOOL, o, false);
        push(&l, s, "require_client_auth", "true", SETTINGS_VALUE_BOOL, o, false);
        if (t->verify_endpoints)
            push(&l, s, "require_endpoint_verification", "true", SETTINGS_VALUE_BOOL,
                 "CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION", false);
        if (m->pkcs12)
            push_stores(&l, s, m, keystore_path, truststore_path, o);
        else
            push_files(&l, s, t, keystore_path, truststore_path, o);
    }
    if (!l.ok) {
        tls_edits_free(l.edits, l.n);
        *edits = NULL;
        *n_edits = 0;
        return entry_no_memory(err);
    }
    *edits = l.edits;
    *n_edits = l.n;
    return true;
}

void tls_edits_free(settings_edit *edits, size_t n_edits)
{
    for (size_t i = 0; i < n_edits; i++) {
        free(edits[i].path);
        free(edits[i].value);
        free(edits[i].origin);
    }
    free(edits);
}
