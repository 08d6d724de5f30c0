/*
 * provision/engine: the transport to a Docker engine.
 *
 * It connects the way the docker CLI does, so a user's shell set-up works
 * unchanged:
 *   DOCKER_HOST         unix:///path (default unix:///var/run/docker.sock) or
 *                       tcp://host[:port] (port 2375 by default, 2376 with TLS).
 *   DOCKER_TLS_VERIFY   ANY non-empty value (even "0") = TLS, verifying the
 *                       daemon's certificate against ca.pem.
 *   DOCKER_TLS          "1" (any non-empty value) = TLS without verification.
 *   DOCKER_CERT_PATH    where ca.pem, cert.pem, key.pem are (default ~/.docker);
 *                       alone it does not turn TLS on.
 *   DOCKER_API_VERSION  used as-is when set; otherwise the version is
 *                       negotiated: GET /_ping, header Api-Version, and the
 *                       lower of that and ENG_API_VERSION_MAX is used.
 *   DOCKER_CONTEXT      without DOCKER_HOST: a docker context (host, TLS
 *                       files); else the config file's currentContext.
 *   DOCKER_CONFIG       the docker config directory (default ~/.docker).
 *
 * Requests go to /v<version><path> and come back as an HTTP status plus the
 * parsed JSON body.  Every failure is an eng_error value: what kind (daemon
 * unreachable, TLS, HTTP error with the daemon's {"message"}, a stream that
 * reported an error under HTTP 200, ...) and one line of text naming the
 * daemon address or the request.  Nothing here prints.
 *
 * Several clients may exist at once (one per engine, for the multi-host
 * case); a client is used by one thread at a time.
 *
 * Registry credentials (X-Registry-Auth) are built here too, from the docker
 * config file's "auths" or its credential helpers; they are never put into an
 * error message.
 */
#ifndef PROVISION_ENGINE_H
#define PROVISION_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* The newest API this client speaks (Engine 20.10), and the oldest it needs
 * (mounts, StopTimeout, attachable networks came with 1.25). */
#define ENG_API_VERSION_MAX "1.41"
#define ENG_API_VERSION_MIN "1.25"

#include "provision/engine_error.h"

/* ------------------------------------------------------------------------ */
/* Connection settings                                                      */

enum { ENG_PATH_MAX = 4096 };

typedef struct {
    char host[512];          /* DOCKER_HOST as given (or the default), for messages */
    bool is_unix;            /* unix socket, else TCP */
    char socket_path[ENG_PATH_MAX]; /* is_unix: the socket */
    char base_url[600];      /* "http://localhost" (unix) or "http[s]://host:port" */
    bool tls;                /* https */
    bool tls_verify;         /* verify the daemon's certificate (DOCKER_TLS_VERIFY) */
    char ca_file[ENG_PATH_MAX];   /* tls: <cert path>/ca.pem ("" if it does not exist
                                     and tls_verify is off) */
    char cert_file[ENG_PATH_MAX]; /* tls: client certificate, "" if absent */
    char key_file[ENG_PATH_MAX];  /* tls: client key, "" if absent */
    char api_version[16];    /* DOCKER_API_VERSION, "" = negotiate */
    char context[128];       /* the docker context the endpoint came from, "" = none */
    long connect_timeout_ms; /* default 10000 */
} eng_config;

/* The DOCKER_* values an eng_config is made from; NULL means "not set".
 * Separate from the environment so tests can pass any combination. */
typedef struct {
    const char *docker_host;
    const char *tls_verify;
    const char *tls;
    const char *cert_path;
    const char *api_version;
    const char *home;        /* $HOME, for the default cert path ~/.docker */
    const char *context;     /* DOCKER_CONTEXT */
    const char *config_dir;  /* DOCKER_CONFIG (default $HOME/.docker; neither: no file) */
} eng_env;

/* Fill *env from getenv(). The pointers are the environment's own. */
void eng_env_from_environ(eng_env *env);

