/*
 * provision/engine: DOCKER_* settings, libcurl transport, version
 * negotiation, registry credentials.  See engine.h for the promises.
 */
#include "provision/engine.h"
#include "provision/credhelper.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

struct eng_client {
    eng_config cfg;
    CURL *curl;          /* one handle per client: keeps the connection alive */
    char version[16];    /* in use; "" until negotiated */
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

const char *eng_status_name(eng_status s)
{
    switch (s) {
    case ENG_OK: return "ok";
    case ENG_ERR_CONFIG: return "config";
    case ENG_ERR_UNREACHABLE: return "unreachable";
    case ENG_ERR_TLS: return "tls";
    case ENG_ERR_TIMEOUT: return "timeout";
    case ENG_ERR_HTTP: return "http";
    case ENG_ERR_STREAM: return "stream";
    case ENG_ERR_PROTOCOL: return "protocol";
    case ENG_ERR_IO: return "io";
    case ENG_ERR_NOMEM: return "nomem";
    }
    return "unknown";
}

/* Copy with truncation; always terminated. */
static void copy(char *dst, size_t dstlen, const char *src)
{
    if (dstlen == 0)
        return;
    snprintf(dst, dstlen, "%s", src ? src : "");
}

static bool set(const char *s) { return s && *s; }

static bool readable(const char *path) { return access(path, R_OK) == 0; }

/* ------------------------------------------------------------------------ */
/* Settings                                                                 */

void eng_env_from_environ(eng_env *env)
{
    env->docker_host = getenv("DOCKER_HOST");
    env->tls_verify = getenv("DOCKER_TLS_VERIFY");
    env->tls = getenv("DOCKER_TLS");
    env->cert_path = getenv("DOCKER_CERT_PATH");
    env->api_version = getenv("DOCKER_API_VERSION");
    env->home = getenv("HOME");
    env->context = getenv("DOCKER_CONTEXT");
    env->config_dir = getenv("DOCKER_CONFIG");
}

/* "1.N" (digits '.' digits): what DOCKER_API_VERSION must look like. */
static bool valid_version(const char *v)
{
    const char *p = v;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p++ != '.' || !isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    return *p == '\0' && strlen(v) < 16;
}

/* tcp://host[:port][/] -> base URL.  IPv6 hosts come bracketed. */
static eng_status parse_tcp(eng_config *cfg, const char *rest, eng_error *err)
{
    char hostpart[512];
    /* The path starts at the first '/' after the host (an IPv6 host has none). */
    const char *after = rest[0] == '[' && strchr(rest, ']') ? strchr(rest, ']') : rest;
    const char *slash = strchr(after, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (slash && strcmp(slash, "/") != 0)
        return eng_fail(err, ENG_ERR_CONFIG,
                        "DOCKER_HOST=%s: a path after the address is not supported", cfg->host);
    if (n >= sizeof hostpart)
        return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_HOST=%s: address too long", cfg->host);
    memcpy(hostpart, rest, n);
    hostpart[n] = '\0';

    char host[sizeof hostpart + 2];
    const char *port = NULL;
    if (hostpart[0] == '[') {
        char *close = strchr(hostpart, ']');
        if (!close)
            return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_HOST=%s: unclosed '[' in the address",
                            cfg->host);
        *close = '\0';
        snprintf(host, sizeof host, "[%s]", hostpart + 1);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_HOST=%s: junk after ']'", cfg->host);
    } else {
        char *colon = strchr(hostpart, ':');
        if (colon) {
            if (strchr(colon + 1, ':'))
                return eng_fail(err, ENG_ERR_CONFIG,
                                "DOCKER_HOST=%s: an IPv6 address must be in brackets", cfg->host);
            *colon = '\0';
            port = colon + 1;
        }
        /* The CLI's default host for "tcp://:2375". */
        copy(host, sizeof host, hostpart[0] ? hostpart : "127.0.0.1");
    }

    long portnum = cfg->tls ? 2376 : 2375;
    if (port) {
        char *end;
        errno = 0;
        portnum = strtol(port, &end, 10);
        if (!*port || *end || errno || portnum < 1 || portnum > 65535)
            return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_HOST=%s: bad port \"%s\"", cfg->host,
                            port);
    }
    snprintf(cfg->base_url, sizeof cfg->base_url, "%s://%s:%ld", cfg->tls ? "https" : "http",
             host, portnum);
    return ENG_OK;
}

