/* provision/pki: the cluster's CA and its nodes' certificates (see pki.h). */
#include "provision/pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

enum { CA_DAYS = 3650, CERT_DAYS = 730, KEY_BITS = 2048 };

int pki_default_dir(const char *prefix, char *out, size_t cap)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return -1;
    int n = snprintf(out, cap, "%s/.cass-provision/%s/tls", home, prefix);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The last OpenSSL error, for a message. */
static const char *ssl_why(void)
{
    static char buf[160];
    unsigned long e = ERR_get_error();
    if (!e)
        return "libcrypto failed";
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

/* mkdir -p with mode 0700 for what is made; an existing dir must be ours and
 * closed to others (it holds private keys). */
static int ensure_dir(const char *dir, char *why, size_t whylen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        snprintf(why, whylen, "%s: path too long", dir);
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            snprintf(why, whylen, "%s: %s", path, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, whylen, "%s: not a directory", path);
        return -1;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077)) {
        snprintf(why, whylen, "%s: holds private keys, so it must be yours and closed to others "
                 "(mode 0700; it is %03o)", path, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

/* 1: a regular file that only we can read; 0: missing; -1: refused. */
static int private_file(const char *path, char *why, size_t whylen)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
        snprintf(why, whylen, "%s: must be a regular file of yours with mode 0600 (it is %03o)",
                 path, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 1;
}

/* Write by way of a temporary file, mode 0600, renamed into place. */
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert, char *why, size_t whylen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    bool ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1
                  : PEM_write_X509(f, cert) == 1;
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    if (fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(why, whylen, "%s: %s", path, ok ? strerror(errno) : "could not be written");
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int rc = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(ext);
    return rc;
}

/* A certificate for `cn` with a new key; self-signed when ca_cert is NULL
 * (the CA), else signed by ca_key.  dns: the DNS name, or NULL. */
static X509 *make_cert(const char *cn, const char *dns, const char *ip, bool is_ca, X509 *ca_cert,
                       EVP_PKEY *ca_key, EVP_PKEY **key_out)
{
    EVP_PKEY *key = EVP_RSA_gen(KEY_BITS);
    X509 *x = X509_new();
    BIGNUM *serial = BN_new();
    X509_NAME *name = X509_NAME_new();
    bool ok = key && x && serial && name && X509_set_version(x, 2) == 1 &&
              BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != NULL &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
              X509_gmtime_adj(X509_getm_notAfter(x), 86400L * (is_ca ? CA_DAYS : CERT_DAYS)) != NULL &&
              X509_set_pubkey(x, key) == 1 &&
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cass-entry",
                                         -1, -1, 0) == 1 &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                         0) == 1 &&
              X509_set_subject_name(x, name) == 1 &&
              X509_set_issuer_name(x, ca_cert ? X509_get_subject_name(ca_cert) : name) == 1;
    X509 *issuer = ca_cert ? ca_cert : x;
    if (ok && is_ca)
        ok = add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
             add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
    if (ok && !is_ca)
        ok = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
             add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment") == 0 &&
             add_ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth") == 0;
    if (ok && dns) {
        char san[400];
        snprintf(san, sizeof san, "DNS:%s%s%s", dns, ip ? ",IP:" : "", ip ? ip : "");
        ok = add_ext(x, issuer, NID_subject_alt_name, san) == 0;
    }
    ok = ok && add_ext(x, issuer, NID_subject_key_identifier, "hash") == 0;
    if (ok && ca_cert)
        ok = add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") == 0;
    ok = ok && X509_sign(x, ca_key ? ca_key : key, EVP_sha256()) > 0;
    BN_free(serial);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        EVP_PKEY_free(key);
        return NULL;
    }
    *key_out = key;
    return x;
}

/* <dir>/<base>.pem and <dir>/<base>-key.pem */
static void paths_of(const char *dir, const char *base, char *cert, char *key, size_t cap)
{
    snprintf(cert, cap, "%s/%s.pem", dir, base);
    snprintf(key, cap, "%s/%s-key.pem", dir, base);
}

/* Does the certificate in `path` name address `ip`? */
static bool names_ip(const char *path, const char *ip)
{
    FILE *f = fopen(path, "r");
    X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    bool yes = cert && X509_check_ip_asc(cert, ip, 0) == 1;
    X509_free(cert);
    ERR_clear_error();
    return yes;
}

/* Make the pair `base` when its certificate is missing, or does not name
 * `ip` (when given: the node's address changed with its network); the key
 * is written first: a certificate never stands without its key. */
static int ensure_pair(const char *dir, const char *base, const char *cn, const char *dns,
                       const char *ip, bool is_ca, X509 *ca_cert, EVP_PKEY *ca_key,
                       bool *created, char *why, size_t whylen)
{
    char cert_path[4200], key_path[4200];
    paths_of(dir, base, cert_path, key_path, sizeof cert_path);
    int have_cert = private_file(cert_path, why, whylen);
    int have_key = have_cert < 0 ? -1 : private_file(key_path, why, whylen);
    if (have_cert < 0 || have_key < 0)
        return -1;
    if (have_cert && have_key && (!ip || names_ip(cert_path, ip))) {
        if (created)
            *created = false;
        return 0;
    }
    EVP_PKEY *key = NULL;
    X509 *cert = make_cert(cn, dns, ip, is_ca, ca_cert, ca_key, &key);
    if (!cert) {
        snprintf(why, whylen, "%s: could not be made: %s", cert_path, ssl_why());
        return -1;
    }
    int rc = write_pem(key_path, key, NULL, why, whylen);
    if (rc == 0)
        rc = write_pem(cert_path, NULL, cert, why, whylen);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (rc == 0 && created)
        *created = true;
    return rc;
}

/* The CA's certificate and key, read from dir. */
static int load_ca(const char *dir, X509 **cert, EVP_PKEY **key, char *why, size_t whylen)
{
    char cert_path[4200], key_path[4200];
    paths_of(dir, "ca", cert_path, key_path, sizeof cert_path);
    FILE *f = fopen(cert_path, "r");
    *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(key_path, "r");
    *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!*cert || !*key || X509_check_private_key(*cert, *key) != 1) {
        snprintf(why, whylen, "%s: the cluster's CA can't be read, or its key does not match it",
                 !*cert ? cert_path : key_path);
        X509_free(*cert);
        EVP_PKEY_free(*key);
        ERR_clear_error();
        return -1;
    }
    return 0;
}

int pki_ensure_cert(const char *dir, const char *name, const char *ip, char *why, size_t whylen)
{
    X509 *ca_cert;
    EVP_PKEY *ca_key;
    if (ensure_dir(dir, why, whylen) != 0 || load_ca(dir, &ca_cert, &ca_key, why, whylen) != 0)
        return -1;
    bool client = strcmp(name, "client") == 0;
    int rc = ensure_pair(dir, name, name, client ? NULL : name, client ? NULL : ip, false, ca_cert,
                         ca_key, NULL, why, whylen);
    X509_free(ca_cert);
    EVP_PKEY_free(ca_key);
    return rc;
}

int pki_ensure_ca(const char *dir, bool *created, char *why, size_t whylen)
{
    if (ensure_dir(dir, why, whylen) != 0)
        return -1;
    if (ensure_pair(dir, "ca", "cass-entry cluster CA", NULL, NULL, true, NULL, NULL, created, why,
                    whylen) != 0)
        return -1;
    return pki_ensure_cert(dir, "client", NULL, why, whylen);
}
