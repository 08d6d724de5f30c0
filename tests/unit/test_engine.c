/*
 * Unit tests for provision/engine (and the request side of provision/docker):
 *   - DOCKER_* values -> connection settings, as the docker CLI reads them;
 *   - API version comparison and negotiation, header parsing;
 *   - base64url (X-Registry-Auth) and the docker config.json "auths" lookup;
 *   - the client against a fake daemon: a thread answering HTTP on a unix
 *     socket in a temporary directory, with canned answers and a record of
 *     what was asked (paths, X-Registry-Auth).  It checks negotiation
 *     through real Api-Version headers, error messages from {"message"}
 *     bodies, the TLS hint, streaming, and transport errors (no socket,
 *     refused TCP port).
 * Expected values come from the Docker documentation and RFC 4648, never
 * from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "provision/docker.h"
#include "provision/engine.h"

/* ---- temporary directories ---- */

static char *make_tmpdir(void)
{
    char *d = strdup("/tmp/test_engine.XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- DOCKER_* -> settings ---- */

static void test_default_is_the_unix_socket(void **state)
{
    (void)state;
    eng_env env = {0};
    eng_config cfg;
    eng_error err = {0};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_true(cfg.is_unix);
    assert_string_equal(cfg.socket_path, "/var/run/docker.sock");
    assert_string_equal(cfg.base_url, "http://localhost");
    assert_false(cfg.tls);
    assert_string_equal(cfg.api_version, "");
    /* an empty DOCKER_HOST is the same as none */
    env.docker_host = "";
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.socket_path, "/var/run/docker.sock");
}

static void test_unix_and_tcp_hosts(void **state)
{
    (void)state;
    eng_env env = {.docker_host = "unix:///run/other/docker.sock"};
    eng_config cfg;
    eng_error err = {0};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_true(cfg.is_unix);
    assert_string_equal(cfg.socket_path, "/run/other/docker.sock");

    env.docker_host = "tcp://10.1.2.3";
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_false(cfg.is_unix);
    assert_string_equal(cfg.base_url, "http://10.1.2.3:2375");

    env.docker_host = "tcp://swarm-0:4243/";
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.base_url, "http://swarm-0:4243");

    env.docker_host = "tcp://[fd00::2]:2375";
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.base_url, "http://[fd00::2]:2375");

    /* the CLI reads a bare host:port as tcp */
    env.docker_host = "192.168.99.100:2376";
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.base_url, "http://192.168.99.100:2376");

    /* an explicit host for a second engine, settings otherwise empty */
    assert_int_equal(eng_config_for_host(&cfg, "unix:///run/e2.sock", NULL, &err), ENG_OK);
    assert_string_equal(cfg.socket_path, "/run/e2.sock");
}

static void test_bad_hosts(void **state)
{
    (void)state;
    const char *bad[] = {"ssh://user@host", "npipe:////./pipe/docker_engine", "unix://",
                         "tcp://host:0", "tcp://host:65536", "tcp://host:12ab",
                         "tcp://host:2375/some/path", "tcp://fd00::2:2375", "tcp://[fd00::2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eng_env env = {.docker_host = bad[i]};
        eng_config cfg;
        eng_error err = {0};
        assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_ERR_CONFIG);
        assert_int_equal(err.code, ENG_ERR_CONFIG);
        /* the message names the setting and its value */
        assert_non_null(strstr(err.message, "DOCKER_HOST"));
        assert_non_null(strstr(err.message, bad[i]));
    }
}

static void test_tls_settings(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    write_file(dir, "ca.pem", "ca");
    write_file(dir, "cert.pem", "cert");
    write_file(dir, "key.pem", "key");
    eng_config cfg;
    eng_error err = {0};

    /* DOCKER_TLS_VERIFY: any non-empty value, even "0", verifies; port 2376 */
    eng_env env = {.docker_host = "tcp://swarm-0", .tls_verify = "0", .cert_path = dir};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_true(cfg.tls);
    assert_true(cfg.tls_verify);
    assert_string_equal(cfg.base_url, "https://swarm-0:2376");
    char want[800];
    snprintf(want, sizeof want, "%s/ca.pem", dir);
    assert_string_equal(cfg.ca_file, want);
    snprintf(want, sizeof want, "%s/cert.pem", dir);
    assert_string_equal(cfg.cert_file, want);
    snprintf(want, sizeof want, "%s/key.pem", dir);
    assert_string_equal(cfg.key_file, want);

    /* DOCKER_TLS=1: TLS without verification */
    eng_env env2 = {.docker_host = "tcp://swarm-0:2376", .tls = "1", .cert_path = dir};
    assert_int_equal(eng_config_from_env(&cfg, &env2, &err), ENG_OK);
    assert_true(cfg.tls);
    assert_false(cfg.tls_verify);
    assert_string_equal(cfg.base_url, "https://swarm-0:2376");

    /* DOCKER_CERT_PATH alone: no TLS */
    eng_env env3 = {.docker_host = "tcp://swarm-0:2375", .cert_path = dir};
    assert_int_equal(eng_config_from_env(&cfg, &env3, &err), ENG_OK);
    assert_false(cfg.tls);
    assert_string_equal(cfg.base_url, "http://swarm-0:2375");

    /* default cert dir: $HOME/.docker */
    char home[600];
    snprintf(home, sizeof home, "%s/home", dir);
    assert_int_equal(mkdir(home, 0700), 0);
    char dd[700];
    snprintf(dd, sizeof dd, "%s/.docker", home);
    assert_int_equal(mkdir(dd, 0700), 0);
    write_file(dd, "ca.pem", "ca");
    eng_env env4 = {.docker_host = "tcp://h:1", .tls_verify = "1", .home = home};
    assert_int_equal(eng_config_from_env(&cfg, &env4, &err), ENG_OK);
    snprintf(want, sizeof want, "%s/ca.pem", dd);
    assert_string_equal(cfg.ca_file, want);
    assert_string_equal(cfg.cert_file, ""); /* no client certificate there */

    /* verification without a CA file is refused, naming the file */
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    eng_env env5 = {.docker_host = "tcp://h:1", .tls_verify = "1", .cert_path = empty};
    assert_int_equal(eng_config_from_env(&cfg, &env5, &err), ENG_ERR_CONFIG);
    assert_non_null(strstr(err.message, "ca.pem"));
    assert_non_null(strstr(err.message, "DOCKER_TLS_VERIFY"));

    /* a certificate without its key is refused */
    write_file(empty, "cert.pem", "cert");
    eng_env env6 = {.docker_host = "tcp://h:1", .tls = "1", .cert_path = empty};
    assert_int_equal(eng_config_from_env(&cfg, &env6, &err), ENG_ERR_CONFIG);
    assert_non_null(strstr(err.message, "key.pem"));

    /* TLS settings do not apply to a unix socket */
    eng_env env7 = {.docker_host = "unix:///x.sock", .tls_verify = "1", .cert_path = empty};
    assert_int_equal(eng_config_from_env(&cfg, &env7, &err), ENG_OK);
    assert_false(cfg.tls);
    rm_rf(dir);
    free(dir);
}

static void test_api_version_setting(void **state)
{
    (void)state;
    eng_config cfg;
    eng_error err = {0};
    eng_env env = {.api_version = "1.40"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.api_version, "1.40");
    const char *bad[] = {"v1.40", "1", "1.", "latest", "1.40.1", "1.4x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env.api_version = bad[i];
        assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_ERR_CONFIG);
        assert_non_null(strstr(err.message, "DOCKER_API_VERSION"));
    }
}