eng_status eng_config_for_host(eng_config *cfg, const char *host, const eng_env *env,
                               eng_error *err)
{
    static const eng_env none;
    if (!env)
        env = &none;
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 10000;
    if (!set(host))
        host = "unix:///var/run/docker.sock";
    if (strlen(host) >= sizeof cfg->host)
        return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_HOST is too long");
    copy(cfg->host, sizeof cfg->host, host);

    /* As the CLI: DOCKER_TLS_VERIFY set to anything (even "0") means verify. */
    cfg->tls_verify = set(env->tls_verify);
    cfg->tls = cfg->tls_verify || set(env->tls);

    if (set(env->api_version)) {
        if (!valid_version(env->api_version))
            return eng_fail(err, ENG_ERR_CONFIG,
                            "DOCKER_API_VERSION=%s: expected a version like 1.41",
                            env->api_version);
        copy(cfg->api_version, sizeof cfg->api_version, env->api_version);
    }

    const char *sep = strstr(host, "://");
    eng_status st;
    if (sep && strncmp(host, "unix://", 7) == 0) {
        const char *path = host + 7;
        if (!*path)
            return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_HOST=%s: no socket path", host);
        if (strlen(path) >= sizeof cfg->socket_path)
            return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_HOST=%s: socket path too long", host);
        cfg->is_unix = true;
        copy(cfg->socket_path, sizeof cfg->socket_path, path);
        /* The socket path replaces the host; curl still wants an authority
         * (and the daemon ignores it).  TLS over a unix socket is possible
         * but unheard of; the CLI ignores TLS there too. */
        cfg->tls = cfg->tls_verify = false;
        copy(cfg->base_url, sizeof cfg->base_url, "http://localhost");
        return ENG_OK;
    } else if (sep && strncmp(host, "tcp://", 6) == 0) {
        st = parse_tcp(cfg, host + 6, err);
    } else if (sep) {
        return eng_fail(err, ENG_ERR_CONFIG,
                        "DOCKER_HOST=%s: only unix:// and tcp:// are supported", host);
    } else {
        st = parse_tcp(cfg, host, err); /* the CLI reads "host:port" as tcp */
    }
    if (st != ENG_OK || !cfg->tls)
        return st;

    /* Room for "/cert.pem" after the directory. */
    char dir[ENG_PATH_MAX - 16];
    int dn = set(env->cert_path)
                 ? snprintf(dir, sizeof dir, "%s", env->cert_path)
                 : snprintf(dir, sizeof dir, "%s/.docker", set(env->home) ? env->home : "/root");
    if (dn < 0 || (size_t)dn >= sizeof dir)
        return eng_fail(err, ENG_ERR_CONFIG, "DOCKER_CERT_PATH is too long");
    snprintf(cfg->ca_file, sizeof cfg->ca_file, "%s/ca.pem", dir);
    snprintf(cfg->cert_file, sizeof cfg->cert_file, "%s/cert.pem", dir);
    snprintf(cfg->key_file, sizeof cfg->key_file, "%s/key.pem", dir);
    if (!readable(cfg->ca_file)) {
        if (cfg->tls_verify)
            return eng_fail(err, ENG_ERR_CONFIG,
                            "DOCKER_TLS_VERIFY is set but %s can't be read (set DOCKER_CERT_PATH)",
                            cfg->ca_file);
        cfg->ca_file[0] = '\0';
    }
    bool have_cert = readable(cfg->cert_file), have_key = readable(cfg->key_file);
    if (have_cert != have_key)
        return eng_fail(err, ENG_ERR_CONFIG, "TLS: %s without %s",
                        have_cert ? cfg->cert_file : cfg->key_file,
                        have_cert ? cfg->key_file : cfg->cert_file);
    if (!have_cert)
        cfg->cert_file[0] = cfg->key_file[0] = '\0';
    return ENG_OK;
}

/* The docker config directory: DOCKER_CONFIG, else $HOME/.docker; false
 * when neither is known. */
static bool config_dir(const eng_env *env, char *dir, size_t len)
{
    int n;
    if (set(env->config_dir))
        n = snprintf(dir, len, "%s", env->config_dir);
    else if (set(env->home))
        n = snprintf(dir, len, "%s/.docker", env->home);
    else
        return false;
    return n > 0 && (size_t)n < len;
}

