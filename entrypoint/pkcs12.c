/* pkcs12: PKCS#12 keystores and truststores for Java, with mbedTLS.  See pkcs12.h.
 *
 * The DER is written forwards: an element is opened, its content appended,
 * and on closing its tag and length are slid in front of the content.  That
 * reads in the order of the ASN.1 it writes, which mbedTLS's asn1write
 * (backwards, from the end of a fixed buffer) does not. */
#include "entrypoint/pkcs12.h"

#include <mbedtls/aes.h>
#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pkcs12.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- object identifiers ------------------------------------------------- */

/* An OID's bytes and length, for der_oid. */
#define OID(s) (const unsigned char *)(s), MBEDTLS_OID_SIZE(s)

#define OID_DATA            MBEDTLS_OID_PKCS "\x07\x01"        /* PKCS#7 data */
#define OID_SHROUDED_KEY_BAG MBEDTLS_OID_PKCS12 "\x0a\x01\x02" /* pkcs8ShroudedKeyBag */
#define OID_CERT_BAG        MBEDTLS_OID_PKCS12 "\x0a\x01\x03"  /* certBag */
#define OID_X509_CERT       MBEDTLS_OID_PKCS9 "\x16\x01"       /* x509Certificate */
#define OID_FRIENDLY_NAME   MBEDTLS_OID_PKCS9 "\x14"           /* friendlyName */
#define OID_LOCAL_KEY_ID    MBEDTLS_OID_PKCS9 "\x15"           /* localKeyId */
#define OID_AES256_CBC      MBEDTLS_OID_AES "\x2a"             /* aes256-CBC */
/* Oracle's trusted key usage, 2.16.840.1.113894.746875.1.1: a CertBag that
 * has it is a trustedCertEntry to Java's PKCS12 KeyStore. */
#define OID_ORACLE_TRUSTED_KEY_USAGE "\x60\x86\x48\x01\x86\xf9\x66\xad\xca\x7b\x01\x01"

/* ---- DER, written forwards ---------------------------------------------- */

#define DER_DEPTH   24  /* open elements at once; the key's PRF is 17 deep */
#define DER_SET_MAX 8   /* elements of one SET OF (attributes: 3 at most) */

/* A growing buffer of DER.  Its blocks are wiped before they are released
 * (it may hold a PrivateKeyInfo).  After a failure (out of memory, or a
 * misuse: too deep, a close without an open) every call does nothing and
 * `failed` stays set: the caller checks once, at the end. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
    size_t open[DER_DEPTH]; /* where each open element's content starts */
    int depth;
    bool failed;
} der;

static void der_free(der *d)
{
    if (d->data) mbedtls_platform_zeroize(d->data, d->cap);
    free(d->data);
    memset(d, 0, sizeof *d);
}

static bool der_reserve(der *d, size_t more)
{
    if (d->failed) return false;
    if (more <= d->cap - d->len) return true;
    size_t cap = d->cap ? d->cap : 512;
    while (cap - d->len < more) {
        if (cap > SIZE_MAX / 2) {
            d->failed = true;
            return false;
        }
        cap *= 2;
    }
    /* Not realloc: the old block must be wiped, not just given back. */
    unsigned char *grown = malloc(cap);
    if (!grown) {
        d->failed = true;
        return false;
    }
    if (d->len) memcpy(grown, d->data, d->len);
    if (d->data) mbedtls_platform_zeroize(d->data, d->cap);
    free(d->data);
    d->data = grown;
    d->cap = cap;
    return true;
}

static void der_put(der *d, const unsigned char *p, size_t n)
{
    if (!der_reserve(d, n)) return;
    if (n) memcpy(d->data + d->len, p, n);
    d->len += n;
}

/* Tag and definite length into h (at least 2 + sizeof(size_t) bytes);
 * returns how many bytes. */