/* ---- versions and headers ---- */

static void test_version_cmp(void **state)
{
    (void)state;
    assert_true(eng_version_cmp("1.41", "1.41") == 0);
    assert_true(eng_version_cmp("1.9", "1.10") < 0); /* numbers, not strings */
    assert_true(eng_version_cmp("1.41", "1.25") > 0);
    assert_true(eng_version_cmp("2.0", "1.99") > 0);
    assert_true(eng_version_cmp("junk", "1.0") < 0);
}

static void test_negotiate(void **state)
{
    (void)state;
    char v[16];
    eng_error err = {0};
    assert_int_equal(eng_negotiate_version("1.41", v, &err), ENG_OK);
    assert_string_equal(v, "1.41");
    /* a newer daemon: ours */
    assert_int_equal(eng_negotiate_version("1.45", v, &err), ENG_OK);
    assert_string_equal(v, ENG_API_VERSION_MAX);
    /* an older one: theirs */
    assert_int_equal(eng_negotiate_version("1.30", v, &err), ENG_OK);
    assert_string_equal(v, "1.30");
    assert_int_equal(eng_negotiate_version("1.25", v, &err), ENG_OK);
    assert_string_equal(v, "1.25");
    /* too old, missing, garbage */
    assert_int_equal(eng_negotiate_version("1.24", v, &err), ENG_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "1.24"));
    assert_non_null(strstr(err.message, ENG_API_VERSION_MIN));
    assert_int_equal(eng_negotiate_version(NULL, v, &err), ENG_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "Api-Version"));
    assert_int_equal(eng_negotiate_version("", v, &err), ENG_ERR_PROTOCOL);
    assert_int_equal(eng_negotiate_version("one.two", v, &err), ENG_ERR_PROTOCOL);
}

static void test_header_value(void **state)
{
    (void)state;
    char v[16];
    const char *l1 = "Api-Version: 1.41\r\n";
    assert_true(eng_header_value(l1, strlen(l1), "Api-Version", v, sizeof v));
    assert_string_equal(v, "1.41");
    const char *l2 = "api-version:1.40  \r\n"; /* names are case-insensitive */
    assert_true(eng_header_value(l2, strlen(l2), "Api-Version", v, sizeof v));
    assert_string_equal(v, "1.40");
    const char *l3 = "Api-Versions: 1.40\r\n";
    assert_false(eng_header_value(l3, strlen(l3), "Api-Version", v, sizeof v));
    const char *l4 = "HTTP/1.1 200 OK\r\n";
    assert_false(eng_header_value(l4, strlen(l4), "Api-Version", v, sizeof v));
    const char *l5 = "Docker-Content-Digest: sha256:0123456789abcdef\r\n";
    assert_true(eng_header_value(l5, strlen(l5), "Docker-Content-Digest", v, sizeof v));
    assert_string_equal(v, "sha256:01234567"); /* 15 characters + NUL: cut to the buffer */
}

/* ---- base64 and registry auth ---- */

static void test_base64url(void **state)
{
    (void)state;
    /* The facts doc and Docker: base64url("{}") is "e30=". */
    struct { const char *in, *out; } v[] = {
        {"{}", "e30="}, {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}, /* RFC 4648 */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *e = eng_base64url((const unsigned char *)v[i].in, strlen(v[i].in));
        assert_non_null(e);
        assert_string_equal(e, v[i].out);
        free(e);
    }
    /* The URL alphabet: 0xfb 0xff is "+/8=" in standard base64. */
    const unsigned char bytes[] = {0xfb, 0xff};
    char *e = eng_base64url(bytes, 2);
    assert_string_equal(e, "-_8=");
    free(e);

    size_t n;
    unsigned char *d = eng_base64_decode("dXNlcjpwYXNz", &n); /* "user:pass" */
    assert_non_null(d);
    assert_int_equal(n, 9);
    assert_string_equal((char *)d, "user:pass");
    free(d);
    d = eng_base64_decode("Zm9vYmE=", &n);
    assert_string_equal((char *)d, "fooba");
    free(d);
    assert_null(eng_base64_decode("Zm9v!", &n));
    assert_null(eng_base64_decode("Zg==Zg", &n)); /* data after padding */
}

static void test_registry_of_image(void **state)
{
    (void)state;
    struct { const char *img, *reg; } v[] = {
        {"127.0.0.1:5000/cass-entry:5.0", "127.0.0.1:5000"},
        {"192.168.99.100:5000/cassandra", "192.168.99.100:5000"},
        {"registry.example.com/team/app:1", "registry.example.com"},
        {"localhost/x", "localhost"},
        {"cassandra:5.0", "docker.io"},
        {"library/cassandra", "docker.io"},
        {"cassandra@sha256:abc", "docker.io"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char r[128];
        eng_registry_of_image(v[i].img, r, sizeof r);
        assert_string_equal(r, v[i].reg);
    }
}

/* A docker context as `docker context create` writes it: meta.json under a
 * directory named after the context (the CLI uses its sha256; any name
 * works, the Name inside counts), TLS files beside it when given. */
static void write_context(const char *cfg_dir, const char *dirname, const char *meta,
                          const char *tls_files)
{
    char d[600], cmd[1400];
    snprintf(d, sizeof d, "%s/contexts/meta/%s", cfg_dir, dirname);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s/contexts/tls/%s/docker'", d, cfg_dir, dirname);
    assert_int_equal(system(cmd), 0);
    write_file(d, "meta.json", meta);
    for (const char *f = tls_files; f && *f; f += strlen(f) + 1) {
        char tls[700];
        snprintf(tls, sizeof tls, "%s/contexts/tls/%s/docker", cfg_dir, dirname);
        write_file(tls, f, "-----BEGIN CERTIFICATE-----\n");
    }
}

static void test_docker_contexts(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    write_context(dir, "aaaa",
                  "{\"Name\":\"remote\",\"Metadata\":{},\"Endpoints\":{\"docker\":"
                  "{\"Host\":\"tcp://10.1.2.3:2376\",\"SkipTLSVerify\":false}}}",
                  "ca.pem\0cert.pem\0key.pem\0");
    write_context(dir, "bbbb",
                  "{\"Name\":\"lax\",\"Endpoints\":{\"docker\":"
                  "{\"Host\":\"tcp://10.1.2.4:2376\",\"SkipTLSVerify\":true}}}",
                  "ca.pem\0");
    write_context(
        dir, "cccc",
        "{\"Name\":\"sock\",\"Endpoints\":{\"docker\":{\"Host\":\"unix:///run/o.sock\"}}}", NULL);
    write_context(dir, "dddd",
                  "{\"Name\":\"over-ssh\",\"Endpoints\":{\"docker\":{\"Host\":\"ssh://me@h\"}}}",
                  NULL);
    eng_config cfg;
    eng_error err = {0};

    /* DOCKER_CONTEXT: host and verified TLS from the context's own files,
     * whatever DOCKER_TLS_VERIFY/DOCKER_CERT_PATH say */
    eng_env env = {.context = "remote", .config_dir = dir, .cert_path = "/nonexistent"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.host, "tcp://10.1.2.3:2376");
    assert_string_equal(cfg.base_url, "https://10.1.2.3:2376");
    assert_true(cfg.tls && cfg.tls_verify);
    assert_non_null(strstr(cfg.ca_file, "/contexts/tls/aaaa/docker/ca.pem"));
    assert_non_null(strstr(cfg.cert_file, "/contexts/tls/aaaa/docker/cert.pem"));
    assert_string_equal(cfg.context, "remote");
    /* SkipTLSVerify: TLS without verification */
    env = (eng_env){.context = "lax", .config_dir = dir};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_true(cfg.tls && !cfg.tls_verify);
    /* no TLS files: plain, even with DOCKER_TLS_VERIFY in the environment */
    env = (eng_env){.context = "sock", .config_dir = dir, .tls_verify = "1"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_true(cfg.is_unix && !cfg.tls);
    assert_string_equal(cfg.socket_path, "/run/o.sock");

    /* currentContext of config.json when DOCKER_CONTEXT is not set; HOME's
     * .docker when DOCKER_CONFIG is not set */
    write_file(dir, "config.json", "{\"auths\":{},\"currentContext\":\"sock\"}");
    env = (eng_env){.config_dir = dir};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.socket_path, "/run/o.sock");
    /* DOCKER_CONTEXT beats currentContext; DOCKER_HOST beats both */
    env = (eng_env){.config_dir = dir, .context = "lax"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.host, "tcp://10.1.2.4:2376");
    env = (eng_env){.config_dir = dir, .context = "lax", .docker_host = "unix:///x.sock"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.socket_path, "/x.sock");
    assert_string_equal(cfg.context, "");
    /* "default" is the DOCKER_* values */
    env = (eng_env){.config_dir = dir, .context = "default"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_OK);
    assert_string_equal(cfg.socket_path, "/var/run/docker.sock");

    /* errors name the context */
    env = (eng_env){.config_dir = dir, .context = "nosuch"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_ERR_CONFIG);
    assert_non_null(strstr(err.message, "docker context \"nosuch\": no such context in"));
    env = (eng_env){.config_dir = dir, .context = "over-ssh"};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_ERR_CONFIG);
    assert_non_null(strstr(err.message, "docker context \"over-ssh\""));
    assert_non_null(strstr(err.message, "only unix:// and tcp://"));
    write_file(dir, "config.json", "{\"currentContext\": oops}");
    env = (eng_env){.config_dir = dir};
    assert_int_equal(eng_config_from_env(&cfg, &env, &err), ENG_ERR_CONFIG);
    assert_non_null(strstr(err.message, "config.json:1:"));
    rm_rf(dir);
    free(dir);
}