/* The context the CLI would use ("" = none: the DOCKER_* values). */
static eng_status context_name(const eng_env *env, const char *dir, char *name, size_t len,
                               eng_error *err)
{
    name[0] = '\0';
    if (set(env->docker_host))
        return ENG_OK;
    if (set(env->context)) {
        copy(name, len, env->context);
    } else {
        char path[ENG_PATH_MAX];
        int pn = snprintf(path, sizeof path, "%s/config.json", dir);
        if (pn < 0 || (size_t)pn >= sizeof path || access(path, F_OK) != 0)
            return ENG_OK;
        json_error_t jerr;
        json_t *root = json_load_file(path, 0, &jerr);
        if (!root)
            return eng_fail(err, ENG_ERR_CONFIG, "%s:%d:%d: not valid JSON", path, jerr.line,
                            jerr.column);
        copy(name, len, json_string_value(json_object_get(root, "currentContext")));
        json_decref(root);
    }
    if (strcmp(name, "default") == 0)
        name[0] = '\0';
    return ENG_OK;
}

/* Find context `name` under dir/contexts/meta: its host, whether to skip
 * verification, and its TLS directory. */
static eng_status context_endpoint(const char *dir, const char *name, char *host, size_t hostlen,
                                   bool *skip_verify, char *tls_dir, size_t tlslen, eng_error *err)
{
    char meta[ENG_PATH_MAX];
    int mn = snprintf(meta, sizeof meta, "%s/contexts/meta", dir);
    if (mn < 0 || (size_t)mn >= sizeof meta)
        return eng_fail(err, ENG_ERR_CONFIG, "docker config directory too long");
    DIR *d = opendir(meta);
    struct dirent *de;
    bool found = false;
    while (d && !found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[ENG_PATH_MAX];
        int pn = snprintf(path, sizeof path, "%s/%s/meta.json", meta, de->d_name);
        if (pn < 0 || (size_t)pn >= sizeof path)
            continue;
        json_t *root = json_load_file(path, 0, NULL);
        const char *n = json_string_value(json_object_get(root, "Name"));
        if (n && strcmp(n, name) == 0) {
            json_t *ep = json_object_get(json_object_get(root, "Endpoints"), "docker");
            copy(host, hostlen, json_string_value(json_object_get(ep, "Host")));
            *skip_verify = json_is_true(json_object_get(ep, "SkipTLSVerify"));
            int tn = snprintf(tls_dir, tlslen, "%s/contexts/tls/%s/docker", dir, de->d_name);
            found = tn > 0 && (size_t)tn < tlslen;
        }
        json_decref(root);
    }
    if (d)
        closedir(d);
    if (!found)
        return eng_fail(err, ENG_ERR_CONFIG, "docker context \"%s\": no such context in %s", name,
                        meta);
    if (!host[0])
        return eng_fail(err, ENG_ERR_CONFIG, "docker context \"%s\": no docker endpoint host",
                        name);
    return ENG_OK;
}

eng_status eng_config_from_env(eng_config *cfg, const eng_env *env, eng_error *err)
{
    static const eng_env none = {0};
    if (!env)
        env = &none;
    char dir[ENG_PATH_MAX - 64], name[128] = "";
    if (config_dir(env, dir, sizeof dir)) {
        eng_status st = context_name(env, dir, name, sizeof name, err);
        if (st != ENG_OK)
            return st;
    }
    if (!name[0])
        return eng_config_for_host(cfg, env->docker_host, env, err);

    char host[512], tls_dir[ENG_PATH_MAX - 16];
    bool skip_verify = false;
    eng_status st =
        context_endpoint(dir, name, host, sizeof host, &skip_verify, tls_dir, sizeof tls_dir, err);
    if (st != ENG_OK)
        return st;
    /* A context's own TLS material decides, not the DOCKER_TLS* variables. */
    char ca[ENG_PATH_MAX], cert[ENG_PATH_MAX];
    int cn = snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
    int tn = snprintf(cert, sizeof cert, "%s/cert.pem", tls_dir);
    bool has_tls = cn > 0 && (size_t)cn < sizeof ca && tn > 0 && (size_t)tn < sizeof cert &&
                   (readable(ca) || readable(cert));
    eng_env from_context = *env;
    from_context.docker_host = host;
    from_context.cert_path = has_tls ? tls_dir : NULL;
    from_context.tls_verify = has_tls && !skip_verify ? "1" : NULL;
    from_context.tls = has_tls ? "1" : NULL;
    st = eng_config_for_host(cfg, host, &from_context, err);
    if (st != ENG_OK) {
        char why[sizeof err->message];
        copy(why, sizeof why, err->message);
        return eng_fail(err, st, "docker context \"%s\": %s", name, why);
    }
    copy(cfg->context, sizeof cfg->context, name);
    return ENG_OK;
}

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */

static bool parse_version(const char *v, long *major, long *minor)
{
    if (!v || !valid_version(v))
        return false;
    char *end;
    *major = strtol(v, &end, 10);
    *minor = strtol(end + 1, NULL, 10);
    return true;
}