/* Turn DOCKER_* values into connection settings, as the docker CLI does
 * (see the top of this file).  Fails with ENG_ERR_CONFIG on a scheme other
 * than unix:// or tcp://, an empty socket path, a bad port, an API version
 * that is not "1.N", or TLS verification asked for without a readable ca.pem.
 *
 * Docker contexts, as the CLI picks them: when DOCKER_HOST is not set, the
 * context named by DOCKER_CONTEXT, else the config file's "currentContext"
 * ("default" = the DOCKER_* values).  A context is found by its Name in
 * <config dir>/contexts/meta/\*\/meta.json: its Endpoints.docker.Host, and TLS
 * when <config dir>/contexts/tls/<same dir>/docker/ holds ca.pem or a client
 * certificate (verified unless SkipTLSVerify).  An unknown context, or one
 * whose host is not unix:// or tcp:// (ssh://), is ENG_ERR_CONFIG naming it. */
eng_status eng_config_from_env(eng_config *cfg, const eng_env *env, eng_error *err);

/* Same, for an explicit host string ("unix:///run/x.sock", "tcp://10.0.0.2:2375")
 * with the other settings taken from *env (may be NULL: no TLS, negotiate).
 * For talking to several engines at once. */
eng_status eng_config_for_host(eng_config *cfg, const char *host, const eng_env *env,
                               eng_error *err);

/* ------------------------------------------------------------------------ */
/* Version negotiation (pure, for tests and for the client)                 */

/* Compare "1.N" versions: <0, 0, >0.  An unparsable string sorts lowest. */
int eng_version_cmp(const char *a, const char *b);

/* The version to use given the daemon's Api-Version header value (NULL or ""
 * when the daemon sent none): min(ENG_API_VERSION_MAX, server).  A daemon
 * without the header is taken to be the oldest we accept; a daemon older than
 * ENG_API_VERSION_MIN is ENG_ERR_PROTOCOL naming both versions. */
eng_status eng_negotiate_version(const char *server_api_version, char out[16], eng_error *err);

/* If `line` (one raw HTTP header line, with or without CRLF) is header `name`
 * (case-insensitive), copy its trimmed value into out and return true. */
bool eng_header_value(const char *line, size_t len, const char *name, char *out, size_t outlen);

/* ------------------------------------------------------------------------ */
/* The client                                                               */

typedef struct eng_client eng_client;

/* A client for one engine.  No connection is made yet.  The config is copied. */
eng_status eng_client_new(const eng_config *cfg, eng_client **out, eng_error *err);

/* Release the client (NULL is fine). */
void eng_client_free(eng_client *c);

/* The settings the client was made with. */
const eng_config *eng_client_config(const eng_client *c);

/* GET /_ping and fix the API version (unless DOCKER_API_VERSION fixed it).
 * Called by the first request automatically; call it yourself to check the
 * daemon answers.  ENG_ERR_UNREACHABLE / ENG_ERR_TLS name DOCKER_HOST. */
eng_status eng_client_connect(eng_client *c, eng_error *err);

/* The API version in use ("" before the first request). */
const char *eng_client_api_version(const eng_client *c);

/* The daemon's answer to a request. */
typedef struct {
    long status;      /* HTTP status */
    json_t *json;     /* the body parsed as JSON, NULL if empty or not JSON */
    char *body;       /* the raw body, NUL-terminated (NULL when streamed to on_data) */
    size_t body_len;
    char api_version[16]; /* the Api-Version response header, "" if none */
} eng_response;

/* Free what a response holds and zero it (safe on a zeroed response). */
void eng_response_clear(eng_response *r);

/* Receives body bytes as they arrive (streams: build, push, exec, logs).
 * Return 0 to go on, non-zero to abort the request (ENG_ERR_IO unless the
 * callback filled err itself through the request's `err`). */
typedef int (*eng_data_fn)(const char *data, size_t len, void *ud);