/* Decode an X-Registry-Auth value back into JSON. */
static json_t *decode_auth(const char *value)
{
    size_t n;
    unsigned char *raw = eng_base64_decode(value, &n);
    assert_non_null(raw);
    json_t *j = json_loadb((const char *)raw, n, 0, NULL);
    free(raw);
    assert_non_null(j);
    return j;
}

static void test_registry_auth_from_config(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *out = NULL;
    bool found = true;
    eng_error err = {0};

    /* no file: "{}" */
    assert_int_equal(eng_registry_auth(path, "127.0.0.1:5000", &out, &found, NULL, 0, &err), ENG_OK);
    assert_string_equal(out, "e30=");
    assert_false(found);
    free(out);

    /* "auth" = base64("alice:s3cr:et") (a password may hold ':'), keyed with scheme and path */
    write_file(dir, "config.json",
               "{\"auths\":{\"https://127.0.0.1:5000/v2/\":{\"auth\":\"YWxpY2U6czNjcjpldA==\"},"
               "\"other:5000\":{\"auth\":\"Ym9iOng=\"}}}");
    assert_int_equal(eng_registry_auth(path, "127.0.0.1:5000", &out, &found, NULL, 0, &err), ENG_OK);
    assert_true(found);
    json_t *j = decode_auth(out);
    assert_string_equal(json_string_value(json_object_get(j, "username")), "alice");
    assert_string_equal(json_string_value(json_object_get(j, "password")), "s3cr:et");
    assert_string_equal(json_string_value(json_object_get(j, "serveraddress")), "127.0.0.1:5000");
    json_decref(j);
    free(out);

    /* another registry: nothing */
    assert_int_equal(eng_registry_auth(path, "10.0.0.9:5000", &out, &found, NULL, 0, &err), ENG_OK);
    assert_string_equal(out, "e30=");
    assert_false(found);
    free(out);

    /* username/password fields; identitytoken; docker.io's old key */
    write_file(dir, "config.json",
               "{\"auths\":{\"reg.example:443\":{\"username\":\"u\",\"password\":\"p\"},"
               "\"tok.example\":{\"identitytoken\":\"TOKEN\"},"
               "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnBhc3M=\"}}}");
    assert_int_equal(eng_registry_auth(path, "reg.example:443", &out, &found, NULL, 0, &err), ENG_OK);
    j = decode_auth(out);
    assert_string_equal(json_string_value(json_object_get(j, "username")), "u");
    assert_string_equal(json_string_value(json_object_get(j, "password")), "p");
    json_decref(j);
    free(out);
    assert_int_equal(eng_registry_auth(path, "tok.example", &out, &found, NULL, 0, &err), ENG_OK);
    j = decode_auth(out);
    assert_string_equal(json_string_value(json_object_get(j, "identitytoken")), "TOKEN");
    assert_null(json_object_get(j, "password"));
    json_decref(j);
    free(out);
    assert_int_equal(eng_registry_auth(path, "docker.io", &out, &found, NULL, 0, &err), ENG_OK);
    j = decode_auth(out);
    assert_string_equal(json_string_value(json_object_get(j, "username")), "hub");
    assert_string_equal(json_string_value(json_object_get(j, "password")), "hubpass");
    json_decref(j);
    free(out);

    /* an empty entry: no credentials, still a header */
    write_file(dir, "config.json", "{\"auths\":{\"127.0.0.1:5000\":{}}}");
    assert_int_equal(eng_registry_auth(path, "127.0.0.1:5000", &out, &found, NULL, 0, &err), ENG_OK);
    assert_string_equal(out, "e30=");
    assert_false(found);
    free(out);

    /* malformed: an error naming the file, never quoting it */
    write_file(dir, "config.json", "{\"auths\":{\"x\":{\"password\":\"hunter2\" oops}}}");
    assert_int_equal(eng_registry_auth(path, "x", &out, &found, NULL, 0, &err), ENG_ERR_CONFIG);
    assert_null(out);
    assert_non_null(strstr(err.message, path));
    assert_null(strstr(err.message, "hunter2"));

    /* a bad "auth" value */
    write_file(dir, "config.json", "{\"auths\":{\"x\":{\"auth\":\"bm9jb2xvbg==\"}}}"); /* "nocolon" */
    assert_int_equal(eng_registry_auth(path, "x", &out, &found, NULL, 0, &err), ENG_ERR_CONFIG);
    assert_non_null(strstr(err.message, "user:password"));
    rm_rf(dir);
    free(dir);
}

/* Helpers that speak the docker-credential-helpers protocol, as small
 * scripts on PATH: "echo" answers with the server address it read as the
 * user name; "token" an identity token; "none" says it has nothing; "fail"
 * fails; "garbage" answers with a secret outside the protocol. */
static void write_helper(const char *dir, const char *name, const char *body)
{
    char file[128], path[600];
    snprintf(file, sizeof file, "docker-credential-%s", name);
    write_file(dir, file, body);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    assert_int_equal(chmod(path, 0755), 0);
}

/* The credentials for registry under config (decoded), and in `warning`
 * what eng_registry_auth said about a failed helper. */