int eng_version_cmp(const char *a, const char *b)
{
    long amaj, amin, bmaj, bmin;
    bool ao = parse_version(a, &amaj, &amin), bo = parse_version(b, &bmaj, &bmin);
    if (!ao || !bo)
        return (int)ao - (int)bo;
    if (amaj != bmaj)
        return amaj < bmaj ? -1 : 1;
    if (amin != bmin)
        return amin < bmin ? -1 : 1;
    return 0;
}

eng_status eng_negotiate_version(const char *server, char out[16], eng_error *err)
{
    /* The CLI assumes 1.24 for a daemon that sends no header; such a daemon
     * predates what we need, so say so rather than fail later. */
    if (!set(server))
        return eng_fail(err, ENG_ERR_PROTOCOL,
                        "the daemon sent no Api-Version header: it is older than API %s, "
                        "which this client needs (set DOCKER_API_VERSION to force one)",
                        ENG_API_VERSION_MIN);
    if (!valid_version(server))
        return eng_fail(err, ENG_ERR_PROTOCOL, "the daemon's Api-Version \"%.40s\" is not a version",
                        server);
    if (eng_version_cmp(server, ENG_API_VERSION_MIN) < 0)
        return eng_fail(err, ENG_ERR_PROTOCOL,
                        "the daemon speaks API %s; this client needs at least %s", server,
                        ENG_API_VERSION_MIN);
    copy(out, 16, eng_version_cmp(server, ENG_API_VERSION_MAX) < 0 ? server : ENG_API_VERSION_MAX);
    return ENG_OK;
}

bool eng_header_value(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return false;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vl = (size_t)(end - v);
    if (outlen == 0)
        return true;
    if (vl >= outlen)
        vl = outlen - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return true;
}

/* ------------------------------------------------------------------------ */
/* Client                                                                   */

eng_status eng_client_new(const eng_config *cfg, eng_client **out, eng_error *err)
{
    eng_client *c = calloc(1, sizeof *c);
    if (!c)
        return eng_fail(err, ENG_ERR_NOMEM, "out of memory");
    c->cfg = *cfg;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return eng_fail(err, ENG_ERR_NOMEM, "curl_easy_init failed");
    }
    copy(c->version, sizeof c->version, cfg->api_version);
    *out = c;
    return ENG_OK;
}

void eng_client_free(eng_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

const eng_config *eng_client_config(const eng_client *c) { return &c->cfg; }

const char *eng_client_api_version(const eng_client *c) { return c->version; }

void eng_response_clear(eng_response *r)
{
    if (!r)
        return;
    json_decref(r->json);
    free(r->body);
    memset(r, 0, sizeof *r);
}

char *eng_escape(const char *s)
{
    /* curl_easy_escape without a handle is fine (documented: may be NULL). */
    char *e = curl_easy_escape(NULL, s, 0);
    if (!e)
        return NULL;
    char *dup = strdup(e);
    curl_free(e);
    return dup;
}

/* One transfer's state, shared by the callbacks. */
struct xfer {
    const eng_request_opts *o;
    CURL *curl;
    char *buf;             /* buffered body (always for errors) */
    size_t len, cap;
    bool aborted;          /* on_data asked to stop */
    bool too_big;
    bool got_header;       /* the daemon started answering */
    char api_version[16];
    const char *up;        /* in-memory upload */
    size_t up_len, up_off;
};

enum { MAX_BUFFERED = 256 << 20 }; /* a JSON answer larger than this is not sane */

static int buf_append(struct xfer *x, const char *data, size_t n)
{
    if (x->len + n + 1 > x->cap) {
        if (x->len + n + 1 > MAX_BUFFERED) {
            x->too_big = true;
            return -1;
        }
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < x->len + n + 1)
            cap *= 2;
        char *nb = realloc(x->buf, cap);
        if (!nb)
            return -1;
        x->buf = nb;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
    if (x->o && x->o->on_data && status < 400) {
        if (x->o->on_data(data, n, x->o->ud) != 0) {
            x->aborted = true;
            return 0;
        }
        return n;
    }
    return buf_append(x, data, n) == 0 ? n : 0;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    x->got_header = true;
    eng_header_value(line, n, "Api-Version", x->api_version, sizeof x->api_version);
    return n;
}

static size_t on_read(char *dst, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t want = size * nmemb;
    if (x->o->upload) {
        size_t got = fread(dst, 1, want, x->o->upload);
        if (got == 0 && ferror(x->o->upload))
            return CURL_READFUNC_ABORT;
        return got;
    }
    size_t left = x->up_len - x->up_off;
    if (want > left)
        want = left;
    memcpy(dst, x->up + x->up_off, want);
    x->up_off += want;
    return want;
}

static bool is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

/* Why connecting to a unix socket failed, in words. */
static void unix_socket_problem(const char *path, char *out, size_t outlen)
{
    struct stat st;
    if (stat(path, &st) != 0)
        snprintf(out, outlen, "%s: %s", path, strerror(errno));
    else if (!S_ISSOCK(st.st_mode))
        snprintf(out, outlen, "%s is not a socket", path);
    else if (access(path, W_OK) != 0)
        snprintf(out, outlen, "%s: %s", path, strerror(errno));
    else
        snprintf(out, outlen, "%s: connection refused (no daemon listens there)", path);
}

/* Did the transfer get as far as a connection?  A time-out before that
 * means the daemon is not reachable, not that it is slow.  (A unix socket
 * connects in well under a microsecond, so an answer's header counts too.) */
static bool connected(CURL *h, const struct xfer *x)
{
    curl_off_t t = 0;
    return x->got_header ||
           (curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &t) == CURLE_OK && t > 0);
}