static size_t der_header(unsigned char *h, unsigned char tag, size_t len)
{
    h[0] = tag;
    if (len < 0x80) {
        h[1] = (unsigned char)len;
        return 2;
    }
    size_t n = 0;
    for (size_t l = len; l; l >>= 8)
        n++;
    h[1] = (unsigned char)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        h[2 + i] = (unsigned char)(len >> (8 * (n - 1 - i)));
    return 2 + n;
}

/* A whole element: tag, length, the n bytes of p. */
static void der_tlv(der *d, unsigned char tag, const unsigned char *p, size_t n)
{
    unsigned char h[2 + sizeof(size_t)];
    size_t hl = der_header(h, tag, n);
    if (!der_reserve(d, hl + n)) return;
    der_put(d, h, hl);
    der_put(d, p, n);
}

static void der_oid(der *d, const unsigned char *oid, size_t n)
{
    der_tlv(d, MBEDTLS_ASN1_OID, oid, n);
}

static void der_octets(der *d, const unsigned char *p, size_t n)
{
    der_tlv(d, MBEDTLS_ASN1_OCTET_STRING, p, n);
}

static void der_null(der *d)
{
    der_tlv(d, MBEDTLS_ASN1_NULL, NULL, 0);
}

/* A non-negative INTEGER, in its fewest bytes. */
static void der_int(der *d, unsigned long v)
{
    unsigned char be[sizeof v + 1];
    size_t n = 0;
    do {
        be[sizeof be - 1 - n++] = (unsigned char)(v & 0xff);
        v >>= 8;
    } while (v);
    if (be[sizeof be - n] & 0x80) be[sizeof be - 1 - n++] = 0; /* not a negative number */
    der_tlv(d, MBEDTLS_ASN1_INTEGER, be + sizeof be - n, n);
}

/* Start an element whose content follows; der_close ends it. */
static void der_open(der *d)
{
    if (d->failed) return;
    if (d->depth == DER_DEPTH) {
        d->failed = true;
        return;
    }
    d->open[d->depth++] = d->len;
}

/* End the innermost open element with `tag`: its header goes in front of
 * the content.  Returns where the element now starts. */
static size_t der_close(der *d, unsigned char tag)
{
    if (d->failed) return 0;
    if (d->depth == 0) {
        d->failed = true;
        return 0;
    }
    size_t at = d->open[--d->depth], n = d->len - at;
    unsigned char h[2 + sizeof(size_t)];
    size_t hl = der_header(h, tag, n);
    if (!der_reserve(d, hl)) return 0;
    memmove(d->data + at + hl, d->data + at, n);
    memcpy(d->data + at, h, hl);
    d->len += hl;
    return at;
}

/* Our own well-formed element at p: its whole size. */
static size_t der_size(const unsigned char *p)
{
    if (p[1] < 0x80) return 2 + (size_t)p[1];
    size_t n = p[1] & 0x7f, len = 0;
    for (size_t i = 0; i < n; i++)
        len = len << 8 | p[2 + i];
    return 2 + n + len;
}

/* X.690 11.6's order of a SET OF's elements: as octet strings, the shorter
 * one padded at its end with zeros. */
static int der_order(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = memcmp(a, b, n);
    if (c) return c;
    const unsigned char *rest = na > nb ? a : b;
    for (size_t i = n; i < (na > nb ? na : nb); i++)
        if (rest[i]) return na > nb ? 1 : -1;
    return 0;
}

/* End the innermost open element as a SET OF: DER wants its elements
 * sorted (for the attributes, their order depends on the alias's length). */