static char warning[1024];
static json_t *auth_with(const char *config_dir, const char *config, const char *registry,
                         eng_status want, eng_error *err)
{
    write_file(config_dir, "config.json", config);
    char path[600];
    snprintf(path, sizeof path, "%s/config.json", config_dir);
    char *out = NULL;
    bool found = false;
    memset(err, 0, sizeof *err);
    assert_int_equal(
        eng_registry_auth(path, registry, &out, &found, warning, sizeof warning, err), want);
    if (want != ENG_OK) {
        assert_null(out);
        return NULL;
    }
    json_t *j = decode_auth(out);
    assert_int_equal(found, json_object_size(j) > 0);
    free(out);
    return j;
}

static void test_registry_auth_from_helpers(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    write_helper(dir, "echo",
                 "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server\n"
                 "printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"pw:%s\"}\\n' "
                 "\"$server\" \"$server\" \"$server\"\n");
    write_helper(dir, "token",
                 "#!/bin/sh\ncat >/dev/null\necho '{\"ServerURL\":\"x\",\"Username\":\"<token>\","
                 "\"Secret\":\"IDTOKEN\"}'\n");
    write_helper(dir, "none", "#!/bin/sh\ncat >/dev/null\necho 'credentials not found in native "
                              "keychain'\nexit 1\n");
    write_helper(dir, "fail", "#!/bin/sh\necho 'gpg: decryption failed: No secret key' >&2\n"
                              "exit 2\n");
    write_helper(dir, "garbage", "#!/bin/sh\necho 'Secret=hunter2'\n");
    const char *old_path = getenv("PATH");
    char *saved = strdup(old_path ? old_path : "/usr/bin:/bin");
    char path_env[1200];
    snprintf(path_env, sizeof path_env, "%s:%s", dir, saved);
    setenv("PATH", path_env, 1);
    eng_error err;

    /* credsStore: every registry; the helper reads the server address */
    json_t *j = auth_with(dir, "{\"auths\":{\"127.0.0.1:5000\":{}},\"credsStore\":\"echo\"}",
                          "127.0.0.1:5000", ENG_OK, &err);
    assert_string_equal(json_string_value(json_object_get(j, "username")), "127.0.0.1:5000");
    assert_string_equal(json_string_value(json_object_get(j, "password")), "pw:127.0.0.1:5000");
    assert_string_equal(json_string_value(json_object_get(j, "serveraddress")), "127.0.0.1:5000");
    json_decref(j);
    /* docker.io is asked for under the address `docker login` stores */
    j = auth_with(dir, "{\"credsStore\":\"echo\"}", "docker.io", ENG_OK, &err);
    assert_string_equal(json_string_value(json_object_get(j, "username")),
                        "https://index.docker.io/v1/");
    json_decref(j);
    /* credHelpers wins over credsStore for its registry (keys match like auths) */
    j = auth_with(dir,
                  "{\"credsStore\":\"echo\",\"credHelpers\":{\"https://tok.example/v2/\":\"token\"}}",
                  "tok.example", ENG_OK, &err);
    assert_string_equal(json_string_value(json_object_get(j, "identitytoken")), "IDTOKEN");
    assert_null(json_object_get(j, "username"));
    json_decref(j);
    /* a helper is the only source: "auths" is not read when one applies */
    j = auth_with(dir,
                  "{\"auths\":{\"reg:5000\":{\"auth\":\"YWxpY2U6cHc=\"}},"
                  "\"credHelpers\":{\"reg:5000\":\"none\"}}",
                  "reg:5000", ENG_OK, &err);
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);
    /* ...and only for its registry */
    j = auth_with(dir,
                  "{\"auths\":{\"reg:5000\":{\"auth\":\"YWxpY2U6cHc=\"}},"
                  "\"credHelpers\":{\"other:5000\":\"fail\"}}",
                  "reg:5000", ENG_OK, &err);
    assert_string_equal(json_string_value(json_object_get(j, "username")), "alice");
    json_decref(j);

    /* A helper that fails means no credentials, as for the docker CLI (a push
     * to a registry without auth must still work), and a warning naming the
     * helper with its own reason, never the secret. */
    const char *const failing[][3] = {
        {"{\"credsStore\":\"fail\"}", "docker-credential-fail get reg:5000: exit status 2",
         "No secret key"},
        {"{\"credsStore\":\"garbage\"}", "docker-credential-garbage", "not {\"Username\""},
        {"{\"credsStore\":\"absent\"}", "docker-credential-absent", "not on PATH"},
        {"{\"credsStore\":\"../x\"}", "'../x'", "not a plain name"},
    };
    for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
        j = auth_with(dir, failing[i][0], "reg:5000", ENG_OK, &err);
        assert_int_equal(json_object_size(j), 0);
        json_decref(j);
        assert_non_null(strstr(warning, failing[i][1]));
        assert_non_null(strstr(warning, failing[i][2]));
        assert_non_null(strstr(warning, "going on without credentials for reg:5000"));
        assert_null(strstr(warning, "hunter2"));
    }
    /* a helper that works leaves no warning */
    j = auth_with(dir, "{\"credsStore\":\"echo\"}", "reg:5000", ENG_OK, &err);
    assert_string_equal(warning, "");
    json_decref(j);

    setenv("PATH", saved, 1);
    free(saved);
    rm_rf(dir);
    free(dir);
}

/* ---- a fake daemon ---- */

struct canned {
    const char *method, *path; /* path with query, exact */
    int status;
    const char *headers;       /* extra header lines, each ending in \r\n */
    const char *body;
};

struct fake {
    char dir[48], sock[64];
    int lfd;
    pthread_t thread;
    const struct canned *answers;
    size_t n_answers;
    /* what came in */
    char requests[32][256]; /* "METHOD /path" */
    char auth[32][256];     /* X-Registry-Auth per request, "" if none */
    char last_body[16384];  /* the body of the last request */
    int n_requests;
    bool stop;
};

static void serve_one(struct fake *f, int cfd)
{
    char req[65536];
    size_t len = 0;
    req[0] = '\0';
    char *end = NULL;
    while (len < sizeof req - 1 && !(end = strstr(req, "\r\n\r\n"))) {
        ssize_t n = read(cfd, req + len, sizeof req - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        req[len] = '\0';
    }
    if (!end)
        return;
    /* Read a body announced by Content-Length; keep it as the last body. */
    char *cl = strcasestr(req, "\r\nContent-Length:");
    size_t have = len - (size_t)(end + 4 - req);
    memcpy(f->last_body, end + 4, have < sizeof f->last_body ? have : sizeof f->last_body - 1);
    if (cl && cl < end) {
        size_t want = (size_t)strtol(cl + 17, NULL, 10);
        while (have < want && have < sizeof f->last_body - 1) {
            ssize_t n = read(cfd, f->last_body + have, sizeof f->last_body - 1 - have);
            if (n <= 0)
                break;
            have += (size_t)n;
        }
    }
    f->last_body[have < sizeof f->last_body ? have : sizeof f->last_body - 1] = '\0';
    char method[16] = "", path[200] = "";
    sscanf(req, "%15s %199s", method, path);
    int i = f->n_requests < 32 ? f->n_requests++ : 31;
    snprintf(f->requests[i], sizeof f->requests[i], "%s %s", method, path);
    f->auth[i][0] = '\0';
    char *a = strcasestr(req, "\r\nX-Registry-Auth:");
    if (a && a < end) {
        a += 18;
        while (*a == ' ')
            a++;
        size_t n = strcspn(a, "\r\n");
        snprintf(f->auth[i], sizeof f->auth[i], "%.*s", (int)n, a);
    }
    const struct canned *c = NULL;
    for (size_t k = 0; k < f->n_answers && !c; k++)
        if (strcmp(f->answers[k].method, method) == 0 && strcmp(f->answers[k].path, path) == 0)
            c = &f->answers[k];
    char out[8192];
    int n;
    if (c)
        n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     c->status, c->headers ? c->headers : "", strlen(c->body), c->body);
    else
        n = snprintf(out, sizeof out,
                     "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                     "Content-Length: 29\r\nConnection: close\r\n\r\n{\"message\":\"page not found\"}\n");
    ssize_t w = write(cfd, out, (size_t)n);
    (void)w;
}

static void *fake_main(void *ud)
{
    struct fake *f = ud;
    for (;;) {
        int cfd = accept(f->lfd, NULL, NULL);
        if (cfd < 0 || f->stop) {
            if (cfd >= 0)
                close(cfd);
            return NULL;
        }
        serve_one(f, cfd);
        close(cfd);
    }
}

static struct fake *fake_start(const struct canned *answers, size_t n)
{
    struct fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/fake-dockerd.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->sock, sizeof f->sock, "%s/docker.sock", f->dir);
    f->answers = answers;
    f->n_answers = n;
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->lfd, 8), 0);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
    return f;
}