/* The daemon's error text from an error body: {"message": ...}, else the
 * first line of a text body.  Written into out. */
static void daemon_message(const char *body, size_t len, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!body || len == 0)
        return;
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *m = j ? json_string_value(json_object_get(j, "message")) : NULL;
    if (m) {
        copy(out, outlen, m);
    } else {
        size_t n = strcspn(body, "\r\n");
        if (n >= outlen)
            n = outlen - 1;
        memcpy(out, body, n);
        out[n] = '\0';
    }
    json_decref(j);
    /* One line: the daemon's messages sometimes hold newlines. */
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* The transfer itself: no version logic. */
static eng_status perform(eng_client *c, const char *method, const char *url_path,
                          const eng_request_opts *o, eng_response *resp, eng_error *err)
{
    static const eng_request_opts noopts;
    if (!o)
        o = &noopts;
    CURL *h = c->curl;
    const eng_config *cfg = &c->cfg;
    struct xfer x = {.o = o, .curl = h};
    char *payload = NULL;
    struct curl_slist *hdrs = NULL;
    eng_status st = ENG_OK;
    long status = 0;
    char errbuf[CURL_ERROR_SIZE] = "";

    size_t ulen = strlen(cfg->base_url) + strlen(url_path) + 1;
    char *url = malloc(ulen);
    if (!url)
        return eng_fail(err, ENG_ERR_NOMEM, "out of memory");
    snprintf(url, ulen, "%s%s", cfg->base_url, url_path);

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    if (o->timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    /* Proxies from the environment must never see daemon traffic. */
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    if (cfg->is_unix)
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, cfg->socket_path);
    if (cfg->tls) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, cfg->tls_verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, cfg->tls_verify ? 2L : 0L);
        if (cfg->ca_file[0])
            curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
        if (cfg->cert_file[0]) {
            curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
            curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
        }
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);

    /* Large uploads (build contexts) would otherwise wait a second for a
     * 100-continue the daemon does not need to send. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    for (const char *const *p = o->headers; p && *p; p++)
        hdrs = curl_slist_append(hdrs, *p);

    bool has_body = false;
    if (o->json_body) {
        payload = json_dumps(o->json_body, JSON_COMPACT);
        if (!payload) {
            st = eng_fail(err, ENG_ERR_NOMEM, "out of memory encoding the request");
            goto out;
        }
        x.up = payload;
        x.up_len = strlen(payload);
        has_body = true;
    } else if (o->body) {
        x.up = o->body;
        x.up_len = o->body_len;
        has_body = true;
    } else if (o->upload) {
        has_body = true;
    }
    if (has_body) {
        char ct[160];
        snprintf(ct, sizeof ct, "Content-Type: %s",
                 o->content_type ? o->content_type : "application/json");
        hdrs = curl_slist_append(hdrs, ct);
        /* POST with a read callback: curl sends Content-Length when told the
         * size, chunked otherwise. */
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &x);
        long long size = o->upload ? o->upload_len : (long long)x.up_len;
        if (size >= 0)
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
        else
            hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        /* A POST without a body still needs Content-Length: 0. */
        if (strcmp(method, "POST") == 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
        }
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    if (err) {
        err->code = ENG_OK;
        err->message[0] = '\0';
        err->http_status = 0;
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);

    if (rc != CURLE_OK) {
        if (x.aborted) {
            /* The stream consumer stopped us; it may have said why. */
            st = err && err->code != ENG_OK
                     ? err->code
                     : eng_fail(err, ENG_ERR_IO, "%s %s: stopped while reading the answer", method,
                                url_path);
        } else if (x.too_big) {
            st = eng_fail(err, ENG_ERR_PROTOCOL, "%s %s: answer larger than %d MiB", method,
                          url_path, MAX_BUFFERED >> 20);
        } else if (is_tls_error(rc) ||
                   (cfg->tls && status == 0 && (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) &&
                    (strstr(detail, "SSL") || strstr(detail, "alert")))) {
            /* With TLS 1.3 a refused client certificate shows up as a
             * failed read after the handshake: still a TLS failure. */
            st = eng_fail(err, ENG_ERR_TLS,
                          "TLS with the Docker daemon at %s failed (CA %s, client certificate %s): %s",
                          cfg->host, cfg->ca_file[0] ? cfg->ca_file : "none",
                          cfg->cert_file[0] ? cfg->cert_file : "none", detail);
        } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                   rc == CURLE_COULDNT_RESOLVE_PROXY ||
                   (rc == CURLE_OPERATION_TIMEDOUT && !connected(h, &x))) {
            /* curl words a unix socket failure as "localhost port 80": say
             * what is wrong with the socket instead. */
            char why[ENG_PATH_MAX + 64];
            unix_socket_problem(cfg->socket_path, why, sizeof why);
            char from[200] = "DOCKER_HOST selects another";
            if (cfg->context[0])
                snprintf(from, sizeof from, "from docker context \"%s\"", cfg->context);
            st = eng_fail(err, ENG_ERR_UNREACHABLE,
                          "cannot connect to the Docker daemon at %s (is dockerd running? %s): %s",
                          cfg->host, from, cfg->is_unix ? why : detail);
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            st = eng_fail(err, ENG_ERR_TIMEOUT, "%s %s: no complete answer from %s within %ld ms",
                          method, url_path, cfg->host, o->timeout_ms);
        } else if (rc == CURLE_OUT_OF_MEMORY || (rc == CURLE_WRITE_ERROR && !x.aborted)) {
            st = eng_fail(err, ENG_ERR_NOMEM, "%s %s: out of memory reading the answer", method,
                          url_path);
        } else if (rc == CURLE_GOT_NOTHING && status == 0) {
            st = eng_fail(err, ENG_ERR_UNREACHABLE,
                          "the Docker daemon at %s closed the connection without answering "
                          "(a TLS port? then set DOCKER_TLS_VERIFY=1)",
                          cfg->host);
        } else if (rc == CURLE_READ_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) {
            st = eng_fail(err, ENG_ERR_IO, "%s %s: reading the request body failed", method,
                          url_path);
        } else {
            st = eng_fail(err, ENG_ERR_UNREACHABLE, "%s %s at %s: %s", method, url_path,
                          cfg->host, detail);
        }
        goto out;
    }

    if (status >= 400) {
        char msg[600];
        daemon_message(x.buf, x.len, msg, sizeof msg);
        /* A plain-HTTP request to a TLS port: Go's TLS server says so in a 400. */
        if (status == 400 && strstr(msg, "HTTP request to an HTTPS server")) {
            st = eng_fail(err, ENG_ERR_TLS,
                          "the Docker daemon at %s wants TLS (set DOCKER_TLS_VERIFY=1 and "
                          "DOCKER_CERT_PATH): %s",
                          cfg->host, msg);
        } else {
            st = eng_fail(err, ENG_ERR_HTTP, "%s (HTTP %ld from %s %s)",
                          msg[0] ? msg : "no message", status, method, url_path);
            if (err)
                err->http_status = status;
        }
    }