static void der_close_set(der *d)
{
    if (d->failed || d->depth == 0) {
        d->failed = true;
        return;
    }
    size_t at = d->open[d->depth - 1], n = d->len - at;
    size_t start[DER_SET_MAX], size[DER_SET_MAX], count = 0;
    for (size_t o = at; o < d->len; o += size[count++]) {
        if (count == DER_SET_MAX) {
            d->failed = true;
            return;
        }
        start[count] = o;
        size[count] = der_size(d->data + o);
    }
    /* Insertion sort of the element indexes: a handful of elements. */
    size_t order[DER_SET_MAX];
    for (size_t i = 0; i < count; i++) {
        size_t j = i;
        for (; j > 0; j--) {
            size_t prev = order[j - 1];
            if (der_order(d->data + start[prev], size[prev], d->data + start[i], size[i]) <= 0)
                break;
            order[j] = prev;
        }
        order[j] = i;
    }
    unsigned char *sorted = malloc(n ? n : 1);
    if (!sorted) {
        d->failed = true;
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(sorted + o, d->data + start[order[i]], size[order[i]]);
        o += size[order[i]];
    }
    memcpy(d->data + at, sorted, n);
    mbedtls_platform_zeroize(sorted, n);
    free(sorted);
    der_close(d, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET);
}

#define SEQUENCE (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define EXPLICIT0 (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)

/* ---- text ----------------------------------------------------------------- */

/* The next code point of UTF-8 text at *s, which moves past it; -1 for
 * anything that is not UTF-8 (overlong forms, surrogates, past U+10FFFF). */