static void fake_stop(struct fake *f)
{
    f->stop = true;
    /* wake accept() with one last connection */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        close(fd);
    else
        close(fd);
    pthread_join(f->thread, NULL);
    close(f->lfd);
    unlink(f->sock);
    rmdir(f->dir);
    free(f);
}

static eng_client *client_for(struct fake *f, const char *api_version)
{
    char host[200];
    snprintf(host, sizeof host, "unix://%s", f->sock);
    eng_env env = {.api_version = api_version};
    eng_config cfg;
    eng_error err = {0};
    assert_int_equal(eng_config_for_host(&cfg, host, &env, &err), ENG_OK);
    eng_client *c = NULL;
    assert_int_equal(eng_client_new(&cfg, &c, &err), ENG_OK);
    return c;
}

static const struct canned DAEMON_140[] = {
    {"GET", "/_ping", 200, "Api-Version: 1.40\r\nContent-Type: text/plain\r\n", "OK"},
    {"GET", "/v1.40/containers/json?all=1", 200, "Content-Type: application/json\r\n",
     "[{\"Id\":\"abc\",\"Names\":[\"/cass1\"],\"Image\":\"img\",\"State\":\"running\","
     "\"Status\":\"Up 1 second\",\"Labels\":{\"io.cass-entry.node\":\"1\"}}]"},
    {"GET", "/v1.40/containers/nope/json", 404, "Content-Type: application/json\r\n",
     "{\"message\":\"No such container: nope\"}"},
};

static void test_negotiation_with_fake_daemon(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_140, 3);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    docker_container_summary *list = NULL;
    size_t n = 0;
    /* the first request pings, then uses the daemon's (older) version */
    assert_int_equal(docker_container_list(c, NULL, true, &list, &n, &err), ENG_OK);
    assert_string_equal(eng_client_api_version(c), "1.40");
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "cass1");
    assert_string_equal(list[0].state, "running");
    assert_string_equal(docker_label_get(list[0].labels, "io.cass-entry.node"), "1");
    docker_container_list_free(list, n);

    /* an HTTP error carries the daemon's message and the status */
    docker_container_info info;
    assert_int_equal(docker_container_inspect(c, "nope", NULL, &info, &err), ENG_ERR_HTTP);
    assert_int_equal(err.http_status, 404);
    assert_true(docker_not_found(&err));
    assert_non_null(strstr(err.message, "No such container: nope"));
    assert_non_null(strstr(err.message, "container nope"));
    eng_client_free(c);
    fake_stop(f);
}

static const struct canned DAEMON_NEW[] = {
    {"GET", "/_ping", 200, "Api-Version: 1.47\r\n", "OK"},
    {"GET", "/v1.41/version", 200, "Content-Type: application/json\r\n",
     "{\"Version\":\"27.0.0\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"ApiVersion\":\"1.47\"}"},
    {"GET", "/v1.38/version", 200, "", "{\"Version\":\"18.06\"}"},
};

static void test_newer_daemon_and_fixed_version(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_NEW, 3);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    docker_version_info v;
    assert_int_equal(docker_ping(c, &v, &err), ENG_OK);
    assert_string_equal(v.api_version, ENG_API_VERSION_MAX);
    assert_string_equal(v.server_version, "27.0.0");
    eng_client_free(c);

    /* DOCKER_API_VERSION: used as-is, no negotiation needed before requests */
    int before = f->n_requests;
    c = client_for(f, "1.38");
    eng_response r;
    assert_int_equal(eng_json(c, "GET", "/version", NULL, &r, &err), ENG_OK);
    assert_string_equal(json_string_value(json_object_get(r.json, "Version")), "18.06");
    eng_response_clear(&r);
    assert_int_equal(f->n_requests, before + 1);
    assert_string_equal(f->requests[before], "GET /v1.38/version");
    eng_client_free(c);
    fake_stop(f);
}

static const struct canned DAEMON_OLD[] = {
    {"GET", "/_ping", 200, "", "OK"}, /* no Api-Version at all */
};

static const struct canned TLS_PORT[] = {
    {"GET", "/_ping", 400, "Content-Type: text/plain\r\n",
     "Client sent an HTTP request to an HTTPS server.\n"},
};

static void test_ping_failures(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_OLD, 1);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    assert_int_equal(eng_client_connect(c, &err), ENG_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "Api-Version"));
    eng_client_free(c);
    fake_stop(f);

    f = fake_start(TLS_PORT, 1);
    c = client_for(f, NULL);
    assert_int_equal(eng_client_connect(c, &err), ENG_ERR_TLS);
    assert_non_null(strstr(err.message, "DOCKER_TLS_VERIFY"));
    eng_client_free(c);
    fake_stop(f);
}

static const struct canned DAEMON_PUSH[] = {
    {"GET", "/_ping", 200, "Api-Version: 1.41\r\n", "OK"},
    {"POST", "/v1.41/images/127.0.0.1:5000/tiny/push?tag=1", 200,
     "Content-Type: application/json\r\n",
     "{\"status\":\"The push refers to repository [127.0.0.1:5000/tiny]\"}\r\n"
     "{\"status\":\"Pushed\",\"progressDetail\":{},\"id\":\"5f70bf18a086\"}\r\n"
     "{\"progressDetail\":{},\"aux\":{\"Tag\":\"1\",\"Digest\":\"sha256:feed\",\"Size\":1}}\r\n"},
    {"POST", "/v1.41/images/127.0.0.1:5000/bad/push?tag=1", 200,
     "Content-Type: application/json\r\n",
     "{\"status\":\"The push refers to repository [127.0.0.1:5000/bad]\"}\r\n"
     "{\"errorDetail\":{\"message\":\"connection refused\"},\"error\":\"connection refused\"}\r\n"},
};