typedef struct {
    const char *content_type;    /* of the body; default application/json when
                                    json_body or body is given */
    json_t *json_body;           /* sent as JSON (not consumed) */
    const char *body;            /* or raw bytes */
    size_t body_len;
    FILE *upload;                /* or the rest of this file (rewound by the caller) */
    long long upload_len;        /* its size, -1 = unknown (chunked) */
    const char *const *headers;  /* extra "Name: value" lines, NULL-terminated */
    eng_data_fn on_data;         /* stream a 2xx body here instead of buffering it */
    void *ud;
    long timeout_ms;             /* whole request, 0 = no limit */
    bool unversioned;            /* path without the /vX.Y prefix (/_ping) */
} eng_request_opts;

/* One request: METHOD path (without the version prefix, e.g.
 * "/containers/json?all=1"; query values already escaped, see eng_escape).
 * ENG_OK for 1xx-3xx.  For 4xx/5xx: ENG_ERR_HTTP with http_status and
 * "<METHOD> <path>: HTTP <n>: <daemon's message>", and *resp filled too.
 * opts and resp may be NULL.  On an error body the daemon's {"message"} is
 * used, or its text/plain body, even when on_data was given. */
eng_status eng_request(eng_client *c, const char *method, const char *path,
                       const eng_request_opts *opts, eng_response *resp, eng_error *err);

/* Shorthand: request with an optional JSON body, buffered answer. */
eng_status eng_json(eng_client *c, const char *method, const char *path, json_t *body,
                    eng_response *resp, eng_error *err);

/* URL-escape a path segment or query value (malloc'd; NULL on no memory). */
char *eng_escape(const char *s);

/* Short name of a status ("unreachable", "http"...). */
const char *eng_status_name(eng_status s);

/* ------------------------------------------------------------------------ */
/* Registry credentials (X-Registry-Auth)                                   */

/* base64url with padding, as Go's base64.URLEncoding (what the daemon
 * decodes): "{}" -> "e30=".  malloc'd; NULL on no memory. */
char *eng_base64url(const unsigned char *data, size_t len);

/* Decode standard base64 (the "auth" field of config.json).  malloc'd,
 * NUL-terminated, length in *outlen; NULL on bad input or no memory. */
unsigned char *eng_base64_decode(const char *s, size_t *outlen);

/* The registry part of an image reference: "127.0.0.1:5000/cass:1" ->
 * "127.0.0.1:5000"; "cassandra:5.0", "library/x" -> "docker.io" (a first
 * component is a registry only if it has '.' or ':' or is "localhost"). */
void eng_registry_of_image(const char *image, char *out, size_t outlen);

/* The X-Registry-Auth value for `registry` (as eng_registry_of_image gives
 * it) from the docker config file `config_path` (NULL = $DOCKER_CONFIG/config.json
 * or ~/.docker/config.json).  No file, no "auths", or no entry for the
 * registry: "e30=" (the header is required even without credentials).
 * Entries match by host[:port] whatever the scheme/path in the key
 * ("https://127.0.0.1:5000/v2/" matches "127.0.0.1:5000"); docker.io also
 * matches "https://index.docker.io/v1/".  An entry gives "auth"
 * (base64 user:password), or "username"/"password", or "identitytoken".
 * *found tells whether credentials were used (may be NULL).  An unreadable or
 * malformed file is ENG_ERR_IO/ENG_ERR_CONFIG naming the file, never its
 * content.  A credential helper named for the registry ("credHelpers") or
 * for all ("credsStore") is run instead of reading "auths", as the docker CLI
 * does (credhelper.h; ENG_CRED_HELPER_TIMEOUT_MS).  A helper that fails is,
 * as for the docker CLI, no credentials rather than an error (a push to a
 * registry without auth must not depend on the user's keychain): the reason
 * goes to `warning` (may be NULL; "" when there is none) for the caller to
 * show.  The result is malloc'd. */
/* A helper may ask an agent (gpg, a keychain): give it time, not forever. */
#define ENG_CRED_HELPER_TIMEOUT_MS 30000L

eng_status eng_registry_auth(const char *config_path, const char *registry, char **out,
                             bool *found, char *warning, size_t warning_len, eng_error *err);

#endif
