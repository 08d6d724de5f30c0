/*
 * pkcs12: PKCS#12 files (RFC 7292) that Java's KeyStore type "PKCS12" and
 * keytool read, written with mbedTLS only.
 *
 * Cassandra before 4.1 has no PEM factory: its JKS/PKCS12 factory wants a
 * keystore (the node's key and chain) and a truststore (the CAs) as files.
 * This module makes both from what mbedTLS parsed; it writes no file.
 *
 * What a file holds (the same for both functions):
 *   PFX version 3; the authSafe a ContentInfo of type data holding the
 *   AuthenticatedSafe, whose ContentInfos are of type data too (the
 *   certificates are not encrypted: they are public); MacData: HMAC-SHA256
 *   over the AuthenticatedSafe's DER, its key made by the PKCS#12 key
 *   derivation (RFC 7292 B.2, SHA-256, 10000 iterations, a 16-byte salt)
 *   from the password as a BMPString.  Java checks that MAC on load:
 *   a wrong password is refused there.
 *   pkcs12_keystore: one PrivateKeyEntry.  The key as a pkcs8ShroudedKeyBag:
 *   its PKCS#8 PrivateKeyInfo encrypted with PBES2 (PBKDF2-HMAC-SHA256,
 *   10000 iterations, 16-byte salt; AES-256-CBC); then every
 *   certificate of the chain, in order, as a CertBag.  The key bag and the
 *   first CertBag carry friendlyName = alias and the same localKeyId (the
 *   SHA-256 of that certificate), which is how Java pairs them; Java builds
 *   the rest of the chain from the other certificates by issuer.
 *   pkcs12_truststore: every certificate of the list as a CertBag with
 *   friendlyName "ca-1", "ca-2"... (in order) and Oracle's trusted-key-usage
 *   attribute (anyExtendedKeyUsage), which makes each a trustedCertEntry.
 *
 * Salts and the IV are not random: each is HMAC-SHA256, keyed with the
 * password, of a label and the bytes it protects, so the same arguments give
 * the same file, byte for byte (a second start with the same material and
 * password finds nothing to rewrite).  A fresh password gives fresh salts.
 *
 * The password: not empty, printable ASCII only (Java's PBE keys refuse any
 * other character: such a store would never open), at most
 * PKCS12_PASSWORD_MAX characters (mbedTLS 2.28's PKCS#12 derivation takes 64
 * bytes of BMPString, its two-byte terminator included).  The same password
 * protects the key and the store, as keytool expects (its key password
 * defaults to the store's).  The alias: UTF-8, not empty; Java lowercases
 * aliases when it loads a PKCS12 file: give a lowercase one.
 *
 * Both return 0 with *out a malloc'd DER buffer of *out_len bytes (the
 * caller frees it; the keystore's holds only encrypted key bytes), or
 * EX_CONFIG (an unusable argument: no certificate, an empty, over-long or
 * non-ASCII password, an empty or non-UTF-8 alias, a key of a type other than RSA and EC, a key that is not the
 * chain's first certificate's) or EX_OSERR (out of memory, or
 * mbedTLS failed) with one line in err and *out NULL.  No line holds the
 * password or key material.  Every intermediate buffer that held key bytes or
 * the password is wiped before it is freed.
 */
#ifndef ENTRYPOINT_PKCS12_H
#define ENTRYPOINT_PKCS12_H

#include <stddef.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "entrypoint/error.h"

#define PKCS12_PASSWORD_MAX 31   /* characters */
#define PKCS12_ITERATIONS   10000

/* A keystore: the private key `key` (RSA or EC on a named curve) and its
 * certificate chain `chain` (the key's certificate first) under `alias`. */
int pkcs12_keystore(mbedtls_pk_context *key, const mbedtls_x509_crt *chain, const char *alias,
                    const char *password, unsigned char **out, size_t *out_len,
                    entry_error *err);

/* A truststore: every certificate of `cas` a trusted certificate entry,
 * aliases "ca-1", "ca-2"... */
int pkcs12_truststore(const mbedtls_x509_crt *cas, const char *password, unsigned char **out,
                      size_t *out_len, entry_error *err);

#endif