static void test_push_sends_auth_always(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_PUSH, 3);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    char digest[DOCKER_ID_MAX];
    char *dir = make_tmpdir();
    char cfgpath[600];
    snprintf(cfgpath, sizeof cfgpath, "%s/config.json", dir);

    /* no config file: the header is there, "{}" */
    assert_int_equal(docker_image_push(c, "127.0.0.1:5000/tiny", "1", cfgpath, NULL, NULL,
                                       digest, sizeof digest, &err),
                     ENG_OK);
    assert_string_equal(digest, "sha256:feed");
    int last = f->n_requests - 1;
    assert_string_equal(f->requests[last], "POST /v1.41/images/127.0.0.1:5000/tiny/push?tag=1");
    assert_string_equal(f->auth[last], "e30=");

    /* with credentials for that registry */
    write_file(dir, "config.json",
               "{\"auths\":{\"127.0.0.1:5000\":{\"username\":\"pu\",\"password\":\"pp\"}}}");
    assert_int_equal(docker_image_push(c, "127.0.0.1:5000/tiny", "1", cfgpath, NULL, NULL,
                                       digest, sizeof digest, &err),
                     ENG_OK);
    last = f->n_requests - 1;
    json_t *j = decode_auth(f->auth[last]);
    assert_string_equal(json_string_value(json_object_get(j, "username")), "pu");
    assert_string_equal(json_string_value(json_object_get(j, "password")), "pp");
    json_decref(j);

    /* a failing push: HTTP 200, the stream's error; credentials not in the message */
    assert_int_equal(docker_image_push(c, "127.0.0.1:5000/bad", "1", cfgpath, NULL, NULL,
                                       digest, sizeof digest, &err),
                     ENG_ERR_STREAM);
    assert_non_null(strstr(err.message, "connection refused"));
    assert_non_null(strstr(err.message, "push 127.0.0.1:5000/bad:1"));
    assert_null(strstr(err.message, "pp"));
    eng_client_free(c);
    fake_stop(f);
    rm_rf(dir);
    free(dir);
}

/* ---- request bodies: what the typed calls send ---- */

static const struct canned DAEMON_CREATE[] = {
    {"GET", "/_ping", 200, "Api-Version: 1.41\r\n", "OK"},
    {"POST", "/v1.41/containers/create?name=cass2", 201, "", "{\"Id\":\"c2\",\"Warnings\":[]}"},
    {"POST", "/v1.41/services/create", 201, "", "{\"ID\":\"svc2\"}"},
    {"POST", "/v1.41/networks/create", 201, "", "{\"Id\":\"n1\"}"},
    {"GET", "/v1.41/networks/cass-net", 200, "",
     "{\"Id\":\"n1\",\"Name\":\"cass-net\",\"Driver\":\"bridge\",\"IPAM\":{\"Driver\":"
     "\"default\",\"Config\":[{\"Subnet\":\"172.18.0.0/16\",\"IPRange\":\"172.18.0.0/17\","
     "\"Gateway\":\"172.18.0.1\"}]},\"Containers\":{}}"},
    {"GET", "/v1.41/tasks?filters=%7B%22service%22%3A%5B%22cass2%22%5D%7D", 200, "",
     "[{\"ID\":\"t-old\",\"ServiceID\":\"svc2\",\"NodeID\":\"n1\",\"UpdatedAt\":"
     "\"2024-05-01T10:00:05.5Z\",\"DesiredState\":\"shutdown\",\"Status\":{\"State\":"
     "\"rejected\",\"Err\":\"No such image: x\",\"Message\":\"preparing\"}},"
     "{\"ID\":\"t-new\",\"ServiceID\":\"svc2\",\"NodeID\":\"n2\",\"UpdatedAt\":"
     "\"2024-05-01T10:00:05.25Z\",\"DesiredState\":\"running\",\"Status\":{\"State\":"
     "\"running\",\"ContainerStatus\":{\"ContainerID\":\"ctr9\",\"ExitCode\":0}},"
     "\"NetworksAttachments\":[{\"Network\":{\"Spec\":{\"Name\":\"ingress\"}},"
     "\"Addresses\":[\"10.0.0.7/24\"]},{\"Network\":{\"Spec\":{\"Name\":\"cass-net\"}},"
     "\"Addresses\":[\"10.0.1.5/24\"]}]}]"},
    {"GET", "/v1.41/services/cass2", 200, "",
     "{\"ID\":\"svc2\",\"Spec\":{\"Name\":\"cass2\",\"Labels\":{\"io.cass-entry.node\":\"2\"},"
     "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"r:5000/c@sha256:feed\"},"
     "\"Placement\":{\"Constraints\":[\"node.id==n2\"]}},"
     "\"Mode\":{\"Replicated\":{\"Replicas\":1}}}}"},
};

static json_t *last_body(struct fake *f)
{
    json_t *j = json_loads(f->last_body, 0, NULL);
    assert_non_null(j);
    return j;
}

static const char *js(json_t *j, const char *k1, const char *k2, const char *k3)
{
    json_t *v = json_object_get(j, k1);
    if (k2)
        v = json_object_get(v, k2);
    if (k3)
        v = json_object_get(v, k3);
    return json_string_value(v);
}

static long long ji(json_t *j, const char *k1, const char *k2, const char *k3)
{
    json_t *v = json_object_get(j, k1);
    if (k2)
        v = json_object_get(v, k2);
    if (k3)
        v = json_object_get(v, k3);
    assert_true(json_is_integer(v));
    return (long long)json_integer_value(v);
}

static void test_container_create_body(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_CREATE, sizeof DAEMON_CREATE / sizeof DAEMON_CREATE[0]);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    const char *env[] = {"CASSANDRA_SEEDS=cass1", "MAX_HEAP_SIZE=512m", NULL};
    const char *labels[] = {"io.cass-entry.cluster=cass", "io.cass-entry.node=2", NULL};
    const char *aliases[] = {"cass2", NULL};
    docker_mount m = {.source = "cass2-data", .target = "/var/lib/cassandra"};
    docker_port p = {.container_port = 9042, .host_ip = "127.0.0.1", .host_port = 19042};
    docker_container_spec s = {
        .name = "cass2", .image = "127.0.0.1:5000/cass-entry:5.0", .hostname = "cass2",
        .env = env, .labels = labels, .memory = 1LL << 30, .memory_swap = 1LL << 30,
        .stop_timeout = 120, .restart_policy = "unless-stopped", .network = "cass-net",
        .aliases = aliases, .ipv4_address = "172.18.128.2", .mounts = &m, .n_mounts = 1,
        .health = DOCKER_HEALTH_NONE, .ports = &p, .n_ports = 1,
    };
    char id[DOCKER_ID_MAX];
    assert_int_equal(docker_container_create(c, &s, id, sizeof id, &err), ENG_OK);
    assert_string_equal(id, "c2");
    json_t *b = last_body(f);
    /* The fields of POST /containers/create (Engine API 1.41). */
    assert_string_equal(js(b, "Image", NULL, NULL), "127.0.0.1:5000/cass-entry:5.0");
    assert_string_equal(js(b, "Hostname", NULL, NULL), "cass2");
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "Env"), 1)),
                        "MAX_HEAP_SIZE=512m");
    assert_string_equal(js(b, "Labels", "io.cass-entry.node", NULL), "2");
    assert_int_equal(ji(b, "StopTimeout", NULL, NULL), 120);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(b, "Healthcheck"), "Test"), 0)),
                        "NONE");
    assert_null(json_object_get(b, "Cmd")); /* the image's CMD */
    assert_int_equal(ji(b, "HostConfig", "Memory", NULL), 1LL << 30);
    assert_int_equal(ji(b, "HostConfig", "MemorySwap", NULL), 1LL << 30);
    assert_string_equal(js(b, "HostConfig", "RestartPolicy", "Name"), "unless-stopped");
    assert_string_equal(js(b, "HostConfig", "NetworkMode", NULL), "cass-net");
    json_t *mount = json_array_get(json_object_get(json_object_get(b, "HostConfig"), "Mounts"), 0);
    assert_string_equal(js(mount, "Type", NULL, NULL), "volume");
    assert_string_equal(js(mount, "Source", NULL, NULL), "cass2-data");
    assert_string_equal(js(mount, "Target", NULL, NULL), "/var/lib/cassandra");
    json_t *pb = json_array_get(
        json_object_get(json_object_get(json_object_get(b, "HostConfig"), "PortBindings"),
                        "9042/tcp"), 0);
    assert_string_equal(js(pb, "HostIp", NULL, NULL), "127.0.0.1");
    assert_string_equal(js(pb, "HostPort", NULL, NULL), "19042");
    assert_non_null(json_object_get(json_object_get(b, "ExposedPorts"), "9042/tcp"));
    json_t *ep = json_object_get(json_object_get(json_object_get(b, "NetworkingConfig"),
                                                 "EndpointsConfig"), "cass-net");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ep, "Aliases"), 0)),
                        "cass2");
    assert_string_equal(js(ep, "IPAMConfig", "IPv4Address", NULL), "172.18.128.2");
    json_decref(b);

    /* A network with its addresses split: the subnet, its gateway, the
     * engine's range; and inspect reads them back. */
    const char *nlabels[] = {"io.cass-entry.cluster=cass", NULL};
    docker_network_spec ns = {.name = "cass-net", .labels = nlabels, .subnet = "172.18.0.0/16",
                              .gateway = "172.18.0.1", .ip_range = "172.18.0.0/17"};
    assert_int_equal(docker_network_create(c, &ns, NULL, 0, &err), ENG_OK);
    b = last_body(f);
    json_t *cfg = json_array_get(json_object_get(json_object_get(b, "IPAM"), "Config"), 0);
    assert_string_equal(js(cfg, "Subnet", NULL, NULL), "172.18.0.0/16");
    assert_string_equal(js(cfg, "Gateway", NULL, NULL), "172.18.0.1");
    assert_string_equal(js(cfg, "IPRange", NULL, NULL), "172.18.0.0/17");
    assert_string_equal(js(b, "Labels", "io.cass-entry.cluster", NULL), "cass");
    json_decref(b);
    docker_network_info ni;
    assert_int_equal(docker_network_inspect(c, "cass-net", &ni, &err), ENG_OK);
    assert_string_equal(ni.subnet, "172.18.0.0/16");
    assert_string_equal(ni.ip_range, "172.18.0.0/17");
    assert_string_equal(ni.gateway, "172.18.0.1");
    eng_client_free(c);
    fake_stop(f);
}