out:
    /* The handle must not keep pointers into this frame (errbuf, x, hdrs);
     * reset keeps the connection for the next request. */
    curl_easy_reset(h);
    if (resp) {
        memset(resp, 0, sizeof *resp);
        resp->status = status;
        copy(resp->api_version, sizeof resp->api_version, x.api_version);
        if (x.buf) {
            resp->body = x.buf;
            resp->body_len = x.len;
            x.buf = NULL;
            resp->json = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, NULL);
        }
    }
    free(x.buf);
    free(payload);
    free(url);
    curl_slist_free_all(hdrs);
    return st;
}

eng_status eng_client_connect(eng_client *c, eng_error *err)
{
    eng_response r;
    eng_request_opts o = {.unversioned = true, .timeout_ms = c->cfg.connect_timeout_ms + 20000};
    eng_status st = perform(c, "GET", "/_ping", &o, &r, err);
    /* The CLI uses the header even from an error answer. */
    if (st != ENG_OK && st != ENG_ERR_HTTP) {
        eng_response_clear(&r);
        return st;
    }
    if (st == ENG_ERR_HTTP && !r.api_version[0]) {
        eng_response_clear(&r);
        return st;
    }
    if (c->cfg.api_version[0]) {
        copy(c->version, sizeof c->version, c->cfg.api_version);
        st = ENG_OK;
    } else {
        st = eng_negotiate_version(r.api_version, c->version, err);
    }
    eng_response_clear(&r);
    return st;
}