static long utf8_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    unsigned long cp;
    size_t more;
    if (p[0] < 0x80) {
        cp = p[0];
        more = 0;
    } else if ((p[0] & 0xe0) == 0xc0) {
        cp = p[0] & 0x1f;
        more = 1;
    } else if ((p[0] & 0xf0) == 0xe0) {
        cp = p[0] & 0x0f;
        more = 2;
    } else if ((p[0] & 0xf8) == 0xf0) {
        cp = p[0] & 0x07;
        more = 3;
    } else {
        return -1;
    }
    for (size_t i = 1; i <= more; i++) {
        if ((p[i] & 0xc0) != 0x80) return -1; /* also stops at the NUL */
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const unsigned long least[] = { 0, 0x80, 0x800, 0x10000 };
    if (cp < least[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    *s = p + 1 + more;
    return (long)cp;
}

/* UTF-8 text as UTF-16BE, the content of a BMPString (Java reads one as
 * UTF-16: a surrogate pair stands for a character past U+FFFF), into out:
 * 2 * strlen(text) bytes, enough since each UTF-8 byte makes at most two.
 * Returns the bytes written, or -1 when text is not UTF-8. */
static long utf16be(const char *text, unsigned char *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0;
    while (*s) {
        long cp = utf8_next(&s);
        if (cp < 0) return -1;
        unsigned long units[2];
        size_t k = 0;
        if (cp >= 0x10000) { /* a surrogate pair */
            units[k++] = 0xd800 | ((unsigned long)(cp - 0x10000) >> 10);
            units[k++] = 0xdc00 | ((unsigned long)(cp - 0x10000) & 0x3ff);
        } else {
            units[k++] = (unsigned long)cp;
        }
        for (size_t i = 0; i < k; i++) {
            out[n++] = (unsigned char)(units[i] >> 8);
            out[n++] = (unsigned char)(units[i] & 0xff);
        }
    }
    return (long)n;
}

/* A BMPString of UTF-8 text (a friendlyName). */
static void der_bmp_string(der *d, const char *text)
{
    size_t cap = 2 * strlen(text);
    unsigned char *u = malloc(cap ? cap : 1);
    if (!u) {
        d->failed = true;
        return;
    }
    long n = utf16be(text, u);
    if (n < 0)
        d->failed = true; /* the caller checked the text */
    else
        der_tlv(d, MBEDTLS_ASN1_BMP_STRING, u, (size_t)n);
    free(u);
}

/* ---- the password ------------------------------------------------------- */

/* The password in the two forms it is used in: PBKDF2 (the key) takes its
 * bytes, the PKCS#12 derivation (the MAC key) its BMPString (UTF-16BE) with
 * a two-byte NUL.  password_wipe before it goes. */
typedef struct {
    const unsigned char *bytes;
    size_t len;
    unsigned char bmp[2 * PKCS12_PASSWORD_MAX + 2];
    size_t bmp_len;
} password;

static void password_wipe(password *pw)
{
    mbedtls_platform_zeroize(pw, sizeof *pw);
}

static int password_init(password *pw, const char *text, entry_error *err)
{
    memset(pw, 0, sizeof *pw);
    if (!text || !*text)
        return entry_fail(err, EX_CONFIG, "a PKCS#12 store needs a password; it is empty");
    size_t n = strlen(text);
    if (n > PKCS12_PASSWORD_MAX)
        return entry_fail(err, EX_CONFIG, "the PKCS#12 store's password is longer than %d "
                          "characters (mbedTLS's PKCS#12 key derivation takes no more)",
                          PKCS12_PASSWORD_MAX);
    /* Java's PBE keys take printable ASCII only ("Password is not ASCII"):
     * a store with any other character would never open. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
            return entry_fail(err, EX_CONFIG, "the PKCS#12 store's password has a character "
                              "other than printable ASCII, which Java's PKCS12 keystore refuses");
    for (size_t i = 0; i < n; i++) /* ASCII: the high byte of each unit is 0 */
        pw->bmp[2 * i + 1] = (unsigned char)text[i];
    pw->bmp_len = 2 * n + 2; /* the terminator, already zero */
    pw->bytes = (const unsigned char *)text;
    pw->len = n;
    return 0;
}

/* ---- mbedTLS and the system ---------------------------------------------- */

/* An mbedTLS code (maybe a high-level and a low-level one added) that says
 * memory ran out. */
static bool mbed_out_of_memory(int ret)
{
    int high = -(-ret & 0xff80), low = -(-ret & 0x007f);
    return high == MBEDTLS_ERR_MD_ALLOC_FAILED || high == MBEDTLS_ERR_PK_ALLOC_FAILED ||
           high == MBEDTLS_ERR_ECP_ALLOC_FAILED || low == MBEDTLS_ERR_MPI_ALLOC_FAILED ||
           low == MBEDTLS_ERR_ASN1_ALLOC_FAILED;
}

/* A failed mbedTLS call with valid arguments: nothing the configuration did. */
static int mbed_fail(entry_error *err, int ret, const char *what)
{
    if (mbed_out_of_memory(ret))
        return entry_fail(err, EX_OSERR, "out of memory");
    char why[160];
    mbedtls_strerror(ret, why, sizeof why);
    return entry_fail(err, EX_OSERR, "PKCS#12: %s: %s", what, why);
}

static const mbedtls_md_info_t *sha256(void)
{
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
}

/* Salts and the IV, n <= 32 bytes: HMAC-SHA256 keyed with the password over
 * a label and what they protect.  The same inputs give the same file, so a
 * second start with the same material rewrites nothing; a store under
 * another password, or of other content, gets other salts.  (Given the
 * same password, equal plaintexts give equal ciphertexts: the only thing
 * deterministic encryption tells, and here the plaintext is fixed anyway.) */
static int derived_bytes(const password *pw, const char *label, const unsigned char *data,
                         size_t len, unsigned char *out, size_t n, entry_error *err)
{
    unsigned char mac[32];
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int ret = mbedtls_md_setup(&md, sha256(), 1);
    if (ret == 0) ret = mbedtls_md_hmac_starts(&md, pw->bytes, pw->len);
    if (ret == 0) ret = mbedtls_md_hmac_update(&md, (const unsigned char *)label, strlen(label) + 1);
    if (ret == 0) ret = mbedtls_md_hmac_update(&md, data, len);
    if (ret == 0) ret = mbedtls_md_hmac_finish(&md, mac);
    mbedtls_md_free(&md);
    if (ret != 0) return mbed_fail(err, ret, "salt derivation");
    memcpy(out, mac, n);
    mbedtls_platform_zeroize(mac, sizeof mac);
    return 0;
}

/* ---- the private key ---------------------------------------------------- */

#define SALT_LEN 16

/* key's PKCS#8 PrivateKeyInfo (RFC 5208) into pki: mbedTLS 2.28 writes
 * only the inner PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey. */
static int private_key_info(mbedtls_pk_context *key, der *pki, entry_error *err)
{
    const char *curve = NULL;
    size_t curve_len = 0;
    mbedtls_pk_type_t type = mbedtls_pk_get_type(key);
    if (type == MBEDTLS_PK_ECKEY) {
        if (mbedtls_oid_get_oid_by_ec_grp(mbedtls_pk_ec(*key)->grp.id, &curve, &curve_len) != 0)
            return entry_fail(err, EX_CONFIG, "the private key's curve has no name a PKCS#8 "
                              "key can give");
    } else if (type != MBEDTLS_PK_RSA) {
        return entry_fail(err, EX_CONFIG, "a private key of type %s: a PKCS#12 keystore takes "
                          "RSA and EC keys", mbedtls_pk_get_name(key));
    }

    /* mbedTLS writes at the end of the buffer; grow it until the key fits. */
    unsigned char *buf = NULL;
    size_t cap = 4096;
    int ret;
    for (;;) {
        buf = malloc(cap);
        if (!buf) return entry_fail(err, EX_OSERR, "out of memory");
        ret = mbedtls_pk_write_key_der(key, buf, cap);
        if (ret != MBEDTLS_ERR_ASN1_BUF_TOO_SMALL || cap >= 65536) break;
        mbedtls_platform_zeroize(buf, cap);
        free(buf);
        cap *= 4;
    }
    if (ret < 0) {
        mbedtls_platform_zeroize(buf, cap);
        free(buf);
        if (mbed_out_of_memory(ret)) return entry_fail(err, EX_OSERR, "out of memory");
        char why[160];
        mbedtls_strerror(ret, why, sizeof why);
        return entry_fail(err, EX_CONFIG, "the private key cannot be written: %s", why);
    }

    der_open(pki);                          /* PrivateKeyInfo */
    der_int(pki, 0);                        /*   version */
    der_open(pki);                          /*   privateKeyAlgorithm */
    if (curve) {
        der_oid(pki, OID(MBEDTLS_OID_EC_ALG_UNRESTRICTED));
        der_oid(pki, (const unsigned char *)curve, curve_len);
    } else {
        der_oid(pki, OID(MBEDTLS_OID_PKCS1_RSA));
        der_null(pki);
    }
    der_close(pki, SEQUENCE);
    der_octets(pki, buf + cap - (size_t)ret, (size_t)ret); /* privateKey */
    der_close(pki, SEQUENCE);
    mbedtls_platform_zeroize(buf, cap);
    free(buf);
    return pki->failed ? entry_fail(err, EX_OSERR, "out of memory") : 0;
}

/* pki encrypted (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC; RFC 8018), as an
 * EncryptedPrivateKeyInfo appended to d. */
static int encrypted_key(const der *pki, const password *pw, der *d, entry_error *err)
{
    unsigned char salt[SALT_LEN], iv[16], chain_iv[16], k[32];
    int rc = derived_bytes(pw, "pbes2 salt", pki->data, pki->len, salt, sizeof salt, err);
    if (rc == 0) rc = derived_bytes(pw, "pbes2 iv", pki->data, pki->len, iv, sizeof iv, err);
    if (rc) return rc;

    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int ret = mbedtls_md_setup(&md, sha256(), 1);
    if (ret == 0)
        ret = mbedtls_pkcs5_pbkdf2_hmac(&md, pw->bytes, pw->len, salt, sizeof salt,
                                        PKCS12_ITERATIONS, sizeof k, k);
    mbedtls_md_free(&md);
    if (ret != 0) {
        mbedtls_platform_zeroize(k, sizeof k);
        return mbed_fail(err, ret, "PBKDF2");
    }

    /* PKCS#7 padding: 1 to 16 bytes, each the count.  Encrypted in place, so
     * the block ends up holding only the ciphertext. */
    size_t pad = 16 - pki->len % 16, n = pki->len + pad;
    unsigned char *block = malloc(n);
    if (!block) {
        mbedtls_platform_zeroize(k, sizeof k);
        return entry_fail(err, EX_OSERR, "out of memory");
    }
    memcpy(block, pki->data, pki->len);
    memset(block + pki->len, (int)pad, pad);
    memcpy(chain_iv, iv, sizeof iv); /* the CBC call moves it along */
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    ret = mbedtls_aes_setkey_enc(&aes, k, 256);
    if (ret == 0) ret = mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_ENCRYPT, n, chain_iv, block, block);
    mbedtls_aes_free(&aes);
    mbedtls_platform_zeroize(k, sizeof k);
    if (ret != 0) {
        mbedtls_platform_zeroize(block, n);
        free(block);
        return mbed_fail(err, ret, "AES-256-CBC");
    }

    der_open(d);                            /* EncryptedPrivateKeyInfo */
    der_open(d);                            /*   encryptionAlgorithm */
    der_oid(d, OID(MBEDTLS_OID_PKCS5_PBES2));
    der_open(d);                            /*     PBES2-params */
    der_open(d);                            /*       keyDerivationFunc */
    der_oid(d, OID(MBEDTLS_OID_PKCS5_PBKDF2));
    der_open(d);                            /*         PBKDF2-params */
    der_octets(d, salt, sizeof salt);
    der_int(d, PKCS12_ITERATIONS);
    der_open(d);                            /*           prf */
    der_oid(d, OID(MBEDTLS_OID_HMAC_SHA256));
    der_null(d);
    der_close(d, SEQUENCE);
    der_close(d, SEQUENCE);
    der_close(d, SEQUENCE);
    der_open(d);                            /*       encryptionScheme */
    der_oid(d, OID(OID_AES256_CBC));
    der_octets(d, iv, sizeof iv);
    der_close(d, SEQUENCE);
    der_close(d, SEQUENCE);
    der_close(d, SEQUENCE);
    der_octets(d, block, n);                /*   encryptedData */
    der_close(d, SEQUENCE);
    mbedtls_platform_zeroize(block, n);
    free(block);
    return 0;
}

/* ---- bags and their containers ------------------------------------------ */

#define KEY_ID_LEN 32

/* A bag's attributes (a SET OF Attribute), those asked for: friendlyName,
 * localKeyId, Oracle's trusted key usage. */
static void bag_attributes(der *d, const char *name, const unsigned char *key_id, bool trusted)
{
    der_open(d);
    if (name) {
        der_open(d);
        der_oid(d, OID(OID_FRIENDLY_NAME));
        der_open(d);
        der_bmp_string(d, name);
        der_close_set(d);
        der_close(d, SEQUENCE);
    }
    if (key_id) {
        der_open(d);
        der_oid(d, OID(OID_LOCAL_KEY_ID));
        der_open(d);
        der_octets(d, key_id, KEY_ID_LEN);
        der_close_set(d);
        der_close(d, SEQUENCE);
    }
    if (trusted) {
        der_open(d);
        der_oid(d, OID(OID_ORACLE_TRUSTED_KEY_USAGE));
        der_open(d);
        der_oid(d, OID(MBEDTLS_OID_ANY_EXTENDED_KEY_USAGE));
        der_close_set(d);
        der_close(d, SEQUENCE);
    }
    der_close_set(d);
}

/* A SafeBag of type certBag holding c (RFC 7292 4.2.3). */
static void cert_bag(der *d, const mbedtls_x509_crt *c, const char *name,
                     const unsigned char *key_id, bool trusted)
{
    der_open(d);                            /* SafeBag */
    der_oid(d, OID(OID_CERT_BAG));
    der_open(d);                            /*   bagValue */
    der_open(d);                            /*     CertBag */
    der_oid(d, OID(OID_X509_CERT));
    der_open(d);                            /*       certValue */
    der_octets(d, c->raw.p, c->raw.len);
    der_close(d, EXPLICIT0);
    der_close(d, SEQUENCE);
    der_close(d, EXPLICIT0);
    if (name || key_id || trusted) bag_attributes(d, name, key_id, trusted);
    der_close(d, SEQUENCE);
}

/* A ContentInfo of type data: its content (an OCTET STRING) follows, up to
 * data_close. */
static void data_open(der *d)
{
    der_open(d);                            /* ContentInfo */
    der_oid(d, OID(OID_DATA));
    der_open(d);                            /*   content */
    der_open(d);                            /*     the data */
}

static void data_close(der *d)
{
    der_close(d, MBEDTLS_ASN1_OCTET_STRING);
    der_close(d, EXPLICIT0);
    der_close(d, SEQUENCE);
}

/* One ContentInfo of the AuthenticatedSafe: its SafeBags follow, up to
 * safe_close. */
static void safe_open(der *d)
{
    data_open(d);
    der_open(d);                            /* SafeContents */
}

static void safe_close(der *d)
{
    der_close(d, SEQUENCE);
    data_close(d);
}

/* The PFX: the AuthenticatedSafe's ContentInfos follow, up to pfx_close. */
static void pfx_open(der *d)
{
    der_open(d);                            /* PFX */
    der_int(d, 3);                          /*   version */
    data_open(d);                           /*   authSafe */
    der_open(d);                            /*     AuthenticatedSafe */
}

/* End the AuthenticatedSafe, then the PFX with its MacData: HMAC-SHA256 of
 * the AuthenticatedSafe's DER, the key by the PKCS#12 derivation. */
static int pfx_close(der *d, const password *pw, entry_error *err)
{
    size_t at = der_close(d, SEQUENCE);
    if (d->failed) return entry_fail(err, EX_OSERR, "out of memory");

    unsigned char salt[SALT_LEN], k[32], mac[32];
    int rc = derived_bytes(pw, "mac salt", d->data + at, d->len - at, salt, sizeof salt, err);
    if (rc) return rc;
    int ret = mbedtls_pkcs12_derivation(k, sizeof k, pw->bmp, pw->bmp_len, salt, sizeof salt,
                                        MBEDTLS_MD_SHA256, MBEDTLS_PKCS12_DERIVE_MAC_KEY,
                                        PKCS12_ITERATIONS);
    if (ret == 0) ret = mbedtls_md_hmac(sha256(), k, sizeof k, d->data + at, d->len - at, mac);
    mbedtls_platform_zeroize(k, sizeof k);
    if (ret != 0) return mbed_fail(err, ret, "the MAC");

    data_close(d);
    der_open(d);                            /*   macData */
    der_open(d);                            /*     mac (DigestInfo) */
    der_open(d);                            /*       digestAlgorithm */
    /* SHA-2's parameters are absent (RFC 5754 2), as OpenSSL writes them. */
    der_oid(d, OID(MBEDTLS_OID_DIGEST_ALG_SHA256));
    der_close(d, SEQUENCE);
    der_octets(d, mac, sizeof mac);         /*       digest */
    der_close(d, SEQUENCE);
    der_octets(d, salt, sizeof salt);       /*     macSalt */
    der_int(d, PKCS12_ITERATIONS);          /*     iterations */
    der_close(d, SEQUENCE);
    der_close(d, SEQUENCE);
    if (d->failed || d->depth != 0) return entry_fail(err, EX_OSERR, "out of memory");
    return 0;
}

/* Hand d's bytes to the caller in a block of their own size. */
static int finish(der *d, unsigned char **out, size_t *out_len, entry_error *err)
{
    unsigned char *copy = malloc(d->len);
    if (!copy) return entry_fail(err, EX_OSERR, "out of memory");
    memcpy(copy, d->data, d->len);
    *out = copy;
    *out_len = d->len;
    return 0;
}

static bool has_certificate(const mbedtls_x509_crt *c)
{
    return c && c->raw.p && c->raw.len > 0;
}

/* ---- the two stores ----------------------------------------------------- */

int pkcs12_keystore(mbedtls_pk_context *key, const mbedtls_x509_crt *chain, const char *alias,
                    const char *password_text, unsigned char **out, size_t *out_len,
                    entry_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!has_certificate(chain))
        return entry_fail(err, EX_CONFIG, "a PKCS#12 keystore needs a certificate chain; it is empty");
    if (!key || mbedtls_pk_get_type(key) == MBEDTLS_PK_NONE)
        return entry_fail(err, EX_CONFIG, "a PKCS#12 keystore needs a private key");
    if (!alias || !*alias)
        return entry_fail(err, EX_CONFIG, "a PKCS#12 keystore needs an alias; it is empty");
    const unsigned char *s = (const unsigned char *)alias;
    while (*s)
        if (utf8_next(&s) < 0)
            return entry_fail(err, EX_CONFIG, "the PKCS#12 keystore's alias is not UTF-8 text");
    int ret = mbedtls_pk_check_pair(&chain->pk, key);
    if (ret != 0) {
        if (mbed_out_of_memory(ret)) return entry_fail(err, EX_OSERR, "out of memory");
        return entry_fail(err, EX_CONFIG, "the private key does not match the first certificate "
                          "of the chain");
    }

    /* localKeyId: pairs the key with its certificate; any bytes will do,
     * the certificate's digest is stable. */
    unsigned char key_id[KEY_ID_LEN];
    ret = mbedtls_md(sha256(), chain->raw.p, chain->raw.len, key_id);
    if (ret != 0) return mbed_fail(err, ret, "SHA-256");

    password pw;
    int rc = password_init(&pw, password_text, err);
    if (rc) return rc;
    der pki = { 0 }, d = { 0 };
    rc = private_key_info(key, &pki, err);
    if (rc == 0) {
        pfx_open(&d);
        safe_open(&d);
        der_open(&d);                       /* SafeBag */
        der_oid(&d, OID(OID_SHROUDED_KEY_BAG));
        der_open(&d);                       /*   bagValue */
        rc = encrypted_key(&pki, &pw, &d, err);
        der_close(&d, EXPLICIT0);
        bag_attributes(&d, alias, key_id, false);
        der_close(&d, SEQUENCE);
        safe_close(&d);
    }
    if (rc == 0) {
        safe_open(&d);
        for (const mbedtls_x509_crt *c = chain; has_certificate(c); c = c->next)
            cert_bag(&d, c, c == chain ? alias : NULL, c == chain ? key_id : NULL, false);
        safe_close(&d);
        rc = pfx_close(&d, &pw, err);
    }
    if (rc == 0) rc = finish(&d, out, out_len, err);
    der_free(&pki);
    der_free(&d);
    password_wipe(&pw);
    return rc;
}

int pkcs12_truststore(const mbedtls_x509_crt *cas, const char *password_text, unsigned char **out,
                      size_t *out_len, entry_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!has_certificate(cas))
        return entry_fail(err, EX_CONFIG, "a PKCS#12 truststore needs certificates; there are none");
    password pw;
    int rc = password_init(&pw, password_text, err);
    if (rc) return rc;

    der d = { 0 };
    pfx_open(&d);
    safe_open(&d);
    unsigned i = 1;
    for (const mbedtls_x509_crt *c = cas; has_certificate(c); c = c->next, i++) {
        char name[24];
        snprintf(name, sizeof name, "ca-%u", i);
        cert_bag(&d, c, name, NULL, true);
    }
    safe_close(&d);
    rc = pfx_close(&d, &pw, err);
    if (rc == 0) rc = finish(&d, out, out_len, err);
    der_free(&d);
    password_wipe(&pw);
    return rc;
}