/* An upgrade's container: what it took unchanged from its old image (ENV,
 * labels, CMD, ENTRYPOINT) is left for the new image to give; what its
 * creator chose (its own env and labels, HostConfig, network and aliases)
 * is carried over; its old short id is no alias of the new one. */
static const struct canned DAEMON_RECREATE[] = {
    {"GET", "/_ping", 200, "Api-Version: 1.41\r\n", "OK"},
    {"GET", "/v1.41/containers/cass2/json", 200, "",
     "{\"Id\":\"0123456789abcdef\",\"Name\":\"/cass2\",\"Image\":\"sha256:old\","
     "\"Config\":{\"Hostname\":\"cass2\",\"Image\":\"cass-entry:5.0\","
     "\"Env\":[\"PATH=/usr/bin\",\"JAVA_HOME=/opt/java\",\"CASSANDRA_SEEDS=cass1\"],"
     "\"Labels\":{\"vendor\":\"x\",\"io.cass-entry.node\":\"2\"},"
     "\"Cmd\":[\"cassandra\",\"-f\"],\"Entrypoint\":[\"/usr/local/bin/cass-entry\"],"
     "\"StopTimeout\":120},"
     "\"HostConfig\":{\"NetworkMode\":\"cass-net\",\"Memory\":1073741824,"
     "\"RestartPolicy\":{\"Name\":\"unless-stopped\"},"
     "\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"cass2-data\",\"Target\":\"/var/lib/cassandra\"}]},"
     "\"NetworkSettings\":{\"Networks\":{\"cass-net\":{\"Aliases\":[\"cass2\",\"0123456789ab\"],"
     "\"IPAddress\":\"172.18.0.3\"}}}}"},
    {"GET", "/v1.41/images/sha256:old/json", 200, "",
     "{\"Id\":\"sha256:old\",\"Config\":{\"Env\":[\"PATH=/usr/bin\",\"JAVA_HOME=/opt/java\"],"
     "\"Labels\":{\"vendor\":\"x\"},\"Cmd\":[\"cassandra\",\"-f\"],"
     "\"Entrypoint\":[\"/usr/local/bin/cass-entry\"]}}"},
    {"DELETE", "/v1.41/containers/cass2?force=1", 204, "", ""},
    {"POST", "/v1.41/containers/create?name=cass2", 201, "", "{\"Id\":\"new\",\"Warnings\":[]}"},
};

static void test_container_recreate_body(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_RECREATE, 5);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    char was[DOCKER_ID_MAX];
    assert_int_equal(docker_container_recreate(c, "cass2", "cass-entry:5.1", was, sizeof was,
                                               &err), ENG_OK);
    assert_string_equal(was, "sha256:old");
    assert_string_equal(f->requests[f->n_requests - 2], "DELETE /v1.41/containers/cass2?force=1");
    assert_string_equal(f->requests[f->n_requests - 1], "POST /v1.41/containers/create?name=cass2");
    json_t *b = last_body(f);
    assert_string_equal(js(b, "Image", NULL, NULL), "cass-entry:5.1");
    assert_string_equal(js(b, "Hostname", NULL, NULL), "cass2");
    json_t *env = json_object_get(b, "Env");
    assert_int_equal(json_array_size(env), 1); /* PATH and JAVA_HOME: the new image's */
    assert_string_equal(json_string_value(json_array_get(env, 0)), "CASSANDRA_SEEDS=cass1");
    assert_null(json_object_get(json_object_get(b, "Labels"), "vendor"));
    assert_string_equal(js(b, "Labels", "io.cass-entry.node", NULL), "2");
    assert_null(json_object_get(b, "Cmd"));
    assert_null(json_object_get(b, "Entrypoint"));
    assert_int_equal(ji(b, "StopTimeout", NULL, NULL), 120);
    assert_int_equal(ji(b, "HostConfig", "Memory", NULL), 1073741824);
    assert_string_equal(js(b, "HostConfig", "RestartPolicy", "Name"), "unless-stopped");
    json_t *mount = json_array_get(json_object_get(json_object_get(b, "HostConfig"), "Mounts"), 0);
    assert_string_equal(js(mount, "Source", NULL, NULL), "cass2-data");
    json_t *aliases = json_object_get(json_object_get(json_object_get(
        json_object_get(b, "NetworkingConfig"), "EndpointsConfig"), "cass-net"), "Aliases");
    assert_int_equal(json_array_size(aliases), 1);
    assert_string_equal(json_string_value(json_array_get(aliases, 0)), "cass2");
    json_decref(b);
    eng_client_free(c);
    fake_stop(f);
}

/* An upgrade on a swarm: the service's spec as it is, its image replaced,
 * sent with the version read (optimistic locking) and registry auth. */
static const struct canned DAEMON_SERVICE_UPDATE[] = {
    {"GET", "/_ping", 200, "Api-Version: 1.41\r\n", "OK"},
    {"GET", "/v1.41/services/cass2", 200, "",
     "{\"ID\":\"svc2\",\"Version\":{\"Index\":42},\"Spec\":{\"Name\":\"cass2\","
     "\"Labels\":{\"io.cass-entry.node\":\"2\"},\"TaskTemplate\":{\"ContainerSpec\":"
     "{\"Image\":\"r:5000/c:5.0@sha256:old\",\"Env\":[\"CASSANDRA_SEEDS=cass1\"]},"
     "\"Placement\":{\"Constraints\":[\"node.id==n2\"]}},\"Mode\":{\"Replicated\":{\"Replicas\":1}}}}"},
    {"POST", "/v1.41/services/svc2/update?version=42", 200, "", "{\"Warnings\":null}"},
};