eng_status eng_request(eng_client *c, const char *method, const char *path,
                       const eng_request_opts *opts, eng_response *resp, eng_error *err)
{
    if (resp)
        memset(resp, 0, sizeof *resp);
    bool unversioned = opts && opts->unversioned;
    if (!unversioned && !c->version[0]) {
        eng_status st = eng_client_connect(c, err);
        if (st != ENG_OK)
            return st;
    }
    if (unversioned)
        return perform(c, method, path, opts, resp, err);
    size_t n = strlen(path) + 24;
    char *full = malloc(n);
    if (!full)
        return eng_fail(err, ENG_ERR_NOMEM, "out of memory");
    snprintf(full, n, "/v%s%s", c->version, path);
    eng_status st = perform(c, method, full, opts, resp, err);
    free(full);
    return st;
}

eng_status eng_json(eng_client *c, const char *method, const char *path, json_t *body,
                    eng_response *resp, eng_error *err)
{
    eng_request_opts o = {.json_body = body};
    return eng_request(c, method, path, &o, resp, err);
}

/* ------------------------------------------------------------------------ */
/* Registry credentials                                                     */

char *eng_base64url(const unsigned char *data, size_t len)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = tab[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

static int b64val(int ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

unsigned char *eng_base64_decode(const char *s, size_t *outlen)
{
    size_t len = strlen(s);
    unsigned char *out = malloc(len / 4 * 3 + 4);
    if (!out)
        return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') {
            pad++;
            continue;
        }
        int v = b64val((unsigned char)s[i]);
        if (v < 0 || pad) { /* junk, or data after padding */
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    if (pad > 2 || bits >= 6) { /* a lone 6-bit group can't be a byte */
        free(out);
        return NULL;
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

void eng_registry_of_image(const char *image, char *out, size_t outlen)
{
    const char *slash = strchr(image, '/');
    if (slash) {
        size_t n = (size_t)(slash - image);
        bool reg = memchr(image, '.', n) || memchr(image, ':', n) ||
                   (n == 9 && strncmp(image, "localhost", 9) == 0);
        if (reg) {
            if (n >= outlen)
                n = outlen - 1;
            memcpy(out, image, n);
            out[n] = '\0';
            return;
        }
    }
    copy(out, outlen, "docker.io");
}

/* "https://host:port/v2/" -> "host:port"; docker.io's aliases -> docker.io. */
static void normalise_registry(const char *key, char *out, size_t outlen)
{
    const char *p = strstr(key, "://");
    p = p ? p + 3 : key;
    size_t n = strcspn(p, "/");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0)
        copy(out, outlen, "docker.io");
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

eng_status eng_registry_auth(const char *config_path, const char *registry, char **out,
                             bool *found, char *warning, size_t warning_len, eng_error *err)
{
    char path[ENG_PATH_MAX];
    *out = NULL;
    if (found)
        *found = false;
    if (warning && warning_len)
        warning[0] = '\0';
    if (config_path) {
        copy(path, sizeof path, config_path);
    } else {
        eng_env env;
        char dir[ENG_PATH_MAX - 16];
        eng_env_from_environ(&env);
        if (!config_dir(&env, dir, sizeof dir))
            copy(dir, sizeof dir, "/root/.docker");
        snprintf(path, sizeof path, "%s/config.json", dir);
    }

    json_t *root = NULL;
    eng_status st = ENG_OK;
    json_t *cred = NULL;
    if (access(path, F_OK) == 0) {
        json_error_t jerr;
        FILE *f = fopen(path, "r");
        if (!f)
            return eng_fail(err, ENG_ERR_IO, "%s: %s", path, strerror(errno));
        root = json_loadf(f, 0, &jerr);
        fclose(f);
        /* jerr.text could quote the file's content (a password): only say where. */
        if (!root)
            return eng_fail(err, ENG_ERR_CONFIG, "%s:%d:%d: not valid JSON", path, jerr.line,
                            jerr.column);
        if (!json_is_object(root)) {
            json_decref(root);
            return eng_fail(err, ENG_ERR_CONFIG, "%s: not a JSON object", path);
        }
    }

    char want[256], have[256];
    normalise_registry(registry ? registry : "docker.io", want, sizeof want);
    const char *key;
    json_t *entry = NULL, *e;
    /* A credential helper, when the file names one for this registry
     * (credHelpers) or for all (credsStore), is the only source, as in the
     * docker CLI: the file's "auths" then hold no secrets. */
    const char *helper = NULL;
    json_t *helpers = root ? json_object_get(root, "credHelpers") : NULL;
    if (json_is_object(helpers)) {
        json_object_foreach(helpers, key, e) {
            normalise_registry(key, have, sizeof have);
            if (strcmp(have, want) == 0 && set(json_string_value(e))) {
                helper = json_string_value(e);
                break;
            }
        }
    }
    if (!helper && root && set(json_string_value(json_object_get(root, "credsStore"))))
        helper = json_string_value(json_object_get(root, "credsStore"));
    if (helper) {
        credhelper_creds hc;
        /* the server address `docker login` stores under */
        const char *server = strcmp(want, "docker.io") == 0 ? "https://index.docker.io/v1/" : want;
        st = credhelper_get(helper, server, ENG_CRED_HELPER_TIMEOUT_MS, &hc, err);
        if (st == ENG_OK && hc.found) {
            cred = json_object();
            if (!cred)
                st = eng_fail(err, ENG_ERR_NOMEM, "out of memory");
            else if (hc.identity_token)
                json_object_set_new(cred, "identitytoken", json_string(hc.secret));
            else {
                json_object_set_new(cred, "username", json_string(hc.username));
                json_object_set_new(cred, "password", json_string(hc.secret));
            }
            if (cred) {
                json_object_set_new(cred, "serveraddress", json_string(registry ? registry : want));
                if (found)
                    *found = true;
            }
        }
        credhelper_creds_free(&hc);
        if (st == ENG_ERR_CONFIG) {
            /* the helper failed: no credentials, and the reason for the user */
            if (warning && warning_len)
                snprintf(warning, warning_len, "%s; going on without credentials for %s",
                         err->message, want);
            st = ENG_OK;
        } else if (st != ENG_OK) {
            json_decref(cred);
            json_decref(root);
            return st;
        }
    }
    json_t *auths = root && !helper ? json_object_get(root, "auths") : NULL;
    if (json_is_object(auths)) {
        json_object_foreach(auths, key, e) {
            normalise_registry(key, have, sizeof have);
            if (strcmp(have, want) == 0 && json_is_object(e)) {
                entry = e;
                break;
            }
        }
    }

    if (entry) {
        const char *auth = json_string_value(json_object_get(entry, "auth"));
        const char *user = json_string_value(json_object_get(entry, "username"));
        const char *pass = json_string_value(json_object_get(entry, "password"));
        const char *token = json_string_value(json_object_get(entry, "identitytoken"));
        char *decoded = NULL;
        size_t dl = 0;
        if (set(auth)) {
            decoded = (char *)eng_base64_decode(auth, &dl);
            char *colon = decoded ? strchr(decoded, ':') : NULL;
            if (!colon) {
                if (decoded)
                    explicit_bzero(decoded, dl);
                free(decoded);
                json_decref(root);
                return eng_fail(err, ENG_ERR_CONFIG,
                                "%s: the \"auth\" of registry %s is not base64 of user:password",
                                path, want);
            }
            *colon = '\0';
            user = decoded;
            pass = colon + 1;
        }
        cred = json_object();
        if (!cred) {
            if (decoded)
                explicit_bzero(decoded, dl);
            free(decoded);
            json_decref(root);
            return eng_fail(err, ENG_ERR_NOMEM, "out of memory");
        }
        if (set(token)) {
            json_object_set_new(cred, "identitytoken", json_string(token));
        } else if (set(user)) {
            json_object_set_new(cred, "username", json_string(user));
            json_object_set_new(cred, "password", json_string(pass ? pass : ""));
        }
        if (json_object_size(cred) > 0) {
            json_object_set_new(cred, "serveraddress", json_string(registry ? registry : want));
            if (found)
                *found = true;
        }
        if (decoded) {
            /* The JSON holds its own copies; wipe the decoded password now. */
            explicit_bzero(decoded, dl);
            free(decoded);
        }
    }

    char *text = cred && json_object_size(cred) > 0 ? json_dumps(cred, JSON_COMPACT) : strdup("{}");
    if (!text) {
        st = eng_fail(err, ENG_ERR_NOMEM, "out of memory");
    } else {
        *out = eng_base64url((const unsigned char *)text, strlen(text));
        if (!*out)
            st = eng_fail(err, ENG_ERR_NOMEM, "out of memory");
        wipe_free(text);
    }
    json_decref(cred);
    json_decref(root);
    return st;
}