static void test_service_set_image(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_SERVICE_UPDATE, 3);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    char was[2 * DOCKER_NAME_MAX];
    assert_int_equal(docker_service_set_image(c, "cass2", "r:5000/c:5.1@sha256:new", NULL, was,
                                              sizeof was, &err), ENG_OK);
    assert_string_equal(was, "r:5000/c:5.0@sha256:old");
    assert_string_equal(f->requests[f->n_requests - 1], "POST /v1.41/services/svc2/update?version=42");
    assert_true(f->auth[f->n_requests - 1][0] != '\0');
    json_t *b = last_body(f);
    json_t *cs = json_object_get(json_object_get(b, "TaskTemplate"), "ContainerSpec");
    assert_string_equal(js(cs, "Image", NULL, NULL), "r:5000/c:5.1@sha256:new");
    assert_string_equal(json_string_value(json_array_get(json_object_get(cs, "Env"), 0)),
                        "CASSANDRA_SEEDS=cass1");
    assert_string_equal(js(b, "Name", NULL, NULL), "cass2");
    json_decref(b);
    eng_client_free(c);
    fake_stop(f);
}

static void test_service_create_body_and_tasks(void **state)
{
    (void)state;
    struct fake *f = fake_start(DAEMON_CREATE, sizeof DAEMON_CREATE / sizeof DAEMON_CREATE[0]);
    eng_client *c = client_for(f, NULL);
    eng_error err = {0};
    const char *cons[] = {"node.id==n2", NULL};
    const char *aliases[] = {"cass2", NULL};
    const char *args[] = {"cass1", NULL};
    docker_mount m = {.source = "cass2-data", .target = "/var/lib/cassandra"};
    docker_service_spec s = {
        .name = "cass2", .image = "10.0.0.1:5000/cass-entry@sha256:feed", .hostname = "cass2",
        .args = args, .memory = 1LL << 30, .stop_timeout = 120, .constraints = cons,
        .network = "cass-net", .aliases = aliases, .mounts = &m, .n_mounts = 1,
        .dnsrr = true, .auth_config = "/nonexistent/config.json",
    };
    char id[DOCKER_ID_MAX];
    assert_int_equal(docker_service_create(c, &s, id, sizeof id, &err), ENG_OK);
    assert_string_equal(id, "svc2");
    assert_string_equal(f->auth[f->n_requests - 1], "e30="); /* sent here too */
    json_t *b = last_body(f);
    assert_string_equal(js(b, "Name", NULL, NULL), "cass2");
    json_t *tt = json_object_get(b, "TaskTemplate");
    assert_string_equal(js(tt, "ContainerSpec", "Image", NULL),
                        "10.0.0.1:5000/cass-entry@sha256:feed");
    assert_string_equal(js(tt, "ContainerSpec", "Hostname", NULL), "cass2");
    assert_int_equal(ji(tt, "ContainerSpec", "StopGracePeriod", NULL), 120000000000LL);
    assert_int_equal(ji(tt, "Resources", "Limits", "MemoryBytes"), 1LL << 30);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(tt, "Placement"), "Constraints"), 0)),
                        "node.id==n2");
    json_t *net = json_array_get(json_object_get(tt, "Networks"), 0);
    assert_string_equal(js(net, "Target", NULL, NULL), "cass-net");
    assert_int_equal(ji(b, "Mode", "Replicated", "Replicas"), 1);
    assert_string_equal(js(b, "EndpointSpec", "Mode", NULL), "dnsrr");
    json_decref(b);

    docker_task *t;
    size_t n;
    assert_int_equal(docker_task_list(c, "cass2", "cass-net", &t, &n, &err), ENG_OK);
    assert_int_equal(n, 2);
    /* newest first: .5 s is later than .25 s (fractions of different lengths) */
    assert_string_equal(t[0].id, "t-old");
    assert_string_equal(t[0].state, "rejected");
    assert_string_equal(t[0].error, "No such image: x");
    assert_string_equal(t[1].id, "t-new");
    assert_string_equal(t[1].container_id, "ctr9");
    assert_string_equal(t[1].node_id, "n2");
    assert_string_equal(t[1].addr, "10.0.1.5"); /* on cass-net, without the prefix */
    free(t);

    docker_service_info si;
    assert_int_equal(docker_service_inspect(c, "cass2", &si, &err), ENG_OK);
    assert_string_equal(si.id, "svc2");
    assert_string_equal(si.image, "r:5000/c@sha256:feed");
    assert_int_equal(si.replicas, 1);
    assert_string_equal(docker_label_get(si.labels, "io.cass-entry.node"), "2");
    assert_string_equal(si.constraints[0], "node.id==n2");
    assert_null(si.constraints[1]);
    docker_service_info_free(&si);
    assert_int_equal(docker_service_inspect(c, "cass9", &si, &err), ENG_ERR_HTTP);
    assert_true(docker_not_found(&err));
    eng_client_free(c);
    fake_stop(f);
}

/* ---- transport errors ---- */

static void test_unreachable(void **state)
{
    (void)state;
    eng_error err = {0};
    eng_config cfg;
    eng_client *c;
    assert_int_equal(eng_config_for_host(&cfg, "unix:///nonexistent/docker.sock", NULL, &err),
                     ENG_OK);
    assert_int_equal(eng_client_new(&cfg, &c, &err), ENG_OK);
    assert_int_equal(eng_client_connect(c, &err), ENG_ERR_UNREACHABLE);
    assert_non_null(strstr(err.message, "unix:///nonexistent/docker.sock"));
    assert_non_null(strstr(err.message, "cannot connect"));
    /* a typed call says the same */
    assert_int_equal(docker_ping(c, NULL, &err), ENG_ERR_UNREACHABLE);
    eng_client_free(c);

    /* nothing listens on port 1 of the loopback */
    assert_int_equal(eng_config_for_host(&cfg, "tcp://127.0.0.1:1", NULL, &err), ENG_OK);
    assert_int_equal(eng_client_new(&cfg, &c, &err), ENG_OK);
    assert_int_equal(eng_client_connect(c, &err), ENG_ERR_UNREACHABLE);
    assert_non_null(strstr(err.message, "tcp://127.0.0.1:1"));
    eng_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_the_unix_socket),
        cmocka_unit_test(test_unix_and_tcp_hosts),
        cmocka_unit_test(test_bad_hosts),
        cmocka_unit_test(test_tls_settings),
        cmocka_unit_test(test_api_version_setting),
        cmocka_unit_test(test_version_cmp),
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_header_value),
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_registry_of_image),
        cmocka_unit_test(test_docker_contexts),
        cmocka_unit_test(test_registry_auth_from_config),
        cmocka_unit_test(test_registry_auth_from_helpers),
        cmocka_unit_test(test_negotiation_with_fake_daemon),
        cmocka_unit_test(test_newer_daemon_and_fixed_version),
        cmocka_unit_test(test_ping_failures),
        cmocka_unit_test(test_push_sends_auth_always),
        cmocka_unit_test(test_container_create_body),
        cmocka_unit_test(test_container_recreate_body),
        cmocka_unit_test(test_service_set_image),
        cmocka_unit_test(test_service_create_body_and_tasks),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
